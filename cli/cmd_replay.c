/* skelact replay: send recorded takes to a recognizer over the network at
 * the recorded pace (or scaled, or flat out), as a sensor would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "skelact/codec.h"
#include "skelact/data.h"
#include "skelact/net.h"
#include "stream_rx.h"

static const char *const CMD = "replay";

#ifndef CLI_REPLAY_READY_MS
#define CLI_REPLAY_READY_MS 10000 /* a live link whose queue stays full this long is stuck */
#endif
#ifndef CLI_REPLAY_CONNECT_MS
#define CLI_REPLAY_CONNECT_MS 10000 /* a recognizer that is starting up is there within 10 s */
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact replay FILE... (--to HOST:PORT | --listen HOST:PORT)\n"
            "                      [--proto text|binary|seed] [--udp] [--speed X]\n"
            "                      [--format auto|precog|msr|text|skrec] [--loop N]\n"
            "                      [--seed-pad N]\n"
            "       skelact replay FILE... --dump [--proto text|binary]\n"
            "\n"
            "Send the frames of recorded takes over the network, one file after the\n"
            "other, at the recorded pace: a .skrec recording's arrival times, 15 frames/s\n"
            "for MSR Action3D, 30 frames/s for other files. Each frame gets a sequence\n"
            "number running across files and loops, and the wall-clock time at sending\n"
            "as its timestamp.\n"
            "\n"
            "  --to HOST:PORT      connect to a recognizer (HOST defaults to 127.0.0.1);\n"
            "                      waits up to 10 s for the first connection, reconnects\n"
            "                      with backoff if the link breaks (frames sent while it\n"
            "                      is down are dropped and counted)\n"
            "  --listen HOST:PORT  be the server, as a sensor that listens: wait for a\n"
            "                      recognizer (`recognize --connect`) and send to every\n"
            "                      one connected\n"
            "  --proto P           binary (default), text (seed text lines), or seed\n"
            "                      (text, a new connection per frame: the original habit)\n"
            "  --udp               send UDP datagrams to --to (binary: one per body;\n"
            "                      text: one line each). UDP has no flow control: flat\n"
            "                      out, a burst larger than the receiver's socket\n"
            "                      buffer is lost in its kernel\n"
            "  --speed X           pace scaled by X (2 = twice as fast); 0 = flat out\n"
            "  --format F          how to read the files (default auto: from name and\n"
            "                      content)\n"
            "  --loop N            send the whole list N times (default 1)\n"
            "  --seed-pad N        --proto seed: N NUL bytes after each line, as the\n"
            "                      original sender padded its fixed-size buffer\n"
            "  --dump              write the encoded stream to standard output instead\n"
            "                      (text: one line per frame, body 0; no pacing)\n"
            "\n"
            "While the link is up nothing is lost: each frame waits for queue space\n"
            "rather than being dropped. Summary line on standard error:\n"
            "sent=N dropped=D skipped=S frames=F reconnects=R.\n"
            "SIGINT and SIGTERM stop it after the summary.\n"
            "Exit status: 0 done, 2 bad arguments or unreadable files, 1 no connection\n"
            "or a socket failure.\n");
}

typedef struct replay_opts {
    char host[256];
    int port;
    int have_to, have_listen;
    int proto; /* SK_PROTO_TEXT or SK_PROTO_BINARY */
    int seed, udp, dump;
    double speed;
    int format;
    int loops;
    int seed_pad;
} replay_opts;

/* Microseconds of recorded time between frame i-1 and frame i of take t. */
static int64_t frame_gap_us(const sk_take *t, int i)
{
    if (t->arrival_us && i > 0) {
        int64_t d = t->arrival_us[i] - t->arrival_us[i - 1];
        return d > 0 ? d : 0;
    }
    double fps = t->fps > 0 ? t->fps : 30.0;
    return (int64_t)(1e6 / fps + 0.5);
}

