// Kraskov-Stoegbauer-Grassberger mutual information (algorithms 1 and 2, m >= 2 variables) and
// its permutation surrogates.
#include <algorithm>
#include <cmath>
#include <vector>

#include "infonative/knn.hpp"
#include "knn/brute_force.hpp"
#include "knn/digamma.hpp"
#include "knn/joint_buffer.hpp"
#include "knn/kd_tree.hpp"
#include "knn/leaf_blocks.hpp"
#include "knn/max_norm_space.hpp"
#include "knn/rank_grid.hpp"
#include "knn/tree_order.hpp"
#include "knn/validate.hpp"

namespace infonative {

namespace knn_detail {
namespace {

// Everything one estimate needs that depends on the pairing of rows: the joint space and its
// tree, per-thread neighbour lists, the per-point terms. Allocated once, reused by surrogates.
template <class T>
struct KsgWorkspace {
    JointBuffer<T> joint;  // not for the pair grid
    KdTree<T> tree;      // the joint index, with its points leaf by leaf, or
    LeafBlocks<T> blocks;
    RankGrid<T> grid;    // for a pair of 1-D variables
    NeighbourScratch<T> scratch;
    // per sample: the marginal radius (algorithm 1: one for every variable; 2: one per
    // variable, variable-major) and each variable's count
    Buffer<T> radius;
    Buffer<Index> counts;
    Buffer<double> terms;
    Buffer<Index> inverse, last_sorted;   // a surrogate's order of the last variable
    std::vector<const Index*> presorted;  // per joint axis, or null
    // small sets: the joint space searched by brute force instead (brute_force.hpp)
    bool brute;
    BruteForceSet<T> brute_joint;
    BruteScratch<T> brute_scratch;

    KsgWorkspace(std::int64_t n, int dim, int m, int algorithm, bool pair_grid, int k, int slots,
                 bool permuted)
        : scratch(slots, k, KdTree<T>::kLeafSize),
          radius(std::size_t(n) * std::size_t(algorithm == 1 ? 1 : m)),
          counts(std::size_t(n) * std::size_t(m)),
          terms(std::size_t(n)),
          inverse(permuted ? std::size_t(n) : 0),
          last_sorted(permuted ? std::size_t(n) : 0),
          presorted(std::size_t(dim)),
          brute(use_brute_force(n, dim, MaxNorm{})),
          brute_scratch(brute ? slots : 0, k) {
        if (brute) {
            brute_joint.reserve(n, dim);
            return;
        }
        if (pair_grid) {
            grid.reserve(n);
            return;
        }
        joint.reserve(n, dim);
        tree.reserve(n, dim, n);
        if (leaf_search_fits(MaxNorm{}, dim)) blocks.reserve(n, dim);
    }
};

template <class T>
class Ksg {
  public:
    // Builds the marginal spaces, which no permutation of rows changes.
    Ksg(const std::vector<Points<T>>& vars, int k, int algorithm)
        : vars_(vars), k_(k), algorithm_(algorithm), n_(vars[0].n), marginals_(vars.size()) {
        for (const Points<T>& v : vars) {
            offsets_.push_back(dim_);
            dim_ += v.dim;
        }
        for (std::size_t v = 0; v < vars.size(); ++v) marginals_[v].reserve(vars[v], n_);
        // one variable per thread (each build serial inside) when there are enough of them
        const auto m = std::int64_t(vars.size());
        const bool by_variable = worth_parallel(n_) && detail::max_threads() > 1 && m >= 2;
#pragma omp parallel for schedule(dynamic, 1) if (by_variable)
        for (std::int64_t v = 0; v < m; ++v)
            marginals_[std::size_t(v)].build(vars[std::size_t(v)], nullptr, n_,
                                             !by_variable && worth_parallel(n_));
        // the grid is built from both marginals' sorted orders (small marginals that count by
        // brute force have none)
        pair_grid_ = vars.size() == 2 && dim_ == 2 && marginals_[0].sorted_rows() &&
                     marginals_[1].sorted_rows();
    }

    int dim() const { return dim_; }
    bool pair_grid() const { return pair_grid_; }
    int variables() const { return int(vars_.size()); }
    std::int64_t n() const { return n_; }
    int k() const { return k_; }

