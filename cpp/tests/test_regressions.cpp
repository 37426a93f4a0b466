// Regression tests of bugs that these sanitizer tests found in the core (all fixed): each sits in
// the ctest area of the function it broke. The comments describe the bug as it was.
#include <stdexcept>

#include "support.hpp"

using namespace infonative_test;
using check::Scope;

// vmath.inl log_ordinary (line 164) and log_any (line 187) subtract sqrt_half_bits from the
// bits of x as signed integers: for -0.0 (bits INT64_MIN) or a negative x that is signed
// overflow, undefined behaviour that UBSan reports. entropy_rows computes the log of every
// lane, the p == 0 lanes included, before it drops them: a -0.0 entry is enough.
TEST_CASE("distribution/entropy of a row with -0.0") {
    for_each_isa([] {
        for (DType t : kAllDTypes) {
            Scope scope("dtype=%s", dtype_name(t));
            Matrix pk(t, 1, 2), qk(t, 1, 2);
            pk.set_row(0, {-0.0, 1});
            qk.set_row(0, {1, 1});
            double h = 777, d = 777;
            infonative::entropy_rows(pk.view(), &h);
            infonative::relative_entropy_rows(pk.view(), qk.view(), &d);
            CHECK(h == 0);
            CHECK_CLOSE(d, std::log(2.0), 4 * kDoubleUnit);
        }
    });
}

// relative_entropy_rows, short rows (distribution.cpp:131-141): the parallel loop computes each
// row's divergence before the negative entries it found are reported by the throw, so the
// kernels take logs of negative ratios (the signed overflow above). Long rows check first.
TEST_CASE("distribution/relative entropy of short rows with a negative entry") {
    Matrix good(DType::float32, 1, 5), bad(DType::float32, 1, 5);
    good.set_row(0, {1, 1, 1, 1, 1});
    bad.set_row(0, {1, 1, 1, 1, -1e-30});
    double out = 777;
    CHECK_THROWS(infonative::relative_entropy_rows(good.view(), bad.view(), &out),
                 std::invalid_argument);
    CHECK_THROWS(infonative::relative_entropy_rows(bad.view(), good.view(), &out),
                 std::invalid_argument);
}

// cross_entropy_rows' smoothing term sum_c w_c (LSE - a_c) for a class with w_c = 0 and
// a_c = -inf: kernels.inl cross_entropy_block_sums adds d * w unguarded in its 4-vector loop
// (-inf * 0 = NaN) but guards the tail loop (0), so the result depends on the column of that
// class, the row length and the ISA level (float32, 17 classes, class 0: NaN on baseline,
// 46.01 on avx2). Whichever convention is chosen (NaN as torch, or 0: the class is weightless),
// it must not depend on where the class sits.
TEST_CASE("cross_entropy/smoothing with a zero weight on a -inf logit") {
    for (DType t : kAllDTypes)
        for (std::int64_t n : {3, 8, 17, 64}) {
            Scope scope("dtype=%s classes=%lld", dtype_name(t), (long long)n);
            std::vector<double> results;
            for_each_isa([&] {
                for (std::int64_t masked : {std::int64_t(0), n - 1}) {
                    Matrix x(t, 1, n);
                    std::vector<double> logits(static_cast<std::size_t>(n), 0.5),
                        weight(logits.size(), 1.0);
                    logits[1] = 2;
                    logits[std::size_t(masked)] = -kInf;
                    weight[std::size_t(masked)] = 0;
                    x.set_row(0, logits);
                    const std::int64_t target = 1;
                    double nll, smooth, tw;
                    infonative::cross_entropy_rows(x.view(), &target, weight.data(), -100, &nll,
                                                   &smooth, &tw);
                    results.push_back(smooth);
                }
            });
            // Twice test_logits.cpp's bound for one result: W = n - 1 weighted classes,
            // L = LSE - max <= log n, |a_c - max| <= 1.5.
            const double u = compute_unit(t), w = double(n - 1);
            const double tol = 2 * (w * (exp_sum_error(t, n) + 2 * u * std::log(double(n))) +
                                    (gamma_n(double(n), u) + 3 * u) * w * 1.5) +
                               8 * kDoubleUnit * std::fabs(results[0]);
            for (double r : results) {
                Scope where("smooth=%g first=%g", r, results[0]);
                CHECK(std::isnan(r) == std::isnan(results[0]));
                if (!std::isnan(r)) CHECK_CLOSE(r, results[0], tol);
            }
        }
}

// Views whose data pointer is not a multiple of the item size (legal numpy arrays: a packed
// structured dtype's field, np.frombuffer with an odd offset; the bindings pass a.data() through
// unchecked) are read through `const double*` / `const float*` (vec.inl:101-104 load_scalar,
// the knn Points<T> rows): undefined behaviour that UBSan reports as a misaligned load, and a
// fault if the vectorizer ever peels for alignment (it assumes element-aligned pointers).
// Whichever fix (copy or reject in the bindings and check_view, or memcpy loads), the core must
// give the aligned result or throw std::invalid_argument.
TEST_CASE("runtime/views not aligned to their item size") {
    const std::int64_t rows = 4, cols = 10;
    std::vector<unsigned char> misaligned(std::size_t(rows * cols * 8 + 1));
    Matrix aligned(DType::float64, rows, cols);
    Random rng(151);
    fill_rows(aligned, rng);
    std::memcpy(misaligned.data() + 1, aligned.bytes.data(), aligned.bytes.size());
    const infonative::MatrixView x{misaligned.data() + 1, DType::float64, rows, cols, cols * 8, 8};
    std::vector<double> expected(static_cast<std::size_t>(rows)), got(expected.size());
    infonative::logsumexp_rows(aligned.view(), expected.data());
    try {
        infonative::logsumexp_rows(x, got.data());
        CHECK_SAME_BYTES(got.data(), expected.data(), got.size() * sizeof(double));
    } catch (const std::invalid_argument&) {
    }
    const infonative::PointSet points{misaligned.data() + 1, DType::float64, 20, 2, 16};
    try {
        const double h = infonative::knn_entropy(points, 2, 2.0);
        CHECK(std::isfinite(h));
    } catch (const std::invalid_argument&) {
    }
}
