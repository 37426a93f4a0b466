// The yardstick: infonative::stream_read (xor of every 64-bit word) over 4 KB..256 MB, 1 and 2 threads.
// Build: cmake -S . -B build/bench -DINFONATIVE_BENCHMARKS=ON -DINFONATIVE_PYTHON=OFF && cmake --build build/bench -j2 && build/bench/bench/infonative_micro
// Run only it: build/bench/bench/infonative_micro --benchmark_filter=stream_read --benchmark_min_time=0.05
#include <cstdint>

#include "bench_support.hpp"

namespace infonative_bench {
namespace {

void BM_stream_read(benchmark::State& state) {
    infonative::set_num_threads(static_cast<int>(state.range(0)));
    const std::int64_t bytes = state.range(1);
    const void* data = cached_buffer(Fill::logits, DType::float32, bytes);
    for (auto _ : state) {
        std::uint64_t x = infonative::stream_read(data, static_cast<std::size_t>(bytes));
        benchmark::DoNotOptimize(x);
    }
    state.SetBytesProcessed(state.iterations() * bytes);
    state.SetItemsProcessed(state.iterations() * (bytes / 4));  // as float32 elements
}

}  // namespace

BENCHMARK(BM_stream_read)
    ->ArgNames({"threads", "bytes"})
    ->ArgsProduct({{1, 2}, sizes_bytes()})
    ->UseRealTime();

}  // namespace infonative_bench
