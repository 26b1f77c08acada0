/* Numerics of the nn layers: finite-difference gradient checks in double
 * precision (the double instantiation of the very code that trains, see
 * src/nn/layers.h) for every layer and for a whole model of each
 * architecture, plus the float trainer against them. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/layers.h"
#include "nn/train.h"

/* Central differences with this step; in double the truncation error is
 * ~eps^2 and the rounding error ~1e-16/eps, both far below the tolerance. */
#define FD_EPS 1e-5
#define FD_RTOL 1e-5
#define FD_ATOL 1e-8

static sk_rng rng;

static double *rand_vec(size_t n, double scale)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = scale * (2.0 * sk_rng_float(&rng) - 1.0);
    return v;
}

static double *zeros(size_t n)
{
    return calloc(n ? n : 1, sizeof(double));
}

/* A loss as a function of all the tensors a check perturbs. */
typedef double (*loss_fn)(void *ctx);

/* Compare analytic gradient ana (n) of the loss with respect to x (n) with
 * central differences; fail on any element beyond atol + rtol*|numeric|.
 * Prints the largest relative error. */
static void grad_check(const char *what, const char *tensor, loss_fn f,
                       void *ctx, double *x, const double *ana, size_t n)
{
    double worst = 0, worst_abs = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double keep = x[i];
        x[i] = keep + FD_EPS;
        double lp = f(ctx);
        x[i] = keep - FD_EPS;
        double lm = f(ctx);
        x[i] = keep;
        double num = (lp - lm) / (2 * FD_EPS);
        double err = fabs(num - ana[i]);
        double rel = err / (fabs(num) + 1e-6);
        if (err > worst_abs)
            worst_abs = err;
        if (rel > worst)
            worst = rel;
        if (err > FD_ATOL + FD_RTOL * fabs(num)) {
            if (bad < 3)
                fprintf(stderr, "  %s %s[%zu]: analytic %.10g numeric %.10g\n",
                        what, tensor, i, ana[i], num);
            bad++;
        }
    }
    printf("  %-12s %-8s n=%-5zu max abs err %.2e  max rel err %.2e\n", what,
           tensor, n, worst_abs, worst);
    CHECK_MSG(bad == 0, "%s %s: %zu of %zu gradients off", what, tensor, bad,
              n);
}

/* Loss = sum(out * g): its gradient with respect to out is g. */
static double dotsum(const double *a, const double *g, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * g[i];
    return s;
}

/* ---- dense ---- */
typedef struct {
    int N, I, O;
    double *inp, *w, *b, *g, *out;
} dense_ctx;

static double dense_loss(void *p)
{
    dense_ctx *c = p;
    sk__dense_forward_d(c->out, c->inp, c->w, c->b, c->N, c->I, c->O);
    return dotsum(c->out, c->g, (size_t)c->N * c->O);
}

static void test_dense(void)
{
    /* I = 19: exercises both the 8-wide blocks and the tail of the kernels. */
    dense_ctx c = {.N = 5, .I = 19, .O = 7};
    size_t nin = (size_t)c.N * c.I, nw = (size_t)c.O * c.I;
    c.inp = rand_vec(nin, 1), c.w = rand_vec(nw, 0.5), c.b = rand_vec(c.O, 0.5);
    c.g = rand_vec((size_t)c.N * c.O, 1), c.out = zeros((size_t)c.N * c.O);
    double *dinp = zeros(nin), *dw = zeros(nw), *db = zeros(c.O);
    dense_loss(&c);
    /* Backward adds: start from 1s and subtract them afterwards. */
    for (size_t i = 0; i < nw; i++)
        dw[i] = 1;
    sk__dense_backward_d(dinp, dw, db, c.g, c.inp, c.w, c.N, c.I, c.O);
    for (size_t i = 0; i < nw; i++)
        dw[i] -= 1;
    grad_check("dense", "inp", dense_loss, &c, c.inp, dinp, nin);
    grad_check("dense", "w", dense_loss, &c, c.w, dw, nw);
    grad_check("dense", "b", dense_loss, &c, c.b, db, c.O);
    /* The plain definition, element by element. */
    dense_loss(&c);
    double maxd = 0;
    for (int n = 0; n < c.N; n++)
        for (int o = 0; o < c.O; o++) {
            double s = c.b[o];
            for (int i = 0; i < c.I; i++)
                s += c.inp[n * c.I + i] * c.w[o * c.I + i];
            maxd = fmax(maxd, fabs(s - c.out[n * c.O + o]));
        }
    CHECK_MSG(maxd < 1e-12, "dense forward vs definition: %g", maxd);
    free(c.inp), free(c.w), free(c.b), free(c.g), free(c.out);
    free(dinp), free(dw), free(db);
}

/* ---- GRU and LSTM ---- */
typedef struct {
    int lstm, B, T, C, H;
    double *inp, *w_ih, *w_hh, *b_ih, *b_hh, *g, *out, *cache;
} rnn_ctx;

