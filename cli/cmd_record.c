/* skelact record: receive a live stream and write it to a .skrec file with
 * each frame's arrival time, so a replay keeps the original timing. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "skelact/data.h"
#include "stream_rx.h"

static const char *const CMD = "record";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact record (--listen HOST:PORT | --connect HOST:PORT) --out FILE\n"
            "                      [--proto auto|text|binary|seed] [--udp]\n"
            "                      [--joints 20|25|kinect1|kinect2] [--exit-on-eof]\n"
            "                      [--eof-idle MS] [--max-conns N] [--frames N]\n"
            "\n"
            "Receive skeleton frames and write them, with their arrival times, to FILE\n"
            "(skelact's recording format, .skrec; `skelact replay FILE` sends it again\n"
            "at the recorded pace). Frames of every connection go to the one file.\n"
            "\n"
            "  --out FILE           the recording to write (created or truncated)\n"
            "  --frames N           stop after N frames\n"
            "%s"
            "\n"
            "Summary line: frames=N parse_errors=P dropped=D conns=C out=FILE.\n"
            "The file is closed cleanly on every stop, SIGINT and SIGTERM included.\n"
            "Exit status: 0 done, 2 bad arguments or an unwritable FILE, 1 a socket\n"
            "or write failure.\n",
            cli_rx_help);
}

typedef struct record_ctx {
    sk_recorder *rec;
    long long frames, limit;
    int failed;
    volatile int done;
} record_ctx;

static void on_frame(void *ctx, uint32_t stream, const sk_frame *f)
{
    record_ctx *c = ctx;
    (void)stream;
    if (c->done)
        return; /* past --frames N or a write failure: drop the rest */
    if (sk_recorder_write(c->rec, f, f->arrival_us) != 0) {
        c->failed = 1;
        c->done = 1;
        return;
    }
    if (++c->frames == c->limit)
        c->done = 1;
}

int sk_cmd_record(int argc, char **argv)
{
    cli_rx_opts o;
    cli_rx_opts_init(&o);
    const char *out = NULL;
    int limit = 0;
    for (int i = 1; i < argc; i++) {
        int rc = cli_rx_opts_parse(&o, CMD, argc, argv, &i);
        if (rc < 0)
            return 2;
        if (rc > 0)
            continue;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--out")) {
            if (i + 1 >= argc)
                return cli_usage_error(CMD, "option --out needs a value");
            out = argv[++i];
            continue;
        }
        if (!strcmp(argv[i], "--frames")) {
            if (i + 1 >= argc)
                return cli_usage_error(CMD, "option --frames needs a value");
            if (cli_parse_int(argv[i + 1], &limit) != 0 || limit < 1)
                return cli_usage_error(CMD, "bad --frames '%s' (want a count > 0)", argv[i + 1]);
            i++;
            continue;
        }
        if (argv[i][0] == '-')
            return cli_usage_error(CMD, "unknown option '%s' (see skelact record --help)", argv[i]);
        return cli_usage_error(CMD, "unexpected argument '%s' (see skelact record --help)", argv[i]);
    }
    int rc = cli_rx_opts_check(&o, CMD);
    if (rc)
        return rc;
    if (!out)
        return cli_usage_error(CMD, "give --out FILE");

    record_ctx c;
    memset(&c, 0, sizeof c);
    c.limit = limit;
    char err[256] = "";
    if (sk_recorder_open(&c.rec, out, err, sizeof err) != 0)
        return cli_usage_error(CMD, "%s", err[0] ? err : out);
    sk_receiver *r = NULL;
    if ((rc = cli_rx_open(&o, CMD, &r)) != 0) {
        sk_recorder_close(c.rec);
        remove(out);
        return rc;
    }
    cli_signals_install();
    int status = cli_rx_run(r, &o, on_frame, &c, &c.done);

    sk_receiver_stats st;
    sk_receiver_get_stats(r, &st);
    sk_receiver_destroy(r);
    if (sk_recorder_close(c.rec) != 0)
        c.failed = 1;
    if (c.failed) {
        fprintf(stderr, "skelact record: %s: write failed\n", out);
        status = 1;
    }
    fprintf(stderr, "frames=%lld parse_errors=%llu dropped=%llu conns=%llu out=%s\n",
            c.frames, (unsigned long long)st.parse_errors,
            (unsigned long long)st.dropped, (unsigned long long)st.accepted, out);
    return status;
}
