// Measures on (unnormalised) probability vectors, scipy.stats.entropy conventions.
#pragma once
#include "infonative/matrix.hpp"

namespace infonative {

// H[r] = -sum p log p with p = pk[r] / sum(pk[r]) and 0 log 0 = 0. Throws
// std::invalid_argument if any entry is negative. Computed in float64 for every dtype.
void entropy_rows(const MatrixView& pk, double* entropy);

// D[r] = sum p log(p / q) after normalising both rows (0 where p = 0, +inf where p > 0 = q).
void relative_entropy_rows(const MatrixView& pk, const MatrixView& qk, double* divergence);

}  // namespace infonative
