/* The timeline of a few takes as SVG: per take, a band of the true moves,
 * a band of the recognizer's decisions and a row of START events (hits
 * filled, false alarms hollow) over a common frame axis, then a legend. */
#include <string.h>

#include "skelact/report.h"
#include "svg.h"

#ifndef SK_SVG_TIMELINE_WIDTH
#define SK_SVG_TIMELINE_WIDTH 900 /* px of the longest take: ~2 px per frame of a PRECOG take */
#endif

enum { LEFT = 110, RIGHT = 24, BAND = 20, TAKE_H = 124 };

static int check_take(const sk_timeline_take *t, int K)
{
    if (!t->truth || t->nframes < 1 || t->nev < 0 || (t->nev > 0 && !t->ev))
        return SK_EINVAL;
    for (int i = 0; i < t->nframes; i++) {
        if (t->truth[i] < 0 || t->truth[i] >= K)
            return SK_EINVAL;
        if (t->pred && (t->pred[i] < 0 || t->pred[i] >= K))
            return SK_EINVAL;
    }
    for (int i = 0; i < t->nev; i++)
        if (t->ev[i].frame < 0 || t->ev[i].frame >= t->nframes || t->ev[i].label < 1 ||
            t->ev[i].label >= K)
            return SK_EINVAL;
    return 0;
}

/* The runs of non-zero labels of lab (n) as rectangles at height y. */
static void band(FILE *out, const int *lab, int n, int y, double px, const char *name)
{
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s</text>\n",
            LEFT - 8, y + BAND / 2 + 4, name);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#f4f4f4\" "
                 "stroke=\"#bbbbbb\" stroke-width=\"0.5\"/>\n",
            LEFT, y, n * px, BAND);
    for (int s = 0; s < n;) {
        int e = s;
        while (e + 1 < n && lab[e + 1] == lab[s])
            e++;
        if (lab[s] != 0)
            fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n",
                    LEFT + s * px, y, (e - s + 1) * px, BAND, sk__svg_label_colour(lab[s]));
        s = e + 1;
    }
}

/* A tick step (frames) so that labelled ticks are at least 70 px apart. */
static int tick_step(double px, double fps, int *in_seconds)
{
    static const int steps[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
    *in_seconds = fps > 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        double frames = *in_seconds ? steps[i] * fps : steps[i];
        if (frames * px >= 70)
            return steps[i];
    }
    return steps[sizeof steps / sizeof steps[0] - 1];
}

int sk_svg_timeline_write(FILE *out, const sk_timeline_take *takes, int ntakes,
                          int K, const char *const *labels, double fps,
                          const char *title)
{
    if (!out || !takes || !labels || ntakes < 1 || K < 1 || K > SK_REPORT_MAX_LABELS)
        return SK_EINVAL;
    int maxn = 1;
    for (int k = 0; k < ntakes; k++) {
        int rc = check_take(&takes[k], K);
        if (rc)
            return rc;
        if (takes[k].nframes > maxn)
            maxn = takes[k].nframes;
    }
    for (int i = 0; i < K; i++)
        if (!labels[i])
            return SK_EINVAL;
    const double px = (double)SK_SVG_TIMELINE_WIDTH / maxn;
    int per_row = 4, legend_rows = (K - 1 + per_row - 1) / per_row + 1;
    int top = title ? 40 : 12;
    int width = LEFT + SK_SVG_TIMELINE_WIDTH + RIGHT;
    int height = top + ntakes * TAKE_H + legend_rows * 22 + 16;

    sk__svg_begin(out, width, height);
    if (title) {
        fputs("<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", out);
        sk__svg_text(out, title);
        fputs("</text>\n", out);
    }
    int secs;
    int step = tick_step(px, fps, &secs);
    for (int k = 0; k < ntakes; k++) {
        const sk_timeline_take *t = &takes[k];
        int y = top + k * TAKE_H;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">", LEFT,
                y + 14);
        sk__svg_text(out, t->name ? t->name : "take");
        long hits = 0;
        for (int i = 0; i < t->nev; i++)
            hits += t->hit && t->hit[i] >= 0;
        if (t->hit)
            fprintf(out, "  <tspan font-weight=\"normal\" fill=\"#555555\">(%d frames, %d "
                         "events, %ld false alarms)</tspan>",
                    t->nframes, t->nev, (long)t->nev - hits);
        fputs("</text>\n", out);
        band(out, t->truth, t->nframes, y + 22, px, "true");
        if (t->pred)
            band(out, t->pred, t->nframes, y + 22 + BAND + 4, px, "recognized");
        int ey = y + 22 + 2 * BAND + 8; /* event markers: a triangle pointing up */
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">events</text>\n",
                LEFT - 8, ey + 12);
        for (int i = 0; i < t->nev; i++) {
            double x = LEFT + (t->ev[i].frame + 0.5) * px;
            int fa = t->hit && t->hit[i] < 0;
            const char *c = sk__svg_label_colour(t->ev[i].label);
            fprintf(out, "<path d=\"M%.1f %d L%.1f %d L%.1f %d Z\" fill=\"%s\" stroke=\"%s\" "
                         "stroke-width=\"1.5\"><title>",
                    x, ey, x - 6, ey + 14, x + 6, ey + 14, fa ? "#ffffff" : c, c);
            sk__svg_text(out, labels[t->ev[i].label]);
            fprintf(out, " at frame %d%s</title></path>\n", t->ev[i].frame,
                    fa ? " (false alarm)" : "");
        }
        /* axis */
        int ay = ey + 20;
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444444\"/>\n",
                LEFT, ay, LEFT + t->nframes * px, ay);
        double fstep = secs ? step * fps : step;
        for (int j = 0; j * fstep <= t->nframes; j++) {
            double x = LEFT + j * fstep * px;
            fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444444\"/>\n"
                         "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
                         "fill=\"#444444\">%d%s</text>\n",
                    x, ay, x, ay + 4, x, ay + 16, j * step, secs ? " s" : "");
        }
    }
    /* legend */
    int ly = top + ntakes * TAKE_H + 4;
    for (int i = 1; i < K; i++) {
        int col = (i - 1) % per_row, row = (i - 1) / per_row;
        int x = LEFT + col * 200, y = ly + row * 22;
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"14\" fill=\"%s\"/>\n"
                     "<text x=\"%d\" y=\"%d\" font-size=\"12\">",
                x, y, sk__svg_label_colour(i), x + 20, y + 12);
        sk__svg_text(out, labels[i]);
        fputs("</text>\n", out);
    }
    int y = ly + (legend_rows - 1) * 22;
    fprintf(out, "<path d=\"M%d %d L%d %d L%d %d Z\" fill=\"#555555\" stroke=\"#555555\"/>\n"
                 "<text x=\"%d\" y=\"%d\" font-size=\"12\">event, matched a true move</text>\n"
                 "<path d=\"M%d %d L%d %d L%d %d Z\" fill=\"#ffffff\" stroke=\"#555555\" "
                 "stroke-width=\"1.5\"/>\n"
                 "<text x=\"%d\" y=\"%d\" font-size=\"12\">false alarm</text>\n",
            LEFT + 7, y, LEFT, y + 14, LEFT + 14, y + 14, LEFT + 20, y + 12,
            LEFT + 247, y, LEFT + 240, y + 14, LEFT + 254, y + 14, LEFT + 260, y + 12);
    fputs("</svg>\n", out);
    return fflush(out) != 0 || ferror(out) ? SK_EIO : 0;
}
