/* SPDX-License-Identifier: MIT */
/* Device memory: model states sharded by ZeRO, activations linear in the
 * micro-batch, the budget after headroom, the largest micro-batch that fits,
 * and the robust fit of measured peaks (docs/memory.md). */
#include "memory.h"

#include <math.h>
#include <string.h>

#include "abi.h"
#include "fit.h"
#include "intmath.h"
#include "plan.h"
#include "sizes.h"

#define FAIL(status, fld)                                                                      \
    do {                                                                                       \
        *field = (fld);                                                                        \
        return (status);                                                                       \
    } while (0)

#define MAX_POINTS 65536u
#define IRLS_ITERATIONS 60

int trainest_priv_memory_check(const trainest_memory_request *rq, uint32_t *field)
{
    if (rq->zero_stage > 3)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_ZERO_STAGE);
    if (rq->recompute > TRAINEST_RECOMPUTE_SELECTIVE)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_MEMORY_RECOMPUTE);
    if (rq->reserved0 || rq->reserved1)
        FAIL(TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
    if (rq->params && rq->static_bytes)
        FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_STATIC_BYTES);
    if (!isfinite(rq->headroom_ratio))
        FAIL(TRAINEST_E_NOT_FINITE, TRAINEST_FIELD_HEADROOM_RATIO);
    if (rq->headroom_ratio < 0 || rq->headroom_ratio >= 1)
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_HEADROOM_RATIO);
    return TRAINEST_OK;
}

/* Bytes of `bits` per element for ceil(params / shards) elements. */
static uint64_t state_bytes(uint64_t params, uint64_t shards, uint32_t bits, bool *overflow)
{
    const uint64_t elements = tr_div_ceil(params, shards);
    const tr_u128 total_bits = (tr_u128)elements * bits;
    const tr_u128 bytes = total_bits / 8 + (total_bits % 8 != 0);
    if (bytes > UINT64_MAX)
        *overflow = true;
    return (uint64_t)bytes;
}

/* A real number that should be a whole byte count: values within a relative
 * 1e-12 of an integer are that integer, everything else rounds in the
 * named direction. */
static long double snap(long double x)
{
    const long double r = nearbyintl(x);
    return fabsl(x - r) <= 1e-12L * (fabsl(x) > 1 ? fabsl(x) : 1) ? r : x;
}

/* floor(device * (1 - headroom)), computed exactly: 1 - headroom is a
 * double m * 2^-k with a 53-bit integer m, so device * m fits 117 bits.
 * The ratio itself carries the rounding of a decimal to binary (at most
 * 2^-52 relative after the subtraction), so a product less than
 * device * 2^-52 below an integer counts as that integer: 100 bytes with
 * 30 % headroom is a budget of 70, not 69. The result is the floor or one
 * more, and never above device. */
static uint64_t budget(uint64_t device, double headroom)
{
    if (!device)
        return UINT64_MAX;
    const double keep = 1.0 - headroom;
    if (keep >= 1)
        return device;
    if (!(keep > 0))
        return 0;
    int e;
    const double f = frexp(keep, &e); /* keep = f * 2^e, f in [0.5, 1), e <= 0 */
    const uint64_t m = (uint64_t)ldexp(f, 53);
    const int k = 53 - e;
    if (k >= 128)
        return 0; /* the product is below 2^-11 */
    const tr_u128 p = (tr_u128)device * m, one = (tr_u128)1 << k;
    const uint64_t whole = (uint64_t)(p >> k); /* < device: keep < 1 */
    const tr_u128 frac = p & (one - 1);
    if (frac > one / 2 && ldexp((double)(one - frac), -k) <= ldexp((double)device, -52))
        return whole + 1 < device ? whole + 1 : device;
    return whole;
}

/* The largest m with static + act(m) <= budget, act nondecreasing in m;
 * act(m) is computed exactly, the bisection keeps it so. */
