/* Placeholder until the inference kernels land: inference reports
 * SK_EUNSUPPORTED. Replaced by the fast kernels (issue 3). */
#include <stdlib.h>

#include "model.h"

int sk__infer_init(sk_model *m)
{
    m->infer = NULL;
    return 0;
}

void sk__infer_free(sk_model *m)
{
    m->infer = NULL;
}

int sk_model_infer(sk_model *m, const float *x, float *probs)
{
    (void)m;
    (void)x;
    (void)probs;
    return SK_EUNSUPPORTED;
}
