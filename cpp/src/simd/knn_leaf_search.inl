// The leaf search kernel (brute_kernels.hpp, LeafNearestFn): the k nearest of every point of one
// kd-tree leaf, a group of kQueries of them at a time. Part of knn_brute.inl (its helpers, its
// anonymous namespace), so compiled once per instruction set.
//
// Each group walks the tree as KdTree::nearest_own walks it for one query: its own leaf, then
// up, searching each sibling subtree that may hold a better point, until every ball lies inside
// the subtree searched so far. The queries ride in the lanes of one vector: a subtree is
// searched when, for some query, its gap beats that query's own k-th distance, and every leaf
// reached is scanned against the whole group at once (GroupSearch::scan: each point of the
// leaf broadcast once). Queries next to each other in tree order are close together, so they
// mostly need the same subtrees. Pruning only ever skips points that cannot enter a list, and
// the lists keep the (distance, row) order: they end exactly as nearest_own leaves them.

template <class T, class Norm, int kDim>
struct LeafSearch {
    const Norm& norm;
    const knn_detail::LeafTree& tree;
    int d;
    const T* box(std::int32_t node) const {
        return static_cast<const T*>(tree.box) + std::int64_t(node) * 2 * d;
    }
};

// A group's queries lane by lane: one vector of kQueries lanes per axis (the transpose of the
// brute-force scans, which run vectors across candidates). Each candidate of a leaf is then
// broadcast once against the whole group, and a leaf of fewer than kLeafSlots points costs
// only its points.
template <class T>
struct GroupLanes;
template <>
struct GroupLanes<float> {
    typedef float V __attribute__((vector_size(4 * sizeof(float))));
    typedef std::int32_t I __attribute__((vector_size(4 * sizeof(float))));
    static constexpr std::int32_t kMagnitude = __INT32_MAX__;
};
template <>
struct GroupLanes<double> {
    typedef double V __attribute__((vector_size(4 * sizeof(double))));
    typedef std::int64_t I __attribute__((vector_size(4 * sizeof(double))));
    static constexpr std::int64_t kMagnitude = __INT64_MAX__;
};
static_assert(kQueries == 4, "a group is four lanes");
template <class T>
using gvec_t = typename GroupLanes<T>::V;
template <class T>
using givec_t = typename GroupLanes<T>::I;

template <class T>
static INFONATIVE_INLINE gvec_t<T> gabs(gvec_t<T> x) {
    givec_t<T> bits;
    __builtin_memcpy(&bits, &x, sizeof x);
    bits &= GroupLanes<T>::kMagnitude;
    __builtin_memcpy(&x, &bits, sizeof x);
    return x;
}

// Bit i set where lane i of a group comparison is true.
template <class I>
static INFONATIVE_INLINE std::uint32_t group_bits(I m) {
#if defined(__AVX__)
    if constexpr (sizeof(I) == 32) return std::uint32_t(_mm256_movemask_pd((__m256d)m));
#endif
#if defined(__SSE2__)
    if constexpr (sizeof(I) == 16) return std::uint32_t(_mm_movemask_ps((__m128)m));
#endif
    std::uint32_t bits = 0;
    for (int l = 0; l < kQueries; ++l) bits |= std::uint32_t(m[l] != 0) << l;
    return bits;
}

// The norms' terms on a group (the operations of the Terms policies, lane by lane).
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_term(const MaxTerms<T>&, gvec_t<T> d) {
    return gabs<T>(d);
}
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_add(const MaxTerms<T>&, gvec_t<T> acc, gvec_t<T> t) {
    return acc < t ? t : acc;
}
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_term(const EuclideanTerms<T>&, gvec_t<T> d) {
    return d * d;
}
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_term(const ManhattanTerms<T>&, gvec_t<T> d) {
    return gabs<T>(d);
}
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_term(const MinkowskiTerms<T>& norm, gvec_t<T> d) {
    gvec_t<T> a = gabs<T>(d);
    for (int l = 0; l < kQueries; ++l) a[l] = scalar_pow(a[l], norm.p);
    return a;
}
// every other norm sums its terms
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_add(const EuclideanTerms<T>&, gvec_t<T> acc,
                                             gvec_t<T> t) {
    return acc + t;
}
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_add(const ManhattanTerms<T>&, gvec_t<T> acc,
                                             gvec_t<T> t) {
    return acc + t;
}
template <class T>
static INFONATIVE_INLINE gvec_t<T> group_add(const MinkowskiTerms<T>&, gvec_t<T> acc,
                                             gvec_t<T> t) {
    return acc + t;
}

