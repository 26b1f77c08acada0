/* The receiver: TCP listen, TCP connect (persistent or the seed habit of one
 * connection per frame) and UDP, with poll(2), non-blocking sockets and no
 * threads. See include/skelact/net.h for the behaviour. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sock.h"
#include "skelact/net.h"

#ifndef SK_NET_CONNECT_TIMEOUT_MS
#define SK_NET_CONNECT_TIMEOUT_MS 3000 /* a SYN unanswered this long: try again */
#endif
#ifndef SK_NET_READ_CHUNK
#define SK_NET_READ_CHUNK 65536 /* one recv() at most; also the largest datagram */
#endif
#ifndef SK_NET_READS_PER_POLL
#define SK_NET_READS_PER_POLL 4 /* reads per connection per round: fairness */
#endif
#ifndef SK_NET_DATAGRAMS_PER_POLL
#define SK_NET_DATAGRAMS_PER_POLL 256 /* datagrams per round before timers run */
#endif
#ifndef SK_NET_ACCEPT_PAUSE_MS
#define SK_NET_ACCEPT_PAUSE_MS 100 /* out of fds with none to shed: retry later */
#endif
#ifndef SK_NET_UDP_RCVBUF
#define SK_NET_UDP_RCVBUF (4 * 1024 * 1024) /* ~2 s of 6-body frames at 30 fps, if allowed */
#endif
#ifndef SK_NET_UDP_LATE_WINDOW
#define SK_NET_UDP_LATE_WINDOW 1024 /* seq this far behind = a restarted sender */
#endif

enum { C_FREE = 0, C_CONNECTING, C_UP };

/* Continuity of one stream: text count and binary sequence. */
typedef struct stream {
    uint32_t id;          /* 0 = unused entry */
    int open;             /* a connection uses it now */
    sk__addr addr;        /* the peer (listen: matched by host) */
    int64_t used_us;      /* for replacing the oldest closed entry */
    uint64_t text_seq;    /* next seq given to a text frame */
    uint64_t last_seq;    /* binary: last seq seen */
    int has_seq;
    uint64_t lost;        /* frames counted as lost, not yet seen as a gap */
} stream;

typedef struct conn {
    int fd;
    int state;            /* C_* */
    sk_decoder *dec;      /* created on the slot's first use, then kept */
    stream *st;
    int64_t active_us;    /* last good frame (or accept / connect start):
                             bytes of garbage do not count as activity */
    int errors;           /* consecutive protocol errors */
    size_t junk;          /* bytes since the last good frame */
    uint64_t frames;      /* good frames on this connection */
} conn;

/* UDP: one reassembly slot per sender address. */
typedef struct source {
    stream st;            /* st.id == 0: free */
    int assembling;
    uint64_t seq;         /* of the frame being assembled */
    int frame_bodies;
    uint32_t have;        /* bit i: body i arrived */
    uint64_t done_seq;    /* last frame emitted or abandoned */
    int has_done;
    sk_frame frame;
} source;

struct sk_receiver {
    sk_receiver_config cfg;
    char host[256];
    sk__addr addr;        /* bind or connect address */
    int port;             /* bound port (listen/udp) or remote port */
    int lfd;              /* listen or udp socket, -1 */
    int spare_fd;         /* listen: a reserved fd to shed connections on EMFILE */
    int nconns;
    conn *conns;
    int nstreams;
    stream *streams;      /* listen and connect modes */
    uint32_t next_stream;
    source *sources;      /* udp */
    sk_decoder *udp_text; /* udp: text datagrams */
    struct pollfd *pfd;
    int *pfd_conn;        /* pfd[i] -> conn index, -1 for lfd */
    /* connect modes */
    int64_t accept_pause_until_us; /* listen: out of fds, not accepting */
    int64_t next_attempt_us;
    int backoff_ms;
    int attempts;
    sk_receiver_stats stats;
    sk_frame frame;       /* scratch */
    sk_frame seed_last;   /* connect-seed: the last frame delivered */
    int has_seed_last;
    int seed_repeat;      /* connect-seed: the last connection gave a repeat */
    sk_frame part_frame;  /* scratch (udp) */
    uint8_t rbuf[SK_NET_READ_CHUNK];
    char errmsg[256];
};

