// weft::outcome<T>: one result of gather_settled (asyncio's
// gather(..., return_exceptions=True)): a value, an exception, or cancelled.
#pragma once

#include <weft/errors.hpp>
#include <weft/scheduler/detail/future_state.hpp>

#include <exception>
#include <string>
#include <utility>
#include <variant>

namespace weft {

template <class T>
class outcome {
public:
    using value_type = detail::stored_t<T>;

    static outcome from_value(value_type v) { return outcome(std::in_place_index<0>, std::move(v)); }
    static outcome from_exception(std::exception_ptr e) { return outcome(std::in_place_index<1>, std::move(e)); }
    static outcome from_cancelled(std::string message) {
        return outcome(std::in_place_index<2>, cancelled_error(std::move(message)));
    }

    bool has_value() const noexcept { return v_.index() == 0; }
    bool has_exception() const noexcept { return v_.index() == 1; }
    bool cancelled() const noexcept { return v_.index() == 2; }

    /// The value; rethrows the exception or throws cancelled_error otherwise.
    value_type& value() & {
        rethrow_if_failed();
        return std::get<0>(v_);
    }
    value_type&& value() && {
        rethrow_if_failed();
        return std::get<0>(std::move(v_));
    }
    /// The exception (null unless has_exception()).
    std::exception_ptr exception() const noexcept {
        return has_exception() ? std::get<1>(v_) : nullptr;
    }

private:
    template <std::size_t I, class A>
    outcome(std::in_place_index_t<I> i, A&& a) : v_(i, std::forward<A>(a)) {}
    void rethrow_if_failed() const {
        if (has_exception()) std::rethrow_exception(std::get<1>(v_));
        if (cancelled()) throw std::get<2>(v_);
    }
    std::variant<value_type, std::exception_ptr, cancelled_error> v_;
};

} // namespace weft
