/* The demo's key column: the default key map through the sinks' dry-run
 * backend. The on_key observer collects the keys pressed for one event;
 * the sinks' clock is the sensor time of that event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_keys.h"
#include "skelact/sinks.h"

#ifndef DEMO_KEYS_TEXT
#define DEMO_KEYS_TEXT 64 /* the keys of one event: a combination of a few names */
#endif

struct demo_keys {
    sk_sinks *sinks;
    int64_t now_us;            /* sensor time of the event being handled */
    char text[DEMO_KEYS_TEXT]; /* keys pressed for it, '+'-joined */
};

static void on_key(void *ctx, const char *key, int down)
{
    demo_keys *k = ctx;
    if (!down)
        return;
    size_t len = strlen(k->text);
    snprintf(k->text + len, sizeof k->text - len, "%s%s", len ? "+" : "", key);
}

static int64_t clock_now(void *ctx)
{
    return ((demo_keys *)ctx)->now_us;
}

int demo_keys_open(demo_keys **out, const char *path, const sk_model_header *h,
                   char *err, size_t errlen)
{
    *out = NULL;
    const char *labels[SK_MAX_CLASSES];
    for (int i = 0; i < h->nlabels && i < SK_MAX_CLASSES; i++)
        labels[i] = h->labels[i];
    demo_keys *k = calloc(1, sizeof *k);
    sk_keymap *map = NULL;
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return SK_ENOMEM;
    }
    int rc = sk_keymap_load(&map, path, labels, h->nlabels, err, errlen);
    if (rc)
        goto fail;
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    cfg.backend = "dry-run";
    cfg.on_key = on_key;
    cfg.key_ctx = k;
    cfg.clock = clock_now;
    cfg.clock_ctx = k;
    rc = sk_sinks_create(&k->sinks, map, &cfg, err, errlen); /* takes map */
    if (rc)
        goto fail;
    *out = k;
    return 0;
fail:
    free(k);
    return rc;
}

void demo_keys_close(demo_keys *k)
{
    if (!k)
        return;
    sk_sinks_destroy(k->sinks);
    free(k);
}

const char *demo_keys_event(demo_keys *k, const sk_event *ev, int64_t t_us)
{
    k->now_us = t_us;
    k->text[0] = '\0';
    sk_sinks_on_event(k->sinks, ev);
    sk_sinks_tick(k->sinks);
    return k->text[0] ? k->text : "-";
}
