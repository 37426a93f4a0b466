// Vectorised exp and log with documented accuracy; included inside the per-ISA namespace.
// Coefficients from tools/gen_poly_coeffs.py (Chebyshev fits in 60-digit arithmetic).
//
// exp: x = k ln2 + r, |r| <= ln2/2 (Cody-Waite split of ln2), exp(r) = 1 + r + r^2 P(r).
//   Polynomial error 9.7e-9 (float) / 1.6e-17 (double) relative; measured <= 1 ulp overall.
//   exp(0) == 1 exactly. exp_full handles every input: -inf -> 0, subnormal results,
//   overflow -> +inf, NaN -> NaN. exp_nonpositive assumes x in [kExpFastFloor, 0] or NaN
//   (the sum kernels check each block's range first) and skips the range handling.
// log: x = 2^e m, m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(f), f = (m - 1)/(m + 1).
//   Polynomial error 3e-10 (float) / 5e-19 (double) relative; measured <= 1 ulp.
//   log(0) = -inf, log(+inf) = +inf, log(x < 0) = NaN, subnormals exact.

template <class V> struct MathConst;
template <> struct MathConst<f32v> {
    using I = i32v;
    static constexpr float log2e = 1.44269504088896341f;
    static constexpr float ln2_hi = 0.693145751953125f;   // 16 significant bits: k*ln2_hi exact
    static constexpr float ln2_lo = 1.428606765330187045e-06f;
    static constexpr float shifter = 12582912.0f;           // 1.5 * 2^23
    static constexpr float exp_min = -110.0f, exp_max = 89.0f;  // beyond: exactly 0 / inf
    static constexpr int mantissa_bits = 23, exponent_bias = 127;
};
template <> struct MathConst<f64v> {
    using I = i64v;
    static constexpr double log2e = 1.4426950408889634074;
    static constexpr double ln2_hi = 0.693147180369123816490;  // 32 significant bits
    static constexpr double ln2_lo = 1.90821492927058770002e-10;
    static constexpr double shifter = 6755399441055744.0;      // 1.5 * 2^52
    static constexpr double exp_min = -746.0, exp_max = 710.0;
    static constexpr int mantissa_bits = 52, exponent_bias = 1023;
};

// Floor of block-relative arguments (x - max) for which exp_nonpositive is exact enough:
// 2^k stays a normal number.
template <class C> constexpr C kExpFastFloor = sizeof(C) == 4 ? C(-87.0) : C(-707.0);

// exp(r) = 1 + r (1 + r P(r)), all Horner: one FMA per coefficient and nothing else.
static INFONATIVE_INLINE f32v exp_poly(f32v r) {
    f32v p = splat<f32v>(0.0013926175888627768f);
    p = p * r + 0.008363173343241215f;
    p = p * r + 0.041666556149721146f;
    p = p * r + 0.16666577756404877f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    return p * r + 1.0f;
}
static INFONATIVE_INLINE f64v exp_poly(f64v r) {
    f64v p = splat<f64v>(2.5100375832561234e-08);
    p = p * r + 2.7620075879983367e-07;
    p = p * r + 2.7557268480310024e-06;
    p = p * r + 2.4801521322368692e-05;
    p = p * r + 0.00019841269863040545;
    p = p * r + 0.0013888888917196719;
    p = p * r + 0.008333333333330065;
    p = p * r + 0.041666666666624164;
    p = p * r + 0.16666666666666669;
    p = p * r + 0.5000000000000001;
    p = p * r + 1.0;
    return p * r + 1.0;
}

// 2^k for integer-valued k given as the shifter trick's bits: bits(t) = bits(shifter) + k, so
// shifting left by the mantissa width leaves exactly k in the exponent field.
template <class V> static INFONATIVE_INLINE V exp2_integer(typename MathConst<V>::I shifted_bits_plus_bias) {
    return bit_cast_vec<V>(shifted_bits_plus_bias << MathConst<V>::mantissa_bits);
}

