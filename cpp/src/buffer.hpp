// Storage that is not zero-filled on allocation: work buffers (kNN trees, sorted copies, joint
// buffers; softmax's per-thread pieces) are written in full before they are read, and zeroing
// them first costs a pass over memory. Large buffers come from the block cache
// (infonative/block_cache.hpp): the next call reuses them without page faults.
#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>

#include "infonative/block_cache.hpp"

namespace infonative::detail {

template <class T>
class Buffer {
    static_assert(std::is_trivially_default_constructible_v<T>, "no constructors to skip");

  public:
    Buffer() = default;
    explicit Buffer(std::size_t n) { resize(n); }
    Buffer(Buffer&& other) noexcept { swap(other); }
    Buffer& operator=(Buffer&& other) noexcept {
        swap(other);
        return *this;
    }
    ~Buffer() { release_block(data_, capacity_); }

    // Contents are unspecified after a change of size.
    void resize(std::size_t n) {
        if (n == size_) return;
        release_block(data_, capacity_);
        data_ = nullptr;
        size_ = capacity_ = 0;
        if (n == 0) return;
        data_ = static_cast<T*>(acquire_block(n * sizeof(T), &capacity_));
        size_ = n;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return data_; }
    const T* data() const { return data_; }
    T* begin() { return data_; }
    const T* begin() const { return data_; }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    void swap(Buffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
    }

  private:
    T* data_ = nullptr;
    std::size_t size_ = 0, capacity_ = 0;  // elements asked for; bytes of the block
};

}  // namespace infonative::detail

namespace infonative::knn_detail {
using detail::Buffer;  // the kNN engine's buffers
}  // namespace infonative::knn_detail
