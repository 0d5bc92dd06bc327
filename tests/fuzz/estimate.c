/* SPDX-License-Identifier: MIT */
/* Fuzz target: the time model (trainest_estimate_request_init,
 * trainest_estimate_run, trainest_tradeoff_compute). See tests/fuzz/README.md.
 *
 * Input: flags byte, plan request, estimate request (fz_struct each), init
 * size mode, estimate output size mode, trade-off output size mode, point
 * stride mode, capacity byte. */
#define FZ_TARGET "estimate"
#define FZ_MAX_LEN 1024
#include "fuzz_util.h"

#include "sizes.h"

#define PLAN_RQ sizeof(trainest_plan_request)
#define EST_RQ sizeof(trainest_estimate_request)
#define MAX_POINTS 64

static _Alignas(16) unsigned char prq_buf[FZ_MAX_STRUCT + FZ_GUARD], erq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];
static _Alignas(16) unsigned char arr_a[1 << 20], arr_b[1 << 16];

/* Every double of an estimate is finite and >= 0, the breakdown sums to
 * the total, and the rates follow from the plan. */
static void check_estimate(const char *what, const trainest_estimate *e, const trainest_plan *p,
                           const trainest_estimate_request *rq)
{
    for (const double *v = &e->micro_batch_s; v <= &e->p2p_s; v++)
        FZ_SCHECK(what, "finite-nonneg", isfinite(*v) && *v >= 0,
                  "member at offset %zu is %g (must be finite and >= 0)",
                  (size_t)((const unsigned char *)v - (const unsigned char *)e), *v);
    const double sum = e->compute_s + e->optimizer_s + e->transfer_s + e->data_stall_s + e->comm_s +
                       e->overhead_s + e->bubble_s + e->tp_comm_s + e->p2p_s;
    FZ_SCHECK(what, "breakdown-sum", fz_close(sum, e->total_s, 1e-9),
              "breakdown sums to %.17g, total_s is %.17g", sum, e->total_s);
    FZ_SCHECK(what, "efficiency-ratio", e->efficiency_ratio <= 1, "efficiency_ratio %g > 1",
              e->efficiency_ratio);
    if (p) {
        const double epoch = (e->total_s - rq->startup_s) / (double)p->epochs;
        FZ_SCHECK(what, "epoch", fz_close(e->epoch_s, epoch, 1e-9) || fabs(e->epoch_s - epoch) < 1e-300,
                  "epoch_s %.17g, (total_s - startup_s) / epochs is %.17g", e->epoch_s, epoch);
        if (e->total_s > 0)
            FZ_SCHECK(what, "samples-per-s",
                      fz_close(e->samples_per_s, (double)p->total_samples / e->total_s, 1e-12),
                      "samples_per_s %.17g, total_samples / total_s is %.17g", e->samples_per_s,
                      (double)p->total_samples / e->total_s);
        if (p->pipeline_parallel <= 1)
            FZ_SCHECK(what, "no-pipeline", e->bubble_s == 0 && e->p2p_s == 0 && e->bubble_ratio == 0,
                      "no pipeline, but bubble_s %g, p2p_s %g, bubble_ratio %g", e->bubble_s,
                      e->p2p_s, e->bubble_ratio);
        if (p->tensor_parallel <= 1)
            FZ_SCHECK(what, "no-tensor-parallel", e->tp_comm_s == 0, "TP 1, but tp_comm_s %g",
                      e->tp_comm_s);
    }
}

static int plan_of(trainest_plan *p, const trainest_plan_request *rq)
{
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    return trainest_plan_compute(p, rq);
}

static int estimate_of(trainest_estimate *e, const trainest_plan_request *prq,
                       const trainest_estimate_request *rq)
{
    memset(e, 0, sizeof *e);
    e->struct_size = sizeof *e;
    return trainest_estimate_run(e, prq, rq);
}

/* TRAINEST_DATA_MODE_WORKERS (0.7): the loader only adds a stall. The
 * device's busy time is that of the same run with an unlimited pipeline
 * (OVERLAP, no rate, no worker fields); workers that persist wait no
 * longer than workers that start again at every epoch; with no start-up
 * and an unlimited rate nothing waits; and the step figures are OVERLAP's
 * at the workers' combined rate. */
