/* SPDX-License-Identifier: MIT */
/* Accuracy of the time model on real H200 measurements (tests/data).
 *
 * For each model: calibrate the step-time model on the micro-batch sweep
 * (each point an a = 1 step of fwdbwd_s + opt_s + zero_grad_s) plus one
 * end-to-end run with a > 1 (its median step), with the measured optimizer
 * time (median of opt_s + zero_grad_s over the sweep) held fixed, and the
 * measured pinned host-to-device bandwidth. Then predict the wall time of
 * every other end-to-end run and of each input-pipeline run, and print each
 * error, the MAPE and the maximum. Nothing here is asserted: it prints.
 *
 * The input-pipeline runs are predicted from the pipeline measured alone
 * (loader_only_s): with no workers, its throughput (SERIAL); with workers,
 * the loader-worker model (WORKERS) fitted by trainest_loader_calibrate() to
 * the loader-only times of all worker counts of that model. With fewer than
 * two worker counts to fit, each run falls back to OVERLAP at its own
 * loader-only throughput. The training times are never used for the fit.
 *
 * It also repeats the evaluation with every other a > 1 run as the
 * calibration run, and once with the optimizer time fitted rather than
 * given, so the choice made above can be judged.
 *
 * usage: bench_accuracy [path/to/h200-train-steps.jsonl] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "trainest.h"

#define MAX_LINES 256
#define MAX_LINE 8192

static char lines[MAX_LINES][MAX_LINE];
static unsigned nlines;

static bool is_kind(const char *obj, const char *kind)
{
    char buf[32];
    return jc_get_string(obj, "kind", buf, sizeof buf) && strcmp(buf, kind) == 0;
}

static bool is_model(const char *obj, const char *model)
{
    char buf[64];
    return jc_get_string(obj, "model", buf, sizeof buf) && strcmp(buf, model) == 0;
}

static double num(const char *obj, const char *key)
{
    double v = NAN;
    const char *m = jc_member(obj, key);
    if (!m || !jc_number(m, &v)) {
        fprintf(stderr, "bench_accuracy: missing number '%s'\n", key);
        exit(1);
    }
    return v;
}

static bool flag(const char *obj, const char *key)
{
    const char *m = jc_member(obj, key);
    return m && strncmp(m, "true", 4) == 0;
}

struct model {
    const char *name;
    double h2d_bytes_per_sample;
};

static const struct model models[] = {
    {"gpt2-124m-s1024", 8.0 * 1024},        /* int64 tokens */
    {"resnet50-224", 4.0 * 3 * 224 * 224}, /* float32 images */
};

static double h2d_bytes_per_s(void)
{
    for (unsigned i = 0; i < nlines; i++)
        if (is_kind(lines[i], "h2d_pinned"))
            return num(lines[i], "gbps") * 1e9;
    fprintf(stderr, "bench_accuracy: no h2d_pinned line\n");
    exit(1);
}

