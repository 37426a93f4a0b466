// Shared helpers of the microbenchmarks: cached input buffers, views, ISA/thread selection.
// Build: cmake -S . -B build/bench -DINFONATIVE_BENCHMARKS=ON -DINFONATIVE_PYTHON=OFF && cmake --build build/bench -j2 && build/bench/bench/infonative_micro
// Every benchmark takes args {isa, threads, bytes}: bytes is the size of ONE input matrix.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "infonative/infonative.hpp"

namespace infonative_bench {

using infonative::DType;
using infonative::Isa;
using infonative::MatrixView;
using infonative::MutableMatrixView;

// L1 (~4 KB) to RAM (256 MB), log-spaced by 8 with a 64 MB step so the RAM regime has two points.
inline const std::vector<std::int64_t>& sizes_bytes() {
    static const std::vector<std::int64_t> s = {4 << 10,  32 << 10, 256 << 10, 2 << 20,
                                                16 << 20, 64 << 20, 256 << 20};
    return s;
}

// Rows as long as an LLM vocabulary; a buffer smaller than one such row is a single row.
constexpr std::int64_t kVocab = 32000;

// Deterministic, fast fill (splitmix64): 256 MB buffers are filled in well under a second.
struct SplitMix64 {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

// float -> IEEE binary16 bits, round to nearest even; inputs here are normal and in range.
inline std::uint16_t float_to_half_bits(float f) {
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    const std::uint32_t sign = (x >> 16) & 0x8000u;
    const std::int32_t exp = static_cast<std::int32_t>((x >> 23) & 0xFF) - 127 + 15;
    std::uint32_t mant = x & 0x7FFFFFu;
    if (exp <= 0) return static_cast<std::uint16_t>(sign);  // flush tiny values (not used here)
    std::uint32_t h = sign | (static_cast<std::uint32_t>(exp) << 10) | (mant >> 13);
    const std::uint32_t rest = mant & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<std::uint16_t>(h);
}

inline std::uint16_t float_to_bfloat16_bits(float f) {
    std::uint32_t x;
    std::memcpy(&x, &f, 4);
    x += 0x7FFFu + ((x >> 16) & 1u);
    return static_cast<std::uint16_t>(x >> 16);
}

// Kinds of content: logits uniform in [lo, hi), or positive "probability" weights.
enum class Fill { logits, logits_other, positive, positive_other, zeros };

// Buffers are cached by (fill, dtype, bytes) so the 256 MB inputs are filled once per process.
inline void* cached_buffer(Fill fill, DType dtype, std::int64_t bytes) {
    using Key = std::tuple<int, int, std::int64_t>;
    static std::map<Key, std::unique_ptr<unsigned char[]>> cache;
    const Key key{static_cast<int>(fill), static_cast<int>(dtype), bytes};
    auto it = cache.find(key);
    if (it != cache.end()) return it->second.get();
    std::unique_ptr<unsigned char[]> buf(new unsigned char[static_cast<std::size_t>(bytes) + 64]);
    const std::int64_t n = bytes / static_cast<std::int64_t>(infonative::dtype_size(dtype));
    SplitMix64 rng{0x1234u + static_cast<std::uint64_t>(fill) * 7919u};
    double lo = -8.0, hi = 8.0;
    if (fill == Fill::positive || fill == Fill::positive_other) lo = 1e-3, hi = 1.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double v = fill == Fill::zeros ? 0.0 : lo + (hi - lo) * rng.uniform();
        switch (dtype) {
            case DType::float64: reinterpret_cast<double*>(buf.get())[i] = v; break;
            case DType::float32: reinterpret_cast<float*>(buf.get())[i] = static_cast<float>(v); break;
            case DType::float16:
                reinterpret_cast<std::uint16_t*>(buf.get())[i] =
                    float_to_half_bits(static_cast<float>(v));
                break;
            case DType::bfloat16:
                reinterpret_cast<std::uint16_t*>(buf.get())[i] =
                    float_to_bfloat16_bits(static_cast<float>(v));
                break;
        }
    }
    void* p = buf.get();
    cache.emplace(key, std::move(buf));
    return p;
}

// A row-major rows x cols shape holding about `bytes` of `dtype` (at least one element).
struct Shape {
    std::int64_t rows, cols;
    std::int64_t elements() const { return rows * cols; }
};

inline Shape vocab_rows(DType dtype, std::int64_t bytes) {
    const std::int64_t n = std::max<std::int64_t>(
        1, bytes / static_cast<std::int64_t>(infonative::dtype_size(dtype)));
    const std::int64_t cols = std::min(n, kVocab);
    return {n / cols, cols};
}

inline Shape one_row(DType dtype, std::int64_t bytes) {
    return {1, std::max<std::int64_t>(
                   1, bytes / static_cast<std::int64_t>(infonative::dtype_size(dtype)))};
}

inline MatrixView view(const void* data, DType dtype, Shape s) {
    const auto es = static_cast<std::int64_t>(infonative::dtype_size(dtype));
    return {data, dtype, s.rows, s.cols, s.cols * es, es};
}

inline MutableMatrixView mutable_view(void* data, DType dtype, Shape s) {
    const auto es = static_cast<std::int64_t>(infonative::dtype_size(dtype));
    return {data, dtype, s.rows, s.cols, s.cols * es, es};
}

// Applies args {isa, threads}; false (and the benchmark is skipped) if the level is unavailable.
inline bool select_isa_and_threads(benchmark::State& state) {
    const auto isa = static_cast<Isa>(state.range(0));
    if (!infonative::isa_compiled(isa)) {
        state.SkipWithError((std::string(infonative::isa_name(isa)) + " not compiled").c_str());
        return false;
    }
    if (!infonative::isa_supported_by_cpu(isa)) {
        state.SkipWithError((std::string(infonative::isa_name(isa)) + " not supported by CPU").c_str());
        return false;
    }
    if (infonative::set_active_isa(isa) != isa) {
        state.SkipWithError("set_active_isa did not switch to the requested level");
        return false;
    }
    infonative::set_num_threads(static_cast<int>(state.range(1)));
    return true;
}

// Reports the work of one iteration: bytes = everything read and written, items = elements.
inline void report(benchmark::State& state, Shape s, std::int64_t bytes_per_iter,
                   const char* dtype_name) {
    state.SetBytesProcessed(state.iterations() * bytes_per_iter);
    state.SetItemsProcessed(state.iterations() * s.elements());
    state.SetLabel(std::string(infonative::isa_name(infonative::active_isa())) + " " + dtype_name +
                   " " + std::to_string(s.rows) + "x" + std::to_string(s.cols));
}

// Args: every ISA level x {1, 2} threads x every size.
inline void isa_threads_sizes(benchmark::internal::Benchmark* b) {
    b->ArgNames({"isa", "threads", "bytes"});
    b->ArgsProduct({{static_cast<std::int64_t>(Isa::baseline), static_cast<std::int64_t>(Isa::avx2),
                     static_cast<std::int64_t>(Isa::avx512)},
                    {1, 2},
                    sizes_bytes()});
    b->UseRealTime();  // OpenMP work happens on other threads too: CPU time of main would mislead
}

}  // namespace infonative_bench
