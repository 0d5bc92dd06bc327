/* SPDX-License-Identifier: MIT */
/* Model parallelism: the layout arithmetic against brute force, Megatron's
 * micro-batch count with TP and PP, layout repairs, the pipeline's time
 * (1F1B and interleaved), tensor- and pipeline-parallel communication,
 * memory split by TP and PP, Megatron's FLOPs formula on GPT-3 175B, the
 * published 34- and 84-day training-time estimates, and the search over
 * layouts against a reference built from the public functions. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static trainest_plan_request layout(uint64_t devices, uint64_t tp, uint64_t pp)
{
    trainest_plan_request rq = tu_request(100000, 0, 1, 0, 1);
    rq.devices = devices;
    rq.tensor_parallel = tp;
    rq.pipeline_parallel = pp;
    return rq;
}

/* ---- Layout arithmetic ------------------------------------------------------ */

static void test_layout_matches_brute_force(void **state)
{
    (void)state;
    for (uint64_t devices = 1; devices <= 64; devices++)
        for (uint64_t tp = 1; tp <= 8; tp++)
            for (uint64_t pp = 1; pp <= 8; pp++) {
                trainest_plan_request rq = layout(devices, tp, pp);
                rq.global_batch = 960;
                rq.micro_batch = 0;
                trainest_plan p;
                int st = tu_plan(&p, &rq);
                /* brute force: is there a DP with DP * TP * PP == devices? */
                uint64_t dp = 0;
                for (uint64_t d = 1; d <= devices; d++)
                    if (d * tp * pp == devices)
                        dp = d;
                if (!dp) {
                    assert_int_equal(st, TRAINEST_E_BAD_LAYOUT);
                    assert_int_equal(p.invalid_field, TRAINEST_FIELD_DEVICES);
                    continue;
                }
                if (960 % dp) {
                    assert_int_equal(st, TRAINEST_E_NOT_DIVISIBLE);
                    continue;
                }
                assert_int_equal(st, TRAINEST_OK);
                assert_int_equal(p.data_parallel, dp);
                assert_int_equal(p.devices, devices);
                assert_int_equal(p.tensor_parallel, tp);
                assert_int_equal(p.pipeline_parallel, pp);
                assert_int_equal(p.virtual_stages, 1);
                /* the batch splits over data parallelism only */
                assert_int_equal(p.micro_batch * p.grad_accum_steps * dp, 960);
                assert_int_equal(p.micro_batches_per_step, p.grad_accum_steps);
            }
}

static void test_layout_devices_or_data_parallel(void **state)
{
    (void)state;
    trainest_plan p;
    /* data_parallel given, devices derived */
    trainest_plan_request rq = tu_request(100000, 512, 2, 0, 4);
    rq.tensor_parallel = 8;
    rq.pipeline_parallel = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    assert_int_equal(p.devices, 64);
    assert_int_equal(p.grad_accum_steps, 64); /* 512 / (2 * 4) */
    /* both given and agreeing */
    rq.devices = 64;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    /* both given and disagreeing */
    rq.devices = 128;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_INCONSISTENT);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_DATA_PARALLEL);
    /* overflow of DP * TP * PP */
    rq = tu_request(100000, 0, 1, 0, UINT64_MAX / 2);
    rq.tensor_parallel = 4;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_OVERFLOW);
}

static void test_layout_model_shape_must_split(void **state)
{
    (void)state;
    trainest_plan p;
    trainest_plan_request rq = layout(64, 8, 4);
    rq.layers = 30; /* not a multiple of PP = 4 */
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_LAYERS);
    rq.layers = 32;
    rq.hidden = 4100; /* not a multiple of TP = 8 */
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_HIDDEN);
    rq.hidden = 4096;
    rq.attention_heads = 12;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_ATTENTION_HEADS);
    rq.attention_heads = 32;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);
    /* interleaving: needs a pipeline, layers in PP * v chunks, and whole
     * rounds of PP micro-batches (Megatron) */
    rq = layout(8, 1, 1);
    rq.virtual_stages = 2;
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_VIRTUAL_STAGES);
    rq = tu_request(100000, 48, 1, 0, 1);
    rq.devices = 8;
    rq.pipeline_parallel = 4;
    rq.virtual_stages = 2;
    rq.layers = 24; /* 4 * 2 chunks of 3 */
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_OK);  /* DP 2: 24 micro-batches, 6 rounds of 4 */
    rq.global_batch = 36;                             /* 18 micro-batches */
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_NOT_DIVISIBLE);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_VIRTUAL_STAGES);
    rq.global_batch = 48;
    rq.layers = 20; /* not 8 chunks */
    assert_int_equal(tu_plan(&p, &rq), TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(p.invalid_field, TRAINEST_FIELD_LAYERS);
}

/* Megatron's calculator with a layout: num_micro_batches = G // (m * DP),
 * DP = world / (TP * PP), and its divisibility rule over m * DP. */
