// A kd-tree over the caller's points: a permutation of row numbers plus one tight bounding box
// per node; the coordinates themselves are read in place (no copy).
//
// The tree is complete and implicit: node i has children 2i+1 and 2i+2, every leaf sits at the
// same depth and holds at most kLeafSize points. Each internal node splits its range at the
// median of its widest axis (std::nth_element), so building is O(n log n) and deterministic:
// the same points give the same tree for any thread count.
//
// Queries are const and may run concurrently. Norms are policies (norms.hpp) and distances are
// compared in reduced form; kDim > 0 fixes the dimension at compile time.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "knn/neighbours.hpp"
#include "knn/norms.hpp"
#include "knn/points.hpp"

namespace infonative::knn_detail {

template <class T>
class KdTree {
  public:
    static constexpr std::int64_t kLeafSize = 16;

    // Allocates storage for up to `capacity` points of `dim` coordinates. The only allocating
    // step: build() and the queries never allocate (and never throw).
    void reserve(std::int64_t capacity, int dim) {
        dim_ = dim;
        const std::size_t nodes = (std::size_t(2) << depth_for(capacity)) - 1;
        rows_.resize(std::size_t(capacity));
        begin_.resize(nodes);
        end_.resize(nodes);
        box_.resize(nodes * 2 * std::size_t(dim));
    }

    // Builds over points.row(r) for the `count` rows listed in `rows` (all rows 0..count-1 when
    // rows is null). Requires reserve(>= count, points.dim) and count >= 1. `parallel` lets the
    // nodes of each level be split across the OpenMP team.
    void build(const Points<T>& points, const Index* rows, std::int64_t count, bool parallel) {
        points_ = points;
        n_ = count;
        depth_ = depth_for(count);
        if (rows)
            std::copy(rows, rows + count, rows_.begin());
        else
            std::iota(rows_.begin(), rows_.begin() + count, Index(0));
        begin_[0] = 0;
        end_[0] = Index(count);
#pragma omp parallel if (parallel)
        for (int level = 0; level <= depth_; ++level) {
            const std::int64_t first = (std::int64_t(1) << level) - 1;
            const std::int64_t width = std::int64_t(1) << level;
#pragma omp for schedule(dynamic, 1)
            for (std::int64_t j = 0; j < width; ++j) build_node(Index(first + j), level < depth_);
        }
    }

    std::int64_t size() const { return n_; }
    int dim() const { return dim_; }
    const Points<T>& points() const { return points_; }
    std::int64_t leaf_count() const { return std::int64_t(1) << depth_; }
    Index first_leaf() const { return Index((std::int64_t(1) << depth_) - 1); }
    Index begin(Index node) const { return begin_[std::size_t(node)]; }
    Index end(Index node) const { return end_[std::size_t(node)]; }
    Index row_at(Index pos) const { return rows_[std::size_t(pos)]; }

    // The k nearest points to the tree's own point at position `pos` (in leaf `leaf`), itself
    // excluded. Starts from its leaf and walks up, searching each sibling subtree that may hold
    // a closer point: the first candidates are near, so most subtrees are pruned.
    template <int kDim, class Norm>
    void nearest_own(const Norm& norm, Index leaf, Index pos, Neighbours<T>& best) const {
        const Index self = rows_[std::size_t(pos)];
        const T* q = points_.row(self);
        scan_leaf<kDim>(norm, q, self, leaf, best);
        for (Index node = leaf; node > 0; node = (node - 1) / 2) {
            const Index sibling = (node & 1) ? node + 1 : node - 1;
            if (box_gap<kDim>(norm, q, sibling) <= best.worst())
                search<kDim>(norm, q, self, sibling, best);
        }
    }

    // The k nearest points to q, skipping row `exclude` (-1: none).
    template <int kDim, class Norm>
    void nearest(const Norm& norm, const T* q, Index exclude, Neighbours<T>& best) const {
        search<kDim>(norm, q, exclude, 0, best);
    }

    // Number of points p (q itself included if it is one) with reduced distance <= radius.
    template <int kDim, class Norm>
    std::int64_t count_within(const Norm& norm, const T* q, T reduced_radius) const {
        return count_node<kDim>(norm, q, reduced_radius, 0);
    }

  private:
    static int depth_for(std::int64_t count) {
        int depth = 0;
        while (((count + (std::int64_t(1) << depth) - 1) >> depth) > kLeafSize) ++depth;
        return depth;
    }

    const T* lo(Index node) const { return &box_[std::size_t(node) * 2 * std::size_t(dim_)]; }
    const T* hi(Index node) const { return lo(node) + dim_; }

