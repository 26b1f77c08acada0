/* The model object: creation with PyTorch-style initial weights, and the
 * model file (docs/MODEL_FORMAT.md). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"
#include "rng.h"
#include "skelact/codec.h"

#ifndef SK_MODEL_MAX_INPUT
#define SK_MODEL_MAX_INPUT 4096 /* features per frame: 25 joints x 3 x 2 = 150 */
#endif
#ifndef SK_MODEL_MAX_HIDDEN
#define SK_MODEL_MAX_HIDDEN 4096 /* far beyond what runs in real time */
#endif
#ifndef SK_MODEL_MAX_WINDOW
#define SK_MODEL_MAX_WINDOW 4096 /* frames: over 2 minutes at 30 fps */
#endif
#ifndef SK_MODEL_MAX_PARAMS
#define SK_MODEL_MAX_PARAMS ((size_t)1 << 28) /* 1 GiB of float32 weights */
#endif
#ifndef SK_MODEL_MAX_FRAMES
#define SK_MODEL_MAX_FRAMES 100000 /* post-processing counts, in frames */
#endif

/* ---- header checks -------------------------------------------------------- */

static void errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Check everything in a header but the weights. Returns 0 or SK_EINVAL with
 * a reason in err. */
static int header_check(const sk_model_header *h, char *err, size_t errlen)
{
    const sk_model_config *a = &h->arch;
    if (a->arch != SK_ARCH_GRU && a->arch != SK_ARCH_LSTM &&
        a->arch != SK_ARCH_TCN) {
        errf(err, errlen, "unknown or unsupported architecture %d", a->arch);
        return SK_EINVAL;
    }
    if (a->input < 1 || a->input > SK_MODEL_MAX_INPUT) {
        errf(err, errlen, "input size %d outside 1..%d", a->input,
             SK_MODEL_MAX_INPUT);
        return SK_EINVAL;
    }
    if (a->hidden < 1 || a->hidden > SK_MODEL_MAX_HIDDEN) {
        errf(err, errlen, "hidden size %d outside 1..%d", a->hidden,
             SK_MODEL_MAX_HIDDEN);
        return SK_EINVAL;
    }
    if (a->layers < 1 || a->layers > SK__MAX_LAYERS) {
        errf(err, errlen, "layer count %d outside 1..%d", a->layers,
             SK__MAX_LAYERS);
        return SK_EINVAL;
    }
    if (a->classes < 2 || a->classes > SK_MAX_CLASSES) {
        errf(err, errlen, "class count %d outside 2..%d", a->classes,
             SK_MAX_CLASSES);
        return SK_EINVAL;
    }
    if (a->window < 1 || a->window > SK_MODEL_MAX_WINDOW) {
        errf(err, errlen, "window %d outside 1..%d frames", a->window,
             SK_MODEL_MAX_WINDOW);
        return SK_EINVAL;
    }
    if (a->kernel < (a->arch == SK_ARCH_TCN ? 1 : 0) || a->kernel > 16) {
        errf(err, errlen, "kernel size %d outside %d..16", a->kernel,
             a->arch == SK_ARCH_TCN ? 1 : 0);
        return SK_EINVAL;
    }
    sk__param_table t;
    if (sk__param_table_fill(a, &t) != 0) {
        errf(err, errlen, "invalid architecture sizes");
        return SK_EINVAL;
    }
    if (t.total > SK_MODEL_MAX_PARAMS) {
        errf(err, errlen, "%zu parameters exceed the limit of %zu", t.total,
             (size_t)SK_MODEL_MAX_PARAMS);
        return SK_EINVAL;
    }

    const sk_feature_config *f = &h->features;
    if (!sk_joint_set_get(f->joint_set)) {
        errf(err, errlen, "unknown joint set %d", f->joint_set);
        return SK_EINVAL;
    }
    if ((f->center | f->scale | f->rotate | f->velocity) & ~1) {
        errf(err, errlen, "feature switches must be 0 or 1");
        return SK_EINVAL;
    }
    if (!(f->fps > 0.0f && f->fps <= 10000.0f)) {
        errf(err, errlen, "frame rate %g outside (0, 10000]", (double)f->fps);
        return SK_EINVAL;
    }

    const sk_postproc_config *p = &h->post;
    if (!(p->smooth >= 0.0f && p->smooth <= 1.0f)) {
        errf(err, errlen, "smoothing factor %g outside 0..1", (double)p->smooth);
        return SK_EINVAL;
    }
    if (!(p->threshold >= 0.0f && p->threshold <= 1.0f)) {
        errf(err, errlen, "threshold %g outside 0..1", (double)p->threshold);
        return SK_EINVAL;
    }
    if (p->min_frames < 0 || p->min_frames > SK_MODEL_MAX_FRAMES ||
        p->refractory < 0 || p->refractory > SK_MODEL_MAX_FRAMES) {
        errf(err, errlen, "min_frames %d / refractory %d outside 0..%d",
             p->min_frames, p->refractory, SK_MODEL_MAX_FRAMES);
        return SK_EINVAL;
    }

    if (h->nlabels != a->classes) {
        errf(err, errlen, "%d label names for %d classes", h->nlabels,
             a->classes);
        return SK_EINVAL;
    }
    for (int i = 0; i < h->nlabels; i++) {
        const char *s = h->labels[i];
        if (!memchr(s, '\0', SK_LABEL_LEN)) {
            errf(err, errlen, "label %d is not NUL-terminated within %d bytes",
                 i, SK_LABEL_LEN);
            return SK_EINVAL;
        }
        if (s[0] == '\0') {
            errf(err, errlen, "label %d is empty", i);
            return SK_EINVAL;
        }
    }
    return 0;
}

