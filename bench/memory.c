/* SPDX-License-Identifier: MIT */
/* The memory model against the H200 measurements in tests/data: fit static
 * and per-sample bytes to each model's measured peaks, print every point's
 * error, and the largest micro-batch the fit predicts for the device next to
 * the first micro-batch that really ran out of memory. Prints; asserts nothing.
 *
 * usage: bench_memory [path/to/h200-train-steps.jsonl] */
#include <stdio.h>
#include <string.h>

#include "json_check.h"
#include "trainest.h"

#define MAX_LINES 256

static char lines[MAX_LINES][8192];
static unsigned nlines;

static bool str_is(const char *obj, const char *key, const char *want)
{
    char buf[64];
    return jc_get_string(obj, key, buf, sizeof buf) && strcmp(buf, want) == 0;
}

static double num(const char *obj, const char *key)
{
    double v = 0;
    jc_number(jc_member(obj, key), &v);
    return v;
}

static void model(const char *name, uint64_t device)
{
    trainest_memory_point pts[32];
    uint32_t n = 0;
    uint64_t params = 0, measured_static = 0, oom = 0, largest_ran = 0;
    for (unsigned i = 0; i < nlines; i++) {
        if (!str_is(lines[i], "model", name))
            continue;
        if (str_is(lines[i], "kind", "oom"))
            oom = (uint64_t)num(lines[i], "m");
        if (!str_is(lines[i], "kind", "micro") || n == 32)
            continue;
        trainest_memory_point_init(&pts[n], sizeof pts[n]);
        pts[n].micro_batch = (uint64_t)num(lines[i], "m");
        pts[n].peak_bytes = (uint64_t)num(lines[i], "peak_bytes");
        params = (uint64_t)num(lines[i], "nparams");
        measured_static = (uint64_t)num(lines[i], "static_bytes");
        if (pts[n].micro_batch > largest_ran)
            largest_ran = pts[n].micro_batch;
        n++;
    }
    trainest_memory_fit fit;
    fit.struct_size = sizeof fit;
    int st = trainest_memory_calibrate(&fit, pts, n);
    printf("%s: %u points, %llu parameters\n", name, n, (unsigned long long)params);
    if (st) {
        printf("  fit failed: %s\n", trainest_status_name(st));
        return;
    }
    printf("  fit: static %.3f GB, %.4f GB per sample; largest residual %.2f %%\n",
           fit.static_bytes / 1e9, fit.per_sample_bytes / 1e9, 100 * fit.max_residual_ratio);
    printf("  %6s %14s %14s %8s\n", "m", "predicted GB", "measured GB", "error");
    for (uint32_t i = 0; i < n; i++) {
        double pred = (double)fit.static_bytes + (double)fit.per_sample_bytes * (double)pts[i].micro_batch;
        printf("  %6llu %14.3f %14.3f %+7.2f %%\n", (unsigned long long)pts[i].micro_batch,
               pred / 1e9, pts[i].peak_bytes / 1e9,
               100 * (pred - (double)pts[i].peak_bytes) / (double)pts[i].peak_bytes);
    }
    /* Model states from the parameter count: fp32 weights and gradients
     * and two fp32 Adam/SGD-momentum states is 4 + 4 + 8 = 16 bytes per
     * parameter for GPT-2's AdamW (the run used fp32 master weights with
     * bf16 autocast), 4 + 4 + 4 = 12 for ResNet-50's SGD with momentum. */
    const bool adam = strncmp(name, "gpt2", 4) == 0;
    trainest_memory_request rq;
    trainest_memory_request_init(&rq, sizeof rq);
    rq.params = params;
    rq.weight_bits_per_param = 32;
    rq.grad_bits_per_param = 32;
    rq.optimizer_bits_per_param = adam ? 64 : 32;
    trainest_memory m;
    m.struct_size = sizeof m;
    trainest_memory_compute(&m, &rq, 0, 1);
    printf("  model states from params (%u+%u+%u bits): %.3f GB; the fit's static part is "
           "%.3f GB more (workspaces, allocator); measured before the first batch: %.3f GB\n",
           rq.weight_bits_per_param, rq.grad_bits_per_param, rq.optimizer_bits_per_param,
           m.static_bytes / 1e9, ((double)fit.static_bytes - (double)m.static_bytes) / 1e9,
           measured_static / 1e9);
    trainest_memory_request_init(&rq, sizeof rq);
    rq.static_bytes = fit.static_bytes;
    rq.activation_bytes_per_sample = fit.per_sample_bytes;
    rq.device_memory_bytes = device;
    trainest_memory_compute(&m, &rq, 0, 1);
    printf("  device %.1f GB: largest micro-batch that fits %llu", device / 1e9,
           (unsigned long long)m.max_micro_batch);
    if (oom)
        printf("; measured: %llu ran, %llu ran out of memory -> %s\n",
               (unsigned long long)largest_ran, (unsigned long long)oom,
               m.max_micro_batch >= largest_ran && m.max_micro_batch < oom ? "consistent"
                                                                          : "INCONSISTENT");
    else
        printf("; measured: up to %llu ran, no out-of-memory point recorded\n",
               (unsigned long long)largest_ran);
    rq.headroom_ratio = 0.1;
    trainest_memory_compute(&m, &rq, 0, 1);
    printf("  with 10 %% headroom: %llu\n", (unsigned long long)m.max_micro_batch);
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/h200-train-steps.jsonl";
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    while (nlines < MAX_LINES && fgets(lines[nlines], sizeof lines[0], f))
        nlines++;
    fclose(f);
    uint64_t device = 0;
    for (unsigned i = 0; i < nlines; i++)
        if (str_is(lines[i], "kind", "hw"))
            device = (uint64_t)num(lines[i], "mem_bytes");
    printf("trainest %s memory model on %s\n\n", trainest_version_string(), path);
    model("gpt2-124m-s1024", device);
    printf("\n");
    model("resnet50-224", device);
    return 0;
}
