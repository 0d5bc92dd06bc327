/* SPDX-License-Identifier: MIT */
/* The run-time estimate: a step-time model applied to every optimizer step
 * of an exact plan, plus input pipeline, host-to-device copies, gradient
 * all-reduce and per-epoch overheads (docs/time-model.md). */
#include "estimate.h"

#include <math.h>
#include <string.h>

#include "abi.h"
#include "intmath.h"
#include "loader.h"
#include "plan.h"
#include "sizes.h"

#define FAIL(status, fld)                                                                      \
    do {                                                                                       \
        *field = (fld);                                                                        \
        return (status);                                                                       \
    } while (0)

/* A time, rate or size: finite and >= 0. */
static int check_nonneg(double v, uint32_t fld, uint32_t *field)
{
    if (!isfinite(v))
        FAIL(TRAINEST_E_NOT_FINITE, fld);
    if (v < 0)
        FAIL(TRAINEST_E_OUT_OF_RANGE, fld);
    return TRAINEST_OK;
}

static int check_ratio(double v, uint32_t fld, uint32_t *field)
{
    int st = check_nonneg(v, fld, field);
    if (st)
        return st;
    if (v > 1)
        FAIL(TRAINEST_E_OUT_OF_RANGE, fld);
    return TRAINEST_OK;
}

static int check_doubles(const trainest_estimate_request *rq, uint32_t *field)
{
    const struct {
        double v;
        uint32_t field;
    } times[] = {
        {rq->floor_s, TRAINEST_FIELD_FLOOR_S},
        {rq->fixed_s, TRAINEST_FIELD_FIXED_S},
        {rq->per_sample_s, TRAINEST_FIELD_PER_SAMPLE_S},
        {rq->launch_lag_s, TRAINEST_FIELD_LAUNCH_LAG_S},
        {rq->optimizer_s, TRAINEST_FIELD_OPTIMIZER_S},
        {rq->flops_per_sample, TRAINEST_FIELD_FLOPS_PER_SAMPLE},
        {rq->peak_flops_per_s, TRAINEST_FIELD_PEAK_FLOPS_PER_S},
        {rq->observed_step_s, TRAINEST_FIELD_OBSERVED_STEP_S},
        {rq->data_samples_per_s, TRAINEST_FIELD_DATA_SAMPLES_PER_S},
        {rq->data_samples_per_s_per_worker, TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER},
        {rq->h2d_bytes_per_s, TRAINEST_FIELD_H2D_BYTES_PER_S},
        {rq->bus_bytes_per_s, TRAINEST_FIELD_BUS_BYTES_PER_S},
        {rq->latency_s, TRAINEST_FIELD_LATENCY_S},
        {rq->inter_node_bytes_per_s, TRAINEST_FIELD_INTER_NODE_BYTES_PER_S},
        {rq->eval_s_per_epoch, TRAINEST_FIELD_EVAL_S_PER_EPOCH},
        {rq->checkpoint_s, TRAINEST_FIELD_CHECKPOINT_S},
        {rq->startup_s, TRAINEST_FIELD_STARTUP_S},
        {rq->data_worker_startup_s, TRAINEST_FIELD_DATA_WORKER_STARTUP_S},
    };
    int st;
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        if ((st = check_nonneg(times[i].v, times[i].field, field)))
            return st;
    if ((st = check_ratio(rq->efficiency_ratio, TRAINEST_FIELD_EFFICIENCY_RATIO, field)) ||
        (st = check_ratio(rq->comm_overlap_ratio, TRAINEST_FIELD_COMM_OVERLAP_RATIO, field)))
        return st;
    return TRAINEST_OK;
}

/* Training FLOPs per sample, or 0 if unknown. Fails only on contradictions.
 * Given, or 6 (8 with full recompute) * params * tokens (Kaplan et al.
 * 2020, Narayanan et al. 2021), or Megatron's formula from the model shape:
 * a forward pass is 24 s l h^2 (1 + s / (6 h) + V / (16 l h)) per sample,
 * training three of them (four with full recompute); selective recompute
 * adds the attention core's 4 s^2 l h once more (Korthikanti et al. 2022). */
