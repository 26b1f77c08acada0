/* Streaming tcn inference (src/nn/stream.c) against window inference
 * (sk_model_infer) on the same frames: equal within float tolerance at the
 * last step when the frames stepped fit the window (zero left padding), and
 * after any number of frames once the receptive field fits the window. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nn_models.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "nn/rng.h"
#include "nn/training.h"

static void random_input(float *x, size_t n, uint64_t seed)
{
    sk_rng r;
    sk_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = sk_rng_uniform(&r, -1.5f, 1.5f);
}

static float max_diff(const float *a, const float *b, int n)
{
    float d = 0;
    for (int i = 0; i < n; i++)
        if (fabsf(a[i] - b[i]) > d)
            d = fabsf(a[i] - b[i]);
    return d;
}

/* Step frames x[0..T) from a reset; compare every step t >= W-1 whose
 * window the receptive field fits, and the step T-1 == W-1 always. */
static void compare(int C, int H, int L, int W, int K, int ksize, int T)
{
    sk_model *m = make_model(SK_ARCH_TCN, C, H, L, W, K, ksize, 7 + L);
    CHECK(m != NULL);
    if (!m)
        return;
    sk_model_stream *s = NULL;
    CHECK_EQ_INT(sk_model_stream_create(&s, m), 0);
    float *x = malloc((size_t)T * C * sizeof *x);
    float ps[SK_MAX_CLASSES], pw[SK_MAX_CLASSES];
    random_input(x, (size_t)T * C, 99 + (uint64_t)T);
    int rf = 1 + (ksize - 1) * ((1 << L) - 1), compared = 0;
    float worst = 0, spread = 0;
    for (int round = 0; round < 2; round++) { /* the second after a reset */
        sk_model_stream_reset(s);
        for (int t = 0; t < T; t++) {
            CHECK_EQ_INT(sk_model_stream_step(m, s, x + (size_t)t * C, ps), 0);
            if (t < W - 1 || (t > W - 1 && rf > W))
                continue;
            CHECK_EQ_INT(sk_model_infer(m, x + (size_t)(t - W + 1) * C, pw), 0);
            float d = max_diff(ps, pw, K);
            if (d > worst)
                worst = d;
            for (int k = 0; k < K; k++)
                if (fabsf(pw[k] - 1.0f / K) > spread)
                    spread = fabsf(pw[k] - 1.0f / K);
            compared++;
        }
    }
    printf("  C %d H %d L %d W %d k %d T %d (field %d): %d steps compared, "
           "largest difference %.2e\n", C, H, L, W, ksize, T, rf, compared, worst);
    CHECK(compared > 0);
    CHECK_MSG(worst < 2e-5f, "stream vs window: %g", worst);
    CHECK_MSG(spread > 0.05f, "probabilities too flat to tell: %g", spread);
    free(x);
    sk_model_stream_destroy(s);
    sk_model_destroy(m);
}

static void test_matches_window(void)
{
    compare(12, 16, 3, 30, 5, 3, 30);  /* exactly one window */
    compare(12, 16, 3, 30, 5, 3, 75);  /* field 15 fits: every step */
    compare(120, 64, 4, 30, 9, 3, 30); /* the reference shape, field 31 */
    compare(20, 24, 2, 10, 4, 2, 40);  /* kernel 2: field 4 */
    compare(9, 8, 1, 5, 3, 1, 12);     /* kernel 1: no time context */
}

/* A different history must give a different output (the test can fail),
 * and a reset must forget it. */
