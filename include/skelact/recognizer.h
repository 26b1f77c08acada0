/* skelact recognizer: live frames in, one event per performed action out.
 *
 * For every tracked body of every stream the recognizer keeps a ring buffer
 * of its latest frames (O(1) per frame), runs the model on the window (or
 * steps a streaming model), smooths the class probabilities and decides, per
 * frame, which label the body is doing (0, the null class, when none). A
 * change of decision to a label L != 0 emits an SK_EVENT_START of L; the end
 * of that decision emits SK_EVENT_END (key sinks release held keys on it).
 * Live recognition and `skelact eval` run this same code.
 *
 * Windows. The window of a body is its last W frames, oldest first, turned
 * into features by sk_features_window() exactly as training does (the
 * normalisation is measured over the whole window, so the features are
 * recomputed from the stored bodies at each decision; the bodies themselves
 * are never copied per frame: the ring keeps two copies of its pointer
 * table, so any window is a contiguous run of W pointers). Frames before a
 * body's first full window decide nothing and report label 0.
 *
 * Streaming models (config streaming = 1, tcn): each frame is one
 * sk_model_stream_step of the body's state instead of a window inference
 * (a cost per frame independent of the window); the features of a frame are
 * normalised on that frame alone. Decisions start at the same frame (the
 * W-th of the body) and follow the same rules.
 *
 * Bodies. A body is known by its tracking id within its stream. A body
 * missing from at most gap_frames consecutive frames of its stream (or from
 * a sequence-number gap of the stream, frames lost in flight) is bridged:
 * the missing frames repeat its last pose, as training does for a frame
 * without a body. A body missing longer is dropped: its current action ends
 * (SK_EVENT_END) and, if it comes back, it starts a fresh window (counted in
 * resets).
 *
 * Decisions, at every decide_every-th frame of a body from its first full
 * window on:
 *   p    = the model's class probabilities for the window;
 *   ps   = smooth * ps + (1 - smooth) * p        (ps = p at the first one);
 *   cand = argmax_k ps[k], or 0 if ps[cand] < threshold;
 *   run  = number of consecutive decisions with this same cand;
 *   the current label D changes to cand once run >= min_frames: D != 0
 *   emits SK_EVENT_END(D); cand != 0 emits SK_EVENT_START(cand), unless cand
 *   was last decided (or last suppressed) at most `refractory` frames ago:
 *   then D stays 0 and cand stays suppressed for as long as it holds.
 * So one sustained action gives one START and one END, even when its
 * decision flickers off for fewer than `refractory` frames. With rearm R > 0
 * a START also needs R consecutive decisions of candidate 0 since the
 * previous START (the body rested): a second label recognised within one
 * action (a confusion) is not reported.
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

#ifndef SK_RECOGNIZER_STREAMS
#define SK_RECOGNIZER_STREAMS 64 /* streams at once by default: the receiver's default connection count */
#endif
#ifndef SK_RECOGNIZER_GAP
#define SK_RECOGNIZER_GAP 5 /* frames (1/6 s at 30 fps): a tracking flicker, not a person leaving */
#endif
#ifndef SK_RECOGNIZER_MAX_GAP
#define SK_RECOGNIZER_MAX_GAP 300 /* frames bridged at most: gap_frames may not exceed it */
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
    int64_t arrival_us;  /* that frame's arrival time (sk_now_us clock; 0 if
                            the frame had none, e.g. eval) */
    int64_t latency_us;  /* arrival -> event emitted (0 without arrival) */
} sk_event;

typedef void (*sk_event_fn)(void *ctx, const sk_event *ev);

