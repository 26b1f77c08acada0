/* Key backend: a Linux virtual keyboard through uinput (libevdev). Needs a
 * writable /dev/uinput. Built only with SK_HAVE_UINPUT
 * (cmake/optional.cmake: libevdev-dev). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinks/sinks_internal.h"

#ifndef SK_UINPUT_PATH
#define SK_UINPUT_PATH "/dev/uinput"
#endif

#ifdef SK_HAVE_UINPUT
#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

typedef struct ui {
    struct libevdev *dev;
    struct libevdev_uinput *uidev;
} ui;

static int ui_key(void *impl, int key, int down)
{
    ui *u = impl;
    return libevdev_uinput_write_event(u->uidev, EV_KEY, (unsigned)sk__keys[key].code,
                                       down ? 1 : 0) == 0 ? 0 : SK_EIO;
}

static void ui_flush(void *impl)
{
    ui *u = impl;
    libevdev_uinput_write_event(u->uidev, EV_SYN, SYN_REPORT, 0);
}

static void ui_destroy(void *impl)
{
    ui *u = impl;
    if (!u)
        return;
    if (u->uidev)
        libevdev_uinput_destroy(u->uidev); /* the kernel releases keys still down */
    if (u->dev)
        libevdev_free(u->dev);
    free(u);
}

static const char *ui_device(void *impl)
{
    const char *n = libevdev_uinput_get_devnode(((ui *)impl)->uidev);
    return n ? n : "";
}

int sk__uinput_open(sk__backend *b, char *err, size_t errlen)
{
    if (access(SK_UINPUT_PATH, W_OK) != 0) {
        int e = errno;
        if (err) {
            if (e == ENOENT)
                snprintf(err, errlen, "uinput: %s does not exist (this kernel has no uinput; "
                         "try 'modprobe uinput')", SK_UINPUT_PATH);
            else if (e == EACCES || e == EPERM)
                snprintf(err, errlen, "uinput: no permission to write %s (a udev rule or the "
                         "'input' group grants it)", SK_UINPUT_PATH);
            else
                snprintf(err, errlen, "uinput: %s: %s", SK_UINPUT_PATH, strerror(e));
        }
        return SK_EIO;
    }
    ui *u = calloc(1, sizeof *u);
    if (!u || !(u->dev = libevdev_new())) {
        free(u);
        if (err)
            snprintf(err, errlen, "uinput: out of memory");
        return SK_ENOMEM;
    }
    libevdev_set_name(u->dev, "skelact virtual keyboard");
    libevdev_set_id_bustype(u->dev, BUS_VIRTUAL);
    libevdev_enable_event_type(u->dev, EV_KEY);
    for (int k = 0; k < sk__nkeys; k++)
        libevdev_enable_event_code(u->dev, EV_KEY, (unsigned)sk__keys[k].code, NULL);
    int rc = libevdev_uinput_create_from_device(u->dev, LIBEVDEV_UINPUT_OPEN_MANAGED, &u->uidev);
    if (rc != 0) {
        if (err)
            snprintf(err, errlen, "uinput: cannot create the virtual keyboard: %s",
                     strerror(-rc));
        u->uidev = NULL;
        ui_destroy(u);
        return SK_EIO;
    }
    b->name = "uinput";
    b->impl = u;
    b->key = ui_key;
    b->flush = ui_flush;
    b->destroy = ui_destroy;
    b->device = ui_device;
    return 0;
}

#else

int sk__uinput_open(sk__backend *b, char *err, size_t errlen)
{
    (void)b;
    if (err)
        snprintf(err, errlen, "uinput: not compiled in (this build has: %s; needs "
                 "libevdev-dev at build time)", sk_keys_backends());
    return SK_EUNSUPPORTED;
}

#endif
