/* Fuzz target: the seed-text decoder (and the auto decoder on text).
 *
 * Input: byte 0 picks the configuration (protocol text/auto, joint count,
 * line limit), byte 1 seeds the feed sizes, the rest is the stream. The
 * stream is decoded twice: fed in pieces of varying sizes and fed whole; the
 * two must give the same frames and counts. Every frame must be valid
 * (1 body, a known joint set, finite coordinates, tracked joints) and read
 * back bit for bit after sk_text_encode at 9 digits. Any violation aborts. */
#include "fuzz_decode.h"

/* A text frame: one body, id 0, every joint tracked, and it reads back
 * bit for bit after sk_text_encode at 9 digits. */
static void check_text_frame(const sk_frame *f, int want_joints)
{
    check_frame_common(f);
    if (f->nbodies != 1 || f->bodies[0].id != 0 || f->timestamp_us != 0)
        abort();
    if (want_joints && f->njoints != want_joints)
        abort();
    for (int j = 0; j < f->njoints; j++)
        if (f->bodies[0].joints[j].state != SK_TRACK_TRACKED)
            abort();
    char line[4096], msg[128];
    sk_frame g;
    int n = sk_text_encode(f, 0, 9, line, sizeof line);
    if (n <= 0 || sk__text_parse_line(line, line + n - 1, 0, &g, msg, sizeof msg) != 0)
        abort();
    if (!joints_equal(g.bodies[0].joints, f->bodies[0].joints, f->njoints))
        abort();
}

static void check(const sk_decoder *d, const sk_frame *f, const run *r,
                  int want_joints)
{
    if (sk_decoder_proto(d) == SK_PROTO_TEXT) {
        if (f->seq != (uint64_t)r->frames) /* text counts from 0 */
            abort();
        check_text_frame(f, want_joints);
    } else {
        check_frame_common(f); /* auto took it for binary */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const int joints[4] = {0, 20, 25, 0};
    static const size_t max_line[4] = {0, 300, 1200, 2000};
    sk_decoder_config cfg;
    cfg.proto = data[0] & 1 ? SK_PROTO_AUTO : SK_PROTO_TEXT;
    cfg.njoints = joints[(data[0] >> 1) & 3];
    cfg.max_line = max_line[(data[0] >> 3) & 3];
    decode_both_ways(&cfg, data, size, check);
    return 0;
}
