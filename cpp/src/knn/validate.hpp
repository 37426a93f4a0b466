// Argument checks of the public kNN functions. They throw std::invalid_argument and run before
// any parallel region (which must never throw).
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "infonative/knn.hpp"
#include "knn/points.hpp"

namespace infonative::knn_detail {

[[noreturn]] void fail(const std::string& what, const std::string& message);

// dtype float32/float64, 1 <= n < 2^31, dim >= 1, a row stride that is a multiple of the item
// size; all point sets of a call share the dtype of the first.
void check_shape(const PointSet& x, const char* what, DType dtype);
void check_same_n(const PointSet& a, const PointSet& b, const char* what);
void check_k(int k, std::int64_t n, const char* what);
void check_p(double p, const char* what);
// Every row is a permutation of 0..n-1.
void check_permutations(const std::int64_t* perms, std::int64_t count, std::int64_t n,
                        const char* what);

// The typed view after check_shape, with every coordinate checked to be finite (a NaN would
// break the strict weak ordering the tree build relies on).
template <class T>
Points<T> checked_points(const PointSet& x, const char* what) {
    const Points<T> p{static_cast<const T*>(x.data), x.n, int(x.dim),
                      x.row_stride / std::int64_t(sizeof(T))};
    for (std::int64_t i = 0; i < p.n; ++i) {
        const T* row = p.row(i);
        bool finite = true;
        for (int j = 0; j < p.dim; ++j) finite &= std::isfinite(row[j]);
        if (!finite) fail(what, "the samples contain NaN or infinity");
    }
    return p;
}

// Calls f(T{}) with T the scalar type of dtype (float32 or float64, checked before).
template <class F>
decltype(auto) with_scalar(DType dtype, F&& f) {
    if (dtype == DType::float32) return f(float{});
    return f(double{});
}

}  // namespace infonative::knn_detail
