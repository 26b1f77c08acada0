/* skelact nn: models trained and run by skelact itself.
 *
 * A model maps a window of W feature vectors (W, C) to K class
 * probabilities. Architectures:
 *
 *   gru   L stacked GRU layers of H units (PyTorch's equations and gate order
 *         r, z, n), the last step's hidden state -> dense (K).
 *   lstm  L stacked LSTM layers of H units (PyTorch's gate order i, f, g, o),
 *         the last step's hidden state -> dense (K).
 *   tcn   L causal 1-D convolutions of H channels, kernel k, dilation 2^l for
 *         layer l (1, 2, 4, 8, ...), each followed by ReLU; from layer 1 on a
 *         residual connection adds the layer's input. The last step -> dense (K).
 *   dtw   no layers: N recorded examples ("templates", hidden = N) of at
 *         most W frames each, matched against the recent frames by
 *         dynamic time warping (src/nn/dtw.h); the class distances -> K.
 *         Made from examples by `skelact train --arch dtw`, no training run.
 *   bigru L stacked bidirectional GRU layers (PyTorch's bidirectional=True):
 *         per layer, H units read the window forwards and H more read it
 *         backwards; the layer's output at step t is [h_fwd(t), h_bwd(t)]
 *         (2H). The last step is [h_fwd(W-1), h_bwd(0)], each direction's
 *         final state -> dense (K). For segmented clips (the whole window is
 *         known); it has no streaming form.
 *
 * The head reads the top layer's last step (pool SK_POOL_LAST, the default
 * and the only choice for live streams) or, with SK_POOL_MEAN, the mean of
 * the top layer's outputs over the W steps of the window (segmented clips:
 * the whole action is in the window, and the last step alone forgets part
 * of it). Pooling adds no parameters.
 *
 * All parameters live in one float32 buffer, in this order (C_l is the
 * input size of layer l: C for l = 0, H after):
 *
 *   gru,  per layer: w_ih (3H, C_l), w_hh (3H, H), b_ih (3H), b_hh (3H)
 *   lstm, per layer: w_ih (4H, C_l), w_hh (4H, H), b_ih (4H), b_hh (4H)
 *   tcn,  per layer: w (H, C_l, k), b (H)        (PyTorch Conv1d layout)
 *   bigru, per layer: the gru tensors of the forward direction, then those
 *                    of the backward direction (C_l = 2H after layer 0)
 *   then the head:   w_out (K, D*H), b_out (K)   (D = 2 for bigru, else 1)
 *
 * Gradients and the optimizer's moments use the same layout.
 */
#ifndef SKELACT_NN_H
#define SKELACT_NN_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SK_MAX_CLASSES
#define SK_MAX_CLASSES 64 /* labels a model file may name */
#endif
#ifndef SK_LABEL_LEN
#define SK_LABEL_LEN 32 /* bytes of a label name, NUL included */
#endif

enum {
    SK_ARCH_GRU = 1,
    SK_ARCH_LSTM = 2,
    SK_ARCH_TCN = 3,
    SK_ARCH_DTW = 4, /* nearest recorded examples by dynamic time warping */
    SK_ARCH_BIGRU = 5,
};
/* "gru", "lstm", "tcn", "dtw", "bigru" <-> id; -1 / NULL if unknown. */
int sk_arch_from_name(const char *name);
const char *sk_arch_name(int arch);

typedef struct sk_model_config {
    int arch;     /* SK_ARCH_* */
    int input;    /* C: features per frame */
    int hidden;   /* H (bigru: per direction) */
    int layers;   /* L */
    int classes;  /* K */
    int window;   /* W: frames per window */
    int kernel;   /* tcn: kernel size (3) */
    int pool;     /* SK_POOL_*: what the head reads (0: the last step) */
} sk_model_config;

enum {
    SK_POOL_LAST = 0, /* the top layer's last step (every 1.0 model file) */
    SK_POOL_MEAN = 1, /* the mean over the window's W steps */
};
/* "last", "mean" <-> SK_POOL_*; -1 / NULL if unknown. */
int sk_pool_from_name(const char *name);
const char *sk_pool_name(int pool);

