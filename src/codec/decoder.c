/* The incremental decoder: one fixed buffer, a read position, and the state
 * of a half-read line or frame (after Redis's networking.c; see STYLE.md).
 *
 *   buf[0, rpos)     consumed, dropped by the next feed (one memmove a feed)
 *   buf[rpos, wpos)  bytes not yet decoded
 *   buf[wpos, cap)   room for feed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec_internal.h"

#ifndef SK_DECODER_BUFFER
#define SK_DECODER_BUFFER 65536 /* many frames a feed: one memmove per 64 KB */
#endif
#ifndef SK_DECODER_MAX_LINE_LIMIT
#define SK_DECODER_MAX_LINE_LIMIT (16u << 20) /* max_line beyond 16 MB is a mistake */
#endif

struct sk_decoder {
    int cfg_proto;      /* as configured (AUTO comes back on reset) */
    int proto;          /* in use: AUTO until decided */
    int want;           /* text: numbers per line, 0 = any known joint set */
    size_t max_line;    /* text: longest line without its '\n' */
    uint8_t *buf;
    size_t cap, rpos, wpos;
    size_t scan;        /* text: '\n' is not in [rpos, scan) */
    int discarding;     /* text: dropping an overlong line up to its '\n' */
    int resync;         /* binary: searching for the next magic */
    int undecided_bad;  /* auto: skipping bytes that name no protocol */
    uint64_t offset;    /* stream offset of buf[0] since create/reset */
    uint64_t line;      /* text: lines ended since create/reset */
    uint64_t text_seq;  /* text: frames yielded (kept across reset) */
    sk_decoder_stats st;
    char msg[192];
};

int sk_proto_from_name(const char *name)
{
    if (!name)
        return -1;
    if (!strcmp(name, "auto"))
        return SK_PROTO_AUTO;
    if (!strcmp(name, "text") || !strcmp(name, "seed"))
        return SK_PROTO_TEXT;
    if (!strcmp(name, "binary"))
        return SK_PROTO_BINARY;
    return -1;
}

const char *sk_proto_name(int proto)
{
    switch (proto) {
    case SK_PROTO_AUTO:
        return "auto";
    case SK_PROTO_TEXT:
        return "text";
    case SK_PROTO_BINARY:
        return "binary";
    default:
        return NULL;
    }
}

int sk_decoder_create(sk_decoder **out, const sk_decoder_config *cfg)
{
    sk_decoder_config c = {SK_PROTO_AUTO, 0, 0};
    sk_decoder *d = NULL;
    if (!out)
        return SK_EINVAL;
    *out = NULL;
    if (cfg)
        c = *cfg;
    if (c.proto != SK_PROTO_AUTO && c.proto != SK_PROTO_TEXT &&
        c.proto != SK_PROTO_BINARY)
        return SK_EINVAL;
    if (c.njoints != 0 && !sk_joint_set_by_count(c.njoints))
        return SK_EINVAL;
    if (c.max_line == 0)
        c.max_line = SK_MAX_LINE;
    if (c.max_line > SK_DECODER_MAX_LINE_LIMIT)
        return SK_EINVAL;

    d = calloc(1, sizeof *d);
    if (!d)
        goto fail;
    d->cfg_proto = d->proto = c.proto;
    d->want = 3 * c.njoints;
    d->max_line = c.max_line;
    d->cap = SK_DECODER_BUFFER;
    if (d->cap < c.max_line + 1)
        d->cap = c.max_line + 1;
    if (d->cap < SK_BINARY_MAX_FRAME)
        d->cap = SK_BINARY_MAX_FRAME;
    d->buf = malloc(d->cap);
    if (!d->buf)
        goto fail;
    *out = d;
    return 0;
fail:
    sk_decoder_destroy(d);
    return SK_ENOMEM;
}

void sk_decoder_destroy(sk_decoder *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d);
}

