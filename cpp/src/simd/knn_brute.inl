// ONE brute-force neighbour kernel source, compiled once per instruction set (knn_brute_<isa>.cpp
// defines the namespace and the vector width) with -ffp-contract=off: a Euclidean distance must
// round d*d and then the sum, exactly as the kd-tree's scalar code does, never as one FMA.
//
// Distances run across candidate points (one vector = consecutive points of one axis, from the
// structure-of-arrays copy) and across kQueries queries at once (each candidate load serves all
// of them). Candidates are visited in chunks of kChunkBytes that stay in L1 while every query of
// the call scans them. k-best lists take the rare candidate that ties or beats their k-th entry
// through a scalar insertion, with the Neighbours order: (distance, row).
//
// No std containers or algorithms in here (an inline function emitted with AVX-512 code must
// never be picked by the linker for the baseline path).
#include <cstdint>
#include <type_traits>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "knn/brute_kernels.hpp"

#define INFONATIVE_INLINE inline __attribute__((always_inline))

namespace infonative::simd::INFONATIVE_ISA_NAMESPACE {
namespace {

using knn_detail::BruteNorm;
using knn_detail::BruteQueries;
using knn_detail::BruteSet;
using knn_detail::kBrutePad;
using knn_detail::NormKind;

constexpr int kVectorBytes = INFONATIVE_VECTOR_BYTES;
typedef float f32v __attribute__((vector_size(kVectorBytes)));
typedef double f64v __attribute__((vector_size(kVectorBytes)));
typedef std::int32_t i32v __attribute__((vector_size(kVectorBytes)));
typedef std::int64_t i64v __attribute__((vector_size(kVectorBytes)));

template <class T>
struct Lanes;
template <>
struct Lanes<float> {
    using V = f32v;
    using I = i32v;
    static constexpr std::int32_t kMagnitude = __INT32_MAX__;  // every bit but the sign
};
template <>
struct Lanes<double> {
    using V = f64v;
    using I = i64v;
    static constexpr std::int64_t kMagnitude = __INT64_MAX__;
};
template <class T>
using vec_t = typename Lanes<T>::V;
template <class T>
using ivec_t = typename Lanes<T>::I;
template <class T>
constexpr int kWidth = kVectorBytes / int(sizeof(T));
static_assert(kBrutePad % kWidth<float> == 0, "padding must hold whole vectors");

// Candidate chunk size (all axes): stays in L1 while the queries of a call scan it.
constexpr std::int64_t kChunkBytes = 16384;
// Queries evaluated together against each candidate vector.
constexpr int kQueries = knn_detail::kBruteQueryGroup;

template <class V, class T>
static INFONATIVE_INLINE V load(const T* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
// Every lane x (written lane by lane: `V{} + x` would cost an add and turn -0 into +0).
template <class V, class T>
static INFONATIVE_INLINE V splat(T x) {
    V v;
    for (int l = 0; l < int(sizeof(V) / sizeof(T)); ++l) v[l] = x;
    return v;
}

// Every lane *p, by one broadcast load where the target has one: GCC builds some splats of a
// loaded value from a scalar load, an unpack and an insert (the same bits either way).
template <class V, class T>
static INFONATIVE_INLINE V broadcast(const T* p) {
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64 && sizeof(T) == 8) return (V)_mm512_set1_pd(*p);
#endif
#if defined(__AVX__)
    if constexpr (sizeof(V) == 32 && sizeof(T) == 8) return (V)_mm256_broadcast_sd(p);
    if constexpr (sizeof(V) == 32 && sizeof(T) == 4) return (V)_mm256_broadcast_ss(p);
    if constexpr (sizeof(V) == 16 && sizeof(T) == 4) return (V)_mm_broadcast_ss(p);
#endif
    return splat<V>(*p);
}

// |x| by clearing the sign bit: bitwise what std::abs returns (also +0 for -0). Any vector of
// T: the kernels' full width, or the leaf kernels' groups of four lanes.
template <class T, class V>
static INFONATIVE_INLINE V vabs(V x) {
    using I = decltype(x < x);  // the integer vector of V's shape
    I bits;
    __builtin_memcpy(&bits, &x, sizeof x);
    bits &= Lanes<T>::kMagnitude;
    __builtin_memcpy(&x, &bits, sizeof x);
    return x;
}

// Bit l set where lane l of a comparison result is (lanes are all ones or all zeros), for a
// result of any width the target has a mask instruction for.
template <class I>
static INFONATIVE_INLINE std::uint32_t lane_bits(I m) {
    constexpr bool k64 = sizeof(m[0]) == 8;
#if defined(__AVX512F__) && defined(__AVX512DQ__)
    if constexpr (sizeof(I) == 64) {
        if constexpr (k64)
            return _mm512_movepi64_mask((__m512i)m);
        else
            return _mm512_movepi32_mask((__m512i)m);
    }
#endif
#if defined(__AVX__)
    if constexpr (sizeof(I) == 32) {
        if constexpr (k64)
            return std::uint32_t(_mm256_movemask_pd((__m256d)m));
        else
            return std::uint32_t(_mm256_movemask_ps((__m256)m));
    }
#endif
#if defined(__SSE2__)
    if constexpr (sizeof(I) == 16) {
        if constexpr (k64)
            return std::uint32_t(_mm_movemask_pd((__m128d)m));
        else
            return std::uint32_t(_mm_movemask_ps((__m128)m));
    }
#endif
    std::uint32_t bits = 0;
    for (int l = 0; l < int(sizeof(I) / sizeof(m[0])); ++l) bits |= std::uint32_t(m[l] != 0) << l;
    return bits;
}

// `acc < t ? t : acc` and `a < b ? a : b`, bitwise (a NaN or a tie keeps the left operand):
// one max/min instruction with the operands in the order its definition takes them (max returns
// its first operand only where that is greater, min only where it is less). GCC builds the
// ternaries from a compare and a masked move instead.
template <class V>
static INFONATIVE_INLINE V vmax(V acc, V t) {
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64 && sizeof(acc[0]) == 8) return (V)_mm512_max_pd((__m512d)t, (__m512d)acc);
    if constexpr (sizeof(V) == 64 && sizeof(acc[0]) == 4) return (V)_mm512_max_ps((__m512)t, (__m512)acc);
#endif
#if defined(__AVX__)
    if constexpr (sizeof(V) == 32 && sizeof(acc[0]) == 8) return (V)_mm256_max_pd((__m256d)t, (__m256d)acc);
    if constexpr (sizeof(V) == 32 && sizeof(acc[0]) == 4) return (V)_mm256_max_ps((__m256)t, (__m256)acc);
#endif
#if defined(__SSE2__)
    if constexpr (sizeof(V) == 16 && sizeof(acc[0]) == 8) return (V)_mm_max_pd((__m128d)t, (__m128d)acc);
    if constexpr (sizeof(V) == 16 && sizeof(acc[0]) == 4) return (V)_mm_max_ps((__m128)t, (__m128)acc);
#endif
    return acc < t ? t : acc;
}
template <class V>
static INFONATIVE_INLINE V vmin(V a, V b) {
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64 && sizeof(a[0]) == 8) return (V)_mm512_min_pd((__m512d)a, (__m512d)b);
    if constexpr (sizeof(V) == 64 && sizeof(a[0]) == 4) return (V)_mm512_min_ps((__m512)a, (__m512)b);
#endif
#if defined(__AVX__)
    if constexpr (sizeof(V) == 32 && sizeof(a[0]) == 8) return (V)_mm256_min_pd((__m256d)a, (__m256d)b);
    if constexpr (sizeof(V) == 32 && sizeof(a[0]) == 4) return (V)_mm256_min_ps((__m256)a, (__m256)b);
#endif
#if defined(__SSE2__)
    if constexpr (sizeof(V) == 16 && sizeof(a[0]) == 8) return (V)_mm_min_pd((__m128d)a, (__m128d)b);
    if constexpr (sizeof(V) == 16 && sizeof(a[0]) == 4) return (V)_mm_min_ps((__m128)a, (__m128)b);
#endif
    return a < b ? a : b;
}

