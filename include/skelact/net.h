/* skelact net: receiving frames over TCP and UDP, and the sender library a
 * sensor program links to.
 *
 * POSIX sockets, non-blocking descriptors and poll(2); no threads. Nothing
 * here busy-waits: when nothing arrives, a poll call sleeps in the kernel.
 * Wire formats are those of codec.h (docs/PROTOCOL.md).
 *
 *   receiver  one object per source, used by `skelact recognize` and
 *             `skelact record`: listen (TCP server), connect (TCP client
 *             with reconnect), connect-seed (one connection per frame, the
 *             original system's habit with the roles reversed) or UDP.
 *   sender    what a C or C++ sensor program links to: sk_sender_send()
 *             never blocks; a dead link drops and counts frames.
 *
 * Both are single-threaded objects: call one object's functions from one
 * thread at a time.
 */
#ifndef SKELACT_NET_H
#define SKELACT_NET_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/codec.h"
#include "skelact/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- limits and defaults (a zero config field means the default) -------- */

#ifndef SK_NET_MAX_CONNS
#define SK_NET_MAX_CONNS 64 /* a recognizer serves a few sensors, not a crowd */
#endif
#ifndef SK_NET_IDLE_EVICT_MS
#define SK_NET_IDLE_EVICT_MS 5000 /* a live sensor sends 30 frames/s: 5 s silent is dead */
#endif
#ifndef SK_NET_MAX_ERRORS
#define SK_NET_MAX_ERRORS 8 /* consecutive protocol errors before a peer is closed */
#endif
#ifndef SK_NET_MAX_JUNK
#define SK_NET_MAX_JUNK (256 * 1024) /* bytes without a good frame before a peer is closed */
#endif
#ifndef SK_NET_BACKOFF_MIN_MS
#define SK_NET_BACKOFF_MIN_MS 50 /* first retry soon: a restarted peer is back fast */
#endif
#ifndef SK_NET_BACKOFF_MAX_MS
#define SK_NET_BACKOFF_MAX_MS 2000 /* never wait long for a peer that comes back */
#endif
#ifndef SK_NET_UDP_SOURCES
#define SK_NET_UDP_SOURCES 16 /* UDP senders reassembled at once (oldest replaced) */
#endif
#ifndef SK_NET_SEED_REPEAT_MS
#define SK_NET_SEED_REPEAT_MS 5 /* seed sensor had no new frame: ask again soon, not at once */
#endif
#ifndef SK_SENDER_QUEUE
#define SK_SENDER_QUEUE (64 * 1024) /* ~2 s of binary frames of one body at 30 fps */
#endif
#ifndef SK_SENDER_MAX_CLIENTS
#define SK_SENDER_MAX_CLIENTS 16 /* recognizers connected to one listening sensor */
#endif

/* ---- receiver ----------------------------------------------------------- */

/* How a receiver gets its bytes. */
enum {
    SK_NET_LISTEN = 0,       /* TCP server: many persistent connections; also
                                one connection per frame (seed habit) */
    SK_NET_CONNECT = 1,      /* TCP client to a listening sensor: one persistent
                                connection, reconnected with backoff */
    SK_NET_CONNECT_SEED = 2, /* TCP client, seed habit: connect, read one
                                frame, close, again at once; a frame equal
                                to the previous one is a repeat (counted in
                                duplicates, not delivered) and the next
                                connection waits SK_NET_SEED_REPEAT_MS */
    SK_NET_UDP = 3           /* bind and receive datagrams */
};

