/* HTTP/1.x request-head parser (see http.h). */
#include "viewer/http.h"

#include <string.h>

#include "skelact/frame.h"

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The request line [p, e) (without its line end). */
static int parse_request_line(const char *p, const char *e, sk__http_req *req)
{
    const char *m = p;
    while (p < e && *p != ' ') {
        if (!is_tchar((unsigned char)*p))
            return SK_EPROTO;
        p++;
    }
    size_t mlen = (size_t)(p - m);
    if (mlen == 0 || mlen > 16 || p == e)
        return SK_EPROTO;
    if (mlen == 3 && !memcmp(m, "GET", 3))
        req->method = SK__HTTP_GET;
    else if (mlen == 4 && !memcmp(m, "HEAD", 4))
        req->method = SK__HTTP_HEAD;
    else
        req->method = SK__HTTP_OTHER;
    p++; /* the space */
    const char *t = p;
    while (p < e && *p != ' ') {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f)
            return SK_EPROTO;
        p++;
    }
    size_t tlen = (size_t)(p - t);
    if (tlen == 0 || t[0] != '/' || p == e)
        return SK_EPROTO;
    if (tlen >= SK_HTTP_MAX_PATH)
        return SK_ELIMIT;
    size_t plen = 0;
    while (plen < tlen && t[plen] != '?' && t[plen] != '#')
        plen++;
    memcpy(req->path, t, plen);
    req->path[plen] = '\0';
    p++;
    if (e - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' ||
        p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
        return SK_EPROTO;
    if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
        return SK_EUNSUPPORTED;
    req->minor = p[7] - '0';
    return 0;
}

/* One header line [p, e): name ':' value, name a token, no control bytes
 * other than tab in the value. */
static int parse_header(const char *p, const char *e)
{
    const char *n = p;
    while (p < e && *p != ':') {
        if (!is_tchar((unsigned char)*p))
            return SK_EPROTO;
        p++;
    }
    if (p == n || p == e)
        return SK_EPROTO;
    for (p++; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return SK_EPROTO;
    }
    return 0;
}

int sk__http_parse(const char *buf, size_t n, size_t max_head, sk__http_req *req)
{
    if (!buf || !req)
        return SK_EINVAL;
    if (max_head == 0 || max_head > SK_HTTP_MAX_HEAD)
        max_head = SK_HTTP_MAX_HEAD;
    memset(req, 0, sizeof *req);
    size_t lim = n < max_head ? n : max_head;
    size_t pos = 0;
    int line = 0;
    for (;;) {
        const char *s = buf + pos;
        const char *nl = memchr(s, '\n', lim - pos);
        if (!nl) {
            /* An incomplete line: reject what is already wrong in it. */
            for (const char *q = s; q < buf + lim; q++)
                if (*q == '\0' || (line == 0 && (unsigned char)*q >= 0x7f))
                    return SK_EPROTO;
            return n >= max_head ? SK_ELIMIT : SK_EAGAIN;
        }
        const char *e = nl;
        if (e > s && e[-1] == '\r')
            e--;
        for (const char *q = s; q < e; q++)
            if (*q == '\r' || *q == '\0')
                return SK_EPROTO; /* a bare CR or NUL inside a line */
        pos = (size_t)(nl - buf) + 1;
        if (line == 0) {
            int rc = parse_request_line(s, e, req);
            if (rc)
                return rc;
        } else if (e == s) {
            req->head_len = pos;
            return 0;
        } else {
            if (*s == ' ' || *s == '\t')
                return SK_EPROTO; /* obsolete line folding */
            if (++req->headers > SK_HTTP_MAX_HEADERS)
                return SK_ELIMIT;
            int rc = parse_header(s, e);
            if (rc)
                return rc;
        }
        line++;
    }
}
