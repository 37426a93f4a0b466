// New output arrays, the large ones from the core's cache of recently freed blocks
// (infonative/block_cache.hpp, shared with the kNN work buffers).
//
// The first write to freshly mapped memory costs a page fault and the kernel's zeroing of the
// page: for a (1024, 32000) float32 softmax that is ~10 ms, as long as the softmax itself. A
// buffer that an earlier result has released is already mapped, so calls in a loop reuse it.
// The cache is bounded (set_output_cache_limit; 0 turns it off) and never hands out memory
// that a live array, or a view of one, still uses: a buffer returns to it only when numpy
// frees the array that owns it.
#pragma once
#include <pybind11/numpy.h>

#include <cstddef>
#include <vector>

namespace infonative::bindings {

namespace py = pybind11;

// Smaller outputs come from numpy's allocator (malloc keeps such pages mapped anyway).
constexpr std::size_t kCachedOutputMinBytes = std::size_t(1) << 20;

// An uninitialised C-ordered array of this shape and dtype, from the cache from
// min_cached_bytes on (and never below the cache's own kMinCachedBytes; the kNN noise passes 0:
// its work arrays are fresh copies on every call).
py::array empty_output(const std::vector<py::ssize_t>& shape, const py::dtype& dtype,
                       std::size_t min_cached_bytes = kCachedOutputMinBytes);

// Most bytes the cache keeps while nothing uses them (default 512 MiB).
void set_output_cache_limit(std::size_t bytes);
std::size_t output_cache_limit();
// Bytes the cache keeps right now.
std::size_t output_cache_held();

}  // namespace infonative::bindings
