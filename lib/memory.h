/* SPDX-License-Identifier: MIT */
/* The memory model's internals, shared with the planner search. */
#ifndef TRAINEST_MEMORY_H
#define TRAINEST_MEMORY_H

#include "trainest.h"

/* Validate a memory request (everything but the replica count). */
int trainest_priv_memory_check(const trainest_memory_request *rq, uint32_t *field);

/* Fill *m for a validated request; fails only with OVERFLOW. */
int trainest_priv_memory(trainest_memory *m, const trainest_memory_request *rq,
                         uint64_t micro_batch, uint64_t data_parallel, uint32_t *field);

#endif
