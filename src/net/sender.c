/* The sender library a sensor program links to: TCP (connect or listen,
 * persistent or the seed habit) or UDP, never blocking the caller. See
 * include/skelact/net.h for the behaviour. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sock.h"
#include "skelact/net.h"

#ifndef SK_SENDER_CONNECT_TIMEOUT_MS
#define SK_SENDER_CONNECT_TIMEOUT_MS 3000 /* a SYN unanswered this long: retry */
#endif
#ifndef SK_SENDER_POLL_US
#define SK_SENDER_POLL_US 1000 /* send() looks at the sockets at most this often */
#endif
#ifndef SK_SENDER_MAX_SEED_PAD
#define SK_SENDER_MAX_SEED_PAD 65536 /* NUL padding per frame, at most */
#endif

/* Largest encoded frame: a binary frame or one text line. */
#define SK__ENC_MAX (SK_BINARY_MAX_FRAME > SK_MAX_LINE ? SK_BINARY_MAX_FRAME : SK_MAX_LINE)

enum { L_FREE = 0, L_CONNECTING, L_UP };

/* One link: a socket with its queue of encoded frames. */
typedef struct slink {
    int fd;
    int state;           /* L_* */
    int64_t started_us;  /* connect start (timeout) */
    uint8_t *q;          /* queue_bytes */
    size_t head, tail;   /* queued bytes are q[head, tail) */
    uint64_t in, out;    /* bytes queued / written since the link began */
    uint64_t *ends;      /* ring of the end offsets (in `in` terms) of queued frames */
    size_t ends_head, ends_count;
    int close_when_empty; /* seed: close once the frame is written */
    int wants_frame;      /* seed listen: waiting for the next frame */
} slink;

struct sk_sender {
    sk_sender_config cfg;
    char host[256];
    sk__addr addr;
    int port;
    int lfd;             /* listen */
    int ufd;             /* udp */
    int nlinks;
    slink *links;
    size_t ends_cap;
    int64_t next_attempt_us;
    int backoff_ms;
    int attempts;
    int64_t last_progress_us;
    sk_sender_stats stats;
    struct pollfd *pfd;
    int *pfd_link;
    uint8_t enc[SK__ENC_MAX];
    uint8_t scratch[4096];
    char errmsg[256];
};

static int is_connect(const sk_sender *s)
{
    return !s->cfg.listen && !s->cfg.udp;
}

/* ---- links ---------------------------------------------------------------- */

static size_t link_room(const sk_sender *s, const slink *l)
{
    if (l->ends_count >= s->ends_cap)
        return 0;
    return s->cfg.queue_bytes - (l->tail - l->head);
}

/* Append a frame (len bytes and pad NULs) to l's queue. Returns 0 or -1 if
 * it does not fit whole. */
static int link_push(sk_sender *s, slink *l, const uint8_t *buf, size_t len, size_t pad)
{
    size_t need = len + pad;
    if (link_room(s, l) < need)
        return -1;
    if (s->cfg.queue_bytes - l->tail < need) {
        memmove(l->q, l->q + l->head, l->tail - l->head);
        l->tail -= l->head;
        l->head = 0;
    }
    memcpy(l->q + l->tail, buf, len);
    memset(l->q + l->tail + len, 0, pad);
    l->tail += need;
    l->in += need;
    l->ends[(l->ends_head + l->ends_count) % s->ends_cap] = l->in;
    l->ends_count++;
    return 0;
}

static void link_reset(slink *l)
{
    l->fd = -1;
    l->state = L_FREE;
    l->head = l->tail = 0;
    l->in = l->out = 0;
    l->ends_head = l->ends_count = 0;
    l->close_when_empty = 0;
    l->wants_frame = 0;
}

