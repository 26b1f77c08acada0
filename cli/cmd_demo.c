/* skelact demo: the main job on the bundled data. A recognizer with the
 * shipped model (the library path of `skelact recognize`: receiver ->
 * recognizer -> events) listens on an ephemeral 127.0.0.1 port; a sender
 * thread replays the bundled PRECOG takes into it over TCP (one connection
 * per take, binary protocol) at the sensor's 30 frames/s. Each recognized
 * move is printed as it happens, with the key the default key map would
 * press (dry-run); a summary scores the events against the takes' true
 * labels with the scorer of `skelact eval` (src/recognizer/score.c). */
#include <glob.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "demo_keys.h"
#include "skelact/data.h"
#include "skelact/net.h"
#include "skelact/recognizer.h"
#include "stream_rx.h"

static const char *const CMD = "demo";

#ifndef DEMO_FPS
#define DEMO_FPS 30 /* PRECOG's sensor rate: the takes carry no timestamps */
#endif
#ifndef DEMO_DRAIN_MS
#define DEMO_DRAIN_MS 3000 /* after the sender is done, wait this long at most for the last frames */
#endif
#ifndef DEMO_CONNECT_MS
#define DEMO_CONNECT_MS 5000 /* a loopback connection that is not up by then will not come */
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact demo [--fast | --speed X] [--takes N] [--model M]\n"
            "                    [--data DIR] [--keys MAP]\n"
            "\n"
            "The main job on the bundled data: start a recognizer with the shipped\n"
            "model on an ephemeral port of 127.0.0.1, replay the bundled PRECOG takes\n"
            "(data/precog/*.csv) into it over TCP at the sensor's %d frames/s, one\n"
            "connection per take, and print each recognized move as it happens: time\n"
            "since start, take, frame, body, move, confidence, latency (frame arrival\n"
            "to event) and the key the default key map would press (dry-run: no key\n"
            "is sent), with the true move at that frame. Then a summary against the\n"
            "takes' true labels, scored as `skelact eval` scores them: hits, misses,\n"
            "false alarms, delay in frames from a move's start, frame accuracy.\n"
            "\n"
            "  --fast        send flat out instead of at real speed\n"
            "  --speed X     replay speed factor (1 = real speed, the default)\n"
            "  --takes N     replay only the first N takes\n"
            "  --model M     model (default models/precog.model)\n"
            "  --data DIR    takes (default data/precog)\n"
            "  --keys MAP    key map (default keys/precog.keys)\n"
            "\n"
            "Colour only when standard output is a terminal (and NO_COLOR is unset).\n"
            "Exit status: 0 done, 2 bad arguments or missing model, takes or map,\n"
            "1 the sockets failed.\n",
            DEMO_FPS);
}

typedef struct demo_take {
    sk_take t;
    const char *name;     /* file name (borrowed from the glob) */
    uint64_t seq0;        /* sequence number of its first frame */
    int *pred;            /* (nframes) reported label per frame */
    sk_score_event *ev;   /* (cap) START events, take-local frames */
    int nev, cap;
} demo_take;

typedef struct demo {
    demo_take *takes;
    int nt;
    const sk_model_header *h;
    sk_recognizer *rec;
    demo_keys *keys;      /* NULL: no key column */
    int64_t t_start;
    int cur;              /* take of the frame being pushed */
    int announced;        /* last take whose first frame was announced */
    int colour;
    uint64_t frames;      /* frames received */
    int64_t *lat_us;      /* (lat_cap) latencies of the START events */
    size_t nlat, lat_cap;
} demo;

typedef struct demo_sender {
    const demo_take *takes;
    int nt;
    int port;
    double speed;         /* 0 = flat out */
    atomic_int done;
    uint64_t sent, dropped;
    int failed;
    char err[256];
} demo_sender;

/* ---- sending ------------------------------------------------------------ */

