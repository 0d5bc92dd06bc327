/* SPDX-License-Identifier: MIT */
/* Every bug found so far, as a named test that reproduces it. Each comment
 * says how it was found and what was wrong. */
#include <math.h>
#include <string.h>

#include "testutil.h"

/* Found by the preset replay tests: with decrease_batch_size_if_needed
 * (ROUND_DOWN) Megatron divides train_samples by the requested global
 * batch, while each iteration consumes the decreased one. The library
 * divided by the decreased batch: 11 iterations instead of 10. */
static void test_regression_megatron_round_down_counts_with_requested_batch(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(100, 10, 3, 0, 1);
    rq.preset = TRAINEST_PRESET_MEGATRON;
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, 9);
    assert_int_equal(p.total_optimizer_steps, 10);
    assert_int_equal(p.total_samples, 90);
}

/* Found by the CLI's tests: a calibration whose line extrapolates below
 * zero returned fixed_s < 0, which the estimate then rejected. */
static void test_regression_calibration_never_returns_negative_times(void **state)
{
    (void)state;
    trainest_step_observation obs[12];
    const double ms[] = {8, 16, 32, 64}, as[] = {1, 2, 4};
    int n = 0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++, n++) {
            memset(&obs[n], 0, sizeof obs[n]);
            obs[n].struct_size = sizeof obs[n];
            obs[n].micro_batch = (uint64_t)ms[i];
            obs[n].grad_accum_steps = (uint64_t)as[j];
            obs[n].step_s = as[j] * (-0.004 + 0.004 * ms[i]) + 0.002;
        }
    trainest_step_fit f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_step_calibrate(&f, obs, 12, NULL), TRAINEST_OK);
    assert_true(f.floor_s >= 0 && f.fixed_s >= 0 && f.per_sample_s >= 0 && f.launch_lag_s >= 0 &&
                f.optimizer_s >= 0);
}

/* Found by the ramp-up replay tests: with fewer training samples than one
 * target batch, the constant-batch plan has no iteration and the library
 * gave up with NO_STEPS, while Megatron's ramp still runs 3 iterations. */
static void test_regression_rampup_shorter_than_one_target_batch(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(40, 64, 2, 0, 2);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    trainest_rampup_request rq;
    trainest_rampup_request_init(&rq, sizeof rq);
    rq.start_global_batch = 16;
    rq.increment = 16;
    rq.ramp_samples = 1000;
    trainest_rampup r;
    r.struct_size = sizeof r;
    assert_int_equal(trainest_rampup_compute(&r, &prq, &rq, NULL), TRAINEST_OK);
    assert_int_equal(r.rampup_steps, 3);
    assert_int_equal(r.rampup_samples, 48);
    assert_int_equal(r.total_steps, 3);
}

/* Found by the thread-safety test under ThreadSanitizer (clang -O1): the
 * activation overflow check divided by the micro-batch, which is 0 when
 * only the static part is asked for; gcc had folded the division away. */
static void test_regression_memory_with_zero_micro_batch(void **state)
{
    (void)state;
    trainest_memory_request rq;
    trainest_memory_request_init(&rq, sizeof rq);
    rq.params = 1000000;
    rq.activation_bytes_per_sample = 12345;
    rq.device_memory_bytes = 100000000;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.activation_bytes, 0);
    assert_int_equal(m.max_micro_batch, (100000000 - 16000000) / 12345);
}

/* Found while checking the failure model: a run shorter than one
 * checkpoint interval has a single segment and writes no checkpoint, but a
 * huge write time still tripped the "never finishes" check. */
static void test_regression_failure_single_segment_ignores_write_time(void **state)
{
    (void)state;
    trainest_failure_request rq;
    trainest_failure_request_init(&rq, sizeof rq);
    rq.work_s = 1e-3;
    rq.devices = 1;
    rq.mtbf_hours_per_device = 1;
    rq.checkpoint_write_s = 1e9;
    rq.restart_s = 100;
    trainest_failure f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_failure_compute(&f, &rq), TRAINEST_OK);
    assert_int_equal(f.checkpoints, 0);
    assert_true(f.expected_total_s >= 1e-3 && isfinite(f.expected_total_s));
}

/* Found by the search's brute-force reference: with ROUND_UP the search
 * counted a candidate as a duplicate of the previous global batch even
 * when that micro-batch had not been tried there (it was beyond G/R). */
static void test_regression_search_duplicates_only_of_tried_candidates(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(1000, 0, 0, 0, 1);
    prq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.001;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    trainest_search_request sr;
    trainest_search_request_init(&sr, sizeof sr);
    sr.global_batch_min = 4;
    sr.global_batch_max = 5;
    sr.max_devices = 1;
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t n;
    assert_int_equal(trainest_search_run(&s, NULL, 0, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    /* G = 4: m = 1..4; G = 5: m = 1..5. m = 3 maps to G' = 6 both times:
     * the one duplicate. m = 5 maps to G' = 5, and G = 4 would map it to 5
     * too, but m = 5 was never tried for G = 4 (5 > 4 / 1): the bug called
     * it a duplicate and lost the plan. */
    assert_int_equal(s.candidates_evaluated, 9);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.feasible, 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regression_megatron_round_down_counts_with_requested_batch),
        cmocka_unit_test(test_regression_calibration_never_returns_negative_times),
        cmocka_unit_test(test_regression_rampup_shorter_than_one_target_batch),
        cmocka_unit_test(test_regression_memory_with_zero_micro_batch),
        cmocka_unit_test(test_regression_failure_single_segment_ignores_write_time),
        cmocka_unit_test(test_regression_search_duplicates_only_of_tried_candidates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
