// Brute-force neighbour search for small point sets: a structure-of-arrays copy of the points
// and the per-ISA kernels of brute_kernels.hpp, which compare each query with every point. Same
// reduced distances (bitwise), same tie rule and the same strict/non-strict counts as the
// kd-tree, so an estimate does not depend on which search ran; below the crossover in
// use_brute_force() it is faster (no build, no pruning branches, vectors across points).
//
// Like the tree: reserve() is the only allocating step; build and queries never allocate or
// throw, and queries are const and may run concurrently.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "infonative/knn.hpp"
#include "knn/brute_kernels.hpp"
#include "buffer.hpp"
#include "knn/norms.hpp"
#include "knn/points.hpp"
#include "row_driver.hpp"

namespace infonative::knn_detail {

inline BruteNorm brute_norm(const MaxNorm&) { return {NormKind::max, 0}; }
inline BruteNorm brute_norm(const EuclideanNorm&) { return {NormKind::euclidean, 2}; }
inline BruteNorm brute_norm(const ManhattanNorm&) { return {NormKind::manhattan, 1}; }
inline BruteNorm brute_norm(const MinkowskiNorm& norm) { return {NormKind::minkowski, norm.p}; }

// What a set is searched for: k nearest neighbours, or counts within a radius.
enum class BruteUse { nearest, count };

// Whether to search a set of n points of dimension dim (queried by about n points) by brute force
// rather than with the kd-tree (or, in one dimension, the sorted copy). knn_search() overrides.
//
// Crossovers measured with bench/micro_knn.cpp on the development machine (2-core AMD EPYC,
// AVX2, 64 KiB L1d), one thread, median CPU time of 3 repetitions, Gaussian points, float64:
// BM_knn_search_nearest (knn_entropy end to end, k = 3: tree build + queries vs SoA copy +
// scan) and BM_knn_search_count (a MaxNormSpace built, then every point's count within 3x its
// 3rd-neighbour distance, as KSG's marginals ask). tree time / brute time:
//   nearest, max-norm   n=  64  128  256  512  1024 2048 4096 8192
//            d = 1          1.0  1.0  0.3  0.2  0.1  0.1  0.1  0.0   (vs the sorted copy)
//            d = 2          2.7  1.9  1.1  0.7  0.5  0.5  0.3  0.2
//            d = 3          3.7  2.5  1.7  1.1  0.9  0.6  0.4  0.2
//            d = 4          3.9  2.6  1.8  1.2  1.2  0.8  0.5  0.3
//            d = 5          4.7  4.4  2.1  1.4  1.5  0.9  0.7  0.5
//            d = 6          4.9  3.0  2.7  1.9  1.6  1.3  0.9  0.6
//            d = 7          6.6  4.8  4.3  2.9  2.5  2.0  1.5  1.0
//            d = 8          5.1  3.8  3.3  2.8  1.8  1.7  1.3  1.0
//   nearest, Euclidean d=2  2.9  1.7  0.8  0.7  0.6  0.4  0.3  0.2
//                      d=4  4.2  2.9  2.3  1.7  1.4  0.9  0.6  0.4
//                      d=8  5.5  3.7  4.7  3.4  3.5  3.1  2.9  2.5
//   nearest, p = 3     d=2  0.4  0.2  0.1  0.1  0.0 ...  (pow per coordinate: the tree's pruning
//                      d=8  0.5  0.8  0.6  0.7  0.4  0.3  0.2  0.1   saves more than the scan)
//   count, max-norm    d=1 10.4  4.7  2.1  1.0  0.4  0.3  0.1  0.1   (vs the sorted copy)
//                      d=2 16.1 10.4  6.0  2.9  1.9  1.1  0.8  0.4
//                      d=3 17.5 15.8 11.3  5.6  4.1  2.4  1.4  0.9
//                      d=4 19.3 13.0 10.7  9.9 10.6  5.1  3.2  2.0
//                      d=8 23.4 17.1 15.0 10.2 10.9 22.9 12.4 17.6
// The limits below sit at the crossing (interpolated between the sizes measured); Manhattan
// is taken as Euclidean, dimensions past 8 as 8, and no limit exceeds 8192, the largest size
// measured (quadratic work: past it a slower brute force would cost the most).
inline bool use_brute_force(std::int64_t n, int dim, NormKind kind, BruteUse use) {
    switch (knn_search()) {
        case KnnSearch::brute_force:
            return true;
        case KnnSearch::kd_tree:
            return false;
        case KnnSearch::automatic:
            break;
    }
    constexpr std::int64_t kMaxNearest[9] = {0, 0, 320, 768, 1536, 1792, 3584, 8192, 8192};
    constexpr std::int64_t kSumNearest[9] = {0, 0, 192, 768, 1792, 2048, 4096, 8192, 8192};
    constexpr std::int64_t kMaxCount[9] = {0, 512, 2816, 6144, 8192, 8192, 8192, 8192, 8192};
    const int d = dim < 8 ? dim : 8;
    if (use == BruteUse::count) return kind == NormKind::max && n < kMaxCount[d];
    switch (kind) {
        case NormKind::max:
            return n < kMaxNearest[d];
        case NormKind::euclidean:
        case NormKind::manhattan:
            return n < kSumNearest[d];
        case NormKind::minkowski:
            return false;
    }
    return false;
}

template <class Norm>
bool use_brute_force(std::int64_t n, int dim, const Norm& norm) {
    return use_brute_force(n, dim, brute_norm(norm).kind, BruteUse::nearest);
}

template <class T>
class BruteForceSet {
  public:
    // Allocates for up to `capacity` points of `dim` coordinates (the only allocating step).
    void reserve(std::int64_t capacity, int dim) {
        dim_ = dim;
        const std::size_t padded = std::size_t(padded_size(capacity));
        data_.resize(padded * std::size_t(dim));
        rows_.resize(padded);
    }

