/* SPDX-License-Identifier: MIT */
/* Numeric edges, table-driven: every integer field of every request at 0,
 * 1, 2^53, 2^63 and UINT64_MAX (uint32_t fields at 0, 1, 2, 2^31 and
 * UINT32_MAX), every double at 0, the smallest subnormal, the smallest
 * normal, 1e300 and DBL_MAX, and products that overflow by exactly one.
 * Each call must return one of the statuses its own function documents in
 * the header; on success every double is finite and the counts are checked
 * against an independent reference: 128-bit arithmetic (nothing wrapped),
 * long double where 128 bits cannot hold the intermediates, and brute-force
 * replays where they are small (the search's candidates, Megatron's ramp-up
 * loop, divisors). Bugs these tables found are named tests in
 * test_regressions.c. TRAINEST_TEST_QUICK=1 shrinks the slowest tables
 * (used under valgrind). */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

__extension__ typedef unsigned __int128 u128;

#define N_EDGES 5
static const uint64_t ints[N_EDGES] = {0, 1, UINT64_C(1) << 53, UINT64_C(1) << 63, UINT64_MAX};
static const uint32_t ints32[N_EDGES] = {0, 1, 2, UINT32_C(1) << 31, UINT32_MAX};
static const double reals[N_EDGES] = {0, 4.9406564584124654e-324, 2.2250738585072014e-308, 1e300,
                                      DBL_MAX};

static bool quick(void)
{
    const char *q = getenv("TRAINEST_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* The case a table is at, printed when an expectation fails. */
static char where[320];
#define expect(cond)                                                                           \
    do {                                                                                       \
        if (!(cond))                                                                           \
            fail_msg("%s: expected %s", where, #cond);                                        \
    } while (0)

/* ---- Documented statuses, per function (the header's @return lists) ------ */

#define ST(s) (UINT32_C(1) << -(s))
#define ST_IO                                                                                  \
    (ST(TRAINEST_OK) | ST(TRAINEST_E_NULL) | ST(TRAINEST_E_STRUCT_SIZE) | ST(TRAINEST_E_UNSUPPORTED))
#define ST_PLAN                                                                                \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_OVERFLOW) | ST(TRAINEST_E_NOT_DIVISIBLE) |     \
     ST(TRAINEST_E_INCONSISTENT) | ST(TRAINEST_E_UNKNOWN_ENUM) | ST(TRAINEST_E_UNDERSPECIFIED) | \
     ST(TRAINEST_E_EXCEEDS_CAP) | ST(TRAINEST_E_NO_STEPS) | ST(TRAINEST_E_PRESET_CONFLICT) |    \
     ST(TRAINEST_E_BAD_LAYOUT))
#define ST_SUGGEST                                                                             \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_UNKNOWN_ENUM) | ST(TRAINEST_E_PRESET_CONFLICT) | \
     ST(TRAINEST_E_OVERFLOW) | ST(TRAINEST_E_INCONSISTENT) | ST(TRAINEST_E_BAD_LAYOUT))
#define ST_ESTIMATE                                                                            \
    (ST_PLAN | ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE) |                        \
     ST(TRAINEST_E_UNKNOWN_ENUM) | ST(TRAINEST_E_UNDERSPECIFIED) | ST(TRAINEST_E_INCONSISTENT))
#define ST_TRADEOFF ST_ESTIMATE
#define ST_CALIBRATE                                                                           \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE) |    \
     ST(TRAINEST_E_TOO_FEW_POINTS) | ST(TRAINEST_E_UNIDENTIFIABLE) | ST(TRAINEST_E_UNKNOWN_ENUM))
#define ST_MEMORY                                                                              \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_UNKNOWN_ENUM) | ST(TRAINEST_E_INCONSISTENT) |  \
     ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE) | ST(TRAINEST_E_OVERFLOW))
#define ST_MEMORY_FIT                                                                          \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_TOO_FEW_POINTS) | ST(TRAINEST_E_OUT_OF_RANGE) | \
     ST(TRAINEST_E_UNIDENTIFIABLE))
#define ST_MEMORY_PLAN (ST_PLAN | ST_MEMORY | ST(TRAINEST_E_UNDERSPECIFIED))
#define ST_SEARCH                                                                              \
    (ST_ESTIMATE | ST_MEMORY | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_INCONSISTENT) |              \
     ST(TRAINEST_E_UNDERSPECIFIED) | ST(TRAINEST_E_BAD_LAYOUT))
#define ST_FAILURE                                                                             \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE) |    \
     ST(TRAINEST_E_UNKNOWN_ENUM) | ST(TRAINEST_E_UNDERSPECIFIED) | ST(TRAINEST_E_OVERFLOW))
#define ST_RAMPUP                                                                              \
    (ST_ESTIMATE | ST(TRAINEST_E_PRESET_CONFLICT) | ST(TRAINEST_E_ZERO) |                       \
     ST(TRAINEST_E_INCONSISTENT) | ST(TRAINEST_E_NOT_DIVISIBLE) | ST(TRAINEST_E_OUT_OF_RANGE))
#define ST_CRITICAL                                                                            \
    (ST_ESTIMATE | ST_MEMORY | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_NOT_FINITE) |                \
     ST(TRAINEST_E_OUT_OF_RANGE) | ST(TRAINEST_E_INCONSISTENT) | ST(TRAINEST_E_UNDERSPECIFIED))
#define ST_ETA_INIT                                                                            \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_INCONSISTENT) | ST(TRAINEST_E_UNDERSPECIFIED) | \
     ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE))
#define ST_ETA_UPDATE                                                                          \
    (ST_IO | ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE) | ST(TRAINEST_E_OVERFLOW))
#define ST_ETA_REPORT ST_ETA_UPDATE
#define ST_ETA_SAMPLES (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_INCONSISTENT))
#define ST_LAYOUT ST_IO
#define ST_LOADER_FIT                                                                          \
    (ST_IO | ST(TRAINEST_E_ZERO) | ST(TRAINEST_E_NOT_FINITE) | ST(TRAINEST_E_OUT_OF_RANGE) |    \
     ST(TRAINEST_E_TOO_FEW_POINTS) | ST(TRAINEST_E_UNIDENTIFIABLE) | ST(TRAINEST_E_OVERFLOW))

static bool documented(int st, uint32_t set)
{
    return st <= 0 && st >= TRAINEST_E_BAD_LAYOUT && (set >> -st & 1u);
}

#define expect_status(st, set)                                                                 \
    do {                                                                                       \
        const int st_ = (st);                                                                  \
        if (!documented(st_, (set)))                                                           \
            fail_msg("%s: %s (%d) is not a documented status of this function", where,         \
                     trainest_status_name(st_), st_);                                          \
    } while (0)

/* ---- Fields and their edge values ---------------------------------------- */

enum kind { U64, U32, F64 };

struct field {
    size_t offset;
    const char *name;
    enum kind kind;
};

#define U64_FIELD(type, name) {offsetof(type, name), #name, U64}
#define U32_FIELD(type, name) {offsetof(type, name), #name, U32}
#define F64_FIELD(type, name) {offsetof(type, name), #name, F64}
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const edge_names[3][N_EDGES] = {
    {"0", "1", "2^53", "2^63", "UINT64_MAX"},
    {"0", "1", "2", "2^31", "UINT32_MAX"},
    {"0", "4.9e-324", "2.2e-308", "1e300", "DBL_MAX"},
};

static void set_edge(void *request, const struct field *f, size_t i)
{
    unsigned char *p = (unsigned char *)request + f->offset;
    if (f->kind == U64)
        memcpy(p, &ints[i], sizeof ints[i]);
    else if (f->kind == U32)
        memcpy(p, &ints32[i], sizeof ints32[i]);
    else
        memcpy(p, &reals[i], sizeof reals[i]);
}

static const char *edge_name(const struct field *f, size_t i)
{
    return edge_names[f->kind][i];
}

static void check_doubles(const void *out, size_t from, size_t to)
{
    for (size_t off = from; off + sizeof(double) <= to; off += sizeof(double)) {
        double v;
        memcpy(&v, (const unsigned char *)out + off, sizeof v);
        expect(isfinite(v));
    }
}

static u128 div_ceil128(u128 a, u128 b)
{
    return a / b + (a % b != 0);
}

static bool pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

#define TOP ((u128)UINT64_MAX)

/* ---- Plan ------------------------------------------------------------------ */

/* The plan's counts hold in exact arithmetic. */
static void check_plan(const trainest_plan *p)
{
    expect((u128)p->micro_batch * p->grad_accum_steps * p->data_parallel == p->global_batch);
    expect((u128)p->data_parallel * p->tensor_parallel * p->pipeline_parallel == p->devices);
    expect((u128)p->samples + p->samples_padded_per_epoch - p->samples_dropped_per_epoch ==
           p->samples_per_epoch);
    expect((u128)p->global_batch * p->seq_len_tokens == p->tokens_per_step);
    expect((u128)p->total_samples * p->seq_len_tokens == p->total_tokens);
    expect(p->total_optimizer_steps > 0);
    expect(p->last_step_samples <= p->global_batch);
}

static const struct field plan_fields[] = {
    U64_FIELD(trainest_plan_request, samples),
    U64_FIELD(trainest_plan_request, global_batch),
    U64_FIELD(trainest_plan_request, micro_batch),
    U64_FIELD(trainest_plan_request, grad_accum_steps),
    U64_FIELD(trainest_plan_request, data_parallel),
    U64_FIELD(trainest_plan_request, max_micro_batch),
    U64_FIELD(trainest_plan_request, epochs),
    U64_FIELD(trainest_plan_request, seq_len_tokens),
    U64_FIELD(trainest_plan_request, tensor_parallel),
    U64_FIELD(trainest_plan_request, pipeline_parallel),
    U64_FIELD(trainest_plan_request, virtual_stages),
    U64_FIELD(trainest_plan_request, devices),
    U64_FIELD(trainest_plan_request, layers),
    U64_FIELD(trainest_plan_request, hidden),
    U64_FIELD(trainest_plan_request, attention_heads),
    U64_FIELD(trainest_plan_request, vocab),
};

static trainest_plan_request base_plan(void)
{
    trainest_plan_request rq = tu_request(100000, 256, 8, 0, 4);
    rq.seq_len_tokens = 1024;
    rq.epochs = 3;
    return rq;
}

/* A plan with every kind of parallelism: 32 devices as DP 4 x TP 2 x PP 4,
 * interleaved over 2 chunks, 32 micro-batches of 2 per step. */
static trainest_plan_request base_parallel_plan(void)
{
    trainest_plan_request rq = tu_request(1000000, 256, 2, 0, 1);
    rq.devices = 32;
    rq.tensor_parallel = 2;
    rq.pipeline_parallel = 4;
    rq.virtual_stages = 2;
    rq.layers = 32;
    rq.hidden = 1024;
    rq.attention_heads = 16;
    rq.seq_len_tokens = 1024;
    return rq;
}

static void test_edges_plan_every_integer_field(void **state)
{
    (void)state;
    for (size_t f = 0; f < COUNT(plan_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (uint32_t preset = 0; preset <= TRAINEST_PRESET_LIGHTNING; preset++) {
                trainest_plan_request rq = base_plan();
                rq.preset = preset;
                set_edge(&rq, &plan_fields[f], i);
                snprintf(where, sizeof where, "plan_compute(%s = %s, preset %u)", plan_fields[f].name,
                         edge_name(&plan_fields[f], i), preset);
                trainest_plan p;
                int st = tu_plan(&p, &rq);
                expect_status(st, ST_PLAN);
                if (st == TRAINEST_OK)
                    check_plan(&p);
                trainest_plan_suggestion s[8];
                uint32_t n;
                s[0].struct_size = sizeof s[0];
                snprintf(where, sizeof where, "plan_suggest(%s = %s, preset %u)", plan_fields[f].name,
                         edge_name(&plan_fields[f], i), preset);
                st = trainest_plan_suggest(s, 8, &n, &rq);
                expect_status(st, ST_SUGGEST);
                for (uint32_t k = 0; k < n; k++)
                    expect((u128)s[k].micro_batch * s[k].grad_accum_steps * s[k].data_parallel ==
                           s[k].global_batch);
            }
}

/* m * a * R at exactly 2^64 - 1, and one more. 2^64 - 1 = (2^32 - 1)(2^32 + 1). */
static void test_edges_batch_product_overflows_by_one(void **state)
{
    (void)state;
    const uint64_t m = UINT32_MAX, a = UINT64_C(4294967297);
    trainest_plan_request rq = tu_request(UINT64_MAX, 0, m, a, 1);
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, UINT64_MAX);
    rq.grad_accum_steps = a + 1;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    /* G = 2^63 with m = 2^62, a = 2: fine; R = 2 on top is 2^64: overflow */
    rq = tu_request(UINT64_MAX, 0, UINT64_C(1) << 62, 2, 1);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    rq.data_parallel = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    /* tokens: G * seq = 2^64 - 1, and 2^64 - 1 + G */
    rq = tu_request(UINT32_MAX, UINT32_MAX, 0, 0, 1);
    rq.seq_len_tokens = UINT64_C(4294967297);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.tokens_per_step, UINT64_MAX);
    rq.seq_len_tokens++;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_SEQ_LEN_TOKENS);
    /* devices: DP * TP * PP = 2^64 - 1, and with DP one more */
    rq = tu_request(UINT64_MAX, 0, 1, 1, UINT32_MAX);
    rq.tensor_parallel = UINT64_C(4294967297);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.devices, UINT64_MAX);
    rq.data_parallel = UINT64_C(4294967296);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    /* epochs * samples for Megatron's stream: exactly 2^64 - 1, then over */
    rq = tu_request(UINT32_MAX, UINT32_MAX, 1, 0, 1);
    rq.preset = TRAINEST_PRESET_MEGATRON;
    rq.epochs = UINT64_C(4294967297);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.total_optimizer_steps, UINT64_C(4294967297));
    rq.epochs++;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
}

/* ---- Memory ------------------------------------------------------------------ */

