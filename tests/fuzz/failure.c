/* SPDX-License-Identifier: MIT */
/* Fuzz target: failures and checkpoints (trainest_failure_request_init,
 * trainest_failure_compute). See tests/fuzz/README.md.
 *
 * Input: flags byte, failure request (fz_struct), init size mode, output
 * size mode. */
#define FZ_TARGET "failure"
#define FZ_MAX_LEN 256
#include "fuzz_util.h"

#include "sizes.h"

#define FAIL_RQ sizeof(trainest_failure_request)
#define FAIL_OUT sizeof(trainest_failure)

static _Alignas(16) unsigned char rq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];

static void check_failure(const trainest_failure *f, const trainest_failure_request *rq)
{
    const char *what = "trainest_failure_compute";
    for (const double *v = &f->job_mtbf_s; v <= &f->p90_total_s; v++) {
        if (v == (const double *)(const void *)&f->checkpoints || v == (const double *)(const void *)&f->reserved0)
            continue;
        FZ_SCHECK(what, "finite-nonneg", isfinite(*v) && *v >= 0, "member at offset %zu is %g",
                  (size_t)((const unsigned char *)v - (const unsigned char *)f), *v);
    }
    const double W = rq->work_s, base = W + f->checkpoint_s;
    FZ_SCHECK(what, "quantiles-ordered", f->p50_total_s <= f->p90_total_s, "p50 %.17g > p90 %.17g",
              f->p50_total_s, f->p90_total_s);
    FZ_SCHECK(what, "expected-at-least-work", f->expected_total_s >= W, "expected_total_s %.17g < work_s %.17g",
              f->expected_total_s, W);
    FZ_SCHECK(what, "p50-at-least-base", f->p50_total_s >= base * (1 - 1e-15),
              "p50 %.17g below work + checkpoints %.17g", f->p50_total_s, base);
    /* in (0, 1]; 0 only where work / expected underflows (a subnormal work_s) */
    FZ_SCHECK(what, "effective-ratio",
              (f->effective_time_ratio > 0 || W / f->expected_total_s == 0) && f->effective_time_ratio <= 1 &&
                                           fz_close(f->effective_time_ratio, W / f->expected_total_s, 1e-12),
              "effective_time_ratio %.17g, work / expected is %.17g", f->effective_time_ratio,
              W / f->expected_total_s);
    FZ_SCHECK(what, "expected-sum",
              fz_close(f->expected_total_s, base + f->expected_lost_work_s + f->expected_restart_s, 1e-12),
              "expected_total_s %.17g != work + checkpoints + lost + restarts %.17g", f->expected_total_s,
              base + f->expected_lost_work_s + f->expected_restart_s);
    FZ_SCHECK(what, "checkpoint-time", fz_close(f->checkpoint_s, (double)f->checkpoints * rq->checkpoint_write_s, 1e-12),
              "checkpoint_s %.17g != %llu checkpoints * %.17g", f->checkpoint_s,
              (unsigned long long)f->checkpoints, rq->checkpoint_write_s);
    FZ_SCHECK(what, "restart-time", fz_close(f->expected_restart_s, f->expected_interruptions * rq->restart_s, 1e-12),
              "expected_restart_s %.17g != interruptions %.17g * restart_s %.17g", f->expected_restart_s,
              f->expected_interruptions, rq->restart_s);
    FZ_SCHECK(what, "reserved", f->reserved0 == 0, "reserved0 %llu", (unsigned long long)f->reserved0);
    const int fails = rq->mtbf_hours_per_device > 0 || rq->mtbf_hours_per_node > 0;
    if (!fails)
        FZ_SCHECK(what, "nothing-fails", f->job_mtbf_s == 0 && f->expected_interruptions == 0 &&
                                             f->expected_total_s == base && f->p90_total_s == base,
                  "no MTBF given, but job_mtbf_s %g, interruptions %g", f->job_mtbf_s,
                  f->expected_interruptions);
    else {
        /* failures per second; an MTBF so long that this underflows to 0
         * means nothing fails within double precision */
        const uint64_t per_node = rq->devices_per_node ? rq->devices_per_node : 1;
        const double nodes = (double)(rq->devices / per_node + (rq->devices % per_node != 0));
        double rate = 0;
        if (rq->mtbf_hours_per_device > 0)
            rate += (double)rq->devices / (rq->mtbf_hours_per_device * 3600);
        if (rq->mtbf_hours_per_node > 0)
            rate += nodes / (rq->mtbf_hours_per_node * 3600);
        FZ_SCHECK(what, "mtbf-given-fails", f->job_mtbf_s > 0 || rate == 0,
                  "an MTBF is given (device %g h, node %g h), but job_mtbf_s is 0: nothing fails",
                  rq->mtbf_hours_per_device, rq->mtbf_hours_per_node);
    }
    if (rq->checkpoint_interval_s > 0 && f->checkpoints)
        FZ_SCHECK(what, "interval-kept", f->checkpoint_interval_s == rq->checkpoint_interval_s,
                  "checkpoint_interval_s %.17g, %.17g given", f->checkpoint_interval_s, rq->checkpoint_interval_s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t rq_n;
    const unsigned char *rqp = fz_input(&in, rq_buf, FAIL_RQ, TR_SIZE_FAILURE_REQUEST_0_4, &rq_n);
    const trainest_failure_request *rq = flags == 0xFF ? NULL : (const trainest_failure_request *)(const void *)rqp;
    trainest_failure_request view;
    const int rq_ok = rq && fz_view(&view, rqp, FAIL_RQ, TR_SIZE_FAILURE_REQUEST_0_4);

    {
        trainest_failure_request d;
        memset(&d, 0, sizeof d);
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), FAIL_RQ, TR_SIZE_FAILURE_REQUEST_0_4, &tail);
        FZ_INIT_CHECK(trainest_failure_request_init, trainest_failure_request, TR_SIZE_FAILURE_REQUEST_0_4,
                      &d, isize, out_a);
    }

    const char *what = "trainest_failure_compute";
    fz_out oa, ob;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, FAIL_OUT, TR_SIZE_FAILURE_0_4), FAIL_OUT, TR_SIZE_FAILURE_0_4);
    fz_out_prepare(&ob, out_b, FAIL_OUT, FAIL_OUT, TR_SIZE_FAILURE_0_4);
    const int st_a = trainest_failure_compute((trainest_failure *)(void *)out_a, rq);
    const int st_b = trainest_failure_compute((trainest_failure *)(void *)out_b, rq);
    fz_out_check(&oa, st_a, what, 0, 0);
    if (fz_out_check(&ob, st_b, what, 0, 0)) {
        fz_out_same(&oa, st_a, &ob, st_b, what);
        if (st_b == TRAINEST_OK && rq_ok)
            check_failure((const trainest_failure *)(const void *)out_b, &view);
    }
    FZ_CHECK("failure:input-unchanged", memcmp(rqp, rq_buf, rq_n) == 0, "the request was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void seed(const char *name, const trainest_failure_request *r, uint8_t out_mode)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(r, sizeof *r);
    fz_emit_u8(0);
    fz_emit_u8(out_mode);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    trainest_failure_request r;
    trainest_failure_request_init(&r, sizeof r);
    r.work_s = 34 * 86400.0;
    r.devices = 16384;
    r.devices_per_node = 8;
    r.mtbf_hours_per_device = 50000;
    r.mtbf_hours_per_node = 20000;
    r.checkpoint_write_s = 60;
    r.restart_s = 600;
    seed("seed-llama3-scale-daly", &r, 0);
    r.interval_rule = TRAINEST_INTERVAL_YOUNG;
    seed("seed-young", &r, 6);
    r.checkpoint_interval_s = 3600;
    seed("seed-given-interval", &r, 7);
    trainest_failure_request_init(&r, sizeof r);
    r.work_s = 1000;
    r.devices = 1;
    seed("seed-nothing-fails", &r, 0);
    r.mtbf_hours_per_device = 1e-3; /* a segment that almost never completes */
    r.checkpoint_write_s = 1;
    r.checkpoint_interval_s = 1000;
    seed("seed-never-finishes", &r, 0);
    trainest_failure_request_init(&r, sizeof r);
    r.work_s = 1e300;
    r.devices = UINT64_MAX;
    r.mtbf_hours_per_device = 1e-300;
    r.checkpoint_write_s = 4.9406564584124654e-324;
    seed("seed-extremes", &r, 0);
    /* devices / (mtbf * 3600) overflows to inf, M = 1 / inf = 0 reads as
     * "nothing fails": a run that never finishes was reported as failure-free
     * (fixed in 722f899) */
    trainest_failure_request_init(&r, sizeof r);
    r.work_s = 1000;
    r.devices = 1;
    r.checkpoint_write_s = 1;
    r.mtbf_hours_per_device = 1e-320;
    seed("regress-subnormal-mtbf-reads-as-no-failures", &r, 0);
    /* the other end: an MTBF so long that the rate underflows to 0 is
     * "nothing fails", correctly */
    r.mtbf_hours_per_device = 1.38e306;
    r.mtbf_hours_per_node = 1.38e306;
    seed("seed-mtbf-beyond-double-range", &r, 0);
}
