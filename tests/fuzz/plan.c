/* SPDX-License-Identifier: MIT */
/* Fuzz target: batch planning (trainest_plan_request_init, trainest_plan_compute,
 * trainest_plan_suggest, trainest_layout_suggest). See tests/fuzz/README.md.
 *
 * Input: flags byte, plan request (fz_struct), init size mode, plan output
 * size mode, suggestion stride mode + capacity byte, layout stride mode +
 * capacity byte. */
#define FZ_TARGET "plan"
#define FZ_MAX_LEN 512
#include "fuzz_util.h"

#include "sizes.h"

#define PLAN_RQ sizeof(trainest_plan_request)
#define MAX_SUGGESTIONS 64

static _Alignas(16) unsigned char rq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];
static _Alignas(16) unsigned char arr_a[1 << 20], arr_b[1 << 16];

/* Invariants of a successful plan, against the request as the library read it. */
static void check_plan(const char *what, const trainest_plan *p, const trainest_plan_request *rq)
{
    uint64_t prod = 0;
    FZ_SCHECK(what, "global-batch-product",
              fz_mul3(p->micro_batch, p->grad_accum_steps, p->data_parallel, &prod) &&
                  prod == p->global_batch,
              "global_batch %llu != micro_batch %llu * grad_accum_steps %llu * data_parallel %llu",
              (unsigned long long)p->global_batch, (unsigned long long)p->micro_batch,
              (unsigned long long)p->grad_accum_steps, (unsigned long long)p->data_parallel);
    FZ_SCHECK(what, "devices-product",
              fz_mul3(p->data_parallel, p->tensor_parallel, p->pipeline_parallel, &prod) &&
                  prod == p->devices,
              "devices %llu != data_parallel %llu * TP %llu * PP %llu",
              (unsigned long long)p->devices, (unsigned long long)p->data_parallel,
              (unsigned long long)p->tensor_parallel, (unsigned long long)p->pipeline_parallel);
    FZ_SCHECK(what, "epoch-samples",
              p->samples_dropped_per_epoch <= p->samples &&
                  p->samples_per_epoch ==
                      p->samples - p->samples_dropped_per_epoch + p->samples_padded_per_epoch,
              "samples_per_epoch %llu != samples %llu - dropped %llu + padded %llu",
              (unsigned long long)p->samples_per_epoch, (unsigned long long)p->samples,
              (unsigned long long)p->samples_dropped_per_epoch,
              (unsigned long long)p->samples_padded_per_epoch);
    FZ_SCHECK(what, "positive", p->micro_batch && p->grad_accum_steps && p->data_parallel &&
                                    p->tensor_parallel && p->pipeline_parallel && p->virtual_stages &&
                                    p->total_optimizer_steps,
              "a zero among micro_batch, grad_accum_steps, data_parallel, TP, PP, virtual "
              "stages, total_optimizer_steps");
    FZ_SCHECK(what, "micro-batches-per-step", p->micro_batches_per_step == p->grad_accum_steps,
              "micro_batches_per_step %llu != grad_accum_steps %llu",
              (unsigned long long)p->micro_batches_per_step, (unsigned long long)p->grad_accum_steps);
    uint64_t tokens = 0;
    FZ_SCHECK(what, "tokens",
              !__builtin_mul_overflow(p->global_batch, p->seq_len_tokens, &tokens) &&
                  tokens == p->tokens_per_step &&
                  !__builtin_mul_overflow(p->total_samples, p->seq_len_tokens, &tokens) &&
                  tokens == p->total_tokens,
              "tokens_per_step %llu / total_tokens %llu are not the products",
              (unsigned long long)p->tokens_per_step, (unsigned long long)p->total_tokens);
    FZ_SCHECK(what, "echo-request",
              p->samples == rq->samples && p->epochs == rq->epochs &&
                  p->seq_len_tokens == rq->seq_len_tokens && p->preset == rq->preset &&
                  p->divisibility == rq->divisibility &&
                  p->requested_global_batch == rq->global_batch,
              "samples, epochs, seq_len_tokens, preset, divisibility or requested_global_batch "
              "differ from the request");
    FZ_SCHECK(what, "effective-policies",
              p->sampler >= 1 && p->sampler <= 3 && p->last_micro_batch >= 1 &&
                  p->last_micro_batch <= 2 && p->accum_tail >= 1 && p->accum_tail <= 3 &&
                  p->reserved0 == 0,
              "sampler %u, last_micro_batch %u, accum_tail %u (never DEFAULT), reserved0 %u",
              (unsigned)p->sampler, (unsigned)p->last_micro_batch, (unsigned)p->accum_tail,
              (unsigned)p->reserved0);
    FZ_SCHECK(what, "layout-echo",
              p->tensor_parallel == (rq->tensor_parallel ? rq->tensor_parallel : 1) &&
                  p->pipeline_parallel == (rq->pipeline_parallel ? rq->pipeline_parallel : 1) &&
                  p->virtual_stages == (rq->virtual_stages ? rq->virtual_stages : 1) &&
                  (!rq->devices || p->devices == rq->devices),
              "TP/PP/virtual stages/devices differ from the request");
    FZ_SCHECK(what, "cap", !rq->max_micro_batch || p->micro_batch <= rq->max_micro_batch,
              "micro_batch %llu above max_micro_batch %llu", (unsigned long long)p->micro_batch,
              (unsigned long long)rq->max_micro_batch);
    FZ_SCHECK(what, "given-kept",
              (!rq->micro_batch || p->micro_batch == rq->micro_batch) &&
                  (!rq->grad_accum_steps || p->grad_accum_steps == rq->grad_accum_steps),
              "a given micro_batch or grad_accum_steps was changed");
    if (rq->global_batch) {
        const uint64_t G = rq->global_batch, g = p->global_batch;
        FZ_SCHECK(what, "divisibility-policy",
                  rq->divisibility == TRAINEST_DIVISIBILITY_ERROR   ? g == G
                  : rq->divisibility == TRAINEST_DIVISIBILITY_ROUND_DOWN ? g <= G
                                                                         : g >= G,
                  "global_batch %llu for requested %llu under divisibility %u",
                  (unsigned long long)g, (unsigned long long)G, (unsigned)rq->divisibility);
    }
    FZ_SCHECK(what, "last-micro-batch",
              p->last_micro_batch_samples >= 1 && p->last_micro_batch_samples <= p->micro_batch,
              "last_micro_batch_samples %llu outside [1, micro_batch %llu]",
              (unsigned long long)p->last_micro_batch_samples, (unsigned long long)p->micro_batch);
    FZ_SCHECK(what, "last-step", p->last_step_micro_batches <= p->grad_accum_steps,
              "last_step_micro_batches %llu above grad_accum_steps %llu",
              (unsigned long long)p->last_step_micro_batches, (unsigned long long)p->grad_accum_steps);
    FZ_SCHECK(what, "step-counts",
              p->total_micro_steps >= p->total_optimizer_steps &&
                  p->micro_steps_per_epoch >= p->optimizer_steps_per_epoch,
              "fewer micro-steps than optimizer steps");
}

