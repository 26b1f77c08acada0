/* Streaming tcn inference: one frame in, class probabilities out, at a cost
 * per frame that does not depend on the window.
 *
 * Layer l (dilation d = 2^l, kernel k) reads its input at t, t-d, ...,
 * t-(k-1)d. The state keeps, per layer, a ring of the last (k-1)d + 1
 * inputs of that layer (C floats for layer 0, H above), zeros after a
 * reset: the window inference's zero left padding. A step writes the new
 * frame into layer 0's ring, computes layer 0's output at t from its ring
 * straight into layer 1's ring, and so on; the top layer's output goes
 * through the head.
 *
 * The weights are read from a packed copy kept with the model (struct
 * sk__stream_pack, in its inference state: one copy for all the streams of
 * a model, made by the first sk_model_stream_create and again by
 * sk_model_infer_sync). Packed tap-major, (k, C_l) rows by H columns as
 * the window inference's im2col product reads them, a layer's step is one
 * matrix-vector product whose input is k rows of the ring read in place
 * (no gather), with vertical accumulation: each load of a weight vector
 * feeds 8 or 16 outputs and a broadcast input value up to 12 vectors of
 * them (kernels.h: stream_conv), no horizontal sums.
 *
 * Packed ensembles (sk__ensemble_pack: n members side by side) have block-
 * diagonal layers from layer 1 on: output o of member g reads only member
 * g's channels, and every other weight is exactly 0. The pack finds the
 * largest such group count G and keeps only the G diagonal blocks of those
 * layers (the zeros skipped: about 1/G of the work above layer 0).
 *
 * A model without a packed copy (no stream was created for it; or packing
 * ran out of memory) still steps any stream of its sizes: slowly, with one
 * plain dot product per output over a gathered column of the ring, reading
 * its parameters in their own layout w (H, C_l, k).
 */
#include <stdlib.h>
#include <string.h>

#include "dtw.h"
#include "kernels.h"
#include "model.h"

struct sk__stream_pack {
    const sk__kernels *k; /* the set the copy is packed for */
    int ok;               /* the copy matches the parameters */
    int groups;           /* G: layers >= 1 block-diagonal in G groups */
    int L, taps;
    int G[SK__MAX_LAYERS];   /* groups of layer l: 1 for layer 0 */
    int cin[SK__MAX_LAYERS]; /* inputs of a group per tap: C, or H / G */
    int Np[SK__MAX_LAYERS];  /* outputs of a group, padded to the vector width */
    int Kp;                  /* classes padded to the vector width */
    float *w[SK__MAX_LAYERS]; /* (G, k * cin, Np) packed by sk__pack_stream */
    float *b[SK__MAX_LAYERS]; /* (G, Np) padded */
    float *w_out, *b_out;     /* head: (1, H, Kp) packed, (Kp) */
    float *block;             /* every float above */
    size_t cap;               /* floats in block */
};

struct sk_model_stream {
    int C, H, L, K, k;
    long t;                       /* frames stepped since the reset */
    int ring[SK__MAX_LAYERS];     /* slots of layer l's ring: (k-1)*2^l + 1 */
    int pos[SK__MAX_LAYERS];      /* t % ring[l]: the slot of layer l's input at t */
    int in[SK__MAX_LAYERS];       /* C_l */
    float *buf[SK__MAX_LAYERS];   /* (ring, C_l) layer l's recent inputs */
    float *col;                   /* (max C_l * k) gathered column (unpacked path) */
    float *y;                     /* (ymax) a packed layer's padded outputs */
    float *h;                     /* (H) top layer's output */
    double macs;
    float *block;                 /* the one allocation */
    struct sk__dtw_state *dtw;    /* a dtw model's state instead (src/nn/dtw.c) */
};

#define ST_VW_MAX 16 /* the widest vector set's floats per vector */

static int round_up(int n, int m)
{
    return (n + m - 1) / m * m;
}

/* Four partial sums: independent chains the compiler can keep in flight
 * (the unpacked path). */
