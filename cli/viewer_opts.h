/* The live viewer in `skelact recognize`: the --http option and starting
 * the viewer (wiring only: the server is src/viewer). */
#ifndef SKELACT_CLI_VIEWER_OPTS_H
#define SKELACT_CLI_VIEWER_OPTS_H

#include "skelact/nn.h"
#include "skelact/viewer.h"

typedef struct cli_viewer_opts {
    int on;         /* --http given */
    char host[256]; /* 127.0.0.1 unless --http HOST:PORT */
    int port;
} cli_viewer_opts;

void cli_viewer_opts_init(cli_viewer_opts *o);

/* If argv[*i] is --http, consume it and its value (PORT or HOST:PORT,
 * advancing *i) and return 1; 0 if it is not; -2 after printing one line on
 * a bad value. */
int cli_viewer_opt_parse(cli_viewer_opts *o, const char *cmd, int argc, char **argv,
                         int *i);

/* The help text of --http. */
extern const char cli_viewer_help[];

/* With --http: start the viewer, give it m's label names (m may be NULL:
 * skeletons only), print its address on stderr. Without: *out = NULL.
 * Returns 0, or 1 after printing one line (the port could not be opened). */
int cli_viewer_start(const cli_viewer_opts *o, const char *cmd, const sk_model *m,
                     sk_viewer **out);

#endif
