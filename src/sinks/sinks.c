/* The sinks: what an event does (keys, commands, JSON lines), with the
 * safety rules of include/skelact/sinks.h. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/json.h"
#include "core/seterr.h"
#include "sinks/sinks_internal.h"

#ifndef SK_SINKS_RECONNECT_US
#define SK_SINKS_RECONNECT_US 1000000 /* retry a socket nobody listens on once a second */
#endif
#ifndef SK_SINKS_ENV_EXTRA
#define SK_SINKS_ENV_EXTRA 8 /* SK_* variables given to a command */
#endif
#define ENV_LEN 128          /* one "SK_NAME=value" */
#define JSON_LINE 512        /* one event line: label <= 31 bytes, escaped <= 6x */

extern char **environ;

typedef struct held {
    int used;
    uint32_t stream, body;
    int action;     /* index into map->act */
    int64_t t_us;   /* pressed at */
} held;

struct sk_sinks {
    sk_keymap *map;
    sk__backend be;       /* be.key NULL: no backend (dry-run or no keys) */
    const char *be_name;
    int *down;            /* per key index: how many holds/taps hold it */
    held held[SK_SINKS_MAX_HELD];
    int64_t *last_fire;   /* per action, 0 = never; -1 none */
    int *sock;            /* per action: fd or -1 */
    int64_t *sock_try;    /* per action: last connect attempt */
    pid_t child[SK_SINKS_MAX_CHILDREN];
    char **envp;          /* environ + SK_* + NULL, pointers refreshed per command */
    int nenv;             /* entries of environ copied */
    char env[SK_SINKS_ENV_EXTRA][ENV_LEN];
    double rate, tokens;
    int64_t refill_us;
    int max_hold_ms;
    sk_key_fn on_key;
    void *key_ctx;
    sk_clock_fn clock;
    void *clock_ctx;
    sk_sinks_stats st;
};

const char *sk_keys_backends(void)
{
    return ""
#ifdef SK_HAVE_XTEST
           "xtest "
#endif
#ifdef SK_HAVE_UINPUT
           "uinput "
#endif
           "dry-run";
}

void sk_sinks_config_default(sk_sinks_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->backend = "auto";
}

static int64_t now_us(const sk_sinks *s)
{
    return s->clock ? s->clock(s->clock_ctx) : sk_now_us();
}

static int open_backend(sk_sinks *s, const sk_sinks_config *cfg, char *err, size_t errlen)
{
    const char *want = cfg->backend ? cfg->backend : "auto";
    if (!strcmp(want, "dry-run")) {
        s->be_name = "dry-run";
        return 0;
    }
    if (!strcmp(want, "xtest") || !strcmp(want, "uinput")) {
        int rc = !strcmp(want, "xtest") ? sk__xtest_open(&s->be, cfg->display, err, errlen)
                                         : sk__uinput_open(&s->be, err, errlen);
        if (rc == 0)
            s->be_name = s->be.name;
        return rc;
    }
    if (strcmp(want, "auto") != 0) {
        sk__seterr(err, errlen, "unknown key backend '%s' (this build has: %s)", want,
               sk_keys_backends());
        return SK_EINVAL;
    }
    char e1[200] = "", e2[200] = "";
    if (sk__xtest_open(&s->be, cfg->display, e1, sizeof e1) == 0 ||
        sk__uinput_open(&s->be, e2, sizeof e2) == 0) {
        s->be_name = s->be.name;
        return 0;
    }
    sk__seterr(err, errlen, "no key backend can work here: %s; %s (use --keys-backend dry-run "
           "to try a map)", e1, e2);
    return SK_EIO;
}