static void test_state_matters(void)
{
    int C = 12, H = 16, L = 3, W = 30, K = 5, T = 20;
    sk_model *m = make_model(SK_ARCH_TCN, C, H, L, W, K, 3, 3);
    CHECK(m != NULL);
    if (!m)
        return;
    sk_model_stream *s = NULL;
    CHECK_EQ_INT(sk_model_stream_create(&s, m), 0);
    float *x = malloc((size_t)T * C * sizeof *x), a[SK_MAX_CLASSES],
          b[SK_MAX_CLASSES], c[SK_MAX_CLASSES];
    random_input(x, (size_t)T * C, 5);
    for (int t = 0; t < T; t++)
        sk_model_stream_step(m, s, x + (size_t)t * C, a);
    sk_model_stream_reset(s);
    sk_model_stream_step(m, s, x + (size_t)(T - 1) * C, b); /* last frame alone */
    CHECK(max_diff(a, b, K) > 1e-4f);
    sk_model_stream_reset(s);
    sk_model_stream_step(m, s, x + (size_t)(T - 1) * C, c);
    CHECK(max_diff(b, c, K) == 0.0f);
    CHECK(sk_model_stream_macs(s) > 0.0);
    free(x);
    sk_model_stream_destroy(s);
    sk_model_destroy(m);
}

/* Step frames x (T, C) from a reset through a new stream of m (made with
 * from, which may be m) into out (T, K). */
static void run_stream(sk_model *m, sk_model *from, const float *x, int T,
                       float *out)
{
    const sk_model_config *a = &sk_model_header_get(m)->arch;
    sk_model_stream *s = NULL;
    CHECK_EQ_INT(sk_model_stream_create(&s, from), 0);
    for (int t = 0; s && t < T; t++)
        CHECK_EQ_INT(sk_model_stream_step(m, s, x + (size_t)t * a->input,
                                          out + (size_t)t * a->classes), 0);
    sk_model_stream_destroy(s);
}

/* The packed step on each kernel set this CPU runs (sk__infer_use: plain,
 * avx2, avx512), the step of the same weights without a packed copy (twin:
 * a model no stream was made for, reading its parameters in their own
 * layout), and the window inference on the first W frames, all against the
 * plain set's packed step. */
static void kernels_agree(const char *what, sk_model *m, sk_model *twin, int T)
{
    static const char *sets[] = {"avx2", "avx512"};
    const sk_model_config *a = &sk_model_header_get(m)->arch;
    int C = a->input, K = a->classes, W = a->window;
    float *x = malloc((size_t)T * C * sizeof *x);
    float *ref = malloc((size_t)T * K * sizeof *ref), *got = malloc((size_t)T * K * sizeof *got);
    CHECK(x && ref && got && T >= W);
    if (!x || !ref || !got || T < W)
        goto done;
    random_input(x, (size_t)T * C, 21);
    CHECK_EQ_INT(sk__infer_use(m, sk__kernels_get("plain")), 0);
    run_stream(m, m, x, T, ref);
    float spread = 0;
    for (int i = 0; i < T * K; i++)
        spread = fabsf(ref[i] - 1.0f / K) > spread ? fabsf(ref[i] - 1.0f / K) : spread;
    CHECK_MSG(spread > 0.05f, "%s: probabilities too flat to tell: %g", what, spread);
    printf("  %s:", what);
    for (int i = 0; i < 2; i++) {
        const sk__kernels *ks = sk__kernels_get(sets[i]);
        if (!ks) {
            printf(" %s not run (CPU);", sets[i]);
            continue;
        }
        CHECK_EQ_INT(sk__infer_use(m, ks), 0);
        run_stream(m, m, x, T, got);
        float d = max_diff(ref, got, T * K);
        printf(" %s vs plain %.2e;", sets[i], d);
        CHECK_MSG(d < 2e-5f, "%s: %s vs plain: %g", what, sets[i], d);
        float pw[SK_MAX_CLASSES]; /* the window inference on the same set */
        CHECK_EQ_INT(sk_model_infer(m, x, pw), 0);
        d = max_diff(pw, got + (size_t)(W - 1) * K, K);
        CHECK_MSG(d < 2e-5f, "%s: %s stream vs window: %g", what, sets[i], d);
    }
    CHECK_EQ_INT(sk__infer_use(m, sk__kernels_pick()), 0);
    run_stream(twin, m, x, T, got);
    float d = max_diff(ref, got, T * K);
    printf(" unpacked vs plain %.2e\n", d);
    CHECK_MSG(d < 2e-5f, "%s: unpacked vs plain: %g", what, d);
done:
    free(x);
    free(ref);
    free(got);
}

