/* SPDX-License-Identifier: MIT */
/* Batch resolution and the three-layer epoch chain (docs/concepts.md,
 * docs/presets.md). Every count is exact; every product is checked. */
#include "plan.h"

#include <string.h>

#include "abi.h"
#include "intmath.h"
#include "sizes.h"

#define FAIL(status, fld)                                                                      \
    do {                                                                                       \
        *field = (fld);                                                                        \
        return (status);                                                                       \
    } while (0)

/* The rounding layers a preset applies. */
struct chain_rules {
    uint32_t sampler, last_micro_batch, accum_tail;
    bool hf_legacy; /* steps per epoch = max(L // a, 1); the tail runs unstepped */
};

static bool preset_known(uint32_t preset)
{
    return preset <= TRAINEST_PRESET_LIGHTNING;
}

/* A layer the preset fixes must be left at DEFAULT (0). */
static int fixed_layer(uint32_t requested, uint32_t fixed, uint32_t fld, uint32_t *out,
                       uint32_t *field)
{
    if (requested != 0)
        FAIL(TRAINEST_E_PRESET_CONFLICT, fld);
    *out = fixed;
    return TRAINEST_OK;
}

static uint32_t or_default(uint32_t requested, uint32_t dflt)
{
    return requested ? requested : dflt;
}

static int chain_rules_for(const trainest_plan_request *rq, struct chain_rules *r,
                           uint32_t *field)
{
    int st = TRAINEST_OK;
    memset(r, 0, sizeof *r);
    switch (rq->preset) {
    case TRAINEST_PRESET_PLAIN:
        r->sampler = or_default(rq->sampler, TRAINEST_SAMPLER_PAD);
        r->last_micro_batch = or_default(rq->last_micro_batch, TRAINEST_LAST_MICRO_BATCH_KEEP);
        r->accum_tail = or_default(rq->accum_tail, TRAINEST_ACCUM_TAIL_STEP);
        return TRAINEST_OK;
    case TRAINEST_PRESET_DEEPSPEED:
        /* DistributedSampler with its default drop_last=False; the loader
         * honours dataloader_drop_last; the engine's accumulation boundary
         * counts micro-steps globally, across epochs. */
        if ((st = fixed_layer(rq->sampler, TRAINEST_SAMPLER_PAD, TRAINEST_FIELD_SAMPLER,
                              &r->sampler, field)) ||
            (st = fixed_layer(rq->accum_tail, TRAINEST_ACCUM_TAIL_CARRY,
                              TRAINEST_FIELD_ACCUM_TAIL, &r->accum_tail, field)))
            return st;
        r->last_micro_batch = or_default(rq->last_micro_batch, TRAINEST_LAST_MICRO_BATCH_KEEP);
        if (rq->divisibility != TRAINEST_DIVISIBILITY_ERROR)
            FAIL(TRAINEST_E_PRESET_CONFLICT, TRAINEST_FIELD_DIVISIBILITY);
        return TRAINEST_OK;
    case TRAINEST_PRESET_MEGATRON:
        /* Whole global batches from one sample stream: the incomplete last
         * global batch is dropped and steps run on across epochs. */
        if ((st = fixed_layer(rq->sampler, TRAINEST_SAMPLER_DROP, TRAINEST_FIELD_SAMPLER,
                              &r->sampler, field)) ||
            (st = fixed_layer(rq->last_micro_batch, TRAINEST_LAST_MICRO_BATCH_DROP,
                              TRAINEST_FIELD_LAST_MICRO_BATCH, &r->last_micro_batch, field)) ||
            (st = fixed_layer(rq->accum_tail, TRAINEST_ACCUM_TAIL_CARRY,
                              TRAINEST_FIELD_ACCUM_TAIL, &r->accum_tail, field)))
            return st;
        if (rq->divisibility == TRAINEST_DIVISIBILITY_ROUND_UP)
            FAIL(TRAINEST_E_PRESET_CONFLICT, TRAINEST_FIELD_DIVISIBILITY);
        return TRAINEST_OK;
    case TRAINEST_PRESET_HF:
    case TRAINEST_PRESET_HF_LEGACY:
    case TRAINEST_PRESET_LIGHTNING:
        /* accelerate deals whole batches (even_batches); Lightning injects a
         * DistributedSampler with drop_last=False. Both loaders honour the
         * user's drop_last. */
        if ((st = fixed_layer(rq->sampler,
                              rq->preset == TRAINEST_PRESET_LIGHTNING ? TRAINEST_SAMPLER_PAD
                                                                      : TRAINEST_SAMPLER_BATCH_SHARD,
                              TRAINEST_FIELD_SAMPLER, &r->sampler, field)))
            return st;
        r->last_micro_batch = or_default(rq->last_micro_batch, TRAINEST_LAST_MICRO_BATCH_KEEP);
        r->hf_legacy = rq->preset == TRAINEST_PRESET_HF_LEGACY;
        return fixed_layer(rq->accum_tail,
                           r->hf_legacy ? TRAINEST_ACCUM_TAIL_CARRY : TRAINEST_ACCUM_TAIL_STEP,
                           TRAINEST_FIELD_ACCUM_TAIL, &r->accum_tail, field);
    }
    FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_PRESET);
}