static int flops_per_sample(const trainest_estimate_request *rq, const trainest_plan *plan,
                            const trainest_plan_request *prq, double *out, uint64_t *tokens,
                            uint32_t *field)
{
    *tokens = rq->tokens_per_sample ? rq->tokens_per_sample : plan->seq_len_tokens;
    *out = 0;
    if (rq->flops_per_sample > 0) {
        if (rq->params)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_FLOPS_PER_SAMPLE);
        *out = rq->flops_per_sample;
    } else if (rq->params && *tokens) {
        /* forward 2 + backward 4 FLOPs per parameter and token; full
         * recompute runs the forward twice */
        double per_token = rq->recompute == TRAINEST_RECOMPUTE_FULL ? 8.0 : 6.0;
        *out = per_token * (double)rq->params * (double)*tokens;
    } else if (prq && prq->layers && prq->hidden && prq->vocab && *tokens) {
        const double s = (double)*tokens, l = (double)prq->layers, h = (double)prq->hidden,
                     V = (double)prq->vocab;
        const double forward = 24 * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
        *out = (rq->recompute == TRAINEST_RECOMPUTE_FULL ? 4 : 3) * forward;
        if (rq->recompute == TRAINEST_RECOMPUTE_SELECTIVE)
            *out += 4 * s * s * l * h;
    }
    return TRAINEST_OK;
}

double trainest_priv_megatron_flops_per_iteration(double batch, double seq, double layers,
                                                  double hidden, double vocab)
{
    /* Narayanan et al. 2021, eq. 3 (full recompute) */
    return 96 * batch * seq * layers * hidden * hidden *
           (1 + seq / (6 * hidden) + vocab / (16 * layers * hidden));
}

static double device_s(const struct tr_step_model *sm, double samples)
{
    return sm->fixed_s + sm->per_sample_s * samples;
}

/* One pipeline stage running a micro-batch of s samples: its share of the
 * device time plus its tensor-parallel and point-to-point communication.
 * Without model parallelism, exactly device_s(). */
static double stage_s(const struct tr_step_model *sm, double samples)
{
    return device_s(sm, samples) / sm->split + sm->tp_fixed_s +
           (sm->tp_per_sample_s + sm->p2p_per_sample_s) * samples;
}

/* Fit the efficiency from one measured step assumed device-bound:
 * T = launch_lag + a * (fixed + per * m) + optimizer. */
static int fit_efficiency(const trainest_estimate_request *rq, const trainest_plan *plan,
                          struct tr_step_model *sm, uint32_t *field)
{
    const double m = (double)(rq->observed_micro_batch ? rq->observed_micro_batch : plan->micro_batch);
    const double a = (double)(rq->observed_grad_accum_steps ? rq->observed_grad_accum_steps
                                                            : plan->grad_accum_steps);
    const double busy = rq->observed_step_s - sm->optimizer_s - sm->launch_lag_s;
    if (busy <= a * sm->floor_s)
        FAIL(TRAINEST_E_UNIDENTIFIABLE, TRAINEST_FIELD_OBSERVED_STEP_S); /* launch-bound */
    const double per = (busy / a - sm->fixed_s) / m;
    if (!(per > 0))
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVED_STEP_S);
    const double eff = sm->flops_per_sample / (sm->peak_flops_per_s * per);
    if (!(eff > 0) || eff > 1 || !isfinite(eff))
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_OBSERVED_STEP_S); /* faster than peak */
    sm->efficiency_ratio = eff;
    return TRAINEST_OK;
}

/* TRAINEST_DATA_MODE_WORKERS: W workers of u seconds per sample each.
 * The worker fields belong to that mode only. */
static int loader_workers(struct tr_step_model *sm, const trainest_estimate_request *rq,
                          uint32_t *field)
{
    if (rq->reserved1)
        FAIL(TRAINEST_E_UNSUPPORTED, TRAINEST_FIELD_STRUCT_SIZE);
    if (rq->data_persistent_workers > 1)
        FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_DATA_PERSISTENT_WORKERS);
    if (rq->data_mode != TRAINEST_DATA_MODE_WORKERS) {
        if (rq->data_worker_startup_s != 0)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_WORKER_STARTUP_S);
        if (rq->data_persistent_workers)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_PERSISTENT_WORKERS);
        return TRAINEST_OK;
    }
    if (!rq->data_workers)
        FAIL(TRAINEST_E_ZERO, TRAINEST_FIELD_DATA_WORKERS);
    sm->workers_mode = true;
    sm->persistent_workers = rq->data_persistent_workers;
    sm->workers = rq->data_workers;
    sm->worker_startup_s = rq->data_worker_startup_s;
    /* a total rate is shared by the workers */
    if (rq->data_samples_per_s_per_worker > 0)
        sm->worker_s_per_sample = 1 / rq->data_samples_per_s_per_worker;
    else if (rq->data_samples_per_s > 0)
        sm->worker_s_per_sample = (double)rq->data_workers / rq->data_samples_per_s;
    if (!isfinite(sm->worker_s_per_sample))
        FAIL(TRAINEST_E_OUT_OF_RANGE, rq->data_samples_per_s_per_worker > 0
                                          ? TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER
                                          : TRAINEST_FIELD_DATA_SAMPLES_PER_S);
    return TRAINEST_OK;
}

