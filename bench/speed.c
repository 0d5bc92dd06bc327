/* SPDX-License-Identifier: MIT */
/* Single-threaded speed of the compute paths: batch plans per second, full
 * time estimates per second, and planner-search candidates per second.
 * Prints figures; asserts nothing. Targets on one core of the project's
 * 2-core machine: >= 1e7 plans/s, >= 1e6 estimates/s, 1e6 search
 * candidates in < 1 s. For comparison, Python estimators such as Calculon
 * take on the order of 0.1 s per configuration. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trainest.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Run `body` for at least min_s seconds, in rounds of `batch` calls;
 * return calls per second. */
#define RATE(min_s, batch, body)                                                                \
    __extension__({                                                                            \
        uint64_t calls_ = 0;                                                                   \
        double t0_ = now_s(), t_;                                                              \
        do {                                                                                   \
            for (uint64_t i_ = 0; i_ < (batch); i_++) {                                        \
                body;                                                                          \
            }                                                                                  \
            calls_ += (batch);                                                                 \
            t_ = now_s() - t0_;                                                                \
        } while (t_ < (min_s));                                                                \
        (double)calls_ / t_;                                                                   \
    })

static volatile uint64_t sink;

static void estimate_request(trainest_estimate_request *rq)
{
    trainest_estimate_request_init(rq, sizeof *rq);
    rq->floor_s = 0.0182;
    rq->fixed_s = 0.00426;
    rq->per_sample_s = 0.00405;
    rq->launch_lag_s = 0.0063;
    rq->optimizer_s = 0.00188;
    rq->h2d_bytes_per_sample = 8192;
    rq->h2d_bytes_per_s = 55.4e9;
    rq->data_samples_per_s = 20000;
    rq->grad_bytes = 248879616;
    rq->bus_bytes_per_s = 3e11;
    rq->latency_s = 5e-6;
    rq->comm_overlap_ratio = 0.5;
    rq->eval_s_per_epoch = 30;
    rq->checkpoint_s = 12;
    rq->checkpoints_per_epoch = 2;
    rq->startup_s = 60;
}

