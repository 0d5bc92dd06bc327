/* SPDX-License-Identifier: MIT */
/* Batch resolution and the epoch chain of the PLAIN preset: worked examples,
 * every bad input, exhaustive property tests and a brute-force simulation
 * of the loop each policy describes.
 *
 * TRAINEST_TEST_QUICK=1 shrinks the exhaustive ranges (used under valgrind). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "intmath.h"
#include "testutil.h"

static bool quick(void)
{
    const char *q = getenv("TRAINEST_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* ---- The seed's worked example ----------------------------------------- */

static void test_plan_seed_example(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq = tu_request(1000, 10, 0, 0, 1);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.optimizer_steps_per_epoch, 100);
    assert_int_equal(p.micro_batch, 10);
    assert_int_equal(p.grad_accum_steps, 1);

    rq.grad_accum_steps = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.micro_batch, 5);
    assert_int_equal(p.optimizer_steps_per_epoch, 100);
    assert_int_equal(p.micro_steps_per_epoch, 200);
    assert_int_equal(p.samples_per_epoch, 1000);
    assert_int_equal(p.samples_dropped_per_epoch, 0);
    assert_int_equal(p.samples_padded_per_epoch, 0);
    assert_int_equal(p.last_step_samples, 10);
    assert_int_equal(p.total_optimizer_steps, 100);
}

/* ---- Resolution --------------------------------------------------------- */

static void expect_batch(trainest_plan_request rq, uint64_t G, uint64_t m, uint64_t a)
{
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, G);
    assert_int_equal(p.micro_batch, m);
    assert_int_equal(p.grad_accum_steps, a);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_NONE);
}

static void expect_status(trainest_plan_request rq, int status, uint32_t field)
{
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), status);
    assert_int_equal(p.invalid_field, field);
    assert_int_equal(p.total_optimizer_steps, 0);
}

static void test_resolve_any_two_derive_the_third(void **state)
{
    (void)state;
    expect_batch(tu_request(4096, 64, 8, 0, 4), 64, 8, 2);  /* G, m -> a */
    expect_batch(tu_request(4096, 64, 0, 2, 4), 64, 8, 2);  /* G, a -> m */
    expect_batch(tu_request(4096, 0, 8, 2, 4), 64, 8, 2);   /* m, a -> G */
    expect_batch(tu_request(4096, 64, 8, 2, 4), 64, 8, 2);  /* all three agree */
    expect_batch(tu_request(4096, 64, 0, 0, 4), 64, 16, 1); /* G only: a = 1 */
    expect_batch(tu_request(4096, 0, 8, 0, 4), 32, 8, 1);   /* m only: a = 1 */
}

static void test_resolve_global_with_cap_uses_memory_first(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(4096, 96, 0, 0, 2); /* 48 per replica */
    rq.max_micro_batch = 20;
    expect_batch(rq, 96, 16, 3); /* largest divisor of 48 that is <= 20 */
    rq.max_micro_batch = 48;
    expect_batch(rq, 96, 48, 1);
    rq.max_micro_batch = 1000;
    expect_batch(rq, 96, 48, 1);
    rq.max_micro_batch = 5;
    expect_batch(rq, 96, 4, 12);
    rq = tu_request(4096, 97, 0, 0, 1); /* prime: only m = 1 divides */
    rq.max_micro_batch = 16;
    expect_batch(rq, 97, 1, 97);
}

static void test_resolve_cap_without_global(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(4096, 0, 0, 0, 2);
    rq.max_micro_batch = 12;
    expect_batch(rq, 24, 12, 1);
    rq.grad_accum_steps = 3;
    expect_batch(rq, 72, 12, 3);
}

