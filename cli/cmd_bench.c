/* skelact bench: inference time per window (one thread; median and p99 over
 * many runs after a warm-up) for each architecture at the default training
 * sizes and at the reference shapes of DESIGN.md, the work done per window
 * against this core's measured arithmetic peak, the time per window of batch
 * inference (sk_model_infer_batch) for the reference gru and lstm, and
 * training throughput.
 *
 *   skelact bench [--json] [--quick] [--runs N] [--kernels plain|avx2|avx512]
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "skelact/nn.h"
/* The trainer is internal to the library (src/nn); the benchmark is its only
 * caller outside src/ and needs nothing but these declarations. */
#include "../src/nn/train.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: skelact bench [--json] [--quick] [--runs N] [--kernels NAME]\n"
            "  Inference per window on one thread (median and p99) for gru, lstm\n"
            "  and tcn at the default training sizes and the reference shapes,\n"
            "  with multiply-adds, GFLOP/s and the measured single-core peak;\n"
            "  time per window of batches of 1, 4, 8 and 16 windows (reference\n"
            "  gru and lstm); then training throughput (windows/s, batch 64,\n"
            "  reference GRU).\n"
            "  --json        one JSON object on stdout\n"
            "  --quick       fewer runs (a smoke test; figures are rougher)\n"
            "  --runs N      timed runs per shape (default 2000)\n"
            "  --kernels K   force the kernel set: plain, avx2 or avx512\n");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct shape {
    const char *kind; /* "default" or "reference" */
    sk_model_config cfg;
};

/* The defaults mirror `skelact train` (cli/cmd_train.c: hidden 64, 2 layers,
 * kernel 3, window 30) on PRECOG features (20 joints x 3 x 2 = 120 inputs,
 * 9 classes); the reference shapes are DESIGN.md's. */
static const struct shape shapes[] = {
    {"default", {SK_ARCH_GRU, 120, 64, 2, 9, 30, 0, SK_POOL_LAST}},
    {"default", {SK_ARCH_LSTM, 120, 64, 2, 9, 30, 0, SK_POOL_LAST}},
    {"default", {SK_ARCH_TCN, 120, 64, 2, 9, 30, 3, SK_POOL_LAST}},
    {"reference", {SK_ARCH_GRU, 120, 128, 2, 9, 30, 0, SK_POOL_LAST}},
    {"reference", {SK_ARCH_LSTM, 120, 128, 2, 9, 30, 0, SK_POOL_LAST}},
    {"reference", {SK_ARCH_TCN, 120, 128, 4, 9, 30, 3, SK_POOL_LAST}},
};
#define NSHAPES ((int)(sizeof shapes / sizeof shapes[0]))

struct result {
    double median_us, p99_us, min_us, macs, macs_full;
    const char *kernels;
};

static int make_model(sk_model **m, const sk_model_config *cfg)
{
    sk_model_header h;
    memset(&h, 0, sizeof h);
    h.arch = *cfg;
    h.features.joint_set = SK_JOINTSET_KINECT1;
    h.features.center = h.features.scale = h.features.velocity = 1;
    h.features.fps = 30;
    h.post.smooth = 0.5f;
    h.post.threshold = 0.6f;
    h.nlabels = cfg->classes;
    for (int k = 0; k < cfg->classes; k++)
        snprintf(h.labels[k], SK_LABEL_LEN, "class%d", k);
    return sk_model_create(m, &h, 42);
}

static void fill_random(float *x, size_t n, unsigned *seed)
{
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1664525u + 1013904223u;
        x[i] = (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
    }
}

/* Multiply-adds of the whole computation a framework does per window (tcn:
 * every step of every layer), for comparison with what skelact does. */
static double full_macs(const sk_model_config *c)
{
    double W = c->window, H = c->hidden, C = c->input, macs = 0;
    if (c->arch == SK_ARCH_TCN)
        macs = W * H * C * c->kernel + (c->layers - 1) * W * H * H * c->kernel;
    else {
        double G = c->arch == SK_ARCH_GRU ? 3 : 4;
        /* input projections, then every layer's recurrence */
        macs = W * G * H * C + (c->layers - 1) * W * G * H * H +
               c->layers * W * G * H * H;
    }
    return macs + c->classes * H;
}

/* Fill r from the n per-window times t (sorted here) and model m. */
static void summarise(struct result *r, double *t, int n, const sk_model *m,
                      const sk_model_config *cfg)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    r->median_us = t[n / 2];
    r->p99_us = t[(size_t)((double)n * 0.99)];
    r->min_us = t[0];
    r->macs = sk_model_infer_macs(m);
    r->macs_full = full_macs(cfg);
    r->kernels = sk_model_infer_kernels(m);
}