static void *sender_thread(void *arg)
{
    demo_sender *js = arg;
    static sk_frame f; /* ~10 KB; this thread is the only user */
    int64_t t0 = sk_now_us();
    for (int k = 0; k < js->nt && !cli_stop && !js->failed; k++) {
        const demo_take *tk = &js->takes[k];
        sk_sender *s = NULL;
        sk_sender_config sc;
        memset(&sc, 0, sizeof sc);
        sc.host = "127.0.0.1";
        sc.port = js->port;
        sc.proto = SK_PROTO_BINARY;
        if (sk_sender_create(&s, &sc, js->err, sizeof js->err) != 0) {
            js->failed = 1;
            break;
        }
        if (sk_sender_wait_ready(s, DEMO_CONNECT_MS) != 0) {
            snprintf(js->err, sizeof js->err, "no connection to 127.0.0.1:%d", js->port);
            js->failed = 1;
            sk_sender_destroy(s);
            break;
        }
        for (int i = 0; i < tk->t.nframes && !cli_stop; i++) {
            uint64_t seq = tk->seq0 + (uint64_t)i;
            if (js->speed > 0) {
                int64_t due = t0 + (int64_t)((double)seq * 1e6 / (DEMO_FPS * js->speed));
                for (int64_t left; (left = due - sk_now_us()) > 0 && !cli_stop;) {
                    if (left >= 1000)
                        sk_sender_poll(s, (int)(left / 1000));
                    else
                        sk_sleep_us(left, NULL);
                }
            }
            sk_sender_wait_ready(s, DEMO_CONNECT_MS);
            f = tk->t.frames[i];
            f.seq = seq;
            f.timestamp_us = sk_wall_us();
            sk_sender_send(s, &f); /* a drop is counted in the stats */
        }
        sk_sender_flush(s, DEMO_CONNECT_MS);
        sk_sender_stats ss;
        sk_sender_get_stats(s, &ss);
        js->sent += ss.sent;
        js->dropped += ss.dropped;
        sk_sender_destroy(s);
    }
    atomic_store(&js->done, 1);
    return NULL;
}

/* ---- receiving and recognizing ------------------------------------------- */

static const char *label_name(const demo *d, int label)
{
    return label >= 0 && label < d->h->nlabels ? d->h->labels[label] : "?";
}

static void on_event(void *ctx, const sk_event *ev)
{
    demo *d = ctx;
    demo_take *tk = &d->takes[d->cur];
    int64_t local = (int64_t)(ev->frame - tk->seq0);
    const char *key = d->keys ? demo_keys_event(d->keys, ev,
                                                (int64_t)ev->frame * 1000000 / DEMO_FPS)
                              : NULL;
    if (ev->kind != SK_EVENT_START || local < 0 || local >= tk->t.nframes)
        return;
    if (tk->nev < tk->cap) {
        tk->ev[tk->nev].frame = (int)local;
        tk->ev[tk->nev].label = ev->label;
        tk->nev++;
    }
    if (d->nlat < d->lat_cap)
        d->lat_us[d->nlat++] = ev->latency_us;
    int truth = tk->t.labels ? tk->t.labels[local] : 0;
    const char *on = "", *off = "";
    if (d->colour) {
        on = truth == ev->label ? "\033[1;32m" : "\033[1;33m";
        off = "\033[0m";
    }
    double t = (double)(sk_now_us() - d->t_start) / 1e6;
    printf("%7.2f  %-11s %5lld %5lu  %s%-17s%s %5.2f %8lld  %-6s %s\n", t, tk->name,
           (long long)local, (unsigned long)ev->body, on, ev->name, off,
           (double)ev->confidence, (long long)ev->latency_us, key ? key : "",
           label_name(d, truth));
    fflush(stdout);
}

