// Large work buffers kept between calls. A fresh block of memory costs a page fault on first
// touch of each 4 KiB page (about 3 us each on a virtual machine: a 1e5-point entropy writes
// ~7 MiB of buffers, ~5 ms of faults), and the C library gives freed large blocks back to the
// system at once. Blocks of at least kMinCachedBytes are therefore kept on release, up to a total
// limit (INFONATIVE_BUFFER_CACHE_MB, default 256; 0 turns the cache off), the least recently
// released given back first, and handed to the next request they fit without waste.
// Thread-safe; the cache lives until the process exits.
#pragma once
#include <cstddef>

namespace infonative::knn_detail {

constexpr std::size_t kMinCachedBytes = std::size_t(64) << 10;

// At least `bytes` bytes, 64-byte aligned, contents unspecified. *capacity: the block's size,
// to pass back to release_block. Throws std::bad_alloc.
void* acquire_block(std::size_t bytes, std::size_t* capacity);
void release_block(void* block, std::size_t capacity) noexcept;

}  // namespace infonative::knn_detail
