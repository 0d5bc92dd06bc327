/* SPDX-License-Identifier: MIT */
/* The memory model's internals, shared with the planner search. */
#ifndef TRAINEST_MEMORY_H
#define TRAINEST_MEMORY_H

#include "trainest.h"

#include <stdbool.h>

/* How activations grow with the micro-batch on one device. */
__extension__ typedef unsigned __int128 tr_u128;

struct tr_mem_shape {
    uint64_t per_sample;               /* given bytes per sample (full model), or 0 ... */
    uint64_t layers, hidden, heads, seq; /* ... the model shape (this stage's layers) */
    uint32_t recompute;
    uint64_t tp, pp;                   /* the layout: the model states divide by tp * pp */
    uint64_t act_pp;                   /* activations divide by tp * act_pp: pp for a
                                        * whole-model per_sample, 1 when layers are the stage's */
    tr_u128 in_num, in_den;            /* micro-batches in flight, a fraction */
};

void trainest_priv_memory_shape(struct tr_mem_shape *s, const trainest_memory_request *rq);
int trainest_priv_memory_plan_shape(struct tr_mem_shape *s, const trainest_memory_request *rq,
                                    const trainest_plan_request *prq, uint64_t tp, uint64_t pp,
                                    uint64_t v, uint64_t micro_batches, uint32_t *field);
/* Micro-batches in flight on the first stage: min(PP, micro_batches),
 * times 1 + (PP - 1) / (PP v) when interleaved. */
void trainest_priv_memory_shape_in_flight(struct tr_mem_shape *s, uint64_t pp, uint64_t v,
                                          uint64_t micro_batches);
/* The shape of a layout for the search and the critical batch: the model
 * states split over TP x PP; activations from activation_bytes_per_sample,
 * else from the model shape when it is complete, else none (0.3's meaning
 * of a zero activation_bytes_per_sample, kept for those callers). */
void trainest_priv_memory_layout_shape(struct tr_mem_shape *s, const trainest_memory_request *rq,
                                       const trainest_plan_request *prq, uint64_t tp, uint64_t pp,
                                       uint64_t v, uint64_t micro_batches);
uint64_t trainest_priv_activation_bytes(const struct tr_mem_shape *s, uint64_t m, bool *overflow);
int trainest_priv_memory_for(trainest_memory *m, const trainest_memory_request *rq,
                             const struct tr_mem_shape *shape, uint64_t micro_batch,
                             uint64_t data_parallel, uint32_t *field);

/* Validate a memory request (everything but the replica count). */
int trainest_priv_memory_check(const trainest_memory_request *rq, uint32_t *field);

/* Fill *m for a validated request; fails only with OVERFLOW. */
int trainest_priv_memory(trainest_memory *m, const trainest_memory_request *rq,
                         uint64_t micro_batch, uint64_t data_parallel, uint32_t *field);

#endif
