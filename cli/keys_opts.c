/* --keys, --keys-backend, --key-rate for `skelact recognize`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keys_opts.h"

void cli_keys_opts_init(cli_keys_opts *o)
{
    memset(o, 0, sizeof *o);
}

void cli_keys_help(FILE *out)
{
    fprintf(out,
            "Keys (docs/KEYMAP.md):\n"
            "  --keys MAP           press keys (run commands, write JSON lines) for the\n"
            "                       events, as MAP says (e.g. keys/precog.keys); needs\n"
            "                       --model, whose labels MAP must use\n"
            "  --keys-backend B     xtest (X11: the focused window of $DISPLAY), uinput\n"
            "                       (a virtual keyboard, needs /dev/uinput), dry-run\n"
            "                       (print the keys on stderr), auto (default: xtest,\n"
            "                       else uinput), list; this build has: %s\n"
            "  --key-rate N         at most N actions per second (default: the map's\n"
            "                       'set rate', else %g)\n",
            sk_keys_backends(), SK_SINKS_RATE);
}

int cli_keys_opts_parse(cli_keys_opts *o, const char *cmd, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--keys") && strcmp(a, "--keys-backend") && strcmp(a, "--key-rate"))
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", a);
        return -2;
    }
    const char *v = argv[++*i];
    if (!strcmp(a, "--keys")) {
        o->map = v;
    } else if (!strcmp(a, "--keys-backend")) {
        if (!strcmp(v, "list")) {
            printf("%s\n", sk_keys_backends());
            exit(0);
        }
        if (strcmp(v, "xtest") && strcmp(v, "uinput") && strcmp(v, "dry-run") &&
            strcmp(v, "auto")) {
            cli_usage_error(cmd, "unknown --keys-backend '%s' (xtest, uinput, dry-run, auto; "
                            "this build has: %s)", v, sk_keys_backends());
            return -2;
        }
        o->backend = v;
    } else {
        double r;
        if (cli_parse_double(v, &r) != 0 || !(r > 0) || r > 1000) {
            cli_usage_error(cmd, "bad --key-rate '%s' (want actions per second, 0 < N <= 1000)", v);
            return -2;
        }
        o->rate = r;
    }
    return 1;
}

static void print_key(void *ctx, const char *key, int down)
{
    (void)ctx;
    fprintf(stderr, "keys (dry-run): %s %s\n", down ? "press" : "release", key);
}

/* The sinks a crash must release; set while they are open. */
static sk_sinks *volatile crash_sinks;

static void on_crash(int sig)
{
    sk_sinks *s = crash_sinks;
    crash_sinks = NULL;
    if (s)
        sk_sinks_release_all(s); /* best effort: the process is dying anyway */
    signal(sig, SIG_DFL);
    raise(sig);
}

int cli_keys_open(sk_sinks **out, const cli_keys_opts *o, const sk_model_header *h,
                  const char *cmd)
{
    *out = NULL;
    if (!o->map) {
        if (o->backend || o->rate > 0)
            return cli_usage_error(cmd, "--keys-backend and --key-rate need --keys MAP");
        return 0;
    }
    if (!h)
        return cli_usage_error(cmd, "--keys needs --model (the map is checked against its labels)");
    const char *labels[SK_MAX_CLASSES];
    int n = 0;
    for (int k = 1; k < h->nlabels && k < SK_MAX_CLASSES; k++)
        labels[n++] = h->labels[k];
    char err[512] = "";
    sk_keymap *map = NULL;
    if (sk_keymap_load(&map, o->map, labels, n, err, sizeof err) != 0)
        return cli_usage_error(cmd, "%s", err);
    int nmap = sk_keymap_count(map);
    sk_sinks_config cfg;
    sk_sinks_config_default(&cfg);
    if (o->backend)
        cfg.backend = o->backend;
    cfg.rate = o->rate;
    if (!strcmp(cfg.backend, "dry-run"))
        cfg.on_key = print_key;
    sk_sinks *s = NULL;
    if (sk_sinks_create(&s, map, &cfg, err, sizeof err) != 0)
        return cli_usage_error(cmd, "--keys %s: %s", o->map, err);
    const char *dev = sk_sinks_device(s);
    fprintf(stderr, "keys: %s, %d mappings, backend %s%s%s\n", o->map, nmap,
            sk_sinks_backend(s), *dev ? " " : "", dev);
    crash_sinks = s;
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGABRT, on_crash);
    *out = s;
    return 0;
}

void cli_keys_close(sk_sinks *s)
{
    if (!s)
        return;
    crash_sinks = NULL;
    sk_sinks_release_all(s);
    sk_sinks_stats st;
    sk_sinks_get_stats(s, &st);
    fprintf(stderr,
            "keys: presses=%llu releases=%llu acted=%llu rate_limited=%llu cooled=%llu "
            "hold_timeouts=%llu commands=%llu lines_sent=%llu lines_dropped=%llu "
            "key_errors=%llu\n",
            (unsigned long long)st.presses, (unsigned long long)st.releases,
            (unsigned long long)st.acted, (unsigned long long)st.rate_limited,
            (unsigned long long)st.cooled, (unsigned long long)st.hold_timeouts,
            (unsigned long long)st.commands, (unsigned long long)st.lines_sent,
            (unsigned long long)st.lines_dropped, (unsigned long long)st.key_errors);
    sk_sinks_destroy(s);
}
