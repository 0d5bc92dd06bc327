/* SPDX-License-Identifier: MIT */
/* Repairs for bad requests (trainest_plan_suggest) and the exact divisor
 * search both the planner and the repairs rely on. */
#include <stdbool.h>
#include <string.h>

#include "intmath.h"
#include "testutil.h"

enum { CAP = 16 };

static uint32_t suggest(trainest_plan_suggestion *s, const trainest_plan_request *rq)
{
    uint32_t n = 0;
    s[0].struct_size = sizeof s[0];
    assert_int_equal(trainest_plan_suggest(s, CAP, &n, rq), TRAINEST_OK);
    assert_true(n <= CAP);
    return n;
}

static double rel(uint64_t v, uint64_t want)
{
    if (!want)
        return 0;
    return (v > want ? (double)(v - want) : (double)(want - v)) / (double)want;
}

/* Every suggestion is valid as it stands, keeps R, is sorted and unique. */
static void check_suggestions(const trainest_plan_request *rq, const trainest_plan_suggestion *s,
                              uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(s[i].struct_size, sizeof s[i]);
        assert_int_equal(s[i].data_parallel, rq->data_parallel);
        assert_int_equal(s[i].global_batch,
                         s[i].micro_batch * s[i].grad_accum_steps * s[i].data_parallel);
        trainest_plan_request fixed = *rq;
        fixed.global_batch = s[i].global_batch;
        fixed.micro_batch = s[i].micro_batch;
        fixed.grad_accum_steps = s[i].grad_accum_steps;
        fixed.divisibility = TRAINEST_DIVISIBILITY_ERROR;
        trainest_plan p;
        assert_int_equal(tu_plan(&p, &fixed), TRAINEST_OK);
        double d = rel(s[i].global_batch, rq->global_batch) +
                   rel(s[i].micro_batch, rq->micro_batch) +
                   rel(s[i].grad_accum_steps, rq->grad_accum_steps);
        assert_close(s[i].distance_ratio, d, 1e-12);
        uint32_t changed = 0;
        if (rq->global_batch && s[i].global_batch != rq->global_batch)
            changed |= TRAINEST_CHANGED_GLOBAL_BATCH;
        if (rq->micro_batch && s[i].micro_batch != rq->micro_batch)
            changed |= TRAINEST_CHANGED_MICRO_BATCH;
        if (rq->grad_accum_steps && s[i].grad_accum_steps != rq->grad_accum_steps)
            changed |= TRAINEST_CHANGED_GRAD_ACCUM_STEPS;
        assert_int_equal(s[i].changed, changed);
        if (i > 0) {
            assert_true(s[i - 1].distance_ratio <= s[i].distance_ratio);
            assert_false(s[i - 1].micro_batch == s[i].micro_batch &&
                         s[i - 1].grad_accum_steps == s[i].grad_accum_steps);
        }
        for (uint32_t j = 0; j < i; j++)
            assert_false(s[j].micro_batch == s[i].micro_batch &&
                         s[j].grad_accum_steps == s[i].grad_accum_steps);
    }
}

static void test_suggest_not_divisible_seed(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    trainest_plan_request rq = tu_request(1000, 10, 3, 0, 1);
    uint32_t n = suggest(s, &rq);
    check_suggestions(&rq, s, n);
    assert_true(n >= 3);
    /* G = 9 (a = 3) is 10 % away; G = 12 (a = 4) 20 %; keeping G = 10,
     * m = 2 is 33 % away on m, m = 5 is 67 %. */
    assert_int_equal(s[0].global_batch, 9);
    assert_int_equal(s[0].micro_batch, 3);
    assert_int_equal(s[0].grad_accum_steps, 3);
    assert_int_equal(s[0].changed, TRAINEST_CHANGED_GLOBAL_BATCH);
    assert_close(s[0].distance_ratio, 0.1, 1e-12);
    assert_int_equal(s[1].global_batch, 12);
    assert_int_equal(s[2].global_batch, 10);
    assert_int_equal(s[2].micro_batch, 2);
    assert_int_equal(s[2].changed, TRAINEST_CHANGED_MICRO_BATCH);
}

