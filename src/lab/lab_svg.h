/* The lab's pictures: small SVG files written by hand (no dependency),
 * readable in any browser. */
#ifndef NST_LAB_SVG_H
#define NST_LAB_SVG_H

#include <stdio.h>

#include <nstack/types.h>

/* A ladder (sequence) diagram: two hosts as vertical lines, time flowing
 * down, one arrow per segment from its send time to its arrival time. */
struct nst_svg_arrow {
    int from_left;           /* 1: left host to right host */
    nst_time_t sent, arrived;
    const char *label;
};
int nst_svg_ladder(const char *path, const char *title, const char *left, const char *right,
                   const struct nst_svg_arrow *a, int n);

/* A line chart of up to two series sharing the x axis (time in seconds);
 * each series has its own y axis label and scale (left, right), or both
 * the same scale when shared_y (quantities to compare: cwnd, in flight). */
struct nst_svg_series {
    const char *name;
    const double *y;
    const char *color;
};
int nst_svg_chart(const char *path, const char *title, const double *x_sec, int n, const struct nst_svg_series *left,
                  const struct nst_svg_series *right, int shared_y);

/* A sequence diagram of captured packets: one row per packet at the time
 * it was captured (the rows evenly spaced, each with its timestamp), or a
 * gap row (label NULL) saying what was left out. */
struct nst_svg_row {
    int from_left;
    nst_time_t t;
    const char *label;  /* NULL: a gap row showing `gap` */
    const char *gap;
    const char *color;  /* NULL: the default */
};
int nst_svg_sequence(const char *path, const char *title, const char *left, const char *right,
                     const struct nst_svg_row *r, int n);

#endif
