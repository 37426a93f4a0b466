// A kd-tree: a permutation of row numbers plus one tight bounding box per node. Queries read
// the coordinates either in place from the caller's points, through the permutation (never
// copied), or, where the estimator assembled the points itself (a joint space), from its buffer
// refilled in tree order (use_tree_ordered), so that a leaf's points are contiguous in memory.
//
// The tree is complete and implicit: node i has children 2i+1 and 2i+2, every leaf sits at the
// same depth and holds at most kLeafSize points. Each internal node splits its range at the
// median of its widest axis. Building sorts the rows once per axis (radix sort, the axes in
// parallel, or orders the caller already has) and then splits every node's sorted lists stably
// at the median of the chosen axis (the top levels first, then whole subtrees per thread):
// O(d n) sequential work per level, O(d n log n) in all, no comparisons to mispredict, and each
// node's tight box read off the ends of its lists. The result is deterministic; estimates do
// not depend on the tree's shape anyway (queries are exact and ties are broken by row).
//
// Queries are const and may run concurrently. Norms are policies (norms.hpp) and distances are
// compared in reduced form; kDim > 0 fixes the dimension at compile time.
#pragma once
#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "buffer.hpp"
#include "knn/neighbours.hpp"
#include "knn/norms.hpp"
#include "knn/points.hpp"
#include "knn/radix_sort.hpp"
#include "row_driver.hpp"

namespace infonative::knn_detail {

template <class T>
class KdTree {
  public:
    static constexpr std::int64_t kLeafSize = 16;

    // Allocates storage for up to `capacity` points of `dim` coordinates, taken from point sets
    // of up to `rows_total` rows. The only allocating step: build() and the queries never
    // allocate (and never throw).
    void reserve(std::int64_t capacity, int dim, std::int64_t rows_total) {
        dim_ = dim;
        const std::size_t nodes = (std::size_t(2) << depth_for(capacity)) - 1;
        rows_.resize(std::size_t(capacity));
        begin_.resize(nodes);
        end_.resize(nodes);
        box_.resize(nodes * 2 * std::size_t(dim));
        lists_.resize(std::size_t(capacity) * std::size_t(dim));
        next_lists_.resize(lists_.size());
        slots_ = detail::max_threads();
        side_words_ = (std::size_t(rows_total) + 511) / 512 * 8;  // whole cache lines
        side_.resize(std::size_t(slots_) * side_words_);
        sort_.resize(std::size_t(sort_slots()) * 2 * rows_.size());
    }

    // Builds over points.row(r) for the `count` rows listed in `rows` (all rows 0..count-1 when
    // rows is null). Requires reserve(>= count, points.dim, >= points.n) and count >= 1.
    // presorted[a], when given and not null, lists the same rows sorted by axis a (saves that
    // axis's sort). `parallel` sorts the axes and builds the subtrees across the OpenMP team.
    // Queries then read the points in place.
    void build(const Points<T>& points, const Index* rows, std::int64_t count, bool parallel,
               const Index* const* presorted = nullptr) {
        points_ = points;
        ordered_ = false;
        n_ = count;
        depth_ = depth_for(count);
        const int team = parallel ? sort_slots() : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
        for (int a = 0; a < dim_; ++a) {
            Index* list = level_list(0, a);
            if (presorted && presorted[a]) {
                std::copy(presorted[a], presorted[a] + count, list);
                continue;
            }
            KeyRow<std::uint32_t>* scratch =
                sort_.data() + std::size_t(detail::thread_index()) * 2 * rows_.size();
            sort_rows_by_axis(points, rows, count, a, scratch, scratch + rows_.size(), list);
        }
        build_levels(parallel);
    }

    // Queries read point `pos` at data + pos * dim from now on: the caller refilled its own
    // buffer in tree order (row pos = the point of row_at(pos)).
    void use_tree_ordered(const T* data) {
        points_ = Points<T>{data, n_, dim_, dim_};
        ordered_ = true;
    }

    // Copies the points into `out` (room for size() * dim() values) in tree order and reads
    // them from there: a leaf's points become contiguous, and scanning it needs no row lookups
    // (which miss the cache on every point of a large set).
    void copy_tree_ordered(T* out) {
        for (std::int64_t pos = 0; pos < n_; ++pos) {
            const T* src = points_.row(rows_[std::size_t(pos)]);
            std::copy(src, src + dim_, out + pos * dim_);
        }
        use_tree_ordered(out);
    }

