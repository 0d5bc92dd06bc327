/* SPDX-License-Identifier: MIT */
/* Fitting the step-time model to measured optimizer steps.
 *
 *   step(m, a) = max(a * floor, lag + a * (fixed + per * m)) + optimizer
 *
 * Which observations are launch-bound (the first term wins) depends on the
 * parameters, so the fit alternates: assume a split, fit the then-linear
 * model robustly, re-split by the fitted parameters, until the split is
 * stable. It starts from every threshold on the micro-batch size (up to
 * MAX_THRESHOLDS of the smallest distinct sizes) and keeps the best result.
 * The linear fits minimise the sum of absolute relative errors by
 * iteratively reweighted least squares (docs/time-model.md). */
#include <math.h>
#include <string.h>

#include "abi.h"
#include "fit.h"
#include "sizes.h"

#define MAX_OBSERVATIONS 65536u
#define MAX_THRESHOLDS 32u
#define IRLS_ITERATIONS 60
#define SPLIT_ITERATIONS 12

enum { COL_FLOOR, COL_FIXED, COL_PER, COL_LAG, COL_OPT, NCOLS };

struct params {
    double v[NCOLS];
    bool lag_fitted, floor_fitted;
};

struct observations {
    const unsigned char *base;
    size_t stride;
    uint32_t count;
};

static void observation(const struct observations *o, uint32_t i, double *m, double *a, double *t)
{
    trainest_step_observation ob;
    memcpy(&ob, o->base + (size_t)i * o->stride, sizeof ob);
    *m = (double)ob.micro_batch;
    *a = (double)ob.grad_accum_steps;
    *t = ob.step_s;
}

static double predict(const struct params *p, double m, double a)
{
    const double host = a * p->v[COL_FLOOR];
    const double dev = p->v[COL_LAG] + a * (p->v[COL_FIXED] + p->v[COL_PER] * m);
    return (host > dev ? host : dev) + p->v[COL_OPT];
}

/* A split: either a threshold on m (initial) or the fitted parameters. */
struct split {
    bool by_params;
    double threshold;
    const struct params *p;
};

static bool launch_bound(const struct split *s, double m, double a)
{
    if (!s->by_params)
        return m <= s->threshold;
    if (!s->p->floor_fitted)
        return false;
    return a * s->p->v[COL_FLOOR] >= s->p->v[COL_LAG] + a * (s->p->v[COL_FIXED] + s->p->v[COL_PER] * m);
}

/* Robust linear fit of the columns in `use` for a given split. */
static bool fit_split(const struct observations *o, const struct split *s, const bool use[NCOLS],
                      double known_opt, struct params *out)
{
    unsigned map[NCOLS], ncols = 0;
    for (unsigned c = 0; c < NCOLS; c++)
        if (use[c])
            map[ncols++] = c;
    double beta[TR_FIT_MAX_COLS] = {0};
    struct params p;
    memset(&p, 0, sizeof p);
    if (!use[COL_OPT])
        p.v[COL_OPT] = known_opt;

    for (int it = 0; it < IRLS_ITERATIONS; it++) {
        struct tr_normal_eq ne;
        trainest_priv_normal_init(&ne, ncols);
        for (uint32_t i = 0; i < o->count; i++) {
            double m, a, t;
            observation(o, i, &m, &a, &t);
            double full[NCOLS] = {0}, x[TR_FIT_MAX_COLS];
            if (launch_bound(s, m, a))
                full[COL_FLOOR] = a;
            else {
                full[COL_FIXED] = a;
                full[COL_PER] = a * m;
                full[COL_LAG] = 1;
            }
            full[COL_OPT] = 1;
            for (unsigned c = 0; c < ncols; c++)
                x[c] = full[map[c]];
            const double y = t - (use[COL_OPT] ? 0 : known_opt);
            /* relative residuals: weight 1 / t^2; L1 via 1 / |r| */
            double w = 1.0 / (t * t);
            if (it > 0) {
                double lin = 0;
                for (unsigned c = 0; c < ncols; c++)
                    lin += x[c] * beta[c];
                const double r = fabs(lin - y) / t;
                w /= r > 1e-9 ? r : 1e-9;
            }
            trainest_priv_normal_add(&ne, x, y, w);
        }
        if (!trainest_priv_normal_solve(&ne, beta))
            return false;
    }
    for (unsigned c = 0; c < ncols; c++)
        p.v[map[c]] = beta[c];
    p.floor_fitted = use[COL_FLOOR];
    p.lag_fitted = use[COL_LAG];
    *out = p;
    return true;
}

