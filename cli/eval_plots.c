/* Pictures of `skelact eval --format precog`: the confusion matrix of the
 * frame labels and the timeline of true moves against the recognizer's
 * decisions and events (the SVG writers are src/report/'s). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_plots.h"

const char cli_eval_plots_help[] =
    "Pictures (SVG):\n"
    "  --confusion-svg F  the confusion matrix of the frame labels (rows true,\n"
    "                     columns reported; colour = share of the row)\n"
    "  --timeline-svg F   per take, the true moves against the recognizer's\n"
    "                     decisions and events (false alarms hollow)\n"
    "  --take NAME        the timeline of this take only (Seq1_7 or Seq1_7.csv)\n";

void cli_eval_plots_init(cli_eval_plots *p)
{
    memset(p, 0, sizeof *p);
}

int cli_eval_plots_parse(cli_eval_plots *p, const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--confusion-svg") && strcmp(a, "--timeline-svg") && strcmp(a, "--take"))
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", a);
        return -2;
    }
    const char *v = argv[++*i];
    if (!strcmp(a, "--confusion-svg"))
        p->confusion_svg = v;
    else if (!strcmp(a, "--timeline-svg"))
        p->timeline_svg = v;
    else
        p->take = v;
    return 1;
}

/* name is "Seq1_7.csv" and want "Seq1_7.csv" or "Seq1_7". */
static int same_take(const char *name, const char *want)
{
    size_t n = strlen(want);
    return !strcmp(name, want) || (!strncmp(name, want, n) && !strcmp(name + n, ".csv"));
}

static void *dup_mem(const void *src, size_t n)
{
    void *d = malloc(n ? n : 1);
    if (d && n)
        memcpy(d, src, n);
    return d;
}

void cli_eval_plots_take(cli_eval_plots *p, const sk_model_header *h, const char *name,
                         const int *truth, const int *pred, int n,
                         const sk_score_event *ev, int nev, const int *hit)
{
    if (p->failed)
        return;
    if (p->confusion_svg) {
        if (!p->counts) {
            p->K = h->nlabels;
            p->counts = calloc((size_t)p->K * (size_t)p->K, sizeof *p->counts);
            if (!p->counts) {
                p->failed = 1;
                return;
            }
        }
        for (int t = 0; t < n; t++)
            if (truth[t] >= 0 && truth[t] < p->K && pred[t] >= 0 && pred[t] < p->K)
                p->counts[truth[t] * p->K + pred[t]]++;
    }
    if (!p->timeline_svg || (p->take && !same_take(name, p->take)))
        return;
    if (p->ntl == p->cap) {
        int cap = p->cap ? 2 * p->cap : 8;
        sk_timeline_take *tl = realloc(p->tl, (size_t)cap * sizeof *tl);
        if (!tl) {
            p->failed = 1;
            return;
        }
        p->tl = tl;
        p->cap = cap;
    }
    sk_timeline_take *t = &p->tl[p->ntl];
    memset(t, 0, sizeof *t);
    t->name = dup_mem(name, strlen(name) + 1);
    t->nframes = n;
    t->truth = dup_mem(truth, (size_t)n * sizeof *truth);
    t->pred = dup_mem(pred, (size_t)n * sizeof *pred);
    t->ev = dup_mem(ev, (size_t)nev * sizeof *ev);
    t->nev = nev;
    t->hit = hit ? dup_mem(hit, (size_t)nev * sizeof *hit) : NULL;
    p->ntl++; /* counted even when a copy failed, so that free sees it */
    if (!t->name || !t->truth || !t->pred || !t->ev || (hit && !t->hit))
        p->failed = 1;
}

static int write_file(const char *path, const char *what, int (*fn)(FILE *, void *),
                      void *arg)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return cli_usage_error("eval", "cannot write %s %s", what, path);
    int rc = fn(f, arg);
    if (fclose(f) != 0 && !rc)
        rc = SK_EIO;
    if (rc)
        return cli_usage_error("eval", "%s %s: %s", what, path, sk_strerror(rc));
    return 0;
}

typedef struct plot_args {
    cli_eval_plots *p;
    const char *labels[SK_MAX_CLASSES];
    int K;
    const char *title;
} plot_args;

static int confusion(FILE *f, void *arg)
{
    plot_args *a = arg;
    return sk_svg_confusion_write(f, a->p->counts, a->K, a->labels, a->title);
}

static int timeline(FILE *f, void *arg)
{
    plot_args *a = arg;
    return sk_svg_timeline_write(f, a->p->tl, a->p->ntl, a->K, a->labels, 30.0, a->title);
}

int cli_eval_plots_write(cli_eval_plots *p, const sk_model_header *h, const char *title)
{
    if (p->failed) {
        fprintf(stderr, "skelact eval: out of memory for the pictures\n");
        return 1;
    }
    plot_args a;
    memset(&a, 0, sizeof a);
    a.p = p;
    a.K = h->nlabels;
    a.title = title;
    for (int i = 0; i < a.K && i < SK_MAX_CLASSES; i++)
        a.labels[i] = h->labels[i];
    int rc;
    if (p->confusion_svg && p->counts &&
        (rc = write_file(p->confusion_svg, "confusion matrix", confusion, &a)))
        return rc;
    if (p->timeline_svg) {
        if (p->ntl == 0)
            return cli_usage_error("eval", "--take %s: no such take among the evaluated ones",
                                   p->take ? p->take : "");
        if ((rc = write_file(p->timeline_svg, "timeline", timeline, &a)))
            return rc;
    }
    return 0;
}

void cli_eval_plots_free(cli_eval_plots *p)
{
    for (int i = 0; i < p->ntl; i++) {
        free((void *)p->tl[i].name);
        free((void *)p->tl[i].truth);
        free((void *)p->tl[i].pred);
        free((void *)p->tl[i].ev);
        free((void *)p->tl[i].hit);
    }
    free(p->tl);
    free(p->counts);
    memset(p, 0, sizeof *p);
}
