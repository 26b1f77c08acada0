/* Internal: the model object and its parameter table, shared by the model
 * file code, training and the inference kernels. */
#ifndef SKELACT_NN_MODEL_H
#define SKELACT_NN_MODEL_H

#include "skelact/nn.h"

struct sk__infer; /* inference scratch and kernel choice: src/nn/infer.c */
struct sk__dtw_state; /* a dtw model's window inference: src/nn/dtw.c */

struct sk_model {
    sk_model_header hdr;
    size_t nparams;
    float *params;           /* nparams floats, layout of skelact/nn.h */
    struct sk__infer *infer; /* set by sk__infer_init() (networks) */
    struct sk__dtw_state *dtw; /* set by sk__infer_init() (dtw) */
};

/* Where layer l's tensors start in the parameter buffer (in floats). Unused
 * fields are 0: tcn has only w_ih (its conv weight, (H, C_l, k)) and b_ih. */
typedef struct sk__layer_params {
    int in;            /* C_l */
    size_t w_ih, w_hh; /* gru/lstm: (G*H, C_l), (G*H, H), G = 3 or 4 */
    size_t b_ih, b_hh; /* (G*H) each */
    /* bigru: the backward direction's tensors, shaped as the four above. */
    size_t w_ih_r, w_hh_r, b_ih_r, b_hh_r;
} sk__layer_params;

typedef struct sk__param_table {
    int nlayers;
    sk__layer_params layer[16];
    size_t w_out, b_out; /* head: (K, D*H), (K) */
    size_t total;
} sk__param_table;

#define SK__MAX_LAYERS 16

/* Fill t for cfg. Returns 0, or SK_EINVAL for an invalid configuration. */
int sk__param_table_fill(const sk_model_config *cfg, sk__param_table *t);

/* Gates per recurrent unit: 3 (gru, bigru), 4 (lstm), 1 (tcn). */
int sk__arch_gates(int arch);
/* Directions D: 2 (bigru), else 1. A layer's output has D*H values per
 * step. */
int sk__arch_dirs(int arch);

/* Inference state (src/nn/infer.c): allocated once per model. */
int sk__infer_init(sk_model *m);
void sk__infer_free(sk_model *m);

/* The packed copy of a tcn's weights that streaming inference reads
 * (src/nn/stream.c), kept in the model's inference state: made for m by
 * its first sk_model_stream_create (sk__infer_stream_prepare: 0 or
 * SK_ENOMEM; a no-op once made), made again by sk_model_infer_sync and
 * sk__infer_use. sk__infer_stream gives it, or NULL if m has none (then
 * steps read m's parameters directly). */
struct sk__stream_pack;
int sk__infer_stream_prepare(const sk_model *m);
const struct sk__stream_pack *sk__infer_stream(const sk_model *m);
void sk__stream_pack_free(struct sk__stream_pack *p);

/* z (K logits) -> their softmax, in place: the last step of the window
 * inference and of the streaming step alike. */
void sk__softmax(float *z, int K);

#endif
