/* SPDX-License-Identifier: MIT */
/* The gradient-accumulation trade-off: every micro-batch that divides the
 * per-replica batch, timed, and the seed's recommendation (the largest
 * micro-batch that fits: memory before accumulation). */
#include <string.h>

#include "abi.h"
#include "estimate.h"
#include "plan.h"
#include "sizes.h"

/* Candidates are enumerated by trial division up to sqrt(n); beyond this
 * the per-replica batch is refused rather than searched for seconds. */
#define MAX_PER_REPLICA (UINT64_C(1) << 32)

struct tradeoff_ctx {
    trainest_tradeoff *t;
    unsigned char *points;
    uint32_t stride, capacity, written;
    trainest_plan_request prq;
    const trainest_estimate_request *rq;
    uint64_t cap, G, R;
};

static void consider(struct tradeoff_ctx *c, uint64_t m)
{
    trainest_plan_request prq = c->prq;
    prq.micro_batch = m;
    prq.grad_accum_steps = c->G / c->R / m;
    trainest_estimate e;
    trainest_plan plan;
    memset(&e, 0, sizeof e);
    if (trainest_priv_estimate_checked(&e, &prq, c->rq, &plan) != TRAINEST_OK)
        return; /* this split leaves no step under the request's policies */
    const bool fits = c->cap == 0 || m <= c->cap;
    c->t->candidates++;
    if (fits) {
        c->t->recommended_micro_batch = m; /* ascending: the last that fits */
        c->t->recommended_grad_accum_steps = prq.grad_accum_steps;
        c->t->recommended_total_s = e.total_s;
        if (c->t->fastest_micro_batch == 0 || e.total_s <= c->t->fastest_total_s) {
            c->t->fastest_micro_batch = m;
            c->t->fastest_total_s = e.total_s;
        }
    }
    if (c->written < c->capacity) {
        trainest_tradeoff_point pt;
        memset(&pt, 0, sizeof pt);
        pt.fits = fits;
        pt.micro_batch = m;
        pt.grad_accum_steps = prq.grad_accum_steps;
        pt.step_s = e.step_s;
        pt.total_s = e.total_s;
        trainest_priv_write_element(c->points, c->stride, c->written, &pt, sizeof pt);
        c->written++;
    }
}

static int tradeoff(struct tradeoff_ctx *c, const trainest_plan_request *prq_in, uint32_t *field)
{
    /* The global batch is what the request resolves to; the cap only
     * decides which candidates fit. */
    trainest_plan_request prq = *prq_in;
    c->cap = prq.max_micro_batch;
    prq.max_micro_batch = 0;
    if (prq.global_batch) { /* the candidates replace m and a */
        prq.micro_batch = 0;
        prq.grad_accum_steps = 0;
    }
    trainest_plan plan;
    plan.struct_size = sizeof plan;
    int st = trainest_priv_plan_compute(&plan, &prq);
    if (st) {
        *field = plan.invalid_field;
        return st;
    }
    struct tr_step_model sm;
    if ((st = trainest_priv_step_model(&sm, c->rq, &plan, &prq, field)))
        return st;
    c->G = plan.global_batch;
    c->R = plan.data_parallel;
    const uint64_t n = c->G / c->R;
    if (n > MAX_PER_REPLICA) {
        *field = TRAINEST_FIELD_GLOBAL_BATCH;
        return TRAINEST_E_OUT_OF_RANGE;
    }
    prq.global_batch = c->G;
    prq.divisibility = TRAINEST_DIVISIBILITY_ERROR;
    c->prq = prq;
    /* Divisors in ascending order: d up to sqrt(n), then n / d back down. */
    uint64_t d = 1;
    for (; d * d <= n; d++)
        if (n % d == 0)
            consider(c, d);
    for (d--; d >= 1; d--)
        if (n % d == 0 && n / d != d)
            consider(c, n / d);
    return TRAINEST_OK;
}

int trainest_tradeoff_compute(trainest_tradeoff *out, trainest_tradeoff_point *points,
                              uint32_t capacity, uint32_t *out_count,
                              const trainest_plan_request *plan_request,
                              const trainest_estimate_request *request)
{
    if (!out_count)
        return TRAINEST_E_NULL;
    *out_count = 0;
    int st = trainest_priv_check_output(out, TR_SIZE_TRADEOFF_0_2);
    if (st)
        return st;
    if ((st = trainest_priv_check_array(points, capacity, TR_SIZE_TRADEOFF_POINT_0_2)))
        return st;
    trainest_tradeoff t;
    memset(&t, 0, sizeof t);
    trainest_plan_request prq;
    trainest_estimate_request rq;
    struct tradeoff_ctx c;
    memset(&c, 0, sizeof c);
    if ((st = trainest_priv_read_input(&prq, sizeof prq, plan_request, TR_SIZE_PLAN_REQUEST_0_1)) ||
        (st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_ESTIMATE_REQUEST_0_2))) {
        t.invalid_field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    } else {
        c.t = &t;
        c.points = (unsigned char *)points;
        c.capacity = capacity;
        c.rq = &rq;
        if (capacity)
            memcpy(&c.stride, points, sizeof c.stride);
        st = tradeoff(&c, &prq, &t.invalid_field);
    }
    if (st) {
        uint32_t fld = t.invalid_field;
        memset(&t, 0, sizeof t);
        t.invalid_field = fld;
        c.written = 0;
    }
    trainest_priv_write_output(out, &t, sizeof t);
    *out_count = c.written;
    return st;
}
