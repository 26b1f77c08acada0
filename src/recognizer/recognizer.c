/* The live recognizer (skelact/recognizer.h): per-body ring-buffer windows,
 * model calls, decisions and events. Everything is allocated at creation;
 * sk_recognizer_push and sk_recognizer_push_batch allocate nothing.
 *
 * Batches (window mode). sk_recognizer_push_batch runs the frames through
 * the same code as sk_recognizer_push, except that a decision's window is
 * not inferred at once: its features go into a batch slot (computed from
 * the ring as it is at that frame) and the decision waits, pending, with
 * its body and frame. The pending decisions are run together (one
 * sk_model_infer_batch, then each decision in the order they were queued)
 * before anything that could put an event or a body's state out of the
 * order of single pushes:
 *   - a frame of a stream that has a pending decision (the stream appears
 *     twice in the batch: its bodies' rings and decision states move on);
 *   - an event that is not a decision's (END of a body gone too long, of a
 *     body dropped to make room, of a body that vanished);
 *   - a full set of slots (SK_INFER_MAX_BATCH), and the end of the batch.
 * A pending decision reads only its own body, which nothing else touches
 * before the flush (bodies belong to one stream; a free body is never
 * pending), so it decides exactly what a single push would have. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/recognizer.h"

#ifndef SK_RECOGNIZER_MAX_STREAMS
#define SK_RECOGNIZER_MAX_STREAMS (1 << 20) /* a sanity bound on max_streams */
#endif

typedef struct rbody {
    int used;
    uint32_t id;
    int missing;          /* consecutive frames of its stream without it */
    int seen;             /* scratch: present in the frame being pushed */
    int64_t filled;       /* frames pushed since the window (re)started */
    int head;             /* ring slot of the newest frame */
    sk_body *ring;        /* (W) */
    const sk_body **ptrs; /* (2W): ptrs[i] = ptrs[i + W] = &ring[i] */
    float *ps;            /* (K) smoothed probabilities */
    int64_t *last;        /* (K) body frame a label was last decided, -1 never */
    sk_model_stream *ms;  /* streaming mode: the model's state for this body */
    int decided;          /* ps holds at least one decision */
    int label;            /* current decision */
    int cand, run;        /* candidate label and its consecutive decisions */
    int null_run;         /* consecutive decisions with candidate 0 */
    int armed;            /* rearm: a START may fire */
    int next_free;        /* free list link */
} rbody;

typedef struct rstream {
    int used;
    uint32_t id;
    int have_seq;
    uint64_t last_seq;
    int64_t last_us;      /* arrival time of its last frame (0: none) */
    int nbodies;
    int body[SK_MAX_BODIES]; /* indices into r->bodies */
    int pending;          /* decisions of its bodies waiting in the batch */
} rstream;

/* A decision waiting for its window's inference (push_batch). */
typedef struct rpending {
    int body, stream;     /* indices into r->bodies, r->streams */
    const sk_frame *f;    /* the frame that decides (caller's, valid during
                             the push_batch call) */
} rpending;

struct sk_recognizer {
    sk_model *model;
    const sk_model_header *hdr;
    int W, C, K;
    int streaming;        /* 1: one sk_model_stream_step per frame */
    int ring_len;         /* poses kept per body: W (window), 2 (streaming) */
    int warmup;           /* frames of a body before its first decision: W,
                             or 1 for dtw (it reports the null class itself
                             until a template can have matched) */
    sk_feature_config fc;
    float smooth, threshold;
    int min_frames, refractory, rearm, decide_every, gap_frames;
    int max_streams, max_bodies;

    rstream *streams;     /* (max_streams) */
    int free_stream;      /* lowest possibly free index hint */
    int *table;           /* open addressing: stream id -> index, -1 empty */
    uint32_t table_mask;

    rbody *bodies;        /* (max_bodies) */
    int free_body;        /* head of the free list, -1 if none */

    float *x;             /* (W, C) features of the window being decided */
    float *p;             /* (K) model output */
    float *zeros;         /* (K) probs of a body not decided yet */
    float *bx;            /* (SK_INFER_MAX_BATCH, W, C) pending windows
                             (window mode only) */
    float *bp;            /* (SK_INFER_MAX_BATCH, K) their probabilities */
    rpending pend[SK_INFER_MAX_BATCH];
    int npending;         /* decisions waiting in bx; 0 outside push_batch */
    sk_recognizer_stats stats;
};