/* Close l. broken: the link failed (queued frames are lost and counted). */
static void link_close(sk_sender *s, slink *l, int broken)
{
    s->stats.dropped += l->ends_count;
    if (l->fd >= 0)
        close(l->fd);
    if (l->state == L_UP)
        s->stats.links--;
    if (broken && is_connect(s))
        s->stats.failures++;
    link_reset(l);
}

/* Connect mode: schedule the next attempt after a failure. */
static void backoff(sk_sender *s, int64_t now)
{
    s->next_attempt_us = now + (int64_t)s->backoff_ms * 1000;
    s->backoff_ms *= 2;
    if (s->backoff_ms > s->cfg.backoff_max_ms)
        s->backoff_ms = s->cfg.backoff_max_ms;
}

/* Write what the socket takes. Returns 0, or -1 if the link broke (closed). */
static int link_write(sk_sender *s, slink *l, int64_t now)
{
    while (l->tail > l->head) {
        ssize_t n = sk__sock_send(l->fd, l->q + l->head, l->tail - l->head);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            snprintf(s->errmsg, sizeof s->errmsg, "send: %s", strerror(errno));
            link_close(s, l, 1);
            if (is_connect(s))
                backoff(s, now);
            return -1;
        }
        l->head += (size_t)n;
        l->out += (uint64_t)n;
        s->stats.bytes += (uint64_t)n;
        while (l->ends_count &&
               l->ends[l->ends_head] <= l->out) {
            l->ends_head = (l->ends_head + 1) % s->ends_cap;
            l->ends_count--;
            s->stats.sent++;
        }
    }
    l->head = l->tail = 0;
    if (l->close_when_empty) {
        /* seed: the frame is with the kernel; closing sends it, then FIN */
        link_close(s, l, 0);
        if (is_connect(s))
            s->backoff_ms = s->cfg.backoff_min_ms;
    }
    return 0;
}

static void link_up(sk_sender *s, slink *l)
{
    int one = 1;
    setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    l->state = L_UP;
    s->stats.links++;
    s->stats.connects++;
    if (is_connect(s) && !s->cfg.seed)
        s->backoff_ms = s->cfg.backoff_min_ms;
}

/* Connect mode: start an attempt if the link is free and the delay is over. */
static void connect_start(sk_sender *s, int64_t now)
{
    slink *l = &s->links[0];
    if (l->state != L_FREE || now < s->next_attempt_us)
        return;
    if (s->attempts++ > 0)
        s->stats.reconnects++;
    int fd;
    int rc = sk__sock_connect(&s->addr, SOCK_STREAM, &fd);
    if (rc < 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "connect to %.200s port %d: %s",
                 s->host, s->port, strerror(-rc));
        s->stats.failures++;
        backoff(s, now);
        return;
    }
    l->fd = fd;
    l->state = L_CONNECTING;
    l->started_us = now;
    if (rc == 0)
        link_up(s, l);
}

static void connect_failed(sk_sender *s, slink *l, int e, int64_t now)
{
    snprintf(s->errmsg, sizeof s->errmsg, "connect to %.200s port %d: %s", s->host,
             s->port, strerror(e));
    link_close(s, l, 1);
    backoff(s, now);
}

static void listen_accept(sk_sender *s)
{
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;
        }
        slink *slot = NULL;
        for (int i = 0; i < s->nlinks && !slot; i++)
            if (s->links[i].state == L_FREE)
                slot = &s->links[i];
        if (!slot || sk__fd_setup(fd) < 0) {
            close(fd); /* full: the receiver will retry */
            continue;
        }
        link_reset(slot);
        slot->fd = fd;
        link_up(s, slot);
        slot->wants_frame = s->cfg.seed;
    }
}

/* Read and discard what a receiver sends; notice a close. Returns -1 if the
 * link was closed. */
static int link_read(sk_sender *s, slink *l, int64_t now)
{
    for (;;) {
        ssize_t n = recv(l->fd, s->scratch, sizeof s->scratch, 0);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n == 0)
            snprintf(s->errmsg, sizeof s->errmsg, "connection closed by peer");
        else
            snprintf(s->errmsg, sizeof s->errmsg, "recv: %s", strerror(errno));
        link_close(s, l, 1);
        if (is_connect(s))
            backoff(s, now);
        return -1;
    }
}