static uint64_t max_fit(const struct tr_mem_shape *shape, uint64_t static_bytes, uint64_t budget)
{
    if (budget < static_bytes)
        return 0;
    const uint64_t room = budget - static_bytes;
    uint64_t lo = 0, hi = UINT64_MAX;
    bool overflow = false;
    if (trainest_priv_activation_bytes(shape, 1, &overflow) == 0 && !overflow)
        return UINT64_MAX; /* activations cost nothing */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2 + 1;
        overflow = false;
        uint64_t act = trainest_priv_activation_bytes(shape, mid, &overflow);
        if (!overflow && act <= room)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* a * b in 128 bits; sets *overflow instead of wrapping */
static tr_u128 mul128(tr_u128 a, tr_u128 b, bool *overflow)
{
    tr_u128 r;
    if (__builtin_mul_overflow(a, b, &r))
        *overflow = true;
    return r;
}

/* ceil(a * b / d) where a * b needs more than 128 bits: the 256-bit
 * product, then restoring division. A quotient beyond 2^64 - 1 sets
 * *overflow. */
static uint64_t mul_div_ceil_wide(tr_u128 a, tr_u128 b, tr_u128 d, bool *overflow)
{
    const tr_u128 low = UINT64_MAX;
    const tr_u128 p00 = (a & low) * (b & low), p01 = (a & low) * (b >> 64),
                  p10 = (a >> 64) * (b & low), p11 = (a >> 64) * (b >> 64);
    const tr_u128 mid = (p00 >> 64) + (p01 & low) + (p10 & low);
    const tr_u128 lo = (p00 & low) | mid << 64;
    tr_u128 r = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64), q = 0; /* r: the high half */
    if (r >= d) { /* a quotient of 2^128 or more */
        *overflow = true;
        return UINT64_MAX;
    }
    for (int i = 127; i >= 0; i--) { /* invariant: r < d */
        const bool carry = r >> 127;
        r = r << 1 | (lo >> i & 1);
        q <<= 1;
        if (carry || r >= d) {
            r -= d;
            q |= 1;
        }
    }
    if (q > UINT64_MAX || (q == UINT64_MAX && r)) {
        *overflow = true;
        return UINT64_MAX;
    }
    return (uint64_t)(q + (r != 0));
}

/* Activation bytes of one device for a micro-batch of m samples. Every
 * intermediate is a checked 128-bit product, and a result beyond 2^64 - 1
 * sets *overflow. One micro-batch beyond 2^128 - 1 bytes is beyond that on
 * any device; its product with the micro-batches in flight is not: that
 * one goes to 256 bits (PP 2^24 and v 2^20 give a factor near 2^68). */
uint64_t trainest_priv_activation_bytes(const struct tr_mem_shape *s, uint64_t m, bool *overflow)
{
    bool ovf = false;
    tr_u128 per_mb; /* one micro-batch on this device, before ceil */
    if (s->per_sample) {
        per_mb = (tr_u128)s->per_sample * m;
    } else {
        /* Korthikanti et al. 2022, Megatron with sequence parallelism:
         * per layer s m h (34 + 5 a s / h) bytes; selective 34 s m h; full
         * recompute 2 s m h; all divided by TP, for layers / PP layers. */
        const tr_u128 smh = mul128((tr_u128)s->seq * m, s->hidden, &ovf);
        tr_u128 per_layer = mul128(smh, s->recompute == TRAINEST_RECOMPUTE_FULL ? 2 : 34, &ovf);
        if (s->recompute != TRAINEST_RECOMPUTE_FULL && s->recompute != TRAINEST_RECOMPUTE_SELECTIVE) {
            const tr_u128 scores =
                mul128(mul128((tr_u128)5 * s->heads, (tr_u128)s->seq * s->seq, &ovf), m, &ovf);
            if (__builtin_add_overflow(per_layer, scores, &per_layer))
                ovf = true;
        }
        per_mb = mul128(per_layer, s->layers, &ovf);
    }
    /* in flight: in_num / in_den micro-batches */
    const tr_u128 d = mul128((tr_u128)s->tp * s->act_pp, s->in_den, &ovf);
    tr_u128 num = 0;
    if (!ovf && __builtin_mul_overflow(per_mb, s->in_num, &num))
        return mul_div_ceil_wide(per_mb, s->in_num, d, overflow);
    if (ovf || num / d + (num % d != 0) > UINT64_MAX) {
        *overflow = true;
        return UINT64_MAX;
    }
    return (uint64_t)(num / d + (num % d != 0));
}

