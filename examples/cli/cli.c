/* SPDX-License-Identifier: MIT */
/* The trainest command-line tool: a table of commands sharing one table of
 * flags. Each flag writes its parsed value straight into struct options (a
 * plan request, an estimate request and whatever else commands need), so
 * adding a command is a row in `commands` and adding a flag is a row in
 * `flags`. Unlike the library, the tool may allocate: the observations of a
 * calibration file and the candidates of a trade-off live on the heap. */
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
    {NULL, 0},
};

static const struct enum_name recompute_names[] = {
    {"none", TRAINEST_RECOMPUTE_NONE},
    {"full", TRAINEST_RECOMPUTE_FULL},
    {NULL, 0},
};

/* A name for output; never NULL. */
static const char *name_of(const struct enum_name *names, uint32_t value)
{
    const char *s = enum_name_of(names, value);
    return s ? s : "unknown";
}

/* ---- Options and flags --------------------------------------------------- */

#define MAX_FLAGS 64

/* Everything any command can be told. Flags write into it by offset. */
struct options {
    trainest_plan_request plan;
    trainest_estimate_request estimate;
    const char *calibration; /* --calibration: a CSV file of measured steps */
    bool tradeoff;
    bool json;
    bool seen[MAX_FLAGS]; /* indexed like flags[] */
};

/* FLAG_DOUBLE takes a finite decimal number >= 0: every real-valued
 * quantity the tool takes is a time, a rate, a size or a ratio. */
enum flag_kind { FLAG_BOOL, FLAG_U64, FLAG_DOUBLE, FLAG_ENUM, FLAG_STRING };

/* Flags come in groups; a command accepts a set of groups. The order here
 * is the order of the sections in a command's help. */
enum flag_group {
    GROUP_BATCH = 1u << 0,
    GROUP_POLICY = 1u << 1,
    GROUP_MEASURED = 1u << 2,
    GROUP_STEP = 1u << 3,
    GROUP_ANALYTIC = 1u << 4,
    GROUP_DATA = 1u << 5,
    GROUP_COMM = 1u << 6,
    GROUP_OVERHEAD = 1u << 7,
    GROUP_TRADEOFF = 1u << 8,
    GROUP_OUTPUT = 1u << 9,
};

