/* Features of synthetic bodies: invariances, velocity, degenerate input, and
 * the mirror augmentation's left/right swap. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "nn/training.h"
#include "skelact/nn.h"

#define W 6

/* A standing Kinect v1 body facing the sensor, hips at the origin, arms out,
 * each frame moving the right hand a little (so the velocity is not 0). */
static void make_body(sk_body *b, int t)
{
    static const float pos[20][3] = {
        {0.00f, 0.00f, 0.0f},   {0.00f, 0.10f, 0.0f},  {0.00f, 0.48f, 0.0f},
        {0.00f, 0.68f, 0.02f},  {-0.18f, 0.45f, 0.0f}, {-0.40f, 0.42f, 0.02f},
        {-0.60f, 0.40f, 0.05f}, {-0.66f, 0.40f, 0.06f}, {0.18f, 0.45f, 0.0f},
        {0.38f, 0.30f, -0.05f}, {0.45f, 0.10f, -0.12f}, {0.47f, 0.05f, -0.15f},
        {-0.09f, -0.05f, 0.0f}, {-0.10f, -0.45f, 0.03f}, {-0.11f, -0.85f, 0.05f},
        {-0.12f, -0.90f, -0.05f}, {0.09f, -0.05f, 0.0f}, {0.11f, -0.46f, 0.0f},
        {0.12f, -0.86f, 0.04f}, {0.13f, -0.91f, -0.06f},
    };
    memset(b, 0, sizeof *b);
    for (int j = 0; j < 20; j++) {
        b->joints[j].x = pos[j][0];
        b->joints[j].y = pos[j][1];
        b->joints[j].z = pos[j][2] + 2.5f;
        b->joints[j].state = SK_TRACK_TRACKED;
    }
    b->joints[11].y += 0.03f * (float)t;
    b->joints[11].x += 0.01f * (float)(t * t);
}

/* Rotate about the vertical axis through (0, 0, 2.5), scale about the
 * origin, then translate. */
static void transform(sk_body *b, float yaw, float s, float tx, float ty, float tz)
{
    float c = cosf(yaw), sn = sinf(yaw);
    for (int j = 0; j < 20; j++) {
        sk_joint *q = &b->joints[j];
        float x = q->x, z = q->z - 2.5f;
        q->x = (c * x - sn * z) * s + tx;
        q->y = q->y * s + ty;
        q->z = (sn * x + c * z + 2.5f) * s + tz;
    }
}

static void features_of(const sk_feature_config *fc, sk_body *bodies, float *out)
{
    const sk_body *ptr[W];
    for (int t = 0; t < W; t++)
        ptr[t] = &bodies[t];
    CHECK_EQ_INT(sk_features_window(fc, ptr, W, out), 0);
}

static float max_diff(const float *a, const float *b, int n)
{
    float m = 0.0f;
    for (int i = 0; i < n; i++) {
        float d = fabsf(a[i] - b[i]);
        if (!(d <= m))
            m = d; /* NaN counts as a difference */
    }
    return m;
}

static float max_abs(const float *a, int n)
{
    float m = 0.0f;
    for (int i = 0; i < n; i++)
        if (fabsf(a[i]) > m)
            m = fabsf(a[i]);
    return m;
}

static void test_dim(void)
{
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    CHECK_EQ_INT(sk_features_dim(&fc), 120);
    fc.velocity = 0;
    CHECK_EQ_INT(sk_features_dim(&fc), 60);
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT2);
    CHECK_EQ_INT(sk_features_dim(&fc), 150);
    fc.joint_set = 99;
    CHECK_EQ_INT(sk_features_dim(&fc), 0);
}

static void check_invariance(float yaw, float s, float tx, float ty, float tz,
                             int rotate, int expect_equal)
{
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    fc.rotate = rotate;
    sk_body a[W], b[W];
    static float fa[W * 120], fb[W * 120];
    for (int t = 0; t < W; t++) {
        make_body(&a[t], t);
        make_body(&b[t], t);
        transform(&b[t], yaw, s, tx, ty, tz);
    }
    features_of(&fc, a, fa);
    features_of(&fc, b, fb);
    float d = max_diff(fa, fb, W * 120);
    if (expect_equal)
        CHECK_MSG(d < 1e-4f, "yaw %g scale %g: max diff %g", yaw, s, d);
    else
        CHECK_MSG(d > 1e-2f, "yaw %g scale %g: features should differ (%g)", yaw, s, d);
    /* The features are not trivially zero: the hand moves, the arms are out. */
    CHECK(max_abs(fa, W * 120) > 0.5f);
    CHECK(max_abs(fa + 5 * 120 + 60, 60) > 0.01f);
}

