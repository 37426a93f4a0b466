// The brute-force kernel table of the active instruction-set level, and the search override of
// the tests and benchmarks.
#include <atomic>

#include "infonative/knn.hpp"
#include "knn/brute_kernels.hpp"

namespace infonative {

namespace {
std::atomic<int> search_override{int(KnnSearch::automatic)};
}  // namespace

void set_knn_search(KnnSearch search) { search_override.store(int(search)); }
KnnSearch knn_search() { return KnnSearch(search_override.load()); }

namespace knn_detail {

namespace {

BruteKernels make_table(Isa isa) {
    BruteKernels table{};
    table.isa = isa;
    switch (isa) {
#if defined(INFONATIVE_HAVE_X86_KERNELS)
        case Isa::avx512:
            simd::avx512::fill_brute_table(table);
            break;
        case Isa::avx2:
            simd::avx2::fill_brute_table(table);
            break;
#endif
        default:
            simd::baseline::fill_brute_table(table);
            table.isa = Isa::baseline;
            break;
    }
    return table;
}

}  // namespace

// Follows active_isa() (INFONATIVE_ISA, set_active_isa) on every call: the level can change
// between calls in tests and benchmarks. Levels the CPU lacks are never active, and their
// tables are never filled: the fill functions are compiled for their level too, and the
// compiler may store the pointers with that level's instructions.
const BruteKernels& brute_kernels() {
    auto usable = [](Isa isa) { return isa_compiled(isa) && isa_supported_by_cpu(isa); };
    static const BruteKernels tables[3] = {
        make_table(Isa::baseline),
        usable(Isa::avx2) ? make_table(Isa::avx2) : make_table(Isa::baseline),
        usable(Isa::avx512) ? make_table(Isa::avx512) : make_table(Isa::baseline)};
    return tables[int(active_isa())];
}

}  // namespace knn_detail
}  // namespace infonative
