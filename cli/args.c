/* Argument helpers shared by the subcommands. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "skelact %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

int cli_parse_int(const char *s, int *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < INT_MIN || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

int cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || v != v)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    if (!s || !*s || hostlen == 0)
        return -1;
    const char *colon = NULL;
    const char *h = s;
    size_t hlen = 0;
    if (s[0] == '[') { /* [v6]:port */
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon) {
            hlen = (size_t)(colon - s);
        }
    }
    const char *p = colon ? colon + 1 : s;
    int v;
    if (cli_parse_int(p, &v) != 0 || v < 1 || v > 65535)
        return -1;
    if (hlen == 0) {
        h = "127.0.0.1";
        hlen = strlen(h);
    }
    if (hlen >= hostlen)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = v;
    return 0;
}

int cli_parse_int_list(const char *s, unsigned char *out, int maxv)
{
    if (!s || !*s)
        return -1;
    memset(out, 0, (size_t)maxv);
    int n = 0;
    const char *p = s;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b;
        if (end == p)
            return -1;
        p = end;
        if (*p == '-') {
            p++;
            b = strtol(p, &end, 10);
            if (end == p)
                return -1;
            p = end;
        } else {
            b = a;
        }
        if (a < 1 || b < a || b >= maxv)
            return -1;
        for (long i = a; i <= b; i++) {
            if (!out[i])
                n++;
            out[i] = 1;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return n;
}

void cli_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}