static float dot(const float *a, const float *b, int n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++)
        s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* 1 if every layer from 1 on of m reads, for output o, only the channels of
 * o's group of H/G: all other weights exactly 0. */
static int block_diagonal(const sk_model *m, const sk__param_table *pt, int G)
{
    const sk_model_config *cfg = &m->hdr.arch;
    int H = cfg->hidden, k = cfg->kernel, Hg = H / G;
    for (int l = 1; l < cfg->layers; l++) {
        const float *w = m->params + pt->layer[l].w_ih; /* (H, H, k) */
        for (int o = 0; o < H; o++) {
            const float *row = w + (size_t)o * H * k;
            int g0 = (o / Hg) * Hg * k, g1 = g0 + Hg * k;
            for (int i = 0; i < H * k; i++)
                if ((i < g0 || i >= g1) && row[i] != 0.0f)
                    return 0;
        }
    }
    return 1;
}

/* Floats of a packed copy of m's sizes with layers >= 1 in G groups. */
static size_t pack_floats(const sk_model_config *cfg, int G, int vw)
{
    int H = cfg->hidden, k = cfg->kernel, Np0 = round_up(H, vw);
    int Npg = round_up(H / G, vw);
    size_t n = (size_t)k * cfg->input * Np0 + Np0;
    n += (size_t)(cfg->layers - 1) * ((size_t)G * k * (H / G) * Npg + (size_t)G * Npg);
    return n + (size_t)H * round_up(cfg->classes, vw) + round_up(cfg->classes, vw);
}

void sk__stream_pack_free(struct sk__stream_pack *p)
{
    if (!p)
        return;
    free(p->block);
    free(p);
}

int sk__stream_pack(struct sk__stream_pack **pp, const sk_model *m,
                    const sk__kernels *ks)
{
    const sk_model_config *cfg = &m->hdr.arch;
    sk__param_table pt;
    if (cfg->arch != SK_ARCH_TCN || cfg->pool != SK_POOL_LAST || sk__param_table_fill(cfg, &pt) ||
        cfg->layers > SK__MAX_LAYERS || cfg->layers < 1 || cfg->kernel < 1)
        return SK_EINVAL;
    struct sk__stream_pack *p = *pp;
    int H = cfg->hidden, k = cfg->kernel, C = cfg->input, vw = ks->vw;
    if (p && p->k != ks) { /* another set: its own sizes */
        sk__stream_pack_free(p);
        *pp = p = NULL;
    }
    if (!p) { /* room for any group count, so a re-pack never grows */
        size_t cap = 0;
        for (int G = 1; G <= H; G++)
            if (H % G == 0 && pack_floats(cfg, G, vw) > cap)
                cap = pack_floats(cfg, G, vw);
        p = calloc(1, sizeof *p);
        if (!p)
            return SK_ENOMEM;
        void *mem = NULL;
        if (posix_memalign(&mem, 64, cap * sizeof(float)) != 0) {
            free(p);
            return SK_ENOMEM;
        }
        p->block = mem;
        p->k = ks;
        p->cap = cap;
        *pp = p;
    }
    p->ok = 0;
    int G = 1;
    for (int g = H; g >= 2 && cfg->layers > 1; g--)
        if (H % g == 0 && block_diagonal(m, &pt, g)) {
            G = g;
            break;
        }
    /* Staging: one layer's (G, k * cin, Np) at a time, the largest. */
    size_t stage = (size_t)k * C * round_up(H, vw);
    if ((size_t)G * k * (H / G) * round_up(H / G, vw) > stage)
        stage = (size_t)G * k * (H / G) * round_up(H / G, vw);
    if ((size_t)H * round_up(cfg->classes, vw) > stage)
        stage = (size_t)H * round_up(cfg->classes, vw);
    float *t = malloc(stage * sizeof *t);
    if (!t)
        return SK_ENOMEM;
    const float *P = m->params;
    float *dst = p->block;
    p->groups = G;
    p->L = cfg->layers;
    p->taps = k;
    for (int l = 0; l < cfg->layers; l++) {
        int Gl = l == 0 ? 1 : G, Cl = pt.layer[l].in, cin = Cl / Gl;
        int Hg = H / Gl, Np = round_up(Hg, vw);
        size_t K = (size_t)k * cin;
        const float *w = P + pt.layer[l].w_ih; /* (H, C_l, k) */
        /* t[g][j*cin + c][n] = w[g*Hg + n][g*cin + c][j] */
        memset(t, 0, (size_t)Gl * K * Np * sizeof *t);
        for (int g = 0; g < Gl; g++)
            for (int n = 0; n < Hg; n++)
                for (int c = 0; c < cin; c++)
                    for (int j = 0; j < k; j++)
                        t[((size_t)g * K + (size_t)j * cin + c) * Np + n] =
                            w[((size_t)(g * Hg + n) * Cl + (size_t)g * cin + c) * k + j];
        p->G[l] = Gl;
        p->cin[l] = cin;
        p->Np[l] = Np;
        p->w[l] = dst;
        sk__pack_stream(dst, t, Gl, (int)K, Np, ks);
        dst += (size_t)Gl * K * Np;
        p->b[l] = dst;
        for (int g = 0; g < Gl; g++)
            for (int n = 0; n < Np; n++)
                dst[(size_t)g * Np + n] = n < Hg ? P[pt.layer[l].b_ih + (size_t)g * Hg + n] : 0.0f;
        dst += (size_t)Gl * Np;
    }
    int K = cfg->classes, Kp = round_up(K, vw);
    memset(t, 0, (size_t)H * Kp * sizeof *t);
    for (int c = 0; c < K; c++)
        for (int j = 0; j < H; j++)
            t[(size_t)j * Kp + c] = P[pt.w_out + (size_t)c * H + j];
    p->Kp = Kp;
    p->w_out = dst;
    sk__pack_stream(dst, t, 1, H, Kp, ks);
    dst += (size_t)H * Kp;
    p->b_out = dst;
    for (int c = 0; c < Kp; c++)
        dst[c] = c < K ? P[pt.b_out + c] : 0.0f;
    free(t);
    p->ok = 1;
    return 0;
}