static INFONATIVE_INLINE float scalar_abs(float x) { return __builtin_fabsf(x); }
static INFONATIVE_INLINE double scalar_abs(double x) { return __builtin_fabs(x); }

// The norm policies of norms.hpp on vectors of any width (the kernels' own, or the leaf
// kernels' groups) and on one candidate, for the hits: the same terms combined in the same
// order.
template <class T>
struct MaxTerms {
    template <class V>
    INFONATIVE_INLINE V term(V diff) const {
        return vabs<T>(diff);
    }
    template <class V>
    INFONATIVE_INLINE V add(V acc, V t) const {
        return vmax(acc, t);
    }
    INFONATIVE_INLINE T term(T diff) const { return scalar_abs(diff); }
    INFONATIVE_INLINE T add(T acc, T t) const { return acc < t ? t : acc; }
};
template <class T>
struct EuclideanTerms {
    template <class V>
    INFONATIVE_INLINE V term(V diff) const {
        return diff * diff;
    }
    template <class V>
    INFONATIVE_INLINE V add(V acc, V t) const {
        return acc + t;
    }
    INFONATIVE_INLINE T term(T diff) const { return diff * diff; }
    INFONATIVE_INLINE T add(T acc, T t) const { return acc + t; }
};
template <class T>
struct ManhattanTerms {
    template <class V>
    INFONATIVE_INLINE V term(V diff) const {
        return vabs<T>(diff);
    }
    template <class V>
    INFONATIVE_INLINE V add(V acc, V t) const {
        return acc + t;
    }
    INFONATIVE_INLINE T term(T diff) const { return scalar_abs(diff); }
    INFONATIVE_INLINE T add(T acc, T t) const { return acc + t; }
};
// pow per lane through libm, the very function std::pow(T, T) calls in the tree.
static INFONATIVE_INLINE float scalar_pow(float x, float p) { return __builtin_powf(x, p); }
static INFONATIVE_INLINE double scalar_pow(double x, double p) { return __builtin_pow(x, p); }
template <class T>
struct MinkowskiTerms {
    T p;
    template <class V>
    INFONATIVE_INLINE V term(V diff) const {
        V a = vabs<T>(diff);
        for (int l = 0; l < int(sizeof(V) / sizeof(T)); ++l) a[l] = scalar_pow(a[l], p);
        return a;
    }
    template <class V>
    INFONATIVE_INLINE V add(V acc, V t) const {
        return acc + t;
    }
    INFONATIVE_INLINE T term(T diff) const { return scalar_pow(scalar_abs(diff), p); }
    INFONATIVE_INLINE T add(T acc, T t) const { return acc + t; }
};

