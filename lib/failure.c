/* SPDX-License-Identifier: MIT */
/* Failures and checkpoints (docs/run-level.md).
 *
 * Failures form a Poisson process of rate 1/M. The work W is cut into
 * k = ceil(W / tau) segments; all but the last end with a checkpoint write
 * of delta. A segment of length s succeeds with probability e^(-s/M); each
 * failure loses the time since the segment began (an exponential truncated
 * to [0, s)) plus the restart rho. Per segment:
 *
 *   failures ~ Geometric(q = 1 - e^(-s/M)),  E = e^(s/M) - 1
 *   E[time]  = (M + rho) (e^(s/M) - 1)
 *
 * The k - 1 full segments' failure count is negative binomial; the total
 * extra time is a compound distribution, computed exactly on a grid by
 * Panjer's recursion (Panjer 1981) and convolved with the last segment's. */
#include <math.h>
#include <string.h>

#include "abi.h"
#include "failure.h"
#include "sizes.h"

#define FAIL(status, fld)                                                                      \
    do {                                                                                       \
        *field = (fld);                                                                        \
        return (status);                                                                       \
    } while (0)

#define GRID 1024

/* Sum of u^k / k! for k >= from (from = 2 or 3), by its Taylor series for
 * u < 1 (where the closed forms cancel), exactly otherwise. */
static double exp_tail(double u, int from)
{
    if (u >= 1)
        return from == 2 ? expm1(u) - u : expm1(u) - u - u * u / 2;
    double term = from == 2 ? u * u / 2 : u * u * u / 6, sum = 0;
    for (int k = from; term > 1e-18 * sum || sum == 0; k++) {
        sum += term;
        term *= u / (k + 1);
        if (term == 0)
            break;
    }
    return sum;
}

/* A segment of length s between failures of mean M: the expected failures
 * before it completes, e^(s/M) - 1, and the first two moments of the time
 * a failure loses, X ~ Exp(M) truncated to [0, s):
 *   E[X] = M (e^u - 1 - u) / (e^u - 1),  E[X^2] = 2 M^2 (e^u - 1 - u - u^2/2) / (e^u - 1)
 * with u = s / M, written so that short segments do not cancel. */
static void truncated_exponential(double s, double M, double *failures, double *mean, double *m2)
{
    const double u = s / M, e = expm1(u);
    *failures = e;
    *mean = e > 0 ? M * exp_tail(u, 2) / e : 0;
    *m2 = e > 0 ? 2 * M * M * exp_tail(u, 3) / e : 0;
}

static int check_time(double v, uint32_t fld, uint32_t *field)
{
    if (!isfinite(v))
        FAIL(TRAINEST_E_NOT_FINITE, fld);
    if (v < 0)
        FAIL(TRAINEST_E_OUT_OF_RANGE, fld);
    return TRAINEST_OK;
}

double trainest_priv_daly_interval(double delta, double M)
{
    /* Daly 2006, eq. 37: for delta < 2M,
     * tau = sqrt(2 delta M) [1 + (1/3) sqrt(delta / 2M) + (1/9) (delta / 2M)] - delta,
     * else M. Checked against the paper's published optima (tests). */
    if (delta >= 2 * M)
        return M;
    const double x = delta / (2 * M);
    return sqrt(2 * delta * M) * (1 + sqrt(x) / 3 + x / 9) - delta;
}

double trainest_priv_young_interval(double delta, double M)
{
    return sqrt(2 * delta * M);
}

/* The loss rho + X, X ~ Exp(M) truncated to [0, s), on the grid j * h.
 * Each grid cell's probability is split between its two end points so that
 * the mean is kept exactly (local moment matching). */
static void loss_grid(double *f, double h, double rho, double s, double M)
{
    const double q = -expm1(-s / M); /* P(X < s) */
    memset(f, 0, GRID * sizeof *f);
    for (int j = 0; j + 1 < GRID; j++) {
        double lo = j * h - rho, hi = (j + 1) * h - rho;
        if (hi <= 0 || lo >= s)
            continue;
        lo = lo < 0 ? 0 : lo;
        hi = hi > s ? s : hi;
        const double e_lo = exp(-lo / M), e_hi = exp(-hi / M);
        const double mass = e_lo - e_hi;
        if (!(mass > 0))
            continue;
        /* mean of X within [lo, hi), shifted back onto the loss axis */
        const double mean = ((lo + M) * e_lo - (hi + M) * e_hi) / mass + rho;
        const double up = (mean - j * h) / h; /* share for the upper point */
        f[j] += mass / q * (1 - up);
        f[j + 1] += mass / q * up;
    }
}

