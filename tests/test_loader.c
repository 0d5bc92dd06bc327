/* SPDX-License-Identifier: MIT */
/* Loader workers (0.7.0): TRAINEST_DATA_MODE_WORKERS and
 * trainest_loader_calibrate.
 *
 * The estimate is checked against an event simulation written here on its
 * own: W workers, each started at its turn and then building its
 * micro-batches one after another, a device that takes every micro-batch
 * in order as soon as it is ready and it is free. Exhaustive small ranges
 * of workers, batches, policies, epochs, start-ups and rates; the ResNet-50
 * figures of docs/time-model.md by hand; every validation status. The fit
 * is checked by recovering the parameters of loader-only epochs that the
 * same simulation times, with an outlier, and on every failure.
 *
 * TRAINEST_TEST_QUICK=1 shrinks the exhaustive ranges (used under valgrind). */
#include <float.h>
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

/* |actual - expected| <= tol * scale: for values that may be 0, compared
 * on the scale of the run they belong to. */
static void near_impl(double actual, double expected, double scale, double tol, const char *expr,
                      const char *file, int line)
{
    if (isfinite(actual) && fabs(actual - expected) <= tol * scale)
        return;
    print_error("%s = %.17g, expected %.17g (tolerance %g of %g)\n", expr, actual, expected, tol,
                scale);
    _fail(file, line);
}
#define assert_near(actual, expected, scale, tol)                                             \
    near_impl((actual), (expected), (scale), (tol), #actual, __FILE__, __LINE__)

static int estimate(trainest_estimate *e, const trainest_plan_request *prq,
                    const trainest_estimate_request *rq)
{
    memset(e, 0x5C, sizeof *e);
    e->struct_size = sizeof *e;
    return trainest_estimate_run(e, prq, rq);
}

/* ---- The simulation --------------------------------------------------------- */

enum { MAX_WORKERS = 64, MAX_MB = 512 };

/* One loader pass of n micro-batches of the given sizes, begun at the
 * device's clock *t (which it advances): worker j starts (j + 1) s after
 * the pass begins and builds micro-batches j, j + W, ... one after another,
 * u seconds per sample; the device takes micro-batch k when it is ready
 * and the device is free, and is then busy for step[k] (or c when step is
 * NULL). */
static void sim_pass(double *t, const double *sizes, unsigned n, unsigned W, double s, double u,
                     const double *step, double c)
{
    double free_at[MAX_WORKERS];
    const double start = *t;
    const unsigned busy_workers = W < n ? W : n;
    assert_true(busy_workers <= MAX_WORKERS);
    for (unsigned j = 0; j < busy_workers; j++)
        free_at[j] = start + (double)(j + 1) * s;
    for (unsigned k = 0; k < n; k++) {
        const unsigned j = k % W;
        free_at[j] += sizes[k] * u; /* micro-batch k is ready */
        if (free_at[j] > *t)
            *t = free_at[j];
        *t += step ? step[k] : c;
    }
}

/* The stall of E passes over an epoch of n micro-batches: the device's end
 * minus the time it was busy. */
static double sim_stall(const double *epoch, unsigned n, uint64_t E, unsigned W, double s,
                        double u, bool persistent, const double *step, double c)
{
    double t = 0, busy = 0;
    for (uint64_t e = 0; e < E; e++) {
        sim_pass(&t, epoch, n, W, e == 0 || !persistent ? s : 0, u, step, c);
        for (unsigned k = 0; k < n; k++)
            busy += step ? step[k] : c;
    }
    return t - busy;
}

/* The time a loader-only epoch ends: its last batch received (in order). */
static double sim_loader_epoch(uint64_t W, uint64_t batch_size, uint64_t samples, double s,
                               double u)
{
    static double sizes[4096];
    unsigned n = 0;
    for (uint64_t left = samples; left; left -= left < batch_size ? left : batch_size) {
        assert_true(n < sizeof sizes / sizeof sizes[0]);
        sizes[n++] = (double)(left < batch_size ? left : batch_size);
    }
    /* with a worker for every batch, the ones beyond them never matter */
    const uint64_t busy_workers = W < n ? W : n;
    assert_true(busy_workers <= MAX_WORKERS);
    double t = 0;
    sim_pass(&t, sizes, n, (unsigned)busy_workers, s, u, NULL, 0);
    return t;
}

/* ---- Estimate against the simulation ---------------------------------------- */

/* The compute model of the exhaustive test: device-bound (no launch floor,
 * no lag), an optimizer step, a host-to-device copy, and with two replicas
 * a gradient all-reduce. */
#define FIXED_S 0.002
#define PER_SAMPLE_S 0.0005
#define OPTIMIZER_S 0.003
#define H2D_S_PER_SAMPLE 1e-4 /* 1000 bytes at 1e7 bytes/s */
#define STARTUP_S 7.0
#define EVAL_S 0.5

static trainest_estimate_request workers_request(uint64_t W, double startup_s, double rate,
                                                 bool total_rate, uint32_t persistent)
{
    trainest_estimate_request rq;
    assert_int_equal(trainest_estimate_request_init(&rq, sizeof rq), TRAINEST_OK);
    rq.fixed_s = FIXED_S;
    rq.per_sample_s = PER_SAMPLE_S;
    rq.optimizer_s = OPTIMIZER_S;
    rq.h2d_bytes_per_sample = 1000;
    rq.h2d_bytes_per_s = 1e7;
    rq.grad_bytes = 1000000;
    rq.bus_bytes_per_s = 1e9;
    rq.startup_s = STARTUP_S;
    rq.eval_s_per_epoch = EVAL_S;
    rq.data_mode = TRAINEST_DATA_MODE_WORKERS;
    rq.data_workers = W;
    rq.data_worker_startup_s = startup_s;
    rq.data_persistent_workers = persistent;
    if (total_rate)
        rq.data_samples_per_s = rate;
    else
        rq.data_samples_per_s_per_worker = rate;
    return rq;
}

struct sim_case {
    uint64_t N, R, m, a, E;
    uint32_t sampler, loader, tail;
};

/* One replica's epoch under the plain preset, built from the policies:
 * the sampler's share, the loader's micro-batches, the accumulation tail.
 * Returns the number of micro-batches, and the optimizer steps of the run. */
static unsigned build_epoch(const struct sim_case *c, double *epoch, uint64_t *steps)
{
    const uint64_t S = c->sampler == TRAINEST_SAMPLER_PAD ? (c->N + c->R - 1) / c->R : c->N / c->R;
    unsigned L = 0;
    for (uint64_t left = S; left >= c->m; left -= c->m)
        epoch[L++] = (double)c->m;
    if (S % c->m && c->loader == TRAINEST_LAST_MICRO_BATCH_KEEP)
        epoch[L++] = (double)(S % c->m);
    if (c->tail == TRAINEST_ACCUM_TAIL_DROP)
        L -= L % (unsigned)c->a;
    if (c->tail == TRAINEST_ACCUM_TAIL_CARRY)
        *steps = c->E * L / c->a;
    else
        *steps = c->E * ((L + c->a - 1) / c->a);
    return L;
}

static void check_workers(const struct sim_case *c, const trainest_estimate_request *rq)
{
    trainest_plan_request prq = tu_request(c->N, 0, c->m, c->a, c->R);
    prq.epochs = c->E;
    prq.sampler = c->sampler;
    prq.last_micro_batch = c->loader;
    prq.accum_tail = c->tail;
    trainest_estimate e;
    const int st = estimate(&e, &prq, rq);
    double epoch[MAX_MB];
    uint64_t steps;
    const unsigned L = build_epoch(c, epoch, &steps);
    if (st == TRAINEST_E_NO_STEPS) {
        assert_true(steps == 0);
        return;
    }
    assert_int_equal(st, TRAINEST_OK);
    assert_true(L > 0 && steps > 0);
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &prq), TRAINEST_OK);
    assert_int_equal(p.total_micro_steps, c->E * L);

    /* the device's busy time, counted here */
    const double comm = c->R > 1 ? 2.0 * (double)(c->R - 1) / (double)c->R * 1e6 / 1e9 : 0;
    double busy = (double)steps * (OPTIMIZER_S + comm);
    for (unsigned k = 0; k < L; k++)
        busy += (double)c->E * (FIXED_S + (PER_SAMPLE_S + H2D_S_PER_SAMPLE) * epoch[k]);
    const double overhead = STARTUP_S + (double)c->E * EVAL_S;
    assert_close(e.total_s - e.data_stall_s - e.overhead_s, busy, 1e-9);
    assert_close(e.overhead_s, overhead, 1e-12);

    const double u = rq->data_samples_per_s_per_worker > 0 ? 1 / rq->data_samples_per_s_per_worker
                     : rq->data_samples_per_s > 0 ? (double)rq->data_workers / rq->data_samples_per_s
                                                  : 0;
    const double stall =
        sim_stall(epoch, L, c->E, (unsigned)rq->data_workers, rq->data_worker_startup_s, u,
                  rq->data_persistent_workers != 0, NULL, busy / (double)(c->E * L));
    assert_true(e.data_stall_s >= 0);
    assert_near(e.data_stall_s, stall, busy + stall, 1e-9);
    assert_close(e.total_s, busy + stall + overhead, 1e-9);

    /* the step figures: the steady state, OVERLAP at W / u samples/s */
    const double m = (double)c->m, a = (double)c->a;
    const double step_busy = a * (FIXED_S + (PER_SAMPLE_S + H2D_S_PER_SAMPLE) * m) + OPTIMIZER_S + comm;
    const double data = u > 0 ? a * m * u / (double)rq->data_workers : 0;
    assert_near(e.step_data_stall_s, data > step_busy ? data - step_busy : 0, step_busy, 1e-12);
    assert_close(e.step_s, data > step_busy ? data : step_busy, 1e-12);
}

