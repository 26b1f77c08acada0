/* Internal to src/data: what the per-format readers share. */
#ifndef SKELACT_DATA_READER_H
#define SKELACT_DATA_READER_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/data.h"

/* skrec file magic: "SKREC" CR LF ^Z (a text-mode copy or a truncated
 * transfer garbles it, as with PNG's). */
#define SK__SKREC_MAGIC "SKREC\r\n\x1a"
#define SK__SKREC_MAGIC_LEN 8

/* The error sink of one load: "name:line: reason" into a caller's buffer. */
typedef struct sk__load_err {
    char *buf;
    size_t len;
    const char *name;
} sk__load_err;

/* Write "name: reason" (line <= 0) or "name:line: reason" and return code. */
int sk__load_fail(const sk__load_err *e, long line, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Make room for one more frame (and its label / arrival time, when those
 * arrays are in use) in t; doubles the arrays. Returns 0, SK_ELIMIT or
 * SK_ENOMEM. The new frame is t->frames[t->nframes], not yet initialised. */
int sk__take_grow(sk_take *t, int *cap, int want_labels, int want_arrival);

/* Parse one decimal number (optional sign, digits, optional fraction,
 * optional exponent; no NaN, no Inf, no hex) at *p, not past end, after
 * skipping blanks. On success stores a value bit-identical to strtof's,
 * advances *p past the number and returns 0; else returns -1 and leaves *p. */
int sk__parse_float(const char **p, const char *end, float *out);
/* The same for a decimal integer (|value| < 10^9). */
int sk__parse_int(const char **p, const char *end, int *out);

/* Skip blanks (space, tab, CR) at *p. */
static inline const char *sk__skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

/* The readers: buf[0..len) is the whole file; t is zeroed with name fields
 * already parsed. On failure they leave their arrays in t for the caller to
 * free. */
int sk__precog_read(sk_take *t, const char *buf, size_t len, const sk__load_err *e);
int sk__msr_read(sk_take *t, const char *buf, size_t len, const sk__load_err *e);
int sk__text_read(sk_take *t, const char *buf, size_t len, const sk__load_err *e);
int sk__skrec_read(sk_take *t, const uint8_t *buf, size_t len, const sk__load_err *e);

/* Little-endian helpers for the skrec file. */
static inline uint16_t sk__rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t sk__rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}
static inline uint64_t sk__rd64(const uint8_t *p)
{
    return (uint64_t)sk__rd32(p) | ((uint64_t)sk__rd32(p + 4) << 32);
}
static inline void sk__wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void sk__wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void sk__wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
