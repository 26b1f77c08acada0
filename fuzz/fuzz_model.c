/* Fuzz target: the model loader (sk_model_load_mem) on arbitrary bytes.
 * Each input is tried as is and once more with its last 4 bytes replaced by
 * the CRC of the rest, so mutations reach the checks behind the checksum.
 * A model that loads must describe itself consistently and run inference
 * on a zero window (or report SK_EUNSUPPORTED) without crashing.
 *
 * An input starting with 'B' is also read as a recipe: its bytes choose the
 * architecture and sizes (kept small), and a consistent file with that
 * header and weights taken from the input is built and loaded, so inference
 * runs on many shapes (tcn dilations beyond the window, one-unit layers...)
 * and both heads (bit 0x40 of the features byte: a pooled head, format
 * 2.0); a first byte of 4 mod 8 makes a dtw model, its templates' classes
 * and lengths mostly valid so that matching runs. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/codec.h"
#include "skelact/nn.h"

#define MAX_INFER_FLOATS (1u << 20) /* skip inference on huge windows */

static void try_load(const uint8_t *data, size_t size)
{
    sk_model *m = NULL;
    char err[256];
    memset(err, 0x55, sizeof err);
    int rc = sk_model_load_mem(&m, data, size, err, sizeof err);
    if (rc != 0) {
        /* A failure leaves no model and a one-line message. */
        if (m || !memchr(err, '\0', sizeof err) || strchr(err, '\n') || !err[0])
            abort();
        return;
    }
    const sk_model_header *h = sk_model_header_get(m);
    if (h->nlabels != h->arch.classes ||
        sk_model_nparams(m) != sk_model_param_count(&h->arch))
        abort();
    for (int i = 0; i < h->nlabels; i++)
        if (!memchr(h->labels[i], '\0', SK_LABEL_LEN) || !h->labels[i][0])
            abort();
    const float *p = sk_model_params(m);
    for (size_t i = 0; i < sk_model_nparams(m); i++)
        if (!isfinite(p[i]))
            abort();
    size_t nx = (size_t)h->arch.window * (size_t)h->arch.input;
    if (nx <= MAX_INFER_FLOATS) {
        float *x = calloc(nx, sizeof *x);
        float *probs = calloc((size_t)h->arch.classes, sizeof *probs);
        if (x && probs) {
            /* Only "no crash" here: extreme (finite) weights may
             * legitimately overflow to non-finite probabilities. */
            (void)sk_model_infer(m, x, probs);
        }
        free(x);
        free(probs);
    }
    sk_model_destroy(m);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void try_recipe(const uint8_t *d, size_t n)
{
    if (n < 12)
        return;
    sk_model_config c;
    c.arch = d[0] % 4 == 3 ? SK_ARCH_BIGRU : 1 + d[0] % 4; /* gru lstm tcn bigru */
    int dtw = d[0] % 8 == 4; /* dtw instead of gru */
    if (dtw)
        c.arch = SK_ARCH_DTW;
    c.input = 1 + (d[1] | d[2] << 8) % 150;
    c.hidden = 1 + d[3] % 24;
    c.layers = 1 + d[4] % 16;
    c.classes = 2 + d[5] % 63;
    c.window = 1 + d[6] % 100;
    c.kernel = c.arch == SK_ARCH_TCN ? 1 + d[7] % 16 : d[7] % 17;
    c.pool = (d[9] & 0x40) ? SK_POOL_MEAN : SK_POOL_LAST; /* 2.0 file */
    if (dtw) { /* one layer, no kernel, last step, 2+ frames */
        c.layers = 1;
        c.kernel = 0;
        c.pool = SK_POOL_LAST;
        c.window = 2 + d[6] % 99;
    }
    size_t fields = c.pool == SK_POOL_LAST ? 72 : 76;
    size_t np = sk_model_param_count(&c);
    /* About params * W multiply-adds per window: keep each run quick. */
    if (np == 0 || (double)np * c.window > 2e5)
        return;
    size_t len = 16 + fields + (size_t)c.classes * 32 + 4 * np + 4;
    uint8_t *b = calloc(1, len);
    if (!b)
        return;
    memcpy(b, "SKMODEL", 8);
    b[8] = fields == 72 ? 1 : 2;
    b[12] = (uint8_t)fields;
    uint8_t *f = b + 16;
    int v[] = {c.arch, c.input, c.hidden, c.layers, c.classes, c.window, c.kernel};
    for (int i = 0; i < 7; i++)
        put32(f + 4 * i, (uint32_t)v[i]);
    put32(f + 28, 1 + (d[8] & 1));
    put32(f + 32, (d[9] & 0xf) | (dtw ? 0x10 : 0)); /* dtw: per-frame features */
    float fps = 30.0f, smooth = (float)(d[10] % 101) / 100.0f, thr = 0.5f;
    memcpy(f + 36, &fps, 4); /* little-endian hosts only: fine for fuzzing */
    memcpy(f + 40, &smooth, 4);
    memcpy(f + 44, &thr, 4);
    put32(f + 48, d[11] % 10);
    put32(f + 52, d[11] % 30);
    put32(f + 56, (uint32_t)c.classes);
    put32(f + 60, 32);
    put32(f + 64, (uint32_t)np);
    if (fields > 72)
        put32(f + 72, (uint32_t)c.pool);
    uint8_t *lab = b + 16 + fields;
    for (int k = 0; k < c.classes; k++)
        snprintf((char *)lab + 32 * k, 32, "label%d", k);
    /* Weights from the rest of the input, cycled, as bytes / 32 - 4. */
    uint8_t *w = lab + 32 * c.classes;
    for (size_t i = 0; i < np; i++) {
        float x = n > 12 ? (float)d[12 + i % (n - 12)] / 32.0f - 4.0f : 0.0f;
        memcpy(w + 4 * i, &x, 4);
    }
    if (dtw) { /* mostly valid templates: class and length from the input */
        size_t stride = 2 + (size_t)c.window * c.input;
        for (int t = 0; t < c.hidden; t++) {
            float cls = (float)(d[(12 + t) % n] % c.classes);
            float len = (float)(2 + d[(13 + t) % n] % (c.window - 1));
            memcpy(w + 4 * (t * stride), &cls, 4);
            memcpy(w + 4 * (t * stride + 1), &len, 4);
        }
        float one = d[11] & 1 ? 1.0f : 0.05f;
        memcpy(w + 4 * (c.hidden * stride), &one, 4);
        memcpy(w + 4 * (c.hidden * stride + 1), &one, 4);
    }
    uint32_t crc = sk_crc32(0, b, len - 4);
    put32(b + len - 4, crc);
    try_load(b, len);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size > 0 && data[0] == 'B')
        try_recipe(data + 1, size - 1);
    if (size >= 4 && size <= (1u << 20)) {
        uint8_t *c = malloc(size);
        if (!c)
            return 0;
        memcpy(c, data, size);
        uint32_t crc = sk_crc32(0, c, size - 4);
        for (int i = 0; i < 4; i++)
            c[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        try_load(c, size);
        free(c);
    }
    return 0;
}
