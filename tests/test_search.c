/* SPDX-License-Identifier: MIT */
/* The planner search (trainest_search_run) against a brute-force reference
 * built from the public plan, estimate and memory functions: the same best
 * plans in the same order, the same rejection counts, for every policy and
 * capacity, with deliberate ties. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

enum { MAX_REF = 20000 };

struct ref {
    trainest_search_result r[MAX_REF];
    size_t n;
    trainest_search counts;
};

static bool ref_better(const trainest_search_result *x, const trainest_search_result *y)
{
    if (x->total_s != y->total_s)
        return x->total_s < y->total_s;
    if (x->headroom_ratio != y->headroom_ratio)
        return x->headroom_ratio > y->headroom_ratio;
    if (x->global_batch != y->global_batch)
        return x->global_batch < y->global_batch;
    if (x->data_parallel != y->data_parallel)
        return x->data_parallel < y->data_parallel;
    return x->micro_batch < y->micro_batch;
}

static int ref_cmp(const void *a, const void *b)
{
    const trainest_search_result *x = a, *y = b;
    return ref_better(x, y) ? -1 : ref_better(y, x) ? 1 : 0;
}

/* Every candidate, straight through the public functions. */
static void reference(struct ref *ref, const trainest_plan_request *prq,
                      const trainest_estimate_request *erq, const trainest_memory_request *mrq,
                      const trainest_search_request *sr)
{
    memset(ref, 0, sizeof *ref);
    uint64_t lo = sr->global_batch_min ? sr->global_batch_min : prq->global_batch;
    uint64_t hi = sr->global_batch_max ? sr->global_batch_max : lo;
    uint64_t step = sr->global_batch_step ? sr->global_batch_step : 1;
    static uint64_t seen[MAX_REF][3];
    size_t nseen = 0;
    for (uint64_t R = 1; R <= sr->max_devices && R <= hi; R++)
        for (uint64_t G = lo; G <= hi; G += step) {
            uint64_t mmax = prq->divisibility == TRAINEST_DIVISIBILITY_ROUND_UP ? (G + R - 1) / R
                                                                               : G / R;
            for (uint64_t m = 1; m <= mmax; m++) {
                ref->counts.candidates_evaluated++;
                uint64_t q = m * R, a = G / q;
                if (G % q) {
                    if (prq->divisibility == TRAINEST_DIVISIBILITY_ERROR) {
                        ref->counts.rejected_not_divisible++;
                        continue;
                    }
                    if (prq->divisibility == TRAINEST_DIVISIBILITY_ROUND_UP)
                        a++;
                }
                if (!a) {
                    ref->counts.rejected_not_divisible++;
                    continue;
                }
                uint64_t G2 = a * q;
                bool dup = false;
                for (size_t i = 0; i < nseen && !dup; i++)
                    dup = seen[i][0] == G2 && seen[i][1] == R && seen[i][2] == m;
                if (dup) {
                    ref->counts.duplicates++;
                    continue;
                }
                assert_true(nseen < MAX_REF);
                seen[nseen][0] = G2;
                seen[nseen][1] = R;
                seen[nseen][2] = m;
                nseen++;
                trainest_memory mem;
                mem.struct_size = sizeof mem;
                int mst = trainest_memory_compute(&mem, mrq, m, R);
                if (mst == TRAINEST_E_OVERFLOW) {
                    ref->counts.rejected_overflow++;
                    continue;
                }
                assert_int_equal(mst, TRAINEST_OK);
                if (!mem.fits || (prq->max_micro_batch && m > prq->max_micro_batch)) {
                    ref->counts.rejected_does_not_fit++;
                    continue;
                }
                trainest_plan_request one = *prq;
                one.global_batch = G2;
                one.micro_batch = m;
                one.grad_accum_steps = a;
                one.data_parallel = R;
                one.max_micro_batch = 0;
                one.divisibility = TRAINEST_DIVISIBILITY_ERROR;
                trainest_estimate e;
                e.struct_size = sizeof e;
                int st = trainest_estimate_run(&e, &one, erq);
                if (st == TRAINEST_E_NO_STEPS) {
                    ref->counts.rejected_no_steps++;
                    continue;
                }
                assert_int_equal(st, TRAINEST_OK);
                trainest_plan p;
                assert_int_equal(tu_plan(&p, &one), TRAINEST_OK);
                ref->counts.feasible++;
                assert_true(ref->n < MAX_REF);
                trainest_search_result *r = &ref->r[ref->n++];
                memset(r, 0, sizeof *r);
                r->struct_size = sizeof *r;
                r->global_batch = G2;
                r->micro_batch = m;
                r->grad_accum_steps = a;
                r->data_parallel = R;
                r->total_optimizer_steps = p.total_optimizer_steps;
                r->memory_bytes = mem.total_bytes;
                r->headroom_ratio = mrq->device_memory_bytes ? mem.headroom_ratio : 0;
                r->step_s = e.step_s;
                r->total_s = e.total_s;
            }
        }
    qsort(ref->r, ref->n, sizeof ref->r[0], ref_cmp);
}

