/* Single-window inference: x (W, C) -> class probabilities (K), with no
 * allocation after sk__infer_init.
 *
 * Per layer of gru/lstm: the input projection of all W steps is one matrix
 * product (W, C_l) @ (C_l, G*H) + b_ih; the recurrence is one matrix-vector
 * product h @ W_hh^T + b_hh per step, then the gate arithmetic. W_hh is
 * larger than L1, so each step's matrix-vector product runs at L2 bandwidth
 * with the FMA units half idle: the projection's rows r0..W-1 are therefore
 * computed in small blocks inside the first steps' matrix-vector products
 * (kernels.h: matvec_mm), and the next layer's rows 0..r0-1 inside this
 * layer's later steps; only layer 0's first r0 rows run on their own.
 *
 * Per layer of tcn: only the steps the head depends on are computed (for
 * the last step, the receptive field narrows from the top layer down, as a
 * streaming implementation would; a pooled head needs every step of the top
 * layer), each as one row of an im2col matrix product.
 *
 * bigru, per layer and direction: the input projection of all W steps of
 * all n windows as one matrix product (the backward direction on a copy of
 * the input reversed in time), then per step one product over the n
 * windows' states (matvec_n) and the gates; the layer's output row t is
 * [h_fwd(t), h_bwd(t)], each half padded to Hp. One function serves the
 * single window (n = 1) and batches, so a window's result does not depend
 * on the batch.
 *
 * The head reads the top layer's last step, or with pool SK_POOL_MEAN the
 * mean of its W steps (summed in order of t, then times 1/W: one function
 * for the single and the batch path).
 *
 * Batches (sk_model_infer_batch): n windows share each pass over the
 * weights. gru/lstm: per layer, the input projections of all n windows are
 * one matrix product (n*W rows); per step, one product gh (n, Np) = h (n,
 * Hp) @ W_hh + b_hh reads W_hh from L2 once for all n windows (the single
 * path reads it once per window and step, at L2 bandwidth), then the gates
 * window by window. tcn: per layer, the im2col rows of all n windows are one
 * matrix product. Each window's result is bit for bit the single path's:
 * every kernel computes each output as one multiply-add chain from its bias
 * over k in order, whatever the blocking (kernels.h), the recurrent
 * products of step t run over k in reverse when t is odd in both paths
 * (kernels.h: matvec, rev), and the gates, the head and the softmax are
 * the same calls on the same values.
 *
 * The weights are read from a packed copy (kernels.h: panels, hidden sizes
 * padded to the kernel set's vector width with zero weights, so the padded
 * units stay exactly 0). The copy is made on the first sk_model_infer after
 * sk__infer_init and again after sk_model_infer_sync: model creation and
 * loading fill the parameters after sk__infer_init has run, and training
 * changes them in place.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtw.h"
#include "kernels.h"
#include "model.h"

#ifndef SK__INFER_BATCH_BYTES
#define SK__INFER_BATCH_BYTES (32u << 20) /* batch scratch cap: huge models batch fewer windows a pass */
#endif

struct sk__infer {
    const sk__kernels *k;
    int arch, C, H, L, W, K, G, ksize; /* the model's sizes (ksize: tcn) */
    int pool;                          /* SK_POOL_* */
    int D;                             /* directions: 2 for bigru, else 1 */
    int Hp;                            /* H padded to the vector width */
    int Np;                            /* G * Hp: gate outputs per step */
    int bmax;                          /* windows a batch pass holds (1..16) */
    int packed;                        /* the packed copy matches params */
    struct sk__stream_pack *stream;    /* tcn: streaming's packed copy, or NULL */
    int stream_ok;                     /* ... made and matching params */
    double macs;                       /* multiply-adds per window */
    sk__param_table pt;
    int cin[SK__MAX_LAYERS];    /* rows of layer l's packed W_ih (K dim) */
    float *w_ih[SK__MAX_LAYERS]; /* (cin, Np) packed, nr_mm panels */
    float *w_hh[SK__MAX_LAYERS]; /* (Hp, Np) packed, nr_mv panels; rnn only */
    float *b_ih[SK__MAX_LAYERS]; /* (Np) padded */
    float *b_hh[SK__MAX_LAYERS]; /* (Np) padded; rnn only */
    /* bigru: the backward direction's weights, as the four above. */
    float *w_ih_r[SK__MAX_LAYERS], *w_hh_r[SK__MAX_LAYERS];
    float *b_ih_r[SK__MAX_LAYERS], *b_hh_r[SK__MAX_LAYERS];
    /* Scratch of bmax windows; a single window uses the first one's. */
    float *gi;     /* (bmax, W, Np) input projections / tcn conv outputs */
    float *gh;     /* (bmax, Np) recurrent projection of one step */
    float *seq[2]; /* (bmax, W, D*Hp) each: layer outputs, ping-pong */
    float *cell;   /* (bmax, Hp) lstm cell state */
    float *pooled; /* (D*Hp) the head's input (pooled head, bigru) */
    float *xr;     /* bigru: (bmax, W, max(C, 2Hp)) input reversed in time */
    float *dirh;   /* bigru: (bmax, W, Hp) one direction's states */
    float *col;    /* tcn: (bmax, W, ksize * max(C, Hp)) im2col rows */
    float *tmp;    /* (max over layers of cin * Np) unpacked staging */
    int *rows;     /* tcn: (L, W) times layer l must output, oldest first */
    /* gru/lstm: a layer's input projection rows [r0, W) are computed in
     * blocks (units) overlapped with its first steps' matrix-vector
     * products, up to per_step blocks a step; rows [0, r0) (units_pre)
     * overlapped with the previous layer's later steps, or, for layer 0,
     * computed before the recurrence. */
    int r0, per_step, nunits, nunits_pre;
    sk__mm_unit *units, *units_pre;
    int nrows[SK__MAX_LAYERS];
    float *block;  /* the one allocation all float buffers live in */
};