static void on_frame(void *ctx, uint32_t stream, const sk_frame *f)
{
    demo *d = ctx;
    d->frames++;
    int k = d->nt - 1;
    while (k > 0 && f->seq < d->takes[k].seq0)
        k--;
    demo_take *tk = &d->takes[k];
    if (f->seq < tk->seq0 || f->seq - tk->seq0 >= (uint64_t)tk->t.nframes)
        return; /* not one of ours */
    d->cur = k;
    if (k > d->announced) {
        int moves = 0;
        for (int i = 0; tk->t.labels && i < tk->t.nframes; i++)
            moves += tk->t.labels[i] != 0 && (i == 0 || tk->t.labels[i - 1] != tk->t.labels[i]);
        printf("%s  -- take %d/%d: %s, %d frames (%.1f s), %d true moves --%s\n",
               d->colour ? "\033[2m" : "", k + 1, d->nt, tk->name, tk->t.nframes,
               (double)tk->t.nframes / DEMO_FPS, moves, d->colour ? "\033[0m" : "");
        fflush(stdout);
        d->announced = k;
    }
    sk_recognizer_push(d->rec, stream, f, on_event, d); /* refusals are counted */
    sk_body_state st;
    if (f->nbodies > 0 &&
        sk_recognizer_body_state(d->rec, stream, f->bodies[0].id, &st) == 0)
        tk->pred[f->seq - tk->seq0] = st.label;
}

static void on_end_event(void *ctx, const sk_event *ev)
{
    demo *d = ctx;
    if (d->keys)
        demo_keys_event(d->keys, ev, (int64_t)ev->frame * 1000000 / DEMO_FPS);
}

/* ---- setup -------------------------------------------------------------- */