static int bench_infer(const sk_model_config *cfg, int runs, struct result *r)
{
    sk_model *m = NULL;
    int rc = make_model(&m, cfg);
    if (rc != 0)
        return rc;
    size_t nx = (size_t)cfg->window * cfg->input;
    enum { NX = 16 }; /* distinct windows, cycled */
    float *x = malloc(nx * NX * sizeof *x);
    double *t = malloc((size_t)runs * sizeof *t);
    float probs[SK_MAX_CLASSES];
    if (!x || !t) {
        rc = SK_ENOMEM;
        goto done;
    }
    unsigned seed = 7;
    fill_random(x, nx * NX, &seed);
    int warm = runs / 10 < 50 ? 50 : runs / 10;
    for (int i = 0; i < warm; i++)
        if ((rc = sk_model_infer(m, x + nx * (i % NX), probs)) != 0)
            goto done;
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        sk_model_infer(m, x + nx * (i % NX), probs);
        t[i] = (now_s() - t0) * 1e6;
    }
    summarise(r, t, runs, m, cfg);
done:
    free(x);
    free(t);
    sk_model_destroy(m);
    return rc;
}

/* ---- batch inference ------------------------------------------------------ */

/* The batches measured, for the reference gru and lstm (shapes[3], [4]). */
static const int batch_sizes[] = {1, 4, 8, 16};
#define NBATCH ((int)(sizeof batch_sizes / sizeof batch_sizes[0]))
#define NBATCH_ARCHS 2

/* Time per window of sk_model_infer_batch with B windows a call: median and
 * p99 over calls of the call's time / B; about `runs` windows in all (at
 * least 20 calls). r->macs is per window. */
static int bench_batch(const sk_model_config *cfg, int B, int runs, struct result *r)
{
    sk_model *m = NULL;
    int rc = make_model(&m, cfg);
    if (rc != 0)
        return rc;
    enum { NX = 2 * SK_INFER_MAX_BATCH }; /* distinct windows, cycled */
    size_t nx = (size_t)cfg->window * cfg->input;
    int calls = runs / B < 20 ? 20 : runs / B;
    float *x = malloc(nx * (NX + SK_INFER_MAX_BATCH) * sizeof *x);
    double *t = malloc((size_t)calls * sizeof *t);
    float probs[SK_INFER_MAX_BATCH * SK_MAX_CLASSES];
    if (!x || !t) {
        rc = SK_ENOMEM;
        goto done;
    }
    unsigned seed = 13;
    fill_random(x, nx * NX, &seed);
    memcpy(x + nx * NX, x, nx * SK_INFER_MAX_BATCH * sizeof *x); /* wrap-around */
    int warm = calls / 10 < 5 ? 5 : calls / 10;
    for (int i = 0; i < warm; i++)
        if ((rc = sk_model_infer_batch(m, B, x + nx * ((size_t)i * B % NX), probs)) != 0)
            goto done;
    for (int i = 0; i < calls; i++) {
        const float *xi = x + nx * ((size_t)i * B % NX);
        double t0 = now_s();
        sk_model_infer_batch(m, B, xi, probs);
        t[i] = (now_s() - t0) * 1e6 / B;
    }
    summarise(r, t, calls, m, cfg);
done:
    free(x);
    free(t);
    sk_model_destroy(m);
    return rc;
}

/* ---- training throughput ------------------------------------------------ */

struct train_job {
    sk_trainer *t;
    const float *x;
    const int *y;
    int B, steps, rc;
};

static void *train_run(void *arg)
{
    struct train_job *j = arg;
    for (int s = 0; s < j->steps && j->rc == 0; s++)
        j->rc = sk_trainer_step(j->t, j->x, j->y, NULL, j->B, 0.0f, NULL, NULL, NULL);
    return NULL;
}

/* Windows per second of sk_trainer_step (forward + backward, batch B) on
 * nthreads threads, each with its own trainer and batch. */
