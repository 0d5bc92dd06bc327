/* SPDX-License-Identifier: MIT */
/* The trainest command-line tool: a table of commands sharing one table of
 * flags. Each flag writes its parsed value straight into struct options (a
 * plan request, an estimate request and whatever else commands need), so
 * adding a command is a row in `commands` and adding a flag is a row in
 * `flags`. Unlike the library, the tool may allocate: the observations of a
 * calibration file and the candidates of a trade-off live on the heap.
 * This file holds the tables, parsing, help, errors, the shared output
 * helpers, and plan, estimate, calibrate and demo; cli_impl.h lists what the
 * other commands' files use. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli_impl.h"
#include "csv.h"
#include "json.h"
#include "trainest.h"

/* ---- Enum names, as the command line spells them ------------------------ */

static const struct enum_name preset_names[] = {
    {"plain", TRAINEST_PRESET_PLAIN},
    {"deepspeed", TRAINEST_PRESET_DEEPSPEED},
    {"megatron", TRAINEST_PRESET_MEGATRON},
    {"hf", TRAINEST_PRESET_HF},
    {"hf-legacy", TRAINEST_PRESET_HF_LEGACY},
    {"lightning", TRAINEST_PRESET_LIGHTNING},
    {NULL, 0},
};

static const struct enum_name sampler_names[] = {
    {"pad", TRAINEST_SAMPLER_PAD},
    {"drop", TRAINEST_SAMPLER_DROP},
    {"batch-shard", TRAINEST_SAMPLER_BATCH_SHARD},
    {NULL, 0},
};

static const struct enum_name last_micro_batch_names[] = {
    {"keep", TRAINEST_LAST_MICRO_BATCH_KEEP},
    {"drop", TRAINEST_LAST_MICRO_BATCH_DROP},
    {NULL, 0},
};

static const struct enum_name accum_tail_names[] = {
    {"step", TRAINEST_ACCUM_TAIL_STEP},
    {"drop", TRAINEST_ACCUM_TAIL_DROP},
    {"carry", TRAINEST_ACCUM_TAIL_CARRY},
    {NULL, 0},
};

static const struct enum_name divisibility_names[] = {
    {"error", TRAINEST_DIVISIBILITY_ERROR},
    {"down", TRAINEST_DIVISIBILITY_ROUND_DOWN},
    {"up", TRAINEST_DIVISIBILITY_ROUND_UP},
    {NULL, 0},
};

static const struct enum_name data_mode_names[] = {
    {"overlap", TRAINEST_DATA_MODE_OVERLAP},
    {"serial", TRAINEST_DATA_MODE_SERIAL},
    {"workers", TRAINEST_DATA_MODE_WORKERS},
    {NULL, 0},
};

static const struct enum_name recompute_names[] = {
    {"none", TRAINEST_RECOMPUTE_NONE},
    {"selective", TRAINEST_RECOMPUTE_SELECTIVE},
    {"full", TRAINEST_RECOMPUTE_FULL},
    {NULL, 0},
};

static const struct enum_name zero_stage_names[] = {
    {"0", 0}, {"1", 1}, {"2", 2}, {"3", 3}, {NULL, 0},
};

static const struct enum_name interval_rule_names[] = {
    {"daly", TRAINEST_INTERVAL_DALY},
    {"young", TRAINEST_INTERVAL_YOUNG},
    {NULL, 0},
};

/* A name for output; never NULL. */
static const char *name_of(const struct enum_name *names, uint32_t value)
{
    const char *s = enum_name_of(names, value);
    return s ? s : "unknown";
}

/* ---- Options and flags --------------------------------------------------- */

/* FLAG_DOUBLE takes a finite decimal number >= 0: every real-valued
 * quantity the tool takes is a time, a rate, a size or a ratio. FLAG_BITS
 * takes bytes per parameter as a decimal (2, 0.5, 12) and stores whole bits
 * in a uint32_t. FLAG_RANGE is MIN:MAX[:STEP] into three uint64_t, FLAG_TRIPLE
 * A,B,C into three uint64_t. */
enum flag_kind {
    FLAG_BOOL,
    FLAG_U64,
    FLAG_DOUBLE,
    FLAG_ENUM,
    FLAG_STRING,
    FLAG_BITS,
    FLAG_RANGE,
    FLAG_TRIPLE
};

/* Flags come in groups; a command accepts a set of groups. The order here
 * is the order of the sections in a command's help. */
enum flag_group {
    GROUP_BATCH = 1u << 0,
    GROUP_LAYOUT = 1u << 1,
    GROUP_SHAPE = 1u << 2,
    GROUP_POLICY = 1u << 3,
    GROUP_MEASURED = 1u << 4,
    GROUP_STEP = 1u << 5,
    GROUP_ANALYTIC = 1u << 6,
    GROUP_DATA = 1u << 7,
    GROUP_COMM = 1u << 8,
    GROUP_MPCOMM = 1u << 9,
    GROUP_OVERHEAD = 1u << 10,
    GROUP_DEVICE_MEMORY = 1u << 11,
    GROUP_MEMORY = 1u << 12,
    GROUP_FIT = 1u << 13,
    GROUP_SEARCH = 1u << 14,
    GROUP_FAILURE = 1u << 15,
    GROUP_RAMPUP = 1u << 16,
    GROUP_CRITICAL = 1u << 17,
    GROUP_TRADEOFF = 1u << 18,
    GROUP_ETA = 1u << 19,
    GROUP_PLOT = 1u << 20,
    GROUP_OUTPUT = 1u << 21,
    GROUP_LOADER = 1u << 22,
};

static const struct {
    unsigned group;
    const char *title;
} group_titles[] = {
    {GROUP_BATCH, "Batch"},
    {GROUP_LAYOUT, "Model parallelism (devices = DP x TP x PP)"},
    {GROUP_SHAPE, "Model shape (for layouts, parallel communication, FLOPs and memory)"},
    {GROUP_POLICY, "Rounding policies"},
    {GROUP_MEASURED, "Step time from measurements"},
    {GROUP_LOADER, "Loader workers from measurements (instead of --calibration)"},
    {GROUP_STEP, "Step time given directly (instead of --calibration)"},
    {GROUP_ANALYTIC, "Step time from FLOPs (FLOPs and peak also give the MFU)"},
    {GROUP_DATA, "Input pipeline and host-to-device copies"},
    {GROUP_COMM, "Gradient all-reduce (data parallel)"},
    {GROUP_MPCOMM, "Tensor- and pipeline-parallel communication"},
    {GROUP_OVERHEAD, "Overheads"},
    {GROUP_DEVICE_MEMORY, "Device memory"},
    {GROUP_MEMORY, "Memory model: bytes(m) = static + activations x m per device"},
    {GROUP_FIT, "Measured peaks"},
    {GROUP_SEARCH, "Search space"},
    {GROUP_FAILURE, "Failures and checkpoints"},
    {GROUP_RAMPUP, "Batch-size ramp-up (Megatron)"},
    {GROUP_CRITICAL, "Critical batch size (McCandlish et al. 2018)"},
    {GROUP_TRADEOFF, "Accumulation trade-off"},
    {GROUP_ETA, "Progress"},
    {GROUP_PLOT, "Plots"},
    {GROUP_OUTPUT, "Output"},
};

struct flag {
    const char *name;              /* without the leading "--" */
    enum flag_kind kind;
    unsigned group;                /* an enum flag_group bit */
    size_t offset;                 /* where the value goes in struct options */
    const struct enum_name *names; /* FLAG_ENUM: the accepted names */
    uint32_t field;                /* the trainest_field it sets: errors name the flag */
    bool required;                 /* every command that accepts it needs it */
    const char *metavar;           /* placeholder for the value in help */
    const char *help;
};

#define OPT(member) offsetof(struct options, member)
#define EST(member) OPT(estimate.member)
#define MEM(member) OPT(memory.member)