static void check_search(const trainest_plan_request *prq, const trainest_estimate_request *erq,
                         const trainest_memory_request *mrq, const trainest_search_request *sr)
{
    static struct ref ref;
    reference(&ref, prq, erq, mrq, sr);
    const uint32_t caps[] = {0, 1, 2, 7, 64};
    for (size_t k = 0; k < sizeof caps / sizeof caps[0]; k++) {
        trainest_search s;
        trainest_search_result res[64];
        uint32_t n = 77;
        s.struct_size = sizeof s;
        res[0].struct_size = sizeof res[0];
        assert_int_equal(trainest_search_run(&s, caps[k] ? res : NULL, caps[k], &n, prq, erq, mrq, sr),
                         TRAINEST_OK);
        assert_int_equal(s.candidates_evaluated, ref.counts.candidates_evaluated);
        assert_int_equal(s.feasible, ref.counts.feasible);
        assert_int_equal(s.rejected_not_divisible, ref.counts.rejected_not_divisible);
        assert_int_equal(s.rejected_does_not_fit, ref.counts.rejected_does_not_fit);
        assert_int_equal(s.rejected_no_steps, ref.counts.rejected_no_steps);
        assert_int_equal(s.rejected_overflow, ref.counts.rejected_overflow);
        assert_int_equal(s.duplicates, ref.counts.duplicates);
        assert_int_equal(n, ref.n < caps[k] ? ref.n : caps[k]);
        for (uint32_t i = 0; i < n; i++) {
            assert_int_equal(res[i].struct_size, sizeof res[i]);
            assert_int_equal(res[i].global_batch, ref.r[i].global_batch);
            assert_int_equal(res[i].micro_batch, ref.r[i].micro_batch);
            assert_int_equal(res[i].data_parallel, ref.r[i].data_parallel);
            assert_int_equal(res[i].grad_accum_steps, ref.r[i].grad_accum_steps);
            assert_int_equal(res[i].total_optimizer_steps, ref.r[i].total_optimizer_steps);
            assert_int_equal(res[i].memory_bytes, ref.r[i].memory_bytes);
            assert_true(res[i].total_s == ref.r[i].total_s);
            assert_true(res[i].step_s == ref.r[i].step_s);
            assert_true(res[i].headroom_ratio == ref.r[i].headroom_ratio);
        }
    }
}

static void setup(trainest_plan_request *prq, trainest_estimate_request *erq,
                  trainest_memory_request *mrq, trainest_search_request *sr)
{
    *prq = tu_request(997, 0, 0, 0, 1);
    trainest_estimate_request_init(erq, sizeof *erq);
    erq->floor_s = 0.02;
    erq->fixed_s = 0.004;
    erq->per_sample_s = 0.003;
    erq->launch_lag_s = 0.002;
    erq->optimizer_s = 0.002;
    erq->grad_bytes = 100000000;
    erq->bus_bytes_per_s = 1e10;
    trainest_memory_request_init(mrq, sizeof *mrq);
    mrq->params = 1000000;
    mrq->zero_stage = 1;
    mrq->activation_bytes_per_sample = 1000000;
    mrq->device_memory_bytes = 40000000;
    mrq->headroom_ratio = 0.05;
    memset(sr, 0, sizeof *sr);
    sr->struct_size = sizeof *sr;
    sr->global_batch_min = 16;
    sr->global_batch_max = 64;
    sr->global_batch_step = 4;
    sr->max_devices = 4;
}

