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

int sk__codec_parse_float(const char *s, const char *end, const char **next,
                    float *out)
{
    const char *p = s;
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int nd = 0;      /* significant digits in m */
    int dropped = 0; /* significant digits that did not fit in m */
    long exp10 = 0;
    const char *d0 = p;
    for (; p < end && IS_DIGIT(*p); p++) {
        if (nd < 19) {
            m = m * 10 + (unsigned)(*p - '0');
            nd += m != 0;
        } else {
            dropped = 1;
            exp10++;
        }
    }
    size_t ndigits = (size_t)(p - d0);
    if (p < end && *p == '.') {
        const char *f0 = ++p;
        for (; p < end && IS_DIGIT(*p); p++) {
            if (nd < 19) {
                m = m * 10 + (unsigned)(*p - '0');
                nd += m != 0;
                exp10--;
            } else {
                dropped = 1;
            }
        }
        ndigits += (size_t)(p - f0);
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
        if (sk__codec_parse_float(p, end, &q, &x) != 0) {
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
    memset(f, 0, sizeof *f);
    f->joint_set = (uint8_t)js->id;
    f->njoints = (uint8_t)nj;
    f->nbodies = 1;
    sk_joint *jt = f->bodies[0].joints;
    for (int j = 0; j < nj; j++) {
        jt[j].x = v[3 * j];
        jt[j].y = v[3 * j + 1];
        jt[j].z = v[3 * j + 2];
        jt[j].state = SK_TRACK_TRACKED;
    }
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