static const struct flag flags[] = {
    {"samples", FLAG_U64, GROUP_BATCH, OPT(plan.samples), NULL, TRAINEST_FIELD_SAMPLES, true, "N",
     "samples in the dataset per epoch (required)"},
    {"global-batch", FLAG_U64, GROUP_BATCH, OPT(plan.global_batch), NULL,
     TRAINEST_FIELD_GLOBAL_BATCH, false, "G", "samples per optimizer step over all devices"},
    {"micro-batch", FLAG_U64, GROUP_BATCH, OPT(plan.micro_batch), NULL,
     TRAINEST_FIELD_MICRO_BATCH, false, "M", "samples per device per forward/backward pass"},
    {"grad-accum", FLAG_U64, GROUP_BATCH, OPT(plan.grad_accum_steps), NULL,
     TRAINEST_FIELD_GRAD_ACCUM_STEPS, false, "A", "micro-batches accumulated per optimizer step"},
    {"devices", FLAG_U64, GROUP_BATCH, OPT(plan.data_parallel), NULL,
     TRAINEST_FIELD_DATA_PARALLEL, false, "R",
     "data-parallel replicas (default 1); with --total-devices it is derived"},
    {"max-micro-batch", FLAG_U64, GROUP_BATCH, OPT(plan.max_micro_batch), NULL,
     TRAINEST_FIELD_MAX_MICRO_BATCH, false, "M",
     "largest micro-batch that fits in memory (default 0: no limit)"},
    {"epochs", FLAG_U64, GROUP_BATCH, OPT(plan.epochs), NULL, TRAINEST_FIELD_EPOCHS, false, "E",
     "passes over the dataset (default 1)"},
    {"seq-len", FLAG_U64, GROUP_BATCH, OPT(plan.seq_len_tokens), NULL,
     TRAINEST_FIELD_SEQ_LEN_TOKENS, false, "T", "tokens per sample; adds token counts"},

    {"tensor-parallel", FLAG_U64, GROUP_LAYOUT, OPT(plan.tensor_parallel), NULL,
     TRAINEST_FIELD_TENSOR_PARALLEL, false, "TP",
     "devices that split every layer (default 1); needs --hidden, --layers and --seq-len "
     "for the time"},
    {"pipeline-parallel", FLAG_U64, GROUP_LAYOUT, OPT(plan.pipeline_parallel), NULL,
     TRAINEST_FIELD_PIPELINE_PARALLEL, false, "PP",
     "pipeline stages, each with layers / PP layers (default 1); needs --hidden and "
     "--seq-len for the time"},
    {"virtual-stages", FLAG_U64, GROUP_LAYOUT, OPT(plan.virtual_stages), NULL,
     TRAINEST_FIELD_VIRTUAL_STAGES, false, "V",
     "model chunks per device for the interleaved 1F1B schedule (default 1: plain 1F1B); "
     "needs a micro-batch count per step that is a multiple of PP"},
    {"total-devices", FLAG_U64, GROUP_LAYOUT, OPT(plan.devices), NULL, TRAINEST_FIELD_DEVICES,
     false, "N",
     "all devices, DP x TP x PP: the data-parallel size is then derived as N / (TP x PP) "
     "(leave --devices out, or give that value)"},

    {"layers", FLAG_U64, GROUP_SHAPE, OPT(plan.layers), NULL, TRAINEST_FIELD_LAYERS, false, "L",
     "transformer layers (a multiple of PP x virtual stages)"},
    {"hidden", FLAG_U64, GROUP_SHAPE, OPT(plan.hidden), NULL, TRAINEST_FIELD_HIDDEN, false, "H",
     "hidden size (a multiple of TP)"},
    {"attention-heads", FLAG_U64, GROUP_SHAPE, OPT(plan.attention_heads), NULL,
     TRAINEST_FIELD_ATTENTION_HEADS, false, "A",
     "attention heads (a multiple of TP), for activation memory"},
    {"vocab", FLAG_U64, GROUP_SHAPE, OPT(plan.vocab), NULL, TRAINEST_FIELD_VOCAB, false, "V",
     "vocabulary size: with --layers and --hidden, FLOPs by Megatron's formula"},

    {"preset", FLAG_ENUM, GROUP_POLICY, OPT(plan.preset), preset_names, TRAINEST_FIELD_PRESET,
     false, "NAME", "whose rules to follow (default plain)"},
    {"sampler", FLAG_ENUM, GROUP_POLICY, OPT(plan.sampler), sampler_names,
     TRAINEST_FIELD_SAMPLER, false, "NAME", "sharding over devices (default: the preset's)"},
    {"last-micro-batch", FLAG_ENUM, GROUP_POLICY, OPT(plan.last_micro_batch),
     last_micro_batch_names, TRAINEST_FIELD_LAST_MICRO_BATCH, false, "NAME",
     "a partial last micro-batch (default: the preset's)"},
    {"accum-tail", FLAG_ENUM, GROUP_POLICY, OPT(plan.accum_tail), accum_tail_names,
     TRAINEST_FIELD_ACCUM_TAIL, false, "NAME",
     "a partial accumulation window (default: the preset's)"},
    {"divisibility", FLAG_ENUM, GROUP_POLICY, OPT(plan.divisibility), divisibility_names,
     TRAINEST_FIELD_DIVISIBILITY, false, "NAME",
     "when the global batch does not split evenly (default error)"},

    {"calibration", FLAG_STRING, GROUP_MEASURED, OPT(calibration), NULL,
     TRAINEST_FIELD_OBSERVATIONS, false, "FILE.csv",
     "measured optimizer steps: columns micro_batch, grad_accum, step_s"},
    {"loader", FLAG_STRING, GROUP_LOADER, OPT(loader), NULL, TRAINEST_FIELD_NONE, false,
     "FILE.csv",
     "loader-only epochs: columns workers, batch_size, samples, seconds; fits "
     "--data-worker-startup-s and --data-samples-per-s-per-worker"},
    {"optimizer-s", FLAG_DOUBLE, GROUP_MEASURED, EST(optimizer_s), NULL,
     TRAINEST_FIELD_OPTIMIZER_S, false, "S",
     "optimizer step, zero_grad and sync per optimizer step; with --calibration it is held "
     "fixed (needed when every row has the same grad_accum)"},
    {"floor-s", FLAG_DOUBLE, GROUP_STEP, EST(floor_s), NULL, TRAINEST_FIELD_FLOOR_S, false, "S",
     "host time to launch one micro-batch (the launch-bound floor)"},
    {"fixed-s", FLAG_DOUBLE, GROUP_STEP, EST(fixed_s), NULL, TRAINEST_FIELD_FIXED_S, false, "S",
     "device time per micro-batch independent of its size"},
    {"per-sample-s", FLAG_DOUBLE, GROUP_STEP, EST(per_sample_s), NULL,
     TRAINEST_FIELD_PER_SAMPLE_S, false, "S", "device time per sample"},
    {"launch-lag-s", FLAG_DOUBLE, GROUP_STEP, EST(launch_lag_s), NULL,
     TRAINEST_FIELD_LAUNCH_LAG_S, false, "S",
     "per optimizer step when device-bound: the host's head start"},

    {"params", FLAG_U64, GROUP_ANALYTIC, EST(params), NULL, TRAINEST_FIELD_PARAMS, false, "N",
     "model parameters: FLOPs per sample = 6 x params x tokens per sample; also the memory "
     "model's parameters (weights, gradients, optimizer states) unless --static-bytes or "
     "--memory-points is given"},
    {"tokens-per-sample", FLAG_U64, GROUP_ANALYTIC, EST(tokens_per_sample), NULL,
     TRAINEST_FIELD_TOKENS_PER_SAMPLE, false, "T",
     "tokens per sample for FLOPs (default --seq-len)"},
    {"flops-per-sample", FLAG_DOUBLE, GROUP_ANALYTIC, EST(flops_per_sample), NULL,
     TRAINEST_FIELD_FLOPS_PER_SAMPLE, false, "F",
     "training FLOPs per sample (instead of --params)"},
    {"recompute", FLAG_ENUM, GROUP_ANALYTIC, EST(recompute), recompute_names,
     TRAINEST_FIELD_RECOMPUTE, false, "NAME",
     "activation recomputation (default none): full makes FLOPs 8 x params x tokens and "
     "repeats the forward's tensor-parallel all-reduces; selective recomputes the attention "
     "core; both shrink activation memory from the model shape"},
    {"peak-flops-per-s", FLAG_DOUBLE, GROUP_ANALYTIC, EST(peak_flops_per_s), NULL,
     TRAINEST_FIELD_PEAK_FLOPS_PER_S, false, "F",
     "peak FLOP/s of one device; with --params or --flops-per-sample and no --per-sample-s "
     "or --calibration, the step time comes from FLOPs"},
    {"efficiency", FLAG_DOUBLE, GROUP_ANALYTIC, EST(efficiency_ratio), NULL,
     TRAINEST_FIELD_EFFICIENCY_RATIO, false, "R", "achieved / peak FLOP/s, in (0, 1]"},
    {"observed-step-s", FLAG_DOUBLE, GROUP_ANALYTIC, EST(observed_step_s), NULL,
     TRAINEST_FIELD_OBSERVED_STEP_S, false, "S",
     "or: one measured optimizer step, to fit the efficiency from"},
    {"observed-micro-batch", FLAG_U64, GROUP_ANALYTIC, EST(observed_micro_batch), NULL,
     TRAINEST_FIELD_OBSERVED_MICRO_BATCH, false, "M",
     "micro-batch of that step (default: the plan's)"},
    {"observed-grad-accum", FLAG_U64, GROUP_ANALYTIC, EST(observed_grad_accum_steps), NULL,
     TRAINEST_FIELD_OBSERVED_GRAD_ACCUM_STEPS, false, "A",
     "accumulation steps of that step (default: the plan's)"},

    {"data-samples-per-s", FLAG_DOUBLE, GROUP_DATA, EST(data_samples_per_s), NULL,
     TRAINEST_FIELD_DATA_SAMPLES_PER_S, false, "X",
     "samples/s one device's input pipeline delivers, all its workers together (default: "
     "unlimited)"},
    {"data-samples-per-s-per-worker", FLAG_DOUBLE, GROUP_DATA,
     EST(data_samples_per_s_per_worker), NULL, TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER,
     false, "X", "or: samples/s of one loader worker ..."},
    {"data-workers", FLAG_U64, GROUP_DATA, EST(data_workers), NULL, TRAINEST_FIELD_DATA_WORKERS,
     false, "N", "... times this many workers (default 1; --data-overlap workers needs it)"},
    {"data-overlap", FLAG_ENUM, GROUP_DATA, EST(data_mode), data_mode_names,
     TRAINEST_FIELD_DATA_MODE, false, "MODE",
     "overlap: prefetching workers, a step takes max(compute, data); serial: compute + data; "
     "workers: --data-workers loader workers, started one after another at every epoch, "
     "each building whole micro-batches, as PyTorch's DataLoader(num_workers=N) "
     "(docs/time-model.md) (default overlap)"},
    {"data-worker-startup-s", FLAG_DOUBLE, GROUP_DATA, EST(data_worker_startup_s), NULL,
     TRAINEST_FIELD_DATA_WORKER_STARTUP_S, false, "S",
     "with --data-overlap workers: seconds from one loader worker's start to the next's "
     "(default 0); 'trainest calibrate --loader' fits it"},
    {"data-persistent-workers", FLAG_BOOL, GROUP_DATA, OPT(persistent_workers), NULL,
     TRAINEST_FIELD_DATA_PERSISTENT_WORKERS, false, NULL,
     "with --data-overlap workers: the workers start once per run, not at every epoch "
     "(PyTorch's persistent_workers=True)"},
    {"h2d-bytes-per-sample", FLAG_U64, GROUP_DATA, EST(h2d_bytes_per_sample), NULL,
     TRAINEST_FIELD_H2D_BYTES_PER_SAMPLE, false, "B",
     "bytes copied host to device per sample (default 0: no copy)"},
    {"h2d-bytes-per-s", FLAG_DOUBLE, GROUP_DATA, EST(h2d_bytes_per_s), NULL,
     TRAINEST_FIELD_H2D_BYTES_PER_S, false, "X",
     "host-to-device bandwidth (no default: measure it)"},

    {"grad-bytes", FLAG_U64, GROUP_COMM, EST(grad_bytes), NULL, TRAINEST_FIELD_GRAD_BYTES, false,
     "B", "gradient bytes all-reduced per optimizer step: params x bytes per element"},
    {"bus-bytes-per-s", FLAG_DOUBLE, GROUP_COMM, EST(bus_bytes_per_s), NULL,
     TRAINEST_FIELD_BUS_BYTES_PER_S, false, "X", "all-reduce bus bandwidth within a node"},
    {"latency-s", FLAG_DOUBLE, GROUP_COMM, EST(latency_s), NULL, TRAINEST_FIELD_LATENCY_S, false,
     "S", "latency per ring hop (default 0)"},
    {"devices-per-node", FLAG_U64, GROUP_COMM, EST(devices_per_node), NULL,
     TRAINEST_FIELD_DEVICES_PER_NODE, false, "N",
     "devices per node (default 0: all in one node); the search keeps tensor parallelism "
     "within a node, the failure model counts nodes with it"},
    {"inter-node-bytes-per-s", FLAG_DOUBLE, GROUP_COMM, EST(inter_node_bytes_per_s), NULL,
     TRAINEST_FIELD_INTER_NODE_BYTES_PER_S, false, "X",
     "all-reduce bandwidth across nodes (needed when devices span nodes)"},
    {"comm-overlap-ratio", FLAG_DOUBLE, GROUP_COMM, EST(comm_overlap_ratio), NULL,
     TRAINEST_FIELD_COMM_OVERLAP_RATIO, false, "R",
     "fraction in [0, 1] of the all-reduce hidden behind the backward pass (default 0)"},

    {"activation-bytes-per-element", FLAG_U64, GROUP_MPCOMM, EST(activation_bytes_per_element),
     NULL, TRAINEST_FIELD_ACTIVATION_BYTES_PER_ELEMENT, false, "B",
     "bytes per activation element sent between tensor- and pipeline-parallel ranks "
     "(default 2: bf16)"},
    {"comm-activation-bytes-per-sample", FLAG_U64, GROUP_MPCOMM,
     EST(comm_activation_bytes_per_sample), NULL,
     TRAINEST_FIELD_COMM_ACTIVATION_BYTES_PER_SAMPLE, false, "B",
     "bytes of one layer's activations of one sample, as tensor- and pipeline-parallel "
     "ranks send them (default seq-len x hidden x --activation-bytes-per-element); "
     "given, --hidden and --seq-len are not needed for the time"},
    {"tp-bytes-per-s", FLAG_DOUBLE, GROUP_MPCOMM, EST(tp_bytes_per_s), NULL,
     TRAINEST_FIELD_TP_BYTES_PER_S, false, "X",
     "tensor-parallel all-reduce bandwidth within a node (default --bus-bytes-per-s)"},
    {"p2p-bytes-per-s", FLAG_DOUBLE, GROUP_MPCOMM, EST(p2p_bytes_per_s), NULL,
     TRAINEST_FIELD_P2P_BYTES_PER_S, false, "X",
     "bandwidth between pipeline stages (default --bus-bytes-per-s, or "
     "--inter-node-bytes-per-s once a model replica spans nodes)"},

    {"eval-s-per-epoch", FLAG_DOUBLE, GROUP_OVERHEAD, EST(eval_s_per_epoch), NULL,
     TRAINEST_FIELD_EVAL_S_PER_EPOCH, false, "S", "evaluation time per epoch"},
    {"checkpoint-s", FLAG_DOUBLE, GROUP_OVERHEAD, EST(checkpoint_s), NULL,
     TRAINEST_FIELD_CHECKPOINT_S, false, "S",
     "time to write one checkpoint (scheduled per epoch; the failure model has its own "
     "--checkpoint-write-s)"},
    {"checkpoints-per-epoch", FLAG_U64, GROUP_OVERHEAD, EST(checkpoints_per_epoch), NULL,
     TRAINEST_FIELD_CHECKPOINTS_PER_EPOCH, false, "N", "checkpoints written per epoch"},
    {"startup-s", FLAG_DOUBLE, GROUP_OVERHEAD, EST(startup_s), NULL, TRAINEST_FIELD_STARTUP_S,
     false, "S", "one-time start-up: launch, model build, compilation"},

    {"device-memory-bytes", FLAG_U64, GROUP_DEVICE_MEMORY, MEM(device_memory_bytes), NULL,
     TRAINEST_FIELD_DEVICE_MEMORY_BYTES, false, "D", "memory of one device (default: unlimited)"},
    {"headroom-ratio", FLAG_DOUBLE, GROUP_DEVICE_MEMORY, MEM(headroom_ratio), NULL,
     TRAINEST_FIELD_HEADROOM_RATIO, false, "H",
     "fraction in [0, 1) of device memory kept free (default 0)"},

    {"zero-stage", FLAG_ENUM, GROUP_MEMORY, MEM(zero_stage), zero_stage_names,
     TRAINEST_FIELD_ZERO_STAGE, false, "Z",
     "ZeRO over the data-parallel replicas: 1 shards optimizer states, 2 also gradients, "
     "3 also weights (default 0)"},
    {"bytes-per-param-weights", FLAG_BITS, GROUP_MEMORY, MEM(weight_bits_per_param), NULL,
     TRAINEST_FIELD_WEIGHT_BITS_PER_PARAM, false, "B",
     "bytes of weights per parameter, whole bits (2, 0.5: default 2)"},
    {"bytes-per-param-grads", FLAG_BITS, GROUP_MEMORY, MEM(grad_bits_per_param), NULL,
     TRAINEST_FIELD_GRAD_BITS_PER_PARAM, false, "B",
     "bytes of gradients per parameter (default 2)"},
    {"bytes-per-param-optimizer", FLAG_BITS, GROUP_MEMORY, MEM(optimizer_bits_per_param), NULL,
     TRAINEST_FIELD_OPTIMIZER_BITS_PER_PARAM, false, "B",
     "bytes of optimizer state per parameter (default 12: mixed-precision Adam)"},
    {"overhead-bytes", FLAG_U64, GROUP_MEMORY, MEM(overhead_bytes), NULL,
     TRAINEST_FIELD_OVERHEAD_BYTES, false, "B",
     "fixed per-device overhead added to the model states (context, workspaces)"},
    {"static-bytes", FLAG_U64, GROUP_MEMORY, MEM(static_bytes), NULL, TRAINEST_FIELD_STATIC_BYTES,
     false, "B", "or: measured bytes that do not grow with the micro-batch (instead of the "
     "model states from --params)"},
    {"activation-bytes-per-sample", FLAG_U64, GROUP_MEMORY, MEM(activation_bytes_per_sample),
     NULL, TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE, false, "B",
     "peak bytes per sample of the micro-batch, whole model on one device (default: from "
     "--layers, --hidden, --attention-heads and --seq-len)"},
    {"memory-points", FLAG_STRING, GROUP_MEMORY, OPT(memory_points), NULL,
     TRAINEST_FIELD_MEMORY_POINTS, false, "FILE.csv",
     "or: measured peaks (columns micro_batch, peak_bytes), fitted for the static and "
     "per-sample bytes"},

    {"points", FLAG_STRING, GROUP_FIT, OPT(points), NULL, TRAINEST_FIELD_MEMORY_POINTS, false,
     "FILE.csv", "measured peaks: columns micro_batch, peak_bytes"},

    {"max-devices", FLAG_U64, GROUP_SEARCH, OPT(search.max_devices), NULL,
     TRAINEST_FIELD_MAX_DEVICES, false, "N",
     "devices available: every layout with DP x TP x PP <= N is tried (default 1)"},
    {"global-batch-range", FLAG_RANGE, GROUP_SEARCH, OPT(search.global_batch_min), NULL,
     TRAINEST_FIELD_GLOBAL_BATCH_MIN, false, "MIN:MAX[:STEP]",
     "global batches to try, MIN to MAX inclusive by STEP (default 1); without it, "
     "--global-batch"},
    {"max-tensor-parallel", FLAG_U64, GROUP_SEARCH, OPT(search.max_tensor_parallel), NULL,
     TRAINEST_FIELD_MAX_TENSOR_PARALLEL, false, "TP",
     "tensor-parallel sizes to try: powers of two up to TP, within a node (default 1)"},
    {"max-pipeline-parallel", FLAG_U64, GROUP_SEARCH, OPT(search.max_pipeline_parallel), NULL,
     TRAINEST_FIELD_MAX_PIPELINE_PARALLEL, false, "PP",
     "pipeline-parallel sizes to try: powers of two up to PP dividing --layers (default 1)"},
    {"top", FLAG_U64, GROUP_SEARCH, OPT(top), NULL, TRAINEST_FIELD_NONE, false, "K",
     "how many of the fastest plans to list (default 10, at most 100000)"},

    {"mtbf-hours-per-device", FLAG_DOUBLE, GROUP_FAILURE, OPT(failure.mtbf_hours_per_device),
     NULL, TRAINEST_FIELD_MTBF_HOURS_PER_DEVICE, false, "H",
     "mean time between failures of one device, hours; turns on the failure model"},
    {"mtbf-hours-per-node", FLAG_DOUBLE, GROUP_FAILURE, OPT(failure.mtbf_hours_per_node), NULL,
     TRAINEST_FIELD_MTBF_HOURS_PER_NODE, false, "H",
     "mean time between failures of one node (host, network), hours; needs "
     "--devices-per-node"},
    {"checkpoint-write-s", FLAG_DOUBLE, GROUP_FAILURE, OPT(failure.checkpoint_write_s), NULL,
     TRAINEST_FIELD_CHECKPOINT_WRITE_S, false, "S",
     "time the run pauses to write one checkpoint (needed for the optimal interval)"},
    {"restart-s", FLAG_DOUBLE, GROUP_FAILURE, OPT(failure.restart_s), NULL,
     TRAINEST_FIELD_RESTART_S, false, "S",
     "time from a failure to training again: detection, reload, warm-up"},
    {"checkpoint-interval-s", FLAG_DOUBLE, GROUP_FAILURE, OPT(failure.checkpoint_interval_s),
     NULL, TRAINEST_FIELD_CHECKPOINT_INTERVAL_S, false, "S",
     "compute seconds between checkpoints (default 0: optimal)"},
    {"interval-rule", FLAG_ENUM, GROUP_FAILURE, OPT(failure.interval_rule), interval_rule_names,
     TRAINEST_FIELD_INTERVAL_RULE, false, "NAME",
     "the optimal interval's formula: daly (higher order, default) or young"},

    {"rampup", FLAG_TRIPLE, GROUP_RAMPUP, OPT(rampup.start_global_batch), NULL,
     TRAINEST_FIELD_RAMPUP_START, false, "START,INCR,SAMPLES",
     "Megatron's --rampup-batch-size: the global batch grows from START by INCR over SAMPLES "
     "samples to --global-batch (needs --preset megatron)"},

    {"noise-scale", FLAG_DOUBLE, GROUP_CRITICAL, OPT(critical.noise_scale), NULL,
     TRAINEST_FIELD_NOISE_SCALE, false, "B",
     "gradient noise scale B_noise (about the critical batch), samples"},
    {"min-steps", FLAG_DOUBLE, GROUP_CRITICAL, OPT(critical.min_steps), NULL,
     TRAINEST_FIELD_MIN_STEPS, false, "S",
     "S_min: steps to the target loss with an infinite batch ..."},
    {"min-samples", FLAG_DOUBLE, GROUP_CRITICAL, OPT(critical.min_samples), NULL,
     TRAINEST_FIELD_MIN_SAMPLES, false, "E",
     "... or E_min: samples to the target with a tiny batch"},
    {"max-global-batch", FLAG_U64, GROUP_CRITICAL, OPT(critical.max_global_batch), NULL,
     TRAINEST_FIELD_MAX_GLOBAL_BATCH, false, "G",
     "largest global batch the best-batch search tries (default 64 x noise scale)"},

    {"tradeoff", FLAG_BOOL, GROUP_TRADEOFF, OPT(tradeoff), NULL, TRAINEST_FIELD_NONE, false, NULL,
     "time every micro-batch that divides the per-device batch, and recommend the largest "
     "within --max-micro-batch and the memory model"},

    {"steps-done", FLAG_U64, GROUP_ETA, OPT(eta.steps_done), NULL, TRAINEST_FIELD_NONE, false,
     "N", "steps already done before the first line (resuming)"},
    {"warmup-steps", FLAG_U64, GROUP_ETA, OPT(eta.warmup_steps), NULL, TRAINEST_FIELD_NONE,
     false, "N", "first steps left out of the step time (default 5)"},
    {"outlier-ratio", FLAG_DOUBLE, GROUP_ETA, OPT(eta.outlier_ratio), NULL,
     TRAINEST_FIELD_OUTLIER_RATIO, false, "R",
     "a step longer than R x the median is an outlier: elapsed, not step time (default 3)"},
    {"every", FLAG_U64, GROUP_ETA, OPT(every), NULL, TRAINEST_FIELD_NONE, false, "N",
     "report every N steps (default 1)"},
    {"now", FLAG_DOUBLE, GROUP_ETA, OPT(now), NULL, TRAINEST_FIELD_NOW_UNIX_S, false, "UNIX_S",
     "the clock at the first line, seconds since 1970 (default: the system clock); for "
     "replays and tests"},
    {"now-step", FLAG_DOUBLE, GROUP_ETA, OPT(now_step), NULL, TRAINEST_FIELD_NONE, false, "S",
     "with --now: seconds the clock advances per line read (default 0)"},
    {"progress", FLAG_BOOL, GROUP_ETA, OPT(progress), NULL, TRAINEST_FIELD_NONE, false, NULL,
     "draw the self-updating progress line even when the output is not a terminal"},

    {"svg", FLAG_STRING, GROUP_PLOT, OPT(svg), NULL, TRAINEST_FIELD_NONE, false, "FILE.svg",
     "write the three plots as one self-contained SVG"},
    {"csv", FLAG_STRING, GROUP_PLOT, OPT(csv), NULL, TRAINEST_FIELD_NONE, false, "FILE.csv",
     "write every plotted point: panel,series,x,y,unit_x,unit_y ('-': standard output)"},

    {"json", FLAG_BOOL, GROUP_OUTPUT, OPT(json), NULL, TRAINEST_FIELD_NONE, false, NULL,
     "print JSON instead of a table (eta: one object per line)"},
};

#define FLAG_COUNT (sizeof flags / sizeof flags[0])
_Static_assert(FLAG_COUNT <= MAX_FLAGS, "raise MAX_FLAGS");

/* Fields no flag sets directly (or several flags set), and the flags that
 * supply them: the first the running command accepts is named. */
static const struct {
    uint32_t field;
    const char *flag;
} field_flags[] = {
    {TRAINEST_FIELD_OBSERVATION_MICRO_BATCH, "calibration"},
    {TRAINEST_FIELD_OBSERVATION_GRAD_ACCUM_STEPS, "calibration"},
    {TRAINEST_FIELD_OBSERVATION_STEP_S, "calibration"},
    {TRAINEST_FIELD_CALIBRATION_FLAGS, "optimizer-s"},
    {TRAINEST_FIELD_LOADER_WORKERS, "loader"},
    {TRAINEST_FIELD_LOADER_BATCH_SIZE, "loader"},
    {TRAINEST_FIELD_LOADER_SAMPLES, "loader"},
    {TRAINEST_FIELD_LOADER_SECONDS, "loader"},
    {TRAINEST_FIELD_MEMORY_PARAMS, "params"},
    {TRAINEST_FIELD_STATIC_BYTES, "memory-points"},
    {TRAINEST_FIELD_ACTIVATION_BYTES_PER_SAMPLE, "memory-points"},
    {TRAINEST_FIELD_MEMORY_POINTS, "memory-points"},
    {TRAINEST_FIELD_MEMORY_POINT_MICRO_BATCH, "points"},
    {TRAINEST_FIELD_MEMORY_POINT_MICRO_BATCH, "memory-points"},
    {TRAINEST_FIELD_MEMORY_POINT_PEAK_BYTES, "points"},
    {TRAINEST_FIELD_MEMORY_POINT_PEAK_BYTES, "memory-points"},
    {TRAINEST_FIELD_GLOBAL_BATCH_MAX, "global-batch-range"},
    {TRAINEST_FIELD_GLOBAL_BATCH_STEP, "global-batch-range"},
    {TRAINEST_FIELD_MEMORY_RECOMPUTE, "recompute"},
    {TRAINEST_FIELD_FAILURE_DEVICES, "total-devices"},
    {TRAINEST_FIELD_FAILURE_DEVICES, "devices"},
    {TRAINEST_FIELD_FAILURE_DEVICES_PER_NODE, "devices-per-node"},
    {TRAINEST_FIELD_SEARCH_DEVICES_PER_NODE, "devices-per-node"},
    {TRAINEST_FIELD_RAMPUP_INCREMENT, "rampup"},
    {TRAINEST_FIELD_RAMPUP_SAMPLES, "rampup"},
    {TRAINEST_FIELD_JOB_MTBF_S, "mtbf-hours-per-device"},
    {TRAINEST_FIELD_JOB_MTBF_S, "mtbf-hours-per-node"},
    {TRAINEST_FIELD_WORK_S, "samples"},
    {TRAINEST_FIELD_TOTAL_STEPS, "samples"},
    {TRAINEST_FIELD_PRIOR_STEP_S, "per-sample-s"},
    {TRAINEST_FIELD_OVERHEAD_S_PER_EPOCH, "eval-s-per-epoch"},
};

