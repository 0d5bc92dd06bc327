/* SPDX-License-Identifier: MIT */
/* Megatron's batch-size ramp-up in closed form over the increments.
 *
 * Megatron-Core (RampupBatchsizeNumMicroBatchesCalculator, update_train_iters):
 *   increments = (G - START) / INCR        (asserted exact)
 *   per_incr   = RAMP_SAMPLES / increments (a float)
 *   batch(c)   = START + int(c / per_incr) * INCR   while c <= RAMP_SAMPLES
 *   iterations: while c <= RAMP_SAMPLES and c <= train_samples:
 *                   c += batch(c); iterations += 1
 *               then += (train_samples - c) // G
 * Instead of stepping, each batch size's run of iterations is found by
 * bisection on the same float predicate, so the count matches Megatron's
 * loop exactly (tests/test_rampup.c replays the loop). */
#include <math.h>
#include <string.h>

#include "abi.h"
#include "estimate.h"
#include "intmath.h"
#include "plan.h"
#include "sizes.h"

#define FAIL(status, fld)                                                                      \
    do {                                                                                       \
        *field = (fld);                                                                        \
        return (status);                                                                       \
    } while (0)

#define MAX_INCREMENTS 10000000u

struct ramp {
    uint64_t start, incr, ramp_samples, train_samples, increments;
    double per_incr;
};

/* Python's int(c / per_incr) for the non-negative float quotient. */
static uint64_t level(const struct ramp *r, uint64_t c)
{
    return (uint64_t)((double)c / r->per_incr);
}

/* Iterations at this batch size from consumed c: the largest j such that
 * c + i * b still loops and stays at level k for every i < j. */
static uint64_t run_length(const struct ramp *r, uint64_t c, uint64_t b, uint64_t k)
{
    const uint64_t limit = r->ramp_samples < r->train_samples ? r->ramp_samples : r->train_samples;
    uint64_t lo = 0, hi = (limit - c) / b; /* i = hi is the last within the limits */
    /* i = 0 holds; find the last i in [0, hi] with level(c + i b) == k */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if (level(r, c + mid * b) == k)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo + 1;
}

