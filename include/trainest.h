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
#define TRAINEST_VERSION_MINOR 1
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
    TRAINEST_E_OVERFLOW = -5,         /**< An integer result does not fit in 64 bits. */
    TRAINEST_E_NOT_DIVISIBLE = -6,    /**< The batch does not split evenly and the divisibility policy is ERROR. */
    TRAINEST_E_INCONSISTENT = -7,     /**< global_batch != micro_batch * grad_accum_steps * data_parallel. */
    TRAINEST_E_UNKNOWN_ENUM = -8,     /**< An enum field holds a value this library does not know. */
    TRAINEST_E_UNDERSPECIFIED = -9,   /**< Too few of global_batch, micro_batch, grad_accum_steps are given. */
    TRAINEST_E_EXCEEDS_CAP = -10,     /**< micro_batch is larger than max_micro_batch. */
    TRAINEST_E_NO_STEPS = -11,        /**< The rounding policies leave no optimizer step to take. */
    TRAINEST_E_PRESET_CONFLICT = -12  /**< The preset fixes this policy; leave the field at its DEFAULT value. */
} trainest_status;

/**
 * @brief Identifies the input field a failed call rejected.
 *
 * Output structs carry an `invalid_field` member: when a call fails it names
 * the field to blame (or ::TRAINEST_FIELD_NONE). trainest_field_name() gives
 * the field's name, which is also the member's name in the header.
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
    TRAINEST_FIELD_ACCUM_TAIL = 14        /**< trainest_plan_request::accum_tail */
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
    TRAINEST_STRUCT_PLAN_SUGGESTION = 3 /**< ::trainest_plan_suggestion */
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
 *         ::TRAINEST_E_EXCEEDS_CAP, ::TRAINEST_E_NO_STEPS or
 *         ::TRAINEST_E_PRESET_CONFLICT otherwise.
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
 *         ::TRAINEST_E_ZERO, ::TRAINEST_E_UNKNOWN_ENUM or
 *         ::TRAINEST_E_PRESET_CONFLICT for requests too broken to repair.
 * @since 0.1.0
 */
TRAINEST_API int trainest_plan_suggest(trainest_plan_suggestion *out, uint32_t capacity,
                                       uint32_t *out_count, const trainest_plan_request *request);

#ifdef __cplusplus
}
#endif

#endif /* TRAINEST_H */
