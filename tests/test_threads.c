/* SPDX-License-Identifier: MIT */
/* Thread safety: every public function, called from 8 threads at once on
 * shared read-only inputs, gives exactly the single-threaded results. CI
 * also runs this under ThreadSanitizer, which reports any data race. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

enum { THREADS = 8, ROUNDS = 20 };

/* Inputs, built once and then only read. */
static struct inputs {
    trainest_plan_request plan, bad_plan, mp_plan, megatron;
    trainest_estimate_request time;
    trainest_memory_request memory;
    trainest_search_request search;
    trainest_step_observation obs[12];
    trainest_memory_point points[4];
    trainest_failure_request failure;
    trainest_rampup_request ramp;
    trainest_critical_request critical;
    trainest_eta_config eta_config;
    trainest_eta eta; /* a tracker with history, reported on concurrently */
    trainest_estimate_request workers; /* TRAINEST_DATA_MODE_WORKERS (0.7) */
    trainest_loader_observation loader_obs[4];
} in;

/* Everything one call sequence produces. Outputs are zeroed first so that
 * padding compares equal. */
struct results {
    uint32_t version;
    const char *strings[8];
    uint32_t sizes[30];
    int status[40];
    trainest_plan_request plan_request_init;
    trainest_estimate_request estimate_request_init;
    trainest_memory_request memory_request_init;
    trainest_failure_request failure_request_init;
    trainest_search_request search_request_init;
    trainest_rampup_request rampup_request_init;
    trainest_critical_request critical_request_init;
    trainest_calibration_request calibration_request_init;
    trainest_eta_config eta_config_init;
    trainest_step_observation observation;
    trainest_memory_point point;
    trainest_loader_observation loader_observation;
    trainest_plan plan, bad_plan;
    trainest_plan_suggestion suggestions[8];
    trainest_layout_suggestion layouts[8];
    uint32_t counts[6];
    trainest_estimate estimate, mp_estimate, workers_estimate;
    trainest_step_fit fit;
    trainest_loader_fit loader_fit;
    trainest_tradeoff tradeoff;
    trainest_tradeoff_point tradeoff_points[16];
    trainest_memory memory, mp_memory;
    trainest_memory_fit memory_fit;
    trainest_search search;
    trainest_search_result search_results[8];
    trainest_failure failure;
    trainest_rampup rampup;
    trainest_critical critical;
    trainest_eta own_eta;
    trainest_eta_report own_report, shared_report;
};

#define OUT(x) (memset(&(x), 0, sizeof(x)), (x).struct_size = sizeof(x), &(x))