void sk_recognizer_config_default(sk_recognizer_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->smooth = -1.0f;
    cfg->threshold = -1.0f;
    cfg->min_frames = -1;
    cfg->refractory = -1;
    cfg->rearm = -1;
    cfg->streaming = -1;
}

/* ---- stream table ------------------------------------------------------- */

static uint32_t hash_id(uint32_t id)
{
    id ^= id >> 16;
    id *= 0x7feb352dU;
    id ^= id >> 15;
    id *= 0x846ca68bU;
    id ^= id >> 16;
    return id;
}

static int stream_find(const sk_recognizer *r, uint32_t id)
{
    for (uint32_t h = hash_id(id) & r->table_mask;; h = (h + 1) & r->table_mask) {
        int i = r->table[h];
        if (i < 0)
            return -1;
        if (r->streams[i].id == id)
            return i;
    }
}

static int stream_add(sk_recognizer *r, uint32_t id)
{
    int i = -1;
    for (int k = 0; k < r->max_streams; k++) {
        int j = (r->free_stream + k) % r->max_streams;
        if (!r->streams[j].used) {
            i = j;
            break;
        }
    }
    if (i < 0)
        return -1;
    r->free_stream = (i + 1) % r->max_streams;
    rstream *s = &r->streams[i];
    memset(s, 0, sizeof *s);
    s->used = 1;
    s->id = id;
    uint32_t h = hash_id(id) & r->table_mask;
    while (r->table[h] >= 0)
        h = (h + 1) & r->table_mask;
    r->table[h] = i;
    return i;
}

/* Linear probing with backward-shift deletion: no tombstones. */
static void stream_remove(sk_recognizer *r, int i)
{
    uint32_t h = hash_id(r->streams[i].id) & r->table_mask;
    while (r->table[h] != i)
        h = (h + 1) & r->table_mask;
    uint32_t hole = h;
    for (uint32_t j = (hole + 1) & r->table_mask; r->table[j] >= 0;
         j = (j + 1) & r->table_mask) {
        uint32_t home = hash_id(r->streams[r->table[j]].id) & r->table_mask;
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        int stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            r->table[hole] = r->table[j];
            hole = j;
        }
    }
    r->table[hole] = -1;
    r->streams[i].used = 0;
    if (i < r->free_stream)
        r->free_stream = i;
}

/* ---- bodies --------------------------------------------------------------- */

static void body_restart(sk_recognizer *r, rbody *b)
{
    b->filled = 0;
    b->head = r->ring_len - 1;
    if (b->ms)
        sk_model_stream_reset(b->ms);
    b->missing = 0;
    b->decided = 0;
    b->label = 0;
    b->cand = 0;
    b->run = 0;
    b->null_run = 0;
    b->armed = 1;
    for (int k = 0; k < r->K; k++) {
        b->ps[k] = 0.0f;
        b->last[k] = -1;
    }
}

static int body_alloc(sk_recognizer *r, uint32_t id)
{
    int i = r->free_body;
    if (i < 0)
        return -1;
    rbody *b = &r->bodies[i];
    r->free_body = b->next_free;
    b->used = 1;
    b->id = id;
    body_restart(r, b);
    return i;
}

static void emit(sk_recognizer *r, int kind, int label, float conf, uint32_t stream,
                 uint32_t body, uint64_t seq, int64_t arrival, sk_event_fn fn,
                 void *ctx)
{
    if (kind == SK_EVENT_START)
        r->stats.events++;
    if (!fn)
        return;
    sk_event ev;
    ev.kind = kind;
    ev.label = label;
    ev.name = r->hdr->labels[label];
    ev.stream = stream;
    ev.body = body;
    ev.frame = seq;
    ev.confidence = conf;
    ev.arrival_us = arrival;
    ev.latency_us = arrival > 0 ? sk_now_us() - arrival : 0;
    fn(ctx, &ev);
}

