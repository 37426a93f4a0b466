// ONE kernel source, compiled once per instruction set (kernels_<isa>.cpp defines the
// namespace and the vector width). Each kernel handles one contiguous piece of a row; the
// OpenMP drivers in cpp/src split the work. No std containers or algorithms in here: an
// inline function emitted with AVX-512 code must never be picked by the linker for baseline.
#include <cmath>
#include <cstdint>
#include <type_traits>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "kernel_table.hpp"
#include "simd/storage_types.hpp"

// The vector helpers must be inlined: GCC's size heuristics otherwise call exp out of line, and
// each call spills the other exp chains to the stack (the 4-chain loops ran at 1/2.5 speed).
#define INFONATIVE_INLINE inline __attribute__((always_inline))

namespace infonative::simd::INFONATIVE_ISA_NAMESPACE {
namespace {

using detail::BFloat16;
using detail::CrossEntropyStats;
using detail::EntropyStats;
using detail::Half;
using detail::KlStats;
using detail::LseStats;
using detail::SumStats;

#include "simd/vec.inl"
#include "simd/vmath.inl"
#include "simd/stats_merge.inl"

constexpr double kInf = __builtin_inf();

// Pieces of a row are processed in blocks that stay in L1 between the max pass and the exp pass.
template <class S> constexpr std::int64_t kBlock = detail::kBlockBytes / std::int64_t(sizeof(S));

template <class C> struct Range {
    C max, min;
    bool has_nan;
    // Whether exp(x - max) may use the fast exp for every entry.
    bool fast() const { return !has_nan && min - max >= kExpFastFloor<C>; }
};

// Max and min over the non-NaN entries of a block (NaN compares false and is skipped), and
// whether there was a NaN (kNan). None of them depends on the order of the entries or on
// entries seen twice, so the loads are aligned: one unaligned vector covers the head and one
// the tail. numpy puts large arrays 16 bytes past a 64-byte boundary, where every AVX-512 load
// would straddle two cache lines (this pass is bound by its loads). Four chains each: one
// would wait on its latency.
template <class S, bool kNan = true>
static Range<compute_t<S>> float_block_range(const S* x, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    V hi[4], lo[4];
    ivec_t<S> nan{};
    for (int c = 0; c < 4; ++c) hi[c] = splat<V>(-C(kInf)), lo[c] = splat<V>(C(kInf));
    auto visit = [&](int c, V a) {
        hi[c] = a > hi[c] ? a : hi[c];
        lo[c] = a < lo[c] ? a : lo[c];
        if constexpr (kNan) nan |= a != a;
    };
    if (n < W) {  // a short block: lane by lane
        for (std::int64_t k = 0; k < n; ++k) visit(0, splat<V>(load_scalar(x + k)));
    } else {
        constexpr std::uintptr_t kSpan = W * sizeof(S);  // the bytes of one vector's entries
        const std::uintptr_t misalignment = reinterpret_cast<std::uintptr_t>(x) % kSpan;
        std::int64_t i = std::int64_t((kSpan - misalignment) % kSpan / sizeof(S));
        visit(0, load_vec(x));
        for (; i + 4 * W <= n; i += 4 * W)
            for (int c = 0; c < 4; ++c) visit(c, load_vec(x + i + c * W));
        for (; i + W <= n; i += W) visit(1, load_vec(x + i));
        visit(2, load_vec(x + n - W));
    }
    for (int c = 1; c < 4; ++c) {
        hi[0] = hi[c] > hi[0] ? hi[c] : hi[0];
        lo[0] = lo[c] < lo[0] ? lo[c] : lo[0];
    }
    Range<C> r{hi[0][0], lo[0][0], false};
    for (int k = 0; k < W; ++k) {
        r.max = hi[0][k] > r.max ? hi[0][k] : r.max;
        r.min = lo[0][k] < r.min ? lo[0][k] : r.min;
        r.has_nan = r.has_nan || nan[k] != 0;
    }
    return r;
}

// ---- ranges from bit patterns -------------------------------------------------------------
// IEEE formats are sign-magnitude: flipping the magnitude bits of negative values gives
// integer keys in the order of the values (-0 just below +0), and keys beyond +-inf's are
// NaNs. Max and min of keys take integer operations only: for 16-bit types twice the lanes of
// the float pass and no conversions.
typedef std::int16_t i16v __attribute__((vector_size(kVectorBytes)));
template <class S> struct OrderKey;
template <> struct OrderKey<Half> {
    using K = std::int16_t;
    using KV = i16v;
    static constexpr std::uint16_t inf_bits = 0x7c00;
};
template <> struct OrderKey<BFloat16> {
    using K = std::int16_t;
    using KV = i16v;
    static constexpr std::uint16_t inf_bits = 0x7f80;
};

// The key map flips the magnitude bits where the sign bit is set; it is its own inverse.
template <class T, class K> static INFONATIVE_INLINE T order_keys(T bits) {
    constexpr int kSignShift = 8 * int(sizeof(K)) - 1;
    constexpr K kMagnitude = K((std::uint64_t(1) << kSignShift) - 1);
    return bits ^ ((bits >> kSignShift) & kMagnitude);
}

template <class S> struct KeyRange {
    using K = typename OrderKey<S>::K;
    using KV = typename OrderKey<S>::KV;
    static constexpr int kLanes = kVectorBytes / int(sizeof(K));
    static constexpr K kLowest = K(std::uint64_t(1) << (8 * sizeof(K) - 1)), kHighest = K(~kLowest);
    KV hi = splat<KV>(kLowest), lo = splat<KV>(kHighest);

    INFONATIVE_INLINE void add(const S* p) {
        const KV key = order_keys<KV, K>(load_bytes<KV>(p));
        hi = key > hi ? key : hi;
        lo = key < lo ? key : lo;
    }
    INFONATIVE_INLINE void absorb(const KeyRange& other) {
        hi = other.hi > hi ? other.hi : hi;
        lo = other.lo < lo ? other.lo : lo;
    }
    static compute_t<S> value_of_key(K key) {
        const auto bits = order_keys<K, K>(key);
        S value;
        __builtin_memcpy(&value, &bits, sizeof value);
        return load_scalar(&value);
    }
    // The range of x[0, n), of which add() has seen x[0, seen).
    Range<compute_t<S>> finish(const S* x, std::int64_t seen, std::int64_t n) const {
        K h = hi[0], l = lo[0];
        for (int k = 1; k < kLanes; ++k) {
            h = hi[k] > h ? hi[k] : h;
            l = lo[k] < l ? lo[k] : l;
        }
        for (std::int64_t i = seen; i < n; ++i) {
            K bits;
            __builtin_memcpy(&bits, x + i, sizeof bits);
            const K key = order_keys<K, K>(bits);
            h = key > h ? key : h;
            l = key < l ? key : l;
        }
        constexpr K inf = K(OrderKey<S>::inf_bits);
        if (n == 0 || h >= order_keys<K, K>(inf) || l <= order_keys<K, K>(K(inf | kLowest)))
            return float_block_range(x, n);  // empty, or a NaN or an infinity: the float pass
        return Range<compute_t<S>>{value_of_key(h), value_of_key(l), false};
    }
};

template <class S> static Range<float> sixteen_bit_block_range(const S* x, std::int64_t n) {
    constexpr int L = KeyRange<S>::kLanes;
    KeyRange<S> keys, other;
    std::int64_t i = 0;
    for (; i + 2 * L <= n; i += 2 * L) {
        keys.add(x + i);
        other.add(x + i + L);
    }
    keys.absorb(other);
    return keys.finish(x, i, n);
}

template <class S> static Range<compute_t<S>> block_range(const S* x, std::int64_t n) {
    if constexpr (sizeof(S) == 2) return sixteen_bit_block_range(x, n);
    else return float_block_range(x, n);
}

// A block whose maximum is not finite: only NaN and +inf matter for the result.
template <class S>
static LseStats special_block_lse(const S* x, std::int64_t n, double max, double min) {
    LseStats s;
    s.max = max;
    s.min = min;
    for (std::int64_t i = 0; i < n; ++i) {
        double v = load_scalar(x + i);
        if (v != v) s.has_nan = true;
    }
    return s;
}

// The block's range decides once which exp the inner loop uses (a run-time choice inside the
// loop would be if-converted into computing both).
// kTerm: d's exp is only a term of a sum (vmath.inl's exp_nonpositive_term).
template <bool kFast, class S, bool kTerm = false>
static INFONATIVE_INLINE vec_t<S> exp_shifted(vec_t<S> d) {
    if constexpr (!kFast && kTerm && sizeof(S) >= 4) return exp_nonpositive_term_any(d);
    else if constexpr (!kFast) return exp_full(d);
    else if constexpr (sizeof(S) == 2) return exp_nonpositive_for_half(d);
    else if constexpr (kTerm) return exp_nonpositive_term(d);
    else return exp_nonpositive(d);
}
// Whether the term exps of S (exp_shifted<kFast, S, true>) pass NaN through: then the blocks of
// a sum need not be searched for NaN, which ends up in the sum.
template <class S> constexpr bool kTermExpPassesNaN = kTermExpKeepsNaN && sizeof(S) >= 4;
// e * d where e = exp(d); 0 where e == 0 (d = -inf would give NaN), which only the full
// path can meet.
template <bool kFast, class V> static INFONATIVE_INLINE V times_shift(V e, V d) {
    if constexpr (kFast) return e * d;
    else return e > 0 ? e * d : V{};
}

// ---- prefetching --------------------------------------------------------------------------
// While the exp pass of a block runs from L1, the next block comes from memory: prefetches
// (which never fault, even past the end) retire at once, where a demand load that misses would
// hold up the loop (reading the next block's range during this pass was 1.7x slower on rows
// of 32000 floats on a Sapphire Rapids core).
struct PrefetchNext {
    template <class S> INFONATIVE_INLINE void visit(const S* span, int span_elements) const {
        const auto address = reinterpret_cast<std::uintptr_t>(span) + kBlock<S> * sizeof(S);
        for (std::size_t offset = 0; offset < span_elements * sizeof(S); offset += 64)
            __builtin_prefetch(reinterpret_cast<const void*>(address + offset));
    }
};

// ---- log-sum-exp --------------------------------------------------------------------------
// Per lane, a sum in runs: `rest` adds the terms of the current run; end_run adds it into
// `runs` with Kahan's compensation (runs - runs_error is the total to a few ulps however many
// runs a block has) and starts the next run at zero.
template <class S> struct RunSums {
    vec_t<S> rest{}, runs{}, runs_error{};
    INFONATIVE_INLINE void end_run() {
        const vec_t<S> corrected = rest - runs_error;
        const vec_t<S> total = runs + corrected;
        runs_error = (total - runs) - corrected;
        runs = total;
        rest = vec_t<S>{};
    }
    double total() const {
        return horizontal_sum(rest) + (horizontal_sum(runs) - horizontal_sum(runs_error));
    }
};

// Per lane: count of entries equal to the block max, and the sum of exp(x - max) of the rest.
template <class S> struct LseLanes : RunSums<S> {
    using RunSums<S>::rest;
    ivec_t<S> neg_count{};  // minus the count (comparison masks are -1)
    // One comparison serves both sums: the mask clears e (and-not) and counts (masks are -1);
    // a ?: select would make GCC compare twice.
    static INFONATIVE_INLINE vec_t<S> except_at(ivec_t<S> mask, vec_t<S> e) {
        return bit_cast_vec<vec_t<S>>(~mask & bit_cast_vec<ivec_t<S>>(e));
    }
    INFONATIVE_INLINE void add(vec_t<S> d, vec_t<S> e) {
        ivec_t<S> at_max = (d == 0);
        rest += except_at(at_max, e);
        neg_count += at_max;
    }
    INFONATIVE_INLINE void add2(vec_t<S> d0, vec_t<S> e0, vec_t<S> d1, vec_t<S> e1) {
        ivec_t<S> at_max0 = (d0 == 0), at_max1 = (d1 == 0);
        rest += except_at(at_max0, e0) + except_at(at_max1, e1);
        neg_count += at_max0 + at_max1;
    }
    // log-sum-exp's four exps per step, summed in pairs (see lse_block_sums).
    INFONATIVE_INLINE void add4(const vec_t<S> (&d)[4], const vec_t<S> (&e)[4]) {
        ivec_t<S> m0 = (d[0] == 0), m1 = (d[1] == 0), m2 = (d[2] == 0), m3 = (d[3] == 0);
        rest += (except_at(m0, e[0]) + except_at(m1, e[1])) +
                (except_at(m2, e[2]) + except_at(m3, e[3]));
        neg_count += (m0 + m1) + (m2 + m3);
    }
    // The same where mask registers (kTermExpMasks) give exps already 0 at the maximum, those
    // outside the masks `kept`: the sums are add4's bit for bit.
    std::int64_t at_max = 0;
    template <class M>
    INFONATIVE_INLINE void add4_kept(const M (&kept)[4], const vec_t<S> (&e)[4]) {
        rest += (e[0] + e[1]) + (e[2] + e[3]);
        at_max += 4 * kWidth<S> - (__builtin_popcount(unsigned(kept[0])) +
                                   __builtin_popcount(unsigned(kept[1])) +
                                   __builtin_popcount(unsigned(kept[2])) +
                                   __builtin_popcount(unsigned(kept[3])));
    }
    inline LseStats finish(double max, double min) const {
        LseStats s;
        s.max = max;
        s.min = min;
        s.rest = this->total();
        s.count = -horizontal_sum(neg_count) + double(at_max);
        return s;
    }
};

// The same sums for a block whose entries all lie below the reference maximum: none is at the
// maximum, so there is nothing to count or leave out.
template <class S> struct BelowMaxLanes : RunSums<S> {
    using RunSums<S>::rest;
    INFONATIVE_INLINE void add(vec_t<S>, vec_t<S> e) { rest += e; }
    INFONATIVE_INLINE void add4(const vec_t<S> (&)[4], const vec_t<S> (&e)[4]) {
        rest += (e[0] + e[1]) + (e[2] + e[3]);
    }
    inline LseStats finish(double max, double min) const {
        LseStats s;
        s.max = max;
        s.min = min;
        s.rest = this->total();
        return s;
    }
};

// Where mask registers zero the exps at the maximum and count them (kTermExpMasks): the fast
// sums that count, and do not store.
template <bool kFast, bool kStore, class S, class Lanes>
constexpr bool kMaskedCount =
    kTermExpMasks && kFast && !kStore && std::is_same_v<Lanes, LseLanes<S>>;

// Four independent exp chains per step: one chain is ~50 cycles deep, and the scheduler only
// overlaps what it can see. Each step's four exps are summed in pairs, kRunSteps steps make a
// run, and runs are added with compensation (RunSums): float lanes adding up a whole block
// (256 terms each) lost a few ulps to numpy's pairwise sum on many (nearly) equal terms.
// kStore: also write each exp(x - max) to `store` (softmax's first pass).
template <bool kFast, bool kStore, class S, class Lanes>
static void lse_block_sums(const S* x, std::int64_t n, vec_t<S> m, Lanes& lanes_out, S* store) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    // A local, so that GCC keeps it in registers rather than in the caller's memory.
    Lanes lanes = lanes_out;
    constexpr std::int64_t kRunSteps = 4;
    std::int64_t i = 0;
    while (i + 4 * W <= n) {
        const std::int64_t run_end = i + kRunSteps * 4 * W < n ? i + kRunSteps * 4 * W : n;
        for (; i + 4 * W <= run_end; i += 4 * W) {
            PrefetchNext{}.visit(x + i, 4 * W);
            V d0 = load_vec(x + i) - m, d1 = load_vec(x + i + W) - m;
            V d2 = load_vec(x + i + 2 * W) - m, d3 = load_vec(x + i + 3 * W) - m;
            if constexpr (kMaskedCount<kFast, kStore, S, Lanes>) {
                // the fast term exp of every type is the table exp here (vmath.inl)
                const auto k0 = nonzero_lanes(d0), k1 = nonzero_lanes(d1);
                const auto k2 = nonzero_lanes(d2), k3 = nonzero_lanes(d3);
                const V e0 = exp_nonpositive_term_kept(d0, k0);
                const V e1 = exp_nonpositive_term_kept(d1, k1);
                const V e2 = exp_nonpositive_term_kept(d2, k2);
                const V e3 = exp_nonpositive_term_kept(d3, k3);
                lanes.add4_kept({k0, k1, k2, k3}, {e0, e1, e2, e3});
                continue;
            }
            V e0 = exp_shifted<kFast, S, !kStore>(d0), e1 = exp_shifted<kFast, S, !kStore>(d1);
            V e2 = exp_shifted<kFast, S, !kStore>(d2), e3 = exp_shifted<kFast, S, !kStore>(d3);
            lanes.add4({d0, d1, d2, d3}, {e0, e1, e2, e3});
            if constexpr (kStore) {
                store_vec(store + i, e0);
                store_vec(store + i + W, e1);
                store_vec(store + i + 2 * W, e2);
                store_vec(store + i + 3 * W, e3);
            }
        }
        lanes.end_run();
    }
    for (; i < n; i += W) {  // pad with -inf: exp gives exactly 0 and the count is untouched
        V d = (i + W <= n ? load_vec(x + i) : load_partial(x + i, n - i, -C(kInf))) - m;
        V e = exp_full(d);
        lanes.add(d, e);
        if constexpr (kStore) store_partial(store + i, n - i < W ? n - i : W, e);
    }
    lanes_out = lanes;
}

template <bool kStore, class S>
static LseStats lse_block(const S* x, std::int64_t n, const Range<compute_t<S>>& r, S* store) {
    using C = compute_t<S>;
    if (!(r.max > -C(kInf) && r.max < C(kInf))) {
        // All -inf: exp gives 0. A NaN or +inf makes the whole row special, and the softmax
        // driver rewrites such rows with softmax_apply.
        if constexpr (kStore)
            for (std::int64_t i = 0; i < n; ++i) store_scalar(store + i, C(0));
        return special_block_lse(x, n, r.max, r.min);
    }
    LseLanes<S> lanes;
    if (r.fast()) lse_block_sums<true, kStore>(x, n, splat<vec_t<S>>(r.max), lanes, store);
    else lse_block_sums<false, kStore>(x, n, splat<vec_t<S>>(r.max), lanes, store);
    return lanes.finish(r.max, r.min);
}

// ---- one pass for blocks below the reference ------------------------------------------------
// Once a piece has its reference (its largest block maximum so far), nearly every later block
// lies below it, and there its exps can be summed in the pass that finds its range: the block is
// read once instead of twice, and no range pass waits on memory (1-D log-sum-exp of 1e7 floats
// from memory: ~25% faster on a Zen 4 core). That takes a term exp that passes NaN through
// (kTermExpKeepsNaN: AVX-512's table exp, which float16/bfloat16 use too). The pass goes run by
// run and checks at the end of each that its entries lay in [reference + kExpFastFloor,
// reference): then the run's sums are those of the two passes' fast path, bit for bit. The first
// run that did not qualify (a new maximum, -inf, an outlier far below) is dropped, and the rest
// of the block from its start gets the two passes.
constexpr bool kOnePassBelow = kTermExpKeepsNaN;

// Whether any lane of a comparison result is set (only builds with kOnePassBelow call it).
#if defined(__AVX512F__) && INFONATIVE_VECTOR_BYTES == 64
template <class M> static INFONATIVE_INLINE bool any_lane(M mask) {
    return _mm512_test_epi32_mask((__m512i)mask, (__m512i)mask) != 0;
}
#else
template <class M> bool any_lane(M mask);  // declared only: never instantiated
#endif

// Sums exp(x - m) over the leading runs of x[0, n) that lie below m into `lanes` (a
// BelowMaxLanes sum) and lowers `low` to their minimum; returns how many entries it took (a
// multiple of the run length).
template <class S>
static std::int64_t below_reference_prefix_sums(const S* x, std::int64_t n, vec_t<S> m,
                                                RunSums<S>& lanes_out, compute_t<S>& low) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    constexpr std::int64_t kRunLength = 4 * 4 * W;  // lse_block_sums' runs: 4 steps of 4 vectors
    RunSums<S> lanes = lanes_out;  // a local, kept in registers
    V hi[4], lo[4];
    for (int c = 0; c < 4; ++c) hi[c] = splat<V>(-C(kInf)), lo[c] = splat<V>(C(kInf));
    V accepted_low = splat<V>(C(kInf));
    auto larger = [](V a, V b) { return a > b ? a : b; };
    auto smaller = [](V a, V b) { return a < b ? a : b; };
    std::int64_t i = 0;
    for (; i + kRunLength <= n; i += kRunLength) {
        const V rest_before = lanes.rest;
        for (std::int64_t j = i; j < i + kRunLength; j += 4 * W) {
            PrefetchNext{}.visit(x + j, 4 * W);
            V e[4];
            for (int c = 0; c < 4; ++c) {
                const V a = load_vec(x + j + c * W);
                hi[c] = a > hi[c] ? a : hi[c];  // NaN compares false: skipped
                lo[c] = a < lo[c] ? a : lo[c];
                e[c] = exp_shifted<true, S, true>(a - m);
            }
            lanes.rest += (e[0] + e[1]) + (e[2] + e[3]);
        }
        // hi and lo span every run so far, all but this one checked already
        const V run_hi = larger(larger(hi[0], hi[1]), larger(hi[2], hi[3]));
        const V run_lo = smaller(smaller(lo[0], lo[1]), smaller(lo[2], lo[3]));
        if (any_lane((run_hi >= m) | (run_lo - m < kExpFastFloor<C>))) {
            lanes.rest = rest_before;  // the run's terms are dropped
            break;
        }
        lanes.end_run();
        accepted_low = run_lo;
    }
    for (int k = 0; k < W; ++k) low = accepted_low[k] < low ? accepted_low[k] : low;
    lanes_out = lanes;
    return i;
}

