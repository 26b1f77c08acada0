/* The live viewer: an HTTP/1.1 server on its own thread (see viewer.h).
 *
 * Threads. The recognizer thread calls sk_viewer_push_frame/_event, which
 * copy into per-stream slots and an event ring under `lock` (a memcpy, no
 * I/O, no allocation). The viewer thread sleeps in poll() on the listening
 * socket, its wake pipe and the browsers; SK_VIEWER_HZ times a second it
 * takes the changed slots and the waiting events under the lock, formats
 * them as JSON outside it, and appends each message to every browser's
 * queue, or drops it for a browser whose queue is too full (counted).
 *
 * Connections. Each is READ (collecting a request head, limited to
 * SK_HTTP_MAX_HEAD bytes and SK_VIEWER_HEAD_MS), SEND (a response, then
 * close) or STREAM (/events, open until the browser leaves). */
#include "skelact/viewer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "skelact/nn.h"
#include "core/json.h"
#include "net/sock.h"
#include "viewer/http.h"
#include "viewer/page_html.h"

#ifndef SK_VIEWER_HEAD_MS
#define SK_VIEWER_HEAD_MS 5000 /* a request head slower than this is a stuck or hostile peer */
#endif
#ifndef SK_VIEWER_SEND_MS
#define SK_VIEWER_SEND_MS 10000 /* a page or error reply not taken in this long is abandoned */
#endif
#ifndef SK_VIEWER_STREAM_IDLE_MS
#define SK_VIEWER_STREAM_IDLE_MS 3000 /* a stream slot unused this long is freed and its view removed */
#endif
#ifndef SK_VIEWER_EXTRA_CONNS
#define SK_VIEWER_EXTRA_CONNS 4 /* connections beyond the event streams: page loads, error replies */
#endif
#ifndef SK_VIEWER_MSG
#define SK_VIEWER_MSG 32768 /* bytes of one formatted message: hello with 64 labels, a 6-body frame */
#endif

enum { C_FREE, C_READ, C_SEND, C_STREAM };

typedef struct conn {
    int fd;
    int state;          /* C_* */
    int64_t since_us;   /* state entered / last progress */
    char in[SK_HTTP_MAX_HEAD];
    size_t in_len;
    char *out;          /* SK_VIEWER_QUEUE bytes, allocated at create */
    size_t out_off, out_len;
    int peer_done;      /* the browser closed its side: stop reading */
    const char *body;   /* static body sent after out (the page), or NULL */
    size_t body_len, body_off;
} conn;

typedef struct slot {
    int used, dirty;
    uint32_t stream;
    int64_t last_push_us;
    uint64_t pushes, pushes_at_tick; /* for frames per second */
    float fps;
    sk_frame frame;
    int has_state[SK_MAX_BODIES];
    int label[SK_MAX_BODIES];
    float confidence[SK_MAX_BODIES];
    int nprobs;
    float probs[SK_MAX_BODIES][SK_MAX_CLASSES];
} slot;

struct sk_viewer {
    int listen_fd, port;
    int wake[2];
    int max_clients, nconns;
    int64_t accept_pause_us; /* no accepting before this (out of descriptors) */
    pthread_t thread;
    int thread_started;

    pthread_mutex_t lock; /* guards everything below up to `stats`, and stats */
    int stop;
    slot slots[SK_VIEWER_STREAMS];
    sk_event events[SK_VIEWER_EVENTS];
    char event_names[SK_VIEWER_EVENTS][SK_LABEL_LEN];
    int nevents;
    int nlabels, hello_stale;
    char labels[SK_MAX_CLASSES][SK_LABEL_LEN];
    int64_t lat_sum_us, lat_max_us;
    uint64_t lat_n;
    sk_viewer_stats stats;

