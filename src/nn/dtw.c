/* The dtw architecture: nearest templates by subsequence dynamic time
 * warping, one frame at a time (src/nn/dtw.h says what the model is). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/seterr.h"
#include "dtw.h"

size_t sk__dtw_stride(const sk_model_config *cfg)
{
    if (cfg->arch != SK_ARCH_DTW || cfg->input < 1 || cfg->input > 65536 ||
        cfg->window < SK__DTW_MIN_LEN || cfg->window > 65536 || cfg->hidden < 1 ||
        cfg->hidden > 65536)
        return 0;
    return SK__DTW_HEAD + (size_t)cfg->window * (size_t)cfg->input;
}

size_t sk__dtw_param_count(const sk_model_config *cfg)
{
    size_t stride = sk__dtw_stride(cfg);
    return stride ? (size_t)cfg->hidden * stride + 2 : 0;
}

/* A float that holds an integer in lo..hi. */
static int is_int_in(float v, int lo, int hi)
{
    return v >= (float)lo && v <= (float)hi && v == floorf(v);
}

/* A template's class and length as sk__dtw_check requires them: what the
 * step and the summary skip otherwise (parameters changed in memory). */
static int template_valid(const sk_model_config *a, const float *tp)
{
    return is_int_in(tp[0], 0, a->classes - 1) &&
           is_int_in(tp[1], SK__DTW_MIN_LEN, a->window);
}

int sk__dtw_check(const sk_model *m, char *err, size_t errlen)
{
    const sk_model_config *a = &m->hdr.arch;
    size_t stride = sk__dtw_stride(a);
    const float *p = m->params;
    for (int n = 0; n < a->hidden; n++) {
        const float *tp = p + (size_t)n * stride;
        if (!is_int_in(tp[0], 0, a->classes - 1)) {
            sk__seterr(err, errlen, "dtw template %d: class %g is not one of 0..%d", n,
                       (double)tp[0], a->classes - 1);
            return SK_EFORMAT;
        }
        if (!is_int_in(tp[1], SK__DTW_MIN_LEN, a->window)) {
            sk__seterr(err, errlen, "dtw template %d: length %g is not one of %d..%d", n,
                       (double)tp[1], SK__DTW_MIN_LEN, a->window);
            return SK_EFORMAT;
        }
    }
    const float *tail = p + (size_t)a->hidden * stride;
    if (!(tail[0] > 0.0f)) {
        sk__seterr(err, errlen, "dtw temperature %g is not positive", (double)tail[0]);
        return SK_EFORMAT;
    }
    if (!(tail[1] >= 0.0f)) {
        sk__seterr(err, errlen, "dtw reject distance %g is negative", (double)tail[1]);
        return SK_EFORMAT;
    }
    return 0;
}

void sk__dtw_init_params(sk_model *m)
{
    const sk_model_config *a = &m->hdr.arch;
    size_t stride = sk__dtw_stride(a);
    memset(m->params, 0, m->nparams * sizeof *m->params);
    for (int n = 0; n < a->hidden; n++) {
        m->params[(size_t)n * stride] = (float)(n % a->classes);
        m->params[(size_t)n * stride + 1] = (float)a->window;
    }
    m->params[(size_t)a->hidden * stride] = 1.0f;
    m->params[(size_t)a->hidden * stride + 1] = 1.0f;
}

/* ---- the matching state -------------------------------------------------- */

/* Per template n and template frame j, for the frames t, t-1, t-2 (three
 * rotating planes): the least path cost ending at (t, j) (INFINITY: none)
 * and the frames t - s + 1 that path spans; and the frame costs of t and
 * t-1. */
struct sk__dtw_state {
    int N, L, C, K;
    int cur;           /* plane of frame t after a step: 0..2 */
    float *d[3];       /* (N, L) path costs */
    int *span[3];      /* (N, L) frames spanned */
    float *c[2];       /* (N, L) frame costs, c[t & 1] */
    long t;            /* frames stepped since the reset */
    float *z;          /* (K) class distances, then logits */
    float *dist;       /* (N) window inference's template distances */
    void *block;
};