/* End a body's current action (if any) and return it to the free list. */
static void body_drop(sk_recognizer *r, rstream *s, int k, uint64_t seq,
                      int64_t arrival, sk_event_fn fn, void *ctx)
{
    int bi = s->body[k];
    rbody *b = &r->bodies[bi];
    if (b->label)
        emit(r, SK_EVENT_END, b->label, b->ps[b->label], s->id, b->id, seq, arrival,
             fn, ctx);
    b->used = 0;
    b->next_free = r->free_body;
    r->free_body = bi;
    s->body[k] = s->body[--s->nbodies];
}

/* Append one pose to the ring: O(1), one body copied. */
static void ring_push(sk_recognizer *r, rbody *b, const sk_body *pose)
{
    int h = b->head + 1 == r->ring_len ? 0 : b->head + 1;
    if (&b->ring[h] != pose)
        b->ring[h] = *pose;
    b->head = h;
    b->filled++;
}

/* Streaming mode: one step of the body's model state with the newest pose
 * (features normalised on that frame alone: sk_features_step, what
 * sk_features_window gives each frame of a model with frame_norm). */
static int stream_step(sk_recognizer *r, rbody *b)
{
    const sk_body *cur = &b->ring[b->head];
    const sk_body *prev = b->filled > 1 ? &b->ring[b->head ? b->head - 1 : r->ring_len - 1]
                                        : NULL;
    if (sk_features_step(&r->fc, cur, prev, r->x) != 0 ||
        sk_model_stream_step(r->model, b->ms, r->x, r->p) != 0)
        return -1; /* cannot happen for a model accepted at creation */
    r->stats.inferences++;
    return 0;
}

/* One decision for body b from the model's probabilities p (K). */
static void decide(sk_recognizer *r, rstream *s, rbody *b, const sk_frame *f,
                   const float *p, sk_event_fn fn, void *ctx)
{
    int K = r->K;
    if (!b->decided) {
        memcpy(b->ps, p, (size_t)K * sizeof *b->ps);
        b->decided = 1;
    } else {
        float a = r->smooth;
        for (int k = 0; k < K; k++)
            b->ps[k] = a * b->ps[k] + (1.0f - a) * p[k];
    }
    int cand = 0;
    for (int k = 1; k < K; k++)
        if (b->ps[k] > b->ps[cand])
            cand = k;
    if (cand && !(b->ps[cand] >= r->threshold))
        cand = 0;
    if (cand == b->cand) {
        if (b->run < r->min_frames)
            b->run++;
    } else {
        b->cand = cand;
        b->run = 1;
    }
    if (cand) {
        b->null_run = 0;
    } else if (b->null_run < r->rearm) {
        b->null_run++;
    }
    if (b->null_run >= r->rearm)
        b->armed = 1;
    int64_t now = b->filled - 1; /* this frame's index in the body's life */
    if (b->label)
        b->last[b->label] = now;
    if (cand == b->label || b->run < r->min_frames)
        return;
    if (b->label) {
        emit(r, SK_EVENT_END, b->label, b->ps[b->label], s->id, b->id, f->seq,
             f->arrival_us, fn, ctx);
        b->label = 0;
    }
    if (!cand)
        return;
    if (b->last[cand] >= 0 && now - b->last[cand] <= r->refractory) {
        /* Too soon after the last time: the same action flickering. It
         * stays suppressed while it holds. */
        b->last[cand] = now;
        return;
    }
    if (!b->armed)
        return; /* rearm: no idle since the last action */
    b->label = cand;
    b->last[cand] = now;
    if (r->rearm)
        b->armed = 0;
    emit(r, SK_EVENT_START, cand, b->ps[cand], s->id, b->id, f->seq, f->arrival_us,
         fn, ctx);
}

/* Run the pending decisions: their windows' inference in one call, then
 * each decision in the order queued. */
static void flush(sk_recognizer *r, sk_event_fn fn, void *ctx)
{
    int n = r->npending;
    if (n == 0)
        return;
    r->npending = 0;
    size_t xs = (size_t)r->W * r->C, K = (size_t)r->K;
    int ok = sk_model_infer_batch(r->model, n, r->bx, r->bp) == 0;
    for (int i = 0; i < n; i++) {
        const rpending *q = &r->pend[i];
        rstream *s = &r->streams[q->stream];
        s->pending = 0;
        /* If the batch call failed (it cannot for a model accepted at
         * creation), each window alone, as sk_recognizer_push would. */
        if (!ok && sk_model_infer(r->model, r->bx + i * xs, r->bp + i * K) != 0)
            continue;
        r->stats.inferences++;
        decide(r, s, &r->bodies[q->body], q->f, r->bp + i * K, fn, ctx);
    }
}

