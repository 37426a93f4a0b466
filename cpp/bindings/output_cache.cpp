// The output buffer cache (see output_cache.hpp for why).
#include "output_cache.hpp"

#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace infonative::bindings {

namespace {

struct Buffer {
    void* data;
    std::size_t capacity;
};

constexpr std::size_t kHugePage = std::size_t(2) << 20;

// Transparent huge pages where the system offers them on request (as numpy does for large
// arrays): 512 times fewer page faults on first touch.
Buffer allocate(std::size_t bytes) {
    const std::size_t capacity = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* data = nullptr;
    if (posix_memalign(&data, kHugePage, capacity) != 0) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    madvise(data, capacity, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
    return Buffer{data, capacity};
}

class BufferCache {
  public:
    // A kept buffer that fits without wasting more than half of it, else a new one.
    Buffer take(std::size_t bytes) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (std::size_t i = kept_.size(); i-- > 0;) {  // most recently freed first
                const Buffer b = kept_[i];
                if (b.capacity >= bytes && b.capacity / 2 <= bytes) {
                    kept_.erase(kept_.begin() + std::ptrdiff_t(i));
                    held_ -= b.capacity;
                    return b;
                }
            }
        }
        return allocate(bytes);
    }

    // Keeps the buffer if it fits under the limit, dropping the oldest kept ones to make room.
    void give_back(Buffer b) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (b.capacity > limit_) {
            std::free(b.data);
            return;
        }
        while (held_ + b.capacity > limit_) drop_oldest();
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
    std::vector<Buffer> kept_;  // oldest first
    std::size_t held_ = 0;
    std::size_t limit_ = std::size_t(512) << 20;
};

// Never destroyed: arrays may be freed during interpreter shutdown, after static destructors.
BufferCache& cache() {
    static BufferCache* instance = new BufferCache;
    return *instance;
}

void release_buffer(void* owner) {
    Buffer* b = static_cast<Buffer*>(owner);
    cache().give_back(*b);
    delete b;
}

}  // namespace

py::array empty_output(const std::vector<py::ssize_t>& shape, const py::dtype& dtype) {
    std::size_t bytes = std::size_t(dtype.itemsize());
    for (py::ssize_t n : shape) {
        if (n < 0) throw std::invalid_argument("empty_output: negative dimension");
        bytes *= std::size_t(n);
    }
    if (bytes < kCachedOutputMinBytes || cache().limit() == 0) return py::array(dtype, shape);
    auto buffer = std::make_unique<Buffer>(cache().take(bytes));
    void* data = buffer->data;
    py::capsule owner(buffer.get(), release_buffer);  // from here the capsule returns it
    buffer.release();
    return py::array(dtype, shape, {}, data, owner);
}

void set_output_cache_limit(std::size_t bytes) { cache().set_limit(bytes); }
std::size_t output_cache_limit() { return cache().limit(); }
std::size_t output_cache_held() { return cache().held(); }

}  // namespace infonative::bindings
