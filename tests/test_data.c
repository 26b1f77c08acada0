/* data: PRECOG, MSR Action3D, seed text and skrec readers, the recorder,
 * format detection, the MSR clip list. The bundled data/precog takes cover
 * most of it; the tests that need ../shared/data (all 54 PRECOG takes, MSR
 * Action3D) run when it is there. Without it, the rest still runs: a failure
 * exits 1, else the test exits 77 (skipped) to say it did not run whole. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "data/reader.h"
#include "skelact/codec.h"
#include "skelact/data.h"

/* Run a test function that takes an argument, printing its name. */
#define RUN_ARG(fn, arg)                                                     \
    do {                                                                     \
        int before_ = check_failed;                                          \
        fn(arg);                                                             \
        printf("%s %s\n", check_failed == before_ ? "ok  " : "FAIL", #fn);   \
    } while (0)

static char err[512];
static char tmpdir[1024];

/* ---- helpers -------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    fclose(fp);
    if (len)
        *len = (size_t)n;
    return buf;
}

static int spit(const char *path, const void *buf, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    size_t w = fwrite(buf, 1, len, fp);
    return fclose(fp) == 0 && w == len ? 0 : -1;
}

static const char *tmp_path(const char *name)
{
    static char path[2][1200];
    static int k;
    k ^= 1;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    return path[k];
}

/* Lines in a file, counting a last line without '\n'. */
static int count_lines(const char *buf, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n + (len > 0 && buf[len - 1] != '\n');
}

static int same_bits(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Check t against the CSV text with an independent reader (strtok, strtof,
 * atoi): every number bit for bit, every label. Returns mismatches. */
static int precog_compare(const sk_take *t, const char *path)
{
    size_t len;
    char *buf = slurp(path, &len);
    if (!buf)
        return 1;
    int bad = 0, frame = 0;
    char *save = NULL;
    char *line = strtok_r(buf, "\n", &save); /* the header */
    while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
        if (frame >= t->nframes) {
            bad++;
            break;
        }
        const sk_frame *f = &t->frames[frame];
        char *save2 = NULL, *field = strtok_r(line, ";", &save2);
        for (int j = 0; j < 20 && field; j++, field = strtok_r(NULL, ";", &save2)) {
            char *p = field;
            float v[3];
            for (int k = 0; k < 3; k++)
                v[k] = strtof(p, &p);
            const sk_joint *jt = &f->bodies[0].joints[j];
            if (!same_bits(jt->x, v[0]) || !same_bits(jt->y, v[1]) ||
                !same_bits(jt->z, v[2]) || jt->state != SK_TRACK_TRACKED)
                bad++;
        }
        if (!field || atoi(field) != t->labels[frame])
            bad++;
        frame++;
    }
    free(buf);
    return bad + (frame != t->nframes);
}

static const char *data_dir_or_null(void)
{
    const char *d = getenv("SK_DATA_DIR");
    if (!d)
        d = "../shared/data";
    char probe[2048];
    snprintf(probe, sizeof probe, "%s/README.md", d);
    FILE *fp = fopen(probe, "r");
    if (!fp)
        return NULL;
    fclose(fp);
    return d;
}

/* ---- names and detection -------------------------------------------------- */

static void test_format_names(void)
{
    const char *names[] = {"auto", "precog", "msr", "text", "skrec"};
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(sk_format_from_name(names[i]), i);
        CHECK(sk_format_name(i) && !strcmp(sk_format_name(i), names[i]));
    }
    CHECK_EQ_INT(sk_format_from_name("csv"), -1);
    CHECK_EQ_INT(sk_format_from_name(NULL), -1);
    CHECK(sk_format_name(5) == NULL && sk_format_name(-1) == NULL);
}

static void test_detect(void)
{
    CHECK_EQ_INT(sk_format_detect("x.bin", "SKREC\r\n\x1a\x01", 9), SK_FORMAT_SKREC);
    CHECK_EQ_INT(sk_format_detect("x.skrec", "garbage", 7), SK_FORMAT_SKREC);
    CHECK_EQ_INT(sk_format_detect("a.csv", "HipCenter; Spine", 16), SK_FORMAT_PRECOG);
    CHECK_EQ_INT(sk_format_detect(NULL, "\xEF\xBB\xBFHipCenter;Spine", 18),
                 SK_FORMAT_PRECOG);
    CHECK_EQ_INT(sk_format_detect("dir/a01_s01_e01_skeleton3D.txt", "-0.3 0.3 2.6 1", 14),
                 SK_FORMAT_MSR);
    CHECK_EQ_INT(sk_format_detect("take.txt", "0.1,0.2,0.3", 11), SK_FORMAT_TEXT);
    CHECK_EQ_INT(sk_format_detect("a.csv", "HipCenterX;", 11), SK_FORMAT_TEXT);
    CHECK_EQ_INT(sk_format_detect(NULL, NULL, 0), SK_FORMAT_TEXT);
}

static void test_name_parse(void)
{
    sk_take t = {0};
    sk_take_name_parse(&t, "/some/dir/Seq3_8.csv");
    CHECK(t.routine == 3 && t.subject == 8 && t.action == 0 && t.trial == 0);
    sk_take_name_parse(&t, "a12_s07_e03_skeleton3D.txt");
    CHECK(t.action == 12 && t.subject == 7 && t.trial == 3 && t.routine == 0);
    sk_take_name_parse(&t, "a12_s07_e03");
    CHECK(t.action == 12 && t.subject == 7 && t.trial == 3);
    sk_take_name_parse(&t, "Sequence.csv");
    CHECK(t.routine == 0 && t.subject == 0);
    sk_take_name_parse(&t, "abc_s1_e2");
    CHECK(t.action == 0 && t.subject == 0);
    sk_take_name_parse(&t, NULL);
    CHECK(t.subject == 0);
}