static void test_search_equals_brute_force_every_policy(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    for (uint32_t div = 0; div <= 2; div++)
        for (uint32_t tail = 1; tail <= 3; tail++) {
            prq.divisibility = div;
            prq.accum_tail = tail;
            prq.last_micro_batch = tail == 2 ? TRAINEST_LAST_MICRO_BATCH_DROP : 0;
            check_search(&prq, &erq, &mrq, &sr);
        }
}

static void test_search_equals_brute_force_presets(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    for (uint32_t preset = 1; preset <= TRAINEST_PRESET_LIGHTNING; preset++) {
        prq.preset = preset;
        prq.epochs = 2;
        check_search(&prq, &erq, &mrq, &sr);
    }
    /* the plan request's own cap rejects as "does not fit" too */
    prq.preset = 0;
    prq.max_micro_batch = 5;
    check_search(&prq, &erq, &mrq, &sr);
}

/* A pure per-sample time model makes every plan over the same samples tie:
 * memory headroom and then (G, R, m) must decide, the same way every time. */
static void test_search_ties_are_broken_deterministically(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.001;
    prq.samples = 960; /* divisible by everything tried below */
    sr.global_batch_min = 8;
    sr.global_batch_max = 48;
    sr.global_batch_step = 8;
    check_search(&prq, &erq, &mrq, &sr);
    /* no memory limit: headroom is 0 everywhere and only (G, R, m) decide */
    mrq.device_memory_bytes = 0;
    mrq.headroom_ratio = 0;
    check_search(&prq, &erq, &mrq, &sr);
    trainest_search s;
    trainest_search_result res[3];
    uint32_t n;
    s.struct_size = sizeof s;
    res[0].struct_size = sizeof res[0];
    sr.max_devices = 1; /* more replicas would simply be faster */
    assert_int_equal(trainest_search_run(&s, res, 3, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(n, 3);
    assert_true(res[0].total_s == res[1].total_s && res[1].total_s == res[2].total_s);
    assert_int_equal(res[0].global_batch, 8);
    assert_int_equal(res[0].data_parallel, 1);
    assert_int_equal(res[0].micro_batch, 1);
    assert_int_equal(res[1].micro_batch, 2);
}

static void test_search_single_global_batch_from_plan(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    sr.global_batch_min = sr.global_batch_max = sr.global_batch_step = 0;
    prq.global_batch = 48;
    check_search(&prq, &erq, &mrq, &sr);
    trainest_search s;
    trainest_search_result res[1];
    uint32_t n;
    s.struct_size = sizeof s;
    res[0].struct_size = sizeof res[0];
    assert_int_equal(trainest_search_run(&s, res, 1, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].global_batch, 48);
    assert_true(res[0].memory_bytes <= 38000000);
}

/* Model states beyond 2^64 - 1 bytes on one or two replicas are those
 * candidates' overflow, not the search's: ZeRO-3 over three or four fits. */
static void test_search_counts_overflowing_layouts(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    mrq.params = UINT64_C(1) << 61; /* 2 + 2 + 12 bytes each: 2^65 bytes */
    mrq.zero_stage = 3;
    mrq.activation_bytes_per_sample = 1;
    mrq.device_memory_bytes = UINT64_MAX;
    mrq.headroom_ratio = 0;
    sr.global_batch_min = 8;
    sr.global_batch_max = 24;
    check_search(&prq, &erq, &mrq, &sr);
    trainest_search s;
    trainest_search_result res[4];
    uint32_t n;
    s.struct_size = sizeof s;
    res[0].struct_size = sizeof res[0];
    assert_int_equal(trainest_search_run(&s, res, 4, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_true(s.rejected_overflow > 0);
    assert_true(n > 0);
    for (uint32_t i = 0; i < n; i++)
        assert_true(res[i].data_parallel >= 3);
    /* on at most two devices nothing fits, and that is no error either */
    sr.max_devices = 2;
    check_search(&prq, &erq, &mrq, &sr);
    assert_int_equal(trainest_search_run(&s, res, 4, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(n, 0);
    assert_int_equal(s.feasible, 0);
    assert_int_equal(s.invalid_field, TRAINEST_FIELD_NONE);
}

static void test_search_bad_requests(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    trainest_search s;
    trainest_search_result res[2];
    uint32_t n;
    s.struct_size = sizeof s;
    res[0].struct_size = sizeof res[0];
#define EXPECT(status, fld)                                                                    \
    do {                                                                                       \
        assert_int_equal(trainest_search_run(&s, res, 2, &n, &prq, &erq, &mrq, &sr), status); \
        assert_int_equal(s.invalid_field, fld);                                                \
        assert_int_equal(n, 0);                                                                \
        assert_int_equal(s.candidates_evaluated, 0);                                           \
    } while (0)
    sr.max_devices = 0;
    EXPECT(TRAINEST_E_ZERO, TRAINEST_FIELD_MAX_DEVICES);
    sr.max_devices = 2;
    sr.global_batch_max = 8;
    EXPECT(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_GLOBAL_BATCH_MAX);
    sr.global_batch_min = 0;
    EXPECT(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_GLOBAL_BATCH_MIN);
    sr.global_batch_max = sr.global_batch_step = 0;
    EXPECT(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_GLOBAL_BATCH);
    setup(&prq, &erq, &mrq, &sr);
    erq.per_sample_s = NAN;
    EXPECT(TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_PER_SAMPLE_S);
    setup(&prq, &erq, &mrq, &sr);
    erq.bus_bytes_per_s = 0; /* 4 replicas need it */
    EXPECT(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_BUS_BYTES_PER_S);
    setup(&prq, &erq, &mrq, &sr);
    mrq.zero_stage = 7;
    EXPECT(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_ZERO_STAGE);
    setup(&prq, &erq, &mrq, &sr);
    prq.samples = 0;
    EXPECT(TRAINEST_E_ZERO, TRAINEST_FIELD_SAMPLES);
    setup(&prq, &erq, &mrq, &sr);
    erq.observed_step_s = 1;
    EXPECT(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_OBSERVED_MICRO_BATCH);
    setup(&prq, &erq, &mrq, &sr);
    sr.reserved0 = 3;
    EXPECT(TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
#undef EXPECT
    setup(&prq, &erq, &mrq, &sr);
    assert_int_equal(trainest_search_run(&s, res, 2, NULL, &prq, &erq, &mrq, &sr), TRAINEST_E_NULL);
    assert_int_equal(trainest_search_run(&s, NULL, 2, &n, &prq, &erq, &mrq, &sr), TRAINEST_E_NULL);
    assert_int_equal(trainest_search_run(&s, res, 2, &n, &prq, &erq, NULL, &sr), TRAINEST_E_NULL);
    res[0].struct_size = 4;
    assert_int_equal(trainest_search_run(&s, res, 2, &n, &prq, &erq, &mrq, &sr),
                     TRAINEST_E_STRUCT_SIZE);
}

/* A newer caller's bigger result elements: the stride is theirs. */
static void test_search_result_stride(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    setup(&prq, &erq, &mrq, &sr);
    struct big {
        trainest_search_result r;
        uint64_t future[2];
    } big[5];
    memset(big, 0x44, sizeof big);
    big[0].r.struct_size = sizeof big[0];
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t n;
    assert_int_equal(trainest_search_run(&s, &big[0].r, 4, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(n, 4);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(big[i].r.struct_size, sizeof big[i]);
        assert_true(big[i].future[0] == 0 && big[i].future[1] == 0);
        if (i)
            assert_true(big[i - 1].r.total_s <= big[i].r.total_s);
    }
    const unsigned char *untouched = (const unsigned char *)&big[4];
    for (size_t i = 0; i < sizeof big[4]; i++)
        assert_int_equal(untouched[i], 0x44);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_equals_brute_force_every_policy),
        cmocka_unit_test(test_search_equals_brute_force_presets),
        cmocka_unit_test(test_search_ties_are_broken_deterministically),
        cmocka_unit_test(test_search_single_global_batch_from_plan),
        cmocka_unit_test(test_search_counts_overflowing_layouts),
        cmocka_unit_test(test_search_bad_requests),
        cmocka_unit_test(test_search_result_stride),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