/* Fit a split, dropping the launch lag if the data cannot separate it. */
static bool fit_model(const struct observations *o, const struct split *s, bool opt_known,
                      double known_opt, struct params *out)
{
    bool any_launch = false, any_device = false;
    for (uint32_t i = 0; i < o->count; i++) {
        double m, a, t;
        observation(o, i, &m, &a, &t);
        if (launch_bound(s, m, a))
            any_launch = true;
        else
            any_device = true;
    }
    bool use[NCOLS] = {any_launch, any_device, any_device, any_device, !opt_known};
    bool ok = fit_split(o, s, use, known_opt, out);
    if (!ok) {
        use[COL_LAG] = false;
        ok = fit_split(o, s, use, known_opt, out);
    }
    /* Times are not negative: a parameter the unconstrained fit puts below
     * zero is held at its bound, 0, and the others are refitted (an
     * active-set step, repeated until none is negative). */
    for (int round = 0; ok && round < NCOLS; round++) {
        bool negative = false;
        for (int col = 0; col < NCOLS; col++)
            if (use[col] && out->v[col] < 0) {
                use[col] = false;
                negative = true;
            }
        if (!negative)
            break;
        ok = fit_split(o, s, use, known_opt, out);
        if (!ok && use[COL_LAG]) {
            use[COL_LAG] = false;
            ok = fit_split(o, s, use, known_opt, out);
        }
    }
    return ok;
}

/* Sum of absolute relative residuals, or -1 if the model is unphysical. */
static double objective(const struct observations *o, const struct params *p)
{
    if (p->v[COL_PER] < 0 || p->v[COL_LAG] < 0 || p->v[COL_OPT] < 0 || p->v[COL_FLOOR] < 0 ||
        p->v[COL_FIXED] < 0)
        return -1;
    double sum = 0;
    for (uint32_t i = 0; i < o->count; i++) {
        double m, a, t;
        observation(o, i, &m, &a, &t);
        const double pred = predict(p, m, a);
        if (!(pred > 0) || !isfinite(pred))
            return -1;
        sum += fabs(pred - t) / t;
    }
    return sum;
}

static bool same_split(const struct observations *o, const struct split *x, const struct split *y)
{
    for (uint32_t i = 0; i < o->count; i++) {
        double m, a, t;
        observation(o, i, &m, &a, &t);
        if (launch_bound(x, m, a) != launch_bound(y, m, a))
            return false;
    }
    return true;
}

/* From one starting split, alternate fit and re-split until stable. */
static double fit_from(const struct observations *o, struct split start, bool opt_known,
                       double known_opt, struct params *best)
{
    /* prev induced the split cur was fitted under (after the first round) */
    struct params cur, next, prev;
    if (!fit_model(o, &start, opt_known, known_opt, &cur))
        return -1;
    for (int it = 0; it < SPLIT_ITERATIONS; it++) {
        struct split by = {true, 0, &cur};
        if (same_split(o, &start, &by))
            break;
        if (!fit_model(o, &by, opt_known, known_opt, &next))
            break;
        prev = cur;
        start = (struct split){true, 0, &prev};
        cur = next;
    }
    /* The fitted floor only matters if some observation is launch-bound. */
    struct split final_split = {true, 0, &cur};
    bool any_launch = false;
    for (uint32_t i = 0; i < o->count && !any_launch; i++) {
        double m, a, t;
        observation(o, i, &m, &a, &t);
        any_launch = launch_bound(&final_split, m, a);
    }
    if (!any_launch) {
        cur.v[COL_FLOOR] = 0;
        cur.floor_fitted = false;
    }
    *best = cur;
    return objective(o, &cur);
}

/* Validate every observation; count distinct (m, a) pairs up to 2. */
static int check_observations(const struct observations *o, trainest_step_fit *f)
{
    uint64_t m0 = 0, a0 = 0;
    bool distinct = false;
    for (uint32_t i = 0; i < o->count; i++) {
        trainest_step_observation ob;
        f->invalid_index = i;
        int st = trainest_priv_read_element(&ob, sizeof ob, o->base, (uint32_t)o->stride, i,
                                            TR_SIZE_STEP_OBSERVATION_0_2);
        if (st) {
            f->invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            return st;
        }
        if (ob.reserved0) {
            f->invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            return TRAINEST_E_UNSUPPORTED;
        }
        if (!ob.micro_batch || !ob.grad_accum_steps) {
            f->invalid_field = ob.micro_batch ? TRAINEST_FIELD_OBSERVATION_GRAD_ACCUM_STEPS
                                              : TRAINEST_FIELD_OBSERVATION_MICRO_BATCH;
            return TRAINEST_E_ZERO;
        }
        if (!isfinite(ob.step_s) || !(ob.step_s > 0)) {
            f->invalid_field = TRAINEST_FIELD_OBSERVATION_STEP_S;
            return isfinite(ob.step_s) ? TRAINEST_E_OUT_OF_RANGE : TRAINEST_E_NOT_FINITE;
        }
        if (i == 0) {
            m0 = ob.micro_batch;
            a0 = ob.grad_accum_steps;
        } else if (ob.micro_batch != m0 || ob.grad_accum_steps != a0)
            distinct = true;
    }
    f->invalid_index = UINT32_MAX;
    if (!distinct) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return TRAINEST_E_TOO_FEW_POINTS;
    }
    return TRAINEST_OK;
}

