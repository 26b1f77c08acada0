/* Internal: the one writer of a caller's error buffer, for every part of
 * the library. */
#ifndef SKELACT_CORE_SETERR_H
#define SKELACT_CORE_SETERR_H

#include <stddef.h>

/* Format a one-line message into err (errlen bytes); err may be NULL or
 * errlen 0 (nothing is written). */
void sk__seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
