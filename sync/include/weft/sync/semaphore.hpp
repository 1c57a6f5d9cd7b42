// weft::semaphore and weft::bounded_semaphore: asyncio.Semaphore and
// asyncio.BoundedSemaphore, safe across workers.
//
// acquire() waits while the value is zero; release() adds one, handing it
// straight to the longest waiting task if there is one (FIFO fair). A waiter
// cancelled while queued never takes a permit; one granted a permit but
// cancelled before it ran passes the permit on. The woken waiter resumes on
// the worker that called release() (or on one that steals it).
#pragma once

#include <weft/sync/detail/batch_semaphore.hpp>

#include <cstddef>
#include <cstdint>

namespace weft {

class semaphore {
public:
    /// Throws value_error if value is negative.
    explicit semaphore(std::int64_t value = 1);
    semaphore(const semaphore&) = delete;
    semaphore& operator=(const semaphore&) = delete;

    using acquire_awaiter = detail::batch_semaphore::plain_acquire;
    /// Waits for a permit and takes it; throws cancelled_error if cancelled
    /// while waiting (no permit taken).
    acquire_awaiter acquire() noexcept { return {sem_.acquire(1, "semaphore::acquire()")}; }
    bool try_acquire() noexcept { return sem_.try_acquire(1); }
    /// Returns a permit (from any task or thread). For a bounded_semaphore,
    /// throws value_error when that would exceed the initial value (also
    /// when called through a semaphore&).
    void release();
    /// True when acquire() would wait.
    bool locked() const noexcept { return sem_.available() == 0; }
    /// Free permits.
    std::size_t value() const noexcept { return sem_.available(); }

protected:
    detail::batch_semaphore sem_;
    bool bounded_ = false;   // bounded_semaphore
    std::size_t bound_ = 0;  // its initial value
};

/// A semaphore whose release() past the initial value throws value_error
/// (more releases than acquires).
class bounded_semaphore : public semaphore {
public:
    explicit bounded_semaphore(std::int64_t value = 1);
};

} // namespace weft
