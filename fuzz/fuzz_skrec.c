/* Fuzz target: the take readers (sk_take_load_mem) on arbitrary bytes.
 * Each input is read as skrec as is, and once more with every CRC fixed up
 * (the file header's, each record's and each binary message's) so mutations
 * reach the checks behind the checksums; then as PRECOG, MSR Action3D and
 * seed text. A load that fails leaves a zeroed take and a one-line message
 * naming the input; one that succeeds yields frames within the limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/codec.h"
#include "skelact/data.h"

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Make every CRC of a would-be skrec file right (docs/RECORDING.md). */
static void fix_crcs(uint8_t *b, size_t len)
{
    if (len < SK_SKREC_HEADER_SIZE)
        return;
    wr32(b + 28, sk_crc32(0, b, 28));
    size_t pos = SK_SKREC_HEADER_SIZE;
    while (len - pos >= 12) {
        uint8_t *r = b + pos;
        uint32_t n = rd32(r + 8);
        if (n < 4 || n > len - pos - 12 || len - pos - 12 - n < 4)
            return;
        wr32(r + 12 + n - 4, sk_crc32(0, r + 12, n - 4)); /* the message's */
        wr32(r + 12 + n, sk_crc32(0, r, 12 + (size_t)n)); /* the record's */
        pos += 12 + (size_t)n + 4;
    }
}

static void check_take(const uint8_t *data, size_t size, const char *name, int format)
{
    sk_take t;
    char err[256];
    memset(err, 0x55, sizeof err);
    int rc = sk_take_load_mem(&t, data, size, name, format, err, sizeof err);
    if (rc != 0) {
        if (rc > 0 || t.frames || t.labels || t.arrival_us || t.nframes ||
            !memchr(err, '\0', sizeof err) || strchr(err, '\n') ||
            strncmp(err, name, strlen(name)) != 0)
            abort();
        return;
    }
    const sk_joint_set *js = sk_joint_set_get(t.joint_set);
    if (t.nframes <= 0 || !t.frames || !js || !(t.fps > 0))
        abort();
    for (int k = 0; k < t.nframes; k++) {
        const sk_frame *f = &t.frames[k];
        if (f->nbodies > SK_MAX_BODIES || f->joint_set != t.joint_set ||
            f->njoints != js->njoints)
            abort();
        if (t.arrival_us && (k == 0 ? t.arrival_us[0] != 0
                                    : t.arrival_us[k] < t.arrival_us[k - 1]))
            abort();
        for (int b = 0; b < f->nbodies; b++)
            for (int j = 0; j < f->njoints; j++)
                if (f->bodies[b].joints[j].state > SK_TRACK_TRACKED)
                    abort();
    }
    sk_take_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_take(data, size, "fuzz.skrec", SK_FORMAT_SKREC);
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    fix_crcs(copy, size);
    check_take(copy, size, "fuzz.skrec", SK_FORMAT_SKREC);
    free(copy);
    check_take(data, size, "Seq1_2.csv", SK_FORMAT_PRECOG);
    check_take(data, size, "a01_s02_e03_skeleton3D.txt", SK_FORMAT_MSR);
    check_take(data, size, "fuzz.txt", SK_FORMAT_TEXT);
    check_take(data, size, "fuzz", SK_FORMAT_AUTO);
    return 0;
}
