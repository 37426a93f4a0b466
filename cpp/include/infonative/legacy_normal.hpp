// numpy's legacy standard normals (RandomState.standard_normal), bitwise: sklearn's
// mutual_info_* draw their tie-breaking noise from a RandomState, and the sklearn-compatible
// wrappers must give the same noisy inputs for the same seed.
#pragma once
#include <cstdint>

namespace infonative {

// numpy's cached second normal of the polar method (RandomState's has_gauss and gauss).
struct LegacyGaussCache {
    bool has_gauss = false;
    double gauss = 0.0;
};

// Fills out[0..count) with the numbers RandomState.standard_normal(count) returns for a bit
// generator whose next_double(state) is given, and updates the cache as it does. The uniforms
// are drawn and the pairs accepted in order, on the calling thread; the logarithms and square
// roots, the costly part, then run in parallel (the same functions, so the same bits).
// The caller holds the bit generator's lock.
void legacy_standard_normal(double (*next_double)(void*), void* state, double* out,
                            std::int64_t count, LegacyGaussCache* cache);

// numpy's MT19937 state as RandomState.get_state() lists it: 624 key words and the position
// of the next one (624: the key is twisted before the next draw).
struct Mt19937State {
    static constexpr int kWords = 624;
    std::uint32_t key[kWords];
    int pos;
};

// The same numbers for a RandomState over MT19937 (its default), from a copy of its state
// (advanced as numpy advances it): the generator runs inlined here instead of through the bit
// generator's function pointer, ~3x faster.
void legacy_standard_normal_mt19937(Mt19937State* state, double* out, std::int64_t count,
                                    LegacyGaussCache* cache);

}  // namespace infonative