// For x in [kExpFastFloor, 0], not NaN (the callers check each block first).
template <class V> static INFONATIVE_INLINE V exp_nonpositive(V x) {
    using K = MathConst<V>;
    using I = typename K::I;
    V t = x * K::log2e + K::shifter;
    V k = t - K::shifter;
    V r = x - k * K::ln2_hi;
    r = r - k * K::ln2_lo;
    // 2^k p: add k to p's exponent field (p in [0.7, 1.5] and 2^k normal, so no carry out).
    I k_bits = bit_cast_vec<I>(t) << K::mantissa_bits;
    return bit_cast_vec<V>(bit_cast_vec<I>(exp_poly(r)) + k_bits);
}

// exp of a term of a sum over a block, for x in [kExpFastFloor, 0] (not NaN): one-step
// reduction with ln2 rounded to the working precision, one FMA fewer. Its error, k times
// ln2 - fl(ln2) relative (k <= |x| log2e), is 1/30 (float) and 1/3 (double) of the rounding
// of x - max itself and weighs each term by its size 2^-k: the sum keeps the accuracy of the
// two-step exp. Entries written out (softmax) use exp_nonpositive, exact to 1 ulp each.
// Only where x - k ln2 is one fused multiply-add: rounding k ln2 first would cost 2^-24 |x|.
#if defined(__AVX512F__) && INFONATIVE_VECTOR_BYTES == 64
// AVX-512: x = (k + j/16) ln2 + r, |r| <= ln2/32, exp(x) = 2^k 2^(j/16) exp(r). The shifter
// trick at a sixteenth (1.5 * 2^19 for float, 1.5 * 2^48 for double: floats spaced 1/16
// apart) rounds x log2e to k + j/16 and leaves j in the low bits, 2^(j/16) is one permute from
// a 16-entry table (correctly rounded) and 2^k one vscalef, exact for subnormal and zero results
// too. exp(r) = 1 + r + r^2 P(r) with P of degree 1 (float, 4.7e-9 relative) or 4 (double,
// 2.8e-17): tools/gen_poly_coeffs.py. 11 (float) or 14 (double) operations per vector.
struct ExpTable16 {
    static f32v lookup(f32v t) {
        const __m512 table = _mm512_setr_ps(
            0x1.000000p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f, 0x1.306fe0p+0f,
            0x1.3dea64p+0f, 0x1.4bfdaep+0f, 0x1.5ab07ep+0f, 0x1.6a09e6p+0f, 0x1.7a1148p+0f,
            0x1.8ace54p+0f, 0x1.9c4918p+0f, 0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f,
            0x1.ea4afap+0f);
        return (f32v)_mm512_permutexvar_ps((__m512i)t, table);
    }
    static f64v lookup(f64v t) {
        const __m512d low = _mm512_setr_pd(
            0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
            0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0);
        const __m512d high = _mm512_setr_pd(
            0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
            0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0);
        return (f64v)_mm512_permutex2var_pd(low, (__m512i)t, high);
    }
    // max(x, low) with a NaN x passing through: vmaxps returns its second operand on NaN
    // (GCC compiles x < low ? low : x to a compare and a blend).
    static f32v at_least(f32v x, f32v low) { return (f32v)_mm512_max_ps((__m512)low, (__m512)x); }
    static f64v at_least(f64v x, f64v low) { return (f64v)_mm512_max_pd((__m512d)low, (__m512d)x); }
    // v 2^floor(k)
    static f32v scale(f32v v, f32v k) { return (f32v)_mm512_scalef_ps((__m512)v, (__m512)k); }
    static f64v scale(f64v v, f64v k) { return (f64v)_mm512_scalef_pd((__m512d)v, (__m512d)k); }
    // The same in the lanes of `keep`, 0 in the others.
    static f32v scale_keep(f32v v, f32v k, __mmask16 keep) {
        return (f32v)_mm512_maskz_scalef_ps(keep, (__m512)v, (__m512)k);
    }
    static f64v scale_keep(f64v v, f64v k, __mmask8 keep) {
        return (f64v)_mm512_maskz_scalef_pd(keep, (__m512d)v, (__m512d)k);
    }
    // Lanes whose x is not 0 (NaN included: it must reach the sum).
    static __mmask16 nonzero(f32v x) {
        return _mm512_cmp_ps_mask((__m512)x, _mm512_setzero_ps(), _CMP_NEQ_UQ);
    }
    static __mmask8 nonzero(f64v x) {
        return _mm512_cmp_pd_mask((__m512d)x, _mm512_setzero_pd(), _CMP_NEQ_UQ);
    }
    static f32v tail(f32v r) { return r * 0.1666686236858368f + 0.5000097751617432f; }  // P(r)
    static f64v tail(f64v r) {
        f64v p = splat<f64v>(0.0013889034348599464);
        p = p * r + 0.008333449701253456;
        p = p * r + 0.04166666666496045;
        p = p * r + 0.1666666666530169;
        return p * r + 0.5;
    }
};

