/* The live recognizer (src/recognizer/recognizer.c) and the scoring on
 * continuous takes (src/recognizer/score.c), with tiny models made here:
 * a "pose" model whose hand-set weights make the class follow which joint
 * has x = 1 in the newest frame, and random models compared with a
 * window computed independently. No shipped model, no data files. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "skelact/recognizer.h"

#define K 3 /* classes of the pose model: 0 none, 1, 2 */

/* ---- helpers ------------------------------------------------------------- */

/* A GRU of K units on raw joints (no centring, scaling, rotation or
 * velocity): z ~ 0 so h = tanh(5 * x of joint k) for unit k, and logits =
 * 10 h. A body with joint c's x = 1 (the others 0) gives class c with
 * probability ~0.9999; an all-zero body gives 1/K each (no decision). */
static sk_model *pose_model(int W)
{
    sk_model_header h;
    memset(&h, 0, sizeof h);
    h.arch = (sk_model_config){.arch = SK_ARCH_GRU, .input = 60, .hidden = K,
                               .layers = 1, .classes = K, .window = W};
    h.features.joint_set = SK_JOINTSET_KINECT1;
    h.features.fps = 30.0f;
    h.post = (sk_postproc_config){.smooth = 0.0f, .threshold = 0.6f,
                                  .min_frames = 1, .refractory = 0};
    h.nlabels = K;
    strcpy(h.labels[0], "none");
    strcpy(h.labels[1], "one");
    strcpy(h.labels[2], "two");
    sk_model *m = NULL;
    if (sk_model_create(&m, &h, 1) != 0)
        return NULL;
    float *p = sk_model_params(m);
    memset(p, 0, sk_model_nparams(m) * sizeof *p);
    const int H = K, C = 60;
    float *w_ih = p, *w_hh = w_ih + 3 * H * C, *b_ih = w_hh + 3 * H * H;
    float *b_hh = b_ih + 3 * H, *w_out = b_hh + 3 * H;
    (void)b_hh;
    for (int k = 0; k < H; k++) {
        b_ih[H + k] = -20.0f;                 /* z gate shut: h = n */
        w_ih[(size_t)(2 * H + k) * C + 3 * k] = 5.0f; /* n_k from joint k's x */
        w_out[k * H + k] = 10.0f;
    }
    sk_model_infer_sync(m);
    return m;
}

static void body_set(sk_body *b, uint32_t id, int cls)
{
    memset(b, 0, sizeof *b);
    b->id = id;
    for (int j = 0; j < 20; j++)
        b->joints[j].state = SK_TRACK_TRACKED;
    if (cls >= 0)
        b->joints[cls].x = 1.0f;
}

static sk_frame frame_;

/* A frame of n bodies: ids[i] doing cls[i]. */
static const sk_frame *frame_of(uint64_t seq, int n, const uint32_t *ids, const int *cls)
{
    sk_frame_init(&frame_, SK_JOINTSET_KINECT1);
    frame_.seq = seq;
    frame_.nbodies = (uint8_t)n;
    for (int i = 0; i < n; i++)
        body_set(&frame_.bodies[i], ids[i], cls[i]);
    return &frame_;
}

#define MAXEV 256
typedef struct evlog {
    int n;
    sk_event ev[MAXEV];
} evlog;

static void log_event(void *ctx, const sk_event *e)
{
    evlog *l = ctx;
    if (l->n < MAXEV)
        l->ev[l->n] = *e;
    l->n++;
}

static int count_kind(const evlog *l, int kind)
{
    int c = 0;
    for (int i = 0; i < l->n && i < MAXEV; i++)
        c += l->ev[i].kind == kind;
    return c;
}

/* Push one body doing cls[t] at frame t, t = 0..n-1, on stream s. */
static void push_seq(sk_recognizer *r, uint32_t s, uint32_t id, const int *cls, int n,
                     uint64_t seq0, evlog *l, int *labels)
{
    for (int t = 0; t < n; t++) {
        int c = cls[t];
        CHECK_EQ_INT(sk_recognizer_push(r, s, frame_of(seq0 + t, 1, &id, &c), log_event, l), 0);
        if (labels) {
            sk_body_state st;
            labels[t] = sk_recognizer_body_state(r, s, id, &st) == 0 ? st.label : -1;
        }
    }
}