static double rnn_loss(void *p)
{
    rnn_ctx *c = p;
    if (c->lstm)
        sk__lstm_forward_d(c->out, c->cache, c->inp, c->w_ih, c->w_hh, c->b_ih,
                           c->b_hh, c->B, c->T, c->C, c->H);
    else
        sk__gru_forward_d(c->out, c->cache, c->inp, c->w_ih, c->w_hh, c->b_ih,
                          c->b_hh, c->B, c->T, c->C, c->H);
    return dotsum(c->out, c->g, (size_t)c->B * c->T * c->H);
}

static void rnn_check(int lstm)
{
    rnn_ctx c = {.lstm = lstm, .B = 3, .T = 5, .C = 4, .H = 9};
    size_t G = (size_t)(lstm ? 4 : 3) * c.H;
    size_t nin = (size_t)c.B * c.T * c.C, nout = (size_t)c.B * c.T * c.H;
    size_t nih = G * c.C, nhh = G * c.H;
    c.inp = rand_vec(nin, 1), c.w_ih = rand_vec(nih, 0.6);
    c.w_hh = rand_vec(nhh, 0.6), c.b_ih = rand_vec(G, 0.5);
    c.b_hh = rand_vec(G, 0.5), c.g = rand_vec(nout, 1), c.out = zeros(nout);
    c.cache = zeros(lstm ? sk__lstm_cache_size(c.B, c.T, c.C, c.H)
                         : sk__gru_cache_size(c.B, c.T, c.C, c.H));
    double *dinp = zeros(nin), *dih = zeros(nih), *dhh = zeros(nhh);
    double *dbih = zeros(G), *dbhh = zeros(G);
    rnn_loss(&c);
    if (lstm)
        sk__lstm_backward_d(dinp, dih, dhh, dbih, dbhh, c.cache, c.g, c.out,
                            c.inp, c.w_ih, c.w_hh, c.B, c.T, c.C, c.H);
    else
        sk__gru_backward_d(dinp, dih, dhh, dbih, dbhh, c.cache, c.g, c.out,
                           c.inp, c.w_ih, c.w_hh, c.B, c.T, c.C, c.H);
    const char *name = lstm ? "lstm" : "gru";
    grad_check(name, "inp", rnn_loss, &c, c.inp, dinp, nin);
    grad_check(name, "w_ih", rnn_loss, &c, c.w_ih, dih, nih);
    grad_check(name, "w_hh", rnn_loss, &c, c.w_hh, dhh, nhh);
    grad_check(name, "b_ih", rnn_loss, &c, c.b_ih, dbih, G);
    grad_check(name, "b_hh", rnn_loss, &c, c.b_hh, dbhh, G);
    free(c.inp), free(c.w_ih), free(c.w_hh), free(c.b_ih), free(c.b_hh);
    free(c.g), free(c.out), free(c.cache);
    free(dinp), free(dih), free(dhh), free(dbih), free(dbhh);
}

static void test_gru(void)
{
    rnn_check(0);
}

static void test_lstm(void)
{
    rnn_check(1);
}

/* ---- bidirectional GRU ---- */
typedef struct {
    int B, T, C, H;
    double *inp, *w[8], *g, *out, *cache; /* w: forward ih hh bih bhh, then reverse */
} bigru_ctx;

static double bigru_loss(void *p)
{
    bigru_ctx *c = p;
    sk__bigru_forward_d(c->out, c->cache, c->inp, c->w[0], c->w[1], c->w[2],
                        c->w[3], c->w[4], c->w[5], c->w[6], c->w[7], c->B, c->T,
                        c->C, c->H);
    return dotsum(c->out, c->g, (size_t)c->B * c->T * 2 * c->H);
}

