// The drivers' copy of the piece-merging rules (the kernels include the same source).
#pragma once
#include <cmath>

#include "kernel_table.hpp"

namespace infonative::detail {
namespace {
#include "simd/stats_merge.inl"
}  // namespace
}  // namespace infonative::detail
