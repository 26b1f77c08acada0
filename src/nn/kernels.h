/* Internal: the compute kernels of single-window inference, in three sets:
 * plain C (runs anywhere, the reference), AVX2+FMA and AVX-512. The vector
 * sets are compiled with per-function target attributes, so the default
 * build stays portable; sk__kernels_pick() chooses one at run time.
 *
 * Packed weights ("panels"). A matrix product out = a @ B + bias with B of
 * shape (K, N) reads B from a packed copy: the N columns are cut into panels
 * of nr columns (the last may be narrower), each panel stored k-major,
 * [k][width], panel p starting at p * nr * K. Every kernel of a set uses the
 * set's own panel widths (nr_mm for matmul, nr_mv for matvec); N must be a
 * multiple of the set's vector width vw (inference pads hidden sizes so that
 * it is: the padded units have zero weights and stay exactly 0).
 *
 * Rounding. In every set, each output of matmul, of matvec's full panels,
 * of matvec_mm and of matvec_n is one chain of multiply-adds that starts at
 * its bias (or 0) and runs over k in order, whatever the row count, the
 * blocking and the other rows: so a row's result never depends on which
 * rows it was computed with (batch inference relies on this to give each
 * window exactly what single-window inference gives). The matrix-vector
 * products take a flag rev: with it, the chains of their full panels run
 * over k from K - 1 down to 0 instead (the same in matvec, matvec_mm and
 * matvec_n; the plain set reverses every chain). Only matvec's narrower
 * last panel splits k (four partial sums), the same way in matvec,
 * matvec_mm and matvec_n, whatever rev.
 */
#ifndef SKELACT_NN_KERNELS_H
#define SKELACT_NN_KERNELS_H

#include <stddef.h>

/* One block of a matrix product that matvec_mm overlaps with its
 * matrix-vector product: rows [row, row + rows) of the output, rows <=
 * the set's mm_rows, and the full panel of nr_mm columns starting at
 * column col. */
typedef struct sk__mm_unit {
    int row, rows, col;
} sk__mm_unit;

typedef struct sk__kernels {
    const char *name; /* "plain", "avx2", "avx512" */
    int vw;           /* floats per vector; N and hidden sizes pad to it */
    int nr_mm;        /* panel width of matmul's packed B */
    int nr_mv;        /* panel width of matvec's packed B */
    int mm_rows;      /* rows of a matvec_mm block at most */
    int nv_st;        /* vectors of a stream_conv block at most */

    /* c (M, ldc) = bias (N) + a (M, K; row stride lda) @ B (K, N packed with
     * nr_mm). bias may be NULL (zero). */
    void (*matmul)(float *c, int ldc, const float *a, int lda,
                   const float *bp, const float *bias, int M, int K, int N);
    /* y (N) = bias (N) + x (K) @ B (K, N packed with nr_mv); rev: the
     * sums over k in reverse (see Rounding), and the panels read from last
     * to first. A recurrence alternates rev from step to step: B is larger
     * than L1, and a step then starts with the weights the step before
     * read last, still in L1 (the GRU's 196 KB at the reference shape:
     * 1.23 -> 1.13 us a product in a loop of them). */
    void (*matvec)(float *y, const float *x, const float *bp,
                   const float *bias, int K, int N, int rev);
    /* y (n, ldy) = bias (N) + x (n, K; row stride ldx) @ B (K, N packed with
     * nr_mv): n matvecs over the same B, which the vector sets read once for
     * all n rows. Row i is bit for bit matvec(y_i, x_i, bp, bias, K, N,
     * rev). */
    void (*matvec_n)(float *y, int ldy, const float *x, int ldx, int n,
                     const float *bp, const float *bias, int K, int N, int rev);
    /* matvec (y, x, bpv, biasv, K, N, rev as above) and nu blocks u of the
     * product c (., ldc) = biasm + a (., Km; lda) @ Bm (Km, .; packed with
     * nr_mm, bpm), each block as matmul would compute it. The vector sets
     * interleave the two, block i with the i-th full panel the matvec
     * reads (blocks past the last full panel run alone): the matrix-vector
     * product streams its weights from L2 and leaves the FMA units half
     * idle; the blocks fill them. The results are those of the two
     * separately (the blocks' sums run over k in order, whatever rev). */
    void (*matvec_mm)(float *y, const float *x, const float *bpv,
                      const float *biasv, int K, int N, float *c, int ldc,
                      const float *a, int lda, const float *bpm,
                      const float *biasm, int Km, const sk__mm_unit *u, int nu,
                      int rev);
    /* GRU update of h (H) from gi (3H) = W_ih x + b_ih and gh (3H) =
     * W_hh h + b_hh, gates r, z, n (PyTorch):
     *   r = s(gi_r + gh_r), z = s(gi_z + gh_z), n = tanh(gi_n + r * gh_n),
     *   h = (1 - z) * n + z * h.
     * gh is scratch: overwritten. */
    void (*gru_gates)(float *h, const float *gi, float *gh, int H);
    /* LSTM update of h (H) and c (H) from gi (4H) and gh (4H), gates i, f,
     * g, o: c = s(f) * c + s(i) * tanh(g); h = s(o) * tanh(c). gh is
     * scratch: overwritten. */
    void (*lstm_gates)(float *h, float *c, const float *gi, float *gh, int H);
    /* One time step of a (grouped) causal convolution, for streaming tcn
     * inference (src/nn/stream.c): for each group g < G of Np outputs,
     *   y[g*Np + n] = bias[g*Np + n]
     *               + sum over taps j < taps, then channels c < cin, in that
     *                 order, of x[j][g*cin + c] * B_g[j*cin + c][n],
     * one multiply-add chain per output (the order of the window
     * inference's im2col product, so the two agree to rounding, and bit for
     * bit in the vector sets). x[j] is tap j's input row (G*cin floats); B
     * is packed by sk__pack_stream for this set; Np is a multiple of vw.
     * Only the G diagonal blocks exist: a dense layer is G = 1. */
    void (*stream_conv)(float *y, const float *const *x, int taps, int cin,
                        const float *bp, const float *bias, int G, int Np);
    /* out (n) = relu(in (n)) + res (n); res may be NULL (no residual). */
    void (*relu_add)(float *out, const float *in, const float *res, int n);
    /* Peak single-precision arithmetic: runs iters rounds of independent
     * fused multiply-adds and returns the flops done (2 per lane per FMA). */
    double (*fma_loop)(long iters, float *sink);
} sk__kernels;