static void run_all(struct results *r)
{
    int k = 0;
    r->version = trainest_version();
    r->strings[0] = trainest_version_string();
    r->strings[1] = trainest_strerror(TRAINEST_E_BAD_LAYOUT);
    r->strings[2] = trainest_status_name(TRAINEST_E_NO_STEPS);
    r->strings[3] = trainest_field_name(TRAINEST_FIELD_LAYERS);
    r->strings[4] = trainest_strerror(12345);
    for (uint32_t id = 0; id < 30; id++)
        r->sizes[id] = trainest_struct_size(id);
    r->status[k++] = trainest_plan_request_init(&r->plan_request_init, sizeof r->plan_request_init);
    r->status[k++] = trainest_estimate_request_init(&r->estimate_request_init,
                                                    sizeof r->estimate_request_init);
    r->status[k++] = trainest_memory_request_init(&r->memory_request_init,
                                                  sizeof r->memory_request_init);
    r->status[k++] = trainest_failure_request_init(&r->failure_request_init,
                                                   sizeof r->failure_request_init);
    r->status[k++] = trainest_search_request_init(&r->search_request_init,
                                                  sizeof r->search_request_init);
    r->status[k++] = trainest_rampup_request_init(&r->rampup_request_init,
                                                  sizeof r->rampup_request_init);
    r->status[k++] = trainest_critical_request_init(&r->critical_request_init,
                                                    sizeof r->critical_request_init);
    r->status[k++] = trainest_calibration_request_init(&r->calibration_request_init,
                                                       sizeof r->calibration_request_init);
    r->status[k++] = trainest_eta_config_init(&r->eta_config_init, sizeof r->eta_config_init);
    r->status[k++] = trainest_plan_compute(OUT(r->plan), &in.plan);
    r->status[k++] = trainest_plan_compute(OUT(r->bad_plan), &in.bad_plan);
    (void)OUT(r->suggestions[0]);
    r->status[k++] = trainest_plan_suggest(r->suggestions, 8, &r->counts[0], &in.bad_plan);
    trainest_plan_request layout = in.mp_plan;
    layout.devices = 100;
    (void)OUT(r->layouts[0]);
    r->status[k++] = trainest_layout_suggest(r->layouts, 8, &r->counts[1], &layout);
    r->status[k++] = trainest_estimate_run(OUT(r->estimate), &in.plan, &in.time);
    r->status[k++] = trainest_estimate_run(OUT(r->mp_estimate), &in.mp_plan, &in.time);
    r->status[k++] = trainest_step_calibrate(OUT(r->fit), in.obs, 12, NULL);
    (void)OUT(r->tradeoff_points[0]);
    r->status[k++] = trainest_tradeoff_compute(OUT(r->tradeoff), r->tradeoff_points, 16,
                                               &r->counts[2], &in.plan, &in.time);
    r->status[k++] = trainest_memory_compute(OUT(r->memory), &in.memory, 8, 4);
    r->status[k++] = trainest_memory_for_plan(OUT(r->mp_memory), &in.memory, &in.mp_plan);
    r->status[k++] = trainest_memory_calibrate(OUT(r->memory_fit), in.points, 4);
    (void)OUT(r->search_results[0]);
    r->status[k++] = trainest_search_run(OUT(r->search), r->search_results, 8, &r->counts[3],
                                         &in.plan, &in.time, &in.memory, &in.search);
    r->status[k++] = trainest_failure_compute(OUT(r->failure), &in.failure);
    r->status[k++] = trainest_rampup_compute(OUT(r->rampup), &in.megatron, &in.ramp, &in.time);
    r->status[k++] = trainest_critical_compute(OUT(r->critical), &in.plan, &in.time, &in.memory,
                                               &in.critical);
    memset(&r->own_eta, 0, sizeof r->own_eta);
    r->status[k++] = trainest_eta_init(&r->own_eta, sizeof r->own_eta, &in.eta_config);
    r->status[k++] = trainest_eta_set_samples(&r->own_eta, 100000, 0);
    r->status[k++] = trainest_step_observation_init(&r->observation, sizeof r->observation);
    r->status[k++] = trainest_memory_point_init(&r->point, sizeof r->point);
    r->status[k++] = trainest_loader_observation_init(&r->loader_observation,
                                                      sizeof r->loader_observation);
    r->status[k++] = trainest_loader_calibrate(OUT(r->loader_fit), in.loader_obs, 4);
    r->status[k++] = trainest_estimate_run(OUT(r->workers_estimate), &in.plan, &in.workers);
    for (int i = 0; i < 50; i++)
        r->status[k] |= trainest_eta_update(&r->own_eta, 1.0 + 0.01 * (i % 5), 16);
    k++;
    r->status[k++] = trainest_eta_report_compute(OUT(r->own_report), &r->own_eta, 1000);
    r->status[k++] = trainest_eta_report_compute(OUT(r->shared_report), &in.eta, 1000);
    if ((size_t)k > sizeof r->status / sizeof r->status[0])
        abort(); /* more calls than status slots */
}