/* The exhaustive comparison: W 1..6, both samplers, keep and drop the
 * partial micro-batch, every accumulation tail, 1..3 epochs, workers that
 * start again or persist, start-ups from 0, rates from unlimited, per
 * worker or for all of them, one and two replicas. */
static void test_loader_estimate_matches_event_simulation(void **state)
{
    (void)state;
    static const uint64_t Ns[] = {1, 5, 12, 29, 48, 61};
    static const uint64_t ms[] = {1, 4, 7};
    static const double startups[] = {0, 0.004, 0.09};
    static const struct {
        double rate;
        bool total;
    } rates[] = {{0, false}, {37.5, false}, {900, false}, {120, true}};
    const unsigned nN = quick() ? 3 : 6, maxW = quick() ? 3 : 6;
    unsigned cases = 0;
    for (unsigned W = 1; W <= maxW; W++)
        for (unsigned ri = 0; ri < 4; ri++)
            for (unsigned si = 0; si < 3; si++)
                for (uint32_t pers = 0; pers <= 1; pers++) {
                    const trainest_estimate_request rq = workers_request(
                        W, startups[si], rates[ri].rate, rates[ri].total, pers);
                    for (unsigned ni = 0; ni < nN; ni++)
                        for (unsigned mi = 0; mi < 3; mi++)
                            for (uint64_t a = 1; a <= 3; a++)
                                for (uint64_t R = 1; R <= 2; R++)
                                    for (uint32_t l = 1; l <= 2; l++)
                                        for (uint32_t t = 1; t <= 3; t++)
                                            for (uint64_t E = 1; E <= 3; E++) {
                                                const struct sim_case c = {
                                                    Ns[ni], R, ms[mi], a, E,
                                                    (W + ni) % 2 ? TRAINEST_SAMPLER_PAD
                                                                 : TRAINEST_SAMPLER_DROP,
                                                    l, t};
                                                check_workers(&c, &rq);
                                                cases++;
                                            }
                }
    assert_true(cases >= (quick() ? 10000u : 100000u));
}

/* With one micro-batch per step and no partial micro-batch, the run is a
 * sequence of identical steps: timing each micro-batch by its own step
 * (launch floor, lag, compute, optimizer, copy, all-reduce) is the model
 * exactly, whether the launch or the device sets the pace. */
static void test_loader_estimate_matches_per_step_simulation(void **state)
{
    (void)state;
    static const double floors[] = {0, 0.03};
    for (unsigned fi = 0; fi < 2; fi++)
        for (unsigned W = 1; W <= 6; W++)
            for (uint64_t R = 1; R <= 2; R++)
                for (uint64_t m = 2; m <= 8; m += 3)
                    for (uint64_t steps = 1; steps <= 13; steps += 3)
                        for (uint64_t E = 1; E <= 3; E++)
                            for (uint32_t pers = 0; pers <= 1; pers++) {
                                trainest_estimate_request rq =
                                    workers_request(W, 0.02, 150, false, pers);
                                rq.floor_s = floors[fi];
                                rq.launch_lag_s = 0.001;
                                trainest_plan_request prq = tu_request(steps * m * R, 0, m, 1, R);
                                prq.epochs = E;
                                trainest_estimate e;
                                assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
                                const double md = (double)m;
                                const double dev = 0.001 + FIXED_S + PER_SAMPLE_S * md;
                                const double comm = R > 1 ? 1e-3 : 0;
                                const double step = (dev > floors[fi] ? dev : floors[fi]) +
                                                    OPTIMIZER_S + H2D_S_PER_SAMPLE * md + comm;
                                double sizes[16], each[16];
                                for (unsigned k = 0; k < steps; k++) {
                                    sizes[k] = md;
                                    each[k] = step;
                                }
                                const double stall = sim_stall(sizes, (unsigned)steps, E, W, 0.02,
                                                               1.0 / 150, pers, each, 0);
                                const double busy = (double)(E * steps) * step;
                                assert_near(e.data_stall_s, stall, busy + stall, 1e-9);
                                assert_close(e.total_s, busy + stall + STARTUP_S + (double)E * EVAL_S,
                                             1e-9);
                            }
}

/* With several micro-batches per step, the even spread of the busy time
 * differs from timing each micro-batch by its own step (the optimizer step
 * and the all-reduce land on the step's last micro-batch): when the steps
 * divide the epoch, by at most one step's optimizer and all-reduce time per
 * pass (docs/time-model.md). */
static void test_loader_even_spread_within_one_step_of_per_step(void **state)
{
    (void)state;
    double worst = 0;
    for (unsigned W = 1; W <= 6; W++)
        for (uint64_t a = 2; a <= 4; a++)
            for (uint64_t steps = 1; steps <= 6; steps++)
                for (uint64_t E = 1; E <= 2; E++)
                    for (uint32_t pers = 0; pers <= 1; pers++)
                        for (int si = 0; si < 4; si++) {
                            const double s = 0.1 * si;
                            const uint64_t m = 4, L = a * steps;
                            trainest_estimate_request rq = workers_request(W, s, 300, false, pers);
                            trainest_plan_request prq = tu_request(L * m * 2, 0, m, a, 2);
                            prq.epochs = E;
                            trainest_estimate e;
                            assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
                            const double x = OPTIMIZER_S + 1e-3; /* optimizer + all-reduce */
                            double sizes[32], each[32];
                            for (unsigned k = 0; k < L; k++) {
                                sizes[k] = (double)m;
                                each[k] = FIXED_S + (PER_SAMPLE_S + H2D_S_PER_SAMPLE) * (double)m +
                                          (k % a == a - 1 ? x : 0);
                            }
                            const double stall = sim_stall(sizes, (unsigned)L, E, W, s, 1.0 / 300,
                                                           pers, each, 0);
                            const double diff = fabs(e.data_stall_s - stall);
                            assert_true(diff <= (double)E * x * (1 + 1e-9));
                            if (diff > worst)
                                worst = diff;
                        }
    /* and the two do differ: the bound is not vacuous */
    assert_true(worst > 1e-4);
}