/* How frames become feature vectors (src/nn/features.c); stored in the model
 * file so live recognition computes exactly what training saw. */
typedef struct sk_feature_config {
    int joint_set;  /* SK_JOINTSET_* the model expects */
    int center;     /* joints relative to the hip centre */
    int scale;      /* divided by the hip-centre-to-shoulder-centre length */
    int rotate;     /* rotated about the vertical axis so the hips face the sensor */
    int velocity;   /* append frame-to-frame differences */
    float fps;      /* frame rate the model was trained at */
    int frame_norm; /* 1: size and rotation measured on each frame alone
                       (causal: for streaming models, sk_features_step);
                       0: once per window (sk_features_norm) */
    int retarget;   /* 1: every bone's length set to the joint set's
                       canonical one (bone_length), its direction kept, so
                       people of other proportions give the same features
                       for the same motion; needs center and scale */
    int root_motion; /* 1: append 4 values per frame: the hip centre's
                       displacement since the previous frame (x, y, z,
                       normalised like the joints) and the change of the
                       body's facing (radians), each times the velocity
                       gain; 0 for a window's first frame. The motion of
                       the whole body, which centring and rotating remove */
} sk_feature_config;

/* Decision defaults for live recognition (used by the recognizer). */
typedef struct sk_postproc_config {
    float smooth;       /* exponential smoothing factor of probabilities, 0..1 */
    float threshold;    /* minimum smoothed probability for a decision */
    int min_frames;     /* consecutive frames above threshold before an event */
    int refractory;     /* frames after an event before the same label again */
} sk_postproc_config;

/* Everything in a model file but the weights. */
typedef struct sk_model_header {
    sk_model_config arch;
    sk_feature_config features;
    sk_postproc_config post;
    int nlabels;                               /* == arch.classes */
    char labels[SK_MAX_CLASSES][SK_LABEL_LEN]; /* continuous takes (PRECOG):
                                                  label 0 is the null class;
                                                  clips (MSR): all are actions */
} sk_model_header;

typedef struct sk_model sk_model;

/* Number of float32 parameters of an architecture; 0 if cfg breaks the
 * parameter table's limits. sk_model_create is stricter (input, hidden and
 * window at most 4096, at most 2^28 parameters): non-zero here does not
 * promise that create accepts cfg. */
size_t sk_model_param_count(const sk_model_config *cfg);

/* Create a model with freshly initialised weights (deterministic for seed).
 * Allocates everything inference needs. Returns 0, SK_EINVAL or SK_ENOMEM. */
int sk_model_create(sk_model **out, const sk_model_header *hdr, uint64_t seed);
void sk_model_destroy(sk_model *m);

/* Borrowed pointers, valid while m lives. */
const sk_model_header *sk_model_header_get(const sk_model *m);
float *sk_model_params(sk_model *m);
size_t sk_model_nparams(const sk_model *m);

/* Write / read a model file (docs/MODEL_FORMAT.md). Save is atomic (temp file,
 * fsync, rename) and refuses non-finite weights (SK_EINVAL); load may also
 * return SK_ENOMEM. A corrupt, truncated or
 * foreign file returns SK_EFORMAT (or SK_EIO) and a one-line reason in err. */
int sk_model_save(const sk_model *m, const char *path, char *err, size_t errlen);
int sk_model_load(sk_model **out, const char *path, char *err, size_t errlen);
/* The same from memory (the fuzz target's entry point). */
int sk_model_load_mem(sk_model **out, const void *buf, size_t len, char *err,
                      size_t errlen);

/* Classify one window: x (W, C) -> probs (K). No allocation; fast kernels
 * chosen at run time for this CPU. Not thread-safe on one model (scratch is
 * per model): use one model per thread. */
int sk_model_infer(sk_model *m, const float *x, float *probs);

/* Most windows sk_model_infer_batch takes in one call. */
#define SK_INFER_MAX_BATCH 16