/* One round: start connects that are due, poll up to timeout_ms, handle
 * what happened. Returns 0, or SK_EIO if the listening socket broke. */
static int progress(sk_sender *s, int timeout_ms)
{
    int64_t now = sk_now_us();
    s->last_progress_us = now;
    int64_t timer = -1;
    if (is_connect(s) && !s->cfg.seed) {
        connect_start(s, now);
    }
    int n = 0;
    for (int i = 0; i < s->nlinks; i++) {
        slink *l = &s->links[i];
        if (l->state == L_CONNECTING) {
            int64_t t = l->started_us + (int64_t)SK_SENDER_CONNECT_TIMEOUT_MS * 1000;
            if (now >= t) {
                connect_failed(s, l, ETIMEDOUT, now);
                continue;
            }
            if (timer < 0 || t < timer)
                timer = t;
            s->pfd[n] = (struct pollfd){l->fd, POLLOUT, 0};
        } else if (l->state == L_UP) {
            s->pfd[n] = (struct pollfd){l->fd, (short)(POLLIN | (l->tail > l->head ? POLLOUT : 0)), 0};
        } else {
            continue;
        }
        s->pfd_link[n++] = i;
    }
    if (s->lfd >= 0) {
        s->pfd[n] = (struct pollfd){s->lfd, POLLIN, 0};
        s->pfd_link[n++] = -1;
    }
    if (is_connect(s) && !s->cfg.seed && s->links[0].state == L_FREE) {
        if (timer < 0 || s->next_attempt_us < timer)
            timer = s->next_attempt_us;
    }
    int wait = timeout_ms;
    if (timer >= 0) {
        int tw = sk__wait_ms(now, timer);
        if (wait < 0 || tw < wait)
            wait = tw;
    }
    if (n == 0 && wait < 0)
        wait = 0; /* nothing can ever happen: do not sleep forever */
    int rc = poll(s->pfd, (nfds_t)n, wait);
    if (rc < 0)
        return errno == EINTR ? 0 : SK_EIO;
    now = sk_now_us();
    for (int i = 0; i < n && rc > 0; i++) {
        short ev = s->pfd[i].revents;
        if (!ev)
            continue;
        if (s->pfd_link[i] < 0) {
            if (ev & POLLIN) {
                listen_accept(s);
            } else if (ev & (POLLERR | POLLNVAL)) {
                snprintf(s->errmsg, sizeof s->errmsg, "listening socket failed");
                return SK_EIO;
            }
            continue;
        }
        slink *l = &s->links[s->pfd_link[i]];
        if (l->state == L_CONNECTING) {
            int e = sk__sock_connect_error(l->fd);
            if (e) {
                connect_failed(s, l, e, now);
                continue;
            }
            link_up(s, l);
            link_write(s, l, now);
            continue;
        }
        if (ev & (POLLIN | POLLHUP | POLLERR)) {
            if (link_read(s, l, now) < 0)
                continue;
        }
        if (ev & POLLOUT)
            link_write(s, l, now);
    }
    if (is_connect(s) && !s->cfg.seed)
        connect_start(s, sk_now_us());
    return 0;
}

/* ---- sending --------------------------------------------------------------- */

/* Connect mode with its link up (persistent), or listen mode (non-seed) with
 * at least one receiver: the common case where send() needs no poll(). */
static int all_up(const sk_sender *s)
{
    if (s->cfg.seed)
        return 0;
    if (is_connect(s))
        return s->links[0].state == L_UP;
    return s->stats.links > 0;
}

