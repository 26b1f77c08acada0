/* Internal: training a model. A trainer runs the whole network forward and
 * backward on a mini-batch; sk_adam updates the parameters (AdamW).
 *
 * Threads: several trainers may share one model and run sk_trainer_step at
 * the same time from different threads; during a step the model's parameters
 * are only read, and each trainer has its own activations and gradients. The
 * caller sums the trainers' gradients and applies one optimizer step while no
 * trainer is stepping.
 *
 * Determinism: the same model, data, rng seed and call sequence give bit-for-bit
 * the same gradients (single-threaded; with threads, as long as the caller sums
 * the per-thread gradients in a fixed order). On x86-64 CPUs with AVX2 the
 * trainer runs an AVX2 build of the same layer code, whose results are
 * bit-identical to the portable build (tests/test_nn_layers.c).
 *
 * Cost: forward + backward is about 3x the forward's multiply-adds; measured
 * on this project's 2-core AMD EPYC, AVX2 build (one thread, batch 32, CPU
 * time, the reference shape input 120, window 30, hidden 128, 9 classes):
 * gru (2 layers) 650-720, lstm (2 layers) ~450, tcn (4 layers) 770-790
 * windows/s.
 */
#ifndef SKELACT_NN_TRAIN_H
#define SKELACT_NN_TRAIN_H

#include <stddef.h>

#include "model.h"
#include "rng.h"

typedef struct sk_trainer sk_trainer;

/* Create a trainer for model m and batches of up to max_batch windows.
 * Allocates all activations and a gradient buffer of sk_model_nparams(m)
 * floats in the model's parameter layout (zeroed). m is borrowed: it must
 * outlive the trainer; its parameters may change between steps (the optimizer)
 * but not during one. Returns 0, SK_EINVAL (bad model or max_batch < 1) or
 * SK_ENOMEM. */
int sk_trainer_create(sk_trainer **t, sk_model *m, int max_batch);
void sk_trainer_destroy(sk_trainer *t);

/* One forward + softmax cross-entropy + backward pass over B windows
 * (1 <= B <= max_batch):
 *   x      (B,W,C) feature windows, window-major, frame-major inside;
 *   y      (B)     class of each window, 0..K-1;
 *   weight (B)     per-window loss weight, or NULL for 1 each;
 *   dropout        drop probability in [0, 1) used between layers and before
 *                  the head (0 = none); masks are drawn from rng (which may be
 *                  NULL when dropout == 0).
 * The loss is the SUM over the batch of weight[b] * -log p_b(y_b) (not the
 * mean; with label smoothing, the smoothed cross-entropy), and its gradient is ADDED (+=) to the trainer's gradients: sum the
 * gradients of several steps or threads, then scale by 1/(total weight), e.g.
 * with sk_grads_scale, before sk_adam_step. *loss_sum (if not NULL) receives
 * that summed weighted loss; *ncorrect (if not NULL) the number of windows
 * whose most probable class is y[b]. Returns 0 or SK_EINVAL (bad B, label or
 * dropout). */
int sk_trainer_step(sk_trainer *t, const float *x, const int *y,
                    const float *weight, int B, float dropout, sk_rng *rng,
                    double *loss_sum, int *ncorrect);

/* Label smoothing of the loss sk_trainer_step minimises (0, the default:
 * none): the target of a window of class y is (1-ls) on y plus ls/K on every
 * class (layers_decl.h: softmax_ce). Training only: inference and the model
 * file do not change. Returns 0 or SK_EINVAL (ls outside [0, 1)). */
int sk_trainer_set_label_smoothing(sk_trainer *t, float ls);

/* Class probabilities of B windows without dropout (validation):
 * x (B,W,C) -> probs (B,K). Gradients are untouched. Returns 0 or SK_EINVAL. */
int sk_trainer_forward(sk_trainer *t, const float *x, int B, float *probs);

/* The gradient buffer (sk_model_nparams floats, the model's layout). Borrowed,
 * valid while t lives. */
float *sk_trainer_grads(sk_trainer *t);
size_t sk_trainer_ngrads(const sk_trainer *t);
/* Set every gradient to 0 (call before accumulating a new batch). */
void sk_trainer_zero_grads(sk_trainer *t);

/* Gradient helpers (any buffer in the parameter layout). */
void sk_grads_scale(float *g, size_t n, float s);
/* L2 norm of g; if it exceeds max_norm (> 0), g is scaled down to max_norm.
 * Returns the norm before clipping. */
float sk_grads_clip(float *g, size_t n, float max_norm);

/* Adam with decoupled weight decay (AdamW, Loshchilov & Hutter; PyTorch's
 * torch.optim.AdamW): with t the step count after increment,
 *   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2
 *   p -= lr * ( (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + wd * p )
 * Moments m and v use the parameter layout. The learning rate is given per
 * step: the caller runs the schedule. Weight decay applies to every
 * parameter (biases included), as torch.optim.AdamW does by default. */
typedef struct sk_adam {
    size_t n;
    long t;    /* steps taken */
    float *m;  /* (n) first moment */
    float *v;  /* (n) second moment */
} sk_adam;

/* Allocate zeroed moments for n parameters. Returns 0 or SK_ENOMEM. */
int sk_adam_init(sk_adam *a, size_t n);
/* One update of params (n floats) from grads (n floats). */
void sk_adam_step(sk_adam *a, float *params, const float *grads, float lr,
                  float beta1, float beta2, float eps, float weight_decay);
/* Free the moments (a may be zero-initialised or already freed). */
void sk_adam_free(sk_adam *a);

#endif
