/* The demo's key column (cli/demo_keys.c): what the default key map would
 * press for each recognized move, through the sinks' dry-run backend (no key
 * is ever sent). */
#ifndef SKELACT_CLI_DEMO_KEYS_H
#define SKELACT_CLI_DEMO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/nn.h"
#include "skelact/recognizer.h"

typedef struct demo_keys demo_keys;

/* Open the key map at path against the labels of h with the dry-run
 * backend. The sinks' clock is the sensor time the caller sets with
 * demo_keys_event (so rate limits and cooldowns act as at real speed even
 * with --fast). Returns 0, or a negative SK_E* code with one line in err. */
int demo_keys_open(demo_keys **out, const char *path, const sk_model_header *h,
                   char *err, size_t errlen);
void demo_keys_close(demo_keys *k);

/* Pass ev (START or END) to the sinks at sensor time t_us. For a START,
 * returns the keys the map pressed for it ("w", "shift+w", "j (hold)"), or
 * "-" when it pressed nothing (an unmapped label, a rate limit, a
 * cooldown). Borrowed: valid until the next call. */
const char *demo_keys_event(demo_keys *k, const sk_event *ev, int64_t t_us);

#endif