static void check_workers(const trainest_plan_request *prq, const trainest_estimate_request *rq,
                          const trainest_estimate *e, const trainest_plan *p)
{
    const char *what = "trainest_estimate_run";
    /* the device waits at least for the first micro-batch: the first
     * worker's start-up and that batch (of m, or of the last size) */
    const double u = rq->data_samples_per_s_per_worker > 0 ? 1 / rq->data_samples_per_s_per_worker
                     : rq->data_samples_per_s > 0 ? (double)rq->data_workers / rq->data_samples_per_s
                                                  : 0;
    const uint64_t first = p->micro_batch < p->last_micro_batch_samples ? p->micro_batch
                                                                        : p->last_micro_batch_samples;
    const double first_s = rq->data_worker_startup_s + (double)first * u;
    FZ_SCHECK(what, "workers-first-batch-waits", e->data_stall_s >= first_s * (1 - 1e-12),
              "data_stall_s %.17g, but the first micro-batch of %llu is ready only at %.17g s",
              e->data_stall_s, (unsigned long long)first, first_s);
    trainest_estimate_request v = *rq;
    v.data_mode = TRAINEST_DATA_MODE_OVERLAP;
    v.data_samples_per_s = v.data_samples_per_s_per_worker = 0;
    v.data_worker_startup_s = 0;
    v.data_persistent_workers = 0;
    trainest_estimate f;
    int st = estimate_of(&f, prq, &v);
    /* every part but the stall, exactly (the same arithmetic); without the
     * stall a tiny run's samples_per_s may overflow, nothing else fails */
    FZ_SCHECK(what, "workers-busy-is-unlimited-run", st == TRAINEST_OK || st == TRAINEST_E_OVERFLOW,
              "WORKERS succeeds, the run with an unlimited pipeline fails with %s",
              trainest_status_name(st));
    if (st == TRAINEST_OK) {
        FZ_SCHECK(what, "workers-busy-is-unlimited-run",
                  e->compute_s == f.compute_s && e->optimizer_s == f.optimizer_s &&
                      e->transfer_s == f.transfer_s && e->comm_s == f.comm_s &&
                      e->overhead_s == f.overhead_s && e->bubble_s == f.bubble_s &&
                      e->tp_comm_s == f.tp_comm_s && e->p2p_s == f.p2p_s && f.data_stall_s == 0,
                  "WORKERS compute %.17g, optimizer %.17g, transfer %.17g, comm %.17g, overhead "
                  "%.17g; the run with an unlimited pipeline: %.17g, %.17g, %.17g, %.17g, %.17g",
                  e->compute_s, e->optimizer_s, e->transfer_s, e->comm_s, e->overhead_s,
                  f.compute_s, f.optimizer_s, f.transfer_s, f.comm_s, f.overhead_s);
    }
    if (rq->data_worker_startup_s == 0 && rq->data_samples_per_s == 0 &&
        rq->data_samples_per_s_per_worker == 0)
        FZ_SCHECK(what, "workers-nothing-waits", e->data_stall_s == 0,
                  "no start-up and an unlimited rate, but data_stall_s %g", e->data_stall_s);
    /* the other persistence: persisting never waits longer */
    v = *rq;
    v.data_persistent_workers = !rq->data_persistent_workers;
    st = estimate_of(&f, prq, &v);
    if (st == TRAINEST_OK) {
        const double kept = rq->data_persistent_workers ? e->data_stall_s : f.data_stall_s;
        const double again = rq->data_persistent_workers ? f.data_stall_s : e->data_stall_s;
        FZ_SCHECK(what, "workers-persistent-no-slower", kept <= again * (1 + 1e-12) + 1e-300,
                  "persistent workers stall %.17g s, restarted ones %.17g s", kept, again);
    }
    /* the steady state: OVERLAP at the workers' combined rate */
    v = *rq;
    v.data_mode = TRAINEST_DATA_MODE_OVERLAP;
    v.data_worker_startup_s = 0;
    v.data_persistent_workers = 0;
    st = estimate_of(&f, prq, &v);
    if (st == TRAINEST_OK)
        FZ_SCHECK(what, "workers-steady-state-is-overlap",
                  f.step_s == e->step_s && f.step_data_stall_s == e->step_data_stall_s,
                  "step_s %.17g, step_data_stall_s %.17g; OVERLAP at the same rate: %.17g, %.17g",
                  e->step_s, e->step_data_stall_s, f.step_s, f.step_data_stall_s);
}

