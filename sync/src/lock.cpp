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

bounded_semaphore::bounded_semaphore(std::int64_t value)
    : semaphore(value), initial_(static_cast<std::size_t>(value)) {}

void bounded_semaphore::release() {
    if (sem_.available() >= initial_)
        throw value_error("bounded_semaphore::release(): released too many times (initial value " +
                          std::to_string(initial_) + ")");
    sem_.release(1);
}

} // namespace weft
