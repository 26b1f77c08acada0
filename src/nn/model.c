/* The model object: creation with PyTorch-style initial weights, and the
 * model file (docs/MODEL_FORMAT.md). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/seterr.h"
#include "dtw.h"
#include "model.h"
#include "rng.h"
#include "skelact/codec.h"

#ifndef SK_MODEL_MAX_INPUT
#define SK_MODEL_MAX_INPUT 4096 /* features per frame: 25 joints x 3 x 2 = 150 */
#endif
#ifndef SK_MODEL_MAX_HIDDEN
#define SK_MODEL_MAX_HIDDEN 4096 /* far beyond what runs in real time */
#endif
#ifndef SK_MODEL_MAX_WINDOW
#define SK_MODEL_MAX_WINDOW 4096 /* frames: over 2 minutes at 30 fps */
#endif
#ifndef SK_MODEL_MAX_PARAMS
#define SK_MODEL_MAX_PARAMS ((size_t)1 << 28) /* 1 GiB of float32 weights */
#endif
#ifndef SK_MODEL_MAX_FRAMES
#define SK_MODEL_MAX_FRAMES 100000 /* post-processing counts, in frames */
#endif

/* ---- header checks -------------------------------------------------------- */

/* Check everything in a header but the weights. Returns 0 or SK_EINVAL with
 * a reason in err. */
static int header_check(const sk_model_header *h, char *err, size_t errlen)
{
    const sk_model_config *a = &h->arch;
    if (a->arch != SK_ARCH_GRU && a->arch != SK_ARCH_LSTM &&
        a->arch != SK_ARCH_TCN && a->arch != SK_ARCH_BIGRU && a->arch != SK_ARCH_DTW) {
        sk__seterr(err, errlen, "unknown or unsupported architecture %d", a->arch);
        return SK_EINVAL;
    }
    if (a->input < 1 || a->input > SK_MODEL_MAX_INPUT) {
        sk__seterr(err, errlen, "input size %d outside 1..%d", a->input,
             SK_MODEL_MAX_INPUT);
        return SK_EINVAL;
    }
    if (a->hidden < 1 || a->hidden > SK_MODEL_MAX_HIDDEN) {
        sk__seterr(err, errlen, "hidden size %d outside 1..%d", a->hidden,
             SK_MODEL_MAX_HIDDEN);
        return SK_EINVAL;
    }
    if (a->layers < 1 || a->layers > SK__MAX_LAYERS) {
        sk__seterr(err, errlen, "layer count %d outside 1..%d", a->layers,
             SK__MAX_LAYERS);
        return SK_EINVAL;
    }
    if (a->classes < 2 || a->classes > SK_MAX_CLASSES) {
        sk__seterr(err, errlen, "class count %d outside 2..%d", a->classes,
             SK_MAX_CLASSES);
        return SK_EINVAL;
    }
    if (a->window < 1 || a->window > SK_MODEL_MAX_WINDOW) {
        sk__seterr(err, errlen, "window %d outside 1..%d frames", a->window,
             SK_MODEL_MAX_WINDOW);
        return SK_EINVAL;
    }
    if (!sk_pool_name(a->pool)) {
        sk__seterr(err, errlen, "head pooling %d unknown (0 last, 1 mean)", a->pool);
        return SK_EINVAL;
    }
    if (a->kernel < (a->arch == SK_ARCH_TCN ? 1 : 0) || a->kernel > 16) {
        sk__seterr(err, errlen, "kernel size %d outside %d..16", a->kernel,
             a->arch == SK_ARCH_TCN ? 1 : 0);
        return SK_EINVAL;
    }
    if (a->arch == SK_ARCH_DTW &&
        (a->layers != 1 || a->kernel != 0 || a->pool != SK_POOL_LAST ||
         a->window < SK__DTW_MIN_LEN || !h->features.frame_norm)) {
        sk__seterr(err, errlen, "a dtw model has 1 layer, kernel 0, pool last, "
                   "a window of at least %d frames and per-frame features",
                   SK__DTW_MIN_LEN);
        return SK_EINVAL;
    }
    sk__param_table t;
    if (sk__param_table_fill(a, &t) != 0) {
        sk__seterr(err, errlen, "invalid architecture sizes");
        return SK_EINVAL;
    }
    if (t.total > SK_MODEL_MAX_PARAMS) {
        sk__seterr(err, errlen, "%zu parameters exceed the limit of %zu", t.total,
             (size_t)SK_MODEL_MAX_PARAMS);
        return SK_EINVAL;
    }

    const sk_feature_config *f = &h->features;
    if (!sk_joint_set_get(f->joint_set)) {
        sk__seterr(err, errlen, "unknown joint set %d", f->joint_set);
        return SK_EINVAL;
    }
    if ((f->center | f->scale | f->rotate | f->velocity | f->frame_norm | f->retarget |
         f->root_motion) & ~1) {
        sk__seterr(err, errlen, "feature switches must be 0 or 1");
        return SK_EINVAL;
    }
    if (f->retarget && !(f->center && f->scale)) {
        sk__seterr(err, errlen, "feature retarget needs center and scale");
        return SK_EINVAL;
    }
    if (!(f->fps > 0.0f && f->fps <= 10000.0f)) {
        sk__seterr(err, errlen, "frame rate %g outside (0, 10000]", (double)f->fps);
        return SK_EINVAL;
    }

    const sk_postproc_config *p = &h->post;
    if (!(p->smooth >= 0.0f && p->smooth <= 1.0f)) {
        sk__seterr(err, errlen, "smoothing factor %g outside 0..1", (double)p->smooth);
        return SK_EINVAL;
    }
    if (!(p->threshold >= 0.0f && p->threshold <= 1.0f)) {
        sk__seterr(err, errlen, "threshold %g outside 0..1", (double)p->threshold);
        return SK_EINVAL;
    }
    if (p->min_frames < 0 || p->min_frames > SK_MODEL_MAX_FRAMES ||
        p->refractory < 0 || p->refractory > SK_MODEL_MAX_FRAMES) {
        sk__seterr(err, errlen, "min_frames %d / refractory %d outside 0..%d",
             p->min_frames, p->refractory, SK_MODEL_MAX_FRAMES);
        return SK_EINVAL;
    }

    if (h->nlabels != a->classes) {
        sk__seterr(err, errlen, "%d label names for %d classes", h->nlabels,
             a->classes);
        return SK_EINVAL;
    }
    for (int i = 0; i < h->nlabels; i++) {
        const char *s = h->labels[i];
        const char *end = memchr(s, '\0', SK_LABEL_LEN);
        if (!end) {
            sk__seterr(err, errlen, "label %d is not NUL-terminated within %d bytes",
                 i, SK_LABEL_LEN);
            return SK_EINVAL;
        }
        if (s == end) {
            sk__seterr(err, errlen, "label %d is empty", i);
            return SK_EINVAL;
        }
        /* Names are printed on terminals and in JSON: no control bytes. */
        for (const char *c = s; c < end; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                sk__seterr(err, errlen, "label %d contains a control character", i);
                return SK_EINVAL;
            }
    }
    return 0;
}

