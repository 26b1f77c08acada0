/* Single-window inference: every kernel set against the plain kernels and
 * against a double-precision reference written here straight from the
 * equations of include/skelact/nn.h; and, as a third independent
 * implementation, the batched trainer's forward pass. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn_models.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "nn/rng.h"
#include "nn/train.h"

/* ---- the reference: plain double precision, from the equations ---------- */

static double sig(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* x (W, C) -> probs (K), from the parameter layout of nn.h. */
static void ref_forward(const sk_model_config *cfg, const float *P,
                        const float *x, double *probs)
{
    sk__param_table pt;
    sk__param_table_fill(cfg, &pt);
    int W = cfg->window, H = cfg->hidden, G = sk__arch_gates(cfg->arch);
    int D = sk__arch_dirs(cfg->arch), HO = D * H; /* bigru: [fwd, bwd] */
    size_t big = (size_t)W * (size_t)(cfg->input > HO ? cfg->input : HO);
    double *in = calloc(big, sizeof *in), *out = calloc(big, sizeof *out);
    double *h = calloc((size_t)HO, sizeof *h), *c = calloc((size_t)H, sizeof *c);
    double *g = calloc((size_t)G * H, sizeof *g);
    for (int i = 0; i < W * cfg->input; i++)
        in[i] = x[i];
    for (int l = 0; l < cfg->layers; l++) {
        const sk__layer_params *lp = &pt.layer[l];
        int Cl = lp->in;
        if (cfg->arch == SK_ARCH_TCN) {
            int k = cfg->kernel, d = 1 << l;
            for (int t = 0; t < W; t++)
                for (int o = 0; o < H; o++) {
                    double z = P[lp->b_ih + o];
                    for (int ci = 0; ci < Cl; ci++)
                        for (int j = 0; j < k; j++) {
                            int u = t - (k - 1 - j) * d;
                            if (u >= 0)
                                z += (double)P[lp->w_ih + ((size_t)o * Cl + ci) * k + j] *
                                     in[(size_t)u * Cl + ci];
                        }
                    z = z > 0 ? z : 0;
                    if (l > 0)
                        z += in[(size_t)t * Cl + o];
                    out[(size_t)t * H + o] = z;
                }
        } else for (int dir = 0; dir < D; dir++) { /* bigru: 1 reads backwards */
            size_t w_ih = dir ? lp->w_ih_r : lp->w_ih, w_hh = dir ? lp->w_hh_r : lp->w_hh;
            size_t b_ih = dir ? lp->b_ih_r : lp->b_ih, b_hh = dir ? lp->b_hh_r : lp->b_hh;
            memset(h, 0, (size_t)H * sizeof *h);
            memset(c, 0, (size_t)H * sizeof *c);
            for (int step = 0; step < W; step++) {
                int t = dir ? W - 1 - step : step;
                double *xt = in + (size_t)t * Cl;
                double gi[4 * 512], gh[4 * 512]; /* H <= 512 in this test */
                for (int r = 0; r < G * H; r++) {
                    double a = P[b_ih + r], b = P[b_hh + r];
                    for (int ci = 0; ci < Cl; ci++)
                        a += (double)P[w_ih + (size_t)r * Cl + ci] * xt[ci];
                    for (int ci = 0; ci < H; ci++)
                        b += (double)P[w_hh + (size_t)r * H + ci] * h[ci];
                    gi[r] = a;
                    gh[r] = b;
                }
                for (int j = 0; j < H; j++) {
                    if (cfg->arch != SK_ARCH_LSTM) {
                        double r = sig(gi[j] + gh[j]);
                        double z = sig(gi[H + j] + gh[H + j]);
                        double n = tanh(gi[2 * H + j] + r * gh[2 * H + j]);
                        g[j] = (1 - z) * n + z * h[j];
                    } else {
                        double i = sig(gi[j] + gh[j]);
                        double f = sig(gi[H + j] + gh[H + j]);
                        double gg = tanh(gi[2 * H + j] + gh[2 * H + j]);
                        double o = sig(gi[3 * H + j] + gh[3 * H + j]);
                        c[j] = f * c[j] + i * gg;
                        g[j] = o * tanh(c[j]);
                    }
                }
                memcpy(h, g, (size_t)H * sizeof *h);
                memcpy(out + (size_t)t * HO + dir * H, h, (size_t)H * sizeof *h);
            }
        }
        double *sw = in;
        in = out;
        out = sw;
    }
    const double *last = in + (size_t)(W - 1) * HO;
    if (D == 2) { /* each direction's final state */
        memcpy(h, last, (size_t)H * sizeof *h);
        memcpy(h + H, in + H, (size_t)H * sizeof *h);
        last = h;
    }
    if (cfg->pool == SK_POOL_MEAN) { /* the mean over the window */
        for (int j = 0; j < HO; j++) {
            double m = 0;
            for (int t = 0; t < W; t++)
                m += in[(size_t)t * HO + j];
            h[j] = m / W;
        }
        last = h;
    }
    double mx = -1e300, sum = 0;
    for (int k = 0; k < cfg->classes; k++) {
        double z = P[pt.b_out + k];
        for (int j = 0; j < HO; j++)
            z += (double)P[pt.w_out + (size_t)k * HO + j] * last[j];
        probs[k] = z;
        if (z > mx)
            mx = z;
    }
    for (int k = 0; k < cfg->classes; k++)
        sum += (probs[k] = exp(probs[k] - mx));
    for (int k = 0; k < cfg->classes; k++)
        probs[k] /= sum;
    free(in);
    free(out);
    free(h);
    free(c);
    free(g);
}

/* ---- helpers ------------------------------------------------------------ */

static void random_input(float *x, size_t n, uint64_t seed)
{
    sk_rng r;
    sk_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = sk_rng_normal(&r);
}

static const char *set_names[] = {"plain", "avx2", "avx512"};

/* ---- kernel-level comparisons ------------------------------------------- */

static double maxdiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m)) /* NaN counts as a difference */
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

