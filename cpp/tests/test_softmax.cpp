// softmax_rows and log_softmax_rows against long double references.
#include <algorithm>
#include <stdexcept>

#include "kernel_table.hpp"
#include "row_driver.hpp"
#include "support.hpp"

using namespace infonative_test;
using check::Scope;

namespace {

// Expected output and absolute tolerance of every entry of a row, by scipy's conventions:
// NaN anywhere or no finite maximum: all NaN, except that log_softmax of a row with +inf (and
// no NaN) is NaN at the +inf entries and -inf elsewhere.
//
// Error (support.hpp's model): y = (x - max) - L, L = log sum exp(x - max), computed in the
// compute type: the roundings of L, x - max and y give u (|d| + |L| + |y|), L itself carries
// exp_sum_error; log_softmax is rounded to storage (u_s |y|). softmax = exp(y) turns those
// absolute errors into relative ones and adds exp's error, the product with a block scale
// and the cast of that scale (2u, the one-exp path), the rounding to storage (u_s), and for
// underflowing entries 1.5 units of the storage type's smallest subnormal.
struct Expected {
    std::vector<double> value, tolerance;
};

Expected ref_softmax(const Row& x, DType t, bool log_output) {
    const std::size_t n = x.size();
    Expected e{std::vector<double>(n), std::vector<double>(n, 0.0)};
    const RowStats s = row_stats(x);
    if (s.nan || s.max == -INFINITY || (s.max == INFINITY && !log_output)) {
        for (double& v : e.value) v = kNaN;
        return e;
    }
    if (s.max == INFINITY) {
        for (std::size_t i = 0; i < n; ++i) e.value[i] = x[i] == kInf ? kNaN : -kInf;
        return e;
    }
    const long double L = s.log_sum();
    const double u = compute_unit(t), us = storage_unit(t);
    const double dL = exp_sum_error(t, std::int64_t(n));
    for (std::size_t i = 0; i < n; ++i) {
        if (x[i] == -kInf) {  // exactly 0 (log: -inf)
            e.value[i] = log_output ? -kInf : 0;
            continue;
        }
        const long double d = x[i] - s.max, y = d - L;
        const double arg = u * double(std::fabs(d) + std::fabs(L) + std::fabs(y)) + dL;
        if (log_output) {
            e.value[i] = double(y);
            e.tolerance[i] = arg + us * double(std::fabs(y));
        } else {
            e.value[i] = double(std::exp(y));
            e.tolerance[i] =
                e.value[i] * (arg + exp_error(t) + 2 * u + us) + 1.5 * storage_denorm_min(t);
        }
    }
    return e;
}

// Output elements start at a sentinel; the bytes between them must stay as they were.
void prepare_output(Matrix& out) {
    std::fill(out.bytes.begin(), out.bytes.end(), 0xa5);
    for (std::int64_t r = 0; r < out.rows; ++r)
        for (std::int64_t c = 0; c < out.cols; ++c) out.set(r, c, 1234.0);
}

void check_bytes_between_elements(const Matrix& out, const Matrix& before) {
    std::vector<unsigned char> expected = before.bytes;  // elements copied from out, gaps not
    const std::size_t item = infonative::dtype_size(out.dtype);
    for (std::int64_t r = 0; r < out.rows; ++r)
        for (std::int64_t c = 0; c < out.cols; ++c)
            std::memcpy(expected.data() + (out.at(r, c) - out.bytes.data()), out.at(r, c), item);
    CHECK(expected == out.bytes);
}

// Both functions on every ISA level into an output of layout out_layout.
void check_softmax(const Matrix& x, Layout out_layout) {
    for (bool log_output : {false, true}) {
        Scope scope("%s out=%s", log_output ? "log_softmax" : "softmax", layout_name(out_layout));
        std::vector<Expected> expected;
        for (std::int64_t r = 0; r < x.rows; ++r)
            expected.push_back(ref_softmax(x.row(r), x.dtype, log_output));
        for_each_isa([&] {
            Matrix out(x.dtype, x.rows, x.cols, out_layout);
            prepare_output(out);
            const Matrix before = out;
            if (log_output)
                infonative::log_softmax_rows(x.view(), out.out());
            else
                infonative::softmax_rows(x.view(), out.out());
            for (std::int64_t r = 0; r < x.rows; ++r)
                for (std::int64_t c = 0; c < x.cols; ++c) {
                    const Expected& e = expected[std::size_t(r)];
                    CHECK_CLOSE_AT(out.get(r, c), e.value[std::size_t(c)],
                                   e.tolerance[std::size_t(c)], "row=%lld col=%lld", (long long)r,
                                   (long long)c);
                }
            check_bytes_between_elements(out, before);
        });
    }
}

}  // namespace

TEST_CASE("softmax/rows of every dtype and layout") {
    for (DType t : kAllDTypes)
        for (Layout in : kAllLayouts)
            for (Layout out : {Layout::contiguous, Layout::gaps})  // one-exp and apply paths
                for (const Shape& shape : kShapes) {
                    Scope scope("dtype=%s in=%s shape=%lldx%lld", dtype_name(t), layout_name(in),
                                (long long)shape[0], (long long)shape[1]);
                    Matrix x(t, shape[0], shape[1], in);
                    Random rng(std::uint64_t(shape[0] * 1000 + shape[1]));
                    fill_rows(x, rng);
                    check_softmax(x, out);
                }
}

