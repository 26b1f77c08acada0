/* skrec, skelact's recording format (docs/RECORDING.md): a 32-byte file
 * header, then one record per frame: the frame's arrival time relative to the
 * first frame's, the frame as one skelact binary v1 message, and a CRC32.
 * The reader below and the recorder (sk_recorder_*). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"
#include "skelact/codec.h"

/* ---- header --------------------------------------------------------------- */

typedef struct skrec_header {
    int joint_set;      /* 0: not known (no frame was written) */
    int njoints;
    int64_t start_wall_us;
    uint32_t nframes;   /* 0: not known (the recorder did not close) */
} skrec_header;

static void header_encode(uint8_t out[SK_SKREC_HEADER_SIZE], const skrec_header *h)
{
    memset(out, 0, SK_SKREC_HEADER_SIZE);
    memcpy(out, SK__SKREC_MAGIC, SK__SKREC_MAGIC_LEN);
    sk__wr16(out + 8, SK_SKREC_VERSION);
    sk__wr16(out + 10, SK_SKREC_HEADER_SIZE);
    out[12] = (uint8_t)h->joint_set;
    out[13] = (uint8_t)h->njoints;
    sk__wr16(out + 14, 0); /* flags */
    sk__wr64(out + 16, (uint64_t)h->start_wall_us);
    sk__wr32(out + 24, h->nframes);
    sk__wr32(out + 28, sk_crc32(0, out, 28));
}

/* ---- reader --------------------------------------------------------------- */

