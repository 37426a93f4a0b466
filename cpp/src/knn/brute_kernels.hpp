// The brute-force neighbour kernels (cpp/src/simd/knn_brute.inl): compiled once per instruction
// set like the log-sum-exp kernels and picked by the active level (INFONATIVE_ISA caps it).
// Only plain structs and pointers cross this boundary, never vector types.
#pragma once
#include <cstdint>

#include "infonative/isa.hpp"

namespace infonative::knn_detail {

// The norm policies of norms.hpp, by name: the kernels evaluate the same reduced distance with
// the same operations in the same order (axis 0 first), so every distance is bitwise the one
// the kd-tree computes.
enum class NormKind : int { max = 0, euclidean = 1, manhattan = 2, minkowski = 3 };
struct BruteNorm {
    NormKind kind;
    double p;  // the Minkowski exponent (minkowski only)
};

// Points in structure-of-arrays form: coordinate a of point j at data[a * padded + j] for j < n.
// Entries n..padded-1 of every axis are NaN: a distance to them is NaN and compares false, so
// the kernels run whole vectors without a tail.
struct BruteSet {
    const void* data;
    std::int64_t n;
    std::int64_t padded;  // a multiple of kBrutePad
    int dim;
    const std::int32_t* rows;  // row number of point j (ties and exclusion go by row)
};
constexpr std::int64_t kBrutePad = 16;  // 64 bytes of float32: a whole vector at every width
// Queries the nearest kernels evaluate together against each candidate vector (a call's last
// queries, fewer than a group, go one at a time at nearly the cost of a group each).
constexpr int kBruteQueryGroup = 4;

// `count` query points: coordinate a of query i at data[at(i) * row_step + a * axis_step], at(i)
// = index[i] (or i when index is null): rows of a row-major set or the columns of a BruteSet.
// exclude[i]: a row that query i skips (its own), or null for none.
struct BruteQueries {
    const void* data;
    std::int64_t row_step, axis_step;
    int count;
    const std::int32_t* index;
    const std::int32_t* exclude;
};

// dist and row: `count` lists of k entries each, overwritten with the k nearest points of the
// set by (reduced distance, row), the Neighbours order (neighbours.hpp). Requires k <= the
// points not excluded.
using BruteNearestFn = void (*)(const BruteSet& set, const BruteQueries& queries, BruteNorm norm,
                                int k, void* dist, std::int32_t* row);
// out[i] = points of the set with reduced distance <= radius[i] (a radius in the set's type);
// a negative radius counts none. Exclusion does not apply.
using BruteCountFn = void (*)(const BruteSet& set, const BruteQueries& queries, BruteNorm norm,
                              const void* radius, std::int64_t* out);

// A kd-tree (kd_tree.hpp) as the leaf search kernel reads it: its nodes and its points leaf by
// leaf (leaf_blocks.hpp).
struct LeafTree {
    const void* box;  // per node: dim lows, then dim highs
    const std::int32_t* begin;  // per node: its range of tree positions
    const std::int32_t* end;
    std::int32_t first_leaf;  // node number of the first leaf (leaves are the last nodes)
    int dim;
    const void* blocks;  // per leaf: dim axes of kLeafSlots coordinates, NaN past its points
    const std::int32_t* rows;  // per leaf: kLeafSlots row numbers, -1 past its points
};
constexpr int kLeafSlots = 16;  // the tree's largest leaf
// The largest run-time dimension (past 8) the leaf search takes: it keeps a box on its stack.
constexpr int kLeafSearchMaxDim = 64;

// dist and row: kLeafSlots lists of k entries each; those of the leaf's points (in tree order)
// are overwritten with their k nearest other points of the tree, by (reduced distance, row):
// what KdTree::nearest_own gives each of them. The leaf's queries go in groups of
// kBruteQueryGroup: one walk of the tree per group, each leaf it reaches scanned against the
// whole group at once.
using LeafNearestFn = void (*)(const LeafTree& tree, std::int32_t leaf, BruteNorm norm, int k,
                               void* dist, std::int32_t* row);

// out[i] = points of the tree with reduced distance <= radius[i] from query i, for `count`
// queries at queries + i * dim (a radius in the tree's type; a negative one counts none):
// KdTree::count_within for each, the queries in groups of kBruteQueryGroup walking the tree
// together.
using LeafCountFn = void (*)(const LeafTree& tree, BruteNorm norm, const void* queries, int count,
                             const void* radius, std::int64_t* out);

struct BruteKernels {
    Isa isa;
    BruteNearestFn nearest[2];  // [0] float32, [1] float64
    LeafNearestFn leaf_nearest[2];
    LeafCountFn leaf_count[2];
    BruteCountFn count[2];
};

// The kernels of the active level (infonative::active_isa()).
const BruteKernels& brute_kernels();

}  // namespace infonative::knn_detail

// Each per-ISA object file defines one of these.
namespace infonative::simd {
namespace baseline {
void fill_brute_table(knn_detail::BruteKernels& table);
}
namespace avx2 {
void fill_brute_table(knn_detail::BruteKernels& table);
}
namespace avx512 {
void fill_brute_table(knn_detail::BruteKernels& table);
}
}  // namespace infonative::simd
