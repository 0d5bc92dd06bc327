/* SPDX-License-Identifier: MIT */
/* The critical batch size (trainest_critical_compute), after McCandlish et
 * al. (2018): S(B) = S_min (1 + B_noise / B), E(B) = S(B) B, B_crit =
 * E_min / S_min = B_noise. Covers the plan's own steps, samples and time to
 * target (twice S_min and E_min at B_crit; min_samples and min_steps
 * agreeing), the best global batch against an independent brute-force
 * search (exact in the dense region, on the geometric grid beyond it, and
 * within one grid step of the true optimum), the closed forms (pure
 * per-sample cost: one sample per replica; per-step constant: near
 * sqrt(B c / (R p)) per replica), max_global_batch, the memory cap, every
 * validation error and the struct_size rules.
 *
 * The reference search is written from the rules, not from lib/critical.c:
 * G = R n for n = 1..4096, then n <- max(floor(n (1 + 1/256)), n + 1), the
 * last candidate being n_max = floor(max_global_batch / R) (default
 * 64 B_noise); m = the largest divisor of n within the cap, a = n / m;
 * time = ceil(S_min (1 + B / (R n))) * step(a, m); the first minimum wins.
 * Time models use dyadic constants so both sides compute exactly the same
 * doubles and ties break identically.
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

/* ---- Requests -------------------------------------------------------------- */

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

static trainest_critical_request crit(double noise_scale, double min_steps, double min_samples,
                                      uint64_t max_global_batch)
{
    trainest_critical_request rq;
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.noise_scale = noise_scale;
    rq.min_steps = min_steps;
    rq.min_samples = min_samples;
    rq.max_global_batch = max_global_batch;
    return rq;
}

static trainest_memory_request memory(uint64_t static_bytes, uint64_t per_sample_bytes,
                                      uint64_t device_bytes)
{
    trainest_memory_request rq;
    assert_int_equal(trainest_memory_request_init(&rq, sizeof rq), TRAINEST_OK);
    rq.static_bytes = static_bytes;
    rq.activation_bytes_per_sample = per_sample_bytes;
    rq.device_memory_bytes = device_bytes;
    return rq;
}

static int critical(trainest_critical *out, const trainest_plan_request *prq,
                    const trainest_estimate_request *erq, const trainest_memory_request *mrq,
                    const trainest_critical_request *rq)
{
    memset(out, 0x5C, sizeof *out);
    out->struct_size = sizeof *out;
    return trainest_critical_compute(out, prq, erq, mrq, rq);
}

/* ---- The reference ------------------------------------------------------------ */

/* The exposed all-reduce of one step for this plan, from the estimate. */
static double comm_of(const trainest_plan_request *prq, const trainest_estimate_request *e)
{
    trainest_estimate est;
    est.struct_size = sizeof est;
    assert_int_equal(trainest_estimate_run(&est, prq, e), TRAINEST_OK);
    return est.step_comm_s;
}

/* A full optimizer step of a micro-batches of m (docs/time-model.md):
 * max(a floor, lag + a (fixed + per m)) + optimizer + all-reduce. */
static double step_time(const trainest_estimate_request *e, double comm, double a, double m)
{
    const double host = a * e->floor_s;
    const double dev = e->launch_lag_s + a * (e->fixed_s + e->per_sample_s * m);
    return (host > dev ? host : dev) + e->optimizer_s + comm;
}

static double steps_to(double s_min, double B, double G)
{
    return ceil(s_min * (1 + B / G));
}

/* The largest divisor of n that is <= cap (cap 0: no cap), by trial. */
static uint64_t divisor_at_most(uint64_t n, uint64_t cap)
{
    if (cap == 0 || cap >= n)
        return n;
    if (cap <= 4096) {
        for (uint64_t d = cap; d > 1; d--)
            if (n % d == 0)
                return d;
        return 1;
    }
    uint64_t best = 1;
    for (uint64_t d = 1; d * d <= n; d++)
        if (n % d == 0) {
            if (d <= cap && d > best)
                best = d;
            if (n / d <= cap && n / d > best)
                best = n / d;
        }
    return best;
}

struct problem {
    uint64_t R, cap;
    double B, s_min;
    const trainest_estimate_request *e;
    double comm;
};

struct candidate {
    uint64_t n, m, a;
    double steps, time;
};

static struct candidate evaluate(const struct problem *p, uint64_t n)
{
    struct candidate c;
    c.n = n;
    c.m = divisor_at_most(n, p->cap);
    c.a = n / c.m;
    c.steps = steps_to(p->s_min, p->B, (double)(p->R * n));
    c.time = c.steps * step_time(p->e, p->comm, (double)c.a, (double)c.m);
    return c;
}

/* The library's candidate after n (before clamping to n_max). */
static uint64_t grid_next(uint64_t n)
{
    if (n < 4096)
        return n + 1;
    const uint64_t next = (uint64_t)((double)n * (1.0 + 1.0 / 256));
    return next > n ? next : n + 1;
}

static uint64_t n_max_of(uint64_t R, double B, uint64_t max_global_batch)
{
    const uint64_t n =
        max_global_batch ? max_global_batch / R : (uint64_t)floor(64 * B / (double)R);
    return n ? n : 1; /* n = 1 is always tried (library behaviour; the rules leave it open) */
}

