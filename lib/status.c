/* SPDX-License-Identifier: MIT */
/* Version, status and field names, struct sizes. */
#include <stddef.h>

#include "trainest.h"

/* One table keeps each status value, its name and its text in step. */
#define TRAINEST_STATUS_TABLE(X)                                                               \
    X(TRAINEST_OK, "success")                                                                  \
    X(TRAINEST_E_NULL, "a required pointer argument is NULL")                                  \
    X(TRAINEST_E_STRUCT_SIZE,                                                                  \
      "struct_size is below the struct's first released size or implausibly large")           \
    X(TRAINEST_E_UNSUPPORTED,                                                                  \
      "the struct has non-zero fields beyond what this library version knows")                \
    X(TRAINEST_E_ZERO, "a count that must be positive is zero")                                \
    X(TRAINEST_E_OVERFLOW,                                                                     \
      "a result does not fit: a count beyond 2^64 - 1 or a time beyond the double range")    \
    X(TRAINEST_E_NOT_DIVISIBLE,                                                                \
      "the batch does not split evenly: the global batch into micro-batches, accumulation "   \
      "steps and replicas, or (interleaved pipeline) a step's micro-batches into rounds of "  \
      "pipeline stages")                                                                       \
    X(TRAINEST_E_INCONSISTENT,                                                                 \
      "inputs contradict each other (see invalid_field), such as a global_batch that is not " \
      "micro_batch * grad_accum_steps * data_parallel")                                       \
    X(TRAINEST_E_UNKNOWN_ENUM, "an enum field holds an unknown value")                        \
    X(TRAINEST_E_UNDERSPECIFIED,                                                               \
      "an input the result needs is missing (see invalid_field): for a plan, two of "         \
      "global_batch, micro_batch and grad_accum_steps")                                       \
    X(TRAINEST_E_EXCEEDS_CAP, "micro_batch is larger than max_micro_batch")                   \
    X(TRAINEST_E_NO_STEPS, "the rounding policies leave no optimizer step in the run")       \
    X(TRAINEST_E_PRESET_CONFLICT,                                                              \
      "the preset fixes this policy; leave the field at its DEFAULT value")                   \
    X(TRAINEST_E_NOT_FINITE, "a floating-point input is NaN or infinite")                      \
    X(TRAINEST_E_OUT_OF_RANGE,                                                                 \
      "an input is outside its documented range (see invalid_field), such as a negative time " \
      "or a device memory too small for one sample")                                          \
    X(TRAINEST_E_TOO_FEW_POINTS, "the fit needs at least two distinct observations")          \
    X(TRAINEST_E_UNIDENTIFIABLE,                                                               \
      "the observations cannot separate the model's parameters")                              \
    X(TRAINEST_E_BAD_LAYOUT,                                                                   \
      "the devices do not split into data_parallel x tensor_parallel x pipeline_parallel, or " \
      "the model's layers, hidden size or heads do not split over that layout")

const char *trainest_strerror(int status)
{
    switch (status) {
#define X(name, text)                                                                          \
    case name:                                                                                 \
        return text;
        TRAINEST_STATUS_TABLE(X)
#undef X
    }
    return "unknown status";
}

const char *trainest_status_name(int status)
{
    switch (status) {
#define X(name, text)                                                                          \
    case name:                                                                                 \
        return #name;
        TRAINEST_STATUS_TABLE(X)
#undef X
    }
    return "TRAINEST_E_UNKNOWN_STATUS";
}

