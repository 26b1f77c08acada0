/* net: the receiver and the sender over loopback. Every wait is bounded by a
 * deadline (a test that fails to receive fails, it does not hang); no test
 * asserts how fast anything happens. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "skelact/skelact.h"

/* Count allocations (glibc, outside sanitizer builds, which own malloc):
 * the per-frame path must allocate nothing (STYLE.md). */
#if defined(__SANITIZE_ADDRESS__)
#define SK_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SK_TEST_SANITIZED 1
#endif
#endif
#if defined(__GLIBC__) && !defined(SK_TEST_SANITIZED)
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile long alloc_count;
void *malloc(size_t n)
{
    alloc_count++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    alloc_count++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    alloc_count++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    __libc_free(p);
}
#endif

#define MAXF 2048
#define DEADLINE_US (15 * 1000000LL) /* generous: CI machines are shared */

/* ---- helpers --------------------------------------------------------------- */

typedef struct collect {
    int n;
    sk_frame frames[MAXF];
    uint32_t streams[MAXF];
} collect;

static collect *coll_new(void)
{
    collect *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    return c;
}

static void on_frame(void *ctx, uint32_t stream, const sk_frame *f)
{
    collect *c = ctx;
    if (c->n < MAXF) {
        c->frames[c->n] = *f;
        c->streams[c->n] = stream;
    }
    c->n++;
}

/* A frame whose values depend on seq and the body: every frame differs. */
static void make_frame(sk_frame *f, uint64_t seq, int nbodies, int joint_set)
{
    sk_frame_init(f, joint_set);
    f->seq = seq;
    f->timestamp_us = 1700000000000000LL + (int64_t)seq * 33333;
    f->nbodies = (uint8_t)nbodies;
    for (int b = 0; b < nbodies; b++) {
        f->bodies[b].id = 100 + (uint32_t)b;
        for (int j = 0; j < f->njoints; j++) {
            sk_joint *jt = &f->bodies[b].joints[j];
            jt->x = (float)(0.001 * (double)seq + 0.01 * j + b) - 0.5f;
            jt->y = (float)(1.0 / (1.0 + (double)seq + j + b * 7));
            jt->z = 2.0f + (float)j * 0.0123f + (float)(seq % 97) * 1e-4f;
            jt->state = (uint8_t)((j + b + seq) % 3);
        }
    }
}

/* Same joints (text: positions only, the format has no ids and states). */
static int same_frame(const sk_frame *a, const sk_frame *b, int text)
{
    if (a->nbodies != b->nbodies || a->njoints != b->njoints ||
        a->joint_set != b->joint_set)
        return 0;
    if (!text && (a->seq != b->seq || a->timestamp_us != b->timestamp_us))
        return 0;
    for (int i = 0; i < a->nbodies; i++) {
        if (!text && a->bodies[i].id != b->bodies[i].id)
            return 0;
        for (int j = 0; j < a->njoints; j++) {
            const sk_joint *x = &a->bodies[i].joints[j], *y = &b->bodies[i].joints[j];
            if (x->x != y->x || x->y != y->y || x->z != y->z)
                return 0;
            if (!text && x->state != y->state)
                return 0;
        }
    }
    return 1;
}

static int64_t deadline(void)
{
    return sk_now_us() + DEADLINE_US;
}

/* Poll r (and s if not NULL) until c->n >= want or the deadline. */
static void pump(sk_receiver *r, sk_sender *s, collect *c, int want)
{
    int64_t end = deadline();
    while (c->n < want && sk_now_us() < end) {
        if (s)
            sk_sender_poll(s, 0);
        sk_receiver_poll(r, 5, on_frame, c);
    }
}

/* Poll r (and s) for about ms milliseconds. */
static void pump_for(sk_receiver *r, sk_sender *s, collect *c, int ms)
{
    int64_t end = sk_now_us() + (int64_t)ms * 1000;
    while (sk_now_us() < end) {
        if (s)
            sk_sender_poll(s, 0);
        sk_receiver_poll(r, 2, on_frame, c);
    }
}

/* Wait until s is ready to take a frame whole, polling r meanwhile. */
static int wait_ready(sk_sender *s, sk_receiver *r, collect *c)
{
    int64_t end = deadline();
    while (sk_now_us() < end) {
        if (sk_sender_wait_ready(s, 0) == 0)
            return 0;
        if (r)
            sk_receiver_poll(r, 2, on_frame, c);
        else
            sk_sender_poll(s, 2);
    }
    return -1;
}

static sk_receiver *receiver(int mode, int port, int proto, int max_conns)
{
    sk_receiver_config rc = {0};
    char err[256] = "";
    sk_receiver *r = NULL;
    rc.mode = mode;
    rc.port = port;
    rc.proto = proto;
    rc.max_conns = max_conns;
    int e = sk_receiver_create(&r, &rc, err, sizeof err);
    CHECK_MSG(e == 0, "receiver create: %s (%s)", sk_strerror(e), err);
    return r;
}

static sk_sender *sender(int port, int proto, int udp, int listen, int seed, int pad)
{
    sk_sender_config sc = {0};
    char err[256] = "";
    sk_sender *s = NULL;
    sc.port = port;
    sc.proto = proto;
    sc.udp = udp;
    sc.listen = listen;
    sc.seed = seed;
    sc.seed_pad = pad;
    int e = sk_sender_create(&s, &sc, err, sizeof err);
    CHECK_MSG(e == 0, "sender create: %s (%s)", sk_strerror(e), err);
    return s;
}

/* A raw blocking TCP connection to 127.0.0.1:port, made non-blocking. */
static int raw_connect(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
    return fd;
}

