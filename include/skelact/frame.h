/* skelact core: frames, joint sets, error codes, time.
 *
 * One frame = a sender timestamp, a sequence number and up to SK_MAX_BODIES
 * bodies, each an id and J joints (x, y, z in metres, camera space: x right,
 * y up, z away from the sensor, plus a tracking state). The joint set says
 * what the J joints are; it is data (names, bones, reference joints), not code.
 */
#ifndef SKELACT_FRAME_H
#define SKELACT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes ------------------------------------------------------ */

/* One list defines the codes and their messages (after libuv's UV_ERRNO_MAP).
 * Functions return 0 on success and a negative SK_E* code on failure. */
#define SK_ERRNO_MAP(X)                                                       \
    X(NOMEM, 1, "out of memory")                                              \
    X(INVAL, 2, "invalid argument")                                           \
    X(AGAIN, 3, "need more input")                                            \
    X(PROTO, 4, "protocol error")                                             \
    X(LIMIT, 5, "limit exceeded")                                             \
    X(IO, 6, "input/output error")                                            \
    X(CLOSED, 7, "connection closed")                                         \
    X(FORMAT, 8, "bad file format")                                           \
    X(NOTFOUND, 9, "not found")                                               \
    X(UNSUPPORTED, 10, "not supported")                                       \
    X(CHECKSUM, 11, "checksum mismatch")                                      \
    X(TIMEDOUT, 12, "timed out")                                              \
    X(ADDR, 13, "bad address")                                                \
    X(EOF, 14, "end of input")

enum {
    SK_OK = 0,
#define SK__ERRNO_ENUM(name, num, msg) SK_E##name = -(num),
    SK_ERRNO_MAP(SK__ERRNO_ENUM)
#undef SK__ERRNO_ENUM
};

/* A static message for an SK_E* code (or "unknown error"); never NULL. */
const char *sk_strerror(int err);

/* ---- frames ----------------------------------------------------------- */

#ifndef SK_MAX_BODIES
#define SK_MAX_BODIES 6 /* the Kinect SDKs track at most 6 people */
#endif
#ifndef SK_MAX_JOINTS
#define SK_MAX_JOINTS 25 /* the largest joint set we know: Kinect v2 */
#endif

/* Tracking state of one joint, as the Kinect SDKs report it. */
enum {
    SK_TRACK_NONE = 0,     /* not tracked: the position means nothing */
    SK_TRACK_INFERRED = 1, /* guessed by the sensor from its neighbours */
    SK_TRACK_TRACKED = 2   /* seen */
};

typedef struct sk_joint {
    float x, y, z;  /* metres, camera space */
    uint8_t state;  /* SK_TRACK_* */
} sk_joint;

typedef struct sk_body {
    uint32_t id; /* tracking id: stable while the sensor follows this person */
    sk_joint joints[SK_MAX_JOINTS];
} sk_body;

/* A whole frame. Plain data: fixed size, copy it by assignment. */
typedef struct sk_frame {
    int64_t timestamp_us; /* sender's clock (CLOCK_REALTIME, us); 0 = unknown */
    int64_t arrival_us;   /* receiver's sk_now_us() at decode; 0 = unset */
    uint64_t seq;         /* sender's sequence number (or the receiver's count) */
    uint8_t joint_set;    /* SK_JOINTSET_* */
    uint8_t njoints;      /* joints per body: the joint set's count */
    uint8_t nbodies;      /* 0..SK_MAX_BODIES */
    sk_body bodies[SK_MAX_BODIES];
} sk_frame;

/* Zero a frame and set its joint set (and njoints from it). */
void sk_frame_init(sk_frame *f, int joint_set);

/* ---- joint sets --------------------------------------------------------- */

enum {
    SK_JOINTSET_UNKNOWN = 0,
    SK_JOINTSET_KINECT1 = 1, /* 20 joints, NUI_SKELETON_POSITION order (PRECOG) */
    SK_JOINTSET_KINECT2 = 2, /* 25 joints, Kinect SDK 2 JointType order */
    SK_JOINTSET_COUNT
};

typedef struct sk_joint_set {
    int id;                         /* SK_JOINTSET_* */
    const char *name;               /* "kinect1", "kinect2" */
    int njoints;
    const char *const *joint_names; /* njoints names, e.g. "HipCenter" */
    int nbones;
    const uint8_t (*bones)[2];      /* nbones (parent, child) joint indices */
    const uint8_t *mirror;          /* njoints: index of the left/right twin */
    const float *bone_length;       /* nbones: a typical adult's length of each
                                       bone, in hip-centre-to-shoulder-centre
                                       lengths (the canonical body that
                                       feature retargeting maps every body
                                       to); bones are listed parent first
                                       from the hip centre, the root */
    /* Reference joints, used by feature extraction. */
    int hip_center, spine, shoulder_center, head;
    int shoulder_left, shoulder_right, hip_left, hip_right;
} sk_joint_set;

/* The joint set with this id, or NULL. */
const sk_joint_set *sk_joint_set_get(int id);
/* The joint set with this many joints, or NULL. */
const sk_joint_set *sk_joint_set_by_count(int njoints);
/* The joint set with this name ("kinect1", "kinect2"), or NULL. */
const sk_joint_set *sk_joint_set_by_name(const char *name);

/* ---- time ------------------------------------------------------------- */

/* Monotonic clock, microseconds (for intervals and latencies in-process). */
int64_t sk_now_us(void);
/* Wall clock (CLOCK_REALTIME), microseconds since the epoch: what senders
 * put in a frame's timestamp, comparable across processes on one machine. */
int64_t sk_wall_us(void);
/* Sleep for us microseconds (restarts after signals unless stop is set
 * non-zero by a handler; pass NULL to ignore). */
void sk_sleep_us(int64_t us, volatile int *stop);

#ifdef __cplusplus
}
#endif
#endif
