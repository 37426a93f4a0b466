// Instruction-set levels and run-time selection of the SIMD kernels.
#pragma once

namespace infonative {

// Ordered: a higher level implies the lower ones are available.
enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
// Highest level this CPU supports and this build compiled.
Isa best_supported_isa();
// Level in use: best_supported_isa(), capped by the environment variable INFONATIVE_ISA
// (baseline|avx2|avx512) when it is set. Chosen once, at first use.
Isa active_isa();
// Whether this build contains kernels for the level, and whether the CPU can run them.
bool isa_compiled(Isa isa);
bool isa_supported_by_cpu(Isa isa);
// Switches the kernels in use (benchmarks and tests compare levels in one process); a level the
// CPU or build lacks is capped to best_supported_isa(). Returns the level now in use.
Isa set_active_isa(Isa requested);

}  // namespace infonative
