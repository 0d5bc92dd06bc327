/* SPDX-License-Identifier: MIT */
/* Repairs: the valid plans nearest to a request. */
#include <string.h>

#include "abi.h"
#include "intmath.h"
#include "plan.h"
#include "sizes.h"

#define MAX_CANDIDATES 48

struct candidate {
    uint64_t global, micro, accum;
    double distance;
    uint32_t changed;
};

struct pool {
    struct candidate c[MAX_CANDIDATES];
    unsigned n;
};

static void add(struct pool *pool, uint64_t micro, uint64_t accum, uint64_t R)
{
    uint64_t global;
    if (micro == 0 || accum == 0 || tr_mul_overflow(micro, accum, &global) ||
        tr_mul_overflow(global, R, &global))
        return;
    for (unsigned i = 0; i < pool->n; i++)
        if (pool->c[i].micro == micro && pool->c[i].accum == accum)
            return; /* R is fixed, so (m, a) identifies the plan */
    if (pool->n < MAX_CANDIDATES)
        pool->c[pool->n++] = (struct candidate){global, micro, accum, 0.0, 0};
}

/* Plans keeping the per-replica batch n, with the micro-batch (or the
 * accumulation) moved to the nearest divisors of n around `target`. */
static void add_divisors(struct pool *pool, uint64_t n, uint64_t target, bool target_is_micro,
                         uint64_t R)
{
    if (n == 0 || target == 0)
        return;
    uint64_t near[2] = {trainest_priv_divisor_at_most(n, target),
                        trainest_priv_divisor_at_least(n, target)};
    for (int i = 0; i < 2; i++) {
        if (near[i] == 0)
            continue;
        if (target_is_micro)
            add(pool, near[i], n / near[i], R);
        else
            add(pool, n / near[i], near[i], R);
    }
}

/* Plans with `known` fixed and the other factor rounded both ways. */
static void add_rounded(struct pool *pool, uint64_t G, uint64_t known, bool known_is_micro,
                        uint64_t R)
{
    uint64_t q;
    if (tr_mul_overflow(known, R, &q))
        return;
    /* floor and ceil differ by at most one; no loop, which would never
     * end at hi = UINT64_MAX */
    const uint64_t lo = G / q, hi = tr_div_ceil(G, q);
    const uint64_t other[2] = {lo ? lo : 1, hi};
    for (int i = 0; i < 2; i++) {
        if (i && other[1] == other[0])
            break;
        if (known_is_micro)
            add(pool, known, other[i], R);
        else
            add(pool, other[i], known, R);
    }
}

/* Megatron's interleaved schedule needs a multiple of PP micro-batches per
 * step: the accumulation rounded to multiples of PP with the micro-batch
 * kept, and, keeping the per-replica batch n, the multiples of PP dividing n
 * nearest to the accumulation wanted. */
static void add_rounds(struct pool *pool, uint64_t G, uint64_t m, uint64_t a, uint64_t R,
                       uint64_t pp)
{
    uint64_t want = a;
    if (!want && m && G)
        want = tr_div_ceil(G / R ? G / R : 1, m);
    if (!want)
        want = pp;
    const uint64_t down = want / pp * pp;
    uint64_t up;
    if (m && !tr_mul_overflow(tr_div_ceil(want, pp), pp, &up)) {
        add(pool, m, down, R);
        add(pool, m, up, R);
    }
    if (!G)
        return;
    const uint64_t per[2] = {G / R, tr_div_ceil(G, R)};
    for (int j = 0; j < 2; j++) {
        const uint64_t n = per[j];
        if (!n || n % pp || (j == 1 && n == per[0]))
            continue;
        const uint64_t k_want = want / pp ? want / pp : 1;
        const uint64_t k[2] = {trainest_priv_divisor_at_most(n / pp, k_want),
                               trainest_priv_divisor_at_least(n / pp, k_want)};
        for (int i = 0; i < 2; i++)
            if (k[i])
                add(pool, n / (pp * k[i]), pp * k[i], R);
    }
}

