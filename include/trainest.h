/* SPDX-License-Identifier: MIT */
/**
 * @file trainest.h
 * @brief trainest: plan and estimate deep-learning training runs.
 *
 * The only public header of libtrainest. Everything here is API; nothing
 * else is. All structs begin with their own size (see docs/ABI.md), all
 * functions that can fail return a ::trainest_status, and nothing in the
 * library allocates memory or keeps global mutable state, so every function
 * is reentrant and thread-safe.
 */
#ifndef TRAINEST_H
#define TRAINEST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef TRAINEST_API
#if defined(_WIN32) && defined(TRAINEST_BUILDING)
#define TRAINEST_API __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define TRAINEST_API __attribute__((visibility("default")))
#else
#define TRAINEST_API
#endif
#endif

/** @name Version
 * The version of the header. Compare with trainest_version() to learn the
 * version of the library actually loaded.
 * @{ */
/** Major version: changes only if the ABI breaks (it never has). */
#define TRAINEST_VERSION_MAJOR 0
/** Minor version: grows when functions or struct fields are appended. */
#define TRAINEST_VERSION_MINOR 7
/** Patch version: bug fixes only. */
#define TRAINEST_VERSION_PATCH 0
/** The version as one number, 10000 * major + 100 * minor + patch. */
#define TRAINEST_VERSION_NUMBER \
    (TRAINEST_VERSION_MAJOR * 10000 + TRAINEST_VERSION_MINOR * 100 + TRAINEST_VERSION_PATCH)
/** @cond TRAINEST_INTERNAL */
#define TRAINEST_STRINGIFY_(x) #x
#define TRAINEST_STRINGIFY(x) TRAINEST_STRINGIFY_(x)
/** @endcond */
/** The version as a string, "major.minor.patch". */
#define TRAINEST_VERSION_STRING                                                     \
    TRAINEST_STRINGIFY(TRAINEST_VERSION_MAJOR) "." TRAINEST_STRINGIFY(              \
        TRAINEST_VERSION_MINOR) "." TRAINEST_STRINGIFY(TRAINEST_VERSION_PATCH)
/** @} */

/**
 * @brief Status codes returned by every fallible function.
 *
 * 0 is success; failures are negative. Values are fixed forever: never
 * renumbered, never reused. trainest_status_name() gives the constant's
 * name and trainest_strerror() a sentence of English.
 */
typedef enum trainest_status {
    TRAINEST_OK = 0,                  /**< Success. */
    TRAINEST_E_NULL = -1,             /**< A required pointer argument is NULL. */
    TRAINEST_E_STRUCT_SIZE = -2,      /**< A struct_size is below the struct's first released size or implausibly large. */
    TRAINEST_E_UNSUPPORTED = -3,      /**< A struct carries non-zero bytes beyond what this library version knows. */
    TRAINEST_E_ZERO = -4,             /**< A count that must be positive is zero. */
    TRAINEST_E_OVERFLOW = -5,         /**< A result does not fit: an integer beyond 2^64 - 1, or (since 0.2.0) a time beyond the range of double. */
    TRAINEST_E_NOT_DIVISIBLE = -6,    /**< The batch does not split evenly and the divisibility policy is ERROR. */
    TRAINEST_E_INCONSISTENT = -7,     /**< global_batch != micro_batch * grad_accum_steps * data_parallel. */
    TRAINEST_E_UNKNOWN_ENUM = -8,     /**< An enum field holds a value this library does not know. */
    TRAINEST_E_UNDERSPECIFIED = -9,   /**< Too few of global_batch, micro_batch, grad_accum_steps are given. */
    TRAINEST_E_EXCEEDS_CAP = -10,     /**< micro_batch is larger than max_micro_batch. */
    TRAINEST_E_NO_STEPS = -11,        /**< The rounding policies leave no optimizer step to take. */
    TRAINEST_E_PRESET_CONFLICT = -12, /**< The preset fixes this policy; leave the field at its DEFAULT value. */
    TRAINEST_E_NOT_FINITE = -13,      /**< A floating-point input is NaN or infinite. @since 0.2.0 */
    TRAINEST_E_OUT_OF_RANGE = -14,    /**< An input is outside its documented range (negative time, ratio above 1, a device memory too small for one sample, ...). @since 0.2.0 */
    TRAINEST_E_TOO_FEW_POINTS = -15,  /**< A fit needs more distinct observations than it was given. @since 0.2.0 */
    TRAINEST_E_UNIDENTIFIABLE = -16,  /**< The observations cannot separate the model's parameters. @since 0.2.0 */
    TRAINEST_E_BAD_LAYOUT = -17       /**< The devices do not split into data_parallel x tensor_parallel x pipeline_parallel, or the layers into the pipeline's stages. @since 0.5.0 */
} trainest_status;

/**
 * @brief Identifies the input field a failed call rejected.
 *
 * Output structs carry an `invalid_field` member: when a call fails it names
 * the field to blame (or ::TRAINEST_FIELD_NONE). trainest_field_name() gives
 * the field's name, which is also the member's name in the header (for
 * members of arrays and option structs, prefixed: "observation.step_s").
 */