// norm.add(acc, norm.term(diff)), the step of a distance along one more axis.
template <class Norm, class V>
static INFONATIVE_INLINE V add_term(const Norm& norm, V acc, V diff) {
    return norm.add(acc, norm.term(diff));
}
// The max-norm's, for an acc that is itself a term (not negative): max(|acc|, |diff|) with the
// sign cleared is one vrangepd/vrangeps where AVX-512DQ has it (the same value; NaN stays NaN,
// and the kernels' NaN padding is NaN on every axis).
template <class T, class V>
static INFONATIVE_INLINE V add_term(const MaxTerms<T>& norm, V acc, V diff) {
#if defined(__AVX512DQ__)
    constexpr int kMaxAbsSignCleared = 0x0B;
    if constexpr (sizeof(V) == 64 && sizeof(T) == 8)
        return (V)_mm512_range_pd((__m512d)acc, (__m512d)diff, kMaxAbsSignCleared);
    if constexpr (sizeof(V) == 64 && sizeof(T) == 4)
        return (V)_mm512_range_ps((__m512)acc, (__m512)diff, kMaxAbsSignCleared);
#if defined(__AVX512VL__)
    if constexpr (sizeof(V) == 32 && sizeof(T) == 8)
        return (V)_mm256_range_pd((__m256d)acc, (__m256d)diff, kMaxAbsSignCleared);
    if constexpr (sizeof(V) == 32 && sizeof(T) == 4)
        return (V)_mm256_range_ps((__m256)acc, (__m256)diff, kMaxAbsSignCleared);
    if constexpr (sizeof(V) == 16 && sizeof(T) == 8)
        return (V)_mm_range_pd((__m128d)acc, (__m128d)diff, kMaxAbsSignCleared);
    if constexpr (sizeof(V) == 16 && sizeof(T) == 4)
        return (V)_mm_range_ps((__m128)acc, (__m128)diff, kMaxAbsSignCleared);
#endif
#endif
    return norm.add(acc, norm.term(diff));
}