// A block's range for a sum: where the term exps pass NaN on, the sum finds it and the range
// pass need not (a block whose maximum is not finite gets the full pass for special_block_lse).
template <class S> static Range<compute_t<S>> sum_block_range(const S* x, std::int64_t n) {
    using C = compute_t<S>;
    if constexpr (!kTermExpPassesNaN<S>) {
        return block_range(x, n);
    } else {
        const Range<C> r = float_block_range<S, false>(x, n);
        return r.max > -C(kInf) && r.max < C(kInf) ? r : float_block_range(x, n);
    }
}

// The log-sum-exp sums of a piece, in vector lanes relative to `reference`, the largest block
// maximum so far: a block below it adds its exps, a block at it also counts its entries equal
// to it (the accurate form's count), and a block above it first hands the lanes to `done`
// (a merge in double, as between pieces) and starts them afresh relative to its maximum. That
// happens in the first few blocks of a piece, after which every block just adds to the lanes:
// one horizontal sum per piece instead of per block. Blocks whose maximum is not finite (+inf,
// or nothing but -inf and NaN) only matter through +inf and NaN (`special`).
template <class S> static void lse_stats(const void* xv, std::int64_t n, LseStats* out) {
    using C = compute_t<S>;
    using V = vec_t<S>;
    const S* x = static_cast<const S*>(xv);
    S* const no_store = nullptr;
    LseStats done, special;
    LseLanes<S> lanes;
    C reference = -C(kInf), low = C(kInf);
    bool one_pass = kOnePassBelow;
    for (std::int64_t block = 0; block < n; block += kBlock<S>) {
        std::int64_t b = block, len = n - block < kBlock<S> ? n - block : kBlock<S>;
        bool tried_one_pass = false;
        if constexpr (kOnePassBelow) {
            if (one_pass && reference > -C(kInf)) {
                const std::int64_t taken =
                    below_reference_prefix_sums(x + b, len, splat<V>(reference), lanes, low);
                if (taken == len) continue;
                b += taken;  // the rest of the block gets the two passes
                len -= taken;
                tried_one_pass = true;
            }
        }
        const Range<C> r = sum_block_range(x + b, len);
        low = r.min < low ? r.min : low;
        // Stopped by entries far below the reference rather than by a new maximum: such entries
        // tend to recur (masked logits at -inf), and each stop costs a run. The rest of the piece
        // gets the two passes.
        if (tried_one_pass && r.max < reference) one_pass = false;
        if (!(r.max > -C(kInf) && r.max < C(kInf))) {
            merge_lse(special, special_block_lse(x + b, len, r.max, r.min));
            continue;
        }
        if (r.max > reference) {
            if (reference > -C(kInf)) merge_lse(done, lanes.finish(reference, low));
            lanes = LseLanes<S>{};
            reference = r.max;
        }
        const V m = splat<V>(reference);
        const bool fast = !r.has_nan && r.min - reference >= kExpFastFloor<C>;
        if (r.max == reference) {
            if (fast) lse_block_sums<true, false>(x + b, len, m, lanes, no_store);
            else lse_block_sums<false, false>(x + b, len, m, lanes, no_store);
        } else {
            BelowMaxLanes<S> below;
            static_cast<RunSums<S>&>(below) = lanes;
            if (fast) lse_block_sums<true, false>(x + b, len, m, below, no_store);
            else lse_block_sums<false, false>(x + b, len, m, below, no_store);
            static_cast<RunSums<S>&>(lanes) = below;
        }
    }
    if (reference > -C(kInf)) merge_lse(done, lanes.finish(reference, low));
    merge_lse(done, special);
    *out = done;
}

