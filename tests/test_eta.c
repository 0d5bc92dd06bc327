/* SPDX-License-Identifier: MIT */
/* The ETA tracker: synthetic traces (constant, warm-up, spikes, drift, long
 * runs), the per-step traces of the shipped H200 measurements, the failure
 * band, and the state's contract.
 *
 * TRAINEST_TEST_QUICK=1 shortens the long-run test (used under valgrind). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "testutil.h"

static bool quick(void)
{
    const char *q = getenv("TRAINEST_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

static trainest_eta_config config(uint64_t total_steps)
{
    trainest_eta_config c;
    assert_int_equal(trainest_eta_config_init(&c, sizeof c), TRAINEST_OK);
    c.total_steps = total_steps;
    return c;
}

static void start(trainest_eta *e, const trainest_eta_config *c)
{
    assert_int_equal(trainest_eta_init(e, sizeof *e, c), TRAINEST_OK);
}

static trainest_eta_report report(const trainest_eta *e, double now)
{
    trainest_eta_report r;
    memset(&r, 0x77, sizeof r);
    r.struct_size = sizeof r;
    assert_int_equal(trainest_eta_report_compute(&r, e, now), TRAINEST_OK);
    return r;
}

static void feed(trainest_eta *e, double step_s, uint64_t samples)
{
    assert_int_equal(trainest_eta_update(e, step_s, samples), TRAINEST_OK);
}

static void test_eta_defaults(void **state)
{
    (void)state;
    trainest_eta_config c = config(10);
    assert_int_equal(c.warmup_steps, 5);
    assert_close(c.outlier_ratio, 3, 0);
    assert_close(c.prior_step_s, 0, 0);
}

static void test_eta_constant_steps(void **state)
{
    (void)state;
    trainest_eta_config c = config(1000);
    c.warmup_steps = 0;
    trainest_eta e;
    start(&e, &c);
    for (int i = 0; i < 100; i++)
        feed(&e, 0.5, 32);
    trainest_eta_report r = report(&e, 1000);
    assert_int_equal(r.steps_done, 100);
    assert_int_equal(r.steps_remaining, 900);
    assert_int_equal(r.samples_done, 3200);
    assert_close(r.elapsed_s, 50, 1e-15);
    assert_close(r.step_s, 0.5, 1e-15);
    assert_close(r.step_sd_s, 0, 0);
    assert_close(r.remaining_s, 450, 1e-12);
    assert_close(r.remaining_p10_s, 450, 1e-12);
    assert_close(r.remaining_p90_s, 450, 1e-12);
    assert_close(r.finish_p50_unix_s, 1450, 1e-12);
    assert_close(r.progress_ratio, 0.1, 1e-15);
    assert_close(r.samples_per_s, 64, 1e-12);
}

static void test_eta_prior_before_any_step(void **state)
{
    (void)state;
    trainest_eta_config c = config(400);
    c.prior_step_s = 2;
    c.steps_done = 100; /* resuming */
    trainest_eta e;
    start(&e, &c);
    trainest_eta_report r = report(&e, 0);
    assert_int_equal(r.steps_done, 100);
    assert_close(r.remaining_s, 600, 1e-12);
    assert_close(r.elapsed_s, 0, 0);
}

static void test_eta_warmup_does_not_count(void **state)
{
    (void)state;
    trainest_eta_config c = config(1000);
    trainest_eta e;
    start(&e, &c);
    for (int i = 0; i < 5; i++)
        feed(&e, 30.0, 0); /* compilation, cold caches */
    for (int i = 0; i < 50; i++)
        feed(&e, 1.0, 0);
    trainest_eta_report r = report(&e, 0);
    assert_close(r.step_s, 1.0, 1e-12);
    assert_close(r.elapsed_s, 200, 1e-12);
    assert_close(r.remaining_s, 945, 1e-12);
}

/* Evaluation pauses and checkpoints: counted as elapsed, never as step
 * time, and scheduled ones come back through overhead_s_per_epoch. */
