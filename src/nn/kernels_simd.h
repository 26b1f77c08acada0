/* Internal template: the vector kernels of inference, written once over a
 * small set of vector macros and included by kernels_avx2.c (8 floats) and
 * kernels_avx512.c (16 floats). The includer defines:
 *
 *   SIMD(name)      the function name for this set (e.g. avx2_##name)
 *   TGT             the target attribute of every function
 *   V, VW           the vector type and its float count
 *   V_ZERO(), V_SET1(x), V_LOAD(p), V_STORE(p, v), V_BCAST(p)
 *   V_ADD, V_SUB, V_MUL, V_DIV, V_MIN, V_MAX, V_FMA(a, b, c) = a * b + c
 *   V_ROUND(v)      round to nearest integer (as float)
 *   V_POW2I(v)      2^v for integral v in [-126, 127]
 *
 * Arithmetic is IEEE single precision throughout; sums are accumulated in a
 * different order than the plain kernels and exp is a polynomial (about 1 ulp
 * over its range), so results agree with the plain set to rounding, not bit
 * for bit. The test compares them.
 */

#define MM_NV 2 /* vectors per matmul panel: nr_mm = 2 * VW */
#define MV_NV 4 /* vectors per matvec panel: nr_mv = 4 * VW (L2-bound: 4 chains keep up) */

/* Small constant loops over registers must unroll fully, so the arrays of
 * accumulators live in registers. */
#ifndef SIMD_UNROLL
#if defined(__clang__)
#define SIMD_UNROLL _Pragma("unroll")
#else
#define SIMD_UNROLL _Pragma("GCC unroll 16")
#endif
#endif

/* One block of matmul: MR rows x NV vectors of one panel (width w = NV*VW
 * or the panel's full width), with the K loop split KU ways so that short
 * blocks still keep enough independent FMA chains in flight. */
static inline __attribute__((always_inline)) TGT void
SIMD(mm_block)(float *c, int ldc, const float *a, int lda, const float *p,
               int w, const float *bias, int K, const int MR, const int NV,
               const int KU)
{
    V acc[4][6][MM_NV];
    SIMD_UNROLL
    for (int u = 0; u < KU; u++)
        SIMD_UNROLL
        for (int r = 0; r < MR; r++)
            SIMD_UNROLL
            for (int v = 0; v < NV; v++)
                acc[u][r][v] = (u == 0 && bias) ? V_LOAD(bias + v * VW) : V_ZERO();
    int k = 0;
    for (; k + KU <= K; k += KU) {
        SIMD_UNROLL
        for (int u = 0; u < KU; u++) {
            V b[MM_NV];
            SIMD_UNROLL
            for (int v = 0; v < NV; v++)
                b[v] = V_LOAD(p + (size_t)(k + u) * w + v * VW);
            SIMD_UNROLL
            for (int r = 0; r < MR; r++) {
                V x = V_BCAST(a + (size_t)r * lda + k + u);
                SIMD_UNROLL
                for (int v = 0; v < NV; v++)
                    acc[u][r][v] = V_FMA(x, b[v], acc[u][r][v]);
            }
        }
    }
    for (; k < K; k++) {
        V b[MM_NV];
        SIMD_UNROLL
        for (int v = 0; v < NV; v++)
            b[v] = V_LOAD(p + (size_t)k * w + v * VW);
        SIMD_UNROLL
        for (int r = 0; r < MR; r++) {
            V x = V_BCAST(a + (size_t)r * lda + k);
            SIMD_UNROLL
            for (int v = 0; v < NV; v++)
                acc[0][r][v] = V_FMA(x, b[v], acc[0][r][v]);
        }
    }
    SIMD_UNROLL
    for (int r = 0; r < MR; r++)
        SIMD_UNROLL
        for (int v = 0; v < NV; v++) {
            V s = acc[0][r][v];
            SIMD_UNROLL
            for (int u = 1; u < KU; u++)
                s = V_ADD(s, acc[u][r][v]);
            V_STORE(c + (size_t)r * ldc + v * VW, s);
        }
}

