/* Streaming tcn inference: one frame in, class probabilities out, at a cost
 * per frame that does not depend on the window.
 *
 * Layer l (dilation d = 2^l, kernel k) reads its input at t, t-d, ...,
 * t-(k-1)d. The state keeps, per layer, a ring of the last (k-1)d + 1
 * inputs of that layer (C floats for layer 0, H above), zeros after a
 * reset: the window inference's zero left padding. A step writes the new
 * frame into layer 0's ring, computes layer 0's output at t from its ring,
 * writes it into layer 1's ring, and so on; the top layer's output goes
 * through the head. The convolution reads the model's parameters in their
 * own layout, w (H, C_l, k): for output o the products over (c, j) are one
 * contiguous dot product against a gathered column col[c*k + j].
 *
 * Packed ensembles (sk__ensemble_pack: n members side by side) have block-
 * diagonal layers from layer 1 on: output o of member g reads only member
 * g's channels, and every other weight is exactly 0. The stream finds the
 * largest such group count G when it is created and then takes each dot
 * product over the member's own channels only (the zeros skipped: about
 * 1/G of the work above layer 0), for the model it was created with; any
 * other model stepping it gets the full dot products.
 */
#include <stdlib.h>
#include <string.h>

#include "model.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SK_STREAM_AVX2 1
#endif

struct sk_model_stream {
    int C, H, L, K, k;
    long t;                       /* frames stepped since the reset */
    int ring[SK__MAX_LAYERS];     /* slots of layer l's ring: (k-1)*2^l + 1 */
    int in[SK__MAX_LAYERS];       /* C_l */
    float *buf[SK__MAX_LAYERS];   /* (ring, C_l) layer l's recent inputs */
    float *col;                   /* (max C_l * k) gathered column */
    float *h;                     /* (H) top layer's output */
    double macs;
    int groups;                   /* G: layers >= 1 block-diagonal in G groups */
    const sk_model *grouped;      /* the model G was found in */
    const float *grouped_params;  /* its parameters then */
    float (*dot)(const float *, const float *, int); /* plain or avx2 */
    float *block;                 /* the one allocation */
};

/* Four partial sums: independent chains the compiler can keep in flight. */
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

#ifdef SK_STREAM_AVX2
/* The same with 8-wide fused multiply-adds (4 chains of 8 lanes). */
__attribute__((target("avx2,fma"))) static float dot_avx2(const float *a,
                                                           const float *b, int n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
    float r = _mm_cvtss_f32(q);
    for (; i < n; i++)
        r += a[i] * b[i];
    return r;
}
#endif

/* The widest dot product this CPU runs; SK_KERNELS=plain forces the plain
 * one (as for window inference). */