static const struct field memory_fields[] = {
    U32_FIELD(trainest_memory_request, zero_stage),
    U64_FIELD(trainest_memory_request, params),
    U32_FIELD(trainest_memory_request, weight_bits_per_param),
    U32_FIELD(trainest_memory_request, grad_bits_per_param),
    U32_FIELD(trainest_memory_request, optimizer_bits_per_param),
    U32_FIELD(trainest_memory_request, reserved0),
    U64_FIELD(trainest_memory_request, overhead_bytes),
    U64_FIELD(trainest_memory_request, static_bytes),
    U64_FIELD(trainest_memory_request, activation_bytes_per_sample),
    U64_FIELD(trainest_memory_request, device_memory_bytes),
    F64_FIELD(trainest_memory_request, headroom_ratio),
    U32_FIELD(trainest_memory_request, recompute),
    U32_FIELD(trainest_memory_request, reserved1),
};

/* Model states from parameters (with an overhead), or measured static
 * bytes; a quarter of the device kept free (1 - 0.25 is exact). */
static trainest_memory_request base_memory(bool measured, uint32_t zero_stage)
{
    trainest_memory_request rq;
    trainest_memory_request_init(&rq, sizeof rq);
    rq.zero_stage = zero_stage;
    if (measured) {
        rq.static_bytes = 5000000000;
    } else {
        rq.params = 1000000000;
        rq.overhead_bytes = 100000000;
    }
    rq.activation_bytes_per_sample = 1000000;
    rq.device_memory_bytes = 80000000000;
    rq.headroom_ratio = 0.25;
    return rq;
}

/* The statuses a memory request's own checks may give; 0 if it is valid. */
static uint32_t memory_invalid(const trainest_memory_request *rq)
{
    uint32_t s = 0;
    if (rq->zero_stage > 3 || rq->recompute > TRAINEST_RECOMPUTE_SELECTIVE)
        s |= ST(TRAINEST_E_UNKNOWN_ENUM);
    if (rq->reserved0 || rq->reserved1)
        s |= ST(TRAINEST_E_UNSUPPORTED);
    if (rq->params && rq->static_bytes)
        s |= ST(TRAINEST_E_INCONSISTENT);
    if (!isfinite(rq->headroom_ratio))
        s |= ST(TRAINEST_E_NOT_FINITE);
    else if (rq->headroom_ratio < 0 || rq->headroom_ratio >= 1)
        s |= ST(TRAINEST_E_OUT_OF_RANGE);
    return s;
}

/* The model states of one device, exactly: ceil(params / split) parameters
 * (split = TP x PP), each state sharded by ZeRO over R, bits rounded up to
 * bytes. Measured static bytes are taken as they are. */
struct states {
    u128 weights, grads, optimizer, total;
};

static struct states ref_states(const trainest_memory_request *rq, u128 split, uint64_t R)
{
    struct states s = {0, 0, 0, 0};
    if (rq->static_bytes) {
        s.total = rq->static_bytes;
        return s;
    }
    const u128 P = div_ceil128(rq->params, split);
    const uint32_t z = rq->zero_stage;
    s.weights = div_ceil128(div_ceil128(P, z >= 3 ? R : 1) * rq->weight_bits_per_param, 8);
    s.grads = div_ceil128(div_ceil128(P, z >= 2 ? R : 1) * rq->grad_bits_per_param, 8);
    s.optimizer = div_ceil128(div_ceil128(P, z >= 1 ? R : 1) * rq->optimizer_bits_per_param, 8);
    s.total = s.weights + s.grads + s.optimizer + rq->overhead_bytes;
    return s;
}

static bool states_overflow(const struct states *s)
{
    return s->weights > TOP || s->grads > TOP || s->optimizer > TOP || s->total > TOP;
}

static void expect_states(const trainest_memory *m, const struct states *s)
{
    expect(m->weights_bytes == s->weights);
    expect(m->grads_bytes == s->grads);
    expect(m->optimizer_bytes == s->optimizer);
    expect(m->static_bytes == s->total);
}

/* floor(device * (1 - headroom)): exact for the headroom ratios 0 and
 * 0.25 (the library computes it in integers, on every platform and under
 * valgrind alike). */
static void expect_budget(const trainest_memory *m, const trainest_memory_request *rq)
{
    const uint64_t device = rq->device_memory_bytes;
    if (!device) {
        expect(m->budget_bytes == UINT64_MAX);
    } else if (rq->headroom_ratio == 0) {
        expect(m->budget_bytes == device);
    } else if (rq->headroom_ratio == 0.25) {
        expect(m->budget_bytes == (u128)device * 3 / 4);
    } else {
        expect(m->budget_bytes <= device);
    }
}

/* Activations of one device for a micro-batch of m samples: the model's
 * per-sample bytes (or the shape's, Korthikanti et al.) times the
 * micro-batches in flight, divided over the layout. */
struct act_model {
    uint64_t per_sample; /* or 0: from the shape */
    uint64_t layers, hidden, heads, seq; /* the stage's layers */
    uint32_t recompute;
    uint64_t tp, pp, v, held; /* held: min(PP, micro-batches per step) */
};

static bool mul_ok(u128 a, u128 b, u128 *out, bool *ok)
{
    if (__builtin_mul_overflow(a, b, out))
        *ok = false;
    return *ok;
}

/* Exactly when 128 bits hold every intermediate (returns true), and in
 * long double always. */
static bool act_ref(const struct act_model *a, u128 m, u128 *exact, long double *approx)
{
    const bool interleaved = a->v > 1 && a->pp > 1;
    const long double in_flight =
        (long double)a->held *
        (interleaved ? 1 + ((long double)a->pp - 1) / ((long double)a->pp * (long double)a->v) : 1);
    bool ok = true;
    u128 per_mb, t, u;
    long double per_mb_ld;
    if (a->per_sample) {
        mul_ok(a->per_sample, m, &per_mb, &ok);
        per_mb_ld = (long double)a->per_sample * (long double)m;
    } else {
        const bool scores = a->recompute == TRAINEST_RECOMPUTE_NONE;
        const unsigned k = a->recompute == TRAINEST_RECOMPUTE_FULL ? 2 : 34;
        mul_ok((u128)a->seq * m, a->hidden, &t, &ok);
        mul_ok(t, k, &t, &ok);
        if (scores) {
            mul_ok((u128)a->seq * a->seq, 5 * (u128)a->heads, &u, &ok);
            mul_ok(u, m, &u, &ok);
            if (__builtin_add_overflow(t, u, &t))
                ok = false;
        }
        mul_ok(t, a->layers, &per_mb, &ok);
        const long double sm = (long double)a->seq * (long double)m;
        per_mb_ld = (long double)a->layers *
                    (sm * (long double)a->hidden * k +
                     (scores ? 5 * (long double)a->heads * (long double)a->seq * sm : 0));
    }
    /* per-sample bytes are the whole model's: they divide over PP too */
    const u128 split = (u128)a->tp * (a->per_sample ? a->pp : 1);
    *approx = per_mb_ld * in_flight / (long double)split;
    u128 num, den = split;
    if (interleaved) {
        mul_ok(per_mb, (u128)a->held, &num, &ok);
        mul_ok(num, (u128)a->pp * a->v + a->pp - 1, &num, &ok);
        mul_ok(den, (u128)a->pp * a->v, &den, &ok);
    } else {
        mul_ok(per_mb, (u128)a->held, &num, &ok);
    }
    if (ok)
        *exact = div_ceil128(num, den);
    return ok;
}

/* Does a micro-batch of m fit in room? true/false when the references can
 * tell, *known = false when long double cannot. */
static bool act_fits(const struct act_model *a, u128 m, u128 room, bool *known)
{
    u128 exact;
    long double approx;
    *known = true;
    if (act_ref(a, m, &exact, &approx))
        return exact <= room;
    if (approx < (long double)room * (1 - 1e-15L))
        return true;
    if (approx > (long double)room * (1 + 1e-15L))
        return false;
    *known = false;
    return false;
}

/* max_micro_batch fits, and one more does not. */
static void expect_max_micro_batch(const trainest_memory *m, const trainest_memory_request *rq,
                                   const struct act_model *a)
{
    const uint64_t M = m->max_micro_batch;
    if (!rq->device_memory_bytes) {
        expect(M == UINT64_MAX);
        return;
    }
    if (m->static_bytes > m->budget_bytes) {
        expect(M == 0);
        return;
    }
    const u128 room = m->budget_bytes - m->static_bytes;
    bool known;
    const bool fits = act_fits(a, M, room, &known);
    expect(fits || !known);
    if (M < UINT64_MAX) {
        const bool next_fits = act_fits(a, (u128)M + 1, room, &known);
        expect(!next_fits || !known);
    }
}

static void check_memory_compute(const trainest_memory_request *rq, uint64_t micro_batch,
                                 uint64_t data_parallel)
{
    trainest_memory m;
    memset(&m, 0xA5, sizeof m);
    m.struct_size = sizeof m;
    const int st = trainest_memory_compute(&m, rq, micro_batch, data_parallel);
    expect_status(st, ST_MEMORY);
    const uint32_t invalid = memory_invalid(rq) | (data_parallel ? 0 : ST(TRAINEST_E_ZERO));
    if (invalid) {
        expect(st != TRAINEST_OK && documented(st, invalid));
        return;
    }
    const struct states s = ref_states(rq, 1, data_parallel);
    const u128 act = (u128)rq->activation_bytes_per_sample * micro_batch;
    const u128 total = s.total + act; /* < 2^99 + 2^128 - 2^65: no wrap */
    if (states_overflow(&s) || act > TOP || total > TOP) {
        expect(st == TRAINEST_E_OVERFLOW);
        return;
    }
    expect(st == TRAINEST_OK);
    if (st)
        return;
    expect_states(&m, &s);
    expect(m.activation_bytes == act);
    expect(m.total_bytes == total);
    expect(m.activation_bytes_per_micro_batch == act);
    expect(m.micro_batches_in_flight == 1);
    expect_budget(&m, rq);
    expect(m.fits == (total <= m.budget_bytes));
    const struct act_model a = {rq->activation_bytes_per_sample, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    expect_max_micro_batch(&m, rq, &a);
    /* the direct check: static + per_sample * M fits, M + 1 does not */
    if (rq->device_memory_bytes && rq->activation_bytes_per_sample && s.total <= m.budget_bytes) {
        expect(s.total + (u128)rq->activation_bytes_per_sample * m.max_micro_batch <= m.budget_bytes);
        expect(s.total + (u128)rq->activation_bytes_per_sample * ((u128)m.max_micro_batch + 1) >
               m.budget_bytes);
    }
    expect(isfinite(m.headroom_ratio));
    if (rq->device_memory_bytes)
        expect(m.headroom_ratio == 1.0 - (double)total / (double)rq->device_memory_bytes);
}

/* Every field of the memory request, and both arguments, at the edges, for
 * every ZeRO stage, with model states from parameters and measured. */
static void test_edges_memory_every_field(void **state)
{
    (void)state;
    for (int measured = 0; measured < 2; measured++)
        for (uint32_t z = 0; z <= 3; z++)
            for (size_t f = 0; f <= COUNT(memory_fields); f++)
                for (size_t i = 0; i < N_EDGES; i++) {
                    trainest_memory_request rq = base_memory(measured, z);
                    /* f == COUNT: the base request itself, once */
                    if (f < COUNT(memory_fields))
                        set_edge(&rq, &memory_fields[f], i);
                    else if (i)
                        break;
                    for (size_t b = 0; b < N_EDGES; b++)
                        for (size_t r = 0; r < N_EDGES; r++) {
                            snprintf(where, sizeof where,
                                     "memory_compute(%s = %s, micro_batch %s, data_parallel %s; "
                                     "%s, ZeRO %u)",
                                     f < COUNT(memory_fields) ? memory_fields[f].name : "base",
                                     f < COUNT(memory_fields) ? edge_name(&memory_fields[f], i) : "-",
                                     edge_names[U64][b], edge_names[U64][r],
                                     measured ? "measured" : "params", z);
                            check_memory_compute(&rq, ints[b], ints[r]);
                        }
                }
}

static void test_edges_memory_overflows_by_one(void **state)
{
    (void)state;
    trainest_memory_request rq;
    trainest_memory_request_init(&rq, sizeof rq);
    /* 8 bits per parameter and nothing else: bytes = params, up to the top */
    rq.weight_bits_per_param = 8;
    rq.grad_bits_per_param = 0;
    rq.optimizer_bits_per_param = 0;
    rq.params = UINT64_MAX;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, UINT64_MAX);
    rq.weight_bits_per_param = 9; /* one bit more per parameter */
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    /* the same for the gradients and the optimizer states */
    rq.weight_bits_per_param = 0;
    rq.grad_bits_per_param = 8;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.grads_bytes, UINT64_MAX);
    rq.grad_bits_per_param = 9;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    rq.grad_bits_per_param = 0;
    rq.optimizer_bits_per_param = 8;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.optimizer_bytes, UINT64_MAX);
    rq.optimizer_bits_per_param = 9;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    /* ZeRO-3 over 2 replicas, 16 bits: ceil(P / 2) * 2 bytes is 2^64 - 2
     * for P = 2^64 - 2, and 2^64 for P = 2^64 - 1 (the shard rounds up) */
    rq.optimizer_bits_per_param = 0;
    rq.weight_bits_per_param = 16;
    rq.zero_stage = 3;
    rq.params = UINT64_MAX - 1;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 2), TRAINEST_OK);
    assert_int_equal(m.weights_bytes, UINT64_MAX - 1);
    rq.params = UINT64_MAX;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 2), TRAINEST_E_OVERFLOW);
    /* the sum of the states: 2 x (2^63 - 1) + overhead 1 = 2^64 - 1, then 2 */
    rq.zero_stage = 0;
    rq.weight_bits_per_param = rq.grad_bits_per_param = 8;
    rq.params = (UINT64_C(1) << 63) - 1;
    rq.overhead_bytes = 1;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, UINT64_MAX);
    rq.overhead_bytes = 2;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    /* activations: (2^32 + 1) x (2^32 - 1) = 2^64 - 1, and one sample more */
    trainest_memory_request_init(&rq, sizeof rq);
    rq.weight_bits_per_param = rq.grad_bits_per_param = rq.optimizer_bits_per_param = 0;
    rq.activation_bytes_per_sample = UINT64_C(4294967297);
    assert_int_equal(trainest_memory_compute(&m, &rq, UINT32_MAX, 1), TRAINEST_OK);
    assert_int_equal(m.activation_bytes, UINT64_MAX);
    assert_int_equal(m.total_bytes, UINT64_MAX);
    assert_int_equal(trainest_memory_compute(&m, &rq, UINT64_C(4294967296), 1), TRAINEST_E_OVERFLOW);
    /* static + activations = 2^64 - 1, then one byte more */
    rq.activation_bytes_per_sample = 10;
    rq.weight_bits_per_param = 8;
    rq.params = UINT64_MAX - 1000;
    assert_int_equal(trainest_memory_compute(&m, &rq, 100, 1), TRAINEST_OK);
    assert_int_equal(m.total_bytes, UINT64_MAX - 1000 + 1000);
    rq.overhead_bytes = 1;
    assert_int_equal(trainest_memory_compute(&m, &rq, 100, 1), TRAINEST_E_OVERFLOW);
    /* the largest micro-batch at the top of the range: all of 2^64 - 1
     * bytes, 2^32 + 1 per sample, fits 2^32 - 1 samples exactly */
    trainest_memory_request_init(&rq, sizeof rq);
    rq.static_bytes = 0;
    rq.activation_bytes_per_sample = UINT64_C(4294967297);
    rq.device_memory_bytes = UINT64_MAX;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.max_micro_batch, UINT32_MAX);
    rq.activation_bytes_per_sample = 1; /* every one of 2^64 - 1 micro-batch sizes fits */
    assert_int_equal(trainest_memory_compute(&m, &rq, UINT64_MAX, 1), TRAINEST_OK);
    assert_int_equal(m.max_micro_batch, UINT64_MAX);
    assert_int_equal(m.fits, 1);
    rq.static_bytes = 1; /* one byte taken: one sample less */
    assert_int_equal(trainest_memory_compute(&m, &rq, UINT64_MAX, 1), TRAINEST_E_OVERFLOW);
    assert_int_equal(trainest_memory_compute(&m, &rq, UINT64_MAX - 1, 1), TRAINEST_OK);
    assert_int_equal(m.max_micro_batch, UINT64_MAX - 1);
}

