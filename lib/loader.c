/* SPDX-License-Identifier: MIT */
/* Loader workers (TRAINEST_DATA_MODE_WORKERS), docs/time-model.md.
 *
 * Worker j (from 0) of W starts (j + 1) s after the epoch begins and builds
 * batches j, j + W, j + 2W, ... one after another, u seconds per sample, so
 * batch k = r W + j is ready at
 *
 *     ready(k) = (j + 1) s + u * (samples in the worker's batches 0..r),
 *
 * (j + 1) s + (r + 1) b u for full batches of b. Only the epoch's last
 * batch can be partial. Over the full batches, ready(k) - k c is linear in
 * (r, j), and they form rows 0..R-1 of W batches plus a row R of J + 1, so
 * its maximum is at a corner of that region: (0, 0), the end of row 0, the
 * start and the end of row R, and the end of row R - 1 (for each j the
 * maximum over r is at r = 0 or the last row holding j, and along those
 * lines at their ends; (R - 1, J + 1) is no higher than (R - 1, W - 1)
 * when the function grows with j, nor than (R - 1, J), inside column J,
 * when it does not). Five batches to look at, not one per batch.
 *
 * The fit of (s, u) to loader-only epochs: each epoch's time is the largest
 * of a few linear forms in (s, u) (the corners' ready times), so the sum of
 * absolute relative errors is piecewise linear, and its minimum over
 * s, u >= 0 lies at a vertex of the arrangement of the lines where a form
 * meets its measurement, where two forms of one epoch meet, and the axes.
 * The fit tries every vertex. */
#include "loader.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "abi.h"
#include "sizes.h"
#include "trainest.h"

#define MAX_LOADER_OBSERVATIONS 64u
/* Corner batches of one epoch: five of the full batches and the last one. */
#define MAX_CORNERS 6u

struct corners {
    uint64_t k[MAX_CORNERS];
    unsigned n;
};

static void add_corner(struct corners *c, uint64_t k)
{
    for (unsigned i = 0; i < c->n; i++)
        if (c->k[i] == k)
            return;
    c->k[c->n++] = k;
}

/* The corners of batches 0..last by W workers (rows of W). */
static void full_batch_corners(uint64_t last, uint64_t W, struct corners *c)
{
    const uint64_t R = last / W;
    add_corner(c, 0);
    add_corner(c, last < W - 1 ? last : W - 1);
    add_corner(c, R * W);
    add_corner(c, last);
    if (R >= 1)
        add_corner(c, R * W - 1);
}

/* Batch k's ready time as a s + b u: the worker's start-up multiple and its
 * samples so far. */
static void ready_form(uint64_t k, uint64_t W, uint64_t batch_size, uint64_t size, double *a,
                       double *b)
{
    *a = (double)(k % W) + 1.0;
    *b = (double)(k / W) * (double)batch_size + (double)size;
}

/* Every batch where the maximum of ready(k) - k c can lie, for any c >= 0. */
static void epoch_corners(uint64_t batches, uint64_t W, struct corners *c)
{
    c->n = 0;
    if (batches >= 2)
        full_batch_corners(batches - 2, W, c);
    add_corner(c, batches - 1);
}

double trainest_priv_worker_lateness(uint64_t batches, uint64_t batch_size, uint64_t last_size,
                                     uint64_t workers, double startup_s, double s_per_sample,
                                     double consume_s)
{
    if (!batches)
        return 0;
    struct corners c;
    epoch_corners(batches, workers, &c);
    double late = 0;
    for (unsigned i = 0; i < c.n; i++) {
        double a, b;
        ready_form(c.k[i], workers, batch_size, c.k[i] == batches - 1 ? last_size : batch_size, &a,
                   &b);
        const double v = a * startup_s + b * s_per_sample - (double)c.k[i] * consume_s;
        if (v > late)
            late = v;
    }
    return late;
}

/* ---- the fit ---------------------------------------------------------- */

/* One observation reduced to the forms a s + b u whose maximum is its
 * predicted time, only those no other form dominates (s, u >= 0). Of the
 * full batches' corners only (W, R b) and (J + 1, (R + 1) b) can be
 * undominated; with the last batch, at most three forms. */
#define MAX_FORMS 3u
struct obs_forms {
    double a[MAX_FORMS], b[MAX_FORMS];
    unsigned n;
    double seconds;
};