typedef struct sk_recognizer_config {
    /* Decision settings; a negative value means "the model file's default". */
    float smooth;        /* exponential smoothing of probabilities, 0..1
                            (weight of the past; 0 = none) */
    float threshold;     /* minimum smoothed probability */
    int min_frames;      /* consecutive decisions before a change (0 = 1) */
    int refractory;      /* frames after a label was last decided before it
                            may start again */
    int rearm;           /* after a START, no label may start until the
                            candidate has been 0 for this many consecutive
                            decisions (one event per action when actions are
                            separated by rest); 0 = off; < 0 = default (off:
                            model files have no such field) */
    int decide_every;    /* run the model every k-th frame of a body (>= 1);
                            0 = 1 */
    int max_streams;     /* streams tracked at once; 0 = SK_RECOGNIZER_STREAMS */
    int gap_frames;      /* a body missing for more than this many frames of
                            its stream is dropped (END) and starts a fresh
                            window when it returns; shorter gaps are bridged;
                            0 = SK_RECOGNIZER_GAP, < 0 = never bridge */
    int max_bodies;      /* bodies tracked at once over all streams (each
                            holds a window); 0 = max_streams * SK_MAX_BODIES */
    int streaming;       /* 1: step the model's streaming form once per
                            frame (sk_model_stream_*; tcn only, SK_EINVAL
                            otherwise), with each frame's features
                            normalised on that frame alone; 0: window
                            inference; -1: automatic: streaming when it
                            equals the window inference (a tcn with
                            features.frame_norm whose receptive field
                            1 + (k-1)(2^L - 1) fits in the window) */
} sk_recognizer_config;

/* Fill cfg with "use the model's defaults" (negative) values and the
 * defaults above (0). */
void sk_recognizer_config_default(sk_recognizer_config *cfg);

typedef struct sk_recognizer sk_recognizer;

/* Create a recognizer for model m (borrowed: m must outlive the recognizer;
 * the recognizer is its only user while it lives, since inference scratch is
 * per model). Allocates every window and buffer up front. Returns 0,
 * SK_EINVAL (a setting out of range, a model that cannot run inference) or
 * SK_ENOMEM. */
int sk_recognizer_create(sk_recognizer **out, sk_model *m,
                         const sk_recognizer_config *cfg);
/* Free; NULL is fine. Emits nothing: call sk_recognizer_end_stream (or
 * sk_recognizer_end_all) first if sinks must hear SK_EVENT_END. */
void sk_recognizer_destroy(sk_recognizer *r);

/* 1 if r steps a streaming model per frame, 0 if it runs windows. */
int sk_recognizer_is_streaming(const sk_recognizer *r);

/* The decision settings in force (the model's defaults with cfg's
 * overrides applied), for printing. Any pointer may be NULL. */
void sk_recognizer_settings(const sk_recognizer *r, sk_postproc_config *post,
                            int *decide_every, int *rearm);

/* Feed one frame of stream `stream`. Calls on_event (may be NULL) for every
 * event it causes (zero, one or a few), synchronously. Allocates nothing.
 * Returns 0, SK_EINVAL (frame of another joint set than the model's, or
 * NULL), or SK_ELIMIT (more streams than max_streams: the frame is dropped
 * and counted). Bodies beyond max_bodies are ignored (counted). */
int sk_recognizer_push(sk_recognizer *r, uint32_t stream, const sk_frame *f,
                       sk_event_fn on_event, void *ctx);

/* Feed n frames at once (n >= 0), frames[i] of stream streams[i], in that
 * order: what arrived together (one wake-up of the receive loop, one tick of
 * a benchmark). The events, their order, the decisions and the stats are
 * exactly those of n sk_recognizer_push calls in the same order; only the
 * window model's inferences are run together (sk_model_infer_batch, at most
 * SK_INFER_MAX_BATCH windows a call), which costs less per window. A stream
 * may appear more than once. Decisions wait for their batch, so an event is
 * emitted later than a single push would emit it (at most until the end of
 * the call): each event's latency_us still counts from its own frame's
 * arrival and includes that wait. A streaming model steps each frame as it
 * comes (nothing to batch). Returns 0 if every frame was taken, else the
 * first error sk_recognizer_push would have returned (the other frames are
 * still taken); a NULL frames[i] is SK_EINVAL for that frame. The frames
 * are only read during the call. Allocates nothing. on_event must not call
 * back into r; sk_recognizer_body_state from it may already see frames
 * later in the batch. */
int sk_recognizer_push_batch(sk_recognizer *r, int n, const uint32_t *streams,
                             const sk_frame *const *frames,
                             sk_event_fn on_event, void *ctx);

/* The stream is gone (peer closed, end of file): every body of it ends its
 * current action (SK_EVENT_END, frame = the stream's last seq) and its
 * windows are freed for reuse. Unknown streams are ignored. */
void sk_recognizer_end_stream(sk_recognizer *r, uint32_t stream,
                              sk_event_fn on_event, void *ctx);
