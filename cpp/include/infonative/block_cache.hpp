// Large buffers kept for reuse: a block of fresh memory costs a page fault on the first touch of
// each 4 KiB page, and the kernel's zeroing of it (about 3 us a page on a virtual machine: a
// 1e5-point kNN entropy's work buffers took ~5 ms of faults, a (1024, 32000) float32 softmax's
// output ~10 ms, as long as the softmax itself), while the C library gives large freed blocks
// back to the system at once. Released blocks of at least kMinCachedBytes are kept, up to a
// limit (default 512 MiB, 0 turns the cache off; infonative.set_output_cache_limit), the oldest
// given back first, and handed to the next request they fit without wasting more than half.
// Used by the kNN work buffers (cpp/src/knn/buffer.hpp) and the bindings' output arrays. Thread-safe;
// lives until the process exits.
#pragma once
#include <cstddef>

namespace infonative {

constexpr std::size_t kMinCachedBytes = std::size_t(64) << 10;

// At least `bytes` bytes (64-byte aligned; 2 MiB aligned and advised for transparent huge pages
// from 2 MiB on), contents unspecified. *capacity: the block's size, to pass to release_block.
// Throws std::bad_alloc.
void* acquire_block(std::size_t bytes, std::size_t* capacity);
void release_block(void* block, std::size_t capacity) noexcept;

void set_block_cache_limit(std::size_t bytes);
std::size_t block_cache_limit();
std::size_t block_cache_held();  // bytes kept right now

}  // namespace infonative
