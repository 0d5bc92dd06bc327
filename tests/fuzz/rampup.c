/* SPDX-License-Identifier: MIT */
/* Fuzz target: Megatron's batch-size ramp-up (trainest_rampup_request_init,
 * trainest_rampup_compute). See tests/fuzz/README.md.
 *
 * The library bounds the increments at 10^7 and iterates over them; this
 * target skips inputs with more than 10^4 increments (and at most 10^7,
 * which the library refuses at once) so that every input runs in
 * milliseconds, and replays Megatron's own loop (update_train_iters) for
 * runs of up to 10^5 ramp iterations.
 *
 * Input: flags byte, plan, ramp-up and estimate requests (fz_struct each),
 * init size mode, output size mode. */
#define FZ_TARGET "rampup"
#define FZ_MAX_LEN 1024
#include "fuzz_util.h"

#include "sizes.h"

#define PLAN_RQ sizeof(trainest_plan_request)
#define RAMP_RQ sizeof(trainest_rampup_request)
#define EST_RQ sizeof(trainest_estimate_request)
#define RAMP sizeof(trainest_rampup)
#define MAX_FAST_INCREMENTS 10000u
#define MAX_REPLAY 100000u

static _Alignas(16) unsigned char prq_buf[FZ_MAX_STRUCT + FZ_GUARD], rrq_buf[FZ_MAX_STRUCT + FZ_GUARD],
    erq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];

/* The target global batch the library resolves (0 if the plan fails). */
static uint64_t target_batch(const trainest_plan_request *prq)
{
    trainest_plan p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    int st = trainest_plan_compute(&p, prq);
    if (st == TRAINEST_E_NO_STEPS) {
        trainest_plan_request r = *prq;
        r.samples = UINT64_MAX;
        r.epochs = 1;
        p.struct_size = sizeof p;
        st = trainest_plan_compute(&p, &r);
    }
    return st == TRAINEST_OK ? p.global_batch : 0;
}

