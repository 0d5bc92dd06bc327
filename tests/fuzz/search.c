/* SPDX-License-Identifier: MIT */
/* Fuzz target: the planner search (trainest_search_request_init,
 * trainest_search_run). See tests/fuzz/README.md.
 *
 * The library has no limit on the work of a search (by design: the work is
 * sum over G and R of G / R candidates, documented), so this target bounds
 * it before calling: a request whose enumeration would exceed
 * FZ_SEARCH_MAX_WORK is narrowed (one global batch, at most 8 devices, TP
 * and PP up to 2) and skipped if it is still too large.
 *
 * Input: flags byte, plan, estimate, memory and search requests (fz_struct
 * each), init size mode, output size mode, result stride mode, capacity byte. */
#define FZ_TARGET "search"
#define FZ_MAX_LEN 1024
#include "fuzz_util.h"

#include <stddef.h>

#include "sizes.h"

#ifndef FZ_SEARCH_MAX_WORK
#define FZ_SEARCH_MAX_WORK 200000u
#endif

#define PLAN_RQ sizeof(trainest_plan_request)
#define EST_RQ sizeof(trainest_estimate_request)
#define MEM_RQ sizeof(trainest_memory_request)
#define SEARCH_RQ sizeof(trainest_search_request)
#define RESULT sizeof(trainest_search_result)
#define MAX_RESULTS 64

static _Alignas(16) unsigned char prq_buf[FZ_MAX_STRUCT + FZ_GUARD], erq_buf[FZ_MAX_STRUCT + FZ_GUARD],
    mrq_buf[FZ_MAX_STRUCT + FZ_GUARD], srq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];
static _Alignas(16) unsigned char arr_a[1 << 20], arr_b[1 << 16];

/* An upper bound of the search's work (candidates, plus a share per layout
 * and per global batch), following its enumeration; stops above limit. */
