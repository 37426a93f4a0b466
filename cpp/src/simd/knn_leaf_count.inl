// The leaf count kernel (brute_kernels.hpp, LeafCountFn): range counts in a kd-tree, a group of
// kQueries queries at a time, one lane each (the vectors of knn_leaf_search.inl). Part of
// knn_brute.inl, so compiled once per instruction set.
//
// The group walks the tree as KdTree::count_within walks it for one query: a node whose box
// lies beyond a query's radius adds nothing to it, one whose farthest corner lies within adds
// all its points, and the queries for which neither holds go down to the children together;
// at a leaf they compare with each of its points. Box bounds are exact (norms.hpp), so every
// count is the one count_within gives.

template <class T, class Norm, int kDim>
struct GroupCount {
    using G = gvec_t<T>;
    using GI = givec_t<T>;
    static constexpr int kSlots = knn_detail::kLeafSlots;
    const Norm& norm;
    const knn_detail::LeafTree& tree;
    G q[kDim > 0 ? kDim : knn_detail::kLeafSearchMaxDim];  // axis a of the group's queries
    G radius;
    GI leaf_hits{};              // lane i: minus the points counted at leaves for query i
    std::int64_t whole[kQueries] = {};  // lane i: the points of the nodes counted whole

    INFONATIVE_INLINE int dim() const { return kDim > 0 ? kDim : tree.dim; }

    // Queries of `active` (bit i: query i) still undecided at node: their counts take its part.
    void count(std::int32_t node, std::uint32_t active) {
        const T* lo = static_cast<const T*>(tree.box) + std::int64_t(node) * 2 * dim();
        const T* hi = lo + dim();
        // per axis the gap max(lo - q, q - hi, 0) and the far side max(q - lo, hi - q), as
        // KdTree::box_gap_far
        auto axis = [&](int a, G& gap, G& far) {
            const G below = group_splat<T>(lo[a]) - q[a], above = q[a] - group_splat<T>(hi[a]);
            const G g = below > above ? below : above;
            gap = group_term(norm, G(g > T(0) ? g : T(0)));
            const G f = -below > -above ? -below : -above;
            far = group_term(norm, f);
        };
        G gap, far;
        axis(0, gap, far);
        for (int a = 1; a < dim(); ++a) {
            G g, f;
            axis(a, g, f);
            gap = group_add(norm, gap, g);
            far = group_add(norm, far, f);
        }
        active &= ~group_bits(gap > radius);
        const std::uint32_t inside = active & group_bits(far <= radius);
        const std::int32_t size = tree.end[node] - tree.begin[node];
        for (std::uint32_t m = inside; m; m &= m - 1) whole[__builtin_ctz(m)] += size;
        active &= ~inside;
        if (!active) return;
        if (node < tree.first_leaf) {
            count(2 * node + 1, active);
            count(2 * node + 2, active);
            return;
        }
        const T* c = static_cast<const T*>(tree.blocks) +
                     std::int64_t(node - tree.first_leaf) * kSlots * dim();
        GI lanes;  // all ones on the lanes of `active`
        for (int i = 0; i < kQueries; ++i) lanes[i] = (active >> i & 1) ? -1 : 0;
        for (int j = 0; j < size; ++j) {
            G acc = group_term(norm, G(group_splat<T>(c[j]) - q[0]));
            for (int a = 1; a < dim(); ++a)
                acc = group_add(norm, acc,
                                group_term(norm, G(group_splat<T>(c[a * kSlots + j]) - q[a])));
            leaf_hits += (acc <= radius) & lanes;  // true is -1
        }
    }
};

template <class T, class Norm, int kDim>
static void leaf_count_impl(const knn_detail::LeafTree& tree, const Norm& norm, const T* queries,
                            int count, const T* radius, std::int64_t* out) {
    const int d = kDim > 0 ? kDim : tree.dim;
    for (int first = 0; first < count; first += kQueries) {
        const int size = count - first < kQueries ? count - first : kQueries;
        GroupCount<T, Norm, kDim> g{norm, tree, {}, {}};
        std::uint32_t active = 0;
        for (int i = 0; i < kQueries; ++i) {
            const bool real = i < size && radius[first + i] >= T(0);
            active |= std::uint32_t(real) << i;
            g.radius[i] = real ? radius[first + i] : T(-1);
            for (int a = 0; a < d; ++a)
                g.q[a][i] = i < size ? queries[std::int64_t(first + i) * d + a] : T(0);
        }
        if (active) g.count(0, active);
        for (int i = 0; i < size; ++i) out[first + i] = g.whole[i] - std::int64_t(g.leaf_hits[i]);
    }
}

template <class T>
static void leaf_count(const knn_detail::LeafTree& tree, BruteNorm norm, const void* queries,
                       int count, const void* radius, std::int64_t* out) {
    with_terms<T>(norm, tree.dim, [&](const auto& terms, auto d) {
        leaf_count_impl<T, std::decay_t<decltype(terms)>, decltype(d)::value>(
            tree, terms, static_cast<const T*>(queries), count, static_cast<const T*>(radius),
            out);
    });
}
