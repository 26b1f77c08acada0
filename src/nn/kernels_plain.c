/* The plain C kernels of inference (the reference the vector sets are tested
 * against), weight packing, and the run-time choice of a kernel set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

size_t sk__pack_size(int K, int N, int nr)
{
    (void)nr;
    return (size_t)K * (size_t)N;
}

void sk__pack(float *dst, const float *b, int K, int N, int nr)
{
    for (int n0 = 0; n0 < N; n0 += nr) {
        int w = N - n0 < nr ? N - n0 : nr;
        float *p = dst + (size_t)n0 * (size_t)K;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < w; j++)
                p[(size_t)k * w + j] = b[(size_t)k * N + n0 + j];
    }
}

/* Plain panel widths: any value works; these match the AVX2 set's so the
 * two pack alike. */
#define PLAIN_NR_MM 16
#define PLAIN_NR_MV 32
#define PLAIN_NV_ST 64 /* stream_conv block width (vw 1: floats) */

void sk__pack_stream(float *dst, const float *b, int G, int K, int Np,
                     const sk__kernels *ks)
{
    int vw = ks->vw, g0, ng, v0, nv;
    for (int i = 0; sk__stream_block(i, G, Np / vw, ks->nv_st, &g0, &ng, &v0, &nv); i++) {
        int w = nv * vw, n0 = v0 * vw;
        for (int k = 0; k < K; k++)
            for (int gi = 0; gi < ng; gi++) {
                memcpy(dst, b + ((size_t)(g0 + gi) * K + k) * Np + n0,
                       (size_t)w * sizeof *dst);
                dst += w;
            }
    }
}

static void plain_matmul(float *c, int ldc, const float *a, int lda,
                         const float *bp, const float *bias, int M, int K,
                         int N)
{
    for (int n0 = 0; n0 < N; n0 += PLAIN_NR_MM) {
        int w = N - n0 < PLAIN_NR_MM ? N - n0 : PLAIN_NR_MM;
        const float *p = bp + (size_t)n0 * (size_t)K;
        for (int i = 0; i < M; i++) {
            float *ci = c + (size_t)i * ldc + n0;
            const float *ai = a + (size_t)i * lda;
            for (int j = 0; j < w; j++)
                ci[j] = bias ? bias[n0 + j] : 0.0f;
            for (int k = 0; k < K; k++)
                for (int j = 0; j < w; j++)
                    ci[j] += ai[k] * p[(size_t)k * w + j];
        }
    }
}

/* rev: every chain over k from K - 1 down to 0 (the vector sets reverse
 * their full panels' chains; the order of the panels changes nothing
 * here). */
static void plain_matvec(float *y, const float *x, const float *bp,
                         const float *bias, int K, int N, int rev)
{
    for (int n0 = 0; n0 < N; n0 += PLAIN_NR_MV) {
        int w = N - n0 < PLAIN_NR_MV ? N - n0 : PLAIN_NR_MV;
        const float *p = bp + (size_t)n0 * (size_t)K;
        for (int j = 0; j < w; j++)
            y[n0 + j] = bias ? bias[n0 + j] : 0.0f;
        for (int i = 0; i < K; i++) {
            int k = rev ? K - 1 - i : i;
            for (int j = 0; j < w; j++)
                y[n0 + j] += x[k] * p[(size_t)k * w + j];
        }
    }
}

static void plain_matvec_n(float *y, int ldy, const float *x, int ldx, int n,
                           const float *bp, const float *bias, int K, int N,
                           int rev)
{
    for (int i = 0; i < n; i++)
        plain_matvec(y + (size_t)i * ldy, x + (size_t)i * ldx, bp, bias, K, N,
                     rev);
}

static void plain_matvec_mm(float *y, const float *x, const float *bpv,
                            const float *biasv, int K, int N, float *c, int ldc,
                            const float *a, int lda, const float *bpm,
                            const float *biasm, int Km, const sk__mm_unit *u,
                            int nu, int rev)
{
    plain_matvec(y, x, bpv, biasv, K, N, rev);
    for (int i = 0; i < nu; i++)
        plain_matmul(c + (size_t)u[i].row * ldc + u[i].col, ldc,
                     a + (size_t)u[i].row * lda, lda,
                     bpm + (size_t)u[i].col * Km, biasm ? biasm + u[i].col : NULL,
                     u[i].rows, Km, PLAIN_NR_MM);
}