// ---- entropy from logits: also t = sum e (x - max) ------------------------------------------
template <bool kFast, class S>
static void entropy_block_sums(const S* x, std::int64_t n, vec_t<S> m, LseLanes<S>& lanes,
                               vec_t<S>& t) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    LseLanes<S> other;
    V t1{};
    std::int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {  // four exp chains per step, as in lse_block_sums
        PrefetchNext{}.visit(x + i, 4 * W);
        V d0 = load_vec(x + i) - m, d1 = load_vec(x + i + W) - m;
        V d2 = load_vec(x + i + 2 * W) - m, d3 = load_vec(x + i + 3 * W) - m;
        V e0 = exp_shifted<kFast, S>(d0), e1 = exp_shifted<kFast, S>(d1);
        V e2 = exp_shifted<kFast, S>(d2), e3 = exp_shifted<kFast, S>(d3);
        lanes.add2(d0, e0, d1, e1);
        other.add2(d2, e2, d3, e3);
        t += times_shift<kFast>(e0, d0) + times_shift<kFast>(e1, d1);
        t1 += times_shift<kFast>(e2, d2) + times_shift<kFast>(e3, d3);
    }
    for (; i < n; i += W) {
        V d = (i + W <= n ? load_vec(x + i) : load_partial(x + i, n - i, -C(kInf))) - m;
        V e = exp_full(d);
        lanes.add(d, e);
        t += times_shift<false>(e, d);
    }
    lanes.rest += other.rest;
    lanes.neg_count += other.neg_count;
    t += t1;
}