static void test_kernels_match_plain(void)
{
    const sk__kernels *P = &sk__kernels_plain;
    int nsets = 0;
    for (int si = 1; si < 3; si++) {
        const sk__kernels *k = sk__kernels_get(set_names[si]);
        if (!k) {
            printf("  (kernel set %s: not supported by this CPU, skipped)\n",
                   set_names[si]);
            continue;
        }
        nsets++;
        sk_rng r;
        sk_rng_seed(&r, 7 + si);
        const int Ms[] = {1, 2, 3, 4, 5, 6, 7, 11, 13, 30};
        const int Ks[] = {1, 3, 17, 64, 120, 129};
        for (size_t mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
            for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++)
                for (int nv = 1; nv <= 20; nv += 3) {
                    int M = Ms[mi], K = Ks[ki], N = nv * k->vw, lda = K + 3;
                    float *a = malloc(sizeof(float) * M * lda);
                    float *b = malloc(sizeof(float) * K * N);
                    float *bias = malloc(sizeof(float) * N);
                    float *bp1 = malloc(sizeof(float) * K * N);
                    float *bp2 = malloc(sizeof(float) * K * N);
                    float *c1 = malloc(sizeof(float) * M * (N + 8));
                    float *c2 = malloc(sizeof(float) * M * (N + 8));
                    for (int i = 0; i < M * lda; i++)
                        a[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < K * N; i++)
                        b[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < N; i++)
                        bias[i] = sk_rng_uniform(&r, -1, 1);
                    double tol = 1e-5 * (K + 1);
                    /* matmul */
                    sk__pack(bp1, b, K, N, P->nr_mm);
                    sk__pack(bp2, b, K, N, k->nr_mm);
                    P->matmul(c1, N + 8, a, lda, bp1, bias, M, K, N);
                    k->matmul(c2, N + 8, a, lda, bp2, bias, M, K, N);
                    double d = 0;
                    for (int i = 0; i < M; i++) {
                        double di = maxdiff(c1 + (size_t)i * (N + 8),
                                            c2 + (size_t)i * (N + 8), (size_t)N);
                        if (di > d)
                            d = di;
                    }
                    CHECK_MSG(d < tol, "%s matmul M=%d K=%d N=%d: diff %g",
                              k->name, M, K, N, d);
                    /* matmul without bias */
                    P->matmul(c1, N + 8, a, lda, bp1, NULL, M, K, N);
                    k->matmul(c2, N + 8, a, lda, bp2, NULL, M, K, N);
                    d = maxdiff(c1, c2, (size_t)N);
                    CHECK_MSG(d < tol, "%s matmul (no bias) M=%d K=%d N=%d: diff %g",
                              k->name, M, K, N, d);
                    if (M == 1) /* matvec on the same data, both orders */
                        for (int rev = 0; rev < 2; rev++) {
                            sk__pack(bp1, b, K, N, P->nr_mv);
                            sk__pack(bp2, b, K, N, k->nr_mv);
                            P->matvec(c1, a, bp1, bias, K, N, rev);
                            k->matvec(c2, a, bp2, bias, K, N, rev);
                            d = maxdiff(c1, c2, (size_t)N);
                            CHECK_MSG(d < tol, "%s matvec K=%d N=%d rev %d: diff %g",
                                      k->name, K, N, rev, d);
                        }
                    free(a);
                    free(b);
                    free(bias);
                    free(bp1);
                    free(bp2);
                    free(c1);
                    free(c2);
                }
        /* matvec_mm: a matvec overlapped with blocks of a matmul (blocks
         * of every height up to the set's mm_rows, more blocks than the
         * matvec has panels; the matmul's K below, equal to and above the
         * matvec's). Blocks not listed must stay untouched. */
        const int Kvs[] = {5, 40, 128};
        const int Kms[] = {3, 40, 150};
        for (int vi = 0; vi < 3; vi++)
            for (int mi = 0; mi < 3; mi++)
                for (int nvv = 4; nvv <= 13; nvv += 9) {
                    int Kv = Kvs[vi], Km = Kms[mi], N = nvv * k->vw;
                    int Nm = 3 * k->nr_mm, M = 0, ldc = Nm + 4;
                    for (int h = k->mm_rows; h >= 1; h--) /* blocks of h rows */
                        M += h;
                    float *bv = malloc(sizeof(float) * Kv * N);
                    float *bm = malloc(sizeof(float) * Km * Nm);
                    float *pv1 = malloc(sizeof(float) * Kv * N);
                    float *pv2 = malloc(sizeof(float) * Kv * N);
                    float *pm1 = malloc(sizeof(float) * Km * Nm);
                    float *pm2 = malloc(sizeof(float) * Km * Nm);
                    float *xv = malloc(sizeof(float) * Kv);
                    float *am = malloc(sizeof(float) * M * Km);
                    float *bias = malloc(sizeof(float) * (N + Nm));
                    float *y1 = malloc(sizeof(float) * N), *y2 = malloc(sizeof(float) * N);
                    float *c1 = malloc(sizeof(float) * M * ldc);
                    float *c2 = malloc(sizeof(float) * M * ldc);
                    for (int i = 0; i < Kv * N; i++)
                        bv[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < Km * Nm; i++)
                        bm[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < Kv; i++)
                        xv[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < M * Km; i++)
                        am[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < N + Nm; i++)
                        bias[i] = sk_rng_uniform(&r, -1, 1);
                    for (int i = 0; i < M * ldc; i++)
                        c1[i] = c2[i] = 7.0f;
                    sk__pack(pv1, bv, Kv, N, P->nr_mv);
                    sk__pack(pv2, bv, Kv, N, k->nr_mv);
                    sk__pack(pm1, bm, Km, Nm, P->nr_mm);
                    sk__pack(pm2, bm, Km, Nm, k->nr_mm);
                    /* units in the matmul's own column panels (nr_mm of the
                     * set under test; the plain set packs with its own) */
                    sk__mm_unit u1[16], u2[16];
                    int nu = 0, nb = k->mm_rows, rows[16][2];
                    for (int j = 0, r0 = 0; j < nb; r0 += rows[j][1], j++) {
                        rows[j][0] = r0;             /* row */
                        rows[j][1] = k->mm_rows - j; /* height */
                    }
                    for (int q = 0; q < 2; q++)
                        for (int j = q; j < nb && nu < 16; j += 2) {
                            u2[nu] = (sk__mm_unit){rows[j][0], rows[j][1], (q + 1) * k->nr_mm};
                            u1[nu] = u2[nu];
                            nu++;
                        }
                    /* the plain set's panels are nr_mm of its own: split each
                     * unit's columns into its panels */
                    sk__mm_unit up[64];
                    int nup = 0;
                    for (int i = 0; i < nu; i++)
                        for (int c0 = 0; c0 < k->nr_mm; c0 += P->nr_mm)
                            up[nup++] = (sk__mm_unit){u1[i].row, u1[i].rows, u1[i].col + c0};
                    int rev = nvv > 4; /* both orders of the matvec */
                    P->matvec_mm(y1, xv, pv1, bias, Kv, N, c1, ldc, am, Km, pm1,
                                 bias + N, Km, up, nup, rev);
                    k->matvec_mm(y2, xv, pv2, bias, Kv, N, c2, ldc, am, Km, pm2,
                                 bias + N, Km, u2, nu, rev);
                    double d = maxdiff(y1, y2, (size_t)N);
                    double dc = maxdiff(c1, c2, (size_t)M * ldc);
                    double tol = 1e-5 * (Kv + Km + 1);
                    CHECK_MSG(d < tol && dc < tol, "%s matvec_mm Kv=%d Km=%d N=%d: y %g c %g",
                              k->name, Kv, Km, N, d, dc);
                    /* the blocks were computed, the rest left alone */
                    int untouched = 0, computed = 0;
                    for (int i = 0; i < M * ldc; i++) {
                        untouched += c2[i] == 7.0f;
                    }
                    for (int i = 0; i < nu; i++)
                        computed += u2[i].rows * k->nr_mm;
                    CHECK_MSG(untouched == M * ldc - computed,
                              "%s matvec_mm wrote %d cells, expected %d", k->name,
                              M * ldc - untouched, computed);
                    free(bv); free(bm); free(pv1); free(pv2); free(pm1); free(pm2);
                    free(xv); free(am); free(bias); free(y1); free(y2); free(c1); free(c2);
                }
        /* Gate arithmetic, over a wide range of pre-activations. */
        for (int H = k->vw; H <= 8 * k->vw; H += 3 * k->vw) {
            float gi[4 * 128], gh[4 * 128], h1[128], h2[128], c1[128], c2[128];
            for (int i = 0; i < 4 * H; i++) {
                float s = i % 7 == 0 ? 40.0f : 4.0f; /* some saturate */
                gi[i] = sk_rng_uniform(&r, -s, s);
                gh[i] = sk_rng_uniform(&r, -s, s);
            }
            for (int j = 0; j < H; j++) {
                h1[j] = h2[j] = sk_rng_uniform(&r, -1, 1);
                c1[j] = c2[j] = sk_rng_uniform(&r, -3, 3);
            }
            float g1[4 * 128], g2[4 * 128]; /* the gate kernels overwrite gh */
            memcpy(g1, gh, sizeof g1);
            memcpy(g2, gh, sizeof g2);
            P->gru_gates(h1, gi, g1, H);
            k->gru_gates(h2, gi, g2, H);
            CHECK_MSG(maxdiff(h1, h2, (size_t)H) < 1e-6, "%s gru_gates H=%d: %g",
                      k->name, H, maxdiff(h1, h2, (size_t)H));
            memcpy(g1, gh, sizeof g1);
            memcpy(g2, gh, sizeof g2);
            P->lstm_gates(h1, c1, gi, g1, H);
            k->lstm_gates(h2, c2, gi, g2, H);
            CHECK_MSG(maxdiff(h1, h2, (size_t)H) < 1e-6 &&
                          maxdiff(c1, c2, (size_t)H) < 1e-5,
                      "%s lstm_gates H=%d: h %g c %g", k->name, H,
                      maxdiff(h1, h2, (size_t)H), maxdiff(c1, c2, (size_t)H));
            P->relu_add(h1, gi, gh, H);
            k->relu_add(h2, gi, gh, H);
            CHECK_MSG(maxdiff(h1, h2, (size_t)H) == 0, "%s relu_add", k->name);
            P->relu_add(h1, gi, NULL, H);
            k->relu_add(h2, gi, NULL, H);
            CHECK_MSG(maxdiff(h1, h2, (size_t)H) == 0, "%s relu (no residual)",
                      k->name);
        }
    }
    CHECK(sk__kernels_get("plain") == &sk__kernels_plain);
    CHECK(sk__kernels_get("nonsense") == NULL);
    CHECK(sk__kernels_pick() != NULL);
    printf("  %d vector kernel set(s) compared with plain\n", nsets);
}

