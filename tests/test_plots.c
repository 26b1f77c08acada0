/* The SVG writers (src/report): a small confusion matrix and timeline come
 * out as well-formed XML (balanced tags, quoted attributes, escaped text),
 * with the label names and counts present and every attribute free of
 * nan/inf; bad input is refused with SK_EINVAL, a failed write gives
 * SK_EIO. The well-formedness checker is itself tested on broken input. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "skelact/report.h"

/* A small XML well-formedness check: declaration, elements with quoted
 * attributes, balanced tags, text with only the five predefined entities.
 * Attribute values must not contain "nan" or "inf". Returns 0, or -1 and
 * a reason in why. */
static int xml_check(const char *s, char *why, size_t wlen)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    const char *p = s;
    if (!strncmp(p, "<?xml", 5)) {
        p = strstr(p, "?>");
        if (!p) {
            snprintf(why, wlen, "unclosed declaration");
            return -1;
        }
        p += 2;
    }
    while (*p) {
        if (*p != '<') {
            if (*p == '&') {
                static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
                int ok = 0;
                for (int i = 0; i < 5; i++)
                    ok |= !strncmp(p, ent[i], strlen(ent[i]));
                if (!ok) {
                    snprintf(why, wlen, "bad entity near '%.12s'", p);
                    return -1;
                }
            } else if (*p == '>') {
                snprintf(why, wlen, "stray '>'");
                return -1;
            } else if (depth == 0 && *p != '\n' && *p != ' ') {
                snprintf(why, wlen, "text outside the root");
                return -1;
            }
            p++;
            continue;
        }
        int closing = p[1] == '/';
        p += closing ? 2 : 1;
        char name[32];
        size_t n = 0;
        while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == ':') && n < sizeof name - 1)
            name[n++] = *p++;
        name[n] = '\0';
        if (n == 0) {
            snprintf(why, wlen, "empty tag name");
            return -1;
        }
        int self = 0;
        for (;;) {
            while (*p == ' ' || *p == '\n' || *p == '\t')
                p++;
            if (*p == '>') {
                p++;
                break;
            }
            if (*p == '/' && p[1] == '>' && !closing) {
                self = 1;
                p += 2;
                break;
            }
            if (closing || !isalpha((unsigned char)*p)) {
                snprintf(why, wlen, "bad tag <%s> near '%.12s'", name, p);
                return -1;
            }
            while (isalnum((unsigned char)*p) || *p == '-' || *p == ':')
                p++;
            if (p[0] != '=' || p[1] != '"') {
                snprintf(why, wlen, "unquoted attribute in <%s>", name);
                return -1;
            }
            p += 2;
            const char *v = p;
            while (*p && *p != '"' && *p != '<')
                p++;
            if (*p != '"') {
                snprintf(why, wlen, "unclosed attribute in <%s>", name);
                return -1;
            }
            char val[256];
            size_t vl = (size_t)(p - v) < sizeof val - 1 ? (size_t)(p - v) : sizeof val - 1;
            memcpy(val, v, vl);
            val[vl] = '\0';
            for (char *c = val; *c; c++)
                *c = (char)tolower((unsigned char)*c);
            if (strstr(val, "nan") || strstr(val, "inf")) {
                snprintf(why, wlen, "non-finite attribute '%.40s' in <%s>", val, name);
                return -1;
            }
            p++;
        }
        if (closing) {
            if (depth == 0 || strcmp(stack[depth - 1], name)) {
                snprintf(why, wlen, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "");
                return -1;
            }
            depth--;
        } else if (!self) {
            if (depth == 0)
                roots++;
            if (depth == 64) {
                snprintf(why, wlen, "too deep");
                return -1;
            }
            snprintf(stack[depth++], sizeof stack[0], "%s", name);
        } else if (depth == 0) {
            roots++;
        }
    }
    if (depth != 0) {
        snprintf(why, wlen, "<%s> never closed", stack[depth - 1]);
        return -1;
    }
    if (roots != 1) {
        snprintf(why, wlen, "%d root elements", roots);
        return -1;
    }
    return 0;
}

static void test_checker_fails_on_broken_xml(void)
{
    char why[128];
    CHECK(xml_check("<svg><g></g></svg>", why, sizeof why) == 0);
    CHECK(xml_check("<svg><g></svg>", why, sizeof why) != 0);
    CHECK(xml_check("<svg><rect x=1/></svg>", why, sizeof why) != 0);
    CHECK(xml_check("<svg><text>a & b</text></svg>", why, sizeof why) != 0);
    CHECK(xml_check("<svg><rect x=\"nan\"/></svg>", why, sizeof why) != 0);
    CHECK(xml_check("<svg></svg><svg></svg>", why, sizeof why) != 0);
}

static const char *const LABELS[] = {"none", "jab & <cross>", "kick"};

/* Run a writer into memory; returns the text (caller frees). */
static char *to_string(int (*fn)(FILE *, const void *), const void *arg, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    *rc = fn(f, arg);
    fclose(f);
    return buf;
}

static const long COUNTS[9] = {90, 7, 3, 12, 41, 0, 0, 5, 1234};

static int write_confusion(FILE *f, const void *arg)
{
    (void)arg;
    return sk_svg_confusion_write(f, COUNTS, 3, LABELS, "a \"title\"");
}

