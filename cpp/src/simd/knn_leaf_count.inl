// The leaf count kernel (brute_kernels.hpp, LeafCountFn): range counts in a kd-tree, a group of
// kCountLanes queries at a time, one lane each (the vectors of knn_leaf_search.inl). Part of
// knn_brute.inl, so compiled once per instruction set.
//
// The group walks the tree as KdTree::count_within walks it for one query: a node whose box
// lies beyond a query's radius adds nothing to it, one whose farthest corner lies within adds
// all its points, and the queries for which neither holds go down to the children together;
// at a leaf they compare with each of its points. Box bounds are exact (norms.hpp), so every
// count is the one count_within gives.

// Eight queries a walk where AVX-512 holds eight doubles (KSG d = 2..4 at N = 2e4..5e4:
// 7-10% faster than four), four elsewhere.
constexpr int kCountLanes = kVectorBytes >= 64 ? 8 : 4;

template <class T, class Norm, int kDim>
struct GroupCount {
    static constexpr int kQueries = kCountLanes;
    using G = gvec_t<T, kQueries>;
    using GI = decltype(G{} < G{});
    const TypedLeafTree<T, Norm, kDim, kQueries>& t;
    G q[kDim > 0 ? kDim : knn_detail::kLeafSearchMaxDim];  // axis a of the group's queries
    G radius;
    GI leaf_hits{};                     // lane i: minus the points counted at leaves for query i
    std::int64_t whole[kQueries] = {};  // lane i: the points of the nodes counted whole

    // Queries of `active` (bit i: query i) still undecided at node: their counts take its part.
    void count(std::int32_t node, std::uint32_t active) {
        G far;
        const G gap = t.gap(q, t.box(node), &far);
        active &= ~lane_bits(gap > radius);
        const std::uint32_t inside = active & lane_bits(far <= radius);
        const std::int32_t size = t.size(node);
        for (std::uint32_t m = inside; m; m &= m - 1) whole[__builtin_ctz(m)] += size;
        active &= ~inside;
        if (!active) return;
        if (node < t.tree.first_leaf) {
            count(2 * node + 1, active);
            count(2 * node + 2, active);
            return;
        }
        const T* c = t.block(node);
        GI lanes;  // all ones on the lanes of `active`
        for (int i = 0; i < kQueries; ++i) lanes[i] = (active >> i & 1) ? -1 : 0;
        for (int j = 0; j < size; ++j)
            leaf_hits += (t.distance(q, c, j) <= radius) & lanes;  // true is -1
    }
};

template <class T, class Norm, int kDim>
static void leaf_count_impl(const knn_detail::LeafTree& tree, const Norm& norm, const T* queries,
                            int count, const T* radius, std::int64_t* out) {
    constexpr int kQueries = kCountLanes;
    const TypedLeafTree<T, Norm, kDim, kQueries> t{norm, tree};
    const int d = t.dim();
    for (int first = 0; first < count; first += kQueries) {
        const int size = count - first < kQueries ? count - first : kQueries;
        GroupCount<T, Norm, kDim> g{t, {}, {}};
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