/* ---- whole models -------------------------------------------------------- */

struct shape {
    int arch, C, H, L, W, K, ksize;
};

static const struct shape shapes[] = {
    {SK_ARCH_GRU, 120, 128, 2, 30, 9, 0},  /* the reference shapes */
    {SK_ARCH_LSTM, 120, 128, 2, 30, 9, 0},
    {SK_ARCH_TCN, 120, 128, 4, 30, 9, 3},
    {SK_ARCH_GRU, 7, 13, 1, 1, 2, 0},      /* W = 1, K = 2, odd sizes */
    {SK_ARCH_LSTM, 7, 13, 1, 1, 2, 0},
    {SK_ARCH_TCN, 7, 13, 1, 1, 2, 3},
    {SK_ARCH_GRU, 61, 37, 3, 17, 5, 0},
    {SK_ARCH_LSTM, 61, 37, 3, 17, 5, 0},
    {SK_ARCH_TCN, 61, 37, 3, 17, 5, 2},
    {SK_ARCH_GRU, 3, 1, 2, 5, 3, 0},       /* H = 1 */
    {SK_ARCH_LSTM, 150, 100, 2, 9, 11, 0},
    {SK_ARCH_TCN, 150, 100, 5, 40, 11, 3}, /* receptive field 63 > W */
    {SK_ARCH_TCN, 33, 70, 2, 23, 4, 1},    /* kernel 1 */
    {SK_ARCH_GRU, 60, 64, 2, 30, 9, 0},
    {SK_ARCH_LSTM, 17, 129, 1, 4, 3, 0},   /* H one past a multiple of 16 */
    {SK_ARCH_TCN, 19, 33, 4, 30, 7, 4},
    {SK_ARCH_BIGRU, 120, 128, 2, 32, 20, 0}, /* the msr clips' shape */
    {SK_ARCH_BIGRU, 7, 13, 1, 1, 2, 0},
    {SK_ARCH_BIGRU, 61, 37, 3, 17, 5, 0},
    {SK_ARCH_BIGRU, 3, 1, 2, 5, 3, 0},
};

