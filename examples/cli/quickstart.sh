#!/bin/sh
# SPDX-License-Identifier: MIT
# GPT-2 (124M) on H200s, with the step-time and memory figures fitted to
# tests/data (docs/time-model.md, docs/memory.md).
set -eu
cd "$(mktemp -d)"
GPT2="--samples 1000000 --seq-len 1024 --floor-s 0.01822 --fixed-s 0.00426
      --per-sample-s 0.004047 --launch-lag-s 0.00631 --optimizer-s 0.00188"

# Split a global batch of 512 over 8 GPUs, at most 48 sequences per GPU.
trainest plan --samples 1000000 --global-batch 512 --devices 8 --max-micro-batch 48

# How long one epoch takes on them, and where the time goes.
trainest estimate $GPT2 --global-batch 512 --devices 8 --max-micro-batch 48 \
  --grad-bytes 248000000 --bus-bytes-per-s 3e11

# The largest micro-batch that fits on an H200, from four measured peaks.
printf 'micro_batch,peak_bytes\n8,10029990400\n32,33142276608\n64,63941975040\n128,125567042048\n' >peaks.csv
trainest fit-memory --points peaks.csv --device-memory-bytes 150109880320

# The fastest plans on up to 8 GPUs that fit, and the same as a picture.
trainest search $GPT2 --global-batch-range 256:1024:256 --max-devices 8 \
  --static-bytes 2336000000 --activation-bytes-per-sample 962600000 \
  --device-memory-bytes 150109880320 --grad-bytes 248000000 --bus-bytes-per-s 3e11 --top 3
trainest sweep $GPT2 --global-batch 512 --max-devices 8 \
  --static-bytes 2336000000 --activation-bytes-per-sample 962600000 \
  --device-memory-bytes 150109880320 --grad-bytes 248000000 --bus-bytes-per-s 3e11 \
  --svg "$PWD/sweep.svg"
