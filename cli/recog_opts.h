/* Decision options shared by `skelact recognize` and `skelact eval --format
 * precog` (--smooth, --threshold, --min-frames, --refractory,
 * --decide-every, --gap), and the JSON line of an event. */
#ifndef SKELACT_CLI_RECOG_OPTS_H
#define SKELACT_CLI_RECOG_OPTS_H

#include <stdio.h>

#include "skelact/recognizer.h"

/* If argv[*i] is a decision option, consume it and its value (advancing *i)
 * into cfg and return 1; 0 if it is not one; -2 after printing one line on a
 * bad value. */
int cli_recog_opt_parse(sk_recognizer_config *cfg, const char *cmd, int argc,
                        char **argv, int *i);

/* The help text of those options. */
extern const char cli_recog_opt_help[];

/* One event as a JSON object (no newline):
 * {"label","class","body","stream","frame","confidence","latency_us"}, then
 * extra (more ,"key":value pairs, already JSON) if not NULL. */
void cli_event_json(FILE *out, const sk_event *ev, const char *extra);

#endif
