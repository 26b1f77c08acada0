/* skelact recognize: receive a live stream, decode and count its frames.
 * Models (--model) come with the recognizer issue; until then this is the
 * link check for a new sensor that DESIGN.md describes. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "stream_rx.h"

static const char *const CMD = "recognize";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact recognize (--listen HOST:PORT | --connect HOST:PORT)\n"
            "                         [--proto auto|text|binary|seed] [--udp]\n"
            "                         [--joints 20|25|kinect1|kinect2] [--exit-on-eof]\n"
            "                         [--eof-idle MS] [--max-conns N] [--model M]\n"
            "\n"
            "Receive skeleton frames, decode and count them. Without --model it is a\n"
            "link check for a new sensor (models are not supported by this build yet:\n"
            "--model fails with exit status 2).\n"
            "\n%s"
            "\n"
            "Summary line: frames=N events=E parse_errors=P dropped=D, then conns=\n"
            "(connections accepted or made), refused=, evicted=, error_closes=, bytes=.\n"
            "events is 0 without a model. dropped counts frames known lost (half\n"
            "frames cut by a close, UDP frames missing bodies, binary sequence gaps).\n"
            "Exit status: 0 done, 2 bad arguments, 1 the socket failed.\n",
            cli_rx_help);
}

int sk_cmd_recognize(int argc, char **argv)
{
    cli_rx_opts o;
    cli_rx_opts_init(&o);
    const char *model = NULL;
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
        if (!strcmp(argv[i], "--model")) {
            if (i + 1 >= argc)
                return cli_usage_error(CMD, "option --model needs a value");
            model = argv[++i];
            continue;
        }
        if (argv[i][0] == '-')
            return cli_usage_error(CMD, "unknown option '%s' (see skelact recognize --help)", argv[i]);
        return cli_usage_error(CMD, "unexpected argument '%s' (see skelact recognize --help)", argv[i]);
    }
    if (model)
        return cli_usage_error(CMD, "--model %s: models are not supported by this build yet", model);
    int rc = cli_rx_opts_check(&o, CMD);
    if (rc)
        return rc;

    sk_receiver *r = NULL;
    if ((rc = cli_rx_open(&o, CMD, &r)) != 0)
        return rc;
    cli_signals_install();
    int status = cli_rx_run(r, &o, NULL, NULL, NULL);

    sk_receiver_stats st;
    sk_receiver_get_stats(r, &st);
    fprintf(stderr,
            "frames=%llu events=0 parse_errors=%llu dropped=%llu conns=%llu "
            "refused=%llu evicted=%llu error_closes=%llu bytes=%llu\n",
            (unsigned long long)st.frames, (unsigned long long)st.parse_errors,
            (unsigned long long)st.dropped, (unsigned long long)st.accepted,
            (unsigned long long)st.refused, (unsigned long long)st.evicted,
            (unsigned long long)st.error_closes, (unsigned long long)st.bytes);
    sk_receiver_destroy(r);
    return status;
}
