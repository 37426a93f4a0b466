// Drivers for measures on unnormalised distributions (scipy.stats.entropy conventions).
#include "infonative/distribution.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernel_table.hpp"
#include "row_driver.hpp"

namespace infonative {

namespace {

using detail::SumStats;

// Row sums (pieces merged in order) and whether any entry was negative.
std::vector<double> row_sums(const MatrixView& x, const detail::RowReader& reader, bool* negative) {
    const auto kernel = detail::kernels().sum[int(x.dtype)];
    std::vector<double> sums(std::size_t(x.rows));
    std::atomic<bool> any_negative{false};
    detail::reduce_rows<SumStats>(
        x.rows, x.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, SumStats* out) {
            kernel(reader.piece(r, c0, n), n, out);
        },
        [](SumStats& a, const SumStats& b) {
            a.sum += b.sum;
            a.negative = a.negative || b.negative;
        },
        [&](std::int64_t r, const SumStats& s) {
            sums[std::size_t(r)] = s.sum;
            if (s.negative) any_negative.store(true, std::memory_order_relaxed);
        });
    *negative = any_negative.load();
    return sums;
}

bool usable_total(double total) { return total > 0 && std::isfinite(total); }

// 1, or for a total so extreme that 1 / total could overflow, a power of two that brings it
// near 1 (exact for the entries that matter; clamped so that it stays finite itself).
double prescale_for(double total) {
    if (total > 0x1p-500 && total < 0x1p500) return 1.0;
    int exponent = 0;
    std::frexp(total, &exponent);
    return std::ldexp(1.0, std::max(-1000, std::min(1000, -exponent)));
}

// Rows that fit one piece: sums and the log pass in one parallel loop, so the row is read
// from memory once and from cache the second time.
template <class RowFn> bool for_short_rows(const MatrixView& x, RowFn row_fn) {
    if (detail::pieces_per_row(x.cols) != 1) return false;
    const std::int64_t grab = detail::rows_per_grab(x.rows, x.cols);
#pragma omp parallel for schedule(dynamic, grab) if (detail::worth_parallel(x.rows, x.cols))
    for (std::int64_t r = 0; r < x.rows; ++r) row_fn(r);
    return true;
}

// The arithmetic of one row, shared by the short-row and long-row paths: a piece's kernel sum
// (with both totals prescaled, see prescale_for) and the row's result from the summed pieces.
// A zero, infinite or NaN total makes p = pk / total NaN somewhere, as in scipy.
// next: the next row (or null), prefetched meanwhile.
double entropy_piece(const detail::KernelTable& k, DType dtype, const void* row, std::int64_t n,
                     double total, const void* next = nullptr) {
    if (!usable_total(total)) return 0;
    const double prescale = prescale_for(total);
    return k.xlogx_sum[int(dtype)](row, n, prescale, 1 / (total * prescale), next);
}

double entropy_finish(double total, double sum) {
    return usable_total(total) ? -sum / (total * prescale_for(total)) : NAN;
}

// p log(p / q) with p = pk / P, q = qk / Q is pk/P log(pk / qk * Q / P).
double divergence_piece(const detail::KernelTable& k, DType dtype, const void* p, const void* q,
                        std::int64_t n, double p_total, double q_total,
                        const void* next_p = nullptr, const void* next_q = nullptr) {
    if (!usable_total(p_total) || !usable_total(q_total)) return 0;
    const double p_pre = prescale_for(p_total), q_pre = prescale_for(q_total);
    return k.xlogy_sum[int(dtype)](p, q, n, p_pre, q_pre, (q_total * q_pre) / (p_total * p_pre),
                                   next_p, next_q);
}

double divergence_finish(double p_total, double q_total, double sum) {
    if (!usable_total(p_total) || !usable_total(q_total)) return NAN;
    return sum / (p_total * prescale_for(p_total));
}

}  // namespace