/* A new pose of body b (already bridged): ring, then maybe a decision,
 * pending (into the next batch slot) with defer, else at once. */
static void body_frame(sk_recognizer *r, rstream *s, rbody *b, const sk_body *pose,
                       const sk_frame *f, int defer, sk_event_fn fn, void *ctx)
{
    ring_push(r, b, pose);
    if (r->streaming && stream_step(r, b) != 0)
        return;
    int64_t full = b->filled - r->warmup; /* decisions from 0 on */
    if (full < 0 || full % r->decide_every)
        return;
    if (r->streaming) {
        decide(r, s, b, f, r->p, fn, ctx);
        return;
    }
    int start = b->head + 1 == r->W ? 0 : b->head + 1; /* oldest */
    if (defer) {
        float *x = r->bx + (size_t)r->npending * r->W * r->C;
        if (sk_features_window(&r->fc, b->ptrs + start, r->W, x) != 0)
            return; /* cannot happen for a model accepted at creation */
        rpending *q = &r->pend[r->npending++];
        q->body = (int)(b - r->bodies);
        q->stream = (int)(s - r->streams);
        q->f = f;
        s->pending++;
        if (r->npending == SK_INFER_MAX_BATCH)
            flush(r, fn, ctx);
        return;
    }
    if (sk_features_window(&r->fc, b->ptrs + start, r->W, r->x) != 0 ||
        sk_model_infer(r->model, r->x, r->p) != 0)
        return; /* cannot happen for a model accepted at creation */
    r->stats.inferences++;
    decide(r, s, b, f, r->p, fn, ctx);
}

/* ---- public --------------------------------------------------------------- */