/* path if it exists, else the source tree's copy; NULL if neither. */
static const char *find_file(const char *path, char *buf, size_t len)
{
    if (access(path, R_OK) == 0)
        return path;
    snprintf(buf, len, "%s/%s", SK_SOURCE_DIR, path);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void print_summary(const demo *d, const sk_score_result *res, double secs)
{
    printf("\n");
    printf("summary: %d take(s), %ld frames in %.1f s; %ld true moves: hits=%ld misses=%ld "
           "false_alarms=%ld\n",
           d->nt, res->frames, secs, res->true_moves, res->hits, res->misses,
           res->false_alarms);
    printf("         precision %.2f  recall %.2f  F1 %.2f  frame accuracy %.3f\n",
           res->precision, res->recall, res->f1, res->frame_accuracy);
    if (res->hits)
        printf("         delay from a move's start: mean %.1f frames, median %.1f frames "
               "(%.0f ms at %d frames/s)\n",
               res->mean_delay_frames, res->median_delay_frames,
               res->median_delay_frames * 1000.0 / DEMO_FPS, DEMO_FPS);
    else
        printf("         delay: no hits\n");
}

int sk_cmd_demo(int argc, char **argv)
{
    double speed = 1.0;
    int max_takes = 0;
    const char *model_arg = NULL, *data_arg = NULL, *keys_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--fast")) {
            speed = 0;
            continue;
        }
        if (!strcmp(a, "--speed") || !strcmp(a, "--takes") || !strcmp(a, "--model") ||
            !strcmp(a, "--data") || !strcmp(a, "--keys")) {
            if (i + 1 >= argc)
                return cli_usage_error(CMD, "option %s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--speed")) {
                if (cli_parse_double(v, &speed) != 0 || !(speed > 0) || speed > 1000)
                    return cli_usage_error(CMD, "bad --speed '%s' (want a factor in (0, 1000])", v);
            } else if (!strcmp(a, "--takes")) {
                if (cli_parse_int(v, &max_takes) != 0 || max_takes < 1)
                    return cli_usage_error(CMD, "bad --takes '%s' (want a count >= 1)", v);
            } else if (!strcmp(a, "--model")) {
                model_arg = v;
            } else if (!strcmp(a, "--data")) {
                data_arg = v;
            } else {
                keys_arg = v;
            }
            continue;
        }
        return cli_usage_error(CMD, "unknown argument '%s' (see skelact demo --help)", a);
    }

    char mbuf[1024], dbuf[1024], kbuf[1024], err[512] = "";
    const char *model = model_arg ? (access(model_arg, R_OK) == 0 ? model_arg : NULL)
                                  : find_file("models/precog.model", mbuf, sizeof mbuf);
    if (!model)
        return cli_usage_error(CMD, "model %s not found (train it: see models/README.md)",
                               model_arg ? model_arg : "models/precog.model");
    const char *data = data_arg ? data_arg : find_file("data/precog", dbuf, sizeof dbuf);
    if (!data)
        return cli_usage_error(CMD, "takes data/precog/*.csv not found");
    const char *keys = keys_arg ? keys_arg : find_file("keys/precog.keys", kbuf, sizeof kbuf);
    if (keys_arg && access(keys_arg, R_OK) != 0)
        return cli_usage_error(CMD, "key map %s not found", keys_arg);

    glob_t g;
    memset(&g, 0, sizeof g);
    char pat[1100];
    snprintf(pat, sizeof pat, "%s/*.csv", data);
    if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
        globfree(&g);
        return cli_usage_error(CMD, "takes %s/*.csv not found", data);
    }

    int status = 1, rc, thread_started = 0;
    sk_model *m = NULL;
    sk_receiver *r = NULL;
    sk_score *score = NULL;
    demo d;
    memset(&d, 0, sizeof d);
    d.announced = -1;
    demo_sender js;
    memset(&js, 0, sizeof js);
    pthread_t th;

    if ((rc = sk_model_load(&m, model, err, sizeof err)) != 0) {
        status = cli_usage_error(CMD, "%s", err);
        goto done;
    }
    d.h = sk_model_header_get(m);
    d.nt = (int)g.gl_pathc;
    if (max_takes && max_takes < d.nt)
        d.nt = max_takes;
    d.takes = calloc((size_t)d.nt, sizeof *d.takes);
    if (!d.takes)
        goto oom;
    uint64_t seq = 0;
    for (int k = 0; k < d.nt; k++) {
        demo_take *tk = &d.takes[k];
        if (sk_take_load(&tk->t, g.gl_pathv[k], SK_FORMAT_PRECOG, err, sizeof err) != 0) {
            status = cli_usage_error(CMD, "%s", err);
            goto done;
        }
        if (tk->t.joint_set != d.h->features.joint_set) {
            status = cli_usage_error(CMD, "%s: joint set %d, but %s expects %d",
                                     g.gl_pathv[k], tk->t.joint_set, model,
                                     d.h->features.joint_set);
            goto done;
        }
        const char *slash = strrchr(g.gl_pathv[k], '/');
        tk->name = slash ? slash + 1 : g.gl_pathv[k];
        tk->seq0 = seq;
        seq += (uint64_t)tk->t.nframes;
        tk->cap = tk->t.nframes + 1;
        tk->pred = calloc((size_t)tk->t.nframes, sizeof *tk->pred);
        tk->ev = calloc((size_t)tk->cap, sizeof *tk->ev);
        if (!tk->pred || !tk->ev)
            goto oom;
        d.lat_cap += (size_t)tk->cap;
    }
    d.lat_us = calloc(d.lat_cap, sizeof *d.lat_us);
    if (!d.lat_us)
        goto oom;

    sk_recognizer_config rcfg;
    sk_recognizer_config_default(&rcfg);
    if ((rc = sk_recognizer_create(&d.rec, m, &rcfg)) != 0) {
        status = cli_usage_error(CMD, "%s: cannot run this model: %s", model, sk_strerror(rc));
        goto done;
    }
    if (keys && (rc = demo_keys_open(&d.keys, keys, d.h, err, sizeof err)) != 0) {
        status = cli_usage_error(CMD, "%s", err);
        goto done;
    }
    if ((rc = sk_score_create(&score, d.h->nlabels)) != 0)
        goto oom;

    sk_receiver_config rc_cfg;
    memset(&rc_cfg, 0, sizeof rc_cfg);
    rc_cfg.mode = SK_NET_LISTEN;
    rc_cfg.host = "127.0.0.1";
    rc_cfg.port = 0;
    rc_cfg.proto = SK_PROTO_AUTO;
    if (sk_receiver_create(&r, &rc_cfg, err, sizeof err) != 0) {
        fprintf(stderr, "skelact demo: receiver: %s\n", err);
        goto done;
    }

    d.colour = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    const char *b = d.colour ? "\033[1m" : "", *e = d.colour ? "\033[0m" : "";
    printf("%sskelact demo%s: model %s (%s, %d moves), key map %s (dry-run)\n", b, e, model,
           sk_arch_name(d.h->arch.arch), d.h->nlabels - 1,
           d.keys ? keys : "none (keys/precog.keys not found)");
    if (speed > 0)
        printf("replaying %d take(s), %llu frames (%.1f s at %d frames/s) into 127.0.0.1:%d "
               "over TCP, %s\n\n",
               d.nt, (unsigned long long)seq, (double)seq / DEMO_FPS, DEMO_FPS,
               sk_receiver_port(r), speed == 1.0 ? "at real speed" : "sped up");
    else
        printf("replaying %d take(s), %llu frames into 127.0.0.1:%d over TCP, flat out\n\n",
               d.nt, (unsigned long long)seq, sk_receiver_port(r));
    printf("%s   time  take        frame  body  move               conf  latency  key    "
           "true move now%s\n",
           b, e);
    printf("%s    (s)                                                      (us)%s\n", b, e);
    fflush(stdout);

    js.takes = d.takes;
    js.nt = d.nt;
    js.port = sk_receiver_port(r);
    js.speed = speed;
    cli_signals_install();
    d.t_start = sk_now_us();
    if (pthread_create(&th, NULL, sender_thread, &js) != 0)
        goto done;
    thread_started = 1;

    int64_t done_at = 0;
    while (!cli_stop) {
        if (sk_receiver_poll(r, 100, on_frame, &d) < 0) {
            fprintf(stderr, "skelact demo: receiver failed: %s\n", sk_receiver_errmsg(r));
            goto done;
        }
        if (atomic_load(&js.done)) {
            if (!done_at)
                done_at = sk_now_us();
            if (d.frames >= js.sent || sk_now_us() - done_at > DEMO_DRAIN_MS * 1000)
                break;
        }
    }
    double secs = (double)(sk_now_us() - d.t_start) / 1e6;
    pthread_join(th, NULL);
    thread_started = 0;
    if (js.failed) {
        fprintf(stderr, "skelact demo: sender: %s\n", js.err);
        goto done;
    }
    sk_recognizer_end_all(d.rec, on_end_event, &d);

    for (int k = 0; k < d.nt; k++) {
        demo_take *tk = &d.takes[k];
        if (!tk->t.labels)
            continue;
        if ((rc = sk_score_add_take(score, tk->t.labels, tk->pred, tk->t.nframes, tk->ev,
                                    tk->nev, NULL)) != 0) {
            fprintf(stderr, "skelact demo: %s: scoring failed: %s\n", tk->name,
                    sk_strerror(rc));
            goto done;
        }
    }
    sk_score_result res;
    sk_score_get(score, &res);
    print_summary(&d, &res, secs);
    sk_receiver_stats st;
    sk_receiver_get_stats(r, &st);
    qsort(d.lat_us, d.nlat, sizeof *d.lat_us, cmp_i64);
    printf("         frames sent %llu, received %llu, parse errors %llu, dropped %llu",
           (unsigned long long)js.sent, (unsigned long long)st.frames,
           (unsigned long long)st.parse_errors,
           (unsigned long long)(st.dropped + js.dropped));
    if (d.nlat)
        printf("; latency (frame arrival -> event) median %lld us, max %lld us",
               (long long)d.lat_us[d.nlat / 2], (long long)d.lat_us[d.nlat - 1]);
    printf("\n");
    status = cli_stop ? 1 : 0;
    goto done;
oom:
    fprintf(stderr, "skelact demo: out of memory\n");
    status = 1;
done:
    if (thread_started) {
        cli_stop = 1;
        pthread_join(th, NULL);
    }
    sk_receiver_destroy(r);
    sk_score_destroy(score);
    demo_keys_close(d.keys);
    sk_recognizer_destroy(d.rec);
    if (d.takes) {
        for (int k = 0; k < d.nt; k++) {
            sk_take_free(&d.takes[k].t);
            free(d.takes[k].pred);
            free(d.takes[k].ev);
        }
        free(d.takes);
    }
    free(d.lat_us);
    sk_model_destroy(m);
    globfree(&g);
    return status;
}