/* Copy a checked header, zeroing every byte past each label's NUL and the
 * unused label slots, so equal headers compare equal with memcmp. */
static void header_copy(sk_model_header *dst, const sk_model_header *src)
{
    memset(dst, 0, sizeof *dst);
    dst->arch = src->arch;
    dst->features = src->features;
    dst->post = src->post;
    dst->nlabels = src->nlabels;
    for (int i = 0; i < src->nlabels; i++)
        memcpy(dst->labels[i], src->labels[i], strlen(src->labels[i]));
}

/* ---- the model object ----------------------------------------------------- */

/* A checked header, parameters allocated (uninitialised), inference ready. */
static int model_alloc(sk_model **out, const sk_model_header *hdr)
{
    *out = NULL;
    sk_model *m = calloc(1, sizeof *m);
    if (!m)
        return SK_ENOMEM;
    header_copy(&m->hdr, hdr);
    m->nparams = sk_model_param_count(&m->hdr.arch);
    m->params = malloc(m->nparams * sizeof(float));
    if (!m->params)
        goto fail;
    if (sk__infer_init(m) != 0)
        goto fail;
    *out = m;
    return 0;
fail:
    free(m->params);
    free(m);
    return SK_ENOMEM;
}

static void fill_uniform(sk_rng *r, float *p, size_t n, float bound)
{
    for (size_t i = 0; i < n; i++)
        p[i] = sk_rng_uniform(r, -bound, bound);
}

/* PyTorch's default initialisation, drawn from one generator in the order of
 * the parameter layout: every GRU/LSTM tensor U(-1/sqrt(H), 1/sqrt(H));
 * Conv1d and Linear weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * (kaiming_uniform with a = sqrt(5) gives exactly this bound). */
static void model_init_weights(sk_model *m, uint64_t seed)
{
    const sk_model_config *a = &m->hdr.arch;
    sk__param_table t;
    sk__param_table_fill(a, &t);
    sk_rng r;
    sk_rng_seed(&r, seed);
    size_t H = (size_t)a->hidden;
    for (int l = 0; l < t.nlayers; l++) {
        const sk__layer_params *lp = &t.layer[l];
        size_t C = (size_t)lp->in;
        if (a->arch == SK_ARCH_TCN) {
            size_t fan_in = C * (size_t)a->kernel;
            float b = 1.0f / sqrtf((float)fan_in);
            fill_uniform(&r, m->params + lp->w_ih, H * fan_in, b);
            fill_uniform(&r, m->params + lp->b_ih, H, b);
        } else {
            size_t G = (size_t)sk__arch_gates(a->arch);
            float b = 1.0f / sqrtf((float)H);
            fill_uniform(&r, m->params + lp->w_ih, G * H * C, b);
            fill_uniform(&r, m->params + lp->w_hh, G * H * H, b);
            fill_uniform(&r, m->params + lp->b_ih, G * H, b);
            fill_uniform(&r, m->params + lp->b_hh, G * H, b);
        }
    }
    float b = 1.0f / sqrtf((float)H);
    fill_uniform(&r, m->params + t.w_out, (size_t)a->classes * H, b);
    fill_uniform(&r, m->params + t.b_out, (size_t)a->classes, b);
}

int sk_model_create(sk_model **out, const sk_model_header *hdr, uint64_t seed)
{
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    if (!hdr || header_check(hdr, NULL, 0) != 0)
        return SK_EINVAL;
    sk_model *m;
    int rc = model_alloc(&m, hdr);
    if (rc != 0)
        return rc;
    model_init_weights(m, seed);
    *out = m;
    return 0;
}

void sk_model_destroy(sk_model *m)
{
    if (!m)
        return;
    sk__infer_free(m);
    free(m->params);
    free(m);
}

const sk_model_header *sk_model_header_get(const sk_model *m)
{
    return &m->hdr;
}

float *sk_model_params(sk_model *m)
{
    return m->params;
}

size_t sk_model_nparams(const sk_model *m)
{
    return m->nparams;
}