static int rampup(trainest_rampup *out, const trainest_plan_request *prq,
                  const trainest_rampup_request *rq, const trainest_estimate_request *erq,
                  uint32_t *field)
{
    if (prq->preset != TRAINEST_PRESET_MEGATRON)
        FAIL(TRAINEST_E_PRESET_CONFLICT, TRAINEST_FIELD_PRESET);
    if (rq->reserved0)
        FAIL(TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
    /* decrease_batch_size_if_needed during a ramp is not modelled */
    if (prq->divisibility != TRAINEST_DIVISIBILITY_ERROR)
        FAIL(TRAINEST_E_PRESET_CONFLICT, TRAINEST_FIELD_DIVISIBILITY);
    trainest_plan p;
    p.struct_size = sizeof p;
    int st = trainest_priv_plan_compute(&p, prq);
    if (st == TRAINEST_E_NO_STEPS) {
        /* Fewer samples than one target batch: the constant-batch run has no
         * iteration, but the ramp's smaller batches may. Resolve the batch
         * on a stream long enough, count with the real one below. */
        trainest_plan_request resolve = *prq;
        resolve.samples = UINT64_MAX;
        resolve.epochs = 1;
        st = trainest_priv_plan_compute(&p, &resolve);
    }
    if (st)
        FAIL(st, p.invalid_field);
    struct tr_step_model sm;
    if (erq && (st = trainest_priv_step_model(&sm, erq, &p, prq, field)))
        return st;

    const uint64_t G = p.global_batch, mR = p.micro_batch * p.data_parallel; /* mR <= G */
    struct ramp r = {rq->start_global_batch, rq->increment, rq->ramp_samples, 0, 0, 0};
    if (!r.start)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_RAMPUP_START);
    if (r.start > G)
        FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_RAMPUP_START);
    if (r.start < G) {
        if (!r.incr)
            FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_RAMPUP_INCREMENT);
        if ((G - r.start) % r.incr)
            FAIL(TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_RAMPUP_INCREMENT);
        r.increments = (G - r.start) / r.incr;
        if (r.increments > MAX_INCREMENTS)
            FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_RAMPUP_INCREMENT);
        if (!r.ramp_samples)
            FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_RAMPUP_SAMPLES);
        r.per_incr = (double)r.ramp_samples / (double)r.increments;
    }
    if (tr_mul_overflow(prq->samples, prq->epochs, &r.train_samples))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_EPOCHS);
    out->increments = r.increments;

    /* START == G: Megatron divides by zero; without increments there is no
     * ramp, and every iteration runs at the target. */
    uint64_t c = 0, iters = 0;
    double ramp_s = 0;
    while (r.increments && c <= r.ramp_samples && c <= r.train_samples) {
        const uint64_t k = level(&r, c);
        const uint64_t b = r.start + k * r.incr; /* k <= increments: b <= G */
        if (b % mR)
            FAIL(TRAINEST_E_NOT_DIVISIBLE,
                 k ? TRAINEST_FIELD_RAMPUP_INCREMENT : TRAINEST_FIELD_RAMPUP_START);
        const uint64_t j = run_length(&r, c, b, k);
        iters += j;
        /* the last iteration may pass the limit by up to b: beyond 2^64 - 1
         * only if the samples really do */
        uint64_t jb;
        if (tr_mul_overflow(j, b, &jb) || tr_add_overflow(c, jb, &c))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_RAMPUP_SAMPLES);
        if (erq)
            ramp_s += (double)j * trainest_priv_full_step_s(&sm, (double)(b / mR),
                                                            (double)p.micro_batch);
    }
    out->rampup_steps = iters;
    out->rampup_samples = c;
    out->steps_after = r.train_samples > c ? (r.train_samples - c) / G : 0;
    out->total_steps = iters + out->steps_after;
    out->total_samples = c + out->steps_after * G;
    const uint64_t constant = r.train_samples / G;
    out->extra_steps = out->total_steps > constant ? out->total_steps - constant : 0;
    if (out->total_steps == 0)
        FAIL(TRAINEST_E_NO_STEPS, TRAINEST_FIELD_GLOBAL_BATCH);
    if (erq) {
        out->rampup_s = ramp_s;
        const double after = (double)out->steps_after *
                             trainest_priv_full_step_s(&sm, (double)p.grad_accum_steps,
                                                       (double)p.micro_batch);
        out->total_s = ramp_s + after +
                       (double)prq->epochs * (erq->eval_s_per_epoch +
                                           erq->checkpoint_s * (double)erq->checkpoints_per_epoch) +
                       erq->startup_s;
        if (!isfinite(out->total_s))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_NONE);
    }
    return TRAINEST_OK;
}

int trainest_rampup_compute(trainest_rampup *out, const trainest_plan_request *plan_request,
                            const trainest_rampup_request *request,
                            const trainest_estimate_request *estimate_request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_RAMPUP_0_4);
    if (st)
        return st;
    trainest_rampup r;
    memset(&r, 0, sizeof r);
    trainest_plan_request prq;
    trainest_rampup_request rq;
    trainest_estimate_request erq;
    if ((st = trainest_priv_read_input(&prq, sizeof prq, plan_request, TR_SIZE_PLAN_REQUEST_0_1)) ||
        (st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_RAMPUP_REQUEST_0_4)) ||
        (estimate_request &&
         (st = trainest_priv_read_input(&erq, sizeof erq, estimate_request,
                                        TR_SIZE_ESTIMATE_REQUEST_0_2))))
        r.invalid_field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    else
        st = rampup(&r, &prq, &rq, estimate_request ? &erq : NULL, &r.invalid_field);
    if (st) {
        uint32_t fld = r.invalid_field;
        memset(&r, 0, sizeof r);
        r.invalid_field = fld;
    }
    trainest_priv_write_output(out, &r, sizeof r);
    return st;
}

int trainest_rampup_request_init(trainest_rampup_request *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_RAMPUP_REQUEST_0_4);
}
