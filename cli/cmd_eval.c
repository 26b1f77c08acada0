/* skelact eval: a model's accuracy on recorded data (MSR Action3D clips). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_precog.h"
#include "../src/nn/training.h" /* internal: cli/ has no src/ include path */
#include "skelact/data.h"
#include "skelact/nn.h"

static void usage(FILE *out)
{
    fprintf(out,
        "usage: skelact eval --model M [--model M2 ...] --data DIR --format msr\n"
        "                    --subjects LIST [--json] [--tta N] [--tta-crop X]\n"
        "       (--format precog: see skelact eval --format precog --help)\n"
        "Classify every listed MSR Action3D clip of the subjects (each resampled to\n"
        "the model's window) and print the accuracy and the confusion matrix\n"
        "(rows: true action, columns: predicted). --json prints one JSON object\n"
        "with clips, correct, accuracy and confusion.\n"
        "--tta N classifies each clip by N views averaged (mean log-probability):\n"
        "the whole clip and N-1 time crops keeping 1-X of it (--tta-crop X,\n"
        "default 0.15, half the training crop), starts evenly spaced. Default 1:\n"
        "the whole clip only. Several --model (up to 8, the same labels; any\n"
        "architectures, windows and features) classify each clip by the sum of\n"
        "their log-probabilities: an ensemble of different models. docs/MSR.md\n"
        "has the measurements.\n");
}

int sk_cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *fmt = NULL, *subj = NULL;
    const char *models[SK_CLASSIFY_MAX_MODELS];
    int json = 0, tta = 1, nmodels = 0;
    double tta_crop = 0.15;
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--format") && !strcmp(argv[i + 1], "precog"))
            return cli_eval_precog(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error("eval", "%s needs a value (or is unknown; see --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--model")) {
            if (nmodels == SK_CLASSIFY_MAX_MODELS)
                return cli_usage_error("eval", "at most %d --model", SK_CLASSIFY_MAX_MODELS);
            model = models[nmodels++] = v;
        }
        else if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--format"))
            fmt = v;
        else if (!strcmp(a, "--subjects"))
            subj = v;
        else if (!strcmp(a, "--tta")) {
            if (cli_parse_int(v, &tta) || tta < 1 || tta > 64)
                return cli_usage_error("eval", "bad value for --tta: '%s' (1..64)", v);
        } else if (!strcmp(a, "--tta-crop")) {
            if (cli_parse_double(v, &tta_crop) || !(tta_crop >= 0.0 && tta_crop < 1.0))
                return cli_usage_error("eval", "bad value for --tta-crop: '%s' ([0, 1))", v);
        } else
            return cli_usage_error("eval", "unknown option %s (see --help)", a);
    }
    if (!model || !data || !fmt || !subj)
        return cli_usage_error("eval", "--model, --data, --format and --subjects are required");
    int format = sk_format_from_name(fmt);
    if (format != SK_FORMAT_MSR)
        return cli_usage_error("eval", "--format must be precog or msr, not '%s'", fmt);
    unsigned char subjects[SK_MAX_SUBJECTS];
    if (cli_parse_int_list(subj, subjects, SK_MAX_SUBJECTS) < 1)
        return cli_usage_error("eval", "bad --subjects list '%s'", subj);

    char err[512] = "";
    sk_model *ms[SK_CLASSIFY_MAX_MODELS] = {NULL};
    sk__dataset ds;
    memset(&ds, 0, sizeof ds);
    int *pred = NULL, *truth = NULL, n = 0, status = 1, rc;
    long *conf = NULL;
    for (int j = 0; j < nmodels; j++)
        if ((rc = sk_model_load(&ms[j], models[j], err, sizeof err))) {
            status = cli_usage_error("eval", "%s", err);
            goto done;
        }
    if ((rc = sk__dataset_load(&ds, data, format, subjects, err, sizeof err))) {
        status = cli_usage_error("eval", "%s", err);
        goto done;
    }
    const sk_model_header *h = sk_model_header_get(ms[0]);
    int K = h->arch.classes;
    for (int j = 0; j < nmodels; j++) {
        const sk_model_header *hj = sk_model_header_get(ms[j]);
        if (hj->arch.classes != ds.nlabels || hj->features.joint_set != ds.joint_set) {
            status = cli_usage_error("eval", "%s: a model of %d classes (joint set %d) "
                                     "does not fit MSR Action3D (%d classes, joint set %d)",
                                     models[j], hj->arch.classes, hj->features.joint_set,
                                     ds.nlabels, ds.joint_set);
            goto done;
        }
        for (int k = 0; k < K; k++)
            if (strcmp(hj->labels[k], h->labels[k]) != 0) {
                status = cli_usage_error("eval", "%s: label %d is '%s', %s says '%s'",
                                         models[j], k, hj->labels[k], models[0],
                                         h->labels[k]);
                goto done;
            }
    }
    if ((rc = sk__classify_dataset_models(ms, nmodels, &ds, tta, (float)tta_crop, &pred,
                                          &truth, &n))) {
        fprintf(stderr, "skelact eval: classification failed: %s\n", sk_strerror(rc));
        goto done;
    }
    conf = calloc((size_t)K * K, sizeof *conf);
    if (!conf)
        goto done;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        conf[(size_t)truth[i] * K + pred[i]]++;
        correct += pred[i] == truth[i];
    }
    double acc = n ? (double)correct / n : 0.0;
    if (json) {
        printf("{\"format\":\"msr\",\"model\":");
        cli_json_string(stdout, models[0]);
        if (nmodels > 1) { /* an ensemble: every model, in order */
            printf(",\"models\":[");
            for (int j = 0; j < nmodels; j++) {
                if (j)
                    putchar(',');
                cli_json_string(stdout, models[j]);
            }
            putchar(']');
        }
        printf(",\"subjects\":");
        cli_json_string(stdout, subj);
        printf(",\"clips\":%d,\"correct\":%d,\"accuracy\":%.6f,\"labels\":[", n,
               correct, acc);
        for (int k = 0; k < K; k++) {
            if (k)
                putchar(',');
            cli_json_string(stdout, h->labels[k]);
        }
        printf("],\"confusion\":[");
        for (int a = 0; a < K; a++) {
            printf("%s[", a ? "," : "");
            for (int b = 0; b < K; b++)
                printf("%s%ld", b ? "," : "", conf[(size_t)a * K + b]);
            putchar(']');
        }
        printf("]}\n");
    } else {
        printf("clips %d  correct %d  accuracy %.4f\n\n", n, correct, acc);
        printf("confusion (rows: true, columns: predicted; . = 0)\n%-22s", "");
        for (int b = 0; b < K; b++)
            printf("%3d", b + 1);
        printf("   acc\n");
        for (int a = 0; a < K; a++) {
            long row = 0;
            for (int b = 0; b < K; b++)
                row += conf[(size_t)a * K + b];
            printf("%2d %-19.19s", a + 1, h->labels[a]);
            for (int b = 0; b < K; b++) {
                long c = conf[(size_t)a * K + b];
                if (c)
                    printf("%3ld", c);
                else
                    printf("  .");
            }
            if (row)
                printf("  %.2f\n", (double)conf[(size_t)a * K + a] / row);
            else
                printf("     -\n");
        }
    }
    status = 0;
done:
    free(conf);
    free(pred);
    free(truth);
    sk__dataset_free(&ds);
    for (int j = 0; j < nmodels; j++)
        sk_model_destroy(ms[j]);
    return status;
}
