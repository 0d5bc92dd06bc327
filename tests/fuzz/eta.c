/* SPDX-License-Identifier: MIT */
/* Fuzz target: the live ETA tracker (trainest_eta_config_init,
 * trainest_eta_init, a sequence of trainest_eta_update,
 * trainest_eta_set_samples and trainest_eta_report_compute). See tests/fuzz/README.md.
 *
 * Input: flags byte, configuration (fz_struct), config init size mode,
 * tracker size mode, report size mode, then operations until the input
 * ends: an op byte and its arguments (see run_op). With flags bit 6 the
 * tracker's private bytes are overwritten after init (a caller who broke
 * the contract): then only memory safety and status values are checked. */
#define FZ_TARGET "eta"
#define FZ_MAX_LEN 4096
#include "fuzz_util.h"

#include <stddef.h>

#include "sizes.h"

#define CFG sizeof(trainest_eta_config)
#define ETA sizeof(trainest_eta)
#define REPORT sizeof(trainest_eta_report)
#define MAX_OPS 256

static _Alignas(16) unsigned char cfg_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char state[FZ_OUT_BYTES], state_full[FZ_OUT_BYTES], state_before[FZ_OUT_BYTES],
    state_copy[FZ_OUT_BYTES];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES], out_c[FZ_OUT_BYTES];

struct shadow {
    int tampered;
    uint32_t size;            /* the tracker's struct_size */
    size_t span;              /* bytes of state[] with canaries */
    trainest_eta_config cfg;  /* as the library read it */
    uint64_t steps, samples;  /* what the successful updates fed */
    double sum, carry;        /* their time, compensated */
};

static void check_report(const trainest_eta_report *r, const struct shadow *sh, double now)
{
    const char *what = "trainest_eta_report_compute";
    for (const double *v = &r->progress_ratio; v <= &r->finish_p90_unix_s; v++)
        FZ_SCHECK(what, "finite", isfinite(*v), "member at offset %zu is %g",
                  (size_t)((const unsigned char *)v - (const unsigned char *)r), *v);
    FZ_NONNEG(what, r->elapsed_s);
    FZ_NONNEG(what, r->step_s);
    FZ_NONNEG(what, r->step_sd_s);
    FZ_NONNEG(what, r->samples_per_s);
    FZ_NONNEG(what, r->remaining_s);
    FZ_NONNEG(what, r->remaining_p10_s);
    FZ_SCHECK(what, "quantiles-ordered",
              r->remaining_p10_s <= r->remaining_p50_s && r->remaining_p50_s <= r->remaining_p90_s,
              "remaining p10 %.17g, p50 %.17g, p90 %.17g", r->remaining_p10_s, r->remaining_p50_s,
              r->remaining_p90_s);
    FZ_SCHECK(what, "finish-times",
              r->finish_p10_unix_s == now + r->remaining_p10_s && r->finish_p50_unix_s == now + r->remaining_p50_s &&
                  r->finish_p90_unix_s == now + r->remaining_p90_s,
              "finish times are not now + remaining");
    const uint64_t done = sh->cfg.steps_done + sh->steps < sh->cfg.steps_done ? UINT64_MAX
                                                                              : sh->cfg.steps_done + sh->steps;
    FZ_SCHECK(what, "steps", r->steps_done == done && r->samples_done == sh->samples &&
                                 r->steps_remaining == (done < sh->cfg.total_steps ? sh->cfg.total_steps - done : 0) &&
                                 r->outliers <= sh->steps,
              "steps_done %llu (want %llu), remaining %llu, samples %llu (want %llu), outliers %llu",
              (unsigned long long)r->steps_done, (unsigned long long)done,
              (unsigned long long)r->steps_remaining, (unsigned long long)r->samples_done,
              (unsigned long long)sh->samples, (unsigned long long)r->outliers);
    const double progress = done >= sh->cfg.total_steps ? 1.0 : (double)done / (double)sh->cfg.total_steps;
    FZ_SCHECK(what, "progress", r->progress_ratio == progress && progress <= 1, "progress_ratio %.17g, want %.17g",
              r->progress_ratio, progress);
    const double elapsed = sh->sum + sh->carry;
    FZ_SCHECK(what, "elapsed", fz_close(r->elapsed_s, elapsed, 1e-9) || fabs(r->elapsed_s - elapsed) < 1e-300,
              "elapsed_s %.17g, the updates sum to %.17g", r->elapsed_s, elapsed);
    if (sh->cfg.job_mtbf_s == 0)
        FZ_SCHECK(what, "no-failures", r->remaining_s == r->remaining_p50_s,
                  "no failure model, but remaining_s %.17g != p50 %.17g", r->remaining_s, r->remaining_p50_s);
    if (!r->steps_remaining && !(sh->cfg.steps_per_epoch && sh->cfg.overhead_s_per_epoch > 0))
        FZ_SCHECK(what, "finished", r->remaining_p50_s == 0, "no steps remaining, remaining p50 %.17g",
                  r->remaining_p50_s);
}