    /* Viewer thread only. */
    conn *conns;
    struct pollfd *pfds;
    slot *snap;          /* SK_VIEWER_STREAMS copies taken at a tick */
    sk_event *snap_ev;
    char (*snap_names)[SK_LABEL_LEN];
    char *msg;           /* SK_VIEWER_MSG */
    char *hello;         /* SK_VIEWER_MSG */
    size_t hello_len;
};

static void format_hello(sk_viewer *v);

/* ---- small helpers ------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t len, cap;
    int full;
} buf;

static void bput(buf *b, const char *fmt, ...)
{
    if (b->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= b->cap - b->len) {
        b->full = 1;
        return;
    }
    b->len += (size_t)k;
}

static void bput_str(buf *b, const char *s)
{
    if (b->full)
        return;
    size_t n = sk__json_string(b->p + b->len, b->cap - b->len, s);
    if (n == 0)
        b->full = 1;
    b->len += n;
}

/* A coordinate or probability: JSON has no NaN. */
static void bput_num(buf *b, float x, int digits)
{
    if (!isfinite(x))
        x = 0;
    bput(b, "%.*f", digits, (double)x);
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void stat_add(sk_viewer *v, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&v->lock);
    *field += n;
    pthread_mutex_unlock(&v->lock);
}

/* ---- connections -------------------------------------------------------- */

static void conn_close(sk_viewer *v, conn *c)
{
    if (c->state == C_FREE)
        return;
    if (c->state == C_STREAM) {
        pthread_mutex_lock(&v->lock);
        v->stats.clients--;
        pthread_mutex_unlock(&v->lock);
    }
    close(c->fd);
    c->fd = -1;
    c->state = C_FREE;
    c->in_len = c->out_off = c->out_len = 0;
    c->body = NULL;
    v->nconns--;
}

/* Append a whole message to c's queue, or nothing. Returns 1 if queued. */
static int conn_queue(conn *c, const char *p, size_t n)
{
    if (c->out_len - c->out_off + n > SK_VIEWER_QUEUE)
        return 0;
    if (c->out_len + n > SK_VIEWER_QUEUE) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return 1;
}

/* A complete reply (then close): status line, headers, optional body. */
static void conn_reply(sk_viewer *v, conn *c, int status, const char *reason,
                       const char *type, const char *body, size_t body_len, int head_only)
{
    char h[512];
    int k = snprintf(h, sizeof h,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, type, body_len);
    c->out_off = c->out_len = 0;
    conn_queue(c, h, (size_t)k);
    c->body = head_only ? NULL : body;
    c->body_len = head_only ? 0 : body_len;
    c->body_off = 0;
    c->state = C_SEND;
    c->since_us = sk_now_us();
    stat_add(v, &v->stats.requests, 1);
}

static void conn_error(sk_viewer *v, conn *c, int status, const char *reason)
{
    char body[64];
    int k = snprintf(body, sizeof body, "%d %s\n", status, reason);
    /* The body is copied into the queue: it must outlive this call. */
    conn_reply(v, c, status, reason, "text/plain; charset=utf-8", NULL, (size_t)k, 1);
    conn_queue(c, body, (size_t)k);
    stat_add(v, &v->stats.bad_requests, 1);
}

static int stream_clients(const sk_viewer *v)
{
    int n = 0;
    for (int i = 0; i < v->max_clients + SK_VIEWER_EXTRA_CONNS; i++)
        n += v->conns[i].state == C_STREAM;
    return n;
}

