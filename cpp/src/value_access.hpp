// Reading single elements of any dtype as double (scalar paths: targets, weighted sums).
#pragma once
#include <cstdint>
#include <cstring>

#include "infonative/matrix.hpp"

namespace infonative::detail {

inline double half_bits_to_double(std::uint16_t h) {
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    const double sign = (h & 0x8000) ? -1.0 : 1.0;
    if (exponent == 0x1f) return mantissa ? __builtin_nan("") : sign * __builtin_inf();
    if (exponent == 0) return sign * mantissa * 0x1p-24;
    return sign * (1024 + mantissa) * __builtin_ldexp(1.0, exponent - 25);
}

inline double element_as_double(const void* p, DType dtype) {
    switch (dtype) {
        case DType::float64: { double v; std::memcpy(&v, p, 8); return v; }
        case DType::float32: { float v; std::memcpy(&v, p, 4); return v; }
        case DType::float16: { std::uint16_t h; std::memcpy(&h, p, 2); return half_bits_to_double(h); }
        case DType::bfloat16: {
            std::uint16_t h; std::memcpy(&h, p, 2);
            std::uint32_t bits = std::uint32_t(h) << 16; float v; std::memcpy(&v, &bits, 4);
            return v;
        }
    }
    return 0;
}

inline double value_at(const MatrixView& v, std::int64_t r, std::int64_t c) {
    return element_as_double(static_cast<const unsigned char*>(v.data) + r * v.row_stride +
                                 c * v.col_stride, v.dtype);
}

}  // namespace infonative::detail
