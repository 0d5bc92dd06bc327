/* SPDX-License-Identifier: MIT */
/* trainest sweep: time and memory against micro-batch and global batch, as
 * one self-contained SVG of three panels and/or a CSV of every point. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_impl.h"
#include "svg.h"

/* The most global batches panel (b) plots. */
#define MAX_GLOBAL_BATCHES 2000u

/* Panel (b): the fastest plan of each global batch. */
struct gb_point {
    uint64_t global_batch;
    trainest_search_result best;
    double time_to_target_s; /* NAN without a noise scale */
};

struct sweep {
    const struct options *o;
    struct search_setup s;
    bool memory;   /* a memory model to plot */
    bool critical; /* time to target */
    /* panel (a) and (c) */
    uint64_t global_batch;
    trainest_search_result layout; /* the fastest plan of that global batch */
    bool layout_found;
    struct tradeoff_result t;
    bool *fits;             /* per point of t */
    bool *dim;              /* its negation: drawn grey */
    uint64_t memory_limit;  /* the largest micro-batch that fits (UINT64_MAX: no limit) */
    uint64_t budget_bytes;  /* after headroom (UINT64_MAX: unlimited) */
    /* panel (b) */
    struct gb_point *gb;
    size_t ngb;
    size_t best; /* index of the fastest in gb, or SIZE_MAX */
};

/* ---- The data ------------------------------------------------------------------ */

/* The global batches of panel (b). */
static int global_batches(struct cli *c, const struct options *o, uint64_t **out, size_t *n)
{
    *n = 0;
    *out = NULL;
    if (given(o, "global-batch-range")) {
        const uint64_t lo = o->search.global_batch_min, hi = o->search.global_batch_max,
                       step = o->search.global_batch_step ? o->search.global_batch_step : 1;
        const uint64_t count = (hi - lo) / step + 1;
        if (count > MAX_GLOBAL_BATCHES)
            return usage_errorf(c,
                                "--global-batch-range holds %" PRIu64
                                " global batches; the sweep plots at most %u: raise STEP",
                                count, MAX_GLOBAL_BATCHES);
        *out = malloc((size_t)count * sizeof **out);
        if (!*out)
            return out_of_memory(c);
        for (uint64_t i = 0; i < count; i++)
            (*out)[(*n)++] = lo + i * step;
        return CLI_EXIT_OK;
    }
    /* G / 16 ... 16 G in powers of two */
    const uint64_t G = o->plan.global_batch;
    *out = malloc(9 * sizeof **out);
    if (!*out)
        return out_of_memory(c);
    for (int k = -4; k <= 4; k++) {
        if (k < 0 && G % ((uint64_t)1 << -k))
            continue;
        if (k > 0 && G > UINT64_MAX >> k)
            break;
        (*out)[(*n)++] = k < 0 ? G >> -k : G << k;
    }
    return CLI_EXIT_OK;
}

/* The fastest plan of one global batch; *found false if none is feasible. */
static int fastest(struct cli *c, struct sweep *w, uint64_t G, trainest_search_result *r,
                   bool *found)
{
    trainest_search_request sr = w->s.search;
    sr.global_batch_min = sr.global_batch_max = G;
    sr.global_batch_step = 0;
    trainest_search s;
    s.struct_size = sizeof s;
    r->struct_size = sizeof *r;
    uint32_t n = 0;
    const int st = trainest_search_run(&s, r, 1, &n, &w->o->plan, &w->s.estimate, &w->s.memory,
                                       &sr);
    if (st != TRAINEST_OK)
        return estimate_error(c, st, s.invalid_field, w->o, w->s.model, &w->s.estimate);
    *found = n == 1;
    return CLI_EXIT_OK;
}

