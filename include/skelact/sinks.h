/* skelact sinks: recognized actions become key presses and other actions.
 *
 * A key map (docs/KEYMAP.md) says, per label name, what a START event of
 * that label does: tap a key or a combination (shift+w), hold one while the
 * action lasts (press on START, release on the END of the same body), run a
 * command, or write a JSON line to a socket. sk_sinks_on_event() is an
 * sk_event_fn: chain it from the recognizer's event callback.
 *
 * Keys go through one backend: "xtest" (X11 XTest, keys to the focused
 * window), "uinput" (a Linux virtual keyboard through libevdev) or "dry-run"
 * (nothing is sent; the on_key observer still sees every key). xtest and
 * uinput are compiled in only where their libraries were found
 * (sk_keys_backends() lists this build's).
 *
 * Safety. Only events press keys. A global rate limit (STARTs acted on per
 * second), a per-line cooldown, a maximum hold time (sk_sinks_tick), and
 * every key pressed is released by an END, by sk_sinks_release_all() and by
 * sk_sinks_destroy(). The per-event path allocates nothing; commands are
 * forked without waiting (children are reaped by tick and on events, at
 * most SK_SINKS_MAX_CHILDREN at once); socket writes never block (a line
 * that cannot be written at once is dropped and counted).
 */
#ifndef SKELACT_SINKS_H
#define SKELACT_SINKS_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/recognizer.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SK_KEYMAP_MAX_BYTES
#define SK_KEYMAP_MAX_BYTES 65536 /* a hand-written map is a few hundred bytes */
#endif
#ifndef SK_KEYMAP_MAX_LINE
#define SK_KEYMAP_MAX_LINE 1024 /* one mapping line; longer is an error, not a buffer */
#endif
#ifndef SK_KEYMAP_MAX_ACTIONS
#define SK_KEYMAP_MAX_ACTIONS 256 /* mapping lines: 4 per label of the largest model */
#endif
#ifndef SK_KEYMAP_MAX_COMBO
#define SK_KEYMAP_MAX_COMBO 4 /* keys of one combination (ctrl+alt+shift+x) */
#endif
#ifndef SK_SINKS_RATE
#define SK_SINKS_RATE 10.0 /* STARTs acted on per second: faster than any move, slower than a runaway */
#endif
#ifndef SK_SINKS_MAX_HOLD_MS
#define SK_SINKS_MAX_HOLD_MS 3000 /* a held key outliving a 3 s move is a lost END */
#endif
#ifndef SK_SINKS_MAX_HELD
#define SK_SINKS_MAX_HELD 64 /* holds at once: a few per body of a crowded scene */
#endif
#ifndef SK_SINKS_MAX_CHILDREN
#define SK_SINKS_MAX_CHILDREN 4 /* commands running at once; more are dropped, counted */
#endif

/* ---- key map ------------------------------------------------------------ */

typedef struct sk_keymap sk_keymap;

/* Parse a key map from text (len bytes, no NUL needed). labels (nlabels
 * names; may be NULL to accept any label) are the model's label names; a
 * line naming another label, an unknown key, a bad option or a malformed
 * line is refused. Returns 0, SK_EFORMAT (err gets "line N: what"),
 * SK_ELIMIT (too long, too many lines) or SK_ENOMEM. err (errlen bytes) may
 * be NULL. */
int sk_keymap_parse(sk_keymap **out, const char *text, size_t len,
                    const char *const *labels, int nlabels, char *err,
                    size_t errlen);
/* sk_keymap_parse on a file's contents; err names the file. Also SK_EIO. */
int sk_keymap_load(sk_keymap **out, const char *path,
                   const char *const *labels, int nlabels, char *err,
                   size_t errlen);
void sk_keymap_destroy(sk_keymap *map);

/* Number of mapping lines, and the global settings of the map ("set rate",
 * "set max-hold"; 0 where the map does not set them). */
int sk_keymap_count(const sk_keymap *map);
void sk_keymap_settings(const sk_keymap *map, double *rate, int *max_hold_ms);

