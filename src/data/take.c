/* sk_take: loading a whole file (or buffer) as one take, whatever its format,
 * and what the per-format readers share: errors, growing arrays, numbers. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"

/* ---- names ---------------------------------------------------------------- */

static const char *const format_names[] = {
    [SK_FORMAT_AUTO] = "auto",     [SK_FORMAT_PRECOG] = "precog",
    [SK_FORMAT_MSR] = "msr",       [SK_FORMAT_TEXT] = "text",
    [SK_FORMAT_SKREC] = "skrec",
};

int sk_format_from_name(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < (int)(sizeof format_names / sizeof *format_names); i++)
        if (strcmp(format_names[i], name) == 0)
            return i;
    return -1;
}

const char *sk_format_name(int format)
{
    if (format < 0 || format >= (int)(sizeof format_names / sizeof *format_names))
        return NULL;
    return format_names[format];
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int sk_format_detect(const char *name, const void *head, size_t len)
{
    const char *p = head ? (const char *)head : "";
    if (!head)
        len = 0;
    if (len >= SK__SKREC_MAGIC_LEN && memcmp(p, SK__SKREC_MAGIC, SK__SKREC_MAGIC_LEN) == 0)
        return SK_FORMAT_SKREC;
    if (name && has_suffix(name, ".skrec"))
        return SK_FORMAT_SKREC;
    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        p += 3;
        len -= 3;
    }
    if (len >= 9 && memcmp(p, "HipCenter", 9) == 0) {
        const char *q = sk__skip_blanks(p + 9, p + len);
        if (q < p + len && *q == ';')
            return SK_FORMAT_PRECOG;
    }
    if (name && has_suffix(name, "_skeleton3D.txt"))
        return SK_FORMAT_MSR;
    return SK_FORMAT_TEXT;
}

/* Digits at *s as an int (at most 6 of them); 0 and *s unchanged if none. */
static int take_digits(const char **s)
{
    int v = 0, n = 0;
    while (**s >= '0' && **s <= '9' && n < 6) {
        v = v * 10 + (**s - '0');
        (*s)++;
        n++;
    }
    return v;
}

void sk_take_name_parse(sk_take *t, const char *path)
{
    t->subject = t->routine = t->action = t->trial = 0;
    if (!path)
        return;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *s = base;
    if (strncmp(s, "Seq", 3) == 0) { /* PRECOG SeqR_S.csv */
        s += 3;
        const char *d = s;
        int r = take_digits(&s);
        if (s == d || *s != '_')
            return;
        d = ++s;
        int subj = take_digits(&s);
        if (s == d || (*s != '.' && *s != '\0'))
            return;
        t->routine = r;
        t->subject = subj;
        return;
    }
    if (s[0] == 'a') { /* MSR aAA_sSS_eEE_skeleton3D.txt */
        const char *d = ++s;
        int a = take_digits(&s);
        if (s == d || strncmp(s, "_s", 2) != 0)
            return;
        d = s += 2;
        int subj = take_digits(&s);
        if (s == d || strncmp(s, "_e", 2) != 0)
            return;
        d = s += 2;
        int e = take_digits(&s);
        if (s == d || (*s != '_' && *s != '.' && *s != '\0'))
            return;
        t->action = a;
        t->subject = subj;
        t->trial = e;
    }
}

/* ---- shared helpers ------------------------------------------------------- */

int sk__load_fail(const sk__load_err *e, long line, int code, const char *fmt, ...)
{
    if (!e->buf || e->len == 0)
        return code;
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(e->buf, e->len, "%s:%ld: %s", e->name, line, reason);
    else
        snprintf(e->buf, e->len, "%s: %s", e->name, reason);
    return code;
}

int sk__take_grow(sk_take *t, int *cap, int want_labels, int want_arrival)
{
    if (t->nframes < *cap)
        return 0;
    if (t->nframes >= SK_MAX_TAKE_FRAMES)
        return SK_ELIMIT;
    int nc = *cap ? *cap * 2 : 64;
    if (nc > SK_MAX_TAKE_FRAMES)
        nc = SK_MAX_TAKE_FRAMES;
    /* Each array is stored back at once, so t stays freeable on failure. */
    sk_frame *f = realloc(t->frames, (size_t)nc * sizeof *f);
    if (!f)
        return SK_ENOMEM;
    t->frames = f;
    if (want_labels) {
        int *l = realloc(t->labels, (size_t)nc * sizeof *l);
        if (!l)
            return SK_ENOMEM;
        t->labels = l;
    }
    if (want_arrival) {
        int64_t *a = realloc(t->arrival_us, (size_t)nc * sizeof *a);
        if (!a)
            return SK_ENOMEM;
        t->arrival_us = a;
    }
    *cap = nc;
    return 0;
}

/* Powers of ten that a float holds exactly (5^10 < 2^24). */
static const float pow10f_exact[11] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                       1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

