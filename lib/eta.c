/* SPDX-License-Identifier: MIT */
/* A live ETA tracker in a caller-owned, fixed-size state (docs/run-level.md).
 *
 * - Elapsed time is a compensated (Kahan-Babuska) sum: exact to the last
 *   bits over 10^9 steps.
 * - The median of the steps after the warm-up is tracked by the P-square
 *   algorithm (Jain and Chlamtac 1985): five markers, O(1) per step.
 * - A step longer than outlier_ratio times the median (evaluation,
 *   checkpoint, a hiccup) counts as elapsed time but not as step time, so
 *   it cannot swing the estimate; scheduled pauses come back in through
 *   overhead_s_per_epoch, failures through the failure model.
 * - The step time is the mean of inlier steps, exponentially weighted with
 *   a window of 1000 steps once 1000 are seen (drift is followed, nothing
 *   grows without bound), and its variance the same way.
 * - Given the run's samples (trainest_eta_set_samples(), 0.6.0), the same
 *   window fits step time = a + b * samples by weighted least squares in
 *   the running (West) form, so that a growing batch is extrapolated by the
 *   samples still to come. */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "abi.h"
#include "failure.h"
#include "sizes.h"

#define ETA_MAGIC 0x54414554u /* "TETA" */
#define WINDOW 1000.0
#define Z90 1.2815515655446004 /* standard normal 0.9 quantile */

