/* Features: skeleton frames -> a model's input vectors (skelact/nn.h). One
 * definition for training and live recognition, so both see the same thing. */
#include <math.h>
#include <string.h>

#include "skelact/nn.h"

#ifndef SK_FEATURE_SIZE_DEFAULT
#define SK_FEATURE_SIZE_DEFAULT 0.5f /* metres: a typical adult's hip-to-shoulder length */
#endif
#ifndef SK_FEATURE_SIZE_MIN
#define SK_FEATURE_SIZE_MIN 0.05f /* metres: shorter is a tracking failure, not a body */
#endif
#ifndef SK_FEATURE_VEL_GAIN
/* Velocities are multiplied by this, so that they span about the range of
 * the positions (a hand moves 0.05-0.3 body sizes per frame). Measured on
 * MSR Action3D (train 1,3,5,7, validate 9 / train 1,3,5,9, validate 7):
 * gain 1 -> validation loss 0.67 / 0.55, gain 5 -> 0.36 / 0.44, gain 10 ->
 * 0.15 / 0.44, gain 20 -> 0.31 / 0.31. Part of the feature definition: a
 * model trained with one gain must run with the same one. */
#define SK_FEATURE_VEL_GAIN 10.0f
#endif
#ifndef SK_FEATURE_SIZE_MAX
#define SK_FEATURE_SIZE_MAX 3.0f /* metres: longer is a tracking failure too */
#endif

void sk_feature_config_default(sk_feature_config *fc, int joint_set)
{
    memset(fc, 0, sizeof *fc);
    fc->joint_set = joint_set;
    fc->center = 1;
    fc->scale = 1;
    fc->rotate = 1;
    fc->velocity = 1;
    fc->fps = 30.0f;
}

int sk_features_dim(const sk_feature_config *fc)
{
    const sk_joint_set *js = fc ? sk_joint_set_get(fc->joint_set) : NULL;
    if (!js)
        return 0;
    return 3 * js->njoints * (fc->velocity ? 2 : 1) + (fc->root_motion ? 4 : 0);
}

static float finite_or_zero(float v)
{
    return isfinite(v) ? v : 0.0f;
}

static float clampf(float v)
{
    if (!(v == v))
        return 0.0f;
    if (v > SK_FEATURE_CLAMP)
        return SK_FEATURE_CLAMP;
    if (v < -SK_FEATURE_CLAMP)
        return -SK_FEATURE_CLAMP;
    return v;
}

/* The mean left->right vector (sx, sz) in the x-z plane of the hips of W
 * bodies (a NULL entry skipped), else of their shoulders: 1, or 0 if
 * neither pair is 2 cm apart on average (no direction). */
static int facing_vector(const sk_joint_set *js, const sk_body *const *bodies, int W,
                         double *sx, double *sz)
{
    const int pairs[2][2] = {{js->hip_left, js->hip_right},
                             {js->shoulder_left, js->shoulder_right}};
    for (int p = 0; p < 2; p++) {
        double x = 0.0, z = 0.0;
        int n = 0;
        for (int t = 0; t < W; t++) {
            const sk_body *b = bodies[t];
            if (!b)
                continue;
            const sk_joint *l = &b->joints[pairs[p][0]];
            const sk_joint *r = &b->joints[pairs[p][1]];
            double dx = (double)r->x - l->x, dz = (double)r->z - l->z;
            if (!isfinite(dx) || !isfinite(dz))
                continue;
            x += dx;
            z += dz;
            n++;
        }
        if (n && sqrt(x * x + z * z) / n >= 0.02) { /* 2 cm: shorter has no direction */
            *sx = x;
            *sz = z;
            return 1;
        }
    }
    return 0;
}