int trainest_priv_step_model(struct tr_step_model *sm, const trainest_estimate_request *rq,
                             const trainest_plan *plan, const trainest_plan_request *prq,
                             uint32_t *field)
{
    memset(sm, 0, sizeof *sm);
    if (rq->step_source > TRAINEST_STEP_SOURCE_ANALYTIC)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_STEP_SOURCE);
    if (rq->data_mode > TRAINEST_DATA_MODE_WORKERS)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_DATA_MODE);
    if (rq->recompute > TRAINEST_RECOMPUTE_SELECTIVE)
        FAIL(TRAINEST_E_UNKNOWN_ENUM, TRAINEST_FIELD_RECOMPUTE);
    int st = check_doubles(rq, field);
    if (st)
        return st;

    sm->split = 1;
    sm->floor_s = rq->floor_s;
    sm->fixed_s = rq->fixed_s;
    sm->per_sample_s = rq->per_sample_s;
    sm->launch_lag_s = rq->launch_lag_s;
    sm->optimizer_s = rq->optimizer_s;
    sm->peak_flops_per_s = rq->peak_flops_per_s;
    if ((st = flops_per_sample(rq, plan, prq, &sm->flops_per_sample, &sm->tokens_per_sample,
                               field)))
        return st;

    if (rq->step_source == TRAINEST_STEP_SOURCE_ANALYTIC) {
        if (rq->per_sample_s != 0)
            FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_PER_SAMPLE_S);
        if (sm->flops_per_sample == 0)
            FAIL(TRAINEST_E_UNDERSPECIFIED, rq->params ? TRAINEST_FIELD_TOKENS_PER_SAMPLE
                                                       : TRAINEST_FIELD_FLOPS_PER_SAMPLE);
        if (sm->peak_flops_per_s == 0)
            FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_PEAK_FLOPS_PER_S);
        if (rq->efficiency_ratio > 0)
            sm->efficiency_ratio = rq->efficiency_ratio;
        else if (rq->observed_step_s > 0) {
            if ((st = fit_efficiency(rq, plan, sm, field)))
                return st;
        } else
            FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_EFFICIENCY_RATIO);
        sm->per_sample_s =
            sm->flops_per_sample / (sm->peak_flops_per_s * sm->efficiency_ratio);
        if (!isfinite(sm->per_sample_s))
            FAIL(TRAINEST_E_OUT_OF_RANGE, TRAINEST_FIELD_FLOPS_PER_SAMPLE);
    } else if (sm->floor_s == 0 && sm->fixed_s == 0 && sm->per_sample_s == 0) {
        FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_PER_SAMPLE_S);
    }

    /* Input pipeline, per replica. */
    if (rq->data_samples_per_s > 0 && rq->data_samples_per_s_per_worker > 0)
        FAIL(TRAINEST_E_INCONSISTENT, TRAINEST_FIELD_DATA_SAMPLES_PER_S);
    sm->data_samples_per_s = rq->data_samples_per_s;
    if (rq->data_samples_per_s_per_worker > 0)
        sm->data_samples_per_s = rq->data_samples_per_s_per_worker *
                                 (double)(rq->data_workers ? rq->data_workers : 1);
    sm->serial_data = rq->data_mode == TRAINEST_DATA_MODE_SERIAL;
    if ((st = loader_workers(sm, rq, field)))
        return st;

    if (rq->h2d_bytes_per_sample) {
        if (rq->h2d_bytes_per_s == 0)
            FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_H2D_BYTES_PER_S);
        sm->h2d_s_per_sample = (double)rq->h2d_bytes_per_sample / rq->h2d_bytes_per_s;
    }

    const uint64_t R = plan->data_parallel;
    const uint64_t tp = plan->tensor_parallel ? plan->tensor_parallel : 1;
    const uint64_t pp = plan->pipeline_parallel ? plan->pipeline_parallel : 1;
    const uint64_t v = plan->virtual_stages ? plan->virtual_stages : 1;
    const uint64_t devices = plan->devices ? plan->devices : R;
    sm->split = (double)tp * (double)pp;
    /* every device holds 1 / (TP PP) of the model: its optimizer step too */
    sm->optimizer_s /= sm->split;

    /* Ring all-reduce of S bytes over n ranks: 2 (n - 1) / n of the bytes
     * cross each link, plus 2 (n - 1) hops of latency. */