static const struct flag *flag_named(const char *name, size_t len)
{
    for (size_t i = 0; i < FLAG_COUNT; i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

bool given(const struct options *o, const char *name)
{
    const struct flag *f = flag_named(name, strlen(name));
    return f && o->seen[f - flags];
}

/* ---- Commands -------------------------------------------------------------- */

/* A flag of an accepted group that a command does not take, and why. */
struct exclusion {
    const char *flag;
    const char *why;
};

struct command {
    const char *name;
    const char *synopsis; /* after "trainest NAME" */
    const char *summary;  /* one line, for the command list */
    const char *description;
    unsigned groups;     /* the flag groups it accepts */
    const char *needs;   /* a flag it requires besides those marked required, or NULL */
    const char *instead; /* or this flag instead of needs (exactly one of them), or NULL */
    const struct exclusion *excluded; /* ends with a NULL flag; or NULL */
    int (*run)(struct cli *c, const struct options *o);
};

static int run_plan(struct cli *c, const struct options *o);
static int run_estimate(struct cli *c, const struct options *o);
static int run_calibrate(struct cli *c, const struct options *o);
static int run_demo(struct cli *c, const struct options *o);

/* The groups of flags that describe a run's time. */
#define TIME_GROUPS                                                                            \
    (GROUP_BATCH | GROUP_LAYOUT | GROUP_SHAPE | GROUP_POLICY | GROUP_MEASURED | GROUP_STEP |   \
     GROUP_ANALYTIC | GROUP_DATA | GROUP_COMM | GROUP_MPCOMM | GROUP_OVERHEAD)

static const struct exclusion search_excluded[] = {
    {"devices", "the search tries every data-parallel size: give --max-devices"},
    {"total-devices", "the search tries every layout: give --max-devices"},
    {"micro-batch", "the search tries every micro-batch"},
    {"grad-accum", "the search tries every accumulation"},
    {"tensor-parallel", "the search tries powers of two: give --max-tensor-parallel"},
    {"pipeline-parallel", "the search tries powers of two: give --max-pipeline-parallel"},
    {NULL, NULL},
};

static const struct exclusion sweep_excluded[] = {
    {"devices", "the sweep searches every data-parallel size: give --max-devices"},
    {"total-devices", "the sweep searches every layout: give --max-devices"},
    {"micro-batch", "the sweep plots every micro-batch"},
    {"grad-accum", "the sweep plots every accumulation"},
    {"tensor-parallel", "the sweep searches powers of two: give --max-tensor-parallel"},
    {"pipeline-parallel", "the sweep searches powers of two: give --max-pipeline-parallel"},
    {"top", "the sweep plots the best plan of every global batch"},
    {NULL, NULL},
};

static const struct command commands[] = {
    {"plan", "--samples N [flags]", "resolve a batch plan and count its steps exactly",
     "Resolve global batch = micro-batch x grad accum x data-parallel replicas and\n"
     "count the optimizer steps, micro-steps and samples of every epoch exactly.\n"
     "Give two of --global-batch, --micro-batch and --grad-accum (the third is\n"
     "derived), all three, or --global-batch with --max-micro-batch. A request\n"
     "that does not split evenly fails with the nearest valid plans.\n"
     "\n"
     "With model parallelism, devices = DP x TP x PP: give --devices (DP) with\n"
     "--tensor-parallel and --pipeline-parallel, or --total-devices and let DP be\n"
     "derived. The global batch splits over the DP replicas only; every pipeline\n"
     "runs G / (m x DP) micro-batches per step. A layout that does not divide\n"
     "fails with the nearest valid layouts.\n"
     "\n"
     "With --json: the plan as one object (global_batch, micro_batch,\n"
     "grad_accum_steps, data_parallel, tensor_parallel, pipeline_parallel,\n"
     "virtual_stages, total_devices, micro_batches_per_step, the step and sample\n"
     "counts); an error is {error, message, field, suggestions}, the suggestions\n"
     "full plans, or layouts {devices, data_parallel, tensor_parallel,\n"
     "pipeline_parallel, changed}.\n",
     GROUP_BATCH | GROUP_LAYOUT | GROUP_SHAPE | GROUP_POLICY | GROUP_OUTPUT, NULL, NULL, NULL,
     run_plan},
    {"estimate", "--samples N [batch flags] STEP-TIME [flags]",
     "predict how long a run takes, and where the time goes",
     "Plan the batch exactly (as 'trainest plan' does), time every optimizer step\n"
     "with the step-time model and add the input pipeline, host-to-device copies,\n"
     "gradient all-reduce and overheads. The model of one optimizer step of a\n"
     "micro-batches of m samples (docs/time-model.md):\n"
     "\n"
     "  step = max(a x floor, launch_lag + a x (fixed + per_sample x m)) + optimizer\n"
     "         + transfer + all-reduce + data stall\n"
     "\n"
     "With tensor and pipeline parallelism every micro-batch runs through a stage\n"
     "of 1 / (TP x PP) of the model, plus tensor-parallel all-reduces and\n"
     "point-to-point transfers, and the pipeline adds its bubble (PP - 1) / (v x\n"
     "micro-batches) (docs/parallelism.md).\n"
     "\n"
     "STEP-TIME is one of:\n"
     "  --calibration FILE.csv    fit the model to measured steps first\n"
     "  --per-sample-s S ...      the parameters as given (--floor-s, --fixed-s,\n"
     "                            --launch-lag-s, --optimizer-s)\n"
     "  --peak-flops-per-s F with --params N (and --seq-len or --tokens-per-sample)\n"
     "    or --flops-per-sample F, plus --efficiency R or --observed-step-s S:\n"
     "                            per-sample time from FLOPs\n"
     "\n"
     "Run-level realism (docs/run-level.md), each reported only when asked for:\n"
     "  --mtbf-hours-per-device H (or -per-node): failures, checkpoints and restarts\n"
     "    around the run: expected, P50 and P90 wall time, interruptions\n"
     "  --rampup START,INCR,SAMPLES: Megatron's batch-size ramp-up (with\n"
     "    --preset megatron); the failure model then protects the ramped run\n"
     "  --noise-scale B with --min-steps S (or --min-samples E): time to a target\n"
     "    loss, and the global batch that reaches it first (within the memory\n"
     "    model, if memory flags are given)\n"
     "With memory flags the plan's memory per device is reported too.\n"
     "\n"
     "With --tradeoff, time every micro-batch that divides the per-device batch\n"
     "instead, and recommend the largest within --max-micro-batch and the memory\n"
     "model.\n"
     "\n"
     "With --json: the plan's keys, the time (step_s, epoch_s, total_s and its\n"
     "breakdown compute_s, optimizer_s, transfer_s, data_stall_s, comm_s,\n"
     "overhead_s, bubble_s, tp_comm_s, p2p_s; bubble_ratio, stage_s, throughput,\n"
     "FLOPs and MFU when known), step_model, and what was asked for: memory_bytes\n"
     "...; rampup_steps, rampup_s, rampup_total_steps, rampup_total_s ...;\n"
     "expected_total_s, p50_total_s, p90_total_s, expected_interruptions,\n"
     "checkpoint_interval_s, effective_time_ratio ...; time_to_target_s,\n"
     "best_global_batch ....\n",
     TIME_GROUPS | GROUP_DEVICE_MEMORY | GROUP_MEMORY | GROUP_FAILURE | GROUP_RAMPUP |
         GROUP_CRITICAL | GROUP_TRADEOFF | GROUP_OUTPUT,
     NULL, NULL, NULL, run_estimate},
    {"calibrate", "(--calibration FILE.csv [--optimizer-s S] | --loader FILE.csv) [--json]",
     "fit the step-time or the loader model to measurements",
     "Fit floor_s, fixed_s, per_sample_s, launch_lag_s and optimizer_s of the\n"
     "step-time model to measured optimizer steps, minimising relative error\n"
     "robustly, and report the largest and mean relative residuals.\n"
     "\n"
     "FILE.csv: a header line naming the columns micro_batch, grad_accum and\n"
     "step_s (any order; other columns are ignored), then one row per measured\n"
     "optimizer step: positive whole micro_batch and grad_accum, step_s in\n"
     "seconds > 0. Fields are separated by commas and trimmed of blanks; blank\n"
     "lines and lines starting with '#' are skipped. At most 65536 rows. A bad\n"
     "row is reported as FILE:LINE: problem (exit status 2).\n"
     "\n"
     "Rows with at least two grad_accum values separate the per-step optimizer\n"
     "time from the per-micro-batch time; if every row has the same grad_accum,\n"
     "give --optimizer-s.\n"
     "\n"
     "With --loader FILE.csv instead, fit the loader workers of --data-overlap\n"
     "workers (docs/time-model.md): worker j starts (j + 1) x worker_startup_s\n"
     "after an epoch begins, then builds whole batches at\n"
     "samples_per_s_per_worker. Each row is one epoch read from the data loader\n"
     "alone, from creating the iterator to the last batch: columns workers,\n"
     "batch_size, samples (positive whole numbers) and seconds (> 0), in the\n"
     "same format; 2 to 64 rows. The same epoch read with two worker counts far\n"
     "apart (4 and 12, say) separates start-up from throughput.\n"
     "\n"
     "With --json: floor_s, fixed_s, per_sample_s, launch_lag_s, optimizer_s,\n"
     "max_residual_ratio, mean_residual_ratio, observations and what was fitted;\n"
     "with --loader worker_startup_s, samples_per_s_per_worker,\n"
     "max_residual_ratio, mean_residual_ratio and observations.\n",
     GROUP_MEASURED | GROUP_LOADER | GROUP_OUTPUT, "calibration", "loader", NULL, run_calibrate},
    {"fit-memory", "--points FILE.csv [--device-memory-bytes D] [--headroom-ratio H] [--json]",
     "fit memory to measured peaks; the largest micro-batch that fits",
     "Fit bytes(m) = static + per_sample x m to measured peak device memory\n"
     "(least absolute relative deviations: one bad point does not move it; both\n"
     "numbers rounded up to whole bytes) and report the largest relative residual.\n"
     "With --device-memory-bytes, also the largest micro-batch that fits\n"
     "D x (1 - H) (docs/memory.md).\n"
     "\n"
     "FILE.csv: a header line naming the columns micro_batch and peak_bytes (any\n"
     "order; other columns are ignored), then one row per measurement: positive\n"
     "whole numbers, two distinct micro-batches at least. Same format and errors\n"
     "as 'trainest calibrate': a bad row is FILE:LINE: problem (exit status 2).\n"
     "\n"
     "With --json: static_bytes, per_sample_bytes, max_residual_ratio, points, and\n"
     "with --device-memory-bytes also device_memory_bytes, budget_bytes and\n"
     "max_micro_batch.\n",
     GROUP_FIT | GROUP_DEVICE_MEMORY | GROUP_OUTPUT, "points", NULL, NULL, run_fit_memory},
    {"search", "--samples N (--global-batch G | --global-batch-range MIN:MAX[:STEP]) "
               "STEP-TIME [flags]",
     "the fastest plans over micro-batch, accumulation and layout",
     "Try every (global batch, micro-batch, accumulation, data-parallel size, TP,\n"
     "PP) within the ranges, under the divisibility policy and the memory budget,\n"
     "time each with the time model, and list the K fastest (ties: more memory\n"
     "headroom first). The step-time flags are those of 'trainest estimate'.\n"
     "\n"
     "The memory model (per device, docs/memory.md and docs/parallelism.md):\n"
     "  static: --params N model states (--bytes-per-param-* per parameter, split\n"
     "          by TP x PP, ZeRO-sharded by --zero-stage over DP) + --overhead-bytes,\n"
     "          or --static-bytes B measured\n"
     "  per sample: --activation-bytes-per-sample B, or the model shape (--layers,\n"
     "          --hidden, --attention-heads, --seq-len, --recompute)\n"
     "  or both fitted from --memory-points FILE.csv (micro_batch,peak_bytes)\n"
     "--params is also the time model's parameter count (FLOPs).\n"
     "\n"
     "Candidates are counted: evaluated, feasible, and rejected because they do\n"
     "not fit, do not divide, overflow, leave no step, or repeat a plan.\n"
     "\n"
     "With --json: {plans: [the plan's keys with total_s, step_s, memory_bytes,\n"
     "headroom_ratio], rejected: {does_not_fit, not_divisible, overflow,\n"
     "no_steps, duplicates}, candidates_evaluated, feasible}.\n",
     TIME_GROUPS | GROUP_DEVICE_MEMORY | GROUP_MEMORY | GROUP_SEARCH | GROUP_OUTPUT, NULL, NULL,
     search_excluded, run_search},
    {"sweep", "--samples N (--global-batch G | --global-batch-range MIN:MAX[:STEP]) "
              "STEP-TIME (--svg FILE | --csv FILE) [flags]",
     "plot time and memory against micro-batch and global batch",
     "Draw three panels into one self-contained SVG (--svg) and/or write every\n"
     "plotted point to a CSV (--csv). Takes the flags of 'trainest search':\n"
     "\n"
     "  (a) predicted run time against micro-batch for the global batch G (without\n"
     "      --global-batch: the fastest of the range), on the layout the search\n"
     "      finds fastest for G; the memory limit is a vertical line and the\n"
     "      micro-batches beyond it are grey\n"
     "  (b) predicted run time of the fastest plan against global batch, over\n"
     "      --global-batch-range (default: G / 16 to 16 G in powers of two); with\n"
     "      --noise-scale and --min-steps (or --min-samples) also the time to the\n"
     "      target loss\n"
     "  (c) memory per device against micro-batch, with the device memory and the\n"
     "      budget after --headroom-ratio\n"
     "\n"
     "Axes spanning more than 30x are logarithmic. The CSV's columns are\n"
     "panel,series,x,y,unit_x,unit_y, times in seconds and memory in bytes; its\n"
     "series are total_s and total_s_not_fitting (a), total_s and\n"
     "time_to_target_s (b), memory_bytes and memory_bytes_not_fitting (c). In\n"
     "the SVG every point is a circle with data-panel, data-series, data-x and\n"
     "data-y. Standard output gets a summary: the files and the fastest plan.\n",
     TIME_GROUPS | GROUP_DEVICE_MEMORY | GROUP_MEMORY | GROUP_SEARCH | GROUP_CRITICAL |
         GROUP_PLOT,
     NULL, NULL, sweep_excluded, run_sweep},
    {"eta", "--samples N [plan and estimate flags] [flags] < STEP_TIMES",
     "follow a running job: progress, rate and finish from step times",
     "Read one optimizer step's duration in seconds per line on standard input\n"
     "(or 'step_s,samples'), feed it to the ETA tracker (warm-up and outliers\n"
     "such as evaluation or checkpoints do not swing it) and print the live\n"
     "estimate: on a terminal one self-updating progress line, otherwise one line\n"
     "every --every N steps, or JSON lines with --json; a summary at the end.\n"
     "\n"
     "The total steps come from the plan (--samples, the batch flags and the\n"
     "presets), or from the ramp-up with --rampup; the remaining time follows the\n"
     "samples still to come, so with --rampup give 'step_s,samples' lines (without\n"
     "them, or with --steps-done, it is remaining steps x the mean step). A\n"
     "step-time model (the flags of 'trainest estimate') gives the expected step\n"
     "before enough steps are seen, and its per-epoch evaluation and checkpoints\n"
     "are added ahead. The failure flags widen the finish band for failures and\n"
     "restarts.\n"
     "\n"
     "A line without samples counts the plan's global batch (0 with --rampup).\n"
     "Blank lines and lines starting with '#' are skipped; any other line that is\n"
     "not a duration >= 0 is an error: <stdin>:LINE: problem, exit status 2.\n"
     "Finish times are local wall-clock times.\n"
     "\n"
     "With --json, one object per line: steps_done, steps_remaining,\n"
     "progress_ratio, elapsed_s, step_s, remaining_s, remaining_p10_s,\n"
     "remaining_p50_s, remaining_p90_s, finish_p10_unix_s, finish_p50_unix_s,\n"
     "finish_p90_unix_s, outliers, samples_per_s, and final (true on the summary\n"
     "at the end of input).\n",
     TIME_GROUPS | GROUP_FAILURE | GROUP_RAMPUP | GROUP_ETA | GROUP_OUTPUT, NULL, NULL, NULL,
     run_eta},
    {"demo", "", "the worked example: 1000 samples, global batch 10",
     "Plan the worked example, 1000 samples with a global batch of 10, without\n"
     "and with gradient accumulation.\n",
     0, NULL, NULL, NULL, run_demo},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const struct command *command_named(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Why cmd does not take flag f, or NULL if it is not excluded. */
static const char *excluded_why(const struct command *cmd, const struct flag *f)
{
    for (const struct exclusion *e = cmd ? cmd->excluded : NULL; e && e->flag; e++)
        if (strcmp(e->flag, f->name) == 0)
            return e->why;
    return NULL;
}

static bool accepts(const struct command *cmd, const struct flag *f)
{
    return cmd && (cmd->groups & f->group) && !excluded_why(cmd, f);
}

/* The flag that sets a trainest_field: the first the command accepts, else
 * the first there is; NULL if none. */
static const struct flag *flag_for_field(const struct command *cmd, uint32_t field)
{
    if (field == TRAINEST_FIELD_NONE)
        return NULL;
    const struct flag *any = NULL;
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        if (flags[i].field != field)
            continue;
        if (accepts(cmd, &flags[i]))
            return &flags[i];
        any = any ? any : &flags[i];
    }
    for (size_t i = 0; i < sizeof field_flags / sizeof field_flags[0]; i++) {
        if (field_flags[i].field != field)
            continue;
        const struct flag *f = flag_named(field_flags[i].flag, strlen(field_flags[i].flag));
        if (accepts(cmd, f))
            return f;
        any = any ? any : f;
    }
    return any;
}

const char *flag_name_for_field(const struct cli *c, uint32_t field)
{
    const struct flag *f = flag_for_field(c->cmd, field);
    return f ? f->name : NULL;
}

/* ---- Help and version ------------------------------------------------------ */

static void print_usage(FILE *f)
{
    fputs("Usage: trainest <command> [flags]\n"
          "\n"
          "Plan deep-learning training runs: exact batch splitting and step counts,\n"
          "how long the run takes, what fits in memory, the fastest plan, failures,\n"
          "ramp-up and the critical batch, and a live ETA.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(f, "  %-12s%s\n", commands[i].name, commands[i].summary);
    fputs("  help        show help for a command: trainest help <command>\n"
          "\n"
          "Flags:\n"
          "  -h, --help  show this help\n"
          "  --version   show the versions of trainest and of libtrainest\n"
          "\n"
          "Run 'trainest <command> --help' for a command's flags.\n"
          "Exit status: 0 success, 1 the request was rejected, 2 usage error or bad\n"
          "input file.\n",
          f);
}

#define HELP_COLUMNS 79

/* text from column indent on, broken at spaces into lines that end by
 * HELP_COLUMNS (a word longer than that overflows); continuation lines
 * start at column indent too. */
static void print_wrapped(FILE *f, const char *text, int indent)
{
    int room = HELP_COLUMNS - indent;
    if (room < 20)
        room = 20;
    const char *p = text;
    while (*p) {
        int len = (int)strlen(p);
        if (len > room) {
            int cut = room;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0) /* one long word: break after it */
                cut = (int)strcspn(p, " ");
            len = cut;
        }
        fprintf(f, "%.*s\n", len, p);
        p += len;
        while (*p == ' ')
            p++;
        if (*p)
            fprintf(f, "%*s", indent, "");
    }
}

/* "--name METAVAR", the left column of a flag's help. */
static int flag_synopsis(const struct flag *fl, char *buf, size_t cap)
{
    return snprintf(buf, cap, "--%s%s%s", fl->name, fl->metavar ? " " : "",
                    fl->metavar ? fl->metavar : "");
}

/* The longest left column printed in full; longer ones get a line of their own. */
#define HELP_FLAG_WIDTH 30

static void print_command_help(FILE *f, const struct command *cmd)
{
    const int lead = fprintf(f, "Usage: trainest %s%s", cmd->name, *cmd->synopsis ? " " : "");
    if (*cmd->synopsis)
        print_wrapped(f, cmd->synopsis, lead > 0 ? lead : 0);
    else
        fputc('\n', f);
    fprintf(f, "\n%s", cmd->description);

    int width = (int)strlen("-h, --help");
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        char buf[96];
        if (accepts(cmd, &flags[i])) {
            int n = flag_synopsis(&flags[i], buf, sizeof buf);
            if (n > width && n <= HELP_FLAG_WIDTH)
                width = n;
        }
    }
    for (size_t g = 0; g < sizeof group_titles / sizeof group_titles[0]; g++) {
        if (!(cmd->groups & group_titles[g].group))
            continue;
        fprintf(f, "\n%s:\n", group_titles[g].title);
        for (size_t i = 0; i < FLAG_COUNT; i++) {
            const struct flag *fl = &flags[i];
            if (fl->group != group_titles[g].group || !accepts(cmd, fl))
                continue;
            char buf[96];
            const int n = flag_synopsis(fl, buf, sizeof buf);
            if (n > width)
                fprintf(f, "  %s\n  %-*s  ", buf, width, "");
            else
                fprintf(f, "  %-*s  ", width, buf);
            print_wrapped(f, fl->help, width + 4);
            if (fl->kind == FLAG_ENUM) {
                char names[256] = "one of:";
                size_t k = strlen(names);
                for (const struct enum_name *e = fl->names; e->name && k < sizeof names; e++)
                    k += (size_t)snprintf(names + k, sizeof names - k, " %s", e->name);
                fprintf(f, "  %-*s  ", width, "");
                print_wrapped(f, names, width + 4);
            }
        }
    }
    fprintf(f, "\n  %-*s  show this help\n", width, "-h, --help");
    if (cmd->groups)
        fputs("\nEach flag takes its value as --flag VALUE or --flag=VALUE.\n", f);
    fputs("Exit status: 0 success, 1 the request was rejected, 2 usage error or bad\n"
          "input file.\n",
          f);
    if (accepts(cmd, flag_named("json", 4)))
        fputs("With --json, an error is an object on standard output with \"error\" (the\n"
              "status name, or \"usage\"), \"message\" and \"suggestions\".\n",
              f);
}

static void print_version(FILE *f)
{
    fprintf(f, "trainest %s (library %s)\n", TRAINEST_VERSION_STRING,
            trainest_version_string());
}

/* ---- Errors ------------------------------------------------------------------ */

/* A bad command line: exit 2, the message on err, and with --json an
 * error object on out with the keys of a library error's ("error" is
 * "usage": no library status is involved; no plan to repair). */
int usage_error(struct cli *c, const char *message)
{
    fprintf(c->err, "trainest: error: %s\n", message);
    if (c->cmd)
        fprintf(c->err, "Run 'trainest %s --help' for usage.\n", c->cmd->name);
    else
        fputs("Run 'trainest --help' for usage.\n", c->err);
    if (c->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_string(&j, "error", "usage");
        json_key_string(&j, "message", message);
        json_key(&j, "suggestions");
        json_array_begin(&j);
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_USAGE;
}

int usage_errorf(struct cli *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return usage_error(c, msg);
}

/* ---- Parsing -------------------------------------------------------------------- */

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* A range MIN:MAX[:STEP] (sep ':', the third optional, each > 0) or a
 * triple A,B,C (sep ',', all three, the library checks their values) into
 * v[3], whole numbers. On failure describe why in msg. */
static bool parse_parts(const struct flag *fl, const char *value, char sep, bool range,
                        uint64_t v[3], char *msg, size_t cap)
{
    const char *p = value;
    int n = 0;
    uint64_t parts[3] = {0, 0, 1};
    for (;;) {
        if (n == 3) { /* a fourth part */
            n = 4;
            break;
        }
        const char *end = strchr(p, sep);
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        int st = parse_u64_n(p, len, &parts[n]);
        if (st == PARSE_OK && range && parts[n] == 0)
            st = PARSE_RANGE;
        if (st != PARSE_OK) {
            snprintf(msg, cap, "--%s: '%.64s': part %d %s (each is a whole number%s)", fl->name,
                     value, n + 1, st == PARSE_RANGE ? "is out of range" : "is not valid",
                     range ? " > 0" : "");
            return false;
        }
        n++;
        if (!end)
            break;
        p = end + 1;
    }
    if (n < 2 || (n == 2 && !range) || n > 3) {
        snprintf(msg, cap, "--%s: '%.64s' is not %s", fl->name, value, fl->metavar);
        return false;
    }
    memcpy(v, parts, sizeof parts);
    return true;
}

/* Parse one value into its slot; on failure describe why in msg. */
static bool parse_value(const struct flag *fl, const char *value, struct options *o, char *msg,
                        size_t cap)
{
    void *slot = (char *)o + fl->offset;
    int st = PARSE_SYNTAX;
    switch (fl->kind) {
    case FLAG_BOOL:
        *(bool *)slot = true;
        return true;
    case FLAG_U64:
        st = parse_u64(value, (uint64_t *)slot);
        if (st == PARSE_SYNTAX)
            snprintf(msg, cap, "--%s: '%.64s' is not a whole number (decimal digits only)",
                     fl->name, value);
        else if (st == PARSE_RANGE)
            snprintf(msg, cap, "--%s: '%.64s' is out of range (at most %" PRIu64 ")", fl->name,
                     value, UINT64_MAX);
        break;
    case FLAG_DOUBLE:
    case FLAG_BITS: {
        double v = 0;
        st = parse_double(value, &v);
        if (st == PARSE_SYNTAX)
            snprintf(msg, cap, "--%s: '%.64s' is not a finite decimal number", fl->name, value);
        else if (st == PARSE_RANGE)
            snprintf(msg, cap, "--%s: '%.64s' is out of range", fl->name, value);
        else if (st == PARSE_OK && v < 0) {
            snprintf(msg, cap, "--%s: '%.64s' is negative", fl->name, value);
            st = PARSE_RANGE;
        } else if (st == PARSE_OK && fl->kind == FLAG_DOUBLE) {
            *(double *)slot = v == 0 ? 0.0 : v; /* no -0 */
        } else if (st == PARSE_OK) {
            /* bytes per parameter, stored as whole bits */
            const double bits = v * 8;
            if (bits > 4294967295.0) {
                snprintf(msg, cap, "--%s: '%.64s' is out of range", fl->name, value);
                st = PARSE_RANGE;
            } else if (bits != floor(bits)) {
                snprintf(msg, cap,
                         "--%s: '%.64s' bytes is not a whole number of bits (multiples of "
                         "0.125 only)",
                         fl->name, value);
                st = PARSE_SYNTAX;
            } else {
                *(uint32_t *)slot = (uint32_t)bits;
            }
        }
        break;
    }
    case FLAG_ENUM:
        st = parse_enum(value, fl->names, (uint32_t *)slot);
        if (st == PARSE_SYNTAX) {
            int n = snprintf(msg, cap, "--%s: '%.64s' is not one of", fl->name, value);
            for (const struct enum_name *e = fl->names; e->name && n > 0 && (size_t)n < cap;
                 e++)
                n += snprintf(msg + n, cap - (size_t)n, "%s %s", e == fl->names ? "" : ",",
                              e->name);
        }
        break;
    case FLAG_STRING:
        *(const char **)slot = value;
        st = *value ? PARSE_OK : PARSE_EMPTY;
        break;
    case FLAG_RANGE:
    case FLAG_TRIPLE: {
        if (!*value) {
            st = PARSE_EMPTY;
            break;
        }
        uint64_t v[3];
        if (!parse_parts(fl, value, fl->kind == FLAG_RANGE ? ':' : ',', fl->kind == FLAG_RANGE,
                         v, msg, cap))
            return false;
        if (fl->kind == FLAG_RANGE && v[1] < v[0]) {
            snprintf(msg, cap, "--%s: '%.64s': MAX is below MIN", fl->name, value);
            return false;
        }
        memcpy(slot, v, sizeof v);
        return true;
    }
    }
    if (st == PARSE_EMPTY)
        snprintf(msg, cap, "--%s: the value is empty", fl->name);
    return st == PARSE_OK;
}

/* Parse a command's flags (args excludes the program and command names). */
static int parse_flags(struct cli *c, int argc, char **args, struct options *o)
{
    char msg[512];
    for (int i = 0; i < argc; i++) {
        const char *arg = args[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            snprintf(msg, sizeof msg, "unexpected argument '%.64s'", arg);
            return usage_error(c, msg);
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        const size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct flag *fl = flag_named(name, len);
        const char *why = fl ? excluded_why(c->cmd, fl) : NULL;
        if (why) {
            snprintf(msg, sizeof msg, "'trainest %s' takes no --%s: %s", c->cmd->name, fl->name,
                     why);
            return usage_error(c, msg);
        }
        if (!fl || !accepts(c->cmd, fl)) {
            snprintf(msg, sizeof msg, "unknown flag '--%.*s' for 'trainest %s'",
                     (int)(len < 64 ? len : 64), name, c->cmd->name);
            return usage_error(c, msg);
        }
        if (o->seen[fl - flags]) {
            snprintf(msg, sizeof msg, "flag --%s is given more than once", fl->name);
            return usage_error(c, msg);
        }
        o->seen[fl - flags] = true;

        const char *value = NULL;
        if (fl->kind == FLAG_BOOL) {
            if (eq) {
                snprintf(msg, sizeof msg, "flag --%s takes no value", fl->name);
                return usage_error(c, msg);
            }
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc && strncmp(args[i + 1], "--", 2) != 0) {
            value = args[++i];
        } else {
            snprintf(msg, sizeof msg, "flag --%s needs a value", fl->name);
            return usage_error(c, msg);
        }
        if (!parse_value(fl, value, o, msg, sizeof msg))
            return usage_error(c, msg);
    }
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        if (flags[i].required && accepts(c->cmd, &flags[i]) && !o->seen[i]) {
            snprintf(msg, sizeof msg, "missing required flag --%s", flags[i].name);
            return usage_error(c, msg);
        }
    }
    if (c->cmd->needs) {
        const bool need = given(o, c->cmd->needs);
        const bool instead = c->cmd->instead && given(o, c->cmd->instead);
        if (need && instead) {
            snprintf(msg, sizeof msg, "give --%s or --%s, not both", c->cmd->needs,
                     c->cmd->instead);
            return usage_error(c, msg);
        }
        if (!need && !instead) {
            snprintf(msg, sizeof msg, "missing required flag --%s%s%s", c->cmd->needs,
                     c->cmd->instead ? " or --" : "", c->cmd->instead ? c->cmd->instead : "");
            return usage_error(c, msg);
        }
    }
    return CLI_EXIT_OK;
}

/* ---- Output: tables ------------------------------------------------------------- */

void table_text(struct table *t, const char *label, const char *value)
{
    if (t->n == TABLE_ROWS)
        return;
    t->rows[t->n].label = label;
    t->rows[t->n].value = value;
    t->n++;
}

void table_u64(struct table *t, const char *label, uint64_t v)
{
    if (t->n == TABLE_ROWS)
        return;
    snprintf(t->rows[t->n].buf, sizeof t->rows[t->n].buf, "%" PRIu64, v);
    table_text(t, label, t->rows[t->n].buf);
}

void table_printf(struct table *t, const char *label, const char *fmt, ...)
{
    if (t->n == TABLE_ROWS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->rows[t->n].buf, sizeof t->rows[t->n].buf, fmt, ap);
    va_end(ap);
    table_text(t, label, t->rows[t->n].buf);
}

void table_heading(struct table *t, const char *title)
{
    table_text(t, title, NULL);
}

void table_print(const struct table *t, FILE *f)
{
    size_t lw = 0, vw = 0;
    for (unsigned i = 0; i < t->n; i++) {
        if (!t->rows[i].value)
            continue;
        if (strlen(t->rows[i].label) > lw)
            lw = strlen(t->rows[i].label);
        if (strlen(t->rows[i].value) > vw)
            vw = strlen(t->rows[i].value);
    }
    for (unsigned i = 0; i < t->n; i++) {
        if (!t->rows[i].value)
            fprintf(f, "%s%s\n", i ? "\n" : "", t->rows[i].label);
        else
            fprintf(f, "  %-*s  %*s\n", (int)lw, t->rows[i].label, (int)vw, t->rows[i].value);
    }
}

const char *fmt_duration(char *buf, size_t cap, double s)
{
    if (!(s >= 0) || s >= 1e13) {
        snprintf(buf, cap, "%.3g s", s);
        return buf;
    }
    long long v;
    if (s < 59.5)
        snprintf(buf, cap, s < 10 ? "%.1f s" : "%.0f s", s);
    else if (s < 3599.5) {
        v = llround(s);
        snprintf(buf, cap, "%lld min %02lld s", v / 60, v % 60);
    } else if (s < 86370) {
        v = llround(s / 60);
        snprintf(buf, cap, "%lld h %02lld min", v / 60, v % 60);
    } else {
        v = llround(s / 3600);
        snprintf(buf, cap, "%lld d %02lld h", v / 24, v % 24);
    }
    return buf;
}

const char *fmt_seconds(char *buf, size_t cap, double s, bool with_duration)
{
    int n = snprintf(buf, cap, s >= 1e6 ? "%.0f s" : "%.6g s", s);
    if (!with_duration || s < 59.5 || s >= 1e13 || n < 0 || (size_t)n >= cap)
        return buf;
    char d[48];
    snprintf(buf + n, cap - (size_t)n, " (%s)", fmt_duration(d, sizeof d, s));
    return buf;
}

const char *fmt_bytes(char *buf, size_t cap, uint64_t bytes)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1000 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%" PRIu64 " B", bytes);
    else
        snprintf(buf, cap, "%.4g %s", v, units[u]);
    return buf;
}

void table_seconds(struct table *t, const char *label, double s, bool with_duration)
{
    char buf[64];
    table_printf(t, label, "%s", fmt_seconds(buf, sizeof buf, s, with_duration));
}

void table_bytes(struct table *t, const char *label, uint64_t bytes)
{
    char buf[64];
    if (bytes == UINT64_MAX)
        table_text(t, label, "unlimited");
    else
        table_printf(t, label, "%s", fmt_bytes(buf, sizeof buf, bytes));
}

/* Whether a plan uses tensor or pipeline parallelism. */
static bool model_parallel(const trainest_plan *p)
{
    return p->tensor_parallel > 1 || p->pipeline_parallel > 1 || p->virtual_stages > 1;
}

void plan_rows(struct table *t, const trainest_plan *p, bool tokens)
{
    const bool layout = model_parallel(p);
    table_heading(t, "batch");
    table_u64(t, "samples", p->samples);
    table_u64(t, "epochs", p->epochs);
    if (p->requested_global_batch && p->requested_global_batch != p->global_batch)
        table_u64(t, "requested global batch", p->requested_global_batch);
    table_u64(t, "global batch", p->global_batch);
    table_u64(t, "micro batch", p->micro_batch);
    table_u64(t, "grad accum steps", p->grad_accum_steps);
    /* without model parallelism the devices are the data-parallel replicas */
    table_u64(t, layout ? "data-parallel replicas" : "devices", p->data_parallel);
    if (tokens)
        table_u64(t, "seq len tokens", p->seq_len_tokens);

    if (layout) {
        table_heading(t, "layout");
        table_u64(t, "tensor parallel", p->tensor_parallel);
        table_u64(t, "pipeline parallel", p->pipeline_parallel);
        table_u64(t, "virtual stages", p->virtual_stages);
        table_u64(t, "total devices", p->devices);
        table_u64(t, "micro-batches per step", p->micro_batches_per_step);
    }

    table_heading(t, "policies");
    table_text(t, "preset", name_of(preset_names, p->preset));
    table_text(t, "divisibility", name_of(divisibility_names, p->divisibility));
    table_text(t, "sampler", name_of(sampler_names, p->sampler));
    table_text(t, "last micro-batch", name_of(last_micro_batch_names, p->last_micro_batch));
    table_text(t, "accum tail", name_of(accum_tail_names, p->accum_tail));

    table_heading(t, "per epoch");
    table_u64(t, "optimizer steps per epoch", p->optimizer_steps_per_epoch);
    table_u64(t, "micro-steps per device", p->micro_steps_per_epoch);
    table_u64(t, "samples per device", p->samples_per_rank);
    table_u64(t, "samples run", p->samples_per_epoch);
    table_u64(t, "samples dropped", p->samples_dropped_per_epoch);
    table_u64(t, "samples padded", p->samples_padded_per_epoch);
    table_u64(t, "last step samples", p->last_step_samples);
    table_u64(t, "last step micro-batches", p->last_step_micro_batches);
    table_u64(t, "last micro-batch samples", p->last_micro_batch_samples);
    if (tokens)
        table_u64(t, "tokens per step", p->tokens_per_step);

    table_heading(t, "run total");
    table_u64(t, "total optimizer steps", p->total_optimizer_steps);
    table_u64(t, "total micro-steps per device", p->total_micro_steps);
    table_u64(t, "total samples run", p->total_samples);
    if (tokens)
        table_u64(t, "total tokens", p->total_tokens);
}

static void print_plan_table(FILE *f, const trainest_plan *p, bool tokens)
{
    struct table t;
    t.n = 0;
    plan_rows(&t, p, tokens);
    table_print(&t, f);
}

/* How many repairs an error lists. */
#define MAX_SUGGESTIONS 5

/* What a suggestion changes, from TRAINEST_CHANGED_* bits. */
static const struct {
    uint32_t bit;
    const char *text; /* for tables */
    const char *key;  /* for JSON */
} changed_parts[] = {
    {TRAINEST_CHANGED_GLOBAL_BATCH, "global batch", "global_batch"},
    {TRAINEST_CHANGED_MICRO_BATCH, "micro batch", "micro_batch"},
    {TRAINEST_CHANGED_GRAD_ACCUM_STEPS, "grad accum", "grad_accum_steps"},
    {TRAINEST_CHANGED_DEVICES, "devices", "devices"},
    {TRAINEST_CHANGED_TENSOR_PARALLEL, "tensor parallel", "tensor_parallel"},
    {TRAINEST_CHANGED_PIPELINE_PARALLEL, "pipeline parallel", "pipeline_parallel"},
};

/* "global batch, micro batch" from TRAINEST_CHANGED_* bits. */
static const char *changed_text(uint32_t changed, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof changed_parts / sizeof changed_parts[0]; i++) {
        if (!(changed & changed_parts[i].bit) || n >= cap)
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", changed_parts[i].text);
        n += w > 0 ? (size_t)w : 0;
    }
    return buf[0] ? buf : "-";
}

/* Rows of numbers under a header, right-aligned, and a "changed" column. */
static void print_repairs(FILE *f, int cols, const char *const *head, const uint64_t *values,
                          const uint32_t *changed, uint32_t n)
{
    char cells[MAX_SUGGESTIONS][4][24];
    int width[4];
    for (int k = 0; k < cols; k++)
        width[k] = (int)strlen(head[k]);
    for (uint32_t i = 0; i < n; i++) {
        for (int k = 0; k < cols; k++) {
            int w = snprintf(cells[i][k], sizeof cells[i][k], "%" PRIu64,
                             values[i * (uint32_t)cols + (uint32_t)k]);
            if (w > width[k])
                width[k] = w;
        }
    }
    for (int k = 0; k < cols; k++)
        fprintf(f, "  %*s", width[k], head[k]);
    fputs("  changed\n", f);
    for (uint32_t i = 0; i < n; i++) {
        char buf[96];
        for (int k = 0; k < cols; k++)
            fprintf(f, "  %*s", width[k], cells[i][k]);
        fprintf(f, "  %s\n", changed_text(changed[i], buf, sizeof buf));
    }
}

static void print_suggestions(FILE *f, const trainest_plan_suggestion *s, uint32_t n)
{
    static const char *const head[] = {"global batch", "micro batch", "grad accum", "devices"};
    uint64_t values[MAX_SUGGESTIONS * 4];
    uint32_t changed[MAX_SUGGESTIONS];
    n = n < MAX_SUGGESTIONS ? n : MAX_SUGGESTIONS;
    for (uint32_t i = 0; i < n; i++) {
        const uint64_t v[4] = {s[i].global_batch, s[i].micro_batch, s[i].grad_accum_steps,
                               s[i].data_parallel};
        memcpy(values + i * 4, v, sizeof v);
        changed[i] = s[i].changed;
    }
    print_repairs(f, 4, head, values, changed, n);
}

static void print_layouts(FILE *f, const trainest_layout_suggestion *s, uint32_t n)
{
    static const char *const head[] = {"devices", "data parallel", "tensor parallel",
                                       "pipeline parallel"};
    uint64_t values[MAX_SUGGESTIONS * 4];
    uint32_t changed[MAX_SUGGESTIONS];
    n = n < MAX_SUGGESTIONS ? n : MAX_SUGGESTIONS;
    for (uint32_t i = 0; i < n; i++) {
        const uint64_t v[4] = {s[i].devices, s[i].data_parallel, s[i].tensor_parallel,
                               s[i].pipeline_parallel};
        memcpy(values + i * 4, v, sizeof v);
        changed[i] = s[i].changed;
    }
    print_repairs(f, 4, head, values, changed, n);
}

/* ---- Output: JSON ---------------------------------------------------------------- */

void json_plan_members(struct json *j, const trainest_plan *p, bool tokens)
{
    json_key_string(j, "preset", name_of(preset_names, p->preset));
    json_key_string(j, "divisibility", name_of(divisibility_names, p->divisibility));
    json_key_string(j, "sampler", name_of(sampler_names, p->sampler));
    json_key_string(j, "last_micro_batch", name_of(last_micro_batch_names, p->last_micro_batch));
    json_key_string(j, "accum_tail", name_of(accum_tail_names, p->accum_tail));
    json_key_u64(j, "samples", p->samples);
    json_key_u64(j, "epochs", p->epochs);
    json_key_u64(j, "requested_global_batch", p->requested_global_batch);
    json_key_u64(j, "global_batch", p->global_batch);
    json_key_u64(j, "micro_batch", p->micro_batch);
    json_key_u64(j, "grad_accum_steps", p->grad_accum_steps);
    json_key_u64(j, "data_parallel", p->data_parallel);
    json_key_u64(j, "tensor_parallel", p->tensor_parallel);
    json_key_u64(j, "pipeline_parallel", p->pipeline_parallel);
    json_key_u64(j, "virtual_stages", p->virtual_stages);
    json_key_u64(j, "total_devices", p->devices);
    json_key_u64(j, "micro_batches_per_step", p->micro_batches_per_step);
    json_key_u64(j, "samples_per_rank", p->samples_per_rank);
    json_key_u64(j, "optimizer_steps_per_epoch", p->optimizer_steps_per_epoch);
    json_key_u64(j, "micro_steps_per_epoch", p->micro_steps_per_epoch);
    json_key_u64(j, "samples_per_epoch", p->samples_per_epoch);
    json_key_u64(j, "samples_dropped_per_epoch", p->samples_dropped_per_epoch);
    json_key_u64(j, "samples_padded_per_epoch", p->samples_padded_per_epoch);
    json_key_u64(j, "last_step_samples", p->last_step_samples);
    json_key_u64(j, "last_step_micro_batches", p->last_step_micro_batches);
    json_key_u64(j, "last_micro_batch_samples", p->last_micro_batch_samples);
    json_key_u64(j, "total_optimizer_steps", p->total_optimizer_steps);
    json_key_u64(j, "total_micro_steps", p->total_micro_steps);
    json_key_u64(j, "total_samples", p->total_samples);
    if (tokens) {
        json_key_u64(j, "seq_len_tokens", p->seq_len_tokens);
        json_key_u64(j, "tokens_per_step", p->tokens_per_step);
        json_key_u64(j, "total_tokens", p->total_tokens);
    }
}

static void json_plan(struct json *j, const trainest_plan *p, bool tokens)
{
    json_object_begin(j);
    json_plan_members(j, p, tokens);
    json_object_end(j);
}

/* ---- Library errors ---------------------------------------------------------------- */

/* The error line and, with --json, the start of the error object (the
 * caller adds its suggestions and closes it). */
static void error_head(struct cli *c, struct json *j, int status, const char *flag)
{
    fprintf(c->err, "trainest: error: %s (%s)", trainest_strerror(status),
            trainest_status_name(status));
    if (flag)
        fprintf(c->err, ": check --%s", flag);
    fputc('\n', c->err);
    if (!c->json)
        return;
    char msg[512];
    if (flag)
        snprintf(msg, sizeof msg, "%s: check --%s", trainest_strerror(status), flag);
    else
        snprintf(msg, sizeof msg, "%s", trainest_strerror(status));
    json_init(j, c->out, !c->compact);
    json_object_begin(j);
    json_key_string(j, "error", trainest_status_name(status));
    json_key_string(j, "message", msg);
}

/* A layout that does not divide: the nearest valid layouts. */
static int layout_error(struct cli *c, int status, uint32_t field, const trainest_plan_request *rq)
{
    const struct flag *fl = flag_for_field(c->cmd, field);
    trainest_layout_suggestion s[MAX_SUGGESTIONS];
    uint32_t n = 0;
    s[0].struct_size = sizeof s[0];
    if (trainest_layout_suggest(s, MAX_SUGGESTIONS, &n, rq) != TRAINEST_OK)
        n = 0;
    struct json j;
    error_head(c, &j, status, fl ? fl->name : NULL);
    if (n) {
        fputs("nearest valid layouts:\n", c->err);
        print_layouts(c->err, s, n);
    } else {
        fputs("no valid layout found nearby\n", c->err);
    }
    if (c->json) {
        json_key_string(&j, "field", fl ? fl->name : trainest_field_name(field));
        json_key(&j, "suggestions");
        json_array_begin(&j);
        for (uint32_t i = 0; i < n; i++) {
            json_object_begin(&j);
            json_key_u64(&j, "devices", s[i].devices);
            json_key_u64(&j, "data_parallel", s[i].data_parallel);
            json_key_u64(&j, "tensor_parallel", s[i].tensor_parallel);
            json_key_u64(&j, "pipeline_parallel", s[i].pipeline_parallel);
            json_key(&j, "changed");
            json_array_begin(&j);
            for (size_t k = 0; k < sizeof changed_parts / sizeof changed_parts[0]; k++)
                if (s[i].changed & changed_parts[k].bit)
                    json_string(&j, changed_parts[k].key);
            json_array_end(&j);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_FAILURE;
}

/* The library rejected rq with status: exit 1, the reason and the nearest
 * valid plans on err, and with --json an error object on out. */
int plan_error(struct cli *c, int status, uint32_t field, const trainest_plan_request *rq,
               bool tokens)
{
    if (status == TRAINEST_E_BAD_LAYOUT)
        return layout_error(c, status, field, rq);
    const struct flag *fl = flag_for_field(c->cmd, field);
    trainest_plan_suggestion s[MAX_SUGGESTIONS];
    uint32_t n = 0;
    s[0].struct_size = sizeof s[0];
    const int sst = trainest_plan_suggest(s, MAX_SUGGESTIONS, &n, rq);
    if (sst != TRAINEST_OK)
        n = 0;

    struct json j;
    error_head(c, &j, status, fl ? fl->name : NULL);
    if (n) {
        fputs("nearest valid plans:\n", c->err);
        print_suggestions(c->err, s, n);
    } else if (sst == TRAINEST_OK) {
        fputs("no valid plan found nearby\n", c->err);
    }

    if (c->json) {
        json_key_string(&j, "field", fl ? fl->name : trainest_field_name(field));
        json_key(&j, "suggestions");
        json_array_begin(&j);
        for (uint32_t i = 0; i < n; i++) {
            /* The full plan of each repair, exactly as the library computes it. */
            trainest_plan_request trial = *rq;
            trial.global_batch = s[i].global_batch;
            trial.micro_batch = s[i].micro_batch;
            trial.grad_accum_steps = s[i].grad_accum_steps;
            trial.divisibility = TRAINEST_DIVISIBILITY_ERROR;
            trainest_plan p;
            p.struct_size = sizeof p;
            if (trainest_plan_compute(&p, &trial) == TRAINEST_OK)
                json_plan(&j, &p, tokens);
        }
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_FAILURE;
}

/* ---- plan ----------------------------------------------------------------------------- */

static int run_plan(struct cli *c, const struct options *o)
{
    const bool tokens = given(o, "seq-len");
    trainest_plan p;
    p.struct_size = sizeof p;
    const int st = trainest_plan_compute(&p, &o->plan);
    if (st != TRAINEST_OK)
        return plan_error(c, st, p.invalid_field, &o->plan, tokens);
    if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_plan(&j, &p, tokens);
        json_finish(&j);
    } else {
        print_plan_table(c->out, &p, tokens);
    }
    return CLI_EXIT_OK;
}

/* ---- Other library errors and bad input files --------------------------------- */

void error_detail_init(struct error_detail *d)
{
    memset(d, 0, sizeof *d);
    d->index = UINT32_MAX;
}

void error_detail_row(struct error_detail *d, char *where, size_t cap, const char *path,
                      uint32_t index, const uint64_t *lines, uint32_t count)
{
    if (index >= count)
        return;
    d->index = index;
    d->line = lines[index];
    snprintf(where, cap, "%s:%" PRIu64, path, d->line);
    d->where = where;
}

/* The reason for a status about a field outside the batch plan. The
 * library's sentences for UNDERSPECIFIED and INCONSISTENT speak of the
 * batch triple even when an estimate field is to blame. */
static const char *status_text(int status)
{
    if (status == TRAINEST_E_UNDERSPECIFIED)
        return "a value it needs is missing";
    if (status == TRAINEST_E_INCONSISTENT)
        return "two of the values contradict each other";
    return trainest_strerror(status);
}

int library_error(struct cli *c, int status, uint32_t field, const struct error_detail *d)
{
    const struct flag *fl = flag_for_field(c->cmd, field);
    const char *flag = d->flag ? d->flag : fl ? fl->name : NULL;
    char msg[512];
    int n = snprintf(msg, sizeof msg, "%s", status_text(status));
    if (d->where && n > 0 && (size_t)n < sizeof msg)
        n += snprintf(msg + n, sizeof msg - (size_t)n, ": %s", d->where);
    if (flag && n > 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, ": check --%s", flag);

    fprintf(c->err, "trainest: error: %s (%s)", status_text(status),
            trainest_status_name(status));
    if (d->where)
        fprintf(c->err, ": %s", d->where);
    if (flag)
        fprintf(c->err, ": check --%s", flag);
    fputc('\n', c->err);
    if (d->hint[0])
        fprintf(c->err, "hint: %s\n", d->hint);

    if (c->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_string(&j, "error", trainest_status_name(status));
        json_key_string(&j, "message", msg);
        json_key_string(&j, "field", flag ? flag : trainest_field_name(field));
        if (d->index != UINT32_MAX) {
            json_key_u64(&j, "index", d->index);
            json_key_u64(&j, "line", d->line);
        }
        if (d->hint[0])
            json_key_string(&j, "hint", d->hint);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_FAILURE;
}

int input_error(struct cli *c, const char *path, uint64_t line, const char *problem)
{
    char msg[768];
    if (line)
        snprintf(msg, sizeof msg, "%s:%" PRIu64 ": %s", path, line, problem);
    else
        snprintf(msg, sizeof msg, "%s: %s", path, problem);
    fprintf(c->err, "%s\n", msg);
    if (c->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_string(&j, "error", "input");
        json_key_string(&j, "message", msg);
        json_key_string(&j, "file", path);
        if (line)
            json_key_u64(&j, "line", line);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_USAGE;
}

int out_of_memory(struct cli *c)
{
    fputs("trainest: error: out of memory\n", c->err);
    return CLI_EXIT_FAILURE;
}

/* ---- Calibration ------------------------------------------------------------------ */

/* The most observations trainest_step_calibrate() takes. */
#define MAX_OBSERVATIONS 65536u
/* The largest calibration file read. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

char *read_file(const char *path, size_t *len, char *msg, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(msg, cap, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t n = 0, size = 1 << 16;
    char *buf = malloc(size);
    while (buf) {
        n += fread(buf + n, 1, size - n, f);
        if (n < size || ferror(f))
            break;
        char *bigger = size < MAX_FILE_BYTES ? realloc(buf, size * 2) : NULL;
        if (!bigger) {
            snprintf(msg, cap, "%s", size < MAX_FILE_BYTES ? "out of memory" : "larger than 1 GiB");
            free(buf);
            fclose(f);
            return NULL;
        }
        buf = bigger;
        size *= 2;
    }
    if (!buf)
        snprintf(msg, cap, "out of memory");
    else if (ferror(f)) {
        snprintf(msg, cap, "cannot read: %s", strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n;
    return buf;
}

/* The library rejected the observations of path (lines[i] is the line of
 * observation i). */
static int calibration_error(struct cli *c, int status, const trainest_step_fit *fit,
                             const struct options *o, const trainest_step_observation *obs,
                             const uint64_t *lines, uint32_t count)
{
    struct error_detail d;
    error_detail_init(&d);
    char where[512];
    error_detail_row(&d, where, sizeof where, o->calibration, fit->invalid_index, lines, count);
    bool same_accum = count > 0;
    for (uint32_t i = 1; i < count; i++)
        same_accum = same_accum && obs[i].grad_accum_steps == obs[0].grad_accum_steps;
    if (status == TRAINEST_E_UNIDENTIFIABLE && same_accum && !given(o, "optimizer-s"))
        snprintf(d.hint, sizeof d.hint,
                 "every row has grad_accum %" PRIu64
                 ", which cannot separate the optimizer time from the micro-batch time: "
                 "give --optimizer-s (measured), or rows with another grad_accum",
                 obs[0].grad_accum_steps);
    else if (status == TRAINEST_E_TOO_FEW_POINTS)
        snprintf(d.hint, sizeof d.hint,
                 "the fit needs rows with at least two different (micro_batch, grad_accum); "
                 "%s has %" PRIu32 " row%s",
                 o->calibration, count, count == 1 ? "" : "s");
    return library_error(c, status, fit->invalid_field, &d);
}

/* Read and fit --calibration. On failure it is reported and the exit
 * status returned. */
static int calibrate_file(struct cli *c, const struct options *o, trainest_step_fit *fit)
{
    char msg[256];
    size_t len = 0;
    char *text = read_file(o->calibration, &len, msg, sizeof msg);
    if (!text)
        return input_error(c, o->calibration, 0, msg);
    trainest_step_observation *obs = malloc(MAX_OBSERVATIONS * sizeof *obs);
    uint64_t *lines = malloc(MAX_OBSERVATIONS * sizeof *lines);
    int rc = CLI_EXIT_OK;
    uint32_t n = 0;
    uint64_t bad = 0;
    if (!obs || !lines)
        rc = out_of_memory(c);
    else if ((bad = csv_read_observations(text, len, obs, MAX_OBSERVATIONS, &n, lines, msg,
                                          sizeof msg)))
        rc = input_error(c, o->calibration, bad, msg);
    free(text);
    if (rc == CLI_EXIT_OK) {
        trainest_calibration_request rq;
        trainest_calibration_request_init(&rq, sizeof rq);
        if (given(o, "optimizer-s")) {
            rq.flags = TRAINEST_CALIBRATE_OPTIMIZER_KNOWN;
            rq.optimizer_s = o->estimate.optimizer_s;
        }
        memset(fit, 0, sizeof *fit);
        fit->struct_size = sizeof *fit;
        const int st = trainest_step_calibrate(fit, obs, n, &rq);
        if (st != TRAINEST_OK)
            rc = calibration_error(c, st, fit, o, obs, lines, n);
    }
    free(obs);
    free(lines);
    return rc;
}

/* ---- Loader calibration ------------------------------------------------------------ */

/* The most observations trainest_loader_calibrate() takes. */
#define MAX_LOADER_OBSERVATIONS 64u

/* The library rejected the loader-only epochs of --loader (lines[i] is the
 * line of observation i). */
static int loader_error(struct cli *c, int status, const trainest_loader_fit *fit,
                        const struct options *o, const trainest_loader_observation *obs,
                        const uint64_t *lines, uint32_t count)
{
    struct error_detail d;
    error_detail_init(&d);
    d.flag = "loader"; /* not --calibration, whose field the library names */
    char where[512];
    error_detail_row(&d, where, sizeof where, o->loader, fit->invalid_index, lines, count);
    bool same_workers = count > 0;
    for (uint32_t i = 1; i < count; i++)
        same_workers = same_workers && obs[i].workers == obs[0].workers;
    if (status == TRAINEST_E_TOO_FEW_POINTS)
        snprintf(d.hint, sizeof d.hint,
                 "the fit needs rows with at least two different (workers, batch_size, "
                 "samples); %s has %" PRIu32 " row%s",
                 o->loader, count, count == 1 ? "" : "s");
    else if (status == TRAINEST_E_UNIDENTIFIABLE)
        snprintf(d.hint, sizeof d.hint,
                 "%s cannot separate the workers' start-up from their throughput: read the "
                 "same epoch with two worker counts far apart (4 and 12, say)",
                 same_workers ? "rows that all have the same workers" : "these rows");
    return library_error(c, status, fit->invalid_field, &d);
}

/* Read and fit --loader. On failure it is reported and the exit status
 * returned. */
static int loader_file(struct cli *c, const struct options *o, trainest_loader_fit *fit)
{
    char msg[256];
    size_t len = 0;
    char *text = read_file(o->loader, &len, msg, sizeof msg);
    if (!text)
        return input_error(c, o->loader, 0, msg);
    trainest_loader_observation obs[MAX_LOADER_OBSERVATIONS];
    uint64_t lines[MAX_LOADER_OBSERVATIONS];
    uint32_t n = 0;
    const uint64_t bad = csv_read_loader_observations(text, len, obs, MAX_LOADER_OBSERVATIONS,
                                                      &n, lines, msg, sizeof msg);
    free(text);
    if (bad)
        return input_error(c, o->loader, bad, msg);
    memset(fit, 0, sizeof *fit);
    fit->struct_size = sizeof *fit;
    const int st = trainest_loader_calibrate(fit, obs, n);
    if (st != TRAINEST_OK)
        return loader_error(c, st, fit, o, obs, lines, n);
    return CLI_EXIT_OK;
}

static int run_calibrate_loader(struct cli *c, const struct options *o)
{
    if (given(o, "optimizer-s"))
        return usage_error(c, "--optimizer-s is for --calibration: the loader model has no "
                              "optimizer step");
    trainest_loader_fit f;
    const int rc = loader_file(c, o, &f);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_double(&j, "worker_startup_s", f.worker_startup_s);
        json_key_double(&j, "samples_per_s_per_worker", f.samples_per_s_per_worker);
        json_key_double(&j, "max_residual_ratio", f.max_residual_ratio);
        json_key_double(&j, "mean_residual_ratio", f.mean_residual_ratio);
        json_key_u64(&j, "observations", f.observations);
        json_object_end(&j);
        json_finish(&j);
        return CLI_EXIT_OK;
    }
    struct table t;
    t.n = 0;
    table_heading(&t, "loader workers (started one after another)");
    table_seconds(&t, "worker_startup_s: start-up per worker",
                  f.worker_startup_s, false);
    if (f.samples_per_s_per_worker > 0)
        table_printf(&t, "samples_per_s_per_worker: per worker", "%.6g",
                     f.samples_per_s_per_worker);
    else
        table_text(&t, "samples_per_s_per_worker: per worker",
                   "unlimited: the start-up explains every time");
    table_heading(&t, "residuals (|predicted - measured| / measured)");
    table_printf(&t, "max", "%.4g %%", 100 * f.max_residual_ratio);
    table_printf(&t, "mean", "%.4g %%", 100 * f.mean_residual_ratio);
    table_u64(&t, "observations", f.observations);
    table_print(&t, c->out);
    fprintf(c->out, "\nFor trainest estimate: --data-overlap workers --data-workers N "
                    "--data-worker-startup-s %.9g",
            f.worker_startup_s);
    if (f.samples_per_s_per_worker > 0)
        fprintf(c->out, " --data-samples-per-s-per-worker %.9g", f.samples_per_s_per_worker);
    fputc('\n', c->out);
    return CLI_EXIT_OK;
}

/* ---- calibrate ------------------------------------------------------------------------- */

static int run_calibrate(struct cli *c, const struct options *o)
{
    if (given(o, "loader"))
        return run_calibrate_loader(c, o);
    trainest_step_fit f;
    const int rc = calibrate_file(c, o, &f);
    if (rc != CLI_EXIT_OK)
        return rc;
    const bool floor_fitted = f.flags & TRAINEST_FIT_FLOOR_FITTED;
    const bool lag_fitted = f.flags & TRAINEST_FIT_LAUNCH_LAG_FITTED;
    const bool opt_given = given(o, "optimizer-s");
    if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_double(&j, "floor_s", f.floor_s);
        json_key_double(&j, "fixed_s", f.fixed_s);
        json_key_double(&j, "per_sample_s", f.per_sample_s);
        json_key_double(&j, "launch_lag_s", f.launch_lag_s);
        json_key_double(&j, "optimizer_s", f.optimizer_s);
        json_key_double(&j, "max_residual_ratio", f.max_residual_ratio);
        json_key_double(&j, "mean_residual_ratio", f.mean_residual_ratio);
        json_key_u64(&j, "observations", f.observations);
        json_key_bool(&j, "floor_fitted", floor_fitted);
        json_key_bool(&j, "launch_lag_fitted", lag_fitted);
        json_key_bool(&j, "optimizer_fitted", !opt_given);
        json_object_end(&j);
        json_finish(&j);
        return CLI_EXIT_OK;
    }
    struct table t;
    t.n = 0;
    table_heading(&t, "step-time model");
    table_seconds(&t, "floor_s: launch per micro-batch", f.floor_s, false);
    table_seconds(&t, "fixed_s: device per micro-batch", f.fixed_s, false);
    table_seconds(&t, "per_sample_s: device per sample", f.per_sample_s, false);
    table_seconds(&t, "launch_lag_s: per step, device-bound", f.launch_lag_s, false);
    table_seconds(&t, "optimizer_s: per step", f.optimizer_s, false);
    table_heading(&t, "fitted");
    table_text(&t, "floor", floor_fitted ? "yes" : "no: no launch-bound row");
    table_text(&t, "launch lag", lag_fitted ? "yes" : "no: in optimizer_s");
    table_text(&t, "optimizer", opt_given ? "no: given" : "yes");
    table_heading(&t, "residuals (|predicted - measured| / measured)");
    table_printf(&t, "max", "%.4g %%", 100 * f.max_residual_ratio);
    table_printf(&t, "mean", "%.4g %%", 100 * f.mean_residual_ratio);
    table_u64(&t, "observations", f.observations);
    table_print(&t, c->out);
    fprintf(c->out,
            "\nFor trainest estimate: --floor-s %.9g --fixed-s %.9g --per-sample-s %.9g "
            "--launch-lag-s %.9g --optimizer-s %.9g\n",
            f.floor_s, f.fixed_s, f.per_sample_s, f.launch_lag_s, f.optimizer_s);
    return CLI_EXIT_OK;
}

/* ---- estimate ---------------------------------------------------------------------------- */

static const char *const model_names[] = {"given", "calibrated", "analytic"};

/* Flags the library would silently ignore without another. */
static const struct {
    const char *flag, *needs;
} flag_needs[] = {
    {"data-workers", "data-samples-per-s-per-worker"},
    {"observed-micro-batch", "observed-step-s"},
    {"observed-grad-accum", "observed-step-s"},
};

/* The step-time flags given directly, which --calibration fits instead. */
static const char *const direct_flags[] = {"floor-s", "fixed-s", "per-sample-s", "launch-lag-s"};

/* Flags that only the step time from FLOPs uses. */
static const char *const analytic_flags[] = {"efficiency", "observed-step-s"};

bool step_model_given(const struct options *o)
{
    static const char *const names[] = {
        "calibration", "floor-s", "fixed-s", "per-sample-s", "launch-lag-s",
        "optimizer-s", "peak-flops-per-s", "efficiency", "observed-step-s",
        "flops-per-sample",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (given(o, names[i]))
            return true;
    return false;
}

int check_estimate_flags(struct cli *c, const struct options *o, enum step_model *model)
{
    char msg[512];
    const bool workers = o->estimate.data_mode == TRAINEST_DATA_MODE_WORKERS;
    for (size_t i = 0; i < sizeof flag_needs / sizeof flag_needs[0]; i++) {
        /* loader workers share a total --data-samples-per-s, or have none */
        if (workers && strcmp(flag_needs[i].flag, "data-workers") == 0)
            continue;
        if (given(o, flag_needs[i].flag) && !given(o, flag_needs[i].needs)) {
            snprintf(msg, sizeof msg, "--%s needs --%s", flag_needs[i].flag, flag_needs[i].needs);
            return usage_error(c, msg);
        }
    }
    /* recomputation changes FLOPs from --params, the tensor-parallel
     * communication and the activation memory from the model shape */
    if (given(o, "recompute") && !given(o, "params") && !given(o, "layers"))
        return usage_error(c, "--recompute needs --params (FLOPs) or the model shape "
                              "(--layers, --hidden, ...)");
    const bool calibrated = given(o, "calibration");
    for (size_t i = 0; calibrated && i < sizeof direct_flags / sizeof direct_flags[0]; i++) {
        if (given(o, direct_flags[i])) {
            snprintf(msg, sizeof msg,
                     "--calibration fits --%s: give the measurements or the parameters, not both",
                     direct_flags[i]);
            return usage_error(c, msg);
        }
    }
    const bool analytic = !calibrated && !given(o, "per-sample-s") &&
                          given(o, "peak-flops-per-s") &&
                          (given(o, "params") || given(o, "flops-per-sample") ||
                           (given(o, "layers") && given(o, "hidden") && given(o, "vocab")));
    for (size_t i = 0; !analytic && i < sizeof analytic_flags / sizeof analytic_flags[0]; i++) {
        if (given(o, analytic_flags[i])) {
            snprintf(msg, sizeof msg,
                     "--%s is for the step time from FLOPs: give --peak-flops-per-s with "
                     "--params or --flops-per-sample, and neither --per-sample-s nor "
                     "--calibration",
                     analytic_flags[i]);
            return usage_error(c, msg);
        }
    }
    if (given(o, "efficiency") && given(o, "observed-step-s"))
        return usage_error(c, "give --efficiency or --observed-step-s (to fit it), not both");
    if (!calibrated && !analytic && !given(o, "floor-s") && !given(o, "fixed-s") &&
        !given(o, "per-sample-s"))
        return usage_error(c, "no step-time model: give --calibration FILE.csv, the parameters "
                              "(--per-sample-s, --fixed-s, --floor-s, ...), or "
                              "--peak-flops-per-s with --params or --flops-per-sample");
    if (o->tradeoff && given(o, "global-batch") &&
        (given(o, "micro-batch") || given(o, "grad-accum")))
        return usage_error(c, "--tradeoff tries every micro-batch of the global batch: drop "
                              "--micro-batch and --grad-accum");
    *model = calibrated ? MODEL_CALIBRATED : analytic ? MODEL_ANALYTIC : MODEL_GIVEN;
    return CLI_EXIT_OK;
}

int step_request(struct cli *c, const struct options *o, enum step_model model,
                 trainest_estimate_request *rq, trainest_step_fit *fit)
{
    *rq = o->estimate;
    rq->data_persistent_workers = o->persistent_workers ? 1 : 0;
    rq->step_source =
        model == MODEL_ANALYTIC ? TRAINEST_STEP_SOURCE_ANALYTIC : TRAINEST_STEP_SOURCE_GIVEN;
    memset(fit, 0, sizeof *fit);
    if (model != MODEL_CALIBRATED)
        return CLI_EXIT_OK;
    const int rc = calibrate_file(c, o, fit);
    if (rc != CLI_EXIT_OK)
        return rc;
    rq->floor_s = fit->floor_s;
    rq->fixed_s = fit->fixed_s;
    rq->per_sample_s = fit->per_sample_s;
    rq->launch_lag_s = fit->launch_lag_s;
    rq->optimizer_s = fit->optimizer_s;
    return CLI_EXIT_OK;
}

/* Whether the error is the batch plan's own: a plan-request field to blame
 * and a request the planner itself rejects. Then the report lists repairs.
 * An estimate or memory model that needs more of the plan request (the
 * model shape for TP or PP, say) is reported as a missing value instead:
 * the plan itself is fine and has nothing to repair. */
static bool plan_field(uint32_t field)
{
    return (field > TRAINEST_FIELD_STRUCT_SIZE && field <= TRAINEST_FIELD_ACCUM_TAIL) ||
           (field >= TRAINEST_FIELD_TENSOR_PARALLEL && field <= TRAINEST_FIELD_VOCAB);
}

static bool plan_to_blame(uint32_t field, const trainest_plan_request *rq)
{
    trainest_plan p;
    p.struct_size = sizeof p;
    return plan_field(field) && trainest_plan_compute(&p, rq) != TRAINEST_OK;
}

int estimate_error(struct cli *c, int status, uint32_t field, const struct options *o,
                   enum step_model model, const trainest_estimate_request *rq)
{
    if (plan_to_blame(field, &o->plan))
        return plan_error(c, status, field, &o->plan, given(o, "seq-len"));
    struct error_detail d;
    error_detail_init(&d);
    /* A calibrated parameter comes from the file, not from its flag. */
    static const struct {
        uint32_t field;
        const char *name;
        size_t offset;
    } fitted[] = {
        {TRAINEST_FIELD_FLOOR_S, "floor_s", offsetof(trainest_estimate_request, floor_s)},
        {TRAINEST_FIELD_FIXED_S, "fixed_s", offsetof(trainest_estimate_request, fixed_s)},
        {TRAINEST_FIELD_PER_SAMPLE_S, "per_sample_s",
         offsetof(trainest_estimate_request, per_sample_s)},
        {TRAINEST_FIELD_LAUNCH_LAG_S, "launch_lag_s",
         offsetof(trainest_estimate_request, launch_lag_s)},
        {TRAINEST_FIELD_OPTIMIZER_S, "optimizer_s",
         offsetof(trainest_estimate_request, optimizer_s)},
    };
    for (size_t i = 0; model == MODEL_CALIBRATED && i < sizeof fitted / sizeof fitted[0]; i++) {
        if (fitted[i].field != field ||
            (field == TRAINEST_FIELD_OPTIMIZER_S && given(o, "optimizer-s")))
            continue;
        double v;
        memcpy(&v, (const char *)rq + fitted[i].offset, sizeof v);
        d.flag = "calibration";
        snprintf(d.hint, sizeof d.hint, "the calibration fitted %s = %.9g", fitted[i].name, v);
    }
    if (status == TRAINEST_E_INCONSISTENT && (field == TRAINEST_FIELD_DATA_WORKER_STARTUP_S ||
                                              field == TRAINEST_FIELD_DATA_PERSISTENT_WORKERS))
        snprintf(d.hint, sizeof d.hint,
                 "--data-worker-startup-s and --data-persistent-workers describe loader "
                 "workers: give --data-overlap workers");
    if (status == TRAINEST_E_ZERO && field == TRAINEST_FIELD_DATA_WORKERS)
        snprintf(d.hint, sizeof d.hint,
                 "--data-overlap workers needs --data-workers N, N >= 1 (PyTorch's num_workers)");
    if (status == TRAINEST_E_UNDERSPECIFIED && plan_field(field))
        snprintf(d.hint, sizeof d.hint,
                 "tensor- and pipeline-parallel time needs the model shape: --hidden and "
                 "--seq-len (or --comm-activation-bytes-per-sample), and --layers with "
                 "tensor parallelism");
    return library_error(c, status, field, &d);
}

/* ---- Run-level realism: failures, ramp-up, critical batch -------------------------- */

int check_runlevel_flags(struct cli *c, const struct options *o)
{
    static const char *const failure_flags[] = {"checkpoint-write-s", "restart-s",
                                                "checkpoint-interval-s", "interval-rule"};
    const bool failures = given(o, "mtbf-hours-per-device") || given(o, "mtbf-hours-per-node");
    for (size_t i = 0; !failures && i < sizeof failure_flags / sizeof failure_flags[0]; i++)
        if (given(o, failure_flags[i]))
            return usage_errorf(c,
                                "--%s is for the failure model: give --mtbf-hours-per-device "
                                "or --mtbf-hours-per-node",
                                failure_flags[i]);
    if (given(o, "mtbf-hours-per-node") && !given(o, "devices-per-node"))
        return usage_error(c, "--mtbf-hours-per-node needs --devices-per-node to count the nodes");
    if (given(o, "rampup") && o->plan.preset != TRAINEST_PRESET_MEGATRON)
        return usage_error(c, "--rampup is Megatron's --rampup-batch-size: give --preset "
                              "megatron");
    const bool noise = given(o, "noise-scale");
    if (!noise && (given(o, "min-steps") || given(o, "min-samples") ||
                   given(o, "max-global-batch")))
        return usage_errorf(c, "--%s is for the critical batch: give --noise-scale",
                            given(o, "min-steps")     ? "min-steps"
                            : given(o, "min-samples") ? "min-samples"
                                                      : "max-global-batch");
    if (noise && given(o, "min-steps") == given(o, "min-samples"))
        return usage_error(c, "--noise-scale needs one of --min-steps or --min-samples");
    return CLI_EXIT_OK;
}

int rampup_error(struct cli *c, int status, uint32_t field, const trainest_plan *p)
{
    struct error_detail d;
    error_detail_init(&d);
    if (status == TRAINEST_E_NOT_DIVISIBLE || plan_field(field)) {
        d.flag = "rampup";
        snprintf(d.hint, sizeof d.hint,
                 "INCR must divide the global batch %" PRIu64 " - START, and every batch size "
                 "of the ramp must be a multiple of micro-batch x data-parallel = %" PRIu64,
                 p->global_batch, p->micro_batch * p->data_parallel);
    }
    return library_error(c, status, field, &d);
}

bool failure_model_given(const struct options *o)
{
    return given(o, "mtbf-hours-per-device") || given(o, "mtbf-hours-per-node");
}

int failure_model(struct cli *c, const struct options *o, const trainest_plan *p, double work_s,
                  trainest_failure *f)
{
    trainest_failure_request rq = o->failure;
    rq.work_s = work_s;
    rq.devices = p->devices ? p->devices : p->data_parallel;
    rq.devices_per_node = o->estimate.devices_per_node;
    f->struct_size = sizeof *f;
    const int st = trainest_failure_compute(f, &rq);
    if (st != TRAINEST_OK) {
        struct error_detail d;
        error_detail_init(&d);
        if (f->invalid_field == TRAINEST_FIELD_WORK_S)
            snprintf(d.hint, sizeof d.hint,
                     "the failure model protects the run's predicted time, %.6g s", work_s);
        return library_error(c, st, f->invalid_field, &d);
    }
    return CLI_EXIT_OK;
}

/* What an estimate reports besides the plan and its time. */
struct extras {
    bool failure, rampup, critical, memory;
    trainest_failure f;
    trainest_rampup r;
    trainest_critical k;
    trainest_memory m;
    trainest_memory_request mrq;
};

/* Whether the memory model has a device limit to report against. */
static bool memory_limited(const struct extras *x)
{
    return x->mrq.device_memory_bytes > 0;
}

/* Whether an estimate knows FLOPs per sample and the peak, hence the MFU. */
static bool mfu_known(const trainest_estimate *e, const trainest_estimate_request *rq)
{
    return e->flops_per_sample > 0 && rq->peak_flops_per_s > 0;
}

static void json_extras(struct json *j, const struct extras *x)
{
    if (x->memory) {
        json_key_u64(j, "memory_bytes", x->m.total_bytes);
        json_key_u64(j, "memory_static_bytes", x->m.static_bytes);
        json_key_u64(j, "memory_activation_bytes", x->m.activation_bytes);
        if (memory_limited(x)) {
            json_key_u64(j, "memory_budget_bytes", x->m.budget_bytes);
            json_key_bool(j, "memory_fits", x->m.fits);
            json_key_double(j, "headroom_ratio", x->m.headroom_ratio);
            json_key_u64(j, "memory_max_micro_batch", x->m.max_micro_batch);
        }
    }
    if (x->rampup) {
        json_key_u64(j, "rampup_steps", x->r.rampup_steps);
        json_key_double(j, "rampup_s", x->r.rampup_s);
        json_key_u64(j, "rampup_samples", x->r.rampup_samples);
        json_key_u64(j, "rampup_increments", x->r.increments);
        json_key_u64(j, "rampup_total_steps", x->r.total_steps);
        json_key_u64(j, "rampup_extra_steps", x->r.extra_steps);
        json_key_u64(j, "rampup_total_samples", x->r.total_samples);
        json_key_double(j, "rampup_total_s", x->r.total_s);
    }
    if (x->failure) {
        json_key_double(j, "expected_total_s", x->f.expected_total_s);
        json_key_double(j, "p50_total_s", x->f.p50_total_s);
        json_key_double(j, "p90_total_s", x->f.p90_total_s);
        json_key_double(j, "expected_interruptions", x->f.expected_interruptions);
        json_key_double(j, "checkpoint_interval_s", x->f.checkpoint_interval_s);
        json_key_double(j, "effective_time_ratio", x->f.effective_time_ratio);
        json_key_double(j, "job_mtbf_s", x->f.job_mtbf_s);
        json_key_u64(j, "checkpoints", x->f.checkpoints);
        json_key_double(j, "checkpoint_s_total", x->f.checkpoint_s);
        json_key_double(j, "expected_lost_work_s", x->f.expected_lost_work_s);
        json_key_double(j, "expected_restart_s", x->f.expected_restart_s);
    }
    if (x->critical) {
        json_key_double(j, "critical_batch", x->k.critical_batch);
        json_key_double(j, "steps_to_target", x->k.steps_to_target);
        json_key_double(j, "samples_to_target", x->k.samples_to_target);
        json_key_double(j, "time_to_target_s", x->k.time_to_target_s);
        json_key_u64(j, "best_global_batch", x->k.best_global_batch);
        json_key_u64(j, "best_micro_batch", x->k.best_micro_batch);
        json_key_u64(j, "best_grad_accum_steps", x->k.best_grad_accum_steps);
        json_key_double(j, "best_steps_to_target", x->k.best_steps_to_target);
        json_key_double(j, "best_time_to_target_s", x->k.best_time_to_target_s);
        json_key_double(j, "best_batch_ratio", x->k.best_batch_ratio);
        json_key_double(j, "best_step_efficiency_ratio", x->k.best_step_efficiency_ratio);
        json_key_double(j, "best_data_efficiency_ratio", x->k.best_data_efficiency_ratio);
    }
}

static void json_estimate(struct json *j, const trainest_plan *p, const trainest_estimate *e,
                          const struct options *o, enum step_model model,
                          const trainest_estimate_request *rq, const trainest_step_fit *fit,
                          const struct extras *x)
{
    json_object_begin(j);
    json_plan_members(j, p, given(o, "seq-len"));
    json_key_double(j, "step_s", e->step_s);
    json_key_double(j, "epoch_s", e->epoch_s);
    json_key_double(j, "total_s", e->total_s);
    json_key_double(j, "compute_s", e->compute_s);
    json_key_double(j, "optimizer_s", e->optimizer_s);
    json_key_double(j, "transfer_s", e->transfer_s);
    json_key_double(j, "data_stall_s", e->data_stall_s);
    json_key_double(j, "comm_s", e->comm_s);
    json_key_double(j, "overhead_s", e->overhead_s);
    json_key_double(j, "bubble_s", e->bubble_s);
    json_key_double(j, "tp_comm_s", e->tp_comm_s);
    json_key_double(j, "p2p_s", e->p2p_s);
    json_key_double(j, "bubble_ratio", e->bubble_ratio);
    json_key_double(j, "stage_s", e->stage_s);
    json_key_double(j, "samples_per_s", e->samples_per_s);
    if (given(o, "seq-len") || given(o, "tokens-per-sample"))
        json_key_double(j, "tokens_per_s", e->tokens_per_s);
    if (mfu_known(e, rq))
        json_key_double(j, "mfu", e->mfu_ratio);
    json_key_double(j, "micro_batch_s", e->micro_batch_s);
    json_key_double(j, "step_compute_s", e->step_compute_s);
    json_key_double(j, "step_transfer_s", e->step_transfer_s);
    json_key_double(j, "step_comm_s", e->step_comm_s);
    json_key_double(j, "step_data_stall_s", e->step_data_stall_s);
    json_key_double(j, "per_sample_s", e->per_sample_s);
    if (e->flops_per_sample > 0) {
        json_key_double(j, "flops_per_sample", e->flops_per_sample);
        json_key_double(j, "total_flops", e->total_flops);
        json_key_double(j, "achieved_flops_per_s", e->achieved_flops_per_s);
    }
    if (model == MODEL_ANALYTIC)
        json_key_double(j, "efficiency_ratio", e->efficiency_ratio);
    json_extras(j, x);
    json_key(j, "step_model");
    json_object_begin(j);
    json_key_string(j, "source", model_names[model]);
    json_key_double(j, "floor_s", rq->floor_s);
    json_key_double(j, "fixed_s", rq->fixed_s);
    json_key_double(j, "per_sample_s", e->per_sample_s);
    json_key_double(j, "launch_lag_s", rq->launch_lag_s);
    json_key_double(j, "optimizer_s", rq->optimizer_s);
    if (model == MODEL_CALIBRATED) {
        json_key_double(j, "max_residual_ratio", fit->max_residual_ratio);
        json_key_double(j, "mean_residual_ratio", fit->mean_residual_ratio);
        json_key_u64(j, "observations", fit->observations);
    }
    json_object_end(j);
    json_object_end(j);
}

static void extras_rows(struct table *t, const struct extras *x)
{
    if (x->memory) {
        table_heading(t, "memory per device");
        table_bytes(t, "model states and overhead", x->m.static_bytes);
        table_bytes(t, "activations", x->m.activation_bytes);
        table_bytes(t, "total", x->m.total_bytes);
        if (memory_limited(x)) {
            table_bytes(t, "budget", x->m.budget_bytes);
            table_printf(t, "headroom", "%.2f %%", 100 * x->m.headroom_ratio);
            table_text(t, "fits", x->m.fits ? "yes" : "no");
            if (x->m.max_micro_batch == UINT64_MAX)
                table_text(t, "largest micro-batch that fits", "unlimited");
            else
                table_u64(t, "largest micro-batch that fits", x->m.max_micro_batch);
        }
    }
    if (x->rampup) {
        table_heading(t, "batch-size ramp-up");
        table_u64(t, "ramp steps", x->r.rampup_steps);
        table_u64(t, "ramp samples", x->r.rampup_samples);
        table_seconds(t, "ramp time", x->r.rampup_s, true);
        table_u64(t, "total steps", x->r.total_steps);
        table_u64(t, "extra steps", x->r.extra_steps);
        table_seconds(t, "total with ramp-up", x->r.total_s, true);
    }
    if (x->failure) {
        table_heading(t, "failures and checkpoints");
        table_seconds(t, "job MTBF", x->f.job_mtbf_s, true);
        table_seconds(t, "checkpoint interval", x->f.checkpoint_interval_s, true);
        table_u64(t, "checkpoints", x->f.checkpoints);
        table_printf(t, "expected interruptions", "%.4g", x->f.expected_interruptions);
        table_seconds(t, "expected wall time", x->f.expected_total_s, true);
        table_seconds(t, "P50 wall time", x->f.p50_total_s, true);
        table_seconds(t, "P90 wall time", x->f.p90_total_s, true);
        table_printf(t, "effective time", "%.2f %%", 100 * x->f.effective_time_ratio);
    }
    if (x->critical) {
        table_heading(t, "critical batch");
        table_printf(t, "critical batch (noise scale)", "%.6g", x->k.critical_batch);
        table_printf(t, "steps to target", "%.0f", x->k.steps_to_target);
        table_seconds(t, "time to target", x->k.time_to_target_s, true);
        table_u64(t, "best global batch", x->k.best_global_batch);
        table_printf(t, "best micro batch x accum", "%" PRIu64 " x %" PRIu64,
                     x->k.best_micro_batch, x->k.best_grad_accum_steps);
        table_printf(t, "best steps to target", "%.0f", x->k.best_steps_to_target);
        table_seconds(t, "best time to target", x->k.best_time_to_target_s, true);
        table_printf(t, "best batch / critical", "%.4g", x->k.best_batch_ratio);
    }
}

static void print_estimate(FILE *f, const trainest_plan *p, const trainest_estimate *e,
                           const struct options *o, enum step_model model,
                           const trainest_estimate_request *rq, const trainest_step_fit *fit,
                           const struct extras *x)
{
    struct table t;
    t.n = 0;
    plan_rows(&t, p, given(o, "seq-len"));
    const bool mp = model_parallel(p);

    table_heading(&t, model == MODEL_CALIBRATED ? "step-time model (calibrated)"
                      : model == MODEL_ANALYTIC ? "step-time model (from FLOPs)"
                                                : "step-time model (given)");
    table_seconds(&t, "launch floor per micro-batch", rq->floor_s, false);
    table_seconds(&t, "device time per micro-batch", rq->fixed_s, false);
    table_seconds(&t, "device time per sample", e->per_sample_s, false);
    table_seconds(&t, "launch lag per step", rq->launch_lag_s, false);
    table_seconds(&t, "optimizer per step", rq->optimizer_s, false);
    if (model == MODEL_CALIBRATED) {
        table_u64(&t, "calibration rows", fit->observations);
        table_printf(&t, "calibration max residual", "%.4g %%", 100 * fit->max_residual_ratio);
    }
    if (e->flops_per_sample > 0)
        table_printf(&t, "FLOPs per sample", "%.6g", e->flops_per_sample);
    if (model == MODEL_ANALYTIC)
        table_printf(&t, "efficiency", "%.4g %%", 100 * e->efficiency_ratio);

    table_heading(&t, "one full optimizer step");
    table_seconds(&t, "micro-batch", e->micro_batch_s, false);
    if (mp) {
        table_seconds(&t, "pipeline stage per micro-batch", e->stage_s, false);
        table_printf(&t, "pipeline bubble", "%.4g %%", 100 * e->bubble_ratio);
    }
    table_seconds(&t, "compute", e->step_compute_s, false);
    table_seconds(&t, "host-to-device copy", e->step_transfer_s, false);
    table_seconds(&t, "all-reduce (exposed)", e->step_comm_s, false);
    table_seconds(&t, "data stall", e->step_data_stall_s, false);
    table_seconds(&t, "step", e->step_s, true);

    table_heading(&t, "time");
    table_seconds(&t, "compute", e->compute_s, true);
    table_seconds(&t, "optimizer", e->optimizer_s, true);
    table_seconds(&t, "host-to-device copies", e->transfer_s, true);
    table_seconds(&t, "data stall", e->data_stall_s, true);
    table_seconds(&t, "all-reduce", e->comm_s, true);
    if (mp) {
        table_seconds(&t, "pipeline bubble", e->bubble_s, true);
        table_seconds(&t, "tensor-parallel all-reduce", e->tp_comm_s, true);
        table_seconds(&t, "pipeline transfers", e->p2p_s, true);
    }
    table_seconds(&t, "overheads", e->overhead_s, true);
    table_seconds(&t, "epoch", e->epoch_s, true);
    table_seconds(&t, "total", e->total_s, true);

    table_heading(&t, "throughput");
    table_printf(&t, "samples per second", "%.6g", e->samples_per_s);
    if (given(o, "seq-len") || given(o, "tokens-per-sample"))
        table_printf(&t, "tokens per second", "%.6g", e->tokens_per_s);
    if (e->flops_per_sample > 0)
        table_printf(&t, "achieved FLOP/s", "%.4g", e->achieved_flops_per_s);
    if (mfu_known(e, rq))
        table_printf(&t, "MFU", "%.2f %%", 100 * e->mfu_ratio);
    extras_rows(&t, x);
    table_print(&t, f);

    const double parts[] = {e->compute_s,  e->optimizer_s, e->transfer_s, e->data_stall_s,
                            e->comm_s,     e->bubble_s,    e->tp_comm_s,  e->p2p_s,
                            e->overhead_s};
    static const char *const names[] = {"compute", "optimizer", "copies", "data stall",
                                        "all-reduce", "bubble", "tp all-reduce",
                                        "pipeline transfers", "overheads"};
    fputs("\nbreakdown:", f);
    bool first = true;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (i >= 5 && i <= 7 && !mp)
            continue;
        fprintf(f, "%s %s %.1f %%", first ? "" : ",", names[i],
                e->total_s > 0 ? 100 * parts[i] / e->total_s : 0.0);
        first = false;
    }
    fputc('\n', f);
}

/* ---- estimate --tradeoff ------------------------------------------------------------------ */

/* Enough for every divisor of a per-device batch up to 2^32, the most the
 * library searches (numbers below 2^32 have at most 1344 divisors). */
#define TRADEOFF_POINTS 2048u

static void print_tradeoff(FILE *f, const trainest_tradeoff *t, const trainest_tradeoff_point *pts,
                           uint32_t n, uint64_t R, uint64_t cap, const uint64_t *memory)
{
    if (n == 0) {
        fputs("no micro-batch leaves an optimizer step under these policies\n", f);
        return;
    }
    const uint64_t G = pts[0].micro_batch * pts[0].grad_accum_steps * R;
    fprintf(f, "global batch %" PRIu64 " on %" PRIu64 " data-parallel replica%s: %" PRIu64
               " candidate%s",
            G, R, R == 1 ? "" : "s", t->candidates, t->candidates == 1 ? "" : "s");
    if (cap)
        fprintf(f, ", micro-batch cap %" PRIu64, cap);
    fputs("\n\n", f);

    static const char *const head[] = {"micro batch", "grad accum", "step", "run", "memory",
                                       "fits"};
    enum { COLS = 6 };
    int width[COLS];
    for (int k = 0; k < COLS; k++)
        width[k] = (int)strlen(head[k]);
    char cell[COLS][48];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int k = 0; k < COLS; k++)
                if (memory || k != 4)
                    fprintf(f, "  %*s", width[k], head[k]);
            fputc('\n', f);
        }
        for (uint32_t i = 0; i < n; i++) {
            snprintf(cell[0], sizeof cell[0], "%" PRIu64, pts[i].micro_batch);
            snprintf(cell[1], sizeof cell[1], "%" PRIu64, pts[i].grad_accum_steps);
            fmt_seconds(cell[2], sizeof cell[2], pts[i].step_s, false);
            fmt_seconds(cell[3], sizeof cell[3], pts[i].total_s, false);
            if (memory)
                fmt_bytes(cell[4], sizeof cell[4], memory[i]);
            else
                cell[4][0] = '\0';
            snprintf(cell[5], sizeof cell[5], "%s", pts[i].fits ? "yes" : "no");
            if (pass == 0) {
                for (int k = 0; k < COLS; k++)
                    if ((int)strlen(cell[k]) > width[k])
                        width[k] = (int)strlen(cell[k]);
                continue;
            }
            for (int k = 0; k < COLS; k++)
                if (memory || k != 4)
                    fprintf(f, "  %*s", width[k], cell[k]);
            const bool rec = pts[i].micro_batch == t->recommended_micro_batch;
            const bool fast = pts[i].micro_batch == t->fastest_micro_batch;
            fprintf(f, "%s%s%s%s\n", rec || fast ? "  <- " : "", rec ? "recommended" : "",
                    rec && fast ? ", " : "", fast ? "fastest" : "");
        }
    }
    if (t->candidates > n)
        fprintf(f, "(the first %" PRIu32 " of %" PRIu64 " candidates)\n", n, t->candidates);
    char a[64], b[64];
    if (t->recommended_micro_batch)
        fprintf(f,
                "\nrecommended: micro-batch %" PRIu64 " x %" PRIu64
                " accumulation steps, the largest that fits: %s\n"
                "fastest that fits: micro-batch %" PRIu64 ": %s\n",
                t->recommended_micro_batch, t->recommended_grad_accum_steps,
                fmt_seconds(a, sizeof a, t->recommended_total_s, true), t->fastest_micro_batch,
                fmt_seconds(b, sizeof b, t->fastest_total_s, true));
    else
        fputs("\nno candidate fits within --max-micro-batch\n", f);
}

