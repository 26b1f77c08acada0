/* A sensor program sending skeleton frames to skelact (docs/SENDER.md).
 *
 *   ./example_sender_example [HOST [PORT [FRAMES]]]   (127.0.0.1 7000 300)
 *
 * Start a receiver first, e.g. `skelact recognize --listen 127.0.0.1:7000`.
 * The fake sensor below waves one arm at 30 frames/s. sk_sender_send() never
 * blocks: if nothing listens, frames are dropped and counted, and the sender
 * keeps trying to connect in the background. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "skelact/skelact.h"

int main(int argc, char **argv)
{
    sk_sender_config cfg = {0};
    cfg.host = argc > 1 ? argv[1] : "127.0.0.1";
    cfg.port = argc > 2 ? atoi(argv[2]) : 7000;
    cfg.proto = SK_PROTO_BINARY; /* or SK_PROTO_TEXT; cfg.udp = 1 for UDP */
    int nframes = argc > 3 ? atoi(argv[3]) : 300;

    char err[256];
    sk_sender *s;
    if (sk_sender_create(&s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "sender: %s\n", err);
        return 1;
    }
    sk_sender_wait_ready(s, 1000); /* optional: do not drop the first frames */

    sk_frame f;
    for (int i = 0; i < nframes; i++) {
        /* Fill the frame from the sensor (here: a fake one). */
        sk_frame_init(&f, SK_JOINTSET_KINECT2); /* 25 joints */
        f.seq = (uint64_t)i;
        f.timestamp_us = sk_wall_us();
        f.nbodies = 1;
        f.bodies[0].id = 1;
        for (int j = 0; j < f.njoints; j++) {
            sk_joint *jt = &f.bodies[0].joints[j];
            jt->x = 0.1f * (float)(j % 5) - 0.2f;
            jt->y = 1.0f - 0.07f * (float)j;
            jt->z = 2.5f;
            jt->state = SK_TRACK_TRACKED;
        }
        f.bodies[0].joints[11].y += 0.3f * (float)sin(i * 0.2); /* HandRight */

        sk_sender_send(s, &f);   /* never blocks; drops and counts if the link is down */
        sk_sleep_us(33333, NULL); /* the sensor's own pace: 30 frames/s */
    }

    sk_sender_flush(s, 1000); /* give queued frames a moment to leave */
    sk_sender_stats st;
    sk_sender_get_stats(s, &st);
    printf("frames=%llu sent=%llu dropped=%llu reconnects=%llu\n",
           (unsigned long long)st.frames, (unsigned long long)st.sent,
           (unsigned long long)st.dropped, (unsigned long long)st.reconnects);
    sk_sender_destroy(s);
    return 0;
}