static void test_translation(void)
{
    check_invariance(0.0f, 1.0f, 1.0f, 0.2f, 3.0f, 1, 1);
    check_invariance(0.0f, 1.0f, -0.7f, 0.4f, 0.5f, 0, 1);
}

static void test_scale(void)
{
    check_invariance(0.0f, 1.7f, 0.0f, 0.0f, 0.0f, 1, 1);
    check_invariance(0.0f, 0.6f, 0.3f, -0.1f, 0.2f, 0, 1);
}

static void test_rotation(void)
{
    check_invariance(0.7f, 1.0f, 0.0f, 0.0f, 0.0f, 1, 1);
    check_invariance(-1.2f, 1.3f, 0.5f, 0.0f, 1.0f, 1, 1);
    /* With rotate off the same turn changes the features. */
    check_invariance(0.7f, 1.0f, 0.0f, 0.0f, 0.0f, 0, 0);
}

static void test_still_velocity(void)
{
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    sk_body b[W];
    static float f[W * 120];
    for (int t = 0; t < W; t++)
        make_body(&b[t], 0); /* the same pose every frame */
    features_of(&fc, b, f);
    for (int t = 0; t < W; t++)
        CHECK_MSG(max_abs(f + t * 120 + 60, 60) == 0.0f, "frame %d moves", t);
    CHECK(max_abs(f, 60) > 0.5f);
    /* The first frame's velocity is 0 even when the body moves. */
    for (int t = 0; t < W; t++)
        make_body(&b[t], t);
    features_of(&fc, b, f);
    CHECK(max_abs(f + 60, 60) == 0.0f);
    /* A single frame with a previous one: the hand's motion shows. */
    sk_feature_norm norm;
    const sk_body *p[1] = {&b[1]};
    CHECK_EQ_INT(sk_features_norm(&fc, p, 1, &norm), 0);
    float one[120];
    CHECK_EQ_INT(sk_features_frame(&fc, &norm, &b[1], &b[0], one), 0);
    float vy = one[60 + 3 * 11 + 1] / (0.03f / norm.size); /* the gain */
    CHECK_MSG(vy >= 1.0f && vy <= 50.0f && fabsf(vy - roundf(vy)) < 1e-3f,
              "hand velocity / displacement = %g", vy);
    /* ... the same gain for every joint and axis. */
    float vx = one[60 + 3 * 11 + 0] / (0.01f / norm.size);
    CHECK_MSG(fabsf(vx - vy) < 1e-3f * vy, "gain x %g, y %g", vx, vy);
    CHECK(fabsf(one[60 + 3 * 5 + 1]) < 1e-6f);
}

static void test_degenerate(void)
{
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    sk_body b[W];
    static float f[W * 120];
    memset(b, 0, sizeof b); /* every joint at the origin: size 0, no hips */
    features_of(&fc, b, f);
    int finite = 1;
    for (int i = 0; i < W * 120; i++)
        finite &= isfinite(f[i]) != 0;
    CHECK(finite);
    /* NaN, Inf and absurd coordinates stay finite and bounded. */
    for (int t = 0; t < W; t++)
        make_body(&b[t], t);
    b[2].joints[7].x = NAN;
    b[3].joints[0].y = INFINITY;
    b[4].joints[11].z = 1e30f;
    b[1].joints[2] = b[1].joints[0]; /* shoulder centre on the hip centre */
    features_of(&fc, b, f);
    finite = 1;
    for (int i = 0; i < W * 120; i++)
        finite &= isfinite(f[i]) && fabsf(f[i]) <= SK_FEATURE_CLAMP;
    CHECK(finite);
    /* A missing frame (NULL) is tolerated. */
    const sk_body *ptr[W];
    for (int t = 0; t < W; t++)
        ptr[t] = &b[t];
    ptr[3] = NULL;
    CHECK_EQ_INT(sk_features_window(&fc, ptr, W, f), 0);
    finite = 1;
    for (int i = 0; i < W * 120; i++)
        finite &= isfinite(f[i]) != 0;
    CHECK(finite);
    CHECK(sk_features_window(NULL, ptr, W, f) < 0);
}

