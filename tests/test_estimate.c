/* SPDX-License-Identifier: MIT */
/* The run-time estimate (trainest_estimate_run) and the accumulation
 * trade-off (trainest_tradeoff_compute): a step-by-step brute-force
 * simulation of every policy, the breakdown identity, communication, data
 * modes, the analytic model, and every bad input.
 *
 * TRAINEST_TEST_QUICK=1 shrinks the exhaustive ranges (used under valgrind). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static bool quick(void)
{
    const char *q = getenv("TRAINEST_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

static trainest_estimate_request model(double floor_s, double fixed_s, double per_sample_s,
                                       double lag_s, double opt_s)
{
    trainest_estimate_request rq;
    assert_int_equal(trainest_estimate_request_init(&rq, sizeof rq), TRAINEST_OK);
    rq.floor_s = floor_s;
    rq.fixed_s = fixed_s;
    rq.per_sample_s = per_sample_s;
    rq.launch_lag_s = lag_s;
    rq.optimizer_s = opt_s;
    return rq;
}

static int estimate(trainest_estimate *e, const trainest_plan_request *prq,
                    const trainest_estimate_request *rq)
{
    memset(e, 0x5C, sizeof *e);
    e->struct_size = sizeof *e;
    return trainest_estimate_run(e, prq, rq);
}

static double breakdown(const trainest_estimate *e)
{
    return e->compute_s + e->optimizer_s + e->transfer_s + e->data_stall_s + e->comm_s +
           e->overhead_s;
}

/* ---- Brute force: time every step of the run ------------------------------ */

struct sim_time {
    double total, compute, optimizer, transfer, stall, comm;
};

static double dev(const trainest_estimate_request *rq, double s)
{
    return rq->fixed_s + rq->per_sample_s * s;
}

static void sim_step(struct sim_time *t, const trainest_estimate_request *rq, const double *sizes,
                     unsigned k, double comm)
{
    double host = k * rq->floor_s, d = rq->launch_lag_s, samples = 0;
    for (unsigned i = 0; i < k; i++) {
        d += dev(rq, sizes[i]);
        samples += sizes[i];
    }
    double compute = host > d ? host : d;
    double transfer = rq->h2d_bytes_per_sample ? samples * (double)rq->h2d_bytes_per_sample /
                                                     rq->h2d_bytes_per_s
                                               : 0;
    double stall = 0;
    if (rq->data_samples_per_s > 0) {
        double data = samples / rq->data_samples_per_s;
        double busy = compute + rq->optimizer_s + transfer + comm;
        stall = rq->data_mode == TRAINEST_DATA_MODE_SERIAL ? data : (data > busy ? data - busy : 0);
    }
    t->compute += compute;
    t->optimizer += rq->optimizer_s;
    t->transfer += transfer;
    t->comm += comm;
    t->stall += stall;
}

enum { MAX_MB = 4096 };

/* The plain preset's run, built micro-batch by micro-batch. */
static struct sim_time simulate(uint64_t N, uint64_t R, uint64_t m, uint64_t a, uint64_t E,
                                uint32_t sampler, bool keep, uint32_t tail,
                                const trainest_estimate_request *rq, double comm)
{
    static double seq[MAX_MB];
    struct sim_time t = {0, 0, 0, 0, 0, 0};
    uint64_t S = sampler == TRAINEST_SAMPLER_PAD ? (N + R - 1) / R : N / R;
    unsigned L = 0;
    double epoch[MAX_MB];
    for (uint64_t left = S; left >= m; left -= m)
        epoch[L++] = (double)m;
    if (S % m && keep)
        epoch[L++] = (double)(S % m);
    if (tail == TRAINEST_ACCUM_TAIL_DROP)
        L -= L % a;
    if (tail == TRAINEST_ACCUM_TAIL_CARRY) {
        unsigned n = 0;
        for (uint64_t e = 0; e < E; e++)
            for (unsigned i = 0; i < L; i++)
                seq[n++] = epoch[i];
        unsigned i = 0;
        for (; i + a <= n; i += a)
            sim_step(&t, rq, seq + i, (unsigned)a, comm);
        for (; i < n; i++) { /* the run's final window never steps */
            double c = fmax(rq->floor_s, dev(rq, seq[i]));
            t.compute += c;
            t.transfer += rq->h2d_bytes_per_sample
                              ? seq[i] * (double)rq->h2d_bytes_per_sample / rq->h2d_bytes_per_s
                              : 0;
            if (rq->data_samples_per_s > 0 && rq->data_mode == TRAINEST_DATA_MODE_SERIAL)
                t.stall += seq[i] / rq->data_samples_per_s;
        }
    } else {
        for (uint64_t e = 0; e < E; e++)
            for (unsigned i = 0; i < L; i += (unsigned)a)
                sim_step(&t, rq, epoch + i, (unsigned)(L - i < a ? L - i : a), comm);
    }
    t.total = t.compute + t.optimizer + t.transfer + t.stall + t.comm + rq->startup_s +
              (double)E * (rq->eval_s_per_epoch + rq->checkpoint_s * (double)rq->checkpoints_per_epoch);
    return t;
}

