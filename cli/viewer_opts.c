/* --http for `skelact recognize` (see viewer_opts.h). */
#include "viewer_opts.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

const char cli_viewer_help[] =
    "  --http [HOST:]PORT   serve a live view on http://HOST:PORT/ (HOST\n"
    "                       127.0.0.1 unless given, IPv4, [IPv6] or a name;\n"
    "                       PORT 0: any free port, the\n"
    "                       address is printed on stderr): skeletons, class\n"
    "                       probabilities, decisions, events, fps, latency\n";

void cli_viewer_opts_init(cli_viewer_opts *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->host, sizeof o->host, "127.0.0.1");
}

int cli_viewer_opt_parse(cli_viewer_opts *o, const char *cmd, int argc, char **argv,
                         int *i)
{
    if (strcmp(argv[*i], "--http") != 0)
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option --http needs a value ([HOST:]PORT)");
        return -2;
    }
    const char *v = argv[++*i];
    if (v[0] >= '0' && v[0] <= '9' && !strchr(v, ':')) {
        /* A bare port; 0 = any free one (the address is printed). */
        if (cli_parse_int(v, &o->port) != 0 || o->port < 0 || o->port > 65535) {
            cli_usage_error(cmd, "bad --http port '%s' (want 0..65535)", v);
            return -2;
        }
    } else if (cli_parse_hostport(v, o->host, sizeof o->host, &o->port) != 0) {
        cli_usage_error(cmd, "bad --http '%s' (want PORT or HOST:PORT)", v);
        return -2;
    }
    o->on = 1;
    return 1;
}

int cli_viewer_start(const cli_viewer_opts *o, const char *cmd, const sk_model *m,
                     sk_viewer **out)
{
    *out = NULL;
    if (!o->on)
        return 0;
    sk_viewer_config cfg = {o->host, o->port, 0};
    char err[256] = "";
    int rc = sk_viewer_create(out, &cfg, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "skelact %s: %s\n", cmd, err[0] ? err : sk_strerror(rc));
        return rc == SK_EADDR ? 2 : 1;
    }
    if (m) {
        const sk_model_header *h = sk_model_header_get(m);
        const char *names[SK_MAX_CLASSES];
        int K = h->nlabels < SK_MAX_CLASSES ? h->nlabels : SK_MAX_CLASSES;
        for (int k = 0; k < K; k++)
            names[k] = h->labels[k];
        sk_viewer_set_labels(*out, names, K);
    }
    int v6 = strchr(o->host, ':') != NULL; /* an IPv6 address goes in brackets */
    fprintf(stderr, "skelact %s: live view on http://%s%s%s:%d/\n", cmd, v6 ? "[" : "",
            o->host, v6 ? "]" : "", sk_viewer_port(*out));
    return 0;
}
