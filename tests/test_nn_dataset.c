/* Training data: windows and labels of a synthetic take, clip resampling,
 * augmentation determinism, MSR subject selection, and a short
 * `skelact train` + `skelact eval` run on real MSR Action3D clips. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "nn/training.h"
#include "skelact/data.h"
#include "skelact/nn.h"

/* A body whose every joint sits at (t, 2t, 3) plus a per-joint offset. */
static void body_at(sk_body *b, float t)
{
    memset(b, 0, sizeof *b);
    for (int j = 0; j < 20; j++) {
        b->joints[j].x = t + 0.01f * (float)j;
        b->joints[j].y = 2.0f * t + 0.05f * (float)j;
        b->joints[j].z = 3.0f;
    }
}

/* One continuous take of n frames with labels 0 / 1 / 2 in thirds, and one
 * clip of 7 frames of class 4. */
static void make_dataset(sk__dataset *ds, int n)
{
    memset(ds, 0, sizeof *ds);
    ds->format = SK_FORMAT_PRECOG;
    ds->joint_set = SK_JOINTSET_KINECT1;
    ds->fps = 30.0;
    ds->nlabels = 5;
    ds->nclips = 2;
    ds->clips = calloc(2, sizeof *ds->clips);
    sk__clip *c = &ds->clips[0];
    c->subject = 1;
    c->label = -1;
    c->nframes = n;
    c->bodies = calloc((size_t)n, sizeof *c->bodies);
    c->labels = calloc((size_t)n, sizeof *c->labels);
    for (int t = 0; t < n; t++) {
        body_at(&c->bodies[t], (float)t);
        c->labels[t] = 3 * t / n;
    }
    c = &ds->clips[1];
    c->subject = 2;
    c->label = 4;
    c->nframes = 7;
    c->bodies = calloc(7, sizeof *c->bodies);
    for (int t = 0; t < 7; t++)
        body_at(&c->bodies[t], (float)t);
}

static void test_windows(void)
{
    sk__dataset ds;
    make_dataset(&ds, 50);
    sk__sample *s;
    int n;
    CHECK_EQ_INT(sk__dataset_samples(&ds, 30, &s, &n), 0);
    CHECK_EQ_INT(n, 21 + 1); /* windows ending at 29..49, plus the clip */
    int ok = 1;
    for (int i = 0; i < 21; i++)
        ok &= s[i].clip == 0 && s[i].end == 29 + i &&
              s[i].label == ds.clips[0].labels[29 + i];
    CHECK(ok);
    CHECK_EQ_INT(s[21].clip, 1);
    CHECK_EQ_INT(s[21].end, -1);
    CHECK_EQ_INT(s[21].label, 4);
    CHECK_EQ_INT(s[0].label, 1);  /* frame 29 of 50: second third */
    CHECK_EQ_INT(s[20].label, 2); /* frame 49 */

    /* A window holds the W frames ending at its frame, oldest first. */
    sk_body w[30];
    CHECK_EQ_INT(sk__sample_bodies(&ds, &s[5], 30, NULL, NULL, w), s[5].label);
    CHECK(w[0].joints[0].x == 5.0f && w[29].joints[0].x == 34.0f);
    free(s);

    /* A take shorter than the window yields no window. */
    CHECK_EQ_INT(sk__dataset_samples(&ds, 60, &s, &n), 0);
    CHECK_EQ_INT(n, 1);
    free(s);
    CHECK(sk__dataset_samples(&ds, 0, &s, &n) < 0);
    sk__dataset_free(&ds);
    CHECK_EQ_INT(ds.nclips, 0);
}

/* Speed augmentation of a take's window: the last frame is the window's
 * own, the others evenly spaced at a random speed in [1-x, 1+x]
 * (interpolated); times before the take repeat its first frame. */