static void json_tradeoff(struct json *j, const trainest_tradeoff *t,
                          const trainest_tradeoff_point *pts, uint32_t n, uint64_t R,
                          const uint64_t *memory, uint64_t memory_cap)
{
    json_object_begin(j);
    json_key_u64(j, "candidates", t->candidates);
    if (n)
        json_key_u64(j, "global_batch", pts[0].micro_batch * pts[0].grad_accum_steps * R);
    json_key_u64(j, "data_parallel", R);
    json_key_u64(j, "recommended_micro_batch", t->recommended_micro_batch);
    json_key_u64(j, "recommended_grad_accum_steps", t->recommended_grad_accum_steps);
    json_key_double(j, "recommended_total_s", t->recommended_total_s);
    json_key_u64(j, "fastest_micro_batch", t->fastest_micro_batch);
    json_key_double(j, "fastest_total_s", t->fastest_total_s);
    if (memory)
        json_key_u64(j, "memory_max_micro_batch", memory_cap);
    json_key(j, "points");
    json_array_begin(j);
    for (uint32_t i = 0; i < n; i++) {
        json_object_begin(j);
        json_key_u64(j, "micro_batch", pts[i].micro_batch);
        json_key_u64(j, "grad_accum_steps", pts[i].grad_accum_steps);
        json_key_double(j, "step_s", pts[i].step_s);
        json_key_double(j, "total_s", pts[i].total_s);
        if (memory)
            json_key_u64(j, "memory_bytes", memory[i]);
        json_key_bool(j, "fits", pts[i].fits);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
}

int tradeoff_with_memory(struct cli *c, const trainest_plan_request *prq,
                         const trainest_estimate_request *rq, const trainest_memory_request *mrq,
                         struct tradeoff_result *res, int *status)
{
    memset(res, 0, sizeof *res);
    *status = TRAINEST_OK;
    res->points = calloc(TRADEOFF_POINTS, sizeof *res->points);
    res->memory = mrq ? calloc(TRADEOFF_POINTS, sizeof *res->memory) : NULL;
    if (!res->points || (mrq && !res->memory)) {
        tradeoff_result_free(res);
        return out_of_memory(c);
    }
    res->request = *prq;
    {
        /* the data-parallel size: given, or derived from the devices */
        const uint64_t tp = prq->tensor_parallel ? prq->tensor_parallel : 1;
        const uint64_t pp = prq->pipeline_parallel ? prq->pipeline_parallel : 1;
        res->data_parallel = prq->devices && (tp * pp) != 0 ? prq->devices / (tp * pp)
                                                     : prq->data_parallel;
    }
    res->points[0].struct_size = sizeof res->points[0];
    res->summary.struct_size = sizeof res->summary;
    int st = trainest_tradeoff_compute(&res->summary, res->points, TRADEOFF_POINTS, &res->n,
                                       &res->request, rq);
    if (st != TRAINEST_OK || !mrq) {
        *status = st;
        return CLI_EXIT_OK;
    }
    /* The memory of every candidate for its own accumulation (in flight
     * under a pipeline), and the largest that fits. */
    uint64_t cap = 0;
    for (uint32_t i = 0; i < res->n; i++) {
        trainest_plan_request one = *prq;
        one.global_batch = 0; /* m x a x DP */
        one.micro_batch = res->points[i].micro_batch;
        one.grad_accum_steps = res->points[i].grad_accum_steps;
        one.max_micro_batch = 0;
        trainest_memory m;
        m.struct_size = sizeof m;
        st = memory_for_plan_request(&m, mrq, &one);
        if (st != TRAINEST_OK) {
            res->memory_field = m.invalid_field;
            *status = st;
            return CLI_EXIT_OK;
        }
        res->memory[i] = m.total_bytes;
        if (m.fits)
            cap = res->points[i].micro_batch;
    }
    res->memory_cap = cap;
    if (mrq->device_memory_bytes == 0)
        return CLI_EXIT_OK;
    if (cap == 0) {
        *status = TRAINEST_E_EXCEEDS_CAP;
        res->memory_field = TRAINEST_FIELD_DEVICE_MEMORY_BYTES;
        return CLI_EXIT_OK;
    }
    if (!res->request.max_micro_batch || cap < res->request.max_micro_batch)
        res->request.max_micro_batch = cap;
    st = trainest_tradeoff_compute(&res->summary, res->points, TRADEOFF_POINTS, &res->n,
                                   &res->request, rq);
    *status = st;
    return CLI_EXIT_OK;
}

void tradeoff_result_free(struct tradeoff_result *res)
{
    free(res->points);
    free(res->memory);
    res->points = NULL;
    res->memory = NULL;
}

/* Nothing fits in memory: exit 1 with the smallest candidate's memory. */
int nothing_fits_error(struct cli *c, const struct tradeoff_result *res,
                       const trainest_memory_request *mrq)
{
    struct error_detail d;
    error_detail_init(&d);
    char a[32], b[32];
    trainest_memory m;
    m.struct_size = sizeof m;
    trainest_memory_compute(&m, mrq, 0, 1);
    snprintf(d.hint, sizeof d.hint,
             "even micro-batch %" PRIu64 " needs %s per device; the budget is %s",
             res->n ? res->points[0].micro_batch : 1,
             fmt_bytes(a, sizeof a, res->n && res->memory ? res->memory[0] : 0),
             fmt_bytes(b, sizeof b, m.budget_bytes));
    fprintf(c->err, "trainest: error: no micro-batch fits in device memory: check "
                    "--device-memory-bytes\nhint: %s\n",
            d.hint);
    if (c->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_string(&j, "error", "does_not_fit");
        json_key_string(&j, "message", "no micro-batch fits in device memory: check "
                                       "--device-memory-bytes");
        json_key_string(&j, "field", "device-memory-bytes");
        json_key_string(&j, "hint", d.hint);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_FAILURE;
}

static int run_tradeoff(struct cli *c, const struct options *o, enum step_model model,
                        const trainest_estimate_request *rq)
{
    trainest_memory_request mrq;
    const bool memory = memory_flags_given(o);
    int rc;
    if (memory && (rc = memory_request(c, o, &mrq)) != CLI_EXIT_OK)
        return rc;
    struct tradeoff_result res;
    int st;
    if ((rc = tradeoff_with_memory(c, &o->plan, rq, memory ? &mrq : NULL, &res, &st)))
        return rc;
    if (st == TRAINEST_E_EXCEEDS_CAP && res.memory_field == TRAINEST_FIELD_DEVICE_MEMORY_BYTES)
        rc = nothing_fits_error(c, &res, &mrq);
    else if (st != TRAINEST_OK && res.memory_field)
        rc = memory_error(c, st, res.memory_field, o);
    else if (st != TRAINEST_OK)
        rc = estimate_error(c, st, res.summary.invalid_field, o, model, rq);
    else if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_tradeoff(&j, &res.summary, res.points, res.n, res.data_parallel, res.memory,
                      res.memory_cap);
        json_finish(&j);
    } else {
        print_tradeoff(c->out, &res.summary, res.points, res.n, res.data_parallel,
                       res.request.max_micro_batch, res.memory);
    }
    tradeoff_result_free(&res);
    return rc;
}

/* The report of a library error about the memory model. */
int memory_error(struct cli *c, int status, uint32_t field, const struct options *o)
{
    if (plan_to_blame(field, &o->plan))
        return plan_error(c, status, field, &o->plan, given(o, "seq-len"));
    struct error_detail d;
    error_detail_init(&d);
    if (status == TRAINEST_E_UNDERSPECIFIED)
        snprintf(d.hint, sizeof d.hint,
                 "activations per sample come from --activation-bytes-per-sample, "
                 "--memory-points, or the model shape (--layers, --hidden, "
                 "--attention-heads, --seq-len)");
    return library_error(c, status, field, &d);
}

static int run_estimate(struct cli *c, const struct options *o)
{
    enum step_model model = MODEL_GIVEN;
    int rc = check_estimate_flags(c, o, &model);
    if (rc != CLI_EXIT_OK || (rc = check_runlevel_flags(c, o)) != CLI_EXIT_OK ||
        (rc = check_memory_flags(c, o)) != CLI_EXIT_OK)
        return rc;
    if (o->tradeoff && (failure_model_given(o) || given(o, "rampup") || given(o, "noise-scale")))
        return usage_error(c, "--tradeoff prints the accumulation trade-off only: drop the "
                              "failure, --rampup and --noise-scale flags");
    trainest_estimate_request rq;
    trainest_step_fit fit;
    if ((rc = step_request(c, o, model, &rq, &fit)) != CLI_EXIT_OK)
        return rc;
    if (o->tradeoff)
        return run_tradeoff(c, o, model, &rq);

    trainest_plan p;
    p.struct_size = sizeof p;
    int st = trainest_plan_compute(&p, &o->plan);
    if (st != TRAINEST_OK)
        return plan_error(c, st, p.invalid_field, &o->plan, given(o, "seq-len"));
    trainest_estimate e;
    e.struct_size = sizeof e;
    st = trainest_estimate_run(&e, &o->plan, &rq);
    if (st != TRAINEST_OK)
        return estimate_error(c, st, e.invalid_field, o, model, &rq);

    struct extras x;
    memset(&x, 0, sizeof x);
    x.memory = memory_flags_given(o);
    if (x.memory) {
        if ((rc = memory_request(c, o, &x.mrq)) != CLI_EXIT_OK)
            return rc;
        x.m.struct_size = sizeof x.m;
        if ((st = memory_for_plan_request(&x.m, &x.mrq, &o->plan)) != TRAINEST_OK)
            return memory_error(c, st, x.m.invalid_field, o);
    }
    if ((x.rampup = given(o, "rampup"))) {
        x.r.struct_size = sizeof x.r;
        if ((st = trainest_rampup_compute(&x.r, &o->plan, &o->rampup, &rq)) != TRAINEST_OK)
            return rampup_error(c, st, x.r.invalid_field, &p);
    }
    if ((x.failure = failure_model_given(o)) &&
        (rc = failure_model(c, o, &p, x.rampup ? x.r.total_s : e.total_s, &x.f)) != CLI_EXIT_OK)
        return rc;
    if ((x.critical = given(o, "noise-scale"))) {
        x.k.struct_size = sizeof x.k;
        st = trainest_critical_compute(&x.k, &o->plan, &rq, x.memory ? &x.mrq : NULL,
                                       &o->critical);
        if (st != TRAINEST_OK)
            return estimate_error(c, st, x.k.invalid_field, o, model, &rq);
    }
    if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_estimate(&j, &p, &e, o, model, &rq, &fit, &x);
        json_finish(&j);
    } else {
        print_estimate(c->out, &p, &e, o, model, &rq, &fit, &x);
    }
    return CLI_EXIT_OK;
}

