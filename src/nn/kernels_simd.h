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
 * and may define (else they are built from the above):
 *
 *   V_SCALE2(y, n)  y * 2^n for integral n (as float) in [-126, 127]
 *   V_RECIP(d)      1 / d for d >= 1 (finite), to within an ulp
 *
 * Arithmetic is IEEE single precision throughout; sums are fused
 * multiply-adds (the plain set rounds the product and the sum apart) and exp
 * is a polynomial (about 1 ulp over its range), so results agree with the
 * plain set to rounding, not bit for bit. The test compares them. Within a
 * set, each output of the matrix products is one chain from its bias over k
 * in order, however the rows are blocked (kernels.h: Rounding).
 */

#define MM_NV 2 /* vectors per matmul panel: nr_mm = 2 * VW */
#define MV_NV 4 /* vectors per matvec panel: nr_mv = 4 * VW (L2-bound: 4 chains keep up) */
#ifndef MVMM_MR
#define MVMM_MR 3 /* rows of a matvec_mm block at most (3 or 6) */
#endif
_Static_assert(MVMM_MR == 3 || MVMM_MR == 6, "matvec_mm has cases for 3 or 6 rows");

/* Small constant loops over registers must unroll fully, so the arrays of
 * accumulators live in registers. */
#ifndef SIMD_UNROLL
#if defined(__clang__)
#define SIMD_UNROLL _Pragma("unroll")
#else
#define SIMD_UNROLL _Pragma("GCC unroll 16")
#endif
#endif

/* One block of matmul: MR rows x NP panels of NV vectors each (panel
 * width w, panels ps floats apart). Every output is one chain of fused
 * multiply-adds from its bias over k in order (rev: from K - 1 down to 0;
 * only matvec_n asks for it), whatever MR, NV and NP: the
 * result of a row never depends on how rows and panels were blocked (batch
 * inference relies on it). Short blocks keep enough independent chains in
 * flight by spanning several panels (NP), not by splitting k. Registers:
 * MR * NP * NV accumulators + NV weights + 1 broadcast, at most 15 on AVX2
 * except matvec_n's 3-row block (12 + 4 + 1: the compiler reads one weight
 * vector from memory; no spills); on AVX-512 (32 registers) up to 27, in
 * the 3-row tail of matmul over 4 panels. */
static inline __attribute__((always_inline)) TGT void
SIMD(mm_block)(float *c, int ldc, const float *a, int lda, const float *p,
               int w, size_t ps, const float *bias, int K, int rev,
               const int MR, const int NV, const int NP)
{
    V acc[6][4][MV_NV];
    SIMD_UNROLL
    for (int r = 0; r < MR; r++)
        SIMD_UNROLL
        for (int q = 0; q < NP; q++)
            SIMD_UNROLL
            for (int v = 0; v < NV; v++)
                acc[r][q][v] = bias ? V_LOAD(bias + q * w + v * VW) : V_ZERO();
    /* k walks the weights' rows pk by dp and the inputs ak by dk */
    const int dk = rev ? -1 : 1;
    const ptrdiff_t dp = rev ? -(ptrdiff_t)w : w;
    const float *pk = p + (rev ? (size_t)(K - 1) * w : 0);
    const float *ak = a + (rev ? K - 1 : 0);
    for (int i = 0; i < K; i++, pk += dp, ak += dk) {
        SIMD_UNROLL
        for (int q = 0; q < NP; q++) {
            V b[MV_NV];
            SIMD_UNROLL
            for (int v = 0; v < NV; v++)
                b[v] = V_LOAD(pk + q * ps + v * VW);
            SIMD_UNROLL
            for (int r = 0; r < MR; r++) {
                V x = V_BCAST(ak + (size_t)r * lda);
                SIMD_UNROLL
                for (int v = 0; v < NV; v++)
                    acc[r][q][v] = V_FMA(x, b[v], acc[r][q][v]);
            }
        }
    }
    SIMD_UNROLL
    for (int r = 0; r < MR; r++)
        SIMD_UNROLL
        for (int q = 0; q < NP; q++)
            SIMD_UNROLL
            for (int v = 0; v < NV; v++)
                V_STORE(c + (size_t)r * ldc + q * w + v * VW, acc[r][q][v]);
}

