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
#include "fuzz_decode.h"

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

static void check(const sk_decoder *d, const sk_frame *f, const run *r,
                  int want_joints)
{
    (void)r;
    (void)want_joints;
    if (sk_decoder_proto(d) == SK_PROTO_BINARY)
        check_binary_frame(f);
    else
        check_frame_common(f); /* auto took it for text */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    sk_decoder_config cfg = {data[0] & 1 ? SK_PROTO_AUTO : SK_PROTO_BINARY, 0, 0};
    decode_both_ways(&cfg, data, size, check);

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