static void test_resolve_cap_is_exact_boundary(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(4096, 0, 12, 0, 1);
    rq.max_micro_batch = 12;
    expect_batch(rq, 12, 12, 1); /* at the limit fits */
    rq.micro_batch = 13;
    expect_status(rq, TRAINEST_E_EXCEEDS_CAP, TRAINEST_FIELD_MICRO_BATCH);
    /* A micro-batch derived from G and a beyond the cap blames a. */
    rq = tu_request(4096, 64, 0, 2, 1);
    rq.max_micro_batch = 31;
    expect_status(rq, TRAINEST_E_EXCEEDS_CAP, TRAINEST_FIELD_GRAD_ACCUM_STEPS);
    rq.max_micro_batch = 32;
    expect_batch(rq, 64, 32, 2);
}

static void test_resolve_underspecified(void **state)
{
    (void)state;
    expect_status(tu_request(100, 0, 0, 0, 1), TRAINEST_E_UNDERSPECIFIED,
                  TRAINEST_FIELD_GLOBAL_BATCH);
    expect_status(tu_request(100, 0, 0, 4, 1), TRAINEST_E_UNDERSPECIFIED,
                  TRAINEST_FIELD_GLOBAL_BATCH);
}

static void test_resolve_inconsistent_triple(void **state)
{
    (void)state;
    expect_status(tu_request(100, 10, 2, 2, 2), TRAINEST_E_INCONSISTENT,
                  TRAINEST_FIELD_GLOBAL_BATCH);
    expect_status(tu_request(100, 8, 2, 2, 1), TRAINEST_E_INCONSISTENT,
                  TRAINEST_FIELD_GLOBAL_BATCH);
}

