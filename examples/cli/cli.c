/* SPDX-License-Identifier: MIT */
/* The trainest command-line tool: a table of commands sharing one table of
 * flags. Each flag writes its parsed value straight into struct options (a
 * plan request and whatever later commands need), so adding a command is a
 * row in `commands` and adding a flag is a row in `flags`. */
#include "cli.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "args.h"
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
    bool json;
    bool seen[MAX_FLAGS]; /* indexed like flags[] */
};

enum flag_kind { FLAG_BOOL, FLAG_U64, FLAG_DOUBLE, FLAG_ENUM, FLAG_STRING };

/* Flags come in groups; a command accepts a set of groups. The order here
 * is the order of the sections in a command's help. */
enum flag_group {
    GROUP_BATCH = 1u << 0,
    GROUP_POLICY = 1u << 1,
    GROUP_OUTPUT = 1u << 2,
};

static const struct {
    unsigned group;
    const char *title;
} group_titles[] = {
    {GROUP_BATCH, "Batch"},
    {GROUP_POLICY, "Rounding policies"},
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
    {"json", FLAG_BOOL, GROUP_OUTPUT, OPT(json), NULL, TRAINEST_FIELD_NONE, false, NULL,
     "print one JSON object instead of a table"},
};

#define FLAG_COUNT (sizeof flags / sizeof flags[0])
_Static_assert(FLAG_COUNT <= MAX_FLAGS, "raise MAX_FLAGS");

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
    unsigned groups; /* the flag groups it accepts */
    int (*run)(struct cli *c, const struct options *o);
};

static int run_plan(struct cli *c, const struct options *o);
static int run_demo(struct cli *c, const struct options *o);

static const struct command commands[] = {
    {"plan", "--samples N [flags]", "resolve a batch plan and count its steps exactly",
     "Resolve global batch = micro-batch x grad accum x devices and count the\n"
     "optimizer steps, micro-steps and samples of every epoch exactly. Give two\n"
     "of --global-batch, --micro-batch and --grad-accum (the third is derived),\n"
     "all three, or --global-batch with --max-micro-batch. A request that does\n"
     "not split evenly fails with the nearest valid plans.\n",
     GROUP_BATCH | GROUP_POLICY | GROUP_OUTPUT, run_plan},
    {"demo", "", "the worked example: 1000 samples, global batch 10",
     "Plan the worked example, 1000 samples with a global batch of 10, without\n"
     "and with gradient accumulation.\n",
     0, run_demo},
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
          "Plan deep-learning training runs: exact batch splitting and step counts.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(f, "  %-10s%s\n", commands[i].name, commands[i].summary);
    fputs("  help      show help for a command: trainest help <command>\n"
          "\n"
          "Flags:\n"
          "  -h, --help  show this help\n"
          "  --version   show the versions of trainest and of libtrainest\n"
          "\n"
          "Run 'trainest <command> --help' for a command's flags.\n"
          "Exit status: 0 success, 1 the request was rejected, 2 usage error.\n",
          f);
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
            fprintf(f, "  %-*s  %s\n", width, buf, fl->help);
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
    fputs("Exit status: 0 success, 1 the request was rejected, 2 usage error.\n", f);
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
    case FLAG_DOUBLE:
        st = parse_double(value, (double *)slot);
        if (st == PARSE_SYNTAX)
            snprintf(msg, cap, "--%s: '%.64s' is not a finite decimal number", fl->name, value);
        else if (st == PARSE_RANGE)
            snprintf(msg, cap, "--%s: '%.64s' is out of range", fl->name, value);
        break;
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
    return CLI_EXIT_OK;
}

/* ---- Output: tables ------------------------------------------------------------- */

#define TABLE_ROWS 48

/* Two aligned columns: labels left-aligned, values right-aligned, in
 * sections under headings. */
struct table {
    struct {
        const char *label; /* a heading when value is NULL */
        const char *value;
        char buf[24];
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

static void print_plan_table(FILE *f, const trainest_plan *p, bool tokens)
{
    struct table t;
    t.n = 0;
    table_heading(&t, "batch");
    table_u64(&t, "samples", p->samples);
    table_u64(&t, "epochs", p->epochs);
    if (p->requested_global_batch && p->requested_global_batch != p->global_batch)
        table_u64(&t, "requested global batch", p->requested_global_batch);
    table_u64(&t, "global batch", p->global_batch);
    table_u64(&t, "micro batch", p->micro_batch);
    table_u64(&t, "grad accum steps", p->grad_accum_steps);
    table_u64(&t, "devices", p->data_parallel);
    if (tokens)
        table_u64(&t, "seq len tokens", p->seq_len_tokens);

    table_heading(&t, "policies");
    table_text(&t, "preset", name_of(preset_names, p->preset));
    table_text(&t, "divisibility", name_of(divisibility_names, p->divisibility));
    table_text(&t, "sampler", name_of(sampler_names, p->sampler));
    table_text(&t, "last micro-batch", name_of(last_micro_batch_names, p->last_micro_batch));
    table_text(&t, "accum tail", name_of(accum_tail_names, p->accum_tail));

    table_heading(&t, "per epoch");
    table_u64(&t, "optimizer steps per epoch", p->optimizer_steps_per_epoch);
    table_u64(&t, "micro-steps per device", p->micro_steps_per_epoch);
    table_u64(&t, "samples per device", p->samples_per_rank);
    table_u64(&t, "samples run", p->samples_per_epoch);
    table_u64(&t, "samples dropped", p->samples_dropped_per_epoch);
    table_u64(&t, "samples padded", p->samples_padded_per_epoch);
    table_u64(&t, "last step samples", p->last_step_samples);
    table_u64(&t, "last step micro-batches", p->last_step_micro_batches);
    table_u64(&t, "last micro-batch samples", p->last_micro_batch_samples);
    if (tokens)
        table_u64(&t, "tokens per step", p->tokens_per_step);

    table_heading(&t, "run total");
    table_u64(&t, "total optimizer steps", p->total_optimizer_steps);
    table_u64(&t, "total micro-steps per device", p->total_micro_steps);
    table_u64(&t, "total samples run", p->total_samples);
    if (tokens)
        table_u64(&t, "total tokens", p->total_tokens);
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

static void json_plan(struct json *j, const trainest_plan *p, bool tokens)
{
    json_object_begin(j);
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
    int rc = parse_flags(&c, nargs, args, &o);
    if (rc == CLI_EXIT_OK)
        rc = c.cmd->run(&c, &o);
    return finish(&c, rc);
}
