#include "knn/validate.hpp"

#include <cstdint>
#include <vector>

namespace infonative::knn_detail {

void fail(const std::string& what, const std::string& message) {
    throw std::invalid_argument(what + ": " + message);
}

void check_shape(const PointSet& x, const char* what, DType dtype) {
    if (x.dtype != DType::float32 && x.dtype != DType::float64)
        fail(what, "samples must be float32 or float64");
    if (x.dtype != dtype) fail(what, "all samples of one call must share the dtype");
    if (x.n < 1) fail(what, "need at least one sample");
    if (x.n >= (std::int64_t(1) << 31)) fail(what, "at most 2^31 - 1 samples are supported");
    if (x.dim < 1 || x.dim >= (std::int64_t(1) << 20)) fail(what, "dimension must be >= 1");
    const auto item = std::int64_t(dtype_size(x.dtype));
    if (x.row_stride % item != 0) fail(what, "row stride must be a multiple of the item size");
    if (x.data == nullptr) fail(what, "null data");
    // Rows are read as T*: a pointer off the item size would be a misaligned load.
    if (reinterpret_cast<std::uintptr_t>(x.data) % std::uintptr_t(item) != 0)
        fail(what, "data must be aligned to the item size");
}

void check_same_n(const PointSet& a, const PointSet& b, const char* what) {
    if (a.n != b.n)
        fail(what, "all variables must have the same number of samples (" + std::to_string(a.n) +
                       " != " + std::to_string(b.n) + ")");
}

void check_k(int k, std::int64_t n, const char* what) {
    if (k < 1) fail(what, "k must be >= 1, got " + std::to_string(k));
    if (k >= n)
        fail(what, "k must be smaller than the number of samples (k = " + std::to_string(k) +
                       ", n = " + std::to_string(n) + ")");
}

void check_p(double p, const char* what) {
    if (!(p >= 1)) fail(what, "the Minkowski exponent p must be >= 1 (inf for the max-norm)");
}

void check_permutations(const std::int64_t* perms, std::int64_t count, std::int64_t n,
                        const char* what) {
    if (count < 0) fail(what, "negative number of permutations");
    if (count > 0 && perms == nullptr) fail(what, "null permutations");
    std::vector<std::int64_t> seen(std::size_t(n), -1);
    for (std::int64_t r = 0; r < count; ++r) {
        const std::int64_t* row = perms + r * n;
        for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t v = row[i];
            if (v < 0 || v >= n || seen[std::size_t(v)] == r)
                fail(what, "row " + std::to_string(r) +
                               " of permutations is not a permutation of 0..n-1");
            seen[std::size_t(v)] = r;
        }
    }
}

}  // namespace infonative::knn_detail