static void test_divisibility_policies(void **state)
{
    (void)state;
    /* G = 10, m = 3, R = 1: not divisible. */
    trainest_plan_request rq = tu_request(1000, 10, 3, 0, 1);
    expect_status(rq, TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    expect_batch(rq, 9, 3, 3);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    expect_batch(rq, 12, 3, 4);

    /* G and a given: m is rounded. G = 10, a = 4, R = 1. */
    rq = tu_request(1000, 10, 0, 4, 1);
    expect_status(rq, TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    expect_batch(rq, 8, 2, 4);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    expect_batch(rq, 12, 3, 4);

    /* G only, not a multiple of R. */
    rq = tu_request(1000, 10, 0, 0, 4);
    expect_status(rq, TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    expect_batch(rq, 8, 2, 1);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    expect_batch(rq, 12, 3, 1);

    /* Rounding down below one micro-batch is impossible. */
    rq = tu_request(1000, 5, 3, 0, 2);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    expect_status(rq, TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    expect_batch(rq, 6, 3, 1);

    /* The plan records what was asked and what was used. */
    trainest_plan p;
    rq = tu_request(1000, 10, 3, 0, 1);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.requested_global_batch, 10);
    assert_int_equal(p.global_batch, 9);
    assert_int_equal(p.divisibility, TRAINEST_DIVISIBILITY_ROUND_DOWN);
}

/* ---- Bad input, one field at a time -------------------------------------- */

static void test_bad_input_zero_counts(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(0, 10, 0, 0, 1);
    expect_status(rq, TRAINEST_E_ZERO, TRAINEST_FIELD_SAMPLES);
    rq = tu_request(100, 10, 0, 0, 0);
    expect_status(rq, TRAINEST_E_ZERO, TRAINEST_FIELD_DATA_PARALLEL);
    rq = tu_request(100, 10, 0, 0, 1);
    rq.epochs = 0;
    expect_status(rq, TRAINEST_E_ZERO, TRAINEST_FIELD_EPOCHS);
}

static void test_bad_input_unknown_enums(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(100, 10, 0, 0, 1);
    rq.preset = 6;
    expect_status(rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_PRESET);
    rq.preset = UINT32_MAX;
    expect_status(rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_PRESET);
    rq = tu_request(100, 10, 0, 0, 1);
    rq.divisibility = 3;
    expect_status(rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_DIVISIBILITY);
    rq = tu_request(100, 10, 0, 0, 1);
    rq.sampler = 4;
    expect_status(rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_SAMPLER);
    rq = tu_request(100, 10, 0, 0, 1);
    rq.last_micro_batch = 3;
    expect_status(rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_LAST_MICRO_BATCH);
    rq = tu_request(100, 10, 0, 0, 1);
    rq.accum_tail = 4;
    expect_status(rq, TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_ACCUM_TAIL);
}

static void test_bad_input_overflow(void **state)
{
    (void)state;
    const uint64_t big = UINT64_MAX / 2 + 1; /* 2^63 */
    /* m * a * R overflows by the smallest margin. */
    expect_status(tu_request(100, 0, big, 2, 1), TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    expect_batch(tu_request(UINT64_MAX, 0, big / 2, 2, 1), big, big / 2, 2);
    expect_status(tu_request(100, 0, 2, 2, big), TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    expect_status(tu_request(100, big, big, big, 1), TRAINEST_E_OVERFLOW,
                  TRAINEST_FIELD_GLOBAL_BATCH);
    /* m * R overflows while G is given. */
    expect_status(tu_request(100, 10, big, 0, 2), TRAINEST_E_OVERFLOW, TRAINEST_FIELD_MICRO_BATCH);
    expect_status(tu_request(100, 10, 0, big, 2), TRAINEST_E_OVERFLOW,
                  TRAINEST_FIELD_GRAD_ACCUM_STEPS);
    /* Rounding up past 2^64. */
    trainest_plan_request rq = tu_request(100, UINT64_MAX, 2, 0, 1);
    rq.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    expect_status(rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    /* Tokens: G * seq_len and total samples * seq_len. */
    rq = tu_request(1000, 10, 0, 0, 1);
    rq.seq_len_tokens = UINT64_MAX / 10 + 1;
    expect_status(rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_SEQ_LEN_TOKENS);
    rq.seq_len_tokens = UINT64_MAX / 1000; /* G * s fits, N * s fits */
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.total_tokens, 1000 * (UINT64_MAX / 1000));
    rq.seq_len_tokens = UINT64_MAX / 1000 + 1;
    expect_status(rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_SEQ_LEN_TOKENS);
    /* Epochs: total samples overflow. */
    rq = tu_request(1u << 20, 16, 0, 0, 1);
    rq.epochs = UINT64_MAX >> 20;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.total_samples, (UINT64_MAX >> 20) << 20);
    rq.epochs = (UINT64_MAX >> 20) + 1;
    expect_status(rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_EPOCHS);
    /* Padding N up to a multiple of R past 2^64. */
    rq = tu_request(UINT64_MAX, 0, 1, 0, 2);
    expect_status(rq, TRAINEST_E_OVERFLOW, TRAINEST_FIELD_SAMPLES);
    rq.sampler = TRAINEST_SAMPLER_DROP;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.samples_dropped_per_epoch, 1);
}

static void test_bad_input_no_steps(void **state)
{
    (void)state;
    /* Fewer samples than replicas with the sampler dropping. */
    trainest_plan_request rq = tu_request(3, 0, 1, 0, 4);
    rq.sampler = TRAINEST_SAMPLER_DROP;
    expect_status(rq, TRAINEST_E_NO_STEPS, TRAINEST_FIELD_DATA_PARALLEL);
    /* The loader drops the only, partial micro-batch. */
    rq = tu_request(7, 0, 8, 0, 1);
    rq.last_micro_batch = TRAINEST_LAST_MICRO_BATCH_DROP;
    expect_status(rq, TRAINEST_E_NO_STEPS, TRAINEST_FIELD_MICRO_BATCH);
    /* The accumulation tail drop leaves nothing. */
    rq = tu_request(24, 0, 8, 4, 1);
    rq.accum_tail = TRAINEST_ACCUM_TAIL_DROP;
    expect_status(rq, TRAINEST_E_NO_STEPS, TRAINEST_FIELD_GRAD_ACCUM_STEPS);
    /* Carrying, two epochs of three micro-batches fill one window of four. */
    rq.accum_tail = TRAINEST_ACCUM_TAIL_CARRY;
    expect_status(rq, TRAINEST_E_NO_STEPS, TRAINEST_FIELD_GRAD_ACCUM_STEPS);
    rq.epochs = 2;
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.optimizer_steps_per_epoch, 0);
    assert_int_equal(p.last_step_samples, 0);
    assert_int_equal(p.total_optimizer_steps, 1);
    assert_int_equal(p.total_micro_steps, 6);
}

static void test_plain_accepts_every_policy(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 64, 16, 0, 2);
    trainest_plan p;
    for (uint32_t s = 0; s <= TRAINEST_SAMPLER_BATCH_SHARD; s++)
        for (uint32_t l = 0; l <= TRAINEST_LAST_MICRO_BATCH_DROP; l++)
            for (uint32_t t = 0; t <= TRAINEST_ACCUM_TAIL_CARRY; t++) {
                rq.sampler = s;
                rq.last_micro_batch = l;
                rq.accum_tail = t;
                assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
                assert_int_equal(p.sampler, s ? s : TRAINEST_SAMPLER_PAD);
                assert_int_equal(p.last_micro_batch, l ? l : TRAINEST_LAST_MICRO_BATCH_KEEP);
                assert_int_equal(p.accum_tail, t ? t : TRAINEST_ACCUM_TAIL_STEP);
            }
}

/* ---- The measured epoch of the shipped data (tests/data) ---------------- */

/* e2e run: N = 1000, G = 64, m = 16, a = 4, drop_last = false on one GPU took
 * 16 optimizer steps and 63 micro-steps (shared/data, README). */
static void test_chain_matches_measured_partial_epoch(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq = tu_request(1000, 64, 16, 0, 1);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.optimizer_steps_per_epoch, 16);
    assert_int_equal(p.micro_steps_per_epoch, 63);
    assert_int_equal(p.last_step_micro_batches, 3);
    assert_int_equal(p.last_micro_batch_samples, 8);
    assert_int_equal(p.last_step_samples, 40);
    assert_int_equal(p.samples_per_epoch, 1000);
}

