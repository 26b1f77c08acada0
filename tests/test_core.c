/* core: joint sets, error strings, frames, clocks. */
#include <string.h>

#include "check.h"
#include "skelact/frame.h"

static void test_joint_sets(void)
{
    const sk_joint_set *k1 = sk_joint_set_get(SK_JOINTSET_KINECT1);
    const sk_joint_set *k2 = sk_joint_set_get(SK_JOINTSET_KINECT2);
    CHECK(k1 && k2);
    CHECK_EQ_INT(k1->njoints, 20);
    CHECK_EQ_INT(k2->njoints, 25);
    CHECK(sk_joint_set_by_count(20) == k1);
    CHECK(sk_joint_set_by_count(25) == k2);
    CHECK(sk_joint_set_by_count(21) == NULL);
    CHECK(sk_joint_set_by_name("kinect2") == k2);
    CHECK(sk_joint_set_by_name("nope") == NULL);
    CHECK(sk_joint_set_get(0) == NULL && sk_joint_set_get(99) == NULL);
    CHECK(!strcmp(k1->joint_names[k1->hip_center], "HipCenter"));
    CHECK(!strcmp(k1->joint_names[k1->shoulder_center], "ShoulderCenter"));
    CHECK(!strcmp(k2->joint_names[k2->shoulder_center], "SpineShoulder"));
    CHECK(!strcmp(k2->joint_names[k2->hip_center], "SpineBase"));
    const sk_joint_set *sets[2] = {k1, k2};
    for (int s = 0; s < 2; s++) {
        const sk_joint_set *js = sets[s];
        /* A skeleton is a tree: J-1 bones, every joint reached once. */
        CHECK_EQ_INT(js->nbones, js->njoints - 1);
        int seen[SK_MAX_JOINTS] = {0};
        for (int b = 0; b < js->nbones; b++) {
            CHECK(js->bones[b][0] < js->njoints && js->bones[b][1] < js->njoints);
            seen[js->bones[b][1]]++;
        }
        for (int j = 0; j < js->njoints; j++)
            CHECK_EQ_INT(seen[j], j == js->hip_center ? 0 : 1);
        /* The mirror is an involution that maps Left names to Right names. */
        for (int j = 0; j < js->njoints; j++) {
            int m = js->mirror[j];
            CHECK_EQ_INT(js->mirror[m], j);
            const char *a = js->joint_names[j], *b = js->joint_names[m];
            if (strstr(a, "Left")) {
                char want[64];
                snprintf(want, sizeof want, "%.*sRight", (int)(strstr(a, "Left") - a), a);
                CHECK_MSG(!strcmp(b, want), "%s mirrors to %s", a, b);
            } else if (!strstr(a, "Right")) {
                CHECK_EQ_INT(m, j);
            }
        }
    }
}

static void test_errors(void)
{
    CHECK(!strcmp(sk_strerror(0), "success"));
    CHECK(!strcmp(sk_strerror(SK_EPROTO), "protocol error"));
    CHECK(!strcmp(sk_strerror(SK_EAGAIN), "need more input"));
    CHECK(!strcmp(sk_strerror(-9999), "unknown error"));
    CHECK(SK_EAGAIN != SK_EPROTO && SK_EAGAIN < 0 && SK_EPROTO < 0);
}

static void test_frame_and_time(void)
{
    sk_frame f;
    sk_frame_init(&f, SK_JOINTSET_KINECT2);
    CHECK_EQ_INT(f.njoints, 25);
    CHECK_EQ_INT(f.nbodies, 0);
    sk_frame_init(&f, 77);
    CHECK_EQ_INT(f.joint_set, SK_JOINTSET_UNKNOWN);
    int64_t a = sk_now_us();
    sk_sleep_us(2000, NULL);
    int64_t b = sk_now_us();
    CHECK(b - a >= 2000);
    CHECK(sk_wall_us() > 1600000000LL * 1000000LL);
}

int main(void)
{
    RUN(test_joint_sets);
    RUN(test_errors);
    RUN(test_frame_and_time);
    return check_report();
}