/* The first minimum over the grid (dense = false) or over every n. */
static struct candidate search(const struct problem *p, uint64_t n_max, bool dense)
{
    struct candidate best = evaluate(p, 1);
    for (uint64_t n = 1; n < n_max;) {
        n = dense ? n + 1 : grid_next(n);
        if (n > n_max)
            n = n_max;
        const struct candidate c = evaluate(p, n);
        if (c.time < best.time)
            best = c;
    }
    return best;
}

/* Plan (G, m, a, R) and compare the library's best with the grid search. */
static void check_best(const trainest_plan_request *prq, const trainest_estimate_request *e,
                       const trainest_memory_request *mrq, const trainest_critical_request *rq,
                       uint64_t cap)
{
    trainest_critical out;
    assert_int_equal(critical(&out, prq, e, mrq, rq), TRAINEST_OK);
    const double s_min = rq->min_steps > 0 ? rq->min_steps : rq->min_samples / rq->noise_scale;
    const struct problem p = {prq->data_parallel, cap, rq->noise_scale, s_min, e,
                              comm_of(prq, e)};
    const struct candidate x =
        search(&p, n_max_of(prq->data_parallel, rq->noise_scale, rq->max_global_batch), false);
    if (out.best_global_batch != x.n * p.R)
        print_error("B %.17g S_min %.17g R %llu cap %llu: library G %llu, reference G %llu\n",
                    p.B, s_min, (unsigned long long)p.R, (unsigned long long)cap,
                    (unsigned long long)out.best_global_batch, (unsigned long long)(x.n * p.R));
    assert_int_equal(out.best_global_batch, x.n * p.R);
    assert_int_equal(out.best_micro_batch, x.m);
    assert_int_equal(out.best_grad_accum_steps, x.a);
    assert_true(out.best_steps_to_target == x.steps);
    assert_true(out.best_time_to_target_s == x.time);
    const double G = (double)out.best_global_batch;
    assert_close(out.best_batch_ratio, G / p.B, 1e-15);
    assert_close(out.best_step_efficiency_ratio, 1 / (1 + p.B / G), 1e-15);
    assert_close(out.best_data_efficiency_ratio, 1 / (1 + G / p.B), 1e-15);
}

/* ---- The plan's own batch --------------------------------------------------------- */

/* At G = B_crit a run takes 2 S_min steps and 2 E_min samples. */
static void test_critical_at_critical_batch_doubles_steps_and_samples(void **state)
{
    (void)state;
    const trainest_estimate_request e = model(0, 0.01, 0.002, 0, 0.05);
    const uint64_t Gs[] = {1, 8, 256, 1536, 65536};
    const double s_mins[] = {1, 37, 1000, 12345.5};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++) {
            const uint64_t G = Gs[i];
            const uint64_t R = G >= 8 ? 8 : 1;
            trainest_plan_request prq = tu_request(1000000, G, G / R, 0, R);
            const double s_min = s_mins[j], e_min = s_min * (double)G;
            trainest_critical_request by_steps = crit((double)G, s_min, 0, 0);
            trainest_critical_request by_samples = crit((double)G, 0, e_min, 0);
            trainest_critical a, b;
            assert_int_equal(critical(&a, &prq, &e, NULL, &by_steps), TRAINEST_OK);
            assert_int_equal(critical(&b, &prq, &e, NULL, &by_samples), TRAINEST_OK);
            assert_true(a.critical_batch == (double)G);
            assert_true(a.steps_to_target == 2 * s_min);
            assert_true(a.samples_to_target == 2 * e_min);
            assert_memory_equal(&a, &b, sizeof a);
        }
}

/* min_samples = E_min gives exactly what min_steps = E_min / B gives. */
static void test_critical_min_samples_equals_min_steps(void **state)
{
    (void)state;
    const trainest_estimate_request e = model(1.0 / 64, 1.0 / 128, 1.0 / 1024, 1.0 / 32, 1.0 / 16);
    const double Bs[] = {0.5, 3, 100, 1024, 4096.25};
    const double s_mins[] = {1, 3, 1000, 0.25};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 4; j++)
            for (uint64_t R = 1; R <= 4; R += quick() ? 3 : 1) {
                trainest_plan_request prq = tu_request(1000000, 64 * R, 8, 0, R);
                prq.max_micro_batch = 16;
                trainest_critical_request by_steps = crit(Bs[i], s_mins[j], 0, 0);
                trainest_critical_request by_samples = crit(Bs[i], 0, s_mins[j] * Bs[i], 0);
                trainest_critical a, b;
                assert_int_equal(critical(&a, &prq, &e, NULL, &by_steps), TRAINEST_OK);
                assert_int_equal(critical(&b, &prq, &e, NULL, &by_samples), TRAINEST_OK);
                assert_memory_equal(&a, &b, sizeof a);
            }
}