static void test_bigru(void)
{
    bigru_ctx c = {.B = 2, .T = 5, .C = 4, .H = 6};
    size_t G = 3 * (size_t)c.H, nin = (size_t)c.B * c.T * c.C;
    size_t nout = (size_t)c.B * c.T * 2 * c.H;
    size_t n[8] = {G * c.C, G * c.H, G, G, G * c.C, G * c.H, G, G};
    double *d[8];
    c.inp = rand_vec(nin, 1);
    for (int i = 0; i < 8; i++)
        c.w[i] = rand_vec(n[i], 0.6), d[i] = zeros(n[i]);
    c.g = rand_vec(nout, 1), c.out = zeros(nout);
    c.cache = zeros(sk__bigru_cache_size(c.B, c.T, c.C, c.H));
    double *dinp = zeros(nin);
    bigru_loss(&c);
    sk__bigru_backward_d(dinp, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                         c.cache, c.g, c.inp, c.w[0], c.w[1], c.w[4], c.w[5],
                         c.B, c.T, c.C, c.H);
    static const char *names[8] = {"w_ih", "w_hh", "b_ih", "b_hh",
                                   "w_ih_r", "w_hh_r", "b_ih_r", "b_hh_r"};
    grad_check("bigru", "inp", bigru_loss, &c, c.inp, dinp, nin);
    for (int i = 0; i < 8; i++)
        grad_check("bigru", names[i], bigru_loss, &c, c.w[i], d[i], n[i]);
    /* The definition: the forward half is the GRU on inp, the backward half
     * at t the reverse GRU's state after reading T-1 down to t. */
    bigru_loss(&c);
    size_t BT = (size_t)c.B * c.T;
    double *xr = zeros(nin), *of = zeros(BT * c.H), *ob = zeros(BT * c.H);
    double *gc = zeros(sk__gru_cache_size(c.B, c.T, c.C, c.H));
    for (int b = 0; b < c.B; b++)
        for (int t = 0; t < c.T; t++)
            memcpy(xr + ((size_t)b * c.T + t) * c.C,
                   c.inp + ((size_t)b * c.T + c.T - 1 - t) * c.C, c.C * sizeof *xr);
    sk__gru_forward_d(of, gc, c.inp, c.w[0], c.w[1], c.w[2], c.w[3], c.B, c.T, c.C, c.H);
    sk__gru_forward_d(ob, gc, xr, c.w[4], c.w[5], c.w[6], c.w[7], c.B, c.T, c.C, c.H);
    double maxd = 0;
    for (int b = 0; b < c.B; b++)
        for (int t = 0; t < c.T; t++)
            for (int j = 0; j < c.H; j++) {
                const double *o = c.out + ((size_t)b * c.T + t) * 2 * c.H;
                maxd = fmax(maxd, fabs(o[j] - of[((size_t)b * c.T + t) * c.H + j]));
                maxd = fmax(maxd, fabs(o[c.H + j] -
                                       ob[((size_t)b * c.T + c.T - 1 - t) * c.H + j]));
            }
    CHECK_MSG(maxd == 0, "bigru halves differ from the two GRUs by %g", maxd);
    free(xr), free(of), free(ob), free(gc);
    for (int i = 0; i < 8; i++)
        free(c.w[i]), free(d[i]);
    free(c.inp), free(c.g), free(c.out), free(c.cache), free(dinp);
}

/* The GRU step by the textbook equations, written independently of the
 * batched kernel: one sequence, plain loops. */
static void test_gru_equations(void)
{
    enum { T = 4, C = 3, H = 5 };
    double *inp = rand_vec(T * C, 1), *wi = rand_vec(3 * H * C, 0.7);
    double *wh = rand_vec(3 * H * H, 0.7), *bi = rand_vec(3 * H, 0.5);
    double *bh = rand_vec(3 * H, 0.5), *out = zeros(T * H);
    double *cache = zeros(sk__gru_cache_size(1, T, C, H));
    sk__gru_forward_d(out, cache, inp, wi, wh, bi, bh, 1, T, C, H);
    double h[H] = {0}, maxd = 0;
    for (int t = 0; t < T; t++) {
        double hn[H];
        for (int j = 0; j < H; j++) {
            double a[3], r_, z_, n_;
            for (int gi = 0; gi < 3; gi++) {
                a[gi] = bi[gi * H + j];
                for (int k = 0; k < C; k++)
                    a[gi] += wi[(gi * H + j) * C + k] * inp[t * C + k];
            }
            double hh[3];
            for (int gi = 0; gi < 3; gi++) {
                hh[gi] = bh[gi * H + j];
                for (int k = 0; k < H; k++)
                    hh[gi] += wh[(gi * H + j) * H + k] * h[k];
            }
            r_ = 1 / (1 + exp(-(a[0] + hh[0])));
            z_ = 1 / (1 + exp(-(a[1] + hh[1])));
            n_ = tanh(a[2] + r_ * hh[2]);
            hn[j] = (1 - z_) * n_ + z_ * h[j];
        }
        for (int j = 0; j < H; j++) {
            h[j] = hn[j];
            maxd = fmax(maxd, fabs(h[j] - out[t * H + j]));
        }
    }
    CHECK_MSG(maxd < 1e-12, "gru vs textbook equations: %g", maxd);
    free(inp), free(wi), free(wh), free(bi), free(bh), free(out), free(cache);
}

/* ---- causal dilated convolution ---- */
typedef struct {
    int B, T, C, O, K, d;
    double *inp, *w, *b, *g, *out, *cache;
} conv_ctx;

static double conv_loss(void *p)
{
    conv_ctx *c = p;
    sk__conv_forward_d(c->out, c->cache, c->inp, c->w, c->b, c->B, c->T, c->C,
                       c->O, c->K, c->d);
    return dotsum(c->out, c->g, (size_t)c->B * c->T * c->O);
}

