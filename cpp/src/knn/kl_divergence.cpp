// Wang-Kulkarni-Verdu kNN estimate of the Kullback-Leibler divergence.
#include <algorithm>
#include <cmath>

#include "infonative/knn.hpp"
#include "knn/brute_force.hpp"
#include "knn/kd_tree.hpp"
#include "knn/tree_order.hpp"
#include "knn/validate.hpp"

namespace infonative {

namespace knn_detail {
namespace {

// The same by brute force (small sets, brute_force.hpp).
template <class T, class Norm>
double sum_log_ratio_brute(const Points<T>& x, const Points<T>& y, int k, const Norm& norm) {
    BruteForceSet<T> x_set, y_set;
    x_set.reserve(x.n, x.dim);
    x_set.build(x, nullptr, x.n);
    y_set.reserve(y.n, y.dim);
    y_set.build(y, nullptr, y.n);
    const bool parallel = brute_worth_parallel(x.n, x.n + y.n, x.dim);
    BruteScratch<T> scratch(scratch_slots(parallel), k);
    Buffer<double> log_ratio(std::size_t(x.n));
    for_each_query_block(x.n, parallel, [&](int slot, std::int64_t first, int count) {
        T* dist = scratch.dist(slot);
        Index* row = scratch.row(slot);
        const std::size_t kk = std::size_t(k);
        T rho[kBruteQueryBlock];
        x_set.nearest(brute_norm(norm), x_set.own(first, count), k, dist, row);
        for (int j = 0; j < count; ++j) rho[j] = dist[std::size_t(j) * kk + kk - 1];
        // the same query points, read from x's columns, against y (nothing excluded)
        BruteQueries q = x_set.own(first, count);
        q.exclude = nullptr;
        y_set.nearest(brute_norm(norm), q, k, dist, row);
        for (int j = 0; j < count; ++j) {
            const double nu = double(norm.distance(dist[std::size_t(j) * kk + kk - 1]));
            log_ratio[std::size_t(first + j)] = std::log(nu / double(norm.distance(rho[j])));
        }
    });
    return sum_in_order(log_ratio);
}

// sum_i log(nu_k(i) / rho_k(i)) in row order.
template <class T, class Norm>
double sum_log_ratio(const Points<T>& x, const Points<T>& y, int k, const Norm& norm) {
    if (use_brute_force(std::max(x.n, y.n), int(x.dim), norm))
        return sum_log_ratio_brute(x, y, k, norm);
    const bool parallel = worth_parallel(x.n);
    KdTree<T> x_tree, y_tree;
    x_tree.reserve(x.n, x.dim, x.n);
    x_tree.build(x, nullptr, x.n, parallel);
    y_tree.reserve(y.n, y.dim, y.n);
    y_tree.build(y, nullptr, y.n, worth_parallel(y.n));
    NeighbourScratch<T> scratch(scratch_slots(parallel), k);
    Buffer<double> log_ratio(std::size_t(x.n));
    with_fixed_dim(x.dim, [&](auto dim) {
        constexpr int kDim = decltype(dim)::value;
        for_each_in_tree_order(x_tree, parallel, [&](int slot, Index leaf, Index pos) {
            Neighbours<T> best = scratch.at(slot);
            best.reset();
            x_tree.template nearest_own<kDim>(norm, leaf, pos, best);
            const double rho = double(norm.distance(best.worst()));
            const Index i = x_tree.row_at(pos);
            best.reset();
            y_tree.template nearest<kDim>(norm, x.row(i), Index(-1), best);
            const double nu = double(norm.distance(best.worst()));
            log_ratio[std::size_t(i)] = std::log(nu / rho);
        });
    });
    return sum_in_order(log_ratio);
}

}  // namespace
}  // namespace knn_detail

double knn_kl_divergence(const PointSet& x, const PointSet& y, int k, double p) {
    using namespace knn_detail;
    const char* what = "knn_kl_divergence";
    check_shape(x, what, x.dtype);
    check_shape(y, what, x.dtype);
    if (x.dim != y.dim) fail(what, "x and y must have the same dimension");
    check_k(k, x.n, what);
    if (k > y.n) fail(what, "k must not exceed the number of samples of y");
    check_p(p, what);
    const double sum = with_scalar(x.dtype, [&](auto scalar) {
        using T = decltype(scalar);
        const Points<T> xs = checked_points<T>(x, what), ys = checked_points<T>(y, what);
        return with_norm(p, [&](const auto& norm) { return sum_log_ratio(xs, ys, k, norm); });
    });
    return double(x.dim) * (sum / double(x.n)) + std::log(double(y.n) / double(x.n - 1));
}

}  // namespace infonative