/* ---- number parsing ------------------------------------------------------- */

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void test_parse_float(void)
{
    /* Against strtof, bit for bit, on the ways numbers get printed. */
    const char *fmts[] = {"%.7g", "%.9g", "%f", "%e", "%.3f", "%.12g", "%G"};
    int bad = 0;
    char s[128];
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = rng();
        float x;
        if (i % 2) {
            x = (float)((double)(int32_t)rng() / 2147483648.0 * 4.0); /* like joints */
        } else {
            memcpy(&x, &bits, sizeof x);
            if (!isfinite(x))
                continue;
        }
        snprintf(s, sizeof s, fmts[i % 7], (double)x);
        const char *p = s;
        float got = 0;
        float want = strtof(s, NULL);
        if (sk__parse_float(&p, s + strlen(s), &got) != 0 || !same_bits(got, want) ||
            *p != '\0') {
            if (bad++ < 5)
                fprintf(stderr, "parse_float(\"%s\") = %.9g, strtof %.9g\n", s,
                        (double)got, (double)want);
        }
    }
    CHECK_EQ_INT(bad, 0);
    const char *good[] = {"-8.986052E-05", "0", "-0", "+1.5", "1e-50", ".5", "5.",
                          "123456789012345678901234567890",
                          "0.000000000000000000000000000000000000000000001",
                          "3.4028234e38", "1.00000005960464477539062500001"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        const char *p = good[i];
        float got = 1;
        int rc = sk__parse_float(&p, good[i] + strlen(good[i]), &got);
        CHECK_MSG(rc == 0 && same_bits(got, strtof(good[i], NULL)), "%s", good[i]);
    }
    const char *badv[] = {"", "-", ".", "nan", "inf", "-Infinity", "1e", "1e+",
                          "1e99", "0x10", "e5", "--1"};
    for (size_t i = 0; i < sizeof badv / sizeof *badv; i++) {
        const char *p = badv[i];
        float got;
        int rc = sk__parse_float(&p, badv[i] + strlen(badv[i]), &got);
        /* "0x10" parses as 0 followed by "x10": the caller rejects the rest. */
        if (!strcmp(badv[i], "0x10"))
            CHECK(rc == 0 && *p == 'x');
        else
            CHECK_MSG(rc != 0, "accepted \"%s\"", badv[i]);
    }
    int v;
    const char *p = " 42;";
    CHECK(sk__parse_int(&p, p + 4, &v) == 0 && v == 42 && *p == ';');
    p = "1.5";
    CHECK(sk__parse_int(&p, p + 3, &v) == 0 && v == 1 && *p == '.');
    p = "x";
    CHECK(sk__parse_int(&p, p + 1, &v) != 0);
    p = "12345678901";
    CHECK(sk__parse_int(&p, p + 11, &v) != 0);
}

/* ---- PRECOG ----------------------------------------------------------------- */

static void test_precog_bundled(void)
{
    const char *files[] = {"data/precog/Seq1_7.csv", "data/precog/Seq3_8.csv",
                           "data/precog/Seq5_9.csv"};
    const int routine[] = {1, 3, 5}, subject[] = {7, 8, 9};
    for (int i = 0; i < 3; i++) {
        size_t len;
        char *buf = slurp(files[i], &len);
        CHECK_MSG(buf != NULL, "cannot read %s", files[i]);
        if (!buf)
            continue;
        sk_take t;
        int rc = sk_take_load(&t, files[i], SK_FORMAT_AUTO, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc != 0) {
            free(buf);
            continue;
        }
        CHECK_EQ_INT(t.format, SK_FORMAT_PRECOG);
        CHECK_EQ_INT(t.joint_set, SK_JOINTSET_KINECT1);
        CHECK(t.fps == 30.0);
        CHECK_EQ_INT(t.nframes, count_lines(buf, len) - 1);
        CHECK_EQ_INT(t.routine, routine[i]);
        CHECK_EQ_INT(t.subject, subject[i]);
        CHECK(t.labels != NULL && t.arrival_us == NULL);
        /* The first frame's first joint is the file's first three numbers. */
        const char *p = strchr(buf, '\n') + 1;
        char *q;
        float x = strtof(p, &q), y = strtof(q, &q), z = strtof(q, &q);
        const sk_joint *j0 = &t.frames[0].bodies[0].joints[0];
        CHECK(same_bits(j0->x, x) && same_bits(j0->y, y) && same_bits(j0->z, z));
        int ok_frames = 1;
        for (int k = 0; k < t.nframes; k++) {
            const sk_frame *f = &t.frames[k];
            if (f->nbodies != 1 || f->bodies[0].id != 0 || f->seq != (uint64_t)k ||
                f->njoints != 20 || f->joint_set != SK_JOINTSET_KINECT1 ||
                f->timestamp_us != 0)
                ok_frames = 0;
        }
        CHECK(ok_frames);
        CHECK_EQ_INT(precog_compare(&t, files[i]), 0);
        sk_take_free(&t);
        CHECK(t.frames == NULL && t.nframes == 0);
        free(buf);
    }
    /* The table in data/README.md: frames and moves of Seq1_7. */
    sk_take t;
    CHECK(sk_take_load(&t, "data/precog/Seq1_7.csv", SK_FORMAT_PRECOG, err, sizeof err) == 0);
    int moves[16], nm = 0;
    for (int k = 0; k < t.nframes; k++)
        if (t.labels[k] != 0 && (k == 0 || t.labels[k - 1] != t.labels[k]) && nm < 16)
            moves[nm++] = t.labels[k];
    CHECK(t.nframes == 297 && nm == 5 && moves[0] == 1 && moves[1] == 2 &&
          moves[2] == 5 && moves[3] == 6 && moves[4] == 3);
    sk_take_free(&t);
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && !strcmp(s + n - k, suf);
}

