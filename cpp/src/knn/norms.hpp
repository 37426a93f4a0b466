// Distance policies of the kd-tree. A norm is evaluated in "reduced" form (the p-th power for a
// p-norm, the plain maximum for the max-norm) so that comparisons need no root; the root is
// taken once for a reported distance. Policies are template arguments: inner loops carry no
// branch on the norm.
//
// Every reduction below is monotone in each |difference| and combines axes in a fixed order, so
// a bounding box's gap or far corner bounds the reduced distance of every point inside exactly
// (no rounding slack is needed for pruning or for counting whole nodes).
#pragma once
#include <cmath>
#include <type_traits>

namespace infonative::knn_detail {

// max_j |a_j - b_j|. Its pruning bound is the largest per-axis gap, never a sum of squares.
struct MaxNorm {
    template <class T>
    T term(T diff) const {
        return std::abs(diff);
    }
    template <class T>
    T add(T acc, T t) const {
        return acc < t ? t : acc;
    }
    template <class T>
    T distance(T reduced) const {
        return reduced;
    }
    template <class T>
    T reduced(T radius) const {
        return radius;
    }
};

// sum_j (a_j - b_j)^2; the distance is its square root.
struct EuclideanNorm {
    template <class T>
    T term(T diff) const {
        return diff * diff;
    }
    template <class T>
    T add(T acc, T t) const {
        return acc + t;
    }
    template <class T>
    T distance(T reduced) const {
        return std::sqrt(reduced);
    }
    template <class T>
    T reduced(T radius) const {
        return radius * radius;
    }
};

// sum_j |a_j - b_j|.
struct ManhattanNorm {
    template <class T>
    T term(T diff) const {
        return std::abs(diff);
    }
    template <class T>
    T add(T acc, T t) const {
        return acc + t;
    }
    template <class T>
    T distance(T reduced) const {
        return reduced;
    }
    template <class T>
    T reduced(T radius) const {
        return radius;
    }
};

// sum_j |a_j - b_j|^p for any other p >= 1; the distance is its p-th root.
struct MinkowskiNorm {
    double p;
    template <class T>
    T term(T diff) const {
        return T(std::pow(std::abs(diff), T(p)));
    }
    template <class T>
    T add(T acc, T t) const {
        return acc + t;
    }
    template <class T>
    T distance(T reduced) const {
        return T(std::pow(reduced, T(1 / p)));
    }
    template <class T>
    T reduced(T radius) const {
        return T(std::pow(radius, T(p)));
    }
};

// The reduced distance between two points of `dim` coordinates (kDim > 0 fixes it at compile
// time so that the loop unrolls).
template <int kDim, class Norm, class T>
inline T reduced_distance(const Norm& norm, const T* a, const T* b, int dim) {
    const int d = kDim > 0 ? kDim : dim;
    T acc = norm.term(T(a[0] - b[0]));
    for (int j = 1; j < d; ++j) acc = norm.add(acc, norm.term(T(a[j] - b[j])));
    return acc;
}

// Calls f(std::integral_constant<int, D>) with D = dim for the small dimensions that dominate in
// practice (1-6 and 8: a pair of 4-D variables), D = 0 (run-time dimension) otherwise.
template <class F>
decltype(auto) with_fixed_dim(int dim, F&& f) {
    switch (dim) {
        case 1:
            return f(std::integral_constant<int, 1>{});
        case 2:
            return f(std::integral_constant<int, 2>{});
        case 3:
            return f(std::integral_constant<int, 3>{});
        case 4:
            return f(std::integral_constant<int, 4>{});
        case 5:
            return f(std::integral_constant<int, 5>{});
        case 6:
            return f(std::integral_constant<int, 6>{});
        case 8:
            return f(std::integral_constant<int, 8>{});
        default:
            return f(std::integral_constant<int, 0>{});
    }
}

// Calls f(norm) with the policy of the Minkowski exponent p (p >= 1, inf for the max-norm).
template <class F>
decltype(auto) with_norm(double p, F&& f) {
    if (std::isinf(p)) return f(MaxNorm{});
    if (p == 2) return f(EuclideanNorm{});
    if (p == 1) return f(ManhattanNorm{});
    return f(MinkowskiNorm{p});
}

}  // namespace infonative::knn_detail
