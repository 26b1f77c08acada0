/* skelact report: pictures of an evaluation, as SVG written by hand (no
 * library). A confusion-matrix heat map of the frame labels, and a timeline
 * of true moves against the recognizer's decisions and events per take.
 * The writers print to a FILE the caller opened; they never print
 * elsewhere. */
#ifndef SKELACT_REPORT_H
#define SKELACT_REPORT_H

#include <stdio.h>

#include "skelact/recognizer.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SK_REPORT_MAX_LABELS
#define SK_REPORT_MAX_LABELS 64 /* a model's classes at most (SK_MAX_CLASSES) */
#endif

/* Write a K x K confusion matrix as an SVG heat map: counts (K*K, row-major,
 * row = true label, column = reported label), each cell coloured by its
 * share of its row (row-normalised) and showing its count; labels (K names)
 * along both axes; title (may be NULL) above. Returns 0, SK_EINVAL (K out
 * of 1..SK_REPORT_MAX_LABELS, a negative count, NULL arguments) or SK_EIO
 * (a write failed). */
int sk_svg_confusion_write(FILE *out, const long *counts, int K,
                           const char *const *labels, const char *title);

/* One take of a timeline. Every pointer is borrowed for the call. */
typedef struct sk_timeline_take {
    const char *name;           /* take name, shown above its band */
    int nframes;
    const int *truth;           /* (nframes) true labels */
    const int *pred;            /* (nframes) reported labels, or NULL */
    const sk_score_event *ev;   /* (nev) START events, take-local frames */
    int nev;
    const int *hit;             /* (nev) matched move or -1 (false alarm),
                                   or NULL */
} sk_timeline_take;

/* Write a timeline: for each take, a band of its true moves and one of the
 * recognizer's decisions over frames (colour per label; label 0 blank),
 * the START events as markers (a false alarm drawn hollow), a frame axis
 * (seconds at fps, if fps > 0), and a legend of the labels. Returns 0,
 * SK_EINVAL (no take, a label outside 0..K-1, an event outside its take,
 * NULL arguments) or SK_EIO. */
int sk_svg_timeline_write(FILE *out, const sk_timeline_take *takes, int ntakes,
                          int K, const char *const *labels, double fps,
                          const char *title);

#ifdef __cplusplus
}
#endif
#endif
