/* Fuzz target: the model loader (sk_model_load_mem) on arbitrary bytes.
 * Each input is tried as is and once more with its last 4 bytes replaced by
 * the CRC of the rest, so mutations reach the checks behind the checksum.
 * A model that loads must describe itself consistently and run inference
 * on a zero window (or report SK_EUNSUPPORTED) without crashing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/nn.h"

#define MAX_INFER_FLOATS (1u << 20) /* skip inference on huge windows */

static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    try_load(data, size);
    if (size >= 4 && size <= (1u << 20)) {
        uint8_t *c = malloc(size);
        if (!c)
            return 0;
        memcpy(c, data, size);
        uint32_t crc = crc32_bitwise(c, size - 4);
        for (int i = 0; i < 4; i++)
            c[size - 4 + i] = (uint8_t)(crc >> (8 * i));
        try_load(c, size);
        free(c);
    }
    return 0;
}
