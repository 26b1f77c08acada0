/* Making a dtw model from recorded examples: the templates, then the
 * temperature and the reject distance from how far each template lies from
 * the others (no training run: src/nn/dtw.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/seterr.h"
#include "dtw.h"
#include "training.h"

#ifndef SK_DTW_SHARPNESS
#define SK_DTW_SHARPNESS 16.0f /* median distance / temperature, null class */
#endif
#ifndef SK_DTW_TRIM_PAD
#define SK_DTW_TRIM_PAD 3 /* still frames kept before and after a gesture */
#endif

/* Where a template comes from: frames [first, first + n) of a clip. */
typedef struct source {
    int clip, first, n, label;
} source;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The frames of a recorded gesture between the first and the last frame
 * whose motion (the fastest joint's speed, averaged over 5 frames) rises
 * 20% of the way from the recording's stillness (its 10th percentile, the
 * sensor's noise) to its peak, with SK_DTW_TRIM_PAD frames around: the
 * stillness before and after a take is not part of the gesture. */
static void trim_still(const sk__clip *c, int njoints, int *first, int *n)
{
    *first = 0;
    *n = c->nframes;
    int T = c->nframes;
    if (T < 8)
        return;
    float *speed = malloc((size_t)T * 3 * sizeof *speed);
    if (!speed)
        return;
    float *smooth = speed + T, *sorted = speed + 2 * T;
    speed[0] = 0;
    for (int t = 1; t < T; t++) {
        float v = 0;
        for (int j = 0; j < njoints; j++) {
            const sk_joint *a = &c->bodies[t].joints[j], *b = &c->bodies[t - 1].joints[j];
            float dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            float d = dx * dx + dy * dy + dz * dz;
            if (isfinite(d) && d > v)
                v = d;
        }
        speed[t] = sqrtf(v);
    }
    speed[0] = speed[1];
    for (int t = 0; t < T; t++) {
        int lo = t < 2 ? 0 : t - 2, hi = t + 2 >= T ? T - 1 : t + 2;
        float sum = 0;
        for (int k = lo; k <= hi; k++)
            sum += speed[k];
        smooth[t] = sorted[t] = sum / (float)(hi - lo + 1);
    }
    qsort(sorted, (size_t)T, sizeof *sorted, cmp_float);
    float still = sorted[T / 10], peak = sorted[T - 1];
    float thr = still + 0.2f * (peak - still);
    int lo = -1, hi = -1;
    for (int t = 0; t < T; t++)
        if (smooth[t] > thr) {
            if (lo < 0)
                lo = t;
            hi = t;
        }
    free(speed);
    if (lo < 0 || !(peak > still))
        return;
    lo = lo - SK_DTW_TRIM_PAD < 0 ? 0 : lo - SK_DTW_TRIM_PAD;
    hi = hi + SK_DTW_TRIM_PAD >= T ? T - 1 : hi + SK_DTW_TRIM_PAD;
    if (hi - lo + 1 >= SK__DTW_MIN_LEN) {
        *first = lo;
        *n = hi - lo + 1;
    }
}

/* Every template source of ds: a segmented clip whole (trimmed with trim),
 * each labelled move (a run of one non-zero label) of a continuous take.
 * *out malloc'ed. Returns the count, or -1 out of memory. */
static int collect_sources(const sk__dataset *ds, int trim, source **out)
{
    const sk_joint_set *js = sk_joint_set_get(ds->joint_set);
    int cap = 64, n = 0;
    source *s = malloc((size_t)cap * sizeof *s);
    if (!s)
        return -1;
    for (int i = 0; i < ds->nclips; i++) {
        const sk__clip *c = &ds->clips[i];
        for (int t = 0; t < c->nframes;) {
            source src = {i, 0, c->nframes, c->label};
            if (c->label >= 0) {
                if (trim && js)
                    trim_still(c, js->njoints, &src.first, &src.n);
                t = c->nframes;
            } else {
                int e = t;
                while (e < c->nframes && c->labels[e] == c->labels[t])
                    e++;
                src = (source){i, t, e - t, c->labels[t]};
                t = e;
                if (src.label == 0 || src.n < SK__DTW_MIN_LEN)
                    continue; /* the null class has no templates */
            }
            if (n == cap) {
                source *ns = realloc(s, (size_t)(cap *= 2) * sizeof *ns);
                if (!ns) {
                    free(s);
                    return -1;
                }
                s = ns;
            }
            s[n++] = src;
        }
    }
    *out = s;
    return n;
}

/* Template n from src: its frames (resampled to Lmax when longer, or
 * always with resample) through the model's features. */
static int fill_template(sk_model *m, int n, const sk__dataset *ds, const source *src,
                         int resample, sk_body *bodies, const sk_body **ptrs)
{
    const sk_model_config *a = &m->hdr.arch;
    const sk_joint_set *js = sk_joint_set_get(ds->joint_set);
    const sk__clip *c = &ds->clips[src->clip];
    int len = src->n;
    if (resample || len > a->window) {
        sk__clip_resample(c->bodies + src->first, src->n, 0.0f, (float)(src->n - 1),
                          js->njoints, 0.0f, NULL, bodies, a->window);
        len = a->window;
    } else {
        memcpy(bodies, c->bodies + src->first, (size_t)len * sizeof *bodies);
    }
    for (int t = 0; t < len; t++)
        ptrs[t] = &bodies[t];
    float *tp = m->params + (size_t)n * sk__dtw_stride(a);
    tp[0] = (float)src->label;
    tp[1] = (float)len;
    return sk_features_window(&m->hdr.features, ptrs, len, tp + SK__DTW_HEAD);
}

/* The temperature that gives the templates' own classes the highest mean
 * log-probability when each is matched against the others (of other
 * subjects): the softmax of the class distances dk (n, K; INFINITY: no
 * template of that class) at a geometric grid of temperatures around the
 * median distance to the own class. */
static float fit_temperature(const float *dk, const int *cls, int n, int K, float med)
{
    float base = med > 0 ? med : 1.0f, best_t = base;
    double best = -INFINITY;
    for (int i = -32; i <= 8; i++) {
        float T = base * powf(2.0f, (float)i / 4.0f);
        double ll = 0;
        for (int a = 0; a < n; a++) {
            const float *d = dk + (size_t)a * K;
            if (isinf(d[cls[a]]))
                continue;
            double zmax = -d[cls[a]] / T, sum = 0;
            for (int k = 0; k < K; k++)
                if (!isinf(d[k]) && -d[k] / T > zmax)
                    zmax = -d[k] / T;
            for (int k = 0; k < K; k++)
                if (!isinf(d[k]))
                    sum += exp(-d[k] / T - zmax);
            ll += -d[cls[a]] / T - zmax - log(sum);
        }
        if (ll > best) {
            best = ll;
            best_t = T;
        }
    }
    return best_t;
}

/* Match every template against the others and set the temperature and the
 * reject distance (the reject_q quantile of each template's distance to
 * the nearest template of its class, other subjects only when there are
 * several). */
static int calibrate(sk_model *m, const sk__dataset *ds, const source *src,
                     float reject_q, FILE *progress)
{
    const sk_model_config *a = &m->hdr.arch;
    int N = a->hidden, K = a->classes;
    size_t stride = sk__dtw_stride(a);
    int subjects = 0;
    for (int i = 1; i < ds->nclips; i++)
        subjects |= ds->clips[i].subject != ds->clips[0].subject;
    struct sk__dtw_state *st = NULL;
    float *dist = malloc((size_t)N * sizeof *dist);
    float *dk = malloc((size_t)N * K * sizeof *dk);
    float *same = malloc((size_t)N * sizeof *same);
    float *other = malloc((size_t)N * sizeof *other);
    int *cls = malloc((size_t)N * sizeof *cls);
    int rc = SK_ENOMEM;
    if (!dist || !dk || !same || !other || !cls || (rc = sk__dtw_state_new(&st, a)) != 0)
        goto done;
    int nsame = 0, nother = 0, nn_ok = 0, nn_total = 0, nn_shown = 0;
    for (int i = 0; i < N; i++) {
        const float *tp = m->params + (size_t)i * stride;
        cls[i] = (int)tp[0];
        sk__dtw_state_reset(st);
        for (int t = 0; t < (int)tp[1]; t++)
            sk__dtw_step(m, st, tp + SK__DTW_HEAD + (size_t)t * a->input, dist, NULL);
        float *d = dk + (size_t)i * K;
        for (int k = 0; k < K; k++)
            d[k] = INFINITY;
        int si = ds->clips[src[i].clip].subject;
        for (int j = 0; j < N; j++) {
            int cj = (int)m->params[(size_t)j * stride];
            if (j == i || (subjects && ds->clips[src[j].clip].subject == si))
                continue;
            if (dist[j] < d[cj])
                d[cj] = dist[j];
        }
        if (!isinf(d[cls[i]]))
            same[nsame++] = d[cls[i]];
        float o = INFINITY;
        for (int k = 0; k < K; k++)
            if (k != cls[i] && d[k] < o)
                o = d[k];
        if (!isinf(o))
            other[nother++] = o;
        /* Would this example be recognised by the others? The one check a
         * user recording a few takes per gesture gets before going live. */
        int nearest = -1;
        for (int k = 0; k < K; k++)
            if (!isinf(d[k]) && (nearest < 0 || d[k] < d[nearest]))
                nearest = k;
        if (nearest >= 0) {
            nn_total++;
            nn_ok += nearest == cls[i];
            if (nearest != cls[i] && progress && nn_shown++ < 10)
                fprintf(progress, "dtw: %s (%s, frames %d-%d) is nearer to %s than to %s\n",
                        ds->clips[src[i].clip].name, m->hdr.labels[cls[i]], src[i].first,
                        src[i].first + src[i].n - 1, m->hdr.labels[nearest],
                        isinf(d[cls[i]]) ? "any other of its own (none matches)"
                                         : "the others of its own");
        }
    }
    if (progress && nn_total)
        fprintf(progress, "dtw: each example against the others%s: %d of %d nearest to "
                          "their own class\n",
                subjects ? " (of other subjects)" : "", nn_ok, nn_total);
    float *tail = m->params + (size_t)N * stride;
    if (nsame == 0 && nother == 0) { /* one template: nothing to compare */
        tail[0] = 1.0f;
        tail[1] = 1.0f;
        if (progress)
            fprintf(progress, "dtw: one template, nothing to compare: temperature 1, "
                              "reject distance 1\n");
        rc = 0;
        goto done;
    }
    /* Without a second example of any class (one take per gesture), the
     * distances within a class are unknown: 0 for what follows. */
    qsort(same, (size_t)nsame, sizeof *same, cmp_float);
    int q = (int)floorf(reject_q * (float)(nsame - 1) + 0.5f);
    q = q < 0 ? 0 : q >= nsame ? nsame - 1 : q;
    float med = nsame ? same[nsame / 2] : 0.0f, quant = nsame ? same[q] : 0.0f;
    float med_other = INFINITY;
    if (nother > 0) {
        qsort(other, (size_t)nother, sizeof *other, cmp_float);
        med_other = other[nother / 2];
    }
    /* A few consistent examples of each gesture lie much closer to each
     * other than a new performance will: accept, at least, what is nearer
     * than halfway from the typical distance within a class to the typical
     * one to the nearest other class. */
    tail[1] = quant;
    if (!isinf(med_other) && 0.5f * (med + med_other) > tail[1])
        tail[1] = 0.5f * (med + med_other);
    /* With a class that has no templates (the null class), the decision is
     * also whether anything matched at all: the fitted temperature, 2-3x
     * the median / 16 on PRECOG, is too soft for the decision threshold
     * there (models/README.md, dtw). */
    int null_class = 0;
    for (int k = 0; k < K; k++) {
        int has = 0;
        for (int i = 0; i < N; i++)
            has |= cls[i] == k;
        null_class |= !has;
    }
    float scale = med > 0 ? med : tail[1] > 0 ? tail[1] : 1.0f;
    tail[0] = null_class || nsame == 0 ? scale / SK_DTW_SHARPNESS
                                       : fit_temperature(dk, cls, N, K, med);
    if (progress)
        fprintf(progress,
                "dtw: distance to the nearest template%s: of the same class median %.3f, "
                "%.0f%% quantile %.3f; of another class median %.3f; reject distance %.3f; "
                "temperature %.4f (%s)\n",
                subjects ? " (other subjects)" : "", (double)med, 100.0 * reject_q,
                (double)quant, (double)med_other, (double)tail[1], (double)tail[0],
                !(null_class || nsame == 0) ? "fitted"
                : med > 0                   ? "median / 16"
                                            : "reject distance / 16");
    rc = 0;
done:
    sk__dtw_state_free(st);
    free(dist);
    free(dk);
    free(same);
    free(other);
    free(cls);
    return rc;
}

int sk__dtw_build(sk_model **out, sk_model_header *h, const sk__dataset *ds,
                  int resample, int trim, float reject_q, FILE *progress, char *err,
                  size_t errlen)
{
    *out = NULL;
    source *src = NULL;
    int n = collect_sources(ds, trim, &src);
    if (n < 0)
        return SK_ENOMEM;
    if (n == 0) {
        free(src);
        sk__seterr(err, errlen, "no examples to make templates of");
        return SK_EINVAL;
    }
    h->arch.arch = SK_ARCH_DTW;
    h->arch.hidden = n;
    h->arch.layers = 1;
    h->arch.kernel = 0;
    h->arch.pool = SK_POOL_LAST;
    sk_model *m = NULL;
    int rc = sk_model_create(&m, h, 0);
    sk_body *bodies = malloc((size_t)h->arch.window * sizeof *bodies);
    const sk_body **ptrs = malloc((size_t)h->arch.window * sizeof *ptrs);
    if (rc || !bodies || !ptrs) {
        sk__seterr(err, errlen, rc == SK_EINVAL ? "invalid dtw model settings" : "out of memory");
        rc = rc ? rc : SK_ENOMEM;
        goto done;
    }
    int count[SK_MAX_CLASSES] = {0};
    for (int i = 0; i < n && rc == 0; i++) {
        rc = fill_template(m, i, ds, &src[i], resample, bodies, ptrs);
        count[src[i].label]++;
    }
    if (rc) {
        sk__seterr(err, errlen, "features of a template failed");
        goto done;
    }
    if (progress) {
        fprintf(progress, "dtw: %d templates of at most %d frames:", n, h->arch.window);
        for (int k = 0; k < h->arch.classes; k++)
            if (count[k])
                fprintf(progress, " %s %d,", h->labels[k], count[k]);
        fprintf(progress, "\n");
    }
    if ((rc = calibrate(m, ds, src, reject_q, progress)) != 0) {
        sk__seterr(err, errlen, "out of memory");
        goto done;
    }
    *out = m;
    m = NULL;
done:
    sk_model_destroy(m);
    free(bodies);
    free(ptrs);
    free(src);
    return rc;
}
