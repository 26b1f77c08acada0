/* Sinks: key map parsing (errors name their line), combinations, cooldown
 * and rate limit on an injected clock, hold press/release pairing through
 * the dry-run backend's observer, release of everything on close, commands
 * and JSON lines, backend error messages. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "skelact/sinks.h"

static const char *const LABELS[] = {"right punch", "left punch", "front right kick",
                                     "front left kick", "side right kick", "side left kick",
                                     "back fist", "elbow strike"};
#define NLABELS 8

/* ---- capture of keys and an injected clock ---- */
typedef struct capture {
    char log[4096]; /* "+key -key ..." */
    int presses, releases;
} capture;

static void on_key(void *ctx, const char *key, int down)
{
    capture *c = ctx;
    size_t n = strlen(c->log);
    snprintf(c->log + n, sizeof c->log - n, "%s%c%s", n ? " " : "", down ? '+' : '-', key);
    if (down)
        c->presses++;
    else
        c->releases++;
}

static int64_t fake_now;
static int64_t fake_clock(void *ctx)
{
    (void)ctx;
    return fake_now;
}

static int parse(sk_keymap **m, const char *text, char *err, size_t errlen)
{
    return sk_keymap_parse(m, text, strlen(text), LABELS, NLABELS, err, errlen);
}

/* Sinks over text with the dry-run backend, keys into cap, fake clock. */
static sk_sinks *open_dry(const char *text, capture *cap)
{
    sk_keymap *m = NULL;
    char err[256] = "";
    int rc = parse(&m, text, err, sizeof err);
    CHECK_MSG(rc == 0, "parse: %s", err);
    if (rc)
        return NULL;
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    cfg.backend = "dry-run";
    cfg.on_key = on_key;
    cfg.key_ctx = cap;
    cfg.clock = fake_clock;
    memset(cap, 0, sizeof *cap);
    sk_sinks *s = NULL;
    rc = sk_sinks_create(&s, m, &cfg, err, sizeof err);
    CHECK_MSG(rc == 0, "create: %s", err);
    return s;
}

static void event(sk_sinks *s, int kind, const char *name, uint32_t body)
{
    sk_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.name = name;
    ev.label = 1;
    ev.body = body;
    ev.stream = 7;
    ev.frame = 42;
    ev.confidence = 0.9f;
    sk_sinks_on_event(s, &ev);
}

static void test_parse_good(void)
{
    sk_keymap *m = NULL;
    char err[256] = "";
    int rc = sk_keymap_load(&m, "keys/precog.keys", LABELS, NLABELS, err, sizeof err);
    CHECK_MSG(rc == 0, "keys/precog.keys: %s", err);
    if (rc)
        return;
    CHECK_EQ_INT(sk_keymap_count(m), 8);
    double rate;
    int hold;
    sk_keymap_settings(m, &rate, &hold);
    CHECK(rate == 8.0);
    CHECK_EQ_INT(hold, 0);
    sk_keymap_destroy(m);

    rc = parse(&m, "# comment\n\n  \t\nset max-hold 1500\r\n"
                   "right punch = tap J\n"
                   "left punch=cooldown=250 hold ctrl+alt+Left # trailing comment\n"
                   "back fist = exec echo \"$SK_LABEL\" # sh comment\n"
                   "elbow strike = json tcp:127.0.0.1:7700\n"
                   "elbow strike = json unix:/tmp/x.sock", err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_EQ_INT(sk_keymap_count(m), 5);
        sk_keymap_settings(m, &rate, &hold);
        CHECK_EQ_INT(hold, 1500);
    }
    sk_keymap_destroy(m);
    CHECK(sk_key_known("Left") && sk_key_known("ctrl") && sk_key_known("F12") &&
          sk_key_known("SPACE") && !sk_key_known("foo") && !sk_key_known(""));
}