static void test_plain_matches_fast(void)
{
    /* Dense: the reference shape, the shipped ensemble's size, sizes that
     * are no multiple of a vector, kernel 2. */
    static const int shapes[][6] = {/* C, H, L, W, K, ksize */
                                    {120, 64, 4, 31, 9, 3},  {120, 128, 4, 31, 9, 3},
                                    {120, 192, 4, 31, 9, 3}, {13, 20, 3, 15, 5, 3},
                                    {7, 40, 2, 6, 3, 2}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const int *z = shapes[i];
        sk_model *m = make_model(SK_ARCH_TCN, z[0], z[1], z[2], z[3], z[4], z[5], 5 + i);
        sk_model *twin = make_model(SK_ARCH_TCN, z[0], z[1], z[2], z[3], z[4], z[5], 5 + i);
        CHECK(m && twin);
        char what[64];
        snprintf(what, sizeof what, "C %d H %d L %d k %d", z[0], z[1], z[2], z[5]);
        if (m && twin)
            kernels_agree(what, m, twin, 2 * z[3]);
        sk_model_destroy(m);
        sk_model_destroy(twin);
    }
    /* Packed ensembles (grouped blocks): 3 x 64 as shipped, 3 x 8 (groups
     * narrower than a vector), 2 x 24. */
    static const int ens[][3] = {/* members, H each, C */ {3, 64, 120}, {3, 8, 20}, {2, 24, 11}};
    for (size_t i = 0; i < sizeof ens / sizeof ens[0]; i++) {
        int n = ens[i][0], H = ens[i][1], C = ens[i][2], L = 4, W = 31, K = 9;
        sk_model *mem[3] = {NULL, NULL, NULL}, *big[2] = {NULL, NULL};
        int ok = 1;
        for (int j = 0; j < n; j++)
            ok &= (mem[j] = make_model(SK_ARCH_TCN, C, H, L, W, K, 3, 60 + (uint64_t)j)) != NULL;
        for (int b = 0; b < 2 && ok; b++) {
            ok &= (big[b] = make_model(SK_ARCH_TCN, C, n * H, L, W, K, 3, 70)) != NULL;
            ok = ok && sk__ensemble_pack(big[b], mem, n) == 0;
            if (ok)
                sk_model_infer_sync(big[b]);
        }
        CHECK(ok);
        char what[64];
        snprintf(what, sizeof what, "ensemble %d x H %d", n, H);
        if (ok)
            kernels_agree(what, big[0], big[1], 2 * W);
        for (int j = 0; j < n; j++)
            sk_model_destroy(mem[j]);
        sk_model_destroy(big[0]);
        sk_model_destroy(big[1]);
    }
}

/* A packed ensemble of 3 tcns: the stream finds its block-diagonal layers,
 * does a third of their multiply-adds, and still gives the window
 * inference's output; another model of the same header stepping that
 * stream gets its own (full) output. */