static const struct {
    unsigned group;
    const char *title;
} group_titles[] = {
    {GROUP_BATCH, "Batch"},
    {GROUP_POLICY, "Rounding policies"},
    {GROUP_MEASURED, "Step time from measurements"},
    {GROUP_STEP, "Step time given directly (instead of --calibration)"},
    {GROUP_ANALYTIC, "Step time from FLOPs (FLOPs and peak also give the MFU)"},
    {GROUP_DATA, "Input pipeline and host-to-device copies"},
    {GROUP_COMM, "Gradient all-reduce (data parallel)"},
    {GROUP_OVERHEAD, "Overheads"},
    {GROUP_TRADEOFF, "Accumulation trade-off"},
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
     TRAINEST_FIELD_DATA_PARALLEL, false, "R", "data-parallel replicas (default 1)"},
    {"max-micro-batch", FLAG_U64, GROUP_BATCH, OPT(plan.max_micro_batch), NULL,
     TRAINEST_FIELD_MAX_MICRO_BATCH, false, "M",
     "largest micro-batch that fits in memory (default 0: no limit)"},
    {"epochs", FLAG_U64, GROUP_BATCH, OPT(plan.epochs), NULL, TRAINEST_FIELD_EPOCHS, false, "E",
     "passes over the dataset (default 1)"},
    {"seq-len", FLAG_U64, GROUP_BATCH, OPT(plan.seq_len_tokens), NULL,
     TRAINEST_FIELD_SEQ_LEN_TOKENS, false, "T", "tokens per sample; adds token counts"},
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
     "model parameters: FLOPs per sample = 6 x params x tokens per sample"},
    {"tokens-per-sample", FLAG_U64, GROUP_ANALYTIC, EST(tokens_per_sample), NULL,
     TRAINEST_FIELD_TOKENS_PER_SAMPLE, false, "T",
     "tokens per sample for FLOPs (default --seq-len)"},
    {"flops-per-sample", FLAG_DOUBLE, GROUP_ANALYTIC, EST(flops_per_sample), NULL,
     TRAINEST_FIELD_FLOPS_PER_SAMPLE, false, "F",
     "training FLOPs per sample (instead of --params)"},
    {"recompute", FLAG_ENUM, GROUP_ANALYTIC, EST(recompute), recompute_names,
     TRAINEST_FIELD_RECOMPUTE, false, "NAME",
     "activation recomputation: full makes it 8 x params x tokens (default none)"},
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
     "samples/s one device's input pipeline delivers (default: unlimited)"},
    {"data-samples-per-s-per-worker", FLAG_DOUBLE, GROUP_DATA,
     EST(data_samples_per_s_per_worker), NULL, TRAINEST_FIELD_DATA_SAMPLES_PER_S_PER_WORKER,
     false, "X", "or: samples/s of one loader worker ..."},
    {"data-workers", FLAG_U64, GROUP_DATA, EST(data_workers), NULL, TRAINEST_FIELD_DATA_WORKERS,
     false, "N", "... times this many workers (default 1)"},
    {"data-overlap", FLAG_ENUM, GROUP_DATA, EST(data_mode), data_mode_names,
     TRAINEST_FIELD_DATA_MODE, false, "MODE",
     "overlap: prefetching workers, a step takes max(compute, data); serial: compute + data "
     "(default overlap)"},
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
     "devices per node (default 0: all in one node)"},
    {"inter-node-bytes-per-s", FLAG_DOUBLE, GROUP_COMM, EST(inter_node_bytes_per_s), NULL,
     TRAINEST_FIELD_INTER_NODE_BYTES_PER_S, false, "X",
     "all-reduce bandwidth across nodes (needed when devices span nodes)"},
    {"comm-overlap-ratio", FLAG_DOUBLE, GROUP_COMM, EST(comm_overlap_ratio), NULL,
     TRAINEST_FIELD_COMM_OVERLAP_RATIO, false, "R",
     "fraction in [0, 1] of the all-reduce hidden behind the backward pass (default 0)"},

    {"eval-s-per-epoch", FLAG_DOUBLE, GROUP_OVERHEAD, EST(eval_s_per_epoch), NULL,
     TRAINEST_FIELD_EVAL_S_PER_EPOCH, false, "S", "evaluation time per epoch"},
    {"checkpoint-s", FLAG_DOUBLE, GROUP_OVERHEAD, EST(checkpoint_s), NULL,
     TRAINEST_FIELD_CHECKPOINT_S, false, "S", "time to write one checkpoint"},
    {"checkpoints-per-epoch", FLAG_U64, GROUP_OVERHEAD, EST(checkpoints_per_epoch), NULL,
     TRAINEST_FIELD_CHECKPOINTS_PER_EPOCH, false, "N", "checkpoints written per epoch"},
    {"startup-s", FLAG_DOUBLE, GROUP_OVERHEAD, EST(startup_s), NULL, TRAINEST_FIELD_STARTUP_S,
     false, "S", "one-time start-up: launch, model build, compilation"},

    {"tradeoff", FLAG_BOOL, GROUP_TRADEOFF, OPT(tradeoff), NULL, TRAINEST_FIELD_NONE, false, NULL,
     "time every micro-batch that divides the per-device batch, and recommend the largest "
     "within --max-micro-batch"},

    {"json", FLAG_BOOL, GROUP_OUTPUT, OPT(json), NULL, TRAINEST_FIELD_NONE, false, NULL,
     "print one JSON object instead of a table"},
};

#define FLAG_COUNT (sizeof flags / sizeof flags[0])
_Static_assert(FLAG_COUNT <= MAX_FLAGS, "raise MAX_FLAGS");

/* Fields no flag sets directly, and the flag that supplies them. */
static const struct {
    uint32_t field;
    const char *flag;
} field_flags[] = {
    {TRAINEST_FIELD_OBSERVATION_MICRO_BATCH, "calibration"},
    {TRAINEST_FIELD_OBSERVATION_GRAD_ACCUM_STEPS, "calibration"},
    {TRAINEST_FIELD_OBSERVATION_STEP_S, "calibration"},
    {TRAINEST_FIELD_CALIBRATION_FLAGS, "optimizer-s"},
};