/* Megatron: the run ends mid-epoch. Passes of the plan's micro-steps per
 * epoch and a shorter last one, each of full micro-batches. */
static void test_loader_estimate_run_ending_mid_epoch(void **state)
{
    (void)state;
    for (unsigned W = 1; W <= 5; W++)
        for (uint32_t pers = 0; pers <= 1; pers++)
            for (uint64_t E = 1; E <= 4; E++) {
                trainest_plan_request prq = tu_request(1000, 96, 4, 0, 2);
                prq.preset = TRAINEST_PRESET_MEGATRON;
                prq.epochs = E;
                trainest_plan p;
                assert_int_equal(tu_plan(&p, &prq), TRAINEST_OK);
                /* E * 1000 // 96 iterations of 12 micro-batches; 10 per epoch */
                assert_int_equal(p.micro_steps_per_epoch, 120);
                assert_int_equal(p.total_micro_steps, E * 1000 / 96 * 12);
                trainest_estimate_request rq = workers_request(W, 0.05, 80, false, pers);
                trainest_estimate e;
                assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
                const double busy = e.total_s - e.data_stall_s - e.overhead_s;
                const uint64_t M = p.total_micro_steps;
                static double sizes[MAX_MB];
                for (unsigned k = 0; k < MAX_MB; k++)
                    sizes[k] = 4;
                const double c = busy / (double)M;
                double t = 0;
                for (uint64_t done = 0, pass = 0; done < M; pass++) {
                    const uint64_t n = M - done < 120 ? M - done : 120;
                    sim_pass(&t, sizes, (unsigned)n, W, pass == 0 || !pers ? 0.05 : 0, 1.0 / 80,
                             NULL, c);
                    done += n;
                }
                assert_near(e.data_stall_s, t - busy, t, 1e-9);
                /* the busy time is the run's time with an unlimited pipeline */
                trainest_estimate_request free_rq = workers_request(1, 0, 0, false, 0);
                free_rq.data_mode = TRAINEST_DATA_MODE_OVERLAP;
                trainest_estimate f;
                assert_int_equal(estimate(&f, &prq, &free_rq), TRAINEST_OK);
                assert_close(busy, f.total_s - f.overhead_s, 1e-12);
            }
}

/* Every preset, in the model's own terms: passes of the plan's micro-steps
 * per epoch (the run's whole length if its first epoch holds none), the
 * last micro-batch of a whole pass of the plan's last size, a shorter last
 * pass of full micro-batches where the run ends mid-epoch (Megatron, the
 * older Hugging Face loop), the busy time that of an unlimited pipeline. */
static void test_loader_estimate_every_preset_in_passes(void **state)
{
    (void)state;
    static double sizes[MAX_MB];
    unsigned rest_passes = 0, cases = 0;
    for (uint32_t preset = TRAINEST_PRESET_PLAIN; preset <= TRAINEST_PRESET_LIGHTNING; preset++)
        for (uint64_t N = 7; N <= 70; N += quick() ? 21 : 9)
            for (uint64_t G = 4; G <= 24; G += 5)
                for (uint64_t R = 1; R <= 2; R++)
                    for (uint64_t E = 1; E <= 3; E++)
                        for (unsigned W = 1; W <= 4; W += 3)
                            for (uint32_t pers = 0; pers <= 1; pers++) {
                                trainest_plan_request prq = tu_request(N, G * R, 2, 0, R);
                                prq.preset = preset;
                                prq.epochs = E;
                                prq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
                                trainest_plan p;
                                if (tu_plan(&p, &prq) != TRAINEST_OK)
                                    continue;
                                const trainest_estimate_request rq =
                                    workers_request(W, 0.03, 60, false, pers);
                                trainest_estimate e, f;
                                assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
                                trainest_estimate_request free_rq = workers_request(1, 0, 0, false, 0);
                                free_rq.data_mode = TRAINEST_DATA_MODE_OVERLAP;
                                assert_int_equal(estimate(&f, &prq, &free_rq), TRAINEST_OK);
                                const double busy = f.total_s - f.overhead_s;
                                assert_close(e.total_s - e.data_stall_s - e.overhead_s, busy, 1e-12);
                                const uint64_t M = p.total_micro_steps;
                                const uint64_t per_pass = p.micro_steps_per_epoch ? p.micro_steps_per_epoch : M;
                                assert_true(per_pass <= MAX_MB);
                                const double c = busy / (double)M;
                                double t = 0;
                                for (uint64_t done = 0, pass = 0; done < M; pass++) {
                                    const uint64_t n = M - done < per_pass ? M - done : per_pass;
                                    for (unsigned k = 0; k < n; k++)
                                        sizes[k] = (double)p.micro_batch;
                                    if (n == per_pass)
                                        sizes[n - 1] = (double)p.last_micro_batch_samples;
                                    else
                                        rest_passes++;
                                    sim_pass(&t, sizes, (unsigned)n, W, pass == 0 || !pers ? 0.03 : 0,
                                             1.0 / 60, NULL, c);
                                    done += n;
                                }
                                assert_near(e.data_stall_s, t - busy, t, 1e-9);
                                cases++;
                            }
    assert_true(cases > 1000 && rest_passes > 100);
}

/* ---- The ResNet-50 figures (docs/time-model.md) ------------------------------ */

#define RN_S 0.137869
#define RN_RATE 790.238
#define RN_T (128 / RN_RATE) /* one worker's batch of 128 */

/* An epoch of 4096 samples, 32 micro-batches of 128, a compute time of c
 * per micro-batch (no optimizer or other time). */
static trainest_estimate resnet(uint64_t W, double c, uint64_t epochs, uint32_t persistent,
                                uint64_t samples)
{
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.per_sample_s = c / 128;
    rq.data_mode = TRAINEST_DATA_MODE_WORKERS;
    rq.data_workers = W;
    rq.data_worker_startup_s = RN_S;
    rq.data_samples_per_s_per_worker = RN_RATE;
    rq.data_persistent_workers = persistent;
    trainest_plan_request prq = tu_request(samples, 128, 128, 1, 1);
    prq.epochs = epochs;
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    return e;
}

