/* A tiny model of each architecture learns a small synthetic sequence task
 * with sk_trainer + sk_adam, to near 100% on its training windows and on
 * held-out windows; the same seed gives the same weights bit for bit; the
 * trained model classifies through sk_model_infer as it did in training.
 *
 * Task: a window of W frames of C = 3 features; feature 0 is a sine of
 * 1, 2 or 3 cycles per window (the class) with random phase and amplitude
 * plus Gaussian noise, feature 1 is noise, feature 2 a random constant. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/train.h"

enum { W = 20, C = 3, K = 3, NTRAIN = 240, NTEST = 150, BATCH = 24 };

typedef struct {
    float x[NTRAIN > NTEST ? NTRAIN : NTEST][W * C];
    int y[NTRAIN > NTEST ? NTRAIN : NTEST];
    int n;
} dataset;

static void make_data(dataset *d, int n, uint64_t seed)
{
    sk_rng r;
    sk_rng_seed(&r, seed);
    d->n = n;
    for (int i = 0; i < n; i++) {
        int k = (int)sk_rng_below(&r, K);
        float amp = sk_rng_uniform(&r, 0.5f, 1.5f);
        float phase = sk_rng_uniform(&r, 0, 6.2831853f);
        float offset = sk_rng_uniform(&r, -1, 1);
        d->y[i] = k;
        for (int t = 0; t < W; t++) {
            float *f = d->x[i] + t * C;
            f[0] = amp * sinf(6.2831853f * (k + 1) * t / W + phase) +
                   0.3f * sk_rng_normal(&r);
            f[1] = 0.5f * sk_rng_normal(&r);
            f[2] = offset;
        }
    }
}

static dataset train_set, test_set;

/* Accuracy of the model on d through the trainer's forward pass. */
static double accuracy(sk_trainer *t, const dataset *d)
{
    float probs[BATCH * K];
    int right = 0;
    for (int i0 = 0; i0 < d->n; i0 += BATCH) {
        int B = d->n - i0 < BATCH ? d->n - i0 : BATCH;
        if (sk_trainer_forward(t, d->x[i0], B, probs) != 0)
            return -1;
        for (int b = 0; b < B; b++) {
            const float *p = probs + b * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (p[k] > p[best])
                    best = k;
            right += best == d->y[i0 + b];
        }
    }
    return (double)right / d->n;
}

/* Train a fresh model; returns it (the caller destroys it), or NULL. */
static sk_model *train(int arch, int layers, int hidden, float dropout,
                       int epochs, float lr, uint64_t seed, double *train_acc,
                       double *test_acc)
{
    sk_model_header hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.arch = (sk_model_config){.arch = arch, .input = C, .hidden = hidden,
                                 .layers = layers, .classes = K, .window = W,
                                 .kernel = 3};
    hdr.features = (sk_feature_config){.joint_set = SK_JOINTSET_KINECT1,
                                       .fps = 30};
    hdr.post = (sk_postproc_config){.smooth = 0.5f, .threshold = 0.5f,
                                    .min_frames = 1, .refractory = 1};
    hdr.nlabels = K;
    strcpy(hdr.labels[0], "one");
    strcpy(hdr.labels[1], "two");
    strcpy(hdr.labels[2], "three");
    sk_model *m = NULL;
    sk_trainer *t = NULL;
    sk_adam adam = {0};
    if (sk_model_create(&m, &hdr, seed) != 0 ||
        sk_trainer_create(&t, m, BATCH) != 0 ||
        sk_adam_init(&adam, sk_model_nparams(m)) != 0) {
        CHECK_MSG(0, "cannot set up %s", sk_arch_name(arch));
        goto fail;
    }
    sk_rng r;
    sk_rng_seed(&r, seed ^ 0x5eed);
    int order[NTRAIN];
    for (int i = 0; i < NTRAIN; i++)
        order[i] = i;
    float xb[BATCH * W * C];
    int yb[BATCH];
    double first_loss = -1, loss = 0;
    for (int e = 0; e < epochs; e++) {
        for (int i = NTRAIN - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)sk_rng_below(&r, (uint32_t)i + 1), tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        loss = 0;
        for (int i0 = 0; i0 + BATCH <= NTRAIN; i0 += BATCH) {
            for (int b = 0; b < BATCH; b++) {
                memcpy(xb + b * W * C, train_set.x[order[i0 + b]],
                       sizeof train_set.x[0]);
                yb[b] = train_set.y[order[i0 + b]];
            }
            double l;
            sk_trainer_zero_grads(t);
            if (sk_trainer_step(t, xb, yb, NULL, BATCH, dropout, &r, &l,
                                NULL) != 0) {
                CHECK_MSG(0, "step failed");
                goto fail;
            }
            loss += l;
            float *g = sk_trainer_grads(t);
            sk_grads_scale(g, sk_trainer_ngrads(t), 1.0f / BATCH);
            sk_grads_clip(g, sk_trainer_ngrads(t), 5.0f);
            /* cosine schedule */
            float f = 0.5f * (1 + cosf(3.14159265f * e / epochs));
            sk_adam_step(&adam, sk_model_params(m), g, lr * f, 0.9f, 0.999f,
                         1e-8f, 1e-4f);
        }
        loss /= NTRAIN / BATCH * BATCH;
        if (e == 0)
            first_loss = loss;
    }
    *train_acc = accuracy(t, &train_set);
    *test_acc = accuracy(t, &test_set);
    printf("  %-4s L=%d H=%-2d dropout %.1f: loss %.3f -> %.3f, train acc "
           "%.3f, held-out acc %.3f\n",
           sk_arch_name(arch), layers, hidden, dropout, first_loss, loss,
           *train_acc, *test_acc);
    if (epochs >= 10)
        CHECK_MSG(loss < 0.5 * first_loss, "loss %g did not fall from %g",
                  loss, first_loss);
    sk_trainer_destroy(t);
    sk_adam_free(&adam);
    return m;
fail:
    sk_trainer_destroy(t);
    sk_adam_free(&adam);
    sk_model_destroy(m);
    return NULL;
}

