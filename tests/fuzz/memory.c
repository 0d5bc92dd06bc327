/* SPDX-License-Identifier: MIT */
/* Fuzz target: the memory model (trainest_memory_request_init,
 * trainest_memory_compute, trainest_memory_for_plan, trainest_memory_calibrate).
 * See tests/fuzz/README.md.
 *
 * Input: flags byte, memory request, plan request (fz_struct each),
 * micro_batch and data_parallel (fz_arg_u64), point array
 * (fz_input_array), init size mode, then an output size mode per call. */
#define FZ_TARGET "memory"
#define FZ_MAX_LEN 2048
#include "fuzz_util.h"

#include "sizes.h"

#define MEM_RQ sizeof(trainest_memory_request)
#define PLAN_RQ sizeof(trainest_plan_request)
#define POINT sizeof(trainest_memory_point)
#define MEM sizeof(trainest_memory)

static _Alignas(16) unsigned char mrq_buf[FZ_MAX_STRUCT + FZ_GUARD], prq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char pts_buf[1 << 20];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];

__extension__ typedef unsigned __int128 u128;

/* ceil(ceil(params / shards) * bits / 8), or UINT64_MAX + 1 as "too big" */
static u128 state_bytes(uint64_t params, uint64_t shards, uint32_t bits)
{
    const u128 el = params / shards + (params % shards != 0);
    const u128 b = el * bits;
    return b / 8 + (b % 8 != 0);
}

static int memory_call(trainest_memory *m, const trainest_memory_request *rq, uint64_t mb, uint64_t R)
{
    memset(m, 0, sizeof *m);
    m->struct_size = sizeof *m;
    return trainest_memory_compute(m, rq, mb, R);
}

/* Invariants of every successful memory breakdown. */
static void check_common(const char *what, const trainest_memory *m, const trainest_memory_request *rq)
{
    uint64_t total;
    FZ_SCHECK(what, "total", !__builtin_add_overflow(m->static_bytes, m->activation_bytes, &total) &&
                                  total == m->total_bytes,
              "total_bytes %llu != static %llu + activations %llu", (unsigned long long)m->total_bytes,
              (unsigned long long)m->static_bytes, (unsigned long long)m->activation_bytes);
    FZ_SCHECK(what, "fits", m->fits == (uint32_t)(m->total_bytes <= m->budget_bytes),
              "fits %u, total %llu, budget %llu", (unsigned)m->fits, (unsigned long long)m->total_bytes,
              (unsigned long long)m->budget_bytes);
    FZ_SCHECK(what, "reserved", m->reserved0 == 0, "reserved0 %u", (unsigned)m->reserved0);
    FZ_FINITE(what, m->headroom_ratio);
    FZ_SCHECK(what, "in-flight", isfinite(m->micro_batches_in_flight) && m->micro_batches_in_flight >= 1,
              "micro_batches_in_flight %g", m->micro_batches_in_flight);
    if (!rq->device_memory_bytes) {
        FZ_SCHECK(what, "unlimited", m->budget_bytes == UINT64_MAX && m->max_micro_batch == UINT64_MAX &&
                                         m->headroom_ratio == 0,
                  "no device memory, but budget %llu, max_micro_batch %llu, headroom %g",
                  (unsigned long long)m->budget_bytes, (unsigned long long)m->max_micro_batch,
                  m->headroom_ratio);
    } else {
        FZ_SCHECK(what, "budget", m->budget_bytes <= rq->device_memory_bytes &&
                                      (double)m->budget_bytes >=
                                          floor((double)rq->device_memory_bytes * (1 - rq->headroom_ratio)) *
                                                  (1 - 1e-12) - 2,
                  "budget %llu for %llu bytes with headroom %.17g", (unsigned long long)m->budget_bytes,
                  (unsigned long long)rq->device_memory_bytes, rq->headroom_ratio);
        FZ_SCHECK(what, "headroom",
                  fz_close(m->headroom_ratio, 1.0 - (double)m->total_bytes / (double)rq->device_memory_bytes, 1e-12) ||
                      fabs(m->headroom_ratio - (1.0 - (double)m->total_bytes / (double)rq->device_memory_bytes)) < 1e-15,
                  "headroom_ratio %.17g, 1 - total / device is %.17g", m->headroom_ratio,
                  1.0 - (double)m->total_bytes / (double)rq->device_memory_bytes);
    }
    if (rq->static_bytes)
        FZ_SCHECK(what, "static-given", m->static_bytes == rq->static_bytes && !m->weights_bytes &&
                                            !m->grads_bytes && !m->optimizer_bytes,
                  "static_bytes %llu given, %llu reported (weights %llu)", (unsigned long long)rq->static_bytes,
                  (unsigned long long)m->static_bytes, (unsigned long long)m->weights_bytes);
    else
        FZ_SCHECK(what, "static-sum",
                  (u128)m->weights_bytes + m->grads_bytes + m->optimizer_bytes + rq->overhead_bytes ==
                      m->static_bytes,
                  "static_bytes %llu != weights + grads + optimizer + overhead",
                  (unsigned long long)m->static_bytes);
}

