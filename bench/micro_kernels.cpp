// Every public kernel of the C++ core, per ISA level x {1, 2} threads x 4 KB..256 MB (float32 logits, float64 weights).
// Build: cmake -S . -B build/bench -DINFONATIVE_BENCHMARKS=ON -DINFONATIVE_PYTHON=OFF && cmake --build build/bench -j2 && build/bench/bench/infonative_micro
// Run a subset: build/bench/bench/infonative_micro --benchmark_filter='softmax.*/threads:2' --benchmark_min_time=0.05
#include <cstdint>
#include <exception>
#include <vector>

#include "bench_support.hpp"

namespace infonative_bench {
namespace {

// Runs `body` in the timing loop, turning a library exception into a skipped benchmark.
template <class Body>
void timed(benchmark::State& state, Body&& body) {
    try {
        body();  // untimed first call: faults pages in, catches errors before the loop
    } catch (const std::exception& e) {
        state.SkipWithError(e.what());
        return;
    }
    for (auto _ : state) {
        body();
        benchmark::ClobberMemory();
    }
}

void BM_logsumexp_1d(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = one_row(DType::float32, state.range(2));
    const MatrixView x = view(cached_buffer(Fill::logits, DType::float32, state.range(2)),
                              DType::float32, s);
    double lse = 0.0;
    timed(state, [&] {
        infonative::logsumexp_rows(x, &lse);
        benchmark::DoNotOptimize(lse);
    });
    report(state, s, s.elements() * 4, "f32");
}

void BM_logsumexp_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float32, state.range(2));
    const MatrixView x = view(cached_buffer(Fill::logits, DType::float32, state.range(2)),
                              DType::float32, s);
    std::vector<double> lse(static_cast<std::size_t>(s.rows));
    timed(state, [&] {
        infonative::logsumexp_rows(x, lse.data());
        benchmark::DoNotOptimize(lse.data());
    });
    report(state, s, s.elements() * 4 + s.rows * 8, "f32");
}

template <bool kLog>
void BM_softmax_family(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float32, state.range(2));
    const MatrixView x = view(cached_buffer(Fill::logits, DType::float32, state.range(2)),
                              DType::float32, s);
    const MutableMatrixView out = mutable_view(
        cached_buffer(Fill::zeros, DType::float32, state.range(2)), DType::float32, s);
    timed(state, [&] {
        if (kLog)
            infonative::log_softmax_rows(x, out);
        else
            infonative::softmax_rows(x, out);
        benchmark::DoNotOptimize(out.data);
    });
    report(state, s, 2 * s.elements() * 4, "f32");  // read x + write out
}
void BM_softmax_rows(benchmark::State& state) { BM_softmax_family<false>(state); }
void BM_log_softmax_rows(benchmark::State& state) { BM_softmax_family<true>(state); }

void BM_entropy_from_logits_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float32, state.range(2));
    const MatrixView x = view(cached_buffer(Fill::logits, DType::float32, state.range(2)),
                              DType::float32, s);
    std::vector<double> h(static_cast<std::size_t>(s.rows));
    timed(state, [&] {
        infonative::entropy_from_logits_rows(x, h.data());
        benchmark::DoNotOptimize(h.data());
    });
    report(state, s, s.elements() * 4 + s.rows * 8, "f32");
}

void BM_kl_divergence_from_logits_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float32, state.range(2));
    const MatrixView a = view(cached_buffer(Fill::logits, DType::float32, state.range(2)),
                              DType::float32, s);
    const MatrixView c = view(cached_buffer(Fill::logits_other, DType::float32, state.range(2)),
                              DType::float32, s);
    std::vector<double> kl(static_cast<std::size_t>(s.rows));
    timed(state, [&] {
        infonative::kl_divergence_from_logits_rows(a, c, kl.data());
        benchmark::DoNotOptimize(kl.data());
    });
    report(state, s, 2 * s.elements() * 4 + s.rows * 8, "f32");
}

void BM_cross_entropy_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float32, state.range(2));
    const MatrixView x = view(cached_buffer(Fill::logits, DType::float32, state.range(2)),
                              DType::float32, s);
    std::vector<std::int64_t> target(static_cast<std::size_t>(s.rows));
    SplitMix64 rng{42};
    for (auto& t : target) t = static_cast<std::int64_t>(rng.next() % static_cast<std::uint64_t>(s.cols));
    std::vector<double> nll(target.size()), weight(target.size());
    timed(state, [&] {  // no label smoothing: the smoothing term is not computed
        infonative::cross_entropy_rows(x, target.data(), nullptr, -100, nll.data(), nullptr,
                                       weight.data());
        benchmark::DoNotOptimize(nll.data());
    });
    report(state, s, s.elements() * 4 + s.rows * (8 + 16), "f32");
}

void BM_entropy_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float64, state.range(2));
    const MatrixView p = view(cached_buffer(Fill::positive, DType::float64, state.range(2)),
                              DType::float64, s);
    std::vector<double> h(static_cast<std::size_t>(s.rows));
    timed(state, [&] {
        infonative::entropy_rows(p, h.data());
        benchmark::DoNotOptimize(h.data());
    });
    report(state, s, s.elements() * 8 + s.rows * 8, "f64");
}

void BM_relative_entropy_rows(benchmark::State& state) {
    if (!select_isa_and_threads(state)) return;
    const Shape s = vocab_rows(DType::float64, state.range(2));
    const MatrixView p = view(cached_buffer(Fill::positive, DType::float64, state.range(2)),
                              DType::float64, s);
    const MatrixView q = view(cached_buffer(Fill::positive_other, DType::float64, state.range(2)),
                              DType::float64, s);
    std::vector<double> d(static_cast<std::size_t>(s.rows));
    timed(state, [&] {
        infonative::relative_entropy_rows(p, q, d.data());
        benchmark::DoNotOptimize(d.data());
    });
    report(state, s, 2 * s.elements() * 8 + s.rows * 8, "f64");
}

}  // namespace

BENCHMARK(BM_logsumexp_1d)->Apply(isa_threads_sizes);
BENCHMARK(BM_logsumexp_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_softmax_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_log_softmax_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_entropy_from_logits_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_kl_divergence_from_logits_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_cross_entropy_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_entropy_rows)->Apply(isa_threads_sizes);
BENCHMARK(BM_relative_entropy_rows)->Apply(isa_threads_sizes);

}  // namespace infonative_bench
