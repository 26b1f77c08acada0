/* sk_recognizer_push_batch (src/recognizer/recognizer.c) against
 * sk_recognizer_push: random models (tests/nn_models.h) on real PRECOG
 * poses, several streams of several bodies with tracking gaps, bodies
 * appearing and vanishing, lost and restarted sequences, refused frames,
 * the same stream more than once in a batch, random batch sizes 0..40.
 * A recognizer fed the batches and one fed the same frames one by one (on a
 * copy of the model: inference scratch is per model) must give the same
 * events (every field but latency_us, in the same order), return codes,
 * body states and stats, after every batch. Window models (gru, lstm, tcn)
 * and the streaming tcn. */
#include <string.h>

#include "check.h"
#include "nn_models.h"
#include "skelact/data.h"
#include "skelact/recognizer.h"

/* ---- poses ------------------------------------------------------------------ */

static sk_body *poses; /* real PRECOG bodies, several takes one after the other */
static int nposes;

static void load_poses(void)
{
    static const char *const takes[] = {"Seq1_1", "Seq2_3", "Seq5_8", "Seq6_4"};
    const char *dir = check_data_dir();
    for (size_t i = 0; i < sizeof takes / sizeof *takes; i++) {
        char path[4096], err[256];
        snprintf(path, sizeof path, "%s/precog/%s.csv", dir, takes[i]);
        sk_take t;
        memset(&t, 0, sizeof t);
        int rc = sk_take_load(&t, path, SK_FORMAT_PRECOG, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc != 0)
            continue;
        CHECK_EQ_INT(t.joint_set, SK_JOINTSET_KINECT1);
        sk_body *more = realloc(poses, (size_t)(nposes + t.nframes) * sizeof *poses);
        if (more) {
            poses = more;
            for (int f = 0; f < t.nframes; f++)
                if (t.frames[f].nbodies > 0)
                    poses[nposes++] = t.frames[f].bodies[0];
        }
        sk_take_free(&t);
    }
    CHECK(nposes > 1000);
}

/* ---- models ----------------------------------------------------------------- */

/* A random model (tests/nn_models.h's weights) on the default features of
 * KINECT1 (centred, scaled, rotated, with velocity: 120 per frame), so each
 * decision's features depend on its whole window. */
static sk_model *rand_model(int arch, int H, int L, int W, int K, int ksize,
                            int frame_norm, uint64_t seed)
{
    sk_model *w = make_model(arch, 120, H, L, W, K, ksize, seed);
    if (!w)
        return NULL;
    sk_model_header h = *sk_model_header_get(w);
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.features.frame_norm = frame_norm;
    h.post = (sk_postproc_config){0.3f, 0.4f, 1, 4};
    sk_model *m = NULL;
    if (sk_model_create(&m, &h, 1) == 0 && sk_model_nparams(m) == sk_model_nparams(w)) {
        memcpy(sk_model_params(m), sk_model_params(w), sk_model_nparams(m) * sizeof(float));
        sk_model_infer_sync(m);
    }
    sk_model_destroy(w);
    return m;
}

/* ---- events ----------------------------------------------------------------- */

typedef struct evlog {
    int n, cap;
    sk_event *ev;
} evlog;

static void log_event(void *ctx, const sk_event *e)
{
    evlog *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        sk_event *more = realloc(l->ev, (size_t)cap * sizeof *more);
        if (!more)
            return;
        l->ev = more;
        l->cap = cap;
    }
    l->ev[l->n++] = *e;
}

/* Events a (batches) and b (one by one) equal but for latency_us, from
 * index *from on; then *from = the end. Returns the number of differences. */