/* ---- demo ------------------------------------------------------------------------------ */

static int demo_plan(struct cli *c, trainest_plan *p, uint64_t samples, uint64_t global_batch,
                     uint64_t grad_accum)
{
    trainest_plan_request rq;
    trainest_plan_request_init(&rq, sizeof rq);
    rq.samples = samples;
    rq.global_batch = global_batch;
    rq.grad_accum_steps = grad_accum;
    p->struct_size = sizeof *p;
    const int st = trainest_plan_compute(p, &rq);
    if (st != TRAINEST_OK)
        return plan_error(c, st, p->invalid_field, &rq, false);
    return CLI_EXIT_OK;
}

static int run_demo(struct cli *c, const struct options *o)
{
    (void)o;
    trainest_plan a, b;
    int rc;
    if ((rc = demo_plan(c, &a, 1000, 10, 0)) || (rc = demo_plan(c, &b, 1000, 10, 2)))
        return rc;
    FILE *f = c->out;
    fprintf(f,
            "The worked example: %" PRIu64 " samples with a global batch of %" PRIu64
            " take %" PRIu64 " optimizer steps per epoch.\n\n"
            "$ trainest plan --samples %" PRIu64 " --global-batch %" PRIu64 "\n",
            a.samples, a.global_batch, a.optimizer_steps_per_epoch, a.samples, a.global_batch);
    print_plan_table(f, &a, false);
    fprintf(f,
            "\nWith gradient accumulation %" PRIu64 " the micro-batch is %" PRIu64 ": %" PRIu64
            " optimizer steps per epoch, %" PRIu64 " micro-steps.\n\n"
            "$ trainest plan --samples %" PRIu64 " --global-batch %" PRIu64
            " --grad-accum %" PRIu64 "\n",
            b.grad_accum_steps, b.micro_batch, b.optimizer_steps_per_epoch,
            b.micro_steps_per_epoch, b.samples, b.global_batch, b.grad_accum_steps);
    print_plan_table(f, &b, false);
    return CLI_EXIT_OK;
}

