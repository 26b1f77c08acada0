/* The training loop: shuffled mini-batches of augmented samples, each batch
 * split across trainers on their own threads, gradients summed in a fixed
 * order, one AdamW step; warmup then cosine learning rate; validation and
 * early stopping on the best validation accuracy. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "skelact/data.h"
#include "skelact/frame.h"
#include "train.h"
#include "training.h"

#ifndef SK_TRAIN_MAX_THREADS
#define SK_TRAIN_MAX_THREADS 8 /* more threads than cores only adds overhead */
#endif

/* One thread's share of a batch. */
typedef struct worker {
    sk_trainer *tr;
    float *x;       /* (max_batch, W, C) */
    int *y;         /* (max_batch) */
    float *wt;      /* (max_batch) loss weights, or NULL: 1 each */
    float null_weight; /* wt of a null-class window (the others 1) */
    double wsum;    /* the share's summed weights */
    sk_body *bodies; /* (W) scratch */
    const sk_body **ptrs; /* (W) */
    float *probs;   /* (max_batch, K) */
    sk_rng drop_rng;
    /* the job */
    const sk__dataset *ds;
    const sk__sample *samples;
    const int *order; /* sample indices of this share */
    int count;
    const sk__augment *aug; /* NULL: none (validation) */
    uint64_t seed;    /* per-epoch augmentation seed */
    int train;        /* 1: step (loss + gradients), 0: forward only */
    float dropout;
    int W, C, K;
    const sk_feature_config *fc;
    /* results */
    double loss;
    int correct;
    int rc;
} worker;

static uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0x9E3779B97F4A7C15ull);
    return sk__splitmix64(&x);
}

/* Features of this worker's samples into w->x, labels into w->y. */
static int worker_fill(worker *w)
{
    for (int i = 0; i < w->count; i++) {
        int idx = w->order[i];
        sk_rng r;
        /* Per sample, so the augmentation does not depend on the threads. */
        sk_rng_seed(&r, mix(w->seed, (uint64_t)idx));
        int label = sk__sample_bodies(w->ds, &w->samples[idx], w->W, w->aug,
                                      w->aug ? &r : NULL, w->bodies);
        for (int t = 0; t < w->W; t++)
            w->ptrs[t] = &w->bodies[t];
        int rc = sk_features_window(w->fc, w->ptrs, w->W,
                                    w->x + (size_t)i * w->W * w->C);
        if (rc)
            return rc;
        w->y[i] = label;
        if (w->train && w->wt) {
            w->wt[i] = label == 0 ? w->null_weight : 1.0f;
            w->wsum += w->wt[i];
        }
    }
    return 0;
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    w->loss = 0.0;
    w->correct = 0;
    w->rc = 0;
    w->wsum = 0.0;
    if (w->count == 0)
        return NULL;
    if ((w->rc = worker_fill(w)))
        return NULL;
    if (w->train) {
        w->rc = sk_trainer_step(w->tr, w->x, w->y, w->wt, w->count, w->dropout,
                                &w->drop_rng, &w->loss, &w->correct);
        return NULL;
    }
    if ((w->rc = sk_trainer_forward(w->tr, w->x, w->count, w->probs)))
        return NULL;
    for (int i = 0; i < w->count; i++) {
        const float *p = w->probs + (size_t)i * w->K;
        int best = 0;
        for (int k = 1; k < w->K; k++)
            if (p[k] > p[best])
                best = k;
        w->correct += best == w->y[i];
        float q = p[w->y[i]];
        w->loss += -log(q > 1e-12f ? q : 1e-12f);
    }
    return NULL;
}

/* Run workers 0..n-1, worker 0 on this thread. */
static int run_workers(worker *ws, int n)
{
    pthread_t th[SK_TRAIN_MAX_THREADS];
    int started[SK_TRAIN_MAX_THREADS] = {0};
    for (int i = 1; i < n; i++)
        started[i] = pthread_create(&th[i], NULL, worker_run, &ws[i]) == 0;
    worker_run(&ws[0]);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            worker_run(&ws[i]); /* no thread: do it here */
    }
    for (int i = 0; i < n; i++)
        if (ws[i].rc)
            return ws[i].rc;
    return 0;
}

/* Split samples order[0..count) into the workers' shares. */
static void share(worker *ws, int n, const int *order, int count)
{
    int per = (count + n - 1) / n;
    for (int i = 0; i < n; i++) {
        int a = i * per, b = a + per;
        if (a > count)
            a = count;
        if (b > count)
            b = count;
        ws[i].order = order + a;
        ws[i].count = b - a;
    }
}