/* memory_compute: no model parallelism, the request's own per-sample bytes. */
static void check_compute(const trainest_memory *m, const trainest_memory_request *rq, uint64_t mb, uint64_t R)
{
    const char *what = "trainest_memory_compute";
    check_common(what, m, rq);
    FZ_SCHECK(what, "activations", (u128)rq->activation_bytes_per_sample * mb == m->activation_bytes &&
                                       m->activation_bytes_per_micro_batch == m->activation_bytes &&
                                       m->micro_batches_in_flight == 1,
              "activation_bytes %llu for %llu bytes per sample * micro_batch %llu",
              (unsigned long long)m->activation_bytes, (unsigned long long)rq->activation_bytes_per_sample,
              (unsigned long long)mb);
    if (!rq->static_bytes) {
        const uint64_t z = rq->zero_stage;
        FZ_SCHECK(what, "zero-sharding",
                  state_bytes(rq->params, z >= 3 ? R : 1, rq->weight_bits_per_param) == m->weights_bytes &&
                      state_bytes(rq->params, z >= 2 ? R : 1, rq->grad_bits_per_param) == m->grads_bytes &&
                      state_bytes(rq->params, z >= 1 ? R : 1, rq->optimizer_bits_per_param) == m->optimizer_bytes,
                  "ZeRO %u over %llu replicas: weights %llu, grads %llu, optimizer %llu",
                  (unsigned)z, (unsigned long long)R, (unsigned long long)m->weights_bytes,
                  (unsigned long long)m->grads_bytes, (unsigned long long)m->optimizer_bytes);
    }
    /* max_micro_batch is the largest micro-batch that fits */
    const uint64_t mx = m->max_micro_batch;
    if (rq->device_memory_bytes && mx != UINT64_MAX) {
        trainest_memory t;
        if (mx) {
            const int st = memory_call(&t, rq, mx, R);
            FZ_SCHECK(what, "max-micro-batch-fits", st == TRAINEST_OK && t.fits,
                      "max_micro_batch %llu does not fit (%s)", (unsigned long long)mx, trainest_status_name(st));
        }
        const int st = memory_call(&t, rq, mx + 1, R);
        FZ_SCHECK(what, "max-micro-batch-largest", st != TRAINEST_OK || !t.fits,
                  "max_micro_batch %llu, but %llu fits too", (unsigned long long)mx, (unsigned long long)mx + 1);
    }
}

