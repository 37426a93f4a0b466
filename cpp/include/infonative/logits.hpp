// Information measures straight from logits: one pass over each row, no probability array.
#pragma once
#include <cstdint>

#include "infonative/matrix.hpp"

namespace infonative {

// H[r] = LSE(a) - sum_c softmax(a)_c a_c, in nats.
void entropy_from_logits_rows(const MatrixView& logits, double* entropy);

// KL[r] = sum_c p_c (a_c - c_c) - LSE(a) + LSE(c), p = softmax(a); a, c of equal shape.
void kl_divergence_from_logits_rows(const MatrixView& p_logits, const MatrixView& q_logits,
                                    double* kl);

// Per-row terms of the cross-entropy with class-index targets, as torch composes them:
//   nll[r] = w_y (LSE - a_y),  smooth[r] = sum_c w_c (LSE - a_c),  target_weight[r] = w_y,
// all 0 for rows whose target is ignore_index. The loss with label smoothing eps over C
// classes is (1 - eps) nll + (eps / C) smooth; torch's "mean" divides each sum by the sum of
// target_weight. smooth may be null (not computed). class_weight may be null (all ones).
// Throws std::invalid_argument if a target is outside [0, C) and != ignore_index.
void cross_entropy_rows(const MatrixView& logits, const std::int64_t* target,
                        const double* class_weight, std::int64_t ignore_index, double* nll,
                        double* smooth, double* target_weight);

}  // namespace infonative