/* ---- Entry point ------------------------------------------------------------------------- */

/* Whether args holds arg. Flag values never start with "--", so an
 * argument "--json" can only be the flag. */
static bool has_arg(int argc, char **args, const char *arg)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(args[i], arg) == 0)
            return true;
    return false;
}

/* Whether args ask for help: "-h" or "--help" anywhere but as the value of
 * a flag, which the form --flag VALUE takes whatever it is unless it starts
 * with "--": "--samples -h" means what "--samples=-h" does. */
static bool has_help(int argc, char **args)
{
    for (int i = 0; i < argc; i++) {
        if (is_help(args[i]))
            return true;
        if (strncmp(args[i], "--", 2) == 0 && !strchr(args[i], '=') && i + 1 < argc &&
            strncmp(args[i + 1], "--", 2) != 0) {
            const struct flag *fl = flag_named(args[i] + 2, strlen(args[i] + 2));
            if (fl && fl->kind != FLAG_BOOL)
                i++; /* its value */
        }
    }
    return false;
}

static int finish(struct cli *c, int rc)
{
    if (fflush(c->out) != 0 || ferror(c->out)) {
        fputs("trainest: error: cannot write the output\n", c->err);
        return CLI_EXIT_FAILURE;
    }
    return rc;
}

/* Every request at its library defaults; the tool's own defaults. */
static void options_init(struct options *o)
{
    memset(o, 0, sizeof *o);
    trainest_plan_request_init(&o->plan, sizeof o->plan);
    trainest_estimate_request_init(&o->estimate, sizeof o->estimate);
    trainest_memory_request_init(&o->memory, sizeof o->memory);
    trainest_search_request_init(&o->search, sizeof o->search);
    trainest_failure_request_init(&o->failure, sizeof o->failure);
    trainest_rampup_request_init(&o->rampup, sizeof o->rampup);
    trainest_critical_request_init(&o->critical, sizeof o->critical);
    trainest_eta_config_init(&o->eta, sizeof o->eta);
    o->top = 10;
    o->every = 1;
}