// The coordinates of kQ queries, broadcast to vectors once per scan when the dimension is fixed
// (at run time, broadcast as they are used).
template <class T, int kDim, int kQ>
struct QueryCoords {
    vec_t<T> v[kQ][kDim];
    QueryCoords(const T* const* q, std::int64_t axis_step) {
        for (int i = 0; i < kQ; ++i)
            for (int a = 0; a < kDim; ++a) v[i][a] = splat<vec_t<T>>(q[i][a * axis_step]);
    }
    INFONATIVE_INLINE vec_t<T> at(int i, int a) const { return v[i][a]; }
};
template <class T, int kQ>
struct QueryCoords<T, 0, kQ> {
    const T* const* q;
    std::int64_t axis_step;
    QueryCoords(const T* const* q_, std::int64_t step) : q(q_), axis_step(step) {}
    INFONATIVE_INLINE vec_t<T> at(int i, int a) const {
        return splat<vec_t<T>>(q[i][a * axis_step]);
    }
};

// Reduced distances from kQ queries to the kWidth candidates at `cand` (axis a at
// cand + a * padded): acc = term(d_0), then acc = add(acc, term(d_a)) in axis order, as
// reduced_distance (norms.hpp) computes it. d_a = c_a - q_a where the tree has q_a - c_a: every
// term takes |d| or d*d, and fl(c - q) = -fl(q - c) exactly, so the terms are bitwise the same
// (c - q lets the candidate vector, not the broadcast, be the register operand).
template <class T, class Norm, int kDim, int kQ>
static INFONATIVE_INLINE void distances(const Norm& norm, const T* cand, std::int64_t padded,
                                        int dim, const QueryCoords<T, kDim, kQ>& q, vec_t<T>* out) {
    using V = vec_t<T>;
    const int d = kDim > 0 ? kDim : dim;
    V c = load<V>(cand);
#pragma GCC unroll 8
    for (int i = 0; i < kQ; ++i) out[i] = norm.term(V(c - q.at(i, 0)));
    for (int a = 1; a < d; ++a) {
        c = load<V>(cand + a * padded);
#pragma GCC unroll 8
        for (int i = 0; i < kQ; ++i) out[i] = add_term(norm, out[i], V(c - q.at(i, a)));
    }
}

// One query's k-best list (the Neighbours order of neighbours.hpp).
template <class T>
struct List {
    T* dist;
    std::int32_t* row;
    int k;
    std::int32_t exclude;

    INFONATIVE_INLINE static bool before(T d, std::int32_t r, T d2, std::int32_t r2) {
        return (d < d2) | ((d == d2) & (r < r2));
    }
    INFONATIVE_INLINE T worst() const { return dist[k - 1]; }
    INFONATIVE_INLINE void offer(T d, std::int32_t r) {
        if (r == exclude || !before(d, r, dist[k - 1], row[k - 1])) return;
        int j = k - 1;
        for (; j > 0 && before(d, r, dist[j - 1], row[j - 1]); --j) {
            dist[j] = dist[j - 1];
            row[j] = row[j - 1];
        }
        dist[j] = d;
        row[j] = r;
    }
};

// The reduced distance from one query to one candidate: the vector computation on one lane
// (the same operations in the same order, hence the same bits).
template <class T, class Norm, int kDim>
static INFONATIVE_INLINE T one_distance(const Norm& norm, const T* cand, std::int64_t padded,
                                        int dim, const T* q, std::int64_t axis_step) {
    const int d = kDim > 0 ? kDim : dim;
    T acc = norm.term(T(cand[0] - q[0]));
    for (int a = 1; a < d; ++a)
        acc = norm.add(acc, norm.term(T(cand[a * padded] - q[a * axis_step])));
    return acc;
}

// Candidates per hit mask: each query collects a 64-bit mask of the candidates of a tile that
// tie or beat its k-th distance, and its list takes them after the tile (their distances
// recomputed one by one). The inner loop thus has no call, no store and no branch, and the k-th
// distance it compares with is at most one tile old: a stale, larger bound only lets more
// candidates through to offer(), which decides exactly.
constexpr int kTile = 64;
static_assert(kBrutePad % 16 == 0 && kTile % kBrutePad == 0, "tiles hold whole vectors");