void sk_decoder_reset(sk_decoder *d)
{
    if (!d)
        return;
    d->proto = d->cfg_proto;
    d->rpos = d->wpos = d->scan = 0;
    d->discarding = d->resync = d->undecided_bad = 0;
    d->offset = 0;
    d->line = 0;
    d->msg[0] = '\0';
}

size_t sk_decoder_feed(sk_decoder *d, const void *buf, size_t len)
{
    if (!d || !buf)
        return 0;
    if (d->rpos > 0) {
        size_t keep = d->wpos - d->rpos;
        if (keep)
            memmove(d->buf, d->buf + d->rpos, keep);
        d->offset += d->rpos;
        /* scan may lag behind rpos (auto and binary do not move it). */
        d->scan = d->scan > d->rpos ? d->scan - d->rpos : 0;
        d->wpos = keep;
        d->rpos = 0;
    }
    size_t n = d->cap - d->wpos;
    if (n > len)
        n = len;
    memcpy(d->buf + d->wpos, buf, n);
    d->wpos += n;
    d->st.bytes += n;
    return n;
}

static int is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- text --------------------------------------------------------------- */

static int text_error(sk_decoder *d, size_t skip)
{
    d->st.errors++;
    d->st.skipped += skip;
    return SK_EPROTO;
}

static int text_next(sk_decoder *d, sk_frame *f)
{
    char why[160];
    for (;;) {
        uint8_t *b = d->buf;
        if (d->discarding) {
            uint8_t *nl = memchr(b + d->rpos, '\n', d->wpos - d->rpos);
            if (!nl) {
                d->st.skipped += d->wpos - d->rpos;
                d->rpos = d->scan = d->wpos;
                return SK_EAGAIN;
            }
            size_t end = (size_t)(nl - b) + 1;
            d->st.skipped += end - d->rpos;
            d->rpos = d->scan = end;
            d->discarding = 0;
            continue;
        }
        while (d->rpos < d->wpos && b[d->rpos] == 0) /* NUL padding */
            d->rpos++;
        if (d->scan < d->rpos)
            d->scan = d->rpos;
        uint8_t *nl = memchr(b + d->scan, '\n', d->wpos - d->scan);
        if (!nl) {
            d->scan = d->wpos;
            if (d->wpos - d->rpos > d->max_line) {
                d->line++;
                snprintf(d->msg, sizeof d->msg,
                         "line %llu: longer than %zu bytes",
                         (unsigned long long)d->line, d->max_line);
                size_t skip = d->wpos - d->rpos;
                d->rpos = d->scan = d->wpos;
                d->discarding = 1;
                return text_error(d, skip);
            }
            return SK_EAGAIN;
        }
        size_t start = d->rpos, end = (size_t)(nl - b);
        d->rpos = d->scan = end + 1;
        d->line++;
        if (end - start > d->max_line) {
            snprintf(d->msg, sizeof d->msg, "line %llu: longer than %zu bytes",
                     (unsigned long long)d->line, d->max_line);
            return text_error(d, end + 1 - start);
        }
        const char *s = (const char *)b + start, *e = (const char *)b + end;
        if (sk__text_line_blank(s, e))
            continue; /* an empty line is no frame and no error */
        if (sk__text_parse_line(s, e, d->want, f, why, sizeof why) != 0) {
            snprintf(d->msg, sizeof d->msg, "line %llu: %s",
                     (unsigned long long)d->line, why);
            return text_error(d, end + 1 - start);
        }
        f->seq = d->text_seq++;
        d->st.frames++;
        return 0;
    }
}

/* ---- binary ------------------------------------------------------------- */

/* Offset of the first full magic in p[0, n), else of a magic prefix that
 * ends the buffer, else n. */
static size_t find_magic(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const uint8_t *s = memchr(p + i, 'S', n - i);
        if (!s)
            return n;
        i = (size_t)(s - p);
        if (sk__binary_magic_prefix(p + i, n - i))
            return i;
        i++;
    }
    return n;
}