static void test_layout_megatron_microbatches(void **state)
{
    (void)state;
    for (uint64_t world = 8; world <= 64; world *= 2)
        for (uint64_t tp = 1; tp <= 8; tp *= 2)
            for (uint64_t pp = 1; pp <= 8 && tp * pp <= world; pp *= 2)
                for (uint64_t G = 16; G <= 256; G += 16)
                    for (uint64_t m = 1; m <= 4; m++) {
                        trainest_plan_request rq = tu_request(1000000, G, m, 0, 1);
                        rq.preset = TRAINEST_PRESET_MEGATRON;
                        rq.devices = world;
                        rq.tensor_parallel = tp;
                        rq.pipeline_parallel = pp;
                        trainest_plan p;
                        int st = tu_plan(&p, &rq);
                        const uint64_t dp = world / (tp * pp);
                        if (G % (m * dp)) {
                            assert_int_equal(st, TRAINEST_E_NOT_DIVISIBLE);
                            continue;
                        }
                        assert_int_equal(st, TRAINEST_OK);
                        assert_int_equal(p.micro_batches_per_step, G / (m * dp));
                        assert_int_equal(p.total_optimizer_steps, 1000000 / G);
                    }
}

static void test_layout_suggest_repairs(void **state)
{
    (void)state;
    trainest_layout_suggestion s[16];
    uint32_t n = 0;
    s[0].struct_size = sizeof s[0];
    trainest_plan_request rq = layout(100, 8, 4); /* 32 does not divide 100 */
    rq.layers = 32;
    rq.hidden = 4096;
    assert_int_equal(trainest_layout_suggest(s, 16, &n, &rq), TRAINEST_OK);
    assert_true(n >= 2);
    bool has_96 = false, has_128 = false;
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(s[i].struct_size, sizeof s[i]);
        assert_int_equal(s[i].data_parallel * s[i].tensor_parallel * s[i].pipeline_parallel,
                         s[i].devices);
        /* every suggestion is a layout the planner accepts */
        trainest_plan_request ok = rq;
        ok.devices = s[i].devices;
        ok.tensor_parallel = s[i].tensor_parallel;
        ok.pipeline_parallel = s[i].pipeline_parallel;
        trainest_plan p;
        assert_int_equal(tu_plan(&p, &ok), TRAINEST_OK);
        if (i)
            assert_true(s[i - 1].distance_ratio <= s[i].distance_ratio);
        has_96 |= s[i].devices == 96 && s[i].tensor_parallel == 8 && s[i].pipeline_parallel == 4;
        has_128 |= s[i].devices == 128 && s[i].tensor_parallel == 8 && s[i].pipeline_parallel == 4;
        if (s[i].devices == 100)
            assert_true(s[i].changed & (TRAINEST_CHANGED_TENSOR_PARALLEL |
                                        TRAINEST_CHANGED_PIPELINE_PARALLEL));
    }
    assert_true(has_96 && has_128);
    /* the first keeps the most: 96 devices is 4 % away */
    assert_int_equal(s[0].devices, 96);
    assert_close(s[0].distance_ratio, 0.04, 1e-12);
    assert_int_equal(s[0].changed, TRAINEST_CHANGED_DEVICES);
    assert_int_equal(trainest_layout_suggest(s, 16, NULL, &rq), TRAINEST_E_NULL);
    assert_int_equal(trainest_layout_suggest(NULL, 0, &n, &rq), TRAINEST_OK);
    assert_int_equal(n, 0);
    /* the batch repairs refuse a broken layout, as documented */
    trainest_plan_suggestion ps[4];
    ps[0].struct_size = sizeof ps[0];
    assert_int_equal(trainest_plan_suggest(ps, 4, &n, &rq), TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(n, 0);
    rq = layout(0, 2, 1);
    rq.data_parallel = UINT64_MAX;
    assert_int_equal(trainest_plan_suggest(ps, 4, &n, &rq), TRAINEST_E_OVERFLOW);
}

static double rel_change(uint64_t v, uint64_t want)
{
    return (v > want ? (double)(v - want) : (double)(want - v)) / (double)want;
}

/* A layout the model shape forbids (layers over PP, hidden size or heads
 * over TP) is repaired too. Exhaustively over small requests: every
 * suggestion plans, they come in order, and the first is at least as near
 * as the best valid layout on the same devices that moves TP or PP alone
 * (found by brute force). */