static void test_loader_resnet50_figures(void **state)
{
    (void)state;
    /* a device that takes no time: the stall is the loader's epoch, the last
     * worker's second batch (k = 23) at 12 s + 2 T, less 23 c */
    const double tiny = 128e-12;
    trainest_estimate e12 = resnet(12, tiny, 1, 0, 4096);
    assert_close(e12.data_stall_s, 12 * RN_S + 2 * RN_T - 23 * tiny, 1e-12);
    assert_close(12 * RN_S + 2 * RN_T, 1.978, 1e-3); /* the loader-only epoch: 1.98 s */
    /* 4 workers: their eighth batches, the last one at 4 s + 8 T */
    trainest_estimate e4 = resnet(4, tiny, 1, 0, 4096);
    assert_close(e4.data_stall_s, 4 * RN_S + 8 * RN_T - 31 * tiny, 1e-12);
    assert_close(4 * RN_S + 8 * RN_T, 1.847, 1e-3); /* 1.85 s */
    /* the first batch alone is late by the first worker's start and batch */
    trainest_estimate one = resnet(12, tiny, 1, 0, 128);
    assert_close(one.data_stall_s, RN_S + RN_T, 1e-12);

    /* the measured compute, 31.4 ms per batch: with 12 workers the device
     * waits longest for the first round's last worker (k = 11); with 4,
     * for the last batch (k = 31) */
    const double c = 0.0314;
    e12 = resnet(12, c, 1, 0, 4096);
    e4 = resnet(4, c, 1, 0, 4096);
    assert_close(e12.data_stall_s, 12 * RN_S + RN_T - 11 * c, 1e-12);
    assert_close(e4.data_stall_s, 4 * RN_S + 8 * RN_T - 31 * c, 1e-12);
    assert_close(e12.total_s, 32 * c + 12 * RN_S + RN_T - 11 * c, 1e-12);
    assert_close(e12.total_s, 2.48, 0.01); /* measured 2.480 s */
    assert_close(e4.total_s, 1.88, 0.01);  /* measured 1.812 s, 1.880 s predicted */
    /* more workers, slower epoch */
    assert_true(e12.total_s > e4.total_s + 0.5);
    /* and the steady state is the other way round: 12 workers deliver a
     * batch every T / 12, 4 every T / 4, which is above the compute */
    assert_true(e12.step_data_stall_s == 0);
    assert_close(e4.step_data_stall_s, RN_T / 4 - c, 1e-12);

    /* two epochs: the workers start again, or persist and are all ready
     * (the second epoch then waits for the first worker's batch only) */
    trainest_estimate twice = resnet(12, c, 2, 0, 4096);
    trainest_estimate kept = resnet(12, c, 2, 1, 4096);
    assert_close(twice.data_stall_s, 2 * (12 * RN_S + RN_T - 11 * c), 1e-12);
    assert_close(kept.data_stall_s, 12 * RN_S + RN_T - 11 * c + RN_T, 1e-12);
}

/* ---- Validation -------------------------------------------------------------- */

static void expect_fail(const trainest_estimate_request *rq, int status, uint32_t field)
{
    const trainest_plan_request prq = tu_request(1000, 10, 0, 0, 1);
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, rq), status);
    assert_int_equal(e.invalid_field, field);
    assert_true(e.total_s == 0.0 && e.data_stall_s == 0.0);
}

static void test_loader_estimate_rejects_bad_worker_fields(void **state)
{
    (void)state;
    trainest_estimate_request rq = workers_request(0, 0.1, 100, false, 0);
    expect_fail(&rq, TRAINEST_E_ZERO, TRAINEST_FIELD_DATA_WORKERS);
    /* without any rate too: the workers are still needed */
    rq.data_samples_per_s_per_worker = 0;
    expect_fail(&rq, TRAINEST_E_ZERO, TRAINEST_FIELD_DATA_WORKERS);
    rq.data_workers = 4;
    trainest_estimate e;
    const trainest_plan_request prq = tu_request(1000, 10, 0, 0, 1);
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);

    /* the worker fields belong to WORKERS */
    for (uint32_t mode = TRAINEST_DATA_MODE_OVERLAP; mode <= TRAINEST_DATA_MODE_SERIAL; mode++) {
        rq = workers_request(4, 0.1, 100, false, 0);
        rq.data_mode = mode;
        expect_fail(&rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_WORKER_STARTUP_S);
        rq.data_worker_startup_s = 4.9406564584124654e-324;
        expect_fail(&rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_WORKER_STARTUP_S);
        rq.data_worker_startup_s = -0.0; /* zero */
        assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
        rq.data_persistent_workers = 1;
        expect_fail(&rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_PERSISTENT_WORKERS);
        rq.data_persistent_workers = 2;
        expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_PERSISTENT_WORKERS);
        rq.data_persistent_workers = 0;
        rq.reserved1 = 1;
        expect_fail(&rq, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
    }
    rq = workers_request(4, 0.1, 100, false, 2);
    expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_PERSISTENT_WORKERS);
    rq.data_persistent_workers = UINT32_MAX;
    expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_PERSISTENT_WORKERS);
    rq = workers_request(4, 0.1, 100, false, 0);
    rq.reserved1 = 0x80000000u;
    expect_fail(&rq, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);

    /* the start-up: finite, >= 0 */
    const double nonfinite[] = {NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 3; i++) {
        rq = workers_request(4, nonfinite[i], 100, false, 0);
        expect_fail(&rq, TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_DATA_WORKER_STARTUP_S);
    }
    rq = workers_request(4, -1e-300, 100, false, 0);
    expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_WORKER_STARTUP_S);

    /* a rate so small that a sample takes forever */
    rq = workers_request(4, 0.1, 4.9406564584124654e-324, false, 0);
    expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER);
    rq = workers_request(4, 0.1, 4.9406564584124654e-324, true, 0);
    expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_SAMPLES_PER_S);
    /* ... or only for so many workers sharing it */
    rq = workers_request(UINT64_C(1) << 62, 0.1, 1e-300, true, 0);
    expect_fail(&rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_SAMPLES_PER_S);
    rq.data_workers = 1;
    rq.data_samples_per_s = 1e-306; /* finite: 1e306 s per sample, 1e309 s for the epoch */
    expect_fail(&rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_NONE);
    /* both rates, as before */
    rq = workers_request(4, 0.1, 100, false, 0);
    rq.data_samples_per_s = 400;
    expect_fail(&rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_SAMPLES_PER_S);
}

/* A caller built against 0.6 passes 272 bytes: the worker fields read as
 * zero, OVERLAP and SERIAL mean what they meant, and WORKERS is the model
 * with no start-up. Nothing beyond the 272 bytes is read (the request is an
 * exact-size heap copy: valgrind and ASan would see it). */