static int binary_next(sk_decoder *d, sk_frame *f)
{
    char why[160];
    sk__binary_header h;
    int rc;
    for (;;) {
        const uint8_t *p = d->buf + d->rpos;
        size_t avail = d->wpos - d->rpos;
        if (d->resync) {
            size_t off = find_magic(p, avail);
            d->st.skipped += off;
            d->rpos += off;
            if (d->wpos - d->rpos < 4)
                return SK_EAGAIN;
            d->resync = 0;
            continue;
        }
        if (avail == 0)
            return SK_EAGAIN;
        if (!sk__binary_magic_prefix(p, avail)) {
            snprintf(why, sizeof why, "bad magic");
            goto bad;
        }
        if (avail < SK_BINARY_HEADER_SIZE)
            return SK_EAGAIN;
        /* The header (and so the length) is checked before waiting for
         * the rest: a huge length never makes the decoder wait. */
        if (sk__binary_header_check(p, &h, why, sizeof why) != 0)
            goto bad;
        if (avail < h.length)
            return SK_EAGAIN;
        rc = sk__binary_body_decode(p, &h, f, why, sizeof why);
        if (rc != 0)
            goto bad;
        d->rpos += h.length;
        d->st.frames++;
        return 0;
    bad:
        snprintf(d->msg, sizeof d->msg, "frame at byte %llu: %s",
                 (unsigned long long)(d->offset + d->rpos), why);
        d->st.errors++;
        d->st.skipped++;
        d->rpos++;
        d->resync = 1;
        return SK_EPROTO;
    }
}

/* ---- auto --------------------------------------------------------------- */

static int proto_of_byte(uint8_t c)
{
    if (c == (SK_BINARY_MAGIC & 0xff))
        return SK_PROTO_BINARY;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
        is_blank(c))
        return SK_PROTO_TEXT;
    return SK_PROTO_AUTO;
}

static int auto_decide(sk_decoder *d)
{
    while (d->rpos < d->wpos) {
        uint8_t c = d->buf[d->rpos];
        if (c == 0) {
            d->rpos++;
            continue;
        }
        int proto = proto_of_byte(c);
        if (proto != SK_PROTO_AUTO) {
            d->proto = proto;
            d->undecided_bad = 0;
            return 0;
        }
        d->rpos++;
        d->st.skipped++;
        if (!d->undecided_bad) {
            d->undecided_bad = 1;
            d->st.errors++;
            snprintf(d->msg, sizeof d->msg,
                     "byte %llu: 0x%02x starts neither a text line nor a "
                     "binary frame",
                     (unsigned long long)(d->offset + d->rpos - 1), c);
            return SK_EPROTO;
        }
    }
    return SK_EAGAIN;
}

int sk_decoder_next(sk_decoder *d, sk_frame *f)
{
    if (!d || !f)
        return SK_EINVAL;
    if (d->proto == SK_PROTO_AUTO) {
        int rc = auto_decide(d);
        if (rc != 0)
            return rc;
    }
    return d->proto == SK_PROTO_TEXT ? text_next(d, f) : binary_next(d, f);
}

int sk_decoder_proto(const sk_decoder *d)
{
    return d ? d->proto : SK_PROTO_AUTO;
}

const char *sk_decoder_errmsg(const sk_decoder *d)
{
    return d ? d->msg : "";
}

void sk_decoder_get_stats(const sk_decoder *d, sk_decoder_stats *st)
{
    if (d && st)
        *st = d->st;
}

size_t sk_decoder_pending(const sk_decoder *d)
{
    if (!d || d->discarding || d->resync)
        return 0;
    if (d->proto == SK_PROTO_BINARY)
        return d->wpos - d->rpos;
    size_t n = 0;
    for (size_t i = d->rpos; i < d->wpos; i++)
        n += d->buf[i] != 0 && !is_blank(d->buf[i]);
    return n;
}
