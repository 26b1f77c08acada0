/* skelact demo (interim, until the demo issue): a frame-counting receiver
 * on an ephemeral loopback port in a thread of this process, and the
 * bundled PRECOG takes replayed into it over TCP by the sender library. It
 * prints what went through: frames sent and received, parse errors, drops,
 * and the latency from the sender's timestamp to the decoded frame. */
#include <glob.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "skelact/data.h"
#include "skelact/net.h"
#include "stream_rx.h"

static const char *const CMD = "demo";

#ifndef CLI_DEMO_SECONDS
#define CLI_DEMO_SECONDS 45 /* the demo must stay under a minute at real speed */
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact demo [--fast]\n"
            "\n"
            "Start a frame-counting receiver on an ephemeral port of 127.0.0.1 and\n"
            "replay the bundled PRECOG takes (data/precog/*.csv) into it over TCP\n"
            "(binary) at the sensor's 30 frames/s, at most %d s of them; --fast sends\n"
            "them all flat out. Prints progress, then frames sent and received, parse\n"
            "errors, drops, and the latency from the sender's timestamp to the decoded\n"
            "frame (p50, p99, max).\n",
            CLI_DEMO_SECONDS);
}

typedef struct demo_rx {
    sk_receiver *r;
    int64_t *lat_us;     /* cap latencies, preallocated */
    size_t cap;
    atomic_size_t count; /* frames received */
    atomic_int stop;
    int failed;
} demo_rx;

static void on_frame(void *ctx, uint32_t stream, const sk_frame *f)
{
    demo_rx *d = ctx;
    (void)stream;
    size_t n = atomic_load(&d->count);
    if (n < d->cap)
        d->lat_us[n] = sk_wall_us() - f->timestamp_us;
    atomic_store(&d->count, n + 1);
}