typedef enum trainest_field {
    TRAINEST_FIELD_NONE = 0,              /**< No particular field. */
    TRAINEST_FIELD_STRUCT_SIZE = 1,       /**< A struct_size member. */
    TRAINEST_FIELD_PRESET = 2,            /**< trainest_plan_request::preset */
    TRAINEST_FIELD_SAMPLES = 3,           /**< trainest_plan_request::samples */
    TRAINEST_FIELD_GLOBAL_BATCH = 4,      /**< trainest_plan_request::global_batch */
    TRAINEST_FIELD_MICRO_BATCH = 5,       /**< trainest_plan_request::micro_batch */
    TRAINEST_FIELD_GRAD_ACCUM_STEPS = 6,  /**< trainest_plan_request::grad_accum_steps */
    TRAINEST_FIELD_DATA_PARALLEL = 7,     /**< trainest_plan_request::data_parallel */
    TRAINEST_FIELD_MAX_MICRO_BATCH = 8,   /**< trainest_plan_request::max_micro_batch */
    TRAINEST_FIELD_EPOCHS = 9,            /**< trainest_plan_request::epochs */
    TRAINEST_FIELD_SEQ_LEN_TOKENS = 10,   /**< trainest_plan_request::seq_len_tokens */
    TRAINEST_FIELD_DIVISIBILITY = 11,     /**< trainest_plan_request::divisibility */
    TRAINEST_FIELD_SAMPLER = 12,          /**< trainest_plan_request::sampler */
    TRAINEST_FIELD_LAST_MICRO_BATCH = 13, /**< trainest_plan_request::last_micro_batch */
    TRAINEST_FIELD_ACCUM_TAIL = 14,       /**< trainest_plan_request::accum_tail */
    TRAINEST_FIELD_STEP_SOURCE = 15,      /**< trainest_estimate_request::step_source @since 0.2.0 */
    TRAINEST_FIELD_FLOOR_S = 16,          /**< trainest_estimate_request::floor_s @since 0.2.0 */
    TRAINEST_FIELD_FIXED_S = 17,          /**< trainest_estimate_request::fixed_s @since 0.2.0 */
    TRAINEST_FIELD_PER_SAMPLE_S = 18,     /**< trainest_estimate_request::per_sample_s @since 0.2.0 */
    TRAINEST_FIELD_LAUNCH_LAG_S = 19,     /**< trainest_estimate_request::launch_lag_s @since 0.2.0 */
    TRAINEST_FIELD_OPTIMIZER_S = 20,      /**< trainest_estimate_request::optimizer_s and trainest_calibration_request::optimizer_s @since 0.2.0 */
    TRAINEST_FIELD_PARAMS = 21,           /**< trainest_estimate_request::params @since 0.2.0 */
    TRAINEST_FIELD_TOKENS_PER_SAMPLE = 22, /**< trainest_estimate_request::tokens_per_sample @since 0.2.0 */
    TRAINEST_FIELD_FLOPS_PER_SAMPLE = 23, /**< trainest_estimate_request::flops_per_sample @since 0.2.0 */
    TRAINEST_FIELD_PEAK_FLOPS_PER_S = 24, /**< trainest_estimate_request::peak_flops_per_s @since 0.2.0 */
    TRAINEST_FIELD_EFFICIENCY_RATIO = 25, /**< trainest_estimate_request::efficiency_ratio @since 0.2.0 */
    TRAINEST_FIELD_OBSERVED_STEP_S = 26,  /**< trainest_estimate_request::observed_step_s @since 0.2.0 */
    TRAINEST_FIELD_OBSERVED_MICRO_BATCH = 27, /**< trainest_estimate_request::observed_micro_batch @since 0.2.0 */
    TRAINEST_FIELD_OBSERVED_GRAD_ACCUM_STEPS = 28, /**< trainest_estimate_request::observed_grad_accum_steps @since 0.2.0 */
    TRAINEST_FIELD_RECOMPUTE = 29,        /**< trainest_estimate_request::recompute @since 0.2.0 */
    TRAINEST_FIELD_DATA_MODE = 30,        /**< trainest_estimate_request::data_mode @since 0.2.0 */
    TRAINEST_FIELD_DATA_SAMPLES_PER_S = 31, /**< trainest_estimate_request::data_samples_per_s @since 0.2.0 */
    TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER = 32, /**< trainest_estimate_request::data_samples_per_s_per_worker @since 0.2.0 */
    TRAINEST_FIELD_DATA_WORKERS = 33,     /**< trainest_estimate_request::data_workers @since 0.2.0 */
    TRAINEST_FIELD_H2D_BYTES_PER_SAMPLE = 34, /**< trainest_estimate_request::h2d_bytes_per_sample @since 0.2.0 */
    TRAINEST_FIELD_H2D_BYTES_PER_S = 35,  /**< trainest_estimate_request::h2d_bytes_per_s @since 0.2.0 */
    TRAINEST_FIELD_GRAD_BYTES = 36,       /**< trainest_estimate_request::grad_bytes @since 0.2.0 */
    TRAINEST_FIELD_BUS_BYTES_PER_S = 37,  /**< trainest_estimate_request::bus_bytes_per_s @since 0.2.0 */
    TRAINEST_FIELD_LATENCY_S = 38,        /**< trainest_estimate_request::latency_s @since 0.2.0 */
    TRAINEST_FIELD_DEVICES_PER_NODE = 39, /**< trainest_estimate_request::devices_per_node @since 0.2.0 */
    TRAINEST_FIELD_INTER_NODE_BYTES_PER_S = 40, /**< trainest_estimate_request::inter_node_bytes_per_s @since 0.2.0 */
    TRAINEST_FIELD_COMM_OVERLAP_RATIO = 41, /**< trainest_estimate_request::comm_overlap_ratio @since 0.2.0 */
    TRAINEST_FIELD_EVAL_S_PER_EPOCH = 42, /**< trainest_estimate_request::eval_s_per_epoch @since 0.2.0 */
    TRAINEST_FIELD_CHECKPOINT_S = 43,     /**< trainest_estimate_request::checkpoint_s @since 0.2.0 */
    TRAINEST_FIELD_CHECKPOINTS_PER_EPOCH = 44, /**< trainest_estimate_request::checkpoints_per_epoch @since 0.2.0 */
    TRAINEST_FIELD_STARTUP_S = 45,        /**< trainest_estimate_request::startup_s @since 0.2.0 */
    TRAINEST_FIELD_OBSERVATIONS = 46,     /**< The observation array or count of a fit; see the output's invalid_index. @since 0.2.0 */
    TRAINEST_FIELD_OBSERVATION_MICRO_BATCH = 47, /**< trainest_step_observation::micro_batch @since 0.2.0 */
    TRAINEST_FIELD_OBSERVATION_GRAD_ACCUM_STEPS = 48, /**< trainest_step_observation::grad_accum_steps @since 0.2.0 */
    TRAINEST_FIELD_OBSERVATION_STEP_S = 49, /**< trainest_step_observation::step_s @since 0.2.0 */
    TRAINEST_FIELD_CALIBRATION_FLAGS = 50, /**< trainest_calibration_request::flags @since 0.2.0 */
    TRAINEST_FIELD_ZERO_STAGE = 51,       /**< trainest_memory_request::zero_stage @since 0.3.0 */
    TRAINEST_FIELD_MEMORY_PARAMS = 52,    /**< trainest_memory_request::params @since 0.3.0 */
    TRAINEST_FIELD_WEIGHT_BITS_PER_PARAM = 53, /**< trainest_memory_request::weight_bits_per_param @since 0.3.0 */
    TRAINEST_FIELD_GRAD_BITS_PER_PARAM = 54, /**< trainest_memory_request::grad_bits_per_param @since 0.3.0 */
    TRAINEST_FIELD_OPTIMIZER_BITS_PER_PARAM = 55, /**< trainest_memory_request::optimizer_bits_per_param @since 0.3.0 */
    TRAINEST_FIELD_OVERHEAD_BYTES = 56,   /**< trainest_memory_request::overhead_bytes @since 0.3.0 */
    TRAINEST_FIELD_STATIC_BYTES = 57,     /**< trainest_memory_request::static_bytes @since 0.3.0 */
    TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE = 58, /**< trainest_memory_request::activation_bytes_per_sample @since 0.3.0 */
    TRAINEST_FIELD_DEVICE_MEMORY_BYTES = 59, /**< trainest_memory_request::device_memory_bytes @since 0.3.0 */
    TRAINEST_FIELD_HEADROOM_RATIO = 60,   /**< trainest_memory_request::headroom_ratio @since 0.3.0 */
    TRAINEST_FIELD_MEMORY_POINT_MICRO_BATCH = 61, /**< trainest_memory_point::micro_batch @since 0.3.0 */
    TRAINEST_FIELD_MEMORY_POINT_PEAK_BYTES = 62, /**< trainest_memory_point::peak_bytes @since 0.3.0 */
    TRAINEST_FIELD_GLOBAL_BATCH_MIN = 63, /**< trainest_search_request::global_batch_min @since 0.3.0 */
    TRAINEST_FIELD_GLOBAL_BATCH_MAX = 64, /**< trainest_search_request::global_batch_max @since 0.3.0 */
    TRAINEST_FIELD_GLOBAL_BATCH_STEP = 65, /**< trainest_search_request::global_batch_step @since 0.3.0 */
    TRAINEST_FIELD_MAX_DEVICES = 66,      /**< trainest_search_request::max_devices @since 0.3.0 */
    TRAINEST_FIELD_MEMORY_POINTS = 67,    /**< The point array or count of a memory fit; see invalid_index. @since 0.3.0 */
    TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE = 68, /**< trainest_failure_request::mtbf_hours_per_device @since 0.4.0 */
    TRAINEST_FIELD_MTBF_HOURS_PER_NODE = 69, /**< trainest_failure_request::mtbf_hours_per_node @since 0.4.0 */
    TRAINEST_FIELD_FAILURE_DEVICES = 70,  /**< trainest_failure_request::devices @since 0.4.0 */
    TRAINEST_FIELD_FAILURE_DEVICES_PER_NODE = 71, /**< trainest_failure_request::devices_per_node @since 0.4.0 */
    TRAINEST_FIELD_CHECKPOINT_WRITE_S = 72, /**< trainest_failure_request::checkpoint_write_s @since 0.4.0 */
    TRAINEST_FIELD_RESTART_S = 73,        /**< trainest_failure_request::restart_s @since 0.4.0 */
    TRAINEST_FIELD_CHECKPOINT_INTERVAL_S = 74, /**< trainest_failure_request::checkpoint_interval_s @since 0.4.0 */
    TRAINEST_FIELD_INTERVAL_RULE = 75,    /**< trainest_failure_request::interval_rule @since 0.4.0 */
    TRAINEST_FIELD_WORK_S = 76,           /**< trainest_failure_request::work_s @since 0.4.0 */
    TRAINEST_FIELD_RAMPUP_START = 77,     /**< trainest_rampup_request::start_global_batch @since 0.4.0 */
    TRAINEST_FIELD_RAMPUP_INCREMENT = 78, /**< trainest_rampup_request::increment @since 0.4.0 */
    TRAINEST_FIELD_RAMPUP_SAMPLES = 79,   /**< trainest_rampup_request::ramp_samples @since 0.4.0 */
    TRAINEST_FIELD_NOISE_SCALE = 80,      /**< trainest_critical_request::noise_scale @since 0.4.0 */
    TRAINEST_FIELD_MIN_STEPS = 81,        /**< trainest_critical_request::min_steps @since 0.4.0 */
    TRAINEST_FIELD_MIN_SAMPLES = 82,      /**< trainest_critical_request::min_samples @since 0.4.0 */
    TRAINEST_FIELD_MAX_GLOBAL_BATCH = 83, /**< trainest_critical_request::max_global_batch @since 0.4.0 */
    TRAINEST_FIELD_TOTAL_STEPS = 84,      /**< trainest_eta_config::total_steps @since 0.4.0 */
    TRAINEST_FIELD_OUTLIER_RATIO = 85,    /**< trainest_eta_config::outlier_ratio @since 0.4.0 */
    TRAINEST_FIELD_PRIOR_STEP_S = 86,     /**< trainest_eta_config::prior_step_s @since 0.4.0 */
    TRAINEST_FIELD_OVERHEAD_S_PER_EPOCH = 87, /**< trainest_eta_config::overhead_s_per_epoch @since 0.4.0 */
    TRAINEST_FIELD_JOB_MTBF_S = 88,       /**< trainest_eta_config::job_mtbf_s @since 0.4.0 */
    TRAINEST_FIELD_STEP_S = 89,           /**< The step_s argument of trainest_eta_update() @since 0.4.0 */
    TRAINEST_FIELD_NOW_UNIX_S = 90,       /**< The now_unix_s argument of trainest_eta_report() @since 0.4.0 */
    TRAINEST_FIELD_ETA_STATE = 91,        /**< The tracker state: not initialised, or its size @since 0.4.0 */
    TRAINEST_FIELD_TENSOR_PARALLEL = 92,  /**< trainest_plan_request::tensor_parallel @since 0.5.0 */
    TRAINEST_FIELD_PIPELINE_PARALLEL = 93, /**< trainest_plan_request::pipeline_parallel @since 0.5.0 */
    TRAINEST_FIELD_VIRTUAL_STAGES = 94,   /**< trainest_plan_request::virtual_stages @since 0.5.0 */
    TRAINEST_FIELD_DEVICES = 95,          /**< trainest_plan_request::devices @since 0.5.0 */
    TRAINEST_FIELD_LAYERS = 96,           /**< trainest_plan_request::layers @since 0.5.0 */
    TRAINEST_FIELD_HIDDEN = 97,           /**< trainest_plan_request::hidden @since 0.5.0 */
    TRAINEST_FIELD_ATTENTION_HEADS = 98,  /**< trainest_plan_request::attention_heads @since 0.5.0 */
    TRAINEST_FIELD_VOCAB = 99,            /**< trainest_plan_request::vocab @since 0.5.0 */
    TRAINEST_FIELD_ACTIVATION_BYTES_PER_ELEMENT = 100, /**< trainest_estimate_request::activation_bytes_per_element @since 0.5.0 */
    TRAINEST_FIELD_TP_BYTES_PER_S = 101,  /**< trainest_estimate_request::tp_bytes_per_s @since 0.5.0 */
    TRAINEST_FIELD_P2P_BYTES_PER_S = 102, /**< trainest_estimate_request::p2p_bytes_per_s @since 0.5.0 */
    TRAINEST_FIELD_MEMORY_RECOMPUTE = 103, /**< trainest_memory_request::recompute @since 0.5.0 */
    TRAINEST_FIELD_MAX_TENSOR_PARALLEL = 104, /**< trainest_search_request::max_tensor_parallel @since 0.5.0 */
    TRAINEST_FIELD_MAX_PIPELINE_PARALLEL = 105, /**< trainest_search_request::max_pipeline_parallel @since 0.5.0 */
    TRAINEST_FIELD_SEARCH_DEVICES_PER_NODE = 106, /**< trainest_search_request::devices_per_node @since 0.5.0 */
    TRAINEST_FIELD_ETA_TOTAL_SAMPLES = 107, /**< The total_samples argument of trainest_eta_set_samples() @since 0.6.0 */
    TRAINEST_FIELD_ETA_SAMPLES_DONE = 108,  /**< The samples_done argument of trainest_eta_set_samples() @since 0.6.0 */
    TRAINEST_FIELD_COMM_ACTIVATION_BYTES_PER_SAMPLE = 109, /**< trainest_estimate_request::comm_activation_bytes_per_sample @since 0.6.0 */
    TRAINEST_FIELD_DATA_WORKER_STARTUP_S = 110, /**< trainest_estimate_request::data_worker_startup_s @since 0.7.0 */
    TRAINEST_FIELD_DATA_PERSISTENT_WORKERS = 111, /**< trainest_estimate_request::data_persistent_workers @since 0.7.0 */
    TRAINEST_FIELD_LOADER_WORKERS = 112,  /**< trainest_loader_observation::workers @since 0.7.0 */
    TRAINEST_FIELD_LOADER_BATCH_SIZE = 113, /**< trainest_loader_observation::batch_size @since 0.7.0 */
    TRAINEST_FIELD_LOADER_SAMPLES = 114,  /**< trainest_loader_observation::samples @since 0.7.0 */
    TRAINEST_FIELD_LOADER_SECONDS = 115   /**< trainest_loader_observation::seconds @since 0.7.0 */
} trainest_field;

/**
 * @brief Which framework's rules a plan follows.
 *
 * Each preset reproduces what that framework computes; docs/presets.md lists
 * the rules, the versions they match and which request fields each honours.
 * A preset fixes some rounding layers: the corresponding request fields must
 * then stay DEFAULT (0), or the call fails with ::TRAINEST_E_PRESET_CONFLICT.
 */
typedef enum trainest_preset {
    TRAINEST_PRESET_PLAIN = 0,      /**< Plain PyTorch: every policy is the caller's choice. */
    TRAINEST_PRESET_DEEPSPEED = 1,  /**< DeepSpeed config resolution, sampler pad, accumulation across epochs. */
    TRAINEST_PRESET_MEGATRON = 2,   /**< Megatron-Core constant calculator; iterations = samples // global batch. */
    TRAINEST_PRESET_HF = 3,         /**< Hugging Face Trainer: updates per epoch = max(ceil(L / a), 1). */
    TRAINEST_PRESET_HF_LEGACY = 4,  /**< Older Hugging Face Trainer: updates per epoch = max(L // a, 1). */
    TRAINEST_PRESET_LIGHTNING = 5   /**< Lightning: ceil(batches / accumulate) * epochs; the partial window steps. */
} trainest_preset;

/** @brief What to do when the global batch does not split evenly. */
typedef enum trainest_divisibility {
    TRAINEST_DIVISIBILITY_ERROR = 0,      /**< Fail with ::TRAINEST_E_NOT_DIVISIBLE (default). */
    TRAINEST_DIVISIBILITY_ROUND_DOWN = 1, /**< Shrink the global batch to the nearest multiple below (Megatron's decrease_batch_size_if_needed). */
    TRAINEST_DIVISIBILITY_ROUND_UP = 2    /**< Grow the global batch to the nearest multiple above. */
} trainest_divisibility;

/** @brief Layer 1 of the epoch chain: how the dataset is sharded over the replicas. */
typedef enum trainest_sampler {
    TRAINEST_SAMPLER_DEFAULT = 0,     /**< The preset's choice (PAD for PLAIN). */
    TRAINEST_SAMPLER_PAD = 1,         /**< Every rank gets ceil(N / R) samples; the shortfall repeats the first samples (DistributedSampler, drop_last=False). */
    TRAINEST_SAMPLER_DROP = 2,        /**< Every rank gets floor(N / R) samples; the rest is dropped (DistributedSampler, drop_last=True). */
    TRAINEST_SAMPLER_BATCH_SHARD = 3 /**< Micro-batches are formed first and dealt round-robin to the ranks (accelerate's BatchSamplerShard, even_batches=True): with KEEP the short last batch and the last round are filled from the first samples, so every micro-batch is full; with DROP they are dropped. */
} trainest_sampler;

/** @brief Layer 2 of the epoch chain: the per-rank loader's partial last micro-batch. */
typedef enum trainest_last_micro_batch {
    TRAINEST_LAST_MICRO_BATCH_DEFAULT = 0, /**< The preset's choice (KEEP for PLAIN). */
    TRAINEST_LAST_MICRO_BATCH_KEEP = 1,    /**< Train on the smaller last micro-batch (DataLoader drop_last=False). */
    TRAINEST_LAST_MICRO_BATCH_DROP = 2     /**< Skip it (DataLoader drop_last=True). */
} trainest_last_micro_batch;

/** @brief Layer 3 of the epoch chain: an epoch's micro-batches that do not fill a whole accumulation window. */
typedef enum trainest_accum_tail {
    TRAINEST_ACCUM_TAIL_DEFAULT = 0, /**< The preset's choice (STEP for PLAIN). */
    TRAINEST_ACCUM_TAIL_STEP = 1,    /**< Take an optimizer step with the partial window. */
    TRAINEST_ACCUM_TAIL_DROP = 2,    /**< Skip the partial window's micro-batches. */
    TRAINEST_ACCUM_TAIL_CARRY = 3    /**< Windows run on across epoch boundaries; only the run's final partial window is lost (DeepSpeed). */
} trainest_accum_tail;

/**
 * @brief Struct identifiers for trainest_struct_size().
 */
