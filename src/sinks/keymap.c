/* The key map: key names and the map file parser (docs/KEYMAP.md).
 *
 * A line is a comment (#...), blank, a setting ("set rate 8", "set
 * max-hold 2000") or a mapping "LABEL = [cooldown=MS] VERB ARGS" with VERB
 * tap KEYS | hold KEYS | exec COMMAND | json unix:PATH|tcp:HOST:PORT.
 * Every error names its line. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/input-event-codes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/seterr.h"
#include "sinks/sinks_internal.h"

#define K(x, c) {x, NULL, c}
#define KA(x, a, c) {x, a, c}
const sk__key sk__keys[] = {
    K("a", KEY_A), K("b", KEY_B), K("c", KEY_C), K("d", KEY_D), K("e", KEY_E),
    K("f", KEY_F), K("g", KEY_G), K("h", KEY_H), K("i", KEY_I), K("j", KEY_J),
    K("k", KEY_K), K("l", KEY_L), K("m", KEY_M), K("n", KEY_N), K("o", KEY_O),
    K("p", KEY_P), K("q", KEY_Q), K("r", KEY_R), K("s", KEY_S), K("t", KEY_T),
    K("u", KEY_U), K("v", KEY_V), K("w", KEY_W), K("x", KEY_X), K("y", KEY_Y),
    K("z", KEY_Z),
    K("0", KEY_0), K("1", KEY_1), K("2", KEY_2), K("3", KEY_3), K("4", KEY_4),
    K("5", KEY_5), K("6", KEY_6), K("7", KEY_7), K("8", KEY_8), K("9", KEY_9),
    K("F1", KEY_F1), K("F2", KEY_F2), K("F3", KEY_F3), K("F4", KEY_F4),
    K("F5", KEY_F5), K("F6", KEY_F6), K("F7", KEY_F7), K("F8", KEY_F8),
    K("F9", KEY_F9), K("F10", KEY_F10), K("F11", KEY_F11), K("F12", KEY_F12),
    KA("Shift_L", "shift", KEY_LEFTSHIFT), K("Shift_R", KEY_RIGHTSHIFT),
    KA("Control_L", "ctrl", KEY_LEFTCTRL), K("Control_R", KEY_RIGHTCTRL),
    KA("Alt_L", "alt", KEY_LEFTALT), K("Alt_R", KEY_RIGHTALT),
    KA("Super_L", "super", KEY_LEFTMETA),
    KA("Escape", "esc", KEY_ESC), KA("Return", "enter", KEY_ENTER),
    K("space", KEY_SPACE), K("Tab", KEY_TAB), KA("BackSpace", "backspace", KEY_BACKSPACE),
    KA("Delete", "del", KEY_DELETE), K("Insert", KEY_INSERT), K("Home", KEY_HOME),
    K("End", KEY_END), KA("Prior", "pageup", KEY_PAGEUP), KA("Next", "pagedown", KEY_PAGEDOWN),
    K("Left", KEY_LEFT), K("Right", KEY_RIGHT), K("Up", KEY_UP), K("Down", KEY_DOWN),
    K("minus", KEY_MINUS), K("equal", KEY_EQUAL), K("bracketleft", KEY_LEFTBRACE),
    K("bracketright", KEY_RIGHTBRACE), K("semicolon", KEY_SEMICOLON),
    K("apostrophe", KEY_APOSTROPHE), K("grave", KEY_GRAVE), K("backslash", KEY_BACKSLASH),
    K("comma", KEY_COMMA), K("period", KEY_DOT), K("slash", KEY_SLASH),
    KA("Caps_Lock", "capslock", KEY_CAPSLOCK),
};
#undef K
#undef KA
const int sk__nkeys = (int)(sizeof sk__keys / sizeof sk__keys[0]);

/* Modifiers come first in a combination, whatever order the map wrote. */
int sk__key_is_modifier(int k)
{
    int c = sk__keys[k].code;
    return c == KEY_LEFTSHIFT || c == KEY_RIGHTSHIFT || c == KEY_LEFTCTRL ||
           c == KEY_RIGHTCTRL || c == KEY_LEFTALT || c == KEY_RIGHTALT ||
           c == KEY_LEFTMETA;
}

static int name_eq(const char *a, const char *s, size_t len)
{
    return a && strlen(a) == len && strncasecmp(a, s, len) == 0;
}

int sk__key_find(const char *name, size_t len)
{
    for (int k = 0; k < sk__nkeys; k++)
        if (name_eq(sk__keys[k].name, name, len) || name_eq(sk__keys[k].alias, name, len))
            return k;
    return -1;
}

