/* The live viewer over HTTP: the page, the event stream, many browsers, a
 * stuck browser, the client limit, bad requests and the request parser. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "skelact/data.h"
#include "skelact/nn.h"
#include "skelact/viewer.h"
#include "viewer/http.h"

#define WAIT_MS 10000 /* a safety net against a hang, never a timing check */

static int dial(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (rcvbuf)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        s += k;
        n -= (size_t)k;
    }
}

/* Read into b (cap bytes, NUL-ended) until needle appears (or EOF with
 * needle NULL). Returns the length read, -1 on timeout or a full buffer. */
static long read_until(int fd, char *b, size_t cap, long have, const char *needle)
{
    long len = have;
    b[len] = 0;
    for (;;) {
        if (needle && strstr(b, needle))
            return len;
        if ((size_t)len + 1 >= cap)
            return -1;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, WAIT_MS) <= 0)
            return -1;
        ssize_t k = recv(fd, b + len, cap - 1 - (size_t)len, 0);
        if (k <= 0)
            return needle ? -1 : len;
        len += k;
        b[len] = 0;
    }
}

/* One request, the whole response (the server closes after it). */
static long request(int port, const char *req, char *b, size_t cap)
{
    int fd = dial(port, 0);
    if (fd < 0)
        return -1;
    send_all(fd, req, strlen(req));
    long n = read_until(fd, b, cap, 0, NULL);
    close(fd);
    return n;
}

static void make_frame(sk_frame *f, uint64_t seq, int nbodies)
{
    sk_frame_init(f, SK_JOINTSET_KINECT1);
    f->seq = seq;
    f->nbodies = (uint8_t)nbodies;
    for (int b = 0; b < nbodies; b++) {
        f->bodies[b].id = 100 + (uint32_t)b;
        for (int j = 0; j < f->njoints; j++) {
            f->bodies[b].joints[j].x = 0.125f * (float)b + 0.01f * (float)j;
            f->bodies[b].joints[j].y = 0.5f - 0.05f * (float)j;
            f->bodies[b].joints[j].z = 2.25f;
            f->bodies[b].joints[j].state = SK_TRACK_TRACKED;
        }
    }
}

static sk_viewer *start(int max_clients)
{
    sk_viewer_config cfg = {NULL, 0, max_clients};
    sk_viewer *v = NULL;
    char err[256] = "";
    int rc = sk_viewer_create(&v, &cfg, err, sizeof err);
    CHECK_MSG(rc == 0 && v, "create: %d %s", rc, err);
    return v;
}

static char *read_file(const char *path, long *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    *n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)*n + 1);
    if (s && fread(s, 1, (size_t)*n, fp) != (size_t)*n) {
        free(s);
        s = NULL;
    }
    fclose(fp);
    return s;
}

static void test_page(void)
{
    sk_viewer *v = start(0);
    if (!v)
        return;
    CHECK(sk_viewer_port(v) > 0);
    static char b[256 * 1024];
    long n = request(sk_viewer_port(v), "GET / HTTP/1.1\r\nHost: x\r\n\r\n", b, sizeof b);
    CHECK(n > 0);
    CHECK(!strncmp(b, "HTTP/1.1 200 OK\r\n", 17));
    CHECK(strstr(b, "Content-Type: text/html") != NULL);
    char *body = strstr(b, "\r\n\r\n");
    long flen = 0;
    char *file = read_file("src/viewer/page.html", &flen);
    CHECK_MSG(file != NULL, "src/viewer/page.html (run from the source folder)");
    if (body && file) {
        body += 4;
        CHECK_MSG(n - (body - b) == flen && !memcmp(body, file, (size_t)flen),
                  "the served page differs from src/viewer/page.html: run src/viewer/gen_page.sh");
        char cl[64];
        snprintf(cl, sizeof cl, "Content-Length: %ld\r\n", flen);
        CHECK(strstr(b, cl) != NULL);
    }
    free(file);
    /* Offline: nothing fetched from elsewhere. */
    CHECK(strstr(body ? body : "", "http://") == NULL && strstr(body ? body : "", "https://") == NULL);
    n = request(sk_viewer_port(v), "HEAD / HTTP/1.0\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 200", 12) && strstr(b, "\r\n\r\n") == b + n - 4);
    n = request(sk_viewer_port(v), "GET /nothing HTTP/1.1\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 404", 12));
    /* A client that half-closes after its request still gets the whole page. */
    int fd = dial(sk_viewer_port(v), 0);
    CHECK(fd >= 0);
    if (fd >= 0) {
        send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18);
        shutdown(fd, SHUT_WR);
        n = read_until(fd, b, sizeof b, 0, NULL);
        CHECK(n > 0 && !strncmp(b, "HTTP/1.1 200", 12) && strstr(b, "</html>\n") == b + n - 8);
        close(fd);
    }
    sk_viewer_stats st;
    sk_viewer_get_stats(v, &st);
    CHECK_EQ_INT(st.requests, 4);
    CHECK_EQ_INT(st.bad_requests, 0);
    sk_viewer_destroy(v);
}