typedef enum trainest_struct_id {
    TRAINEST_STRUCT_PLAN_REQUEST = 1,   /**< ::trainest_plan_request */
    TRAINEST_STRUCT_PLAN = 2,           /**< ::trainest_plan */
    TRAINEST_STRUCT_PLAN_SUGGESTION = 3, /**< ::trainest_plan_suggestion */
    TRAINEST_STRUCT_ESTIMATE_REQUEST = 4, /**< ::trainest_estimate_request @since 0.2.0 */
    TRAINEST_STRUCT_ESTIMATE = 5,        /**< ::trainest_estimate @since 0.2.0 */
    TRAINEST_STRUCT_STEP_OBSERVATION = 6, /**< ::trainest_step_observation @since 0.2.0 */
    TRAINEST_STRUCT_CALIBRATION_REQUEST = 7, /**< ::trainest_calibration_request @since 0.2.0 */
    TRAINEST_STRUCT_STEP_FIT = 8,        /**< ::trainest_step_fit @since 0.2.0 */
    TRAINEST_STRUCT_TRADEOFF = 9,        /**< ::trainest_tradeoff @since 0.2.0 */
    TRAINEST_STRUCT_TRADEOFF_POINT = 10, /**< ::trainest_tradeoff_point @since 0.2.0 */
    TRAINEST_STRUCT_MEMORY_REQUEST = 11, /**< ::trainest_memory_request @since 0.3.0 */
    TRAINEST_STRUCT_MEMORY = 12,         /**< ::trainest_memory @since 0.3.0 */
    TRAINEST_STRUCT_MEMORY_POINT = 13,   /**< ::trainest_memory_point @since 0.3.0 */
    TRAINEST_STRUCT_MEMORY_FIT = 14,     /**< ::trainest_memory_fit @since 0.3.0 */
    TRAINEST_STRUCT_SEARCH_REQUEST = 15, /**< ::trainest_search_request @since 0.3.0 */
    TRAINEST_STRUCT_SEARCH = 16,         /**< ::trainest_search @since 0.3.0 */
    TRAINEST_STRUCT_SEARCH_RESULT = 17,  /**< ::trainest_search_result @since 0.3.0 */
    TRAINEST_STRUCT_FAILURE_REQUEST = 18, /**< ::trainest_failure_request @since 0.4.0 */
    TRAINEST_STRUCT_FAILURE = 19,        /**< ::trainest_failure @since 0.4.0 */
    TRAINEST_STRUCT_RAMPUP_REQUEST = 20, /**< ::trainest_rampup_request @since 0.4.0 */
    TRAINEST_STRUCT_RAMPUP = 21,         /**< ::trainest_rampup @since 0.4.0 */
    TRAINEST_STRUCT_CRITICAL_REQUEST = 22, /**< ::trainest_critical_request @since 0.4.0 */
    TRAINEST_STRUCT_CRITICAL = 23,       /**< ::trainest_critical @since 0.4.0 */
    TRAINEST_STRUCT_ETA_CONFIG = 24,     /**< ::trainest_eta_config @since 0.4.0 */
    TRAINEST_STRUCT_ETA = 25,            /**< ::trainest_eta @since 0.4.0 */
    TRAINEST_STRUCT_ETA_REPORT = 26,     /**< ::trainest_eta_report @since 0.4.0 */
    TRAINEST_STRUCT_LAYOUT_SUGGESTION = 27, /**< ::trainest_layout_suggestion @since 0.5.0 */
    TRAINEST_STRUCT_LOADER_OBSERVATION = 28, /**< ::trainest_loader_observation @since 0.7.0 */
    TRAINEST_STRUCT_LOADER_FIT = 29      /**< ::trainest_loader_fit @since 0.7.0 */
} trainest_struct_id;

/**
 * @brief What to plan: a dataset, a batch request and the rounding policies.
 *
 * Initialise with trainest_plan_request_init(), then set what you know.
 * Of global_batch, micro_batch and grad_accum_steps give any two (the third
 * is derived), all three (they must agree), or only global_batch with
 * max_micro_batch (the largest micro-batch that divides the per-replica
 * batch is chosen). The resolution rules are in docs/concepts.md.
 * @since 0.1.0
 */
typedef struct trainest_plan_request {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it, in bytes. Set by trainest_plan_request_init(). */
    uint32_t preset;           /**< A ::trainest_preset. Default ::TRAINEST_PRESET_PLAIN. */
    uint64_t samples;          /**< Samples in the dataset per epoch (N). Required, > 0. */
    uint64_t global_batch;     /**< Samples per optimizer step over all replicas (G). 0 = derive. */
    uint64_t micro_batch;      /**< Samples per replica per forward/backward (m). 0 = derive. */
    uint64_t grad_accum_steps; /**< Micro-batches accumulated per optimizer step (a). 0 = derive. */
    uint64_t data_parallel;    /**< Data-parallel replicas (R). Default 1, > 0. */
    uint64_t max_micro_batch;  /**< Largest micro-batch that fits in memory. 0 = no limit. */
    uint64_t epochs;           /**< Passes over the dataset. Default 1, > 0. */
    uint64_t seq_len_tokens;   /**< Tokens per sample, for token counts. 0 = unknown. */
    uint32_t divisibility;     /**< A ::trainest_divisibility. Default ::TRAINEST_DIVISIBILITY_ERROR. */
    uint32_t sampler;          /**< A ::trainest_sampler. Default ::TRAINEST_SAMPLER_DEFAULT. */
    uint32_t last_micro_batch; /**< A ::trainest_last_micro_batch. Default ::TRAINEST_LAST_MICRO_BATCH_DEFAULT. */
    uint32_t accum_tail;       /**< A ::trainest_accum_tail. Default ::TRAINEST_ACCUM_TAIL_DEFAULT. */
    uint64_t tensor_parallel;  /**< TP: devices that split every layer. 0 = 1. @since 0.5.0 */
    uint64_t pipeline_parallel; /**< PP: pipeline stages, each holding layers / PP layers. 0 = 1. @since 0.5.0 */
    uint64_t virtual_stages;   /**< Model chunks per device for the interleaved 1F1B schedule (Megatron's virtual pipeline); 0 or 1 = plain 1F1B. @since 0.5.0 */
    uint64_t devices;          /**< All devices, data_parallel * TP * PP. 0 = data_parallel * TP * PP. When set, data_parallel is derived: leave it at 1 or give the same value. @since 0.5.0 */
    uint64_t layers;           /**< Transformer layers, for parallel communication, FLOPs and activation memory. 0 = unknown. @since 0.5.0 */
    uint64_t hidden;           /**< Hidden size. 0 = unknown. @since 0.5.0 */
    uint64_t attention_heads;  /**< Attention heads, for activation memory. 0 = unknown. @since 0.5.0 */
    uint64_t vocab;            /**< Vocabulary size, for Megatron's FLOPs formula. 0 = unknown. @since 0.5.0 */
} trainest_plan_request;

/**
 * @brief A resolved batch plan and its exact step counts.
 *
 * Per-epoch members describe the first epoch taken on its own. Under
 * ::TRAINEST_ACCUM_TAIL_CARRY and the Megatron preset, optimizer steps may
 * straddle epoch boundaries, so the totals can exceed epochs times the
 * per-epoch figures; the totals are always exact for the whole run.
 * Invariant: samples_per_epoch == samples - samples_dropped_per_epoch + samples_padded_per_epoch.
 * @since 0.1.0
 */
typedef struct trainest_plan {
    uint32_t struct_size;               /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;             /**< On failure, the ::trainest_field to blame; ::TRAINEST_FIELD_NONE on success. */
    uint32_t preset;                    /**< The ::trainest_preset used. */
    uint32_t divisibility;              /**< The ::trainest_divisibility used. */
    uint32_t sampler;                   /**< The effective ::trainest_sampler (never DEFAULT). */
    uint32_t last_micro_batch;          /**< The effective ::trainest_last_micro_batch (never DEFAULT). */
    uint32_t accum_tail;                /**< The effective ::trainest_accum_tail (never DEFAULT). */
    uint32_t reserved0;                 /**< Padding; always 0. */
    uint64_t requested_global_batch;    /**< The request's global_batch (0 if it was to be derived). */
    uint64_t global_batch;              /**< Samples per full optimizer step, G = m * a * R. */
    uint64_t micro_batch;               /**< Samples per replica per micro-step, m. */
    uint64_t grad_accum_steps;          /**< Micro-batches per full optimizer step, a. */
    uint64_t data_parallel;             /**< Data-parallel replicas, R. */
    uint64_t samples;                   /**< Samples in the dataset, N. */
    uint64_t epochs;                    /**< Epochs, E. */
    uint64_t seq_len_tokens;            /**< Tokens per sample (0 = unknown). */
    uint64_t samples_per_rank;          /**< Samples each replica's loader sees per epoch, after the sampler. */
    uint64_t micro_steps_per_epoch;     /**< Forward/backward passes each replica runs per epoch. */
    uint64_t optimizer_steps_per_epoch; /**< Optimizer steps in the first epoch. */
    uint64_t samples_per_epoch;         /**< Sample passes run per epoch over all replicas, padding duplicates included. */
    uint64_t samples_dropped_per_epoch; /**< Dataset samples not run in an epoch (sampler, loader and tail drops). */
    uint64_t samples_padded_per_epoch;  /**< Duplicate samples the sampler adds per epoch. */
    uint64_t last_step_samples;         /**< Samples over all replicas in the first epoch's last optimizer step (0 if that epoch takes none). */
    uint64_t last_step_micro_batches;   /**< Micro-batches per replica in that step. */
    uint64_t last_micro_batch_samples;  /**< Samples in the last micro-batch a replica runs in an epoch (m unless the loader keeps a partial one). */
    uint64_t total_optimizer_steps;     /**< Optimizer steps over all epochs, exact. */
    uint64_t total_micro_steps;         /**< Forward/backward passes per replica over all epochs. */
    uint64_t total_samples;             /**< Sample passes over all epochs and replicas. */
    uint64_t tokens_per_step;           /**< global_batch * seq_len_tokens (0 if seq_len_tokens is 0). */
    uint64_t total_tokens;              /**< total_samples * seq_len_tokens (0 if seq_len_tokens is 0). */
    uint64_t tensor_parallel;           /**< TP used (>= 1). @since 0.5.0 */
    uint64_t pipeline_parallel;         /**< PP used (>= 1). @since 0.5.0 */
    uint64_t virtual_stages;            /**< Model chunks per device (>= 1; 1 = plain 1F1B). @since 0.5.0 */
    uint64_t devices;                   /**< data_parallel * TP * PP. @since 0.5.0 */
    uint64_t micro_batches_per_step;    /**< Micro-batches each pipeline runs per optimizer step: G / (m * data_parallel), Megatron's num_micro_batches (= grad_accum_steps). @since 0.5.0 */
} trainest_plan;

/** @name Suggestion change flags
 * Bits of trainest_plan_suggestion::changed.
 * @{ */
/** The suggestion changes the global batch. */
#define TRAINEST_CHANGED_GLOBAL_BATCH 0x1u
/** The suggestion changes the micro-batch. */
#define TRAINEST_CHANGED_MICRO_BATCH 0x2u
/** The suggestion changes the accumulation steps. */
#define TRAINEST_CHANGED_GRAD_ACCUM_STEPS 0x4u
/** @} */

/**
 * @brief A valid plan near a request, as returned by trainest_plan_suggest().
 * @since 0.1.0
 */
typedef struct trainest_plan_suggestion {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t changed;          /**< TRAINEST_CHANGED_* bits: what differs from the request. */
    double distance_ratio;     /**< Sum over the requested values v of |v' - v| / v; lower is nearer. */
    uint64_t global_batch;     /**< G of the suggested plan. */
    uint64_t micro_batch;      /**< m of the suggested plan. */
    uint64_t grad_accum_steps; /**< a of the suggested plan. */
    uint64_t data_parallel;    /**< R of the suggested plan (always the request's). */
} trainest_plan_suggestion;

/**
 * @brief The library's version number.
 * @return 10000 * major + 100 * minor + patch of the loaded library.
 * @since 0.1.0
 */
TRAINEST_API uint32_t trainest_version(void);

/**
 * @brief The library's version as a string.
 * @return A static string, "major.minor.patch". Never NULL.
 * @since 0.1.0
 */
TRAINEST_API const char *trainest_version_string(void);

/**
 * @brief A sentence describing a status.
 * @param[in] status A ::trainest_status value (any int is accepted).
 * @return Static English text; never NULL ("unknown status" for unknown values).
 * @since 0.1.0
 */
TRAINEST_API const char *trainest_strerror(int status);

/**
 * @brief The name of a status constant, e.g. "TRAINEST_E_NOT_DIVISIBLE".
 * @param[in] status A ::trainest_status value (any int is accepted).
 * @return A static string; never NULL ("TRAINEST_E_UNKNOWN_STATUS" for unknown values).
 * @since 0.1.0
 */
TRAINEST_API const char *trainest_status_name(int status);

/**
 * @brief The name of a ::trainest_field, e.g. "global_batch".
 * @param[in] field A ::trainest_field value (any value is accepted).
 * @return A static string; never NULL ("unknown" for unknown values).
 * @since 0.1.0
 */
TRAINEST_API const char *trainest_field_name(uint32_t field);

/**
 * @brief The size in bytes of a public struct in this library build.
 *
 * Lets bindings check their mirrors against the library they load.
 * @param[in] id A ::trainest_struct_id.
 * @return The size, or 0 for an unknown id.
 * @since 0.1.0
 */
TRAINEST_API uint32_t trainest_struct_size(uint32_t id);

/**
 * @brief Set a plan request to its defaults.
 *
 * Writes min(struct_size, sizeof(trainest_plan_request)) bytes of defaults,
 * zeroes the rest of the caller's struct_size bytes, and stores struct_size.
 * Defaults: preset PLAIN, data_parallel 1, epochs 1, everything else 0.
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_plan_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.1.0
 */
TRAINEST_API int trainest_plan_request_init(trainest_plan_request *out, uint32_t struct_size);

