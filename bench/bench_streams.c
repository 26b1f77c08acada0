/* How many 30-fps streams (one body each) one core sustains with a decision
 * every frame while the p99 frame-to-decision latency stays under 5 ms,
 * with the frames due at one moment pushed one by one (batch 1) and pushed
 * together (batched).
 *
 * For each model (the reference shapes of DESIGN.md with random weights:
 * gru 120 -> 128 x 2, tcn 120 -> 128 x 4 kernel 3; window 30, 9 classes;
 * and models/precog.model when it exists):
 *   1. cost: the recognizer's per-frame cost (one body, windows full, a
 *      decision every frame), thread CPU time, over 64 streams fed PRECOG
 *      frames: sk_recognizer_push of one frame (batch 1), and
 *      sk_recognizer_push_batch of 8 frames of 8 streams (per frame);
 *   2. an estimate N = 0.9 * 33,333 us / mean cost (per mode);
 *   3. verification: N streams in one thread, each due a frame every
 *      33.3 ms (their phases spread evenly), for --seconds. Whenever the
 *      thread is free it takes every frame already due (up to --batch; 1 in
 *      batch-1 mode) and pushes them: alone with sk_recognizer_push, or
 *      together with sk_recognizer_push_batch. So batches form only when
 *      the core falls behind (a frame arrives while the previous push runs),
 *      as in `skelact recognize`, which pushes what one receive turn
 *      delivered. A frame's latency is the time from when it was due (its
 *      arrival) to the end of the push that took it (its decision; an event
 *      is emitted inside the push): in a batch every frame counts to the end
 *      of the whole batch, although its decision may come earlier.
 *      N passes if the p99 latency is under 5 ms. From the estimate the
 *      search steps up (x1.05) while it passes, down (x0.95) while it fails,
 *      and prints the largest N that passed. The clock is simulated from
 *      this thread's CPU time (a dedicated core: other processes' load does
 *      not count); the largest N is then run once in real time (wall clock,
 *      this machine as it is) as a check.
 * Streaming models (one step per frame) have nothing to batch: batch 1 only.
 *
 *   build/bench_streams [--seconds S] [--model M] [--only gru|tcn|stream|file]
 *                       [--n N (verify this N only)] [--batch B (most frames
 *                       per push when batched, default SK_INFER_MAX_BATCH;
 *                       1: batch-1 mode only)] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skelact/data.h"
#include "skelact/recognizer.h"

#ifndef SK_DATA_DIR
#define SK_DATA_DIR "../shared/data"
#endif

#define PERIOD_US 33333     /* 30 fps */
#define P99_LIMIT_US 5000   /* the target's latency bound */
#define COST_STREAMS 64

static int64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define MAX_GATHER 256 /* --batch at most */

static sk_take take; /* frames every stream replays (offset per stream) */
static sk_frame frames[MAX_GATHER]; /* the frames of one push */
static const sk_frame *fptr[MAX_GATHER];
static uint32_t fstream[MAX_GATHER];

/* Frame j of stream s (0-based) into frames[slot], for stream id s + 1. */
static void frame_for(int slot, int s, int64_t j)
{
    int n = take.nframes;
    int i = (int)(((int64_t)s * 37 + j) % n);
    sk_frame *f = &frames[slot];
    *f = take.frames[i];
    f->nbodies = 1;
    f->bodies[0].id = 1;
    f->seq = (uint64_t)j;
    f->arrival_us = 0;
    fptr[slot] = f;
    fstream[slot] = (uint32_t)s + 1;
}

/* Push frames[0..n-1]: one by one with sk_recognizer_push when batch is
 * 1, else with sk_recognizer_push_batch. */
static void push_frames(sk_recognizer *r, int n, int batch)
{
    if (batch == 1)
        for (int i = 0; i < n; i++)
            sk_recognizer_push(r, fstream[i], fptr[i], NULL, NULL);
    else
        sk_recognizer_push_batch(r, n, fstream, fptr, NULL, NULL);
}