static void generate(struct pool *pool, const trainest_plan_request *rq, uint64_t rounds_of)
{
    const uint64_t G = rq->global_batch, m = rq->micro_batch, a = rq->grad_accum_steps,
                   R = rq->data_parallel, cap = rq->max_micro_batch;
    uint64_t micro_targets[2] = {m, (cap && (!m || m > cap)) ? cap : 0};

    for (int i = 0; i < 2; i++) {
        uint64_t mt = micro_targets[i];
        if (!mt)
            continue;
        if (G)
            add_rounded(pool, G, mt, true, R);
        if (a)
            add(pool, mt, a, R);
        if (!G && !a)
            add(pool, mt, 1, R);
    }
    if (G && a)
        add_rounded(pool, G, a, false, R);
    if (G) {
        uint64_t per[2] = {G / R, tr_div_ceil(G, R)};
        for (int j = 0; j < 2; j++) {
            uint64_t n = per[j];
            if (j == 1 && n == per[0])
                break;
            for (int i = 0; i < 2; i++)
                add_divisors(pool, n, micro_targets[i], true, R);
            if (!m && !cap)
                add(pool, n, 1, R);
            add_divisors(pool, n, a, false, R);
        }
    }
    if (rounds_of > 1)
        add_rounds(pool, G, m ? m : cap, a, R, rounds_of);
}

static double rel(uint64_t suggested, uint64_t requested)
{
    if (!requested)
        return 0.0;
    double d = suggested > requested ? (double)(suggested - requested)
                                     : (double)(requested - suggested);
    return d / (double)requested;
}

static int compare(const struct candidate *x, const struct candidate *y)
{
    if (x->distance != y->distance)
        return x->distance < y->distance ? -1 : 1;
    if (x->global != y->global)
        return x->global < y->global ? -1 : 1;
    if (x->micro != y->micro)
        return x->micro < y->micro ? -1 : 1;
    return (x->accum > y->accum) - (x->accum < y->accum);
}

int trainest_plan_suggest(trainest_plan_suggestion *out, uint32_t capacity, uint32_t *out_count,
                          const trainest_plan_request *request)
{
    if (!out_count)
        return TRAINEST_E_NULL;
    *out_count = 0;
    int st = trainest_priv_check_array(out, capacity, TR_SIZE_PLAN_SUGGESTION_0_1);
    if (st)
        return st;
    trainest_plan_request rq;
    if ((st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_PLAN_REQUEST_0_1)))
        return st;
    uint32_t field;
    if ((st = trainest_priv_plan_check_fixed(&rq, &field)))
        return st;
    /* the batch splits over the data-parallel replicas of the layout */
    struct tr_layout layout;
    trainest_priv_plan_layout(&rq, &layout, &field); /* cannot fail after check_fixed */
    rq.data_parallel = layout.dp;

    struct pool pool;
    pool.n = 0;
    generate(&pool, &rq, layout.v > 1 ? layout.pp : 1);

    /* Keep the candidates the planner accepts exactly as they stand. */
    unsigned kept = 0;
    for (unsigned i = 0; i < pool.n; i++) {
        struct candidate c = pool.c[i];
        trainest_plan_request trial = rq;
        trial.global_batch = c.global;
        trial.micro_batch = c.micro;
        trial.grad_accum_steps = c.accum;
        trial.divisibility = TRAINEST_DIVISIBILITY_ERROR;
        trainest_plan plan;
        plan.struct_size = sizeof plan;
        if (trainest_priv_plan_compute(&plan, &trial) != TRAINEST_OK)
            continue;
        c.distance = rel(c.global, rq.global_batch) + rel(c.micro, rq.micro_batch) +
                     rel(c.accum, rq.grad_accum_steps);
        c.changed = (rq.global_batch && c.global != rq.global_batch ? TRAINEST_CHANGED_GLOBAL_BATCH : 0) |
                    (rq.micro_batch && c.micro != rq.micro_batch ? TRAINEST_CHANGED_MICRO_BATCH : 0) |
                    (rq.grad_accum_steps && c.accum != rq.grad_accum_steps
                         ? TRAINEST_CHANGED_GRAD_ACCUM_STEPS
                         : 0);
        pool.c[kept++] = c;
    }

    /* Insertion sort: at most MAX_CANDIDATES elements, total order. */
    for (unsigned i = 1; i < kept; i++) {
        struct candidate c = pool.c[i];
        unsigned j = i;
        while (j > 0 && compare(&c, &pool.c[j - 1]) < 0) {
            pool.c[j] = pool.c[j - 1];
            j--;
        }
        pool.c[j] = c;
    }

    const uint32_t stride = capacity ? out->struct_size : 0;
    uint32_t n = kept < capacity ? kept : capacity;
    for (uint32_t i = 0; i < n; i++) {
        trainest_plan_suggestion s;
        memset(&s, 0, sizeof s);
        s.changed = pool.c[i].changed;
        s.distance_ratio = pool.c[i].distance;
        s.global_batch = pool.c[i].global;
        s.micro_batch = pool.c[i].micro;
        s.grad_accum_steps = pool.c[i].accum;
        s.data_parallel = rq.data_parallel;
        trainest_priv_write_element(out, stride, i, &s, sizeof s);
    }
    *out_count = n;
    return TRAINEST_OK;
}
