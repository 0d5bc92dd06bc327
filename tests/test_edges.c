/* SPDX-License-Identifier: MIT */
/* Numeric edges, table-driven: every integer field of every request at 0,
 * 1, 2^53, 2^63 and UINT64_MAX, every double at 0, the smallest subnormal,
 * the smallest normal, 1e300 and DBL_MAX, and products that overflow by
 * exactly one. Each call must return a documented status; on success every
 * count is checked in 128-bit arithmetic (nothing wrapped) and every double
 * is finite. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "testutil.h"

__extension__ typedef unsigned __int128 u128;

static const uint64_t ints[] = {0, 1, UINT64_C(1) << 53, UINT64_C(1) << 63, UINT64_MAX};
static const double reals[] = {0, 4.9406564584124654e-324, 2.2250738585072014e-308, 1e300, DBL_MAX};

static bool documented(int st)
{
    return st <= 0 && st >= TRAINEST_E_BAD_LAYOUT;
}

/* The plan's counts hold in exact arithmetic. */
static void check_plan(const trainest_plan *p)
{
    assert_true((u128)p->micro_batch * p->grad_accum_steps * p->data_parallel == p->global_batch);
    assert_true((u128)p->data_parallel * p->tensor_parallel * p->pipeline_parallel == p->devices);
    assert_true((u128)p->samples + p->samples_padded_per_epoch - p->samples_dropped_per_epoch ==
                p->samples_per_epoch);
    assert_true((u128)p->global_batch * p->seq_len_tokens == p->tokens_per_step);
    assert_true((u128)p->total_samples * p->seq_len_tokens == p->total_tokens);
    assert_true(p->total_optimizer_steps > 0);
    assert_true(p->last_step_samples <= p->global_batch);
}

static void check_doubles(const void *out, size_t from, size_t to)
{
    for (size_t off = from; off + sizeof(double) <= to; off += sizeof(double)) {
        double v;
        memcpy(&v, (const unsigned char *)out + off, sizeof v);
        assert_true(isfinite(v));
    }
}

#define U64_FIELD(type, name) {offsetof(type, name), #name}

struct field {
    size_t offset;
    const char *name;
};

static const struct field plan_fields[] = {
    U64_FIELD(trainest_plan_request, samples),
    U64_FIELD(trainest_plan_request, global_batch),
    U64_FIELD(trainest_plan_request, micro_batch),
    U64_FIELD(trainest_plan_request, grad_accum_steps),
    U64_FIELD(trainest_plan_request, data_parallel),
    U64_FIELD(trainest_plan_request, max_micro_batch),
    U64_FIELD(trainest_plan_request, epochs),
    U64_FIELD(trainest_plan_request, seq_len_tokens),
    U64_FIELD(trainest_plan_request, tensor_parallel),
    U64_FIELD(trainest_plan_request, pipeline_parallel),
    U64_FIELD(trainest_plan_request, virtual_stages),
    U64_FIELD(trainest_plan_request, devices),
    U64_FIELD(trainest_plan_request, layers),
    U64_FIELD(trainest_plan_request, hidden),
    U64_FIELD(trainest_plan_request, attention_heads),
    U64_FIELD(trainest_plan_request, vocab),
};

static trainest_plan_request base_plan(void)
{
    trainest_plan_request rq = tu_request(100000, 256, 8, 0, 4);
    rq.seq_len_tokens = 1024;
    rq.epochs = 3;
    return rq;
}

static void test_edges_plan_every_integer_field(void **state)
{
    (void)state;
    for (size_t f = 0; f < sizeof plan_fields / sizeof plan_fields[0]; f++)
        for (size_t i = 0; i < 5; i++)
            for (uint32_t preset = 0; preset <= TRAINEST_PRESET_LIGHTNING; preset++) {
                trainest_plan_request rq = base_plan();
                rq.preset = preset;
                memcpy((unsigned char *)&rq + plan_fields[f].offset, &ints[i], sizeof ints[i]);
                trainest_plan p;
                int st = tu_plan(&p, &rq);
                assert_true(documented(st));
                if (st == TRAINEST_OK)
                    check_plan(&p);
                trainest_plan_suggestion s[8];
                uint32_t n;
                s[0].struct_size = sizeof s[0];
                st = trainest_plan_suggest(s, 8, &n, &rq);
                assert_true(documented(st));
                for (uint32_t k = 0; k < n; k++)
                    assert_true((u128)s[k].micro_batch * s[k].grad_accum_steps * s[k].data_parallel ==
                                s[k].global_batch);
            }
}

