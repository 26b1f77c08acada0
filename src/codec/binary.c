/* skelact binary v1 (docs/PROTOCOL.md): a 32-byte little-endian header, the
 * bodies, a CRC-32. Byte order is spelled out with shifts, so the code is the
 * same on any host. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "codec/codec_internal.h"

/* Header field offsets (docs/PROTOCOL.md). */
enum {
    OFF_MAGIC = 0,
    OFF_VERSION = 4,
    OFF_JOINT_SET = 5,
    OFF_NJOINTS = 6,
    OFF_NBODIES = 7,
    OFF_LENGTH = 8,
    OFF_FRAME_BODIES = 12,
    OFF_FIRST_BODY = 13,
    OFF_RESERVED = 14,
    OFF_SEQ = 16,
    OFF_TIMESTAMP = 24,
};

_Static_assert(offsetof(sk_joint, y) == 4 && offsetof(sk_joint, z) == 8,
               "x, y, z of a joint are adjacent floats");

static const uint8_t magic_bytes[4] = {'S', 'K', 'L', '1'};

static inline uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static inline uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)ld32(p) | (uint64_t)ld32(p + 4) << 32;
}

static inline void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void st64(uint8_t *p, uint64_t v)
{
    st32(p, (uint32_t)v);
    st32(p + 4, (uint32_t)(v >> 32));
}

static size_t message_length(int nbodies, int njoints)
{
    return SK_BINARY_HEADER_SIZE + (size_t)nbodies * (4 + 13 * (size_t)njoints) + 4;
}

int sk__binary_magic_prefix(const uint8_t *p, size_t n)
{
    return memcmp(p, magic_bytes, n < 4 ? n : 4) == 0;
}

/* Non-zero if any of the n little-endian float32 at p is Inf or NaN. */
static inline uint64_t nonfinite_any(const uint8_t *p, int n)
{
    const uint64_t exp = 0x7f8000007f800000ull, one = 0x0080000000800000ull,
                   top = 0x8000000080000000ull;
    uint64_t acc0 = 0, acc1 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t a = (uint64_t)ld32(p + 4 * i) | (uint64_t)ld32(p + 4 * i + 4) << 32;
        uint64_t b = (uint64_t)ld32(p + 4 * i + 8) | (uint64_t)ld32(p + 4 * i + 12) << 32;
        acc0 |= ((a & exp) + one) & top;
        acc1 |= ((b & exp) + one) & top;
    }
    for (; i < n; i++)
        acc0 |= ((ld32(p + 4 * i) & 0x7f800000u) + 0x00800000u) & 0x80000000u;
    return acc0 | acc1;
}

int sk__binary_header_check(const uint8_t *p, sk__binary_header *h, char *msg,
                            size_t msglen)
{
    if (ld32(p + OFF_MAGIC) != SK_BINARY_MAGIC) {
        snprintf(msg, msglen, "bad magic");
        return SK_EPROTO;
    }
    if (p[OFF_VERSION] != SK_BINARY_VERSION) {
        snprintf(msg, msglen, "version %d, expected %d", p[OFF_VERSION],
                 SK_BINARY_VERSION);
        return SK_EPROTO;
    }
    h->joint_set = p[OFF_JOINT_SET];
    h->njoints = p[OFF_NJOINTS];
    h->nbodies = p[OFF_NBODIES];
    h->length = ld32(p + OFF_LENGTH);
    h->frame_bodies = p[OFF_FRAME_BODIES];
    h->first_body = p[OFF_FIRST_BODY];
    h->seq = ld64(p + OFF_SEQ);
    h->timestamp_us = (int64_t)ld64(p + OFF_TIMESTAMP);
    const sk_joint_set *js = sk_joint_set_get(h->joint_set);
    if (!js) {
        snprintf(msg, msglen, "unknown joint set %d", h->joint_set);
        return SK_EPROTO;
    }
    if (h->njoints != js->njoints) {
        snprintf(msg, msglen, "%d joints, joint set %s has %d", h->njoints,
                 js->name, js->njoints);
        return SK_EPROTO;
    }
    if (h->frame_bodies > SK_MAX_BODIES || h->nbodies > SK_MAX_BODIES ||
        h->first_body + h->nbodies > h->frame_bodies) {
        snprintf(msg, msglen, "bodies %d..%d of %d (at most %d)",
                 h->first_body, h->first_body + h->nbodies, h->frame_bodies,
                 SK_MAX_BODIES);
        return SK_EPROTO;
    }
    if (p[OFF_RESERVED] || p[OFF_RESERVED + 1]) {
        snprintf(msg, msglen, "reserved bytes not zero");
        return SK_EPROTO;
    }
    size_t want = message_length(h->nbodies, h->njoints);
    if (h->length != want) {
        snprintf(msg, msglen, "length %lu, expected %lu for %d bodies",
                 (unsigned long)h->length, (unsigned long)want, h->nbodies);
        return SK_EPROTO;
    }
    return 0;
}

