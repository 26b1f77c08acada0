/* Internal: training data (src/nn/dataset.c), augmentation (src/nn/augment.c)
 * and the training loop (src/nn/train_loop.c) behind `skelact train` and
 * `skelact eval`. */
#ifndef SKELACT_NN_TRAINING_H
#define SKELACT_NN_TRAINING_H

#include <stddef.h>
#include <stdio.h>

#include "rng.h"
#include "skelact/frame.h"
#include "skelact/nn.h"

#ifndef SK_MAX_SUBJECTS
#define SK_MAX_SUBJECTS 100 /* subject numbers 1..99 in file names */
#endif

/* ---- training data ------------------------------------------------------ */

/* One recorded sequence of one body: a continuous take with per-frame labels
 * (PRECOG) or a segmented clip of one action (MSR Action3D). */
typedef struct sk__clip {
    int subject;
    int label;       /* clip's class (0-based), or -1 for a continuous take */
    int nframes;
    sk_body *bodies; /* (nframes) the first body of each frame (owned) */
    int *labels;     /* (nframes) per-frame classes, or NULL (owned) */
    char name[64];   /* file name without folder, for messages */
} sk__clip;

typedef struct sk__dataset {
    int format;    /* SK_FORMAT_PRECOG or SK_FORMAT_MSR */
    int joint_set; /* SK_JOINTSET_* of every clip */
    double fps;
    int nclips;
    sk__clip *clips; /* (nclips) owned */
    int nlabels;
    char labels[SK_MAX_CLASSES][SK_LABEL_LEN];
} sk__dataset;

/* A training format of its own: a folder of recorded gestures,
 * DIR/GESTURE/FILE, one example per file (`skelact train --format
 * gestures`). Not a file format: outside SK_FORMAT_*'s range. */
#define SK__DATASET_GESTURES 100

/* Load the clips of the subjects s with subjects[s] != 0 (subjects has
 * SK_MAX_SUBJECTS entries) from folder dir in format SK_FORMAT_PRECOG
 * (every SeqR_S.csv) or SK_FORMAT_MSR (the clips listed in
 * files_used_in_cvpr12_paper.txt), or every clip of SK__DATASET_GESTURES
 * (labels: "none", then the gesture folders' names in sorted order;
 * subjects is ignored, every clip has subject 0). On failure returns
 * SK_EIO, SK_EFORMAT, SK_EINVAL (a bad folder name), SK_ENOTFOUND (no clip
 * of those subjects) or SK_ENOMEM with a one-line reason in err. */
int sk__dataset_load(sk__dataset *ds, const char *dir, int format,
                     const unsigned char *subjects, char *err, size_t errlen);
void sk__dataset_free(sk__dataset *ds);

/* One training example: the window ending at frame `end` of a take, or a
 * whole clip (end = -1) resampled to the window. */
typedef struct sk__sample {
    int clip;
    int end;
    int label;
} sk__sample;

/* Every sample of ds for windows of W frames: for a continuous take every
 * window of W frames ending at a frame t >= W-1, labelled with frame t's
 * label; for a clip, the clip. *out is malloc'ed (free() it). Returns 0,
 * SK_EINVAL or SK_ENOMEM. */
int sk__dataset_samples(const sk__dataset *ds, int W, sk__sample **out, int *n);

/* ---- augmentation ------------------------------------------------------- */

typedef struct sk__augment {
    float rotate;     /* radians: yaw uniform in [-rotate, rotate] */
    float scale;      /* body size factor uniform in [1-scale, 1+scale] */
    float jitter;     /* metres: std of Gaussian noise on each coordinate */
    float mirror;     /* probability of a mirrored sample (0: never) */
    int mirror_map[SK_MAX_CLASSES]; /* class -> class of the mirrored action */
    float crop;       /* clips: keep a random fraction in [1-crop, 1] of the
                         clip's time span before resampling (time warping) */
    float warp;       /* clips: strength of a smooth random time warp, 0..0.5 */
    float speed;      /* continuous takes: the window is read at a speed
                         uniform in [1-speed, 1+speed] times the recorded
                         one (interpolated), as a faster or slower person
                         would move; 0..0.5 */
} sk__augment;

/* No augmentation at all; the identity mirror map. */
void sk__augment_none(sk__augment *a);

/* Mirror one body: x -> -x and each joint swapped with its twin. */
void sk__body_mirror(sk_body *b, const sk_joint_set *js);

/* Linear interpolation in time: src (n frames) between times t0 and t1
 * (frame units, 0 <= t0 <= t1 <= n-1) -> dst (W frames). With warp > 0 the
 * time axis is bent by a random smooth monotone curve drawn from rng. */
void sk__clip_resample(const sk_body *src, int n, float t0, float t1, int njoints,
                       float warp, sk_rng *rng, sk_body *dst, int W);

/* The W bodies of a sample (oldest first) into dst, augmented with a (NULL:
 * none) from rng; returns the sample's class after a possible mirror. */
int sk__sample_bodies(const sk__dataset *ds, const sk__sample *s, int W,
                      const sk__augment *a, sk_rng *rng, sk_body *dst);

/* Test-time views of a clip (no randomness): view 0 of nviews is the whole
 * clip; views 1..nviews-1 keep a fraction 1-crop of its time span, their
 * starts evenly spaced from the first frame to the last possible one (one
 * extra view: centred). A training crop of c keeps 1-c/2 of the span on
 * average, so crop = c/2 shows the model clips of its usual length. The
 * view's W bodies go into dst, resampled without warping; returns the label.
 * Continuous takes (s->end >= 0) have one view, the window itself. */