/* m * a * R at exactly 2^64 - 1, and one more. 2^64 - 1 = (2^32 - 1)(2^32 + 1). */
static void test_edges_batch_product_overflows_by_one(void **state)
{
    (void)state;
    const uint64_t m = UINT32_MAX, a = UINT64_C(4294967297);
    trainest_plan_request rq = tu_request(UINT64_MAX, 0, m, a, 1);
    trainest_plan p;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.global_batch, UINT64_MAX);
    rq.grad_accum_steps = a + 1;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    /* G = 2^63 with m = 2^62, a = 2: fine; R = 2 on top is 2^64: overflow */
    rq = tu_request(UINT64_MAX, 0, UINT64_C(1) << 62, 2, 1);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    rq.data_parallel = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    /* tokens: G * seq = 2^64 - 1, and 2^64 - 1 + G */
    rq = tu_request(UINT32_MAX, UINT32_MAX, 0, 0, 1);
    rq.seq_len_tokens = UINT64_C(4294967297);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.tokens_per_step, UINT64_MAX);
    rq.seq_len_tokens++;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_SEQ_LEN_TOKENS);
    /* devices: DP * TP * PP = 2^64 - 1, and with DP one more */
    rq = tu_request(UINT64_MAX, 0, 1, 1, UINT32_MAX);
    rq.tensor_parallel = UINT64_C(4294967297);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.devices, UINT64_MAX);
    rq.data_parallel = UINT64_C(4294967296);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
    /* epochs * samples for Megatron's stream: exactly 2^64 - 1, then over */
    rq = tu_request(UINT32_MAX, UINT32_MAX, 1, 0, 1);
    rq.preset = TRAINEST_PRESET_MEGATRON;
    rq.epochs = UINT64_C(4294967297);
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.total_optimizer_steps, UINT64_C(4294967297));
    rq.epochs++;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
}

static void test_edges_memory_overflows_by_one(void **state)
{
    (void)state;
    trainest_memory_request rq;
    trainest_memory_request_init(&rq, sizeof rq);
    /* 8 bits per parameter and nothing else: bytes = params, up to the top */
    rq.weight_bits_per_param = 8;
    rq.grad_bits_per_param = 0;
    rq.optimizer_bits_per_param = 0;
    rq.params = UINT64_MAX;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_OK);
    assert_int_equal(m.static_bytes, UINT64_MAX);
    rq.weight_bits_per_param = 9; /* one bit more per parameter */
    assert_int_equal(trainest_memory_compute(&m, &rq, 0, 1), TRAINEST_E_OVERFLOW);
    /* static + activations = 2^64 - 1, then one byte more */
    rq.weight_bits_per_param = 8;
    rq.params = UINT64_MAX - 1000;
    rq.activation_bytes_per_sample = 10;
    assert_int_equal(trainest_memory_compute(&m, &rq, 100, 1), TRAINEST_OK);
    assert_int_equal(m.total_bytes, UINT64_MAX - 1000 + 1000);
    rq.overhead_bytes = 1;
    assert_int_equal(trainest_memory_compute(&m, &rq, 100, 1), TRAINEST_E_OVERFLOW);
}

/* Every double field of the estimate request at the edges, and every
 * integer field. */
static void test_edges_estimate_every_field(void **state)
{
    (void)state;
    trainest_estimate_request base;
    trainest_estimate_request_init(&base, sizeof base);
    base.fixed_s = 0.01;
    base.per_sample_s = 0.001;
    base.bus_bytes_per_s = 1e11;
    base.h2d_bytes_per_s = 1e10;
    base.peak_flops_per_s = 1e15;
    trainest_plan_request prq = base_plan();
    const unsigned char *first = (const unsigned char *)&base.floor_s;
    for (size_t off = (size_t)(first - (const unsigned char *)&base); off + 8 <= sizeof base;
         off += 8) {
        for (size_t i = 0; i < 5; i++) {
            trainest_estimate_request rq = base;
            /* every 8-byte slot: as a double, then as an integer */
            for (int as_int = 0; as_int < 2; as_int++) {
                if (as_int)
                    memcpy((unsigned char *)&rq + off, &ints[i], 8);
                else
                    memcpy((unsigned char *)&rq + off, &reals[i], 8);
                trainest_estimate e;
                memset(&e, 0, sizeof e);
                e.struct_size = sizeof e;
                int st = trainest_estimate_run(&e, &prq, &rq);
                assert_true(documented(st));
                if (st == TRAINEST_OK) {
                    check_doubles(&e, offsetof(trainest_estimate, micro_batch_s), sizeof e);
                    assert_true(e.total_s >= 0);
                }
                rq = base;
            }
        }
    }
}

