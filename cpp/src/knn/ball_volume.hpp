// log of the volume of the unit-radius ball of the p-norm in d dimensions (FORMULAS.md):
// max-norm 2^d, Euclidean pi^(d/2) / Gamma(d/2 + 1), general (2 Gamma(1 + 1/p))^d / Gamma(1 + d/p).
#pragma once
#include <cmath>

namespace infonative::knn_detail {

inline double log_unit_ball_volume(int d, double p) {
    if (std::isinf(p)) return d * std::log(2.0);
    if (p == 2) return 0.5 * d * std::log(M_PI) - std::lgamma(0.5 * d + 1);
    return d * (std::log(2.0) + std::lgamma(1 + 1 / p)) - std::lgamma(1 + d / p);
}

}  // namespace infonative::knn_detail
