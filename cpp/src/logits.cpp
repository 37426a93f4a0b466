// Drivers for information measures computed straight from logits.
#include "infonative/logits.hpp"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel_table.hpp"
#include "row_driver.hpp"
#include "stats_merge.hpp"
#include "value_access.hpp"

namespace infonative {

using detail::CrossEntropyStats;
using detail::EntropyStats;
using detail::KlStats;
using detail::LseStats;

void entropy_from_logits_rows(const MatrixView& logits, double* entropy) {
    detail::check_view(logits, "entropy_from_logits");
    const auto kernel = detail::kernels().entropy_stats[int(logits.dtype)];
    detail::RowReader reader(logits);
    detail::reduce_rows<EntropyStats>(
        logits.rows, logits.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, EntropyStats* out) {
            kernel(reader.piece(r, c0, n), n, out);
        },
        [](EntropyStats& a, const EntropyStats& b) { detail::merge_entropy(a, b); },
        [&](std::int64_t r, const EntropyStats& s) { entropy[r] = detail::finish_entropy(s); });
}

void kl_divergence_from_logits_rows(const MatrixView& p_logits, const MatrixView& q_logits,
                                    double* kl) {
    detail::check_view(p_logits, "kl_divergence_from_logits");
    detail::check_view(q_logits, "kl_divergence_from_logits");
    detail::check_same_shape(p_logits, q_logits, "kl_divergence_from_logits");
    const auto kernel = detail::kernels().kl_stats[int(p_logits.dtype)];
    detail::RowReader p_reader(p_logits), q_reader(q_logits);
    detail::reduce_rows<KlStats>(
        p_logits.rows, p_logits.cols,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, KlStats* out) {
            kernel(p_reader.piece(r, c0, n), q_reader.piece(r, c0, n), n, out);
        },
        [](KlStats& a, const KlStats& b) { detail::merge_kl(a, b); },
        [&](std::int64_t r, const KlStats& s) { kl[r] = detail::finish_kl(s); });
}

namespace {

// Class weights converted once to the kernels' compute type (float unless the input is double).
struct ComputeWeights {
    std::vector<float> as_float;
    std::vector<double> as_double;
    const void* data = nullptr;
    ComputeWeights(const double* weight, std::int64_t classes, DType dtype) {
        if (!weight) return;
        if (dtype == DType::float64) {
            as_double.assign(weight, weight + classes);
            data = as_double.data();
        } else {
            as_float.assign(weight, weight + classes);
            data = as_float.data();
        }
    }
    const void* at(std::int64_t c0) const {
        if (!data) return nullptr;
        return as_double.empty() ? static_cast<const void*>(as_float.data() + c0)
                                 : static_cast<const void*>(as_double.data() + c0);
    }
};

}  // namespace

void cross_entropy_rows(const MatrixView& logits, const std::int64_t* target,
                        const double* class_weight, std::int64_t ignore_index, double* nll,
                        double* smooth, double* target_weight) {
    detail::check_view(logits, "cross_entropy_loss");
    const std::int64_t classes = logits.cols;
    for (std::int64_t r = 0; r < logits.rows; ++r) {  // validate before any parallel work
        std::int64_t t = target[r];
        if (t != ignore_index && (t < 0 || t >= classes))
            throw std::invalid_argument("cross_entropy_loss: target " + std::to_string(t) +
                                        " at position " + std::to_string(r) +
                                        " is out of range for " + std::to_string(classes) +
                                        " classes");
    }
    const bool smoothing = smooth != nullptr;
    const auto& table = detail::kernels();
    const auto lse_kernel = table.lse_stats[int(logits.dtype)];
    const auto ce_kernel = table.cross_entropy_stats[int(logits.dtype)];
    const ComputeWeights weights(class_weight, classes, logits.dtype);
    detail::RowReader reader(logits);
    // Ignored rows still run through the (cheap) reduction; their loss is set to 0 below.
    detail::reduce_rows<CrossEntropyStats>(
        logits.rows, classes,
        [&](std::int64_t r, std::int64_t c0, std::int64_t n, CrossEntropyStats* out) {
            if (target[r] == ignore_index) return;
            const void* x = reader.piece(r, c0, n);
            if (smoothing) ce_kernel(x, weights.at(c0), n, out);
            else lse_kernel(x, n, &out->lse);
        },
        [](CrossEntropyStats& a, const CrossEntropyStats& b) { detail::merge_cross_entropy(a, b); },
        [&](std::int64_t r, const CrossEntropyStats& s) {
            const std::int64_t t = target[r];
            if (t == ignore_index) {
                nll[r] = target_weight[r] = 0;
                if (smoothing) smooth[r] = 0;
                return;
            }
            const double w_t = class_weight ? class_weight[t] : 1.0;
            target_weight[r] = w_t;
            const LseStats& l = s.lse;
            if (l.has_nan || l.rest != l.rest || !std::isfinite(l.max)) {
                nll[r] = NAN;
                if (smoothing) smooth[r] = NAN;
                return;
            }
            const double log_sum = detail::log_sum_shifted(l);  // LSE - max
            nll[r] = w_t * ((l.max - detail::value_at(logits, r, t)) + log_sum);
            // sum_c w_c (LSE - a_c) = W (LSE - max) - sum_c w_c (a_c - max): both terms >= 0.
            if (smoothing) smooth[r] = s.weight * log_sum - s.shifted;
        });
}

}  // namespace infonative