int sk__dtw_state_new(struct sk__dtw_state **out, const sk_model_config *cfg)
{
    *out = NULL;
    if (!sk__dtw_stride(cfg) || cfg->classes < 1 || cfg->classes > SK_MAX_CLASSES)
        return SK_EINVAL;
    struct sk__dtw_state *s = calloc(1, sizeof *s);
    if (!s)
        return SK_ENOMEM;
    s->N = cfg->hidden;
    s->L = cfg->window;
    s->C = cfg->input;
    s->K = cfg->classes;
    size_t cells = (size_t)s->N * (size_t)s->L;
    /* 3 cost planes + 2 frame-cost planes (float), 3 span planes (int),
     * K + N floats */
    size_t bytes = 5 * cells * sizeof(float) + 3 * cells * sizeof(int) +
                   (size_t)(s->K + s->N) * sizeof(float);
    s->block = malloc(bytes);
    if (!s->block) {
        free(s);
        return SK_ENOMEM;
    }
    float *f = s->block;
    for (int i = 0; i < 3; i++, f += cells)
        s->d[i] = f;
    for (int i = 0; i < 2; i++, f += cells)
        s->c[i] = f;
    s->z = f;
    f += s->K;
    s->dist = f;
    f += s->N;
    int *ip = (int *)f;
    for (int i = 0; i < 3; i++, ip += cells)
        s->span[i] = ip;
    sk__dtw_state_reset(s);
    *out = s;
    return 0;
}

void sk__dtw_state_free(struct sk__dtw_state *s)
{
    if (!s)
        return;
    free(s->block);
    free(s);
}

void sk__dtw_state_reset(struct sk__dtw_state *s)
{
    size_t cells = (size_t)s->N * (size_t)s->L;
    for (int i = 0; i < 3; i++) {
        for (size_t k = 0; k < cells; k++)
            s->d[i][k] = INFINITY;
        memset(s->span[i], 0, cells * sizeof(int));
    }
    memset(s->c[0], 0, cells * sizeof(float));
    memset(s->c[1], 0, cells * sizeof(float));
    s->cur = 0;
    s->t = 0;
}

/* Euclidean distance of two feature vectors: eight partial sums, so the
 * compiler keeps independent chains (and vectors) in flight. */
static float frame_cost(const float *x, const float *y, int C)
{
    float a[8] = {0};
    int i = 0;
    for (; i + 8 <= C; i += 8)
        for (int k = 0; k < 8; k++) {
            float d = x[i + k] - y[i + k];
            a[k] += d * d;
        }
    float s = ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
    for (; i < C; i++)
        s += (x[i] - y[i]) * (x[i] - y[i]);
    return sqrtf(s);
}

/* Template n's step: frame costs into cc, then the path costs of frame t
 * from those of t-1 and t-2. The steps into (t, j), with their weights
 * (how many frames of the stream plus of the template they advance):
 *   from (t-1, j-1): 2 c(t,j)                 both advance one
 *   from (t-1, j-2): 2 c(t,j) + c(t,j-1)      the template two (faster)
 *   from (t-2, j-1): 2 c(t,j) + c(t-1,j)      the stream two (slower)
 *   a start at (t, 0): 2 c(t,0)
 * so a path's weight is always its frames spanned plus the template's. */
static float template_step(const float *y, int len, int C, const float *x, float *cc,
                           const float *cp, float *d, const float *d1, const float *d2,
                           int *sp, const int *sp1, const int *sp2)
{
    for (int j = 0; j < len; j++)
        cc[j] = frame_cost(x, y + (size_t)j * C, C);
    d[0] = 2.0f * cc[0];
    sp[0] = 1;
    for (int j = 1; j < len; j++) {
        float two = 2.0f * cc[j], best = d1[j - 1] + two;
        int span = sp1[j - 1] + 1;
        if (j >= 2) {
            float v = d1[j - 2] + two + cc[j - 1];
            if (v < best) {
                best = v;
                span = sp1[j - 2] + 1;
            }
        }
        float v = d2[j - 1] + two + cp[j];
        if (v < best) {
            best = v;
            span = sp2[j - 1] + 2;
        }
        d[j] = best;
        sp[j] = span;
    }
    float end = d[len - 1];
    return isinf(end) ? INFINITY : end / (float)(sp[len - 1] + len);
}

/* Class distances -> probabilities: softmax(-z / T); classes without a
 * template at distance tau. */