static void test_mirror(void)
{
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    const sk_joint_set *js = sk_joint_set_get(SK_JOINTSET_KINECT1);
    sk_body a[W], m[W];
    static float fa[W * 120], fm[W * 120];
    for (int t = 0; t < W; t++) {
        make_body(&a[t], t);
        m[t] = a[t];
        sk__body_mirror(&m[t], js);
    }
    /* Raw joints: the mirrored left hand is the right hand with x negated. */
    CHECK(m[2].joints[7].x == -a[2].joints[11].x);
    CHECK(m[2].joints[7].y == a[2].joints[11].y);
    CHECK(m[2].joints[11].z == a[2].joints[7].z);
    features_of(&fc, a, fa);
    features_of(&fc, m, fm);
    float d = 0.0f;
    for (int t = 0; t < W; t++)
        for (int j = 0; j < 20; j++) {
            int k = js->mirror[j];
            for (int part = 0; part < 2; part++) {
                const float *p = fa + t * 120 + part * 60 + 3 * k;
                const float *q = fm + t * 120 + part * 60 + 3 * j;
                d = fmaxf(d, fabsf(q[0] + p[0]));
                d = fmaxf(d, fabsf(q[1] - p[1]));
                d = fmaxf(d, fabsf(q[2] - p[2]));
            }
        }
    CHECK_MSG(d < 1e-5f, "mirror max diff %g", d);
    /* And mirroring is not the identity on this asymmetric body. */
    CHECK(max_diff(fa, fm, W * 120) > 0.05f);
}

/* Lengthen every bone from the hip centre outwards by its own factor,
 * keeping its direction: another person's proportions, the same motion. */
static void reproportion(sk_body *b, const sk_joint_set *js)
{
    sk_body old = *b;
    for (int i = 0; i < js->nbones; i++) {
        int a = js->bones[i][0], c = js->bones[i][1];
        float f = 0.8f + 0.03f * (float)i; /* 0.8 .. 1.34 */
        b->joints[c].x = b->joints[a].x + f * (old.joints[c].x - old.joints[a].x);
        b->joints[c].y = b->joints[a].y + f * (old.joints[c].y - old.joints[a].y);
        b->joints[c].z = b->joints[a].z + f * (old.joints[c].z - old.joints[a].z);
    }
}

