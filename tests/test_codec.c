/* codec: number parsing against strtof, text and binary round trips, the
 * incremental decoder under every split, garbage, overlong lines, bad counts,
 * corrupt frames, and the hex example of docs/PROTOCOL.md. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec/codec_internal.h"
#include "skelact/codec.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static double rnd_unit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}

/* A frame with plausible random joints (metres, a few digits). */
static void make_frame(sk_frame *f, int joint_set, int nbodies, uint64_t seq)
{
    sk_frame_init(f, joint_set);
    f->seq = seq;
    f->timestamp_us = (int64_t)(rnd() >> 12) - ((int64_t)1 << 50);
    f->nbodies = (uint8_t)nbodies;
    for (int b = 0; b < nbodies; b++) {
        f->bodies[b].id = (uint32_t)rnd();
        for (int j = 0; j < f->njoints; j++) {
            sk_joint *jt = &f->bodies[b].joints[j];
            jt->x = (float)(rnd_unit() * 4 - 2);
            jt->y = (float)(rnd_unit() * 4 - 2);
            jt->z = (float)(rnd_unit() * 5);
            jt->state = (uint8_t)(rnd() % 3);
        }
    }
}

/* Same frame content (bit for bit for coordinates). */
static int frame_equal(const sk_frame *a, const sk_frame *b)
{
    if (a->seq != b->seq || a->timestamp_us != b->timestamp_us ||
        a->joint_set != b->joint_set || a->njoints != b->njoints ||
        a->nbodies != b->nbodies)
        return 0;
    for (int i = 0; i < a->nbodies; i++) {
        if (a->bodies[i].id != b->bodies[i].id)
            return 0;
        for (int j = 0; j < a->njoints; j++) {
            const sk_joint *p = &a->bodies[i].joints[j], *q = &b->bodies[i].joints[j];
            if (fbits(p->x) != fbits(q->x) || fbits(p->y) != fbits(q->y) ||
                fbits(p->z) != fbits(q->z) || p->state != q->state)
                return 0;
        }
    }
    return 1;
}

/* What a decoder yields for a stream fed in chunks of the given sizes
 * (cycled), drained after every feed. */
typedef struct result {
    int nframes, nerrors;
    sk_frame *frames; /* up to max */
    int max;
    sk_decoder_stats st;
    size_t pending;
} result;

static void result_init(result *r, int max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
    r->frames = calloc((size_t)(max > 0 ? max : 1), sizeof *r->frames);
}

static void result_free(result *r) { free(r->frames); }

static int drain(sk_decoder *d, result *r)
{
    sk_frame f;
    int rc;
    while ((rc = sk_decoder_next(d, &f)) != SK_EAGAIN) {
        if (rc == 0) {
            if (r->nframes < r->max)
                r->frames[r->nframes] = f;
            r->nframes++;
        } else if (rc == SK_EPROTO) {
            r->nerrors++;
        } else {
            return rc;
        }
    }
    return 0;
}

static int decode_stream(const sk_decoder_config *cfg, const uint8_t *s,
                         size_t n, const size_t *chunks, int nchunks, result *r)
{
    sk_decoder *d;
    if (sk_decoder_create(&d, cfg) != 0)
        return -1;
    size_t pos = 0;
    int ci = 0;
    while (pos < n) {
        size_t want = chunks[ci++ % nchunks];
        if (want > n - pos)
            want = n - pos;
        size_t took = 0;
        while (took < want) {
            size_t k = sk_decoder_feed(d, s + pos + took, want - took);
            took += k;
            if (drain(d, r) != 0)
                goto fail;
            if (k == 0 && took < want) /* full after draining: a bug */
                goto fail;
        }
        pos += want;
    }
    if (drain(d, r) != 0)
        goto fail;
    sk_decoder_get_stats(d, &r->st);
    r->pending = sk_decoder_pending(d);
    sk_decoder_destroy(d);
    return 0;
fail:
    sk_decoder_destroy(d);
    return -1;
}

static int results_same(const result *a, const result *b)
{
    if (a->nframes != b->nframes || a->nerrors != b->nerrors ||
        a->st.frames != b->st.frames || a->st.errors != b->st.errors ||
        a->st.bytes != b->st.bytes || a->st.skipped != b->st.skipped ||
        a->pending != b->pending)
        return 0;
    for (int i = 0; i < a->nframes && i < a->max && i < b->max; i++)
        if (!frame_equal(&a->frames[i], &b->frames[i]))
            return 0;
    return 1;
}

/* ---- CRC ---------------------------------------------------------------- */

