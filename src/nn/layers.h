/* Internal: neural network layers as forward/backward function pairs (after
 * karpathy's llm.c), and the whole model's batched pass built from them.
 *
 * Every layer is written once, in src/nn/layers_tmpl.h, and compiled twice by
 * src/nn/layers.c: with float (names sk__*_f, used for training) and with
 * double (names sk__*_d, used by the finite-difference gradient checks), so
 * the checks test the very code that trains. Prototypes: src/nn/layers_decl.h.
 */
#ifndef SKELACT_NN_LAYERS_H
#define SKELACT_NN_LAYERS_H

#include <stddef.h>

#include "model.h"
#include "rng.h"

/* Cache sizes in elements (of whichever REAL) of the layers' caller-owned
 * buffers. */
size_t sk__gru_cache_size(int B, int T, int H);
size_t sk__lstm_cache_size(int B, int T, int H);
size_t sk__conv_cache_size(int B, int T, int C, int K);
/* Workspace of the whole model's pass for up to B windows; 0 if cfg is
 * invalid. */
size_t sk__net_ws_size(const sk_model_config *cfg, int B);

#define REAL float
#define SK__R(name) sk__##name##_f
#include "layers_decl.h"
#undef REAL
#undef SK__R

#define REAL double
#define SK__R(name) sk__##name##_d
#include "layers_decl.h"
#undef REAL
#undef SK__R

#endif
