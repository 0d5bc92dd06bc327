/* SPDX-License-Identifier: MIT */
/* Batch planning internals shared by the plan, suggestion and later modules. */
#ifndef TRAINEST_PLAN_H
#define TRAINEST_PLAN_H

#include "trainest.h"

/* Compute a plan from a full-size, already-copied request into a full-size
 * local plan. Sets p->invalid_field on failure. No struct_size handling. */
int trainest_priv_plan_compute(trainest_plan *p, const trainest_plan_request *rq);

/* The device layout of a request: TP, PP and virtual stages default to 1,
 * and either the devices or the data-parallel size is derived. */
struct tr_layout {
    uint64_t tp, pp, v, dp, devices;
};

int trainest_priv_plan_layout(const trainest_plan_request *rq, struct tr_layout *l, uint32_t *field);

/* Validate the request fields that no repair can change (samples, replica
 * count, epochs, enums, preset conflicts). */
int trainest_priv_plan_check_fixed(const trainest_plan_request *rq, uint32_t *field);

#endif