static int panel_b(struct cli *c, struct sweep *w)
{
    uint64_t *gs;
    size_t n;
    int rc = global_batches(c, w->o, &gs, &n);
    if (rc != CLI_EXIT_OK)
        return rc;
    w->gb = calloc(n ? n : 1, sizeof *w->gb);
    if (!w->gb) {
        free(gs);
        return out_of_memory(c);
    }
    w->best = SIZE_MAX;
    for (size_t i = 0; i < n && rc == CLI_EXIT_OK; i++) {
        struct gb_point *p = &w->gb[w->ngb];
        bool found = false;
        if ((rc = fastest(c, w, gs[i], &p->best, &found)) != CLI_EXIT_OK || !found)
            continue;
        p->global_batch = gs[i];
        p->time_to_target_s = NAN;
        if (w->critical) {
            const trainest_plan_request prq = search_result_request(w->o, &p->best);
            trainest_critical k;
            k.struct_size = sizeof k;
            const int st = trainest_critical_compute(&k, &prq, &w->s.estimate,
                                                     memory_flags_given(w->o) ? &w->s.memory
                                                                              : NULL,
                                                     &w->o->critical);
            if (st != TRAINEST_OK) {
                rc = estimate_error(c, st, k.invalid_field, w->o, w->s.model, &w->s.estimate);
                break;
            }
            p->time_to_target_s = k.time_to_target_s;
        }
        if (w->best == SIZE_MAX || p->best.total_s < w->gb[w->best].best.total_s)
            w->best = w->ngb;
        w->ngb++;
    }
    free(gs);
    return rc;
}

static int panel_a_c(struct cli *c, struct sweep *w)
{
    const struct options *o = w->o;
    w->global_batch = given(o, "global-batch") ? o->plan.global_batch
                      : w->best != SIZE_MAX    ? w->gb[w->best].global_batch
                                               : o->search.global_batch_min;
    int rc = fastest(c, w, w->global_batch, &w->layout, &w->layout_found);
    if (rc != CLI_EXIT_OK)
        return rc;
    trainest_plan_request prq = o->plan;
    prq.global_batch = w->global_batch;
    prq.micro_batch = prq.grad_accum_steps = 0;
    prq.devices = 0;
    if (w->layout_found) {
        prq.data_parallel = w->layout.data_parallel;
        prq.tensor_parallel = w->layout.tensor_parallel;
        prq.pipeline_parallel = w->layout.pipeline_parallel;
    } else { /* nothing fits: the smallest layout, every point grey */
        prq.data_parallel = 1;
        prq.tensor_parallel = prq.pipeline_parallel = 0;
    }
    int st;
    if ((rc = tradeoff_with_memory(c, &prq, &w->s.estimate, w->memory ? &w->s.memory : NULL,
                                   &w->t, &st)) != CLI_EXIT_OK)
        return rc;
    const bool none_fit =
        st == TRAINEST_E_EXCEEDS_CAP && w->t.memory_field == TRAINEST_FIELD_DEVICE_MEMORY_BYTES;
    if (st != TRAINEST_OK && !none_fit)
        return w->t.memory_field
                   ? memory_error(c, st, w->t.memory_field, o)
                   : estimate_error(c, st, w->t.summary.invalid_field, o, w->s.model,
                                    &w->s.estimate);
    w->fits = calloc(w->t.n ? w->t.n : 1, sizeof *w->fits);
    w->dim = calloc(w->t.n ? w->t.n : 1, sizeof *w->dim);
    if (!w->fits || !w->dim)
        return out_of_memory(c);
    for (uint32_t i = 0; i < w->t.n; i++) {
        w->fits[i] = !none_fit && w->t.points[i].fits;
        w->dim[i] = !w->fits[i];
    }

    w->memory_limit = UINT64_MAX;
    w->budget_bytes = UINT64_MAX;
    if (w->memory && w->t.n) {
        trainest_plan_request one = prq;
        one.micro_batch = w->t.points[0].micro_batch;
        one.grad_accum_steps = w->t.points[0].grad_accum_steps;
        one.global_batch = 0;
        one.max_micro_batch = 0;
        trainest_memory m;
        if ((st = memory_for_plan_request(&m, &w->s.memory, &one)) != TRAINEST_OK)
            return memory_error(c, st, m.invalid_field, o);
        w->memory_limit = m.max_micro_batch;
        w->budget_bytes = m.budget_bytes;
    }
    return CLI_EXIT_OK;
}

/* ---- CSV -------------------------------------------------------------------------- */

static void csv_row(FILE *f, const char *panel, const char *series, double x, double y,
                    const char *ux, const char *uy)
{
    fprintf(f, "%s,%s,%.17g,%.17g,%s,%s\n", panel, series, x, y, ux, uy);
}