/* Median of opt_s + zero_grad_s over the sweep. */
static double optimizer_s(const char *model)
{
    double v[64];
    unsigned n = 0;
    for (unsigned i = 0; i < nlines && n < 64; i++)
        if (is_kind(lines[i], "micro") && is_model(lines[i], model))
            v[n++] = num(lines[i], "opt_s") + num(lines[i], "zero_grad_s");
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct result {
    double abs_err_sum, abs_err_max;
    unsigned cases;
};

static void record(struct result *r, double predicted, double measured, const char *label, bool print)
{
    double err = (predicted - measured) / measured;
    r->abs_err_sum += fabs(err);
    if (fabs(err) > r->abs_err_max)
        r->abs_err_max = fabs(err);
    r->cases++;
    if (print)
        printf("  %-44s %9.3f s %9.3f s %+7.1f %%\n", label, predicted, measured, 100 * err);
}

/* Calibrate one model; cal_line is the e2e run used, or -1 for none. */
static int calibrate(const struct model *md, int cal_line, bool opt_known, trainest_step_fit *fit)
{
    trainest_step_observation obs[64];
    uint32_t n = 0;
    for (unsigned i = 0; i < nlines && n < 63; i++) {
        if (!is_kind(lines[i], "micro") || !is_model(lines[i], md->name))
            continue;
        trainest_step_observation_init(&obs[n], sizeof obs[n]);
        obs[n].micro_batch = (uint64_t)num(lines[i], "m");
        obs[n].grad_accum_steps = 1;
        obs[n].step_s = num(lines[i], "fwdbwd_s") + num(lines[i], "opt_s") + num(lines[i], "zero_grad_s");
        n++;
    }
    if (cal_line >= 0) {
        trainest_step_observation_init(&obs[n], sizeof obs[n]);
        obs[n].micro_batch = (uint64_t)num(lines[cal_line], "m");
        obs[n].grad_accum_steps = (uint64_t)num(lines[cal_line], "a");
        obs[n].step_s = num(lines[cal_line], "step_median_s");
        n++;
    }
    trainest_calibration_request rq = {sizeof rq, 0, 0};
    if (opt_known) {
        rq.flags = TRAINEST_CALIBRATE_OPTIMIZER_KNOWN;
        rq.optimizer_s = optimizer_s(md->name);
    }
    fit->struct_size = sizeof *fit;
    return trainest_step_calibrate(fit, obs, n, &rq);
}

static void estimate_request(trainest_estimate_request *rq, const trainest_step_fit *fit,
                             const struct model *md)
{
    trainest_estimate_request_init(rq, sizeof *rq);
    rq->floor_s = fit->floor_s;
    rq->fixed_s = fit->fixed_s;
    rq->per_sample_s = fit->per_sample_s;
    rq->launch_lag_s = fit->launch_lag_s;
    rq->optimizer_s = fit->optimizer_s;
    rq->h2d_bytes_per_sample = (uint64_t)md->h2d_bytes_per_sample;
    rq->h2d_bytes_per_s = h2d_bytes_per_s();
}

static double predict(const trainest_plan_request *prq, const trainest_estimate_request *rq)
{
    trainest_estimate e;
    e.struct_size = sizeof e;
    int st = trainest_estimate_run(&e, prq, rq);
    if (st) {
        fprintf(stderr, "bench_accuracy: estimate failed: %s\n", trainest_status_name(st));
        exit(1);
    }
    return e.total_s;
}

/* Off: every worker run at its own loader-only throughput (OVERLAP), the
 * procedure before trainest 0.7, for comparison. */
static bool loader_model = true;

/* Fit the loader-worker model to the model's loader-only runs with workers. */
static bool fit_loader(const struct model *md, trainest_loader_fit *fit, bool print)
{
    trainest_loader_observation obs[64];
    uint32_t n = 0;
    for (unsigned i = 0; i < nlines && n < 64; i++) {
        if (!is_kind(lines[i], "loader") || !is_model(lines[i], md->name) ||
            num(lines[i], "workers") < 1)
            continue;
        trainest_loader_observation_init(&obs[n], sizeof obs[n]);
        obs[n].workers = (uint64_t)num(lines[i], "workers");
        obs[n].batch_size = (uint64_t)num(lines[i], "m");
        obs[n].samples = (uint64_t)num(lines[i], "loader_samples");
        obs[n].seconds = num(lines[i], "loader_only_s");
        n++;
    }
    if (n == 0)
        return false;
    fit->struct_size = sizeof *fit;
    int st = trainest_loader_calibrate(fit, obs, n);
    if (print) {
        if (st)
            printf("  loader fit on %u loader-only runs: %s (each worker run at its own throughput, OVERLAP)\n",
                   n, trainest_status_name(st));
        else
            printf("  loader fit on %u loader-only runs: worker start-up %.1f ms, %.1f samples/s per worker; residuals max %.1f %%\n",
                   n, 1e3 * fit->worker_startup_s, fit->samples_per_s_per_worker,
                   100 * fit->max_residual_ratio);
    }
    return st == TRAINEST_OK;
}

/* Evaluate every e2e run but cal_line, and every loader run. */
static void evaluate(const struct model *md, const trainest_step_fit *fit, int cal_line,
                     struct result *r, bool print)
{
    trainest_estimate_request rq;
    estimate_request(&rq, fit, md);
    trainest_loader_fit loader;
    const bool have_loader = loader_model && fit_loader(md, &loader, print);
    for (unsigned i = 0; i < nlines; i++) {
        if (!is_model(lines[i], md->name) || (int)i == cal_line)
            continue;
        char label[96];
        trainest_plan_request prq;
        trainest_plan_request_init(&prq, sizeof prq);
        if (is_kind(lines[i], "e2e")) {
            prq.samples = (uint64_t)num(lines[i], "N");
            prq.global_batch = (uint64_t)num(lines[i], "G");
            prq.micro_batch = (uint64_t)num(lines[i], "m");
            prq.last_micro_batch = flag(lines[i], "drop_last") ? TRAINEST_LAST_MICRO_BATCH_DROP
                                                               : TRAINEST_LAST_MICRO_BATCH_KEEP;
            snprintf(label, sizeof label, "e2e N=%.0f G=%.0f m=%.0f a=%.0f", num(lines[i], "N"),
                     num(lines[i], "G"), num(lines[i], "m"), num(lines[i], "a"));
            record(r, predict(&prq, &rq), num(lines[i], "wall_s"), label, print);
        } else if (is_kind(lines[i], "loader")) {
            const double workers = num(lines[i], "workers");
            prq.samples = (uint64_t)num(lines[i], "N");
            prq.micro_batch = (uint64_t)num(lines[i], "m");
            trainest_estimate_request drq = rq;
            if (workers > 0 && have_loader) {
                drq.data_mode = TRAINEST_DATA_MODE_WORKERS;
                drq.data_workers = (uint64_t)workers;
                drq.data_samples_per_s_per_worker = loader.samples_per_s_per_worker;
                drq.data_worker_startup_s = loader.worker_startup_s;
            } else {
                /* the pipeline's own throughput, measured alone */
                drq.data_samples_per_s =
                    num(lines[i], "loader_samples") / num(lines[i], "loader_only_s");
                drq.data_mode = workers > 0 ? TRAINEST_DATA_MODE_OVERLAP : TRAINEST_DATA_MODE_SERIAL;
            }
            snprintf(label, sizeof label, "loader N=%.0f m=%.0f workers=%.0f", num(lines[i], "N"),
                     num(lines[i], "m"), workers);
            record(r, predict(&prq, &drq), num(lines[i], "train_wall_s"), label, print);
        }
    }
}

static int first_accum_run(const char *model)
{
    for (unsigned i = 0; i < nlines; i++)
        if (is_kind(lines[i], "e2e") && is_model(lines[i], model) && num(lines[i], "a") > 1)
            return (int)i;
    return -1;
}

static void print_fit(const trainest_step_fit *f)
{
    printf("  fit: floor %.2f ms, fixed %.2f ms, per sample %.4f ms, launch lag %.2f ms, "
           "optimizer %.2f ms; residuals max %.1f %%, mean %.1f %%\n",
           1e3 * f->floor_s, 1e3 * f->fixed_s, 1e3 * f->per_sample_s, 1e3 * f->launch_lag_s,
           1e3 * f->optimizer_s, 100 * f->max_residual_ratio, 100 * f->mean_residual_ratio);
}

/* One full evaluation with a calibration-run chooser; returns the totals. */
/* The alternative the worker model was chosen over: every worker starts
 * at W s (the main process starts them all, then hands out work) and they
 * build batches in rounds, batch k ready at W s + (floor(k / W) + 1) T.
 * Fitted to the first two loader-only runs with workers, then each
 * training run simulated batch by batch, the device spending the
 * estimate's per-micro-batch time on each. Prints, for comparison. */
static void alternative_start(const struct model *md, const trainest_step_fit *fit)
{
    int runs[2], n = 0;
    for (unsigned i = 0; i < nlines && n < 2; i++)
        if (is_kind(lines[i], "loader") && is_model(lines[i], md->name) && num(lines[i], "workers") >= 1)
            runs[n++] = (int)i;
    if (n < 2)
        return;
    double W[2], rounds[2], L[2];
    for (int i = 0; i < 2; i++) {
        const char *o = lines[runs[i]];
        W[i] = num(o, "workers");
        rounds[i] = ceil(ceil(num(o, "loader_samples") / num(o, "m")) / W[i]);
        L[i] = num(o, "loader_only_s");
    }
    const double det = W[0] * rounds[1] - W[1] * rounds[0];
    const double s = (L[0] * rounds[1] - L[1] * rounds[0]) / det;
    const double T = (W[0] * L[1] - W[1] * L[0]) / det;
    printf("  %s, all workers starting together at W s: s = %.1f ms, T = %.1f ms per batch\n",
           md->name, 1e3 * s, 1e3 * T);
    trainest_estimate_request rq;
    estimate_request(&rq, fit, md);
    for (int i = 0; i < 2; i++) {
        const char *o = lines[runs[i]];
        trainest_plan_request prq;
        trainest_plan_request_init(&prq, sizeof prq);
        prq.samples = (uint64_t)num(o, "N");
        prq.micro_batch = (uint64_t)num(o, "m");
        const double batches = ceil(num(o, "N") / num(o, "m"));
        const double c = predict(&prq, &rq) / batches; /* no data limit */
        double end = 0;
        for (double k = 0; k < batches; k++) {
            const double ready = W[i] * s + (floor(k / W[i]) + 1) * T;
            end = (ready > end ? ready : end) + c;
        }
        const double measured = num(o, "train_wall_s");
        char label[96];
        snprintf(label, sizeof label, "loader N=%.0f m=%.0f workers=%.0f", num(o, "N"), num(o, "m"),
                 W[i]);
        printf("  %-44s %9.3f s %9.3f s %+7.1f %%\n", label, end, measured,
               100 * (end - measured) / measured);
    }
}

static struct result run_all(int (*choose)(const char *model, int k), int k, bool opt_known,
                             bool print)
{
    struct result r = {0, 0, 0};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        const struct model *md = &models[i];
        int cal = choose(md->name, k);
        trainest_step_fit fit;
        int st = calibrate(md, cal, opt_known, &fit);
        if (print) {
            printf("%s (calibration run: %s)\n", md->name,
                   cal >= 0 ? "see below" : "none: only a = 1 sweep points");
            if (cal >= 0)
                printf("  calibrated on the sweep + e2e G=%.0f m=%.0f a=%.0f\n", num(lines[cal], "G"),
                       num(lines[cal], "m"), num(lines[cal], "a"));
        }
        if (st) {
            printf("  calibration failed: %s\n", trainest_status_name(st));
            r.cases = 0;
            return r;
        }
        if (print)
            print_fit(&fit);
        evaluate(md, &fit, cal, &r, print);
    }
    return r;
}

