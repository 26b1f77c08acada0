/* skelact's layers against PyTorch: GRU, LSTM and causal dilated conv
 * forward and backward, and whole models (loss, probabilities, every
 * parameter gradient). The reference, tests/data/torch_ref.bin, is written
 * by tests/ref/make_torch_ref.py (layout documented there) with Debian's
 * python3-torch in float64. The double build of the layers must match it
 * within 1e-9 (+ 1e-9 relative), the float build (what trains) within
 * 1e-5 + 1e-4 relative. Prints the largest difference per tensor; any
 * excess fails the test. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nn/layers.h"
#include "nn/train.h"

#define REF_PATH "tests/data/torch_ref.bin"
#define MAX_TENSORS 128

typedef struct {
    char name[64];
    int ndim, dims[4];
    size_t n;
    double *v;
} tensor;

static tensor tens[MAX_TENSORS];
static int ntens;

static int rd_u32(FILE *f, uint32_t *x)
{
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4)
        return -1;
    *x = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
         (uint32_t)b[3] << 24;
    return 0;
}

static int load_ref(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char magic[8];
    uint32_t count;
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "SKTORCH1", 8) != 0 ||
        rd_u32(f, &count) || count > MAX_TENSORS)
        goto fail;
    for (uint32_t i = 0; i < count; i++) {
        tensor *t = &tens[ntens];
        uint32_t len, nd;
        if (rd_u32(f, &len) || len >= sizeof t->name ||
            fread(t->name, 1, len, f) != len || rd_u32(f, &nd) || nd > 4)
            goto fail;
        t->name[len] = 0;
        t->ndim = (int)nd;
        t->n = 1;
        for (uint32_t d = 0; d < nd; d++) {
            uint32_t x;
            if (rd_u32(f, &x) || x > 1000000)
                goto fail;
            t->dims[d] = (int)x;
            t->n *= x;
        }
        t->v = malloc((t->n ? t->n : 1) * sizeof *t->v);
        ntens++;
        for (size_t k = 0; k < t->n; k++) {
            unsigned char b[8];
            uint64_t u = 0;
            if (fread(b, 1, 8, f) != 8)
                goto fail;
            for (int j = 7; j >= 0; j--)
                u = u << 8 | b[j];
            memcpy(&t->v[k], &u, 8);
        }
    }
    fclose(f);
    return 0;
fail:
    fclose(f);
    return -2;
}

static const tensor *get(const char *name)
{
    for (int i = 0; i < ntens; i++)
        if (strcmp(tens[i].name, name) == 0)
            return &tens[i];
    fprintf(stderr, "reference tensor %s missing\n", name);
    exit(1);
}

static double *copy_d(const char *name)
{
    const tensor *t = get(name);
    double *v = malloc(t->n * sizeof *v);
    memcpy(v, t->v, t->n * sizeof *v);
    return v;
}

static float *copy_f(const char *name)
{
    const tensor *t = get(name);
    float *v = malloc(t->n * sizeof *v);
    for (size_t i = 0; i < t->n; i++)
        v[i] = (float)t->v[i];
    return v;
}

/* Compare got (double or float, n of them) with the reference tensor. */
static void compare(const char *label, const char *name, const double *gd,
                    const float *gf, double atol, double rtol)
{
    const tensor *t = get(name);
    double worst = 0, ratio = 0;
    size_t at = 0;
    for (size_t i = 0; i < t->n; i++) {
        double g = gd ? gd[i] : (double)gf[i];
        double d = fabs(g - t->v[i]);
        double lim = atol + rtol * fabs(t->v[i]);
        if (d > worst)
            worst = d;
        if (d / lim > ratio)
            ratio = d / lim, at = i;
    }
    printf("  %-6s %-22s n=%-5zu max |diff| %.3e  (%.2f of tolerance)\n",
           label, name, t->n, worst, ratio);
    CHECK_MSG(ratio <= 1.0, "%s %s[%zu]: got %.10g, torch %.10g", label, name,
              at, gd ? gd[at] : (double)gf[at], t->v[at]);
}

#define D_ATOL 1e-9
#define D_RTOL 1e-9
#define F_ATOL 1e-5
#define F_RTOL 1e-4

