/* SPDX-License-Identifier: MIT */
/* The memory model: ZeRO sharding arithmetic, the budget boundary, overflow
 * with huge parameter counts, the fit of measured peaks, and the check
 * against the H200 measurements in tests/data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "testutil.h"

static trainest_memory_request request(uint64_t params)
{
    trainest_memory_request rq;
    assert_int_equal(trainest_memory_request_init(&rq, sizeof rq), TRAINEST_OK);
    rq.params = params;
    return rq;
}

static int memory(trainest_memory *m, const trainest_memory_request *rq, uint64_t micro,
                  uint64_t R)
{
    memset(m, 0x6B, sizeof *m);
    m->struct_size = sizeof *m;
    return trainest_memory_compute(m, rq, micro, R);
}

static void test_memory_defaults_are_mixed_precision_adam(void **state)
{
    (void)state;
    trainest_memory_request rq = request(1000000000);
    assert_int_equal(rq.weight_bits_per_param, 16);
    assert_int_equal(rq.grad_bits_per_param, 16);
    assert_int_equal(rq.optimizer_bits_per_param, 96);
    assert_int_equal(rq.zero_stage, 0);
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, UINT64_C(16000000000)); /* 16 bytes per parameter */
}

static void test_memory_zero_stages_shard_over_replicas(void **state)
{
    (void)state;
    trainest_memory_request rq = request(UINT64_C(1000000000));
    trainest_memory m;
    const uint64_t w = UINT64_C(2000000000), g = w, o = UINT64_C(12000000000);
    const struct {
        uint32_t stage;
        uint64_t weights, grads, optimizer;
    } cases[] = {
        {0, w, g, o},
        {1, w, g, o / 8},
        {2, w, g / 8, o / 8},
        {3, w / 8, g / 8, o / 8},
    };
    for (size_t i = 0; i < 4; i++) {
        rq.zero_stage = cases[i].stage;
        assert_int_equal(memory(&m, &rq, 0, 8), TRAINEST_OK);
        assert_int_equal(m.weights_bytes, cases[i].weights);
        assert_int_equal(m.grads_bytes, cases[i].grads);
        assert_int_equal(m.optimizer_bytes, cases[i].optimizer);
        assert_int_equal(m.static_bytes, cases[i].weights + cases[i].grads + cases[i].optimizer);
    }
    /* one replica: nothing to shard over */
    rq.zero_stage = 3;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, w + g + o);
}

/* ZeRO pads its flat buffer: every shard holds ceil(params / R) elements,
 * and a shard's bits round up to whole bytes. */
static void test_memory_sharding_rounds_up(void **state)
{
    (void)state;
    trainest_memory_request rq = request(10);
    rq.zero_stage = 3;
    rq.weight_bits_per_param = 4; /* 4-bit weights */
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 0, 3), TRAINEST_OK);
    assert_int_equal(m.weights_bytes, 2);    /* 4 elements x 4 bits */
    assert_int_equal(m.grads_bytes, 8);      /* 4 x 16 bits */
    assert_int_equal(m.optimizer_bytes, 48); /* 4 x 96 bits */
    rq.weight_bits_per_param = 3;
    assert_int_equal(memory(&m, &rq, 0, 3), TRAINEST_OK);
    assert_int_equal(m.weights_bytes, 2); /* 12 bits -> 2 bytes */
    /* exhaustive: per-device bytes = ceil(ceil(P / R) * bits / 8) */
    for (uint64_t P = 1; P <= 50; P++)
        for (uint64_t R = 1; R <= 9; R++)
            for (uint32_t bits = 1; bits <= 40; bits += 3) {
                rq.params = P;
                rq.weight_bits_per_param = bits;
                assert_int_equal(memory(&m, &rq, 0, R), TRAINEST_OK);
                uint64_t el = (P + R - 1) / R;
                assert_int_equal(m.weights_bytes, (el * bits + 7) / 8);
            }
}