int sk_recognizer_create(sk_recognizer **out, sk_model *m,
                         const sk_recognizer_config *cfg)
{
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    if (!m)
        return SK_EINVAL;
    sk_recognizer_config def;
    if (!cfg) {
        sk_recognizer_config_default(&def);
        cfg = &def;
    }
    const sk_model_header *h = sk_model_header_get(m);
    int D = sk_features_dim(&h->features);
    if (D <= 0 || D != h->arch.input || h->arch.window < 1 || h->arch.classes < 2 ||
        h->arch.classes > SK_MAX_CLASSES || !sk_model_infer_kernels(m))
        return SK_EINVAL;
    float smooth = cfg->smooth < 0 ? h->post.smooth : cfg->smooth;
    float threshold = cfg->threshold < 0 ? h->post.threshold : cfg->threshold;
    int min_frames = cfg->min_frames < 0 ? h->post.min_frames : cfg->min_frames;
    int refractory = cfg->refractory < 0 ? h->post.refractory : cfg->refractory;
    int rearm = cfg->rearm < 0 ? 0 : cfg->rearm;
    int decide_every = cfg->decide_every ? cfg->decide_every : 1;
    int max_streams = cfg->max_streams ? cfg->max_streams : SK_RECOGNIZER_STREAMS;
    int gap = cfg->gap_frames == 0 ? SK_RECOGNIZER_GAP
            : cfg->gap_frames < 0 ? 0 : cfg->gap_frames;
    if (!(smooth >= 0.0f && smooth < 1.0f) || !(threshold >= 0.0f && threshold <= 1.0f) ||
        min_frames < 0 || refractory < 0 || rearm > SK_RECOGNIZER_MAX_GAP || decide_every < 1 || max_streams < 1 ||
        max_streams > SK_RECOGNIZER_MAX_STREAMS || gap > SK_RECOGNIZER_MAX_GAP ||
        cfg->max_bodies < 0)
        return SK_EINVAL;
    /* Streaming: on request, for a tcn or dtw (the architectures with a
     * streaming form). Automatically for dtw (matches may span up to twice
     * a template, more than its window), and for a tcn when it computes
     * exactly what the window inference does: per-frame normalisation (the
     * features of a frame do not depend on its window) and a receptive
     * field 1 + (k-1)(2^L - 1) within the window. */
    int streaming = cfg->streaming > 0;
    if (streaming && h->arch.arch != SK_ARCH_DTW &&
        (h->arch.arch != SK_ARCH_TCN || h->arch.pool != SK_POOL_LAST))
        return SK_EINVAL;
    if (cfg->streaming < 0 && h->arch.arch == SK_ARCH_DTW)
        streaming = 1;
    if (cfg->streaming < 0 && h->arch.arch == SK_ARCH_TCN && h->features.frame_norm &&
        h->arch.pool == SK_POOL_LAST &&
        h->arch.layers < 20 &&
        1 + (long)(h->arch.kernel - 1) * ((1L << h->arch.layers) - 1) <= h->arch.window)
        streaming = 1;
    long max_bodies = cfg->max_bodies ? cfg->max_bodies : (long)max_streams * SK_MAX_BODIES;
    if (max_bodies > (long)SK_RECOGNIZER_MAX_STREAMS * SK_MAX_BODIES)
        return SK_EINVAL;

    sk_recognizer *r = calloc(1, sizeof *r);
    if (!r)
        return SK_ENOMEM;
    r->model = m;
    r->hdr = h;
    r->W = h->arch.window;
    r->streaming = streaming;
    r->ring_len = streaming ? 2 : r->W;
    r->warmup = streaming && h->arch.arch == SK_ARCH_DTW ? 1 : r->W;
    r->C = D;
    r->K = h->arch.classes;
    r->fc = h->features;
    r->smooth = smooth;
    r->threshold = threshold;
    r->min_frames = min_frames ? min_frames : 1;
    r->refractory = refractory;
    r->rearm = rearm;
    r->decide_every = decide_every;
    r->gap_frames = gap;
    r->max_streams = max_streams;
    r->max_bodies = (int)max_bodies;

    uint32_t tsize = 1;
    while (tsize < 2u * (uint32_t)max_streams)
        tsize <<= 1;
    r->table_mask = tsize - 1;
    r->streams = calloc((size_t)max_streams, sizeof *r->streams);
    r->table = malloc((size_t)tsize * sizeof *r->table);
    r->bodies = calloc((size_t)max_bodies, sizeof *r->bodies);
    r->x = malloc((size_t)r->W * r->C * sizeof *r->x);
    r->p = calloc((size_t)r->K, sizeof *r->p);
    r->zeros = calloc((size_t)r->K, sizeof *r->zeros);
    if (!streaming) {
        r->bx = malloc((size_t)SK_INFER_MAX_BATCH * r->W * r->C * sizeof *r->bx);
        r->bp = malloc((size_t)SK_INFER_MAX_BATCH * r->K * sizeof *r->bp);
    }
    if (!r->streams || !r->table || !r->bodies || !r->x || !r->p || !r->zeros ||
        (!streaming && (!r->bx || !r->bp)))
        goto fail;
    for (uint32_t i = 0; i < tsize; i++)
        r->table[i] = -1;
    for (int i = 0; i < r->max_bodies; i++) {
        rbody *b = &r->bodies[i];
        b->ring = calloc((size_t)r->ring_len, sizeof *b->ring);
        b->ptrs = malloc(2 * (size_t)r->ring_len * sizeof *b->ptrs);
        b->ps = calloc((size_t)r->K, sizeof *b->ps);
        b->last = malloc((size_t)r->K * sizeof *b->last);
        if (!b->ring || !b->ptrs || !b->ps || !b->last)
            goto fail;
        for (int t = 0; t < r->ring_len; t++)
            b->ptrs[t] = b->ptrs[t + r->ring_len] = &b->ring[t];
        if (streaming && sk_model_stream_create(&b->ms, m) != 0)
            goto fail;
        b->next_free = i + 1 < r->max_bodies ? i + 1 : -1;
    }
    r->free_body = r->max_bodies > 0 ? 0 : -1;
    *out = r;
    return 0;
fail:
    sk_recognizer_destroy(r);
    return SK_ENOMEM;
}