/* Copy a checked header, zeroing every byte past each label's NUL and the
 * unused label slots, so equal headers compare equal with memcmp. */
static void header_copy(sk_model_header *dst, const sk_model_header *src)
{
    memset(dst, 0, sizeof *dst);
    dst->arch = src->arch;
    dst->features = src->features;
    dst->post = src->post;
    dst->nlabels = src->nlabels;
    for (int i = 0; i < src->nlabels; i++)
        memcpy(dst->labels[i], src->labels[i], strlen(src->labels[i]));
}

/* ---- the model object ----------------------------------------------------- */

/* A checked header, parameters allocated (uninitialised), inference ready. */
static int model_alloc(sk_model **out, const sk_model_header *hdr)
{
    *out = NULL;
    sk_model *m = calloc(1, sizeof *m);
    if (!m)
        return SK_ENOMEM;
    header_copy(&m->hdr, hdr);
    m->nparams = sk_model_param_count(&m->hdr.arch);
    m->params = malloc(m->nparams * sizeof(float));
    if (!m->params)
        goto fail;
    if (sk__infer_init(m) != 0)
        goto fail;
    *out = m;
    return 0;
fail:
    free(m->params);
    free(m);
    return SK_ENOMEM;
}

static void fill_uniform(sk_rng *r, float *p, size_t n, float bound)
{
    for (size_t i = 0; i < n; i++)
        p[i] = sk_rng_uniform(r, -bound, bound);
}