int trainest_priv_plan_layout(const trainest_plan_request *rq, struct tr_layout *l, uint32_t *field)
{
    l->tp = rq->tensor_parallel ? rq->tensor_parallel : 1;
    l->pp = rq->pipeline_parallel ? rq->pipeline_parallel : 1;
    l->v = rq->virtual_stages ? rq->virtual_stages : 1;
    if (l->v > 1 && l->pp == 1) /* interleaving needs a pipeline */
        FAIL(TRAINEST_E_BAD_LAYOUT, TRAINEST_FIELD_VIRTUAL_STAGES);
    uint64_t model, chunks;
    if (tr_mul_overflow(l->tp, l->pp, &model))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_PIPELINE_PARALLEL);
    if (tr_mul_overflow(l->pp, l->v, &chunks))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_VIRTUAL_STAGES);
    if (rq->devices) {
        if (rq->devices % model)
            FAIL(TRAINEST_E_BAD_LAYOUT, TRAINEST_FIELD_DEVICES);
        l->dp = rq->devices / model;
        l->devices = rq->devices;
        if (rq->data_parallel != 1 && rq->data_parallel != l->dp)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_PARALLEL);
    } else {
        if (rq->data_parallel == 0)
            FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_DATA_PARALLEL);
        l->dp = rq->data_parallel;
        if (tr_mul_overflow(l->dp, model, &l->devices))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_DATA_PARALLEL);
    }
    /* Megatron splits layers evenly over the stages and their chunks, and
     * the hidden size and the heads over the tensor-parallel ranks. */
    if (rq->layers && rq->layers % chunks)
        FAIL(TRAINEST_E_BAD_LAYOUT, TRAINEST_FIELD_LAYERS);
    if (rq->hidden && rq->hidden % l->tp)
        FAIL(TRAINEST_E_BAD_LAYOUT, TRAINEST_FIELD_HIDDEN);
    if (rq->attention_heads && rq->attention_heads % l->tp)
        FAIL(TRAINEST_E_BAD_LAYOUT, TRAINEST_FIELD_ATTENTION_HEADS);
    return TRAINEST_OK;
}

int trainest_priv_plan_check_fixed(const trainest_plan_request *rq, uint32_t *field)
{
    *field = TRAINEST_FIELD_NONE;
    if (!preset_known(rq->preset))
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_PRESET);
    if (rq->divisibility > TRAINEST_DIVISIBILITY_ROUND_UP)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_DIVISIBILITY);
    if (rq->sampler > TRAINEST_SAMPLER_BATCH_SHARD)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_SAMPLER);
    if (rq->last_micro_batch > TRAINEST_LAST_MICRO_BATCH_DROP)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_LAST_MICRO_BATCH);
    if (rq->accum_tail > TRAINEST_ACCUM_TAIL_CARRY)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_ACCUM_TAIL);
    if (rq->samples == 0)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_SAMPLES);
    if (rq->data_parallel == 0)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_DATA_PARALLEL);
    if (rq->epochs == 0)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_EPOCHS);
    struct tr_layout layout;
    int st = trainest_priv_plan_layout(rq, &layout, field);
    if (st)
        return st;
    struct chain_rules rules;
    return chain_rules_for(rq, &rules, field);
}

/* ---- Resolution: find (G, m, a) ---------------------------------------- */

struct batch {
    uint64_t global, micro, accum;
};

/* G given, one of m or a given as `known`; derive the other so that
 * G = known * other * R, rounding G as the policy says. */