/* ---- streams ------------------------------------------------------------- */

static stream *stream_new(sk_receiver *r, const sk__addr *peer, int64_t now)
{
    stream *best = NULL;
    for (int i = 0; i < r->nstreams; i++) {
        stream *s = &r->streams[i];
        if (s->open)
            continue;
        if (s->id == 0) {
            best = s;
            break;
        }
        if (!best || s->used_us < best->used_us)
            best = s;
    }
    if (!best)
        return NULL; /* cannot happen: nstreams > nconns */
    memset(best, 0, sizeof *best);
    if (++r->next_stream == 0)
        r->next_stream = 1;
    best->id = r->next_stream;
    if (peer)
        best->addr = *peer;
    best->used_us = now;
    return best;
}

/* Listen: a closed stream of the same host continues; else a new one. */
static stream *stream_for_peer(sk_receiver *r, const sk__addr *peer, int64_t now)
{
    stream *best = NULL;
    for (int i = 0; i < r->nstreams; i++) {
        stream *s = &r->streams[i];
        if (s->id && !s->open && sk__addr_same_host(&s->addr, peer) &&
            (!best || s->used_us > best->used_us))
            best = s;
    }
    if (best) {
        best->addr = *peer;
        best->used_us = now;
        return best;
    }
    return stream_new(r, peer, now);
}

/* Count a frame on a stream (seq for text, gaps for binary) and hand it out. */
static void deliver(sk_receiver *r, stream *st, sk_frame *f, int proto,
                    int64_t now, sk_frame_fn fn, void *ctx)
{
    f->arrival_us = now;
    if (proto == SK_PROTO_TEXT) {
        f->seq = st->text_seq++;
    } else {
        if (st->has_seq && f->seq > st->last_seq + 1) {
            uint64_t gap = f->seq - st->last_seq - 1;
            uint64_t known = st->lost < gap ? st->lost : gap;
            gap -= known;
            r->stats.seq_gaps += gap;
            r->stats.dropped += gap;
        }
        st->lost = 0;
        st->last_seq = f->seq;
        st->has_seq = 1;
    }
    st->used_us = now;
    r->stats.frames++;
    if (fn)
        fn(ctx, st->id, f);
}

/* Same bodies and joints (positions and states): a repeated frame. */
static int same_joints(const sk_frame *a, const sk_frame *b)
{
    if (a->nbodies != b->nbodies || a->njoints != b->njoints)
        return 0;
    for (int i = 0; i < a->nbodies; i++) {
        if (a->bodies[i].id != b->bodies[i].id)
            return 0;
        for (int j = 0; j < a->njoints; j++) {
            const sk_joint *x = &a->bodies[i].joints[j], *y = &b->bodies[i].joints[j];
            if (x->x != y->x || x->y != y->y || x->z != y->z || x->state != y->state)
                return 0;
        }
    }
    return 1;
}

/* ---- connections ----------------------------------------------------------- */

enum { WHY_EOF, WHY_EVICT, WHY_ERRORS, WHY_DONE };

static void conn_close(sk_receiver *r, conn *c, int why, int64_t now)
{
    /* A half frame left by a peer that closed or was evicted is a lost
     * frame; the rest of a peer closed for garbage, or the padding after a
     * seed frame, is not. */
    if (c->state == C_UP && c->dec && (why == WHY_EOF || why == WHY_EVICT) &&
        sk_decoder_pending(c->dec) > 0) {
        r->stats.truncated++;
        r->stats.dropped++;
        if (c->st)
            c->st->lost++;
    }
    if (c->fd >= 0)
        close(c->fd);
    if (c->state == C_UP) {
        r->stats.closed++;
        r->stats.open--;
    }
    if (why == WHY_EVICT)
        r->stats.evicted++;
    else if (why == WHY_ERRORS)
        r->stats.error_closes++;
    if (c->st && r->cfg.mode == SK_NET_LISTEN) {
        c->st->open = 0;
        c->st->used_us = now;
    }
    /* A persistent connection (more than one frame: not the seed habit)
     * ended: its stream has no sender now. */
    if (c->state == C_UP && c->st && c->frames >= 2 && r->cfg.on_stream_end &&
        (r->cfg.mode == SK_NET_LISTEN || r->cfg.mode == SK_NET_CONNECT))
        r->cfg.on_stream_end(r->cfg.on_stream_end_ctx, c->st->id);
    c->fd = -1;
    c->state = C_FREE;
    c->st = NULL;
}