static int raw_udp(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void raw_send(int fd, const void *buf, size_t len)
{
    ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n; /* hostile peers do not care whether it arrived */
}

/* Send n frames through s with wait_ready before each; collect at r. */
static void send_frames(sk_sender *s, sk_receiver *r, collect *c, sk_frame *sent,
                        int n, int nbodies, int js)
{
    for (int i = 0; i < n; i++) {
        make_frame(&sent[i], (uint64_t)i, nbodies, js);
        CHECK_EQ_INT(wait_ready(s, r, c), 0);
        CHECK_EQ_INT(sk_sender_send(s, &sent[i]), 0);
        sk_receiver_poll(r, 0, on_frame, c);
    }
}

static void check_exact(const collect *c, const sk_frame *sent, int n, int text)
{
    CHECK_EQ_INT(c->n, n);
    int bad = 0, streams = 0;
    for (int i = 0; i < n && i < c->n; i++) {
        if (!same_frame(&c->frames[i], &sent[i], text))
            bad++;
        if (c->streams[i] != c->streams[0] || c->streams[i] == 0)
            streams++;
        if (text && c->frames[i].seq != (uint64_t)i)
            bad++;
        if (c->frames[i].arrival_us <= 0)
            bad++;
    }
    CHECK_MSG(bad == 0, "%d frames differ", bad);
    CHECK_MSG(streams == 0, "%d frames on another stream", streams);
}

/* ---- tests -------------------------------------------------------------------- */

static sk_frame sent[MAXF];

static void test_tcp_listen(int proto, int nbodies, int js)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    if (!r)
        return;
    CHECK(sk_receiver_port(r) > 0);
    sk_sender *s = sender(sk_receiver_port(r), proto, 0, 0, 0, 0);
    if (!s)
        goto out;
    int n = 300;
    send_frames(s, r, c, sent, n, nbodies, js);
    int64_t end = deadline();
    while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
        sk_receiver_poll(r, 2, on_frame, c);
    CHECK_EQ_INT(sk_sender_flush(s, 0), 0);
    pump(r, s, c, n);
    check_exact(c, sent, n, proto == SK_PROTO_TEXT);
    sk_receiver_stats rs;
    sk_sender_stats ss;
    sk_receiver_get_stats(r, &rs);
    sk_sender_get_stats(s, &ss);
    CHECK_EQ_INT(rs.frames, n);
    CHECK_EQ_INT(rs.parse_errors, 0);
    CHECK_EQ_INT(rs.dropped, 0);
    CHECK_EQ_INT(rs.accepted, 1);
    CHECK_EQ_INT(rs.open, 1);
    CHECK_EQ_INT(rs.ever_connected, 1);
    CHECK(rs.last_byte_us > 0);
    CHECK_EQ_INT(ss.frames, n);
    CHECK_EQ_INT(ss.sent, n);
    CHECK_EQ_INT(ss.dropped, 0);
    CHECK_EQ_INT(ss.links, 1);
    CHECK_EQ_INT(ss.queued_bytes, 0);
    CHECK_EQ_INT(rs.bytes, ss.bytes);
    /* The sender goes away: the receiver sees the close, nothing is cut. */
    sk_sender_destroy(s);
    end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.open > 0 && sk_now_us() < end);
    CHECK_EQ_INT(rs.open, 0);
    CHECK_EQ_INT(rs.closed, 1);
    CHECK_EQ_INT(rs.truncated, 0);
out:
    sk_receiver_destroy(r);
    free(c);
}

static void test_tcp_listen_text(void) { test_tcp_listen(SK_PROTO_TEXT, 1, SK_JOINTSET_KINECT1); }
static void test_tcp_listen_binary(void) { test_tcp_listen(SK_PROTO_BINARY, 3, SK_JOINTSET_KINECT2); }

/* connect mode: the sensor listens (sk_sender listen), the receiver connects. */
static void test_tcp_connect(void)
{
    collect *c = coll_new();
    sk_sender *s = sender(0, SK_PROTO_BINARY, 0, 1, 0, 0);
    if (!s)
        goto out;
    CHECK(sk_sender_port(s) > 0);
    sk_receiver_config rc = {0};
    char err[256];
    sk_receiver *r = NULL;
    rc.mode = SK_NET_CONNECT;
    rc.port = sk_sender_port(s);
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    /* A frame before any receiver is connected is dropped, and counted. */
    sk_frame f;
    make_frame(&f, 999, 1, SK_JOINTSET_KINECT1);
    CHECK_EQ_INT(sk_sender_send(s, &f), SK_ECLOSED);
    int n = 200;
    send_frames(s, r, c, sent, n, 2, SK_JOINTSET_KINECT1);
    int64_t end = deadline();
    while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
        sk_receiver_poll(r, 2, on_frame, c);
    pump(r, s, c, n);
    check_exact(c, sent, n, 0);
    sk_receiver_stats rs;
    sk_sender_stats ss;
    sk_receiver_get_stats(r, &rs);
    sk_sender_get_stats(s, &ss);
    CHECK_EQ_INT(rs.accepted, 1);
    CHECK_EQ_INT(rs.parse_errors, 0);
    CHECK_EQ_INT(ss.sent, n);
    CHECK_EQ_INT(ss.dropped, 1);
    CHECK_EQ_INT(ss.frames, n + 1);
    CHECK_EQ_INT(ss.connects, 1);
    /* The sensor restarts: the receiver reconnects by itself. */
    int port = sk_sender_port(s);
    sk_sender_destroy(s);
    s = NULL;
    uint64_t fails0 = rs.connect_failures;
    pump_for(r, NULL, c, 400);
    sk_receiver_get_stats(r, &rs);
    CHECK_EQ_INT(rs.open, 0);
    /* Backoff, not a reconnect storm: 50+100+200 ms fit in 400 ms, so about
     * 3 failed attempts; without backoff there would be hundreds. */
    CHECK_MSG(rs.connect_failures > fails0 && rs.connect_failures - fails0 <= 10,
              "%llu failed attempts in 400 ms",
              (unsigned long long)(rs.connect_failures - fails0));
    sk_sender_config sc = {0};
    sc.port = port;
    sc.listen = 1;
    CHECK_EQ_INT(sk_sender_create(&s, &sc, err, sizeof err), 0);
    if (s) {
        int before = c->n;
        end = deadline();
        while (c->n < before + 5 && sk_now_us() < end) {
            if (sk_sender_wait_ready(s, 0) == 0) {
                make_frame(&f, 5000 + (uint64_t)c->n, 1, SK_JOINTSET_KINECT1);
                sk_sender_send(s, &f);
            }
            sk_receiver_poll(r, 5, on_frame, c);
        }
        CHECK(c->n >= before + 5);
        sk_receiver_get_stats(r, &rs);
        CHECK(rs.reconnects >= 1);
        CHECK_EQ_INT(rs.accepted, 2);
        CHECK(c->n > before && c->streams[c->n - 1] == c->streams[0]);
    }
    sk_receiver_destroy(r);
out:
    sk_sender_destroy(s);
    free(c);
}

/* The seed habit, sender side: one connection per frame, NUL padding. */
static void test_seed_sender(void)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    if (!r)
        goto out;
    sk_sender *s = sender(sk_receiver_port(r), SK_PROTO_TEXT, 0, 0, 1, 512);
    if (!s) {
        sk_receiver_destroy(r);
        goto out;
    }
    int n = 100;
    send_frames(s, r, c, sent, n, 1, SK_JOINTSET_KINECT1);
    int64_t end = deadline();
    while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
        sk_receiver_poll(r, 2, on_frame, c);
    pump(r, s, c, n);
    /* let the last close arrive */
    sk_receiver_stats rs;
    end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.open > 0 && sk_now_us() < end);
    check_exact(c, sent, n, 1);
    sk_sender_stats ss;
    sk_sender_get_stats(s, &ss);
    CHECK_EQ_INT(rs.accepted, n);
    CHECK_EQ_INT(rs.closed, n);
    CHECK_EQ_INT(rs.parse_errors, 0);
    CHECK_EQ_INT(rs.truncated, 0);
    CHECK_EQ_INT(ss.sent, n);
    CHECK_EQ_INT(ss.connects, n);
    CHECK_EQ_INT(ss.dropped, 0);
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* The seed habit, receiver side: the sensor listens and answers each
 * connection with one frame; the receiver connects, reads it, closes. */