/* ---- scoring ------------------------------------------------------------- */

static void test_score_events(void)
{
    /* Frames 0..59; moves: [5,9] label 1, [20,24] label 2, [40,44] label 1. */
    int truth[60] = {0};
    for (int t = 5; t <= 9; t++)
        truth[t] = 1;
    for (int t = 20; t <= 24; t++)
        truth[t] = 2;
    for (int t = 40; t <= 44; t++)
        truth[t] = 1;
    int pred[60];
    memcpy(pred, truth, sizeof pred);
    /* Events: hit of move 0 at 7 (delay 2); a second event for move 0 at 8
     * (false alarm: move 0 is matched, move 2 not started yet); the wrong
     * label 1 at 22 for move 1 (false alarm, move 1 missed); move 2 at
     * e + 15 = 59 (hit, delay 19). */
    sk_score_event ev[] = {{7, 1}, {8, 1}, {22, 1}, {59, 1}};
    int hit[4];
    sk_score *s = NULL;
    CHECK_EQ_INT(sk_score_create(&s, K), 0);
    CHECK_EQ_INT(sk_score_add_take(s, truth, pred, 60, ev, 4, hit), 0);
    CHECK_EQ_INT(hit[0], 0);
    CHECK_EQ_INT(hit[1], -1);
    CHECK_EQ_INT(hit[2], -1);
    CHECK_EQ_INT(hit[3], 2);
    sk_score_result r;
    sk_score_get(s, &r);
    CHECK_EQ_INT(r.true_moves, 3);
    CHECK_EQ_INT(r.hits, 2);
    CHECK_EQ_INT(r.misses, 1);
    CHECK_EQ_INT(r.false_alarms, 2);
    CHECK(fabs(r.precision - 0.5) < 1e-12);
    CHECK(fabs(r.recall - 2.0 / 3.0) < 1e-12);
    CHECK(fabs(r.f1 - 2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3)) < 1e-12);
    CHECK(fabs(r.mean_delay_frames - 10.5) < 1e-12);
    CHECK(fabs(r.median_delay_frames - 10.5) < 1e-12);
    CHECK_EQ_INT(r.frames, 60);
    CHECK(fabs(r.frame_accuracy - 1.0) < 1e-12);
    CHECK(fabs(r.macro_f1 - 1.0) < 1e-12);
    CHECK_EQ_INT(r.macro_labels, 3);

    /* A second take: one move [10,19] of label 2; an event at e + 16 = 35 is
     * too late (false alarm and a miss); then nothing else. */
    int t2[40] = {0}, p2[40] = {0};
    for (int t = 10; t <= 19; t++)
        t2[t] = 2;
    sk_score_event late = {35, 2};
    CHECK_EQ_INT(sk_score_add_take(s, t2, p2, 40, &late, 1, hit), 0);
    CHECK_EQ_INT(hit[0], -1);
    sk_score_get(s, &r);
    CHECK_EQ_INT(r.true_moves, 4);
    CHECK_EQ_INT(r.hits, 2);
    CHECK_EQ_INT(r.misses, 2);
    CHECK_EQ_INT(r.false_alarms, 3);
    CHECK_EQ_INT(r.frames, 100);
    CHECK_EQ_INT(r.frames_correct, 90);
    /* Out of range input is refused and changes nothing. */
    sk_score_event bad = {40, 1};
    CHECK_EQ_INT(sk_score_add_take(s, t2, p2, 40, &bad, 1, NULL), SK_EINVAL);
    int badlab[1] = {K};
    CHECK_EQ_INT(sk_score_add_take(s, badlab, badlab, 1, NULL, 0, NULL), SK_EINVAL);
    sk_score_get(s, &r);
    CHECK_EQ_INT(r.frames, 100);
    sk_score_destroy(s);
}