int sk__sample_view(const sk__dataset *ds, const sk__sample *s, int W, int view,
                    int nviews, float crop, sk_body *dst);

/* ---- training ----------------------------------------------------------- */

typedef struct sk__train_config {
    int epochs;
    int batch;
    float lr;
    float weight_decay;
    float dropout;
    float clip_norm;    /* gradient L2 clip (0: none) */
    int warmup;         /* epochs of linear warmup before the cosine decay */
    int threads;        /* 1 or 2 (or more) trainers on their own threads */
    int patience;       /* epochs without a better validation accuracy */
    float label_smoothing; /* 0..1: target (1-ls) on the class + ls/K on
                              each (0: plain cross-entropy) */
    float ema;          /* decay of an exponential moving average of the
                           weights per step (0: off); validated and kept
                           instead of the raw weights */
    unsigned long long seed;
    sk__augment aug;
    FILE *progress;     /* one line per epoch, or NULL */
    /* Continuous takes only (training samples; validation keeps all):
     * targets for live recognition. 0 keeps the frame-labelled windows. */
    int skip_onset;     /* leave out windows ending in a move's first N
                           frames (not yet recognisable: no target) */
    int skip_after;     /* leave out null windows ending within N frames
                           after a move (the move still fills the window) */
    int stride;         /* keep every stride-th window of a take (<= 1: all) */
    int lead;           /* label the null windows ending at most lead frames
                           before a move's first frame with that move (the
                           move is under way before its labelled start; 0:
                           off) */
    float null_weight;  /* loss weight of a window of class 0 (the others 1;
                           gradients scaled by the batch's summed weight);
                           0 or 1: all windows 1 */
} sk__train_config;

typedef struct sk__train_result {
    int epochs_run;
    int best_epoch;       /* 1-based; the epoch whose model is kept */
    float best_val_acc;   /* -1 without validation */
    float last_train_acc;
} sk__train_result;

/* Train model m (created with its header and initial weights) on train, with
 * early stopping on val (may be NULL: then train cfg->epochs and keep the
 * last weights). On return m holds the kept weights. Returns 0, SK_EINVAL or
 * SK_ENOMEM. */
int sk__train_run(sk_model *m, const sk__dataset *train, const sk__dataset *val,
                  const sk__train_config *cfg, sk__train_result *res);

/* Pack n trained gru, lstm, bigru or tcn models of one shape (hidden H)
 * into dst, a model of the same header but hidden n*H: each layer's weights
 * block-diagonal (a tcn channel of member m reads only member m's channels;
 * layer 0 reads the shared input), so the members run side by side
 * untouched, and the head averages their logits. dst's inference equals the
 * mean of the members' logits. (bigru: per direction, and each layer's input
 * halves keep the members' units apart.) Returns 0 or SK_EINVAL (shapes
 * differ, or dst has the wrong size or head). */
int sk__ensemble_pack(sk_model *dst, sk_model *const *members, int n);

/* A dtw model (src/nn/dtw.h) of ds's examples, no training run: one
 * template per segmented clip (with trim, without the still frames before
 * and after the motion) and one per labelled move of a continuous take,
 * resampled to h->arch.window frames (always with resample: for clips
 * resampled to the window, as MSR Action3D's are; otherwise only when
 * longer). Then the temperature (the best mean log-probability of each
 * template's class against the other templates) and the reject distance
 * (the reject_q quantile of the distance to the nearest template of the
 * same class), matching against other subjects' templates only where ds
 * has several subjects. h gives the features (frame_norm set), window,
 * classes, labels and decisions; its architecture fields are set here.
 * Progress on progress (may be NULL). Returns 0, SK_EINVAL (no examples,
 * bad settings) or SK_ENOMEM, with a reason in err. */
int sk__dtw_build(sk_model **out, sk_model_header *h, const sk__dataset *ds,
                  int resample, int trim, float reject_q, FILE *progress, char *err,
                  size_t errlen);

/* Classify every sample of ds (no augmentation; clips resampled to the
 * model's window) with sk_model_infer, or the trainer's forward where
 * inference is unavailable. pred (n samples, malloc'ed, free() it) receives
 * the predicted classes; labels the true ones. Returns 0 or a SK_E* code. */
int sk__classify_dataset(sk_model *m, const sk__dataset *ds, int **pred,
                         int **truth, int *n);

/* The same with test-time augmentation: each clip is classified as the mean
 * of the log-probabilities (the logits up to a constant per view) of its
 * nviews views (sk__sample_view with crop); nviews 1 is sk__classify_dataset.
 * Deterministic. Returns 0 or a SK_E* code (SK_EINVAL: nviews < 1, crop
 * outside [0, 1)). */
int sk__classify_dataset_views(sk_model *m, const sk__dataset *ds, int nviews,
                               float crop, int **pred, int **truth, int *n);

#ifndef SK_CLASSIFY_MAX_MODELS
#define SK_CLASSIFY_MAX_MODELS 8 /* models one evaluation combines */
#endif

/* The same for an ensemble of nm models (1..SK_CLASSIFY_MAX_MODELS) of the
 * same classes, whatever their architectures, windows and features: each
 * clip is classified by the sum of the log-probabilities of every model's
 * every view (each model resamples the clip to its own window and computes
 * its own features). nm 1 is sk__classify_dataset_views; nm > 1 needs
 * segmented clips (SK_FORMAT_MSR). Returns 0 or a SK_E* code (SK_EINVAL
 * also for models of other class counts or joint sets than the data's). */
int sk__classify_dataset_models(sk_model *const *ms, int nm, const sk__dataset *ds,
                                int nviews, float crop, int **pred, int **truth,
                                int *n);

#endif
