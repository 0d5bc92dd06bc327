/* SPDX-License-Identifier: MIT */
/* Repairs for a device layout that does not divide: the nearest layouts
 * with devices = data_parallel x tensor_parallel x pipeline_parallel whose
 * layers and hidden size split as Megatron requires. */
#include <stdbool.h>
#include <string.h>

#include "abi.h"
#include "intmath.h"
#include "plan.h"
#include "sizes.h"

#define MAX_CANDIDATES 32

struct layout {
    uint64_t devices, tp, pp;
    double distance;
    uint32_t changed;
};

struct pool {
    struct layout c[MAX_CANDIDATES];
    unsigned n;
};

static void add(struct pool *p, uint64_t devices, uint64_t tp, uint64_t pp)
{
    if (!devices || !tp || !pp)
        return;
    for (unsigned i = 0; i < p->n; i++)
        if (p->c[i].devices == devices && p->c[i].tp == tp && p->c[i].pp == pp)
            return;
    if (p->n < MAX_CANDIDATES)
        p->c[p->n++] = (struct layout){devices, tp, pp, 0, 0};
}

/* Divisors of n nearest to target, below and above. */
static void near(uint64_t n, uint64_t target, uint64_t out[2])
{
    out[0] = trainest_priv_divisor_at_most(n, target);
    out[1] = trainest_priv_divisor_at_least(n, target);
}

static double rel(uint64_t v, uint64_t want)
{
    if (!want)
        return 0;
    return (v > want ? (double)(v - want) : (double)(want - v)) / (double)want;
}

int trainest_layout_suggest(trainest_layout_suggestion *out, uint32_t capacity, uint32_t *out_count,
                            const trainest_plan_request *request)
{
    if (!out_count)
        return TRAINEST_E_NULL;
    *out_count = 0;
    int st = trainest_priv_check_array(out, capacity, TR_SIZE_LAYOUT_SUGGESTION_0_5);
    if (st)
        return st;
    trainest_plan_request rq;
    if ((st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_PLAN_REQUEST_0_1)))
        return st;

    const uint64_t tp = rq.tensor_parallel ? rq.tensor_parallel : 1;
    const uint64_t pp = rq.pipeline_parallel ? rq.pipeline_parallel : 1;
    uint64_t devices = rq.devices;
    if (!devices && tr_mul_overflow(rq.data_parallel ? rq.data_parallel : 1, tp, &devices))
        devices = 0;
    if (!rq.devices && devices && tr_mul_overflow(devices, pp, &devices))
        devices = 0;
    /* What the model shape allows: TP divides the hidden size and the
     * heads, PP * virtual_stages divides the layers (0 = no constraint). */
    const uint64_t v = rq.virtual_stages ? rq.virtual_stages : 1;
    const uint64_t tp_shape = tr_gcd(rq.hidden, rq.attention_heads);
    const uint64_t pp_shape = rq.layers && rq.layers % v == 0 ? rq.layers / v : rq.layers ? 1 : 0;
    /* interleaving needs a pipeline: aim PP at 2 at least */
    const uint64_t pp_aim = v > 1 && pp < 2 ? 2 : pp;
    struct pool pool;
    pool.n = 0;
    if (devices) {
        /* keep the devices: TP or PP to the nearest divisors the shape allows */
        uint64_t d[2];
        if (devices % pp == 0) {
            near(tr_gcd(devices / pp, tp_shape), tp, d);
            add(&pool, devices, d[0], pp);
            add(&pool, devices, d[1], pp);
        }
        if (devices % tp == 0) {
            near(tr_gcd(devices / tp, pp_shape), pp_aim, d);
            add(&pool, devices, tp, d[0]);
            add(&pool, devices, tp, d[1]);
        }
        /* both moved: the nearest allowed TP, then the nearest allowed PP
         * on what it leaves */
        uint64_t t2[2], p2[2];
        near(tr_gcd(devices, tp_shape), tp, t2);
        for (int i = 0; i < 2; i++) {
            if (!t2[i])
                continue;
            near(tr_gcd(devices / t2[i], pp_shape), pp_aim, p2);
            add(&pool, devices, t2[i], p2[0]);
            add(&pool, devices, t2[i], p2[1]);
        }
    }
    /* keep TP and PP: the devices to the nearest multiples of TP * PP */
    uint64_t model;
    if (!tr_mul_overflow(tp, pp, &model)) {
        const uint64_t lo = devices / model * model;
        uint64_t hi;
        add(&pool, lo, tp, pp);
        if (!tr_add_overflow(lo, model, &hi))
            add(&pool, devices % model ? hi : lo, tp, pp);
    }

    /* Keep what plans: the layout must pass the planner's own checks. */
    unsigned kept = 0;
    for (unsigned i = 0; i < pool.n; i++) {
        struct layout c = pool.c[i];
        trainest_plan_request trial = rq;
        trial.devices = c.devices;
        trial.data_parallel = 1;
        trial.tensor_parallel = c.tp;
        trial.pipeline_parallel = c.pp;
        struct tr_layout l;
        uint32_t field;
        if (trainest_priv_plan_layout(&trial, &l, &field) != TRAINEST_OK)
            continue;
        c.distance = rel(c.devices, devices) + rel(c.tp, tp) + rel(c.pp, pp);
        c.changed = (c.devices != devices ? TRAINEST_CHANGED_DEVICES : 0) |
                    (c.tp != tp ? TRAINEST_CHANGED_TENSOR_PARALLEL : 0) |
                    (c.pp != pp ? TRAINEST_CHANGED_PIPELINE_PARALLEL : 0);
        pool.c[kept++] = c;
    }
    /* insertion sort by (distance, devices, tp, pp) */
    for (unsigned i = 1; i < kept; i++) {
        struct layout c = pool.c[i];
        unsigned j = i;
        while (j > 0) {
            const struct layout *p = &pool.c[j - 1];
            bool before = c.distance != p->distance ? c.distance < p->distance
                          : c.devices != p->devices ? c.devices < p->devices
                          : c.tp != p->tp           ? c.tp < p->tp
                                                    : c.pp < p->pp;
            if (!before)
                break;
            pool.c[j] = pool.c[j - 1];
            j--;
        }
        pool.c[j] = c;
    }
    const uint32_t stride = capacity ? out->struct_size : 0;
    const uint32_t n = kept < capacity ? kept : capacity;
    for (uint32_t i = 0; i < n; i++) {
        trainest_layout_suggestion s;
        memset(&s, 0, sizeof s);
        s.changed = pool.c[i].changed;
        s.distance_ratio = pool.c[i].distance;
        s.devices = pool.c[i].devices;
        s.tensor_parallel = pool.c[i].tp;
        s.pipeline_parallel = pool.c[i].pp;
        s.data_parallel = pool.c[i].devices / (pool.c[i].tp * pool.c[i].pp);
        trainest_priv_write_element(out, stride, i, &s, sizeof s);
    }
    *out_count = n;
    return TRAINEST_OK;
}