/* All rows of one panel of NV vectors. */
static inline __attribute__((always_inline)) TGT void
SIMD(mm_panel)(float *c, int ldc, const float *a, int lda, const float *p,
               const float *bias, int M, int K, const int NV)
{
    int w = NV * VW, i = 0;
    for (; i + 6 <= M; i += 6)
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, bias, K, 6, NV, 1);
    switch (M - i) {
    case 5:
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, bias, K, 5, NV, 1);
        break;
    case 4:
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, bias, K, 4, NV, 1);
        break;
    case 3:
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, bias, K, 3, NV, 2);
        break;
    case 2:
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, bias, K, 2, NV, 2);
        break;
    case 1:
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, bias, K, 1, NV, 4);
        break;
    }
}

static TGT void SIMD(matmul)(float *c, int ldc, const float *a, int lda,
                             const float *bp, const float *bias, int M, int K,
                             int N)
{
    const int nr = MM_NV * VW;
    for (int n0 = 0; n0 < N; n0 += nr) {
        const float *p = bp + (size_t)n0 * (size_t)K;
        const float *b = bias ? bias + n0 : NULL;
        if (N - n0 >= nr)
            SIMD(mm_panel)(c + n0, ldc, a, lda, p, b, M, K, MM_NV);
        else
            SIMD(mm_panel)(c + n0, ldc, a, lda, p, b, M, K, 1);
    }
}

static TGT void SIMD(matvec)(float *y, const float *x, const float *bp,
                             const float *bias, int K, int N)
{
    const int nr = MV_NV * VW;
    int n0 = 0;
    for (; n0 + nr <= N; n0 += nr) {
        const float *p = bp + (size_t)n0 * (size_t)K;
        V acc[MV_NV];
        SIMD_UNROLL
        for (int v = 0; v < MV_NV; v++)
            acc[v] = bias ? V_LOAD(bias + n0 + v * VW) : V_ZERO();
        for (int k = 0; k < K; k++) {
            V xk = V_BCAST(x + k);
            SIMD_UNROLL
            for (int v = 0; v < MV_NV; v++)
                acc[v] = V_FMA(xk, V_LOAD(p + (size_t)k * nr + v * VW), acc[v]);
        }
        SIMD_UNROLL
        for (int v = 0; v < MV_NV; v++)
            V_STORE(y + n0 + v * VW, acc[v]);
    }
    if (n0 < N) {
        /* The last, narrower panel: one vector column at a time, the K loop
         * split four ways. */
        int w = N - n0;
        const float *p = bp + (size_t)n0 * (size_t)K;
        for (int j = 0; j < w; j += VW) {
            V a0 = bias ? V_LOAD(bias + n0 + j) : V_ZERO();
            V a1 = V_ZERO(), a2 = V_ZERO(), a3 = V_ZERO();
            int k = 0;
            for (; k + 4 <= K; k += 4) {
                a0 = V_FMA(V_BCAST(x + k), V_LOAD(p + (size_t)k * w + j), a0);
                a1 = V_FMA(V_BCAST(x + k + 1), V_LOAD(p + (size_t)(k + 1) * w + j), a1);
                a2 = V_FMA(V_BCAST(x + k + 2), V_LOAD(p + (size_t)(k + 2) * w + j), a2);
                a3 = V_FMA(V_BCAST(x + k + 3), V_LOAD(p + (size_t)(k + 3) * w + j), a3);
            }
            for (; k < K; k++)
                a0 = V_FMA(V_BCAST(x + k), V_LOAD(p + (size_t)k * w + j), a0);
            V_STORE(y + n0 + j, V_ADD(V_ADD(a0, a1), V_ADD(a2, a3)));
        }
    }
}