static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static void test_crc32(void)
{
    CHECK_EQ_INT(sk_crc32(0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ_INT(sk_crc32(0, "", 0), 0);
    static uint8_t buf[4096 + 64];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rnd();
    int bad = 0;
    for (size_t len = 0; len <= 1100; len++) {
        size_t off = len % 13;
        uint32_t ref = crc_bitwise(buf + off, len);
        if (sk_crc32(0, buf + off, len) != ref ||
            sk__crc32_tables(0, buf + off, len) != ref)
            bad++;
        size_t cut = len / 3;
        if (sk_crc32(sk_crc32(0, buf + off, cut), buf + off + cut, len - cut) != ref)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(sk_crc32(0, buf, 4096) == crc_bitwise(buf, 4096));
}

/* ---- numbers ------------------------------------------------------------ */

/* Parse s with the codec and with strtof; 1 if both agree bit for bit (or
 * both reject: strtof "rejects" when it does not take all of s or gives a
 * non-finite value). */
static int parse_agrees(const char *s)
{
    size_t n = strlen(s);
    char *endp;
    float ref = strtof(s, &endp);
    int ref_ok = *s && (size_t)(endp - s) == n && isfinite(ref);
    float got = 0;
    const char *next = NULL;
    int rc = sk__codec_parse_float(s, s + n, &next, &got);
    int got_ok = rc == 0 && next == s + n;
    if (ref_ok != got_ok) {
        fprintf(stderr, "parse disagrees on \"%s\": strtof %s, codec %s\n", s,
                ref_ok ? "accepts" : "rejects", got_ok ? "accepts" : "rejects");
        return 0;
    }
    if (ref_ok && fbits(ref) != fbits(got)) {
        fprintf(stderr, "parse \"%s\": strtof %a, codec %a\n", s, ref, got);
        return 0;
    }
    return 1;
}

static void test_parse_float_vs_strtof(void)
{
    static const char *fixed[] = {
        "0", "-0", "+0", "0.0", ".5", "5.", "-.5", "1e10", "1E-10", "1e+3",
        "123456789", "16777217", "16777219", "33554435", "16777217.00000001",
        "0.1", "0.2", "0.3", "3.4028235e38", "1.17549435e-38", "1.4e-45",
        "7.0064923216240861e-46", "1e-50", "1.000000059604644775390625",
        "1.0000000596046448", "1.00000005960464", "0.000000000000000000000001",
        "9007199254740993", "9007199254740992", "12345678901234567890123",
        "1e22", "1e-22", "1e23", "4e22", "9.999999e37", "0.00000000000000000000000000000000000000000001",
        "2.9071050", "-0.01422022", "00000000000000000000000012.5",
        "1.5e0000000000000000000000001", "3.14159265358979323846264338327950288",
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        bad += !parse_agrees(fixed[i]);
    CHECK_EQ_INT(bad, 0);

    /* Every float midpoint near 1 and 2^24 printed exactly: the fallback. */
    char s[128];
    for (int k = 0; k < 200; k++) {
        float a = (float)(rnd_unit() * 100), b = nextafterf(a, 1e9f);
        double mid = ((double)a + (double)b) / 2;
        snprintf(s, sizeof s, "%.40g", mid);
        bad += !parse_agrees(s);
        snprintf(s, sizeof s, "%.17g", mid);
        bad += !parse_agrees(s);
        snprintf(s, sizeof s, "%.15g", mid);
        bad += !parse_agrees(s);
    }
    CHECK_EQ_INT(bad, 0);

    /* Random floats in many formats. */
    static const char *fmts[] = {"%f", "%.9g", "%.6g", "%.3f", "%e", "%.8e",
                                 "%.17g", "%.12g", "%.1f", "%.20f", "%g"};
    int n = 0;
    for (int k = 0; k < 200000; k++) {
        float x;
        if (k % 2) {
            x = (float)((rnd_unit() * 2 - 1) * pow(10, (int)(rnd() % 12) - 6));
        } else {
            uint32_t u = (uint32_t)rnd();
            memcpy(&x, &u, 4);
            if (!isfinite(x))
                continue;
        }
        const char *fmt = fmts[rnd() % (sizeof fmts / sizeof fmts[0])];
        snprintf(s, sizeof s, fmt, (double)x);
        if (strlen(s) > 100)
            continue;
        bad += !parse_agrees(s);
        n++;
        /* %.9g round-trips a float: the codec must give back x itself. */
        snprintf(s, sizeof s, "%.9g", (double)x);
        float back;
        const char *next;
        if (sk__codec_parse_float(s, s + strlen(s), &next, &back) != 0 ||
            fbits(back) != fbits(x))
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(n > 100000);

    /* Random decimal strings: digits, a dot, an exponent. */
    for (int k = 0; k < 100000; k++) {
        char *p = s;
        if (rnd() % 4 == 0)
            *p++ = "+-"[rnd() % 2];
        int nd = 1 + (int)(rnd() % 22);
        int dot = (int)(rnd() % (nd + 2)) - 1;
        for (int i = 0; i < nd; i++) {
            if (i == dot)
                *p++ = '.';
            *p++ = (char)('0' + rnd() % 10);
        }
        if (rnd() % 3 == 0)
            p += sprintf(p, "e%d", (int)(rnd() % 90) - 45);
        *p = '\0';
        bad += !parse_agrees(s);
    }
    CHECK_EQ_INT(bad, 0);

    /* Not numbers (or not finite): the codec rejects them. */
    static const char *junk[] = {"nan", "NaN", "inf", "-inf", "Infinity", "1e999",
                                 "-1e39", "abc", "", ".", "-", "+", "e5", "0x10",
                                 "1e", "1e+", "--1", "1..2"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        const char *t = junk[i];
        const char *next;
        float v;
        int rc = sk__codec_parse_float(t, t + strlen(t), &next, &v);
        CHECK_MSG(rc != 0 || next != t + strlen(t), "\"%s\" accepted", t);
    }
}

/* ---- text lines --------------------------------------------------------- */

/* Decode a whole text stream at once with njoints; returns frames, errors. */
static void text_decode(const char *s, int njoints, int *frames, int *errors,
                        sk_frame *first, char *msg, size_t msglen)
{
    sk_decoder_config cfg = {SK_PROTO_TEXT, njoints, 0};
    sk_decoder *d;
    *frames = *errors = 0;
    if (sk_decoder_create(&d, &cfg) != 0)
        return;
    sk_decoder_feed(d, s, strlen(s));
    sk_frame f;
    int rc;
    if (msg)
        msg[0] = '\0';
    while ((rc = sk_decoder_next(d, &f)) != SK_EAGAIN) {
        if (rc == 0) {
            if (*frames == 0 && first)
                *first = f;
            (*frames)++;
        } else {
            CHECK_EQ_INT(rc, SK_EPROTO);
            if (msg && !*errors)
                snprintf(msg, msglen, "%s", sk_decoder_errmsg(d));
            (*errors)++;
        }
    }
    sk_decoder_destroy(d);
}

/* A line of n numbers 1,2,3,... with the given separator. */
static void numbers_line(char *buf, size_t cap, int n, const char *sep,
                         const char *eol)
{
    size_t k = 0;
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%d.25", i ? sep : "", i + 1);
    snprintf(buf + k, cap - k, "%s", eol);
}

static void test_text_lines(void)
{
    static char line[16384];
    int fr, er;
    sk_frame f;
    char msg[256];

    numbers_line(line, sizeof line, 60, ",", "\n");
    text_decode(line, 0, &fr, &er, &f, NULL, 0);
    CHECK(fr == 1 && er == 0);
    CHECK_EQ_INT(f.joint_set, SK_JOINTSET_KINECT1);
    CHECK_EQ_INT(f.njoints, 20);
    CHECK_EQ_INT(f.nbodies, 1);
    CHECK_EQ_INT(f.bodies[0].id, 0);
    CHECK_EQ_INT(f.seq, 0);
    CHECK_EQ_INT(f.timestamp_us, 0);
    CHECK(f.bodies[0].joints[0].x == 1.25f && f.bodies[0].joints[19].z == 60.25f);
    CHECK(f.bodies[0].joints[7].y == 23.25f);
    int all_tracked = 1;
    for (int j = 0; j < 20; j++)
        all_tracked &= f.bodies[0].joints[j].state == SK_TRACK_TRACKED;
    CHECK(all_tracked);

    numbers_line(line, sizeof line, 75, " ", "\r\n");
    text_decode(line, 0, &fr, &er, &f, NULL, 0);
    CHECK(fr == 1 && er == 0 && f.joint_set == SK_JOINTSET_KINECT2 && f.njoints == 25);

    /* Separators: comma, blanks, both, tabs, blanks around, trailing comma. */
    static const char *seps[] = {",", " ", ", ", " ,", "\t", " , ", ",\t ", "  "};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
        char tmp[8192];
        numbers_line(tmp, sizeof tmp, 60, seps[i], "");
        snprintf(line, sizeof line, "  \t%s%s\r\n", tmp, i % 2 ? " , " : "  ");
        text_decode(line, 0, &fr, &er, &f, NULL, 0);
        CHECK_MSG(fr == 1 && er == 0, "separator \"%s\"", seps[i]);
        CHECK(f.bodies[0].joints[19].z == 60.25f);
    }

    /* Wrong counts. */
    static const int counts[] = {0 + 1, 3, 57, 59, 61, 63, 74, 76, 150};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        numbers_line(line, sizeof line, counts[i], ",", "\n");
        text_decode(line, 0, &fr, &er, NULL, msg, sizeof msg);
        CHECK_MSG(fr == 0 && er == 1, "%d numbers", counts[i]);
    }
    numbers_line(line, sizeof line, 59, ",", "\n");
    text_decode(line, 0, &fr, &er, NULL, msg, sizeof msg);
    CHECK_MSG(!strcmp(msg, "line 1: 59 numbers, expected 60 or 75"), "%s", msg);
    /* A configured joint count accepts only its own. */
    numbers_line(line, sizeof line, 75, ",", "\n");
    text_decode(line, 20, &fr, &er, NULL, msg, sizeof msg);
    CHECK(fr == 0 && er == 1);
    CHECK_MSG(strstr(msg, "75 numbers, expected 60") != NULL, "%s", msg);
    text_decode(line, 25, &fr, &er, NULL, NULL, 0);
    CHECK(fr == 1 && er == 0);

    /* Bad fields, each in place of number 30 of a good line. */
    static const char *bad[] = {"nan", "NaN", "inf", "-inf", "1e999", "abc", "",
                                "1.2.3", "0x10", "1e", "--1", "1,", "3.5x",
                                "\"1\"", "1;2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t k = 0;
        for (int n = 0; n < 60; n++)
            k += (size_t)snprintf(line + k, sizeof line - k, "%s%s",
                                  n ? "," : "", n == 29 ? bad[i] : "0.5");
        snprintf(line + k, sizeof line - k, "\n");
        text_decode(line, 0, &fr, &er, NULL, msg, sizeof msg);
        CHECK_MSG(fr == 0 && er == 1, "field \"%s\": %d frames %d errors", bad[i], fr, er);
        CHECK(strncmp(msg, "line 1: ", 8) == 0);
    }
    /* Leading comma, double comma. */
    numbers_line(line + 1, sizeof line - 1, 60, ",", "\n");
    line[0] = ',';
    text_decode(line, 0, &fr, &er, NULL, NULL, 0);
    CHECK(fr == 0 && er == 1);
    numbers_line(line, sizeof line, 60, ",,", "\n");
    text_decode(line, 0, &fr, &er, NULL, msg, sizeof msg);
    CHECK(fr == 0 && er == 1 && strstr(msg, "empty field"));

    /* Blank lines are skipped silently; line numbers count them. */
    static char two[8192 * 4];
    numbers_line(line, sizeof line, 59, ",", "\n");
    char good[8192];
    numbers_line(good, sizeof good, 60, ",", "\n");
    snprintf(two, sizeof two, "\n \r\n%s\n%s%s", good, line, good);
    text_decode(two, 0, &fr, &er, NULL, msg, sizeof msg);
    CHECK(fr == 2 && er == 1);
    CHECK_MSG(strncmp(msg, "line 5: ", 8) == 0, "%s", msg);
}

/* NUL padding as the original sender wrote it: each line in a fixed-size
 * NUL-padded buffer. */
static void test_text_nul_padding(void)
{
    enum { PAD = 2048, N = 20 };
    static char stream[PAD * N];
    memset(stream, 0, sizeof stream);
    sk_frame ref[N];
    for (int i = 0; i < N; i++) {
        make_frame(&ref[i], i % 2 ? SK_JOINTSET_KINECT2 : SK_JOINTSET_KINECT1, 1, (uint64_t)i);
        CHECK(sk_text_encode(&ref[i], 0, 9, stream + i * PAD, PAD) > 0);
    }
    sk_decoder_config cfg = {SK_PROTO_AUTO, 0, 0};
    size_t chunks[] = {1, 7, 300, 4096};
    for (int c = 0; c < 4; c++) {
        result r;
        result_init(&r, N);
        CHECK(decode_stream(&cfg, (uint8_t *)stream, sizeof stream, &chunks[c], 1, &r) == 0);
        CHECK_EQ_INT(r.nframes, N);
        CHECK_EQ_INT(r.nerrors, 0);
        CHECK_EQ_INT(r.pending, 0);
        int same = 1;
        for (int i = 0; i < N && i < r.nframes; i++) {
            sk_frame *g = &r.frames[i];
            same &= g->seq == (uint64_t)i && g->njoints == ref[i].njoints;
            for (int j = 0; j < g->njoints; j++)
                same &= g->bodies[0].joints[j].x == ref[i].bodies[0].joints[j].x &&
                        g->bodies[0].joints[j].z == ref[i].bodies[0].joints[j].z;
        }
        CHECK(same);
        result_free(&r);
    }
}

/* Text round trips: %.9g exact, %f as strtof reads it. */
static void test_text_roundtrip(void)
{
    static char line[4096];
    int bad = 0;
    for (int k = 0; k < 2000; k++) {
        int js = k % 2 ? SK_JOINTSET_KINECT2 : SK_JOINTSET_KINECT1;
        sk_frame f, g;
        make_frame(&f, js, 1, 0);
        if (k % 3 == 0) /* any finite float, not just plausible ones */
            for (int j = 0; j < f.njoints; j++) {
                uint32_t u = (uint32_t)rnd() & 0xBF7FFFFFu; /* exponent < 255 */
                memcpy(&f.bodies[0].joints[j].y, &u, 4);
            }
        int n = sk_text_encode(&f, 0, 9, line, sizeof line);
        if (n <= 0 || line[n - 1] != '\n' || (size_t)n != strlen(line)) {
            bad++;
            continue;
        }
        char msg[128];
        if (sk__text_parse_line(line, line + n - 1, 0, &g, msg, sizeof msg) != 0) {
            bad++;
            continue;
        }
        for (int j = 0; j < f.njoints; j++) {
            const sk_joint *a = &f.bodies[0].joints[j], *b = &g.bodies[0].joints[j];
            bad += fbits(a->x) != fbits(b->x) || fbits(a->y) != fbits(b->y) ||
                   fbits(a->z) != fbits(b->z);
        }
        /* %f, like the original sender: read back as strtof reads it. */
        size_t m = 0;
        float want[75];
        for (int j = 0; j < f.njoints; j++) {
            const sk_joint *a = &f.bodies[0].joints[j];
            float c[3] = {a->x, a->y, a->z};
            for (int i = 0; i < 3; i++) {
                char tok[64];
                snprintf(tok, sizeof tok, "%f", (double)c[i]);
                want[3 * j + i] = strtof(tok, NULL);
                m += (size_t)snprintf(line + m, sizeof line - m, "%s%s",
                                      (i || j) ? ", " : "", tok);
            }
        }
        if (k % 3 == 0) /* huge %f numbers make lines too long: skip */
            continue;
        if (sk__text_parse_line(line, line + m, 0, &g, msg, sizeof msg) != 0) {
            bad++;
            continue;
        }
        for (int j = 0; j < f.njoints; j++) {
            const sk_joint *b = &g.bodies[0].joints[j];
            bad += fbits(want[3 * j]) != fbits(b->x) ||
                   fbits(want[3 * j + 1]) != fbits(b->y) ||
                   fbits(want[3 * j + 2]) != fbits(b->z);
        }
    }
    CHECK_EQ_INT(bad, 0);

    /* Encoder errors. */
    sk_frame f;
    make_frame(&f, SK_JOINTSET_KINECT1, 2, 0);
    CHECK_EQ_INT(sk_text_encode(&f, 0, 9, line, 10), SK_ELIMIT);
    CHECK_EQ_INT(sk_text_encode(&f, 2, 9, line, sizeof line), SK_EINVAL);
    CHECK_EQ_INT(sk_text_encode(&f, -1, 9, line, sizeof line), SK_EINVAL);
    int n = sk_text_encode(&f, 1, 9, line, sizeof line);
    CHECK(n > 0);
    CHECK_EQ_INT(sk_text_encode(&f, 1, 9, line, (size_t)n), SK_ELIMIT);
    CHECK_EQ_INT(sk_text_encode(&f, 1, 9, line, (size_t)n + 1), n);
    f.bodies[1].joints[3].x = NAN;
    CHECK_EQ_INT(sk_text_encode(&f, 1, 9, line, sizeof line), SK_EINVAL);
    f.njoints = 21;
    CHECK_EQ_INT(sk_text_encode(&f, 0, 9, line, sizeof line), SK_EINVAL);
}

/* ---- binary --------------------------------------------------------------- */

static void test_binary_roundtrip(void)
{
    uint8_t buf[SK_BINARY_MAX_FRAME];
    int bad = 0;
    for (int k = 0; k < 500; k++) {
        int js = k % 2 ? SK_JOINTSET_KINECT2 : SK_JOINTSET_KINECT1;
        int nb = k % (SK_MAX_BODIES + 1);
        sk_frame f, g;
        make_frame(&f, js, nb, rnd());
        if (k % 5 == 0 && nb) { /* odd but finite floats: -0, subnormal, max */
            f.bodies[0].joints[0].x = -0.0f;
            f.bodies[0].joints[1].y = 1e-45f;
            f.bodies[0].joints[2].z = 3.4028235e38f;
        }
        int n = sk_binary_encode(&f, buf, sizeof buf);
        int want = SK_BINARY_HEADER_SIZE + nb * (4 + 13 * f.njoints) + 4;
        if (n != want) {
            bad++;
            continue;
        }
        sk_binary_part part = {-1, -1};
        if (sk_binary_decode(buf, (size_t)n, &g, &part) != n || !frame_equal(&f, &g) ||
            part.first_body != 0 || part.frame_bodies != nb)
            bad++;
        /* One message per body. */
        for (int b = 0; b < nb; b++) {
            int m = sk_binary_encode_body(&f, b, buf, sizeof buf);
            if (m != SK_BINARY_HEADER_SIZE + 4 + 13 * f.njoints + 4 ||
                sk_binary_decode(buf, (size_t)m, &g, &part) != m ||
                part.first_body != b || part.frame_bodies != nb || g.nbodies != 1 ||
                g.seq != f.seq || g.timestamp_us != f.timestamp_us ||
                g.bodies[0].id != f.bodies[b].id)
                bad++;
            for (int j = 0; j < f.njoints; j++) {
                const sk_joint *p = &g.bodies[0].joints[j], *q = &f.bodies[b].joints[j];
                bad += fbits(p->x) != fbits(q->x) || fbits(p->y) != fbits(q->y) ||
                       fbits(p->z) != fbits(q->z) || p->state != q->state;
            }
            if (m > 1472 / 4) /* far below one UDP datagram of 1472 */
                bad++;
        }
    }
    CHECK_EQ_INT(bad, 0);

    /* Encoder limits and bad frames. */
    sk_frame f;
    make_frame(&f, SK_JOINTSET_KINECT2, 3, 1);
    int n = sk_binary_encode(&f, buf, sizeof buf);
    CHECK(n > 0);
    CHECK_EQ_INT(sk_binary_encode(&f, buf, (size_t)n - 1), SK_ELIMIT);
    CHECK_EQ_INT(sk_binary_encode_body(&f, 3, buf, sizeof buf), SK_EINVAL);
    CHECK_EQ_INT(sk_binary_encode_body(&f, 0, buf, 20), SK_ELIMIT);
    sk_frame g = f;
    g.nbodies = SK_MAX_BODIES + 1;
    CHECK_EQ_INT(sk_binary_encode(&g, buf, sizeof buf), SK_EINVAL);
    g = f;
    g.njoints = 20;
    CHECK_EQ_INT(sk_binary_encode(&g, buf, sizeof buf), SK_EINVAL);
    g = f;
    g.joint_set = 9;
    CHECK_EQ_INT(sk_binary_encode(&g, buf, sizeof buf), SK_EINVAL);
    g = f;
    g.bodies[2].joints[4].y = INFINITY;
    CHECK_EQ_INT(sk_binary_encode(&g, buf, sizeof buf), SK_EINVAL);
    g = f;
    g.bodies[1].joints[4].state = 3;
    CHECK_EQ_INT(sk_binary_encode(&g, buf, sizeof buf), SK_EINVAL);

    /* One-shot decode errors. */
    sk_frame h;
    CHECK_EQ_INT(sk_binary_decode(buf, 10, &h, NULL), SK_EAGAIN);
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n - 1, &h, NULL), SK_EAGAIN);
    buf[n - 40] ^= 0x10;
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &h, NULL), SK_ECHECKSUM);
    buf[n - 40] ^= 0x10;
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &h, NULL), n);
    buf[0] = 'X';
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &h, NULL), SK_EPROTO);
    CHECK_EQ_INT(sk_binary_decode(buf, 2, &h, NULL), SK_EPROTO);
    buf[0] = 'S';
    buf[4] = 2; /* version */
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &h, NULL), SK_EPROTO);
    buf[4] = 1;
    /* A NaN with a correct CRC is still an error. */
    g = f;
    n = sk_binary_encode(&g, buf, sizeof buf);
    uint32_t nan_bits = 0x7FC00001u;
    memcpy(buf + SK_BINARY_HEADER_SIZE + 4 + 12 * 3, &nan_bits, 4); /* LE host */
    uint32_t crc = sk_crc32(0, buf, (size_t)n - 4);
    for (int i = 0; i < 4; i++)
        buf[n - 4 + i] = (uint8_t)(crc >> (8 * i));
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &h, NULL), SK_EPROTO);
    /* Tracking states above 2, with a correct CRC, are errors too. */
    static const uint8_t states[] = {3, 4, 7, 128, 255, 2};
    for (int i = 0; i < 6; i++) {
        n = sk_binary_encode(&g, buf, sizeof buf);
        buf[SK_BINARY_HEADER_SIZE + 4 + 12 * 25 + 9] = states[i];
        crc = sk_crc32(0, buf, (size_t)n - 4);
        for (int k = 0; k < 4; k++)
            buf[n - 4 + k] = (uint8_t)(crc >> (8 * k));
        CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &h, NULL),
                     states[i] <= 2 ? n : SK_EPROTO);
    }
}

