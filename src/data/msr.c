/* MSR Action3D skeleton files (aAA_sSS_eEE_skeleton3D.txt): one joint a line,
 * "x y z c", 20 lines a frame, in MSR's joint order, remapped here to the
 * Kinect v1 order. And the list of the 557 clips of the usual protocol. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"

#define MSR_JOINTS 20
#define MSR_FPS 15.0

/* Kinect v1 index of each MSR joint (MSR's 1-based order: 1 shoulder L,
 * 2 shoulder R, 3 shoulder centre, 4 spine, 5 hip L, 6 hip R, 7 hip centre,
 * 8 elbow L, 9 elbow R, 10 wrist L, 11 wrist R, 12 hand L, 13 hand R,
 * 14 knee L, 15 knee R, 16 ankle L, 17 ankle R, 18 foot L, 19 foot R,
 * 20 head). */
static const uint8_t msr_to_kinect1[MSR_JOINTS] = {
    4,  /* shoulder L -> ShoulderLeft */
    8,  /* shoulder R -> ShoulderRight */
    2,  /* shoulder centre -> ShoulderCenter */
    1,  /* spine -> Spine */
    12, /* hip L -> HipLeft */
    16, /* hip R -> HipRight */
    0,  /* hip centre -> HipCenter */
    5,  /* elbow L -> ElbowLeft */
    9,  /* elbow R -> ElbowRight */
    6,  /* wrist L -> WristLeft */
    10, /* wrist R -> WristRight */
    7,  /* hand L -> HandLeft */
    11, /* hand R -> HandRight */
    13, /* knee L -> KneeLeft */
    17, /* knee R -> KneeRight */
    14, /* ankle L -> AnkleLeft */
    18, /* ankle R -> AnkleRight */
    15, /* foot L -> FootLeft */
    19, /* foot R -> FootRight */
    3,  /* head -> Head */
};

int sk__msr_read(sk_take *t, const char *buf, size_t len, const sk__load_err *e)
{
    const char *p = buf, *end = buf + len;
    t->joint_set = SK_JOINTSET_KINECT1;
    t->fps = MSR_FPS;
    int want_labels = t->action > 0;
    int cap = 0, rc, joint = 0; /* MSR joint index within the current frame */
    long line = 0, frame_line = 0;
    sk_frame *f = NULL;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        line++;
        if (sk__skip_blanks(p, eol) == eol) { /* blank lines are skipped */
            p = nl ? nl + 1 : end;
            continue;
        }
        if (joint == 0) {
            if ((rc = sk__take_grow(t, &cap, want_labels, 0)) != 0)
                return sk__load_fail(e, line, rc, "%s",
                                     rc == SK_ELIMIT ? "too many frames" : "out of memory");
            f = &t->frames[t->nframes];
            sk_frame_init(f, SK_JOINTSET_KINECT1);
            f->nbodies = 1;
            f->seq = (uint64_t)t->nframes;
            frame_line = line;
        }
        float v[4];
        const char *q = p;
        for (int k = 0; k < 4; k++)
            if (sk__parse_float(&q, eol, &v[k]) != 0)
                return sk__load_fail(e, line, SK_EFORMAT,
                                     "expected 4 numbers \"x y z c\", number %d is "
                                     "missing or bad", k + 1);
        if (sk__skip_blanks(q, eol) != eol)
            return sk__load_fail(e, line, SK_EFORMAT,
                                 "unexpected text after \"x y z c\"");
        sk_joint *jt = &f->bodies[0].joints[msr_to_kinect1[joint]];
        jt->x = v[0];
        jt->y = v[1];
        jt->z = v[2];
        /* c is the sensor's confidence (0..1). Exactly (0,0,0) is how the
         * files mark a lost skeleton: not tracked at all. */
        if (v[0] == 0.0f && v[1] == 0.0f && v[2] == 0.0f)
            jt->state = SK_TRACK_NONE;
        else
            jt->state = v[3] > 0.0f ? SK_TRACK_TRACKED : SK_TRACK_INFERRED;
        if (++joint == MSR_JOINTS) {
            if (want_labels)
                t->labels[t->nframes] = t->action;
            t->nframes++;
            joint = 0;
        }
        p = nl ? nl + 1 : end;
    }
    if (joint != 0)
        return sk__load_fail(e, line, SK_EFORMAT,
                             "last frame (from line %ld) has %d joint lines, expected %d",
                             frame_line, joint, MSR_JOINTS);
    return 0;
}

/* ---- the 557-clip list ------------------------------------------------------ */

#ifndef SK_MSR_LIST_MAX
#define SK_MSR_LIST_MAX 4096 /* the real list has 557 lines */
#endif

void sk_msr_list_free(char **paths, int n)
{
    if (!paths)
        return;
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

int sk_msr_list_load(const char *dir, char ***paths, int *n, char *err, size_t errlen)
{
    char listpath[4096];
    char **out = NULL;
    int count = 0, rc = 0;
    FILE *fp = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!dir || !paths || !n)
        return SK_EINVAL;
    *paths = NULL;
    *n = 0;
    snprintf(listpath, sizeof listpath, "%s/files_used_in_cvpr12_paper.txt", dir);
    sk__load_err e = {err, errlen, listpath};
    if (!(fp = fopen(listpath, "r")))
        return sk__load_fail(&e, 0, errno == ENOENT ? SK_ENOTFOUND : SK_EIO, "%s",
                             strerror(errno));
    if (!(out = calloc(SK_MSR_LIST_MAX, sizeof *out))) {
        rc = sk__load_fail(&e, 0, SK_ENOMEM, "out of memory");
        goto fail;
    }
    char line[256];
    long lineno = 0;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        size_t k = strlen(line);
        if (k == sizeof line - 1 && line[k - 1] != '\n') {
            rc = sk__load_fail(&e, lineno, SK_EFORMAT, "line too long");
            goto fail;
        }
        while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r' ||
                         line[k - 1] == ' ' || line[k - 1] == '\t'))
            line[--k] = '\0';
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0')
            continue;
        sk_take probe = {0};
        sk_take_name_parse(&probe, s);
        if (probe.action == 0 || strchr(s, '/') || strchr(s, '_') == NULL ||
            strlen(s) > 32) {
            rc = sk__load_fail(&e, lineno, SK_EFORMAT,
                               "expected a clip name \"aAA_sSS_eEE\", got \"%.40s\"", s);
            goto fail;
        }
        if (count == SK_MSR_LIST_MAX) {
            rc = sk__load_fail(&e, lineno, SK_ELIMIT, "more than %d clips",
                               SK_MSR_LIST_MAX);
            goto fail;
        }
        size_t need = strlen(dir) + 1 + strlen(s) + sizeof "_skeleton3D.txt";
        if (!(out[count] = malloc(need))) {
            rc = sk__load_fail(&e, lineno, SK_ENOMEM, "out of memory");
            goto fail;
        }
        snprintf(out[count], need, "%s/%s_skeleton3D.txt", dir, s);
        count++;
    }
    if (ferror(fp)) {
        rc = sk__load_fail(&e, 0, SK_EIO, "read error");
        goto fail;
    }
    fclose(fp);
    *paths = out;
    *n = count;
    return 0;
fail:
    if (fp)
        fclose(fp);
    sk_msr_list_free(out, count);
    return rc;
}