static int conn_start(sk_receiver *r, conn *c, int fd, stream *st, int64_t now)
{
    if (!c->dec) {
        sk_decoder_config dc = {r->cfg.proto, r->cfg.njoints, r->cfg.max_line};
        if (sk_decoder_create(&c->dec, &dc) != 0)
            return SK_ENOMEM;
    } else {
        sk_decoder_reset(c->dec);
    }
    c->fd = fd;
    c->state = C_UP;
    c->st = st;
    st->open = 1;
    c->active_us = now;
    c->errors = 0;
    c->junk = 0;
    c->frames = 0;
    r->stats.accepted++;
    r->stats.open++;
    r->stats.ever_connected = 1;
    return 0;
}

/* Yield every whole frame buffered in c. Returns frames delivered; closes c
 * (c->state becomes C_FREE) on too many errors. */
static int conn_drain(sk_receiver *r, conn *c, int64_t now, sk_frame_fn fn,
                      void *ctx)
{
    int n = 0;
    for (;;) {
        int rc = sk_decoder_next(c->dec, &r->frame);
        if (rc == 0) {
            c->errors = 0;
            c->junk = 0;
            c->frames++;
            c->active_us = now;
            if (r->cfg.mode == SK_NET_CONNECT_SEED) {
                /* one frame per connection: the caller closes */
                r->seed_repeat = r->has_seed_last && same_joints(&r->frame, &r->seed_last);
                if (r->seed_repeat) {
                    r->stats.duplicates++;
                    return n;
                }
                r->seed_last = r->frame;
                r->has_seed_last = 1;
                deliver(r, c->st, &r->frame, sk_decoder_proto(c->dec), now, fn, ctx);
                return n + 1;
            }
            deliver(r, c->st, &r->frame, sk_decoder_proto(c->dec), now, fn, ctx);
            n++;
        } else if (rc == SK_EPROTO) {
            r->stats.parse_errors++;
            if (++c->errors >= r->cfg.max_errors) {
                conn_close(r, c, WHY_ERRORS, now);
                return n;
            }
        } else {
            return n;
        }
    }
}

/* Read what c has (a few chunks at most) and decode it. */
static int conn_read(sk_receiver *r, conn *c, sk_frame_fn fn, void *ctx)
{
    int n = 0;
    for (int round = 0; round < SK_NET_READS_PER_POLL; round++) {
        ssize_t got = recv(c->fd, r->rbuf, sizeof r->rbuf, 0);
        int64_t now = sk_now_us();
        if (got < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return n;
            conn_close(r, c, WHY_EOF, now);
            return n;
        }
        if (got == 0) {
            conn_close(r, c, WHY_EOF, now);
            return n;
        }
        r->stats.bytes += (uint64_t)got;
        r->stats.last_byte_us = now;
        c->junk += (size_t)got;
        size_t off = 0;
        int stuck = 0;
        while (off < (size_t)got) {
            size_t took = sk_decoder_feed(c->dec, r->rbuf + off, (size_t)got - off);
            off += took;
            int k = conn_drain(r, c, now, fn, ctx);
            n += k;
            if (c->state != C_UP)
                return n;
            if (r->cfg.mode == SK_NET_CONNECT_SEED && c->frames > 0)
                return n;
            /* A decoder that takes nothing and yields nothing twice is stuck:
             * the contract says this cannot happen; never spin on it. */
            stuck = (took == 0 && k == 0) ? stuck + 1 : 0;
            if (stuck >= 2) {
                r->stats.parse_errors++;
                conn_close(r, c, WHY_ERRORS, now);
                return n;
            }
        }
        if (c->junk > SK_NET_MAX_JUNK) { /* garbage, or an endless line */
            conn_close(r, c, WHY_ERRORS, now);
            return n;
        }
    }
    return n;
}