static void test_precog_all(const char *dir)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/precog", dir);
    DIR *d = opendir(path);
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *de;
    int files = 0, total = 0, mismatches = 0, lines_total = 0;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "Seq", 3) || !ends_with(de->d_name, ".csv"))
            continue;
        snprintf(path, sizeof path, "%s/precog/%s", dir, de->d_name);
        sk_take t;
        int rc = sk_take_load(&t, path, SK_FORMAT_AUTO, err, sizeof err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc != 0)
            continue;
        size_t len;
        char *buf = slurp(path, &len);
        lines_total += count_lines(buf, len);
        free(buf);
        CHECK(t.format == SK_FORMAT_PRECOG && t.subject >= 1 && t.subject <= 9 &&
              t.routine >= 1 && t.routine <= 6);
        mismatches += precog_compare(&t, path);
        files++;
        total += t.nframes;
        sk_take_free(&t);
    }
    closedir(d);
    CHECK_EQ_INT(files, 54);
    /* Measured with awk 'END{print NR}' on all 54: 14,088 lines, 54 of them
     * headers (no file ends in '\n', so wc -l also prints 14,034). */
    CHECK_EQ_INT(lines_total, 14088);
    CHECK_EQ_INT(total, 14034);
    CHECK_EQ_INT(mismatches, 0);
}

/* A valid PRECOG line: 20 fields "x y z", then the label. */
static void precog_line(char *out, size_t cap, int label)
{
    size_t n = 0;
    for (int j = 0; j < 20; j++)
        n += (size_t)snprintf(out + n, cap - n, "%d.5 -0.25 3;", j);
    snprintf(out + n, cap - n, "%d", label);
}

static const char precog_header[] =
    "HipCenter; Spine; ShoulderCenter; Head; ShoulderLeft; ElbowLeft; WristLeft; "
    "HandLeft; ShoulderRight; ElbowRight; WristRight; HandRight; HipLeft; KneeLeft; "
    "AnkleLeft; FootLeft; HipRight; KneeRight; AnkleRight; FootRight";

static int load_str(sk_take *t, const char *s, const char *name, int format)
{
    return sk_take_load_mem(t, s, strlen(s), name, format, err, sizeof err);
}

static void test_precog_errors(void)
{
    char line[1024], doc[8192];
    sk_take t;
    precog_line(line, sizeof line, 3);
    /* Good, with CRLF and a blank line: 2 frames. */
    snprintf(doc, sizeof doc, "%s\r\n%s\r\n\r\n%s\n", precog_header, line, line);
    CHECK_MSG(load_str(&t, doc, "Seq2_4.csv", SK_FORMAT_AUTO) == 0, "%s", err);
    CHECK(t.nframes == 2 && t.labels[1] == 3 && t.routine == 2 && t.subject == 4);
    CHECK(t.nframes == 2 && t.frames[1].bodies[0].joints[19].x == 19.5f &&
          t.frames[1].bodies[0].joints[19].y == -0.25f);
    sk_take_free(&t);

    /* A wrong joint name in the header. */
    snprintf(doc, sizeof doc, "HipCenter; Spine; Neck; Head\n%s\n", line);
    CHECK_EQ_INT(load_str(&t, doc, "x.csv", SK_FORMAT_PRECOG), SK_EFORMAT);
    CHECK_MSG(strstr(err, "x.csv:1:") && strstr(err, "ShoulderCenter"), "%s", err);
    CHECK(t.frames == NULL && t.nframes == 0);

    /* Line 3 lacks a number in field 5. */
    char broken[1024];
    snprintf(broken, sizeof broken, "%s", line);
    char *f5 = broken;
    for (int k = 0; k < 4; k++)
        f5 = strchr(f5, ';') + 1;
    memmove(f5, strchr(f5, ' ') + 1, strlen(strchr(f5, ' ') + 1) + 1);
    snprintf(doc, sizeof doc, "%s\n%s\n%s\n%s", precog_header, line, broken, line);
    CHECK_EQ_INT(load_str(&t, doc, "Seq1_1.csv", SK_FORMAT_PRECOG), SK_EFORMAT);
    CHECK_MSG(strstr(err, "Seq1_1.csv:3:") && strstr(err, "field 5"), "%s", err);

    /* A label that is not an integer; text after the label; a missing label;
     * a non-number. Each names line 2. */
    const char *tails[] = {"1.5", "1 x", "", "abc"};
    for (int k = 0; k < 4; k++) {
        char l2[1100];
        snprintf(l2, sizeof l2, "%s", line);
        *(strrchr(l2, ';') + 1) = '\0';
        strcat(l2, tails[k]);
        snprintf(doc, sizeof doc, "%s\n%s\n", precog_header, l2);
        CHECK_EQ_INT(load_str(&t, doc, "p.csv", SK_FORMAT_PRECOG), SK_EFORMAT);
        CHECK_MSG(strstr(err, "p.csv:2:") != NULL, "%s", err);
    }
    snprintf(doc, sizeof doc, "%s\n%s\n", precog_header, line);
    char *nanp = strstr(doc + sizeof precog_header, "3.5");
    memcpy(nanp, "nan", 3);
    CHECK_EQ_INT(load_str(&t, doc, "p.csv", SK_FORMAT_PRECOG), SK_EFORMAT);
    CHECK_MSG(strstr(err, "p.csv:2: field 4 (Head)") != NULL, "%s", err);

    /* 19 fields. */
    snprintf(doc, sizeof doc, "%s\n%s\n", precog_header, strchr(line, ';') + 1);
    CHECK_EQ_INT(load_str(&t, doc, "p.csv", SK_FORMAT_PRECOG), SK_EFORMAT);
    CHECK_MSG(strstr(err, "p.csv:2:") != NULL, "%s", err);

    /* A header only; an empty buffer. */
    CHECK_EQ_INT(load_str(&t, precog_header, "h.csv", SK_FORMAT_PRECOG), SK_EFORMAT);
    CHECK_MSG(strstr(err, "h.csv: no frames") != NULL, "%s", err);
    CHECK_EQ_INT(sk_take_load_mem(&t, "", 0, "e.csv", SK_FORMAT_PRECOG, err, sizeof err),
                 SK_EFORMAT);
    CHECK_MSG(strstr(err, "e.csv: empty file") != NULL, "%s", err);
}

