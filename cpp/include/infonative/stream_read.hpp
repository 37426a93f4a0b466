// The memory-bandwidth yardstick that benchmarks compare our kernels with.
#pragma once
#include <cstddef>
#include <cstdint>

namespace infonative {

// Reads every byte once, in parallel, with the least work per byte (xor of 64-bit words);
// returns the xor so the compiler cannot drop the reads.
std::uint64_t stream_read(const void* data, std::size_t bytes);

}  // namespace infonative