int sk_features_norm(const sk_feature_config *fc, const sk_body *const *bodies,
                     int W, sk_feature_norm *norm)
{
    const sk_joint_set *js = fc ? sk_joint_set_get(fc->joint_set) : NULL;
    if (!js || !norm || W < 0 || (W > 0 && !bodies))
        return SK_EINVAL;
    norm->size = 1.0f;
    norm->cos_yaw = 1.0f;
    norm->sin_yaw = 0.0f;
    if (fc->scale) {
        double sum = 0.0;
        int n = 0;
        for (int t = 0; t < W; t++) {
            const sk_body *b = bodies[t];
            if (!b)
                continue;
            const sk_joint *h = &b->joints[js->hip_center];
            const sk_joint *s = &b->joints[js->shoulder_center];
            double dx = (double)s->x - h->x, dy = (double)s->y - h->y,
                   dz = (double)s->z - h->z;
            double d = sqrt(dx * dx + dy * dy + dz * dz);
            if (isfinite(d) && d >= SK_FEATURE_SIZE_MIN && d <= SK_FEATURE_SIZE_MAX) {
                sum += d;
                n++;
            }
        }
        norm->size = n ? (float)(sum / n) : SK_FEATURE_SIZE_DEFAULT;
    }
    double sx, sz;
    if (fc->rotate && facing_vector(js, bodies, W, &sx, &sz)) {
        double len = sqrt(sx * sx + sz * sz);
        norm->cos_yaw = (float)(sx / len);
        norm->sin_yaw = (float)(sz / len);
    }
    return 0;
}

/* Rebuild a normalised pose p (J, 3) on the joint set's canonical bone
 * lengths: from the root outwards (bones are listed parent first), a child
 * sits at its new parent plus the old bone's direction times the canonical
 * length. Every new joint is at most the sum of the bone lengths from the
 * root (a few body sizes), so nothing needs clamping again. */
static void retarget(const sk_joint_set *js, float *p)
{
    float old[3 * SK_MAX_JOINTS];
    memcpy(old, p, (size_t)(3 * js->njoints) * sizeof *p);
    for (int i = 0; i < js->nbones; i++) {
        int a = js->bones[i][0], b = js->bones[i][1];
        float dx = old[3 * b] - old[3 * a], dy = old[3 * b + 1] - old[3 * a + 1],
              dz = old[3 * b + 2] - old[3 * a + 2];
        float n = sqrtf(dx * dx + dy * dy + dz * dz);
        float f = n > 1e-6f ? js->bone_length[i] / n : 0.0f;
        p[3 * b] = p[3 * a] + f * dx;
        p[3 * b + 1] = p[3 * a + 1] + f * dy;
        p[3 * b + 2] = p[3 * a + 2] + f * dz;
    }
}

/* The normalised joints of one body: (J, 3). */
static void pose(const sk_joint_set *js, const sk_feature_config *fc,
                 const sk_feature_norm *norm, const sk_body *b, float *out)
{
    float cx = 0.0f, cy = 0.0f, cz = 0.0f;
    if (fc->center) {
        cx = finite_or_zero(b->joints[js->hip_center].x);
        cy = finite_or_zero(b->joints[js->hip_center].y);
        cz = finite_or_zero(b->joints[js->hip_center].z);
    }
    float inv = 1.0f;
    if (fc->scale) {
        float s = norm->size;
        if (!(s >= SK_FEATURE_SIZE_MIN && s <= SK_FEATURE_SIZE_MAX))
            s = SK_FEATURE_SIZE_DEFAULT;
        inv = 1.0f / s;
    }
    float c = 1.0f, sn = 0.0f;
    if (fc->rotate && isfinite(norm->cos_yaw) && isfinite(norm->sin_yaw)) {
        c = norm->cos_yaw;
        sn = norm->sin_yaw;
    }
    for (int j = 0; j < js->njoints; j++) {
        float x = finite_or_zero(b->joints[j].x) - cx;
        float y = finite_or_zero(b->joints[j].y) - cy;
        float z = finite_or_zero(b->joints[j].z) - cz;
        /* Rotate by -yaw about y: the hip vector (cos, sin) goes to (1, 0). */
        float xr = c * x + sn * z, zr = -sn * x + c * z;
        out[3 * j + 0] = clampf(xr * inv);
        out[3 * j + 1] = clampf(y * inv);
        out[3 * j + 2] = clampf(zr * inv);
    }
    if (fc->retarget)
        retarget(js, out);
}

/* The body's facing about the vertical axis: the angle of its left->right
 * hip vector in the x-z plane (else of its shoulders); NAN if neither pair
 * is 2 cm apart. */
static float facing(const sk_joint_set *js, const sk_body *b)
{
    double sx, sz;
    return facing_vector(js, &b, 1, &sx, &sz) ? (float)atan2(sz, sx) : NAN;
}

/* Root motion from prev to body: the hip centre's displacement in the
 * normalised frame of norm (x, y, z) and the change of facing (radians,
 * wrapped to [-pi, pi]), each times SK_FEATURE_VEL_GAIN. */
