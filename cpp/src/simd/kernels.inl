// ONE kernel source, compiled once per instruction set (kernels_<isa>.cpp defines the
// namespace and the vector width). Each kernel handles one contiguous piece of a row; the
// OpenMP drivers in cpp/src split the work. No std containers or algorithms in here: an
// inline function emitted with AVX-512 code must never be picked by the linker for baseline.
#include <cmath>
#include <cstdint>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

#include "kernel_table.hpp"
#include "simd/storage_types.hpp"

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
template <class S> constexpr std::int64_t kBlock = 16384 / std::int64_t(sizeof(S));

template <class C> struct Range { C max, min; };

// Max and min over the non-NaN entries of a block (NaN compares false and is skipped).
template <class S> static Range<compute_t<S>> block_range(const S* x, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    V hi0 = splat<V>(-C(kInf)), hi1 = hi0, lo0 = splat<V>(C(kInf)), lo1 = lo0;
    std::int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        V a = load_vec(x + i), b = load_vec(x + i + W);
        hi0 = a > hi0 ? a : hi0;
        hi1 = b > hi1 ? b : hi1;
        lo0 = a < lo0 ? a : lo0;
        lo1 = b < lo1 ? b : lo1;
    }
    for (; i + W <= n; i += W) {
        V a = load_vec(x + i);
        hi0 = a > hi0 ? a : hi0;
        lo0 = a < lo0 ? a : lo0;
    }
    if (i < n) {
        V a = load_partial(x + i, n - i, C(__builtin_nan("")));
        hi0 = a > hi0 ? a : hi0;
        lo0 = a < lo0 ? a : lo0;
    }
    hi0 = hi1 > hi0 ? hi1 : hi0;
    lo0 = lo1 < lo0 ? lo1 : lo0;
    Range<C> r{hi0[0], lo0[0]};
    for (int k = 1; k < W; ++k) {
        r.max = hi0[k] > r.max ? hi0[k] : r.max;
        r.min = lo0[k] < r.min ? lo0[k] : r.min;
    }
    return r;
}

// A block whose maximum is not finite: only NaN and +inf matter for the result.
template <class S> static LseStats special_block_lse(const S* x, std::int64_t n, double max) {
    LseStats s;
    s.max = max;
    for (std::int64_t i = 0; i < n; ++i) {
        double v = load_scalar(x + i);
        if (v != v) s.has_nan = true;
    }
    return s;
}

template <class V> static inline V exp_shifted(V d, bool fast) {
    return fast ? exp_nonpositive(d) : exp_full(d);
}

// ---- log-sum-exp --------------------------------------------------------------------------
// Per lane: count of entries equal to the block max, and the sum of exp(x - max) of the rest.
template <class S> struct LseLanes {
    vec_t<S> rest{};
    ivec_t<S> neg_count{};  // minus the count (comparison masks are -1)
    inline void add(vec_t<S> d, vec_t<S> e) {
        auto at_max = (d == 0);
        rest += at_max ? vec_t<S>{} : e;
        neg_count += at_max;
    }
    inline LseStats finish(double max) const {
        LseStats s;
        s.max = max;
        s.rest = horizontal_sum(rest);
        s.count = -horizontal_sum(neg_count);
        return s;
    }
};

template <class S> static LseStats lse_block(const S* x, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    Range<C> r = block_range(x, n);
    if (!(r.max > -C(kInf) && r.max < C(kInf))) return special_block_lse(x, n, r.max);
    const bool fast = r.min - r.max >= kExpFastFloor<C>;
    const V m = splat<V>(r.max);
    LseLanes<S> lanes0, lanes1;
    std::int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        V d0 = load_vec(x + i) - m, d1 = load_vec(x + i + W) - m;
        lanes0.add(d0, exp_shifted(d0, fast));
        lanes1.add(d1, exp_shifted(d1, fast));
    }
    for (; i + W <= n; i += W) {
        V d = load_vec(x + i) - m;
        lanes0.add(d, exp_shifted(d, fast));
    }
    if (i < n) {  // pad with -inf: exp gives exactly 0 and the count is untouched
        V d = load_partial(x + i, n - i, -C(kInf)) - m;
        lanes0.add(d, exp_full(d));
    }
    lanes0.rest += lanes1.rest;
    lanes0.neg_count += lanes1.neg_count;
    return lanes0.finish(r.max);
}