static void rnn_case(const char *kind)
{
    int lstm = strcmp(kind, "lstm") == 0;
    char n[64];
#define NAME(s) (snprintf(n, sizeof n, "%s.%s", kind, s), n)
    const tensor *tx = get(NAME("x")), *tw = get(NAME("w_hh"));
    int B = tx->dims[0], T = tx->dims[1], C = tx->dims[2], H = tw->dims[1];
    size_t G = (size_t)tw->dims[0], nx = tx->n, nout = (size_t)B * T * H;
    size_t cs = lstm ? sk__lstm_cache_size(B, T, C, H) : sk__gru_cache_size(B, T, C, H);

    /* double */
    double *x = copy_d(NAME("x")), *wih = copy_d(NAME("w_ih"));
    double *whh = copy_d(NAME("w_hh")), *bih = copy_d(NAME("b_ih"));
    double *bhh = copy_d(NAME("b_hh")), *g = copy_d(NAME("g"));
    double *out = calloc(nout, sizeof *out), *cache = calloc(cs, sizeof *cache);
    double *dx = calloc(nx, sizeof *dx), *dwih = calloc(G * C, sizeof *dwih);
    double *dwhh = calloc(G * H, sizeof *dwhh), *dbih = calloc(G, sizeof *dbih);
    double *dbhh = calloc(G, sizeof *dbhh);
    if (lstm) {
        sk__lstm_forward_d(out, cache, x, wih, whh, bih, bhh, B, T, C, H);
        sk__lstm_backward_d(dx, dwih, dwhh, dbih, dbhh, cache, g, out, x, wih,
                            whh, B, T, C, H);
    } else {
        sk__gru_forward_d(out, cache, x, wih, whh, bih, bhh, B, T, C, H);
        sk__gru_backward_d(dx, dwih, dwhh, dbih, dbhh, cache, g, out, x, wih,
                           whh, B, T, C, H);
    }
    compare("double", NAME("out"), out, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("dx"), dx, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("dw_ih"), dwih, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("dw_hh"), dwhh, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("db_ih"), dbih, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("db_hh"), dbhh, NULL, D_ATOL, D_RTOL);

    /* float */
    float *xf = copy_f(NAME("x")), *wihf = copy_f(NAME("w_ih"));
    float *whhf = copy_f(NAME("w_hh")), *bihf = copy_f(NAME("b_ih"));
    float *bhhf = copy_f(NAME("b_hh")), *gf = copy_f(NAME("g"));
    float *outf = calloc(nout, sizeof *outf), *cf = calloc(cs, sizeof *cf);
    float *dxf = calloc(nx, sizeof *dxf), *dwihf = calloc(G * C, sizeof *dwihf);
    float *dwhhf = calloc(G * H, sizeof *dwhhf), *dbihf = calloc(G, sizeof *dbihf);
    float *dbhhf = calloc(G, sizeof *dbhhf);
    if (lstm) {
        sk__lstm_forward_f(outf, cf, xf, wihf, whhf, bihf, bhhf, B, T, C, H);
        sk__lstm_backward_f(dxf, dwihf, dwhhf, dbihf, dbhhf, cf, gf, outf, xf,
                            wihf, whhf, B, T, C, H);
    } else {
        sk__gru_forward_f(outf, cf, xf, wihf, whhf, bihf, bhhf, B, T, C, H);
        sk__gru_backward_f(dxf, dwihf, dwhhf, dbihf, dbhhf, cf, gf, outf, xf,
                           wihf, whhf, B, T, C, H);
    }
    compare("float", NAME("out"), NULL, outf, F_ATOL, F_RTOL);
    compare("float", NAME("dx"), NULL, dxf, F_ATOL, F_RTOL);
    compare("float", NAME("dw_ih"), NULL, dwihf, F_ATOL, F_RTOL);
    compare("float", NAME("dw_hh"), NULL, dwhhf, F_ATOL, F_RTOL);
    compare("float", NAME("db_ih"), NULL, dbihf, F_ATOL, F_RTOL);
    compare("float", NAME("db_hh"), NULL, dbhhf, F_ATOL, F_RTOL);
#undef NAME
    free(x), free(wih), free(whh), free(bih), free(bhh), free(g), free(out);
    free(cache), free(dx), free(dwih), free(dwhh), free(dbih), free(dbhh);
    free(xf), free(wihf), free(whhf), free(bihf), free(bhhf), free(gf);
    free(outf), free(cf), free(dxf), free(dwihf), free(dwhhf), free(dbihf);
    free(dbhhf);
}

static void test_gru(void)
{
    rnn_case("gru");
}

static void test_lstm(void)
{
    rnn_case("lstm");
}

static void test_conv(void)
{
    const tensor *tx = get("conv.x"), *tw = get("conv.w"), *td = get("conv.dims");
    int B = tx->dims[0], T = tx->dims[1], C = tx->dims[2], O = tw->dims[0];
    int K = (int)td->v[0], d = (int)td->v[1];
    size_t nout = (size_t)B * T * O, cs = sk__conv_cache_size(B, T, C, O, K);
    double *x = copy_d("conv.x"), *w = copy_d("conv.w"), *b = copy_d("conv.b");
    double *g = copy_d("conv.g"), *out = calloc(nout, sizeof *out);
    double *cache = calloc(cs, sizeof *cache), *dx = calloc(tx->n, sizeof *dx);
    double *dw = calloc(tw->n, sizeof *dw), *db = calloc(O, sizeof *db);
    sk__conv_forward_d(out, cache, x, w, b, B, T, C, O, K, d);
    sk__conv_backward_d(dx, dw, db, cache, g, w, B, T, C, O, K, d);
    compare("double", "conv.out", out, NULL, D_ATOL, D_RTOL);
    compare("double", "conv.dx", dx, NULL, D_ATOL, D_RTOL);
    compare("double", "conv.dw", dw, NULL, D_ATOL, D_RTOL);
    compare("double", "conv.db", db, NULL, D_ATOL, D_RTOL);
    float *xf = copy_f("conv.x"), *wf = copy_f("conv.w"), *bf = copy_f("conv.b");
    float *gf = copy_f("conv.g"), *outf = calloc(nout, sizeof *outf);
    float *cf = calloc(cs, sizeof *cf), *dxf = calloc(tx->n, sizeof *dxf);
    float *dwf = calloc(tw->n, sizeof *dwf), *dbf = calloc(O, sizeof *dbf);
    sk__conv_forward_f(outf, cf, xf, wf, bf, B, T, C, O, K, d);
    sk__conv_backward_f(dxf, dwf, dbf, cf, gf, wf, B, T, C, O, K, d);
    compare("float", "conv.out", NULL, outf, F_ATOL, F_RTOL);
    compare("float", "conv.dx", NULL, dxf, F_ATOL, F_RTOL);
    compare("float", "conv.dw", NULL, dwf, F_ATOL, F_RTOL);
    compare("float", "conv.db", NULL, dbf, F_ATOL, F_RTOL);
    free(x), free(w), free(b), free(g), free(out), free(cache), free(dx);
    free(dw), free(db), free(xf), free(wf), free(bf), free(gf), free(outf);
    free(cf), free(dxf), free(dwf), free(dbf);
}

