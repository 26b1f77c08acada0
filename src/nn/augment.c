/* Augmentation of training samples, applied to raw joints before feature
 * extraction (so velocities and normalisation see a consistent body):
 * mirror, rotation about the vertical axis, per-axis scale, jitter, for
 * continuous takes a random speed, and for segmented clips random crop and
 * smooth time warping before resampling. */
#include <math.h>
#include <string.h>

#include "training.h"

#ifndef SK_AUG_MAX_WARP
#define SK_AUG_MAX_WARP 0.3f /* above 1/pi the warped time could run backwards */
#endif

void sk__augment_none(sk__augment *a)
{
    memset(a, 0, sizeof *a);
    for (int k = 0; k < SK_MAX_CLASSES; k++)
        a->mirror_map[k] = k;
}

void sk__body_mirror(sk_body *b, const sk_joint_set *js)
{
    sk_joint tmp[SK_MAX_JOINTS];
    memcpy(tmp, b->joints, sizeof tmp);
    for (int j = 0; j < js->njoints; j++) {
        b->joints[j] = tmp[js->mirror[j]];
        b->joints[j].x = -b->joints[j].x;
    }
}

static void lerp_body(const sk_body *a, const sk_body *b, float f, int njoints,
                      sk_body *dst)
{
    dst->id = a->id;
    for (int j = 0; j < njoints; j++) {
        const sk_joint *p = &a->joints[j], *q = &b->joints[j];
        dst->joints[j].x = p->x + f * (q->x - p->x);
        dst->joints[j].y = p->y + f * (q->y - p->y);
        dst->joints[j].z = p->z + f * (q->z - p->z);
        dst->joints[j].state = f < 0.5f ? p->state : q->state;
    }
}

void sk__clip_resample(const sk_body *src, int n, float t0, float t1, int njoints,
                       float warp, sk_rng *rng, sk_body *dst, int W)
{
    float amp = 0.0f;
    if (warp > 0.0f && rng) {
        if (warp > SK_AUG_MAX_WARP)
            warp = SK_AUG_MAX_WARP;
        amp = warp * sk_rng_uniform(rng, -1.0f, 1.0f);
    }
    if (t0 < 0.0f)
        t0 = 0.0f;
    if (t1 > (float)(n - 1))
        t1 = (float)(n - 1);
    if (t1 < t0)
        t1 = t0;
    for (int i = 0; i < W; i++) {
        float u = W > 1 ? (float)i / (float)(W - 1) : 0.5f;
        /* u + amp sin(pi u): monotone for |amp| < 1/pi, fixed ends. */
        u += amp * sinf(3.14159265f * u);
        float t = t0 + u * (t1 - t0);
        int k = (int)floorf(t);
        if (k < 0)
            k = 0;
        if (k > n - 1)
            k = n - 1;
        int k1 = k + 1 < n ? k + 1 : k;
        float f = t - (float)k;
        if (f < 0.0f)
            f = 0.0f;
        if (f > 1.0f)
            f = 1.0f;
        lerp_body(&src[k], &src[k1], f, njoints, &dst[i]);
    }
}

int sk__sample_bodies(const sk__dataset *ds, const sk__sample *s, int W,
                      const sk__augment *a, sk_rng *rng, sk_body *dst)
{
    const sk__clip *c = &ds->clips[s->clip];
    const sk_joint_set *js = sk_joint_set_get(ds->joint_set);
    int J = js->njoints;
    int label = s->label;
    if (s->end < 0) { /* a clip, resampled to W frames */
        float span = (float)(c->nframes - 1), t0 = 0.0f, t1 = span;
        if (a && rng && a->crop > 0.0f && span > 0.0f) {
            float len = span * sk_rng_uniform(rng, 1.0f - a->crop, 1.0f);
            t0 = sk_rng_uniform(rng, 0.0f, span - len);
            t1 = t0 + len;
        }
        sk__clip_resample(c->bodies, c->nframes, t0, t1, J, a ? a->warp : 0.0f,
                          rng, dst, W);
    } else if (a && rng && a->speed > 0.0f) {
        /* The W frames ending at s->end as a body moving f times as fast
         * would give them: frame i at time end - (W-1-i)*f, interpolated;
         * times before the take's start repeat its first frame. */
        float f = sk_rng_uniform(rng, 1.0f - a->speed, 1.0f + a->speed);
        for (int i = 0; i < W; i++) {
            float u = (float)s->end - (float)(W - 1 - i) * f;
            if (u <= 0.0f) {
                dst[i] = c->bodies[0];
                continue;
            }
            int t = (int)u;
            if (t >= s->end) {
                dst[i] = c->bodies[s->end];
                continue;
            }
            lerp_body(&c->bodies[t], &c->bodies[t + 1], u - (float)t, J, &dst[i]);
        }
    } else { /* the W frames of a take ending at s->end */
        for (int i = 0; i < W; i++) {
            int t = s->end - (W - 1) + i;
            dst[i] = c->bodies[t < 0 ? 0 : t];
        }
    }
    if (!a || !rng)
        return label;
    if (a->mirror > 0.0f && sk_rng_float(rng) < a->mirror) {
        for (int i = 0; i < W; i++)
            sk__body_mirror(&dst[i], js);
        if (label >= 0 && label < SK_MAX_CLASSES)
            label = a->mirror_map[label];
    }
    float yaw = a->rotate > 0.0f ? sk_rng_uniform(rng, -a->rotate, a->rotate) : 0.0f;
    float sx = 1.0f, sy = 1.0f, sz = 1.0f;
    if (a->scale > 0.0f) {
        /* Per axis: a uniform scale would be undone by size normalisation. */
        sx = sk_rng_uniform(rng, 1.0f - a->scale, 1.0f + a->scale);
        sy = sk_rng_uniform(rng, 1.0f - a->scale, 1.0f + a->scale);
        sz = sk_rng_uniform(rng, 1.0f - a->scale, 1.0f + a->scale);
    }
    float cy = cosf(yaw), sn = sinf(yaw);
    const sk_joint *o = &dst[0].joints[js->hip_center];
    float ox = o->x, oy = o->y, oz = o->z;
    for (int i = 0; i < W; i++)
        for (int j = 0; j < J; j++) {
            sk_joint *q = &dst[i].joints[j];
            float x = q->x - ox, y = q->y - oy, z = q->z - oz;
            float xr = cy * x - sn * z, zr = sn * x + cy * z;
            q->x = ox + sx * xr;
            q->y = oy + sy * y;
            q->z = oz + sz * zr;
            if (a->jitter > 0.0f) {
                q->x += a->jitter * sk_rng_normal(rng);
                q->y += a->jitter * sk_rng_normal(rng);
                q->z += a->jitter * sk_rng_normal(rng);
            }
        }
    return label;
}

int sk__sample_view(const sk__dataset *ds, const sk__sample *s, int W, int view,
                    int nviews, float crop, sk_body *dst)
{
    const sk__clip *c = &ds->clips[s->clip];
    if (s->end >= 0 || view <= 0 || nviews < 2 || !(crop > 0.0f && crop < 1.0f))
        return sk__sample_bodies(ds, s, W, NULL, NULL, dst);
    const sk_joint_set *js = sk_joint_set_get(ds->joint_set);
    float span = (float)(c->nframes - 1), len = span * (1.0f - crop);
    float at = nviews == 2 ? 0.5f : (float)(view - 1) / (float)(nviews - 2);
    float t0 = at * (span - len);
    sk__clip_resample(c->bodies, c->nframes, t0, t0 + len, js->njoints, 0.0f,
                      NULL, dst, W);
    return s->label;
}
