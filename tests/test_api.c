/* SPDX-License-Identifier: MIT */
/* The ABI contract: versions, status and field names, struct sizes, and the
 * struct_size rules for reading inputs and writing outputs (docs/ABI.md).
 * Built twice: against the static library and against the shared one. */
#include <limits.h>
#include <string.h>

#include "testutil.h"

/* Every status the header declares, in order. */
static const int all_statuses[] = {
    TRAINEST_OK,
    TRAINEST_E_NULL,
    TRAINEST_E_STRUCT_SIZE,
    TRAINEST_E_UNSUPPORTED,
    TRAINEST_E_ZERO,
    TRAINEST_E_OVERFLOW,
    TRAINEST_E_NOT_DIVISIBLE,
    TRAINEST_E_INCONSISTENT,
    TRAINEST_E_UNKNOWN_ENUM,
    TRAINEST_E_UNDERSPECIFIED,
    TRAINEST_E_EXCEEDS_CAP,
    TRAINEST_E_NO_STEPS,
    TRAINEST_E_PRESET_CONFLICT,
    TRAINEST_E_NOT_FINITE,
    TRAINEST_E_OUT_OF_RANGE,
    TRAINEST_E_TOO_FEW_POINTS,
    TRAINEST_E_UNIDENTIFIABLE,
    TRAINEST_E_BAD_LAYOUT,
};
#define N_STATUSES (sizeof all_statuses / sizeof all_statuses[0])

/* The highest trainest_field of this release. */
#define TRAINEST_LAST_FIELD TRAINEST_FIELD_LOADER_SECONDS

static void test_version_header_matches_runtime(void **state)
{
    (void)state;
    assert_int_equal(trainest_version(), TRAINEST_VERSION_NUMBER);
    assert_string_equal(trainest_version_string(), TRAINEST_VERSION_STRING);
    assert_int_equal(TRAINEST_VERSION_NUMBER, TRAINEST_VERSION_MAJOR * 10000 +
                                                  TRAINEST_VERSION_MINOR * 100 +
                                                  TRAINEST_VERSION_PATCH);
}

static void test_status_values_are_frozen(void **state)
{
    (void)state;
    /* Statuses are never renumbered: value i of the list is -i. */
    for (size_t i = 0; i < N_STATUSES; i++)
        assert_int_equal(all_statuses[i], -(int)i);
}

static void test_status_name_and_strerror_cover_every_status(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_STATUSES; i++) {
        const char *name = trainest_status_name(all_statuses[i]);
        const char *text = trainest_strerror(all_statuses[i]);
        assert_non_null(name);
        assert_non_null(text);
        assert_true(strncmp(name, "TRAINEST_", 9) == 0);
        assert_string_not_equal(name, "TRAINEST_E_UNKNOWN_STATUS");
        assert_string_not_equal(text, "unknown status");
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(name, trainest_status_name(all_statuses[j]));
            assert_string_not_equal(text, trainest_strerror(all_statuses[j]));
        }
    }
    assert_string_equal(trainest_status_name(TRAINEST_E_NOT_DIVISIBLE),
                        "TRAINEST_E_NOT_DIVISIBLE");
    assert_string_equal(trainest_status_name(TRAINEST_OK), "TRAINEST_OK");
}

static void test_status_name_unknown_values(void **state)
{
    (void)state;
    const int unknown[] = {1, -(int)N_STATUSES, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        assert_string_equal(trainest_status_name(unknown[i]), "TRAINEST_E_UNKNOWN_STATUS");
        assert_string_equal(trainest_strerror(unknown[i]), "unknown status");
    }
}

static void test_field_name_every_field(void **state)
{
    (void)state;
    assert_string_equal(trainest_field_name(TRAINEST_FIELD_NONE), "none");
    assert_string_equal(trainest_field_name(TRAINEST_FIELD_GLOBAL_BATCH), "global_batch");
    assert_string_equal(trainest_field_name(TRAINEST_FIELD_GRAD_ACCUM_STEPS), "grad_accum_steps");
    assert_string_equal(trainest_field_name(TRAINEST_FIELD_ACCUM_TAIL), "accum_tail");
    assert_string_equal(trainest_field_name(TRAINEST_FIELD_BUS_BYTES_PER_S), "bus_bytes_per_s");
    assert_string_equal(trainest_field_name(TRAINEST_FIELD_OBSERVATION_STEP_S),
                        "observation.step_s");
    for (uint32_t f = TRAINEST_FIELD_NONE; f <= TRAINEST_LAST_FIELD; f++) {
        assert_string_not_equal(trainest_field_name(f), "unknown");
        for (uint32_t g = 0; g < f; g++)
            assert_string_not_equal(trainest_field_name(f), trainest_field_name(g));
    }
    assert_string_equal(trainest_field_name(TRAINEST_LAST_FIELD + 1), "unknown");
    assert_string_equal(trainest_field_name(UINT32_MAX), "unknown");
}

