/* The confusion matrix as an SVG heat map: rows true labels, columns
 * reported labels, each cell coloured by its share of its row and showing
 * its count; row totals at the right. */
#include <string.h>

#include "skelact/report.h"
#include "svg.h"

#ifndef SK_SVG_CELL
#define SK_SVG_CELL 48 /* px per cell: room for a 5-digit count at 12 px */
#endif

int sk_svg_confusion_write(FILE *out, const long *counts, int K,
                           const char *const *labels, const char *title)
{
    if (!out || !counts || !labels || K < 1 || K > SK_REPORT_MAX_LABELS)
        return SK_EINVAL;
    size_t maxlen = 1;
    for (int i = 0; i < K; i++) {
        if (!labels[i])
            return SK_EINVAL;
        size_t n = strlen(labels[i]);
        if (n > maxlen)
            maxlen = n;
        for (int j = 0; j < K; j++)
            if (counts[i * K + j] < 0)
                return SK_EINVAL;
    }
    const int cell = SK_SVG_CELL;
    int left = 40 + (int)maxlen * 7 + 10; /* axis title + row labels */
    int top = 40 + (int)(maxlen * 7 * 0.72) + 16; /* title + column labels at -45 deg */
    int width = left + K * cell + 90, height = top + K * cell + 60;

    sk__svg_begin(out, width, height);
    if (title) {
        fputs("<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", out);
        sk__svg_text(out, title);
        fputs("</text>\n", out);
    }
    /* column labels, rotated */
    for (int j = 0; j < K; j++) {
        int x = left + j * cell + cell / 2, y = top - 8;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" transform=\"rotate(-45 %d %d)\">",
                x, y, x, y);
        sk__svg_text(out, labels[j]);
        fputs("</text>\n", out);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" font-weight=\"bold\" "
                 "text-anchor=\"middle\">total</text>\n",
            left + K * cell + 40, top - 8);
    for (int i = 0; i < K; i++) {
        long row = 0;
        for (int j = 0; j < K; j++)
            row += counts[i * K + j];
        int y = top + i * cell;
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">",
                left - 8, y + cell / 2 + 4);
        sk__svg_text(out, labels[i]);
        fputs("</text>\n", out);
        for (int j = 0; j < K; j++) {
            long c = counts[i * K + j];
            double frac = row > 0 ? (double)c / (double)row : 0.0;
            /* white -> dark blue (8, 48, 107) with the row share */
            int r = (int)(255 - frac * (255 - 8) + 0.5);
            int g = (int)(255 - frac * (255 - 48) + 0.5);
            int b = (int)(255 - frac * (255 - 107) + 0.5);
            int x = left + j * cell;
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                         "fill=\"#%02x%02x%02x\" stroke=\"%s\" stroke-width=\"%s\"/>\n",
                    x, y, cell, cell, r, g, b, i == j ? "#222222" : "#cccccc",
                    i == j ? "1.5" : "0.5");
            if (c > 0)
                fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
                             "fill=\"%s\">%ld</text>\n",
                        x + cell / 2, y + cell / 2 + 4, frac > 0.5 ? "#ffffff" : "#222222", c);
        }
        fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%ld</text>\n",
                left + K * cell + 40, y + cell / 2 + 4, row);
    }
    /* axis titles */
    int cy = top + K * cell / 2;
    fprintf(out, "<text x=\"18\" y=\"%d\" font-size=\"13\" font-weight=\"bold\" "
                 "text-anchor=\"middle\" transform=\"rotate(-90 18 %d)\">true label</text>\n",
            cy, cy);
    fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\" "
                 "text-anchor=\"middle\">recognized label (frames; colour = share of the row)</text>\n",
            left + K * cell / 2, top + K * cell + 30);
    fputs("</svg>\n", out);
    return fflush(out) != 0 || ferror(out) ? SK_EIO : 0;
}
