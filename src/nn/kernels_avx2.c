/* The AVX2+FMA kernels of inference (8 floats per vector): the template in
 * kernels_simd.h over AVX2 intrinsics. Each function carries a target
 * attribute, so this file builds without -mavx2 and its code only runs when
 * sk__kernels_pick() has seen the CPU support it. */
#include "kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma")))
#define SIMD(name) avx2_##name
#define V __m256
#define VW 8
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(x) _mm256_set1_ps(x)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_BCAST(p) _mm256_broadcast_ss(p)
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_SUB(a, b) _mm256_sub_ps((a), (b))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_DIV(a, b) _mm256_div_ps((a), (b))
#define V_MIN(a, b) _mm256_min_ps((a), (b))
#define V_MAX(a, b) _mm256_max_ps((a), (b))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_ROUND(v) _mm256_round_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_POW2I(v)                                                            \
    _mm256_castsi256_ps(_mm256_slli_epi32(                                    \
        _mm256_add_epi32(_mm256_cvtps_epi32(v), _mm256_set1_epi32(127)), 23))

#include "kernels_simd.h"

const sk__kernels sk__kernels_avx2 = {
    .name = "avx2",
    .vw = VW,
    .nr_mm = MM_NV * VW,
    .nr_mv = MV_NV * VW,
    .mm_rows = MVMM_MR,
    .nv_st = ST_NV,
    .matmul = avx2_matmul,
    .matvec = avx2_matvec,
    .matvec_n = avx2_matvec_n,
    .matvec_mm = avx2_matvec_mm,
    .gru_gates = avx2_gru_gates,
    .lstm_gates = avx2_lstm_gates,
    .stream_conv = avx2_stream_conv,
    .relu_add = avx2_relu_add,
    .fma_loop = avx2_fma_loop,
};

#else
/* Not x86-64: the set exists but sk__kernels_get never returns it. */
const sk__kernels sk__kernels_avx2 = {.name = "avx2", .vw = 8};
#endif
