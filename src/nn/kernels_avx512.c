/* The AVX-512 kernels of inference (16 floats per vector): the template in
 * kernels_simd.h over AVX-512F intrinsics. Each function carries a target
 * attribute, so this file builds without -mavx512f and its code only runs when
 * sk__kernels_pick() has seen the CPU support it. */
#include "kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512vl,avx512dq,fma")))
#define SIMD(name) avx512_##name
#define V __m512
#define VW 16
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(x) _mm512_set1_ps(x)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_BCAST(p) _mm512_set1_ps(*(p))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_SUB(a, b) _mm512_sub_ps((a), (b))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_DIV(a, b) _mm512_div_ps((a), (b))
#define V_MIN(a, b) _mm512_min_ps((a), (b))
#define V_MAX(a, b) _mm512_max_ps((a), (b))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_ROUND(v) _mm512_roundscale_ps((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define V_POW2I(v)                                                            \
    _mm512_castsi512_ps(_mm512_slli_epi32(                                    \
        _mm512_add_epi32(_mm512_cvtps_epi32(v), _mm512_set1_epi32(127)), 23))
/* One instruction for y * 2^n; 1 / d as a 14-bit estimate and one Newton
 * step (r + r * (1 - d * r)): the gates' divisions were the longest part
 * of a step's gate arithmetic. Not bit-identical to a division (within an
 * ulp); batch and single inference use the same code, so they agree. */
#define V_SCALE2(y, n) _mm512_scalef_ps((y), (n))
static inline __attribute__((always_inline)) TGT __m512 avx512_recip(__m512 d)
{
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_fmadd_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(1.0f)), r);
}
#define V_RECIP(d) avx512_recip(d)

/* 32 vector registers: matvec_mm blocks of 6 rows (4 + 12 accumulators).
 * The blocks' 12 multiply-adds per weight pair keep the FMA units busy
 * while the matrix-vector product's weights stream from L2; with 3-row
 * blocks the interleaved loop ran no faster than the two apart. */
#define MVMM_MR 6
/* matmul's last 3 or 2 rows over 4 panels at once (24 or 16 accumulators):
 * tcn's layers of 3 rows ran at 140 GFLOP/s over 2 panels, 180 over 4. */
#define MM_TAIL3_NP 4
#define MM_TAIL2_NP 4
#include "kernels_simd.h"

const sk__kernels sk__kernels_avx512 = {
    .name = "avx512",
    .vw = VW,
    .nr_mm = MM_NV * VW,
    .nr_mv = MV_NV * VW,
    .mm_rows = MVMM_MR,
    .nv_st = ST_NV,
    .matmul = avx512_matmul,
    .matvec = avx512_matvec,
    .matvec_n = avx512_matvec_n,
    .matvec_mm = avx512_matvec_mm,
    .gru_gates = avx512_gru_gates,
    .lstm_gates = avx512_lstm_gates,
    .stream_conv = avx512_stream_conv,
    .relu_add = avx512_relu_add,
    .fma_loop = avx512_fma_loop,
};

#else
/* Not x86-64: the set exists but sk__kernels_get never returns it. */
const sk__kernels sk__kernels_avx512 = {.name = "avx512", .vw = 16};
#endif