/* PyTorch's default initialisation, drawn from one generator in the order of
 * the parameter layout: every GRU/LSTM tensor U(-1/sqrt(H), 1/sqrt(H));
 * Conv1d and Linear weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * (kaiming_uniform with a = sqrt(5) gives exactly this bound). */
static void model_init_weights(sk_model *m, uint64_t seed)
{
    const sk_model_config *a = &m->hdr.arch;
    if (a->arch == SK_ARCH_DTW) { /* templates come from sk__dtw_build */
        sk__dtw_init_params(m);
        return;
    }
    sk__param_table t;
    sk__param_table_fill(a, &t);
    sk_rng r;
    sk_rng_seed(&r, seed);
    size_t H = (size_t)a->hidden;
    for (int l = 0; l < t.nlayers; l++) {
        const sk__layer_params *lp = &t.layer[l];
        size_t C = (size_t)lp->in;
        if (a->arch == SK_ARCH_TCN) {
            size_t fan_in = C * (size_t)a->kernel;
            float b = 1.0f / sqrtf((float)fan_in);
            fill_uniform(&r, m->params + lp->w_ih, H * fan_in, b);
            fill_uniform(&r, m->params + lp->b_ih, H, b);
        } else {
            size_t G = (size_t)sk__arch_gates(a->arch);
            float b = 1.0f / sqrtf((float)H);
            fill_uniform(&r, m->params + lp->w_ih, G * H * C, b);
            fill_uniform(&r, m->params + lp->w_hh, G * H * H, b);
            fill_uniform(&r, m->params + lp->b_ih, G * H, b);
            fill_uniform(&r, m->params + lp->b_hh, G * H, b);
            if (a->arch == SK_ARCH_BIGRU) {
                fill_uniform(&r, m->params + lp->w_ih_r, G * H * C, b);
                fill_uniform(&r, m->params + lp->w_hh_r, G * H * H, b);
                fill_uniform(&r, m->params + lp->b_ih_r, G * H, b);
                fill_uniform(&r, m->params + lp->b_hh_r, G * H, b);
            }
        }
    }
    size_t HO = (size_t)sk__arch_dirs(a->arch) * H; /* the head's inputs */
    float b = 1.0f / sqrtf((float)HO);
    fill_uniform(&r, m->params + t.w_out, (size_t)a->classes * HO, b);
    fill_uniform(&r, m->params + t.b_out, (size_t)a->classes, b);
}

int sk_model_create(sk_model **out, const sk_model_header *hdr, uint64_t seed)
{
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    if (!hdr || header_check(hdr, NULL, 0) != 0)
        return SK_EINVAL;
    sk_model *m;
    int rc = model_alloc(&m, hdr);
    if (rc != 0)
        return rc;
    model_init_weights(m, seed);
    *out = m;
    return 0;
}

void sk_model_destroy(sk_model *m)
{
    if (!m)
        return;
    sk__infer_free(m);
    free(m->params);
    free(m);
}

const sk_model_header *sk_model_header_get(const sk_model *m)
{
    return &m->hdr;
}

float *sk_model_params(sk_model *m)
{
    return m->params;
}

size_t sk_model_nparams(const sk_model *m)
{
    return m->nparams;
}

/* ---- the model file (docs/MODEL_FORMAT.md) -------------------------------- */

#define MF_MAGIC "SKMODEL" /* 8 bytes with its NUL */
#define MF_MAJOR 2         /* the newest major version this build reads */
#define MF_PREAMBLE 16     /* magic, major, minor, fields_size */
#define MF_FIELDS_1_0 72   /* fields_size written by format 1.0 */
#define MF_FIELDS_2_0 76   /* 2.0: 1.0's fields, then pool (u32) */
#define MF_LABEL_LEN 32    /* label slot written by this build */

#ifndef SK_MODEL_MAX_FIELDS
#define SK_MODEL_MAX_FIELDS 65536 /* header fields of any future minor version */
#endif
#ifndef SK_MODEL_MAX_LABEL_SLOT
#define SK_MODEL_MAX_LABEL_SLOT 1024 /* bytes per label slot a file may use */
#endif

