// A kd-tree's points leaf by leaf in the layout of the brute-force kernels (brute_kernels.hpp):
// one block per leaf, its points' coordinates axis after axis, kLeafSize slots per axis (NaN
// past the leaf's points, so no distance to a slot without a point ever counts). The leaf
// search kernel (simd/knn_leaf_search.inl) scans a whole leaf's block against a group of
// queries at once: vectors across the leaf's points, several queries per load.
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>

#include "knn/brute_force.hpp"
#include "buffer.hpp"
#include "knn/kd_tree.hpp"
#include "knn/tree_order.hpp"

namespace infonative::knn_detail {

template <class T>
class LeafBlocks {
  public:
    static constexpr int kSlots = kLeafSlots;
    static_assert(kSlots == KdTree<T>::kLeafSize, "a block holds the largest leaf");
    static_assert(kSlots % kBrutePad == 0, "a block holds whole kernel vectors");

    // Allocates for a tree of up to `capacity` points of `dim` coordinates (the only allocating
    // step).
    void reserve(std::int64_t capacity, int dim) {
        dim_ = dim;
        const std::int64_t leaves = KdTree<T>::leaves_for(capacity);
        data_.resize(std::size_t(leaves) * std::size_t(kSlots) * std::size_t(dim));
        rows_.resize(std::size_t(leaves) * std::size_t(kSlots));
    }

    // Copies the built tree's points (a tree of at most the capacity reserved).
    void build(const KdTree<T>& tree, bool parallel) {
        first_leaf_ = tree.first_leaf();
        for_each_index(tree.leaf_count(), parallel, [&](int, std::int64_t leaf) {
            const Index node = Index(first_leaf_ + leaf);
            const Index b = tree.begin(node), size = tree.end(node) - b;
            T* block = block_of(leaf);
            Index* rows = rows_.data() + leaf * kSlots;
            for (Index j = 0; j < kSlots; ++j) {
                const bool point = j < size;
                rows[j] = point ? tree.row_at(b + j) : Index(-1);
                const T* p = point ? tree.coords(b + j) : nullptr;
                for (int a = 0; a < dim_; ++a)
                    block[a * kSlots + j] = point ? p[a] : std::numeric_limits<T>::quiet_NaN();
            }
        });
    }

    // The tree and these blocks as the leaf search kernel reads them (the tree they were
    // built from).
    LeafTree view(const KdTree<T>& tree) const {
        return LeafTree{tree.boxes(), tree.begins(), tree.ends(), first_leaf_, dim_,
                        data_.data(), rows_.data()};
    }

  private:
    T* block_of(std::int64_t leaf) {
        return data_.data() + std::size_t(leaf) * std::size_t(kSlots) * std::size_t(dim_);
    }
    const T* block_of(std::int64_t leaf) const {
        return data_.data() + std::size_t(leaf) * std::size_t(kSlots) * std::size_t(dim_);
    }

    int dim_ = 0;
    Index first_leaf_ = 0;
    Buffer<T> data_;
    Buffer<Index> rows_;
};

// Whether the leaf search kernel takes this norm and dimension: not a general Minkowski norm
// (its pow per coordinate makes the tree's pruning per query worth more than the kernels'
// vectors), and not more dimensions than it keeps a box of.
template <class Norm>
bool leaf_search_fits(const Norm&, std::int64_t dim) {
    return !std::is_same_v<Norm, MinkowskiNorm> && dim <= kLeafSearchMaxDim;
}

// The k nearest other points of every point of leaf `leaf` (the leaf search kernel): into
// best[0..kLeafSize), one slot's lists from NeighbourScratch (contiguous: list j at
// best[0].dist + j * k), those of the leaf's points first. What nearest_own gives each of them.
template <class T, class Norm>
void nearest_own_leaf(const KdTree<T>& tree, const LeafBlocks<T>& blocks, const Norm& norm,
                      Index leaf, Neighbours<T>* best) {
    brute_kernels().leaf_nearest[sizeof(T) == 4 ? 0 : 1](blocks.view(tree), leaf,
                                                         brute_norm(norm), best[0].k,
                                                         best[0].dist, best[0].row);
}

}  // namespace infonative::knn_detail
