/* Batch inference (sk_model_infer_batch): every window's probabilities are
 * bit for bit those of sk_model_infer on that window alone, for every batch
 * size, every kernel set this CPU runs and shapes that exercise the
 * kernels' edges (hidden sizes off the vector width, one step, one and
 * three layers, heads on the last step and on the mean over the window);
 * the plain batch agrees with the vector batches within the
 * single-window test's tolerance; bad arguments are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn_models.h"
#include "nn/kernels.h"
#include "nn/model.h"
#include "nn/rng.h"

struct shape {
    int arch, C, H, L, W, K, ksize, pool;
};

static const struct shape shapes[] = {
    {SK_ARCH_GRU, 120, 128, 2, 30, 9, 0, SK_POOL_LAST}, /* the reference shapes */
    {SK_ARCH_LSTM, 120, 128, 2, 30, 9, 0, SK_POOL_LAST},
    {SK_ARCH_TCN, 120, 128, 4, 30, 9, 3, SK_POOL_LAST},
    {SK_ARCH_GRU, 7, 20, 1, 1, 3, 0, SK_POOL_LAST}, /* hidden 20, 37: not multiples of 8 or 16 */
    {SK_ARCH_LSTM, 7, 20, 1, 2, 3, 0, SK_POOL_LAST},
    {SK_ARCH_GRU, 7, 37, 3, 5, 4, 0, SK_POOL_LAST},
    {SK_ARCH_LSTM, 7, 37, 3, 30, 4, 0, SK_POOL_LAST},
    {SK_ARCH_GRU, 7, 20, 3, 30, 5, 0, SK_POOL_LAST},
    {SK_ARCH_LSTM, 7, 37, 1, 5, 5, 0, SK_POOL_LAST},
    {SK_ARCH_GRU, 61, 37, 1, 2, 2, 0, SK_POOL_LAST},
    {SK_ARCH_LSTM, 13, 8, 2, 1, 2, 0, SK_POOL_LAST},
    {SK_ARCH_TCN, 7, 20, 1, 1, 3, 3, SK_POOL_LAST},
    {SK_ARCH_TCN, 7, 37, 3, 5, 4, 2, SK_POOL_LAST},
    {SK_ARCH_TCN, 7, 20, 3, 30, 5, 3, SK_POOL_LAST},
    {SK_ARCH_TCN, 61, 37, 1, 2, 2, 1, SK_POOL_LAST},
    /* Pooled heads (the mean over the window): every step of the top
     * layer reaches the head, so the tcn computes them all. */
    {SK_ARCH_GRU, 30, 40, 2, 12, 20, 0, SK_POOL_MEAN},
    {SK_ARCH_LSTM, 7, 37, 3, 5, 4, 0, SK_POOL_MEAN},
    {SK_ARCH_TCN, 30, 40, 4, 12, 20, 3, SK_POOL_MEAN},
    {SK_ARCH_TCN, 7, 37, 3, 5, 4, 2, SK_POOL_MEAN},
    {SK_ARCH_GRU, 7, 20, 1, 1, 3, 0, SK_POOL_MEAN},
    /* Bidirectional GRUs, both heads. */
    {SK_ARCH_BIGRU, 30, 40, 2, 12, 20, 0, SK_POOL_LAST},
    {SK_ARCH_BIGRU, 7, 37, 3, 5, 4, 0, SK_POOL_MEAN},
    {SK_ARCH_BIGRU, 7, 20, 1, 1, 3, 0, SK_POOL_LAST},
    {SK_ARCH_BIGRU, 61, 20, 2, 30, 5, 0, SK_POOL_LAST},
};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

static const char *set_names[] = {"plain", "avx2", "avx512"};

static void random_windows(float *x, size_t n, uint64_t seed)
{
    sk_rng r;
    sk_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = sk_rng_normal(&r);
}

static double maxdiff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

/* For one model on one kernel set: batches of n = 1..16 random windows,
 * fresh ones for every n, each window memcmp-equal to sk_model_infer on it.
 * keep (16*16, K) receives the batch results for the cross-set
 * comparison. Returns the number of windows whose probabilities differed
 * from the first window's (so the test can see a mix-up). */
static int check_batches(sk_model *m, const struct shape *s, const char *set,
                         int si, float *keep)
{
    size_t nx = (size_t)s->W * s->C, K = (size_t)s->K;
    float *x = malloc(nx * SK_INFER_MAX_BATCH * sizeof *x);
    float *pb = malloc(K * SK_INFER_MAX_BATCH * sizeof *pb);
    float *p1 = malloc(K * SK_INFER_MAX_BATCH * sizeof *p1);
    int distinct = 0;
    for (int n = 1; n <= SK_INFER_MAX_BATCH; n++) {
        random_windows(x, nx * n, 1000 * (uint64_t)si + (uint64_t)n);
        memset(pb, 0xff, K * n * sizeof *pb);
        CHECK_EQ_INT(sk_model_infer_batch(m, n, x, pb), 0);
        for (int i = 0; i < n; i++)
            CHECK_EQ_INT(sk_model_infer(m, x + nx * i, p1 + K * i), 0);
        for (int i = 0; i < n; i++) {
            int same = memcmp(pb + K * i, p1 + K * i, K * sizeof *pb) == 0;
            CHECK_MSG(same, "%s shape %d (arch %d H %d W %d L %d): n %d window %d "
                      "differs from sk_model_infer by %g",
                      set, si, s->arch, s->H, s->W, s->L, n, i,
                      maxdiff(pb + K * i, p1 + K * i, K));
            if (i > 0 && memcmp(p1 + K * i, p1, K * sizeof *p1) != 0)
                distinct++;
        }
        memcpy(keep + K * SK_INFER_MAX_BATCH * (n - 1), pb, K * n * sizeof *pb);
    }
    free(x);
    free(pb);
    free(p1);
    return distinct;
}

