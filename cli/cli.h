/* The skelact program: one function per subcommand, each in cli/cmd_<name>.c.
 * Each returns the process exit status: 0 success, 2 bad arguments or
 * unreadable input (after printing one line naming the problem), 1 other
 * failures. Argument parsing and wiring only: the logic lives in the library. */
#ifndef SKELACT_CLI_H
#define SKELACT_CLI_H

#include <stddef.h>
#include <stdio.h>

int sk_cmd_demo(int argc, char **argv);
int sk_cmd_replay(int argc, char **argv);
int sk_cmd_recognize(int argc, char **argv);
int sk_cmd_record(int argc, char **argv);
int sk_cmd_train(int argc, char **argv);
int sk_cmd_eval(int argc, char **argv);
int sk_cmd_info(int argc, char **argv);
int sk_cmd_bench(int argc, char **argv);

/* Print "skelact CMD: message" on stderr and return 2 (bad arguments). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Split "HOST:PORT" (or ":PORT" or "PORT", host then 127.0.0.1; "[v6]:PORT").
 * Returns 0, or -1 when malformed or the port is outside 1..65535. */
int cli_parse_hostport(const char *s, char *host, size_t hostlen, int *port);

/* Parse a list of positive integers such as "1,3,5-7". Sets out[i] for each
 * listed i in 1..maxv-1 (out has maxv entries, zeroed first). Returns the
 * number listed, or -1 when malformed or out of range. */
int cli_parse_int_list(const char *s, unsigned char *out, int maxv);

/* Parse a double / an int with full checking. Return 0 or -1. */
int cli_parse_double(const char *s, double *out);
int cli_parse_int(const char *s, int *out);

/* Write s to out as a JSON string: quotes, backslashes and control bytes
 * escaped. */
void cli_json_string(FILE *out, const char *s);

#endif