static void kahan(struct shadow *sh, double x)
{
    const double t = sh->sum + x;
    if (fabs(sh->sum) >= fabs(x))
        sh->carry += (sh->sum - t) + x;
    else
        sh->carry += (x - t) + sh->sum;
    sh->sum = t;
}

static void do_update(struct shadow *sh, double step_s, uint64_t samples)
{
    const char *what = "trainest_eta_update";
    memcpy(state_before, state, sh->span);
    const int st = trainest_eta_update((trainest_eta *)(void *)state, step_s, samples);
    FZ_SCHECK(what, "status-valid", fz_valid_status(st), "status %d", st);
    if (st != TRAINEST_OK) {
        FZ_SCHECK(what, "unchanged-on-failure", memcmp(state_before, state, sh->span) == 0,
                  "status %s, but the tracker changed (documented: unchanged on failure)",
                  trainest_status_name(st));
        if (!sh->tampered)
            FZ_SCHECK(what, "failure-reason",
                      st == (isfinite(step_s) ? (step_s < 0 ? TRAINEST_E_OUT_OF_RANGE : TRAINEST_E_OVERFLOW)
                                              : TRAINEST_E_NOT_FINITE),
                      "step_s %g, samples %llu: %s", step_s, (unsigned long long)samples,
                      trainest_status_name(st));
        return;
    }
    FZ_SCHECK(what, "no-write-past-size", fz_all(state + sh->size, sh->span - sh->size, FZ_CANARY) &&
                                              *(const uint32_t *)(const void *)state == sh->size,
              "wrote beyond the tracker's struct_size %u", (unsigned)sh->size);
    if (!sh->tampered)
        FZ_SCHECK(what, "valid-step", isfinite(step_s) && step_s >= 0, "accepted step_s %g", step_s);
    sh->steps++;
    sh->samples += samples;
    kahan(sh, step_s);
}

static void do_report(struct shadow *sh, uint32_t out_size, double now)
{
    const char *what = "trainest_eta_report_compute";
    fz_out oa, ob, oc;
    fz_out_prepare(&oa, out_a, out_size, REPORT, TR_SIZE_ETA_REPORT_0_4);
    fz_out_prepare(&ob, out_b, REPORT, REPORT, TR_SIZE_ETA_REPORT_0_4);
    fz_out_prepare(&oc, out_c, REPORT, REPORT, TR_SIZE_ETA_REPORT_0_4);
    memcpy(state_before, state, sh->span);
    const int st_a = trainest_eta_report_compute((trainest_eta_report *)(void *)out_a, (const trainest_eta *)(const void *)state, now);
    const int st_b = trainest_eta_report_compute((trainest_eta_report *)(void *)out_b, (const trainest_eta *)(const void *)state, now);
    /* a tracker may be copied: a copy reports the same */
    memcpy(state_copy, state, sh->size <= FZ_MAX_STRUCT ? sh->size : 4);
    const int st_c = trainest_eta_report_compute((trainest_eta_report *)(void *)out_c, (const trainest_eta *)(const void *)state_copy, now);
    FZ_SCHECK(what, "state-unchanged", memcmp(state_before, state, sh->span) == 0, "the report changed the tracker");
    fz_out_check(&oa, st_a, what, 0, 0);
    if (fz_out_check(&ob, st_b, what, 0, 0)) {
        fz_out_same(&oa, st_a, &ob, st_b, what);
        FZ_SCHECK(what, "copy-reports-same", st_b == st_c && memcmp(out_b, out_c, REPORT) == 0,
                  "a copy of the tracker reports differently");
        if (st_b == TRAINEST_OK && !sh->tampered)
            check_report((const trainest_eta_report *)(const void *)out_b, sh, now);
        if (!sh->tampered)
            FZ_SCHECK(what, "documented-status",
                      st_b == TRAINEST_OK || (st_b == TRAINEST_E_NOT_FINITE && !isfinite(now)) ||
                          st_b == TRAINEST_E_OVERFLOW ||
                          /* the failure model's, documented since the fuzzer found it */
                          (st_b == TRAINEST_E_OUT_OF_RANGE && sh->cfg.job_mtbf_s > 0),
                      "status %s (invalid_field %u) for now %g: not a documented status of this call",
                      trainest_status_name(st_b), (unsigned)((const trainest_eta_report *)(const void *)out_b)->invalid_field, now);
    }
}