/* ---- listen ------------------------------------------------------------------ */

static void listen_accept(sk_receiver *r)
{
    for (;;) {
        sk__addr peer;
        peer.len = sizeof peer.ss;
        int fd = accept(r->lfd, (struct sockaddr *)&peer.ss, &peer.len);
        int64_t now = sk_now_us();
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && r->spare_fd >= 0) {
                /* Out of descriptors: shed the connection so the listening
                 * socket does not stay readable forever. */
                close(r->spare_fd);
                r->spare_fd = -1;
                fd = accept(r->lfd, NULL, NULL);
                if (fd >= 0)
                    close(fd);
                r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                    return; /* Linux says EMFILE before looking at the queue */
                r->stats.refused++;
                continue;
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM) /* cannot shed: do not spin on it, wait */
                r->accept_pause_until_us = now + SK_NET_ACCEPT_PAUSE_MS * 1000;
            return; /* EAGAIN, or an error to retry on the next round */
        }
        if (sk__fd_setup(fd) < 0) {
            close(fd);
            r->stats.refused++;
            continue;
        }
        conn *slot = NULL, *idlest = NULL;
        for (int i = 0; i < r->nconns; i++) {
            conn *c = &r->conns[i];
            if (c->state == C_FREE) {
                slot = c;
                break;
            }
            if (!idlest || c->active_us < idlest->active_us)
                idlest = c;
        }
        if (!slot && idlest && r->cfg.idle_evict_ms >= 0 &&
            now - idlest->active_us >= (int64_t)r->cfg.idle_evict_ms * 1000) {
            conn_close(r, idlest, WHY_EVICT, now);
            slot = idlest;
        }
        if (!slot) {
            close(fd);
            r->stats.refused++;
            continue;
        }
        stream *st = stream_for_peer(r, &peer, now);
        if (!st || conn_start(r, slot, fd, st, now) != 0) {
            close(fd);
            r->stats.refused++;
            continue;
        }
    }
}

/* ---- connect modes ------------------------------------------------------------- */

static void connect_failed(sk_receiver *r, conn *c, int64_t now)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = C_FREE;
    r->stats.connect_failures++;
    r->next_attempt_us = now + (int64_t)r->backoff_ms * 1000;
    r->backoff_ms *= 2;
    if (r->backoff_ms > r->cfg.backoff_max_ms)
        r->backoff_ms = r->cfg.backoff_max_ms;
}

/* After a connection ended: when to try again. */
static void connect_ended(sk_receiver *r, int had_frame, int64_t now)
{
    if (had_frame) {
        r->backoff_ms = r->cfg.backoff_min_ms;
        if (r->cfg.mode != SK_NET_CONNECT_SEED)
            r->next_attempt_us = now + (int64_t)r->backoff_ms * 1000;
        else if (r->seed_repeat)
            r->next_attempt_us = now + (int64_t)SK_NET_SEED_REPEAT_MS * 1000;
        else
            r->next_attempt_us = now;
    } else {
        r->next_attempt_us = now + (int64_t)r->backoff_ms * 1000;
        r->backoff_ms *= 2;
        if (r->backoff_ms > r->cfg.backoff_max_ms)
            r->backoff_ms = r->cfg.backoff_max_ms;
    }
}

static void connect_established(sk_receiver *r, conn *c, int64_t now)
{
    int fd = c->fd;
    c->state = C_FREE;
    if (conn_start(r, c, fd, &r->streams[0], now) != 0) {
        c->fd = fd;
        c->state = C_CONNECTING;
        connect_failed(r, c, now);
    }
}

static void connect_timers(sk_receiver *r, int64_t now)
{
    conn *c = &r->conns[0];
    if (c->state == C_CONNECTING &&
        now - c->active_us >= (int64_t)SK_NET_CONNECT_TIMEOUT_MS * 1000) {
        connect_failed(r, c, now);
        return;
    }
    if (c->state != C_FREE || now < r->next_attempt_us)
        return;
    if (r->attempts++ > 0)
        r->stats.reconnects++;
    int fd;
    int rc = sk__sock_connect(&r->addr, SOCK_STREAM, &fd);
    c->active_us = now;
    if (rc < 0) {
        snprintf(r->errmsg, sizeof r->errmsg, "connect to %.200s port %d: %s",
                 r->host, r->port, strerror(-rc));
        connect_failed(r, c, now);
        return;
    }
    c->fd = fd;
    c->state = C_CONNECTING;
    if (rc == 0)
        connect_established(r, c, now);
}