static void write_csv(FILE *f, const struct sweep *w)
{
    fputs("panel,series,x,y,unit_x,unit_y\n", f);
    for (uint32_t i = 0; i < w->t.n; i++)
        csv_row(f, "a", w->fits[i] ? "total_s" : "total_s_not_fitting",
                (double)w->t.points[i].micro_batch, w->t.points[i].total_s, "samples", "s");
    for (size_t i = 0; i < w->ngb; i++)
        csv_row(f, "b", "total_s", (double)w->gb[i].global_batch, w->gb[i].best.total_s,
                "samples", "s");
    for (size_t i = 0; i < w->ngb && w->critical; i++)
        csv_row(f, "b", "time_to_target_s", (double)w->gb[i].global_batch,
                w->gb[i].time_to_target_s, "samples", "s");
    for (uint32_t i = 0; i < w->t.n && w->memory; i++)
        csv_row(f, "c", w->fits[i] ? "memory_bytes" : "memory_bytes_not_fitting",
                (double)w->t.points[i].micro_batch, (double)w->t.memory[i], "samples", "B");
}

/* ---- SVG -------------------------------------------------------------------------- */

#define WIDTH 1000.0
#define HEIGHT 1250.0
#define PANEL_H 390.0
#define PLOT_L 100.0
#define PLOT_R 745.0
#define LEGEND_X 768.0

#define BLUE "#1f77b4"
#define ORANGE "#e8710a"
#define GREEN "#2a9d3a"
#define RED "#d62728"
#define GREY "#a0a0a0"