/* memory_for_plan() against the reference: the plan's layout, micro-batch
 * and micro-batches in flight. */
static void check_memory_for_plan(const trainest_memory_request *mrq,
                                  const trainest_plan_request *prq)
{
    trainest_memory m;
    memset(&m, 0xA5, sizeof m);
    m.struct_size = sizeof m;
    const int st = trainest_memory_for_plan(&m, mrq, prq);
    expect_status(st, ST_MEMORY_PLAN);
    const uint32_t invalid = memory_invalid(mrq);
    if (invalid) {
        expect(st != TRAINEST_OK && documented(st, invalid));
        return;
    }
    trainest_plan p;
    const int pst = tu_plan(&p, prq);
    if (pst) {
        expect(st == pst);
        return;
    }
    const bool shape = !mrq->activation_bytes_per_sample;
    if (shape && (!prq->layers || !prq->hidden || !prq->attention_heads || !prq->seq_len_tokens)) {
        expect(st == TRAINEST_E_UNDERSPECIFIED);
        return;
    }
    const struct states s =
        ref_states(mrq, (u128)p.tensor_parallel * p.pipeline_parallel, p.data_parallel);
    const uint64_t held = p.pipeline_parallel < p.micro_batches_per_step ? p.pipeline_parallel
                                                                          : p.micro_batches_per_step;
    const struct act_model a = {mrq->activation_bytes_per_sample,
                                shape ? prq->layers / p.pipeline_parallel : 0,
                                shape ? prq->hidden : 0,
                                shape ? prq->attention_heads : 0,
                                shape ? prq->seq_len_tokens : 0,
                                mrq->recompute,
                                p.tensor_parallel,
                                p.pipeline_parallel,
                                p.virtual_stages,
                                held};
    u128 act;
    long double act_ld;
    const bool exact = act_ref(&a, p.micro_batch, &act, &act_ld);
    if (states_overflow(&s)) {
        expect(st == TRAINEST_E_OVERFLOW);
        return;
    }
    if (exact) {
        expect(st == (act > TOP || s.total + act > TOP ? TRAINEST_E_OVERFLOW : TRAINEST_OK));
    } else {
        /* 128 bits cannot hold the intermediates: judge by the value */
        const long double total_ld = (long double)s.total + act_ld;
        if (total_ld > 0x1p64L * (1 + 1e-15L))
            expect(st == TRAINEST_E_OVERFLOW);
        else if (total_ld < 0x1p64L * (1 - 1e-15L))
            expect(st == TRAINEST_OK);
    }
    if (st)
        return;
    expect_states(&m, &s);
    if (exact)
        expect(m.activation_bytes == act);
    else
        expect(fabsl((long double)m.activation_bytes - act_ld) <= act_ld * 1e-15L + 1);
    expect(m.total_bytes == (u128)m.static_bytes + m.activation_bytes);
    const long double in_flight =
        (long double)held * (a.v > 1 && a.pp > 1 ? 1 + ((long double)a.pp - 1) /
                                                           ((long double)a.pp * (long double)a.v)
                                                 : 1);
    expect(isfinite(m.micro_batches_in_flight));
    expect(fabsl(m.micro_batches_in_flight - in_flight) <= in_flight * 1e-15L);
    expect_budget(&m, mrq);
    expect(m.fits == (m.total_bytes <= m.budget_bytes));
    expect_max_micro_batch(&m, mrq, &a);
    expect(isfinite(m.headroom_ratio));
}

/* Every plan field and every memory field at the edges, with activations
 * given per sample and from the model shape. */
static void test_edges_memory_for_plan_every_field(void **state)
{
    (void)state;
    for (int shape = 0; shape < 2; shape++)
        for (uint32_t z = 1; z <= 3; z += 2)
            for (size_t f = 0; f < COUNT(plan_fields) + COUNT(memory_fields); f++)
                for (size_t i = 0; i < N_EDGES; i++) {
                    trainest_memory_request mrq = base_memory(false, z);
                    if (shape)
                        mrq.activation_bytes_per_sample = 0;
                    trainest_plan_request prq = base_parallel_plan();
                    const bool in_plan = f < COUNT(plan_fields);
                    const struct field *fl =
                        in_plan ? &plan_fields[f] : &memory_fields[f - COUNT(plan_fields)];
                    set_edge(in_plan ? (void *)&prq : (void *)&mrq, fl, i);
                    snprintf(where, sizeof where, "memory_for_plan(%s %s = %s; %s, ZeRO %u)",
                             in_plan ? "plan" : "memory", fl->name, edge_name(fl, i),
                             shape ? "shape" : "per sample", z);
                    check_memory_for_plan(&mrq, &prq);
                }
}

/* Micro-batches in flight over pipelines and chunks up to where PP x v
 * reaches 2^64, with activations near the top of the range. */
static void test_edges_memory_for_plan_in_flight(void **state)
{
    (void)state;
    const uint64_t pps[] = {1, 2, 3, UINT64_C(1) << 24, UINT64_C(1) << 31};
    const uint64_t vs[] = {1, 2, UINT64_C(1) << 20, UINT64_C(1) << 32, UINT64_C(1) << 35};
    const uint64_t per_sample[] = {1, 65536, UINT64_C(1) << 40, UINT64_C(1) << 53, UINT64_MAX};
    for (size_t i = 0; i < COUNT(pps); i++)
        for (size_t j = 0; j < COUNT(vs); j++)
            for (size_t k = 0; k < COUNT(per_sample); k++)
                for (uint64_t rounds = 1; rounds <= 2; rounds++)
                    for (uint64_t m = 1; m <= (UINT64_C(1) << 20); m <<= 10) {
                        const uint64_t pp = pps[i], v = vs[j];
                        if (pp * (u128)v > TOP)
                            continue;
                        trainest_plan_request prq = tu_request(UINT64_MAX, 0, m, rounds * pp, 1);
                        prq.preset = TRAINEST_PRESET_MEGATRON;
                        prq.tensor_parallel = 8;
                        prq.pipeline_parallel = pp;
                        prq.virtual_stages = v;
                        trainest_memory_request mrq;
                        trainest_memory_request_init(&mrq, sizeof mrq);
                        mrq.params = 175000000000;
                        mrq.activation_bytes_per_sample = per_sample[k];
                        mrq.device_memory_bytes = 85899345920;
                        snprintf(where, sizeof where,
                                 "memory_for_plan(PP %llu, v %llu, %llu micro-batches of %llu, "
                                 "%llu bytes per sample)",
                                 (unsigned long long)pp, (unsigned long long)v,
                                 (unsigned long long)(rounds * pp), (unsigned long long)m,
                                 (unsigned long long)per_sample[k]);
                        check_memory_for_plan(&mrq, &prq);
                    }
}

/* ---- Search ------------------------------------------------------------------ */

static const struct field search_fields[] = {
    U32_FIELD(trainest_search_request, reserved0),
    U64_FIELD(trainest_search_request, global_batch_min),
    U64_FIELD(trainest_search_request, global_batch_max),
    U64_FIELD(trainest_search_request, global_batch_step),
    U64_FIELD(trainest_search_request, max_devices),
    U64_FIELD(trainest_search_request, max_tensor_parallel),
    U64_FIELD(trainest_search_request, max_pipeline_parallel),
    U64_FIELD(trainest_search_request, devices_per_node),
};

/* The plan request's fields that the search keeps (the others it chooses). */
static const struct field search_plan_fields[] = {
    U64_FIELD(trainest_plan_request, samples),
    U64_FIELD(trainest_plan_request, global_batch),
    U64_FIELD(trainest_plan_request, max_micro_batch),
    U64_FIELD(trainest_plan_request, epochs),
    U64_FIELD(trainest_plan_request, seq_len_tokens),
    U64_FIELD(trainest_plan_request, virtual_stages),
    U64_FIELD(trainest_plan_request, layers),
    U64_FIELD(trainest_plan_request, hidden),
    U64_FIELD(trainest_plan_request, attention_heads),
};

/* The candidates a valid search evaluates, as documented: the sum over the
 * layouts (TP, PP powers of two within the limits, TP within a node and
 * dividing the hidden size and heads, PP x v dividing the layers), the
 * replica counts R <= min(max_devices / (TP PP), largest G) and the global
 * batches G of floor(G / R), ceil with ROUND_UP. Counted up to limit;
 * limit + 1 means more. */
static uint64_t search_work(const trainest_plan_request *prq, const trainest_search_request *sr,
                            uint64_t limit)
{
    uint64_t lo = sr->global_batch_min, hi = sr->global_batch_max;
    const uint64_t step = sr->global_batch_step ? sr->global_batch_step : 1;
    if (!lo)
        lo = hi = prq->global_batch;
    if (!hi)
        hi = lo;
    const u128 v = prq->virtual_stages ? prq->virtual_stages : 1;
    const u128 max_tp = sr->max_tensor_parallel ? sr->max_tensor_parallel : 1;
    const u128 max_pp = sr->max_pipeline_parallel ? sr->max_pipeline_parallel : 1;
    const bool up = prq->divisibility == TRAINEST_DIVISIBILITY_ROUND_UP;
    u128 work = 0;
    for (u128 tp = 1; tp <= max_tp && tp <= sr->max_devices; tp *= 2) {
        if ((sr->devices_per_node && tp > sr->devices_per_node) ||
            (prq->hidden && prq->hidden % tp) || (prq->attention_heads && prq->attention_heads % tp))
            break;
        for (u128 pp = 1; pp <= max_pp; pp *= 2) {
            if (tp * pp > sr->max_devices || pp * v > TOP)
                break;
            if ((v > 1 && pp == 1) || (prq->layers && prq->layers % (pp * v)))
                continue;
            const u128 by_devices = sr->max_devices / (tp * pp);
            const u128 max_R = by_devices < hi ? by_devices : hi;
            for (u128 R = 1; R <= max_R; R++)
                for (u128 G = lo; G <= hi; G += step) {
                    work += up ? div_ceil128(G, R) : G / R;
                    if (work > limit)
                        return limit + 1;
                }
        }
    }
    return (uint64_t)work;
}

/* The statuses the search's range checks give; 0 if the ranges are valid. */
static uint32_t search_invalid(const trainest_plan_request *prq, const trainest_search_request *sr)
{
    uint32_t s = 0;
    const uint64_t lo = sr->global_batch_min ? sr->global_batch_min : prq->global_batch;
    const uint64_t hi = sr->global_batch_max ? sr->global_batch_max : lo;
    if (!sr->global_batch_min && (sr->global_batch_max || sr->global_batch_step))
        s |= ST(TRAINEST_E_UNDERSPECIFIED);
    if (!lo)
        s |= ST(TRAINEST_E_UNDERSPECIFIED);
    if (sr->global_batch_min && hi < lo)
        s |= ST(TRAINEST_E_INCONSISTENT);
    if (!sr->max_devices)
        s |= ST(TRAINEST_E_ZERO);
    if (sr->reserved0)
        s |= ST(TRAINEST_E_UNSUPPORTED);
    if (prq->virtual_stages > 1 && sr->max_pipeline_parallel < 2)
        s |= ST(TRAINEST_E_BAD_LAYOUT);
    return s;
}

struct search_case {
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
};

/* Global batches 8 to 24 in steps of 4 on up to 4 devices, TP and PP up to
 * 2, a model that does not fit one device at the larger micro-batches. */
static struct search_case base_search(uint32_t divisibility)
{
    struct search_case c;
    c.prq = tu_request(10000, 0, 0, 0, 1);
    c.prq.divisibility = divisibility;
    c.prq.seq_len_tokens = 128;
    c.prq.layers = 8;
    c.prq.hidden = 64;
    c.prq.attention_heads = 8;
    trainest_estimate_request_init(&c.erq, sizeof c.erq);
    c.erq.fixed_s = 0.01;
    c.erq.per_sample_s = 0.001;
    c.erq.bus_bytes_per_s = 1e11;
    trainest_memory_request_init(&c.mrq, sizeof c.mrq);
    c.mrq.params = 1000000;
    c.mrq.activation_bytes_per_sample = 1000000;
    c.mrq.device_memory_bytes = 20000000;
    trainest_search_request_init(&c.sr, sizeof c.sr);
    c.sr.global_batch_min = 8;
    c.sr.global_batch_max = 24;
    c.sr.global_batch_step = 4;
    c.sr.max_devices = 4;
    c.sr.max_tensor_parallel = 2;
    c.sr.max_pipeline_parallel = 2;
    return c;
}