static void observation_forms(const trainest_loader_observation *ob, struct obs_forms *f)
{
    const uint64_t batches = (ob->samples - 1) / ob->batch_size + 1;
    const uint64_t last = ob->samples - (batches - 1) * ob->batch_size;
    struct corners c;
    epoch_corners(batches, ob->workers, &c);
    double a[MAX_CORNERS], b[MAX_CORNERS];
    for (unsigned i = 0; i < c.n; i++)
        ready_form(c.k[i], ob->workers, ob->batch_size, c.k[i] == batches - 1 ? last : ob->batch_size,
                   &a[i], &b[i]);
    f->n = 0;
    for (unsigned i = 0; i < c.n; i++) {
        bool dominated = false;
        for (unsigned j = 0; j < c.n && !dominated; j++)
            dominated = j != i && a[j] >= a[i] && b[j] >= b[i] && (a[j] > a[i] || b[j] > b[i] || j < i);
        if (!dominated && f->n < MAX_FORMS) {
            f->a[f->n] = a[i];
            f->b[f->n] = b[i];
            f->n++;
        }
    }
    f->seconds = ob->seconds;
}

/* The form that sets the observation's predicted time at (s, u): the
 * largest (the first of equals). */
static unsigned active_form(const struct obs_forms *f, double s, double u)
{
    unsigned k = 0;
    for (unsigned i = 1; i < f->n; i++)
        if (f->a[i] * s + f->b[i] * u > f->a[k] * s + f->b[k] * u)
            k = i;
    return k;
}

/* |predicted - measured| / measured at (s, u). */
static double residual(const struct obs_forms *f, double s, double u)
{
    const unsigned k = active_form(f, s, u);
    return fabs((f->a[k] * s + f->b[k] * u) / f->seconds - 1);
}

struct fit_state {
    const struct obs_forms *obs;
    uint32_t count;
    double best_objective, s, u;
    bool found;
};

static void try_vertex(struct fit_state *st, double s, double u)
{
    if (!(s >= 0) || !(u >= 0) || !isfinite(s) || !isfinite(u))
        return;
    double sum = 0;
    for (uint32_t i = 0; i < st->count && (!st->found || sum < st->best_objective); i++) {
        sum += residual(&st->obs[i], s, u);
    }
    if (!st->found || sum < st->best_objective) {
        st->found = true;
        st->best_objective = sum;
        st->s = s;
        st->u = u;
    }
}

/* A line A s + B u = C of the arrangement. */
struct line {
    double A, B, C;
};

/* Per observation: its forms and where each two of them meet. */
#define MAX_LINES (MAX_LOADER_OBSERVATIONS * (MAX_FORMS + MAX_FORMS * (MAX_FORMS - 1) / 2) + 2)

static void fit_vertices(struct fit_state *st)
{
    struct line lines[MAX_LINES]; /* 9 KiB */
    uint32_t n = 0;
    lines[n++] = (struct line){1, 0, 0}; /* s = 0 */
    lines[n++] = (struct line){0, 1, 0}; /* u = 0 */
    for (uint32_t i = 0; i < st->count; i++) {
        const struct obs_forms *f = &st->obs[i];
        for (unsigned p = 0; p < f->n; p++) {
            lines[n++] = (struct line){f->a[p], f->b[p], f->seconds};
            for (unsigned q = p + 1; q < f->n; q++)
                lines[n++] = (struct line){f->a[p] - f->a[q], f->b[p] - f->b[q], 0};
        }
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            const struct line *x = &lines[i], *y = &lines[j];
            const double det = x->A * y->B - y->A * x->B;
            if (!(fabs(det) > 1e-12 * (fabs(x->A * y->B) + fabs(y->A * x->B))))
                continue; /* parallel */
            try_vertex(st, (x->C * y->B - y->C * x->B) / det, (x->A * y->C - y->A * x->C) / det);
        }
}