/* Rows [i, i + MR) of panels [q, q1) (full width, MM_NV vectors), NP
 * panels at a time and the leftover one by one. */
static inline __attribute__((always_inline)) TGT void
SIMD(mm_rows)(float *c, int ldc, const float *a, int lda, const float *bp,
              const float *bias, int K, int q, int q1, const int MR,
              const int NP)
{
    const int nr = MM_NV * VW;
    const size_t ps = (size_t)nr * (size_t)K;
    for (; q + NP <= q1; q += NP)
        SIMD(mm_block)(c + q * nr, ldc, a, lda, bp + q * ps, nr, ps,
                       bias ? bias + q * nr : NULL, K, 0, MR, MM_NV, NP);
    for (; q < q1; q++)
        SIMD(mm_block)(c + q * nr, ldc, a, lda, bp + q * ps, nr, ps,
                       bias ? bias + q * nr : NULL, K, 0, MR, MM_NV, 1);
}

/* mm_rows for the 1 to 3 rows matmul leaves after its 6-row blocks, NP
 * panels at a time (MM_TAILn_NP for n rows), each in a function of its own:
 * inlined into matmul, with the rest of its live values, the compiler ran
 * out of registers and kept a weight vector on the stack (the 3-row loop
 * ran a third slower). */
#ifndef MM_TAIL3_NP
#define MM_TAIL3_NP 2
#endif
#ifndef MM_TAIL2_NP
#define MM_TAIL2_NP 3
#endif
#ifndef MM_TAIL1_NP
#define MM_TAIL1_NP 4
#endif
#define MM_TAIL(R, NP)                                                        \
    static __attribute__((noinline)) TGT void SIMD(mm_tail##R)(               \
        float *c, int ldc, const float *a, int lda, const float *bp,          \
        const float *bias, int K, int nq)                                     \
    {                                                                         \
        SIMD(mm_rows)(c, ldc, a, lda, bp, bias, K, 0, nq, R, NP);             \
    }
MM_TAIL(3, MM_TAIL3_NP)
MM_TAIL(2, MM_TAIL2_NP)
MM_TAIL(1, MM_TAIL1_NP)
#undef MM_TAIL

/* All M rows of one panel of NV vectors: blocks of 6, then one of the
 * rest (matmul leaves 1 to 3 rest rows of full panels to mm_rows). */
static inline __attribute__((always_inline)) TGT void
SIMD(mm_panel)(float *c, int ldc, const float *a, int lda, const float *p,
               const float *bias, int M, int K, const int NV)
{
    int w = NV * VW, i = 0;
    size_t ps = (size_t)w * (size_t)K;
    for (; i + 6 <= M; i += 6)
        SIMD(mm_block)(c + (size_t)i * ldc, ldc, a + (size_t)i * lda, lda, p,
                       w, ps, bias, K, 0, 6, NV, 1);
    c += (size_t)i * ldc;
    a += (size_t)i * lda;
    switch (M - i) {
    case 5: SIMD(mm_block)(c, ldc, a, lda, p, w, ps, bias, K, 0, 5, NV, 1); break;
    case 4: SIMD(mm_block)(c, ldc, a, lda, p, w, ps, bias, K, 0, 4, NV, 1); break;
    case 3: SIMD(mm_block)(c, ldc, a, lda, p, w, ps, bias, K, 0, 3, NV, 1); break;
    case 2: SIMD(mm_block)(c, ldc, a, lda, p, w, ps, bias, K, 0, 2, NV, 1); break;
    case 1: SIMD(mm_block)(c, ldc, a, lda, p, w, ps, bias, K, 0, 1, NV, 1); break;
    }
}

