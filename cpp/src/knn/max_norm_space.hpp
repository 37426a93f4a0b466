// Neighbour counts and k-th distances in one variable's own (marginal) space under the max-norm:
// a sorted copy for one dimension, a kd-tree otherwise, brute force for small sets
// (use_brute_force in brute_force.hpp). Queries name a row of the set.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "knn/brute_force.hpp"
#include "knn/kd_tree.hpp"
#include "knn/leaf_blocks.hpp"
#include "knn/sorted_marginal.hpp"

namespace infonative::knn_detail {

template <class T>
class MaxNormSpace {
  public:
    // Allocates for `capacity` of the rows of `points` (the only allocating step); `use` says
    // which queries will dominate (they pick the search, brute_force.hpp).
    void reserve(const Points<T>& points, std::int64_t capacity, BruteUse use = BruteUse::count) {
        brute_ = use_brute_force(capacity, points.dim, NormKind::max, use);
        one_dim_ = points.dim == 1 && !brute_;
        if (brute_)
            brute_set_.reserve(capacity, points.dim);
        else if (one_dim_)
            sorted_.reserve(capacity);
        else {
            tree_.reserve(capacity, points.dim, points.n);
            ordered_.resize(std::size_t(capacity) * std::size_t(points.dim));
            leaf_count_ = leaf_search_fits(MaxNorm{}, points.dim);
            if (leaf_count_) blocks_.reserve(capacity, points.dim);
        }
    }

    // Over the listed rows of `points` (all when rows is null).
    void build(const Points<T>& points, const Index* rows, std::int64_t count, bool parallel) {
        points_ = points;
        if (brute_)
            brute_set_.build(points, rows, count);
        else if (one_dim_)
            sorted_.build(points, rows, count);
        else {
            tree_.build(points, rows, count, parallel);
            tree_.copy_tree_ordered(ordered_.data());
            if (leaf_count_) blocks_.build(tree_, parallel);
        }
    }

    // The row at position pos of the set's own order (sorted, or the tree's): queries in this
    // order touch neighbouring data.
    Index row_at(std::int64_t pos) const {
        if (brute_) return brute_set_.row_at(pos);
        return one_dim_ ? sorted_.row_at(pos) : tree_.row_at(Index(pos));
    }

    // Counts for the rows at positions first..first+count-1 of that order (count <= 64):
    // out[j] = count_within(row_at(first + j), radius[j]); a negative radius counts none. In
    // one dimension the batch spans a few neighbouring values, so its searches share a short
    // range of the sorted copy.
    void count_within_at(std::int64_t first, const T* radius, int count,
                         std::int64_t* out) const {
        if (brute_) {
            Index rows[64] = {};
            for (int j = 0; j < count; ++j) rows[j] = brute_set_.row_at(first + j);
            count_within_batch(rows, radius, count, out);
            return;
        }
        if (one_dim_) {
            sorted_.count_within_at(first, radius, count, out);
            return;
        }
        if (leaf_count_) {  // the kernel walks the tree for a group of queries at once
            brute_kernels().leaf_count[sizeof(T) == 4 ? 0 : 1](
                blocks_.view(tree_), brute_norm(MaxNorm{}), tree_.coords(Index(first)), count,
                radius, out);
            for (int j = 0; j < count; ++j) out[j] = radius[j] < 0 ? 0 : out[j] - 1;
            return;
        }
        with_fixed_dim(points_.dim, [&](auto dim) {
            for (int j = 0; j < count; ++j) {
                const T* q = tree_.coords(Index(first + j));
                out[j] = radius[j] < 0 ? 0
                                       : tree_.template count_within<decltype(dim)::value>(
                                             MaxNorm{}, q, radius[j]) -
                                             1;
            }
        });
    }

    // The set's rows sorted by value (one dimension only, else null).
    const Index* sorted_rows() const { return one_dim_ ? sorted_.rows() : nullptr; }
    // Their values, ascending (one dimension only, else null).
    const T* sorted_values() const { return one_dim_ ? sorted_.values() : nullptr; }