static void test_conv(void)
{
    conv_ctx c = {.B = 2, .T = 9, .C = 3, .O = 4, .K = 3, .d = 2};
    size_t nin = (size_t)c.B * c.T * c.C, nw = (size_t)c.O * c.C * c.K;
    size_t nout = (size_t)c.B * c.T * c.O;
    c.inp = rand_vec(nin, 1), c.w = rand_vec(nw, 0.6), c.b = rand_vec(c.O, 0.5);
    c.g = rand_vec(nout, 1), c.out = zeros(nout);
    c.cache = zeros(sk__conv_cache_size(c.B, c.T, c.C, c.O, c.K));
    conv_loss(&c);
    /* The definition, directly. */
    double maxd = 0;
    for (int b = 0; b < c.B; b++)
        for (int t = 0; t < c.T; t++)
            for (int o = 0; o < c.O; o++) {
                double s = c.b[o];
                for (int ch = 0; ch < c.C; ch++)
                    for (int k = 0; k < c.K; k++) {
                        int ts = t - (c.K - 1 - k) * c.d;
                        if (ts >= 0)
                            s += c.w[(o * c.C + ch) * c.K + k] *
                                 c.inp[(b * c.T + ts) * c.C + ch];
                    }
                maxd = fmax(maxd, fabs(s - c.out[(b * c.T + t) * c.O + o]));
            }
    CHECK_MSG(maxd < 1e-12, "conv vs definition: %g", maxd);
    double *dinp = zeros(nin), *dw = zeros(nw), *db = zeros(c.O);
    sk__conv_backward_d(dinp, dw, db, c.cache, c.g, c.w, c.B, c.T, c.C, c.O,
                        c.K, c.d);
    grad_check("conv d=2", "inp", conv_loss, &c, c.inp, dinp, nin);
    grad_check("conv d=2", "w", conv_loss, &c, c.w, dw, nw);
    grad_check("conv d=2", "b", conv_loss, &c, c.b, db, c.O);
    free(c.inp), free(c.w), free(c.b), free(c.g), free(c.out), free(c.cache);
    free(dinp), free(dw), free(db);
}

/* ---- ReLU, dropout, softmax cross-entropy ---- */
typedef struct {
    size_t N;
    double *inp, *g, *out, *mask;
} elem_ctx;

static double relu_loss(void *p)
{
    elem_ctx *c = p;
    sk__relu_forward_d(c->out, c->inp, c->N);
    return dotsum(c->out, c->g, c->N);
}

static double dropout_loss(void *p)
{
    elem_ctx *c = p;
    sk__dropout_forward_d(c->out, c->mask, c->inp, 0.4f, NULL, c->N);
    return dotsum(c->out, c->g, c->N);
}

static void test_relu_dropout(void)
{
    elem_ctx c = {.N = 40};
    c.inp = rand_vec(c.N, 1), c.g = rand_vec(c.N, 1), c.out = zeros(c.N);
    c.mask = zeros(c.N);
    for (size_t i = 0; i < c.N; i++) /* keep clear of the kink at 0 */
        if (fabs(c.inp[i]) < 0.05)
            c.inp[i] = 0.5;
    double *d = zeros(c.N);
    relu_loss(&c);
    sk__relu_backward_d(d, c.g, c.out, c.N);
    grad_check("relu", "inp", relu_loss, &c, c.inp, d, c.N);

    /* Dropout: draw a mask once, then hold it fixed. */
    sk_rng r;
    sk_rng_seed(&r, 5);
    sk__dropout_forward_d(c.out, c.mask, c.inp, 0.4f, &r, c.N);
    size_t dropped = 0;
    for (size_t i = 0; i < c.N; i++) {
        dropped += c.mask[i] == 0;
        CHECK(c.mask[i] == 0 || fabs(c.mask[i] - 1 / 0.6) < 1e-6);
    }
    CHECK_MSG(dropped > 4 && dropped < 30, "dropped %zu of 40 at p=0.4",
              dropped);
    memset(d, 0, c.N * sizeof *d);
    dropout_loss(&c);
    sk__dropout_backward_d(d, c.g, c.mask, c.N);
    grad_check("dropout", "inp", dropout_loss, &c, c.inp, d, c.N);
    free(c.inp), free(c.g), free(c.out), free(c.mask), free(d);
}

/* ---- mean over time ---- */
typedef struct {
    int B, T, H;
    double *inp, *g, *out;
} pool_ctx;

static double pool_loss(void *p)
{
    pool_ctx *c = p;
    sk__meanpool_forward_d(c->out, c->inp, c->B, c->T, c->H);
    return dotsum(c->out, c->g, (size_t)c->B * c->H);
}

static void test_meanpool(void)
{
    pool_ctx c = {.B = 3, .T = 7, .H = 5};
    size_t nin = (size_t)c.B * c.T * c.H, nout = (size_t)c.B * c.H;
    c.inp = rand_vec(nin, 1), c.g = rand_vec(nout, 1), c.out = zeros(nout);
    double *d = zeros(nin);
    for (size_t i = 0; i < nin; i++) /* backward adds */
        d[i] = 2;
    pool_loss(&c);
    sk__meanpool_backward_d(d, c.g, c.B, c.T, c.H);
    for (size_t i = 0; i < nin; i++)
        d[i] -= 2;
    grad_check("meanpool", "inp", pool_loss, &c, c.inp, d, nin);
    /* The definition: the mean over t of each unit. */
    pool_loss(&c); /* grad_check left out at a perturbed input */
    double maxd = 0;
    for (int b = 0; b < c.B; b++)
        for (int h = 0; h < c.H; h++) {
            double s = 0;
            for (int t = 0; t < c.T; t++)
                s += c.inp[((size_t)b * c.T + t) * c.H + h];
            double e = fabs(s / c.T - c.out[(size_t)b * c.H + h]);
            maxd = e > maxd ? e : maxd;
        }
    CHECK_MSG(maxd < 1e-12, "meanpool differs from the mean by %g", maxd);
    free(c.inp), free(c.g), free(c.out), free(d);
}

