/* skelact recognize: receive a live stream and turn it into events with a
 * model (--model), or, without one, decode and count its frames: the link
 * check for a new sensor that DESIGN.md describes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keys_opts.h"
#include "recog_opts.h"
#include "skelact/recognizer.h"
#include "stream_rx.h"
#include "viewer_opts.h"

static const char *const CMD = "recognize";

#ifndef CLI_STREAM_IDLE_MS
#define CLI_STREAM_IDLE_MS 2000 /* a 30 fps stream silent this long has ended (its peer left) */
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact recognize (--listen HOST:PORT | --connect HOST:PORT)\n"
            "                         [--proto auto|text|binary|seed] [--udp]\n"
            "                         [--joints 20|25|kinect1|kinect2] [--exit-on-eof]\n"
            "                         [--eof-idle MS] [--max-conns N] [--http [HOST:]PORT]\n"
            "                         [--model M [--events json|text|none]\n"
            "                          [--stream-idle MS] [decision settings]\n"
            "                          [--keys MAP [--keys-backend B] [--key-rate N]]]\n"
            "\n"
            "Receive skeleton frames and decode them. With --model, recognize the\n"
            "actions of every tracked body of every stream and print one event per\n"
            "performed action on standard output (flushed at once):\n"
            "  --events json        one JSON object a line: {\"label\", \"class\",\n"
            "                       \"body\", \"stream\", \"frame\" (sequence number),\n"
            "                       \"confidence\", \"latency_us\" (frame arrival to event)}\n"
            "  --events text        (default) one readable line per event\n"
            "  --events none        count only\n"
            "  --stream-idle MS     a stream without frames for MS ms has ended: its\n"
            "                       bodies end their actions (default %d); a TCP\n"
            "                       sender that closes its connection ends its\n"
            "                       stream at once (not the seed habit's one-frame\n"
            "                       connections)\n"
            "Without --model it is a link check for a new sensor: frames are counted.\n"
            "\n%s\n%s"
            "\n"
            "Summary line: frames=N events=E parse_errors=P dropped=D, then conns=\n"
            "(connections accepted or made), refused=, evicted=, error_closes=, bytes=;\n"
            "with a model also inferences= and resets= (windows restarted after a\n"
            "body went missing). events is 0 without a model. dropped counts frames\n"
            "known lost (half frames cut by a close, UDP frames missing bodies, binary\n"
            "sequence gaps) and frames the recognizer refused (another joint set than\n"
            "the model's, too many streams).\n"
            "Exit status: 0 done, 2 bad arguments or unreadable model, 1 the socket\n"
            "failed.\n",
            CLI_STREAM_IDLE_MS, cli_rx_help, cli_recog_opt_help);
    fputc('\n', out);
    cli_keys_help(out);
    fputc('\n', out);
    fputs(cli_viewer_help, out);
}

#ifndef CLI_IDLE_CHECK_US
#define CLI_IDLE_CHECK_US 100000 /* look for ended streams 10 times a second, not per frame */
#endif

#ifndef CLI_RECOGNIZE_BATCH
#define CLI_RECOGNIZE_BATCH 64 /* frames gathered per receive turn before they are pushed (4 inference batches) */
#endif

enum { EV_TEXT, EV_JSON, EV_NONE };

typedef struct rx_ctx {
    sk_recognizer *rec;
    int events;         /* EV_* */
    sk_sinks *keys;     /* --keys, or NULL */
    sk_viewer *viewer;  /* --http, or NULL */
    /* Frames delivered during one turn of the receive loop, pushed together
     * (sk_recognizer_push_batch) after it, or when the array is full. */
    sk_frame *frames;   /* (CLI_RECOGNIZE_BATCH) copies */
    const sk_frame *fp[CLI_RECOGNIZE_BATCH];
    uint32_t streams[CLI_RECOGNIZE_BATCH];
    int nframes;
} rx_ctx;

static void on_event(void *ctx, const sk_event *ev)
{
    rx_ctx *c = ctx;
    if (c->viewer)
        sk_viewer_push_event(c->viewer, ev); /* never waits for a browser */
    if (c->keys)
        sk_sinks_on_event(c->keys, ev); /* START and END: holds end with the action */
    if (ev->kind != SK_EVENT_START || c->events == EV_NONE)
        return;
    if (c->events == EV_JSON)
        cli_event_json(stdout, ev, NULL);
    else
        printf("%s (class %d) body %lu stream %lu frame %llu confidence %.2f "
               "latency %lld us",
               ev->name, ev->label, (unsigned long)ev->body, (unsigned long)ev->stream,
               (unsigned long long)ev->frame, (double)ev->confidence,
               (long long)ev->latency_us);
    putchar('\n');
    fflush(stdout);
}

