// Vector types of this target's width and loads/stores between storage and compute types.
// Included inside the per-ISA namespace by kernels.inl. GCC/Clang vector extensions give one
// source for every width; the compiler picks the target's instructions. No std:: calls here.

constexpr int kVectorBytes = INFONATIVE_VECTOR_BYTES;

typedef float f32v __attribute__((vector_size(kVectorBytes)));
typedef double f64v __attribute__((vector_size(kVectorBytes)));
typedef std::int32_t i32v __attribute__((vector_size(kVectorBytes)));
typedef std::int64_t i64v __attribute__((vector_size(kVectorBytes)));
typedef std::uint32_t u32v __attribute__((vector_size(kVectorBytes)));
typedef std::uint64_t u64v __attribute__((vector_size(kVectorBytes)));
// The 16-bit lanes that widen to one f32v.
typedef std::uint16_t u16half __attribute__((vector_size(kVectorBytes / 2)));

// Compute type, vector and lane count for each storage type.
template <class S> struct Lanes;
template <> struct Lanes<Half> { using C = float; using V = f32v; using I = i32v; };
template <> struct Lanes<BFloat16> { using C = float; using V = f32v; using I = i32v; };
template <> struct Lanes<float> { using C = float; using V = f32v; using I = i32v; };
template <> struct Lanes<double> { using C = double; using V = f64v; using I = i64v; };
template <class S> using compute_t = typename Lanes<S>::C;
template <class S> using vec_t = typename Lanes<S>::V;
template <class S> using ivec_t = typename Lanes<S>::I;
template <class S> constexpr int kWidth = kVectorBytes / int(sizeof(compute_t<S>));