static void test_edges_failure_and_critical(void **state)
{
    (void)state;
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++) {
            trainest_failure_request rq;
            trainest_failure_request_init(&rq, sizeof rq);
            rq.work_s = reals[i] ? reals[i] : 1;
            rq.devices = ints[j] ? ints[j] : 1;
            rq.mtbf_hours_per_device = reals[j] ? reals[j] : 1000;
            rq.checkpoint_write_s = reals[(i + j) % 5] ? reals[(i + j) % 5] : 10;
            rq.restart_s = reals[i];
            trainest_failure f;
            memset(&f, 0, sizeof f);
            f.struct_size = sizeof f;
            int st = trainest_failure_compute(&f, &rq);
            assert_true(documented(st));
            if (st == TRAINEST_OK) {
                check_doubles(&f, offsetof(trainest_failure, job_mtbf_s),
                              offsetof(trainest_failure, checkpoints));
                check_doubles(&f, offsetof(trainest_failure, expected_interruptions), sizeof f);
                assert_true(f.p50_total_s <= f.p90_total_s * (1 + 1e-12));
                assert_true(f.expected_total_s >= rq.work_s * (1 - 1e-12));
            }
            trainest_critical_request cr;
            trainest_critical_request_init(&cr, sizeof cr);
            cr.noise_scale = reals[i];
            cr.min_steps = reals[j];
            cr.max_global_batch = ints[(i + j) % 5] > (UINT64_C(1) << 40) ? 0 : ints[(i + j) % 5];
            trainest_estimate_request erq;
            trainest_estimate_request_init(&erq, sizeof erq);
            erq.per_sample_s = 0.001;
            erq.optimizer_s = 0.01;
            trainest_plan_request prq = base_plan();
            trainest_critical c;
            memset(&c, 0, sizeof c);
            c.struct_size = sizeof c;
            st = trainest_critical_compute(&c, &prq, &erq, NULL, &cr);
            assert_true(documented(st));
            if (st == TRAINEST_OK) {
                check_doubles(&c, offsetof(trainest_critical, critical_batch),
                              offsetof(trainest_critical, best_global_batch));
                check_doubles(&c, offsetof(trainest_critical, best_steps_to_target), sizeof c);
            }
        }
}

static void test_edges_eta(void **state)
{
    (void)state;
    for (size_t i = 0; i < 5; i++) {
        trainest_eta_config c;
        trainest_eta_config_init(&c, sizeof c);
        c.total_steps = ints[i] ? ints[i] : 1;
        c.steps_done = ints[i] / 2;
        c.prior_step_s = reals[i];
        trainest_eta e;
        int st = trainest_eta_init(&e, sizeof e, &c);
        assert_true(documented(st));
        if (st)
            continue;
        for (size_t j = 0; j < 5; j++) {
            st = trainest_eta_update(&e, reals[j], ints[j]);
            assert_true(documented(st));
            trainest_eta_report r;
            memset(&r, 0, sizeof r);
            r.struct_size = sizeof r;
            st = trainest_eta_report_compute(&r, &e, 1.7e9);
            assert_true(documented(st));
            if (st == TRAINEST_OK) {
                check_doubles(&r, offsetof(trainest_eta_report, progress_ratio), sizeof r);
                assert_true(r.remaining_p10_s <= r.remaining_p50_s + 1e-9 * r.remaining_p50_s &&
                            r.remaining_p50_s <= r.remaining_p90_s * (1 + 1e-12));
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges_plan_every_integer_field),
        cmocka_unit_test(test_edges_batch_product_overflows_by_one),
        cmocka_unit_test(test_edges_memory_overflows_by_one),
        cmocka_unit_test(test_edges_estimate_every_field),
        cmocka_unit_test(test_edges_failure_and_critical),
        cmocka_unit_test(test_edges_eta),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