#define ALLREDUCE_S(n, bytes, bw) (2.0 * (double)((n) - 1) / (double)(n) * (bytes) / (bw) + 2.0 * (double)((n) - 1) * rq->latency_s)

    /* Data parallel: each replica's gradients, 1 / (TP PP) of them per
     * device; a ring that spans nodes runs at the inter-node bandwidth.
     * Exactly zero for one replica. */
    if (rq->grad_bytes && R > 1) {
        const bool multi_node = rq->devices_per_node && devices > rq->devices_per_node;
        const double bw = multi_node ? rq->inter_node_bytes_per_s : rq->bus_bytes_per_s;
        if (bw == 0)
            FAIL(TRAINEST_E_UNDERSPECIFIED, multi_node ? TRAINEST_FIELD_INTER_NODE_BYTES_PER_S
                                                       : TRAINEST_FIELD_BUS_BYTES_PER_S);
        sm->comm_step_s = ALLREDUCE_S(R, (double)rq->grad_bytes / sm->split, bw) *
                          (1.0 - rq->comm_overlap_ratio);
    }

    /* Tensor and pipeline parallelism move activations of seq * hidden
     * elements per sample (Megatron with sequence parallelism: the same
     * volume as an all-reduce), or the bytes the caller gives. */
    if (tp > 1 || pp > 1) {
        double bytes_per_sample = (double)rq->comm_activation_bytes_per_sample;
        if (!rq->comm_activation_bytes_per_sample) {
            if (!prq || !prq->hidden)
                FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_HIDDEN);
            if (!sm->tokens_per_sample)
                FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_SEQ_LEN_TOKENS);
            const double elem =
                rq->activation_bytes_per_element ? (double)rq->activation_bytes_per_element : 2;
            bytes_per_sample = (double)sm->tokens_per_sample * (double)prq->hidden * elem;
        }
        if (tp > 1) {
            if (!prq || !prq->layers)
                FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_LAYERS);
            const double bw = rq->tp_bytes_per_s > 0 ? rq->tp_bytes_per_s : rq->bus_bytes_per_s;
            if (bw == 0)
                FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_TP_BYTES_PER_S);
            /* two all-reduces per layer forward and two backward; full
             * recompute runs the forward, and its two, again */
            const double per_layer = rq->recompute == TRAINEST_RECOMPUTE_FULL ? 6 : 4;
            const double n = per_layer * (double)prq->layers / (double)pp;
            sm->tp_fixed_s = n * 2.0 * (double)(tp - 1) * rq->latency_s;
            sm->tp_per_sample_s = n * 2.0 * (double)(tp - 1) / (double)tp * bytes_per_sample / bw;
        }
        if (pp > 1) {
            /* the model's stages fill nodes: beyond one node, stages talk
             * across nodes */
            const bool cross = rq->devices_per_node && tp * pp > rq->devices_per_node;
            const double bw = rq->p2p_bytes_per_s > 0 ? rq->p2p_bytes_per_s
                              : cross            ? rq->inter_node_bytes_per_s
                                                 : rq->bus_bytes_per_s;
            if (bw == 0)
                FAIL(TRAINEST_E_UNDERSPECIFIED, TRAINEST_FIELD_P2P_BYTES_PER_S);
            /* each micro-batch crosses a stage boundary forward and backward,
             * v times with v model chunks per device */
            sm->p2p_per_sample_s = 2.0 * (double)v * bytes_per_sample / bw;
            sm->bubble_stages = (double)(pp - 1) / (double)v;
        }
    }
#undef ALLREDUCE_S
    return TRAINEST_OK;
}

/* The parts of one optimizer step. */
struct step_parts {
    double compute, optimizer, transfer, comm, stall, bubble, tp, p2p;
};

