#include "row_driver.hpp"

#include <stdexcept>
#include <string>

namespace infonative::detail {

void check_view(const MatrixView& view, const char* name) {
    if (view.rows < 0 || view.cols < 0)
        throw std::invalid_argument(std::string(name) + ": negative dimension");
    if (!view.data && view.rows > 0 && view.cols > 0)
        throw std::invalid_argument(std::string(name) + ": null data pointer");
    if (int(view.dtype) < 0 || int(view.dtype) >= kNumDTypes)
        throw std::invalid_argument(std::string(name) + ": unknown dtype");
    // Elements are read as float*/double*: an address off the item size is a misaligned load.
    const auto item = std::int64_t(dtype_size(view.dtype));
    if (reinterpret_cast<std::uintptr_t>(view.data) % std::uintptr_t(item) != 0 ||
        view.row_stride % item != 0 || view.col_stride % item != 0)
        throw std::invalid_argument(std::string(name) + ": data must be aligned to the item size");
}

void check_same_shape(const MatrixView& a, const MatrixView& b, const char* what) {
    if (a.rows != b.rows || a.cols != b.cols)
        throw std::invalid_argument(std::string(what) + ": shapes differ");
    if (a.dtype != b.dtype) throw std::invalid_argument(std::string(what) + ": dtypes differ");
}

namespace {
void copy_strided(void* dst, std::ptrdiff_t dst_stride, const void* src, std::ptrdiff_t src_stride,
                  std::int64_t n, std::size_t item) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    switch (item) {  // fixed-size memcpy compiles to one load and one store
        case 2: for (std::int64_t i = 0; i < n; ++i) std::memcpy(d + i * dst_stride, s + i * src_stride, 2); break;
        case 4: for (std::int64_t i = 0; i < n; ++i) std::memcpy(d + i * dst_stride, s + i * src_stride, 4); break;
        default: for (std::int64_t i = 0; i < n; ++i) std::memcpy(d + i * dst_stride, s + i * src_stride, 8); break;
    }
}
}  // namespace

RowReader::RowReader(const MatrixView& view)
    : view_(view), item_(dtype_size(view.dtype)),
      contiguous_(view.col_stride == std::int64_t(item_) || view.cols <= 1) {
    if (!contiguous_)
        buffers_.resize(std::size_t(max_threads()) * std::size_t(kPieceLength) * item_);
}

const void* RowReader::piece(std::int64_t row, std::int64_t col0, std::int64_t length) const {
    const auto* start = static_cast<const unsigned char*>(view_.data) + row * view_.row_stride +
                        col0 * view_.col_stride;
    if (contiguous_) return start;
    unsigned char* buffer = buffers_.data() + std::size_t(thread_index()) * kPieceLength * item_;
    copy_strided(buffer, std::ptrdiff_t(item_), start, view_.col_stride, length, item_);
    return buffer;
}

RowWriter::RowWriter(const MutableMatrixView& view)
    : view_(view), item_(dtype_size(view.dtype)),
      contiguous_(view.col_stride == std::int64_t(item_) || view.cols <= 1) {
    if (!contiguous_)
        buffers_.resize(std::size_t(max_threads()) * std::size_t(kPieceLength) * item_);
}

void* RowWriter::piece(std::int64_t row, std::int64_t col0) const {
    if (contiguous_)
        return static_cast<unsigned char*>(view_.data) + row * view_.row_stride +
               col0 * view_.col_stride;
    return buffers_.data() + std::size_t(thread_index()) * kPieceLength * item_;
}

void RowWriter::commit(std::int64_t row, std::int64_t col0, std::int64_t length) const {
    if (contiguous_) return;
    auto* start = static_cast<unsigned char*>(view_.data) + row * view_.row_stride +
                  col0 * view_.col_stride;
    const unsigned char* buffer =
        buffers_.data() + std::size_t(thread_index()) * kPieceLength * item_;
    copy_strided(start, view_.col_stride, buffer, std::ptrdiff_t(item_), length, item_);
}

}  // namespace infonative::detail