static void do_set_samples(struct shadow *sh, uint64_t total, uint64_t done)
{
    const char *what = "trainest_eta_set_samples";
    memcpy(state_before, state, sh->span);
    const int st = trainest_eta_set_samples((trainest_eta *)(void *)state, total, done);
    FZ_SCHECK(what, "status-valid", fz_valid_status(st), "status %d", st);
    FZ_SCHECK(what, "no-write-past-size", fz_all(state + sh->size, sh->span - sh->size, FZ_CANARY) &&
                                              *(const uint32_t *)(const void *)state == sh->size,
              "wrote beyond the tracker's struct_size %u", (unsigned)sh->size);
    if (st != TRAINEST_OK)
        FZ_SCHECK(what, "unchanged-on-failure", memcmp(state_before, state, sh->span) == 0,
                  "status %s, but the tracker changed", trainest_status_name(st));
    if (sh->tampered)
        return;
    const int want = sh->size < TR_SIZE_ETA_0_6 ? TRAINEST_E_STRUCT_SIZE
                     : !total                 ? TRAINEST_E_ZERO
                     : done > total           ? TRAINEST_E_INCONSISTENT
                                              : TRAINEST_OK;
    FZ_SCHECK(what, "documented-status", st == want, "total %llu, done %llu, struct_size %u: %s, expected %s",
              (unsigned long long)total, (unsigned long long)done, (unsigned)sh->size,
              trainest_status_name(st), trainest_status_name(want));
}