static void *rx_thread(void *arg)
{
    demo_rx *d = arg;
    while (!atomic_load(&d->stop)) {
        if (sk_receiver_poll(d->r, 50, on_frame, d) < 0) {
            d->failed = 1;
            break;
        }
    }
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The bundled takes: ./data/precog, else the source tree's, else the shared
 * dataset beside the project. */
static int find_takes(glob_t *g)
{
    static const char *const dirs[] = {
        "data/precog",
        SK_SOURCE_DIR "/data/precog",
        SK_SOURCE_DIR "/../shared/data/precog",
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char pat[1024];
        snprintf(pat, sizeof pat, "%s/*.csv", dirs[i]);
        if (glob(pat, 0, NULL, g) == 0 && g->gl_pathc > 0)
            return 0;
        globfree(g);
    }
    return -1;
}

int sk_cmd_demo(int argc, char **argv)
{
    int fast = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--fast")) {
            fast = 1;
            continue;
        }
        return cli_usage_error(CMD, "unknown argument '%s' (see skelact demo --help)", argv[i]);
    }

    glob_t g;
    memset(&g, 0, sizeof g);
    if (find_takes(&g) != 0)
        return cli_usage_error(CMD, "no PRECOG takes found in data/precog/");

    int status = 1, nt = 0;
    sk_take *takes = calloc(g.gl_pathc, sizeof *takes);
    sk_receiver *r = NULL;
    sk_sender *s = NULL;
    demo_rx d;
    memset(&d, 0, sizeof d);
    int thread_started = 0;
    pthread_t th;
    size_t total = 0;
    if (!takes)
        goto fail;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char err[512] = "";
        if (sk_take_load(&takes[nt], g.gl_pathv[i], SK_FORMAT_PRECOG, err, sizeof err) != 0) {
            fprintf(stderr, "skelact demo: %s\n", err);
            status = 2;
            goto fail;
        }
        /* At real speed, stop adding takes before the time budget. */
        if (!fast && nt > 0 && (total + (size_t)takes[nt].nframes) / 30.0 > CLI_DEMO_SECONDS) {
            sk_take_free(&takes[nt]);
            break;
        }
        total += (size_t)takes[nt].nframes;
        nt++;
    }

    sk_receiver_config rc;
    memset(&rc, 0, sizeof rc);
    rc.mode = SK_NET_LISTEN;
    rc.host = "127.0.0.1";
    rc.port = 0;
    rc.proto = SK_PROTO_AUTO;
    char err[256] = "";
    if (sk_receiver_create(&r, &rc, err, sizeof err) != 0) {
        fprintf(stderr, "skelact demo: receiver: %s\n", err);
        goto fail;
    }
    d.r = r;
    d.cap = total;
    d.lat_us = calloc(total ? total : 1, sizeof *d.lat_us);
    if (!d.lat_us)
        goto fail;

    sk_sender_config sc;
    memset(&sc, 0, sizeof sc);
    sc.host = "127.0.0.1";
    sc.port = sk_receiver_port(r);
    sc.proto = SK_PROTO_BINARY;
    if (sk_sender_create(&s, &sc, err, sizeof err) != 0) {
        fprintf(stderr, "skelact demo: sender: %s\n", err);
        goto fail;
    }
    if (pthread_create(&th, NULL, rx_thread, &d) != 0)
        goto fail;
    thread_started = 1;
    cli_signals_install();

    printf("skelact demo: receiver on 127.0.0.1:%d; replaying %d take(s), %zu frames, %s\n",
           sk_receiver_port(r), nt, total, fast ? "flat out" : "at 30 frames/s");
    fflush(stdout);
    int64_t ready_end = sk_now_us() + 5000000;
    while (sk_sender_wait_ready(s, 100) != 0 && sk_now_us() < ready_end && !cli_stop)
        ;

    static sk_frame f;
    uint64_t seq = 0;
    int64_t t0 = sk_now_us(), t_start = t0;
    for (int k = 0; k < nt && !cli_stop; k++) {
        for (int i = 0; i < takes[k].nframes && !cli_stop; i++) {
            if (!fast) {
                int64_t due = t0 + (int64_t)(seq * 1000000 / 30);
                for (int64_t left; (left = due - sk_now_us()) > 0 && !cli_stop;) {
                    if (left >= 1000)
                        sk_sender_poll(s, (int)(left / 1000));
                    else
                        sk_sleep_us(left, NULL);
                }
            }
            sk_sender_wait_ready(s, 5000);
            f = takes[k].frames[i];
            f.seq = seq++;
            f.timestamp_us = sk_wall_us();
            sk_sender_send(s, &f);
        }
        const char *name = strrchr(g.gl_pathv[k], '/');
        printf("  take %d/%d %-12s %4d frames   received so far: %zu\n", k + 1, nt,
               name ? name + 1 : g.gl_pathv[k], takes[k].nframes, atomic_load(&d.count));
        fflush(stdout);
    }
    sk_sender_flush(s, 5000);
    sk_sender_stats ss;
    sk_sender_get_stats(s, &ss);
    /* Wait (bounded) for the receiver to decode what the kernel holds. */
    int64_t end = sk_now_us() + 2000000;
    while (atomic_load(&d.count) < ss.sent && sk_now_us() < end && !d.failed)
        sk_sleep_us(1000, NULL);
    int64_t elapsed = sk_now_us() - t_start;
    atomic_store(&d.stop, 1);
    pthread_join(th, NULL);
    thread_started = 0;

    sk_receiver_stats st;
    sk_receiver_get_stats(r, &st);
    size_t n = atomic_load(&d.count);
    if (n > d.cap)
        n = d.cap;
    qsort(d.lat_us, n, sizeof *d.lat_us, cmp_i64);
    printf("sent %llu frames in %.1f s (%llu dropped by the sender); received %llu, "
           "parse_errors=%llu dropped=%llu\n",
           (unsigned long long)ss.sent, elapsed / 1e6, (unsigned long long)ss.dropped,
           (unsigned long long)st.frames, (unsigned long long)st.parse_errors,
           (unsigned long long)st.dropped);
    if (n > 0)
        printf("latency sender timestamp -> decoded frame: p50 %lld us, p99 %lld us, max %lld us\n",
               (long long)d.lat_us[(n - 1) / 2], (long long)d.lat_us[(n - 1) * 99 / 100],
               (long long)d.lat_us[n - 1]);
    status = (st.frames == ss.sent && ss.dropped == 0 && st.parse_errors == 0 && !d.failed) ? 0 : 1;
    if (status)
        printf("skelact demo: frames were lost or garbled (see above)\n");

fail:
    if (thread_started) {
        atomic_store(&d.stop, 1);
        pthread_join(th, NULL);
    }
    sk_sender_destroy(s);
    sk_receiver_destroy(r);
    free(d.lat_us);
    for (int k = 0; takes && k < nt; k++)
        sk_take_free(&takes[k]);
    free(takes);
    globfree(&g);
    return status;
}