static void test_struct_size_reports_sizeof(void **state)
{
    (void)state;
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_PLAN_REQUEST),
                     sizeof(trainest_plan_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_PLAN), sizeof(trainest_plan));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_PLAN_SUGGESTION),
                     sizeof(trainest_plan_suggestion));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_ESTIMATE_REQUEST),
                     sizeof(trainest_estimate_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_ESTIMATE), sizeof(trainest_estimate));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_STEP_OBSERVATION),
                     sizeof(trainest_step_observation));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_CALIBRATION_REQUEST),
                     sizeof(trainest_calibration_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_STEP_FIT), sizeof(trainest_step_fit));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_TRADEOFF), sizeof(trainest_tradeoff));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_TRADEOFF_POINT),
                     sizeof(trainest_tradeoff_point));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_MEMORY_REQUEST),
                     sizeof(trainest_memory_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_MEMORY), sizeof(trainest_memory));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_MEMORY_POINT),
                     sizeof(trainest_memory_point));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_MEMORY_FIT), sizeof(trainest_memory_fit));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_SEARCH_REQUEST),
                     sizeof(trainest_search_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_SEARCH), sizeof(trainest_search));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_SEARCH_RESULT),
                     sizeof(trainest_search_result));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_FAILURE_REQUEST), sizeof(trainest_failure_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_FAILURE), sizeof(trainest_failure));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_RAMPUP_REQUEST), sizeof(trainest_rampup_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_RAMPUP), sizeof(trainest_rampup));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_CRITICAL_REQUEST), sizeof(trainest_critical_request));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_CRITICAL), sizeof(trainest_critical));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_ETA_CONFIG), sizeof(trainest_eta_config));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_ETA), sizeof(trainest_eta));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_ETA_REPORT), sizeof(trainest_eta_report));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_LAYOUT_SUGGESTION),
                     sizeof(trainest_layout_suggestion));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_LOADER_OBSERVATION),
                     sizeof(trainest_loader_observation));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_LOADER_FIT), sizeof(trainest_loader_fit));
    assert_int_equal(trainest_struct_size(TRAINEST_STRUCT_LOADER_FIT + 1), 0);
    assert_int_equal(trainest_struct_size(0), 0);
    assert_int_equal(trainest_struct_size(9999), 0);
}