/* text must fail with SK_EFORMAT and err starting with want. */
static void expect_error(const char *text, const char *want)
{
    sk_keymap *m = NULL;
    char err[256] = "";
    int rc = parse(&m, text, err, sizeof err);
    CHECK_MSG(rc == SK_EFORMAT || rc == SK_ELIMIT, "rc %d for %s", rc, text);
    CHECK_MSG(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s...'", err, want);
    CHECK(m == NULL);
    sk_keymap_destroy(m);
}

static void test_parse_errors(void)
{
    expect_error("# ok\nright punch = tap j\nuppercut = tap k\n",
                 "line 3: unknown label 'uppercut'");
    expect_error("right punch = tap j\nleft punch = tap shift+foo\n",
                 "line 2: unknown key 'foo'");
    expect_error("\n\n\n\nright punch = tap\n", "line 5: tap needs a key");
    expect_error("right punch = press j\n", "line 1: unknown action 'press'");
    expect_error("right punch tap j\n", "line 1: want 'LABEL = ");
    expect_error("right punch = tap j k\n", "line 1: unexpected 'k'");
    expect_error("right punch = tap a+b+c+d+e\n", "line 1: more than 4 keys");
    expect_error("right punch = tap j+j\n", "line 1: a key appears twice");
    expect_error("right punch = tap j+\n", "line 1: empty key name");
    expect_error("right punch = cooldown=abc tap j\n", "line 1: bad cooldown");
    expect_error("x\nright punch = json tcp:localhost:80\n", "line 1: want");
    expect_error("right punch = json tcp:localhost:80\n", "line 1: bad address");
    expect_error("right punch = json tcp:127.0.0.1:0\n", "line 1: bad address");
    expect_error("right punch = json udp:1\n", "line 1: bad address");
    expect_error("right punch = exec   \n", "line 1: exec needs a command");
    expect_error("set rate 0\n", "line 1: want 'set rate N'");
    expect_error("set speed 3\n", "line 1: want 'set rate N'");
    expect_error(" = tap j\n", "line 1: no label");
    char big[2100];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_error(big, "line 1: longer than");
    /* labels: any accepted when none are given */
    sk_keymap *m = NULL;
    CHECK(sk_keymap_parse(&m, "uppercut = tap k", 16, NULL, 0, NULL, 0) == 0);
    sk_keymap_destroy(m);
    char err[256];
    CHECK(sk_keymap_load(&m, "/nonexistent/x.keys", LABELS, NLABELS, err, sizeof err) == SK_EIO);
    CHECK(strstr(err, "/nonexistent/x.keys") != NULL);
}

static void test_combo(void)
{
    capture cap;
    sk_sinks *s = open_dry("right punch = tap ctrl+alt+Left\nleft punch = tap w+shift\n", &cap);
    if (!s)
        return;
    CHECK(!strcmp(sk_sinks_backend(s), "dry-run"));
    event(s, SK_EVENT_START, "right punch", 1);
    event(s, SK_EVENT_END, "right punch", 1);
    CHECK_MSG(!strcmp(cap.log, "+Control_L +Alt_L +Left -Left -Alt_L -Control_L"), "%s", cap.log);
    cap.log[0] = '\0';
    fake_now += 1000000;
    event(s, SK_EVENT_START, "left punch", 1);
    CHECK_MSG(!strcmp(cap.log, "+Shift_L +w -w -Shift_L"), "%s", cap.log);
    cap.log[0] = '\0';
    event(s, SK_EVENT_START, "back fist", 1); /* not mapped: nothing */
    CHECK_EQ_INT(cap.log[0], 0);
    sk_sinks_destroy(s);
}

static void test_cooldown(void)
{
    capture cap;
    fake_now = 1000000;
    sk_sinks *s = open_dry("right punch = cooldown=300 tap j\nleft punch = tap k\n", &cap);
    if (!s)
        return;
    event(s, SK_EVENT_START, "right punch", 1);
    CHECK_EQ_INT(cap.presses, 1);
    fake_now += 100000; /* 100 ms: cooling */
    event(s, SK_EVENT_START, "right punch", 2);
    CHECK_EQ_INT(cap.presses, 1);
    event(s, SK_EVENT_START, "left punch", 1); /* other line: no cooldown */
    CHECK_EQ_INT(cap.presses, 2);
    fake_now += 199000; /* 299 ms */
    event(s, SK_EVENT_START, "right punch", 1);
    CHECK_EQ_INT(cap.presses, 2);
    fake_now += 1000; /* 300 ms */
    event(s, SK_EVENT_START, "right punch", 1);
    CHECK_EQ_INT(cap.presses, 3);
    CHECK_EQ_INT(cap.releases, 3);
    sk_sinks_stats st;
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.cooled, 2);
    CHECK_EQ_INT(st.acted, 3);
    sk_sinks_destroy(s);
}