int sk__parse_float(const char **pp, const char *end, float *out)
{
    const char *p = sk__skip_blanks(*pp, end);
    int neg = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    const char *start = p; /* the unsigned number */
    uint64_t m = 0;  /* up to 19 significant digits */
    int nsig = 0, ndigits = 0, exp10 = 0, dropped = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        int d = *p++ - '0';
        ndigits++;
        if (nsig < 19) {
            m = m * 10 + (uint64_t)d;
            nsig += m != 0;
        } else {
            exp10++;
            dropped |= d != 0;
        }
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            int d = *p++ - '0';
            ndigits++;
            if (nsig < 19) {
                m = m * 10 + (uint64_t)d;
                nsig += m != 0;
                exp10--;
            } else {
                dropped |= d != 0;
            }
        }
    }
    if (ndigits == 0)
        return -1;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0, ex = 0, nd = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        while (p < end && *p >= '0' && *p <= '9') {
            if (ex < 100000)
                ex = ex * 10 + (*p - '0');
            p++;
            nd++;
        }
        if (nd == 0)
            return -1;
        exp10 += eneg ? -ex : ex;
    }
    float v;
    if (m == 0) {
        v = 0.0f;
    } else if (!dropped && m <= (1u << 24) && exp10 >= -10 && exp10 <= 10) {
        /* Clinger's fast path: both operands exact, so the one rounding
         * of the division or product is the correctly rounded result,
         * the same as strtof's. */
        v = (float)m;
        v = exp10 < 0 ? v / pow10f_exact[-exp10] : v * pow10f_exact[exp10];
    } else {
        char tmp[96];
        size_t n = (size_t)(p - start);
        if (n < sizeof tmp) {
            memcpy(tmp, start, n);
            tmp[n] = '\0';
        } else { /* a very long token: its 19 leading digits decide a float */
            snprintf(tmp, sizeof tmp, "%llue%d", (unsigned long long)m, exp10);
        }
        v = strtof(tmp, NULL);
        if (!isfinite(v))
            return -1;
    }
    *out = neg ? -v : v;
    *pp = p;
    return 0;
}

int sk__parse_int(const char **pp, const char *end, int *out)
{
    const char *p = sk__skip_blanks(*pp, end);
    int neg = 0, v = 0, nd = 0;
    if (p < end && (*p == '+' || *p == '-')) {
        neg = *p == '-';
        p++;
    }
    while (p < end && *p >= '0' && *p <= '9') {
        if (nd == 9)
            return -1;
        v = v * 10 + (*p++ - '0');
        nd++;
    }
    if (nd == 0)
        return -1;
    *out = neg ? -v : v;
    *pp = p;
    return 0;
}

/* ---- loading -------------------------------------------------------------- */

void sk_take_free(sk_take *t)
{
    if (!t)
        return;
    free(t->frames);
    free(t->labels);
    free(t->arrival_us);
    memset(t, 0, sizeof *t);
}

int sk_take_load_mem(sk_take *t, const void *buf, size_t len, const char *name,
                     int format, char *err, size_t errlen)
{
    sk__load_err e = {err, errlen, name ? name : "(memory)"};
    if (err && errlen)
        err[0] = '\0';
    if (!t)
        return SK_EINVAL;
    memset(t, 0, sizeof *t);
    if (!buf && len)
        return sk__load_fail(&e, 0, SK_EINVAL, "no buffer");
    if (len == 0)
        return sk__load_fail(&e, 0, SK_EFORMAT, "empty file");
    if (len > SK_MAX_TAKE_BYTES)
        return sk__load_fail(&e, 0, SK_ELIMIT, "larger than %u bytes",
                             (unsigned)SK_MAX_TAKE_BYTES);
    if (format == SK_FORMAT_AUTO)
        format = sk_format_detect(name, buf, len);
    sk_take_name_parse(t, name);
    t->format = format;
    int rc;
    switch (format) {
    case SK_FORMAT_PRECOG:
        rc = sk__precog_read(t, buf, len, &e);
        break;
    case SK_FORMAT_MSR:
        rc = sk__msr_read(t, buf, len, &e);
        break;
    case SK_FORMAT_TEXT:
        rc = sk__text_read(t, buf, len, &e);
        break;
    case SK_FORMAT_SKREC:
        rc = sk__skrec_read(t, buf, len, &e);
        break;
    default:
        rc = sk__load_fail(&e, 0, SK_EINVAL, "unknown format %d", format);
        break;
    }
    if (rc == 0 && t->nframes == 0)
        rc = sk__load_fail(&e, 0, SK_EFORMAT, "no frames");
    if (rc != 0)
        sk_take_free(t);
    return rc;
}

/* Read all of path into a malloc'd buffer. */
static int read_file(const char *path, char **out, size_t *outlen, const sk__load_err *e)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sk__load_fail(e, 0, errno == ENOENT ? SK_ENOTFOUND : SK_EIO,
                             "%s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = sk__load_fail(e, 0, SK_EIO, "is a directory");
        goto fail;
    }
    cap = (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
              ? (size_t)st.st_size + 1
              : 65536;
    for (;;) {
        if (len == cap || !buf) {
            if (len >= SK_MAX_TAKE_BYTES + (size_t)1) {
                rc = sk__load_fail(e, 0, SK_ELIMIT, "larger than %u bytes",
                                   (unsigned)SK_MAX_TAKE_BYTES);
                goto fail;
            }
            size_t nc = buf ? cap * 2 : cap;
            if (nc > SK_MAX_TAKE_BYTES + (size_t)1)
                nc = SK_MAX_TAKE_BYTES + (size_t)1;
            char *nb = realloc(buf, nc);
            if (!nb) {
                rc = sk__load_fail(e, 0, SK_ENOMEM, "out of memory");
                goto fail;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = sk__load_fail(e, 0, SK_EIO, "%s", strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    *out = buf;
    *outlen = len;
    return 0;
fail:
    close(fd);
    free(buf);
    return rc;
}

int sk_take_load(sk_take *t, const char *path, int format, char *err, size_t errlen)
{
    sk__load_err e = {err, errlen, path ? path : "(null)"};
    if (err && errlen)
        err[0] = '\0';
    if (!t)
        return SK_EINVAL;
    memset(t, 0, sizeof *t);
    if (!path)
        return sk__load_fail(&e, 0, SK_EINVAL, "no file name");
    char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, &e);
    if (rc != 0)
        return rc;
    rc = sk_take_load_mem(t, buf, len, path, format, err, errlen);
    free(buf);
    return rc;
}
