#include <weft/scheduler/detail/timer_heap.hpp>

namespace weft::detail {

namespace {
constexpr std::size_t arity = 4;
std::int64_t ns_of(std::chrono::steady_clock::time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
} // namespace

void timer_heap::push(timer_node* n) {
    slot s{ns_of(n->when), next_seq_++, n};
    slots_.push_back(s);
    sift_up(slots_.size() - 1, s);
}

timer_node* timer_heap::pop() noexcept {
    timer_node* n = slots_.front().node;
    slot last = slots_.back();
    slots_.pop_back();
    if (!slots_.empty()) sift_down(0, last);
    n->heap_index = timer_node::not_queued;
    return n;
}

void timer_heap::remove(timer_node* n) noexcept {
    std::size_t i = n->heap_index;
    slot last = slots_.back();
    slots_.pop_back();
    n->heap_index = timer_node::not_queued;
    if (i == slots_.size()) return;  // it was the last slot
    if (i > 0 && before(last, slots_[(i - 1) / arity]))
        sift_up(i, last);
    else
        sift_down(i, last);
}

void timer_heap::clear() noexcept {
    for (auto& s : slots_) s.node->heap_index = timer_node::not_queued;
    slots_.clear();
}

void timer_heap::sift_up(std::size_t i, slot s) noexcept {
    while (i > 0) {
        std::size_t parent = (i - 1) / arity;
        if (!before(s, slots_[parent])) break;
        place(i, slots_[parent]);
        i = parent;
    }
    place(i, s);
}

void timer_heap::sift_down(std::size_t i, slot s) noexcept {
    const std::size_t n = slots_.size();
    for (;;) {
        std::size_t first = i * arity + 1;
        if (first >= n) break;
        std::size_t best = first;
        std::size_t end = first + arity < n ? first + arity : n;
        for (std::size_t c = first + 1; c < end; ++c)
            if (before(slots_[c], slots_[best])) best = c;
        if (!before(slots_[best], s)) break;
        place(i, slots_[best]);
        i = best;
    }
    place(i, s);
}

} // namespace weft::detail