static void test_suggest_valid_request_comes_first(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    trainest_plan_request rq = tu_request(1000, 64, 8, 0, 4);
    uint32_t n = suggest(s, &rq);
    check_suggestions(&rq, s, n);
    assert_true(n >= 1);
    assert_int_equal(s[0].global_batch, 64);
    assert_int_equal(s[0].micro_batch, 8);
    assert_int_equal(s[0].grad_accum_steps, 2);
    assert_int_equal(s[0].changed, 0);
    assert_close(s[0].distance_ratio, 0.0, 0.0);
}

static void test_suggest_inconsistent_triple(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    trainest_plan_request rq = tu_request(1000, 10, 2, 2, 2); /* 2 * 2 * 2 = 8 */
    uint32_t n = suggest(s, &rq);
    check_suggestions(&rq, s, n);
    bool keeps_m_and_a = false;
    for (uint32_t i = 0; i < n; i++)
        if (s[i].micro_batch == 2 && s[i].grad_accum_steps == 2)
            keeps_m_and_a = s[i].global_batch == 8;
    assert_true(keeps_m_and_a);
}

static void test_suggest_respects_cap(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    trainest_plan_request rq = tu_request(100000, 256, 64, 0, 1);
    rq.max_micro_batch = 24;
    uint32_t n = suggest(s, &rq);
    check_suggestions(&rq, s, n);
    assert_true(n >= 1);
    for (uint32_t i = 0; i < n; i++)
        assert_true(s[i].micro_batch <= 24);
    /* Keeping G = 256, the largest micro-batch within 24 is 16. */
    bool found = false;
    for (uint32_t i = 0; i < n; i++)
        found |= s[i].global_batch == 256 && s[i].micro_batch == 16;
    assert_true(found);
}

static void test_suggest_rejects_unrepairable(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    uint32_t n = 7;
    s[0].struct_size = sizeof s[0];
    trainest_plan_request rq = tu_request(0, 10, 3, 0, 1);
    assert_int_equal(trainest_plan_suggest(s, CAP, &n, &rq), TRAINEST_E_ZERO);
    assert_int_equal(n, 0);
    rq = tu_request(100, 10, 3, 0, 1);
    rq.preset = 99;
    assert_int_equal(trainest_plan_suggest(s, CAP, &n, &rq), TRAINEST_E_UNKNOWN_ENUM);
    rq = tu_request(100, 10, 3, 0, 1);
    rq.preset = TRAINEST_PRESET_MEGATRON;
    rq.sampler = TRAINEST_SAMPLER_PAD;
    assert_int_equal(trainest_plan_suggest(s, CAP, &n, &rq), TRAINEST_E_PRESET_CONFLICT);
}

static void test_suggest_capacity_limits_output(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    trainest_plan_request rq = tu_request(1000, 10, 3, 0, 1);
    uint32_t all = suggest(s, &rq);
    assert_true(all >= 2);
    trainest_plan_suggestion one[2];
    memset(one, 0x3C, sizeof one);
    one[0].struct_size = sizeof one[0];
    uint32_t n = 0;
    assert_int_equal(trainest_plan_suggest(one, 1, &n, &rq), TRAINEST_OK);
    assert_int_equal(n, 1);
    assert_int_equal(one[0].global_batch, s[0].global_batch);
    const unsigned char *raw = (const unsigned char *)&one[1];
    for (size_t i = 0; i < sizeof one[1]; i++)
        assert_int_equal(raw[i], 0x3C);
}

static void test_suggest_huge_prime_batch_is_fast_and_valid(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    const uint64_t prime = (UINT64_C(1) << 61) - 1;
    trainest_plan_request rq = tu_request(UINT64_MAX, prime, 1000003, 0, 1);
    uint32_t n = suggest(s, &rq);
    check_suggestions(&rq, s, n);
    assert_true(n >= 2);
}

/* Every small request: whatever is suggested is valid and ordered, and a
 * request valid under exact division is always its own first suggestion. */
