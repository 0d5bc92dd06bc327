/* SPDX-License-Identifier: MIT */
/* Failures and checkpoints (trainest_failure_compute): Young's and Daly's
 * intervals against the published optima, the expectation in closed form,
 * the quantiles against a seeded simulation of the same Poisson process,
 * the Llama 3 and OPT-175B figures, and every bad input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static trainest_failure_request request(double work_s, uint64_t devices, double mtbf_h,
                                        double write_s, double restart_s)
{
    trainest_failure_request rq;
    assert_int_equal(trainest_failure_request_init(&rq, sizeof rq), TRAINEST_OK);
    rq.work_s = work_s;
    rq.devices = devices;
    rq.mtbf_hours_per_device = mtbf_h;
    rq.checkpoint_write_s = write_s;
    rq.restart_s = restart_s;
    return rq;
}

static int compute(trainest_failure *f, const trainest_failure_request *rq)
{
    memset(f, 0x2F, sizeof *f);
    f->struct_size = sizeof *f;
    return trainest_failure_compute(f, rq);
}

/* Daly (2006), Figs. 3-5: Ts = 500 h, R = 10 min, delta = 5 min; the
 * higher-order model predicts tau_opt = 117 min for M = 24 h, 57 min for
 * M = 6 h and 9.1 min for M = 15 min. */
static void test_failure_daly_interval_matches_the_paper(void **state)
{
    (void)state;
    const struct {
        double mtbf_h, tau_min, tol;
    } cases[] = {{24, 117, 0.5}, {6, 57, 0.5}, {0.25, 9.1, 0.05}};
    for (int i = 0; i < 3; i++) {
        trainest_failure_request rq = request(500 * 3600.0, 1, cases[i].mtbf_h, 300, 600);
        trainest_failure f;
        assert_int_equal(compute(&f, &rq), TRAINEST_OK);
        assert_true(fabs(f.checkpoint_interval_s / 60 - cases[i].tau_min) <= cases[i].tol);
        assert_close(f.job_mtbf_s, cases[i].mtbf_h * 3600, 1e-12);
    }
}

static void test_failure_young_interval(void **state)
{
    (void)state;
    trainest_failure_request rq = request(1e6, 100, 1000, 60, 300);
    rq.interval_rule = TRAINEST_INTERVAL_YOUNG;
    trainest_failure f;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    const double M = 1000 * 3600.0 / 100;
    assert_close(f.checkpoint_interval_s, sqrt(2 * 60 * M), 1e-12);
    /* Daly's correction is small when delta << M, and subtracts delta */
    rq.interval_rule = TRAINEST_INTERVAL_DALY;
    trainest_failure d;
    assert_int_equal(compute(&d, &rq), TRAINEST_OK);
    assert_true(d.checkpoint_interval_s < f.checkpoint_interval_s);
    assert_close(d.checkpoint_interval_s, f.checkpoint_interval_s, 0.05);
}

static void test_failure_expectation_in_closed_form(void **state)
{
    (void)state;
    /* W = 10 h, M = 2 h (two node failure terms), tau = 30 min, delta = 1 min, rho = 5 min */
    trainest_failure_request rq = request(36000, 8, 0, 60, 300);
    rq.devices_per_node = 4;
    rq.mtbf_hours_per_node = 4; /* 2 nodes -> M = 2 h */
    rq.checkpoint_interval_s = 1800;
    trainest_failure f;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    const double M = 7200, s = 1860, rho = 300;
    assert_close(f.job_mtbf_s, M, 1e-12);
    assert_int_equal(f.checkpoints, 19); /* 20 segments */
    assert_close(f.checkpoint_s, 19 * 60, 1e-12);
    /* 19 full segments and a last one of 1800 s without a checkpoint */
    const double expected = 19 * (M + rho) * expm1(s / M) + (M + rho) * expm1(1800 / M);
    assert_close(f.expected_total_s, expected, 1e-12);
    assert_close(f.expected_interruptions, 19 * expm1(s / M) + expm1(1800 / M), 1e-12);
    assert_close(f.expected_total_s,
                 36000 + f.checkpoint_s + f.expected_lost_work_s + f.expected_restart_s, 1e-12);
    assert_close(f.expected_restart_s, f.expected_interruptions * rho, 1e-12);
    assert_close(f.effective_time_ratio, 36000 / f.expected_total_s, 1e-12);
    assert_true(f.p50_total_s < f.p90_total_s);
}

/* Seeded simulation of exactly the model: Poisson failures, each losing the
 * segment's progress and costing a restart. */
static uint64_t rng;

static double uniform(void)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
}