/* Block by block as the vector sets run them; each output one chain from
 * its bias over (j, c) in order. */
static void plain_stream_conv(float *y, const float *const *x, int taps,
                              int cin, const float *bp, const float *bias,
                              int G, int Np)
{
    int g0, ng, v0, nv;
    for (int i = 0; sk__stream_block(i, G, Np, PLAIN_NV_ST, &g0, &ng, &v0, &nv); i++) {
        for (int gi = 0; gi < ng; gi++)
            for (int n = 0; n < nv; n++)
                y[(size_t)(g0 + gi) * Np + v0 + n] = bias[(size_t)(g0 + gi) * Np + v0 + n];
        for (int j = 0; j < taps; j++)
            for (int c = 0; c < cin; c++)
                for (int gi = 0; gi < ng; gi++) {
                    float xv = x[j][(size_t)(g0 + gi) * cin + c];
                    float *yg = y + (size_t)(g0 + gi) * Np + v0;
                    for (int n = 0; n < nv; n++)
                        yg[n] += xv * bp[n];
                    bp += nv;
                }
    }
}

static float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

static void plain_gru_gates(float *h, const float *gi, float *gh, int H)
{
    for (int j = 0; j < H; j++) {
        float r = sigmoidf(gi[j] + gh[j]);
        float z = sigmoidf(gi[H + j] + gh[H + j]);
        float n = tanhf(gi[2 * H + j] + r * gh[2 * H + j]);
        h[j] = (1.0f - z) * n + z * h[j];
    }
}

static void plain_lstm_gates(float *h, float *c, const float *gi, float *gh,
                             int H)
{
    for (int j = 0; j < H; j++) {
        float i = sigmoidf(gi[j] + gh[j]);
        float f = sigmoidf(gi[H + j] + gh[H + j]);
        float g = tanhf(gi[2 * H + j] + gh[2 * H + j]);
        float o = sigmoidf(gi[3 * H + j] + gh[3 * H + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * tanhf(c[j]);
    }
}

static void plain_relu_add(float *out, const float *in, const float *res, int n)
{
    for (int j = 0; j < n; j++) {
        float v = in[j] > 0.0f ? in[j] : 0.0f;
        out[j] = res ? v + res[j] : v;
    }
}

static double plain_fma_loop(long iters, float *sink)
{
    float a[8] = {1.0f, 1.1f, 1.2f, 1.3f, 1.4f, 1.5f, 1.6f, 1.7f};
    const float m = 0.999999f, d = 1e-7f;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < 8; j++)
            a[j] = a[j] * m + d;
    float s = 0;
    for (int j = 0; j < 8; j++)
        s += a[j];
    *sink = s;
    return 2.0 * 8.0 * (double)iters;
}

const sk__kernels sk__kernels_plain = {
    .name = "plain",
    .vw = 1,
    .nr_mm = PLAIN_NR_MM,
    .nr_mv = PLAIN_NR_MV,
    .mm_rows = 3,
    .nv_st = PLAIN_NV_ST,
    .matmul = plain_matmul,
    .matvec = plain_matvec,
    .matvec_n = plain_matvec_n,
    .matvec_mm = plain_matvec_mm,
    .gru_gates = plain_gru_gates,
    .lstm_gates = plain_lstm_gates,
    .stream_conv = plain_stream_conv,
    .relu_add = plain_relu_add,
    .fma_loop = plain_fma_loop,
};

/* ---- run-time choice ------------------------------------------------------ */

static int cpu_runs(const sk__kernels *k)
{
    if (!k->matmul) /* a vector set not built for this architecture */
        return 0;
#if defined(__x86_64__)
    if (k == &sk__kernels_avx512)
        return __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("fma");
    if (k == &sk__kernels_avx2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return k == &sk__kernels_plain;
}

const sk__kernels *sk__kernels_get(const char *name)
{
    const sk__kernels *all[] = {&sk__kernels_plain, &sk__kernels_avx2,
                                &sk__kernels_avx512};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (name && strcmp(name, all[i]->name) == 0)
            return cpu_runs(all[i]) ? all[i] : NULL;
    return NULL;
}

const sk__kernels *sk__kernels_pick(void)
{
    const sk__kernels *k = sk__kernels_get(getenv("SK_KERNELS"));
    if (k)
        return k;
    if ((k = sk__kernels_get("avx512")))
        return k;
    if ((k = sk__kernels_get("avx2")))
        return k;
    return &sk__kernels_plain;
}
