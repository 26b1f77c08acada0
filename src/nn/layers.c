/* Neural layers and the model's batched pass (src/nn/layers.h): the code is
 * in layers_tmpl.h, compiled here once for float and once for double, and on
 * x86-64 once more for float with AVX2 enabled (chosen at run time by the
 * trainer). The AVX2 build does the same operations in the same order, only
 * 8 lanes wide instead of 4 and without FMA contraction, so its results are
 * bit-identical to the portable build (tests/test_nn_layers.c checks). */
#include <math.h>
#include <string.h>

#include "layers.h"

/* Layouts: see each layer in layers_tmpl.h; the transposed weights come
 * last. */
size_t sk__gru_cache_size(int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T, h = (size_t)H, G = 3 * h;
    return BT * G * 2 + BT * h + (size_t)B * G + (size_t)B * h + G * C + G * h;
}

size_t sk__lstm_cache_size(int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T, h = (size_t)H, G = 4 * h;
    return BT * G * 2 + BT * h * 2 + (size_t)B * G + (size_t)B * h * 2 +
           G * C + G * h;
}

/* Two GRU caches, then xr (B,T,C) the reversed input, of and ob (B,T,H)
 * each direction's outputs (ob in the backward GRU's own time order), dof
 * and dob (B,T,H) and dxr (B,T,C) backward scratch. */
size_t sk__bigru_cache_size(int B, int T, int C, int H)
{
    size_t BT = (size_t)B * T;
    return 2 * sk__gru_cache_size(B, T, C, H) + 2 * BT * C + 4 * BT * H;
}

size_t sk__conv_cache_size(int B, int T, int C, int O, int K)
{
    return ((size_t)B * T + (size_t)O) * C * K;
}

/* Offsets (in elements) of everything the model's pass keeps for B windows. */
typedef struct sk__net_layout {
    sk__param_table pt;
    size_t out[SK__MAX_LAYERS];   /* (B,T,D*H) layer output */
    size_t cache[SK__MAX_LAYERS]; /* the layer's cache */
    size_t pre[SK__MAX_LAYERS];   /* tcn: (B,T,H) conv output */
    size_t act[SK__MAX_LAYERS];   /* tcn: (B,T,H) after ReLU */
    size_t mask[SK__MAX_LAYERS];  /* (B,T,H) dropout mask */
    size_t drop[SK__MAX_LAYERS];  /* gru/lstm: (B,T,H) output after dropout */
    size_t last, last_mask, last_drop; /* (B,H) each: head input */
    size_t logits, probs;              /* (B,K) each */
    size_t losses;                     /* (B) */
    size_t dlogits;                    /* (B,K) */
    size_t dlast, dlast_drop;          /* (B,H) each */
    size_t dA, dB, dT, dT2;            /* (B,T,H) each: backward scratch */
    size_t total;
} sk__net_layout;

static int sk__net_layout_fill(sk__net_layout *L, const sk_model_config *cfg,
                               int B)
{
    memset(L, 0, sizeof *L);
    if (B < 1 || sk__param_table_fill(cfg, &L->pt) != 0)
        return SK_EINVAL;
    int T = cfg->window, H = cfg->hidden, K = cfg->classes;
    /* Layer outputs have D*H values per step (bigru: both directions). */
    size_t HO = (size_t)sk__arch_dirs(cfg->arch) * H;
    size_t BTH = (size_t)B * T * HO, BH = (size_t)B * HO, BK = (size_t)B * K;
    size_t off = 0;
    for (int l = 0; l < cfg->layers; l++) {
        int C = L->pt.layer[l].in;
        size_t cs = cfg->arch == SK_ARCH_GRU     ? sk__gru_cache_size(B, T, C, H)
                    : cfg->arch == SK_ARCH_LSTM  ? sk__lstm_cache_size(B, T, C, H)
                    : cfg->arch == SK_ARCH_BIGRU ? sk__bigru_cache_size(B, T, C, H)
                                                 : sk__conv_cache_size(B, T, C, H, cfg->kernel);
        L->out[l] = off, off += BTH;
        L->cache[l] = off, off += cs;
        L->mask[l] = off, off += BTH;
        if (cfg->arch == SK_ARCH_TCN) {
            L->pre[l] = off, off += BTH;
            L->act[l] = off, off += BTH;
        } else {
            L->drop[l] = off, off += BTH;
        }
    }
    L->last = off, off += BH;
    L->last_mask = off, off += BH;
    L->last_drop = off, off += BH;
    L->logits = off, off += BK;
    L->probs = off, off += BK;
    L->losses = off, off += (size_t)B;
    L->dlogits = off, off += BK;
    L->dlast = off, off += BH;
    L->dlast_drop = off, off += BH;
    L->dA = off, off += BTH;
    L->dB = off, off += BTH;
    L->dT = off, off += BTH;
    L->dT2 = off, off += BTH;
    L->total = off;
    return 0;
}

size_t sk__net_ws_size(const sk_model_config *cfg, int B)
{
    sk__net_layout L;
    return sk__net_layout_fill(&L, cfg, B) == 0 ? L.total : 0;
}

#define REAL float
#define SK__R(name) sk__##name##_f
#define R_EXP expf
#define R_TANH tanhf
#define R_LOG logf
#include "layers_tmpl.h"
#undef REAL
#undef SK__R
#undef R_EXP
#undef R_TANH
#undef R_LOG

#define REAL double
#define SK__R(name) sk__##name##_d
#define R_EXP exp
#define R_TANH tanh
#define R_LOG log
#include "layers_tmpl.h"
#undef REAL
#undef SK__R
#undef R_EXP
#undef R_TANH
#undef R_LOG

#if SK__LAYERS_AVX2
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif
#define REAL float
#define SK__R(name) sk__##name##_f_avx2
#define R_EXP expf
#define R_TANH tanhf
#define R_LOG logf
#include "layers_tmpl.h"
#undef REAL
#undef SK__R
#undef R_EXP
#undef R_TANH
#undef R_LOG
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

int sk__cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
}
#else
int sk__cpu_has_avx2(void)
{
    return 0;
}
#endif
