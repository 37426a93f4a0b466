// logsumexp_rows over 32000-wide rows for each storage dtype (float16, bfloat16, float32, float64): the cost of conversion.
// Build: cmake -S . -B build/bench -DINFONATIVE_BENCHMARKS=ON -DINFONATIVE_PYTHON=OFF && cmake --build build/bench -j2 && build/bench/bench/infonative_micro
// Run only it: build/bench/bench/infonative_micro --benchmark_filter=logsumexp_dtype --benchmark_min_time=0.05
#include <cstdint>
#include <exception>
#include <vector>

#include "bench_support.hpp"

namespace infonative_bench {
namespace {

const char* dtype_name(DType t) {
    switch (t) {
        case DType::float16: return "f16";
        case DType::bfloat16: return "bf16";
        case DType::float32: return "f32";
        case DType::float64: return "f64";
    }
    return "?";
}

// Args {isa, threads, bytes, dtype}.
void BM_logsumexp_dtype_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const auto dtype = static_cast<DType>(state.range(3));
    const Shape s = vocab_rows(dtype, state.range(2));
    const MatrixView x = view(cached_buffer(Fill::logits, dtype, state.range(2)), dtype, s);
    std::vector<double> lse(static_cast<std::size_t>(s.rows));
    try {
        infonative::logsumexp_rows(x, lse.data());
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    for (auto _ : state) {
        infonative::logsumexp_rows(x, lse.data());
        benchmark::DoNotOptimize(lse.data());
    }
    report(state, s, s.elements() * static_cast<std::int64_t>(infonative::dtype_size(dtype)),
           dtype_name(dtype));
}

}  // namespace

BENCHMARK(BM_logsumexp_dtype_rows)
    ->ArgNames({"isa", "threads", "bytes", "dtype"})
    ->ArgsProduct({{static_cast<std::int64_t>(Isa::baseline), static_cast<std::int64_t>(Isa::avx2),
                    static_cast<std::int64_t>(Isa::avx512)},
                   {1, 2},
                   {256 << 10, 16 << 20, 256 << 20},
                   {static_cast<std::int64_t>(DType::float16), static_cast<std::int64_t>(DType::bfloat16),
                    static_cast<std::int64_t>(DType::float32), static_cast<std::int64_t>(DType::float64)}})
    ->UseRealTime();

}  // namespace infonative_bench