/* Steps rounded up, samples, step time (the estimate's), time to target. */
static void test_critical_plan_values(void **state)
{
    (void)state;
    trainest_estimate_request e = model(0.003, 0.011, 0.0007, 0.02, 0.13);
    e.grad_bytes = 2000000000;
    e.bus_bytes_per_s = 1.5e11;
    e.latency_s = 2e-5;
    e.comm_overlap_ratio = 0.3;
    static const struct {
        uint64_t G, m, a, R;
    } plans[] = {{1, 1, 1, 1}, {12, 3, 4, 1}, {96, 2, 6, 8}, {1536, 1, 48, 32}, {4096, 16, 2, 128}};
    const double Bs[] = {0.75, 10, 333.3, 4096, 1e6};
    const double s_mins[] = {1, 2.5, 777.7, 1e5};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++)
            for (size_t k = 0; k < 4; k++) {
                trainest_plan_request prq =
                    tu_request(10000000, plans[i].G, plans[i].m, plans[i].a, plans[i].R);
                trainest_critical_request rq = crit(Bs[j], s_mins[k], 0, 1000);
                trainest_critical out;
                assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
                assert_int_equal(out.invalid_field, TRAINEST_FIELD_NONE);
                const double G = (double)plans[i].G;
                const double S = s_mins[k] * (1 + Bs[j] / G);
                assert_true(out.critical_batch == Bs[j]);
                assert_true(out.steps_to_target == ceil(S));
                assert_true(out.steps_to_target >= S && out.steps_to_target < S + 1);
                assert_true(out.samples_to_target == out.steps_to_target * G);
                trainest_estimate est;
                est.struct_size = sizeof est;
                assert_int_equal(trainest_estimate_run(&est, &prq, &e), TRAINEST_OK);
                assert_close(out.step_s, est.step_s, 1e-12);
                assert_close(out.step_s,
                             step_time(&e, est.step_comm_s, (double)plans[i].a,
                                       (double)plans[i].m),
                             1e-12);
                assert_close(out.time_to_target_s, out.steps_to_target * out.step_s, 1e-15);
            }
    /* 10 (1 + 1 / 3) = 13.33: 14 steps of 3 */
    trainest_plan_request prq = tu_request(1000, 3, 1, 3, 1);
    trainest_critical_request rq = crit(1, 10, 0, 0);
    trainest_critical out;
    assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
    assert_true(out.steps_to_target == 14 && out.samples_to_target == 42);
}

/* ---- The best global batch -------------------------------------------------------- */

/* Dyadic time models: launch-bound, per-step heavy, per-sample only, fixed. */
static trainest_estimate_request dyadic_model(int which)
{
    switch (which) {
    case 0:
        return model(0, 0, 1.0 / 1024, 0, 0);
    case 1:
        return model(0, 0, 1.0 / 1024, 0, 1.0 / 8);
    case 2:
        return model(1.0 / 64, 1.0 / 128, 1.0 / 1024, 1.0 / 32, 1.0 / 16);
    default:
        return model(0, 1.0 / 16, 1.0 / 4096, 0, 1.0 / 256);
    }
}

/* max_global_batch 0 = 64 B: with 64 B / R <= 4096 every n is a candidate;
 * the library's optimum is the first minimum of a search over every n. */
static void test_critical_best_matches_brute_force_dense(void **state)
{
    (void)state;
    const double Bs[] = {1, 2.5, 10, 33, 64.25, 100, 256};
    const uint64_t Rs[] = {1, 2, 3, 4, 8};
    const double s_mins[] = {1, 7, 1000, 123.25};
    const uint64_t caps[] = {0, 1, 3, 8};
    unsigned long combos = 0, i = 0;
    for (size_t b = 0; b < sizeof Bs / sizeof Bs[0]; b++)
        for (size_t r = 0; r < sizeof Rs / sizeof Rs[0]; r++) {
            const uint64_t R = Rs[r];
            if (64 * Bs[b] / (double)R > 4096)
                continue;
            for (int mdl = 0; mdl < 4; mdl++)
                for (size_t c = 0; c < 4; c++) {
                    if (quick() && (i + c) % 4 != 0) {
                        i++;
                        continue;
                    }
                    const trainest_estimate_request e = dyadic_model(mdl);
                    trainest_plan_request prq = tu_request(100000, 4 * R, 1, 0, R);
                    prq.max_micro_batch = caps[c];
                    const trainest_critical_request rq =
                        crit(Bs[b], s_mins[i % 4], 0, 0);
                    check_best(&prq, &e, NULL, &rq, caps[c]); /* here the grid is every n */
                    combos++;
                    i++;
                }
        }
    assert_true(combos >= (quick() ? 100ul : 400ul));
}

/* Beyond n = 4096 the library walks a geometric grid: the same grid here,
 * with comm, a cap and the memory model in play. */
static void test_critical_best_matches_grid_search(void **state)
{
    (void)state;
    trainest_estimate_request comm_model = dyadic_model(2);
    comm_model.grad_bytes = 1024;
    comm_model.bus_bytes_per_s = 1048576; /* 2 (R-1)/R 2^-10 s: exact for R = 2, 4, 8 */
    const trainest_estimate_request models[] = {dyadic_model(1), dyadic_model(2),
                                                dyadic_model(3), comm_model};
    /* optima from n ~ 100 (dense) to n ~ 10^5 (on the grid) */
    const double Bs[] = {200, 5000.5, 65536, 16777216};
    const uint64_t Rs[] = {2, 8};
    const uint64_t caps[] = {0, 5, 64};
    const uint64_t maxes[] = {0, 3000001};
    for (size_t m = 0; m < 4; m++)
        for (size_t b = 0; b < 4; b++)
            for (size_t r = 0; r < 2; r++)
                for (size_t c = 0; c < 3; c++)
                    for (size_t x = 0; x < 2; x++) {
                        if (quick() && (m + b + r + c + x) % 3 != 0)
                            continue;
                        const uint64_t R = Rs[r];
                        trainest_plan_request prq = tu_request(1000000, 8 * R, 1, 0, R);
                        prq.max_micro_batch = caps[c];
                        const trainest_critical_request rq =
                            crit(Bs[b], b == 1 ? 1e5 : 300, 0, maxes[x]);
                        check_best(&prq, &models[m], NULL, &rq, caps[c]);
                    }
}