static void test_layout_suggest_repairs_the_model_shape(void **state)
{
    (void)state;
    static const uint64_t layers[] = {0, 6, 10, 12}, hidden[] = {0, 12, 20}, heads[] = {0, 6, 8};
    unsigned repaired = 0;
    for (uint64_t devices = 1; devices <= 24; devices++)
        for (uint64_t tp = 1; tp <= 6; tp++)
            for (uint64_t pp = 1; pp <= 6; pp++)
                for (uint64_t v = 1; v <= 2; v++)
                    for (size_t il = 0; il < 4; il++)
                        for (size_t ih = 0; ih < 3; ih++)
                            for (size_t ia = 0; ia < 3; ia++) {
                                trainest_plan_request rq = layout(devices, tp, pp);
                                rq.virtual_stages = v;
                                rq.layers = layers[il];
                                rq.hidden = hidden[ih];
                                rq.attention_heads = heads[ia];
                                /* whole rounds for every PP up to 24 (the
                                 * interleaved rule is the batch's, not the layout's) */
                                rq.samples = UINT64_C(10000000000000);
                                rq.grad_accum_steps = UINT64_C(5354228880); /* lcm(1..24) */
                                trainest_plan p;
                                if (tu_plan(&p, &rq) != TRAINEST_E_BAD_LAYOUT)
                                    continue;
                                trainest_layout_suggestion s[16];
                                uint32_t n = 0;
                                s[0].struct_size = sizeof s[0];
                                assert_int_equal(trainest_layout_suggest(s, 16, &n, &rq), TRAINEST_OK);
                                for (uint32_t i = 0; i < n; i++) {
                                    trainest_plan_request ok = rq;
                                    ok.devices = s[i].devices;
                                    ok.tensor_parallel = s[i].tensor_parallel;
                                    ok.pipeline_parallel = s[i].pipeline_parallel;
                                    assert_int_equal(tu_plan(&p, &ok), TRAINEST_OK);
                                    if (i)
                                        assert_true(s[i - 1].distance_ratio <= s[i].distance_ratio);
                                }
                                /* the brute-force nearest one-coordinate move on these devices */
                                double best = -1;
                                for (uint64_t x = 1; x <= devices; x++)
                                    for (int moved = 0; moved < 2; moved++) {
                                        trainest_plan_request t = rq;
                                        if (moved == 0)
                                            t.tensor_parallel = x;
                                        else
                                            t.pipeline_parallel = x;
                                        if (tu_plan(&p, &t) != TRAINEST_OK)
                                            continue;
                                        const double d = moved == 0 ? rel_change(x, tp) : rel_change(x, pp);
                                        if (best < 0 || d < best)
                                            best = d;
                                    }
                                if (best >= 0) {
                                    assert_true(n > 0);
                                    assert_true(s[0].distance_ratio <= best + 1e-12);
                                    repaired++;
                                }
                            }
    assert_true(repaired > 1000); /* the property was exercised */
    /* the cases that once had no suggestion */
    trainest_layout_suggestion s[8];
    uint32_t n = 0;
    s[0].struct_size = sizeof s[0];
    trainest_plan_request rq = layout(8, 1, 4);
    rq.layers = 10;
    assert_int_equal(trainest_layout_suggest(s, 8, &n, &rq), TRAINEST_OK);
    assert_true(n >= 1);
    assert_int_equal(s[0].devices, 8);
    assert_int_equal(s[0].pipeline_parallel, 2);
    assert_int_equal(s[0].changed, TRAINEST_CHANGED_PIPELINE_PARALLEL);
    rq = layout(8, 4, 1);
    rq.hidden = 1002;
    assert_int_equal(trainest_layout_suggest(s, 8, &n, &rq), TRAINEST_OK);
    assert_true(n >= 1);
    assert_int_equal(s[0].tensor_parallel, 2);
    assert_int_equal(s[0].devices, 8);
}

/* Interleaved pipelines need whole rounds of PP micro-batches per step.
 * Exhaustively over small requests that fail only on that rule: every
 * suggestion plans, and whenever some micro-batch keeps the global batch
 * valid, a suggestion keeping the global batch is offered. */
static void test_plan_suggest_interleaved_rounds(void **state)
{
    (void)state;
    unsigned failing = 0;
    for (uint64_t pp = 2; pp <= 4; pp *= 2)
        for (uint64_t R = 1; R <= 3; R++)
            for (uint64_t G = 1; G <= 96; G++)
                for (uint64_t m = 1; m <= 16; m++) {
                    trainest_plan_request rq = tu_request(100000, G, m, 0, R);
                    rq.pipeline_parallel = pp;
                    rq.virtual_stages = 2;
                    trainest_plan p;
                    if (G % (m * R) || tu_plan(&p, &rq) != TRAINEST_E_NOT_DIVISIBLE)
                        continue;
                    assert_int_equal(p.invalid_field, TRAINEST_FIELD_VIRTUAL_STAGES);
                    failing++;
                    bool keeps_g = false; /* brute force: any m' with G / (m' R) a multiple of PP */
                    for (uint64_t m2 = 1; m2 <= G; m2++)
                        keeps_g |= G % (m2 * R) == 0 && (G / (m2 * R)) % pp == 0;
                    trainest_plan_suggestion s[8];
                    uint32_t n = 0;
                    s[0].struct_size = sizeof s[0];
                    assert_int_equal(trainest_plan_suggest(s, 8, &n, &rq), TRAINEST_OK);
                    assert_true(n > 0);
                    bool offered_g = false;
                    for (uint32_t i = 0; i < n; i++) {
                        trainest_plan_request ok = rq;
                        ok.global_batch = s[i].global_batch;
                        ok.micro_batch = s[i].micro_batch;
                        assert_int_equal(tu_plan(&p, &ok), TRAINEST_OK);
                        assert_int_equal(p.grad_accum_steps % pp, 0);
                        offered_g |= s[i].global_batch == G;
                    }
                    assert_int_equal(offered_g, keeps_g);
                }
    assert_true(failing > 100);
}

/* ---- Time ------------------------------------------------------------------- */

static trainest_estimate_request device_only(double fixed_s, double per_sample_s)
{
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.fixed_s = fixed_s;
    rq.per_sample_s = per_sample_s;
    rq.bus_bytes_per_s = 1e11;
    return rq;
}

static trainest_estimate estimate(const trainest_plan_request *prq,
                                  const trainest_estimate_request *rq, int want)
{
    trainest_estimate e;
    memset(&e, 0x3E, sizeof e);
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(&e, prq, rq), want);
    return e;
}

