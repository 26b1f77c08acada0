/* Sender: placeholder while the implementation lands. */
#include <stdio.h>

#include "skelact/net.h"

int sk_sender_create(sk_sender **out, const sk_sender_config *cfg, char *err,
                     size_t errlen)
{
    (void)cfg;
    *out = NULL;
    if (err && errlen)
        snprintf(err, errlen, "sender not implemented yet");
    return SK_EUNSUPPORTED;
}
void sk_sender_destroy(sk_sender *s) { (void)s; }
int sk_sender_send(sk_sender *s, const sk_frame *f) { return SK_EUNSUPPORTED; }
int sk_sender_poll(sk_sender *s, int timeout_ms) { return SK_EUNSUPPORTED; }
int sk_sender_flush(sk_sender *s, int timeout_ms) { return SK_EUNSUPPORTED; }
int sk_sender_wait_ready(sk_sender *s, int timeout_ms) { return SK_EUNSUPPORTED; }
int sk_sender_port(const sk_sender *s) { return 0; }
void sk_sender_get_stats(const sk_sender *s, sk_sender_stats *st)
{
    *st = (sk_sender_stats){0};
}
const char *sk_sender_errmsg(const sk_sender *s) { return "not implemented"; }