/**
 * @brief Resolve a batch request and count its steps exactly.
 *
 * @pre out->struct_size is set by the caller.
 * @param[out] out The plan. On failure it is zeroed except struct_size and
 *             invalid_field (unless the failure is in out itself).
 * @param[in] request The request.
 * @return ::TRAINEST_OK on success; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED, ::TRAINEST_E_ZERO, ::TRAINEST_E_OVERFLOW,
 *         ::TRAINEST_E_NOT_DIVISIBLE, ::TRAINEST_E_INCONSISTENT,
 *         ::TRAINEST_E_UNKNOWN_ENUM, ::TRAINEST_E_UNDERSPECIFIED,
 *         ::TRAINEST_E_EXCEEDS_CAP, ::TRAINEST_E_NO_STEPS,
 *         ::TRAINEST_E_PRESET_CONFLICT or (since 0.5.0, with tensor or
 *         pipeline parallelism) ::TRAINEST_E_BAD_LAYOUT otherwise.
 * @since 0.1.0
 */
TRAINEST_API int trainest_plan_compute(trainest_plan *out, const trainest_plan_request *request);

/**
 * @brief List the valid plans nearest to a request.
 *
 * Considers changing the global batch up or down, the micro-batch, or the
 * accumulation steps (the replica count is kept). Every suggestion is a
 * request that trainest_plan_compute() accepts with the request's other
 * fields and exact divisibility. Sorted by distance_ratio, then global
 * batch, micro-batch and accumulation steps, ascending. Works for valid
 * and invalid requests alike: use it to offer repairs.
 *
 * The array's stride is out[0].struct_size, which the caller sets; the
 * library sets struct_size in every element it writes.
 * @param[out] out Array of at least capacity suggestions (may be NULL if capacity is 0).
 * @param[in] capacity Number of elements in out.
 * @param[out] out_count Number of suggestions written, at most capacity.
 * @param[in] request The request to repair.
 * @return ::TRAINEST_OK (also when no suggestion exists: *out_count is 0);
 *         ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE, ::TRAINEST_E_UNSUPPORTED,
 *         ::TRAINEST_E_ZERO, ::TRAINEST_E_UNKNOWN_ENUM,
 *         ::TRAINEST_E_PRESET_CONFLICT, ::TRAINEST_E_OVERFLOW (a layout
 *         whose device count overflows), ::TRAINEST_E_INCONSISTENT (devices
 *         with another data_parallel) or ::TRAINEST_E_BAD_LAYOUT (repair
 *         the layout first: trainest_layout_suggest()) for requests too
 *         broken to repair.
 * @since 0.1.0
 */
TRAINEST_API int trainest_plan_suggest(trainest_plan_suggestion *out, uint32_t capacity,
                                       uint32_t *out_count, const trainest_plan_request *request);


/* ======================================================================== */
/** @name Time estimation (since 0.2.0)
 * The step-time model, its calibration and the run-time estimate; see
 * docs/time-model.md for the formulas and their sources.
 * @{ */

/** @brief Where an estimate takes its per-sample compute time from. @since 0.2.0 */
typedef enum trainest_step_source {
    TRAINEST_STEP_SOURCE_GIVEN = 0,   /**< floor_s, fixed_s, per_sample_s, launch_lag_s and optimizer_s as given (for example from trainest_step_calibrate()). */
    TRAINEST_STEP_SOURCE_ANALYTIC = 1 /**< per_sample_s = FLOPs per sample / (peak_flops_per_s * efficiency); the other step fields still apply. */
} trainest_step_source;

/** @brief How the input pipeline meets the compute. @since 0.2.0 */
typedef enum trainest_data_mode {
    TRAINEST_DATA_MODE_OVERLAP = 0, /**< Prefetching workers: a step takes max(compute, data) (default). */
    TRAINEST_DATA_MODE_SERIAL = 1,  /**< No workers: a step takes compute + data. */
    /** data_workers loader workers per replica, each building whole
     * micro-batches, started one after another: micro-batch k of an epoch
     * is ready (k mod W + 1) * data_worker_startup_s + (floor(k / W) + 1) *
     * m / (samples/s per worker) after the epoch starts, and the device
     * takes them in order. Models PyTorch's DataLoader(num_workers=W),
     * whose worker start-up makes many workers slow on short epochs
     * (docs/time-model.md). @since 0.7.0 */
    TRAINEST_DATA_MODE_WORKERS = 2
} trainest_data_mode;

/** @brief Activation recomputation, for FLOPs per sample. @since 0.2.0 */
typedef enum trainest_recompute {
    TRAINEST_RECOMPUTE_NONE = 0, /**< 6 * params * tokens per sample (forward 2, backward 4). */
    TRAINEST_RECOMPUTE_FULL = 1, /**< 8 * params * tokens per sample: the forward pass runs twice. */
    TRAINEST_RECOMPUTE_SELECTIVE = 2 /**< Only the attention core is recomputed (Korthikanti et al. 2022): its FLOPs once more. @since 0.5.0 */
} trainest_recompute;

/**
 * @brief How long the steps of a plan take, and what else the run pays for.
 *
 * All times in seconds, rates per second, counts exact. Zero means "absent"
 * for every optional part: no data limit, no transfer, no communication, no
 * overheads. Initialise with trainest_estimate_request_init().
 *
 * The step-time model (docs/time-model.md): a micro-batch of s samples needs
 * floor_s of host time to launch and fixed_s + per_sample_s * s of device
 * time; an optimizer step of k micro-batches takes
 * max(k * floor_s, launch_lag_s + sum of device times) + optimizer_s.
 * @since 0.2.0
 */
typedef struct trainest_estimate_request {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t step_source;          /**< A ::trainest_step_source. Default GIVEN. */
    double floor_s;                /**< Launch-bound floor per micro-batch, s. Default 0. */
    double fixed_s;                /**< Device time per micro-batch independent of its size, s. Default 0. */
    double per_sample_s;           /**< Device time per sample, s. Default 0; must be 0 with ANALYTIC. */
    double launch_lag_s;           /**< Per optimizer step, paid when the device is the bottleneck: the host's head start, s. Default 0. */
    double optimizer_s;            /**< Per optimizer step: optimizer, zero_grad, synchronisation, s. Default 0. */
    uint64_t params;               /**< Model parameters, for FLOPs per sample. 0 = unknown. */
    uint64_t tokens_per_sample;    /**< Tokens per sample for FLOPs; 0 = the plan's seq_len_tokens. */
    double flops_per_sample;       /**< Training FLOPs per sample; 0 = derive from params and tokens. */
    double peak_flops_per_s;       /**< Peak FLOP/s of one device. 0 = unknown (no MFU). */
    double efficiency_ratio;       /**< Achieved / peak FLOP/s in (0, 1] for ANALYTIC; 0 = fit from the observation. */
    double observed_step_s;        /**< One measured optimizer step, to fit efficiency_ratio; 0 = none. */
    uint64_t observed_micro_batch; /**< Micro-batch of that observation; 0 = the plan's. */
    uint64_t observed_grad_accum_steps; /**< Accumulation steps of that observation; 0 = the plan's. */
    uint32_t recompute;            /**< A ::trainest_recompute. Default NONE. */
    uint32_t data_mode;            /**< A ::trainest_data_mode. Default OVERLAP. */
    double data_samples_per_s;     /**< Samples/s one replica's input pipeline delivers (with WORKERS: all its workers together); 0 = unlimited. */
    double data_samples_per_s_per_worker; /**< Or: samples/s of one loader worker (0 = unset) ... */
    uint64_t data_workers;         /**< ... times this many workers (0 counts as 1: the main process; WORKERS needs at least 1). */
    uint64_t h2d_bytes_per_sample; /**< Bytes copied host to device per sample; 0 = no copy. */
    double h2d_bytes_per_s;        /**< Host-to-device bandwidth, bytes/s; required when h2d_bytes_per_sample > 0. */
    uint64_t grad_bytes;           /**< Gradient bytes all-reduced per optimizer step (params * bytes per element); 0 = none. */
    double bus_bytes_per_s;        /**< All-reduce bus bandwidth within a node, bytes/s. */
    double latency_s;              /**< Per-hop latency of the ring, s. Default 0. */
    uint64_t devices_per_node;     /**< Devices per node (without model parallelism, replicas per node): the all-reduce spans nodes when the plan's devices exceed it, and since 0.5.0 a TP x PP group wider than a node uses inter_node_bytes_per_s. 0 = one node. */
    double inter_node_bytes_per_s; /**< All-reduce bandwidth across nodes, bytes/s; required when replicas span nodes. */
    double comm_overlap_ratio;     /**< Fraction in [0, 1] of the all-reduce hidden behind the backward pass. Default 0. */
    double eval_s_per_epoch;       /**< Evaluation time per epoch, s. */
    double checkpoint_s;           /**< Time to write one checkpoint, s. */
    uint64_t checkpoints_per_epoch; /**< Checkpoints written per epoch. */
    double startup_s;              /**< One-time start-up (process launch, model build, compilation), s. */
    uint64_t activation_bytes_per_element; /**< Bytes per activation element sent by tensor- and pipeline-parallel communication. 0 = 2 (bf16). @since 0.5.0 */
    double tp_bytes_per_s;         /**< Tensor-parallel all-reduce bandwidth (within a node). 0 = bus_bytes_per_s. @since 0.5.0 */
    double p2p_bytes_per_s;        /**< Bandwidth between pipeline stages. 0 = bus_bytes_per_s, or inter_node_bytes_per_s when a stage's devices fill a node. @since 0.5.0 */
    uint64_t comm_activation_bytes_per_sample; /**< Bytes of one layer's activations of one sample, as tensor- and pipeline-parallel communication moves them (seq_len x hidden x bytes per element); 0 = from the plan's seq_len_tokens and hidden and activation_bytes_per_element. Given, the model shape's hidden and sequence length are not needed (tensor parallelism still needs the layers, to count its all-reduces). @since 0.6.0 */
    double data_worker_startup_s;  /**< WORKERS only: seconds from one loader worker's start to the next's (and to the first's), paid at every epoch unless data_persistent_workers; fit it with trainest_loader_calibrate(). Default 0; must be 0 in the other modes. @since 0.7.0 */
    uint32_t data_persistent_workers; /**< WORKERS only: 1 = the workers start once per run (PyTorch's persistent_workers=True), so every later epoch begins with all of them ready; 0 = they start again at every epoch (default). Must be 0 in the other modes. @since 0.7.0 */
    uint32_t reserved1;            /**< Padding; must be 0. @since 0.7.0 */
} trainest_estimate_request;

/**
 * @brief The predicted time of a run and where it goes.
 *
 * compute_s + optimizer_s + transfer_s + data_stall_s + comm_s + overhead_s
 * + bubble_s + tp_comm_s + p2p_s == total_s (up to rounding of the last
 * bit; the last three since 0.5.0, and 0 without model parallelism). Every
 * value is finite.
 * @since 0.2.0
 */
typedef struct trainest_estimate {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;        /**< On failure, the ::trainest_field to blame (plan or estimate request). */
    double micro_batch_s;          /**< One full micro-batch on its own: max(floor_s, fixed_s + per_sample_s * m), s. */
    double step_s;                 /**< One full optimizer step (a micro-batches of m), everything included, s. */
    double step_compute_s;         /**< Its compute part, launch lag included, optimizer excluded, s. */
    double step_transfer_s;        /**< Its host-to-device copy, s. */
    double step_comm_s;            /**< Its exposed all-reduce, s. */
    double step_data_stall_s;      /**< Its wait for input data, s. */
    double epoch_s;                /**< An average epoch with its evaluation and checkpoints: (total_s - startup) / epochs, s. */
    double total_s;                /**< The whole run, s. */
    double compute_s;              /**< Breakdown: forward/backward compute (launch lag included), s. */
    double optimizer_s;            /**< Breakdown: optimizer steps, s. */
    double transfer_s;             /**< Breakdown: host-to-device copies, s. */
    double data_stall_s;           /**< Breakdown: waiting for input data, s. */
    double comm_s;                 /**< Breakdown: exposed gradient all-reduce, s. */
    double overhead_s;             /**< Breakdown: evaluation, checkpoints and start-up, s. */
    double samples_per_s;          /**< Sample passes (over all replicas) per second of total_s. */
    double tokens_per_s;           /**< samples_per_s * tokens per sample (0 if unknown). */
    double per_sample_s;           /**< The per-sample device time used (given, or from FLOPs), s. */
    double flops_per_sample;       /**< Training FLOPs per sample used (0 if unknown). */
    double total_flops;            /**< Model FLOPs of the run over all replicas (0 if unknown). */
    double achieved_flops_per_s;   /**< total_flops / total_s over all replicas (0 if unknown). */
    double efficiency_ratio;       /**< The efficiency used by ANALYTIC (given or fitted); 0 for GIVEN. */
    double mfu_ratio;              /**< achieved_flops_per_s / (peak_flops_per_s * devices); 0 if FLOPs or peak unknown. */
    double bubble_ratio;           /**< Pipeline bubble: (PP - 1) / (virtual_stages * micro_batches_per_step). @since 0.5.0 */
    double stage_s;                /**< One pipeline stage running one full micro-batch: compute / (TP * PP) + its tensor-parallel and point-to-point communication, s. @since 0.5.0 */
    double bubble_s;               /**< Breakdown: pipeline fill and drain, s. @since 0.5.0 */
    double tp_comm_s;              /**< Breakdown: tensor-parallel all-reduces, s. @since 0.5.0 */
    double p2p_s;                  /**< Breakdown: activations sent between pipeline stages, s. @since 0.5.0 */
} trainest_estimate;