/* Compound negative binomial: count ~ NB(r, p = 1 - q), losses f. Panjer's
 * recursion, run with an arbitrary start and rescaled as it grows, then
 * normalised: the grid is chosen to hold all but a negligible tail. */
static void panjer(double *g, const double *f, double r, double q)
{
    const double a = q, b = (r - 1) * q;
    const double denom = 1 - a * f[0];
    g[0] = 1;
    for (int x = 1; x < GRID; x++) {
        double sum = 0;
        for (int y = 1; y <= x; y++)
            sum += (a + b * y / x) * f[y] * g[x - y];
        g[x] = sum / denom;
        if (g[x] > 1e250)
            for (int i = 0; i <= x; i++)
                g[i] *= 1e-250;
    }
    /* g[0] relative to the rest: P(S = 0) = (p / (1 - q f0))^r */
    double total = 0;
    for (int x = 0; x < GRID; x++)
        total += g[x];
    for (int x = 0; x < GRID; x++)
        g[x] /= total;
}

static double quantile(const double *g, double h, double p)
{
    double cdf = 0;
    for (int x = 0; x < GRID; x++) {
        if (cdf + g[x] >= p) {
            /* the mass at x spreads over [x - 1/2, x + 1/2) */
            double frac = g[x] > 0 ? (p - cdf) / g[x] : 0;
            double v = (x - 0.5 + frac) * h;
            return v > 0 ? v : 0;
        }
        cdf += g[x];
    }
    return (GRID - 0.5) * h;
}

int trainest_priv_failure(trainest_failure *f, const trainest_failure_request *rq, uint32_t *field,
                          double *p10_total_s)
{
    int st;
    if (rq->interval_rule > TRAINEST_INTERVAL_YOUNG)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_INTERVAL_RULE);
    if ((st = check_time(rq->work_s, TRAINEST_FIELD_WORK_S, field)) ||
        (st = check_time(rq->mtbf_hours_per_device, TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE, field)) ||
        (st = check_time(rq->mtbf_hours_per_node, TRAINEST_FIELD_MTBF_HOURS_PER_NODE, field)) ||
        (st = check_time(rq->checkpoint_write_s, TRAINEST_FIELD_CHECKPOINT_WRITE_S, field)) ||
        (st = check_time(rq->restart_s, TRAINEST_FIELD_RESTART_S, field)) ||
        (st = check_time(rq->checkpoint_interval_s, TRAINEST_FIELD_CHECKPOINT_INTERVAL_S, field)))
        return st;
    if (rq->work_s == 0)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_WORK_S);
    if (rq->devices == 0)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_FAILURE_DEVICES);

    const uint64_t per_node = rq->devices_per_node ? rq->devices_per_node : 1;
    const double nodes = (double)(rq->devices / per_node + (rq->devices % per_node != 0));
    double rate = 0; /* failures per second */
    if (rq->mtbf_hours_per_device > 0)
        rate += (double)rq->devices / (rq->mtbf_hours_per_device * 3600);
    if (!isfinite(rate)) /* an MTBF so short (subnormal) the job fails at once */
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE);
    if (rq->mtbf_hours_per_node > 0)
        rate += nodes / (rq->mtbf_hours_per_node * 3600);
    if (!isfinite(rate))
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_MTBF_HOURS_PER_NODE);
    return trainest_priv_failure_at(f, rq, rate > 0 ? 1 / rate : 0, field, p10_total_s);
}