/* Push the gathered frames as one batch (the events are those of pushing
 * them one by one, in order), then show them in the viewer (after the
 * recognizer has seen them, as it expects; it keeps each stream's latest). */
static void push_gathered(rx_ctx *c)
{
    if (c->nframes == 0)
        return;
    sk_recognizer_push_batch(c->rec, c->nframes, c->streams, c->fp, on_event,
                             c); /* refusals are counted */
    if (c->viewer)
        for (int i = 0; i < c->nframes; i++)
            sk_viewer_push_frame(c->viewer, c->streams[i], c->fp[i], c->rec);
    c->nframes = 0;
}

/* With a recognizer: gather the frame (a copy: the receiver's is only valid
 * during the call). Without (viewer only): show it. */
static void on_frame(void *ctx, uint32_t stream, const sk_frame *f)
{
    rx_ctx *c = ctx;
    if (!c->rec) {
        if (c->viewer)
            sk_viewer_push_frame(c->viewer, stream, f, NULL); /* a copy; never waits */
        return;
    }
    c->frames[c->nframes] = *f;
    c->fp[c->nframes] = &c->frames[c->nframes];
    c->streams[c->nframes] = stream;
    if (++c->nframes == CLI_RECOGNIZE_BATCH)
        push_gathered(c);
}

/* The receiver says a persistent connection ended: its stream's bodies end
 * their actions (END, held keys released) now, not after --stream-idle. Its
 * frames gathered in this turn go first. */
static void on_stream_end(void *ctx, uint32_t stream)
{
    rx_ctx *c = ctx;
    if (!c->rec)
        return;
    push_gathered(c);
    sk_recognizer_end_stream(c->rec, stream, on_event, c);
}

/* The receive loop of cli_rx_run, plus ending the streams that went
 * silent. Sleeps in poll() while nothing arrives. What one turn delivered
 * is pushed as one batch after it: when frames come faster than one at a
 * time, their windows' inferences run together. */
static int run(sk_receiver *r, const cli_rx_opts *o, rx_ctx *c, int idle_ms)
{
    int64_t last_idle_check = sk_now_us();
    while (!cli_stop) {
        int rc = cli_rx_step(r, o, on_frame, c);
        push_gathered(c); /* before anything else sees the recognizer */
        if (rc != 0)
            return rc < 0 ? 1 : 0;
        int64_t now = sk_now_us();
        if (now - last_idle_check >= CLI_IDLE_CHECK_US) {
            sk_recognizer_end_idle(c->rec, now - (int64_t)idle_ms * 1000, on_event, c);
            sk_sinks_tick(c->keys); /* maximum hold time */
            last_idle_check = now;
        }
    }
    return 0;
}

