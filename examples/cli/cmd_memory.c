/* SPDX-License-Identifier: MIT */
/* The memory model from flags, trainest fit-memory and trainest search. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_impl.h"
#include "csv.h"

/* ---- The memory model from flags ------------------------------------------------ */

/* The flags that describe the model states from a parameter count. */
static const char *const state_flags[] = {"zero-stage", "bytes-per-param-weights",
                                          "bytes-per-param-grads", "bytes-per-param-optimizer",
                                          "overhead-bytes"};

bool memory_flags_given(const struct options *o)
{
    static const char *const names[] = {
        "device-memory-bytes", "headroom-ratio", "zero-stage", "bytes-per-param-weights",
        "bytes-per-param-grads", "bytes-per-param-optimizer", "overhead-bytes", "static-bytes",
        "activation-bytes-per-sample", "memory-points",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (given(o, names[i]))
            return true;
    return false;
}

int check_memory_flags(struct cli *c, const struct options *o)
{
    const bool points = given(o, "memory-points"), measured = points || given(o, "static-bytes");
    if (points && given(o, "static-bytes"))
        return usage_error(c, "--memory-points fits the static bytes: give the measurements or "
                              "--static-bytes, not both");
    if (points && given(o, "activation-bytes-per-sample"))
        return usage_error(c, "--memory-points fits the bytes per sample: give the measurements "
                              "or --activation-bytes-per-sample, not both");
    for (size_t i = 0; i < sizeof state_flags / sizeof state_flags[0]; i++) {
        if (measured && given(o, state_flags[i]))
            return usage_errorf(c,
                                "--%s describes the model states from --params, which --%s "
                                "measures instead: give one or the other",
                                state_flags[i], points ? "memory-points" : "static-bytes");
        if (!measured && i < 4 && given(o, state_flags[i]) && !given(o, "params"))
            return usage_errorf(c, "--%s needs --params (the parameters it describes)",
                                state_flags[i]);
    }
    if (given(o, "headroom-ratio") && !given(o, "device-memory-bytes"))
        return usage_error(c, "--headroom-ratio needs --device-memory-bytes");
    return CLI_EXIT_OK;
}

/* The most points trainest_memory_calibrate() takes. */
#define MAX_POINTS 65536u

/* Read and fit a file of measured peaks (the flag that names it: points or
 * memory-points). On failure it is reported and the exit status returned. */
static int fit_points(struct cli *c, const char *path, trainest_memory_fit *fit)
{
    char msg[256];
    size_t len = 0;
    char *text = read_file(path, &len, msg, sizeof msg);
    if (!text)
        return input_error(c, path, 0, msg);
    trainest_memory_point *pts = malloc(MAX_POINTS * sizeof *pts);
    uint64_t *lines = malloc(MAX_POINTS * sizeof *lines);
    int rc = CLI_EXIT_OK;
    uint32_t n = 0;
    uint64_t bad = 0;
    if (!pts || !lines)
        rc = out_of_memory(c);
    else if ((bad = csv_read_memory_points(text, len, pts, MAX_POINTS, &n, lines, msg,
                                           sizeof msg)))
        rc = input_error(c, path, bad, msg);
    free(text);
    if (rc == CLI_EXIT_OK) {
        memset(fit, 0, sizeof *fit);
        fit->struct_size = sizeof *fit;
        const int st = trainest_memory_calibrate(fit, pts, n);
        if (st != TRAINEST_OK) {
            struct error_detail d;
            error_detail_init(&d);
            char where[512];
            error_detail_row(&d, where, sizeof where, path, fit->invalid_index, lines, n);
            if (st == TRAINEST_E_TOO_FEW_POINTS)
                snprintf(d.hint, sizeof d.hint,
                         "the fit needs rows with at least two different micro_batch values; "
                         "%s has %" PRIu32 " row%s",
                         path, n, n == 1 ? "" : "s");
            else if (st == TRAINEST_E_UNIDENTIFIABLE)
                snprintf(d.hint, sizeof d.hint,
                         "the best line through the peaks shrinks with the micro-batch or "
                         "starts below zero: check the measurements");
            rc = library_error(c, st, fit->invalid_field, &d);
        }
    }
    free(pts);
    free(lines);
    return rc;
}

int memory_request(struct cli *c, const struct options *o, trainest_memory_request *mrq)
{
    *mrq = o->memory;
    mrq->recompute = o->estimate.recompute;
    if (given(o, "memory-points")) {
        trainest_memory_fit fit;
        const int rc = fit_points(c, o->memory_points, &fit);
        if (rc != CLI_EXIT_OK)
            return rc;
        mrq->params = 0;
        mrq->static_bytes = fit.static_bytes;
        mrq->activation_bytes_per_sample = fit.per_sample_bytes;
        /* a fitted static part of 0 would mean "from params": at least a byte */
        if (mrq->static_bytes == 0)
            mrq->static_bytes = 1;
    } else if (given(o, "static-bytes")) {
        mrq->params = 0;
    } else {
        /* --params is both the FLOPs' and the model states' parameter count */
        mrq->params = o->estimate.params;
    }
    return CLI_EXIT_OK;
}

int memory_for_plan_request(trainest_memory *out, const trainest_memory_request *mrq,
                            const trainest_plan_request *prq)
{
    out->struct_size = sizeof *out;
    int st = trainest_memory_for_plan(out, mrq, prq);
    const uint32_t f = out->invalid_field;
    const bool no_shape = f == TRAINEST_FIELD_LAYERS || f == TRAINEST_FIELD_HIDDEN ||
                          f == TRAINEST_FIELD_ATTENTION_HEADS ||
                          f == TRAINEST_FIELD_SEQ_LEN_TOKENS;
    if (st != TRAINEST_E_UNDERSPECIFIED || mrq->activation_bytes_per_sample || !no_shape)
        return st;
    /* No activations at all: the model states only, which without model
     * parallelism trainest_memory_compute() gives for the plan's replicas. */
    const uint64_t tp = prq->tensor_parallel ? prq->tensor_parallel : 1;
    const uint64_t pp = prq->pipeline_parallel ? prq->pipeline_parallel : 1;
    if (tp * pp != 1)
        return st;
    trainest_plan p;
    p.struct_size = sizeof p;
    if ((st = trainest_plan_compute(&p, prq)) != TRAINEST_OK) {
        out->invalid_field = p.invalid_field;
        return st;
    }
    out->struct_size = sizeof *out;
    return trainest_memory_compute(out, mrq, p.micro_batch, p.data_parallel);
}

/* ---- fit-memory ---------------------------------------------------------------- */

int run_fit_memory(struct cli *c, const struct options *o)
{
    if (check_memory_flags(c, o) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    trainest_memory_fit fit;
    int rc = fit_points(c, o->points, &fit);
    if (rc != CLI_EXIT_OK)
        return rc;
    const bool device = given(o, "device-memory-bytes");
    trainest_memory m;
    memset(&m, 0, sizeof m);
    if (device) {
        trainest_memory_request mrq = o->memory;
        mrq.params = 0;
        mrq.static_bytes = fit.static_bytes ? fit.static_bytes : 1;
        mrq.activation_bytes_per_sample = fit.per_sample_bytes;
        m.struct_size = sizeof m;
        const int st = trainest_memory_compute(&m, &mrq, 0, 1);
        if (st != TRAINEST_OK) {
            struct error_detail d;
            error_detail_init(&d);
            return library_error(c, st, m.invalid_field, &d);
        }
    }
    if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_object_begin(&j);
        json_key_u64(&j, "static_bytes", fit.static_bytes);
        json_key_u64(&j, "per_sample_bytes", fit.per_sample_bytes);
        json_key_double(&j, "max_residual_ratio", fit.max_residual_ratio);
        json_key_u64(&j, "points", fit.points);
        if (device) {
            json_key_u64(&j, "device_memory_bytes", o->memory.device_memory_bytes);
            json_key_u64(&j, "budget_bytes", m.budget_bytes);
            json_key_u64(&j, "max_micro_batch", m.max_micro_batch);
        }
        json_object_end(&j);
        json_finish(&j);
        return CLI_EXIT_OK;
    }
    struct table t;
    t.n = 0;
    char buf[64];
    table_heading(&t, "memory model: bytes(m) = static + per sample x m");
    table_printf(&t, "static", "%" PRIu64 " B (%s)", fit.static_bytes,
                 fmt_bytes(buf, sizeof buf, fit.static_bytes));
    table_printf(&t, "per sample", "%" PRIu64 " B (%s)", fit.per_sample_bytes,
                 fmt_bytes(buf, sizeof buf, fit.per_sample_bytes));
    table_heading(&t, "residuals (|predicted - measured| / measured)");
    table_printf(&t, "max", "%.4g %%", 100 * fit.max_residual_ratio);
    table_u64(&t, "points", fit.points);
    if (device) {
        table_heading(&t, "device");
        table_bytes(&t, "memory", o->memory.device_memory_bytes);
        table_bytes(&t, "budget after headroom", m.budget_bytes);
        if (m.max_micro_batch == UINT64_MAX)
            table_text(&t, "largest micro-batch that fits", "unlimited");
        else
            table_u64(&t, "largest micro-batch that fits", m.max_micro_batch);
    }
    table_print(&t, c->out);
    fprintf(c->out,
            "\nFor trainest search: --static-bytes %" PRIu64
            " --activation-bytes-per-sample %" PRIu64 "\n",
            fit.static_bytes, fit.per_sample_bytes);
    return CLI_EXIT_OK;
}

/* ---- search ---------------------------------------------------------------------- */

int search_setup(struct cli *c, const struct options *o, struct search_setup *s)
{
    int rc = check_estimate_flags(c, o, &s->model);
    if (rc != CLI_EXIT_OK || (rc = check_memory_flags(c, o)) != CLI_EXIT_OK)
        return rc;
    if (!given(o, "global-batch") && !given(o, "global-batch-range"))
        return usage_error(c, "give --global-batch G or --global-batch-range MIN:MAX[:STEP]");
    if (o->top == 0 || o->top > MAX_TOP)
        return usage_errorf(c, "--top: %" PRIu64 " is not in 1..%u", o->top, MAX_TOP);
    if (given(o, "max-devices") && o->search.max_devices == 0)
        return usage_error(c, "--max-devices: 0 devices cannot train");
    if ((rc = step_request(c, o, s->model, &s->estimate, &s->fit)) != CLI_EXIT_OK ||
        (rc = memory_request(c, o, &s->memory)) != CLI_EXIT_OK)
        return rc;
    s->search = o->search;
    s->search.devices_per_node = o->estimate.devices_per_node;
    return CLI_EXIT_OK;
}

trainest_plan_request search_result_request(const struct options *o,
                                            const trainest_search_result *r)
{
    trainest_plan_request rq = o->plan;
    rq.global_batch = r->global_batch;
    rq.micro_batch = r->micro_batch;
    rq.grad_accum_steps = r->grad_accum_steps;
    rq.data_parallel = r->data_parallel;
    rq.devices = 0;
    rq.tensor_parallel = r->tensor_parallel;
    rq.pipeline_parallel = r->pipeline_parallel;
    rq.divisibility = TRAINEST_DIVISIBILITY_ERROR;
    return rq;
}

int search_result_plan(trainest_plan *p, const struct options *o, const trainest_search_result *r)
{
    const trainest_plan_request rq = search_result_request(o, r);
    p->struct_size = sizeof *p;
    return trainest_plan_compute(p, &rq);
}

static void json_search(struct json *j, const struct options *o, const trainest_search *s,
                        const trainest_search_result *r, uint32_t n)
{
    const bool tokens = given(o, "seq-len");
    json_object_begin(j);
    json_key(j, "plans");
    json_array_begin(j);
    for (uint32_t i = 0; i < n; i++) {
        trainest_plan p;
        json_object_begin(j);
        if (search_result_plan(&p, o, &r[i]) == TRAINEST_OK) {
            json_plan_members(j, &p, tokens);
        } else { /* cannot happen: every result is a plan the library accepts */
            json_key_u64(j, "global_batch", r[i].global_batch);
            json_key_u64(j, "micro_batch", r[i].micro_batch);
            json_key_u64(j, "grad_accum_steps", r[i].grad_accum_steps);
            json_key_u64(j, "data_parallel", r[i].data_parallel);
            json_key_u64(j, "tensor_parallel", r[i].tensor_parallel);
            json_key_u64(j, "pipeline_parallel", r[i].pipeline_parallel);
            json_key_u64(j, "total_optimizer_steps", r[i].total_optimizer_steps);
        }
        json_key_double(j, "total_s", r[i].total_s);
        json_key_double(j, "step_s", r[i].step_s);
        json_key_u64(j, "memory_bytes", r[i].memory_bytes);
        json_key_double(j, "headroom_ratio", r[i].headroom_ratio);
        json_object_end(j);
    }
    json_array_end(j);
    json_key(j, "rejected");
    json_object_begin(j);
    json_key_u64(j, "does_not_fit", s->rejected_does_not_fit);
    json_key_u64(j, "not_divisible", s->rejected_not_divisible);
    json_key_u64(j, "overflow", s->rejected_overflow);
    json_key_u64(j, "no_steps", s->rejected_no_steps);
    json_key_u64(j, "duplicates", s->duplicates);
    json_object_end(j);
    json_key_u64(j, "candidates_evaluated", s->candidates_evaluated);
    json_key_u64(j, "feasible", s->feasible);
    json_object_end(j);
}

/* The search's table: one row per plan, columns aligned. */
static void print_search(FILE *f, const struct options *o, const trainest_search *s,
                         const trainest_search_result *r, uint32_t n)
{
    const bool limited = o->memory.device_memory_bytes > 0;
    enum { COLS = 12 };
    static const char *const head[COLS] = {"#",    "global", "micro", "accum", "DP",
                                           "TP",   "PP",     "steps", "step",  "total",
                                           "memory", "headroom"};
    const int cols = limited ? COLS : COLS - 1;
    int width[COLS];
    for (int k = 0; k < COLS; k++)
        width[k] = (int)strlen(head[k]);
    char cell[COLS][64];
    if (n == 0)
        fputs("no feasible plan\n", f);
    for (int pass = 0; pass < 2 && n; pass++) {
        if (pass == 1) {
            for (int k = 0; k < cols; k++)
                fprintf(f, "%s%*s", k ? "  " : "", width[k], head[k]);
            fputc('\n', f);
        }
        for (uint32_t i = 0; i < n; i++) {
            snprintf(cell[0], sizeof cell[0], "%" PRIu32, i + 1);
            snprintf(cell[1], sizeof cell[1], "%" PRIu64, r[i].global_batch);
            snprintf(cell[2], sizeof cell[2], "%" PRIu64, r[i].micro_batch);
            snprintf(cell[3], sizeof cell[3], "%" PRIu64, r[i].grad_accum_steps);
            snprintf(cell[4], sizeof cell[4], "%" PRIu64, r[i].data_parallel);
            snprintf(cell[5], sizeof cell[5], "%" PRIu64, r[i].tensor_parallel);
            snprintf(cell[6], sizeof cell[6], "%" PRIu64, r[i].pipeline_parallel);
            snprintf(cell[7], sizeof cell[7], "%" PRIu64, r[i].total_optimizer_steps);
            fmt_seconds(cell[8], sizeof cell[8], r[i].step_s, false);
            fmt_seconds(cell[9], sizeof cell[9], r[i].total_s, true);
            fmt_bytes(cell[10], sizeof cell[10], r[i].memory_bytes);
            snprintf(cell[11], sizeof cell[11], "%.1f %%", 100 * r[i].headroom_ratio);
            for (int k = 0; k < cols; k++) {
                if (pass == 0) {
                    if ((int)strlen(cell[k]) > width[k])
                        width[k] = (int)strlen(cell[k]);
                } else {
                    fprintf(f, "%s%*s", k ? "  " : "", width[k], cell[k]);
                }
            }
            if (pass == 1)
                fputc('\n', f);
        }
    }
    fprintf(f,
            "\ncandidates evaluated %" PRIu64 ", feasible %" PRIu64 "\n"
            "rejected: does not fit %" PRIu64 ", not divisible %" PRIu64 ", overflow %" PRIu64
            ", no steps %" PRIu64 ", duplicates %" PRIu64 "\n",
            s->candidates_evaluated, s->feasible, s->rejected_does_not_fit,
            s->rejected_not_divisible, s->rejected_overflow, s->rejected_no_steps,
            s->duplicates);
}

int run_search(struct cli *c, const struct options *o)
{
    if (given(o, "global-batch") && given(o, "global-batch-range"))
        return usage_error(c, "give --global-batch or --global-batch-range, not both");
    struct search_setup s;
    int rc = search_setup(c, o, &s);
    if (rc != CLI_EXIT_OK)
        return rc;
    trainest_search_result *r = calloc((size_t)o->top, sizeof *r);
    if (!r)
        return out_of_memory(c);
    r[0].struct_size = sizeof r[0];
    trainest_search sum;
    sum.struct_size = sizeof sum;
    uint32_t n = 0;
    const int st = trainest_search_run(&sum, r, (uint32_t)o->top, &n, &o->plan, &s.estimate,
                                       &s.memory, &s.search);
    if (st != TRAINEST_OK)
        rc = estimate_error(c, st, sum.invalid_field, o, s.model, &s.estimate);
    else if (o->json) {
        struct json j;
        json_init(&j, c->out, !c->compact);
        json_search(&j, o, &sum, r, n);
        json_finish(&j);
    } else {
        print_search(c->out, o, &sum, r, n);
    }
    free(r);
    return rc;
}
