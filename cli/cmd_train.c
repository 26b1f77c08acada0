/* skelact train: train a gru/lstm/tcn model on recorded data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "../src/nn/training.h" /* internal: cli/ has no src/ include path */
#include "skelact/data.h"
#include "skelact/nn.h"

#ifndef SK_TRAIN_MAX_ENSEMBLE
#define SK_TRAIN_MAX_ENSEMBLE 16 /* members packed side by side in one network */
#endif

static void usage(FILE *out)
{
    fprintf(out,
        "usage: skelact train --data DIR --format precog|msr --subjects LIST\n"
        "                     [--val-subjects LIST] --arch gru|lstm|tcn|bigru|dtw --out M\n"
        "       skelact train --data DIR --format gestures [--arch dtw] --out M\n"
        "  [--hidden H] [--layers L] [--kernel K] [--window W] [--pool last|mean]\n"
        "  [--epochs N] [--batch B] [--lr X] [--weight-decay X] [--dropout X]\n"
        "  [--clip X] [--warmup N] [--seed S] [--threads N] [--patience N] [--ema D]\n"
        "  [--label-smoothing X]\n"
        "  [--ensemble N] [--skip-onset N] [--skip-after N] [--lead N] [--stride N]\n"
        "  [--null-weight X]\n"
        "  [--aug SPEC|none] [--mirror] [--mirror-map A:B,...] [--no-rotate]\n"
        "  [--retarget] [--root-motion]\n"
        "  [--frame-norm] [--smooth A] [--threshold P] [--min-frames N]\n"
        "  [--refractory N] [--velocity | --no-velocity]\n"
        "  dtw: [--window W] [--reject-quantile Q] [--temperature T]\n"
        "Defaults: gru, hidden 128, layers 2, window 32 (msr) / 30, pool last,\n"
        "epochs 60 (precog without --arch: the streaming tcn, hidden 64, layers\n"
        "4, window 31, --frame-norm, refractory 30, --ensemble 3: models/README.md\n"
        "says why),\n"
        "batch 16, lr 3e-3 (3 warmup epochs, cosine decay), weight decay 1e-2,\n"
        "dropout 0.5, clip 5, ema 0.99, patience 20, threads 2, aug\n"
        "rotate=15,scale=0.2,jitter=0.01 (+ crop=0.3,warp=0.3 for msr).\n"
        "LIST: subject numbers such as 1,3,5-7. SPEC: comma-separated key=value\n"
        "with keys rotate (degrees), scale, jitter (metres), crop, warp, mirror\n"
        "(probability), speed (continuous takes: each window read at a random\n"
        "speed in [1-x, 1+x]); keys not given keep their defaults, --aug none turns\n"
        "all off. Mirroring labelled data needs --mirror (labels are\n"
        "symmetric) or --mirror-map (pairs of labels that swap). --ema D keeps an\n"
        "exponential moving average of the weights (decay D per step, e.g. 0.99)\n"
        "and validates and writes it instead of the raw weights.\n"
        "--label-smoothing X (0..1, default 0) trains towards 1-X on the true\n"
        "class plus X/K on every class instead of 1 on the true class (training\n"
        "only: the model file is the same kind). --ensemble N trains\n"
        "N members with different seeds and writes them as one\n"
        "network of N*H units whose output averages the members' logits.\n"
        "Continuous takes (precog): --skip-onset N leaves out the windows ending\n"
        "in a move's first N frames, --skip-after N the null windows ending\n"
        "within N frames after a move, --lead N labels the null windows ending\n"
        "in the N frames before a move with that move (report it as it starts),\n"
        "--stride N keeps every N-th window, --null-weight X weighs the loss\n"
        "of null-class windows by X (the others 1)\n"
        "(training samples only; validation scores every window).\n"
        "--retarget gives every bone the joint set's typical length (its\n"
        "direction kept), so bodies of other proportions look alike.\n"
        "--root-motion adds the hip centre's motion and the change of facing\n"
        "per frame (what centring and rotating take away).\n"
        "--frame-norm measures size and rotation on each frame alone (causal:\n"
        "what a streaming tcn needs) instead of once per window. --pool mean\n"
        "feeds the head the mean of the top layer's outputs over the window\n"
        "instead of its last step (for segmented clips, msr: the whole action is\n"
        "in the window; not for streaming tcn models). --smooth,\n"
        "--threshold, --min-frames, --refractory set the decision defaults\n"
        "stored in the model (0.5, 0.6, 3, 15).\n"
        "--arch bigru: bidirectional GRU layers (H units each way; for\n"
        "segmented clips such as msr: no streaming form).\n"
        "Progress on stderr each epoch; with --val-subjects the best-validation\n"
        "model is written, without it the last one.\n"
        "--arch dtw: no training run. Every example becomes a template (a\n"
        "segmented clip whole, each labelled move of a continuous take; at most\n"
        "W frames, longer ones resampled: window 60, or 32 for msr, whose clips\n"
        "are resampled to it as eval does), matched live against the recent\n"
        "frames by dynamic time warping at 0.5x-2x its speed. Distances become\n"
        "probabilities with a temperature (--temperature overrides it) and a\n"
        "reject distance for the null class: the Q quantile (default 0.9) of\n"
        "each template's distance to the nearest of its class (other subjects\n"
        "only when there are several), at least halfway to the typical distance\n"
        "to another class. Features without velocities unless --velocity (with\n"
        "them for msr). --format gestures: DIR/GESTURE/FILE, a folder per\n"
        "gesture named as its label, each file one recorded example (skrec,\n"
        "text lines, PRECOG or MSR files), still frames before and after the\n"
        "motion trimmed; the labels are 'none' (null) and the folders' names.\n"
        "--velocity / --no-velocity switch the velocity features (default on,\n"
        "off for dtw but msr).\n");
}

