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
        rank_.resize(with_rank ? std::size_t(rows_total) : 0);
    }

    // Sorts column 0 of the listed rows (all rows when `rows` is null) by (value, row).
    void build(const Points<T>& points, const Index* rows, std::int64_t count) {
        n_ = count;
        for (std::int64_t j = 0; j < count; ++j) {
            const Index r = rows ? rows[j] : Index(j);
            order_[std::size_t(j)] = {points.row(r)[0], r};
        }
        std::sort(order_.begin(), order_.begin() + count);
        for (std::int64_t j = 0; j < count; ++j) {
            values_[std::size_t(j)] = order_[std::size_t(j)].first;
            rows_[std::size_t(j)] = order_[std::size_t(j)].second;
        }
        if (!rank_.empty())
            for (std::int64_t j = 0; j < count; ++j) rank_[std::size_t(rows_[std::size_t(j)])] = Index(j);
    }

    std::int64_t size() const { return n_; }
    T value_at(std::int64_t pos) const { return values_[std::size_t(pos)]; }
    Index row_at(std::int64_t pos) const { return rows_[std::size_t(pos)]; }

    // A position holding the value x (present in the set): the row's rank when kept, otherwise
    // the first position of that value.
    std::int64_t position_of(Index row, T x) const {
        if (!rank_.empty()) return rank_[std::size_t(row)];
        return std::lower_bound(values_.begin(), values_.begin() + n_, x) - values_.begin();
    }

    // Number of OTHER points j with |x_j - x| <= r, x the value at position pos. Gallops out from
    // pos (neighbours are few and near), then bisects between the last hit and the first miss.
    std::int64_t count_within(std::int64_t pos, T r) const {
        const T x = values_[std::size_t(pos)];
        const T* v = values_.data();
        std::int64_t hit = pos, step = 1;
        while (hit + step < n_ && T(v[hit + step] - x) <= r) {
            hit += step;
            step *= 2;
        }
        std::int64_t miss = std::min(hit + step, n_);
        while (miss - hit > 1) {
            const std::int64_t mid = hit + (miss - hit) / 2;
            if (T(v[mid] - x) <= r) hit = mid;
            else miss = mid;
        }
        const std::int64_t right = miss;  // one past the last hit
        hit = pos;
        step = 1;
        while (hit - step >= 0 && T(x - v[hit - step]) <= r) {
            hit -= step;
            step *= 2;
        }
        miss = std::max(hit - step, std::int64_t(-1));
        while (hit - miss > 1) {
            const std::int64_t mid = miss + (hit - miss) / 2;
            if (T(x - v[mid]) <= r) hit = mid;
            else miss = mid;
        }
        return right - hit - 1;
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
    std::vector<std::pair<T, Index>> order_;  // sort scratch
};

}  // namespace infonative::knn_detail