/* One matvec panel (MV_NV vectors, rows nr apart) over K, and, in the same
 * loop, one 3-row block of a matmul panel over Km. */
static inline __attribute__((always_inline)) TGT void
SIMD(mv_panel_mm)(float *y, const float *x, const float *p, int nr,
                 const float *bias, int K, float *c, int ldc, const float *a,
                 int lda, const float *pm, const float *biasm, int Km,
                 const int with_mm)
{
    enum { NH = MV_NV };
    V acc[NH], cc[3][MM_NV];
    SIMD_UNROLL
    for (int v = 0; v < NH; v++)
        acc[v] = bias ? V_LOAD(bias + v * VW) : V_ZERO();
    SIMD_UNROLL
    for (int r = 0; r < 3; r++)
        SIMD_UNROLL
        for (int v = 0; v < MM_NV; v++)
            cc[r][v] = with_mm && biasm ? V_LOAD(biasm + v * VW) : V_ZERO();
    const int wm = MM_NV * VW;
    int kc = with_mm && Km < K ? Km : K, k = 0;
    for (; k < kc; k++) {
        V xk = V_BCAST(x + k);
        SIMD_UNROLL
        for (int v = 0; v < NH; v++)
            acc[v] = V_FMA(xk, V_LOAD(p + (size_t)k * nr + v * VW), acc[v]);
        if (with_mm) {
            V b[MM_NV];
            SIMD_UNROLL
            for (int v = 0; v < MM_NV; v++)
                b[v] = V_LOAD(pm + (size_t)k * wm + v * VW);
            SIMD_UNROLL
            for (int r = 0; r < 3; r++) {
                V xr = V_BCAST(a + (size_t)r * lda + k);
                SIMD_UNROLL
                for (int v = 0; v < MM_NV; v++)
                    cc[r][v] = V_FMA(xr, b[v], cc[r][v]);
            }
        }
    }
    for (; k < K; k++) {
        V xk = V_BCAST(x + k);
        SIMD_UNROLL
        for (int v = 0; v < NH; v++)
            acc[v] = V_FMA(xk, V_LOAD(p + (size_t)k * nr + v * VW), acc[v]);
    }
    SIMD_UNROLL
    for (int v = 0; v < NH; v++)
        V_STORE(y + v * VW, acc[v]);
    if (!with_mm)
        return;
    for (k = kc; k < Km; k++) {
        V b[MM_NV];
        SIMD_UNROLL
        for (int v = 0; v < MM_NV; v++)
            b[v] = V_LOAD(pm + (size_t)k * wm + v * VW);
        SIMD_UNROLL
        for (int r = 0; r < 3; r++) {
            V xr = V_BCAST(a + (size_t)r * lda + k);
            SIMD_UNROLL
            for (int v = 0; v < MM_NV; v++)
                cc[r][v] = V_FMA(xr, b[v], cc[r][v]);
        }
    }
    SIMD_UNROLL
    for (int r = 0; r < 3; r++)
        SIMD_UNROLL
        for (int v = 0; v < MM_NV; v++)
            V_STORE(c + (size_t)r * ldc + v * VW, cc[r][v]);
}

