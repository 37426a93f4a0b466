// numpy's legacy_gauss (numpy/random/src/legacy/legacy-distributions.c): the polar method, two
// normals per accepted pair (f x2 returned first, f x1 cached for the next call). Compiled with
// -ffp-contract=off: a fused x1 * x1 + x2 * x2 would round differently from numpy's build.
#include "infonative/legacy_normal.hpp"

#include <cmath>

#include "row_driver.hpp"

namespace infonative {

namespace {

// Pairs below which the logarithms stay on the calling thread (waking the pool costs more).
constexpr std::int64_t kParallelMinPairs = 8192;

// f of the polar method for an accepted pair.
inline double polar_factor(double x1, double x2) {
    const double r2 = x1 * x1 + x2 * x2;
    return std::sqrt(-2.0 * std::log(r2) / r2);
}

}  // namespace

void legacy_standard_normal(double (*next_double)(void*), void* state, double* out,
                            std::int64_t count, LegacyGaussCache* cache) {
    std::int64_t first = 0;
    if (count > 0 && cache->has_gauss) {
        out[first++] = cache->gauss;
        cache->has_gauss = false;
        cache->gauss = 0.0;
    }
    // 1. the accepted pairs in order, stored in place: x2 where f x2 goes, x1 where f x1 goes
    // (the last pair's x1 aside when the count is odd: its normal is the one cached)
    const std::int64_t pairs = (count - first + 1) / 2;
    double last_x1 = 0.0, last_x2 = 0.0;
    for (std::int64_t p = 0; p < pairs; ++p) {
        double x1, x2, r2;
        do {
            x1 = 2.0 * next_double(state) - 1.0;
            x2 = 2.0 * next_double(state) - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        const std::int64_t at = first + 2 * p;
        out[at] = x2;
        if (at + 1 < count) {
            out[at + 1] = x1;
        } else {
            last_x1 = x1;
            last_x2 = x2;
        }
    }
    // 2. the factors, each pair on its own: any thread computes the same bits
    const bool parallel = pairs >= kParallelMinPairs && detail::max_threads() > 1;
#pragma omp parallel for schedule(static) if (parallel)
    for (std::int64_t p = 0; p < pairs; ++p) {
        const std::int64_t at = first + 2 * p;
        const bool whole = at + 1 < count;
        const double x2 = out[at], x1 = whole ? out[at + 1] : last_x1;
        const double f = polar_factor(x1, x2);
        out[at] = f * x2;
        if (whole) out[at + 1] = f * x1;
    }
    // the last pair's second normal is cached, or (an even count) was taken from the cache
    if (count > first) {
        const bool odd = (count - first) % 2 == 1;
        cache->has_gauss = odd;
        cache->gauss = odd ? polar_factor(last_x1, last_x2) * last_x1 : 0.0;
    }
}

}  // namespace infonative