static void test_speed(void)
{
    sk__dataset ds;
    make_dataset(&ds, 60);
    sk__augment a;
    sk__augment_none(&a);
    a.speed = 0.3f;
    sk_rng r;
    sk_rng_seed(&r, 9);
    sk_body w[30];
    float lo = 2.0f, hi = 0.0f;
    int ok = 1;
    for (int k = 0; k < 50; k++) {
        sk__sample s = {.clip = 0, .end = 45, .label = ds.clips[0].labels[45]};
        CHECK_EQ_INT(sk__sample_bodies(&ds, &s, 30, &a, &r, w), s.label);
        float f = w[29].joints[0].x - w[28].joints[0].x;
        ok &= w[29].joints[0].x == 45.0f;
        for (int i = 1; i < 30; i++) /* body x = time: constant steps of f */
            ok &= fabsf(w[i].joints[0].x - w[i - 1].joints[0].x - f) < 1e-3f &&
                  fabsf(w[i].joints[3].y - w[i].joints[0].y - 0.15f) < 1e-4f;
        lo = fminf(lo, f);
        hi = fmaxf(hi, f);
    }
    CHECK(ok);
    CHECK_MSG(lo >= 0.7f - 1e-4f && hi <= 1.3f + 1e-4f && hi - lo > 0.3f,
              "speeds %g..%g", lo, hi);
    /* Early in the take: the times before frame 0 repeat it. */
    sk__sample e = {.clip = 0, .end = 10, .label = 0};
    sk__sample_bodies(&ds, &e, 30, &a, &r, w);
    CHECK(w[0].joints[0].x == 0.0f && w[29].joints[0].x == 10.0f);
    sk__dataset_free(&ds);
}

static void test_resample(void)
{
    sk_body src[7], dst[30];
    for (int t = 0; t < 7; t++)
        body_at(&src[t], (float)t);
    sk__clip_resample(src, 7, 0.0f, 6.0f, 20, 0.0f, NULL, dst, 30);
    float maxerr = 0.0f;
    for (int i = 0; i < 30; i++) {
        float want = 6.0f * (float)i / 29.0f; /* linear in time */
        maxerr = fmaxf(maxerr, fabsf(dst[i].joints[3].x - (want + 0.03f)));
        maxerr = fmaxf(maxerr, fabsf(dst[i].joints[3].y - (2.0f * want + 0.15f)));
    }
    CHECK_MSG(maxerr < 1e-5f, "resample error %g", maxerr);
    /* A crop of [2, 4] spans just that part. */
    sk__clip_resample(src, 7, 2.0f, 4.0f, 20, 0.0f, NULL, dst, 30);
    CHECK(fabsf(dst[0].joints[0].x - 2.0f) < 1e-6f);
    CHECK(fabsf(dst[29].joints[0].x - 4.0f) < 1e-6f);
    /* A warped time axis keeps its ends and stays monotone. */
    sk_rng r;
    sk_rng_seed(&r, 7);
    int mono = 1;
    for (int rep = 0; rep < 20; rep++) {
        sk__clip_resample(src, 7, 0.0f, 6.0f, 20, 0.3f, &r, dst, 30);
        for (int i = 1; i < 30; i++)
            mono &= dst[i].joints[0].x >= dst[i - 1].joints[0].x;
        mono &= fabsf(dst[0].joints[0].x) < 1e-6f && fabsf(dst[29].joints[0].x - 6.0f) < 1e-5f;
    }
    CHECK(mono);
    /* A one-frame clip repeats that frame. */
    sk__clip_resample(src, 1, 0.0f, 0.0f, 20, 0.0f, NULL, dst, 30);
    CHECK(dst[29].joints[0].x == 0.0f && dst[0].joints[19].y == src[0].joints[19].y);
}

/* Field by field: padding bytes of sk_joint are not compared. */
static int bodies_equal(const sk_body *a, const sk_body *b, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 20; j++) {
            const sk_joint *p = &a[i].joints[j], *q = &b[i].joints[j];
            if (p->x != q->x || p->y != q->y || p->z != q->z)
                return 0;
        }
    return 1;
}

static void test_augment(void)
{
    sk__dataset ds;
    make_dataset(&ds, 40);
    sk__sample s = {.clip = 1, .end = -1, .label = 4};
    sk__augment a;
    sk__augment_none(&a);
    a.rotate = 0.5f;
    a.scale = 0.2f;
    a.jitter = 0.01f;
    a.crop = 0.3f;
    a.warp = 0.2f;
    a.mirror = 1.0f; /* always */
    a.mirror_map[4] = 3;
    sk_body x[30], y[30], plain[30];
    sk_rng r1, r2;
    sk_rng_seed(&r1, 99);
    sk_rng_seed(&r2, 99);
    CHECK_EQ_INT(sk__sample_bodies(&ds, &s, 30, &a, &r1, x), 3); /* label mirrored */
    CHECK_EQ_INT(sk__sample_bodies(&ds, &s, 30, &a, &r2, y), 3);
    CHECK(bodies_equal(x, y, 30)); /* same seed, same sample */
    CHECK_EQ_INT(sk__sample_bodies(&ds, &s, 30, NULL, NULL, plain), 4);
    CHECK(!bodies_equal(x, plain, 30));
    sk_rng_seed(&r2, 100);
    sk__sample_bodies(&ds, &s, 30, &a, &r2, y);
    CHECK(!bodies_equal(x, y, 30)); /* another seed, another sample */
    sk__dataset_free(&ds);
}