/* ---- Brute force: simulate positions through the three layers ----------- */

struct sim {
    bool ok;
    uint64_t per_rank, micro_per_epoch, steps_epoch1, dropped, padded, run_positions;
    uint64_t last_step_samples, last_step_mb, last_mb;
    uint64_t total_steps, total_micro, total_samples;
};

enum { MAX_N = 300, MAX_R = 8 };

/* Per-rank micro-batch sizes of one epoch, built position by position. */
static unsigned sim_loader(uint64_t N, uint64_t R, uint64_t m, uint32_t sampler, bool keep,
                           uint64_t *sizes, uint64_t *per_rank, uint64_t *dropped,
                           uint64_t *padded)
{
    uint64_t count[MAX_R] = {0};
    unsigned nb = 0;
    *dropped = *padded = 0;
    if (sampler == TRAINEST_SAMPLER_BATCH_SHARD) {
        /* Batches of m dealt round-robin; KEEP fills short batches and the
         * last round from the first samples. */
        uint64_t full = N / m, rest = N % m, batches = full + (keep && rest);
        uint64_t rounds = keep ? (batches + R - 1) / R : batches / R;
        for (uint64_t i = 0; i < rounds * R; i++)
            count[i % R] += m;
        uint64_t positions = rounds * R * m;
        if (keep)
            *padded = positions - N;
        else
            *dropped = N - positions;
        for (uint64_t i = 0; i < rounds; i++)
            sizes[nb++] = m;
        *per_rank = count[0];
        return nb;
    }
    uint64_t total = N;
    if (sampler == TRAINEST_SAMPLER_PAD) {
        while (total % R)
            total++, ++*padded;
    } else {
        while (total % R)
            total--, ++*dropped;
    }
    for (uint64_t i = 0; i < total; i++)
        count[i % R]++;
    for (uint64_t r = 1; r < R; r++)
        assert_int_equal(count[r], count[0]);
    *per_rank = count[0];
    uint64_t left = count[0];
    while (left >= m) {
        sizes[nb++] = m;
        left -= m;
    }
    if (left) {
        if (keep)
            sizes[nb++] = left;
        else
            *dropped += left * R;
    }
    return nb;
}