static int send_udp(sk_sender *s, const sk_frame *f)
{
    int ok = 1;
    int nparts = (s->cfg.proto == SK_PROTO_TEXT || f->nbodies == 0) ? 1 : f->nbodies;
    for (int b = 0; b < nparts && ok; b++) {
        int len;
        if (s->cfg.proto == SK_PROTO_TEXT)
            len = sk_text_encode(f, 0, s->cfg.precision, (char *)s->enc, sizeof s->enc);
        else if (f->nbodies == 0)
            len = sk_binary_encode(f, s->enc, sizeof s->enc);
        else
            len = sk_binary_encode_body(f, b, s->enc, sizeof s->enc);
        if (len < 0)
            return SK_EINVAL;
        ssize_t n;
        do {
            n = sk__sock_send(s->ufd, s->enc, (size_t)len);
        } while (n < 0 && errno == EINTR);
        if (n != len) {
            if (n < 0)
                snprintf(s->errmsg, sizeof s->errmsg, "send: %s", strerror(errno));
            ok = 0;
        } else {
            s->stats.bytes += (uint64_t)n;
        }
    }
    if (!ok) {
        s->stats.dropped++;
        return SK_ECLOSED;
    }
    s->stats.sent++;
    return 0;
}

int sk_sender_send(sk_sender *s, const sk_frame *f)
{
    if (!f || f->nbodies > SK_MAX_BODIES || f->njoints > SK_MAX_JOINTS ||
        (f->nbodies > 0 && f->njoints == 0))
        return SK_EINVAL;
    if (s->cfg.proto == SK_PROTO_TEXT && f->nbodies == 0) {
        s->stats.frames++;
        s->stats.skipped++;
        return 0;
    }
    int len;
    if (s->cfg.udp) {
        s->stats.frames++;
        return send_udp(s, f);
    }
    if (s->cfg.proto == SK_PROTO_TEXT)
        len = sk_text_encode(f, 0, s->cfg.precision, (char *)s->enc, sizeof s->enc);
    else
        len = sk_binary_encode(f, s->enc, sizeof s->enc);
    if (len < 0)
        return SK_EINVAL;
    s->stats.frames++;
    /* Look at the sockets (closed links, new receivers, finished connects)
     * at most every SK_SENDER_POLL_US while every link is up: a flat-out
     * sender then pays one send() per frame, not a poll() too. Write errors
     * are seen at once either way. */
    int64_t now = sk_now_us();
    if (now - s->last_progress_us >= SK_SENDER_POLL_US || !all_up(s)) {
        progress(s, 0);
        now = sk_now_us();
    }
    size_t pad = s->cfg.seed ? (size_t)s->cfg.seed_pad : 0;
    int queued = 0, targets = 0;
    if (is_connect(s) && s->cfg.seed) {
        slink *l = &s->links[0];
        if (l->state == L_FREE && now >= s->next_attempt_us) {
            connect_start(s, now);
            if (l->state != L_FREE) {
                targets = 1;
                link_push(s, l, s->enc, (size_t)len, pad);
                queued = 1;
                l->close_when_empty = 1;
                if (l->state == L_UP)
                    link_write(s, l, now);
            }
        }
        if (!queued)
            s->stats.dropped++;
        return queued ? 0 : SK_ECLOSED;
    }
    for (int i = 0; i < s->nlinks; i++) {
        slink *l = &s->links[i];
        if (l->state != L_UP)
            continue;
        if (s->cfg.seed && !l->wants_frame)
            continue;
        targets++;
        if (link_push(s, l, s->enc, (size_t)len, pad) != 0) {
            s->stats.dropped++;
            continue;
        }
        queued++;
        if (s->cfg.seed) {
            l->wants_frame = 0;
            l->close_when_empty = 1;
        }
        link_write(s, l, now);
    }
    if (targets == 0)
        s->stats.dropped++;
    return queued ? 0 : SK_ECLOSED;
}

int sk_sender_poll(sk_sender *s, int timeout_ms)
{
    return progress(s, timeout_ms);
}