static TGT void SIMD(matvec_mm)(float *y, const float *x, const float *bpv,
                                const float *biasv, int K, int N, float *c,
                                int ldc, const float *a, int lda,
                                const float *bpm, const float *biasm, int Km,
                                const sk__mm_unit *u, int nu)
{
    const int nr = MV_NV * VW, nrm = MM_NV * VW;
    int i = 0, n0 = 0;
    for (; n0 + nr <= N; n0 += nr) {
        const float *p = bpv + (size_t)n0 * (size_t)K;
        const float *bh = biasv ? biasv + n0 : NULL;
        for (; i < nu && u[i].rows != 3; i++) /* short blocks: alone */
            SIMD(matmul)(c + (size_t)u[i].row * ldc + u[i].col, ldc,
                         a + (size_t)u[i].row * lda, lda,
                         bpm + (size_t)u[i].col * Km,
                         biasm ? biasm + u[i].col : NULL, u[i].rows, Km, nrm);
        if (i < nu) {
            SIMD(mv_panel_mm)(y + n0, x, p, nr, bh, K,
                              c + (size_t)u[i].row * ldc + u[i].col, ldc,
                              a + (size_t)u[i].row * lda, lda,
                              bpm + (size_t)u[i].col * Km,
                              biasm ? biasm + u[i].col : NULL, Km, 1);
            i++;
        } else {
            SIMD(mv_panel_mm)(y + n0, x, p, nr, bh, K, NULL, 0, NULL, 0, NULL,
                              NULL, 0, 0);
        }
    }
    if (n0 < N) /* the narrower last panel */
        SIMD(matvec)(y + n0, x, bpv + (size_t)n0 * (size_t)K,
                     biasv ? biasv + n0 : NULL, K, N - n0);
    for (; i < nu; i++)
        SIMD(matmul)(c + (size_t)u[i].row * ldc + u[i].col, ldc,
                     a + (size_t)u[i].row * lda, lda, bpm + (size_t)u[i].col * Km,
                     biasm ? biasm + u[i].col : NULL, u[i].rows, Km, nrm);
}

/* e^x for single precision (Cephes expf: range reduction by ln 2 in two
 * parts, degree-5 polynomial); x is clamped so the result stays a normal
 * number or a finite large one. */
static inline __attribute__((always_inline)) TGT V SIMD(exp)(V x)
{
    x = V_MIN(V_MAX(x, V_SET1(-87.3f)), V_SET1(88.3f));
    V fx = V_ROUND(V_MUL(x, V_SET1(1.44269504088896341f)));
    V r = V_FMA(fx, V_SET1(-0.693359375f), x);
    r = V_FMA(fx, V_SET1(2.12194440e-4f), r);
    V p = V_SET1(1.9875691500e-4f);
    p = V_FMA(p, r, V_SET1(1.3981999507e-3f));
    p = V_FMA(p, r, V_SET1(8.3334519073e-3f));
    p = V_FMA(p, r, V_SET1(4.1665795894e-2f));
    p = V_FMA(p, r, V_SET1(1.6666665459e-1f));
    p = V_FMA(p, r, V_SET1(5.0000001201e-1f));
    V y = V_FMA(p, V_MUL(r, r), V_ADD(r, V_SET1(1.0f)));
    return V_MUL(y, V_POW2I(fx));
}

static inline __attribute__((always_inline)) TGT V SIMD(sigmoid)(V x)
{
    V one = V_SET1(1.0f);
    return V_DIV(one, V_ADD(one, SIMD(exp)(V_SUB(V_ZERO(), x))));
}

/* tanh x = 2 / (1 + e^(-2x)) - 1: exact limits -1 and 1, absolute error a
 * few 1e-8 near 0. */
static inline __attribute__((always_inline)) TGT V SIMD(tanh)(V x)
{
    V one = V_SET1(1.0f);
    V e = SIMD(exp)(V_MUL(x, V_SET1(-2.0f)));
    return V_SUB(V_DIV(V_SET1(2.0f), V_ADD(one, e)), one);
}

/* The gate arithmetic runs in passes over whole vectors of gates rather than
 * one hidden unit at a time: every iteration of a pass is independent, so
 * the out-of-order core overlaps the long exp/divide chains of many units
 * (one unit at a time is latency-bound). gh is overwritten. */
