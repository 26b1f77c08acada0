/* Scoring a recognizer on continuous takes, as DESIGN.md "Evaluation on
 * continuous takes" defines it (skelact/recognizer.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/recognizer.h"

struct sk_score {
    int K;
    long frames, correct;
    long *tp, *fp, *fn;   /* (K) frame counts per label */
    long *present;        /* (K) true frames per label */
    long moves, hits, events;
    int *delays;          /* (ndelays) one per hit */
    long ndelays, cap;
};

int sk_score_create(sk_score **out, int K)
{
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    if (K < 1 || K > SK_MAX_CLASSES)
        return SK_EINVAL;
    sk_score *s = calloc(1, sizeof *s);
    if (!s)
        return SK_ENOMEM;
    s->K = K;
    s->tp = calloc((size_t)K, sizeof *s->tp);
    s->fp = calloc((size_t)K, sizeof *s->fp);
    s->fn = calloc((size_t)K, sizeof *s->fn);
    s->present = calloc((size_t)K, sizeof *s->present);
    if (!s->tp || !s->fp || !s->fn || !s->present) {
        sk_score_destroy(s);
        return SK_ENOMEM;
    }
    *out = s;
    return 0;
}

void sk_score_destroy(sk_score *s)
{
    if (!s)
        return;
    free(s->tp);
    free(s->fp);
    free(s->fn);
    free(s->present);
    free(s->delays);
    free(s);
}

int sk_score_add_take(sk_score *s, const int *truth, const int *pred, int n,
                      const sk_score_event *ev, int nev, int *hit)
{
    if (!s || n < 0 || nev < 0 || (n > 0 && (!truth || !pred)) || (nev > 0 && !ev))
        return SK_EINVAL;
    for (int t = 0; t < n; t++)
        if (truth[t] < 0 || truth[t] >= s->K || pred[t] < 0 || pred[t] >= s->K)
            return SK_EINVAL;
    for (int i = 0; i < nev; i++)
        if (ev[i].frame < 0 || ev[i].frame >= n || ev[i].label < 1 || ev[i].label >= s->K)
            return SK_EINVAL;

    /* The true moves: maximal runs of one non-zero label. */
    int nmoves = 0;
    for (int t = 0; t < n; t++)
        if (truth[t] && (t == 0 || truth[t - 1] != truth[t]))
            nmoves++;
    int *ms = NULL, *me = NULL, *ml = NULL;
    char *matched = NULL;
    if (nmoves) {
        ms = malloc((size_t)nmoves * sizeof *ms);
        me = malloc((size_t)nmoves * sizeof *me);
        ml = malloc((size_t)nmoves * sizeof *ml);
        matched = calloc((size_t)nmoves, 1);
    }
    if (s->ndelays + nev > s->cap) {
        long ncap = s->cap ? s->cap : 64;
        while (ncap < s->ndelays + nev)
            ncap *= 2;
        int *nd = realloc(s->delays, (size_t)ncap * sizeof *nd);
        if (nd) {
            s->delays = nd;
            s->cap = ncap;
        } else {
            nmoves = -1; /* fail below */
        }
    }
    if (nmoves < 0 || (nmoves > 0 && (!ms || !me || !ml || !matched))) {
        free(ms);
        free(me);
        free(ml);
        free(matched);
        return SK_ENOMEM;
    }
    int m = 0;
    for (int t = 0; t < n; t++) {
        if (!truth[t] || (t > 0 && truth[t - 1] == truth[t]))
            continue;
        int e = t;
        while (e + 1 < n && truth[e + 1] == truth[t])
            e++;
        ms[m] = t;
        me[m] = e;
        ml[m] = truth[t];
        m++;
    }

    /* Frames. */
    s->frames += n;
    for (int t = 0; t < n; t++) {
        s->present[truth[t]]++;
        if (truth[t] == pred[t]) {
            s->correct++;
            s->tp[truth[t]]++;
        } else {
            s->fn[truth[t]]++;
            s->fp[pred[t]]++;
        }
    }

    /* Events: each matches the first unmatched move of its label whose
     * [s, e + late] holds its frame. */
    for (int i = 0; i < nev; i++) {
        int f = ev[i].frame, found = -1;
        for (int k = 0; k < nmoves; k++)
            if (!matched[k] && ml[k] == ev[i].label && ms[k] <= f &&
                f <= me[k] + SK_SCORE_LATE_FRAMES) {
                found = k;
                break;
            }
        if (found >= 0) {
            matched[found] = 1;
            s->hits++;
            s->delays[s->ndelays++] = f - ms[found];
        }
        if (hit)
            hit[i] = found;
    }
    s->moves += nmoves;
    s->events += nev;
    free(ms);
    free(me);
    free(ml);
    free(matched);
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void sk_score_get(const sk_score *s, sk_score_result *res)
{
    memset(res, 0, sizeof *res);
    if (!s)
        return;
    res->frames = s->frames;
    res->frames_correct = s->correct;
    res->frame_accuracy = s->frames ? (double)s->correct / (double)s->frames : 0.0;
    double sum = 0.0;
    int nl = 0;
    for (int k = 0; k < s->K; k++) {
        if (!s->present[k])
            continue;
        double denom = 2.0 * s->tp[k] + s->fp[k] + s->fn[k];
        sum += denom > 0 ? 2.0 * s->tp[k] / denom : 0.0;
        nl++;
    }
    res->macro_f1 = nl ? sum / nl : 0.0;
    res->macro_labels = nl;
    res->true_moves = s->moves;
    res->hits = s->hits;
    res->misses = s->moves - s->hits;
    res->false_alarms = s->events - s->hits;
    res->precision = s->events ? (double)s->hits / (double)s->events : 0.0;
    res->recall = s->moves ? (double)s->hits / (double)s->moves : 0.0;
    res->f1 = res->precision + res->recall > 0
                  ? 2.0 * res->precision * res->recall / (res->precision + res->recall)
                  : 0.0;
    res->mean_delay_frames = NAN;
    res->median_delay_frames = NAN;
    if (s->ndelays > 0) {
        double d = 0.0;
        for (long i = 0; i < s->ndelays; i++)
            d += s->delays[i];
        res->mean_delay_frames = d / (double)s->ndelays;
        /* The median needs an order: sort a copy (the accumulator stays const). */
        int *c = malloc((size_t)s->ndelays * sizeof *c);
        if (c) {
            memcpy(c, s->delays, (size_t)s->ndelays * sizeof *c);
            qsort(c, (size_t)s->ndelays, sizeof *c, cmp_int);
            long h = s->ndelays / 2;
            res->median_delay_frames =
                s->ndelays % 2 ? c[h] : 0.5 * ((double)c[h - 1] + c[h]);
            free(c);
        }
    }
}
