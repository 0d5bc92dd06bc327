/* SPDX-License-Identifier: MIT */
/* Fuzz target: the loader-worker fit (trainest_loader_observation_init,
 * trainest_loader_calibrate with arrays of observations, 0.7.0). See
 * tests/fuzz/README.md.
 *
 * Input: flags byte, observation array (fz_input_array), init size mode,
 * output size mode. */
#define FZ_TARGET "loader"
#define FZ_MAX_LEN 4096
#include "fuzz_util.h"

#include "sizes.h"

#define OBS sizeof(trainest_loader_observation)
#define FIT sizeof(trainest_loader_fit)

static _Alignas(16) unsigned char obs_buf[1 << 20];
static _Alignas(16) unsigned char out_a[FZ_OUT_BYTES], out_b[FZ_OUT_BYTES];

/* offsetof(trainest_loader_fit, invalid_index): kept on failure */
#define INDEX_LO 8
#define INDEX_HI 12

/* When an observation's last batch is ready in the model, from its
 * definition: ready(k) = (k mod W + 1) s + u x (the worker's samples up to
 * batch k) grows with the worker and the round, so of the full batches only
 * the last one and the previous round's last worker can be the latest; and
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

/* The fit's objective, the sum of |predicted / measured - 1|, and its
 * largest term. */
static long double objective(const trainest_loader_observation *o, uint32_t n, long double s,
                             long double u, long double *max)
{
    long double sum = 0;
    *max = 0;
    for (uint32_t i = 0; i < n; i++) {
        const long double r = fabsl(loader_time(&o[i], s, u) / o[i].seconds - 1);
        sum += r;
        *max = r > *max ? r : *max;
    }
    return sum;
}

/* 0, or far from the subnormals (2^-1022 x 2^53). */
static int full_precision(long double x)
{
    return x == 0 || x >= 0x1p-969L;
}

/* On success: parameters finite and >= 0, residuals those of the
 * parameters reported, and no nearby point (nor any where one observation
 * alone is matched with the other parameter 0) does better. */