/* Validate and reduce every observation; count distinct ones up to 2. */
static int read_observations(const unsigned char *base, uint32_t stride, uint32_t count,
                             struct obs_forms *forms, trainest_loader_fit *f)
{
    trainest_loader_observation first = {0, 0, 0, 0, 0, 0};
    bool distinct = false;
    for (uint32_t i = 0; i < count; i++) {
        trainest_loader_observation ob;
        f->invalid_index = i;
        int st = trainest_priv_read_element(&ob, sizeof ob, base, stride, i,
                                            TR_SIZE_LOADER_OBSERVATION_0_7);
        if (st) {
            f->invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            return st;
        }
        if (ob.reserved0) {
            f->invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            return TRAINEST_E_UNSUPPORTED;
        }
        if (!ob.workers || !ob.batch_size || !ob.samples) {
            f->invalid_field = !ob.workers      ? TRAINEST_FIELD_LOADER_WORKERS
                               : !ob.batch_size ? TRAINEST_FIELD_LOADER_BATCH_SIZE
                                                : TRAINEST_FIELD_LOADER_SAMPLES;
            return TRAINEST_E_ZERO;
        }
        if (!isfinite(ob.seconds) || !(ob.seconds > 0)) {
            f->invalid_field = TRAINEST_FIELD_LOADER_SECONDS;
            return isfinite(ob.seconds) ? TRAINEST_E_OUT_OF_RANGE : TRAINEST_E_NOT_FINITE;
        }
        if (i == 0)
            first = ob;
        else if (ob.workers != first.workers || ob.batch_size != first.batch_size ||
                 ob.samples != first.samples)
            distinct = true;
        observation_forms(&ob, &forms[i]);
    }
    f->invalid_index = UINT32_MAX;
    if (!distinct) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return TRAINEST_E_TOO_FEW_POINTS;
    }
    return TRAINEST_OK;
}

/* The fitted point is unique only if the forms that set the observations'
 * times there are not all parallel. */
static bool identified(const struct fit_state *st)
{
    const unsigned k0 = active_form(&st->obs[0], st->s, st->u);
    const double a0 = st->obs[0].a[k0], b0 = st->obs[0].b[k0];
    for (uint32_t i = 1; i < st->count; i++) {
        const struct obs_forms *f = &st->obs[i];
        const unsigned k = active_form(f, st->s, st->u);
        if (fabs(a0 * f->b[k] - f->a[k] * b0) > 1e-9 * (a0 * f->b[k] + f->a[k] * b0))
            return true;
    }
    return false;
}

static int calibrate(trainest_loader_fit *f, const trainest_loader_observation *observations,
                     uint32_t count)
{
    if (count < 2 || count > MAX_LOADER_OBSERVATIONS) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return count < 2 ? TRAINEST_E_TOO_FEW_POINTS : TRAINEST_E_OUT_OF_RANGE;
    }
    if (!observations) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return TRAINEST_E_NULL;
    }
    uint32_t stride;
    memcpy(&stride, observations, sizeof stride);
    if (stride < TR_SIZE_LOADER_OBSERVATION_0_7 || stride > TR_MAX_STRUCT_SIZE) {
        f->invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
        f->invalid_index = 0;
        return TRAINEST_E_STRUCT_SIZE;
    }
    struct obs_forms forms[MAX_LOADER_OBSERVATIONS];
    int st = read_observations((const unsigned char *)observations, stride, count, forms, f);
    if (st)
        return st;

    struct fit_state fs = {forms, count, 0, 0, 0, false};
    fit_vertices(&fs);
    if (!fs.found || !identified(&fs)) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return TRAINEST_E_UNIDENTIFIABLE;
    }
    const double rate = fs.u > 0 ? 1 / fs.u : 0;
    if (!isfinite(rate)) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return TRAINEST_E_OVERFLOW;
    }
    f->worker_startup_s = fs.s;
    f->samples_per_s_per_worker = rate;
    double sum = 0, max = 0;
    for (uint32_t i = 0; i < count; i++) {
        const double r = residual(&forms[i], fs.s, fs.u);
        sum += r;
        if (r > max)
            max = r;
    }
    f->max_residual_ratio = max;
    f->mean_residual_ratio = sum / count;
    f->observations = count;
    return TRAINEST_OK;
}

int trainest_loader_calibrate(trainest_loader_fit *out,
                              const trainest_loader_observation *observations, uint32_t count)
{
    int st = trainest_priv_check_output(out, TR_SIZE_LOADER_FIT_0_7);
    if (st)
        return st;
    trainest_loader_fit f;
    memset(&f, 0, sizeof f);
    f.invalid_index = UINT32_MAX;
    st = calibrate(&f, observations, count);
    if (st) {
        const uint32_t field = f.invalid_field, index = f.invalid_index;
        memset(&f, 0, sizeof f);
        f.invalid_field = field;
        f.invalid_index = index;
    }
    trainest_priv_write_output(out, &f, sizeof f);
    return st;
}

int trainest_loader_observation_init(trainest_loader_observation *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_LOADER_OBSERVATION_0_7);
}
