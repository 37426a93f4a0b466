// Kraskov-Stoegbauer-Grassberger mutual information (algorithms 1 and 2, m >= 2 variables) and
// its permutation surrogates.
#include <algorithm>
#include <cmath>
#include <vector>

#include "infonative/knn.hpp"
#include "knn/digamma.hpp"
#include "knn/joint_buffer.hpp"
#include "knn/kd_tree.hpp"
#include "knn/max_norm_space.hpp"
#include "knn/tree_order.hpp"
#include "knn/validate.hpp"

namespace infonative {

namespace knn_detail {
namespace {

// Everything one estimate needs that depends on the pairing of rows: the joint space and its
// tree, per-thread neighbour lists, the per-point terms. Allocated once, reused by surrogates.
template <class T>
struct KsgWorkspace {
    JointBuffer<T> joint;
    KdTree<T> tree;
    NeighbourScratch<T> scratch;
    std::vector<double> terms;

    KsgWorkspace(std::int64_t n, int dim, int k, int slots) : scratch(slots, k), terms(std::size_t(n)) {
        joint.reserve(n, dim);
        tree.reserve(n, dim);
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
        const bool parallel = worth_parallel(n_);
        for (std::size_t v = 0; v < vars.size(); ++v) {
            marginals_[v].reserve(vars[v], n_);
            marginals_[v].build(vars[v], nullptr, n_, parallel);
        }
    }

    int dim() const { return dim_; }
    std::int64_t n() const { return n_; }
    int k() const { return k_; }

    // One estimate with the last variable's rows mapped through last_map (null: as given).
    // Never allocates or throws.
    double estimate(KsgWorkspace<T>& w, const std::int64_t* last_map, bool parallel) const {
        const int m = int(vars_.size());
        fill_joint(w.joint, last_map);
        w.tree.build(w.joint.view(), nullptr, n_, parallel);
        const Points<T> joint = w.joint.view();
        const Digamma& psi = Digamma::instance();
        with_fixed_dim(dim_, [&](auto dim) {
            constexpr int kDim = decltype(dim)::value;
            for_each_in_tree_order(w.tree, parallel, [&](int slot, Index leaf, Index pos) {
                Neighbours<T> best = w.scratch.at(slot);
                best.reset();
                w.tree.template nearest_own<kDim>(MaxNorm{}, leaf, pos, best);
                const Index i = w.tree.row_at(pos);
                double term = 0;
                for (int v = 0; v < m; ++v) {
                    const Index row = (v == m - 1 && last_map) ? Index(last_map[i]) : i;
                    const MaxNormSpace<T>& marginal = marginals_[std::size_t(v)];
                    if (algorithm_ == 1) {
                        term += psi(marginal.count_strictly_within(row, best.worst()) + 1);
                    } else {
                        // eps_v: the largest marginal distance among the k joint neighbours
                        const int off = offsets_[std::size_t(v)], dv = vars_[std::size_t(v)].dim;
                        const T* qi = joint.row(i) + off;
                        T eps = 0;
                        for (int j = 0; j < k_; ++j)
                            eps = std::max(eps, reduced_distance<0>(MaxNorm{}, qi, joint.row(best.row[j]) + off, dv));
                        term += psi(marginal.count_within(row, eps));
                    }
                }
                w.terms[std::size_t(i)] = term;
            });
        });
        const double mean = sum_in_order(w.terms) / double(n_);
        const double others = double(m - 1);
        if (algorithm_ == 1) return psi(k_) + others * psi(n_) - mean;
        return psi(k_) - others / k_ + others * psi(n_) - mean;
    }

  private:
    void fill_joint(JointBuffer<T>& joint, const std::int64_t* last_map) const {
        for (std::size_t v = 0; v < vars_.size(); ++v)
            joint.fill_part(vars_[v], offsets_[v], v + 1 == vars_.size() ? last_map : nullptr);
    }

    std::vector<Points<T>> vars_;
    int k_, algorithm_;
    std::int64_t n_;
    int dim_ = 0;
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
        KsgWorkspace<T> w(ksg.n(), ksg.dim(), k, scratch_slots(parallel));
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
            KsgWorkspace<T> w(n, ksg.dim(), k, scratch_slots(parallel));
            for (std::int64_t r = 0; r < n_permutations; ++r)
                out[r] = ksg.estimate(w, permutations + r * n, parallel);
            return;
        }
        std::vector<KsgWorkspace<T>> workspaces;
        workspaces.reserve(std::size_t(threads));
        for (int t = 0; t < threads; ++t) workspaces.emplace_back(n, ksg.dim(), k, 1);
#pragma omp parallel for schedule(dynamic, 1)
        for (std::int64_t r = 0; r < n_permutations; ++r)
            out[r] = ksg.estimate(workspaces[std::size_t(detail::thread_index())], permutations + r * n, false);
    });
}

}  // namespace infonative
