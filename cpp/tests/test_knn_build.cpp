// What the kd-tree build stands on. The radix sort of rows by one axis (knn/radix_sort.hpp)
// against std::stable_sort by the same keys: row orders equal element for element, ties kept in
// the order the rows came, on continuous values, on values that share the high 32 bits of their
// float64 keys (short and long runs), on integer grids (long runs of exact ties), with -0 and +0,
// whole sets and subsets. The block cache behind the work buffers (infonative/block_cache.hpp):
// what it hands back, and to which requests.
#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "buffer.hpp"
#include "knn/radix_sort.hpp"
#include "support.hpp"

using namespace infonative_test;
using check::Scope;
namespace kd = infonative::knn_detail;

namespace {

enum class Values { continuous, shared_high_bits, integer_grid, signed_zeros };
constexpr const char* kValueNames[] = {"continuous", "shared_high_bits", "integer_grid",
                                       "signed_zeros"};

template <class T>
T draw(Random& rng, Values kind) {
    switch (kind) {
        case Values::continuous:
            return T(rng.uniform(-3, 3) * rng.uniform(0, 1));
        case Values::shared_high_bits:  // a few values near 1.5, apart only in low mantissa bits
            return T(1.5 + double(rng.index(rng.index(2) ? 40 : 3)) * 0x1p-50) *
                   (rng.index(2) ? T(1) : T(-1));
        case Values::integer_grid:
            return T(rng.index(5));
        case Values::signed_zeros:
            return rng.index(3) == 0 ? T(1) : (rng.index(2) ? T(0.0) : T(-0.0));
    }
    return T(0);
}

// The reference: rows stably sorted by the sort bits of their coordinate.
template <class T>
std::vector<kd::Index> stable_order(const kd::Points<T>& points, const std::vector<kd::Index>& rows,
                                    int axis) {
    std::vector<kd::Index> out = rows;
    std::stable_sort(out.begin(), out.end(), [&](kd::Index a, kd::Index b) {
        return kd::to_sort_bits(points.row(a)[axis]) < kd::to_sort_bits(points.row(b)[axis]);
    });
    return out;
}

template <class T>
void check_sorts(Random& rng) {
    constexpr int kDim = 2;
    for (Values kind : {Values::continuous, Values::shared_high_bits, Values::integer_grid,
                        Values::signed_zeros})
        for (std::int64_t n : {1, 2, 33, 1000, 20000}) {
            Scope scope("values=%s n=%lld", kValueNames[int(kind)], (long long)n);
            std::vector<T> x(std::size_t(n) * kDim);
            for (T& v : x) v = draw<T>(rng, kind);
            const kd::Points<T> points{x.data(), n, kDim, kDim};
            // every row in order, then a shuffled subset (ties keep the subset's order)
            std::vector<kd::Index> all(static_cast<std::size_t>(n)), subset;
            for (std::int64_t i = 0; i < n; ++i) all[std::size_t(i)] = kd::Index(i);
            for (std::int64_t i = 0; i < n; ++i)
                if (rng.index(3)) subset.push_back(kd::Index(i));
            for (std::size_t i = subset.size(); i > 1; --i)
                std::swap(subset[i - 1], subset[std::size_t(rng.index(std::int64_t(i)))]);
            for (const auto* rows : {&all, &subset}) {
                const std::int64_t count = std::int64_t(rows->size());
                if (count == 0) continue;
                std::vector<kd::KeyRow<std::uint32_t>> a(rows->size()), b(rows->size());
                std::vector<kd::Index> out(rows->size());
                for (int axis = 0; axis < kDim; ++axis) {
                    kd::sort_rows_by_axis(points, rows == &all ? nullptr : rows->data(), count,
                                          axis, a.data(), b.data(), out.data());
                    CHECK(out == stable_order(points, *rows, axis));
                }
            }
        }
}

}  // namespace

TEST_CASE("knn_build/rows by axis, float32, as a stable sort") {
    Random rng(11);
    check_sorts<float>(rng);
}

TEST_CASE("knn_build/rows by axis, float64, as a stable sort") {
    Random rng(12);
    check_sorts<double>(rng);
}

TEST_CASE("knn_build/block cache reuses a released block for requests it fits") {
    constexpr std::size_t kBytes = std::size_t(1) << 20;
    std::size_t capacity = 0;
    void* block = infonative::acquire_block(kBytes, &capacity);
    CHECK(capacity >= kBytes);
    CHECK(reinterpret_cast<std::uintptr_t>(block) % 64 == 0);
    infonative::release_block(block, capacity);
    // a request more than twice smaller, or larger, gets another block
    std::size_t small_capacity = 0, large_capacity = 0;
    void* small = infonative::acquire_block(kBytes / 2 - 1, &small_capacity);
    void* large = infonative::acquire_block(kBytes + 1, &large_capacity);
    CHECK(small != block);
    CHECK(large != block);
    // a request it fits without waste gets it back
    std::size_t reused_capacity = 0;
    void* reused = infonative::acquire_block(kBytes - 4096, &reused_capacity);
    CHECK(reused == block);
    CHECK(reused_capacity == capacity);
    for (auto [p, c] : {std::pair{small, small_capacity}, std::pair{large, large_capacity},
                        std::pair{reused, reused_capacity}})
        infonative::release_block(p, c);
}

TEST_CASE("knn_build/buffers move their block and reuse it after release") {
    const std::size_t n = std::size_t(1) << 17;
    const double* first = nullptr;
    {
        kd::Buffer<double> a(n);
        first = a.data();
        for (std::size_t i = 0; i < n; ++i) a[i] = double(i);
        kd::Buffer<double> b(std::move(a));
        CHECK(b.data() == first && b.size() == n && a.size() == 0 && a.data() == nullptr);
        CHECK(b[n - 1] == double(n - 1));
    }
    kd::Buffer<double> c(n);
    CHECK(c.data() == first);
}
