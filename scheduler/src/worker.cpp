// The worker loop, stealing and the idle protocol (see worker.hpp).
#include "worker.hpp"

#include "trace.hpp"

#include <weft/scheduler/task.hpp>

#include <algorithm>
#include <thread>
#include <cstdlib>

namespace weft::detail {

std::atomic<int> chaos_runtimes{0};

namespace {
thread_local worker* tls_worker = nullptr;
thread_local std::uint64_t tls_chaos_state = 0x853c49e6748fea9bull;

/// Consecutive runs from the LIFO slot; the next LIFO task waits for the
/// loop's next tick instead, so a pair of tasks waking each other cannot
/// keep the rest of the worker's queue waiting.
constexpr unsigned lifo_cap = 3;
/// Task steps per tick between looks at the loop's inbox, timers and FIFO.
constexpr unsigned steps_per_tick = 32;

/// Reverses a singly linked list in place; returns the new head.
runnable* reverse(runnable* head) noexcept {
    runnable* prev = nullptr;
    while (head) {
        runnable* next = head->next_runnable;
        head->next_runnable = prev;
        prev = head;
        head = next;
    }
    return prev;
}
} // namespace

worker::worker(worker_pool& pool, unsigned index, event_loop& loop, std::size_t capacity,
               std::uint64_t seed)
    : pool_(pool), index_(index), loop_(loop), deque_(capacity),
      rng_(seed * 0x9E3779B97F4A7C15ull + index + 1) {}

worker* worker::current() noexcept { return tls_worker; }

void chaos_seed_thread(std::uint64_t seed) noexcept { tls_chaos_state = seed | 1; }

bool chaos_roll() noexcept {
    std::uint64_t& x = tls_chaos_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    return ((x * 2685821657736338717ull) >> 62) == 0;
}

std::uint64_t worker::random() noexcept {
    // xorshift64*: cheap, and good enough to pick steal victims and shuffles.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 2685821657736338717ull;
}

void worker::flush_batch() noexcept {
    if (batch_.empty()) return;
    std::size_t count = batch_.size();
    runnable* tail = batch_.back();
    runnable* head = batch_.take_all();

    if (pool_.chaos() && count > 1) {
        // Chaos builds: a seeded shuffle of what became ready together.
        std::vector<runnable*> items;
        for (runnable* r = head; r; r = r->next_runnable) items.push_back(r);
        for (std::size_t i = items.size(); i > 1; --i)
            std::swap(items[i - 1], items[random() % i]);
        for (std::size_t i = 0; i + 1 < items.size(); ++i) items[i]->next_runnable = items[i + 1];
        items.back()->next_runnable = nullptr;
        head = items.front();
        tail = items.back();
    }

    if (count == 1 && !pool_.chaos()) {
        // One task made ready by what just ran: run it next, here.
        runnable* displaced = std::exchange(lifo_, head);
        if (!displaced) return;
        head = tail = displaced;
        head->next_runnable = nullptr;
    }

    // The earliest items go to the deque (pushed in reverse so that the
    // first made ready pops first); what does not fit goes, in order and in
    // one splice, to the injection queue.
    const std::size_t room = deque_.capacity() - std::min(deque_.capacity(), deque_.size());
    if (count > room) {
        runnable_fifo overflow;
        if (room == 0) {
            overflow.append_chain(head, tail, count);
            head = nullptr;
        } else {
            runnable* cut = head;
            for (std::size_t i = 1; i < room; ++i) cut = cut->next_runnable;
            overflow.append_chain(cut->next_runnable, tail, count - room);
            cut->next_runnable = nullptr;
        }
        overflows_.bump();
        pool_.inject_all(overflow);
    }
    bool pushed = false;
    for (runnable* r = reverse(head); r;) {
        runnable* next = r->next_runnable;
        if (!deque_.push(r)) {
            // A thief cannot make the deque fuller, so this only happens if
            // `room` was computed on a stale size; send it on.
            pool_.inject(r);
        } else {
            pushed = true;
        }
        r = next;
    }
    if (pushed) pool_.notify_one();
}

runnable* worker::take_injected() noexcept {
    runnable_fifo extra;
    const std::size_t room = deque_.capacity() - std::min(deque_.capacity(), deque_.size());
    runnable* r = pool_.pop_injected(extra, room / 2);
    if (!r) return nullptr;
    injection_pulls_.bump();
    // Pushed in reverse: the deque pops them in injection (FIFO) order.
    for (runnable* e = reverse(extra.take_all()); e;) {
        runnable* next = e->next_runnable;
        if (!deque_.push(e)) pool_.inject(e);
        e = next;
    }
    return r;
}

runnable* worker::next_task() noexcept {
    if (lifo_) {
        if (lifo_streak_ < lifo_cap) {
            ++lifo_streak_;
            lifo_hits_.bump();
            return std::exchange(lifo_, nullptr);
        }
        // Streak exhausted: the LIFO task goes behind the loop's FIFO (it
        // runs at the next tick, after up to steps_per_tick other steps).
        // Not to the deque: its bottom would hand it straight back.
        loop_.schedule(std::exchange(lifo_, nullptr));
        lifo_streak_ = 0;
    }
    lifo_streak_ = 0;
    // A countdown rather than a modulo: this runs once per task step.
    bool fair_turn = false;
    if (--until_injection_look_ == 0) {
        until_injection_look_ = std::max(1u, pool_.options().global_queue_interval);
        fair_turn = true;
    }
    if (fair_turn || (pool_.chaos() && random() % 4 == 0)) {
        if (runnable* r = take_injected()) return r;
    }
    if (pool_.chaos() && random() % 4 == 0) {
        // Chaos: the oldest entry instead of the newest.
        if (runnable* r = deque_.steal()) return r;
    }
    if (runnable* r = deque_.pop()) return r;
    return take_injected();
}

std::size_t worker::steal_into(worker& thief) noexcept {
    std::size_t n = deque_.size();
    if (n == 0) return 0;
    std::size_t want = (n + 1) / 2;
    std::size_t got = 0;
    while (got < want) {
        runnable* r = deque_.steal();
        if (!r) break;
        if (!thief.deque_.push(r)) {
            pool_.inject(r);  // the thief's deque is full: keep it available
            break;
        }
        ++got;
    }
    return got;
}

runnable* worker::steal_work() noexcept {
    if (pool_.size() < 2 || !pool_.try_begin_search()) return nullptr;
    steal_attempts_.bump();
    if (trace) trace->instant(trace_event::search);
    runnable* found = nullptr;
    for (unsigned v : steal_order) {
        std::size_t got = pool_.at(v).steal_into(*this);
        if (got > 0) {
            steals_.bump();
            stolen_items_.bump(got);
            if (trace) trace->instant(trace_event::steal, v, got);
            found = deque_.pop();
            if (found) break;
        }
    }
    if (!found) found = take_injected();
    // The last searcher to find work wakes another worker, so that work
    // that is still queued somewhere gets a searcher of its own.
    if (pool_.end_search() && found) pool_.notify_one();
    return found;
}

void worker::run_step(runnable* r) noexcept {
    polled_.bump();
    if (loop_.get_debug())
        loop_.run_ready_item(r);
    else
        r->run(r);
    flush_batch();
}

void worker::poll_io_while_busy() {
    until_io_poll_ = std::max(1u, pool_.options().io_poll_interval);
    if (!loop_.io_driver()) return;
    loop_.poll_io();
    flush_batch();  // the tasks that I/O readiness woke
}

void worker::park() {
    pool_.add_sleeper(index_);
    // Second half of the Dekker pair with notify_one (see worker.hpp): the
    // registration above is visible to notifiers, or their work is to us.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (pool_.any_stealable_work()) {
        pool_.remove_sleeper(index_);
        return;
    }
    parks_.bump();
    if (trace) trace->end(trace_event::run);
    loop_.wait_for_work();
    // The I/O driver's poll may have woken tasks onto this worker's batch.
    flush_batch();
    if (trace) trace->begin(trace_event::run);
    wakes_.bump();
    pool_.remove_sleeper(index_);
}

