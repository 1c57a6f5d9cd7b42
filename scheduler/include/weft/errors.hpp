// weft — the exceptions of API.md §7.
//
// Every type derives from weft::error (a std::runtime_error) except
// cancelled_error, which, like Python's CancelledError (a BaseException),
// derives from nothing a `catch (const std::exception&)` would swallow by
// accident.
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace weft {

/// Base of every weft error except cancelled_error.
class error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Thrown inside a task at the suspension point where its cancellation is
/// delivered, and by result() of a cancelled task or future.
class cancelled_error {
public:
    cancelled_error() = default;
    explicit cancelled_error(std::string message) : message_(std::move(message)) {}
    /// The message given to cancel(msg), possibly empty.
    const std::string& message() const noexcept { return message_; }
    const char* what() const noexcept {
        return message_.empty() ? "weft::cancelled_error" : message_.c_str();
    }

private:
    std::string message_;
};

/// An operation did not complete before its deadline.
class timeout_error : public error {
public:
    timeout_error() : error("weft::timeout_error: the operation timed out") {}
    explicit timeout_error(const std::string& what) : error(what) {}
};

/// An operation is not allowed in the object's current state (result() before
/// done, set_result() twice, ...).
class invalid_state_error : public error {
public:
    using error::error;
};

/// An argument has the right type but an unacceptable value.
class value_error : public error {
public:
    using error::error;
};

/// readexactly() reached end of stream first; partial holds what was read.
class incomplete_read_error : public error {
public:
    incomplete_read_error(std::string partial_bytes, std::size_t expected_bytes)
        : error(std::to_string(partial_bytes.size()) + " bytes read on a total of " +
                std::to_string(expected_bytes) + " expected bytes"),
          partial(std::move(partial_bytes)), expected(expected_bytes) {}
    std::string partial;
    std::size_t expected;
};

/// A stream's buffer limit was reached while looking for a separator.
class limit_overrun_error : public error {
public:
    limit_overrun_error(const std::string& what, std::size_t consumed_bytes)
        : error(what), consumed(consumed_bytes) {}
    std::size_t consumed;
};

/// get_nowait() on an empty queue.
class queue_empty : public error {
public:
    queue_empty() : error("weft::queue_empty: the queue is empty") {}
    /// With the operation and the reason, e.g. "queue::get(): ...".
    explicit queue_empty(const std::string& what) : error(what) {}
};

/// put_nowait() on a full queue.
class queue_full : public error {
public:
    queue_full() : error("weft::queue_full: the queue is full") {}
    /// With the operation and the reason, e.g. "queue::get(): ...".
    explicit queue_full(const std::string& what) : error(what) {}
};

/// put()/get() on a queue after shutdown().
class queue_shut_down : public error {
public:
    queue_shut_down() : error("weft::queue_shut_down: the queue was shut down") {}
    /// With the operation and the reason, e.g. "queue::get(): ...".
    explicit queue_shut_down(const std::string& what) : error(what) {}
};

/// A barrier was aborted or reset while tasks waited on it.
class broken_barrier_error : public error {
public:
    broken_barrier_error() : error("weft::broken_barrier_error: the barrier is broken") {}
    /// With the operation and the reason, e.g. "queue::get(): ...".
    explicit broken_barrier_error(const std::string& what) : error(what) {}
};

/// Several exceptions at once: a task_group whose children failed holds
/// every child's exception, in the order the children finished.
class exception_group : public error {
public:
    exception_group(std::string message, std::vector<std::exception_ptr> exceptions)
        : error(describe(message, exceptions)), exceptions_(std::move(exceptions)) {}
    const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

private:
    static std::string describe(const std::string& message,
                                const std::vector<std::exception_ptr>& exceptions) {
        std::string s = message + " (" + std::to_string(exceptions.size()) + " sub-exception" +
                        (exceptions.size() == 1 ? "" : "s") + ")";
        for (const auto& e : exceptions) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                s += "\n  - ";
                s += x.what();
            } catch (const cancelled_error& x) {
                s += "\n  - ";
                s += x.what();
            } catch (...) {
                s += "\n  - (unknown exception)";
            }
        }
        return s;
    }
    std::vector<std::exception_ptr> exceptions_;
};

} // namespace weft