static void test_eta_spikes_do_not_swing_it(void **state)
{
    (void)state;
    trainest_eta_config c = config(10000);
    c.warmup_steps = 0;
    trainest_eta e;
    start(&e, &c);
    uint64_t seed = 1;
    double before = 0;
    for (int i = 1; i <= 5000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        double noise = 0.02 * ((double)(seed >> 11) / 9007199254740992.0 - 0.5);
        double step = 1.0 + noise;
        if (i % 1000 == 0) {
            step = 120; /* a checkpoint */
            before = report(&e, 0).remaining_s;
        }
        feed(&e, step, 0);
        if (i % 1000 == 0) {
            trainest_eta_report r = report(&e, 0);
            /* one step less to go, at the unchanged step time */
            assert_close(r.remaining_s, before - r.step_s, 1e-12);
        }
    }
    trainest_eta_report r = report(&e, 0);
    assert_int_equal(r.outliers, 5);
    assert_close(r.step_s, 1.0, 0.002);
    assert_true(r.elapsed_s > 5000 + 5 * 119 - 10);
    /* the scheduled version of those pauses */
    c.steps_per_epoch = 1000;
    c.overhead_s_per_epoch = 120;
    trainest_eta e2;
    start(&e2, &c);
    for (int i = 0; i < 500; i++)
        feed(&e2, 1.0, 0);
    r = report(&e2, 0);
    assert_close(r.remaining_s, 9500 + 10 * 120, 1e-9);
}

/* A real change of pace (within the outlier ratio) is followed. */
static void test_eta_follows_drift(void **state)
{
    (void)state;
    trainest_eta_config c = config(100000);
    c.warmup_steps = 0;
    trainest_eta e;
    start(&e, &c);
    for (int i = 0; i < 5000; i++)
        feed(&e, 1.0, 0);
    for (int i = 0; i < 5000; i++)
        feed(&e, 1.5, 0);
    trainest_eta_report r = report(&e, 0);
    assert_close(r.step_s, 1.5, 0.01);
    assert_close(r.remaining_s, 90000 * 1.5, 0.01);
}

/* Long runs: the elapsed sum stays exact where naive summation drifts. */
static void test_eta_numerically_stable(void **state)
{
    (void)state;
    const uint64_t n = quick() ? 200000 : 20000000;
    trainest_eta_config c = config(UINT64_MAX);
    trainest_eta e;
    start(&e, &c);
    double naive = 0;
    for (uint64_t i = 0; i < n; i++) {
        feed(&e, 0.1, 1);
        naive += 0.1;
    }
    trainest_eta_report r = report(&e, 0);
    /* n * 0.1 as a double sum of n terms 0.1 (0.1 is 0.1000000000000000055...) */
    const double exact = (double)n * 0.1;
    assert_true(fabs(r.elapsed_s - exact) <= 1e-9 * exact);
    assert_true(fabs(naive - exact) > fabs(r.elapsed_s - exact)); /* the compensation matters */
    assert_close(r.step_s, 0.1, 1e-14);
    assert_int_equal(r.samples_done, n);
    assert_true(isfinite(r.remaining_s) && r.remaining_s > 0);
}

static void test_eta_failure_band(void **state)
{
    (void)state;
    trainest_eta_config c = config(20000);
    c.warmup_steps = 0;
    c.job_mtbf_s = 3 * 3600;
    c.restart_s = 600;
    c.checkpoint_write_s = 30;
    trainest_eta e;
    start(&e, &c);
    uint64_t seed = 5;
    for (int i = 0; i < 1000; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        feed(&e, 2.0 + 0.2 * ((double)(seed >> 11) / 9007199254740992.0 - 0.5), 0);
    }
    trainest_eta_report r = report(&e, 0);
    /* 19000 steps of about 2 s: 38000 s of work, about 3.5 failures */
    assert_true(r.remaining_s > 38000 * 1.02);
    assert_true(r.remaining_p10_s <= r.remaining_p50_s);
    assert_true(r.remaining_p50_s < r.remaining_p90_s);
    assert_true(r.remaining_p90_s > r.remaining_s);
    /* the failure model gives the same expectation */
    trainest_failure_request fr;
    trainest_failure_request_init(&fr, sizeof fr);
    fr.work_s = 19000 * r.step_s;
    fr.devices = 1;
    fr.mtbf_hours_per_device = 3;
    fr.restart_s = 600;
    fr.checkpoint_write_s = 30;
    trainest_failure f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_failure_compute(&f, &fr), TRAINEST_OK);
    assert_close(r.remaining_s, f.expected_total_s, 1e-12);
}