template <class S> static EntropyStats entropy_block(const S* x, std::int64_t n) {
    using C = compute_t<S>;
    Range<C> r = block_range(x, n);
    EntropyStats out;
    if (!(r.max > -C(kInf) && r.max < C(kInf))) {
        out.lse = special_block_lse(x, n, r.max, r.min);
        return out;
    }
    LseLanes<S> lanes;
    vec_t<S> t{};
    // Entries at -inf have p = 0 and contribute nothing to -sum p log p.
    if (r.fast()) entropy_block_sums<true>(x, n, splat<vec_t<S>>(r.max), lanes, t);
    else entropy_block_sums<false>(x, n, splat<vec_t<S>>(r.max), lanes, t);
    out.lse = lanes.finish(r.max, r.min);
    out.t = horizontal_sum(t);
    return out;
}

template <class S> static void entropy_stats(const void* xv, std::int64_t n, EntropyStats* out) {
    const S* x = static_cast<const S*>(xv);
    EntropyStats acc;
    for (std::int64_t b = 0; b < n; b += kBlock<S>) {
        std::int64_t len = n - b < kBlock<S> ? n - b : kBlock<S>;
        merge_entropy(acc, entropy_block(x + b, len));
    }
    *out = acc;
}

// ---- KL from two logit rows ----------------------------------------------------------------
// Double-width accumulators for sums whose terms cancel (KL's t): each float lane's product is
// widened before it is added.
typedef double wide_f64 __attribute__((vector_size(2 * kVectorBytes)));
static INFONATIVE_INLINE wide_f64 widen(f32v v) { return __builtin_convertvector(v, wide_f64); }
static INFONATIVE_INLINE f64v widen(f64v v) { return v; }
template <class S> using wide_t = decltype(widen(vec_t<S>{}));

