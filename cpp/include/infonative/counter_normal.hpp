// Standard normal deviates indexed by a counter: deviate i of a seed is a function of (seed, i)
// alone, so any range of them can be drawn on any thread, and results never depend on the thread
// count or on the order of the draws. The kNN estimators' tie-breaking noise (infonative.knn).
//
// Raw bits: SplitMix64 (Steele, Lea and Flood 2014) outputs, mix(seed + c * 0x9e3779b97f4a7c15)
// for counter c; deviate i takes the raws of counters 256 i + 1, 256 i + 2, ... as it needs them.
// Deviates: the ziggurat of Marsaglia and Tsang (2000) with 256 layers, each raw split as numpy's
// Generator splits it (8 bits of layer, 1 of sign, 52 of abscissa): about 98.8% of deviates take
// one raw and no function call; the others finish in the wedge or the tail test.
#pragma once
#include <cstdint>

#include "infonative/matrix.hpp"

namespace infonative {

// The ziggurat's tables, computed once in double from r = 3.6541528853610088 (the base strip's
// right edge) and the layer area v = r f(r) + integral of f from r to infinity, f(x) = exp(-x^2/2):
// x[255] = r, x[i - 1] = sqrt(-2 log(f(x[i]) + v / x[i])), the base strip's width v / f(r).
struct ZigguratTables {
    std::uint64_t accept[256];  // below this 52-bit abscissa a layer's point is inside f
    double width[256];          // x of each layer (the base strip's width for layer 0) / 2^52
    double height[256];         // f(x[i]); 1 for layer 0, the top of layer 1
};
const ZigguratTables& ziggurat_tables();

// Deviate `index` of `seed`.
double counter_normal(std::uint64_t seed, std::uint64_t index);

// Fills out[0, count) with deviates first, first + 1, ... of seed (in parallel for large counts).
void counter_normals(std::uint64_t seed, std::uint64_t first, std::int64_t count, double* out);

// Adds a_c * deviate(seed, c * rows + r) to entry (r, c) of a rows x cols float32 or float64
// matrix (view.data is written): x + float(a_c * z) in x's type, no fused multiply-add, where
// a_c = noise * max(1, mean |x_c|), the mean summed in double in row order. Throws
// std::invalid_argument for other dtypes or inconsistent views.
void add_counter_noise(const MutableMatrixView& view, double noise, std::uint64_t seed);

}  // namespace infonative