/* "rotate=20,scale=0.1,..." into a. */
static int parse_aug(const char *s, sk__augment *a)
{
    if (!strcmp(s, "none")) {
        sk__augment_none(a);
        return 0;
    }
    char buf[512];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        double v;
        if (!eq)
            return -1;
        *eq = '\0';
        if (cli_parse_double(eq + 1, &v) || v < 0.0)
            return -1;
        if (!strcmp(tok, "rotate") && v <= 180.0)
            a->rotate = (float)(v * 3.14159265358979 / 180.0);
        else if (!strcmp(tok, "scale") && v < 1.0)
            a->scale = (float)v;
        else if (!strcmp(tok, "jitter") && v <= 1.0)
            a->jitter = (float)v;
        else if (!strcmp(tok, "crop") && v < 1.0)
            a->crop = (float)v;
        else if (!strcmp(tok, "warp") && v <= 0.3)
            a->warp = (float)v;
        else if (!strcmp(tok, "speed") && v <= 0.5)
            a->speed = (float)v;
        else if (!strcmp(tok, "mirror") && v <= 1.0)
            a->mirror = (float)v;
        else
            return -1;
    }
    return 0;
}

/* "1:2,3:4" (labels as numbered in the data: PRECOG 0..8, MSR 1..20) into a
 * symmetric class map. */
static int parse_mirror_map(const char *s, int format, int *map)
{
    const char *p = s;
    int base = format == SK_FORMAT_MSR ? 1 : 0;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10);
        if (end == p || *end != ':')
            return -1;
        p = end + 1;
        long b = strtol(p, &end, 10);
        if (end == p)
            return -1;
        p = end;
        a -= base;
        b -= base;
        if (a < 0 || b < 0 || a >= SK_MAX_CLASSES || b >= SK_MAX_CLASSES)
            return -1;
        map[a] = (int)b;
        map[b] = (int)a;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return 0;
}