static void test_score_frames(void)
{
    /* truth 0 0 1 1 2 2, pred 0 1 1 1 2 0:
     * label 0: tp 1, fp 1, fn 1 -> F1 0.5; label 1: tp 2, fp 1 -> 0.8;
     * label 2: tp 1, fn 1 -> 2/3. Macro 0.6556; accuracy 4/6. */
    int truth[6] = {0, 0, 1, 1, 2, 2}, pred[6] = {0, 1, 1, 1, 2, 0};
    sk_score *s = NULL;
    CHECK_EQ_INT(sk_score_create(&s, K), 0);
    CHECK_EQ_INT(sk_score_add_take(s, truth, pred, 6, NULL, 0, NULL), 0);
    sk_score_result r;
    sk_score_get(s, &r);
    CHECK(fabs(r.frame_accuracy - 4.0 / 6.0) < 1e-12);
    CHECK(fabs(r.macro_f1 - (0.5 + 0.8 + 2.0 / 3.0) / 3.0) < 1e-12);
    CHECK_EQ_INT(r.hits, 0);
    CHECK_EQ_INT(r.misses, 2);
    CHECK(isnan(r.mean_delay_frames));
    CHECK(r.precision == 0.0 && r.recall == 0.0 && r.f1 == 0.0);
    sk_score_destroy(s);

    /* Only labels present in the truth are averaged: truth all 1, pred 1 1 2. */
    int t1[3] = {1, 1, 1}, p1[3] = {1, 1, 2};
    CHECK_EQ_INT(sk_score_create(&s, K), 0);
    CHECK_EQ_INT(sk_score_add_take(s, t1, p1, 3, NULL, 0, NULL), 0);
    sk_score_get(s, &r);
    CHECK_EQ_INT(r.macro_labels, 1);
    CHECK(fabs(r.macro_f1 - 0.8) < 1e-12);
    /* Two moves of one label back to back are one run: one move. */
    CHECK_EQ_INT(r.true_moves, 1);
    sk_score_destroy(s);
}

/* ---- windows --------------------------------------------------------------- */

/* A random model's output at every frame equals an independent computation
 * on the last W bodies: the ring keeps the window in order after it has
 * wrapped many times. */
static void test_window_order(void)
{
    const int W = 5, N = 137;
    sk_model_header h;
    memset(&h, 0, sizeof h);
    h.arch = (sk_model_config){.arch = SK_ARCH_GRU, .input = 120, .hidden = 8,
                               .layers = 1, .classes = 4, .window = W};
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.post = (sk_postproc_config){0.0f, 0.5f, 1, 0};
    h.nlabels = 4;
    for (int k = 0; k < 4; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "c%d", k);
    sk_model *m = NULL, *ref = NULL;
    CHECK_EQ_INT(sk_model_create(&m, &h, 7), 0);
    CHECK_EQ_INT(sk_model_create(&ref, &h, 7), 0);
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, NULL), 0);
    if (!r)
        goto out;
    static sk_body hist[137];
    uint32_t rng = 12345;
    float x[5 * 120], probs[4];
    int mismatches = 0, early_nonzero = 0;
    for (int t = 0; t < N; t++) {
        sk_body *b = &hist[t];
        memset(b, 0, sizeof *b);
        b->id = 42;
        for (int j = 0; j < 20; j++) {
            rng = rng * 1664525u + 1013904223u;
            b->joints[j].x = (float)(rng >> 8) / (float)(1 << 24) - 0.5f;
            rng = rng * 1664525u + 1013904223u;
            b->joints[j].y = (float)(rng >> 8) / (float)(1 << 24) + (j < 4 ? (float)j * 0.2f : 0.0f);
            rng = rng * 1664525u + 1013904223u;
            b->joints[j].z = 2.0f + (float)(rng >> 8) / (float)(1 << 24) * 0.3f;
        }
        sk_frame_init(&frame_, SK_JOINTSET_KINECT1);
        frame_.seq = (uint64_t)t;
        frame_.nbodies = 1;
        frame_.bodies[0] = *b;
        CHECK_EQ_INT(sk_recognizer_push(r, 9, &frame_, NULL, NULL), 0);
        sk_body_state st;
        CHECK_EQ_INT(sk_recognizer_body_state(r, 9, 42, &st), 0);
        CHECK_EQ_INT(st.frames, t + 1 < W ? t + 1 : W);
        if (t + 1 < W) {
            early_nonzero += st.label != 0 || st.probs[0] != 0.0f;
            continue;
        }
        const sk_body *win[5];
        for (int i = 0; i < W; i++)
            win[i] = &hist[t - W + 1 + i];
        CHECK_EQ_INT(sk_features_window(&h.features, win, W, x), 0);
        CHECK_EQ_INT(sk_model_infer(ref, x, probs), 0);
        /* smooth 0: the body's probabilities are the model's, bit for bit */
        if (memcmp(probs, st.probs, sizeof probs) != 0)
            mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK_EQ_INT(early_nonzero, 0);
    sk_recognizer_stats rs;
    sk_recognizer_get_stats(r, &rs);
    CHECK_EQ_INT(rs.inferences, N - W + 1);
    CHECK_EQ_INT(rs.frames, N);
out:
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
    sk_model_destroy(ref);
}

