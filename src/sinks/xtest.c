/* Key backend: X11 through the XTest extension. XTestFakeKeyEvent sends
 * each key to the display, which delivers it to the focused window. Built
 * only with SK_HAVE_XTEST (cmake/optional.cmake: libx11-dev, libxtst-dev). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks/sinks_internal.h"

#ifdef SK_HAVE_XTEST
#include <X11/Xlib.h>
#include <X11/extensions/XTest.h>

typedef struct xt {
    Display *dpy;
    char name[128];
    KeyCode *code; /* per key index; 0 = not in the display's keyboard map */
} xt;

static int xt_key(void *impl, int key, int down)
{
    xt *x = impl;
    if (!x->code[key])
        return SK_ENOTFOUND;
    return XTestFakeKeyEvent(x->dpy, x->code[key], down ? True : False, CurrentTime) ? 0 : SK_EIO;
}

static void xt_flush(void *impl)
{
    xt *x = impl;
    XFlush(x->dpy);
}

static void xt_destroy(void *impl)
{
    xt *x = impl;
    if (!x)
        return;
    if (x->dpy) {
        XSync(x->dpy, False);
        XCloseDisplay(x->dpy);
    }
    free(x->code);
    free(x);
}

static const char *xt_device(void *impl) { return ((xt *)impl)->name; }

int sk__xtest_open(sk__backend *b, const char *display, char *err, size_t errlen)
{
    const char *name = display ? display : getenv("DISPLAY");
    if (!name || !*name) {
        if (err)
            snprintf(err, errlen, "xtest: DISPLAY is not set (no X display to send keys to)");
        return SK_EIO;
    }
    xt *x = calloc(1, sizeof *x);
    if (!x || !(x->code = calloc((size_t)sk__nkeys, sizeof *x->code))) {
        xt_destroy(x);
        if (err)
            snprintf(err, errlen, "xtest: out of memory");
        return SK_ENOMEM;
    }
    snprintf(x->name, sizeof x->name, "%s", name);
    if (!(x->dpy = XOpenDisplay(name))) {
        if (err)
            snprintf(err, errlen, "xtest: cannot open display '%s'", name);
        xt_destroy(x);
        return SK_EIO;
    }
    int ev, er, maj, min;
    if (!XTestQueryExtension(x->dpy, &ev, &er, &maj, &min)) {
        if (err)
            snprintf(err, errlen, "xtest: display '%s' has no XTEST extension", name);
        xt_destroy(x);
        return SK_EIO;
    }
    for (int k = 0; k < sk__nkeys; k++) {
        KeySym sym = XStringToKeysym(sk__keys[k].name);
        x->code[k] = sym == NoSymbol ? 0 : XKeysymToKeycode(x->dpy, sym);
    }
    b->name = "xtest";
    b->impl = x;
    b->key = xt_key;
    b->flush = xt_flush;
    b->destroy = xt_destroy;
    b->device = xt_device;
    return 0;
}

#else

int sk__xtest_open(sk__backend *b, const char *display, char *err, size_t errlen)
{
    (void)b;
    (void)display;
    if (err)
        snprintf(err, errlen, "xtest: not compiled in (this build has: %s; needs libx11-dev "
                 "and libxtst-dev at build time)", sk_keys_backends());
    return SK_EUNSUPPORTED;
}

#endif