/* One operation; returns 0 when the input is used up. */
static int run_op(fz_in *in, struct shadow *sh, uint32_t out_size)
{
    if (!in->n)
        return 0;
    const uint8_t op = fz_u8(in);
    switch (op >> 6) {
    case 0: { /* a plausible step: milliseconds to a minute */
        const uint16_t ms = fz_u16(in);
        do_update(sh, ms / 1000.0, fz_u8(in));
        break;
    }
    case 1: { /* any step and sample count */
        const double t = fz_arg_double(in);
        do_update(sh, t, fz_arg_u64(in));
        break;
    }
    case 2: { /* a run of steps around a base, with an outlier every so often */
        const double base = (1 + fz_u16(in)) / 1000.0;
        const unsigned n = 1 + (op & 63) * 8;
        uint32_t x = 0x9E3779B9u ^ op;
        for (unsigned i = 0; i < n && !FZ_TAINTED(); i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            const double jitter = 1 + ((double)(x % 1000) - 500) / 10000;
            do_update(sh, (x % 97 == 0 ? 10 : 1) * base * jitter, 32);
        }
        break;
    }
    default: /* a report, or (0.6) the run's samples */
        if (op & 2) {
            const uint64_t total = fz_arg_u64(in);
            do_set_samples(sh, total, fz_arg_u64(in));
        } else {
            do_report(sh, (op & 1) ? REPORT : out_size, fz_arg_double(in));
        }
        break;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t cfg_n;
    const unsigned char *cp = fz_input(&in, cfg_buf, CFG, TR_SIZE_ETA_CONFIG_0_4, &cfg_n);
    const trainest_eta_config *cfg = flags == 0xFF ? NULL : (const trainest_eta_config *)(const void *)cp;
    struct shadow sh;
    memset(&sh, 0, sizeof sh);
    const int cfg_ok = cfg && fz_view(&sh.cfg, cp, CFG, TR_SIZE_ETA_CONFIG_0_4);

    {
        trainest_eta_config d;
        memset(&d, 0, sizeof d);
        d.warmup_steps = 5;
        d.outlier_ratio = 3;
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), CFG, TR_SIZE_ETA_CONFIG_0_4, &tail);
        FZ_INIT_CHECK(trainest_eta_config_init, trainest_eta_config, TR_SIZE_ETA_CONFIG_0_4, &d, isize, out_a);
    }

    /* the tracker, at a fuzzed struct_size and at the full one */
    int tail;
    sh.size = fz_pick_size(&in, fz_u8(&in), ETA, TR_SIZE_ETA_0_4, &tail);
    const uint32_t out_size = fz_out_size(&in, REPORT, TR_SIZE_ETA_REPORT_0_4);
    const int size_ok = fz_size_ok(sh.size, TR_SIZE_ETA_0_4);
    sh.span = (size_ok && sh.size > ETA ? sh.size : ETA) + FZ_GUARD;
    memset(state, FZ_CANARY, sh.span);
    memset(state_full, FZ_CANARY, ETA + FZ_GUARD);
    const char *what = "trainest_eta_init";
    const int st = trainest_eta_init((trainest_eta *)(void *)state, sh.size, cfg);
    const int st_full = trainest_eta_init((trainest_eta *)(void *)state_full, ETA, cfg);
    FZ_SCHECK(what, "status-valid", fz_valid_status(st), "status %d", st);
    FZ_SCHECK(what, "null", trainest_eta_init(NULL, ETA, cfg) == TRAINEST_E_NULL, "NULL tracker accepted");
    if (!size_ok) {
        FZ_SCHECK(what, "bad-size", st == TRAINEST_E_STRUCT_SIZE && fz_all(state, sh.span, FZ_CANARY),
                  "struct_size %u: status %d, or the tracker was written", (unsigned)sh.size, st);
        return 0;
    }
    FZ_SCHECK(what, "size-independent", st == st_full, "status %d at struct_size %u, %d at the full size", st,
              (unsigned)sh.size, st_full);
    FZ_SCHECK(what, "no-write-past-size", fz_all(state + sh.size, sh.span - sh.size, FZ_CANARY) &&
                                              *(const uint32_t *)(const void *)state == sh.size,
              "wrote beyond the tracker's struct_size %u", (unsigned)sh.size);
    if (sh.size > ETA)
        FZ_SCHECK(what, "zero-unknown-tail", fz_all(state + ETA, sh.size - ETA, 0),
                  "bytes beyond this library's tracker are not zeroed");
    const trainest_eta *full = (const trainest_eta *)(const void *)state_full;
    if (st != TRAINEST_OK) {
        /* zeroed except struct_size and (0.5) invalid_field */
        const size_t f = offsetof(trainest_eta, invalid_field);
        for (size_t i = 4; i < (sh.size < ETA ? sh.size : ETA); i++)
            if (i < f || i >= f + 4)
                FZ_SCHECK(what, "error-zeroed", state[i] == 0, "status %s, but tracker byte %zu is 0x%02x",
                          trainest_status_name(st), i, state[i]);
        FZ_SCHECK(what, "error-field", st == TRAINEST_E_NULL || fz_valid_field(full->invalid_field),
                  "status %s names unknown invalid_field %u", trainest_status_name(st), (unsigned)full->invalid_field);
        /* a failed tracker is refused by the others */
        trainest_eta_report r;
        memset(&r, 0, sizeof r);
        r.struct_size = sizeof r;
        const int su = trainest_eta_update((trainest_eta *)(void *)state, 1, 1);
        const int sr = trainest_eta_report_compute(&r, (const trainest_eta *)(const void *)state, 0);
        FZ_SCHECK(what, "failed-tracker-refused", su != TRAINEST_OK && sr != TRAINEST_OK,
                  "a tracker whose init failed is accepted (update %d, report %d)", su, sr);
        return 0;
    }
    FZ_SCHECK(what, "ok", cfg_ok && full->invalid_field == 0, "initialised from an unreadable configuration");
    if (flags & 0x40) {
        /* a caller who wrote into the private state (keeping struct_size) */
        const size_t n = (sh.size < ETA ? sh.size : ETA) - 4;
        const uint8_t at = fz_u8(&in);
        const size_t off = 4 + at % n, len = fz_u8(&in) % 64;
        fz_bytes(&in, state + off, off + len <= 4 + n ? len : 4 + n - off);
        sh.tampered = 1;
    }
    for (unsigned i = 0; i < MAX_OPS && !FZ_TAINTED() && run_op(&in, &sh, out_size); i++)
        ;
    if (!FZ_TAINTED())
        do_report(&sh, out_size, 1.7e9);
    FZ_CHECK("eta:input-unchanged", memcmp(cp, cfg_buf, cfg_n) == 0, "the configuration was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void begin(const trainest_eta_config *c, uint8_t state_mode, uint8_t report_mode)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(c, sizeof *c);
    fz_emit_u8(0);          /* config init */
    fz_emit_u8(state_mode); /* tracker size */
    fz_emit_u8(report_mode);
}