static int fill(trainest_memory *m, const trainest_memory_request *rq, const struct tr_mem_shape *shape,
                uint64_t micro_batch, uint64_t data_parallel, uint32_t *field)
{
    const uint32_t size = m->struct_size;
    memset(m, 0, sizeof *m);
    m->struct_size = size;
    if (rq->static_bytes) {
        m->static_bytes = rq->static_bytes;
    } else {
        /* each device holds 1 / (TP PP) of the parameters, then ZeRO shards
         * over the data-parallel replicas */
        const uint64_t P = tr_div_ceil(rq->params, shape->tp * shape->pp);
        const uint64_t R = data_parallel, z = rq->zero_stage;
        bool overflow = false;
        m->weights_bytes = state_bytes(P, z >= 3 ? R : 1, rq->weight_bits_per_param, &overflow);
        m->grads_bytes = state_bytes(P, z >= 2 ? R : 1, rq->grad_bits_per_param, &overflow);
        m->optimizer_bytes = state_bytes(P, z >= 1 ? R : 1, rq->optimizer_bits_per_param, &overflow);
        if (overflow || tr_add_overflow(m->weights_bytes, m->grads_bytes, &m->static_bytes) ||
            tr_add_overflow(m->static_bytes, m->optimizer_bytes, &m->static_bytes) ||
            tr_add_overflow(m->static_bytes, rq->overhead_bytes, &m->static_bytes))
            FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_MEMORY_PARAMS);
    }
    bool overflow = false;
    m->activation_bytes = trainest_priv_activation_bytes(shape, micro_batch, &overflow);
    if (overflow)
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE);
    struct tr_mem_shape one = *shape;
    one.in_num = one.in_den = 1;
    m->activation_bytes_per_micro_batch = trainest_priv_activation_bytes(&one, micro_batch, &overflow);
    m->micro_batches_in_flight = (double)shape->in_num / (double)shape->in_den;
    if (tr_add_overflow(m->static_bytes, m->activation_bytes, &m->total_bytes))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE);
    m->budget_bytes = budget(rq->device_memory_bytes, rq->headroom_ratio);
    m->max_micro_batch = rq->device_memory_bytes ? max_fit(shape, m->static_bytes, m->budget_bytes)
                                                 : UINT64_MAX;
    m->fits = m->total_bytes <= m->budget_bytes;
    if (rq->device_memory_bytes)
        m->headroom_ratio = 1.0 - (double)m->total_bytes / (double)rq->device_memory_bytes;
    return TRAINEST_OK;
}

void trainest_priv_memory_shape(struct tr_mem_shape *s, const trainest_memory_request *rq)
{
    memset(s, 0, sizeof *s);
    s->per_sample = rq->activation_bytes_per_sample;
    s->tp = s->pp = s->act_pp = 1;
    s->in_num = s->in_den = 1;
    s->recompute = rq->recompute;
}

void trainest_priv_memory_shape_in_flight(struct tr_mem_shape *s, uint64_t pp, uint64_t v,
                                          uint64_t micro_batches)
{
    /* 1F1B: the first stage holds up to PP micro-batches; interleaving
     * raises that by 1 + (PP - 1) / (PP v) (Narayanan et al. 2021). In
     * 128 bits: with PP v < 2^64 (the layout checks) the product cannot
     * wrap (held <= PP <= 2^63 when v >= 2). */
    const uint64_t held = pp < micro_batches ? pp : micro_batches;
    s->in_num = held;
    s->in_den = 1;
    if (v > 1 && pp > 1) {
        s->in_num = (tr_u128)held * ((tr_u128)pp * v + pp - 1);
        s->in_den = (tr_u128)pp * v;
    }
}