static int compare_events(const evlog *a, const evlog *b, int *from)
{
    int bad = a->n != b->n;
    if (bad)
        fprintf(stderr, "events: %d batched, %d one by one\n", a->n, b->n);
    for (int i = *from; i < a->n && i < b->n; i++) {
        const sk_event *x = &a->ev[i], *y = &b->ev[i];
        if (x->kind != y->kind || x->label != y->label || strcmp(x->name, y->name) ||
            x->stream != y->stream || x->body != y->body || x->frame != y->frame ||
            memcmp(&x->confidence, &y->confidence, sizeof x->confidence) ||
            x->arrival_us != y->arrival_us) {
            if (bad < 5)
                fprintf(stderr,
                        "event %d: batched kind %d label %d stream %u body %u frame %llu "
                        "conf %.9g; one by one kind %d label %d stream %u body %u frame "
                        "%llu conf %.9g\n",
                        i, x->kind, x->label, x->stream, x->body,
                        (unsigned long long)x->frame, (double)x->confidence, y->kind,
                        y->label, y->stream, y->body, (unsigned long long)y->frame,
                        (double)y->confidence);
            bad++;
        }
    }
    *from = a->n < b->n ? a->n : b->n;
    return bad;
}

/* ---- the scenario ----------------------------------------------------------- */

#define NSTREAMS 7   /* stream ids 1..7; the recognizers take 6 at once */
#define NIDS 8       /* body ids per stream (frames carry at most SK_MAX_BODIES) */
#define MAXBATCH 40

typedef struct sim {
    uint64_t rng;
    struct {
        uint64_t seq;
        int cursor;          /* pose index */
        int absent[NIDS];    /* frames each body id stays out, 0 = present */
        int present[NIDS];   /* 1: in frames */
    } s[NSTREAMS];
} sim;

static uint32_t rnd(sim *m, uint32_t n)
{
    m->rng = m->rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(m->rng >> 33) % n;
}

/* The next frame of stream si (0-based) into f. */
static void next_frame(sim *m, int si, sk_frame *f, int64_t arrival)
{
    sk_frame_init(f, SK_JOINTSET_KINECT1);
    uint32_t r = rnd(m, 1000);
    if (r < 15)
        m->s[si].seq += 1 + rnd(m, 3); /* frames lost in flight: bridged */
    else if (r < 20)
        m->s[si].seq += 8 + rnd(m, 20); /* a long loss: resets */
    else if (r < 23)
        m->s[si].seq = rnd(m, 5); /* a restarted sender */
    f->seq = m->s[si].seq++;
    f->arrival_us = arrival;
    m->s[si].cursor = (m->s[si].cursor + 1) % nposes;
    for (int id = 0; id < NIDS; id++) {
        if (m->s[si].absent[id] > 0) {
            if (--m->s[si].absent[id] == 0)
                m->s[si].present[id] = 1;
        } else if (m->s[si].present[id] && rnd(m, 100) < 4) {
            m->s[si].present[id] = 0; /* vanishes: briefly (bridged) or long */
            m->s[si].absent[id] = rnd(m, 2) ? 1 + (int)rnd(m, 4) : 7 + (int)rnd(m, 30);
        } else if (!m->s[si].present[id] && rnd(m, 100) < 1) {
            m->s[si].present[id] = 1;
        }
    }
    int n = 0;
    for (int id = 0; id < NIDS && n < SK_MAX_BODIES; id++) {
        int j = (id * 7 + (int)rnd(m, 2)) % NIDS; /* not always the same order */
        if (!m->s[si].present[j])
            continue;
        int dup = 0;
        for (int q = 0; q < n; q++)
            dup |= f->bodies[q].id == (uint32_t)(j + 1);
        if (dup)
            continue;
        f->bodies[n] = poses[(m->s[si].cursor + 97 * j) % nposes];
        f->bodies[n].id = (uint32_t)(j + 1);
        n++;
    }
    if (n > 0 && n < SK_MAX_BODIES && rnd(m, 100) < 2) {
        f->bodies[n] = f->bodies[0]; /* the same id twice: the first counts */
        f->bodies[n].joints[3].x += 0.1f;
        n++;
    }
    f->nbodies = (uint8_t)n;
    if (rnd(m, 1000) < 4)
        f->joint_set = SK_JOINTSET_KINECT2; /* refused: another joint set */
}

