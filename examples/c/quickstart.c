/* SPDX-License-Identifier: MIT */
/* Plan a run (and see why a bad request fails), then time an epoch. */
#include <stdio.h>
#include <trainest.h>

int main(void)
{
    trainest_plan_request rq;
    trainest_plan_request_init(&rq, sizeof rq);
    rq.samples = 1000;
    rq.global_batch = 10;
    rq.micro_batch = 3; /* does not divide 10 */

    trainest_plan plan;
    plan.struct_size = sizeof plan;
    int st = trainest_plan_compute(&plan, &rq);
    printf("micro-batch 3: %s (field %s)\n", trainest_status_name(st),
           trainest_field_name(plan.invalid_field));

    rq.micro_batch = 5;
    if (trainest_plan_compute(&plan, &rq) != TRAINEST_OK)
        return 1;
    printf("micro-batch 5: %llu accumulation steps, %llu optimizer steps per epoch\n",
           (unsigned long long)plan.grad_accum_steps,
           (unsigned long long)plan.optimizer_steps_per_epoch);

    trainest_estimate_request time;
    trainest_estimate_request_init(&time, sizeof time);
    time.fixed_s = 0.010;      /* per micro-batch launch cost */
    time.per_sample_s = 0.002; /* compute per sample */
    trainest_estimate e;
    e.struct_size = sizeof e;
    if (trainest_estimate_run(&e, &rq, &time) != TRAINEST_OK)
        return 1;
    printf("one epoch: %.2f s (compute %.2f s)\n", e.total_s, e.compute_s);
    return 0;
}