static void test_seed_receiver(void)
{
    collect *c = coll_new();
    sk_sender_config sc = {0};
    char err[256];
    sk_sender *s = NULL;
    sk_receiver *r = NULL;
    sc.listen = 1;
    sc.seed = 1;
    sc.seed_pad = 64;
    sc.proto = SK_PROTO_TEXT;
    CHECK_EQ_INT(sk_sender_create(&s, &sc, err, sizeof err), 0);
    if (!s)
        goto out;
    sk_receiver_config rc = {0};
    rc.mode = SK_NET_CONNECT_SEED;
    rc.port = sk_sender_port(s);
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    int n = 60;
    for (int i = 0; i < n; i++) {
        make_frame(&sent[i], (uint64_t)i, 1, SK_JOINTSET_KINECT2);
        CHECK_EQ_INT(wait_ready(s, r, c), 0); /* a receiver waits for a frame */
        CHECK_EQ_INT(sk_sender_send(s, &sent[i]), 0);
        pump(r, s, c, i + 1);
    }
    check_exact(c, sent, n, 1);
    sk_receiver_stats rs;
    sk_receiver_get_stats(r, &rs);
    CHECK(rs.accepted >= (uint64_t)n);
    CHECK_EQ_INT(rs.parse_errors, 0);
    CHECK_EQ_INT(rs.dropped, 0);
out:
    sk_receiver_destroy(r);
    sk_sender_destroy(s);
    free(c);
}

/* A persistent connection that ends is reported as its stream's end, after
 * its last frame; a one-frame (seed habit) connection is not. */
typedef struct ends {
    collect *c;
    int n;
    uint32_t stream;
    int frames_before; /* frames collected when the end was reported */
} ends;

static void on_end(void *ctx, uint32_t stream)
{
    ends *e = ctx;
    e->n++;
    e->stream = stream;
    e->frames_before = e->c->n;
}

static void pump_ends(sk_receiver *r, collect *c, ends *e, int want)
{
    int64_t end = deadline();
    while (e->n < want && sk_now_us() < end)
        sk_receiver_poll(r, 5, on_frame, c);
}

static void test_stream_end(void)
{
    collect *c = coll_new();
    ends e = {c, 0, 0, 0};
    sk_receiver_config rc = {0};
    char err[256] = "";
    sk_receiver *r = NULL;
    sk_sender *s = NULL;
    rc.mode = SK_NET_LISTEN;
    rc.proto = SK_PROTO_AUTO;
    rc.on_stream_end = on_end;
    rc.on_stream_end_ctx = &e;
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    /* listen: a sender of 5 frames goes away */
    s = sender(sk_receiver_port(r), SK_PROTO_BINARY, 0, 0, 0, 0);
    if (!s)
        goto out;
    send_frames(s, r, c, sent, 5, 1, SK_JOINTSET_KINECT2);
    pump(r, s, c, 5);
    CHECK_EQ_INT(c->n, 5);
    CHECK_EQ_INT(e.n, 0);
    sk_sender_destroy(s);
    s = NULL;
    pump_ends(r, c, &e, 1);
    CHECK_EQ_INT(e.n, 1);
    CHECK_EQ_INT(e.frames_before, 5);
    CHECK_EQ_INT(e.stream, c->streams[0]);
    /* the seed habit: one frame per connection ends nothing */
    for (int i = 0; i < 3; i++) {
        s = sender(sk_receiver_port(r), SK_PROTO_TEXT, 0, 0, 1, 0);
        if (!s)
            goto out;
        send_frames(s, r, c, sent, 1, 1, SK_JOINTSET_KINECT2);
        pump(r, s, c, 6 + i);
        sk_sender_destroy(s);
        s = NULL;
    }
    pump_for(r, NULL, c, 100);
    CHECK_EQ_INT(c->n, 8);
    CHECK_EQ_INT(e.n, 1);
    sk_receiver_destroy(r);
    r = NULL;

    /* connect: the listening sensor goes away */
    c->n = 0;
    e.n = 0;
    s = sender(0, SK_PROTO_TEXT, 0, 1, 0, 0);
    if (!s)
        goto out;
    rc.mode = SK_NET_CONNECT;
    rc.port = sk_sender_port(s);
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    for (int i = 0; i < 4; i++) {
        make_frame(&sent[i], (uint64_t)i, 1, SK_JOINTSET_KINECT1);
        CHECK_EQ_INT(wait_ready(s, r, c), 0);
        CHECK_EQ_INT(sk_sender_send(s, &sent[i]), 0);
        pump(r, s, c, i + 1);
    }
    CHECK_EQ_INT(c->n, 4);
    sk_sender_destroy(s);
    s = NULL;
    pump_ends(r, c, &e, 1);
    CHECK_EQ_INT(e.n, 1);
    CHECK_EQ_INT(e.stream, 1);
    CHECK_EQ_INT(e.frames_before, 4);
out:
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
    free(c);
}

/* The original seed sensor answers every connection at once with its
 * latest frame: repeats are counted, not delivered, and do not make the
 * receiver reconnect flat out. */
static void test_seed_repeats(void)
{
    collect *c = coll_new();
    sk_receiver *r = NULL;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(lfd, 16) != 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) != 0) {
        CHECK(0);
        goto out;
    }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL, 0) | O_NONBLOCK);
    sk_receiver_config rc = {0};
    char err[256];
    rc.mode = SK_NET_CONNECT_SEED;
    rc.port = ntohs(a.sin_port);
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    char line[SK_MAX_LINE];
    sk_frame f;
    int answered = 0;
    for (int k = 0; k < 2; k++) {
        make_frame(&f, (uint64_t)k, 1, SK_JOINTSET_KINECT1);
        int ll = sk_text_encode(&f, 0, 9, line, sizeof line);
        memset(line + ll, 0, 100); /* NUL padding, as the original did */
        int64_t end = sk_now_us() + 150000;
        while (sk_now_us() < end) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0) {
                CHECK(send(fd, line, (size_t)ll + 100, MSG_NOSIGNAL) == ll + 100);
                close(fd);
                answered++;
            }
            sk_receiver_poll(r, 1, on_frame, c);
        }
        CHECK_EQ_INT(c->n, k + 1);
        if (c->n == k + 1)
            CHECK(same_frame(&c->frames[k], &f, 1));
    }
    sk_receiver_stats rs;
    sk_receiver_get_stats(r, &rs);
    CHECK(answered >= 4);
    CHECK_EQ_INT(rs.frames, 2);
    /* every answer read is a frame or a repeat; the last may be unread */
    CHECK_MSG(rs.duplicates + 2 <= (uint64_t)answered &&
                  rs.duplicates + 3 >= (uint64_t)answered,
              "%llu repeats of %d answers", (unsigned long long)rs.duplicates, answered);
    CHECK_EQ_INT(rs.dropped, 0);
    CHECK_EQ_INT(rs.parse_errors, 0);
    /* Paced: far fewer connections than 300 ms of flat-out reconnects
     * would make (each ~50 us on loopback); ~5 ms apart means ~60. */
    CHECK_MSG(answered < 1000, "%d connections in 300 ms", answered);