int sk__binary_body_decode(const uint8_t *p, const sk__binary_header *h,
                           sk_frame *f, char *msg, size_t msglen)
{
    size_t n = h->length - 4;
    uint32_t want = ld32(p + n), got = sk_crc32(0, p, n);
    if (want != got) {
        snprintf(msg, msglen, "CRC mismatch (message says %08lx, computed %08lx)",
                 (unsigned long)want, (unsigned long)got);
        return SK_ECHECKSUM;
    }
    int nj = h->njoints;
    /* Bodies past nbodies are left alone: the whole frame is 2.4 KB. */
    f->timestamp_us = h->timestamp_us;
    f->arrival_us = 0;
    f->seq = h->seq;
    f->joint_set = (uint8_t)h->joint_set;
    f->njoints = (uint8_t)nj;
    f->nbodies = (uint8_t)h->nbodies;
    const uint8_t *q = p + SK_BINARY_HEADER_SIZE;
    uint64_t nonfinite = 0;
    uint32_t badstate = 0;
    for (int b = 0; b < h->nbodies; b++) {
        sk_body *body = &f->bodies[b];
        body->id = ld32(q);
        q += 4;
        /* Inf and NaN have an exponent of all ones: adding 1 to it carries
         * into the float's top bit. Two floats per 64-bit word, no branch. */
        nonfinite |= nonfinite_any(q, 3 * nj);
        sk_joint *jt = body->joints;
        for (int j = 0; j < nj; j++, q += 12) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            memcpy(&jt[j].x, q, 12); /* x, y, z are adjacent floats */
#else
            uint32_t u[3] = {ld32(q), ld32(q + 4), ld32(q + 8)};
            memcpy(&jt[j].x, &u[0], 4);
            memcpy(&jt[j].y, &u[1], 4);
            memcpy(&jt[j].z, &u[2], 4);
#endif
        }
        /* A state above 2 has a bit above bit 1, or is 3 (bits 0 and 1). */
        unsigned states = 0;
        for (int j = 0; j < nj; j++) {
            jt[j].state = q[j];
            states |= q[j] | (unsigned)((q[j] & (q[j] >> 1) & 1) << 2);
        }
        badstate |= states & ~3u;
        memset(jt + nj, 0, (size_t)(SK_MAX_JOINTS - nj) * sizeof *jt);
        q += nj;
    }
    if (nonfinite) {
        snprintf(msg, msglen, "non-finite coordinate");
        return SK_EPROTO;
    }
    if (badstate) {
        snprintf(msg, msglen, "tracking state above %d", SK_TRACK_TRACKED);
        return SK_EPROTO;
    }
    return 0;
}