static void test_ensemble_groups(void)
{
    int C = 20, H = 8, L = 3, W = 15, K = 4, T = 15, n = 3;
    sk_model *mem[3] = {NULL, NULL, NULL}, *big = NULL, *dense = NULL;
    for (int i = 0; i < n; i++)
        mem[i] = make_model(SK_ARCH_TCN, C, H, L, W, K, 3, 40 + (uint64_t)i);
    big = make_model(SK_ARCH_TCN, C, n * H, L, W, K, 3, 50);
    dense = make_model(SK_ARCH_TCN, C, n * H, L, W, K, 3, 51);
    sk_model_stream *s = NULL, *sd = NULL;
    float *x = malloc((size_t)T * C * sizeof *x);
    CHECK(mem[0] && mem[1] && mem[2] && big && dense && x);
    if (!mem[0] || !mem[1] || !mem[2] || !big || !dense || !x)
        goto done;
    CHECK_EQ_INT(sk__ensemble_pack(big, mem, n), 0);
    sk_model_infer_sync(big);
    CHECK_EQ_INT(sk_model_stream_create(&s, big), 0);
    CHECK_EQ_INT(sk_model_stream_create(&sd, dense), 0);
    if (!s || !sd)
        goto done;
    double head = (double)K * n * H, l0 = (double)n * H * C * 3;
    double full = l0 + (L - 1) * (double)n * H * n * H * 3 + head;
    CHECK_MSG(fabs(sk_model_stream_macs(s) - (l0 + (L - 1) * (double)n * H * H * 3 + head)) < 0.5,
              "grouped macs %g", sk_model_stream_macs(s));
    CHECK(fabs(sk_model_stream_macs(sd) - full) < 0.5);
    random_input(x, (size_t)T * C, 77);
    float ps[SK_MAX_CLASSES], pw[SK_MAX_CLASSES], pd[SK_MAX_CLASSES];
    for (int t = 0; t < T; t++)
        CHECK_EQ_INT(sk_model_stream_step(big, s, x + (size_t)t * C, ps), 0);
    CHECK_EQ_INT(sk_model_infer(big, x, pw), 0);
    float d = max_diff(ps, pw, K);
    CHECK_MSG(d < 2e-5f, "grouped stream vs window: %g", d);
    /* The dense model through the grouped stream's state = its own stream. */
    sk_model_stream_reset(s);
    for (int t = 0; t < T; t++) {
        CHECK_EQ_INT(sk_model_stream_step(dense, s, x + (size_t)t * C, ps), 0);
        CHECK_EQ_INT(sk_model_stream_step(dense, sd, x + (size_t)t * C, pd), 0);
    }
    CHECK(max_diff(ps, pd, K) == 0.0f);
    CHECK_EQ_INT(sk_model_infer(dense, x, pw), 0);
    CHECK(max_diff(pd, pw, K) < 2e-5f);
    CHECK(max_diff(pd, ps, K) == 0.0f);
done:
    free(x);
    sk_model_stream_destroy(s);
    sk_model_stream_destroy(sd);
    for (int i = 0; i < n; i++)
        sk_model_destroy(mem[i]);
    sk_model_destroy(big);
    sk_model_destroy(dense);
}

static void test_errors(void)
{
    sk_model *g = make_model(SK_ARCH_GRU, 12, 16, 2, 30, 5, 0, 1);
    sk_model *t = make_model(SK_ARCH_TCN, 12, 16, 2, 30, 5, 3, 1);
    sk_model *t2 = make_model(SK_ARCH_TCN, 12, 16, 3, 30, 5, 3, 1);
    CHECK(g && t && t2);
    if (!g || !t || !t2)
        goto done;
    sk_model_stream *s = NULL;
    float x[12] = {0}, p[5];
    CHECK_EQ_INT(sk_model_stream_create(&s, g), SK_EUNSUPPORTED);
    CHECK(s == NULL);
    CHECK_EQ_INT(sk_model_stream_create(NULL, t), SK_EINVAL);
    CHECK_EQ_INT(sk_model_stream_create(&s, t), 0);
    CHECK_EQ_INT(sk_model_stream_step(t2, s, x, p), SK_EINVAL); /* other sizes */
    CHECK_EQ_INT(sk_model_stream_step(g, s, x, p), SK_EINVAL);
    CHECK_EQ_INT(sk_model_stream_step(t, s, NULL, p), SK_EINVAL);
    CHECK_EQ_INT(sk_model_stream_step(t, s, x, p), 0);
    {
        /* A pooled head needs the whole window: no streaming form, and a
         * state made for the last-step head does not step it. */
        sk_model *tp = make_model_pool(SK_ARCH_TCN, 12, 16, 2, 30, 5, 3,
                                       SK_POOL_MEAN, 1);
        sk_model_stream *sp = (sk_model_stream *)&sp;
        CHECK(tp != NULL);
        CHECK_EQ_INT(sk_model_stream_create(&sp, tp), SK_EUNSUPPORTED);
        CHECK(sp == NULL);
        CHECK_EQ_INT(sk_model_stream_step(tp, s, x, p), SK_EINVAL);
        sk_model_destroy(tp);
    }
    sk_model_stream_destroy(s);
    sk_model_stream_destroy(NULL);
    sk_model_stream_reset(NULL);
done:
    sk_model_destroy(g);
    sk_model_destroy(t);
    sk_model_destroy(t2);
}

