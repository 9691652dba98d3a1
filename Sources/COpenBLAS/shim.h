#ifndef SEQCURATE_COPENBLAS_SHIM_H
#define SEQCURATE_COPENBLAS_SHIM_H
#include <cblas.h>

// CPU feature checks, so the program can pick OpenBLAS kernels the library
// itself does not recognise (Debian's 0.3.21 on AVX-512 parts).
static inline int seq_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}
static inline int seq_cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif
