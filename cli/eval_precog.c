/* skelact eval --format precog: a model on continuous PRECOG takes, run
 * frame by frame through the live recognizer (sk_recognizer_push, no
 * sockets) and scored as DESIGN.md "Evaluation on continuous takes" says. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/nn/training.h" /* internal: cli/ has no src/ include path */
#include "cli.h"
#include "skelact/data.h"
#include "eval_plots.h"
#include "eval_precog.h"
#include "recog_opts.h"
#include "skelact/recognizer.h"

static const char *const CMD = "eval";

static void usage(FILE *out)
{
    fprintf(out,
        "usage: skelact eval --model M --data DIR --format precog --subjects LIST\n"
        "                    [--json] [--per-take] [--events-out FILE] [--print-events]\n"
        "                    [--probs-out FILE]\n"
        "                    [--smooth A] [--threshold P] [--min-frames N]\n"
        "                    [--refractory N] [--rearm N] [--decide-every K] [--gap N]\n"
        "                    [--infer window|stream|auto]\n"
        "\n"
        "Run every PRECOG take SeqR_S.csv of the listed subjects frame by frame\n"
        "through the live recognizer (the code `skelact recognize` runs, without\n"
        "sockets; each take is one stream, its frames numbered from 0) and score it:\n"
        "  frame accuracy   the reported label at each frame against the true one\n"
        "                   (label 0 before the first full window; a dtw\n"
        "                   model decides from the first frame on);\n"
        "  macro F1         per-label F1 of the frame labels, averaged over the\n"
        "                   labels that occur in the true labels (0 included);\n"
        "  events           a true move is a maximal run [s, e] of one non-zero\n"
        "                   label; a START of label L at frame f matches the first\n"
        "                   unmatched move of L with s <= f <= e + %d; unmatched\n"
        "                   events are false alarms, unmatched moves misses;\n"
        "                   delay = f - s.\n"
        "\n"
        "  --json           one JSON object: frames, frame_accuracy, macro_f1,\n"
        "                   events {true, hits, misses, false_alarms, precision,\n"
        "                   recall, f1, mean_delay_frames, median_delay_frames}\n"
        "                   (delays null without hits), decision settings, takes\n"
        "  --per-take       also one line per take (human-readable output)\n"
        "  --events-out F   write each START event as a JSON line to F (\"-\":\n"
        "                   stdout), as `recognize --events json` prints it, plus\n"
        "                   \"take\" and \"hit\" (the matched move, -1 false alarm)\n"
        "  --print-events   the same on stdout\n"
        "  --probs-out F    write one CSV line per frame to F (\"-\": stdout):\n"
        "                   take, frame, true label, reported label, then the\n"
        "                   smoothed class probabilities p0..p(K-1) the decision\n"
        "                   saw (all 0 before the first decision; with --smooth 0\n"
        "                   the model's own output), to study decision rules\n"
        "%s\n%s",
        SK_SCORE_LATE_FRAMES, cli_eval_plots_help, cli_recog_opt_help);
}

typedef struct take_run {
    sk_score_event *ev;   /* (cap) START events of the take */
    sk_event *full;       /* (cap) the same, as emitted */
    int nev, cap;
    int overflow;
} take_run;

static void on_event(void *ctx, const sk_event *e)
{
    take_run *tr = ctx;
    if (e->kind != SK_EVENT_START)
        return;
    if (tr->nev >= tr->cap) {
        tr->overflow = 1;
        return;
    }
    tr->ev[tr->nev].frame = (int)e->frame;
    tr->ev[tr->nev].label = e->label;
    tr->full[tr->nev] = *e;
    tr->nev++;
}

static void print_delay(FILE *out, double d)
{
    if (isnan(d))
        fputs("null", out);
    else
        fprintf(out, "%.3f", d);
}