/* A whole request head is in c->in: answer it. */
static void conn_request(sk_viewer *v, conn *c, const sk__http_req *req)
{
    int head = req->method == SK__HTTP_HEAD;
    if (req->method == SK__HTTP_OTHER) {
        conn_error(v, c, 405, "Method Not Allowed");
        return;
    }
    if (!strcmp(req->path, "/") || !strcmp(req->path, "/index.html")) {
        conn_reply(v, c, 200, "OK", "text/html; charset=utf-8", sk__viewer_page,
                   sizeof sk__viewer_page - 1, head);
        return;
    }
    if (strcmp(req->path, "/events") != 0) {
        conn_reply(v, c, 404, "Not Found", "text/plain; charset=utf-8", "not found\n", 10, head);
        return;
    }
    if (head) {
        conn_reply(v, c, 200, "OK", "text/event-stream", NULL, 0, 1);
        return;
    }
    if (stream_clients(v) >= v->max_clients) {
        conn_reply(v, c, 503, "Service Unavailable", "text/plain; charset=utf-8",
                   "too many viewers\n", 17, 0);
        stat_add(v, &v->stats.refused, 1);
        return;
    }
    pthread_mutex_lock(&v->lock);
    int stale = v->hello_stale;
    v->hello_stale = 0;
    pthread_mutex_unlock(&v->lock);
    if (stale)
        format_hello(v);
    static const char h[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                            "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"
                            "Connection: keep-alive\r\n\r\nretry: 1000\n\n";
    c->out_off = c->out_len = 0;
    conn_queue(c, h, sizeof h - 1);
    conn_queue(c, v->hello, v->hello_len);
    c->state = C_STREAM;
    c->since_us = sk_now_us();
    pthread_mutex_lock(&v->lock);
    v->stats.requests++;
    v->stats.clients++;
    pthread_mutex_unlock(&v->lock);
}

static void conn_read(sk_viewer *v, conn *c)
{
    if (c->state == C_STREAM || c->state == C_SEND) {
        /* Anything a browser sends now is ignored; EOF or an error ends it. */
        char sink[512];
        ssize_t k = recv(c->fd, sink, sizeof sink, 0);
        if (k == 0 && c->state == C_SEND)
            c->peer_done = 1; /* a half-close: the reply still goes out */
        else if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            conn_close(v, c);
        return;
    }
    ssize_t k = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, 0);
    if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        if (c->in_len)
            stat_add(v, &v->stats.bad_requests, 1); /* cut off mid-request */
        conn_close(v, c);
        return;
    }
    if (k < 0)
        return;
    c->in_len += (size_t)k;
    sk__http_req req;
    int rc = sk__http_parse(c->in, c->in_len, sizeof c->in, &req);
    if (rc == SK_EAGAIN)
        return;
    if (rc == 0)
        conn_request(v, c, &req);
    else if (rc == SK_ELIMIT)
        conn_error(v, c, 431, "Request Header Fields Too Large");
    else if (rc == SK_EUNSUPPORTED)
        conn_error(v, c, 505, "HTTP Version Not Supported");
    else
        conn_error(v, c, 400, "Bad Request");
}

static void conn_write(sk_viewer *v, conn *c)
{
    while (c->out_off < c->out_len || (c->body && c->body_off < c->body_len)) {
        const char *p;
        size_t n;
        if (c->out_off < c->out_len) {
            p = c->out + c->out_off;
            n = c->out_len - c->out_off;
        } else {
            p = c->body + c->body_off;
            n = c->body_len - c->body_off;
        }
        ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return;
            conn_close(v, c);
            return;
        }
        if (c->out_off < c->out_len)
            c->out_off += (size_t)k;
        else
            c->body_off += (size_t)k;
        c->since_us = sk_now_us();
    }
    c->out_off = c->out_len = 0;
    if (c->state == C_SEND) {
        shutdown(c->fd, SHUT_WR);
        conn_close(v, c);
    }
}

static void accept_all(sk_viewer *v)
{
    int cap = v->max_clients + SK_VIEWER_EXTRA_CONNS;
    for (;;) {
        int fd = accept(v->listen_fd, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                v->accept_pause_us = sk_now_us() + 100000; /* else poll spins on it */
            return;
        }
        if (v->nconns >= cap) {
            close(fd);
            stat_add(v, &v->stats.refused, 1);
            continue;
        }
        set_nonblock(fd);
        for (int i = 0; i < cap; i++) {
            conn *c = &v->conns[i];
            if (c->state != C_FREE)
                continue;
            c->fd = fd;
            c->state = C_READ;
            c->since_us = sk_now_us();
            c->in_len = c->out_off = c->out_len = 0;
            c->body = NULL;
            c->peer_done = 0;
            v->nconns++;
            break;
        }
    }
}

