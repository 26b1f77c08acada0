/* skelact eval --format precog (cli/eval_precog.c). */
#ifndef SKELACT_CLI_EVAL_PRECOG_H
#define SKELACT_CLI_EVAL_PRECOG_H

/* The whole `skelact eval` command line when --format is precog. Returns the
 * exit status. */
int cli_eval_precog(int argc, char **argv);

#endif