static void test_struct_layout_is_frozen(void **state)
{
    (void)state;
    /* The 0.1 layouts: offsets a binding compiled against 0.1 relies on
     * (0.5 appended to the plan request and the plan). */
    assert_int_equal(sizeof(trainest_plan_request), 152);
    assert_int_equal(offsetof(trainest_plan_request, tensor_parallel), 88);
    assert_int_equal(offsetof(trainest_plan_request, samples), 8);
    assert_int_equal(offsetof(trainest_plan_request, seq_len_tokens), 64);
    assert_int_equal(offsetof(trainest_plan_request, accum_tail), 84);
    assert_int_equal(sizeof(trainest_plan), 248);
    assert_int_equal(offsetof(trainest_plan, tensor_parallel), 208);
    assert_int_equal(offsetof(trainest_plan, requested_global_batch), 32);
    assert_int_equal(offsetof(trainest_plan, total_tokens), 200);
    assert_int_equal(sizeof(trainest_plan_suggestion), 48);
    assert_int_equal(offsetof(trainest_plan_suggestion, distance_ratio), 8);
    /* The 0.2 layouts. */
    assert_int_equal(sizeof(trainest_estimate_request), 288); /* 240 in 0.2, 264 in 0.5, 272 in 0.6 */
    assert_int_equal(offsetof(trainest_estimate_request, activation_bytes_per_element), 240);
    assert_int_equal(offsetof(trainest_estimate_request, params), 48);
    assert_int_equal(offsetof(trainest_estimate_request, recompute), 112);
    assert_int_equal(offsetof(trainest_estimate_request, startup_s), 232);
    assert_int_equal(sizeof(trainest_estimate), 224);
    assert_int_equal(offsetof(trainest_estimate, bubble_ratio), 184);
    assert_int_equal(offsetof(trainest_estimate, total_s), 64);
    assert_int_equal(sizeof(trainest_step_observation), 32);
    assert_int_equal(sizeof(trainest_calibration_request), 16);
    assert_int_equal(sizeof(trainest_step_fit), 80);
    assert_int_equal(sizeof(trainest_tradeoff), 56);
    assert_int_equal(sizeof(trainest_tradeoff_point), 40);
    /* The 0.3 layouts. */
    assert_int_equal(sizeof(trainest_memory_request), 80);
    assert_int_equal(offsetof(trainest_memory_request, recompute), 72);
    assert_int_equal(offsetof(trainest_memory_request, headroom_ratio), 64);
    assert_int_equal(sizeof(trainest_memory), 104);
    assert_int_equal(sizeof(trainest_memory_point), 24);
    assert_int_equal(sizeof(trainest_memory_fit), 48);
    assert_int_equal(sizeof(trainest_search_request), 64);
    assert_int_equal(sizeof(trainest_search), 64);
    assert_int_equal(sizeof(trainest_search_result), 96);
    assert_int_equal(offsetof(trainest_search_result, total_s), 72);
    /* The 0.4 layouts. */
    assert_int_equal(sizeof(trainest_failure_request), 72);
    assert_int_equal(sizeof(trainest_failure), 104);
    assert_int_equal(sizeof(trainest_rampup_request), 32);
    assert_int_equal(sizeof(trainest_rampup), 80);
    assert_int_equal(sizeof(trainest_critical_request), 40);
    assert_int_equal(sizeof(trainest_critical), 112);
    assert_int_equal(sizeof(trainest_eta_config), 96);
    assert_int_equal(sizeof(trainest_eta), 368); /* 304 in 0.4, 312 in 0.5 */
    assert_int_equal(sizeof(trainest_eta_report), 136);
    assert_int_equal(offsetof(trainest_eta, config), 8);
    /* The 0.5 layouts. */
    assert_int_equal(sizeof(trainest_layout_suggestion), 48);
    assert_int_equal(offsetof(trainest_eta, invalid_field), 304);
    /* The 0.6 layouts. */
    assert_int_equal(offsetof(trainest_eta, total_samples), 312);
    assert_int_equal(offsetof(trainest_eta, fit_cov_s), 360);
    assert_int_equal(offsetof(trainest_estimate_request, comm_activation_bytes_per_sample), 264);
    /* The 0.7 layouts. */
    assert_int_equal(offsetof(trainest_estimate_request, data_worker_startup_s), 272);
    assert_int_equal(offsetof(trainest_estimate_request, data_persistent_workers), 280);
    assert_int_equal(sizeof(trainest_loader_observation), 40);
    assert_int_equal(offsetof(trainest_loader_observation, seconds), 32);
    assert_int_equal(sizeof(trainest_loader_fit), 56);
    assert_int_equal(offsetof(trainest_loader_fit, worker_startup_s), 16);
    assert_int_equal(offsetof(trainest_loader_fit, observations), 48);
}

/* A caller built against 0.1 passes the 0.1 sizes: 88-byte requests and
 * 208-byte plans. Its request is zero-extended (no model parallelism) and
 * its plan gets the first 208 bytes, the same values a new caller sees. */