static void test_rate(void)
{
    capture cap;
    fake_now = 5000000;
    sk_sinks *s = open_dry("set rate 2\nright punch = tap j\n", &cap);
    if (!s)
        return;
    for (int i = 0; i < 5; i++)
        event(s, SK_EVENT_START, "right punch", 1);
    CHECK_EQ_INT(cap.presses, 2); /* a burst of at most `rate` */
    fake_now += 500000;           /* half a second: one more */
    for (int i = 0; i < 3; i++)
        event(s, SK_EVENT_START, "right punch", 1);
    CHECK_EQ_INT(cap.presses, 3);
    fake_now += 10000000; /* long idle: the bucket holds at most 2 */
    for (int i = 0; i < 5; i++)
        event(s, SK_EVENT_START, "right punch", 1);
    CHECK_EQ_INT(cap.presses, 5);
    sk_sinks_stats st;
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.rate_limited, 8);
    sk_sinks_destroy(s);

    /* the config overrides the map */
    sk_keymap *m = NULL;
    CHECK(parse(&m, "set rate 2\nright punch = tap j\n", NULL, 0) == 0);
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    cfg.backend = "dry-run";
    cfg.clock = fake_clock;
    cfg.rate = 4;
    CHECK(sk_sinks_create(&s, m, &cfg, NULL, 0) == 0);
    for (int i = 0; i < 6; i++)
        event(s, SK_EVENT_START, "right punch", 1);
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.presses, 4);
    sk_sinks_destroy(s);
}

static void test_hold(void)
{
    capture cap;
    fake_now = 1000000;
    sk_sinks *s = open_dry("right punch = hold shift+w\nleft punch = tap w\n", &cap);
    if (!s)
        return;
    event(s, SK_EVENT_START, "right punch", 1);
    CHECK_MSG(!strcmp(cap.log, "+Shift_L +w"), "%s", cap.log);
    event(s, SK_EVENT_START, "right punch", 1); /* same body again: no double press */
    event(s, SK_EVENT_START, "right punch", 2); /* second body: keys already down */
    CHECK_EQ_INT(cap.presses, 2);
    event(s, SK_EVENT_START, "left punch", 3); /* a tap of a held key would release it */
    CHECK_EQ_INT(cap.releases, 0);
    event(s, SK_EVENT_END, "right punch", 9); /* another body's END: nothing */
    event(s, SK_EVENT_END, "left punch", 1);  /* another label's END: nothing */
    CHECK_EQ_INT(cap.releases, 0);
    event(s, SK_EVENT_END, "right punch", 1);
    CHECK_EQ_INT(cap.releases, 0); /* body 2 still holds */
    event(s, SK_EVENT_END, "right punch", 2);
    CHECK_MSG(!strcmp(cap.log, "+Shift_L +w -w -Shift_L"), "%s", cap.log);
    CHECK_EQ_INT(cap.presses, cap.releases);

    /* maximum hold time */
    cap.log[0] = '\0';
    event(s, SK_EVENT_START, "right punch", 4);
    fake_now += (int64_t)SK_SINKS_MAX_HOLD_MS * 1000 - 1;
    sk_sinks_tick(s);
    CHECK(strstr(cap.log, "-w") == NULL);
    fake_now += 1;
    sk_sinks_tick(s);
    CHECK_MSG(!strcmp(cap.log, "+Shift_L +w -w -Shift_L"), "%s", cap.log);
    sk_sinks_stats st;
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.hold_timeouts, 1);
    event(s, SK_EVENT_END, "right punch", 4); /* late END: nothing left to release */
    CHECK_EQ_INT(cap.presses, cap.releases);

    /* release on close */
    cap.log[0] = '\0';
    event(s, SK_EVENT_START, "right punch", 5);
    sk_sinks_destroy(s);
    CHECK_MSG(!strcmp(cap.log, "+Shift_L +w -w -Shift_L"), "%s", cap.log);
    CHECK_EQ_INT(cap.presses, cap.releases);
}