int sk_key_known(const char *name)
{
    return name && sk__key_find(name, strlen(name)) >= 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Trim [*s, *e) of blanks. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && is_space(**s))
        (*s)++;
    while (*e > *s && is_space((*e)[-1]))
        (*e)--;
}

/* Next blank-separated token of [*p, e) into [*ts, *te); 0 if none. */
static int token(const char **p, const char *e, const char **ts, const char **te)
{
    while (*p < e && is_space(**p))
        (*p)++;
    if (*p >= e)
        return 0;
    *ts = *p;
    while (*p < e && !is_space(**p))
        (*p)++;
    *te = *p;
    return 1;
}

static int tok_is(const char *s, const char *e, const char *word)
{
    return name_eq(word, s, (size_t)(e - s));
}

/* A non-negative integer of at most 9 digits in [s, e); -1 if not. */
static long parse_uint(const char *s, const char *e)
{
    if (s >= e || e - s > 9)
        return -1;
    long v = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* "a+b+c" into act->keys, modifiers first. 0 or -1 with err. */
static int parse_keys(sk__action *act, const char *s, const char *e, int line,
                      char *err, size_t errlen)
{
    int mods[SK_KEYMAP_MAX_COMBO], nmods = 0, rest[SK_KEYMAP_MAX_COMBO], nrest = 0;
    const char *p = s;
    while (p <= e) {
        const char *q = p;
        while (q < e && *q != '+')
            q++;
        if (q == p) {
            sk__seterr(err, errlen, "line %d: empty key name in '%.*s'", line, (int)(e - s), s);
            return -1;
        }
        int k = sk__key_find(p, (size_t)(q - p));
        if (k < 0) {
            sk__seterr(err, errlen, "line %d: unknown key '%.*s' (see docs/KEYMAP.md for key names)",
                   line, (int)(q - p), p);
            return -1;
        }
        if (nmods + nrest >= SK_KEYMAP_MAX_COMBO) {
            sk__seterr(err, errlen, "line %d: more than %d keys in one combination", line,
                   SK_KEYMAP_MAX_COMBO);
            return -1;
        }
        for (int i = 0; i < nmods; i++)
            if (mods[i] == k)
                goto dup;
        for (int i = 0; i < nrest; i++)
            if (rest[i] == k)
                goto dup;
        if (sk__key_is_modifier(k))
            mods[nmods++] = k;
        else
            rest[nrest++] = k;
        p = q + 1;
    }
    act->nkeys = 0;
    for (int i = 0; i < nmods; i++)
        act->keys[act->nkeys++] = mods[i];
    for (int i = 0; i < nrest; i++)
        act->keys[act->nkeys++] = rest[i];
    return 0;
dup:
    sk__seterr(err, errlen, "line %d: a key appears twice in '%.*s'", line, (int)(e - s), s);
    return -1;
}

/* A json address: unix:PATH or tcp:IPV4:PORT. 0 or -1 with err. */
static int check_addr(const char *s, const char *e, int line, char *err, size_t errlen)
{
    size_t n = (size_t)(e - s);
    if (n > 5 && !strncmp(s, "unix:", 5)) {
        if (n - 5 >= 108) { /* sizeof sun_path */
            sk__seterr(err, errlen, "line %d: unix socket path too long", line);
            return -1;
        }
        return 0;
    }
    if (n > 4 && !strncmp(s, "tcp:", 4)) {
        const char *colon = NULL;
        for (const char *p = s + 4; p < e; p++)
            if (*p == ':')
                colon = p;
        char host[64];
        long port = colon ? parse_uint(colon + 1, e) : -1;
        if (colon && colon - (s + 4) < (long)sizeof host && port >= 1 && port <= 65535) {
            memcpy(host, s + 4, (size_t)(colon - (s + 4)));
            host[colon - (s + 4)] = '\0';
            struct in_addr a;
            if (inet_pton(AF_INET, host, &a) == 1)
                return 0;
        }
        sk__seterr(err, errlen, "line %d: bad address '%.*s' (want tcp:127.0.0.1:PORT)", line,
               (int)n, s);
        return -1;
    }
    sk__seterr(err, errlen, "line %d: bad address '%.*s' (want unix:PATH or tcp:HOST:PORT)",
           line, (int)n, s);
    return -1;
}

static int label_known(const char *s, size_t n, const char *const *labels, int nlabels)
{
    if (!labels)
        return 1;
    for (int i = 0; i < nlabels; i++)
        if (labels[i] && strlen(labels[i]) == n && !memcmp(labels[i], s, n))
            return 1;
    return 0;
}

/* One mapping line [s, e) (trimmed, not a comment) into map. Returns 0,
 * SK_EFORMAT, SK_ELIMIT or SK_ENOMEM. */
static int parse_line(sk_keymap *map, const char *s, const char *e, int line,
                      const char *const *labels, int nlabels, char *err, size_t errlen)
{
    const char *p = s, *ts, *te;
    if (token(&p, e, &ts, &te) && tok_is(ts, te, "set")) {
        const char *ks, *ke, *vs, *ve, *xs, *xe;
        if (!token(&p, e, &ks, &ke) || !token(&p, e, &vs, &ve) || token(&p, e, &xs, &xe)) {
            sk__seterr(err, errlen, "line %d: want 'set rate N' or 'set max-hold MS'", line);
            return SK_EFORMAT;
        }
        long v = parse_uint(vs, ve);
        if (tok_is(ks, ke, "rate") && v >= 1 && v <= 1000) {
            map->rate = (double)v;
        } else if (tok_is(ks, ke, "max-hold") && v >= 1 && v <= 600000) {
            map->max_hold_ms = (int)v;
        } else {
            sk__seterr(err, errlen, "line %d: want 'set rate N' (1..1000 per second) or "
                   "'set max-hold MS' (1..600000)", line);
            return SK_EFORMAT;
        }
        return 0;
    }
    const char *eq = memchr(s, '=', (size_t)(e - s));
    if (!eq) {
        sk__seterr(err, errlen, "line %d: want 'LABEL = tap|hold|exec|json ...'", line);
        return SK_EFORMAT;
    }
    const char *ls = s, *le = eq;
    trim(&ls, &le);
    if (ls == le) {
        sk__seterr(err, errlen, "line %d: no label before '='", line);
        return SK_EFORMAT;
    }
    if ((size_t)(le - ls) >= SK_LABEL_LEN || !label_known(ls, (size_t)(le - ls), labels, nlabels)) {
        sk__seterr(err, errlen, "line %d: unknown label '%.*s' (not a label of the model)", line,
               (int)(le - ls), ls);
        return SK_EFORMAT;
    }
    if (map->nact >= SK_KEYMAP_MAX_ACTIONS) {
        sk__seterr(err, errlen, "line %d: more than %d mappings", line, SK_KEYMAP_MAX_ACTIONS);
        return SK_ELIMIT;
    }
    sk__action *act = &map->act[map->nact];
    memset(act, 0, sizeof *act);
    memcpy(act->label, ls, (size_t)(le - ls));
    act->line = line;
    p = eq + 1;
    for (;;) {
        if (!token(&p, e, &ts, &te)) {
            sk__seterr(err, errlen, "line %d: no action after '=' (tap, hold, exec or json)", line);
            return SK_EFORMAT;
        }
        if (te - ts > 9 && !strncasecmp(ts, "cooldown=", 9)) {
            long v = parse_uint(ts + 9, te);
            if (v < 0 || v > 600000) {
                sk__seterr(err, errlen, "line %d: bad cooldown '%.*s' (milliseconds, 0..600000)",
                       line, (int)(te - ts - 9), ts + 9);
                return SK_EFORMAT;
            }
            act->cooldown_ms = (int)v;
            continue;
        }
        break;
    }
    const char *as, *ae, *xs, *xe;
    if (tok_is(ts, te, "tap") || tok_is(ts, te, "hold")) {
        act->kind = tok_is(ts, te, "tap") ? SK__ACT_TAP : SK__ACT_HOLD;
        if (!token(&p, e, &as, &ae)) {
            sk__seterr(err, errlen, "line %d: %.*s needs a key (e.g. w, shift+w)", line,
                   (int)(te - ts), ts);
            return SK_EFORMAT;
        }
        if (token(&p, e, &xs, &xe) && *xs != '#') {
            sk__seterr(err, errlen, "line %d: unexpected '%.*s' after the keys", line,
                   (int)(xe - xs), xs);
            return SK_EFORMAT;
        }
        if (parse_keys(act, as, ae, line, err, errlen) != 0)
            return SK_EFORMAT;
    } else if (tok_is(ts, te, "exec") || tok_is(ts, te, "json")) {
        act->kind = tok_is(ts, te, "exec") ? SK__ACT_EXEC : SK__ACT_JSON;
        as = p;
        ae = e;
        trim(&as, &ae);
        if (act->kind == SK__ACT_JSON && token(&p, e, &as, &ae) &&
            token(&p, e, &xs, &xe) && *xs != '#') {
            sk__seterr(err, errlen, "line %d: unexpected '%.*s' after the address", line,
                   (int)(xe - xs), xs);
            return SK_EFORMAT;
        }
        if (as == ae) {
            sk__seterr(err, errlen, "line %d: %.*s needs %s", line, (int)(te - ts), ts,
                   act->kind == SK__ACT_EXEC ? "a command" : "an address");
            return SK_EFORMAT;
        }
        if (act->kind == SK__ACT_JSON && check_addr(as, ae, line, err, errlen) != 0)
            return SK_EFORMAT;
        if (!(act->arg = malloc((size_t)(ae - as) + 1)))
            return SK_ENOMEM;
        memcpy(act->arg, as, (size_t)(ae - as));
        act->arg[ae - as] = '\0';
    } else {
        sk__seterr(err, errlen, "line %d: unknown action '%.*s' (tap, hold, exec or json)", line,
               (int)(te - ts), ts);
        return SK_EFORMAT;
    }
    map->nact++;
    return 0;
}

int sk_keymap_parse(sk_keymap **out, const char *text, size_t len,
                    const char *const *labels, int nlabels, char *err, size_t errlen)
{
    int rc = SK_ENOMEM;
    *out = NULL;
    if (len > SK_KEYMAP_MAX_BYTES) {
        sk__seterr(err, errlen, "map larger than %d bytes", SK_KEYMAP_MAX_BYTES);
        return SK_ELIMIT;
    }
    sk_keymap *map = calloc(1, sizeof *map);
    if (!map || !(map->act = calloc(SK_KEYMAP_MAX_ACTIONS, sizeof *map->act)))
        goto fail;
    const char *p = text, *end = text + len;
    for (int line = 1; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *e = nl ? nl : end;
        p = nl ? nl + 1 : end;
        if (e - s > SK_KEYMAP_MAX_LINE) {
            sk__seterr(err, errlen, "line %d: longer than %d bytes", line, SK_KEYMAP_MAX_LINE);
            rc = SK_ELIMIT;
            goto fail;
        }
        if (memchr(s, '\0', (size_t)(e - s))) {
            sk__seterr(err, errlen, "line %d: a NUL byte", line);
            rc = SK_EFORMAT;
            goto fail;
        }
        trim(&s, &e);
        if (s == e || *s == '#')
            continue;
        if ((rc = parse_line(map, s, e, line, labels, nlabels, err, errlen)) != 0)
            goto fail;
    }
    *out = map;
    return 0;
fail:
    if (rc == SK_ENOMEM)
        sk__seterr(err, errlen, "out of memory");
    sk_keymap_destroy(map);
    return rc;
}

int sk_keymap_load(sk_keymap **out, const char *path, const char *const *labels,
                   int nlabels, char *err, size_t errlen)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        sk__seterr(err, errlen, "%s: %s", path, strerror(errno));
        return SK_EIO;
    }
    char *buf = malloc(SK_KEYMAP_MAX_BYTES + 1);
    if (!buf) {
        fclose(fp);
        sk__seterr(err, errlen, "out of memory");
        return SK_ENOMEM;
    }
    size_t n = fread(buf, 1, SK_KEYMAP_MAX_BYTES + 1, fp);
    int rerr = ferror(fp);
    fclose(fp);
    int rc;
    if (rerr) {
        sk__seterr(err, errlen, "%s: read error", path);
        rc = SK_EIO;
    } else if (n > SK_KEYMAP_MAX_BYTES) {
        sk__seterr(err, errlen, "%s: larger than %d bytes", path, SK_KEYMAP_MAX_BYTES);
        rc = SK_ELIMIT;
    } else {
        char e2[256] = "";
        rc = sk_keymap_parse(out, buf, n, labels, nlabels, e2, sizeof e2);
        if (rc)
            sk__seterr(err, errlen, "%s: %s", path, e2);
    }
    free(buf);
    return rc;
}

void sk_keymap_destroy(sk_keymap *map)
{
    if (!map)
        return;
    if (map->act)
        for (int i = 0; i < map->nact; i++)
            free(map->act[i].arg);
    free(map->act);
    free(map);
}

int sk_keymap_count(const sk_keymap *map) { return map->nact; }

void sk_keymap_settings(const sk_keymap *map, double *rate, int *max_hold_ms)
{
    if (rate)
        *rate = map->rate;
    if (max_hold_ms)
        *max_hold_ms = map->max_hold_ms;
}