static int queues_empty(const sk_sender *s)
{
    for (int i = 0; i < s->nlinks; i++) {
        const slink *l = &s->links[i];
        if (l->state == L_CONNECTING && l->tail > l->head)
            return 0; /* seed: a frame waits for its connection */
        if (l->state == L_UP && l->tail > l->head)
            return 0;
    }
    return 1;
}

static int ready(const sk_sender *s, int64_t now)
{
    if (s->cfg.udp)
        return 1;
    if (is_connect(s) && s->cfg.seed)
        return s->links[0].state == L_FREE && now >= s->next_attempt_us;
    int up = 0;
    for (int i = 0; i < s->nlinks; i++) {
        const slink *l = &s->links[i];
        if (l->state != L_UP)
            continue;
        if (s->cfg.seed) {
            up += l->wants_frame;
            continue;
        }
        up++;
        if (link_room(s, l) < SK__ENC_MAX)
            return 0;
    }
    return up > 0;
}

/* Run progress() until cond(s) holds or the time is up. */
static int wait_until(sk_sender *s, int timeout_ms, int want_ready)
{
    int64_t deadline = timeout_ms < 0 ? -1 : sk_now_us() + (int64_t)timeout_ms * 1000;
    int polled = 0; /* make progress at least once, even with timeout 0 */
    for (;;) {
        int64_t now = sk_now_us();
        if (want_ready ? ready(s, now) : queues_empty(s))
            return 0;
        if (polled && deadline >= 0 && now >= deadline)
            return SK_ETIMEDOUT;
        polled = 1;
        int wait = sk__wait_ms(now, deadline);
        if (want_ready && is_connect(s) && s->cfg.seed && s->links[0].state == L_FREE) {
            int tw = sk__wait_ms(now, s->next_attempt_us);
            if (wait < 0 || tw < wait)
                wait = tw;
        }
        int rc = progress(s, wait);
        if (rc < 0)
            return rc;
    }
}

int sk_sender_flush(sk_sender *s, int timeout_ms)
{
    return wait_until(s, timeout_ms, 0);
}

int sk_sender_wait_ready(sk_sender *s, int timeout_ms)
{
    return wait_until(s, timeout_ms, 1);
}

/* ---- create / destroy -------------------------------------------------------- */