    // One estimate with the last variable's rows mapped through last_map (null: as given).
    // Never allocates or throws.
    double estimate(KsgWorkspace<T>& w, const std::int64_t* last_map, bool parallel) const {
        const int m = int(vars_.size());
        // sample i holds row last_map[i] of the last variable: inverse[row] = i
        if (last_map)
            for (std::int64_t i = 0; i < n_; ++i) w.inverse[std::size_t(last_map[i])] = Index(i);
        // 1. each point's k nearest in the joint space, in the joint index's order (nearby
        // queries share cells or nodes), and the marginal radii they give
        if (w.brute)
            brute_joint_radii(w, last_map, parallel);
        else
            indexed_joint_radii(w, last_map, parallel);
        constexpr int kBatch = int(KdTree<T>::kLeafSize);
        // 2. each marginal's counts, queried in that marginal's own order: consecutive queries
        // search the same part of its sorted copy or tree, which stays in cache
        for (int v = 0; v < m; ++v) {
            const MaxNormSpace<T>& space = marginals_[std::size_t(v)];
            const bool mapped = v == m - 1 && last_map;
            const T* radius = w.radius.data() + (algorithm_ == 1 ? 0 : std::size_t(v * n_));
            Index* counts = w.counts.data() + std::size_t(v * n_);
            auto sample_at = [&](std::int64_t pos) {
                const Index row = space.row_at(pos);
                return mapped ? w.inverse[std::size_t(row)] : row;
            };
            const std::int64_t batches = (n_ + kBatch - 1) / kBatch;
            for_each_index(batches, parallel, [&](int, std::int64_t batch) {
                const std::int64_t b = batch * kBatch;
                const int count = int(std::min<std::int64_t>(n_ - b, kBatch));
                Index samples[kBatch];
                T r[kBatch] = {};
                std::int64_t c[kBatch];
                // the samples come in random order: fetch the next batch's radii meanwhile
                for (int j = 0; j < count; ++j) {
                    if (b + kBatch + j < n_) __builtin_prefetch(radius + sample_at(b + kBatch + j));
                    samples[j] = sample_at(b + j);
                    r[j] = radius[samples[j]];
                }
                space.count_within_at(b, r, count, c);
                for (int j = 0; j < count; ++j) counts[samples[j]] = Index(c[j]);
            });
        }
        // 3. the terms, each summed over the variables in order
        const Digamma& psi = Digamma::instance();
        const int offset = algorithm_ == 1 ? 1 : 0;
        for_each_index(n_, parallel, [&](int, std::int64_t i) {
            double term = 0;
            for (int v = 0; v < m; ++v)
                term += psi(std::int64_t(w.counts[std::size_t(v * n_ + i)]) + offset);
            w.terms[std::size_t(i)] = term;
        });
        const double mean = sum_in_order(w.terms) / double(n_);
        const double others = double(m - 1);
        if (algorithm_ == 1) return psi(k_) + others * psi(n_) - mean;
        return psi(k_) - others / k_ + others * psi(n_) - mean;
    }

  private:
    // Step 1 of estimate() over the joint index: the rank grid for a pair of 1-D variables,
    // else the kd-tree, queried leaf by leaf.
    void indexed_joint_radii(KsgWorkspace<T>& w, const std::int64_t* last_map,
                             bool parallel) const {
        build_joint_index(w, last_map, parallel);
        if (pair_grid_) {
            constexpr int kBatch = int(KdTree<T>::kLeafSize);
            const std::int64_t batches = (n_ + kBatch - 1) / kBatch;
            for_each_index(batches, parallel, [&](int slot, std::int64_t batch) {
                const Index b = Index(batch * kBatch);
                const Index e = Index(std::min<std::int64_t>(n_, b + std::int64_t(kBatch)));
                Neighbours<T> best = w.scratch.at(slot);
                for (Index pos = b; pos < e; ++pos) {
                    best.reset();
                    w.grid.nearest_own(pos, best);
                    store_radii(w, best, w.grid.row_at(pos), last_map);
                }
            });
            return;
        }
        if (leaf_search_fits(MaxNorm{}, dim_)) {
            for_each_leaf(w.tree, parallel, [&](int slot, Index leaf) {
                Neighbours<T>* best = w.scratch.leaf(slot);
                nearest_own_leaf(w.tree, w.blocks, MaxNorm{}, leaf, best);
                for (Index pos = w.tree.begin(leaf); pos < w.tree.end(leaf); ++pos)
                    store_radii(w, best[pos - w.tree.begin(leaf)], w.tree.row_at(pos), last_map);
            });
            return;
        }
        with_fixed_dim(dim_, [&](auto dim) {
            constexpr int kDim = decltype(dim)::value;
            for_each_leaf(w.tree, parallel, [&](int slot, Index leaf) {
                Neighbours<T> best = w.scratch.at(slot);
                for (Index pos = w.tree.begin(leaf); pos < w.tree.end(leaf); ++pos) {
                    best.reset();
                    w.tree.template nearest_own<kDim>(MaxNorm{}, leaf, pos, best);
                    store_radii(w, best, w.tree.row_at(pos), last_map);
                }
            });
        });
    }