/* Runs the search if its work is at most limit; false if it was skipped. */
static bool check_search(const struct search_case *c, uint64_t limit)
{
    const uint32_t invalid = search_invalid(&c->prq, &c->sr);
    const uint64_t work = invalid ? 0 : search_work(&c->prq, &c->sr, limit);
    if (work > limit)
        return false; /* linear in G by design: too long to run here */
    enum { CAP = 8 };
    trainest_search_result res[CAP];
    res[0].struct_size = sizeof res[0];
    trainest_search s;
    memset(&s, 0xA5, sizeof s);
    s.struct_size = sizeof s;
    uint32_t n = 77;
    const int st = trainest_search_run(&s, res, CAP, &n, &c->prq, &c->erq, &c->mrq, &c->sr);
    expect_status(st, ST_SEARCH);
    if (invalid) {
        expect(st != TRAINEST_OK && documented(st, invalid));
        expect(n == 0);
        return true;
    }
    expect(st == TRAINEST_OK || documented(st, ST_PLAN)); /* the plan request's own checks */
    if (st)
        return true;
    /* every candidate counted once, and exactly the documented ones */
    expect(s.candidates_evaluated == work);
    expect((u128)s.feasible + s.rejected_not_divisible + s.rejected_does_not_fit +
               s.rejected_overflow + s.rejected_no_steps + s.duplicates ==
           s.candidates_evaluated);
    expect(n == (s.feasible < CAP ? s.feasible : CAP));
    const uint64_t v = c->prq.virtual_stages ? c->prq.virtual_stages : 1;
    const uint64_t max_tp = c->sr.max_tensor_parallel ? c->sr.max_tensor_parallel : 1;
    const uint64_t max_pp = c->sr.max_pipeline_parallel ? c->sr.max_pipeline_parallel : 1;
    for (uint32_t i = 0; i < n && i < CAP; i++) {
        const trainest_search_result *r = &res[i];
        expect((u128)r->micro_batch * r->grad_accum_steps * r->data_parallel == r->global_batch);
        expect((u128)r->data_parallel * r->tensor_parallel * r->pipeline_parallel <=
               c->sr.max_devices);
        expect(pow2(r->tensor_parallel) && r->tensor_parallel <= max_tp);
        expect(pow2(r->pipeline_parallel) && r->pipeline_parallel <= max_pp);
        expect(!c->prq.max_micro_batch || r->micro_batch <= c->prq.max_micro_batch);
        /* the memory of the plan, exactly */
        const struct states st_ref = ref_states(
            &c->mrq, (u128)r->tensor_parallel * r->pipeline_parallel, r->data_parallel);
        const uint64_t held = r->pipeline_parallel < r->grad_accum_steps ? r->pipeline_parallel
                                                                         : r->grad_accum_steps;
        const struct act_model a = {c->mrq.activation_bytes_per_sample,
                                    0, 0, 0, 0, 0,
                                    r->tensor_parallel, r->pipeline_parallel, v, held};
        u128 act;
        long double act_ld;
        expect(act_ref(&a, r->micro_batch, &act, &act_ld));
        expect(r->memory_bytes == st_ref.total + act);
        expect(!c->mrq.device_memory_bytes || r->memory_bytes <= c->mrq.device_memory_bytes);
        expect(isfinite(r->step_s) && isfinite(r->total_s) && isfinite(r->headroom_ratio));
        expect(r->step_s >= 0 && r->total_s >= 0);
        if (i)
            expect(res[i - 1].total_s <= r->total_s);
        /* its steps are the plan's */
        trainest_plan_request prq = c->prq;
        prq.global_batch = r->global_batch;
        prq.micro_batch = r->micro_batch;
        prq.grad_accum_steps = r->grad_accum_steps;
        prq.data_parallel = r->data_parallel;
        prq.tensor_parallel = r->tensor_parallel;
        prq.pipeline_parallel = r->pipeline_parallel;
        prq.max_micro_batch = 0;
        prq.divisibility = TRAINEST_DIVISIBILITY_ERROR;
        trainest_plan p;
        expect(tu_plan(&p, &prq) == TRAINEST_OK);
        expect(p.total_optimizer_steps == r->total_optimizer_steps);
    }
    return true;
}

/* Every field of the search request and the plan fields it keeps, at the
 * edges, under every divisibility policy. Ranges whose work (linear in the
 * global batch, by design) is beyond the limit are counted, not run. */
static void test_edges_search_every_field(void **state)
{
    (void)state;
    const uint64_t limit = quick() ? 2000 : 20000;
    unsigned run = 0, skipped = 0;
    for (uint32_t policy = 0; policy <= TRAINEST_DIVISIBILITY_ROUND_UP; policy++)
        for (size_t f = 0; f < COUNT(search_fields) + COUNT(search_plan_fields); f++)
            for (size_t i = 0; i < N_EDGES; i++) {
                if (quick() && policy == TRAINEST_DIVISIBILITY_ROUND_DOWN)
                    break;
                struct search_case c = base_search(policy);
                const bool in_search = f < COUNT(search_fields);
                const struct field *fl =
                    in_search ? &search_fields[f] : &search_plan_fields[f - COUNT(search_fields)];
                set_edge(in_search ? (void *)&c.sr : (void *)&c.prq, fl, i);
                snprintf(where, sizeof where, "search_run(%s %s = %s, divisibility %u)",
                         in_search ? "search" : "plan", fl->name, edge_name(fl, i), policy);
                if (check_search(&c, limit))
                    run++;
                else
                    skipped++;
            }
    /* most of the table runs: only global batch ranges of 2^53 and more are left out */
    print_message("# search: %u cases run, %u left out as too long\n", run, skipped);
    assert_true(skipped <= 4 * (TRAINEST_DIVISIBILITY_ROUND_UP + 1));
    assert_true(run > skipped);
}

/* ---- Ramp-up ------------------------------------------------------------------ */

static const struct field rampup_fields[] = {
    U32_FIELD(trainest_rampup_request, reserved0),
    U64_FIELD(trainest_rampup_request, start_global_batch),
    U64_FIELD(trainest_rampup_request, increment),
    U64_FIELD(trainest_rampup_request, ramp_samples),
};

/* The plan request's fields that the ramp's counts use. */
static const struct field rampup_plan_fields[] = {
    U64_FIELD(trainest_plan_request, samples),
    U64_FIELD(trainest_plan_request, global_batch),
    U64_FIELD(trainest_plan_request, micro_batch),
    U64_FIELD(trainest_plan_request, data_parallel),
    U64_FIELD(trainest_plan_request, epochs),
};

struct rampup_case {
    trainest_plan_request prq;
    trainest_rampup_request rq;
};

/* 0: a small ramp (16 to 64 by 16 over 500 samples of 1000, m 2, R 2);
 * 1: a ramp near the top of the range (2^60 to 2^62 by 2^60 over 2^63 of
 * 2^63 samples); 2: no ramp at all (START = target) over 2^64 - 1 samples. */
static struct rampup_case base_rampup(int which)
{
    struct rampup_case c;
    trainest_rampup_request_init(&c.rq, sizeof c.rq);
    if (which == 0) {
        c.prq = tu_request(1000, 64, 2, 0, 2);
        c.rq.start_global_batch = 16;
        c.rq.increment = 16;
        c.rq.ramp_samples = 500;
    } else if (which == 1) {
        c.prq = tu_request(UINT64_C(1) << 63, UINT64_C(1) << 62, 1, 0, 1);
        c.rq.start_global_batch = UINT64_C(1) << 60;
        c.rq.increment = UINT64_C(1) << 60;
        c.rq.ramp_samples = UINT64_C(1) << 63;
    } else {
        c.prq = tu_request(UINT64_MAX, 4, 1, 0, 1);
        c.rq.start_global_batch = 4;
        c.rq.ramp_samples = UINT64_MAX;
    }
    c.prq.preset = TRAINEST_PRESET_MEGATRON;
    return c;
}

struct rampup_ref {
    int status;
    u128 increments, rampup_steps, rampup_samples, steps_after, total_steps, total_samples;
};

/* Megatron's update_train_iters() loop, replayed step by step (up to
 * max_steps; false beyond), with the request checks the header documents.
 * G and mR (micro_batch x data_parallel) come from the plan. */
static bool replay_rampup(const struct rampup_case *c, uint64_t G, uint64_t mR, uint64_t max_steps,
                          struct rampup_ref *out)
{
    memset(out, 0, sizeof *out);
    const trainest_rampup_request *rq = &c->rq;
    const uint64_t start = rq->start_global_batch, incr = rq->increment, ramp = rq->ramp_samples;
    const u128 train = (u128)c->prq.samples * c->prq.epochs;
    out->status = TRAINEST_OK;
    if (!start)
        out->status = TRAINEST_E_ZERO;
    else if (start > G)
        out->status = TRAINEST_E_INCONSISTENT;
    else if (start < G && !incr)
        out->status = TRAINEST_E_ZERO;
    else if (start < G && (G - start) % incr)
        out->status = TRAINEST_E_NOT_DIVISIBLE;
    else if (start < G && (G - start) / incr > 10000000)
        out->status = TRAINEST_E_OUT_OF_RANGE;
    else if (start < G && !ramp)
        out->status = TRAINEST_E_ZERO;
    else if (train > TOP)
        out->status = TRAINEST_E_OVERFLOW;
    if (out->status)
        return true;
    const uint64_t increments = start < G ? (G - start) / incr : 0;
    const double per_incr = increments ? (double)ramp / (double)increments : 0;
    u128 consumed = 0, steps = 0;
    while (increments && consumed <= ramp && consumed <= train) {
        /* Megatron: int(consumed / per_incr) in floating point */
        const uint64_t k = (uint64_t)((double)(uint64_t)consumed / per_incr);
        const u128 b = start + (u128)k * incr;
        if (b % mR) {
            out->status = TRAINEST_E_NOT_DIVISIBLE;
            return true;
        }
        consumed += b;
        if (++steps > max_steps)
            return false;
    }
    out->increments = increments;
    out->rampup_steps = steps;
    out->rampup_samples = consumed;
    out->steps_after = train > consumed ? (train - consumed) / G : 0;
    out->total_steps = steps + out->steps_after;
    out->total_samples = consumed + out->steps_after * G;
    if (out->rampup_samples > TOP || out->total_samples > TOP)
        out->status = TRAINEST_E_OVERFLOW;
    else if (!out->total_steps)
        out->status = TRAINEST_E_NO_STEPS;
    return true;
}

static void check_rampup(const struct rampup_case *c, bool timed)
{
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.fixed_s = 0.01;
    erq.per_sample_s = 0.001;
    erq.startup_s = 60;
    trainest_rampup r;
    memset(&r, 0xA5, sizeof r);
    r.struct_size = sizeof r;
    const int st = trainest_rampup_compute(&r, &c->prq, &c->rq, timed ? &erq : NULL);
    expect_status(st, ST_RAMPUP);
    if (c->rq.reserved0) {
        expect(st == TRAINEST_E_UNSUPPORTED);
        return;
    }
    /* the target batch, resolved on a stream long enough when the run is
     * shorter than one target batch (the ramp's smaller batches may run) */
    trainest_plan p;
    int pst = tu_plan(&p, &c->prq);
    if (pst == TRAINEST_E_NO_STEPS) {
        trainest_plan_request resolve = c->prq;
        resolve.samples = UINT64_MAX;
        resolve.epochs = 1;
        pst = tu_plan(&p, &resolve);
    }
    if (pst) {
        expect(st == pst);
        return;
    }
    struct rampup_ref ref;
    const bool replayed = replay_rampup(c, p.global_batch, p.micro_batch * p.data_parallel,
                                        quick() ? 10000 : 100000, &ref);
    if (replayed)
        expect(st == ref.status);
    else /* too long to replay: the invariants only */
        expect(st == TRAINEST_OK || st == TRAINEST_E_OVERFLOW);
    if (st)
        return;
    if (replayed) {
        expect(r.increments == ref.increments);
        expect(r.rampup_steps == ref.rampup_steps);
        expect(r.rampup_samples == ref.rampup_samples);
        expect(r.steps_after == ref.steps_after);
        expect(r.total_steps == ref.total_steps);
        expect(r.total_samples == ref.total_samples);
    }
    expect((u128)r.rampup_steps + r.steps_after == r.total_steps);
    expect((u128)r.rampup_samples + (u128)r.steps_after * p.global_batch == r.total_samples);
    const uint64_t constant = (uint64_t)((u128)c->prq.samples * c->prq.epochs / p.global_batch);
    expect(r.extra_steps == (r.total_steps > constant ? r.total_steps - constant : 0));
    expect(isfinite(r.rampup_s) && isfinite(r.total_s));
    expect(r.rampup_s >= 0 && r.total_s >= r.rampup_s);
    if (!timed)
        expect(r.rampup_s == 0 && r.total_s == 0);
}

/* Every field of the ramp-up request and the plan fields it counts with, at
 * the edges, around three ramps, with and without times; counts against
 * Megatron's loop replayed step by step. */
static void test_edges_rampup_every_field(void **state)
{
    (void)state;
    for (int which = 0; which < 3; which++)
        for (size_t f = 0; f <= COUNT(rampup_fields) + COUNT(rampup_plan_fields); f++)
            for (size_t i = 0; i < N_EDGES; i++) {
                struct rampup_case c = base_rampup(which);
                const bool in_ramp = f < COUNT(rampup_fields);
                const struct field *fl = f == COUNT(rampup_fields) + COUNT(rampup_plan_fields) ? NULL
                                         : in_ramp ? &rampup_fields[f]
                                                   : &rampup_plan_fields[f - COUNT(rampup_fields)];
                if (fl)
                    set_edge(in_ramp ? (void *)&c.rq : (void *)&c.prq, fl, i);
                else if (i)
                    break; /* the base itself, once */
                for (int timed = 0; timed < 2; timed++) {
                    snprintf(where, sizeof where, "rampup_compute(ramp %d, %s = %s%s)", which,
                             fl ? fl->name : "base", fl ? edge_name(fl, i) : "-",
                             timed ? ", timed" : "");
                    check_rampup(&c, timed);
                }
            }
}

/* ---- Fits: step observations and memory points --------------------------------- */

static const struct field observation_fields[] = {
    U32_FIELD(trainest_step_observation, reserved0),
    U64_FIELD(trainest_step_observation, micro_batch),
    U64_FIELD(trainest_step_observation, grad_accum_steps),
    F64_FIELD(trainest_step_observation, step_s),
};

static const struct field calibration_fields[] = {
    U32_FIELD(trainest_calibration_request, flags),
    F64_FIELD(trainest_calibration_request, optimizer_s),
};

#define N_OBS 6