static void test_loader_request_of_0_6_size(void **state)
{
    (void)state;
    const trainest_plan_request prq = tu_request(4096, 128, 128, 0, 1);
    for (uint32_t mode = TRAINEST_DATA_MODE_OVERLAP; mode <= TRAINEST_DATA_MODE_WORKERS; mode++) {
        trainest_estimate_request full = workers_request(4, 0, 100, false, 0);
        full.data_mode = mode;
        unsigned char *old = malloc(272);
        assert_non_null(old);
        memcpy(old, &full, 272);
        const uint32_t size = 272;
        memcpy(old, &size, sizeof size);
        trainest_estimate a, b;
        assert_int_equal(estimate(&a, &prq, (const trainest_estimate_request *)(void *)old),
                         TRAINEST_OK);
        assert_int_equal(estimate(&b, &prq, &full), TRAINEST_OK);
        assert_memory_equal(&a, &b, sizeof a);
        free(old);
        /* the full-size request with a start-up set differs, in WORKERS only */
        full.data_worker_startup_s = 0.25;
        const int st = estimate(&b, &prq, &full);
        if (mode == TRAINEST_DATA_MODE_WORKERS) {
            /* 32 batches of T = 1.28 s, 8 per worker, c per batch: the
             * device waits longest for the first worker's last batch
             * (k = 28) or the last worker's (k = 31) */
            const double T = 1.28, c = FIXED_S + (PER_SAMPLE_S + H2D_S_PER_SAMPLE) * 128 + OPTIMIZER_S;
            assert_int_equal(st, TRAINEST_OK);
            assert_close(a.data_stall_s, 8 * T - 28 * c, 1e-12);
            assert_close(b.data_stall_s, 8 * T - 28 * c + fmax(0.25, 4 * 0.25 - 3 * c), 1e-12);
        } else {
            assert_int_equal(st, TRAINEST_E_INCONSISTENT);
        }
    }
    /* 0.6 meanings: OVERLAP pays data - busy per step, SERIAL all of it */
    trainest_estimate_request rq = workers_request(4, 0, 100, false, 0);
    rq.data_mode = TRAINEST_DATA_MODE_SERIAL;
    rq.struct_size = 272;
    trainest_estimate e;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    assert_close(e.data_stall_s, 4096 / 400.0, 1e-12);
    rq.data_mode = TRAINEST_DATA_MODE_OVERLAP;
    assert_int_equal(estimate(&e, &prq, &rq), TRAINEST_OK);
    const double step_busy = FIXED_S + (PER_SAMPLE_S + H2D_S_PER_SAMPLE) * 128 + OPTIMIZER_S;
    assert_close(e.data_stall_s, 32 * (128 / 400.0 - step_busy), 1e-12);
    /* a newer caller's larger request with non-zero bytes beyond 0.7's */
    unsigned char big[sizeof(trainest_estimate_request) + 8];
    memset(big, 0, sizeof big);
    memcpy(big, &rq, sizeof rq);
    const uint32_t bigger = sizeof big;
    memcpy(big, &bigger, 4);
    assert_int_equal(estimate(&e, &prq, (const trainest_estimate_request *)(void *)big), TRAINEST_OK);
    big[sizeof rq] = 1;
    assert_int_equal(estimate(&e, &prq, (const trainest_estimate_request *)(void *)big),
                     TRAINEST_E_UNSUPPORTED);
    assert_int_equal(e.invalid_field, TRAINEST_FIELD_STRUCT_SIZE);
}

/* ---- trainest_loader_calibrate ----------------------------------------------- */

static trainest_loader_observation obs(uint64_t W, uint64_t batch_size, uint64_t samples,
                                       double seconds)
{
    trainest_loader_observation o;
    assert_int_equal(trainest_loader_observation_init(&o, sizeof o), TRAINEST_OK);
    o.workers = W;
    o.batch_size = batch_size;
    o.samples = samples;
    o.seconds = seconds;
    return o;
}

static int calibrate(trainest_loader_fit *fit, const trainest_loader_observation *o, uint32_t n)
{
    memset(fit, 0xA5, sizeof *fit);
    fit->struct_size = sizeof *fit;
    return trainest_loader_calibrate(fit, o, n);
}

/* The sum of |predicted / measured - 1|, predicted by the simulation. */
static double objective(const trainest_loader_observation *o, uint32_t n, double s, double u,
                        double *max)
{
    double sum = 0;
    *max = 0;
    for (uint32_t i = 0; i < n; i++) {
        const double r =
            fabs(sim_loader_epoch(o[i].workers, o[i].batch_size, o[i].samples, s, u) / o[i].seconds - 1);
        sum += r;
        *max = fmax(*max, r);
    }
    return sum;
}

/* The fit's residuals are those of the parameters it reports. */
static void check_residuals(const trainest_loader_fit *fit, const trainest_loader_observation *o,
                            uint32_t n)
{
    const double u = fit->samples_per_s_per_worker > 0 ? 1 / fit->samples_per_s_per_worker : 0;
    double max;
    const double sum = objective(o, n, fit->worker_startup_s, u, &max);
    assert_near(fit->max_residual_ratio, max, 1, 1e-12);
    assert_near(fit->mean_residual_ratio, sum / n, 1, 1e-12);
}

/* Every point where the model matches all observations exactly, found here
 * by brute force: each observation's time is the largest of its batches'
 * ready times a s + b u (a = the worker's turn, b = its samples so far);
 * only the forms no other one dominates can set it. A point that matches
 * them all lies where two of the lines form = seconds (or an axis) cross;
 * the zero set is a single point only if exactly one such vertex matches. */
struct form {
    double a, b;
};

static unsigned pareto_forms(const trainest_loader_observation *o, struct form *out)
{
    double cum[MAX_WORKERS] = {0};
    struct form all[4096];
    unsigned n = 0;
    uint64_t k = 0;
    for (uint64_t left = o->samples; left; k++) {
        const uint64_t size = left < o->batch_size ? left : o->batch_size;
        const unsigned j = (unsigned)(k % o->workers);
        assert_true(j < MAX_WORKERS && n < 4096);
        cum[j] += (double)size;
        all[n++] = (struct form){(double)(j + 1), cum[j]};
        left -= size;
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < n; i++) {
        bool dominated = false;
        for (unsigned j = 0; j < n && !dominated; j++)
            dominated = all[j].a >= all[i].a && all[j].b >= all[i].b &&
                        (all[j].a > all[i].a || all[j].b > all[i].b || j < i);
        if (!dominated)
            out[kept++] = all[i];
    }
    return kept;
}

static bool matches_all(const trainest_loader_observation *o, uint32_t n, double s, double u)
{
    for (uint32_t i = 0; i < n; i++) {
        const double t = sim_loader_epoch(o[i].workers, o[i].batch_size, o[i].samples, s, u);
        if (!(fabs(t / o[i].seconds - 1) <= 1e-9))
            return false;
    }
    return true;
}

/* The number of distinct exact solutions (s, u >= 0), up to 2; distinct on
 * the scale of the observations' seconds per worker and per sample. */
static unsigned exact_solutions(const trainest_loader_observation *o, uint32_t n)
{
    double s_scale = 0, u_scale = 0;
    for (uint32_t i = 0; i < n; i++) {
        s_scale = fmax(s_scale, o[i].seconds / (double)o[i].workers);
        u_scale = fmax(u_scale, o[i].seconds / (double)o[i].samples);
    }
    struct line {
        double A, B, C;
    } lines[256];
    unsigned nl = 0;
    lines[nl++] = (struct line){1, 0, 0};
    lines[nl++] = (struct line){0, 1, 0};
    for (uint32_t i = 0; i < n; i++) {
        struct form f[4096];
        const unsigned nf = pareto_forms(&o[i], f);
        for (unsigned p = 0; p < nf; p++) {
            assert_true(nl < 256);
            lines[nl++] = (struct line){f[p].a, f[p].b, o[i].seconds};
        }
    }
    double found[2][2];
    unsigned nfound = 0;
    for (unsigned i = 0; i < nl; i++)
        for (unsigned j = i + 1; j < nl; j++) {
            const double det = lines[i].A * lines[j].B - lines[j].A * lines[i].B;
            if (det == 0)
                continue;
            const double s = (lines[i].C * lines[j].B - lines[j].C * lines[i].B) / det;
            const double u = (lines[i].A * lines[j].C - lines[j].A * lines[i].C) / det;
            if (s < -1e-12 * s_scale || u < -1e-12 * u_scale ||
                !matches_all(o, n, fmax(s, 0), fmax(u, 0)))
                continue;
            bool same = false;
            for (unsigned k = 0; k < nfound; k++)
                same |= fabs(found[k][0] - s) <= 1e-7 * s_scale &&
                        fabs(found[k][1] - u) <= 1e-7 * u_scale;
            if (!same && nfound < 2) {
                found[nfound][0] = s;
                found[nfound][1] = u;
                nfound++;
            }
        }
    return nfound;
}

struct loader_epoch {
    uint64_t workers, batch_size, samples;
};