/* ---- messages ----------------------------------------------------------- */

static void format_hello(sk_viewer *v)
{
    buf b = {v->hello, 0, SK_VIEWER_MSG, 0};
    bput(&b, "data: {\"t\":\"hello\",\"hz\":%d,\"jointsets\":{", SK_VIEWER_HZ);
    int first = 1;
    for (int id = 1; id < SK_JOINTSET_COUNT; id++) {
        const sk_joint_set *js = sk_joint_set_get(id);
        if (!js)
            continue;
        bput(&b, "%s\"%d\":{\"name\":", first ? "" : ",", id);
        bput_str(&b, js->name);
        bput(&b, ",\"njoints\":%d,\"hip\":%d,\"head\":%d,\"bones\":[", js->njoints,
             js->hip_center, js->head);
        for (int k = 0; k < js->nbones; k++)
            bput(&b, "%s[%d,%d]", k ? "," : "", js->bones[k][0], js->bones[k][1]);
        bput(&b, "]}");
        first = 0;
    }
    bput(&b, "},\"labels\":[");
    pthread_mutex_lock(&v->lock);
    for (int k = 0; k < v->nlabels; k++) {
        if (k)
            bput(&b, ",");
        bput_str(&b, v->labels[k]);
    }
    pthread_mutex_unlock(&v->lock);
    bput(&b, "]}\n\n");
    v->hello_len = b.full ? 0 : b.len;
}

static size_t format_frame(sk_viewer *v, const slot *s, int64_t now_us)
{
    const sk_frame *f = &s->frame;
    buf b = {v->msg, 0, SK_VIEWER_MSG, 0};
    bput(&b, "data: {\"t\":\"frame\",\"stream\":%lu,\"seq\":%llu,\"js\":%d,\"age_us\":%lld,"
             "\"bodies\":[",
         (unsigned long)s->stream, (unsigned long long)f->seq, f->joint_set,
         (long long)(f->arrival_us ? now_us - f->arrival_us : 0));
    for (int i = 0; i < f->nbodies && i < SK_MAX_BODIES; i++) {
        const sk_body *bd = &f->bodies[i];
        bput(&b, "%s{\"id\":%lu,\"j\":[", i ? "," : "", (unsigned long)bd->id);
        for (int j = 0; j < f->njoints && j < SK_MAX_JOINTS; j++) {
            const sk_joint *jt = &bd->joints[j];
            if (j)
                bput(&b, ",");
            bput_num(&b, jt->x, 3);
            bput(&b, ",");
            bput_num(&b, jt->y, 3);
            bput(&b, ",");
            bput_num(&b, jt->z, 3);
        }
        bput(&b, "]");
        if (s->has_state[i]) {
            bput(&b, ",\"label\":%d,\"conf\":", s->label[i]);
            bput_num(&b, s->confidence[i], 3);
            bput(&b, ",\"probs\":[");
            for (int k = 0; k < s->nprobs; k++) {
                if (k)
                    bput(&b, ",");
                bput_num(&b, s->probs[i][k], 3);
            }
            bput(&b, "]");
        }
        bput(&b, "}");
    }
    bput(&b, "]}\n\n");
    return b.full ? 0 : b.len;
}

static size_t format_event(sk_viewer *v, const sk_event *ev, const char *name)
{
    buf b = {v->msg, 0, SK_VIEWER_MSG, 0};
    bput(&b, "data: {\"t\":\"event\",\"kind\":\"%s\",\"label\":%d,\"name\":",
         ev->kind == SK_EVENT_START ? "start" : "end", ev->label);
    bput_str(&b, name);
    bput(&b, ",\"stream\":%lu,\"body\":%lu,\"frame\":%llu,\"confidence\":",
         (unsigned long)ev->stream, (unsigned long)ev->body, (unsigned long long)ev->frame);
    bput_num(&b, ev->confidence, 3);
    bput(&b, ",\"latency_us\":%lld}\n\n", (long long)ev->latency_us);
    return b.full ? 0 : b.len;
}