template <class T, class Norm, int kDim, int kQ>
static void scan_nearest(const Norm& norm, const BruteSet& s, const T* const* q,
                         std::int64_t axis_step, std::int64_t j0, std::int64_t j1, List<T>* lists) {
    using V = vec_t<T>;
    constexpr int W = kWidth<T>;
    const T* data = static_cast<const T*>(s.data);
    const QueryCoords<T, kDim, kQ> qc(q, axis_step);
    for (std::int64_t t0 = j0, len = 0; t0 < j1; t0 += len) {
        // the set's first tile is short: the lists start empty, everything in it is a hit
        const int tile_len = t0 == 0 ? int(kBrutePad) : kTile;
        len = j1 - t0 < tile_len ? j1 - t0 : tile_len;  // a multiple of kBrutePad
        V worst[kQ];
        std::uint64_t hits[kQ];
#pragma GCC unroll 8
        for (int i = 0; i < kQ; ++i) {
            worst[i] = splat<V>(lists[i].worst());
            hits[i] = 0;
        }
        for (int t = 0; t < len; t += W) {
            V dist[kQ];
            distances<T, Norm, kDim, kQ>(norm, data + t0 + t, s.padded, s.dim, qc, dist);
            // <= lets ties at the k-th distance through (offer() decides them by row); NaN
            // (padding) never passes
#pragma GCC unroll 8
            for (int i = 0; i < kQ; ++i)
                hits[i] |= std::uint64_t(lane_bits(dist[i] <= worst[i])) << t;
        }
        for (int i = 0; i < kQ; ++i)
            for (std::uint64_t h = hits[i]; h; h &= h - 1) {
                const std::int64_t j = t0 + __builtin_ctzll(h);
                lists[i].offer(
                    one_distance<T, Norm, kDim>(norm, data + j, s.padded, s.dim, q[i], axis_step),
                    s.rows[j]);
            }
    }
}

template <class T, class Norm, int kDim, int kQ>
static void scan_count(const Norm& norm, const BruteSet& s, const T* const* q,
                       std::int64_t axis_step, std::int64_t j0, std::int64_t j1, const T* radius,
                       std::int64_t* out) {
    using V = vec_t<T>;
    using I = ivec_t<T>;
    constexpr int W = kWidth<T>;
    const T* data = static_cast<const T*>(s.data);
    const QueryCoords<T, kDim, kQ> qc(q, axis_step);
    V r[kQ];
    I hits[kQ];
    for (int i = 0; i < kQ; ++i) {
        r[i] = splat<V>(radius[i]);
        hits[i] = I{};
    }
    for (std::int64_t j = j0; j < j1; j += W) {
        V dist[kQ];
        distances<T, Norm, kDim, kQ>(norm, data + j, s.padded, s.dim, qc, dist);
#pragma GCC unroll 8
        for (int i = 0; i < kQ; ++i) hits[i] -= dist[i] <= r[i];  // true is -1
    }
    for (int i = 0; i < kQ; ++i)
        for (int l = 0; l < W; ++l) out[i] += std::int64_t(hits[i][l]);
}

static INFONATIVE_INLINE std::int64_t query_at(const BruteQueries& q, int i) {
    return q.index ? std::int64_t(q.index[i]) : std::int64_t(i);
}

// Candidates per chunk: a multiple of kBrutePad (chunks then hold whole vectors).
template <class T>
static std::int64_t chunk_points(int dim) {
    const std::int64_t c = kChunkBytes / (std::int64_t(dim) * std::int64_t(sizeof(T)));
    return c < kBrutePad ? kBrutePad : c / kBrutePad * kBrutePad;
}

template <class T, class Norm, int kDim>
static void nearest_impl(const BruteSet& s, const BruteQueries& q, const Norm& norm, int k, T* dist,
                         std::int32_t* row) {
    const T* qd = static_cast<const T*>(q.data);
    for (std::int64_t e = 0; e < std::int64_t(q.count) * k; ++e) {
        dist[e] = T(__builtin_inf());
        row[e] = __INT32_MAX__;
    }
    auto list = [&](int i) {
        return List<T>{dist + std::int64_t(i) * k, row + std::int64_t(i) * k, k,
                       q.exclude ? q.exclude[i] : std::int32_t(-1)};
    };
    const std::int64_t chunk = chunk_points<T>(s.dim);
    for (std::int64_t c0 = 0; c0 < s.padded; c0 += chunk) {
        const std::int64_t c1 = c0 + chunk < s.padded ? c0 + chunk : s.padded;
        int i = 0;
        for (; i + kQueries <= q.count; i += kQueries) {
            const T* qp[kQueries];
            List<T> lists[kQueries];
            for (int t = 0; t < kQueries; ++t) {
                qp[t] = qd + query_at(q, i + t) * q.row_step;
                lists[t] = list(i + t);
            }
            scan_nearest<T, Norm, kDim, kQueries>(norm, s, qp, q.axis_step, c0, c1, lists);
        }
        for (; i < q.count; ++i) {
            const T* qp[1] = {qd + query_at(q, i) * q.row_step};
            List<T> lists[1] = {list(i)};
            scan_nearest<T, Norm, kDim, 1>(norm, s, qp, q.axis_step, c0, c1, lists);
        }
    }
}

