/* Fuzz target: the key map parser (it reads user files).
 *
 * Input: byte 0 picks whether labels are checked (against the PRECOG
 * labels) or any label is accepted; the rest is the map text. Each input is
 * parsed whole; a refusal must name a line that exists ("line N: ...",
 * 1 <= N <= lines) or the size limit. A map that parses is parsed again
 * (same count); a map of keys only is driven through dry-run sinks with a
 * START and END of every label per body, then closed: every key pressed
 * must be released, in pairs. Any violation aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sinks_internal.h"
#include "skelact/sinks.h"

static const char *const LABELS[] = {"right punch", "left punch", "front right kick",
                                     "front left kick", "side right kick", "side left kick",
                                     "back fist", "elbow strike"};

static long presses, releases;
static int down[256]; /* per key name hash: pairing */

static unsigned key_hash(const char *k)
{
    unsigned h = 5381;
    while (*k)
        h = h * 33 + (unsigned char)*k++;
    return h & 255;
}

static void on_key(void *ctx, const char *key, int d)
{
    (void)ctx;
    if (d) {
        presses++;
        down[key_hash(key)]++;
    } else {
        releases++;
        if (--down[key_hash(key)] < 0)
            abort(); /* a release without its press */
    }
}

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int check_labels = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    long lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    sk_keymap *m = NULL;
    char err[256] = "";
    int rc = sk_keymap_parse(&m, text, len, check_labels ? LABELS : NULL, check_labels ? 8 : 0,
                             err, sizeof err);
    if (rc != 0) {
        if (m)
            abort();
        long line = -1;
        if (rc == SK_ENOMEM)
            return 0;
        if (sscanf(err, "line %ld:", &line) == 1) {
            if (line < 1 || line > lines)
                abort();
        } else if (strncmp(err, "map larger than", 15) != 0) {
            abort();
        }
        return 0;
    }
    int n = sk_keymap_count(m);
    if (n < 0 || n > SK_KEYMAP_MAX_ACTIONS)
        abort();
    sk_keymap *m2 = NULL;
    if (sk_keymap_parse(&m2, text, len, check_labels ? LABELS : NULL, check_labels ? 8 : 0,
                        NULL, 0) != 0 || sk_keymap_count(m2) != n)
        abort();
    sk_keymap_destroy(m2);
    int keys_only = 1;
    for (int i = 0; i < m->nact; i++) {
        const sk__action *a = &m->act[i];
        if (a->kind == SK__ACT_EXEC || a->kind == SK__ACT_JSON)
            keys_only = 0;
        else if (a->nkeys < 1 || a->nkeys > SK_KEYMAP_MAX_COMBO)
            abort();
    }
    if (!keys_only) {
        sk_keymap_destroy(m);
        return 0;
    }
    presses = releases = 0;
    memset(down, 0, sizeof down);
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    cfg.backend = "dry-run";
    cfg.on_key = on_key;
    cfg.clock = fake_clock;
    sk_sinks *s = NULL;
    if (sk_sinks_create(&s, m, &cfg, NULL, 0) != 0)
        abort();
    for (int i = 0; i < m->nact && i < 16; i++) {
        sk_event ev;
        memset(&ev, 0, sizeof ev);
        ev.name = m->act[i].label;
        ev.body = (uint32_t)(i % 3);
        ev.kind = SK_EVENT_START;
        fake_now += 50000;
        sk_sinks_on_event(s, &ev);
        if (i % 2) {
            ev.kind = SK_EVENT_END;
            sk_sinks_on_event(s, &ev);
        }
    }
    sk_sinks_destroy(s);
    if (presses != releases)
        abort();
    for (int i = 0; i < 256; i++)
        if (down[i])
            abort();
    return 0;
}