/* The shipped H200 epochs, step by step: half-way through, the predicted
 * total is within a few percent of the real one, and at the end the
 * elapsed time is exactly the sum of the steps. */
static void test_eta_shipped_step_traces(void **state)
{
    (void)state;
    const char *path = getenv("TRAINEST_DATA");
    FILE *f = fopen(path ? path : "tests/data/h200-train-steps.jsonl", "r");
    assert_non_null(f);
    static char line[16384];
    int runs = 0;
    while (fgets(line, sizeof line, f)) {
        char kind[16];
        if (!jc_get_string(line, "kind", kind, sizeof kind) || strcmp(kind, "e2e") != 0)
            continue;
        uint64_t N, G, m, steps;
        assert_true(jc_get_u64(line, "N", &N) && jc_get_u64(line, "G", &G) &&
                    jc_get_u64(line, "m", &m) && jc_get_u64(line, "opt_steps", &steps));
        trainest_plan_request prq = tu_request(N, G, m, 0, 1);
        trainest_plan p;
        assert_int_equal(tu_plan(&p, &prq), TRAINEST_OK);
        assert_int_equal(p.total_optimizer_steps, steps); /* the plan's exact count */
        const char *arr = jc_member(line, "step_s");
        assert_int_equal(jc_array_len(arr), (long)steps);
        double total = 0;
        for (uint64_t i = 0; i < steps; i++) {
            double s;
            assert_true(jc_number(jc_array_at(arr, i), &s));
            total += s;
        }
        trainest_eta_config c = config(p.total_optimizer_steps);
        c.warmup_steps = 1;
        trainest_eta e;
        start(&e, &c);
        double worst = 0;
        for (uint64_t i = 0; i < steps; i++) {
            double s;
            jc_number(jc_array_at(arr, i), &s);
            feed(&e, s, 0);
            trainest_eta_report r = report(&e, 0);
            if (i + 1 >= steps / 2 && r.steps_remaining) {
                double predicted = r.elapsed_s + r.remaining_s;
                worst = fmax(worst, fabs(predicted - total) / total);
            }
        }
        trainest_eta_report r = report(&e, 0);
        assert_int_equal(r.steps_remaining, 0);
        assert_close(r.remaining_s, 0, 0);
        assert_close(r.elapsed_s, total, 1e-14);
        print_message("# e2e N=%llu G=%llu m=%llu: worst error of the predicted total from "
                      "half-way on %.2f %%\n",
                      (unsigned long long)N, (unsigned long long)G, (unsigned long long)m,
                      100 * worst);
        assert_true(worst < (m <= 4 ? 0.08 : 0.03)); /* launch-bound runs are noisy */
        runs++;
    }
    fclose(f);
    assert_int_equal(runs, 9);
}

static void test_eta_bad_input_leaves_state_unchanged(void **state)
{
    (void)state;
    trainest_eta_config c = config(100);
    trainest_eta e;
    start(&e, &c);
    feed(&e, 1.0, 4);
    trainest_eta copy = e;
    assert_int_equal(trainest_eta_update(&e, NAN, 1), TRAINEST_E_NOT_FINITE);
    assert_int_equal(trainest_eta_update(&e, INFINITY, 1), TRAINEST_E_NOT_FINITE);
    assert_int_equal(trainest_eta_update(&e, -0.5, 1), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(trainest_eta_update(&e, 1.0, UINT64_MAX), TRAINEST_E_OVERFLOW);
    assert_memory_equal(&e, &copy, sizeof e);
    assert_int_equal(trainest_eta_update(NULL, 1.0, 1), TRAINEST_E_NULL);
    trainest_eta junk;
    memset(&junk, 0, sizeof junk);
    junk.struct_size = sizeof junk;
    assert_int_equal(trainest_eta_update(&junk, 1.0, 1), TRAINEST_E_UNSUPPORTED);
    trainest_eta_report r;
    r.struct_size = sizeof r;
    assert_int_equal(trainest_eta_report_compute(&r, &junk, 0), TRAINEST_E_UNSUPPORTED);
    assert_int_equal(r.invalid_field, TRAINEST_FIELD_ETA_STATE);
    assert_int_equal(trainest_eta_report_compute(&r, &e, NAN), TRAINEST_E_NOT_FINITE);
    assert_int_equal(r.invalid_field, TRAINEST_FIELD_NOW_UNIX_S);
    junk.struct_size = 8;
    assert_int_equal(trainest_eta_update(&junk, 1.0, 1), TRAINEST_E_STRUCT_SIZE);
}

static void test_eta_config_validation(void **state)
{
    (void)state;
    trainest_eta e;
    trainest_eta_config c = config(0);
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_E_ZERO);
    c = config(10);
    c.steps_done = 11;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_E_INCONSISTENT);
    c = config(10);
    c.outlier_ratio = 1;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_E_OUT_OF_RANGE);
    c.outlier_ratio = NAN;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_E_NOT_FINITE);
    c = config(10);
    c.prior_step_s = -1;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_E_OUT_OF_RANGE);
    c = config(10);
    c.job_mtbf_s = 100; /* an optimal interval needs a write cost */
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_E_UNDERSPECIFIED);
    c = config(10);
    assert_int_equal(trainest_eta_init(&e, 16, &c), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_eta_init(NULL, sizeof e, &c), TRAINEST_E_NULL);
    assert_int_equal(trainest_eta_init(&e, sizeof e, NULL), TRAINEST_E_NULL);
    assert_int_equal(trainest_eta_config_init(&c, 4), TRAINEST_E_STRUCT_SIZE);
}