typedef struct sk_receiver_config {
    int mode;            /* SK_NET_* */
    const char *host;    /* listen/udp: address to bind, NULL = "127.0.0.1"
                            (give "0.0.0.0" or "::" to be reachable from the
                            network); connect modes: the sensor, NULL =
                            "127.0.0.1". Copied at create. */
    int port;            /* listen/udp: 0 = an ephemeral port (see
                            sk_receiver_port); connect modes: required */
    int proto;           /* SK_PROTO_AUTO (decided per connection, or per
                            datagram), SK_PROTO_TEXT or SK_PROTO_BINARY */
    int njoints;         /* text: numbers per line = 3*njoints; 0 = any known
                            joint set (60 or 75 numbers) */
    size_t max_line;     /* text: longest line; 0 = SK_MAX_LINE */
    int max_conns;       /* listen: open connections at most; 0 = SK_NET_MAX_CONNS */
    int idle_evict_ms;   /* listen, when full: a new connection evicts the
                            longest-idle one if idle this long, else it is
                            refused; 0 = SK_NET_IDLE_EVICT_MS, <0 = never
                            evict. Idle = no whole frame received (since the
                            accept): a trickle of garbage is not activity. */
    int max_errors;      /* consecutive protocol errors before closing a peer;
                            0 = SK_NET_MAX_ERRORS */
    int backoff_min_ms;  /* connect modes: first retry delay; 0 = default */
    int backoff_max_ms;  /* connect modes: longest retry delay; 0 = default */
    /* Optional: called (from inside sk_receiver_poll, after the stream's
     * last frame went to on_frame) when a persistent connection ends - one
     * that carried at least 2 frames, closed by the peer, reset, evicted or
     * closed for errors, in listen and connect mode: its stream has no
     * sender now. A seed-habit connection (one frame each) and UDP never
     * end a stream this way: only silence tells (the caller's idle rule).
     * The same stream id may carry frames again later (the host
     * reconnects). NULL = not told. */
    void (*on_stream_end)(void *ctx, uint32_t stream);
    void *on_stream_end_ctx;
} sk_receiver_config;

/* What a receiver has seen. All counters only grow.
 *
 * dropped counts frames known lost, and only those:
 *   - a half frame buffered when its connection ended (closed or reset by
 *     the peer, or evicted): 1 each (also in `truncated`); not the rest of
 *     a peer closed for protocol errors;
 *   - UDP: a frame of which some bodies never arrived (a datagram of a newer
 *     frame from that source came first, or the source was replaced):
 *     1 each (also in `incomplete`);
 *   - binary streams (TCP or UDP): sequence gaps, seq jumping from a to b > a+1
 *     adds b-a-1 (also in `seq_gaps`), less a frame already counted as
 *     truncated on that stream. A sequence going backwards (a restarted
 *     sender) is a new start, not a loss. Text carries no sequence number,
 *     so text frames lost in flight cannot be counted.
 */
typedef struct sk_receiver_stats {
    uint64_t frames;        /* frames delivered to on_frame */
    uint64_t parse_errors;  /* bad lines / binary frames on TCP, bad datagrams on UDP */
    uint64_t dropped;       /* frames known lost: see above */
    uint64_t truncated;     /* part of dropped: half frames cut by a close */
    uint64_t incomplete;    /* part of dropped: UDP frames missing bodies */
    uint64_t seq_gaps;      /* part of dropped: frames missing from sequences */
    uint64_t late;          /* UDP datagrams of a frame already emitted or
                               abandoned (ignored, not in dropped) */
    uint64_t bytes;         /* bytes received (TCP payload, UDP datagrams) */
    uint64_t datagrams;     /* UDP datagrams received */
    uint64_t accepted;      /* connections accepted (listen) / established (connect) */
    uint64_t refused;       /* listen: connections refused, all slots busy */
    uint64_t evicted;       /* listen: idle connections closed to make room */
    uint64_t error_closes;  /* peers closed for repeated protocol errors or junk */
    uint64_t closed;        /* connections ended, for any reason (incl. the two above) */
    uint64_t reconnects;    /* connect modes: connection attempts after the first */
    uint64_t connect_failures; /* connect modes: attempts that failed */
    int open;               /* connections open now (connect: 0 or 1; udp: 0) */
    int ever_connected;     /* 1 once a peer has connected or a datagram arrived */
    int64_t last_byte_us;   /* sk_now_us() of the last byte received, 0 = never */
    uint64_t duplicates;    /* connect-seed: a frame equal to the previous one
                               (a sensor answering with its latest frame
                               again): not delivered, not in dropped */
} sk_receiver_stats;