static double breakdown(const trainest_estimate *e)
{
    return e->compute_s + e->optimizer_s + e->transfer_s + e->data_stall_s + e->comm_s +
           e->overhead_s + e->bubble_s + e->tp_comm_s + e->p2p_s;
}

/* 1F1B: a step is (M + PP - 1) stage times; interleaved with v chunks,
 * (M + (PP - 1) / v) of them. */
static void test_pipeline_1f1b_and_interleaved(void **state)
{
    (void)state;
    const double fixed = 0.004, per = 0.002, seq = 1024, hidden = 4096, p2p_bw = 5e10;
    for (uint64_t pp = 1; pp <= 8; pp *= 2)
        for (uint64_t v = 1; v <= 4; v *= 2)
            for (uint64_t M = 8; M <= 32; M *= 2) {
                if (v > 1 && pp == 1)
                    continue;
                trainest_plan_request prq = tu_request(4096 * 8, 0, 4, M, 1);
                prq.pipeline_parallel = pp;
                prq.virtual_stages = v;
                prq.devices = pp;
                prq.seq_len_tokens = (uint64_t)seq;
                prq.hidden = (uint64_t)hidden;
                prq.layers = 64;
                trainest_estimate_request rq = device_only(fixed, per);
                rq.p2p_bytes_per_s = p2p_bw;
                trainest_estimate e = estimate(&prq, &rq, TRAINEST_OK);
                const double p2p = pp > 1 ? 2.0 * v * 4 * seq * hidden * 2 / p2p_bw : 0;
                const double stage = (fixed + per * 4) / pp + p2p;
                assert_close(e.stage_s, stage, 1e-12);
                assert_close(e.step_s, (M + (pp - 1) / (double)v) * stage, 1e-12);
                assert_close(e.bubble_ratio, pp > 1 ? (pp - 1) / (double)(v * M) : 0, 1e-12);
                assert_close(breakdown(&e), e.total_s, 1e-12);
                /* 8 epochs' worth of steps, each with its bubble */
                const double steps = 4096.0 * 8 / (4 * M);
                assert_close(e.bubble_s, steps * (pp - 1) / (double)v * stage, 1e-9);
                assert_close(e.p2p_s, steps * M * p2p, 1e-9);
            }
}

static void test_tensor_parallel_communication(void **state)
{
    (void)state;
    const double seq = 2048, hidden = 8192, layers = 32, bw = 2e11, lat = 5e-6;
    trainest_plan_request prq = tu_request(100000, 64, 2, 0, 1);
    prq.seq_len_tokens = (uint64_t)seq;
    prq.hidden = (uint64_t)hidden;
    prq.layers = (uint64_t)layers;
    for (uint64_t tp = 1; tp <= 8; tp *= 2) {
        for (uint32_t rc = 0; rc <= 2; rc++) {
            prq.tensor_parallel = tp;
            prq.devices = 32 * tp; /* DP 32 */
            trainest_estimate_request rq = device_only(0.01, 0.003);
            rq.tp_bytes_per_s = bw;
            rq.latency_s = lat;
            rq.recompute = rc;
            trainest_estimate e = estimate(&prq, &rq, TRAINEST_OK);
            /* per layer: 2 all-reduces forward, 2 backward (and 2 more to
             * recompute the forward), of m * seq * hidden * 2 bytes */
            const double n = (rc == TRAINEST_RECOMPUTE_FULL ? 6 : 4) * layers;
            const double bytes = 2 * seq * hidden * 2;
            const double per_mb = tp > 1 ? n * (2.0 * (tp - 1) / tp * bytes / bw + 2.0 * (tp - 1) * lat) : 0;
            assert_close(e.stage_s, (0.01 + 0.003 * 2) / tp + per_mb, 1e-12);
            assert_close(e.step_s, 1 * e.stage_s, 1e-12); /* a = 1: 64 / (2 * 32) */
            assert_close(breakdown(&e), e.total_s, 1e-12);
        }
    }
    /* without the model shape, TP has nothing to communicate with */
    prq.hidden = 0;
    prq.tensor_parallel = 2;
    prq.devices = 64;
    trainest_estimate_request rq = device_only(0.01, 0.003);
    trainest_estimate e = estimate(&prq, &rq, TRAINEST_E_UNDERSPECIFIED);
    assert_int_equal(e.invalid_field, TRAINEST_FIELD_HIDDEN);
    prq.hidden = 8192;
    prq.layers = 0;
    e = estimate(&prq, &rq, TRAINEST_E_UNDERSPECIFIED);
    assert_int_equal(e.invalid_field, TRAINEST_FIELD_LAYERS);
    prq.layers = 32;
    rq.bus_bytes_per_s = 0;
    e = estimate(&prq, &rq, TRAINEST_E_UNDERSPECIFIED);
    assert_int_equal(e.invalid_field, TRAINEST_FIELD_TP_BYTES_PER_S);
}

/* Explicit activation bytes (0.6) stand in for seq x hidden x element
 * bytes: the same times without the model's hidden size or sequence
 * length; tensor parallelism still needs the layers. */