int main(int argc, char **argv)
{
    const double min_s = argc > 1 ? atof(argv[1]) : 1.0;
    printf("trainest %s speed, single thread, each rate measured for >= %.1f s\n\n",
           trainest_version_string(), min_s);

    /* Batch plans: a mix of resolutions, policies and presets. */
    trainest_plan_request rqs[8];
    for (int i = 0; i < 8; i++) {
        trainest_plan_request_init(&rqs[i], sizeof rqs[i]);
        rqs[i].samples = 1000003 + 7919 * (uint64_t)i;
        rqs[i].data_parallel = 1u << (i % 4);
        rqs[i].epochs = 3;
        rqs[i].seq_len_tokens = 2048;
    }
    rqs[0].global_batch = 512, rqs[0].micro_batch = 16;
    rqs[1].global_batch = 1024, rqs[1].grad_accum_steps = 8;
    rqs[2].micro_batch = 8, rqs[2].grad_accum_steps = 4;
    rqs[3].global_batch = 4096, rqs[3].max_micro_batch = 24;
    rqs[4].global_batch = 1000, rqs[4].micro_batch = 7, rqs[4].divisibility = 1;
    rqs[5].global_batch = 256, rqs[5].micro_batch = 4, rqs[5].preset = TRAINEST_PRESET_HF;
    rqs[6].global_batch = 512, rqs[6].micro_batch = 8, rqs[6].preset = TRAINEST_PRESET_MEGATRON;
    rqs[7].global_batch = 256, rqs[7].micro_batch = 16, rqs[7].accum_tail = TRAINEST_ACCUM_TAIL_CARRY;
    trainest_plan plan;
    plan.struct_size = sizeof plan;
    double plans = RATE(min_s, 1u << 16, {
        trainest_plan_compute(&plan, &rqs[i_ & 7]);
        sink += plan.total_optimizer_steps;
    });
    printf("batch plans          %12.3g per s   (%6.1f ns each; target >= 1e7 per s)\n", plans,
           1e9 / plans);

    /* Full estimates: plan + step model + data, transfer, communication. */
    trainest_estimate_request erq;
    estimate_request(&erq);
    trainest_estimate est;
    est.struct_size = sizeof est;
    double ests = RATE(min_s, 1u << 14, {
        trainest_estimate_run(&est, &rqs[i_ & 7], &erq);
        sink += (uint64_t)est.total_s;
    });
    printf("full time estimates  %12.3g per s   (%6.1f ns each; target >= 1e6 per s)\n", ests,
           1e9 / ests);

    /* The same with loader workers (0.7.0): each epoch's start-up, fill and
     * drain on top. */
    trainest_estimate_request wrq = erq;
    wrq.data_mode = TRAINEST_DATA_MODE_WORKERS;
    wrq.data_samples_per_s = 0;
    wrq.data_workers = 12;
    wrq.data_samples_per_s_per_worker = 790;
    wrq.data_worker_startup_s = 0.138;
    double wests = RATE(min_s, 1u << 14, {
        trainest_estimate_run(&est, &rqs[i_ & 7], &wrq);
        sink += (uint64_t)est.total_s;
    });
    printf("  ... loader workers %12.3g per s   (%6.1f ns each)\n", wests, 1e9 / wests);

    /* Loader calibration (0.7.0): every vertex of the fit's arrangement,
     * O(n^3): two loader-only epochs, and the most it takes, 64. */
    trainest_loader_observation lobs[64];
    for (unsigned i = 0; i < 64; i++) {
        trainest_loader_observation_init(&lobs[i], sizeof lobs[i]);
        lobs[i].workers = 1 + i % 16;
        lobs[i].batch_size = 128;
        lobs[i].samples = 4096 + 1000 * (i / 16);
        /* the model's own time at 0.138 s start-up, 790 samples/s (the
         * last batch's worker, or the last worker of the round before),
         * +-1 % */
        const uint64_t W = lobs[i].workers, last = (lobs[i].samples - 1) / 128;
        const double T = 128 / 790.0, R = (double)(last / W), J = (double)(last % W);
        const double tail = (double)(lobs[i].samples - last * 128) / 790.0;
        double t = (J + 1) * 0.138 + R * T + tail;
        if (R >= 1 && J + 1 < (double)W && (double)W * 0.138 + R * T > t)
            t = (double)W * 0.138 + R * T;
        lobs[i].seconds = t * (i % 2 ? 1.01 : 0.99);
    }
    trainest_loader_fit lfit;
    lfit.struct_size = sizeof lfit;
    for (unsigned n = 2; n <= 64; n *= 32) {
        double fits = RATE(min_s, 16, {
            trainest_loader_calibrate(&lfit, lobs, n);
            sink += lfit.observations;
        });
        printf("loader calibrations  %12.3g per s   (%8.1f us each, %u observations)\n", fits,
               1e6 / fits, n);
    }

    /* Search: global batches 1024..4096 step 16, up to 8 replicas. */
    trainest_plan_request prq;
    trainest_plan_request_init(&prq, sizeof prq);
    prq.samples = 10000000;
    prq.seq_len_tokens = 1024;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 124439808;
    mrq.zero_stage = 1;
    mrq.overhead_bytes = 350000000;
    mrq.activation_bytes_per_sample = 962700000;
    mrq.device_memory_bytes = UINT64_C(150109880320);
    mrq.headroom_ratio = 0.05;
    trainest_search_request sr;
    trainest_search s;
    trainest_search_result res[10];
    uint32_t n;
    s.struct_size = sizeof s;
    res[0].struct_size = sizeof res[0];
    struct {
        const char *name;
        uint32_t policy;
        trainest_search_request range;
        uint64_t device;
    } runs[] = {
        {"G 1024..4096/16, R <= 8, exact", TRAINEST_DIVISIBILITY_ERROR,
         {.struct_size = sizeof sr, .global_batch_min = 1024, .global_batch_max = 4096,
          .global_batch_step = 16, .max_devices = 8},
         mrq.device_memory_bytes},
        {"G 1024..4096/16, R <= 8, round down", TRAINEST_DIVISIBILITY_ROUND_DOWN,
         {.struct_size = sizeof sr, .global_batch_min = 1024, .global_batch_max = 4096,
          .global_batch_step = 16, .max_devices = 8},
         mrq.device_memory_bytes},
        /* one global batch, every micro-batch a distinct plan: all timed */
        {"G 1000000, R = 1, round down, no limit", TRAINEST_DIVISIBILITY_ROUND_DOWN,
         {.struct_size = sizeof sr, .global_batch_min = 1000000, .global_batch_max = 1000000,
          .global_batch_step = 1, .max_devices = 1},
         0},
    };
    for (size_t p = 0; p < sizeof runs / sizeof runs[0]; p++) {
        prq.divisibility = runs[p].policy;
        mrq.device_memory_bytes = runs[p].device;
        double t0 = now_s();
        int st = trainest_search_run(&s, res, 10, &n, &prq, &erq, &mrq, &runs[p].range);
        double t = now_s() - t0;
        if (st) {
            printf("search failed: %s\n", trainest_status_name(st));
            return 1;
        }
        printf("search %-40s %8llu candidates in %.3f s = %.3g per s\n", runs[p].name,
               (unsigned long long)s.candidates_evaluated, t, (double)s.candidates_evaluated / t);
        printf("  %llu timed, %llu not divisible, %llu do not fit, %llu duplicates\n",
               (unsigned long long)s.feasible, (unsigned long long)s.rejected_not_divisible,
               (unsigned long long)s.rejected_does_not_fit, (unsigned long long)s.duplicates);
        if (n)
            printf("  best: G %llu, m %llu, a %llu, R %llu: %.1f s, %.1f%% memory headroom\n",
                   (unsigned long long)res[0].global_batch, (unsigned long long)res[0].micro_batch,
                   (unsigned long long)res[0].grad_accum_steps,
                   (unsigned long long)res[0].data_parallel, res[0].total_s,
                   100 * res[0].headroom_ratio);
    }
    return sink == 42; /* keep the work observable */
}