int trainest_eta_config_init(trainest_eta_config *out, uint32_t struct_size)
{
    if (!out)
        return TRAINEST_E_NULL;
    if (struct_size < TR_SIZE_ETA_CONFIG_0_4 || struct_size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    trainest_eta_config d;
    memset(&d, 0, sizeof d);
    d.struct_size = struct_size;
    d.warmup_steps = 5;
    d.outlier_ratio = 3;
    memset(out, 0, struct_size);
    memcpy(out, &d, struct_size < sizeof d ? struct_size : sizeof d);
    return TRAINEST_OK;
}

static int check_config(const trainest_eta_config *c, uint32_t *field)
{
    const struct {
        double v;
        uint32_t f;
    } times[] = {
        {c->outlier_ratio, TRAINEST_FIELD_OUTLIER_RATIO},
        {c->prior_step_s, TRAINEST_FIELD_PRIOR_STEP_S},
        {c->overhead_s_per_epoch, TRAINEST_FIELD_OVERHEAD_S_PER_EPOCH},
        {c->job_mtbf_s, TRAINEST_FIELD_JOB_MTBF_S},
        {c->restart_s, TRAINEST_FIELD_RESTART_S},
        {c->checkpoint_write_s, TRAINEST_FIELD_CHECKPOINT_WRITE_S},
        {c->checkpoint_interval_s, TRAINEST_FIELD_CHECKPOINT_INTERVAL_S},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        if (!isfinite(times[i].v)) {
            *field = times[i].f;
            return TRAINEST_E_NOT_FINITE;
        }
        if (times[i].v < 0) {
            *field = times[i].f;
            return TRAINEST_E_OUT_OF_RANGE;
        }
    }
    if (!(c->outlier_ratio > 1)) {
        *field = TRAINEST_FIELD_OUTLIER_RATIO;
        return TRAINEST_E_OUT_OF_RANGE;
    }
    if (c->reserved0) {
        *field = TRAINEST_FIELD_STRUCT_SIZE;
        return TRAINEST_E_UNSUPPORTED;
    }
    if (!c->total_steps) {
        *field = TRAINEST_FIELD_TOTAL_STEPS;
        return TRAINEST_E_ZERO;
    }
    if (c->job_mtbf_s > 0 && c->checkpoint_interval_s == 0 && c->checkpoint_write_s == 0) {
        *field = TRAINEST_FIELD_CHECKPOINT_WRITE_S; /* an optimal interval needs a write cost */
        return TRAINEST_E_UNDERSPECIFIED;
    }
    if (c->steps_done > c->total_steps) {
        *field = TRAINEST_FIELD_TOTAL_STEPS;
        return TRAINEST_E_INCONSISTENT;
    }
    return TRAINEST_OK;
}

int trainest_eta_init(trainest_eta *state, uint32_t struct_size, const trainest_eta_config *config)
{
    if (!state)
        return TRAINEST_E_NULL;
    if (struct_size < TR_SIZE_ETA_0_4 || struct_size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    trainest_eta_config c;
    int st = trainest_priv_read_input(&c, sizeof c, config, TR_SIZE_ETA_CONFIG_0_4);
    uint32_t field = TRAINEST_FIELD_NONE;
    if (st == TRAINEST_E_STRUCT_SIZE || st == TRAINEST_E_UNSUPPORTED)
        field = TRAINEST_FIELD_STRUCT_SIZE; /* the configuration's, not the tracker's */
    else if (!st)
        st = check_config(&c, &field);
    trainest_eta e;
    memset(&e, 0, sizeof e);
    e.struct_size = struct_size;
    if (st) {
        e.invalid_field = field;
    } else {
        e.magic = ETA_MAGIC;
        e.config = c;
        e.config.struct_size = sizeof c;
    }
    memset(state, 0, struct_size);
    memcpy(state, &e, sizeof e < struct_size ? sizeof e : struct_size);
    return st;
}

/* A tracker this library initialised: read it into a full local copy. */
static int load(trainest_eta *e, const trainest_eta *state)
{
    if (!state)
        return TRAINEST_E_NULL;
    int st = trainest_priv_read_input(e, sizeof *e, state, TR_SIZE_ETA_0_4);
    if (st)
        return st;
    return e->magic == ETA_MAGIC ? TRAINEST_OK : TRAINEST_E_UNSUPPORTED;
}

/* Kahan-Babuska (Neumaier) compensated addition. */
static void add(double *sum, double *carry, double x)
{
    const double t = *sum + x;
    if (fabs(*sum) >= fabs(x))
        *carry += (*sum - t) + x;
    else
        *carry += (x - t) + *sum;
    *sum = t;
}

/* P-square: the first five observations fill the markers. */
static void p2_add(trainest_eta *e, double x, uint64_t n)
{
    double *q = e->marker_s, *pos = e->marker_pos, *want = e->marker_want;
    if (n <= 5) {
        int i = (int)n - 1;
        q[i] = x;
        for (; i > 0 && q[i - 1] > q[i]; i--) { /* keep sorted */
            double t = q[i];
            q[i] = q[i - 1];
            q[i - 1] = t;
        }
        if (n == 5)
            for (int j = 0; j < 5; j++) {
                pos[j] = j + 1;
                want[j] = 1 + 2.0 * j; /* for the median: 1, 3, 5, 7, 9 over 2 */
            }
        return;
    }
    int k;
    if (x < q[0]) {
        q[0] = x;
        k = 0;
    } else if (x >= q[4]) {
        q[4] = x;
        k = 3;
    } else {
        for (k = 0; k < 3 && x >= q[k + 1]; k++)
            ;
    }
    for (int i = k + 1; i < 5; i++)
        pos[i] += 1;
    /* desired positions for p = 0.5: 1, 1 + (n-1)/4, 1 + (n-1)/2, 1 + 3(n-1)/4, n */
    const double nn = (double)n;
    want[0] = 1;
    want[1] = 1 + (nn - 1) / 4;
    want[2] = 1 + (nn - 1) / 2;
    want[3] = 1 + 3 * (nn - 1) / 4;
    want[4] = nn;
    for (int i = 1; i < 4; i++) {
        const double d = want[i] - pos[i];
        if ((d >= 1 && pos[i + 1] - pos[i] > 1) || (d <= -1 && pos[i - 1] - pos[i] < -1)) {
            const double s = d > 0 ? 1 : -1;
            /* parabolic prediction, or linear if it leaves the bracket */
            const double qp =
                q[i] + s / (pos[i + 1] - pos[i - 1]) *
                           ((pos[i] - pos[i - 1] + s) * (q[i + 1] - q[i]) / (pos[i + 1] - pos[i]) +
                            (pos[i + 1] - pos[i] - s) * (q[i] - q[i - 1]) / (pos[i] - pos[i - 1]));
            if (q[i - 1] < qp && qp < q[i + 1])
                q[i] = qp;
            else {
                const int j = i + (int)s;
                q[i] += s * (q[j] - q[i]) / (pos[j] - pos[i]);
            }
            pos[i] += s;
        }
    }
}

static double median(const trainest_eta *e, uint64_t n)
{
    if (n >= 5)
        return e->marker_s[2];
    return e->marker_s[(n - 1) / 2]; /* sorted prefix: the middle (lower) one */
}

/* The fitted a + b * samples, when the tracker knows the run's samples and
 * every step's: false otherwise. While all fitted steps had one size, a and
 * b are not identifiable and the time per sample is used (a = 0). */
static bool samples_model(const trainest_eta *e, double *a, double *b)
{
    if (!e->total_samples || e->unsized_steps || !e->inliers || !(e->fit_samples > 0))
        return false;
    const double x = e->fit_samples, y = e->mean_s; /* the same inlier steps */
    /* sizes that vary by less than a part in 10^6 carry no slope */
    if (e->fit_var_samples > 1e-12 * x * x) {
        *b = e->fit_cov_s / e->fit_var_samples;
        *a = y - *b * x;
        if (*b < 0) { /* time falling with size: no per-sample cost */
            *b = 0;
            *a = y;
        }
        if (*a >= 0 && isfinite(*a) && isfinite(*b))
            return true;
    }
    *a = 0;
    *b = y / x;
    /* moments beyond the double range (absurd steps or sizes): the mean step */
    return isfinite(*b);
}

int trainest_eta_update(trainest_eta *state, double step_s, uint64_t samples)
{
    trainest_eta e;
    int st = load(&e, state);
    if (st)
        return st;
    if (!isfinite(step_s))
        return TRAINEST_E_NOT_FINITE;
    if (step_s < 0)
        return TRAINEST_E_OUT_OF_RANGE;
    if (e.steps == UINT64_MAX || samples > UINT64_MAX - e.samples)
        return TRAINEST_E_OVERFLOW;
    e.steps++;
    e.samples += samples;
    e.unsized_steps += samples == 0;
    add(&e.elapsed_s, &e.elapsed_carry_s, step_s);
    if (e.steps > e.config.warmup_steps) {
        const uint64_t seen = e.steps - e.config.warmup_steps; /* fed to the median */
        /* long against the median, and against its own size's prediction */
        bool outlier = false;
        if (seen > 5) {
            double typical = median(&e, seen - 1), a, b;
            if (samples_model(&e, &a, &b))
                typical = fmax(typical, a + b * (double)samples);
            outlier = step_s > e.config.outlier_ratio * typical;
        }
        p2_add(&e, step_s, seen);
        if (outlier) {
            e.outliers++;
            add(&e.outlier_s, &e.outlier_carry_s, step_s);
        } else {
            e.inliers++;
            const double w = (double)e.inliers < WINDOW ? 1.0 / (double)e.inliers : 1.0 / WINDOW;
            const double d = step_s - e.mean_s;
            e.mean_s += w * d;
            /* exponentially weighted variance (West 1979) */
            e.m2_s2 = (1 - w) * (e.m2_s2 + w * d * d);
            /* and the samples' moments for the fit, the same way */
            const double dx = (double)samples - e.fit_samples;
            e.fit_samples += w * dx;
            e.fit_var_samples = (1 - w) * (e.fit_var_samples + w * dx * dx);
            e.fit_cov_s = (1 - w) * (e.fit_cov_s + w * dx * d);
        }
    }
    memcpy(state, &e, sizeof e < state->struct_size ? sizeof e : state->struct_size);
    return TRAINEST_OK;
}

int trainest_eta_report_compute(trainest_eta_report *out, const trainest_eta *state,
                                double now_unix_s)
{
    int st = trainest_priv_check_output(out, TR_SIZE_ETA_REPORT_0_4);
    if (st)
        return st;
    trainest_eta_report r;
    memset(&r, 0, sizeof r);
    trainest_eta e;
    if ((st = load(&e, state)))
        r.invalid_field = TRAINEST_FIELD_ETA_STATE;
    else if (!isfinite(now_unix_s)) {
        st = TRAINEST_E_NOT_FINITE;
        r.invalid_field = TRAINEST_FIELD_NOW_UNIX_S;
    }
    if (st) {
        trainest_priv_write_output(out, &r, sizeof r);
        return st;
    }
    const trainest_eta_config *c = &e.config;
    const uint64_t done = c->steps_done + e.steps < c->steps_done
                              ? UINT64_MAX
                              : c->steps_done + e.steps; /* saturating */
    r.steps_done = done;
    r.steps_remaining = done < c->total_steps ? c->total_steps - done : 0;
    r.samples_done = e.samples;
    r.outliers = e.outliers;
    r.progress_ratio = done >= c->total_steps ? 1.0 : (double)done / (double)c->total_steps;
    r.elapsed_s = e.elapsed_s + e.elapsed_carry_s;
    r.samples_per_s = r.elapsed_s > 0 ? (double)e.samples / r.elapsed_s : 0;
    if (e.inliers)
        r.step_s = e.mean_s;
    else if (c->prior_step_s > 0)
        r.step_s = c->prior_step_s;
    else if (e.steps)
        r.step_s = r.elapsed_s / (double)e.steps;
    r.step_sd_s = e.inliers > 1 ? sqrt(e.m2_s2) : 0;

    /* The remaining work: steps (or the fit over the samples still to
     * come), plus every epoch boundary still ahead. */
    const double n = (double)r.steps_remaining;
    double work = n * r.step_s, a, b;
    if (r.steps_remaining && samples_model(&e, &a, &b)) {
        const uint64_t before = e.samples_before, total = e.total_samples;
        const uint64_t seen = e.samples > total - before ? total : before + e.samples;
        work = a * n + b * (double)(total - seen);
    }
    if (c->steps_per_epoch)
        work += (double)(c->total_steps / c->steps_per_epoch -
                         (done < c->total_steps ? done : c->total_steps) / c->steps_per_epoch) *
                c->overhead_s_per_epoch;
    if (!isfinite(work)) { /* more time than a double holds */
        memset(&r, 0, sizeof r);
        trainest_priv_write_output(out, &r, sizeof r);
        return TRAINEST_E_OVERFLOW;
    }
    /* Step noise over n steps, and the uncertainty of the mean itself. */
    const double k = e.inliers > 1 ? (double)e.inliers : 0;
    const double sd = k ? r.step_sd_s * sqrt(n + n * n / (k < WINDOW ? k : WINDOW)) : 0;

    double expected = work, p10 = work, p50 = work, p90 = work;
    if (c->job_mtbf_s > 0 && work > 0) {
        trainest_failure_request fr;
        memset(&fr, 0, sizeof fr);
        fr.struct_size = sizeof fr;
        fr.work_s = work;
        fr.checkpoint_write_s = c->checkpoint_write_s;
        fr.restart_s = c->restart_s;
        fr.checkpoint_interval_s = c->checkpoint_interval_s;
        trainest_failure f;
        memset(&f, 0, sizeof f);
        uint32_t field = TRAINEST_FIELD_JOB_MTBF_S;
        double f10;
        /* an MTBF so short (subnormal) that the rate overflows: the job
         * fails at once, as the failure model says of such an MTBF */
        if (!isfinite(1 / c->job_mtbf_s))
            st = TRAINEST_E_OUT_OF_RANGE;
        else
            st = trainest_priv_failure_at(&f, &fr, c->job_mtbf_s, &field, &f10);
        if (st == TRAINEST_OK) {
            expected = f.expected_total_s;
            p10 = f10;
            p50 = f.p50_total_s;
            p90 = f.p90_total_s;
        } else { /* e.g. an interval so long against the MTBF that the run never ends */
            memset(&r, 0, sizeof r);
            /* the failure request is built here: blame the configuration */
            if (field == TRAINEST_FIELD_WORK_S) /* the rest never ends */
                field = c->checkpoint_interval_s > 0 ? TRAINEST_FIELD_CHECKPOINT_INTERVAL_S
                                                     : TRAINEST_FIELD_JOB_MTBF_S;
            r.invalid_field = field;
            trainest_priv_write_output(out, &r, sizeof r);
            return st;
        }
    }
    /* Adding the two sources' quantiles: exact for the median of a
     * symmetric noise, conservative at the tails. */
    r.remaining_s = expected;
    r.remaining_p10_s = fmax(0, p10 - Z90 * sd);
    r.remaining_p50_s = p50;
    r.remaining_p90_s = p90 + Z90 * sd;
    r.finish_p10_unix_s = now_unix_s + r.remaining_p10_s;
    r.finish_p50_unix_s = now_unix_s + r.remaining_p50_s;
    r.finish_p90_unix_s = now_unix_s + r.remaining_p90_s;
    /* times beyond the double range are reported, never returned as inf */
    for (const double *v = &r.progress_ratio; v <= &r.finish_p90_unix_s; v++)
        if (!isfinite(*v)) {
            memset(&r, 0, sizeof r);
            r.invalid_field = TRAINEST_FIELD_NONE;
            trainest_priv_write_output(out, &r, sizeof r);
            return TRAINEST_E_OVERFLOW;
        }
    trainest_priv_write_output(out, &r, sizeof r);
    return TRAINEST_OK;
}

int trainest_eta_set_samples(trainest_eta *state, uint64_t total_samples, uint64_t samples_done)
{
    if (!state)
        return TRAINEST_E_NULL;
    if (state->struct_size < TR_SIZE_ETA_0_6)
        return TRAINEST_E_STRUCT_SIZE;
    trainest_eta e;
    int st = load(&e, state);
    if (st)
        return st;
    if (!total_samples)
        return TRAINEST_E_ZERO;
    if (samples_done > total_samples)
        return TRAINEST_E_INCONSISTENT;
    e.total_samples = total_samples;
    e.samples_before = samples_done;
    memcpy(state, &e, sizeof e < state->struct_size ? sizeof e : state->struct_size);
    return TRAINEST_OK;
}
