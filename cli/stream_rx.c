/* Receiving side shared by recognize, record and demo (see stream_rx.h). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "stream_rx.h"

volatile sig_atomic_t cli_stop;

const char cli_rx_help[] =
    "Source (one of):\n"
    "  --listen HOST:PORT   accept TCP connections (or bind UDP with --udp) on\n"
    "                       HOST:PORT; HOST defaults to 127.0.0.1 (give 0.0.0.0\n"
    "                       to be reachable from the network)\n"
    "  --connect HOST:PORT  connect to a sensor that listens, reconnecting with\n"
    "                       backoff when the link breaks\n"
    "Options:\n"
    "  --proto P            auto (default: decided per connection from its first\n"
    "                       byte), text, binary, or seed (text, one connection\n"
    "                       per frame: the original sender's habit)\n"
    "  --udp                receive UDP datagrams (binary: one body per datagram;\n"
    "                       text: one line per datagram); only with --listen\n"
    "  --joints J           text lines must hold J joints: 20 or kinect1, 25 or\n"
    "                       kinect2 (default: either)\n"
    "  --max-conns N        at most N TCP connections at once (default 64, with\n"
    "                       --proto seed 256); when full, a new one evicts a\n"
    "                       peer idle for 5 s or is refused (counted)\n"
    "  --exit-on-eof        stop at the end of input (below)\n"
    "  --eof-idle MS        silence that ends a seed-habit or UDP input (default\n"
    "                       1000)\n"
    "End of input (with --exit-on-eof), after at least one frame has arrived:\n"
    "  TCP, persistent connections (--proto auto|text|binary): the last peer has\n"
    "      closed (listen: no connection is open; connect: the sensor closed);\n"
    "  seed habit and UDP: no byte has arrived for --eof-idle MS.\n"
    "SIGINT and SIGTERM also stop it. On stopping it prints one summary line on\n"
    "standard error.\n";

void cli_rx_opts_init(cli_rx_opts *o)
{
    memset(o, 0, sizeof *o);
    o->proto = SK_PROTO_AUTO;
    o->eof_idle_ms = CLI_EOF_IDLE_MS;
}

/* The value of option argv[*i]: the next argument, advancing *i. */
static const char *opt_value(const char *cmd, int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int cli_rx_opts_parse(cli_rx_opts *o, const char *cmd, int argc, char **argv,
                      int *i)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--listen") || !strcmp(a, "--connect")) {
        if (!(v = opt_value(cmd, argc, argv, i)))
            return -2;
        if (o->have_source) {
            cli_usage_error(cmd, "give one of --listen and --connect, once");
            return -2;
        }
        if (cli_parse_hostport(v, o->host, sizeof o->host, &o->port) != 0) {
            cli_usage_error(cmd, "bad address '%s' for %s (want HOST:PORT, port 1-65535)", v, a);
            return -2;
        }
        o->have_source = 1;
        o->connect = !strcmp(a, "--connect");
        return 1;
    }
    if (!strcmp(a, "--proto")) {
        if (!(v = opt_value(cmd, argc, argv, i)))
            return -2;
        o->seed = 0;
        if (!strcmp(v, "seed")) {
            o->seed = 1;
            o->proto = SK_PROTO_TEXT;
        } else if (!strcmp(v, "auto")) {
            o->proto = SK_PROTO_AUTO;
        } else if (!strcmp(v, "text")) {
            o->proto = SK_PROTO_TEXT;
        } else if (!strcmp(v, "binary")) {
            o->proto = SK_PROTO_BINARY;
        } else {
            cli_usage_error(cmd, "unknown --proto '%s' (auto, text, binary or seed)", v);
            return -2;
        }
        return 1;
    }
    if (!strcmp(a, "--udp")) {
        o->udp = 1;
        return 1;
    }
    if (!strcmp(a, "--exit-on-eof")) {
        o->exit_on_eof = 1;
        return 1;
    }
    if (!strcmp(a, "--joints")) {
        if (!(v = opt_value(cmd, argc, argv, i)))
            return -2;
        int n = 0;
        const sk_joint_set *js = sk_joint_set_by_name(v);
        if (js)
            n = js->njoints;
        else if (cli_parse_int(v, &n) != 0 || !sk_joint_set_by_count(n))
            n = 0;
        if (n == 0) {
            cli_usage_error(cmd, "unknown --joints '%s' (20, 25, kinect1 or kinect2)", v);
            return -2;
        }
        o->njoints = n;
        return 1;
    }
    if (!strcmp(a, "--max-conns")) {
        if (!(v = opt_value(cmd, argc, argv, i)))
            return -2;
        if (cli_parse_int(v, &o->max_conns) != 0 || o->max_conns < 1 || o->max_conns > 100000) {
            cli_usage_error(cmd, "bad --max-conns '%s' (want 1-100000)", v);
            return -2;
        }
        return 1;
    }
    if (!strcmp(a, "--eof-idle")) {
        if (!(v = opt_value(cmd, argc, argv, i)))
            return -2;
        if (cli_parse_int(v, &o->eof_idle_ms) != 0 || o->eof_idle_ms < 1) {
            cli_usage_error(cmd, "bad --eof-idle '%s' (want milliseconds > 0)", v);
            return -2;
        }
        return 1;
    }
    return 0;
}