void worker::run() {
    tls_worker = this;
    if (pool_.chaos()) chaos_seed_thread(rng_ ^ 0x2545F4914F6CDD1Dull);
    if (trace) trace->begin(trace_event::run);
    while (!loop_.stop_requested_.load(std::memory_order_acquire)) {
        bool did = false;
        loop_.drain_inbox();
        if (loop_.fire_due_timers() > 0) {
            flush_batch();
            did = true;
        }
        if (loop_.run_ready_snapshot() > 0) did = true;
        for (unsigned k = 0; k < steps_per_tick; ++k) {
            runnable* r = next_task();
            if (!r) break;
            run_step(r);
            did = true;
            if (--until_io_poll_ == 0) poll_io_while_busy();
            if (loop_.inbox_hint_.load(std::memory_order_relaxed)) break;
        }
        // The FIFO is not empty when next_task() has just moved an exhausted
        // LIFO task behind it: that is work of this loop, not a reason to
        // park (no one else would wake us for it).
        if (did || !loop_.ready_.empty()) continue;
        if (runnable* r = steal_work()) {
            run_step(r);
            continue;
        }
        park();
    }
    if (trace) trace->end(trace_event::run);
    tls_worker = nullptr;
}

void worker::discard_queued() noexcept {
    lifo_ = nullptr;
    batch_.take_all();
    while (deque_.pop()) {
    }
}