static void test_explicit_activation_bytes(void **state)
{
    (void)state;
    const uint64_t seq = 2048, hidden = 8192;
    for (uint64_t tp = 1; tp <= 4; tp *= 2)
        for (uint64_t pp = 1; pp <= 4; pp *= 2) {
            if (tp == 1 && pp == 1)
                continue;
            trainest_plan_request shape = tu_request(100000, 64, 2, 0, 1);
            shape.tensor_parallel = tp;
            shape.pipeline_parallel = pp;
            shape.devices = 8 * tp * pp;
            shape.layers = 32;
            shape.seq_len_tokens = seq;
            shape.hidden = hidden;
            trainest_estimate_request rq = device_only(0.01, 0.003);
            rq.tp_bytes_per_s = 2e11;
            rq.p2p_bytes_per_s = 5e10;
            rq.latency_s = 5e-6;
            rq.activation_bytes_per_element = 4;
            const trainest_estimate want = estimate(&shape, &rq, TRAINEST_OK);
            assert_true(want.tp_comm_s + want.p2p_s > 0);

            trainest_plan_request bare = shape;
            bare.hidden = 0;
            bare.seq_len_tokens = 0;
            rq.activation_bytes_per_element = 0;
            rq.comm_activation_bytes_per_sample = seq * hidden * 4;
            const trainest_estimate got = estimate(&bare, &rq, TRAINEST_OK);
            assert_close(got.stage_s, want.stage_s, 1e-15);
            assert_close(got.tp_comm_s, want.tp_comm_s, 1e-9);
            assert_close(got.p2p_s, want.p2p_s, 1e-9);
            assert_close(got.total_s, want.total_s, 1e-9);
            assert_close(breakdown(&got), got.total_s, 1e-9);
            if (tp > 1) { /* the all-reduces are counted per layer */
                bare.layers = 0;
                const trainest_estimate e = estimate(&bare, &rq, TRAINEST_E_UNDERSPECIFIED);
                assert_int_equal(e.invalid_field, TRAINEST_FIELD_LAYERS);
            }
        }
}

static void test_data_parallel_over_model_shards(void **state)
{
    (void)state;
    /* each device all-reduces the gradients of its 1 / (TP PP) shard over DP */
    trainest_plan_request prq = tu_request(100000, 64, 1, 0, 1);
    prq.devices = 64;
    prq.tensor_parallel = 4;
    prq.pipeline_parallel = 2; /* DP 8 */
    prq.seq_len_tokens = 1024;
    prq.hidden = 1024;
    prq.layers = 8;
    trainest_estimate_request rq = device_only(0.01, 0.001);
    rq.grad_bytes = 8000000000u;
    rq.optimizer_s = 0.08;
    trainest_estimate e = estimate(&prq, &rq, TRAINEST_OK);
    assert_close(e.step_comm_s, 2.0 * 7 / 8 * 1e9 / 1e11, 1e-12);
    assert_close(e.optimizer_s / 1563, 0.01, 1e-12); /* 0.08 / 8 per step, ceil(100000 / 64) steps */
}

/* Megatron's per-iteration FLOPs (Narayanan et al. 2021, eq. 3) for the
 * GPT-3 175B configuration: 96 B s l h^2 (1 + s / 6h + V / 16lh). */
static void test_megatron_flops_gpt3_175b(void **state)
{
    (void)state;
    const double B = 1536, s = 2048, l = 96, h = 12288, V = 51200;
    trainest_plan_request prq = tu_request(1536 * 100, 1536, 1, 0, 1);
    prq.seq_len_tokens = (uint64_t)s;
    prq.layers = (uint64_t)l;
    prq.hidden = (uint64_t)h;
    prq.vocab = (uint64_t)V;
    trainest_estimate_request rq;
    trainest_estimate_request_init(&rq, sizeof rq);
    rq.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    rq.peak_flops_per_s = 312e12;
    rq.efficiency_ratio = 0.5;
    rq.recompute = TRAINEST_RECOMPUTE_FULL;
    trainest_estimate e = estimate(&prq, &rq, TRAINEST_OK);
    const double per_iteration = 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    assert_close(e.flops_per_sample * B, per_iteration, 1e-12);
    assert_close(per_iteration, 4.511e18, 1e-3); /* the number the formula gives */
    /* close to 8 P T with P ~ 12 l h^2 (the attention and logits are the rest) */
    assert_close(per_iteration, 8 * 12 * l * h * h * s * B, 0.04);
    /* without recompute three forward passes, selective adds attention */
    rq.recompute = TRAINEST_RECOMPUTE_NONE;
    e = estimate(&prq, &rq, TRAINEST_OK);
    assert_close(e.flops_per_sample * B, per_iteration * 0.75, 1e-12);
    rq.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    e = estimate(&prq, &rq, TRAINEST_OK);
    assert_close(e.flops_per_sample, per_iteration * 0.75 / B + 4 * s * s * l * h, 1e-12);
}

/* Training time = 8 T P / (n X) (Narayanan et al. 2021): GPT-3 175B on 300B
 * tokens with 1024 A100s at 140 TFLOP/s is 34 days; 1T parameters on 450B
 * tokens with 3072 at 163 TFLOP/s is 84 days. With X given as the achieved
 * rate, the analytic model reproduces both within 2 %. */
