/* Receiving side shared by `skelact recognize`, `skelact record` and the
 * demo: the source options (--listen / --connect, --proto, --udp, --joints,
 * --max-conns, --exit-on-eof, --eof-idle), opening the receiver, signals, and
 * the receive loop with its end-of-input rule. Wiring only: the sockets and
 * decoding are the net library's. */
#ifndef SKELACT_CLI_STREAM_RX_H
#define SKELACT_CLI_STREAM_RX_H

#include <signal.h>
#include <stdint.h>

#include "skelact/net.h"

#ifndef CLI_EOF_IDLE_MS
#define CLI_EOF_IDLE_MS 1000 /* seed habit and UDP: a 30 fps sensor is never 1 s silent */
#endif
#ifndef CLI_SEED_MAX_CONNS
#define CLI_SEED_MAX_CONNS 256 /* seed habit: each frame is a connection, many in flight */
#endif
#ifndef CLI_POLL_MS
#define CLI_POLL_MS 250 /* longest sleep in a loop: bounds the reaction to a signal race */
#endif

typedef struct cli_rx_opts {
    int have_source;  /* --listen or --connect given */
    int connect;      /* 1: --connect, 0: --listen */
    char host[256];
    int port;
    int proto;        /* SK_PROTO_* (seed is SK_PROTO_TEXT with seed = 1) */
    int seed;         /* --proto seed */
    int udp;          /* --udp */
    int njoints;      /* --joints: 0 = any known joint set */
    int max_conns;    /* --max-conns, 0 = the library's default */
    int exit_on_eof;  /* --exit-on-eof */
    int eof_idle_ms;  /* --eof-idle */
    /* Not an option: told when a persistent connection's stream ends
     * (sk_receiver_config.on_stream_end); NULL = not told. */
    void (*on_stream_end)(void *ctx, uint32_t stream);
    void *on_stream_end_ctx;
} cli_rx_opts;

/* Set the defaults. */
void cli_rx_opts_init(cli_rx_opts *o);

/* If argv[*i] is one of the source options, consume it (and its value,
 * advancing *i) and return 1; return 0 if it is not one; on a bad value print
 * one line (cli_usage_error) and return -2. */
int cli_rx_opts_parse(cli_rx_opts *o, const char *cmd, int argc, char **argv,
                      int *i);

/* After parsing: check that a source was given and the options fit together.
 * Returns 0, or 2 after printing one line. */
int cli_rx_opts_check(const cli_rx_opts *o, const char *cmd);

/* The help text of the source options and of the end-of-input rule. */
extern const char cli_rx_help[];

/* Create the receiver the options describe. Returns 0, or an exit status
 * (2: the address is bad; 1: the socket could not be opened) after printing
 * one line. */
int cli_rx_open(const cli_rx_opts *o, const char *cmd, sk_receiver **out);

/* Set by SIGINT / SIGTERM once cli_signals_install() has run. */
extern volatile sig_atomic_t cli_stop;

/* Install SIGINT and SIGTERM handlers that only set cli_stop (no
 * SA_RESTART, so a blocking poll returns at once), and ignore SIGPIPE. */
void cli_signals_install(void);

/* One turn of the receive loop: return 1 at end of input (with
 * o->exit_on_eof), else wait in poll() up to CLI_POLL_MS (less when an
 * end-of-input silence would be reached sooner), deliver what arrived to
 * on_frame and return 0; -1 after printing one line if the receiver failed. */
int cli_rx_step(sk_receiver *r, const cli_rx_opts *o, sk_frame_fn on_frame,
                void *ctx);

/* Receive until end of input (with o->exit_on_eof, see cli_rx_help), a
 * signal, or *done becoming non-zero (set by on_frame, e.g. record --frames;
 * done may be NULL). Frames go to on_frame(ctx, ...). Returns 0, or 1 after
 * printing one line if the receiver itself failed. */
int cli_rx_run(sk_receiver *r, const cli_rx_opts *o, sk_frame_fn on_frame,
               void *ctx, volatile int *done);

/* Whether the end-of-input rule holds now (exposed for the demo). */
int cli_rx_at_eof(const cli_rx_opts *o, const sk_receiver_stats *st,
                  int64_t now_us);

#endif
