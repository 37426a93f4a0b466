// Counter-indexed standard normal deviates (infonative/counter_normal.hpp). Compiled with
// -ffp-contract=off: the noise is x + float(a * z), a fused multiply-add would round differently.
#include "infonative/counter_normal.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "row_driver.hpp"

namespace infonative {

namespace {

constexpr double kR = 3.6541528853610088;  // the base strip's right edge for 256 layers
constexpr double kTwo52 = 4503599627370496.0;
constexpr double kPi = 3.141592653589793;
constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ull;
// Deviates per parallel chunk (each is independent: the split changes nothing but speed).
constexpr std::int64_t kChunk = 8192;

double gauss_f(double x) { return std::exp(-0.5 * x * x); }

ZigguratTables make_tables() {
    ZigguratTables t{};
    const double v = kR * gauss_f(kR) + std::sqrt(kPi / 2) * std::erfc(kR / std::sqrt(2.0));
    double x[256];
    x[255] = kR;
    for (int i = 255; i >= 2; --i) x[i - 1] = std::sqrt(-2 * std::log(gauss_f(x[i]) + v / x[i]));
    const double base = v / gauss_f(kR);  // layer 0: the strip under f(r), tail included
    t.width[0] = base / kTwo52;
    t.accept[0] = std::uint64_t(kR / base * kTwo52);
    t.height[0] = 1;
    for (int i = 1; i < 256; ++i) {
        t.width[i] = x[i] / kTwo52;
        t.accept[i] = i == 1 ? 0 : std::uint64_t(x[i - 1] / x[i] * kTwo52);
        t.height[i] = gauss_f(x[i]);
    }
    return t;
}

inline std::uint64_t splitmix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// The raw bits of one deviate, counter by counter.
struct RawStream {
    std::uint64_t state;
    std::uint64_t next() { return splitmix(state += kGamma); }
    double next_open_unit() { return double((next() >> 11) + 1) * 0x1p-53; }  // (0, 1]
    double next_unit() { return double(next() >> 11) * 0x1p-53; }             // [0, 1)
};

// One raw split as numpy's Generator splits it: 8 bits of layer, a sign bit, 52 of abscissa.
// x is signed without a branch (the sign is a coin toss: a branch on it mispredicts half the
// time, 2x the time of a deviate).
struct Candidate {
    int layer;
    bool negative;
    std::uint64_t abscissa;
    double x;  // signed
};
inline double with_sign(double magnitude, bool negative) {
    std::uint64_t bits;
    std::memcpy(&bits, &magnitude, 8);
    bits ^= std::uint64_t(negative) << 63;
    std::memcpy(&magnitude, &bits, 8);
    return magnitude;
}
inline Candidate candidate(const ZigguratTables& t, std::uint64_t r) {
    const int layer = int(r & 0xff);
    const bool negative = (r >> 8) & 1;
    const std::uint64_t abscissa = (r >> 9) & 0x000fffffffffffffull;
    const double x = double(std::int64_t(abscissa)) * t.width[layer];
    return Candidate{layer, negative, abscissa, with_sign(x, negative)};
}

// The rare rest of a deviate whose first candidate fell outside its layer's inner rectangle.
__attribute__((noinline)) double finish_deviate(const ZigguratTables& t, RawStream raw,
                                                Candidate c) {
    for (;;) {
        if (c.layer == 0) {  // the tail beyond r (Marsaglia 1964)
            for (;;) {
                const double xx = -std::log(raw.next_open_unit()) / kR;
                const double yy = -std::log(raw.next_open_unit());
                if (yy + yy > xx * xx) return with_sign(kR + xx, c.negative);
            }
        }
        // the wedge of layer i, between f(x[i]) and f(x[i - 1])
        const double y = (t.height[c.layer - 1] - t.height[c.layer]) * raw.next_unit() +
                         t.height[c.layer];
        if (y < gauss_f(c.x)) return c.x;
        c = candidate(t, raw.next());
        if (c.abscissa < t.accept[c.layer]) return c.x;
    }
}

inline double deviate(const ZigguratTables& t, std::uint64_t seed, std::uint64_t index) {
    RawStream raw{seed + index * 256 * kGamma};
    const Candidate c = candidate(t, raw.next());
    if (c.abscissa < t.accept[c.layer]) return c.x;  // ~99% of deviates
    return finish_deviate(t, raw, c);
}

template <class T>
T& entry(const MutableMatrixView& v, std::int64_t r, std::int64_t c) {
    return *reinterpret_cast<T*>(static_cast<unsigned char*>(v.data) + r * v.row_stride +
                                 c * v.col_stride);
}

template <class T>
void add_noise_typed(const MutableMatrixView& v, double noise, std::uint64_t seed) {
    const ZigguratTables& t = ziggurat_tables();
    std::vector<double> amplitude(std::size_t(v.cols));
#pragma omp parallel for schedule(dynamic, 1) if (v.rows * v.cols >= 2 * kChunk && v.cols > 1)
    for (std::int64_t c = 0; c < v.cols; ++c) {
        double sum = 0;
        for (std::int64_t r = 0; r < v.rows; ++r) sum += std::abs(double(entry<T>(v, r, c)));
        const double mean = sum / double(v.rows);
        amplitude[std::size_t(c)] = noise * (mean > 1 ? mean : 1.0);
    }
    const std::int64_t chunks_per_column = (v.rows + kChunk - 1) / kChunk;
    const std::int64_t items = chunks_per_column * v.cols;
#pragma omp parallel for schedule(dynamic, 1) if (v.rows * v.cols >= 2 * kChunk)
    for (std::int64_t item = 0; item < items; ++item) {
        const std::int64_t c = item / chunks_per_column, r0 = item % chunks_per_column * kChunk;
        const std::int64_t r1 = r0 + kChunk < v.rows ? r0 + kChunk : v.rows;
        for (std::int64_t r = r0; r < r1; ++r) {
            const double z = deviate(t, seed, std::uint64_t(c * v.rows + r));
            T& x = entry<T>(v, r, c);
            x = x + T(amplitude[std::size_t(c)] * z);
        }
    }
}

}  // namespace

const ZigguratTables& ziggurat_tables() {
    static const ZigguratTables tables = make_tables();
    return tables;
}

double counter_normal(std::uint64_t seed, std::uint64_t index) {
    return deviate(ziggurat_tables(), seed, index);
}

void counter_normals(std::uint64_t seed, std::uint64_t first, std::int64_t count, double* out) {
    if (count < 0) throw std::invalid_argument("counter_normals: negative count");
    if (count > 0 && !out) throw std::invalid_argument("counter_normals: null output");
    const ZigguratTables& t = ziggurat_tables();
#pragma omp parallel for schedule(static) if (count >= 2 * kChunk)
    for (std::int64_t i = 0; i < count; ++i) out[i] = deviate(t, seed, first + std::uint64_t(i));
}

void add_counter_noise(const MutableMatrixView& view, double noise, std::uint64_t seed) {
    const MatrixView read{view.data, view.dtype, view.rows, view.cols, view.row_stride,
                          view.col_stride};
    detail::check_view(read, "add_counter_noise");
    if (view.rows == 0 || view.cols == 0) return;
    if (view.dtype == DType::float64)
        add_noise_typed<double>(view, noise, seed);
    else if (view.dtype == DType::float32)
        add_noise_typed<float>(view, noise, seed);
    else
        throw std::invalid_argument("add_counter_noise: dtype must be float32 or float64");
}

}  // namespace infonative