/* Only a per-sample cost: time = ceil(S(R n)) n p, least at n = 1 (for
 * S_min > 1 strictly; n S(R n) = S_min (n + B / R) grows with n). */
static void test_critical_pure_per_sample_best_is_one_per_replica(void **state)
{
    (void)state;
    const double p = 0.0037;
    const trainest_estimate_request e = model(0, 0, p, 0, 0);
    const double Bs[] = {1, 17, 1000, 123456.5};
    const double s_mins[] = {1, 1.5, 50, 1e4};
    for (uint64_t R = 1; R <= 16; R += 3)
        for (size_t b = 0; b < 4; b++)
            for (size_t s = 0; s < 4; s++) {
                trainest_plan_request prq = tu_request(100000, 64 * R, 4, 0, R);
                trainest_critical_request rq = crit(Bs[b], s_mins[s], 0, 0);
                trainest_critical out;
                assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
                assert_int_equal(out.best_global_batch, R);
                assert_int_equal(out.best_micro_batch, 1);
                assert_int_equal(out.best_grad_accum_steps, 1);
                const double steps = ceil(s_mins[s] * (1 + Bs[b] / (double)R));
                assert_true(out.best_steps_to_target == steps);
                assert_close(out.best_time_to_target_s, steps * p, 1e-15);
            }
}

/* A per-step constant c and a per-sample cost p: time(n) ~ S_min (1 +
 * B / (R n)) (c + p n), least near n* = sqrt(B c / (R p)). The library's
 * best (dense or on the grid) is no worse than the grid points around the
 * true optimum of every n, and within 2 % of n*. */
static void test_critical_per_step_constant_near_sqrt(void **state)
{
    (void)state;
    static const struct {
        double B, c, p;
        uint64_t R, max_global_batch;
    } cases[] = {
        {4096, 1.0 / 2048, 1.0 / 4096, 2, 0},               /* n* = 64 */
        {1000, 1.0 / 8, 1.0 / 1024, 1, 0},                  /* n* = 357.8 */
        {1048576, 1.0 / 8, 1.0 / 16384, 8, 8 * 65536},      /* n* = 16384 */
        {3000000, 1.0 / 4, 1.0 / 65536, 4, 4 * 250000},     /* n* = 110851 */
        {50000, 1.0, 1.0 / 1024, 16, 16 * 20000},           /* n* = 1788.9 */
    };
    const double s_min = 1e6;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (quick() && i == 3)
            continue;
        const trainest_estimate_request e = model(0, 0, cases[i].p, 0, cases[i].c);
        const uint64_t R = cases[i].R;
        trainest_plan_request prq = tu_request(1000000, R, 1, 0, R);
        trainest_critical_request rq = crit(cases[i].B, s_min, 0, cases[i].max_global_batch);
        check_best(&prq, &e, NULL, &rq, 0);
        trainest_critical out;
        assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
        const uint64_t n_best = out.best_global_batch / R;
        assert_int_equal(out.best_global_batch % R, 0);

        const struct problem p = {R, 0, cases[i].B, s_min, &e, 0};
        const uint64_t n_max = n_max_of(R, cases[i].B, cases[i].max_global_batch);
        const struct candidate truth = search(&p, n_max, true);
        /* the grid points that bracket the true optimum */
        uint64_t lo = 1, hi = 1;
        while (hi < truth.n) {
            lo = hi;
            hi = grid_next(hi);
            if (hi > n_max)
                hi = n_max;
        }
        const double t_lo = evaluate(&p, lo).time, t_hi = evaluate(&p, hi).time;
        assert_true(out.best_time_to_target_s >= truth.time);
        assert_true(out.best_time_to_target_s <= (t_lo < t_hi ? t_lo : t_hi));

        const double n_star = sqrt(cases[i].B * cases[i].c / ((double)R * cases[i].p));
        assert_true(fabs((double)n_best - n_star) <= 0.02 * n_star + 1);
        assert_true(fabs((double)truth.n - n_star) <= 0.02 * n_star + 1);
    }
}

/* More replicas shorten the step: the best global batch grows with R
 * (towards sqrt(B c R / p)). */
static void test_critical_best_grows_with_replicas(void **state)
{
    (void)state;
    const trainest_estimate_request e = model(0, 0, 1.0 / 1024, 0, 1.0 / 8);
    uint64_t last = 0;
    for (uint64_t R = 1; R <= 64; R *= 2) {
        trainest_plan_request prq = tu_request(1000000, R, 1, 0, R);
        trainest_critical_request rq = crit(20000, 1e6, 0, 0);
        trainest_critical out;
        assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
        assert_true(out.best_global_batch > last);
        const double g_star = sqrt(20000.0 * (1.0 / 8) * (double)R * 1024);
        assert_true(fabs((double)out.best_global_batch - g_star) <= 0.02 * g_star + (double)R);
        last = out.best_global_batch;
    }
}

