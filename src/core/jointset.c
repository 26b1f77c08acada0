/* Joint sets as data: Kinect v1 (PRECOG order) and Kinect v2 (SDK 2 order). */
#include <string.h>

#include "skelact/frame.h"

static const char *const kinect1_names[20] = {
    "HipCenter",     "Spine",      "ShoulderCenter", "Head",
    "ShoulderLeft",  "ElbowLeft",  "WristLeft",      "HandLeft",
    "ShoulderRight", "ElbowRight", "WristRight",     "HandRight",
    "HipLeft",       "KneeLeft",   "AnkleLeft",      "FootLeft",
    "HipRight",      "KneeRight",  "AnkleRight",     "FootRight",
};

static const uint8_t kinect1_bones[19][2] = {
    {0, 1},   {1, 2},   {2, 3},                       /* trunk, head */
    {2, 4},   {4, 5},   {5, 6},   {6, 7},             /* left arm */
    {2, 8},   {8, 9},   {9, 10},  {10, 11},           /* right arm */
    {0, 12},  {12, 13}, {13, 14}, {14, 15},           /* left leg */
    {0, 16},  {16, 17}, {17, 18}, {18, 19},           /* right leg */
};

/* Mean bone lengths over PRECOG subjects 1-6 (every third frame), in units
 * of each frame's hip-centre-to-shoulder-centre distance, left and right
 * averaged; subjects differ by up to 0.35 on a thigh (0.96-1.31). */
static const float kinect1_bone_length[19] = {
    0.19f, 0.84f, 0.45f,                 /* trunk, head */
    0.47f, 0.58f, 0.56f, 0.20f,          /* left arm */
    0.47f, 0.58f, 0.56f, 0.20f,          /* right arm */
    0.24f, 1.17f, 0.88f, 0.21f,          /* left leg */
    0.24f, 1.17f, 0.88f, 0.21f,          /* right leg */
};

static const uint8_t kinect1_mirror[20] = {
    0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 16, 17, 18, 19, 12, 13, 14, 15,
};

static const char *const kinect2_names[25] = {
    "SpineBase",     "SpineMid",      "Neck",          "Head",
    "ShoulderLeft",  "ElbowLeft",     "WristLeft",     "HandLeft",
    "ShoulderRight", "ElbowRight",    "WristRight",    "HandRight",
    "HipLeft",       "KneeLeft",      "AnkleLeft",     "FootLeft",
    "HipRight",      "KneeRight",     "AnkleRight",    "FootRight",
    "SpineShoulder", "HandTipLeft",   "ThumbLeft",     "HandTipRight",
    "ThumbRight",
};

static const uint8_t kinect2_bones[24][2] = {
    {0, 1},   {1, 20},  {20, 2},  {2, 3},                         /* trunk */
    {20, 4},  {4, 5},   {5, 6},   {6, 7},  {7, 21}, {6, 22},      /* left arm */
    {20, 8},  {8, 9},   {9, 10},  {10, 11}, {11, 23}, {10, 24},   /* right arm */
    {0, 12},  {12, 13}, {13, 14}, {14, 15},                       /* left leg */
    {0, 16},  {16, 17}, {17, 18}, {18, 19},                       /* right leg */
};

/* Kinect v1's lengths where the bones match (SpineMid and SpineShoulder
 * split the hip-to-shoulder line in halves; neck, hand tips and thumbs from
 * adult proportions). */
static const float kinect2_bone_length[24] = {
    0.50f, 0.50f, 0.12f, 0.33f,                 /* trunk */
    0.47f, 0.58f, 0.56f, 0.20f, 0.15f, 0.10f,   /* left arm */
    0.47f, 0.58f, 0.56f, 0.20f, 0.15f, 0.10f,   /* right arm */
    0.24f, 1.17f, 0.88f, 0.21f,                 /* left leg */
    0.24f, 1.17f, 0.88f, 0.21f,                 /* right leg */
};

static const uint8_t kinect2_mirror[25] = {
    0,  1,  2,  3,  8,  9,  10, 11, 4,  5,  6,  7,  16,
    17, 18, 19, 12, 13, 14, 15, 20, 23, 24, 21, 22,
};

static const sk_joint_set joint_sets[SK_JOINTSET_COUNT] = {
    [SK_JOINTSET_KINECT1] =
        {
            .id = SK_JOINTSET_KINECT1,
            .name = "kinect1",
            .njoints = 20,
            .joint_names = kinect1_names,
            .nbones = 19,
            .bones = kinect1_bones,
            .mirror = kinect1_mirror,
            .bone_length = kinect1_bone_length,
            .hip_center = 0,
            .spine = 1,
            .shoulder_center = 2,
            .head = 3,
            .shoulder_left = 4,
            .shoulder_right = 8,
            .hip_left = 12,
            .hip_right = 16,
        },
    [SK_JOINTSET_KINECT2] =
        {
            .id = SK_JOINTSET_KINECT2,
            .name = "kinect2",
            .njoints = 25,
            .joint_names = kinect2_names,
            .nbones = 24,
            .bones = kinect2_bones,
            .mirror = kinect2_mirror,
            .bone_length = kinect2_bone_length,
            .hip_center = 0,
            .spine = 1,
            .shoulder_center = 20,
            .head = 3,
            .shoulder_left = 4,
            .shoulder_right = 8,
            .hip_left = 12,
            .hip_right = 16,
        },
};

const sk_joint_set *sk_joint_set_get(int id)
{
    if (id <= SK_JOINTSET_UNKNOWN || id >= SK_JOINTSET_COUNT)
        return NULL;
    return &joint_sets[id];
}

const sk_joint_set *sk_joint_set_by_count(int njoints)
{
    for (int id = 1; id < SK_JOINTSET_COUNT; id++)
        if (joint_sets[id].njoints == njoints)
            return &joint_sets[id];
    return NULL;
}

const sk_joint_set *sk_joint_set_by_name(const char *name)
{
    if (!name)
        return NULL;
    for (int id = 1; id < SK_JOINTSET_COUNT; id++)
        if (strcmp(joint_sets[id].name, name) == 0)
            return &joint_sets[id];
    return NULL;
}

void sk_frame_init(sk_frame *f, int joint_set)
{
    memset(f, 0, sizeof *f);
    const sk_joint_set *js = sk_joint_set_get(joint_set);
    f->joint_set = (uint8_t)(js ? js->id : SK_JOINTSET_UNKNOWN);
    f->njoints = (uint8_t)(js ? js->njoints : 0);
}