static TGT void SIMD(gru_gates)(float *h, const float *gi, float *gh, int H)
{
    for (int j = 0; j < 2 * H; j += VW) /* r and z: sigmoid, into gh */
        V_STORE(gh + j, SIMD(sigmoid)(V_ADD(V_LOAD(gi + j), V_LOAD(gh + j))));
    for (int j = 0; j < H; j += VW) {
        V r = V_LOAD(gh + j), z = V_LOAD(gh + H + j);
        V n = SIMD(tanh)(V_FMA(r, V_LOAD(gh + 2 * H + j), V_LOAD(gi + 2 * H + j)));
        V hp = V_LOAD(h + j);
        /* (1 - z) * n + z * h = n + z * (h - n) */
        V_STORE(h + j, V_FMA(z, V_SUB(hp, n), n));
    }
}

static TGT void SIMD(lstm_gates)(float *h, float *c, const float *gi, float *gh,
                                 int H)
{
    for (int j = 0; j < 2 * H; j += VW) /* i and f */
        V_STORE(gh + j, SIMD(sigmoid)(V_ADD(V_LOAD(gi + j), V_LOAD(gh + j))));
    for (int j = 2 * H; j < 3 * H; j += VW) /* g */
        V_STORE(gh + j, SIMD(tanh)(V_ADD(V_LOAD(gi + j), V_LOAD(gh + j))));
    for (int j = 3 * H; j < 4 * H; j += VW) /* o */
        V_STORE(gh + j, SIMD(sigmoid)(V_ADD(V_LOAD(gi + j), V_LOAD(gh + j))));
    for (int j = 0; j < H; j += VW) {
        V i = V_LOAD(gh + j), f = V_LOAD(gh + H + j);
        V g = V_LOAD(gh + 2 * H + j), o = V_LOAD(gh + 3 * H + j);
        V cn = V_FMA(f, V_LOAD(c + j), V_MUL(i, g));
        V_STORE(c + j, cn);
        V_STORE(h + j, V_MUL(o, SIMD(tanh)(cn)));
    }
}

static TGT void SIMD(relu_add)(float *out, const float *in, const float *res,
                               int n)
{
    for (int j = 0; j < n; j += VW) {
        V v = V_MAX(V_LOAD(in + j), V_ZERO());
        V_STORE(out + j, res ? V_ADD(v, V_LOAD(res + j)) : v);
    }
}

/* Twelve independent FMA chains: enough to fill two FMA pipes of latency
 * up to six cycles. */
static TGT double SIMD(fma_loop)(long iters, float *sink)
{
    V a0 = V_SET1(1.0f), a1 = V_SET1(1.1f), a2 = V_SET1(1.2f), a3 = V_SET1(1.3f);
    V a4 = V_SET1(1.4f), a5 = V_SET1(1.5f), a6 = V_SET1(1.6f), a7 = V_SET1(1.7f);
    V a8 = V_SET1(1.8f), a9 = V_SET1(1.9f), a10 = V_SET1(2.0f), a11 = V_SET1(2.1f);
    V m = V_SET1(0.999999f), d = V_SET1(1e-7f);
    for (long i = 0; i < iters; i++) {
        a0 = V_FMA(a0, m, d); a1 = V_FMA(a1, m, d); a2 = V_FMA(a2, m, d);
        a3 = V_FMA(a3, m, d); a4 = V_FMA(a4, m, d); a5 = V_FMA(a5, m, d);
        a6 = V_FMA(a6, m, d); a7 = V_FMA(a7, m, d); a8 = V_FMA(a8, m, d);
        a9 = V_FMA(a9, m, d); a10 = V_FMA(a10, m, d); a11 = V_FMA(a11, m, d);
    }
    V s = V_ADD(V_ADD(V_ADD(a0, a1), V_ADD(a2, a3)), V_ADD(V_ADD(a4, a5), V_ADD(a6, a7)));
    s = V_ADD(s, V_ADD(V_ADD(a8, a9), V_ADD(a10, a11)));
    float tmp[VW];
    V_STORE(tmp, s);
    float t = 0;
    for (int j = 0; j < VW; j++)
        t += tmp[j];
    *sink = t;
    return 2.0 * 12.0 * VW * (double)iters;
}
