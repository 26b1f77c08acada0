/* The parameter table: where each tensor lives in a model's one buffer. */
#include <string.h>

#include "dtw.h"
#include "model.h"

int sk__arch_gates(int arch)
{
    switch (arch) {
    case SK_ARCH_GRU:
    case SK_ARCH_BIGRU:
        return 3;
    case SK_ARCH_LSTM:
        return 4;
    case SK_ARCH_TCN:
        return 1;
    }
    return 0;
}

int sk__arch_dirs(int arch)
{
    return arch == SK_ARCH_BIGRU ? 2 : 1;
}

int sk__param_table_fill(const sk_model_config *cfg, sk__param_table *t)
{
    memset(t, 0, sizeof *t);
    if (cfg->arch == SK_ARCH_DTW) { /* templates, not layers: src/nn/dtw.h */
        if (cfg->classes < 2 || cfg->classes > SK_MAX_CLASSES)
            return SK_EINVAL;
        t->total = sk__dtw_param_count(cfg);
        return t->total ? 0 : SK_EINVAL;
    }
    int G = sk__arch_gates(cfg->arch);
    if (G == 0 || cfg->input < 1 || cfg->hidden < 1 || cfg->layers < 1 ||
        cfg->layers > SK__MAX_LAYERS || cfg->classes < 2 ||
        cfg->classes > SK_MAX_CLASSES || cfg->window < 1 ||
        !sk_pool_name(cfg->pool))
        return SK_EINVAL;
    if (cfg->arch == SK_ARCH_TCN && (cfg->kernel < 1 || cfg->kernel > 16))
        return SK_EINVAL;
    /* Keep every size well inside size_t and int arithmetic. */
    if (cfg->input > 65536 || cfg->hidden > 65536 || cfg->window > 65536)
        return SK_EINVAL;
    size_t H = (size_t)cfg->hidden, off = 0, D = (size_t)sk__arch_dirs(cfg->arch);
    t->nlayers = cfg->layers;
    for (int l = 0; l < cfg->layers; l++) {
        sk__layer_params *p = &t->layer[l];
        size_t C = l == 0 ? (size_t)cfg->input : D * H;
        p->in = (int)C;
        if (cfg->arch == SK_ARCH_TCN) {
            p->w_ih = off;
            off += H * C * (size_t)cfg->kernel;
            p->b_ih = off;
            off += H;
        } else {
            p->w_ih = off;
            off += G * H * C;
            p->w_hh = off;
            off += G * H * H;
            p->b_ih = off;
            off += G * H;
            p->b_hh = off;
            off += G * H;
            if (D == 2) {
                p->w_ih_r = off;
                off += G * H * C;
                p->w_hh_r = off;
                off += G * H * H;
                p->b_ih_r = off;
                off += G * H;
                p->b_hh_r = off;
                off += G * H;
            }
        }
    }
    t->w_out = off;
    off += (size_t)cfg->classes * D * H;
    t->b_out = off;
    off += (size_t)cfg->classes;
    t->total = off;
    return 0;
}

size_t sk_model_param_count(const sk_model_config *cfg)
{
    sk__param_table t;
    return sk__param_table_fill(cfg, &t) == 0 ? t.total : 0;
}

static const char *const pool_names[] = {"last", "mean"};

int sk_pool_from_name(const char *name)
{
    for (int p = SK_POOL_LAST; p <= SK_POOL_MEAN; p++)
        if (name && strcmp(name, pool_names[p]) == 0)
            return p;
    return -1;
}

const char *sk_pool_name(int pool)
{
    return pool >= SK_POOL_LAST && pool <= SK_POOL_MEAN ? pool_names[pool] : NULL;
}

static const char *const arch_names[] = {NULL, "gru", "lstm", "tcn", "dtw", "bigru"};

int sk_arch_from_name(const char *name)
{
    for (int a = 1; a <= SK_ARCH_BIGRU; a++)
        if (name && strcmp(name, arch_names[a]) == 0)
            return a;
    return -1;
}

const char *sk_arch_name(int arch)
{
    return arch >= 1 && arch <= SK_ARCH_BIGRU ? arch_names[arch] : NULL;
}