/* At its best G = B_crit: batch ratio 1, step and data efficiency 1/2.
 * B / R = c / p puts n* = B / R. */
static void test_critical_best_ratios_at_critical_batch(void **state)
{
    (void)state;
    const trainest_estimate_request e = model(0, 0, 1.0 / 1024, 0, 128.0 / 1024);
    trainest_plan_request prq = tu_request(1000000, 64, 4, 0, 4);
    trainest_critical_request rq = crit(512, 1e6, 0, 0);
    trainest_critical out;
    assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
    assert_int_equal(out.best_global_batch, 512);
    assert_true(out.best_batch_ratio == 1);
    assert_true(out.best_step_efficiency_ratio == 0.5);
    assert_true(out.best_data_efficiency_ratio == 0.5);
    assert_true(out.best_steps_to_target == 2e6);
    check_best(&prq, &e, NULL, &rq, 0);
}

/* The search ends at max_global_batch (inclusive; default 64 B_noise):
 * with a constant step, fewer steps always win, so the best is the last. */
static void test_critical_max_global_batch(void **state)
{
    (void)state;
    const trainest_estimate_request e = model(0, 1, 0, 0, 0); /* 1 s per step, no cap: a = 1 */
    static const struct {
        double B;
        uint64_t R, max_global_batch, want;
    } cases[] = {
        {1000, 1, 0, 64000},      /* 64 B */
        {1000, 3, 0, 63999},      /* R floor(64000 / 3) */
        {1000.5, 7, 0, 64029},    /* 64032 / 7 = 9147.4 */
        {1000, 1, 12345, 12345},  /* on the geometric grid's end, not on a grid point */
        {1000, 4, 20003, 20000},  /* R floor(20003 / 4) */
        {1000, 1, 4000, 4000},    /* dense region */
        {1000, 8, 5, 8},          /* below R: n = 1 is still tried */
        {0.01, 1, 0, 1},          /* 64 B < 1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        trainest_plan_request prq = tu_request(1000000, cases[i].R, 1, 0, cases[i].R);
        trainest_critical_request rq = crit(cases[i].B, 1e6, 0, cases[i].max_global_batch);
        trainest_critical out;
        assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
        assert_int_equal(out.best_global_batch, cases[i].want);
        assert_int_equal(out.best_micro_batch, cases[i].want / cases[i].R);
        assert_int_equal(out.best_grad_accum_steps, 1);
        assert_true(out.best_steps_to_target ==
                    ceil(1e6 * (1 + cases[i].B / (double)cases[i].want)));
        check_best(&prq, &e, NULL, &rq, 0);
    }
}

/* ---- Memory ------------------------------------------------------------------------ */

/* The memory model's largest micro-batch caps the best micro-batch, with
 * the plan's max_micro_batch when that is smaller. */
static void test_critical_memory_caps_micro_batch(void **state)
{
    (void)state;
    const uint64_t GiB = 1ull << 30;
    const trainest_memory_request mrq = memory(10 * GiB, GiB, 15 * GiB + GiB / 2); /* 5 fit */
    const trainest_estimate_request e = dyadic_model(2); /* launch-bound: big m pays */
    static const struct {
        uint64_t plan_cap, cap;
    } cases[] = {{0, 5}, {3, 3}, {8, 5}, {5, 5}};
    for (size_t i = 0; i < 4; i++)
        for (uint64_t R = 1; R <= 4; R += quick() ? 3 : 1) {
            trainest_plan_request prq = tu_request(1000000, 4 * R, 1, 0, R);
            prq.max_micro_batch = cases[i].plan_cap;
            const trainest_critical_request rq = crit(3000, 5000, 0, 0);
            check_best(&prq, &e, &mrq, &rq, cases[i].cap);
            trainest_critical out;
            assert_int_equal(critical(&out, &prq, &e, &mrq, &rq), TRAINEST_OK);
            assert_true(out.best_micro_batch <= cases[i].cap);
            assert_true(out.best_micro_batch > 1); /* the cap binds, not the model */
            /* without memory only the plan's cap applies, and m grows */
            trainest_critical free_;
            assert_int_equal(critical(&free_, &prq, &e, NULL, &rq), TRAINEST_OK);
            if (cases[i].plan_cap == 0)
                assert_true(free_.best_micro_batch > 5);
            assert_true(free_.best_time_to_target_s <= out.best_time_to_target_s);
        }
}

/* ZeRO-3 shards the model states over R: the cap is the memory model's
 * max_micro_batch for the plan's R replicas. */
static void test_critical_memory_cap_depends_on_replicas(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    assert_int_equal(trainest_memory_request_init(&mrq, sizeof mrq), TRAINEST_OK);
    mrq.zero_stage = 3;
    mrq.params = 1000000000; /* 16 GB of states unsharded */
    mrq.activation_bytes_per_sample = 500000000;
    mrq.device_memory_bytes = 24000000000ull;
    const trainest_estimate_request e = dyadic_model(2);
    uint64_t last_cap = 0;
    for (uint64_t R = 1; R <= 16; R *= 2) {
        trainest_memory mem;
        mem.struct_size = sizeof mem;
        assert_int_equal(trainest_memory_compute(&mem, &mrq, 0, R), TRAINEST_OK);
        assert_true(mem.max_micro_batch > last_cap); /* sharding frees memory */
        last_cap = mem.max_micro_batch;
        trainest_plan_request prq = tu_request(1000000, 2 * R, 1, 0, R);
        const trainest_critical_request rq = crit(2000, 5000, 0, 0);
        check_best(&prq, &e, &mrq, &rq, mem.max_micro_batch);
    }
}

/* Model parallelism: the states split over TP x PP and the first stage
 * holds PP micro-batches; the cap is trainest_memory_for_plan()'s
 * max_micro_batch for the plan's layout (a 0.5.0 bug used the unsplit
 * model and found nothing that fits). */
static void test_critical_memory_cap_follows_the_layout(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    assert_int_equal(trainest_memory_request_init(&mrq, sizeof mrq), TRAINEST_OK);
    mrq.params = 8000000000; /* 128 GB of states unsplit: fits only split */
    mrq.activation_bytes_per_sample = 400000000;
    mrq.device_memory_bytes = 40000000000ull;
    trainest_estimate_request e = dyadic_model(2);
    e.bus_bytes_per_s = 1e11; /* tensor-parallel traffic needs a link */
    for (uint64_t tp = 2; tp <= 4; tp *= 2)
        for (uint64_t pp = 2; pp <= 4; pp *= 2) {
            trainest_plan_request prq = tu_request(1000000, 8 * pp, 1, 0, 2);
            prq.tensor_parallel = tp;
            prq.pipeline_parallel = pp;
            prq.seq_len_tokens = 512; /* the shape TP communication needs */
            prq.hidden = 1024;
            prq.layers = 8;
            trainest_memory mem;
            mem.struct_size = sizeof mem;
            assert_int_equal(trainest_memory_for_plan(&mem, &mrq, &prq), TRAINEST_OK);
            assert_true(mem.max_micro_batch > 0 && mem.max_micro_batch < 1000);
            const trainest_critical_request rq = crit(2000, 5000, 0, 0);
            /* the memory model acts exactly as that cap on the micro-batch */
            trainest_critical with_memory, with_cap;
            assert_int_equal(critical(&with_memory, &prq, &e, &mrq, &rq), TRAINEST_OK);
            trainest_plan_request capped = prq;
            capped.max_micro_batch = mem.max_micro_batch;
            assert_int_equal(critical(&with_cap, &capped, &e, NULL, &rq), TRAINEST_OK);
            assert_memory_equal(&with_memory, &with_cap, sizeof with_cap);
            assert_true(with_memory.best_micro_batch <= mem.max_micro_batch);
        }
    /* nothing fits: the device memory is blamed */
    trainest_plan_request prq = tu_request(1000000, 16, 1, 0, 2);
    trainest_critical out;
    const trainest_critical_request rq = crit(2000, 5000, 0, 0);
    assert_int_equal(critical(&out, &prq, &e, &mrq, &rq), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(out.invalid_field, TRAINEST_FIELD_DEVICE_MEMORY_BYTES);
}

/* NULL memory and unlimited memory mean the same: only the plan's cap. */
static void test_critical_memory_null_or_unlimited(void **state)
{
    (void)state;
    const trainest_estimate_request e = dyadic_model(2);
    const trainest_memory_request unlimited = memory(1000, 1000, 0);
    const trainest_memory_request no_activations = memory(1000, 0, 1u << 20);
    for (uint64_t cap = 0; cap <= 12; cap += 4) {
        trainest_plan_request prq = tu_request(1000000, 16, 1, 0, 2);
        prq.max_micro_batch = cap;
        const trainest_critical_request rq = crit(700, 321, 0, 0);
        trainest_critical a, b, c;
        assert_int_equal(critical(&a, &prq, &e, NULL, &rq), TRAINEST_OK);
        assert_int_equal(critical(&b, &prq, &e, &unlimited, &rq), TRAINEST_OK);
        assert_int_equal(critical(&c, &prq, &e, &no_activations, &rq), TRAINEST_OK);
        assert_memory_equal(&a, &b, sizeof a);
        assert_memory_equal(&a, &c, sizeof a);
        check_best(&prq, &e, NULL, &rq, cap);
    }
}

static void expect_error(const trainest_plan_request *prq, const trainest_estimate_request *e,
                         const trainest_memory_request *mrq, const trainest_critical_request *rq,
                         int status, uint32_t field)
{
    trainest_critical out;
    assert_int_equal(critical(&out, prq, e, mrq, rq), status);
    assert_int_equal(out.struct_size, sizeof out);
    assert_int_equal(out.invalid_field, field);
    trainest_critical zero;
    memset(&zero, 0, sizeof zero);
    zero.struct_size = sizeof zero;
    zero.invalid_field = field;
    assert_memory_equal(&out, &zero, sizeof out);
}

/* A memory model in which nothing fits, or that is itself invalid. */
static void test_critical_memory_errors(void **state)
{
    (void)state;
    const trainest_estimate_request e = dyadic_model(1);
    trainest_plan_request prq = tu_request(1000000, 16, 1, 0, 2);
    const trainest_critical_request rq = crit(700, 321, 0, 0);
    trainest_memory_request mrq = memory(2000, 100, 1999); /* the static part alone is too big */
    expect_error(&prq, &e, &mrq, &rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DEVICE_MEMORY_BYTES);
    mrq = memory(2000, 100, 2099); /* static fits, not one sample */
    expect_error(&prq, &e, &mrq, &rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DEVICE_MEMORY_BYTES);
    mrq = memory(2000, 100, 2100); /* exactly one sample */
    trainest_critical out;
    assert_int_equal(critical(&out, &prq, &e, &mrq, &rq), TRAINEST_OK);
    assert_int_equal(out.best_micro_batch, 1);
    mrq = memory(2000, 100, 100000);
    mrq.headroom_ratio = 1;
    expect_error(&prq, &e, &mrq, &rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_HEADROOM_RATIO);
    mrq.headroom_ratio = NAN;
    expect_error(&prq, &e, &mrq, &rq, TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_HEADROOM_RATIO);
    mrq = memory(2000, 100, 100000);
    mrq.zero_stage = 4;
    expect_error(&prq, &e, &mrq, &rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_ZERO_STAGE);
    mrq = memory(2000, 100, 100000);
    mrq.params = 10;
    expect_error(&prq, &e, &mrq, &rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_STATIC_BYTES);
}

/* ---- Validation -------------------------------------------------------------------- */

static void test_critical_rejects_bad_requests(void **state)
{
    (void)state;
    const trainest_estimate_request e = dyadic_model(1);
    trainest_plan_request prq = tu_request(1000000, 16, 1, 0, 2);
    /* exactly one of min_steps and min_samples */
    trainest_critical_request rq = crit(100, 10, 1000, 0);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_MIN_SAMPLES);
    rq = crit(100, 0, 0, 0);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_MIN_STEPS);
    /* noise scale */
    rq = crit(0, 10, 0, 0);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_ZERO, TRAINEST_FIELD_NOISE_SCALE);
    rq = crit(0, 0, 1000, 0);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_ZERO, TRAINEST_FIELD_NOISE_SCALE);
    /* NaN, infinities and negatives, each field */
    const double bad[] = {NAN, INFINITY, -INFINITY, -1, -1e-300};
    for (size_t i = 0; i < 5; i++) {
        const int want = isfinite(bad[i]) ? TRAINEST_E_OUT_OF_RANGE : TRAINEST_E_NOT_FINITE;
        rq = crit(bad[i], 10, 0, 0);
        expect_error(&prq, &e, NULL, &rq, want, TRAINEST_FIELD_NOISE_SCALE);
        rq = crit(100, bad[i], 0, 0);
        expect_error(&prq, &e, NULL, &rq, want, TRAINEST_FIELD_MIN_STEPS);
        rq = crit(100, 0, bad[i], 0);
        expect_error(&prq, &e, NULL, &rq, want, TRAINEST_FIELD_MIN_SAMPLES);
        rq = crit(100, 10, bad[i], 0); /* a bad value, not "both given" */
        expect_error(&prq, &e, NULL, &rq, want, TRAINEST_FIELD_MIN_SAMPLES);
    }
    /* reserved0 */
    rq = crit(100, 10, 0, 0);
    rq.reserved0 = 3;
    trainest_critical out;
    assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_E_UNSUPPORTED);
    assert_true(out.best_global_batch == 0 && out.steps_to_target == 0);
}