static int split_global(uint64_t G, uint64_t known, uint64_t R, uint32_t policy,
                        uint32_t known_field, uint64_t *other, uint64_t *G_out,
                        uint32_t *field)
{
    uint64_t q;
    if (tr_mul_overflow(known, R, &q))
        FAIL(TRAINEST_E_OVERFLOW, known_field);
    uint64_t o = G / q;
    if (G % q != 0) {
        if (policy == TRAINEST_DIVISIBILITY_ERROR)
            FAIL(TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
        if (policy == TRAINEST_DIVISIBILITY_ROUND_UP)
            o++;
    }
    if (o == 0) /* G < q: even rounding down leaves no micro-batch */
        FAIL(TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GLOBAL_BATCH);
    if (tr_mul_overflow(o, q, G_out))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    *other = o;
    return TRAINEST_OK;
}

/* The per-replica batch G / R, rounding G to a multiple of R as the policy says. */
static int per_replica(uint64_t G, uint64_t R, uint32_t policy, uint64_t *n, uint32_t *field)
{
    uint64_t G_out;
    return split_global(G, 1, R, policy, TRAINEST_FIELD_DATA_PARALLEL, n, &G_out, field);
}

static int resolve_generic(const trainest_plan_request *rq, struct batch *b, uint32_t *field)
{
    const uint64_t R = rq->data_parallel, cap = rq->max_micro_batch;
    uint64_t G = rq->global_batch, m = rq->micro_batch, a = rq->grad_accum_steps;
    int st;

    if (G && m && a) {
        uint64_t prod;
        if (tr_mul_overflow(m, a, &prod) || tr_mul_overflow(prod, R, &prod))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
        if (prod != G)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_GLOBAL_BATCH);
    } else if (G && m) {
        if ((st = split_global(G, m, R, rq->divisibility, TRAINEST_FIELD_MICRO_BATCH, &a, &G,
                               field)))
            return st;
    } else if (G && a) {
        if ((st = split_global(G, a, R, rq->divisibility, TRAINEST_FIELD_GRAD_ACCUM_STEPS, &m,
                               &G, field)))
            return st;
    } else if (G) {
        /* Use memory before accumulation: the largest micro-batch within the
         * cap that divides the per-replica batch, hence the fewest steps. */
        uint64_t n;
        if ((st = per_replica(G, R, rq->divisibility, &n, field)))
            return st;
        G = n * R; /* cannot overflow: per_replica checked it */
        m = cap ? trainest_priv_divisor_at_most(n, cap) : n;
        a = n / m;
    } else if (m || cap) {
        /* No global batch: one micro-batch of m (or of the cap) per step,
         * times any accumulation given. */
        if (!m)
            m = cap;
        if (!a)
            a = 1;
        if (tr_mul_overflow(m, a, &G) || tr_mul_overflow(G, R, &G))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    } else {
        FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_GLOBAL_BATCH);
    }
    b->global = G;
    b->micro = m;
    b->accum = a;
    return TRAINEST_OK;
}

/* DeepSpeed's config resolution: floor divisions, then the assertion
 * train_batch_size == micro_batch * gradient_accumulation_steps * world_size. */
static int resolve_deepspeed(const trainest_plan_request *rq, struct batch *b, uint32_t *field)
{
    const uint64_t R = rq->data_parallel;
    uint64_t G = rq->global_batch, m = rq->micro_batch, a = rq->grad_accum_steps;
    bool derived = true;

    if (G && m && a)
        derived = false;
    else if (G && m)
        a = G / m / R;
    else if (G && a)
        m = G / R / a;
    else if (m && a) {
        if (tr_mul_overflow(m, a, &G) || tr_mul_overflow(G, R, &G))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    } else if (G) {
        a = 1;
        m = G / R;
    } else if (m) {
        a = 1;
        if (tr_mul_overflow(m, R, &G))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    } else
        FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_GLOBAL_BATCH);

    if (m == 0)
        FAIL(TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_MICRO_BATCH);
    if (a == 0)
        FAIL(TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_GRAD_ACCUM_STEPS);
    uint64_t prod;
    if (tr_mul_overflow(m, a, &prod) || tr_mul_overflow(prod, R, &prod))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    if (prod != G)
        FAIL(derived ? TRAINEST_E_NOT_DIVISIBLE : TRAINEST_E_INCONSISTENT,
             TRAINEST_FIELD_GLOBAL_BATCH);
    b->global = G;
    b->micro = m;
    b->accum = a;
    return TRAINEST_OK;
}

/* Megatron-Core's constant calculator: the micro-batch is required,
 * num_micro_batches = G // (m * R), which must divide unless
 * decrease_batch_size_if_needed (ROUND_DOWN), and must be at least 1.
 * Without a global batch Megatron uses G = m * R (times a, if given). */