int cli_rx_opts_check(const cli_rx_opts *o, const char *cmd)
{
    if (!o->have_source)
        return cli_usage_error(cmd, "give --listen HOST:PORT or --connect HOST:PORT");
    if (o->udp && o->connect)
        return cli_usage_error(cmd, "--udp receives on --listen HOST:PORT, not --connect");
    if (o->udp && o->seed)
        return cli_usage_error(cmd, "--proto seed is a TCP habit: not with --udp");
    return 0;
}

int cli_rx_open(const cli_rx_opts *o, const char *cmd, sk_receiver **out)
{
    sk_receiver_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.mode = o->udp ? SK_NET_UDP
             : o->connect ? (o->seed ? SK_NET_CONNECT_SEED : SK_NET_CONNECT)
             : SK_NET_LISTEN;
    cfg.host = o->host;
    cfg.port = o->port;
    cfg.proto = o->proto;
    cfg.njoints = o->njoints;
    cfg.max_conns = o->max_conns;
    cfg.on_stream_end = o->on_stream_end;
    cfg.on_stream_end_ctx = o->on_stream_end_ctx;
    /* The seed habit opens a connection per frame: a fast sender has many
     * accepted but not yet read, so it gets more slots by default. */
    if (!cfg.max_conns && o->seed && !o->connect)
        cfg.max_conns = CLI_SEED_MAX_CONNS;
    char err[256] = "";
    int rc = sk_receiver_create(out, &cfg, err, sizeof err);
    if (rc == 0)
        return 0;
    *out = NULL;
    if (rc == SK_EADDR || rc == SK_EINVAL)
        return cli_usage_error(cmd, "%s:%d: %s", o->host, o->port,
                               err[0] ? err : sk_strerror(rc));
    fprintf(stderr, "skelact %s: %s:%d: %s\n", cmd, o->host, o->port,
            err[0] ? err : sk_strerror(rc));
    return 1;
}

static void on_signal(int sig)
{
    (void)sig;
    cli_stop = 1;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int cli_rx_at_eof(const cli_rx_opts *o, const sk_receiver_stats *st,
                  int64_t now_us)
{
    if (st->frames == 0)
        return 0;
    if (o->udp || o->seed)
        return now_us - st->last_byte_us >= (int64_t)o->eof_idle_ms * 1000;
    return st->open == 0;
}

int cli_rx_step(sk_receiver *r, const cli_rx_opts *o, sk_frame_fn on_frame,
                void *ctx)
{
    sk_receiver_stats st;
    int timeout = CLI_POLL_MS;
    if (o->exit_on_eof) {
        sk_receiver_get_stats(r, &st);
        int64_t now = sk_now_us();
        if (cli_rx_at_eof(o, &st, now))
            return 1;
        if ((o->udp || o->seed) && st.frames > 0) {
            /* Wake up when the silence would be long enough. */
            int64_t left = st.last_byte_us + (int64_t)o->eof_idle_ms * 1000 - now;
            int left_ms = (int)(left / 1000) + 1;
            if (left_ms < timeout)
                timeout = left_ms;
        }
    }
    if (sk_receiver_poll(r, timeout, on_frame, ctx) < 0) {
        fprintf(stderr, "skelact: receiver failed: %s\n", sk_receiver_errmsg(r));
        return -1;
    }
    return 0;
}

int cli_rx_run(sk_receiver *r, const cli_rx_opts *o, sk_frame_fn on_frame,
               void *ctx, volatile int *done)
{
    while (!cli_stop && !(done && *done)) {
        int rc = cli_rx_step(r, o, on_frame, ctx);
        if (rc != 0)
            return rc < 0 ? 1 : 0;
    }
    return 0;
}
