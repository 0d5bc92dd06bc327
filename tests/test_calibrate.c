/* SPDX-License-Identifier: MIT */
/* Calibration of the step-time model (trainest_step_calibrate): exact
 * recovery from synthetic data, robustness to noise and outliers, every
 * degenerate input, and the struct_size rules of the observation array. */
#include <math.h>
#include <string.h>

#include "testutil.h"

struct truth {
    double floor_s, fixed_s, per_sample_s, launch_lag_s, optimizer_s;
};

static double model(const struct truth *t, double m, double a)
{
    double host = a * t->floor_s;
    double dev = t->launch_lag_s + a * (t->fixed_s + t->per_sample_s * m);
    return (host > dev ? host : dev) + t->optimizer_s;
}

enum { MAX_OBS = 128 };

static uint32_t make_obs(trainest_step_observation *obs, const struct truth *t, const double *ms,
                         size_t nm, const double *as, size_t na)
{
    uint32_t n = 0;
    for (size_t i = 0; i < nm; i++)
        for (size_t j = 0; j < na; j++) {
            memset(&obs[n], 0, sizeof obs[n]);
            obs[n].struct_size = sizeof obs[n];
            obs[n].micro_batch = (uint64_t)ms[i];
            obs[n].grad_accum_steps = (uint64_t)as[j];
            obs[n].step_s = model(t, ms[i], as[j]);
            n++;
        }
    return n;
}

static int calibrate(trainest_step_fit *fit, const trainest_step_observation *obs, uint32_t n,
                     const trainest_calibration_request *rq)
{
    memset(fit, 0xA5, sizeof *fit);
    fit->struct_size = sizeof *fit;
    return trainest_step_calibrate(fit, obs, n, rq);
}

static const double sweep_m[] = {1, 2, 4, 8, 16, 32, 64, 128};
static const double accum[] = {1, 2, 4, 8};

static void test_calibrate_recovers_all_five_parameters_exactly(void **state)
{
    (void)state;
    const struct truth t = {0.018, 0.005, 0.004, 0.003, 0.002};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 4);
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    assert_close(fit.floor_s, t.floor_s, 1e-9);
    assert_close(fit.fixed_s, t.fixed_s, 1e-9);
    assert_close(fit.per_sample_s, t.per_sample_s, 1e-9);
    assert_close(fit.launch_lag_s, t.launch_lag_s, 1e-7);
    assert_close(fit.optimizer_s, t.optimizer_s, 1e-7);
    assert_true(fit.max_residual_ratio < 1e-9);
    assert_int_equal(fit.flags, TRAINEST_FIT_FLOOR_FITTED | TRAINEST_FIT_LAUNCH_LAG_FITTED);
    assert_int_equal(fit.observations, n);
    assert_int_equal(fit.invalid_field, TRAINEST_FIELD_NONE);
    assert_int_equal(fit.invalid_index, UINT32_MAX);
}

static void test_calibrate_without_floor_regime(void **state)
{
    (void)state;
    /* Device-bound everywhere: no floor to fit, reported as 0. */
    const struct truth t = {0, 0.010, 0.002, 0.001, 0.004};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m + 2, 6, accum, 4);
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    assert_close(fit.floor_s, 0.0, 0.0);
    assert_int_equal(fit.flags & TRAINEST_FIT_FLOOR_FITTED, 0);
    assert_close(fit.fixed_s, t.fixed_s, 1e-9);
    assert_close(fit.per_sample_s, t.per_sample_s, 1e-9);
    /* lag and optimizer both per step: inseparable without launch-bound
     * points, so the lag is folded into optimizer_s */
    assert_int_equal(fit.flags & TRAINEST_FIT_LAUNCH_LAG_FITTED, 0);
    assert_close(fit.launch_lag_s, 0.0, 0.0);
    assert_close(fit.optimizer_s, t.launch_lag_s + t.optimizer_s, 1e-9);
}

/* The shipped-data shape: an a = 1 sweep plus one accumulation run, with
 * the measured optimizer time held fixed, separates the launch lag. */