template <class S> static void lse_stats(const void* xv, std::int64_t n, LseStats* out) {
    const S* x = static_cast<const S*>(xv);
    LseStats acc;
    for (std::int64_t b = 0; b < n; b += kBlock<S>) {
        std::int64_t len = n - b < kBlock<S> ? n - b : kBlock<S>;
        merge_lse(acc, lse_block(x + b, len));
    }
    *out = acc;
}

// ---- entropy from logits: also t = sum e (x - max) ------------------------------------------
template <class S> static EntropyStats entropy_block(const S* x, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    Range<C> r = block_range(x, n);
    EntropyStats out;
    if (!(r.max > -C(kInf) && r.max < C(kInf))) {
        out.lse = special_block_lse(x, n, r.max);
        return out;
    }
    const bool fast = r.min - r.max >= kExpFastFloor<C>;
    const V m = splat<V>(r.max);
    LseLanes<S> lanes0, lanes1;
    V t0{}, t1{};
    std::int64_t i = 0;
    // e*d is 0*(-inf) for -inf logits: those lanes contribute nothing (p log p -> 0).
    for (; i + 2 * W <= n; i += 2 * W) {
        V d0 = load_vec(x + i) - m, d1 = load_vec(x + i + W) - m;
        V e0 = exp_shifted(d0, fast), e1 = exp_shifted(d1, fast);
        lanes0.add(d0, e0);
        lanes1.add(d1, e1);
        t0 += fast ? e0 * d0 : (e0 > 0 ? e0 * d0 : V{});
        t1 += fast ? e1 * d1 : (e1 > 0 ? e1 * d1 : V{});
    }
    for (; i < n; i += W) {
        V d = (i + W <= n ? load_vec(x + i) : load_partial(x + i, n - i, -C(kInf))) - m;
        V e = exp_full(d);
        lanes0.add(d, e);
        t0 += e > 0 ? e * d : V{};
    }
    lanes0.rest += lanes1.rest;
    lanes0.neg_count += lanes1.neg_count;
    out.lse = lanes0.finish(r.max);
    out.t = horizontal_sum(t0 + t1);
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
template <class S> static KlStats kl_block(const S* a, const S* c, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
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
    const bool fast = ra.min - ra.max >= kExpFastFloor<C> && rc.min - rc.max >= kExpFastFloor<C>;
    const V ma = splat<V>(ra.max), mc = splat<V>(rc.max);
    LseLanes<S> lanes_p, lanes_q;
    V t0{}, t1{};
    std::int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        V da0 = load_vec(a + i) - ma, dc0 = load_vec(c + i) - mc;
        V da1 = load_vec(a + i + W) - ma, dc1 = load_vec(c + i + W) - mc;
        V ea0 = exp_shifted(da0, fast), ea1 = exp_shifted(da1, fast);
        lanes_p.add(da0, ea0);
        lanes_p.add(da1, ea1);
        lanes_q.add(dc0, exp_shifted(dc0, fast));
        lanes_q.add(dc1, exp_shifted(dc1, fast));
        t0 += fast ? ea0 * (da0 - dc0) : (ea0 > 0 ? ea0 * (da0 - dc0) : V{});
        t1 += fast ? ea1 * (da1 - dc1) : (ea1 > 0 ? ea1 * (da1 - dc1) : V{});
    }
    for (; i < n; i += W) {
        bool whole = i + W <= n;
        V da = (whole ? load_vec(a + i) : load_partial(a + i, n - i, -C(kInf))) - ma;
        V dc = (whole ? load_vec(c + i) : load_partial(c + i, n - i, -C(kInf))) - mc;
        V ea = exp_full(da);
        lanes_p.add(da, ea);
        lanes_q.add(dc, exp_full(dc));
        t0 += ea > 0 ? ea * (da - dc) : V{};
    }
    out.p = lanes_p.finish(ra.max);
    out.q = lanes_q.finish(rc.max);
    out.t = horizontal_sum(t0 + t1);
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
template <class S>
static CrossEntropyStats cross_entropy_block(const S* x, const compute_t<S>* w, std::int64_t n) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
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
        out.lse = special_block_lse(x, n, r.max);
        out.shifted = r.max == -C(kInf) ? -kInf : 0;
        return out;
    }
    const bool fast = r.min - r.max >= kExpFastFloor<C>;
    const V m = splat<V>(r.max);
    LseLanes<S> lanes0, lanes1;
    V s0{}, s1{};
    std::int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
        V d0 = load_vec(x + i) - m, d1 = load_vec(x + i + W) - m;
        lanes0.add(d0, exp_shifted(d0, fast));
        lanes1.add(d1, exp_shifted(d1, fast));
        s0 += w ? d0 * load_vec(w + i) : d0;
        s1 += w ? d1 * load_vec(w + i + W) : d1;
    }
    for (; i < n; i += W) {
        std::int64_t valid = n - i < W ? n - i : W;
        V d = load_partial(x + i, valid, -C(kInf)) - m;
        lanes0.add(d, exp_full(d));
        V wv{};
        for (std::int64_t k = 0; k < valid; ++k) wv[k] = w ? w[i + k] : C(1);
        s0 += wv != 0 ? d * wv : V{};  // padded lanes: 0 * -inf must not make NaN
    }
    lanes0.rest += lanes1.rest;
    lanes0.neg_count += lanes1.neg_count;
    out.lse = lanes0.finish(r.max);
    out.shifted = horizontal_sum(s0 + s1);
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