static int compare_state(sk_recognizer *a, sk_recognizer *b, int K)
{
    int bad = 0;
    sk_recognizer_stats sa, sb;
    sk_recognizer_get_stats(a, &sa);
    sk_recognizer_get_stats(b, &sb);
    if (memcmp(&sa, &sb, sizeof sa)) {
        fprintf(stderr,
                "stats: batched frames %llu inferences %llu events %llu dropped %llu "
                "resets %llu refused %llu bridged %llu; one by one %llu %llu %llu %llu "
                "%llu %llu %llu\n",
                (unsigned long long)sa.frames, (unsigned long long)sa.inferences,
                (unsigned long long)sa.events, (unsigned long long)sa.dropped,
                (unsigned long long)sa.resets, (unsigned long long)sa.bodies_refused,
                (unsigned long long)sa.bridged, (unsigned long long)sb.frames,
                (unsigned long long)sb.inferences, (unsigned long long)sb.events,
                (unsigned long long)sb.dropped, (unsigned long long)sb.resets,
                (unsigned long long)sb.bodies_refused, (unsigned long long)sb.bridged);
        bad++;
    }
    for (uint32_t s = 1; s <= NSTREAMS; s++)
        for (uint32_t id = 1; id <= NIDS; id++) {
            sk_body_state x, y;
            int rx = sk_recognizer_body_state(a, s, id, &x);
            int ry = sk_recognizer_body_state(b, s, id, &y);
            if (rx != ry) {
                bad++;
                continue;
            }
            if (rx != 0)
                continue;
            if (x.label != y.label || x.frames != y.frames ||
                memcmp(&x.confidence, &y.confidence, sizeof x.confidence) ||
                memcmp(x.probs, y.probs, (size_t)K * sizeof *x.probs)) {
                if (bad < 5)
                    fprintf(stderr, "stream %u body %u: batched label %d frames %d conf %.9g, "
                                    "one by one label %d frames %d conf %.9g\n",
                            s, id, x.label, x.frames, (double)x.confidence, y.label,
                            y.frames, (double)y.confidence);
                bad++;
            }
        }
    return bad;
}

typedef struct outcome {
    long frames, batches, repeats, events, starts, resets, bridged, refused, dropped;
} outcome;

/* Feed batches to one recognizer and the same frames one by one to another
 * (each on its own model, ma and mb equal); compare after every batch. */
