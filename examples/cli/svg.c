/* SPDX-License-Identifier: MIT */
/* A tiny SVG writer and chart axes (see svg.h). */
#include "svg.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void svg_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&apos;", f);
            break;
        default:
            /* control characters are not allowed in XML 1.0 */
            fputc((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' ? '?' : *s, f);
        }
    }
}

void svg_begin(FILE *f, double width, double height, const char *title)
{
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %g %g\" width=\"%g\" "
            "height=\"%g\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n",
            width, height, width, height);
    fputs("<title>", f);
    svg_escape(f, title);
    fputs("</title>\n", f);
    svg_rect(f, 0, 0, width, height, "fill=\"#ffffff\"");
}

void svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

void svg_group_begin(FILE *f, const char *attrs)
{
    fprintf(f, "<g%s%s>\n", attrs && *attrs ? " " : "", attrs ? attrs : "");
}

void svg_group_end(FILE *f)
{
    fputs("</g>\n", f);
}

void svg_rect(FILE *f, double x, double y, double w, double h, const char *style)
{
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" %s/>\n", x, y, w, h,
            style);
}

void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *style)
{
    fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" %s/>\n", x1, y1, x2, y2,
            style);
}

void svg_polyline(FILE *f, const double *x, const double *y, size_t n, const char *style)
{
    if (n < 2)
        return;
    fputs("<polyline points=\"", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.2f,%.2f", i ? " " : "", x[i], y[i]);
    fprintf(f, "\" fill=\"none\" %s/>\n", style);
}

void svg_point(FILE *f, double cx, double cy, double r, const char *style, const char *panel,
               const char *series, double x, double y)
{
    fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%g\" %s data-panel=\"", cx, cy, r, style);
    svg_escape(f, panel);
    fputs("\" data-series=\"", f);
    svg_escape(f, series);
    fprintf(f, "\" data-x=\"%.17g\" data-y=\"%.17g\"/>\n", x, y);
}

void svg_text(FILE *f, double x, double y, double size, const char *anchor, const char *extra,
              const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%g\" text-anchor=\"%s\"%s%s>", x, y,
            size, anchor, extra ? " " : "", extra ? extra : "");
    svg_escape(f, buf);
    fputs("</text>\n", f);
}

/* ---- Axes ----------------------------------------------------------------- */

/* The 1-2-5 value nearest v in the given direction (floor: down). */
static double nice(double v, bool up)
{
    const double e = floor(log10(v));
    const double base = pow(10, e);
    static const double steps[] = {1, 2, 5, 10};
    const double m = v / base;
    if (up) {
        for (int i = 0; i < 4; i++)
            if (steps[i] >= m * (1 - 1e-9))
                return steps[i] * base;
        return 10 * base;
    }
    for (int i = 3; i >= 0; i--)
        if (steps[i] <= m * (1 + 1e-9))
            return steps[i] * base;
    return base;
}

double nice_floor(double v)
{
    return nice(v, false);
}

double nice_ceil(double v)
{
    return nice(v, true);
}

static void add_tick(struct axis *a, double v)
{
    if (a->nticks < AXIS_MAX_TICKS)
        a->ticks[a->nticks++] = v;
}

void axis_fit(struct axis *a, double min, double max, double scale, bool log_ok, double px0,
              double px1)
{
    memset(a, 0, sizeof *a);
    a->px0 = px0;
    a->px1 = px1;
    a->scale = scale > 0 ? scale : 1;
    min /= a->scale;
    max /= a->scale;
    if (!(max >= min) || !isfinite(min) || !isfinite(max)) {
        min = 0;
        max = 1;
    }
    if (log_ok && min > 0 && max / min > 30) {
        a->log = true;
        a->lo = nice_floor(min);
        a->hi = nice_ceil(max);
        const double decades = log10(a->hi / a->lo);
        /* 1-2-5 in every decade while that stays readable, else powers of 10 */
        static const double all[] = {1, 2, 5}, tens[] = {1};
        const double *m = decades <= 4 ? all : tens;
        const int nm = decades <= 4 ? 3 : 1;
        for (double d = pow(10, floor(log10(a->lo))); d <= a->hi * (1 + 1e-9); d *= 10)
            for (int i = 0; i < nm; i++) {
                const double v = m[i] * d;
                if (v >= a->lo * (1 - 1e-9) && v <= a->hi * (1 + 1e-9))
                    add_tick(a, v);
            }
        return;
    }
    double lo = min >= 0 && min < max / 3 ? 0 : min;
    if (max == lo) { /* one value: a range around it */
        lo = max > 0 ? 0 : max - 1;
        if (max == 0)
            max = 1;
    }
    const double step = nice_ceil((max - lo) / 6);
    a->lo = floor(lo / step * (1 + 1e-12)) * step;
    a->hi = ceil(max / step * (1 - 1e-12)) * step;
    if (a->hi <= a->lo)
        a->hi = a->lo + step;
    for (int i = 0; i < AXIS_MAX_TICKS; i++) {
        const double v = a->lo + step * i;
        if (v > a->hi + step * 1e-9)
            break;
        add_tick(a, fabs(v) < step * 1e-9 ? 0 : v);
    }
}

double axis_map(const struct axis *a, double v)
{
    double t;
    v /= a->scale;
    if (a->log)
        t = v > 0 ? (log10(v) - log10(a->lo)) / (log10(a->hi) - log10(a->lo)) : -1;
    else
        t = (v - a->lo) / (a->hi - a->lo);
    return a->px0 + t * (a->px1 - a->px0);
}

const char *axis_label(double tick, char *buf, size_t cap)
{
    snprintf(buf, cap, "%.4g", fabs(tick) < 1e-12 ? 0.0 : tick);
    return buf;
}