    // Step 1 of estimate() for small sets: the joint space searched by brute force, queries
    // in blocks of rows.
    void brute_joint_radii(KsgWorkspace<T>& w, const std::int64_t* last_map, bool parallel) const {
        const int m = int(vars_.size());
        w.brute_joint.start(n_);
        for (int v = 0; v < m; ++v)
            w.brute_joint.fill_part(vars_[std::size_t(v)], offsets_[std::size_t(v)],
                                    v == m - 1 ? last_map : nullptr);
        const std::size_t k = std::size_t(k_);
        for_each_query_block(n_, parallel, [&](int slot, std::int64_t first, int count) {
            T* dist = w.brute_scratch.dist(slot);
            Index* best = w.brute_scratch.row(slot);
            w.brute_joint.nearest(brute_norm(MaxNorm{}), w.brute_joint.own(first, count), k_, dist,
                                  best);
            for (int j = 0; j < count; ++j)
                store_radii(w, Neighbours<T>{dist + j * k, best + j * k, k_}, Index(first + j),
                            last_map);
        });
    }

    // The marginal radii of a sample from its k nearest joint neighbours: the strict joint
    // radius (algorithm 1), or each variable's largest distance to them (algorithm 2).
    void store_radii(KsgWorkspace<T>& w, const Neighbours<T>& best, Index sample,
                     const std::int64_t* last_map) const {
        if (algorithm_ == 1) {
            w.radius[std::size_t(sample)] = MaxNormSpace<T>::strict_radius(best.worst());
            return;
        }
        for (int v = 0; v < int(vars_.size()); ++v)
            w.radius[std::size_t(v * n_ + sample)] = marginal_eps(best.row, sample, v, last_map);
    }

    // eps_v of algorithm 2: the largest marginal distance from sample i to its k neighbours.
    T marginal_eps(const Index* neighbours, Index i, int v, const std::int64_t* last_map) const {
        const Points<T>& var = vars_[std::size_t(v)];
        const bool mapped = v + 1 == int(vars_.size()) && last_map;
        const T* qi = var.row(mapped ? Index(last_map[i]) : i);
        T eps = 0;
        for (int j = 0; j < k_; ++j) {
            const Index nb = neighbours[j];
            const T* qj = var.row(mapped ? Index(last_map[nb]) : nb);
            eps = std::max(eps, reduced_distance<0>(MaxNorm{}, qi, qj, var.dim));
        }
        return eps;
    }

    // The joint index (the 1-D variables' sorted orders come from their marginals, w.inverse is
    // already filled): the rank grid for a pair of 1-D variables, built from those orders and
    // sorted values alone, else a kd-tree over the joint buffer in row order, whose points are
    // then copied leaf by leaf for the leaf search, or (past its dimensions) the buffer refilled
    // in tree order for the per-query search.
    void build_joint_index(KsgWorkspace<T>& w, const std::int64_t* last_map,
                           bool parallel) const {
        const std::size_t m = vars_.size();
        if (!pair_grid_)
            for (std::size_t v = 0; v < m; ++v)
                w.joint.fill_part(vars_[v], offsets_[v], v + 1 == m ? last_map : nullptr);
        std::fill(w.presorted.begin(), w.presorted.end(), nullptr);
        for (std::size_t v = 0; v < m; ++v) {
            const Index* sorted = marginals_[v].sorted_rows();
            if (!sorted) continue;
            if (v + 1 == m && last_map) {
                // rows sorted by value, renamed to samples
                for (std::int64_t p = 0; p < n_; ++p)
                    w.last_sorted[std::size_t(p)] = w.inverse[std::size_t(sorted[p])];
                sorted = w.last_sorted.data();
            }
            w.presorted[std::size_t(offsets_[v])] = sorted;
        }
        if (pair_grid_) {
            // a permutation renames the rows of the last variable, not its sorted values
            const T* values[2] = {marginals_[0].sorted_values(), marginals_[1].sorted_values()};
            w.grid.build(w.presorted.data(), values, parallel);
            return;
        }
        w.tree.build(w.joint.view(), nullptr, n_, parallel, w.presorted.data());
        if (leaf_search_fits(MaxNorm{}, dim_)) {
            w.blocks.build(w.tree, parallel);  // what the leaf search reads
            return;
        }
        for (std::size_t v = 0; v < m; ++v)
            w.joint.fill_part(vars_[v], offsets_[v], v + 1 == m ? last_map : nullptr,
                              w.tree.rows());
        w.tree.use_tree_ordered(w.joint.data());
    }

