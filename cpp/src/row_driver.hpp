// Parallel traversal of matrix rows in fixed-size pieces.
//
// Every row is cut into pieces of at most kPieceLength columns, independent of the thread count;
// pieces are computed in parallel and their partial results merged in column order. That is
// what makes results bitwise identical for any number of threads. Strided rows are gathered
// piece by piece into a per-thread buffer (never a copy of the whole array).
#pragma once
#include <cstdint>
#include <cstring>
#include <vector>

#include "infonative/matrix.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace infonative::detail {

constexpr std::int64_t kPieceLength = std::int64_t(1) << 15;

// Below this many elements a call runs on the calling thread: waking a thread pool costs more
// than the work (milliseconds when the cores are busy with other processes). The pieces and
// their merge order are the same either way, so the result is too.
constexpr std::int64_t kParallelMinElements = std::int64_t(1) << 16;
inline bool worth_parallel(std::int64_t rows, std::int64_t cols) {
    return rows * cols >= kParallelMinElements;
}

inline int max_threads() {
#if defined(_OPENMP)
    return omp_get_max_threads();
#else
    return 1;
#endif
}
inline int thread_index() {
#if defined(_OPENMP)
    return omp_get_thread_num();
#else
    return 0;
#endif
}

// Rows handed to a thread at a time: about eight pieces' worth of work, so that a thread reads
// runs of consecutive rows (a kernel's prefetch past the end of a row then fetches the start of
// the thread's own next row; a grab of one row of 32000 float16 was 6% slower), but at least
// four grabs per thread, so that the dynamic schedule still balances load (another process on
// a core, uneven rows). Which thread computes a row never changes its result.
constexpr std::int64_t kGrabElements = 8 * kPieceLength;
inline std::int64_t rows_per_grab(std::int64_t rows, std::int64_t cols) {
    const std::int64_t by_size = cols >= kGrabElements ? 1 : kGrabElements / (cols > 0 ? cols : 1);
    const std::int64_t by_balance = rows / (4 * std::int64_t(max_threads()));
    const std::int64_t grab = by_size < by_balance ? by_size : by_balance;
    return grab > 1 ? grab : 1;
}

inline std::int64_t pieces_per_row(std::int64_t cols) {
    return cols <= kPieceLength ? 1 : (cols + kPieceLength - 1) / kPieceLength;
}

// Checks sizes and pointers; throws std::invalid_argument (never inside a parallel region).
void check_view(const MatrixView& view, const char* name);
void check_same_shape(const MatrixView& a, const MatrixView& b, const char* what);

// Hands out contiguous pieces of a view's rows: a pointer into the data when the columns are
// contiguous, otherwise a gathered copy in the calling thread's buffer.
class RowReader {
  public:
    explicit RowReader(const MatrixView& view);
    const void* piece(std::int64_t row, std::int64_t col0, std::int64_t length) const;
    // The start of a row where rows are read in place (to prefetch it), else null.
    const void* row_address(std::int64_t row) const {
        return contiguous_ && row < view_.rows ? piece(row, 0, view_.cols) : nullptr;
    }

  private:
    MatrixView view_;
    std::size_t item_;
    bool contiguous_;
    mutable std::vector<unsigned char> buffers_;  // one kPieceLength slot per thread
};

// The writing counterpart: kernels write into `piece`, then `commit` scatters if needed.
class RowWriter {
  public:
    explicit RowWriter(const MutableMatrixView& view);
    void* piece(std::int64_t row, std::int64_t col0) const;
    void commit(std::int64_t row, std::int64_t col0, std::int64_t length) const;
    // Whether pieces point into the output itself (then they may be written in two passes).
    bool contiguous() const { return contiguous_; }

  private:
    MutableMatrixView view_;
    std::size_t item_;
    bool contiguous_;
    mutable std::vector<unsigned char> buffers_;
};

// Computes Stats for every piece in parallel, merges each row's pieces in order, and calls
// finish(row, stats). compute(row, col0, length, Stats*) and merge(Stats&, const Stats&) must
// not throw.
template <class Stats, class Compute, class Merge, class Finish>
void reduce_rows(std::int64_t rows, std::int64_t cols, Compute compute, Merge merge,
                 Finish finish) {
    const std::int64_t per_row = pieces_per_row(cols);
    const std::int64_t grab = rows_per_grab(rows, cols);
    if (per_row == 1) {
#pragma omp parallel for schedule(dynamic, grab) if (worth_parallel(rows, cols))
        for (std::int64_t r = 0; r < rows; ++r) {
            Stats s;
            compute(r, std::int64_t(0), cols, &s);
            finish(r, s);
        }
        return;
    }
    std::vector<Stats> partial(std::size_t(rows * per_row));
    const std::int64_t items = rows * per_row;
#pragma omp parallel for schedule(dynamic, 1) if (worth_parallel(rows, cols))
    for (std::int64_t item = 0; item < items; ++item) {
        std::int64_t r = item / per_row, col0 = (item % per_row) * kPieceLength;
        std::int64_t length = cols - col0 < kPieceLength ? cols - col0 : kPieceLength;
        compute(r, col0, length, &partial[std::size_t(item)]);
    }
#pragma omp parallel for schedule(static) if (worth_parallel(rows, cols))
    for (std::int64_t r = 0; r < rows; ++r) {
        Stats acc = partial[std::size_t(r * per_row)];
        for (std::int64_t p = 1; p < per_row; ++p) merge(acc, partial[std::size_t(r * per_row + p)]);
        finish(r, acc);
    }
}

// Runs visit(row, col0, length) over every piece in parallel (no results to merge).
template <class Visit> void for_each_piece(std::int64_t rows, std::int64_t cols, Visit visit) {
    const std::int64_t per_row = pieces_per_row(cols);
    const std::int64_t items = rows * per_row;
    const std::int64_t grab = per_row == 1 ? rows_per_grab(rows, cols) : 1;
#pragma omp parallel for schedule(dynamic, grab) if (worth_parallel(rows, cols))
    for (std::int64_t item = 0; item < items; ++item) {
        std::int64_t r = item / per_row, col0 = (item % per_row) * kPieceLength;
        std::int64_t length = cols - col0 < kPieceLength ? cols - col0 : kPieceLength;
        visit(r, col0, length);
    }
}

}  // namespace infonative::detail
