/* SPDX-License-Identifier: MIT */
/* The failure model's internals, shared with the ETA tracker. */
#ifndef TRAINEST_FAILURE_H
#define TRAINEST_FAILURE_H

#include "trainest.h"

/* Optimal compute seconds between checkpoints for write time delta and job
 * MTBF M (both > 0). */
double trainest_priv_daly_interval(double delta, double M);
double trainest_priv_young_interval(double delta, double M);

/* Validate and compute; *f is zeroed by the caller. p10_total_s, if not
 * NULL, receives the 10th percentile of the wall time. */
int trainest_priv_failure(trainest_failure *f, const trainest_failure_request *rq, uint32_t *field,
                          double *p10_total_s);

/* The same for a job MTBF M in seconds (0: nothing fails), from the
 * request's work, checkpoint, restart and interval fields, which the
 * caller has validated (work_s > 0); its devices and MTBFs are not read. */
int trainest_priv_failure_at(trainest_failure *f, const trainest_failure_request *rq, double M,
                             uint32_t *field, double *p10_total_s);

#endif