static void test_release_0_1_caller_still_works(void **state)
{
    (void)state;
    unsigned char old_rq[88], old_plan[208 + 8];
    trainest_plan_request rq = tu_request(1000, 64, 16, 0, 2);
    rq.epochs = 3;
    memcpy(old_rq, &rq, sizeof old_rq);
    const uint32_t rq_size = 88, plan_size = 208;
    memcpy(old_rq, &rq_size, sizeof rq_size);
    memset(old_plan, 0xAB, sizeof old_plan);
    memcpy(old_plan, &plan_size, sizeof plan_size);
    assert_int_equal(trainest_plan_compute((trainest_plan *)(void *)old_plan,
                                           (const trainest_plan_request *)(const void *)old_rq),
                     TRAINEST_OK);
    trainest_plan now;
    assert_int_equal(tu_plan(&now, &rq), TRAINEST_OK);
    assert_int_equal(now.tensor_parallel, 1);
    assert_int_equal(now.devices, 2);
    memcpy(&now, &plan_size, sizeof plan_size); /* compare all but the size */
    assert_memory_equal(old_plan, &now, 208);
    for (size_t i = 208; i < sizeof old_plan; i++)
        assert_int_equal(old_plan[i], 0xAB); /* nothing past its struct_size */
    /* and an init for the old size leaves the rest of the caller alone */
    unsigned char buf[88 + 8];
    memset(buf, 0xCD, sizeof buf);
    assert_int_equal(trainest_plan_request_init((trainest_plan_request *)(void *)buf, 88), TRAINEST_OK);
    for (size_t i = 88; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xCD);
}

static void test_request_init_defaults(void **state)
{
    (void)state;
    trainest_plan_request rq;
    memset(&rq, 0xFF, sizeof rq);
    assert_int_equal(trainest_plan_request_init(&rq, sizeof rq), TRAINEST_OK);
    assert_int_equal(rq.struct_size, sizeof rq);
    assert_int_equal(rq.preset, TRAINEST_PRESET_PLAIN);
    assert_int_equal(rq.data_parallel, 1);
    assert_int_equal(rq.epochs, 1);
    assert_int_equal(rq.samples, 0);
    assert_int_equal(rq.global_batch, 0);
    assert_int_equal(rq.micro_batch, 0);
    assert_int_equal(rq.grad_accum_steps, 0);
    assert_int_equal(rq.max_micro_batch, 0);
    assert_int_equal(rq.seq_len_tokens, 0);
    assert_int_equal(rq.divisibility, TRAINEST_DIVISIBILITY_ERROR);
    assert_int_equal(rq.sampler, TRAINEST_SAMPLER_DEFAULT);
    assert_int_equal(rq.last_micro_batch, TRAINEST_LAST_MICRO_BATCH_DEFAULT);
    assert_int_equal(rq.accum_tail, TRAINEST_ACCUM_TAIL_DEFAULT);
}

/* The array elements' initialisers (0.6): struct_size, the rest zero. */
static void test_element_init(void **state)
{
    (void)state;
    trainest_step_observation o;
    memset(&o, 0xFF, sizeof o);
    assert_int_equal(trainest_step_observation_init(&o, sizeof o), TRAINEST_OK);
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(o.reserved0, 0);
    assert_int_equal(o.micro_batch, 0);
    assert_int_equal(o.grad_accum_steps, 0);
    assert_true(o.step_s == 0);
    trainest_memory_point p;
    memset(&p, 0xFF, sizeof p);
    assert_int_equal(trainest_memory_point_init(&p, sizeof p), TRAINEST_OK);
    assert_int_equal(p.struct_size, sizeof p);
    assert_int_equal(p.reserved0, 0);
    assert_int_equal(p.micro_batch, 0);
    assert_int_equal(p.peak_bytes, 0);
    assert_int_equal(trainest_step_observation_init(NULL, sizeof o), TRAINEST_E_NULL);
    assert_int_equal(trainest_memory_point_init(NULL, sizeof p), TRAINEST_E_NULL);
    assert_int_equal(trainest_step_observation_init(&o, sizeof o - 1), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_memory_point_init(&p, sizeof p - 1), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_step_observation_init(&o, UINT32_MAX), TRAINEST_E_STRUCT_SIZE);
    /* initialised elements, filled in, calibrate */
    trainest_memory_point pts[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(trainest_memory_point_init(&pts[i], sizeof pts[i]), TRAINEST_OK);
        pts[i].micro_batch = 1 + (uint64_t)i;
        pts[i].peak_bytes = 1000 + 100 * (uint64_t)i;
    }
    trainest_memory_fit fit;
    fit.struct_size = sizeof fit;
    assert_int_equal(trainest_memory_calibrate(&fit, pts, 2), TRAINEST_OK);
    assert_int_equal(fit.static_bytes, 900);
    assert_int_equal(fit.per_sample_bytes, 100);
}