static void synth_take(void)
{
    /* No data: a body that moves its right hand in a circle. */
    take.nframes = 300;
    take.frames = calloc((size_t)take.nframes, sizeof *take.frames);
    for (int t = 0; t < take.nframes; t++) {
        sk_frame_init(&take.frames[t], SK_JOINTSET_KINECT1);
        take.frames[t].nbodies = 1;
        for (int j = 0; j < 20; j++) {
            sk_joint *jt = &take.frames[t].bodies[0].joints[j];
            jt->x = 0.05f * (float)(j % 5);
            jt->y = 0.1f * (float)j;
            jt->z = 2.0f;
            jt->state = SK_TRACK_TRACKED;
        }
        take.frames[t].bodies[0].joints[11].x += 0.3f * cosf(0.2f * (float)t);
        take.frames[t].bodies[0].joints[11].y += 0.3f * sinf(0.2f * (float)t);
    }
}

static int make_model(sk_model **m, int arch, int layers, int kernel)
{
    sk_model_header h;
    memset(&h, 0, sizeof h);
    h.arch = (sk_model_config){arch, 120, 128, layers, 9, 30, kernel, SK_POOL_LAST};
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.post = (sk_postproc_config){0.5f, 0.6f, 3, 15};
    h.nlabels = 9;
    for (int k = 0; k < 9; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "class%d", k);
    return sk_model_create(m, &h, 42);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int streaming_mode; /* the recognizer's config.streaming for this model */

static sk_recognizer *make_rec(sk_model *m, int n)
{
    sk_recognizer_config cfg;
    sk_recognizer_config_default(&cfg);
    cfg.max_streams = n;
    cfg.max_bodies = n;
    cfg.decide_every = 1;
    cfg.streaming = streaming_mode;
    sk_recognizer *r = NULL;
    if (sk_recognizer_create(&r, m, &cfg) != 0)
        return NULL;
    return r;
}

#define COST_BATCH 8 /* frames per push_batch in the cost phase */

/* Mean and p99 CPU cost of one push with a decision, us (batch 1), and the
 * mean per frame in pushes of COST_BATCH frames of as many streams. */
static int measure_cost(sk_model *m, double *mean, double *p99, double *mean_b,
                        double *model_us, double *model_b_us)
{
    const sk_model_header *h = sk_model_header_get(m);
    int W = h->arch.window;
    sk_recognizer *r = make_rec(m, COST_STREAMS);
    if (!r)
        return -1;
    int streaming = sk_recognizer_is_streaming(r); /* also automatic (file model) */
    for (int j = 0; j < W - 1; j++) /* fill the windows */
        for (int s = 0; s < COST_STREAMS; s++) {
            frame_for(0, s, j);
            push_frames(r, 1, 1);
        }
    int rounds = 0;
    int64_t total = 0, t0 = cpu_us();
    static int64_t cost[COST_STREAMS * 2000];
    int nc = 0;
    int64_t j = W - 1;
    for (; (total < 1500000 || rounds < 3) && rounds < 2000; j++, rounds++) {
        for (int s = 0; s < COST_STREAMS; s++) {
            frame_for(0, s, j);
            int64_t a = cpu_us();
            push_frames(r, 1, 1);
            cost[nc++] = cpu_us() - a;
        }
        total = cpu_us() - t0;
    }
    *mean = (double)total / (double)nc;
    /* The same recognizer on, fed COST_BATCH streams per push. */
    int nb = 0;
    total = 0;
    rounds = 0;
    t0 = cpu_us();
    for (; (total < 1500000 || rounds < 3) && rounds < 2000; j++, rounds++) {
        for (int s0 = 0; s0 < COST_STREAMS; s0 += COST_BATCH) {
            for (int i = 0; i < COST_BATCH; i++)
                frame_for(i, s0 + i, j);
            push_frames(r, COST_BATCH, COST_BATCH);
            nb += COST_BATCH;
        }
        total = cpu_us() - t0;
    }
    *mean_b = (double)total / (double)nb;
    sk_recognizer_stats st;
    sk_recognizer_get_stats(r, &st);
    /* The model alone on one window, for comparison. */
    size_t xs = (size_t)W * h->arch.input;
    float *x = calloc(xs, sizeof *x), probs[SK_MAX_CLASSES];
    if (x) {
        for (size_t i = 0; i < xs; i++)
            x[i] = 0.01f * (float)(i % 97) - 0.4f;
        sk_model_stream *ms = NULL;
        if (streaming && sk_model_stream_create(&ms, m) != 0)
            ms = NULL;
        /* The CPU-time clock costs a system call (1.5 us here): read it
         * every 16 calls, not between every two. */
        int64_t a = cpu_us();
        int reps = 0;
        while (cpu_us() - a < 500000 || reps < 10) {
            for (int i = 0; i < 16; i++, reps++) {
                if (ms)
                    sk_model_stream_step(m, ms, x + (size_t)(reps % W) * h->arch.input, probs);
                else
                    sk_model_infer(m, x, probs);
            }
        }
        *model_us = (double)(cpu_us() - a) / reps;
        sk_model_stream_destroy(ms);
        *model_b_us = 0;
        float *xb = malloc(xs * COST_BATCH * sizeof *xb);
        float *pb = malloc((size_t)COST_BATCH * h->arch.classes * sizeof *pb);
        if (!streaming && xb && pb) {
            for (int i = 0; i < COST_BATCH; i++)
                memcpy(xb + i * xs, x, xs * sizeof *x);
            a = cpu_us();
            reps = 0;
            while (cpu_us() - a < 500000 || reps < 10) {
                sk_model_infer_batch(m, COST_BATCH, xb, pb);
                reps++;
            }
            *model_b_us = (double)(cpu_us() - a) / reps / COST_BATCH;
        }
        free(xb);
        free(pb);
        free(x);
    }
    qsort(cost, (size_t)nc, sizeof *cost, cmp_i64);
    *p99 = (double)cost[(size_t)(0.99 * (nc - 1))];
    sk_recognizer_destroy(r);
    if (!streaming && st.inferences != (uint64_t)(nc + nb))
        fprintf(stderr, "bench_streams: %llu inferences for %d frames\n",
                (unsigned long long)st.inferences, nc + nb);
    return 0;
}

typedef struct verdict {
    double p50_us, p99_us, max_us;
    long frames;
    long pushes;      /* pushes (batches) that took them */
    int largest;      /* frames in the largest push */
    int64_t slowest_us; /* CPU time of the slowest push (a spike of a shared
                           machine shows here: a dedicated core has none) */
    double cpu_share; /* CPU time / wall time of the run */
} verdict;

static void sleep_until(int64_t t)
{
    int64_t now = sk_now_us();
    if (t <= now)
        return;
    struct timespec ts = {(time_t)((t - now) / 1000000), (long)((t - now) % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* N streams for `seconds` of stream time; latencies from due to decided.
 * wall = 1: in real time (sleeping until each frame is due; on a shared
 * machine other processes' load adds to the latencies). wall = 0: on a
 * dedicated core, simulated exactly from this thread's CPU time: a clock
 * that jumps to the next frame's due time when the core would be idle and
 * advances by each push's measured CPU time (pushes run back to back).
 * Each push takes every frame due by then, at most `batch`. */
static int verify(sk_model *m, int n, double seconds, int wall, int batch, verdict *v)
{
    const sk_model_header *h = sk_model_header_get(m);
    int W = h->arch.window;
    sk_recognizer *r = make_rec(m, n);
    if (!r)
        return -1;
    /* Fill every window first (not timed): a running system is in that
     * state; the first W-1 frames of a stream decide nothing. */
    for (int j = 0; j < W - 1; j++)
        for (int s = 0; s < n; s++) {
            frame_for(0, s, j);
            push_frames(r, 1, 1);
        }
    long total = (long)(seconds * 1e6 / PERIOD_US) * n;
    int64_t *lat = malloc((size_t)total * sizeof *lat);
    if (!lat) {
        sk_recognizer_destroy(r);
        return -1;
    }
    int64_t start = wall ? sk_now_us() + 10000 : 0, c0 = cpu_us(), vclock = 0;
#define DUE(k) (start + ((k) / n) * PERIOD_US + (int64_t)((k) % n) * PERIOD_US / n)
    v->pushes = 0;
    v->largest = 0;
    v->slowest_us = 0;
    for (long k = 0; k < total;) {
        int64_t now;
        if (wall) {
            sleep_until(DUE(k));
            now = sk_now_us();
        } else {
            if (vclock < DUE(k))
                vclock = DUE(k); /* idle until the frame arrives */
            now = vclock;
        }
        /* Every frame due by now (the first one at least). */
        int got = 0;
        while (got < batch && k + got < total && (got == 0 || DUE(k + got) <= now)) {
            long q = k + got;
            frame_for(got, (int)(q % n), W - 1 + q / n);
            frames[got].arrival_us = wall ? DUE(q) : 0;
            got++;
        }
        int64_t a = cpu_us();
        push_frames(r, got, batch);
        int64_t spent = cpu_us() - a, end;
        if (wall) {
            end = sk_now_us();
        } else {
            vclock += spent;
            end = vclock;
        }
        if (spent > v->slowest_us)
            v->slowest_us = spent;
        for (int i = 0; i < got; i++)
            lat[k + i] = end - DUE(k + i);
        k += got;
        v->pushes++;
        if (got > v->largest)
            v->largest = got;
    }
#undef DUE
    int64_t cpu = cpu_us() - c0;
    int64_t span = wall ? sk_now_us() - start : (vclock > total / n * PERIOD_US ? vclock : total / n * PERIOD_US);
    qsort(lat, (size_t)total, sizeof *lat, cmp_i64);
    v->frames = total;
    v->p50_us = (double)lat[total / 2];
    v->p99_us = (double)lat[(size_t)(0.99 * (total - 1))];
    v->max_us = (double)lat[total - 1];
    v->cpu_share = span > 0 ? (double)cpu / (double)span : 0;
    free(lat);
    sk_recognizer_destroy(r);
    return 0;
}

/* The largest N sustained with pushes of at most `batch` frames, searched
 * from the estimate n (or only_n alone); prints each step. */
static int search(sk_model *m, int n, double seconds, int batch, int only_n)
{
    if (only_n)
        n = only_n;
    if (n < 1)
        n = 1;
    int best = 0, tried_up = 0, tried_down = 0;
    for (int step = 0; step < 12; step++) {
        verdict v;
        if (verify(m, n, seconds, 0, batch, &v) != 0) {
            printf("    N %d: out of memory\n", n);
            break;
        }
        int pass = v.p99_us < P99_LIMIT_US;
        printf("    N %5d streams, %g s on a dedicated core (CPU-time clock): %ld frames in "
               "%ld pushes (%.2f frames a push, largest %d, slowest %lld us CPU), latency p50 "
               "%.0f us, p99 %.0f us, max %.0f us, load %.0f%% -> %s\n",
               n, seconds, v.frames, v.pushes, (double)v.frames / (double)v.pushes, v.largest,
               (long long)v.slowest_us, v.p50_us, v.p99_us, v.max_us, 100 * v.cpu_share,
               pass ? "sustained" : "NOT sustained");
        fflush(stdout);
        if (only_n)
            return pass ? n : 0;
        if (pass) {
            if (n > best)
                best = n;
            if (tried_down)
                break;
            tried_up = 1;
            n = (int)(n * 1.05) > n ? (int)(n * 1.05) : n + 1;
        } else {
            if (tried_up)
                break;
            tried_down = 1;
            n = (int)(n * 0.95);
            if (n < 1)
                break;
        }
    }
    printf("    => %d streams per core sustained (p99 frame-to-decision < %d us)\n", best,
           P99_LIMIT_US);
    return best;
}

/* The N found, once in real time (wall clock), as a check on this machine. */
static void wall_check(sk_model *m, int n, double seconds, int batch)
{
    verdict v;
    if (n > 0 && verify(m, n, seconds, 1, batch, &v) == 0)
        printf("    N %5d streams, %g s in real time (wall clock, this machine as it is): "
               "%.2f frames a push, latency p50 %.0f us, p99 %.0f us, max %.0f us, CPU %.0f%% "
               "of wall%s\n",
               n, seconds, (double)v.frames / (double)v.pushes, v.p50_us, v.p99_us, v.max_us,
               100 * v.cpu_share,
               v.p99_us < P99_LIMIT_US ? "" : " (over the bound: the core is shared)");
}

static void run_model(const char *name, sk_model *m, double seconds, int only_n, int batch)
{
    const sk_model_header *h = sk_model_header_get(m);
    double mean, p99, mean_b, model_us = 0, model_b_us = 0;
    sk_recognizer *probe = make_rec(m, 1);
    int streaming = probe && sk_recognizer_is_streaming(probe);
    sk_recognizer_destroy(probe);
    if (!probe || measure_cost(m, &mean, &p99, &mean_b, &model_us, &model_b_us) != 0) {
        printf("%s: cannot run\n", name);
        return;
    }
    printf("%s (%s, input %d, hidden %d, layers %d, window %d, classes %d, kernels %s; "
           "%s inference)\n",
           name, sk_arch_name(h->arch.arch), h->arch.input, h->arch.hidden, h->arch.layers,
           h->arch.window, h->arch.classes, sk_model_infer_kernels(m),
           streaming ? "streaming, one step per frame" : "window");
    printf("  cost per frame (push + decision, CPU): batch 1: mean %.1f us, p99 %.1f us -> "
           "%.0f streams at 30 fps by arithmetic",
           mean, p99, 1e6 / mean / 30.0);
    if (!streaming)
        printf("; in pushes of %d streams: mean %.1f us -> %.0f streams", COST_BATCH, mean_b,
               1e6 / mean_b / 30.0);
    printf("\n  (the model alone: %.1f us per %s", model_us, streaming ? "step" : "window");
    if (!streaming && model_b_us > 0)
        printf("; %.1f us per window in sk_model_infer_batch of %d", model_b_us, COST_BATCH);
    printf(")\n");
    fflush(stdout);
    int b1 = 0, bb = 0;
    printf("  batch 1: each frame pushed alone (sk_recognizer_push) as soon as the core is "
           "free\n");
    b1 = search(m, (int)(0.9 * PERIOD_US / mean), seconds, 1, only_n);
    wall_check(m, b1, seconds, 1);
    if (streaming || batch == 1) {
        if (streaming)
            printf("  (batched: not run: a streaming model steps every frame, nothing to "
                   "batch)\n");
        return;
    }
    printf("  batched: whenever the core is free, every frame already due (at most %d) in "
           "one sk_recognizer_push_batch; batches form only when frames arrive during a "
           "push\n",
           batch);
    bb = search(m, (int)(0.9 * PERIOD_US / mean_b), seconds, batch, only_n);
    wall_check(m, bb, seconds, batch);
    printf("  => %s: %d streams per core at batch 1, %d batched (up to %d frames a push), "
           "p99 < %d us, dedicated-core clock\n",
           name, b1, bb, batch, P99_LIMIT_US);
}

int main(int argc, char **argv)
{
    double seconds = 3.0;
    streaming_mode = -1;
    const char *model_path = "models/precog.model", *only = NULL;
    int only_n = 0, batch = SK_INFER_MAX_BATCH;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--model"))
            model_path = argv[i + 1];
        else if (!strcmp(argv[i], "--only"))
            only = argv[i + 1];
        else if (!strcmp(argv[i], "--n"))
            only_n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch") && atoi(argv[i + 1]) >= 1 &&
                 atoi(argv[i + 1]) <= MAX_GATHER)
            batch = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_streams [--seconds S] [--model M] "
                            "[--only gru|tcn|stream|file] [--n N] [--batch B (1-%d)]\n",
                    MAX_GATHER);
            return 2;
        }
    }
    if (argc % 2 == 0) {
        fprintf(stderr, "bench_streams: option %s needs a value\n", argv[argc - 1]);
        return 2;
    }
    if (seconds < 0.5)
        seconds = 0.5;
    char err[256], path[4096];
    snprintf(path, sizeof path, "%s/precog/Seq1_1.csv", getenv("SK_DATA_DIR") ? getenv("SK_DATA_DIR") : SK_DATA_DIR);
    if (sk_take_load(&take, path, SK_FORMAT_PRECOG, err, sizeof err) != 0) {
        printf("(no PRECOG take: %s; synthetic frames)\n", err);
        synth_take();
    } else {
        printf("frames: %s (%d frames, replayed with a different offset per stream)\n", path,
               take.nframes);
    }
    sk_model *m = NULL;
    if ((!only || !strcmp(only, "gru")) && make_model(&m, SK_ARCH_GRU, 2, 0) == 0) {
        run_model("reference gru", m, seconds, only_n, batch);
        sk_model_destroy(m);
    }
    if ((!only || !strcmp(only, "tcn")) && make_model(&m, SK_ARCH_TCN, 4, 3) == 0) {
        run_model("reference tcn", m, seconds, only_n, batch);
        sk_model_destroy(m);
    }
    if ((!only || !strcmp(only, "stream")) && make_model(&m, SK_ARCH_TCN, 4, 3) == 0) {
        streaming_mode = 1;
        run_model("reference tcn", m, seconds, only_n, batch);
        streaming_mode = -1;
        sk_model_destroy(m);
    }
    if (!only || !strcmp(only, "file")) {
        if (sk_model_load(&m, model_path, err, sizeof err) == 0) {
            run_model(model_path, m, seconds, only_n, batch);
            sk_model_destroy(m);
        } else {
            printf("%s: not measured (%s)\n", model_path, err);
        }
    }
    sk_take_free(&take);
    return 0;
}