/* The plan's and the estimate's own errors, with their fields. */
static void test_critical_plan_and_estimate_errors_pass_through(void **state)
{
    (void)state;
    const trainest_critical_request rq = crit(100, 10, 0, 0);
    const trainest_estimate_request good = dyadic_model(1);
    trainest_plan_request bad_plans[3];
    bad_plans[0] = tu_request(1000, 10, 3, 0, 1); /* 10 / 3 does not divide */
    bad_plans[1] = tu_request(0, 10, 1, 0, 1);    /* no samples */
    bad_plans[2] = tu_request(1000, 0, 0, 0, 1);  /* nothing to derive G from */
    for (size_t i = 0; i < 3; i++) {
        trainest_plan p;
        const int want = tu_plan(&p, &bad_plans[i]);
        assert_true(want < 0);
        expect_error(&bad_plans[i], &good, NULL, &rq, want, p.invalid_field);
    }
    trainest_plan_request prq = tu_request(1000000, 16, 1, 0, 2);
    trainest_estimate_request e = model(0, 0, -0.5, 0, 0);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_PER_SAMPLE_S);
    e = model(0, INFINITY, 0.5, 0, 0);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_FIXED_S);
    e = model(0, 0, 0, 0, 1);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_PER_SAMPLE_S);
    e = dyadic_model(1);
    e.grad_bytes = 1000; /* R = 2 needs a bus bandwidth */
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_BUS_BYTES_PER_S);
}

