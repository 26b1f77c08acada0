/* Fuzz target: the viewer's HTTP request-head parser (network-facing).
 *
 * Byte 0 picks the head limit; the rest is what a peer sent. Checks: the
 * result is one of the documented codes; a parsed head lies within the
 * input and the limit and ends in a blank line; its path starts with '/'
 * and holds no '?', '#', space or control byte; every shorter prefix of a
 * parsed head needs more bytes (or is the same error proven earlier); an
 * error stays the same when more bytes follow. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "skelact/frame.h"
#include "viewer/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const size_t limits[4] = {0, 64, 512, SK_HTTP_MAX_HEAD};
    size_t max_head = limits[data[0] & 3];
    size_t lim = max_head ? max_head : SK_HTTP_MAX_HEAD;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    sk__http_req r;
    int rc = sk__http_parse(s, n, max_head, &r);
    if (rc != 0 && rc != SK_EAGAIN && rc != SK_EPROTO && rc != SK_ELIMIT &&
        rc != SK_EUNSUPPORTED)
        abort();
    if (rc == SK_EAGAIN && n >= lim)
        abort(); /* the limit is reached: it must have decided */
    if (rc == 0) {
        if (r.head_len < 4 || r.head_len > n || r.head_len > lim || s[r.head_len - 1] != '\n')
            abort();
        if (r.path[0] != '/' || strlen(r.path) >= SK_HTTP_MAX_PATH)
            abort();
        for (const char *p = r.path; *p; p++)
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '?' || *p == '#')
                abort();
        if (r.method < SK__HTTP_GET || r.method > SK__HTTP_OTHER || r.minor < 0 || r.minor > 1 ||
            r.headers > SK_HTTP_MAX_HEADERS)
            abort();
        /* The same head alone parses the same. */
        sk__http_req r2;
        if (sk__http_parse(s, r.head_len, max_head, &r2) != 0 || r2.head_len != r.head_len ||
            strcmp(r2.path, r.path) != 0)
            abort();
        /* Shorter prefixes are incomplete, never an error. */
        for (size_t k = 0; k < r.head_len; k += 1 + k / 8)
            if (sk__http_parse(s, k, max_head, &r2) != SK_EAGAIN)
                abort();
    } else if (rc != SK_EAGAIN && n > 0) {
        /* More bytes after a proven error do not unprove it (a limit error
         * needs the bytes it saw, so only check the others). */
        if (rc != SK_ELIMIT) {
            char *more = malloc(n + 8);
            if (!more)
                return 0;
            memcpy(more, s, n);
            memcpy(more + n, "\r\n\r\nXYZW", 8);
            int rc2 = sk__http_parse(more, n + 8, max_head, &r);
            free(more);
            if (rc2 != rc && rc2 != SK_ELIMIT)
                abort();
        }
    }
    return 0;
}