/* Called for each decoded frame. stream (never 0) says which source the
 * frame came from; frames of one stream come in the order they were sent,
 * and a body id means one person within a stream:
 *   listen:   one stream per connection, except that a new connection from
 *             the host of a connection that has closed continues that
 *             connection's stream (a reconnecting sender, or the seed habit
 *             of one connection per frame);
 *   connect modes: stream 1 across reconnects;
 *   udp:      one stream per sender address (host and port).
 * frame is borrowed: valid during the call only (copy it to keep it).
 * frame->arrival_us is sk_now_us() of the read that completed the frame.
 * Text frames get seq = the receiver's count of frames on that stream (0, 1,
 * 2...); binary frames keep the sender's seq. */
typedef void (*sk_frame_fn)(void *ctx, uint32_t stream, const sk_frame *frame);

typedef struct sk_receiver sk_receiver;

/* Create a receiver: bind and listen (listen, udp) or prepare to connect
 * (connect modes; the first attempt is made by the first sk_receiver_poll).
 * cfg may not be NULL. Returns 0; SK_EINVAL (bad config), SK_EADDR (host not
 * resolved), SK_EIO (socket, bind or listen failed), SK_ENOMEM. On failure a
 * one-line reason goes into err (if err is not NULL). */
int sk_receiver_create(sk_receiver **out, const sk_receiver_config *cfg,
                       char *err, size_t errlen);

/* Close every socket and free the receiver; NULL is fine. */
void sk_receiver_destroy(sk_receiver *r);

/* Wait up to timeout_ms (0 = do not wait, <0 = until something happens) for
 * input, read everything available, call on_frame(ctx, stream, frame) for
 * each decoded frame, accept / reconnect / evict as needed, and return.
 * Returns once it has delivered at least one frame, or when the time is up,
 * or when a signal interrupted the wait (so the caller can check a flag).
 * Returns the number of frames delivered (>= 0), or a negative SK_E* code
 * on a failure of the receiver itself (a listening socket that broke, SK_EIO;
 * sk_receiver_errmsg says why). Peers' errors are counted, never returned.
 * on_frame may be NULL (frames are counted and discarded); it must not
 * call sk_receiver_poll or sk_receiver_destroy on r. Allocates nothing
 * once every connection slot has been used once. */
int sk_receiver_poll(sk_receiver *r, int timeout_ms, sk_frame_fn on_frame,
                     void *ctx);

/* The local port a listen or udp receiver is bound to (the real one when
 * cfg->port was 0); the remote port for the connect modes. */
int sk_receiver_port(const sk_receiver *r);

void sk_receiver_get_stats(const sk_receiver *r, sk_receiver_stats *st);

/* The last error's reason (or ""). Borrowed: valid until the next call on r. */
const char *sk_receiver_errmsg(const sk_receiver *r);

/* ---- sender --------------------------------------------------------------- */

typedef struct sk_sender_config {
    const char *host;   /* connect: the receiver, NULL = "127.0.0.1"; listen:
                           address to bind, NULL = "127.0.0.1". Copied. */
    int port;           /* connect: required; listen: 0 = ephemeral (see
                           sk_sender_port) */
    int proto;          /* SK_PROTO_BINARY (also for AUTO) or SK_PROTO_TEXT.
                           Text carries body 0 only, as one line; a frame
                           without bodies is not sent in text (counted in
                           `skipped`). */
    int udp;            /* 1: UDP to host:port: binary = one datagram per
                           body (sk_binary_encode_body), text = one line per
                           datagram. Not with listen or seed. */
    int listen;         /* 1: the sensor is the server: it accepts receivers
                           and sends each frame to every connected one */
    int seed;           /* 1: the seed habit. connect: one new connection per
                           frame (frame, NUL padding, close). listen: every
                           accepted connection waits for the next frame
                           sent, gets it and is closed. */
    int seed_pad;       /* seed: NUL bytes after each frame (the original
                           sender padded its lines); 0 = none */
    int precision;      /* text: digits per number ("%.*g"); 0 = 9, which
                           reads back exactly */
    size_t queue_bytes; /* per-connection queue; 0 = SK_SENDER_QUEUE */
    int max_clients;    /* listen: receivers at once; 0 = SK_SENDER_MAX_CLIENTS */
    int backoff_min_ms; /* connect: first retry delay; 0 = SK_NET_BACKOFF_MIN_MS */
    int backoff_max_ms; /* connect: longest delay; 0 = SK_NET_BACKOFF_MAX_MS */
} sk_sender_config;

