#include <weft/errors.hpp>
#include <weft/sync/lock.hpp>
#include <weft/sync/semaphore.hpp>

#include <string>

namespace weft {

void lock::release() {
    if (!locked()) throw error("lock::release(): the lock is not acquired");
    sem_.release(1);
}

semaphore::semaphore(std::int64_t value) : sem_(value < 0 ? 0 : static_cast<std::size_t>(value)) {
    if (value < 0)
        throw value_error("semaphore: the initial value must be >= 0, got " + std::to_string(value));
}

void semaphore::release() {
    // The check and the release are two steps: two releases racing past the
    // bound may both pass. Over-releasing is a bug either way; this catches
    // the sequential case, as asyncio does.
    if (bounded_ && sem_.available() >= bound_)
        throw value_error("bounded_semaphore::release(): released too many times (initial value " +
                          std::to_string(bound_) + ")");
    sem_.release(1);
}

bounded_semaphore::bounded_semaphore(std::int64_t value) : semaphore(value) {
    bounded_ = true;
    bound_ = static_cast<std::size_t>(value);
}

} // namespace weft