/**
 * @brief One measured optimizer step, for trainest_step_calibrate().
 * @since 0.2.0
 */
typedef struct trainest_step_observation {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it; the array's stride is element 0's. */
    uint32_t reserved0;        /**< Padding; must be 0. */
    uint64_t micro_batch;      /**< Samples per micro-batch, > 0. */
    uint64_t grad_accum_steps; /**< Micro-batches in the step, > 0. */
    double step_s;             /**< Measured seconds for the whole optimizer step, finite and > 0. */
} trainest_step_observation;

/** @name Calibration flags
 * Bits of trainest_calibration_request::flags.
 * @{ */
/** optimizer_s is known: hold it fixed instead of fitting it. */
#define TRAINEST_CALIBRATE_OPTIMIZER_KNOWN 0x1u
/** @} */

/**
 * @brief Options of trainest_step_calibrate(); NULL means all defaults.
 * @since 0.2.0
 */
typedef struct trainest_calibration_request {
    uint32_t struct_size; /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t flags;       /**< TRAINEST_CALIBRATE_* bits. Default 0. */
    double optimizer_s;   /**< The known optimizer_s when TRAINEST_CALIBRATE_OPTIMIZER_KNOWN is set, s, >= 0. */
} trainest_calibration_request;

/** @name Fit flags
 * Bits of trainest_step_fit::flags.
 * @{ */
/** Some observations are launch-bound: floor_s was fitted. */
#define TRAINEST_FIT_FLOOR_FITTED 0x1u
/** launch_lag_s was fitted (otherwise it is 0: the data could not separate it from optimizer_s). */
#define TRAINEST_FIT_LAUNCH_LAG_FITTED 0x2u
/** @} */

/**
 * @brief Step-time parameters fitted by trainest_step_calibrate().
 *
 * Copy the five *_s members into a ::trainest_estimate_request.
 * @since 0.2.0
 */
typedef struct trainest_step_fit {
    uint32_t struct_size;        /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;      /**< On failure, the ::trainest_field to blame. */
    uint32_t invalid_index;      /**< On failure about one observation, its index; UINT32_MAX otherwise. */
    uint32_t flags;              /**< TRAINEST_FIT_* bits. */
    double floor_s;              /**< Fitted launch-bound floor per micro-batch, s (0 if no observation is launch-bound). */
    double fixed_s;              /**< Fitted size-independent device time per micro-batch, s. */
    double per_sample_s;         /**< Fitted device time per sample, s. */
    double launch_lag_s;         /**< Fitted per-step lag when device-bound, s. */
    double optimizer_s;          /**< Fitted (or the given) per-step optimizer time, s. */
    double max_residual_ratio;   /**< Largest |predicted - measured| / measured over the observations. */
    double mean_residual_ratio;  /**< Mean of the same. */
    uint64_t observations;       /**< Observations used. */
} trainest_step_fit;

/**
 * @brief One candidate of the accumulation trade-off.
 * @since 0.2.0
 */
typedef struct trainest_tradeoff_point {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it; the array's stride is element 0's. */
    uint32_t fits;             /**< 1 if micro_batch <= the request's max_micro_batch (or there is no cap), else 0. */
    uint64_t micro_batch;      /**< m: a divisor of global_batch / data_parallel. */
    uint64_t grad_accum_steps; /**< a = global_batch / (m * data_parallel). */
    double step_s;             /**< Predicted full optimizer step, s. */
    double total_s;            /**< Predicted whole run, s. */
} trainest_tradeoff_point;

/**
 * @brief The accumulation trade-off for a fixed global batch.
 * @since 0.2.0
 */
typedef struct trainest_tradeoff {
    uint32_t struct_size;              /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;            /**< On failure, the ::trainest_field to blame. */
    uint64_t candidates;               /**< Micro-batches that divide global_batch / data_parallel (all of them, also those not written). */
    uint64_t recommended_micro_batch;  /**< The largest candidate that fits: memory before accumulation. */
    uint64_t recommended_grad_accum_steps; /**< Its accumulation steps. */
    double recommended_total_s;        /**< Its predicted run time, s. */
    uint64_t fastest_micro_batch;      /**< The candidate that fits with the smallest predicted run time (ties: the larger micro-batch). */
    double fastest_total_s;            /**< Its predicted run time, s. */
} trainest_tradeoff;

/**
 * @brief Set an estimate request to its defaults (everything 0: GIVEN, OVERLAP, no recompute).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_estimate_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.2.0
 */
TRAINEST_API int trainest_estimate_request_init(trainest_estimate_request *out, uint32_t struct_size);

/**
 * @brief Predict the time of the run a plan request describes.
 *
 * Plans the request exactly as trainest_plan_compute() does, then times every
 * optimizer step, partial last steps at their own size.
 * @pre out->struct_size is set by the caller.
 * @param[out] out The estimate; on failure zeroed except struct_size and invalid_field.
 * @param[in] plan_request The batch plan to time.
 * @param[in] request The step-time model and the run's other costs.
 * @return ::TRAINEST_OK; any status of trainest_plan_compute(); or
 *         ::TRAINEST_E_NOT_FINITE, ::TRAINEST_E_OUT_OF_RANGE,
 *         ::TRAINEST_E_UNKNOWN_ENUM, ::TRAINEST_E_UNDERSPECIFIED,
 *         ::TRAINEST_E_INCONSISTENT for a bad estimate request;
 *         ::TRAINEST_E_UNIDENTIFIABLE when an efficiency is to be fitted
 *         from an observed step that the launch floor explains (the
 *         observation says nothing about the FLOP rate).
 * @since 0.2.0
 */
TRAINEST_API int trainest_estimate_run(trainest_estimate *out, const trainest_plan_request *plan_request,
                                       const trainest_estimate_request *request);

/**
 * @brief Fit the step-time model to measured optimizer steps.
 *
 * A robust fit: it minimises the sum of absolute relative errors (least
 * absolute deviations, by iteratively reweighted least squares), so a few
 * outliers do not drag the parameters. Deterministic. Uses no memory beyond
 * the stack.
 * @pre out->struct_size is set by the caller; observations[0].struct_size
 *      gives the array's stride.
 * @param[out] out The fitted parameters and residuals.
 * @param[in] observations Array of count observations.
 * @param[in] count Number of observations (at most 65536).
 * @param[in] request Options, or NULL for the defaults.
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED; ::TRAINEST_E_ZERO (a zero micro_batch or
 *         grad_accum_steps); ::TRAINEST_E_NOT_FINITE or ::TRAINEST_E_OUT_OF_RANGE
 *         (a bad step_s, or more than 65536 observations; invalid_index says
 *         which observation); ::TRAINEST_E_TOO_FEW_POINTS (fewer than 2 distinct
 *         (micro_batch, grad_accum_steps) pairs); ::TRAINEST_E_UNIDENTIFIABLE (for example every
 *         observation has the same grad_accum_steps and optimizer_s is not known);
 *         ::TRAINEST_E_UNKNOWN_ENUM (flags this library does not know).
 * @since 0.2.0
 */
TRAINEST_API int trainest_step_calibrate(trainest_step_fit *out, const trainest_step_observation *observations,
                                         uint32_t count, const trainest_calibration_request *request);

/**
 * @brief One input-pipeline measurement, for trainest_loader_calibrate().
 *
 * The wall time of reading one epoch from a loader alone, without training:
 * from creating the iterator (which starts the workers) to receiving the
 * last batch.
 * @since 0.7.0
 */
typedef struct trainest_loader_observation {
    uint32_t struct_size; /**< Size of this struct as the caller knows it; the array's stride is element 0's. */
    uint32_t reserved0;   /**< Padding; must be 0. */
    uint64_t workers;     /**< Loader worker processes, > 0. */
    uint64_t batch_size;  /**< Samples per batch, > 0. */
    uint64_t samples;     /**< Samples read, > 0: ceil(samples / batch_size) batches, the last one partial when it does not divide. */
    double seconds;       /**< Measured wall time, finite and > 0. */
} trainest_loader_observation;

/**
 * @brief Loader parameters fitted by trainest_loader_calibrate().
 *
 * Copy worker_startup_s to trainest_estimate_request::data_worker_startup_s
 * and samples_per_s_per_worker to
 * trainest_estimate_request::data_samples_per_s_per_worker, with data_mode
 * ::TRAINEST_DATA_MODE_WORKERS.
 * @since 0.7.0
 */
typedef struct trainest_loader_fit {
    uint32_t struct_size;            /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;          /**< On failure, the ::trainest_field to blame. */
    uint32_t invalid_index;          /**< On failure about one observation, its index; UINT32_MAX otherwise. */
    uint32_t reserved0;              /**< Always 0. */
    double worker_startup_s;         /**< Fitted seconds from one worker's start to the next's, >= 0. */
    double samples_per_s_per_worker; /**< Fitted samples/s of one worker; 0 = unlimited (the start-up explains every time). */
    double max_residual_ratio;       /**< Largest |predicted - measured| / measured over the observations. */
    double mean_residual_ratio;      /**< Mean of the same. */
    uint64_t observations;           /**< Observations used. */
} trainest_loader_fit;

/**
 * @brief Set a loader observation to its defaults (everything 0).
 * @param[out] out The observation to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_loader_observation).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.7.0
 */
TRAINEST_API int trainest_loader_observation_init(trainest_loader_observation *out, uint32_t struct_size);

/**
 * @brief Fit the loader model of ::TRAINEST_DATA_MODE_WORKERS to loader-only measurements.
 *
 * The model: worker j (from 0) starts (j + 1) * worker_startup_s after the
 * iterator is created and then builds batches j, j + W, j + 2W, ... one
 * after another at samples_per_s_per_worker; an observation's time is when
 * its last batch is ready. That time is the largest of at most three
 * linear forms in the two parameters, so the fit is exact: it minimises
 * the sum of absolute relative errors (robust to outliers) over every
 * vertex of the arrangement of those forms (O(count^3) time, no memory
 * beyond the stack). Deterministic. Separating the two parameters needs
 * observations that differ in workers or in batches per worker, such as
 * the same epoch read with 4 and with 12 workers.
 * @pre out->struct_size is set by the caller; observations[0].struct_size
 *      gives the array's stride.
 * @param[out] out The fitted parameters and residuals.
 * @param[in] observations Array of count observations.
 * @param[in] count Number of observations, 2 to 64.
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED; ::TRAINEST_E_ZERO (a zero workers,
 *         batch_size or samples); ::TRAINEST_E_NOT_FINITE or
 *         ::TRAINEST_E_OUT_OF_RANGE (a bad seconds, or more than 64
 *         observations; invalid_index says which observation);
 *         ::TRAINEST_E_TOO_FEW_POINTS (fewer than 2 distinct (workers,
 *         batch_size, samples)); ::TRAINEST_E_UNIDENTIFIABLE (the
 *         observations cannot separate start-up from throughput: the forms
 *         that set their times are proportional, for example 1 worker
 *         reading one batch of 10 samples and 2 workers reading one batch
 *         of 20 each);
 *         ::TRAINEST_E_OVERFLOW (a fitted rate beyond the range of double).
 * @since 0.7.0
 */
TRAINEST_API int trainest_loader_calibrate(trainest_loader_fit *out,
                                           const trainest_loader_observation *observations,
                                           uint32_t count);

/**
 * @brief The gradient-accumulation trade-off for a fixed global batch.
 *
 * For every micro-batch m that divides global_batch / data_parallel, predicts
 * the step and run time with a = global_batch / (m * data_parallel), and
 * recommends the largest m within the plan request's max_micro_batch (use
 * memory before accumulation). The plan request must resolve to a global
 * batch; its micro_batch and grad_accum_steps are ignored.
 * @pre out->struct_size is set; points[0].struct_size gives the stride when capacity > 0.
 * @param[out] out The summary and recommendation.
 * @param[out] points Candidates in ascending micro-batch order, up to capacity (may be NULL if capacity is 0).
 * @param[in] capacity Elements in points.
 * @param[out] out_count Candidates written.
 * @param[in] plan_request The batch request (global batch, replicas, cap).
 * @param[in] request The time model.
 * @return ::TRAINEST_OK or any status of trainest_estimate_run().
 * @since 0.2.0
 */
TRAINEST_API int trainest_tradeoff_compute(trainest_tradeoff *out, trainest_tradeoff_point *points,
                                           uint32_t capacity, uint32_t *out_count,
                                           const trainest_plan_request *plan_request,
                                           const trainest_estimate_request *request);
/** @} */

/* ======================================================================== */
/** @name Memory and the planner search (since 0.3.0)
 * How much device memory a plan needs, the largest micro-batch that fits,
 * and a search over (micro-batch, accumulation, replicas) ranked by the
 * time model; see docs/memory.md.
 * @{ */

/** @brief Memory model of one device: a request. @since 0.3.0
 *
 * bytes(m) = static + activation_bytes_per_sample * m, where static is
 * either the measured static_bytes, or the model states (weights,
 * gradients and optimizer states, sharded by ZeRO over the data-parallel
 * replicas) plus overhead_bytes. Initialise with trainest_memory_request_init().
 */
