// The k best candidates of one query, ordered by (distance, row): a tie at the k-th distance is
// broken by the lower row number, so the neighbour set is unique and matches a stable argsort.
#pragma once
#include <cstdint>
#include <limits>

#include "knn/points.hpp"

namespace infonative::knn_detail {

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
    static bool before(T d, Index r, T d2, Index r2) { return (d < d2) | ((d == d2) & (r < r2)); }

    // Inserts (d, r) if it ranks before the current k-th.
    void offer(T d, Index r) {
        if (!before(d, r, dist[k - 1], row[k - 1])) return;
        int j = k - 1;
        for (; j > 0 && before(d, r, dist[j - 1], row[j - 1]); --j) {
            dist[j] = dist[j - 1];
            row[j] = row[j - 1];
        }
        dist[j] = d;
        row[j] = r;
    }
};

}  // namespace infonative::knn_detail