int trainest_priv_memory_plan_shape(struct tr_mem_shape *s, const trainest_memory_request *rq,
                                    const trainest_plan_request *prq, uint64_t tp, uint64_t pp,
                                    uint64_t v, uint64_t micro_batches, uint32_t *field)
{
    trainest_priv_memory_shape(s, rq);
    s->tp = tp;
    s->pp = pp;
    s->act_pp = pp;
    if (!s->per_sample) {
        if (!prq->layers || !prq->hidden || !prq->attention_heads || !prq->seq_len_tokens)
            FAIL(TRAINEST_E_UNDERSPECIFIED, !prq->layers ? TRAINEST_FIELD_LAYERS
                                            : !prq->hidden ? TRAINEST_FIELD_HIDDEN
                                            : !prq->attention_heads ? TRAINEST_FIELD_ATTENTION_HEADS
                                                                     : TRAINEST_FIELD_SEQ_LEN_TOKENS);
        s->layers = prq->layers;
        s->hidden = prq->hidden;
        s->heads = prq->attention_heads;
        s->seq = prq->seq_len_tokens;
        s->act_pp = 1; /* the per-layer formula counts the stage's own layers */
        s->layers = prq->layers / pp;
    }
    trainest_priv_memory_shape_in_flight(s, pp, v, micro_batches);
    return TRAINEST_OK;
}

void trainest_priv_memory_layout_shape(struct tr_mem_shape *s, const trainest_memory_request *rq,
                                       const trainest_plan_request *prq, uint64_t tp, uint64_t pp,
                                       uint64_t v, uint64_t micro_batches)
{
    uint32_t field;
    if (rq->activation_bytes_per_sample ||
        trainest_priv_memory_plan_shape(s, rq, prq, tp, pp, v, micro_batches, &field) != TRAINEST_OK)
        trainest_priv_memory_shape(s, rq);
    s->tp = tp;
    s->pp = pp;
    if (s->per_sample) {
        s->act_pp = pp;
        trainest_priv_memory_shape_in_flight(s, pp, v, micro_batches);
    }
}

int trainest_priv_memory(trainest_memory *m, const trainest_memory_request *rq,
                         uint64_t micro_batch, uint64_t data_parallel, uint32_t *field)
{
    struct tr_mem_shape shape;
    trainest_priv_memory_shape(&shape, rq);
    return fill(m, rq, &shape, micro_batch, data_parallel, field);
}

int trainest_priv_memory_for(trainest_memory *m, const trainest_memory_request *rq,
                             const struct tr_mem_shape *shape, uint64_t micro_batch,
                             uint64_t data_parallel, uint32_t *field)
{
    return fill(m, rq, shape, micro_batch, data_parallel, field);
}

int trainest_memory_request_init(trainest_memory_request *out, uint32_t struct_size)
{
    if (!out)
        return TRAINEST_E_NULL;
    if (struct_size < TR_SIZE_MEMORY_REQUEST_0_3 || struct_size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    trainest_memory_request d;
    memset(&d, 0, sizeof d);
    d.struct_size = struct_size;
    /* mixed-precision Adam: 2 + 2 + 12 bytes per parameter (ZeRO paper) */
    d.weight_bits_per_param = 16;
    d.grad_bits_per_param = 16;
    d.optimizer_bits_per_param = 96;
    memset(out, 0, struct_size);
    memcpy(out, &d, struct_size < sizeof d ? struct_size : sizeof d);
    return TRAINEST_OK;
}

int trainest_memory_compute(trainest_memory *out, const trainest_memory_request *request,
                            uint64_t micro_batch, uint64_t data_parallel)
{
    int st = trainest_priv_check_output(out, TR_SIZE_MEMORY_0_3);
    if (st)
        return st;
    trainest_memory m;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    trainest_memory_request rq;
    uint32_t field = TRAINEST_FIELD_NONE;
    if ((st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_MEMORY_REQUEST_0_3)))
        field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    else if (!data_parallel) {
        st = TRAINEST_E_ZERO;
        field = TRAINEST_FIELD_DATA_PARALLEL;
    } else if (!(st = trainest_priv_memory_check(&rq, &field)))
        st = trainest_priv_memory(&m, &rq, micro_batch, data_parallel, &field);
    if (st) {
        memset(&m, 0, sizeof m);
        m.invalid_field = field;
    }
    trainest_priv_write_output(out, &m, sizeof m);
    return st;
}