int sk__skrec_read(sk_take *t, const uint8_t *buf, size_t len, const sk__load_err *e)
{
    if (len < SK__SKREC_MAGIC_LEN || memcmp(buf, SK__SKREC_MAGIC, SK__SKREC_MAGIC_LEN) != 0)
        return sk__load_fail(e, 0, SK_EFORMAT, "not a skrec file (no \"SKREC\" magic)");
    if (len < SK_SKREC_HEADER_SIZE)
        return sk__load_fail(e, 0, SK_EFORMAT, "truncated header (%zu of %d bytes)",
                             len, SK_SKREC_HEADER_SIZE);
    unsigned version = sk__rd16(buf + 8), hsize = sk__rd16(buf + 10);
    if (version != SK_SKREC_VERSION)
        return sk__load_fail(e, 0, SK_EUNSUPPORTED,
                             "skrec version %u, this build reads version %d", version,
                             SK_SKREC_VERSION);
    uint32_t crc = sk__rd32(buf + 28);
    if (sk_crc32(0, buf, 28) != crc)
        return sk__load_fail(e, 0, SK_ECHECKSUM, "header CRC mismatch");
    if (hsize != SK_SKREC_HEADER_SIZE)
        return sk__load_fail(e, 0, SK_EFORMAT, "header size %u, expected %d", hsize,
                             SK_SKREC_HEADER_SIZE);
    skrec_header h = {.joint_set = buf[12], .njoints = buf[13],
                      .start_wall_us = (int64_t)sk__rd64(buf + 16),
                      .nframes = sk__rd32(buf + 24)};
    if (h.joint_set != 0) {
        const sk_joint_set *js = sk_joint_set_get(h.joint_set);
        if (!js)
            return sk__load_fail(e, 0, SK_EFORMAT, "unknown joint set %d", h.joint_set);
        if (h.njoints != js->njoints)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "header says %d joints, joint set %s has %d",
                                 h.njoints, js->name, js->njoints);
    }
    if (h.nframes > SK_MAX_TAKE_FRAMES)
        return sk__load_fail(e, 0, SK_ELIMIT, "header says %u frames, limit %d",
                             h.nframes, SK_MAX_TAKE_FRAMES);

    int cap = 0, rc;
    size_t pos = SK_SKREC_HEADER_SIZE;
    int64_t last_arrival = 0;
    while (pos < len) {
        long rec = (long)t->nframes + 1; /* 1-based record number for messages */
        size_t left = len - pos;
        if (left < 12)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): truncated record head "
                                 "(%zu of 12 bytes; the %d records before it are whole)",
                                 rec, pos, left, t->nframes);
        const uint8_t *r = buf + pos;
        int64_t arrival = (int64_t)sk__rd64(r);
        uint32_t n = sk__rd32(r + 8);
        if (n < SK_BINARY_HEADER_SIZE || n > SK_BINARY_MAX_FRAME)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): message length %u outside "
                                 "%d..%d",
                                 rec, pos, n, SK_BINARY_HEADER_SIZE,
                                 (int)SK_BINARY_MAX_FRAME);
        if (left < 12 + (size_t)n + 4)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): truncated (needs %zu bytes, "
                                 "%zu left; the %d records before it are whole)",
                                 rec, pos, 12 + (size_t)n + 4, left, t->nframes);
        if (sk_crc32(0, r, 12 + (size_t)n) != sk__rd32(r + 12 + n))
            return sk__load_fail(e, 0, SK_ECHECKSUM,
                                 "record %ld (byte %zu): CRC mismatch", rec, pos);
        if ((rc = sk__take_grow(t, &cap, 0, 1)) != 0)
            return sk__load_fail(e, 0, rc, "record %ld: %s", rec,
                                 rc == SK_ELIMIT ? "too many frames" : "out of memory");
        sk_frame *f = &t->frames[t->nframes];
        sk_binary_part part = {0, 0};
        int got = sk_binary_decode(r + 12, n, f, &part);
        if (got < 0)
            return sk__load_fail(e, 0, got == SK_ECHECKSUM ? SK_ECHECKSUM : SK_EFORMAT,
                                 "record %ld (byte %zu): bad binary message (%s)", rec,
                                 pos, sk_strerror(got));
        if ((uint32_t)got != n)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): message is %d bytes, record "
                                 "says %u", rec, pos, got, n);
        if (part.first_body != 0 || part.frame_bodies != f->nbodies)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): holds bodies %d.. of %d, "
                                 "not a whole frame", rec, pos, part.first_body,
                                 part.frame_bodies);
        int js = h.joint_set ? h.joint_set : t->nframes ? t->joint_set : f->joint_set;
        if (f->joint_set != js)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): joint set %d, the file's is %d",
                                 rec, pos, f->joint_set, js);
        t->joint_set = js;
        if (t->nframes == 0 ? arrival != 0 : arrival < last_arrival)
            return sk__load_fail(e, 0, SK_EFORMAT,
                                 "record %ld (byte %zu): arrival time %lld us %s", rec,
                                 pos, (long long)arrival,
                                 t->nframes == 0 ? "(the first must be 0)"
                                                 : "is before the previous frame's");
        f->arrival_us = arrival;
        t->arrival_us[t->nframes] = arrival;
        last_arrival = arrival;
        t->nframes++;
        pos += 12 + (size_t)n + 4;
    }
    if (h.nframes != 0 && (uint32_t)t->nframes != h.nframes)
        return sk__load_fail(e, 0, SK_EFORMAT,
                             "header says %u frames, the file holds %d (truncated?)",
                             h.nframes, t->nframes);
    if (t->nframes >= 2 && last_arrival > 0)
        t->fps = (double)(t->nframes - 1) * 1e6 / (double)last_arrival;
    else
        t->fps = 30.0;
    return 0;
}

/* ---- recorder ------------------------------------------------------------- */

struct sk_recorder {
    int fd;
    int header_on_disk;      /* the buffer no longer starts with the header */
    skrec_header h;
    int64_t first_arrival;   /* sk_now_us() of the first frame */
    int64_t last_rel;        /* last relative arrival written */
    size_t used;             /* bytes in buf */
    char err[256];
    uint8_t buf[SK_RECORDER_BUFFER];
};