/* A unit for a time axis, by its largest value: its seconds. */
static double time_unit(double max, const char **name)
{
    static const struct {
        double s;
        const char *name;
    } units[] = {{86400, "days"}, {3600, "hours"}, {60, "minutes"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (max >= 2 * units[i].s) {
            *name = units[i].name;
            return units[i].s;
        }
    *name = "seconds";
    return 1;
}

/* A unit for a memory axis: its bytes (decimal units). */
static double bytes_unit(double max, const char **name)
{
    static const struct {
        double b;
        const char *name;
    } units[] = {{1e12, "TB"}, {1e9, "GB"}, {1e6, "MB"}, {1e3, "kB"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (max >= units[i].b) {
            *name = units[i].name;
            return units[i].b;
        }
    *name = "bytes";
    return 1;
}

/* Frame, grid, ticks, tick labels and axis titles of one panel. */
static void draw_axes(FILE *f, const struct axis *x, const struct axis *y, const char *xlabel,
                      const char *ylabel)
{
    char buf[64];
    const double top = y->px1, bottom = y->px0;
    svg_group_begin(f, "class=\"grid\" stroke=\"#e4e4e4\" stroke-width=\"1\"");
    for (size_t i = 0; i < x->nticks; i++)
        svg_line(f, axis_map(x, x->ticks[i] * x->scale), top, axis_map(x, x->ticks[i] * x->scale), bottom, "");
    for (size_t i = 0; i < y->nticks; i++)
        svg_line(f, PLOT_L, axis_map(y, y->ticks[i] * y->scale), PLOT_R, axis_map(y, y->ticks[i] * y->scale), "");
    svg_group_end(f);
    svg_rect(f, PLOT_L, top, PLOT_R - PLOT_L, bottom - top,
             "fill=\"none\" stroke=\"#444444\" stroke-width=\"1\"");
    svg_group_begin(f, "class=\"ticks\" stroke=\"#444444\" stroke-width=\"1\"");
    for (size_t i = 0; i < x->nticks; i++)
        svg_line(f, axis_map(x, x->ticks[i] * x->scale), bottom, axis_map(x, x->ticks[i] * x->scale), bottom + 6, "");
    for (size_t i = 0; i < y->nticks; i++)
        svg_line(f, PLOT_L - 6, axis_map(y, y->ticks[i] * y->scale), PLOT_L, axis_map(y, y->ticks[i] * y->scale), "");
    svg_group_end(f);
    svg_group_begin(f, "class=\"tick-labels\" fill=\"#222222\"");
    for (size_t i = 0; i < x->nticks; i++)
        svg_text(f, axis_map(x, x->ticks[i] * x->scale), bottom + 21, 13, "middle", NULL, "%s",
                 axis_label(x->ticks[i], buf, sizeof buf));
    for (size_t i = 0; i < y->nticks; i++)
        svg_text(f, PLOT_L - 10, axis_map(y, y->ticks[i] * y->scale) + 4.5, 13, "end", NULL, "%s",
                 axis_label(y->ticks[i], buf, sizeof buf));
    svg_group_end(f);
    svg_text(f, (PLOT_L + PLOT_R) / 2, bottom + 45, 14, "middle", "fill=\"#222222\"", "%s%s",
             xlabel, x->log ? " (log scale)" : "");
    char rot[96];
    const double cy = (top + bottom) / 2;
    snprintf(rot, sizeof rot, "fill=\"#222222\" transform=\"rotate(-90 28 %.2f)\"", cy);
    svg_text(f, 28, cy, 14, "middle", rot, "%s%s", ylabel, y->log ? " (log scale)" : "");
}

/* One legend row: a marker (circle, line or dashed line) and its text. */
enum marker { MARK_POINT, MARK_LINE, MARK_DASHED, MARK_AREA };

static void legend_row(FILE *f, double top, int row, enum marker m, const char *color,
                       const char *text)
{
    const double y = top + 18 + 22 * row;
    char style[128];
    switch (m) {
    case MARK_POINT:
        snprintf(style, sizeof style, "fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\"", color);
        fprintf(f, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"5\" %s/>\n", LEGEND_X + 12, y - 4, style);
        break;
    case MARK_LINE:
    case MARK_DASHED:
        snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"2\"%s", color,
                 m == MARK_DASHED ? " stroke-dasharray=\"6 4\"" : "");
        svg_line(f, LEGEND_X, y - 4, LEGEND_X + 24, y - 4, style);
        break;
    case MARK_AREA:
        snprintf(style, sizeof style, "fill=\"%s\"", color);
        svg_rect(f, LEGEND_X, y - 11, 24, 14, style);
        break;
    }
    svg_text(f, LEGEND_X + 32, y, 13, "start", "fill=\"#222222\"", "%s", text);
}

static void legend_box(FILE *f, double top, int rows)
{
    svg_rect(f, LEGEND_X - 8, top, WIDTH - LEGEND_X, 12 + 22 * rows,
             "fill=\"#fafafa\" stroke=\"#cccccc\" stroke-width=\"1\"");
}

static void panel_title(FILE *f, double top, const char *text)
{
    svg_text(f, PLOT_L - 70, top + 26, 17, "start", "font-weight=\"bold\" fill=\"#111111\"", "%s",
             text);
}

static void no_data(FILE *f, double top, const char *text)
{
    svg_text(f, (PLOT_L + PLOT_R) / 2, top + 180, 15, "middle", "fill=\"#888888\"", "%s", text);
}

/* A series of points: a line through them and a circle each. */
static void draw_series(FILE *f, const struct axis *x, const struct axis *y, const char *panel,
                        const char *series, const double *xs, const double *ys, size_t n,
                        const char *color, const bool *dim, const char *dim_series)
{
    double *px = calloc(n ? n : 1, sizeof *px), *py = calloc(n ? n : 1, sizeof *py);
    if (!px || !py) {
        free(px);
        free(py);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        px[i] = axis_map(x, xs[i]);
        py[i] = axis_map(y, ys[i]);
    }
    char style[96];
    snprintf(style, sizeof style, "stroke=\"%s\" stroke-width=\"2\" stroke-opacity=\"0.55\"",
             color);
    svg_polyline(f, px, py, n, style);
    char on[96], off[96];
    snprintf(on, sizeof on, "fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\"", color);
    snprintf(off, sizeof off, "fill=\"%s\" stroke=\"#ffffff\" stroke-width=\"1\"", GREY);
    const double r = n > 60 ? 3 : 4.5; /* dense series: smaller points */
    for (size_t i = 0; i < n; i++) {
        const bool d = dim && dim[i];
        svg_point(f, px[i], py[i], r, d ? off : on, panel, d ? dim_series : series, xs[i],
                  ys[i]);
    }
    free(px);
    free(py);
}

/* The vertical memory limit at micro-batch limit, and grey beyond it. */
static void draw_limit(FILE *f, const struct axis *x, const struct axis *y, uint64_t limit)
{
    if (limit == UINT64_MAX || (double)limit >= x->hi)
        return;
    const double lx = axis_map(x, (double)limit < x->lo ? x->lo : (double)limit);
    svg_rect(f, lx, y->px1, PLOT_R - lx, y->px0 - y->px1, "fill=\"#000000\" fill-opacity=\"0.06\"");
    svg_line(f, lx, y->px1, lx, y->px0,
             "stroke=\"" RED "\" stroke-width=\"2\" stroke-dasharray=\"6 4\"");
    svg_text(f, lx - 6, y->px1 + 18, 13, "end", "fill=\"" RED "\"", "memory limit: m <= %" PRIu64,
             limit);
}

static void draw_panel_a(FILE *f, const struct sweep *w, double top)
{
    char title[256];
    snprintf(title, sizeof title,
             "(a) Predicted run time against micro-batch, global batch %" PRIu64
             " (DP %" PRIu64 ", TP %" PRIu64 ", PP %" PRIu64 ")",
             w->global_batch, w->t.data_parallel,
             w->layout_found ? w->layout.tensor_parallel : 1,
             w->layout_found ? w->layout.pipeline_parallel : 1);
    panel_title(f, top, title);
    const uint32_t n = w->t.n;
    double *xs = calloc(n ? n : 1, sizeof *xs), *ys = calloc(n ? n : 1, sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        return;
    }
    double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
    for (uint32_t i = 0; i < n; i++) {
        xs[i] = (double)w->t.points[i].micro_batch;
        ys[i] = w->t.points[i].total_s;
        xmin = fmin(xmin, xs[i]);
        xmax = fmax(xmax, xs[i]);
        ymin = fmin(ymin, ys[i]);
        ymax = fmax(ymax, ys[i]);
    }
    if (w->memory_limit != UINT64_MAX && w->memory_limit > 0 && n)
        xmax = fmax(xmax, fmin((double)w->memory_limit * 1.05, xmax * 4));
    struct axis x, y;
    const char *unit;
    axis_fit(&x, n ? xmin : 1, n ? xmax : 2, 1, true, PLOT_L, PLOT_R);
    const double ts = time_unit(n ? ymax : 1, &unit);
    axis_fit(&y, n ? ymin : 0, n ? ymax : 1, ts, true, top + 285, top + 45);
    char ylabel[64];
    snprintf(ylabel, sizeof ylabel, "predicted run time (%s)", unit);
    if (n)
        draw_limit(f, &x, &y, w->memory_limit);
    draw_axes(f, &x, &y, "micro-batch m (samples per device per pass)", ylabel);
    if (!n)
        no_data(f, top, "no micro-batch leaves an optimizer step");
    draw_series(f, &x, &y, "a", "total_s", xs, ys, n, BLUE, w->dim, "total_s_not_fitting");
    const uint64_t rec = w->t.summary.recommended_micro_batch;
    for (uint32_t i = 0; i < n && rec; i++) {
        if (w->t.points[i].micro_batch != rec || !w->fits[i])
            continue;
        const double cx = axis_map(&x, xs[i]), cy = axis_map(&y, ys[i]);
        fprintf(f,
                "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"9\" fill=\"none\" stroke=\"" BLUE
                "\" stroke-width=\"2\"/>\n",
                cx, cy);
        const bool right = cx > (PLOT_L + PLOT_R) / 2;
        svg_text(f, right ? cx - 12 : cx + 12, cy - 14, 13, right ? "end" : "start",
                 "fill=\"" BLUE "\"", "recommended m = %" PRIu64, rec);
    }
    free(xs);
    free(ys);
    int rows = 0;
    const bool limit = w->memory_limit != UINT64_MAX;
    legend_box(f, top + 45, 2 + limit * 2);
    legend_row(f, top + 45, rows++, MARK_POINT, BLUE, "run time, fits");
    legend_row(f, top + 45, rows++, MARK_POINT, GREY, "does not fit");
    if (limit) {
        legend_row(f, top + 45, rows++, MARK_DASHED, RED, "memory limit");
        legend_row(f, top + 45, rows++, MARK_AREA, "#efefef", "beyond the limit");
    }
}

static void draw_panel_b(FILE *f, const struct sweep *w, double top)
{
    panel_title(f, top, "(b) Predicted run time of the fastest plan against global batch");
    const size_t n = w->ngb;
    double *xs = calloc(n ? n : 1, sizeof *xs), *ys = calloc(n ? n : 1, sizeof *ys),
           *ts = calloc(n ? n : 1, sizeof *ts);
    if (!xs || !ys || !ts) {
        free(xs);
        free(ys);
        free(ts);
        return;
    }
    double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        xs[i] = (double)w->gb[i].global_batch;
        ys[i] = w->gb[i].best.total_s;
        ts[i] = w->gb[i].time_to_target_s;
        xmin = fmin(xmin, xs[i]);
        xmax = fmax(xmax, xs[i]);
        ymin = fmin(ymin, ys[i]);
        ymax = fmax(ymax, ys[i]);
        if (w->critical) {
            ymin = fmin(ymin, ts[i]);
            ymax = fmax(ymax, ts[i]);
        }
    }
    if (n && xmin == xmax) {
        xmin = xmin / 2;
        xmax = xmax * 2;
    }
    struct axis x, y;
    const char *unit;
    axis_fit(&x, n ? xmin : 1, n ? xmax : 2, 1, true, PLOT_L, PLOT_R);
    const double tsc = time_unit(n ? ymax : 1, &unit);
    axis_fit(&y, n ? ymin : 0, n ? ymax : 1, tsc, true, top + 285, top + 45);
    char ylabel[64];
    snprintf(ylabel, sizeof ylabel, "predicted time (%s)", unit);
    draw_axes(f, &x, &y, "global batch G (samples per optimizer step)", ylabel);
    if (!n)
        no_data(f, top, "no feasible plan in the range");
    draw_series(f, &x, &y, "b", "total_s", xs, ys, n, BLUE, NULL, NULL);
    if (w->critical)
        draw_series(f, &x, &y, "b", "time_to_target_s", xs, ts, n, ORANGE, NULL, NULL);
    if (w->best != SIZE_MAX) {
        const struct gb_point *b = &w->gb[w->best];
        const double cx = axis_map(&x, (double)b->global_batch), cy = axis_map(&y, b->best.total_s);
        fprintf(f,
                "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"9\" fill=\"none\" stroke=\"" BLUE
                "\" stroke-width=\"2\"/>\n",
                cx, cy);
        const bool right = cx > (PLOT_L + PLOT_R) / 2;
        svg_text(f, right ? cx - 12 : cx + 12, cy - 14, 13, right ? "end" : "start",
                 "fill=\"" BLUE "\"",
                 "fastest: G = %" PRIu64 ", m = %" PRIu64 " x %" PRIu64 ", DP %" PRIu64,
                 b->global_batch, b->best.micro_batch, b->best.grad_accum_steps,
                 b->best.data_parallel);
    }
    free(xs);
    free(ys);
    free(ts);
    legend_box(f, top + 45, w->critical ? 2 : 1);
    legend_row(f, top + 45, 0, MARK_POINT, BLUE, "run time, fastest plan");
    if (w->critical)
        legend_row(f, top + 45, 1, MARK_POINT, ORANGE, "time to target loss");
}

static void draw_panel_c(FILE *f, const struct sweep *w, double top)
{
    char title[256];
    snprintf(title, sizeof title,
             "(c) Memory per device against micro-batch, global batch %" PRIu64,
             w->global_batch);
    panel_title(f, top, title);
    const uint32_t n = w->memory ? w->t.n : 0;
    double *xs = calloc(n ? n : 1, sizeof *xs), *ys = calloc(n ? n : 1, sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        return;
    }
    const uint64_t device = w->s.memory.device_memory_bytes;
    const bool budget = device && w->budget_bytes != UINT64_MAX && w->budget_bytes < device;
    double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = device ? (double)device : 0;
    for (uint32_t i = 0; i < n; i++) {
        xs[i] = (double)w->t.points[i].micro_batch;
        ys[i] = (double)w->t.memory[i];
        xmin = fmin(xmin, xs[i]);
        xmax = fmax(xmax, xs[i]);
        ymin = fmin(ymin, ys[i]);
        ymax = fmax(ymax, ys[i]);
    }
    struct axis x, y;
    const char *unit;
    axis_fit(&x, n ? xmin : 1, n ? xmax : 2, 1, true, PLOT_L, PLOT_R);
    const double bs = bytes_unit(n ? ymax : 1, &unit);
    axis_fit(&y, n ? fmin(ymin, ymax) : 0, n ? ymax : 1, bs, false, top + 285, top + 45);
    char ylabel[64];
    snprintf(ylabel, sizeof ylabel, "memory per device (%s)", unit);
    draw_axes(f, &x, &y, "micro-batch m (samples per device per pass)", ylabel);
    if (!w->memory)
        no_data(f, top, "no memory model: give --params, --static-bytes, "
                        "--activation-bytes-per-sample or --memory-points");
    char buf[64];
    if (device && n) {
        const double dy = axis_map(&y, (double)device);
        svg_line(f, PLOT_L, dy, PLOT_R, dy, "stroke=\"" RED "\" stroke-width=\"2\"");
        svg_text(f, PLOT_L + 8, dy - 6, 13, "start", "fill=\"" RED "\"", "device memory %s",
                 fmt_bytes(buf, sizeof buf, device));
    }
    if (budget && n) {
        const double by = axis_map(&y, (double)w->budget_bytes);
        svg_line(f, PLOT_L, by, PLOT_R, by,
                 "stroke=\"" ORANGE "\" stroke-width=\"2\" stroke-dasharray=\"6 4\"");
        svg_text(f, PLOT_L + 8, by + 16, 13, "start", "fill=\"" ORANGE "\"",
                 "budget after %.4g %% headroom %s", 100 * w->s.memory.headroom_ratio,
                 fmt_bytes(buf, sizeof buf, w->budget_bytes));
    }
    draw_series(f, &x, &y, "c", "memory_bytes", xs, ys, n, GREEN, w->dim,
                "memory_bytes_not_fitting");
    free(xs);
    free(ys);
    int rows = 0;
    legend_box(f, top + 45, 2 + (device != 0) + budget);
    legend_row(f, top + 45, rows++, MARK_POINT, GREEN, "memory, fits");
    legend_row(f, top + 45, rows++, MARK_POINT, GREY, "does not fit");
    if (device)
        legend_row(f, top + 45, rows++, MARK_LINE, RED, "device memory");
    if (budget)
        legend_row(f, top + 45, rows++, MARK_DASHED, ORANGE, "budget after headroom");
}

static void write_svg(FILE *f, const struct sweep *w)
{
    char title[256];
    snprintf(title, sizeof title,
             "trainest sweep: %" PRIu64 " samples x %" PRIu64 " epoch%s, up to %" PRIu64
             " device%s",
             w->o->plan.samples, w->o->plan.epochs, w->o->plan.epochs == 1 ? "" : "s",
             w->s.search.max_devices, w->s.search.max_devices == 1 ? "" : "s");
    svg_begin(f, WIDTH, HEIGHT, title);
    svg_text(f, WIDTH / 2, 34, 20, "middle", "font-weight=\"bold\" fill=\"#111111\"", "%s",
             title);
    /* what the curves assume, in one line */
    static const char *const sources[] = {"given", "calibrated", "from FLOPs"};
    char sub[384], a[32], b[32], d[32];
    int k = snprintf(sub, sizeof sub, "step-time model %s", sources[w->s.model]);
    const trainest_memory_request *m = &w->s.memory;
    if (w->memory && k > 0 && (size_t)k < sizeof sub) {
        if (m->params && !m->static_bytes)
            k += snprintf(sub + k, sizeof sub - (size_t)k, "; memory: %" PRIu64 " parameters",
                          m->params);
        else
            k += snprintf(sub + k, sizeof sub - (size_t)k, "; memory: static %s",
                          fmt_bytes(a, sizeof a, m->static_bytes));
        if (m->activation_bytes_per_sample && k > 0 && (size_t)k < sizeof sub)
            k += snprintf(sub + k, sizeof sub - (size_t)k, " + %s per sample",
                          fmt_bytes(b, sizeof b, m->activation_bytes_per_sample));
        if (m->device_memory_bytes && k > 0 && (size_t)k < sizeof sub)
            k += snprintf(sub + k, sizeof sub - (size_t)k, ", device %s",
                          fmt_bytes(d, sizeof d, m->device_memory_bytes));
        if (m->headroom_ratio > 0 && k > 0 && (size_t)k < sizeof sub)
            k += snprintf(sub + k, sizeof sub - (size_t)k, ", %.4g %% headroom",
                          100 * m->headroom_ratio);
    }
    if (w->critical && k > 0 && (size_t)k < sizeof sub) {
        const trainest_critical_request *cr = &w->o->critical;
        if (cr->min_steps > 0)
            snprintf(sub + k, sizeof sub - (size_t)k, "; target: B_noise %.6g, S_min %.6g",
                     cr->noise_scale, cr->min_steps);
        else
            snprintf(sub + k, sizeof sub - (size_t)k, "; target: B_noise %.6g, E_min %.6g",
                     cr->noise_scale, cr->min_samples);
    }
    svg_text(f, WIDTH / 2, 56, 13, "middle", "fill=\"#555555\"", "%s", sub);
    svg_group_begin(f, "id=\"panel-a\"");
    draw_panel_a(f, w, 66);
    svg_group_end(f);
    svg_group_begin(f, "id=\"panel-b\"");
    draw_panel_b(f, w, 66 + PANEL_H);
    svg_group_end(f);
    svg_group_begin(f, "id=\"panel-c\"");
    draw_panel_c(f, w, 66 + 2 * PANEL_H);
    svg_group_end(f);
    svg_end(f);
}

/* ---- The command ------------------------------------------------------------------- */

/* Write a file with fn; '-' is the standard output. */
static int write_to(struct cli *c, const char *path, const struct sweep *w,
                    void (*fn)(FILE *f, const struct sweep *w))
{
    const bool std = strcmp(path, "-") == 0;
    FILE *f = std ? c->out : fopen(path, "w");
    if (!f) {
        fprintf(c->err, "trainest: error: %s: cannot write: %s\n", path, strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    fn(f, w);
    const bool bad = ferror(f) != 0;
    if (!std && (fclose(f) != 0 || bad)) {
        fprintf(c->err, "trainest: error: %s: cannot write\n", path);
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}

static void sweep_free(struct sweep *w)
{
    tradeoff_result_free(&w->t);
    free(w->fits);
    free(w->dim);
    free(w->gb);
}

int run_sweep(struct cli *c, const struct options *o)
{
    if (!given(o, "svg") && !given(o, "csv"))
        return usage_error(c, "give --svg FILE.svg, --csv FILE.csv or both");
    if (given(o, "svg") && strcmp(o->svg, "-") == 0 && given(o, "csv") &&
        strcmp(o->csv, "-") == 0)
        return usage_error(c, "only one of --svg and --csv can be the standard output");
    struct sweep w;
    memset(&w, 0, sizeof w);
    w.o = o;
    int rc = check_runlevel_flags(c, o);
    if (rc != CLI_EXIT_OK || (rc = search_setup(c, o, &w.s)) != CLI_EXIT_OK)
        return rc;
    w.memory = memory_flags_given(o) || given(o, "params");
    w.critical = given(o, "noise-scale");
    w.best = SIZE_MAX;
    if ((rc = panel_b(c, &w)) == CLI_EXIT_OK && (rc = panel_a_c(c, &w)) == CLI_EXIT_OK) {
        if (given(o, "csv"))
            rc = write_to(c, o->csv, &w, write_csv);
        if (rc == CLI_EXIT_OK && given(o, "svg"))
            rc = write_to(c, o->svg, &w, write_svg);
    }
    const bool quiet = (given(o, "csv") && strcmp(o->csv, "-") == 0) ||
                       (given(o, "svg") && strcmp(o->svg, "-") == 0);
    if (rc == CLI_EXIT_OK && !quiet) {
        FILE *f = c->out;
        const size_t points = w.t.n + w.ngb * (w.critical ? 2 : 1) + (w.memory ? w.t.n : 0);
        if (given(o, "svg"))
            fprintf(f, "wrote %s: 3 panels, %zu points\n", o->svg, points);
        if (given(o, "csv"))
            fprintf(f, "wrote %s: %zu rows\n", o->csv, points);
        char a[64];
        if (w.best != SIZE_MAX) {
            const trainest_search_result *b = &w.gb[w.best].best;
            fprintf(f,
                    "fastest: global batch %" PRIu64 ", micro-batch %" PRIu64 " x %" PRIu64
                    " accumulation, DP %" PRIu64 ", TP %" PRIu64 ", PP %" PRIu64 ": %s\n",
                    b->global_batch, b->micro_batch, b->grad_accum_steps, b->data_parallel,
                    b->tensor_parallel, b->pipeline_parallel,
                    fmt_seconds(a, sizeof a, b->total_s, true));
        } else {
            fputs("no feasible plan in the range\n", f);
        }
        if (w.memory_limit != UINT64_MAX)
            fprintf(f, "largest micro-batch that fits at global batch %" PRIu64 ": %" PRIu64 "\n",
                    w.global_batch, w.memory_limit);
    }
    sweep_free(&w);
    return rc;
}