static uint32_t simulate_observations(trainest_loader_observation *o, const struct loader_epoch *ep,
                                      uint32_t n, double s, double u)
{
    for (uint32_t i = 0; i < n; i++)
        o[i] = obs(ep[i].workers, ep[i].batch_size, ep[i].samples,
                   sim_loader_epoch(ep[i].workers, ep[i].batch_size, ep[i].samples, s, u));
    return n;
}

/* The fit against the truth: every observation reproduced by the
 * simulation, and where the observations admit one solution only, that
 * solution is the truth. */
static void check_recovery(const trainest_loader_observation *o, uint32_t n, double s, double u,
                           unsigned *unique)
{
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, n), TRAINEST_OK);
    assert_int_equal(fit.invalid_field, TRAINEST_FIELD_NONE);
    assert_int_equal(fit.invalid_index, UINT32_MAX);
    assert_int_equal(fit.reserved0, 0);
    assert_int_equal(fit.observations, n);
    assert_true(fit.worker_startup_s >= 0 && isfinite(fit.worker_startup_s));
    assert_true(fit.samples_per_s_per_worker >= 0 && isfinite(fit.samples_per_s_per_worker));
    assert_true(fit.max_residual_ratio <= 1e-9 && fit.mean_residual_ratio <= fit.max_residual_ratio);
    const double u_fit = fit.samples_per_s_per_worker > 0 ? 1 / fit.samples_per_s_per_worker : 0;
    assert_true(matches_all(o, n, fit.worker_startup_s, u_fit));
    check_residuals(&fit, o, n);
    if (exact_solutions(o, n) != 1)
        return;
    (*unique)++;
    /* on the scale of the observations: s against the shortest time, u
     * against the shortest time per sample */
    double t_min = INFINITY, tu_min = INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        t_min = fmin(t_min, o[i].seconds);
        tu_min = fmin(tu_min, o[i].seconds / (double)o[i].samples);
    }
    assert_near(fit.worker_startup_s, s, s > 0 ? s : t_min, 1e-9);
    assert_near(u_fit, u, u > 0 ? u : tu_min, 1e-9);
    if (u > 0)
        assert_close(fit.samples_per_s_per_worker, 1 / u, 1e-9);
}

static const struct loader_epoch set_resnet[] = {{4, 128, 4096}, {12, 128, 4096}};
static const struct loader_epoch set_partial[] = {{1, 32, 1000}, {2, 32, 1000}, {8, 32, 1000}};
static const struct loader_epoch set_mixed[] = {
    {3, 10, 95}, {5, 7, 100}, {16, 64, 64}, {2, 100, 1234}, {7, 9, 9 * 7 * 3 + 1}};
static const struct loader_epoch set_fewer_batches[] = {{6, 4, 13}, {6, 2, 13}, {4, 50, 120}};
static const struct loader_epoch set_one_round[] = {{8, 16, 16 * 8}, {8, 32, 32 * 8}};

static void test_loader_calibrate_recovers_simulated_parameters(void **state)
{
    (void)state;
    static const double startups[] = {0, 0.001, 0.137869, 2.5};
    static const double rates[] = {0, 50, 790.238, 1e5};
    const struct {
        const struct loader_epoch *ep;
        uint32_t n;
    } sets[] = {
        {set_resnet, 2}, {set_partial, 3}, {set_mixed, 5}, {set_fewer_batches, 3}, {set_one_round, 2},
    };
    unsigned cases = 0, unique = 0;
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
        for (int si = 0; si < 4; si++)
            for (int ri = 0; ri < 4; ri++) {
                if (!startups[si] && !rates[ri])
                    continue; /* every epoch would take no time */
                const double u = rates[ri] ? 1 / rates[ri] : 0;
                trainest_loader_observation o[8];
                const uint32_t n = simulate_observations(o, sets[k].ep, sets[k].n, startups[si], u);
                check_recovery(o, n, startups[si], u, &unique);
                cases++;
            }
    assert_int_equal(cases, 5 * 15);
    /* every one of these sets pins the parameters down, so each fit was
     * checked against the truth */
    assert_int_equal(unique, cases);
}

/* The two ResNet-50 loader-only epochs give the shipped parameters. */
static void test_loader_calibrate_resnet50(void **state)
{
    (void)state;
    trainest_loader_observation o[2] = {
        obs(4, 128, 4096, 4 * RN_S + 8 * RN_T),
        obs(12, 128, 4096, 12 * RN_S + 2 * RN_T),
    };
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, 2), TRAINEST_OK);
    assert_close(fit.worker_startup_s, RN_S, 1e-12);
    assert_close(fit.samples_per_s_per_worker, RN_RATE, 1e-12);
    assert_true(fit.max_residual_ratio < 1e-14);
    /* the order of the observations does not matter */
    trainest_loader_observation swapped[2] = {o[1], o[0]};
    trainest_loader_fit again;
    assert_int_equal(calibrate(&again, swapped, 2), TRAINEST_OK);
    assert_close(again.worker_startup_s, fit.worker_startup_s, 1e-12);
    assert_close(again.samples_per_s_per_worker, fit.samples_per_s_per_worker, 1e-12);
}

/* One observation of six off by +50 %, whichever it is: the fit still
 * finds the truth, and that observation alone carries the residual. */
static void test_loader_calibrate_ignores_one_outlier(void **state)
{
    (void)state;
    static const struct loader_epoch ep[] = {{2, 64, 2048}, {4, 64, 2048}, {8, 64, 2048},
                                             {12, 64, 2048}, {3, 50, 1000}, {6, 50, 1000}};
    const double s = 0.1, u = 1.0 / 500;
    for (uint32_t bad = 0; bad < 6; bad++) {
        trainest_loader_observation o[6];
        simulate_observations(o, ep, 6, s, u);
        o[bad].seconds *= 1.5;
        trainest_loader_fit fit;
        assert_int_equal(calibrate(&fit, o, 6), TRAINEST_OK);
        assert_close(fit.worker_startup_s, s, 1e-9);
        assert_close(fit.samples_per_s_per_worker, 1 / u, 1e-9);
        assert_close(fit.max_residual_ratio, 1 - 1 / 1.5, 1e-9);
        assert_close(fit.mean_residual_ratio, (1 - 1 / 1.5) / 6, 1e-9);
    }
}

/* Forms that are nearly parallel still meet at one point: the same four
 * workers reading batches of 32 and of 31 (4 s + 32 u and 4 s + 31 u), or
 * eight batches of 1000 and of 999. And the same workers and batches with
 * another batch size separate the two parameters (8 s + 16 u, 8 s + 32 u). */
static void test_loader_calibrate_nearly_parallel_forms(void **state)
{
    (void)state;
    const struct loader_epoch pairs[][2] = {
        {{4, 32, 128}, {4, 31, 124}},
        {{8, 1000, 8000}, {8, 999, 7992}},
        {{8, 16, 128}, {8, 32, 256}},
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        trainest_loader_observation o[2];
        simulate_observations(o, pairs[k], 2, 0.05, 0.001);
        assert_int_equal(exact_solutions(o, 2), 1);
        unsigned unique = 0;
        check_recovery(o, 2, 0.05, 0.001, &unique);
        assert_int_equal(unique, 1);
    }
}

/* Observations that an exact solution explains only with a negative time
 * per sample (12 workers four times slower than 4 on the same epoch): the
 * fit stays at s, u >= 0, where the best is s = 1/4 with unlimited
 * throughput: 4 s matches the first epoch, 12 s = 3 s is 25 % short of the
 * second. */