// ---- softmax and log-softmax outputs -------------------------------------------------------
template <class S, bool kExp>
static void softmax_apply(const void* xv, std::int64_t n, double max, double log_sum, void* ov) {
    using V = vec_t<S>;
    using C = compute_t<S>;
    constexpr int W = kWidth<S>;
    const S* x = static_cast<const S*>(xv);
    S* out = static_cast<S*>(ov);
    const V m = splat<V>(C(max)), l = splat<V>(C(log_sum));
    std::int64_t i = 0;
    for (; i + W <= n; i += W) {
        V y = (load_vec(x + i) - m) - l;
        store_vec(out + i, kExp ? exp_full(y) : y);
    }
    if (i < n) {
        V y = (load_partial(x + i, n - i, C(0)) - m) - l;
        store_partial(out + i, n - i, kExp ? exp_full(y) : y);
    }
}

// ---- distributions (computed in double for every input type) -------------------------------
template <class S> static inline f64v load_as_f64(const S* p, std::int64_t n_valid) {
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

template <class S> static double xlogx_sum(const void* xv, std::int64_t n, double scale) {
    constexpr int W = kWidth<double>;
    const S* x = static_cast<const S*>(xv);
    f64v acc{};
    for (std::int64_t i = 0; i < n; i += W) {
        f64v a = load_as_f64(x + i, n - i);
        f64v term = a * log_any(a * scale);
        acc += a == 0 ? f64v{} : term;  // 0 log 0 = 0; NaN still propagates
    }
    return horizontal_sum(acc);
}

template <class S>
static double xlogy_sum(const void* pv, const void* qv, std::int64_t n, double scale) {
    constexpr int W = kWidth<double>;
    const S* p = static_cast<const S*>(pv);
    const S* q = static_cast<const S*>(qv);
    f64v acc{};
    for (std::int64_t i = 0; i < n; i += W) {
        f64v a = load_as_f64(p + i, n - i), b = load_as_f64(q + i, n - i);
        f64v term = a * log_any(a / b * scale);
        // scipy's rel_entr: 0 where p == 0 (unless q is NaN), +inf where p > 0 and q == 0.
        acc += ((a == 0) & (b == b)) ? f64v{} : term;
    }
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
}

}  // namespace infonative::simd::INFONATIVE_ISA_NAMESPACE