/* Since 0.5 a failed start names the configuration field to blame, and
 * leaves a zeroed tracker that refuses updates. */
static void test_eta_init_names_the_field(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        int status;
        uint32_t field;
    } cases[] = {
        {"total_steps 0", TRAINEST_E_ZERO, TRAINEST_FIELD_TOTAL_STEPS},
        {"steps_done beyond", TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_TOTAL_STEPS},
        {"outlier_ratio 1", TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OUTLIER_RATIO},
        {"prior NaN", TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_PRIOR_STEP_S},
        {"restart -1", TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_RESTART_S},
        {"mtbf without write", TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_CHECKPOINT_WRITE_S},
        {"config padding", TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE},
        {"config size", TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trainest_eta_config c = config(10);
        switch (i) {
        case 0: c.total_steps = 0; break;
        case 1: c.steps_done = 11; break;
        case 2: c.outlier_ratio = 1; break;
        case 3: c.prior_step_s = NAN; break;
        case 4: c.restart_s = -1; break;
        case 5: c.job_mtbf_s = 100; break;
        case 6: c.reserved0 = 1; break;
        case 7: c.struct_size = 8; break;
        }
        trainest_eta e;
        memset(&e, 0x5A, sizeof e);
        print_message("# %s\n", cases[i].what);
        assert_int_equal(trainest_eta_init(&e, sizeof e, &c), cases[i].status);
        assert_int_equal(e.invalid_field, cases[i].field);
        assert_int_equal(e.struct_size, sizeof e);
        assert_int_equal(e.magic, 0);
        assert_int_equal(trainest_eta_update(&e, 1.0, 1), TRAINEST_E_UNSUPPORTED);
    }
    /* success clears it */
    trainest_eta_config c = config(10);
    trainest_eta e;
    memset(&e, 0x5A, sizeof e);
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_OK);
    assert_int_equal(e.invalid_field, TRAINEST_FIELD_NONE);
    /* a tracker of the 0.4 size (304 bytes) gets no field and nothing past its end */
    unsigned char old[304 + 16];
    memset(old, 0x5A, sizeof old);
    c.total_steps = 0;
    assert_int_equal(trainest_eta_init((trainest_eta *)(void *)old, 304, &c), TRAINEST_E_ZERO);
    for (size_t i = 304; i < sizeof old; i++)
        assert_int_equal(old[i], 0x5A);
    for (size_t i = 4; i < 304; i++)
        assert_int_equal(old[i], 0);
}

/* The state is plain data: a copy continues on its own. */
static void test_eta_state_can_be_copied(void **state)
{
    (void)state;
    trainest_eta_config c = config(100);
    c.warmup_steps = 0;
    trainest_eta a;
    start(&a, &c);
    for (int i = 0; i < 10; i++)
        feed(&a, 1.0, 0);
    trainest_eta b = a;
    for (int i = 0; i < 10; i++)
        feed(&b, 2.0, 0);
    assert_close(report(&a, 0).step_s, 1.0, 1e-15);
    assert_true(report(&b, 0).step_s > 1.4);
    assert_int_equal(report(&a, 0).steps_done, 10);
    assert_int_equal(report(&b, 0).steps_done, 20);
}