/* Open /events and read up to the hello. Returns the fd or -1. */
static int open_events(int port, int rcvbuf, char *b, size_t cap)
{
    int fd = dial(port, rcvbuf);
    if (fd < 0)
        return -1;
    const char *req = "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
    send_all(fd, req, strlen(req));
    if (rcvbuf)
        return fd; /* a stuck browser: reads nothing, ever */
    if (read_until(fd, b, cap, 0, "\"t\":\"hello\"") < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Push frame seq (and more, until seen) and read fd until it arrives. */
static int see_frame(sk_viewer *v, int fd, uint64_t seq, char *b, size_t cap)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"seq\":%llu,", (unsigned long long)seq);
    sk_frame f;
    make_frame(&f, seq, 2);
    sk_viewer_push_frame(v, 7, &f, NULL);
    return read_until(fd, b, cap, 0, needle) >= 0;
}

static void test_stream(void)
{
    sk_viewer *v = start(0);
    if (!v)
        return;
    const char *names[] = {"null", "wave \"hi\"", "kick"};
    CHECK_EQ_INT(sk_viewer_set_labels(v, names, 3), 0);
    static char b[1 << 20];
    int fd = open_events(sk_viewer_port(v), 0, b, sizeof b);
    CHECK(fd >= 0);
    if (fd < 0) {
        sk_viewer_destroy(v);
        return;
    }
    CHECK(strstr(b, "Content-Type: text/event-stream") != NULL);
    CHECK(strstr(b, "\"labels\":[\"null\",\"wave \\\"hi\\\"\",\"kick\"]") != NULL);
    CHECK(strstr(b, "\"bones\":[[") != NULL);
    CHECK(see_frame(v, fd, 41, b, sizeof b));
    char *m = strstr(b, "\"seq\":41,");
    CHECK(m && strstr(m, "\"js\":1") && strstr(m, "\"id\":101,\"j\":[0.125,0.500,2.250,"));
    CHECK(m && !strstr(m, "\"probs\"")); /* no recognizer: skeletons only */

    sk_event ev = {SK_EVENT_START, 2, "kick", 7, 101, 41, 0.75f, 0, 1234};
    CHECK_EQ_INT(sk_viewer_push_event(v, &ev), 0);
    CHECK(read_until(fd, b, sizeof b, 0, "\"t\":\"event\"") >= 0);
    m = strstr(b, "\"t\":\"event\"");
    CHECK(m && strstr(m, "\"kind\":\"start\",\"label\":2,\"name\":\"kick\",\"stream\":7,"
                         "\"body\":101,\"frame\":41,\"confidence\":0.750,\"latency_us\":1234"));
    /* Stats arrive once a second. */
    CHECK(read_until(fd, b, sizeof b, 0, "\"t\":\"stats\"") >= 0);
    sk_viewer_stats st;
    sk_viewer_get_stats(v, &st);
    CHECK_EQ_INT(st.frames, 1);
    CHECK_EQ_INT(st.clients, 1);
    close(fd);
    sk_viewer_destroy(v);
}