/* A streaming tcn (receptive field 1 + (2-1)(2^2-1) = 4 frames <= W = 6) on
 * features that need no window normalisation (centre and velocity only)
 * gives, from the first full window on, the window inference's
 * probabilities: one step per frame, the same decisions. Also across a
 * bridged gap and a reset. */
static void test_streaming(void)
{
    const int W = 6, N = 90;
    sk_model_header h;
    memset(&h, 0, sizeof h);
    h.arch = (sk_model_config){.arch = SK_ARCH_TCN, .input = 120, .hidden = 16,
                               .layers = 2, .classes = 4, .window = W, .kernel = 2};
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.features.scale = 0;
    h.features.rotate = 0;
    h.post = (sk_postproc_config){0.0f, 0.3f, 1, 0};
    h.nlabels = 4;
    for (int k = 0; k < 4; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "c%d", k);
    sk_model *m = NULL;
    CHECK_EQ_INT(sk_model_create(&m, &h, 11), 0);
    if (!m)
        return;
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    sk_recognizer *win = NULL, *str = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&win, m, &cfg), 0);
    cfg.streaming = 1;
    CHECK_EQ_INT(sk_recognizer_create(&str, m, &cfg), 0);
    CHECK_EQ_INT(sk_recognizer_is_streaming(win), 0);
    CHECK_EQ_INT(sk_recognizer_is_streaming(str), 1);
    if (!win || !str)
        goto out;
    uint32_t rng = 99;
    float maxdiff = 0.0f;
    int label_diff = 0, decided = 0;
    evlog lw = {0}, ls = {0};
    for (int t = 0; t < N; t++) {
        sk_frame_init(&frame_, SK_JOINTSET_KINECT1);
        frame_.seq = (uint64_t)t;
        /* frames 40-41 without the body (bridged), 60-69 without (reset) */
        frame_.nbodies = (t >= 40 && t < 42) || (t >= 60 && t < 70) ? 0 : 1;
        sk_body *b = &frame_.bodies[0];
        b->id = 3;
        for (int j = 0; j < 20; j++) {
            rng = rng * 1664525u + 1013904223u;
            b->joints[j].x = (float)(rng >> 8) / (float)(1 << 24) - 0.5f;
            rng = rng * 1664525u + 1013904223u;
            b->joints[j].y = (float)(rng >> 8) / (float)(1 << 24);
            b->joints[j].z = 2.0f;
        }
        sk_recognizer_push(win, 1, &frame_, log_event, &lw);
        sk_recognizer_push(str, 1, &frame_, log_event, &ls);
        sk_body_state a, c;
        int ra = sk_recognizer_body_state(win, 1, 3, &a);
        int rc = sk_recognizer_body_state(str, 1, 3, &c);
        CHECK_EQ_INT(ra, rc);
        if (ra || rc)
            continue;
        CHECK_EQ_INT(a.frames, c.frames);
        label_diff += a.label != c.label;
        decided += a.frames == W && a.probs[0] + a.probs[1] > 0.0f;
        for (int k = 0; k < 4; k++) {
            float d = fabsf(a.probs[k] - c.probs[k]);
            if (d > maxdiff)
                maxdiff = d;
        }
    }
    CHECK_MSG(maxdiff < 1e-5f, "largest difference %g", (double)maxdiff);
    CHECK_EQ_INT(label_diff, 0);
    CHECK(decided > 50);
    CHECK_EQ_INT(lw.n, ls.n);
    sk_recognizer_stats sw, ss;
    sk_recognizer_get_stats(win, &sw);
    sk_recognizer_get_stats(str, &ss);
    /* Streaming steps every frame (bridged ones too); the window decides. */
    CHECK_EQ_INT(ss.inferences, N - 12 + 2); /* 12 frames missing, 2 bridged */
    CHECK(sw.inferences < ss.inferences);
    /* A gru has no streaming form. */
    sk_model *g = pose_model(4);
    sk_recognizer *bad = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&bad, g, &cfg), SK_EINVAL);
    sk_model_destroy(g);
    /* Automatic: streaming only for per-frame normalisation with the
     * receptive field (here 4, then 8) within the window (6). */
    sk_recognizer_config_default(&cfg);
    for (int fn = 0; fn <= 1; fn++)
        for (int layers = 2; layers <= 3; layers++) {
            sk_model_header h2 = h;
            h2.features.frame_norm = fn;
            h2.arch.layers = layers;
            sk_model *m2 = NULL;
            sk_recognizer *r2 = NULL;
            CHECK_EQ_INT(sk_model_create(&m2, &h2, 1), 0);
            CHECK_EQ_INT(sk_recognizer_create(&r2, m2, &cfg), 0);
            CHECK_EQ_INT(sk_recognizer_is_streaming(r2), fn && layers == 2);
            sk_recognizer_destroy(r2);
            sk_model_destroy(m2);
        }
