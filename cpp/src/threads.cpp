// Thread-count control: we use the OpenMP runtime's own setting, so OMP_NUM_THREADS and
// threadpoolctl (which calls omp_set_num_threads in the runtime it finds) govern our pool too.
#include <stdexcept>

#include "infonative/threads.hpp"
#if defined(_OPENMP)
#include <omp.h>
#endif

#ifndef INFONATIVE_COMPILER
#define INFONATIVE_COMPILER "unknown"
#endif

namespace infonative {

bool openmp_enabled() {
#if defined(_OPENMP)
    return true;
#else
    return false;
#endif
}

int get_num_threads() {
#if defined(_OPENMP)
    return omp_get_max_threads();
#else
    return 1;
#endif
}

void set_num_threads(int n) {
    if (n < 1) throw std::invalid_argument("number of threads must be >= 1");
#if defined(_OPENMP)
    omp_set_num_threads(n);
#endif
}

const char* compiler_description() { return INFONATIVE_COMPILER; }

}  // namespace infonative
