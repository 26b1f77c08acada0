/* skelact viewer: a live view of the recognizer in a browser.
 *
 * A small HTTP/1.1 server in the recognizer process, on its own thread with
 * its own poll loop. GET / serves one page (HTML, JS and CSS built into the
 * binary: it works offline); GET /events is a server-sent-events stream of
 * JSON messages (one `data:` line each, field "t" says which):
 *   hello  at connect: joint sets (names, bones) and the label names
 *   frame  per stream, at most SK_VIEWER_HZ a second (the latest frame
 *          wins): seq, joint set, per body id, joints (x,y,z flat), and with
 *          a recognizer its decision, confidence and smoothed probabilities
 *   event  each recognizer event (START / END)
 *   stats  once a second: frames per second, latency, counters
 *
 * The recognizer thread never waits for the network: sk_viewer_push_frame
 * copies the frame into a per-stream slot under a mutex held for a memcpy;
 * the viewer thread formats and sends. Each browser has a bounded output
 * queue; a message that does not fit is dropped for that browser (counted),
 * so a slow or stuck browser loses messages and never holds anything back.
 */
#ifndef SKELACT_VIEWER_H
#define SKELACT_VIEWER_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/frame.h"
#include "skelact/recognizer.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SK_VIEWER_CLIENTS
#define SK_VIEWER_CLIENTS 16 /* browsers at once: a few screens, not an audience */
#endif
#ifndef SK_VIEWER_STREAMS
#define SK_VIEWER_STREAMS 8 /* streams shown at once; later ones are counted, not shown */
#endif
#ifndef SK_VIEWER_HZ
#define SK_VIEWER_HZ 30 /* frame messages per second per stream: a screen's pace */
#endif
#ifndef SK_VIEWER_QUEUE
#define SK_VIEWER_QUEUE (128 * 1024) /* bytes queued per browser: ~1 s of 6 bodies at 30 Hz */
#endif
#ifndef SK_VIEWER_EVENTS
#define SK_VIEWER_EVENTS 64 /* recognizer events buffered between two sends */
#endif

typedef struct sk_viewer_config {
    const char *host;    /* address to listen on; NULL = "127.0.0.1" */
    int port;            /* 0 = any free port (see sk_viewer_port) */
    int max_clients;     /* 0 = SK_VIEWER_CLIENTS (at most that) */
} sk_viewer_config;

typedef struct sk_viewer_stats {
    uint64_t frames;        /* frames pushed */
    uint64_t sent;          /* messages queued to browsers (all of them) */
    uint64_t dropped;       /* messages a browser lost (its queue was full) */
    uint64_t streams_refused; /* frames of streams beyond SK_VIEWER_STREAMS */
    uint64_t events_dropped;  /* events lost between two sends */
    uint64_t requests;      /* HTTP requests answered (any status) */
    uint64_t bad_requests;  /* requests answered 400/405/413/431 or cut off */
    uint64_t refused;       /* connections closed at once: max_clients reached */
    int clients;            /* event streams open now */
} sk_viewer_stats;

typedef struct sk_viewer sk_viewer;

/* Listen (on cfg->host, 127.0.0.1 by default) and start the viewer thread.
 * cfg may be NULL (127.0.0.1, any port). Allocates every buffer here.
 * Returns 0, SK_EADDR (bad host), SK_EIO (bind/listen failed: see
 * errmsg, if not NULL, of errlen bytes), SK_EINVAL or SK_ENOMEM. */
int sk_viewer_create(sk_viewer **out, const sk_viewer_config *cfg,
                     char *errmsg, size_t errlen);
/* Stop the thread, close every connection, free. NULL is fine. */
void sk_viewer_destroy(sk_viewer *v);

/* The port listened on (useful after port 0). */
int sk_viewer_port(const sk_viewer *v);

/* Label names (K of them, label 0 the null class), copied; sent to every
 * browser in its hello. Call before pushing frames (any thread). Returns 0
 * or SK_EINVAL. */
int sk_viewer_set_labels(sk_viewer *v, const char *const *names, int K);

/* One frame of stream `stream`, after the recognizer (may be NULL: skeletons
 * only) has seen it: reads each body's state from rec, copies the frame into
 * the stream's slot and returns. Call from the thread that pushes to rec.
 * Allocates nothing, never waits for the network. Returns 0, SK_EINVAL
 * (NULL frame) or SK_ELIMIT (too many streams; counted). */
int sk_viewer_push_frame(sk_viewer *v, uint32_t stream, const sk_frame *f,
                         const sk_recognizer *rec);

/* One recognizer event (an sk_event_fn's argument). Buffered; when
 * SK_VIEWER_EVENTS are waiting, it is dropped and counted. Returns 0 or
 * SK_ELIMIT. */
int sk_viewer_push_event(sk_viewer *v, const sk_event *ev);

/* Counters so far (any thread). */
void sk_viewer_get_stats(sk_viewer *v, sk_viewer_stats *st);

#ifdef __cplusplus
}
#endif
#endif
