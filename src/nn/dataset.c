/* Training data: recorded takes and clips of chosen subjects, and the
 * samples (windows) cut from them. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/seterr.h"
#include "skelact/data.h"
#include "training.h"

#ifndef SK_DATASET_MAX_FILES
#define SK_DATASET_MAX_FILES 4096 /* files of one dataset folder we consider */
#endif

/* The MSR Action3D README's action names, action 1 first. */
static const char *const msr_labels[20] = {
    "high arm wave", "horizontal arm wave", "hammer", "hand catch",
    "forward punch", "high throw", "draw x", "draw tick", "draw circle",
    "hand clap", "two hand wave", "side-boxing", "bend", "forward kick",
    "side kick", "jogging", "tennis swing", "tennis serve", "golf swing",
    "pick up and throw",
};

/* The PRECOG README's labels; 0 is the null class. */
static const char *const precog_labels[9] = {
    "none", "right punch", "left punch", "front right kick", "front left kick",
    "side right kick", "side left kick", "back fist", "elbow strike",
};

void sk__dataset_free(sk__dataset *ds)
{
    if (!ds)
        return;
    for (int i = 0; i < ds->nclips; i++) {
        free(ds->clips[i].bodies);
        free(ds->clips[i].labels);
    }
    free(ds->clips);
    memset(ds, 0, sizeof *ds);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the take at path as a clip (first body of each frame; a frame
 * without a body repeats the previous one). */
static int add_take(sk__dataset *ds, int *cap, const char *dir, const char *file,
                    int format, int subject, int label, char *err, size_t errlen)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path) {
        sk__seterr(err, errlen, "%s/%s: path too long", dir, file);
        return SK_EINVAL;
    }
    sk_take t;
    memset(&t, 0, sizeof t);
    int rc = sk_take_load(&t, path, format, err, errlen);
    if (rc)
        return rc;
    if (t.nframes < 1) {
        sk__seterr(err, errlen, "%s: no frames", path);
        sk_take_free(&t);
        return SK_EFORMAT;
    }
    if (ds->nclips == 0) {
        ds->joint_set = t.joint_set;
        ds->fps = t.fps;
    } else if (t.joint_set != ds->joint_set) {
        sk__seterr(err, errlen, "%s: joint set differs from the other files", path);
        sk_take_free(&t);
        return SK_EFORMAT;
    }
    if (ds->nclips == *cap) {
        int ncap = *cap ? 2 * *cap : 64;
        sk__clip *nc = realloc(ds->clips, (size_t)ncap * sizeof *nc);
        if (!nc) {
            sk_take_free(&t);
            return SK_ENOMEM;
        }
        ds->clips = nc;
        *cap = ncap;
    }
    sk__clip *c = &ds->clips[ds->nclips];
    memset(c, 0, sizeof *c);
    c->subject = subject;
    c->label = label;
    c->nframes = t.nframes;
    snprintf(c->name, sizeof c->name, "%s", file);
    c->bodies = calloc((size_t)t.nframes, sizeof *c->bodies);
    if (!c->bodies) {
        sk_take_free(&t);
        return SK_ENOMEM;
    }
    for (int i = 0; i < t.nframes; i++) {
        if (t.frames[i].nbodies > 0)
            c->bodies[i] = t.frames[i].bodies[0];
        else if (i > 0)
            c->bodies[i] = c->bodies[i - 1];
    }
    if (label < 0) {
        if (!t.labels) {
            sk__seterr(err, errlen, "%s: no per-frame labels", path);
            free(c->bodies);
            sk_take_free(&t);
            return SK_EFORMAT;
        }
        for (int i = 0; i < t.nframes; i++)
            if (t.labels[i] < 0 || t.labels[i] >= ds->nlabels) {
                sk__seterr(err, errlen, "%s: label outside the known classes", path);
                free(c->bodies);
                sk_take_free(&t);
                return SK_EFORMAT;
            }
        c->labels = t.labels; /* take it over */
        t.labels = NULL;
    }
    ds->nclips++;
    sk_take_free(&t);
    return 0;
}

