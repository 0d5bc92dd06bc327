#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Plan a run, time it, and find the largest micro-batch that fits."""
import trainest

p = trainest.plan(samples=50_000, global_batch=512, devices=4, max_micro_batch=48)
print(f"{p.micro_batch} x {p.grad_accum_steps} x {p.data_parallel}, "
      f"{p.optimizer_steps_per_epoch} steps per epoch")

e = trainest.estimate(samples=50_000, global_batch=512, devices=4, max_micro_batch=48,
                      fixed_s=0.01, per_sample_s=0.003, grad_bytes=2 * 124_000_000,
                      bus_bytes_per_s=100e9)
print(f"epoch {e.total_s:.1f} s: compute {e.compute_s:.1f} s, communication {e.comm_s:.1f} s")

m = trainest.memory(static_bytes=2_336_000_000, activation_bytes_per_sample=962_600_000,
                    device_memory_bytes=80 * 2**30, micro_batch=1)
print(f"largest micro-batch on 80 GiB: {m.max_micro_batch}")

try:
    trainest.plan(samples=50_000, global_batch=512, devices=3)
except trainest.NotDivisibleError as err:
    print(f"3 devices: {err.name}, field {err.field}")