/* Test-time views: the whole clip, then crops at evenly spaced starts. */
static void test_views(void)
{
    sk__dataset ds;
    make_dataset(&ds, 40);
    sk__sample s = {.clip = 1, .end = -1, .label = 4}; /* 7 frames, x = t */
    sk_body v[30], plain[30];
    CHECK_EQ_INT(sk__sample_bodies(&ds, &s, 30, NULL, NULL, plain), 4);
    CHECK_EQ_INT(sk__sample_view(&ds, &s, 30, 0, 3, 0.5f, v), 4);
    CHECK(bodies_equal(v, plain, 30));
    CHECK_EQ_INT(sk__sample_view(&ds, &s, 30, 1, 3, 0.5f, v), 4); /* [0, 3] */
    CHECK(fabsf(v[0].joints[0].x) < 1e-6f && fabsf(v[29].joints[0].x - 3.0f) < 1e-5f);
    sk__sample_view(&ds, &s, 30, 2, 3, 0.5f, v); /* [3, 6] */
    CHECK(fabsf(v[0].joints[0].x - 3.0f) < 1e-5f && fabsf(v[29].joints[0].x - 6.0f) < 1e-5f);
    sk__sample_view(&ds, &s, 30, 1, 2, 0.5f, v); /* one crop: centred, [1.5, 4.5] */
    CHECK(fabsf(v[0].joints[0].x - 1.5f) < 1e-5f && fabsf(v[29].joints[0].x - 4.5f) < 1e-5f);
    sk__sample_view(&ds, &s, 30, 2, 3, 0.0f, v); /* no crop: the whole clip */
    CHECK(bodies_equal(v, plain, 30));
    /* A window of a take has one view: itself. */
    sk__sample w = {.clip = 0, .end = 35, .label = ds.clips[0].labels[35]};
    CHECK_EQ_INT(sk__sample_bodies(&ds, &w, 30, NULL, NULL, plain), w.label);
    CHECK_EQ_INT(sk__sample_view(&ds, &w, 30, 2, 3, 0.5f, v), w.label);
    CHECK(bodies_equal(v, plain, 30));

    /* Classification by views: one view is the plain classification; more
     * views decide by the summed log-probabilities. */
    sk_model_header h;
    memset(&h, 0, sizeof h);
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.arch = (sk_model_config){.arch = SK_ARCH_GRU, .input = 120, .hidden = 8,
                               .layers = 1, .classes = 5, .window = 6};
    h.nlabels = 5;
    for (int k = 0; k < 5; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "c%d", k);
    h.post = (sk_postproc_config){0.5f, 0.6f, 3, 15};
    sk_model *m = NULL;
    CHECK_EQ_INT(sk_model_create(&m, &h, 3), 0);
    if (!m)
        goto done;
    int *p1 = NULL, *t1 = NULL, *p3 = NULL, *t3 = NULL, *q = NULL, *tq = NULL, n1 = 0,
        n3 = 0, nq = 0;
    CHECK_EQ_INT(sk__classify_dataset(m, &ds, &p1, &t1, &n1), 0);
    CHECK_EQ_INT(sk__classify_dataset_views(m, &ds, 1, 0.15f, &q, &tq, &nq), 0);
    CHECK(n1 == nq && n1 > 1 && !memcmp(p1, q, (size_t)n1 * sizeof *q));
    free(q);
    free(tq);
    CHECK_EQ_INT(sk__classify_dataset_views(m, &ds, 3, 0.4f, &p3, &t3, &n3), 0);
    CHECK_EQ_INT(sk__classify_dataset_views(m, &ds, 3, 0.4f, &q, &tq, &nq), 0);
    CHECK(n3 == n1 && nq == n3 && !memcmp(p3, q, (size_t)n3 * sizeof *q)); /* deterministic */
    free(q);
    free(tq);
    /* Windows of the take: unchanged; the clip: argmax of the summed logs. */
    CHECK(!memcmp(p3, p1, (size_t)(n1 - 1) * sizeof *p1));
    double sum[5] = {0};
    float x[6 * 120], pr[5];
    sk_body b[6];
    const sk_body *ptr[6];
    for (int vi = 0; vi < 3; vi++) {
        sk__sample_view(&ds, &s, 6, vi, 3, 0.4f, b);
        for (int t = 0; t < 6; t++)
            ptr[t] = &b[t];
        CHECK_EQ_INT(sk_features_window(&h.features, ptr, 6, x), 0);
        CHECK_EQ_INT(sk_model_infer(m, x, pr), 0);
        for (int k = 0; k < 5; k++)
            sum[k] += log(pr[k]);
    }
    int best = 0;
    for (int k = 1; k < 5; k++)
        if (sum[k] > sum[best])
            best = k;
    CHECK_EQ_INT(p3[n3 - 1], best);
    CHECK_EQ_INT(t3[n3 - 1], 4);
    CHECK(sk__classify_dataset_views(m, &ds, 0, 0.1f, &q, &tq, &nq) < 0);
    free(q);
    free(tq);
    CHECK(sk__classify_dataset_views(m, &ds, 3, 1.0f, &q, &tq, &nq) < 0);
    free(q);
    free(tq);
    free(p1);
    free(t1);
    free(p3);
    free(t3);
done:
    sk_model_destroy(m);
    sk__dataset_free(&ds);
}