/* The next time a timer of r fires, or -1. */
static int64_t next_timer(const sk_receiver *r)
{
    if (r->cfg.mode == SK_NET_LISTEN)
        return r->accept_pause_until_us > 0 ? r->accept_pause_until_us : -1;
    if (r->cfg.mode != SK_NET_CONNECT && r->cfg.mode != SK_NET_CONNECT_SEED)
        return -1;
    const conn *c = &r->conns[0];
    if (c->state == C_FREE)
        return r->next_attempt_us;
    if (c->state == C_CONNECTING)
        return c->active_us + (int64_t)SK_NET_CONNECT_TIMEOUT_MS * 1000;
    return -1;
}

/* ---- udp ---------------------------------------------------------------------- */

static source *udp_source(sk_receiver *r, const sk__addr *peer, int64_t now)
{
    source *best = NULL;
    for (int i = 0; i < SK_NET_UDP_SOURCES; i++) {
        source *s = &r->sources[i];
        if (s->st.id && sk__addr_same(&s->st.addr, peer)) {
            s->st.used_us = now;
            return s;
        }
    }
    for (int i = 0; i < SK_NET_UDP_SOURCES; i++) {
        source *s = &r->sources[i];
        if (!s->st.id) {
            best = s;
            break;
        }
        if (!best || s->st.used_us < best->st.used_us)
            best = s;
    }
    if (best->st.id && best->assembling) {
        r->stats.incomplete++;
        r->stats.dropped++;
    }
    memset(best, 0, sizeof *best - sizeof best->frame);
    if (++r->next_stream == 0)
        r->next_stream = 1;
    best->st.id = r->next_stream;
    best->st.addr = *peer;
    best->st.used_us = now;
    return best;
}

static void udp_abandon(sk_receiver *r, source *s)
{
    if (!s->assembling)
        return;
    r->stats.incomplete++;
    r->stats.dropped++;
    s->st.lost++;
    s->assembling = 0;
    s->done_seq = s->seq;
    s->has_done = 1;
}

static int udp_binary(sk_receiver *r, source *s, const uint8_t *buf, size_t len,
                      int64_t now, sk_frame_fn fn, void *ctx)
{
    sk_frame *pf = &r->part_frame;
    sk_binary_part part = {0, 0};
    int rc = sk_binary_decode(buf, len, pf, &part);
    if (rc < 0 || (size_t)rc != len || part.first_body < 0 ||
        part.frame_bodies > SK_MAX_BODIES ||
        part.first_body + pf->nbodies > (part.frame_bodies > 0 ? part.frame_bodies : 0)) {
        r->stats.parse_errors++;
        return 0;
    }
    uint64_t seq = pf->seq;
    /* A sender that restarted its sequence: forget the old frames. */
    if (s->has_done && seq <= s->done_seq &&
        s->done_seq - seq > SK_NET_UDP_LATE_WINDOW) {
        udp_abandon(r, s);
        s->has_done = 0;
    }
    if (s->assembling && seq < s->seq &&
        s->seq - seq > SK_NET_UDP_LATE_WINDOW) {
        udp_abandon(r, s);
        s->has_done = 0;
    }
    if ((s->has_done && seq <= s->done_seq) || (s->assembling && seq < s->seq)) {
        r->stats.late++;
        return 0;
    }
    if (s->assembling && seq > s->seq)
        udp_abandon(r, s);
    if (part.frame_bodies == pf->nbodies) { /* a whole frame in one datagram */
        s->done_seq = seq;
        s->has_done = 1;
        deliver(r, &s->st, pf, SK_PROTO_BINARY, now, fn, ctx);
        return 1;
    }
    if (!s->assembling) {
        s->assembling = 1;
        s->seq = seq;
        s->frame_bodies = part.frame_bodies;
        s->have = 0;
        s->frame = *pf;
        s->frame.nbodies = (uint8_t)part.frame_bodies;
    } else if (part.frame_bodies != s->frame_bodies ||
               pf->njoints != s->frame.njoints ||
               pf->joint_set != s->frame.joint_set) {
        r->stats.parse_errors++;
        return 0;
    }
    for (int b = 0; b < pf->nbodies; b++) {
        int at = part.first_body + b;
        if (s->have & (1u << at)) {
            r->stats.late++; /* a duplicate body */
            continue;
        }
        s->frame.bodies[at] = pf->bodies[b];
        s->have |= 1u << at;
    }
    if (s->have == (1u << s->frame_bodies) - 1) {
        s->assembling = 0;
        s->done_seq = seq;
        s->has_done = 1;
        deliver(r, &s->st, &s->frame, SK_PROTO_BINARY, now, fn, ctx);
        return 1;
    }
    return 0;
}