static struct sim simulate(uint64_t N, uint64_t R, uint64_t m, uint64_t a, uint64_t E,
                           uint32_t sampler, bool keep, uint32_t tail)
{
    struct sim s;
    memset(&s, 0, sizeof s);
    uint64_t sizes[MAX_N + MAX_R * 16];
    unsigned L = sim_loader(N, R, m, sampler, keep, sizes, &s.per_rank, &s.dropped, &s.padded);
    if (L == 0)
        return s;
    /* DROP tail: the loop stops before the last partial window. */
    unsigned run = L;
    if (tail == TRAINEST_ACCUM_TAIL_DROP && L % a) {
        run = L - L % a;
        for (unsigned i = run; i < L; i++)
            s.dropped += sizes[i] * R;
    }
    s.micro_per_epoch = run;
    s.last_mb = run ? sizes[run - 1] : 0;
    uint64_t counter = 0, window = 0, window_mb = 0;
    for (uint64_t e = 0; e < E; e++) {
        if (tail != TRAINEST_ACCUM_TAIL_CARRY)
            window = window_mb = 0;
        for (unsigned i = 0; i < run; i++) {
            counter++;
            window += sizes[i] * R;
            window_mb++;
            s.total_micro++;
            s.total_samples += sizes[i] * R;
            bool boundary = window_mb == a ||
                            (tail == TRAINEST_ACCUM_TAIL_STEP && i + 1 == run);
            if (boundary) {
                s.total_steps++;
                if (e == 0) {
                    s.steps_epoch1++;
                    s.last_step_samples = window;
                    s.last_step_mb = window_mb;
                }
                window = window_mb = 0;
            }
        }
    }
    s.run_positions = s.total_samples / E;
    s.ok = s.total_steps > 0;
    return s;
}

static void check_against_simulation(uint64_t N, uint64_t R, uint64_t m, uint64_t a, uint64_t E,
                                     uint32_t sampler, uint32_t loader, uint32_t tail)
{
    trainest_plan_request rq = tu_request(N, 0, m, a, R);
    rq.epochs = E;
    rq.sampler = sampler;
    rq.last_micro_batch = loader;
    rq.accum_tail = tail;
    trainest_plan p;
    int st = tu_plan(&p, &rq);
    struct sim s = simulate(N, R, m, a, E, sampler, loader == TRAINEST_LAST_MICRO_BATCH_KEEP,
                            tail);
    if (!s.ok) {
        assert_int_equal(st, TRAINEST_E_NO_STEPS);
        return;
    }
    assert_int_equal(st, TRAINEST_OK);
    assert_int_equal(p.samples_per_rank, s.per_rank);
    assert_int_equal(p.micro_steps_per_epoch, s.micro_per_epoch);
    assert_int_equal(p.optimizer_steps_per_epoch, s.steps_epoch1);
    assert_int_equal(p.samples_dropped_per_epoch, s.dropped);
    assert_int_equal(p.samples_padded_per_epoch, s.padded);
    assert_int_equal(p.samples_per_epoch, s.run_positions);
    assert_int_equal(p.last_step_samples, s.last_step_samples);
    assert_int_equal(p.last_step_micro_batches, s.last_step_mb);
    assert_int_equal(p.last_micro_batch_samples, s.last_mb);
    assert_int_equal(p.total_optimizer_steps, s.total_steps);
    assert_int_equal(p.total_micro_steps, s.total_micro);
    assert_int_equal(p.total_samples, s.total_samples);
}

