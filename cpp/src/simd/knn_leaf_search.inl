// The leaf search kernel (brute_kernels.hpp, LeafNearestFn): the k nearest of every point of one
// kd-tree leaf, a group of kSearchLanes of them at a time. Part of knn_brute.inl (its helpers, its
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

// A group's queries lane by lane: one vector of kSearchLanes lanes per axis (the transpose of the
// brute-force scans, which run vectors across candidates). Each candidate of a leaf is then
// broadcast once against the whole group, and a leaf of fewer than kLeafSlots points costs
// only its points.
template <class T, int kLanes>
struct GroupLanes {
    typedef T V __attribute__((vector_size(kLanes * sizeof(T))));
};
template <class T, int kLanes>
using gvec_t = typename GroupLanes<T, kLanes>::V;
// The search's groups: four queries (eight measured no faster on AVX-512: the wider union
// of the group's subtrees costs what the fewer walks save).
constexpr int kSearchLanes = 4;
static_assert(kSearchLanes * knn_detail::kLeafSlots <= 64, "a leaf's hits fit one word");

// The tree of a LeafTree, typed, with its dimension fixed at compile time where kDim is; and
// what the leaf kernels compute on it for a group.
template <class T, class Norm, int kDim, int kLanes>
struct TypedLeafTree {
    using G = gvec_t<T, kLanes>;
    static constexpr int kSlots = knn_detail::kLeafSlots;
    const Norm& norm;
    const knn_detail::LeafTree& tree;

    INFONATIVE_INLINE int dim() const { return kDim > 0 ? kDim : tree.dim; }
    INFONATIVE_INLINE const T* box(std::int32_t node) const {
        return static_cast<const T*>(tree.box) + std::int64_t(node) * 2 * dim();
    }
    INFONATIVE_INLINE std::int32_t size(std::int32_t node) const {
        return tree.end[node] - tree.begin[node];
    }
    // A leaf node's points (axis a at a * kSlots) and their rows.
    INFONATIVE_INLINE const T* block(std::int32_t leaf) const {
        return static_cast<const T*>(tree.blocks) +
               std::int64_t(leaf - tree.first_leaf) * kSlots * dim();
    }
    INFONATIVE_INLINE const std::int32_t* rows(std::int32_t leaf) const {
        return tree.rows + std::int64_t(leaf - tree.first_leaf) * kSlots;
    }

    // Reduced distances from the group's queries q (axis by axis) to point j of a block: c - q,
    // as the brute-force scans take them (bitwise the tree's q - c under every term).
    INFONATIVE_INLINE G distance(const G* q, const T* block, int j) const {
        G acc = norm.term(G(broadcast<G>(block + j) - q[0]));
        for (int a = 1; a < dim(); ++a)
            acc = add_term(norm, acc, G(broadcast<G>(block + a * kSlots + j) - q[a]));
        return acc;
    }

    // The axis's differences below = lo - q and above = q - hi from the group to a box.
    INFONATIVE_INLINE void sides(const G* q, const T* box, int a, G& below, G& above) const {
        below = broadcast<G>(box + a) - q[a];
        above = q[a] - broadcast<G>(box + dim() + a);
    }
    // Reduced distance from each query to the box (0 inside), as KdTree::box_gap; with `far`,
    // also to its farthest corner, as KdTree::box_gap_far.
    INFONATIVE_INLINE G gap(const G* q, const T* box, G* far = nullptr) const {
        if constexpr (std::is_same_v<Norm, MaxTerms<T>>) return max_norm_gap(q, box, far);
        G gap_sum{}, far_sum{};
        for (int a = 0; a < dim(); ++a) {
            G below, above;
            sides(q, box, a, below, above);
            const G outside = below > above ? below : above;
            const G g = norm.term(G(outside > T(0) ? outside : T(0)));
            gap_sum = a == 0 ? g : norm.add(gap_sum, g);
            if (far) {
                const G f = norm.term(G(-below > -above ? -below : -above));
                far_sum = a == 0 ? f : norm.add(far_sum, f);
            }
        }
        if (far) *far = far_sum;
        return gap_sum;
    }

    // gap() under the max-norm, where a term of a nonnegative difference is the difference
    // itself: the gap is max(max_a outside_a, 0), and the far corner, max_a max(q - lo, hi - q)
    // (never negative, as lo <= hi), is -min_a min(below, above). The same values with about
    // half the operations.
    INFONATIVE_INLINE G max_norm_gap(const G* q, const T* box, G* far) const {
        G outside{}, nearest_side{};
        for (int a = 0; a < dim(); ++a) {
            G below, above;
            sides(q, box, a, below, above);
            const G o = vmax(above, below), n = vmin(below, above);
            outside = a == 0 ? o : vmax(outside, o);
            if (far) nearest_side = a == 0 ? n : vmin(nearest_side, n);
        }
        if (far) *far = -nearest_side;
        return vmax(splat<G>(T(0)), outside);  // outside > 0 ? outside : 0
    }
};