extern const sk__kernels sk__kernels_plain;
extern const sk__kernels sk__kernels_avx2;
extern const sk__kernels sk__kernels_avx512;

/* The set called name ("plain", "avx2", "avx512") if this CPU runs it, else
 * NULL. */
const sk__kernels *sk__kernels_get(const char *name);
/* The fastest set this CPU runs, unless the environment variable SK_KERNELS
 * names another one this CPU runs. Never NULL. */
const sk__kernels *sk__kernels_pick(void);

/* Re-create m's inference state to run on kernel set k (tests and
 * benchmarks; k must be one sk__kernels_get returned). Returns 0, SK_EINVAL
 * or SK_ENOMEM (then m has no inference state: sk_model_infer fails). */
struct sk_model;
struct sk__stream_pack;
int sk__infer_use(struct sk_model *m, const sk__kernels *k);

/* Tests: make sk_model_infer_batch run m's windows in passes of at most b
 * (1 <= b; no more than its scratch holds), as it does by itself for models
 * too large to hold SK_INFER_MAX_BATCH windows' scratch. Returns the passes'
 * size now in force, or SK_EINVAL. */
int sk__infer_batch_limit(struct sk_model *m, int b);

/* Floats of the packed copy of a (K, N) matrix with panels of nr columns. */
size_t sk__pack_size(int K, int N, int nr);
/* Pack b (K, N), row-major, into panels of nr columns (dst holds
 * sk__pack_size floats). */
void sk__pack(float *dst, const float *b, int K, int N, int nr);


/* stream_conv's blocks. Block i (0, 1, ... until it returns 0) covers
 * groups [g0, g0 + ng) and, within each, the vectors [v0, v0 + nv) of its
 * Np / vw: a group of nvg >= nvmax vectors is cut into about equal chunks
 * of at most nvmax vectors; narrower groups are taken up to 3 at a time
 * (ng * nv <= nvmax), so that a block keeps several accumulators in
 * flight either way. A block's weights are [K][ng][nv * vw] (K = taps *
 * cin), the blocks one after the other in this order. */
static inline int sk__stream_block(int i, int G, int nvg, int nvmax, int *g0,
                                   int *ng, int *v0, int *nv)
{
    if (nvg >= nvmax) {
        int nc = (nvg + nvmax - 1) / nvmax;
        if (i >= G * nc)
            return 0;
        int c = i % nc, base = nvg / nc, rem = nvg % nc;
        *g0 = i / nc;
        *ng = 1;
        *v0 = c * base + (c < rem ? c : rem);
        *nv = base + (c < rem);
        return 1;
    }
    int per = nvmax / nvg > 3 ? 3 : nvmax / nvg;
    int nb = (G + per - 1) / per;
    if (i >= nb)
        return 0;
    int base = G / nb, rem = G % nb;
    *g0 = i * base + (i < rem ? i : rem);
    *ng = base + (i < rem);
    *v0 = 0;
    *nv = nvg;
    return 1;
}

/* Pack b (G, K, Np), group g's rows k = j*cin + c and its Np columns, into
 * dst (G * K * Np floats) in the block order of kernel set ks. */
void sk__pack_stream(float *dst, const float *b, int G, int K, int Np,
                     const sk__kernels *ks);

/* (Re)make *pp, the packed copy of tcn m's weights for streaming on kernel
 * set ks (src/nn/stream.c; allocated on the first call, reused after).
 * Returns 0, SK_EINVAL or SK_ENOMEM. */
int sk__stream_pack(struct sk__stream_pack **pp, const struct sk_model *m,
                    const sk__kernels *ks);

#endif
