/* skelact codec: I/O-free encoders and incremental decoders for the wire
 * formats (docs/PROTOCOL.md).
 *
 *   seed text   one frame per line: 3*J decimal numbers separated by commas
 *               and/or blanks, ending in '\n' (the original system's format).
 *   binary v1   fixed little-endian header, bodies, CRC32.
 *
 * A decoder owns a bounded buffer. sk_decoder_feed() appends what fits and
 * says how much it took; sk_decoder_next() yields whole frames one at a time.
 * Fed 1 byte or 1 MB at a time, a decoder yields the same frames.
 */
#ifndef SKELACT_CODEC_H
#define SKELACT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SK_MAX_LINE
#define SK_MAX_LINE 8192 /* 75 numbers at %.9g with blanks need ~1.3 KB */
#endif

/* Wire protocols. */
enum {
    SK_PROTO_AUTO = 0,   /* decide from the first byte of a stream */
    SK_PROTO_TEXT = 1,   /* seed text lines */
    SK_PROTO_BINARY = 2, /* skelact binary v1 */
};

/* Name <-> id: "auto", "text", "binary" ("seed" is text: the one-connection-
 * per-frame habit is a transport matter). Returns -1 / NULL if unknown. */
int sk_proto_from_name(const char *name);
const char *sk_proto_name(int proto);

/* ---- binary v1 (docs/PROTOCOL.md) ---------------------------------------- */

#define SK_BINARY_MAGIC 0x314C4B53u /* "SKL1" read as a little-endian u32 */
#define SK_BINARY_VERSION 1
#define SK_BINARY_HEADER_SIZE 32
/* Header + SK_MAX_BODIES bodies of SK_MAX_JOINTS joints + CRC. */
#define SK_BINARY_MAX_FRAME \
    (SK_BINARY_HEADER_SIZE + SK_MAX_BODIES * (4 + SK_MAX_JOINTS * 13) + 4)

/* Encode the whole frame (all its bodies) into buf. Returns the number of
 * bytes written, or SK_ELIMIT if cap is too small, SK_EINVAL on a frame that
 * breaks the limits (nbodies, njoints) or that a decoder would refuse (a
 * non-finite coordinate, a tracking state above 2). */
int sk_binary_encode(const sk_frame *f, uint8_t *buf, size_t cap);

/* Encode one body of a frame as one self-contained message (for UDP: one
 * datagram per body per frame). The header says which body of how many it
 * carries so a receiver can put the frame back together. */
int sk_binary_encode_body(const sk_frame *f, int body, uint8_t *buf, size_t cap);

/* Where a decoded binary message sits in its frame: message m of a frame
 * carries bodies [first_body, first_body + f->nbodies) of frame_bodies. */
typedef struct sk_binary_part {
    int first_body;
    int frame_bodies;
} sk_binary_part;

/* Decode exactly one complete message from buf (a UDP datagram). Returns
 * the message's length on success, SK_EAGAIN if buf holds less than one
 * message, SK_EPROTO on a bad header (or bad first bytes, a non-finite
 * coordinate, a tracking state above 2), SK_ECHECKSUM on a CRC mismatch.
 * Bytes after the message are ignored (the caller sees len > returned).
 * part may be NULL. f is unspecified on error; on success as for
 * sk_decoder_next (bodies past f->nbodies left as they were). */
int sk_binary_decode(const uint8_t *buf, size_t len, sk_frame *f,
                     sk_binary_part *part);

/* ---- seed text ---------------------------------------------------------- */

/* Write body `body` of f as one text line ("x,y,z,x,y,z,...\n") with
 * precision digits per number ("%.*g"; 9 round-trips a float exactly), and
 * a NUL after it (so cap must exceed the line). Returns the length written
 * (without the NUL), SK_ELIMIT if cap is too small, SK_EINVAL on a bad body
 * index, precision outside 1..17, a joint count that is not the joint set's,
 * or a non-finite coordinate. */
int sk_text_encode(const sk_frame *f, int body, int precision, char *buf,
                   size_t cap);

/* ---- incremental decoder ------------------------------------------------ */

typedef struct sk_decoder sk_decoder;

typedef struct sk_decoder_config {
    int proto;   /* SK_PROTO_* */
    int njoints; /* text: accepted numbers per line = 3*njoints; 0 = the count
                    of any known joint set (60 or 75) */
    size_t max_line; /* text: longest line in bytes; 0 = SK_MAX_LINE */
} sk_decoder_config;

typedef struct sk_decoder_stats {
    uint64_t frames;      /* frames yielded */
    uint64_t errors;      /* protocol errors (each a skipped line or frame) */
    uint64_t bytes;       /* bytes fed */
    uint64_t skipped;     /* bytes thrown away while resynchronising */
} sk_decoder_stats;

/* Create a decoder. cfg may be NULL (auto, any known joint set). Returns 0,
 * SK_EINVAL or SK_ENOMEM. */
int sk_decoder_create(sk_decoder **out, const sk_decoder_config *cfg);
/* Free a decoder; NULL is fine. */
void sk_decoder_destroy(sk_decoder *d);

/* Forget buffered bytes and any half-read frame (a new connection); an auto
 * decoder decides its protocol again. Statistics are kept. */
void sk_decoder_reset(sk_decoder *d);

/* Append up to len bytes. Returns how many were taken: fewer than len when
 * the buffer is full, so call sk_decoder_next() until SK_EAGAIN and feed the
 * rest. Never allocates. */
size_t sk_decoder_feed(sk_decoder *d, const void *buf, size_t len);

/* Yield the next whole frame into *f. Returns
 *   0            a frame (f->seq is the sender's, or a line count for text)
 *   SK_EAGAIN    no whole frame buffered: feed more
 *   SK_EPROTO    one bad line or frame was skipped and counted; the message
 *                says why (sk_decoder_errmsg); call again for the next
 * Text frames: one body, id 0, all joints SK_TRACK_TRACKED, timestamp_us 0,
 * seq = text frames this decoder yielded before (0-based, kept across
 * sk_decoder_reset). f->arrival_us is set to 0: the caller stamps it.
 * Bodies past f->nbodies are left as they were (a frame is 2.4 KB); joints
 * past f->njoints of the bodies written are zeroed. */
int sk_decoder_next(sk_decoder *d, sk_frame *f);

/* The protocol in use (SK_PROTO_AUTO until an auto decoder has decided). */
int sk_decoder_proto(const sk_decoder *d);

/* The reason for the last SK_EPROTO. Borrowed: valid until the next call on d. */
const char *sk_decoder_errmsg(const sk_decoder *d);

void sk_decoder_get_stats(const sk_decoder *d, sk_decoder_stats *st);

/* Bytes of a half-read line or frame still buffered, not counting NUL
 * padding and blanks (0 while an overlong line or a bad frame is being
 * skipped: that one is already counted). Call it after sk_decoder_next()
 * returned SK_EAGAIN, e.g. when a peer closes: non-zero means the peer's
 * last frame was cut off. */
size_t sk_decoder_pending(const sk_decoder *d);

/* CRC-32 (IEEE 802.3, reflected, the zlib/PNG one) of len bytes, continuing
 * from crc (start with 0). */
uint32_t sk_crc32(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
