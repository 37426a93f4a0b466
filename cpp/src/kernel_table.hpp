// The table of per-ISA kernels and the partial results they exchange with the drivers.
// Only plain structs and pointers cross this boundary (never vector types).
#pragma once
#include <cstdint>

#include "infonative/isa.hpp"
#include "infonative/matrix.hpp"

namespace infonative::detail {

// Kernels work through a piece in blocks of this many bytes, small enough to stay in L1 between
// a block's max pass and its exp pass.
constexpr std::int64_t kBlockBytes = 16384;

// Outputs of at least this many bytes are written with streaming stores, past the caches they
// would not fit in anyway: a plain store first reads the line it writes (softmax of (1024, 32000)
// float32: 9.6 -> ~7 ms on two cores). Smaller ones stay in cache for whatever reads them next.
constexpr std::int64_t kStreamingOutputBytes = std::int64_t(16) << 20;

// Partial log-sum-exp of a piece of a row: sum exp(x - max) = count + rest, where count is the
// number of entries equal to max (each contributes exactly 1). Keeping the two apart gives the
// accurate form LSE = max + log(count) + log1p(rest / count) of FORMULAS.md.
struct LseStats {
    double max = -__builtin_inf();  // over non-NaN entries; +inf if any entry is +inf
    double min = __builtin_inf();   // over non-NaN entries (decides softmax's exp)
    double count = 0;
    double rest = 0;
    bool has_nan = false;
};

// + t = sum exp(x - max) (x - max): entropy from logits is log S - t / S.
struct EntropyStats {
    LseStats lse;
    double t = 0;
};

// Two rows a (P) and c (Q): t = sum exp(a - max_a) ((a - max_a) - (c - max_c)).
struct KlStats {
    LseStats p, q;
    double t = 0;
};

// Cross-entropy smoothing term: shifted = sum w (x - max), weight = sum w.
struct CrossEntropyStats {
    LseStats lse;
    double shifted = 0;
    double weight = 0;
};

// Sum of a row and whether an entry was negative (entropy of unnormalised distributions).
struct SumStats {
    double sum = 0;
    bool negative = false;
};

using LseStatsFn = void (*)(const void* x, std::int64_t n, LseStats* out);
using EntropyStatsFn = void (*)(const void* x, std::int64_t n, EntropyStats* out);
using KlStatsFn = void (*)(const void* a, const void* c, std::int64_t n, KlStats* out);
// weight: n class weights in the compute type (float for half/bfloat16/float32 input,
// double for float64), or null for all ones.
using CrossEntropyStatsFn = void (*)(const void* x, const void* weight, std::int64_t n,
                                     CrossEntropyStats* out);
// out[i] = (x[i] - max) - log_sum (log-softmax) or its exp (softmax), in x's dtype; min is
// the row's minimum (no exp underflows when min - max - log_sum is not too negative). stream:
// write with streaming stores (kStreamingOutputBytes).
using SoftmaxApplyFn = void (*)(const void* x, std::int64_t n, double max, double min,
                                double log_sum, void* out, bool stream);
// Softmax's first pass: out[i] = exp(x[i] - block max) for each block of kBlockBytes of input,
// block_max[j] the max of block j, stats the piece's partial sums (as LseStatsFn).
using SoftmaxExpStatsFn = void (*)(const void* x, std::int64_t n, void* out, double* block_max,
                                   LseStats* stats);
// Softmax's second pass: out = in times block_scale[j] in block j (in may be out).
using ScaleBlocksFn = void (*)(const void* in, void* out, std::int64_t n,
                               const double* block_scale, bool stream);
using SumFn = void (*)(const void* x, std::int64_t n, SumStats* out);
// With a = pk[i] * prescale: sum over i of a log(a * scale), 0 where pk[i] == 0. The exact
// power-of-two prescale keeps 1 / total finite for subnormal or huge totals. next: the n
// entries of the next row, prefetched meanwhile (or null).
using XlogxFn = double (*)(const void* pk, std::int64_t n, double prescale, double scale,
                           const void* next);
// With a = pk[i] * p_prescale, b = qk[i] * q_prescale: sum of a log(a / b * scale), 0 where
// pk[i] == 0 (unless qk[i] is NaN). next_p, next_q: the next rows, prefetched (or null).
using XlogyFn = double (*)(const void* pk, const void* qk, std::int64_t n, double p_prescale,
                           double q_prescale, double scale, const void* next_p,
                           const void* next_q);

struct KernelTable {
    Isa isa;
    LseStatsFn lse_stats[kNumDTypes];
    EntropyStatsFn entropy_stats[kNumDTypes];
    KlStatsFn kl_stats[kNumDTypes];
    CrossEntropyStatsFn cross_entropy_stats[kNumDTypes];
    SoftmaxApplyFn softmax_apply[kNumDTypes];
    SoftmaxApplyFn log_softmax_apply[kNumDTypes];
    SoftmaxExpStatsFn softmax_exp_stats[kNumDTypes];  // null where the output type is half
    ScaleBlocksFn scale_blocks[kNumDTypes];
    SumFn sum[kNumDTypes];
    XlogxFn xlogx_sum[kNumDTypes];
    XlogyFn xlogy_sum[kNumDTypes];
};

// The kernels of the active level (see dispatch.cpp).
const KernelTable& kernels();

}  // namespace infonative::detail

// Each per-ISA object file defines one of these.
namespace infonative::simd {
namespace baseline { void fill_table(detail::KernelTable& table); }
namespace avx2 { void fill_table(detail::KernelTable& table); }
namespace avx512 { void fill_table(detail::KernelTable& table); }
}  // namespace infonative::simd