/* Build a stream of nf binary frames (with nbodies cycling). */
static size_t binary_stream(uint8_t *out, size_t cap, sk_frame *frames, int nf)
{
    size_t n = 0;
    for (int i = 0; i < nf; i++) {
        make_frame(&frames[i], i % 3 ? SK_JOINTSET_KINECT1 : SK_JOINTSET_KINECT2,
                   i % 4, (uint64_t)i * 7 + 1);
        int k = sk_binary_encode(&frames[i], out + n, cap - n);
        if (k < 0)
            return 0;
        n += (size_t)k;
    }
    return n;
}

/* A corrupt frame costs that frame only, wherever the flipped bit is. */
static void test_binary_crc_flip(void)
{
    uint8_t s[3 * SK_BINARY_MAX_FRAME];
    sk_frame fr[3];
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        make_frame(&fr[i], SK_JOINTSET_KINECT1, 1, (uint64_t)i);
        n += (size_t)sk_binary_encode(&fr[i], s + n, sizeof s - n);
    }
    size_t len = n / 3, bad = 0;
    sk_decoder_config cfg = {SK_PROTO_BINARY, 0, 0};
    size_t whole = sizeof s;
    for (size_t bit = 0; bit < len * 8; bit++) {
        s[len + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        result r;
        result_init(&r, 3);
        decode_stream(&cfg, s, n, &whole, 1, &r);
        if (r.nframes != 2 || r.nerrors != 1 || r.st.errors != 1 ||
            !frame_equal(&r.frames[0], &fr[0]) || !frame_equal(&r.frames[1], &fr[2]) ||
            r.st.skipped != len)
            bad++;
        result_free(&r);
        s[len + bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    CHECK_EQ_INT(bad, 0);
}

/* A huge length field is refused from the header alone: no waiting. */
static void test_binary_huge_length(void)
{
    uint8_t buf[SK_BINARY_MAX_FRAME];
    sk_frame f;
    make_frame(&f, SK_JOINTSET_KINECT1, 1, 5);
    int n = sk_binary_encode(&f, buf, sizeof buf);
    buf[8] = buf[9] = buf[10] = buf[11] = 0xFF;
    sk_decoder *d;
    sk_decoder_config cfg = {SK_PROTO_BINARY, 0, 0};
    CHECK(sk_decoder_create(&d, &cfg) == 0);
    CHECK_EQ_INT(sk_decoder_feed(d, buf, SK_BINARY_HEADER_SIZE), SK_BINARY_HEADER_SIZE);
    sk_frame g;
    CHECK_EQ_INT(sk_decoder_next(d, &g), SK_EPROTO);
    CHECK(strstr(sk_decoder_errmsg(d), "length") != NULL);
    CHECK_EQ_INT(sk_decoder_next(d, &g), SK_EAGAIN);
    CHECK_EQ_INT(sk_decoder_pending(d), 0);
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &g, NULL), SK_EPROTO);
    /* Too many bodies. */
    n = sk_binary_encode(&f, buf, sizeof buf);
    buf[7] = SK_MAX_BODIES + 1;
    buf[12] = SK_MAX_BODIES + 1;
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &g, NULL), SK_EPROTO);
    buf[7] = 1;
    buf[12] = 1;
    buf[13] = 1; /* first body 1 of 1 */
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &g, NULL), SK_EPROTO);
    buf[13] = 0;
    buf[6] = 25; /* joints do not match Kinect v1 */
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &g, NULL), SK_EPROTO);
    buf[6] = 20;
    buf[15] = 1; /* reserved */
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &g, NULL), SK_EPROTO);
    buf[15] = 0;
    CHECK_EQ_INT(sk_binary_decode(buf, (size_t)n, &g, NULL), n);
    sk_decoder_destroy(d);
}