/* Six steps of fixed 10 ms + 1 ms per sample per micro-batch and a 20 ms
 * optimizer step, at m = 8, 16, 32 and a = 1, 2. */
static void base_observations(trainest_step_observation *obs)
{
    for (int i = 0; i < N_OBS; i++) {
        memset(&obs[i], 0, sizeof obs[i]);
        obs[i].struct_size = sizeof obs[i];
        obs[i].micro_batch = UINT64_C(8) << (i % 3);
        obs[i].grad_accum_steps = 1 + (uint64_t)(i / 3);
        obs[i].step_s =
            (double)obs[i].grad_accum_steps * (0.01 + 0.001 * (double)obs[i].micro_batch) + 0.02;
    }
}

static void check_calibrate(const trainest_step_observation *obs, uint32_t count,
                            const trainest_calibration_request *rq)
{
    trainest_step_fit fit;
    memset(&fit, 0xA5, sizeof fit);
    fit.struct_size = sizeof fit;
    const int st = trainest_step_calibrate(&fit, obs, count, rq);
    expect_status(st, ST_CALIBRATE);
    if (st) {
        expect(fit.invalid_index == UINT32_MAX || fit.invalid_index < count);
        return;
    }
    check_doubles(&fit, offsetof(trainest_step_fit, floor_s),
                  offsetof(trainest_step_fit, observations));
    expect(fit.floor_s >= 0 && fit.fixed_s >= 0 && fit.per_sample_s >= 0 && fit.launch_lag_s >= 0 &&
           fit.optimizer_s >= 0);
    expect(fit.mean_residual_ratio <= fit.max_residual_ratio);
    expect(fit.observations == count);
    expect(fit.invalid_index == UINT32_MAX);
    if (rq && (rq->flags & TRAINEST_CALIBRATE_OPTIMIZER_KNOWN))
        expect(fit.optimizer_s == rq->optimizer_s);
}

/* Every field of the first and the last observation, and of the options,
 * at the edges. */