static int load_msr(sk__dataset *ds, const char *dir, const unsigned char *subjects,
                    char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/files_used_in_cvpr12_paper.txt", dir);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        sk__seterr(err, errlen, "%s: %s", path, strerror(errno));
        return SK_EIO;
    }
    ds->nlabels = 20;
    for (int k = 0; k < 20; k++)
        snprintf(ds->labels[k], SK_LABEL_LEN, "%s", msr_labels[k]);
    int cap = 0, rc = 0;
    char line[256];
    while (fgets(line, sizeof line, fp)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, " \t\r\n");
        p[len] = '\0';
        if (!*p)
            continue;
        int a, s, e, used = 0;
        if (sscanf(p, "a%2d_s%2d_e%2d%n", &a, &s, &e, &used) != 3 || p[used] ||
            a < 1 || a > 20 || s < 1 || s >= SK_MAX_SUBJECTS) {
            sk__seterr(err, errlen, "%s: bad entry '%s'", path, p);
            rc = SK_EFORMAT;
            break;
        }
        if (!subjects[s])
            continue;
        char file[300];
        snprintf(file, sizeof file, "%s_skeleton3D.txt", p);
        if ((rc = add_take(ds, &cap, dir, file, SK_FORMAT_MSR, s, a - 1, err, errlen)))
            break;
    }
    fclose(fp);
    return rc;
}

/* Sorted names of dir's entries that are folders (dirs 1) or regular files
 * (dirs 0), hidden ones left out. Returns the count or -1 (errno set). */
static int list_entries(const char *dir, int dirs, char ***out)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < SK_DATASET_MAX_FILES) {
        char path[4096];
        struct stat st;
        if (de->d_name[0] == '.' ||
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path ||
            stat(path, &st) != 0 || (dirs ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)))
            continue;
        char **nn = realloc(names, (size_t)(n + 1) * sizeof *nn);
        if (!nn || !(nn[n] = strdup(de->d_name))) {
            names = nn ? nn : names;
            for (int i = 0; i < n; i++)
                free(names[i]);
            free(names);
            closedir(d);
            errno = ENOMEM;
            return -1;
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, (size_t)n, sizeof *names, cmp_names); /* readdir order varies */
    *out = names;
    return n;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static int load_precog(sk__dataset *ds, const char *dir,
                       const unsigned char *subjects, char *err, size_t errlen)
{
    char **names = NULL;
    int n = list_entries(dir, 0, &names), rc = 0, cap = 0;
    if (n < 0) {
        sk__seterr(err, errlen, "%s: %s", dir, strerror(errno));
        return errno == ENOMEM ? SK_ENOMEM : SK_EIO;
    }
    ds->nlabels = 9;
    for (int k = 0; k < 9; k++)
        snprintf(ds->labels[k], SK_LABEL_LEN, "%s", precog_labels[k]);
    for (int i = 0; i < n && rc == 0; i++) { /* sorted: readdir order varies */
        int r, s, used = 0;
        if (sscanf(names[i], "Seq%d_%d.csv%n", &r, &s, &used) != 2 || names[i][used] ||
            s < 1 || s >= SK_MAX_SUBJECTS || !subjects[s])
            continue;
        rc = add_take(ds, &cap, dir, names[i], SK_FORMAT_PRECOG, s, -1, err, errlen);
    }
    free_names(names, n);
    return rc;
}

/* dir/GESTURE/FILE: each folder a gesture (its name the label, in sorted
 * order after the null class "none"), each file in it one recorded
 * example, in any format sk_take_load reads. */