/* frame_norm: the window's features are each frame's sk_features_step, so
 * a streaming model sees what training saw; the setting survives the file. */
static void test_frame_norm(void)
{
    enum { W = 12 };
    const sk_joint_set *js = sk_joint_set_get(SK_JOINTSET_KINECT1);
    CHECK(js != NULL);
    if (!js)
        return;
    static sk_body bodies[W];
    const sk_body *ptrs[W];
    sk_rng r;
    sk_rng_seed(&r, 11);
    for (int t = 0; t < W; t++) {
        memset(&bodies[t], 0, sizeof bodies[t]);
        float grow = 1.0f + 0.08f * (float)t, turn = 0.1f * (float)t;
        for (int j = 0; j < js->njoints; j++) {
            float x = sk_rng_uniform(&r, -0.4f, 0.4f), z = sk_rng_uniform(&r, -0.2f, 0.2f);
            bodies[t].joints[j].x = grow * (cosf(turn) * x - sinf(turn) * z);
            bodies[t].joints[j].y = grow * (0.5f * (float)j / js->njoints);
            bodies[t].joints[j].z = 2.0f + grow * (sinf(turn) * x + cosf(turn) * z);
        }
        ptrs[t] = &bodies[t];
    }
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    int D = sk_features_dim(&fc);
    float *win = malloc((size_t)W * D * sizeof *win), *one = malloc((size_t)D * sizeof *one),
          *old = malloc((size_t)W * D * sizeof *old);
    CHECK_EQ_INT(sk_features_window(&fc, ptrs, W, old), 0);
    fc.frame_norm = 1;
    CHECK_EQ_INT(sk_features_window(&fc, ptrs, W, win), 0);
    float worst = 0, differs = 0;
    for (int t = 0; t < W; t++) {
        CHECK_EQ_INT(sk_features_step(&fc, &bodies[t], t ? &bodies[t - 1] : NULL, one), 0);
        float d = max_diff(one, win + (size_t)t * D, D);
        worst = d > worst ? d : worst;
        d = max_diff(old + (size_t)t * D, win + (size_t)t * D, D);
        differs = d > differs ? d : differs;
    }
    CHECK_MSG(worst == 0.0f, "window vs step: %g", worst);
    CHECK_MSG(differs > 0.01f, "per-frame and per-window norms should differ: %g", differs);
    CHECK_EQ_INT(sk_features_step(&fc, NULL, NULL, one), SK_EINVAL);

    /* The model file keeps the setting. */
    sk_model *m = make_model(SK_ARCH_TCN, D, 8, 2, W, 3, 3, 1), *back = NULL;
    CHECK(m != NULL);
    if (m) {
        sk_model_header h = *sk_model_header_get(m);
        h.features = fc;
        sk_model *m2 = NULL;
        CHECK_EQ_INT(sk_model_create(&m2, &h, 1), 0);
        char path[] = "/tmp/test_nn_stream_XXXXXX", err[256];
        int fd = mkstemp(path);
        CHECK(fd >= 0);
        if (fd >= 0)
            close(fd);
        CHECK_EQ_INT(sk_model_save(m2, path, err, sizeof err), 0);
        CHECK_EQ_INT(sk_model_load(&back, path, err, sizeof err), 0);
        CHECK(back && sk_model_header_get(back)->features.frame_norm == 1);
        unlink(path);
        sk_model_destroy(m2);
    }
    sk_model_destroy(back);
    sk_model_destroy(m);
    free(win);
    free(one);
    free(old);
}

int main(void)
{
    RUN(test_frame_norm);
    RUN(test_matches_window);
    RUN(test_state_matters);
    RUN(test_plain_matches_fast);
    RUN(test_ensemble_groups);
    RUN(test_errors);
    return check_report();
}
