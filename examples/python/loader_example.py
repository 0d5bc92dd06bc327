#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Loader workers (library 0.7): how many DataLoader workers an epoch wants.

Fits the worker start-up and the samples/s of one worker to two epochs read
from a PyTorch DataLoader alone, checks the fit against the same epochs fed
to training, then times ten epochs with 1 to 16 workers, started again at
every epoch (the default) or once (persistent_workers=True).

The measurements: ResNet-50 (224 px) on an H200 host, one epoch of 4096
samples in batches of 128 (tests/data/h200-train-steps.jsonl: the "loader"
lines for the epochs, the "micro" line with m = 128 for the step: 30.2 ms of
forward and backward, 1.0 ms of optimizer and zero_grad).
"""
import trainest

# (workers, batch_size, samples, seconds read alone, seconds feeding training)
EPOCHS = [(4, 128, 4096, 1.847286309999987, 1.811878744000012),
          (12, 128, 4096, 1.97837707299999, 2.4802678799999853)]

fit = trainest.loader_calibrate(e[:4] for e in EPOCHS)
print("one worker starts %.1f ms after the previous one and reads %.0f samples/s"
      % (1000 * fit.worker_startup_s, fit.samples_per_s_per_worker))

step = trainest.TimeModel(fixed_s=0.0302, optimizer_s=0.0010)
epoch = trainest.PlanRequest(samples=4096, global_batch=128)
for workers, _, _, _, trained_s in EPOCHS:
    e = trainest.estimate(epoch, fit.time_model(step, data_workers=workers))
    print("%2d workers, one training epoch: predicted %.2f s, measured %.2f s"
          % (workers, e.total_s, trained_s))

ten = trainest.PlanRequest(samples=4096, global_batch=128, epochs=10)
for workers in (1, 2, 4, 8, 12, 16):
    restarted, persistent = (trainest.estimate(ten, fit.time_model(step, data_workers=workers,
                                                                   data_persistent_workers=p)).total_s
                             for p in (False, True))
    print("num_workers=%-2d  ten epochs %5.1f s, with persistent_workers=True %5.1f s"
          % (workers, restarted, persistent))