static void test_published_training_times(void **state)
{
    (void)state;
    const struct {
        double params, tokens, gpus, X, days;
    } runs[] = {{175e9, 300e9, 1024, 140e12, 34}, {1e12, 450e9, 3072, 163e12, 84}};
    for (int i = 0; i < 2; i++) {
        const double seq = 2048;
        trainest_plan_request prq = tu_request((uint64_t)(runs[i].tokens / seq), 0, 1, 1,
                                               (uint64_t)runs[i].gpus);
        prq.seq_len_tokens = (uint64_t)seq;
        trainest_estimate_request rq;
        trainest_estimate_request_init(&rq, sizeof rq);
        rq.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
        rq.params = (uint64_t)runs[i].params;
        rq.recompute = TRAINEST_RECOMPUTE_FULL;
        rq.peak_flops_per_s = 312e12;
        rq.efficiency_ratio = runs[i].X / 312e12;
        trainest_estimate e = estimate(&prq, &rq, TRAINEST_OK);
        const double days = e.total_s / 86400;
        assert_true(fabs(days - runs[i].days) / runs[i].days < 0.02);
        assert_close(e.mfu_ratio, runs[i].X / 312e12, 1e-6);
    }
}

/* ---- Memory ---------------------------------------------------------------- */

static trainest_memory memory(const trainest_memory_request *mrq, const trainest_plan_request *prq,
                              int want)
{
    trainest_memory m;
    memset(&m, 0x19, sizeof m);
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_for_plan(&m, mrq, prq), want);
    return m;
}

static void test_memory_split_by_tp_pp_then_zero(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 175000000000u;
    mrq.zero_stage = 1;
    mrq.activation_bytes_per_sample = 1000000;
    trainest_plan_request prq = tu_request(1000000, 1536, 1, 0, 1);
    prq.devices = 1024;
    prq.tensor_parallel = 8;
    prq.pipeline_parallel = 16; /* DP 8, 96 micro-batches */
    trainest_memory m = memory(&mrq, &prq, TRAINEST_OK);
    const uint64_t shard = (175000000000u + 127) / 128;
    assert_int_equal(m.weights_bytes, shard * 2);
    assert_int_equal(m.grads_bytes, shard * 2);
    assert_int_equal(m.optimizer_bytes, (shard + 7) / 8 * 12);
    /* 16 micro-batches in flight on the first stage, each 1/128 of one */
    assert_close(m.micro_batches_in_flight, 16, 0);
    assert_int_equal(m.activation_bytes_per_micro_batch, (1000000 + 127) / 128);
    assert_int_equal(m.activation_bytes, (16 * 1000000 + 127) / 128);
    /* fewer micro-batches than stages: only those are in flight */
    prq.global_batch = 64; /* 8 micro-batches */
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_close(m.micro_batches_in_flight, 8, 0);
    /* interleaving holds more: x (1 + (PP - 1) / (PP v)) */
    prq.global_batch = 1536;
    prq.virtual_stages = 2;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_close(m.micro_batches_in_flight, 16 * (1 + 15.0 / 32), 1e-12);
}

/* Korthikanti et al. 2022 with sequence parallelism: per layer
 * s b h (34 + 5 a s / h) / TP bytes; 34 s b h / TP with selective recompute;
 * 2 s b h / TP with full recompute. */
static void test_memory_activations_from_model_shape(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 1000;
    trainest_plan_request prq = tu_request(100000, 64, 2, 0, 1);
    prq.seq_len_tokens = 2048;
    prq.hidden = 12288;
    prq.attention_heads = 96;
    prq.layers = 96;
    prq.devices = 64;
    prq.tensor_parallel = 8;
    prq.pipeline_parallel = 8; /* DP 1: 32 micro-batches of 2 */
    const double s = 2048, b = 2, h = 12288, a = 96, t = 8, layers_per_stage = 12;
    const double full = s * b * h * (34 + 5 * a * s / h) / t * layers_per_stage;
    trainest_memory m = memory(&mrq, &prq, TRAINEST_OK);
    assert_close((double)m.activation_bytes_per_micro_batch, full, 1e-12);
    assert_close((double)m.activation_bytes, 8 * full, 1e-12);
    mrq.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_close((double)m.activation_bytes_per_micro_batch, 34 * s * b * h / t * layers_per_stage, 1e-12);
    mrq.recompute = TRAINEST_RECOMPUTE_FULL;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_close((double)m.activation_bytes_per_micro_batch, 2 * s * b * h / t * layers_per_stage, 1e-12);
    /* the model states split over TP x PP whichever way the activations
     * are given (a 0.5.0 bug split them by TP only on this path):
     * 175e9 params over 64 shards, 2 + 2 + 12 bytes each, no ZeRO */
    mrq.params = 175000000000;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_int_equal(m.weights_bytes, 175000000000 / 64 * 2);
    assert_int_equal(m.grads_bytes, 175000000000 / 64 * 2);
    assert_int_equal(m.optimizer_bytes, 175000000000 / 64 * 12);
    const trainest_memory by_shape = m;
    mrq.activation_bytes_per_sample = 1;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_int_equal(m.static_bytes, by_shape.static_bytes);
    mrq.activation_bytes_per_sample = 0;
    mrq.params = 1000;
    /* no activation model at all */
    prq.attention_heads = 0;
    m = memory(&mrq, &prq, TRAINEST_E_UNDERSPECIFIED);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_ATTENTION_HEADS);
    mrq.recompute = 7;
    prq.attention_heads = 96;
    m = memory(&mrq, &prq, TRAINEST_E_UNKNOWN_ENUM);
    assert_int_equal(m.invalid_field, TRAINEST_FIELD_MEMORY_RECOMPUTE);
}

