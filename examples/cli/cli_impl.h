/* SPDX-License-Identifier: MIT */
/* What the files of the trainest tool share: the options every flag writes
 * into, the running command, and the helpers for errors, tables and JSON.
 * cli.c holds the command and flag tables and the commands over one plan
 * (plan, estimate, calibrate, demo); cmd_memory.c fit-memory and search,
 * cmd_eta.c eta, cmd_sweep.c sweep. Not an interface: internal to the tool. */
#ifndef TRAINEST_CLI_IMPL_H
#define TRAINEST_CLI_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "trainest.h"

/* Enough for every flag of the table in cli.c. */
#define MAX_FLAGS 128

/* Everything any command can be told. Flags write into it by offset. */
struct options {
    trainest_plan_request plan;
    trainest_estimate_request estimate;
    trainest_memory_request memory;
    trainest_search_request search;
    trainest_failure_request failure;
    trainest_rampup_request rampup;
    trainest_critical_request critical;
    trainest_eta_config eta;
    const char *calibration;   /* --calibration: a CSV file of measured steps */
    const char *loader;        /* calibrate --loader: a CSV file of loader-only epochs */
    const char *points;        /* fit-memory --points: a CSV file of measured peaks */
    const char *memory_points; /* --memory-points: the same, for the memory model */
    const char *svg;           /* sweep --svg FILE */
    const char *csv;           /* sweep --csv FILE */
    uint64_t top;              /* search --top K */
    uint64_t every;            /* eta --every N */
    double now;                /* eta --now UNIX_S */
    double now_step;           /* eta --now-step S */
    bool tradeoff;
    bool json;
    bool progress;
    bool persistent_workers; /* --data-persistent-workers */
    bool seen[MAX_FLAGS]; /* indexed like the flag table */
};

struct command;

/* The running command and where it writes. */
struct cli {
    FILE *in, *out, *err;
    bool json;    /* --json was asked for: errors go to out as JSON too */
    bool compact; /* JSON objects on one line (JSON lines) */
    const struct command *cmd;
};

/* Whether --name was given. */
bool given(const struct options *o, const char *name);

/* The flag (without "--") the current command takes for a trainest_field,
 * or NULL. */
const char *flag_name_for_field(const struct cli *c, uint32_t field);

/* ---- Errors: each reports and returns the exit status ------------------- */

/* A bad command line: exit 2. */
int usage_error(struct cli *c, const char *message);
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
int usage_errorf(struct cli *c, const char *fmt, ...);

/* The library rejected a plan request: exit 1, with the nearest valid
 * plans (or layouts, for TRAINEST_E_BAD_LAYOUT). */
int plan_error(struct cli *c, int status, uint32_t field, const trainest_plan_request *rq,
               bool tokens);

/* What else a library error report says. */
struct error_detail {
    const char *flag;  /* the flag to check; NULL: the field's own */
    const char *where; /* "FILE:LINE" of the row to blame, or NULL */
    uint32_t index;    /* that row's index, or UINT32_MAX */
    uint64_t line;     /* and its line */
    char hint[256];    /* one more line of advice, or "" */
};
void error_detail_init(struct error_detail *d);
/* Blame row `index` of the CSV file path, whose row i is on lines[i], if
 * the index names one of its count rows; where (cap bytes) holds the text. */
void error_detail_row(struct error_detail *d, char *where, size_t cap, const char *path,
                      uint32_t index, const uint64_t *lines, uint32_t count);

/* The library rejected a request (not its batch plan): exit 1. */
int library_error(struct cli *c, int status, uint32_t field, const struct error_detail *d);

/* A bad input file (or stdin line): exit 2, "FILE:LINE: problem". */
int input_error(struct cli *c, const char *path, uint64_t line, const char *problem);

int out_of_memory(struct cli *c);

/* A whole file from the heap; NULL with the reason in msg. */
char *read_file(const char *path, size_t *len, char *msg, size_t cap);

/* ---- Tables -------------------------------------------------------------- */

#define TABLE_ROWS 160

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

void table_text(struct table *t, const char *label, const char *value);
void table_u64(struct table *t, const char *label, uint64_t v);
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void table_printf(struct table *t, const char *label, const char *fmt, ...);
void table_heading(struct table *t, const char *title);
void table_seconds(struct table *t, const char *label, double s, bool with_duration);
void table_bytes(struct table *t, const char *label, uint64_t bytes);
void table_print(const struct table *t, FILE *f);

/* "0.0123 s", "7384.12 s", with " (2 h 03 min)" for a minute or more when
 * with_duration is set. */
const char *fmt_seconds(char *buf, size_t cap, double s, bool with_duration);
/* "2.336 GB" (decimal units), "512 B". */
const char *fmt_bytes(char *buf, size_t cap, uint64_t bytes);
/* "2 h 03 min", "45 s", "3 d 04 h": a duration for people. */
const char *fmt_duration(char *buf, size_t cap, double s);