template <bool kFast, class S>
static void kl_block_sums(const S* a, const S* c, std::int64_t n, vec_t<S> ma, vec_t<S> mc,
                          LseLanes<S>& lanes_p, LseLanes<S>& lanes_q, wide_t<S>& t) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    // t's terms cancel: sum short runs in the compute type, then add each run in double.
    constexpr std::int64_t kRun = 16 * 2 * W;
    const std::int64_t steps_end = n / (2 * W) * (2 * W);  // whole two-vector steps
    std::int64_t i = 0;
    while (i < steps_end) {
        const std::int64_t run_end = i + kRun < steps_end ? i + kRun : steps_end;
        V t0{}, t1{};
        for (; i < run_end; i += 2 * W) {
            PrefetchNext{}.visit(a + i, 2 * W);
            PrefetchNext{}.visit(c + i, 2 * W);
            V da0 = load_vec(a + i) - ma, dc0 = load_vec(c + i) - mc;
            V da1 = load_vec(a + i + W) - ma, dc1 = load_vec(c + i + W) - mc;
            V ea0 = exp_shifted<kFast, S>(da0), ea1 = exp_shifted<kFast, S>(da1);
            lanes_p.add2(da0, ea0, da1, ea1);
            lanes_q.add2(dc0, exp_shifted<kFast, S>(dc0), dc1, exp_shifted<kFast, S>(dc1));
            t0 += times_shift<kFast>(ea0, da0 - dc0);
            t1 += times_shift<kFast>(ea1, da1 - dc1);
        }
        t += widen(t0 + t1);
    }
    for (; i < n; i += W) {
        bool whole = i + W <= n;
        V da = (whole ? load_vec(a + i) : load_partial(a + i, n - i, -C(kInf))) - ma;
        V dc = (whole ? load_vec(c + i) : load_partial(c + i, n - i, -C(kInf))) - mc;
        V ea = exp_full(da);
        lanes_p.add(da, ea);
        lanes_q.add(dc, exp_full(dc));
        t += widen(times_shift<false>(ea, da - dc));
    }
}