/* ---- MSR Action3D -------------------------------------------------------- */

/* MSR's joint order by Kinect v1 name (msr_action3d/README.md), to check the
 * reader's numeric remap table against the joint set's names. */
static const char *const msr_names[20] = {
    "ShoulderLeft", "ShoulderRight", "ShoulderCenter", "Spine",    "HipLeft",
    "HipRight",     "HipCenter",     "ElbowLeft",      "ElbowRight", "WristLeft",
    "WristRight",   "HandLeft",      "HandRight",      "KneeLeft", "KneeRight",
    "AnkleLeft",    "AnkleRight",    "FootLeft",       "FootRight", "Head",
};

static int k1_index(const char *name)
{
    const sk_joint_set *js = sk_joint_set_get(SK_JOINTSET_KINECT1);
    for (int j = 0; j < js->njoints; j++)
        if (!strcmp(js->joint_names[j], name))
            return j;
    return -1;
}

/* Independent check of an MSR take against its text. Returns mismatches. */
static int msr_compare(const sk_take *t, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 1;
    int bad = 0, n = 0;
    float x, y, z, c;
    while (fscanf(fp, "%f %f %f %f", &x, &y, &z, &c) == 4) {
        int frame = n / 20, mj = n % 20;
        n++;
        if (frame >= t->nframes) {
            bad++;
            break;
        }
        const sk_joint *jt = &t->frames[frame].bodies[0].joints[k1_index(msr_names[mj])];
        int state = (x == 0 && y == 0 && z == 0) ? SK_TRACK_NONE
                    : c > 0                      ? SK_TRACK_TRACKED
                                                 : SK_TRACK_INFERRED;
        if (!same_bits(jt->x, x) || !same_bits(jt->y, y) || !same_bits(jt->z, z) ||
            jt->state != state)
            bad++;
    }
    fclose(fp);
    return bad + (n != t->nframes * 20);
}

static void test_msr_mem(void)
{
    /* 2 frames, joint k at (k, -k/10, 2) with c alternating 1, 0. */
    char doc[4096];
    size_t n = 0;
    for (int f = 0; f < 2; f++)
        for (int k = 1; k <= 20; k++)
            n += (size_t)snprintf(doc + n, sizeof doc - n, "%d.000000 %f 2.5 %d\n", k,
                                  -k / 10.0, k % 2);
    sk_take t;
    CHECK_MSG(load_str(&t, doc, "a05_s02_e03_skeleton3D.txt", SK_FORMAT_AUTO) == 0, "%s",
              err);
    CHECK(t.format == SK_FORMAT_MSR && t.nframes == 2 && t.fps == 15.0);
    CHECK(t.action == 5 && t.subject == 2 && t.trial == 3);
    CHECK(t.labels && t.labels[0] == 5 && t.labels[1] == 5);
    if (t.nframes == 2) {
        /* Hip centre is MSR joint 7; head is MSR joint 20. */
        const sk_joint *hc = &t.frames[1].bodies[0].joints[0];
        const sk_joint *head = &t.frames[1].bodies[0].joints[3];
        CHECK(hc->x == 7.0f && hc->y == strtof("-0.700000", NULL) && hc->z == 2.5f &&
              hc->state == SK_TRACK_TRACKED);
        CHECK(head->x == 20.0f && head->state == SK_TRACK_INFERRED);
        for (int k = 0; k < 20; k++)
            CHECK(t.frames[0].bodies[0].joints[k1_index(msr_names[k])].x ==
                  (float)(k + 1));
    }
    sk_take_free(&t);

    /* 39 joint lines: the last frame is short. */
    char *cut = doc;
    for (int k = 0; k < 39; k++)
        cut = strchr(cut, '\n') + 1;
    *cut = '\0';
    CHECK_EQ_INT(load_str(&t, doc, "a05_s02_e03_skeleton3D.txt", SK_FORMAT_MSR), SK_EFORMAT);
    CHECK_MSG(strstr(err, "a05_s02_e03_skeleton3D.txt:39:") && strstr(err, "line 21"),
              "%s", err);
    /* A bad line 4. */
    CHECK_EQ_INT(load_str(&t, "1 2 3 1\n1 2 3 1\n1 2 3 1\n1 2 x 1\n", "m.txt", SK_FORMAT_MSR),
                 SK_EFORMAT);
    CHECK_MSG(strstr(err, "m.txt:4:") != NULL, "%s", err);
    CHECK_EQ_INT(load_str(&t, "1 2 3 1 5\n", "m.txt", SK_FORMAT_MSR), SK_EFORMAT);
    CHECK_MSG(strstr(err, "m.txt:1:") != NULL, "%s", err);
    /* A name without aAA: no labels. */
    n = 0;
    for (int k = 1; k <= 20; k++)
        n += (size_t)snprintf(doc + n, sizeof doc - n, "1 1 1 1\n");
    CHECK(load_str(&t, doc, "clip.txt", SK_FORMAT_MSR) == 0 && t.labels == NULL &&
          t.nframes == 1);
    sk_take_free(&t);
}

