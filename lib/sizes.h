/* SPDX-License-Identifier: MIT */
/* The size of every public struct at the release that introduced it.
 * These numbers are frozen: a caller built against that release passes
 * exactly this struct_size, and must keep working forever. */
#ifndef TRAINEST_SIZES_H
#define TRAINEST_SIZES_H

#include <stddef.h>

#include "trainest.h"

#define TR_SIZE_PLAN_REQUEST_0_1 88u
#define TR_SIZE_PLAN_0_1 208u
#define TR_SIZE_PLAN_SUGGESTION_0_1 48u
#define TR_SIZE_ESTIMATE_REQUEST_0_2 240u
#define TR_SIZE_ESTIMATE_0_2 184u
#define TR_SIZE_STEP_OBSERVATION_0_2 32u
#define TR_SIZE_CALIBRATION_REQUEST_0_2 16u
#define TR_SIZE_STEP_FIT_0_2 80u
#define TR_SIZE_TRADEOFF_0_2 56u
#define TR_SIZE_TRADEOFF_POINT_0_2 40u
#define TR_SIZE_MEMORY_REQUEST_0_3 72u
#define TR_SIZE_MEMORY_0_3 88u
#define TR_SIZE_MEMORY_POINT_0_3 24u
#define TR_SIZE_MEMORY_FIT_0_3 48u
#define TR_SIZE_SEARCH_REQUEST_0_3 40u
#define TR_SIZE_SEARCH_0_3 64u
#define TR_SIZE_SEARCH_RESULT_0_3 80u
#define TR_SIZE_FAILURE_REQUEST_0_4 72u
#define TR_SIZE_FAILURE_0_4 104u
#define TR_SIZE_RAMPUP_REQUEST_0_4 32u
#define TR_SIZE_RAMPUP_0_4 80u
#define TR_SIZE_CRITICAL_REQUEST_0_4 40u
#define TR_SIZE_CRITICAL_0_4 112u
#define TR_SIZE_ETA_CONFIG_0_4 96u
#define TR_SIZE_ETA_0_4 304u
#define TR_SIZE_ETA_REPORT_0_4 136u

/* Fields are only ever appended, so the current size can only grow. */
_Static_assert(sizeof(trainest_plan_request) >= TR_SIZE_PLAN_REQUEST_0_1, "plan_request shrank");
_Static_assert(sizeof(trainest_plan) >= TR_SIZE_PLAN_0_1, "plan shrank");
_Static_assert(sizeof(trainest_plan_suggestion) >= TR_SIZE_PLAN_SUGGESTION_0_1,
               "plan_suggestion shrank");
/* 0.5.0 appended model-parallel fields to these. */
#define TR_SIZE_PLAN_REQUEST_0_5 152u
#define TR_SIZE_PLAN_0_5 248u
#define TR_SIZE_ESTIMATE_REQUEST_0_5 264u
#define TR_SIZE_ESTIMATE_0_5 224u
#define TR_SIZE_MEMORY_REQUEST_0_5 80u
#define TR_SIZE_MEMORY_0_5 104u
#define TR_SIZE_SEARCH_REQUEST_0_5 64u
#define TR_SIZE_SEARCH_RESULT_0_5 96u
#define TR_SIZE_LAYOUT_SUGGESTION_0_5 48u
/* ... and invalid_field to the ETA tracker. */
#define TR_SIZE_ETA_0_5 312u
/* 0.6.0 appended the samples model to the ETA tracker, and explicit
 * activation bytes to the estimate request. */
#define TR_SIZE_ETA_0_6 368u
#define TR_SIZE_ESTIMATE_REQUEST_0_6 272u
/* 0.7.0 appended the loader-worker model to the estimate request, and added
 * the loader calibration. */
#define TR_SIZE_ESTIMATE_REQUEST_0_7 288u
#define TR_SIZE_LOADER_OBSERVATION_0_7 40u
#define TR_SIZE_LOADER_FIT_0_7 56u