static int bench_train(const sk_model_config *cfg, int B, int nthreads,
                       double seconds, double *wps)
{
    sk_model *m = NULL;
    struct train_job jobs[2];
    pthread_t th[2];
    memset(jobs, 0, sizeof jobs);
    size_t nx = (size_t)B * cfg->window * cfg->input;
    float *x = malloc(nx * sizeof *x);
    int *y = malloc((size_t)B * sizeof *y);
    int rc = make_model(&m, cfg);
    if (rc == 0 && (!x || !y))
        rc = SK_ENOMEM;
    for (int i = 0; rc == 0 && i < nthreads; i++)
        rc = sk_trainer_create(&jobs[i].t, m, B);
    if (rc != 0)
        goto done;
    unsigned seed = 11;
    fill_random(x, nx, &seed);
    for (int b = 0; b < B; b++)
        y[b] = b % cfg->classes;
    /* One step to warm up and to size the timed run. */
    double t0 = now_s();
    if ((rc = sk_trainer_step(jobs[0].t, x, y, NULL, B, 0.0f, NULL, NULL, NULL)) != 0)
        goto done;
    double one = now_s() - t0;
    int steps = (int)(seconds / (one > 1e-6 ? one : 1e-6));
    if (steps < 2)
        steps = 2;
    for (int i = 0; i < nthreads; i++)
        jobs[i] = (struct train_job){jobs[i].t, x, y, B, steps, 0};
    t0 = now_s();
    int started = 0;
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&th[i], NULL, train_run, &jobs[i]) != 0) {
            rc = SK_ENOMEM;
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    for (int i = 0; rc == 0 && i < nthreads; i++)
        rc = jobs[i].rc;
    *wps = (double)nthreads * steps * B / dt;
done:
    for (int i = 0; i < nthreads; i++)
        sk_trainer_destroy(jobs[i].t);
    sk_model_destroy(m);
    free(x);
    free(y);
    return rc;
}

static double load_average(void)
{
    double la = -1;
    FILE *fp = fopen("/proc/loadavg", "r");
    if (fp) {
        if (fscanf(fp, "%lf", &la) != 1)
            la = -1;
        fclose(fp);
    }
    return la;
}

