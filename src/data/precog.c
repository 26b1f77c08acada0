/* PRECOG 2016 CSV takes: a header line naming the 20 Kinect v1 joints, then
 * one frame a line: 20 fields "x y z" separated by ';', then the label. */
#include <string.h>

#include "reader.h"

#define PRECOG_JOINTS 20

/* Check the header line [p, end) names the Kinect v1 joints in order. */
static int check_header(const char *p, const char *end, const sk__load_err *e)
{
    const sk_joint_set *js = sk_joint_set_get(SK_JOINTSET_KINECT1);
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    int j = 0;
    for (;;) {
        p = sk__skip_blanks(p, end);
        const char *s = p;
        while (p < end && *p != ';')
            p++;
        const char *t = p;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
            t--;
        size_t n = (size_t)(t - s);
        if (j >= PRECOG_JOINTS)
            return sk__load_fail(e, 1, SK_EFORMAT,
                                 "header names more than %d joints", PRECOG_JOINTS);
        const char *want = js->joint_names[j];
        if (n != strlen(want) || memcmp(s, want, n) != 0)
            return sk__load_fail(e, 1, SK_EFORMAT,
                                 "header: joint %d is \"%.*s\", expected \"%s\" "
                                 "(the Kinect v1 order)",
                                 j + 1, (int)(n > 40 ? 40 : n), s, want);
        j++;
        if (p == end)
            break;
        p++; /* ';' */
    }
    if (j != PRECOG_JOINTS)
        return sk__load_fail(e, 1, SK_EFORMAT, "header names %d joints, expected %d",
                             j, PRECOG_JOINTS);
    return 0;
}

/* Parse one frame line [p, end) into f and *label. */
static int parse_line(const char *p, const char *end, long line, sk_frame *f,
                      int *label, const sk__load_err *e)
{
    const sk_joint_set *js = sk_joint_set_get(SK_JOINTSET_KINECT1);
    for (int j = 0; j < PRECOG_JOINTS; j++) {
        sk_joint *jt = &f->bodies[0].joints[j];
        float v[3];
        for (int k = 0; k < 3; k++)
            if (sk__parse_float(&p, end, &v[k]) != 0)
                return sk__load_fail(e, line, SK_EFORMAT,
                                     "field %d (%s): expected 3 numbers \"x y z\", "
                                     "number %d is missing or bad",
                                     j + 1, js->joint_names[j], k + 1);
        p = sk__skip_blanks(p, end);
        if (p == end || *p != ';')
            return sk__load_fail(e, line, SK_EFORMAT,
                                 "field %d (%s): expected ';' after 3 numbers",
                                 j + 1, js->joint_names[j]);
        p++;
        jt->x = v[0];
        jt->y = v[1];
        jt->z = v[2];
        jt->state = SK_TRACK_TRACKED;
    }
    if (sk__parse_int(&p, end, label) != 0 || *label < 0)
        return sk__load_fail(e, line, SK_EFORMAT,
                             "field 21: expected the label, a non-negative integer");
    p = sk__skip_blanks(p, end);
    if (p != end)
        return sk__load_fail(e, line, SK_EFORMAT, "unexpected text after the label");
    return 0;
}

int sk__precog_read(sk_take *t, const char *buf, size_t len, const sk__load_err *e)
{
    const char *p = buf, *end = buf + len;
    t->joint_set = SK_JOINTSET_KINECT1;
    t->fps = 30.0;
    int cap = 0, rc;
    long line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        line++;
        if (line == 1) {
            if ((rc = check_header(p, eol, e)) != 0)
                return rc;
        } else if (sk__skip_blanks(p, eol) != eol) { /* blank lines are skipped */
            if ((rc = sk__take_grow(t, &cap, 1, 0)) != 0)
                return sk__load_fail(e, line, rc, "%s",
                                     rc == SK_ELIMIT ? "too many frames" : "out of memory");
            sk_frame *f = &t->frames[t->nframes];
            sk_frame_init(f, SK_JOINTSET_KINECT1);
            f->nbodies = 1;
            f->seq = (uint64_t)t->nframes;
            if ((rc = parse_line(p, eol, line, f, &t->labels[t->nframes], e)) != 0)
                return rc;
            t->nframes++;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}