/* An optimizer step of k micro-batches, the last of r samples, the others
 * of m (per replica). The host launches k micro-batches while the device
 * runs them; the device starts launch_lag_s behind. With a pipeline the k
 * micro-batches flow through the stages (1F1B): the step takes the k stage
 * times plus (PP - 1) / v more to fill and drain it. */
static struct step_parts time_step(const struct tr_step_model *sm, double k, double m, double r)
{
    struct step_parts s;
    memset(&s, 0, sizeof s);
    const double host = k * sm->floor_s;
    const double work = (k - 1) * device_s(sm, m) + device_s(sm, r);
    const double samples = (k - 1) * m + r;
    const double dev_compute = sm->launch_lag_s + work / sm->split;
    const double tp = k * sm->tp_fixed_s + samples * sm->tp_per_sample_s;
    const double p2p = samples * sm->p2p_per_sample_s;
    const double bubble = sm->bubble_stages * stage_s(sm, m);
    if (host > dev_compute + tp + p2p + bubble) {
        s.compute = host; /* launch-bound: the device waits on the host */
    } else {
        s.compute = dev_compute;
        s.tp = tp;
        s.p2p = p2p;
        s.bubble = bubble;
    }
    s.optimizer = sm->optimizer_s;
    s.transfer = samples * sm->h2d_s_per_sample;
    s.comm = sm->comm_step_s;
    if (sm->data_samples_per_s > 0) {
        const double data = samples / sm->data_samples_per_s;
        const double busy = s.compute + s.tp + s.p2p + s.bubble + s.optimizer + s.transfer + s.comm;
        s.stall = sm->serial_data ? data : (data > busy ? data - busy : 0);
    }
    return s;
}

static double step_total(const struct step_parts *s)
{
    return s->compute + s->optimizer + s->transfer + s->comm + s->stall + s->bubble + s->tp + s->p2p;
}

double trainest_priv_full_step_s(const struct tr_step_model *sm, double a, double m)
{
    const struct step_parts s = time_step(sm, a, m, m);
    return step_total(&s);
}

static void add_parts(struct step_parts *sum, struct step_parts s, double times)
{
    sum->compute += s.compute * times;
    sum->optimizer += s.optimizer * times;
    sum->transfer += s.transfer * times;
    sum->comm += s.comm * times;
    sum->stall += s.stall * times;
    sum->bubble += s.bubble * times;
    sum->tp += s.tp * times;
    sum->p2p += s.p2p * times;
}

/* Every epoch has the same steps: (steps - 1) full windows and a last one. */
static struct step_parts time_uniform_epochs(const trainest_plan *p, const struct tr_step_model *sm)
{
    struct step_parts sum = {0, 0, 0, 0, 0, 0, 0, 0};
    const double m = (double)p->micro_batch, a = (double)p->grad_accum_steps;
    const double E = (double)p->epochs;
    const uint64_t steps = p->optimizer_steps_per_epoch;
    const uint64_t k = p->last_step_micro_batches;
    const double last_samples = (double)(p->last_step_samples / p->data_parallel);
    const double r = last_samples - (double)(k - 1) * m;
    add_parts(&sum, time_step(sm, a, m, m), (double)(steps - 1) * E);
    add_parts(&sum, time_step(sm, (double)k, m, r), E);
    return sum;
}

/* Steps run on across epochs (CARRY, Megatron's stream, HF's older loop):
 * average the windows, then credit the partial micro-batches. Exact when
 * every window is equally launch- or device-bound. */
static struct step_parts time_stream(const trainest_plan *p, const struct tr_step_model *sm)
{
    struct step_parts sum = {0, 0, 0, 0, 0, 0, 0, 0};
    const uint64_t m = p->micro_batch, a = p->grad_accum_steps;
    const uint64_t S = p->total_optimizer_steps, M = p->total_micro_steps;
    const uint64_t r = p->last_micro_batch_samples;
    /* Only CARRY keeps partial micro-batches here (Megatron's and HF's are
     * always full), and under CARRY every epoch runs to its end: one
     * partial micro-batch per epoch. */
    const uint64_t partials = r < m ? p->epochs : 0;
    uint64_t stepped;
    if (tr_mul_overflow(S, a, &stepped) || stepped > M)
        stepped = M;
    const uint64_t unstepped = M - stepped;
    const uint64_t unstepped_partials = unstepped && partials ? 1 : 0;
    const uint64_t stepped_partials = partials - unstepped_partials;