static int resolve_megatron(const trainest_plan_request *rq, struct batch *b, uint32_t *field)
{
    const uint64_t R = rq->data_parallel;
    uint64_t G = rq->global_batch, m = rq->micro_batch, a = rq->grad_accum_steps;
    if (!m)
        FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_MICRO_BATCH);
    if (!G) {
        if (!a)
            a = 1;
        if (tr_mul_overflow(m, a, &G) || tr_mul_overflow(G, R, &G))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_GLOBAL_BATCH);
    } else {
        uint64_t derived;
        int st = split_global(G, m, R, rq->divisibility, TRAINEST_FIELD_MICRO_BATCH, &derived,
                              &G, field);
        if (st)
            return st;
        if (a && a != derived)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_GLOBAL_BATCH);
        a = derived;
    }
    b->global = G;
    b->micro = m;
    b->accum = a;
    return TRAINEST_OK;
}

/* ---- Counting: the epoch chain ----------------------------------------- */

/* Multiply into *dst or fail with OVERFLOW blaming fld. */
#define MUL(dst, x, y, fld)                                                                    \
    do {                                                                                       \
        if (tr_mul_overflow((x), (y), (dst)))                                                  \
            FAIL(TRAINEST_E_OVERFLOW, (fld));                                                  \
    } while (0)

/* Megatron: train_iters = train_samples // G over one concatenated stream
 * of samples. With decrease_batch_size_if_needed, train_iters still divides
 * by the requested G while every iteration consumes the rounded-down G'
 * (the difference is counted as skipped samples). */
static int count_megatron(trainest_plan *p, uint32_t *field)
{
    const uint64_t N = p->samples, G = p->global_batch;
    const uint64_t G_iters = p->requested_global_batch ? p->requested_global_batch : G;
    uint64_t stream;
    MUL(&stream, N, p->epochs, TRAINEST_FIELD_EPOCHS);
    p->total_optimizer_steps = stream / G_iters;
    if (p->total_optimizer_steps == 0)
        FAIL(TRAINEST_E_NO_STEPS, TRAINEST_FIELD_GLOBAL_BATCH);
    const uint64_t steps = N / G_iters;
    p->optimizer_steps_per_epoch = steps;
    p->samples_per_epoch = steps * G; /* G <= G_iters, so <= N */
    p->samples_dropped_per_epoch = N - p->samples_per_epoch;
    p->samples_padded_per_epoch = 0;
    p->micro_steps_per_epoch = steps * p->grad_accum_steps; /* <= N */
    p->samples_per_rank = p->micro_steps_per_epoch * p->micro_batch;
    p->last_step_samples = steps ? G : 0;
    p->last_step_micro_batches = steps ? p->grad_accum_steps : 0;
    p->last_micro_batch_samples = p->micro_batch;
    p->total_micro_steps = p->total_optimizer_steps * p->grad_accum_steps; /* <= stream */
    p->total_samples = p->total_optimizer_steps * G;                       /* <= stream */
    return TRAINEST_OK;
}

/* The c-th micro-step (1-based) at which HF's older loop steps when an epoch
 * has L < a micro-batches: it steps when its global micro-step counter is a
 * multiple of a, and at the end of every epoch (a multiple of L). Find the
 * smallest c with |{multiples of a or L in [1, c]}| >= k by bisection. */