int sk_model_stream_create(sk_model_stream **out, const sk_model *m)
{
    if (!out || !m)
        return SK_EINVAL;
    *out = NULL;
    const sk_model_config *cfg = &m->hdr.arch;
    if (cfg->arch == SK_ARCH_DTW) { /* templates matched frame by frame */
        sk_model_stream *s = calloc(1, sizeof *s);
        if (!s)
            return SK_ENOMEM;
        int rc = sk__dtw_state_new(&s->dtw, cfg);
        if (rc) {
            free(s);
            return rc;
        }
        s->C = cfg->input;
        s->K = cfg->classes;
        s->macs = sk__dtw_step_macs(m);
        *out = s;
        return 0;
    }
    if (cfg->arch != SK_ARCH_TCN || cfg->pool != SK_POOL_LAST)
        return SK_EUNSUPPORTED; /* a pooled head needs the whole window */
    sk__param_table pt;
    if (sk__param_table_fill(cfg, &pt) || cfg->layers > SK__MAX_LAYERS ||
        cfg->kernel < 1 || cfg->layers < 1)
        return SK_EINVAL;
    int rc = sk__infer_stream_prepare(m); /* m's packed copy, if not made */
    if (rc)
        return rc;
    const struct sk__stream_pack *pk = sk__infer_stream(m);
    sk_model_stream *s = calloc(1, sizeof *s);
    if (!s)
        return SK_ENOMEM;
    s->C = cfg->input;
    s->H = cfg->hidden;
    s->L = cfg->layers;
    s->K = cfg->classes;
    s->k = cfg->kernel;
    int G = pk ? pk->groups : 1;
    size_t total = 0, maxcol = 0, ymax = 0;
    for (int l = 0; l < s->L; l++) {
        s->in[l] = l == 0 ? s->C : s->H;
        s->ring[l] = (s->k - 1) * (1 << l) + 1;
        total += (size_t)s->ring[l] * s->in[l];
        if ((size_t)s->in[l] * s->k > maxcol)
            maxcol = (size_t)s->in[l] * s->k;
        s->macs += (double)s->H * s->in[l] * s->k / (l > 0 ? G : 1);
    }
    s->macs += (double)s->K * s->H;
    /* Padded outputs of any packed copy of these sizes (any set, any G). */
    for (int g = 1; g <= s->H; g++)
        if (s->H % g == 0 && (size_t)g * round_up(s->H / g, ST_VW_MAX) > ymax)
            ymax = (size_t)g * round_up(s->H / g, ST_VW_MAX);
    if ((size_t)round_up(s->K, ST_VW_MAX) > ymax)
        ymax = (size_t)round_up(s->K, ST_VW_MAX);
    size_t n = total + maxcol + (size_t)s->H + ymax + 16;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, n * sizeof(float)) != 0) {
        free(s);
        return SK_ENOMEM;
    }
    s->block = mem;
    float *p = s->block;
    s->y = p; /* first: 64-byte aligned */
    p += round_up((int)ymax, 16);
    for (int l = 0; l < s->L; l++) {
        s->buf[l] = p;
        p += (size_t)s->ring[l] * s->in[l];
    }
    s->col = p;
    s->h = p + maxcol;
    sk_model_stream_reset(s);
    *out = s;
    return 0;
}

