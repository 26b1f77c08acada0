/* sk_strerror: messages for the SK_E* codes of SK_ERRNO_MAP. */
#include "skelact/frame.h"

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