typedef struct {
    int B, K, y[4];
    float ls; /* label smoothing */
    double *logits, *probs, *losses, *wt;
} ce_ctx;

static double ce_loss(void *p)
{
    ce_ctx *c = p;
    sk__softmax_ce_forward_d(c->probs, c->losses, c->logits, c->y, c->B, c->K, c->ls);
    return dotsum(c->losses, c->wt, c->B);
}

static void test_softmax_ce(void)
{
    ce_ctx c = {.B = 4, .K = 6, .y = {0, 5, 2, 2}};
    size_t n = (size_t)c.B * c.K;
    c.logits = rand_vec(n, 3), c.probs = zeros(n), c.losses = zeros(c.B);
    c.wt = rand_vec(c.B, 1);
    double *d = zeros(n);
    ce_loss(&c);
    for (int b = 0; b < c.B; b++) {
        double s = 0;
        for (int k = 0; k < c.K; k++)
            s += c.probs[b * c.K + k];
        CHECK(fabs(s - 1) < 1e-12);
        CHECK(fabs(c.losses[b] + log(c.probs[b * c.K + c.y[b]])) < 1e-12);
    }
    sk__softmax_ce_backward_d(d, c.probs, c.y, c.wt, c.B, c.K, c.ls);
    grad_check("softmax-ce", "logits", ce_loss, &c, c.logits, d, n);

    /* Label smoothing 0.2: the loss against the definition
     * -sum_k q_k log p_k, q = 0.8 onehot + 0.2/K, and its gradient. */
    c.ls = 0.2f;
    ce_loss(&c);
    for (int b = 0; b < c.B; b++) {
        double want = 0;
        for (int k = 0; k < c.K; k++) {
            double q = (k == c.y[b] ? 1 - (double)c.ls : 0) + (double)c.ls / c.K;
            want -= q * log(c.probs[b * c.K + k]);
        }
        CHECK_MSG(fabs(c.losses[b] - want) < 1e-10, "smoothed loss %g vs %g",
                  c.losses[b], want);
    }
    memset(d, 0, n * sizeof *d);
    sk__softmax_ce_backward_d(d, c.probs, c.y, c.wt, c.B, c.K, c.ls);
    grad_check("softmax-ce ls", "logits", ce_loss, &c, c.logits, d, n);
    c.ls = 0;

    /* Stable for huge logits: finite, exact-looking values. */
    double big[3] = {1000, 0, -1000}, pr[3], ls;
    int y0 = 1;
    sk__softmax_ce_forward_d(pr, &ls, big, &y0, 1, 3, 0);
    CHECK(isfinite(ls) && fabs(ls - 1000) < 1e-9 && pr[0] == 1.0);
    float bigf[3] = {1000, 0, -1000}, prf[3], lsf;
    sk__softmax_ce_forward_f(prf, &lsf, bigf, &y0, 1, 3, 0);
    CHECK(isfinite(lsf) && fabsf(lsf - 1000) < 1e-3f);
    free(c.logits), free(c.probs), free(c.losses), free(c.wt), free(d);
}

/* ---- whole models ---- */
typedef struct {
    sk_model_config cfg;
    int B;
    float p, ls; /* dropout, label smoothing */
    double *params, *x, *wt, *ws;
    int y[8];
} net_ctx;

static double net_loss(void *p)
{
    net_ctx *c = p;
    /* rng NULL: the dropout masks drawn by the first pass stay fixed. */
    return sk__net_forward_d(NULL, c->ws, &c->cfg, c->params, c->x, c->y,
                             c->wt, c->B, c->p, NULL, c->ls);
}

static void net_check_ls(int arch, int layers, float p, int pool, float ls)
{
    net_ctx c = {.cfg = {.arch = arch, .input = 4, .hidden = 6,
                         .layers = layers, .classes = 3, .window = 7,
                         .kernel = 3, .pool = pool},
                 .B = 3, .p = p, .ls = ls, .y = {2, 0, 1}};
    size_t np = sk_model_param_count(&c.cfg);
    size_t nx = (size_t)c.B * c.cfg.window * c.cfg.input;
    c.params = rand_vec(np, 0.5), c.x = rand_vec(nx, 1);
    c.wt = rand_vec(c.B, 1);
    c.ws = zeros(sk__net_ws_size(&c.cfg, c.B));
    double *grads = zeros(np), *dx = zeros(nx);
    sk_rng r;
    sk_rng_seed(&r, 11);
    sk__net_forward_d(NULL, c.ws, &c.cfg, c.params, c.x, c.y, c.wt, c.B, p, &r,
                      c.ls);
    sk__net_backward_d(grads, dx, c.ws, &c.cfg, c.params, c.x, c.y, c.wt, c.B,
                       p, c.ls);
    char what[48];
    snprintf(what, sizeof what, "%s L=%d p=%.1f %s%s", sk_arch_name(arch), layers,
             p, sk_pool_name(pool), ls > 0 ? " ls" : "");
    grad_check(what, "params", net_loss, &c, c.params, grads, np);
    grad_check(what, "x", net_loss, &c, c.x, dx, nx);
    free(c.params), free(c.x), free(c.wt), free(c.ws), free(grads), free(dx);
}