static void test_msr_files(const char *dir)
{
    char path[2048];
    sk_take t;
    snprintf(path, sizeof path, "%s/msr_action3d/a01_s01_e01_skeleton3D.txt", dir);
    int rc = sk_take_load(&t, path, SK_FORMAT_AUTO, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        size_t len;
        char *buf = slurp(path, &len);
        CHECK_EQ_INT(t.nframes, count_lines(buf, len) / 20);
        free(buf);
        CHECK(t.format == SK_FORMAT_MSR && t.action == 1 && t.subject == 1 &&
              t.trial == 1 && t.fps == 15.0);
        /* Line 7 of the file (MSR hip centre): -0.189501 0.002549 2.759828 0. */
        const sk_joint *hc = &t.frames[0].bodies[0].joints[0];
        CHECK(hc->x == strtof("-0.189501", NULL) && hc->y == strtof("0.002549", NULL) &&
              hc->z == strtof("2.759828", NULL) && hc->state == SK_TRACK_INFERRED);
        /* Line 20 (head): -0.182593 0.659618 2.547210 1: y is up, as in PRECOG. */
        const sk_joint *head = &t.frames[0].bodies[0].joints[3];
        CHECK(head->y == strtof("0.659618", NULL) && head->state == SK_TRACK_TRACKED);
        CHECK(head->y > hc->y);
        int all1 = 1;
        for (int k = 0; k < t.nframes; k++)
            all1 &= t.labels[k] == 1;
        CHECK(all1);
        CHECK_EQ_INT(msr_compare(&t, path), 0);
        sk_take_free(&t);
    }
    /* A clip the list leaves out: 740 of its 936 frames are all (0,0,0)
     * (counted with awk), so NONE. */
    snprintf(path, sizeof path, "%s/msr_action3d/a13_s09_e03_skeleton3D.txt", dir);
    rc = sk_take_load(&t, path, SK_FORMAT_AUTO, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        int none = 0;
        for (int k = 0; k < t.nframes; k++) {
            int all = 1;
            for (int j = 0; j < 20; j++)
                all &= t.frames[k].bodies[0].joints[j].state == SK_TRACK_NONE;
            none += all;
        }
        CHECK(none == 740 && t.nframes == 936 && t.labels[0] == 13);
        CHECK_EQ_INT(msr_compare(&t, path), 0);
        sk_take_free(&t);
    }
}

