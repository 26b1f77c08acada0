/* nn model object and model file: creation, initialisation, save/load. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "nn/model.h"
#include "skelact/nn.h"

static void make_header(sk_model_header *h, int arch)
{
    memset(h, 0, sizeof *h);
    h->arch.arch = arch;
    h->arch.input = 6;
    h->arch.hidden = 5;
    h->arch.layers = 2;
    h->arch.classes = 3;
    h->arch.window = 4;
    h->arch.kernel = arch == SK_ARCH_TCN ? 3 : 0;
    h->features.joint_set = SK_JOINTSET_KINECT1;
    h->features.center = 1;
    h->features.scale = 1;
    h->features.velocity = 1;
    h->features.fps = 30.0f;
    h->post.smooth = 0.5f;
    h->post.threshold = 0.6f;
    h->post.min_frames = 3;
    h->post.refractory = 10;
    h->nlabels = 3;
    strcpy(h->labels[0], "none");
    strcpy(h->labels[1], "wave");
    strcpy(h->labels[2], "kick");
}

static const int archs[] = {SK_ARCH_GRU, SK_ARCH_LSTM, SK_ARCH_TCN, SK_ARCH_BIGRU};
#define NARCHS ((int)(sizeof archs / sizeof archs[0]))

static void test_create(void)
{
    for (int ai = 0; ai < NARCHS; ai++) {
        sk_model_header h;
        make_header(&h, archs[ai]);
        sk_model *a = NULL, *b = NULL, *c = NULL;
        CHECK_EQ_INT(sk_model_create(&a, &h, 42), 0);
        CHECK_EQ_INT(sk_model_create(&b, &h, 42), 0);
        CHECK_EQ_INT(sk_model_create(&c, &h, 43), 0);
        if (!a || !b || !c)
            goto next;
        size_t n = sk_model_nparams(a);
        CHECK_EQ_INT(n, sk_model_param_count(&h.arch));
        CHECK(n > 0);
        CHECK(!memcmp(sk_model_params(a), sk_model_params(b), n * sizeof(float)));
        CHECK(memcmp(sk_model_params(a), sk_model_params(c), n * sizeof(float)));
        CHECK(!memcmp(sk_model_header_get(a), &h, sizeof h));
        /* Every weight inside PyTorch's bound, and not all tiny. */
        sk__param_table t;
        sk__param_table_fill(&h.arch, &t);
        const float *p = sk_model_params(a);
        float hb = 1.0f / sqrtf((float)h.arch.hidden), maxabs = 0;
        for (size_t i = 0; i < n; i++) {
            float bound = hb;
            if (archs[ai] == SK_ARCH_TCN && i < t.w_out) {
                size_t fan = (size_t)(i < t.layer[1].w_ih ? h.arch.input : h.arch.hidden) *
                             (size_t)h.arch.kernel;
                bound = 1.0f / sqrtf((float)fan);
            }
            CHECK_MSG(fabsf(p[i]) <= bound, "param %zu = %g, bound %g", i,
                      (double)p[i], (double)bound);
            if (fabsf(p[i]) > maxabs)
                maxabs = fabsf(p[i]);
        }
        CHECK(maxabs > 0.5f * (1.0f / sqrtf(6.0f * 3.0f)));
    next:
        sk_model_destroy(a);
        sk_model_destroy(b);
        sk_model_destroy(c);
    }
    sk_model_destroy(NULL);
}

