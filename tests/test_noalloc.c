/* SPDX-License-Identifier: MIT */
/* The compute paths never touch the heap. This executable defines malloc,
 * calloc, realloc, free, aligned_alloc and posix_memalign itself, so every
 * call the statically linked library could make lands here; they count
 * while a window is open and forward to glibc's implementations. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "testutil.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static volatile int counting;
static volatile unsigned long heap_calls;

static void count(void)
{
    if (counting)
        heap_calls++;
}

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
    count();
    return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

void free(void *p)
{
    count();
    __libc_free(p);
}

void *aligned_alloc(size_t a, size_t n)
{
    count();
    return __libc_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
    count();
    *out = __libc_memalign(a, n);
    return *out ? 0 : 12;
}

static void open_window(void)
{
    heap_calls = 0;
    counting = 1;
}

static unsigned long close_window(void)
{
    counting = 0;
    return heap_calls;
}

/* The counter works: a real allocation inside a window is seen. */
static void test_noalloc_counter_sees_allocations(void **state)
{
    (void)state;
    open_window();
    void *volatile p = malloc(64);
    free(p);
    assert_int_equal(close_window(), 2);
}

/* Every exported function, inside one counting window. */
static void test_noalloc_every_compute_path(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(100003, 0, 7, 3, 4);
    prq.epochs = 3;
    prq.seq_len_tokens = 1024;
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.floor_s = 0.02;
    erq.fixed_s = 0.004;
    erq.per_sample_s = 0.003;
    erq.grad_bytes = 1000000;
    erq.bus_bytes_per_s = 1e10;
    erq.data_samples_per_s = 1000;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 1000000;
    mrq.activation_bytes_per_sample = 100000;
    mrq.device_memory_bytes = 1000000000;
    trainest_search_request sr = {.struct_size = sizeof sr,
                                  .global_batch_min = 32,
                                  .global_batch_max = 256,
                                  .global_batch_step = 32,
                                  .max_devices = 8};
    trainest_step_observation obs[8];
    trainest_memory_point pts[4];
    for (int i = 0; i < 8; i++) {
        memset(&obs[i], 0, sizeof obs[i]);
        obs[i].struct_size = sizeof obs[i];
        obs[i].micro_batch = 1u << i;
        obs[i].grad_accum_steps = 1 + i % 2;
        obs[i].step_s = 0.01 + 0.001 * (1u << i) * (1 + i % 2);
    }
    for (int i = 0; i < 4; i++) {
        memset(&pts[i], 0, sizeof pts[i]);
        pts[i].struct_size = sizeof pts[i];
        pts[i].micro_batch = 1u << i;
        pts[i].peak_bytes = 1000 + 100 * (1u << i);
    }

    trainest_plan plan = {.struct_size = sizeof plan};
    trainest_plan_suggestion sug[8] = {{.struct_size = sizeof sug[0]}};
    trainest_estimate est = {.struct_size = sizeof est};
    trainest_step_fit sfit = {.struct_size = sizeof sfit};
    trainest_tradeoff tr = {.struct_size = sizeof tr};
    trainest_tradeoff_point tpts[8] = {{.struct_size = sizeof tpts[0]}};
    trainest_memory mem = {.struct_size = sizeof mem};
    trainest_memory_fit mfit = {.struct_size = sizeof mfit};
    trainest_search srch = {.struct_size = sizeof srch};
    trainest_search_result res[8] = {{.struct_size = sizeof res[0]}};
    uint32_t n;
    trainest_plan_request bad = tu_request(1000, 10, 3, 0, 1);
    trainest_failure_request frq;
    trainest_failure_request_init(&frq, sizeof frq);
    frq.work_s = 1e6;
    frq.devices = 1024;
    frq.mtbf_hours_per_device = 50000;
    frq.checkpoint_write_s = 20;
    frq.restart_s = 300;
    trainest_failure fail = {.struct_size = sizeof fail};
    trainest_plan_request mega = tu_request(100000, 64, 2, 0, 4);
    mega.preset = TRAINEST_PRESET_MEGATRON;
    trainest_rampup_request rrq = {sizeof rrq, 0, 16, 8, 5000};
    trainest_rampup ramp = {.struct_size = sizeof ramp};
    trainest_critical_request crq = {sizeof crq, 0, 256, 1000, 0, 0};
    trainest_critical crit = {.struct_size = sizeof crit};
    trainest_eta_config ecfg;
    trainest_eta eta;
    trainest_eta_report erep = {.struct_size = sizeof erep};
    trainest_plan_request prq2;
    trainest_estimate_request erq2;
    trainest_memory_request mrq2;
    trainest_failure_request frq2;
    trainest_search_request srq2;
    trainest_rampup_request rrq2;
    trainest_critical_request crq2;
    trainest_calibration_request calrq;
    trainest_layout_suggestion lsug[8] = {{.struct_size = sizeof lsug[0]}};
    trainest_plan_request mp = tu_request(100000, 0, 2, 4, 1);
    mp.devices = 96; /* DP 3 */
    mp.tensor_parallel = 8;
    mp.pipeline_parallel = 4;
    mp.layers = 32;
    mp.hidden = 4096;
    mp.attention_heads = 32;
    mp.seq_len_tokens = 2048;
    trainest_plan_request bad_layout = mp;
    bad_layout.devices = 100;
    trainest_memory mem_plan = {.struct_size = sizeof mem_plan};
    /* loader workers (0.7): the ResNet-50 loader-only epochs, and the model
     * they fit */
    trainest_loader_observation lobs[3] = {
        {sizeof lobs[0], 0, 4, 128, 4096, 1.8467},
        {sizeof lobs[0], 0, 12, 128, 4096, 1.9784},
        {sizeof lobs[0], 0, 2, 100, 1234, 1.9},
    };
    trainest_loader_fit lfit = {.struct_size = sizeof lfit};
    trainest_estimate west = {.struct_size = sizeof west};
    trainest_estimate_request wrq = erq;
    wrq.data_mode = TRAINEST_DATA_MODE_WORKERS;
    wrq.data_samples_per_s = 0;
    wrq.data_samples_per_s_per_worker = 790;
    wrq.data_workers = 12;
    wrq.data_worker_startup_s = 0.138;
    wrq.data_persistent_workers = 1;
    trainest_memory_request mrq_plan;
    trainest_memory_request_init(&mrq_plan, sizeof mrq_plan);
    mrq_plan.params = 7000000000;
    mrq_plan.zero_stage = 1;
    mrq_plan.device_memory_bytes = 80000000000;

    open_window();
    assert_int_equal(trainest_plan_request_init(&prq2, sizeof prq2), TRAINEST_OK);
    assert_int_equal(trainest_estimate_request_init(&erq2, sizeof erq2), TRAINEST_OK);
    assert_int_equal(trainest_memory_request_init(&mrq2, sizeof mrq2), TRAINEST_OK);
    assert_int_equal(trainest_failure_request_init(&frq2, sizeof frq2), TRAINEST_OK);
    assert_int_equal(trainest_search_request_init(&srq2, sizeof srq2), TRAINEST_OK);
    assert_int_equal(trainest_rampup_request_init(&rrq2, sizeof rrq2), TRAINEST_OK);
    assert_int_equal(trainest_critical_request_init(&crq2, sizeof crq2), TRAINEST_OK);
    assert_int_equal(trainest_calibration_request_init(&calrq, sizeof calrq), TRAINEST_OK);
    trainest_step_observation obs_init;
    trainest_memory_point pt_init;
    assert_int_equal(trainest_step_observation_init(&obs_init, sizeof obs_init), TRAINEST_OK);
    assert_int_equal(trainest_memory_point_init(&pt_init, sizeof pt_init), TRAINEST_OK);
    trainest_loader_observation lobs_init;
    assert_int_equal(trainest_loader_observation_init(&lobs_init, sizeof lobs_init), TRAINEST_OK);
    assert_int_equal(trainest_loader_calibrate(&lfit, lobs, 3), TRAINEST_OK);
    assert_int_equal(trainest_estimate_run(&west, &prq, &wrq), TRAINEST_OK);
    assert_int_equal(trainest_layout_suggest(lsug, 8, &n, &bad_layout), TRAINEST_OK);
    assert_true(n > 0);
    assert_int_equal(trainest_memory_for_plan(&mem_plan, &mrq_plan, &mp), TRAINEST_OK);
    assert_int_equal(trainest_plan_compute(&plan, &prq), TRAINEST_OK);
    assert_int_equal(trainest_plan_compute(&plan, &bad), TRAINEST_E_NOT_DIVISIBLE);
    assert_int_equal(trainest_plan_suggest(sug, 8, &n, &bad), TRAINEST_OK);
    assert_int_equal(trainest_estimate_run(&est, &prq, &erq), TRAINEST_OK);
    assert_int_equal(trainest_step_calibrate(&sfit, obs, 8, NULL), TRAINEST_OK);
    assert_int_equal(trainest_step_calibrate(&sfit, obs, 8, &calrq), TRAINEST_OK);
    prq.global_batch = 96;
    prq.micro_batch = prq.grad_accum_steps = 0;
    assert_int_equal(trainest_tradeoff_compute(&tr, tpts, 8, &n, &prq, &erq), TRAINEST_OK);
    assert_int_equal(trainest_memory_compute(&mem, &mrq, 16, 4), TRAINEST_OK);
    assert_int_equal(trainest_memory_calibrate(&mfit, pts, 4), TRAINEST_OK);
    assert_int_equal(trainest_search_run(&srch, res, 8, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(trainest_failure_compute(&fail, &frq), TRAINEST_OK);
    assert_int_equal(trainest_rampup_compute(&ramp, &mega, &rrq, &erq), TRAINEST_OK);
    assert_int_equal(trainest_critical_compute(&crit, &mega, &erq, &mrq, &crq), TRAINEST_OK);
    assert_int_equal(trainest_eta_config_init(&ecfg, sizeof ecfg), TRAINEST_OK);
    ecfg.total_steps = 1000;
    ecfg.job_mtbf_s = 3600;
    ecfg.checkpoint_write_s = 10;
    assert_int_equal(trainest_eta_init(&eta, sizeof eta, &ecfg), TRAINEST_OK);
    assert_int_equal(trainest_eta_set_samples(&eta, 8000, 0), TRAINEST_OK);
    for (int i = 0; i < 50; i++)
        assert_int_equal(trainest_eta_update(&eta, 1.0 + 0.01 * (i % 3), 8), TRAINEST_OK);
    assert_int_equal(trainest_eta_report_compute(&erep, &eta, 0), TRAINEST_OK);
    (void)trainest_strerror(TRAINEST_E_OVERFLOW);
    (void)trainest_status_name(TRAINEST_E_OVERFLOW);
    (void)trainest_field_name(TRAINEST_FIELD_SAMPLES);
    (void)trainest_version_string();
    (void)trainest_version();
    (void)trainest_struct_size(TRAINEST_STRUCT_ETA);
    assert_int_equal(close_window(), 0);
    assert_true(srch.feasible > 0);
    assert_true(lfit.worker_startup_s > 0 && west.data_stall_s > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noalloc_counter_sees_allocations),
        cmocka_unit_test(test_noalloc_every_compute_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
