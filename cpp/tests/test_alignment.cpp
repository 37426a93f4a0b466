// The log-sum-exp family gives the same bits wherever the data starts relative to a 64-byte
// boundary: the kernels align the loads of their range passes (order-free max and min), while
// every sum keeps its order by column index. numpy puts large arrays 16 bytes past one.
#include <cstdint>
#include <vector>

#include "infonative/logits.hpp"
#include "kernel_table.hpp"
#include "row_driver.hpp"
#include "infonative/logsumexp.hpp"
#include "support.hpp"

using namespace infonative_test;
using check::Scope;

namespace {

constexpr std::int64_t kPieceCols = infonative::detail::kPieceLength;

// The entries of x (contiguous rows) copied to start `offset` bytes past a 64-byte boundary.
class ShiftedCopy {
  public:
    ShiftedCopy(const Matrix& x, std::size_t offset) : x_(x) {
        const std::size_t item = infonative::dtype_size(x.dtype);
        const std::size_t bytes = std::size_t(x.rows * x.cols) * item;
        storage_.assign(bytes + 128, 0);
        const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
        start_ = storage_.data() + (64 - address % 64) % 64 + offset;
        for (std::int64_t r = 0; r < x.rows; ++r)
            for (std::int64_t c = 0; c < x.cols; ++c)
                encode(start_ + std::size_t(r * x.cols + c) * item, x.dtype, x.get(r, c));
    }
    infonative::MatrixView view() const {
        const auto item = std::int64_t(infonative::dtype_size(x_.dtype));
        return {start_, x_.dtype, x_.rows, x_.cols, x_.cols * item, item};
    }

  private:
    const Matrix& x_;
    std::vector<unsigned char> storage_;
    unsigned char* start_;
};

// Two rows of two pieces and a bit (the second row starts at another alignment than the first),
// random but for one maximum (6) and one minimum (-6) in every block of the kernels, among its
// first 32 entries in even blocks and its last 32 in odd ones, at positions that vary: where a
// range pass skipped some of a block's first or last entries, that block's range would change
// (and with it, whether its maximum is counted apart).
Matrix long_random_rows(DType t, std::uint64_t seed) {
    const std::int64_t block = infonative::detail::kBlockBytes / std::int64_t(infonative::dtype_size(t));
    Matrix x(t, 2, kLongCols);
    Random rng(seed);
    for (std::int64_t r = 0; r < x.rows; ++r)
        for (std::int64_t c = 0; c < x.cols; ++c) {
            const std::int64_t j = c % kPieceCols / block, at = c % kPieceCols % block;
            const std::int64_t top = j % 2 ? block - 1 - (j * 5) % 32 : (j * 7) % 32;
            const std::int64_t bottom = j % 2 ? block - 1 - (j * 5 + 9) % 32 : (j * 7 + 13) % 32;
            x.set(r, c, at == top ? 6.0 : at == bottom ? -6.0 : rng.uniform(-3, 3));
        }
    return x;
}

// compute(x, y) -> std::vector of plain values: the same bytes at every offset of the data
// (x and y, two different random matrices, at the same offset).
template <class Compute>
void check_every_alignment(DType t, std::uint64_t seed, Compute compute) {
    const Matrix x = long_random_rows(t, seed), y = long_random_rows(t, seed + 1);
    const auto aligned = compute(ShiftedCopy(x, 0).view(), ShiftedCopy(y, 0).view());
    for (std::size_t offset = infonative::dtype_size(t); offset < 64;
         offset += infonative::dtype_size(t)) {
        Scope scope("offset=%zu", offset);
        const ShiftedCopy xs(x, offset), ys(y, offset);
        const auto shifted = compute(xs.view(), ys.view());
        CHECK(shifted.size() == aligned.size());
        if (shifted.size() == aligned.size())
            CHECK_SAME_BYTES(shifted.data(), aligned.data(), aligned.size() * sizeof(aligned[0]));
    }
}

template <class Body> void for_each_isa_and_dtype(Body body) {
    for_each_isa([&] {
        for (DType t : kAllDTypes) {
            Scope scope("dtype=%s", dtype_name(t));
            body(t);
        }
    });
}

}  // namespace

TEST_CASE("logsumexp/same bits at every alignment of the data") {
    for_each_isa_and_dtype([](DType t) {
        check_every_alignment(t, 21, [](const infonative::MatrixView& v, const infonative::MatrixView&) {
            std::vector<double> lse(std::size_t(v.rows));
            infonative::logsumexp_rows(v, lse.data());
            return lse;
        });
    });
}

TEST_CASE("softmax/same bits at every alignment of the data") {
    for_each_isa_and_dtype([](DType t) {
        for (bool log_output : {false, true}) {
            Scope scope("log=%d", int(log_output));
            check_every_alignment(t, 22, [&](const infonative::MatrixView& v, const infonative::MatrixView&) {
                Matrix out(t, v.rows, v.cols);
                if (log_output)
                    infonative::log_softmax_rows(v, out.out());
                else
                    infonative::softmax_rows(v, out.out());
                return out.bytes;
            });
        }
    });
}

TEST_CASE("entropy_from_logits/same bits at every alignment of the data") {
    for_each_isa_and_dtype([](DType t) {
        check_every_alignment(t, 23, [](const infonative::MatrixView& v, const infonative::MatrixView&) {
            std::vector<double> h(std::size_t(v.rows));
            infonative::entropy_from_logits_rows(v, h.data());
            return h;
        });
        check_every_alignment(t, 24, [](const infonative::MatrixView& p, const infonative::MatrixView& q) {
            std::vector<double> kl(std::size_t(p.rows));
            infonative::kl_divergence_from_logits_rows(p, q, kl.data());
            return kl;
        });
    });
}

TEST_CASE("cross_entropy/same bits at every alignment of the data") {
    for_each_isa_and_dtype([](DType t) {
        check_every_alignment(t, 25, [](const infonative::MatrixView& v, const infonative::MatrixView&) {
            const std::vector<std::int64_t> target = {7, v.cols - 1};
            std::vector<double> out(std::size_t(3 * v.rows));
            infonative::cross_entropy_rows(v, target.data(), nullptr, -100, out.data(),
                                           out.data() + v.rows, out.data() + 2 * v.rows);
            return out;
        });
    });
}