/* ---- every split, chunk sizes, garbage ------------------------------------ */

static void test_split_everywhere(void)
{
    enum { NF = 6 };
    static uint8_t s[NF * SK_BINARY_MAX_FRAME];
    sk_frame fr[NF];
    size_t n = binary_stream(s, sizeof s, fr, NF);
    CHECK(n > 0);
    static char t[NF * 2048];
    size_t tn = 0;
    for (int i = 0; i < NF; i++) {
        sk_frame g;
        make_frame(&g, i % 2 ? SK_JOINTSET_KINECT2 : SK_JOINTSET_KINECT1, 1, 0);
        tn += (size_t)sk_text_encode(&g, 0, 9, t + tn, sizeof t - tn);
        if (i == 2) /* a bad line in the middle */
            tn += (size_t)snprintf(t + tn, sizeof t - tn, "1,2,3\r\n");
    }
    struct {
        int proto;
        const uint8_t *s;
        size_t n;
        int frames, errors;
    } cases[] = {
        {SK_PROTO_BINARY, s, n, NF, 0},
        {SK_PROTO_AUTO, s, n, NF, 0},
        {SK_PROTO_TEXT, (uint8_t *)t, tn, NF, 1},
        {SK_PROTO_AUTO, (uint8_t *)t, tn, NF, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sk_decoder_config cfg = {cases[c].proto, 0, 0};
        result ref;
        result_init(&ref, NF);
        size_t whole = cases[c].n;
        decode_stream(&cfg, cases[c].s, cases[c].n, &whole, 1, &ref);
        CHECK_EQ_INT(ref.nframes, cases[c].frames);
        CHECK_EQ_INT(ref.nerrors, cases[c].errors);
        if (cases[c].s == s)
            for (int i = 0; i < NF && i < ref.nframes; i++)
                CHECK(frame_equal(&ref.frames[i], &fr[i]));
        int bad = 0;
        for (size_t cut = 0; cut <= cases[c].n; cut++) {
            size_t ch[2] = {cut, cases[c].n};
            result r;
            result_init(&r, NF);
            if (decode_stream(&cfg, cases[c].s, cases[c].n, ch, 2, &r) != 0 ||
                !results_same(&r, &ref))
                bad++;
            result_free(&r);
        }
        CHECK_MSG(bad == 0, "case %zu: %d splits differ", c, bad);
        /* 1 byte, 3 bytes, 1 MB at a time. */
        size_t sizes[] = {1, 3, 1 << 20};
        for (int k = 0; k < 3; k++) {
            result r;
            result_init(&r, NF);
            CHECK(decode_stream(&cfg, cases[c].s, cases[c].n, &sizes[k], 1, &r) == 0);
            CHECK_MSG(results_same(&r, &ref), "case %zu chunk %zu", c, sizes[k]);
            result_free(&r);
        }
        result_free(&ref);
    }
}

/* A long stream fed 1 byte vs 1 MB (and random sizes) at a time, with
 * garbage between frames: the same frames, errors and counts. */
static void test_chunk_sizes_and_garbage(void)
{
    enum { NF = 3000 };
    size_t cap = (size_t)NF * (SK_BINARY_MAX_FRAME / 3 + 64);
    uint8_t *s = malloc(cap);
    sk_frame *fr = malloc(NF * sizeof *fr);
    size_t n = 0;
    int garbage_runs = 0;
    for (int i = 0; i < NF; i++) {
        make_frame(&fr[i], i % 2 ? SK_JOINTSET_KINECT1 : SK_JOINTSET_KINECT2,
                   1 + i % 2, (uint64_t)i);
        n += (size_t)sk_binary_encode(&fr[i], s + n, cap - n);
        if (i % 10 == 3) { /* garbage without an 'S' */
            int g = 1 + (int)(rnd() % 40);
            for (int k = 0; k < g; k++) {
                uint8_t b = (uint8_t)rnd();
                s[n++] = b == 'S' ? 'T' : b;
            }
            garbage_runs++;
        }
    }
    sk_decoder_config cfg = {SK_PROTO_BINARY, 0, 0};
    result one, big, mixed;
    size_t c1 = 1, cbig = 1 << 20, cmix[] = {1, 977, 2, 65536, 31, 300, 5000};
    result_init(&one, NF);
    result_init(&big, NF);
    result_init(&mixed, NF);
    CHECK(decode_stream(&cfg, s, n, &c1, 1, &one) == 0);
    CHECK(decode_stream(&cfg, s, n, &cbig, 1, &big) == 0);
    CHECK(decode_stream(&cfg, s, n, cmix, 7, &mixed) == 0);
    CHECK_EQ_INT(big.nframes, NF);
    CHECK_EQ_INT(big.nerrors, garbage_runs);
    CHECK_EQ_INT(big.st.errors, garbage_runs);
    CHECK_EQ_INT(big.st.bytes, n);
    int same = 1;
    for (int i = 0; i < NF && i < big.nframes; i++)
        same &= frame_equal(&big.frames[i], &fr[i]);
    CHECK(same);
    CHECK(results_same(&one, &big));
    CHECK(results_same(&mixed, &big));
    result_free(&one);
    result_free(&big);
    result_free(&mixed);

    /* Text with garbage lines. */
    size_t tn = 0;
    int glines = 0;
    char *t = (char *)s;
    for (int i = 0; i < NF / 3; i++) {
        sk_frame g;
        make_frame(&g, SK_JOINTSET_KINECT1, 1, 0);
        tn += (size_t)sk_text_encode(&g, 0, 9, t + tn, cap - tn);
        if (i % 7 == 0) {
            int len = (int)(rnd() % 100);
            for (int k = 0; k < len; k++) {
                char ch = (char)(rnd() % 256);
                t[tn++] = ch == '\n' || ch == 0 ? 'x' : ch;
            }
            t[tn++] = 'x';
            t[tn++] = '\n';
            glines++;
        }
    }
    cfg.proto = SK_PROTO_TEXT;
    result_init(&one, NF);
    result_init(&big, NF);
    CHECK(decode_stream(&cfg, s, tn, &c1, 1, &one) == 0);
    CHECK(decode_stream(&cfg, s, tn, &cbig, 1, &big) == 0);
    CHECK_EQ_INT(big.nframes, NF / 3);
    CHECK_EQ_INT(big.nerrors, glines);
    CHECK(results_same(&one, &big));
    for (int i = 0; i < big.nframes && i < NF; i++)
        CHECK(big.frames[i].seq == (uint64_t)i);
    result_free(&one);
    result_free(&big);
    free(s);
    free(fr);
}

/* Random bytes never crash the decoder; everything is counted. */
static void test_random_bytes(void)
{
    size_t n = 1 << 20;
    uint8_t *s = malloc(n);
    for (int proto = 0; proto < 3; proto++) {
        for (size_t i = 0; i < n; i++) {
            s[i] = (uint8_t)rnd();
            if (proto == SK_PROTO_TEXT && i % 50 == 0)
                s[i] = '\n'; /* many short lines too */
        }
        sk_decoder_config cfg = {proto, 0, 0};
        size_t ch[] = {1, 4000, 17, 65536, 333};
        result r;
        result_init(&r, 0);
        CHECK(decode_stream(&cfg, s, n, ch, 5, &r) == 0);
        CHECK_EQ_INT(r.nframes, 0);
        CHECK(r.nerrors > 0);
        CHECK_EQ_INT(r.st.errors, r.nerrors);
        CHECK_EQ_INT(r.st.frames, 0);
        CHECK_EQ_INT(r.st.bytes, n);
        CHECK(r.st.skipped <= n);
        result_free(&r);
    }
    free(s);
}

/* Overlong lines cost one error each, the buffer does not grow, and the
 * decoder goes on with the next line. */
static void test_overlong_lines(void)
{
    char good[2048];
    sk_frame f;
    make_frame(&f, SK_JOINTSET_KINECT1, 1, 0);
    int gl = sk_text_encode(&f, 0, 9, good, sizeof good);
    CHECK(gl > 0);
    if (gl <= 0)
        return;

    /* max_line exactly: a good line padded with blanks to max_line bytes is
     * taken; one more byte is an error. */
    size_t max = 1500;
    sk_decoder_config cfg = {SK_PROTO_TEXT, 0, max};
    char *s = malloc(4 * max);
    size_t n = 0;
    memcpy(s, good, (size_t)gl - 1);
    n = (size_t)gl - 1;
    while (n < max)
        s[n++] = ' ';
    s[n++] = '\n';
    memcpy(s + n, good, (size_t)gl - 1);
    size_t n2 = n + (size_t)gl - 1;
    while (n2 < n + max + 1)
        s[n2++] = ' ';
    s[n2++] = '\n';
    memcpy(s + n2, good, (size_t)gl);
    n2 += (size_t)gl;
    size_t ch[] = {1, 100, 4096};
    for (int k = 0; k < 3; k++) {
        result r;
        result_init(&r, 4);
        CHECK(decode_stream(&cfg, (uint8_t *)s, n2, &ch[k], 1, &r) == 0);
        CHECK_EQ_INT(r.nframes, 2);
        CHECK_EQ_INT(r.nerrors, 1);
        result_free(&r);
    }
    free(s);

    /* An endless line of 10 MB fed in pieces, then a good line. */
    sk_decoder *d;
    cfg.max_line = 0; /* SK_MAX_LINE */
    CHECK(sk_decoder_create(&d, &cfg) == 0);
    static char junk[70001];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = "0123456789,. "[i % 13];
    size_t fed = 0, total = 10u << 20;
    int errors = 0, frames = 0, stuck = 0;
    sk_frame g;
    while (fed < total) {
        size_t want = sizeof junk;
        if (want > total - fed)
            want = total - fed;
        size_t k = sk_decoder_feed(d, junk, want);
        if (k == 0)
            stuck++;
        fed += k;
        int rc;
        while ((rc = sk_decoder_next(d, &g)) != SK_EAGAIN) {
            if (rc == SK_EPROTO) {
                errors++;
                CHECK(strstr(sk_decoder_errmsg(d), "longer than") != NULL);
            } else
                frames++;
        }
        if (stuck > 2)
            break;
    }
    CHECK_EQ_INT(stuck, 0);
    CHECK_EQ_INT(errors, 1);
    CHECK_EQ_INT(frames, 0);
    CHECK_EQ_INT(sk_decoder_pending(d), 0);
    /* The line ends; the next one decodes. */
    sk_decoder_feed(d, "\n", 1);
    sk_decoder_feed(d, good, (size_t)gl);
    int rc = sk_decoder_next(d, &g);
    CHECK_EQ_INT(rc, 0);
    CHECK_EQ_INT(g.seq, 0);
    CHECK_EQ_INT(sk_decoder_next(d, &g), SK_EAGAIN);
    sk_decoder_stats st;
    sk_decoder_get_stats(d, &st);
    CHECK_EQ_INT(st.errors, 1);
    CHECK_EQ_INT(st.frames, 1);
    CHECK_EQ_INT(st.bytes, total + 1 + (size_t)gl);
    CHECK_EQ_INT(st.skipped, total + 1);
    sk_decoder_destroy(d);
}

/* Half frames at the end of a stream are pending, not frames. */
static void test_half_frames(void)
{
    uint8_t buf[2 * SK_BINARY_MAX_FRAME];
    sk_frame f, g;
    make_frame(&f, SK_JOINTSET_KINECT1, 1, 3);
    int n = sk_binary_encode(&f, buf, sizeof buf);
    sk_binary_encode(&f, buf + n, sizeof buf - (size_t)n);
    sk_decoder *d;
    CHECK(sk_decoder_create(&d, NULL) == 0);
    CHECK_EQ_INT(sk_decoder_proto(d), SK_PROTO_AUTO);
    CHECK_EQ_INT(sk_decoder_pending(d), 0);
    sk_decoder_feed(d, buf, (size_t)n + 100);
    CHECK_EQ_INT(sk_decoder_next(d, &g), 0);
    CHECK_EQ_INT(sk_decoder_proto(d), SK_PROTO_BINARY);
    CHECK(frame_equal(&f, &g));
    CHECK_EQ_INT(sk_decoder_next(d, &g), SK_EAGAIN);
    CHECK_EQ_INT(sk_decoder_pending(d), 100);

    /* reset: a new connection, text this time; auto decides again. */
    sk_decoder_reset(d);
    CHECK_EQ_INT(sk_decoder_proto(d), SK_PROTO_AUTO);
    CHECK_EQ_INT(sk_decoder_pending(d), 0);
    char line[2048];
    int ln = sk_text_encode(&f, 0, 9, line, sizeof line);
    const char pad[3] = {0, 0, 0};
    sk_decoder_feed(d, pad, 3);
    sk_decoder_feed(d, line, (size_t)ln);
    sk_decoder_feed(d, " \0", 2);
    sk_decoder_feed(d, line, 50);
    CHECK_EQ_INT(sk_decoder_next(d, &g), 0);
    CHECK_EQ_INT(sk_decoder_proto(d), SK_PROTO_TEXT);
    CHECK_EQ_INT(sk_decoder_next(d, &g), SK_EAGAIN);
    size_t nb = 0;
    for (int i = 0; i < 50; i++)
        nb += line[i] != ' ';
    CHECK_EQ_INT(sk_decoder_pending(d), nb);
    sk_decoder_stats st;
    sk_decoder_get_stats(d, &st);
    CHECK_EQ_INT(st.frames, 2);
    CHECK_EQ_INT(st.errors, 0);
    sk_decoder_destroy(d);
}

/* feed() takes what fits and no more; next() drains; feed takes the rest. */
static void test_feed_full(void)
{
    enum { NF = 1000 };
    static char t[NF * 1200];
    size_t tn = 0;
    for (int i = 0; i < NF; i++) {
        sk_frame f;
        make_frame(&f, SK_JOINTSET_KINECT2, 1, 0);
        tn += (size_t)sk_text_encode(&f, 0, 9, t + tn, sizeof t - tn);
    }
    sk_decoder *d;
    sk_decoder_config cfg = {SK_PROTO_TEXT, 25, 0};
    CHECK(sk_decoder_create(&d, &cfg) == 0);
    size_t k = sk_decoder_feed(d, t, tn);
    CHECK(k > 0 && k < tn);
    CHECK_EQ_INT(sk_decoder_feed(d, t + k, tn - k), 0);
    size_t pos = k;
    int frames = 0, rc;
    sk_frame f;
    for (;;) {
        while ((rc = sk_decoder_next(d, &f)) == 0)
            frames++;
        CHECK_EQ_INT(rc, SK_EAGAIN);
        if (pos == tn)
            break;
        pos += sk_decoder_feed(d, t + pos, tn - pos);
    }
    CHECK_EQ_INT(frames, NF);
    sk_decoder_destroy(d);
}

/* Auto skips NULs and undecidable bytes before it decides; the next feed
 * moves the buffer (a fuzzer found the scan position going wrong here). */
static void test_auto_skip_then_feed(void)
{
    char line[2048];
    sk_frame f, g;
    make_frame(&f, SK_JOINTSET_KINECT1, 1, 0);
    int n = sk_text_encode(&f, 0, 9, line, sizeof line);
    static const char *const lead[] = {"\0\0\0", "#!", "\0#\0"};
    for (int i = 0; i < 3; i++) {
        sk_decoder *d;
        CHECK(sk_decoder_create(&d, NULL) == 0);
        sk_decoder_feed(d, lead[i], i == 1 ? 2 : 3);
        int rc = sk_decoder_next(d, &g);
        CHECK(rc == SK_EAGAIN || rc == SK_EPROTO);
        while (rc == SK_EPROTO)
            rc = sk_decoder_next(d, &g);
        CHECK_EQ_INT(rc, SK_EAGAIN);
        for (int k = 0; k < n; k += 5) {
            sk_decoder_feed(d, line + k, (size_t)(n - k < 5 ? n - k : 5));
            rc = sk_decoder_next(d, &g);
            CHECK_EQ_INT(rc, k + 5 >= n ? 0 : SK_EAGAIN);
        }
        CHECK_EQ_INT(sk_decoder_proto(d), SK_PROTO_TEXT);
        CHECK(fbits(g.bodies[0].joints[19].z) == fbits(strtof(strrchr(line, ',') + 1, NULL)));
        sk_decoder_destroy(d);
    }
}

static void test_names_and_config(void)
{
    CHECK_EQ_INT(sk_proto_from_name("auto"), SK_PROTO_AUTO);
    CHECK_EQ_INT(sk_proto_from_name("text"), SK_PROTO_TEXT);
    CHECK_EQ_INT(sk_proto_from_name("seed"), SK_PROTO_TEXT);
    CHECK_EQ_INT(sk_proto_from_name("binary"), SK_PROTO_BINARY);
    CHECK_EQ_INT(sk_proto_from_name("json"), -1);
    CHECK_EQ_INT(sk_proto_from_name(NULL), -1);
    CHECK(!strcmp(sk_proto_name(SK_PROTO_BINARY), "binary"));
    CHECK(!strcmp(sk_proto_name(SK_PROTO_TEXT), "text"));
    CHECK(!strcmp(sk_proto_name(SK_PROTO_AUTO), "auto"));
    CHECK(sk_proto_name(7) == NULL);
    sk_decoder *d = (sk_decoder *)1;
    sk_decoder_config bad1 = {5, 0, 0}, bad2 = {SK_PROTO_TEXT, 21, 0};
    CHECK_EQ_INT(sk_decoder_create(&d, &bad1), SK_EINVAL);
    CHECK(d == NULL);
    CHECK_EQ_INT(sk_decoder_create(&d, &bad2), SK_EINVAL);
    sk_decoder_destroy(NULL);
    /* Auto: a byte that starts nothing is one error per run. */
    CHECK(sk_decoder_create(&d, NULL) == 0);
    sk_decoder_feed(d, "#!@#", 4);
    sk_frame f;
    CHECK_EQ_INT(sk_decoder_next(d, &f), SK_EPROTO);
    CHECK(strstr(sk_decoder_errmsg(d), "0x23") != NULL);
    CHECK_EQ_INT(sk_decoder_next(d, &f), SK_EAGAIN);
    CHECK_EQ_INT(sk_decoder_proto(d), SK_PROTO_AUTO);
    sk_decoder_stats st;
    sk_decoder_get_stats(d, &st);
    CHECK_EQ_INT(st.errors, 1);
    CHECK_EQ_INT(st.skipped, 4);
    sk_decoder_destroy(d);
}

/* ---- docs/PROTOCOL.md's example ------------------------------------------ */

/* The example frame of docs/PROTOCOL.md: Kinect v1, one body. */
static void example_frame(sk_frame *f)
{
    sk_frame_init(f, SK_JOINTSET_KINECT1);
    f->seq = 42;
    f->timestamp_us = INT64_C(1700000000123456);
    f->nbodies = 1;
    f->bodies[0].id = 7;
    for (int j = 0; j < 20; j++) {
        f->bodies[0].joints[j].x = 0.25f * (float)(j % 5) - 0.5f;
        f->bodies[0].joints[j].y = 1.0f - 0.125f * (float)j;
        f->bodies[0].joints[j].z = 2.5f;
        f->bodies[0].joints[j].state = j == 7 ? SK_TRACK_INFERRED : SK_TRACK_TRACKED;
    }
}

static void test_protocol_example(void)
{
    FILE *fp = fopen("docs/PROTOCOL.md", "r");
    CHECK_MSG(fp != NULL, "docs/PROTOCOL.md not found (run from the source folder)");
    if (!fp)
        return;
    static char doc[65536];
    size_t dn = fread(doc, 1, sizeof doc - 1, fp);
    fclose(fp);
    doc[dn] = '\0';
    const char *a = strstr(doc, "<!-- example-hex-begin -->");
    const char *b = a ? strstr(a, "<!-- example-hex-end -->") : NULL;
    CHECK(a && b);
    if (!a || !b)
        return;
    uint8_t bin[SK_BINARY_MAX_FRAME];
    size_t n = 0;
    /* Hex pairs after each "offset:" on the lines of the block. */
    for (const char *p = strchr(a, '\n'); p && p < b; p = strchr(p + 1, '\n')) {
        const char *q = p + 1, *colon = strchr(q, ':'), *eol = strchr(q, '\n');
        if (!colon || !eol || colon > eol || colon >= b)
            continue;
        for (q = colon + 1; q + 1 < eol && n < sizeof bin;) {
            unsigned v;
            if (*q == ' ') {
                q++;
                continue;
            }
            if (sscanf(q, "%2x", &v) != 1)
                break;
            bin[n++] = (uint8_t)v;
            q += 2;
        }
    }
    sk_frame want, got;
    example_frame(&want);
    uint8_t enc[SK_BINARY_MAX_FRAME];
    int en = sk_binary_encode(&want, enc, sizeof enc);
    CHECK_EQ_INT(n, en);
    CHECK(en > 0 && n == (size_t)en && memcmp(bin, enc, n) == 0);
    CHECK_EQ_INT(sk_binary_decode(bin, n, &got, NULL), (int)n);
    CHECK(frame_equal(&want, &got));
    if (getenv("SK_PRINT_EXAMPLE")) /* to regenerate the doc's block */
        for (int i = 0; i < en; i++) {
            if (i % 16 == 0)
                printf("%04x:", i);
            printf(" %02x%s", enc[i], i % 16 == 15 || i == en - 1 ? "\n" : "");
        }
}

int main(void)
{
    RUN(test_crc32);
    RUN(test_parse_float_vs_strtof);
    RUN(test_text_lines);
    RUN(test_text_nul_padding);
    RUN(test_text_roundtrip);
    RUN(test_binary_roundtrip);
    RUN(test_binary_crc_flip);
    RUN(test_binary_huge_length);
    RUN(test_split_everywhere);
    RUN(test_chunk_sizes_and_garbage);
    RUN(test_random_bytes);
    RUN(test_overlong_lines);
    RUN(test_half_frames);
    RUN(test_feed_full);
    RUN(test_auto_skip_then_feed);
    RUN(test_names_and_config);
    RUN(test_protocol_example);
    return check_report();
}