/* Feature switches, one bit each in the "features" field. */
enum {
    MF_CENTER = 1u << 0,
    MF_SCALE = 1u << 1,
    MF_ROTATE = 1u << 2,
    MF_VELOCITY = 1u << 3,
    MF_FRAME_NORM = 1u << 4, /* 1.0 readers refuse it: the inputs differ */
    MF_RETARGET = 1u << 5,   /* so do readers that predate it */
    MF_ROOT_MOTION = 1u << 6, /* and this one */
    MF_KNOWN_FEATURES = 0x7fu,
};

static void put_u16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_f32(uint8_t *p, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(p, v);
}

static uint32_t get_u16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static float get_f32(const uint8_t *p)
{
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* The oldest format that holds m: 1.0 unless its head pools (2.0), so a
 * model 1.0 can describe is written byte for byte as before and older
 * builds keep reading it; a build that predates pooling refuses a 2.0 file
 * (unknown major version) instead of running it with the wrong head.
 * Returns the fields size. */
static uint32_t mf_fields_size(const sk_model *m)
{
    return m->hdr.arch.pool == SK_POOL_LAST ? MF_FIELDS_1_0 : MF_FIELDS_2_0;
}

/* Preamble and fields for m: MF_PREAMBLE + mf_fields_size(m) bytes. */
static void mf_encode_header(const sk_model *m, uint8_t *b)
{
    const sk_model_header *h = &m->hdr;
    uint32_t fields = mf_fields_size(m);
    memset(b, 0, MF_PREAMBLE + fields);
    memcpy(b, MF_MAGIC, 8);
    put_u16(b + 8, fields == MF_FIELDS_1_0 ? 1 : 2);
    put_u16(b + 10, 0);
    put_u32(b + 12, fields);
    uint8_t *f = b + MF_PREAMBLE;
    put_u32(f + 0, (uint32_t)h->arch.arch);
    put_u32(f + 4, (uint32_t)h->arch.input);
    put_u32(f + 8, (uint32_t)h->arch.hidden);
    put_u32(f + 12, (uint32_t)h->arch.layers);
    put_u32(f + 16, (uint32_t)h->arch.classes);
    put_u32(f + 20, (uint32_t)h->arch.window);
    put_u32(f + 24, (uint32_t)h->arch.kernel);
    put_u32(f + 28, (uint32_t)h->features.joint_set);
    uint32_t sw = (h->features.center ? MF_CENTER : 0) |
                  (h->features.scale ? MF_SCALE : 0) |
                  (h->features.rotate ? MF_ROTATE : 0) |
                  (h->features.velocity ? MF_VELOCITY : 0) |
                  (h->features.frame_norm ? MF_FRAME_NORM : 0) |
                  (h->features.retarget ? MF_RETARGET : 0) |
                  (h->features.root_motion ? MF_ROOT_MOTION : 0);
    put_u32(f + 32, sw);
    put_f32(f + 36, h->features.fps);
    put_f32(f + 40, h->post.smooth);
    put_f32(f + 44, h->post.threshold);
    put_u32(f + 48, (uint32_t)h->post.min_frames);
    put_u32(f + 52, (uint32_t)h->post.refractory);
    put_u32(f + 56, (uint32_t)h->nlabels);
    put_u32(f + 60, MF_LABEL_LEN);
    put_u64(f + 64, (uint64_t)m->nparams);
    if (fields >= MF_FIELDS_2_0)
        put_u32(f + 72, (uint32_t)h->arch.pool);
}

/* Write all of buf to fp and fold it into *crc. */
static int mf_write(FILE *fp, const void *buf, size_t len, uint32_t *crc)
{
    *crc = sk_crc32(*crc, buf, len);
    return fwrite(buf, 1, len, fp) == len ? 0 : -1;
}

int sk_model_save(const sk_model *m, const char *path, char *err, size_t errlen)
{
    char tmp[4096];
    FILE *fp = NULL;
    int fd = -1, rc = SK_EIO;
    if (!m || !path) {
        sk__seterr(err, errlen, "sk_model_save: no model or path");
        return SK_EINVAL;
    }
    /* Refuse to write a file that no loader would accept. */
    for (size_t i = 0; i < m->nparams; i++)
        if (!isfinite(m->params[i])) {
            sk__seterr(err, errlen, "%s: not written: weight %zu is not finite",
                 path, i);
            return SK_EINVAL;
        }
    /* Write a temporary file beside the target, then rename it over: a
     * reader sees the old file or the whole new one, never half of one. */
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%d", path, (long)getpid(),
                         attempt);
        if (n < 0 || (size_t)n >= sizeof tmp) {
            sk__seterr(err, errlen, "%s: path too long", path);
            return SK_EINVAL;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        sk__seterr(err, errlen, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        return SK_EIO;
    }
    if (!(fp = fdopen(fd, "wb"))) {
        sk__seterr(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        goto fail;
    }
    fd = -1;

    uint32_t crc = 0;
    uint8_t head[MF_PREAMBLE + MF_FIELDS_2_0];
    mf_encode_header(m, head);
    if (mf_write(fp, head, MF_PREAMBLE + mf_fields_size(m), &crc) != 0)
        goto write_fail;
    for (int i = 0; i < m->hdr.nlabels; i++) {
        uint8_t slot[MF_LABEL_LEN] = {0};
        memcpy(slot, m->hdr.labels[i], strlen(m->hdr.labels[i]));
        if (mf_write(fp, slot, sizeof slot, &crc) != 0)
            goto write_fail;
    }
    uint8_t chunk[4096];
    for (size_t i = 0; i < m->nparams;) {
        size_t n = 0;
        for (; n < sizeof chunk / 4 && i < m->nparams; n++, i++)
            put_f32(chunk + 4 * n, m->params[i]);
        if (mf_write(fp, chunk, 4 * n, &crc) != 0)
            goto write_fail;
    }
    uint8_t tail[4];
    put_u32(tail, crc);
    if (fwrite(tail, 1, 4, fp) != 4 || fflush(fp) != 0 || fsync(fileno(fp)) != 0)
        goto write_fail;
    if (fclose(fp) != 0) {
        fp = NULL;
        goto write_fail;
    }
    fp = NULL;
    if (rename(tmp, path) != 0) {
        sk__seterr(err, errlen, "%s: cannot rename %s over it: %s", path, tmp,
             strerror(errno));
        goto fail;
    }
    /* Make the rename itself durable (best effort: not every file system
     * lets a directory be synced). */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
write_fail:
    sk__seterr(err, errlen, "%s: write failed: %s", path, strerror(errno));
fail:
    if (fp)
        fclose(fp);
    unlink(tmp);
    return rc;
}

/* Read an unsigned field into an int, naming it when out of range. */
static int mf_get_int(const uint8_t *p, const char *name, int *out,
                      const char *src, char *err, size_t errlen)
{
    uint32_t v = get_u32(p);
    if (v > 0x7fffffffu) {
        sk__seterr(err, errlen, "%s: %s %u out of range", src, name, v);
        return SK_EFORMAT;
    }
    *out = (int)v;
    return 0;
}

/* Load from memory; src names the file in messages. */
static int mf_load(sk_model **out, const uint8_t *b, size_t len,
                   const char *src, char *err, size_t errlen)
{
    sk_model_header *h = NULL;
    sk_model *m = NULL;
    int rc = SK_EFORMAT;
    *out = NULL;

    if (len == 0) {
        sk__seterr(err, errlen, "%s: empty file, not a skelact model", src);
        return SK_EFORMAT;
    }
    if (memcmp(b, MF_MAGIC, len < 8 ? len : 8) != 0) {
        sk__seterr(err, errlen, "%s: not a skelact model file (no SKMODEL magic)", src);
        return SK_EFORMAT;
    }
    if (len < MF_PREAMBLE) {
        sk__seterr(err, errlen, "%s: truncated (%zu bytes, shorter than the preamble)",
             src, len);
        return SK_EFORMAT;
    }
    uint32_t major = get_u16(b + 8), minor = get_u16(b + 10);
    if (major < 1 || major > MF_MAJOR) {
        sk__seterr(err, errlen, "%s: model format %u.%u; this build reads 1.x and %d.x%s",
             src, major, minor, MF_MAJOR,
             major > MF_MAJOR ? " (a newer skelact wrote it)" : "");
        return SK_EFORMAT;
    }
    uint32_t fields_size = get_u32(b + 12);
    uint32_t fields_min = major == 1 ? MF_FIELDS_1_0 : MF_FIELDS_2_0;
    if (fields_size < fields_min || fields_size > SK_MODEL_MAX_FIELDS) {
        sk__seterr(err, errlen, "%s: header fields size %u outside %u..%d for format %u.x",
             src, fields_size, fields_min, SK_MODEL_MAX_FIELDS, major);
        return SK_EFORMAT;
    }
    if (len < (size_t)MF_PREAMBLE + fields_size) {
        sk__seterr(err, errlen, "%s: truncated (%zu bytes, inside the header)", src, len);
        return SK_EFORMAT;
    }
    const uint8_t *f = b + MF_PREAMBLE;
    uint32_t nlabels = get_u32(f + 56), slot = get_u32(f + 60);
    uint64_t nparams = get_u64(f + 64);
    if (nlabels > SK_MAX_CLASSES) {
        sk__seterr(err, errlen, "%s: %u labels exceed the limit of %d", src, nlabels,
             SK_MAX_CLASSES);
        return SK_EFORMAT;
    }
    if (slot < 1 || slot > SK_MODEL_MAX_LABEL_SLOT) {
        sk__seterr(err, errlen, "%s: label slot size %u outside 1..%d", src, slot,
             SK_MODEL_MAX_LABEL_SLOT);
        return SK_EFORMAT;
    }
    if (nparams > SK_MODEL_MAX_PARAMS) {
        sk__seterr(err, errlen, "%s: %llu parameters exceed the limit of %zu", src,
             (unsigned long long)nparams, (size_t)SK_MODEL_MAX_PARAMS);
        return SK_EFORMAT;
    }
    /* The file's length must be exactly what the header says, checked
     * before anything is allocated. No overflow: every term is bounded. */
    uint64_t labels_at = MF_PREAMBLE + (uint64_t)fields_size;
    uint64_t weights_at = labels_at + (uint64_t)nlabels * slot;
    uint64_t crc_at = weights_at + nparams * 4;
    uint64_t expect = crc_at + 4;
    if ((uint64_t)len < expect) {
        sk__seterr(err, errlen, "%s: truncated (%zu bytes, the header says %llu)", src,
             len, (unsigned long long)expect);
        return SK_EFORMAT;
    }
    if ((uint64_t)len > expect) {
        sk__seterr(err, errlen, "%s: %llu unexpected bytes after the checksum", src,
             (unsigned long long)(len - expect));
        return SK_EFORMAT;
    }
    uint32_t crc = sk_crc32(0, b, (size_t)crc_at);
    if (crc != get_u32(b + crc_at)) {
        sk__seterr(err, errlen, "%s: checksum mismatch: the file is corrupt", src);
        return SK_EFORMAT;
    }

    if (!(h = calloc(1, sizeof *h))) {
        sk__seterr(err, errlen, "%s: out of memory", src);
        return SK_ENOMEM;
    }
    static const char *const names[] = {"architecture", "input size",
                                        "hidden size",  "layer count",
                                        "class count",  "window",
                                        "kernel size",  "joint set"};
    int *dst[] = {&h->arch.arch,    &h->arch.input,   &h->arch.hidden,
                  &h->arch.layers,  &h->arch.classes, &h->arch.window,
                  &h->arch.kernel,  &h->features.joint_set};
    for (int i = 0; i < 8; i++)
        if (mf_get_int(f + 4 * i, names[i], dst[i], src, err, errlen) != 0)
            goto fail;
    uint32_t sw = get_u32(f + 32);
    if (sw & ~(uint32_t)MF_KNOWN_FEATURES) {
        sk__seterr(err, errlen, "%s: feature switches 0x%x unknown to this build", src,
             sw);
        goto fail;
    }
    h->features.center = !!(sw & MF_CENTER);
    h->features.scale = !!(sw & MF_SCALE);
    h->features.rotate = !!(sw & MF_ROTATE);
    h->features.velocity = !!(sw & MF_VELOCITY);
    h->features.frame_norm = !!(sw & MF_FRAME_NORM);
    h->features.retarget = !!(sw & MF_RETARGET);
    h->features.root_motion = !!(sw & MF_ROOT_MOTION);
    if (major >= 2) { /* 1.x files: the last step (pool 0, calloc) */
        uint32_t pool = get_u32(f + 72);
        if (!sk_pool_name((int)(pool & 0x7fffffffu)) || pool > 0x7fffffffu) {
            sk__seterr(err, errlen, "%s: head pooling %u unknown to this build", src, pool);
            goto fail;
        }
        h->arch.pool = (int)pool;
    }
    h->features.fps = get_f32(f + 36);
    h->post.smooth = get_f32(f + 40);
    h->post.threshold = get_f32(f + 44);
    if (mf_get_int(f + 48, "min_frames", &h->post.min_frames, src, err,
                   errlen) != 0 ||
        mf_get_int(f + 52, "refractory", &h->post.refractory, src, err,
                   errlen) != 0)
        goto fail;
    h->nlabels = (int)nlabels;
    for (uint32_t i = 0; i < nlabels; i++) {
        const uint8_t *s = b + labels_at + (uint64_t)i * slot;
        const uint8_t *end = memchr(s, '\0', slot);
        if (!end) {
            sk__seterr(err, errlen, "%s: label %u is not NUL-terminated", src, i);
            goto fail;
        }
        size_t n = (size_t)(end - s);
        if (n >= SK_LABEL_LEN) {
            sk__seterr(err, errlen, "%s: label %u is longer than %d bytes", src, i,
                 SK_LABEL_LEN - 1);
            goto fail;
        }
        memcpy(h->labels[i], s, n);
    }
    char why[200];
    if (header_check(h, why, sizeof why) != 0) {
        sk__seterr(err, errlen, "%s: %s", src, why);
        goto fail;
    }
    size_t want = sk_model_param_count(&h->arch);
    if (nparams != want) {
        sk__seterr(err, errlen,
             "%s: %llu parameters stored, the architecture has %zu", src,
             (unsigned long long)nparams, want);
        goto fail;
    }
    for (size_t i = 0; i < want; i++) {
        float w = get_f32(b + weights_at + 4 * i);
        if (!isfinite(w)) {
            sk__seterr(err, errlen, "%s: weight %zu is not finite", src, i);
            goto fail;
        }
    }
    if ((rc = model_alloc(&m, h)) != 0) {
        sk__seterr(err, errlen, "%s: out of memory", src);
        goto fail;
    }
    for (size_t i = 0; i < want; i++)
        m->params[i] = get_f32(b + weights_at + 4 * i);
    if (m->hdr.arch.arch == SK_ARCH_DTW && sk__dtw_check(m, why, sizeof why) != 0) {
        sk__seterr(err, errlen, "%s: %s", src, why);
        sk_model_destroy(m);
        rc = SK_EFORMAT;
        goto fail;
    }
    free(h);
    *out = m;
    return 0;
fail:
    free(h);
    return rc;
}

int sk_model_load_mem(sk_model **out, const void *buf, size_t len, char *err,
                      size_t errlen)
{
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    if (!buf && len)
        return SK_EINVAL;
    return mf_load(out, buf ? buf : "", len, "model", err, errlen);
}

int sk_model_load(sk_model **out, const char *path, char *err, size_t errlen)
{
    uint8_t *buf = NULL;
    FILE *fp = NULL;
    int rc = SK_EIO;
    if (!out || !path)
        return SK_EINVAL;
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is then
     * refused as not a regular file. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        sk__seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return SK_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        sk__seterr(err, errlen, "%s: not a regular file", path);
        close(fd);
        return SK_EIO;
    }
    if (!(fp = fdopen(fd, "rb"))) {
        sk__seterr(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return SK_EIO;
    }
    /* The largest file the format allows; anything bigger is not a model. */
    uint64_t most = MF_PREAMBLE + (uint64_t)SK_MODEL_MAX_FIELDS +
                    (uint64_t)SK_MAX_CLASSES * SK_MODEL_MAX_LABEL_SLOT +
                    (uint64_t)SK_MODEL_MAX_PARAMS * 4 + 4;
    if ((uint64_t)st.st_size > most) {
        sk__seterr(err, errlen, "%s: not a skelact model file (%lld bytes is too big)",
             path, (long long)st.st_size);
        rc = SK_EFORMAT;
        goto fail;
    }
    size_t len = (size_t)st.st_size;
    if (!(buf = malloc(len ? len : 1))) {
        sk__seterr(err, errlen, "%s: out of memory", path);
        rc = SK_ENOMEM;
        goto fail;
    }
    if (fread(buf, 1, len, fp) != len) {
        sk__seterr(err, errlen, "%s: read error: %s", path,
             ferror(fp) ? strerror(errno) : "file shrank while reading");
        goto fail;
    }
    fclose(fp);
    fp = NULL;
    rc = mf_load(out, buf, len, path, err, errlen);
fail:
    if (fp)
        fclose(fp);
    free(buf);
    return rc;
}