static void test_msr_list(const char *dir)
{
    char msrdir[2048];
    char **paths = NULL;
    int n = 0;
    snprintf(msrdir, sizeof msrdir, "%s/msr_action3d", dir);
    int rc = sk_msr_list_load(msrdir, &paths, &n, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_EQ_INT(n, 557);
    if (rc == 0 && n == 557) {
        CHECK(ends_with(paths[0], "/a01_s01_e01_skeleton3D.txt"));
        CHECK(ends_with(paths[556], "/a20_s10_e02_skeleton3D.txt"));
        CHECK(!strncmp(paths[0], msrdir, strlen(msrdir)));
        /* Every listed clip loads, and its remap agrees with the text on a
         * sample of them; subjects split 5 + 5. */
        int loaded = 0, odd = 0, frames = 0, mism = 0;
        for (int i = 0; i < n; i++) {
            sk_take t;
            if (sk_take_load(&t, paths[i], SK_FORMAT_AUTO, err, sizeof err) == 0) {
                loaded++;
                frames += t.nframes;
                odd += t.subject % 2;
                if (i % 50 == 0)
                    mism += msr_compare(&t, paths[i]);
                sk_take_free(&t);
            } else {
                fprintf(stderr, "%s\n", err);
            }
        }
        CHECK_EQ_INT(loaded, 557);
        CHECK_EQ_INT(mism, 0);
        CHECK(odd > 250 && odd < 310);
        printf("msr: 557 listed clips, %d frames\n", frames);
    }
    sk_msr_list_free(paths, n);
    CHECK_EQ_INT(sk_msr_list_load("/nonexistent-dir", &paths, &n, err, sizeof err),
                 SK_ENOTFOUND);
    CHECK_MSG(strstr(err, "/nonexistent-dir/files_used_in_cvpr12_paper.txt") != NULL,
              "%s", err);
    CHECK(paths == NULL && n == 0);
    /* A bad line names its number. */
    const char *bad = "a01_s01_e01\n\nhello\n";
    CHECK(spit(tmp_path("files_used_in_cvpr12_paper.txt"), bad, strlen(bad)) == 0);
    CHECK_EQ_INT(sk_msr_list_load(tmpdir, &paths, &n, err, sizeof err), SK_EFORMAT);
    CHECK_MSG(strstr(err, "files_used_in_cvpr12_paper.txt:3:") != NULL, "%s", err);
    unlink(tmp_path("files_used_in_cvpr12_paper.txt"));
}

/* ---- seed text ---------------------------------------------------------- */

static void test_text(void)
{
    sk_take p;
    int rc = sk_take_load(&p, "data/precog/Seq3_8.csv", SK_FORMAT_PRECOG, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc != 0)
        return;
    /* Every frame as a text line, with a bad line (59 numbers) after frame
     * 10 and no newline after the last. */
    size_t cap = (size_t)p.nframes * 1400 + 4096, n = 0;
    char *doc = malloc(cap);
    int bad_line = 0;
    for (int k = 0; k < p.nframes; k++) {
        int w = sk_text_encode(&p.frames[k], 0, 9, doc + n, cap - n);
        CHECK(w > 0);
        if (w <= 0)
            break;
        n += (size_t)w;
        if (k == 10) {
            n += (size_t)snprintf(doc + n, cap - n, "1");
            for (int i = 1; i < 59; i++)
                n += (size_t)snprintf(doc + n, cap - n, ",1");
            n += (size_t)snprintf(doc + n, cap - n, "\n");
            bad_line = k + 2;
        }
    }
    if (n > 0 && doc[n - 1] == '\n')
        n--;
    CHECK(spit(tmp_path("take.txt"), doc, n) == 0);
    sk_take t;
    rc = sk_take_load(&t, tmp_path("take.txt"), SK_FORMAT_AUTO, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK_EQ_INT(t.format, SK_FORMAT_TEXT);
        CHECK_EQ_INT(t.nframes, p.nframes);
        CHECK_EQ_INT(t.bad_lines, 1);
        CHECK(t.fps == 30.0 && t.joint_set == SK_JOINTSET_KINECT1 && t.labels == NULL);
        char want[64];
        snprintf(want, sizeof want, "take.txt:%d:", bad_line);
        CHECK_MSG(strstr(err, want) && strstr(err, "1 bad lines skipped"), "%s", err);
        int same = t.nframes == p.nframes;
        for (int k = 0; same && k < t.nframes; k++) {
            same &= t.frames[k].seq == (uint64_t)k && t.frames[k].nbodies == 1;
            for (int j = 0; j < 20; j++) {
                const sk_joint *a = &t.frames[k].bodies[0].joints[j];
                const sk_joint *b = &p.frames[k].bodies[0].joints[j];
                same &= same_bits(a->x, b->x) && same_bits(a->y, b->y) &&
                        same_bits(a->z, b->z);
            }
        }
        CHECK(same);
        sk_take_free(&t);
    }
    /* Nothing decodes: an error naming the first bad line. */
    CHECK_EQ_INT(load_str(&t, "\n1,2,3\nhello\n", "bad.txt", SK_FORMAT_TEXT), SK_EFORMAT);
    CHECK_MSG(strstr(err, "bad.txt:2:") != NULL, "%s", err);
    CHECK(t.frames == NULL);
    free(doc);
    sk_take_free(&p);
}

/* ---- skrec ---------------------------------------------------------------- */

/* A few frames of Kinect v2 with 1-3 bodies, odd states, sender stamps. */
static void make_frames(sk_frame *f, int n)
{
    for (int k = 0; k < n; k++) {
        sk_frame_init(&f[k], SK_JOINTSET_KINECT2);
        f[k].seq = 1000 + (uint64_t)k * 3;
        f[k].timestamp_us = 1700000000000000LL + k * 33333;
        f[k].nbodies = (uint8_t)(1 + k % 3);
        for (int b = 0; b < f[k].nbodies; b++) {
            f[k].bodies[b].id = 72057594037927936ULL % 4294967291u + (uint32_t)b;
            for (int j = 0; j < 25; j++) {
                sk_joint *jt = &f[k].bodies[b].joints[j];
                uint32_t bits = rng();
                jt->x = (float)(int32_t)bits / 1e9f;
                jt->y = -(float)j / 7.0f;
                jt->z = 1.0f + (float)k / 3.0f;
                jt->state = (uint8_t)((j + k) % 3);
            }
        }
    }
}

static int frames_equal(const sk_frame *a, const sk_frame *b)
{
    if (a->seq != b->seq || a->timestamp_us != b->timestamp_us ||
        a->nbodies != b->nbodies || a->joint_set != b->joint_set ||
        a->njoints != b->njoints)
        return 0;
    for (int i = 0; i < a->nbodies; i++) {
        if (a->bodies[i].id != b->bodies[i].id)
            return 0;
        for (int j = 0; j < a->njoints; j++) {
            const sk_joint *p = &a->bodies[i].joints[j], *q = &b->bodies[i].joints[j];
            if (!same_bits(p->x, q->x) || !same_bits(p->y, q->y) ||
                !same_bits(p->z, q->z) || p->state != q->state)
                return 0;
        }
    }
    return 1;
}

static void test_skrec_roundtrip(void)
{
    /* A PRECOG take, with jittery arrival times on the monotonic clock. */
    sk_take p, t;
    int rc = sk_take_load(&p, "data/precog/Seq5_9.csv", SK_FORMAT_PRECOG, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc != 0)
        return;
    int64_t *arr = malloc((size_t)p.nframes * sizeof *arr);
    sk_recorder *r;
    const char *path = tmp_path("take.skrec");
    CHECK_MSG(sk_recorder_open(&r, path, err, sizeof err) == 0, "%s", err);
    int64_t base = 987654321000LL;
    for (int k = 0; k < p.nframes; k++) {
        arr[k] = k * 33333 + (int64_t)(rng() % 5000);
        if (k > 0 && arr[k] < arr[k - 1])
            arr[k] = arr[k - 1];
        p.frames[k].timestamp_us = 1700000000000000LL + k; /* something to keep */
        CHECK(sk_recorder_write(r, &p.frames[k], base + arr[k]) == 0);
    }
    CHECK_EQ_INT(sk_recorder_frames(r), p.nframes);
    CHECK_EQ_INT(sk_recorder_close(r), 0);
    rc = sk_take_load(&t, path, SK_FORMAT_AUTO, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(t.format == SK_FORMAT_SKREC && t.nframes == p.nframes &&
              t.joint_set == SK_JOINTSET_KINECT1 && t.arrival_us && !t.labels);
        CHECK(t.routine == 0 && t.subject == 0);
        int same = 1;
        for (int k = 0; k < t.nframes && t.nframes == p.nframes; k++) {
            same &= frames_equal(&t.frames[k], &p.frames[k]);
            same &= t.arrival_us[k] == arr[k] - arr[0];
            same &= t.frames[k].arrival_us == t.arrival_us[k];
        }
        CHECK(same);
        double fps = (double)(t.nframes - 1) * 1e6 / (double)t.arrival_us[t.nframes - 1];
        CHECK(t.fps == fps && t.fps > 29.0 && t.fps < 30.1);
        sk_take_free(&t);
    }
    /* The file is header + one record per frame, as docs/RECORDING.md says. */
    size_t len;
    char *buf = slurp(path, &len);
    CHECK(buf && len == SK_SKREC_HEADER_SIZE +
                           (size_t)p.nframes * (SK_SKREC_RECORD_OVERHEAD + 32 + 4 +
                                                20 * 13 + 4));
    CHECK(buf && !memcmp(buf, "SKREC\r\n\x1a", 8) && sk__rd16((uint8_t *)buf + 8) == 1 &&
          (uint8_t)buf[12] == SK_JOINTSET_KINECT1 && (uint8_t)buf[13] == 20 &&
          sk__rd32((uint8_t *)buf + 24) == (uint32_t)p.nframes);
    free(buf);
    free(arr);
    sk_take_free(&p);

    /* Kinect v2, several bodies; arrival going backwards is clamped. */
    sk_frame fr[6];
    make_frames(fr, 6);
    int64_t when[6] = {500, 600, 550, 700, 700, 10000};
    path = tmp_path("k2.skrec");
    CHECK(sk_recorder_open(&r, path, err, sizeof err) == 0);
    for (int k = 0; k < 6; k++)
        CHECK(sk_recorder_write(r, &fr[k], when[k]) == 0);
    sk_frame k1;
    sk_frame_init(&k1, SK_JOINTSET_KINECT1);
    k1.nbodies = 1;
    CHECK_EQ_INT(sk_recorder_write(r, &k1, 20000), SK_EINVAL); /* other joint set */
    CHECK(strstr(sk_recorder_errmsg(r), "joint set") != NULL);
    /* A flush makes what was written readable before close (count unknown). */
    CHECK(sk_recorder_flush(r) == 0);
    rc = sk_take_load(&t, path, SK_FORMAT_SKREC, err, sizeof err);
    CHECK_MSG(rc == 0 && t.nframes == 6, "%s", err);
    sk_take_free(&t);
    CHECK(sk_recorder_write(r, &fr[0], 20000) == 0);
    CHECK(sk_recorder_close(r) == 0);
    rc = sk_take_load(&t, path, SK_FORMAT_AUTO, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        const int64_t want[7] = {0, 100, 100, 200, 200, 9500, 19500};
        CHECK(t.nframes == 7 && t.joint_set == SK_JOINTSET_KINECT2);
        int same = t.nframes == 7;
        for (int k = 0; same && k < 7; k++)
            same &= frames_equal(&t.frames[k], &fr[k % 6]) && t.arrival_us[k] == want[k];
        CHECK(same);
        sk_take_free(&t);
    }
    /* An empty recording: a header, no frames. */
    path = tmp_path("empty.skrec");
    CHECK(sk_recorder_open(&r, path, err, sizeof err) == 0 && sk_recorder_close(r) == 0);
    CHECK_EQ_INT(sk_take_load(&t, path, SK_FORMAT_AUTO, err, sizeof err), SK_EFORMAT);
    CHECK_MSG(strstr(err, "no frames") != NULL, "%s", err);
    /* Unwritable path. */
    CHECK_EQ_INT(sk_recorder_open(&r, "/nonexistent-dir/x.skrec", err, sizeof err), SK_EIO);
    CHECK_MSG(strstr(err, "/nonexistent-dir/x.skrec") != NULL, "%s", err);
    CHECK(sk_recorder_close(NULL) == 0);
}

static void test_skrec_corrupt(void)
{
    sk_frame fr[3];
    make_frames(fr, 3);
    sk_recorder *r;
    const char *path = tmp_path("c.skrec");
    CHECK(sk_recorder_open(&r, path, err, sizeof err) == 0);
    for (int k = 0; k < 3; k++)
        CHECK(sk_recorder_write(r, &fr[k], 1000 + k * 50000) == 0);
    CHECK(sk_recorder_close(r) == 0);
    size_t len;
    uint8_t *buf = (uint8_t *)slurp(path, &len);
    CHECK(buf != NULL);
    if (!buf)
        return;
    sk_take t;
    CHECK(sk_take_load_mem(&t, buf, len, "c.skrec", SK_FORMAT_AUTO, err, sizeof err) == 0);
    sk_take_free(&t);
    /* Every truncation fails with a message naming the file. */
    int silent = 0;
    for (size_t n = 0; n < len; n++) {
        int rc = sk_take_load_mem(&t, buf, n, "c.skrec", SK_FORMAT_SKREC, err, sizeof err);
        if (rc >= 0 || strncmp(err, "c.skrec: ", 9) != 0)
            silent++;
    }
    CHECK_EQ_INT(silent, 0);
    /* Cut inside record 3: named, with the good prefix counted. */
    size_t rec3 = len - (SK_SKREC_RECORD_OVERHEAD + 32 + 3 * 4 + 3 * 25 * 13 + 4);
    CHECK_EQ_INT(sk_take_load_mem(&t, buf, rec3 + 20, "c.skrec", SK_FORMAT_SKREC, err,
                                  sizeof err),
                 SK_EFORMAT);
    CHECK_MSG(strstr(err, "record 3") && strstr(err, "2 records before it are whole"), "%s",
              err);
    /* Cut between records: the header's frame count catches it. */
    CHECK_EQ_INT(sk_take_load_mem(&t, buf, rec3, "c.skrec", SK_FORMAT_SKREC, err, sizeof err),
                 SK_EFORMAT);
    CHECK_MSG(strstr(err, "header says 3 frames, the file holds 2") != NULL, "%s", err);
    /* Every flipped byte is caught. */
    int missed = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            buf[i] ^= (uint8_t)(1u << bit);
            int rc = sk_take_load_mem(&t, buf, len, "c.skrec", SK_FORMAT_SKREC, err,
                                      sizeof err);
            if (rc >= 0) {
                missed++;
                sk_take_free(&t);
            }
            buf[i] ^= (uint8_t)(1u << bit);
        }
    }
    CHECK_EQ_INT(missed, 0);
    /* A CRC mismatch in record 2 says so. */
    buf[SK_SKREC_HEADER_SIZE + SK_SKREC_RECORD_OVERHEAD + 32 + 4 + 25 * 13 + 4 + 40] ^= 1;
    CHECK_EQ_INT(sk_take_load_mem(&t, buf, len, "c.skrec", SK_FORMAT_SKREC, err, sizeof err),
                 SK_ECHECKSUM);
    CHECK_MSG(strstr(err, "record 2") && strstr(err, "CRC"), "%s", err);
    buf[SK_SKREC_HEADER_SIZE + SK_SKREC_RECORD_OVERHEAD + 32 + 4 + 25 * 13 + 4 + 40] ^= 1;
    /* A future version is refused as such. */
    buf[8] = 2;
    CHECK_EQ_INT(sk_take_load_mem(&t, buf, len, "c.skrec", SK_FORMAT_AUTO, err, sizeof err),
                 SK_EUNSUPPORTED);
    buf[8] = 1;
    /* Not a skrec at all. */
    CHECK_EQ_INT(load_str(&t, "hello", "x.skrec", SK_FORMAT_AUTO), SK_EFORMAT);
    CHECK_MSG(strstr(err, "x.skrec: not a skrec file") != NULL, "%s", err);
    free(buf);
}