out:
    sk_recognizer_destroy(win);
    sk_recognizer_destroy(str);
    sk_model_destroy(m);
}

/* ---- decisions ------------------------------------------------------------ */

static void test_one_event_per_action(void)
{
    const int W = 4;
    sk_model *m = pose_model(W);
    CHECK(m != NULL);
    if (!m)
        return;
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    cfg.min_frames = 3;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
    /* idle 10, class 1 for 40 frames, idle 20 */
    int cls[70], lab[70];
    for (int t = 0; t < 70; t++)
        cls[t] = t >= 10 && t < 50 ? 1 : -1;
    evlog l = {0};
    push_seq(r, 1, 5, cls, 70, 100, &l, lab);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), 1);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_END), 1);
    /* The newest frame decides: 3 consecutive decisions of class 1 -> the
     * START at frame 12 (seq 112); the END 3 idle frames after 49. */
    CHECK_EQ_INT(l.ev[0].kind, SK_EVENT_START);
    CHECK_EQ_INT(l.ev[0].label, 1);
    CHECK_EQ_INT(l.ev[0].frame, 112);
    CHECK_EQ_INT(l.ev[0].body, 5);
    CHECK_EQ_INT(l.ev[0].stream, 1);
    CHECK(strcmp(l.ev[0].name, "one") == 0);
    CHECK(l.ev[0].confidence > 0.99f);
    CHECK_EQ_INT(l.ev[0].latency_us, 0); /* no arrival time */
    CHECK_EQ_INT(l.ev[1].kind, SK_EVENT_END);
    CHECK_EQ_INT(l.ev[1].frame, 152);
    /* Frames before the first full window, and idle ones, report 0. */
    CHECK_EQ_INT(lab[0], 0);
    CHECK_EQ_INT(lab[11], 0);
    CHECK_EQ_INT(lab[12], 1);
    CHECK_EQ_INT(lab[51], 1);
    CHECK_EQ_INT(lab[52], 0);
    sk_recognizer_destroy(r);

    /* A one-frame dip in a sustained action, min_frames 1: refractory 0
     * fires twice, refractory 5 once. */
    for (int t = 0; t < 70; t++)
        cls[t] = t >= 10 && t < 50 && t != 30 ? 2 : -1;
    for (int refr = 0; refr <= 5; refr += 5) {
        cfg.min_frames = 1;
        cfg.refractory = refr;
        CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
        l.n = 0;
        push_seq(r, 1, 5, cls, 70, 0, &l, NULL);
        CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), refr ? 1 : 2);
        sk_recognizer_stats st;
        sk_recognizer_get_stats(r, &st);
        CHECK_EQ_INT(st.events, refr ? 1 : 2);
        sk_recognizer_destroy(r);
    }

    /* Smoothing delays the decision: with smooth 0.9 class 2 needs several
     * frames to pass the threshold 0.6. */
    cfg.min_frames = 1;
    cfg.refractory = 0;
    cfg.smooth = 0.9f;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
    l.n = 0;
    for (int t = 0; t < 70; t++)
        cls[t] = t >= 10 ? 2 : -1;
    push_seq(r, 1, 5, cls, 70, 0, &l, NULL);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), 1);
    /* ps(2) after n frames of class 2 from 1/3: 1 - (2/3) 0.9^n >= 0.6 from
     * n = 5 (0.5626 after 4, 0.6063 after 5): frame 10 + 4 = 14. */
    CHECK_EQ_INT(l.ev[0].frame, 14);
    sk_recognizer_destroy(r);

    /* Overrides out of range are refused. */
    cfg.smooth = 1.0f;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), SK_EINVAL);
    CHECK(r == NULL);
    sk_model_destroy(m);
}

