// The log-sum-exp family over the rows of a matrix (see shared FORMULAS.md).
// All functions throw std::invalid_argument on bad shapes before doing any work, and run in
// parallel over fixed-size pieces so that results do not depend on the number of threads.
#pragma once
#include "infonative/matrix.hpp"

namespace infonative {

// lse[r] = log sum_c exp(x[r, c]); -inf for an empty row; NaN if any NaN; +inf if any +inf.
void logsumexp_rows(const MatrixView& x, double* lse);

// Weighted: lse[r] = log |sum_c b[r,c] exp(x[r,c])|, sign[r] in {-1, 0, 1} (scipy semantics,
// entries with b == 0 ignored). b must have x's shape (broadcast with zero strides).
void logsumexp_weighted_rows(const MatrixView& x, const MatrixView& b, double* lse, double* sign);

// out = softmax / log_softmax of each row; out has x's shape and dtype.
void softmax_rows(const MatrixView& x, const MutableMatrixView& out);
void log_softmax_rows(const MatrixView& x, const MutableMatrixView& out);

}  // namespace infonative