static uint64_t layout_dp(const trainest_plan_request *rq)
{
    const uint64_t tp = rq->tensor_parallel ? rq->tensor_parallel : 1;
    const uint64_t pp = rq->pipeline_parallel ? rq->pipeline_parallel : 1;
    uint64_t model;
    if (__builtin_mul_overflow(tp, pp, &model))
        return 0;
    return rq->devices ? rq->devices / model : rq->data_parallel;
}

static void check_suggestions(const fz_arr *a, uint32_t n, const trainest_plan_request *rq)
{
    const char *what = "trainest_plan_suggest";
    trainest_plan_suggestion prev;
    memset(&prev, 0, sizeof prev);
    for (uint32_t i = 0; i < n; i++) {
        trainest_plan_suggestion s;
        fz_arr_get(a, i, &s);
        uint64_t prod = 0;
        FZ_SCHECK(what, "global-batch-product",
                  fz_mul3(s.micro_batch, s.grad_accum_steps, s.data_parallel, &prod) &&
                      prod == s.global_batch && s.micro_batch && s.grad_accum_steps,
                  "suggestion %u: %llu != %llu * %llu * %llu", (unsigned)i,
                  (unsigned long long)s.global_batch, (unsigned long long)s.micro_batch,
                  (unsigned long long)s.grad_accum_steps, (unsigned long long)s.data_parallel);
        FZ_SCHECK(what, "replicas-kept", s.data_parallel == layout_dp(rq),
                  "suggestion %u: data_parallel %llu, the layout has %llu", (unsigned)i,
                  (unsigned long long)s.data_parallel, (unsigned long long)layout_dp(rq));
        FZ_NONNEG(what, s.distance_ratio);
        const uint32_t changed =
            (rq->global_batch && s.global_batch != rq->global_batch ? TRAINEST_CHANGED_GLOBAL_BATCH : 0) |
            (rq->micro_batch && s.micro_batch != rq->micro_batch ? TRAINEST_CHANGED_MICRO_BATCH : 0) |
            (rq->grad_accum_steps && s.grad_accum_steps != rq->grad_accum_steps
                 ? TRAINEST_CHANGED_GRAD_ACCUM_STEPS
                 : 0);
        FZ_SCHECK(what, "changed-flags", s.changed == changed,
                  "suggestion %u: changed 0x%x, expected 0x%x", (unsigned)i, (unsigned)s.changed,
                  (unsigned)changed);
        if (i) {
            const int order = prev.distance_ratio != s.distance_ratio
                                  ? prev.distance_ratio < s.distance_ratio
                              : prev.global_batch != s.global_batch ? prev.global_batch < s.global_batch
                              : prev.micro_batch != s.micro_batch   ? prev.micro_batch < s.micro_batch
                                                                    : prev.grad_accum_steps < s.grad_accum_steps;
            FZ_SCHECK(what, "sorted", order, "suggestions %u and %u are out of order or repeated",
                      (unsigned)i - 1, (unsigned)i);
        }
        /* documented: the planner accepts it with exact divisibility */
        trainest_plan_request trial = *rq;
        trial.struct_size = sizeof trial;
        trial.global_batch = s.global_batch;
        trial.micro_batch = s.micro_batch;
        trial.grad_accum_steps = s.grad_accum_steps;
        trial.divisibility = TRAINEST_DIVISIBILITY_ERROR;
        trainest_plan p;
        memset(&p, 0, sizeof p);
        p.struct_size = sizeof p;
        const int st = trainest_plan_compute(&p, &trial);
        FZ_SCHECK(what, "suggestion-plans", st == TRAINEST_OK,
                  "suggestion %u (G %llu, m %llu, a %llu) does not plan: %s", (unsigned)i,
                  (unsigned long long)s.global_batch, (unsigned long long)s.micro_batch,
                  (unsigned long long)s.grad_accum_steps, trainest_status_name(st));
        prev = s;
    }
}