static void test_memory_budget_boundary(void **state)
{
    (void)state;
    trainest_memory_request rq = request(0);
    rq.static_bytes = 50;
    rq.activation_bytes_per_sample = 10;
    rq.device_memory_bytes = 100;
    rq.headroom_ratio = 0.1;
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 4, 1), TRAINEST_OK);
    assert_int_equal(m.budget_bytes, 90);
    assert_int_equal(m.max_micro_batch, 4);
    assert_int_equal(m.total_bytes, 90);
    assert_int_equal(m.fits, 1); /* exactly at the limit fits */
    assert_close(m.headroom_ratio, 0.1, 1e-12);
    assert_int_equal(memory(&m, &rq, 5, 1), TRAINEST_OK);
    assert_int_equal(m.fits, 0); /* one more does not */
    assert_close(m.headroom_ratio, 0.0, 0);
    assert_int_equal(memory(&m, &rq, 6, 1), TRAINEST_OK);
    assert_close(m.headroom_ratio, -0.1, 1e-12);
    /* exhaustive: max_micro_batch is exactly the largest m that fits */
    for (uint64_t dev = 1; dev <= 300; dev += 7)
        for (int h = 0; h < 10; h++)
            for (uint64_t per = 1; per <= 30; per += 4) {
                rq.device_memory_bytes = dev;
                rq.headroom_ratio = h / 10.0;
                rq.activation_bytes_per_sample = per;
                assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
                uint64_t budget = (uint64_t)floor((double)dev * (1 - h / 10.0) + 1e-9);
                assert_int_equal(m.budget_bytes, budget);
                uint64_t mm = m.max_micro_batch;
                if (mm) {
                    assert_int_equal(memory(&m, &rq, mm, 1), TRAINEST_OK);
                    assert_int_equal(m.fits, 1);
                }
                assert_int_equal(memory(&m, &rq, mm + 1, 1), TRAINEST_OK);
                assert_int_equal(m.fits, 0);
            }
    /* the budget is integer arithmetic: exact for 64-bit devices too, and
     * decimal ratios land on the integer they name */
    static const struct {
        uint64_t device;
        double headroom;
        uint64_t budget;
    } cases[] = {
        {100, 0.3, 70},
        {100, 0.7, 30},
        {UINT64_MAX, 0.25, UINT64_C(13835058055282163711)}, /* floor(3 (2^64 - 1) / 4) */
        {UINT64_MAX, 0.5, UINT64_MAX / 2},            /* floor((2^64 - 1) / 2): .5 stays down */
        {(UINT64_C(1) << 63) + 1, 0.5, UINT64_C(1) << 62}, /* 2^62 + 0.5 floors */
        {UINT64_C(150109880320), 0.1, UINT64_C(135098892288)},
        {100, 0.1, 90},
        {UINT64_MAX, 0.1, UINT64_C(16602069666338596863)},
        {UINT64_MAX, 0x1p-60, UINT64_MAX}, /* 1 - 2^-60 is 1 in binary */
        {1000, 0.0005, 999},               /* 999.5: no rounding error to forgive */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rq.device_memory_bytes = cases[i].device;
        rq.headroom_ratio = cases[i].headroom;
        assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
        assert_int_equal(m.budget_bytes, cases[i].budget);
    }
}

static void test_memory_unlimited_and_static_too_big(void **state)
{
    (void)state;
    trainest_memory_request rq = request(1000);
    rq.activation_bytes_per_sample = 5;
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 1000, 1), TRAINEST_OK);
    assert_int_equal(m.budget_bytes, UINT64_MAX);
    assert_int_equal(m.max_micro_batch, UINT64_MAX);
    assert_int_equal(m.fits, 1);
    rq.device_memory_bytes = 100; /* 16000 static bytes */
    assert_int_equal(memory(&m, &rq, 1, 1), TRAINEST_OK);
    assert_int_equal(m.max_micro_batch, 0);
    assert_int_equal(m.fits, 0);
}

static void test_memory_overflow_with_huge_params(void **state)
{
    (void)state;
    /* 16 bytes per parameter: the largest count that fits, and one more */
    const uint64_t P = UINT64_MAX / 16;
    trainest_memory_request rq = request(P);
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, P * 16);
    rq.overhead_bytes = UINT64_MAX - P * 16;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, UINT64_MAX);
    rq.overhead_bytes++;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_MEMORY_PARAMS);
    rq.overhead_bytes = 0;
    rq.params = UINT64_MAX;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    /* sharded over enough replicas it fits again */
    rq.zero_stage = 3;
    assert_int_equal(memory(&m, &rq, 0, 32), TRAINEST_OK);
    assert_int_equal(m.weights_bytes, ((UINT64_MAX / 32) + 1) * 2);
    /* activations: per sample x micro-batch */
    rq = request(0);
    rq.activation_bytes_per_sample = UINT64_C(1) << 40;
    assert_int_equal(memory(&m, &rq, UINT64_C(1) << 23, 1), TRAINEST_OK);
    assert_int_equal(memory(&m, &rq, UINT64_C(1) << 24, 1), TRAINEST_E_OVERFLOW);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE);
}

