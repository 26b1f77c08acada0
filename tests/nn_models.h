/* Test helper shared by the nn inference tests: a model of any shape with
 * random weights larger than the default initialisation, so gates leave
 * their linear range and the probabilities differ clearly. */
#ifndef SKELACT_TESTS_NN_MODELS_H
#define SKELACT_TESTS_NN_MODELS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/model.h"
#include "nn/rng.h"

static sk_model *make_model_pool(int arch, int C, int H, int L, int W, int K,
                                 int ksize, int pool, uint64_t seed)
{
    sk_model_header hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.arch = (sk_model_config){arch, C, H, L, K, W, arch == SK_ARCH_TCN ? ksize : 0,
                                 pool};
    hdr.features.joint_set = SK_JOINTSET_KINECT1;
    hdr.features.fps = 30;
    hdr.nlabels = K;
    for (int k = 0; k < K; k++)
        snprintf(hdr.labels[k], SK_LABEL_LEN, "c%d", k);
    sk_model *m = NULL;
    if (sk_model_create(&m, &hdr, seed) != 0)
        return NULL;
    /* Larger weights than the default initialisation, so the gates leave
     * their linear range and the probabilities differ clearly. */
    sk_rng r;
    sk_rng_seed(&r, seed ^ 0x5eed);
    float *p = sk_model_params(m);
    for (size_t i = 0; i < sk_model_nparams(m); i++)
        p[i] = sk_rng_uniform(&r, -1.0f, 1.0f) * (arch == SK_ARCH_TCN ? 0.6f : 1.0f) /
               sqrtf((float)(H < C ? H : C));
    sk__param_table pt;
    sk__param_table_fill(&hdr.arch, &pt);
    for (int i = 0; i < K * H; i++) /* a head with some contrast */
        p[pt.w_out + i] *= arch == SK_ARCH_LSTM ? 15.0f : 6.0f;
    sk_model_infer_sync(m);
    return m;
}

/* The same with the head on the last step (every shape before pooling). */
static sk_model *make_model(int arch, int C, int H, int L, int W, int K,
                            int ksize, uint64_t seed)
{
    return make_model_pool(arch, C, H, L, W, K, ksize, SK_POOL_LAST, seed);
}

#endif