typedef struct trainest_memory_request {
    uint32_t struct_size;              /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t zero_stage;               /**< ZeRO stage 0-3: 1 shards optimizer states, 2 also gradients, 3 also weights. Default 0. */
    uint64_t params;                   /**< Model parameters; 0 when static_bytes is given. */
    uint32_t weight_bits_per_param;    /**< Bits of weights per parameter. Default 16 (bf16/fp16). */
    uint32_t grad_bits_per_param;      /**< Bits of gradients per parameter. Default 16. */
    uint32_t optimizer_bits_per_param; /**< Bits of optimizer state per parameter. Default 96 (fp32 master, momentum, variance: mixed-precision Adam). */
    uint32_t reserved0;                /**< Padding; must be 0. */
    uint64_t overhead_bytes;           /**< Fixed per-device overhead (context, workspaces) added to the model states. Default 0. */
    uint64_t static_bytes;             /**< Or: measured bytes before the first micro-batch (as trainest_memory_fit reports); used as is, not sharded. 0 = compute from params. */
    uint64_t activation_bytes_per_sample; /**< Peak bytes that grow with each sample of the micro-batch. */
    uint64_t device_memory_bytes;      /**< Device memory; 0 = unlimited. */
    double headroom_ratio;             /**< Fraction of device memory kept free, in [0, 1). Default 0. */
    uint32_t recompute;                /**< A ::trainest_recompute, for activation memory from the model shape. Default NONE. @since 0.5.0 */
    uint32_t reserved1;                /**< Padding; must be 0. @since 0.5.0 */
} trainest_memory_request;

/** @brief Memory of one device for a plan. @since 0.3.0 */
typedef struct trainest_memory {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;        /**< On failure, the ::trainest_field to blame. */
    uint32_t fits;                 /**< 1 if total_bytes <= budget_bytes. */
    uint32_t reserved0;            /**< Padding; always 0. */
    uint64_t weights_bytes;        /**< Weights on this device after sharding (rounded up). */
    uint64_t grads_bytes;          /**< Gradients on this device after sharding (rounded up). */
    uint64_t optimizer_bytes;      /**< Optimizer states on this device after sharding (rounded up). */
    uint64_t static_bytes;         /**< Everything that does not grow with the micro-batch. */
    uint64_t activation_bytes;     /**< activation_bytes_per_sample * micro_batch. */
    uint64_t total_bytes;          /**< static_bytes + activation_bytes. */
    uint64_t budget_bytes;         /**< floor(device_memory_bytes * (1 - headroom_ratio)), computed exactly (a product less than device_memory_bytes * 2^-52 below a whole byte, the binary rounding of the ratio, counts as that byte; docs/memory.md); UINT64_MAX if unlimited. */
    uint64_t max_micro_batch;      /**< Largest micro-batch within the budget (0 if even the static part does not fit; UINT64_MAX if unlimited). */
    double headroom_ratio;         /**< 1 - total_bytes / device_memory_bytes: negative when it does not fit; 0 if unlimited. */
    uint64_t activation_bytes_per_micro_batch; /**< Activations of one micro-batch on this device (its layers, divided by TP). @since 0.5.0 */
    double micro_batches_in_flight; /**< Micro-batches whose activations the device holds at once: 1 without a pipeline, min(PP, micro-batches) under 1F1B, times 1 + (PP - 1) / (PP * v) when interleaved. @since 0.5.0 */
} trainest_memory;

/** @brief One measured peak, for trainest_memory_calibrate(). @since 0.3.0 */
typedef struct trainest_memory_point {
    uint32_t struct_size; /**< Size of this struct as the caller knows it; the array's stride is element 0's. */
    uint32_t reserved0;   /**< Padding; must be 0. */
    uint64_t micro_batch; /**< Micro-batch, > 0. */
    uint64_t peak_bytes;  /**< Measured peak device memory, > 0. */
} trainest_memory_point;

/** @brief The memory model fitted by trainest_memory_calibrate(). @since 0.3.0 */
typedef struct trainest_memory_fit {
    uint32_t struct_size;         /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;       /**< On failure, the ::trainest_field to blame. */
    uint32_t invalid_index;       /**< On failure about one point, its index; UINT32_MAX otherwise. */
    uint32_t reserved0;           /**< Padding; always 0. */
    uint64_t static_bytes;        /**< Fitted intercept, rounded up to a whole byte. */
    uint64_t per_sample_bytes;    /**< Fitted slope, rounded up to a whole byte. */
    double max_residual_ratio;    /**< Largest |predicted - measured| / measured, with the rounded values. */
    uint64_t points;              /**< Points used. */
} trainest_memory_fit;

/** @brief What to search. @since 0.3.0 */
typedef struct trainest_search_request {
    uint32_t struct_size;       /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t reserved0;         /**< Padding; must be 0. */
    uint64_t global_batch_min;  /**< Smallest global batch; 0 = the plan request's global_batch only. */
    uint64_t global_batch_max;  /**< Largest global batch (inclusive); 0 = global_batch_min. */
    uint64_t global_batch_step; /**< Step through the range; 0 = 1. */
    uint64_t max_devices;       /**< Devices: every layout with data_parallel * TP * PP <= max_devices is tried. Default 1. */
    uint64_t max_tensor_parallel;   /**< TP to try: powers of two up to this (and up to devices_per_node). 0 = 1. @since 0.5.0 */
    uint64_t max_pipeline_parallel; /**< PP to try: powers of two up to this that divide the layers (if known). 0 = 1. @since 0.5.0 */
    uint64_t devices_per_node;      /**< Devices per node: tensor parallelism stays within a node. 0 = no limit. @since 0.5.0 */
} trainest_search_request;

/** @brief One plan found by trainest_search_run(). @since 0.3.0 */
typedef struct trainest_search_result {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it; the array's stride is element 0's. */
    uint32_t reserved0;        /**< Padding; always 0. */
    uint64_t global_batch;     /**< G (after the divisibility policy). */
    uint64_t micro_batch;      /**< m. */
    uint64_t grad_accum_steps; /**< a. */
    uint64_t data_parallel;    /**< R. */
    uint64_t total_optimizer_steps; /**< Steps of the run. */
    uint64_t memory_bytes;     /**< Peak bytes per device. */
    double headroom_ratio;     /**< 1 - memory_bytes / device memory (0 if unlimited). */
    double step_s;             /**< Predicted full optimizer step, s. */
    double total_s;            /**< Predicted run time, s: the ranking key. */
    uint64_t tensor_parallel;  /**< TP. @since 0.5.0 */
    uint64_t pipeline_parallel; /**< PP. @since 0.5.0 */
} trainest_search_result;

/** @brief The search's summary. @since 0.3.0 */
typedef struct trainest_search {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;        /**< On failure, the ::trainest_field to blame. */
    uint64_t candidates_evaluated; /**< (global batch, replicas, micro-batch) triples considered. */
    uint64_t feasible;             /**< Candidates that passed every check and were timed. */
    uint64_t rejected_not_divisible; /**< The split does not divide and the policy is ERROR (or rounding leaves no micro-batch). */
    uint64_t rejected_does_not_fit;  /**< The micro-batch exceeds the memory budget or max_micro_batch. */
    uint64_t rejected_overflow;      /**< A count or a time would overflow. */
    uint64_t rejected_no_steps;      /**< The rounding policies leave no optimizer step. */
    uint64_t duplicates;             /**< Candidates that rounding mapped onto a plan already found. */
} trainest_search;

/**
 * @brief Set a memory request to its defaults (16/16/96 bits per parameter, ZeRO 0, no limit).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_memory_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.3.0
 */
TRAINEST_API int trainest_memory_request_init(trainest_memory_request *out, uint32_t struct_size);

/**
 * @brief Device memory for a micro-batch on one of R replicas.
 * @pre out->struct_size is set by the caller.
 * @param[out] out The memory breakdown, the budget and the largest micro-batch that fits.
 * @param[in] request The memory model.
 * @param[in] micro_batch Samples per micro-batch (0: report the static part and max_micro_batch only).
 * @param[in] data_parallel Replicas that ZeRO shards over, >= 1.
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED, ::TRAINEST_E_ZERO (data_parallel),
 *         ::TRAINEST_E_UNKNOWN_ENUM (zero_stage), ::TRAINEST_E_INCONSISTENT
 *         (both params and static_bytes), ::TRAINEST_E_NOT_FINITE or
 *         ::TRAINEST_E_OUT_OF_RANGE (headroom_ratio), ::TRAINEST_E_OVERFLOW.
 *         Not fitting is not an error: see trainest_memory::fits.
 * @since 0.3.0
 */
TRAINEST_API int trainest_memory_compute(trainest_memory *out, const trainest_memory_request *request,
                                         uint64_t micro_batch, uint64_t data_parallel);

/**
 * @brief Fit static and per-sample bytes to measured peaks.
 *
 * The same robust fit as trainest_step_calibrate() (least absolute relative
 * deviations), for the line static + per_sample * micro_batch.
 * @pre out->struct_size is set; points[0].struct_size gives the stride.
 * @param[out] out The fitted model.
 * @param[in] points Array of count points.
 * @param[in] count Number of points (2 to 65536).
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED, ::TRAINEST_E_ZERO (a zero micro_batch or
 *         peak), ::TRAINEST_E_TOO_FEW_POINTS (fewer than 2 distinct micro-batches),
 *         ::TRAINEST_E_OUT_OF_RANGE (more than 65536 points), or
 *         ::TRAINEST_E_UNIDENTIFIABLE (the fitted line is negative: memory
 *         that shrinks with the micro-batch).
 * @since 0.3.0
 */
TRAINEST_API int trainest_memory_calibrate(trainest_memory_fit *out, const trainest_memory_point *points,
                                           uint32_t count);

/**
 * @brief Search every feasible plan and return the fastest.
 *
 * For each global batch in the range and each replica count R in
 * 1..max_devices, every micro-batch m from 1 to G / R is a candidate; the
 * plan request's divisibility policy decides what happens when m * R does
 * not divide G. Candidates that fit the memory budget (and the plan
 * request's max_micro_batch, if set) are timed with the estimate request.
 * The best are returned in ascending order of total_s, ties broken by more
 * headroom, then smaller global batch, fewer replicas, smaller tensor
 * parallel, smaller pipeline parallel and smaller micro-batch: a total
 * order, so the result does not depend on the order of enumeration. Model
 * states that overflow 2^64 - 1 bytes on too few replicas reject those
 * candidates as overflow (a larger R may fit; since 0.5.0). The plan request's micro_batch, grad_accum_steps,
 * data_parallel, devices, tensor_parallel and pipeline_parallel are ignored:
 * the search chooses them (TP and PP over powers of two up to the search
 * request's limits, since 0.5.0); its virtual_stages and model shape are
 * kept. Replica counts above the largest global batch are not tried.
 * The work is sum over G and R of floor(G / R) candidates (ceil with
 * ROUND_UP); an efficiency fitted from an observed step needs
 * observed_micro_batch and observed_grad_accum_steps set.
 * @pre out->struct_size is set; results[0].struct_size gives the stride when capacity > 0.
 * @param[out] out Summary counts.
 * @param[out] results The best plans, up to capacity (may be NULL if capacity is 0).
 * @param[in] capacity Elements in results.
 * @param[out] out_count Results written.
 * @param[in] plan_request Dataset, epochs, preset and policies (and the global batch if no range).
 * @param[in] estimate_request The time model.
 * @param[in] memory_request The memory model.
 * @param[in] search_request The ranges to search.
 * @return ::TRAINEST_OK (also when nothing is feasible: *out_count is 0), or a
 *         status from validating the requests (those of trainest_estimate_run()
 *         and trainest_memory_compute(), and ::TRAINEST_E_ZERO,
 *         ::TRAINEST_E_INCONSISTENT or ::TRAINEST_E_UNDERSPECIFIED for the ranges),
 *         ::TRAINEST_E_BAD_LAYOUT (virtual_stages > 1 with
 *         max_pipeline_parallel < 2), or ::TRAINEST_E_STRUCT_SIZE (results of
 *         the 0.3 size, which cannot hold TP and PP, for a search over
 *         layouts).
 * @since 0.3.0
 */
TRAINEST_API int trainest_search_run(trainest_search *out, trainest_search_result *results, uint32_t capacity,
                                     uint32_t *out_count, const trainest_plan_request *plan_request,
                                     const trainest_estimate_request *estimate_request,
                                     const trainest_memory_request *memory_request,
                                     const trainest_search_request *search_request);
/** @} */

/* ======================================================================== */
/** @name Run-level realism (since 0.4.0)
 * Hardware failures and checkpoints, Megatron's batch-size ramp-up, the
 * critical batch size and a live ETA tracker; see docs/run-level.md.
 * @{ */

/** @brief How the checkpoint interval is chosen when none is given. @since 0.4.0 */
typedef enum trainest_interval_rule {
    TRAINEST_INTERVAL_DALY = 0, /**< Daly (2006), higher-order optimum (default). */
    TRAINEST_INTERVAL_YOUNG = 1 /**< Young (1974): sqrt(2 * write * MTBF). */
} trainest_interval_rule;

/**
 * @brief Failures, checkpoints and restarts around a failure-free run.
 *
 * Failures arrive as a Poisson process with rate devices / device MTBF +
 * nodes / node MTBF. Work is cut into segments of checkpoint_interval_s of
 * compute, each followed by a checkpoint write; a failure loses the work
 * since the last checkpoint and costs restart_s. Initialise with
 * trainest_failure_request_init().
 * @since 0.4.0
 */