void sk_recognizer_destroy(sk_recognizer *r)
{
    if (!r)
        return;
    if (r->bodies)
        for (int i = 0; i < r->max_bodies; i++) {
            free(r->bodies[i].ring);
            free((void *)r->bodies[i].ptrs);
            free(r->bodies[i].ps);
            free(r->bodies[i].last);
            sk_model_stream_destroy(r->bodies[i].ms);
        }
    free(r->bodies);
    free(r->streams);
    free(r->table);
    free(r->x);
    free(r->p);
    free(r->zeros);
    free(r->bx);
    free(r->bp);
    free(r);
}

int sk_recognizer_is_streaming(const sk_recognizer *r)
{
    return r ? r->streaming : 0;
}

void sk_recognizer_settings(const sk_recognizer *r, sk_postproc_config *post,
                            int *decide_every, int *rearm)
{
    if (rearm)
        *rearm = r->rearm;
    if (post) {
        post->smooth = r->smooth;
        post->threshold = r->threshold;
        post->min_frames = r->min_frames;
        post->refractory = r->refractory;
    }
    if (decide_every)
        *decide_every = r->decide_every;
}

/* One frame: sk_recognizer_push, or with defer a frame of push_batch (window
 * decisions pending; see the top of the file). */
static int push_frame(sk_recognizer *r, uint32_t stream, const sk_frame *f, int defer,
                      sk_event_fn on_event, void *ctx)
{
    if (!f)
        return SK_EINVAL;
    r->stats.frames++;
    if (f->joint_set != r->fc.joint_set || f->nbodies > SK_MAX_BODIES) {
        r->stats.dropped++;
        return SK_EINVAL;
    }
    int si = stream_find(r, stream);
    if (si < 0 && (si = stream_add(r, stream)) < 0) {
        r->stats.dropped++;
        return SK_ELIMIT;
    }
    rstream *s = &r->streams[si];
    if (s->pending)
        flush(r, on_event, ctx); /* this frame moves its bodies on */
    /* Frames lost in flight (a forward jump of the sequence) count as frames
     * every body of the stream missed; a backward jump is a restarted sender. */
    int64_t lost = 0;
    if (s->have_seq && f->seq > s->last_seq + 1) {
        uint64_t d = f->seq - s->last_seq - 1;
        lost = d > (uint64_t)SK_RECOGNIZER_MAX_GAP + 1 ? SK_RECOGNIZER_MAX_GAP + 1
                                                       : (int64_t)d;
    }
    s->have_seq = 1;
    s->last_seq = f->seq;
    s->last_us = f->arrival_us;
    for (int k = 0; k < s->nbodies; k++)
        r->bodies[s->body[k]].seen = 0;

    for (int j = 0; j < f->nbodies; j++) {
        const sk_body *pose = &f->bodies[j];
        int k = 0;
        while (k < s->nbodies && r->bodies[s->body[k]].id != pose->id)
            k++;
        rbody *b;
        if (k < s->nbodies) {
            b = &r->bodies[s->body[k]];
            if (b->seen)
                continue; /* the same id twice in one frame: keep the first */
            int64_t missed = b->missing + lost;
            if (missed > r->gap_frames) {
                /* Gone too long: its action ended; a fresh window. */
                if (b->label) {
                    flush(r, on_event, ctx); /* the pending decisions' events first */
                    emit(r, SK_EVENT_END, b->label, b->ps[b->label], s->id, b->id,
                         f->seq, f->arrival_us, on_event, ctx);
                }
                body_restart(r, b);
                r->stats.resets++;
            } else if (missed > 0 && b->filled > 0) {
                const sk_body *last = &b->ring[b->head];
                for (int64_t t = 0; t < missed; t++) {
                    ring_push(r, b, last); /* bridged: no decision on them */
                    if (r->streaming)
                        stream_step(r, b);
                }
                r->stats.bridged += (uint64_t)missed;
            }
        } else {
            if (s->nbodies == SK_MAX_BODIES) {
                /* Full of bodies not seen yet in this frame: drop the one
                 * missing longest to make room. */
                int worst = -1;
                for (int q = 0; q < s->nbodies; q++) {
                    rbody *o = &r->bodies[s->body[q]];
                    if (!o->seen && (worst < 0 || o->missing > r->bodies[s->body[worst]].missing))
                        worst = q;
                }
                if (worst < 0) {
                    r->stats.bodies_refused++;
                    continue;
                }
                if (r->bodies[s->body[worst]].label)
                    flush(r, on_event, ctx); /* the pending decisions' events first */
                body_drop(r, s, worst, f->seq, f->arrival_us, on_event, ctx);
            }
            int bi = body_alloc(r, pose->id);
            if (bi < 0) {
                r->stats.bodies_refused++;
                continue;
            }
            s->body[s->nbodies++] = bi;
            b = &r->bodies[bi];
        }
        b->seen = 1;
        b->missing = 0;
        body_frame(r, s, b, pose, f, defer, on_event, ctx);
    }
    /* Bodies not in this frame: missing one more (plus the lost) frames. */
    for (int k = 0; k < s->nbodies;) {
        rbody *b = &r->bodies[s->body[k]];
        if (b->seen) {
            k++;
            continue;
        }
        b->missing += 1 + (int)lost;
        if (b->missing > r->gap_frames) {
            if (b->label)
                flush(r, on_event, ctx); /* the pending decisions' events first */
            body_drop(r, s, k, f->seq, f->arrival_us, on_event, ctx);
            r->stats.resets++;
            continue; /* body_drop moved the last body into slot k */
        }
        k++;
    }
    return 0;
}

