#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Model parallelism: GPT-3 175B on about a thousand GPUs (Narayanan et al. 2021).

A device count that does not split into data x tensor x pipeline parallel is
repaired, then the run is timed (pipeline bubble included) and its memory
per GPU computed.
"""

import trainest

request = trainest.PlanRequest(
    samples=300_000_000_000 // 2048, seq_len_tokens=2048, global_batch=1536, micro_batch=1,
    devices=1000, tensor_parallel=8, pipeline_parallel=16,
    layers=96, hidden=12288, attention_heads=96, vocab=51200)
try:
    trainest.plan(request)
except trainest.BadLayoutError as err:
    print(f"{err.name} (field {err.field}); nearest layouts:")
    layouts = trainest.layout_suggest(request, limit=2)
    for s in layouts:
        print(f"  {s.devices} GPUs = DP {s.data_parallel} x TP {s.tensor_parallel} x PP {s.pipeline_parallel}"
              f"  (distance {s.distance_ratio:.3f})")
    request = layouts[0].apply(request)

a100 = trainest.TimeModel(step_source="analytic", peak_flops_per_s=312e12, efficiency_ratio=0.5,
                          recompute="full", tp_bytes_per_s=300e9, p2p_bytes_per_s=25e9,
                          bus_bytes_per_s=300e9, inter_node_bytes_per_s=25e9, devices_per_node=8)
p = trainest.plan(request)
e = trainest.estimate(request, a100)
print(f"{p.devices} GPUs, {p.micro_batches_per_step} micro-batches per step: bubble {e.bubble_ratio:.1%},"
      f" {e.total_s / 86400:.1f} days, MFU {e.mfu_ratio:.1%}")
m = trainest.memory_for_plan(trainest.MemoryModel(params=175_000_000_000, zero_stage=1, recompute="full",
                                                  device_memory_bytes=80 * 2**30), request)
print(f"memory per GPU {m.total_bytes / 2**30:.1f} GiB of 80 ({m.micro_batches_in_flight:g} micro-batches"
      f" in flight), fits: {m.fits}")