/* rearm: a second label within one action (no rest between) is not
 * reported; after enough rest the next action is. */
static void test_rearm(void)
{
    sk_model *m = pose_model(4);
    if (!m)
        return;
    int cls[60];
    for (int t = 0; t < 60; t++)
        cls[t] = t >= 10 && t < 20 ? 1 : t >= 20 && t < 30 ? 2 : t >= 30 && t < 32 ? -1
               : t >= 32 && t < 40 ? 2 : t >= 44 && t < 50 ? 1 : -1;
    for (int rearm = 0; rearm <= 3; rearm += 3) {
        sk_recognizer_config cfg;
        sk_recognizer_config_default(&cfg);
        cfg.rearm = rearm;
        sk_recognizer *r = NULL;
        CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
        evlog l = {0};
        push_seq(r, 1, 1, cls, 60, 0, &l, NULL);
        if (rearm == 0) {
            /* 1 at 10, 2 at 20, (2 again at 32: refractory 0), 1 at 44 */
            CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), 4);
        } else {
            /* 1 at 10; 2 at 20 confused within it; 2 rests only 2 frames
             * (30, 31) before 32: still not armed; after 40-43 (4 rest), 1 at 44. */
            CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), 2);
            CHECK_EQ_INT(l.ev[0].frame, 10);
            CHECK_EQ_INT(l.ev[0].label, 1);
            int last = l.n - 1;
            while (last > 0 && l.ev[last].kind != SK_EVENT_START)
                last--;
            CHECK_EQ_INT(l.ev[last].frame, 44);
            CHECK_EQ_INT(l.ev[last].label, 1);
        }
        sk_recognizer_destroy(r);
    }
    sk_model_destroy(m);
}

static void test_decide_every(void)
{
    const int W = 4, N = 40;
    sk_model *m = pose_model(W);
    if (!m)
        return;
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    cfg.decide_every = 3;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
    int cls[40], lab[40];
    for (int t = 0; t < N; t++)
        cls[t] = t >= 11 ? 1 : -1;
    evlog l = {0};
    push_seq(r, 3, 1, cls, N, 0, &l, lab);
    sk_recognizer_stats st;
    sk_recognizer_get_stats(r, &st);
    /* Decisions at frames 3, 6, 9, ..., 39: 13 of them. */
    CHECK_EQ_INT(st.inferences, 13);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), 1);
    CHECK_EQ_INT(l.ev[0].frame, 12); /* the first decision frame from 11 on */
    CHECK_EQ_INT(lab[11], 0);        /* held between decisions */
    CHECK_EQ_INT(lab[12], 1);
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
}

/* ---- bodies and streams -------------------------------------------------- */