template <class S> static KlStats kl_block(const S* a, const S* c, std::int64_t n) {
    using C = compute_t<S>;
    Range<C> ra = block_range(a, n), rc = block_range(c, n);
    KlStats out;
    bool a_finite = ra.max > -C(kInf) && ra.max < C(kInf);
    bool c_finite = rc.max > -C(kInf) && rc.max < C(kInf);
    if (!a_finite || !c_finite) {
        lse_stats<S>(a, n, &out.p);
        lse_stats<S>(c, n, &out.q);
        // Where P has mass and Q is zero the divergence is +inf; non-finite P or a +inf in Q
        // make it NaN (finish_kl).
        out.t = (a_finite && rc.max == -C(kInf)) ? kInf : 0.0;
        return out;
    }
    LseLanes<S> lanes_p, lanes_q;
    wide_t<S> t{};
    const vec_t<S> ma = splat<vec_t<S>>(ra.max), mc = splat<vec_t<S>>(rc.max);
    if (ra.fast() && rc.fast())
        kl_block_sums<true>(a, c, n, ma, mc, lanes_p, lanes_q, t);
    else
        kl_block_sums<false>(a, c, n, ma, mc, lanes_p, lanes_q, t);
    out.p = lanes_p.finish(ra.max, ra.min);
    out.q = lanes_q.finish(rc.max, rc.min);
    out.t = horizontal_sum(t);
    return out;
}

template <class S>
static void kl_stats(const void* av, const void* cv, std::int64_t n, KlStats* out) {
    const S* a = static_cast<const S*>(av);
    const S* c = static_cast<const S*>(cv);
    KlStats acc;
    for (std::int64_t b = 0; b < n; b += kBlock<S>) {
        std::int64_t len = n - b < kBlock<S> ? n - b : kBlock<S>;
        merge_kl(acc, kl_block(a + b, c + b, len));
    }
    *out = acc;
}

// ---- cross-entropy: LSE and sum w (x - max) -------------------------------------------------
template <bool kFast, class S>
static void cross_entropy_block_sums(const S* x, const compute_t<S>* w, std::int64_t n,
                                     vec_t<S> m, LseLanes<S>& lanes, vec_t<S>& s0) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    LseLanes<S> other;
    V s1{};
    std::int64_t i = 0;
    for (; i + 4 * W <= n; i += 4 * W) {  // four exp chains per step, as in lse_block_sums
        PrefetchNext{}.visit(x + i, 4 * W);
        V d0 = load_vec(x + i) - m, d1 = load_vec(x + i + W) - m;
        V d2 = load_vec(x + i + 2 * W) - m, d3 = load_vec(x + i + 3 * W) - m;
        lanes.add2(d0, exp_shifted<kFast, S>(d0), d1, exp_shifted<kFast, S>(d1));
        other.add2(d2, exp_shifted<kFast, S>(d2), d3, exp_shifted<kFast, S>(d3));
        if (w) {
            s0 += d0 * load_vec(w + i) + d1 * load_vec(w + i + W);
            s1 += d2 * load_vec(w + i + 2 * W) + d3 * load_vec(w + i + 3 * W);
        } else {
            s0 += d0 + d1;
            s1 += d2 + d3;
        }
    }
    for (; i < n; i += W) {
        std::int64_t valid = n - i < W ? n - i : W;
        V d = load_partial(x + i, valid, -C(kInf)) - m;
        lanes.add(d, exp_full(d));
        // Only the padded lanes are left out (their -inf times 0 would make NaN); a real class
        // of weight 0 and logit -inf gives NaN here as in the main loop (and in torch).
        V product{};
        for (std::int64_t k = 0; k < valid; ++k) product[k] = d[k] * (w ? w[i + k] : C(1));
        s0 += product;
    }
    lanes.rest += other.rest;
    lanes.neg_count += other.neg_count;
    s0 += s1;
}

template <class S>
static CrossEntropyStats cross_entropy_block(const S* x, const compute_t<S>* w, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    CrossEntropyStats out;
    Range<C> r = block_range(x, n);
    double weight = 0;
    if (w) {
        for (std::int64_t i = 0; i < n; ++i) weight += w[i];
    } else {
        weight = double(n);
    }
    out.weight = weight;
    if (!(r.max > -C(kInf) && r.max < C(kInf))) {
        out.lse = special_block_lse(x, n, r.max, r.min);
        out.shifted = r.max == -C(kInf) ? -kInf : 0;
        return out;
    }
    LseLanes<S> lanes;
    V shifted{};
    if (r.fast()) cross_entropy_block_sums<true>(x, w, n, splat<V>(r.max), lanes, shifted);
    else cross_entropy_block_sums<false>(x, w, n, splat<V>(r.max), lanes, shifted);
    out.lse = lanes.finish(r.max, r.min);
    out.shifted = horizontal_sum(shifted);
    return out;
}

template <class S>
static void cross_entropy_stats(const void* xv, const void* wv, std::int64_t n,
                                CrossEntropyStats* out) {
    const S* x = static_cast<const S*>(xv);
    const compute_t<S>* w = static_cast<const compute_t<S>*>(wv);
    CrossEntropyStats acc;
    for (std::int64_t b = 0; b < n; b += kBlock<S>) {
        std::int64_t len = n - b < kBlock<S> ? n - b : kBlock<S>;
        merge_cross_entropy(acc, cross_entropy_block(x + b, w ? w + b : nullptr, len));
    }
    *out = acc;
}

// ---- softmax with one exp per entry ----------------------------------------------------------
// First pass: out = exp(x - block max) for each block, the piece's sums, and each block's max.
// The second pass multiplies block j by exp(block_max[j] - row max - log_sum), a multiply
// where softmax_apply would take a second exp of every entry.
template <class S>
static void softmax_exp_stats(const void* xv, std::int64_t n, void* ov, double* block_max,
                              LseStats* out) {
    const S* x = static_cast<const S*>(xv);
    S* o = static_cast<S*>(ov);
    LseStats acc;
    for (std::int64_t b = 0, j = 0; b < n; b += kBlock<S>, ++j) {
        std::int64_t len = n - b < kBlock<S> ? n - b : kBlock<S>;
        LseStats block = lse_block<true>(x + b, len, block_range(x + b, len), o + b);
        block_max[j] = block.max;
        merge_lse(acc, block);
    }
    *out = acc;
}