static const struct flag *flag_named(const char *name, size_t len)
{
    for (size_t i = 0; i < FLAG_COUNT; i++)
        if (strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

/* The flag that sets a trainest_field, or NULL. */
static const struct flag *flag_for_field(uint32_t field)
{
    if (field == TRAINEST_FIELD_NONE)
        return NULL;
    for (size_t i = 0; i < FLAG_COUNT; i++)
        if (flags[i].field == field)
            return &flags[i];
    for (size_t i = 0; i < sizeof field_flags / sizeof field_flags[0]; i++)
        if (field_flags[i].field == field)
            return flag_named(field_flags[i].flag, strlen(field_flags[i].flag));
    return NULL;
}

static bool given(const struct options *o, const char *name)
{
    const struct flag *f = flag_named(name, strlen(name));
    return f && o->seen[f - flags];
}

/* ---- Commands -------------------------------------------------------------- */

struct cli {
    FILE *out, *err;
    bool json; /* --json was asked for: errors go to out as JSON too */
    const struct command *cmd;
};

struct command {
    const char *name;
    const char *synopsis; /* after "trainest NAME" */
    const char *summary;  /* one line, for the command list */
    const char *description;
    unsigned groups;   /* the flag groups it accepts */
    const char *needs; /* a flag it requires besides those marked required, or NULL */
    int (*run)(struct cli *c, const struct options *o);
};

static int run_plan(struct cli *c, const struct options *o);
static int run_estimate(struct cli *c, const struct options *o);
static int run_calibrate(struct cli *c, const struct options *o);
static int run_demo(struct cli *c, const struct options *o);

static const struct command commands[] = {
    {"plan", "--samples N [flags]", "resolve a batch plan and count its steps exactly",
     "Resolve global batch = micro-batch x grad accum x devices and count the\n"
     "optimizer steps, micro-steps and samples of every epoch exactly. Give two\n"
     "of --global-batch, --micro-batch and --grad-accum (the third is derived),\n"
     "all three, or --global-batch with --max-micro-batch. A request that does\n"
     "not split evenly fails with the nearest valid plans.\n",
     GROUP_BATCH | GROUP_POLICY | GROUP_OUTPUT, NULL, run_plan},
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
     "STEP-TIME is one of:\n"
     "  --calibration FILE.csv    fit the model to measured steps first\n"
     "  --per-sample-s S ...      the parameters as given (--floor-s, --fixed-s,\n"
     "                            --launch-lag-s, --optimizer-s)\n"
     "  --peak-flops-per-s F with --params N (and --seq-len or --tokens-per-sample)\n"
     "    or --flops-per-sample F, plus --efficiency R or --observed-step-s S:\n"
     "                            per-sample time from FLOPs\n"
     "With --tradeoff, time every micro-batch that divides the per-device batch\n"
     "instead, and recommend the largest within --max-micro-batch.\n",
     GROUP_BATCH | GROUP_POLICY | GROUP_MEASURED | GROUP_STEP | GROUP_ANALYTIC | GROUP_DATA |
         GROUP_COMM | GROUP_OVERHEAD | GROUP_TRADEOFF | GROUP_OUTPUT,
     NULL, run_estimate},
    {"calibrate", "--calibration FILE.csv [--optimizer-s S] [--json]",
     "fit the step-time model to measured optimizer steps",
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
     "give --optimizer-s.\n",
     GROUP_MEASURED | GROUP_OUTPUT, "calibration", run_calibrate},
    {"demo", "", "the worked example: 1000 samples, global batch 10",
     "Plan the worked example, 1000 samples with a global batch of 10, without\n"
     "and with gradient accumulation.\n",
     0, NULL, run_demo},
};

#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const struct command *command_named(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static bool accepts(const struct command *cmd, const struct flag *f)
{
    return cmd && (cmd->groups & f->group);
}

/* ---- Help and version ------------------------------------------------------ */

static void print_usage(FILE *f)
{
    fputs("Usage: trainest <command> [flags]\n"
          "\n"
          "Plan deep-learning training runs: exact batch splitting and step counts,\n"
          "and how long the run takes.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(f, "  %-11s%s\n", commands[i].name, commands[i].summary);
    fputs("  help       show help for a command: trainest help <command>\n"
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

static void print_command_help(FILE *f, const struct command *cmd)
{
    fprintf(f, "Usage: trainest %s%s%s\n\n%s", cmd->name, *cmd->synopsis ? " " : "",
            cmd->synopsis, cmd->description);

    int width = (int)strlen("-h, --help");
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        char buf[64];
        if (accepts(cmd, &flags[i])) {
            int n = flag_synopsis(&flags[i], buf, sizeof buf);
            if (n > width)
                width = n;
        }
    }
    for (size_t g = 0; g < sizeof group_titles / sizeof group_titles[0]; g++) {
        if (!(cmd->groups & group_titles[g].group))
            continue;
        fprintf(f, "\n%s:\n", group_titles[g].title);
        for (size_t i = 0; i < FLAG_COUNT; i++) {
            const struct flag *fl = &flags[i];
            if (fl->group != group_titles[g].group)
                continue;
            char buf[64];
            flag_synopsis(fl, buf, sizeof buf);
            fprintf(f, "  %-*s  ", width, buf);
            print_wrapped(f, fl->help, width + 4);
            if (fl->kind == FLAG_ENUM) {
                fprintf(f, "  %-*s  one of:", width, "");
                for (const struct enum_name *n = fl->names; n->name; n++)
                    fprintf(f, " %s", n->name);
                fputc('\n', f);
            }
        }
    }
    fprintf(f, "\n  %-*s  show this help\n", width, "-h, --help");
    if (cmd->groups)
        fputs("\nEach flag takes its value as --flag VALUE or --flag=VALUE.\n", f);
    fputs("Exit status: 0 success, 1 the request was rejected, 2 usage error or bad\n"
          "input file.\n",
          f);
}

static void print_version(FILE *f)
{
    fprintf(f, "trainest %s (library %s)\n", TRAINEST_VERSION_STRING,
            trainest_version_string());
}

/* ---- Errors ------------------------------------------------------------------ */

/* A bad command line: exit 2, the message on err, and with --json an
 * error object on out. */
static int usage_error(struct cli *c, const char *message)
{
    fprintf(c->err, "trainest: error: %s\n", message);
    if (c->cmd)
        fprintf(c->err, "Run 'trainest %s --help' for usage.\n", c->cmd->name);
    else
        fputs("Run 'trainest --help' for usage.\n", c->err);
    if (c->json) {
        struct json j;
        json_init(&j, c->out, true);
        json_object_begin(&j);
        json_key_string(&j, "error", "usage");
        json_key_string(&j, "message", message);
        json_object_end(&j);
        json_finish(&j);
    }
    return CLI_EXIT_USAGE;
}

/* ---- Parsing -------------------------------------------------------------------- */

static bool is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
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
    case FLAG_DOUBLE: {
        double v = 0;
        st = parse_double(value, &v);
        if (st == PARSE_SYNTAX)
            snprintf(msg, cap, "--%s: '%.64s' is not a finite decimal number", fl->name, value);
        else if (st == PARSE_RANGE)
            snprintf(msg, cap, "--%s: '%.64s' is out of range", fl->name, value);
        else if (st == PARSE_OK && v < 0) {
            snprintf(msg, cap, "--%s: '%.64s' is negative", fl->name, value);
            st = PARSE_RANGE;
        } else if (st == PARSE_OK)
            *(double *)slot = v == 0 ? 0.0 : v; /* no -0 */
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
    if (c->cmd->needs && !given(o, c->cmd->needs)) {
        snprintf(msg, sizeof msg, "missing required flag --%s", c->cmd->needs);
        return usage_error(c, msg);
    }
    return CLI_EXIT_OK;
}

/* ---- Output: tables ------------------------------------------------------------- */

#define TABLE_ROWS 112

/* Two aligned columns: labels left-aligned, values right-aligned, in
 * sections under headings. */
struct table {
    struct {
        const char *label; /* a heading when value is NULL */
        const char *value;
        char buf[64];
    } rows[TABLE_ROWS];
    unsigned n;
};

static void table_text(struct table *t, const char *label, const char *value)
{
    if (t->n == TABLE_ROWS)
        return;
    t->rows[t->n].label = label;
    t->rows[t->n].value = value;
    t->n++;
}

static void table_u64(struct table *t, const char *label, uint64_t v)
{
    if (t->n == TABLE_ROWS)
        return;
    snprintf(t->rows[t->n].buf, sizeof t->rows[t->n].buf, "%" PRIu64, v);
    table_text(t, label, t->rows[t->n].buf);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void table_printf(struct table *t, const char *label, const char *fmt, ...)
{
    if (t->n == TABLE_ROWS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->rows[t->n].buf, sizeof t->rows[t->n].buf, fmt, ap);
    va_end(ap);
    table_text(t, label, t->rows[t->n].buf);
}

static void table_heading(struct table *t, const char *title)
{
    table_text(t, title, NULL);
}

static void table_print(const struct table *t, FILE *f)
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

/* The rows of a plan, in sections. */
static void plan_rows(struct table *t, const trainest_plan *p, bool tokens)
{
    table_heading(t, "batch");
    table_u64(t, "samples", p->samples);
    table_u64(t, "epochs", p->epochs);
    if (p->requested_global_batch && p->requested_global_batch != p->global_batch)
        table_u64(t, "requested global batch", p->requested_global_batch);
    table_u64(t, "global batch", p->global_batch);
    table_u64(t, "micro batch", p->micro_batch);
    table_u64(t, "grad accum steps", p->grad_accum_steps);
    table_u64(t, "devices", p->data_parallel);
    if (tokens)
        table_u64(t, "seq len tokens", p->seq_len_tokens);

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

/* "global batch, micro batch" from TRAINEST_CHANGED_* bits. */
static const char *changed_text(uint32_t changed, char *buf, size_t cap)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } parts[] = {
        {TRAINEST_CHANGED_GLOBAL_BATCH, "global batch"},
        {TRAINEST_CHANGED_MICRO_BATCH, "micro batch"},
        {TRAINEST_CHANGED_GRAD_ACCUM_STEPS, "grad accum"},
    };
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!(changed & parts[i].bit) || n >= cap)
            continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", parts[i].name);
        n += w > 0 ? (size_t)w : 0;
    }
    return buf[0] ? buf : "-";
}

static void print_suggestions(FILE *f, const trainest_plan_suggestion *s, uint32_t n)
{
    static const char *const head[] = {"global batch", "micro batch", "grad accum", "devices"};
    char cells[MAX_SUGGESTIONS][4][24];
    int width[4];
    for (int k = 0; k < 4; k++)
        width[k] = (int)strlen(head[k]);
    for (uint32_t i = 0; i < n && i < MAX_SUGGESTIONS; i++) {
        const uint64_t v[4] = {s[i].global_batch, s[i].micro_batch, s[i].grad_accum_steps,
                               s[i].data_parallel};
        for (int k = 0; k < 4; k++) {
            int w = snprintf(cells[i][k], sizeof cells[i][k], "%" PRIu64, v[k]);
            if (w > width[k])
                width[k] = w;
        }
    }
    for (int k = 0; k < 4; k++)
        fprintf(f, "  %*s", width[k], head[k]);
    fputs("  changed\n", f);
    for (uint32_t i = 0; i < n && i < MAX_SUGGESTIONS; i++) {
        char buf[64];
        for (int k = 0; k < 4; k++)
            fprintf(f, "  %*s", width[k], cells[i][k]);
        fprintf(f, "  %s\n", changed_text(s[i].changed, buf, sizeof buf));
    }
}

/* ---- Output: JSON ---------------------------------------------------------------- */

/* The members of a plan object, without its braces. */
static void json_plan_members(struct json *j, const trainest_plan *p, bool tokens)
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

/* The library rejected rq with status: exit 1, the reason and the nearest
 * valid plans on err, and with --json an error object on out. */
static int plan_error(struct cli *c, int status, uint32_t field, const trainest_plan_request *rq,
                      bool tokens)
{
    const struct flag *fl = flag_for_field(field);
    trainest_plan_suggestion s[MAX_SUGGESTIONS];
    uint32_t n = 0;
    s[0].struct_size = sizeof s[0];
    const int sst = trainest_plan_suggest(s, MAX_SUGGESTIONS, &n, rq);
    if (sst != TRAINEST_OK)
        n = 0;

    fprintf(c->err, "trainest: error: %s (%s)", trainest_strerror(status),
            trainest_status_name(status));
    if (fl)
        fprintf(c->err, ": check --%s", fl->name);
    fputc('\n', c->err);
    if (n) {
        fputs("nearest valid plans:\n", c->err);
        print_suggestions(c->err, s, n);
    } else if (sst == TRAINEST_OK) {
        fputs("no valid plan found nearby\n", c->err);
    }

    if (c->json) {
        char msg[512];
        if (fl)
            snprintf(msg, sizeof msg, "%s: check --%s", trainest_strerror(status), fl->name);
        else
            snprintf(msg, sizeof msg, "%s", trainest_strerror(status));
        struct json j;
        json_init(&j, c->out, true);
        json_object_begin(&j);
        json_key_string(&j, "error", trainest_status_name(status));
        json_key_string(&j, "message", msg);
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
        json_init(&j, c->out, true);
        json_plan(&j, &p, tokens);
        json_finish(&j);
    } else {
        print_plan_table(c->out, &p, tokens);
    }
    return CLI_EXIT_OK;
}

/* ---- Other library errors and bad input files --------------------------------- */

/* What else an error report says. */
struct error_detail {
    const char *flag;  /* the flag to check; NULL: the field's own */
    const char *where; /* "FILE:LINE" of the row to blame, or NULL */
    uint32_t index;    /* that row's observation index, or UINT32_MAX */
    uint64_t line;     /* and its line */
    char hint[256];    /* one more line of advice, or "" */
};

static void error_detail_init(struct error_detail *d)
{
    memset(d, 0, sizeof *d);
    d->index = UINT32_MAX;
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

/* The library rejected a request (not its batch plan): exit 1, the reason
 * on err naming the flag to check, and with --json an error object on out. */
static int library_error(struct cli *c, int status, uint32_t field, const struct error_detail *d)
{
    const struct flag *fl = flag_for_field(field);
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
        json_init(&j, c->out, true);
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

/* A bad input file: exit 2, "FILE:LINE: problem" (or "FILE: problem" when
 * no line is to blame) on err, and with --json an error object on out. */
static int input_error(struct cli *c, const char *path, uint64_t line, const char *problem)
{
    char msg[768];
    if (line)
        snprintf(msg, sizeof msg, "%s:%" PRIu64 ": %s", path, line, problem);
    else
        snprintf(msg, sizeof msg, "%s: %s", path, problem);
    fprintf(c->err, "%s\n", msg);
    if (c->json) {
        struct json j;
        json_init(&j, c->out, true);
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

static int out_of_memory(struct cli *c)
{
    fputs("trainest: error: out of memory\n", c->err);
    return CLI_EXIT_FAILURE;
}

/* ---- Calibration ------------------------------------------------------------------ */

/* The most observations trainest_step_calibrate() takes. */
#define MAX_OBSERVATIONS 65536u
/* The largest calibration file read. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

/* A whole file from the heap; NULL with the reason in msg. */
static char *read_file(const char *path, size_t *len, char *msg, size_t cap)
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
    if (fit->invalid_index < count) {
        d.index = fit->invalid_index;
        d.line = lines[d.index];
        snprintf(where, sizeof where, "%s:%" PRIu64, o->calibration, d.line);
        d.where = where;
    }
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
        memset(&rq, 0, sizeof rq);
        rq.struct_size = sizeof rq;
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

/* "0.0123 s", "7384.12 s", with " (2 h 03 min)" for a minute or more when
 * long is set. */
static const char *fmt_seconds(char *buf, size_t cap, double s, bool with_duration)
{
    int n = snprintf(buf, cap, s >= 1e6 ? "%.0f s" : "%.6g s", s);
    if (!with_duration || s < 59.5 || s >= 1e13 || n < 0 || (size_t)n >= cap)
        return buf;
    long long v;
    if (s < 3599.5) {
        v = llround(s);
        snprintf(buf + n, cap - (size_t)n, " (%lld min %02lld s)", v / 60, v % 60);
    } else if (s < 86370) {
        v = llround(s / 60);
        snprintf(buf + n, cap - (size_t)n, " (%lld h %02lld min)", v / 60, v % 60);
    } else {
        v = llround(s / 3600);
        snprintf(buf + n, cap - (size_t)n, " (%lld d %02lld h)", v / 24, v % 24);
    }
    return buf;
}

static void table_seconds(struct table *t, const char *label, double s, bool with_duration)
{
    char buf[64];
    table_printf(t, label, "%s", fmt_seconds(buf, sizeof buf, s, with_duration));
}

/* ---- calibrate ------------------------------------------------------------------------- */

static int run_calibrate(struct cli *c, const struct options *o)
{
    trainest_step_fit f;
    const int rc = calibrate_file(c, o, &f);
    if (rc != CLI_EXIT_OK)
        return rc;
    const bool floor_fitted = f.flags & TRAINEST_FIT_FLOOR_FITTED;
    const bool lag_fitted = f.flags & TRAINEST_FIT_LAUNCH_LAG_FITTED;
    const bool opt_given = given(o, "optimizer-s");
    if (o->json) {
        struct json j;
        json_init(&j, c->out, true);
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

/* Where the step-time parameters come from. */
enum step_model { MODEL_GIVEN, MODEL_CALIBRATED, MODEL_ANALYTIC };

static const char *const model_names[] = {"given", "calibrated", "analytic"};

/* Flags the library would silently ignore without another. */
static const struct {
    const char *flag, *needs;
} flag_needs[] = {
    {"data-workers", "data-samples-per-s-per-worker"},
    {"observed-micro-batch", "observed-step-s"},
    {"observed-grad-accum", "observed-step-s"},
    {"recompute", "params"},
};

/* The step-time flags given directly, which --calibration fits instead. */
static const char *const direct_flags[] = {"floor-s", "fixed-s", "per-sample-s", "launch-lag-s"};

/* Flags that only the step time from FLOPs uses. */
static const char *const analytic_flags[] = {"efficiency", "observed-step-s"};

/* Check the combination of estimate flags and choose the step model. */
static int check_estimate_flags(struct cli *c, const struct options *o, enum step_model *model)
{
    char msg[512];
    for (size_t i = 0; i < sizeof flag_needs / sizeof flag_needs[0]; i++) {
        if (given(o, flag_needs[i].flag) && !given(o, flag_needs[i].needs)) {
            snprintf(msg, sizeof msg, "--%s needs --%s", flag_needs[i].flag, flag_needs[i].needs);
            return usage_error(c, msg);
        }
    }
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
                          (given(o, "params") || given(o, "flops-per-sample"));
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

/* The estimate request the model describes; calibrates first if asked. */
static int step_request(struct cli *c, const struct options *o, enum step_model model,
                        trainest_estimate_request *rq, trainest_step_fit *fit)
{
    *rq = o->estimate;
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

/* The library rejected the estimate or trade-off request rq. */
static int estimate_error(struct cli *c, int status, uint32_t field, const struct options *o,
                          enum step_model model, const trainest_estimate_request *rq)
{
    if (field > TRAINEST_FIELD_STRUCT_SIZE && field <= TRAINEST_FIELD_ACCUM_TAIL)
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
    return library_error(c, status, field, &d);
}

/* Whether the estimate knows FLOPs per sample and the peak, hence the MFU. */
static bool mfu_known(const trainest_estimate *e, const trainest_estimate_request *rq)
{
    return e->flops_per_sample > 0 && rq->peak_flops_per_s > 0;
}

static void json_estimate(struct json *j, const trainest_plan *p, const trainest_estimate *e,
                          const struct options *o, enum step_model model,
                          const trainest_estimate_request *rq, const trainest_step_fit *fit)
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

static void print_estimate(FILE *f, const trainest_plan *p, const trainest_estimate *e,
                           const struct options *o, enum step_model model,
                           const trainest_estimate_request *rq, const trainest_step_fit *fit)
{
    struct table t;
    t.n = 0;
    plan_rows(&t, p, given(o, "seq-len"));

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
    table_print(&t, f);

    const double parts[] = {e->compute_s,      e->optimizer_s, e->transfer_s,
                            e->data_stall_s,   e->comm_s,      e->overhead_s};
    static const char *const names[] = {"compute", "optimizer", "copies",
                                        "data stall", "all-reduce", "overheads"};
    fputs("\nbreakdown:", f);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        fprintf(f, "%s %s %.1f %%", i ? "," : "", names[i],
                e->total_s > 0 ? 100 * parts[i] / e->total_s : 0.0);
    fputc('\n', f);
}

/* ---- estimate --tradeoff ------------------------------------------------------------------ */

/* Enough for every divisor of a per-device batch up to 2^32, the most the
 * library searches (numbers below 2^32 have at most 1344 divisors). */
#define TRADEOFF_POINTS 2048u

static void print_tradeoff(FILE *f, const trainest_tradeoff *t, const trainest_tradeoff_point *pts,
                           uint32_t n, uint64_t R, uint64_t cap)
{
    if (n == 0) {
        fputs("no micro-batch leaves an optimizer step under these policies\n", f);
        return;
    }
    const uint64_t G = pts[0].micro_batch * pts[0].grad_accum_steps * R;
    fprintf(f, "global batch %" PRIu64 " on %" PRIu64 " device%s: %" PRIu64 " candidate%s", G, R,
            R == 1 ? "" : "s", t->candidates, t->candidates == 1 ? "" : "s");
    if (cap)
        fprintf(f, ", micro-batch cap %" PRIu64, cap);
    fputs("\n\n", f);

    static const char *const head[] = {"micro batch", "grad accum", "step", "run", "fits"};
    enum { COLS = 5 };
    int width[COLS];
    for (int k = 0; k < COLS; k++)
        width[k] = (int)strlen(head[k]);
    char cell[COLS][48];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (int k = 0; k < COLS; k++)
                fprintf(f, "  %*s", width[k], head[k]);
            fputc('\n', f);
        }
        for (uint32_t i = 0; i < n; i++) {
            snprintf(cell[0], sizeof cell[0], "%" PRIu64, pts[i].micro_batch);
            snprintf(cell[1], sizeof cell[1], "%" PRIu64, pts[i].grad_accum_steps);
            fmt_seconds(cell[2], sizeof cell[2], pts[i].step_s, false);
            fmt_seconds(cell[3], sizeof cell[3], pts[i].total_s, false);
            snprintf(cell[4], sizeof cell[4], "%s", pts[i].fits ? "yes" : "no");
            if (pass == 0) {
                for (int k = 0; k < COLS; k++)
                    if ((int)strlen(cell[k]) > width[k])
                        width[k] = (int)strlen(cell[k]);
                continue;
            }
            for (int k = 0; k < COLS; k++)
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
                          const trainest_tradeoff_point *pts, uint32_t n, uint64_t R)
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
    json_key(j, "points");
    json_array_begin(j);
    for (uint32_t i = 0; i < n; i++) {
        json_object_begin(j);
        json_key_u64(j, "micro_batch", pts[i].micro_batch);
        json_key_u64(j, "grad_accum_steps", pts[i].grad_accum_steps);
        json_key_double(j, "step_s", pts[i].step_s);
        json_key_double(j, "total_s", pts[i].total_s);
        json_key_bool(j, "fits", pts[i].fits);
        json_object_end(j);
    }
    json_array_end(j);
    json_object_end(j);
}

static int run_tradeoff(struct cli *c, const struct options *o, enum step_model model,
                        const trainest_estimate_request *rq)
{
    trainest_tradeoff_point *pts = calloc(TRADEOFF_POINTS, sizeof *pts);
    if (!pts)
        return out_of_memory(c);
    pts[0].struct_size = sizeof pts[0];
    trainest_tradeoff t;
    t.struct_size = sizeof t;
    uint32_t n = 0;
    const int st = trainest_tradeoff_compute(&t, pts, TRADEOFF_POINTS, &n, &o->plan, rq);
    int rc = CLI_EXIT_OK;
    if (st != TRAINEST_OK) {
        rc = estimate_error(c, st, t.invalid_field, o, model, rq);
    } else if (o->json) {
        struct json j;
        json_init(&j, c->out, true);
        json_tradeoff(&j, &t, pts, n, o->plan.data_parallel);
        json_finish(&j);
    } else {
        print_tradeoff(c->out, &t, pts, n, o->plan.data_parallel, o->plan.max_micro_batch);
    }
    free(pts);
    return rc;
}

static int run_estimate(struct cli *c, const struct options *o)
{
    enum step_model model = MODEL_GIVEN;
    int rc = check_estimate_flags(c, o, &model);
    if (rc != CLI_EXIT_OK)
        return rc;
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
    if (o->json) {
        struct json j;
        json_init(&j, c->out, true);
        json_estimate(&j, &p, &e, o, model, &rq, &fit);
        json_finish(&j);
    } else {
        print_estimate(c->out, &p, &e, o, model, &rq, &fit);
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

static bool has_help(int argc, char **args)
{
    for (int i = 0; i < argc; i++)
        if (is_help(args[i]))
            return true;
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

int trainest_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct cli c = {out, err, false, NULL};
    if (argc < 2) {
        print_usage(err);
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
            return usage_error(&c, msg);
        }
        if (version)
            print_version(out);
        else
            print_usage(out);
        return finish(&c, CLI_EXIT_OK);
    }
    if (strcmp(first, "help") == 0) {
        if (nargs == 0) {
            print_usage(out);
            return finish(&c, CLI_EXIT_OK);
        }
        const struct command *cmd = command_named(args[0]);
        if (!cmd || nargs > 1) {
            snprintf(msg, sizeof msg, "no help for '%.64s'", args[nargs > 1 ? 1 : 0]);
            return usage_error(&c, msg);
        }
        print_command_help(out, cmd);
        return finish(&c, CLI_EXIT_OK);
    }

    c.cmd = command_named(first);
    c.json = has_arg(nargs, args, "--json");
    if (!c.cmd) {
        if (strncmp(first, "-", 1) == 0)
            snprintf(msg, sizeof msg, "unknown flag '%.64s' (flags follow the command)", first);
        else
            snprintf(msg, sizeof msg, "unknown command '%.64s'", first);
        return usage_error(&c, msg);
    }
    c.json = c.json && accepts(c.cmd, flag_named("json", 4));
    if (has_help(nargs, args)) {
        print_command_help(out, c.cmd);
        return finish(&c, CLI_EXIT_OK);
    }

    struct options o;
    memset(&o, 0, sizeof o);
    trainest_plan_request_init(&o.plan, sizeof o.plan);
    trainest_estimate_request_init(&o.estimate, sizeof o.estimate);
    int rc = parse_flags(&c, nargs, args, &o);
    if (rc == CLI_EXIT_OK)
        rc = c.cmd->run(&c, &o);
    return finish(&c, rc);
}