static void test_gap(void)
{
    const int W = 4;
    sk_model *m = pose_model(W);
    if (!m)
        return;
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    cfg.gap_frames = 2;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
    evlog l = {0};
    uint32_t id = 8;
    int c = 1;
    uint64_t seq = 0;
    for (int t = 0; t < 10; t++)
        sk_recognizer_push(r, 1, frame_of(seq++, 1, &id, &c), log_event, &l);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_START), 1);
    /* Missing for 2 frames: bridged, the window stays full, no event. */
    sk_recognizer_push(r, 1, frame_of(seq++, 0, NULL, NULL), log_event, &l);
    sk_recognizer_push(r, 1, frame_of(seq++, 0, NULL, NULL), log_event, &l);
    sk_body_state st;
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, id, &st), 0);
    sk_recognizer_push(r, 1, frame_of(seq++, 1, &id, &c), log_event, &l);
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, id, &st), 0);
    CHECK_EQ_INT(st.frames, W);
    CHECK_EQ_INT(st.label, 1);
    CHECK_EQ_INT(l.n, 1);
    sk_recognizer_stats rs;
    sk_recognizer_get_stats(r, &rs);
    CHECK_EQ_INT(rs.bridged, 2);
    /* Missing for 3 frames: dropped with an END at the third. */
    for (int t = 0; t < 3; t++)
        sk_recognizer_push(r, 1, frame_of(seq++, 0, NULL, NULL), log_event, &l);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_INT(l.ev[1].kind, SK_EVENT_END);
    CHECK_EQ_INT(l.ev[1].frame, seq - 1);
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, id, &st), SK_ENOTFOUND);
    /* Back: a fresh window, label 0 until it is full again, then a new START. */
    sk_recognizer_push(r, 1, frame_of(seq++, 1, &id, &c), log_event, &l);
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, id, &st), 0);
    CHECK_EQ_INT(st.frames, 1);
    CHECK_EQ_INT(st.label, 0);
    for (int t = 0; t < W - 1; t++)
        sk_recognizer_push(r, 1, frame_of(seq++, 1, &id, &c), log_event, &l);
    CHECK_EQ_INT(l.n, 3);
    CHECK_EQ_INT(l.ev[2].kind, SK_EVENT_START);
    CHECK_EQ_INT(l.ev[2].frame, seq - 1);
    /* Frames lost in flight (a sequence jump past the gap) reset too. */
    seq += 10;
    sk_recognizer_push(r, 1, frame_of(seq++, 1, &id, &c), log_event, &l);
    CHECK_EQ_INT(l.n, 4);
    CHECK_EQ_INT(l.ev[3].kind, SK_EVENT_END);
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, id, &st), 0);
    CHECK_EQ_INT(st.frames, 1);
    sk_recognizer_get_stats(r, &rs);
    CHECK_EQ_INT(rs.resets, 2);
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
}

static void test_two_bodies(void)
{
    sk_model *m = pose_model(4);
    if (!m)
        return;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, NULL), 0);
    evlog l = {0};
    uint32_t ids[2] = {100, 200};
    /* body 100 does 1 from frame 0; body 200 does nothing, then 2 from 20;
     * the order of the bodies in the frame changes every frame. */
    for (int t = 0; t < 40; t++) {
        int cls[2] = {1, t >= 20 ? 2 : -1};
        if (t % 2) {
            uint32_t rid[2] = {ids[1], ids[0]};
            int rcls[2] = {cls[1], cls[0]};
            sk_recognizer_push(r, 4, frame_of((uint64_t)t, 2, rid, rcls), log_event, &l);
        } else {
            sk_recognizer_push(r, 4, frame_of((uint64_t)t, 2, ids, cls), log_event, &l);
        }
    }
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_INT(l.ev[0].body, 100);
    CHECK_EQ_INT(l.ev[0].label, 1);
    CHECK_EQ_INT(l.ev[0].frame, 3);
    CHECK_EQ_INT(l.ev[1].body, 200);
    CHECK_EQ_INT(l.ev[1].label, 2);
    CHECK_EQ_INT(l.ev[1].frame, 20); /* the pose model sees the newest frame */
    /* Stream end: both bodies end their actions. */
    sk_recognizer_end_stream(r, 4, log_event, &l);
    CHECK_EQ_INT(l.n, 4);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_END), 2);
    CHECK_EQ_INT(l.ev[2].frame, 39);
    sk_body_state st;
    CHECK_EQ_INT(sk_recognizer_body_state(r, 4, 100, &st), SK_ENOTFOUND);
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
}

