// Storage that is not zero-filled on allocation: trees, sorted copies and joint buffers are
// written in full before they are read, and zeroing them first costs a pass over memory.
//
// Large buffers are placed on transparent huge pages where Linux offers them (as numpy does for
// its large arrays): an estimator allocates its working memory afresh on every call and writes
// all of it, and with 4 KiB pages a million samples cost tens of thousands of page faults.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace infonative::knn_detail {

namespace buffer_detail {

constexpr std::size_t kHugePage = std::size_t(2) << 20;
// From this size on a buffer is rounded up to whole huge pages (at most double the memory).
constexpr std::size_t kHugeFrom = std::size_t(1) << 20;

inline void* allocate(std::size_t bytes) {
    void* p = nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (bytes >= kHugeFrom) {
        const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
        p = std::aligned_alloc(kHugePage, rounded);
        if (p) madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
    }
#endif
    if (!p) p = std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    return p;
}

struct Free {
    void operator()(void* p) const { std::free(p); }
};

}  // namespace buffer_detail

template <class T>
class Buffer {
    static_assert(std::is_trivially_default_constructible_v<T> && std::is_trivially_destructible_v<T>,
                  "no constructors or destructors to skip");

  public:
    Buffer() = default;
    explicit Buffer(std::size_t n) { resize(n); }
    // Contents are unspecified after a change of size.
    void resize(std::size_t n) {
        if (n == size_) return;
        data_.reset();
        size_ = 0;
        if (n == 0) return;
        if (n > std::size_t(-1) / sizeof(T)) throw std::bad_alloc();
        data_.reset(static_cast<T*>(buffer_detail::allocate(n * sizeof(T))));
        size_ = n;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    T* begin() { return data_.get(); }
    const T* begin() const { return data_.get(); }
    T& operator[](std::size_t i) { return data_.get()[i]; }
    const T& operator[](std::size_t i) const { return data_.get()[i]; }
    void swap(Buffer& other) {
        data_.swap(other.data_);
        std::swap(size_, other.size_);
    }

  private:
    std::unique_ptr<T, buffer_detail::Free> data_;
    std::size_t size_ = 0;
};

}  // namespace infonative::knn_detail