// kClamp: for any x <= 0, -inf included (below exp_min, where exp is 0, x is raised to it);
// without, x must lie in [kExpFastFloor, 0]. NaN passes through either way.
// scale(v, k) applies 2^floor(k) to the table value times exp(r).
template <bool kClamp, class V, class Scale>
static INFONATIVE_INLINE V exp_nonpositive_table_scaled(V x, Scale scale) {
    using K = MathConst<V>;
    using C = decltype(x[0] + 0);
    constexpr C ln2 = C(0.693147180559945309417232121458176568);
    constexpr C shifter = K::shifter / 16;
    if constexpr (kClamp) x = ExpTable16::at_least(x, splat<V>(K::exp_min));
    const V u = x * K::log2e + shifter;  // shifter + k + j/16, j in the low bits
    const V k = u - shifter;               // k + j/16, exactly
    const V r = x - k * ln2;
    const V table = ExpTable16::lookup(u);
    const V a = ExpTable16::tail(r) * r + 1;  // exp(r) = 1 + r a
    return scale((table * r) * a + table, k);
}
template <bool kClamp, class V> static INFONATIVE_INLINE V exp_nonpositive_table(V x) {
    return exp_nonpositive_table_scaled<kClamp>(x, [](V v, V k) { return ExpTable16::scale(v, k); });
}

// The fast term exp in the lanes of `keep` and 0 in the others, for the sums that count the
// entries at the block maximum apart: the zeroing rides on the final vscalef, and the count is
// a popcount of the mask (a compare, a masked move and an add per vector less).
constexpr bool kTermExpMasks = true;
template <class V> static INFONATIVE_INLINE auto nonzero_lanes(V x) { return ExpTable16::nonzero(x); }
template <class V, class M> static INFONATIVE_INLINE V exp_nonpositive_term_kept(V x, M keep) {
    return exp_nonpositive_table_scaled<false>(
        x, [keep](V v, V k) { return ExpTable16::scale_keep(v, k, keep); });
}

template <class V> static INFONATIVE_INLINE V exp_nonpositive_term(V x) { return exp_nonpositive_table<false>(x); }
template <class V> static INFONATIVE_INLINE V exp_nonpositive_term_any(V x) { return exp_nonpositive_table<true>(x); }
// Both pass NaN through, so the blocks of a sum need not be searched for NaN first.
constexpr bool kTermExpKeepsNaN = true;
#elif defined(__FMA__) || defined(__aarch64__)
template <class V> static INFONATIVE_INLINE V exp_nonpositive_term(V x) {
    using K = MathConst<V>;
    using I = typename K::I;
    using C = decltype(x[0] + 0);
    constexpr C ln2 = C(0.693147180559945309417232121458176568);
    V t = x * K::log2e + K::shifter;
    V k = t - K::shifter;
    V r = x - k * ln2;
    I k_bits = bit_cast_vec<I>(t) << K::mantissa_bits;
    return bit_cast_vec<V>(bit_cast_vec<I>(exp_poly(r)) + k_bits);
}
#else
template <class V> static INFONATIVE_INLINE V exp_nonpositive_term(V x) { return exp_nonpositive(x); }
#endif
// The fast exp for float16/bfloat16 inputs, whose results are rounded to 11 (8) bits: one-step
// reduction (2.4e-7) and a degree-5 polynomial (4.1e-7, tools/gen_poly_coeffs.py) keep each
// term within 7e-7 relative, far inside the 0.02 ulp a correctly rounded half result needs.
// AVX-512's table exp is both cheaper and more accurate.
#if defined(__AVX512F__) && INFONATIVE_VECTOR_BYTES == 64
static INFONATIVE_INLINE f32v exp_nonpositive_for_half(f32v x) { return exp_nonpositive_table<false>(x); }
#else
static INFONATIVE_INLINE f32v exp_nonpositive_for_half(f32v x) {
    using K = MathConst<f32v>;
    f32v t = x * K::log2e + K::shifter;
    f32v k = t - K::shifter;
    f32v r = x - k * 0.693147182464599609375f;  // ln2 rounded to float
    f32v p = splat<f32v>(0.008357199840247631f);
    p = p * r + 0.04183380305767059f;
    p = p * r + 0.16666631400585175f;
    p = p * r + 0.49999749660491943f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    i32v k_bits = bit_cast_vec<i32v>(t) << K::mantissa_bits;
    return bit_cast_vec<f32v>(bit_cast_vec<i32v>(p) + k_bits);
}
#endif