static void net_check_pool(int arch, int layers, float p, int pool)
{
    net_check_ls(arch, layers, p, pool, 0.0f);
}

static void net_check(int arch, int layers, float p)
{
    net_check_pool(arch, layers, p, SK_POOL_LAST);
}

static void test_net_gru(void)
{
    net_check(SK_ARCH_GRU, 2, 0.0f);
    net_check(SK_ARCH_GRU, 2, 0.3f);
    net_check_pool(SK_ARCH_GRU, 2, 0.0f, SK_POOL_MEAN);
    net_check_pool(SK_ARCH_GRU, 2, 0.3f, SK_POOL_MEAN);
    net_check_ls(SK_ARCH_GRU, 2, 0.3f, SK_POOL_LAST, 0.1f);
}

static void test_net_lstm(void)
{
    net_check(SK_ARCH_LSTM, 2, 0.0f);
    net_check(SK_ARCH_LSTM, 3, 0.3f);
    net_check_pool(SK_ARCH_LSTM, 2, 0.3f, SK_POOL_MEAN);
}

static void test_net_bigru(void)
{
    net_check(SK_ARCH_BIGRU, 1, 0.0f);
    net_check(SK_ARCH_BIGRU, 2, 0.3f);
    net_check_pool(SK_ARCH_BIGRU, 2, 0.3f, SK_POOL_MEAN);
}

static void test_net_tcn(void)
{
    net_check(SK_ARCH_TCN, 3, 0.0f);
    net_check(SK_ARCH_TCN, 3, 0.3f);
    net_check_pool(SK_ARCH_TCN, 3, 0.3f, SK_POOL_MEAN);
    net_check_ls(SK_ARCH_TCN, 2, 0.0f, SK_POOL_LAST, 0.2f);
}

/* ---- the float trainer ---- */

/* A model built by hand (only what training reads). */
static sk_model *make_model(const sk_model_config *cfg, uint64_t seed)
{
    sk_model *m = calloc(1, sizeof *m);
    m->hdr.arch = *cfg;
    m->nparams = sk_model_param_count(cfg);
    m->params = malloc(m->nparams * sizeof *m->params);
    sk_rng r;
    sk_rng_seed(&r, seed);
    for (size_t i = 0; i < m->nparams; i++)
        m->params[i] = sk_rng_uniform(&r, -0.4f, 0.4f);
    return m;
}

static void free_model(sk_model *m)
{
    free(m->params);
    free(m);
}

typedef struct {
    sk_trainer *t;
    const float *x;
    const int *y;
    int B;
    int rc;
} step_job;

static void *step_thread(void *p)
{
    step_job *j = p;
    sk_rng r;
    sk_rng_seed(&r, 99);
    j->rc = sk_trainer_step(j->t, j->x, j->y, NULL, j->B, 0.2f, &r, NULL, NULL);
    return NULL;
}