int sk_cmd_bench(int argc, char **argv)
{
    int json = 0, quick = 0, runs = 2000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
            runs = 200;
        } else if (!strcmp(a, "--runs") && i + 1 < argc) {
            if (cli_parse_int(argv[++i], &runs) || runs < 10 || runs > 10000000)
                return cli_usage_error("bench", "--runs needs an integer >= 10");
        } else if (!strcmp(a, "--kernels") && i + 1 < argc) {
            const char *k = argv[++i];
            if (strcmp(k, "plain") && strcmp(k, "avx2") && strcmp(k, "avx512"))
                return cli_usage_error("bench", "unknown kernel set '%s' (plain, avx2, avx512)", k);
            setenv("SK_KERNELS", k, 1);
        } else {
            return cli_usage_error("bench", "unknown argument '%s' (see --help)", a);
        }
    }

    double peak = sk_infer_peak_flops(quick ? 0.1 : 0.5);
    struct result res[NSHAPES];
    for (int i = 0; i < NSHAPES; i++) {
        int rc = bench_infer(&shapes[i].cfg, runs, &res[i]);
        if (rc != 0) {
            fprintf(stderr, "skelact bench: %s %s: %s\n", sk_arch_name(shapes[i].cfg.arch),
                    shapes[i].kind, sk_strerror(rc));
            return 1;
        }
    }
    struct result bres[NBATCH_ARCHS][NBATCH];
    for (int a = 0; a < NBATCH_ARCHS; a++)
        for (int b = 0; b < NBATCH; b++) {
            int rc = bench_batch(&shapes[3 + a].cfg, batch_sizes[b], runs, &bres[a][b]);
            if (rc != 0) {
                fprintf(stderr, "skelact bench: %s batch %d: %s\n",
                        sk_arch_name(shapes[3 + a].cfg.arch), batch_sizes[b],
                        sk_strerror(rc));
                return 1;
            }
        }
    /* A second peak measurement after the runs: the machine may be shared,
     * so keep the higher (the core's capability). */
    double peak2 = sk_infer_peak_flops(quick ? 0.1 : 0.5);
    if (peak2 > peak)
        peak = peak2;

    const sk_model_config *tref = &shapes[3].cfg; /* reference GRU */
    const int TB = 64;
    double wps1 = 0, wps2 = 0, tsec = quick ? 0.3 : 2.0;
    int trc = bench_train(tref, TB, 1, tsec, &wps1);
    if (trc == 0)
        trc = bench_train(tref, TB, 2, tsec, &wps2);
    if (trc != 0)
        fprintf(stderr, "skelact bench: training throughput: %s\n", sk_strerror(trc));

    double la = load_average();
    if (json) {
        printf("{\"kernels\": \"%s\", \"runs\": %d, \"peak_gflops\": %.2f, "
               "\"load_average\": %.2f,\n \"infer\": [\n",
               res[0].kernels, runs, peak / 1e9, la);
        for (int i = 0; i < NSHAPES; i++) {
            const sk_model_config *c = &shapes[i].cfg;
            const struct result *r = &res[i];
            double gf = 2.0 * r->macs / (r->median_us * 1e3);
            printf("  {\"arch\": \"%s\", \"shape\": \"%s\", \"input\": %d, "
                   "\"hidden\": %d, \"layers\": %d, \"window\": %d, "
                   "\"classes\": %d, ",
                   sk_arch_name(c->arch), shapes[i].kind, c->input, c->hidden,
                   c->layers, c->window, c->classes);
            if (c->arch == SK_ARCH_TCN)
                printf("\"kernel\": %d, ", c->kernel);
            printf("\"median_us\": %.2f, \"p99_us\": %.2f, \"min_us\": %.2f, "
                   "\"macs\": %.0f, \"macs_full\": %.0f, \"gflops\": %.2f, "
                   "\"limit_us\": %.2f, \"x_limit\": %.2f}%s\n",
                   r->median_us, r->p99_us, r->min_us, r->macs, r->macs_full, gf,
                   2.0 * r->macs / peak * 1e6, r->median_us / (2.0 * r->macs / peak * 1e6),
                   i + 1 < NSHAPES ? "," : "");
        }
        printf(" ],\n \"batch\": [\n");
        for (int a = 0; a < NBATCH_ARCHS; a++)
            for (int b = 0; b < NBATCH; b++) {
                const struct result *r = &bres[a][b];
                double limit = 2.0 * r->macs / peak * 1e6;
                printf("  {\"arch\": \"%s\", \"batch\": %d, \"median_us\": %.2f, "
                       "\"p99_us\": %.2f, \"min_us\": %.2f, \"x_limit\": %.2f}%s\n",
                       sk_arch_name(shapes[3 + a].cfg.arch), batch_sizes[b],
                       r->median_us, r->p99_us, r->min_us, r->median_us / limit,
                       a + 1 < NBATCH_ARCHS || b + 1 < NBATCH ? "," : "");
            }
        printf(" ],\n \"train\": ");
        if (trc == 0)
            printf("{\"arch\": \"gru\", \"input\": %d, \"hidden\": %d, \"layers\": %d, "
                   "\"window\": %d, \"classes\": %d, \"batch\": %d, "
                   "\"windows_per_s_1thread\": %.1f, \"windows_per_s_2threads\": %.1f}}\n",
                   tref->input, tref->hidden, tref->layers, tref->window,
                   tref->classes, TB, wps1, wps2);
        else
            printf("null}\n");
        return 0;
    }

    printf("skelact bench: kernels %s, %d runs per shape, one thread; "
           "load average %.2f (a shared machine makes figures noisy)\n",
           res[0].kernels, runs, la);
    printf("single-core peak (measured, FMA): %.1f GFLOP/s\n\n", peak / 1e9);
    printf("%-5s %-9s %5s %6s %6s %6s %7s | %9s %9s %9s | %9s %7s %8s %7s\n",
           "arch", "shape", "input", "hidden", "layers", "window", "classes",
           "median_us", "p99_us", "min_us", "MACs", "GFLOP/s", "limit_us", "x_limit");
    for (int i = 0; i < NSHAPES; i++) {
        const sk_model_config *c = &shapes[i].cfg;
        const struct result *r = &res[i];
        double limit = 2.0 * r->macs / peak * 1e6;
        printf("%-5s %-9s %5d %6d %6d %6d %7d | %9.1f %9.1f %9.1f | %9.0f %7.1f %8.1f %7.2f\n",
               sk_arch_name(c->arch), shapes[i].kind, c->input, c->hidden,
               c->layers, c->window, c->classes, r->median_us, r->p99_us,
               r->min_us, r->macs, 2.0 * r->macs / (r->median_us * 1e3), limit,
               r->median_us / limit);
    }
    printf("\n(limit_us: the multiply-adds at the measured peak; x_limit: median / limit.\n"
           " tcn computes only the steps its last step depends on: %.0f of %.0f\n"
           " multiply-adds at the reference shape.)\n",
           res[5].macs, res[5].macs_full);
    printf("\nbatch inference (sk_model_infer_batch, reference shapes): time per window\n");
    printf("%-5s %5s | %9s %9s %9s | %8s %7s\n", "arch", "batch", "median_us", "p99_us",
           "min_us", "limit_us", "x_limit");
    for (int a = 0; a < NBATCH_ARCHS; a++)
        for (int b = 0; b < NBATCH; b++) {
            const struct result *r = &bres[a][b];
            double limit = 2.0 * r->macs / peak * 1e6;
            printf("%-5s %5d | %9.1f %9.1f %9.1f | %8.1f %7.2f\n",
                   sk_arch_name(shapes[3 + a].cfg.arch), batch_sizes[b], r->median_us,
                   r->p99_us, r->min_us, limit, r->median_us / limit);
        }
    if (trc == 0)
        printf("\ntraining (sk_trainer_step, reference gru, batch %d): %.0f windows/s "
               "on 1 thread, %.0f windows/s on 2 threads\n",
               TB, wps1, wps2);
    return 0;
}