static void class_probs(struct sk__dtw_state *s, const unsigned char *has, float T,
                        float tau, float *probs)
{
    float zmax = -INFINITY;
    for (int k = 0; k < s->K; k++) {
        float dk = has[k] ? s->z[k] : tau;
        s->z[k] = isinf(dk) ? -INFINITY : -dk / T;
        if (s->z[k] > zmax)
            zmax = s->z[k];
    }
    if (isinf(zmax)) { /* nothing matched yet and no null class */
        for (int k = 0; k < s->K; k++)
            probs[k] = 1.0f / (float)s->K;
        return;
    }
    float sum = 0;
    for (int k = 0; k < s->K; k++) {
        probs[k] = isinf(s->z[k]) ? 0.0f : expf(s->z[k] - zmax);
        sum += probs[k];
    }
    for (int k = 0; k < s->K; k++)
        probs[k] /= sum;
}

int sk__dtw_step(const sk_model *m, struct sk__dtw_state *s, const float *x,
                 float *dist, float *probs)
{
    const sk_model_config *a = &m->hdr.arch;
    if (a->arch != SK_ARCH_DTW || a->hidden != s->N || a->window != s->L ||
        a->input != s->C || a->classes != s->K)
        return SK_EINVAL;
    size_t stride = sk__dtw_stride(a), L = (size_t)s->L;
    int now = (s->cur + 1) % 3, p1 = s->cur, p2 = (s->cur + 2) % 3;
    float *cc = s->c[s->t & 1];
    const float *cp = s->c[(s->t + 1) & 1];
    unsigned char has[SK_MAX_CLASSES] = {0};
    for (int k = 0; k < s->K; k++)
        s->z[k] = INFINITY;
    for (int n = 0; n < s->N; n++) {
        const float *tp = m->params + (size_t)n * stride;
        if (!template_valid(a, tp)) { /* changed in memory past sk__dtw_check */
            if (dist)
                dist[n] = INFINITY;
            continue;
        }
        int cls = (int)tp[0], len = (int)tp[1];
        size_t o = (size_t)n * L;
        float dn = template_step(tp + SK__DTW_HEAD, len, s->C, x, cc + o, cp + o,
                                 s->d[now] + o, s->d[p1] + o, s->d[p2] + o,
                                 s->span[now] + o, s->span[p1] + o, s->span[p2] + o);
        if (dist)
            dist[n] = dn;
        has[cls] = 1;
        if (dn < s->z[cls])
            s->z[cls] = dn;
    }
    s->cur = now;
    s->t++;
    if (probs) {
        const float *tail = m->params + (size_t)s->N * stride;
        class_probs(s, has, tail[0], tail[1], probs);
    }
    return 0;
}

double sk__dtw_step_macs(const sk_model *m)
{
    const sk_model_config *a = &m->hdr.arch;
    size_t stride = sk__dtw_stride(a);
    double macs = 0;
    for (int n = 0; stride && n < a->hidden; n++)
        macs += (double)m->params[(size_t)n * stride + 1] * a->input;
    return macs;
}

int sk__dtw_infer(sk_model *m, const float *x, float *probs)
{
    if (!m->dtw)
        return SK_EUNSUPPORTED;
    sk__dtw_state_reset(m->dtw);
    const sk_model_config *a = &m->hdr.arch;
    for (int t = 0; t < a->window; t++) {
        int rc = sk__dtw_step(m, m->dtw, x + (size_t)t * a->input, NULL,
                              t == a->window - 1 ? probs : NULL);
        if (rc)
            return rc;
    }
    return 0;
}

int sk_model_dtw_summary(const sk_model *m, sk_dtw_summary *out)
{
    if (!m || !out || m->hdr.arch.arch != SK_ARCH_DTW)
        return SK_EINVAL;
    const sk_model_config *a = &m->hdr.arch;
    size_t stride = sk__dtw_stride(a);
    memset(out, 0, sizeof *out);
    out->templates = a->hidden;
    out->min_len = a->window;
    for (int n = 0; n < a->hidden; n++) {
        const float *tp = m->params + (size_t)n * stride;
        if (!template_valid(a, tp))
            continue; /* changed in memory past sk__dtw_check: not counted */
        int len = (int)tp[1];
        out->per_class[(int)tp[0]]++;
        out->min_len = len < out->min_len ? len : out->min_len;
        out->max_len = len > out->max_len ? len : out->max_len;
    }
    out->temperature = m->params[(size_t)a->hidden * stride];
    out->reject = m->params[(size_t)a->hidden * stride + 1];
    return 0;
}