static uint64_t search_work(const trainest_plan_request *p, const trainest_search_request *s, uint64_t limit)
{
    uint64_t lo = s->global_batch_min, hi = s->global_batch_max, step = s->global_batch_step;
    if (!lo) {
        if (hi || step)
            return 0;
        lo = hi = p->global_batch;
        if (!lo)
            return 0;
    }
    if (!hi)
        hi = lo;
    if (!step)
        step = 1;
    if (hi < lo || !s->max_devices)
        return 0;
    const uint64_t v = p->virtual_stages ? p->virtual_stages : 1;
    const uint64_t max_tp = s->max_tensor_parallel ? s->max_tensor_parallel : 1;
    const uint64_t max_pp = s->max_pipeline_parallel ? s->max_pipeline_parallel : 1;
    uint64_t work = 0;
    for (uint64_t tp = 1; tp <= max_tp && tp <= s->max_devices; tp *= 2) {
        work++;
        for (uint64_t pp = 1; pp <= max_pp; pp *= 2) {
            uint64_t model, chunks;
            if (__builtin_mul_overflow(tp, pp, &model) || model > s->max_devices ||
                __builtin_mul_overflow(pp, v, &chunks))
                break;
            work++;
            const int usable = !(v > 1 && pp == 1) && !(p->layers && p->layers % chunks);
            const uint64_t by_devices = s->max_devices / model;
            const uint64_t max_R = !usable ? 0 : by_devices < hi ? by_devices : hi;
            for (uint64_t R = 1; R <= max_R; R++) {
                work += 64; /* the layout's memory: a bisection */
                for (uint64_t G = lo;; G += step) {
                    const uint64_t m = p->divisibility == TRAINEST_DIVISIBILITY_ROUND_UP
                                           ? G / R + (G % R != 0)
                                           : G / R;
                    work += m + 1;
                    if (work > limit)
                        return work;
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
    return work;
}

/* Write a uint64_t member of the caller's struct if the struct has it. */
static void narrow(unsigned char *exact, unsigned char *staging, size_t size, size_t off, uint64_t v)
{
    if (off + 8 <= size) {
        memcpy(exact + off, &v, 8);
        memcpy(staging + off, &v, 8);
    }
}

static int better(const trainest_search_result *x, const trainest_search_result *y)
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

static int pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

static void check_search(const trainest_search *s, const fz_arr *res, uint32_t n, const trainest_plan_request *prq,
                         const trainest_estimate_request *erq, const trainest_memory_request *mrq,
                         const trainest_search_request *srq)
{
    const char *what = "trainest_search_run";
    FZ_SCHECK(what, "summary-adds-up",
              s->candidates_evaluated == s->feasible + s->rejected_not_divisible + s->rejected_does_not_fit +
                                             s->rejected_overflow + s->rejected_no_steps + s->duplicates,
              "candidates_evaluated %llu != feasible %llu + rejected %llu + %llu + %llu + %llu + "
              "duplicates %llu",
              (unsigned long long)s->candidates_evaluated, (unsigned long long)s->feasible,
              (unsigned long long)s->rejected_not_divisible, (unsigned long long)s->rejected_does_not_fit,
              (unsigned long long)s->rejected_overflow, (unsigned long long)s->rejected_no_steps,
              (unsigned long long)s->duplicates);
    const uint64_t want = s->feasible < res->capacity ? s->feasible : res->capacity;
    FZ_SCHECK(what, "count", n == want, "%u results, %llu feasible, capacity %u", (unsigned)n,
              (unsigned long long)s->feasible, (unsigned)res->capacity);
    trainest_search_result prev;
    memset(&prev, 0, sizeof prev);
    for (uint32_t i = 0; i < n; i++) {
        trainest_search_result r;
        fz_arr_get(res, i, &r);
        uint64_t prod = 0, devs = 0;
        FZ_SCHECK(what, "global-batch-product",
                  fz_mul3(r.micro_batch, r.grad_accum_steps, r.data_parallel, &prod) && prod == r.global_batch &&
                      r.micro_batch,
                  "result %u: G %llu != m %llu * a %llu * R %llu", (unsigned)i,
                  (unsigned long long)r.global_batch, (unsigned long long)r.micro_batch,
                  (unsigned long long)r.grad_accum_steps, (unsigned long long)r.data_parallel);
        FZ_SCHECK(what, "layout",
                  pow2(r.tensor_parallel) && pow2(r.pipeline_parallel) &&
                      fz_mul3(r.data_parallel, r.tensor_parallel, r.pipeline_parallel, &devs) &&
                      devs <= srq->max_devices &&
                      r.tensor_parallel <= (srq->max_tensor_parallel ? srq->max_tensor_parallel : 1) &&
                      r.pipeline_parallel <= (srq->max_pipeline_parallel ? srq->max_pipeline_parallel : 1),
                  "result %u: R %llu, TP %llu, PP %llu outside the request", (unsigned)i,
                  (unsigned long long)r.data_parallel, (unsigned long long)r.tensor_parallel,
                  (unsigned long long)r.pipeline_parallel);
        FZ_NONNEG(what, r.step_s);
        FZ_NONNEG(what, r.total_s);
        FZ_FINITE(what, r.headroom_ratio);
        FZ_SCHECK(what, "reserved", r.reserved0 == 0 && r.total_optimizer_steps, "result %u: reserved0 %u, %llu steps",
                  (unsigned)i, (unsigned)r.reserved0, (unsigned long long)r.total_optimizer_steps);
        if (mrq->device_memory_bytes)
            FZ_SCHECK(what, "fits-budget", r.headroom_ratio >= mrq->headroom_ratio - 1e-9 &&
                                               r.memory_bytes <= mrq->device_memory_bytes,
                      "result %u: %llu bytes, headroom %.17g below the requested %.17g", (unsigned)i,
                      (unsigned long long)r.memory_bytes, r.headroom_ratio, mrq->headroom_ratio);
        if (i)
            FZ_SCHECK(what, "sorted", better(&prev, &r), "results %u and %u are out of order or repeated",
                      (unsigned)i - 1, (unsigned)i);
        if (i < 2 || i + 1 == n) {
            /* the result is what estimate_run() and memory_for_plan() say of it */
            trainest_plan_request one = *prq;
            one.global_batch = r.global_batch;
            one.micro_batch = r.micro_batch;
            one.grad_accum_steps = r.grad_accum_steps;
            one.data_parallel = r.data_parallel;
            one.tensor_parallel = r.tensor_parallel;
            one.pipeline_parallel = r.pipeline_parallel;
            one.devices = 0;
            one.max_micro_batch = 0;
            one.divisibility = TRAINEST_DIVISIBILITY_ERROR;
            trainest_estimate e;
            memset(&e, 0, sizeof e);
            e.struct_size = sizeof e;
            const int st = trainest_estimate_run(&e, &one, erq);
            /* estimate_run() also refuses a plan whose secondary outputs (MFU,
             * FLOP rates) overflow; the search only times it */
            FZ_SCHECK(what, "result-is-estimate",
                      (st == TRAINEST_OK && e.total_s == r.total_s && e.step_s == r.step_s) ||
                          st == TRAINEST_E_OVERFLOW,
                      "result %u: total_s %.17g, step_s %.17g; estimate_run says %s, %.17g, %.17g", (unsigned)i,
                      r.total_s, r.step_s, trainest_status_name(st), e.total_s, e.step_s);
            trainest_memory m;
            memset(&m, 0, sizeof m);
            m.struct_size = sizeof m;
            if (trainest_memory_for_plan(&m, mrq, &one) == TRAINEST_OK)
                FZ_SCHECK(what, "result-memory", m.total_bytes == r.memory_bytes,
                          "result %u: memory_bytes %llu, memory_for_plan says %llu", (unsigned)i,
                          (unsigned long long)r.memory_bytes, (unsigned long long)m.total_bytes);
        }
        prev = r;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t p_n, e_n, m_n, s_n;
    unsigned char *pp = fz_input(&in, prq_buf, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &p_n);
    unsigned char *ep = fz_input(&in, erq_buf, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2, &e_n);
    unsigned char *mp = fz_input(&in, mrq_buf, MEM_RQ, TR_SIZE_MEMORY_REQUEST_0_3, &m_n);
    unsigned char *sp = fz_input(&in, srq_buf, SEARCH_RQ, TR_SIZE_SEARCH_REQUEST_0_3, &s_n);
    trainest_plan_request pview;
    trainest_estimate_request eview;
    trainest_memory_request mview;
    trainest_search_request sview;
    const int all_ok = fz_view(&pview, pp, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1) &
                       fz_view(&eview, ep, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2) &
                       fz_view(&mview, mp, MEM_RQ, TR_SIZE_MEMORY_REQUEST_0_3) &
                       fz_view(&sview, sp, SEARCH_RQ, TR_SIZE_SEARCH_REQUEST_0_3);

    {
        trainest_search_request d;
        memset(&d, 0, sizeof d);
        d.max_devices = 1;
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), SEARCH_RQ, TR_SIZE_SEARCH_REQUEST_0_3, &tail);
        FZ_INIT_CHECK(trainest_search_request_init, trainest_search_request, TR_SIZE_SEARCH_REQUEST_0_3, &d,
                      isize, out_a);
    }

    /* bound the work: narrow the request, or skip it */
    if (fz_size_ok(*(const uint32_t *)(const void *)sp, TR_SIZE_SEARCH_REQUEST_0_3) &&
        search_work(&pview, &sview, FZ_SEARCH_MAX_WORK) > FZ_SEARCH_MAX_WORK) {
        const size_t ssize = *(const uint32_t *)(const void *)sp;
        narrow(sp, srq_buf, ssize, offsetof(trainest_search_request, global_batch_max), 0);
        narrow(sp, srq_buf, ssize, offsetof(trainest_search_request, global_batch_step), 0);
        if (sview.max_devices > 8)
            narrow(sp, srq_buf, ssize, offsetof(trainest_search_request, max_devices), 8);
        if (sview.max_tensor_parallel > 2)
            narrow(sp, srq_buf, ssize, offsetof(trainest_search_request, max_tensor_parallel), 2);
        if (sview.max_pipeline_parallel > 2)
            narrow(sp, srq_buf, ssize, offsetof(trainest_search_request, max_pipeline_parallel), 2);
        fz_view(&sview, sp, SEARCH_RQ, TR_SIZE_SEARCH_REQUEST_0_3);
        if (search_work(&pview, &sview, FZ_SEARCH_MAX_WORK) > FZ_SEARCH_MAX_WORK)
            return 0;
    }

    const trainest_plan_request *prq = flags == 0xFF ? NULL : (const trainest_plan_request *)(const void *)pp;
    const trainest_estimate_request *erq = flags == 0xFE ? NULL : (const trainest_estimate_request *)(const void *)ep;
    const trainest_memory_request *mrq = flags == 0xFD ? NULL : (const trainest_memory_request *)(const void *)mp;
    const trainest_search_request *srq = flags == 0xFC ? NULL : (const trainest_search_request *)(const void *)sp;

    const char *what = "trainest_search_run";
    fz_out oa, ob;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, sizeof(trainest_search), TR_SIZE_SEARCH_0_3),
                   sizeof(trainest_search), TR_SIZE_SEARCH_0_3);
    fz_out_prepare(&ob, out_b, sizeof(trainest_search), sizeof(trainest_search), TR_SIZE_SEARCH_0_3);
    int tail;
    const uint32_t stride = fz_pick_size(&in, fz_u8(&in), RESULT, TR_SIZE_SEARCH_RESULT_0_3, &tail);
    const uint8_t capb = fz_u8(&in);
    fz_arr a, b;
    fz_arr_prepare(&a, arr_a, sizeof arr_a, stride, capb % (MAX_RESULTS + 1), RESULT, TR_SIZE_SEARCH_RESULT_0_3);
    fz_arr_prepare(&b, arr_b, sizeof arr_b, RESULT, MAX_RESULTS, RESULT, TR_SIZE_SEARCH_RESULT_0_3);
    uint32_t n_a = 12345, n_b = 12345;
    trainest_search_result *ra = a.capacity == 0 && (capb & 0x80) ? NULL : (trainest_search_result *)(void *)arr_a;
    const int st_a = trainest_search_run((trainest_search *)(void *)out_a, ra, a.capacity, &n_a, prq, erq, mrq, srq);
    const int st_b = trainest_search_run((trainest_search *)(void *)out_b, (trainest_search_result *)(void *)arr_b,
                                         b.capacity, &n_b, prq, erq, mrq, srq);
    fz_arr_check(&a, st_a, n_a, what);
    const int arr_ok = fz_arr_check(&b, st_b, n_b, what);
    fz_out_check(&oa, st_a, what, 0, 0);
    /* documented: results of the 0.3 size cannot hold TP and PP, so a
     * search over layouts refuses them (TRAINEST_E_STRUCT_SIZE) */
    const int small_results = a.capacity && fz_size_ok(a.stride, a.min) && a.stride < TR_SIZE_SEARCH_RESULT_0_5 &&
                              all_ok && (sview.max_tensor_parallel > 1 || sview.max_pipeline_parallel > 1);
    if (small_results)
        FZ_SCHECK(what, "layout-search-needs-0.5-results", st_a != TRAINEST_OK,
                  "a search over layouts (TP up to %llu, PP up to %llu) into %u-byte results succeeded",
                  (unsigned long long)sview.max_tensor_parallel, (unsigned long long)sview.max_pipeline_parallel,
                  (unsigned)a.stride);
    if (fz_out_check(&ob, st_b, what, 0, 0)) {
        if ((!a.capacity || fz_size_ok(a.stride, a.min)) && fz_size_ok(oa.size, oa.min) && !small_results) {
            fz_out_same(&oa, st_a, &ob, st_b, what);
            fz_arr_same(&a, st_a, n_a, &b, st_b, n_b, what);
        }
        if (st_b == TRAINEST_OK && arr_ok && all_ok)
            check_search((const trainest_search *)(const void *)out_b, &b, n_b, &pview, &eview, &mview, &sview);
    }
    FZ_CHECK("search:input-unchanged",
             memcmp(pp, prq_buf, p_n) == 0 && memcmp(ep, erq_buf, e_n) == 0 && memcmp(mp, mrq_buf, m_n) == 0 &&
                 memcmp(sp, srq_buf, s_n) == 0,
             "a request was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void seed(const char *name, const trainest_plan_request *p, const trainest_estimate_request *e,
                 const trainest_memory_request *m, const trainest_search_request *s, uint8_t stride_mode,
                 int stride_arg, uint8_t cap)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(p, sizeof *p);
    fz_emit_struct(e, sizeof *e);
    fz_emit_struct(m, sizeof *m);
    fz_emit_struct(s, sizeof *s);
    fz_emit_u8(0); /* init */
    fz_emit_u8(0); /* output size */
    fz_emit_u8(stride_mode);
    if (stride_arg >= 0)
        fz_emit_u8((uint8_t)stride_arg);
    fz_emit_u8(cap);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    trainest_plan_request p;
    trainest_estimate_request e;
    trainest_memory_request m;
    trainest_search_request s;
    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    trainest_memory_request_init(&m, sizeof m);
    trainest_search_request_init(&s, sizeof s);
    p.samples = 1000000;
    p.epochs = 2;
    p.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    e.floor_s = 0.002;
    e.fixed_s = 0.01;
    e.per_sample_s = 0.001;
    e.optimizer_s = 0.05;
    e.grad_bytes = 200000000;
    e.bus_bytes_per_s = 1e11;
    m.params = 100000000;
    m.zero_stage = 2;
    m.activation_bytes_per_sample = 300000000;
    m.device_memory_bytes = 16000000000ull;
    m.headroom_ratio = 0.05;
    s.global_batch_min = 64;
    s.global_batch_max = 256;
    s.global_batch_step = 64;
    s.max_devices = 8;
    seed("seed-ddp-range", &p, &e, &m, &s, 0, -1, 10);

    p.layers = 24;
    p.hidden = 2048;
    p.attention_heads = 16;
    p.seq_len_tokens = 1024;
    p.divisibility = TRAINEST_DIVISIBILITY_ERROR;
    e.tp_bytes_per_s = 3e11;
    e.p2p_bytes_per_s = 5e10;
    m.activation_bytes_per_sample = 0;
    m.recompute = TRAINEST_RECOMPUTE_FULL;
    s.global_batch_min = 128;
    s.global_batch_max = 0;
    s.global_batch_step = 0;
    s.max_devices = 16;
    s.max_tensor_parallel = 4;
    s.max_pipeline_parallel = 4;
    s.devices_per_node = 8;
    seed("seed-3d-layouts", &p, &e, &m, &s, 0, -1, 64);

    /* a newer caller's result stride (larger) and an odd one */
    seed("seed-3d-layouts-stride-odd", &p, &e, &m, &s, 8, 3, 7);

    /* the 0.3 result size as the stride: the 0.5 library kept 96-byte
     * results in an array of 80-byte elements, 16 bytes past its end
     * (fixed in 722f899) */
    s.max_tensor_parallel = 1;
    s.max_pipeline_parallel = 1;
    s.max_devices = 4;
    seed("regress-result-stride-0.3", &p, &e, &m, &s, 6, -1, 3);

    /* TP 2 * PP 2^63 wrapped to 0: max_devices / (tp * pp) divided by zero
     * (fixed in 722f899) */
    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    trainest_memory_request_init(&m, sizeof m);
    trainest_search_request_init(&s, sizeof s);
    p.samples = 1000;
    p.layers = UINT64_C(1) << 63;
    p.hidden = 2;
    p.seq_len_tokens = 1;
    e.per_sample_s = 1e-3;
    e.bus_bytes_per_s = 1e9;
    m.params = 1;
    s.global_batch_min = 1;
    s.max_devices = UINT64_MAX;
    s.max_tensor_parallel = 2;
    s.max_pipeline_parallel = UINT64_MAX;
    seed("regress-division-by-zero-tp-pp-wrap", &p, &e, &m, &s, 0, -1, 1);
}