// ---- writing outputs ---------------------------------------------------------------------
// Writes out[0, n) vector by vector: value(i, valid) is the vector of entries [i, i + valid)
// (valid == W but at the ends), computed lane by lane, so that an entry's value does not depend
// on where its vector starts. kStream: the vectors at aligned addresses are streaming stores (an
// unaligned head and the tail are plain stores); the caller ends with stream_fence().
template <bool kStream, class S, class Value>
static INFONATIVE_INLINE void write_vectors(S* out, std::int64_t n, Value value) {
    constexpr int W = kWidth<S>;
    std::int64_t i = 0;
    if constexpr (kStream) {
        const std::uintptr_t misalignment = reinterpret_cast<std::uintptr_t>(out) % kStreamAlign<S>;
        std::int64_t head = std::int64_t((kStreamAlign<S> - misalignment) % kStreamAlign<S> / sizeof(S));
        head = head < n ? head : n;
        if (head > 0) store_partial(out, head, value(0, head));
        for (i = head; i + W <= n; i += W) stream_vec(out + i, value(i, W));
    } else {
        for (; i + W <= n; i += W) store_vec(out + i, value(i, W));
    }
    if (i < n) store_partial(out + i, n - i, value(i, n - i));
}

// Softmax's second pass: out = in * block_scale[j] for each block j (in may be out).
template <bool kStream, class S>
static void scale_blocks_into(const S* in, S* out, std::int64_t n, const double* block_scale) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    for (std::int64_t b = 0, j = 0; b < n; b += kBlock<S>, ++j) {
        const std::int64_t len = n - b < kBlock<S> ? n - b : kBlock<S>;
        const V scale = splat<V>(C(block_scale[j]));
        const S* from = in + b;
        write_vectors<kStream>(out + b, len, [&](std::int64_t i, std::int64_t valid) {
            return (valid == W ? load_vec(from + i) : load_partial(from + i, valid, C(0))) * scale;
        });
    }
}

template <class S>
static void scale_blocks(const void* in, void* out, std::int64_t n, const double* block_scale,
                         bool stream) {
    if (stream) {
        scale_blocks_into<true>(static_cast<const S*>(in), static_cast<S*>(out), n, block_scale);
        stream_fence();
    } else {
        scale_blocks_into<false>(static_cast<const S*>(in), static_cast<S*>(out), n, block_scale);
    }
}

// ---- softmax and log-softmax outputs -------------------------------------------------------
// The padding of a partial vector is the maximum: its lanes stay in the fast exp's range.
template <bool kExp, bool kFast, bool kStream, class S>
static void softmax_apply_loop(const S* x, std::int64_t n, compute_t<S> max, compute_t<S> log_sum,
                               S* out) {
    using V = vec_t<S>;
    constexpr int W = kWidth<S>;
    const V m = splat<V>(max), l = splat<V>(log_sum);
    write_vectors<kStream>(out, n, [&](std::int64_t i, std::int64_t valid) {
        V y = ((valid == W ? load_vec(x + i) : load_partial(x + i, valid, max)) - m) - l;
        if constexpr (kExp) y = exp_shifted<kFast, S>(y);
        return y;
    });
}

template <class S, bool kExp>
static void softmax_apply(const void* xv, std::int64_t n, double max, double min, double log_sum,
                          void* ov, bool stream) {
    using C = compute_t<S>;
    const S* x = static_cast<const S*>(xv);
    S* out = static_cast<S*>(ov);
    // Every argument (x - max) - log_sum lies in [min - max - log_sum, 0]: if that range keeps
    // 2^k normal (and max is an ordinary number), the fast exp is exact enough everywhere.
    const bool fast = max == max && min - max - log_sum >= double(kExpFastFloor<C>) + 1;
    if (stream) {
        if (fast) softmax_apply_loop<kExp, true, true>(x, n, C(max), C(log_sum), out);
        else softmax_apply_loop<kExp, false, true>(x, n, C(max), C(log_sum), out);
        stream_fence();
    } else {
        if (fast) softmax_apply_loop<kExp, true, false>(x, n, C(max), C(log_sum), out);
        else softmax_apply_loop<kExp, false, false>(x, n, C(max), C(log_sum), out);
    }
}

// ---- distributions (computed in double for every input type) -------------------------------
template <class S> static INFONATIVE_INLINE f64v load_as_f64(const S* p, std::int64_t n_valid) {
    constexpr int W = kWidth<double>;
    f64v v{};
    if (n_valid >= W) {
        if constexpr (sizeof(compute_t<S>) == 8) {
            return load_vec(p);
        } else {
            for (int k = 0; k < W; ++k) v[k] = load_scalar(p + k);
            return v;
        }
    }
    for (std::int64_t k = 0; k < n_valid; ++k) v[k] = load_scalar(p + k);
    return v;
}

template <class S> static void sum_kernel(const void* xv, std::int64_t n, SumStats* out) {
    constexpr int W = kWidth<double>;
    const S* x = static_cast<const S*>(xv);
    f64v s0{}, s1{};
    i64v negative{};
    std::int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        f64v a = load_as_f64(x + i, W), b = load_as_f64(x + i + W, W);
        s0 += a;
        s1 += b;
        negative |= (a < 0) | (b < 0);
    }
    for (; i < n; i += W) {
        f64v a = load_as_f64(x + i, n - i);
        s0 += a;
        negative |= a < 0;
    }
    out->sum = horizontal_sum(s0 + s1);
    out->negative = horizontal_sum(negative) != 0;
}

// The careful versions handle every input lane by lane where needed; the fast ones assume
// ordinary values and report whether a row needs the careful pass instead (rare: zeros in q,
// subnormals, ratios beyond the double range, NaN).
template <class S>
static double xlogx_sum_careful(const S* x, std::int64_t n, double prescale, double scale) {
    constexpr int W = kWidth<double>;
    f64v acc{};
    for (std::int64_t i = 0; i < n; i += W) {
        f64v a = load_as_f64(x + i, n - i) * prescale;
        f64v p = a * scale;
        f64v term = a * log_any(p);
        // 0 log 0 = 0, also where p underflows to 0 (as p = pk / total does); NaN propagates.
        acc += p == 0 ? f64v{} : term;
    }
    return horizontal_sum(acc);
}

