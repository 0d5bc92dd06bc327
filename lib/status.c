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
    X(TRAINEST_E_OVERFLOW, "an integer result does not fit in 64 bits")                        \
    X(TRAINEST_E_NOT_DIVISIBLE,                                                                \
      "the global batch does not split evenly into micro-batches, accumulation steps and "    \
      "replicas")                                                                              \
    X(TRAINEST_E_INCONSISTENT,                                                                 \
      "global_batch is not micro_batch * grad_accum_steps * data_parallel")                   \
    X(TRAINEST_E_UNKNOWN_ENUM, "an enum field holds an unknown value")                        \
    X(TRAINEST_E_UNDERSPECIFIED,                                                               \
      "too few of global_batch, micro_batch and grad_accum_steps are given")                  \
    X(TRAINEST_E_EXCEEDS_CAP, "micro_batch is larger than max_micro_batch")                   \
    X(TRAINEST_E_NO_STEPS, "the rounding policies leave no optimizer step in the run")       \
    X(TRAINEST_E_PRESET_CONFLICT,                                                              \
      "the preset fixes this policy; leave the field at its DEFAULT value")

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
    }
    return 0;
}