int sk_recognizer_push(sk_recognizer *r, uint32_t stream, const sk_frame *f,
                       sk_event_fn on_event, void *ctx)
{
    if (!r)
        return SK_EINVAL;
    return push_frame(r, stream, f, 0, on_event, ctx);
}

void sk_recognizer_end_stream(sk_recognizer *r, uint32_t stream,
                              sk_event_fn on_event, void *ctx)
{
    if (!r)
        return;
    int si = stream_find(r, stream);
    if (si < 0)
        return;
    rstream *s = &r->streams[si];
    while (s->nbodies > 0)
        body_drop(r, s, s->nbodies - 1, s->last_seq, 0, on_event, ctx);
    stream_remove(r, si);
}

void sk_recognizer_end_all(sk_recognizer *r, sk_event_fn on_event, void *ctx)
{
    if (!r)
        return;
    for (int i = 0; i < r->max_streams; i++)
        if (r->streams[i].used)
            sk_recognizer_end_stream(r, r->streams[i].id, on_event, ctx);
}

void sk_recognizer_end_idle(sk_recognizer *r, int64_t before_us,
                            sk_event_fn on_event, void *ctx)
{
    if (!r)
        return;
    for (int i = 0; i < r->max_streams; i++)
        if (r->streams[i].used && r->streams[i].last_us > 0 &&
            r->streams[i].last_us < before_us)
            sk_recognizer_end_stream(r, r->streams[i].id, on_event, ctx);
}

int sk_recognizer_body_state(const sk_recognizer *r, uint32_t stream,
                             uint32_t body, sk_body_state *st)
{
    if (!r || !st)
        return SK_EINVAL;
    int si = stream_find(r, stream);
    if (si < 0)
        return SK_ENOTFOUND;
    const rstream *s = &r->streams[si];
    for (int k = 0; k < s->nbodies; k++) {
        const rbody *b = &r->bodies[s->body[k]];
        if (b->id != body)
            continue;
        st->label = b->label;
        st->confidence = b->decided ? b->ps[b->label] : 0.0f;
        st->frames = b->filled < r->W ? (int)b->filled : r->W;
        st->probs = b->decided ? b->ps : r->zeros;
        return 0;
    }
    return SK_ENOTFOUND;
}

void sk_recognizer_get_stats(const sk_recognizer *r, sk_recognizer_stats *st)
{
    if (r && st)
        *st = r->stats;
}

int sk_recognizer_push_batch(sk_recognizer *r, int n, const uint32_t *streams,
                             const sk_frame *const *frames,
                             sk_event_fn on_event, void *ctx)
{
    if (!r || n < 0 || (n > 0 && (!streams || !frames)))
        return SK_EINVAL;
    /* Streaming models step every frame anyway: nothing to gather. */
    int defer = !r->streaming, first = 0;
    for (int i = 0; i < n; i++) {
        int rc = push_frame(r, streams[i], frames[i], defer, on_event, ctx);
        if (rc != 0 && first == 0)
            first = rc;
    }
    flush(r, on_event, ctx);
    return first;
}
