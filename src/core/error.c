/* sk_strerror: messages for the SK_E* codes of SK_ERRNO_MAP. */
#include <stdarg.h>
#include <stdio.h>

#include "core/seterr.h"
#include "skelact/frame.h"

void sk__seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

const char *sk_strerror(int err)
{
    switch (err) {
    case SK_OK:
        return "success";
#define SK__ERRNO_CASE(name, num, msg) \
    case SK_E##name:                   \
        return msg;
        SK_ERRNO_MAP(SK__ERRNO_CASE)
#undef SK__ERRNO_CASE
    }
    return "unknown error";
}
