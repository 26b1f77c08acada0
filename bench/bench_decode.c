/* Decode throughput of the codec on a PRECOG take: every
 * SK_DATA_DIR/precog/Seq*.csv loaded, encoded once into a memory buffer
 * (binary v1, text "%.9g", text "%f" like the original sender), then decoded
 * again and again (>= 1 s per format) fed in 64 KB chunks, as a TCP reader
 * would. Prints frames/s and MB/s per format, one core.
 *
 *   build/bench_decode [DATA_DIR] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "skelact/codec.h"
#include "skelact/data.h"

#ifndef SK_DATA_DIR
#define SK_DATA_DIR "../shared/data"
#endif

#define CHUNK 65536

/* CPU time of this thread, us: the machine may be shared, and frames per
 * CPU-second is what one core does. Wall-clock figures are printed too. */
static int64_t cpu_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
#define MIN_US 1000000

typedef struct stream {
    const char *name;
    int proto;
    char *buf;
    size_t len, cap;
} stream;

static int stream_reserve(stream *s, size_t more)
{
    if (s->len + more <= s->cap)
        return 0;
    size_t nc = s->cap ? s->cap * 2 : 1 << 20;
    while (nc < s->len + more)
        nc *= 2;
    char *b = realloc(s->buf, nc);
    if (!b)
        return -1;
    s->buf = b;
    s->cap = nc;
    return 0;
}

/* One frame's body 0 as a line of "%f" numbers with ", " (the original). */
static int line_f(const sk_frame *f, char *buf, size_t cap)
{
    size_t n = 0;
    for (int j = 0; j < f->njoints; j++) {
        const sk_joint *jt = &f->bodies[0].joints[j];
        int w = snprintf(buf + n, cap - n, "%s%f, %f, %f", j ? ", " : "",
                         (double)jt->x, (double)jt->y, (double)jt->z);
        if (w < 0 || (size_t)w >= cap - n)
            return -1;
        n += (size_t)w;
    }
    if (n + 1 >= cap)
        return -1;
    buf[n++] = '\n';
    return (int)n;
}

/* Decode s over and over for at least MIN_US; returns frames/s (and MB/s). */
static int run(const stream *s, long expect_frames, double *fps, double *mbps,
               double *wall_fps, long *reps_out)
{
    sk_decoder_config cfg = {s->proto, 0, 0};
    sk_decoder *d;
    sk_frame f;
    if (sk_decoder_create(&d, &cfg) != 0)
        return -1;
    int64_t t0 = cpu_us(), t1, w0 = sk_now_us();
    long reps = 0, frames = 0, errors = 0;
    do {
        size_t pos = 0;
        while (pos < s->len) {
            size_t n = s->len - pos < CHUNK ? s->len - pos : CHUNK;
            pos += sk_decoder_feed(d, s->buf + pos, n);
            int rc;
            while ((rc = sk_decoder_next(d, &f)) != SK_EAGAIN) {
                if (rc == 0)
                    frames++;
                else
                    errors++;
            }
        }
        reps++;
        t1 = cpu_us();
    } while (t1 - t0 < MIN_US);
    int64_t w1 = sk_now_us();
    sk_decoder_destroy(d);
    if (errors || frames != expect_frames * reps) {
        fprintf(stderr, "bench_decode: %s: %ld frames, %ld errors (expected %ld)\n",
                s->name, frames, errors, expect_frames * reps);
        return -1;
    }
    double sec = (double)(t1 - t0) / 1e6;
    *fps = (double)frames / sec;
    *mbps = (double)s->len * (double)reps / sec / 1e6;
    *wall_fps = (double)frames / ((double)(w1 - w0) / 1e6);
    *reps_out = reps;
    return 0;
}

/* One-shot sk_binary_decode over the binary stream, message by message (a
 * UDP receiver's path). */