/* ---- The samples model (trainest_eta_set_samples, 0.6.0) ----------------- */

enum { RAMP_STEPS_MAX = 4096 };

/* A ramp-up trace: the batch grows from 64 by 64 every 2000 samples to 512,
 * then stays; the run has `total` samples, the last step partial. Each
 * step takes a + b * batch. Returns the step count. */
static size_t ramp_trace(uint64_t total, double a, double b, uint64_t *batch, double *step_s)
{
    size_t n = 0;
    for (uint64_t done = 0; done < total; n++) {
        assert_true(n < RAMP_STEPS_MAX);
        uint64_t g = 64 + 64 * (done / 2000);
        if (g > 512)
            g = 512;
        if (g > total - done)
            g = total - done;
        batch[n] = g;
        step_s[n] = a + b * (double)g;
        done += g;
    }
    return n;
}

static double rest_of(const double *step_s, size_t from, size_t n)
{
    double t = 0;
    for (size_t i = from; i < n; i++)
        t += step_s[i];
    return t;
}

static void test_eta_samples_follow_a_ramp(void **state)
{
    (void)state;
    static uint64_t batch[RAMP_STEPS_MAX];
    static double step_s[RAMP_STEPS_MAX];
    const uint64_t total = 200000;
    const size_t n = ramp_trace(total, 0.01, 0.0005, batch, step_s);
    trainest_eta_config c = config(n);
    trainest_eta with, without;
    start(&with, &c);
    start(&without, &c);
    assert_int_equal(trainest_eta_set_samples(&with, total, 0), TRAINEST_OK);
    const size_t checks[] = {20, 40, 100, 300, n - 1};
    size_t k = 0, fed = 0;
    for (size_t ci = 0; ci < sizeof checks / sizeof checks[0]; ci++) {
        for (; fed < checks[ci]; fed++) {
            feed(&with, step_s[fed], batch[fed]);
            feed(&without, step_s[fed], batch[fed]);
        }
        const double truth = rest_of(step_s, fed, n);
        const trainest_eta_report r = report(&with, 0), r0 = report(&without, 0);
        print_message("# after %zu of %zu steps: remaining %.3f s, %.3f s without the samples, "
                      "truth %.3f s\n", fed, n, r.remaining_s, r0.remaining_s, truth);
        assert_int_equal(r.outliers, 0); /* the growing batch is no pause */
        if (fed >= 40) /* once the batch has changed: a and b exactly */
            assert_close(r.remaining_s, truth, 1e-9 * truth);
        k++;
    }
    assert_int_equal(k, 5);
    /* without the samples the mean step so far says far too little */
    trainest_eta early;
    start(&early, &c);
    for (size_t i = 0; i < 100; i++)
        feed(&early, step_s[i], batch[i]);
    assert_true(report(&early, 0).remaining_s < 0.7 * rest_of(step_s, 100, n));
}

/* Same-size steps: the time per sample, so only the partial last step differs. */
static void test_eta_samples_constant_batch(void **state)
{
    (void)state;
    const uint64_t steps = 1000, G = 64, total = (steps - 1) * G + 10;
    trainest_eta_config c = config(steps);
    trainest_eta with, without;
    start(&with, &c);
    start(&without, &c);
    assert_int_equal(trainest_eta_set_samples(&with, total, 0), TRAINEST_OK);
    const double t = 0.02 + 0.001 * (double)G;
    for (int i = 0; i < 100; i++) {
        feed(&with, t, G);
        feed(&without, t, G);
    }
    const trainest_eta_report r = report(&with, 0), r0 = report(&without, 0);
    /* 899 steps of 64 and the tail of 10 at the time per sample */
    assert_close(r.remaining_s, (double)(total - 100 * G) * t / (double)G, 1e-12);
    assert_close(r0.remaining_s, 900 * t, 1e-12);
}

/* Pauses are still outliers; resuming counts the samples already done; a
 * step without its samples turns the model off. */