/* Does this build know the key name (case-insensitive: "w", "Left",
 * "ctrl", "F5")? 1 or 0. */
int sk_key_known(const char *name);

/* ---- sinks -------------------------------------------------------------- */

/* The key backends compiled into this build, space-separated, e.g.
 * "xtest uinput dry-run" (static string). */
const char *sk_keys_backends(void);

typedef void (*sk_key_fn)(void *ctx, const char *key, int down);
typedef int64_t (*sk_clock_fn)(void *ctx);

typedef struct sk_sinks_config {
    const char *backend;  /* "xtest", "uinput", "dry-run" or "auto" (NULL =
                             "auto": xtest if the display opens, else uinput
                             if /dev/uinput is writable) */
    const char *display;  /* X display name; NULL = $DISPLAY */
    double rate;          /* STARTs acted on per second; 0 = the map's
                             "set rate", else SK_SINKS_RATE */
    int max_hold_ms;      /* 0 = the map's "set max-hold", else
                             SK_SINKS_MAX_HOLD_MS */
    sk_key_fn on_key;     /* observer of every key sent (may be NULL): key
                             is the canonical name, down 1 press 0 release */
    void *key_ctx;
    sk_clock_fn clock;    /* microseconds; NULL = sk_now_us (tests inject) */
    void *clock_ctx;
} sk_sinks_config;

typedef struct sk_sinks sk_sinks;

/* Zero cfg and set backend "auto". */
void sk_sinks_config_default(sk_sinks_config *cfg);

/* Create the sinks of map (taken: destroyed with the sinks, also on
 * failure) and open the key backend (only if the map has key lines; a map
 * of commands and sockets needs none). Sockets are connected when first
 * written to. Returns 0, SK_EUNSUPPORTED (backend not compiled in),
 * SK_EIO (backend cannot work: no display, no /dev/uinput, no permission),
 * SK_EINVAL or SK_ENOMEM; err (errlen bytes, may be NULL) gets one line. */
int sk_sinks_create(sk_sinks **out, sk_keymap *map, const sk_sinks_config *cfg,
                    char *err, size_t errlen);
/* Release every pressed key, then free. NULL is fine. */
void sk_sinks_destroy(sk_sinks *s);

/* Act on one recognizer event (an sk_event_fn; ctx is the sk_sinks). */
void sk_sinks_on_event(void *ctx, const sk_event *ev);
/* Release holds older than the maximum hold time and reap finished
 * commands. Call a few times a second. */
void sk_sinks_tick(sk_sinks *s);
/* Release every key pressed (holds and their modifiers). */
void sk_sinks_release_all(sk_sinks *s);

/* The backend in use ("xtest", "uinput", "dry-run", or "none" for a map
 * without keys) and its device (the X display name, the /dev/input/eventN
 * node of the virtual keyboard; "" if none). Static / owned strings. */
const char *sk_sinks_backend(const sk_sinks *s);
const char *sk_sinks_device(const sk_sinks *s);

typedef struct sk_sinks_stats {
    uint64_t events;        /* events received */
    uint64_t acted;         /* STARTs that did something */
    uint64_t presses;       /* key presses sent (each key of a combo) */
    uint64_t releases;      /* key releases sent */
    uint64_t rate_limited;  /* STARTs dropped by the rate limit */
    uint64_t cooled;        /* lines skipped by their cooldown */
    uint64_t hold_timeouts; /* holds released by the maximum hold time */
    uint64_t holds_refused; /* holds dropped: SK_SINKS_MAX_HELD were held */
    uint64_t commands;      /* commands started */
    uint64_t commands_dropped; /* too many running, or fork failed */
    uint64_t lines_sent;    /* JSON lines written */
    uint64_t lines_dropped; /* JSON lines not writable at once */
    uint64_t key_errors;    /* the backend refused a key */
} sk_sinks_stats;
void sk_sinks_get_stats(const sk_sinks *s, sk_sinks_stats *st);

#ifdef __cplusplus
}
#endif
#endif
