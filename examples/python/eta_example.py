#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Feed simulated step times from a training loop to trainest's ETA tracker.

Nothing really sleeps: each step's duration is drawn (noise, a slow warm-up,
a checkpoint written at the end of every epoch) and a simulated clock
advances by it.
Run from examples/python with TRAINEST_LIBRARY or PKG_CONFIG_PATH set.
"""

import random
import time

import trainest

run = trainest.PlanRequest(samples=12_800, global_batch=128, micro_batch=32, epochs=3)
plan = trainest.plan(run)
model = trainest.TimeModel(fixed_s=0.05, per_sample_s=0.004, optimizer_s=0.03,
                           checkpoint_s=20.0, checkpoints_per_epoch=1)
prior = trainest.estimate(run, model)  # what we expect before any step is measured

# The tracker adds the checkpoints still ahead; the ones behind are outlier steps.
eta = trainest.EtaTracker(total_steps=plan.total_optimizer_steps, prior_step_s=prior.step_s,
                          steps_per_epoch=plan.optimizer_steps_per_epoch,
                          overhead_s_per_epoch=model.checkpoint_s)
# The run's samples (library 0.6): the remaining time follows the samples
# still to come, which matters once the batch size changes (a ramp-up).
eta.set_samples(plan.total_samples)
rng = random.Random(6)
clock = time.time()  # simulated wall clock, unix seconds


def hms(seconds):
    seconds = int(round(seconds))
    return "%d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


print("%d steps of %d samples; expected step %.3f s, run %s" % (
    plan.total_optimizer_steps, plan.global_batch, prior.step_s, hms(prior.total_s)))
for step in range(1, plan.total_optimizer_steps + 1):
    step_s = prior.step_s * rng.gauss(1.0, 0.05)
    if step <= 5:
        step_s *= 4.0  # warm-up: compilation, allocator, caches
    if step % plan.optimizer_steps_per_epoch == 0:
        step_s += model.checkpoint_s  # the step that ends an epoch writes a checkpoint
    time.sleep(0)  # a real loop would train here
    clock += step_s
    eta.update(step_s, samples=plan.global_batch)
    if step % 25 == 0 or step == plan.total_optimizer_steps:
        r = eta.report(now_unix_s=clock)
        print("step %4d/%d  %5.1f%%  elapsed %s  step %.3f s  remaining %s  finish %s .. %s "
              "(p10..p90)  outliers %d" % (
                  r.steps_done, plan.total_optimizer_steps, 100 * r.progress_ratio, hms(r.elapsed_s),
                  r.step_s, hms(r.remaining_p50_s),
                  time.strftime("%H:%M:%S", time.localtime(r.finish_p10_unix_s)),
                  time.strftime("%H:%M:%S", time.localtime(r.finish_p90_unix_s)), r.outliers))