const char *trainest_field_name(uint32_t field)
{
    static const char *const names[] = {
        [TRAINEST_FIELD_NONE] = "none",
        [TRAINEST_FIELD_STRUCT_SIZE] = "struct_size",
        [TRAINEST_FIELD_PRESET] = "preset",
        [TRAINEST_FIELD_SAMPLES] = "samples",
        [TRAINEST_FIELD_GLOBAL_BATCH] = "global_batch",
        [TRAINEST_FIELD_MICRO_BATCH] = "micro_batch",
        [TRAINEST_FIELD_GRAD_ACCUM_STEPS] = "grad_accum_steps",
        [TRAINEST_FIELD_DATA_PARALLEL] = "data_parallel",
        [TRAINEST_FIELD_MAX_MICRO_BATCH] = "max_micro_batch",
        [TRAINEST_FIELD_EPOCHS] = "epochs",
        [TRAINEST_FIELD_SEQ_LEN_TOKENS] = "seq_len_tokens",
        [TRAINEST_FIELD_DIVISIBILITY] = "divisibility",
        [TRAINEST_FIELD_SAMPLER] = "sampler",
        [TRAINEST_FIELD_LAST_MICRO_BATCH] = "last_micro_batch",
        [TRAINEST_FIELD_ACCUM_TAIL] = "accum_tail",
        [TRAINEST_FIELD_STEP_SOURCE] = "step_source",
        [TRAINEST_FIELD_FLOOR_S] = "floor_s",
        [TRAINEST_FIELD_FIXED_S] = "fixed_s",
        [TRAINEST_FIELD_PER_SAMPLE_S] = "per_sample_s",
        [TRAINEST_FIELD_LAUNCH_LAG_S] = "launch_lag_s",
        [TRAINEST_FIELD_OPTIMIZER_S] = "optimizer_s",
        [TRAINEST_FIELD_PARAMS] = "params",
        [TRAINEST_FIELD_TOKENS_PER_SAMPLE] = "tokens_per_sample",
        [TRAINEST_FIELD_FLOPS_PER_SAMPLE] = "flops_per_sample",
        [TRAINEST_FIELD_PEAK_FLOPS_PER_S] = "peak_flops_per_s",
        [TRAINEST_FIELD_EFFICIENCY_RATIO] = "efficiency_ratio",
        [TRAINEST_FIELD_OBSERVED_STEP_S] = "observed_step_s",
        [TRAINEST_FIELD_OBSERVED_MICRO_BATCH] = "observed_micro_batch",
        [TRAINEST_FIELD_OBSERVED_GRAD_ACCUM_STEPS] = "observed_grad_accum_steps",
        [TRAINEST_FIELD_RECOMPUTE] = "recompute",
        [TRAINEST_FIELD_DATA_MODE] = "data_mode",
        [TRAINEST_FIELD_DATA_SAMPLES_PER_S] = "data_samples_per_s",
        [TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER] = "data_samples_per_s_per_worker",
        [TRAINEST_FIELD_DATA_WORKERS] = "data_workers",
        [TRAINEST_FIELD_H2D_BYTES_PER_SAMPLE] = "h2d_bytes_per_sample",
        [TRAINEST_FIELD_H2D_BYTES_PER_S] = "h2d_bytes_per_s",
        [TRAINEST_FIELD_GRAD_BYTES] = "grad_bytes",
        [TRAINEST_FIELD_BUS_BYTES_PER_S] = "bus_bytes_per_s",
        [TRAINEST_FIELD_LATENCY_S] = "latency_s",
        [TRAINEST_FIELD_DEVICES_PER_NODE] = "devices_per_node",
        [TRAINEST_FIELD_INTER_NODE_BYTES_PER_S] = "inter_node_bytes_per_s",
        [TRAINEST_FIELD_COMM_OVERLAP_RATIO] = "comm_overlap_ratio",
        [TRAINEST_FIELD_EVAL_S_PER_EPOCH] = "eval_s_per_epoch",
        [TRAINEST_FIELD_CHECKPOINT_S] = "checkpoint_s",
        [TRAINEST_FIELD_CHECKPOINTS_PER_EPOCH] = "checkpoints_per_epoch",
        [TRAINEST_FIELD_STARTUP_S] = "startup_s",
        [TRAINEST_FIELD_OBSERVATIONS] = "observations",
        [TRAINEST_FIELD_OBSERVATION_MICRO_BATCH] = "observation.micro_batch",
        [TRAINEST_FIELD_OBSERVATION_GRAD_ACCUM_STEPS] = "observation.grad_accum_steps",
        [TRAINEST_FIELD_OBSERVATION_STEP_S] = "observation.step_s",
        [TRAINEST_FIELD_CALIBRATION_FLAGS] = "calibration.flags",
        [TRAINEST_FIELD_ZERO_STAGE] = "zero_stage",
        [TRAINEST_FIELD_MEMORY_PARAMS] = "memory.params",
        [TRAINEST_FIELD_WEIGHT_BITS_PER_PARAM] = "weight_bits_per_param",
        [TRAINEST_FIELD_GRAD_BITS_PER_PARAM] = "grad_bits_per_param",
        [TRAINEST_FIELD_OPTIMIZER_BITS_PER_PARAM] = "optimizer_bits_per_param",
        [TRAINEST_FIELD_OVERHEAD_BYTES] = "overhead_bytes",
        [TRAINEST_FIELD_STATIC_BYTES] = "static_bytes",
        [TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE] = "activation_bytes_per_sample",
        [TRAINEST_FIELD_DEVICE_MEMORY_BYTES] = "device_memory_bytes",
        [TRAINEST_FIELD_HEADROOM_RATIO] = "headroom_ratio",
        [TRAINEST_FIELD_MEMORY_POINT_MICRO_BATCH] = "memory_point.micro_batch",
        [TRAINEST_FIELD_MEMORY_POINT_PEAK_BYTES] = "memory_point.peak_bytes",
        [TRAINEST_FIELD_GLOBAL_BATCH_MIN] = "global_batch_min",
        [TRAINEST_FIELD_GLOBAL_BATCH_MAX] = "global_batch_max",
        [TRAINEST_FIELD_GLOBAL_BATCH_STEP] = "global_batch_step",
        [TRAINEST_FIELD_MAX_DEVICES] = "max_devices",
        [TRAINEST_FIELD_MEMORY_POINTS] = "memory_points",
        [TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE] = "mtbf_hours_per_device",
        [TRAINEST_FIELD_MTBF_HOURS_PER_NODE] = "mtbf_hours_per_node",
        [TRAINEST_FIELD_FAILURE_DEVICES] = "failure.devices",
        [TRAINEST_FIELD_FAILURE_DEVICES_PER_NODE] = "failure.devices_per_node",
        [TRAINEST_FIELD_CHECKPOINT_WRITE_S] = "checkpoint_write_s",
        [TRAINEST_FIELD_RESTART_S] = "restart_s",
        [TRAINEST_FIELD_CHECKPOINT_INTERVAL_S] = "checkpoint_interval_s",
        [TRAINEST_FIELD_INTERVAL_RULE] = "interval_rule",
        [TRAINEST_FIELD_WORK_S] = "work_s",
        [TRAINEST_FIELD_RAMPUP_START] = "rampup.start_global_batch",
        [TRAINEST_FIELD_RAMPUP_INCREMENT] = "rampup.increment",
        [TRAINEST_FIELD_RAMPUP_SAMPLES] = "rampup.ramp_samples",
        [TRAINEST_FIELD_NOISE_SCALE] = "noise_scale",
        [TRAINEST_FIELD_MIN_STEPS] = "min_steps",
        [TRAINEST_FIELD_MIN_SAMPLES] = "min_samples",
        [TRAINEST_FIELD_MAX_GLOBAL_BATCH] = "max_global_batch",
        [TRAINEST_FIELD_TOTAL_STEPS] = "total_steps",
        [TRAINEST_FIELD_OUTLIER_RATIO] = "outlier_ratio",
        [TRAINEST_FIELD_PRIOR_STEP_S] = "prior_step_s",
        [TRAINEST_FIELD_OVERHEAD_S_PER_EPOCH] = "overhead_s_per_epoch",
        [TRAINEST_FIELD_JOB_MTBF_S] = "job_mtbf_s",
        [TRAINEST_FIELD_STEP_S] = "step_s",
        [TRAINEST_FIELD_NOW_UNIX_S] = "now_unix_s",
        [TRAINEST_FIELD_ETA_STATE] = "eta_state",
        [TRAINEST_FIELD_TENSOR_PARALLEL] = "tensor_parallel",
        [TRAINEST_FIELD_PIPELINE_PARALLEL] = "pipeline_parallel",
        [TRAINEST_FIELD_VIRTUAL_STAGES] = "virtual_stages",
        [TRAINEST_FIELD_DEVICES] = "devices",
        [TRAINEST_FIELD_LAYERS] = "layers",
        [TRAINEST_FIELD_HIDDEN] = "hidden",
        [TRAINEST_FIELD_ATTENTION_HEADS] = "attention_heads",
        [TRAINEST_FIELD_VOCAB] = "vocab",
        [TRAINEST_FIELD_ACTIVATION_BYTES_PER_ELEMENT] = "activation_bytes_per_element",
        [TRAINEST_FIELD_TP_BYTES_PER_S] = "tp_bytes_per_s",
        [TRAINEST_FIELD_P2P_BYTES_PER_S] = "p2p_bytes_per_s",
        [TRAINEST_FIELD_MEMORY_RECOMPUTE] = "memory.recompute",
        [TRAINEST_FIELD_MAX_TENSOR_PARALLEL] = "max_tensor_parallel",
        [TRAINEST_FIELD_MAX_PIPELINE_PARALLEL] = "max_pipeline_parallel",
        [TRAINEST_FIELD_SEARCH_DEVICES_PER_NODE] = "search.devices_per_node",
        [TRAINEST_FIELD_ETA_TOTAL_SAMPLES] = "eta.total_samples",
        [TRAINEST_FIELD_ETA_SAMPLES_DONE] = "eta.samples_done",
        [TRAINEST_FIELD_COMM_ACTIVATION_BYTES_PER_SAMPLE] = "comm_activation_bytes_per_sample",
        [TRAINEST_FIELD_DATA_WORKER_STARTUP_S] = "data_worker_startup_s",
        [TRAINEST_FIELD_DATA_PERSISTENT_WORKERS] = "data_persistent_workers",
        [TRAINEST_FIELD_LOADER_WORKERS] = "loader_observation.workers",
        [TRAINEST_FIELD_LOADER_BATCH_SIZE] = "loader_observation.batch_size",
        [TRAINEST_FIELD_LOADER_SAMPLES] = "loader_observation.samples",
        [TRAINEST_FIELD_LOADER_SECONDS] = "loader_observation.seconds",
    };
    if (field < sizeof names / sizeof names[0] && names[field])
        return names[field];
    return "unknown";
}

