/* Fuzz target: the binary v1 decoder: incremental (binary and auto) and
 * one-shot (sk_binary_decode, the UDP path).
 *
 * Input: byte 0 picks the configuration (protocol binary/auto), byte 1 seeds
 * the feed sizes, the rest is the stream. The stream is decoded twice: fed
 * in pieces of varying sizes and fed whole; the two must give the same
 * frames and counts. Every frame must be valid (a known joint set, at most
 * SK_MAX_BODIES bodies, finite coordinates, states <= 2) and survive
 * sk_binary_encode + sk_binary_decode bit for bit. The stream is also given
 * to sk_binary_decode as one datagram. Any violation aborts. */
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

/* A binary frame: valid, and encodes and decodes back to itself. */
static void check_binary_frame(const sk_frame *f)
{
    uint8_t buf[SK_BINARY_MAX_FRAME];
    sk_frame g;
    sk_binary_part part;
    check_frame_common(f);
    int n = sk_binary_encode(f, buf, sizeof buf);
    if (n != SK_BINARY_HEADER_SIZE + f->nbodies * (4 + 13 * f->njoints) + 4)
        abort();
    if (sk_binary_decode(buf, (size_t)n, &g, &part) != n || g.seq != f->seq ||
        g.timestamp_us != f->timestamp_us || g.nbodies != f->nbodies ||
        part.first_body != 0 || part.frame_bodies != f->nbodies)
        abort();
    for (int b = 0; b < f->nbodies; b++)
        if (g.bodies[b].id != f->bodies[b].id ||
            !joints_equal(g.bodies[b].joints, f->bodies[b].joints, f->njoints))
            abort();
}

static void drain(sk_decoder *d, run *r)
{
    sk_frame f;
    int rc;
    while ((rc = sk_decoder_next(d, &f)) != SK_EAGAIN) {
        if (rc == 0) {
            if (sk_decoder_proto(d) == SK_PROTO_BINARY)
                check_binary_frame(&f);
            else
                check_frame_common(&f); /* auto took it for text */
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

static void decode(const sk_decoder_config *cfg, const uint8_t *s, size_t n,
                   uint32_t seed, run *r)
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
            drain(d, r);
            if (k == 0 && sk_decoder_feed(d, s + pos + took, want - took) == 0)
                abort(); /* full even after draining */
        }
        pos += want;
    }
    drain(d, r);
    sk_decoder_get_stats(d, &r->st);
    r->pending = sk_decoder_pending(d);
    if (r->st.frames != (uint64_t)r->frames || r->st.errors != (uint64_t)r->errors ||
        r->st.bytes != n || r->st.skipped > n || r->pending > n)
        abort();
    sk_decoder_destroy(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    sk_decoder_config cfg = {data[0] & 1 ? SK_PROTO_AUTO : SK_PROTO_BINARY, 0, 0};
    uint32_t seed = 0x9E3779B9u ^ data[1] ^ (uint32_t)size << 8;
    run a, b;
    decode(&cfg, data + 2, size - 2, seed, &a);
    decode(&cfg, data + 2, size - 2, 0, &b);
    if (a.frames != b.frames || a.errors != b.errors || a.hash != b.hash ||
        a.st.skipped != b.st.skipped || a.pending != b.pending)
        abort(); /* fed in pieces or whole: the same */

    /* One-shot: the stream as one datagram, then each message in turn. */
    const uint8_t *p = data + 2;
    size_t n = size - 2;
    sk_frame f;
    sk_binary_part part;
    while (n > 0) {
        int rc = sk_binary_decode(p, n, &f, &part);
        if (rc == SK_EAGAIN || rc == SK_EPROTO || rc == SK_ECHECKSUM)
            break;
        if (rc < SK_BINARY_HEADER_SIZE + 4 || (size_t)rc > n)
            abort();
        check_frame_common(&f);
        if (part.first_body < 0 || part.first_body + f.nbodies > part.frame_bodies ||
            part.frame_bodies > SK_MAX_BODIES)
            abort();
        p += rc;
        n -= (size_t)rc;
    }
    return 0;
}
