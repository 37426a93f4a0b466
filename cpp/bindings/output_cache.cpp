// Output arrays from the core's block cache (see output_cache.hpp for why).
#include "output_cache.hpp"

#include <memory>
#include <stdexcept>

#include "infonative/block_cache.hpp"

namespace infonative::bindings {

namespace {

struct Block {
    void* data;
    std::size_t capacity;
};

void release_output(void* owner) {
    const std::unique_ptr<Block> block(static_cast<Block*>(owner));
    release_block(block->data, block->capacity);
}

}  // namespace

py::array empty_output(const std::vector<py::ssize_t>& shape, const py::dtype& dtype,
                       std::size_t min_cached_bytes) {
    std::size_t bytes = std::size_t(dtype.itemsize());
    for (py::ssize_t n : shape) {
        if (n < 0) throw std::invalid_argument("empty_output: negative dimension");
        bytes *= std::size_t(n);
    }
    if (bytes < min_cached_bytes || bytes < kMinCachedBytes || block_cache_limit() == 0)
        return py::array(dtype, shape);
    auto block = std::make_unique<Block>();
    block->data = acquire_block(bytes, &block->capacity);
    void* data = block->data;
    try {
        py::capsule owner(block.get(), release_output);  // from here the capsule returns it
        block.release();
        return py::array(dtype, shape, {}, data, owner);
    } catch (...) {
        if (block) release_block(block->data, block->capacity);
        throw;
    }
}

void set_output_cache_limit(std::size_t bytes) { set_block_cache_limit(bytes); }
std::size_t output_cache_limit() { return block_cache_limit(); }
std::size_t output_cache_held() { return block_cache_held(); }

}  // namespace infonative::bindings