static void test_edges_step_calibrate_every_field(void **state)
{
    (void)state;
    trainest_step_observation obs[N_OBS];
    base_observations(obs);
    snprintf(where, sizeof where, "step_calibrate(base)");
    check_calibrate(obs, N_OBS, NULL);
    trainest_step_fit fit;
    fit.struct_size = sizeof fit;
    assert_int_equal(trainest_step_calibrate(&fit, obs, N_OBS, NULL), TRAINEST_OK);
    assert_close(fit.per_sample_s, 0.001, 1e-6); /* the base is the model it came from */
    for (size_t f = 0; f < COUNT(observation_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (uint32_t at = 0; at < N_OBS; at += N_OBS - 1) {
                base_observations(obs);
                set_edge(&obs[at], &observation_fields[f], i);
                snprintf(where, sizeof where, "step_calibrate(observation %u %s = %s)", at,
                         observation_fields[f].name, edge_name(&observation_fields[f], i));
                check_calibrate(obs, N_OBS, NULL);
            }
    base_observations(obs);
    for (size_t f = 0; f < COUNT(calibration_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (uint32_t known = 0; known < 2; known++) {
                trainest_calibration_request rq;
                trainest_calibration_request_init(&rq, sizeof rq);
                rq.flags = known ? TRAINEST_CALIBRATE_OPTIMIZER_KNOWN : 0;
                rq.optimizer_s = 0.02;
                set_edge(&rq, &calibration_fields[f], i);
                snprintf(where, sizeof where, "step_calibrate(request %s = %s%s)",
                         calibration_fields[f].name, edge_name(&calibration_fields[f], i),
                         known ? ", optimizer known" : "");
                check_calibrate(obs, N_OBS, &rq);
            }
    /* the count at its edges: 0, 1, 2 and one beyond the documented 65536 */
    const uint32_t counts[] = {0, 1, 2, 65537};
    for (size_t k = 0; k < COUNT(counts); k++) {
        trainest_step_observation *many = calloc(counts[k] ? counts[k] : 1, sizeof *many);
        assert_non_null(many);
        for (uint32_t j = 0; j < counts[k]; j++)
            many[j] = obs[j % N_OBS];
        snprintf(where, sizeof where, "step_calibrate(count %u)", counts[k]);
        check_calibrate(many, counts[k], NULL);
        fit.struct_size = sizeof fit;
        /* two observations with one grad_accum_steps cannot tell the optimizer time */
        expect(trainest_step_calibrate(&fit, many, counts[k], NULL) ==
               (counts[k] < 2       ? TRAINEST_E_TOO_FEW_POINTS
                : counts[k] > 65536 ? TRAINEST_E_OUT_OF_RANGE
                                    : TRAINEST_E_UNIDENTIFIABLE));
        free(many);
    }
}

static const struct field point_fields[] = {
    U32_FIELD(trainest_memory_point, reserved0),
    U64_FIELD(trainest_memory_point, micro_batch),
    U64_FIELD(trainest_memory_point, peak_bytes),
};

#define N_POINTS 4

/* 5 GB static and 1 MB per sample, at micro-batches 1, 2, 4 and 8. */
static void base_points(trainest_memory_point *pts)
{
    for (int i = 0; i < N_POINTS; i++) {
        memset(&pts[i], 0, sizeof pts[i]);
        pts[i].struct_size = sizeof pts[i];
        pts[i].micro_batch = UINT64_C(1) << i;
        pts[i].peak_bytes = 5000000000 + 1000000 * pts[i].micro_batch;
    }
}

static void check_memory_calibrate(const trainest_memory_point *pts, uint32_t count)
{
    trainest_memory_fit fit;
    memset(&fit, 0xA5, sizeof fit);
    fit.struct_size = sizeof fit;
    const int st = trainest_memory_calibrate(&fit, pts, count);
    expect_status(st, ST_MEMORY_FIT);
    if (st) {
        expect(fit.invalid_index == UINT32_MAX || fit.invalid_index < count);
        return;
    }
    expect(fit.points == count);
    expect(isfinite(fit.max_residual_ratio) && fit.max_residual_ratio >= 0);
    /* the residual of the rounded line, recomputed in long double: the
     * predictions may pass 2^64 (they are not stored), never wrap */
    long double max_r = 0;
    for (uint32_t j = 0; j < count; j++) {
        const long double y = (long double)pts[j].peak_bytes;
        const long double pred =
            (long double)fit.static_bytes + (long double)fit.per_sample_bytes * pts[j].micro_batch;
        const long double r = fabsl(pred - y) / y;
        max_r = r > max_r ? r : max_r;
    }
    /* the library works in double: allow its rounding of the prediction */
    long double slack = 0;
    for (uint32_t j = 0; j < count; j++) {
        const long double pred =
            (long double)fit.static_bytes + (long double)fit.per_sample_bytes * pts[j].micro_batch;
        const long double s = 4 * DBL_EPSILON * (pred + pts[j].peak_bytes) / pts[j].peak_bytes;
        slack = s > slack ? s : slack;
    }
    expect(fabsl((long double)fit.max_residual_ratio - max_r) <= slack + 1e-12L * max_r);
}

/* Every field of the first and the last point at the edges, and the count. */
static void test_edges_memory_calibrate_every_field(void **state)
{
    (void)state;
    trainest_memory_point pts[N_POINTS];
    base_points(pts);
    trainest_memory_fit fit;
    fit.struct_size = sizeof fit;
    assert_int_equal(trainest_memory_calibrate(&fit, pts, N_POINTS), TRAINEST_OK);
    /* a line through every point is found exactly */
    assert_int_equal(fit.static_bytes, 5000000000);
    assert_int_equal(fit.per_sample_bytes, 1000000);
    assert_true(fit.max_residual_ratio == 0);
    for (size_t f = 0; f < COUNT(point_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (uint32_t at = 0; at < N_POINTS; at += N_POINTS - 1) {
                base_points(pts);
                set_edge(&pts[at], &point_fields[f], i);
                snprintf(where, sizeof where, "memory_calibrate(point %u %s = %s)", at,
                         point_fields[f].name, edge_name(&point_fields[f], i));
                check_memory_calibrate(pts, N_POINTS);
            }
    /* two points at the top of the range: peak = micro_batch * 2^32 */
    base_points(pts);
    pts[0].micro_batch = UINT32_MAX;
    pts[0].peak_bytes = UINT64_MAX - UINT32_MAX;
    pts[1].micro_batch = 1;
    pts[1].peak_bytes = UINT64_C(1) << 32;
    snprintf(where, sizeof where, "memory_calibrate(two points near 2^64)");
    check_memory_calibrate(pts, 2);
    const uint32_t counts[] = {0, 1, 65537};
    for (size_t k = 0; k < COUNT(counts); k++) {
        trainest_memory_point *many = calloc(counts[k] ? counts[k] : 1, sizeof *many);
        assert_non_null(many);
        base_points(pts);
        for (uint32_t j = 0; j < counts[k]; j++)
            many[j] = pts[j % N_POINTS];
        snprintf(where, sizeof where, "memory_calibrate(count %u)", counts[k]);
        check_memory_calibrate(many, counts[k]);
        fit.struct_size = sizeof fit;
        expect(trainest_memory_calibrate(&fit, many, counts[k]) ==
               (counts[k] < 2 ? TRAINEST_E_TOO_FEW_POINTS : TRAINEST_E_OUT_OF_RANGE));
        free(many);
    }
}

/* ---- Estimate, trade-off and layouts --------------------------------------------- */

/* Every double field of the estimate request at the edges, and every
 * integer field. */
static void test_edges_estimate_every_field(void **state)
{
    (void)state;
    trainest_estimate_request base;
    trainest_estimate_request_init(&base, sizeof base);
    base.fixed_s = 0.01;
    base.per_sample_s = 0.001;
    base.bus_bytes_per_s = 1e11;
    base.h2d_bytes_per_s = 1e10;
    base.peak_flops_per_s = 1e15;
    trainest_plan_request prq = base_plan();
    const unsigned char *first = (const unsigned char *)&base.floor_s;
    for (size_t off = (size_t)(first - (const unsigned char *)&base); off + 8 <= sizeof base;
         off += 8) {
        for (size_t i = 0; i < N_EDGES; i++) {
            trainest_estimate_request rq = base;
            /* every 8-byte slot: as a double, then as an integer */
            for (int as_int = 0; as_int < 2; as_int++) {
                if (as_int)
                    memcpy((unsigned char *)&rq + off, &ints[i], 8);
                else
                    memcpy((unsigned char *)&rq + off, &reals[i], 8);
                snprintf(where, sizeof where, "estimate_run(bytes %zu = %s)", off,
                         edge_names[as_int ? U64 : F64][i]);
                trainest_estimate e;
                memset(&e, 0, sizeof e);
                e.struct_size = sizeof e;
                int st = trainest_estimate_run(&e, &prq, &rq);
                expect_status(st, ST_ESTIMATE);
                if (st == TRAINEST_OK) {
                    check_doubles(&e, offsetof(trainest_estimate, micro_batch_s), sizeof e);
                    expect(e.total_s >= 0);
                }
                rq = base;
            }
        }
    }
}

/* ---- Loader workers (0.7) ------------------------------------------------------- */

/* A WORKERS request: 4 workers of 100 samples/s each, 0.1 s apart. */
static trainest_estimate_request base_workers(uint32_t persistent)
{
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.fixed_s = 0.01;
    rq.per_sample_s = 0.001;
    rq.bus_bytes_per_s = 1e11;
    rq.grad_bytes = 1000000;
    rq.data_mode = TRAINEST_DATA_MODE_WORKERS;
    rq.data_workers = 4;
    rq.data_worker_startup_s = 0.1;
    rq.data_samples_per_s_per_worker = 100;
    rq.data_persistent_workers = persistent;
    return rq;
}

/* An estimate that succeeds is finite, its stall >= 0 and its parts sum to
 * its total. Returns the status. */
static int check_workers_estimate(const trainest_plan_request *prq, const trainest_estimate_request *rq)
{
    trainest_estimate e;
    memset(&e, 0xA5, sizeof e);
    e.struct_size = sizeof e;
    const int st = trainest_estimate_run(&e, prq, rq);
    expect_status(st, ST_ESTIMATE);
    if (st != TRAINEST_OK) {
        expect(e.total_s == 0 && e.data_stall_s == 0);
        return st;
    }
    check_doubles(&e, offsetof(trainest_estimate, micro_batch_s), sizeof e);
    expect(e.data_stall_s >= 0 && e.total_s >= e.data_stall_s);
    const double sum = e.compute_s + e.optimizer_s + e.transfer_s + e.data_stall_s + e.comm_s +
                       e.overhead_s + e.bubble_s + e.tp_comm_s + e.p2p_s;
    expect(fabs(sum - e.total_s) <= 1e-12 * e.total_s);
    return st;
}

static const struct field workers_fields[] = {
    U64_FIELD(trainest_estimate_request, data_workers),
    F64_FIELD(trainest_estimate_request, data_worker_startup_s),
    U32_FIELD(trainest_estimate_request, data_persistent_workers),
    U32_FIELD(trainest_estimate_request, reserved1),
    F64_FIELD(trainest_estimate_request, data_samples_per_s_per_worker),
    F64_FIELD(trainest_estimate_request, data_samples_per_s),
};

/* The status each edge of a worker field must give, on the base plan. */
static int workers_field_status(size_t f, size_t i)
{
    switch (f) {
    case 0: /* data_workers: 0 is refused, any other count works */
        return i == 0 ? TRAINEST_E_ZERO : TRAINEST_OK;
    case 1: /* start-up: 4 x DBL_MAX overflows */
        return i == 4 ? TRAINEST_E_OVERFLOW : TRAINEST_OK;
    case 2: /* persistent: 0 or 1 */
        return i <= 1 ? TRAINEST_OK : TRAINEST_E_OUT_OF_RANGE;
    case 3: /* reserved1 */
        return i == 0 ? TRAINEST_OK : TRAINEST_E_UNSUPPORTED;
    case 4: /* per worker: a subnormal rate is an infinite time per sample, the
             * smallest normal one an epoch beyond DBL_MAX */
        return i == 1 ? TRAINEST_E_OUT_OF_RANGE : i == 2 ? TRAINEST_E_OVERFLOW : TRAINEST_OK;
    default: /* the total rate, with the per-worker one also given */
        return i == 0 ? TRAINEST_OK : TRAINEST_E_INCONSISTENT;
    }
}

/* The worker fields at their edges, with the statuses they must give;
 * every 8-byte slot of a WORKERS request at the edges (as a double and as
 * an integer), workers that start again and that persist. */
static void test_edges_estimate_workers_every_field(void **state)
{
    (void)state;
    const trainest_plan_request prq = base_plan();
    for (uint32_t pers = 0; pers <= 1; pers++) {
        for (size_t f = 0; f < COUNT(workers_fields); f++)
            for (size_t i = 0; i < N_EDGES; i++) {
                trainest_estimate_request rq = base_workers(pers);
                set_edge(&rq, &workers_fields[f], i);
                snprintf(where, sizeof where, "estimate_run(WORKERS, persistent %u, %s = %s)", pers,
                         workers_fields[f].name, edge_name(&workers_fields[f], i));
                const int st = check_workers_estimate(&prq, &rq);
                expect(st == workers_field_status(f, i));
            }
        /* the total rate alone: shared by the workers, W / rate per sample */
        for (size_t i = 0; i < N_EDGES; i++)
            for (size_t w = 1; w < N_EDGES; w++) {
                trainest_estimate_request rq = base_workers(pers);
                rq.data_samples_per_s_per_worker = 0;
                rq.data_samples_per_s = reals[i];
                rq.data_workers = ints[w];
                snprintf(where, sizeof where, "estimate_run(WORKERS, %s workers, %s samples/s)",
                         edge_names[U64][w], edge_names[F64][i]);
                const int st = check_workers_estimate(&prq, &rq);
                const double u = (double)ints[w] / reals[i];
                if (i == 0)
                    expect(st == TRAINEST_OK); /* unlimited */
                else if (!isfinite(u))
                    expect(st == TRAINEST_E_OUT_OF_RANGE);
                else
                    expect(st == TRAINEST_OK || st == TRAINEST_E_OVERFLOW);
            }
        const trainest_estimate_request base = base_workers(pers);
        const unsigned char *first = (const unsigned char *)&base.floor_s;
        for (size_t off = (size_t)(first - (const unsigned char *)&base); off + 8 <= sizeof base;
             off += 8)
            for (size_t i = 0; i < N_EDGES; i++)
                for (int as_int = 0; as_int < 2; as_int++) {
                    trainest_estimate_request rq = base;
                    memcpy((unsigned char *)&rq + off, as_int ? (const void *)&ints[i] : (const void *)&reals[i], 8);
                    snprintf(where, sizeof where, "estimate_run(WORKERS, persistent %u, bytes %zu = %s)",
                             pers, off, edge_names[as_int ? U64 : F64][i]);
                    check_workers_estimate(&prq, &rq);
                }
    }
}

/* Plans at the edges of every count (epochs of up to 2^64 - 1 micro-batches,
 * passes that end mid-epoch) with 1, 12, 2^63 and 2^64 - 1 workers. */
static void test_edges_estimate_workers_plan_counts(void **state)
{
    (void)state;
    const uint64_t workers[] = {1, 12, UINT64_C(1) << 63, UINT64_MAX};
    for (size_t f = 0; f < COUNT(plan_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (uint32_t preset = 0; preset <= TRAINEST_PRESET_LIGHTNING; preset += 2)
                for (size_t w = 0; w < COUNT(workers); w++) {
                    trainest_plan_request prq = base_plan();
                    prq.preset = preset;
                    set_edge(&prq, &plan_fields[f], i);
                    trainest_estimate_request rq = base_workers(w % 2);
                    rq.data_workers = workers[w];
                    rq.per_sample_s = 1e-300; /* small enough for 2^64 samples */
                    rq.fixed_s = 1e-300;
                    snprintf(where, sizeof where, "estimate_run(WORKERS %s, %s = %s, preset %u)",
                             w == 0 ? "1" : w == 1 ? "12" : w == 2 ? "2^63" : "UINT64_MAX",
                             plan_fields[f].name, edge_name(&plan_fields[f], i), preset);
                    check_workers_estimate(&prq, &rq);
                }
    /* one epoch of 2^64 - 1 micro-batches of one sample: 2^64 - 1 ready
     * times, the last (k = 2^64 - 2) of worker (2^64 - 2) mod W */
    trainest_plan_request prq = tu_request(UINT64_MAX, 1, 1, 1, 1);
    for (size_t w = 0; w < COUNT(workers); w++) {
        trainest_estimate_request rq = base_workers(0);
        rq.data_workers = workers[w];
        rq.per_sample_s = 1e-300;
        rq.fixed_s = 0;
        rq.data_worker_startup_s = 4.9406564584124654e-324;
        snprintf(where, sizeof where, "estimate_run(WORKERS %zu, 2^64 - 1 micro-batches)", w);
        expect(check_workers_estimate(&prq, &rq) == TRAINEST_OK);
    }
}

static const struct field loader_observation_fields[] = {
    U32_FIELD(trainest_loader_observation, reserved0),
    U64_FIELD(trainest_loader_observation, workers),
    U64_FIELD(trainest_loader_observation, batch_size),
    U64_FIELD(trainest_loader_observation, samples),
    F64_FIELD(trainest_loader_observation, seconds),
};

#define N_LOADER_OBS 4

/* Loader-only epochs of s = 1/8 s and u = 1/512 s per sample, timed by
 * hand: 4 s + 8 x 128 u; max(12 s + 2 x 128 u, 8 s + 3 x 128 u); 2 s + 5 x
 * 100 u (the second worker's fifth batch, after which the first's sixth is
 * one of 34); 3 s + 5 x 64 u (15 batches of 64, then 40). */
static void base_loader_observations(trainest_loader_observation *o)
{
    static const uint64_t w[N_LOADER_OBS] = {4, 12, 2, 3}, b[N_LOADER_OBS] = {128, 128, 100, 64},
                          n[N_LOADER_OBS] = {4096, 4096, 1034, 1000};
    static const double t[N_LOADER_OBS] = {2.5, 2.0, 0.25 + 500.0 / 512, 0.375 + 320.0 / 512};
    for (int i = 0; i < N_LOADER_OBS; i++) {
        trainest_loader_observation_init(&o[i], sizeof o[i]);
        o[i].workers = w[i];
        o[i].batch_size = b[i];
        o[i].samples = n[i];
        o[i].seconds = t[i];
    }
}

/* When an observation's last batch is ready, from the model's definition:
 * ready(k) = (k mod W + 1) s + u x (the worker's samples up to batch k)
 * grows with the worker and the round, so of the full batches only the
 * last one and the previous round's last worker can be the latest; and
 * the last batch, of its own size. In long double: counts up to 2^64. */
static long double loader_time(const trainest_loader_observation *o, long double s, long double u)
{
    const uint64_t W = o->workers, b = o->batch_size;
    const uint64_t B = o->samples / b + (o->samples % b != 0);
    const long double last = (long double)(o->samples - (B - 1) * b);
    long double t = (long double)((B - 1) % W + 1) * s + ((long double)((B - 1) / W) * b + last) * u;
    if (B >= 2) {
        const uint64_t k = B - 2;
        t = fmaxl(t, (long double)(k % W + 1) * s + (long double)(k / W + 1) * b * u);
        if (k / W >= 1)
            t = fmaxl(t, (long double)W * s + (long double)(k / W) * b * u);
    }
    return t;
}

static void check_loader_calibrate(const trainest_loader_observation *o, uint32_t count)
{
    trainest_loader_fit fit;
    memset(&fit, 0xA5, sizeof fit);
    fit.struct_size = sizeof fit;
    const int st = trainest_loader_calibrate(&fit, o, count);
    expect_status(st, ST_LOADER_FIT);
    if (st) {
        expect(fit.invalid_index == UINT32_MAX || fit.invalid_index < count);
        for (const unsigned char *p = (const unsigned char *)&fit + 12;
             p < (const unsigned char *)&fit + sizeof fit; p++)
            expect(*p == 0);
        return;
    }
    check_doubles(&fit, offsetof(trainest_loader_fit, worker_startup_s),
                  offsetof(trainest_loader_fit, observations));
    expect(fit.worker_startup_s >= 0 && fit.samples_per_s_per_worker >= 0);
    expect(fit.mean_residual_ratio >= 0 &&
           fit.mean_residual_ratio <= fit.max_residual_ratio * (1 + 1e-12));
    expect(fit.observations == count && fit.invalid_index == UINT32_MAX);
    const long double u =
        fit.samples_per_s_per_worker > 0 ? 1.0L / fit.samples_per_s_per_worker : 0;
    long double max_r = 0;
    for (uint32_t i = 0; i < count; i++) {
        const long double r = fabsl(loader_time(&o[i], fit.worker_startup_s, u) / o[i].seconds - 1);
        max_r = r > max_r ? r : max_r;
    }
    expect(fabsl((long double)fit.max_residual_ratio - max_r) <= 1e-9L * (1 + max_r));
}

/* Every field of the first and the last observation at the edges, the
 * count at its edges, and epochs at the top of the ranges. */
static void test_edges_loader_calibrate_every_field(void **state)
{
    (void)state;
    trainest_loader_observation o[65];
    base_loader_observations(o);
    trainest_loader_fit fit;
    fit.struct_size = sizeof fit;
    assert_int_equal(trainest_loader_calibrate(&fit, o, N_LOADER_OBS), TRAINEST_OK);
    assert_close(fit.worker_startup_s, 0.125, 1e-12); /* the base is the model it came from */
    assert_close(fit.samples_per_s_per_worker, 512, 1e-12);
    assert_true(fit.max_residual_ratio < 1e-12);
    for (size_t f = 0; f < COUNT(loader_observation_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (uint32_t at = 0; at < N_LOADER_OBS; at += N_LOADER_OBS - 1) {
                base_loader_observations(o);
                set_edge(&o[at], &loader_observation_fields[f], i);
                snprintf(where, sizeof where, "loader_calibrate(observation %u %s = %s)", at,
                         loader_observation_fields[f].name, edge_name(&loader_observation_fields[f], i));
                check_loader_calibrate(o, N_LOADER_OBS);
            }
    /* every observation at the same edge of one field, and of two fields */
    for (size_t f = 1; f < COUNT(loader_observation_fields); f++)
        for (size_t g = f; g < COUNT(loader_observation_fields); g++)
            for (size_t i = 0; i < N_EDGES; i++)
                for (size_t j = 0; j < N_EDGES; j++) {
                    base_loader_observations(o);
                    for (int k = 0; k < N_LOADER_OBS; k++) {
                        set_edge(&o[k], &loader_observation_fields[f], i);
                        if (g != f)
                            set_edge(&o[k], &loader_observation_fields[g], (j + (size_t)k) % N_EDGES);
                    }
                    snprintf(where, sizeof where, "loader_calibrate(all %s = %s, %s from %s)",
                             loader_observation_fields[f].name, edge_name(&loader_observation_fields[f], i),
                             loader_observation_fields[g].name, edge_name(&loader_observation_fields[g], j));
                    check_loader_calibrate(o, N_LOADER_OBS);
                }
    /* the count: 0, 1, 2, 64, 65 and UINT32_MAX (refused before reading) */
    const uint32_t counts[] = {0, 1, 2, 64, 65, UINT32_MAX};
    for (size_t k = 0; k < COUNT(counts); k++) {
        base_loader_observations(o);
        for (uint32_t j = N_LOADER_OBS; j < 65; j++)
            o[j] = o[j % N_LOADER_OBS];
        snprintf(where, sizeof where, "loader_calibrate(count %u)", counts[k]);
        check_loader_calibrate(o, counts[k]);
        fit.struct_size = sizeof fit;
        expect(trainest_loader_calibrate(&fit, o, counts[k]) ==
               (counts[k] < 2 ? TRAINEST_E_TOO_FEW_POINTS
                : counts[k] > 64 ? TRAINEST_E_OUT_OF_RANGE
                                 : TRAINEST_OK));
    }
    /* epochs at the top: 2^64 - 1 samples in batches of 1 and of 2^63,
     * 2^64 - 1 workers, times from subnormal to DBL_MAX */
    const double times[] = {4.9406564584124654e-324, 1e-300, 1, 1e300, DBL_MAX};
    for (size_t i = 0; i < COUNT(times); i++)
        for (size_t j = 0; j < COUNT(times); j++) {
            o[0] = o[1] = o[2] = o[0];
            o[0].workers = 1;
            o[0].batch_size = 1;
            o[0].samples = UINT64_MAX;
            o[0].seconds = times[i];
            o[1].workers = UINT64_MAX;
            o[1].batch_size = UINT64_C(1) << 63;
            o[1].samples = UINT64_MAX;
            o[1].seconds = times[j];
            o[2].workers = 7;
            o[2].batch_size = 3;
            o[2].samples = UINT64_C(1) << 53;
            o[2].seconds = times[(i + j) % COUNT(times)];
            snprintf(where, sizeof where, "loader_calibrate(2^64 - 1 samples, times %g and %g)",
                     times[i], times[j]);
            check_loader_calibrate(o, 3);
            check_loader_calibrate(o, 2);
        }
}

/* Divisors of n in ascending order, by trial division (n < 2^32 here). */
static uint32_t divisors(uint64_t n, uint64_t *out, uint32_t capacity)
{
    uint32_t k = 0, lo = 0;
    uint64_t d = 1;
    for (; d * d <= n; d++)
        if (n % d == 0 && k < capacity)
            out[k++] = d;
    lo = k;
    for (uint32_t j = lo; j-- > 0;)
        if (out[j] * out[j] != n && k < capacity)
            out[k++] = n / out[j];
    return k;
}

static void check_tradeoff(const trainest_plan_request *prq, const trainest_estimate_request *erq)
{
    enum { CAP = 64 };
    trainest_tradeoff t;
    trainest_tradeoff_point pts[CAP];
    memset(&t, 0xA5, sizeof t);
    t.struct_size = sizeof t;
    pts[0].struct_size = sizeof pts[0];
    uint32_t n = 77;
    const int st = trainest_tradeoff_compute(&t, pts, CAP, &n, prq, erq);
    expect_status(st, ST_TRADEOFF);
    if (st) {
        expect(n == 0);
        return;
    }
    /* the global batch the request resolves to, its micro-batch and
     * accumulation replaced by the candidates */
    trainest_plan_request rq = *prq;
    rq.max_micro_batch = 0;
    if (rq.global_batch)
        rq.micro_batch = rq.grad_accum_steps = 0;
    trainest_plan p;
    expect(tu_plan(&p, &rq) == TRAINEST_OK);
    const uint64_t per_replica = p.global_batch / p.data_parallel, cap = prq->max_micro_batch;
    expect(per_replica <= UINT32_MAX + UINT64_C(1));
    uint64_t d[2 * 1024];
    const uint32_t nd = divisors(per_replica, d, 2 * 1024);
    expect(t.candidates <= nd);
    expect(n == (t.candidates < CAP ? t.candidates : CAP));
    /* the points: divisors, ascending, each splitting G exactly */
    uint32_t next = 0;
    uint64_t best_fit = 0, fastest = 0;
    double fastest_s = 0;
    for (uint32_t k = 0; k < n; k++) {
        while (next < nd && d[next] < pts[k].micro_batch)
            next++;
        expect(next < nd && d[next] == pts[k].micro_batch);
        expect((u128)pts[k].micro_batch * pts[k].grad_accum_steps * p.data_parallel ==
               p.global_batch);
        expect(pts[k].fits == (!cap || pts[k].micro_batch <= cap));
        expect(isfinite(pts[k].step_s) && isfinite(pts[k].total_s) && pts[k].total_s >= 0);
        if (pts[k].fits) {
            best_fit = pts[k].micro_batch;
            if (!fastest || pts[k].total_s <= fastest_s) {
                fastest = pts[k].micro_batch;
                fastest_s = pts[k].total_s;
            }
        }
    }
    if (t.candidates == n) { /* all written: the recommendations follow from them */
        expect(t.recommended_micro_batch == best_fit);
        expect(t.fastest_micro_batch == fastest);
        expect(!fastest || t.fastest_total_s == fastest_s);
    }
    if (t.recommended_micro_batch)
        expect((u128)t.recommended_micro_batch * t.recommended_grad_accum_steps * p.data_parallel ==
               p.global_batch);
    expect(isfinite(t.recommended_total_s) && isfinite(t.fastest_total_s));
}

/* Every field of the plan request at the edges, with a cap on the
 * micro-batch; the candidates against the divisors found by trial division. */
static void test_edges_tradeoff_every_field(void **state)
{
    (void)state;
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.fixed_s = 0.01;
    erq.per_sample_s = 0.001;
    erq.bus_bytes_per_s = 1e11;
    for (size_t f = 0; f < COUNT(plan_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++) {
            trainest_plan_request prq = base_plan();
            prq.max_micro_batch = 16;
            set_edge(&prq, &plan_fields[f], i);
            snprintf(where, sizeof where, "tradeoff_compute(%s = %s)", plan_fields[f].name,
                     edge_name(&plan_fields[f], i));
            check_tradeoff(&prq, &erq);
        }
    /* the per-replica batch at the largest the trade-off searches, 2^32,
     * and one more (refused, not searched for seconds) */
    trainest_plan_request prq = tu_request(UINT64_MAX, UINT64_C(1) << 32, 0, 0, 1);
    prq.max_micro_batch = 1000;
    snprintf(where, sizeof where, "tradeoff_compute(global_batch = 2^32)");
    check_tradeoff(&prq, &erq);
    trainest_tradeoff t;
    t.struct_size = sizeof t;
    uint32_t n;
    assert_int_equal(trainest_tradeoff_compute(&t, NULL, 0, &n, &prq, &erq), TRAINEST_OK);
    assert_int_equal(t.candidates, 33);
    assert_int_equal(t.recommended_micro_batch, 512);
    prq.global_batch++;
    assert_int_equal(trainest_tradeoff_compute(&t, NULL, 0, &n, &prq, &erq), TRAINEST_E_OUT_OF_RANGE);
}

static const struct field layout_fields[] = {
    U64_FIELD(trainest_plan_request, data_parallel),
    U64_FIELD(trainest_plan_request, tensor_parallel),
    U64_FIELD(trainest_plan_request, pipeline_parallel),
    U64_FIELD(trainest_plan_request, virtual_stages),
    U64_FIELD(trainest_plan_request, devices),
    U64_FIELD(trainest_plan_request, layers),
    U64_FIELD(trainest_plan_request, hidden),
    U64_FIELD(trainest_plan_request, attention_heads),
};

static void check_layout_suggest(const trainest_plan_request *rq)
{
    enum { CAP = 40 };
    trainest_layout_suggestion s[CAP];
    s[0].struct_size = sizeof s[0];
    uint32_t n = 77;
    const int st = trainest_layout_suggest(s, CAP, &n, rq);
    expect_status(st, ST_LAYOUT);
    expect(st == TRAINEST_OK); /* every readable request gets an answer */
    expect(n <= CAP);
    const u128 v = rq->virtual_stages ? rq->virtual_stages : 1;
    for (uint32_t k = 0; k < n && k < CAP; k++) {
        const trainest_layout_suggestion *x = &s[k];
        const u128 model = (u128)x->tensor_parallel * x->pipeline_parallel;
        expect(x->devices && x->tensor_parallel && x->pipeline_parallel);
        expect(model <= x->devices && x->devices % model == 0);
        expect((u128)x->data_parallel * model == x->devices);
        expect(!rq->layers || rq->layers % (x->pipeline_parallel * v) == 0);
        expect(!rq->hidden || rq->hidden % x->tensor_parallel == 0);
        expect(!rq->attention_heads || rq->attention_heads % x->tensor_parallel == 0);
        expect(v == 1 || x->pipeline_parallel >= 2);
        expect(isfinite(x->distance_ratio) && x->distance_ratio >= 0);
        if (k)
            expect(s[k - 1].distance_ratio <= x->distance_ratio);
        /* it passes the planner's layout checks */
        trainest_plan_request trial = *rq;
        trial.devices = x->devices;
        trial.data_parallel = 1;
        trial.tensor_parallel = x->tensor_parallel;
        trial.pipeline_parallel = x->pipeline_parallel;
        trainest_plan p;
        const int pst = tu_plan(&p, &trial);
        expect(pst != TRAINEST_E_BAD_LAYOUT);
        expect(pst != TRAINEST_E_OVERFLOW || (p.invalid_field != TRAINEST_FIELD_PIPELINE_PARALLEL &&
                                              p.invalid_field != TRAINEST_FIELD_VIRTUAL_STAGES));
    }
}

/* Every layout field at the edges, around a layout that plans and one that
 * does not (48 devices for TP 8 x PP 4). */
static void test_edges_layout_suggest_every_field(void **state)
{
    (void)state;
    for (int broken = 0; broken < 2; broken++)
        for (size_t f = 0; f < COUNT(layout_fields); f++)
            for (size_t i = 0; i < N_EDGES; i++) {
                trainest_plan_request rq = base_parallel_plan();
                if (broken) {
                    rq.devices = 48;
                    rq.tensor_parallel = 8;
                }
                set_edge(&rq, &layout_fields[f], i);
                snprintf(where, sizeof where, "layout_suggest(%s = %s%s)", layout_fields[f].name,
                         edge_name(&layout_fields[f], i), broken ? ", broken layout" : "");
                check_layout_suggest(&rq);
            }
}

/* ---- Run level: failures, the critical batch, the ETA tracker -------------------- */

static const struct field failure_fields[] = {
    U32_FIELD(trainest_failure_request, interval_rule),
    F64_FIELD(trainest_failure_request, work_s),
    U64_FIELD(trainest_failure_request, devices),
    U64_FIELD(trainest_failure_request, devices_per_node),
    F64_FIELD(trainest_failure_request, mtbf_hours_per_device),
    F64_FIELD(trainest_failure_request, mtbf_hours_per_node),
    F64_FIELD(trainest_failure_request, checkpoint_write_s),
    F64_FIELD(trainest_failure_request, restart_s),
    F64_FIELD(trainest_failure_request, checkpoint_interval_s),
};

/* 1024 devices on nodes of 8 for about 12 days, both failure terms, Daly's
 * interval (or an hour's, by Young's rule: which = 1). */
static trainest_failure_request base_failure(int which)
{
    trainest_failure_request rq;
    trainest_failure_request_init(&rq, sizeof rq);
    rq.work_s = 1e6;
    rq.devices = 1024;
    rq.devices_per_node = 8;
    rq.mtbf_hours_per_device = 50000;
    rq.mtbf_hours_per_node = 20000;
    rq.checkpoint_write_s = 60;
    rq.restart_s = 300;
    if (which) {
        rq.interval_rule = TRAINEST_INTERVAL_YOUNG;
        rq.checkpoint_interval_s = 3600;
    }
    return rq;
}

static void check_failure(const trainest_failure_request *rq)
{
    trainest_failure f;
    memset(&f, 0xA5, sizeof f);
    f.struct_size = sizeof f;
    const int st = trainest_failure_compute(&f, rq);
    expect_status(st, ST_FAILURE);
    if (st)
        return;
    check_doubles(&f, offsetof(trainest_failure, job_mtbf_s),
                  offsetof(trainest_failure, checkpoints));
    check_doubles(&f, offsetof(trainest_failure, expected_interruptions), sizeof f);
    for (const double *x = &f.expected_interruptions; x <= &f.p90_total_s; x++)
        expect(*x >= 0);
    expect(f.job_mtbf_s >= 0 && f.checkpoint_interval_s >= 0);
    expect(f.reserved0 == 0);
    /* the failure rate: devices / device MTBF + nodes / node MTBF */
    const uint64_t per_node = rq->devices_per_node ? rq->devices_per_node : 1;
    const double nodes = (double)(rq->devices / per_node + (rq->devices % per_node != 0));
    double rate = 0;
    if (rq->mtbf_hours_per_device > 0)
        rate += (double)rq->devices / (rq->mtbf_hours_per_device * 3600);
    if (rq->mtbf_hours_per_node > 0)
        rate += nodes / (rq->mtbf_hours_per_node * 3600);
    if (rate > 0)
        assert_close(f.job_mtbf_s, 1 / rate, 1e-12);
    else
        expect(f.job_mtbf_s == 0 && f.expected_interruptions == 0);
    /* checkpoints: one between consecutive segments of the interval used */
    if (f.checkpoint_interval_s > 0)
        expect(f.checkpoints == (uint64_t)ceil(rq->work_s / f.checkpoint_interval_s) - 1);
    else
        expect(f.checkpoints == 0);
    if (rq->checkpoint_interval_s > 0 && rq->checkpoint_interval_s < rq->work_s)
        expect(f.checkpoint_interval_s == rq->checkpoint_interval_s);
    expect(f.checkpoint_s == (double)f.checkpoints * rq->checkpoint_write_s);
    assert_close(f.expected_total_s,
                 rq->work_s + f.checkpoint_s + f.expected_lost_work_s + f.expected_restart_s, 1e-12);
    assert_close(f.expected_restart_s, f.expected_interruptions * rq->restart_s, 1e-12);
    expect(f.expected_total_s >= rq->work_s * (1 - 1e-12));
    expect(f.p50_total_s <= f.p90_total_s * (1 + 1e-12));
    expect(f.effective_time_ratio <= 1);
    if (f.effective_time_ratio > 0)
        assert_close(f.effective_time_ratio, rq->work_s / f.expected_total_s, 1e-12);
}

/* Every field of the failure request at the edges, around two requests. */
static void test_edges_failure_every_field(void **state)
{
    (void)state;
    for (int which = 0; which < (quick() ? 1 : 2); which++)
        for (size_t f = 0; f < COUNT(failure_fields); f++)
            for (size_t i = 0; i < N_EDGES; i++) {
                trainest_failure_request rq = base_failure(which);
                set_edge(&rq, &failure_fields[f], i);
                snprintf(where, sizeof where, "failure_compute(%s = %s, base %d)",
                         failure_fields[f].name, edge_name(&failure_fields[f], i), which);
                check_failure(&rq);
            }
    /* the pairs the single-field table cannot reach: a tiny MTBF against a
     * huge job, and huge times together */
    for (size_t i = 0; i < N_EDGES; i++)
        for (size_t j = 0; j < N_EDGES; j++) {
            if (quick() && i != j)
                continue;
            trainest_failure_request rq = base_failure(0);
            rq.work_s = reals[i] ? reals[i] : 1;
            rq.devices = ints[j] ? ints[j] : 1;
            rq.mtbf_hours_per_device = reals[j] ? reals[j] : 1000;
            rq.checkpoint_write_s = reals[(i + j) % N_EDGES] ? reals[(i + j) % N_EDGES] : 10;
            rq.restart_s = reals[i];
            snprintf(where, sizeof where, "failure_compute(work_s %s, devices %s, ...)",
                     edge_names[F64][i], edge_names[U64][j]);
            check_failure(&rq);
        }
}

static const struct field critical_fields[] = {
    U32_FIELD(trainest_critical_request, reserved0),
    F64_FIELD(trainest_critical_request, noise_scale),
    F64_FIELD(trainest_critical_request, min_steps),
    F64_FIELD(trainest_critical_request, min_samples),
    U64_FIELD(trainest_critical_request, max_global_batch),
};

static void check_critical(const trainest_plan_request *prq, const trainest_memory_request *mrq,
                           const trainest_critical_request *cr)
{
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.001;
    erq.optimizer_s = 0.01;
    trainest_critical c;
    memset(&c, 0xA5, sizeof c);
    c.struct_size = sizeof c;
    const int st = trainest_critical_compute(&c, prq, &erq, mrq, cr);
    expect_status(st, ST_CRITICAL);
    if (st)
        return;
    check_doubles(&c, offsetof(trainest_critical, critical_batch),
                  offsetof(trainest_critical, best_global_batch));
    check_doubles(&c, offsetof(trainest_critical, best_steps_to_target), sizeof c);
    for (const double *x = &c.critical_batch; x <= &c.time_to_target_s; x++)
        expect(*x >= 0);
    for (const double *x = &c.best_steps_to_target; x <= &c.best_data_efficiency_ratio; x++)
        expect(*x >= 0);
    trainest_plan p;
    expect(tu_plan(&p, prq) == TRAINEST_OK);
    const double B = cr->noise_scale, G = (double)p.global_batch;
    const double s_min = cr->min_steps > 0 ? cr->min_steps : cr->min_samples / B;
    expect(c.critical_batch == B);
    expect(c.steps_to_target == ceil(s_min * (1 + B / G)));
    expect(c.samples_to_target == c.steps_to_target * G);
    expect(c.time_to_target_s == c.steps_to_target * c.step_s);
    /* the best batch: a whole split over the plan's replicas, within the cap */
    expect((u128)c.best_micro_batch * c.best_grad_accum_steps * p.data_parallel ==
           c.best_global_batch);
    expect(c.best_global_batch >= p.data_parallel);
    expect(!prq->max_micro_batch || c.best_micro_batch <= prq->max_micro_batch);
    if (cr->max_global_batch)
        expect(c.best_global_batch <= cr->max_global_batch ||
               c.best_global_batch == p.data_parallel);
    /* (the search times G as (double)n * (double)R: an ulp from (double)G) */
    const double best_steps = ceil(s_min * (1 + B / (double)c.best_global_batch));
    expect(fabs(c.best_steps_to_target - best_steps) <= 1 + 1e-12 * best_steps);
    expect(fabs(c.best_step_efficiency_ratio + c.best_data_efficiency_ratio - 1) <= 1e-12);
}

/* Every field of the critical-batch request at the edges (max_global_batch
 * up to 2^64 - 1: a geometric grid, not a scan), with S_min or E_min, with
 * and without a memory model that caps the micro-batch. */
static void test_edges_critical_every_field(void **state)
{
    (void)state;
    for (int with_samples = 0; with_samples < 2; with_samples++)
        for (int with_memory = 0; with_memory < 2; with_memory++)
            for (size_t f = 0; f < COUNT(critical_fields); f++)
                for (size_t i = 0; i < N_EDGES; i++) {
                    trainest_critical_request cr;
                    trainest_critical_request_init(&cr, sizeof cr);
                    cr.noise_scale = 1000;
                    if (with_samples)
                        cr.min_samples = 1e6;
                    else
                        cr.min_steps = 1000;
                    set_edge(&cr, &critical_fields[f], i);
                    /* with memory, grids to 2^53 and beyond factor every n
                     * for its divisors (about 50 ms each): once, not in quick */
                    const bool long_grid = (f == 1 && i >= 3) || (f == 4 && i >= 2);
                    if (with_memory && long_grid && (with_samples || quick()))
                        continue;
                    trainest_plan_request prq = base_plan();
                    trainest_memory_request mrq;
                    trainest_memory_request_init(&mrq, sizeof mrq);
                    mrq.params = 100000000;
                    mrq.activation_bytes_per_sample = 100000000;
                    mrq.device_memory_bytes = 4000000000; /* 1.6 GB of states: 24 samples fit */
                    snprintf(where, sizeof where, "critical_compute(%s = %s%s%s)",
                             critical_fields[f].name, edge_name(&critical_fields[f], i),
                             with_samples ? ", E_min" : ", S_min", with_memory ? ", memory" : "");
                    check_critical(&prq, with_memory ? &mrq : NULL, &cr);
                }
    /* noise scale against S_min, with max_global_batch unclamped */
    for (size_t i = 0; i < N_EDGES; i++)
        for (size_t j = 0; j < N_EDGES; j++) {
            trainest_critical_request cr;
            trainest_critical_request_init(&cr, sizeof cr);
            cr.noise_scale = reals[i];
            cr.min_steps = reals[j];
            cr.max_global_batch = ints[(i + j) % N_EDGES];
            const trainest_plan_request prq = base_plan();
            snprintf(where, sizeof where,
                     "critical_compute(noise_scale %s, min_steps %s, max_global_batch %s)",
                     edge_names[F64][i], edge_names[F64][j], edge_names[U64][(i + j) % N_EDGES]);
            check_critical(&prq, NULL, &cr);
        }
}

static const struct field eta_fields[] = {
    U32_FIELD(trainest_eta_config, reserved0),
    U64_FIELD(trainest_eta_config, total_steps),
    U64_FIELD(trainest_eta_config, steps_done),
    U64_FIELD(trainest_eta_config, warmup_steps),
    F64_FIELD(trainest_eta_config, outlier_ratio),
    F64_FIELD(trainest_eta_config, prior_step_s),
    U64_FIELD(trainest_eta_config, steps_per_epoch),
    F64_FIELD(trainest_eta_config, overhead_s_per_epoch),
    F64_FIELD(trainest_eta_config, job_mtbf_s),
    F64_FIELD(trainest_eta_config, restart_s),
    F64_FIELD(trainest_eta_config, checkpoint_write_s),
    F64_FIELD(trainest_eta_config, checkpoint_interval_s),
};

/* The set_samples() arguments, as a struct so that the table can name them. */
struct eta_samples {
    uint64_t total_samples, samples_done;
};

static const struct field eta_samples_fields[] = {
    U64_FIELD(struct eta_samples, total_samples),
    U64_FIELD(struct eta_samples, samples_done),
};

#define ETA_STEPS 12

struct eta_run {
    int status; /* of the report */
    trainest_eta_report report;
};

/* Start a tracker, tell it the samples (unless total_samples is 0 and
 * samples_done too: then it is not called), feed ETA_STEPS steps of a
 * growing batch and one edge step, and report. Checks every call's status
 * and the report against the counts fed. */
static struct eta_run run_eta(const trainest_eta_config *c, const struct eta_samples *sa,
                              double edge_step_s, uint64_t edge_samples)
{
    struct eta_run out;
    memset(&out, 0, sizeof out);
    trainest_eta e;
    int st = trainest_eta_init(&e, sizeof e, c);
    expect_status(st, ST_ETA_INIT);
    if (st) {
        out.status = st;
        return out;
    }
    if (sa->total_samples || sa->samples_done) {
        st = trainest_eta_set_samples(&e, sa->total_samples, sa->samples_done);
        expect_status(st, ST_ETA_SAMPLES);
        expect(st == (!sa->total_samples                         ? TRAINEST_E_ZERO
                      : sa->samples_done > sa->total_samples ? TRAINEST_E_INCONSISTENT
                                                             : TRAINEST_OK));
    }
    u128 samples = 0;
    uint64_t steps = 0;
    for (int k = 0; k <= ETA_STEPS; k++) {
        const double step_s = k < ETA_STEPS ? 0.5 + 0.01 * k : edge_step_s;
        const uint64_t n = k < ETA_STEPS ? 64 * (uint64_t)(1 + k / 4) : edge_samples;
        st = trainest_eta_update(&e, step_s, n);
        expect_status(st, ST_ETA_UPDATE);
        const int want = !isfinite(step_s)        ? TRAINEST_E_NOT_FINITE
                         : step_s < 0             ? TRAINEST_E_OUT_OF_RANGE
                         : samples + n > TOP      ? TRAINEST_E_OVERFLOW
                                                  : TRAINEST_OK;
        expect(st == want);
        if (!st) {
            samples += n;
            steps++;
        }
    }
    out.report.struct_size = sizeof out.report;
    const double now = 1.7e9;
    st = trainest_eta_report_compute(&out.report, &e, now);
    expect_status(st, ST_ETA_REPORT);
    out.status = st;
    if (st)
        return out;
    const trainest_eta_report *r = &out.report;
    check_doubles(r, offsetof(trainest_eta_report, progress_ratio), sizeof *r);
    const u128 done = (u128)c->steps_done + steps;
    expect(r->steps_done == (done > TOP ? UINT64_MAX : done));
    expect(r->steps_remaining == (done < c->total_steps ? c->total_steps - done : 0));
    expect(r->samples_done == samples);
    expect(r->progress_ratio >= 0 && r->progress_ratio <= 1);
    expect(r->elapsed_s >= 0 && r->step_s >= 0 && r->step_sd_s >= 0 && r->samples_per_s >= 0);
    expect(r->remaining_p10_s >= 0);
    expect(r->remaining_p10_s <= r->remaining_p50_s * (1 + 1e-12));
    expect(r->remaining_p50_s <= r->remaining_p90_s * (1 + 1e-12));
    expect(r->finish_p10_unix_s == now + r->remaining_p10_s);
    expect(r->finish_p50_unix_s == now + r->remaining_p50_s);
    expect(r->finish_p90_unix_s == now + r->remaining_p90_s);
    return out;
}

static void check_eta(const trainest_eta_config *c, const struct eta_samples *sa, double edge_step_s,
                      uint64_t edge_samples)
{
    const struct eta_run run = run_eta(c, sa, edge_step_s, edge_samples);
    if (run.status || !(c->job_mtbf_s > 0))
        return;
    /* Failures cost time: against the same run without them, the expected
     * remaining time is no less, and more when the MTBF is shorter than the
     * remaining work (at least one failure is then expected). */
    trainest_eta_config none = *c;
    none.job_mtbf_s = 0;
    const struct eta_run base = run_eta(&none, sa, edge_step_s, edge_samples);
    expect(base.status == TRAINEST_OK);
    const double work = base.report.remaining_s;
    expect(run.report.remaining_s >= work);
    if (c->job_mtbf_s < work)
        expect(run.report.remaining_s > work);
}

static trainest_eta_config base_eta(bool failures)
{
    trainest_eta_config c;
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 10000;
    c.steps_done = 100;
    c.warmup_steps = 2;
    c.prior_step_s = 0.5;
    c.steps_per_epoch = 1000;
    c.overhead_s_per_epoch = 60;
    if (failures) {
        c.job_mtbf_s = 86400;
        c.restart_s = 300;
        c.checkpoint_write_s = 60;
    }
    return c;
}

/* Every configuration field, both set_samples() arguments and both
 * update() arguments at the edges. The failure model (job_mtbf_s and the
 * times it uses) is on only where those fields vary: it is the slow part. */
static void test_edges_eta_every_field(void **state)
{
    (void)state;
    const struct eta_samples base_samples = {10000 * 128, 100 * 128};
    for (size_t f = 0; f < COUNT(eta_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++) {
            const bool failures = eta_fields[f].offset >= offsetof(trainest_eta_config, job_mtbf_s);
            trainest_eta_config c = base_eta(failures);
            set_edge(&c, &eta_fields[f], i);
            snprintf(where, sizeof where, "eta(config %s = %s)", eta_fields[f].name,
                     edge_name(&eta_fields[f], i));
            check_eta(&c, &base_samples, 0.5, 64);
        }
    for (size_t f = 0; f < COUNT(eta_samples_fields); f++)
        for (size_t i = 0; i < N_EDGES; i++)
            for (int failures = 0; failures < (quick() ? 1 : 2); failures++) {
                const trainest_eta_config c = base_eta(failures);
                struct eta_samples sa = base_samples;
                set_edge(&sa, &eta_samples_fields[f], i);
                snprintf(where, sizeof where, "eta(set_samples %s = %s%s)",
                         eta_samples_fields[f].name, edge_name(&eta_samples_fields[f], i),
                         failures ? ", failures" : "");
                check_eta(&c, &sa, 0.5, 64);
            }
    /* the last update at the edges of both its arguments */
    for (size_t i = 0; i < N_EDGES; i++)
        for (size_t j = 0; j < N_EDGES; j++) {
            const trainest_eta_config c = base_eta(false);
            snprintf(where, sizeof where, "eta(update step_s %s, samples %s)", edge_names[F64][i],
                     edge_names[U64][j]);
            check_eta(&c, &base_samples, reals[i], ints[j]);
            check_eta(&c, &base_samples, -reals[i], ints[j]);
        }
    /* an MTBF too short to represent in hours, and a restart longer than it */
    const double mtbfs[] = {4.9406564584124654e-324, 1e-320, 1e-300, 1, 1e300};
    for (size_t i = 0; i < COUNT(mtbfs); i++) {
        trainest_eta_config c = base_eta(true);
        c.job_mtbf_s = mtbfs[i];
        snprintf(where, sizeof where, "eta(job_mtbf_s %g)", mtbfs[i]);
        check_eta(&c, &base_samples, 0.5, 64);
    }
}

/* Sequences: a tracker at the edges of total_steps, steps_done and the
 * prior, fed one edge step after another, reported after each. */
static void test_edges_eta(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EDGES; i++) {
        trainest_eta_config c;
        trainest_eta_config_init(&c, sizeof c);
        c.total_steps = ints[i] ? ints[i] : 1;
        c.steps_done = ints[i] / 2;
        c.prior_step_s = reals[i];
        snprintf(where, sizeof where, "eta_init(total_steps %s, prior_step_s %s)", edge_names[U64][i],
                 edge_names[F64][i]);
        trainest_eta e;
        int st = trainest_eta_init(&e, sizeof e, &c);
        expect_status(st, ST_ETA_INIT);
        if (st)
            continue;
        for (size_t j = 0; j < N_EDGES; j++) {
            snprintf(where, sizeof where, "eta(total_steps %s, prior_step_s %s, update %zu)",
                     edge_names[U64][i], edge_names[F64][i], j);
            st = trainest_eta_update(&e, reals[j], ints[j]);
            expect_status(st, ST_ETA_UPDATE);
            trainest_eta_report r;
            memset(&r, 0, sizeof r);
            r.struct_size = sizeof r;
            st = trainest_eta_report_compute(&r, &e, 1.7e9);
            expect_status(st, ST_ETA_REPORT);
            if (st == TRAINEST_OK) {
                check_doubles(&r, offsetof(trainest_eta_report, progress_ratio), sizeof r);
                expect(r.remaining_p10_s <= r.remaining_p50_s + 1e-9 * r.remaining_p50_s &&
                       r.remaining_p50_s <= r.remaining_p90_s * (1 + 1e-12));
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges_plan_every_integer_field),
        cmocka_unit_test(test_edges_batch_product_overflows_by_one),
        cmocka_unit_test(test_edges_estimate_every_field),
        cmocka_unit_test(test_edges_estimate_workers_every_field),
        cmocka_unit_test(test_edges_estimate_workers_plan_counts),
        cmocka_unit_test(test_edges_loader_calibrate_every_field),
        cmocka_unit_test(test_edges_tradeoff_every_field),
        cmocka_unit_test(test_edges_layout_suggest_every_field),
        cmocka_unit_test(test_edges_step_calibrate_every_field),
        cmocka_unit_test(test_edges_memory_every_field),
        cmocka_unit_test(test_edges_memory_overflows_by_one),
        cmocka_unit_test(test_edges_memory_for_plan_every_field),
        cmocka_unit_test(test_edges_memory_for_plan_in_flight),
        cmocka_unit_test(test_edges_memory_calibrate_every_field),
        cmocka_unit_test(test_edges_search_every_field),
        cmocka_unit_test(test_edges_failure_every_field),
        cmocka_unit_test(test_edges_rampup_every_field),
        cmocka_unit_test(test_edges_critical_every_field),
        cmocka_unit_test(test_edges_eta_every_field),
        cmocka_unit_test(test_edges_eta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