    const double k = (double)stepped / (double)S;
    struct step_parts full = time_step(sm, k, (double)m, (double)m);
    /* a partial micro-batch saves device time only where the device, not
     * the host, sets the pace */
    const double per_step = (double)stepped_partials / (double)S;
    const double missing = (double)(m - r);
    if (full.compute != k * sm->floor_s || sm->floor_s == 0) {
        full.compute -= per_step * (device_s(sm, (double)m) - device_s(sm, (double)r)) / sm->split;
        full.tp -= per_step * missing * sm->tp_per_sample_s;
        full.p2p -= per_step * missing * sm->p2p_per_sample_s;
    }
    full.transfer -= per_step * missing * sm->h2d_s_per_sample;
    add_parts(&sum, full, (double)S);

    /* The run's final, unstepped micro-batches: compute and copy only. */
    const double t_m = fmax(sm->floor_s, stage_s(sm, (double)m));
    const double t_r = fmax(sm->floor_s, stage_s(sm, (double)r));
    sum.compute += (double)(unstepped - unstepped_partials) * t_m + (double)unstepped_partials * t_r;
    const double tail_samples = (double)(unstepped * m - unstepped_partials * (m - r));
    sum.transfer += tail_samples * sm->h2d_s_per_sample;
    if (sm->data_samples_per_s > 0 && sm->serial_data)
        sum.stall += tail_samples / sm->data_samples_per_s;
    return sum;
}

/* TRAINEST_DATA_MODE_WORKERS: the run's wait for data. Every epoch is a
 * pass of the loader over micro_steps_per_epoch micro-batches (a run that
 * ends early has a shorter last pass; a run whose first epoch holds none,
 * Megatron's with fewer samples than a global batch, is one pass), the
 * device spending the run's busy time evenly on its micro-batches; each
 * pass starts its workers again unless they persist. */
static double workers_stall(const trainest_plan *p, const struct tr_step_model *sm, double busy_s)
{
    const uint64_t M = p->total_micro_steps;
    const uint64_t per_pass = p->micro_steps_per_epoch ? p->micro_steps_per_epoch : M;
    if (!M)
        return 0;
    const double consume_s = busy_s / (double)M;
    const uint64_t full = M / per_pass, rest = M % per_pass;
    const double later_startup_s = sm->persistent_workers ? 0 : sm->worker_startup_s;
#define LATENESS(batches, last, startup)                                                       \
    trainest_priv_worker_lateness(batches, p->micro_batch, last, sm->workers, startup,         \
                                  sm->worker_s_per_sample, consume_s)
    if (!full)
        return LATENESS(rest, p->micro_batch, sm->worker_startup_s);
    return LATENESS(per_pass, p->last_micro_batch_samples, sm->worker_startup_s) +
           (double)(full - 1) * LATENESS(per_pass, p->last_micro_batch_samples, later_startup_s) +
           LATENESS(rest, p->micro_batch, later_startup_s);
#undef LATENESS
}