// The queries of one group (count of them real, the rest NaN padding) and their lists.
template <class T, class Norm, int kDim>
struct GroupSearch {
    static constexpr int kQueries = kSearchLanes;
    using G = gvec_t<T, kQueries>;
    static constexpr int kSlots = knn_detail::kLeafSlots;
    const TypedLeafTree<T, Norm, kDim, kSearchLanes>& t;
    List<T>* lists;
    int count;
    std::uint32_t real;  // bit i: query i is real
    G q[kDim > 0 ? kDim : knn_detail::kLeafSearchMaxDim];  // axis a of the group's queries
    G worst;  // each list's k-th distance

    GroupSearch(const TypedLeafTree<T, Norm, kDim, kSearchLanes>& tree, const T* queries, List<T>* l, int c)
        : t(tree), lists(l), count(c), real((1u << c) - 1) {
        for (int a = 0; a < t.dim(); ++a) q[a] = load<G>(queries + a * kSlots);
        update_worst();
    }

    void update_worst() {
        for (int i = 0; i < kQueries; ++i) worst[i] = lists[i].worst();
    }

    // Offers the points of `leaf` to the lists: a candidate passes when it ties or beats a
    // list's k-th distance (offer() decides ties by row; NaN padding never passes).
    // The group's own leaf comes first, to empty lists that every candidate would pass: its
    // bound is instead each query's (k+1)-th smallest distance in the leaf, itself included
    // (a lane-wise insertion network), so only the points that end in a list pass.
    void scan(std::int32_t leaf, bool own = false) {
        const T* c = t.block(leaf);
        const std::int32_t* rows = t.rows(leaf);
        const int size = t.size(leaf);
        G dist[kSlots];
        std::uint64_t hits = 0;  // bit kQueries * j + i: candidate j passes for query i
        const int k = lists[0].k;
        if (own && k < kNetwork) {
            for (int j = 0; j < size; ++j) dist[j] = t.distance(q, c, j);
            const G bound = smallest(dist, size, k + 1);
            for (int j = 0; j < size; ++j)
                hits |= std::uint64_t(lane_bits(dist[j] <= bound)) << (kQueries * j);
        } else {  // one pass
            for (int j = 0; j < size; ++j) {
                dist[j] = t.distance(q, c, j);
                hits |= std::uint64_t(lane_bits(dist[j] <= worst)) << (kQueries * j);
            }
        }
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
        for (G& r : ranks) r = splat<G>(T(__builtin_inf()));
        for (int j = 0; j < size; ++j) {
            G x = dist[j];
            for (int r = 0; r < m; ++r) {
                const G low = ranks[r] < x ? ranks[r] : x;
                x = ranks[r] < x ? x : ranks[r];
                ranks[r] = low;
            }
        }
        return ranks[m - 1];
    }

    // Each query's reduced distance to node's box.
    G gap_to(std::int32_t node) const { return t.gap(q, t.box(node)); }

    // Bit i set where a box at these gaps may hold a point that enters list i
    // (KdTree::may_hold_better on query i's own gap: below its k-th distance, or at it when
    // that is not 0).
    std::uint32_t may_hold_better(G gap) const {
        const std::uint32_t at_worst = lane_bits(gap == worst) & lane_bits(worst > T(0));
        return real & (lane_bits(gap < worst) | at_worst);
    }

    // The subtree at node: nearer child first (by query 0's gap), then the other one, judged
    // after the first with the lists it improved (a box's gaps stay; the k-th distances only
    // shrink, so this is the test before and after at once).
    void search(std::int32_t node) {
        if (node >= t.tree.first_leaf) {
            scan(node);
            return;
        }
        const std::int32_t left = 2 * node + 1, right = left + 1;
        const G gl = gap_to(left), gr = gap_to(right);
        const bool left_first = gl[0] <= gr[0];
        if (may_hold_better(left_first ? gl : gr)) search(left_first ? left : right);
        if (may_hold_better(left_first ? gr : gl)) search(left_first ? right : left);
    }

    // Whether every real query's ball lies strictly inside the node's box (KdTree::ball_inside:
    // along every axis the nearest face, min(q - lo, hi - q), is farther than the k-th
    // distance).
    bool balls_inside(std::int32_t node) const {
        const T* box = t.box(node);
        std::uint32_t inside = real;
        // a fixed dimension runs every axis: an early exit would be a data-dependent branch
        for (int a = 0; a < t.dim() && (kDim > 0 || inside); ++a) {
            G below, above;
            t.sides(q, box, a, below, above);
            const G face = -below < -above ? -below : -above;
            inside &= lane_bits(t.norm.term(face) > worst);
        }
        return inside == real;
    }
};

template <class T, class Norm, int kDim>
static void leaf_nearest_impl(const knn_detail::LeafTree& tree, std::int32_t leaf,
                              const Norm& norm, int k, T* dist, std::int32_t* row) {
    constexpr int kQueries = kSearchLanes;
    const TypedLeafTree<T, Norm, kDim, kQueries> t{norm, tree};
    const T* block = t.block(leaf);
    const std::int32_t* rows = t.rows(leaf);
    const int size = t.size(leaf);
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
        GroupSearch<T, Norm, kDim> g(t, block + first, lists, count);
        g.scan(leaf, true);
        for (std::int32_t node = leaf; node > 0; node = (node - 1) / 2) {
            if (g.balls_inside(node)) break;
            const std::int32_t sibling = (node & 1) ? node + 1 : node - 1;
            if (g.may_hold_better(g.gap_to(sibling))) g.search(sibling);
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