static void test_many_and_stuck(void)
{
    sk_viewer *v = start(0);
    if (!v)
        return;
    int port = sk_viewer_port(v);
    static char b[1 << 20];
    /* A stuck browser: tiny receive buffer, never reads. */
    int stuck = open_events(port, 2048, b, sizeof b);
    CHECK(stuck >= 0);
    int fds[5];
    for (int i = 0; i < 5; i++) {
        fds[i] = open_events(port, 0, b, sizeof b);
        CHECK(fds[i] >= 0);
    }
    /* Every reader sees the frames; keep pushing (6 bodies, 8 streams) until
     * the stuck one has lost messages. Pushes never wait. */
    sk_frame f;
    sk_viewer_stats st;
    uint64_t seq = 1000;
    int rounds = 0;
    do {
        for (uint32_t s = 0; s < SK_VIEWER_STREAMS; s++) {
            make_frame(&f, seq, SK_MAX_BODIES);
            CHECK_EQ_INT(sk_viewer_push_frame(v, s, &f, NULL), 0);
        }
        seq++;
        /* The readers drain what they get. */
        for (int i = 0; i < 5; i++) {
            struct pollfd p = {.fd = fds[i], .events = POLLIN};
            while (poll(&p, 1, 0) > 0 && recv(fds[i], b, sizeof b, 0) > 0) {
            }
        }
        usleep(5000);
        sk_viewer_get_stats(v, &st);
    } while (st.dropped == 0 && ++rounds < 4000);
    CHECK_MSG(st.dropped > 0, "the stuck browser never lost a message");
    /* A stream beyond the slots is refused and counted. */
    make_frame(&f, 1, 1);
    CHECK_EQ_INT(sk_viewer_push_frame(v, 999, &f, NULL), SK_ELIMIT);
    /* The readers still get fresh frames while the stuck one stays stuck. */
    for (int i = 0; i < 5; i++)
        CHECK_MSG(fds[i] >= 0 && see_frame(v, fds[i], 900000 + (uint64_t)i, b, sizeof b),
                  "reader %d", i);
    sk_viewer_get_stats(v, &st);
    CHECK_EQ_INT(st.clients, 6);
    CHECK(st.streams_refused == 1);
    for (int i = 0; i < 5; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    close(stuck);
    sk_viewer_destroy(v);
}

static void test_client_limit(void)
{
    sk_viewer *v = start(2);
    if (!v)
        return;
    int port = sk_viewer_port(v);
    static char b[65536];
    int a = open_events(port, 0, b, sizeof b), c = open_events(port, 0, b, sizeof b);
    CHECK(a >= 0 && c >= 0);
    long n = request(port, "GET /events HTTP/1.1\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 503", 12));
    sk_viewer_stats st;
    sk_viewer_get_stats(v, &st);
    CHECK_EQ_INT(st.refused, 1);
    CHECK_EQ_INT(st.clients, 2);
    close(a);
    /* A place frees up once a browser leaves. */
    int d = -1;
    for (int i = 0; i < 100 && d < 0; i++) {
        d = open_events(port, 0, b, sizeof b);
        if (d < 0)
            usleep(20000);
    }
    CHECK(d >= 0);
    if (d >= 0)
        close(d);
    close(c);
    sk_viewer_destroy(v);
}

/* Any address the receivers take: an IPv6 loopback, and a bad host is
 * SK_EADDR with a message. */