/* Everything trainest_cli_run() does before it runs a command: --help,
 * --version and help, the command, --json, and the flags into *o (always
 * initialised). Sets *run and returns CLI_EXIT_OK when c->cmd is to run
 * with *o; otherwise returns the exit status after printing the help, the
 * version or a usage error. tests/fuzz/cli_argv.c fuzzes it. */
static int parse_command_line(struct cli *c, int argc, char **argv, struct options *o,
                              bool *run)
{
    *run = false;
    options_init(o);
    if (argc < 2) {
        print_usage(c->err);
        return CLI_EXIT_USAGE;
    }
    const char *first = argv[1];
    int nargs = argc - 2;
    char **args = argv + 2;
    char msg[512];

    const bool version = strcmp(first, "--version") == 0;
    if (is_help(first) || version) {
        if (nargs > 0) {
            snprintf(msg, sizeof msg, "%s takes no arguments", first);
            return usage_error(c, msg);
        }
        if (version)
            print_version(c->out);
        else
            print_usage(c->out);
        return finish(c, CLI_EXIT_OK);
    }
    if (strcmp(first, "help") == 0) {
        if (nargs == 0) {
            print_usage(c->out);
            return finish(c, CLI_EXIT_OK);
        }
        const struct command *cmd = command_named(args[0]);
        if (!cmd || nargs > 1) {
            snprintf(msg, sizeof msg, "no help for '%.64s'", args[nargs > 1 ? 1 : 0]);
            return usage_error(c, msg);
        }
        print_command_help(c->out, cmd);
        return finish(c, CLI_EXIT_OK);
    }

    c->cmd = command_named(first);
    c->json = has_arg(nargs, args, "--json");
    if (!c->cmd) {
        if (strncmp(first, "-", 1) == 0)
            snprintf(msg, sizeof msg, "unknown flag '%.64s' (flags follow the command)", first);
        else
            snprintf(msg, sizeof msg, "unknown command '%.64s'", first);
        return usage_error(c, msg);
    }
    c->json = c->json && accepts(c->cmd, flag_named("json", 4));
    c->compact = c->cmd->run == run_eta; /* its --json prints JSON lines */
    if (has_help(nargs, args)) {
        print_command_help(c->out, c->cmd);
        return finish(c, CLI_EXIT_OK);
    }

    const int rc = parse_flags(c, nargs, args, o);
    if (rc != CLI_EXIT_OK)
        return finish(c, rc);
    *run = true;
    return CLI_EXIT_OK;
}

int trainest_cli_run(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
    struct cli c = {in, out, err, false, false, NULL};
    struct options o;
    bool run;
    const int rc = parse_command_line(&c, argc, argv, &o, &run);
    if (!run)
        return rc;
    return finish(&c, c.cmd->run(&c, &o));
}

int trainest_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    return trainest_cli_run(argc, argv, stdin, out, err);
}
