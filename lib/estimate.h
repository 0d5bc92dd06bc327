/* SPDX-License-Identifier: MIT */
/* The time model's internals, shared by the estimate, the trade-off and
 * later by the planner search. */
#ifndef TRAINEST_ESTIMATE_H
#define TRAINEST_ESTIMATE_H

#include <stdbool.h>

#include "trainest.h"

/* A validated estimate request, reduced to what timing a step needs. */
struct tr_step_model {
    double floor_s, fixed_s, per_sample_s, launch_lag_s, optimizer_s;
    double data_samples_per_s; /* per replica; 0 = unlimited */
    double h2d_s_per_sample;   /* h2d bytes / bandwidth */
    double comm_step_s;        /* exposed all-reduce per step (depends on R) */
    bool serial_data;
    /* TRAINEST_DATA_MODE_WORKERS: the run's stall comes from the loader
     * model (lib/loader.h); data_samples_per_s is then the steady rate of
     * all workers, for the step figures */
    bool workers_mode, persistent_workers;
    uint64_t workers;
    double worker_startup_s, worker_s_per_sample;
    double flops_per_sample, peak_flops_per_s, efficiency_ratio;
    uint64_t tokens_per_sample;
    /* model parallelism: the device time of a micro-batch is split over
     * split = TP * PP devices; per stage and micro-batch of s samples,
     * tensor-parallel communication tp_fixed_s + tp_per_sample_s * s and
     * point-to-point p2p_per_sample_s * s; the pipeline fills and drains
     * over bubble_stages = (PP - 1) / v stage times */
    double split, tp_fixed_s, tp_per_sample_s, p2p_per_sample_s, bubble_stages;
};

/* Validate an estimate request against a computed plan and reduce it.
 * Sets *field on failure. */
int trainest_priv_step_model(struct tr_step_model *sm, const trainest_estimate_request *rq,
                             const trainest_plan *plan, const trainest_plan_request *prq,
                             uint32_t *field);

/* Narayanan et al. 2021, eq. 3: model FLOPs of one iteration with full
 * activation recompute. */
double trainest_priv_megatron_flops_per_iteration(double batch, double seq, double layers,
                                                  double hidden, double vocab);

/* Time a computed plan. Fills every member of e except struct_size. */
void trainest_priv_estimate(trainest_estimate *e, const trainest_plan *plan,
                            const struct tr_step_model *sm, const trainest_estimate_request *rq);

/* One optimizer step of a micro-batches of m samples, everything included. */
double trainest_priv_full_step_s(const struct tr_step_model *sm, double a, double m);

/* Plan a request and time it; on failure *e's invalid_field is set. */
int trainest_priv_estimate_checked(trainest_estimate *e, const trainest_plan_request *prq,
                                   const trainest_estimate_request *rq, trainest_plan *plan);

#endif