static void test_request_init_rejects_bad_size(void **state)
{
    (void)state;
    trainest_plan_request rq;
    assert_int_equal(trainest_plan_request_init(NULL, sizeof rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_plan_request_init(&rq, 0), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(trainest_plan_request_init(&rq, 87), TRAINEST_E_STRUCT_SIZE); /* below 0.1 */
    assert_int_equal(trainest_plan_request_init(&rq, UINT32_MAX), TRAINEST_E_STRUCT_SIZE);
}

/* A newer caller's bigger struct: init zeroes the tail it does not know. */
static void test_request_init_zeroes_unknown_tail(void **state)
{
    (void)state;
    unsigned char buf[sizeof(trainest_plan_request) + 24];
    memset(buf, 0xCC, sizeof buf);
    trainest_plan_request *rq = (trainest_plan_request *)(void *)buf;
    assert_int_equal(trainest_plan_request_init(rq, sizeof buf - 8), TRAINEST_OK);
    assert_int_equal(rq->struct_size, sizeof buf - 8);
    for (size_t i = sizeof(trainest_plan_request); i < sizeof buf - 8; i++)
        assert_int_equal(buf[i], 0);
    for (size_t i = sizeof buf - 8; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xCC); /* nothing past struct_size */
}

static void test_compute_null_arguments(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 10, 0, 0, 1);
    trainest_plan p;
    p.struct_size = sizeof p;
    assert_int_equal(trainest_plan_compute(NULL, &rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_plan_compute(&p, NULL), TRAINEST_E_NULL);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_NONE);
}

static void test_compute_request_struct_size_rules(void **state)
{
    (void)state;
    trainest_plan p;
    /* Too small and absurdly large sizes fail. */
    trainest_plan_request rq = tu_request(1000, 10, 0, 0, 1);
    rq.struct_size = 8;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_STRUCT_SIZE);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_STRUCT_SIZE);
    rq.struct_size = UINT32_MAX;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_STRUCT_SIZE);

    /* A newer caller with a zero tail is accepted; a non-zero tail is not. */
    struct {
        trainest_plan_request rq;
        uint64_t future[3];
    } big;
    memset(&big, 0, sizeof big);
    big.rq = tu_request(1000, 10, 0, 0, 1);
    big.rq.struct_size = sizeof big;
    assert_int_equal(tu_plan(&p, &big.rq), TRAINEST_OK);
    assert_int_equal(p.optimizer_steps_per_epoch, 100);
    big.future[2] = 1;
    assert_int_equal(tu_plan(&p, &big.rq), TRAINEST_E_UNSUPPORTED);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_STRUCT_SIZE);
    assert_int_equal(p.optimizer_steps_per_epoch, 0);
}

static void test_compute_output_struct_size_rules(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 10, 0, 0, 1);
    trainest_plan p;
    memset(&p, 0x5A, sizeof p);
    p.struct_size = 16;
    assert_int_equal(trainest_plan_compute(&p, &rq), TRAINEST_E_STRUCT_SIZE);
    /* Nothing was written: the bytes after struct_size are untouched. */
    const unsigned char *raw = (const unsigned char *)&p;
    for (size_t i = sizeof p.struct_size; i < sizeof p; i++)
        assert_int_equal(raw[i], 0x5A);
    p.struct_size = UINT32_MAX;
    assert_int_equal(trainest_plan_compute(&p, &rq), TRAINEST_E_STRUCT_SIZE);
}

/* A newer caller's bigger output: the library fills what it knows, zeroes
 * the rest of struct_size, and writes nothing beyond. */
static void test_compute_output_bigger_caller_gets_zero_tail(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 10, 0, 2, 1);
    unsigned char buf[sizeof(trainest_plan) + 32];
    memset(buf, 0xEE, sizeof buf);
    trainest_plan *p = (trainest_plan *)(void *)buf;
    const uint32_t size = sizeof(trainest_plan) + 16;
    memcpy(buf, &size, sizeof size);
    assert_int_equal(trainest_plan_compute(p, &rq), TRAINEST_OK);
    assert_int_equal(p->struct_size, size);
    assert_int_equal(p->micro_batch, 5);
    for (size_t i = sizeof(trainest_plan); i < size; i++)
        assert_int_equal(buf[i], 0);
    for (size_t i = size; i < sizeof buf; i++)
        assert_int_equal(buf[i], 0xEE);
}