/* Classify n windows at once (1 <= n <= SK_INFER_MAX_BATCH): x holds n
 * windows one after the other, (n, W, C); probs gets (n, K). Each window's
 * probabilities are bit for bit those sk_model_infer gives for it alone,
 * whatever n and whatever the other windows are (so a live recognizer that
 * batches what arrived together decides exactly as eval does frame by
 * frame). gru and lstm read each recurrent weight matrix once per step for
 * all n windows instead of once per window, which is where batch inference
 * gains. No allocation: the scratch of SK_INFER_MAX_BATCH windows is made
 * with the model (about 1.3 MB for the reference gru), and a model too large
 * for 16 windows' scratch in 32 MB runs them in smaller passes, with the same
 * results. Same thread rules as sk_model_infer. Returns 0, SK_EINVAL (NULL,
 * or n outside 1..SK_INFER_MAX_BATCH) or SK_EUNSUPPORTED (not a network). */
int sk_model_infer_batch(sk_model *m, int n, const float *x, float *probs);

/* sk_model_infer reads a packed copy of the weights, made on its first call
 * (after sk_model_create or sk_model_load). Call this after changing the
 * parameters in place (training) so the next sk_model_infer re-packs them;
 * a tcn's streaming copy (sk_model_stream_create), if made, is re-packed
 * at once. */
void sk_model_infer_sync(sk_model *m);
/* Name of the kernel set inference runs on: "plain", "avx2" or "avx512"
 * (SK_KERNELS=name in the environment forces one this CPU supports); NULL
 * if m cannot run inference. Static string. */
const char *sk_model_infer_kernels(const sk_model *m);
/* Multiply-adds sk_model_infer does per window (tcn: only the steps the
 * head depends on: the last step's receptive field, or every step with a
 * pooled head); 0 if m cannot run inference. */
double sk_model_infer_macs(const sk_model *m);
/* Measured single-thread peak of this CPU in single-precision flops per
 * second: independent fused multiply-adds of the widest vector set this CPU
 * runs, for about `seconds`. For "x of the arithmetic limit". */
double sk_infer_peak_flops(double seconds);

/* What a dtw model holds (for `skelact info`). */
typedef struct sk_dtw_summary {
    int templates;                  /* N */
    int per_class[SK_MAX_CLASSES];  /* templates of each class */
    int min_len, max_len;           /* frames of the shortest, longest */
    float temperature;              /* class distances / T -> softmax */
    float reject;                   /* distance of a class without templates */
} sk_dtw_summary;
/* Fill out for dtw model m. Returns 0, or SK_EINVAL (NULL, not dtw). */
int sk_model_dtw_summary(const sk_model *m, sk_dtw_summary *out);

/* ---- features (src/nn/features.c) -------------------------------------
 * One definition of a model's input, used by training and live recognition
 * alike. Per frame: joints relative to the hip centre, divided by the body's
 * size (hip centre to shoulder centre), optionally rotated about the vertical
 * (y) axis so that the hips (left -> right, projected on x-z) lie along +x,
 * i.e. the body faces the sensor; then, with velocity on, the difference to
 * the previous frame's normalised joints times SK_FEATURE_VEL_GAIN (10; see
 * src/nn/features.c) (0 for a window's first frame).
 * The size and the rotation are measured once per window (sk_feature_norm),
 * so a noisy frame does not make the whole body jump. Never NaN: non-finite
 * coordinates count as 0, a degenerate size falls back to a typical one and
 * every value is clamped to +-SK_FEATURE_CLAMP. With retarget on, the
 * normalised pose is rebuilt from the hip centre outwards, bone by bone,
 * keeping each bone's direction and giving it the canonical length of the
 * joint set (a zero-length bone keeps its child on its parent). */
#ifndef SK_FEATURE_CLAMP
#define SK_FEATURE_CLAMP 8.0f /* body sizes: a tracking glitch must not dominate */
#endif

/* Window-level normalisation: the body size and the rotation about y. */
typedef struct sk_feature_norm {
    float size;         /* metres (1 when scale is off) */
    float cos_yaw, sin_yaw; /* rotation applied to x-z (1, 0 when rotate is off) */
} sk_feature_norm;

/* The defaults of a new model: centre, scale, rotate, velocity on, 30 fps. */
void sk_feature_config_default(sk_feature_config *fc, int joint_set);
/* Features per frame for fc: 3*J, times 2 with velocity, plus 4 with
 * root_motion; 0 if fc is invalid. */
