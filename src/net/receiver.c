/* Receiver: placeholder while the implementation lands. */
#include <stdio.h>

#include "skelact/net.h"

int sk_receiver_create(sk_receiver **out, const sk_receiver_config *cfg,
                       char *err, size_t errlen)
{
    (void)cfg;
    *out = NULL;
    if (err && errlen)
        snprintf(err, errlen, "receiver not implemented yet");
    return SK_EUNSUPPORTED;
}
void sk_receiver_destroy(sk_receiver *r) { (void)r; }
int sk_receiver_poll(sk_receiver *r, int timeout_ms, sk_frame_fn on_frame, void *ctx)
{
    return SK_EUNSUPPORTED;
}
int sk_receiver_port(const sk_receiver *r) { return 0; }
void sk_receiver_get_stats(const sk_receiver *r, sk_receiver_stats *st)
{
    *st = (sk_receiver_stats){0};
}
const char *sk_receiver_errmsg(const sk_receiver *r) { return "not implemented"; }