static TGT void SIMD(matmul)(float *c, int ldc, const float *a, int lda,
                             const float *bp, const float *bias, int M, int K,
                             int N)
{
    const int nr = MM_NV * VW;
    int nq = N / nr;   /* full panels */
    int tail = M % 6;  /* rows after the 6-row blocks */
    if (tail > 3)      /* 4 or 5 rows: enough chains in one panel */
        tail = 0;
    int m6 = M - tail; /* rows done panel by panel */
    for (int q = 0; q < nq; q++) {
        const float *p = bp + (size_t)q * nr * (size_t)K;
        SIMD(mm_panel)(c + q * nr, ldc, a, lda, p, bias ? bias + q * nr : NULL,
                       m6, K, MM_NV);
    }
    /* 1 to 3 rows left: several panels at once. */
    float *ct = c + (size_t)m6 * ldc;
    const float *at = a + (size_t)m6 * lda;
    switch (tail) {
    case 3: SIMD(mm_tail3)(ct, ldc, at, lda, bp, bias, K, nq); break;
    case 2: SIMD(mm_tail2)(ct, ldc, at, lda, bp, bias, K, nq); break;
    case 1: SIMD(mm_tail1)(ct, ldc, at, lda, bp, bias, K, nq); break;
    }
    if (nq * nr < N) /* the narrower last panel */
        SIMD(mm_panel)(c + nq * nr, ldc, a, lda, bp + (size_t)nq * nr * (size_t)K,
                       bias ? bias + nq * nr : NULL, M, K, 1);
}

/* The last, narrower panel of a matvec (w < nr_mv columns): one vector
 * column at a time, the K loop split four ways. */
static inline __attribute__((always_inline)) TGT void
SIMD(mv_tail)(float *y, const float *x, const float *p, const float *bias,
              int K, int w)
{
    for (int j = 0; j < w; j += VW) {
        V a0 = bias ? V_LOAD(bias + j) : V_ZERO();
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
        V_STORE(y + j, V_ADD(V_ADD(a0, a1), V_ADD(a2, a3)));
    }
}

/* The panel that matvec, matvec_n and matvec_mm read j-th (0 <= j < np +
 * (nt > 0)) of np full panels and, if nt > 0, a narrower one (index np):
 * in order, or with rev the narrower one first, then the full ones from
 * last to first. Alternate steps of a recurrence alternate rev: a step
 * then reads first what the step before read last, while it is still in
 * L1 (the recurrent weights are several times larger than L1). */
static inline int SIMD(mv_order)(int j, int np, int nt, int rev)
{
    if (!rev)
        return j;
    if (nt > 0 && j-- == 0)
        return np;
    return np - 1 - j;
}

/* One matvec panel (MV_NV vectors, rows nr apart) over K, with its chains
 * over k in order or with rev from K - 1 down to 0, and, in the same loop,
 * one block of MR rows (MR <= MVMM_MR) of a matmul panel over Km, its
 * chains over k in order whatever rev. */
