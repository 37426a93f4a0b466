// Kozachenko-Leonenko differential entropy.
#include <cmath>

#include "infonative/knn.hpp"
#include "knn/ball_volume.hpp"
#include "knn/brute_force.hpp"
#include "knn/digamma.hpp"
#include "knn/kd_tree.hpp"
#include "knn/leaf_blocks.hpp"
#include "knn/sorted_marginal.hpp"
#include "knn/tree_order.hpp"
#include "knn/validate.hpp"

namespace infonative {

namespace knn_detail {
namespace {

// The same by brute force (small sets, brute_force.hpp).
template <class T, class Norm>
double sum_log_kth_distance_brute(const Points<T>& x, int k, const Norm& norm) {
    BruteForceSet<T> set;
    set.reserve(x.n, x.dim);
    set.build(x, nullptr, x.n);
    const bool parallel = brute_worth_parallel(x.n, x.n, x.dim);
    BruteScratch<T> scratch(scratch_slots(parallel), k);
    Buffer<double> log_rho(std::size_t(x.n));
    for_each_query_block(x.n, parallel, [&](int slot, std::int64_t first, int count) {
        T* dist = scratch.dist(slot);
        set.nearest(brute_norm(norm), set.own(first, count), k, dist, scratch.row(slot));
        for (int j = 0; j < count; ++j)
            log_rho[std::size_t(first + j)] =
                std::log(double(norm.distance(dist[std::size_t(j) * std::size_t(k) + k - 1])));
    });
    return sum_in_order(log_rho);
}

// sum_i log rho_k(i) in row order.
template <class T, class Norm>
double sum_log_kth_distance(const Points<T>& x, int k, const Norm& norm) {
    if (use_brute_force(x.n, int(x.dim), norm)) {
        // one dimension: |dx| under the max-norm, exactly what the sorted copy below computes
        // (a p-th power and its root would round differently)
        if (x.dim == 1) return sum_log_kth_distance_brute(x, k, MaxNorm{});
        return sum_log_kth_distance_brute(x, k, norm);
    }
    const bool parallel = worth_parallel(x.n);
    Buffer<double> log_rho(std::size_t(x.n));
    if (x.dim == 1) {  // every p-norm is |dx| in one dimension
        SortedMarginal<T> sorted;
        sorted.reserve(x.n);
        sorted.build(x, nullptr, x.n);
        for_each_index(x.n, parallel, [&](int, std::int64_t pos) {
            log_rho[std::size_t(sorted.row_at(pos))] =
                std::log(double(sorted.kth_distance(pos, k)));
        });
        return sum_in_order(log_rho);
    }
    KdTree<T> tree;
    tree.reserve(x.n, x.dim, x.n);
    tree.build(x, nullptr, x.n, parallel);
    NeighbourScratch<T> scratch(scratch_slots(parallel), k, KdTree<T>::kLeafSize);
    auto store = [&](Index leaf, const Neighbours<T>* best) {
        for (Index pos = tree.begin(leaf); pos < tree.end(leaf); ++pos)
            log_rho[std::size_t(tree.row_at(pos))] =
                std::log(double(norm.distance(best[pos - tree.begin(leaf)].worst())));
    };
    if (leaf_search_fits(norm, x.dim)) {
        LeafBlocks<T> blocks;
        blocks.reserve(x.n, int(x.dim));
        blocks.build(tree, parallel);
        for_each_leaf(tree, parallel, [&](int slot, Index leaf) {
            Neighbours<T>* best = scratch.leaf(slot);
            nearest_own_leaf(tree, blocks, norm, leaf, best);
            store(leaf, best);
        });
        return sum_in_order(log_rho);
    }
    // the per-query search reads the points in tree order
    Buffer<T> ordered(std::size_t(x.n) * std::size_t(x.dim));
    tree.copy_tree_ordered(ordered.data());
    with_fixed_dim(x.dim, [&](auto dim) {
        constexpr int kDim = decltype(dim)::value;
        for_each_leaf(tree, parallel, [&](int slot, Index leaf) {
            Neighbours<T>* best = scratch.leaf(slot);
            const Index b = tree.begin(leaf), e = tree.end(leaf);
            for (Index pos = b; pos < e; ++pos) {
                best[pos - b].reset();
                tree.template nearest_own<kDim>(norm, leaf, pos, best[pos - b]);
            }
            store(leaf, best);
        });
    });
    return sum_in_order(log_rho);
}

}  // namespace
}  // namespace knn_detail

double knn_entropy(const PointSet& x, int k, double p) {
    using namespace knn_detail;
    const char* what = "knn_entropy";
    check_shape(x, what, x.dtype);
    check_k(k, x.n, what);
    check_p(p, what);
    const Digamma& psi = Digamma::instance();
    const double sum = with_scalar(x.dtype, [&](auto scalar) {
        using T = decltype(scalar);
        const Points<T> points = checked_points<T>(x, what);
        return with_norm(p,
                         [&](const auto& norm) { return sum_log_kth_distance(points, k, norm); });
    });
    return psi(x.n) - psi(k) + log_unit_ball_volume(int(x.dim), p) +
           double(x.dim) * (sum / double(x.n));
}

}  // namespace infonative