static void check_sim(uint64_t N, uint64_t R, uint64_t m, uint64_t a, uint64_t E, uint32_t sampler,
                      uint32_t loader, uint32_t tail, const trainest_estimate_request *rq)
{
    trainest_plan_request prq = tu_request(N, 0, m, a, R);
    prq.epochs = E;
    prq.sampler = sampler;
    prq.last_micro_batch = loader;
    prq.accum_tail = tail;
    trainest_estimate e;
    int st = estimate(&e, &prq, rq);
    if (st == TRAINEST_E_NO_STEPS)
        return;
    assert_int_equal(st, TRAINEST_OK);
    /* the all-reduce is the same every step */
    double comm = 0;
    if (R > 1 && rq->grad_bytes)
        comm = (2.0 * (double)(R - 1) / (double)R * (double)rq->grad_bytes / rq->bus_bytes_per_s +
                2.0 * (double)(R - 1) * rq->latency_s) *
               (1 - rq->comm_overlap_ratio);
    struct sim_time t = simulate(N, R, m, a, E, sampler, loader == TRAINEST_LAST_MICRO_BATCH_KEEP,
                                 tail, rq, comm);
    assert_close(e.total_s, t.total, 1e-9);
    assert_close(e.compute_s, t.compute, 1e-9);
    assert_close(e.optimizer_s, t.optimizer, 1e-9);
    assert_close(e.transfer_s, t.transfer, 1e-9);
    assert_close(e.comm_s, t.comm, 1e-9);
    assert_close(e.data_stall_s, t.stall, 1e-9);
    assert_close(breakdown(&e), e.total_s, 1e-12);
}

/* STEP and DROP tails: every step timed at its own size, whatever bounds
 * it (launch floor or device), matches exactly. */
static void test_estimate_matches_step_by_step_simulation(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0.020, 0.004, 0.0015, 0.003, 0.002);
    rq.h2d_bytes_per_sample = 1000;
    rq.h2d_bytes_per_s = 1e6;
    rq.grad_bytes = 1000000;
    rq.bus_bytes_per_s = 1e9;
    rq.latency_s = 1e-5;
    rq.comm_overlap_ratio = 0.25;
    rq.eval_s_per_epoch = 1.5;
    rq.checkpoint_s = 2;
    rq.checkpoints_per_epoch = 3;
    rq.startup_s = 10;
    const uint64_t maxN = quick() ? 40 : 130;
    for (uint32_t mode = 0; mode <= 1; mode++) {
        rq.data_mode = mode;
        rq.data_samples_per_s = mode ? 4000 : 700;
        for (uint64_t N = 1; N <= maxN; N += 3)
            for (uint64_t R = 1; R <= 4; R++)
                for (uint64_t m = 1; m <= 24; m += 5)
                    for (uint64_t a = 1; a <= 5; a++)
                        for (uint32_t smp = 1; smp <= 2; smp++)
                            for (uint32_t l = 1; l <= 2; l++)
                                for (uint32_t t = 1; t <= 2; t++)
                                    check_sim(N, R, m, a, 1 + N % 3, smp, l, t, &rq);
    }
}

