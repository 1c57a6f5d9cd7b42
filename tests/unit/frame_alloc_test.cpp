// The frame allocator (weft/scheduler/detail/frame_alloc.hpp): every size
// round-trips, recycled blocks never overlap live ones, and blocks may be
// freed on another thread than the one that allocated them.
#include <weft/scheduler/detail/frame_alloc.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using weft::detail::frame_allocate;
using weft::detail::frame_deallocate;

struct block {
    unsigned char* p;
    std::size_t size;
    unsigned char tag;
};

unsigned char pattern(unsigned char tag, std::size_t i) {
    return static_cast<unsigned char>(tag * 31u + i * 7u + 1u);
}

block make_block(std::size_t size, unsigned char tag) {
    auto* p = static_cast<unsigned char*>(frame_allocate(size));
    for (std::size_t i = 0; i < size; ++i) p[i] = pattern(tag, i);
    return {p, size, tag};
}

/// Index of the first corrupted byte, or size if the block is intact.
std::size_t first_corrupt(const block& b) {
    for (std::size_t i = 0; i < b.size; ++i)
        if (b.p[i] != pattern(b.tag, i)) return i;
    return b.size;
}

bool aligned(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p) % alignof(std::max_align_t) == 0;
}

} // namespace

TEST(FrameAllocTest, EverySizeRoundTrips) {
    for (std::size_t size = 1; size <= 2000; ++size) {
        block b = make_block(size, static_cast<unsigned char>(size));
        ASSERT_NE(b.p, nullptr) << size;
        ASSERT_TRUE(aligned(b.p)) << size;
        ASSERT_EQ(first_corrupt(b), size) << size;
        frame_deallocate(b.p, size);
    }
}

TEST(FrameAllocTest, EverySizeRoundTripsWhileOthersAreLive) {
    std::vector<block> live;
    for (std::size_t size = 1; size <= 2000; ++size)
        live.push_back(make_block(size, static_cast<unsigned char>(size * 3)));
    for (const auto& b : live) ASSERT_EQ(first_corrupt(b), b.size) << b.size;
    for (const auto& b : live) frame_deallocate(b.p, b.size);
}

TEST(FrameAllocTest, ReusedBlocksDoNotCorruptLiveOnes) {
    // Rounds of allocate, write, free half, allocate again: every live block
    // keeps its own pattern, so no block is handed out twice.
    std::vector<block> live;
    unsigned char tag = 0;
    for (int round = 0; round < 20; ++round) {
        for (std::size_t i = 0; i < 200; ++i) {
            std::size_t size = 1 + (i * 37 + static_cast<std::size_t>(round) * 101) % 1500;
            live.push_back(make_block(size, ++tag));
        }
        for (const auto& b : live) ASSERT_EQ(first_corrupt(b), b.size) << "round " << round;
        std::vector<block> keep;
        for (std::size_t i = 0; i < live.size(); ++i) {
            if (i % 2 == 0)
                frame_deallocate(live[i].p, live[i].size);
            else
                keep.push_back(live[i]);
        }
        live.swap(keep);
    }
    for (const auto& b : live) {
        ASSERT_EQ(first_corrupt(b), b.size);
        frame_deallocate(b.p, b.size);
    }
}

TEST(FrameAllocTest, SizesOfOneClassShareBlocks) {
#if defined(WEFT_NO_FRAME_POOL)
    GTEST_SKIP() << "the frame pool is disabled in this build";
#else
    // A freed block is reused for any size of the same 64-byte class. On a
    // fresh thread, so that the thread's cache has room.
    std::thread fresh([] {
        void* a = frame_allocate(100);
        frame_deallocate(a, 100);
        void* b = frame_allocate(128);
        EXPECT_EQ(a, b);
        auto* bytes = static_cast<unsigned char*>(b);
        std::memset(bytes, 0xAB, 128);  // the whole class size is usable
        frame_deallocate(b, 128);
    });
    fresh.join();
#endif
}

TEST(FrameAllocTest, FreedOnAnotherThread) {
    // Blocks allocated on worker threads are freed here, and blocks allocated
    // here are freed on a thread that then exits; the memory stays intact
    // and reusable on both sides.
    constexpr int count = 500;
    std::vector<block> from_thread;
    std::thread producer([&] {
        for (int i = 0; i < count; ++i)
            from_thread.push_back(make_block(1 + static_cast<std::size_t>(i * 13) % 1200,
                                             static_cast<unsigned char>(i)));
    });
    producer.join();
    for (const auto& b : from_thread) ASSERT_EQ(first_corrupt(b), b.size);
    for (const auto& b : from_thread) frame_deallocate(b.p, b.size);

    // Reuse here what the other thread allocated.
    std::vector<block> reused;
    for (int i = 0; i < count; ++i)
        reused.push_back(make_block(1 + static_cast<std::size_t>(i * 13) % 1200, static_cast<unsigned char>(i + 7)));
    for (const auto& b : reused) ASSERT_EQ(first_corrupt(b), b.size);

    std::thread consumer([&] {
        for (const auto& b : reused) {
            EXPECT_EQ(first_corrupt(b), b.size);
            frame_deallocate(b.p, b.size);
        }
        // Allocations on this thread reuse what it just freed.
        std::vector<block> mine;
        for (int i = 0; i < count; ++i)
            mine.push_back(make_block(1 + static_cast<std::size_t>(i * 29) % 1200, static_cast<unsigned char>(i + 3)));
        for (const auto& b : mine) {
            EXPECT_EQ(first_corrupt(b), b.size);
            frame_deallocate(b.p, b.size);
        }
    });
    consumer.join();
}

TEST(FrameAllocTest, ConcurrentThreadsExchangingBlocks) {
    // Two threads allocate and hand their blocks to the other to free.
    constexpr int count = 2000;
    std::vector<block> a_to_b(count), b_to_a(count);
    std::thread a([&] {
        for (int i = 0; i < count; ++i)
            a_to_b[static_cast<std::size_t>(i)] = make_block(1 + static_cast<std::size_t>(i) % 1100, 1);
    });
    std::thread b([&] {
        for (int i = 0; i < count; ++i)
            b_to_a[static_cast<std::size_t>(i)] = make_block(1 + static_cast<std::size_t>(i * 7) % 1100, 2);
    });
    a.join();
    b.join();
    std::thread a2([&] {
        for (auto& blk : b_to_a) {
            EXPECT_EQ(first_corrupt(blk), blk.size);
            frame_deallocate(blk.p, blk.size);
        }
    });
    std::thread b2([&] {
        for (auto& blk : a_to_b) {
            EXPECT_EQ(first_corrupt(blk), blk.size);
            frame_deallocate(blk.p, blk.size);
        }
    });
    a2.join();
    b2.join();
}

TEST(FrameAllocTest, NullDeallocateIsANoOp) {
    frame_deallocate(nullptr, 64);
    void* p = frame_allocate(64);
    EXPECT_NE(p, nullptr);
    frame_deallocate(p, 64);
}