    // Leaves of a tree over `count` points.
    static std::int64_t leaves_for(std::int64_t count) {
        return std::int64_t(1) << depth_for(count);
    }

    std::int64_t size() const { return n_; }
    int dim() const { return dim_; }
    const Points<T>& points() const { return points_; }
    std::int64_t leaf_count() const { return std::int64_t(1) << depth_; }
    Index first_leaf() const { return Index((std::int64_t(1) << depth_) - 1); }
    Index begin(Index node) const { return begin_[std::size_t(node)]; }
    Index end(Index node) const { return end_[std::size_t(node)]; }
    Index row_at(Index pos) const { return rows_[std::size_t(pos)]; }
    const Index* rows() const { return rows_.data(); }
    // The nodes' boxes (per node: dim lows, then dim highs) and ranges of positions.
    const T* boxes() const { return box_.data(); }
    const Index* begins() const { return begin_.data(); }
    const Index* ends() const { return end_.data(); }
    // The coordinates of the point at tree position pos.
    __attribute__((always_inline)) const T* coords(Index pos) const {
        return ordered_ ? points_.data + std::int64_t(pos) * points_.stride
                        : points_.row(rows_[std::size_t(pos)]);
    }

    // The k nearest points to the tree's own point at position `pos` (in leaf `leaf`), itself
    // excluded. Starts from its leaf and walks up, searching each sibling subtree that may hold
    // a closer point, and stops as soon as the current k-th distance ball lies strictly inside
    // the box of the subtree searched so far: every point outside a subtree lies beyond one of
    // its box faces (children never overlap across a split value), hence farther away.
    template <int kDim, class Norm>
    void nearest_own(const Norm& norm, Index leaf, Index pos, Neighbours<T>& best) const {
        const Index self = rows_[std::size_t(pos)];
        const T* q = coords(pos);
        scan_leaf<kDim>(norm, q, self, leaf, best);
        for (Index node = leaf; node > 0; node = (node - 1) / 2) {
            if (ball_inside<kDim>(norm, q, best.worst(), node)) return;
            const Index sibling = (node & 1) ? node + 1 : node - 1;
            if (may_hold_better(box_gap<kDim>(norm, q, sibling), best))
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

    // The sorted lists a node of `level` reads (its children's lists go to the other buffer).
    Index* level_list(int level, int a) {
        return ((level & 1) ? next_lists_ : lists_).data() + std::size_t(a) * rows_.size();
    }

    // The top levels on the calling thread, then whole subtrees, one per thread at a time: a
    // single parallel region without barriers (a barrier per level costs much more than the
    // work whenever another process holds one of the cores).
    void build_levels(bool parallel) {
        begin_[0] = 0;
        end_[0] = Index(n_);
        int top = 0;
        if (parallel)
            while (top < depth_ &&
                   (std::int64_t(1) << top) < 4 * std::int64_t(detail::max_threads()))
                ++top;
        for (int level = 0; level < top; ++level)
            for (std::int64_t j = 0; j < (std::int64_t(1) << level); ++j)
                build_node(Index((std::int64_t(1) << level) - 1 + j), level, side_.data());
        const std::int64_t first = (std::int64_t(1) << top) - 1, width = std::int64_t(1) << top;
#pragma omp parallel for schedule(dynamic, 1) num_threads(slots_) if (parallel)
        for (std::int64_t j = 0; j < width; ++j)
            build_subtree(Index(first + j), top,
                          side_.data() + std::size_t(detail::thread_index()) * side_words_);
    }

    void build_subtree(Index node, int level, std::uint64_t* side) {
        build_node(node, level, side);
        if (level == depth_) return;
        build_subtree(2 * node + 1, level + 1, side);
        build_subtree(2 * node + 2, level + 1, side);
    }

    // The node's box from the ends of its sorted lists, then (internal nodes) a stable split of
    // every list at the median of the widest axis. `side` is the calling thread's side map.
    void build_node(Index node, int level, std::uint64_t* side) {
        const bool split = level < depth_;
        const Index b = begin_[std::size_t(node)], e = end_[std::size_t(node)];
        T* low = &box_[std::size_t(node) * 2 * std::size_t(dim_)];
        T* high = low + dim_;
        int axis = 0;
        for (int a = 0; a < dim_; ++a) {
            const Index* list = level_list(level, a);
            low[a] = points_.row(list[b])[a];
            high[a] = points_.row(list[e - 1])[a];
            if (high[a] - low[a] > high[axis] - low[axis]) axis = a;
        }
        if (!split) {
            std::copy(level_list(level, 0) + b, level_list(level, 0) + e, rows_.data() + b);
            return;
        }
        const Index mid = b + (e - b) / 2;
        Index* by_axis = level_list(level, axis);
        for (Index p = b; p < mid; ++p) side[by_axis[p] >> 6] &= ~side_bit(by_axis[p]);
        for (Index p = mid; p < e; ++p) side[by_axis[p] >> 6] |= side_bit(by_axis[p]);
        // the split axis's list is already in order; once copied, its range is free until the
        // grandchildren's level and holds the other lists' right halves on their way
        std::copy(by_axis + b, by_axis + e, level_list(level + 1, axis) + b);
        Index* right_half = by_axis + b;  // room for e - b >= (e - mid) + 1 rows
        for (int a = 0; a < dim_; ++a) {
            if (a == axis) continue;
            const Index* list = level_list(level, a);
            Index* out = level_list(level + 1, a);
            // every row is stored on both sides and only the cursor of its own side moves on
            // (the side is a coin flip: a branch on it would be mispredicted half the time);
            // the left cursor never passes mid, whose row the right half's copy rewrites
            Index left = b, right = 0;
            for (Index p = b; p < e; ++p) {
                const Index r = list[p];
                const Index go_right = Index((side[r >> 6] >> (r & 63)) & 1);
                out[left] = r;
                right_half[right] = r;
                left += go_right ^ 1;
                right += go_right;
            }
            std::copy(right_half, right_half + right, out + mid);
        }
        const std::size_t child = 2 * std::size_t(node) + 1;
        begin_[child] = b;
        end_[child] = mid;
        begin_[child + 1] = mid;
        end_[child + 1] = e;
    }

    // Threads that sort an axis each (one sort scratch of two capacity-sized buffers apiece).
    int sort_slots() const { return std::min(slots_, dim_); }

    static std::uint64_t side_bit(Index row) { return std::uint64_t(1) << (row & 63); }

    // Whether the ball of reduced radius r around q (a point of the node) lies strictly inside
    // the node's box: along every axis the nearest face is farther than r.
    template <int kDim, class Norm>
    __attribute__((always_inline)) bool ball_inside(const Norm& norm, const T* q, T radius,
                                                    Index node) const {
        const int d = kDim > 0 ? kDim : dim_;
        const T* low = lo(node);
        const T* high = low + d;
        T face = std::min(T(q[0] - low[0]), T(high[0] - q[0]));
        for (int j = 1; j < d; ++j)
            face = std::min(face, std::min(T(q[j] - low[j]), T(high[j] - q[j])));
        return norm.term(face) > radius;
    }

    // max(below, above, 0), written as the "a > b ? a : b" that maps onto one max instruction
    // (std::max against 0 compiles to a compare and a jump).
    static T axis_gap(T below, T above) {
        const T g = below > above ? below : above;
        return g > T(0) ? g : T(0);
    }

    // Reduced distance from q to the node's box (0 inside), and to its farthest corner.
    template <int kDim, class Norm>
    __attribute__((always_inline)) T box_gap(const Norm& norm, const T* q, Index node) const {
        const int d = kDim > 0 ? kDim : dim_;
        const T* low = lo(node);
        const T* high = low + d;
        T acc = norm.term(axis_gap(T(low[0] - q[0]), T(q[0] - high[0])));
        for (int j = 1; j < d; ++j)
            acc = norm.add(acc, norm.term(axis_gap(T(low[j] - q[j]), T(q[j] - high[j]))));
        return acc;
    }
    template <int kDim, class Norm>
    void scan_leaf(const Norm& norm, const T* q, Index exclude, Index node,
                   Neighbours<T>& best) const {
        const Index b = begin_[std::size_t(node)], e = end_[std::size_t(node)];
        T dist[kLeafSize];
        if (ordered_) {  // contiguous points: a branch-free loop over consecutive rows
            const T* p = points_.data + std::int64_t(b) * dim_;
            const int stride = kDim > 0 ? kDim : dim_;
            for (Index j = 0; j < e - b; ++j)
                dist[j] = reduced_distance<kDim>(norm, q, p + j * stride, dim_);
        } else {
            const Index* rows = rows_.data() + b;
            for (Index j = 0; j < e - b; ++j)
                dist[j] = reduced_distance<kDim>(norm, q, points_.row(rows[j]), dim_);
        }
        // the few points that can enter the list, gathered without branches, then offered
        const T worst = best.worst();
        int hits[kLeafSize];
        int count = 0;
        for (Index j = 0; j < e - b; ++j) {
            hits[count] = int(j);
            count += dist[j] <= worst;
        }
        for (int h = 0; h < count; ++h) {
            const Index r = rows_[std::size_t(b + hits[h])];
            if (dist[hits[h]] <= best.worst() && r != exclude) best.offer(dist[hits[h]], r);
        }
    }

    // Whether a subtree at this gap may hold a point that enters the k-best list. A point at the
    // k-th distance itself may (ties go to the lower row), except at distance 0: the points
    // tied there are exact duplicates, equal in every coordinate, so which of them are kept
    // changes no estimate, and searching them all would take O(N) per query on data with
    // many duplicates (noise=0).
    static bool may_hold_better(T gap, const Neighbours<T>& best) {
        const T worst = best.worst();
        return gap < worst || (gap == worst && worst > 0);
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
        if (may_hold_better(gl <= gr ? gl : gr, best)) search<kDim>(norm, q, exclude, near, best);
        if (may_hold_better(far_gap, best)) search<kDim>(norm, q, exclude, far, best);
    }

    // Reduced distances from q to the node's box (0 inside) and to its farthest corner, in one
    // pass over the box (q[j] - low[j] is exactly -(low[j] - q[j])).
    template <int kDim, class Norm>
    __attribute__((always_inline)) void box_gap_far(const Norm& norm, const T* q, Index node,
                                                    T& gap, T& far) const {
        const int d = kDim > 0 ? kDim : dim_;
        const T* low = lo(node);
        const T* high = low + d;
        T below = low[0] - q[0], above = q[0] - high[0];
        gap = norm.term(axis_gap(below, above));
        far = norm.term(std::max(T(-below), T(-above)));
        for (int j = 1; j < d; ++j) {
            below = low[j] - q[j];
            above = q[j] - high[j];
            gap = norm.add(gap, norm.term(axis_gap(below, above)));
            far = norm.add(far, norm.term(std::max(T(-below), T(-above))));
        }
    }

    template <int kDim, class Norm>
    std::int64_t count_node(const Norm& norm, const T* q, T radius, Index node) const {
        T gap, far;
        box_gap_far<kDim>(norm, q, node, gap, far);
        if (gap > radius) return 0;
        const Index b = begin_[std::size_t(node)], e = end_[std::size_t(node)];
        if (far <= radius) return e - b;
        if (node >= first_leaf()) {
            std::int64_t c = 0;
            for (Index pos = b; pos < e; ++pos)
                c += reduced_distance<kDim>(norm, q, coords(pos), dim_) <= radius;
            return c;
        }
        return count_node<kDim>(norm, q, radius, 2 * node + 1) +
               count_node<kDim>(norm, q, radius, 2 * node + 2);
    }

    Points<T> points_;  // the caller's points, or a buffer in tree order (ordered_)
    bool ordered_ = false;
    std::int64_t n_ = 0;
    int dim_ = 0;
    int depth_ = 0;
    Buffer<Index> rows_;         // tree order -> row number
    Buffer<Index> begin_, end_;  // each node's range of positions
    Buffer<T> box_;              // per node: dim lows, then dim highs
    // build scratch: per-axis sorted row lists (even levels', odd levels'); per thread, a bit
    // per row for the side of the median it goes to (threads building different subtrees
    // would otherwise write to the same cache lines all the time)
    Buffer<Index> lists_, next_lists_;
    int slots_ = 1;  // threads that build
    Buffer<std::uint64_t> side_;
    std::size_t side_words_ = 0;
    Buffer<KeyRow<std::uint32_t>> sort_;  // per sort slot, two buffers of capacity sort pairs
};

}  // namespace infonative::knn_detail