static uint64_t hf_legacy_kth_step(uint64_t L, uint64_t a, uint64_t k)
{
    uint64_t g = a, r = L;
    while (r) {
        uint64_t t = g % r;
        g = r;
        r = t;
    }
    /* lcm may exceed 64 bits; then no c <= k * L is a common multiple */
    uint64_t lcm;
    bool lcm_big = tr_mul_overflow(a / g, L, &lcm);
    uint64_t lo = 1, hi = k * L; /* k * L <= epochs * L, checked by the caller */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        uint64_t n = mid / a + mid / L - (lcm_big ? 0 : mid / lcm);
        if (n >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int count_chain(trainest_plan *p, bool hf_legacy, uint32_t *field)
{
    const uint64_t N = p->samples, R = p->data_parallel, m = p->micro_batch,
                   a = p->grad_accum_steps, E = p->epochs;
    const bool keep = p->last_micro_batch == TRAINEST_LAST_MICRO_BATCH_KEEP;
    uint64_t per_rank, loader_len, last_mb = m, dropped = 0, padded = 0;

    if (p->sampler == TRAINEST_SAMPLER_BATCH_SHARD) {
        /* Layers 1 and 2 together: batch, then deal whole batches. */
        const uint64_t batches = keep ? tr_div_ceil(N, m) : N / m;
        loader_len = keep ? tr_div_ceil(batches, R) : batches / R;
        uint64_t run;
        if (tr_mul_overflow(loader_len, m, &per_rank) || tr_mul_overflow(per_rank, R, &run))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_SAMPLES);
        if (keep)
            padded = run - N;
        else
            dropped = N - run;
    } else {
        /* Layer 1: the sampler gives every rank the same count. */
        if (p->sampler == TRAINEST_SAMPLER_PAD) {
            per_rank = tr_div_ceil(N, R);
            if (per_rank > UINT64_MAX / R) /* per_rank * R < N + R can still wrap */
                FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_SAMPLES);
            padded = per_rank * R - N;
        } else {
            per_rank = N / R;
            dropped = N - per_rank * R;
        }
        /* Layer 2: the loader cuts each rank's share into micro-batches. */
        loader_len = per_rank / m;
        const uint64_t partial = per_rank % m;
        if (partial && keep) {
            loader_len++;
            last_mb = partial;
        } else {
            dropped += partial * R; /* <= per_rank * R */
        }
    }
    p->samples_per_rank = per_rank;
    if (loader_len == 0)
        FAIL(TRAINEST_E_NO_STEPS,
             per_rank || N >= R ? TRAINEST_FIELD_MICRO_BATCH : TRAINEST_FIELD_DATA_PARALLEL);

    /* Layer 3: accumulation windows of a micro-batches. */
    const uint64_t windows = loader_len / a, tail = loader_len % a;
    uint64_t steps = windows, run = loader_len, step_mb = a, step_last_mb = last_mb;
    switch (p->accum_tail) {
    case TRAINEST_ACCUM_TAIL_STEP:
        if (tail) {
            steps++;
            step_mb = tail;
        }
        break;
    case TRAINEST_ACCUM_TAIL_DROP:
        if (tail) {
            /* the skipped tail holds the partial micro-batch, if any */
            run = windows * a;
            dropped += ((tail - 1) * m + last_mb) * R;
            last_mb = m;
            step_last_mb = m;
        }
        break;
    default: /* CARRY, and HF legacy: the tail runs but does not step in this epoch */
        if (hf_legacy && windows == 0) {
            steps = 1; /* an epoch shorter than a steps once at its end */
            step_mb = tail;
        } else if (tail) {
            step_last_mb = m;
        }
        break;
    }
    p->micro_steps_per_epoch = run;
    p->optimizer_steps_per_epoch = steps;
    p->samples_dropped_per_epoch = dropped;
    p->samples_padded_per_epoch = padded;
    p->samples_per_epoch = N - dropped + padded;
    p->last_micro_batch_samples = last_mb;
    if (steps) {
        p->last_step_micro_batches = step_mb;
        p->last_step_samples = ((step_mb - 1) * m + step_last_mb) * R; /* <= per_rank * R */
    }

    uint64_t all_micro; /* micro-steps if every epoch ran to its end */
    MUL(&all_micro, run, E, TRAINEST_FIELD_EPOCHS);
    MUL(&p->total_samples, p->samples_per_epoch, E, TRAINEST_FIELD_EPOCHS);
    p->total_micro_steps = all_micro;
    if (hf_legacy) {
        /* HF stops at max_steps = epochs * max(L // a, 1); its step counter
         * runs across epochs, so the last epoch ends early. */
        p->total_optimizer_steps = steps * E; /* <= all_micro */
        p->total_micro_steps = windows ? p->total_optimizer_steps * a
                                       : hf_legacy_kth_step(run, a, p->total_optimizer_steps);
        /* every epoch's last micro-batch may be partial */
        const uint64_t ends = p->total_micro_steps / run;
        p->total_samples = ((p->total_micro_steps - ends) * m + ends * last_mb) * R;
    } else if (p->accum_tail == TRAINEST_ACCUM_TAIL_CARRY) {
        p->total_optimizer_steps = all_micro / a;
    } else {
        p->total_optimizer_steps = steps * E; /* steps <= run */
    }
    if (p->total_optimizer_steps == 0)
        FAIL(TRAINEST_E_NO_STEPS, TRAINEST_FIELD_GRAD_ACCUM_STEPS);
    return TRAINEST_OK;
}

