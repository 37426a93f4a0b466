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

// numpy's MT19937 (Matsumoto and Nishimura 1998, the reference recurrence) and its 53-bit
// doubles (genrand_res53), as legacy RandomState draws them. A key's words are tempered and
// paired into doubles in bulk (loops the compiler vectorizes), then handed out one by one.
class Mt19937Uniform {
  public:
    explicit Mt19937Uniform(Mt19937State* s) : s_(s) {}
    double operator()() {
        if (!started_) {  // lazily, as numpy twists a key only for the next draw
            started_ = true;
            refill();
        }
        if (next_ == kDoubles) {
            if (tail_) return tail_double();
            twist();
            refill();
        }
        return doubles_[next_++];
    }

  private:
    static constexpr int kN = Mt19937State::kWords, kM = 397, kDoubles = kN / 2;
    static std::uint32_t temper(std::uint32_t y) {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }
    static double from_words(std::uint32_t a, std::uint32_t b) {
        return ((a >> 5) * 67108864.0 + (b >> 6)) / 9007199254740992.0;
    }
    // The doubles of the key's words from pos on; an odd pos leaves one word, which pairs with
    // the first word of the next key (tail_double).
    void refill() {
        if (s_->pos >= kN) twist();
        const int words = kN - s_->pos, whole = words / 2;
        const std::uint32_t* key = s_->key + s_->pos;
        for (int j = 0; j < whole; ++j)
            doubles_[kDoubles - whole + j] = from_words(temper(key[2 * j]), temper(key[2 * j + 1]));
        next_ = kDoubles - whole;
        tail_ = words % 2 == 1;
        start_ = s_->pos;
        s_->pos = kN - (tail_ ? 1 : 0);  // consumed lazily: pos() below tells the truth
    }
    double tail_double() {
        const std::uint32_t a = temper(s_->key[kN - 1]);
        twist();
        const std::uint32_t b = temper(s_->key[0]);
        s_->pos = 1;
        refill();
        return from_words(a, b);
    }
    void twist() {
        std::uint32_t* mt = s_->key;
        auto mixed = [](std::uint32_t upper, std::uint32_t lower, std::uint32_t far) {
            const std::uint32_t y = (upper & 0x80000000u) | (lower & 0x7fffffffu);
            return far ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
        };
        int i = 0;
        for (; i < kN - kM; ++i) mt[i] = mixed(mt[i], mt[i + 1], mt[i + kM]);
        for (; i < kN - 1; ++i) mt[i] = mixed(mt[i], mt[i + 1], mt[i + kM - kN]);
        mt[kN - 1] = mixed(mt[kN - 1], mt[0], mt[kM - 1]);
        s_->pos = 0;
    }

  public:
    // The state as if exactly the doubles handed out so far had been drawn.
    void settle() {
        if (started_) s_->pos = start_ + 2 * (next_ - (kDoubles - (kN - start_) / 2));
    }

  private:
    Mt19937State* s_;
    double doubles_[kDoubles];
    int next_ = kDoubles, start_ = 0;
    bool tail_ = false, started_ = false;
};

template <class Uniform>
void polar_normals(Uniform next_double, double* out, std::int64_t count, LegacyGaussCache* cache);

}  // namespace

void legacy_standard_normal(double (*next_double)(void*), void* state, double* out,
                            std::int64_t count, LegacyGaussCache* cache) {
    polar_normals([&] { return next_double(state); }, out, count, cache);
}

void legacy_standard_normal_mt19937(Mt19937State* state, double* out, std::int64_t count,
                                    LegacyGaussCache* cache) {
    Mt19937Uniform uniform(state);
    polar_normals<Mt19937Uniform&>(uniform, out, count, cache);
    uniform.settle();
}

namespace {

template <class Uniform>
void polar_normals(Uniform next_double, double* out, std::int64_t count, LegacyGaussCache* cache) {
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
    // All pairs but the last: every attempt is stored, and the position moves on only for an
    // accepted one (a branch on the acceptance, false one time in five, mispredicted often).
    const std::int64_t whole_end = first + 2 * (pairs - 1);
    for (std::int64_t at = first; at < whole_end;) {
        const double x1 = 2.0 * next_double() - 1.0;
        const double x2 = 2.0 * next_double() - 1.0;
        const double r2 = x1 * x1 + x2 * x2;
        out[at] = x2;
        out[at + 1] = x1;
        at += 2 * std::int64_t((r2 < 1.0) & (r2 != 0.0));
    }
    if (pairs > 0) {
        double x1, x2, r2;
        do {
            x1 = 2.0 * next_double() - 1.0;
            x2 = 2.0 * next_double() - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        const std::int64_t at = whole_end;
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

}  // namespace
}  // namespace infonative
