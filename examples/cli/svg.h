/* SPDX-License-Identifier: MIT */
/* A tiny SVG writer and the arithmetic of chart axes: enough for the plots
 * of trainest sweep. Elements are written as they come (no tree); text and
 * attribute values from the caller are escaped. Axes map data to pixels on
 * a linear or logarithmic scale with 1-2-5 ticks. No allocation. */
#ifndef TRAINEST_CLI_SVG_H
#define TRAINEST_CLI_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The document: an XML declaration and the root <svg> with a viewBox of
 * width x height user units, a white background and a generic font (no
 * external fonts, scripts or images). */
void svg_begin(FILE *f, double width, double height, const char *title);
void svg_end(FILE *f);

/* Text with &, <, >, " and ' escaped (for content and attribute values). */
void svg_escape(FILE *f, const char *s);

/* <g ATTRS> ... </g>; attrs is written as is (the caller's own markup). */
void svg_group_begin(FILE *f, const char *attrs);
void svg_group_end(FILE *f);

/* Shapes; style is written as is ("stroke=\"#000\" ..."). */
void svg_rect(FILE *f, double x, double y, double w, double h, const char *style);
void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *style);
void svg_polyline(FILE *f, const double *x, const double *y, size_t n, const char *style);

/* A data point: a circle carrying its values as data-panel, data-series,
 * data-x and data-y attributes (%.17g, so they round-trip). */
void svg_point(FILE *f, double cx, double cy, double r, const char *style, const char *panel,
               const char *series, double x, double y);

/* Text at (x, y); anchor is "start", "middle" or "end"; extra (or NULL) is
 * written as is; the text is printf-formatted, then escaped. */
#if defined(__GNUC__)
__attribute__((format(printf, 7, 8)))
#endif
void svg_text(FILE *f, double x, double y, double size, const char *anchor, const char *extra,
              const char *fmt, ...);

/* ---- Axes ----------------------------------------------------------------- */

#define AXIS_MAX_TICKS 32

/* An axis in display units: data value / scale (seconds shown in hours:
 * scale 3600). Its range and ticks are in display units. */
struct axis {
    double scale;      /* data units per display unit */
    double lo, hi;     /* range shown */
    bool log;          /* logarithmic (base 10) */
    double px0, px1;   /* pixels of lo and hi */
    double ticks[AXIS_MAX_TICKS];
    size_t nticks;
};

/* Fit an axis to data in [min, max] shown divided by scale: a logarithmic
 * scale when log_ok, min > 0 and max / min > 30, else linear (from 0 when
 * min is below a third of max); the ends and ticks on 1-2-5 values. */
void axis_fit(struct axis *a, double min, double max, double scale, bool log_ok, double px0,
              double px1);

/* The pixel of a data value (in data units). */
double axis_map(const struct axis *a, double v);

/* The largest 1-2-5 value (1, 2, 5, 10, 20, ...) <= v, or >= v; v > 0. */
double nice_floor(double v);
double nice_ceil(double v);

/* A tick label: a tick value with few digits ("0.5", "20", "1e+06"). */
const char *axis_label(double tick, char *buf, size_t cap);

#endif