static void run_scenario(const char *what, sk_model *ma, sk_model *mb,
                         const sk_recognizer_config *cfg, uint64_t seed, int nbatches,
                         outcome *out)
{
    sk_recognizer *a = NULL, *b = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&a, ma, cfg), 0);
    CHECK_EQ_INT(sk_recognizer_create(&b, mb, cfg), 0);
    static sk_frame frames[MAXBATCH];
    const sk_frame *fp[MAXBATCH];
    uint32_t ids[MAXBATCH];
    evlog la = {0}, lb = {0};
    sim m;
    memset(&m, 0, sizeof m);
    m.rng = seed;
    for (int s = 0; s < NSTREAMS; s++) {
        m.s[s].cursor = (int)rnd(&m, (uint32_t)nposes);
        m.s[s].present[0] = 1;
        m.s[s].present[1 + s % 3] = 1;
    }
    int K = sk_model_header_get(ma)->arch.classes, from = 0, bad = 0;
    int64_t clock = 1000000;
    memset(out, 0, sizeof *out);
    for (int t = 0; t < nbatches && a && b && !bad; t++) {
        int n = (int)rnd(&m, MAXBATCH + 1);
        int seen[NSTREAMS] = {0};
        for (int i = 0; i < n; i++) {
            /* Streams 1-3 busy, 4-7 less so: repeats within a batch. */
            int si = rnd(&m, 3) ? (int)rnd(&m, 3) : 3 + (int)rnd(&m, NSTREAMS - 3);
            out->repeats += seen[si]++ > 0;
            ids[i] = (uint32_t)si + 1;
            next_frame(&m, si, &frames[i], clock += 1000);
            fp[i] = &frames[i];
        }
        if (n > 0 && rnd(&m, 50) == 0)
            fp[rnd(&m, (uint32_t)n)] = NULL; /* refused as sk_recognizer_push does */
        int rb = 0;
        for (int i = 0; i < n; i++) {
            int rc = sk_recognizer_push(b, ids[i], fp[i], log_event, &lb);
            if (rc != 0 && rb == 0)
                rb = rc;
        }
        int ra = sk_recognizer_push_batch(a, n, ids, fp, log_event, &la);
        CHECK_MSG(ra == rb, "%s batch %d: push_batch returned %d, the pushes %d", what, t,
                  ra, rb);
        out->frames += n;
        out->batches++;
        bad += compare_events(&la, &lb, &from);
        bad += compare_state(a, b, K);
        uint32_t r = rnd(&m, 100);
        if (r < 3) { /* a stream ends (its peer left): frees a stream slot */
            uint32_t s = 1 + rnd(&m, NSTREAMS);
            sk_recognizer_end_stream(a, s, log_event, &la);
            sk_recognizer_end_stream(b, s, log_event, &lb);
        } else if (r < 4) {
            sk_recognizer_end_idle(a, clock - 30000, log_event, &la);
            sk_recognizer_end_idle(b, clock - 30000, log_event, &lb);
        }
        bad += compare_events(&la, &lb, &from);
    }
    if (a && b) {
        sk_recognizer_end_all(a, log_event, &la);
        sk_recognizer_end_all(b, log_event, &lb);
        bad += compare_events(&la, &lb, &from);
        bad += compare_state(a, b, K);
        sk_recognizer_stats st;
        sk_recognizer_get_stats(b, &st);
        out->starts = (long)st.events;
        out->resets = (long)st.resets;
        out->bridged = (long)st.bridged;
        out->refused = (long)st.bodies_refused;
        out->dropped = (long)st.dropped;
        out->events = lb.n;
    }
    CHECK_MSG(bad == 0, "%s: %d differences between batches and single pushes", what, bad);
    printf("  %s: %ld frames in %ld batches (%ld repeats of a stream within a batch), "
           "%ld events (%ld starts), resets %ld, bridged %ld, bodies refused %ld, "
           "frames refused %ld\n",
           what, out->frames, out->batches, out->repeats, out->events, out->starts,
           out->resets, out->bridged, out->refused, out->dropped);
    free(la.ev);
    free(lb.ev);
    sk_recognizer_destroy(a);
    sk_recognizer_destroy(b);
}

/* The scenario must exercise what it claims to: events, gaps both ways,
 * refusals, repeats. */
static void check_coverage(const outcome *o)
{
    CHECK(o->repeats > 100);
    CHECK(o->starts > 20);
    CHECK(o->resets > 5);
    CHECK(o->bridged > 5);
    CHECK(o->refused > 0);
    CHECK(o->dropped > 0);
}

static void scenario(const char *what, int arch, int L, int W, int ksize, int streaming,
                     int decide_every, int rearm, uint64_t seed)
{
    const int H = 24, K = 5;
    sk_model *ma = rand_model(arch, H, L, W, K, ksize, streaming, seed);
    sk_model *mb = rand_model(arch, H, L, W, K, ksize, streaming, seed);
    CHECK(ma && mb);
    if (ma && mb) {
        sk_recognizer_config cfg;
        sk_recognizer_config_default(&cfg);
        cfg.streaming = streaming;
        cfg.decide_every = decide_every;
        cfg.rearm = rearm;
        cfg.max_streams = 6;
        cfg.max_bodies = 24;
        outcome o;
        run_scenario(what, ma, mb, &cfg, seed, 250, &o);
        check_coverage(&o);
    }
    sk_model_destroy(ma);
    sk_model_destroy(mb);
}

