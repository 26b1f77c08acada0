/* sk__json_string: see core/json.h. */
#include "core/json.h"

#include <stdio.h>

size_t sk__json_string(char *buf, size_t cap, const char *s)
{
    size_t o = 0;
    if (cap < 3)
        return 0;
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (o + 8 >= cap) /* room for the longest escape, the quote and NUL */
            return 0;
        if (*p == '"' || *p == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)*p;
        } else if (*p < 0x20) {
            o += (size_t)snprintf(buf + o, cap - o, "\\u%04x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return o;
}