/* CARRY: windows straddle epochs; exact whenever every window is bound by
 * the same resource (here: always the device, then always the launch). */
static void test_estimate_carry_matches_simulation(void **state)
{
    (void)state;
    trainest_estimate_request dev_bound = model(0, 0.004, 0.0015, 0.003, 0.002);
    trainest_estimate_request host_bound = model(1.0, 0.004, 0.0015, 0.003, 0.002);
    trainest_estimate_request *models[] = {&dev_bound, &host_bound};
    for (int i = 0; i < 2; i++) {
        models[i]->h2d_bytes_per_sample = 100;
        models[i]->h2d_bytes_per_s = 1e5;
        for (uint64_t N = 1; N <= 90; N += 2)
            for (uint64_t R = 1; R <= 3; R++)
                for (uint64_t m = 1; m <= 12; m += 3)
                    for (uint64_t a = 1; a <= 5; a++)
                        for (uint32_t l = 1; l <= 2; l++)
                            check_sim(N, R, m, a, 1 + N % 4, TRAINEST_SAMPLER_PAD, l,
                                      TRAINEST_ACCUM_TAIL_CARRY, models[i]);
    }
}

/* Megatron: every iteration is a full window of a micro-batches of m. */
static void test_estimate_megatron_stream(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0.01, 0.004, 0.0015, 0.003, 0.002);
    trainest_plan_request prq = tu_request(1000, 96, 4, 0, 2);
    prq.preset = TRAINEST_PRESET_MEGATRON;
    prq.epochs = 3;
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    /* 3000 // 96 = 31 iterations of a = 12 micro-batches of 4 */
    double step = fmax(12 * 0.01, 0.003 + 12 * (0.004 + 4 * 0.0015)) + 0.002;
    assert_close(e.total_s, 31 * step, 1e-12);
    assert_close(e.step_s, step, 1e-12);
}

/* ---- Named behaviours ----------------------------------------------------- */

static void test_estimate_seed_formula(void **state)
{
    (void)state;
    /* time = epochs x (samples / global batch) x step time */
    trainest_estimate_request rq = model(0, 0.001, 0.0002, 0, 0.003);
    trainest_plan_request prq = tu_request(1000, 10, 0, 2, 1);
    prq.epochs = 4;
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    const double step = 2 * (0.001 + 5 * 0.0002) + 0.003;
    assert_close(e.step_s, step, 1e-12);
    assert_close(e.total_s, 4 * 100 * step, 1e-12);
    assert_close(e.epoch_s, 100 * step, 1e-12);
    assert_close(e.micro_batch_s, 0.002, 1e-12);
    assert_close(e.samples_per_s, 4000 / e.total_s, 1e-12);
}

/* The measured partial epoch: 15 full steps and one of 16 + 16 + 8. */
static void test_estimate_partial_last_step_timed_by_its_size(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0, 0.005, 0.004, 0.002, 0.0019);
    trainest_plan_request prq = tu_request(1000, 64, 16, 0, 1);
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    const double full = 0.002 + 4 * (0.005 + 16 * 0.004) + 0.0019;
    const double last = 0.002 + 2 * (0.005 + 16 * 0.004) + (0.005 + 8 * 0.004) + 0.0019;
    assert_close(e.total_s, 15 * full + last, 1e-12);
}

static void test_estimate_launch_floor_and_lag(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(64, 0, 1, 32, 1);
    /* m = 1: launch-bound, 32 x floor + optimizer */
    trainest_estimate_request rq = model(0.018, 0.005, 0.004, 0.003, 0.002);
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.step_s, 32 * 0.018 + 0.002, 1e-12);
    assert_close(e.micro_batch_s, 0.018, 1e-12);
    /* m = 16: device-bound, the lag is paid once per step */
    prq = tu_request(64, 0, 16, 4, 1);
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.step_s, 0.003 + 4 * (0.005 + 16 * 0.004) + 0.002, 1e-12);
}

