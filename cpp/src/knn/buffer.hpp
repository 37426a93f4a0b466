// Storage that is not zero-filled on allocation: trees, sorted copies and joint buffers are
// written in full before they are read, and zeroing them first costs a pass over memory.
#pragma once
#include <cstddef>
#include <memory>
#include <type_traits>

namespace infonative::knn_detail {

template <class T>
class Buffer {
    static_assert(std::is_trivially_default_constructible_v<T>, "no constructors to skip");

  public:
    Buffer() = default;
    explicit Buffer(std::size_t n) { resize(n); }
    // Contents are unspecified after a change of size.
    void resize(std::size_t n) {
        if (n == size_) return;
        data_.reset(n ? new T[n] : nullptr);
        size_ = n;
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    T* begin() { return data_.get(); }
    const T* begin() const { return data_.get(); }
    T& operator[](std::size_t i) { return data_[i]; }
    const T& operator[](std::size_t i) const { return data_[i]; }
    void swap(Buffer& other) {
        data_.swap(other.data_);
        std::swap(size_, other.size_);
    }

  private:
    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0;
};

}  // namespace infonative::knn_detail