static void test_memory_for_plan_boundary(void **state)
{
    (void)state;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.static_bytes = 1000;
    mrq.activation_bytes_per_sample = 64;
    mrq.device_memory_bytes = 2000;
    trainest_plan_request prq = tu_request(100000, 0, 1, 4, 1);
    prq.devices = 8;
    prq.tensor_parallel = 2;
    prq.pipeline_parallel = 4; /* 4 micro-batches in flight, each m * 64 / 8 bytes */
    trainest_memory m = memory(&mrq, &prq, TRAINEST_OK);
    /* 1000 + 4 * 8 m <= 2000  ->  m <= 31 */
    assert_int_equal(m.max_micro_batch, 31);
    prq.micro_batch = 31;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_int_equal(m.fits, 1);
    assert_int_equal(m.total_bytes, 1000 + 4 * 31 * 8);
    prq.micro_batch = 32;
    m = memory(&mrq, &prq, TRAINEST_OK);
    assert_int_equal(m.fits, 0);
}

/* ---- Search over layouts ---------------------------------------------------- */

struct ref_result {
    uint64_t G, R, tp, pp, m;
    double total, headroom;
};

static int ref_cmp(const void *x, const void *y)
{
    const struct ref_result *a = x, *b = y;
#define CMP(f, lt)                                                                             \
    if (a->f != b->f)                                                                          \
        return (lt) ? -1 : 1;
    CMP(total, a->total < b->total)
    CMP(headroom, a->headroom > b->headroom)
    CMP(G, a->G < b->G)
    CMP(R, a->R < b->R)
    CMP(tp, a->tp < b->tp)
    CMP(pp, a->pp < b->pp)
    CMP(m, a->m < b->m)
#undef CMP
    return 0;
}

/* Every candidate the search enumerates, through the public plan, memory
 * and estimate functions, in the search's order of checks (divisibility,
 * memory, plan); the podium sorted by the documented order. */
static void search_vs_reference(const trainest_plan_request *prq,
                                const trainest_estimate_request *erq,
                                const trainest_memory_request *mrq,
                                const trainest_search_request *sr, trainest_search *out)
{
    static struct ref_result ref[20000];
    size_t n = 0;
    trainest_search want;
    memset(&want, 0, sizeof want);
    const uint64_t v = prq->virtual_stages ? prq->virtual_stages : 1;
    const uint64_t lo = sr->global_batch_min, hi = sr->global_batch_max;
    for (uint64_t tp = 1; tp <= sr->max_tensor_parallel; tp *= 2)
        for (uint64_t pp = 1; pp <= sr->max_pipeline_parallel; pp *= 2) {
            if ((v > 1 && pp == 1) || prq->layers % (pp * v))
                continue;
            for (uint64_t R = 1; R * tp * pp <= sr->max_devices && R <= hi; R++)
                for (uint64_t G = lo; G <= hi; G += sr->global_batch_step)
                    for (uint64_t m = 1; m <= G / R; m++) {
                        want.candidates_evaluated++;
                        if (G % (m * R)) {
                            want.rejected_not_divisible++;
                            continue;
                        }
                        trainest_plan_request one = *prq;
                        one.global_batch = G;
                        one.micro_batch = m;
                        one.data_parallel = R;
                        one.tensor_parallel = tp;
                        one.pipeline_parallel = pp;
                        trainest_plan plan;
                        int st = tu_plan(&plan, &one);
                        /* the search checks the memory first; an
                         * unplannable step has no memory to check here,
                         * so the tests that have them give memory enough */
                        if (st == TRAINEST_E_NOT_DIVISIBLE) {
                            want.rejected_not_divisible++;
                            continue;
                        }
                        if (st != TRAINEST_OK) {
                            assert_int_equal(st, TRAINEST_E_NO_STEPS);
                            want.rejected_no_steps++;
                            continue;
                        }
                        trainest_memory mem;
                        mem.struct_size = sizeof mem;
                        assert_int_equal(trainest_memory_for_plan(&mem, mrq, &one), TRAINEST_OK);
                        if (!mem.fits) {
                            want.rejected_does_not_fit++;
                            continue;
                        }
                        trainest_estimate e = estimate(&one, erq, TRAINEST_OK);
                        want.feasible++;
                        assert_true(n < sizeof ref / sizeof ref[0]);
                        ref[n++] = (struct ref_result){G, R, tp, pp, m, e.total_s, mem.headroom_ratio};
                    }
        }
    qsort(ref, n, sizeof ref[0], ref_cmp);
    trainest_search_result res[32];
    uint32_t count = 0;
    out->struct_size = sizeof *out;
    res[0].struct_size = sizeof res[0];
    assert_int_equal(trainest_search_run(out, res, 32, &count, prq, erq, mrq, sr), TRAINEST_OK);
    assert_int_equal(out->candidates_evaluated, want.candidates_evaluated);
    assert_int_equal(out->rejected_not_divisible, want.rejected_not_divisible);
    assert_int_equal(out->rejected_does_not_fit, want.rejected_does_not_fit);
    assert_int_equal(out->rejected_no_steps, want.rejected_no_steps);
    assert_int_equal(out->rejected_overflow, 0);
    assert_int_equal(out->duplicates, 0);
    assert_int_equal(out->feasible, want.feasible);
    assert_int_equal(count, n < 32 ? n : 32);
    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(res[i].global_batch, ref[i].G);
        assert_int_equal(res[i].data_parallel, ref[i].R);
        assert_int_equal(res[i].tensor_parallel, ref[i].tp);
        assert_int_equal(res[i].pipeline_parallel, ref[i].pp);
        assert_int_equal(res[i].micro_batch, ref[i].m);
        assert_true(res[i].total_s == ref[i].total);
        assert_true(res[i].headroom_ratio == ref[i].headroom);
    }
}