template <class V> static INFONATIVE_INLINE V load_bytes(const void* p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
template <class V> static INFONATIVE_INLINE void store_bytes(void* p, V v) { __builtin_memcpy(p, &v, sizeof v); }
template <class V, class T> static INFONATIVE_INLINE V splat(T value) { return V{} + value; }
template <class To, class From> static INFONATIVE_INLINE To bit_cast_vec(From v) {
    static_assert(sizeof(To) == sizeof(From), "same width");
    To out;
    __builtin_memcpy(&out, &v, sizeof out);
    return out;
}

// ---- scalar conversions (tails, special blocks, targets without F16C) ---------------------
static INFONATIVE_INLINE float half_to_float(std::uint16_t h) {
    std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    std::uint32_t magnitude = h & 0x7fffu;
    std::uint32_t bits;
    if (magnitude >= 0x7c00u) {
        bits = (magnitude << 13) | 0x7f800000u;  // inf or NaN
    } else {
        // Exponent rebias by 2^112 also normalises half subnormals exactly.
        float scaled;
        std::uint32_t shifted = magnitude << 13;
        __builtin_memcpy(&scaled, &shifted, 4);
        scaled *= 0x1p112f;
        __builtin_memcpy(&bits, &scaled, 4);
    }
    bits |= sign;
    float out;
    __builtin_memcpy(&out, &bits, 4);
    return out;
}

// Round to nearest even (F. Giesen's float_to_half_fast3_rtne).
static INFONATIVE_INLINE std::uint16_t float_to_half(float value) {
    std::uint32_t bits;
    __builtin_memcpy(&bits, &value, 4);
    std::uint32_t sign = bits & 0x80000000u;
    bits ^= sign;
    std::uint32_t out;
    if (bits >= 0x47800000u) {  // >= 65536 (rounds to inf), inf or NaN
        out = bits > 0x7f800000u ? 0x7e00u : 0x7c00u;
    } else if (bits < 0x38800000u) {  // result is a half subnormal or zero
        float f;
        __builtin_memcpy(&f, &bits, 4);
        f += 0.5f;  // 2^-1 aligns the half subnormal's unit with the float's last bit
        __builtin_memcpy(&out, &f, 4);
        out -= 0x3f000000u;
    } else {
        std::uint32_t mantissa_odd = (bits >> 13) & 1u;
        bits += (std::uint32_t(15 - 127) << 23) + 0xfffu;
        bits += mantissa_odd;
        out = bits >> 13;
    }
    return std::uint16_t(out | (sign >> 16));
}

static INFONATIVE_INLINE float bfloat16_to_float(std::uint16_t h) {
    std::uint32_t bits = std::uint32_t(h) << 16;
    float out;
    __builtin_memcpy(&out, &bits, 4);
    return out;
}

static INFONATIVE_INLINE std::uint16_t float_to_bfloat16(float value) {
    std::uint32_t bits;
    __builtin_memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((bits >> 16) | 0x40u);  // quiet NaN
    bits += 0x7fffu + ((bits >> 16) & 1u);  // round to nearest even
    return std::uint16_t(bits >> 16);
}

static INFONATIVE_INLINE float load_scalar(const Half* p) { return half_to_float(p->bits); }
static INFONATIVE_INLINE float load_scalar(const BFloat16* p) { return bfloat16_to_float(p->bits); }
static INFONATIVE_INLINE float load_scalar(const float* p) { return *p; }
static INFONATIVE_INLINE double load_scalar(const double* p) { return *p; }
static INFONATIVE_INLINE void store_scalar(Half* p, float v) { p->bits = float_to_half(v); }
static INFONATIVE_INLINE void store_scalar(BFloat16* p, float v) { p->bits = float_to_bfloat16(v); }
static INFONATIVE_INLINE void store_scalar(float* p, float v) { *p = v; }
static INFONATIVE_INLINE void store_scalar(double* p, double v) { *p = v; }

// ---- vector loads and stores -----------------------------------------------------------------
static INFONATIVE_INLINE f32v load_vec(const float* p) { return load_bytes<f32v>(p); }
static INFONATIVE_INLINE f64v load_vec(const double* p) { return load_bytes<f64v>(p); }
static INFONATIVE_INLINE void store_vec(float* p, f32v v) { store_bytes(p, v); }
static INFONATIVE_INLINE void store_vec(double* p, f64v v) { store_bytes(p, v); }

static INFONATIVE_INLINE f32v load_vec(const BFloat16* p) {
    u32v wide = __builtin_convertvector(load_bytes<u16half>(p), u32v) << 16;
    return bit_cast_vec<f32v>(wide);
}
static INFONATIVE_INLINE void store_vec(BFloat16* p, f32v v) {
    u32v bits = bit_cast_vec<u32v>(v);
    u32v rounded = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
    u32v quiet_nan = (bits >> 16) | 0x40u;
    u32v is_nan = (u32v)((bits & 0x7fffffffu) > 0x7f800000u);
    u32v out = (is_nan & quiet_nan) | (~is_nan & rounded);
    store_bytes(p, __builtin_convertvector(out, u16half));
}

#if defined(__AVX512F__) && INFONATIVE_VECTOR_BYTES == 64
static INFONATIVE_INLINE f32v load_vec(const Half* p) {
    return (f32v)_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
static INFONATIVE_INLINE void store_vec(Half* p, f32v v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p),
                        _mm512_cvtps_ph((__m512)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
#elif defined(__F16C__) && INFONATIVE_VECTOR_BYTES == 32
static INFONATIVE_INLINE f32v load_vec(const Half* p) {
    return (f32v)_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
static INFONATIVE_INLINE void store_vec(Half* p, f32v v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p),
                     _mm256_cvtps_ph((__m256)v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
#else
// No hardware conversion on this target: lane by lane (the baseline path only).
static INFONATIVE_INLINE f32v load_vec(const Half* p) {
    f32v v;
    for (int i = 0; i < kWidth<float>; ++i) v[i] = half_to_float(p[i].bits);
    return v;
}
static INFONATIVE_INLINE void store_vec(Half* p, f32v v) {
    for (int i = 0; i < kWidth<float>; ++i) p[i].bits = float_to_half(v[i]);
}
#endif

// ---- streaming stores ------------------------------------------------------------------------
// Non-temporal stores write past the caches: for outputs too large to stay in them, where a
// plain store would first read each line it writes (a third more memory traffic). p must be
// aligned to the bytes of a vector's entries (kStreamAlign<S>); stream_fence() orders them
// before anything that follows.
template <class S> constexpr std::uintptr_t kStreamAlign = std::uintptr_t(kWidth<S>) * sizeof(S);
#if defined(__x86_64__) || defined(_M_X64)
template <class V> static INFONATIVE_INLINE void stream_bytes(void* p, V v) {
    if constexpr (sizeof(V) == 64) {
        _mm512_stream_si512(static_cast<__m512i*>(p), (__m512i)v);
    } else if constexpr (sizeof(V) == 32) {
        _mm256_stream_si256(static_cast<__m256i*>(p), (__m256i)v);
    } else if constexpr (sizeof(V) == 16) {
        _mm_stream_si128(static_cast<__m128i*>(p), (__m128i)v);
    } else {
        static_assert(sizeof(V) == 8, "a vector of 8 to 64 bytes");
        long long bits;
        __builtin_memcpy(&bits, &v, 8);
        _mm_stream_si64(static_cast<long long*>(p), bits);
    }
}
static INFONATIVE_INLINE void stream_fence() { _mm_sfence(); }
#else
template <class V> static INFONATIVE_INLINE void stream_bytes(void* p, V v) { store_bytes(p, v); }
static INFONATIVE_INLINE void stream_fence() {}
#endif

// The bits that store_vec writes, as one vector of the storage type.
template <class S> static INFONATIVE_INLINE auto storage_bits(vec_t<S> v) {
    if constexpr (sizeof(S) == 2) {
        u16half bits;
        S stored[kWidth<S>];
        store_vec(stored, v);
        __builtin_memcpy(&bits, stored, sizeof bits);
        return bits;
    } else {
        return v;
    }
}
template <class S> static INFONATIVE_INLINE void stream_vec(S* p, vec_t<S> v) { stream_bytes(p, storage_bits<S>(v)); }

// Loads the first n (< width) elements; the other lanes get `fill`.
template <class S> static INFONATIVE_INLINE vec_t<S> load_partial(const S* p, std::int64_t n, compute_t<S> fill) {
    vec_t<S> v = splat<vec_t<S>>(fill);
    for (std::int64_t i = 0; i < n; ++i) v[i] = load_scalar(p + i);
    return v;
}
template <class S> static INFONATIVE_INLINE void store_partial(S* p, std::int64_t n, vec_t<S> v) {
    for (std::int64_t i = 0; i < n; ++i) store_scalar(p + i, v[i]);
}

template <class V> static INFONATIVE_INLINE double horizontal_sum(V v) {
    double sum = 0;
    for (int i = 0; i < int(sizeof(V) / sizeof(v[0])); ++i) sum += double(v[i]);
    return sum;
}
