#include "knn/block_cache.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace infonative::knn_detail {
namespace {

constexpr std::align_val_t kAlignment{64};
constexpr std::size_t kDefaultLimitMiB = 256;

struct Block {
    void* data;
    std::size_t capacity;
};

class BlockCache {
  public:
    BlockCache() : limit_(limit_from_environment()) {}

    // The best-fitting cached block: big enough, and less than twice the request (a small
    // request must not pin a large block).
    void* take(std::size_t bytes, std::size_t* capacity) {
        std::lock_guard<std::mutex> lock(mutex_);
        std::size_t best = blocks_.size();
        for (std::size_t i = 0; i < blocks_.size(); ++i) {
            const std::size_t c = blocks_[i].capacity;
            if (c >= bytes && c / 2 < bytes &&
                (best == blocks_.size() || c < blocks_[best].capacity))
                best = i;
        }
        if (best == blocks_.size()) return nullptr;
        const Block block = blocks_[best];
        blocks_.erase(blocks_.begin() + std::ptrdiff_t(best));
        held_ -= block.capacity;
        *capacity = block.capacity;
        return block.data;
    }

    // Keeps the block, giving back the oldest ones beyond the limit; false: not kept.
    bool keep(void* data, std::size_t capacity) {
        std::vector<Block> evicted;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (capacity > limit_) return false;
            blocks_.push_back(Block{data, capacity});
            held_ += capacity;
            std::size_t drop = 0;
            while (held_ > limit_) held_ -= blocks_[drop++].capacity;
            evicted.assign(blocks_.begin(), blocks_.begin() + std::ptrdiff_t(drop));
            blocks_.erase(blocks_.begin(), blocks_.begin() + std::ptrdiff_t(drop));
        }
        for (const Block& block : evicted) ::operator delete(block.data, kAlignment);
        return true;
    }

  private:
    static std::size_t limit_from_environment() {
        const char* text = std::getenv("INFONATIVE_BUFFER_CACHE_MB");
        char* end = nullptr;
        const long long mib = text ? std::strtoll(text, &end, 10) : -1;
        if (!text || end == text || *end != '\0' || mib < 0) return kDefaultLimitMiB << 20;
        return std::size_t(mib) << 20;
    }

    std::mutex mutex_;
    std::vector<Block> blocks_;  // oldest release first
    std::size_t held_ = 0;
    const std::size_t limit_;
};

// Never destroyed: buffers of other static objects may be released during exit.
BlockCache& cache() {
    static BlockCache* instance = new BlockCache;
    return *instance;
}

}  // namespace

void* acquire_block(std::size_t bytes, std::size_t* capacity) {
    if (bytes >= kMinCachedBytes)
        if (void* block = cache().take(bytes, capacity)) return block;
    *capacity = bytes;
    return ::operator new(bytes, kAlignment);
}

void release_block(void* block, std::size_t capacity) noexcept {
    if (!block) return;
    bool kept = false;
    if (capacity >= kMinCachedBytes) {
        try {
            kept = cache().keep(block, capacity);
        } catch (...) {  // no room to record it (bad_alloc): give it back instead
        }
    }
    if (!kept) ::operator delete(block, kAlignment);
}

}  // namespace infonative::knn_detail