static void model_case(const char *arch)
{
    char n[64];
#define NAME(s) (snprintf(n, sizeof n, "model_%s.%s", arch, s), n)
    const tensor *tc = get(NAME("cfg"));
    sk_model_config cfg = {.arch = sk_arch_from_name(arch),
                           .input = (int)tc->v[0], .hidden = (int)tc->v[1],
                           .layers = (int)tc->v[2], .classes = (int)tc->v[3],
                           .window = (int)tc->v[4], .kernel = (int)tc->v[5]};
    const tensor *tp = get(NAME("params")), *ty = get(NAME("y"));
    size_t np = sk_model_param_count(&cfg);
    CHECK_EQ_INT(np, tp->n);
    if (np != tp->n)
        return;
    int B = (int)ty->n, K = cfg.classes;
    int *y = malloc(B * sizeof *y);
    for (int b = 0; b < B; b++)
        y[b] = (int)ty->v[b];

    /* double: the layers' double build through the model's pass */
    double *p = copy_d(NAME("params")), *x = copy_d(NAME("x"));
    double *ws = calloc(sk__net_ws_size(&cfg, B), sizeof *ws);
    double *probs = calloc((size_t)B * K, sizeof *probs);
    double *dp = calloc(np, sizeof *dp), *dx = calloc(get(NAME("x"))->n, sizeof *dx);
    double loss = sk__net_forward_d(probs, ws, &cfg, p, x, y, NULL, B, 0, NULL, 0);
    sk__net_backward_d(dp, dx, ws, &cfg, p, x, y, NULL, B, 0, 0);
    compare("double", NAME("probs"), probs, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("loss"), &loss, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("dparams"), dp, NULL, D_ATOL, D_RTOL);
    compare("double", NAME("dx"), dx, NULL, D_ATOL, D_RTOL);

    /* float: the trainer, on a model built by hand */
    sk_model m = {0};
    m.hdr.arch = cfg;
    m.nparams = np;
    m.params = copy_f(NAME("params"));
    float *xf = copy_f(NAME("x")), *pf = calloc((size_t)B * K, sizeof *pf);
    sk_trainer *t = NULL;
    CHECK_EQ_INT(sk_trainer_create(&t, &m, B), 0);
    if (t) {
        double lf = 0;
        CHECK_EQ_INT(sk_trainer_step(t, xf, y, NULL, B, 0, NULL, &lf, NULL), 0);
        CHECK_EQ_INT(sk_trainer_forward(t, xf, B, pf), 0);
        compare("float", NAME("probs"), NULL, pf, F_ATOL, F_RTOL);
        compare("float", NAME("loss"), &lf, NULL, F_ATOL, F_RTOL);
        compare("float", NAME("dparams"), NULL, sk_trainer_grads(t), F_ATOL,
                F_RTOL);
    }
#undef NAME
    sk_trainer_destroy(t);
    free(y), free(p), free(x), free(ws), free(probs), free(dp), free(dx);
    free(m.params), free(xf), free(pf);
}

static void test_model_gru(void)
{
    model_case("gru");
}

static void test_model_lstm(void)
{
    model_case("lstm");
}

static void test_model_tcn(void)
{
    model_case("tcn");
}

/* Usage: test_nn_torch [REFERENCE_FILE], default tests/data/torch_ref.bin
 * relative to the source tree (ctest runs there). */
int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : REF_PATH;
    int rc = load_ref(path);
    CHECK_MSG(rc == 0, "cannot read %s (run from the source tree; made by "
                       "tests/ref/make_torch_ref.py)", path);
    if (rc != 0)
        return check_report();
    RUN(test_gru);
    RUN(test_lstm);
    RUN(test_conv);
    RUN(test_model_gru);
    RUN(test_model_lstm);
    RUN(test_model_tcn);
    for (int i = 0; i < ntens; i++)
        free(tens[i].v);
    return check_report();
}
