/* SPDX-License-Identifier: MIT */
/* The planner search: every (global batch, replicas, micro-batch) in the
 * requested ranges, checked for divisibility and memory, timed, and the best
 * K kept in a heap that lives in the caller's result array (docs/memory.md). */
#include <string.h>

#include "abi.h"
#include "estimate.h"
#include "intmath.h"
#include "memory.h"
#include "plan.h"
#include "sizes.h"

struct search_ctx {
    trainest_search *summary;
    unsigned char *results;
    uint32_t stride, capacity, count;
    trainest_plan_request prq;
    const trainest_estimate_request *erq;
    const trainest_memory_request *mrq;
    uint64_t micro_cap; /* the plan request's max_micro_batch, 0 = none */
    /* per layout, recomputed when it changes */
    uint64_t R, tp, pp, v, static_bytes, budget;
    bool static_overflow; /* the layout's model states overflow: every candidate does */
    struct tr_mem_shape shape; /* activations; in flight set per candidate */
    struct tr_step_model sm;
    bool sm_valid;
};

/* ---- The result heap: the worst kept result at index 0 --------------------- */

/* An element holds min(stride, sizeof) bytes: a caller of 0.3 (80-byte
 * results) has no room for TP and PP, and may only search layouts with
 * TP = PP = 1 (checked up front), which get() restores. */
static size_t held_bytes(const struct search_ctx *c)
{
    return c->stride < sizeof(trainest_search_result) ? c->stride : sizeof(trainest_search_result);
}

static trainest_search_result get(const struct search_ctx *c, uint32_t i)
{
    trainest_search_result r;
    memset(&r, 0, sizeof r);
    memcpy(&r, c->results + (size_t)i * c->stride, held_bytes(c));
    if (held_bytes(c) < TR_SIZE_SEARCH_RESULT_0_5)
        r.tensor_parallel = r.pipeline_parallel = 1;
    return r;
}

static void put(struct search_ctx *c, uint32_t i, const trainest_search_result *r)
{
    memcpy(c->results + (size_t)i * c->stride, r, held_bytes(c));
}

/* A total order: faster, then more headroom, then smaller G, R, TP, PP, m. */
static bool better(const trainest_search_result *x, const trainest_search_result *y)
{
    if (x->total_s != y->total_s)
        return x->total_s < y->total_s;
    if (x->headroom_ratio != y->headroom_ratio)
        return x->headroom_ratio > y->headroom_ratio;
    if (x->global_batch != y->global_batch)
        return x->global_batch < y->global_batch;
    if (x->data_parallel != y->data_parallel)
        return x->data_parallel < y->data_parallel;
    if (x->tensor_parallel != y->tensor_parallel)
        return x->tensor_parallel < y->tensor_parallel;
    if (x->pipeline_parallel != y->pipeline_parallel)
        return x->pipeline_parallel < y->pipeline_parallel;
    return x->micro_batch < y->micro_batch;
}

static void sift_down(struct search_ctx *c, uint32_t i, uint32_t n)
{
    trainest_search_result x = get(c, i);
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        trainest_search_result a = get(c, child);
        if (child + 1 < n) {
            trainest_search_result b = get(c, child + 1);
            if (better(&a, &b)) { /* the worse child rises */
                a = b;
                child++;
            }
        }
        if (!better(&x, &a))
            break;
        put(c, i, &a);
        i = child;
    }
    put(c, i, &x);
}

static void offer(struct search_ctx *c, const trainest_search_result *r)
{
    if (c->count < c->capacity) {
        uint32_t i = c->count++;
        while (i > 0) { /* sift up: the worse rises */
            uint32_t parent = (i - 1) / 2;
            trainest_search_result p = get(c, parent);
            if (!better(&p, r))
                break;
            put(c, i, &p);
            i = parent;
        }
        put(c, i, r);
    } else if (c->capacity) {
        trainest_search_result worst = get(c, 0);
        if (better(r, &worst)) {
            put(c, 0, r);
            sift_down(c, 0, c->count);
        }
    }
}

/* Heap sort in place: best first. */
static void finish_heap(struct search_ctx *c)
{
    for (uint32_t n = c->count; n > 1; n--) {
        trainest_search_result worst = get(c, 0), last = get(c, n - 1);
        put(c, n - 1, &worst);
        put(c, 0, &last);
        sift_down(c, 0, n - 1);
    }
    for (uint32_t i = 0; i < c->count; i++) {
        /* each element: its struct_size, known fields, zeroed unknown tail */
        trainest_search_result r = get(c, i);
        r.struct_size = c->stride;
        unsigned char *dst = c->results + (size_t)i * c->stride;
        memcpy(dst, &c->stride, sizeof c->stride);
        trainest_priv_write_output(dst, &r, sizeof r);
    }
}