static int udp_text(sk_receiver *r, source *s, const uint8_t *buf, size_t len,
                    int64_t now, sk_frame_fn fn, void *ctx)
{
    int n = 0;
    sk_decoder *d = r->udp_text;
    sk_decoder_reset(d);
    if (sk_decoder_feed(d, buf, len) < len) {
        r->stats.parse_errors++;
        return 0;
    }
    if (len == 0 || buf[len - 1] != '\n')
        sk_decoder_feed(d, "\n", 1);
    for (;;) {
        int rc = sk_decoder_next(d, &r->part_frame);
        if (rc == 0) {
            deliver(r, &s->st, &r->part_frame, SK_PROTO_TEXT, now, fn, ctx);
            n++;
        } else if (rc == SK_EPROTO) {
            r->stats.parse_errors++;
        } else {
            return n;
        }
    }
}

static int udp_read(sk_receiver *r, sk_frame_fn fn, void *ctx)
{
    int n = 0;
    for (int i = 0; i < SK_NET_DATAGRAMS_PER_POLL; i++) {
        sk__addr peer;
        peer.len = sizeof peer.ss;
        ssize_t got = recvfrom(r->lfd, r->rbuf, sizeof r->rbuf, 0,
                               (struct sockaddr *)&peer.ss, &peer.len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return n; /* EAGAIN, or an ICMP error: nothing to read now */
        }
        int64_t now = sk_now_us();
        r->stats.bytes += (uint64_t)got;
        r->stats.datagrams++;
        r->stats.last_byte_us = now;
        r->stats.ever_connected = 1;
        source *s = udp_source(r, &peer, now);
        size_t len = (size_t)got;
        int binary = len >= 4 && r->rbuf[0] == (SK_BINARY_MAGIC & 0xff) &&
                     r->rbuf[1] == ((SK_BINARY_MAGIC >> 8) & 0xff) &&
                     r->rbuf[2] == ((SK_BINARY_MAGIC >> 16) & 0xff) &&
                     r->rbuf[3] == ((SK_BINARY_MAGIC >> 24) & 0xff);
        if (r->cfg.proto == SK_PROTO_BINARY || (binary && r->cfg.proto != SK_PROTO_TEXT))
            n += udp_binary(r, s, r->rbuf, len, now, fn, ctx);
        else
            n += udp_text(r, s, r->rbuf, len, now, fn, ctx);
    }
    return n;
}

/* ---- public -------------------------------------------------------------------- */