static void test_models_match_reference(void)
{
    int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    for (int pi = 0; pi < 2 * nshapes; pi++) { /* last step, then mean */
        int si = pi % nshapes, pool = pi < nshapes ? SK_POOL_LAST : SK_POOL_MEAN;
        const struct shape *s = &shapes[si];
        if (pool == SK_POOL_MEAN && s->H >= 100)
            continue; /* the large shapes once: keep the sanitizer run short */
        sk_model *m = make_model_pool(s->arch, s->C, s->H, s->L, s->W, s->K,
                                      s->ksize, pool, 100 + si);
        CHECK_MSG(m != NULL, "shape %d: create failed", si);
        if (!m)
            continue;
        size_t nx = (size_t)s->W * s->C;
        float *x = malloc(nx * sizeof *x);
        random_input(x, nx, 200 + si);
        double ref[SK_MAX_CLASSES];
        ref_forward(&sk_model_header_get(m)->arch, sk_model_params(m), x, ref);
        float plain[SK_MAX_CLASSES];
        double spread = 0;
        for (int k = 0; k < s->K; k++)
            spread = fmax(spread, fabs(ref[k] - 1.0 / s->K));
        for (int ki = 0; ki < 3; ki++) {
            const sk__kernels *kset = sk__kernels_get(set_names[ki]);
            if (!kset)
                continue;
            CHECK_EQ_INT(sk__infer_use(m, kset), 0);
            CHECK(strcmp(sk_model_infer_kernels(m), kset->name) == 0);
            float probs[SK_MAX_CLASSES];
            for (int rep = 0; rep < 2; rep++) { /* scratch reuse is clean */
                memset(probs, 0xff, sizeof probs);
                CHECK_EQ_INT(sk_model_infer(m, x, probs), 0);
                double d = 0, sum = 0;
                for (int k = 0; k < s->K; k++) {
                    d = fmax(d, isnan(probs[k]) ? INFINITY : fabs(probs[k] - ref[k]));
                    sum += probs[k];
                }
                CHECK_MSG(d < 2e-5, "%s arch %d shape %d: max |p - ref| = %g",
                          kset->name, s->arch, si, d);
                CHECK_MSG(fabs(sum - 1.0) < 1e-5, "%s shape %d: sum %g",
                          kset->name, si, sum);
            }
            if (ki == 0) {
                memcpy(plain, probs, sizeof plain);
            } else {
                double d = maxdiff(plain, probs, (size_t)s->K);
                CHECK_MSG(d < 1e-5, "%s vs plain, shape %d: %g", kset->name, si, d);
            }
            CHECK(sk_model_infer_macs(m) > 0);
        }
        /* The test must be able to fail: the reference is not flat. */
        CHECK_MSG(spread > 0.02, "shape %d: probabilities too flat to test (%g)",
                  si, spread);
        free(x);
        sk_model_destroy(m);
    }
}

