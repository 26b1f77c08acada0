/* The viewer's HTTP/1.x request-head parser: I/O-free, limits checked before
 * use, fuzzed by fuzz/fuzz_http.c (it faces the network). */
#ifndef SKELACT_VIEWER_HTTP_H
#define SKELACT_VIEWER_HTTP_H

#include <stddef.h>

#ifndef SK_HTTP_MAX_HEAD
#define SK_HTTP_MAX_HEAD 4096 /* bytes of a request head: a browser sends < 1 KB to us */
#endif
#ifndef SK_HTTP_MAX_HEADERS
#define SK_HTTP_MAX_HEADERS 64 /* header lines of one request */
#endif
#ifndef SK_HTTP_MAX_PATH
#define SK_HTTP_MAX_PATH 256 /* bytes of a request target: our paths are short */
#endif

enum { SK__HTTP_GET = 1, SK__HTTP_HEAD = 2, SK__HTTP_OTHER = 3 };

typedef struct sk__http_req {
    int method;                  /* SK__HTTP_* */
    int minor;                   /* HTTP/1.minor: 0 or 1 */
    char path[SK_HTTP_MAX_PATH]; /* the target up to '?' or '#', NUL-ended */
    size_t head_len;             /* bytes of the head, blank line included */
    int headers;                 /* header lines */
} sk__http_req;

/* Parse the request head at the start of buf (n bytes; the head may still be
 * incomplete). Lines end in CRLF or LF. Returns 0 (req filled), SK_EAGAIN
 * (need more bytes), SK_EPROTO (malformed: answer 400), SK_ELIMIT (head
 * longer than max_head, more than SK_HTTP_MAX_HEADERS lines, or a target of
 * SK_HTTP_MAX_PATH bytes or more: answer 431/414) or SK_EUNSUPPORTED (a
 * version other than HTTP/1.0 or 1.1: answer 505). An error is reported as
 * soon as the bytes seen prove it. */
int sk__http_parse(const char *buf, size_t n, size_t max_head, sk__http_req *req);

#endif
