/* codec internals shared by text.c, binary.c and decoder.c. */
#ifndef SKELACT_CODEC_INTERNAL_H
#define SKELACT_CODEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/codec.h"

/* ---- numbers ------------------------------------------------------------ */

/* Parse one decimal number at s (s < end) the way strtof would, with the
 * grammar [+-]? (D+ ('.' D*)? | '.' D+) ([eE] [+-]? D+)?. Hex, "inf" and
 * "nan" are not numbers here. *next receives the first byte after it.
 * Returns 0 and the float strtof gives (bit for bit) in *out, or SK_EPROTO
 * if s does not start with a number or the value is not finite. The byte at
 * end must exist and be no part of a number (a line's '\n' or a NUL): the
 * rare slow path calls strtof in place. */
int sk__codec_parse_float(const char *s, const char *end, const char **next,
                    float *out);

/* ---- text lines --------------------------------------------------------- */

/* Parse one line [s, end) (without its '\n'; *end must be readable and no
 * part of a number) into f as a text frame with `want` numbers per line
 * (3*J) or, if want is 0, any known joint set's count. Returns 0, or
 * SK_EPROTO with a reason (without the line number) in msg. Does not touch
 * f->seq. */
int sk__text_parse_line(const char *s, const char *end, int want, sk_frame *f,
                        char *msg, size_t msglen);

/* True if the line [s, end) holds only blanks ('\r', ' ', '\t'). */
int sk__text_line_blank(const char *s, const char *end);

/* ---- binary ------------------------------------------------------------- */

/* What a v1 header says. */
typedef struct sk__binary_header {
    int joint_set, njoints, nbodies, frame_bodies, first_body;
    uint32_t length;
    uint64_t seq;
    int64_t timestamp_us;
} sk__binary_header;

/* Check the header at p (SK_BINARY_HEADER_SIZE bytes). Returns 0 or
 * SK_EPROTO with a reason in msg. */
int sk__binary_header_check(const uint8_t *p, sk__binary_header *h, char *msg,
                            size_t msglen);

/* Check the CRC and decode the bodies of a whole message (h->length bytes
 * at p, header already checked) into f. Returns 0, SK_ECHECKSUM or
 * SK_EPROTO (non-finite coordinate, bad tracking state), reason in msg. */
int sk__binary_body_decode(const uint8_t *p, const sk__binary_header *h,
                           sk_frame *f, char *msg, size_t msglen);

/* True if the n bytes at p (n < 4) are a prefix of the magic. */
int sk__binary_magic_prefix(const uint8_t *p, size_t n);

/* CRC-32 by the table path only (tests compare it with sk_crc32). */
uint32_t sk__crc32_tables(uint32_t crc, const void *buf, size_t len);

#endif