void sk_model_stream_destroy(sk_model_stream *s)
{
    if (!s)
        return;
    sk__dtw_state_free(s->dtw);
    free(s->block);
    free(s);
}

void sk_model_stream_reset(sk_model_stream *s)
{
    if (!s)
        return;
    if (s->dtw)
        sk__dtw_state_reset(s->dtw);
    for (int l = 0; l < s->L; l++) {
        memset(s->buf[l], 0, (size_t)s->ring[l] * s->in[l] * sizeof(float));
        s->pos[l] = 0;
    }
    s->t = 0;
}

double sk_model_stream_macs(const sk_model_stream *s)
{
    return s ? s->macs : 0.0;
}

/* Layer l's input at t - back, 0 <= back < ring[l] (zeros before the
 * reset). */
static const float *ring_at(const sk_model_stream *s, int l, int back)
{
    int slot = s->pos[l] - back;
    slot += slot < 0 ? s->ring[l] : 0;
    return s->buf[l] + (size_t)slot * s->in[l];
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p, rw) __builtin_prefetch((p), (rw), 0)
#else
#define PREFETCH(p, rw) ((void)(p))
#endif

/* Ask for every line of n floats at p (read, or rw = 1: to be written). */
static void prefetch_row(const float *p, int n, int rw)
{
    if (rw) { /* 64-byte lines, and the last */
        for (int i = 0; i < n; i += 16)
            PREFETCH(p + i, 1);
        PREFETCH(p + n - 1, 1);
    } else {
        for (int i = 0; i < n; i += 16)
            PREFETCH(p + i, 0);
        PREFETCH(p + n - 1, 0);
    }
}

/* A live recognizer steps hundreds of streams in turn, so a stream's rings
 * are far out of cache when its next frame comes: ask for all the rows this
 * step reads and writes at once, rather than miss on each in turn inside
 * the dot products. */
static void prefetch_step(const sk_model_stream *s, int Hy)
{
    for (int l = 0; l < s->L; l++)
        for (int j = 0; j < s->k; j++) {
            int back = (s->k - 1 - j) << l;
            prefetch_row(ring_at(s, l, back), s->in[l], back == 0);
        }
    prefetch_row(s->y, Hy, 1);
    prefetch_row(s->h, s->H, 1);
}

