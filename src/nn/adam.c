/* AdamW and gradient helpers (src/nn/train.h). */
#include <math.h>
#include <stdlib.h>

#include "train.h"

int sk_adam_init(sk_adam *a, size_t n)
{
    a->n = n;
    a->t = 0;
    a->m = calloc(n ? n : 1, sizeof *a->m);
    a->v = calloc(n ? n : 1, sizeof *a->v);
    if (!a->m || !a->v) {
        sk_adam_free(a);
        return SK_ENOMEM;
    }
    return 0;
}

void sk_adam_free(sk_adam *a)
{
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
    a->n = 0;
    a->t = 0;
}

void sk_adam_step(sk_adam *a, float *params, const float *grads, float lr,
                  float beta1, float beta2, float eps, float weight_decay)
{
    a->t++;
    /* Bias corrections in double: pow(0.999, t) loses little, but in float
     * 1 - b2^t for small t would. */
    float c1 = (float)(1.0 - pow(beta1, (double)a->t));
    float c2 = (float)(1.0 - pow(beta2, (double)a->t));
    for (size_t i = 0; i < a->n; i++) {
        float g = grads[i];
        float m = beta1 * a->m[i] + (1.0f - beta1) * g;
        float v = beta2 * a->v[i] + (1.0f - beta2) * g * g;
        a->m[i] = m;
        a->v[i] = v;
        float mhat = m / c1, vhat = v / c2;
        params[i] -= lr * (mhat / (sqrtf(vhat) + eps) + weight_decay * params[i]);
    }
}

void sk_grads_scale(float *g, size_t n, float s)
{
    for (size_t i = 0; i < n; i++)
        g[i] *= s;
}

float sk_grads_clip(float *g, size_t n, float max_norm)
{
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        ss += (double)g[i] * g[i];
    float norm = (float)sqrt(ss);
    if (max_norm > 0.0f && norm > max_norm)
        sk_grads_scale(g, n, max_norm / norm);
    return norm;
}