static void test_memory_bad_input(void **state)
{
    (void)state;
    trainest_memory_request rq = request(1000);
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 1, 0), TRAINEST_E_ZERO);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_DATA_PARALLEL);
    rq.zero_stage = 4;
    assert_int_equal(memory(&m, &rq, 1, 1), TRAINEST_E_UNKNOWN_ENUM);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_ZERO_STAGE);
    rq = request(1000);
    rq.static_bytes = 10;
    assert_int_equal(memory(&m, &rq, 1, 1), TRAINEST_E_INCONSISTENT);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_STATIC_BYTES);
    rq = request(1000);
    const double bad[] = {NAN, INFINITY, -0.01, 1.0, 2.0};
    const int st[] = {TRAINEST_E_NOT_FINITE, TRAINEST_E_NOT_FINITE, TRAINEST_E_OUT_OF_RANGE,
                      TRAINEST_E_OUT_OF_RANGE, TRAINEST_E_OUT_OF_RANGE};
    for (int i = 0; i < 5; i++) {
        rq.headroom_ratio = bad[i];
        assert_int_equal(memory(&m, &rq, 1, 1), st[i]);
        assert_int_equal(m.invalid_field, TRAINEST_FIELD_HEADROOM_RATIO);
    }
    rq = request(1000);
    rq.reserved0 = 1;
    assert_int_equal(memory(&m, &rq, 1, 1), TRAINEST_E_UNSUPPORTED);
    assert_int_equal(trainest_memory_compute(&m, NULL, 1, 1), TRAINEST_E_NULL);
    assert_int_equal(trainest_memory_compute(NULL, &rq, 1, 1), TRAINEST_E_NULL);
    assert_int_equal(trainest_memory_request_init(&rq, 8), TRAINEST_E_STRUCT_SIZE);
}

/* ---- Fitting measured peaks -------------------------------------------------- */

static int fit(trainest_memory_fit *f, const trainest_memory_point *p, uint32_t n)
{
    memset(f, 0x3D, sizeof *f);
    f->struct_size = sizeof *f;
    return trainest_memory_calibrate(f, p, n);
}

static trainest_memory_point pt(uint64_t m, uint64_t peak)
{
    trainest_memory_point p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.micro_batch = m;
    p.peak_bytes = peak;
    return p;
}

static void test_memory_fit_recovers_known_parameters(void **state)
{
    (void)state;
    trainest_memory_point p[8];
    for (int i = 0; i < 8; i++)
        p[i] = pt(UINT64_C(1) << i, UINT64_C(532113408) + (UINT64_C(962700000) << i));
    trainest_memory_fit f;
    assert_int_equal(fit(&f, p, 8), TRAINEST_OK);
    assert_int_equal(f.static_bytes, 532113408);
    assert_int_equal(f.per_sample_bytes, 962700000);
    assert_true(f.max_residual_ratio < 1e-9);
    assert_int_equal(f.points, 8);
    /* an outlier does not move a robust fit */
    p[3].peak_bytes *= 2;
    assert_int_equal(fit(&f, p, 8), TRAINEST_OK);
    assert_true(f.static_bytes >= 532113000 && f.static_bytes <= 532114000);
    assert_true(f.per_sample_bytes >= 962699000 && f.per_sample_bytes <= 962701000);
}