static void test_eta_samples_outliers_resume_and_unsized(void **state)
{
    (void)state;
    static uint64_t batch[RAMP_STEPS_MAX];
    static double step_s[RAMP_STEPS_MAX];
    const uint64_t total = 200000;
    const size_t n = ramp_trace(total, 0.01, 0.0005, batch, step_s);
    /* resume after 50 steps */
    uint64_t before = 0;
    for (size_t i = 0; i < 50; i++)
        before += batch[i];
    trainest_eta_config c = config(n);
    c.steps_done = 50;
    trainest_eta e;
    start(&e, &c);
    assert_int_equal(trainest_eta_set_samples(&e, total, before), TRAINEST_OK);
    for (size_t i = 50; i < 200; i++) {
        feed(&e, step_s[i], batch[i]);
        if (i == 120)
            feed(&e, 30 * step_s[i + 1], batch[i + 1]), i++; /* a checkpoint inside step 121 */
    }
    trainest_eta_report r = report(&e, 0);
    assert_int_equal(r.outliers, 1);
    assert_close(r.remaining_s, rest_of(step_s, 200, n), 1e-9 * rest_of(step_s, 200, n));
    /* one step without its samples: back to remaining steps x the mean */
    feed(&e, step_s[200], 0);
    r = report(&e, 0);
    assert_close(r.remaining_s, (double)r.steps_remaining * r.step_s, 1e-12);
}

static void test_eta_set_samples_contract(void **state)
{
    (void)state;
    trainest_eta_config c = config(100);
    trainest_eta e;
    start(&e, &c);
    assert_int_equal(trainest_eta_set_samples(NULL, 10, 0), TRAINEST_E_NULL);
    assert_int_equal(trainest_eta_set_samples(&e, 0, 0), TRAINEST_E_ZERO);
    assert_int_equal(trainest_eta_set_samples(&e, 10, 11), TRAINEST_E_INCONSISTENT);
    trainest_eta copy = e;
    assert_int_equal(memcmp(&copy, &e, sizeof e), 0); /* unchanged by the failures */
    /* a tracker of the 0.5 size has no room for the samples */
    union {
        trainest_eta eta;
        unsigned char bytes[sizeof(trainest_eta)];
    } old;
    memset(&old, 0, sizeof old);
    assert_int_equal(trainest_eta_init(&old.eta, 312, &c), TRAINEST_OK);
    assert_int_equal(trainest_eta_set_samples(&old.eta, 10, 0), TRAINEST_E_STRUCT_SIZE);
    for (size_t i = 312; i < sizeof old.bytes; i++)
        assert_int_equal(old.bytes[i], 0); /* nothing written past 312 bytes */
    /* not an initialised tracker */
    trainest_eta zero;
    memset(&zero, 0, sizeof zero);
    zero.struct_size = sizeof zero;
    assert_int_equal(trainest_eta_set_samples(&zero, 10, 0), TRAINEST_E_UNSUPPORTED);
    assert_int_equal(trainest_eta_set_samples(&e, 10, 10), TRAINEST_OK);
    /* every sample done: nothing remains beyond the steps' fixed part */
    feed(&e, 1.0, 1);
    assert_true(report(&e, 0).remaining_s >= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eta_defaults),
        cmocka_unit_test(test_eta_constant_steps),
        cmocka_unit_test(test_eta_prior_before_any_step),
        cmocka_unit_test(test_eta_warmup_does_not_count),
        cmocka_unit_test(test_eta_spikes_do_not_swing_it),
        cmocka_unit_test(test_eta_follows_drift),
        cmocka_unit_test(test_eta_numerically_stable),
        cmocka_unit_test(test_eta_failure_band),
        cmocka_unit_test(test_eta_shipped_step_traces),
        cmocka_unit_test(test_eta_bad_input_leaves_state_unchanged),
        cmocka_unit_test(test_eta_config_validation),
        cmocka_unit_test(test_eta_init_names_the_field),
        cmocka_unit_test(test_eta_state_can_be_copied),
        cmocka_unit_test(test_eta_samples_follow_a_ramp),
        cmocka_unit_test(test_eta_samples_constant_batch),
        cmocka_unit_test(test_eta_samples_outliers_resume_and_unsized),
        cmocka_unit_test(test_eta_set_samples_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