    void build_node(Index node, bool split) {
        const Index b = begin_[std::size_t(node)], e = end_[std::size_t(node)];
        T* low = &box_[std::size_t(node) * 2 * std::size_t(dim_)];
        T* high = low + dim_;
        const T* first = points_.row(rows_[std::size_t(b)]);
        std::copy(first, first + dim_, low);
        std::copy(first, first + dim_, high);
        for (Index pos = b + 1; pos < e; ++pos) {
            const T* p = points_.row(rows_[std::size_t(pos)]);
            for (int j = 0; j < dim_; ++j) {
                low[j] = std::min(low[j], p[j]);
                high[j] = std::max(high[j], p[j]);
            }
        }
        if (!split) return;
        int axis = 0;
        for (int j = 1; j < dim_; ++j)
            if (high[j] - low[j] > high[axis] - low[axis]) axis = j;
        const Index mid = b + (e - b) / 2;
        const Points<T> pts = points_;
        std::nth_element(rows_.begin() + b, rows_.begin() + mid, rows_.begin() + e,
                         [&pts, axis](Index r, Index s) { return pts.row(r)[axis] < pts.row(s)[axis]; });
        const std::size_t left = 2 * std::size_t(node) + 1;
        begin_[left] = b;
        end_[left] = mid;
        begin_[left + 1] = mid;
        end_[left + 1] = e;
    }

    // Reduced distance from q to the node's box (0 inside), and to its farthest corner.
    template <int kDim, class Norm>
    T box_gap(const Norm& norm, const T* q, Index node) const {
        const int d = kDim > 0 ? kDim : dim_;
        const T* low = lo(node);
        const T* high = low + d;
        T acc = norm.term(std::max(std::max(T(low[0] - q[0]), T(q[0] - high[0])), T(0)));
        for (int j = 1; j < d; ++j)
            acc = norm.add(acc, norm.term(std::max(std::max(T(low[j] - q[j]), T(q[j] - high[j])), T(0))));
        return acc;
    }
    template <int kDim, class Norm>
    T box_far(const Norm& norm, const T* q, Index node) const {
        const int d = kDim > 0 ? kDim : dim_;
        const T* low = lo(node);
        const T* high = low + d;
        T acc = norm.term(std::max(T(q[0] - low[0]), T(high[0] - q[0])));
        for (int j = 1; j < d; ++j)
            acc = norm.add(acc, norm.term(std::max(T(q[j] - low[j]), T(high[j] - q[j]))));
        return acc;
    }

    template <int kDim, class Norm>
    void scan_leaf(const Norm& norm, const T* q, Index exclude, Index node,
                   Neighbours<T>& best) const {
        const Index e = end_[std::size_t(node)];
        for (Index pos = begin_[std::size_t(node)]; pos < e; ++pos) {
            const Index r = rows_[std::size_t(pos)];
            if (r == exclude) continue;
            best.offer(reduced_distance<kDim>(norm, q, points_.row(r), dim_), r);
        }
    }

    template <int kDim, class Norm>
    void search(const Norm& norm, const T* q, Index exclude, Index node,
                Neighbours<T>& best) const {
        if (node >= first_leaf()) {
            scan_leaf<kDim>(norm, q, exclude, node, best);
            return;
        }
        const Index left = 2 * node + 1, right = left + 1;
        const T gl = box_gap<kDim>(norm, q, left), gr = box_gap<kDim>(norm, q, right);
        const Index near = gl <= gr ? left : right, far = gl <= gr ? right : left;
        const T far_gap = gl <= gr ? gr : gl;
        if ((gl <= gr ? gl : gr) <= best.worst()) search<kDim>(norm, q, exclude, near, best);
        if (far_gap <= best.worst()) search<kDim>(norm, q, exclude, far, best);
    }

    template <int kDim, class Norm>
    std::int64_t count_node(const Norm& norm, const T* q, T radius, Index node) const {
        if (box_gap<kDim>(norm, q, node) > radius) return 0;
        const Index b = begin_[std::size_t(node)], e = end_[std::size_t(node)];
        if (box_far<kDim>(norm, q, node) <= radius) return e - b;
        if (node >= first_leaf()) {
            std::int64_t c = 0;
            for (Index pos = b; pos < e; ++pos)
                c += reduced_distance<kDim>(norm, q, points_.row(rows_[std::size_t(pos)]), dim_) <= radius;
            return c;
        }
        return count_node<kDim>(norm, q, radius, 2 * node + 1) +
               count_node<kDim>(norm, q, radius, 2 * node + 2);
    }

    Points<T> points_;
    std::int64_t n_ = 0;
    int dim_ = 0;
    int depth_ = 0;
    std::vector<Index> rows_;         // tree order -> row number
    std::vector<Index> begin_, end_;  // each node's range of positions
    std::vector<T> box_;              // per node: dim lows, then dim highs
};

}  // namespace infonative::knn_detail
