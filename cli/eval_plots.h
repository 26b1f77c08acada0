/* Pictures of `skelact eval --format precog` (cli/eval_plots.c):
 * --confusion-svg FILE, --timeline-svg FILE, --take NAME. The eval loop
 * hands over each take; the files are written at the end. */
#ifndef SKELACT_CLI_EVAL_PLOTS_H
#define SKELACT_CLI_EVAL_PLOTS_H

#include "skelact/nn.h"
#include "skelact/report.h"

typedef struct cli_eval_plots {
    const char *confusion_svg; /* --confusion-svg; NULL = none */
    const char *timeline_svg;  /* --timeline-svg; NULL = none */
    const char *take;          /* --take: the timeline's one take; NULL = all */
    int K;
    long *counts;              /* (K, K) frames: row true, column reported */
    sk_timeline_take *tl;      /* (ntl) copies of the takes for the timeline */
    int ntl, cap;
    int failed;                /* out of memory while collecting */
} cli_eval_plots;

void cli_eval_plots_init(cli_eval_plots *p);

/* If argv[*i] is a picture option, consume it and its value (advancing *i)
 * and return 1; 0 if it is not one; -2 after printing one line. */
int cli_eval_plots_parse(cli_eval_plots *p, const char *cmd, int argc, char **argv,
                         int *i);

/* The help text of those options. */
extern const char cli_eval_plots_help[];

/* One evaluated take (labels 0..K-1 of h; every array is copied). Does
 * nothing without picture options. */
void cli_eval_plots_take(cli_eval_plots *p, const sk_model_header *h, const char *name,
                         const int *truth, const int *pred, int n,
                         const sk_score_event *ev, int nev, const int *hit);

/* Write the files asked for. Returns 0, or an exit status (2: a file cannot
 * be written, --take names no evaluated take; 1: out of memory) after
 * printing one line. */
int cli_eval_plots_write(cli_eval_plots *p, const sk_model_header *h, const char *title);

void cli_eval_plots_free(cli_eval_plots *p);

#endif