static void test_calibrate_sweep_plus_one_run_with_known_optimizer(void **state)
{
    (void)state;
    const struct truth t = {0.018, 0.006, 0.004, 0.0025, 0.0019};
    trainest_step_observation obs[MAX_OBS];
    const double one[] = {1};
    uint32_t n = make_obs(obs, &t, sweep_m, 8, one, 1);
    const double m16[] = {16}, a4[] = {4};
    n += make_obs(obs + n, &t, m16, 1, a4, 1);
    trainest_step_fit fit;
    /* Without the optimizer time the lag cannot be told from it. */
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    assert_int_equal(fit.flags & TRAINEST_FIT_LAUNCH_LAG_FITTED, 0);
    trainest_calibration_request rq = {sizeof rq, TRAINEST_CALIBRATE_OPTIMIZER_KNOWN, t.optimizer_s};
    assert_int_equal(calibrate(&fit, obs, n, &rq), TRAINEST_OK);
    assert_int_equal(fit.flags, TRAINEST_FIT_FLOOR_FITTED | TRAINEST_FIT_LAUNCH_LAG_FITTED);
    assert_close(fit.floor_s, t.floor_s, 1e-9);
    assert_close(fit.fixed_s, t.fixed_s, 1e-9);
    assert_close(fit.per_sample_s, t.per_sample_s, 1e-9);
    assert_close(fit.launch_lag_s, t.launch_lag_s, 1e-7);
    assert_close(fit.optimizer_s, t.optimizer_s, 0.0);
}

/* Deterministic multiplicative noise in [-amp, amp]. */
static double noise(uint64_t *s, double amp)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return amp * (2.0 * (double)(*s >> 11) / 9007199254740992.0 - 1.0);
}

static void test_calibrate_robust_to_outliers(void **state)
{
    (void)state;
    const struct truth t = {0.018, 0.005, 0.004, 0.003, 0.002};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 4);
    /* Three wild measurements (a checkpoint, a GC pause, a cold cache). */
    obs[3].step_s *= 3.0;
    obs[17].step_s *= 1.8;
    obs[30].step_s *= 0.5;
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    assert_close(fit.floor_s, t.floor_s, 1e-6);
    assert_close(fit.fixed_s, t.fixed_s, 1e-6);
    assert_close(fit.per_sample_s, t.per_sample_s, 1e-6);
    assert_close(fit.optimizer_s, t.optimizer_s, 1e-4);
    assert_close(fit.max_residual_ratio, 1.0, 1e-4); /* the x0.5 point: |t - t/2| / (t/2) */
}

static void test_calibrate_handles_noise(void **state)
{
    (void)state;
    const struct truth t = {0.018, 0.005, 0.004, 0.003, 0.002};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 4);
    uint64_t seed = 42;
    for (uint32_t i = 0; i < n; i++)
        obs[i].step_s *= 1.0 + noise(&seed, 0.02);
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    assert_close(fit.per_sample_s, t.per_sample_s, 0.02);
    assert_close(fit.floor_s, t.floor_s, 0.05);
    assert_true(fit.max_residual_ratio <= 0.045);
    /* predictions stay within the noise */
    for (uint32_t i = 0; i < n; i++) {
        struct truth f = {fit.floor_s, fit.fixed_s, fit.per_sample_s, fit.launch_lag_s,
                          fit.optimizer_s};
        double p = model(&f, (double)obs[i].micro_batch, (double)obs[i].grad_accum_steps);
        assert_close(p, model(&t, (double)obs[i].micro_batch, (double)obs[i].grad_accum_steps),
                     0.04);
    }
}

static void test_calibrate_is_deterministic_and_order_free(void **state)
{
    (void)state;
    const struct truth t = {0.018, 0.005, 0.004, 0.003, 0.002};
    trainest_step_observation obs[MAX_OBS], rev[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 4);
    uint64_t seed = 7;
    for (uint32_t i = 0; i < n; i++)
        obs[i].step_s *= 1.0 + noise(&seed, 0.01);
    for (uint32_t i = 0; i < n; i++)
        rev[i] = obs[n - 1 - i];
    trainest_step_fit a, b, c;
    assert_int_equal(calibrate(&a, obs, n, NULL), TRAINEST_OK);
    assert_int_equal(calibrate(&b, obs, n, NULL), TRAINEST_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(calibrate(&c, rev, n, NULL), TRAINEST_OK);
    assert_close(c.per_sample_s, a.per_sample_s, 1e-6);
    assert_close(c.floor_s, a.floor_s, 1e-6);
    assert_close(c.max_residual_ratio, a.max_residual_ratio, 1e-6);
}

static void test_calibrate_residuals_are_reported_exactly(void **state)
{
    (void)state;
    const struct truth t = {0, 0.01, 0.002, 0, 0.001};
    trainest_step_observation obs[8];
    const double ms[] = {4, 8, 16, 32}, as[] = {1, 2};
    uint32_t n = make_obs(obs, &t, ms, 4, as, 2);
    obs[5].step_s *= 1.1;
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    double max_r = 0, sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct truth f = {fit.floor_s, fit.fixed_s, fit.per_sample_s, fit.launch_lag_s,
                          fit.optimizer_s};
        double r = fabs(model(&f, (double)obs[i].micro_batch, (double)obs[i].grad_accum_steps) -
                        obs[i].step_s) /
                   obs[i].step_s;
        sum += r;
        max_r = r > max_r ? r : max_r;
    }
    assert_close(fit.max_residual_ratio, max_r, 1e-12);
    assert_close(fit.mean_residual_ratio, sum / n, 1e-12);
}