/* ---- Candidates ------------------------------------------------------------ */

/* The split (G', a) of request G for m * R under the divisibility policy;
 * false if there is none. */
static bool split(uint64_t G, uint64_t q, uint32_t policy, uint64_t *a, uint64_t *G_out)
{
    uint64_t n = G / q;
    if (G % q) {
        if (policy == TRAINEST_DIVISIBILITY_ERROR)
            return false;
        if (policy == TRAINEST_DIVISIBILITY_ROUND_UP)
            n++;
    }
    if (n == 0 || tr_mul_overflow(n, q, G_out))
        return false;
    *a = n;
    return true;
}

static int set_layout(struct search_ctx *c, uint64_t R, uint64_t tp, uint64_t pp, uint32_t *field)
{
    /* the candidates set the micro-batches in flight */
    trainest_priv_memory_layout_shape(&c->shape, c->mrq, &c->prq, tp, pp, c->v, 1);
    trainest_memory mem;
    mem.struct_size = sizeof mem;
    int st = trainest_priv_memory_for(&mem, c->mrq, &c->shape, 0, R, field);
    /* Static bytes beyond 2^64 - 1 at this R (too few replicas to shard
     * over) make its candidates overflow; a larger R may still fit. */
    c->static_overflow = st == TRAINEST_E_OVERFLOW && *field == TRAINEST_FIELD_MEMORY_PARAMS;
    if (st && !c->static_overflow)
        return st;
    if (c->static_overflow)
        *field = TRAINEST_FIELD_NONE;
    c->R = R;
    c->tp = tp;
    c->pp = pp;
    c->static_bytes = mem.static_bytes;
    c->budget = mem.budget_bytes;
    c->sm_valid = false;
    return TRAINEST_OK;
}

/* Largest micro-batch tried for request G. */
static uint64_t micro_limit(const struct search_ctx *c, uint64_t G)
{
    return c->prq.divisibility == TRAINEST_DIVISIBILITY_ROUND_UP ? tr_div_ceil(G, c->R) : G / c->R;
}

static void candidate(struct search_ctx *c, uint64_t G, uint64_t G_prev, uint64_t m)
{
    trainest_search *s = c->summary;
    const uint64_t R = c->R;
    s->candidates_evaluated++;
    uint64_t q, a, G2;
    if (tr_mul_overflow(m, R, &q)) {
        s->rejected_overflow++;
        return;
    }
    if (!split(G, q, c->prq.divisibility, &a, &G2)) {
        s->rejected_not_divisible++;
        return;
    }
    /* Rounding maps neighbouring requests onto one plan; the mapping is
     * monotone in G, so a repeat can only come from the previous request. */
    uint64_t a_prev, G2_prev;
    if (G_prev && m <= micro_limit(c, G_prev) &&
        split(G_prev, q, c->prq.divisibility, &a_prev, &G2_prev) && G2_prev == G2) {
        s->duplicates++;
        return;
    }
    /* Memory: the activations of the micro-batches in flight (1F1B holds
     * min(PP, a) of them) on top of the layout's static part. */
    struct tr_mem_shape shape = c->shape;
    trainest_priv_memory_shape_in_flight(&shape, c->pp, c->v, a);
    bool act_overflow = false;
    const uint64_t act = trainest_priv_activation_bytes(&shape, m, &act_overflow);
    uint64_t total;
    if (c->static_overflow || act_overflow || tr_add_overflow(c->static_bytes, act, &total)) {
        s->rejected_overflow++;
        return;
    }
    if (total > c->budget || (c->micro_cap && m > c->micro_cap)) {
        s->rejected_does_not_fit++;
        return;
    }
    trainest_plan_request prq = c->prq;
    prq.global_batch = G2;
    prq.micro_batch = m;
    prq.grad_accum_steps = a;
    prq.data_parallel = R;
    prq.devices = 0;
    prq.tensor_parallel = c->tp;
    prq.pipeline_parallel = c->pp;
    prq.max_micro_batch = 0;
    prq.divisibility = TRAINEST_DIVISIBILITY_ERROR;
    trainest_plan plan;
    plan.struct_size = sizeof plan;
    int st = trainest_priv_plan_compute(&plan, &prq);
    if (st) {
        if (st == TRAINEST_E_OVERFLOW)
            s->rejected_overflow++;
        else if (st == TRAINEST_E_NOT_DIVISIBLE) /* interleaving needs rounds of PP */
            s->rejected_not_divisible++;
        else
            s->rejected_no_steps++;
        return;
    }
    uint32_t field;
    if (!c->sm_valid) { /* the step model depends on R (communication) */
        if (trainest_priv_step_model(&c->sm, c->erq, &plan, &prq, &field)) {
            s->rejected_overflow++; /* validated up front; cannot happen */
            return;
        }
        c->sm_valid = true;
    }
    trainest_estimate e;
    memset(&e, 0, sizeof e);
    trainest_priv_estimate(&e, &plan, &c->sm, c->erq);
    if (!(e.total_s < 1.0e300)) {
        s->rejected_overflow++;
        return;
    }
    s->feasible++;
    trainest_search_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.global_batch = G2;
    r.micro_batch = m;
    r.grad_accum_steps = a;
    r.data_parallel = R;
    r.tensor_parallel = c->tp;
    r.pipeline_parallel = c->pp;
    r.total_optimizer_steps = plan.total_optimizer_steps;
    r.memory_bytes = total;
    if (c->mrq->device_memory_bytes)
        r.headroom_ratio = 1.0 - (double)total / (double)c->mrq->device_memory_bytes;
    r.step_s = e.step_s;
    r.total_s = e.total_s;
    offer(c, &r);
}