static void test_retarget(void)
{
    sk_feature_config fc;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    const sk_joint_set *js = sk_joint_set_get(SK_JOINTSET_KINECT1);
    sk_body a[W], b[W];
    static float fa[W * 120], fb[W * 120];
    for (int t = 0; t < W; t++) {
        make_body(&a[t], t);
        b[t] = a[t];
        reproportion(&b[t], js);
    }
    /* Without retargeting the proportions show; with it they do not. */
    features_of(&fc, a, fa);
    features_of(&fc, b, fb);
    CHECK(max_diff(fa, fb, W * 120) > 0.1f);
    for (int frame_norm = 0; frame_norm < 2; frame_norm++) {
        fc.retarget = 1;
        fc.frame_norm = frame_norm;
        features_of(&fc, a, fa);
        features_of(&fc, b, fb);
        float d = max_diff(fa, fb, W * 120);
        CHECK_MSG(d < 1e-4f, "retargeted features differ by %g (frame_norm %d)", d,
                  frame_norm);
        /* Every bone has the canonical length, the root is the origin. */
        float e = fabsf(fa[3 * js->hip_center]) + fabsf(fa[3 * js->hip_center + 1]) +
                  fabsf(fa[3 * js->hip_center + 2]);
        for (int t = 0; t < W; t++)
            for (int i = 0; i < js->nbones; i++) {
                const float *p = fa + t * 120 + 3 * js->bones[i][0];
                const float *q = fa + t * 120 + 3 * js->bones[i][1];
                float len = sqrtf((q[0] - p[0]) * (q[0] - p[0]) +
                                  (q[1] - p[1]) * (q[1] - p[1]) +
                                  (q[2] - p[2]) * (q[2] - p[2]));
                e = fmaxf(e, fabsf(len - js->bone_length[i]));
            }
        CHECK_MSG(e < 1e-4f, "bone length off by %g", e);
        /* The motion is still there: the right hand's velocity. */
        CHECK(max_abs(fa + 5 * 120 + 60 + 3 * 11, 3) > 0.01f);
    }
    /* A degenerate body (all joints on one point) stays finite. */
    for (int t = 0; t < W; t++)
        for (int j = 0; j < 20; j++)
            b[t].joints[j] = (sk_joint){1.0f, 1.0f, 2.0f, SK_TRACK_TRACKED};
    features_of(&fc, b, fb);
    int finite = 1;
    for (int i = 0; i < W * 120; i++)
        finite &= isfinite(fb[i]) != 0;
    CHECK(finite);
    /* Kinect v2's table covers its bones, parents before children. */
    const sk_joint_set *k2 = sk_joint_set_get(SK_JOINTSET_KINECT2);
    int placed[SK_MAX_JOINTS] = {0};
    placed[k2->hip_center] = 1;
    for (int i = 0; i < k2->nbones; i++) {
        CHECK(placed[k2->bones[i][0]]);
        placed[k2->bones[i][1]] = 1;
        CHECK(k2->bone_length[i] > 0.05f && k2->bone_length[i] < 1.5f);
    }
}

/* Root motion: a body walking 2 cm a frame along the sensor's x axis while
 * turning 0.05 rad a frame gives those (times the velocity gain, the
 * displacement in body sizes) in its last 4 features; the pose features are
 * those of the same config without root motion. */
static void test_root_motion(void)
{
    sk_feature_config fc, plain;
    sk_feature_config_default(&fc, SK_JOINTSET_KINECT1);
    fc.rotate = 0;
    fc.root_motion = 1;
    plain = fc;
    plain.root_motion = 0;
    CHECK_EQ_INT(sk_features_dim(&fc), 124);
    sk_body a[W];
    static float f[W * 124], g[W * 120];
    for (int t = 0; t < W; t++) {
        make_body(&a[t], 0);
        transform(&a[t], 0.05f * (float)t, 1.0f, 0.02f * (float)t, 0.0f, 0.0f);
    }
    features_of(&fc, a, f);
    features_of(&plain, a, g);
    float size = 0.48f; /* make_body's hip-centre-to-shoulder-centre length */
    CHECK(max_abs(f + 120, 4) == 0.0f); /* first frame: no motion yet */
    float e = 0.0f, d = 0.0f;
    for (int t = 1; t < W; t++) {
        const float *r = f + t * 124 + 120;
        /* The hip centre (0, 0, 2.5) turns about (0, 0, 2.5): only the shift. */
        e = fmaxf(e, fabsf(r[0] - 10.0f * 0.02f / size));
        e = fmaxf(e, fabsf(r[1]) + fabsf(r[2]));
        e = fmaxf(e, fabsf(r[3] - 10.0f * 0.05f));
        d = fmaxf(d, max_diff(f + t * 124, g + t * 120, 120));
    }
    CHECK_MSG(e < 1e-3f, "root motion off by %g", e);
    CHECK_MSG(d == 0.0f, "pose features changed by %g", d);
    /* A missing frame in a window has no motion. */
    const sk_body *ptr[W];
    for (int t = 0; t < W; t++)
        ptr[t] = &a[t];
    ptr[3] = NULL;
    CHECK_EQ_INT(sk_features_window(&fc, ptr, W, f), 0);
    CHECK(max_abs(f + 3 * 124 + 60, 64) == 0.0f);
    CHECK(max_abs(f + 3 * 124, 60) > 0.1f);
}

int main(void)
{
    RUN(test_dim);
    RUN(test_translation);
    RUN(test_scale);
    RUN(test_rotation);
    RUN(test_still_velocity);
    RUN(test_degenerate);
    RUN(test_mirror);
    RUN(test_retarget);
    RUN(test_root_motion);
    return check_report();
}
