// The OpenMP thread pool: the same knob that OMP_NUM_THREADS and threadpoolctl turn.
#pragma once

namespace infonative {

bool openmp_enabled();
// Threads the next parallel region of the calling thread will use (omp_get_max_threads()).
int get_num_threads();
// Sets the calling thread's OpenMP pool size (omp_set_num_threads); n must be >= 1.
void set_num_threads(int n);
// Compiler that built the core, e.g. "GNU 12.2.0".
const char* compiler_description();

}  // namespace infonative