int sk_receiver_create(sk_receiver **out, const sk_receiver_config *cfg,
                       char *err, size_t errlen)
{
    sk_receiver *r = NULL;
    int rc = SK_EINVAL;
    *out = NULL;
    if (!cfg || cfg->mode < SK_NET_LISTEN || cfg->mode > SK_NET_UDP ||
        cfg->proto < SK_PROTO_AUTO || cfg->proto > SK_PROTO_BINARY ||
        cfg->port < 0 || cfg->port > 65535 || cfg->max_conns < 0 ||
        cfg->njoints < 0 || cfg->njoints > SK_MAX_JOINTS) {
        sk__seterr(err, errlen, "bad receiver configuration");
        return SK_EINVAL;
    }
    if ((cfg->mode == SK_NET_CONNECT || cfg->mode == SK_NET_CONNECT_SEED) &&
        cfg->port == 0) {
        sk__seterr(err, errlen, "connect needs a port");
        return SK_EINVAL;
    }
    if (cfg->host && strlen(cfg->host) >= sizeof r->host) {
        sk__seterr(err, errlen, "host name too long");
        return SK_EINVAL;
    }
    r = calloc(1, sizeof *r);
    if (!r)
        goto nomem;
    r->lfd = -1;
    r->spare_fd = -1;
    r->cfg = *cfg;
    snprintf(r->host, sizeof r->host, "%s", cfg->host ? cfg->host : "127.0.0.1");
    r->cfg.host = r->host;
    if (r->cfg.max_conns == 0)
        r->cfg.max_conns = SK_NET_MAX_CONNS;
    if (r->cfg.idle_evict_ms == 0)
        r->cfg.idle_evict_ms = SK_NET_IDLE_EVICT_MS;
    if (r->cfg.max_errors <= 0)
        r->cfg.max_errors = SK_NET_MAX_ERRORS;
    if (r->cfg.backoff_min_ms <= 0)
        r->cfg.backoff_min_ms = SK_NET_BACKOFF_MIN_MS;
    if (r->cfg.backoff_max_ms <= 0)
        r->cfg.backoff_max_ms = SK_NET_BACKOFF_MAX_MS;
    if (r->cfg.backoff_max_ms < r->cfg.backoff_min_ms)
        r->cfg.backoff_max_ms = r->cfg.backoff_min_ms;
    r->backoff_ms = r->cfg.backoff_min_ms;

    int udp = cfg->mode == SK_NET_UDP;
    rc = sk__addr_resolve(&r->addr, r->host, cfg->port, udp ? SOCK_DGRAM : SOCK_STREAM,
                          err, errlen);
    if (rc < 0)
        goto fail;
    r->nconns = cfg->mode == SK_NET_LISTEN ? r->cfg.max_conns : udp ? 0 : 1;
    r->nstreams = cfg->mode == SK_NET_LISTEN ? 2 * r->cfg.max_conns : udp ? 0 : 1;
    if (r->nconns) {
        r->conns = calloc((size_t)r->nconns, sizeof *r->conns);
        r->streams = calloc((size_t)r->nstreams, sizeof *r->streams);
        if (!r->conns || !r->streams)
            goto nomem;
        for (int i = 0; i < r->nconns; i++)
            r->conns[i].fd = -1;
    }
    r->pfd = calloc((size_t)r->nconns + 1, sizeof *r->pfd);
    r->pfd_conn = calloc((size_t)r->nconns + 1, sizeof *r->pfd_conn);
    if (!r->pfd || !r->pfd_conn)
        goto nomem;

    if (cfg->mode == SK_NET_LISTEN || udp) {
        rc = sk__sock_bind(&r->addr, udp ? SOCK_DGRAM : SOCK_STREAM, err, errlen);
        if (rc < 0)
            goto fail;
        r->lfd = rc;
        r->port = sk__sock_local_port(r->lfd);
        if (udp) {
            /* Room for bursts of datagrams while the caller is busy; the
             * kernel caps it at net.core.rmem_max. */
            int rcvbuf = SK_NET_UDP_RCVBUF;
            setsockopt(r->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        }
        if (!udp)
            r->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    } else {
        r->port = cfg->port;
        r->streams[0].id = r->next_stream = 1;
        r->streams[0].addr = r->addr;
        r->next_attempt_us = 0; /* at the first poll */
    }
    if (udp) {
        sk_decoder_config dc = {SK_PROTO_TEXT, cfg->njoints, cfg->max_line};
        r->sources = calloc(SK_NET_UDP_SOURCES, sizeof *r->sources);
        if (!r->sources || sk_decoder_create(&r->udp_text, &dc) != 0)
            goto nomem;
    }
    *out = r;
    return 0;
nomem:
    sk__seterr(err, errlen, "out of memory");
    rc = SK_ENOMEM;
fail:
    sk_receiver_destroy(r);
    return rc;
}

void sk_receiver_destroy(sk_receiver *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->nconns; i++) {
        if (r->conns[i].fd >= 0)
            close(r->conns[i].fd);
        sk_decoder_destroy(r->conns[i].dec);
    }
    if (r->lfd >= 0)
        close(r->lfd);
    if (r->spare_fd >= 0)
        close(r->spare_fd);
    sk_decoder_destroy(r->udp_text);
    free(r->conns);
    free(r->streams);
    free(r->sources);
    free(r->pfd);
    free(r->pfd_conn);
    free(r);
}

