// The k best candidates of one query, ordered by (distance, row): a tie at the k-th distance is
// broken by the lower row number, so the neighbour set is unique and matches a stable argsort.
#pragma once
#include <cstdint>
#include <limits>
#include <type_traits>

#include "knn/points.hpp"

namespace infonative::knn_detail {

// Whether (d, r) ranks before (d2, r2).
template <class T>
inline bool ranks_before(T d, Index r, T d2, Index r2) {
    return (d < d2) | ((d == d2) & (r < r2));
}

// Inserts (d, r) into the k pairs of dist, row (ascending) if it ranks before the k-th; k an
// int or a std::integral_constant.
template <class T, class K>
inline void insert_ranked(T* dist, Index* row, K k, T d, Index r) {
    if (!ranks_before(d, r, dist[k - 1], row[k - 1])) return;
    int j = k - 1;
    for (; j > 0 && ranks_before(d, r, dist[j - 1], row[j - 1]); --j) {
        dist[j] = dist[j - 1];
        row[j] = row[j - 1];
    }
    dist[j] = d;
    row[j] = r;
}

// A view over caller-provided storage of k entries (k is small: insertion is a shift).
template <class T>
struct Neighbours {
    T* dist;  // reduced distances, ascending
    Index* row;
    int k;

    void reset() {
        for (int j = 0; j < k; ++j) {
            dist[j] = std::numeric_limits<T>::infinity();
            row[j] = std::numeric_limits<Index>::max();
        }
    }
    T worst() const { return dist[k - 1]; }
    static bool before(T d, Index r, T d2, Index r2) { return ranks_before(d, r, d2, r2); }

    // Inserts (d, r) if it ranks before the current k-th.
    void offer(T d, Index r) { insert_ranked(dist, row, k, d, r); }
};

// The same list for a k fixed at compile time, in its own storage: as a local, the compiler
// keeps it in registers (a Neighbours view of memory is reloaded after every offer).
template <class T, int kK>
struct FixedNeighbours {
    T dist[kK];
    Index row[kK];

    FixedNeighbours() {
        for (int j = 0; j < kK; ++j) {
            dist[j] = std::numeric_limits<T>::infinity();
            row[j] = std::numeric_limits<Index>::max();
        }
    }
    T worst() const { return dist[kK - 1]; }
    void offer(T d, Index r) { insert_ranked(dist, row, std::integral_constant<int, kK>{}, d, r); }
    void copy_to(Neighbours<T>& out) const {
        for (int j = 0; j < kK; ++j) {
            out.dist[j] = dist[j];
            out.row[j] = row[j];
        }
    }
};

}  // namespace infonative::knn_detail