int sk_sinks_create(sk_sinks **out, sk_keymap *map, const sk_sinks_config *cfg,
                    char *err, size_t errlen)
{
    int rc = SK_ENOMEM;
    *out = NULL;
    sk_sinks_config defcfg;
    if (!cfg) {
        sk_sinks_config_default(&defcfg);
        cfg = &defcfg;
    }
    if (!map || cfg->rate < 0 || cfg->max_hold_ms < 0) {
        sk_keymap_destroy(map);
        sk__seterr(err, errlen, "invalid sinks settings");
        return SK_EINVAL;
    }
    sk_sinks *s = calloc(1, sizeof *s);
    if (!s) {
        sk_keymap_destroy(map);
        goto fail;
    }
    s->map = map;
    int n = map->nact > 0 ? map->nact : 1;
    if (!(s->down = calloc((size_t)sk__nkeys, sizeof *s->down)) ||
        !(s->last_fire = calloc((size_t)n, sizeof *s->last_fire)) ||
        !(s->sock = malloc((size_t)n * sizeof *s->sock)) ||
        !(s->sock_try = calloc((size_t)n, sizeof *s->sock_try)))
        goto fail;
    for (int i = 0; i < n; i++) {
        s->sock[i] = -1;
        s->last_fire[i] = -1;
    }
    int nenv = 0;
    while (environ && environ[nenv])
        nenv++;
    if (!(s->envp = calloc((size_t)nenv + SK_SINKS_ENV_EXTRA + 1, sizeof *s->envp)))
        goto fail;
    s->nenv = nenv;
    s->rate = cfg->rate > 0 ? cfg->rate : map->rate > 0 ? map->rate : SK_SINKS_RATE;
    s->tokens = s->rate < 1 ? 1 : s->rate;
    s->max_hold_ms = cfg->max_hold_ms > 0 ? cfg->max_hold_ms
                     : map->max_hold_ms > 0 ? map->max_hold_ms : SK_SINKS_MAX_HOLD_MS;
    s->on_key = cfg->on_key;
    s->key_ctx = cfg->key_ctx;
    s->clock = cfg->clock;
    s->clock_ctx = cfg->clock_ctx;
    s->refill_us = now_us(s);
    s->be_name = "none";
    int keys = 0;
    for (int i = 0; i < map->nact; i++)
        keys |= map->act[i].kind == SK__ACT_TAP || map->act[i].kind == SK__ACT_HOLD;
    if (keys && (rc = open_backend(s, cfg, err, errlen)) != 0)
        goto fail;
    *out = s;
    return 0;
fail:
    if (rc == SK_ENOMEM)
        sk__seterr(err, errlen, "out of memory");
    sk_sinks_destroy(s);
    return rc;
}

/* Send one key; counts; tells the observer. */
static void send_key(sk_sinks *s, int k, int down)
{
    if (s->be.key && s->be.key(s->be.impl, k, down) != 0)
        s->st.key_errors++;
    if (down)
        s->st.presses++;
    else
        s->st.releases++;
    if (s->on_key)
        s->on_key(s->key_ctx, sk__keys[k].name, down);
}

static void flush(sk_sinks *s)
{
    if (s->be.flush)
        s->be.flush(s->be.impl);
}

/* Press (refcounted) the keys of a combination in order. */
static void press_keys(sk_sinks *s, const sk__action *a)
{
    for (int i = 0; i < a->nkeys; i++)
        if (s->down[a->keys[i]]++ == 0)
            send_key(s, a->keys[i], 1);
}

/* Release them in reverse order. */
static void release_keys(sk_sinks *s, const sk__action *a)
{
    for (int i = a->nkeys - 1; i >= 0; i--)
        if (s->down[a->keys[i]] > 0 && --s->down[a->keys[i]] == 0)
            send_key(s, a->keys[i], 0);
}

static void reap(sk_sinks *s)
{
    for (int i = 0; i < SK_SINKS_MAX_CHILDREN; i++)
        if (s->child[i] > 0 && waitpid(s->child[i], NULL, WNOHANG) != 0)
            s->child[i] = 0;
}

static void run_command(sk_sinks *s, const sk__action *a, const sk_event *ev)
{
    reap(s);
    int slot = -1;
    for (int i = 0; i < SK_SINKS_MAX_CHILDREN && slot < 0; i++)
        if (s->child[i] == 0)
            slot = i;
    if (slot < 0) {
        s->st.commands_dropped++;
        return;
    }
    /* Build the environment before fork: the child only calls execve. */
    int n = 0;
    for (int i = 0; i < s->nenv && environ[i]; i++)
        if (strncmp(environ[i], "SK_", 3) != 0)
            s->envp[n++] = environ[i];
    snprintf(s->env[0], ENV_LEN, "SK_EVENT=%s", ev->kind == SK_EVENT_START ? "start" : "end");
    snprintf(s->env[1], ENV_LEN, "SK_LABEL=%s", ev->name ? ev->name : a->label);
    snprintf(s->env[2], ENV_LEN, "SK_CLASS=%d", ev->label);
    snprintf(s->env[3], ENV_LEN, "SK_BODY=%lu", (unsigned long)ev->body);
    snprintf(s->env[4], ENV_LEN, "SK_STREAM=%lu", (unsigned long)ev->stream);
    snprintf(s->env[5], ENV_LEN, "SK_FRAME=%llu", (unsigned long long)ev->frame);
    snprintf(s->env[6], ENV_LEN, "SK_CONFIDENCE=%.3f", (double)ev->confidence);
    snprintf(s->env[7], ENV_LEN, "SK_LATENCY_US=%lld", (long long)ev->latency_us);
    for (int i = 0; i < SK_SINKS_ENV_EXTRA; i++)
        s->envp[n++] = s->env[i];
    s->envp[n] = NULL;
    char *argv[] = {"sh", "-c", a->arg, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd >= 0 && fd != 0) {
            dup2(fd, 0);
            close(fd);
        }
        execve("/bin/sh", argv, s->envp);
        _exit(127);
    }
    if (pid < 0) {
        s->st.commands_dropped++;
        return;
    }
    s->child[slot] = pid;
    s->st.commands++;
}

