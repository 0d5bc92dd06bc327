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

/* Found by the plan fuzz target: plan_suggest() looped over every value
 * between floor and ceil of G / q with `other <= hi`, which never ends for
 * hi = UINT64_MAX (G = UINT64_MAX, micro_batch 1, one replica). */
static void test_regression_suggest_terminates_at_uint64_max(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, UINT64_MAX, 1, 0, 1);
    trainest_plan_suggestion s[4];
    s[0].struct_size = sizeof s[0];
    uint32_t n = 0;
    assert_int_equal(trainest_plan_suggest(s, 4, &n, &rq), TRAINEST_OK);
    for (uint32_t i = 0; i < n; i++)
        assert_true(s[i].global_batch > 0);
}

/* Found by the calibrate and memory fuzz targets under ASan: an element
 * whose struct_size exceeds the stride was read up to its own size before
 * the size was compared with the stride, past the end of the array. */
static void test_regression_fit_element_larger_than_stride(void **state)
{
    (void)state;
    /* two observations of the stride's size, then room for nothing more:
     * the second claims 8 bytes more than the stride */
    unsigned char buf[2 * sizeof(trainest_step_observation)];
    trainest_step_observation ob;
    memset(&ob, 0, sizeof ob);
    ob.struct_size = sizeof ob;
    ob.micro_batch = 8;
    ob.grad_accum_steps = 1;
    ob.step_s = 0.1;
    memcpy(buf, &ob, sizeof ob);
    ob.micro_batch = 16;
    ob.step_s = 0.2;
    ob.struct_size = sizeof ob + 8;
    memcpy(buf + sizeof ob, &ob, sizeof ob);
    trainest_step_fit f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_step_calibrate(&f, (const trainest_step_observation *)(void *)buf, 2, NULL),
                     TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(f.invalid_index, 1);
    unsigned char pbuf[2 * sizeof(trainest_memory_point)];
    trainest_memory_point pt = {sizeof pt, 0, 8, 10000};
    memcpy(pbuf, &pt, sizeof pt);
    pt.micro_batch = 16;
    pt.peak_bytes = 20000;
    pt.struct_size = sizeof pt + 8;
    memcpy(pbuf + sizeof pt, &pt, sizeof pt);
    trainest_memory_fit mf;
    mf.struct_size = sizeof mf;
    assert_int_equal(trainest_memory_calibrate(&mf, (const trainest_memory_point *)(void *)pbuf, 2),
                     TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(mf.invalid_index, 1);
}

/* Found by the search fuzz target under ASan: the result heap copied whole
 * 0.5 results (96 bytes) at a 0.3 caller's stride (80), overlapping
 * elements and writing 16 bytes past the array. */
static void test_regression_search_results_of_the_0_3_size(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(1000, 0, 0, 0, 1);
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.001;
    erq.fixed_s = 0.01;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    trainest_search_request sr;
    trainest_search_request_init(&sr, sizeof sr);
    sr.global_batch_min = 8;
    sr.global_batch_max = 16;
    sr.max_devices = 2;
    enum { OLD = 80, N = 4 };
    unsigned char old[OLD * N + 32];
    memset(old, 0xEE, sizeof old);
    const uint32_t size = OLD;
    memcpy(old, &size, sizeof size);
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t n = 0;
    assert_int_equal(trainest_search_run(&s, (trainest_search_result *)(void *)old, N, &n, &prq, &erq,
                                         &mrq, &sr),
                     TRAINEST_OK);
    assert_int_equal(n, N);
    for (size_t i = OLD * N; i < sizeof old; i++)
        assert_int_equal(old[i], 0xEE); /* nothing past the array */
    /* the same plans, in the same order, as a 0.5 caller gets */
    trainest_search_result now[N];
    now[0].struct_size = sizeof now[0];
    assert_int_equal(trainest_search_run(&s, now, N, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    for (uint32_t i = 0; i < N; i++) {
        trainest_search_result r;
        memset(&r, 0, sizeof r);
        memcpy(&r, old + (size_t)i * OLD, OLD);
        assert_int_equal(r.struct_size, OLD);
        assert_int_equal(r.global_batch, now[i].global_batch);
        assert_int_equal(r.micro_batch, now[i].micro_batch);
        assert_int_equal(r.data_parallel, now[i].data_parallel);
        assert_true(r.total_s == now[i].total_s);
    }
    /* a layout search needs results that can hold the layout */
    sr.max_tensor_parallel = 2;
    assert_int_equal(trainest_search_run(&s, (trainest_search_result *)(void *)old, N, &n, &prq, &erq,
                                         &mrq, &sr),
                     TRAINEST_E_STRUCT_SIZE);
}

/* Found by the search fuzz target: TP * PP over powers of two wrapped to 0
 * (TP 2, PP 2^63 with max_devices >= 2^63) and max_devices / (TP * PP)
 * divided by zero. */
static void test_regression_search_layout_product_wraps(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(1000, 0, 0, 0, 1);
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.001;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    trainest_search_request sr;
    trainest_search_request_init(&sr, sizeof sr);
    prq.seq_len_tokens = 128; /* what tensor- and pipeline-parallel traffic needs */
    prq.hidden = 64;
    prq.layers = UINT64_C(1) << 63; /* every power of two divides it */
    erq.bus_bytes_per_s = 1e11;
    sr.global_batch_min = 1;
    sr.max_devices = UINT64_MAX;
    sr.max_tensor_parallel = 2;
    sr.max_pipeline_parallel = UINT64_MAX;
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t n = 0;
    assert_int_equal(trainest_search_run(&s, NULL, 0, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    /* G = 1: one candidate per layout with R = 1: 64 PPs for TP 1, 63 for TP 2 */
    assert_int_equal(s.candidates_evaluated, 64 + 63);
}

/* Found by the failure fuzz target: a subnormal MTBF made the failure rate
 * infinite and the job MTBF 0, which reads as "nothing fails": OK with no
 * failure cost at all. */
static void test_regression_failure_subnormal_mtbf(void **state)
{
    (void)state;
    trainest_failure_request rq;
    trainest_failure_request_init(&rq, sizeof rq);
    rq.work_s = 3600;
    rq.devices = 1000;
    rq.checkpoint_write_s = 10;
    rq.mtbf_hours_per_device = 1e-310;
    trainest_failure f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_failure_compute(&f, &rq), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(f.invalid_field, TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE);
    rq.mtbf_hours_per_device = 0;
    rq.devices_per_node = 8;
    rq.mtbf_hours_per_node = 1e-310;
    assert_int_equal(trainest_failure_compute(&f, &rq), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(f.invalid_field, TRAINEST_FIELD_MTBF_HOURS_PER_NODE);
}

/* Found by the ETA fuzz target: when the failure model refused the rest of
 * the run, the report returned an undocumented status and kept its partial
 * values instead of zeroing them. */
static void test_regression_eta_report_failure_model_error_zeroes(void **state)
{
    (void)state;
    trainest_eta_config c;
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 1000000;
    c.job_mtbf_s = 1;
    c.checkpoint_interval_s = 1e6; /* never checkpoints against a 1 s MTBF */
    c.checkpoint_write_s = 1;
    trainest_eta e;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_OK);
    assert_int_equal(trainest_eta_update(&e, 1.0, 1), TRAINEST_OK);
    trainest_eta_report r;
    memset(&r, 0x77, sizeof r);
    r.struct_size = sizeof r;
    assert_int_equal(trainest_eta_report_compute(&r, &e, 0), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(r.invalid_field, TRAINEST_FIELD_CHECKPOINT_INTERVAL_S);
    trainest_eta_report zero;
    memset(&zero, 0, sizeof zero);
    zero.struct_size = sizeof zero;
    zero.invalid_field = r.invalid_field;
    assert_memory_equal(&r, &zero, sizeof r);
}

/* Found through the CLI (review of its layout flags): with activations
 * from the model shape, memory_for_plan() split the model states by TP
 * only, not TP x PP: 175e9 parameters at TP 8, PP 16 gave 43.75 GB of
 * weights per GPU instead of 2.73 GB. */
static void test_regression_memory_states_split_by_pipeline_too(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 175000000000;
    mrq.zero_stage = 1;
    trainest_plan_request prq = tu_request(1000000, 1536, 1, 0, 1);
    prq.devices = 1024;
    prq.tensor_parallel = 8;
    prq.pipeline_parallel = 16;
    prq.layers = 96;
    prq.hidden = 12288;
    prq.attention_heads = 96;
    prq.seq_len_tokens = 2048;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_for_plan(&m, &mrq, &prq), TRAINEST_OK);
    assert_int_equal(m.weights_bytes, 175000000000 / 128 * 2);
}

/* Found through the CLI: the critical batch capped the micro-batch with the
 * memory of the whole model on one device, so a 70B model at TP 8 that fits
 * in 17.6 GB per GPU "did not fit" (OUT_OF_RANGE on device memory). */
static void test_regression_critical_memory_follows_layout(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(1000000, 512, 1, 0, 1);
    prq.devices = 64;
    prq.tensor_parallel = 8;
    prq.layers = 80;
    prq.hidden = 8192;
    prq.seq_len_tokens = 4096;
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.5;
    erq.bus_bytes_per_s = 2e11;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 70000000000;
    mrq.zero_stage = 3;
    mrq.activation_bytes_per_sample = 1000000000;
    mrq.device_memory_bytes = 80000000000;
    trainest_critical_request crq;
    trainest_critical_request_init(&crq, sizeof crq);
    crq.noise_scale = 1000;
    crq.min_steps = 1000;
    trainest_critical c;
    c.struct_size = sizeof c;
    assert_int_equal(trainest_critical_compute(&c, &prq, &erq, &mrq, &crq), TRAINEST_OK);
}

/* Found through the CLI: for an interleaved pipeline, plan_suggest()
 * offered nothing, since no candidate had a multiple of PP micro-batches
 * per step. */
static void test_regression_suggest_interleaved_pipeline(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 64, 16, 0, 1);
    rq.devices = 8;
    rq.pipeline_parallel = 4;
    rq.virtual_stages = 2;
    trainest_plan_suggestion s[4];
    s[0].struct_size = sizeof s[0];
    uint32_t n = 0;
    assert_int_equal(trainest_plan_suggest(s, 4, &n, &rq), TRAINEST_OK);
    assert_true(n >= 2);
    assert_int_equal(s[0].global_batch, 64);
    assert_int_equal(s[0].micro_batch, 8);
    assert_int_equal(s[0].grad_accum_steps, 4);
}

/* Found by test_edges (the in-flight table): when the activations of one
 * micro-batch times the micro-batches in flight passed 2^128 as a fraction
 * (PP 2^24, v 2^20: a numerator near 2^68 per byte), memory_for_plan()
 * said OVERFLOW, though the activations per device are near 2^57 bytes. */
static void test_regression_memory_in_flight_beyond_128_bits(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(UINT64_MAX, 0, UINT64_C(1) << 20, UINT64_C(1) << 24, 1);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    prq.tensor_parallel = 8;
    prq.pipeline_parallel = UINT64_C(1) << 24;
    prq.virtual_stages = UINT64_C(1) << 20;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 175000000000;
    mrq.activation_bytes_per_sample = UINT64_C(1) << 40;
    mrq.device_memory_bytes = 85899345920;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_for_plan(&m, &mrq, &prq), TRAINEST_OK);
    /* 2^60 bytes a micro-batch, 2^24 (1 + (2^24 - 1) / 2^44) in flight, over
     * TP x PP = 2^27 devices: 2^13 (2^44 + 2^24 - 1) bytes exactly */
    assert_int_equal(m.activation_bytes, (UINT64_C(1) << 57) + (UINT64_C(1) << 37) - 8192);
    assert_int_equal(m.static_bytes, 1304 * 16); /* ceil(175e9 / 2^27) parameters, 16 bytes each */
    assert_int_equal(m.total_bytes, m.static_bytes + m.activation_bytes);
    assert_int_equal(m.fits, 0);
    assert_int_equal(m.max_micro_batch, 0);
}

/* Found by test_edges (the ramp-up table): rampup_compute() refused with
 * OVERFLOW whenever both RAMP_SAMPLES and the training samples were within
 * one target batch of 2^64, before counting: with START equal to the target
 * (no ramp) over 2^64 - 1 samples every count fits. It now reports OVERFLOW
 * only when the samples consumed pass 2^64 - 1. */
static void test_regression_rampup_near_uint64_max_counts(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(UINT64_MAX, 4, 1, 0, 1);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    trainest_rampup_request rq;
    trainest_rampup_request_init(&rq, sizeof rq);
    rq.start_global_batch = 4; /* the target: no ramp */
    rq.ramp_samples = UINT64_MAX;
    trainest_rampup r;
    r.struct_size = sizeof r;
    assert_int_equal(trainest_rampup_compute(&r, &prq, &rq, NULL), TRAINEST_OK);
    assert_int_equal(r.rampup_steps, 0);
    assert_int_equal(r.total_steps, (UINT64_C(1) << 62) - 1);
    assert_int_equal(r.total_samples, UINT64_MAX - 3);
    /* A ramp 1 -> 2 over 2^64 - 1 samples: per increment (double)(2^64 - 1)
     * = 2^64, so batches of 1 while (double)c < 2^64, i.e. c <= 2^64 - 1025
     * (2^64 - 1024 rounds to even, up), then batches of 2. Over 2^64 - 3
     * samples the last iteration ends at 2^64 - 2: it fits; over 2^64 - 2 it
     * would end at 2^64: one over. */
    prq = tu_request(UINT64_MAX - 2, 2, 1, 0, 1);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    rq.start_global_batch = 1;
    rq.increment = 1;
    assert_int_equal(trainest_rampup_compute(&r, &prq, &rq, NULL), TRAINEST_OK);
    assert_int_equal(r.rampup_steps, (UINT64_MAX - 1023) + 511);
    assert_int_equal(r.rampup_samples, UINT64_MAX - 1);
    assert_int_equal(r.steps_after, 0);
    prq.samples = UINT64_MAX - 1;
    assert_int_equal(trainest_rampup_compute(&r, &prq, &rq, NULL), TRAINEST_E_OVERFLOW);
    assert_int_equal(r.invalid_field, TRAINEST_FIELD_RAMPUP_SAMPLES);
}

/* Found by test_edges (the ETA table): the tracker handed the failure
 * model job_mtbf_s / 3600 hours, which is 0 for an MTBF below about
 * 9e-321 s; 0 hours means "never fails", so a job failing every 5e-324 s
 * got a report without any failure cost. Like the smallest MTBF the
 * failure model refuses (test_regression_failure_subnormal_mtbf), it is
 * now OUT_OF_RANGE, blamed on job_mtbf_s. */
static void test_regression_eta_subnormal_job_mtbf(void **state)
{
    (void)state;
    trainest_eta_config c;
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 10000;
    c.job_mtbf_s = 4.9406564584124654e-324;
    c.checkpoint_write_s = 60;
    trainest_eta e;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_OK);
    assert_int_equal(trainest_eta_update(&e, 0.5, 64), TRAINEST_OK);
    trainest_eta_report r;
    r.struct_size = sizeof r;
    assert_int_equal(trainest_eta_report_compute(&r, &e, 0), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(r.invalid_field, TRAINEST_FIELD_JOB_MTBF_S);
    assert_true(r.remaining_s == 0);
    /* the next MTBF up that is not 0 in hours said the same already */
    c.job_mtbf_s = 1e-320;
    assert_int_equal(trainest_eta_init(&e, sizeof e, &c), TRAINEST_OK);
    assert_int_equal(trainest_eta_update(&e, 0.5, 64), TRAINEST_OK);
    assert_int_equal(trainest_eta_report_compute(&r, &e, 0), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(r.invalid_field, TRAINEST_FIELD_JOB_MTBF_S);
}

/* Found by the memory fuzz target (corpus/memory/regress-in-flight-wrap,
 * fixed in 722f899): memory_for_plan() multiplied out the micro-batches in
 * flight, held x (PP v + PP - 1) / (PP v), in 64 bits. With PP 2^24 and
 * v 2^35 the numerator wrapped: 1/2048 micro-batches in flight instead of
 * 2^24, and activations underestimated by as much. */
static void test_regression_memory_for_plan_in_flight_wrap(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.activation_bytes_per_sample = 65536;
    mrq.device_memory_bytes = 50331648; /* 48 MiB */
    trainest_plan_request prq = tu_request(300000000, 6 * (UINT64_C(1) << 24), 1, 0, 1);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    prq.tensor_parallel = 8;
    prq.pipeline_parallel = UINT64_C(1) << 24;
    prq.virtual_stages = UINT64_C(1) << 35;
    prq.seq_len_tokens = 2048;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_for_plan(&m, &mrq, &prq), TRAINEST_OK);
    /* min(PP, 6 x 2^24 micro-batches) x (1 + (2^24 - 1) / 2^59) in flight */
    assert_true(m.micro_batches_in_flight > 16777216 && m.micro_batches_in_flight < 16777216.001);
    /* 2^16 bytes a micro-batch over TP x PP = 2^27 devices: 1 byte rounded
     * up alone, 8192 and a sliver (8193) for those in flight */
    assert_int_equal(m.activation_bytes_per_micro_batch, 1);
    assert_int_equal(m.activation_bytes, 8193);
    /* a micro-batch of 6144 needs 48 MiB and the sliver: 6143 fit */
    assert_int_equal(m.max_micro_batch, 6143);
}

/* Found by test_loader's pass-by-pass check of every preset (0.7.0):
 * Megatron with fewer samples than a global batch plans no micro-step in
 * its first epoch (its iterations come from samples x epochs), and
 * TRAINEST_DATA_MODE_WORKERS cut the run into passes of that many
 * micro-batches, none: no data stall at all, however slow the workers.
 * Such a run is read in one pass. */
static void test_regression_workers_stall_without_steps_in_an_epoch(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(100, 128, 4, 0, 1);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    prq.epochs = 3;
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &prq), TRAINEST_OK);
    assert_int_equal(p.micro_steps_per_epoch, 0);
    assert_int_equal(p.total_micro_steps, 64); /* 300 // 128 = 2 iterations of 32 */
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.per_sample_s = 0.001; /* c = 4 ms per micro-batch */
    rq.data_mode = TRAINEST_DATA_MODE_WORKERS;
    rq.data_workers = 4;
    rq.data_worker_startup_s = 1;
    rq.data_samples_per_s_per_worker = 10; /* 0.4 s per micro-batch of 4 */
    trainest_estimate e;
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(&e, &prq, &rq), TRAINEST_OK);
    /* the last worker's 16th micro-batch (k = 63): 4 s + 16 x 0.4 s - 63 c */
    assert_close(e.data_stall_s, 4 + 16 * 0.4 - 63 * 0.004, 1e-12);
    assert_close(e.total_s, 64 * 0.004 + e.data_stall_s, 1e-12);
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
        cmocka_unit_test(test_regression_suggest_terminates_at_uint64_max),
        cmocka_unit_test(test_regression_fit_element_larger_than_stride),
        cmocka_unit_test(test_regression_search_results_of_the_0_3_size),
        cmocka_unit_test(test_regression_search_layout_product_wraps),
        cmocka_unit_test(test_regression_failure_subnormal_mtbf),
        cmocka_unit_test(test_regression_eta_report_failure_model_error_zeroes),
        cmocka_unit_test(test_regression_memory_states_split_by_pipeline_too),
        cmocka_unit_test(test_regression_critical_memory_follows_layout),
        cmocka_unit_test(test_regression_suggest_interleaved_pipeline),
        cmocka_unit_test(test_regression_memory_in_flight_beyond_128_bits),
        cmocka_unit_test(test_regression_rampup_near_uint64_max_counts),
        cmocka_unit_test(test_regression_eta_subnormal_job_mtbf),
        cmocka_unit_test(test_regression_memory_for_plan_in_flight_wrap),
        cmocka_unit_test(test_regression_workers_stall_without_steps_in_an_epoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