static int load_gestures(sk__dataset *ds, const char *dir, char *err, size_t errlen)
{
    char **g = NULL;
    int ng = list_entries(dir, 1, &g), rc = 0, cap = 0;
    if (ng < 0) {
        sk__seterr(err, errlen, "%s: %s", dir, strerror(errno));
        return SK_EIO;
    }
    if (ng + 1 > SK_MAX_CLASSES) {
        sk__seterr(err, errlen, "%s: %d gesture folders, at most %d", dir, ng,
                   SK_MAX_CLASSES - 1);
        free_names(g, ng);
        return SK_EINVAL;
    }
    ds->nlabels = ng + 1;
    snprintf(ds->labels[0], SK_LABEL_LEN, "none");
    for (int k = 0; k < ng && rc == 0; k++) {
        size_t len = strlen(g[k]);
        int bad = len >= SK_LABEL_LEN || !strcmp(g[k], "none");
        for (size_t i = 0; i < len; i++)
            bad |= (unsigned char)g[k][i] < 0x20 || g[k][i] == 0x7f;
        if (bad) {
            sk__seterr(err, errlen, "%s/%s: a gesture folder's name is its label: at most "
                       "%d bytes, no control characters, not 'none'", dir, g[k],
                       SK_LABEL_LEN - 1);
            rc = SK_EINVAL;
            break;
        }
        memcpy(ds->labels[k + 1], g[k], len + 1);
        char sub[4096], **files = NULL;
        snprintf(sub, sizeof sub, "%s/%s", dir, g[k]);
        int nf = list_entries(sub, 0, &files);
        if (nf < 0) {
            sk__seterr(err, errlen, "%s: %s", sub, strerror(errno));
            rc = SK_EIO;
            break;
        }
        if (nf == 0) {
            sk__seterr(err, errlen, "%s: no recordings of this gesture", sub);
            rc = SK_ENOTFOUND;
        }
        for (int i = 0; i < nf && rc == 0; i++)
            rc = add_take(ds, &cap, sub, files[i], SK_FORMAT_AUTO, 0, k + 1, err, errlen);
        free_names(files, nf);
    }
    free_names(g, ng);
    return rc;
}

int sk__dataset_load(sk__dataset *ds, const char *dir, int format,
                     const unsigned char *subjects, char *err, size_t errlen)
{
    memset(ds, 0, sizeof *ds);
    ds->format = format;
    int rc;
    if (format == SK_FORMAT_MSR)
        rc = load_msr(ds, dir, subjects, err, errlen);
    else if (format == SK_FORMAT_PRECOG)
        rc = load_precog(ds, dir, subjects, err, errlen);
    else if (format == SK__DATASET_GESTURES)
        rc = load_gestures(ds, dir, err, errlen);
    else {
        sk__seterr(err, errlen, "format %s is not a training format",
             sk_format_name(format) ? sk_format_name(format) : "?");
        return SK_EINVAL;
    }
    if (rc == 0 && ds->nclips == 0) {
        sk__seterr(err, errlen, "%s: no %s files%s", dir,
             format == SK_FORMAT_MSR      ? "MSR Action3D"
             : format == SK_FORMAT_PRECOG ? "PRECOG"
                                          : "gesture",
             format == SK__DATASET_GESTURES ? " (DIR/GESTURE/FILE)" : " of the chosen subjects");
        rc = SK_ENOTFOUND;
    }
    if (rc == 0 && !sk_joint_set_get(ds->joint_set)) {
        sk__seterr(err, errlen, "%s: unknown joint set", dir);
        rc = SK_EFORMAT;
    }
    if (rc)
        sk__dataset_free(ds);
    return rc;
}

int sk__dataset_samples(const sk__dataset *ds, int W, sk__sample **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (W < 1)
        return SK_EINVAL;
    long total = 0;
    for (int i = 0; i < ds->nclips; i++) {
        const sk__clip *c = &ds->clips[i];
        total += c->label >= 0 ? 1 : (c->nframes >= W ? c->nframes - W + 1 : 0);
    }
    if (total == 0)
        return 0;
    sk__sample *s = malloc((size_t)total * sizeof *s);
    if (!s)
        return SK_ENOMEM;
    long k = 0;
    for (int i = 0; i < ds->nclips; i++) {
        const sk__clip *c = &ds->clips[i];
        if (c->label >= 0) {
            s[k++] = (sk__sample){.clip = i, .end = -1, .label = c->label};
            continue;
        }
        for (int t = W - 1; t < c->nframes; t++)
            s[k++] = (sk__sample){.clip = i, .end = t, .label = c->labels[t]};
    }
    *out = s;
    *n = (int)k;
    return 0;
}
