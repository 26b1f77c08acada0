/* Seed text files: any file of seed text lines (3*J numbers a line), read
 * with the codec's incremental text decoder, one line at a time so that a
 * skipped line's number can be reported. */
#include <stdio.h>
#include <string.h>

#include "reader.h"
#include "skelact/codec.h"

/* Feed [p, p+n) to d, taking every frame it yields into t. */
typedef struct text_state {
    sk_decoder *d;
    int cap;
    long first_bad;       /* line number of the first skipped line */
    char first_why[200];  /* and why it was skipped */
} text_state;

static void note_bad(text_state *s, sk_take *t, long line, const char *why)
{
    /* The decoder says "line N: why" with its own count; we say the line. */
    if (strncmp(why, "line ", 5) == 0) {
        const char *q = why + 5;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > why + 5 && q[0] == ':' && q[1] == ' ')
            why = q + 2;
    }
    if (t->bad_lines++ == 0) {
        s->first_bad = line;
        snprintf(s->first_why, sizeof s->first_why, "%s", why);
    }
}

static int feed_all(text_state *s, const char *p, size_t n, long line, sk_take *t,
                    const sk__load_err *e)
{
    for (;;) {
        size_t took = sk_decoder_feed(s->d, p, n);
        p += took;
        n -= took;
        for (;;) {
            int rc = sk__take_grow(t, &s->cap, 0, 0);
            if (rc != 0)
                return sk__load_fail(e, line, rc, "%s",
                                     rc == SK_ELIMIT ? "too many frames" : "out of memory");
            sk_frame *f = &t->frames[t->nframes];
            rc = sk_decoder_next(s->d, f);
            if (rc == SK_EAGAIN)
                break;
            if (rc == SK_EPROTO) {
                note_bad(s, t, line, sk_decoder_errmsg(s->d));
                continue;
            }
            if (rc != 0)
                return sk__load_fail(e, line, rc, "decoder: %s", sk_strerror(rc));
            if (t->nframes > 0 && f->joint_set != t->frames[0].joint_set) {
                char why[96];
                snprintf(why, sizeof why, "%d joints, but the first frame has %d",
                         f->njoints, t->frames[0].njoints);
                note_bad(s, t, line, why);
                continue;
            }
            f->seq = (uint64_t)t->nframes;
            f->timestamp_us = 0;
            f->arrival_us = 0;
            t->nframes++;
        }
        if (n == 0)
            return 0;
        if (took == 0 && n > 0) {
            /* The decoder took nothing and yields nothing: it would spin. */
            return sk__load_fail(e, line, SK_EFORMAT, "decoder stuck");
        }
    }
}

int sk__text_read(sk_take *t, const char *buf, size_t len, const sk__load_err *e)
{
    text_state s = {0};
    sk_decoder_config cfg = {.proto = SK_PROTO_TEXT, .njoints = 0, .max_line = 0};
    int rc;
    long line = 0;
    t->fps = 30.0;
    if ((rc = sk_decoder_create(&s.d, &cfg)) != 0)
        return sk__load_fail(e, 0, rc, "cannot create a text decoder: %s",
                             sk_strerror(rc));
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl + 1 : end;
        line++;
        if ((rc = feed_all(&s, p, (size_t)(eol - p), line, t, e)) != 0)
            goto fail;
        p = eol;
    }
    if (len > 0 && buf[len - 1] != '\n') /* end the last line */
        if ((rc = feed_all(&s, "\n", 1, line, t, e)) != 0)
            goto fail;
    sk_decoder_destroy(s.d);
    if (t->nframes == 0) {
        if (t->bad_lines == 0)
            return sk__load_fail(e, 0, SK_EFORMAT, "no frames");
        return sk__load_fail(e, s.first_bad, SK_EFORMAT,
                             "%s (none of %ld lines decodes)", s.first_why, line);
    }
    if (t->bad_lines > 0) /* a note, not a failure */
        sk__load_fail(e, s.first_bad, 0, "%s (%d bad lines skipped)", s.first_why,
                      t->bad_lines);
    t->joint_set = t->frames[0].joint_set;
    return 0;
fail:
    sk_decoder_destroy(s.d);
    return rc;
}
