/* Keys through X11 XTest, read back by a real X client. The test starts its
 * own Xvfb (a free display number through -displayfd), creates, maps and
 * focuses its own window and records the KeyPress/KeyRelease events it
 * receives:
 *   1. directly through the sinks API (taps, holds, combinations, release
 *      on close), and
 *   2. end to end: a PRECOG take replayed in real time into `skelact
 *      recognize --model M --keys keys/precog.keys --keys-backend xtest`;
 *      the window must get one press and one release per move acted on,
 *      in the order of the recognized events.
 * M is models/precog.model, or a small model trained here in seconds when
 * it is not shipped yet (the check is about the key path, not the model).
 * Skips (exit 77) with a message without Xvfb or without the xtest backend. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "skelact/sinks.h"

#ifndef SK_HAVE_XTEST
int main(void)
{
    printf("SKIP: this build has no xtest key backend (needs libx11-dev libxtst-dev; "
           "backends: %s)\n", sk_keys_backends());
    return 77;
}
#else
#include <X11/Xlib.h>
#include <X11/Xutil.h>

static pid_t xvfb_pid;
static char display_name[32];

static int in_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[4096];
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *c = strchr(path, ':');
        size_t n = c ? (size_t)(c - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
        if (access(buf, X_OK) == 0)
            return 1;
        path += n + (c ? 1 : 0);
    }
    return 0;
}

/* Start Xvfb on a free display; 0 or -1. */
static int xvfb_start(void)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    xvfb_pid = fork();
    if (xvfb_pid == 0) {
        close(p[0]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        int dn = open("/dev/null", O_WRONLY);
        if (dn >= 0) {
            dup2(dn, 1);
            dup2(dn, 2);
        }
        execlp("Xvfb", "Xvfb", "-displayfd", fd, "-nolisten", "tcp", "-screen", "0",
               "320x240x24", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    if (xvfb_pid < 0) {
        close(p[0]);
        return -1;
    }
    char num[16] = "";
    size_t got = 0;
    struct pollfd pf = {p[0], POLLIN, 0};
    while (got < sizeof num - 1 && !strchr(num, '\n') && poll(&pf, 1, 20000) > 0) {
        ssize_t n = read(p[0], num + got, sizeof num - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
        num[got] = '\0';
    }
    close(p[0]);
    if (!strchr(num, '\n'))
        return -1;
    snprintf(display_name, sizeof display_name, ":%d", atoi(num));
    return 0;
}

static void xvfb_stop(void)
{
    if (xvfb_pid > 0) {
        kill(xvfb_pid, SIGTERM);
        waitpid(xvfb_pid, NULL, 0);
        xvfb_pid = 0;
    }
}

/* ---- the recording window ---- */
static Display *dpy;
static Window win;

typedef struct record {
    char log[8192]; /* "+key -key ..." */
    int presses, releases;
} record;

static int window_open(void)
{
    if (!(dpy = XOpenDisplay(display_name)))
        return -1;
    win = XCreateSimpleWindow(dpy, DefaultRootWindow(dpy), 0, 0, 200, 100, 0, 0, 0);
    XSelectInput(dpy, win, KeyPressMask | KeyReleaseMask | StructureNotifyMask | FocusChangeMask);
    XMapWindow(dpy, win);
    XEvent e;
    do
        XNextEvent(dpy, &e);
    while (e.type != MapNotify);
    XSetInputFocus(dpy, win, RevertToParent, CurrentTime);
    XAutoRepeatOff(dpy); /* a held key gives one press, not a stream of them */
    XSync(dpy, False);
    Window focus;
    int revert;
    XGetInputFocus(dpy, &focus, &revert);
    return focus == win ? 0 : -1;
}

/* Read key events into r until it holds `want` of them or timeout_ms of
 * quiet passed. */
static void collect(record *r, int want, int timeout_ms)
{
    int quiet = 0;
    while (r->presses + r->releases < want && quiet < timeout_ms) {
        if (!XPending(dpy)) {
            usleep(5000);
            quiet += 5;
            continue;
        }
        quiet = 0;
        XEvent e;
        XNextEvent(dpy, &e);
        if (e.type != KeyPress && e.type != KeyRelease)
            continue;
        KeySym sym = XLookupKeysym(&e.xkey, 0);
        const char *name = XKeysymToString(sym);
        size_t n = strlen(r->log);
        snprintf(r->log + n, sizeof r->log - n, "%s%c%s", n ? " " : "",
                 e.type == KeyPress ? '+' : '-', name ? name : "?");
        if (e.type == KeyPress)
            r->presses++;
        else
            r->releases++;
    }
}

static void event(sk_sinks *s, int kind, const char *name)
{
    sk_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.name = name;
    ev.label = 1;
    sk_sinks_on_event(s, &ev);
}

static void test_direct(void)
{
    static const char *const labels[] = {"right punch", "left punch", "back fist", "elbow strike"};
    const char *text = "right punch = tap j\n"
                       "left punch = hold shift+Left\n"
                       "back fist = tap ctrl+F5\n"
                       "elbow strike = hold a\n";
    sk_keymap *m = NULL;
    char err[256] = "";
    CHECK(sk_keymap_parse(&m, text, strlen(text), labels, 4, err, sizeof err) == 0);
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    cfg.backend = "xtest";
    cfg.display = display_name;
    sk_sinks *s = NULL;
    int rc = sk_sinks_create(&s, m, &cfg, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc)
        return;
    CHECK(!strcmp(sk_sinks_backend(s), "xtest"));
    CHECK(!strcmp(sk_sinks_device(s), display_name));
    record r;
    memset(&r, 0, sizeof r);
    event(s, SK_EVENT_START, "right punch");
    event(s, SK_EVENT_START, "left punch");
    collect(&r, 4, 2000); /* the hold is down until its END */
    CHECK_MSG(!strcmp(r.log, "+j -j +Shift_L +Left"), "window got '%s'", r.log);
    event(s, SK_EVENT_END, "left punch");
    event(s, SK_EVENT_START, "back fist");
    event(s, SK_EVENT_START, "elbow strike");
    collect(&r, 11, 2000);
    sk_sinks_destroy(s); /* releases the held a */
    collect(&r, 12, 2000);
    CHECK_MSG(!strcmp(r.log, "+j -j +Shift_L +Left -Left -Shift_L +Control_L +F5 -F5 "
                             "-Control_L +a -a"), "window got '%s'", r.log);
    collect(&r, 100, 300); /* nothing more arrives */
    CHECK_EQ_INT(r.presses, 6);
    CHECK_EQ_INT(r.releases, 6);
    printf("direct: window got %d presses, %d releases: %s\n", r.presses, r.releases, r.log);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static long file_count(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    long n = 0;
    while (fp && fgets(line, sizeof line, fp))
        n += strstr(line, needle) != NULL;
    if (fp)
        fclose(fp);
    return n;
}

/* The value of "key=N" on the line of path starting with prefix; -1. */
static long stat_value(const char *path, const char *prefix, const char *key)
{
    FILE *fp = fopen(path, "r");
    char line[1024], pat[64];
    long v = -1;
    snprintf(pat, sizeof pat, " %s=", key);
    while (fp && fgets(line, sizeof line, fp)) {
        char *p;
        if (!strncmp(line, prefix, strlen(prefix)) && (p = strstr(line, pat)))
            v = atol(p + strlen(pat));
    }
    if (fp)
        fclose(fp);
    return v;
}

static const char *const PRECOG_KEYS[][2] = {
    {"right punch", "j"}, {"left punch", "u"}, {"front right kick", "k"},
    {"front left kick", "i"}, {"side right kick", "l"}, {"side left kick", "o"},
    {"back fist", "n"}, {"elbow strike", "m"}};

static void test_end_to_end(const char *tmp)
{
    const char *bin = getenv("SK_BIN");
    const char *data = getenv("SK_DATA_DIR");
    char take[1024], model[1024], cmd[4096], out[1100], errf[1100];
    if (!bin || access(bin, X_OK) != 0) {
        printf("SKIP end-to-end: SK_BIN (the skelact program) not set\n");
        return;
    }
    snprintf(take, sizeof take, "%s/precog/Seq1_7.csv", data ? data : "../shared/data");
    if (access(take, R_OK) != 0) {
        printf("SKIP end-to-end: no PRECOG take %s\n", take);
        return;
    }
    snprintf(cmd, sizeof cmd, "'%s' recognize --keys-backend list | grep -q xtest", bin);
    if (system(cmd) != 0) {
        printf("SKIP end-to-end: %s recognize has no --keys-backend xtest\n", bin);
        return;
    }
    if (access("models/precog.model", R_OK) == 0) {
        snprintf(model, sizeof model, "models/precog.model");
    } else {
        snprintf(model, sizeof model, "%s/small.model", tmp);
        printf("models/precog.model not shipped yet: training a small model for the key path\n");
        snprintf(cmd, sizeof cmd, "timeout 200 '%s' train --data '%s/precog' --format precog "
                 "--subjects 1-3 --arch gru --hidden 16 --layers 1 --epochs 3 --seed 3 "
                 "--threads 1 --out '%s' > '%s/train.log' 2>&1", bin,
                 data ? data : "../shared/data", model, tmp);
        int rc = system(cmd);
        CHECK_MSG(rc == 0, "training a small model failed (see %s/train.log)", tmp);
        if (rc)
            return;
    }
    int port = free_port();
    CHECK(port > 0);
    snprintf(out, sizeof out, "%s/recognize.out", tmp);
    snprintf(errf, sizeof errf, "%s/recognize.err", tmp);
    setenv("DISPLAY", display_name, 1);
    snprintf(cmd, sizeof cmd, "exec '%s' recognize --listen 127.0.0.1:%d --model '%s' "
             "--events json --exit-on-eof --keys keys/precog.keys --keys-backend xtest "
             "> '%s' 2> '%s'", bin, port, model, out, errf);
    pid_t rp = fork();
    if (rp == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 500 && file_count(errf, "keys: ") == 0; i++)
        usleep(10000);
    /* real time: the cooldowns and the rate limit see the moves' own pace */
    snprintf(cmd, sizeof cmd, "timeout 120 '%s' replay '%s' --to 127.0.0.1:%d --speed 1 "
             "> '%s/replay.log' 2>&1", bin, take, port, tmp);
    CHECK_EQ_INT(system(cmd), 0);
    int status = -1;
    for (int i = 0; i < 3000; i++) {
        if (waitpid(rp, &status, WNOHANG) == rp)
            break;
        usleep(10000);
    }
    if (!WIFEXITED(status)) {
        kill(rp, SIGKILL);
        waitpid(rp, &status, 0);
    }
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "recognize status %d (see %s)",
              status, errf);
    long events = file_count(out, "\"label\":");
    long acted = stat_value(errf, "keys:", "acted");
    long presses = stat_value(errf, "keys:", "presses");
    long releases = stat_value(errf, "keys:", "releases");
    long limited = stat_value(errf, "keys:", "rate_limited");
    long cooled = stat_value(errf, "keys:", "cooled");
    long key_errors = stat_value(errf, "keys:", "key_errors");
    record r;
    memset(&r, 0, sizeof r);
    collect(&r, (int)(2 * acted), 3000);
    collect(&r, 1000, 300); /* and nothing more */
    CHECK_MSG(events > 0, "recognize emitted no events (see %s)", out);
    CHECK_EQ_INT(acted + limited + cooled, events);
    CHECK_EQ_INT(presses, acted);
    CHECK_EQ_INT(releases, acted);
    CHECK_EQ_INT(key_errors, 0);
    CHECK_EQ_INT(r.presses, acted);
    CHECK_EQ_INT(r.releases, acted);
    /* The window's keys: press then release of the same key each time, in
     * the order of the events (the cooled or rate-limited ones left out). */
    FILE *fp = fopen(out, "r");
    char line[1024];
    const char *p = r.log;
    int order_ok = 1;
    long matched = 0;
    while (fp && fgets(line, sizeof line, fp) && *p) {
        const char *key = NULL;
        for (int k = 0; k < 8; k++) {
            char want[64];
            snprintf(want, sizeof want, "\"label\":\"%s\"", PRECOG_KEYS[k][0]);
            if (strstr(line, want))
                key = PRECOG_KEYS[k][1];
        }
        if (!key) {
            order_ok = 0;
            break;
        }
        char pair[32];
        snprintf(pair, sizeof pair, "+%s -%s", key, key);
        if (!strncmp(p, pair, strlen(pair))) {
            p += strlen(pair);
            p += *p == ' ';
            matched++;
        }
    }
    if (fp)
        fclose(fp);
    CHECK_MSG(order_ok && !*p && matched == acted, "window keys '%s' are not the events' "
              "keys in order (matched %ld of %ld)", r.log, matched, acted);
    printf("end-to-end (%s, %s at 1x): %ld events, %ld acted on (%ld cooled, %ld rate-limited); "
           "window got %d presses, %d releases: %s\n", model, take, events, acted, cooled,
           limited, r.presses, r.releases, r.log);
}

int main(void)
{
    if (!in_path("Xvfb")) {
        printf("SKIP: Xvfb not installed (apt-get install xvfb)\n");
        return 77;
    }
    if (xvfb_start() != 0) {
        printf("SKIP: Xvfb did not start\n");
        xvfb_stop();
        return 77;
    }
    printf("Xvfb on %s\n", display_name);
    char tmp[] = "/tmp/sk_keys_x11.XXXXXX";
    if (!mkdtemp(tmp)) {
        xvfb_stop();
        return 1;
    }
    int ok = window_open() == 0;
    CHECK_MSG(ok, "cannot open, map and focus a window on %s", display_name);
    if (ok) {
        RUN(test_direct);
        int before = check_failed;
        test_end_to_end(tmp);
        printf("%s test_end_to_end\n", check_failed == before ? "ok  " : "FAIL");
    }
    if (dpy)
        XCloseDisplay(dpy);
    xvfb_stop();
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("could not remove %s\n", tmp);
    return check_report();
}
#endif