/* A line whose intercept is negative (the device time extrapolates below
 * zero for an empty micro-batch): fixed_s is held at 0, the fit stays
 * usable by the estimate. */
static void test_calibrate_keeps_fixed_time_non_negative(void **state)
{
    (void)state;
    trainest_step_observation obs[16];
    const double ms[] = {8, 16, 32, 64}, as[] = {1, 2, 4};
    uint32_t n = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++, n++) {
            memset(&obs[n], 0, sizeof obs[n]);
            obs[n].struct_size = sizeof obs[n];
            obs[n].micro_batch = (uint64_t)ms[i];
            obs[n].grad_accum_steps = (uint64_t)as[j];
            obs[n].step_s = as[j] * (-0.004 + 0.004 * ms[i]) + 0.002;
        }
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, NULL), TRAINEST_OK);
    assert_true(fit.fixed_s == 0.0);
    assert_true(fit.per_sample_s > 0 && fit.optimizer_s >= 0 && fit.launch_lag_s >= 0);
    assert_true(fit.max_residual_ratio < 0.15);
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.floor_s = fit.floor_s;
    rq.fixed_s = fit.fixed_s;
    rq.per_sample_s = fit.per_sample_s;
    rq.launch_lag_s = fit.launch_lag_s;
    rq.optimizer_s = fit.optimizer_s;
    trainest_plan_request prq = tu_request(1000, 32, 16, 0, 1);
    trainest_estimate e;
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(&e, &prq, &rq), TRAINEST_OK);
}

/* ---- Degenerate input ------------------------------------------------------ */

static void expect_fail(const trainest_step_observation *obs, uint32_t n,
                        const trainest_calibration_request *rq, int status, uint32_t field,
                        uint32_t index)
{
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, rq), status);
    assert_int_equal(fit.invalid_field, field);
    assert_int_equal(fit.invalid_index, index);
    assert_close(fit.per_sample_s, 0.0, 0.0);
    assert_int_equal(fit.struct_size, sizeof fit);
}