int sk_binary_decode(const uint8_t *buf, size_t len, sk_frame *f,
                     sk_binary_part *part)
{
    char msg[128];
    sk__binary_header h;
    if (!buf || !f)
        return SK_EINVAL;
    if (!sk__binary_magic_prefix(buf, len))
        return SK_EPROTO;
    if (len < SK_BINARY_HEADER_SIZE)
        return SK_EAGAIN;
    int rc = sk__binary_header_check(buf, &h, msg, sizeof msg);
    if (rc != 0)
        return rc;
    if (len < h.length)
        return SK_EAGAIN;
    rc = sk__binary_body_decode(buf, &h, f, msg, sizeof msg);
    if (rc != 0)
        return rc;
    if (part) {
        part->first_body = h.first_body;
        part->frame_bodies = h.frame_bodies;
    }
    return (int)h.length;
}

/* Encode bodies [first, first + count) of f as one message. */
static int encode_range(const sk_frame *f, int first, int count, uint8_t *buf,
                        size_t cap)
{
    if (!f || !buf || f->nbodies > SK_MAX_BODIES)
        return SK_EINVAL;
    const sk_joint_set *js = sk_joint_set_get(f->joint_set);
    if (!js || js->njoints != f->njoints)
        return SK_EINVAL;
    int nj = f->njoints;
    for (int b = first; b < first + count; b++) {
        const sk_joint *jt = f->bodies[b].joints;
        for (int j = 0; j < nj; j++) {
            uint32_t u[3];
            memcpy(&u[0], &jt[j].x, 4);
            memcpy(&u[1], &jt[j].y, 4);
            memcpy(&u[2], &jt[j].z, 4);
            for (int k = 0; k < 3; k++)
                if ((u[k] & 0x7f800000u) == 0x7f800000u)
                    return SK_EINVAL;
            if (jt[j].state > SK_TRACK_TRACKED)
                return SK_EINVAL;
        }
    }
    size_t len = message_length(count, nj);
    if (cap < len)
        return SK_ELIMIT;
    st32(buf + OFF_MAGIC, SK_BINARY_MAGIC);
    buf[OFF_VERSION] = SK_BINARY_VERSION;
    buf[OFF_JOINT_SET] = (uint8_t)js->id;
    buf[OFF_NJOINTS] = (uint8_t)nj;
    buf[OFF_NBODIES] = (uint8_t)count;
    st32(buf + OFF_LENGTH, (uint32_t)len);
    buf[OFF_FRAME_BODIES] = f->nbodies;
    buf[OFF_FIRST_BODY] = (uint8_t)first;
    buf[OFF_RESERVED] = 0;
    buf[OFF_RESERVED + 1] = 0;
    st64(buf + OFF_SEQ, f->seq);
    st64(buf + OFF_TIMESTAMP, (uint64_t)f->timestamp_us);
    uint8_t *q = buf + SK_BINARY_HEADER_SIZE;
    for (int b = first; b < first + count; b++) {
        const sk_body *body = &f->bodies[b];
        st32(q, body->id);
        q += 4;
        for (int j = 0; j < nj; j++, q += 12) {
            uint32_t u[3];
            memcpy(&u[0], &body->joints[j].x, 4);
            memcpy(&u[1], &body->joints[j].y, 4);
            memcpy(&u[2], &body->joints[j].z, 4);
            st32(q, u[0]);
            st32(q + 4, u[1]);
            st32(q + 8, u[2]);
        }
        for (int j = 0; j < nj; j++)
            q[j] = body->joints[j].state;
        q += nj;
    }
    st32(q, sk_crc32(0, buf, len - 4));
    return (int)len;
}

int sk_binary_encode(const sk_frame *f, uint8_t *buf, size_t cap)
{
    if (!f)
        return SK_EINVAL;
    return encode_range(f, 0, f->nbodies, buf, cap);
}

int sk_binary_encode_body(const sk_frame *f, int body, uint8_t *buf, size_t cap)
{
    if (!f || body < 0 || body >= f->nbodies)
        return SK_EINVAL;
    return encode_range(f, body, 1, buf, cap);
}