/* The current sizes are exactly the latest frozen ones. */
_Static_assert(sizeof(trainest_plan_request) == TR_SIZE_PLAN_REQUEST_0_5, "layout changed");
_Static_assert(sizeof(trainest_plan) == TR_SIZE_PLAN_0_5, "layout changed");
_Static_assert(sizeof(trainest_layout_suggestion) == TR_SIZE_LAYOUT_SUGGESTION_0_5, "layout changed");
_Static_assert(sizeof(trainest_plan_suggestion) == 48, "plan_suggestion layout changed");
_Static_assert(sizeof(trainest_estimate_request) == TR_SIZE_ESTIMATE_REQUEST_0_7, "layout changed");
_Static_assert(offsetof(trainest_estimate_request, data_worker_startup_s) ==
                   TR_SIZE_ESTIMATE_REQUEST_0_6,
               "0.7 appends to 0.6");
_Static_assert(sizeof(trainest_loader_observation) == TR_SIZE_LOADER_OBSERVATION_0_7,
               "layout changed");
_Static_assert(sizeof(trainest_loader_fit) == TR_SIZE_LOADER_FIT_0_7, "layout changed");
_Static_assert(offsetof(trainest_estimate_request, comm_activation_bytes_per_sample) ==
                   TR_SIZE_ESTIMATE_REQUEST_0_5,
               "0.6 appends to 0.5");
_Static_assert(sizeof(trainest_estimate) == TR_SIZE_ESTIMATE_0_5, "layout changed");
_Static_assert(sizeof(trainest_step_observation) == TR_SIZE_STEP_OBSERVATION_0_2, "layout changed");
_Static_assert(sizeof(trainest_calibration_request) == TR_SIZE_CALIBRATION_REQUEST_0_2,
               "layout changed");
_Static_assert(sizeof(trainest_step_fit) == TR_SIZE_STEP_FIT_0_2, "layout changed");
_Static_assert(sizeof(trainest_tradeoff) == TR_SIZE_TRADEOFF_0_2, "layout changed");
_Static_assert(sizeof(trainest_tradeoff_point) == TR_SIZE_TRADEOFF_POINT_0_2, "layout changed");
_Static_assert(sizeof(trainest_memory_request) == TR_SIZE_MEMORY_REQUEST_0_5, "layout changed");
_Static_assert(sizeof(trainest_memory) == TR_SIZE_MEMORY_0_5, "layout changed");
_Static_assert(sizeof(trainest_memory_point) == TR_SIZE_MEMORY_POINT_0_3, "layout changed");
_Static_assert(sizeof(trainest_memory_fit) == TR_SIZE_MEMORY_FIT_0_3, "layout changed");
_Static_assert(sizeof(trainest_search_request) == TR_SIZE_SEARCH_REQUEST_0_5, "layout changed");
_Static_assert(sizeof(trainest_search) == TR_SIZE_SEARCH_0_3, "layout changed");
_Static_assert(sizeof(trainest_search_result) == TR_SIZE_SEARCH_RESULT_0_5, "layout changed");
_Static_assert(sizeof(trainest_failure_request) == TR_SIZE_FAILURE_REQUEST_0_4, "layout changed");
_Static_assert(sizeof(trainest_failure) == TR_SIZE_FAILURE_0_4, "layout changed");
_Static_assert(sizeof(trainest_rampup_request) == TR_SIZE_RAMPUP_REQUEST_0_4, "layout changed");
_Static_assert(sizeof(trainest_rampup) == TR_SIZE_RAMPUP_0_4, "layout changed");
_Static_assert(sizeof(trainest_critical_request) == TR_SIZE_CRITICAL_REQUEST_0_4, "layout changed");
_Static_assert(sizeof(trainest_critical) == TR_SIZE_CRITICAL_0_4, "layout changed");
_Static_assert(sizeof(trainest_eta_config) == TR_SIZE_ETA_CONFIG_0_4, "layout changed");
_Static_assert(sizeof(trainest_eta) == TR_SIZE_ETA_0_6, "layout changed");
_Static_assert(offsetof(trainest_eta, total_samples) == TR_SIZE_ETA_0_5, "0.6 appends to 0.5");
_Static_assert(offsetof(trainest_eta, invalid_field) == TR_SIZE_ETA_0_4, "0.5 appends to 0.4");
_Static_assert(sizeof(trainest_eta_report) == TR_SIZE_ETA_REPORT_0_4, "layout changed");

#endif