/* After the weights change, sk_model_infer_sync makes inference see them. */
static void test_sync_after_update(void)
{
    sk_model *m = make_model(SK_ARCH_GRU, 20, 24, 2, 10, 4, 0, 9);
    CHECK(m != NULL);
    if (!m)
        return;
    float x[10 * 20], p1[4], p2[4];
    double ref[4];
    random_input(x, sizeof x / sizeof x[0], 3);
    CHECK_EQ_INT(sk_model_infer(m, x, p1), 0);
    float *P = sk_model_params(m);
    for (size_t i = 0; i < sk_model_nparams(m); i++)
        P[i] = -P[i] * 0.9f;
    sk_model_infer_sync(m);
    CHECK_EQ_INT(sk_model_infer(m, x, p2), 0);
    ref_forward(&sk_model_header_get(m)->arch, P, x, ref);
    double d = 0, moved = 0;
    for (int k = 0; k < 4; k++) {
        d = fmax(d, fabs(p2[k] - ref[k]));
        moved = fmax(moved, fabs(p2[k] - p1[k]));
    }
    CHECK_MSG(d < 2e-5, "after sync: %g from the reference", d);
    CHECK(moved > 1e-3);
    CHECK_EQ_INT(sk_model_infer(NULL, x, p2), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer(m, NULL, p2), SK_EINVAL);
    sk_model_destroy(m);
}