static inline __attribute__((always_inline)) TGT void
SIMD(mv_panel_mm)(float *y, const float *x, const float *p, int nr,
                 const float *bias, int K, int rev, float *c, int ldc,
                 const float *a, int lda, const float *pm, const float *biasm,
                 int Km, const int MR)
{
    enum { NH = MV_NV };
    V acc[NH], cc[MVMM_MR][MM_NV];
    SIMD_UNROLL
    for (int v = 0; v < NH; v++)
        acc[v] = bias ? V_LOAD(bias + v * VW) : V_ZERO();
    SIMD_UNROLL
    for (int r = 0; r < MR; r++)
        SIMD_UNROLL
        for (int v = 0; v < MM_NV; v++)
            cc[r][v] = biasm ? V_LOAD(biasm + v * VW) : V_ZERO();
    const int wm = MM_NV * VW;
    /* the matvec's k walks xv and pv by dk and dp */
    const float *xv = x + (rev ? K - 1 : 0);
    const float *pv = p + (rev ? (size_t)(K - 1) * nr : 0);
    const int dk = rev ? -1 : 1;
    const ptrdiff_t dp = rev ? -(ptrdiff_t)nr : nr;
    int kc = MR > 0 && Km < K ? Km : K, k = 0;
    for (; k < kc; k++, xv += dk, pv += dp) {
        V xk = V_BCAST(xv);
        SIMD_UNROLL
        for (int v = 0; v < NH; v++)
            acc[v] = V_FMA(xk, V_LOAD(pv + v * VW), acc[v]);
        if (MR > 0) {
            V b[MM_NV];
            SIMD_UNROLL
            for (int v = 0; v < MM_NV; v++)
                b[v] = V_LOAD(pm + (size_t)k * wm + v * VW);
            SIMD_UNROLL
            for (int r = 0; r < MR; r++) {
                V xr = V_BCAST(a + (size_t)r * lda + k);
                SIMD_UNROLL
                for (int v = 0; v < MM_NV; v++)
                    cc[r][v] = V_FMA(xr, b[v], cc[r][v]);
            }
        }
    }
    for (; k < K; k++, xv += dk, pv += dp) {
        V xk = V_BCAST(xv);
        SIMD_UNROLL
        for (int v = 0; v < NH; v++)
            acc[v] = V_FMA(xk, V_LOAD(pv + v * VW), acc[v]);
    }
    SIMD_UNROLL
    for (int v = 0; v < NH; v++)
        V_STORE(y + v * VW, acc[v]);
    if (MR == 0)
        return;
    for (k = kc; k < Km; k++) {
        V b[MM_NV];
        SIMD_UNROLL
        for (int v = 0; v < MM_NV; v++)
            b[v] = V_LOAD(pm + (size_t)k * wm + v * VW);
        SIMD_UNROLL
        for (int r = 0; r < MR; r++) {
            V xr = V_BCAST(a + (size_t)r * lda + k);
            SIMD_UNROLL
            for (int v = 0; v < MM_NV; v++)
                cc[r][v] = V_FMA(xr, b[v], cc[r][v]);
        }
    }
    SIMD_UNROLL
    for (int r = 0; r < MR; r++)
        SIMD_UNROLL
        for (int v = 0; v < MM_NV; v++)
            V_STORE(c + (size_t)r * ldc + v * VW, cc[r][v]);
}

static TGT void SIMD(matvec_mm)(float *y, const float *x, const float *bpv,
                                const float *biasv, int K, int N, float *c,
                                int ldc, const float *a, int lda,
                                const float *bpm, const float *biasm, int Km,
                                const sk__mm_unit *u, int nu, int rev)
{
    const int nr = MV_NV * VW, nrm = MM_NV * VW;
    int np = N / nr, nt = N - np * nr, i = 0; /* i: full panels done */
    for (int j = 0; j < np + (nt > 0); j++) {
        int n0 = SIMD(mv_order)(j, np, nt, rev) * nr;
        if (n0 == np * nr) { /* the narrower panel */
            SIMD(mv_tail)(y + n0, x, bpv + (size_t)n0 * (size_t)K,
                          biasv ? biasv + n0 : NULL, K, nt);
            continue;
        }
        const float *p = bpv + (size_t)n0 * (size_t)K;
        const float *bh = biasv ? biasv + n0 : NULL;
        int rows = i < nu ? u[i].rows : 0;
        float *ci = rows ? c + (size_t)u[i].row * ldc + u[i].col : NULL;
        const float *ai = rows ? a + (size_t)u[i].row * lda : NULL;
        const float *pmi = rows ? bpm + (size_t)u[i].col * Km : NULL;
        const float *bmi = rows && biasm ? biasm + u[i].col : NULL;
        i++;
#define MVMM_CASE(R)                                                          \
    case R:                                                                   \
        SIMD(mv_panel_mm)(y + n0, x, p, nr, bh, K, rev, ci, ldc, ai, lda, pmi, \
                          bmi, Km, R);                                        \
        break;
        switch (rows) {
        MVMM_CASE(0)
        MVMM_CASE(1)
        MVMM_CASE(2)
        MVMM_CASE(3)
#if MVMM_MR > 3
        MVMM_CASE(4)
        MVMM_CASE(5)
        MVMM_CASE(6)
#endif
        }
#undef MVMM_CASE
    }
    for (; i < nu; i++) /* blocks past the last full panel: alone */
        SIMD(matmul)(c + (size_t)u[i].row * ldc + u[i].col, ldc,
                     a + (size_t)u[i].row * lda, lda, bpm + (size_t)u[i].col * Km,
                     biasm ? biasm + u[i].col : NULL, u[i].rows, Km, nrm);
}