template <class T>
static INFONATIVE_INLINE gvec_t<T> group_splat(T x) {
    gvec_t<T> v;
    for (int l = 0; l < kQueries; ++l) v[l] = x;
    return v;
}

// The queries of one group (count of them real, the rest NaN padding) and their lists.
template <class T, class Norm, int kDim>
struct GroupSearch {
    using G = gvec_t<T>;
    static constexpr int kSlots = knn_detail::kLeafSlots;
    const LeafSearch<T, Norm, kDim>& s;
    List<T>* lists;
    int count;
    std::uint32_t real;  // bit i: query i is real
    G q[kDim > 0 ? kDim : knn_detail::kLeafSearchMaxDim];  // axis a of the group's queries
    G worst;  // each list's k-th distance

    GroupSearch(const LeafSearch<T, Norm, kDim>& search, const T* queries, List<T>* l, int c)
        : s(search), lists(l), count(c), real((1u << c) - 1) {
        for (int a = 0; a < dim(); ++a) __builtin_memcpy(&q[a], queries + a * kSlots, sizeof(G));
        update_worst();
    }

    // The dimension, fixed at compile time where kDim is.
    INFONATIVE_INLINE int dim() const { return kDim > 0 ? kDim : s.d; }

    void update_worst() {
        for (int i = 0; i < kQueries; ++i) worst[i] = lists[i].worst();
    }

    // Offers the points of `leaf` to the lists. Distances are c - q, as the brute-force scans
    // take them (bitwise the tree's q - c under every term); a candidate passes when it ties or
    // beats a list's k-th distance (offer() decides ties by row; NaN padding never passes).
    // The group's own leaf comes first, to empty lists that every candidate would pass: its
    // bound is instead each query's (k+1)-th smallest distance in the leaf, itself included
    // (a lane-wise insertion network), so only the points that end in a list pass.
    void scan(std::int32_t leaf, bool own = false) {
        const T* c = static_cast<const T*>(s.tree.blocks) +
                     std::int64_t(leaf - s.tree.first_leaf) * kSlots * dim();
        const std::int32_t* rows = s.tree.rows + std::int64_t(leaf - s.tree.first_leaf) * kSlots;
        const int size = s.tree.end[leaf] - s.tree.begin[leaf];
        G dist[kSlots];
        for (int j = 0; j < size; ++j) {
            G acc = group_term(s.norm, G(group_splat<T>(c[j]) - q[0]));
            for (int a = 1; a < dim(); ++a)
                acc = group_add(s.norm, acc,
                                group_term(s.norm, G(group_splat<T>(c[a * kSlots + j]) - q[a])));
            dist[j] = acc;
        }
        const int k = lists[0].k;
        const G bound = own && k < kNetwork ? smallest(dist, size, k + 1) : worst;
        std::uint64_t hits = 0;  // bit kQueries * j + i: candidate j passes for query i
        for (int j = 0; j < size; ++j)
            hits |= std::uint64_t(group_bits(dist[j] <= bound)) << (kQueries * j);
        for (; hits; hits &= hits - 1) {
            const int bit = __builtin_ctzll(hits), j = bit / kQueries, i = bit % kQueries;
            lists[i].offer(dist[j][i], rows[j]);
        }
        update_worst();
    }

    // Lane by lane, the m-th smallest of dist[0..size) (infinity when size < m): m running
    // minima, each candidate inserted by a min and a max per rank.
    static constexpr int kNetwork = 8;
    static G smallest(const G* dist, int size, int m) {
        G ranks[kNetwork];
        for (G& r : ranks) r = group_splat<T>(T(__builtin_inf()));
        for (int j = 0; j < size; ++j) {
            G t = dist[j];
            for (int r = 0; r < m; ++r) {
                const G low = ranks[r] < t ? ranks[r] : t;
                t = ranks[r] < t ? t : ranks[r];
                ranks[r] = low;
            }
        }
        return ranks[m - 1];
    }