static void test_loader_calibrate_keeps_parameters_non_negative(void **state)
{
    (void)state;
    trainest_loader_observation o[2] = {obs(4, 128, 4096, 1.0), obs(12, 128, 4096, 4.0)};
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, 2), TRAINEST_OK);
    assert_close(fit.worker_startup_s, 0.25, 1e-12);
    assert_true(fit.samples_per_s_per_worker == 0);
    assert_close(fit.max_residual_ratio, 0.25, 1e-12);
    assert_close(fit.mean_residual_ratio, 0.125, 1e-12);
    check_residuals(&fit, o, 2);
}

/* The smallest sum of relative errors on a grid, refined about its best
 * point: no point of it may beat the fit. */
static double grid_minimum(const trainest_loader_observation *o, uint32_t n, double s_hi,
                           double u_hi)
{
    enum { STEPS = 40 };
    double s0 = 0, s1 = s_hi, u0 = 0, u1 = u_hi, best = INFINITY, bs = 0, bu = 0, max;
    for (int level = 0; level < 4; level++) {
        for (int i = 0; i <= STEPS; i++)
            for (int j = 0; j <= STEPS; j++) {
                const double s = s0 + (s1 - s0) * i / STEPS, u = u0 + (u1 - u0) * j / STEPS;
                const double f = objective(o, n, s, u, &max);
                if (f < best) {
                    best = f;
                    bs = s;
                    bu = u;
                }
            }
        const double ds = 2 * (s1 - s0) / STEPS, du = 2 * (u1 - u0) / STEPS;
        s0 = fmax(0, bs - ds);
        s1 = bs + ds;
        u0 = fmax(0, bu - du);
        u1 = bu + du;
    }
    return best;
}

/* Noisy observations: the fit is the best point of its objective (on a
 * grid search, no point does better), its residuals are those of the
 * parameters it reports, and both are >= 0. */
static void test_loader_calibrate_noisy_fit_is_optimal(void **state)
{
    (void)state;
    static const struct loader_epoch outlier_set[] = {{2, 64, 2048}, {4, 64, 2048}, {8, 64, 2048},
                                                      {12, 64, 2048}, {3, 50, 1000}, {6, 50, 1000}};
    const struct {
        const struct loader_epoch *ep;
        uint32_t n;
    } sets[] = {{set_resnet, 2}, {set_partial, 3}, {set_mixed, 5}, {set_fewer_batches, 3},
                {outlier_set, 6}};
    const int patterns = quick() ? 2 : 8;
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++)
        for (int pat = 0; pat < patterns; pat++) {
            trainest_loader_observation o[8];
            const uint32_t n = simulate_observations(o, sets[k].ep, sets[k].n, 0.08, 1.0 / 400);
            double t_max = 0, b_min = INFINITY;
            for (uint32_t i = 0; i < n; i++) {
                o[i].seconds *= 1 + 0.2 * sin(1.7 * i + 0.9 * pat + 0.3 * (double)k);
                t_max = fmax(t_max, o[i].seconds);
                b_min = fmin(b_min, (double)o[i].batch_size);
            }
            trainest_loader_fit fit;
            const int st = calibrate(&fit, o, n);
            assert_int_equal(st, TRAINEST_OK);
            assert_true(fit.worker_startup_s >= 0 && fit.samples_per_s_per_worker >= 0);
            check_residuals(&fit, o, n);
            const double best = grid_minimum(o, n, t_max, t_max / b_min);
            assert_true(fit.mean_residual_ratio * n <= best + 1e-12);
        }
}

/* The output on failure: zero but struct_size, invalid_field, invalid_index. */
static void expect_fit_fail(const trainest_loader_observation *o, uint32_t n, int status,
                            uint32_t field, uint32_t index)
{
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, n), status);
    assert_int_equal(fit.struct_size, sizeof fit);
    assert_int_equal(fit.invalid_field, field);
    assert_int_equal(fit.invalid_index, index);
    const unsigned char *b = (const unsigned char *)&fit;
    for (size_t i = offsetof(trainest_loader_fit, reserved0); i < sizeof fit; i++)
        assert_int_equal(b[i], 0);
}

static void base_set(trainest_loader_observation *o)
{
    static const struct loader_epoch ep[] = {{4, 128, 4096}, {12, 128, 4096}, {2, 32, 1000}};
    simulate_observations(o, ep, 3, RN_S, 1 / RN_RATE);
}

