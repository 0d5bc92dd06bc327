/* SPDX-License-Identifier: MIT */
/* Batch planning internals shared by the plan, suggestion and later modules. */
#ifndef TRAINEST_PLAN_H
#define TRAINEST_PLAN_H

#include "trainest.h"

/* Compute a plan from a full-size, already-copied request into a full-size
 * local plan. Sets p->invalid_field on failure. No struct_size handling. */
int trainest_priv_plan_compute(trainest_plan *p, const trainest_plan_request *rq);

/* Validate the request fields that no repair can change (samples, replica
 * count, epochs, enums, preset conflicts). */
int trainest_priv_plan_check_fixed(const trainest_plan_request *rq, uint32_t *field);

#endif