/* ---- Plans ---------------------------------------------------------------- */

/* The rows of a plan, in sections. */
void plan_rows(struct table *t, const trainest_plan *p, bool tokens);
/* The members of a plan object, without its braces. */
void json_plan_members(struct json *j, const trainest_plan *p, bool tokens);

/* ---- The time model ---------------------------------------------------- */

/* Where the step-time parameters come from. */
enum step_model { MODEL_GIVEN, MODEL_CALIBRATED, MODEL_ANALYTIC };

/* Whether any flag that describes the step time was given. */
bool step_model_given(const struct options *o);

/* Check the combination of estimate flags and choose the step model. */
int check_estimate_flags(struct cli *c, const struct options *o, enum step_model *model);

/* The estimate request the model describes; calibrates first if asked. */
int step_request(struct cli *c, const struct options *o, enum step_model model,
                 trainest_estimate_request *rq, trainest_step_fit *fit);

/* The library rejected an estimate-like request rq. */
int estimate_error(struct cli *c, int status, uint32_t field, const struct options *o,
                   enum step_model model, const trainest_estimate_request *rq);

/* ---- Run-level realism ------------------------------------------------------- */

/* Check the failure, ramp-up and critical-batch flags: exit status. */
int check_runlevel_flags(struct cli *c, const struct options *o);

/* The library rejected the ramp-up of plan p. */
int rampup_error(struct cli *c, int status, uint32_t field, const trainest_plan *p);

/* Whether an MTBF flag turns the failure model on. */
bool failure_model_given(const struct options *o);

/* The failure model around work_s seconds of the plan p's devices. */
int failure_model(struct cli *c, const struct options *o, const trainest_plan *p, double work_s,
                  trainest_failure *f);

/* ---- The accumulation trade-off within memory --------------------------------- */

struct tradeoff_result {
    trainest_plan_request request; /* the plan request, its cap lowered to what fits */
    trainest_tradeoff summary;
    trainest_tradeoff_point *points; /* ascending micro-batch */
    uint64_t *memory;                /* bytes per device of each point, or NULL */
    uint32_t n;
    uint64_t data_parallel;
    uint64_t memory_cap;   /* the largest micro-batch that fits the memory model (0: none) */
    uint32_t memory_field; /* a memory model's invalid field after a failure, or 0 */
};

/* The trade-off of prq's global batch; with mrq, each candidate's memory
 * and the recommendation within it. Returns an exit status (out of memory);
 * the library's status goes to *status (TRAINEST_E_EXCEEDS_CAP with
 * memory_field DEVICE_MEMORY_BYTES: nothing fits). Free with
 * tradeoff_result_free() whatever happens. */
int tradeoff_with_memory(struct cli *c, const trainest_plan_request *prq,
                         const trainest_estimate_request *rq, const trainest_memory_request *mrq,
                         struct tradeoff_result *res, int *status);
void tradeoff_result_free(struct tradeoff_result *res);
int nothing_fits_error(struct cli *c, const struct tradeoff_result *res,
                       const trainest_memory_request *mrq);

/* A library error about the memory model (or the plan it was given). */
int memory_error(struct cli *c, int status, uint32_t field, const struct options *o);

/* ---- The memory model (cmd_memory.c) -------------------------------------------- */

/* Whether any memory flag was given. */
bool memory_flags_given(const struct options *o);

/* The memory model the flags describe (reading and fitting --memory-points). */
int memory_request(struct cli *c, const struct options *o, trainest_memory_request *mrq);

/* Check the memory flags' combination: exit status. */
int check_memory_flags(struct cli *c, const struct options *o);

/* Memory of one device for a plan request: trainest_memory_for_plan(), or
 * trainest_memory_compute() (model states only) when the model has no
 * activations. */
int memory_for_plan_request(trainest_memory *out, const trainest_memory_request *mrq,
                            const trainest_plan_request *prq);

/* ---- Commands ------------------------------------------------------------ */

int run_fit_memory(struct cli *c, const struct options *o);
int run_search(struct cli *c, const struct options *o);
int run_eta(struct cli *c, const struct options *o);
int run_sweep(struct cli *c, const struct options *o);

/* The checks search and sweep share, and their time and memory models. */
struct search_setup {
    enum step_model model;
    trainest_estimate_request estimate;
    trainest_step_fit fit;
    trainest_memory_request memory;
    trainest_search_request search;
};
int search_setup(struct cli *c, const struct options *o, struct search_setup *s);

/* The plan request of a search result, and its full plan. */
trainest_plan_request search_result_request(const struct options *o,
                                            const trainest_search_result *r);
int search_result_plan(trainest_plan *p, const struct options *o,
                       const trainest_search_result *r);

/* The largest K of --top. */
#define MAX_TOP 100000u

#endif