template <class V> static INFONATIVE_INLINE V exp_full(V x) {
    using K = MathConst<V>;
    using I = typename K::I;
    x = x < K::exp_min ? splat<V>(K::exp_min) : x;  // comparisons with NaN are false:
    x = x > K::exp_max ? splat<V>(K::exp_max) : x;  // NaN passes through
    V t = x * K::log2e + K::shifter;
    V k = t - K::shifter;
    V r = x - k * K::ln2_hi;
    r = r - k * K::ln2_lo;
    // Scale by 2^k in two halves so each factor is a normal number (k spans subnormal results).
    I k_int = bit_cast_vec<I>(t) - bit_cast_vec<I>(splat<V>(K::shifter));
    I k_half = k_int >> 1;
    V scale_a = exp2_integer<V>(k_half + K::exponent_bias);
    V scale_b = exp2_integer<V>(k_int - k_half + K::exponent_bias);
    return (exp_poly(r) * scale_a) * scale_b;
}

#if !(defined(__AVX512F__) && INFONATIVE_VECTOR_BYTES == 64)
constexpr bool kTermExpMasks = false;  // no mask registers: the sums mask and count in vectors
template <class V> unsigned nonzero_lanes(V x);                      // declared only: never used
template <class V, class M> V exp_nonpositive_term_kept(V x, M keep);  // without kTermExpMasks
template <class V> static INFONATIVE_INLINE V exp_nonpositive_term_any(V x) { return exp_full(x); }
// The fast term exp adds k to the exponent bits, which can turn a NaN into a number.
constexpr bool kTermExpKeepsNaN = false;
#endif

static INFONATIVE_INLINE f32v log_poly(f32v u) {  // (atanh(f) - f) / f^3 as a polynomial in u = f^2
    f32v q = splat<f32v>(0.11665233969688416f);
    q = q * u + 0.14275410771369934f;
    q = q * u + 0.2000006139278412f;
    return q * u + 0.3333333432674408f;
}
static INFONATIVE_INLINE f64v log_poly(f64v u) {
    f64v q = splat<f64v>(0.06543313073920051);
    q = q * u + 0.06634386569328443;
    q = q * u + 0.07693119851407329;
    q = q * u + 0.09090897820066453;
    q = q * u + 0.11111111195856958;
    q = q * u + 0.14285714285401807;
    q = q * u + 0.2000000000000044;
    return q * u + 0.3333333333333333;
}