/* A third implementation: the trainer's batched forward pass. */
static void test_matches_trainer(void)
{
    const int B = 3;
    int nshapes = (int)(sizeof shapes / sizeof shapes[0]);
    for (int pi = 0; pi < 2 * nshapes; pi++) { /* last step, then mean */
        int si = pi % nshapes, pool = pi < nshapes ? SK_POOL_LAST : SK_POOL_MEAN;
        const struct shape *s = &shapes[si];
        if (pool == SK_POOL_MEAN && s->H >= 100)
            continue; /* the large shapes once: keep the sanitizer run short */
        sk_model *m = make_model_pool(s->arch, s->C, s->H, s->L, s->W, s->K,
                                      s->ksize, pool, 300 + si);
        if (!m)
            continue;
        sk_trainer *t = NULL;
        CHECK_EQ_INT(sk_trainer_create(&t, m, B), 0);
        size_t nx = (size_t)s->W * s->C;
        float *x = malloc(nx * B * sizeof *x);
        float *pt = malloc((size_t)s->K * B * sizeof *pt);
        random_input(x, nx * B, 400 + si);
        CHECK_EQ_INT(sk_trainer_forward(t, x, B, pt), 0);
        for (int b = 0; b < B; b++) {
            float probs[SK_MAX_CLASSES];
            CHECK_EQ_INT(sk_model_infer(m, x + nx * b, probs), 0);
            double d = maxdiff(probs, pt + (size_t)b * s->K, (size_t)s->K);
            CHECK_MSG(d < 2e-5, "arch %d shape %d window %d: %g from the trainer",
                      s->arch, si, b, d);
        }
        free(x);
        free(pt);
        sk_trainer_destroy(t);
        sk_model_destroy(m);
    }
}

/* `skelact bench --json` keeps DESIGN.md's contract: one JSON object with
 * an array "infer" holding the reference shapes, each with median_us and
 * p99_us. Figures are not judged (tests check behaviour, not timing). */