static void build_inputs(void)
{
    in.plan = tu_request(20000, 96, 0, 0, 2);
    in.plan.seq_len_tokens = 512;
    in.plan.epochs = 2;
    in.bad_plan = tu_request(20000, 10, 3, 0, 1);
    in.mp_plan = tu_request(20000, 64, 2, 0, 1);
    in.mp_plan.devices = 32;
    in.mp_plan.tensor_parallel = 4;
    in.mp_plan.pipeline_parallel = 4;
    in.mp_plan.layers = 16;
    in.mp_plan.hidden = 1024;
    in.mp_plan.attention_heads = 16;
    in.mp_plan.seq_len_tokens = 512;
    in.megatron = tu_request(50000, 64, 2, 0, 2);
    in.megatron.preset = TRAINEST_PRESET_MEGATRON;
    trainest_estimate_request_init(&in.time, sizeof in.time);
    in.time.floor_s = 0.01;
    in.time.fixed_s = 0.004;
    in.time.per_sample_s = 0.002;
    in.time.launch_lag_s = 0.002;
    in.time.optimizer_s = 0.003;
    in.time.grad_bytes = 10000000;
    in.time.bus_bytes_per_s = 1e11;
    in.time.data_samples_per_s = 3000;
    in.workers = in.time;
    in.workers.data_mode = TRAINEST_DATA_MODE_WORKERS;
    in.workers.data_samples_per_s = 0;
    in.workers.data_samples_per_s_per_worker = 500;
    in.workers.data_workers = 6;
    in.workers.data_worker_startup_s = 0.2;
    /* loader-only epochs: 4 and 12 workers over 32 batches of 128, timed
     * by the model at s = 0.2 s and 500 samples/s per worker, and two with
     * a partial last batch, timed roughly */
    const uint64_t lw[4] = {4, 12, 2, 3}, lb[4] = {128, 128, 100, 64}, ln[4] = {4096, 4096, 1234, 1000};
    const double ls[4] = {4 * 0.2 + 8 * 0.256, 12 * 0.2 + 2 * 0.256, 2.8, 2.5};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(trainest_loader_observation_init(&in.loader_obs[i], sizeof in.loader_obs[i]),
                         TRAINEST_OK);
        in.loader_obs[i].workers = lw[i];
        in.loader_obs[i].batch_size = lb[i];
        in.loader_obs[i].samples = ln[i];
        in.loader_obs[i].seconds = ls[i];
    }
    trainest_memory_request_init(&in.memory, sizeof in.memory);
    in.memory.params = 10000000;
    in.memory.activation_bytes_per_sample = 20000000;
    in.memory.device_memory_bytes = 2000000000;
    trainest_search_request_init(&in.search, sizeof in.search);
    in.search.global_batch_min = 32;
    in.search.global_batch_max = 96;
    in.search.global_batch_step = 32;
    in.search.max_devices = 4;
    for (int i = 0; i < 12; i++) {
        memset(&in.obs[i], 0, sizeof in.obs[i]);
        in.obs[i].struct_size = sizeof in.obs[i];
        in.obs[i].micro_batch = 1u << (i % 6);
        in.obs[i].grad_accum_steps = 1 + i / 6;
        double m = (double)in.obs[i].micro_batch, a = (double)in.obs[i].grad_accum_steps;
        in.obs[i].step_s = a * (0.004 + 0.002 * m) + 0.003;
    }
    for (int i = 0; i < 4; i++) {
        memset(&in.points[i], 0, sizeof in.points[i]);
        in.points[i].struct_size = sizeof in.points[i];
        in.points[i].micro_batch = 1u << i;
        in.points[i].peak_bytes = 1000000 + 250000 * (1u << i);
    }
    trainest_failure_request_init(&in.failure, sizeof in.failure);
    in.failure.work_s = 1e6;
    in.failure.devices = 512;
    in.failure.mtbf_hours_per_device = 20000;
    in.failure.checkpoint_write_s = 30;
    in.failure.restart_s = 300;
    trainest_rampup_request_init(&in.ramp, sizeof in.ramp);
    in.ramp.start_global_batch = 16;
    in.ramp.increment = 16;
    in.ramp.ramp_samples = 5000;
    trainest_critical_request_init(&in.critical, sizeof in.critical);
    in.critical.noise_scale = 500;
    in.critical.min_steps = 2000;
    trainest_eta_config_init(&in.eta_config, sizeof in.eta_config);
    in.eta_config.total_steps = 5000;
    in.eta_config.job_mtbf_s = 7200;
    in.eta_config.checkpoint_write_s = 20;
    assert_int_equal(trainest_eta_init(&in.eta, sizeof in.eta, &in.eta_config), TRAINEST_OK);
    for (int i = 0; i < 300; i++)
        assert_int_equal(trainest_eta_update(&in.eta, 1.0 + 0.002 * (i % 9), 32), TRAINEST_OK);
}

static struct results reference;
static struct results per_thread[THREADS];
static int mismatches[THREADS];

static void *worker(void *arg)
{
    const int t = (int)(intptr_t)arg;
    for (int round = 0; round < ROUNDS; round++) {
        run_all(&per_thread[t]);
        if (memcmp(&per_thread[t], &reference, sizeof reference) != 0)
            mismatches[t]++;
    }
    return NULL;
}

static void test_threads_every_function_concurrently(void **state)
{
    (void)state;
    build_inputs();
    memset(&reference, 0, sizeof reference);
    run_all(&reference);
    /* the inputs are sound: every call but the deliberate error succeeded */
    for (int i = 0; i < 40; i++)
        if (i != 10)
            assert_int_equal(reference.status[i], TRAINEST_OK);
    assert_int_equal(reference.status[10], TRAINEST_E_NOT_DIVISIBLE);
    assert_true(reference.search.feasible > 0 && reference.counts[0] > 0);
    assert_true(reference.workers_estimate.data_stall_s > 0 &&
                reference.loader_fit.worker_startup_s > 0);
    memset(per_thread, 0, sizeof per_thread);
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, worker, (void *)(intptr_t)t), 0);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(pthread_join(threads[t], NULL), 0);
    for (int t = 0; t < THREADS; t++)
        assert_int_equal(mismatches[t], 0);
    /* and the shared tracker was only read */
    trainest_eta_report r;
    (void)OUT(r);
    assert_int_equal(trainest_eta_report_compute(&r, &in.eta, 1000), TRAINEST_OK);
    assert_memory_equal(&r, &reference.shared_report, sizeof r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_every_function_concurrently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