static void check_layouts(const fz_arr *a, uint32_t n, const trainest_plan_request *rq)
{
    const char *what = "trainest_layout_suggest";
    const uint64_t v = rq->virtual_stages ? rq->virtual_stages : 1;
    trainest_layout_suggestion prev;
    memset(&prev, 0, sizeof prev);
    for (uint32_t i = 0; i < n; i++) {
        trainest_layout_suggestion s;
        fz_arr_get(a, i, &s);
        uint64_t prod = 0;
        FZ_SCHECK(what, "devices-product",
                  s.tensor_parallel && s.pipeline_parallel && s.data_parallel &&
                      fz_mul3(s.data_parallel, s.tensor_parallel, s.pipeline_parallel, &prod) &&
                      prod == s.devices,
                  "layout %u: devices %llu != %llu * %llu * %llu", (unsigned)i,
                  (unsigned long long)s.devices, (unsigned long long)s.data_parallel,
                  (unsigned long long)s.tensor_parallel, (unsigned long long)s.pipeline_parallel);
        FZ_NONNEG(what, s.distance_ratio);
        FZ_SCHECK(what, "changed-flags",
                  (s.changed & ~(TRAINEST_CHANGED_DEVICES | TRAINEST_CHANGED_TENSOR_PARALLEL |
                                 TRAINEST_CHANGED_PIPELINE_PARALLEL)) == 0 &&
                      ((s.changed & TRAINEST_CHANGED_TENSOR_PARALLEL) != 0) ==
                          (s.tensor_parallel != (rq->tensor_parallel ? rq->tensor_parallel : 1)) &&
                      ((s.changed & TRAINEST_CHANGED_PIPELINE_PARALLEL) != 0) ==
                          (s.pipeline_parallel != (rq->pipeline_parallel ? rq->pipeline_parallel : 1)),
                  "layout %u: changed 0x%x does not match TP %llu, PP %llu", (unsigned)i,
                  (unsigned)s.changed, (unsigned long long)s.tensor_parallel,
                  (unsigned long long)s.pipeline_parallel);
        FZ_SCHECK(what, "model-splits",
                  (!rq->layers || (s.pipeline_parallel * v != 0 && rq->layers % (s.pipeline_parallel * v) == 0)) &&
                      (!rq->hidden || rq->hidden % s.tensor_parallel == 0) &&
                      (!rq->attention_heads || rq->attention_heads % s.tensor_parallel == 0) &&
                      (v == 1 || s.pipeline_parallel > 1),
                  "layout %u (TP %llu, PP %llu) does not split the model", (unsigned)i,
                  (unsigned long long)s.tensor_parallel, (unsigned long long)s.pipeline_parallel);
        if (i) {
            const int order = prev.distance_ratio != s.distance_ratio ? prev.distance_ratio < s.distance_ratio
                              : prev.devices != s.devices ? prev.devices < s.devices
                              : prev.tensor_parallel != s.tensor_parallel
                                  ? prev.tensor_parallel < s.tensor_parallel
                                  : prev.pipeline_parallel < s.pipeline_parallel;
            FZ_SCHECK(what, "sorted", order, "layouts %u and %u are out of order or repeated",
                      (unsigned)i - 1, (unsigned)i);
        }
        prev = s;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t rq_n;
    const unsigned char *rqp = fz_input(&in, rq_buf, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &rq_n);
    const trainest_plan_request *rq = flags == 0xFF ? NULL : (const trainest_plan_request *)(const void *)rqp;
    trainest_plan_request view;
    const int readable = rq && fz_view(&view, rqp, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1);

    /* the initialiser, at any size */
    {
        trainest_plan_request d;
        memset(&d, 0, sizeof d);
        d.data_parallel = 1;
        d.epochs = 1;
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &tail);
        FZ_INIT_CHECK(trainest_plan_request_init, trainest_plan_request, TR_SIZE_PLAN_REQUEST_0_1, &d,
                      isize, out_a);
    }

    /* the plan, at a fuzzed output size and at the full size */
    fz_out oa, ob;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, sizeof(trainest_plan), TR_SIZE_PLAN_0_1),
                   sizeof(trainest_plan), TR_SIZE_PLAN_0_1);
    fz_out_prepare(&ob, out_b, sizeof(trainest_plan), sizeof(trainest_plan), TR_SIZE_PLAN_0_1);
    const int st_a = trainest_plan_compute((trainest_plan *)(void *)out_a, rq);
    const int st_b = trainest_plan_compute((trainest_plan *)(void *)out_b, rq);
    fz_out_check(&oa, st_a, "trainest_plan_compute", 0, 0);
    if (fz_out_check(&ob, st_b, "trainest_plan_compute", 0, 0)) {
        fz_out_same(&oa, st_a, &ob, st_b, "trainest_plan_compute");
        if (st_b == TRAINEST_OK)
            check_plan("trainest_plan_compute", (const trainest_plan *)(void *)out_b, &view);
    }
    FZ_CHECK("plan:input-unchanged", memcmp(rqp, rq_buf, rq_n) == 0, "the request was modified");

    /* suggestions, at a fuzzed stride and capacity and at the full ones */
    {
        int tail;
        const uint32_t stride = fz_pick_size(&in, fz_u8(&in), sizeof(trainest_plan_suggestion),
                                             TR_SIZE_PLAN_SUGGESTION_0_1, &tail);
        const uint8_t capb = fz_u8(&in);
        fz_arr a, b;
        fz_arr_prepare(&a, arr_a, sizeof arr_a, stride, capb % (MAX_SUGGESTIONS + 1),
                       sizeof(trainest_plan_suggestion), TR_SIZE_PLAN_SUGGESTION_0_1);
        fz_arr_prepare(&b, arr_b, sizeof arr_b, sizeof(trainest_plan_suggestion), MAX_SUGGESTIONS,
                       sizeof(trainest_plan_suggestion), TR_SIZE_PLAN_SUGGESTION_0_1);
        uint32_t n_a = 12345, n_b = 12345;
        trainest_plan_suggestion *pa =
            a.capacity == 0 && (capb & 0x80) ? NULL : (trainest_plan_suggestion *)(void *)arr_a;
        const int sa = trainest_plan_suggest(pa, a.capacity, &n_a, rq);
        const int sb = trainest_plan_suggest((trainest_plan_suggestion *)(void *)arr_b, b.capacity, &n_b, rq);
        FZ_CHECK("trainest_plan_suggest:null-count", trainest_plan_suggest(NULL, 0, NULL, rq) == TRAINEST_E_NULL,
                 "NULL out_count accepted");
        fz_arr_check(&a, sa, n_a, "trainest_plan_suggest");
        if (fz_arr_check(&b, sb, n_b, "trainest_plan_suggest")) {
            fz_arr_same(&a, sa, n_a, &b, sb, n_b, "trainest_plan_suggest");
            if (readable)
                check_suggestions(&b, n_b, &view);
        }
    }

    /* device layouts */
    {
        int tail;
        const uint32_t stride = fz_pick_size(&in, fz_u8(&in), sizeof(trainest_layout_suggestion),
                                             TR_SIZE_LAYOUT_SUGGESTION_0_5, &tail);
        const uint8_t capb = fz_u8(&in);
        fz_arr a, b;
        fz_arr_prepare(&a, arr_a, sizeof arr_a, stride, capb % (MAX_SUGGESTIONS + 1),
                       sizeof(trainest_layout_suggestion), TR_SIZE_LAYOUT_SUGGESTION_0_5);
        fz_arr_prepare(&b, arr_b, sizeof arr_b, sizeof(trainest_layout_suggestion), MAX_SUGGESTIONS,
                       sizeof(trainest_layout_suggestion), TR_SIZE_LAYOUT_SUGGESTION_0_5);
        uint32_t n_a = 12345, n_b = 12345;
        const int sa = trainest_layout_suggest((trainest_layout_suggestion *)(void *)arr_a, a.capacity, &n_a, rq);
        const int sb = trainest_layout_suggest((trainest_layout_suggestion *)(void *)arr_b, b.capacity, &n_b, rq);
        fz_arr_check(&a, sa, n_a, "trainest_layout_suggest");
        if (fz_arr_check(&b, sb, n_b, "trainest_layout_suggest")) {
            fz_arr_same(&a, sa, n_a, &b, sb, n_b, "trainest_layout_suggest");
            if (readable)
                check_layouts(&b, n_b, &view);
        }
    }
    FZ_CHECK("plan:input-unchanged", memcmp(rqp, rq_buf, rq_n) == 0, "the request was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static trainest_plan_request seed_rq(uint32_t preset, uint64_t N, uint64_t G, uint64_t m, uint64_t a,
                                     uint64_t R)
{
    trainest_plan_request r;
    trainest_plan_request_init(&r, sizeof r);
    r.preset = preset;
    r.samples = N;
    r.global_batch = G;
    r.micro_batch = m;
    r.grad_accum_steps = a;
    r.data_parallel = R;
    return r;
}

