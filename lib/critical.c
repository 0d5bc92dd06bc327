/* SPDX-License-Identifier: MIT */
/* The critical batch size (McCandlish et al. 2018, "An Empirical Model of
 * Large-Batch Training"): S(B) = S_min (1 + B_noise / B) steps and
 * E(B) = E_min (1 + B / B_noise) samples reach the same loss; time to the
 * target is S(B) times the step time at B (docs/run-level.md). */
#include <math.h>
#include <string.h>

#include "abi.h"
#include "estimate.h"
#include "intmath.h"
#include "memory.h"
#include "plan.h"
#include "sizes.h"

#define FAIL(status, fld)                                                                      \
    do {                                                                                       \
        *field = (fld);                                                                        \
        return (status);                                                                       \
    } while (0)

#define DENSE_LIMIT 4096u

static double steps_to_target(double s_min, double noise, double G)
{
    return ceil(s_min * (1 + noise / G)); /* whole steps, rounded up */
}

static int critical(trainest_critical *out, const trainest_plan_request *prq,
                    const trainest_estimate_request *erq, const trainest_memory_request *mrq,
                    const trainest_critical_request *rq, uint32_t *field)
{
    if (rq->reserved0)
        FAIL(TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
    const struct {
        double v;
        uint32_t f;
    } values[] = {{rq->noise_scale, TRAINEST_FIELD_NOISE_SCALE},
                  {rq->min_steps, TRAINEST_FIELD_MIN_STEPS},
                  {rq->min_samples, TRAINEST_FIELD_MIN_SAMPLES}};
    for (int i = 0; i < 3; i++) {
        if (!isfinite(values[i].v))
            FAIL(TRAINEST_E_NOT_FINITE, values[i].f);
        if (values[i].v < 0)
            FAIL(TRAINEST_E_OUT_OF_RANGE, values[i].f);
    }
    if (rq->noise_scale == 0)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_NOISE_SCALE);
    if (rq->min_steps > 0 && rq->min_samples > 0)
        FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_MIN_SAMPLES);
    if (rq->min_steps == 0 && rq->min_samples == 0)
        FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_MIN_STEPS);
    const double B = rq->noise_scale;
    const double s_min = rq->min_steps > 0 ? rq->min_steps : rq->min_samples / B;

    trainest_plan p;
    p.struct_size = sizeof p;
    int st = trainest_priv_plan_compute(&p, prq);
    if (st)
        FAIL(st, p.invalid_field);
    struct tr_step_model sm;
    if ((st = trainest_priv_step_model(&sm, erq, &p, prq, field)))
        return st;
    uint64_t cap = prq->max_micro_batch;
    if (mrq) {
        if ((st = trainest_priv_memory_check(mrq, field)))
            return st;
        /* the plan's layout, with the most micro-batches a pipeline holds
         * (PP, reached once a step has PP of them): a cap for every batch */
        struct tr_mem_shape shape;
        trainest_priv_memory_layout_shape(&shape, mrq, prq, p.tensor_parallel,
                                          p.pipeline_parallel, p.virtual_stages,
                                          p.pipeline_parallel);
        trainest_memory mem;
        mem.struct_size = sizeof mem;
        if ((st = trainest_priv_memory_for(&mem, mrq, &shape, 0, p.data_parallel, field)))
            return st;
        if (mem.max_micro_batch == 0)
            FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DEVICE_MEMORY_BYTES); /* nothing fits */
        if (mem.max_micro_batch != UINT64_MAX && (!cap || mem.max_micro_batch < cap))
            cap = mem.max_micro_batch;
    }

    const double G = (double)p.global_batch;
    out->critical_batch = B;
    out->step_s = trainest_priv_full_step_s(&sm, (double)p.grad_accum_steps, (double)p.micro_batch);
    out->steps_to_target = steps_to_target(s_min, B, G);
    out->samples_to_target = out->steps_to_target * G;
    out->time_to_target_s = out->steps_to_target * out->step_s;

    /* The best global batch: G = R n, every n up to DENSE_LIMIT, then a
     * geometric grid of ratio 1 + 1/256, each with the largest micro-batch
     * that divides n and fits. */
    const uint64_t R = p.data_parallel;
    double g_max = rq->max_global_batch ? (double)rq->max_global_batch : 64 * B;
    uint64_t n_max = g_max / (double)R >= 1.8e19 ? UINT64_MAX : (uint64_t)(g_max / (double)R);
    if (n_max == 0)
        n_max = 1;
    double best = INFINITY;
    for (uint64_t n = 1;;) {
        const uint64_t m = cap ? trainest_priv_divisor_at_most(n, cap) : n;
        const uint64_t a = n / m;
        const double Gn = (double)n * (double)R;
        const double steps = steps_to_target(s_min, B, Gn);
        const double t = steps * trainest_priv_full_step_s(&sm, (double)a, (double)m);
        if (t < best) {
            best = t;
            out->best_global_batch = n * R; /* n <= G/R-ish: checked below */
            out->best_micro_batch = m;
            out->best_grad_accum_steps = a;
            out->best_steps_to_target = steps;
        }
        if (n >= n_max)
            break;
        uint64_t next = n < DENSE_LIMIT ? n + 1 : (uint64_t)((double)n * (1.0 + 1.0 / 256));
        if (next <= n)
            next = n + 1;
        n = next < n_max ? next : n_max;
        if (n > UINT64_MAX / R)
            break;
    }
    out->best_time_to_target_s = best;
    const double Gb = (double)out->best_global_batch;
    out->best_batch_ratio = Gb / B;
    out->best_step_efficiency_ratio = 1 / (1 + B / Gb);
    out->best_data_efficiency_ratio = 1 / (1 + Gb / B);
    const double outputs[] = {out->critical_batch, out->steps_to_target, out->samples_to_target,
                              out->step_s, out->time_to_target_s, out->best_steps_to_target,
                              out->best_time_to_target_s, out->best_batch_ratio,
                              out->best_step_efficiency_ratio, out->best_data_efficiency_ratio};
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        if (!isfinite(outputs[i])) /* beyond the double range: reported, never inf */
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_NONE);
    return TRAINEST_OK;
}

int trainest_critical_compute(trainest_critical *out, const trainest_plan_request *plan_request,
                              const trainest_estimate_request *estimate_request,
                              const trainest_memory_request *memory_request,
                              const trainest_critical_request *request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_CRITICAL_0_4);
    if (st)
        return st;
    trainest_critical c;
    memset(&c, 0, sizeof c);
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_critical_request rq;
    if ((st = trainest_priv_read_input(&prq, sizeof prq, plan_request, TR_SIZE_PLAN_REQUEST_0_1)) ||
        (st = trainest_priv_read_input(&erq, sizeof erq, estimate_request,
                                       TR_SIZE_ESTIMATE_REQUEST_0_2)) ||
        (memory_request && (st = trainest_priv_read_input(&mrq, sizeof mrq, memory_request,
                                                          TR_SIZE_MEMORY_REQUEST_0_3))) ||
        (st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_CRITICAL_REQUEST_0_4)))
        c.invalid_field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    else
        st = critical(&c, &prq, &erq, memory_request ? &mrq : NULL, &rq, &c.invalid_field);
    if (st) {
        uint32_t fld = c.invalid_field;
        memset(&c, 0, sizeof c);
        c.invalid_field = fld;
    }
    trainest_priv_write_output(out, &c, sizeof c);
    return st;
}

int trainest_critical_request_init(trainest_critical_request *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_CRITICAL_REQUEST_0_4);
}