int trainest_priv_plan_compute(trainest_plan *p, const trainest_plan_request *request)
{
    uint32_t *field = &p->invalid_field;
    uint32_t struct_size = p->struct_size;
    memset(p, 0, sizeof *p);
    p->struct_size = struct_size;

    int st = trainest_priv_plan_check_fixed(request, field);
    if (st)
        return st;
    /* The batch splits over the data-parallel replicas only. */
    struct tr_layout layout;
    trainest_priv_plan_layout(request, &layout, field); /* cannot fail after check_fixed */
    trainest_plan_request local = *request;
    local.data_parallel = layout.dp;
    const trainest_plan_request *rq = &local;
    if (rq->max_micro_batch && rq->micro_batch > rq->max_micro_batch)
        FAIL(TRAINEST_E_EXCEEDS_CAP, TRAINEST_FIELD_MICRO_BATCH);

    struct chain_rules rules;
    chain_rules_for(rq, &rules, field); /* cannot fail after check_fixed */

    struct batch b;
    switch (rq->preset) {
    case TRAINEST_PRESET_DEEPSPEED:
        st = resolve_deepspeed(rq, &b, field);
        break;
    case TRAINEST_PRESET_MEGATRON:
        st = resolve_megatron(rq, &b, field);
        break;
    default:
        st = resolve_generic(rq, &b, field);
        break;
    }
    if (st)
        return st;
    if (rq->max_micro_batch && b.micro > rq->max_micro_batch)
        FAIL(TRAINEST_E_EXCEEDS_CAP, rq->grad_accum_steps ? TRAINEST_FIELD_GRAD_ACCUM_STEPS
                                                          : TRAINEST_FIELD_GLOBAL_BATCH);

    p->preset = rq->preset;
    p->divisibility = rq->divisibility;
    p->sampler = rules.sampler;
    p->last_micro_batch = rules.last_micro_batch;
    p->accum_tail = rules.accum_tail;
    p->requested_global_batch = rq->global_batch;
    p->global_batch = b.global;
    p->micro_batch = b.micro;
    p->grad_accum_steps = b.accum;
    p->data_parallel = rq->data_parallel;
    p->samples = rq->samples;
    p->epochs = rq->epochs;
    p->seq_len_tokens = rq->seq_len_tokens;

    st = rq->preset == TRAINEST_PRESET_MEGATRON ? count_megatron(p, field)
                                                 : count_chain(p, rules.hf_legacy, field);
    if (st)
        return st;

    MUL(&p->tokens_per_step, p->global_batch, p->seq_len_tokens, TRAINEST_FIELD_SEQ_LEN_TOKENS);
    MUL(&p->total_tokens, p->total_samples, p->seq_len_tokens, TRAINEST_FIELD_SEQ_LEN_TOKENS);

    p->tensor_parallel = layout.tp;
    p->pipeline_parallel = layout.pp;
    p->virtual_stages = layout.v;
    p->devices = layout.devices;
    p->micro_batches_per_step = p->grad_accum_steps;
    /* Megatron's interleaved schedule needs whole rounds of PP micro-batches. */
    if (layout.v > 1 && p->micro_batches_per_step % layout.pp)
        FAIL(TRAINEST_E_NOT_DIVISIBLE, TRAINEST_FIELD_VIRTUAL_STAGES);
    return TRAINEST_OK;
}

int trainest_plan_request_init(trainest_plan_request *out, uint32_t struct_size)
{
    if (!out)
        return TRAINEST_E_NULL;
    if (struct_size < TR_SIZE_PLAN_REQUEST_0_1 || struct_size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    trainest_plan_request d;
    memset(&d, 0, sizeof d);
    d.struct_size = struct_size;
    d.preset = TRAINEST_PRESET_PLAIN;
    d.data_parallel = 1;
    d.epochs = 1;
    memset(out, 0, struct_size);
    memcpy(out, &d, struct_size < sizeof d ? struct_size : sizeof d);
    return TRAINEST_OK;
}

int trainest_plan_compute(trainest_plan *out, const trainest_plan_request *request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_PLAN_0_1);
    if (st)
        return st;
    trainest_plan p;
    memset(&p, 0, sizeof p);
    trainest_plan_request rq;
    st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_PLAN_REQUEST_0_1);
    if (st)
        p.invalid_field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    else
        st = trainest_priv_plan_compute(&p, &rq);
    if (st) {
        uint32_t fld = p.invalid_field;
        memset(&p, 0, sizeof p);
        p.invalid_field = fld;
    }
    trainest_priv_write_output(out, &p, sizeof p);
    return st;
}
