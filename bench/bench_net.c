/* Loopback network benchmark: the sender library into a receiver in another
 * thread of this process.
 *
 *   throughput  TCP frames/s flat out (binary and text), lossless: the
 *               sender waits for queue room (sk_sender_wait_ready) as
 *               `skelact replay --speed 0` does;
 *   latency     sender's timestamp (sk_wall_us() just before
 *               sk_sender_send, kept by frame index since text carries no
 *               timestamp) to the decoded frame in the receiver's callback, p50 / p99 / max, at 30 frames/s and flat out, for
 *               TCP binary, TCP text and UDP binary.
 *
 * Frames: the first PRECOG take of SK_DATA_DIR (one body, 20 joints), or a
 * synthetic frame of that shape if the dataset is missing. Prints figures;
 * never passes or fails.
 *
 * usage: bench_net [--seconds S]   (S of frames at 30 fps per transport,
 *                                    default 10)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/data.h"
#include "skelact/net.h"

#ifndef BENCH_THROUGHPUT_FRAMES
#define BENCH_THROUGHPUT_FRAMES 200000 /* ~1-2 s of loopback flat out */
#endif
#ifndef BENCH_FLAT_LATENCY_FRAMES
#define BENCH_FLAT_LATENCY_FRAMES 20000
#endif

/* Sender's wall clock at each send, by frame index. Text frames carry no
 * timestamp: the receiver numbers a stream's text frames 0, 1, 2..., which
 * is the index when nothing is lost. Binary frames keep the sender's seq. */
static _Atomic int64_t *sent_at;

typedef struct rx_side {
    sk_receiver *r;
    int64_t *lat_us; /* cap entries */
    size_t cap;
    atomic_size_t count;
    atomic_int stop;
} rx_side;

static void on_frame(void *ctx, uint32_t stream, const sk_frame *f)
{
    rx_side *x = ctx;
    (void)stream;
    size_t n = atomic_load_explicit(&x->count, memory_order_relaxed);
    if (n < x->cap && f->seq < x->cap)
        x->lat_us[n] = sk_wall_us() - atomic_load_explicit(&sent_at[f->seq], memory_order_acquire);
    atomic_store_explicit(&x->count, n + 1, memory_order_release);
}

