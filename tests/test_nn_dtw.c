/* The dtw architecture (src/nn/dtw.c, src/nn/dtw_build.c) on synthetic
 * gestures: a body stands still while its right hand draws one of three
 * paths. Templates from three examples of each; then a stream of stillness,
 * a gesture performed faster or slower than any example, and stillness
 * again must report the gesture, and nothing while still. Also: window
 * inference is a stream stepped from its reset, the file round trip, and
 * the loader's checks of a dtw model's parameters. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nn/dtw.h"
#include "nn/model.h"
#include "nn/rng.h"
#include "nn/training.h"
#include "skelact/codec.h"

#define NJ 20       /* Kinect v1 */
#define HAND_R 11
#define WRIST_R 10
#define ELBOW_R 9

/* A standing body facing the sensor, 2.5 m away (PRECOG's joint order). */
static const float base_pose[NJ][3] = {
    {0.00f, 0.00f, 2.5f},  {0.00f, 0.10f, 2.5f},  {0.00f, 0.45f, 2.5f},
    {0.00f, 0.62f, 2.5f},  {-0.18f, 0.40f, 2.5f}, {-0.22f, 0.15f, 2.5f},
    {-0.24f, -0.08f, 2.5f}, {-0.25f, -0.14f, 2.5f}, {0.18f, 0.40f, 2.5f},
    {0.22f, 0.15f, 2.5f},  {0.24f, -0.08f, 2.5f}, {0.25f, -0.14f, 2.5f},
    {-0.10f, -0.05f, 2.5f}, {-0.11f, -0.45f, 2.5f}, {-0.11f, -0.85f, 2.5f},
    {-0.11f, -0.90f, 2.4f}, {0.10f, -0.05f, 2.5f},  {0.11f, -0.45f, 2.5f},
    {0.11f, -0.85f, 2.5f},  {0.11f, -0.90f, 2.4f},
};

/* The body at phase u in [0, 1] of gesture g (0: still), with noise. */
static void pose(sk_body *b, int g, float u, sk_rng *r)
{
    memset(b, 0, sizeof *b);
    b->id = 1;
    float dx = 0, dy = 0, dz = 0, s = sinf(3.14159265f * u); /* out and back */
    if (g == 1) { /* raise the hand over the head */
        dy = 0.8f * s;
        dz = -0.2f * s;
    } else if (g == 2) { /* sweep it across the body */
        dx = -0.5f * s;
        dz = -0.3f * s;
    } else if (g == 3) { /* a circle in front */
        dx = 0.25f * sinf(6.2831853f * u);
        dy = 0.25f - 0.25f * cosf(6.2831853f * u);
        dz = -0.35f * s;
    }
    for (int j = 0; j < NJ; j++) {
        float w = j == HAND_R ? 1.0f : j == WRIST_R ? 0.9f : j == ELBOW_R ? 0.5f : 0.0f;
        b->joints[j].x = base_pose[j][0] + w * dx + sk_rng_normal(r) * 0.004f;
        b->joints[j].y = base_pose[j][1] + w * dy + sk_rng_normal(r) * 0.004f;
        b->joints[j].z = base_pose[j][2] + w * dz + sk_rng_normal(r) * 0.004f;
        b->joints[j].state = 2;
    }
}

/* A recorded example: still frames, n frames of gesture g, still frames. */
static void add_example(sk__dataset *ds, int g, int n, int still, sk_rng *r)
{
    sk__clip *c = &ds->clips[ds->nclips++];
    memset(c, 0, sizeof *c);
    c->label = g;
    c->nframes = n + 2 * still;
    c->bodies = calloc((size_t)c->nframes, sizeof *c->bodies);
    for (int t = 0; t < c->nframes; t++) {
        int k = t - still;
        pose(&c->bodies[t], k >= 0 && k < n ? g : 0, k >= 0 && k < n ? (float)k / (n - 1) : 0, r);
    }
    snprintf(c->name, sizeof c->name, "g%d_%d", g, ds->nclips);
}