static TGT void SIMD(matvec)(float *y, const float *x, const float *bp,
                             const float *bias, int K, int N, int rev)
{
    SIMD(matvec_mm)(y, x, bp, bias, K, N, NULL, 0, NULL, 0, NULL, NULL, 0,
                    NULL, 0, rev);
}

/* Rows [0, MR) of matvec_n over one full matvec panel p (nr_mv columns,
 * k-major rows nr apart): NV vectors at vector offset v0. Each output the
 * chain matvec computes: from the bias, over k in order (rev: reversed). */
static inline __attribute__((always_inline)) TGT void
SIMD(mvn_rows)(float *y, int ldy, const float *x, int ldx, const float *p,
               const float *bias, int K, int rev, int v0, const int MR,
               const int NV)
{
    const int nr = MV_NV * VW;
    SIMD(mm_block)(y + v0 * VW, ldy, x, ldx, p + v0 * VW, nr, 0,
                   bias ? bias + v0 * VW : NULL, K, rev, MR, NV, 1);
}

/* n matrix-vector products sharing B: each full panel is read from L2 once
 * for all n rows (then from L1), in blocks of at most 6 rows: up to 3 rows
 * over the whole panel (MR x MV_NV accumulators), 4 to 6 rows half a panel
 * at a time (MR x 2), so that a block keeps 8 to 12 chains in flight. Row i
 * of y is bit for bit matvec(y_i, x_i, bp, bias, K, N, rev); the panels
 * are read in matvec's order. */
static TGT void SIMD(matvec_n)(float *y, int ldy, const float *x, int ldx,
                               int n, const float *bp, const float *bias,
                               int K, int N, int rev)
{
    const int nr = MV_NV * VW;
    int nb = (n + 5) / 6; /* blocks of rows, sizes as equal as they go */
    int np = N / nr, nt = N - np * nr;
    for (int j = 0; j < np + (nt > 0); j++) {
        int n0 = SIMD(mv_order)(j, np, nt, rev) * nr;
        const float *p = bp + (size_t)n0 * (size_t)K;
        const float *b = bias ? bias + n0 : NULL;
        if (n0 == np * nr) { /* the narrower panel */
            for (int i = 0; i < n; i++)
                SIMD(mv_tail)(y + (size_t)i * ldy + n0, x + (size_t)i * ldx,
                              p, b, K, nt);
            continue;
        }
        int i = 0;
        for (int bi = 0; bi < nb; bi++) {
            int mr = n / nb + (bi < n % nb);
            float *yi = y + (size_t)i * ldy + n0;
            const float *xi = x + (size_t)i * ldx;
            switch (mr) {
            case 1: SIMD(mvn_rows)(yi, ldy, xi, ldx, p, b, K, rev, 0, 1, MV_NV); break;
            case 2: SIMD(mvn_rows)(yi, ldy, xi, ldx, p, b, K, rev, 0, 2, MV_NV); break;
            case 3: SIMD(mvn_rows)(yi, ldy, xi, ldx, p, b, K, rev, 0, 3, MV_NV); break;
            default:
                for (int v0 = 0; v0 < MV_NV; v0 += 2)
                    switch (mr) {
                    case 6: SIMD(mvn_rows)(yi, ldy, xi, ldx, p, b, K, rev, v0, 6, 2); break;
                    case 5: SIMD(mvn_rows)(yi, ldy, xi, ldx, p, b, K, rev, v0, 5, 2); break;
                    default: SIMD(mvn_rows)(yi, ldy, xi, ldx, p, b, K, rev, v0, 4, 2); break;
                    }
            }
            i += mr;
        }
    }
}

/* stream_conv's vectors per block at most: NG * NV accumulators + a
 * broadcast + a weight vector fit the registers of either set. */
#define ST_NV 12

