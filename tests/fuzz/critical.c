/* SPDX-License-Identifier: MIT */
/* Fuzz target: the critical batch size (trainest_critical_request_init,
 * trainest_critical_compute). See tests/fuzz/README.md.
 *
 * Input: flags byte, plan, estimate, memory and critical requests
 * (fz_struct each), init size mode, output size mode. */
#define FZ_TARGET "critical"
#define FZ_MAX_LEN 1024
#include "fuzz_util.h"

#include <stdbool.h>

#include "sizes.h"

#define PLAN_RQ sizeof(trainest_plan_request)
#define EST_RQ sizeof(trainest_estimate_request)
#define MEM_RQ sizeof(trainest_memory_request)
#define CRIT_RQ sizeof(trainest_critical_request)
#define CRIT sizeof(trainest_critical)

static _Alignas(16) unsigned char prq_buf[FZ_MAX_STRUCT + FZ_GUARD], erq_buf[FZ_MAX_STRUCT + FZ_GUARD],
    mrq_buf[FZ_MAX_STRUCT + FZ_GUARD], crq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];

static void check_critical(const trainest_critical *c, const trainest_plan_request *prq,
                           const trainest_estimate_request *erq, const trainest_critical_request *rq,
                           bool memory_model)
{
    const char *what = "trainest_critical_compute";
    for (const double *v = &c->critical_batch; v <= &c->best_data_efficiency_ratio; v++) {
        if (v == (const double *)(const void *)&c->best_global_batch ||
            v == (const double *)(const void *)&c->best_micro_batch ||
            v == (const double *)(const void *)&c->best_grad_accum_steps)
            continue;
        FZ_SCHECK(what, "finite-nonneg", isfinite(*v) && *v >= 0, "member at offset %zu is %g",
                  (size_t)((const unsigned char *)v - (const unsigned char *)c), *v);
    }
    FZ_SCHECK(what, "critical-batch", c->critical_batch == rq->noise_scale, "critical_batch %.17g, noise_scale %.17g",
              c->critical_batch, rq->noise_scale);
    const double s_min = rq->min_steps > 0 ? rq->min_steps : rq->min_samples / rq->noise_scale;
    FZ_SCHECK(what, "steps-at-least-min", c->steps_to_target >= s_min && c->steps_to_target == ceil(c->steps_to_target) &&
                                              c->best_steps_to_target >= s_min,
              "steps_to_target %.17g (best %.17g), S_min %.17g", c->steps_to_target, c->best_steps_to_target, s_min);
    uint64_t prod = 0;
    FZ_SCHECK(what, "best-split", c->best_micro_batch && fz_mul3(c->best_micro_batch, c->best_grad_accum_steps, 1, &prod) &&
                                      c->best_global_batch && c->best_global_batch % prod == 0,
              "best_global_batch %llu is not a multiple of micro_batch %llu * grad_accum_steps %llu",
              (unsigned long long)c->best_global_batch, (unsigned long long)c->best_micro_batch,
              (unsigned long long)c->best_grad_accum_steps);
    const double e1 = c->best_step_efficiency_ratio, e2 = c->best_data_efficiency_ratio;
    FZ_SCHECK(what, "efficiencies", e1 <= 1 && e2 <= 1 && fabs(e1 + e2 - 1) <= 1e-12,
              "step efficiency %.17g + data efficiency %.17g != 1", e1, e2);
    FZ_SCHECK(what, "best-ratio", fz_close(c->best_batch_ratio, (double)c->best_global_batch / rq->noise_scale, 1e-12),
              "best_batch_ratio %.17g", c->best_batch_ratio);
    FZ_SCHECK(what, "time", fz_close(c->time_to_target_s, c->steps_to_target * c->step_s, 1e-12),
              "time_to_target_s %.17g != steps %.17g * step_s %.17g", c->time_to_target_s, c->steps_to_target, c->step_s);
    /* nothing caps the micro-batch: no accumulation (a memory model may
     * cap it, and then accumulation makes up the batch) */
    if (!prq->max_micro_batch && !memory_model)
        FZ_SCHECK(what, "best-no-accumulation", c->best_grad_accum_steps == 1 || c->best_global_batch == 0,
                  "no cap, but best_grad_accum_steps %llu", (unsigned long long)c->best_grad_accum_steps);
    /* the plan's own time is what estimate_run() says of a step */
    trainest_estimate e;
    memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
    const int st = trainest_estimate_run(&e, prq, erq);
    FZ_SCHECK(what, "step-is-estimate", st != TRAINEST_OK || e.step_s == c->step_s,
              "step_s %.17g, estimate_run says %.17g", c->step_s, e.step_s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t p_n, e_n, m_n, c_n;
    const unsigned char *pp = fz_input(&in, prq_buf, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &p_n);
    const unsigned char *ep = fz_input(&in, erq_buf, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2, &e_n);
    const unsigned char *mp = fz_input(&in, mrq_buf, MEM_RQ, TR_SIZE_MEMORY_REQUEST_0_3, &m_n);
    const unsigned char *cp = fz_input(&in, crq_buf, CRIT_RQ, TR_SIZE_CRITICAL_REQUEST_0_4, &c_n);
    trainest_plan_request pview;
    trainest_estimate_request eview;
    trainest_critical_request cview;
    const int ok = fz_view(&pview, pp, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1) &
                   fz_view(&eview, ep, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2) &
                   fz_view(&cview, cp, CRIT_RQ, TR_SIZE_CRITICAL_REQUEST_0_4);
    const trainest_plan_request *prq = flags == 0xFE ? NULL : (const trainest_plan_request *)(const void *)pp;
    const trainest_estimate_request *erq = flags == 0xFD ? NULL : (const trainest_estimate_request *)(const void *)ep;
    const trainest_memory_request *mrq = flags & 1 ? NULL : (const trainest_memory_request *)(const void *)mp;
    const trainest_critical_request *crq = flags == 0xFC ? NULL : (const trainest_critical_request *)(const void *)cp;

    {
        trainest_critical_request d;
        memset(&d, 0, sizeof d);
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), CRIT_RQ, TR_SIZE_CRITICAL_REQUEST_0_4, &tail);
        FZ_INIT_CHECK(trainest_critical_request_init, trainest_critical_request, TR_SIZE_CRITICAL_REQUEST_0_4, &d,
                      isize, out_a);
    }

    const char *what = "trainest_critical_compute";
    fz_out oa, ob;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, CRIT, TR_SIZE_CRITICAL_0_4), CRIT, TR_SIZE_CRITICAL_0_4);
    fz_out_prepare(&ob, out_b, CRIT, CRIT, TR_SIZE_CRITICAL_0_4);
    const int st_a = trainest_critical_compute((trainest_critical *)(void *)out_a, prq, erq, mrq, crq);
    const int st_b = trainest_critical_compute((trainest_critical *)(void *)out_b, prq, erq, mrq, crq);
    fz_out_check(&oa, st_a, what, 0, 0);
    if (fz_out_check(&ob, st_b, what, 0, 0)) {
        fz_out_same(&oa, st_a, &ob, st_b, what);
        if (st_b == TRAINEST_OK && ok && prq && erq && crq)
            check_critical((const trainest_critical *)(const void *)out_b, &pview, &eview, &cview, mrq != NULL);
    }
    FZ_CHECK("critical:input-unchanged",
             memcmp(pp, prq_buf, p_n) == 0 && memcmp(ep, erq_buf, e_n) == 0 && memcmp(mp, mrq_buf, m_n) == 0 &&
                 memcmp(cp, crq_buf, c_n) == 0,
             "a request was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void seed(const char *name, const trainest_plan_request *p, const trainest_estimate_request *e,
                 const trainest_memory_request *m, const trainest_critical_request *c, uint8_t flags, uint8_t out_mode)
{
    fz_seed_begin();
    fz_emit_u8(flags);
    fz_emit_struct(p, sizeof *p);
    fz_emit_struct(e, sizeof *e);
    fz_emit_struct(m, sizeof *m);
    fz_emit_struct(c, sizeof *c);
    fz_emit_u8(0);
    fz_emit_u8(out_mode);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    trainest_plan_request p;
    trainest_estimate_request e;
    trainest_memory_request m;
    trainest_critical_request c;
    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    trainest_memory_request_init(&m, sizeof m);
    trainest_critical_request_init(&c, sizeof c);
    p.samples = 10000000;
    p.global_batch = 2048;
    p.micro_batch = 32;
    p.data_parallel = 8;
    p.max_micro_batch = 64;
    e.floor_s = 0.003;
    e.fixed_s = 0.02;
    e.per_sample_s = 0.002;
    e.optimizer_s = 0.05;
    e.grad_bytes = 500000000;
    e.bus_bytes_per_s = 1e11;
    c.noise_scale = 4096;
    c.min_steps = 20000;
    seed("seed-min-steps-no-memory", &p, &e, &m, &c, 1, 0);
    m.params = 1000000000;
    m.activation_bytes_per_sample = 500000000;
    m.device_memory_bytes = 40000000000ull;
    c.min_steps = 0;
    c.min_samples = 4096.0 * 20000;
    c.max_global_batch = 1u << 20;
    seed("seed-min-samples-memory", &p, &e, &m, &c, 0, 6);
    c.noise_scale = 1e300;
    c.max_global_batch = 0;
    seed("seed-huge-noise-scale", &p, &e, &m, &c, 0, 0);
}
