// Typed, validated views of the caller's point sets (the public PointSet after its checks).
#pragma once
#include <cstdint>

namespace infonative::knn_detail {

// Row numbers of points: 32 bits halve the memory of index arrays and tree nodes; the public
// functions reject n >= 2^31.
using Index = std::int32_t;

// n points of `dim` coordinates, point i at data + i * stride (elements, not bytes).
template <class T>
struct Points {
    const T* data = nullptr;
    std::int64_t n = 0;
    int dim = 0;
    std::int64_t stride = 0;

    const T* row(std::int64_t i) const { return data + i * stride; }
};

}  // namespace infonative::knn_detail
