// A grid index of a two-dimensional point set for k-nearest queries under the max-norm: the
// joint space of a pair of one-dimensional variables, the most common KSG case.
//
// The cell boundaries are quantiles of each axis (column c holds the points whose rank along x
// is in [c n / G, (c+1) n / G)), read off the sorted orders and values the marginals already
// have. Building is one pass over the x ranks and, per grid row (one chunk of y ranks), a
// counting sort by column: no tree levels, and the grid rows build in parallel. Cells hold a few
// points each wherever the data is, unlike an equal-width grid on peaked data. Points are stored
// cell by cell, cells row by row, so a run of neighbouring cells in one grid row is one
// contiguous range of points.
//
// A query scans the 3 x 3 block of cells around its own, then grows the block a column or row
// at a time on the side nearest to it, and stops once the k-th distance is below the gap to the
// nearest unscanned column or row: every point outside the block lies past one of those edges.
// Gaps and distances are differences of the same coordinates, and fl(a - b) is monotone in a,
// so the stop is exact. The neighbour set is the one of a brute force ((distance, row) order,
// as in kd_tree.hpp).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "buffer.hpp"
#include "knn/neighbours.hpp"
#include "knn/points.hpp"

namespace infonative::knn_detail {

template <class T>
class RankGrid {
  public:
    // Average points per cell (1 measured faster than 2, 3 or 4 for k = 3).
    static constexpr std::int64_t kPointsPerCell = 1;

    // Allocates for n points (the only allocating step).
    void reserve(std::int64_t n) {
        n_ = n;
        side_ = int(std::max<std::int64_t>(1, std::llround(std::sqrt(double(n) / kPointsPerCell))));
        const std::size_t cells = std::size_t(side_) * std::size_t(side_);
        start_.resize(cells + 1);
        by_row_.resize(std::size_t(n));
        cell_x_.resize(std::size_t(n));
        cell_y_.resize(std::size_t(n));
        coords_.resize(std::size_t(n) * 2);
        rows_.resize(std::size_t(n));
        for (int a = 0; a < 2; ++a) {
            low_[a].resize(std::size_t(side_));
            high_[a].resize(std::size_t(side_));
        }
    }

    // Over n points given by their orders along each axis: sorted[a][p] is the row (point
    // number) of rank p along axis a, value[a][p] its coordinate there (ascending). Everything
    // is read in rank order, so the only random accesses are one record per point in each pass.
    // `parallel` spreads both passes over the OpenMP team; the result does not depend on it.
    void build(const Index* const* sorted, const T* const* value, bool parallel) {
        const int g = side_;
        // each column's value range, and each row's column and x, from the x order
#pragma omp parallel for schedule(static) if (parallel)
        for (int c = 0; c < g; ++c) {
            const std::int64_t b = chunk_begin(c), e = chunk_begin(c + 1);
            low_[0][std::size_t(c)] = value[0][b];
            high_[0][std::size_t(c)] = value[0][e - 1];
            for (std::int64_t p = b; p < e; ++p)
                by_row_[std::size_t(sorted[0][p])] = ColumnX{c, value[0][p]};
        }
        // Grid row y holds exactly the y-rank chunk y, so its points take the same positions
        // as that chunk: each grid row is a counting sort of its chunk by column, on its own.
#pragma omp parallel for schedule(static) if (parallel)
        for (int y = 0; y < g; ++y) {
            const std::int64_t b = chunk_begin(y), e = chunk_begin(y + 1);
            low_[1][std::size_t(y)] = value[1][b];
            high_[1][std::size_t(y)] = value[1][e - 1];
            Index* start = start_.data() + std::size_t(y) * std::size_t(g);
            std::fill(start, start + g, Index(0));
            for (std::int64_t p = b; p < e; ++p)
                ++start[by_row_[std::size_t(sorted[1][p])].column];
            Index next = Index(b);
            for (int c = 0; c < g; ++c) {
                const Index count = start[c];
                start[c] = next;
                next += count;
            }
            // in y order within a cell (stable); start[c] ends at the next cell's start
            for (std::int64_t p = b; p < e; ++p) {
                const Index r = sorted[1][p];
                const ColumnX cx = by_row_[std::size_t(r)];
                const int c = cx.column;
                const std::size_t pos = std::size_t(start[c]++);
                coords_[2 * pos] = cx.x;
                coords_[2 * pos + 1] = value[1][p];
                rows_[pos] = r;
                cell_x_[pos] = c;
                cell_y_[pos] = y;
            }
            for (int c = g - 1; c > 0; --c) start[c] = start[c - 1];
            start[0] = Index(b);
        }
        start_[std::size_t(g) * std::size_t(g)] = Index(n_);
    }

    Index row_at(Index pos) const { return rows_[std::size_t(pos)]; }

