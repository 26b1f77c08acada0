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

#ifndef SK_MAX_TAKE_BYTES
#define SK_MAX_TAKE_BYTES (1u << 30) /* 1 GiB: no recording of ours is near it */
#endif
#ifndef SK_MAX_TAKE_FRAMES
#define SK_MAX_TAKE_FRAMES 1000000 /* 9 h at 30 fps; ~2.4 GB of sk_frame */
#endif

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
    int bad_lines;     /* text: lines skipped as bad (see sk_take_load) */
} sk_take;

/* Read a whole file. On failure returns a negative SK_E* code and writes a
 * one-line reason naming the file (and line, where it has one) into err.
 * On success *t owns its arrays: free them with sk_take_free().
 *
 * Every reader yields frames of one body (id 0, except skrec, which keeps
 * what was recorded) with seq = frame index (skrec: the recorded seq) and
 * timestamp_us 0 (skrec: the recorded sender timestamp). A take with no
 * frame is an error (SK_EFORMAT). Codes: SK_ENOTFOUND (no such file), SK_EIO
 * (unreadable), SK_EFORMAT (malformed: err names the line or record),
 * SK_ECHECKSUM (skrec CRC mismatch), SK_EUNSUPPORTED (skrec version),
 * SK_ELIMIT (larger than SK_MAX_TAKE_BYTES / SK_MAX_TAKE_FRAMES), SK_ENOMEM.
 * Text files: bad lines are skipped and counted in t->bad_lines (err then
 * holds the first one's reason even on success); the load fails only if no
 * line decodes. The other formats fail on the first bad line or record.
 * docs/RECORDING.md says more. */
int sk_take_load(sk_take *t, const char *path, int format, char *err,
                 size_t errlen);
/* The same from memory: name is what error messages call the input and what
 * SK_FORMAT_AUTO, subject, routine, action and trial are read from (may be
 * NULL). buf is only read during the call. */
int sk_take_load_mem(sk_take *t, const void *buf, size_t len, const char *name,
                     int format, char *err, size_t errlen);
/* Free a take's arrays and zero it; NULL or a zeroed take is fine. */
void sk_take_free(sk_take *t);

/* The format SK_FORMAT_AUTO picks for a file called name (may be NULL) that
 * starts with the len bytes at head: skrec magic (or a .skrec name) -> skrec;
 * a "HipCenter;" header -> precog; *_skeleton3D.txt -> msr; else text. */
int sk_format_detect(const char *name, const void *head, size_t len);

/* Read the subject, routine, action and trial that a file name says
 * (PRECOG "SeqR_S.csv", MSR "aAA_sSS_eEE_skeleton3D.txt"; any folder part is
 * ignored) into t; fields the name does not say are set to 0. Loads nothing:
 * lets a caller split by subject before reading. */
void sk_take_name_parse(sk_take *t, const char *path);

/* ---- MSR Action3D file list -------------------------------------------- */

/* Read dir/files_used_in_cvpr12_paper.txt (one "aAA_sSS_eEE" a line, the
 * 557 clips of the usual protocol) into *paths: *n strings
 * "dir/aAA_sSS_eEE_skeleton3D.txt", in the list's order. Returns 0, or
 * SK_ENOTFOUND / SK_EIO / SK_EFORMAT (err names the line) / SK_ENOMEM.
 * Free with sk_msr_list_free(). */
int sk_msr_list_load(const char *dir, char ***paths, int *n, char *err,
                     size_t errlen);
/* Free what sk_msr_list_load() returned; NULL is fine. */
void sk_msr_list_free(char **paths, int n);

/* ---- recording format (.skrec) ---------------------------------------- */

typedef struct sk_recorder sk_recorder;

#define SK_SKREC_VERSION 1
#define SK_SKREC_HEADER_SIZE 32
#define SK_SKREC_RECORD_OVERHEAD 16 /* arrival, length, CRC around a message */

#ifndef SK_RECORDER_BUFFER
#define SK_RECORDER_BUFFER 65536 /* ~200 one-body frames: one write(2) per ~7 s at 30 fps */
#endif

/* Create (or truncate) path and write the file header. Returns 0, SK_EIO
 * (err says why) or SK_ENOMEM. */
int sk_recorder_open(sk_recorder **out, const char *path, char *err, size_t errlen);
/* Append a frame with its arrival time (sk_now_us() clock; the file keeps it
 * relative to the first frame's, and a time earlier than the previous frame's
 * is recorded as the previous one). Buffered; allocates nothing. Returns 0,
 * SK_EINVAL (a frame the binary codec refuses, or a joint set other than the
 * first frame's) or SK_EIO (a write failed; sk_recorder_errmsg says why). */
int sk_recorder_write(sk_recorder *r, const sk_frame *f, int64_t arrival_us);
/* Write out what is buffered (e.g. once a second, so a killed recorder loses
 * little). Returns 0 or SK_EIO. */
int sk_recorder_flush(sk_recorder *r);
/* Frames written so far. */
uint32_t sk_recorder_frames(const sk_recorder *r);
/* The reason for the last error. Borrowed: valid until the next call on r. */
const char *sk_recorder_errmsg(const sk_recorder *r);
/* Flush, write the frame count into the header and close; NULL is fine.
 * Returns 0 or SK_EIO if the final flush failed. */
int sk_recorder_close(sk_recorder *r);

#ifdef __cplusplus
}
#endif
#endif