/* The buffer must hold the header plus one largest record. */
#if SK_RECORDER_BUFFER < SK_SKREC_HEADER_SIZE + SK_BINARY_MAX_FRAME + SK_SKREC_RECORD_OVERHEAD
#error "SK_RECORDER_BUFFER is too small for one frame"
#endif

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sk_recorder_flush(sk_recorder *r)
{
    if (!r)
        return SK_EINVAL;
    if (r->fd < 0)
        return SK_EIO;
    if (r->used == 0)
        return 0;
    if (write_all(r->fd, r->buf, r->used) != 0) {
        snprintf(r->err, sizeof r->err, "write: %s", strerror(errno));
        return SK_EIO;
    }
    r->used = 0;
    r->header_on_disk = 1;
    return 0;
}

int sk_recorder_open(sk_recorder **out, const char *path, char *err, size_t errlen)
{
    sk_recorder *r = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!out || !path)
        return SK_EINVAL;
    *out = NULL;
    if (!(r = calloc(1, sizeof *r))) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory", path);
        return SK_ENOMEM;
    }
    r->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->fd < 0) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail;
    }
    r->h.start_wall_us = sk_wall_us();
    header_encode(r->buf, &r->h);
    r->used = SK_SKREC_HEADER_SIZE;
    *out = r;
    return 0;
fail:
    free(r);
    return SK_EIO;
}

int sk_recorder_write(sk_recorder *r, const sk_frame *f, int64_t arrival_us)
{
    if (!r || !f)
        return SK_EINVAL;
    if (r->fd < 0)
        return SK_EIO;
    if (r->h.nframes > 0 && f->joint_set != r->h.joint_set) {
        snprintf(r->err, sizeof r->err, "frame has joint set %d, the recording's is %d",
                 f->joint_set, r->h.joint_set);
        return SK_EINVAL;
    }
    if (sizeof r->buf - r->used < SK_BINARY_MAX_FRAME + SK_SKREC_RECORD_OVERHEAD) {
        int rc = sk_recorder_flush(r);
        if (rc != 0)
            return rc;
    }
    uint8_t *rec = r->buf + r->used;
    int n = sk_binary_encode(f, rec + 12, SK_BINARY_MAX_FRAME);
    if (n < 0) {
        snprintf(r->err, sizeof r->err, "frame not encodable: %s", sk_strerror(n));
        return SK_EINVAL;
    }
    int64_t rel;
    if (r->h.nframes == 0) {
        r->first_arrival = arrival_us;
        rel = 0;
        r->h.joint_set = f->joint_set;
        r->h.njoints = f->njoints;
        if (!r->header_on_disk) /* still in the buffer: say the joint set now */
            header_encode(r->buf, &r->h);
    } else {
        rel = arrival_us - r->first_arrival;
        if (rel < r->last_rel)
            rel = r->last_rel;
    }
    r->last_rel = rel;
    sk__wr64(rec, (uint64_t)rel);
    sk__wr32(rec + 8, (uint32_t)n);
    sk__wr32(rec + 12 + n, sk_crc32(0, rec, 12 + (size_t)n));
    r->used += 12 + (size_t)n + 4;
    r->h.nframes++;
    return 0;
}

uint32_t sk_recorder_frames(const sk_recorder *r)
{
    return r ? r->h.nframes : 0;
}

const char *sk_recorder_errmsg(const sk_recorder *r)
{
    return r ? r->err : "no recorder";
}

int sk_recorder_close(sk_recorder *r)
{
    if (!r)
        return 0;
    int rc = 0;
    if (r->fd >= 0) {
        uint8_t hdr[SK_SKREC_HEADER_SIZE];
        header_encode(hdr, &r->h);
        if (!r->header_on_disk) {
            memcpy(r->buf, hdr, sizeof hdr);
            rc = sk_recorder_flush(r);
        } else {
            rc = sk_recorder_flush(r);
            /* A pipe cannot seek: the count then stays 0 ("unknown"). */
            if (rc == 0 && pwrite(r->fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr &&
                errno != ESPIPE)
                rc = SK_EIO;
        }
        if (close(r->fd) != 0)
            rc = SK_EIO;
    }
    free(r);
    return rc;
}