static void test_gru_window(void)
{
    scenario("gru window", SK_ARCH_GRU, 2, 12, 0, 0, 1, 0, 11);
}

static void test_gru_decide_every(void)
{
    scenario("gru window, decide every 3, rearm 2", SK_ARCH_GRU, 1, 8, 0, 0, 3, 2, 12);
}

static void test_lstm_window(void)
{
    scenario("lstm window", SK_ARCH_LSTM, 2, 10, 0, 0, 1, 0, 13);
}

static void test_tcn_window(void)
{
    scenario("tcn window", SK_ARCH_TCN, 2, 10, 3, 0, 1, 0, 14);
}

static void test_tcn_streaming(void)
{
    scenario("tcn streaming", SK_ARCH_TCN, 2, 10, 3, 1, 1, 0, 15);
}

/* Arguments and edge cases: n = 0, bad arguments, a batch longer than
 * SK_INFER_MAX_BATCH of one stream each. */
static void test_arguments(void)
{
    sk_model *m = rand_model(SK_ARCH_GRU, 8, 1, 4, 3, 0, 0, 3);
    CHECK(m != NULL);
    if (!m)
        return;
    sk_recognizer *r = NULL;
    CHECK_EQ_INT(sk_recognizer_create(&r, m, NULL), 0);
    if (r) {
        CHECK_EQ_INT(sk_recognizer_push_batch(r, 0, NULL, NULL, NULL, NULL), 0);
        CHECK_EQ_INT(sk_recognizer_push_batch(r, -1, NULL, NULL, NULL, NULL), SK_EINVAL);
        CHECK_EQ_INT(sk_recognizer_push_batch(r, 1, NULL, NULL, NULL, NULL), SK_EINVAL);
        CHECK_EQ_INT(sk_recognizer_push_batch(NULL, 0, NULL, NULL, NULL, NULL), SK_EINVAL);
        /* 3 * SK_INFER_MAX_BATCH + 1 streams, W frames each: the last frame
         * of every stream decides, in chunks. */
        enum { NS = 3 * SK_INFER_MAX_BATCH + 1 };
        static sk_frame fr[NS];
        const sk_frame *fp[NS];
        uint32_t ids[NS];
        for (int t = 0; t < 4; t++) {
            for (int s = 0; s < NS; s++) {
                sk_frame_init(&fr[s], SK_JOINTSET_KINECT1);
                fr[s].seq = (uint64_t)t;
                fr[s].nbodies = 1;
                fr[s].bodies[0] = poses[(s * 31 + t) % nposes];
                fr[s].bodies[0].id = 9;
                fp[s] = &fr[s];
                ids[s] = (uint32_t)s + 100;
            }
            CHECK_EQ_INT(sk_recognizer_push_batch(r, NS, ids, fp, NULL, NULL), 0);
        }
        sk_recognizer_stats st;
        sk_recognizer_get_stats(r, &st);
        CHECK_EQ_INT(st.frames, 4 * NS);
        CHECK_EQ_INT(st.inferences, NS);
        sk_body_state bs;
        CHECK_EQ_INT(sk_recognizer_body_state(r, NS - 1 + 100, 9, &bs), 0);
        CHECK_EQ_INT(bs.frames, 4);
        CHECK(bs.probs[0] + bs.probs[1] + bs.probs[2] > 0.99f);
    }
    sk_recognizer_destroy(r);
    sk_model_destroy(m);
}

int main(void)
{
    load_poses();
    if (nposes < 100)
        return check_report();
    RUN(test_arguments);
    RUN(test_gru_window);
    RUN(test_gru_decide_every);
    RUN(test_lstm_window);
    RUN(test_tcn_window);
    RUN(test_tcn_streaming);
    free(poses);
    return check_report();
}