    std::vector<Points<T>> vars_;
    int k_, algorithm_;
    std::int64_t n_;
    int dim_ = 0;
    bool pair_grid_ = false;  // two 1-D variables: the joint index is a RankGrid
    std::vector<int> offsets_;
    std::vector<MaxNormSpace<T>> marginals_;
};

template <class T>
std::vector<Points<T>> checked_variables(const PointSet* variables, int count, const char* what) {
    std::vector<Points<T>> vars;
    for (int v = 0; v < count; ++v) vars.push_back(checked_points<T>(variables[v], what));
    return vars;
}

void check_variables(const PointSet* variables, int count, int k, int algorithm, const char* what) {
    if (count < 2 || variables == nullptr) fail(what, "need at least two variables");
    for (int v = 0; v < count; ++v) {
        check_shape(variables[v], what, variables[0].dtype);
        check_same_n(variables[0], variables[v], what);
    }
    check_k(k, variables[0].n, what);
    if (algorithm != 1 && algorithm != 2) fail(what, "algorithm must be 1 or 2");
    std::int64_t dim = 0;
    for (int v = 0; v < count; ++v) dim += variables[v].dim;
    if (dim >= (std::int64_t(1) << 20)) fail(what, "joint dimension too large");
}

}  // namespace
}  // namespace knn_detail

double knn_mutual_info(const PointSet* variables, int count, int k, int algorithm) {
    using namespace knn_detail;
    const char* what = "knn_mutual_info";
    check_variables(variables, count, k, algorithm, what);
    Digamma::instance();
    return with_scalar(variables[0].dtype, [&](auto scalar) {
        using T = decltype(scalar);
        const Ksg<T> ksg(checked_variables<T>(variables, count, what), k, algorithm);
        const bool parallel = worth_parallel(ksg.n());
        KsgWorkspace<T> w(ksg.n(), ksg.dim(), ksg.variables(), algorithm, ksg.pair_grid(), k,
                          scratch_slots(parallel), false);
        return ksg.estimate(w, nullptr, parallel);
    });
}

void knn_mutual_info_surrogates(const PointSet* variables, int count, int k, int algorithm,
                                const std::int64_t* permutations, std::int64_t n_permutations,
                                double* out) {
    using namespace knn_detail;
    const char* what = "knn_mutual_info_surrogates";
    check_variables(variables, count, k, algorithm, what);
    const std::int64_t n = variables[0].n;
    check_permutations(permutations, n_permutations, n, what);
    if (n_permutations > 0 && out == nullptr) fail(what, "null output");
    Digamma::instance();
    with_scalar(variables[0].dtype, [&](auto scalar) {
        using T = decltype(scalar);
        const Ksg<T> ksg(checked_variables<T>(variables, count, what), k, algorithm);
        const int threads = detail::max_threads();
        if (n_permutations < threads || threads == 1) {
            // too few surrogates to occupy every thread: one at a time, parallel inside
            const bool parallel = worth_parallel(n);
            KsgWorkspace<T> w(n, ksg.dim(), ksg.variables(), algorithm, ksg.pair_grid(), k,
                              scratch_slots(parallel), true);
            for (std::int64_t r = 0; r < n_permutations; ++r)
                out[r] = ksg.estimate(w, permutations + r * n, parallel);
            return;
        }
        std::vector<KsgWorkspace<T>> workspaces;
        workspaces.reserve(std::size_t(threads));
        for (int t = 0; t < threads; ++t)
            workspaces.emplace_back(n, ksg.dim(), ksg.variables(), algorithm, ksg.pair_grid(), k,
                                    1, true);
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t r = 0; r < n_permutations; ++r)
            out[r] = ksg.estimate(workspaces[std::size_t(detail::thread_index())],
                                  permutations + r * n, false);
    });
}

}  // namespace infonative
