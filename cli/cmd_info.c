/* skelact info MODEL [--json]: print a model file's header. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "skelact/nn.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: skelact info MODEL [--json]\n"
                 "Print a model file's header: architecture, sizes, features,\n"
                 "labels and post-processing defaults.\n");
}

static const char *on_off(int v)
{
    return v ? "on" : "off";
}

static void print_text(const char *path, long long size, const sk_model *m)
{
    const sk_model_header *h = sk_model_header_get(m);
    size_t nparams = sk_model_nparams(m);
    const sk_model_config *a = &h->arch;
    const sk_joint_set *js = sk_joint_set_get(h->features.joint_set);
    printf("file:          %s (%lld bytes)\n", path, size);
    printf("architecture:  %s\n", sk_arch_name(a->arch));
    printf("sizes:         input %d, hidden %d%s, layers %d, classes %d\n",
           a->input, a->hidden, a->arch == SK_ARCH_BIGRU ? " each way" : "",
           a->layers, a->classes);
    if (a->arch == SK_ARCH_TCN) {
        printf("convolution:   kernel %d, dilations", a->kernel);
        for (int l = 0; l < a->layers; l++)
            printf("%s%ld", l ? ", " : " ", 1L << l);
        printf("\n");
    }
    sk_dtw_summary d;
    memset(&d, 0, sizeof d);
    if (sk_model_dtw_summary(m, &d) == 0) {
        printf("templates:     %d of %d to %d frames:", d.templates, d.min_len, d.max_len);
        for (int k = 0, first = 1; k < a->classes; k++)
            if (d.per_class[k]) {
                printf("%s %s %d", first ? "" : ",", h->labels[k], d.per_class[k]);
                first = 0;
            }
        printf("\nmatching:      temperature %g, reject distance %g\n",
               (double)d.temperature, (double)d.reject);
    } else {
        printf("head:          %s\n",
               a->pool == SK_POOL_MEAN    ? "mean of the top layer over the window (pool mean)"
               : a->arch == SK_ARCH_BIGRU ? "each direction's final state (pool last)"
                                          : "the top layer's last step (pool last)");
    }
    printf("parameters:    %zu (%zu bytes of float32)\n", nparams, nparams * 4);
    printf("window:        %d frames (%.2f s at %g fps)\n", a->window,
           a->window / (double)h->features.fps, (double)h->features.fps);
    printf("joint set:     %s (%d joints)\n", js ? js->name : "?",
           js ? js->njoints : 0);
    printf("features:      center %s, scale %s, rotate %s, velocity %s, "
           "frame_norm %s, retarget %s, root_motion %s\n",
           on_off(h->features.center), on_off(h->features.scale),
           on_off(h->features.rotate), on_off(h->features.velocity),
           on_off(h->features.frame_norm), on_off(h->features.retarget),
           on_off(h->features.root_motion));
    printf("postprocess:   smooth %g, threshold %g, min_frames %d, refractory %d\n",
           (double)h->post.smooth, (double)h->post.threshold, h->post.min_frames,
           h->post.refractory);
    printf("labels:        %d\n", h->nlabels);
    for (int i = 0; i < h->nlabels; i++)
        printf("  %3d  %s%s\n", i, h->labels[i],
               i == 0 && !(d.templates && d.per_class[0]) ? "  (null class)" : "");
}

static void print_json(const char *path, long long size, const sk_model *m)
{
    const sk_model_header *h = sk_model_header_get(m);
    size_t nparams = sk_model_nparams(m);
    const sk_model_config *a = &h->arch;
    const sk_joint_set *js = sk_joint_set_get(h->features.joint_set);
    printf("{\"file\":");
    cli_json_string(stdout, path);
    printf(",\"bytes\":%lld,\"arch\":\"%s\",\"input\":%d,\"hidden\":%d,"
           "\"layers\":%d,\"classes\":%d,\"window\":%d,\"kernel\":%d,"
           "\"pool\":\"%s\",\"params\":%zu,\"joint_set\":\"%s\",\"features\":{\"center\":%s,"
           "\"scale\":%s,\"rotate\":%s,\"velocity\":%s,\"frame_norm\":%s,"
           "\"retarget\":%s,\"root_motion\":%s,\"fps\":%.9g},"
           "\"post\":{\"smooth\":%.9g,\"threshold\":%.9g,\"min_frames\":%d,"
           "\"refractory\":%d},\"labels\":[",
           size, sk_arch_name(a->arch), a->input, a->hidden, a->layers,
           a->classes, a->window, a->kernel, sk_pool_name(a->pool), nparams,
           js ? js->name : "?",
           h->features.center ? "true" : "false",
           h->features.scale ? "true" : "false",
           h->features.rotate ? "true" : "false",
           h->features.velocity ? "true" : "false",
           h->features.frame_norm ? "true" : "false",
           h->features.retarget ? "true" : "false",
           h->features.root_motion ? "true" : "false", (double)h->features.fps,
           (double)h->post.smooth, (double)h->post.threshold, h->post.min_frames,
           h->post.refractory);
    for (int i = 0; i < h->nlabels; i++) {
        if (i)
            putchar(',');
        cli_json_string(stdout, h->labels[i]);
    }
    printf("]");
    sk_dtw_summary d;
    if (sk_model_dtw_summary(m, &d) == 0) {
        printf(",\"dtw\":{\"templates\":%d,\"min_len\":%d,\"max_len\":%d,"
               "\"temperature\":%.9g,\"reject\":%.9g,\"per_class\":[",
               d.templates, d.min_len, d.max_len, (double)d.temperature, (double)d.reject);
        for (int k = 0; k < a->classes; k++)
            printf("%s%d", k ? "," : "", d.per_class[k]);
        printf("]}");
    }
    printf("}\n");
}

int sk_cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage_error("info", "unknown option '%s' (try --help)",
                                   argv[i]);
        } else if (path) {
            return cli_usage_error("info", "one model file at a time");
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return cli_usage_error("info", "no model file given (skelact info MODEL)");

    sk_model *m = NULL;
    char err[512];
    int rc = sk_model_load(&m, path, err, sizeof err);
    if (rc != 0)
        return cli_usage_error("info", "%s", err);
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    if (json)
        print_json(path, size, m);
    else
        print_text(path, size, m);
    sk_model_destroy(m);
    return 0;
}
