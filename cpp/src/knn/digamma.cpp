#include "knn/digamma.hpp"

#include <cmath>
#include <limits>

namespace infonative::knn_detail {

const Digamma& Digamma::instance() {
    static const Digamma psi;
    return psi;
}

Digamma::Digamma() {
    table_[0] = std::numeric_limits<double>::quiet_NaN();  // psi(0) is a pole; never used
    double sum = -0.57721566490153286061, compensation = 0;
    for (std::int64_t n = 1; n < kTableSize; ++n) {
        table_[n] = sum;
        // Kahan: sum += 1/n
        const double y = 1.0 / double(n) - compensation;
        const double t = sum + y;
        compensation = (t - sum) - y;
        sum = t;
    }
}

// psi(x) ~ log x - 1/(2x) - sum_k B_2k / (2k x^2k), used for x >= 2^16 only.
double Digamma::asymptotic(double x) {
    const double r = 1 / (x * x);
    const double series = r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240))));
    return std::log(x) - 0.5 / x - series;
}

}  // namespace infonative::knn_detail