static void test_estimate_one_replica_has_zero_communication(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0, 0.01, 0.001, 0, 0.001);
    rq.grad_bytes = UINT64_C(500000000);
    rq.bus_bytes_per_s = 1e9;
    rq.latency_s = 0.001;
    trainest_plan_request prq = tu_request(1000, 32, 8, 0, 1);
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_true(e.comm_s == 0.0 && e.step_comm_s == 0.0);
    /* no bandwidth needed either */
    rq.bus_bytes_per_s = 0;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_true(e.comm_s == 0.0);
}

static void test_estimate_ring_allreduce(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0, 0.01, 0.001, 0, 0.001);
    rq.grad_bytes = UINT64_C(400000000);
    rq.bus_bytes_per_s = 1e11;
    rq.inter_node_bytes_per_s = 1e10;
    rq.latency_s = 1e-5;
    rq.devices_per_node = 8;
    trainest_estimate e;
    /* R = 4 within a node: 2 * 3 / 4 * B / bus + 6 latencies */
    trainest_plan_request prq = tu_request(100000, 64, 4, 0, 4);
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    double t4 = 1.5 * 4e8 / 1e11 + 6e-5;
    assert_close(e.step_comm_s, t4, 1e-12);
    /* R = 16 over two nodes: the ring runs at the inter-node bandwidth */
    prq = tu_request(100000, 64, 4, 0, 16);
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.step_comm_s, 2.0 * 15 / 16 * 4e8 / 1e10 + 30e-5, 1e-12);
    /* half of it hidden behind the backward pass */
    rq.comm_overlap_ratio = 0.5;
    prq = tu_request(100000, 64, 4, 0, 4);
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.step_comm_s, t4 / 2, 1e-12);
    /* 25000 samples per replica: 6250 micro-batches, 1563 steps (the last of 2) */
    assert_close(e.comm_s, e.step_comm_s * 1563, 1e-12);
}

static void test_estimate_data_serial_vs_overlap(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0, 0.01, 0.001, 0, 0.002);
    trainest_plan_request prq = tu_request(4096, 128, 128, 0, 1);
    trainest_estimate e_none, e_ser, e_ovl;
    assert_int_equal(estimate(&e_none, &prq, &rq), TRAINEST_OK);
    rq.data_samples_per_s = 2000; /* 64 ms of data per step, 140 ms of compute */
    rq.data_mode = TRAINEST_DATA_MODE_SERIAL;
    assert_int_equal(estimate(&e_ser, &prq, &rq), TRAINEST_OK);
    rq.data_mode = TRAINEST_DATA_MODE_OVERLAP;
    assert_int_equal(estimate(&e_ovl, &prq, &rq), TRAINEST_OK);
    assert_close(e_ser.data_stall_s, 32 * 0.064, 1e-12);
    assert_close(e_ser.total_s, e_none.total_s + 32 * 0.064, 1e-12);
    assert_true(e_ovl.data_stall_s == 0.0); /* compute hides the data */
    assert_close(e_ovl.total_s, e_none.total_s, 1e-12);
    /* a slow pipeline: overlap pays only the difference */
    rq.data_samples_per_s = 500; /* 256 ms per step */
    assert_int_equal(estimate(&e_ovl, &prq, &rq), TRAINEST_OK);
    assert_close(e_ovl.step_s, 0.256, 1e-12);
    assert_close(e_ovl.data_stall_s, 32 * (0.256 - 0.140), 1e-9);
    /* per-worker rate times workers is the same pipeline */
    rq.data_samples_per_s = 0;
    rq.data_samples_per_s_per_worker = 125;
    rq.data_workers = 4;
    trainest_estimate e_w;
    assert_int_equal(estimate(&e_w, &prq, &rq), TRAINEST_OK);
    assert_close(e_w.total_s, e_ovl.total_s, 1e-12);
}

