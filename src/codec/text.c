/* Seed text: one frame per line, 3*J decimal numbers separated by commas
 * and/or blanks (docs/PROTOCOL.md). Numbers read back exactly as strtof
 * would read them, but mostly without calling it: see sk__codec_parse_float. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec_internal.h"

/* Exact powers of ten in double: 10^22 is the largest with an exact one. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define IS_DIGIT(c) ((unsigned)((c) - '0') < 10u)
#define IS_BLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\r')

/* strtof on the token [s, p): on a NUL-terminated copy when it is short,
 * in place otherwise (the caller guarantees a non-number byte after it). */
static int parse_slow(const char *s, const char *p, float *out)
{
    char tmp[128];
    size_t n = (size_t)(p - s);
    const char *str = s;
    char *endp;
    if (n < sizeof tmp) {
        memcpy(tmp, s, n);
        tmp[n] = '\0';
        str = tmp;
    }
    errno = 0;
    float v = strtof(str, &endp);
    if ((size_t)(endp - str) != n || !isfinite(v))
        return SK_EPROTO;
    *out = v;
    return 0;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    (defined(__GNUC__) || defined(__clang__))
#define SK_SWAR_DIGITS 1
/* The 8 bytes at p (all readable): how many leading bytes are decimal
 * digits (0..8), their value, and how many of those are leading '0's.
 * After simdjson's parse_eight_digits_unrolled. */
static inline int swar_digits(const char *p, uint64_t *val, int *zeros)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t x = w ^ (0x30 * ones); /* '0'..'9' -> 0..9, others -> 10..255 */
    /* A byte is no digit iff x > 9: x + 0x76 reaches bit 7 (a carry out of
     * a byte >= 0x8a only disturbs later bytes, after the first non-digit). */
    uint64_t nondigit = ((x + 0x76 * ones) | x) & high;
    int n = nondigit ? __builtin_ctzll(nondigit) >> 3 : 8;
    if (n == 0)
        return 0;
    uint64_t nonzero = (x + 0x7f * ones) & high;
    *zeros = nonzero ? __builtin_ctzll(nonzero) >> 3 : 8;
    uint64_t d = x << (8 * (8 - n)); /* n digits, after 8 - n zero digits */
    d = d * 10 + (d >> 8);
    d = ((d & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) +
         ((d >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >> 32;
    *val = (uint32_t)d;
    return n;
}

static const uint64_t pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000,
                                      1000000, 10000000, 100000000};
#endif

/* Add the digits at *pp to m (nd significant digits so far, at most 19
 * kept); returns how many digits were read; *dropped counts the ones that
 * did not fit. */
static inline size_t read_digits(const char **pp, const char *end, uint64_t *m,
                                 int *nd, long *dropped)
{
    const char *p = *pp, *p0 = p;
#ifdef SK_SWAR_DIGITS
    while (end - p >= 8) {
        uint64_t v;
        int zeros = 0;
        int n = swar_digits(p, &v, &zeros);
        if (n == 0)
            break;
        int sig = *m ? n : (zeros < n ? n - zeros : 0);
        if (*nd + sig > 19)
            break; /* the slow loop below counts what fits */
        *m = *m * pow10_u64[n] + v;
        *nd += sig;
        p += n;
        if (n < 8)
            goto done;
    }
#endif
    for (; p < end && IS_DIGIT(*p); p++) {
        if (*nd < 19) {
            *m = *m * 10 + (unsigned)(*p - '0');
            *nd += *m != 0;
        } else {
            (*dropped)++;
        }
    }
#ifdef SK_SWAR_DIGITS
done:
#endif
    *pp = p;
    return (size_t)(p - p0);
}

/* Inlined into the line loop: a call per number costs ~15% of text decode. */
static inline __attribute__((always_inline)) int
parse_float(const char *s, const char *end, const char **next, float *out)
{
    const char *p = s;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int nd = 0;       /* significant digits in m */
    long dropped = 0; /* significant digits that did not fit in m */
    long exp10 = 0;
    size_t ndigits = read_digits(&p, end, &m, &nd, &dropped);
    exp10 += dropped; /* integer digits past the 19th: scale up */
    if (p < end && *p == '.') {
        p++;
        long before = dropped;
        size_t nf = read_digits(&p, end, &m, &nd, &dropped);
        exp10 -= (long)nf - (dropped - before); /* kept fraction digits */
        ndigits += nf;
    }
    if (ndigits == 0)
        return SK_EPROTO;
    if (p < end && (*p == 'e' || *p == 'E')) {
        const char *q = p + 1;
        int eneg = 0;
        long e = 0;
        if (q < end && (*q == '+' || *q == '-')) {
            eneg = *q == '-';
            q++;
        }
        if (!(q < end && IS_DIGIT(*q)))
            return SK_EPROTO; /* "1e" or "1e+": strtof would stop before 'e' */
        for (; q < end && IS_DIGIT(*q); q++)
            if (e < 100000)
                e = e * 10 + (*q - '0');
        exp10 += eneg ? -e : e;
        p = q;
    }
    *next = p;
    if (m == 0 && !dropped) {
        *out = neg ? -0.0f : 0.0f;
        return 0;
    }
    if (!dropped && m < (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        /* One correctly rounded operation on exact operands: d is the
         * double nearest the decimal value, in the range of normal floats
         * (1e-22 .. 9e37). Rounding d to float gives the float nearest the
         * decimal value unless d sits exactly halfway between two floats
         * (the low 29 of its 52 mantissa bits are 1000...0): then the
         * decimal value may lie on either side, and strtof decides. */
        double d = exp10 >= 0 ? (double)m * pow10_exact[exp10]
                              : (double)m / pow10_exact[-exp10];
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        if ((bits & ((UINT64_C(1) << 29) - 1)) != (UINT64_C(1) << 28)) {
            float v = (float)d;
            *out = neg ? -v : v;
            return 0;
        }
    }
    return parse_slow(s, p, out);
}

int sk__codec_parse_float(const char *s, const char *end, const char **next,
                          float *out)
{
    return parse_float(s, end, next, out);
}

int sk__text_line_blank(const char *s, const char *end)
{
    for (; s < end; s++)
        if (!IS_BLANK(*s))
            return 0;
    return 1;
}

/* "60 or 75": the counts of every known joint set. */
static void known_counts(char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int id = 1; id < SK_JOINTSET_COUNT && n < len; id++) {
        const sk_joint_set *js = sk_joint_set_get(id);
        if (!js)
            continue;
        int w = snprintf(buf + n, len - n, "%s%d", n ? " or " : "",
                         3 * js->njoints);
        if (w < 0)
            break;
        n += (size_t)w;
    }
}

static const char *char_name(char c, char *buf, size_t len)
{
    if (c == '\n')
        snprintf(buf, len, "end of line");
    else if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f)
        snprintf(buf, len, "'%c'", c);
    else
        snprintf(buf, len, "byte 0x%02x", (unsigned char)c);
    return buf;
}

int sk__text_parse_line(const char *s, const char *end, int want, sk_frame *f,
                        char *msg, size_t msglen)
{
    float v[3 * SK_MAX_JOINTS];
    int max = want ? want : 3 * SK_MAX_JOINTS;
    int n = 0;
    const char *p = s;
    char cn[32];

    while (p < end && IS_BLANK(*p))
        p++;
    while (p < end) {
        float x;
        const char *q;
        if (parse_float(p, end, &q, &x) != 0) {
            if (*p == ',')
                snprintf(msg, msglen, "empty field after number %d", n);
            else if (n == 0 && !IS_DIGIT(*p))
                snprintf(msg, msglen, "number 1: not a finite decimal number "
                         "(starts with %s)", char_name(*p, cn, sizeof cn));
            else
                snprintf(msg, msglen, "number %d: not a finite decimal number",
                         n + 1);
            return SK_EPROTO;
        }
        if (n < max)
            v[n] = x;
        n++;
        p = q;
        /* Separator: blanks, at most one comma, blanks. */
        while (p < end && IS_BLANK(*p))
            p++;
        if (p < end && *p == ',') {
            p++;
            while (p < end && IS_BLANK(*p))
                p++;
        } else if (p == q && p < end) {
            snprintf(msg, msglen, "number %d: followed by %s", n,
                     char_name(*p, cn, sizeof cn));
            return SK_EPROTO;
        }
    }
    /* A trailing comma is accepted: senders that write "x," per number. */
    const sk_joint_set *js = NULL;
    if (n % 3 == 0 && (!want || n == want))
        js = sk_joint_set_by_count(n / 3);
    if (!js || n > max) {
        char counts[64];
        if (want)
            snprintf(counts, sizeof counts, "%d", want);
        else
            known_counts(counts, sizeof counts);
        snprintf(msg, msglen, "%d numbers, expected %s", n, counts);
        return SK_EPROTO;
    }

    int nj = n / 3;
    /* Bodies past nbodies are left alone: the whole frame is 2.4 KB. */
    f->timestamp_us = 0;
    f->arrival_us = 0;
    f->joint_set = (uint8_t)js->id;
    f->njoints = (uint8_t)nj;
    f->nbodies = 1;
    f->bodies[0].id = 0;
    sk_joint *jt = f->bodies[0].joints;
    for (int j = 0; j < nj; j++) {
        jt[j].x = v[3 * j];
        jt[j].y = v[3 * j + 1];
        jt[j].z = v[3 * j + 2];
        jt[j].state = SK_TRACK_TRACKED;
    }
    memset(jt + nj, 0, (size_t)(SK_MAX_JOINTS - nj) * sizeof *jt);
    return 0;
}

int sk_text_encode(const sk_frame *f, int body, int precision, char *buf,
                   size_t cap)
{
    if (!f || !buf || body < 0 || body >= f->nbodies ||
        f->nbodies > SK_MAX_BODIES || precision < 1 || precision > 17)
        return SK_EINVAL;
    const sk_joint_set *js = sk_joint_set_get(f->joint_set);
    if (!js || js->njoints != f->njoints)
        return SK_EINVAL;
    const sk_joint *jt = f->bodies[body].joints;
    size_t n = 0;
    for (int j = 0; j < f->njoints; j++) {
        float c[3] = {jt[j].x, jt[j].y, jt[j].z};
        for (int k = 0; k < 3; k++) {
            if (!isfinite(c[k]))
                return SK_EINVAL;
            if (n >= cap)
                return SK_ELIMIT;
            int w = snprintf(buf + n, cap - n, "%s%.*g",
                             (j || k) ? "," : "", precision, (double)c[k]);
            if (w < 0)
                return SK_EINVAL;
            if ((size_t)w >= cap - n)
                return SK_ELIMIT;
            n += (size_t)w;
        }
    }
    if (n + 2 > cap) /* '\n' and a NUL */
        return SK_ELIMIT;
    buf[n++] = '\n';
    buf[n] = '\0';
    return (int)n;
}