static void test_create_rejects(void)
{
    sk_model_header h, bad;
    make_header(&h, SK_ARCH_GRU);
    sk_model *m = (sk_model *)&h;
#define REJECT(stmt)                                   \
    do {                                               \
        bad = h;                                       \
        stmt;                                          \
        m = (sk_model *)&h;                            \
        CHECK_EQ_INT(sk_model_create(&m, &bad, 1), SK_EINVAL); \
        CHECK(m == NULL);                              \
    } while (0)
    REJECT(bad.arch.arch = 0);
    REJECT(bad.arch.arch = SK_ARCH_DTW); /* 2 layers, window features */
    REJECT(bad.arch.input = 0);
    REJECT(bad.arch.hidden = -3);
    REJECT(bad.arch.layers = 17);
    REJECT(bad.arch.classes = 1);
    REJECT(bad.arch.window = 0);
    REJECT(bad.nlabels = 2);
    REJECT(bad.labels[1][0] = '\0');
    REJECT(memset(bad.labels[2], 'x', SK_LABEL_LEN));
    REJECT(bad.features.joint_set = 7);
    REJECT(bad.features.fps = 0.0f);
    REJECT(bad.features.fps = NAN);
    REJECT(bad.features.rotate = 2);
    REJECT(bad.post.smooth = 1.5f);
    REJECT(bad.post.threshold = NAN);
    REJECT(bad.post.min_frames = -1);
    REJECT(bad.arch.arch = SK_ARCH_TCN; bad.arch.kernel = 0);
    REJECT(bad.arch.pool = 2);
    REJECT(bad.arch.pool = -1);
#undef REJECT
    CHECK_EQ_INT(sk_model_create(&m, &h, 1), 0);
    sk_model_destroy(m);
}


/* ---- files -------------------------------------------------------------- */

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return b;
}

static int write_all(const char *path, const void *b, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t w = fwrite(b, 1, len, fp);
    return fclose(fp) == 0 && w == len ? 0 : -1;
}

/* The textbook bitwise CRC-32 (zlib's), independent of the library's. */
static uint32_t ref_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return ~c;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the trailing CRC after editing a file image. */
static void refix(uint8_t *b, size_t len)
{
    wr32(b + len - 4, ref_crc32(b, len - 4));
}

/* A small saved model of arch as a file image (caller frees). */
static uint8_t *small_file(int arch, size_t *len, sk_model **keep)
{
    sk_model_header h;
    make_header(&h, arch);
    sk_model *m = NULL;
    char err[256] = "";
    uint8_t *b = NULL;
    if (sk_model_create(&m, &h, 7) != 0)
        return NULL;
    const char *p = tmp_path("small.model");
    if (sk_model_save(m, p, err, sizeof err) == 0)
        b = read_all(p, len);
    CHECK_MSG(b != NULL, "save: %s", err);
    if (keep)
        *keep = m;
    else
        sk_model_destroy(m);
    return b;
}