static void test_estimate_host_to_device_transfer(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0, 0.01, 0.001, 0, 0.002);
    rq.h2d_bytes_per_sample = 602112; /* a 224 x 224 float32 image */
    rq.h2d_bytes_per_s = 55.4e9;
    trainest_plan_request prq = tu_request(4096, 512, 512, 0, 1);
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.step_transfer_s, 512 * 602112 / 55.4e9, 1e-12); /* about 5.6 ms */
    assert_close(e.transfer_s, 8 * e.step_transfer_s, 1e-12);
}

static void test_estimate_analytic_flops(void **state)
{
    (void)state;
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    rq.params = 124439808;
    rq.peak_flops_per_s = 797e12;
    rq.efficiency_ratio = 0.4;
    trainest_plan_request prq = tu_request(1024, 32, 16, 0, 1);
    prq.seq_len_tokens = 1024;
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    const double F = 6.0 * 124439808 * 1024;
    assert_close(e.flops_per_sample, F, 1e-12);
    assert_close(e.per_sample_s, F / (797e12 * 0.4), 1e-12);
    /* no overheads: the MFU is the efficiency */
    assert_close(e.mfu_ratio, 0.4, 1e-12);
    assert_close(e.total_flops, F * 1024, 1e-12);
    assert_close(e.tokens_per_s, e.samples_per_s * 1024, 1e-12);
    rq.recompute = TRAINEST_RECOMPUTE_FULL;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.flops_per_sample, 8.0 * 124439808 * 1024, 1e-12);
    /* FLOPs per sample given directly, and tokens_per_sample over seq_len */
    rq.recompute = TRAINEST_RECOMPUTE_NONE;
    rq.params = 0;
    rq.flops_per_sample = 1e12;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.per_sample_s, 1e12 / (797e12 * 0.4), 1e-12);
}

static void test_estimate_efficiency_fitted_from_one_step(void **state)
{
    (void)state;
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    rq.flops_per_sample = 7.6e11;
    rq.peak_flops_per_s = 797e12;
    rq.optimizer_s = 0.002;
    rq.fixed_s = 0.005;
    rq.observed_step_s = 0.002 + 4 * (0.005 + 16 * 7.6e11 / (797e12 * 0.3));
    rq.observed_micro_batch = 16;
    rq.observed_grad_accum_steps = 4;
    trainest_plan_request prq = tu_request(1024, 32, 8, 0, 1);
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.efficiency_ratio, 0.3, 1e-12);
    /* faster than the peak allows */
    rq.observed_step_s = 0.002 + 4 * 0.005 + 1e-6;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(e.invalid_field, TRAINEST_FIELD_OBSERVED_STEP_S);
    /* launch-bound: says nothing about FLOPs */
    rq.floor_s = 1;
    rq.observed_step_s = 1;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_E_UNIDENTIFIABLE);
}

static void test_estimate_breakdown_sums_to_total(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0.02, 0.004, 0.001, 0.003, 0.002);
    rq.data_samples_per_s = 900;
    rq.h2d_bytes_per_sample = 5000;
    rq.h2d_bytes_per_s = 1e8;
    rq.grad_bytes = 123456789;
    rq.bus_bytes_per_s = 5e10;
    rq.eval_s_per_epoch = 12;
    rq.checkpoint_s = 7;
    rq.checkpoints_per_epoch = 2;
    rq.startup_s = 30;
    for (uint32_t preset = 0; preset <= TRAINEST_PRESET_LIGHTNING; preset++)
        for (uint64_t R = 1; R <= 8; R *= 2) {
            trainest_plan_request prq = tu_request(100003, 0, 7, 3, R);
            prq.preset = preset;
            prq.epochs = 3;
            trainest_estimate e;
            assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
            assert_close(breakdown(&e), e.total_s, 1e-12);
            assert_close(e.overhead_s, 3 * (12 + 14) + 30, 1e-12);
            assert_close(e.epoch_s, (e.total_s - 30) / 3, 1e-12);
            assert_true(e.total_s > 0 && isfinite(e.total_s));
        }
}

/* ---- Bad input ----------------------------------------------------------- */

