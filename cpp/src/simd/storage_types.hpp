// 16-bit floating storage types as the kernels see them (bit patterns, no arithmetic).
#pragma once
#include <cstdint>

namespace infonative::detail {
struct Half { std::uint16_t bits; };      // IEEE binary16 (numpy float16)
struct BFloat16 { std::uint16_t bits; };  // upper half of binary32 (ml_dtypes.bfloat16)
}  // namespace infonative::detail