static void check_rampup(const trainest_rampup *r, const trainest_plan_request *prq, const trainest_rampup_request *rq,
                         int timed)
{
    const char *what = "trainest_rampup_compute";
    const uint64_t G = target_batch(prq);
    FZ_SCHECK(what, "plans", G != 0, "a ramp-up for a request the planner rejects");
    if (!G)
        return;
    uint64_t train;
    if (__builtin_mul_overflow(prq->samples, prq->epochs, &train))
        train = UINT64_MAX;
    FZ_SCHECK(what, "steps-sum", r->total_steps == r->rampup_steps + r->steps_after && r->total_steps >= 1,
              "total_steps %llu != ramp %llu + after %llu", (unsigned long long)r->total_steps,
              (unsigned long long)r->rampup_steps, (unsigned long long)r->steps_after);
    uint64_t after;
    FZ_SCHECK(what, "samples-sum",
              !__builtin_mul_overflow(r->steps_after, G, &after) && r->total_samples == r->rampup_samples + after,
              "total_samples %llu != ramp %llu + %llu * G %llu", (unsigned long long)r->total_samples,
              (unsigned long long)r->rampup_samples, (unsigned long long)r->steps_after, (unsigned long long)G);
    const uint64_t constant = train / G;
    FZ_SCHECK(what, "extra-steps", r->extra_steps == (r->total_steps > constant ? r->total_steps - constant : 0),
              "extra_steps %llu for %llu steps against %llu", (unsigned long long)r->extra_steps,
              (unsigned long long)r->total_steps, (unsigned long long)constant);
    const uint64_t incs = rq->start_global_batch < G ? (G - rq->start_global_batch) / rq->increment : 0;
    FZ_SCHECK(what, "increments", r->increments == incs, "increments %llu, (G - START) / INCR is %llu",
              (unsigned long long)r->increments, (unsigned long long)incs);
    if (!incs)
        FZ_SCHECK(what, "no-ramp", r->rampup_steps == 0 && r->rampup_samples == 0, "no increments, but %llu ramp steps",
                  (unsigned long long)r->rampup_steps);
    if (!timed)
        FZ_SCHECK(what, "untimed", r->rampup_s == 0 && r->total_s == 0, "no estimate request, but times %g, %g",
                  r->rampup_s, r->total_s);
    FZ_NONNEG(what, r->rampup_s);
    FZ_NONNEG(what, r->total_s);
    FZ_SCHECK(what, "ramp-within-total", r->rampup_s <= r->total_s, "rampup_s %.17g > total_s %.17g", r->rampup_s,
              r->total_s);
    /* Megatron's loop, step by step, for short ramps */
    if (incs && r->rampup_steps <= MAX_REPLAY) {
        const double per_incr = (double)rq->ramp_samples / (double)incs;
        uint64_t c = 0, iters = 0;
        while (c <= rq->ramp_samples && c <= train && iters <= MAX_REPLAY) {
            const uint64_t k = (uint64_t)((double)c / per_incr);
            c += rq->start_global_batch + k * rq->increment;
            iters++;
        }
        FZ_SCHECK(what, "megatron-loop", iters == r->rampup_steps && c == r->rampup_samples,
                  "%llu ramp steps over %llu samples; Megatron's loop takes %llu over %llu",
                  (unsigned long long)r->rampup_steps, (unsigned long long)r->rampup_samples,
                  (unsigned long long)iters, (unsigned long long)c);
        const uint64_t rest = train > c ? (train - c) / G : 0;
        FZ_SCHECK(what, "megatron-after", rest == r->steps_after, "steps_after %llu; Megatron: %llu",
                  (unsigned long long)r->steps_after, (unsigned long long)rest);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t p_n, r_n, e_n;
    const unsigned char *pp = fz_input(&in, prq_buf, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &p_n);
    const unsigned char *rp = fz_input(&in, rrq_buf, RAMP_RQ, TR_SIZE_RAMPUP_REQUEST_0_4, &r_n);
    const unsigned char *ep = fz_input(&in, erq_buf, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2, &e_n);
    trainest_plan_request pview;
    trainest_rampup_request rview;
    trainest_estimate_request eview;
    const int ok = fz_view(&pview, pp, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1) &
                   fz_view(&rview, rp, RAMP_RQ, TR_SIZE_RAMPUP_REQUEST_0_4);
    const int timed = !(flags & 1);
    fz_view(&eview, ep, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2);
    const trainest_plan_request *prq = flags == 0xFE ? NULL : (const trainest_plan_request *)(const void *)pp;
    const trainest_rampup_request *rrq = flags == 0xFC ? NULL : (const trainest_rampup_request *)(const void *)rp;
    const trainest_estimate_request *erq = timed ? (const trainest_estimate_request *)(const void *)ep : NULL;

    {
        trainest_rampup_request d;
        memset(&d, 0, sizeof d);
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), RAMP_RQ, TR_SIZE_RAMPUP_REQUEST_0_4, &tail);
        FZ_INIT_CHECK(trainest_rampup_request_init, trainest_rampup_request, TR_SIZE_RAMPUP_REQUEST_0_4, &d, isize,
                      out_a);
    }

    /* bound the work: at most 10^4 increments, or over 10^7 (refused) */
    if (ok && pview.preset == TRAINEST_PRESET_MEGATRON) {
        const uint64_t G = target_batch(&pview);
        if (G && rview.start_global_batch && rview.start_global_batch < G && rview.increment) {
            const uint64_t incs = (G - rview.start_global_batch) / rview.increment;
            if (incs > MAX_FAST_INCREMENTS && incs <= 10000000u)
                return 0;
        }
    }

    const char *what = "trainest_rampup_compute";
    fz_out oa, ob;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, RAMP, TR_SIZE_RAMPUP_0_4), RAMP, TR_SIZE_RAMPUP_0_4);
    fz_out_prepare(&ob, out_b, RAMP, RAMP, TR_SIZE_RAMPUP_0_4);
    const int st_a = trainest_rampup_compute((trainest_rampup *)(void *)out_a, prq, rrq, erq);
    const int st_b = trainest_rampup_compute((trainest_rampup *)(void *)out_b, prq, rrq, erq);
    fz_out_check(&oa, st_a, what, 0, 0);
    if (fz_out_check(&ob, st_b, what, 0, 0)) {
        fz_out_same(&oa, st_a, &ob, st_b, what);
        if (st_b == TRAINEST_OK && ok && prq && rrq)
            check_rampup((const trainest_rampup *)(const void *)out_b, &pview, &rview, timed);
    }
    FZ_CHECK("rampup:input-unchanged",
             memcmp(pp, prq_buf, p_n) == 0 && memcmp(rp, rrq_buf, r_n) == 0 && memcmp(ep, erq_buf, e_n) == 0,
             "a request was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void seed(const char *name, const trainest_plan_request *p, const trainest_rampup_request *r,
                 const trainest_estimate_request *e, uint8_t flags, uint8_t out_mode)
{
    fz_seed_begin();
    fz_emit_u8(flags);
    fz_emit_struct(p, sizeof *p);
    fz_emit_struct(r, sizeof *r);
    fz_emit_struct(e, sizeof *e);
    fz_emit_u8(0);
    fz_emit_u8(out_mode);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    trainest_plan_request p;
    trainest_rampup_request r;
    trainest_estimate_request e;
    trainest_plan_request_init(&p, sizeof p);
    trainest_rampup_request_init(&r, sizeof r);
    trainest_estimate_request_init(&e, sizeof e);
    /* GPT-3: --rampup-batch-size 32 32 4882812 to 1536 */
    p.preset = TRAINEST_PRESET_MEGATRON;
    p.samples = 146484375;
    p.global_batch = 1536;
    p.micro_batch = 1;
    p.data_parallel = 16;
    r.start_global_batch = 32;
    r.increment = 32;
    r.ramp_samples = 4882812;
    e.per_sample_s = 0.01;
    e.optimizer_s = 0.2;
    e.startup_s = 300;
    seed("seed-gpt3-ramp", &p, &r, &e, 0, 0);
    seed("seed-gpt3-ramp-counts-only", &p, &r, &e, 1, 6);

    p.samples = 1000; /* fewer samples than one target batch */
    r.start_global_batch = 16;
    r.increment = 16;
    r.ramp_samples = 100000;
    seed("seed-short-dataset", &p, &r, &e, 0, 0);

    p.samples = 10000000;
    p.data_parallel = 1;
    p.global_batch = 10000001;
    r.start_global_batch = 1;
    r.increment = 1;
    r.ramp_samples = UINT64_MAX;
    seed("seed-over-limit-increments", &p, &r, &e, 0, 0);

    trainest_plan_request_init(&p, sizeof p);
    p.preset = TRAINEST_PRESET_MEGATRON;
    p.samples = UINT64_MAX;
    p.global_batch = 4096;
    p.micro_batch = 2;
    p.data_parallel = 2;
    r.start_global_batch = 4;
    r.increment = 4;
    r.ramp_samples = UINT64_MAX - 4000;
    seed("seed-uint64-samples", &p, &r, &e, 0, 0);
}