int sk_cmd_recognize(int argc, char **argv)
{
    cli_rx_opts o;
    cli_rx_opts_init(&o);
    sk_recognizer_config rcfg;
    sk_recognizer_config_default(&rcfg);
    const char *model = NULL;
    int events = EV_TEXT, have_events = 0, have_decision = 0;
    int idle_ms = CLI_STREAM_IDLE_MS;
    cli_keys_opts ko;
    cli_keys_opts_init(&ko);
    cli_viewer_opts vo;
    cli_viewer_opts_init(&vo);
    for (int i = 1; i < argc; i++) {
        int rc = cli_rx_opts_parse(&o, CMD, argc, argv, &i);
        if (rc < 0)
            return 2;
        if (rc > 0)
            continue;
        if ((rc = cli_recog_opt_parse(&rcfg, CMD, argc, argv, &i)) < 0)
            return 2;
        if (rc > 0) {
            have_decision = 1;
            continue;
        }
        if ((rc = cli_keys_opts_parse(&ko, CMD, argc, argv, &i)) < 0)
            return 2;
        if (rc > 0)
            continue;
        if ((rc = cli_viewer_opt_parse(&vo, CMD, argc, argv, &i)) < 0)
            return 2;
        if (rc > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--model") || !strcmp(argv[i], "--events") ||
            !strcmp(argv[i], "--stream-idle")) {
            if (i + 1 >= argc)
                return cli_usage_error(CMD, "option %s needs a value", argv[i]);
            const char *a = argv[i], *v = argv[++i];
            if (!strcmp(a, "--model")) {
                model = v;
            } else if (!strcmp(a, "--events")) {
                have_events = 1;
                if (!strcmp(v, "json"))
                    events = EV_JSON;
                else if (!strcmp(v, "text"))
                    events = EV_TEXT;
                else if (!strcmp(v, "none"))
                    events = EV_NONE;
                else
                    return cli_usage_error(CMD, "unknown --events '%s' (json, text or none)", v);
            } else if (cli_parse_int(v, &idle_ms) != 0 || idle_ms < 1) {
                return cli_usage_error(CMD, "bad --stream-idle '%s' (want milliseconds > 0)", v);
            }
            continue;
        }
        if (argv[i][0] == '-')
            return cli_usage_error(CMD, "unknown option '%s' (see skelact recognize --help)", argv[i]);
        return cli_usage_error(CMD, "unexpected argument '%s' (see skelact recognize --help)", argv[i]);
    }
    int rc = cli_rx_opts_check(&o, CMD);
    if (rc)
        return rc;
    if (!model && (have_events || have_decision))
        return cli_usage_error(CMD, "--events and decision settings need --model");

    sk_model *m = NULL;
    rx_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.events = events;
    if (model) {
        char err[512] = "";
        if (sk_model_load(&m, model, err, sizeof err) != 0)
            return cli_usage_error(CMD, "%s", err);
        const sk_model_header *h = sk_model_header_get(m);
        const sk_joint_set *js = sk_joint_set_get(h->features.joint_set);
        if (o.njoints && js && o.njoints != js->njoints) {
            sk_model_destroy(m);
            return cli_usage_error(CMD, "--joints %d, but %s expects %d joints (%s)",
                                   o.njoints, model, js->njoints, js->name);
        }
        if (js)
            o.njoints = js->njoints; /* the text decoder takes the model's count */
        /* One stream per connection (or UDP source): as many as the receiver
         * may have at once, at least the library's default. */
        int conns = o.max_conns ? o.max_conns : (o.seed ? CLI_SEED_MAX_CONNS : 64);
        rcfg.max_streams = conns > SK_RECOGNIZER_STREAMS ? conns : SK_RECOGNIZER_STREAMS;
        if ((rc = sk_recognizer_create(&ctx.rec, m, &rcfg)) != 0) {
            sk_model_destroy(m);
            return cli_usage_error(CMD, "%s: cannot run this model: %s", model,
                                   sk_strerror(rc));
        }
        ctx.frames = malloc(CLI_RECOGNIZE_BATCH * sizeof *ctx.frames);
        if (!ctx.frames) {
            sk_recognizer_destroy(ctx.rec);
            sk_model_destroy(m);
            fprintf(stderr, "skelact %s: out of memory\n", CMD);
            return 1;
        }
    }

    if ((rc = cli_keys_open(&ctx.keys, &ko, m ? sk_model_header_get(m) : NULL, CMD)) != 0) {
        sk_recognizer_destroy(ctx.rec);
        sk_model_destroy(m);
        free(ctx.frames);
        return rc;
    }

    sk_receiver *r = NULL;
    o.on_stream_end = on_stream_end;
    o.on_stream_end_ctx = &ctx;
    if ((rc = cli_rx_open(&o, CMD, &r)) != 0) {
        cli_keys_close(ctx.keys);
        sk_recognizer_destroy(ctx.rec);
        sk_model_destroy(m);
        free(ctx.frames);
        return rc;
    }
    if ((rc = cli_viewer_start(&vo, CMD, m, &ctx.viewer)) != 0) {
        sk_receiver_destroy(r);
        cli_keys_close(ctx.keys);
        sk_recognizer_destroy(ctx.rec);
        sk_model_destroy(m);
        free(ctx.frames);
        return rc;
    }
    cli_signals_install();
    int status = ctx.rec ? run(r, &o, &ctx, idle_ms)
                         : cli_rx_run(r, &o, ctx.viewer ? on_frame : NULL, &ctx, NULL);

    sk_recognizer_stats rs;
    memset(&rs, 0, sizeof rs);
    if (ctx.rec) {
        sk_recognizer_end_all(ctx.rec, on_event, &ctx);
        sk_recognizer_get_stats(ctx.rec, &rs);
    }
    cli_keys_close(ctx.keys); /* releases every key still down */
    sk_receiver_stats st;
    sk_receiver_get_stats(r, &st);
    fprintf(stderr,
            "frames=%llu events=%llu parse_errors=%llu dropped=%llu conns=%llu "
            "refused=%llu evicted=%llu error_closes=%llu bytes=%llu",
            (unsigned long long)st.frames, (unsigned long long)rs.events,
            (unsigned long long)st.parse_errors,
            (unsigned long long)(st.dropped + rs.dropped), (unsigned long long)st.accepted,
            (unsigned long long)st.refused, (unsigned long long)st.evicted,
            (unsigned long long)st.error_closes, (unsigned long long)st.bytes);
    if (ctx.rec)
        fprintf(stderr, " inferences=%llu resets=%llu", (unsigned long long)rs.inferences,
                (unsigned long long)rs.resets);
    fputc('\n', stderr);
    sk_viewer_destroy(ctx.viewer);
    sk_receiver_destroy(r);
    sk_recognizer_destroy(ctx.rec);
    sk_model_destroy(m);
    free(ctx.frames);
    return status;
}