worker_metrics worker::metrics() const {
    worker_metrics m;
    m.worker = index_;
    m.tasks_polled = polled_.get();
    m.steals = steals_.get();
    m.stolen_tasks = stolen_items_.get();
    m.steal_attempts = steal_attempts_.get();
    m.lifo_hits = lifo_hits_.get();
    m.parks = parks_.get();
    m.wakes = wakes_.get();
    m.injection_pulls = injection_pulls_.get();
    m.overflows = overflows_.get();
    m.queue_depth = deque_.size();
    return m;
}

void worker_run(worker& w) { w.run(); }

// --- pool ---------------------------------------------------------------------

worker_pool::worker_pool(const runtime_options& opts, std::vector<event_loop*> loops,
                         std::vector<std::vector<unsigned>> steal_orders, std::uint64_t seed,
                         bool chaos)
    : opts_(opts), chaos_(chaos) {
    workers_.reserve(loops.size());
    for (unsigned i = 0; i < loops.size(); ++i) {
        auto w = std::make_unique<worker>(*this, i, *loops[i], opts.local_queue_capacity, seed);
        w->steal_order = std::move(steal_orders.at(i));
        loops[i]->set_worker(w.get());
        workers_.push_back(std::move(w));
    }
    sleepers_.reserve(loops.size());
    // Relaxed: see chaos_active(); set before the workers start.
    if (chaos_) chaos_runtimes.fetch_add(1, std::memory_order_relaxed);
}

worker_pool::~worker_pool() {
    if (chaos_) chaos_runtimes.fetch_sub(1, std::memory_order_relaxed);
}

void worker_pool::inject(runnable* r) noexcept {
    injector_guard busy(*this);
    {
        spin_guard g(inject_lock_);
        injected_.push(r);
        // Relaxed: a hint read by idle checks; the lock orders the queue.
        injected_size_.store(injected_.size(), std::memory_order_relaxed);
    }
    notify_one();
}

void worker_pool::inject_all(runnable_fifo& list) noexcept {
    if (list.empty()) return;
    injector_guard busy(*this);
    {
        spin_guard g(inject_lock_);
        injected_.splice(list);
        // Relaxed: a hint (see inject()); pairs with no load.
        injected_size_.store(injected_.size(), std::memory_order_relaxed);
    }
    notify_one();
}

runnable* worker_pool::pop_injected(runnable_fifo& extra, std::size_t max_extra) noexcept {
    if (injection_empty()) return nullptr;
    spin_guard g(inject_lock_);
    runnable* r = injected_.pop();
    // A fair share of the rest, so that a long injection queue (an overflow
    // of a big spawn batch) drains with one lock per batch, not per task.
    std::size_t share = std::min(max_extra, injected_.size() / workers_.size());
    while (share-- > 0) extra.push(injected_.pop());
    // Relaxed: a hint (see inject()); pairs with no load.
    injected_size_.store(injected_.size(), std::memory_order_relaxed);
    return r;
}