void trainest_priv_estimate(trainest_estimate *e, const trainest_plan *p,
                            const struct tr_step_model *sm, const trainest_estimate_request *rq)
{
    const double m = (double)p->micro_batch, a = (double)p->grad_accum_steps;
    const double E = (double)p->epochs;
    const bool uniform = p->preset != TRAINEST_PRESET_MEGATRON &&
                         p->accum_tail != TRAINEST_ACCUM_TAIL_CARRY;
    /* with loader workers, the steps themselves never wait: the epochs do */
    const struct tr_step_model *busy_model = sm;
    struct tr_step_model unlimited;
    if (sm->workers_mode) {
        unlimited = *sm;
        unlimited.data_samples_per_s = 0;
        busy_model = &unlimited;
    }
    struct step_parts run =
        uniform ? time_uniform_epochs(p, busy_model) : time_stream(p, busy_model);
    if (sm->workers_mode)
        run.stall = workers_stall(p, sm, step_total(&run));
    struct step_parts full = time_step(sm, a, m, m);

    e->micro_batch_s = fmax(sm->floor_s, stage_s(sm, m));
    e->step_compute_s = full.compute;
    e->step_transfer_s = full.transfer;
    e->step_comm_s = full.comm;
    e->step_data_stall_s = full.stall;
    e->step_s = step_total(&full);

    e->compute_s = run.compute;
    e->optimizer_s = run.optimizer;
    e->transfer_s = run.transfer;
    e->comm_s = run.comm;
    e->data_stall_s = run.stall;
    e->bubble_s = run.bubble;
    e->tp_comm_s = run.tp;
    e->p2p_s = run.p2p;
    e->overhead_s = E * (rq->eval_s_per_epoch + rq->checkpoint_s * (double)rq->checkpoints_per_epoch) +
                    rq->startup_s;
    e->total_s = e->compute_s + e->optimizer_s + e->transfer_s + e->data_stall_s + e->comm_s +
                 e->overhead_s + e->bubble_s + e->tp_comm_s + e->p2p_s;
    e->stage_s = stage_s(sm, m);
    if (p->pipeline_parallel > 1)
        e->bubble_ratio = (double)(p->pipeline_parallel - 1) /
                          ((double)p->virtual_stages * (double)p->micro_batches_per_step);
    e->epoch_s = (e->total_s - rq->startup_s) / E;

    const double samples = (double)p->total_samples;
    e->samples_per_s = e->total_s > 0 ? samples / e->total_s : 0;
    e->tokens_per_s = e->samples_per_s * (double)sm->tokens_per_sample;
    e->per_sample_s = sm->per_sample_s;
    e->flops_per_sample = sm->flops_per_sample;
    e->total_flops = sm->flops_per_sample * samples;
    e->achieved_flops_per_s = e->total_s > 0 ? e->total_flops / e->total_s : 0;
    e->efficiency_ratio = sm->efficiency_ratio;
    if (sm->peak_flops_per_s > 0)
        e->mfu_ratio = e->achieved_flops_per_s /
                       (sm->peak_flops_per_s * (double)(p->devices ? p->devices : p->data_parallel));
}

/* Every output must be a finite number; a model that overflows the double
 * range is reported, not returned as infinity. */
static bool all_finite(const trainest_estimate *e)
{
    const double *v = &e->micro_batch_s;
    const double *end = &e->p2p_s;
    for (; v <= end; v++)
        if (!isfinite(*v))
            return false;
    return true;
}

int trainest_estimate_request_init(trainest_estimate_request *out, uint32_t struct_size)
{
    if (!out)
        return TRAINEST_E_NULL;
    if (struct_size < TR_SIZE_ESTIMATE_REQUEST_0_2 || struct_size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    memset(out, 0, struct_size); /* every default is zero */
    out->struct_size = struct_size;
    return TRAINEST_OK;
}

int trainest_priv_estimate_checked(trainest_estimate *e, const trainest_plan_request *prq,
                                   const trainest_estimate_request *rq, trainest_plan *plan)
{
    uint32_t *field = &e->invalid_field;
    plan->struct_size = sizeof *plan;
    int st = trainest_priv_plan_compute(plan, prq);
    if (st)
        FAIL(st, plan->invalid_field);
    struct tr_step_model sm;
    if ((st = trainest_priv_step_model(&sm, rq, plan, prq, field)))
        return st;
    trainest_priv_estimate(e, plan, &sm, rq);
    if (!all_finite(e))
        FAIL(TRAINEST_E_OVERFLOW, TRAINEST_FIELD_NONE);
    return TRAINEST_OK;
}

int trainest_estimate_run(trainest_estimate *out, const trainest_plan_request *plan_request,
                          const trainest_estimate_request *request)
{
    int st = trainest_priv_check_output(out, TR_SIZE_ESTIMATE_0_2);
    if (st)
        return st;
    trainest_estimate e;
    memset(&e, 0, sizeof e);
    trainest_plan_request prq;
    trainest_estimate_request rq;
    if ((st = trainest_priv_read_input(&prq, sizeof prq, plan_request, TR_SIZE_PLAN_REQUEST_0_1)) ||
        (st = trainest_priv_read_input(&rq, sizeof rq, request, TR_SIZE_ESTIMATE_REQUEST_0_2))) {
        e.invalid_field = st == TRAINEST_E_NULL ? TRAINEST_FIELD_NONE : TRAINEST_FIELD_STRUCT_SIZE;
    } else {
        trainest_plan plan;
        st = trainest_priv_estimate_checked(&e, &prq, &rq, &plan);
    }
    if (st) {
        uint32_t fld = e.invalid_field;
        memset(&e, 0, sizeof e);
        e.invalid_field = fld;
    }
    trainest_priv_write_output(out, &e, sizeof e);
    return st;
}