/* A packed ensemble computes softmax(mean of the members' logits). */
static void check_ensemble(int arch, int pool)
{
    sk_model_header h;
    memset(&h, 0, sizeof h);
    sk_feature_config_default(&h.features, SK_JOINTSET_KINECT1);
    h.arch = (sk_model_config){.arch = arch, .input = 120, .hidden = 8,
                               .layers = arch == SK_ARCH_TCN ? 3 : 2, .classes = 5,
                               .window = 6, .kernel = arch == SK_ARCH_TCN ? 3 : 0,
                               .pool = pool};
    h.nlabels = 5;
    for (int k = 0; k < 5; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "c%d", k);
    h.post = (sk_postproc_config){0.5f, 0.6f, 3, 15};
    sk_model *mem[3] = {NULL, NULL, NULL}, *big = NULL;
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(sk_model_create(&mem[i], &h, 11 + (uint64_t)i), 0);
    h.arch.hidden = 24;
    CHECK_EQ_INT(sk_model_create(&big, &h, 1), 0);
    if (!mem[0] || !mem[1] || !mem[2] || !big)
        goto done;
    CHECK_EQ_INT(sk__ensemble_pack(big, mem, 3), 0);
    CHECK(sk__ensemble_pack(big, mem, 2) < 0); /* wrong size */
    /* The members' parameters differ from the initialisation's scale, so a
     * misplaced block shows. */
    for (int i = 0; i < 3; i++) {
        float *P = sk_model_params(mem[i]);
        for (size_t j = 0; j < sk_model_nparams(mem[i]); j++)
            P[j] *= 2.5f;
        sk_model_infer_sync(mem[i]);
    }
    CHECK_EQ_INT(sk__ensemble_pack(big, mem, 3), 0);
    sk_model_infer_sync(big);
    float x[6 * 120], p[3][5], q[5], want[5];
    sk_rng r;
    sk_rng_seed(&r, 5);
    for (int i = 0; i < 6 * 120; i++)
        x[i] = sk_rng_uniform(&r, -1.5f, 1.5f);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(sk_model_infer(mem[i], x, p[i]), 0);
    CHECK_EQ_INT(sk_model_infer(big, x, q), 0);
    double z = 0.0, lg[5];
    for (int k = 0; k < 5; k++) {
        lg[k] = (log(p[0][k]) + log(p[1][k]) + log(p[2][k])) / 3.0;
        z += exp(lg[k]);
    }
    float err = 0.0f, spread = 0.0f;
    for (int k = 0; k < 5; k++) {
        want[k] = (float)(exp(lg[k]) / z);
        err = fmaxf(err, fabsf(q[k] - want[k]));
        spread = fmaxf(spread, fabsf(p[0][k] - p[1][k]));
    }
    CHECK_MSG(err < 1e-4f, "%s %s ensemble differs by %g", sk_arch_name(arch),
              sk_pool_name(pool), err);
    CHECK(spread > 1e-3f); /* the members really differ */
done:
    for (int i = 0; i < 3; i++)
        sk_model_destroy(mem[i]);
    sk_model_destroy(big);
}