static void expect_fail(const trainest_plan_request *prq, const trainest_estimate_request *rq,
                        int status, uint32_t field)
{
    trainest_estimate e;
    assert_int_equal(estimate(&e, prq, rq), status);
    assert_int_equal(e.invalid_field, field);
    assert_true(e.total_s == 0.0);
}

static void test_estimate_rejects_bad_doubles(void **state)
{
    (void)state;
    const struct {
        size_t offset;
        uint32_t field;
        bool ratio;
    } fields[] = {
#define F(name, fld, r) {offsetof(trainest_estimate_request, name), fld, r}
        F(floor_s, TRAINEST_FIELD_FLOOR_S, false),
        F(fixed_s, TRAINEST_FIELD_FIXED_S, false),
        F(per_sample_s, TRAINEST_FIELD_PER_SAMPLE_S, false),
        F(launch_lag_s, TRAINEST_FIELD_LAUNCH_LAG_S, false),
        F(optimizer_s, TRAINEST_FIELD_OPTIMIZER_S, false),
        F(flops_per_sample, TRAINEST_FIELD_FLOPS_PER_SAMPLE, false),
        F(peak_flops_per_s, TRAINEST_FIELD_PEAK_FLOPS_PER_S, false),
        F(efficiency_ratio, TRAINEST_FIELD_EFFICIENCY_RATIO, true),
        F(observed_step_s, TRAINEST_FIELD_OBSERVED_STEP_S, false),
        F(data_samples_per_s, TRAINEST_FIELD_DATA_SAMPLES_PER_S, false),
        F(data_samples_per_s_per_worker, TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER, false),
        F(h2d_bytes_per_s, TRAINEST_FIELD_H2D_BYTES_PER_S, false),
        F(bus_bytes_per_s, TRAINEST_FIELD_BUS_BYTES_PER_S, false),
        F(latency_s, TRAINEST_FIELD_LATENCY_S, false),
        F(inter_node_bytes_per_s, TRAINEST_FIELD_INTER_NODE_BYTES_PER_S, false),
        F(comm_overlap_ratio, TRAINEST_FIELD_COMM_OVERLAP_RATIO, true),
        F(eval_s_per_epoch, TRAINEST_FIELD_EVAL_S_PER_EPOCH, false),
        F(checkpoint_s, TRAINEST_FIELD_CHECKPOINT_S, false),
        F(startup_s, TRAINEST_FIELD_STARTUP_S, false),
#undef F
    };
    const trainest_plan_request prq = tu_request(1000, 10, 0, 0, 1);
    const double nonfinite[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        trainest_estimate_request rq = model(0, 0.01, 0.001, 0, 0.001);
        double *v = (double *)(void *)((unsigned char *)&rq + fields[i].offset);
        for (size_t j = 0; j < 3; j++) {
            *v = nonfinite[j];
            expect_fail(&prq, &rq, TRAINEST_E_NOT_FINITE, fields[i].field);
        }
        *v = -1e-300;
        expect_fail(&prq, &rq, TRAINEST_E_OUT_OF_RANGE, fields[i].field);
        if (fields[i].ratio) {
            *v = 1.0000001;
            expect_fail(&prq, &rq, TRAINEST_E_OUT_OF_RANGE, fields[i].field);
        }
    }
}