int sk_sender_create(sk_sender **out, const sk_sender_config *cfg, char *err,
                     size_t errlen)
{
    sk_sender *s = NULL;
    int rc = SK_EINVAL;
    *out = NULL;
    if (!cfg || cfg->port < 0 || cfg->port > 65535 ||
        (cfg->proto != SK_PROTO_AUTO && cfg->proto != SK_PROTO_TEXT &&
         cfg->proto != SK_PROTO_BINARY) ||
        (cfg->udp && (cfg->listen || cfg->seed)) || (!cfg->listen && cfg->port == 0) ||
        cfg->seed_pad < 0 || cfg->seed_pad > SK_SENDER_MAX_SEED_PAD ||
        cfg->precision < 0 || cfg->precision > 17 || cfg->max_clients < 0) {
        sk__seterr(err, errlen, "bad sender configuration");
        return SK_EINVAL;
    }
    if (cfg->host && strlen(cfg->host) >= sizeof s->host) {
        sk__seterr(err, errlen, "host name too long");
        return SK_EINVAL;
    }
    s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->lfd = s->ufd = -1;
    s->cfg = *cfg;
    snprintf(s->host, sizeof s->host, "%s", cfg->host ? cfg->host : "127.0.0.1");
    s->cfg.host = s->host;
    if (s->cfg.proto == SK_PROTO_AUTO)
        s->cfg.proto = SK_PROTO_BINARY;
    if (s->cfg.precision == 0)
        s->cfg.precision = 9;
    if (s->cfg.queue_bytes == 0)
        s->cfg.queue_bytes = SK_SENDER_QUEUE;
    if (s->cfg.queue_bytes < SK__ENC_MAX + (size_t)s->cfg.seed_pad)
        s->cfg.queue_bytes = SK__ENC_MAX + (size_t)s->cfg.seed_pad;
    if (s->cfg.max_clients == 0)
        s->cfg.max_clients = SK_SENDER_MAX_CLIENTS;
    if (s->cfg.backoff_min_ms <= 0)
        s->cfg.backoff_min_ms = SK_NET_BACKOFF_MIN_MS;
    if (s->cfg.backoff_max_ms <= 0)
        s->cfg.backoff_max_ms = SK_NET_BACKOFF_MAX_MS;
    if (s->cfg.backoff_max_ms < s->cfg.backoff_min_ms)
        s->cfg.backoff_max_ms = s->cfg.backoff_min_ms;
    s->backoff_ms = s->cfg.backoff_min_ms;
    /* The smallest frame (a header-only binary frame or a short line) is
     * over 32 bytes: this bounds the frames a queue can hold. */
    s->ends_cap = s->cfg.queue_bytes / 32 + 2;

    rc = sk__addr_resolve(&s->addr, s->host, cfg->port,
                          cfg->udp ? SOCK_DGRAM : SOCK_STREAM, err, errlen);
    if (rc < 0)
        goto fail;
    s->port = cfg->port;
    s->nlinks = cfg->udp ? 0 : cfg->listen ? s->cfg.max_clients : 1;
    if (s->nlinks) {
        s->links = calloc((size_t)s->nlinks, sizeof *s->links);
        if (!s->links)
            goto nomem;
        for (int i = 0; i < s->nlinks; i++) {
            link_reset(&s->links[i]);
            s->links[i].q = malloc(s->cfg.queue_bytes);
            s->links[i].ends = malloc(s->ends_cap * sizeof *s->links[i].ends);
            if (!s->links[i].q || !s->links[i].ends)
                goto nomem;
        }
    }
    s->pfd = calloc((size_t)s->nlinks + 1, sizeof *s->pfd);
    s->pfd_link = calloc((size_t)s->nlinks + 1, sizeof *s->pfd_link);
    if (!s->pfd || !s->pfd_link)
        goto nomem;
    if (cfg->listen) {
        rc = sk__sock_bind(&s->addr, SOCK_STREAM, err, errlen);
        if (rc < 0)
            goto fail;
        s->lfd = rc;
        s->port = sk__sock_local_port(s->lfd);
    } else if (cfg->udp) {
        int e = sk__sock_connect(&s->addr, SOCK_DGRAM, &s->ufd);
        if (e < 0) {
            sk__seterr(err, errlen, "udp socket to %.200s port %d: %s", s->host,
                       s->port, strerror(-e));
            rc = SK_EIO;
            goto fail;
        }
        s->stats.links = 1;
    } else if (!cfg->seed) {
        connect_start(s, sk_now_us());
    }
    *out = s;
    return 0;
nomem:
    sk__seterr(err, errlen, "out of memory");
    rc = SK_ENOMEM;
fail:
    sk_sender_destroy(s);
    return rc;
}

void sk_sender_destroy(sk_sender *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nlinks && s->links; i++) {
        if (s->links[i].fd >= 0)
            close(s->links[i].fd);
        free(s->links[i].q);
        free(s->links[i].ends);
    }
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->ufd >= 0)
        close(s->ufd);
    free(s->links);
    free(s->pfd);
    free(s->pfd_link);
    free(s);
}

int sk_sender_port(const sk_sender *s)
{
    return s->port;
}

void sk_sender_get_stats(const sk_sender *s, sk_sender_stats *st)
{
    *st = s->stats;
    st->queued_bytes = 0;
    for (int i = 0; i < s->nlinks; i++)
        st->queued_bytes += s->links[i].tail - s->links[i].head;
}

const char *sk_sender_errmsg(const sk_sender *s)
{
    return s->errmsg;
}