static void test_ensemble(void)
{
    check_ensemble(SK_ARCH_GRU, SK_POOL_LAST);
    check_ensemble(SK_ARCH_LSTM, SK_POOL_LAST);
    check_ensemble(SK_ARCH_TCN, SK_POOL_LAST);
    check_ensemble(SK_ARCH_GRU, SK_POOL_MEAN);
    check_ensemble(SK_ARCH_BIGRU, SK_POOL_LAST);
    check_ensemble(SK_ARCH_BIGRU, SK_POOL_MEAN);
}

static int run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_msr(const char *data)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/msr_action3d", data);
    unsigned char subj[SK_MAX_SUBJECTS] = {0};
    subj[2] = 1;
    subj[4] = 1;
    sk__dataset ds;
    char err[512];
    CHECK_EQ_INT(sk__dataset_load(&ds, dir, SK_FORMAT_MSR, subj, err, sizeof err), 0);
    /* The list's entries for subjects 2 and 4. */
    char path[4200];
    snprintf(path, sizeof path, "%s/files_used_in_cvpr12_paper.txt", dir);
    FILE *fp = fopen(path, "r");
    int want = 0;
    char line[128];
    while (fp && fgets(line, sizeof line, fp))
        want += strstr(line, "_s02_") || strstr(line, "_s04_");
    if (fp)
        fclose(fp);
    CHECK(want > 40);
    CHECK_EQ_INT(ds.nclips, want);
    CHECK_EQ_INT(ds.nlabels, 20);
    CHECK(strcmp(ds.labels[0], "high arm wave") == 0);
    CHECK_EQ_INT(ds.joint_set, SK_JOINTSET_KINECT1);
    int ok = 1, seen[20] = {0};
    for (int i = 0; i < ds.nclips; i++) {
        const sk__clip *c = &ds.clips[i];
        ok &= (c->subject == 2 || c->subject == 4) && c->label >= 0 &&
              c->label < 20 && c->nframes > 1;
        seen[c->label] = 1;
    }
    CHECK(ok);
    int nseen = 0;
    for (int k = 0; k < 20; k++)
        nseen += seen[k];
    CHECK_EQ_INT(nseen, 20);
    sk__dataset_free(&ds);
    memset(subj, 0, sizeof subj);
    subj[42] = 1;
    CHECK_EQ_INT(sk__dataset_load(&ds, dir, SK_FORMAT_MSR, subj, err, sizeof err),
                 SK_ENOTFOUND);
    CHECK_EQ_INT(sk__dataset_load(&ds, "/nonexistent", SK_FORMAT_MSR, subj, err, sizeof err),
                 SK_EIO);

    /* skelact train + eval: a tiny model, 2 epochs, read back by eval. */
    const char *bin = getenv("SK_BIN");
    if (!bin) {
        printf("SK_BIN not set: skipping the train/eval run\n");
        return;
    }
    const char *bd = getenv("SK_BUILD_DIR");
    char model[4096], cmd[16384], json[4200];
    snprintf(model, sizeof model, "%s/test_nn_dataset.model", bd ? bd : "/tmp");
    snprintf(json, sizeof json, "%s.json", model);
    remove(model);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 --val-subjects 2 "
             "--arch gru --hidden 16 --epochs 2 --out '%s' 2>/dev/null",
             bin, dir, model);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --data '%s' --format msr --subjects 2 --json > '%s'",
             bin, model, dir, json);
    CHECK_EQ_INT(run(cmd), 0);
    fp = fopen(json, "r");
    char buf[8192] = "";
    size_t got = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    buf[got] = '\0';
    if (fp)
        fclose(fp);
    const char *c = strstr(buf, "\"clips\":");
    const char *a = strstr(buf, "\"accuracy\":");
    int plain_clips = -1;
    CHECK(c && a && strstr(buf, "\"confusion\":[["));
    if (c && a) {
        int clips = atoi(c + 8);
        double acc = atof(a + 11);
        int subj2 = 0;
        fp = fopen(path, "r");
        while (fp && fgets(line, sizeof line, fp))
            subj2 += strstr(line, "_s02_") != NULL;
        if (fp)
            fclose(fp);
        CHECK_EQ_INT(clips, subj2);
        plain_clips = clips;
        CHECK(acc >= 0.0 && acc <= 1.0);
    }
    /* --tta 3: every clip still counted once. */
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --data '%s' --format msr --subjects 2 --json "
             "--tta 3 --tta-crop 0.2 > '%s'", bin, model, dir, json);
    CHECK_EQ_INT(run(cmd), 0);
    fp = fopen(json, "r");
    got = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    buf[got] = '\0';
    if (fp)
        fclose(fp);
    c = strstr(buf, "\"clips\":");
    CHECK(c && atoi(c + 8) == plain_clips);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --data '%s' --format msr --subjects 2 --tta 0 "
             "2>/dev/null", bin, model, dir);
    CHECK_EQ_INT(run(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --data '%s' --format msr --subjects 2 "
             "--tta-crop 1 2>/dev/null", bin, model, dir);
    CHECK_EQ_INT(run(cmd), 2);
    /* --pool mean: a pooled ensemble, evaluated and described by info. */
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 --arch gru "
             "--hidden 8 --epochs 1 --ensemble 2 --pool mean --out '%s' 2>/dev/null",
             bin, dir, model);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' info --json '%s' | grep -q '\"pool\":\"mean\"'", bin, model);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --data '%s' --format msr --subjects 2 --json "
             "| grep -q '\"clips\":%d'", bin, model, dir, plain_clips);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 --pool max "
             "--out '%s' 2>/dev/null", bin, dir, model);
    CHECK_EQ_INT(run(cmd), 2);
    /* Several --model: an ensemble of a gru and a pooled gru ensemble of
     * another window; every clip counted once, and one model given twice
     * decides as that model alone (twice its log-probabilities). */
    char model2[4200], json2[4300];
    snprintf(model2, sizeof model2, "%s.2", model);
    snprintf(json2, sizeof json2, "%s.2.json", model);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 --arch gru "
             "--hidden 8 --epochs 1 --window 20 --out '%s' 2>/dev/null",
             bin, dir, model2);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --model '%s' --data '%s' --format msr --subjects 2 "
             "--json | grep -q '\"models\":\\[.*\"clips\":%d,'", bin, model, model2, dir,
             plain_clips);
    CHECK_EQ_INT(run(cmd), 0);
    static char cmd2[65536];
    snprintf(cmd2, sizeof cmd2,
             "'%s' eval --model '%s' --data '%s' --format msr --subjects 2 --json "
             "| sed 's/\"model\":\"[^\"]*\"//' > '%s' && "
             "'%s' eval --model '%s' --model '%s' --data '%s' --format msr --subjects 2 "
             "--json | sed 's/\"model\":\"[^\"]*\"//; s/,\"models\":\\[[^]]*\\]//' "
             "| cmp -s - '%s'",
             bin, model2, dir, json2, bin, model2, model2, dir, json2);
    CHECK_EQ_INT(run(cmd2), 0);
    remove(json2);
    remove(model2);
    /* --label-smoothing: trains; outside [0, 1) refused. */
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 --arch gru "
             "--hidden 8 --epochs 1 --label-smoothing 0.1 --out '%s' 2>/dev/null",
             bin, dir, model);
    CHECK_EQ_INT(run(cmd), 0);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 "
             "--label-smoothing 1 --out '%s' 2>/dev/null", bin, dir, model);
    CHECK_EQ_INT(run(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects 1 --pool mean "
             "--frame-norm --out '%s' 2>/dev/null", bin, dir, model);
    CHECK_EQ_INT(run(cmd), 2);
    /* Bad arguments and unreadable folders: exit 2. */
    snprintf(cmd, sizeof cmd,
             "'%s' train --data /nonexistent --format msr --subjects 1 --out '%s' "
             "2>/dev/null", bin, model);
    CHECK_EQ_INT(run(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "'%s' train --data '%s' --format msr --subjects x --out '%s' 2>/dev/null",
             bin, dir, model);
    CHECK_EQ_INT(run(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model /nonexistent.model --data '%s' --format msr "
             "--subjects 2 2>/dev/null", bin, dir);
    CHECK_EQ_INT(run(cmd), 2);
    snprintf(cmd, sizeof cmd,
             "'%s' eval --model '%s' --data /nonexistent --format msr --subjects 2 "
             "2>/dev/null", bin, model);
    CHECK_EQ_INT(run(cmd), 2);
    remove(model);
    remove(json);
}

int main(void)
{
    RUN(test_windows);
    RUN(test_speed);
    RUN(test_resample);
    RUN(test_augment);
    RUN(test_views);
    RUN(test_ensemble);
    if (check_failed)
        return check_report();
    const char *data = check_data_dir();
    test_msr(data);
    printf("%s test_msr\n", check_failed ? "FAIL" : "ok  ");
    return check_report();
}