/* The smallest distinct micro-batch sizes, ascending: the starting splits. */
static unsigned thresholds(const struct observations *o, double *t)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < o->count; i++) {
        double m, a, s;
        observation(o, i, &m, &a, &s);
        unsigned j = 0;
        while (j < n && t[j] < m)
            j++;
        if (j < n && t[j] == m)
            continue;
        if (j == MAX_THRESHOLDS)
            continue;
        if (n == MAX_THRESHOLDS)
            n--;
        memmove(t + j + 1, t + j, (n - j) * sizeof *t);
        t[j] = m;
        n++;
    }
    return n;
}

static int calibrate(trainest_step_fit *f, const struct observations *o,
                     const trainest_calibration_request *rq)
{
    f->invalid_index = UINT32_MAX;
    if (rq->flags & ~TRAINEST_CALIBRATE_OPTIMIZER_KNOWN) {
        f->invalid_field = TRAINEST_FIELD_CALIBRATION_FLAGS;
        return TRAINEST_E_UNKNOWN_ENUM;
    }
    const bool opt_known = rq->flags & TRAINEST_CALIBRATE_OPTIMIZER_KNOWN;
    if (opt_known && (!isfinite(rq->optimizer_s) || rq->optimizer_s < 0)) {
        f->invalid_field = TRAINEST_FIELD_OPTIMIZER_S;
        return isfinite(rq->optimizer_s) ? TRAINEST_E_OUT_OF_RANGE : TRAINEST_E_NOT_FINITE;
    }
    int st = check_observations(o, f);
    if (st)
        return st;

    double t[MAX_THRESHOLDS];
    const unsigned nt = thresholds(o, t);
    struct params best, p;
    memset(&best, 0, sizeof best);
    double best_obj = -1;
    for (unsigned i = 0; i <= nt; i++) {
        /* i == 0: nothing launch-bound; then up to and including t[i - 1] */
        struct split s = {false, i ? t[i - 1] : 0, NULL};
        double obj = fit_from(o, s, opt_known, opt_known ? rq->optimizer_s : 0, &p);
        if (obj >= 0 && (best_obj < 0 || obj < best_obj * (1 - 1e-12))) {
            best_obj = obj;
            best = p;
        }
    }
    if (best_obj < 0) {
        f->invalid_field = TRAINEST_FIELD_OBSERVATIONS;
        return TRAINEST_E_UNIDENTIFIABLE;
    }

    f->floor_s = best.v[COL_FLOOR];
    f->fixed_s = best.v[COL_FIXED];
    f->per_sample_s = best.v[COL_PER];
    f->launch_lag_s = best.v[COL_LAG];
    f->optimizer_s = best.v[COL_OPT];
    f->flags = (best.floor_fitted ? TRAINEST_FIT_FLOOR_FITTED : 0) |
               (best.lag_fitted ? TRAINEST_FIT_LAUNCH_LAG_FITTED : 0);
    double max_r = 0, sum_r = 0;
    for (uint32_t i = 0; i < o->count; i++) {
        double m, a, s;
        observation(o, i, &m, &a, &s);
        const double r = fabs(predict(&best, m, a) - s) / s;
        sum_r += r;
        if (r > max_r)
            max_r = r;
    }
    f->max_residual_ratio = max_r;
    f->mean_residual_ratio = sum_r / o->count;
    f->observations = o->count;
    return TRAINEST_OK;
}

int trainest_step_calibrate(trainest_step_fit *out, const trainest_step_observation *observations,
                            uint32_t count, const trainest_calibration_request *request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_STEP_FIT_0_2);
    if (st)
        return st;
    trainest_step_fit f;
    memset(&f, 0, sizeof f);
    f.invalid_index = UINT32_MAX;
    trainest_calibration_request rq;
    memset(&rq, 0, sizeof rq);
    if (request)
        st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_CALIBRATION_REQUEST_0_2);
    if (st) {
        f.invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
    } else if (count < 2 || count > MAX_OBSERVATIONS) {
        st = count < 2 ? TRAINEST_E_TOO_FEW_POINTS : TRAINEST_E_OUT_OF_RANGE;
        f.invalid_field = TRAINEST_FIELD_OBSERVATIONS;
    } else if (!observations) {
        st = TRAINEST_E_NULL;
        f.invalid_field = TRAINEST_FIELD_OBSERVATIONS;
    } else {
        uint32_t stride;
        memcpy(&stride, observations, sizeof stride);
        struct observations o = {(const unsigned char *)observations, stride, count};
        if (stride < TR_SIZE_STEP_OBSERVATION_0_2 || stride > TR_MAX_STRUCT_SIZE) {
            st = TRAINEST_E_STRUCT_SIZE;
            f.invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            f.invalid_index = 0;
        } else {
            st = calibrate(&f, &o, &rq);
        }
    }
    if (st) {
        trainest_step_fit z;
        memset(&z, 0, sizeof z);
        z.invalid_field = f.invalid_field;
        z.invalid_index = f.invalid_index;
        f = z;
    }
    trainest_priv_write_output(out, &f, sizeof f);
    return st;
}

int trainest_calibration_request_init(trainest_calibration_request *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_CALIBRATION_REQUEST_0_2);
}

int trainest_step_observation_init(trainest_step_observation *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_STEP_OBSERVATION_0_2);
}
