/* nn model object and model file: creation, initialisation, save/load. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nn/model.h"
#include "skelact/nn.h"

static void make_header(sk_model_header *h, int arch)
{
    memset(h, 0, sizeof *h);
    h->arch.arch = arch;
    h->arch.input = 6;
    h->arch.hidden = 5;
    h->arch.layers = 2;
    h->arch.classes = 3;
    h->arch.window = 4;
    h->arch.kernel = arch == SK_ARCH_TCN ? 3 : 0;
    h->features.joint_set = SK_JOINTSET_KINECT1;
    h->features.center = 1;
    h->features.scale = 1;
    h->features.velocity = 1;
    h->features.fps = 30.0f;
    h->post.smooth = 0.5f;
    h->post.threshold = 0.6f;
    h->post.min_frames = 3;
    h->post.refractory = 10;
    h->nlabels = 3;
    strcpy(h->labels[0], "none");
    strcpy(h->labels[1], "wave");
    strcpy(h->labels[2], "kick");
}

static const int archs[] = {SK_ARCH_GRU, SK_ARCH_LSTM, SK_ARCH_TCN};

static void test_create(void)
{
    for (int ai = 0; ai < 3; ai++) {
        sk_model_header h;
        make_header(&h, archs[ai]);
        sk_model *a = NULL, *b = NULL, *c = NULL;
        CHECK_EQ_INT(sk_model_create(&a, &h, 42), 0);
        CHECK_EQ_INT(sk_model_create(&b, &h, 42), 0);
        CHECK_EQ_INT(sk_model_create(&c, &h, 43), 0);
        if (!a || !b || !c)
            goto next;
        size_t n = sk_model_nparams(a);
        CHECK_EQ_INT(n, sk_model_param_count(&h.arch));
        CHECK(n > 0);
        CHECK(!memcmp(sk_model_params(a), sk_model_params(b), n * sizeof(float)));
        CHECK(memcmp(sk_model_params(a), sk_model_params(c), n * sizeof(float)));
        CHECK(!memcmp(sk_model_header_get(a), &h, sizeof h));
        /* Every weight inside PyTorch's bound, and not all tiny. */
        sk__param_table t;
        sk__param_table_fill(&h.arch, &t);
        const float *p = sk_model_params(a);
        float hb = 1.0f / sqrtf((float)h.arch.hidden), maxabs = 0;
        for (size_t i = 0; i < n; i++) {
            float bound = hb;
            if (archs[ai] == SK_ARCH_TCN && i < t.w_out) {
                size_t fan = (size_t)(i < t.layer[1].w_ih ? h.arch.input : h.arch.hidden) *
                             (size_t)h.arch.kernel;
                bound = 1.0f / sqrtf((float)fan);
            }
            CHECK_MSG(fabsf(p[i]) <= bound, "param %zu = %g, bound %g", i,
                      (double)p[i], (double)bound);
            if (fabsf(p[i]) > maxabs)
                maxabs = fabsf(p[i]);
        }
        CHECK(maxabs > 0.5f * (1.0f / sqrtf(6.0f * 3.0f)));
    next:
        sk_model_destroy(a);
        sk_model_destroy(b);
        sk_model_destroy(c);
    }
    sk_model_destroy(NULL);
}

static void test_create_rejects(void)
{
    sk_model_header h, bad;
    make_header(&h, SK_ARCH_GRU);
    sk_model *m = (sk_model *)&h;
#define REJECT(stmt)                                   \
    do {                                               \
        bad = h;                                       \
        stmt;                                          \
        m = (sk_model *)&h;                            \
        CHECK_EQ_INT(sk_model_create(&m, &bad, 1), SK_EINVAL); \
        CHECK(m == NULL);                              \
    } while (0)
    REJECT(bad.arch.arch = 0);
    REJECT(bad.arch.arch = SK_ARCH_DTW);
    REJECT(bad.arch.input = 0);
    REJECT(bad.arch.hidden = -3);
    REJECT(bad.arch.layers = 17);
    REJECT(bad.arch.classes = 1);
    REJECT(bad.arch.window = 0);
    REJECT(bad.nlabels = 2);
    REJECT(bad.labels[1][0] = '\0');
    REJECT(memset(bad.labels[2], 'x', SK_LABEL_LEN));
    REJECT(bad.features.joint_set = 7);
    REJECT(bad.features.fps = 0.0f);
    REJECT(bad.features.fps = NAN);
    REJECT(bad.features.rotate = 2);
    REJECT(bad.post.smooth = 1.5f);
    REJECT(bad.post.threshold = NAN);
    REJECT(bad.post.min_frames = -1);
    REJECT(bad.arch.arch = SK_ARCH_TCN; bad.arch.kernel = 0);
#undef REJECT
    CHECK_EQ_INT(sk_model_create(&m, &h, 1), 0);
    sk_model_destroy(m);
}

int main(void)
{
    RUN(test_create);
    RUN(test_create_rejects);
    return check_report();
}