static void test_chain_matches_brute_force(void **state)
{
    (void)state;
    const uint64_t maxN = quick() ? 60 : MAX_N, maxR = quick() ? 4 : MAX_R;
    const uint64_t ms[] = {1, 2, 3, 4, 5, 7, 8, 13, 16};
    for (uint64_t N = 1; N <= maxN; N++)
        for (uint64_t R = 1; R <= maxR; R++)
            for (size_t mi = 0; mi < sizeof ms / sizeof ms[0]; mi++)
                for (uint64_t a = 1; a <= 8; a++)
                    for (uint32_t smp = 1; smp <= 3; smp++)
                        for (uint32_t l = 1; l <= 2; l++)
                            for (uint32_t t = 1; t <= 3; t++)
                                check_against_simulation(N, R, ms[mi], a, 1 + (N + a) % 3, smp,
                                                         l, t);
}

/* ---- Properties over exhaustive small ranges ------------------------------ */

static void check_properties(const trainest_plan *p, const trainest_plan_request *rq)
{
    const uint64_t N = rq->samples, R = p->data_parallel, m = p->micro_batch,
                   a = p->grad_accum_steps;
    assert_int_equal(p->global_batch, m * a * R);
    assert_int_equal(p->samples_per_epoch,
                     N - p->samples_dropped_per_epoch + p->samples_padded_per_epoch);
    assert_true(p->samples_padded_per_epoch < R * (p->sampler == TRAINEST_SAMPLER_BATCH_SHARD ? m : 1));
    assert_true(p->samples_per_epoch <= p->micro_steps_per_epoch * m * R);
    assert_true(p->samples_per_epoch > (p->micro_steps_per_epoch - 1) * m * R);
    assert_true(p->last_micro_batch_samples >= 1 && p->last_micro_batch_samples <= m);
    assert_true(p->last_step_micro_batches <= a);
    assert_true(p->last_step_samples <= p->global_batch);
    /* Steps per epoch: floor or ceil of micro-steps / a, as the tail says. */
    uint64_t floor_steps = p->micro_steps_per_epoch / a;
    if (p->accum_tail == TRAINEST_ACCUM_TAIL_STEP)
        assert_int_equal(p->optimizer_steps_per_epoch, tr_div_ceil(p->micro_steps_per_epoch, a));
    else
        assert_int_equal(p->optimizer_steps_per_epoch, floor_steps);
    if (p->accum_tail == TRAINEST_ACCUM_TAIL_DROP)
        assert_int_equal(p->micro_steps_per_epoch % a, 0);
    /* Totals: exact multiples, except carry which floors the whole run. */
    assert_int_equal(p->total_micro_steps, p->micro_steps_per_epoch * p->epochs);
    assert_int_equal(p->total_samples, p->samples_per_epoch * p->epochs);
    if (p->accum_tail == TRAINEST_ACCUM_TAIL_CARRY)
        assert_int_equal(p->total_optimizer_steps, p->total_micro_steps / a);
    else
        assert_int_equal(p->total_optimizer_steps, p->optimizer_steps_per_epoch * p->epochs);
    /* No rounding layer loses a whole step's worth of samples... */
    if (p->sampler == TRAINEST_SAMPLER_PAD && p->last_micro_batch == TRAINEST_LAST_MICRO_BATCH_KEEP &&
        p->accum_tail == TRAINEST_ACCUM_TAIL_STEP)
        assert_int_equal(p->samples_dropped_per_epoch, 0);
    /* ...and with full padding every sample is seen exactly once or more. */
    if (p->samples_dropped_per_epoch == 0)
        assert_true(p->samples_per_epoch >= N);
}

static void test_properties_exhaustive(void **state)
{
    (void)state;
    const uint64_t maxN = quick() ? 80 : 300;
    for (uint64_t N = 1; N <= maxN; N++)
        for (uint64_t R = 1; R <= 8; R++)
            for (uint64_t m = 1; m <= 16; m++)
                for (uint64_t a = 1; a <= 8; a++)
                    for (uint32_t smp = 1; smp <= 3; smp++)
                        for (uint32_t l = 1; l <= 2; l++)
                            for (uint32_t t = 1; t <= 3; t++) {
                                trainest_plan_request rq = tu_request(N, 0, m, a, R);
                                rq.sampler = smp;
                                rq.last_micro_batch = l;
                                rq.accum_tail = t;
                                rq.epochs = 1 + N % 3;
                                trainest_plan p;
                                int st = trainest_plan_compute(
                                    (p.struct_size = sizeof p, &p), &rq);
                                if (st == TRAINEST_E_NO_STEPS)
                                    continue;
                                assert_int_equal(st, TRAINEST_OK);
                                check_properties(&p, &rq);
                            }
}

