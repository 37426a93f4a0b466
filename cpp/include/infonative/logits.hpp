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

// Per-row cross-entropy with class-index targets, torch.nn.functional.cross_entropy semantics:
// loss[r] = (1 - eps) w_y (LSE - a_y) + (eps / C) sum_c w_c (LSE - a_c), and
// target_weight[r] = w_y (0 for ignored rows, whose loss is 0). class_weight may be null
// (all ones). Throws std::invalid_argument if a target is outside [0, C) and != ignore_index.
void cross_entropy_rows(const MatrixView& logits, const std::int64_t* target,
                        const double* class_weight, std::int64_t ignore_index,
                        double label_smoothing, double* loss, double* target_weight);

}  // namespace infonative
