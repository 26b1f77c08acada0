/* skelact data: recorded takes (PRECOG CSV, MSR Action3D, seed text lines,
 * skelact's own recording format) and the recorder.
 *
 * A take is a sequence of frames from one file, with per-frame labels when
 * the file has them. Every reader maps joints to a known joint set (MSR
 * Action3D's order is remapped to Kinect v1's, the PRECOG order).
 */
#ifndef SKELACT_DATA_H
#define SKELACT_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "skelact/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SK_FORMAT_AUTO = 0,   /* from the file name and its first bytes */
    SK_FORMAT_PRECOG = 1, /* SeqR_S.csv: header line, 20 "x y z" fields ';', label */
    SK_FORMAT_MSR = 2,    /* aAA_sSS_eEE_skeleton3D.txt: 20 lines "x y z c" a frame */
    SK_FORMAT_TEXT = 3,   /* seed text lines (any file of them) */
    SK_FORMAT_SKREC = 4,  /* skelact recording (docs/RECORDING.md) */
};

/* "auto", "precog", "msr", "text", "skrec" <-> id; -1 / NULL if unknown. */
int sk_format_from_name(const char *name);
const char *sk_format_name(int format);

typedef struct sk_take {
    int format;        /* SK_FORMAT_* it was read as */
    int joint_set;     /* SK_JOINTSET_* */
    double fps;        /* frame rate: 30 PRECOG/text, 15 MSR, measured for skrec */
    int nframes;
    sk_frame *frames;  /* nframes frames (owned) */
    int *labels;       /* nframes per-frame labels, or NULL (owned) */
    int64_t *arrival_us; /* skrec: each frame's arrival time relative to the
                            first (0 for the first), or NULL (owned) */
    /* From the file name where it says them, else 0. */
    int subject;       /* PRECOG SeqR_S: S; MSR sSS */
    int routine;       /* PRECOG: R */
    int action;        /* MSR aAA (1-based) */
    int trial;         /* MSR eEE */
} sk_take;

/* Read a whole file. On failure returns a negative SK_E* code and writes a
 * one-line reason naming the file (and line, where it has one) into err.
 * On success *t owns its arrays: free them with sk_take_free(). */
int sk_take_load(sk_take *t, const char *path, int format, char *err,
                 size_t errlen);
/* Free a take's arrays and zero it; NULL or a zeroed take is fine. */
void sk_take_free(sk_take *t);

/* ---- recording format (.skrec) ---------------------------------------- */

typedef struct sk_recorder sk_recorder;

/* Create path and write the file header. Returns 0 or SK_EIO (err says why). */
int sk_recorder_open(sk_recorder **out, const char *path, char *err, size_t errlen);
/* Append a frame with its arrival time (sk_now_us() clock). Returns 0 or SK_EIO. */
int sk_recorder_write(sk_recorder *r, const sk_frame *f, int64_t arrival_us);
/* Flush and close; NULL is fine. Returns 0 or SK_EIO if the final flush failed. */
int sk_recorder_close(sk_recorder *r);

#ifdef __cplusplus
}
#endif
#endif