/* Results too large for a double are an error, never inf or NaN. */
static void test_critical_overflow(void **state)
{
    (void)state;
    const trainest_estimate_request e = dyadic_model(1);
    trainest_plan_request prq = tu_request(1ull << 62, 1ull << 40, 1ull << 10, 0, 1ull << 30);
    trainest_critical_request rq = crit(1e6, 1e300, 0, 1ull << 31);
    expect_error(&prq, &e, NULL, &rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_NONE);
    /* large but finite: fine, and finite */
    rq = crit(1e6, 1e200, 0, 1ull << 31);
    trainest_critical out;
    assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);
    assert_true(isfinite(out.samples_to_target) && isfinite(out.time_to_target_s) &&
                isfinite(out.best_time_to_target_s));
}

/* ---- Struct rules -------------------------------------------------------------------- */

static void test_critical_struct_rules(void **state)
{
    (void)state;
    trainest_plan_request prq = tu_request(1000000, 16, 1, 0, 2);
    const trainest_estimate_request e = dyadic_model(2);
    const trainest_memory_request mrq = memory(1000, 100, 1000000);
    const trainest_critical_request rq = crit(700, 321, 0, 0);
    trainest_critical out, ref;
    assert_int_equal(critical(&ref, &prq, &e, &mrq, &rq), TRAINEST_OK);

    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_CRITICAL), sizeof(trainest_critical));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_CRITICAL_REQUEST),
                     sizeof(trainest_critical_request));

    /* NULL pointers: only the memory request may be NULL */
    assert_int_equal(trainest_critical_compute(NULL, &prq, &e, &mrq, &rq), TRAINEST_E_NULL);
    assert_int_equal(critical(&out, NULL, &e, &mrq, &rq), TRAINEST_E_NULL);
    assert_int_equal(out.invalid_field, TRAINEST_FIELD_NONE);
    assert_int_equal(critical(&out, &prq, NULL, &mrq, &rq), TRAINEST_E_NULL);
    assert_int_equal(critical(&out, &prq, &e, &mrq, NULL), TRAINEST_E_NULL);
    assert_int_equal(critical(&out, &prq, &e, NULL, &rq), TRAINEST_OK);

    /* an output below its first released size: refused, untouched */
    memset(&out, 0x77, sizeof out);
    out.struct_size = sizeof out - 8;
    assert_int_equal(trainest_critical_compute(&out, &prq, &e, &mrq, &rq), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(out.invalid_field, 0x77777777u);
    out.struct_size = 0;
    assert_int_equal(trainest_critical_compute(&out, &prq, &e, &mrq, &rq), TRAINEST_E_STRUCT_SIZE);
    out.struct_size = 1u << 30;
    assert_int_equal(trainest_critical_compute(&out, &prq, &e, &mrq, &rq), TRAINEST_E_STRUCT_SIZE);

    /* every input below its first released size */
    trainest_plan_request small_prq = prq;
    small_prq.struct_size = 8;
    expect_error(&small_prq, &e, &mrq, &rq, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE);
    trainest_estimate_request small_e = e;
    small_e.struct_size = 200; /* below the first released size, 240 */
    expect_error(&prq, &small_e, &mrq, &rq, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE);
    trainest_memory_request small_m = mrq;
    small_m.struct_size = 4;
    expect_error(&prq, &e, &small_m, &rq, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE);
    trainest_critical_request small_rq = rq;
    small_rq.struct_size = sizeof small_rq - 8;
    expect_error(&prq, &e, &mrq, &small_rq, TRAINEST_E_STRUCT_SIZE, TRAINEST_FIELD_STRUCT_SIZE);

    /* a longer request: zero tail accepted, anything else unsupported */
    struct {
        trainest_critical_request rq;
        uint64_t extra[2];
    } big;
    memset(&big, 0, sizeof big);
    big.rq = rq;
    big.rq.struct_size = sizeof big;
    assert_int_equal(critical(&out, &prq, &e, &mrq, &big.rq), TRAINEST_OK);
    assert_memory_equal(&out, &ref, sizeof out);
    big.extra[0] = 1;
    expect_error(&prq, &e, &mrq, &big.rq, TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);

    /* a longer output: what this library does not know is zeroed */
    struct {
        trainest_critical c;
        uint64_t extra[2];
    } big_out;
    memset(&big_out, 0x5A, sizeof big_out);
    big_out.c.struct_size = sizeof big_out;
    assert_int_equal(trainest_critical_compute(&big_out.c, &prq, &e, &mrq, &rq), TRAINEST_OK);
    assert_int_equal(big_out.c.struct_size, sizeof big_out);
    assert_memory_equal((const char *)&big_out.c + 4, (const char *)&ref + 4, sizeof ref - 4);
    assert_true(big_out.extra[0] == 0 && big_out.extra[1] == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_critical_at_critical_batch_doubles_steps_and_samples),
        cmocka_unit_test(test_critical_min_samples_equals_min_steps),
        cmocka_unit_test(test_critical_plan_values),
        cmocka_unit_test(test_critical_best_matches_brute_force_dense),
        cmocka_unit_test(test_critical_best_matches_grid_search),
        cmocka_unit_test(test_critical_pure_per_sample_best_is_one_per_replica),
        cmocka_unit_test(test_critical_per_step_constant_near_sqrt),
        cmocka_unit_test(test_critical_best_grows_with_replicas),
        cmocka_unit_test(test_critical_best_ratios_at_critical_batch),
        cmocka_unit_test(test_critical_max_global_batch),
        cmocka_unit_test(test_critical_memory_caps_micro_batch),
        cmocka_unit_test(test_critical_memory_cap_depends_on_replicas),
        cmocka_unit_test(test_critical_memory_cap_follows_the_layout),
        cmocka_unit_test(test_critical_memory_null_or_unlimited),
        cmocka_unit_test(test_critical_memory_errors),
        cmocka_unit_test(test_critical_rejects_bad_requests),
        cmocka_unit_test(test_critical_plan_and_estimate_errors_pass_through),
        cmocka_unit_test(test_critical_overflow),
        cmocka_unit_test(test_critical_struct_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