static void test_crc_vector(void)
{
    CHECK_EQ_INT(ref_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
}

static void test_round_trip(void)
{
    for (int ai = 0; ai < NARCHS; ai++) {
        sk_model_header h;
        make_header(&h, archs[ai]);
        h.arch.hidden = 7 + ai;
        h.features.rotate = ai & 1;
        h.features.frame_norm = ai == 2;
        h.features.retarget = ai == 1;
        h.features.root_motion = ai == 0;
        h.post.smooth = 0.1f * (float)ai + 0.05f;
        sk_model *m = NULL, *r = NULL;
        char err[256] = "";
        CHECK_EQ_INT(sk_model_create(&m, &h, 1000 + (uint64_t)ai), 0);
        if (!m)
            continue;
        /* Weights of every magnitude and sign survive bit for bit. */
        float *p = sk_model_params(m);
        p[0] = -0.0f;
        p[1] = 1e-38f;
        p[2] = 3.4e38f;
        p[3] = 1.17549435e-38f / 4; /* subnormal */
        const char *path = tmp_path("rt.model");
        CHECK_EQ_INT(sk_model_save(m, path, err, sizeof err), 0);
        /* Saving over an existing file replaces it (atomically). */
        CHECK_EQ_INT(sk_model_save(m, path, err, sizeof err), 0);
        CHECK_EQ_INT(sk_model_load(&r, path, err, sizeof err), 0);
        if (r) {
            CHECK(!memcmp(sk_model_header_get(r), sk_model_header_get(m),
                          sizeof(sk_model_header)));
            CHECK_EQ_INT(sk_model_nparams(r), sk_model_nparams(m));
            CHECK(!memcmp(sk_model_params(r), sk_model_params(m),
                          sk_model_nparams(m) * sizeof(float)));
        }
        /* The layout of docs/MODEL_FORMAT.md, byte by byte. */
        size_t len = 0;
        uint8_t *b = read_all(path, &len);
        CHECK(b != NULL);
        if (b) {
            size_t np = sk_model_nparams(m);
            CHECK_EQ_INT(len, 16 + 72 + 3 * 32 + 4 * np + 4);
            CHECK(!memcmp(b, "SKMODEL\0", 8));
            CHECK_EQ_INT(b[8] | b[9] << 8, 1);
            CHECK_EQ_INT(b[10] | b[11] << 8, 0);
            CHECK_EQ_INT(rd32(b + 12), 72);
            CHECK_EQ_INT(rd32(b + 16), archs[ai]);
            CHECK_EQ_INT(rd32(b + 20), 6);
            CHECK_EQ_INT(rd32(b + 24), 7 + ai);
            CHECK_EQ_INT(rd32(b + 44), SK_JOINTSET_KINECT1);
            CHECK_EQ_INT(rd32(b + 48),
                         1 | 2 | (ai & 1) << 2 | 8 | (ai == 2) << 4 | (ai == 1) << 5 |
                             (ai == 0) << 6);
            CHECK_EQ_INT(rd32(b + 72), 3);
            CHECK_EQ_INT(rd32(b + 76), 32);
            CHECK_EQ_INT(rd32(b + 80), np);
            CHECK_EQ_INT(rd32(b + 84), 0);
            CHECK(!strcmp((const char *)b + 88 + 32, "wave"));
            float w1;
            memcpy(&w1, b + 88 + 96 + 4, 4); /* little-endian host */
            CHECK(w1 == 1e-38f);
            CHECK_EQ_INT(rd32(b + len - 4), ref_crc32(b, len - 4));
            free(b);
        }
        sk_model_destroy(r);
        sk_model_destroy(m);
    }
    /* No temporary files left behind. */
    struct stat st;
    char probe[600];
    snprintf(probe, sizeof probe, "%s.tmp.%ld.0", tmp_path("rt.model"),
             (long)getpid());
    CHECK(stat(probe, &st) != 0);
}

/* Expect load_mem to fail with SK_EFORMAT and a message containing want. */
static void expect_reject(const uint8_t *b, size_t len, const char *want,
                          const char *what)
{
    sk_model *m = (sk_model *)&m;
    char err[256] = "";
    int rc = sk_model_load_mem(&m, b, len, err, sizeof err);
    CHECK_MSG(rc == SK_EFORMAT, "%s: rc %d (%s)", what, rc, err);
    CHECK_MSG(m == NULL, "%s: model not NULL", what);
    CHECK_MSG(err[0] && !strchr(err, '\n'), "%s: no one-line message", what);
    if (want)
        CHECK_MSG(strstr(err, want) != NULL, "%s: message '%s' lacks '%s'", what,
                  err, want);
    sk_model_destroy(m == (sk_model *)&m ? NULL : m);
}

static void test_truncated(void)
{
    for (int ai = 0; ai < NARCHS; ai++) {
        size_t len = 0;
        uint8_t *b = small_file(archs[ai], &len, NULL);
        if (!b)
            continue;
        int bad = check_failed;
        for (size_t n = 0; n < len && check_failed == bad; n++) {
            /* A copy of exactly n bytes, so ASan sees any overread. */
            uint8_t *c = malloc(n ? n : 1);
            memcpy(c, b, n);
            expect_reject(c, n, NULL, "truncated");
            free(c);
        }
        /* One extra byte is rejected too. */
        uint8_t *c = malloc(len + 1);
        memcpy(c, b, len);
        c[len] = 0;
        expect_reject(c, len + 1, "after the checksum", "trailing byte");
        free(c);
        free(b);
    }
}

static void test_flipped(void)
{
    size_t len = 0;
    uint8_t *b = small_file(SK_ARCH_GRU, &len, NULL);
    if (!b)
        return;
    int bad = check_failed;
    for (size_t i = 0; i < len && check_failed == bad; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            b[i] ^= (uint8_t)(1u << bit);
            expect_reject(b, len, NULL, "flipped bit");
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* Past the preamble, a flipped weight byte is caught by the CRC. */
    b[len - 10] ^= 0x40;
    expect_reject(b, len, "checksum", "flipped weight");
    b[len - 10] ^= 0x40;
    sk_model *m = NULL;
    char err[256];
    CHECK_EQ_INT(sk_model_load_mem(&m, b, len, err, sizeof err), 0);
    sk_model_destroy(m);
    free(b);
}

static void test_foreign(void)
{
    const char *csv = "0.1,0.2,0.3,0.4\n0.5,0.6,0.7,0.8\n";
    expect_reject((const uint8_t *)csv, strlen(csv), "not a skelact model",
                  "csv text");
    uint8_t rnd[300];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof rnd; i++) {
        x = x * 1103515245u + 12345u;
        rnd[i] = (uint8_t)(x >> 16);
    }
    expect_reject(rnd, sizeof rnd, "not a skelact model", "random bytes");
    expect_reject((const uint8_t *)"", 0, "empty", "empty");
    sk_model *m = NULL;
    char err[512] = "";
    CHECK_EQ_INT(sk_model_load_mem(&m, NULL, 0, err, sizeof err), SK_EFORMAT);

    /* A real PRECOG recording, through the file path: the message names it. */
    const char *d = getenv("SK_DATA_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/precog/Seq1_1.csv", d ? d : "../shared/data");
    struct stat st;
    if (stat(path, &st) == 0) {
        CHECK_EQ_INT(sk_model_load(&m, path, err, sizeof err), SK_EFORMAT);
        CHECK(m == NULL);
        CHECK_MSG(strstr(err, path) && strstr(err, "not a skelact model"), "%s",
                  err);
    } else {
        printf("note: %s missing, PRECOG case skipped\n", path);
    }
    CHECK_EQ_INT(sk_model_load(&m, tmp_path("no-such.model"), err, sizeof err),
                 SK_EIO);
    CHECK(strstr(err, "no-such.model") != NULL);
    CHECK_EQ_INT(sk_model_load(&m, tmpdir, err, sizeof err), SK_EIO);
    CHECK(m == NULL);
    /* A FIFO with no writer is refused at once, not waited on. */
    const char *fifo = tmp_path("fifo.model");
    if (mkfifo(fifo, 0600) == 0) {
        CHECK_EQ_INT(sk_model_load(&m, fifo, err, sizeof err), SK_EIO);
        CHECK(strstr(err, "not a regular file") != NULL);
    }
    /* A 3 GiB (sparse) file is refused from its size, before reading. */
    const char *big = tmp_path("big.model");
    FILE *fp = fopen(big, "wb");
    if (fp && fwrite("SKMODEL", 1, 8, fp) == 8 && fflush(fp) == 0 &&
        ftruncate(fileno(fp), (off_t)3 << 30) == 0) {
        fclose(fp);
        CHECK_EQ_INT(sk_model_load(&m, big, err, sizeof err), SK_EFORMAT);
        CHECK_MSG(strstr(err, "too big") != NULL, "%s", err);
        unlink(big);
    } else if (fp) {
        fclose(fp);
        printf("note: no sparse 3 GiB file here, size limit case skipped\n");
    }
}

static void test_inconsistent(void)
{
    size_t len = 0;
    uint8_t *b = small_file(SK_ARCH_GRU, &len, NULL);
    if (!b)
        return;
    uint8_t *c = malloc(len + 64);
    enum { F = 16, L = 88 }; /* fields, labels */
#define EDIT(stmt, want)                  \
    do {                                  \
        memcpy(c, b, len);                \
        stmt;                             \
        refix(c, len);                    \
        expect_reject(c, len, want, #stmt); \
    } while (0)
    EDIT(wr32(c + F + 0, 9), "architecture");
    /* a network's file relabelled dtw: its layers and features do not fit */
    EDIT(wr32(c + F + 0, SK_ARCH_DTW), "a dtw model has 1 layer");
    EDIT(wr32(c + F + 0, SK_ARCH_LSTM), "parameters stored");
    EDIT(wr32(c + F + 4, 7), "parameters stored");
    EDIT(wr32(c + F + 8, 0), "hidden");
    EDIT(wr32(c + F + 8, 0x80000000u), "hidden");
    EDIT(wr32(c + F + 12, 99), "layer");
    EDIT(wr32(c + F + 16, 4), "label names for 4 classes");
    EDIT(wr32(c + F + 20, 0), "window");
    EDIT(wr32(c + F + 28, 3), "joint set");
    EDIT(wr32(c + F + 32, 0x80), "feature switches");
    EDIT(wr32(c + F + 32, 0x20), "retarget needs center and scale");
    EDIT(wr32(c + F + 36, 0x7fc00000u), "frame rate"); /* NaN */
    EDIT(wr32(c + F + 40, 0x40000000u), "smoothing");  /* 2.0 */
    EDIT(wr32(c + F + 48, 0xffffffffu), "min_frames");
    EDIT(wr32(c + F + 52, 1000000), "refractory");
    EDIT(memset(c + L + 32, 'x', 32), "not NUL-terminated");
    EDIT(c[L + 64] = 0, "empty");
    EDIT(c[L + 65] = '\n', "control");
    EDIT(wr32(c + L + 96 + 20, 0x7f800000u), "not finite"); /* +inf */
    EDIT(wr32(c + L + 96 + 24, 0xffc00000u), "not finite"); /* NaN */
    EDIT(c[8] = 3, "newer");
    EDIT(c[8] = 2, "fields size"); /* 2.0 has 76 bytes of fields */
    EDIT(c[8] = 0, "format 0.0");
    EDIT(wr32(c + 12, 40), "fields size");
    EDIT(wr32(c + F + 56, 65), "labels exceed");
    EDIT(wr32(c + F + 60, 0), "label slot");
    EDIT(wr32(c + F + 64, 1000000000u), "parameters exceed");
    EDIT(wr32(c + F + 64, 100000000u), "truncated");
    EDIT(wr32(c + F + 68, 1), "parameters exceed");
    EDIT(wr32(c + F + 64, rd32(b + F + 64) - 1), "unexpected bytes");
#undef EDIT
    free(c);
    free(b);
}

/* A file claiming a billion parameters: rejected from its header alone,
 * before any allocation (the file is only a header). */
static void test_billion(void)
{
    uint8_t b[16 + 72 + 3 * 32 + 4] = {0};
    size_t len = 0;
    uint8_t *real = small_file(SK_ARCH_GRU, &len, NULL);
    if (!real)
        return;
    memcpy(b, real, 16 + 72 + 96);
    free(real);
    /* 1e9 parameters with a matching hidden size (gru, H = 12900). */
    wr32(b + 16 + 8, 12900);
    wr32(b + 16 + 64, 1000000000u);
    refix(b, sizeof b);
    expect_reject(b, sizeof b, "exceed", "billion params");
    /* Within the limit but far beyond the file: truncated, no allocation. */
    wr32(b + 16 + 8, 4000);
    wr32(b + 16 + 64, 200000000u);
    refix(b, sizeof b);
    expect_reject(b, sizeof b, "truncated", "200M params");
}

/* A pooled head (pool mean) is written as format 2.0: 1.0's fields, then
 * pool (u32) at offset 88, fields_size 76; it round-trips, its pool value
 * is checked, a 1.0 file loads as pool last, and a model with the head on
 * the last step is still written as 1.0, byte for byte as before. */
static void test_pool_format(void)
{
    for (int ai = 0; ai < NARCHS; ai++) {
        sk_model_header h;
        make_header(&h, archs[ai]);
        h.arch.pool = SK_POOL_MEAN;
        sk_model *m = NULL, *r = NULL;
        char err[256] = "";
        CHECK_EQ_INT(sk_model_create(&m, &h, 40 + (uint64_t)ai), 0);
        if (!m)
            continue;
        const char *path = tmp_path("pool.model");
        CHECK_EQ_INT(sk_model_save(m, path, err, sizeof err), 0);
        CHECK_EQ_INT(sk_model_load(&r, path, err, sizeof err), 0);
        if (r) {
            CHECK_EQ_INT(sk_model_header_get(r)->arch.pool, SK_POOL_MEAN);
            CHECK(!memcmp(sk_model_header_get(r), sk_model_header_get(m),
                          sizeof(sk_model_header)));
            CHECK(!memcmp(sk_model_params(r), sk_model_params(m),
                          sk_model_nparams(m) * sizeof(float)));
        }
        sk_model_destroy(r);
        size_t len = 0, np = sk_model_nparams(m);
        uint8_t *b = read_all(path, &len);
        CHECK(b != NULL);
        if (b) {
            CHECK_EQ_INT(len, 16 + 76 + 3 * 32 + 4 * np + 4);
            CHECK_EQ_INT(b[8] | b[9] << 8, 2);
            CHECK_EQ_INT(b[10] | b[11] << 8, 0);
            CHECK_EQ_INT(rd32(b + 12), 76);
            CHECK_EQ_INT(rd32(b + 16), archs[ai]);
            CHECK_EQ_INT(rd32(b + 88), SK_POOL_MEAN);
            CHECK(!strcmp((const char *)b + 92 + 32, "wave"));
            CHECK_EQ_INT(rd32(b + len - 4), ref_crc32(b, len - 4));
            uint8_t *c = malloc(len);
            memcpy(c, b, len);
            wr32(c + 88, 2);
            refix(c, len);
            expect_reject(c, len, "pooling 2 unknown", "pool 2");
            memcpy(c, b, len);
            wr32(c + 88, 0x80000001u);
            refix(c, len);
            expect_reject(c, len, "pooling", "pool 2^31+1");
            /* pool last in a 2.0 file is valid too (a writer may use it). */
            memcpy(c, b, len);
            wr32(c + 88, SK_POOL_LAST);
            refix(c, len);
            CHECK_EQ_INT(sk_model_load_mem(&r, c, len, err, sizeof err), 0);
            CHECK(r && sk_model_header_get(r)->arch.pool == SK_POOL_LAST);
            sk_model_destroy(r);
            r = NULL;
            /* Marked 1.x, the same bytes are a 1.0 file with 4 bytes of a
             * newer minor's fields, which a 1.x reader skips: the head is
             * the last step, whatever those bytes hold. */
            memcpy(c, b, len);
            c[8] = 1;
            refix(c, len);
            CHECK_EQ_INT(sk_model_load_mem(&r, c, len, err, sizeof err), 0);
            CHECK(r && sk_model_header_get(r)->arch.pool == SK_POOL_LAST);
            sk_model_destroy(r);
            r = NULL;
            free(c);
            free(b);
        }
        sk_model_destroy(m);
    }
    /* The last-step head: still format 1.0. */
    size_t len = 0;
    uint8_t *b = small_file(SK_ARCH_GRU, &len, NULL);
    if (b) {
        CHECK_EQ_INT(b[8] | b[9] << 8, 1);
        CHECK_EQ_INT(rd32(b + 12), 72);
        sk_model *r = NULL;
        char err[256] = "";
        CHECK_EQ_INT(sk_model_load_mem(&r, b, len, err, sizeof err), 0);
        CHECK(r && sk_model_header_get(r)->arch.pool == SK_POOL_LAST);
        sk_model_destroy(r);
        free(b);
    }
}

/* Format 1.1 with 8 more header bytes: a 1.0 reader skips them. */
static void test_newer_minor(void)
{
    sk_model *m = NULL, *r = NULL;
    size_t len = 0;
    uint8_t *b = small_file(SK_ARCH_TCN, &len, &m);
    if (!b || !m) {
        free(b);
        sk_model_destroy(m);
        return;
    }
    uint8_t *c = malloc(len + 8);
    memcpy(c, b, 88);
    memset(c + 88, 0xAB, 8);
    memcpy(c + 96, b + 88, len - 88);
    c[10] = 1;         /* minor 1 */
    wr32(c + 12, 80); /* fields_size */
    refix(c, len + 8);
    char err[256] = "";
    CHECK_EQ_INT(sk_model_load_mem(&r, c, len + 8, err, sizeof err), 0);
    if (r) {
        CHECK(!memcmp(sk_model_header_get(r), sk_model_header_get(m),
                      sizeof(sk_model_header)));
        CHECK(!memcmp(sk_model_params(r), sk_model_params(m),
                      sk_model_nparams(m) * 4));
    }
    sk_model_destroy(r);
    /* Wider label slots (a build with a larger SK_LABEL_LEN) load too. */
    size_t np = sk_model_nparams(m);
    size_t len2 = 88 + 3 * 48 + 4 * np + 4;
    uint8_t *d = calloc(1, len2);
    memcpy(d, b, 88);
    wr32(d + 16 + 60, 48);
    for (int i = 0; i < 3; i++)
        memcpy(d + 88 + 48 * i, b + 88 + 32 * i, 32);
    memcpy(d + 88 + 144, b + 88 + 96, 4 * np);
    refix(d, len2);
    r = NULL;
    CHECK_EQ_INT(sk_model_load_mem(&r, d, len2, err, sizeof err), 0);
    CHECK(r && !memcmp(sk_model_header_get(r), sk_model_header_get(m),
                       sizeof(sk_model_header)));
    sk_model_destroy(r);
    /* ... but a name longer than this build holds is refused. */
    memset(d + 88 + 48, 'y', 40);
    d[88 + 48 + 40] = 0;
    refix(d, len2);
    expect_reject(d, len2, "longer than", "long label");
    free(d);
    free(c);
    free(b);
    sk_model_destroy(m);
}

static void test_save_errors(void)
{
    sk_model_header h;
    make_header(&h, SK_ARCH_LSTM);
    sk_model *m = NULL;
    char err[512] = "";
    CHECK_EQ_INT(sk_model_create(&m, &h, 3), 0);
    if (!m)
        return;
    CHECK_EQ_INT(sk_model_save(m, tmp_path("no/such/dir.model"), err, sizeof err),
                 SK_EIO);
    CHECK(strstr(err, "dir.model") != NULL);
    sk_model_params(m)[5] = NAN;
    CHECK_EQ_INT(sk_model_save(m, tmp_path("nan.model"), err, sizeof err),
                 SK_EINVAL);
    struct stat st;
    CHECK(stat(tmp_path("nan.model"), &st) != 0);
    sk_model_destroy(m);
}

/* Run a shell command; return its exit status and its stdout in out. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_info(void)
{
    const char *bin = getenv("SK_BIN");
    if (!bin) {
        printf("note: SK_BIN not set, skelact info not tested\n");
        return;
    }
    sk_model_header h;
    make_header(&h, SK_ARCH_TCN);
    strcpy(h.labels[2], "say \"hi\"");
    sk_model *m = NULL;
    char err[256], cmd[2048], out[8192];
    CHECK_EQ_INT(sk_model_create(&m, &h, 3), 0);
    const char *path = tmp_path("info.model");
    CHECK_EQ_INT(sk_model_save(m, path, err, sizeof err), 0);
    sk_model_destroy(m);
    snprintf(cmd, sizeof cmd, "'%s' info '%s'", bin, path);
    CHECK_EQ_INT(run(cmd, out, sizeof out), 0);
    CHECK(strstr(out, "tcn") != NULL);
    CHECK(strstr(out, "    1  wave") != NULL);
    CHECK(strstr(out, "    2  say \"hi\"") != NULL);
    CHECK(strstr(out, "kinect1") != NULL);
    CHECK(strstr(out, "dilations 1, 2") != NULL);
    CHECK(strstr(out, "threshold 0.6") != NULL);
    snprintf(cmd, sizeof cmd, "'%s' info --json '%s'", bin, path);
    CHECK_EQ_INT(run(cmd, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "\"labels\":[\"none\",\"wave\",\"say \\\"hi\\\"\"]") != NULL,
              "%s", out);
    CHECK(strstr(out, "\"arch\":\"tcn\"") != NULL);
    CHECK(strstr(out, "\"frame_norm\":false") != NULL);
    CHECK(strstr(out, "\"pool\":\"last\"") != NULL);
    /* A pooled head shows in both forms. */
    h.arch.pool = SK_POOL_MEAN;
    CHECK_EQ_INT(sk_model_create(&m, &h, 3), 0);
    const char *ppath = tmp_path("info_pool.model");
    CHECK_EQ_INT(sk_model_save(m, ppath, err, sizeof err), 0);
    sk_model_destroy(m);
    snprintf(cmd, sizeof cmd, "'%s' info '%s'", bin, ppath);
    CHECK_EQ_INT(run(cmd, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "(pool mean)") != NULL, "%s", out);
    snprintf(cmd, sizeof cmd, "'%s' info --json '%s'", bin, ppath);
    CHECK_EQ_INT(run(cmd, out, sizeof out), 0);
    CHECK_MSG(strstr(out, "\"pool\":\"mean\"") != NULL, "%s", out);

    /* A corrupt file: exit 2 and one line on stderr naming the file. */
    size_t len = 0;
    uint8_t *b = read_all(path, &len);
    if (b) {
        b[len / 2] ^= 1;
        const char *bad = tmp_path("corrupt.model");
        CHECK(write_all(bad, b, len) == 0);
        free(b);
        snprintf(cmd, sizeof cmd, "'%s' info '%s' 2>&1 >/dev/null", bin, bad);
        CHECK_EQ_INT(run(cmd, out, sizeof out), 2);
        CHECK_MSG(strstr(out, "corrupt.model") && strchr(out, '\n') &&
                      strchr(out, '\n')[1] == '\0',
                  "%s", out);
    }
    snprintf(cmd, sizeof cmd, "'%s' info '%s' 2>&1", bin,
             tmp_path("missing.model"));
    CHECK_EQ_INT(run(cmd, out, sizeof out), 2);
    snprintf(cmd, sizeof cmd, "'%s' info 2>&1", bin);
    CHECK_EQ_INT(run(cmd, out, sizeof out), 2);
}

static void cleanup(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sk_test_nn_model.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_create);
    RUN(test_create_rejects);
    RUN(test_crc_vector);
    RUN(test_round_trip);
    RUN(test_truncated);
    RUN(test_flipped);
    RUN(test_foreign);
    RUN(test_inconsistent);
    RUN(test_billion);
    RUN(test_newer_minor);
    RUN(test_pool_format);
    RUN(test_save_errors);
    RUN(test_info);
    cleanup();
    return check_report();
}