/* The step on m's packed copy p. */
static void step_packed(const struct sk__stream_pack *p, sk_model_stream *s,
                        float *probs)
{
    const sk__kernels *ks = p->k;
    const float *x[16]; /* taps' input rows (kernel <= 16) */
    int k = s->k, H = s->H;
    prefetch_step(s, p->G[s->L - 1] * p->Np[s->L - 1]);
    for (int l = 0; l < s->L; l++) {
        int d = 1 << l;
        for (int j = 0; j < k; j++) /* x[j]: input at t - (k-1-j)*d */
            x[j] = ring_at(s, l, (k - 1 - j) * d);
        int G = p->G[l], Np = p->Np[l], Hg = H / G;
        ks->stream_conv(s->y, x, k, p->cin[l], p->w[l], p->b[l], G, Np);
        const float *res = l > 0 ? x[k - 1] : NULL; /* this layer's input at t */
        float *out = l + 1 < s->L ? s->buf[l + 1] + (size_t)s->pos[l + 1] * H : s->h;
        int nv = Hg / ks->vw * ks->vw; /* whole vectors, then one by one */
        for (int g = 0; g < G; g++) {
            const float *yg = s->y + (size_t)g * Np, *rg = res ? res + (size_t)g * Hg : NULL;
            float *og = out + (size_t)g * Hg;
            ks->relu_add(og, yg, rg, nv);
            for (int n = nv; n < Hg; n++) {
                float v = yg[n] > 0.0f ? yg[n] : 0.0f;
                og[n] = rg ? v + rg[n] : v;
            }
        }
    }
    const float *hx[1] = {s->h};
    ks->stream_conv(s->y, hx, 1, H, p->w_out, p->b_out, 1, p->Kp);
    memcpy(probs, s->y, (size_t)s->K * sizeof(float));
}

/* The step reading m's parameters in their own layout. */
static void step_unpacked(const sk_model *m, const sk__param_table *pt,
                          sk_model_stream *s, float *probs)
{
    const float *P = m->params;
    int H = s->H, k = s->k;
    for (int l = 0; l < s->L; l++) {
        int Cl = s->in[l], d = 1 << l;
        /* col[c*k + j] = input at t - (k-1-j)*d */
        for (int j = 0; j < k; j++) {
            const float *src = ring_at(s, l, (k - 1 - j) * d);
            for (int c = 0; c < Cl; c++)
                s->col[(size_t)c * k + j] = src[c];
        }
        const float *res = l > 0 ? ring_at(s, l, 0) : NULL;
        float *out = l + 1 < s->L ? s->buf[l + 1] + (size_t)s->pos[l + 1] * H : s->h;
        const float *w = P + pt->layer[l].w_ih; /* (H, C_l, k) */
        const float *b = P + pt->layer[l].b_ih; /* (H) */
        for (int o = 0; o < H; o++) {
            float z = b[o] + dot(w + (size_t)o * Cl * k, s->col, Cl * k);
            z = z > 0.0f ? z : 0.0f;
            out[o] = res ? z + res[o] : z;
        }
    }
    const float *w = P + pt->w_out; /* (K, H) */
    const float *b = P + pt->b_out; /* (K) */
    for (int c = 0; c < s->K; c++)
        probs[c] = b[c] + dot(w + (size_t)c * H, s->h, H);
}

int sk_model_stream_step(const sk_model *m, sk_model_stream *s, const float *x,
                         float *probs)
{
    if (!m || !s || !x || !probs)
        return SK_EINVAL;
    const sk_model_config *cfg = &m->hdr.arch;
    if (s->dtw)
        return sk__dtw_step(m, s->dtw, x, NULL, probs);
    if (cfg->arch != SK_ARCH_TCN || cfg->pool != SK_POOL_LAST || cfg->input != s->C || cfg->hidden != s->H ||
        cfg->layers != s->L || cfg->classes != s->K || cfg->kernel != s->k)
        return SK_EINVAL;
    memcpy(s->buf[0] + (size_t)s->pos[0] * s->C, x,
           (size_t)s->C * sizeof(float));
    const struct sk__stream_pack *p = sk__infer_stream(m);
    if (p) {
        step_packed(p, s, probs);
    } else {
        sk__param_table pt;
        if (sk__param_table_fill(cfg, &pt))
            return SK_EINVAL;
        step_unpacked(m, &pt, s, probs);
    }
    s->t++;
    for (int l = 0; l < s->L; l++)
        s->pos[l] = s->pos[l] + 1 == s->ring[l] ? 0 : s->pos[l] + 1;
    sk__softmax(probs, s->K);
    return 0;
}