static void check_fit(const trainest_loader_fit *f, const trainest_loader_observation *o, uint32_t n)
{
    const char *what = "trainest_loader_calibrate";
    FZ_NONNEG(what, f->worker_startup_s);
    FZ_NONNEG(what, f->samples_per_s_per_worker);
    FZ_NONNEG(what, f->max_residual_ratio);
    FZ_NONNEG(what, f->mean_residual_ratio);
    FZ_SCHECK(what, "mean-below-max", f->mean_residual_ratio <= f->max_residual_ratio * (1 + 1e-12),
              "mean residual %.17g above the largest %.17g", f->mean_residual_ratio,
              f->max_residual_ratio);
    FZ_SCHECK(what, "observations", f->observations == n, "observations %llu, count %u",
              (unsigned long long)f->observations, (unsigned)n);
    FZ_SCHECK(what, "ok-index", f->invalid_index == UINT32_MAX && f->reserved0 == 0,
              "invalid_index %u, reserved0 %u on success", (unsigned)f->invalid_index,
              (unsigned)f->reserved0);
    const long double s = f->worker_startup_s;
    const long double u = f->samples_per_s_per_worker > 0 ? 1.0L / f->samples_per_s_per_worker : 0;
    long double max;
    const long double sum = objective(o, n, s, u, &max);
    FZ_SCHECK(what, "residuals",
              fabsl(max - f->max_residual_ratio) <= 1e-9L * (1 + max) &&
                  fabsl(sum / n - f->mean_residual_ratio) <= 1e-9L * (1 + sum / n),
              "reported residuals %.17g (max), %.17g (mean); the model with s = %.17g, %.17g "
              "samples/s gives %.17Lg, %.17Lg",
              f->max_residual_ratio, f->mean_residual_ratio, f->worker_startup_s,
              f->samples_per_s_per_worker, max, sum / n);
    /* the fit is the minimum over s, u >= 0: probes must not beat it (the
     * library works in double: allow its rounding). Among subnormals a
     * parameter is a count of 2^-1074 with few digits, and the best of
     * them need not be the one nearest the real minimum: only parameters
     * with a double's full precision are compared. */
    if (!full_precision(s) || !full_precision(u))
        return;
    long double probes[10][2] = {{s * 1.01L, u}, {s * 0.99L, u}, {s, u * 1.01L}, {s, u * 0.99L},
                                 {s * 1.01L, u * 0.99L}, {s * 0.99L, u * 1.01L}};
    unsigned np = 6;
    for (uint32_t i = 0; i < n && i < 2; i++) {
        /* observation i matched by the start-up alone, and by the rate alone */
        probes[np][0] = o[i].seconds / loader_time(&o[i], 1, 0);
        probes[np][1] = 0;
        np++;
        probes[np][0] = 0;
        probes[np][1] = o[i].seconds / loader_time(&o[i], 0, 1);
        np++;
    }
    for (unsigned k = 0; k < np; k++) {
        /* parameters a double can hold, as the library's are */
        probes[k][0] = (double)probes[k][0];
        probes[k][1] = (double)probes[k][1];
        if (!full_precision(probes[k][0]) || !full_precision(probes[k][1]))
            continue;
        long double pmax;
        const long double p = objective(o, n, probes[k][0], probes[k][1], &pmax);
        FZ_SCHECK(what, "optimal", !(p < sum - 1e-9L * (1 + sum)),
                  "the fit's objective is %.17Lg, but s = %.17Lg, u = %.17Lg gives %.17Lg", sum,
                  probes[k][0], probes[k][1], p);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t flags = fz_u8(&in);
    uint32_t count, stride;
    size_t obs_n;
    const unsigned char *obs = fz_input_array(&in, obs_buf, sizeof obs_buf, OBS,
                                              TR_SIZE_LOADER_OBSERVATION_0_7, &count, &stride, &obs_n);
    /* flags 0xFE: no observations */
    const trainest_loader_observation *ob =
        flags == 0xFE ? NULL : (const trainest_loader_observation *)(const void *)obs;

    {
        trainest_loader_observation z;
        memset(&z, 0, sizeof z);
        int tail;
        const uint32_t isize = fz_pick_size(&in, fz_u8(&in), OBS, TR_SIZE_LOADER_OBSERVATION_0_7, &tail);
        FZ_INIT_CHECK(trainest_loader_observation_init, trainest_loader_observation,
                      TR_SIZE_LOADER_OBSERVATION_0_7, &z, isize, out_a);
    }

    const char *what = "trainest_loader_calibrate";
    fz_out oa, ob_;
    fz_out_prepare(&oa, out_a, fz_out_size(&in, FIT, TR_SIZE_LOADER_FIT_0_7), FIT, TR_SIZE_LOADER_FIT_0_7);
    fz_out_prepare(&ob_, out_b, FIT, FIT, TR_SIZE_LOADER_FIT_0_7);
    const int st_a = trainest_loader_calibrate((trainest_loader_fit *)(void *)out_a, ob, count);
    const int st_b = trainest_loader_calibrate((trainest_loader_fit *)(void *)out_b, ob, count);
    /* the statuses the header documents */
    static const int documented[] = {
        TRAINEST_OK, TRAINEST_E_NULL, TRAINEST_E_STRUCT_SIZE, TRAINEST_E_UNSUPPORTED,
        TRAINEST_E_ZERO, TRAINEST_E_NOT_FINITE, TRAINEST_E_OUT_OF_RANGE,
        TRAINEST_E_TOO_FEW_POINTS, TRAINEST_E_UNIDENTIFIABLE, TRAINEST_E_OVERFLOW};
    int known = 0;
    for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++)
        known |= st_b == documented[i];
    FZ_SCHECK(what, "documented-status", known, "status %s is not documented for this function",
              trainest_status_name(st_b));
    /* the count is looked at first */
    if (count < 2 || count > 64)
        FZ_SCHECK(what, "count-first",
                  st_b == (count < 2 ? TRAINEST_E_TOO_FEW_POINTS : TRAINEST_E_OUT_OF_RANGE),
                  "count %u: status %s", (unsigned)count, trainest_status_name(st_b));
    fz_out_check(&oa, st_a, what, INDEX_LO, INDEX_HI);
    if (fz_out_check(&ob_, st_b, what, INDEX_LO, INDEX_HI)) {
        fz_out_same(&oa, st_a, &ob_, st_b, what);
        const trainest_loader_fit *f = (const trainest_loader_fit *)(const void *)out_b;
        if (st_b == TRAINEST_OK) {
            /* the observations as the library read them: each of the stride */
            static trainest_loader_observation view[64];
            for (uint32_t i = 0; i < count; i++)
                fz_view(&view[i], obs + (size_t)i * stride, OBS, TR_SIZE_LOADER_OBSERVATION_0_7);
            check_fit(f, view, count);
        } else {
            FZ_SCHECK(what, "error-index", f->invalid_index == UINT32_MAX || f->invalid_index < count,
                      "status %s with invalid_index %u of %u observations", trainest_status_name(st_b),
                      (unsigned)f->invalid_index, (unsigned)count);
        }
    }
    FZ_CHECK("loader:input-unchanged", memcmp(obs, obs_buf, obs_n) == 0, "an input was modified");
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void emit_obs_sized(uint64_t W, uint64_t b, uint64_t n, double t, uint32_t reserved0,
                           int own_size)
{
    trainest_loader_observation o;
    memset(&o, 0, sizeof o);
    o.struct_size = sizeof o;
    o.reserved0 = reserved0;
    o.workers = W;
    o.batch_size = b;
    o.samples = n;
    o.seconds = t;
    fz_emit_u8(own_size >= 0 ? 0xF0 : 0); /* element flag: own struct_size or not, no overlays */
    fz_emit((const unsigned char *)&o + 4, sizeof o - 4);
    if (own_size >= 0)
        fz_emit_u32((uint32_t)own_size);
}

static void emit_obs(uint64_t W, uint64_t b, uint64_t n, double t)
{
    emit_obs_sized(W, b, n, t, 0, -1);
}

/* An epoch timed by the model at s seconds apart and u per sample, times f. */
static void emit_model(uint64_t W, uint64_t b, uint64_t n, double s, double u, double f)
{
    const trainest_loader_observation o = {sizeof o, 0, W, b, n, 0};
    emit_obs(W, b, n, (double)loader_time(&o, s, u) * f);
}

static void begin(uint8_t flags, uint8_t count)
{
    fz_seed_begin();
    fz_emit_u8(flags);
    fz_emit_u8(0); /* stride: the current size */
    fz_emit_u8(count);
}

static void end(const char *name, uint8_t out_mode)
{
    fz_emit_u8(0);
    fz_emit_u8(out_mode);
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    /* ResNet-50's loader-only epochs: s = 0.137869 s, 790.238 samples/s */
    const double s = 0.137869, T = 128 / 790.238;
    begin(0, 2);
    emit_obs(4, 128, 4096, 4 * s + 8 * T);
    emit_obs(12, 128, 4096, 12 * s + 2 * T);
    end("seed-resnet50", 0);

    /* one outlier (+50 %) among six */
    begin(0, 6);
    emit_model(2, 64, 2048, 0.1, 1 / 500.0, 1);
    emit_model(4, 64, 2048, 0.1, 1 / 500.0, 1);
    emit_model(8, 64, 2048, 0.1, 1 / 500.0, 1.5);
    emit_model(12, 64, 2048, 0.1, 1 / 500.0, 1);
    emit_model(3, 50, 1000, 0.1, 1 / 500.0, 1);
    emit_model(6, 50, 1000, 0.1, 1 / 500.0, 1);
    end("seed-outlier-of-six", 0);

    /* partial last batches */
    begin(0, 3);
    emit_model(1, 32, 1000, 0.02, 1 / 800.0, 1);
    emit_model(2, 32, 1000, 0.02, 1 / 800.0, 1);
    emit_model(8, 32, 1000, 0.02, 1 / 800.0, 1);
    end("seed-partial-batches", 0);

    /* s + 10 u and 2 s + 20 u: parallel, a line of solutions */
    begin(0, 2);
    emit_obs(1, 10, 10, 1.0);
    emit_obs(2, 20, 40, 2.0);
    end("seed-unidentifiable", 0);

    /* a rate beyond the range of double (u is one ulp of 2e-300) */
    begin(0, 2);
    emit_obs(1, 1, 1, 1e-300);
    emit_obs(2, 1, 2, nextafter(2e-300, 0));
    end("seed-rate-overflows", 0);

    /* counts and samples at the top, times at both ends */
    begin(0, 3);
    emit_obs(1, 1, UINT64_MAX, DBL_MAX);
    emit_obs(UINT64_MAX, UINT64_C(1) << 63, UINT64_MAX, 4.9406564584124654e-324);
    emit_obs(7, 3, UINT64_C(1) << 53, 1);
    end("seed-extreme-values", 6);

    /* one epoch measured twice; a reserved field set; an element larger
     * than the stride; a larger stride with a non-zero tail */
    begin(0, 2);
    emit_obs(4, 128, 4096, 1.8);
    emit_obs(4, 128, 4096, 1.9);
    end("seed-too-few-distinct", 9);
    begin(0, 2);
    emit_obs(4, 128, 4096, 1.8);
    emit_obs_sized(12, 128, 4096, 2.0, 1, -1);
    end("seed-reserved", 0);
    begin(0, 2);
    emit_obs(4, 128, 4096, 1.8);
    emit_obs_sized(12, 128, 4096, 2.0, 0, 48);
    end("seed-element-larger-than-stride", 0);
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit_u8(8); /* stride mode 8: a larger size whose tail bytes follow */
    fz_emit_u8(3); /* 40 + 1 + 3 = 44 bytes */
    fz_emit_u8(2);
    emit_obs(4, 128, 4096, 1.8);
    fz_emit_u8(0xE0); /* element flag: random tail */
    {
        trainest_loader_observation o;
        memset(&o, 0, sizeof o);
        o.workers = 12;
        o.batch_size = 128;
        o.samples = 4096;
        o.seconds = 2.0;
        fz_emit((const unsigned char *)&o + 4, sizeof o - 4);
        fz_emit_u32(0x01000000);
    }
    end("seed-larger-stride-tail", 0);

    /* 64 observations: the most the fit takes, every vertex */
    begin(0, 64);
    for (uint64_t i = 0; i < 64; i++)
        emit_model(1 + i % 13, 8 + 8 * (i % 5), 100 + 37 * i, 0.05, 1.0 / 300, 1 + 0.01 * (double)(i % 7));
    end("seed-sixty-four", 0);
}