static int search(struct search_ctx *c, const trainest_search_request *sr, uint32_t *field)
{
    uint64_t lo = sr->global_batch_min, hi = sr->global_batch_max, step = sr->global_batch_step;
    if (!lo) {
        if (hi || step) {
            *field = TRAINEST_FIELD_GLOBAL_BATCH_MIN;
            return TRAINEST_E_UNDERSPECIFIED;
        }
        lo = hi = c->prq.global_batch;
        if (!lo) {
            *field = TRAINEST_FIELD_GLOBAL_BATCH;
            return TRAINEST_E_UNDERSPECIFIED;
        }
    }
    if (!hi)
        hi = lo;
    if (!step)
        step = 1;
    if (hi < lo) {
        *field = TRAINEST_FIELD_GLOBAL_BATCH_MAX;
        return TRAINEST_E_INCONSISTENT;
    }
    if (!sr->max_devices) {
        *field = TRAINEST_FIELD_MAX_DEVICES;
        return TRAINEST_E_ZERO;
    }
    if (sr->reserved0) {
        *field = TRAINEST_FIELD_STRUCT_SIZE;
        return TRAINEST_E_UNSUPPORTED;
    }
    /* TP and PP: powers of two, TP within a node, dividing the model
     * shape where it is known; then every data-parallel size that fits the
     * devices (and not more replicas than samples in the largest batch). */
    const uint64_t max_tp = sr->max_tensor_parallel ? sr->max_tensor_parallel : 1;
    const uint64_t max_pp = sr->max_pipeline_parallel ? sr->max_pipeline_parallel : 1;
    for (uint64_t tp = 1; tp <= max_tp && tp <= sr->max_devices; tp *= 2) {
        if ((sr->devices_per_node && tp > sr->devices_per_node) ||
            (c->prq.hidden && c->prq.hidden % tp) ||
            (c->prq.attention_heads && c->prq.attention_heads % tp))
            break;
        /* powers of two; the products are checked: a layout whose device
         * count or chunk count overflows is no layout */
        for (uint64_t pp = 1, model, chunks; pp <= max_pp; pp *= 2) {
            if (tr_mul_overflow(tp, pp, &model) || model > sr->max_devices ||
                tr_mul_overflow(pp, c->v, &chunks))
                break;
            const bool usable = !(c->v > 1 && pp == 1) && !(c->prq.layers && c->prq.layers % chunks);
            const uint64_t by_devices = sr->max_devices / model;
            const uint64_t max_R = !usable ? 0 : by_devices < hi ? by_devices : hi;
            for (uint64_t R = 1; R <= max_R; R++) {
                int st = set_layout(c, R, tp, pp, field);
                if (st)
                    return st;
                for (uint64_t G = lo;; G += step) {
                    const uint64_t m_max = micro_limit(c, G); /* ceil(G / R) when rounding up */
                    const uint64_t G_prev = G - lo >= step ? G - step : 0;
                    for (uint64_t m = 1; m <= m_max; m++)
                        candidate(c, G, G_prev, m);
                    if (hi - G < step)
                        break;
                }
            }
            if (pp > UINT64_MAX / 2)
                break;
        }
        if (tp > UINT64_MAX / 2)
            break;
    }
    return TRAINEST_OK;
}

/* The plan request without the layout, which the search chooses: the
 * layout checks run per candidate. Interleaving needs a pipeline that the
 * ranges allow. */
static int check_plan_request(const trainest_plan_request *prq, const trainest_search_request *sr,
                              uint32_t *field)
{
    trainest_plan_request fixed = *prq;
    fixed.devices = 0;
    fixed.data_parallel = 1;
    fixed.tensor_parallel = fixed.pipeline_parallel = fixed.virtual_stages = 1;
    int st = trainest_priv_plan_check_fixed(&fixed, field);
    if (!st && prq->virtual_stages > 1 && sr->max_pipeline_parallel < 2) {
        *field = TRAINEST_FIELD_VIRTUAL_STAGES;
        st = TRAINEST_E_BAD_LAYOUT;
    }
    return st;
}