out:
    sk_receiver_destroy(r);
    if (lfd >= 0)
        close(lfd);
    free(c);
}

/* UDP: one datagram per body, reassembled; incomplete and bad datagrams
 * counted; text datagrams accepted. */
static void test_udp(void)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_UDP, 0, SK_PROTO_AUTO, 0);
    if (!r)
        goto out;
    sk_sender *s = sender(sk_receiver_port(r), SK_PROTO_BINARY, 1, 0, 0, 0);
    if (!s) {
        sk_receiver_destroy(r);
        goto out;
    }
    int n = 200;
    for (int i = 0; i < n; i++) {
        make_frame(&sent[i], (uint64_t)i, 1 + i % 4, SK_JOINTSET_KINECT2);
        CHECK_EQ_INT(sk_sender_send(s, &sent[i]), 0);
        /* read as we go: a loopback socket buffer holds a few hundred
         * datagrams, and this test is about reassembly, not buffers */
        sk_receiver_poll(r, 0, on_frame, c);
    }
    pump(r, s, c, n);
    check_exact(c, sent, n, 0);
    sk_receiver_stats rs;
    sk_receiver_get_stats(r, &rs);
    CHECK_EQ_INT(rs.parse_errors, 0);
    CHECK_EQ_INT(rs.incomplete, 0);
    CHECK_EQ_INT(rs.dropped, 0);
    CHECK(rs.datagrams >= (uint64_t)n * 2);

    /* A frame missing a body, then a newer one: 1 incomplete. A gap of 3
     * frames after it: counted once each, the incomplete not twice. */
    int fd = raw_udp(sk_receiver_port(r));
    CHECK(fd >= 0);
    uint8_t buf[SK_BINARY_MAX_FRAME];
    sk_frame f;
    make_frame(&f, 1000, 3, SK_JOINTSET_KINECT1);
    int len = sk_binary_encode_body(&f, 0, buf, sizeof buf);
    CHECK(len > 0);
    raw_send(fd, buf, (size_t)len);
    len = sk_binary_encode_body(&f, 2, buf, sizeof buf);
    raw_send(fd, buf, (size_t)len); /* body 1 never comes */
    make_frame(&f, 1001, 2, SK_JOINTSET_KINECT1);
    for (int b = 0; b < 2; b++) {
        len = sk_binary_encode_body(&f, b, buf, sizeof buf);
        raw_send(fd, buf, (size_t)len);
    }
    make_frame(&f, 1005, 1, SK_JOINTSET_KINECT1); /* 1002..1004 lost */
    len = sk_binary_encode(&f, buf, sizeof buf);
    raw_send(fd, buf, (size_t)len);
    /* A corrupt datagram and a garbage one. */
    buf[40] ^= 0x55;
    raw_send(fd, buf, (size_t)len);
    raw_send(fd, "\x53\x4b\x4c\x31 garbage", 12);
    /* A seed text line as one datagram. */
    char line[SK_MAX_LINE];
    make_frame(&f, 0, 1, SK_JOINTSET_KINECT1);
    int ll = sk_text_encode(&f, 0, 9, line, sizeof line);
    CHECK(ll > 0);
    raw_send(fd, line, (size_t)ll);
    int before = c->n;
    pump(r, s, c, before + 3);
    pump_for(r, s, c, 50);
    CHECK_EQ_INT(c->n, before + 3);
    if (c->n == before + 3) {
        CHECK_EQ_INT(c->frames[before].seq, 1001);
        CHECK_EQ_INT(c->frames[before].nbodies, 2);
        CHECK_EQ_INT(c->frames[before + 1].seq, 1005);
        CHECK(same_frame(&c->frames[before + 2], &f, 1));
        CHECK(c->streams[before] != c->streams[0]); /* another address */
        CHECK_EQ_INT(c->streams[before], c->streams[before + 1]);
    }
    sk_receiver_get_stats(r, &rs);
    CHECK_EQ_INT(rs.incomplete, 1);
    CHECK_EQ_INT(rs.seq_gaps, 3);
    CHECK_EQ_INT(rs.dropped, 4);
    CHECK_EQ_INT(rs.parse_errors, 2);
    if (fd >= 0)
        close(fd);
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* The receiver goes away while the sender keeps sending: sends return at
 * once and drop; when a receiver is back on the port, frames flow again. */
