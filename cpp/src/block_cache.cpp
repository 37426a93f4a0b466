#include "infonative/block_cache.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace infonative {
namespace {

constexpr std::size_t kHugePage = std::size_t(2) << 20;

struct Block {
    void* data;
    std::size_t capacity;
};

// Large blocks in whole transparent huge pages where the system offers them on request (as
// numpy does for large arrays): 512 times fewer page faults on first touch.
Block allocate(std::size_t bytes) {
    const bool huge = bytes >= kHugePage;
    const std::size_t capacity = huge ? (bytes + kHugePage - 1) / kHugePage * kHugePage : bytes;
    void* data = nullptr;
    if (posix_memalign(&data, huge ? kHugePage : 64, capacity) != 0) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (huge) madvise(data, capacity, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
    return Block{data, capacity};
}

class BlockCache {
  public:
    // A kept block that fits without wasting more than half of it (most recently freed
    // first), or none.
    bool take(std::size_t bytes, Block* out) {
        std::lock_guard<std::mutex> lock(mutex_);
        for (std::size_t i = kept_.size(); i-- > 0;) {
            const Block b = kept_[i];
            if (b.capacity >= bytes && b.capacity / 2 <= bytes) {
                kept_.erase(kept_.begin() + std::ptrdiff_t(i));
                held_ -= b.capacity;
                *out = b;
                return true;
            }
        }
        return false;
    }

    // Keeps the block if it fits under the limit, dropping the oldest kept ones to make room.
    void give_back(Block b) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (b.capacity > limit_ || b.capacity < kMinCachedBytes) {
            std::free(b.data);
            return;
        }
        while (held_ + b.capacity > limit_) drop_oldest();
        kept_.reserve(kept_.size() + 1);  // may throw: then the block is not kept (caller frees)
        kept_.push_back(b);
        held_ += b.capacity;
    }

    void set_limit(std::size_t bytes) {
        std::lock_guard<std::mutex> lock(mutex_);
        limit_ = bytes;
        while (held_ > limit_) drop_oldest();
    }
    std::size_t limit() {
        std::lock_guard<std::mutex> lock(mutex_);
        return limit_;
    }
    std::size_t held() {
        std::lock_guard<std::mutex> lock(mutex_);
        return held_;
    }

  private:
    void drop_oldest() {
        std::free(kept_.front().data);
        held_ -= kept_.front().capacity;
        kept_.erase(kept_.begin());
    }

    std::mutex mutex_;
    std::vector<Block> kept_;  // oldest first
    std::size_t held_ = 0;
    std::size_t limit_ = std::size_t(512) << 20;
};

// Never destroyed: blocks may be released during exit, after static destructors have run.
BlockCache& cache() {
    static BlockCache* instance = new BlockCache;
    return *instance;
}

}  // namespace

void* acquire_block(std::size_t bytes, std::size_t* capacity) {
    Block b{nullptr, 0};
    if (bytes < kMinCachedBytes || !cache().take(bytes, &b)) b = allocate(bytes ? bytes : 1);
    *capacity = b.capacity;
    return b.data;
}

void release_block(void* block, std::size_t capacity) noexcept {
    if (!block) return;
    try {
        cache().give_back(Block{block, capacity});
    } catch (...) {  // no room to record it: give it back to the system instead
        std::free(block);
    }
}

void set_block_cache_limit(std::size_t bytes) { cache().set_limit(bytes); }
std::size_t block_cache_limit() { return cache().limit(); }
std::size_t block_cache_held() { return cache().held(); }

}  // namespace infonative