// The next row comes from memory while this one's logs keep the cores busy (it is the next
// one's sum pass that reads it then, from cache). No next row: the current one, in cache.
template <class S> static INFONATIVE_INLINE void prefetch_entries(const void* next, std::int64_t i) {
    __builtin_prefetch(static_cast<const S*>(next) + i);
}

template <class S>
static double xlogx_sum(const void* xv, std::int64_t n, double prescale, double scale,
                        const void* next) {
    constexpr int W = kWidth<double>;
    const S* x = static_cast<const S*>(xv);
    if (!next) next = x;
    f64v acc{};
    i64v unusual{};
    for (std::int64_t i = 0; i < n; i += W) {
        prefetch_entries<S>(next, i);
        f64v a = load_as_f64(x + i, n - i) * prescale;
        f64v p = a * scale;
        unusual |= log_unusual(p) & (p != 0);  // exact zeros are fine: they contribute 0
        acc += p == 0 ? f64v{} : a * log_ordinary(p);
    }
    if (horizontal_sum(unusual) != 0) return xlogx_sum_careful(x, n, prescale, scale);
    return horizontal_sum(acc);
}

template <class S>
static double xlogy_sum_careful(const S* p, const S* q, std::int64_t n, double p_prescale,
                                double q_prescale, double scale) {
    constexpr int W = kWidth<double>;
    f64v acc{};
    for (std::int64_t i = 0; i < n; i += W) {
        f64v a = load_as_f64(p + i, n - i) * p_prescale;
        f64v b = load_as_f64(q + i, n - i) * q_prescale;
        f64v ratio = a / b * scale;
        f64v log_ratio = log_any(ratio);
        // Where p / q leaves the double range but both are positive and finite, the log is
        // still finite: take it as a difference of logs.
        i64v out_of_range = ((ratio == 0) | (ratio == __builtin_inf())) & (a > 0) & (b > 0) &
                            (a < __builtin_inf()) & (b < __builtin_inf());
        for (int k = 0; k < W; ++k)
            if (out_of_range[k]) log_ratio[k] = log(a[k]) - log(b[k]) + log(scale);
        // scipy's rel_entr: 0 where p == 0 (unless q is NaN), +inf where p > 0 and q == 0.
        acc += ((a == 0) & (b == b)) ? f64v{} : a * log_ratio;
    }
    return horizontal_sum(acc);
}

template <class S>
static double xlogy_sum(const void* pv, const void* qv, std::int64_t n, double p_prescale,
                        double q_prescale, double scale, const void* next_p, const void* next_q) {
    constexpr int W = kWidth<double>;
    const S* p = static_cast<const S*>(pv);
    const S* q = static_cast<const S*>(qv);
    if (!next_p || !next_q) next_p = p, next_q = q;
    f64v acc{};
    i64v unusual{};
    for (std::int64_t i = 0; i < n; i += W) {
        prefetch_entries<S>(next_p, i);
        prefetch_entries<S>(next_q, i);
        f64v a = load_as_f64(p + i, n - i) * p_prescale;
        f64v b = load_as_f64(q + i, n - i) * q_prescale;
        f64v ratio = a / b * scale;
        unusual |= (log_unusual(ratio) & (a != 0)) | (b != b);
        acc += a == 0 ? f64v{} : a * log_ordinary(ratio);
    }
    if (horizontal_sum(unusual) != 0)
        return xlogy_sum_careful(p, q, n, p_prescale, q_prescale, scale);
    return horizontal_sum(acc);
}

}  // namespace

void fill_table(detail::KernelTable& t) {
    using infonative::DType;
#define INFONATIVE_FILL(slot, ...)                                  \
    t.slot[int(DType::float16)] = __VA_ARGS__<Half>;               \
    t.slot[int(DType::bfloat16)] = __VA_ARGS__<BFloat16>;          \
    t.slot[int(DType::float32)] = __VA_ARGS__<float>;              \
    t.slot[int(DType::float64)] = __VA_ARGS__<double>;
    INFONATIVE_FILL(lse_stats, lse_stats)
    INFONATIVE_FILL(entropy_stats, entropy_stats)
    INFONATIVE_FILL(kl_stats, kl_stats)
    INFONATIVE_FILL(cross_entropy_stats, cross_entropy_stats)
    INFONATIVE_FILL(sum, sum_kernel)
    INFONATIVE_FILL(xlogx_sum, xlogx_sum)
    INFONATIVE_FILL(xlogy_sum, xlogy_sum)
#undef INFONATIVE_FILL
    t.softmax_apply[int(DType::float16)] = softmax_apply<Half, true>;
    t.softmax_apply[int(DType::bfloat16)] = softmax_apply<BFloat16, true>;
    t.softmax_apply[int(DType::float32)] = softmax_apply<float, true>;
    t.softmax_apply[int(DType::float64)] = softmax_apply<double, true>;
    t.log_softmax_apply[int(DType::float16)] = softmax_apply<Half, false>;
    t.log_softmax_apply[int(DType::bfloat16)] = softmax_apply<BFloat16, false>;
    t.log_softmax_apply[int(DType::float32)] = softmax_apply<float, false>;
    t.log_softmax_apply[int(DType::float64)] = softmax_apply<double, false>;
    // Half outputs would round exp(x - block max) before the scaling: they keep the apply pass.
    t.softmax_exp_stats[int(DType::float16)] = nullptr;
    t.softmax_exp_stats[int(DType::bfloat16)] = nullptr;
    t.softmax_exp_stats[int(DType::float32)] = softmax_exp_stats<float>;
    t.softmax_exp_stats[int(DType::float64)] = softmax_exp_stats<double>;
    t.scale_blocks[int(DType::float16)] = nullptr;
    t.scale_blocks[int(DType::bfloat16)] = nullptr;
    t.scale_blocks[int(DType::float32)] = scale_blocks<float>;
    t.scale_blocks[int(DType::float64)] = scale_blocks<double>;
}

}  // namespace infonative::simd::INFONATIVE_ISA_NAMESPACE
