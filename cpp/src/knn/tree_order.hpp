// The parallel loop of every estimator: query points visited leaf by leaf (neighbouring queries
// touch the same nodes and points, so they hit the cache), results stored by row number, then
// summed serially in row order. Which thread computes a point never changes its result.
#pragma once
#include <cstdint>
#include <vector>

#include "knn/kd_tree.hpp"
#include "knn/neighbours.hpp"
#include "row_driver.hpp"

namespace infonative::knn_detail {

// Below this many query points a call stays on the calling thread (waking the pool costs more).
constexpr std::int64_t kParallelMinPoints = 4096;
// Leaves handed to a thread at a time (~100 queries): balances load at a negligible cost.
constexpr std::int64_t kLeavesPerGrab = 8;

inline bool worth_parallel(std::int64_t queries) {
    return queries >= kParallelMinPoints && detail::max_threads() > 1;
}

// Slots of per-thread scratch a loop needs.
inline int scratch_slots(bool parallel) { return parallel ? detail::max_threads() : 1; }

// body(slot, leaf_node, position) for every point of the tree; slot indexes per-thread scratch.
template <class T, class Body>
void for_each_in_tree_order(const KdTree<T>& tree, bool parallel, Body&& body) {
    const std::int64_t leaves = tree.leaf_count();
    const Index first = tree.first_leaf();
    auto visit = [&](std::int64_t leaf, int slot) {
        const Index node = Index(first + leaf);
        for (Index pos = tree.begin(node), end = tree.end(node); pos < end; ++pos)
            body(slot, node, pos);
    };
    if (parallel) {
#pragma omp parallel for schedule(dynamic, kLeavesPerGrab)
        for (std::int64_t leaf = 0; leaf < leaves; ++leaf) visit(leaf, detail::thread_index());
    } else {
        for (std::int64_t leaf = 0; leaf < leaves; ++leaf) visit(leaf, 0);
    }
}

// body(slot, leaf_node) for every leaf, in parallel when asked.
template <class T, class Body>
void for_each_leaf(const KdTree<T>& tree, bool parallel, Body&& body) {
    const std::int64_t leaves = tree.leaf_count();
    const Index first = tree.first_leaf();
    if (parallel) {
#pragma omp parallel for schedule(dynamic, kLeavesPerGrab)
        for (std::int64_t leaf = 0; leaf < leaves; ++leaf)
            body(detail::thread_index(), Index(first + leaf));
    } else {
        for (std::int64_t leaf = 0; leaf < leaves; ++leaf) body(0, Index(first + leaf));
    }
}

// body(slot, i) for i in [0, count), in parallel chunks when asked.
template <class Body>
void for_each_index(std::int64_t count, bool parallel, Body&& body) {
    if (parallel) {
#pragma omp parallel for schedule(dynamic, 256)
        for (std::int64_t i = 0; i < count; ++i) body(detail::thread_index(), i);
    } else {
        for (std::int64_t i = 0; i < count; ++i) body(0, i);
    }
}

// Storage for `lists` Neighbours lists per slot (one per point of a leaf when the queries of a
// leaf are made together), each slot on its own cache lines (threads update their lists on
// every candidate; sharing a line would bounce it between cores).
template <class T>
class NeighbourScratch {
  public:
    NeighbourScratch() = default;
    NeighbourScratch(int slots, int k, std::int64_t lists = 1)
        : k_(k),
          lists_(int(lists)),
          stride_(padded(std::size_t(k) * std::size_t(lists))),
          dist_(std::size_t(slots) * stride_),
          rows_(dist_.size()),
          views_(std::size_t(slots) * std::size_t(lists)) {
        for (int s = 0; s < slots; ++s)
            for (int j = 0; j < lists_; ++j) {
                const std::size_t offset =
                    std::size_t(s) * stride_ + std::size_t(j) * std::size_t(k);
                views_[std::size_t(s) * std::size_t(lists_) + std::size_t(j)] =
                    Neighbours<T>{dist_.data() + offset, rows_.data() + offset, k_};
            }
    }
    Neighbours<T> at(int slot) { return views_[std::size_t(slot) * std::size_t(lists_)]; }
    Neighbours<T>* leaf(int slot) {
        return views_.data() + std::size_t(slot) * std::size_t(lists_);
    }

  private:
    static std::size_t padded(std::size_t n) { return (n + 15) / 16 * 16 + 16; }
    int k_ = 0, lists_ = 1;
    std::size_t stride_ = 0;
    std::vector<T> dist_;
    std::vector<Index> rows_;
    std::vector<Neighbours<T>> views_;
};

// The per-point terms summed in row order: the same value for any thread count.
template <class Terms>
double sum_in_order(const Terms& terms) {
    double sum = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) sum += terms[i];
    return sum;
}

}  // namespace infonative::knn_detail