static void trainer_check(int arch)
{
    sk_model_config cfg = {.arch = arch, .input = 10, .hidden = 16,
                           .layers = 2, .classes = 4, .window = 12,
                           .kernel = 3};
    sk_model *m = make_model(&cfg, 3);
    enum { B = 5 };
    size_t nx = (size_t)B * cfg.window * cfg.input, np = m->nparams;
    float *x = malloc(nx * sizeof *x);
    int y[B] = {0, 1, 2, 3, 1};
    float wt[B] = {1, 0.5f, 2, 1, 1};
    for (size_t i = 0; i < nx; i++)
        x[i] = sk_rng_uniform(&rng, -1, 1);
    sk_trainer *t = NULL, *t2 = NULL;
    CHECK_EQ_INT(sk_trainer_create(&t, m, 8), 0);
    CHECK_EQ_INT(sk_trainer_create(&t2, m, B), 0);
    CHECK_EQ_INT(sk_trainer_set_label_smoothing(t2, 1.0f), SK_EINVAL);
    CHECK_EQ_INT(sk_trainer_set_label_smoothing(t2, -0.1f), SK_EINVAL);
    CHECK_EQ_INT(sk_trainer_set_label_smoothing(t2, NAN), SK_EINVAL);
    CHECK_EQ_INT(sk_trainer_set_label_smoothing(t2, 0.0f), 0);
    CHECK_EQ_INT(sk_trainer_ngrads(t), np);
    double loss = 0;
    int ncorrect = -1;
    CHECK_EQ_INT(sk_trainer_step(t, x, y, wt, B, 0.0f, NULL, &loss, &ncorrect), 0);
    CHECK(ncorrect >= 0 && ncorrect <= B);

    /* Float trainer against the double pass on the same numbers. */
    double *pd = malloc(np * sizeof *pd), *xd = malloc(nx * sizeof *xd);
    double *gd = calloc(np, sizeof *gd), wd[B];
    for (size_t i = 0; i < np; i++)
        pd[i] = m->params[i];
    for (size_t i = 0; i < nx; i++)
        xd[i] = x[i];
    for (int b = 0; b < B; b++)
        wd[b] = wt[b];
    double *ws = calloc(sk__net_ws_size(&cfg, B), sizeof *ws);
    double lossd = sk__net_forward_d(NULL, ws, &cfg, pd, xd, y, wd, B, 0, NULL, 0);
    sk__net_backward_d(gd, NULL, ws, &cfg, pd, xd, y, wd, B, 0, 0);
    CHECK_MSG(fabs(loss - lossd) < 1e-4 * (1 + fabs(lossd)),
              "float loss %g double %g", loss, lossd);
    const float *g = sk_trainer_grads(t);
    double gmax = 0, dmax = 0;
    for (size_t i = 0; i < np; i++) {
        gmax = fmax(gmax, fabs(gd[i]));
        dmax = fmax(dmax, fabs(g[i] - gd[i]));
    }
    printf("  %s trainer float vs double: max grad %.3g, max diff %.3g\n",
           sk_arch_name(arch), gmax, dmax);
    CHECK_MSG(dmax < 1e-4 * gmax, "%s float grads off by %g (max %g)",
              sk_arch_name(arch), dmax, gmax);

    /* Probabilities of sk_trainer_forward agree with the double pass. */
    float probs[B * 4];
    double probd[B * 4];
    CHECK_EQ_INT(sk_trainer_forward(t, x, B, probs), 0);
    sk__net_forward_d(probd, ws, &cfg, pd, xd, NULL, NULL, B, 0, NULL, 0);
    for (int i = 0; i < B * 4; i++)
        CHECK(fabs(probs[i] - probd[i]) < 1e-5);

    /* Gradients accumulate: a second identical step doubles them. */
    float *g1 = malloc(np * sizeof *g1);
    memcpy(g1, g, np * sizeof *g1);
    CHECK_EQ_INT(sk_trainer_step(t, x, y, wt, B, 0.0f, NULL, NULL, NULL), 0);
    size_t off = 0;
    for (size_t i = 0; i < np; i++)
        off += fabsf(g[i] - 2 * g1[i]) > 1e-6f * (1 + fabsf(g1[i]));
    CHECK_EQ_INT(off, 0);
    sk_trainer_zero_grads(t);
    for (size_t i = 0; i < np; i++)
        off += g[i] != 0;
    CHECK_EQ_INT(off, 0);

    /* Bad arguments. */
    int ybad[B] = {0, 1, 4, 0, 0};
    CHECK_EQ_INT(sk_trainer_step(t, x, ybad, NULL, B, 0, NULL, NULL, NULL), SK_EINVAL);
    CHECK_EQ_INT(sk_trainer_step(t, x, y, NULL, 9, 0, NULL, NULL, NULL), SK_EINVAL);
    CHECK_EQ_INT(sk_trainer_step(t, x, y, NULL, B, 0.5f, NULL, NULL, NULL), SK_EINVAL);

    /* Determinism with dropout, and two trainers on one model in two
     * threads at once give what each gives alone. */
    sk_trainer_zero_grads(t);
    step_job j1 = {t, x, y, B, -1}, j2 = {t2, x, y, B, -1};
    step_thread(&j1);
    memcpy(g1, g, np * sizeof *g1);
    sk_trainer_zero_grads(t);
    pthread_t th1, th2;
    pthread_create(&th1, NULL, step_thread, &j1);
    pthread_create(&th2, NULL, step_thread, &j2);
    pthread_join(th1, NULL);
    pthread_join(th2, NULL);
    CHECK(j1.rc == 0 && j2.rc == 0);
    const float *g2 = sk_trainer_grads(t2);
    CHECK(memcmp(g1, g, np * sizeof *g1) == 0);
    CHECK(memcmp(g1, g2, np * sizeof *g1) == 0);

    sk_trainer_destroy(t);
    sk_trainer_destroy(t2);
    sk_trainer_destroy(NULL);
    free(x), free(pd), free(xd), free(gd), free(ws), free(g1);
    free_model(m);
}

static void test_trainer(void)
{
    trainer_check(SK_ARCH_GRU);
    trainer_check(SK_ARCH_LSTM);
    trainer_check(SK_ARCH_TCN);
    trainer_check(SK_ARCH_BIGRU);
}

/* The AVX2 build of the float layers gives bit-identical results to the
 * portable build: same operations in the same order, wider. */