static void check_tradeoff(const trainest_tradeoff *t, const fz_arr *pts, uint32_t n,
                           const trainest_plan_request *prq, const trainest_estimate_request *erq)
{
    const char *what = "trainest_tradeoff_compute";
    FZ_SCHECK(what, "candidates", t->candidates >= n, "%llu candidates, %u points written",
              (unsigned long long)t->candidates, (unsigned)n);
    FZ_FINITE(what, t->recommended_total_s);
    FZ_FINITE(what, t->fastest_total_s);
    FZ_SCHECK(what, "recommendation", t->candidates == 0 || t->recommended_micro_batch == 0 ||
                                          (t->recommended_grad_accum_steps && t->recommended_total_s >= 0),
              "a recommendation without accumulation steps or time");
    /* the global batch and replicas the candidates split */
    trainest_plan_request base = *prq;
    base.struct_size = sizeof base;
    const uint64_t cap = base.max_micro_batch;
    base.max_micro_batch = 0;
    if (base.global_batch)
        base.micro_batch = base.grad_accum_steps = 0;
    trainest_plan p;
    if (plan_of(&p, &base) != TRAINEST_OK) {
        FZ_SCHECK(what, "plan", n == 0 && t->candidates == 0, "points, but the request does not plan");
        return;
    }
    const uint64_t per_replica = p.global_batch / p.data_parallel;
    uint64_t last_m = 0, best_m = 0, rec_m = 0;
    double best_t = INFINITY;
    for (uint32_t i = 0; i < n; i++) {
        trainest_tradeoff_point pt;
        fz_arr_get(pts, i, &pt);
        uint64_t prod = 0;
        FZ_SCHECK(what, "point-split",
                  pt.micro_batch > last_m &&
                      !__builtin_mul_overflow(pt.micro_batch, pt.grad_accum_steps, &prod) &&
                      prod == per_replica,
                  "point %u: micro_batch %llu * grad_accum_steps %llu != G / R = %llu, or not "
                  "ascending",
                  (unsigned)i, (unsigned long long)pt.micro_batch,
                  (unsigned long long)pt.grad_accum_steps, (unsigned long long)per_replica);
        FZ_SCHECK(what, "point-fits", pt.fits == (uint32_t)(cap == 0 || pt.micro_batch <= cap),
                  "point %u: fits %u for micro_batch %llu, cap %llu", (unsigned)i, (unsigned)pt.fits,
                  (unsigned long long)pt.micro_batch, (unsigned long long)cap);
        FZ_NONNEG(what, pt.step_s);
        FZ_NONNEG(what, pt.total_s);
        last_m = pt.micro_batch;
        if (pt.fits) {
            rec_m = pt.micro_batch;
            if (pt.total_s <= best_t) {
                best_t = pt.total_s;
                best_m = pt.micro_batch;
            }
        }
        /* the point is what trainest_estimate_run() says of that split */
        if (i < 4 || i + 1 == n) {
            trainest_plan_request one = base;
            one.global_batch = p.global_batch;
            one.micro_batch = pt.micro_batch;
            one.grad_accum_steps = pt.grad_accum_steps;
            one.divisibility = TRAINEST_DIVISIBILITY_ERROR;
            trainest_estimate e;
            memset(&e, 0, sizeof e);
            e.struct_size = sizeof e;
            const int st = trainest_estimate_run(&e, &one, erq);
            FZ_SCHECK(what, "point-is-estimate",
                      st == TRAINEST_OK && e.total_s == pt.total_s && e.step_s == pt.step_s,
                      "point %u (m %llu, a %llu): total_s %.17g, step_s %.17g; estimate_run says "
                      "%s, %.17g, %.17g",
                      (unsigned)i, (unsigned long long)pt.micro_batch,
                      (unsigned long long)pt.grad_accum_steps, pt.total_s, pt.step_s,
                      trainest_status_name(st), e.total_s, e.step_s);
        }
    }
    if (n == t->candidates) { /* every candidate was written */
        FZ_SCHECK(what, "recommended", t->recommended_micro_batch == rec_m,
                  "recommended_micro_batch %llu, the largest that fits is %llu",
                  (unsigned long long)t->recommended_micro_batch, (unsigned long long)rec_m);
        FZ_SCHECK(what, "fastest", t->fastest_micro_batch == best_m && (!best_m || t->fastest_total_s == best_t),
                  "fastest_micro_batch %llu (%.17g s), the points say %llu (%.17g s)",
                  (unsigned long long)t->fastest_micro_batch, t->fastest_total_s,
                  (unsigned long long)best_m, best_t);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t p_n, e_n;
    const unsigned char *pp = fz_input(&in, prq_buf, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1, &p_n);
    const unsigned char *ep = fz_input(&in, erq_buf, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2, &e_n);
    const trainest_plan_request *prq = flags == 0xFF ? NULL : (const trainest_plan_request *)(const void *)pp;
    const trainest_estimate_request *erq =
        flags == 0xFE ? NULL : (const trainest_estimate_request *)(const void *)ep;
    trainest_plan_request pview;
    trainest_estimate_request eview;
    const int p_ok = prq && fz_view(&pview, pp, PLAN_RQ, TR_SIZE_PLAN_REQUEST_0_1);
    const int e_ok = erq && fz_view(&eview, ep, EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2);

    {
        trainest_estimate_request d;
        memset(&d, 0, sizeof d);
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), EST_RQ, TR_SIZE_ESTIMATE_REQUEST_0_2, &tail);
        FZ_INIT_CHECK(trainest_estimate_request_init, trainest_estimate_request,
                      TR_SIZE_ESTIMATE_REQUEST_0_2, &d, isize, out_a);
    }

    /* the estimate, at a fuzzed and at the full output size */
    {
        fz_out oa, ob;
        fz_out_prepare(&oa, out_a, fz_out_size(&in, sizeof(trainest_estimate), TR_SIZE_ESTIMATE_0_2),
                       sizeof(trainest_estimate), TR_SIZE_ESTIMATE_0_2);
        fz_out_prepare(&ob, out_b, sizeof(trainest_estimate), sizeof(trainest_estimate), TR_SIZE_ESTIMATE_0_2);
        const int st_a = trainest_estimate_run((trainest_estimate *)(void *)out_a, prq, erq);
        const int st_b = trainest_estimate_run((trainest_estimate *)(void *)out_b, prq, erq);
        const char *what = "trainest_estimate_run";
        fz_out_check(&oa, st_a, what, 0, 0);
        if (fz_out_check(&ob, st_b, what, 0, 0)) {
            fz_out_same(&oa, st_a, &ob, st_b, what);
            trainest_plan p;
            const int st_p = p_ok ? plan_of(&p, &pview) : -100;
            if (st_b == TRAINEST_OK)
                FZ_SCHECK(what, "plans-like-plan-compute", st_p == TRAINEST_OK,
                          "an estimate for a request that trainest_plan_compute() rejects (%s)",
                          trainest_status_name(st_p));
            if (st_b == TRAINEST_OK) {
                check_estimate(what, (const trainest_estimate *)(void *)out_b, st_p == TRAINEST_OK ? &p : NULL, &eview);
                if (p_ok && e_ok && st_p == TRAINEST_OK && eview.data_mode == TRAINEST_DATA_MODE_WORKERS)
                    check_workers(&pview, &eview, (const trainest_estimate *)(void *)out_b, &p);
            } else if (p_ok && e_ok && st_p != TRAINEST_OK) {
                uint32_t f_e;
                memcpy(&f_e, out_b + 4, 4);
                FZ_SCHECK(what, "plans-like-plan-compute", st_b == st_p && f_e == p.invalid_field,
                          "plan_compute fails with %s (field %u), estimate_run with %s (field %u)",
                          trainest_status_name(st_p), (unsigned)p.invalid_field,
                          trainest_status_name(st_b), (unsigned)f_e);
            }
        }
    }

    /* the accumulation trade-off */
    {
        const char *what = "trainest_tradeoff_compute";
        fz_out oa, ob;
        fz_out_prepare(&oa, out_a, fz_out_size(&in, sizeof(trainest_tradeoff), TR_SIZE_TRADEOFF_0_2),
                       sizeof(trainest_tradeoff), TR_SIZE_TRADEOFF_0_2);
        fz_out_prepare(&ob, out_b, sizeof(trainest_tradeoff), sizeof(trainest_tradeoff), TR_SIZE_TRADEOFF_0_2);
        int tail;
        const uint32_t stride = fz_pick_size(&in, fz_u8(&in), sizeof(trainest_tradeoff_point),
                                             TR_SIZE_TRADEOFF_POINT_0_2, &tail);
        const uint8_t capb = fz_u8(&in);
        fz_arr a, b;
        fz_arr_prepare(&a, arr_a, sizeof arr_a, stride, capb % (MAX_POINTS + 1),
                       sizeof(trainest_tradeoff_point), TR_SIZE_TRADEOFF_POINT_0_2);
        fz_arr_prepare(&b, arr_b, sizeof arr_b, sizeof(trainest_tradeoff_point), MAX_POINTS,
                       sizeof(trainest_tradeoff_point), TR_SIZE_TRADEOFF_POINT_0_2);
        uint32_t n_a = 12345, n_b = 12345;
        trainest_tradeoff_point *pa = a.capacity == 0 && (capb & 0x80) ? NULL : (trainest_tradeoff_point *)(void *)arr_a;
        const int st_a = trainest_tradeoff_compute((trainest_tradeoff *)(void *)out_a, pa, a.capacity, &n_a, prq, erq);
        const int st_b = trainest_tradeoff_compute((trainest_tradeoff *)(void *)out_b,
                                                   (trainest_tradeoff_point *)(void *)arr_b, b.capacity, &n_b, prq, erq);
        FZ_SCHECK(what, "null-count",
                  trainest_tradeoff_compute((trainest_tradeoff *)(void *)out_a, NULL, 0, NULL, prq, erq) ==
                      TRAINEST_E_NULL,
                  "NULL out_count accepted");
        fz_arr_check(&a, st_a, n_a, what);
        const int arr_ok = fz_arr_check(&b, st_b, n_b, what);
        if (fz_size_ok(a.stride, a.min) || !a.capacity)
            fz_out_check(&oa, st_a, what, 0, 0);
        if (fz_out_check(&ob, st_b, what, 0, 0)) {
            if ((!a.capacity || fz_size_ok(a.stride, a.min)) && fz_size_ok(oa.size, oa.min)) {
                fz_out_same(&oa, st_a, &ob, st_b, what);
                fz_arr_same(&a, st_a, n_a, &b, st_b, n_b, what);
            }
            if (st_b == TRAINEST_OK && arr_ok && p_ok && e_ok)
                check_tradeoff((const trainest_tradeoff *)(void *)out_b, &b, n_b, &pview, &eview);
        }
    }
    FZ_CHECK("estimate:input-unchanged",
             memcmp(pp, prq_buf, p_n) == 0 && memcmp(ep, erq_buf, e_n) == 0,
             "a request was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void seed(const char *name, const trainest_plan_request *p, const trainest_estimate_request *e,
                 uint8_t out_mode, uint8_t stride_mode, uint8_t cap)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(p, sizeof *p);
    fz_emit_struct(e, sizeof *e);
    fz_emit_u8(0);
    fz_emit_u8(out_mode);
    fz_emit_u8(out_mode);
    fz_emit_u8(stride_mode);
    fz_emit_u8(cap);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    trainest_plan_request p;
    trainest_estimate_request e;
    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.samples = 1281167;
    p.global_batch = 1024;
    p.micro_batch = 128;
    p.data_parallel = 8;
    p.epochs = 90;
    p.max_micro_batch = 256;
    e.floor_s = 0.004;
    e.fixed_s = 0.01;
    e.per_sample_s = 0.0009;
    e.optimizer_s = 0.02;
    e.grad_bytes = 102400000;
    e.bus_bytes_per_s = 1.2e11;
    e.eval_s_per_epoch = 30;
    e.checkpoint_s = 12;
    e.checkpoints_per_epoch = 1;
    e.startup_s = 90;
    e.data_samples_per_s = 3000;
    seed("seed-resnet-imagenet", &p, &e, 0, 0, 16);

    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.preset = TRAINEST_PRESET_MEGATRON;
    p.samples = 300000000;
    p.global_batch = 1536;
    p.micro_batch = 1;
    p.devices = 3072;
    p.data_parallel = 1;
    p.tensor_parallel = 8;
    p.pipeline_parallel = 8;
    p.virtual_stages = 2;
    p.layers = 96;
    p.hidden = 12288;
    p.attention_heads = 96;
    p.vocab = 51200;
    p.seq_len_tokens = 2048;
    e.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    e.peak_flops_per_s = 312e12;
    e.efficiency_ratio = 0.5;
    e.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    e.grad_bytes = 350000000000ull;
    e.bus_bytes_per_s = 3e11;
    e.inter_node_bytes_per_s = 2.5e10;
    e.devices_per_node = 8;
    e.comm_overlap_ratio = 0.7;
    e.latency_s = 5e-6;
    seed("seed-megatron-analytic-3d", &p, &e, 0, 0, 8);

    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.preset = TRAINEST_PRESET_DEEPSPEED;
    p.samples = 100000;
    p.global_batch = 720;
    p.data_parallel = 4;
    p.micro_batch = 6;
    p.epochs = 3;
    p.seq_len_tokens = 512;
    e.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    e.params = 350000000;
    e.peak_flops_per_s = 1e14;
    e.observed_step_s = 2.5;
    e.fixed_s = 0.001;
    e.h2d_bytes_per_sample = 4096;
    e.h2d_bytes_per_s = 1e10;
    e.data_samples_per_s_per_worker = 200;
    e.data_workers = 4;
    e.data_mode = TRAINEST_DATA_MODE_SERIAL;
    seed("seed-deepspeed-fitted-efficiency", &p, &e, 6, 7, 64);

    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.preset = TRAINEST_PRESET_HF_LEGACY;
    p.samples = 1000;
    p.micro_batch = 8;
    p.grad_accum_steps = 64;
    p.data_parallel = 2;
    p.epochs = 4;
    p.accum_tail = 0;
    e.floor_s = 0.01;
    e.per_sample_s = 1e-300; /* launch-bound, subnormal-ish products */
    e.launch_lag_s = 0.5;
    seed("seed-hf-legacy-launch-bound", &p, &e, 9, 9, 2);

    /* loader workers (0.7): ResNet-50 read by 12 workers that start one
     * after another, at every epoch or once */
    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.samples = 4096;
    p.global_batch = 128;
    p.micro_batch = 128;
    p.epochs = 2;
    e.per_sample_s = 0.0314 / 128;
    e.data_mode = TRAINEST_DATA_MODE_WORKERS;
    e.data_workers = 12;
    e.data_worker_startup_s = 0.137869;
    e.data_samples_per_s_per_worker = 790.238;
    seed("seed-workers-resnet", &p, &e, 0, 0, 8);
    e.data_persistent_workers = 1;
    e.data_samples_per_s_per_worker = 0;
    e.data_samples_per_s = 9000; /* shared by the 12 */
    seed("seed-workers-persistent-total-rate", &p, &e, 0, 0, 8);
    /* a 0.6-size request (272 bytes: size mode 9, 240 + 32) in WORKERS mode */
    e.data_worker_startup_s = 0;
    e.data_persistent_workers = 0;
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(&p, sizeof p);
    fz_emit_struct_mode(&e, sizeof e, 9, 32);
    fz_emit_u8(0);
    fz_emit_u8(0);
    fz_emit_u8(0);
    fz_emit_u8(0);
    fz_emit_u8(8);
    fz_seed_end("seed-workers-0.6-size");
    /* Megatron with fewer samples than a global batch: no micro-step in the
     * first epoch (test_regression_workers_stall_without_steps_in_an_epoch) */
    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.preset = TRAINEST_PRESET_MEGATRON;
    p.samples = 100;
    p.global_batch = 128;
    p.micro_batch = 4;
    p.epochs = 3;
    e.per_sample_s = 0.001;
    e.data_mode = TRAINEST_DATA_MODE_WORKERS;
    e.data_workers = 4;
    e.data_worker_startup_s = 1;
    e.data_samples_per_s_per_worker = 10;
    seed("regress-workers-epoch-without-steps", &p, &e, 0, 0, 4);

    trainest_plan_request_init(&p, sizeof p);
    trainest_estimate_request_init(&e, sizeof e);
    p.samples = 4000000000ull;
    p.global_batch = 4294967296ull; /* G / R = 2^32: the largest trade-off */
    p.micro_batch = 1;
    e.per_sample_s = 1e-3;
    seed("seed-tradeoff-2pow32", &p, &e, 0, 0, 3);
}