static void seed_tail(uint8_t out_mode, uint8_t stride_mode, uint8_t cap)
{
    fz_emit_u8(0);        /* init: full size */
    fz_emit_u8(out_mode); /* plan output size */
    fz_emit_u8(stride_mode);
    fz_emit_u8(cap);
    fz_emit_u8(stride_mode);
    fz_emit_u8(cap);
}

static void seed(const char *name, const trainest_plan_request *r, uint8_t out_mode,
                 uint8_t stride_mode, uint8_t cap)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(r, sizeof *r);
    seed_tail(out_mode, stride_mode, cap);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    trainest_plan_request r = seed_rq(TRAINEST_PRESET_PLAIN, 50000, 512, 16, 0, 8);
    seed("seed-plain-g512-m16-r8", &r, 0, 0, 8);
    r = seed_rq(TRAINEST_PRESET_DEEPSPEED, 1281167, 1024, 32, 4, 8);
    r.epochs = 90;
    seed("seed-deepspeed-imagenet", &r, 6 /* 0.1 size */, 7, 4);
    r = seed_rq(TRAINEST_PRESET_MEGATRON, 300000000, 1536, 1, 0, 1);
    r.devices = 3072;
    r.tensor_parallel = 8;
    r.pipeline_parallel = 12;
    r.virtual_stages = 2;
    r.layers = 96;
    r.hidden = 12288;
    r.attention_heads = 96;
    r.vocab = 51200;
    r.seq_len_tokens = 2048;
    r.data_parallel = 1;
    r.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    seed("seed-megatron-gpt3-layout", &r, 0, 0, 16);
    r = seed_rq(TRAINEST_PRESET_HF_LEGACY, 1000, 0, 7, 64, 3);
    r.epochs = 5;
    seed("seed-hf-legacy-short-epoch", &r, 9, 9, 3);
    r = seed_rq(TRAINEST_PRESET_LIGHTNING, 999, 100, 0, 0, 7);
    r.max_micro_batch = 6;
    r.divisibility = TRAINEST_DIVISIBILITY_ROUND_UP;
    seed("seed-lightning-cap-roundup", &r, 7, 0, 48);
    r = seed_rq(TRAINEST_PRESET_PLAIN, 10, 1000, 3, 0, 1); /* invalid: not divisible */
    r.sampler = TRAINEST_SAMPLER_BATCH_SHARD;
    seed("seed-not-divisible-repairs", &r, 0, 0, 48);
    r = seed_rq(TRAINEST_PRESET_PLAIN, 100, 96, 0, 0, 1); /* a layout to repair */
    r.devices = 30;
    r.tensor_parallel = 4;
    r.pipeline_parallel = 4;
    r.layers = 24;
    seed("seed-bad-layout", &r, 0, 0, 32);
    r = seed_rq(TRAINEST_PRESET_PLAIN, UINT64_MAX, UINT64_MAX - 1, 1, 0, 1);
    seed("seed-stride-below-minimum", &r, 0, 10 /* stride below the minimum */, 5);
    r = seed_rq(TRAINEST_PRESET_PLAIN, UINT64_MAX, UINT64_MAX, 1, 0, 1);
    /* add_rounded() looped to ceil(G / q) = UINT64_MAX, ~2^64 steps (fixed in 722f899) */
    seed("regress-suggest-hang-global-batch-uint64-max", &r, 0, 0, 5);
}