static void avx2_check(int arch, int pool)
{
#if SK__LAYERS_AVX2
    if (!sk__cpu_has_avx2()) {
        printf("  (this CPU has no AVX2: nothing to compare)\n");
        return;
    }
    sk_model_config cfg = {.arch = arch, .input = 21, .hidden = 37,
                           .layers = 3, .classes = 5, .window = 11,
                           .kernel = 3, .pool = pool};
    enum { B = 6 };
    size_t np = sk_model_param_count(&cfg), nx = (size_t)B * 11 * 21;
    size_t nws = sk__net_ws_size(&cfg, B);
    float *p = malloc(np * sizeof *p), *x = malloc(nx * sizeof *x);
    float *g1 = calloc(np, sizeof *g1), *g2 = calloc(np, sizeof *g2);
    float *dx1 = calloc(nx, sizeof *dx1), *dx2 = calloc(nx, sizeof *dx2);
    float *ws1 = calloc(nws, sizeof *ws1), *ws2 = calloc(nws, sizeof *ws2);
    float pr1[B * 5], pr2[B * 5], wt[B] = {1, 2, 0.5f, 1, 1, 3};
    int y[B] = {0, 1, 2, 3, 4, 0};
    for (size_t i = 0; i < np; i++)
        p[i] = sk_rng_uniform(&rng, -0.3f, 0.3f);
    for (size_t i = 0; i < nx; i++)
        x[i] = sk_rng_uniform(&rng, -1, 1);
    sk_rng r1, r2;
    sk_rng_seed(&r1, 8);
    sk_rng_seed(&r2, 8);
    double l1 = sk__net_forward_f(pr1, ws1, &cfg, p, x, y, wt, B, 0.25f, &r1, 0.1f);
    double l2 = sk__net_forward_f_avx2(pr2, ws2, &cfg, p, x, y, wt, B, 0.25f, &r2, 0.1f);
    sk__net_backward_f(g1, dx1, ws1, &cfg, p, x, y, wt, B, 0.25f, 0.1f);
    sk__net_backward_f_avx2(g2, dx2, ws2, &cfg, p, x, y, wt, B, 0.25f, 0.1f);
    CHECK(l1 == l2);
    CHECK(memcmp(pr1, pr2, sizeof pr1) == 0);
    CHECK(memcmp(g1, g2, np * sizeof *g1) == 0);
    CHECK(memcmp(dx1, dx2, nx * sizeof *dx1) == 0);
    free(p), free(x), free(g1), free(g2), free(dx1), free(dx2), free(ws1);
    free(ws2);
#else
    (void)arch, (void)pool;
    printf("  (no AVX2 build on this platform)\n");
#endif
}

static void test_avx2_same(void)
{
    for (int pool = SK_POOL_LAST; pool <= SK_POOL_MEAN; pool++) {
        avx2_check(SK_ARCH_GRU, pool);
        avx2_check(SK_ARCH_LSTM, pool);
        avx2_check(SK_ARCH_TCN, pool);
        avx2_check(SK_ARCH_BIGRU, pool);
    }
}

/* AdamW against its definition, computed here in double. */
static void test_adam(void)
{
    enum { N = 6 };
    float p[N], g[N];
    double pd[N], m[N] = {0}, v[N] = {0};
    for (int i = 0; i < N; i++)
        pd[i] = p[i] = sk_rng_uniform(&rng, -1, 1);
    sk_adam a;
    CHECK_EQ_INT(sk_adam_init(&a, N), 0);
    for (int s = 1; s <= 5; s++) {
        for (int i = 0; i < N; i++)
            g[i] = sk_rng_uniform(&rng, -1, 1);
        sk_adam_step(&a, p, g, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f);
        for (int i = 0; i < N; i++) {
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * (double)g[i] * g[i];
            double mh = m[i] / (1 - pow(0.9, s)), vh = v[i] / (1 - pow(0.999, s));
            pd[i] -= 0.01 * (mh / (sqrt(vh) + 1e-8) + 0.1 * pd[i]);
        }
    }
    for (int i = 0; i < N; i++)
        CHECK_MSG(fabs(p[i] - pd[i]) < 1e-5, "adam p[%d] %g vs %g", i, p[i],
                  pd[i]);
    CHECK_EQ_INT(a.t, 5);
    sk_adam_free(&a);
    sk_adam_free(&a);

    float gg[4] = {3, 4, 0, 0};
    CHECK(fabsf(sk_grads_clip(gg, 4, 1.0f) - 5.0f) < 1e-6f);
    CHECK(fabsf(gg[0] - 0.6f) < 1e-6f && fabsf(gg[1] - 0.8f) < 1e-6f);
    CHECK(fabsf(sk_grads_clip(gg, 4, 10.0f) - 1.0f) < 1e-6f);
    CHECK(fabsf(gg[0] - 0.6f) < 1e-6f);
    sk_grads_scale(gg, 4, 2.0f);
    CHECK(fabsf(gg[1] - 1.6f) < 1e-6f);
}

int main(void)
{
    sk_rng_seed(&rng, 20261124);
    RUN(test_dense);
    RUN(test_gru);
    RUN(test_gru_equations);
    RUN(test_bigru);
    RUN(test_lstm);
    RUN(test_conv);
    RUN(test_relu_dropout);
    RUN(test_meanpool);
    RUN(test_softmax_ce);
    RUN(test_net_gru);
    RUN(test_net_lstm);
    RUN(test_net_bigru);
    RUN(test_net_tcn);
    RUN(test_trainer);
    RUN(test_avx2_same);
    RUN(test_adam);
    return check_report();
}
