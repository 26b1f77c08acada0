/* Internal: the dtw architecture (src/nn/dtw.c, src/nn/dtw_build.c).
 *
 * A dtw model is a set of N recorded examples, "templates", each a short
 * sequence of feature vectors with its class. At every frame of a stream
 * it finds, for each template, the stretch of recent frames that matches
 * the whole template best (subsequence dynamic time warping, open at the
 * start and ending at the current frame, each step of the match moving
 * 0.5x to 2x as fast as the template), and turns the class distances
 * into probabilities.
 *
 * Parameters (hidden = N templates, window = Lmax frames at most per
 * template, input = C features per frame), all float32:
 *
 *   template n, at n * (2 + Lmax * C):
 *     class      an integer 0..K-1
 *     length     an integer 2..Lmax, the template's frames
 *     frames     (Lmax, C): rows 0..length-1 the template, the rest 0
 *   then:
 *     temperature  T > 0
 *     reject       tau >= 0: the distance of every class without templates
 *                  (the null class of continuous takes)
 *
 * The distance of template n at frame t is the least cost of a warping
 * path from some (s, 0) to (t, length-1), divided by its weight
 * (t - s + 1) + length; the cost of a frame pair is the Euclidean distance
 * of their features. A class's distance is its templates' least; the
 * probabilities are softmax(-distance / T). */
#ifndef SKELACT_NN_DTW_H
#define SKELACT_NN_DTW_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

#define SK__DTW_HEAD 2 /* class and length before a template's frames */
#define SK__DTW_MIN_LEN 2

/* Floats a template occupies, and the parameter count; 0 if cfg is not a
 * valid dtw configuration. */
size_t sk__dtw_stride(const sk_model_config *cfg);
size_t sk__dtw_param_count(const sk_model_config *cfg);

/* Check a dtw model's parameters (classes, lengths, temperature, reject).
 * Returns 0 or SK_EFORMAT with a reason in err. */
int sk__dtw_check(const sk_model *m, char *err, size_t errlen);
/* Valid placeholder parameters for a new model: template n of class n % K,
 * full length, zero frames; T 1, tau 1. */
void sk__dtw_init_params(sk_model *m);

/* One body's matching state (N * Lmax cells). */
struct sk__dtw_state;
int sk__dtw_state_new(struct sk__dtw_state **out, const sk_model_config *cfg);
void sk__dtw_state_free(struct sk__dtw_state *s);
void sk__dtw_state_reset(struct sk__dtw_state *s);
/* Step one frame x (C): dist (N, may be NULL) gets every template's
 * distance (INFINITY: no path yet), probs (K, may be NULL) the class
 * probabilities. Returns 0 or SK_EINVAL (s made for other sizes). */
int sk__dtw_step(const sk_model *m, struct sk__dtw_state *s, const float *x,
                 float *dist, float *probs);
/* Multiply-adds of one step. */
double sk__dtw_step_macs(const sk_model *m);
/* Window inference: reset m's own state, step the W frames of x (W, C),
 * the probabilities after the last. Not thread-safe on one model. */
int sk__dtw_infer(sk_model *m, const float *x, float *probs);

#endif