int trainest_priv_failure_at(trainest_failure *f, const trainest_failure_request *rq, double M,
                             uint32_t *field, double *p10_total_s)
{
    const double W = rq->work_s, delta = rq->checkpoint_write_s, rho = rq->restart_s;
    f->job_mtbf_s = M;

    /* The interval: given, or optimal (which needs failures and a cost). */
    double tau = rq->checkpoint_interval_s;
    if (tau == 0 && M > 0) {
        if (delta == 0)
            FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_CHECKPOINT_WRITE_S);
        tau = rq->interval_rule == TRAINEST_INTERVAL_YOUNG ? trainest_priv_young_interval(delta, M)
                                                          : trainest_priv_daly_interval(delta, M);
    }
    double segments = tau > 0 ? ceil(W / tau) : 1;
    if (segments > 1e15)
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_CHECKPOINT_INTERVAL_S);
    if (segments <= 1)
        tau = 0; /* one segment: no checkpoint is ever written */
    segments = segments < 1 ? 1 : segments;
    const double full = segments - 1;
    const double s = tau + delta, s_last = W - full * tau;
    f->checkpoint_interval_s = tau;
    f->checkpoints = (uint64_t)full;
    f->checkpoint_s = full * delta;
    const double base = W + f->checkpoint_s;

    if (p10_total_s)
        *p10_total_s = base;
    if (M == 0) { /* nothing fails */
        f->expected_total_s = f->p50_total_s = f->p90_total_s = base;
        f->effective_time_ratio = W / base;
        return TRAINEST_OK;
    }
    /* A segment that almost never completes means a run that never ends. */
    if ((full > 0 && s / M > 40) || s_last / M > 40)
        FAIL(TRAINEST_E_OUT_OF_RANGE, full > 0 ? TRAINEST_FIELD_CHECKPOINT_INTERVAL_S
                                               : TRAINEST_FIELD_WORK_S);

    double k_full = 0, x_full = 0, x2_full = 0, k_last, x_last, x2_last;
    if (full > 0)
        truncated_exponential(s, M, &k_full, &x_full, &x2_full);
    truncated_exponential(s_last, M, &k_last, &x_last, &x2_last);
    f->expected_interruptions = full * k_full + k_last;
    f->expected_lost_work_s = full * k_full * x_full + k_last * x_last;
    f->expected_restart_s = f->expected_interruptions * rho;
    f->expected_total_s = base + f->expected_lost_work_s + f->expected_restart_s;
    f->effective_time_ratio = W / f->expected_total_s;

    /* The distribution of the extra time. Full segments: NB(full, q) count;
     * the last: geometric. Grid covering mean + 12 standard deviations. */
    const double q = -expm1(-s / M), q_last = -expm1(-s_last / M);
    const double l_full = rho + x_full, l_last = rho + x_last;
    const double var_l_full = x2_full - x_full * x_full, var_l_last = x2_last - x_last * x_last;
    const double n_var_full = full * q / ((1 - q) * (1 - q)), n_var_last = q_last / ((1 - q_last) * (1 - q_last));
    const double var = full * k_full * var_l_full + n_var_full * l_full * l_full +
                       k_last * var_l_last + n_var_last * l_last * l_last;
    const double mean = f->expected_lost_work_s + f->expected_restart_s;
    const double span = mean + 12 * sqrt(var) + rho + (s > s_last ? s : s_last);
    const double h = span / (GRID - 1);

    double fl[GRID], g_full[GRID], g_last[GRID];
    if (full > 0) {
        loss_grid(fl, h, rho, s, M);
        panjer(g_full, fl, full, q);
    } else {
        memset(g_full, 0, sizeof g_full);
        g_full[0] = 1;
    }
    loss_grid(fl, h, rho, s_last, M);
    panjer(g_last, fl, 1, q_last);
    /* convolve into fl */
    for (int x = 0; x < GRID; x++) {
        double sum = 0;
        for (int y = 0; y <= x; y++)
            sum += g_full[y] * g_last[x - y];
        fl[x] = sum;
    }
    if (p10_total_s)
        *p10_total_s = base + quantile(fl, h, 0.1);
    f->p50_total_s = base + quantile(fl, h, 0.5);
    f->p90_total_s = base + quantile(fl, h, 0.9);
    return TRAINEST_OK;
}

int trainest_failure_request_init(trainest_failure_request *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_FAILURE_REQUEST_0_4);
}

int trainest_failure_compute(trainest_failure *out, const trainest_failure_request *request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_FAILURE_0_4);
    if (st)
        return st;
    trainest_failure f;
    memset(&f, 0, sizeof f);
    trainest_failure_request rq;
    if ((st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_FAILURE_REQUEST_0_4)))
        f.invalid_field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    else
        st = trainest_priv_failure(&f, &rq, &f.invalid_field, NULL);
    const double outputs[] = {f.job_mtbf_s, f.checkpoint_interval_s, f.expected_interruptions,
                              f.checkpoint_s, f.expected_lost_work_s, f.expected_restart_s,
                              f.expected_total_s, f.effective_time_ratio, f.p50_total_s,
                              f.p90_total_s};
    for (size_t i = 0; !st && i < sizeof outputs / sizeof outputs[0]; i++)
        if (!isfinite(outputs[i])) { /* beyond the double range: reported, never inf */
            st = TRAINEST_E_OVERFLOW;
            f.invalid_field = TRAINEST_FIELD_NONE;
        }
    if (st) {
        uint32_t fld = f.invalid_field;
        memset(&f, 0, sizeof f);
        f.invalid_field = fld;
    }
    trainest_priv_write_output(out, &f, sizeof f);
    return st;
}
