/* SPDX-License-Identifier: MIT */
/* Loader workers (TRAINEST_DATA_MODE_WORKERS): when the micro-batches of an
 * epoch are ready, and how late that makes the device. */
#ifndef TRAINEST_LOADER_H
#define TRAINEST_LOADER_H

#include <stdint.h>

/* An epoch of `batches` batches, all of batch_size samples but the last of
 * last_size, built by `workers` workers: worker j (from 0) starts
 * (j + 1) * startup_s after the epoch begins and builds batches j, j + W,
 * ... in turn at s_per_sample seconds per sample. The device takes batch k
 * at the earliest k * consume_s after the epoch begins (it spends
 * consume_s on each). Returns max(0, max over k of ready(k) - k * consume_s):
 * how much later than that the device finishes. With consume_s = 0, the
 * time the last batch is ready: a loader-only epoch. O(1). */
double trainest_priv_worker_lateness(uint64_t batches, uint64_t batch_size, uint64_t last_size,
                                     uint64_t workers, double startup_s, double s_per_sample,
                                     double consume_s);

#endif