static void test_calibrate_too_few_points(void **state)
{
    (void)state;
    const struct truth t = {0, 0.01, 0.002, 0, 0.001};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 1);
    expect_fail(obs, 0, NULL, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fail(obs, 1, NULL, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fail(NULL, 0, NULL, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* many measurements of one configuration are still one point */
    for (uint32_t i = 1; i < n; i++) {
        obs[i].micro_batch = obs[0].micro_batch;
        obs[i].step_s = obs[0].step_s * (1 + 0.01 * i);
    }
    expect_fail(obs, n, NULL, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fail(obs, 70000, NULL, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fail(NULL, 5, NULL, TRAINEST_E_NULL, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
}

static void test_calibrate_bad_times(void **state)
{
    (void)state;
    const struct truth t = {0, 0.01, 0.002, 0, 0.001};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 2);
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        double keep = obs[6].step_s;
        obs[6].step_s = bad[i];
        expect_fail(obs, n, NULL, TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_OBSERVATION_STEP_S, 6);
        obs[6].step_s = keep;
    }
    obs[9].step_s = 0;
    expect_fail(obs, n, NULL, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVATION_STEP_S, 9);
    obs[9].step_s = -1;
    expect_fail(obs, n, NULL, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVATION_STEP_S, 9);
    obs[9].step_s = 1;
    obs[2].micro_batch = 0;
    expect_fail(obs, n, NULL, TRAINEST_E_ZERO, TRAINEST_FIELD_OBSERVATION_MICRO_BATCH, 2);
    obs[2].micro_batch = 1;
    obs[3].grad_accum_steps = 0;
    expect_fail(obs, n, NULL, TRAINEST_E_ZERO, TRAINEST_FIELD_OBSERVATION_GRAD_ACCUM_STEPS, 3);
}

static void test_calibrate_unidentifiable(void **state)
{
    (void)state;
    const struct truth t = {0.02, 0.006, 0.004, 0, 0.002};
    trainest_step_observation obs[MAX_OBS];
    const double one[] = {1};
    /* an a = 1 sweep: the per-step optimizer cannot be told from the
     * per-micro-batch fixed time */
    uint32_t n = make_obs(obs, &t, sweep_m, 8, one, 1);
    expect_fail(obs, n, NULL, TRAINEST_E_UNIDENTIFIABLE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* ... unless the optimizer time is known */
    trainest_calibration_request rq = {sizeof rq, TRAINEST_CALIBRATE_OPTIMIZER_KNOWN, t.optimizer_s};
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, obs, n, &rq), TRAINEST_OK);
    assert_close(fit.per_sample_s, t.per_sample_s, 1e-9);
    assert_close(fit.floor_s, t.floor_s, 1e-9);
    /* two sizes, one accumulation: three unknowns, two equations */
    expect_fail(obs + 4, 2, NULL, TRAINEST_E_UNIDENTIFIABLE, TRAINEST_FIELD_OBSERVATIONS,
                UINT32_MAX);
}

static void test_calibrate_request_validation(void **state)
{
    (void)state;
    const struct truth t = {0, 0.01, 0.002, 0, 0.001};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 2);
    trainest_calibration_request rq = {sizeof rq, 0x80, 0};
    expect_fail(obs, n, &rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_CALIBRATION_FLAGS, UINT32_MAX);
    rq.flags = TRAINEST_CALIBRATE_OPTIMIZER_KNOWN;
    rq.optimizer_s = NAN;
    expect_fail(obs, n, &rq, TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_OPTIMIZER_S, UINT32_MAX);
    rq.optimizer_s = -0.001;
    expect_fail(obs, n, &rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OPTIMIZER_S, UINT32_MAX);
    rq.struct_size = 4;
    expect_fail(obs, n, &rq, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, UINT32_MAX);
}

/* The array stride is element 0's struct_size: a newer caller's bigger
 * elements work, with their unknown tails zero. */
static void test_calibrate_observation_stride(void **state)
{
    (void)state;
    const struct truth t = {0, 0.01, 0.002, 0, 0.001};
    struct big {
        trainest_step_observation o;
        uint64_t future;
    } big[16];
    memset(big, 0, sizeof big);
    const double ms[] = {4, 8, 16, 32}, as[] = {1, 2};
    uint32_t n = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 2; j++, n++) {
            big[n].o.struct_size = sizeof big[n];
            big[n].o.micro_batch = (uint64_t)ms[i];
            big[n].o.grad_accum_steps = (uint64_t)as[j];
            big[n].o.step_s = model(&t, ms[i], as[j]);
        }
    trainest_step_fit fit;
    assert_int_equal(calibrate(&fit, &big[0].o, n, NULL), TRAINEST_OK);
    assert_close(fit.per_sample_s, t.per_sample_s, 1e-9);
    big[5].future = 1;
    expect_fail(&big[0].o, n, NULL, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE, 5);
    big[5].future = 0;
    big[3].o.struct_size = sizeof big[3].o; /* differs from the stride */
    expect_fail(&big[0].o, n, NULL, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 3);
    big[3].o.struct_size = sizeof big[3];
    big[0].o.struct_size = 8;
    expect_fail(&big[0].o, n, NULL, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 0);
    big[0].o.struct_size = sizeof big[0];
    big[4].o.reserved0 = 1;
    expect_fail(&big[0].o, n, NULL, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE, 4);
}

static void test_calibrate_output_struct_rules(void **state)
{
    (void)state;
    const struct truth t = {0, 0.01, 0.002, 0, 0.001};
    trainest_step_observation obs[MAX_OBS];
    uint32_t n = make_obs(obs, &t, sweep_m, 8, accum, 2);
    trainest_step_fit fit;
    fit.struct_size = 12;
    assert_int_equal(trainest_step_calibrate(&fit, obs, n, NULL), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_step_calibrate(NULL, obs, n, NULL), TRAINEST_E_NULL);
    unsigned char buf[sizeof(trainest_step_fit) + 16];
    memset(buf, 0x11, sizeof buf);
    uint32_t size = sizeof(trainest_step_fit) + 8;
    memcpy(buf, &size, sizeof size);
    assert_int_equal(trainest_step_calibrate((trainest_step_fit *)(void *)buf, obs, n, NULL),
                     TRAINEST_OK);
    for (size_t i = sizeof(trainest_step_fit); i < size; i++)
        assert_int_equal(buf[i], 0);
    for (size_t i = size; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0x11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calibrate_recovers_all_five_parameters_exactly),
        cmocka_unit_test(test_calibrate_without_floor_regime),
        cmocka_unit_test(test_calibrate_sweep_plus_one_run_with_known_optimizer),
        cmocka_unit_test(test_calibrate_robust_to_outliers),
        cmocka_unit_test(test_calibrate_handles_noise),
        cmocka_unit_test(test_calibrate_is_deterministic_and_order_free),
        cmocka_unit_test(test_calibrate_residuals_are_reported_exactly),
        cmocka_unit_test(test_calibrate_keeps_fixed_time_non_negative),
        cmocka_unit_test(test_calibrate_too_few_points),
        cmocka_unit_test(test_calibrate_bad_times),
        cmocka_unit_test(test_calibrate_unidentifiable),
        cmocka_unit_test(test_calibrate_request_validation),
        cmocka_unit_test(test_calibrate_observation_stride),
        cmocka_unit_test(test_calibrate_output_struct_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