int sk_cmd_train(int argc, char **argv)
{
    const char *data = NULL, *fmt = NULL, *subj = NULL, *vsubj = NULL,
               *arch_name = NULL, *out = NULL, *aug_spec = NULL, *mmap = NULL,
               *pool_name = "last";
    int hidden = -1, layers = -1, kernel = 3, window = -1, epochs = 60, batch = 16,
        threads = 2, patience = 20, ensemble = -1, skip_onset = 0, skip_after = 0, lead = 0,
        stride = 1, frame_norm = 0, retarget = 0, root_motion = 0, min_frames = 3, refractory = -1, warmup = 3, mirror_sym = 0, no_rotate = 0, no_velocity = -1;
    double smooth = 0.5, threshold = 0.6, lr = 3e-3, wd = 1e-2, dropout = 0.5, clip = 5.0, seed_d = 1, ema = 0.99,
           label_smoothing = 0.0, reject_q = 0.9, temperature = 0.0,
           null_weight = 1.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--mirror")) {
            mirror_sym = 1;
            continue;
        }
        if (!strcmp(a, "--frame-norm")) {
            frame_norm = 1;
            continue;
        }
        if (!strcmp(a, "--root-motion")) {
            root_motion = 1;
            continue;
        }
        if (!strcmp(a, "--retarget")) {
            retarget = 1;
            continue;
        }
        if (!strcmp(a, "--no-rotate")) {
            no_rotate = 1;
            continue;
        }
        if (!strcmp(a, "--no-velocity") || !strcmp(a, "--velocity")) {
            no_velocity = !strcmp(a, "--no-velocity");
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage_error("train", "%s needs a value (or is unknown; see --help)", a);
        const char *v = argv[++i];
        int bad = 0;
        if (!strcmp(a, "--data"))
            data = v;
        else if (!strcmp(a, "--format"))
            fmt = v;
        else if (!strcmp(a, "--subjects"))
            subj = v;
        else if (!strcmp(a, "--val-subjects"))
            vsubj = v;
        else if (!strcmp(a, "--arch"))
            arch_name = v;
        else if (!strcmp(a, "--out"))
            out = v;
        else if (!strcmp(a, "--aug"))
            aug_spec = v;
        else if (!strcmp(a, "--pool"))
            bad = sk_pool_from_name(pool_name = v) < 0;
        else if (!strcmp(a, "--mirror-map"))
            mmap = v;
        else if (!strcmp(a, "--hidden"))
            bad = cli_parse_int(v, &hidden) || hidden < 1 || hidden > 4096;
        else if (!strcmp(a, "--layers"))
            bad = cli_parse_int(v, &layers) || layers < 1 || layers > 16;
        else if (!strcmp(a, "--kernel"))
            bad = cli_parse_int(v, &kernel) || kernel < 1 || kernel > 16;
        else if (!strcmp(a, "--window"))
            bad = cli_parse_int(v, &window) || window < 2 || window > 1000;
        else if (!strcmp(a, "--epochs"))
            bad = cli_parse_int(v, &epochs) || epochs < 1 || epochs > 100000;
        else if (!strcmp(a, "--batch"))
            bad = cli_parse_int(v, &batch) || batch < 1 || batch > 4096;
        else if (!strcmp(a, "--threads"))
            bad = cli_parse_int(v, &threads) || threads < 1 || threads > 8;
        else if (!strcmp(a, "--patience"))
            bad = cli_parse_int(v, &patience) || patience < 0;
        else if (!strcmp(a, "--skip-onset"))
            bad = cli_parse_int(v, &skip_onset) || skip_onset < 0 || skip_onset > 1000;
        else if (!strcmp(a, "--skip-after"))
            bad = cli_parse_int(v, &skip_after) || skip_after < 0 || skip_after > 1000;
        else if (!strcmp(a, "--lead"))
            bad = cli_parse_int(v, &lead) || lead < 0 || lead > 1000;
        else if (!strcmp(a, "--stride"))
            bad = cli_parse_int(v, &stride) || stride < 1 || stride > 1000;
        else if (!strcmp(a, "--smooth"))
            bad = cli_parse_double(v, &smooth) || !(smooth >= 0.0 && smooth < 1.0);
        else if (!strcmp(a, "--threshold"))
            bad = cli_parse_double(v, &threshold) || !(threshold >= 0.0 && threshold <= 1.0);
        else if (!strcmp(a, "--min-frames"))
            bad = cli_parse_int(v, &min_frames) || min_frames < 1 || min_frames > 1000;
        else if (!strcmp(a, "--refractory"))
            bad = cli_parse_int(v, &refractory) || refractory < 0 || refractory > 100000;
        else if (!strcmp(a, "--warmup"))
            bad = cli_parse_int(v, &warmup) || warmup < 0;
        else if (!strcmp(a, "--lr"))
            bad = cli_parse_double(v, &lr) || !(lr > 0.0 && lr < 10.0);
        else if (!strcmp(a, "--weight-decay"))
            bad = cli_parse_double(v, &wd) || !(wd >= 0.0 && wd < 10.0);
        else if (!strcmp(a, "--dropout"))
            bad = cli_parse_double(v, &dropout) || !(dropout >= 0.0 && dropout < 1.0);
        else if (!strcmp(a, "--ensemble"))
            bad = cli_parse_int(v, &ensemble) || ensemble < 1 ||
                  ensemble > SK_TRAIN_MAX_ENSEMBLE;
        else if (!strcmp(a, "--label-smoothing"))
            bad = cli_parse_double(v, &label_smoothing) ||
                  !(label_smoothing >= 0.0 && label_smoothing < 1.0);
        else if (!strcmp(a, "--null-weight"))
            bad = cli_parse_double(v, &null_weight) || !(null_weight > 0.0 && null_weight <= 100.0);
        else if (!strcmp(a, "--temperature"))
            bad = cli_parse_double(v, &temperature) || !(temperature > 0.0 && temperature < 1e6);
        else if (!strcmp(a, "--reject-quantile"))
            bad = cli_parse_double(v, &reject_q) || !(reject_q >= 0.0 && reject_q <= 1.0);
        else if (!strcmp(a, "--ema"))
            bad = cli_parse_double(v, &ema) || !(ema >= 0.0 && ema < 1.0);
        else if (!strcmp(a, "--clip"))
            bad = cli_parse_double(v, &clip) || !(clip >= 0.0);
        else if (!strcmp(a, "--seed"))
            bad = cli_parse_double(v, &seed_d) || seed_d < 0 || seed_d != floor(seed_d);
        else
            return cli_usage_error("train", "unknown option %s (see --help)", a);
        if (bad)
            return cli_usage_error("train", "bad value for %s: '%s'", a, v);
    }
    int gestures = fmt && !strcmp(fmt, "gestures");
    if (!data || !fmt || (!subj && !gestures) || !out)
        return cli_usage_error("train", "--data, --format, --subjects and --out are required");
    int format = gestures ? SK__DATASET_GESTURES : sk_format_from_name(fmt);
    if (format != SK_FORMAT_PRECOG && format != SK_FORMAT_MSR && !gestures)
        return cli_usage_error("train", "--format must be precog, msr or gestures, not '%s'",
                               fmt);
    if (gestures && !arch_name)
        arch_name = "dtw";
    if (gestures && strcmp(arch_name, "dtw"))
        return cli_usage_error("train", "--format gestures needs --arch dtw (the few "
                               "examples of a gesture are its templates)");
    /* PRECOG's live task: the streaming tcn won (models/README.md). */
    int stream_default = !arch_name && format == SK_FORMAT_PRECOG;
    if (!arch_name)
        arch_name = stream_default ? "tcn" : "gru";
    if (hidden < 0)
        hidden = stream_default ? 64 : 128;
    if (layers < 0)
        layers = stream_default ? 4 : 2;
    if (window < 0 && stream_default)
        window = 31; /* the receptive field of 4 layers of kernel 3 */
    if (stream_default)
        frame_norm = 1;
    if (ensemble < 0)
        ensemble = stream_default ? 3 : 1;
    if (refractory < 0)
        refractory = stream_default ? 30 : 15;
    int arch = sk_arch_from_name(arch_name);
    if (arch < 0)
        return cli_usage_error("train", "--arch must be gru, lstm, tcn, bigru or dtw, not '%s'",
                               arch_name);
    if (arch == SK_ARCH_DTW) { /* matched frame by frame: per-frame features */
        if (ensemble > 1 || strcmp(pool_name, "last"))
            return cli_usage_error("train", "--arch dtw takes no --ensemble or --pool");
        frame_norm = 1;
        ensemble = 1;
        if (window < 0)
            window = format == SK_FORMAT_MSR ? 32 : 60;
    }
    if (arch == SK_ARCH_BIGRU && frame_norm)
        return cli_usage_error("train", "--arch bigru has no streaming form: no --frame-norm");
    unsigned char subjects[SK_MAX_SUBJECTS], vsubjects[SK_MAX_SUBJECTS];
    if (gestures && vsubj)
        return cli_usage_error("train", "--format gestures has no subjects to validate on");
    if (!subj)
        memset(subjects, 1, sizeof subjects);
    if (subj && cli_parse_int_list(subj, subjects, SK_MAX_SUBJECTS) < 1)
        return cli_usage_error("train", "bad --subjects list '%s'", subj);
    if (vsubj && cli_parse_int_list(vsubj, vsubjects, SK_MAX_SUBJECTS) < 1)
        return cli_usage_error("train", "bad --val-subjects list '%s'", vsubj);
    int pool = sk_pool_from_name(pool_name);
    if (pool != SK_POOL_LAST && frame_norm)
        return cli_usage_error("train", "--pool %s and --frame-norm: a streaming model's head reads the last step",
                               pool_name);
    if (window < 0)
        window = format == SK_FORMAT_MSR ? 32 : 30;

    sk__train_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.epochs = epochs;
    cfg.batch = batch;
    cfg.lr = (float)lr;
    cfg.weight_decay = (float)wd;
    cfg.dropout = (float)dropout;
    cfg.clip_norm = (float)clip;
    cfg.warmup = warmup < epochs ? warmup : 0;
    cfg.threads = threads;
    cfg.patience = patience;
    cfg.ema = (float)ema;
    cfg.label_smoothing = (float)label_smoothing;
    cfg.seed = (unsigned long long)seed_d;
    cfg.progress = stderr;
    cfg.skip_onset = skip_onset;
    cfg.skip_after = skip_after;
    cfg.lead = lead;
    cfg.stride = stride;
    cfg.null_weight = (float)null_weight;
    sk__augment_none(&cfg.aug);
    /* Defaults: rotation, anisotropic scale, jitter; for clips crop + warp. */
    cfg.aug.rotate = (float)(15.0 * 3.14159265358979 / 180.0);
    cfg.aug.scale = 0.2f;
    cfg.aug.jitter = 0.01f;
    if (format == SK_FORMAT_MSR) {
        cfg.aug.crop = 0.3f;
        cfg.aug.warp = 0.3f;
    }
    if (aug_spec && parse_aug(aug_spec, &cfg.aug))
        return cli_usage_error("train", "bad --aug '%s' (see --help)", aug_spec);
    if (mmap && parse_mirror_map(mmap, format, cfg.aug.mirror_map))
        return cli_usage_error("train", "bad --mirror-map '%s' (pairs A:B)", mmap);
    if ((mmap || mirror_sym) && cfg.aug.mirror == 0.0f)
        cfg.aug.mirror = 0.5f;
    if (cfg.aug.mirror > 0.0f && !mmap && !mirror_sym)
        return cli_usage_error("train", "mirroring labelled data needs --mirror or --mirror-map");

    char err[512] = "";
    sk__dataset train, val;
    memset(&train, 0, sizeof train);
    memset(&val, 0, sizeof val);
    sk_model *m = NULL, *members[SK_TRAIN_MAX_ENSEMBLE] = {NULL};
    int status = 1, rc;
    if ((rc = sk__dataset_load(&train, data, format, subjects, err, sizeof err))) {
        status = cli_usage_error("train", "%s", err);
        goto done;
    }
    if (vsubj && (rc = sk__dataset_load(&val, data, format, vsubjects, err, sizeof err))) {
        status = cli_usage_error("train", "validation: %s", err);
        goto done;
    }

    sk_model_header h;
    memset(&h, 0, sizeof h);
    sk_feature_config_default(&h.features, train.joint_set);
    h.features.fps = (float)(train.fps > 0 ? train.fps : 30.0);
    if (no_rotate)
        h.features.rotate = 0;
    if (no_velocity < 0) /* dtw on live moves: positions match better */
        no_velocity = arch == SK_ARCH_DTW && format != SK_FORMAT_MSR;
    if (no_velocity)
        h.features.velocity = 0;
    h.features.frame_norm = frame_norm;
    h.features.retarget = retarget;
    h.features.root_motion = root_motion;
    h.arch.arch = arch;
    h.arch.input = sk_features_dim(&h.features);
    h.arch.hidden = hidden;
    h.arch.layers = layers;
    h.arch.classes = train.nlabels;
    h.arch.window = window;
    h.arch.kernel = arch == SK_ARCH_TCN ? kernel : 0;
    h.arch.pool = pool;
    h.post.smooth = (float)smooth;
    h.post.threshold = (float)threshold;
    h.post.min_frames = min_frames;
    h.post.refractory = refractory;
    h.nlabels = train.nlabels;
    memcpy(h.labels, train.labels, sizeof h.labels);
    if (arch == SK_ARCH_DTW)
        fprintf(stderr, "train: %d %s files (subjects %s)%s%s, arch dtw, window %d\n",
                train.nclips, fmt, subj ? subj : "all", vsubj ? ", validation subjects " : "",
                vsubj ? vsubj : "", window);
    else
        fprintf(stderr,
                "train: %d %s files (subjects %s)%s%s, arch %s hidden %d layers %d "
                "window %d, pool %s, %d threads%s\n",
                train.nclips, fmt, subj, vsubj ? ", validation subjects " : "",
                vsubj ? vsubj : "", arch_name, hidden, layers, window, pool_name, threads,
                ensemble > 1 ? ", ensemble" : "");
    if (arch == SK_ARCH_DTW) { /* templates, no training run */
        int resample = format == SK_FORMAT_MSR; /* as eval resamples each clip */
        if ((rc = sk__dtw_build(&m, &h, &train, resample, gestures, (float)reject_q, stderr,
                                err, sizeof err))) {
            fprintf(stderr, "skelact train: dtw: %s\n", err);
            goto done;
        }
        if (temperature > 0) /* the user's, not the fitted one */
            sk_model_params(m)[sk_model_nparams(m) - 2] = (float)temperature;
        ensemble = 0;
    }
    for (int e = 0; e < ensemble; e++) {
        sk__train_result res;
        sk__train_config c = cfg;
        c.seed = cfg.seed + 1000003ull * (unsigned long long)e;
        if ((rc = sk_model_create(&members[e], &h, c.seed))) {
            status = cli_usage_error("train", "invalid model settings: %s", sk_strerror(rc));
            goto done;
        }
        if (ensemble > 1)
            fprintf(stderr, "train: member %d of %d (seed %llu)\n", e + 1, ensemble, c.seed);
        rc = sk__train_run(members[e], &train, vsubj ? &val : NULL, &c, &res);
        if (rc) {
            fprintf(stderr, "skelact train: training failed: %s\n", sk_strerror(rc));
            goto done;
        }
        if (vsubj)
            fprintf(stderr, "train: kept epoch %d of %d, validation accuracy %.4f\n",
                    res.best_epoch, res.epochs_run, res.best_val_acc);
        else
            fprintf(stderr, "train: after %d epochs, train accuracy %.4f\n",
                    res.epochs_run, res.last_train_acc);
    }
    if (ensemble == 0) { /* dtw: made above */
    } else if (ensemble == 1) {
        m = members[0];
        members[0] = NULL;
    } else { /* one network of ensemble*hidden units: block-diagonal members */
        h.arch.hidden = hidden * ensemble;
        if ((rc = sk_model_create(&m, &h, cfg.seed)) ||
            (rc = sk__ensemble_pack(m, members, ensemble))) {
            fprintf(stderr, "skelact train: ensemble of %d: %s\n", ensemble, sk_strerror(rc));
            goto done;
        }
    }
    if (vsubj && (ensemble > 1 || (arch == SK_ARCH_DTW && format == SK_FORMAT_MSR))) {
        int *pred = NULL, *truth = NULL, n = 0, ok = 0;
        if ((rc = sk__classify_dataset(m, &val, &pred, &truth, &n)) == 0) {
            for (int i = 0; i < n; i++)
                ok += pred[i] == truth[i];
            fprintf(stderr, "train: %s validation accuracy %.4f (%d of %d)\n",
                    arch == SK_ARCH_DTW ? "dtw" : "ensemble",
                    n ? (double)ok / n : 0.0, ok, n);
        }
        free(pred);
        free(truth);
    }
    if ((rc = sk_model_save(m, out, err, sizeof err))) {
        fprintf(stderr, "skelact train: %s\n", err);
        goto done;
    }
    fprintf(stderr, "train: wrote %s (%zu parameters)\n", out, sk_model_nparams(m));
    status = 0;
done:
    sk_model_destroy(m);
    for (int e = 0; e < ensemble; e++)
        sk_model_destroy(members[e]);
    sk__dataset_free(&train);
    sk__dataset_free(&val);
    return status;
}
