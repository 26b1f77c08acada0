/* Key options of `skelact recognize` (--keys MAP, --keys-backend B,
 * --key-rate N): parsing, opening the sinks against the model's labels,
 * and releasing every key on exit or a crash. */
#ifndef SKELACT_CLI_KEYS_OPTS_H
#define SKELACT_CLI_KEYS_OPTS_H

#include "skelact/nn.h"
#include "skelact/sinks.h"

typedef struct cli_keys_opts {
    const char *map;     /* --keys; NULL = no keys */
    const char *backend; /* --keys-backend; NULL = auto */
    double rate;         /* --key-rate; 0 = the map's or the default */
} cli_keys_opts;

void cli_keys_opts_init(cli_keys_opts *o);

/* If argv[*i] is a key option, consume it and its value (advancing *i) and
 * return 1; 0 if it is not one; -2 after printing one line on a bad value.
 * "--keys-backend list" prints this build's backends and exits 0. */
int cli_keys_opts_parse(cli_keys_opts *o, const char *cmd, int argc, char **argv, int *i);

/* The help text of those options (names this build's backends). */
void cli_keys_help(FILE *out);

/* With o->map set: load the map against the labels of h, open the backend
 * and print one line naming it on stderr; *out stays NULL without --keys.
 * Installs a crash handler (SIGSEGV, SIGBUS, SIGFPE, SIGABRT) that releases
 * the keys before dying. Returns 0, or 2 after printing one line. */
int cli_keys_open(sk_sinks **out, const cli_keys_opts *o, const sk_model_header *h,
                  const char *cmd);

/* Release every key, print the key counts on stderr, free. NULL is fine. */
void cli_keys_close(sk_sinks *s);

#endif