static void root_motion(const sk_joint_set *js, const sk_feature_config *fc,
                        const sk_feature_norm *norm, const sk_body *body,
                        const sk_body *prev, float *out)
{
    const sk_joint *h = &body->joints[js->hip_center], *g = &prev->joints[js->hip_center];
    float dx = finite_or_zero(h->x - g->x), dy = finite_or_zero(h->y - g->y),
          dz = finite_or_zero(h->z - g->z);
    float inv = 1.0f, c = 1.0f, sn = 0.0f;
    if (fc->scale && norm->size >= SK_FEATURE_SIZE_MIN && norm->size <= SK_FEATURE_SIZE_MAX)
        inv = 1.0f / norm->size;
    if (fc->rotate && isfinite(norm->cos_yaw) && isfinite(norm->sin_yaw)) {
        c = norm->cos_yaw;
        sn = norm->sin_yaw;
    }
    out[0] = clampf(SK_FEATURE_VEL_GAIN * inv * (c * dx + sn * dz));
    out[1] = clampf(SK_FEATURE_VEL_GAIN * inv * dy);
    out[2] = clampf(SK_FEATURE_VEL_GAIN * inv * (-sn * dx + c * dz));
    float a = facing(js, body), b = facing(js, prev), d = 0.0f;
    if (isfinite(a) && isfinite(b)) {
        d = a - b;
        if (d > (float)M_PI)
            d -= 2.0f * (float)M_PI;
        else if (d < -(float)M_PI)
            d += 2.0f * (float)M_PI;
    }
    out[3] = clampf(SK_FEATURE_VEL_GAIN * d);
}

int sk_features_frame(const sk_feature_config *fc, const sk_feature_norm *norm,
                      const sk_body *body, const sk_body *prev, float *out)
{
    const sk_joint_set *js = fc ? sk_joint_set_get(fc->joint_set) : NULL;
    if (!js || !norm || !body || !out)
        return SK_EINVAL;
    int P = 3 * js->njoints;
    pose(js, fc, norm, body, out);
    float *root = out + (fc->velocity ? 2 * P : P);
    if (fc->root_motion) {
        if (prev)
            root_motion(js, fc, norm, body, prev, root);
        else
            memset(root, 0, 4 * sizeof *root);
    }
    if (!fc->velocity)
        return 0;
    float *vel = out + P;
    if (!prev) {
        memset(vel, 0, (size_t)P * sizeof *vel);
        return 0;
    }
    pose(js, fc, norm, prev, vel); /* prev's pose, then out - prev in place */
    for (int i = 0; i < P; i++)
        vel[i] = clampf(SK_FEATURE_VEL_GAIN * (out[i] - vel[i]));
    return 0;
}

int sk_features_step(const sk_feature_config *fc, const sk_body *body,
                     const sk_body *prev, float *out)
{
    sk_feature_norm norm;
    if (!body || !out)
        return SK_EINVAL;
    int rc = sk_features_norm(fc, &body, 1, &norm);
    if (rc)
        return rc;
    return sk_features_frame(fc, &norm, body, prev, out);
}

int sk_features_window(const sk_feature_config *fc, const sk_body *const *bodies,
                       int W, float *out)
{
    sk_feature_norm norm;
    int rc = sk_features_norm(fc, bodies, fc && fc->frame_norm ? 0 : W, &norm);
    if (rc)
        return rc;
    int D = sk_features_dim(fc);
    if (W > 0 && !out)
        return SK_EINVAL;
    const sk_body *prev = NULL;
    for (int t = 0; t < W; t++) {
        const sk_body *b = bodies[t];
        if (!b) { /* a missing frame: repeat the last one (or zeros) */
            if (prev)
                memcpy(out + (size_t)t * D, out + (size_t)(t - 1) * D,
                       (size_t)D * sizeof *out);
            else
                memset(out + (size_t)t * D, 0, (size_t)D * sizeof *out);
            int P = 3 * sk_joint_set_get(fc->joint_set)->njoints; /* no motion */
            memset(out + (size_t)t * D + P, 0, (size_t)(D - P) * sizeof *out);
            continue;
        }
        rc = fc->frame_norm ? sk_features_step(fc, b, prev, out + (size_t)t * D)
                            : sk_features_frame(fc, &norm, b, prev, out + (size_t)t * D);
        if (rc)
            return rc;
        prev = b;
    }
    return 0;
}
