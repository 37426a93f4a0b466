// The joint space of several variables as one contiguous (n, D) buffer: the one copy a joint
// kd-tree needs (its rows must hold all coordinates of a sample). A row map per variable pairs
// row i with row map[i] of that variable, which is how surrogates permute a variable.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "buffer.hpp"
#include "knn/points.hpp"

namespace infonative::knn_detail {

template <class T>
class JointBuffer {
  public:
    void reserve(std::int64_t n, int dim) {
        n_ = n;
        dim_ = dim;
        data_.resize(std::size_t(n) * std::size_t(dim));
    }

    // Writes the columns [offset, offset + part.dim) of every row from part: row i gets
    // part.row(map(i)), or with `order`, row pos gets part.row(map(order[pos])) (tree order);
    // map(i) = map[i], or i when map is null. Requires reserve(); never allocates.
    void fill_part(const Points<T>& part, int offset, const std::int64_t* map,
                   const Index* order = nullptr) {
        T* out = data_.data() + offset;
        for (std::int64_t i = 0; i < n_; ++i) {
            const std::int64_t row = order ? std::int64_t(order[i]) : i;
            const T* src = part.row(map ? map[row] : row);
            std::copy(src, src + part.dim, out + i * dim_);
        }
    }

    T* data() { return data_.data(); }
    Points<T> view() const { return Points<T>{data_.data(), n_, dim_, dim_}; }

  private:
    std::int64_t n_ = 0;
    int dim_ = 0;
    Buffer<T> data_;
};

}  // namespace infonative::knn_detail