static void test_confusion(void)
{
    int rc = -1;
    char *s = to_string(write_confusion, NULL, &rc);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ_INT(rc, 0);
    char why[128] = "";
    CHECK_MSG(xml_check(s, why, sizeof why) == 0, "%s", why);
    CHECK(strstr(s, ">none</text>") != NULL);
    CHECK(strstr(s, ">jab &amp; &lt;cross&gt;</text>") != NULL);
    CHECK(strstr(s, ">kick</text>") != NULL);
    CHECK(strstr(s, "a &quot;title&quot;") != NULL);
    /* each non-zero count, and the row totals 100, 53, 1239 */
    const char *want[] = {">90<", ">7<", ">3<", ">12<", ">41<", ">5<", ">1234<",
                          ">100<", ">53<", ">1239<"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        CHECK_MSG(strstr(s, want[i]) != NULL, "count %s missing", want[i]);
    /* 9 cells: one rect per cell, plus the background */
    int rects = 0;
    for (const char *p = s; (p = strstr(p, "<rect")); p++)
        rects++;
    CHECK_EQ_INT(rects, 10);
    /* row-normalised: 90 of 100 is 0.9 of the way from white to (8, 48, 107) */
    CHECK(strstr(s, "fill=\"#21457a\"") != NULL);
    free(s);
}

static void test_confusion_refuses(void)
{
    long neg[4] = {1, -1, 0, 2};
    const char *lab2[] = {"a", "b"};
    CHECK_EQ_INT(sk_svg_confusion_write(stdout, neg, 2, lab2, NULL), SK_EINVAL);
    CHECK_EQ_INT(sk_svg_confusion_write(stdout, COUNTS, 0, LABELS, NULL), SK_EINVAL);
    CHECK_EQ_INT(sk_svg_confusion_write(stdout, COUNTS, SK_REPORT_MAX_LABELS + 1, LABELS, NULL),
                 SK_EINVAL);
    const char *withnull[] = {"a", NULL};
    long c4[4] = {1, 0, 0, 1};
    CHECK_EQ_INT(sk_svg_confusion_write(stdout, c4, 2, withnull, NULL), SK_EINVAL);
}

static const int TRUTH1[12] = {0, 0, 1, 1, 1, 0, 0, 2, 2, 2, 0, 0};
static const int PRED1[12] = {0, 0, 0, 1, 1, 1, 0, 0, 1, 2, 2, 0};
static const sk_score_event EV1[3] = {{3, 1}, {8, 1}, {9, 2}};
static const int HIT1[3] = {0, -1, 1};
static const int TRUTH2[5] = {0, 2, 2, 0, 0};

static int write_timeline(FILE *f, const void *arg)
{
    const sk_timeline_take *t = arg;
    return sk_svg_timeline_write(f, t, 2, 3, LABELS, 30.0, "timeline");
}

static void test_timeline(void)
{
    sk_timeline_take t[2];
    memset(t, 0, sizeof t);
    t[0] = (sk_timeline_take){"take <one>", 12, TRUTH1, PRED1, EV1, 3, HIT1};
    t[1] = (sk_timeline_take){"take two", 5, TRUTH2, NULL, NULL, 0, NULL};
    int rc = -1;
    char *s = to_string(write_timeline, t, &rc);
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK_EQ_INT(rc, 0);
    char why[128] = "";
    CHECK_MSG(xml_check(s, why, sizeof why) == 0, "%s", why);
    CHECK(strstr(s, "take &lt;one&gt;") != NULL);
    CHECK(strstr(s, "take two") != NULL);
    CHECK(strstr(s, ">jab &amp; &lt;cross&gt;</text>") != NULL); /* legend */
    CHECK(strstr(s, ">kick</text>") != NULL);
    CHECK(strstr(s, "(12 frames, 3 events, 1 false alarms)") != NULL);
    CHECK(strstr(s, "jab &amp; &lt;cross&gt; at frame 8 (false alarm)") != NULL);
    CHECK(strstr(s, "kick at frame 9</title>") != NULL);
    /* 3 event markers plus 2 legend markers */
    int paths = 0;
    for (const char *p = s; (p = strstr(p, "<path")); p++)
        paths++;
    CHECK_EQ_INT(paths, 5);
    free(s);
}

static void test_timeline_refuses(void)
{
    sk_timeline_take t = {"x", 12, TRUTH1, PRED1, EV1, 3, HIT1};
    sk_score_event bad_ev[1] = {{12, 1}}; /* past the end */
    sk_timeline_take t2 = t;
    t2.ev = bad_ev;
    t2.nev = 1;
    t2.hit = NULL;
    CHECK_EQ_INT(sk_svg_timeline_write(stdout, &t2, 1, 3, LABELS, 30, NULL), SK_EINVAL);
    sk_score_event zero_ev[1] = {{2, 0}}; /* label 0 never fires */
    t2.ev = zero_ev;
    CHECK_EQ_INT(sk_svg_timeline_write(stdout, &t2, 1, 3, LABELS, 30, NULL), SK_EINVAL);
    /* K = 2: label 2 in the truth is out of range */
    CHECK_EQ_INT(sk_svg_timeline_write(stdout, &t, 1, 2, LABELS, 30, NULL), SK_EINVAL);
    CHECK_EQ_INT(sk_svg_timeline_write(stdout, &t, 0, 3, LABELS, 30, NULL), SK_EINVAL);
}

static void test_write_error(void)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f) {
        printf("(no /dev/full: write error not tested)\n");
        return;
    }
    CHECK_EQ_INT(sk_svg_confusion_write(f, COUNTS, 3, LABELS, NULL), SK_EIO);
    fclose(f);
}

int main(void)
{
    RUN(test_checker_fails_on_broken_xml);
    RUN(test_confusion);
    RUN(test_confusion_refuses);
    RUN(test_timeline);
    RUN(test_timeline_refuses);
    RUN(test_write_error);
    return check_report();
}