int sk_receiver_poll(sk_receiver *r, int timeout_ms, sk_frame_fn fn, void *ctx)
{
    int64_t start = sk_now_us();
    int64_t deadline = timeout_ms < 0 ? -1 : start + (int64_t)timeout_ms * 1000;
    int connect_mode = r->cfg.mode == SK_NET_CONNECT || r->cfg.mode == SK_NET_CONNECT_SEED;
    int delivered = 0;
    for (;;) {
        int64_t now = sk_now_us();
        if (connect_mode)
            connect_timers(r, now);
        /* Connections first, the listening socket last: a peer's close is
         * seen before a new connection from it is accepted (the seed habit
         * then stays one stream). */
        int n = 0;
        for (int i = 0; i < r->nconns; i++) {
            conn *c = &r->conns[i];
            if (c->state == C_FREE)
                continue;
            r->pfd[n] = (struct pollfd){c->fd, c->state == C_CONNECTING ? POLLOUT : POLLIN, 0};
            r->pfd_conn[n++] = i;
        }
        if (r->accept_pause_until_us && now >= r->accept_pause_until_us)
            r->accept_pause_until_us = 0;
        if (r->lfd >= 0 && !r->accept_pause_until_us) {
            r->pfd[n] = (struct pollfd){r->lfd, POLLIN, 0};
            r->pfd_conn[n++] = -1;
        }
        int64_t until = deadline;
        int64_t t = next_timer(r);
        if (t >= 0 && (until < 0 || t < until))
            until = t;
        int rc = poll(r->pfd, (nfds_t)n, sk__wait_ms(now, until));
        if (rc < 0) {
            if (errno == EINTR)
                return delivered;
            snprintf(r->errmsg, sizeof r->errmsg, "poll: %s", strerror(errno));
            return SK_EIO;
        }
        for (int i = 0; i < n && rc > 0; i++) {
            short ev = r->pfd[i].revents;
            if (!ev)
                continue;
            if (r->pfd_conn[i] < 0) {
                if (r->cfg.mode == SK_NET_UDP) {
                    delivered += udp_read(r, fn, ctx);
                } else if (ev & POLLIN) {
                    listen_accept(r);
                } else if (ev & (POLLERR | POLLNVAL)) {
                    snprintf(r->errmsg, sizeof r->errmsg, "listening socket failed");
                    return SK_EIO;
                }
                continue;
            }
            conn *c = &r->conns[r->pfd_conn[i]];
            if (c->state == C_CONNECTING) {
                int64_t tnow = sk_now_us();
                int e = sk__sock_connect_error(c->fd);
                if (e) {
                    snprintf(r->errmsg, sizeof r->errmsg, "connect to %.200s port %d: %s",
                             r->host, r->port, strerror(e));
                    connect_failed(r, c, tnow);
                } else {
                    connect_established(r, c, tnow);
                }
                continue;
            }
            if (c->state != C_UP)
                continue;
            delivered += conn_read(r, c, fn, ctx);
            if (connect_mode) {
                int64_t tnow = sk_now_us();
                if (r->cfg.mode == SK_NET_CONNECT_SEED && c->state == C_UP &&
                    c->frames > 0)
                    conn_close(r, c, WHY_DONE, tnow);
                if (c->state == C_FREE)
                    connect_ended(r, c->frames > 0, tnow);
            }
        }
        now = sk_now_us();
        if (delivered > 0 || (deadline >= 0 && now >= deadline))
            return delivered;
    }
}

int sk_receiver_port(const sk_receiver *r)
{
    return r->port;
}

void sk_receiver_get_stats(const sk_receiver *r, sk_receiver_stats *st)
{
    *st = r->stats;
}

const char *sk_receiver_errmsg(const sk_receiver *r)
{
    return r->errmsg;
}