TEST_CASE("softmax/special values and empty rows") {
    const std::vector<std::vector<double>> rows = {
        {kNaN, 1, 2},
        {1, kInf, 2},
        {kInf, kNaN},
        {-kInf, -kInf},
        {-kInf, 0},
        {kInf, -kInf},
        {3, 3, 3},
        {-kInf, 1, -kInf},
        {kInf, kInf, 0},
        {-kInf},
        {kInf},
        {kNaN},
        {0, -40},
        {2},
        {0, -kInf, -kInf, -kInf, -kInf, -kInf, -kInf, -kInf, 5},
    };
    for (DType t : kAllDTypes)
        for (Layout out : {Layout::contiguous, Layout::negative_strides})
            for (std::size_t i = 0; i < rows.size(); ++i) {
                Scope scope("dtype=%s case=%zu", dtype_name(t), i);
                Matrix x(t, 1, std::int64_t(rows[i].size()));
                x.set_row(0, rows[i]);
                check_softmax(x, out);
            }
    for_each_isa([] {
        for (DType t : kAllDTypes) {
            Scope scope("dtype=%s", dtype_name(t));
            Matrix empty(t, 4, 0), none(t, 0, 3);
            CHECK_NOTHROW(infonative::softmax_rows(empty.view(), empty.out()));
            CHECK_NOTHROW(infonative::log_softmax_rows(empty.view(), empty.out()));
            CHECK_NOTHROW(infonative::softmax_rows(none.view(), none.out()));
            CHECK_NOTHROW(infonative::log_softmax_rows(none.view(), none.out()));
        }
    });
}

TEST_CASE("softmax/long rows are split into pieces") {
    for (DType t : kAllDTypes)
        for (Layout in : {Layout::contiguous, Layout::negative_strides}) {
            Scope scope("dtype=%s in=%s", dtype_name(t), layout_name(in));
            const Matrix x = long_rows_with_specials(t, in, 9, 75);
            check_softmax(x, in == Layout::contiguous ? Layout::contiguous : Layout::gaps);
        }
}

TEST_CASE("softmax/same bits with 1 and 2 threads") {
    for_each_isa([] {
        for (DType t : kAllDTypes)
            for (Layout out_layout : {Layout::contiguous, Layout::gaps})
                for (bool log_output : {false, true}) {
                    Scope scope("dtype=%s out=%s log=%d", dtype_name(t), layout_name(out_layout),
                                int(log_output));
                    Random rng(13);
                    Matrix long_rows(t, 3, kLongCols), short_rows(t, 1500, 64);
                    fill_rows(long_rows, rng);
                    fill_rows(short_rows, rng);
                    for (const Matrix* x : {&long_rows, &short_rows})
                        check_same_for_1_and_2_threads([&] {
                            Matrix out(t, x->rows, x->cols, out_layout);
                            if (log_output)
                                infonative::log_softmax_rows(x->view(), out.out());
                            else
                                infonative::softmax_rows(x->view(), out.out());
                            return out.bytes;
                        });
                }
    });
}

// Outputs of kStreamingOutputBytes and more are written with streaming stores (aligned vectors;
// plain stores for the unaligned head and the tail of each row): the same bits as the same rows
// written one at a time, which stay under it. Rows of one piece (the one-exp softmax streams its
// second pass) and of three (the apply pass streams); odd lengths put every row at another
// alignment; specials in a few rows take the apply pass.
TEST_CASE("softmax/streamed outputs hold the same bits as cached ones") {
    for_each_isa([] {
        for (DType t : kAllDTypes)
            for (std::int64_t cols : {std::int64_t(32001), 3 * infonative::detail::kPieceLength - 5})
                for (bool log_output : {false, true}) {
                    Scope scope("dtype=%s cols=%lld log=%d", dtype_name(t), (long long)cols,
                                int(log_output));
                    const std::int64_t item = std::int64_t(infonative::dtype_size(t));
                    const std::int64_t rows = infonative::detail::kStreamingOutputBytes / (cols * item) + 1;
                    Matrix x(t, rows, cols);
                    Random rng(17);
                    fill_rows(x, rng);
                    x.set(1, 5, kNaN);
                    x.set(2, cols - 1, kInf);
                    auto run = [&](const infonative::MatrixView& in, infonative::MutableMatrixView o) {
                        if (log_output)
                            infonative::log_softmax_rows(in, o);
                        else
                            infonative::softmax_rows(in, o);
                    };
                    Matrix whole(t, rows, cols), by_row(t, rows, cols);
                    run(x.view(), whole.out());
                    for (std::int64_t r = 0; r < rows; ++r) {
                        infonative::MatrixView in = x.view();
                        infonative::MutableMatrixView o = by_row.out();
                        in.data = x.at(r, 0);
                        o.data = by_row.at(r, 0);
                        in.rows = o.rows = 1;
                        run(in, o);
                    }
                    CHECK_SAME_BYTES(whole.bytes.data(), by_row.bytes.data(), whole.bytes.size());
                }
    });
}

TEST_CASE("softmax/bad input throws") {
    Matrix x(DType::float32, 2, 3);
    Matrix wrong_shape(DType::float32, 2, 4), wrong_dtype(DType::float64, 2, 3);
    CHECK_THROWS(infonative::softmax_rows(x.view(), wrong_shape.out()), std::invalid_argument);
    CHECK_THROWS(infonative::log_softmax_rows(x.view(), wrong_dtype.out()), std::invalid_argument);
    infonative::MatrixView v = x.view();
    v.cols = -3;
    Matrix out(DType::float32, 2, 3);
    infonative::MutableMatrixView o = out.out();
    o.cols = -3;
    CHECK_THROWS(infonative::softmax_rows(v, o), std::invalid_argument);
}
