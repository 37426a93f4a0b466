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
    const std::int64_t grab = detail::rows_per_grab(x.cols);
#pragma omp parallel for schedule(dynamic, grab) if (detail::worth_parallel(x.rows, x.cols))
    for (std::int64_t r = 0; r < x.rows; ++r) row_fn(r);
    return true;
}

double entropy_of_row(const void* row, std::int64_t n, double total, const detail::KernelTable& k,
                      DType dtype) {
    if (n == 0) return 0;  // an empty sum, as scipy
    if (!usable_total(total)) return NAN;
    const double prescale = prescale_for(total);
    return -k.xlogx_sum[int(dtype)](row, n, prescale, 1 / (total * prescale)) /
           (total * prescale);
}

double divergence_of_row(const void* p, const void* q, std::int64_t n, double p_total,
                         double q_total, const detail::KernelTable& k, DType dtype) {
    if (n == 0) return 0;
    if (!usable_total(p_total) || !usable_total(q_total)) return NAN;
    const double p_pre = prescale_for(p_total), q_pre = prescale_for(q_total);
    return k.xlogy_sum[int(dtype)](p, q, n, p_pre, q_pre, (q_total * q_pre) / (p_total * p_pre)) /
           (p_total * p_pre);
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
            else entropy[r] = entropy_of_row(row, pk.cols, s.sum, table, pk.dtype);
        });
        if (negative) throw std::invalid_argument("entropy: pk contains negative values");
        if (done) return;
    }
    detail::RowReader reader(pk);
    bool negative = false;
    const std::vector<double> totals = row_sums(pk, reader, &negative);
    if (negative) throw std::invalid_argument("entropy: pk contains negative values");
    const auto kernel = detail::kernels().xlogx_sum[int(pk.dtype)];
    detail::reduce_rows<double>(
        pk.rows, pk.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, double* out) {
            const double total = totals[std::size_t(r)];
            const double prescale = prescale_for(total);
            *out = usable_total(total)
                       ? kernel(reader.piece(r, c0, n), n, prescale, 1 / (total * prescale))
                       : 0.0;
        },
        [](double& a, const double& b) { a += b; },
        [&](std::int64_t r, const double& sum) {
            // A zero, infinite or NaN total makes p = pk / total NaN somewhere, as in scipy.
            const double total = totals[std::size_t(r)];
            entropy[r] = usable_total(total) ? -sum / (total * prescale_for(total)) : NAN;
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
            divergence[r] = divergence_of_row(p, q, pk.cols, sp.sum, sq.sum, table, pk.dtype);
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
    const auto kernel = detail::kernels().xlogy_sum[int(pk.dtype)];
    auto usable = [&](std::int64_t r) {
        return usable_total(p_totals[std::size_t(r)]) && usable_total(q_totals[std::size_t(r)]);
    };
    detail::reduce_rows<double>(
        pk.rows, pk.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, double* out) {
            // p log(p / q) with p = pk / P, q = qk / Q is pk/P log(pk / qk * Q / P); both
            // sides prescaled by exact powers of two so no total over- or underflows.
            const double p_total = p_totals[std::size_t(r)], q_total = q_totals[std::size_t(r)];
            const double p_pre = prescale_for(p_total), q_pre = prescale_for(q_total);
            *out = usable(r) ? kernel(p_reader.piece(r, c0, n), q_reader.piece(r, c0, n), n, p_pre,
                                      q_pre, (q_total * q_pre) / (p_total * p_pre))
                             : 0.0;
        },
        [](double& a, const double& b) { a += b; },
        [&](std::int64_t r, const double& sum) {
            const double p_total = p_totals[std::size_t(r)];
            divergence[r] = usable(r) ? sum / (p_total * prescale_for(p_total)) : NAN;
        });
}

}  // namespace infonative
