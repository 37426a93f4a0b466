// One-dimensional point sets: a sorted copy of the values, neighbour counts by galloping binary
// search from the point's own position, k-th neighbour distances by a two-pointer walk.
//
// Every comparison evaluates |x_j - x_i| exactly as a brute force would: fl(x_j - x_i) is
// monotone in x_j, so the searches find the same boundary as testing every point.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "buffer.hpp"
#include "knn/points.hpp"
#include "knn/radix_sort.hpp"

namespace infonative::knn_detail {

template <class T>
class SortedMarginal {
  public:
    // Allocates for up to `capacity` points.
    void reserve(std::int64_t capacity) {
        values_.resize(std::size_t(capacity));
        rows_.resize(std::size_t(capacity));
        order_.resize(std::size_t(capacity));
        scratch_.resize(std::size_t(capacity));
    }

    // Sorts column 0 of the listed rows (all rows when `rows` is null) by (value, row).
    // Never allocates.
    void build(const Points<T>& points, const Index* rows, std::int64_t count) {
        n_ = count;
        // rows arrive in increasing order when rows is null or sorted: a stable sort keeps ties
        // in row order
        sort_rows_by_axis(points, rows, count, 0, order_.data(), scratch_.data(), rows_.data());
        for (std::int64_t j = 0; j < count; ++j)
            values_[std::size_t(j)] = points.row(rows_[std::size_t(j)])[0];
    }

    std::int64_t size() const { return n_; }
    T value_at(std::int64_t pos) const { return values_[std::size_t(pos)]; }
    Index row_at(std::int64_t pos) const { return rows_[std::size_t(pos)]; }
    const Index* rows() const { return rows_.data(); }
    const T* values() const { return values_.data(); }

    // A position holding the value x (present in the set): the first one.
    std::int64_t position_of(T x) const {
        return std::lower_bound(values_.data(), values_.data() + n_, x) - values_.data();
    }

    // Counts for `count` queries at once: out[j] = points other than the query itself within
    // radius[j] of x[j], a value of the set (a negative radius counts none).
    //
    // First the range [lo, hi] that holds every hit of the batch (the queries of one leaf are
    // near each other, so it is short), found with comparisons against the batch's extreme
    // x -/+ r widened by a margin far above the rounding of fl(v - x); then, per query, each
    // end by bisection within that range. The queries are interleaved and select without
    // branches: their loads overlap instead of waiting on one another or on mispredictions.
    void count_within_batch(const T* x, const T* radius, int count, std::int64_t* out) const {
        constexpr int kMax = 64;
        if (count <= 0) return;
        const T* v = values_.data();
        T low = x[0], high = x[0], scale = 0;
        for (int j = 0; j < count; ++j) {
            const T r = std::max(radius[j], T(0));
            low = std::min(low, T(x[j] - r));
            high = std::max(high, T(x[j] + r));
            scale = std::max(scale, T(std::abs(x[j]) + r));
        }
        const T margin = scale * (sizeof(T) == 8 ? T(0x1p-48) : T(0x1p-19));
        const std::int64_t lo = std::lower_bound(v, v + n_, T(low - margin)) - v;
        const std::int64_t hi = (std::upper_bound(v, v + n_, T(high + margin)) - v) - 1;
        // right ends: v[lo] <= x holds; left ends: v[hi] >= x holds
        std::int64_t last[kMax], first[kMax];
        for (int j = 0; j < count; ++j) {
            last[j] = lo;
            first[j] = hi;
        }
        for (std::int64_t len = hi - lo + 1; len > 1; len -= len / 2) {
            const std::int64_t half = len / 2;
            for (int j = 0; j < count; ++j) {
                const std::int64_t up = last[j] + half, down = first[j] - half;
                const std::int64_t hit_up = T(v[up] - x[j]) <= radius[j];
                const std::int64_t hit_down = T(x[j] - v[down]) <= radius[j];
                last[j] += half & -hit_up;  // arithmetic select: no branch
                first[j] -= half & -hit_down;
            }
        }
        for (int j = 0; j < count; ++j) out[j] = std::max(last[j] - first[j], std::int64_t(0));
    }

    // count_within_batch for the points at positions first..first+count-1 themselves.
    void count_within_at(std::int64_t first, const T* radius, int count,
                         std::int64_t* out) const {
        count_within_batch(values_.data() + first, radius, count, out);
    }

    // Distance from the value at `pos` to its k-th nearest other point (k < size()).
    T kth_distance(std::int64_t pos, int k) const {
        const T x = values_[std::size_t(pos)];
        const T inf = std::numeric_limits<T>::infinity();
        std::int64_t l = pos - 1, r = pos + 1;
        T d = 0;
        for (int c = 0; c < k; ++c) {
            const T dl = l >= 0 ? T(x - values_[std::size_t(l)]) : inf;
            const T dr = r < n_ ? T(values_[std::size_t(r)] - x) : inf;
            if (dl <= dr) {
                d = dl;
                --l;
            } else {
                d = dr;
                ++r;
            }
        }
        return d;
    }

  private:
    std::int64_t n_ = 0;
    Buffer<T> values_;
    Buffer<Index> rows_;
    Buffer<KeyRow<std::uint32_t>> order_, scratch_;  // sort buffers
};

}  // namespace infonative::knn_detail
