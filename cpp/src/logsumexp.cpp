// Drivers of the log-sum-exp family: split rows into pieces, call the dispatched kernels.
#include "infonative/logsumexp.hpp"

#include <cmath>
#include <stdexcept>

#include "buffer.hpp"
#include "kernel_table.hpp"
#include "row_driver.hpp"
#include "stats_merge.hpp"
#include "value_access.hpp"

namespace infonative {

using detail::LseStats;

void logsumexp_rows(const MatrixView& x, double* lse) {
    detail::check_view(x, "logsumexp");
    const auto kernel = detail::kernels().lse_stats[int(x.dtype)];
    detail::RowReader reader(x);
    detail::reduce_rows<LseStats>(
        x.rows, x.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, LseStats* out) {
            kernel(reader.piece(r, c0, n), n, out);
        },
        [](LseStats& a, const LseStats& b) { detail::merge_lse(a, b); },
        [&](std::int64_t r, const LseStats& s) { lse[r] = detail::finish_lse(s); });
}

namespace {

// Weighted log-sum-exp of one row in double, following scipy: entries with b == 0 are ignored,
// the entries at the maximum are summed apart (m) from the rest (s) for accuracy.
void weighted_row(const MatrixView& x, const MatrixView& b, std::int64_t r, double* lse,
                  double* sign) {
    const double kInf = HUGE_VAL;
    double a_max = -kInf;
    bool nan = false;
    for (std::int64_t c = 0; c < x.cols; ++c) {
        double w = detail::value_at(b, r, c);
        if (w == 0) continue;
        double a = detail::value_at(x, r, c);
        if (a != a || w != w) nan = true;
        else if (a > a_max) a_max = a;
    }
    if (nan) {
        *lse = *sign = NAN;
        return;
    }
    double m = 0, s = 0;
    bool positive_at_max = false, negative_at_max = false;
    const double shift = std::isfinite(a_max) ? a_max : 0.0;
    for (std::int64_t c = 0; c < x.cols; ++c) {
        double w = detail::value_at(b, r, c);
        if (w == 0) continue;
        double a = detail::value_at(x, r, c);
        if (a == a_max) {
            m += w;
            positive_at_max = positive_at_max || w > 0;
            negative_at_max = negative_at_max || w < 0;
        } else {
            s += w * std::exp(a - shift);
        }
    }
    if (a_max == -kInf) {  // nothing contributes
        *lse = -kInf;
        *sign = 0;
        return;
    }
    if (a_max == kInf) {  // NaN if weights of both signs meet +inf (scipy), else +inf
        // Also undefined: the other terms overflow too (shift is 0) with the opposite sign.
        const bool undefined = (positive_at_max && negative_at_max) || s != s ||
                               (std::isinf(s) && (s > 0) != positive_at_max);
        *lse = undefined ? NAN : kInf;
        *sign = undefined ? NAN : (positive_at_max ? 1.0 : -1.0);
        return;
    }
    double magnitude, sgn;
    // The accurate form needs s / m finite (a tiny weight at the maximum makes it overflow;
    // then s dominates and the direct form loses nothing).
    if (m != 0 && std::isfinite(s / m) && s / m >= -1) {
        magnitude = std::log(std::fabs(m)) + std::log1p(s / m);
        sgn = (s / m == -1) ? 0.0 : (m > 0 ? 1.0 : -1.0);
    } else {
        double total = m + s;
        magnitude = std::log(std::fabs(total));
        sgn = total > 0 ? 1.0 : total < 0 ? -1.0 : 0.0;
    }
    *lse = magnitude + a_max;
    *sign = sgn;
}

}  // namespace

void logsumexp_weighted_rows(const MatrixView& x, const MatrixView& b, double* lse, double* sign) {
    detail::check_view(x, "logsumexp");
    detail::check_view(b, "logsumexp weights");
    if (x.rows != b.rows || x.cols != b.cols)
        throw std::invalid_argument("logsumexp: weights b must have the shape of a");
    const std::int64_t grab = detail::rows_per_grab(x.rows, x.cols);
#pragma omp parallel for schedule(dynamic, grab) if (detail::worth_parallel(x.rows, x.cols))
    for (std::int64_t r = 0; r < x.rows; ++r) weighted_row(x, b, r, lse + r, sign + r);
}

