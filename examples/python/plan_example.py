#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The seed's worked example, and a repaired non-divisible request."""

import trainest

p = trainest.plan(samples=1000, global_batch=10, grad_accum_steps=2)
print(f"micro-batch {p.micro_batch}, {p.total_optimizer_steps} optimizer steps, "
      f"{p.total_micro_steps} micro-steps")

try:
    trainest.plan(samples=1000, global_batch=10, micro_batch=3)
except trainest.NotDivisibleError as err:
    print(f"{err.name} (field {err.field}); nearest valid plans:")
    for s in trainest.suggest(samples=1000, global_batch=10, micro_batch=3, limit=3):
        print(f"  global {s.global_batch} = micro {s.micro_batch} x accum {s.grad_accum_steps}"
              f"  (distance {s.distance_ratio:.2f})")