static size_t round_up(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

/* ---- packing ---------------------------------------------------------- */

/* Pack one direction of recurrent layer l: its tensors at offsets w_ih,
 * w_hh, b_ih, b_hh of the parameters into the packed buffers. Input c of
 * the Cl true inputs goes to packed row c, except that above layer 0 of a
 * bigru the backward half's inputs (c >= H) go to row Hp + c - H. */
static void pack_rnn_dir(struct sk__infer *s, const float *P, float *t, int l,
                         int Cl, int Cs, size_t w_ih, size_t w_hh, size_t b_ih, size_t b_hh,
                         float *pw_ih, float *pw_hh, float *pb_ih, float *pb_hh)
{
    int H = s->H, Hp = s->Hp, G = s->G, Np = s->Np;
    /* B[c][g*Hp + j] = w_ih[g*H + j][c] */
    memset(t, 0, (size_t)Cs * Np * sizeof *t);
    for (int g = 0; g < G; g++)
        for (int j = 0; j < H; j++)
            for (int c = 0; c < Cl; c++) {
                int row = l > 0 && c >= H ? Hp + c - H : c;
                t[(size_t)row * Np + g * Hp + j] = P[w_ih + ((size_t)g * H + j) * Cl + c];
            }
    sk__pack(pw_ih, t, Cs, Np, s->k->nr_mm);
    memset(t, 0, (size_t)Hp * Np * sizeof *t);
    for (int g = 0; g < G; g++)
        for (int j = 0; j < H; j++)
            for (int c = 0; c < H; c++)
                t[(size_t)c * Np + g * Hp + j] = P[w_hh + ((size_t)g * H + j) * H + c];
    sk__pack(pw_hh, t, Hp, Np, s->k->nr_mv);
    memset(pb_ih, 0, (size_t)Np * sizeof(float));
    memset(pb_hh, 0, (size_t)Np * sizeof(float));
    for (int g = 0; g < G; g++) {
        memcpy(pb_ih + g * Hp, P + b_ih + (size_t)g * H, (size_t)H * sizeof(float));
        memcpy(pb_hh + g * Hp, P + b_hh + (size_t)g * H, (size_t)H * sizeof(float));
    }
}

/* Stage and pack the weights of every layer from m->params. */
static void infer_pack(sk_model *m)
{
    struct sk__infer *s = m->infer;
    const float *P = m->params;
    int H = s->H, Hp = s->Hp, Np = s->Np;
    for (int l = 0; l < s->L; l++) {
        const sk__layer_params *lp = &s->pt.layer[l];
        int Cl = lp->in;                     /* true input size */
        int Cs = l == 0 ? s->C : Hp;         /* stride of the input rows */
        float *t = s->tmp;
        if (s->arch == SK_ARCH_TCN) {
            /* B[j*Cs + c][o] = w[o][c][j] */
            int kk = s->ksize;
            memset(t, 0, (size_t)kk * Cs * Np * sizeof *t);
            for (int o = 0; o < H; o++)
                for (int c = 0; c < Cl; c++)
                    for (int j = 0; j < kk; j++)
                        t[((size_t)j * Cs + c) * Np + o] =
                            P[lp->w_ih + ((size_t)o * Cl + c) * kk + j];
            sk__pack(s->w_ih[l], t, kk * Cs, Np, s->k->nr_mm);
            memset(s->b_ih[l], 0, (size_t)Np * sizeof(float));
            memcpy(s->b_ih[l], P + lp->b_ih, (size_t)H * sizeof(float));
            continue;
        }
        if (l > 0)
            Cs = s->D * Hp; /* bigru: [fwd Hp | bwd Hp] */
        for (int d = 0; d < s->D; d++)
            pack_rnn_dir(s, P, t, l, Cl, Cs,
                         d ? lp->w_ih_r : lp->w_ih, d ? lp->w_hh_r : lp->w_hh,
                         d ? lp->b_ih_r : lp->b_ih, d ? lp->b_hh_r : lp->b_hh,
                         d ? s->w_ih_r[l] : s->w_ih[l], d ? s->w_hh_r[l] : s->w_hh[l],
                         d ? s->b_ih_r[l] : s->b_ih[l], d ? s->b_hh_r[l] : s->b_hh[l]);
    }
    s->packed = 1;
}

/* tcn: which times each layer must output for the steps the head reads
 * (the top layer's last step, or all of them with a pooled head).
 * Layer l reads its input at t - m * 2^l (m = 0..k-1) and, from layer 1 on,
 * at t for the residual (m = 0 covers it). */
static void tcn_plan(struct sk__infer *s)
{
    int W = s->W, L = s->L;
    unsigned char *need = (unsigned char *)s->col; /* borrowed before use */
    memset(need, 0, (size_t)L * W);
    for (int t = s->pool == SK_POOL_MEAN ? 0 : W - 1; t < W; t++)
        need[(size_t)(L - 1) * W + t] = 1;
    for (int l = L - 1; l > 0; l--) {
        long d = 1L << l;
        for (int t = 0; t < W; t++) {
            if (!need[(size_t)l * W + t])
                continue;
            for (int q = 0; q < s->ksize; q++) {
                long u = t - q * d;
                if (u >= 0)
                    need[(size_t)(l - 1) * W + u] = 1;
            }
        }
    }
    for (int l = 0; l < L; l++) {
        int n = 0;
        for (int t = 0; t < W; t++)
            if (need[(size_t)l * W + t])
                s->rows[(size_t)l * W + n++] = t;
        s->nrows[l] = n;
    }
}

/* ---- creation ---------------------------------------------------------- */

static int infer_init_with(sk_model *m, const sk__kernels *k)
{
    m->infer = NULL;
    const sk_model_config *cfg = &m->hdr.arch;
    if (cfg->arch != SK_ARCH_GRU && cfg->arch != SK_ARCH_LSTM &&
        cfg->arch != SK_ARCH_TCN && cfg->arch != SK_ARCH_BIGRU)
        return 0; /* not a network: sk_model_infer says SK_EUNSUPPORTED */
    struct sk__infer *s = calloc(1, sizeof *s);
    if (!s)
        return SK_ENOMEM;
    if (sk__param_table_fill(cfg, &s->pt) != 0) {
        free(s);
        return SK_EINVAL;
    }
    s->k = k;
    s->arch = cfg->arch;
    s->C = cfg->input;
    s->H = cfg->hidden;
    s->L = cfg->layers;
    s->W = cfg->window;
    s->K = cfg->classes;
    s->G = sk__arch_gates(cfg->arch);
    s->ksize = cfg->arch == SK_ARCH_TCN ? cfg->kernel : 1;
    s->pool = cfg->pool;
    s->D = sk__arch_dirs(cfg->arch);
    s->Hp = (int)round_up((size_t)s->H, (size_t)k->vw);
    s->Np = s->G * s->Hp;

    size_t W = (size_t)s->W, Np = (size_t)s->Np, Hp = (size_t)s->Hp;
    size_t HOp = (size_t)s->D * Hp; /* a layer's padded outputs per step */
    size_t cmax = (size_t)s->C > HOp ? (size_t)s->C : HOp;
    size_t tmpmax = 0, n = 0;
    size_t off_w_ih[2][SK__MAX_LAYERS], off_w_hh[2][SK__MAX_LAYERS];
    size_t off_b_ih[2][SK__MAX_LAYERS], off_b_hh[2][SK__MAX_LAYERS];
    const size_t A = 16; /* floats: 64-byte alignment of every buffer */
    for (int l = 0; l < s->L; l++) {
        size_t cin = (size_t)s->ksize * (l == 0 ? (size_t)s->C : HOp);
        s->cin[l] = (int)cin;
        if (cin * Np > tmpmax)
            tmpmax = cin * Np;
        for (int d = 0; d < s->D; d++) {
            off_w_ih[d][l] = n;
            n += round_up(sk__pack_size((int)cin, (int)Np, k->nr_mm), A);
            off_b_ih[d][l] = n;
            n += round_up(Np, A);
            if (s->arch != SK_ARCH_TCN) {
                if (Hp * Np > tmpmax)
                    tmpmax = Hp * Np;
                off_w_hh[d][l] = n;
                n += round_up(sk__pack_size((int)Hp, (int)Np, k->nr_mv), A);
                off_b_hh[d][l] = n;
                n += round_up(Np, A);
            }
        }
    }
    /* Windows a batch pass holds: as many as SK_INFER_MAX_BATCH unless
     * their scratch would pass SK__INFER_BATCH_BYTES. */
    size_t ncol1 = s->arch == SK_ARCH_TCN ? W * (size_t)s->ksize * cmax : 0;
    size_t nbi1 = s->D == 2 ? W * cmax + W * Hp : 0; /* bigru: xr, dirh */
    size_t per_window = W * Np + Np + 2 * W * HOp + Hp + ncol1 + nbi1;
    size_t bmax = SK__INFER_BATCH_BYTES / sizeof(float) / per_window;
    bmax = bmax < 1 ? 1 : bmax > SK_INFER_MAX_BATCH ? SK_INFER_MAX_BATCH : bmax;
    s->bmax = (int)bmax;
    size_t off_gi = n;
    n += round_up(bmax * W * Np, A);
    size_t off_gh = n;
    n += round_up(bmax * Np, A);
    size_t off_seq0 = n;
    n += round_up(bmax * W * HOp, A);
    size_t off_seq1 = n;
    n += round_up(bmax * W * HOp, A);
    size_t off_cell = n;
    n += round_up(bmax * Hp, A);
    size_t off_pooled = n;
    n += round_up(HOp, A);
    size_t off_xr = n;
    n += round_up(s->D == 2 ? bmax * W * cmax : 0, A);
    size_t off_dirh = n;
    n += round_up(s->D == 2 ? bmax * W * Hp : 0, A);
    size_t off_col = n;
    size_t ncol = W * (size_t)s->ksize * cmax;
    if (s->arch == SK_ARCH_TCN)
        ncol = bmax * ncol1;
    if (ncol < (size_t)s->L * W) /* tcn_plan borrows it as bytes */
        ncol = (size_t)s->L * W;
    n += round_up(ncol, A);
    size_t off_tmp = n;
    n += round_up(tmpmax, A);

    void *mem = NULL;
    if (posix_memalign(&mem, 64, n * sizeof(float)) != 0)
        goto fail;
    s->block = mem;
    memset(s->block, 0, n * sizeof(float));
    s->rows = calloc((size_t)s->L * W, sizeof *s->rows);
    if (!s->rows)
        goto fail;
    for (int l = 0; l < s->L; l++) {
        s->w_ih[l] = s->block + off_w_ih[0][l];
        s->b_ih[l] = s->block + off_b_ih[0][l];
        if (s->arch != SK_ARCH_TCN) {
            s->w_hh[l] = s->block + off_w_hh[0][l];
            s->b_hh[l] = s->block + off_b_hh[0][l];
        }
        if (s->D == 2) {
            s->w_ih_r[l] = s->block + off_w_ih[1][l];
            s->b_ih_r[l] = s->block + off_b_ih[1][l];
            s->w_hh_r[l] = s->block + off_w_hh[1][l];
            s->b_hh_r[l] = s->block + off_b_hh[1][l];
        }
    }
    s->gi = s->block + off_gi;
    s->gh = s->block + off_gh;
    s->seq[0] = s->block + off_seq0;
    s->seq[1] = s->block + off_seq1;
    s->cell = s->block + off_cell;
    s->pooled = s->block + off_pooled;
    s->xr = s->block + off_xr;
    s->dirh = s->block + off_dirh;
    s->col = s->block + off_col;
    s->tmp = s->block + off_tmp;

    if (s->arch == SK_ARCH_GRU || s->arch == SK_ARCH_LSTM) {
        /* Blocks of up to mr rows x one matmul panel, row block by row
         * block (rows [r0, W) from r0 on), one per matvec panel per step
         * from step 1 on: the block starting at row r must be done by step
         * r, whose gates read row r. r0: of the counts of rows computed up
         * front for which that holds, one with the fewest blocks (rows
         * [0, r0) and [r0, W) in full blocks where they can be: a block of
         * fewer rows costs a step's matrix-vector product nearly as much),
         * the smallest of those. (Panel by panel, which reads a panel's
         * weights from L1 across its row blocks, needed r0 = 8 rows up
         * front at the reference shape, and left blocks of 4 and 2 rows:
         * gru 2-3% slower.) */
        int per_step = s->Np / k->nr_mv, mr = k->mm_rows;
        int panels = s->Np % k->nr_mm == 0 ? s->Np / k->nr_mm : 0;
        s->r0 = s->W;
        long best = -1;
        for (int r0 = 1; per_step > 0 && panels > 0 && r0 < s->W; r0++) {
            int ok = 1, nb = 0;
            for (int r = r0; r < s->W && ok; r += mr, nb++) /* block nb: by step r */
                ok = 1 + ((long)(nb + 1) * panels - 1) / per_step <= r;
            long units = (long)panels * (nb + (r0 + mr - 1) / mr);
            if (ok && (best < 0 || units < best)) {
                best = units;
                s->r0 = r0;
            }
        }
        s->per_step = per_step;
        s->nunits = panels * ((s->W - s->r0 + mr - 1) / mr);
        s->nunits_pre = s->nunits ? panels * ((s->r0 + mr - 1) / mr) : 0;
        s->units = calloc((size_t)s->nunits + 1, sizeof *s->units);
        s->units_pre = calloc((size_t)s->nunits_pre + 1, sizeof *s->units_pre);
        if (!s->units || !s->units_pre)
            goto fail;
        int n_u = 0, n_p = 0;
        for (int r = s->r0; r < s->W && s->nunits; r += mr)
            for (int q = 0; q < panels; q++)
                s->units[n_u++] = (sk__mm_unit){r, s->W - r < mr ? s->W - r : mr,
                                                q * k->nr_mm};
        for (int r = 0; r < s->r0 && s->nunits; r += mr)
            for (int q = 0; q < panels; q++)
                s->units_pre[n_p++] = (sk__mm_unit){r, s->r0 - r < mr ? s->r0 - r : mr,
                                                    q * k->nr_mm};
    }

    /* Multiply-adds actually done per window (true sizes, not padded). */
    double H = s->H, macs = 0;
    if (s->arch == SK_ARCH_TCN) {
        tcn_plan(s);
        for (int l = 0; l < s->L; l++)
            macs += (double)s->nrows[l] * H * s->pt.layer[l].in * s->ksize;
    } else {
        for (int l = 0; l < s->L; l++)
            macs += s->D * ((double)s->W * s->pt.layer[l].in * s->G * H +
                            (double)(s->W - 1) * H * s->G * H);
    }
    s->macs = macs + (double)s->K * s->D * H;
    m->infer = s;
    return 0;
fail:
    free(s->block);
    free(s->rows);
    free(s->units);
    free(s->units_pre);
    free(s);
    return SK_ENOMEM;
}

int sk__infer_init(sk_model *m)
{
    if (m->hdr.arch.arch == SK_ARCH_DTW) /* templates: src/nn/dtw.c */
        return sk__dtw_state_new(&m->dtw, &m->hdr.arch);
    return infer_init_with(m, sk__kernels_pick());
}

void sk__infer_free(sk_model *m)
{
    if (m) {
        sk__dtw_state_free(m->dtw);
        m->dtw = NULL;
    }
    if (!m || !m->infer)
        return;
    sk__stream_pack_free(m->infer->stream);
    free(m->infer->block);
    free(m->infer->rows);
    free(m->infer->units);
    free(m->infer->units_pre);
    free(m->infer);
    m->infer = NULL;
}

int sk__infer_use(sk_model *m, const sk__kernels *k)
{
    if (!m || !k)
        return SK_EINVAL;
    int streamed = m->infer && m->infer->stream;
    sk__infer_free(m);
    int rc = infer_init_with(m, k);
    return rc == 0 && streamed ? sk__infer_stream_prepare(m) : rc;
}

int sk__infer_batch_limit(sk_model *m, int b)
{
    if (!m || !m->infer || b < 1)
        return SK_EINVAL;
    if (b < m->infer->bmax)
        m->infer->bmax = b;
    return m->infer->bmax;
}

void sk_model_infer_sync(sk_model *m)
{
    if (m && m->infer) {
        m->infer->packed = 0;
        /* Streams step on the whole time: re-pack now, not lazily (a step
         * has a const model, and others may step at once). Out of memory
         * leaves them the unpacked path. */
        if (m->infer->stream)
            m->infer->stream_ok = sk__stream_pack(&m->infer->stream, m, m->infer->k) == 0;
    }
}

int sk__infer_stream_prepare(const sk_model *m)
{
    struct sk__infer *s = m->infer; /* the state is the model's, not const */
    if (!s || s->arch != SK_ARCH_TCN || s->stream_ok)
        return 0;
    int rc = sk__stream_pack(&s->stream, m, s->k);
    s->stream_ok = rc == 0;
    return rc;
}

const struct sk__stream_pack *sk__infer_stream(const sk_model *m)
{
    return m->infer && m->infer->stream_ok ? m->infer->stream : NULL;
}

const char *sk_model_infer_kernels(const sk_model *m)
{
    if (m && m->dtw)
        return "plain"; /* portable loops the compiler vectorizes */
    return m && m->infer ? m->infer->k->name : NULL;
}

double sk_model_infer_macs(const sk_model *m)
{
    if (m && m->dtw)
        return sk__dtw_step_macs(m) * m->hdr.arch.window;
    return m && m->infer ? m->infer->macs : 0.0;
}

/* ---- the forward pass -------------------------------------------------- */

/* gru / lstm: returns the last layer's outputs (W, Hp). */
static const float *rnn_forward(struct sk__infer *s, const float *x)
{
    const sk__kernels *k = s->k;
    const float *in = x;
    int lda = s->C, Hp = s->Hp, Np = s->Np, W = s->W;
    int pre = 0; /* units_pre of this layer already done by the last one */
    float *out = NULL;
    for (int l = 0; l < s->L; l++) {
        out = s->seq[l & 1];
        int cin = s->cin[l], next = 0;
        if (pre == 0) /* rows [0, r0) of the projection, unless begun */
            k->matmul(s->gi, Np, in, lda, s->w_ih[l], s->b_ih[l], s->r0, cin, Np);
        for (; pre > 0 && pre < s->nunits_pre; pre++) { /* and finish them */
            const sk__mm_unit *u = &s->units_pre[pre];
            k->matmul(s->gi + (size_t)u->row * Np + u->col, Np,
                      in + (size_t)u->row * lda, lda,
                      s->w_ih[l] + (size_t)u->col * cin, s->b_ih[l] + u->col,
                      u->rows, cin, k->nr_mm);
        }
        pre = 0;
        if (s->arch == SK_ARCH_LSTM)
            memset(s->cell, 0, (size_t)Hp * sizeof(float));
        for (int t = 0; t < W; t++) {
            float *h = out + (size_t)t * Hp;
            if (t == 0) { /* h = 0: the recurrent term is the bias alone */
                memcpy(s->gh, s->b_hh[l], (size_t)Np * sizeof(float));
                memset(h, 0, (size_t)Hp * sizeof(float));
            } else {
                int nu = s->nunits - next < s->per_step ? s->nunits - next
                                                        : s->per_step;
                int np = s->nunits_pre - pre < s->per_step ? s->nunits_pre - pre
                                                              : s->per_step;
                int rev = t & 1; /* kernels.h: matvec */
                if (nu > 0) {
                    k->matvec_mm(s->gh, h - Hp, s->w_hh[l], s->b_hh[l], Hp, Np,
                                 s->gi, Np, in, lda, s->w_ih[l], s->b_ih[l],
                                 cin, s->units + next, nu, rev);
                } else if (l + 1 < s->L && t > s->r0 && np > 0) {
                    /* The next layer's first rows: their inputs, this
                     * layer's outputs 0..r0-1, are final; its rows of gi
                     * are consumed. */
                    k->matvec_mm(s->gh, h - Hp, s->w_hh[l], s->b_hh[l], Hp, Np,
                                 s->gi, Np, out, Hp, s->w_ih[l + 1],
                                 s->b_ih[l + 1], s->cin[l + 1],
                                 s->units_pre + pre, np, rev);
                    pre += np;
                } else
                    k->matvec(s->gh, h - Hp, s->w_hh[l], s->b_hh[l], Hp, Np, rev);
                next += nu;
                memcpy(h, h - Hp, (size_t)Hp * sizeof(float));
            }
            if (s->arch == SK_ARCH_GRU)
                k->gru_gates(h, s->gi + (size_t)t * Np, s->gh, Hp);
            else
                k->lstm_gates(h, s->cell, s->gi + (size_t)t * Np, s->gh, Hp);
        }
        in = out;
        lda = Hp;
    }
    return out;
}

/* gru / lstm, n windows x (n, W, C) at once: returns the last layer's
 * outputs (n, W, Hp). */
static const float *rnn_forward_batch(struct sk__infer *s, int n, const float *x)
{
    const sk__kernels *k = s->k;
    const float *in = x;
    int lda = s->C, Hp = s->Hp, Np = s->Np, W = s->W;
    size_t ws = (size_t)W * Hp; /* one window's outputs */
    float *out = NULL;
    for (int l = 0; l < s->L; l++) {
        out = s->seq[l & 1];
        k->matmul(s->gi, Np, in, lda, s->w_ih[l], s->b_ih[l], n * W, s->cin[l], Np);
        if (s->arch == SK_ARCH_LSTM)
            memset(s->cell, 0, (size_t)n * Hp * sizeof(float));
        for (int t = 0; t < W; t++) {
            if (t == 0) /* h = 0: the recurrent term is the bias alone */
                for (int i = 0; i < n; i++) {
                    memcpy(s->gh + (size_t)i * Np, s->b_hh[l], (size_t)Np * sizeof(float));
                    memset(out + i * ws, 0, (size_t)Hp * sizeof(float));
                }
            else
                k->matvec_n(s->gh, Np, out + (size_t)(t - 1) * Hp, (int)ws, n,
                            s->w_hh[l], s->b_hh[l], Hp, Np, t & 1);
            for (int i = 0; i < n; i++) {
                float *h = out + i * ws + (size_t)t * Hp;
                const float *gi = s->gi + ((size_t)i * W + t) * Np;
                float *gh = s->gh + (size_t)i * Np;
                if (t > 0)
                    memcpy(h, h - Hp, (size_t)Hp * sizeof(float));
                if (s->arch == SK_ARCH_GRU)
                    k->gru_gates(h, gi, gh, Hp);
                else
                    k->lstm_gates(h, s->cell + (size_t)i * Hp, gi, gh, Hp);
            }
        }
        in = out;
        lda = Hp;
    }
    return out;
}

/* bigru, n windows x (n, W, C) at once (n = 1 for sk_model_infer): returns
 * the last layer's outputs (n, W, 2Hp), row t = [h_fwd(t), h_bwd(t)]. */
static const float *birnn_forward(struct sk__infer *s, int n, const float *x)
{
    const sk__kernels *k = s->k;
    const float *in = x;
    int lda = s->C, Hp = s->Hp, Np = s->Np, W = s->W, HOp = 2 * Hp;
    size_t ws = (size_t)W * HOp, wh = (size_t)W * Hp; /* one window's rows */
    float *out = NULL;
    for (int l = 0; l < s->L; l++) {
        out = s->seq[l & 1];
        for (int d = 0; d < 2; d++) {
            const float *src = in;
            if (d) { /* the backward direction reads the window reversed */
                for (int i = 0; i < n; i++)
                    for (int t = 0; t < W; t++)
                        memcpy(s->xr + ((size_t)i * W + t) * lda,
                               in + ((size_t)i * W + (W - 1 - t)) * lda,
                               (size_t)lda * sizeof(float));
                src = s->xr;
            }
            const float *w_hh = d ? s->w_hh_r[l] : s->w_hh[l];
            const float *b_hh = d ? s->b_hh_r[l] : s->b_hh[l];
            k->matmul(s->gi, Np, src, lda, d ? s->w_ih_r[l] : s->w_ih[l],
                      d ? s->b_ih_r[l] : s->b_ih[l], n * W, s->cin[l], Np);
            float *hd = s->dirh; /* (n, W, Hp) this direction's states */
            for (int t = 0; t < W; t++) {
                if (t == 0)
                    for (int i = 0; i < n; i++) {
                        memcpy(s->gh + (size_t)i * Np, b_hh, (size_t)Np * sizeof(float));
                        memset(hd + i * wh, 0, (size_t)Hp * sizeof(float));
                    }
                else
                    k->matvec_n(s->gh, Np, hd + (size_t)(t - 1) * Hp, (int)wh, n,
                                w_hh, b_hh, Hp, Np, t & 1);
                for (int i = 0; i < n; i++) {
                    float *h = hd + i * wh + (size_t)t * Hp;
                    if (t > 0)
                        memcpy(h, h - Hp, (size_t)Hp * sizeof(float));
                    k->gru_gates(h, s->gi + ((size_t)i * W + t) * Np,
                                 s->gh + (size_t)i * Np, Hp);
                }
            }
            for (int i = 0; i < n; i++) /* into the layer's output rows */
                for (int t = 0; t < W; t++)
                    memcpy(out + i * ws + (size_t)(d ? W - 1 - t : t) * HOp + d * Hp,
                           hd + i * wh + (size_t)t * Hp, (size_t)Hp * sizeof(float));
        }
        in = out;
        lda = HOp;
    }
    return out;
}

/* tcn, n windows at once (one for sk_model_infer): returns the last layer's
 * outputs (n, W, Hp), valid at the rows the plan computed (always the
 * last). */
static const float *tcn_forward(struct sk__infer *s, int n, const float *x)
{
    const sk__kernels *k = s->k;
    const float *in = x;
    int Cs = s->C, Hp = s->Hp, W = s->W, kk = s->ksize;
    size_t ws = (size_t)W * Hp;
    float *out = NULL;
    for (int l = 0; l < s->L; l++) {
        out = s->seq[l & 1];
        long d = 1L << l;
        int nr = s->nrows[l], cin = s->cin[l];
        const int *rows = s->rows + (size_t)l * W;
        size_t wi = (size_t)W * Cs; /* one window's inputs */
        for (int b = 0; b < n; b++)
            for (int i = 0; i < nr; i++) {
                float *col = s->col + ((size_t)b * nr + i) * cin;
                for (int j = 0; j < kk; j++) {
                    long u = rows[i] - (long)(kk - 1 - j) * d;
                    if (u >= 0)
                        memcpy(col + (size_t)j * Cs, in + b * wi + (size_t)u * Cs,
                               (size_t)Cs * sizeof(float));
                    else
                        memset(col + (size_t)j * Cs, 0, (size_t)Cs * sizeof(float));
                }
            }
        k->matmul(s->gi, Hp, s->col, cin, s->w_ih[l], s->b_ih[l], n * nr, cin, Hp);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < nr; i++) {
                size_t t = (size_t)rows[i];
                k->relu_add(out + b * ws + t * Hp, s->gi + ((size_t)b * nr + i) * Hp,
                            l > 0 ? in + b * wi + t * Hp : NULL, Hp);
            }
        in = out;
        Cs = Hp;
    }
    return out;
}