static void test_suggest_exhaustive_small(void **state)
{
    (void)state;
    trainest_plan_suggestion s[CAP];
    for (uint64_t R = 1; R <= 4; R++)
        for (uint64_t G = 0; G <= 48; G += (G < 24 ? 1 : 5))
            for (uint64_t m = 0; m <= 12; m++)
                for (uint64_t a = 0; a <= 6; a++)
                    for (uint64_t cap = 0; cap <= 12; cap += 6) {
                        trainest_plan_request rq = tu_request(500, G, m, a, R);
                        rq.max_micro_batch = cap;
                        uint32_t n = suggest(s, &rq);
                        check_suggestions(&rq, s, n);
                        trainest_plan p;
                        if (tu_plan(&p, &rq) == TRAINEST_OK) {
                            assert_true(n >= 1);
                            assert_close(s[0].distance_ratio, 0.0, 0.0);
                            assert_int_equal(s[0].micro_batch, p.micro_batch);
                            assert_int_equal(s[0].grad_accum_steps, p.grad_accum_steps);
                        } else if (G && m && !a && (!cap || m <= cap) && m * R <= G) {
                            /* G alone is off: the multiples of m * R either
                             * side of G are both offered, when they fit N. */
                            uint64_t lo = G / (m * R) * m * R;
                            bool found = false;
                            for (uint32_t i = 0; i < n; i++)
                                found |= s[i].global_batch == lo && s[i].micro_batch == m;
                            assert_true(found);
                        }
                    }
}

/* ---- Divisor search -------------------------------------------------------- */

static void test_divisor_matches_brute_force(void **state)
{
    (void)state;
    static uint64_t divs[1500];
    for (uint64_t n = 1; n <= 1500; n++) {
        unsigned nd = 0;
        for (uint64_t d = 1; d <= n; d++)
            if (n % d == 0)
                divs[nd++] = d;
        for (uint64_t b = 1; b <= n + 1; b++) {
            uint64_t lo = 0, hi = 0;
            for (unsigned i = 0; i < nd; i++) {
                if (divs[i] <= b)
                    lo = divs[i];
                if (divs[i] >= b && !hi)
                    hi = divs[i];
            }
            assert_int_equal(trainest_priv_divisor_at_most(n, b), lo);
            assert_int_equal(trainest_priv_divisor_at_least(n, b), hi);
        }
    }
}

static void test_divisor_large_numbers(void **state)
{
    (void)state;
    /* 2^64 - 1 = 3 * 5 * 17 * 257 * 641 * 65537 * 6700417 */
    assert_int_equal(trainest_priv_divisor_at_most(UINT64_MAX, 1000), 771); /* 3 * 257 */
    assert_int_equal(trainest_priv_divisor_at_most(UINT64_MAX, 6700416), 5570645); /* 5 * 17 * 65537 */
    assert_int_equal(trainest_priv_divisor_at_least(UINT64_MAX, 6700417), 6700417);
    /* A 61-bit prime has only 1 and itself. */
    const uint64_t p61 = (UINT64_C(1) << 61) - 1;
    assert_int_equal(trainest_priv_divisor_at_most(p61, p61 - 1), 1);
    assert_int_equal(trainest_priv_divisor_at_least(p61, 2), p61);
    /* A semiprime of two 32-bit primes: Pollard's rho must split it. */
    const uint64_t p = 4294967291u, q = 4294967279u;
    assert_int_equal(trainest_priv_divisor_at_most(p * q, p * q - 1), p);
    assert_int_equal(trainest_priv_divisor_at_least(p * q, 2), q);
    /* 2^63 */
    assert_int_equal(trainest_priv_divisor_at_most(UINT64_C(1) << 63, 1000), 512);
    assert_int_equal(trainest_priv_divisor_at_least(UINT64_C(1) << 63, 1000), 1024);
    /* The square of a prime near 2^31.5. */
    const uint64_t s2 = UINT64_C(3037000493) * UINT64_C(3037000493); /* prime squared < 2^64 */
    assert_int_equal(trainest_priv_divisor_at_most(s2, s2 - 1), UINT64_C(3037000493));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suggest_not_divisible_seed),
        cmocka_unit_test(test_suggest_valid_request_comes_first),
        cmocka_unit_test(test_suggest_inconsistent_triple),
        cmocka_unit_test(test_suggest_respects_cap),
        cmocka_unit_test(test_suggest_rejects_unrepairable),
        cmocka_unit_test(test_suggest_capacity_limits_output),
        cmocka_unit_test(test_suggest_huge_prime_batch_is_fast_and_valid),
        cmocka_unit_test(test_suggest_exhaustive_small),
        cmocka_unit_test(test_divisor_matches_brute_force),
        cmocka_unit_test(test_divisor_large_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
