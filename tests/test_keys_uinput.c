/* Keys through uinput, read back from the virtual keyboard's own
 * /dev/input/eventN node: a tap, a held combination released by its END,
 * and a hold released by sk_sinks_release_all. Skips (exit 77) with a
 * message where this build has no uinput backend, where the kernel has no
 * /dev/uinput, or where this user may not use it. */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "skelact/sinks.h"

#ifndef SK_HAVE_UINPUT
int main(void)
{
    printf("SKIP: this build has no uinput key backend (needs libevdev-dev; backends: %s)\n",
           sk_keys_backends());
    return 77;
}
#else

/* Read key events (EV_KEY) from fd into log as "+code -code ..." until
 * `want` of them arrived or 2 s passed. Returns the number read. */
static int collect(int fd, char *log, size_t cap, int want)
{
    int n = 0, quiet = 0;
    while (n < want && quiet < 2000) {
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 50) <= 0) {
            quiet += 50;
            continue;
        }
        struct input_event ev;
        ssize_t r = read(fd, &ev, sizeof ev);
        if (r != (ssize_t)sizeof ev)
            break;
        if (ev.type != EV_KEY)
            continue;
        size_t len = strlen(log);
        snprintf(log + len, cap - len, "%s%c%d", len ? " " : "", ev.value ? '+' : '-', ev.code);
        n++;
    }
    return n;
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

int main(void)
{
    if (access("/dev/uinput", F_OK) != 0) {
        printf("SKIP: this kernel has no /dev/uinput (modprobe uinput); uinput keys untested\n");
        return 77;
    }
    if (access("/dev/uinput", W_OK) != 0) {
        printf("SKIP: no permission to write /dev/uinput; uinput keys untested\n");
        return 77;
    }
    static const char *const labels[] = {"right punch", "left punch", "back fist"};
    const char *text = "right punch = tap j\nleft punch = hold shift+w\nback fist = hold a\n";
    sk_keymap *m = NULL;
    char err[256] = "";
    CHECK(sk_keymap_parse(&m, text, strlen(text), labels, 3, err, sizeof err) == 0);
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    cfg.backend = "uinput";
    sk_sinks *s = NULL;
    int rc = sk_sinks_create(&s, m, &cfg, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc)
        return check_report();
    const char *node = sk_sinks_device(s);
    printf("virtual keyboard at %s\n", node);
    CHECK(!strncmp(node, "/dev/input/event", 16));
    int fd = -1;
    for (int i = 0; i < 200 && fd < 0; i++) { /* udev may still be making the node */
        fd = open(node, O_RDONLY | O_NONBLOCK);
        if (fd < 0 && errno == EACCES) {
            printf("SKIP: no permission to read %s; uinput keys untested\n", node);
            sk_sinks_destroy(s);
            return 77;
        }
        if (fd < 0)
            usleep(10000);
    }
    CHECK_MSG(fd >= 0, "cannot open %s: %s", node, strerror(errno));
    if (fd < 0) {
        sk_sinks_destroy(s);
        return check_report();
    }
    usleep(100000); /* let the device settle before the first key */
    char log[1024] = "", want[256];
    event(s, SK_EVENT_START, "right punch");
    event(s, SK_EVENT_START, "left punch");
    event(s, SK_EVENT_END, "left punch");
    event(s, SK_EVENT_START, "back fist");
    sk_sinks_release_all(s);
    int n = collect(fd, log, sizeof log, 8);
    snprintf(want, sizeof want, "+%d -%d +%d +%d -%d -%d +%d -%d", KEY_J, KEY_J, KEY_LEFTSHIFT,
             KEY_W, KEY_W, KEY_LEFTSHIFT, KEY_A, KEY_A);
    CHECK_EQ_INT(n, 8);
    CHECK_MSG(!strcmp(log, want), "read '%s', want '%s'", log, want);
    printf("read back: %s\n", log);
    close(fd);
    sk_sinks_destroy(s);
    return check_report();
}
#endif