static void test_memory_fit_degenerate(void **state)
{
    (void)state;
    trainest_memory_point p[4] = {pt(8, 100), pt(8, 120), pt(8, 110), pt(16, 90)};
    trainest_memory_fit f;
    assert_int_equal(fit(&f, p, 3), TRAINEST_E_TOO_FEW_POINTS);
    assert_int_equal(f.invalid_field, TRAINEST_FIELD_MEMORY_POINTS);
    assert_int_equal(fit(&f, p, 1), TRAINEST_E_TOO_FEW_POINTS);
    assert_int_equal(fit(&f, p, 70000), TRAINEST_E_OUT_OF_RANGE);
    assert_int_equal(fit(&f, NULL, 4), TRAINEST_E_NULL);
    /* memory shrinking with the micro-batch */
    assert_int_equal(fit(&f, p + 2, 2), TRAINEST_E_UNIDENTIFIABLE);
    p[1].micro_batch = 0;
    assert_int_equal(fit(&f, p, 4), TRAINEST_E_ZERO);
    assert_int_equal(f.invalid_index, 1);
    assert_int_equal(f.invalid_field, TRAINEST_FIELD_MEMORY_POINT_MICRO_BATCH);
    p[1] = pt(8, 0);
    assert_int_equal(fit(&f, p, 4), TRAINEST_E_ZERO);
    assert_int_equal(f.invalid_field, TRAINEST_FIELD_MEMORY_POINT_PEAK_BYTES);
    p[1] = pt(8, 120);
    p[2].reserved0 = 1;
    assert_int_equal(fit(&f, p, 4), TRAINEST_E_UNSUPPORTED);
    assert_int_equal(f.invalid_index, 2);
    p[2].reserved0 = 0;
    p[0].struct_size = 4;
    assert_int_equal(fit(&f, p, 4), TRAINEST_E_STRUCT_SIZE);
}

/* The shipped H200 measurements: a fit of GPT-2's peaks must put the largest
 * micro-batch that fits the 150 GB device between the last one that ran
 * (128) and the first that ran out of memory (192). */
static void test_memory_matches_h200_out_of_memory(void **state)
{
    (void)state;
    const char *path = getenv("TRAINEST_DATA");
    FILE *f = fopen(path ? path : "tests/data/h200-train-steps.jsonl", "r");
    assert_non_null(f);
    char line[8192];
    trainest_memory_point p[16];
    uint32_t n = 0;
    uint64_t device = 0, oom = 0;
    char model[64];
    while (fgets(line, sizeof line, f)) {
        assert_true(jc_valid(line));
        char kind[32];
        assert_true(jc_get_string(line, "kind", kind, sizeof kind));
        double v;
        if (strcmp(kind, "hw") == 0 && jc_number(jc_member(line, "mem_bytes"), &v))
            device = (uint64_t)v;
        if (!jc_get_string(line, "model", model, sizeof model) || strncmp(model, "gpt2", 4) != 0)
            continue;
        if (strcmp(kind, "oom") == 0)
            assert_true(jc_get_u64(line, "m", &oom));
        if (strcmp(kind, "micro") == 0 && n < 16) {
            p[n] = pt(0, 0);
            assert_true(jc_get_u64(line, "m", &p[n].micro_batch));
            assert_true(jc_get_u64(line, "peak_bytes", &p[n].peak_bytes));
            n++;
        }
    }
    fclose(f);
    assert_int_equal(n, 8);
    assert_int_equal(oom, 192);
    trainest_memory_fit fitted;
    assert_int_equal(fit(&fitted, p, n), TRAINEST_OK);
    assert_true(fitted.max_residual_ratio < 0.05);
    trainest_memory_request rq = request(0);
    rq.static_bytes = fitted.static_bytes;
    rq.activation_bytes_per_sample = fitted.per_sample_bytes;
    rq.device_memory_bytes = device;
    trainest_memory m;
    assert_int_equal(memory(&m, &rq, 0, 1), TRAINEST_OK);
    assert_true(m.max_micro_batch >= 128 && m.max_micro_batch < oom);
    assert_int_equal(memory(&m, &rq, 128, 1), TRAINEST_OK);
    assert_int_equal(m.fits, 1);
    assert_int_equal(memory(&m, &rq, oom, 1), TRAINEST_OK);
    assert_int_equal(m.fits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_defaults_are_mixed_precision_adam),
        cmocka_unit_test(test_memory_zero_stages_shard_over_replicas),
        cmocka_unit_test(test_memory_sharding_rounds_up),
        cmocka_unit_test(test_memory_budget_boundary),
        cmocka_unit_test(test_memory_unlimited_and_static_too_big),
        cmocka_unit_test(test_memory_overflow_with_huge_params),
        cmocka_unit_test(test_memory_bad_input),
        cmocka_unit_test(test_memory_fit_recovers_known_parameters),
        cmocka_unit_test(test_memory_fit_degenerate),
        cmocka_unit_test(test_memory_matches_h200_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