static void test_batch_equals_single(void)
{
    for (int si = 0; si < NSHAPES; si++) {
        const struct shape *s = &shapes[si];
        sk_model *m = make_model_pool(s->arch, s->C, s->H, s->L, s->W, s->K, s->ksize,
                                      s->pool, 500 + si);
        CHECK_MSG(m != NULL, "shape %d: create failed", si);
        if (!m)
            continue;
        size_t nkeep = (size_t)s->K * SK_INFER_MAX_BATCH * SK_INFER_MAX_BATCH;
        float *plain = calloc(nkeep, sizeof *plain);
        float *vec = calloc(nkeep, sizeof *vec);
        for (int ki = 0; ki < 3; ki++) {
            const sk__kernels *k = sk__kernels_get(set_names[ki]);
            if (!k) {
                if (si == 0)
                    printf("  (kernel set %s: not supported by this CPU, skipped)\n",
                           set_names[ki]);
                continue;
            }
            CHECK_EQ_INT(sk__infer_use(m, k), 0);
            int distinct = check_batches(m, s, k->name, si, ki == 0 ? plain : vec);
            /* The test must be able to fail: windows give different
             * probabilities, so a batch that mixed them up would differ. */
            CHECK_MSG(distinct > 100, "%s shape %d: only %d distinct windows",
                      k->name, si, distinct);
            if (ki > 0) { /* the vector set against the plain one */
                double d = 0;
                for (int n = 1; n <= SK_INFER_MAX_BATCH; n++) {
                    size_t off = (size_t)s->K * SK_INFER_MAX_BATCH * (n - 1);
                    double dn = maxdiff(plain + off, vec + off, (size_t)s->K * n);
                    d = dn > d ? dn : d;
                }
                CHECK_MSG(d < 1e-5, "%s vs plain batches, shape %d: %g", k->name,
                          si, d);
            }
        }
        free(plain);
        free(vec);
        sk_model_destroy(m);
    }
}

/* Windows run in passes of at most b (as for models too large to hold 16
 * windows' scratch), including passes of one: still bit for bit. */
static void test_batch_in_passes(void)
{
    const struct shape *ss[] = {&shapes[0],          &shapes[1], &shapes[2],
                                &shapes[6],          &shapes[NSHAPES - 9],
                                &shapes[NSHAPES - 7], &shapes[NSHAPES - 4]};
    for (int j = 0; j < 7; j++) {
        const struct shape *s = ss[j];
        sk_model *m = make_model_pool(s->arch, s->C, s->H, s->L, s->W, s->K,
                                      s->ksize, s->pool, 700 + j);
        CHECK(m != NULL);
        if (!m)
            continue;
        size_t nx = (size_t)s->W * s->C, K = (size_t)s->K;
        float *x = malloc(nx * SK_INFER_MAX_BATCH * sizeof *x);
        float pb[SK_INFER_MAX_BATCH * SK_MAX_CLASSES], p1[SK_MAX_CLASSES];
        random_windows(x, nx * SK_INFER_MAX_BATCH, 77 + j);
        const int limits[] = {16, 5, 3, 2, 1};
        for (int li = 0; li < 5; li++) {
            CHECK_EQ_INT(sk__infer_batch_limit(m, limits[li]), limits[li]);
            for (int n = 1; n <= SK_INFER_MAX_BATCH; n += 3) {
                CHECK_EQ_INT(sk_model_infer_batch(m, n, x, pb), 0);
                for (int i = 0; i < n; i++) {
                    CHECK_EQ_INT(sk_model_infer(m, x + nx * i, p1), 0);
                    CHECK_MSG(memcmp(pb + K * i, p1, K * sizeof *p1) == 0,
                              "arch %d, passes of %d, n %d, window %d", s->arch,
                              limits[li], n, i);
                }
            }
        }
        CHECK_EQ_INT(sk__infer_batch_limit(m, 0), SK_EINVAL);
        CHECK_EQ_INT(sk__infer_batch_limit(NULL, 4), SK_EINVAL);
        free(x);
        sk_model_destroy(m);
    }
}

static void test_bad_arguments(void)
{
    sk_model *m = make_model(SK_ARCH_GRU, 7, 20, 1, 5, 3, 0, 9);
    CHECK(m != NULL);
    if (!m)
        return;
    float x[17 * 5 * 7], probs[17 * 3];
    random_windows(x, sizeof x / sizeof x[0], 5);
    CHECK_EQ_INT(sk_model_infer_batch(m, 0, x, probs), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer_batch(m, -1, x, probs), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer_batch(m, SK_INFER_MAX_BATCH + 1, x, probs), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer_batch(NULL, 2, x, probs), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer_batch(m, 2, NULL, probs), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer_batch(m, 2, x, NULL), SK_EINVAL);
    CHECK_EQ_INT(sk_model_infer_batch(m, SK_INFER_MAX_BATCH, x, probs), 0);
    sk_model_destroy(m);
}

int main(void)
{
    RUN(test_batch_equals_single);
    RUN(test_batch_in_passes);
    RUN(test_bad_arguments);
    return check_report();
}
