// Strided 2-D views over caller-owned memory: the only data type the public API takes.
// Any n-d reduction is expressed as rows x cols with the reduced axis along the columns.
#pragma once
#include <cstddef>
#include <cstdint>

namespace infonative {

// float16 is IEEE binary16, bfloat16 the upper half of a binary32; both stored as uint16.
enum class DType : int { float16 = 0, bfloat16 = 1, float32 = 2, float64 = 3 };
constexpr int kNumDTypes = 4;

constexpr std::size_t dtype_size(DType t) {
    return t == DType::float64 ? 8 : t == DType::float32 ? 4 : 2;
}

// Strides are in bytes and may be zero or negative.
struct MatrixView {
    const void* data;
    DType dtype;
    std::int64_t rows, cols;
    std::int64_t row_stride, col_stride;
};

struct MutableMatrixView {
    void* data;
    DType dtype;
    std::int64_t rows, cols;
    std::int64_t row_stride, col_stride;
};

}  // namespace infonative