    // The listed rows of `points` (all rows 0..count-1 when rows is null), in that order.
    void build(const Points<T>& points, const Index* rows, std::int64_t count) {
        start(count);
        for (std::int64_t j = 0; j < count; ++j) rows_[std::size_t(j)] = rows ? rows[j] : Index(j);
        for (int a = 0; a < dim_; ++a) {
            T* col = column(a);
            for (std::int64_t j = 0; j < count; ++j) col[j] = points.row(rows_[std::size_t(j)])[a];
        }
    }

    // A joint space of several variables: start(count), then fill_part() for each variable.
    // Point i is row i; its columns [offset, offset + part.dim) come from part.row(map[i]) (or
    // part.row(i) when map is null), as JointBuffer::fill_part.
    void start(std::int64_t count) {
        n_ = count;
        padded_ = padded_size(count);
        for (std::int64_t j = 0; j < count; ++j) rows_[std::size_t(j)] = Index(j);
        for (int a = 0; a < dim_; ++a)
            std::fill(column(a) + count, column(a) + padded_, std::numeric_limits<T>::quiet_NaN());
    }
    void fill_part(const Points<T>& part, int offset, const std::int64_t* map) {
        for (int a = 0; a < part.dim; ++a) {
            T* col = column(offset + a);
            for (std::int64_t i = 0; i < n_; ++i) col[i] = part.row(map ? map[i] : i)[a];
        }
    }

    std::int64_t size() const { return n_; }
    int dim() const { return dim_; }
    Index row_at(std::int64_t j) const { return rows_[std::size_t(j)]; }
    BruteSet view() const { return BruteSet{data_.data(), n_, padded_, dim_, rows_.data()}; }

    // Points j..j+count-1 of the set as queries, each skipping itself.
    BruteQueries own(std::int64_t j, int count) const {
        return BruteQueries{data_.data() + j, 1, padded_, count, nullptr, rows_.data() + j};
    }
    // Rows index[0..count) of a row-major point set as queries (exclude: per query or null).
    static BruteQueries rows_of(const Points<T>& points, const Index* index, int count,
                                const Index* exclude) {
        return BruteQueries{points.data, points.stride, 1, count, index, exclude};
    }

    // k nearest per query by (reduced distance, row): count lists of k in dist and row.
    void nearest(BruteNorm norm, const BruteQueries& q, int k, T* dist, Index* row) const {
        brute_kernels().nearest[kTypeIndex](view(), q, norm, k, dist, row);
    }
    // out[i] = points (the query itself included if it is one) with reduced distance <= radius[i].
    void count_within(BruteNorm norm, const BruteQueries& q, const T* radius,
                      std::int64_t* out) const {
        brute_kernels().count[kTypeIndex](view(), q, norm, radius, out);
    }

  private:
    static constexpr int kTypeIndex = sizeof(T) == 4 ? 0 : 1;
    static std::int64_t padded_size(std::int64_t n) {
        return (n + kBrutePad - 1) / kBrutePad * kBrutePad + (n == 0 ? kBrutePad : 0);
    }
    T* column(int a) { return data_.data() + std::size_t(a) * std::size_t(padded_); }

    std::int64_t n_ = 0, padded_ = 0;
    int dim_ = 0;
    Buffer<T> data_;  // dim columns of padded_ entries (NaN past n_)
    Buffer<Index> rows_;
};

// Queries per kernel call: one block's k-best lists sit in per-thread scratch.
constexpr int kBruteQueryBlock = 32;

// Whether n queries against m candidates of dim coordinates are worth waking the thread team
// (about a millisecond of single-thread work).
inline bool brute_worth_parallel(std::int64_t n, std::int64_t m, int dim) {
    return detail::max_threads() > 1 && n * m * std::int64_t(dim) >= (std::int64_t(1) << 23);
}

// body(slot, first, count) for the blocks of kBruteQueryBlock queries of [0, n), in parallel
// when asked; slot indexes per-thread scratch. Results go by query, so they are the same for any
// thread count.
template <class Body>
void for_each_query_block(std::int64_t n, bool parallel, Body&& body) {
    const std::int64_t blocks = (n + kBruteQueryBlock - 1) / kBruteQueryBlock;
    auto one = [&](int slot, std::int64_t b) {
        const std::int64_t first = b * kBruteQueryBlock;
        body(slot, first, int(std::min<std::int64_t>(kBruteQueryBlock, n - first)));
    };
    if (parallel) {
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t b = 0; b < blocks; ++b) one(detail::thread_index(), b);
    } else {
        for (std::int64_t b = 0; b < blocks; ++b) one(0, b);
    }
}

// Per-thread k-best lists for one block of queries.
template <class T>
class BruteScratch {
  public:
    BruteScratch(int slots, int k)
        : k_(k),
          stride_(std::size_t(kBruteQueryBlock) * std::size_t(k) + 16),
          dist_(std::size_t(slots) * stride_),
          row_(dist_.size()) {}
    T* dist(int slot) { return dist_.data() + std::size_t(slot) * stride_; }
    Index* row(int slot) { return row_.data() + std::size_t(slot) * stride_; }
    int k() const { return k_; }

  private:
    int k_;
    std::size_t stride_;
    std::vector<T> dist_;
    std::vector<Index> row_;
};

}  // namespace infonative::knn_detail