static void *rx_thread(void *arg)
{
    rx_side *x = arg;
    while (!atomic_load(&x->stop))
        if (sk_receiver_poll(x->r, 20, on_frame, x) < 0)
            break;
    return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static sk_take take;

static void synthetic_take(void)
{
    take.nframes = 300;
    take.frames = calloc((size_t)take.nframes, sizeof *take.frames);
    if (!take.frames)
        exit(1);
    for (int i = 0; i < take.nframes; i++) {
        sk_frame *f = &take.frames[i];
        sk_frame_init(f, SK_JOINTSET_KINECT1);
        f->nbodies = 1;
        for (int j = 0; j < 20; j++)
            f->bodies[0].joints[j] = (sk_joint){0.01f * j, 0.5f + 0.001f * i, 2.5f, SK_TRACK_TRACKED};
    }
}

/* One run: n frames over the given transport, paced at fps (0 = flat out).
 * Prints one line. */
static void run(const char *name, int proto, int udp, int n, double fps, int latency)
{
    rx_side x;
    memset(&x, 0, sizeof x);
    x.cap = (size_t)n;
    x.lat_us = calloc((size_t)n, sizeof *x.lat_us);
    sent_at = calloc((size_t)n, sizeof *sent_at);
    sk_receiver_config rc;
    memset(&rc, 0, sizeof rc);
    rc.mode = udp ? SK_NET_UDP : SK_NET_LISTEN;
    rc.proto = proto;
    char err[256] = "";
    sk_sender *s = NULL;
    pthread_t th;
    if (!x.lat_us || !sent_at || sk_receiver_create(&x.r, &rc, err, sizeof err) != 0) {
        printf("%-28s receiver: %s\n", name, err);
        goto out;
    }
    sk_sender_config sc;
    memset(&sc, 0, sizeof sc);
    sc.port = sk_receiver_port(x.r);
    sc.proto = proto;
    sc.udp = udp;
    if (sk_sender_create(&s, &sc, err, sizeof err) != 0) {
        printf("%-28s sender: %s\n", name, err);
        goto out;
    }
    if (pthread_create(&th, NULL, rx_thread, &x) != 0)
        goto out;
    for (int i = 0; i < 100 && sk_sender_wait_ready(s, 50) != 0; i++)
        ;

    static sk_frame f;
    int64_t t0 = sk_now_us();
    for (int i = 0; i < n; i++) {
        if (fps > 0) {
            int64_t due = t0 + (int64_t)(i * 1e6 / fps);
            for (int64_t left; (left = due - sk_now_us()) > 0;) {
                if (left > 2000)
                    sk_sender_poll(s, (int)(left / 1000) - 1);
                else
                    sk_sleep_us(left, NULL);
            }
        }
        sk_sender_wait_ready(s, 2000);
        f = take.frames[i % take.nframes];
        f.seq = (uint64_t)i;
        f.timestamp_us = sk_wall_us();
        atomic_store_explicit(&sent_at[i], f.timestamp_us, memory_order_release);
        sk_sender_send(s, &f);
    }
    sk_sender_flush(s, 5000);
    sk_sender_stats ss;
    sk_sender_get_stats(s, &ss);
    int64_t end = sk_now_us() + 3000000;
    while (atomic_load_explicit(&x.count, memory_order_acquire) < ss.sent && sk_now_us() < end)
        sk_sleep_us(200, NULL);
    int64_t t1 = sk_now_us();
    atomic_store(&x.stop, 1);
    pthread_join(th, NULL);

    size_t got = atomic_load(&x.count);
    sk_receiver_stats st;
    sk_receiver_get_stats(x.r, &st);
    if (got > x.cap)
        got = x.cap;
    double secs = (t1 - t0) / 1e6;
    printf("%-22s %6d sent %6llu received %5lld lost %llu errors", name, n,
           (unsigned long long)st.frames, (long long)n - (long long)st.frames,
           (unsigned long long)st.parse_errors);
    if (!latency) {
        printf("  %9.0f frames/s  %6.1f MB/s\n", got / secs, st.bytes / secs / 1e6);
    } else if (got > 0) {
        qsort(x.lat_us, got, sizeof *x.lat_us, cmp_i64);
        printf("  latency p50 %5lld us  p99 %5lld us  max %6lld us\n",
               (long long)x.lat_us[(got - 1) / 2], (long long)x.lat_us[(got - 1) * 99 / 100],
               (long long)x.lat_us[got - 1]);
    } else {
        printf("  nothing received\n");
    }
    fflush(stdout);
out:
    sk_sender_destroy(s);
    sk_receiver_destroy(x.r);
    free(x.lat_us);
    free((void *)sent_at);
    sent_at = NULL;
}

int main(int argc, char **argv)
{
    int seconds = 10;
    if (argc == 3 && !strcmp(argv[1], "--seconds"))
        seconds = atoi(argv[2]);
    if (seconds < 1)
        seconds = 1;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/precog/Seq1_1.csv",
             getenv("SK_DATA_DIR") ? getenv("SK_DATA_DIR") : SK_DATA_DIR);
    if (sk_take_load(&take, path, SK_FORMAT_PRECOG, err, sizeof err) != 0) {
        printf("(%s; using a synthetic 20-joint frame)\n", err);
        synthetic_take();
    } else {
        printf("frames of %s (%d frames, 1 body, 20 joints), loopback, 2 threads\n", path,
               take.nframes);
    }

    printf("\nthroughput, flat out, lossless (sender waits for queue room):\n");
    run("tcp binary", SK_PROTO_BINARY, 0, BENCH_THROUGHPUT_FRAMES, 0, 0);
    run("tcp text", SK_PROTO_TEXT, 0, BENCH_THROUGHPUT_FRAMES / 2, 0, 0);

    int n30 = 30 * seconds;
    printf("\nlatency, sender timestamp -> decoded frame, at 30 frames/s (%d s each):\n", seconds);
    run("tcp binary 30fps", SK_PROTO_BINARY, 0, n30, 30, 1);
    run("tcp text 30fps", SK_PROTO_TEXT, 0, n30, 30, 1);
    run("udp binary 30fps", SK_PROTO_BINARY, 1, n30, 30, 1);

    printf("\nlatency flat out (queues full: mostly queueing delay):\n");
    run("tcp binary flat out", SK_PROTO_BINARY, 0, BENCH_FLAT_LATENCY_FRAMES, 0, 1);
    run("tcp text flat out", SK_PROTO_TEXT, 0, BENCH_FLAT_LATENCY_FRAMES, 0, 1);
    run("udp binary flat out", SK_PROTO_BINARY, 1, BENCH_FLAT_LATENCY_FRAMES, 0, 1);
    sk_take_free(&take);
    return 0;
}