    // Other points j of the set with max_a |x_ja - x_row,a| <= r (row belongs to the set).
    std::int64_t count_within(Index row, T r) const {
        if (brute_) {
            std::int64_t c;
            brute_set_.count_within(brute_norm(MaxNorm{}),
                                    BruteForceSet<T>::rows_of(points_, &row, 1, nullptr), &r, &c);
            return c - 1;
        }
        if (one_dim_) {
            std::int64_t c;
            sorted_.count_within_batch(points_.row(row), &r, 1, &c);
            return c;
        }
        const T* q = points_.row(row);
        return with_fixed_dim(points_.dim,
                              [&](auto dim) {
                                  return tree_.template count_within<decltype(dim)::value>(
                                      MaxNorm{}, q, r);
                              }) -
               1;
    }

    // The same with < r: <= nextafter(r, 0), and nothing is closer than 0.
    std::int64_t count_strictly_within(Index row, T r) const {
        return r > 0 ? count_within(row, next_toward_zero(r)) : 0;
    }

    // Batch form for up to 64 rows: out[j] = count_within(rows[j], radius[j]); a negative
    // radius counts none. One dimension interleaves the searches (sorted_marginal.hpp).
    void count_within_batch(const Index* rows, const T* radius, int count,
                            std::int64_t* out) const {
        if (brute_) {
            brute_set_.count_within(brute_norm(MaxNorm{}),
                                    BruteForceSet<T>::rows_of(points_, rows, count, nullptr),
                                    radius, out);
            for (int j = 0; j < count; ++j) out[j] = radius[j] < 0 ? 0 : out[j] - 1;
            return;
        }
        if (one_dim_) {
            T x[64];
            for (int j = 0; j < count; ++j) x[j] = points_.row(rows[j])[0];
            sorted_.count_within_batch(x, radius, count, out);
            return;
        }
        for (int j = 0; j < count; ++j)
            out[j] = radius[j] < 0 ? 0 : count_within(rows[j], radius[j]);
    }

    // The radius whose inclusive count is the strict count at r: nextafter(r, 0), or -1 (none)
    // when r <= 0 since nothing is closer than 0.
    static T strict_radius(T r) { return r > 0 ? next_toward_zero(r) : T(-1); }

    // nextafter(r, 0) for a finite r > 0: the bit pattern minus one (libm's nextafter is a call
    // with checks for every special case; this is on the per-query path).
    static T next_toward_zero(T r) {
        using U = std::conditional_t<sizeof(T) == 8, std::uint64_t, std::uint32_t>;
        U bits;
        std::memcpy(&bits, &r, sizeof(T));
        --bits;
        std::memcpy(&r, &bits, sizeof(T));
        return r;
    }

    // Distance from row to its k-th nearest other point of the set (k < set size).
    T kth_distance(Index row, int k, Neighbours<T>& scratch) const {
        if (brute_) {
            brute_set_.nearest(brute_norm(MaxNorm{}),
                               BruteForceSet<T>::rows_of(points_, &row, 1, &row), k, scratch.dist,
                               scratch.row);
            return scratch.dist[k - 1];
        }
        if (one_dim_) return sorted_.kth_distance(sorted_.position_of(points_.row(row)[0]), k);
        scratch.reset();
        with_fixed_dim(points_.dim, [&](auto dim) {
            tree_.template nearest<decltype(dim)::value>(MaxNorm{}, points_.row(row), row, scratch);
        });
        return scratch.worst();
    }

  private:
    Points<T> points_;
    bool one_dim_ = false;
    bool brute_ = false;
    BruteForceSet<T> brute_set_;
    SortedMarginal<T> sorted_;
    KdTree<T> tree_;
    Buffer<T> ordered_;  // the tree's points in tree order (more than one dimension)
    bool leaf_count_ = false;  // counts at positions by the leaf count kernel, over blocks_
    LeafBlocks<T> blocks_;
};

}  // namespace infonative::knn_detail
