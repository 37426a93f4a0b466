// AVX-512 (F, DQ, BW, VL) kernels (512-bit vectors); compiled with -mavx512f and friends.
#define INFONATIVE_ISA_NAMESPACE avx512
#define INFONATIVE_VECTOR_BYTES 64
#include "simd/kernels.inl"