/* Resolution over all small (G, m, a) subsets: whatever is returned is
 * consistent, agrees with what was given, and every failure is specific. */
static void test_resolution_exhaustive(void **state)
{
    (void)state;
    for (uint64_t R = 1; R <= 8; R++)
        for (uint64_t G = 0; G <= 64; G++)
            for (uint64_t m = 0; m <= 16; m++)
                for (uint64_t a = 0; a <= 8; a++)
                    for (uint64_t cap = 0; cap <= 16; cap += 5)
                        for (uint32_t div = 0; div <= 2; div++) {
                            trainest_plan_request rq = tu_request(100000, G, m, a, R);
                            rq.max_micro_batch = cap;
                            rq.divisibility = div;
                            trainest_plan p;
                            int st = tu_plan(&p, &rq);
                            if (st != TRAINEST_OK) {
                                assert_true(st == TRAINEST_E_NOT_DIVISIBLE ||
                                            st == TRAINEST_E_INCONSISTENT ||
                                            st == TRAINEST_E_UNDERSPECIFIED ||
                                            st == TRAINEST_E_EXCEEDS_CAP);
                                assert_int_not_equal(p.invalid_field, TRAINEST_FIELD_NONE);
                                continue;
                            }
                            assert_int_equal(p.global_batch,
                                             p.micro_batch * p.grad_accum_steps * R);
                            if (m)
                                assert_int_equal(p.micro_batch, m);
                            if (a)
                                assert_int_equal(p.grad_accum_steps, a);
                            if (cap)
                                assert_true(p.micro_batch <= cap);
                            if (G && div == TRAINEST_DIVISIBILITY_ERROR)
                                assert_int_equal(p.global_batch, G);
                            if (G && div == TRAINEST_DIVISIBILITY_ROUND_DOWN)
                                assert_true(p.global_batch <= G);
                            if (G && div == TRAINEST_DIVISIBILITY_ROUND_UP)
                                assert_true(p.global_batch >= G);
                            /* G only with a cap: no larger micro-batch within
                             * the cap divides the per-replica batch. */
                            if (G && !m && !a && cap) {
                                uint64_t n = p.global_batch / R;
                                for (uint64_t d = p.micro_batch + 1; d <= cap && d <= n; d++)
                                    assert_true(n % d != 0);
                            }
                            /* Rounding moves G to the nearest valid value only. */
                            if (G && m && !a && div != TRAINEST_DIVISIBILITY_ERROR) {
                                uint64_t q = m * R;
                                assert_true(p.global_batch + q > G && p.global_batch < G + q);
                            }
                        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_seed_example),
        cmocka_unit_test(test_resolve_any_two_derive_the_third),
        cmocka_unit_test(test_resolve_global_with_cap_uses_memory_first),
        cmocka_unit_test(test_resolve_cap_without_global),
        cmocka_unit_test(test_resolve_cap_is_exact_boundary),
        cmocka_unit_test(test_resolve_underspecified),
        cmocka_unit_test(test_resolve_inconsistent_triple),
        cmocka_unit_test(test_divisibility_policies),
        cmocka_unit_test(test_bad_input_zero_counts),
        cmocka_unit_test(test_bad_input_unknown_enums),
        cmocka_unit_test(test_bad_input_overflow),
        cmocka_unit_test(test_bad_input_no_steps),
        cmocka_unit_test(test_plain_accepts_every_policy),
        cmocka_unit_test(test_chain_matches_measured_partial_epoch),
        cmocka_unit_test(test_chain_matches_brute_force),
        cmocka_unit_test(test_properties_exhaustive),
        cmocka_unit_test(test_resolution_exhaustive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