static void test_receiver_restart(void)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    if (!r)
        goto out;
    int port = sk_receiver_port(r);
    sk_sender *s = sender(port, SK_PROTO_BINARY, 0, 0, 0, 0);
    if (!s) {
        sk_receiver_destroy(r);
        goto out;
    }
    send_frames(s, r, c, sent, 20, 1, SK_JOINTSET_KINECT1);
    sk_sender_flush(s, 1000);
    pump(r, s, c, 20);
    CHECK_EQ_INT(c->n, 20);
    sk_receiver_destroy(r);
    r = NULL;

    /* Down: 200 sends at ~1 ms intervals. None may block: the whole loop
     * is bounded far above what it takes (a blocking connect or write
     * would take seconds each). */
    sk_frame f;
    int64_t t0 = sk_now_us();
    for (int i = 0; i < 200; i++) {
        make_frame(&f, 100 + (uint64_t)i, 1, SK_JOINTSET_KINECT1);
        sk_sender_send(s, &f);
        sk_sleep_us(1000, NULL);
    }
    CHECK(sk_now_us() - t0 < 10 * 1000000LL);
    sk_sender_stats ss;
    sk_sender_get_stats(s, &ss);
    CHECK(ss.dropped > 0);
    CHECK(ss.failures >= 1);
    /* backoff: a few attempts in ~200+ ms, not one per send */
    CHECK_MSG(ss.failures <= 20, "%llu failures", (unsigned long long)ss.failures);
    CHECK_EQ_INT(ss.links, 0);

    /* Back up on the same port. */
    sk_receiver_config rc = {0};
    char err[256];
    rc.port = port;
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (r) {
        collect *c2 = coll_new();
        uint64_t seq = 1000;
        int64_t end = deadline();
        while (c2->n < 10 && sk_now_us() < end) {
            make_frame(&f, seq++, 1, SK_JOINTSET_KINECT1);
            sk_sender_send(s, &f);
            sk_receiver_poll(r, 2, on_frame, c2);
        }
        CHECK(c2->n >= 10);
        sk_sender_get_stats(s, &ss);
        CHECK(ss.reconnects >= 1);
        CHECK_EQ_INT(ss.links, 1);
        CHECK(ss.frames >= ss.sent + ss.dropped);
        sk_receiver_stats rs;
        sk_receiver_get_stats(r, &rs);
        CHECK_EQ_INT(rs.parse_errors, 0);
        free(c2);
    }
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* A peer dies mid-frame: the half frame is counted, the next one is fine. */
static void test_half_frame(void)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    if (!r)
        goto out;
    int port = sk_receiver_port(r);
    uint8_t buf[SK_BINARY_MAX_FRAME];
    sk_frame f;
    sk_receiver_stats rs;

    /* Binary: two frames and half of a third, then RST (a killed process). */
    int fd = raw_connect(port);
    CHECK(fd >= 0);
    for (int i = 0; i < 2; i++) {
        make_frame(&f, (uint64_t)i, 1, SK_JOINTSET_KINECT1);
        int len = sk_binary_encode(&f, buf, sizeof buf);
        raw_send(fd, buf, (size_t)len);
    }
    make_frame(&f, 2, 1, SK_JOINTSET_KINECT1);
    int len = sk_binary_encode(&f, buf, sizeof buf);
    raw_send(fd, buf, (size_t)len / 2);
    pump(r, NULL, c, 2);
    pump_for(r, NULL, c, 20);
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    int64_t end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.closed < 1 && sk_now_us() < end);
    CHECK_EQ_INT(c->n, 2);
    CHECK_EQ_INT(rs.truncated, 1);
    CHECK_EQ_INT(rs.dropped, 1);

    /* The same sender comes back and goes on at seq 3: the cut frame 2 is
     * not counted twice (once truncated, not again as a gap). */
    fd = raw_connect(port);
    CHECK(fd >= 0);
    for (int i = 3; i < 5; i++) {
        make_frame(&f, (uint64_t)i, 1, SK_JOINTSET_KINECT1);
        len = sk_binary_encode(&f, buf, sizeof buf);
        raw_send(fd, buf, (size_t)len);
    }
    pump(r, NULL, c, 4);
    CHECK_EQ_INT(c->n, 4);
    if (c->n == 4) {
        CHECK_EQ_INT(c->frames[2].seq, 3);
        CHECK(same_frame(&c->frames[3], &f, 0));
        CHECK_EQ_INT(c->streams[2], c->streams[0]); /* the stream goes on */
    }
    /* Text: half a line, then a plain close. */
    char line[SK_MAX_LINE];
    make_frame(&f, 7, 1, SK_JOINTSET_KINECT1);
    int ll = sk_text_encode(&f, 0, 9, line, sizeof line);
    int fd2 = raw_connect(port);
    CHECK(fd2 >= 0);
    raw_send(fd2, line, (size_t)ll);
    raw_send(fd2, line, (size_t)ll / 2);
    pump(r, NULL, c, 5);
    pump_for(r, NULL, c, 20);
    close(fd2);
    end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.closed < 2 && sk_now_us() < end);
    CHECK_EQ_INT(c->n, 5);
    CHECK_EQ_INT(rs.truncated, 2);
    CHECK_EQ_INT(rs.dropped, 2);
    CHECK_EQ_INT(rs.seq_gaps, 0);
    CHECK_EQ_INT(rs.parse_errors, 0);
    if (fd >= 0)
        close(fd);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* Garbage, an endless line and a huge binary length on three connections
 * while a good sender on a fourth keeps flowing. */
static void test_hostile(void)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    if (!r)
        goto out;
    int port = sk_receiver_port(r);
    sk_sender *s = sender(port, SK_PROTO_BINARY, 0, 0, 0, 0);
    if (!s) {
        sk_receiver_destroy(r);
        goto out;
    }
    int fds[3];
    for (int i = 0; i < 3; i++) {
        fds[i] = raw_connect(port);
        CHECK(fds[i] >= 0);
    }
    static uint8_t junk[4096], digits[4096], huge[64];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    for (size_t i = 0; i < sizeof digits; i++)
        digits[i] = (i % 2) ? ',' : '7';
    /* A valid header claiming a 2 GB frame. */
    sk_frame f;
    make_frame(&f, 1, 1, SK_JOINTSET_KINECT1);
    uint8_t hb[SK_BINARY_MAX_FRAME];
    sk_binary_encode(&f, hb, sizeof hb);
    memcpy(huge, hb, 32);
    huge[8] = 0;
    huge[9] = 0;
    huge[10] = 0;
    huge[11] = 0x80;
    int n = 300;
    for (int i = 0; i < n; i++) {
        raw_send(fds[0], junk, sizeof junk);
        raw_send(fds[1], digits, sizeof digits);
        raw_send(fds[2], huge, sizeof huge);
        make_frame(&sent[i], (uint64_t)i, 1, SK_JOINTSET_KINECT1);
        CHECK_EQ_INT(wait_ready(s, r, c), 0);
        CHECK_EQ_INT(sk_sender_send(s, &sent[i]), 0);
        sk_receiver_poll(r, 0, on_frame, c);
    }
    int64_t end = deadline();
    while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
        sk_receiver_poll(r, 2, on_frame, c);
    pump(r, s, c, n);
    pump_for(r, s, c, 50);
    check_exact(c, sent, n, 0);
    sk_receiver_stats rs;
    sk_receiver_get_stats(r, &rs);
    CHECK(rs.parse_errors > 0);
    CHECK_EQ_INT(rs.error_closes, 3); /* all three hostile peers are gone */
    CHECK_EQ_INT(rs.dropped, 0);      /* garbage is not a lost frame */
    CHECK_EQ_INT(rs.open, 1);         /* the good one stays */
    CHECK_EQ_INT(rs.frames, n);
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* Raise the soft descriptor limit to want; returns 0, or -1 (with a
 * message) if the hard limit is lower than need. */
static int raise_nofile(int want, int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur < (rlim_t)want) {
        rl.rlim_cur = rl.rlim_max < (rlim_t)want ? rl.rlim_max : (rlim_t)want;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < (rlim_t)need) {
        printf("     (skipped: RLIMIT_NOFILE hard limit %llu < %d)\n",
               (unsigned long long)rl.rlim_max, need);
        return -1;
    }
    return 0;
}