/* Counters of a sender. In listen mode with several receivers connected,
 * sent and dropped count deliveries (one frame to 3 receivers = 3); a frame
 * sent while no receiver is connected counts 1 dropped. In connect and udp
 * modes, after sk_sender_flush() returns 0: frames = sent + dropped + skipped. */
typedef struct sk_sender_stats {
    uint64_t frames;      /* sk_sender_send() calls that passed a valid frame */
    uint64_t sent;        /* frames handed whole to the kernel */
    uint64_t dropped;     /* frames lost: link down or connecting, queue full,
                             or queued but unwritten when the link broke */
    uint64_t skipped;     /* text: frames without a body (nothing to send) */
    uint64_t bytes;       /* bytes handed to the kernel */
    uint64_t connects;    /* connections established (connect) or accepted (listen) */
    uint64_t reconnects;  /* connect: connection attempts after the first */
    uint64_t failures;    /* connect: failed attempts and broken links */
    int links;            /* connections up now (connect: 0 or 1; udp: 1) */
    size_t queued_bytes;  /* bytes waiting in queues now */
} sk_sender_stats;

typedef struct sk_sender sk_sender;

/* Create a sender. connect mode: the first connection attempt starts at once
 * (non-blocking); frames sent before it completes are dropped, so a program
 * that must not lose the first frames calls sk_sender_wait_ready() first.
 * listen mode: binds and listens. SIGPIPE is never raised by a sender
 * (MSG_NOSIGNAL / SO_NOSIGPIPE). Returns 0; SK_EINVAL, SK_EADDR, SK_EIO (bind,
 * listen, socket), SK_ENOMEM; a one-line reason goes into err if not NULL. */
int sk_sender_create(sk_sender **out, const sk_sender_config *cfg, char *err,
                     size_t errlen);

/* Close every connection (unsent queued bytes are discarded) and free the
 * sender; NULL is fine. Call sk_sender_flush() first to deliver them. */
void sk_sender_destroy(sk_sender *s);

/* Encode f and queue it on every link, then write what the sockets take.
 * Never blocks. When a link is down, connecting, or its queue cannot take
 * the whole frame, the frame is dropped for that link and counted; a
 * reconnect is started when the backoff delay has passed. Returns 0 if the
 * frame was queued or sent on at least one link, SK_ECLOSED if it was
 * dropped everywhere (not an error to stop on: keep sending), SK_EINVAL for
 * a frame that breaks the limits. Allocates nothing. */
int sk_sender_send(sk_sender *s, const sk_frame *f);

/* Make progress without sending: accept receivers (listen), complete or
 * retry connections, write queued bytes, notice closed links. Waits up to
 * timeout_ms (0 = not at all, <0 = until something happens) and returns
 * after the first batch of events. Returns 0, or SK_EIO if the listening
 * socket broke. */
int sk_sender_poll(sk_sender *s, int timeout_ms);

/* Wait up to timeout_ms (<0: no limit) until every queue has been written
 * to the kernel.
 * Returns 0 when all queues are empty (also when no link is up: nothing is
 * waiting), SK_ETIMEDOUT otherwise. */
int sk_sender_flush(sk_sender *s, int timeout_ms);

/* Wait up to timeout_ms (<0: no limit) until a frame sent now would be
 * queued whole: a link is up (connect: connected; listen: a receiver
 * connected; seed listen: a receiver waiting for a frame; seed connect: no
 * per-frame connection in flight and the backoff delay over; udp: always)
 * and every up link's queue has room for the largest frame. Returns 0 when
 * ready, SK_ETIMEDOUT otherwise. A replay loop that must lose nothing calls
 * this before each sk_sender_send(). */
int sk_sender_wait_ready(sk_sender *s, int timeout_ms);

/* The local port a listening sender is bound to; the remote port otherwise. */
int sk_sender_port(const sk_sender *s);

void sk_sender_get_stats(const sk_sender *s, sk_sender_stats *st);

/* The last error's reason (or ""). Borrowed: valid until the next call on s. */
const char *sk_sender_errmsg(const sk_sender *s);

#ifdef __cplusplus
}
#endif
#endif
