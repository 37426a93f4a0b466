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

// Exact power of two that brings total near 1 (clamped so that it stays finite itself).
double prescale_for(double total) {
    int exponent = 0;
    std::frexp(total, &exponent);
    return std::ldexp(1.0, std::max(-1000, std::min(1000, -exponent)));
}

}  // namespace

void entropy_rows(const MatrixView& pk, double* entropy) {
    detail::check_view(pk, "entropy");
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
            const double total = totals[std::size_t(r)];
            // An empty row sums nothing (0, as scipy); a zero, infinite or NaN total makes
            // p = pk / total NaN somewhere, as in scipy.
            if (pk.cols == 0) entropy[r] = 0;
            else entropy[r] = usable_total(total) ? -sum / (total * prescale_for(total)) : NAN;
        });
}

void relative_entropy_rows(const MatrixView& pk, const MatrixView& qk, double* divergence) {
    detail::check_view(pk, "entropy");
    detail::check_view(qk, "entropy");
    detail::check_same_shape(pk, qk, "entropy(pk, qk)");
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
            if (pk.cols == 0) divergence[r] = 0;
            else divergence[r] = usable(r) ? sum / (p_total * prescale_for(p_total)) : NAN;
        });
}

}  // namespace infonative
