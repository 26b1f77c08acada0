/* Shared pieces of the SVG writers (src/report/svg.c): escaped text and the
 * label palette. Internal. */
#ifndef SKELACT_SRC_REPORT_SVG_H
#define SKELACT_SRC_REPORT_SVG_H

#include <stdio.h>

/* s with & < > " ' escaped as XML entities (NULL prints nothing). */
void sk__svg_text(FILE *out, const char *s);

/* The colour of label k ("#rrggbb", static): label 0 a light grey, the
 * others from a palette of distinct colours (repeating after 12). */
const char *sk__svg_label_colour(int k);

/* Opening <svg> element with the given size and a white background; the
 * closing tag is the caller's. */
void sk__svg_begin(FILE *out, int width, int height);

#endif
