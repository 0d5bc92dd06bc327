/* SPDX-License-Identifier: MIT */
/*
 * plan.c: plan a training run with libtrainest, and repair a bad request.
 *
 * Build against an installed trainest:
 *   cc -std=c11 plan.c $(pkg-config --cflags --libs trainest) -o plan
 *   cc -std=c11 plan.c $(pkg-config --cflags trainest) "$(pkg-config --variable=libdir trainest)/libtrainest.a" -lm -o plan
 *
 * Exits 0 when every result is the expected one, 1 otherwise, so CI can run it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <trainest.h>

#define MAX_SUGGESTIONS 8

static int failures;

/* Report a wrong result and remember it for the exit status. */
static void expect_u64(const char *what, uint64_t got, uint64_t want)
{
    if (got != want) {
        fprintf(stderr, "plan: %s is %" PRIu64 ", expected %" PRIu64 "\n", what, got, want);
        failures++;
    }
}

static void print_plan(const trainest_plan *p)
{
    printf("  global batch          %" PRIu64 " = micro-batch %" PRIu64 " x accumulation %" PRIu64
           " x replicas %" PRIu64 "\n",
           p->global_batch, p->micro_batch, p->grad_accum_steps, p->data_parallel);
    printf("  optimizer steps/epoch %" PRIu64 "\n", p->optimizer_steps_per_epoch);
    printf("  micro-steps/epoch     %" PRIu64 " per replica\n", p->micro_steps_per_epoch);
    printf("  samples/epoch         %" PRIu64 " (%" PRIu64 " dropped, %" PRIu64 " padded)\n",
           p->samples_per_epoch, p->samples_dropped_per_epoch, p->samples_padded_per_epoch);
    printf("  last step             %" PRIu64 " samples\n", p->last_step_samples);
    printf("  total optimizer steps %" PRIu64 " over %" PRIu64 " epoch(s)\n",
           p->total_optimizer_steps, p->epochs);
}

/* The seed's worked example: 1000 samples, global batch 10, accumulation 2. */
static void plan_worked_example(void)
{
    trainest_plan_request rq;
    int st = trainest_plan_request_init(&rq, sizeof rq);
    if (st != TRAINEST_OK) {
        fprintf(stderr, "plan: trainest_plan_request_init: %s\n", trainest_strerror(st));
        failures++;
        return;
    }
    rq.samples = 1000;
    rq.global_batch = 10;
    rq.grad_accum_steps = 2; /* micro_batch is derived: 10 / (2 * 1) */

    trainest_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.struct_size = sizeof plan; /* the library writes at most this many bytes */
    st = trainest_plan_compute(&plan, &rq);
    if (st != TRAINEST_OK) {
        fprintf(stderr, "plan: trainest_plan_compute: %s (%s, field %s)\n", trainest_strerror(st),
                trainest_status_name(st), trainest_field_name(plan.invalid_field));
        failures++;
        return;
    }
    printf("1000 samples, global batch 10, accumulation 2:\n");
    print_plan(&plan);

    expect_u64("micro_batch", plan.micro_batch, 5);
    expect_u64("optimizer_steps_per_epoch", plan.optimizer_steps_per_epoch, 100);
    expect_u64("micro_steps_per_epoch", plan.micro_steps_per_epoch, 200);
    expect_u64("total_optimizer_steps", plan.total_optimizer_steps, 100);
    expect_u64("samples_per_epoch", plan.samples_per_epoch, 1000);
}

/* A batch that does not split: 10 samples cannot be cut into micro-batches
 * of 3. The call fails with a status and the field to blame; the library
 * then suggests the nearest plans that work. */
static void repair_bad_request(void)
{
    trainest_plan_request rq;
    int st = trainest_plan_request_init(&rq, sizeof rq);
    if (st != TRAINEST_OK) {
        fprintf(stderr, "plan: trainest_plan_request_init: %s\n", trainest_strerror(st));
        failures++;
        return;
    }
    rq.samples = 1000;
    rq.global_batch = 10;
    rq.micro_batch = 3;

    trainest_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.struct_size = sizeof plan;
    st = trainest_plan_compute(&plan, &rq);
    printf("\n1000 samples, global batch 10, micro-batch 3:\n");
    if (st == TRAINEST_OK) {
        fprintf(stderr, "plan: a non-divisible request was accepted\n");
        failures++;
        return;
    }
    printf("  error: %s: %s (field: %s)\n", trainest_status_name(st), trainest_strerror(st),
           trainest_field_name(plan.invalid_field));
    if (st != TRAINEST_E_NOT_DIVISIBLE) {
        fprintf(stderr, "plan: expected TRAINEST_E_NOT_DIVISIBLE, got %s\n",
                trainest_status_name(st));
        failures++;
    }

    trainest_plan_suggestion sugg[MAX_SUGGESTIONS];
    memset(sugg, 0, sizeof sugg);
    sugg[0].struct_size = sizeof sugg[0]; /* the array's stride */
    uint32_t count = 0;
    st = trainest_plan_suggest(sugg, MAX_SUGGESTIONS, &count, &rq);
    if (st != TRAINEST_OK) {
        fprintf(stderr, "plan: trainest_plan_suggest: %s (%s)\n", trainest_strerror(st),
                trainest_status_name(st));
        failures++;
        return;
    }
    if (count == 0) {
        fprintf(stderr, "plan: no suggestion for a repairable request\n");
        failures++;
    }
    printf("  nearest valid plans:\n");
    for (uint32_t i = 0; i < count; i++) {
        const trainest_plan_suggestion *s = &sugg[i];
        printf("    global batch %3" PRIu64 " = %" PRIu64 " x %" PRIu64 " x %" PRIu64
               "  (distance %.3f)\n",
               s->global_batch, s->micro_batch, s->grad_accum_steps, s->data_parallel,
               s->distance_ratio);

        /* Every suggestion is a request that trainest_plan_compute() accepts. */
        trainest_plan_request fixed = rq;
        fixed.global_batch = s->global_batch;
        fixed.micro_batch = s->micro_batch;
        fixed.grad_accum_steps = s->grad_accum_steps;
        trainest_plan check;
        memset(&check, 0, sizeof check);
        check.struct_size = sizeof check;
        st = trainest_plan_compute(&check, &fixed);
        if (st != TRAINEST_OK) {
            fprintf(stderr, "plan: suggestion %" PRIu32 " fails: %s\n", i,
                    trainest_status_name(st));
            failures++;
        }
        if (i > 0 && s->distance_ratio < sugg[i - 1].distance_ratio) {
            fprintf(stderr, "plan: suggestions are not sorted by distance\n");
            failures++;
        }
    }
}

int main(void)
{
    printf("libtrainest %s (header %s)\n\n", trainest_version_string(), TRAINEST_VERSION_STRING);
    /* A newer library of the same major version keeps the ABI; an older one
     * may lack what this header declares. */
    const uint32_t lib = trainest_version(), hdr = (uint32_t)TRAINEST_VERSION_NUMBER;
    if (lib / 10000 != hdr / 10000 || lib < hdr) {
        fprintf(stderr, "plan: library version %" PRIu32 " cannot serve header version %" PRIu32
                "\n", lib, hdr);
        failures++;
    }
    plan_worked_example();
    repair_bad_request();
    if (failures) {
        fprintf(stderr, "plan: %d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