static void test_release_all(void)
{
    capture cap;
    fake_now = 1000000;
    sk_sinks *s = open_dry("right punch = hold ctrl+a\nleft punch = hold b\n", &cap);
    if (!s)
        return;
    event(s, SK_EVENT_START, "right punch", 1);
    event(s, SK_EVENT_START, "left punch", 2);
    CHECK_EQ_INT(cap.presses, 3);
    cap.log[0] = '\0';
    sk_sinks_release_all(s);
    CHECK_MSG(!strcmp(cap.log, "-a -b -Control_L"), "%s", cap.log);
    event(s, SK_EVENT_END, "right punch", 1); /* nothing held any more */
    CHECK_EQ_INT(cap.releases, 3);
    sk_sinks_destroy(s);
    CHECK_EQ_INT(cap.releases, 3);
}

static void test_exec(void)
{
    char path[] = "/tmp/skelact_sinks_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    char map[512];
    snprintf(map, sizeof map, "back fist = exec echo \"$SK_EVENT $SK_LABEL $SK_BODY $SK_STREAM\" > %s\n",
             path);
    capture cap;
    fake_now = 1000000;
    sk_sinks *s = open_dry(map, &cap);
    if (!s)
        return;
    event(s, SK_EVENT_START, "back fist", 3);
    char buf[256] = "";
    for (int i = 0; i < 200; i++) { /* up to 2 s for the child */
        FILE *fp = fopen(path, "r");
        size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
        if (fp)
            fclose(fp);
        buf[n] = '\0';
        if (strchr(buf, '\n'))
            break;
        usleep(10000);
    }
    CHECK_MSG(!strcmp(buf, "start back fist 3 7\n"), "got '%s'", buf);
    sk_sinks_stats st;
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.commands, 1);
    CHECK_EQ_INT(st.presses, 0);
    CHECK(!strcmp(sk_sinks_backend(s), "none")); /* a map without keys opens no backend */
    sk_sinks_destroy(s);
    unlink(path);
}