/* Queue msg for every event stream; count what is sent and dropped. */
static void broadcast(sk_viewer *v, const char *msg, size_t n)
{
    if (!n)
        return;
    uint64_t sent = 0, dropped = 0;
    for (int i = 0; i < v->max_clients + SK_VIEWER_EXTRA_CONNS; i++) {
        conn *c = &v->conns[i];
        if (c->state != C_STREAM)
            continue;
        if (conn_queue(c, msg, n))
            sent++;
        else
            dropped++;
    }
    pthread_mutex_lock(&v->lock);
    v->stats.sent += sent;
    v->stats.dropped += dropped;
    pthread_mutex_unlock(&v->lock);
}

/* One tick: changed frames and waiting events out; once a second, stats. */
static void tick(sk_viewer *v, int64_t now_us, int with_stats, double secs)
{
    int nsnap = 0, nev, ngone = 0;
    uint32_t gone[SK_VIEWER_STREAMS];
    buf b = {v->msg, 0, SK_VIEWER_MSG, 0};
    pthread_mutex_lock(&v->lock);
    for (int i = 0; i < SK_VIEWER_STREAMS; i++) {
        slot *s = &v->slots[i];
        if (!s->used)
            continue;
        if (now_us - s->last_push_us > (int64_t)SK_VIEWER_STREAM_IDLE_MS * 1000) {
            gone[ngone++] = s->stream;
            s->used = 0;
            continue;
        }
        if (with_stats) {
            s->fps = secs > 0 ? (float)((double)(s->pushes - s->pushes_at_tick) / secs) : 0;
            s->pushes_at_tick = s->pushes;
        }
        if (s->dirty) {
            v->snap[nsnap++] = *s;
            s->dirty = 0;
        }
    }
    nev = v->nevents;
    memcpy(v->snap_ev, v->events, (size_t)nev * sizeof *v->events);
    memcpy(v->snap_names, v->event_names, (size_t)nev * SK_LABEL_LEN);
    v->nevents = 0;
    if (with_stats) {
        bput(&b, "data: {\"t\":\"stats\",\"streams\":[");
        int first = 1;
        for (int i = 0; i < SK_VIEWER_STREAMS; i++) {
            if (!v->slots[i].used)
                continue;
            bput(&b, "%s{\"stream\":%lu,\"fps\":", first ? "" : ",",
                 (unsigned long)v->slots[i].stream);
            bput_num(&b, v->slots[i].fps, 1);
            bput(&b, "}");
            first = 0;
        }
        bput(&b, "],\"latency_mean_us\":%lld,\"latency_max_us\":%lld,\"frames\":%llu,"
                 "\"dropped\":%llu,\"clients\":%d}\n\n",
             (long long)(v->lat_n ? v->lat_sum_us / (int64_t)v->lat_n : 0),
             (long long)v->lat_max_us, (unsigned long long)v->stats.frames,
             (unsigned long long)v->stats.dropped, v->stats.clients);
        v->lat_sum_us = v->lat_max_us = 0;
        v->lat_n = 0;
    }
    pthread_mutex_unlock(&v->lock);
    if (with_stats)
        broadcast(v, v->msg, b.full ? 0 : b.len);
    for (int i = 0; i < ngone; i++) {
        int k = snprintf(v->msg, SK_VIEWER_MSG, "data: {\"t\":\"gone\",\"stream\":%lu}\n\n",
                         (unsigned long)gone[i]);
        broadcast(v, v->msg, (size_t)k);
    }
    for (int i = 0; i < nsnap; i++)
        broadcast(v, v->msg, format_frame(v, &v->snap[i], now_us));
    for (int i = 0; i < nev; i++)
        broadcast(v, v->msg, format_event(v, &v->snap_ev[i], v->snap_names[i]));
}