    // The k nearest points to the grid's own point at position pos, itself excluded (best
    // reset). The usual k = 3 runs in a FixedNeighbours list (registers), copied out at the end.
    void nearest_own(Index pos, Neighbours<T>& best) const {
        if (best.k != 3) return nearest_own_in(pos, best);
        FixedNeighbours<T, 3> local;
        nearest_own_in(pos, local);
        local.copy_to(best);
    }

  private:
    template <class List>
    void nearest_own_in(Index pos, List& best) const {
        const T qx = coords_[2 * std::size_t(pos)], qy = coords_[2 * std::size_t(pos) + 1];
        const int g = side_;
        const int cx = cell_x_[std::size_t(pos)], cy = cell_y_[std::size_t(pos)];
        // the scanned block of cells [x0, x1] x [y0, y1]: first the 3 x 3 around q's cell,
        // which holds the k nearest of most queries, then grown one column or row at a time
        // on the side nearest to q
        int x0 = std::max(cx - 1, 0), x1 = std::min(cx + 1, g - 1);
        int y0 = std::max(cy - 1, 0), y1 = std::min(cy + 1, g - 1);
        // nearest rows first: the list fills with close points, and the candidates after them
        // mostly fail the test against its k-th distance (a well predicted branch)
        scan_run(qx, qy, pos, cy, x0, x1, best);
        const bool below_first = qy - low_[1][std::size_t(cy)] < high_[1][std::size_t(cy)] - qy;
        const int near = below_first ? cy - 1 : cy + 1, far = below_first ? cy + 1 : cy - 1;
        if (near >= y0 && near <= y1) scan_run(qx, qy, pos, near, x0, x1, best);
        if (far >= y0 && far <= y1) scan_run(qx, qy, pos, far, x0, x1, best);
        const T inf = std::numeric_limits<T>::infinity();
        for (;;) {
            const T left = x0 > 0 ? T(qx - high_[0][std::size_t(x0 - 1)]) : inf;
            const T right = x1 < g - 1 ? T(low_[0][std::size_t(x1 + 1)] - qx) : inf;
            const T down = y0 > 0 ? T(qy - high_[1][std::size_t(y0 - 1)]) : inf;
            const T up = y1 < g - 1 ? T(low_[1][std::size_t(y1 + 1)] - qy) : inf;
            const T gap = std::min(std::min(left, right), std::min(down, up));
            // as kd_tree.hpp's may_hold_better: ties at the k-th distance may enter, except at
            // distance 0 (exact duplicates); gap is infinite once every cell is scanned
            const T worst = best.worst();
            if (gap == inf || !(gap < worst || (gap == worst && worst > 0))) break;
            if (gap == left) {
                --x0;
                for (int y = y0; y <= y1; ++y) scan_run(qx, qy, pos, y, x0, x0, best);
            } else if (gap == right) {
                ++x1;
                for (int y = y0; y <= y1; ++y) scan_run(qx, qy, pos, y, x1, x1, best);
            } else if (gap == down) {
                --y0;
                scan_run(qx, qy, pos, y0, x0, x1, best);
            } else {
                ++y1;
                scan_run(qx, qy, pos, y1, x0, x1, best);
            }
        }
    }

    // The first position of rank chunk c (of either axis): ranks p with p G / n == c.
    std::int64_t chunk_begin(int c) const { return (std::int64_t(c) * n_ + side_ - 1) / side_; }

    // Offers the points of cells first_col..last_col of grid row y, but the query's own
    // position `self` (split around it rather than tested point by point).
    template <class List>
    void scan_run(T qx, T qy, Index self, int y, int first_col, int last_col, List& best) const {
        const std::size_t row_start = std::size_t(y) * std::size_t(side_);
        const Index b = start_[row_start + std::size_t(first_col)];
        const Index e = start_[row_start + std::size_t(last_col) + 1];
        if (self >= b && self < e) {
            offer_range(qx, qy, b, self, best);
            offer_range(qx, qy, self + 1, e, best);
        } else {
            offer_range(qx, qy, b, e, best);
        }
    }

    template <class List>
    void offer_range(T qx, T qy, Index b, Index e, List& best) const {
        for (Index p = b; p < e; ++p) {
            const T dx = std::abs(T(coords_[2 * std::size_t(p)] - qx));
            const T dy = std::abs(T(coords_[2 * std::size_t(p) + 1] - qy));
            const T d = dx < dy ? dy : dx;
            if (d <= best.worst()) best.offer(d, rows_[std::size_t(p)]);
        }
    }

    std::int64_t n_ = 0;
    int side_ = 1;                 // G: the grid has G x G cells
    Buffer<Index> start_;          // per cell (row-major): its first position; one past the end
    struct ColumnX {
        int column;
        T x;
    };
    Buffer<ColumnX> by_row_;       // build scratch: each row's column and x
    Buffer<int> cell_x_, cell_y_;  // each position's column and grid row
    Buffer<T> coords_;             // the points in grid order, (x, y) interleaved
    Buffer<Index> rows_;           // grid order -> row number
    Buffer<T> low_[2], high_[2];   // per axis and column (row): smallest and largest value
};

}  // namespace infonative::knn_detail
