// A plain parallel read of memory: the bandwidth yardstick for memory-bound kernels.
#include "infonative/stream_read.hpp"

#include <cstring>

namespace infonative {

std::uint64_t stream_read(const void* data, std::size_t bytes) {
    const auto* base = static_cast<const unsigned char*>(data);
    const std::int64_t words = std::int64_t(bytes / 8);
    std::uint64_t result = 0;
#pragma omp parallel for schedule(static) reduction(^ : result) if (words >= (1 << 16))
    for (std::int64_t i = 0; i < words; ++i) {
        std::uint64_t w;
        std::memcpy(&w, base + 8 * i, 8);
        result ^= w;
    }
    for (std::size_t i = std::size_t(words) * 8; i < bytes; ++i) result ^= base[i];
    return result;
}

}  // namespace infonative