/* Held-out windows through sk_model_infer (the live path): same decisions
 * as the trainer's forward pass. */
static void check_infer(sk_model *m, double test_acc)
{
    float probs[K];
    int right = 0, rc = 0;
    for (int i = 0; i < test_set.n; i++) {
        if ((rc = sk_model_infer(m, test_set.x[i], probs)) != 0)
            break;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (probs[k] > probs[best])
                best = k;
        right += best == test_set.y[i];
    }
    CHECK_EQ_INT(rc, 0);
    double acc = (double)right / test_set.n;
    CHECK_MSG(fabs(acc - test_acc) <= 1.0 / test_set.n,
              "sk_model_infer accuracy %.3f, trainer %.3f", acc, test_acc);
}

static void learn(int arch, int layers, int hidden, float dropout, int epochs,
                  float lr)
{
    double tr, te;
    sk_model *m = train(arch, layers, hidden, dropout, epochs, lr, 7, &tr, &te);
    if (!m)
        return;
    CHECK_MSG(tr >= 0.97, "%s train accuracy %.3f", sk_arch_name(arch), tr);
    CHECK_MSG(te >= 0.95, "%s held-out accuracy %.3f", sk_arch_name(arch), te);
    check_infer(m, te);
    sk_model_destroy(m);
}

static void test_gru_learns(void)
{
    learn(SK_ARCH_GRU, 1, 16, 0.0f, 30, 0.02f);
}

static void test_lstm_learns(void)
{
    learn(SK_ARCH_LSTM, 2, 16, 0.1f, 60, 0.02f);
}

static void test_tcn_learns(void)
{
    learn(SK_ARCH_TCN, 3, 16, 0.1f, 40, 0.02f);
}

/* Same seed, same weights: bit for bit (with dropout drawing from the rng). */
static void test_deterministic(void)
{
    double a1, b1, a2, b2;
    sk_model *m1 = train(SK_ARCH_GRU, 2, 8, 0.2f, 3, 0.02f, 42, &a1, &b1);
    sk_model *m2 = train(SK_ARCH_GRU, 2, 8, 0.2f, 3, 0.02f, 42, &a2, &b2);
    sk_model *m3 = train(SK_ARCH_GRU, 2, 8, 0.2f, 3, 0.02f, 43, &a2, &b2);
    CHECK(m1 && m2 && m3);
    if (m1 && m2 && m3) {
        size_t n = sk_model_nparams(m1);
        CHECK(memcmp(sk_model_params(m1), sk_model_params(m2),
                     n * sizeof(float)) == 0);
        CHECK(memcmp(sk_model_params(m1), sk_model_params(m3),
                     n * sizeof(float)) != 0);
    }
    sk_model_destroy(m1);
    sk_model_destroy(m2);
    sk_model_destroy(m3);
}

int main(void)
{
    make_data(&train_set, NTRAIN, 1);
    make_data(&test_set, NTEST, 2);
    RUN(test_gru_learns);
    RUN(test_lstm_learns);
    RUN(test_tcn_learns);
    RUN(test_deterministic);
    return check_report();
}
