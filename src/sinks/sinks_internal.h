/* Inside the sinks: the key table, the parsed map, the backend interface. */
#ifndef SKELACT_SINKS_INTERNAL_H
#define SKELACT_SINKS_INTERNAL_H

#include <stddef.h>

#include "skelact/nn.h"
#include "skelact/sinks.h"

/* One key this build can press: canonical name (the X keysym name) and
 * the Linux input event code (uinput). */
typedef struct sk__key {
    const char *name;  /* X keysym name, also the canonical map name */
    const char *alias; /* another accepted name, or NULL */
    int code;          /* linux/input-event-codes.h KEY_* */
} sk__key;

extern const sk__key sk__keys[];
extern const int sk__nkeys;

/* Index of a key name (case-insensitive, name or alias), or -1. */
int sk__key_find(const char *name, size_t len);
/* 1 for shift, ctrl, alt, super (either side). */
int sk__key_is_modifier(int k);

enum { SK__ACT_TAP = 1, SK__ACT_HOLD, SK__ACT_EXEC, SK__ACT_JSON };

typedef struct sk__action {
    char label[SK_LABEL_LEN];
    int kind;                      /* SK__ACT_* */
    int keys[SK_KEYMAP_MAX_COMBO]; /* key indexes, modifiers first */
    int nkeys;
    int cooldown_ms;               /* 0 = none */
    int line;                      /* in the map file */
    char *arg;                     /* exec: command; json: address */
} sk__action;

struct sk_keymap {
    sk__action *act;
    int nact;
    double rate;     /* "set rate"; 0 = unset */
    int max_hold_ms; /* "set max-hold"; 0 = unset */
};

/* A key backend: key index (into sk__keys) down/up, then flush once per
 * group of keys. */
typedef struct sk__backend {
    const char *name;
    void *impl;
    int (*key)(void *impl, int key, int down);
    void (*flush)(void *impl);
    void (*destroy)(void *impl);
    const char *(*device)(void *impl);
} sk__backend;

/* Open a backend; 0, SK_EIO / SK_EUNSUPPORTED with err filled. */
int sk__xtest_open(sk__backend *b, const char *display, char *err, size_t errlen);
int sk__uinput_open(sk__backend *b, char *err, size_t errlen);

#endif