/* Accuracy and mean loss over a whole dataset's samples, no augmentation. */
static int evaluate(worker *ws, int n, int max_batch, const sk__dataset *ds,
                    const sk__sample *s, int ns, const int *order, double *acc,
                    double *loss)
{
    double l = 0.0;
    long correct = 0;
    for (int i = 0; i < n; i++) {
        ws[i].ds = ds;
        ws[i].samples = s;
        ws[i].aug = NULL;
        ws[i].train = 0;
    }
    for (int off = 0; off < ns; off += n * max_batch) {
        int cnt = ns - off < n * max_batch ? ns - off : n * max_batch;
        share(ws, n, order + off, cnt);
        int rc = run_workers(ws, n);
        if (rc)
            return rc;
        for (int i = 0; i < n; i++) {
            l += ws[i].loss;
            correct += ws[i].correct;
        }
    }
    *acc = ns ? (double)correct / ns : 0.0;
    *loss = ns ? l / ns : 0.0;
    return 0;
}

/* Drop training windows of continuous takes per cfg (skip_onset,
 * skip_after, stride), in place, keeping the order; with cfg->lead, label
 * the null windows that end at most lead frames before a move's first frame
 * with that move. */
static void samples_filter(const sk__dataset *ds, const sk__train_config *cfg,
                           sk__sample *s, int *n)
{
    int k = 0;
    for (int i = 0; i < *n; i++) {
        const sk__clip *c = &ds->clips[s[i].clip];
        int t = s[i].end, keep = 1;
        if (t >= 0 && c->labels) {
            int L = c->labels[t];
            if (cfg->stride > 1 && t % cfg->stride != 0)
                keep = 0;
            if (keep && L != 0 && cfg->skip_onset > 0) {
                int u = t;
                while (u > 0 && c->labels[u - 1] == L && t - u < cfg->skip_onset)
                    u--;
                keep = t - u >= cfg->skip_onset || u == 0;
            }
            if (keep && L == 0 && cfg->skip_after > 0)
                for (int u = t - 1; u >= 0 && t - u <= cfg->skip_after; u--)
                    if (c->labels[u] != 0) {
                        keep = 0;
                        break;
                    }
        }
        if (keep && t >= 0 && c->labels && c->labels[t] == 0)
            for (int u = t + 1; u < c->nframes && u - t <= cfg->lead; u++)
                if (c->labels[u] != 0) {
                    s[i].label = c->labels[u];
                    break;
                }
        if (keep)
            s[k++] = s[i];
    }
    *n = k;
}

static double lr_at(const sk__train_config *cfg, long step, long steps_per_epoch)
{
    long warm = (long)cfg->warmup * steps_per_epoch;
    long total = (long)cfg->epochs * steps_per_epoch;
    if (warm > 0 && step < warm)
        return cfg->lr * (double)(step + 1) / (double)warm;
    double p = total > warm ? (double)(step - warm) / (double)(total - warm) : 1.0;
    if (p > 1.0)
        p = 1.0;
    /* Cosine from lr down to lr/50. */
    return cfg->lr * (0.02 + 0.98 * 0.5 * (1.0 + cos(3.14159265358979 * p)));
}