/* Write every take's frames, encoded, to stdout. */
static int dump_takes(const replay_opts *o, const sk_take *takes, int ntakes)
{
    static uint8_t buf[SK_BINARY_MAX_FRAME > SK_MAX_LINE ? SK_BINARY_MAX_FRAME : SK_MAX_LINE];
    sk_frame f;
    uint64_t seq = 0;
    for (int loop = 0; loop < o->loops; loop++) {
        for (int k = 0; k < ntakes; k++) {
            for (int i = 0; i < takes[k].nframes; i++) {
                f = takes[k].frames[i];
                f.seq = seq++;
                int n = o->proto == SK_PROTO_TEXT
                            ? (f.nbodies ? sk_text_encode(&f, 0, 9, (char *)buf, sizeof buf) : 0)
                            : sk_binary_encode(&f, buf, sizeof buf);
                if (n < 0) {
                    fprintf(stderr, "skelact replay: frame %d: %s\n", i, sk_strerror(n));
                    return 1;
                }
                if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
                    fprintf(stderr, "skelact replay: standard output: write failed\n");
                    return 1;
                }
            }
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* Let the sender work (connect, write queues) until the monotonic time
 * due_us, or a signal. */
static void wait_until(sk_sender *s, int64_t due_us)
{
    for (;;) {
        int64_t left = due_us - sk_now_us();
        if (left <= 0 || cli_stop)
            return;
        if (left >= 1000) {
            int ms = (int)(left / 1000);
            sk_sender_poll(s, ms < CLI_POLL_MS ? ms : CLI_POLL_MS);
        } else {
            sk_sleep_us(left, NULL);
        }
    }
}

/* Wait for the first link (listen: a receiver; connect: the connection).
 * Returns 0 when ready, -1 on timeout or a signal. */
static int wait_first_link(sk_sender *s, int forever)
{
    int64_t end = sk_now_us() + (int64_t)CLI_REPLAY_CONNECT_MS * 1000;
    while (!cli_stop) {
        if (sk_sender_wait_ready(s, CLI_POLL_MS) == 0)
            return 0;
        if (!forever && sk_now_us() >= end)
            return -1;
    }
    return -1;
}

static int send_takes(const replay_opts *o, const sk_take *takes, int ntakes)
{
    sk_sender_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = o->host;
    cfg.port = o->port;
    cfg.proto = o->proto;
    cfg.udp = o->udp;
    cfg.listen = o->have_listen;
    cfg.seed = o->seed;
    cfg.seed_pad = o->seed_pad;
    char err[256] = "";
    sk_sender *s = NULL;
    int rc = sk_sender_create(&s, &cfg, err, sizeof err);
    if (rc != 0) {
        if (rc == SK_EADDR || rc == SK_EINVAL)
            return cli_usage_error(CMD, "%s:%d: %s", o->host, o->port, err[0] ? err : sk_strerror(rc));
        fprintf(stderr, "skelact replay: %s:%d: %s\n", o->host, o->port, err[0] ? err : sk_strerror(rc));
        return 1;
    }
    cli_signals_install();
    int status = 0;
    if (!o->udp && !o->seed && wait_first_link(s, o->have_listen) != 0 && !cli_stop) {
        fprintf(stderr, "skelact replay: %s:%d: no connection within %d s\n", o->host,
                o->port, CLI_REPLAY_CONNECT_MS / 1000);
        status = 1;
        goto done;
    }

    static sk_frame f; /* ~2.5 KB: one scratch frame, not on the stack per call */
    uint64_t seq = 0;
    int64_t recorded_us = 0; /* recorded time of the current frame since the first */
    int64_t t0 = sk_now_us();
    int first = 1;
    for (int loop = 0; loop < o->loops && !cli_stop; loop++) {
        for (int k = 0; k < ntakes && !cli_stop; k++) {
            const sk_take *t = &takes[k];
            for (int i = 0; i < t->nframes && !cli_stop; i++) {
                /* The gap before a take's first frame is one frame of it. */
                if (!first)
                    recorded_us += frame_gap_us(t, i);
                first = 0;
                int64_t due = t0 + (o->speed > 0 ? (int64_t)(recorded_us / o->speed) : 0);
                if (o->speed > 0)
                    wait_until(s, due);
                if (cli_stop)
                    break;
                /* Lose nothing while the link is up: wait for queue room.
                 * With the link down, give the reconnect only the time until
                 * the frame is due (flat out: none), then send and count the
                 * drop. Listen and seed modes always wait: the receivers come
                 * and go by design there. */
                sk_sender_stats st;
                sk_sender_get_stats(s, &st);
                int patient = o->have_listen || o->seed || st.links > 0;
                int ms = CLI_REPLAY_READY_MS;
                if (!patient) {
                    int64_t left = o->speed > 0 ? due - sk_now_us() : 0;
                    ms = left > 0 ? (int)(left / 1000) : 0;
                }
                sk_sender_wait_ready(s, ms);
                f = t->frames[i];
                f.seq = seq++;
                f.timestamp_us = sk_wall_us();
                rc = sk_sender_send(s, &f);
                if (rc == SK_EINVAL) {
                    fprintf(stderr, "skelact replay: frame %d of take %d breaks the limits\n", i, k + 1);
                    status = 1;
                    goto done;
                }
            }
        }
    }
    if (sk_sender_flush(s, CLI_REPLAY_READY_MS) != 0)
        fprintf(stderr, "skelact replay: %s:%d: could not write everything queued\n", o->host, o->port);

done:;
    sk_sender_stats st;
    sk_sender_get_stats(s, &st);
    fprintf(stderr, "sent=%llu dropped=%llu skipped=%llu frames=%llu reconnects=%llu%s\n",
            (unsigned long long)st.sent, (unsigned long long)st.dropped,
            (unsigned long long)st.skipped, (unsigned long long)st.frames,
            (unsigned long long)st.reconnects, cli_stop ? " (interrupted)" : "");
    sk_sender_destroy(s);
    return status;
}

int sk_cmd_replay(int argc, char **argv)
{
    replay_opts o;
    memset(&o, 0, sizeof o);
    o.proto = SK_PROTO_BINARY;
    o.speed = 1.0;
    o.format = SK_FORMAT_AUTO;
    o.loops = 1;
    const char **files = calloc((size_t)argc, sizeof *files);
    sk_take *takes = NULL;
    int nfiles = 0, ntakes = 0, status = 2;
    if (!files) {
        fprintf(stderr, "skelact replay: out of memory\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            status = 0;
            goto out;
        }
        if (!strcmp(a, "--udp")) {
            o.udp = 1;
            continue;
        }
        if (!strcmp(a, "--dump")) {
            o.dump = 1;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--to") && strcmp(a, "--listen") && strcmp(a, "--proto") &&
                strcmp(a, "--speed") && strcmp(a, "--format") && strcmp(a, "--loop") &&
                strcmp(a, "--seed-pad")) {
                cli_usage_error(CMD, "unknown option '%s' (see skelact replay --help)", a);
                goto out;
            }
            if (i + 1 >= argc) {
                cli_usage_error(CMD, "option %s needs a value", a);
                goto out;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--to") || !strcmp(a, "--listen")) {
                if (o.have_to || o.have_listen) {
                    cli_usage_error(CMD, "give one of --to and --listen, once");
                    goto out;
                }
                if (cli_parse_hostport(v, o.host, sizeof o.host, &o.port) != 0) {
                    cli_usage_error(CMD, "bad address '%s' for %s (want HOST:PORT, port 1-65535)", v, a);
                    goto out;
                }
                if (!strcmp(a, "--to"))
                    o.have_to = 1;
                else
                    o.have_listen = 1;
            } else if (!strcmp(a, "--proto")) {
                o.seed = 0;
                if (!strcmp(v, "binary")) {
                    o.proto = SK_PROTO_BINARY;
                } else if (!strcmp(v, "text")) {
                    o.proto = SK_PROTO_TEXT;
                } else if (!strcmp(v, "seed")) {
                    o.proto = SK_PROTO_TEXT;
                    o.seed = 1;
                } else {
                    cli_usage_error(CMD, "unknown --proto '%s' (text, binary or seed)", v);
                    goto out;
                }
            } else if (!strcmp(a, "--speed")) {
                if (cli_parse_double(v, &o.speed) != 0 || o.speed < 0 || o.speed > 1e6) {
                    cli_usage_error(CMD, "bad --speed '%s' (want a number >= 0; 0 = flat out)", v);
                    goto out;
                }
            } else if (!strcmp(a, "--format")) {
                o.format = sk_format_from_name(v);
                if (o.format < 0) {
                    cli_usage_error(CMD, "unknown --format '%s' (auto, precog, msr, text or skrec)", v);
                    goto out;
                }
            } else if (!strcmp(a, "--seed-pad")) {
                if (cli_parse_int(v, &o.seed_pad) != 0 || o.seed_pad < 0 || o.seed_pad > 65536) {
                    cli_usage_error(CMD, "bad --seed-pad '%s' (want 0-65536 bytes)", v);
                    goto out;
                }
            } else { /* --loop */
                if (cli_parse_int(v, &o.loops) != 0 || o.loops < 1) {
                    cli_usage_error(CMD, "bad --loop '%s' (want a count >= 1)", v);
                    goto out;
                }
            }
            continue;
        }
        files[nfiles++] = a;
    }
    if (nfiles == 0) {
        cli_usage_error(CMD, "give at least one FILE to replay");
        goto out;
    }
    if (!o.dump && !o.have_to && !o.have_listen) {
        cli_usage_error(CMD, "give --to HOST:PORT (or --listen HOST:PORT, or --dump)");
        goto out;
    }
    if (o.seed_pad && !o.seed) {
        cli_usage_error(CMD, "--seed-pad goes with --proto seed");
        goto out;
    }
    if (o.udp && (o.have_listen || o.seed || o.dump)) {
        cli_usage_error(CMD, "--udp sends to --to HOST:PORT; not with --listen, --proto seed or --dump");
        goto out;
    }

    takes = calloc((size_t)nfiles, sizeof *takes);
    if (!takes) {
        fprintf(stderr, "skelact replay: out of memory\n");
        status = 1;
        goto out;
    }
    for (ntakes = 0; ntakes < nfiles; ntakes++) {
        char err[512] = "";
        int rc = sk_take_load(&takes[ntakes], files[ntakes], o.format, err, sizeof err);
        if (rc != 0) {
            cli_usage_error(CMD, "%s", err[0] ? err : files[ntakes]);
            goto out;
        }
    }
    status = o.dump ? dump_takes(&o, takes, ntakes) : send_takes(&o, takes, ntakes);

out:
    for (int k = 0; takes && k < ntakes; k++)
        sk_take_free(&takes[k]);
    free(takes);
    free(files);
    return status;
}