/* ---- files -------------------------------------------------------------- */

static void test_file_errors(void)
{
    sk_take t;
    CHECK_EQ_INT(sk_take_load(&t, "/nonexistent-dir/Seq1_1.csv", SK_FORMAT_AUTO, err,
                              sizeof err),
                 SK_ENOTFOUND);
    CHECK_MSG(strstr(err, "/nonexistent-dir/Seq1_1.csv: ") == err, "%s", err);
    CHECK(spit(tmp_path("empty.csv"), "", 0) == 0);
    CHECK_EQ_INT(sk_take_load(&t, tmp_path("empty.csv"), SK_FORMAT_AUTO, err, sizeof err),
                 SK_EFORMAT);
    CHECK_MSG(strstr(err, "empty.csv: empty file") != NULL, "%s", err);
    CHECK(sk_take_load(&t, tmpdir, SK_FORMAT_AUTO, err, sizeof err) < 0);
    CHECK_MSG(strstr(err, tmpdir) == err, "%s", err);
    CHECK_EQ_INT(sk_take_load(&t, "data/precog/Seq1_7.csv", 99, err, sizeof err), SK_EINVAL);
    CHECK(t.frames == NULL);
    sk_take_free(NULL);
    sk_take_free(&t);
    /* A CSV read as PRECOG whose header is not the Kinect v1 order. */
    const char *csv = "Head; Spine\n1 2 3;0\n";
    CHECK(spit(tmp_path("Seq9_9.csv"), csv, strlen(csv)) == 0);
    CHECK_EQ_INT(sk_take_load(&t, tmp_path("Seq9_9.csv"), SK_FORMAT_PRECOG, err, sizeof err),
                 SK_EFORMAT);
    CHECK_MSG(strstr(err, "Seq9_9.csv:1: header") != NULL, "%s", err);
    /* AUTO reads that as text: and no line of it is a frame. */
    CHECK_EQ_INT(sk_take_load(&t, tmp_path("Seq9_9.csv"), SK_FORMAT_AUTO, err, sizeof err),
                 SK_EFORMAT);
    unlink(tmp_path("empty.csv"));
    unlink(tmp_path("Seq9_9.csv"));
}

int main(void)
{
    const char *base = getenv("SK_BUILD_DIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_data.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(tmpdir)) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/test_data.XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    RUN(test_format_names);
    RUN(test_detect);
    RUN(test_name_parse);
    RUN(test_parse_float);
    RUN(test_precog_bundled);
    RUN(test_precog_errors);
    RUN(test_msr_mem);
    RUN(test_text);
    RUN(test_skrec_roundtrip);
    RUN(test_skrec_corrupt);
    RUN(test_file_errors);
    const char *dir = data_dir_or_null();
    if (dir) {
        RUN_ARG(test_precog_all, dir);
        RUN_ARG(test_msr_files, dir);
        RUN_ARG(test_msr_list, dir);
    }
    unlink(tmp_path("take.txt"));
    unlink(tmp_path("take.skrec"));
    unlink(tmp_path("k2.skrec"));
    unlink(tmp_path("empty.skrec"));
    unlink(tmp_path("c.skrec"));
    rmdir(tmpdir);
    int rc = check_report();
    if (rc == 0 && !dir) {
        printf("SKIP: dataset folder not found (set SK_DATA_DIR): test_precog_all, "
               "test_msr_files, test_msr_list did not run\n");
        return 77;
    }
    return rc;
}