static void search_setup(trainest_plan_request *prq, trainest_estimate_request *erq,
                         trainest_memory_request *mrq, trainest_search_request *sr)
{
    *prq = tu_request(4096, 0, 0, 0, 1);
    prq->seq_len_tokens = 256;
    prq->hidden = 512;
    prq->attention_heads = 8;
    prq->layers = 8;
    *erq = device_only(0.002, 0.001);
    erq->floor_s = 0.003;
    erq->optimizer_s = 0.004;
    erq->grad_bytes = 100000000;
    erq->latency_s = 1e-5;
    trainest_memory_request_init(mrq, sizeof *mrq);
    mrq->params = 50000000;
    mrq->zero_stage = 1;
    mrq->device_memory_bytes = 2000000000;
    trainest_search_request_init(sr, sizeof *sr);
    sr->global_batch_min = 16;
    sr->global_batch_max = 64;
    sr->global_batch_step = 16;
    sr->max_devices = 16;
    sr->max_tensor_parallel = 4;
    sr->max_pipeline_parallel = 4;
    sr->devices_per_node = 8;
}

static void test_search_over_layouts_equals_reference(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    search_setup(&prq, &erq, &mrq, &sr);
    trainest_search s;
    search_vs_reference(&prq, &erq, &mrq, &sr, &s);
    assert_true(s.rejected_does_not_fit > 0);
    /* model parallelism is on the podium at all */
    trainest_search_result res[8];
    uint32_t count = 0;
    res[0].struct_size = sizeof res[0];
    assert_int_equal(trainest_search_run(&s, res, 8, &count, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    bool any_mp = false;
    for (uint32_t i = 0; i < count; i++)
        any_mp |= res[i].tensor_parallel > 1 || res[i].pipeline_parallel > 1;
    assert_true(any_mp);
}

/* Interleaving: only pipelines of two stages or more, and a step whose
 * micro-batch count is not a multiple of the stages is rejected as not
 * divisible (Megatron's rule), not as a failure of the search. */
static void test_search_interleaved_equals_reference(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    search_setup(&prq, &erq, &mrq, &sr);
    prq.virtual_stages = 2;
    mrq.device_memory_bytes = UINT64_MAX / 4;
    trainest_search s;
    search_vs_reference(&prq, &erq, &mrq, &sr, &s);
    assert_true(s.rejected_not_divisible > 0);
    assert_true(s.feasible > 0);
    /* ranges without a pipeline cannot interleave: an error, not an empty podium */
    sr.max_pipeline_parallel = 1;
    uint32_t count = 7;
    assert_int_equal(trainest_search_run(&s, NULL, 0, &count, &prq, &erq, &mrq, &sr),
                     TRAINEST_E_BAD_LAYOUT);
    assert_int_equal(s.invalid_field, TRAINEST_FIELD_VIRTUAL_STAGES);
    assert_int_equal(count, 0);
}

/* A dataset smaller than the batch: with drop_last the epoch has no step,
 * and those candidates are counted as such. */
static void test_search_counts_plans_without_steps(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    trainest_search_request sr;
    search_setup(&prq, &erq, &mrq, &sr);
    prq.samples = 40;
    prq.sampler = TRAINEST_SAMPLER_DROP;
    prq.last_micro_batch = TRAINEST_LAST_MICRO_BATCH_DROP;
    mrq.device_memory_bytes = UINT64_MAX / 4;
    trainest_search s;
    search_vs_reference(&prq, &erq, &mrq, &sr, &s);
    assert_true(s.rejected_no_steps > 0);
    assert_true(s.feasible > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_matches_brute_force),
        cmocka_unit_test(test_layout_devices_or_data_parallel),
        cmocka_unit_test(test_layout_model_shape_must_split),
        cmocka_unit_test(test_layout_megatron_microbatches),
        cmocka_unit_test(test_layout_suggest_repairs),
        cmocka_unit_test(test_layout_suggest_repairs_the_model_shape),
        cmocka_unit_test(test_plan_suggest_interleaved_rounds),
        cmocka_unit_test(test_pipeline_1f1b_and_interleaved),
        cmocka_unit_test(test_tensor_parallel_communication),
        cmocka_unit_test(test_explicit_activation_bytes),
        cmocka_unit_test(test_data_parallel_over_model_shards),
        cmocka_unit_test(test_megatron_flops_gpt3_175b),
        cmocka_unit_test(test_published_training_times),
        cmocka_unit_test(test_memory_split_by_tp_pp_then_zero),
        cmocka_unit_test(test_memory_activations_from_model_shape),
        cmocka_unit_test(test_memory_for_plan_boundary),
        cmocka_unit_test(test_search_over_layouts_equals_reference),
        cmocka_unit_test(test_search_interleaved_equals_reference),
        cmocka_unit_test(test_search_counts_plans_without_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