uint32_t trainest_version(void)
{
    return TRAINEST_VERSION_NUMBER;
}

const char *trainest_version_string(void)
{
    return TRAINEST_VERSION_STRING;
}

uint32_t trainest_struct_size(uint32_t id)
{
    switch (id) {
    case TRAINEST_STRUCT_PLAN_REQUEST:
        return sizeof(trainest_plan_request);
    case TRAINEST_STRUCT_PLAN:
        return sizeof(trainest_plan);
    case TRAINEST_STRUCT_PLAN_SUGGESTION:
        return sizeof(trainest_plan_suggestion);
    case TRAINEST_STRUCT_ESTIMATE_REQUEST:
        return sizeof(trainest_estimate_request);
    case TRAINEST_STRUCT_ESTIMATE:
        return sizeof(trainest_estimate);
    case TRAINEST_STRUCT_STEP_OBSERVATION:
        return sizeof(trainest_step_observation);
    case TRAINEST_STRUCT_CALIBRATION_REQUEST:
        return sizeof(trainest_calibration_request);
    case TRAINEST_STRUCT_STEP_FIT:
        return sizeof(trainest_step_fit);
    case TRAINEST_STRUCT_TRADEOFF:
        return sizeof(trainest_tradeoff);
    case TRAINEST_STRUCT_TRADEOFF_POINT:
        return sizeof(trainest_tradeoff_point);
    case TRAINEST_STRUCT_MEMORY_REQUEST:
        return sizeof(trainest_memory_request);
    case TRAINEST_STRUCT_MEMORY:
        return sizeof(trainest_memory);
    case TRAINEST_STRUCT_MEMORY_POINT:
        return sizeof(trainest_memory_point);
    case TRAINEST_STRUCT_MEMORY_FIT:
        return sizeof(trainest_memory_fit);
    case TRAINEST_STRUCT_SEARCH_REQUEST:
        return sizeof(trainest_search_request);
    case TRAINEST_STRUCT_SEARCH:
        return sizeof(trainest_search);
    case TRAINEST_STRUCT_SEARCH_RESULT:
        return sizeof(trainest_search_result);
    case TRAINEST_STRUCT_FAILURE_REQUEST:
        return sizeof(trainest_failure_request);
    case TRAINEST_STRUCT_FAILURE:
        return sizeof(trainest_failure);
    case TRAINEST_STRUCT_RAMPUP_REQUEST:
        return sizeof(trainest_rampup_request);
    case TRAINEST_STRUCT_RAMPUP:
        return sizeof(trainest_rampup);
    case TRAINEST_STRUCT_CRITICAL_REQUEST:
        return sizeof(trainest_critical_request);
    case TRAINEST_STRUCT_CRITICAL:
        return sizeof(trainest_critical);
    case TRAINEST_STRUCT_ETA_CONFIG:
        return sizeof(trainest_eta_config);
    case TRAINEST_STRUCT_ETA:
        return sizeof(trainest_eta);
    case TRAINEST_STRUCT_ETA_REPORT:
        return sizeof(trainest_eta_report);
    case TRAINEST_STRUCT_LAYOUT_SUGGESTION:
        return sizeof(trainest_layout_suggestion);
    case TRAINEST_STRUCT_LOADER_OBSERVATION:
        return sizeof(trainest_loader_observation);
    case TRAINEST_STRUCT_LOADER_FIT:
        return sizeof(trainest_loader_fit);
    }
    return 0;
}