/* Failures write a zeroed plan with only struct_size and invalid_field set. */
static void test_compute_failure_zeroes_output(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 10, 3, 0, 1);
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    assert_int_equal(p.struct_size, sizeof p);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_GLOBAL_BATCH);
    trainest_plan zero;
    memset(&zero, 0, sizeof zero);
    zero.struct_size = p.struct_size;
    zero.invalid_field = p.invalid_field;
    assert_memory_equal(&p, &zero, sizeof p);
}

/* The request is const: the library never writes to it. */
static void test_compute_leaves_request_untouched(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 0, 3, 2, 4);
    trainest_plan_request copy = rq;
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_memory_equal(&rq, &copy, sizeof rq);
}

static void test_suggest_null_and_sizes(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 10, 3, 0, 1);
    trainest_plan_suggestion s[4];
    uint32_t n = 99;
    s[0].struct_size = sizeof s[0];
    assert_int_equal(trainest_plan_suggest(s, 4, NULL, &rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_plan_suggest(NULL, 4, &n, &rq), TRAINEST_E_NULL);
    assert_int_equal(n, 0);
    assert_int_equal(trainest_plan_suggest(s, 4, &n, NULL), TRAINEST_E_NULL);
    assert_int_equal(trainest_plan_suggest(NULL, 0, &n, &rq), TRAINEST_OK);
    assert_int_equal(n, 0);
    s[0].struct_size = 4;
    assert_int_equal(trainest_plan_suggest(s, 4, &n, &rq), TRAINEST_E_STRUCT_SIZE);
}

/* An older caller's smaller suggestion struct: the stride is its size and
 * no element is written past it. */
static void test_suggest_uses_caller_stride(void **state)
{
    (void)state;
    trainest_plan_request rq = tu_request(1000, 10, 3, 0, 1);
    enum { STRIDE = sizeof(trainest_plan_suggestion) + 8, CAP = 3 };
    unsigned char buf[STRIDE * CAP + 16];
    memset(buf, 0x77, sizeof buf);
    const uint32_t stride = STRIDE;
    memcpy(buf, &stride, sizeof stride);
    uint32_t n = 0;
    assert_int_equal(trainest_plan_suggest((trainest_plan_suggestion *)(void *)buf, CAP, &n, &rq),
                     TRAINEST_OK);
    assert_int_equal(n, CAP);
    for (unsigned i = 0; i < CAP; i++) {
        trainest_plan_suggestion s;
        memcpy(&s, buf + i * STRIDE, sizeof s);
        assert_int_equal(s.struct_size, STRIDE);
        assert_int_equal(s.data_parallel, 1);
        assert_int_equal(s.global_batch, s.micro_batch * s.grad_accum_steps);
        for (size_t k = sizeof s; k < STRIDE; k++)
            assert_int_equal(buf[i * STRIDE + k], 0); /* unknown tail zeroed */
    }
    for (size_t k = STRIDE * CAP; k < sizeof buf; k++)
        assert_int_equal(buf[k], 0x77);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_header_matches_runtime),
        cmocka_unit_test(test_status_values_are_frozen),
        cmocka_unit_test(test_status_name_and_strerror_cover_every_status),
        cmocka_unit_test(test_status_name_unknown_values),
        cmocka_unit_test(test_field_name_every_field),
        cmocka_unit_test(test_struct_size_reports_sizeof),
        cmocka_unit_test(test_struct_layout_is_frozen),
        cmocka_unit_test(test_release_0_1_caller_still_works),
        cmocka_unit_test(test_request_init_defaults),
        cmocka_unit_test(test_element_init),
        cmocka_unit_test(test_request_init_rejects_bad_size),
        cmocka_unit_test(test_request_init_zeroes_unknown_tail),
        cmocka_unit_test(test_compute_null_arguments),
        cmocka_unit_test(test_compute_request_struct_size_rules),
        cmocka_unit_test(test_compute_output_struct_size_rules),
        cmocka_unit_test(test_compute_output_bigger_caller_gets_zero_tail),
        cmocka_unit_test(test_compute_failure_zeroes_output),
        cmocka_unit_test(test_compute_leaves_request_untouched),
        cmocka_unit_test(test_suggest_null_and_sizes),
        cmocka_unit_test(test_suggest_uses_caller_stride),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