int trainest_search_run(trainest_search *out, trainest_search_result *results, uint32_t capacity,
                        uint32_t *out_count, const trainest_plan_request *plan_request,
                        const trainest_estimate_request *estimate_request,
                        const trainest_memory_request *memory_request,
                        const trainest_search_request *search_request)
{
    if (!out_count)
        return TRAINEST_E_NULL;
    *out_count = 0;
    int st = trainest_priv_check_output(out, TR_SIZE_SEARCH_0_3);
    if (st)
        return st;
    if ((st = trainest_priv_check_array(results, capacity, TR_SIZE_SEARCH_RESULT_0_3)))
        return st;

    trainest_search s;
    memset(&s, 0, sizeof s);
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    struct search_ctx c;
    memset(&c, 0, sizeof c);
    uint32_t field = TRAINEST_FIELD_NONE;
    if ((st = trainest_priv_read_input(&prq, sizeof prq, plan_request, TR_SIZE_PLAN_REQUEST_0_1)) ||
        (st = trainest_priv_read_input(&erq, sizeof erq, estimate_request,
                                       TR_SIZE_ESTIMATE_REQUEST_0_2)) ||
        (st = trainest_priv_read_input(&mrq, sizeof mrq, memory_request, TR_SIZE_MEMORY_REQUEST_0_3)) ||
        (st = trainest_priv_read_input(&sr, sizeof sr, search_request, TR_SIZE_SEARCH_REQUEST_0_3))) {
        field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    } else if (!(st = check_plan_request(&prq, &sr, &field)) &&
               !(st = trainest_priv_memory_check(&mrq, &field))) {
        /* Validate the time model once on a representative plan, so that a
         * bad request fails loudly instead of rejecting every candidate. */
        trainest_plan probe;
        memset(&probe, 0, sizeof probe);
        probe.micro_batch = probe.grad_accum_steps = 1;
        probe.data_parallel = sr.max_devices ? sr.max_devices : 1;
        probe.seq_len_tokens = prq.seq_len_tokens;
        /* the widest layouts tried need what model parallelism needs */
        probe.tensor_parallel = sr.max_tensor_parallel > 1 ? 2 : 1;
        probe.pipeline_parallel = sr.max_pipeline_parallel > 1 ? 2 : 1;
        probe.virtual_stages = prq.virtual_stages ? prq.virtual_stages : 1;
        probe.devices = probe.data_parallel;
        struct tr_step_model sm;
        /* an efficiency fitted from "a step of the plan's shape" would
         * differ per candidate: the search needs the observed shape */
        if (erq.observed_step_s > 0 && !erq.observed_micro_batch) {
            st = TRAINEST_E_UNDERSPECIFIED;
            field = TRAINEST_FIELD_OBSERVED_MICRO_BATCH;
        } else if (erq.observed_step_s > 0 && !erq.observed_grad_accum_steps) {
            st = TRAINEST_E_UNDERSPECIFIED;
            field = TRAINEST_FIELD_OBSERVED_GRAD_ACCUM_STEPS;
        } else if (capacity && results->struct_size < TR_SIZE_SEARCH_RESULT_0_5 &&
                   (sr.max_tensor_parallel > 1 || sr.max_pipeline_parallel > 1)) {
            st = TRAINEST_E_STRUCT_SIZE; /* results too small to report a layout */
            field = TRAINEST_FIELD_STRUCT_SIZE;
        } else {
            st = trainest_priv_step_model(&sm, &erq, &probe, &prq, &field);
        }
        if (!st) {
            c.summary = &s;
            c.results = (unsigned char *)results;
            c.capacity = capacity;
            if (capacity)
                memcpy(&c.stride, results, sizeof c.stride);
            c.prq = prq;
            c.erq = &erq;
            c.mrq = &mrq;
            c.micro_cap = prq.max_micro_batch;
            c.v = prq.virtual_stages ? prq.virtual_stages : 1;
            st = search(&c, &sr, &field);
        }
    }
    if (st) {
        memset(&s, 0, sizeof s);
        s.invalid_field = field;
        c.count = 0;
    } else {
        finish_heap(&c);
    }
    trainest_priv_write_output(out, &s, sizeof s);
    *out_count = c.count;
    return st;
}

int trainest_search_request_init(trainest_search_request *out, uint32_t struct_size)
{
    const int st = trainest_priv_init_zeroed(out, struct_size, TR_SIZE_SEARCH_REQUEST_0_3);
    if (st == TRAINEST_OK)
        out->max_devices = 1;
    return st;
}
