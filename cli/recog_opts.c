/* Decision options shared by recognize and eval (see recog_opts.h). */
#include <string.h>

#include "cli.h"
#include "recog_opts.h"

const char cli_recog_opt_help[] =
    "Decision settings (default: the model file's; see skelact info M):\n"
    "  --smooth A           exponential smoothing of probabilities, 0 <= A < 1\n"
    "                       (weight of the past; 0 = none)\n"
    "  --threshold P        smoothed probability a label needs, 0..1\n"
    "  --min-frames N       consecutive decisions before the label changes\n"
    "  --refractory N       frames after a label was last decided before it may\n"
    "                       start again\n"
    "  --rearm N            after an event, no label may start until the model\n"
    "                       has seen rest (no label) for N decisions (default 0:\n"
    "                       off)\n"
    "  --decide-every K     run the model on every K-th frame of a body (default 1)\n"
    "  --gap N              a body missing from more than N frames is dropped and\n"
    "                       starts a fresh window (default 5); shorter gaps repeat\n"
    "                       its last pose\n"
    "  --infer MODE         window: the model on each body's last W frames;\n"
    "                       stream: a tcn stepped once per frame (cost per frame\n"
    "                       independent of the window; features normalised per\n"
    "                       frame); auto (default): stream when that equals the\n"
    "                       window (a tcn with per-frame normalisation whose\n"
    "                       receptive field fits the window), else window\n";

int cli_recog_opt_parse(sk_recognizer_config *cfg, const char *cmd, int argc,
                        char **argv, int *i)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--infer")) {
        if (*i + 1 >= argc) {
            cli_usage_error(cmd, "option %s needs a value", a);
            return -2;
        }
        const char *v = argv[++*i];
        if (!strcmp(v, "window"))
            cfg->streaming = 0;
        else if (!strcmp(v, "stream"))
            cfg->streaming = 1;
        else if (!strcmp(v, "auto"))
            cfg->streaming = -1;
        else {
            cli_usage_error(cmd, "unknown --infer '%s' (window, stream or auto)", v);
            return -2;
        }
        return 1;
    }
    int isf = !strcmp(a, "--smooth") || !strcmp(a, "--threshold");
    int isi = !strcmp(a, "--min-frames") || !strcmp(a, "--refractory") ||
              !strcmp(a, "--rearm") ||
              !strcmp(a, "--decide-every") || !strcmp(a, "--gap");
    if (!isf && !isi)
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option %s needs a value", a);
        return -2;
    }
    const char *v = argv[++*i];
    if (isf) {
        double d;
        int bad = cli_parse_double(v, &d) != 0 || d < 0.0 || d > 1.0;
        if (!strcmp(a, "--smooth"))
            bad = bad || d >= 1.0;
        if (bad) {
            cli_usage_error(cmd, "bad %s '%s' (want %s)", a, v,
                            !strcmp(a, "--smooth") ? "0 <= A < 1" : "0..1");
            return -2;
        }
        if (!strcmp(a, "--smooth"))
            cfg->smooth = (float)d;
        else
            cfg->threshold = (float)d;
        return 1;
    }
    int n;
    int lo = !strcmp(a, "--decide-every") ? 1 : 0;
    int hi = !strcmp(a, "--gap") || !strcmp(a, "--rearm") ? SK_RECOGNIZER_MAX_GAP : 100000;
    if (cli_parse_int(v, &n) != 0 || n < lo || n > hi) {
        cli_usage_error(cmd, "bad %s '%s' (want %d-%d)", a, v, lo, hi);
        return -2;
    }
    if (!strcmp(a, "--min-frames"))
        cfg->min_frames = n;
    else if (!strcmp(a, "--refractory"))
        cfg->refractory = n;
    else if (!strcmp(a, "--rearm"))
        cfg->rearm = n;
    else if (!strcmp(a, "--decide-every"))
        cfg->decide_every = n;
    else
        cfg->gap_frames = n ? n : -1; /* 0: never bridge */
    return 1;
}


void cli_event_json(FILE *out, const sk_event *ev, const char *extra)
{
    fputs("{\"label\":", out);
    cli_json_string(out, ev->name ? ev->name : "");
    fprintf(out,
            ",\"class\":%d,\"body\":%lu,\"stream\":%lu,\"frame\":%llu,"
            "\"confidence\":%.4f,\"latency_us\":%lld%s}",
            ev->label, (unsigned long)ev->body, (unsigned long)ev->stream,
            (unsigned long long)ev->frame, (double)ev->confidence,
            (long long)ev->latency_us, extra ? extra : "");
}