void entropy_rows(const MatrixView& pk, double* entropy) {
    detail::check_view(pk, "entropy");
    const auto& table = detail::kernels();
    {
        detail::RowReader reader(pk);
        std::atomic<bool> negative{false};
        const bool done = for_short_rows(pk, [&](std::int64_t r) {
            const void* row = reader.piece(r, 0, pk.cols);
            SumStats s;
            table.sum[int(pk.dtype)](row, pk.cols, &s);
            if (s.negative) negative.store(true, std::memory_order_relaxed);
            else if (pk.cols == 0) entropy[r] = 0;  // an empty sum, as scipy
            else entropy[r] = entropy_finish(s.sum, entropy_piece(table, pk.dtype, row, pk.cols, s.sum,
                                                                  reader.row_address(r + 1)));
        });
        if (negative) throw std::invalid_argument("entropy: pk contains negative values");
        if (done) return;
    }
    detail::RowReader reader(pk);
    bool negative = false;
    const std::vector<double> totals = row_sums(pk, reader, &negative);
    if (negative) throw std::invalid_argument("entropy: pk contains negative values");
    detail::reduce_rows<double>(
        pk.rows, pk.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, double* out) {
            *out = entropy_piece(table, pk.dtype, reader.piece(r, c0, n), n, totals[std::size_t(r)]);
        },
        [](double& a, const double& b) { a += b; },
        [&](std::int64_t r, const double& sum) {
            entropy[r] = entropy_finish(totals[std::size_t(r)], sum);
        });
}

void relative_entropy_rows(const MatrixView& pk, const MatrixView& qk, double* divergence) {
    detail::check_view(pk, "entropy");
    detail::check_view(qk, "entropy");
    detail::check_same_shape(pk, qk, "entropy(pk, qk)");
    const auto& table = detail::kernels();
    {
        detail::RowReader p_reader(pk), q_reader(qk);
        std::atomic<bool> p_negative{false}, q_negative{false};
        const bool done = for_short_rows(pk, [&](std::int64_t r) {
            const void* p = p_reader.piece(r, 0, pk.cols);
            const void* q = q_reader.piece(r, 0, pk.cols);
            SumStats sp, sq;
            table.sum[int(pk.dtype)](p, pk.cols, &sp);
            table.sum[int(pk.dtype)](q, pk.cols, &sq);
            if (sp.negative) p_negative.store(true, std::memory_order_relaxed);
            if (sq.negative) q_negative.store(true, std::memory_order_relaxed);
            divergence[r] = pk.cols == 0 ? 0.0  // an empty sum, as scipy
                : divergence_finish(sp.sum, sq.sum,
                                    divergence_piece(table, pk.dtype, p, q, pk.cols, sp.sum, sq.sum,
                                                     p_reader.row_address(r + 1),
                                                     q_reader.row_address(r + 1)));
        });
        if (p_negative) throw std::invalid_argument("entropy: pk contains negative values");
        if (q_negative) throw std::invalid_argument("entropy: qk contains negative values");
        if (done) return;
    }
    detail::RowReader p_reader(pk), q_reader(qk);
    bool p_negative = false, q_negative = false;
    const std::vector<double> p_totals = row_sums(pk, p_reader, &p_negative);
    const std::vector<double> q_totals = row_sums(qk, q_reader, &q_negative);
    if (p_negative) throw std::invalid_argument("entropy: pk contains negative values");
    if (q_negative) throw std::invalid_argument("entropy: qk contains negative values");
    detail::reduce_rows<double>(
        pk.rows, pk.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, double* out) {
            *out = divergence_piece(table, pk.dtype, p_reader.piece(r, c0, n),
                                    q_reader.piece(r, c0, n), n, p_totals[std::size_t(r)],
                                    q_totals[std::size_t(r)]);
        },
        [](double& a, const double& b) { a += b; },
        [&](std::int64_t r, const double& sum) {
            divergence[r] = divergence_finish(p_totals[std::size_t(r)], q_totals[std::size_t(r)], sum);
        });
}

}  // namespace infonative