int sk__train_run(sk_model *m, const sk__dataset *train, const sk__dataset *val,
                  const sk__train_config *cfg, sk__train_result *res)
{
    const sk_model_header *h = sk_model_header_get(m);
    const sk_feature_config *fc = &h->features;
    int W = h->arch.window, C = h->arch.input, K = h->arch.classes;
    memset(res, 0, sizeof *res);
    res->best_val_acc = -1.0f;
    if (sk_features_dim(fc) != C || cfg->batch < 1 || cfg->epochs < 1 ||
        train->joint_set != fc->joint_set ||
        (val && val->joint_set != fc->joint_set))
        return SK_EINVAL;
    int nth = cfg->threads < 1 ? 1 : cfg->threads;
    if (nth > SK_TRAIN_MAX_THREADS)
        nth = SK_TRAIN_MAX_THREADS;
    if (nth > cfg->batch)
        nth = cfg->batch;
    int max_batch = (cfg->batch + nth - 1) / nth;
    int eval_batch = max_batch < 64 ? 64 : max_batch;

    worker ws[SK_TRAIN_MAX_THREADS];
    memset(ws, 0, sizeof ws);
    sk__sample *ts = NULL, *vs = NULL;
    int nts = 0, nvs = 0, *order = NULL, *vorder = NULL, rc;
    float *best = NULL, *ema = NULL, *raw = NULL;
    sk_adam adam;
    memset(&adam, 0, sizeof adam);
    size_t np = sk_model_nparams(m);
    float *params = sk_model_params(m);

    if ((rc = sk__dataset_samples(train, W, &ts, &nts)))
        goto fail;
    samples_filter(train, cfg, ts, &nts);
    if (val && (rc = sk__dataset_samples(val, W, &vs, &nvs)))
        goto fail;
    for (int i = 0; i < nts; i++)
        if (ts[i].label < 0 || ts[i].label >= K) {
            rc = SK_EINVAL;
            goto fail;
        }
    for (int i = 0; i < nvs; i++)
        if (vs[i].label < 0 || vs[i].label >= K) {
            rc = SK_EINVAL;
            goto fail;
        }
    if (nts == 0) {
        rc = SK_EINVAL;
        goto fail;
    }
    rc = SK_ENOMEM;
    order = malloc((size_t)nts * sizeof *order);
    vorder = malloc((size_t)(nvs ? nvs : 1) * sizeof *vorder);
    best = malloc(np * sizeof *best);
    if (!order || !vorder || !best || sk_adam_init(&adam, np))
        goto fail;
    if (cfg->ema > 0.0f) {
        ema = malloc(np * sizeof *ema);
        raw = malloc(np * sizeof *raw);
        if (!ema || !raw)
            goto fail;
        memcpy(ema, params, np * sizeof *ema);
    }
    for (int i = 0; i < nvs; i++)
        vorder[i] = i;
    for (int i = 0; i < nth; i++) {
        worker *w = &ws[i];
        if ((rc = sk_trainer_create(&w->tr, m, eval_batch)) ||
            (rc = sk_trainer_set_label_smoothing(w->tr, cfg->label_smoothing)))
            goto fail;
        rc = SK_ENOMEM;
        w->x = malloc((size_t)eval_batch * W * C * sizeof *w->x);
        w->y = malloc((size_t)eval_batch * sizeof *w->y);
        w->probs = malloc((size_t)eval_batch * K * sizeof *w->probs);
        w->bodies = malloc((size_t)W * sizeof *w->bodies);
        w->ptrs = malloc((size_t)W * sizeof *w->ptrs);
        if (!w->x || !w->y || !w->probs || !w->bodies || !w->ptrs)
            goto fail;
        if (cfg->null_weight > 0.0f && cfg->null_weight != 1.0f) {
            w->null_weight = cfg->null_weight;
            if (!(w->wt = malloc((size_t)eval_batch * sizeof *w->wt)))
                goto fail;
        }
        sk_rng_seed(&w->drop_rng, mix(cfg->seed, 0x5eed0000ull + (uint64_t)i));
        w->W = W;
        w->C = C;
        w->K = K;
        w->fc = fc;
        w->dropout = cfg->dropout;
    }
    memcpy(best, params, np * sizeof *best);

    sk_rng shuf;
    sk_rng_seed(&shuf, mix(cfg->seed, 0x5f0ffull));
    for (int i = 0; i < nts; i++)
        order[i] = i;
    long steps_per_epoch = (nts + cfg->batch - 1) / cfg->batch, step = 0;
    int64_t t_start = sk_now_us();
    double best_acc = -1.0, best_loss = 1e30;
    for (int ep = 1; ep <= cfg->epochs; ep++) {
        for (int i = nts - 1; i > 0; i--) { /* Fisher-Yates */
            int j = (int)sk_rng_below(&shuf, (uint32_t)(i + 1));
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        uint64_t ep_seed = mix(cfg->seed, (uint64_t)ep);
        double loss = 0.0;
        long correct = 0;
        for (int off = 0; off < nts; off += cfg->batch, step++) {
            int cnt = nts - off < cfg->batch ? nts - off : cfg->batch;
            for (int i = 0; i < nth; i++) {
                ws[i].ds = train;
                ws[i].samples = ts;
                ws[i].aug = &cfg->aug;
                ws[i].seed = ep_seed;
                ws[i].train = 1;
                sk_trainer_zero_grads(ws[i].tr);
            }
            share(ws, nth, order + off, cnt);
            if ((rc = run_workers(ws, nth)))
                goto fail;
            float *g = sk_trainer_grads(ws[0].tr);
            for (int i = 1; i < nth; i++) { /* fixed order: deterministic */
                const float *gi = sk_trainer_grads(ws[i].tr);
                for (size_t k = 0; k < np; k++)
                    g[k] += gi[k];
            }
            for (int i = 0; i < nth; i++) {
                loss += ws[i].loss;
                correct += ws[i].correct;
            }
            double total = cnt; /* the weighted mean: over the weights' sum */
            if (ws[0].wt) {
                total = 0.0;
                for (int i = 0; i < nth; i++)
                    total += ws[i].wsum;
            }
            sk_grads_scale(g, np, total > 0.0 ? (float)(1.0 / total) : 0.0f);
            if (cfg->clip_norm > 0.0f)
                sk_grads_clip(g, np, cfg->clip_norm);
            sk_adam_step(&adam, params, g, (float)lr_at(cfg, step, steps_per_epoch),
                         0.9f, 0.999f, 1e-8f, cfg->weight_decay);
            if (ema) {
                /* Short memory at first, so the start does not linger. */
                float d = (float)(step + 1) / (float)(step + 10);
                if (d > cfg->ema)
                    d = cfg->ema;
                for (size_t k = 0; k < np; k++)
                    ema[k] = d * ema[k] + (1.0f - d) * params[k];
            }
        }
        if (ema) { /* validate and keep the averaged weights */
            memcpy(raw, params, np * sizeof *raw);
            memcpy(params, ema, np * sizeof *params);
        }
        res->epochs_run = ep;
        res->last_train_acc = (float)correct / (float)nts;
        double vacc = -1.0, vloss = 0.0;
        if (val && nvs > 0) {
            if ((rc = evaluate(ws, nth, eval_batch, val, vs, nvs, vorder, &vacc,
                               &vloss)))
                goto fail;
            if (vacc > best_acc || (vacc == best_acc && vloss < best_loss)) {
                best_acc = vacc;
                best_loss = vloss;
                res->best_epoch = ep;
                res->best_val_acc = (float)vacc;
                memcpy(best, params, np * sizeof *best);
            }
        } else {
            res->best_epoch = ep;
        }
        if (cfg->progress) {
            double el = (double)(sk_now_us() - t_start) / 1e6;
            if (vacc >= 0.0)
                fprintf(cfg->progress,
                        "epoch %3d  loss %.4f  train_acc %.4f  val_loss %.4f  "
                        "val_acc %.4f  best %.4f@%d  lr %.2e  %.1f s\n",
                        ep, loss / nts, res->last_train_acc, vloss, vacc,
                        best_acc, res->best_epoch,
                        lr_at(cfg, step - 1, steps_per_epoch), el);
            else
                fprintf(cfg->progress,
                        "epoch %3d  loss %.4f  train_acc %.4f  lr %.2e  %.1f s\n", ep,
                        loss / nts, res->last_train_acc,
                        lr_at(cfg, step - 1, steps_per_epoch), el);
            fflush(cfg->progress);
        }
        int stop = val && nvs > 0 && cfg->patience > 0 &&
                   ep - res->best_epoch >= cfg->patience;
        if (ema && ep < cfg->epochs && !stop)
            memcpy(params, raw, np * sizeof *params); /* back to training */
        if (stop)
            break;
    }
    /* params now holds the last weights (averaged with ema on). */
    if (val && nvs > 0)
        memcpy(params, best, np * sizeof *best);
    rc = 0;
fail:
    for (int i = 0; i < nth; i++) {
        sk_trainer_destroy(ws[i].tr);
        free(ws[i].x);
        free(ws[i].y);
        free(ws[i].wt);
        free(ws[i].probs);
        free(ws[i].bodies);
        free(ws[i].ptrs);
    }
    sk_adam_free(&adam);
    free(best);
    free(ema);
    free(raw);
    free(order);
    free(vorder);
    free(ts);
    free(vs);
    return rc;
}

int sk__ensemble_pack(sk_model *dst, sk_model *const *members, int n)
{
    if (n < 1 || !dst || !members)
        return SK_EINVAL;
    const sk_model_config *a = &sk_model_header_get(members[0])->arch;
    const sk_model_config *d = &sk_model_header_get(dst)->arch;
    int tcn = a->arch == SK_ARCH_TCN;
    int G = tcn ? 1 : sk__arch_gates(a->arch), H = a->hidden, NH = n * a->hidden;
    int D = sk__arch_dirs(a->arch);
    if ((a->arch != SK_ARCH_GRU && a->arch != SK_ARCH_LSTM &&
         a->arch != SK_ARCH_BIGRU && !tcn) || d->arch != a->arch || d->pool != a->pool ||
        d->hidden != NH || d->layers != a->layers || d->input != a->input ||
        d->classes != a->classes || d->kernel != a->kernel)
        return SK_EINVAL;
    for (int m = 1; m < n; m++)
        if (memcmp(&sk_model_header_get(members[m])->arch, a, sizeof *a) != 0)
            return SK_EINVAL;
    sk__param_table tm, td;
    if (sk__param_table_fill(a, &tm) || sk__param_table_fill(d, &td) ||
        td.total != sk_model_nparams(dst))
        return SK_EINVAL;
    float *P = sk_model_params(dst);
    memset(P, 0, td.total * sizeof *P);
    int K = a->classes;
    for (int m = 0; m < n; m++) {
        const float *Q = sk_model_params(members[m]);
        for (int l = 0; l < a->layers; l++) {
            const sk__layer_params *lm = &tm.layer[l], *ld = &td.layer[l];
            int Cm = lm->in, Cd = ld->in;
            if (tcn) { /* w (H, C_l, k): a member's row reads its own channels */
                size_t k = (size_t)a->kernel, coff = l == 0 ? 0 : (size_t)m * H;
                for (int r = 0; r < H; r++) {
                    size_t rd = (size_t)m * H + r;
                    memcpy(P + ld->w_ih + (rd * Cd + coff) * k,
                           Q + lm->w_ih + (size_t)r * Cm * k, (size_t)Cm * k * sizeof *P);
                    P[ld->b_ih + rd] = Q[lm->b_ih + r];
                }
                continue;
            }
            for (int dir = 0; dir < D; dir++) { /* bigru: forward, backward */
                size_t mw_ih = dir ? lm->w_ih_r : lm->w_ih, dw_ih = dir ? ld->w_ih_r : ld->w_ih;
                size_t mw_hh = dir ? lm->w_hh_r : lm->w_hh, dw_hh = dir ? ld->w_hh_r : ld->w_hh;
                size_t mb_ih = dir ? lm->b_ih_r : lm->b_ih, db_ih = dir ? ld->b_ih_r : ld->b_ih;
                size_t mb_hh = dir ? lm->b_hh_r : lm->b_hh, db_hh = dir ? ld->b_hh_r : ld->b_hh;
                for (int g = 0; g < G; g++)
                    for (int r = 0; r < H; r++) {
                        size_t rs = (size_t)g * H + r;                  /* member row */
                        size_t rd = (size_t)g * NH + (size_t)m * H + r; /* dst row */
                        if (l == 0)
                            memcpy(P + dw_ih + rd * Cd, Q + mw_ih + rs * Cm,
                                   (size_t)Cm * sizeof *P);
                        else /* the member's inputs: its units of each half */
                            for (int q = 0; q < D; q++)
                                memcpy(P + dw_ih + rd * Cd + (size_t)q * NH + (size_t)m * H,
                                       Q + mw_ih + rs * Cm + (size_t)q * H,
                                       (size_t)H * sizeof *P);
                        memcpy(P + dw_hh + rd * NH + (size_t)m * H, Q + mw_hh + rs * H,
                               (size_t)H * sizeof *P);
                        P[db_ih + rd] = Q[mb_ih + rs];
                        P[db_hh + rd] = Q[mb_hh + rs];
                    }
            }
        }
        for (int k = 0; k < K; k++) {
            for (int q = 0; q < D; q++)
                for (int r = 0; r < H; r++)
                    P[td.w_out + (size_t)k * D * NH + (size_t)q * NH + (size_t)m * H + r] =
                        Q[tm.w_out + (size_t)k * D * H + (size_t)q * H + r] / (float)n;
            P[td.b_out + k] += Q[tm.b_out + k] / (float)n;
        }
    }
    return 0;
}

int sk__classify_dataset(sk_model *m, const sk__dataset *ds, int **pred,
                         int **truth, int *n)
{
    return sk__classify_dataset_views(m, ds, 1, 0.0f, pred, truth, n);
}

int sk__classify_dataset_views(sk_model *m, const sk__dataset *ds, int nviews,
                               float crop, int **pred, int **truth, int *n)
{
    return sk__classify_dataset_models(&m, 1, ds, nviews, crop, pred, truth, n);
}

int sk__classify_dataset_models(sk_model *const *ms, int nm, const sk__dataset *ds,
                                int nviews, float crop, int **pred, int **truth,
                                int *n)
{
    *pred = *truth = NULL;
    *n = 0;
    if (nm < 1 || nm > SK_CLASSIFY_MAX_MODELS || nviews < 1 ||
        !(crop >= 0.0f && crop < 1.0f) || (nm > 1 && ds->format != SK_FORMAT_MSR))
        return SK_EINVAL; /* several models: segmented clips only */
    const sk_model_header *h0 = sk_model_header_get(ms[0]);
    int K = h0->arch.classes, Wmax = 0;
    size_t xmax = 0;
    for (int j = 0; j < nm; j++) {
        const sk_model_header *h = sk_model_header_get(ms[j]);
        int W = h->arch.window, C = h->arch.input;
        if (sk_features_dim(&h->features) != C || ds->joint_set != h->features.joint_set ||
            h->arch.classes != K)
            return SK_EINVAL;
        Wmax = W > Wmax ? W : Wmax;
        xmax = (size_t)W * C > xmax ? (size_t)W * C : xmax;
    }
    sk__sample *s = NULL;
    int ns = 0, rc;
    sk_trainer *tr[SK_CLASSIFY_MAX_MODELS] = {NULL};
    int use_trainer[SK_CLASSIFY_MAX_MODELS] = {0};
    float *x = malloc(xmax * sizeof *x);
    float *probs = malloc((size_t)K * sizeof *probs);
    double *score = malloc((size_t)K * sizeof *score); /* (K) summed log-probs */
    sk_body *bodies = malloc((size_t)Wmax * sizeof *bodies);
    const sk_body **ptrs = malloc((size_t)Wmax * sizeof *ptrs);
    int *p = NULL, *y = NULL;
    rc = SK_ENOMEM;
    if (!x || !probs || !score || !bodies || !ptrs)
        goto fail;
    /* The samples (clips) do not depend on the window: one list for all. */
    if ((rc = sk__dataset_samples(ds, h0->arch.window, &s, &ns)))
        goto fail;
    rc = SK_ENOMEM;
    p = malloc((size_t)(ns ? ns : 1) * sizeof *p);
    y = malloc((size_t)(ns ? ns : 1) * sizeof *y);
    if (!p || !y)
        goto fail;
    for (int i = 0; i < ns; i++) {
        int views = s[i].end < 0 ? nviews : 1; /* takes: the window itself */
        for (int k = 0; k < K; k++)
            score[k] = 0.0;
        for (int j = 0; j < nm; j++) {
            const sk_model_header *h = sk_model_header_get(ms[j]);
            int W = h->arch.window;
            for (int v = 0; v < views; v++) {
                y[i] = sk__sample_view(ds, &s[i], W, v, views, crop, bodies);
                for (int t = 0; t < W; t++)
                    ptrs[t] = &bodies[t];
                if ((rc = sk_features_window(&h->features, ptrs, W, x)))
                    goto fail;
                rc = use_trainer[j] ? SK_EUNSUPPORTED : sk_model_infer(ms[j], x, probs);
                if (rc == SK_EUNSUPPORTED) { /* no fast inference in this build */
                    use_trainer[j] = 1;
                    if (!tr[j] && (rc = sk_trainer_create(&tr[j], ms[j], 1)))
                        goto fail;
                    rc = sk_trainer_forward(tr[j], x, 1, probs);
                }
                if (rc)
                    goto fail;
                if (views == 1 && nm == 1) { /* plain argmax: the one-view decision */
                    for (int k = 0; k < K; k++)
                        score[k] = probs[k];
                    break;
                }
                for (int k = 0; k < K; k++)
                    score[k] += log(probs[k] > 1e-30f ? (double)probs[k] : 1e-30);
            }
        }
        int best = 0;
        for (int k = 1; k < K; k++)
            if (score[k] > score[best])
                best = k;
        p[i] = best;
    }
    *pred = p;
    *truth = y;
    *n = ns;
    p = y = NULL;
    rc = 0;
fail:
    for (int j = 0; j < nm; j++)
        sk_trainer_destroy(tr[j]);
    free(p);
    free(y);
    free(s);
    free(x);
    free(probs);
    free(score);
    free(bodies);
    free(ptrs);
    return rc;
}