/* 300 idle connections, then a real sender still gets through. */
static void test_idle_crowd(void)
{
    enum { IDLE = 300 };
    static int fds[IDLE];
    if (raise_nofile(2048, 2 * IDLE + 100) != 0)
        return;
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 400);
    if (!r)
        goto out;
    int port = sk_receiver_port(r);
    int opened = 0;
    for (int i = 0; i < IDLE; i++) {
        fds[i] = raw_connect(port);
        opened += fds[i] >= 0;
        if (i % 50 == 49)
            sk_receiver_poll(r, 0, on_frame, c); /* accept as they come */
    }
    CHECK_EQ_INT(opened, IDLE);
    sk_receiver_stats rs;
    int64_t end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.accepted < (uint64_t)IDLE && sk_now_us() < end);
    CHECK_EQ_INT(rs.accepted, IDLE);
    sk_sender *s = sender(port, SK_PROTO_TEXT, 0, 0, 0, 0);
    if (s) {
        int n = 100;
        send_frames(s, r, c, sent, n, 1, SK_JOINTSET_KINECT1);
        end = deadline();
        while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
            sk_receiver_poll(r, 2, on_frame, c);
        pump(r, s, c, n);
        check_exact(c, sent, n, 1);
        sk_receiver_get_stats(r, &rs);
        CHECK_EQ_INT(rs.open, IDLE + 1);
        CHECK_EQ_INT(rs.refused, 0);
        sk_sender_destroy(s);
    }
    for (int i = 0; i < IDLE; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* The connection limit: over it, new connections are refused (and counted)
 * unless the longest-idle one has been idle long enough to be evicted; so
 * a crowd of idle hostile peers cannot lock a real sensor out. */
static void test_conn_limit(void)
{
    enum { LIMIT = 8, CROWD = 300 };
    static int fds[CROWD];
    if (raise_nofile(2048, CROWD + 100) != 0)
        return;
    collect *c = coll_new();
    sk_receiver_config rc = {0};
    char err[256];
    sk_receiver *r = NULL;
    rc.max_conns = LIMIT;
    rc.idle_evict_ms = -1; /* never evict */
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    int port = sk_receiver_port(r);
    for (int i = 0; i < CROWD; i++) {
        fds[i] = raw_connect(port);
        if (i % 50 == 49)
            sk_receiver_poll(r, 0, on_frame, c);
    }
    sk_receiver_stats rs;
    int64_t end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.accepted + rs.refused < CROWD && sk_now_us() < end);
    CHECK_EQ_INT(rs.accepted, LIMIT);
    CHECK_EQ_INT(rs.refused, CROWD - LIMIT);
    CHECK_EQ_INT(rs.open, LIMIT);
    CHECK_EQ_INT(rs.evicted, 0);
    for (int i = 0; i < CROWD; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    sk_receiver_destroy(r);
    r = NULL;

    /* With eviction after 50 ms idle: the crowd fills the slots and stays
     * idle; a real sender connecting later evicts one and gets through. */
    rc.idle_evict_ms = 50;
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (!r)
        goto out;
    port = sk_receiver_port(r);
    for (int i = 0; i < LIMIT; i++)
        fds[i] = raw_connect(port);
    end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.accepted < LIMIT && sk_now_us() < end);
    /* The crowd trickles garbage for 120 ms: bytes without a frame are not
     * activity, so it is idle > 50 ms all the same. */
    int64_t t_end = sk_now_us() + 120000;
    while (sk_now_us() < t_end) {
        for (int i = 0; i < LIMIT; i++)
            if (fds[i] >= 0)
                raw_send(fds[i], "7", 1);
        sk_receiver_poll(r, 5, on_frame, c);
    }
    sk_sender *s = sender(port, SK_PROTO_BINARY, 0, 0, 0, 0);
    if (s) {
        int n = 50;
        send_frames(s, r, c, sent, n, 1, SK_JOINTSET_KINECT1);
        end = deadline();
        while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
            sk_receiver_poll(r, 2, on_frame, c);
        pump(r, s, c, n);
        check_exact(c, sent, n, 0);
        sk_receiver_get_stats(r, &rs);
        CHECK(rs.evicted >= 1);
        CHECK_EQ_INT(rs.open, LIMIT);
        sk_sender_destroy(s);
    }
    for (int i = 0; i < LIMIT; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* Out of file descriptors: connections are shed (refused and counted),
 * the receiver does not spin on a listening socket it cannot accept from,
 * and it works again once descriptors are free. The clients live in a child
 * process so that only the receiver runs out. */
static void test_emfile(void)
{
    enum { CLIENTS = 60 };
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 400);
    if (!r)
        goto out;
    int port = sk_receiver_port(r);
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) {
        CHECK(0);
        goto out;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int fds[CLIENTS], ok = 0;
        char b = 0;
        for (int i = 0; i < CLIENTS; i++)
            ok += (fds[i] = raw_connect(port)) >= 0;
        b = (char)ok;
        if (write(up[1], &b, 1) != 1 || read(down[0], &b, 1) < 0)
            _exit(1);
        _exit(0);
    }
    CHECK(pid > 0);
    struct rlimit old, low;
    getrlimit(RLIMIT_NOFILE, &old);
    /* room for about 10 connections */
    int probe = open("/dev/null", O_RDONLY);
    low = old;
    low.rlim_cur = (rlim_t)probe + 10;
    close(probe);
    setrlimit(RLIMIT_NOFILE, &low);
    char ok = 0;
    CHECK(read(up[0], &ok, 1) == 1);
    CHECK_EQ_INT(ok, CLIENTS);
    sk_receiver_stats rs;
    int64_t end = deadline();
    do {
        sk_receiver_poll(r, 5, on_frame, c);
        sk_receiver_get_stats(r, &rs);
    } while (rs.accepted + rs.refused < CLIENTS && sk_now_us() < end);
    CHECK_EQ_INT(rs.accepted + rs.refused, CLIENTS);
    CHECK(rs.refused > 0);
    CHECK(rs.accepted > 0);
    setrlimit(RLIMIT_NOFILE, &old);
    /* The clients go away; a sender gets through. */
    CHECK(write(down[1], "x", 1) == 1);
    waitpid(pid, NULL, 0);
    sk_sender *s = sender(port, SK_PROTO_BINARY, 0, 0, 0, 0);
    if (s) {
        send_frames(s, r, c, sent, 20, 1, SK_JOINTSET_KINECT1);
        end = deadline();
        while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
            sk_receiver_poll(r, 2, on_frame, c);
        pump(r, s, c, 20);
        check_exact(c, sent, 20, 0);
        sk_sender_destroy(s);
    }
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* A receiver that stops reading: the sender's queue fills, frames are
 * dropped and counted, no call blocks; every frame the sender counts as sent
 * arrives once the receiver reads again. */
static void test_slow_receiver(void)
{
    collect *c = coll_new();
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    if (!r)
        goto out;
    sk_sender *s = sender(sk_receiver_port(r), SK_PROTO_BINARY, 0, 0, 0, 0);
    if (!s) {
        sk_receiver_destroy(r);
        goto out;
    }
    CHECK_EQ_INT(wait_ready(s, NULL, c), 0); /* connected (the kernel accepts) */
    sk_frame f;
    sk_sender_stats ss;
    int n = 0;
    /* ~2 KB frames, never read: the socket buffers and then the 64 KB
     * queue fill up. Stop at the first drop (bounded: 100 MB at most). */
    do {
        make_frame(&f, (uint64_t)n++, 6, SK_JOINTSET_KINECT2);
        sk_sender_send(s, &f);
        sk_sender_get_stats(s, &ss);
    } while (ss.dropped == 0 && n < 50000);
    CHECK(ss.dropped > 0);
    CHECK(ss.queued_bytes > 0);
    CHECK_EQ_INT(sk_sender_flush(s, 0), SK_ETIMEDOUT);
    CHECK_EQ_INT(sk_sender_wait_ready(s, 0), SK_ETIMEDOUT);
    /* The receiver reads again: everything queued goes out. */
    int64_t end = deadline();
    while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
        sk_receiver_poll(r, 1, on_frame, c);
    CHECK_EQ_INT(sk_sender_flush(s, 0), 0);
    /* one more frame after the hole, so that the receiver can see it */
    CHECK_EQ_INT(wait_ready(s, r, c), 0);
    make_frame(&f, (uint64_t)n++, 6, SK_JOINTSET_KINECT2);
    CHECK_EQ_INT(sk_sender_send(s, &f), 0);
    end = deadline();
    while (sk_sender_flush(s, 0) != 0 && sk_now_us() < end)
        sk_receiver_poll(r, 1, on_frame, c);
    sk_sender_get_stats(s, &ss);
    CHECK_EQ_INT(ss.frames, (uint64_t)n);
    CHECK_EQ_INT(ss.frames, ss.sent + ss.dropped);
    pump(r, s, c, (int)ss.sent);
    pump_for(r, s, c, 20);
    CHECK_EQ_INT(c->n, ss.sent);
    sk_receiver_stats rs;
    sk_receiver_get_stats(r, &rs);
    CHECK_EQ_INT(rs.seq_gaps, ss.dropped); /* the receiver sees the holes */
    CHECK_EQ_INT(rs.parse_errors, 0);
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
out:
    free(c);
}

/* A listening sensor serves several receivers: each gets every frame. */
static void test_sender_fanout(void)
{
    collect *c1 = coll_new(), *c2 = coll_new();
    sk_receiver *r1 = NULL, *r2 = NULL;
    sk_sender *s = sender(0, SK_PROTO_TEXT, 0, 1, 0, 0);
    if (!s)
        goto out;
    sk_receiver_config rc = {0};
    char err[256];
    rc.mode = SK_NET_CONNECT;
    rc.port = sk_sender_port(s);
    CHECK_EQ_INT(sk_receiver_create(&r1, &rc, err, sizeof err), 0);
    CHECK_EQ_INT(sk_receiver_create(&r2, &rc, err, sizeof err), 0);
    if (!r1 || !r2)
        goto out;
    sk_sender_stats ss;
    int64_t end = deadline();
    do {
        sk_receiver_poll(r1, 1, on_frame, c1);
        sk_receiver_poll(r2, 1, on_frame, c2);
        sk_sender_poll(s, 1);
        sk_sender_get_stats(s, &ss);
    } while (ss.links < 2 && sk_now_us() < end);
    CHECK_EQ_INT(ss.links, 2);
    int n = 100;
    for (int i = 0; i < n; i++) {
        make_frame(&sent[i], (uint64_t)i, 1, SK_JOINTSET_KINECT1);
        CHECK_EQ_INT(sk_sender_wait_ready(s, 1000), 0);
        CHECK_EQ_INT(sk_sender_send(s, &sent[i]), 0);
        sk_receiver_poll(r1, 0, on_frame, c1);
        sk_receiver_poll(r2, 0, on_frame, c2);
    }
    end = deadline();
    while ((c1->n < n || c2->n < n) && sk_now_us() < end) {
        sk_sender_poll(s, 0);
        sk_receiver_poll(r1, 1, on_frame, c1);
        sk_receiver_poll(r2, 1, on_frame, c2);
    }
    check_exact(c1, sent, n, 1);
    check_exact(c2, sent, n, 1);
    sk_sender_get_stats(s, &ss);
    CHECK_EQ_INT(ss.sent, 2 * n);
    CHECK_EQ_INT(ss.dropped, 0);
out:
    sk_receiver_destroy(r1);
    sk_receiver_destroy(r2);
    sk_sender_destroy(s);
    free(c1);
    free(c2);
}

/* IPv6 loopback, where the machine has it. */
static void test_ipv6(void)
{
    collect *c = coll_new();
    sk_receiver_config rc = {0};
    sk_receiver *r = NULL;
    char err[256];
    rc.host = "::1";
    if (sk_receiver_create(&r, &rc, err, sizeof err) != 0) {
        printf("     (no IPv6 loopback here: %s)\n", err);
        goto out;
    }
    sk_sender_config sc = {0};
    sk_sender *s = NULL;
    sc.host = "::1";
    sc.port = sk_receiver_port(r);
    CHECK_EQ_INT(sk_sender_create(&s, &sc, err, sizeof err), 0);
    if (s) {
        send_frames(s, r, c, sent, 10, 1, SK_JOINTSET_KINECT2);
        sk_sender_flush(s, 1000);
        pump(r, s, c, 10);
        check_exact(c, sent, 10, 0);
        sk_sender_destroy(s);
    }
    sk_receiver_destroy(r);
out:
    free(c);
}

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
}