static int sock_connect(const char *addr)
{
    int fd = -1;
    if (!strncmp(addr, "unix:", 5)) {
        struct sockaddr_un sa;
        memset(&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", addr + 5);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
        return fd;
    }
    /* tcp:HOST:PORT, checked by the parser */
    char host[64];
    const char *colon = strrchr(addr + 4, ':');
    size_t hl = (size_t)(colon - (addr + 4));
    if (hl >= sizeof host)
        return -1;
    memcpy(host, addr + 4, hl);
    host[hl] = '\0';
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void send_json(sk_sinks *s, int i, const sk_event *ev)
{
    const sk__action *a = &s->map->act[i];
    int64_t now = now_us(s);
    if (s->sock[i] < 0) {
        if (s->sock_try[i] && now - s->sock_try[i] < SK_SINKS_RECONNECT_US) {
            s->st.lines_dropped++;
            return;
        }
        s->sock_try[i] = now;
        if ((s->sock[i] = sock_connect(a->arg)) < 0) {
            s->st.lines_dropped++;
            return;
        }
    }
    char line[JSON_LINE];
    size_t o = (size_t)snprintf(line, sizeof line, "{\"event\":\"%s\",\"label\":",
                                ev->kind == SK_EVENT_START ? "start" : "end");
    o += sk__json_string(line + o, sizeof line - o, ev->name ? ev->name : a->label);
    o += (size_t)snprintf(line + o, sizeof line - o,
                          ",\"class\":%d,\"body\":%lu,\"stream\":%lu,\"frame\":%llu,"
                          "\"confidence\":%.4f,\"latency_us\":%lld}\n",
                          ev->label, (unsigned long)ev->body, (unsigned long)ev->stream,
                          (unsigned long long)ev->frame, (double)ev->confidence,
                          (long long)ev->latency_us);
    if (o >= sizeof line)
        o = sizeof line - 1;
    ssize_t w = send(s->sock[i], line, o, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w == (ssize_t)o) {
        s->st.lines_sent++;
        return;
    }
    s->st.lines_dropped++;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return; /* full (or still connecting): drop this line, keep the socket */
    /* closed, refused or a partial line: start again on a clean connection */
    close(s->sock[i]);
    s->sock[i] = -1;
}

static void release_hold(sk_sinks *s, held *h)
{
    release_keys(s, &s->map->act[h->action]);
    h->used = 0;
}

/* Refill the token bucket; 1 if a START may act. */
static int rate_take(sk_sinks *s, int64_t now)
{
    double cap = s->rate < 1 ? 1 : s->rate;
    if (now > s->refill_us) {
        s->tokens += (double)(now - s->refill_us) * 1e-6 * s->rate;
        if (s->tokens > cap)
            s->tokens = cap;
    }
    s->refill_us = now;
    if (s->tokens < 1.0)
        return 0;
    s->tokens -= 1.0;
    return 1;
}

static void on_start(sk_sinks *s, const sk_event *ev, int64_t now)
{
    const sk_keymap *m = s->map;
    int any = 0;
    for (int i = 0; i < m->nact && !any; i++)
        any = !strcmp(m->act[i].label, ev->name);
    if (!any)
        return;
    if (!rate_take(s, now)) {
        s->st.rate_limited++;
        return;
    }
    int acted = 0;
    for (int i = 0; i < m->nact; i++) {
        const sk__action *a = &m->act[i];
        if (strcmp(a->label, ev->name) != 0)
            continue;
        if (a->cooldown_ms && s->last_fire[i] >= 0 &&
            now - s->last_fire[i] < (int64_t)a->cooldown_ms * 1000) {
            s->st.cooled++;
            continue;
        }
        s->last_fire[i] = now;
        acted = 1;
        switch (a->kind) {
        case SK__ACT_TAP: {
            int busy = 0;
            for (int k = 0; k < a->nkeys; k++)
                busy |= s->down[a->keys[k]] > 0;
            if (busy) /* a hold has it down: a tap would release it */
                break;
            press_keys(s, a);
            flush(s);
            release_keys(s, a);
            flush(s);
            break;
        }
        case SK__ACT_HOLD: {
            held *slot = NULL;
            for (int h = 0; h < SK_SINKS_MAX_HELD; h++) {
                held *x = &s->held[h];
                if (x->used && x->action == i && x->stream == ev->stream && x->body == ev->body) {
                    slot = NULL; /* already held by this body */
                    goto next;
                }
                if (!x->used && !slot)
                    slot = x;
            }
            if (!slot) {
                s->st.holds_refused++;
                break;
            }
            slot->used = 1;
            slot->stream = ev->stream;
            slot->body = ev->body;
            slot->action = i;
            slot->t_us = now;
            press_keys(s, a);
            flush(s);
            break;
        }
        case SK__ACT_EXEC:
            run_command(s, a, ev);
            break;
        case SK__ACT_JSON:
            send_json(s, i, ev);
            break;
        }
    next:;
    }
    if (acted)
        s->st.acted++;
}

static void on_end(sk_sinks *s, const sk_event *ev)
{
    int any = 0;
    for (int h = 0; h < SK_SINKS_MAX_HELD; h++) {
        held *x = &s->held[h];
        if (x->used && x->stream == ev->stream && x->body == ev->body &&
            !strcmp(s->map->act[x->action].label, ev->name)) {
            release_hold(s, x);
            any = 1;
        }
    }
    if (any)
        flush(s);
    for (int i = 0; i < s->map->nact; i++)
        if (s->map->act[i].kind == SK__ACT_JSON && !strcmp(s->map->act[i].label, ev->name) &&
            s->last_fire[i] >= 0)
            send_json(s, i, ev);
}

void sk_sinks_on_event(void *ctx, const sk_event *ev)
{
    sk_sinks *s = ctx;
    if (!s || !ev || !ev->name)
        return;
    s->st.events++;
    int64_t now = now_us(s);
    if (ev->kind == SK_EVENT_START)
        on_start(s, ev, now);
    else if (ev->kind == SK_EVENT_END)
        on_end(s, ev);
    sk_sinks_tick(s);
}

void sk_sinks_tick(sk_sinks *s)
{
    if (!s)
        return;
    int64_t now = now_us(s), any = 0;
    for (int h = 0; h < SK_SINKS_MAX_HELD; h++) {
        held *x = &s->held[h];
        if (x->used && now - x->t_us >= (int64_t)s->max_hold_ms * 1000) {
            release_hold(s, x);
            s->st.hold_timeouts++;
            any = 1;
        }
    }
    if (any)
        flush(s);
    reap(s);
}

void sk_sinks_release_all(sk_sinks *s)
{
    if (!s || !s->down)
        return;
    for (int h = 0; h < SK_SINKS_MAX_HELD; h++)
        s->held[h].used = 0;
    int any = 0;
    for (int pass = 0; pass < 2; pass++) /* keys first, their modifiers last */
        for (int k = 0; k < sk__nkeys; k++)
            if (s->down[k] > 0 && sk__key_is_modifier(k) == pass) {
                s->down[k] = 0;
                send_key(s, k, 0);
                any = 1;
            }
    if (any)
        flush(s);
}

void sk_sinks_destroy(sk_sinks *s)
{
    if (!s)
        return;
    sk_sinks_release_all(s);
    if (s->be.destroy)
        s->be.destroy(s->be.impl);
    if (s->sock)
        for (int i = 0; i < (s->map && s->map->nact > 0 ? s->map->nact : 1); i++)
            if (s->sock[i] >= 0)
                close(s->sock[i]);
    reap(s); /* commands still running are left to finish on their own */
    sk_keymap_destroy(s->map);
    free(s->down);
    free(s->last_fire);
    free(s->sock);
    free(s->sock_try);
    free(s->envp);
    free(s);
}

const char *sk_sinks_backend(const sk_sinks *s) { return s->be_name; }

const char *sk_sinks_device(const sk_sinks *s)
{
    return s->be.device ? s->be.device(s->be.impl) : "";
}

void sk_sinks_get_stats(const sk_sinks *s, sk_sinks_stats *st) { *st = s->st; }