typedef struct trainest_failure_request {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t interval_rule;        /**< A ::trainest_interval_rule, used when checkpoint_interval_s is 0. Default DALY. */
    double work_s;                 /**< The failure-free run time to protect (e.g. trainest_estimate::total_s), s, > 0. */
    uint64_t devices;              /**< Devices in the job, > 0. */
    uint64_t devices_per_node;     /**< Devices per node, for the node term; 0 = 1. */
    double mtbf_hours_per_device;  /**< Mean time between failures of one device, hours; 0 = devices never fail. */
    double mtbf_hours_per_node;    /**< Mean time between failures of one node (host, network), hours; 0 = none. */
    double checkpoint_write_s;     /**< Time the run pauses to write one checkpoint, s. */
    double restart_s;              /**< Time from a failure to training again: detection, reload, warm-up, s. */
    double checkpoint_interval_s;  /**< Compute seconds between checkpoints; 0 = optimal by interval_rule. */
} trainest_failure_request;

/** @brief The run with failures: expectation and quantiles. @since 0.4.0 */
typedef struct trainest_failure {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;        /**< On failure, the ::trainest_field to blame. */
    double job_mtbf_s;             /**< Mean time between job-killing failures, s (0 if nothing fails). */
    double checkpoint_interval_s;  /**< Compute seconds between checkpoints used (0: none are written). */
    uint64_t checkpoints;          /**< Checkpoints written: one between consecutive segments. */
    uint64_t reserved0;            /**< Always 0. */
    double expected_interruptions; /**< Expected number of failures. */
    double checkpoint_s;           /**< Time spent writing checkpoints, s. */
    double expected_lost_work_s;   /**< Expected compute redone after failures, s. */
    double expected_restart_s;     /**< Expected time in restarts, s. */
    double expected_total_s;       /**< Expected wall time: work + checkpoints + lost work + restarts, s. */
    double effective_time_ratio;   /**< work_s / expected_total_s. */
    double p50_total_s;            /**< Median wall time, s. */
    double p90_total_s;            /**< 90th percentile of wall time, s. */
} trainest_failure;

/** @brief Megatron's --rampup-batch-size START INCR RAMP_SAMPLES. @since 0.4.0 */
typedef struct trainest_rampup_request {
    uint32_t struct_size;        /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t reserved0;          /**< Padding; must be 0. */
    uint64_t start_global_batch; /**< START: the first global batch, > 0, <= the target. */
    uint64_t increment;          /**< INCR: the step between batch sizes, > 0 (unless START equals the target). */
    uint64_t ramp_samples;       /**< RAMP_SAMPLES: samples over which the batch grows to the target. */
} trainest_rampup_request;

/** @brief The run with a batch-size ramp-up. @since 0.4.0 */
typedef struct trainest_rampup {
    uint32_t struct_size;        /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;      /**< On failure, the ::trainest_field to blame. */
    uint64_t increments;         /**< (target - START) / INCR batch-size increases. */
    uint64_t rampup_steps;       /**< Iterations while the batch grows (consumed samples <= RAMP_SAMPLES). */
    uint64_t rampup_samples;     /**< Samples those iterations consume. */
    uint64_t steps_after;        /**< Iterations at the target batch after the ramp. */
    uint64_t total_steps;        /**< rampup_steps + steps_after: Megatron's train_iters. */
    uint64_t total_samples;      /**< Samples the run consumes. */
    uint64_t extra_steps;        /**< Iterations beyond the constant-batch run's train_samples // target (the ramp's smaller batches take more steps; can be 0). */
    double rampup_s;             /**< Time of the ramp iterations, each at its own batch size, s (0 without an estimate request). */
    double total_s;              /**< The whole run with its overheads, s (0 without an estimate request). */
} trainest_rampup;

/** @brief The large-batch trade-off (McCandlish et al. 2018). @since 0.4.0 */
typedef struct trainest_critical_request {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t reserved0;        /**< Padding; must be 0. */
    double noise_scale;        /**< The gradient noise scale B_noise (~ the critical batch B_crit), samples, > 0. */
    double min_steps;          /**< S_min: steps to the target with an infinite batch; or 0 ... */
    double min_samples;        /**< ... E_min: samples to the target with a tiny batch (E_min = S_min * B_noise). Exactly one of the two. */
    uint64_t max_global_batch; /**< Largest global batch the optimum search tries; 0 = 64 * noise_scale. */
} trainest_critical_request;

/** @brief Steps, samples and time to the target, now and at the best global batch. @since 0.4.0 */
typedef struct trainest_critical {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;        /**< On failure, the ::trainest_field to blame. */
    double critical_batch;         /**< B_crit = E_min / S_min (= noise_scale). */
    double steps_to_target;        /**< S(G) = S_min (1 + B_noise / G), rounded up to whole steps, for the plan's G. */
    double samples_to_target;      /**< steps_to_target * G. */
    double step_s;                 /**< The plan's full optimizer step, s. */
    double time_to_target_s;       /**< steps_to_target * step_s. */
    uint64_t best_global_batch;    /**< The global batch with the smallest time to target for these devices and this memory. */
    uint64_t best_micro_batch;     /**< Its micro-batch (the largest that fits and divides). */
    uint64_t best_grad_accum_steps; /**< Its accumulation steps. */
    double best_steps_to_target;   /**< Its steps to the target. */
    double best_time_to_target_s;  /**< Its time to the target, s. */
    double best_batch_ratio;       /**< best_global_batch / B_crit. */
    double best_step_efficiency_ratio; /**< S_min / S(best): 1 with an infinite batch, 0.5 at B_crit. */
    double best_data_efficiency_ratio; /**< E_min / E(best): 1 with a tiny batch, 0.5 at B_crit. */
} trainest_critical;

/** @brief How an ETA tracker starts. Initialise with trainest_eta_config_init(). @since 0.4.0 */
typedef struct trainest_eta_config {
    uint32_t struct_size;          /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t reserved0;            /**< Padding; must be 0. */
    uint64_t total_steps;          /**< Optimizer steps of the whole run (e.g. trainest_plan::total_optimizer_steps, or trainest_rampup::total_steps), > 0. */
    uint64_t steps_done;           /**< Steps already done before tracking starts (resuming). Default 0. */
    uint64_t warmup_steps;         /**< First observed steps left out of the step-time estimate. Default 5. */
    double outlier_ratio;          /**< A step longer than this times the median is an outlier (evaluation, checkpoint, hiccup): its time counts as elapsed but not in the step time. Default 3, > 1. */
    double prior_step_s;           /**< Expected step time (e.g. trainest_estimate::step_s) used until enough steps are observed; 0 = none. */
    uint64_t steps_per_epoch;      /**< For scheduled per-epoch overheads; 0 = none. */
    double overhead_s_per_epoch;   /**< Evaluation and checkpoints per epoch, s, added for every epoch boundary still ahead. */
    double job_mtbf_s;             /**< Job mean time between failures, s (e.g. trainest_failure::job_mtbf_s); 0 = no failures. */
    double restart_s;              /**< Restart cost after a failure, s. */
    double checkpoint_write_s;     /**< Checkpoint write time, s. */
    double checkpoint_interval_s;  /**< Checkpoint interval, s (e.g. trainest_failure::checkpoint_interval_s); 0 = optimal (Daly). */
} trainest_eta_config;

/**
 * @brief A live ETA tracker: caller-owned, fixed size, no allocation.
 *
 * Every member but invalid_field is private to the library: initialise with
 * trainest_eta_init(), feed with trainest_eta_update(), read with
 * trainest_eta_report_compute(). It may be copied; it must not be written.
 * @since 0.4.0
 */
typedef struct trainest_eta {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it, in bytes. */
    uint32_t magic;            /**< Private: marks an initialised tracker. */
    trainest_eta_config config; /**< Private: the configuration. */
    uint64_t steps;            /**< Private: steps observed. */
    uint64_t samples;          /**< Private: samples observed. */
    uint64_t inliers;          /**< Private: steps in the step-time estimate. */
    uint64_t outliers;         /**< Private: steps classified as outliers. */
    double elapsed_s;          /**< Private: compensated sum of all step times. */
    double elapsed_carry_s;    /**< Private: its compensation term. */
    double mean_s;             /**< Private: running mean of inlier steps. */
    double m2_s2;              /**< Private: running sum of squared deviations of inlier steps. */
    double outlier_s;          /**< Private: compensated sum of outlier step times. */
    double outlier_carry_s;    /**< Private: its compensation term. */
    double marker_s[5];        /**< Private: P-square median markers (heights). */
    double marker_pos[5];      /**< Private: their positions. */
    double marker_want[5];     /**< Private: their desired positions. */
    uint32_t invalid_field;    /**< After trainest_eta_init() fails (the tracker is then zeroed): the ::trainest_field of the configuration to blame; 0 otherwise. @since 0.5.0 */
    uint32_t reserved1;        /**< Private: padding. @since 0.5.0 */
    uint64_t total_samples;    /**< Private: the run's samples, from trainest_eta_set_samples(); 0 = not given. @since 0.6.0 */
    uint64_t samples_before;   /**< Private: samples done before tracking started. @since 0.6.0 */
    uint64_t unsized_steps;    /**< Private: steps fed with samples = 0. @since 0.6.0 */
    double fit_samples;        /**< Private: weighted mean samples of inlier steps. @since 0.6.0 */
    double reserved2;          /**< Private: unused, 0 (the fit's mean step is mean_s). @since 0.6.0 */
    double fit_var_samples;    /**< Private: weighted variance of their samples. @since 0.6.0 */
    double fit_cov_s;          /**< Private: weighted covariance of samples and time. @since 0.6.0 */
} trainest_eta;

/** @brief What an ETA tracker knows now. @since 0.4.0 */
typedef struct trainest_eta_report {
    uint32_t struct_size;      /**< Size of this struct as the caller knows it, in bytes. Set by the caller. */
    uint32_t invalid_field;    /**< On failure, the ::trainest_field to blame. */
    uint64_t steps_done;       /**< Steps done, including the configured steps_done. */
    uint64_t steps_remaining;  /**< total_steps - steps_done (0 when finished). */
    uint64_t samples_done;     /**< Samples reported to trainest_eta_update(). */
    uint64_t outliers;         /**< Steps left out as outliers. */
    double progress_ratio;     /**< steps_done / total_steps. */
    double elapsed_s;          /**< Time of the observed steps, s. */
    double step_s;             /**< The robust step time: mean of inlier steps (or the prior), s. */
    double step_sd_s;          /**< Standard deviation of inlier steps, s. */
    double samples_per_s;      /**< samples_done / elapsed_s (0 before any time passed). */
    double remaining_s;        /**< Expected remaining time, failures included, s. */
    double remaining_p10_s;    /**< 10th percentile of the remaining time, s. */
    double remaining_p50_s;    /**< Median remaining time, s. */
    double remaining_p90_s;    /**< 90th percentile of the remaining time, s. */
    double finish_p10_unix_s;  /**< now_unix_s + remaining_p10_s. */
    double finish_p50_unix_s;  /**< now_unix_s + remaining_p50_s. */
    double finish_p90_unix_s;  /**< now_unix_s + remaining_p90_s. */
} trainest_eta_report;

/**
 * @brief Set a failure request to its defaults (all zero: Daly's interval, no failures).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_failure_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.4.0
 */
TRAINEST_API int trainest_failure_request_init(trainest_failure_request *out, uint32_t struct_size);

/**
 * @brief Expected wall time, interruptions and quantiles of a run with failures.
 *
 * The quantiles come from the exact compound distribution of the failure
 * count and the time each failure costs, computed deterministically by
 * Panjer's recursion on a grid of 2048 points (docs/run-level.md).
 * @pre out->struct_size is set by the caller.
 * @param[out] out The run with failures.
 * @param[in] request The failure model.
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED, ::TRAINEST_E_ZERO (devices, work_s),
 *         ::TRAINEST_E_NOT_FINITE, ::TRAINEST_E_OUT_OF_RANGE (a negative
 *         time, an MTBF so short that the failure rate is beyond the double
 *         range, or an interval so long against the MTBF that the run would
 *         practically never finish), ::TRAINEST_E_UNKNOWN_ENUM,
 *         ::TRAINEST_E_UNDERSPECIFIED (failures, and neither an interval nor
 *         a write time to choose one), ::TRAINEST_E_OVERFLOW (a time beyond
 *         the double range).
 * @since 0.4.0
 */
TRAINEST_API int trainest_failure_compute(trainest_failure *out, const trainest_failure_request *request);