/* A signal ends an endless wait, so a caller can check its stop flag. */
static void test_signal(void)
{
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    sk_sender *s = sender(0, SK_PROTO_BINARY, 0, 1, 0, 0);
    if (!r || !s)
        goto out;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, &old);
    for (int k = 0; k < 2; k++) {
        got_signal = 0;
        pid_t pid = fork();
        if (pid == 0) { /* signal every 50 ms: one may come before the wait */
            for (int i = 0; i < 200; i++) {
                usleep(50000);
                kill(getppid(), SIGUSR1);
            }
            _exit(0);
        }
        int rc = k == 0 ? sk_receiver_poll(r, -1, NULL, NULL) : sk_sender_poll(s, -1);
        CHECK_EQ_INT(rc, 0);
        CHECK(got_signal);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    sigaction(SIGUSR1, &old, NULL);
out:
    sk_receiver_destroy(r);
    sk_sender_destroy(s);
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

/* No busy waiting: 300 ms of waiting with nothing arriving (an idle
 * listener with idle peers, a receiver connecting to a sensor that is down,
 * a sender whose receiver is down) costs next to no CPU time. A busy loop
 * would burn all 300 ms. */
static void test_idle_cpu(void)
{
    sk_receiver *r = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    sk_receiver *rc_down = NULL;
    sk_sender *s_down = NULL;
    int fds[5] = {-1, -1, -1, -1, -1};
    if (!r)
        goto out;
    for (int i = 0; i < 5; i++)
        fds[i] = raw_connect(sk_receiver_port(r));
    /* a port nobody listens on: the idle listener's, once it is gone */
    sk_receiver *gone = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    int dead_port = gone ? sk_receiver_port(gone) : 1;
    sk_receiver_destroy(gone);
    sk_receiver_config rc = {0};
    char err[256];
    rc.mode = SK_NET_CONNECT;
    rc.port = dead_port;
    CHECK_EQ_INT(sk_receiver_create(&rc_down, &rc, err, sizeof err), 0);
    s_down = sender(dead_port, SK_PROTO_BINARY, 0, 0, 0, 0);
    if (!rc_down || !s_down)
        goto out;
    double t0 = cpu_seconds();
    int64_t end = sk_now_us() + 300000;
    while (sk_now_us() < end) {
        sk_receiver_poll(r, 100, NULL, NULL);
        sk_receiver_poll(rc_down, 100, NULL, NULL);
        sk_sender_poll(s_down, 100);
    }
    double used = cpu_seconds() - t0;
    CHECK_MSG(used < 0.1, "%.3f s of CPU in 0.3 s of waiting", used);
out:
    for (int i = 0; i < 5; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    sk_receiver_destroy(r);
    sk_receiver_destroy(rc_down);
    sk_sender_destroy(s_down);
}

#ifdef COUNT_ALLOCS
/* Once links are up and slots used, sending and receiving frames (TCP text
 * and binary, UDP with reassembly) allocates nothing. */
static void test_no_alloc(void)
{
    collect *c = coll_new();
    sk_receiver *rt = receiver(SK_NET_LISTEN, 0, SK_PROTO_AUTO, 0);
    sk_receiver *ru = receiver(SK_NET_UDP, 0, SK_PROTO_AUTO, 0);
    sk_sender *st = NULL, *sb = NULL, *su = NULL;
    if (!rt || !ru)
        goto out;
    st = sender(sk_receiver_port(rt), SK_PROTO_TEXT, 0, 0, 0, 0);
    sb = sender(sk_receiver_port(rt), SK_PROTO_BINARY, 0, 0, 0, 0);
    su = sender(sk_receiver_port(ru), SK_PROTO_BINARY, 1, 0, 0, 0);
    if (!st || !sb || !su)
        goto out;
    CHECK(alloc_count > 0); /* the counter sees the library's allocations */
    sk_frame f;
    long before = 0;
    for (int round = 0; round < 2; round++) { /* round 0 warms up */
        if (round == 1)
            before = alloc_count;
        for (int i = 0; i < 200; i++) {
            make_frame(&f, (uint64_t)(round * 1000 + i), 1 + i % 3, SK_JOINTSET_KINECT1);
            wait_ready(st, rt, c);
            sk_sender_send(st, &f);
            wait_ready(sb, rt, c);
            sk_sender_send(sb, &f);
            sk_sender_send(su, &f);
            sk_receiver_poll(rt, 0, on_frame, c);
            sk_receiver_poll(ru, 0, on_frame, c);
        }
        sk_sender_flush(st, 1000);
        sk_sender_flush(sb, 1000);
        pump_for(rt, NULL, c, 20);
        pump_for(ru, NULL, c, 20);
    }
    long used = alloc_count - before;
    CHECK_MSG(used == 0, "%ld allocations for 600 frames", used);
    CHECK(c->n >= 2 * 600 - 50); /* the frames did flow */
out:
    sk_sender_destroy(st);
    sk_sender_destroy(sb);
    sk_sender_destroy(su);
    sk_receiver_destroy(rt);
    sk_receiver_destroy(ru);
    free(c);
}
#endif

/* Configuration errors are reported, not crashed on. */
static void test_config(void)
{
    sk_receiver *r = NULL;
    sk_sender *s = NULL;
    char err[256] = "";
    sk_receiver_config rc = {0};
    rc.mode = SK_NET_CONNECT; /* no port */
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), SK_EINVAL);
    CHECK(r == NULL && err[0]);
    rc.mode = SK_NET_LISTEN;
    rc.host = "no.such.host.invalid";
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), SK_EADDR);
    sk_sender_config sc = {0};
    CHECK_EQ_INT(sk_sender_create(&s, &sc, err, sizeof err), SK_EINVAL); /* no port */
    sc.port = 9;
    sc.udp = 1;
    sc.listen = 1;
    CHECK_EQ_INT(sk_sender_create(&s, &sc, err, sizeof err), SK_EINVAL);
    /* Two receivers on one port: the second cannot bind. */
    rc.host = NULL;
    CHECK_EQ_INT(sk_receiver_create(&r, &rc, err, sizeof err), 0);
    if (r) {
        sk_receiver *r2 = NULL;
        rc.port = sk_receiver_port(r);
        CHECK_EQ_INT(sk_receiver_create(&r2, &rc, err, sizeof err), SK_EIO);
        CHECK(strstr(err, "port") != NULL);
        sk_receiver_destroy(r2);
    }
    sk_receiver_destroy(r);
    sk_receiver_destroy(NULL);
    sk_sender_destroy(NULL);
}

int main(void)
{
    /* The library must never raise SIGPIPE: fail loudly if it does. */
    signal(SIGPIPE, SIG_DFL);
    /* Every wait has its own deadline; this one stops a test that would
     * hang anyway (a failure, not a skip), well before ctest's timeout. */
    alarm(200);
    RUN(test_config);
    RUN(test_tcp_listen_text);
    RUN(test_tcp_listen_binary);
    RUN(test_tcp_connect);
    RUN(test_seed_sender);
    RUN(test_seed_receiver);
    RUN(test_seed_repeats);
    RUN(test_stream_end);
    RUN(test_udp);
    RUN(test_receiver_restart);
    RUN(test_half_frame);
    RUN(test_hostile);
    RUN(test_idle_crowd);
    RUN(test_conn_limit);
    RUN(test_emfile);
    RUN(test_slow_receiver);
    RUN(test_sender_fanout);
    RUN(test_ipv6);
    RUN(test_signal);
    RUN(test_idle_cpu);
#ifdef COUNT_ALLOCS
    RUN(test_no_alloc);
#endif
    return check_report();
}