static void test_bench_json(void)
{
    const char *bin = getenv("SK_BIN");
    if (!bin) {
        printf("  (SK_BIN not set: bench check skipped)\n");
        return;
    }
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' bench --json --quick --runs 20", bin);
    FILE *fp = popen(cmd, "r");
    CHECK(fp != NULL);
    if (!fp)
        return;
    static char out[65536];
    size_t n = fread(out, 1, sizeof out - 1, fp);
    out[n] = 0;
    CHECK_EQ_INT(pclose(fp), 0);
    CHECK(out[0] == '{' && strstr(out, "\"infer\": ["));
    const char *ref[] = {
        "\"arch\": \"gru\", \"shape\": \"reference\", \"input\": 120, \"hidden\": 128, "
        "\"layers\": 2, \"window\": 30, \"classes\": 9, \"median_us\": ",
        "\"arch\": \"lstm\", \"shape\": \"reference\", \"input\": 120, \"hidden\": 128, "
        "\"layers\": 2, \"window\": 30, \"classes\": 9, \"median_us\": ",
        "\"arch\": \"tcn\", \"shape\": \"reference\", \"input\": 120, \"hidden\": 128, "
        "\"layers\": 4, \"window\": 30, \"classes\": 9, \"kernel\": 3, \"median_us\": ",
    };
    for (int i = 0; i < 3; i++) {
        const char *e = strstr(out, ref[i]);
        CHECK_MSG(e != NULL, "reference entry %d missing", i);
        if (!e)
            continue;
        double med = -1, p99 = -1;
        CHECK(sscanf(e + strlen(ref[i]), "%lf, \"p99_us\": %lf", &med, &p99) == 2);
        CHECK_MSG(med > 0 && p99 >= med, "median %g p99 %g", med, p99);
    }
    /* One object: the braces balance and nothing follows the last one. */
    int depth = 0, closed_at_end = 0;
    for (size_t i = 0; i < n; i++) {
        depth += out[i] == '{' ? 1 : out[i] == '}' ? -1 : 0;
        if (depth == 0 && out[i] == '}')
            closed_at_end = strspn(out + i + 1, " \n") == strlen(out + i + 1);
    }
    CHECK(depth == 0 && closed_at_end);
}

/* The order of the recurrent sums (kernels.h: Rounding, rev), which the
 * comparisons to rounding above cannot see: with x = (1, 1e8, -1e8) and
 * unit weights, the sum from bias 0 over k in order is 0 (1 is lost in
 * 1e8), in reverse 1; every product is exact, so each set must give exactly
 * that in every column of its full panels (the plain set: in every column),
 * and 0 in the vector sets' narrower last panel, which keeps its order
 * whatever rev. matvec_n and matvec_mm must follow matvec, for n = 1 to 7
 * rows. */
static void test_matvec_order(void)
{
    enum { K = 3 };
    const float xs[K] = {1.0f, 1e8f, -1e8f};
    for (int si = 0; si < 3; si++) {
        const sk__kernels *k = sk__kernels_get(set_names[si]);
        if (!k)
            continue;
        /* a full panel and a narrower one; nf: the columns summed in reverse */
        int nr = k->nr_mv, N = 2 * nr - k->vw, nf = k->vw == 1 ? N : nr;
        float *b = malloc(sizeof(float) * K * N), *bp = malloc(sizeof(float) * K * N);
        float *x = malloc(sizeof(float) * 7 * K), *y = malloc(sizeof(float) * 7 * N);
        for (int i = 0; i < K * N; i++)
            b[i] = 1.0f;
        for (int i = 0; i < 7 * K; i++)
            x[i] = xs[i % K];
        sk__pack(bp, b, K, N, nr);
        for (int rev = 0; rev < 2; rev++) {
            int bad = 0;
            k->matvec(y, x, bp, NULL, K, N, rev);
            for (int j = 0; j < N; j++)
                bad += y[j] != (rev && j < nf ? 1.0f : 0.0f);
            CHECK_MSG(bad == 0, "%s matvec rev %d: %d outputs in the wrong order",
                      k->name, rev, bad);
            k->matvec_mm(y, x, bp, NULL, K, N, NULL, 0, NULL, 0, NULL, NULL, 0,
                         NULL, 0, rev);
            for (int j = bad = 0; j < N; j++)
                bad += y[j] != (rev && j < nf ? 1.0f : 0.0f);
            CHECK_MSG(bad == 0, "%s matvec_mm rev %d: %d outputs in the wrong order",
                      k->name, rev, bad);
            for (int n = 1; n <= 7; n++) {
                k->matvec_n(y, N, x, K, n, bp, NULL, K, N, rev);
                for (int j = bad = 0; j < n * N; j++)
                    bad += y[j] != (rev && j % N < nf ? 1.0f : 0.0f);
                CHECK_MSG(bad == 0, "%s matvec_n n=%d rev %d: %d outputs in the wrong order",
                          k->name, n, rev, bad);
            }
        }
        free(b);
        free(bp);
        free(x);
        free(y);
    }
}

int main(void)
{
    RUN(test_kernels_match_plain);
    RUN(test_matvec_order);
    RUN(test_models_match_reference);
    RUN(test_sync_after_update);
    RUN(test_matches_trainer);
    RUN(test_bench_json);
    return check_report();
}