/* The head and the softmax: top (W, Hp) one window's top-layer outputs
 * (tcn: valid at the rows the plan computed) -> probs (K). */
static void infer_head(const sk_model *m, const float *top, float *probs)
{
    const struct sk__infer *s = m->infer;
    const float *h = top + (size_t)(s->W - 1) * s->Hp; /* the last step */
    int HO = s->D * s->H; /* the head's inputs */
    if (s->D == 2) { /* bigru: [fwd, bwd] halves of the padded rows */
        float *p = s->pooled;
        size_t row = 2 * (size_t)s->Hp;
        if (s->pool == SK_POOL_MEAN) {
            float inv = 1.0f / (float)s->W;
            for (int j = 0; j < HO; j++)
                p[j] = 0.0f;
            for (int t = 0; t < s->W; t++)
                for (int j = 0; j < s->H; j++) {
                    p[j] += top[t * row + j];
                    p[s->H + j] += top[t * row + s->Hp + j];
                }
            for (int j = 0; j < HO; j++)
                p[j] *= inv;
        } else { /* each direction's final state */
            memcpy(p, top + (size_t)(s->W - 1) * row, (size_t)s->H * sizeof *p);
            memcpy(p + s->H, top + s->Hp, (size_t)s->H * sizeof *p);
        }
        h = p;
    } else if (s->pool == SK_POOL_MEAN) {
        float *p = s->pooled, inv = 1.0f / (float)s->W;
        for (int j = 0; j < s->H; j++)
            p[j] = 0.0f;
        for (int t = 0; t < s->W; t++)
            for (int j = 0; j < s->H; j++)
                p[j] += top[(size_t)t * s->Hp + j];
        for (int j = 0; j < s->H; j++)
            p[j] *= inv;
        h = p;
    }
    const float *w = m->params + s->pt.w_out;         /* (K, D*H) */
    const float *b = m->params + s->pt.b_out;         /* (K) */
    for (int c = 0; c < s->K; c++) {
        float z = b[c];
        for (int j = 0; j < HO; j++)
            z += w[(size_t)c * HO + j] * h[j];
        probs[c] = z;
    }
    sk__softmax(probs, s->K);
}