/* ---- the thread --------------------------------------------------------- */

static void *viewer_main(void *arg)
{
    sk_viewer *v = arg;
    int cap = v->max_clients + SK_VIEWER_EXTRA_CONNS;
    const int64_t period = 1000000 / SK_VIEWER_HZ;
    int64_t next_tick = sk_now_us() + period, last_stats = sk_now_us();
    for (;;) {
        pthread_mutex_lock(&v->lock);
        int stop = v->stop;
        pthread_mutex_unlock(&v->lock);
        if (stop)
            break;
        int n = 0;
        v->pfds[n++] = (struct pollfd){.fd = v->wake[0], .events = POLLIN};
        int64_t now = sk_now_us();
        v->pfds[n++] = (struct pollfd){.fd = now >= v->accept_pause_us ? v->listen_fd : -1,
                                       .events = POLLIN};
        for (int i = 0; i < cap; i++) {
            conn *c = &v->conns[i];
            short ev = c->peer_done ? 0 : POLLIN;
            if (c->state == C_FREE) {
                v->pfds[n++] = (struct pollfd){.fd = -1};
                continue;
            }
            if (c->out_off < c->out_len || (c->body && c->body_off < c->body_len))
                ev |= POLLOUT;
            v->pfds[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        now = sk_now_us();
        int timeout = next_tick > now ? (int)((next_tick - now + 999) / 1000) : 0;
        int rc = poll(v->pfds, (nfds_t)n, timeout);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc > 0) {
            if (v->pfds[0].revents & POLLIN) {
                char d[64];
                while (read(v->wake[0], d, sizeof d) > 0) {
                }
            }
            if (v->pfds[1].revents & POLLIN)
                accept_all(v);
            for (int i = 0; i < cap; i++) {
                conn *c = &v->conns[i];
                short re = v->pfds[2 + i].revents;
                if (c->state == C_FREE || v->pfds[2 + i].fd != c->fd || !re)
                    continue;
                if (re & (POLLIN | POLLHUP | POLLERR))
                    conn_read(v, c);
                if (c->state != C_FREE && (re & POLLOUT))
                    conn_write(v, c);
            }
        }
        now = sk_now_us();
        for (int i = 0; i < cap; i++) {
            conn *c = &v->conns[i];
            if (c->state == C_READ && now - c->since_us > (int64_t)SK_VIEWER_HEAD_MS * 1000) {
                if (c->in_len)
                    stat_add(v, &v->stats.bad_requests, 1);
                conn_close(v, c);
            } else if (c->state == C_SEND &&
                       now - c->since_us > (int64_t)SK_VIEWER_SEND_MS * 1000) {
                conn_close(v, c);
            }
        }
        if (now >= next_tick) {
            int with_stats = now - last_stats >= 1000000;
            double secs = (double)(now - last_stats) / 1e6;
            if (with_stats)
                last_stats = now;
            tick(v, now, with_stats, secs);
            /* Send at once what fits: the next poll would do it too, a tick later. */
            for (int i = 0; i < cap; i++)
                if (v->conns[i].state == C_STREAM && v->conns[i].out_off < v->conns[i].out_len)
                    conn_write(v, &v->conns[i]);
            next_tick += period;
            if (next_tick < now)
                next_tick = now + period; /* fell behind: do not catch up in a burst */
        }
    }
    return NULL;
}

/* ---- public API --------------------------------------------------------- */

int sk_viewer_create(sk_viewer **out, const sk_viewer_config *cfg, char *errmsg,
                     size_t errlen)
{
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    const char *host = cfg && cfg->host ? cfg->host : "127.0.0.1";
    int port = cfg ? cfg->port : 0;
    int maxc = cfg && cfg->max_clients ? cfg->max_clients : SK_VIEWER_CLIENTS;
    if (port < 0 || port > 65535 || maxc < 1 || maxc > SK_VIEWER_CLIENTS) {
        sk__seterr(errmsg, errlen, "viewer: port or client count out of range");
        return SK_EINVAL;
    }
    int rc = SK_ENOMEM;
    sk_viewer *v = calloc(1, sizeof *v);
    if (!v)
        return SK_ENOMEM;
    v->listen_fd = v->wake[0] = v->wake[1] = -1;
    v->max_clients = maxc;
    int cap = maxc + SK_VIEWER_EXTRA_CONNS;
    if (pthread_mutex_init(&v->lock, NULL) != 0) {
        free(v);
        return SK_ENOMEM;
    }
    v->conns = calloc((size_t)cap, sizeof *v->conns);
    v->pfds = calloc((size_t)cap + 2, sizeof *v->pfds);
    v->snap = calloc(SK_VIEWER_STREAMS, sizeof *v->snap);
    v->snap_ev = calloc(SK_VIEWER_EVENTS, sizeof *v->snap_ev);
    v->snap_names = calloc(SK_VIEWER_EVENTS, sizeof *v->snap_names);
    v->msg = malloc(SK_VIEWER_MSG);
    v->hello = malloc(SK_VIEWER_MSG);
    if (!v->conns || !v->pfds || !v->snap || !v->snap_ev || !v->snap_names || !v->msg ||
        !v->hello)
        goto fail;
    for (int i = 0; i < cap; i++) {
        v->conns[i].fd = -1;
        if (!(v->conns[i].out = malloc(SK_VIEWER_QUEUE)))
            goto fail;
    }
    format_hello(v);

    /* Any address the receivers take: IPv4, IPv6 or a name. */
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    sk__addr addr;
    char e[256];
    if (sk__addr_resolve(&addr, host, port, SOCK_STREAM, e, sizeof e) != 0) {
        sk__seterr(errmsg, errlen, "viewer: %s", e);
        rc = SK_EADDR;
        goto fail;
    }
    int fd = sk__sock_bind(&addr, SOCK_STREAM, e, sizeof e); /* non-blocking */
    if (fd < 0) {
        sk__seterr(errmsg, errlen, "viewer: %s", e);
        rc = SK_EIO;
        goto fail;
    }
    v->listen_fd = fd;
    v->port = sk__sock_local_port(fd);
    if (pipe(v->wake) != 0) {
        sk__seterr(errmsg, errlen, "viewer: pipe: %s", strerror(errno));
        goto fail;
    }
    set_nonblock(v->wake[0]);
    set_nonblock(v->wake[1]);
    if (pthread_create(&v->thread, NULL, viewer_main, v) != 0) {
        sk__seterr(errmsg, errlen, "viewer: cannot start its thread");
        rc = SK_ENOMEM;
        goto fail;
    }
    v->thread_started = 1;
    *out = v;
    return 0;
fail:
    sk_viewer_destroy(v);
    return rc;
}

void sk_viewer_destroy(sk_viewer *v)
{
    if (!v)
        return;
    if (v->thread_started) {
        pthread_mutex_lock(&v->lock);
        v->stop = 1;
        pthread_mutex_unlock(&v->lock);
        ssize_t w = write(v->wake[1], "x", 1);
        (void)w;
        pthread_join(v->thread, NULL);
    }
    if (v->conns) {
        for (int i = 0; i < v->max_clients + SK_VIEWER_EXTRA_CONNS; i++) {
            if (v->conns[i].state != C_FREE)
                close(v->conns[i].fd);
            free(v->conns[i].out);
        }
    }
    if (v->listen_fd >= 0)
        close(v->listen_fd);
    if (v->wake[0] >= 0)
        close(v->wake[0]);
    if (v->wake[1] >= 0)
        close(v->wake[1]);
    pthread_mutex_destroy(&v->lock);
    free(v->conns);
    free(v->pfds);
    free(v->snap);
    free(v->snap_ev);
    free(v->snap_names);
    free(v->msg);
    free(v->hello);
    free(v);
}

int sk_viewer_port(const sk_viewer *v)
{
    return v ? v->port : 0;
}

int sk_viewer_set_labels(sk_viewer *v, const char *const *names, int K)
{
    if (!v || K < 0 || K > SK_MAX_CLASSES || (K && !names))
        return SK_EINVAL;
    pthread_mutex_lock(&v->lock);
    for (int k = 0; k < K; k++)
        snprintf(v->labels[k], SK_LABEL_LEN, "%s", names[k] ? names[k] : "");
    v->nlabels = K;
    v->hello_stale = 1; /* the viewer thread rebuilds its hello */
    pthread_mutex_unlock(&v->lock);
    return 0;
}

int sk_viewer_push_frame(sk_viewer *v, uint32_t stream, const sk_frame *f,
                         const sk_recognizer *rec)
{
    if (!v || !f)
        return SK_EINVAL;
    /* Body states first, outside the lock (rec belongs to this thread). */
    sk_body_state st[SK_MAX_BODIES];
    int has[SK_MAX_BODIES];
    int nb = f->nbodies < SK_MAX_BODIES ? f->nbodies : SK_MAX_BODIES;
    for (int i = 0; i < nb; i++)
        has[i] = rec && sk_recognizer_body_state(rec, stream, f->bodies[i].id, &st[i]) == 0;
    int64_t now = sk_now_us();
    int rc = 0;
    pthread_mutex_lock(&v->lock);
    v->stats.frames++;
    slot *s = NULL, *free_slot = NULL;
    for (int i = 0; i < SK_VIEWER_STREAMS; i++) {
        if (v->slots[i].used && v->slots[i].stream == stream) {
            s = &v->slots[i];
            break;
        }
        if (!v->slots[i].used && !free_slot)
            free_slot = &v->slots[i];
    }
    if (!s && free_slot) {
        s = free_slot;
        s->used = 1;
        s->stream = stream;
        s->pushes = s->pushes_at_tick = 0;
        s->fps = 0;
    }
    if (!s) {
        v->stats.streams_refused++;
        rc = SK_ELIMIT;
        goto out;
    }
    s->frame = *f;
    s->frame.nbodies = (uint8_t)nb;
    s->dirty = 1;
    s->last_push_us = now;
    s->pushes++;
    s->nprobs = v->nlabels;
    for (int i = 0; i < nb; i++) {
        s->has_state[i] = has[i];
        if (!has[i])
            continue;
        s->label[i] = st[i].label;
        s->confidence[i] = st[i].confidence;
        for (int k = 0; k < v->nlabels; k++)
            s->probs[i][k] = st[i].probs ? st[i].probs[k] : 0;
    }
    if (f->arrival_us) {
        int64_t lat = now - f->arrival_us;
        v->lat_sum_us += lat;
        v->lat_n++;
        if (lat > v->lat_max_us)
            v->lat_max_us = lat;
    }
out:
    pthread_mutex_unlock(&v->lock);
    return rc;
}

int sk_viewer_push_event(sk_viewer *v, const sk_event *ev)
{
    if (!v || !ev)
        return SK_EINVAL;
    int rc = 0;
    pthread_mutex_lock(&v->lock);
    if (v->nevents >= SK_VIEWER_EVENTS) {
        v->stats.events_dropped++;
        rc = SK_ELIMIT;
    } else {
        v->events[v->nevents] = *ev;
        snprintf(v->event_names[v->nevents], SK_LABEL_LEN, "%s", ev->name ? ev->name : "");
        v->events[v->nevents].name = NULL; /* borrowed: the copy above is used */
        v->nevents++;
    }
    pthread_mutex_unlock(&v->lock);
    return rc;
}

void sk_viewer_get_stats(sk_viewer *v, sk_viewer_stats *st)
{
    if (!v || !st)
        return;
    pthread_mutex_lock(&v->lock);
    *st = v->stats;
    pthread_mutex_unlock(&v->lock);
}