static int run_oneshot(const stream *s, long expect_frames, double *fps,
                       double *mbps, double *wall_fps)
{
    sk_frame f;
    int64_t t0 = cpu_us(), t1, w0 = sk_now_us();
    long frames = 0, reps = 0;
    do {
        size_t pos = 0;
        while (pos < s->len) {
            int n = sk_binary_decode((const uint8_t *)s->buf + pos, s->len - pos,
                                     &f, NULL);
            if (n <= 0)
                return -1;
            pos += (size_t)n;
            frames++;
        }
        reps++;
        t1 = cpu_us();
    } while (t1 - t0 < MIN_US);
    *wall_fps = (double)frames / ((double)(sk_now_us() - w0) / 1e6);
    if (frames != expect_frames * reps)
        return -1;
    double sec = (double)(t1 - t0) / 1e6;
    *fps = (double)frames / sec;
    *mbps = (double)s->len * (double)reps / sec / 1e6;
    return 0;
}

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1] : SK_DATA_DIR;
    char dir[4096], path[8192], err[256];
    snprintf(dir, sizeof dir, "%s/precog", data);
    DIR *dp = opendir(dir);
    if (!dp) {
        fprintf(stderr, "bench_decode: cannot open %s\n", dir);
        return 2;
    }
    stream st[3] = {{"binary v1", SK_PROTO_BINARY, NULL, 0, 0},
                    {"text %.9g", SK_PROTO_TEXT, NULL, 0, 0},
                    {"text %f", SK_PROTO_TEXT, NULL, 0, 0}};
    long nframes = 0;
    int nfiles = 0;
    struct dirent *e;
    char line[4096];
    while ((e = readdir(dp)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (strncmp(e->d_name, "Seq", 3) != 0 || nl < 4 ||
            strcmp(e->d_name + nl - 4, ".csv") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        sk_take t;
        memset(&t, 0, sizeof t);
        if (sk_take_load(&t, path, SK_FORMAT_PRECOG, err, sizeof err) != 0) {
            fprintf(stderr, "bench_decode: %s\n", err);
            closedir(dp);
            return 2;
        }
        for (int i = 0; i < t.nframes; i++) {
            sk_frame *f = &t.frames[i];
            if (stream_reserve(&st[0], SK_BINARY_MAX_FRAME) ||
                stream_reserve(&st[1], sizeof line) ||
                stream_reserve(&st[2], sizeof line))
                return 2;
            int n = sk_binary_encode(f, (uint8_t *)st[0].buf + st[0].len,
                                     st[0].cap - st[0].len);
            int m = sk_text_encode(f, 0, 9, st[1].buf + st[1].len,
                                   st[1].cap - st[1].len);
            int k = line_f(f, st[2].buf + st[2].len, st[2].cap - st[2].len);
            if (n < 0 || m < 0 || k < 0) {
                fprintf(stderr, "bench_decode: cannot encode frame %d of %s\n",
                        i, path);
                return 2;
            }
            st[0].len += (size_t)n;
            st[1].len += (size_t)m;
            st[2].len += (size_t)k;
            nframes++;
        }
        sk_take_free(&t);
        nfiles++;
    }
    closedir(dp);
    if (nframes == 0) {
        fprintf(stderr, "bench_decode: no Seq*.csv in %s\n", dir);
        return 2;
    }

    printf("decode throughput, one core: %d PRECOG takes, %ld frames "
           "(Kinect v1, 1 body, 60 numbers), fed in %d KB chunks, >= 1 s each\n\n",
           nfiles, nframes, CHUNK / 1024);
    printf("%-28s %9s %14s %9s %14s %5s\n", "format", "bytes/frm",
           "frames/cpu-s", "MB/cpu-s", "frames/wall-s", "reps");
    for (int i = 0; i < 3; i++) {
        double fps, mbps, wfps;
        long reps;
        if (run(&st[i], nframes, &fps, &mbps, &wfps, &reps) != 0)
            return 1;
        printf("%-28s %9.1f %14.0f %9.1f %14.0f %5ld\n", st[i].name,
               (double)st[i].len / (double)nframes, fps, mbps, wfps, reps);
    }
    double fps, mbps, wfps;
    if (run_oneshot(&st[0], nframes, &fps, &mbps, &wfps) != 0) {
        fprintf(stderr, "bench_decode: one-shot decode failed\n");
        return 1;
    }
    printf("%-28s %9.1f %14.0f %9.1f %14.0f %5s\n", "binary v1 sk_binary_decode",
           (double)st[0].len / (double)nframes, fps, mbps, wfps, "-");
    FILE *la = fopen("/proc/loadavg", "r");
    char load[64] = "?";
    if (la) {
        if (!fgets(load, sizeof load, la))
            snprintf(load, sizeof load, "?");
        fclose(la);
    }
    printf("\ncpu-s: this thread's CPU time (CLOCK_THREAD_CPUTIME_ID); "
           "load average: %s", load);
    printf("\ntargets (issue 2): binary >= 5,000,000 frames/s; text >= 500,000 frames/s\n");
    for (int i = 0; i < 3; i++)
        free(st[i].buf);
    return 0;
}
