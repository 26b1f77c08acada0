/* skelact recognizer: live frames in, one event per performed action out.
 *
 * For every tracked body of every stream the recognizer keeps a ring buffer
 * of its latest frames (O(1) per frame; a gap in tracking resets that body),
 * runs the model on the window (or steps a streaming model), smooths the
 * class probabilities and decides, per frame, which label the body is doing
 * (0, the null class, when none). A change of decision to a label L != 0
 * emits an SK_EVENT_START of L; the end of that decision emits SK_EVENT_END
 * (key sinks release held keys on it). Live recognition and `skelact eval`
 * run this same code.
 */
#ifndef SKELACT_RECOGNIZER_H
#define SKELACT_RECOGNIZER_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/frame.h"
#include "skelact/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SK_EVENT_START = 1, /* an action was recognized */
    SK_EVENT_END = 2    /* the body stopped doing it (or vanished, or the
                           stream ended) */
};

typedef struct sk_event {
    int kind;            /* SK_EVENT_* */
    int label;           /* class number, 1..K-1 */
    const char *name;    /* label name; borrowed from the model, valid while
                            the recognizer lives */
    uint32_t stream;     /* the receiver's stream id */
    uint32_t body;       /* the body's tracking id */
    uint64_t frame;      /* sequence number of the frame that decided */
    float confidence;    /* smoothed probability of label at that frame */
    int64_t arrival_us;  /* that frame's arrival time (sk_now_us clock) */
    int64_t latency_us;  /* arrival -> event emitted */
} sk_event;

typedef void (*sk_event_fn)(void *ctx, const sk_event *ev);

typedef struct sk_recognizer_config {
    /* Decision settings; a negative value means "the model file's default". */
    float smooth;        /* exponential smoothing of probabilities, 0..1 */
    float threshold;     /* minimum smoothed probability */
    int min_frames;      /* consecutive frames before a decision */
    int refractory;      /* frames before the same label may fire again */
    int decide_every;    /* run the model every k-th frame of a body (>= 1);
                            0 = 1 */
    int max_streams;     /* streams tracked at once; 0 = default */
    int gap_frames;      /* a body missing for more than this many frames of
                            its stream starts a fresh window; 0 = default */
} sk_recognizer_config;

/* Fill cfg with "use the model's defaults" (negative) values. */
void sk_recognizer_config_default(sk_recognizer_config *cfg);

typedef struct sk_recognizer sk_recognizer;

/* Create a recognizer for model m (borrowed: m must outlive the recognizer;
 * the recognizer is its only user while it lives, since inference scratch is
 * per model). Allocates every window and buffer up front. Returns 0,
 * SK_EINVAL or SK_ENOMEM. */
int sk_recognizer_create(sk_recognizer **out, sk_model *m,
                         const sk_recognizer_config *cfg);
/* Free; NULL is fine. Emits nothing: call sk_recognizer_end_stream first if
 * sinks must hear SK_EVENT_END. */
void sk_recognizer_destroy(sk_recognizer *r);

/* Feed one frame of stream `stream`. Calls on_event for every event it
 * causes (zero, one or a few), synchronously. Allocates nothing. Returns 0,
 * SK_EINVAL (frame of another joint set than the model's), or SK_ELIMIT
 * (more streams than max_streams: the frame is dropped and counted). */
int sk_recognizer_push(sk_recognizer *r, uint32_t stream, const sk_frame *f,
                       sk_event_fn on_event, void *ctx);

/* The stream is gone (peer closed, end of file): every body of it ends its
 * current action (SK_EVENT_END) and its windows are freed for reuse. */
void sk_recognizer_end_stream(sk_recognizer *r, uint32_t stream,
                              sk_event_fn on_event, void *ctx);

/* What the recognizer currently thinks of one body (for eval and the live
 * viewer). probs is borrowed: K floats, valid until the next push. Returns 0,
 * or SK_ENOTFOUND if the body is not tracked. */
typedef struct sk_body_state {
    int label;           /* current decision, 0 = none */
    float confidence;
    int frames;          /* frames in its window so far */
    const float *probs;  /* smoothed probabilities (K) */
} sk_body_state;
int sk_recognizer_body_state(const sk_recognizer *r, uint32_t stream,
                             uint32_t body, sk_body_state *st);

typedef struct sk_recognizer_stats {
    uint64_t frames;      /* frames pushed */
    uint64_t inferences;  /* model calls */
    uint64_t events;      /* SK_EVENT_START events */
    uint64_t dropped;     /* frames refused (stream limit, wrong joint set) */
    uint64_t resets;      /* windows restarted after a tracking gap */
} sk_recognizer_stats;
void sk_recognizer_get_stats(const sk_recognizer *r, sk_recognizer_stats *st);

#ifdef __cplusplus
}
#endif
#endif