static void test_json(void)
{
    char path[108];
    snprintf(path, sizeof path, "/tmp/skelact_sinks_%d.sock", (int)getpid());
    unlink(path);
    char map[256];
    snprintf(map, sizeof map, "elbow strike = json unix:%s\n", path);
    capture cap;
    fake_now = 1000000;
    sk_sinks *s = open_dry(map, &cap);
    if (!s)
        return;
    /* nobody listening: dropped, never blocks */
    event(s, SK_EVENT_START, "elbow strike", 1);
    sk_sinks_stats st;
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.lines_dropped, 1);

    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    CHECK(bind(ls, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(listen(ls, 4) == 0);
    event(s, SK_EVENT_END, "elbow strike", 1); /* within the reconnect pause: dropped */
    fake_now += 2000000;
    event(s, SK_EVENT_START, "elbow strike", 1);
    event(s, SK_EVENT_END, "elbow strike", 1);
    int c = accept(ls, NULL, NULL);
    CHECK(c >= 0);
    char buf[1024] = "";
    size_t got = 0;
    struct pollfd pf = {c, POLLIN, 0};
    while (got < sizeof buf - 1 && poll(&pf, 1, 1000) > 0) {
        ssize_t n = read(c, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\"end\"") && strchr(strstr(buf, "\"end\""), '\n'))
            break;
    }
    const char *want = "{\"event\":\"start\",\"label\":\"elbow strike\",\"class\":1,"
                       "\"body\":1,\"stream\":7,\"frame\":42,";
    CHECK_MSG(!strncmp(buf, want, strlen(want)), "%s", buf);
    CHECK_MSG(strstr(buf, "}\n{\"event\":\"end\"") != NULL, "%s", buf);
    sk_sinks_get_stats(s, &st);
    CHECK_EQ_INT(st.lines_sent, 2);
    CHECK_EQ_INT(st.lines_dropped, 2);
    sk_sinks_destroy(s);
    if (c >= 0)
        close(c);
    close(ls);
    unlink(path);
}

static void test_backend_errors(void)
{
    sk_keymap *m = NULL;
    sk_sinks *s = NULL;
    sk_sinks_config cfg;
    char err[512];
    const char *have = sk_keys_backends();
    CHECK(strstr(have, "dry-run") != NULL);
    printf("backends in this build: %s\n", have);

    sk_sinks_config_default(&cfg);
    cfg.backend = "xtest";
    cfg.display = ":31999";
    CHECK(parse(&m, "right punch = tap j", NULL, 0) == 0);
    int rc = sk_sinks_create(&s, m, &cfg, err, sizeof err);
    if (strstr(have, "xtest")) {
        CHECK_EQ_INT(rc, SK_EIO);
        CHECK_MSG(strstr(err, "cannot open display ':31999'") != NULL, "%s", err);
    } else {
        CHECK_EQ_INT(rc, SK_EUNSUPPORTED);
        CHECK_MSG(strstr(err, "not compiled in") != NULL, "%s", err);
    }
    CHECK(s == NULL);

    CHECK(parse(&m, "right punch = tap j", NULL, 0) == 0);
    cfg.backend = "uinput";
    rc = sk_sinks_create(&s, m, &cfg, err, sizeof err);
    if (rc == 0) {
        printf("uinput works here: %s\n", sk_sinks_device(s));
        sk_sinks_destroy(s);
    } else {
        CHECK_MSG(strstr(err, "uinput: ") == err && (strstr(err, "/dev/uinput") ||
                  strstr(err, "not compiled in")), "%s", err);
        printf("uinput: %s\n", err);
    }

    CHECK(parse(&m, "right punch = tap j", NULL, 0) == 0);
    cfg.backend = "keyboard";
    CHECK_EQ_INT(sk_sinks_create(&s, m, &cfg, err, sizeof err), SK_EINVAL);
    CHECK_MSG(strstr(err, "unknown key backend 'keyboard'") != NULL, "%s", err);

    /* auto with neither: one line naming both reasons */
    if (access("/dev/uinput", W_OK) != 0) {
        CHECK(parse(&m, "right punch = tap j", NULL, 0) == 0);
        cfg.backend = "auto";
        CHECK_EQ_INT(sk_sinks_create(&s, m, &cfg, err, sizeof err), SK_EIO);
        CHECK_MSG(strstr(err, "no key backend can work") && strstr(err, "xtest:") &&
                  strstr(err, "uinput:"), "%s", err);
    }
}

int main(void)
{
    RUN(test_parse_good);
    RUN(test_parse_errors);
    RUN(test_combo);
    RUN(test_cooldown);
    RUN(test_rate);
    RUN(test_hold);
    RUN(test_release_all);
    RUN(test_exec);
    RUN(test_json);
    RUN(test_backend_errors);
    return check_report();
}