namespace {

// What the output pass subtracts from each row (max is NaN for rows that give NaN).
struct RowShift {
    double max, min, log_sum;
    bool ordinary() const { return max > -HUGE_VAL && max < HUGE_VAL; }
};

// scipy's conventions for rows that are not ordinary: NaN anywhere or an all -inf row gives
// NaN; a +inf gives softmax NaN and log_softmax NaN at the +inf entries, -inf elsewhere.
RowShift shift_of_row(const LseStats& s, bool log_output) {
    RowShift shift{s.max, s.min, 0.0};
    if (s.has_nan || s.rest != s.rest || s.max == -HUGE_VAL) shift.max = NAN;
    else if (s.max == HUGE_VAL) shift.max = log_output ? HUGE_VAL : NAN;
    else shift.log_sum = detail::log_sum_shifted(s);
    return shift;
}

// Most blocks a piece has (kernels work in blocks of kBlockBytes; items are >= 2 bytes).
constexpr std::int64_t kMaxBlocksPerPiece = detail::kPieceLength * 8 / detail::kBlockBytes;

void softmax_like(const MatrixView& x, const MutableMatrixView& out, bool log_output) {
    detail::check_view(x, "softmax");
    if (out.rows != x.rows || out.cols != x.cols || out.dtype != x.dtype)
        throw std::invalid_argument("softmax: output must have the input's shape and dtype");
    const auto& table = detail::kernels();
    const auto stats_kernel = table.lse_stats[int(x.dtype)];
    const auto apply = log_output ? table.log_softmax_apply[int(x.dtype)]
                                  : table.softmax_apply[int(x.dtype)];
    detail::RowReader reader(x);
    detail::RowWriter writer(out);
    const std::int64_t item = std::int64_t(dtype_size(x.dtype));
    const bool stream = writer.contiguous() && x.rows * x.cols * item >= detail::kStreamingOutputBytes;
    // softmax of float/double into rows it can write twice: store exp(x - block max) in the
    // stats pass, then scale each block (one exp per entry instead of two). Streamed outputs
    // get the exps in a per-thread piece in cache first, then the scaled values streamed.
    const auto exp_stats = log_output || !writer.contiguous()
                               ? nullptr
                               : table.softmax_exp_stats[int(x.dtype)];
    const auto scale_blocks = table.scale_blocks[int(x.dtype)];
    const std::int64_t block = detail::kBlockBytes / item;
    const bool one_piece = detail::pieces_per_row(x.cols) == 1;
    const std::size_t piece_bytes = std::size_t(detail::kPieceLength * item);
    detail::Buffer<unsigned char> exps(exp_stats && stream && one_piece
                                           ? std::size_t(detail::max_threads()) * piece_bytes
                                           : 0);

    auto write_piece = [&](std::int64_t r, std::int64_t c0, std::int64_t n, const RowShift& sh) {
        apply(reader.piece(r, c0, n), n, sh.max, sh.min, sh.log_sum, writer.piece(r, c0), stream);
        writer.commit(r, c0, n);
    };
    // The second pass of the one-exp softmax, from `from` (the output itself or the thread's
    // piece of exps); rows that are not ordinary get the apply pass.
    auto scale_piece = [&](std::int64_t r, std::int64_t c0, std::int64_t n, const RowShift& sh,
                           const double* block_max, const void* from) {
        if (!sh.ordinary()) return write_piece(r, c0, n, sh);
        double scale[kMaxBlocksPerPiece];
        for (std::int64_t j = 0; j * block < n; ++j)
            scale[j] = std::exp(block_max[j] - sh.max - sh.log_sum);
        void* to = writer.piece(r, c0);
        scale_blocks(from ? from : to, to, n, scale, stream && from);
    };

    if (one_piece) {  // one pass per row while it is in cache
        const std::int64_t grab = detail::rows_per_grab(x.rows, x.cols);
#pragma omp parallel for schedule(dynamic, grab) if (detail::worth_parallel(x.rows, x.cols))
        for (std::int64_t r = 0; r < x.rows; ++r) {
            LseStats s;
            if (exp_stats) {
                double block_max[kMaxBlocksPerPiece];
                void* piece = exps.empty() ? writer.piece(r, 0)
                                           : exps.data() + std::size_t(detail::thread_index()) * piece_bytes;
                exp_stats(reader.piece(r, 0, x.cols), x.cols, piece, block_max, &s);
                scale_piece(r, 0, x.cols, shift_of_row(s, log_output), block_max,
                            exps.empty() ? nullptr : piece);
            } else {
                stats_kernel(reader.piece(r, 0, x.cols), x.cols, &s);
                write_piece(r, 0, x.cols, shift_of_row(s, log_output));
            }
        }
        return;
    }
    // Long rows: pieces in parallel, merged per row, then the output pass per piece (the exps
    // of the one-exp softmax wait in the output). All buffers are allocated before the parallel
    // regions.
    const std::int64_t per_row = detail::pieces_per_row(x.cols);
    std::vector<RowShift> shifts(std::size_t(x.rows));
    std::vector<double> block_max(exp_stats ? std::size_t(x.rows * per_row * kMaxBlocksPerPiece)
                                            : 0);
    auto block_max_of = [&](std::int64_t r, std::int64_t c0) {
        return block_max.data() + (r * per_row + c0 / detail::kPieceLength) * kMaxBlocksPerPiece;
    };
    detail::reduce_rows<LseStats>(
        x.rows, x.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, LseStats* s) {
            if (exp_stats)
                exp_stats(reader.piece(r, c0, n), n, writer.piece(r, c0), block_max_of(r, c0), s);
            else
                stats_kernel(reader.piece(r, c0, n), n, s);
        },
        [](LseStats& a, const LseStats& b) { detail::merge_lse(a, b); },
        [&](std::int64_t r, const LseStats& s) { shifts[std::size_t(r)] = shift_of_row(s, log_output); });
    detail::for_each_piece(x.rows, x.cols, [&](std::int64_t r, std::int64_t c0, std::int64_t n) {
        if (exp_stats) scale_piece(r, c0, n, shifts[std::size_t(r)], block_max_of(r, c0), nullptr);
        else write_piece(r, c0, n, shifts[std::size_t(r)]);
    });
}

}  // namespace

void softmax_rows(const MatrixView& x, const MutableMatrixView& out) { softmax_like(x, out, false); }
void log_softmax_rows(const MatrixView& x, const MutableMatrixView& out) { softmax_like(x, out, true); }

}  // namespace infonative