static void test_addresses(void)
{
    sk_viewer_config cfg = {"::1", 0, 0};
    sk_viewer *v = NULL;
    char err[256] = "";
    int rc = sk_viewer_create(&v, &cfg, err, sizeof err);
    if (rc != 0) {
        printf("     (no IPv6 loopback here: %s)\n", err);
    } else {
        int fd = socket(AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in6 sa;
        memset(&sa, 0, sizeof sa);
        sa.sin6_family = AF_INET6;
        sa.sin6_port = htons((uint16_t)sk_viewer_port(v));
        sa.sin6_addr = in6addr_loopback;
        CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        static char b[65536];
        const char *req = "GET /?frames=3 HTTP/1.1\r\n\r\n";
        send_all(fd, req, strlen(req));
        long n = read_until(fd, b, sizeof b, 0, NULL);
        CHECK(n > 0 && !strncmp(b, "HTTP/1.1 200", 12));
        if (fd >= 0)
            close(fd);
        sk_viewer_destroy(v);
    }
    cfg.host = "no.such.host.invalid";
    v = NULL;
    err[0] = 0;
    CHECK_EQ_INT(sk_viewer_create(&v, &cfg, err, sizeof err), SK_EADDR);
    CHECK(v == NULL && err[0] != 0);
}

static void test_bad_requests(void)
{
    sk_viewer *v = start(0);
    if (!v)
        return;
    int port = sk_viewer_port(v);
    static char b[65536];
    long n = request(port, "GARBAGE\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 400", 12));
    n = request(port, "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 405", 12));
    n = request(port, "GET / HTTP/2.0\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 505", 12));
    n = request(port, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 400", 12));
    /* A head past the limit: 431, and the server reads no further. */
    static char big[3 * SK_HTTP_MAX_HEAD];
    strcpy(big, "GET / HTTP/1.1\r\nX-Long: ");
    memset(big + strlen(big), 'a', sizeof big - strlen(big) - 1);
    n = request(port, big, b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 431", 12));
    /* A target past the limit. */
    static char path[SK_HTTP_MAX_PATH + 64];
    strcpy(path, "GET /");
    memset(path + 5, 'p', SK_HTTP_MAX_PATH);
    strcpy(path + 5 + SK_HTTP_MAX_PATH, " HTTP/1.1\r\n\r\n");
    n = request(port, path, b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 431", 12));
    sk_viewer_stats st;
    sk_viewer_get_stats(v, &st);
    CHECK_EQ_INT(st.bad_requests, 6);
    /* Still serving. */
    n = request(port, "GET /?frames=3 HTTP/1.1\r\n\r\n", b, sizeof b);
    CHECK(n > 0 && !strncmp(b, "HTTP/1.1 200", 12));
    sk_viewer_destroy(v);
}

static void test_parser(void)
{
    sk__http_req r;
    const char *ok = "GET /events?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  */*\r\n\r\nextra";
    size_t head = strlen(ok) - 5;
    CHECK_EQ_INT(sk__http_parse(ok, strlen(ok), 0, &r), 0);
    CHECK_EQ_INT(r.head_len, head);
    CHECK(!strcmp(r.path, "/events"));
    CHECK_EQ_INT(r.method, SK__HTTP_GET);
    CHECK_EQ_INT(r.minor, 1);
    CHECK_EQ_INT(r.headers, 2);
    for (size_t n = 0; n < head; n++)
        CHECK_EQ_INT(sk__http_parse(ok, n, 0, &r), SK_EAGAIN);
    CHECK_EQ_INT(sk__http_parse("GET / HTTP/1.0\n\n", 16, 0, &r), 0); /* bare LF lines */
    CHECK_EQ_INT(sk__http_parse("GET / HTTP/1.0\r\nA: b\r\n c\r\n\r\n", 27, 0, &r), SK_EPROTO);
    CHECK_EQ_INT(sk__http_parse("GET x HTTP/1.1\r\n\r\n", 18, 0, &r), SK_EPROTO);
    CHECK_EQ_INT(sk__http_parse("GET / HTTP/1.1 \r\n\r\n", 19, 0, &r), SK_EPROTO);
    CHECK_EQ_INT(sk__http_parse("GET / HTTP/3.0\r\n\r\n", 18, 0, &r), SK_EUNSUPPORTED);
    CHECK_EQ_INT(sk__http_parse("G\0T", 3, 0, &r), SK_EPROTO); /* early: no newline yet */
    CHECK_EQ_INT(sk__http_parse("GET / HTTP/1.1\r\nA: b", 20, 20, &r), SK_ELIMIT);
    char many[SK_HTTP_MAX_HEAD];
    size_t n = (size_t)snprintf(many, sizeof many, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= SK_HTTP_MAX_HEADERS; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "H%d: v\r\n", i);
    n += (size_t)snprintf(many + n, sizeof many - n, "\r\n");
    CHECK_EQ_INT(sk__http_parse(many, n, 0, &r), SK_ELIMIT);
}

static void serve_event(void *ctx, const sk_event *ev)
{
    sk_viewer_push_event(ctx, ev);
}

/* test_viewer --serve TAKE [MODEL] [SECONDS]: serve the viewer on a free
 * port (printed as "port N" on stdout) while the take is pushed at 30 fps,
 * round and round, through a recognizer for MODEL if given ("-" = none), for
 * SECONDS (default 60; negative: serve that long without pushing a frame).
 * For a look at the page in a browser. */
static int serve(int argc, char **argv)
{
    sk_take t;
    char err[512] = "";
    memset(&t, 0, sizeof t);
    if (sk_take_load(&t, argv[2], SK_FORMAT_AUTO, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    sk_model *m = NULL;
    sk_recognizer *rec = NULL;
    if (argc > 3 && strcmp(argv[3], "-") != 0) {
        sk_recognizer_config rc;
        sk_recognizer_config_default(&rc);
        if (sk_model_load(&m, argv[3], err, sizeof err) != 0 ||
            sk_recognizer_create(&rec, m, &rc) != 0) {
            fprintf(stderr, "%s: %s\n", argv[3], err);
            return 2;
        }
    }
    int seconds = argc > 4 ? atoi(argv[4]) : 60;
    sk_viewer *v = NULL;
    if (sk_viewer_create(&v, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (m) {
        const sk_model_header *h = sk_model_header_get(m);
        const char *names[SK_MAX_CLASSES];
        for (int k = 0; k < h->nlabels && k < SK_MAX_CLASSES; k++)
            names[k] = h->labels[k];
        sk_viewer_set_labels(v, names, h->nlabels);
    }
    printf("port %d\n", sk_viewer_port(v));
    fflush(stdout);
    int64_t start = sk_now_us();
    if (seconds < 0)
        sk_sleep_us(-(int64_t)seconds * 1000000, NULL);
    for (uint64_t i = 0; sk_now_us() - start < (int64_t)seconds * 1000000; i++) {
        sk_frame f = t.frames[i % (uint64_t)t.nframes];
        f.seq = i;
        f.arrival_us = sk_now_us();
        if (rec)
            sk_recognizer_push(rec, 0, &f, serve_event, v);
        sk_viewer_push_frame(v, 0, &f, rec);
        sk_sleep_us(33333, NULL);
    }
    sk_viewer_destroy(v);
    sk_recognizer_destroy(rec);
    sk_model_destroy(m);
    sk_take_free(&t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "--serve"))
        return serve(argc, argv);
    RUN(test_parser);
    RUN(test_page);
    RUN(test_stream);
    RUN(test_bad_requests);
    RUN(test_addresses);
    RUN(test_client_limit);
    RUN(test_many_and_stuck);
    return check_report();
}