static void check_for_plan(const trainest_memory *m, const trainest_memory_request *rq,
                           const trainest_plan_request *prq)
{
    const char *what = "trainest_memory_for_plan";
    check_common(what, m, rq);
    trainest_plan p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    const int st = trainest_plan_compute(&p, prq);
    FZ_SCHECK(what, "plans", st == TRAINEST_OK, "memory for a request the planner rejects (%s)",
              trainest_status_name(st));
    if (st != TRAINEST_OK)
        return;
    FZ_SCHECK(what, "in-flight-activations", m->activation_bytes >= m->activation_bytes_per_micro_batch,
              "activations %llu below one micro-batch's %llu", (unsigned long long)m->activation_bytes,
              (unsigned long long)m->activation_bytes_per_micro_batch);
    if (p.pipeline_parallel == 1)
        FZ_SCHECK(what, "no-pipeline", m->micro_batches_in_flight == 1 &&
                                           m->activation_bytes == m->activation_bytes_per_micro_batch,
                  "no pipeline, but %g micro-batches in flight", m->micro_batches_in_flight);
    if (rq->activation_bytes_per_sample && p.pipeline_parallel == 1) {
        const u128 a = (u128)rq->activation_bytes_per_sample * p.micro_batch;
        const u128 want = a / p.tensor_parallel + (a % p.tensor_parallel != 0);
        FZ_SCHECK(what, "activations", want == m->activation_bytes,
                  "activation_bytes %llu for %llu bytes per sample * micro_batch %llu / TP %llu",
                  (unsigned long long)m->activation_bytes,
                  (unsigned long long)rq->activation_bytes_per_sample, (unsigned long long)p.micro_batch,
                  (unsigned long long)p.tensor_parallel);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t m_n, p_n, pts_n;
    const unsigned char *mp = fz_input(&in, mrq_buf, MEM_RQ, TR_SIZE_MEMORY_REQUEST_0_3, &m_n);
    const unsigned char *pp = fz_input(&in, prq_buf, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &p_n);
    const uint64_t mb = fz_arg_u64(&in), R = fz_arg_u64(&in);
    uint32_t count, stride;
    const unsigned char *pts = fz_input_array(&in, pts_buf, sizeof pts_buf, POINT, TR_SIZE_MEMORY_POINT_0_3,
                                              &count, &stride, &pts_n);
    const trainest_memory_request *mrq = flags == 0xFF ? NULL : (const trainest_memory_request *)(const void *)mp;
    const trainest_plan_request *prq = flags == 0xFE ? NULL : (const trainest_plan_request *)(const void *)pp;
    trainest_memory_request mview;
    trainest_plan_request pview;
    const int m_ok = mrq && fz_view(&mview, mp, MEM_RQ, TR_SIZE_MEMORY_REQUEST_0_3);
    const int p_ok = prq && fz_view(&pview, pp, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1);

    {
        trainest_memory_request d;
        memset(&d, 0, sizeof d);
        d.weight_bits_per_param = 16;
        d.grad_bits_per_param = 16;
        d.optimizer_bits_per_param = 96;
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), MEM_RQ, TR_SIZE_MEMORY_REQUEST_0_3, &tail);
        FZ_INIT_CHECK(trainest_memory_request_init, trainest_memory_request, TR_SIZE_MEMORY_REQUEST_0_3,
                      &d, isize, out_a);
        /* the element initialiser (0.6) at the same fuzzed size */
        trainest_memory_point z;
        memset(&z, 0, sizeof z);
        FZ_INIT_CHECK(trainest_memory_point_init, trainest_memory_point, TR_SIZE_MEMORY_POINT_0_3, &z,
                      isize, out_a);
    }

    fz_out oa, ob;
    {
        const char *what = "trainest_memory_compute";
        fz_out_prepare(&oa, out_a, fz_out_size(&in, MEM, TR_SIZE_MEMORY_0_3), MEM, TR_SIZE_MEMORY_0_3);
        fz_out_prepare(&ob, out_b, MEM, MEM, TR_SIZE_MEMORY_0_3);
        const int st_a = trainest_memory_compute((trainest_memory *)(void *)out_a, mrq, mb, R);
        const int st_b = trainest_memory_compute((trainest_memory *)(void *)out_b, mrq, mb, R);
        fz_out_check(&oa, st_a, what, 0, 0);
        if (fz_out_check(&ob, st_b, what, 0, 0)) {
            fz_out_same(&oa, st_a, &ob, st_b, what);
            if (st_b == TRAINEST_OK && m_ok)
                check_compute((const trainest_memory *)(const void *)out_b, &mview, mb, R);
        }
    }
    {
        const char *what = "trainest_memory_for_plan";
        fz_out_prepare(&oa, out_a, fz_out_size(&in, MEM, TR_SIZE_MEMORY_0_3), MEM, TR_SIZE_MEMORY_0_3);
        fz_out_prepare(&ob, out_b, MEM, MEM, TR_SIZE_MEMORY_0_3);
        const int st_a = trainest_memory_for_plan((trainest_memory *)(void *)out_a, mrq, prq);
        const int st_b = trainest_memory_for_plan((trainest_memory *)(void *)out_b, mrq, prq);
        fz_out_check(&oa, st_a, what, 0, 0);
        if (fz_out_check(&ob, st_b, what, 0, 0)) {
            fz_out_same(&oa, st_a, &ob, st_b, what);
            if (st_b == TRAINEST_OK && m_ok && p_ok)
                check_for_plan((const trainest_memory *)(const void *)out_b, &mview, &pview);
        }
    }
    {
        const char *what = "trainest_memory_calibrate";
        const trainest_memory_point *points = flags == 0xFD ? NULL : (const trainest_memory_point *)(const void *)pts;
        fz_out_prepare(&oa, out_a, fz_out_size(&in, sizeof(trainest_memory_fit), TR_SIZE_MEMORY_FIT_0_3),
                       sizeof(trainest_memory_fit), TR_SIZE_MEMORY_FIT_0_3);
        fz_out_prepare(&ob, out_b, sizeof(trainest_memory_fit), sizeof(trainest_memory_fit), TR_SIZE_MEMORY_FIT_0_3);
        const int st_a = trainest_memory_calibrate((trainest_memory_fit *)(void *)out_a, points, count);
        const int st_b = trainest_memory_calibrate((trainest_memory_fit *)(void *)out_b, points, count);
        fz_out_check(&oa, st_a, what, 8, 12); /* invalid_index is kept on failure */
        if (fz_out_check(&ob, st_b, what, 8, 12)) {
            fz_out_same(&oa, st_a, &ob, st_b, what);
            const trainest_memory_fit *f = (const trainest_memory_fit *)(const void *)out_b;
            if (st_b == TRAINEST_OK) {
                FZ_NONNEG(what, f->max_residual_ratio);
                FZ_SCHECK(what, "points", f->points == count && f->invalid_index == UINT32_MAX && !f->reserved0,
                          "points %llu of %u, invalid_index %u", (unsigned long long)f->points,
                          (unsigned)count, (unsigned)f->invalid_index);
            } else {
                FZ_SCHECK(what, "error-index", f->invalid_index == UINT32_MAX || f->invalid_index < count,
                          "status %s with invalid_index %u of %u points", trainest_status_name(st_b),
                          (unsigned)f->invalid_index, (unsigned)count);
            }
        }
    }
    FZ_CHECK("memory:input-unchanged", memcmp(mp, mrq_buf, m_n) == 0 && memcmp(pp, prq_buf, p_n) == 0 &&
                                           memcmp(pts, pts_buf, pts_n) == 0,
             "an input was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void emit_point(uint64_t m, uint64_t peak, int own_size)
{
    trainest_memory_point pt;
    memset(&pt, 0, sizeof pt);
    pt.struct_size = sizeof pt;
    pt.micro_batch = m;
    pt.peak_bytes = peak;
    fz_emit_u8(own_size >= 0 ? 0xF0 : 0);
    fz_emit((const unsigned char *)&pt + 4, sizeof pt - 4);
    if (own_size >= 0)
        fz_emit_u32((uint32_t)own_size);
}

static void seed(const char *name, const trainest_memory_request *m, const trainest_plan_request *p,
                 uint64_t mb, uint64_t R, const uint64_t (*points)[2], uint8_t n, int oversized)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(m, sizeof *m);
    fz_emit_struct(p, sizeof *p);
    fz_emit_arg_u64(mb);
    fz_emit_arg_u64(R);
    fz_emit_u8(0); /* point stride: current size */
    fz_emit_u8(n);
    for (uint8_t i = 0; i < n; i++)
        emit_point(points[i][0], points[i][1], oversized && i + 1 == n ? (int)sizeof(trainest_memory_point) + 8 : -1);
    for (int i = 0; i < 4; i++)
        fz_emit_u8(0);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    static const uint64_t measured[][2] = {{1, 20000000000ull}, {2, 22000000000ull},
                                           {4, 26000000000ull}, {8, 34000000000ull},
                                           {16, 50100000000ull}};
    trainest_memory_request m;
    trainest_plan_request p;
    trainest_memory_request_init(&m, sizeof m);
    trainest_plan_request_init(&p, sizeof p);
    m.params = 7000000000ull;
    m.zero_stage = 3;
    m.activation_bytes_per_sample = 2000000000ull;
    m.device_memory_bytes = 80000000000ull;
    m.headroom_ratio = 0.1;
    m.overhead_bytes = 3000000000ull;
    p.samples = 1000000;
    p.global_batch = 512;
    p.micro_batch = 4;
    p.data_parallel = 8;
    seed("seed-7b-zero3", &m, &p, 4, 8, measured, 5, 0);

    trainest_memory_request_init(&m, sizeof m);
    trainest_plan_request_init(&p, sizeof p);
    m.params = 175000000000ull;
    m.zero_stage = 1;
    m.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    m.device_memory_bytes = 85899345920ull;
    p.preset = TRAINEST_PRESET_MEGATRON;
    p.samples = 300000000;
    p.global_batch = 1536;
    p.micro_batch = 1;
    p.devices = 1536;
    p.data_parallel = 1;
    p.tensor_parallel = 8;
    p.pipeline_parallel = 16;
    p.virtual_stages = 3;
    p.layers = 96;
    p.hidden = 12288;
    p.attention_heads = 96;
    p.seq_len_tokens = 2048;
    seed("seed-gpt3-shape-interleaved", &m, &p, 1, 12, measured, 2, 0);

    trainest_memory_request_init(&m, sizeof m);
    m.static_bytes = UINT64_MAX - 10;
    m.activation_bytes_per_sample = 3;
    m.device_memory_bytes = UINT64_MAX;
    m.headroom_ratio = 0.999999999;
    seed("seed-edges-near-uint64-max", &m, &p, 0, 1, measured, 3, 0);

    trainest_memory_request_init(&m, sizeof m);
    m.params = 1000;
    m.activation_bytes_per_sample = 10;
    /* the last point claims 32 bytes in an array of stride 24: it was read
     * past the array's end (fixed in 722f899) */
    seed("regress-overread-element-struct-size", &m, &p, 1, 1, measured, 2, 1);

    /* micro-batches in flight held * (PP v + PP - 1) / (PP v) with PP 2^24,
     * v 2^35 (interleaved): the numerator wrapped in 64 bits, in flight read
     * 1/2048 and the activations were underestimated (fixed in 722f899) */
    trainest_memory_request_init(&m, sizeof m);
    trainest_plan_request_init(&p, sizeof p);
    m.activation_bytes_per_sample = 65536;
    m.device_memory_bytes = 50331648;
    p.preset = TRAINEST_PRESET_MEGATRON;
    p.samples = 300000000;
    p.global_batch = 6 * (UINT64_C(1) << 24);
    p.micro_batch = 1;
    p.tensor_parallel = 8;
    p.pipeline_parallel = UINT64_C(1) << 24;
    p.virtual_stages = UINT64_C(1) << 35;
    p.seq_len_tokens = 2048;
    seed("regress-in-flight-wrap", &m, &p, 1, 1, measured, 0, 0);
}