int trainest_memory_for_plan(trainest_memory *out, const trainest_memory_request *request,
                             const trainest_plan_request *plan_request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_MEMORY_0_3);
    if (st)
        return st;
    trainest_memory m;
    memset(&m, 0, sizeof m);
    m.struct_size = sizeof m;
    trainest_memory_request rq;
    trainest_plan_request prq;
    uint32_t field = TRAINEST_FIELD_NONE;
    if ((st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_MEMORY_REQUEST_0_3)) ||
        (st = trainest_priv_read_input(&prq, sizeof prq, plan_request, TR_SIZE_PLAN_REQUEST_0_1))) {
        field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    } else if (!(st = trainest_priv_memory_check(&rq, &field))) {
        trainest_plan p;
        p.struct_size = sizeof p;
        if ((st = trainest_priv_plan_compute(&p, &prq))) {
            field = p.invalid_field;
        } else {
            struct tr_mem_shape shape;
            if (!(st = trainest_priv_memory_plan_shape(&shape, &rq, &prq, p.tensor_parallel,
                                                       p.pipeline_parallel, p.virtual_stages,
                                                       p.micro_batches_per_step, &field)))
                st = fill(&m, &rq, &shape, p.micro_batch, p.data_parallel, &field);
        }
    }
    if (st) {
        memset(&m, 0, sizeof m);
        m.invalid_field = field;
    }
    trainest_priv_write_output(out, &m, sizeof m);
    return st;
}

/* ---- Fitting measured peaks ---------------------------------------------- */

static void point(const unsigned char *base, size_t stride, uint32_t i, double *m, double *peak)
{
    trainest_memory_point p;
    memcpy(&p, base + (size_t)i * stride, sizeof p);
    *m = (double)p.micro_batch;
    *peak = (double)p.peak_bytes;
}

static int check_points(const unsigned char *base, size_t stride, uint32_t count,
                        trainest_memory_fit *f)
{
    uint64_t m0 = 0;
    bool distinct = false;
    for (uint32_t i = 0; i < count; i++) {
        trainest_memory_point p;
        int st = trainest_priv_read_element(&p, sizeof p, base, (uint32_t)stride, i,
                                            TR_SIZE_MEMORY_POINT_0_3);
        if (st == TRAINEST_OK && p.reserved0)
            st = TRAINEST_E_UNSUPPORTED;
        f->invalid_index = i;
        if (st) {
            f->invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            return st;
        }
        if (!p.micro_batch || !p.peak_bytes) {
            f->invalid_field = p.micro_batch ? TRAINEST_FIELD_MEMORY_POINT_PEAK_BYTES
                                             : TRAINEST_FIELD_MEMORY_POINT_MICRO_BATCH;
            return TRAINEST_E_ZERO;
        }
        if (i == 0)
            m0 = p.micro_batch;
        else if (p.micro_batch != m0)
            distinct = true;
    }
    f->invalid_index = UINT32_MAX;
    if (!distinct) {
        f->invalid_field = TRAINEST_FIELD_MEMORY_POINTS;
        return TRAINEST_E_TOO_FEW_POINTS;
    }
    return TRAINEST_OK;
}

