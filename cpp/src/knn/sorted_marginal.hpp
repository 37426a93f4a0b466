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

#include "knn/points.hpp"
#include "knn/radix_sort.hpp"

namespace infonative::knn_detail {

template <class T>
class SortedMarginal {
  public:
    // Allocates for up to `capacity` points; `with_rank` keeps a row -> position map for rows
    // 0..rows_total-1 (then queries by row need no search).
    void reserve(std::int64_t capacity, std::int64_t rows_total, bool with_rank) {
        values_.resize(std::size_t(capacity));
        rows_.resize(std::size_t(capacity));
        order_.resize(std::size_t(capacity));
        scratch_.resize(std::size_t(capacity));
        rank_.resize(with_rank ? std::size_t(rows_total) : 0);
    }

    // Sorts column 0 of the listed rows (all rows when `rows` is null) by (value, row).
    // Never allocates.
    void build(const Points<T>& points, const Index* rows, std::int64_t count) {
        n_ = count;
        for (std::int64_t j = 0; j < count; ++j) {
            const Index r = rows ? rows[j] : Index(j);
            order_[std::size_t(j)] = {to_sort_bits(points.row(r)[0]), r};
        }
        // rows arrive in increasing order when rows is null or sorted: a stable sort keeps ties
        // in row order
        const auto* sorted = radix_sort_pairs(order_.data(), scratch_.data(), count);
        for (std::int64_t j = 0; j < count; ++j) {
            values_[std::size_t(j)] = from_sort_bits<T>(sorted[j].first);
            rows_[std::size_t(j)] = sorted[j].second;
        }
        if (!rank_.empty())
            for (std::int64_t j = 0; j < count; ++j) rank_[std::size_t(rows_[std::size_t(j)])] = Index(j);
    }

    std::int64_t size() const { return n_; }
    T value_at(std::int64_t pos) const { return values_[std::size_t(pos)]; }
    Index row_at(std::int64_t pos) const { return rows_[std::size_t(pos)]; }
    const Index* rows() const { return rows_.data(); }

    // A position holding the value x (present in the set): the row's rank when kept, otherwise
    // the first position of that value.
    std::int64_t position_of(Index row, T x) const {
        if (!rank_.empty()) return rank_[std::size_t(row)];
        return std::lower_bound(values_.begin(), values_.begin() + n_, x) - values_.begin();
    }

    // Number of OTHER points j with |x_j - x| <= r, x the value at position pos. Gallops out from
    // pos (neighbours are near) to bracket each end, then bisects without branches (the
    // comparisons are unpredictable; a conditional move costs less than a mispredicted jump).
    std::int64_t count_within(std::int64_t pos, T r) const {
        const T x = values_[std::size_t(pos)];
        const T* v = values_.data();
        std::int64_t step = 1;
        while (pos + step < n_ && T(v[pos + step] - x) <= r) step *= 2;
        std::int64_t last = pos + step / 2, len = std::min(pos + step, n_) - last;  // v[last] hits
        while (len > 1) {
            const std::int64_t half = len / 2;
            last = T(v[last + half] - x) <= r ? last + half : last;
            len -= half;
        }
        step = 1;
        while (pos - step >= 0 && T(x - v[pos - step]) <= r) step *= 2;
        std::int64_t first = pos - step / 2;  // v[first] hits
        len = first - std::max(pos - step, std::int64_t(-1));
        while (len > 1) {
            const std::int64_t half = len / 2;
            first = T(x - v[first - half]) <= r ? first - half : first;
            len -= half;
        }
        return last - first;
    }

    // Counts for `count` queries at once: out[j] = points other than the query itself within
    // radius[j] of x[j], a value of the set (a negative radius counts none). Each end is a
    // full-range bisection from the array's ends, so the first probes of every query land on
    // the same few cache lines; the queries are interleaved and select without branches, so
    // their loads overlap instead of waiting on one another or on mispredicted jumps.
    void count_within_batch(const T* x, const T* radius, int count, std::int64_t* out) const {
        constexpr int kMax = 64;
        std::int64_t last[kMax], first[kMax];
        const T* v = values_.data();
        for (int j = 0; j < count; ++j) {
            last[j] = 0;        // v[0] - x <= r holds (v[0] <= x)
            first[j] = n_ - 1;  // x - v[n-1] <= r holds (v[n-1] >= x)
        }
        for (std::int64_t len = n_; len > 1; len -= len / 2) {
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
    std::vector<T> values_;
    std::vector<Index> rows_;
    std::vector<Index> rank_;
    std::vector<std::pair<SortBits<T>, Index>> order_, scratch_;  // sort buffers
};

}  // namespace infonative::knn_detail