void worker_pool::wait_for_injectors() const noexcept {
    while (injectors_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

void worker_pool::notify_one() noexcept {
    // First half of the Dekker pair with park(): the work pushed before this
    // fence is visible to a worker that registers as a sleeper after it, or
    // that worker's registration is visible to the loads below.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (sleeping_count_.load(std::memory_order_relaxed) == 0) return;
    if (searching_.load(std::memory_order_relaxed) > 0) return;  // a searcher will find it
    unsigned target;
    {
        std::lock_guard<std::mutex> g(sleepers_mutex_);
        if (sleepers_.empty()) return;
        target = sleepers_.back();
        sleepers_.pop_back();
        // Relaxed: the mutex orders it with add/remove_sleeper.
        sleeping_count_.store(static_cast<unsigned>(sleepers_.size()), std::memory_order_relaxed);
    }
    workers_[target]->loop().wake();
}

bool worker_pool::try_begin_search() noexcept {
    // At most half of the workers search at once (at least one).
    const unsigned limit = std::max<unsigned>(1, static_cast<unsigned>(workers_.size() / 2));
    unsigned cur = searching_.load(std::memory_order_relaxed);
    while (cur < limit) {
        // seq_cst: notify_one's load of searching_ is ordered against it.
        if (searching_.compare_exchange_weak(cur, cur + 1, std::memory_order_seq_cst,
                                             std::memory_order_relaxed))
            return true;
    }
    return false;
}

bool worker_pool::end_search() noexcept {
    // seq_cst: a notifier that saw us searching relied on us; after this
    // decrement we either found work or re-check every queue in park().
    return searching_.fetch_sub(1, std::memory_order_seq_cst) == 1;
}

void worker_pool::add_sleeper(unsigned index) {
    std::lock_guard<std::mutex> g(sleepers_mutex_);
    sleepers_.push_back(index);
    // seq_cst: with park()'s fence after this call, the sleeper half of the
    // Dekker pair with notify_one()'s fence and load of sleeping_count_.
    sleeping_count_.store(static_cast<unsigned>(sleepers_.size()), std::memory_order_seq_cst);
}

bool worker_pool::remove_sleeper(unsigned index) {
    std::lock_guard<std::mutex> g(sleepers_mutex_);
    auto it = std::find(sleepers_.begin(), sleepers_.end(), index);
    if (it == sleepers_.end()) return false;
    sleepers_.erase(it);
    // Relaxed: a decrease only saves notifiers a lock; the mutex orders it
    // with add_sleeper and notify_one.
    sleeping_count_.store(static_cast<unsigned>(sleepers_.size()), std::memory_order_relaxed);
    return true;
}

bool worker_pool::any_stealable_work() const noexcept {
    if (!injection_empty()) return true;
    for (const auto& w : workers_)
        if (w->maybe_has_stealable()) return true;
    return false;
}

void worker_pool::discard_queued() noexcept {
    for (auto& w : workers_) w->discard_queued();
    spin_guard g(inject_lock_);
    injected_.take_all();
    // Relaxed: the workers are joined; nobody reads it concurrently.
    injected_size_.store(0, std::memory_order_relaxed);
}

std::vector<worker_metrics> worker_pool::metrics() const {
    std::vector<worker_metrics> out;
    out.reserve(workers_.size());
    for (const auto& w : workers_) out.push_back(w->metrics());
    return out;
}

} // namespace weft::detail

namespace weft {

std::vector<event_loop*> event_loop::runtime_loops() {
    if (!worker_) return {this};
    std::vector<event_loop*> out;
    detail::worker_pool& pool = worker_->pool();
    for (std::size_t i = 0; i < pool.size(); ++i) out.push_back(&pool.at(i).loop());
    return out;
}

bool event_loop::same_runtime(const event_loop& other) const noexcept {
    return worker_ && other.worker_ && &worker_->pool() == &other.worker_->pool();
}

void event_loop::schedule_stealable(detail::runnable* r) noexcept {
    detail::worker* w = detail::worker::current();
    if (w && &w->pool() == &worker_->pool()) {
        w->push_ready(r);
    } else {
        worker_->pool().inject(r);
    }
}

} // namespace weft