void sk__softmax(float *z, int K)
{
    float mx = -3.4e38f;
    for (int c = 0; c < K; c++)
        if (z[c] > mx)
            mx = z[c];
    float sum = 0;
    for (int c = 0; c < K; c++) {
        z[c] = expf(z[c] - mx);
        sum += z[c];
    }
    for (int c = 0; c < K; c++)
        z[c] /= sum;
}

int sk_model_infer(sk_model *m, const float *x, float *probs)
{
    if (!m || !x || !probs)
        return SK_EINVAL;
    if (m->dtw)
        return sk__dtw_infer(m, x, probs);
    struct sk__infer *s = m->infer;
    if (!s)
        return SK_EUNSUPPORTED;
    if (!s->packed)
        infer_pack(m);
    const float *top = s->arch == SK_ARCH_TCN     ? tcn_forward(s, 1, x)
                       : s->arch == SK_ARCH_BIGRU ? birnn_forward(s, 1, x)
                                                  : rnn_forward(s, x);
    infer_head(m, top, probs);
    return 0;
}

int sk_model_infer_batch(sk_model *m, int n, const float *x, float *probs)
{
    if (!m || !x || !probs || n < 1 || n > SK_INFER_MAX_BATCH)
        return SK_EINVAL;
    if (m->dtw) { /* no batched form: one window after the other */
        size_t wc = (size_t)m->hdr.arch.window * (size_t)m->hdr.arch.input;
        for (int i = 0; i < n; i++) {
            int rc = sk__dtw_infer(m, x + (size_t)i * wc,
                                   probs + (size_t)i * m->hdr.arch.classes);
            if (rc)
                return rc;
        }
        return 0;
    }
    struct sk__infer *s = m->infer;
    if (!s)
        return SK_EUNSUPPORTED;
    if (!s->packed)
        infer_pack(m);
    size_t wc = (size_t)s->W * (size_t)s->C, ws = (size_t)s->W * s->D * s->Hp;
    while (n > 0) {
        int b = n < s->bmax ? n : s->bmax;
        if (b == 1) { /* the single path overlaps more: faster alone */
            sk_model_infer(m, x, probs);
        } else {
            const float *top = s->arch == SK_ARCH_TCN     ? tcn_forward(s, b, x)
                               : s->arch == SK_ARCH_BIGRU ? birnn_forward(s, b, x)
                                                          : rnn_forward_batch(s, b, x);
            for (int i = 0; i < b; i++)
                infer_head(m, top + i * ws, probs + (size_t)i * s->K);
        }
        x += (size_t)b * wc;
        probs += (size_t)b * s->K;
        n -= b;
    }
    return 0;
}

double sk_infer_peak_flops(double seconds)
{
    /* The machine's limit, whatever set SK_KERNELS forces for inference. */
    const sk__kernels *k = sk__kernels_get("avx512");
    if (!k)
        k = sk__kernels_get("avx2");
    if (!k)
        k = &sk__kernels_plain;
    float sink = 0;
    long iters = 1 << 16;
    double best = 0;
    int64_t t_end = sk_now_us() + (int64_t)(seconds * 1e6);
    do {
        int64_t t0 = sk_now_us();
        double flops = k->fma_loop(iters, &sink);
        double dt = (double)(sk_now_us() - t0) * 1e-6;
        if (dt < 0.002) {
            iters *= 2;
            continue;
        }
        if (flops / dt > best)
            best = flops / dt;
    } while (sk_now_us() < t_end);
    return sink == 12345.0f ? best + 1 : best; /* sink keeps the loop alive */
}