static void op_step(double s, uint8_t samples)
{
    fz_emit_u8(0);
    const unsigned ms = (unsigned)(s * 1000);
    fz_emit_u8((uint8_t)ms);
    fz_emit_u8((uint8_t)(ms >> 8));
    fz_emit_u8(samples);
}

static void op_run(unsigned n8, double base)
{
    fz_emit_u8((uint8_t)(0x80 | (n8 & 63)));
    const unsigned b = (unsigned)(base * 1000) - 1;
    fz_emit_u8((uint8_t)b);
    fz_emit_u8((uint8_t)(b >> 8));
}

static void op_report(double now)
{
    fz_emit_u8(0xC0);
    fz_emit_arg_double(now);
}

static void op_set_samples(uint64_t total, uint64_t done)
{
    fz_emit_u8(0xC2);
    fz_emit_arg_u64(total);
    fz_emit_arg_u64(done);
}

static void op_any(double s, uint64_t samples)
{
    fz_emit_u8(0x40);
    fz_emit_arg_double(s);
    fz_emit_arg_u64(samples);
}

static void fz_seeds(void)
{
    trainest_eta_config c;
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 100000;
    c.prior_step_s = 1.2;
    begin(&c, 0, 0);
    op_report(1.7e9);
    for (int i = 0; i < 8; i++)
        op_step(1.1 + i * 0.01, 32);
    op_report(1.7e9 + 10);
    op_run(40, 1.0);
    op_report(1.7e9 + 400);
    fz_seed_end("seed-steady-run");

    c.steps_done = 50000;
    c.steps_per_epoch = 1000;
    c.overhead_s_per_epoch = 120;
    c.job_mtbf_s = 3600 * 5;
    c.restart_s = 600;
    c.checkpoint_write_s = 30;
    begin(&c, 6 /* the 0.4 tracker size */, 6);
    op_run(63, 2.0);
    op_step(60, 32);
    op_run(20, 2.0);
    op_report(1.7e9);
    fz_seed_end("seed-resumed-failures-epochs");

    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 10;
    c.warmup_steps = 0;
    begin(&c, 7, 7);
    op_any(-1, 1);
    op_any(NAN, 1);
    op_any(1, UINT64_MAX);
    op_any(1, 1);
    op_any(1e308, 1);
    op_any(1e308, 0);
    op_report(-1e308);
    op_report(INFINITY);
    fz_seed_end("seed-bad-updates-overflow");

    /* 0.6: a growing batch with the run's samples, and the refusals */
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 400;
    begin(&c, 0, 0);
    op_set_samples(0, 0);
    op_set_samples(100, 101);
    op_set_samples(150000, 0);
    for (int i = 0; i < 40; i++)
        op_step(0.02 + 0.001 * (8 + i * 4), (uint8_t)(8 + i * 4));
    op_report(1.7e9);
    op_step(1.0, 0); /* a step without samples turns the model off */
    op_report(1.7e9 + 10);
    fz_seed_end("seed-samples-ramp");
    begin(&c, 6 /* the 0.4 tracker size */, 0);
    op_set_samples(1000, 0);
    fz_seed_end("seed-samples-old-tracker");

    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 5;
    c.steps_done = 6; /* inconsistent: init fails */
    begin(&c, 0, 0);
    fz_seed_end("seed-init-fails");

    /* a failure a second and a checkpoint every 1000 s: the failure model
     * refuses (OUT_OF_RANGE); the report kept its counts (fixed in 722f899) */
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 1000;
    c.prior_step_s = 1;
    c.job_mtbf_s = 1;
    c.checkpoint_interval_s = 1000;
    begin(&c, 0, 0);
    op_report(0);
    fz_seed_end("regress-report-failure-model-error-not-zeroed");
}
