// AVX2 + FMA + F16C kernels (256-bit vectors); compiled with -mavx2 -mfma -mf16c.
#define INFONATIVE_ISA_NAMESPACE avx2
#define INFONATIVE_VECTOR_BYTES 32
#include "simd/kernels.inl"