static void test_estimate_rejects_bad_combinations(void **state)
{
    (void)state;
    const trainest_plan_request prq = tu_request(1000, 10, 0, 0, 1);
    trainest_estimate_request rq = model(0, 0, 0, 0, 0.001);
    expect_fail(&prq, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_PER_SAMPLE_S);
    rq = model(0, 0.01, 0.001, 0, 0);
    rq.step_source = 2;
    expect_fail(&prq, &rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_STEP_SOURCE);
    rq.step_source = 0;
    rq.data_mode = TRAINEST_DATA_MODE_WORKERS + 1;
    expect_fail(&prq, &rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_DATA_MODE);
    rq.data_mode = 0;
    rq.recompute = 9;
    expect_fail(&prq, &rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_RECOMPUTE);
    rq.recompute = 0;
    rq.data_samples_per_s = 10;
    rq.data_samples_per_s_per_worker = 10;
    expect_fail(&prq, &rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_SAMPLES_PER_S);
    rq.data_samples_per_s_per_worker = 0;
    rq.h2d_bytes_per_sample = 10;
    expect_fail(&prq, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_H2D_BYTES_PER_S);
    rq.h2d_bytes_per_sample = 0;
    rq.params = 100;
    rq.flops_per_sample = 100;
    expect_fail(&prq, &rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_FLOPS_PER_SAMPLE);
    /* gradients over 2 replicas need a bandwidth; over nodes the inter-node one */
    rq = model(0, 0.01, 0.001, 0, 0);
    rq.grad_bytes = 1000;
    const trainest_plan_request two = tu_request(1000, 10, 0, 0, 2);
    expect_fail(&two, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_BUS_BYTES_PER_S);
    rq.bus_bytes_per_s = 1e9;
    rq.devices_per_node = 1;
    expect_fail(&two, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_INTER_NODE_BYTES_PER_S);
    /* analytic needs FLOPs, a peak and an efficiency, and no per_sample_s */
    rq = model(0, 0, 0, 0, 0);
    rq.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    expect_fail(&prq, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_FLOPS_PER_SAMPLE);
    rq.params = 1000; /* but no tokens per sample and no seq_len */
    expect_fail(&prq, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_TOKENS_PER_SAMPLE);
    rq.tokens_per_sample = 10;
    expect_fail(&prq, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_PEAK_FLOPS_PER_S);
    rq.peak_flops_per_s = 1e12;
    expect_fail(&prq, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_EFFICIENCY_RATIO);
    rq.efficiency_ratio = 0.5;
    rq.per_sample_s = 1;
    expect_fail(&prq, &rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_PER_SAMPLE_S);
    /* plan errors come through with the plan's field */
    const trainest_plan_request bad = tu_request(1000, 10, 3, 0, 1);
    rq = model(0, 0.01, 0.001, 0, 0);
    expect_fail(&bad, &rq, TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
    /* a finite model whose time overflows the double range */
    trainest_plan_request huge = tu_request(UINT64_MAX / 2, 0, 1, 0, 1);
    rq = model(0, 0, 1e300, 0, 0);
    expect_fail(&huge, &rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_NONE);
}

static void test_estimate_struct_rules(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(1000, 10, 0, 0, 1);
    trainest_estimate_request rq = model(0, 0.01, 0.001, 0, 0);
    trainest_estimate e;
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(NULL, &prq, &rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_estimate_run(&e, NULL, &rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_estimate_run(&e, &prq, NULL), TRAINEST_E_NULL);
    e.struct_size = 8;
    assert_int_equal(trainest_estimate_run(&e, &prq, &rq), TRAINEST_E_STRUCT_SIZE);
    rq.struct_size = 100;
    expect_fail(&prq, &rq, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE);
    struct {
        trainest_estimate_request rq;
        double future;
    } big;
    memset(&big, 0, sizeof big);
    big.rq = model(0, 0.01, 0.001, 0, 0);
    big.rq.struct_size = sizeof big;
    assert_int_equal(estimate(&e, &prq, &big.rq), TRAINEST_OK);
    big.future = 1;
    expect_fail(&prq, &big.rq, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
    assert_int_equal(trainest_estimate_request_init(&rq, 16), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_estimate_request_init(NULL, sizeof rq), TRAINEST_E_NULL);
}

/* ---- The accumulation trade-off ------------------------------------------- */

static void test_tradeoff_lists_divisors_and_recommends_largest_fit(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0.018, 0.005, 0.004, 0.003, 0.002);
    trainest_plan_request prq = tu_request(1024, 96, 0, 0, 2); /* 48 per replica */
    prq.max_micro_batch = 16;
    trainest_tradeoff t;
    trainest_tradeoff_point pts[16];
    uint32_t n = 0;
    t.struct_size = sizeof t;
    pts[0].struct_size = sizeof pts[0];
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 16, &n, &prq, &rq), TRAINEST_OK);
    const uint64_t divisors[] = {1, 2, 3, 4, 6, 8, 12, 16, 24, 48};
    assert_int_equal(n, 10);
    assert_int_equal(t.candidates, 10);
    double best = INFINITY;
    uint64_t fastest = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(pts[i].micro_batch, divisors[i]);
        assert_int_equal(pts[i].grad_accum_steps, 48 / divisors[i]);
        assert_int_equal(pts[i].fits, divisors[i] <= 16);
        /* each point is exactly the estimate of that plan */
        trainest_plan_request one = tu_request(1024, 96, divisors[i], 0, 2);
        trainest_estimate e;
        assert_int_equal(estimate(&e, &one, &rq), TRAINEST_OK);
        assert_close(pts[i].total_s, e.total_s, 1e-15);
        assert_close(pts[i].step_s, e.step_s, 1e-15);
        if (pts[i].fits && pts[i].total_s <= best) {
            best = pts[i].total_s;
            fastest = pts[i].micro_batch;
        }
    }
    assert_int_equal(t.recommended_micro_batch, 16);
    assert_int_equal(t.recommended_grad_accum_steps, 3);
    assert_int_equal(t.fastest_micro_batch, fastest);
    assert_close(t.fastest_total_s, best, 0);
    /* more accumulation costs more here: the largest fit is the fastest */
    assert_int_equal(fastest, 16);
    /* a small array: the count is still complete */
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 3, &n, &prq, &rq), TRAINEST_OK);
    assert_int_equal(n, 3);
    assert_int_equal(t.candidates, 10);
    assert_int_equal(trainest_tradeoff_compute(&t, NULL, 0, &n, &prq, &rq), TRAINEST_OK);
    assert_int_equal(n, 0);
    assert_int_equal(t.recommended_micro_batch, 16);
}

