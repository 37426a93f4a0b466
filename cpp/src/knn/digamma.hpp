// psi (digamma) at positive integers: a table filled once by the recurrence psi(1) = -gamma,
// psi(n+1) = psi(n) + 1/n (compensated summation, so every entry is within an ulp or two), and
// the asymptotic series beyond the table, where its first omitted term is below 1e-60.
#pragma once
#include <cstdint>

namespace infonative::knn_detail {

class Digamma {
  public:
    static constexpr std::int64_t kTableSize = std::int64_t(1) << 16;

    // The shared instance; the first call fills the table (call it before a parallel region).
    static const Digamma& instance();

    double operator()(std::int64_t n) const {
        return n < kTableSize ? table_[n] : asymptotic(double(n));
    }

  private:
    Digamma();
    static double asymptotic(double x);
    double table_[kTableSize];
};

}  // namespace infonative::knn_detail
