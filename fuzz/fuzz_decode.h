/* Shared by the decoder fuzz targets (fuzz_text.c, fuzz_binary.c): decode an
 * input fed in pieces of varying sizes or whole, check every frame, and
 * check that both ways give the same frames, errors and counts. Any
 * violation aborts. */
#ifndef SKELACT_FUZZ_DECODE_H
#define SKELACT_FUZZ_DECODE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec_internal.h"
#include "skelact/codec.h"

#define MAX_FRAMES 4096

typedef struct run {
    long frames, errors;
    sk_decoder_stats st;
    size_t pending;
    uint32_t hash; /* of every frame's content, in order */
} run;

/* Joints equal field by field (sk_joint has padding: no memcmp). */
static int joints_equal(const sk_joint *a, const sk_joint *b, int n)
{
    for (int j = 0; j < n; j++)
        if (memcmp(&a[j].x, &b[j].x, 4) || memcmp(&a[j].y, &b[j].y, 4) ||
            memcmp(&a[j].z, &b[j].z, 4) || a[j].state != b[j].state)
            return 0;
    return 1;
}

static uint32_t hash_frame(uint32_t h, const sk_frame *f)
{
    h = sk_crc32(h, &f->seq, sizeof f->seq);
    h = sk_crc32(h, &f->timestamp_us, sizeof f->timestamp_us);
    h = sk_crc32(h, &f->nbodies, 1);
    h = sk_crc32(h, &f->joint_set, 1);
    for (int b = 0; b < f->nbodies; b++) {
        h = sk_crc32(h, &f->bodies[b].id, 4);
        for (int j = 0; j < f->njoints; j++) {
            const sk_joint *jt = &f->bodies[b].joints[j];
            h = sk_crc32(h, &jt->x, 12);
            h = sk_crc32(h, &jt->state, 1);
        }
    }
    return h;
}

/* Any frame a decoder yields. */
static void check_frame_common(const sk_frame *f)
{
    const sk_joint_set *js = sk_joint_set_get(f->joint_set);
    if (!js || js->njoints != f->njoints || f->nbodies > SK_MAX_BODIES)
        abort();
    for (int b = 0; b < f->nbodies; b++)
        for (int j = 0; j < f->njoints; j++) {
            const sk_joint *jt = &f->bodies[b].joints[j];
            if (!isfinite(jt->x) || !isfinite(jt->y) || !isfinite(jt->z) ||
                jt->state > SK_TRACK_TRACKED)
                abort();
        }
}

/* The target's check of one yielded frame; r holds the counts so far. */
typedef void (*fuzz_check_fn)(const sk_decoder *d, const sk_frame *f, const run *r,
                              int want_joints);

static void drain(sk_decoder *d, run *r, int want_joints, fuzz_check_fn check)
{
    sk_frame f;
    int rc;
    while ((rc = sk_decoder_next(d, &f)) != SK_EAGAIN) {
        if (rc == 0) {
            check(d, &f, r, want_joints);
            r->hash = hash_frame(r->hash, &f);
            r->frames++;
        } else if (rc == SK_EPROTO) {
            if (!sk_decoder_errmsg(d)[0])
                abort();
            r->errors++;
        } else {
            abort();
        }
        if (r->frames + r->errors > (long)MAX_FRAMES * 64)
            abort(); /* more results than bytes: a loop */
    }
}

/* Decode s fed in pieces whose sizes follow seed (0: whole). */
static void decode(const sk_decoder_config *cfg, const uint8_t *s, size_t n,
                   uint32_t seed, run *r, fuzz_check_fn check)
{
    static const size_t sizes[] = {1, 2, 3, 7, 16, 64, 333, 1500, 8193, 70000};
    sk_decoder *d;
    memset(r, 0, sizeof *r);
    if (sk_decoder_create(&d, cfg) != 0)
        abort();
    size_t pos = 0;
    while (pos < n) {
        size_t want = n - pos;
        if (seed) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            want = sizes[seed % 10];
            if (want > n - pos)
                want = n - pos;
        }
        size_t took = 0;
        while (took < want) {
            size_t k = sk_decoder_feed(d, s + pos + took, want - took);
            took += k;
            drain(d, r, cfg->njoints, check);
            if (k == 0 && sk_decoder_feed(d, s + pos + took, want - took) == 0)
                abort(); /* full even after draining */
        }
        pos += want;
    }
    drain(d, r, cfg->njoints, check);
    sk_decoder_get_stats(d, &r->st);
    r->pending = sk_decoder_pending(d);
    if (r->st.frames != (uint64_t)r->frames || r->st.errors != (uint64_t)r->errors ||
        r->st.bytes != n || r->st.skipped > n || r->pending > n)
        abort();
    sk_decoder_destroy(d);
}

/* data[1] and the size seed the piece sizes; data[2..] is the stream. Fed in
 * pieces or whole, the decoder must yield the same. */
static void decode_both_ways(const sk_decoder_config *cfg, const uint8_t *data,
                             size_t size, fuzz_check_fn check)
{
    uint32_t seed = 0x9E3779B9u ^ data[1] ^ (uint32_t)size << 8;
    run a, b;
    decode(cfg, data + 2, size - 2, seed, &a, check);
    decode(cfg, data + 2, size - 2, 0, &b, check);
    if (a.frames != b.frames || a.errors != b.errors || a.hash != b.hash ||
        a.st.skipped != b.st.skipped || a.pending != b.pending)
        abort();
}

#endif