template <class T, class Norm, int kDim>
static void count_impl(const BruteSet& s, const BruteQueries& q, const Norm& norm, const T* radius,
                       std::int64_t* out) {
    const T* qd = static_cast<const T*>(q.data);
    for (int i = 0; i < q.count; ++i) out[i] = 0;
    const std::int64_t chunk = chunk_points<T>(s.dim);
    for (std::int64_t c0 = 0; c0 < s.padded; c0 += chunk) {
        const std::int64_t c1 = c0 + chunk < s.padded ? c0 + chunk : s.padded;
        int i = 0;
        for (; i + kQueries <= q.count; i += kQueries) {
            const T* qp[kQueries];
            for (int t = 0; t < kQueries; ++t) qp[t] = qd + query_at(q, i + t) * q.row_step;
            scan_count<T, Norm, kDim, kQueries>(norm, s, qp, q.axis_step, c0, c1, radius + i,
                                                out + i);
        }
        for (; i < q.count; ++i) {
            const T* qp[1] = {qd + query_at(q, i) * q.row_step};
            scan_count<T, Norm, kDim, 1>(norm, s, qp, q.axis_step, c0, c1, radius + i, out + i);
        }
    }
}

// Calls f(std::integral_constant-like tag) for dimensions 1-8 fixed at compile time, 0 otherwise.
template <int D>
struct Dim {
    static constexpr int value = D;
};
template <class F>
static INFONATIVE_INLINE void with_dim(int dim, F&& f) {
    switch (dim) {
        case 1:
            f(Dim<1>{});
            break;
        case 2:
            f(Dim<2>{});
            break;
        case 3:
            f(Dim<3>{});
            break;
        case 4:
            f(Dim<4>{});
            break;
        case 5:
            f(Dim<5>{});
            break;
        case 6:
            f(Dim<6>{});
            break;
        case 7:
            f(Dim<7>{});
            break;
        case 8:
            f(Dim<8>{});
            break;
        default:
            f(Dim<0>{});
            break;
    }
}

// Calls f(terms, dim tag); pow dominates a Minkowski distance, so its dimension stays run-time.
template <class T, class F>
static INFONATIVE_INLINE void with_terms(BruteNorm norm, int dim, F&& f) {
    switch (norm.kind) {
        case NormKind::max:
            with_dim(dim, [&](auto d) { f(MaxTerms<T>{}, d); });
            break;
        case NormKind::euclidean:
            with_dim(dim, [&](auto d) { f(EuclideanTerms<T>{}, d); });
            break;
        case NormKind::manhattan:
            with_dim(dim, [&](auto d) { f(ManhattanTerms<T>{}, d); });
            break;
        case NormKind::minkowski:
            f(MinkowskiTerms<T>{T(norm.p)}, Dim<0>{});
            break;
    }
}

template <class T>
static void nearest(const BruteSet& s, const BruteQueries& q, BruteNorm norm, int k, void* dist,
                    std::int32_t* row) {
    with_terms<T>(norm, s.dim, [&](const auto& terms, auto d) {
        nearest_impl<T, std::decay_t<decltype(terms)>, decltype(d)::value>(
            s, q, terms, k, static_cast<T*>(dist), row);
    });
}

template <class T>
static void count(const BruteSet& s, const BruteQueries& q, BruteNorm norm, const void* radius,
                  std::int64_t* out) {
    with_terms<T>(norm, s.dim, [&](const auto& terms, auto d) {
        count_impl<T, std::decay_t<decltype(terms)>, decltype(d)::value>(
            s, q, terms, static_cast<const T*>(radius), out);
    });
}

#include "simd/knn_leaf_search.inl"
#include "simd/knn_leaf_count.inl"

}  // namespace

void fill_brute_table(knn_detail::BruteKernels& t) {
    t.nearest[0] = nearest<float>;
    t.nearest[1] = nearest<double>;
    t.leaf_nearest[0] = leaf_nearest<float>;
    t.leaf_nearest[1] = leaf_nearest<double>;
    t.leaf_count[0] = leaf_count<float>;
    t.leaf_count[1] = leaf_count<double>;
    t.count[0] = count<float>;
    t.count[1] = count<double>;
}

}  // namespace infonative::simd::INFONATIVE_ISA_NAMESPACE