int cli_eval_precog(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *subj = NULL, *evout = NULL, *pout = NULL;
    int json = 0, per_take = 0;
    sk_recognizer_config rc_cfg;
    sk_recognizer_config_default(&rc_cfg);
    cli_eval_plots plots;
    cli_eval_plots_init(&plots);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        int r = cli_eval_plots_parse(&plots, CMD, argc, argv, &i);
        if (r > 0)
            continue;
        if (r == 0)
            r = cli_recog_opt_parse(&rc_cfg, CMD, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(a, "--json")) {
            json = 1;
            continue;
        }
        if (!strcmp(a, "--per-take")) {
            per_take = 1;
            continue;
        }
        if (!strcmp(a, "--print-events")) {
            evout = "-";
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error(CMD, "%s needs a value (or is unknown; see --help)", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--model"))
            model = v;
        else if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--format")) {
            if (strcmp(v, "precog"))
                return cli_usage_error(CMD, "--format %s: this branch is precog", v);
        } else if (!strcmp(a, "--subjects"))
            subj = v;
        else if (!strcmp(a, "--events-out"))
            evout = v;
        else if (!strcmp(a, "--probs-out"))
            pout = v;
        else
            return cli_usage_error(CMD, "unknown option %s (see --help)", a);
    }
    if (!model || !data || !subj)
        return cli_usage_error(CMD, "--model, --data, --format and --subjects are required");
    unsigned char subjects[SK_MAX_SUBJECTS];
    if (cli_parse_int_list(subj, subjects, SK_MAX_SUBJECTS) < 1)
        return cli_usage_error(CMD, "bad --subjects list '%s'", subj);

    char err[512] = "";
    int status = 1, rc;
    sk_model *m = NULL;
    sk_recognizer *rec = NULL;
    sk_score *score = NULL;
    sk__dataset ds;
    memset(&ds, 0, sizeof ds);
    take_run tr;
    memset(&tr, 0, sizeof tr);
    int *pred = NULL;
    FILE *evf = NULL, *pf = NULL;

    if ((rc = sk_model_load(&m, model, err, sizeof err))) {
        status = cli_usage_error(CMD, "%s", err);
        goto done;
    }
    if ((rc = sk__dataset_load(&ds, data, SK_FORMAT_PRECOG, subjects, err, sizeof err))) {
        status = cli_usage_error(CMD, "%s", err);
        goto done;
    }
    const sk_model_header *h = sk_model_header_get(m);
    int K = h->arch.classes;
    if (K != ds.nlabels || h->features.joint_set != ds.joint_set) {
        status = cli_usage_error(CMD, "%s: a model of %d classes (joint set %d) does "
                                 "not fit PRECOG (%d classes, joint set %d)",
                                 model, K, h->features.joint_set, ds.nlabels,
                                 ds.joint_set);
        goto done;
    }
    if ((rc = sk_recognizer_create(&rec, m, &rc_cfg))) {
        status = cli_usage_error(CMD, "%s: cannot run this model: %s", model,
                                 sk_strerror(rc));
        goto done;
    }
    if ((rc = sk_score_create(&score, K)))
        goto oom;
    int maxn = 0;
    for (int c = 0; c < ds.nclips; c++)
        if (ds.clips[c].nframes > maxn)
            maxn = ds.clips[c].nframes;
    tr.cap = maxn + 1;
    tr.ev = malloc((size_t)tr.cap * sizeof *tr.ev);
    tr.full = malloc((size_t)tr.cap * sizeof *tr.full);
    pred = malloc((size_t)(maxn + 1) * sizeof *pred);
    if (!tr.ev || !tr.full || !pred)
        goto oom;
    if (evout) {
        evf = strcmp(evout, "-") ? fopen(evout, "w") : stdout;
        if (!evf) {
            status = cli_usage_error(CMD, "cannot write %s", evout);
            goto done;
        }
    }
    if (pout) {
        pf = strcmp(pout, "-") ? fopen(pout, "w") : stdout;
        if (!pf) {
            status = cli_usage_error(CMD, "cannot write %s", pout);
            goto done;
        }
        fputs("take,frame,true,label", pf);
        for (int k = 0; k < K; k++)
            fprintf(pf, ",p%d", k);
        fputc('\n', pf);
    }
    sk_postproc_config post;
    int every, rearm;
    sk_recognizer_settings(rec, &post, &every, &rearm);
    if (!json)
        printf("model %s  subjects %s  takes %d\n"
               "decisions: smooth %g  threshold %g  min_frames %d  refractory %d  "
               "rearm %d  decide_every %d  inference %s\n",
               model, subj, ds.nclips, (double)post.smooth, (double)post.threshold,
               post.min_frames, post.refractory, rearm, every,
               sk_recognizer_is_streaming(rec) ? "stream" : "window");

    static sk_frame f; /* ~10 KB: not on the stack */
    for (int c = 0; c < ds.nclips; c++) {
        const sk__clip *clip = &ds.clips[c];
        uint32_t stream = (uint32_t)c + 1;
        tr.nev = 0;
        tr.overflow = 0;
        for (int t = 0; t < clip->nframes; t++) {
            sk_frame_init(&f, ds.joint_set);
            f.seq = (uint64_t)t;
            f.nbodies = 1;
            f.bodies[0] = clip->bodies[t];
            if ((rc = sk_recognizer_push(rec, stream, &f, on_event, &tr))) {
                fprintf(stderr, "skelact eval: %s frame %d: %s\n", clip->name, t,
                        sk_strerror(rc));
                goto done;
            }
            sk_body_state st;
            int known = sk_recognizer_body_state(rec, stream, f.bodies[0].id, &st) == 0;
            pred[t] = known ? st.label : 0;
            if (pf) {
                fprintf(pf, "%s,%d,%d,%d", clip->name, t, clip->labels[t], pred[t]);
                for (int k = 0; k < K; k++)
                    fprintf(pf, ",%.6g", known ? (double)st.probs[k] : 0.0);
                fputc('\n', pf);
            }
        }
        sk_recognizer_end_stream(rec, stream, NULL, NULL);
        if (tr.overflow) {
            fprintf(stderr, "skelact eval: %s: more events than frames\n", clip->name);
            goto done;
        }
        sk_score_result before;
        sk_score_get(score, &before);
        int *hitv = malloc((size_t)(tr.nev ? tr.nev : 1) * sizeof *hitv);
        if (!hitv)
            goto oom;
        rc = sk_score_add_take(score, clip->labels, pred, clip->nframes, tr.ev, tr.nev,
                               hitv);
        if (rc) {
            free(hitv);
            fprintf(stderr, "skelact eval: %s: scoring failed: %s\n", clip->name,
                    sk_strerror(rc));
            goto done;
        }
        for (int i = 0; evf && i < tr.nev; i++) {
            char extra[128];
            snprintf(extra, sizeof extra, ",\"take\":\"%s\",\"hit\":%d", clip->name,
                     hitv[i]);
            cli_event_json(evf, &tr.full[i], extra);
            fputc('\n', evf);
        }
        cli_eval_plots_take(&plots, h, clip->name, clip->labels, pred, clip->nframes, tr.ev,
                            tr.nev, hitv);
        free(hitv);
        if (per_take && !json) {
            sk_score_result after;
            sk_score_get(score, &after);
            long fr = after.frames - before.frames, ok = after.frames_correct - before.frames_correct;
            long mv = after.true_moves - before.true_moves, hi = after.hits - before.hits;
            printf("%-14s frames %5d  accuracy %.3f  moves %ld  hits %ld  false alarms %ld\n",
                   clip->name, clip->nframes, fr ? (double)ok / fr : 0.0, mv, hi,
                   (long)tr.nev - hi);
        }
    }
    sk_score_result res;
    sk_score_get(score, &res);
    if (json) {
        printf("{\"format\":\"precog\",\"model\":");
        cli_json_string(stdout, model);
        printf(",\"subjects\":");
        cli_json_string(stdout, subj);
        printf(",\"takes\":%d,\"frames\":%ld,\"frame_accuracy\":%.6f,\"macro_f1\":%.6f,"
               "\"macro_f1_labels\":%d,\"events\":{\"true\":%ld,\"hits\":%ld,"
               "\"misses\":%ld,\"false_alarms\":%ld,\"precision\":%.6f,\"recall\":%.6f,"
               "\"f1\":%.6f,\"mean_delay_frames\":",
               ds.nclips, res.frames, res.frame_accuracy, res.macro_f1, res.macro_labels,
               res.true_moves, res.hits, res.misses, res.false_alarms, res.precision,
               res.recall, res.f1);
        print_delay(stdout, res.mean_delay_frames);
        printf(",\"median_delay_frames\":");
        print_delay(stdout, res.median_delay_frames);
        printf("},\"decision\":{\"smooth\":%.6g,\"threshold\":%.6g,\"min_frames\":%d,"
               "\"refractory\":%d,\"rearm\":%d,\"decide_every\":%d,\"infer\":\"%s\"}}\n",
               (double)post.smooth, (double)post.threshold, post.min_frames,
               post.refractory, rearm, every,
               sk_recognizer_is_streaming(rec) ? "stream" : "window");
    } else {
        printf("frames %ld  frame accuracy %.4f  macro F1 %.4f (over %d labels)\n",
               res.frames, res.frame_accuracy, res.macro_f1, res.macro_labels);
        printf("events: true %ld  hits %ld  misses %ld  false alarms %ld\n", res.true_moves,
               res.hits, res.misses, res.false_alarms);
        printf("        precision %.4f  recall %.4f  F1 %.4f\n", res.precision, res.recall,
               res.f1);
        if (res.hits)
            printf("        delay (frames from a move's start): mean %.2f  median %.1f\n",
                   res.mean_delay_frames, res.median_delay_frames);
        else
            printf("        delay: no hits\n");
    }
    status = cli_eval_plots_write(&plots, h, model);
    goto done;
oom:
    fprintf(stderr, "skelact eval: out of memory\n");
    status = 1;
done:
    if (evf && evf != stdout)
        fclose(evf);
    if (pf && pf != stdout && fclose(pf) != 0 && status == 0) {
        fprintf(stderr, "skelact eval: error writing %s\n", pout);
        status = 1;
    }
    free(tr.ev);
    free(tr.full);
    free(pred);
    sk_score_destroy(score);
    sk_recognizer_destroy(rec);
    sk__dataset_free(&ds);
    sk_model_destroy(m);
    cli_eval_plots_free(&plots);
    return status;
}