static void test_many_streams(void)
{
    const int S = 50, W = 4;
    sk_model *m = pose_model(W);
    if (!m)
        return;
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    cfg.max_streams = S;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
    evlog l = {0};
    /* Stream ids spread over the 32-bit range; stream s's body does class
     * 1 + s % 2; frames interleaved across streams. */
    for (int t = 0; t < 10; t++)
        for (int s = 0; s < S; s++) {
            uint32_t sid = 0x9e3779b9u * (uint32_t)(s + 1), id = (uint32_t)s;
            int c = 1 + s % 2;
            CHECK_EQ_INT(sk_recognizer_push(r, sid, frame_of((uint64_t)t, 1, &id, &c),
                                            log_event, &l), 0);
        }
    CHECK_EQ_INT(l.n, S);
    int wrong = 0;
    for (int i = 0; i < l.n && i < MAXEV; i++) {
        uint32_t s = l.ev[i].body;
        wrong += l.ev[i].stream != 0x9e3779b9u * (s + 1) || l.ev[i].label != 1 + (int)s % 2 ||
                 l.ev[i].frame != (uint64_t)W - 1;
    }
    CHECK_EQ_INT(wrong, 0);
    /* One more stream does not fit... */
    uint32_t id = 0;
    int c = 1;
    CHECK_EQ_INT(sk_recognizer_push(r, 7, frame_of(0, 1, &id, &c), log_event, &l), SK_ELIMIT);
    /* ...until one ends (and the others are still found after the removal). */
    for (int s = 0; s < S; s += 2)
        sk_recognizer_end_stream(r, 0x9e3779b9u * (uint32_t)(s + 1), log_event, &l);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_END), S / 2);
    CHECK_EQ_INT(sk_recognizer_push(r, 7, frame_of(0, 1, &id, &c), log_event, &l), 0);
    int found = 0;
    for (int s = 1; s < S; s += 2) {
        sk_body_state st;
        found += sk_recognizer_body_state(r, 0x9e3779b9u * (uint32_t)(s + 1), (uint32_t)s,
                                          &st) == 0 && st.label == 1 + s % 2;
    }
    CHECK_EQ_INT(found, S / 2);
    sk_recognizer_end_all(r, log_event, &l);
    CHECK_EQ_INT(count_kind(&l, SK_EVENT_END), S);
    sk_recognizer_stats st;
    sk_recognizer_get_stats(r, &st);
    CHECK_EQ_INT(st.dropped, 1);
    /* A frame of another joint set is refused. */
    sk_frame_init(&frame_, SK_JOINTSET_KINECT2);
    CHECK_EQ_INT(sk_recognizer_push(r, 1, &frame_, NULL, NULL), SK_EINVAL);
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
}

/* max_bodies caps the bodies over all streams; a seventh body in a stream
 * replaces the one missing longest. */
static void test_body_limits(void)
{
    sk_model *m = pose_model(2);
    if (!m)
        return;
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    cfg.max_bodies = 3;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, &cfg), 0);
    uint32_t ids[4] = {1, 2, 3, 4};
    int cls[4] = {1, 1, 1, 1};
    sk_recognizer_push(r, 1, frame_of(0, 4, ids, cls), NULL, NULL);
    sk_recognizer_stats st;
    sk_recognizer_get_stats(r, &st);
    CHECK_EQ_INT(st.bodies_refused, 1);
    sk_body_state bs;
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, 4, &bs), SK_ENOTFOUND);
    CHECK_EQ_INT(sk_recognizer_body_state(r, 1, 3, &bs), 0);
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
}

int main(void)
{
    RUN(test_score_events);
    RUN(test_score_frames);
    RUN(test_window_order);
    RUN(test_streaming);
    RUN(test_one_event_per_action);
    RUN(test_rearm);
    RUN(test_decide_every);
    RUN(test_gap);
    RUN(test_two_bodies);
    RUN(test_many_streams);
    RUN(test_body_limits);
    return check_report();
}
