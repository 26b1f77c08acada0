/* The trainer: the model's batched forward and backward pass in float, with
 * its own activations and gradients (src/nn/train.h). */
#include <stdlib.h>
#include <string.h>

#include "layers.h"
#include "train.h"

struct sk_trainer {
    sk_model *m;      /* borrowed */
    int max_batch;
    size_t nparams;
    float *grads;     /* (nparams) parameter layout */
    float *ws;        /* sk__net_ws_size(cfg, max_batch) */
    float *probs;     /* (max_batch, K) */
    int avx2;         /* use the AVX2 build of the layers */
    float ls;         /* label smoothing of the loss (0: none) */
};

/* The float pass of the build this CPU runs best (same results either way). */
static double net_forward(sk_trainer *t, float *probs, const float *x,
                          const int *y, const float *weight, int B, float p,
                          sk_rng *rng)
{
    const sk_model_config *cfg = &t->m->hdr.arch;
#if SK__LAYERS_AVX2
    if (t->avx2)
        return sk__net_forward_f_avx2(probs, t->ws, cfg, t->m->params, x, y,
                                      weight, B, p, rng, t->ls);
#endif
    return sk__net_forward_f(probs, t->ws, cfg, t->m->params, x, y, weight, B,
                             p, rng, t->ls);
}

static void net_backward(sk_trainer *t, const float *x, const int *y,
                         const float *weight, int B, float p)
{
    const sk_model_config *cfg = &t->m->hdr.arch;
#if SK__LAYERS_AVX2
    if (t->avx2) {
        sk__net_backward_f_avx2(t->grads, NULL, t->ws, cfg, t->m->params, x, y,
                                weight, B, p, t->ls);
        return;
    }
#endif
    sk__net_backward_f(t->grads, NULL, t->ws, cfg, t->m->params, x, y, weight,
                       B, p, t->ls);
}

int sk_trainer_create(sk_trainer **out, sk_model *m, int max_batch)
{
    *out = NULL;
    if (!m || max_batch < 1)
        return SK_EINVAL;
    const sk_model_config *cfg = &m->hdr.arch;
    size_t nws = sk__net_ws_size(cfg, max_batch);
    if (nws == 0 || sk_model_param_count(cfg) != m->nparams)
        return SK_EINVAL;
    sk_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return SK_ENOMEM;
    t->m = m;
    t->max_batch = max_batch;
    t->avx2 = sk__cpu_has_avx2();
    t->nparams = m->nparams;
    t->grads = calloc(m->nparams, sizeof *t->grads);
    t->ws = calloc(nws, sizeof *t->ws);
    t->probs = calloc((size_t)max_batch * cfg->classes, sizeof *t->probs);
    if (!t->grads || !t->ws || !t->probs)
        goto fail;
    *out = t;
    return 0;
fail:
    sk_trainer_destroy(t);
    return SK_ENOMEM;
}

void sk_trainer_destroy(sk_trainer *t)
{
    if (!t)
        return;
    free(t->grads);
    free(t->ws);
    free(t->probs);
    free(t);
}

int sk_trainer_step(sk_trainer *t, const float *x, const int *y,
                    const float *weight, int B, float dropout, sk_rng *rng,
                    double *loss_sum, int *ncorrect)
{
    const sk_model_config *cfg = &t->m->hdr.arch;
    int K = cfg->classes;
    if (B < 1 || B > t->max_batch || !(dropout >= 0.0f && dropout < 1.0f) ||
        (dropout > 0.0f && !rng))
        return SK_EINVAL;
    for (int b = 0; b < B; b++)
        if (y[b] < 0 || y[b] >= K)
            return SK_EINVAL;
    double loss = net_forward(t, t->probs, x, y, weight, B, dropout, rng);
    net_backward(t, x, y, weight, B, dropout);
    if (loss_sum)
        *loss_sum = loss;
    if (ncorrect) {
        int n = 0;
        for (int b = 0; b < B; b++) {
            const float *p = t->probs + (size_t)b * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (p[k] > p[best])
                    best = k;
            n += best == y[b];
        }
        *ncorrect = n;
    }
    return 0;
}

int sk_trainer_forward(sk_trainer *t, const float *x, int B, float *probs)
{
    if (B < 1 || B > t->max_batch)
        return SK_EINVAL;
    net_forward(t, probs, x, NULL, NULL, B, 0.0f, NULL);
    return 0;
}

int sk_trainer_set_label_smoothing(sk_trainer *t, float ls)
{
    if (!t || !(ls >= 0.0f && ls < 1.0f))
        return SK_EINVAL;
    t->ls = ls;
    return 0;
}

float *sk_trainer_grads(sk_trainer *t)
{
    return t->grads;
}

size_t sk_trainer_ngrads(const sk_trainer *t)
{
    return t->nparams;
}

void sk_trainer_zero_grads(sk_trainer *t)
{
    memset(t->grads, 0, t->nparams * sizeof *t->grads);
}