/**
 * @brief Megatron's batch-size ramp-up, in closed form over the increments.
 *
 * Reproduces Megatron-Core's RampupBatchsizeNumMicroBatchesCalculator and
 * update_train_iters(): the batch at consumed samples c is START +
 * int(c / (RAMP_SAMPLES / increments)) * INCR while c <= RAMP_SAMPLES, the
 * target after. Iterates over the increments, never over the steps. The plan
 * request must use the Megatron preset and give the target global batch.
 * @pre out->struct_size is set by the caller.
 * @param[out] out Steps, samples and times.
 * @param[in] plan_request The target run (Megatron preset).
 * @param[in] request START, INCR, RAMP_SAMPLES.
 * @param[in] estimate_request The time model, or NULL for counts only.
 * @return ::TRAINEST_OK; any status of trainest_plan_compute() and
 *         trainest_estimate_run(); ::TRAINEST_E_PRESET_CONFLICT (not Megatron),
 *         ::TRAINEST_E_ZERO, ::TRAINEST_E_INCONSISTENT (START above the
 *         target), ::TRAINEST_E_NOT_DIVISIBLE (INCR does not divide
 *         target - START, or a batch size reached is not a multiple of
 *         micro_batch * data_parallel), ::TRAINEST_E_OUT_OF_RANGE (more than
 *         10^7 increments).
 * @since 0.4.0
 */
TRAINEST_API int trainest_rampup_compute(trainest_rampup *out, const trainest_plan_request *plan_request,
                                         const trainest_rampup_request *request,
                                         const trainest_estimate_request *estimate_request);

/**
 * @brief Steps and time to a target loss for a global batch, and the best global batch.
 *
 * S(B) = S_min (1 + B_noise / B) steps and E(B) = S(B) * B samples reach the
 * target; time to target = S(B) * step time(B). The best global batch is
 * searched over G = R * n for every n up to 4096 and then a geometric grid
 * (ratio 1 + 1/256) up to max_global_batch, each with the largest micro-batch
 * that divides n and fits (the plan request's max_micro_batch and, if given,
 * the memory model for the plan's layout, as trainest_memory_for_plan()
 * computes it with PP micro-batches in flight).
 * @pre out->struct_size is set by the caller.
 * @param[out] out The trade-off.
 * @param[in] plan_request The plan: its global batch, replicas and cap.
 * @param[in] estimate_request The time model.
 * @param[in] memory_request The memory model, or NULL for none.
 * @param[in] request B_noise and S_min or E_min.
 * @return ::TRAINEST_OK or a validation status (those of trainest_estimate_run()
 *         and trainest_memory_compute(); ::TRAINEST_E_ZERO, ::TRAINEST_E_NOT_FINITE,
 *         ::TRAINEST_E_OUT_OF_RANGE (also device_memory_bytes, when not one
 *         sample fits), ::TRAINEST_E_INCONSISTENT (both S_min and E_min),
 *         ::TRAINEST_E_UNDERSPECIFIED (neither)).
 * @since 0.4.0
 */
TRAINEST_API int trainest_critical_compute(trainest_critical *out, const trainest_plan_request *plan_request,
                                           const trainest_estimate_request *estimate_request,
                                           const trainest_memory_request *memory_request,
                                           const trainest_critical_request *request);

/**
 * @brief Set an ETA configuration to its defaults (warm-up 5 steps, outliers above 3x the median).
 * @param[out] out The configuration to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_eta_config).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.4.0
 */
TRAINEST_API int trainest_eta_config_init(trainest_eta_config *out, uint32_t struct_size);

/**
 * @brief Start an ETA tracker.
 * @param[out] state The caller-owned tracker.
 * @param[in] struct_size The caller's sizeof(trainest_eta).
 * @param[in] config The configuration.
 * When the tracker itself is usable (not NULL, struct_size in range), a
 * failure zeroes it, so updating it fails, and, since 0.5.0, sets its
 * invalid_field to the configuration field to blame (if struct_size covers
 * invalid_field).
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED, ::TRAINEST_E_ZERO (total_steps),
 *         ::TRAINEST_E_INCONSISTENT (steps_done beyond total_steps),
 *         ::TRAINEST_E_UNDERSPECIFIED (failures without a checkpoint cost),
 *         ::TRAINEST_E_NOT_FINITE, ::TRAINEST_E_OUT_OF_RANGE.
 * @since 0.4.0
 */
TRAINEST_API int trainest_eta_init(trainest_eta *state, uint32_t struct_size, const trainest_eta_config *config);

/**
 * @brief Feed one observed optimizer step. O(1), numerically stable over 10^9 calls.
 * @param[in,out] state An initialised tracker.
 * @param[in] step_s The step's duration, s, finite and >= 0.
 * @param[in] samples The step's samples (0 if unknown).
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE or
 *         ::TRAINEST_E_UNSUPPORTED (not an initialised tracker), ::TRAINEST_E_NOT_FINITE,
 *         ::TRAINEST_E_OUT_OF_RANGE (negative step_s), ::TRAINEST_E_OVERFLOW
 *         (step or sample count beyond 2^64 - 1). The state is unchanged on failure.
 * @since 0.4.0
 */
TRAINEST_API int trainest_eta_update(trainest_eta *state, double step_s, uint64_t samples);

/**
 * @brief Elapsed, remaining and finish-time estimates with a band.
 * @pre out->struct_size is set by the caller.
 * @param[out] out The report.
 * @param[in] state An initialised tracker.
 * @param[in] now_unix_s The current time (seconds since the Unix epoch, or any origin), finite.
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL, ::TRAINEST_E_STRUCT_SIZE,
 *         ::TRAINEST_E_UNSUPPORTED, ::TRAINEST_E_NOT_FINITE (now_unix_s),
 *         ::TRAINEST_E_OUT_OF_RANGE (the failure model's: a checkpoint
 *         interval so long against job_mtbf_s that the rest of the run would
 *         practically never finish), ::TRAINEST_E_OVERFLOW (a time or rate
 *         beyond the double range). On failure the report is zeroed but for
 *         struct_size and invalid_field.
 * @since 0.4.0
 */
TRAINEST_API int trainest_eta_report_compute(trainest_eta_report *out, const trainest_eta *state, double now_unix_s);

/**
 * @brief Tell a tracker the run's samples, so that the remaining time
 *        follows the samples still to come when step sizes change (a
 *        batch-size ramp-up, a partial last step).
 *
 * Without it the remaining time is remaining steps x the mean step. With
 * it, and with every step's samples given to trainest_eta_update(), the
 * tracker fits step time = a + b x samples over the inlier steps (the same
 * exponential window as the mean) and the remaining time becomes
 * a x remaining steps + b x remaining samples. While every step so far had
 * the same size, a and b cannot be told apart and the time per sample is
 * used (a = 0). A step is an outlier only if it is longer than
 * outlier_ratio times both the median step and its own predicted time, so
 * a growing batch is not mistaken for pauses. A step fed with samples = 0
 * turns this off for the rest of the run.
 * @param[in,out] state An initialised tracker of at least the 0.6 size.
 * @param[in] total_samples The run's samples (e.g. trainest_rampup::total_samples, or trainest_plan::total_samples), > 0.
 * @param[in] samples_done Samples done before tracking started (resuming), <= total_samples.
 * @return ::TRAINEST_OK; ::TRAINEST_E_NULL; ::TRAINEST_E_STRUCT_SIZE (a
 *         tracker of an earlier release's size has no room); ::TRAINEST_E_UNSUPPORTED
 *         (not an initialised tracker); ::TRAINEST_E_ZERO (total_samples);
 *         ::TRAINEST_E_INCONSISTENT (samples_done beyond total_samples).
 *         The state is unchanged on failure.
 * @since 0.6.0
 */
TRAINEST_API int trainest_eta_set_samples(trainest_eta *state, uint64_t total_samples, uint64_t samples_done);
/** @} */

/* ======================================================================== */
/** @name Model parallelism and request initialisers (since 0.5.0)
 * Tensor and pipeline parallelism live in the plan request (and reach the
 * time and memory models through it); see docs/parallelism.md.
 * @{ */

/** @name Layout change flags
 * Bits of trainest_layout_suggestion::changed.
 * @{ */
/** The suggestion changes the device count. */
#define TRAINEST_CHANGED_DEVICES 0x8u
/** The suggestion changes the tensor-parallel size. */
#define TRAINEST_CHANGED_TENSOR_PARALLEL 0x10u
/** The suggestion changes the pipeline-parallel size. */
#define TRAINEST_CHANGED_PIPELINE_PARALLEL 0x20u
/** @} */

/** @brief A valid device layout near a request, from trainest_layout_suggest(). @since 0.5.0 */
typedef struct trainest_layout_suggestion {
    uint32_t struct_size;       /**< Size of this struct as the caller knows it; the array's stride is element 0's. */
    uint32_t changed;           /**< TRAINEST_CHANGED_* bits: what differs from the request. */
    double distance_ratio;      /**< Sum over devices, TP and PP as requested of |new - old| / old. */
    uint64_t devices;           /**< Devices. */
    uint64_t data_parallel;     /**< devices / (TP * PP). */
    uint64_t tensor_parallel;   /**< TP. */
    uint64_t pipeline_parallel; /**< PP. */
} trainest_layout_suggestion;

/**
 * @brief List the valid device layouts nearest to a request.
 *
 * Keeps the devices and moves TP or PP (or both) to the nearest values the
 * model shape allows (TP dividing devices / PP, hidden and attention_heads;
 * PP dividing devices / TP and layers / virtual_stages; PP >= 2 when
 * interleaving), or keeps TP and PP and moves the devices to the nearest
 * multiples of TP * PP. Every suggestion passes the planner's layout
 * checks. Ranked by
 * distance_ratio, then devices, TP, PP ascending. The array's stride is
 * out[0].struct_size. The repair is of the layout only: the batch may still
 * not split over the new data-parallel size; trainest_plan_suggest() on the
 * repaired request repairs the batch.
 * @param[out] out Array of at least capacity suggestions (may be NULL if capacity is 0).
 * @param[in] capacity Number of elements in out.
 * @param[out] out_count Suggestions written.
 * @param[in] request The plan request whose layout to repair.
 * @return ::TRAINEST_OK (also with no suggestion), ::TRAINEST_E_NULL,
 *         ::TRAINEST_E_STRUCT_SIZE, ::TRAINEST_E_UNSUPPORTED.
 * @since 0.5.0
 */
TRAINEST_API int trainest_layout_suggest(trainest_layout_suggestion *out, uint32_t capacity,
                                         uint32_t *out_count, const trainest_plan_request *request);

/**
 * @brief Device memory for a whole plan: model states split by TP * PP and
 *        sharded by ZeRO over data_parallel, activations of the micro-batches
 *        in flight.
 *
 * Activations per micro-batch per device are activation_bytes_per_sample *
 * m / (TP * PP) when given, or from the plan's model shape (layers, hidden,
 * attention_heads, seq_len_tokens) by Korthikanti et al. (2022) for Megatron
 * with sequence parallelism: per layer s * m * h * (34 + 5 a s / h) / TP
 * bytes, 34 s m h / TP with selective recompute, 2 s m h / TP with full
 * recompute, for the layers / PP layers of a stage.
 * @pre out->struct_size is set by the caller.
 * @param[out] out The memory breakdown (max_micro_batch for this plan's layout and accumulation).
 * @param[in] request The memory model.
 * @param[in] plan_request The plan (micro-batch, accumulation, layout, model shape).
 * @return ::TRAINEST_OK; any status of trainest_plan_compute() and
 *         trainest_memory_compute(); ::TRAINEST_E_UNDERSPECIFIED when neither
 *         activation_bytes_per_sample nor the model shape is known.
 * @since 0.5.0
 */
TRAINEST_API int trainest_memory_for_plan(trainest_memory *out, const trainest_memory_request *request,
                                          const trainest_plan_request *plan_request);

/**
 * @brief Set a search request to its defaults (max_devices 1, the plan's global batch).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_search_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.5.0
 */
TRAINEST_API int trainest_search_request_init(trainest_search_request *out, uint32_t struct_size);

/**
 * @brief Set a ramp-up request to its defaults (all zero).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_rampup_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.5.0
 */
TRAINEST_API int trainest_rampup_request_init(trainest_rampup_request *out, uint32_t struct_size);

/**
 * @brief Set a critical-batch request to its defaults (all zero).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_critical_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.5.0
 */
TRAINEST_API int trainest_critical_request_init(trainest_critical_request *out, uint32_t struct_size);

/**
 * @brief Set a calibration request to its defaults (fit the optimizer time).
 * @param[out] out The request to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_calibration_request).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.5.0
 */
TRAINEST_API int trainest_calibration_request_init(trainest_calibration_request *out, uint32_t struct_size);
/** @} */

/* ======================================================================== */
/** @name Array element initialisers (since 0.6.0)
 * The measured points that trainest_step_calibrate() and
 * trainest_memory_calibrate() read are input structs too.
 * @{ */

/**
 * @brief Set a step observation to its defaults: struct_size, everything else 0.
 *
 * Initialise element 0 (whose struct_size is the array's stride), or each
 * element, before filling in its measurement.
 * @param[out] out The observation to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_step_observation).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.6.0
 */
TRAINEST_API int trainest_step_observation_init(trainest_step_observation *out, uint32_t struct_size);

/**
 * @brief Set a memory point to its defaults: struct_size, everything else 0.
 * @param[out] out The point to initialise.
 * @param[in] struct_size The caller's sizeof(trainest_memory_point).
 * @return ::TRAINEST_OK, ::TRAINEST_E_NULL or ::TRAINEST_E_STRUCT_SIZE.
 * @since 0.6.0
 */
TRAINEST_API int trainest_memory_point_init(trainest_memory_point *out, uint32_t struct_size);
/** @} */

#ifdef __cplusplus
}
#endif

#endif /* TRAINEST_H */