static int choose_first(const char *model, int k)
{
    (void)k;
    return first_accum_run(model);
}

/* The k-th a > 1 run of the model, or the first if it has fewer. */
static int choose_kth(const char *model, int k)
{
    int seen = 0, first = -1;
    for (unsigned i = 0; i < nlines; i++)
        if (is_kind(lines[i], "e2e") && is_model(lines[i], model) && num(lines[i], "a") > 1) {
            if (first < 0)
                first = (int)i;
            if (seen++ == k)
                return (int)i;
        }
    return first;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/h200-train-steps.jsonl";
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    while (nlines < MAX_LINES && fgets(lines[nlines], MAX_LINE, f)) {
        if (!jc_valid(lines[nlines])) {
            fprintf(stderr, "%s:%u: not JSON\n", path, nlines + 1);
            return 1;
        }
        nlines++;
    }
    fclose(f);

    printf("trainest %s time-model accuracy on %s\n\n", trainest_version_string(), path);
    printf("  %-44s %11s %11s %9s\n", "case", "predicted", "measured", "error");
    struct result r = run_all(choose_first, 0, true, true);
    printf("\nMAPE %.2f %%, max %.1f %% over %u cases (targets: MAPE <= 3 %%, max <= 10 %%)\n",
           100 * r.abs_err_sum / r.cases, 100 * r.abs_err_max, r.cases);

    printf("\nSensitivity: each a > 1 run of GPT-2 in turn as the calibration run\n");
    int runs = 0;
    for (unsigned i = 0; i < nlines; i++)
        if (is_kind(lines[i], "e2e") && is_model(lines[i], models[0].name) && num(lines[i], "a") > 1)
            runs++;
    for (int k = 0; k < runs; k++) {
        int cal = choose_kth(models[0].name, k);
        struct result rk = run_all(choose_kth, k, true, false);
        printf("  G=%3.0f m=%3.0f a=%2.0f: MAPE %5.2f %%, max %5.1f %%\n", num(lines[cal], "G"),
               num(lines[cal], "m"), num(lines[cal], "a"), 100 * rk.abs_err_sum / rk.cases,
               100 * rk.abs_err_max);
    }
    loader_model = false;
    struct result o = run_all(choose_first, 0, true, false);
    loader_model = true;
    printf("\nWithout the loader-worker model (each worker run OVERLAP at its own loader-only\n"
           "throughput, as before 0.7.0): MAPE %.2f %%, max %.1f %%\n",
           100 * o.abs_err_sum / o.cases, 100 * o.abs_err_max);

    printf("\nThe start model the loader-worker model was chosen over (both fit the\n"
           "loader-only times exactly):\n");
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        trainest_step_fit f;
        if (calibrate(&models[i], first_accum_run(models[i].name), true, &f) == TRAINEST_OK)
            alternative_start(&models[i], &f);
    }

    printf("\nWithout the measured optimizer time (fitted instead; ResNet-50 then has no a > 1\n"
           "run to separate it and cannot be calibrated):\n");
    trainest_step_fit fit;
    int st = calibrate(&models[0], first_accum_run(models[0].name), false, &fit);
    if (st == TRAINEST_OK) {
        print_fit(&fit);
        struct result g = {0, 0, 0};
        evaluate(&models[0], &fit, first_accum_run(models[0].name), &g, true);
        printf("  GPT-2 only: MAPE %.2f %%, max %.1f %% over %u cases\n",
               100 * g.abs_err_sum / g.cases, 100 * g.abs_err_max, g.cases);
    } else {
        printf("  calibration failed: %s\n", trainest_status_name(st));
    }
    st = calibrate(&models[1], -1, false, &fit);
    printf("  ResNet-50 without a known optimizer time: %s\n", trainest_status_name(st));
    return 0;
}