static float (*dot_pick(void))(const float *, const float *, int)
{
#ifdef SK_STREAM_AVX2
    const char *e = getenv("SK_KERNELS");
    __builtin_cpu_init();
    if (!(e && !strcmp(e, "plain")) && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma"))
        return dot_avx2;
#endif
    return dot;
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

int sk_model_stream_create(sk_model_stream **out, const sk_model *m)
{
    if (!out || !m)
        return SK_EINVAL;
    *out = NULL;
    const sk_model_config *cfg = &m->hdr.arch;
    if (cfg->arch != SK_ARCH_TCN || cfg->pool != SK_POOL_LAST)
        return SK_EUNSUPPORTED; /* a pooled head needs the whole window */
    sk__param_table pt;
    if (sk__param_table_fill(cfg, &pt) || cfg->layers > SK__MAX_LAYERS ||
        cfg->kernel < 1 || cfg->layers < 1)
        return SK_EINVAL;
    sk_model_stream *s = calloc(1, sizeof *s);
    if (!s)
        return SK_ENOMEM;
    s->C = cfg->input;
    s->H = cfg->hidden;
    s->L = cfg->layers;
    s->K = cfg->classes;
    s->k = cfg->kernel;
    s->dot = dot_pick();
    s->groups = 1;
    for (int G = s->H; G >= 2 && s->L > 1; G--)
        if (s->H % G == 0 && block_diagonal(m, &pt, G)) {
            s->groups = G;
            break;
        }
    s->grouped = m;
    s->grouped_params = m->params;
    size_t total = 0, maxcol = 0;
    for (int l = 0; l < s->L; l++) {
        s->in[l] = l == 0 ? s->C : s->H;
        s->ring[l] = (s->k - 1) * (1 << l) + 1;
        total += (size_t)s->ring[l] * s->in[l];
        if ((size_t)s->in[l] * s->k > maxcol)
            maxcol = (size_t)s->in[l] * s->k;
        s->macs += (double)s->H * s->in[l] * s->k / (l > 0 ? s->groups : 1);
    }
    s->macs += (double)s->K * s->H;
    s->block = malloc((total + maxcol + (size_t)s->H) * sizeof(float));
    if (!s->block) {
        free(s);
        return SK_ENOMEM;
    }
    float *p = s->block;
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
    free(s->block);
    free(s);
}

void sk_model_stream_reset(sk_model_stream *s)
{
    if (!s)
        return;
    for (int l = 0; l < s->L; l++)
        memset(s->buf[l], 0, (size_t)s->ring[l] * s->in[l] * sizeof(float));
    s->t = 0;
}

double sk_model_stream_macs(const sk_model_stream *s)
{
    return s ? s->macs : 0.0;
}

int sk_model_stream_step(const sk_model *m, sk_model_stream *s, const float *x,
                         float *probs)
{
    if (!m || !s || !x || !probs)
        return SK_EINVAL;
    const sk_model_config *cfg = &m->hdr.arch;
    if (cfg->arch != SK_ARCH_TCN || cfg->pool != SK_POOL_LAST || cfg->input != s->C || cfg->hidden != s->H ||
        cfg->layers != s->L || cfg->classes != s->K || cfg->kernel != s->k)
        return SK_EINVAL;
    sk__param_table pt;
    if (sk__param_table_fill(cfg, &pt))
        return SK_EINVAL;
    const float *P = m->params;
    int H = s->H, k = s->k;
    int G = m == s->grouped && P == s->grouped_params ? s->groups : 1, Hg = H / G;
    const float *in = x; /* (C_l) this layer's input at t */
    for (int l = 0; l < s->L; l++) {
        int Cl = s->in[l], R = s->ring[l], d = 1 << l;
        float *ring = s->buf[l];
        memcpy(ring + (size_t)(s->t % R) * Cl, in, (size_t)Cl * sizeof(float));
        /* col[c*k + j] = input at t - (k-1-j)*d (zeros before the reset) */
        for (int j = 0; j < k; j++) {
            long u = s->t - (long)(k - 1 - j) * d;
            long slot = ((u % R) + R) % R;
            const float *src = ring + (size_t)slot * Cl;
            for (int c = 0; c < Cl; c++)
                s->col[(size_t)c * k + j] = src[c];
        }
        const float *w = P + pt.layer[l].w_ih; /* (H, C_l, k) */
        const float *b = P + pt.layer[l].b_ih; /* (H) */
        for (int o = 0; o < H; o++) {
            float z;
            if (l > 0 && G > 1) { /* only o's group of channels */
                size_t g0 = (size_t)(o / Hg) * Hg * k;
                z = b[o] + s->dot(w + (size_t)o * Cl * k + g0, s->col + g0, Hg * k);
            } else {
                z = b[o] + s->dot(w + (size_t)o * Cl * k, s->col, Cl * k);
            }
            z = z > 0.0f ? z : 0.0f;
            s->h[o] = l > 0 ? z + in[o] : z;
        }
        in = s->h; /* copied into the next layer's ring before s->h changes */
    }
    s->t++;
    const float *w = P + pt.w_out; /* (K, H) */
    const float *b = P + pt.b_out; /* (K) */
    for (int c = 0; c < s->K; c++)
        probs[c] = b[c] + s->dot(w + (size_t)c * H, s->h, H);
    sk__softmax(probs, s->K);
    return 0;
}