static void test_loader_calibrate_rejects_bad_input(void **state)
{
    (void)state;
    trainest_loader_observation o[66];
    base_set(o);
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, 3), TRAINEST_OK);

    /* counts */
    expect_fit_fail(o, 0, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fit_fail(o, 1, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    for (uint32_t i = 3; i < 66; i++)
        o[i] = o[i % 3];
    assert_int_equal(calibrate(&fit, o, 64), TRAINEST_OK);
    assert_int_equal(fit.observations, 64);
    expect_fit_fail(o, 65, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fit_fail(o, UINT32_MAX, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fit_fail(NULL, 3, TRAINEST_E_NULL, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* the count is checked first, before the array is looked at */
    expect_fit_fail(NULL, 1, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    expect_fit_fail(NULL, 65, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    o[0].workers = 0;
    expect_fit_fail(o, 1, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    o[0] = o[3];

    /* the output itself */
    assert_int_equal(trainest_loader_calibrate(NULL, o, 3), TRAINEST_E_NULL);
    fit.struct_size = sizeof fit - 8;
    memset((unsigned char *)&fit + 4, 0xA5, sizeof fit - 4);
    assert_int_equal(trainest_loader_calibrate(&fit, o, 3), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(fit.invalid_field, 0xA5A5A5A5u); /* not written */
    fit.struct_size = 65537;
    assert_int_equal(trainest_loader_calibrate(&fit, o, 3), TRAINEST_E_STRUCT_SIZE);
    /* a newer caller's larger output: the tail is zeroed */
    unsigned char big[sizeof fit + 16];
    memset(big, 0xA5, sizeof big);
    const uint32_t bigger = sizeof big;
    memcpy(big, &bigger, 4);
    assert_int_equal(trainest_loader_calibrate((trainest_loader_fit *)(void *)big, o, 3), TRAINEST_OK);
    for (size_t i = sizeof fit; i < sizeof big; i++)
        assert_int_equal(big[i], 0);

    /* the stride: element 0's struct_size */
    base_set(o);
    o[0].struct_size = 32;
    expect_fit_fail(o, 3, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 0);
    o[0].struct_size = 0;
    expect_fit_fail(o, 3, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 0);
    o[0].struct_size = 65537;
    expect_fit_fail(o, 3, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 0);
    base_set(o);
    o[2].struct_size = 48; /* bigger than the stride: not read past the array */
    expect_fit_fail(o, 3, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 2);
    o[2].struct_size = 32;
    expect_fit_fail(o, 3, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE, 2);

    /* each field of each observation */
    for (uint32_t at = 0; at < 3; at++) {
        base_set(o);
        o[at].reserved0 = 1;
        expect_fit_fail(o, 3, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE, at);
        base_set(o);
        o[at].workers = 0;
        expect_fit_fail(o, 3, TRAINEST_E_ZERO, TRAINEST_FIELD_LOADER_WORKERS, at);
        base_set(o);
        o[at].batch_size = 0;
        expect_fit_fail(o, 3, TRAINEST_E_ZERO, TRAINEST_FIELD_LOADER_BATCH_SIZE, at);
        base_set(o);
        o[at].samples = 0;
        expect_fit_fail(o, 3, TRAINEST_E_ZERO, TRAINEST_FIELD_LOADER_SAMPLES, at);
        const double nonfinite[] = {NAN, -NAN, INFINITY, -INFINITY};
        for (int k = 0; k < 4; k++) {
            base_set(o);
            o[at].seconds = nonfinite[k];
            expect_fit_fail(o, 3, TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_LOADER_SECONDS, at);
        }
        const double bad[] = {0, -0.0, -1, -4.9406564584124654e-324, -DBL_MAX};
        for (int k = 0; k < 5; k++) {
            base_set(o);
            o[at].seconds = bad[k];
            expect_fit_fail(o, 3, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_LOADER_SECONDS, at);
        }
    }
    /* the first bad observation is the one named */
    base_set(o);
    o[1].workers = 0;
    o[2].seconds = NAN;
    expect_fit_fail(o, 3, TRAINEST_E_ZERO, TRAINEST_FIELD_LOADER_WORKERS, 1);
}

/* A newer caller's larger observations: the array's stride is theirs, the
 * bytes beyond 0.7's must be zero. */
static void test_loader_calibrate_larger_stride(void **state)
{
    (void)state;
    trainest_loader_observation o[3];
    base_set(o);
    enum { STRIDE = sizeof(trainest_loader_observation) + 16 };
    unsigned char arr[3 * STRIDE];
    memset(arr, 0, sizeof arr);
    for (int i = 0; i < 3; i++) {
        memcpy(arr + i * STRIDE, &o[i], sizeof o[i]);
        const uint32_t stride = STRIDE;
        memcpy(arr + i * STRIDE, &stride, 4);
    }
    trainest_loader_fit a, b;
    assert_int_equal(calibrate(&a, o, 3), TRAINEST_OK);
    assert_int_equal(calibrate(&b, (const trainest_loader_observation *)(void *)arr, 3), TRAINEST_OK);
    assert_memory_equal(&a, &b, sizeof a);
    /* an element of 0.7's size in an array of the larger stride */
    const uint32_t own = sizeof(trainest_loader_observation);
    memcpy(arr + STRIDE, &own, 4);
    assert_int_equal(calibrate(&b, (const trainest_loader_observation *)(void *)arr, 3),
                     TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(b.invalid_field, TRAINEST_FIELD_STRUCT_SIZE);
    assert_int_equal(b.invalid_index, 1);
    const uint32_t stride = STRIDE;
    memcpy(arr + STRIDE, &stride, 4);
    arr[2 * STRIDE + sizeof(trainest_loader_observation) + 3] = 7;
    assert_int_equal(calibrate(&b, (const trainest_loader_observation *)(void *)arr, 3),
                     TRAINEST_E_UNSUPPORTED);
    assert_int_equal(b.invalid_field, TRAINEST_FIELD_STRUCT_SIZE);
    assert_int_equal(b.invalid_index, 2);
}

/* A fitted throughput beyond the range of double: one worker reading one
 * sample (s + u) and two reading one each (2 s + u), timed so that u is a
 * single ulp of 2e-300, about 1.7e-316 s per sample. */
static void test_loader_calibrate_rate_overflows(void **state)
{
    (void)state;
    trainest_loader_observation o[2] = {obs(1, 1, 1, 1e-300), obs(2, 1, 2, nextafter(2e-300, 0))};
    expect_fit_fail(o, 2, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* a hundred ulps on a normal scale is a finite rate */
    o[0] = obs(1, 1, 1, 1.0);
    o[1] = obs(2, 1, 2, 2.0 - 1e-13);
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, 2), TRAINEST_OK);
    assert_close(fit.samples_per_s_per_worker, 1e13, 1e-2);
}

/* Observations that cannot tell start-up from throughput. */
static void test_loader_calibrate_unidentifiable(void **state)
{
    (void)state;
    /* all one epoch, however many times measured */
    trainest_loader_observation o[4];
    for (int i = 0; i < 4; i++)
        o[i] = obs(4, 128, 4096, 1.8 + 0.01 * i);
    expect_fit_fail(o, 4, TRAINEST_E_TOO_FEW_POINTS, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* one worker and one batch of 10 (s + 10 u), two workers with one
     * batch of 20 each (2 s + 20 u): parallel forms, a whole line of
     * exact solutions */
    o[0] = obs(1, 10, 10, 1.0);
    o[1] = obs(2, 20, 40, 2.0);
    expect_fit_fail(o, 2, TRAINEST_E_UNIDENTIFIABLE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* the same with times that disagree, and a third parallel epoch */
    o[1].seconds = 3.0;
    o[2] = obs(3, 30, 90, 2.5);
    expect_fit_fail(o, 3, TRAINEST_E_UNIDENTIFIABLE, TRAINEST_FIELD_OBSERVATIONS, UINT32_MAX);
    /* a batch size that differs with it is enough to separate them */
    o[2] = obs(2, 30, 60, 2.5);
    trainest_loader_fit fit;
    assert_int_equal(calibrate(&fit, o, 3), TRAINEST_OK);
}

static void test_loader_observation_init(void **state)
{
    (void)state;
    trainest_loader_observation o;
    memset(&o, 0xA5, sizeof o);
    assert_int_equal(trainest_loader_observation_init(&o, sizeof o), TRAINEST_OK);
    assert_int_equal(o.struct_size, sizeof o);
    assert_true(o.reserved0 == 0 && o.workers == 0 && o.batch_size == 0 && o.samples == 0);
    assert_true(o.seconds == 0);
    assert_int_equal(trainest_loader_observation_init(NULL, sizeof o), TRAINEST_E_NULL);
    memset(&o, 0xA5, sizeof o);
    assert_int_equal(trainest_loader_observation_init(&o, sizeof o - 1), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_loader_observation_init(&o, 0), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_loader_observation_init(&o, 65537), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(o.struct_size, 0xA5A5A5A5u); /* not written */
    unsigned char big[sizeof o + 8];
    memset(big, 0xA5, sizeof big);
    assert_int_equal(trainest_loader_observation_init((trainest_loader_observation *)(void *)big,
                                                      sizeof big),
                     TRAINEST_OK);
    for (size_t i = 4; i < sizeof big; i++)
        assert_int_equal(big[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loader_estimate_matches_event_simulation),
        cmocka_unit_test(test_loader_estimate_matches_per_step_simulation),
        cmocka_unit_test(test_loader_even_spread_within_one_step_of_per_step),
        cmocka_unit_test(test_loader_estimate_run_ending_mid_epoch),
        cmocka_unit_test(test_loader_estimate_every_preset_in_passes),
        cmocka_unit_test(test_loader_resnet50_figures),
        cmocka_unit_test(test_loader_estimate_rejects_bad_worker_fields),
        cmocka_unit_test(test_loader_request_of_0_6_size),
        cmocka_unit_test(test_loader_calibrate_recovers_simulated_parameters),
        cmocka_unit_test(test_loader_calibrate_resnet50),
        cmocka_unit_test(test_loader_calibrate_ignores_one_outlier),
        cmocka_unit_test(test_loader_calibrate_nearly_parallel_forms),
        cmocka_unit_test(test_loader_calibrate_keeps_parameters_non_negative),
        cmocka_unit_test(test_loader_calibrate_noisy_fit_is_optimal),
        cmocka_unit_test(test_loader_calibrate_rejects_bad_input),
        cmocka_unit_test(test_loader_calibrate_larger_stride),
        cmocka_unit_test(test_loader_calibrate_rate_overflows),
        cmocka_unit_test(test_loader_calibrate_unidentifiable),
        cmocka_unit_test(test_loader_observation_init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