int sk_features_dim(const sk_feature_config *fc);
/* Measure the normalisation of a window of W bodies (oldest first; a NULL
 * entry is skipped). Returns 0 or SK_EINVAL. */
int sk_features_norm(const sk_feature_config *fc, const sk_body *const *bodies,
                     int W, sk_feature_norm *norm);
/* One frame's features (sk_features_dim floats) into out, with prev the
 * previous frame of the same body or NULL (velocity 0). Allocates nothing.
 * Returns 0 or SK_EINVAL. */
int sk_features_frame(const sk_feature_config *fc, const sk_feature_norm *norm,
                      const sk_body *body, const sk_body *prev, float *out);
/* A whole window: W bodies (oldest first) -> out (W, sk_features_dim). The
 * function training and recognition both call. Allocates nothing. Returns 0
 * or SK_EINVAL. */
int sk_features_window(const sk_feature_config *fc, const sk_body *const *bodies,
                       int W, float *out);


/* One frame's features with per-frame normalisation (whatever
 * fc->frame_norm says): the size and rotation measured on body alone, prev
 * (the body's previous frame, or NULL) normalised the same way for the
 * velocities. With fc->frame_norm set, sk_features_window gives exactly this
 * for each frame of a window, so a streaming model sees what training saw.
 * Allocates nothing. Returns 0 or SK_EINVAL. */
int sk_features_step(const sk_feature_config *fc, const sk_body *body,
                     const sk_body *prev, float *out);

/* ---- streaming inference (src/nn/stream.c) -----------------------------
 * A tcn run one frame at a time: per layer, a ring of the layer's last
 * (k-1)*2^l + 1 inputs, so each frame costs one new time step per layer
 * (the same multiply-adds whatever the window). The state starts as zeros,
 * exactly the window inference's zero left padding: after a reset, stepping
 * frames x_0..x_t gives the window inference's output for the window
 * x_0..x_t left-padded with zero frames; once more frames than the receptive
 * field 1 + (k-1)*(2^L - 1) have been stepped, the output depends only on
 * the last receptive-field frames (so it equals the window inference on the
 * last W frames when the receptive field fits in W). */
typedef struct sk_model_stream sk_model_stream;

/* Create the streaming state of one body for tcn model m (borrowed only
 * during the call: any model of the same header may step it). Allocates
 * everything. The first stream created for m also makes m's packed copy of
 * its weights, which every later step of m reads (one copy per model,
 * shared by all its streams; if m's layers from 1 on are block-diagonal, a
 * packed ensemble with every weight outside the blocks exactly 0, only the
 * blocks are kept and the zeros skipped). So: create m's first stream
 * before any thread steps a stream with m, and call sk_model_infer_sync
 * after changing m's weights in place (it packs them again). A model no
 * stream was created for steps correctly but several times slower, reading
 * its parameters directly. The state starts reset. A dtw model's stream
 * is its matching state instead (every template's best path ending at the
 * latest frame; src/nn/dtw.h): a step costs the templates' total frames
 * times C multiply-adds, and sk_model_infer on a window equals a stream
 * stepped over its W frames from a reset. Returns 0, SK_EINVAL (NULL),
 * SK_EUNSUPPORTED (not a tcn or dtw, or a pooled head: pool not
 * SK_POOL_LAST) or SK_ENOMEM. */
int sk_model_stream_create(sk_model_stream **out, const sk_model *m);
/* Free; NULL is fine. */
void sk_model_stream_destroy(sk_model_stream *s);
/* Forget every frame (a new body, or a tracking gap): back to zeros. */
void sk_model_stream_reset(sk_model_stream *s);
/* Step one frame: x (C) one frame's features -> probs (K), the class
 * probabilities for the frames stepped so far. Allocates nothing; writes
 * only s (streams of one model may step in several threads at once).
 * Returns 0 or SK_EINVAL (NULL, or s made for a model of other sizes). */
int sk_model_stream_step(const sk_model *m, sk_model_stream *s, const float *x,
                         float *probs);
/* Multiply-adds per step (0 for NULL). */
double sk_model_stream_macs(const sk_model_stream *s);

#ifdef __cplusplus
}
#endif
#endif