static double simulate(double W, double tau, double delta, double rho, double M)
{
    double t = 0;
    for (double done = 0; done < W;) {
        const double len = fmin(tau, W - done);
        const double s = len + (done + len < W ? delta : 0);
        for (;;) {
            const double x = -M * log(uniform());
            if (x >= s) {
                t += s;
                break;
            }
            t += x + rho;
        }
        done += len;
    }
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void check_against_simulation(const trainest_failure_request *rq, int runs)
{
    trainest_failure f;
    assert_int_equal(compute(&f, rq), TRAINEST_OK);
    double *t = malloc(sizeof *t * (size_t)runs);
    assert_non_null(t);
    rng = 20261127;
    double sum = 0;
    for (int i = 0; i < runs; i++) {
        t[i] = simulate(rq->work_s, f.checkpoint_interval_s > 0 ? f.checkpoint_interval_s : rq->work_s,
                        rq->checkpoint_write_s, rq->restart_s, f.job_mtbf_s);
        sum += t[i];
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    print_message("# mean %.1f / %.1f, p50 %.1f / %.1f, p90 %.1f / %.1f (simulated / model)\n",
                  sum / runs, f.expected_total_s, t[runs / 2], f.p50_total_s, t[runs * 9 / 10],
                  f.p90_total_s);
    const double extra = f.expected_total_s - rq->work_s - f.checkpoint_s;
    assert_true(fabs(sum / runs - f.expected_total_s) <= 0.02 * extra + 1e-9);
    /* A sample quantile's standard error is sqrt(p (1 - p) / n) / density;
     * estimate the density from the spacing of nearby order statistics. */
    const double probs[] = {0.5, 0.9}, model[] = {f.p50_total_s, f.p90_total_s};
    const int k = (int)sqrt((double)runs);
    for (int j = 0; j < 2; j++) {
        const int i = (int)(probs[j] * runs);
        const double spacing = t[i + k] - t[i - k];
        const double se = sqrt(probs[j] * (1 - probs[j]) / runs) * spacing / (2.0 * k / runs);
        assert_true(fabs(t[i] - model[j]) <= fmax(0.01 * extra, 4 * se) + 1e-9);
    }
    free(t);
}

static void test_failure_quantiles_match_simulation(void **state)
{
    (void)state;
    /* a few failures: lumpy, skewed distribution */
    trainest_failure_request rq = request(20 * 3600.0, 1, 10, 120, 600);
    check_against_simulation(&rq, 20000);
    /* many failures, given interval */
    rq = request(100 * 3600.0, 1, 2, 60, 300);
    rq.checkpoint_interval_s = 1800;
    check_against_simulation(&rq, 4000);
    /* one segment, no checkpoint: W < tau */
    rq = request(3600, 1, 5, 60, 900);
    rq.checkpoint_interval_s = 7200;
    check_against_simulation(&rq, 100000);
}

/* Llama 3 405B (Meta 2024, sec. 3.3.4): 16k GPUs, 419 unexpected
 * interruptions in 54 days (one per 3.1 h), more than 90 % effective
 * training time. With a 20 s checkpoint write and a 5 min restart the model
 * agrees. */
static void test_failure_llama3(void **state)
{
    (void)state;
    trainest_failure_request rq = request(49.5 * 86400, 16384, 3.1 * 16384, 20, 300);
    trainest_failure f;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    assert_close(f.job_mtbf_s, 3.1 * 3600, 1e-12);
    assert_true(f.effective_time_ratio > 0.90);
    assert_true(f.expected_total_s > 53 * 86400 && f.expected_total_s < 55 * 86400);
    assert_true(f.expected_interruptions > 380 && f.expected_interruptions < 440);
    assert_true(f.p50_total_s < f.p90_total_s);
    assert_true(f.p90_total_s < 1.01 * f.expected_total_s);
}

/* OPT-175B (Meta's logbook): 992 A100s in 124 nodes, about two machines
 * down a day, a 1.6 TB checkpoint; about 33 days of compute took about two
 * months. The model reaches that ratio with a 30 min checkpoint write only
 * when a restart costs about 4 h on average, which the logbook's many
 * manual restarts (waiting for hardware, debugging) make plausible. */
static void test_failure_opt175b(void **state)
{
    (void)state;
    trainest_failure_request rq = request(33 * 86400.0, 992, 0, 1800, 4 * 3600);
    rq.devices_per_node = 8;
    rq.mtbf_hours_per_node = 124.0 / 2 * 24; /* two of 124 nodes a day */
    trainest_failure f;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    assert_close(f.job_mtbf_s, 12 * 3600, 1e-12);
    assert_true(f.effective_time_ratio > 0.5 && f.effective_time_ratio < 0.6);
    /* with automatic 30 min restarts it would have been much better */
    rq.restart_s = 1800;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    assert_true(f.effective_time_ratio > 0.68);
}

static void test_failure_no_failures(void **state)
{
    (void)state;
    trainest_failure_request rq = request(1000, 8, 0, 10, 100);
    trainest_failure f;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    assert_close(f.expected_total_s, 1000, 0);
    assert_close(f.p50_total_s, 1000, 0);
    assert_close(f.p90_total_s, 1000, 0);
    assert_true(f.expected_interruptions == 0 && f.job_mtbf_s == 0);
    assert_int_equal(f.checkpoints, 0);
    /* checkpoints still cost their write time */
    rq.checkpoint_interval_s = 300;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    assert_int_equal(f.checkpoints, 3);
    assert_close(f.expected_total_s, 1030, 1e-12);
    assert_close(f.effective_time_ratio, 1000.0 / 1030, 1e-12);
}

static void expect(const trainest_failure_request *rq, int status, uint32_t field)
{
    trainest_failure f;
    assert_int_equal(compute(&f, rq), status);
    assert_int_equal(f.invalid_field, field);
    assert_true(f.expected_total_s == 0);
}

static void test_failure_bad_input(void **state)
{
    (void)state;
    const struct {
        size_t off;
        uint32_t field;
    } times[] = {
        {offsetof(trainest_failure_request, work_s), TRAINEST_FIELD_WORK_S},
        {offsetof(trainest_failure_request, mtbf_hours_per_device), TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE},
        {offsetof(trainest_failure_request, mtbf_hours_per_node), TRAINEST_FIELD_MTBF_HOURS_PER_NODE},
        {offsetof(trainest_failure_request, checkpoint_write_s), TRAINEST_FIELD_CHECKPOINT_WRITE_S},
        {offsetof(trainest_failure_request, restart_s), TRAINEST_FIELD_RESTART_S},
        {offsetof(trainest_failure_request, checkpoint_interval_s), TRAINEST_FIELD_CHECKPOINT_INTERVAL_S},
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        trainest_failure_request rq = request(1000, 8, 100, 10, 100);
        double *v = (double *)(void *)((unsigned char *)&rq + times[i].off);
        *v = NAN;
        expect(&rq, TRAINEST_E_NOT_FINITE, times[i].field);
        *v = INFINITY;
        expect(&rq, TRAINEST_E_NOT_FINITE, times[i].field);
        *v = -1;
        expect(&rq, TRAINEST_E_OUT_OF_RANGE, times[i].field);
    }
    trainest_failure_request rq = request(0, 8, 100, 10, 100);
    expect(&rq, TRAINEST_E_ZERO, TRAINEST_FIELD_WORK_S);
    rq = request(1000, 0, 100, 10, 100);
    expect(&rq, TRAINEST_E_ZERO, TRAINEST_FIELD_FAILURE_DEVICES);
    rq = request(1000, 8, 100, 10, 100);
    rq.interval_rule = 2;
    expect(&rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_INTERVAL_RULE);
    /* an optimal interval needs a checkpoint cost */
    rq = request(1000, 8, 100, 0, 100);
    expect(&rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_CHECKPOINT_WRITE_S);
    /* a segment 50 MTBFs long practically never completes */
    rq = request(1e7, 1, 1, 10, 100);
    rq.checkpoint_interval_s = 50 * 3600;
    expect(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_CHECKPOINT_INTERVAL_S);
    rq.checkpoint_interval_s = 0;
    rq.work_s = 1e-3;
    rq.checkpoint_write_s = 1e9; /* Daly: tau = M >= W: one segment */
    trainest_failure f;
    assert_int_equal(compute(&f, &rq), TRAINEST_OK);
    assert_int_equal(f.checkpoints, 0);
    assert_int_equal(trainest_failure_compute(&f, NULL), TRAINEST_E_NULL);
    assert_int_equal(trainest_failure_request_init(&rq, 4), TRAINEST_E_STRUCT_SIZE);
    f.struct_size = 8;
    assert_int_equal(trainest_failure_compute(&f, &rq), TRAINEST_E_STRUCT_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failure_daly_interval_matches_the_paper),
        cmocka_unit_test(test_failure_young_interval),
        cmocka_unit_test(test_failure_expectation_in_closed_form),
        cmocka_unit_test(test_failure_quantiles_match_simulation),
        cmocka_unit_test(test_failure_llama3),
        cmocka_unit_test(test_failure_opt175b),
        cmocka_unit_test(test_failure_no_failures),
        cmocka_unit_test(test_failure_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