/* One block of stream_conv (kernels.h: sk__stream_block): NG groups of NV
 * vectors each, from the bias, over taps then channels; a broadcast of
 * each group's input value serves its NV vectors. */
static inline __attribute__((always_inline)) TGT void
SIMD(st_block)(float *y, const float *const *x, int taps, int cin,
               const float *p, const float *bias, int Np, int g0, int v0,
               const int NG, const int NV)
{
    V acc[3][ST_NV];
    SIMD_UNROLL
    for (int g = 0; g < NG; g++)
        SIMD_UNROLL
        for (int v = 0; v < NV; v++)
            acc[g][v] = V_LOAD(bias + (size_t)(g0 + g) * Np + (v0 + v) * VW);
    for (int j = 0; j < taps; j++) {
        const float *xj = x[j] + (size_t)g0 * cin;
        for (int c = 0; c < cin; c++, p += NG * NV * VW) {
            SIMD_UNROLL
            for (int g = 0; g < NG; g++) {
                V xb = V_BCAST(xj + (size_t)g * cin + c);
                SIMD_UNROLL
                for (int v = 0; v < NV; v++)
                    acc[g][v] = V_FMA(xb, V_LOAD(p + (g * NV + v) * VW), acc[g][v]);
            }
        }
    }
    SIMD_UNROLL
    for (int g = 0; g < NG; g++)
        SIMD_UNROLL
        for (int v = 0; v < NV; v++)
            V_STORE(y + (size_t)(g0 + g) * Np + (v0 + v) * VW, acc[g][v]);
}

static TGT void SIMD(stream_conv)(float *y, const float *const *x, int taps,
                                  int cin, const float *bp, const float *bias,
                                  int G, int Np)
{
    const size_t K = (size_t)taps * (size_t)cin;
    int g0, ng, v0, nv;
    for (int i = 0; sk__stream_block(i, G, Np / VW, ST_NV, &g0, &ng, &v0, &nv); i++) {
#define ST_CASE(NG_, NV_)                                                     \
    case NG_ * 16 + NV_:                                                      \
        SIMD(st_block)(y, x, taps, cin, bp, bias, Np, g0, v0, NG_, NV_);      \
        break;
        switch (ng * 16 + nv) {
        ST_CASE(1, 1) ST_CASE(1, 2) ST_CASE(1, 3) ST_CASE(1, 4)
        ST_CASE(1, 5) ST_CASE(1, 6) ST_CASE(1, 7) ST_CASE(1, 8)
        ST_CASE(1, 9) ST_CASE(1, 10) ST_CASE(1, 11) ST_CASE(1, 12)
        ST_CASE(2, 1) ST_CASE(2, 2) ST_CASE(2, 3) ST_CASE(2, 4)
        ST_CASE(2, 5) ST_CASE(2, 6)
        ST_CASE(3, 1) ST_CASE(3, 2) ST_CASE(3, 3) ST_CASE(3, 4)
        }
#undef ST_CASE
        bp += K * (size_t)ng * (size_t)nv * VW;
    }
}

#ifndef V_SCALE2
#define V_SCALE2(y, n) V_MUL((y), V_POW2I(n))
#endif
#ifndef V_RECIP
#define V_RECIP(d) V_DIV(V_SET1(1.0f), (d))
#endif

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
    return V_SCALE2(y, fx);
}

static inline __attribute__((always_inline)) TGT V SIMD(sigmoid)(V x)
{
    V one = V_SET1(1.0f);
    return V_RECIP(V_ADD(one, SIMD(exp)(V_SUB(V_ZERO(), x))));
}

/* tanh x = 2 / (1 + e^(-2x)) - 1: exact limits -1 and 1, absolute error a
 * few 1e-8 near 0. */
static inline __attribute__((always_inline)) TGT V SIMD(tanh)(V x)
{
    V one = V_SET1(1.0f);
    V e = SIMD(exp)(V_MUL(x, V_SET1(-2.0f)));
    V r = V_RECIP(V_ADD(one, e)); /* 2 * (1 / d) rounds as 2 / d */
    return V_SUB(V_ADD(r, r), one);
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