template <class V> struct LogConst;
template <> struct LogConst<f32v> {
    using I = i32v;
    using U = u32v;
    static constexpr std::int32_t one_bits = 0x3f800000, sqrt_half_bits = 0x3f3504f3;
    static constexpr std::int32_t mantissa_mask = 0x007fffff;
    static constexpr float min_normal = 1.17549435e-38f, subnormal_scale = 0x1p25f;
    static constexpr float subnormal_exponent = 25;
    static constexpr float ln2_hi = 0.693145751953125f, ln2_lo = 1.428606765330187045e-06f;
};
template <> struct LogConst<f64v> {
    using I = i64v;
    using U = u64v;
    static constexpr std::int64_t one_bits = 0x3ff0000000000000, sqrt_half_bits = 0x3fe6a09e667f3bcd;
    static constexpr std::int64_t mantissa_mask = 0x000fffffffffffff;
    static constexpr double min_normal = 2.2250738585072014e-308, subnormal_scale = 0x1p54;
    static constexpr double subnormal_exponent = 54;
    static constexpr double ln2_hi = 0.693147180369123816490, ln2_lo = 1.90821492927058770002e-10;
};

// Small integers to floating point. int64 -> double has no AVX2 instruction (GCC would go
// lane by lane): add the integer to the bits of 1.5 * 2^52 and subtract that value instead.
static INFONATIVE_INLINE f32v int_to_float(i32v i) { return __builtin_convertvector(i, f32v); }
static INFONATIVE_INLINE f64v int_to_float(i64v i) {
    const f64v magic = splat<f64v>(6755399441055744.0);
    return bit_cast_vec<f64v>(i + bit_cast_vec<i64v>(magic)) - magic;
}

// The bits of x minus the bits of sqrt(1/2), so that the exponent field holds the exponent of
// x / sqrt(1/2). In unsigned arithmetic: for x <= 0 (whose result the callers discard) the
// signed subtraction would overflow, which is undefined behaviour.
template <class V> static INFONATIVE_INLINE typename LogConst<V>::I shifted_bits(V x) {
    using K = LogConst<V>;
    using U = typename K::U;
    return bit_cast_vec<typename K::I>(bit_cast_vec<U>(x) - U(splat<U>(K::sqrt_half_bits)));
}

// log for positive, finite, normal x only (garbage otherwise: callers check).
template <class V> static INFONATIVE_INLINE V log_ordinary(V x) {
    using K = LogConst<V>;
    using I = typename K::I;
    constexpr int mbits = MathConst<V>::mantissa_bits;
    I shifted = shifted_bits<V>(x);
    V e = int_to_float(shifted >> mbits);
    V m = bit_cast_vec<V>((shifted & K::mantissa_mask) + K::sqrt_half_bits);
    V f = (m - 1) / (m + 1);
    V u = f * f;
    V log_m = 2 * f + 2 * f * u * log_poly(u);
    return e * K::ln2_hi + (e * K::ln2_lo + log_m);
}

// Whether x is outside the domain of log_ordinary (zero, subnormal, inf, NaN, negative).
template <class V> static INFONATIVE_INLINE auto log_unusual(V x) {
    return !((x >= LogConst<V>::min_normal) & (x < __builtin_inf()));
}

template <class V> static INFONATIVE_INLINE V log_any(V x) {
    using K = LogConst<V>;
    using I = typename K::I;
    constexpr int mbits = MathConst<V>::mantissa_bits;
    // Subnormals: scale into the normal range first, remember the exponent offset.
    I is_sub = (I)(x < K::min_normal);
    V xs = is_sub ? x * K::subnormal_scale : x;
    // Split so the mantissa lands in [sqrt(1/2), sqrt(2)): subtract the bits of sqrt(1/2).
    I shifted = shifted_bits<V>(xs);
    I exponent = shifted >> mbits;  // arithmetic shift; garbage for x <= 0, fixed below
    I mant_bits = (shifted & K::mantissa_mask) + K::sqrt_half_bits;
    V m = bit_cast_vec<V>(mant_bits);
    V e = int_to_float(exponent) - (is_sub ? splat<V>(K::subnormal_exponent) : V{});
    V f = (m - 1) / (m + 1);
    V u = f * f;
    V log_m = 2 * f + 2 * f * u * log_poly(u);
    V result = e * K::ln2_hi + (e * K::ln2_lo + log_m);
    result = x == 0 ? splat<V>(-__builtin_inf()) : result;
    result = x == __builtin_inf() ? x : result;
    result = x < 0 ? splat<V>(__builtin_nan("")) : result;
    return x != x ? x : result;
}
