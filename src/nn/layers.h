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
size_t sk__gru_cache_size(int B, int T, int C, int H);
size_t sk__lstm_cache_size(int B, int T, int C, int H);
size_t sk__bigru_cache_size(int B, int T, int C, int H);
size_t sk__conv_cache_size(int B, int T, int C, int O, int K);
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

/* x86-64 with GCC or clang: a third build of the float layers with AVX2
 * enabled (names sk__*_f_avx2), bit-identical in results to the _f build. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SK__LAYERS_AVX2 1
#define REAL float
#define SK__R(name) sk__##name##_f_avx2
#include "layers_decl.h"
#undef REAL
#undef SK__R
#else
#define SK__LAYERS_AVX2 0
#endif
/* 1 if this CPU runs the _f_avx2 build (and it was compiled), else 0. */
int sk__cpu_has_avx2(void);

#endif