/* Least absolute relative deviations for peak = s + p * m, by IRLS. */
static int fit_line(const unsigned char *base, size_t stride, uint32_t count, trainest_memory_fit *f)
{
    double beta[2] = {0, 0};
    for (int it = 0; it < IRLS_ITERATIONS; it++) {
        struct tr_normal_eq ne;
        trainest_priv_normal_init(&ne, 2);
        for (uint32_t i = 0; i < count; i++) {
            double m, y;
            point(base, stride, i, &m, &y);
            const double x[2] = {1, m};
            double w = 1.0 / (y * y);
            if (it > 0) {
                const double r = fabs(beta[0] + beta[1] * m - y) / y;
                w /= r > 1e-9 ? r : 1e-9;
            }
            trainest_priv_normal_add(&ne, x, y, w);
        }
        if (!trainest_priv_normal_solve(&ne, beta)) {
            f->invalid_field = TRAINEST_FIELD_MEMORY_POINTS;
            return TRAINEST_E_UNIDENTIFIABLE;
        }
    }
    /* Memory never shrinks with the micro-batch; a negative intercept is a
     * line the data cannot support either. */
    if (!(beta[0] >= 0) || !(beta[1] >= 0) || beta[0] >= 1.8e19 || beta[1] >= 1.8e19) {
        f->invalid_field = TRAINEST_FIELD_MEMORY_POINTS;
        return TRAINEST_E_UNIDENTIFIABLE;
    }
    f->static_bytes = (uint64_t)ceill(snap(beta[0]));
    f->per_sample_bytes = (uint64_t)ceill(snap(beta[1]));
    double max_r = 0;
    for (uint32_t i = 0; i < count; i++) {
        double m, y;
        point(base, stride, i, &m, &y);
        const double r = fabs((double)f->static_bytes + (double)f->per_sample_bytes * m - y) / y;
        max_r = r > max_r ? r : max_r;
    }
    f->max_residual_ratio = max_r;
    f->points = count;
    return TRAINEST_OK;
}

int trainest_memory_calibrate(trainest_memory_fit *out, const trainest_memory_point *points,
                              uint32_t count)
{
    int st = trainest_priv_check_output(out, TR_SIZE_MEMORY_FIT_0_3);
    if (st)
        return st;
    trainest_memory_fit f;
    memset(&f, 0, sizeof f);
    f.invalid_index = UINT32_MAX;
    if (count < 2 || count > MAX_POINTS) {
        st = count < 2 ? TRAINEST_E_TOO_FEW_POINTS : TRAINEST_E_OUT_OF_RANGE;
        f.invalid_field = TRAINEST_FIELD_MEMORY_POINTS;
    } else if (!points) {
        st = TRAINEST_E_NULL;
        f.invalid_field = TRAINEST_FIELD_MEMORY_POINTS;
    } else {
        uint32_t stride;
        memcpy(&stride, points, sizeof stride);
        const unsigned char *base = (const unsigned char *)points;
        if (stride < TR_SIZE_MEMORY_POINT_0_3 || stride > TR_MAX_STRUCT_SIZE) {
            st = TRAINEST_E_STRUCT_SIZE;
            f.invalid_field = TRAINEST_FIELD_STRUCT_SIZE;
            f.invalid_index = 0;
        } else if (!(st = check_points(base, stride, count, &f))) {
            st = fit_line(base, stride, count, &f);
        }
    }
    if (st) {
        trainest_memory_fit z;
        memset(&z, 0, sizeof z);
        z.invalid_field = f.invalid_field;
        z.invalid_index = f.invalid_index;
        f = z;
    }
    trainest_priv_write_output(out, &f, sizeof f);
    return st;
}

int trainest_memory_point_init(trainest_memory_point *out, uint32_t struct_size)
{
    return trainest_priv_init_zeroed(out, struct_size, TR_SIZE_MEMORY_POINT_0_3);
}
