/* SPDX-License-Identifier: MIT */
/* Fuzz target: step-time calibration (trainest_calibration_request_init,
 * trainest_step_calibrate with arrays of observations). See tests/fuzz/README.md.
 *
 * Input: flags byte, calibration request (fz_struct), observation array
 * (fz_input_array), init size mode, output size mode. */
#define FZ_TARGET "calibrate"
#define FZ_MAX_LEN 4096
#include "fuzz_util.h"

#include "sizes.h"

#define CAL_RQ sizeof(trainest_calibration_request)
#define OBS sizeof(trainest_step_observation)

static _Alignas(16) unsigned char rq_buf[FZ_MAX_STRUCT + FZ_GUARD];
static _Alignas(16) unsigned char obs_buf[1 << 20];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];

/* offsetof(trainest_step_fit, invalid_index): kept on failure */
#define INDEX_LO 8
#define INDEX_HI 12

static void check_fit(const trainest_step_fit *f, uint32_t count, const trainest_calibration_request *rq)
{
    const char *what = "trainest_step_calibrate";
    FZ_NONNEG(what, f->floor_s);
    FZ_NONNEG(what, f->fixed_s);
    FZ_NONNEG(what, f->per_sample_s);
    FZ_NONNEG(what, f->launch_lag_s);
    FZ_NONNEG(what, f->optimizer_s);
    FZ_NONNEG(what, f->max_residual_ratio);
    FZ_NONNEG(what, f->mean_residual_ratio);
    FZ_SCHECK(what, "mean-below-max", f->mean_residual_ratio <= f->max_residual_ratio * (1 + 1e-12),
              "mean residual %.17g above the largest %.17g", f->mean_residual_ratio,
              f->max_residual_ratio);
    FZ_SCHECK(what, "observations", f->observations == count, "observations %llu, count %u",
              (unsigned long long)f->observations, (unsigned)count);
    FZ_SCHECK(what, "ok-index", f->invalid_index == UINT32_MAX, "invalid_index %u on success",
              (unsigned)f->invalid_index);
    FZ_SCHECK(what, "flags", (f->flags & ~(TRAINEST_FIT_FLOOR_FITTED | TRAINEST_FIT_LAUNCH_LAG_FITTED)) == 0,
              "unknown flags 0x%x", (unsigned)f->flags);
    FZ_SCHECK(what, "floor-flag", (f->flags & TRAINEST_FIT_FLOOR_FITTED) || f->floor_s == 0,
              "floor_s %g without TRAINEST_FIT_FLOOR_FITTED", f->floor_s);
    FZ_SCHECK(what, "lag-flag", (f->flags & TRAINEST_FIT_LAUNCH_LAG_FITTED) || f->launch_lag_s == 0,
              "launch_lag_s %g without TRAINEST_FIT_LAUNCH_LAG_FITTED", f->launch_lag_s);
    if (rq && (rq->flags & TRAINEST_CALIBRATE_OPTIMIZER_KNOWN))
        FZ_SCHECK(what, "optimizer-known", f->optimizer_s == rq->optimizer_s,
                  "optimizer_s %.17g, but %.17g was given as known", f->optimizer_s, rq->optimizer_s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    size_t rq_n, obs_n;
    const unsigned char *rqp = fz_input(&in, rq_buf, CAL_RQ, TR_SIZE_CALIBRATION_REQUEST_0_2, &rq_n);
    uint32_t count, stride;
    const unsigned char *obs = fz_input_array(&in, obs_buf, sizeof obs_buf, OBS, TR_SIZE_STEP_OBSERVATION_0_2,
                                              &count, &stride, &obs_n);
    /* flags: bit 0 no request (defaults), 0xFE no observations */
    const trainest_calibration_request *rq =
        flags & 1 ? NULL : (const trainest_calibration_request *)(const void *)rqp;
    const trainest_step_observation *ob =
        flags == 0xFE ? NULL : (const trainest_step_observation *)(const void *)obs;
    trainest_calibration_request view;
    const int rq_ok = rq && fz_view(&view, rqp, CAL_RQ, TR_SIZE_CALIBRATION_REQUEST_0_2);

    {
        trainest_calibration_request d;
        memset(&d, 0, sizeof d);
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), CAL_RQ, TR_SIZE_CALIBRATION_REQUEST_0_2, &tail);
        FZ_INIT_CHECK(trainest_calibration_request_init, trainest_calibration_request,
                      TR_SIZE_CALIBRATION_REQUEST_0_2, &d, isize, out_a);
        /* the element initialiser (0.6) at the same fuzzed size */
        trainest_step_observation z;
        memset(&z, 0, sizeof z);
        FZ_INIT_CHECK(trainest_step_observation_init, trainest_step_observation,
                      TR_SIZE_STEP_OBSERVATION_0_2, &z, isize, out_a);
    }

    const char *what = "trainest_step_calibrate";
    fz_out oa, ob_;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, sizeof(trainest_step_fit), TR_SIZE_STEP_FIT_0_2),
                   sizeof(trainest_step_fit), TR_SIZE_STEP_FIT_0_2);
    fz_out_prepare(&ob_, out_b, sizeof(trainest_step_fit), sizeof(trainest_step_fit), TR_SIZE_STEP_FIT_0_2);
    const int st_a = trainest_step_calibrate((trainest_step_fit *)(void *)out_a, ob, count, rq);
    const int st_b = trainest_step_calibrate((trainest_step_fit *)(void *)out_b, ob, count, rq);
    fz_out_check(&oa, st_a, what, INDEX_LO, INDEX_HI);
    if (fz_out_check(&ob_, st_b, what, INDEX_LO, INDEX_HI)) {
        fz_out_same(&oa, st_a, &ob_, st_b, what);
        const trainest_step_fit *f = (const trainest_step_fit *)(const void *)out_b;
        if (st_b == TRAINEST_OK)
            check_fit(f, count, rq_ok ? &view : NULL);
        else
            FZ_SCHECK(what, "error-index", f->invalid_index == UINT32_MAX || f->invalid_index < count,
                      "status %s with invalid_index %u of %u observations", trainest_status_name(st_b),
                      (unsigned)f->invalid_index, (unsigned)count);
    }
    FZ_CHECK("calibrate:input-unchanged", memcmp(rqp, rq_buf, rq_n) == 0 && memcmp(obs, obs_buf, obs_n) == 0,
             "an input was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void emit_obs_sized(uint64_t m, uint64_t a, double t, int own_size)
{
    trainest_step_observation o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.micro_batch = m;
    o.grad_accum_steps = a;
    o.step_s = t;
    fz_emit_u8(own_size >= 0 ? 0xF0 : 0); /* element flag: own struct_size or not, no overlays */
    fz_emit((const unsigned char *)&o + 4, sizeof o - 4);
    if (own_size >= 0)
        fz_emit_u32((uint32_t)own_size);
}

static void emit_obs(uint64_t m, uint64_t a, double t)
{
    emit_obs_sized(m, a, t, -1);
}

static void begin(uint32_t flags, double optimizer_s, uint8_t count)
{
    trainest_calibration_request r;
    trainest_calibration_request_init(&r, sizeof r);
    r.flags = flags;
    r.optimizer_s = optimizer_s;
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_struct(&r, sizeof r);
    fz_emit_u8(0); /* stride: current size */
    fz_emit_u8(count);
}

static void end(const char *name, uint8_t out_mode)
{
    fz_emit_u8(0);
    fz_emit_u8(out_mode);
    fz_seed_end(name);
}

/* step(m, a) = max(a * floor, lag + a * (fixed + per * m)) + optimizer */
static double model(double m, double a)
{
    const double host = a * 0.004, dev = 0.03 + a * (0.01 + 0.0009 * m);
    return (host > dev ? host : dev) + 0.02;
}

static void fz_seeds(void)
{
    static const uint64_t ms[] = {1, 2, 4, 8, 16, 32, 64, 128};
    begin(0, 0, 16);
    for (int i = 0; i < 8; i++)
        for (uint64_t a = 1; a <= 2; a++)
            emit_obs(ms[i], a, model((double)ms[i], (double)a));
    end("seed-exact-model-16", 0);

    begin(TRAINEST_CALIBRATE_OPTIMIZER_KNOWN, 0.02, 5);
    emit_obs(32, 1, 0.061);
    emit_obs(64, 1, 0.09);
    emit_obs(128, 1, 0.15);
    emit_obs(64, 4, 0.27);
    emit_obs(64, 1, 0.5); /* an outlier */
    end("seed-optimizer-known-outlier", 6);

    begin(0, 0, 3);
    emit_obs(1, 1, 1e-300);
    emit_obs(2, 1, 4.9406564584124654e-324);
    emit_obs(UINT64_MAX, UINT64_MAX, 1.7e308);
    end("seed-extreme-values", 0);

    begin(0, 0, 2);
    emit_obs(8, 1, 0.1);
    emit_obs(8, 1, 0.2);
    end("seed-too-few-distinct", 9);

    /* the last element claims 40 bytes in an array of stride 32: it was read
     * past the array's end (fixed in 722f899) */
    begin(0, 0, 2);
    emit_obs(8, 1, 0.1);
    emit_obs_sized(16, 1, 0.2, 40);
    end("regress-overread-element-struct-size", 0);
}