static sk_model *build_n(int per_class)
{
    static sk__clip clips[16];
    sk__dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.format = SK__DATASET_GESTURES;
    ds.joint_set = SK_JOINTSET_KINECT1;
    ds.fps = 30;
    ds.clips = clips;
    ds.nlabels = 4;
    const char *names[4] = {"none", "raise", "sweep", "circle"};
    for (int k = 0; k < 4; k++)
        snprintf(ds.labels[k], SK_LABEL_LEN, "%s", names[k]);
    sk_rng r;
    sk_rng_seed(&r, 11);
    const int lengths[3] = {26, 30, 35};
    for (int g = 1; g <= 3; g++)
        for (int e = 0; e < per_class; e++)
            add_example(&ds, g, lengths[per_class == 1 ? 1 : e], 12, &r);
    sk_model_header h;
    memset(&h, 0, sizeof h);
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.features.velocity = 0;
    h.features.frame_norm = 1;
    h.arch.input = sk_features_dim(&h.features);
    h.arch.window = 60;
    h.arch.classes = 4;
    h.post = (sk_postproc_config){0.5f, 0.6f, 3, 15};
    h.nlabels = 4;
    memcpy(h.labels, ds.labels, sizeof h.labels);
    sk_model *m = NULL;
    char err[200] = "";
    int rc = sk__dtw_build(&m, &h, &ds, 0, 1, 0.9f, NULL, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    for (int i = 0; i < ds.nclips; i++)
        free(clips[i].bodies);
    return m;
}

static sk_model *build(void)
{
    return build_n(3);
}

static void test_templates(void)
{
    sk_model *m = build();
    CHECK(m != NULL);
    if (!m)
        return;
    const sk_model_config *a = &sk_model_header_get(m)->arch;
    CHECK_EQ_INT(a->arch, SK_ARCH_DTW);
    CHECK_EQ_INT(a->hidden, 9);
    size_t stride = sk__dtw_stride(a);
    const float *p = sk_model_params(m);
    int per_class[4] = {0};
    for (int n = 0; n < 9; n++) {
        per_class[(int)p[n * stride]]++;
        /* trimmed: the gesture and a few still frames, not the 12 + 12 */
        CHECK_MSG(p[n * stride + 1] < 35 + 12, "template %d has %g frames", n,
                  (double)p[n * stride + 1]);
        CHECK(p[n * stride + 1] >= 24);
    }
    CHECK_EQ_INT(per_class[0], 0);
    CHECK(per_class[1] == 3 && per_class[2] == 3 && per_class[3] == 3);
    const float *tail = p + 9 * stride;
    CHECK(tail[0] > 0 && tail[1] > 0);
    char err[200];
    CHECK(sk__dtw_check(m, err, sizeof err) == 0);
    sk_model_destroy(m);
}

/* Stillness (40 frames), gesture g at n frames, stillness (100 frames):
 * the class probabilities of every frame into probs (T, 4). */
static int run_stream(const sk_model *m, int g, int n, float *probs, sk_rng *r)
{
    const sk_model_header *h = sk_model_header_get(m);
    sk_model_stream *s = NULL;
    CHECK(sk_model_stream_create(&s, m) == 0);
    int T = 40 + n + 100;
    sk_body prev, cur;
    float x[256];
    for (int t = 0; t < T; t++) {
        int k = t - 40, in = k >= 0 && k < n;
        pose(&cur, in ? g : 0, in ? (float)k / (n - 1) : 0, r);
        CHECK(sk_features_step(&h->features, &cur, t ? &prev : NULL, x) == 0);
        CHECK(sk_model_stream_step(m, s, x, probs + t * 4) == 0);
        prev = cur;
    }
    sk_model_stream_destroy(s);
    return T;
}

static void recognises(int per_class)
{
    sk_model *m = build_n(per_class);
    if (!m)
        return;
    sk_rng r;
    sk_rng_seed(&r, 99);
    float probs[300 * 4];
    const int speeds[2] = {18, 52}; /* faster and slower than every example
                                       (26-35 frames; one example: 30) */
    /* A match spans at most twice its template: so long after the gesture
     * began, only stillness can match. */
    const sk_model_config *a = &sk_model_header_get(m)->arch;
    int longest = 0;
    for (int i = 0; i < a->hidden; i++) {
        int len = (int)sk_model_params(m)[i * sk__dtw_stride(a) + 1];
        longest = len > longest ? len : longest;
    }
    CHECK(longest < 50); /* so 40 + 2 * longest is inside the stream */
    for (int g = 1; g <= 3; g++)
        for (int v = 0; v < 2; v++) {
            int n = speeds[v], T = run_stream(m, g, n, probs, &r);
            float best[4] = {0}, still = 1;
            for (int t = 0; t < T; t++) {
                if (t < 40 || t >= 40 + 2 * longest) /* still: before, and long after */
                    still = fminf(still, probs[t * 4]);
                for (int k = 1; k < 4; k++)
                    best[k] = fmaxf(best[k], probs[t * 4 + k]);
            }
            CHECK_MSG(still > 0.9f, "gesture %d in %d frames: null probability %.3f while still",
                      g, n, (double)still);
            CHECK_MSG(best[g] > 0.9f, "gesture %d in %d frames: its best probability %.3f", g,
                      n, (double)best[g]);
            for (int k = 1; k < 4; k++)
                if (k != g)
                    CHECK_MSG(best[k] < 0.5f, "gesture %d in %d frames: class %d reached %.3f",
                              g, n, k, (double)best[k]);
        }
    sk_model_destroy(m);
}

static void test_recognises_gestures(void)
{
    recognises(3);
}

/* One example per gesture: no distance within a class to calibrate on, the
 * distances between classes set the reject distance. */
static void test_one_example_each(void)
{
    recognises(1);
}

/* sk_model_infer on a window is the stream stepped over it from a reset,
 * bit for bit; and the state matters: a stream that saw earlier frames
 * can differ. */
static void test_window_is_stream(void)
{
    sk_model *m = build();
    if (!m)
        return;
    const sk_model_header *h = sk_model_header_get(m);
    int W = h->arch.window, C = h->arch.input;
    float *x = malloc((size_t)W * C * sizeof *x), pw[4], ps[4];
    sk_rng r;
    sk_rng_seed(&r, 5);
    sk_body prev, cur;
    for (int t = 0; t < W; t++) {
        pose(&cur, 3, (float)t / (W - 1), &r);
        sk_features_step(&h->features, &cur, t ? &prev : NULL, x + t * C);
        prev = cur;
    }
    CHECK(sk_model_infer(m, x, pw) == 0);
    sk_model_stream *s = NULL;
    CHECK(sk_model_stream_create(&s, m) == 0);
    CHECK(sk_model_stream_macs(s) > 0);
    for (int rep = 0; rep < 2; rep++) { /* again after a reset */
        for (int t = 0; t < W; t++)
            sk_model_stream_step(m, s, x + t * C, ps);
        CHECK(memcmp(pw, ps, sizeof pw) == 0);
        sk_model_stream_reset(s);
    }
    float pb[2 * 4], *x2 = malloc((size_t)2 * W * C * sizeof *x2);
    memcpy(x2, x, (size_t)W * C * sizeof *x);
    memcpy(x2 + W * C, x, (size_t)W * C * sizeof *x);
    CHECK(sk_model_infer_batch(m, 2, x2, pb) == 0);
    CHECK(memcmp(pb, pw, sizeof pw) == 0 && memcmp(pb + 4, pw, sizeof pw) == 0);
    CHECK(sk_model_infer_macs(m) > 0);
    CHECK(sk_model_infer_kernels(m) != NULL);
    sk_model_stream_destroy(s);
    free(x);
    free(x2);
    sk_model_destroy(m);
}

static void put_f32(unsigned char *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(u >> (8 * i));
}

static void recrc(unsigned char *b, size_t len)
{
    uint32_t c = sk_crc32(0, b, len - 4);
    for (int i = 0; i < 4; i++)
        b[len - 4 + i] = (unsigned char)(c >> (8 * i));
}

static void test_file(void)
{
    sk_model *m = build();
    if (!m)
        return;
    char path[] = "/tmp/skelact_dtw_XXXXXX", err[256] = "";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK(sk_model_save(m, path, err, sizeof err) == 0);
    sk_model *l = NULL;
    CHECK_MSG(sk_model_load(&l, path, err, sizeof err) == 0, "%s", err);
    if (l) {
        CHECK(sk_model_nparams(l) == sk_model_nparams(m));
        CHECK(memcmp(sk_model_params(l), sk_model_params(m),
                     sk_model_nparams(m) * sizeof(float)) == 0);
    }
    /* The bytes, then three kinds of damage the CRC does not catch. */
    FILE *fp = fopen(path, "rb");
    static unsigned char buf[1 << 20];
    size_t len = fp ? fread(buf, 1, sizeof buf, fp) : 0;
    if (fp)
        fclose(fp);
    CHECK(len > 100 && len < sizeof buf);
    size_t w0 = 16 + 72 + 4 * 32; /* weights: after the 1.0 fields and 4 labels */
    size_t stride = sk__dtw_stride(&sk_model_header_get(m)->arch);
    const struct { size_t at; float v; const char *why; } bad[] = {
        {w0, 7.0f, "class"},                          /* class outside 0..3 */
        {w0, 1.5f, "class"},                          /* not an integer */
        {w0 + 4, 1.0f, "length"},                     /* shorter than 2 */
        {w0 + 4, 61.0f, "length"},                    /* longer than the window */
        {w0 + 4 * 9 * stride, 0.0f, "temperature"},   /* T must be > 0 */
        {w0 + 4 * 9 * stride + 4, -1.0f, "reject"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        static unsigned char b2[1 << 20];
        memcpy(b2, buf, len);
        put_f32(b2 + bad[i].at, bad[i].v);
        recrc(b2, len);
        sk_model *x = NULL;
        err[0] = '\0';
        CHECK_EQ_INT(sk_model_load_mem(&x, b2, len, err, sizeof err), SK_EFORMAT);
        CHECK_MSG(strstr(err, bad[i].why) != NULL, "case %zu: '%s'", i, err);
        CHECK(x == NULL);
    }
    /* and the undamaged bytes load */
    sk_model *ok = NULL;
    CHECK(sk_model_load_mem(&ok, buf, len, err, sizeof err) == 0);
    sk_model_destroy(ok);
    sk_model_destroy(l);
    sk_model_destroy(m);
    remove(path);
}

/* Header rules: a dtw model has per-frame features, one layer, no kernel. */
static void test_header_rules(void)
{
    sk_model_header h;
    memset(&h, 0, sizeof h);
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.features.frame_norm = 1;
    h.arch = (sk_model_config){SK_ARCH_DTW, sk_features_dim(&h.features), 5, 1, 3, 20, 0, 0};
    h.post = (sk_postproc_config){0.5f, 0.6f, 3, 15};
    h.nlabels = 3;
    for (int k = 0; k < 3; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "c%d", k);
    sk_model *m = NULL;
    CHECK(sk_model_create(&m, &h, 1) == 0);
    CHECK(m && sk_model_nparams(m) == 5 * (2 + 20 * (size_t)h.arch.input) + 2);
    char err[200];
    CHECK(m && sk__dtw_check(m, err, sizeof err) == 0); /* placeholders are valid */
    sk_model_destroy(m);
    sk_model_header b = h;
    b.features.frame_norm = 0;
    CHECK(sk_model_create(&m, &b, 1) == SK_EINVAL);
    b = h;
    b.arch.layers = 2;
    CHECK(sk_model_create(&m, &b, 1) == SK_EINVAL);
    b = h;
    b.arch.kernel = 3;
    CHECK(sk_model_create(&m, &b, 1) == SK_EINVAL);
    b = h;
    b.arch.window = 1;
    CHECK(sk_model_create(&m, &b, 1) == SK_EINVAL);
}

/* Parameters changed in memory after the checks (a caller writing through
 * sk_model_params): a template of no valid class or length is skipped, not
 * read out of bounds. */
static void test_bad_in_memory(void)
{
    sk_model *m = build();
    if (!m)
        return;
    const sk_model_config *a = &sk_model_header_get(m)->arch;
    size_t stride = sk__dtw_stride(a);
    float *p = sk_model_params(m);
    p[0] = 99.0f;              /* class of template 0 */
    p[stride + 1] = 1e9f;      /* length of template 1 */
    p[2 * stride] = -1.0f;     /* class of template 2 */
    struct sk__dtw_state *st = NULL;
    CHECK(sk__dtw_state_new(&st, a) == 0);
    float x[256] = {0}, dist[16], probs[4];
    for (int t = 0; t < 40; t++) /* templates of 24-41 frames: 20 frames at least */
        CHECK(sk__dtw_step(m, st, x, dist, probs) == 0);
    CHECK(isinf(dist[0]) && isinf(dist[1]) && isinf(dist[2]));
    CHECK(!isinf(dist[3]));
    sk_dtw_summary sum;
    CHECK(sk_model_dtw_summary(m, &sum) == 0);
    CHECK_EQ_INT(sum.per_class[1] + sum.per_class[2] + sum.per_class[3], 6);
    sk__dtw_state_free(st);
    sk_model_destroy(m);
}

int main(void)
{
    RUN(test_templates);
    RUN(test_recognises_gestures);
    RUN(test_one_example_each);
    RUN(test_window_is_stream);
    RUN(test_file);
    RUN(test_header_rules);
    RUN(test_bad_in_memory);
    return check_report();
}