/* sk_recognizer_end_stream for every stream (on exit). */
void sk_recognizer_end_all(sk_recognizer *r, sk_event_fn on_event, void *ctx);
/* sk_recognizer_end_stream for every stream whose last frame arrived
 * (frame->arrival_us, sk_now_us clock) before before_us: streams whose peer
 * left without the receiver saying so. Streams of frames without an arrival
 * time are never idle. O(max_streams): call it a few times a second, not
 * per frame. */
void sk_recognizer_end_idle(sk_recognizer *r, int64_t before_us,
                            sk_event_fn on_event, void *ctx);

/* What the recognizer currently thinks of one body (for eval and the live
 * viewer). probs is borrowed: K floats, valid until the next push. Returns 0,
 * or SK_ENOTFOUND if the body is not tracked. */
typedef struct sk_body_state {
    int label;           /* current decision, 0 = none */
    float confidence;    /* smoothed probability of label (of class 0 when
                            label is 0; 0 before the first decision) */
    int frames;          /* frames in its window so far (<= W) */
    const float *probs;  /* smoothed probabilities (K); all 0 before the
                            first decision */
} sk_body_state;
int sk_recognizer_body_state(const sk_recognizer *r, uint32_t stream,
                             uint32_t body, sk_body_state *st);

typedef struct sk_recognizer_stats {
    uint64_t frames;      /* frames pushed */
    uint64_t inferences;  /* model calls (windows or streaming steps) */
    uint64_t events;      /* SK_EVENT_START events */
    uint64_t dropped;     /* frames refused (stream limit, wrong joint set) */
    uint64_t resets;      /* windows restarted after a tracking gap */
    uint64_t bodies_refused; /* bodies ignored: max_bodies were tracked */
    uint64_t bridged;     /* missing frames filled by repeating a pose */
} sk_recognizer_stats;
void sk_recognizer_get_stats(const sk_recognizer *r, sk_recognizer_stats *st);

/* ---- scoring on continuous takes (src/recognizer/score.c) ---------------
 * DESIGN.md "Evaluation on continuous takes": frame accuracy and macro-F1 of
 * the reported labels, and event matching. A true move is a maximal run
 * [s, e] of one non-zero label; a fired START of label L at frame f matches
 * the first unmatched true move of label L with s <= f <= e +
 * SK_SCORE_LATE_FRAMES (events taken in the order given, which should be
 * frame order); unmatched events are false alarms, unmatched moves misses;
 * delay = f - s of each hit. Macro-F1: the per-label F1 of the frame labels
 * (label 0 included), averaged over the labels that occur in the true
 * labels of the scored frames (a label predicted but never true adds no term:
 * its frames count only as misses of the true labels). */
#ifndef SK_SCORE_LATE_FRAMES
#define SK_SCORE_LATE_FRAMES 15 /* DESIGN.md: an event up to 0.5 s after the move still counts */
#endif

typedef struct sk_score_event {
    int frame; /* frame index within the take (0-based) */
    int label; /* 1..K-1 */
} sk_score_event;

typedef struct sk_score_result {
    long frames;
    long frames_correct;
    double frame_accuracy;
    double macro_f1;
    int macro_labels;     /* labels averaged in macro_f1 */
    long true_moves, hits, misses, false_alarms;
    double precision, recall, f1; /* 0 when undefined (nothing fired / no move) */
    double mean_delay_frames, median_delay_frames; /* NaN without hits */
} sk_score_result;

typedef struct sk_score sk_score;

/* An accumulator over takes for labels 0..K-1. Returns 0, SK_EINVAL or
 * SK_ENOMEM. */
int sk_score_create(sk_score **out, int K);
void sk_score_destroy(sk_score *s);
/* Add one take: truth and pred (n labels each, per frame), the fired START
 * events ev (nev, frame order). hit (may be NULL) receives, per event, the
 * index of the matched move in the take (0-based, in order of start) or -1
 * for a false alarm. Returns 0, SK_EINVAL (a label outside 0..K-1, an event
 * outside the take) or SK_ENOMEM. */
int sk_score_add_take(sk_score *s, const int *truth, const int *pred, int n,
                      const sk_score_event *ev, int nev, int *hit);
/* The figures so far. */
void sk_score_get(const sk_score *s, sk_score_result *res);

#ifdef __cplusplus
}
#endif
#endif