    // Bit i set where node's box may hold a point that enters list i (KdTree::may_hold_better
    // on query i's own gap: below its k-th distance, or at it when that is not 0); the gap of
    // query 0, which orders the children, in first_gap.
    std::uint32_t may_hold_better(std::int32_t node, T& first_gap) const {
        const T* lo = s.box(node);
        const T* hi = lo + dim();
        // per axis max(lo - q, q - hi, 0), as KdTree::box_gap
        auto axis_term = [&](int a) {
            const G below = group_splat<T>(lo[a]) - q[a], above = q[a] - group_splat<T>(hi[a]);
            const G g = below > above ? below : above;
            return group_term(s.norm, G(g > T(0) ? g : T(0)));
        };
        G gap = axis_term(0);
        for (int a = 1; a < dim(); ++a) gap = group_add(s.norm, gap, axis_term(a));
        first_gap = gap[0];
        const std::uint32_t at_worst = group_bits(gap == worst) & group_bits(worst > T(0));
        return real & (group_bits(gap < worst) | at_worst);
    }

    // The subtree at node, which may hold better points: nearer child first (by query 0's
    // gap), the other one judged again after it, with the lists it improved.
    void search(std::int32_t node) {
        if (node >= s.tree.first_leaf) {
            scan(node);
            return;
        }
        const std::int32_t left = 2 * node + 1, right = left + 1;
        T gl, gr;
        const std::uint32_t left_may = may_hold_better(left, gl);
        const std::uint32_t right_may = may_hold_better(right, gr);
        if (gl <= gr) {
            if (left_may) search(left);
            if (right_may && may_hold_better(right, gr)) search(right);
        } else {
            if (right_may) search(right);
            if (left_may && may_hold_better(left, gl)) search(left);
        }
    }

    // Whether every real query's ball lies strictly inside the node's box (KdTree::ball_inside:
    // along every axis the nearest face is farther than the k-th distance).
    bool balls_inside(std::int32_t node) const {
        const T* lo = s.box(node);
        const T* hi = lo + dim();
        std::uint32_t inside = real;
        for (int a = 0; a < dim() && inside; ++a) {
            const G below = q[a] - group_splat<T>(lo[a]), above = group_splat<T>(hi[a]) - q[a];
            const G face = below < above ? below : above;
            inside &= group_bits(group_term(s.norm, face) > worst);
        }
        return inside == real;
    }
};

template <class T, class Norm, int kDim>
static void leaf_nearest_impl(const knn_detail::LeafTree& tree, std::int32_t leaf,
                              const Norm& norm, int k, T* dist, std::int32_t* row) {
    constexpr int kSlots = knn_detail::kLeafSlots;
    const int d = kDim > 0 ? kDim : tree.dim;
    const LeafSearch<T, Norm, kDim> s{norm, tree, d};
    const T* block = static_cast<const T*>(tree.blocks) +
                     std::int64_t(leaf - tree.first_leaf) * kSlots * d;
    const std::int32_t* rows = tree.rows + std::int64_t(leaf - tree.first_leaf) * kSlots;
    const int size = tree.end[leaf] - tree.begin[leaf];
    for (int first = 0; first < size; first += kQueries) {
        const int count = size - first < kQueries ? size - first : kQueries;
        List<T> lists[kQueries];
        for (int i = 0; i < kQueries; ++i) {
            T* di = dist + std::int64_t(first + i) * k;
            std::int32_t* ri = row + std::int64_t(first + i) * k;
            for (int j = 0; j < k; ++j) {
                di[j] = T(__builtin_inf());
                ri[j] = __INT32_MAX__;
            }
            lists[i] = List<T>{di, ri, k, rows[first + i]};
        }
        GroupSearch<T, Norm, kDim> g(s, block + first, lists, count);
        g.scan(leaf, true);
        for (std::int32_t node = leaf; node > 0; node = (node - 1) / 2) {
            if (g.balls_inside(node)) break;
            const std::int32_t sibling = (node & 1) ? node + 1 : node - 1;
            T unused;
            if (g.may_hold_better(sibling, unused)) g.search(sibling);
        }
    }
}
template <class T>
static void leaf_nearest(const knn_detail::LeafTree& tree, std::int32_t leaf, BruteNorm norm,
                         int k, void* dist, std::int32_t* row) {
    with_terms<T>(norm, tree.dim, [&](const auto& terms, auto d) {
        leaf_nearest_impl<T, std::decay_t<decltype(terms)>, decltype(d)::value>(
            tree, leaf, terms, k, static_cast<T*>(dist), row);
    });
}