static void test_tradeoff_errors(void **state)
{
    (void)state;
    trainest_estimate_request rq = model(0, 0.005, 0.004, 0, 0.002);
    trainest_tradeoff t;
    trainest_tradeoff_point pts[4];
    uint32_t n = 9;
    t.struct_size = sizeof t;
    pts[0].struct_size = sizeof pts[0];
    trainest_plan_request prq = tu_request(1024, 0, 0, 0, 2);
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 4, &n, &prq, &rq),
                     TRAINEST_E_UNDERSPECIFIED);
    assert_int_equal(n, 0);
    assert_int_equal(t.invalid_field, TRAINEST_FIELD_GLOBAL_BATCH);
    prq = tu_request(UINT64_MAX, UINT64_C(1) << 40, 0, 0, 1);
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 4, &n, &prq, &rq), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 4, NULL, &prq, &rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_tradeoff_compute(&t, NULL, 4, &n, &prq, &rq), TRAINEST_E_NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimate_matches_step_by_step_simulation),
        cmocka_unit_test(test_estimate_carry_matches_simulation),
        cmocka_unit_test(test_estimate_megatron_stream),
        cmocka_unit_test(test_estimate_seed_formula),
        cmocka_unit_test(test_estimate_partial_last_step_timed_by_its_size),
        cmocka_unit_test(test_estimate_launch_floor_and_lag),
        cmocka_unit_test(test_estimate_one_replica_has_zero_communication),
        cmocka_unit_test(test_estimate_ring_allreduce),
        cmocka_unit_test(test_estimate_data_serial_vs_overlap),
        cmocka_unit_test(test_estimate_host_to_device_transfer),
        cmocka_unit_test(test_estimate_analytic_flops),
        cmocka_unit_test(test_estimate_efficiency_fitted_from_one_step),
        cmocka_unit_test(test_estimate_breakdown_sums_to_total),
        cmocka_unit_test(test_estimate_rejects_bad_doubles),
        cmocka_unit_test(test_estimate_rejects_bad_combinations),
        cmocka_unit_test(test_estimate_struct_rules),
        cmocka_unit_test(test_tradeoff_lists_divisors_and_recommends_largest_fit),
        cmocka_unit_test(test_tradeoff_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
