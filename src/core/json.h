/* Internal: JSON text the library writes (event lines to a socket, the
 * viewer's messages). */
#ifndef SKELACT_CORE_JSON_H
#define SKELACT_CORE_JSON_H

#include <stddef.h>

/* s as a JSON string (quotes, \" \\ and \u00XX for control bytes) into buf,
 * NUL-ended. Returns the characters written (without the NUL), or 0 if it
 * does not fit in cap bytes (buf's content is then unspecified). */
size_t sk__json_string(char *buf, size_t cap, const char *s);

#endif
