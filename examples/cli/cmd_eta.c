/* SPDX-License-Identifier: MIT */
/* trainest eta: step durations on standard input, a live estimate of the
 * finish on standard output. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cli_impl.h"

/* How the estimate is shown. */
enum eta_mode {
    MODE_PROGRESS, /* one self-updating line (a terminal, or --progress) */
    MODE_LINES,    /* a line per report */
    MODE_JSON      /* a JSON object per line */
};

struct eta_run {
    struct cli *c;
    enum eta_mode mode;
    trainest_eta state;
    uint64_t total_steps;
    uint64_t lines;      /* lines read */
    uint64_t steps;      /* steps fed */
    double now0;         /* --now, or NAN: the system clock */
    double now_step;     /* --now-step */
    size_t shown;        /* the progress line's length, to blank what it leaves */
};

/* The clock: --now plus --now-step per line read, or the system's. */
static double clock_now(const struct eta_run *r)
{
    if (!isnan(r->now0))
        return r->now0 + r->now_step * (double)r->lines;
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return (double)time(NULL);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A point in time, local: "2024-05-01 14:03:40"; "never" beyond any calendar. */
static const char *fmt_when(char *buf, size_t cap, double unix_s)
{
    if (!(unix_s >= 0 && unix_s < 253402300800.0)) { /* year 10000 */
        snprintf(buf, cap, "never");
        return buf;
    }
    const time_t t = (time_t)llround(unix_s);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, cap, "%.0f", unix_s);
    return buf;
}

static int eta_report(struct eta_run *r, trainest_eta_report *rep)
{
    rep->struct_size = sizeof *rep;
    const int st = trainest_eta_report_compute(rep, &r->state, clock_now(r));
    if (st != TRAINEST_OK) {
        struct error_detail d;
        error_detail_init(&d);
        return library_error(r->c, st, rep->invalid_field, &d);
    }
    return CLI_EXIT_OK;
}

static void json_report(struct eta_run *r, const trainest_eta_report *rep, bool final)
{
    struct json j;
    json_init(&j, r->c->out, false);
    json_object_begin(&j);
    json_key_u64(&j, "steps_done", rep->steps_done);
    json_key_u64(&j, "steps_remaining", rep->steps_remaining);
    json_key_double(&j, "progress_ratio", rep->progress_ratio);
    json_key_double(&j, "elapsed_s", rep->elapsed_s);
    json_key_double(&j, "step_s", rep->step_s);
    json_key_double(&j, "remaining_s", rep->remaining_s);
    json_key_double(&j, "remaining_p10_s", rep->remaining_p10_s);
    json_key_double(&j, "remaining_p50_s", rep->remaining_p50_s);
    json_key_double(&j, "remaining_p90_s", rep->remaining_p90_s);
    json_key_double(&j, "finish_p10_unix_s", rep->finish_p10_unix_s);
    json_key_double(&j, "finish_p50_unix_s", rep->finish_p50_unix_s);
    json_key_double(&j, "finish_p90_unix_s", rep->finish_p90_unix_s);
    json_key_u64(&j, "outliers", rep->outliers);
    json_key_double(&j, "samples_per_s", rep->samples_per_s);
    json_key_bool(&j, "final", final);
    json_object_end(&j);
    json_finish(&j);
}

/* The live line: progress, rate, elapsed, remaining, finish band. */
static void format_line(const struct eta_run *r, const trainest_eta_report *rep, char *buf,
                        size_t cap)
{
    char el[48], rem[48], p10[48], p50[48], p90[48];
    const double steps_per_s = rep->elapsed_s > 0 ? (double)r->steps / rep->elapsed_s : 0;
    int n = snprintf(buf, cap, "step %" PRIu64 "/%" PRIu64 "  %5.1f %%  %.3g steps/s",
                     rep->steps_done, r->total_steps, 100 * rep->progress_ratio, steps_per_s);
    if (rep->samples_per_s > 0 && n > 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, "  %.4g samples/s", rep->samples_per_s);
    if (n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n,
                 "  elapsed %s  remaining %s  finish %s (P10 %s, P90 %s)",
                 fmt_duration(el, sizeof el, rep->elapsed_s),
                 fmt_duration(rem, sizeof rem, rep->remaining_p50_s),
                 fmt_when(p50, sizeof p50, rep->finish_p50_unix_s),
                 fmt_when(p10, sizeof p10, rep->finish_p10_unix_s),
                 fmt_when(p90, sizeof p90, rep->finish_p90_unix_s));
}

static void show(struct eta_run *r, const trainest_eta_report *rep)
{
    FILE *f = r->c->out;
    if (r->mode == MODE_JSON) {
        json_report(r, rep, false);
        return;
    }
    char line[512];
    format_line(r, rep, line, sizeof line);
    if (r->mode == MODE_LINES) {
        fprintf(f, "%s\n", line);
        return;
    }
    /* overwrite the previous line, blanking what is left of it */
    const size_t len = strlen(line);
    fprintf(f, "\r%s%*s", line, r->shown > len ? (int)(r->shown - len) : 0, "");
    r->shown = len;
    fflush(f);
}

/* End the progress line before anything else is printed. */
static void end_line(struct eta_run *r)
{
    if (r->mode == MODE_PROGRESS && r->shown) {
        fputc('\n', r->c->out);
        r->shown = 0;
    }
}

static void summary(struct eta_run *r, const trainest_eta_report *rep)
{
    if (r->mode == MODE_JSON) {
        json_report(r, rep, true);
        return;
    }
    end_line(r);
    FILE *f = r->c->out;
    char el[48], rem[48], a[48], b[48], d[48], s[64];
    fmt_duration(el, sizeof el, rep->elapsed_s);
    if (rep->steps_remaining == 0) {
        fprintf(f, "done: %" PRIu64 " of %" PRIu64 " steps, %" PRIu64 " observed in %s (%" PRIu64
                   " outlier%s), step %s\n",
                rep->steps_done, r->total_steps, r->steps, el, rep->outliers,
                rep->outliers == 1 ? "" : "s", fmt_seconds(s, sizeof s, rep->step_s, false));
        return;
    }
    fprintf(f,
            "at step %" PRIu64 " of %" PRIu64 " (%.1f %%): %" PRIu64 " observed in %s (%" PRIu64
            " outlier%s), step %s\n"
            "remaining %s (P10 %s, P90 %s)\n",
            rep->steps_done, r->total_steps, 100 * rep->progress_ratio, r->steps, el,
            rep->outliers, rep->outliers == 1 ? "" : "s",
            fmt_seconds(s, sizeof s, rep->step_s, false),
            fmt_duration(rem, sizeof rem, rep->remaining_p50_s),
            fmt_duration(a, sizeof a, rep->remaining_p10_s),
            fmt_duration(b, sizeof b, rep->remaining_p90_s));
    fprintf(f, "finish %s", fmt_when(d, sizeof d, rep->finish_p50_unix_s));
    fprintf(f, " (P10 %s,", fmt_when(d, sizeof d, rep->finish_p10_unix_s));
    fprintf(f, " P90 %s)\n", fmt_when(d, sizeof d, rep->finish_p90_unix_s));
}

/* One line of input: "step_s" or "step_s,samples". Returns false with the
 * problem in msg. */
static bool parse_line(char *line, double *step_s, uint64_t *samples, bool *has_samples,
                       char *msg, size_t cap)
{
    char *comma = strchr(line, ',');
    if (comma)
        *comma = '\0';
    /* trim each part of blanks */
    char *parts[2] = {line, comma ? comma + 1 : NULL};
    for (int i = 0; i < 2 && parts[i]; i++) {
        while (*parts[i] == ' ' || *parts[i] == '\t')
            parts[i]++;
        size_t n = strlen(parts[i]);
        while (n && (parts[i][n - 1] == ' ' || parts[i][n - 1] == '\t' ||
                     parts[i][n - 1] == '\r'))
            parts[i][--n] = '\0';
    }
    if (parts[1] && strchr(parts[1], ',')) {
        snprintf(msg, cap, "more than two fields: expected step_s or step_s,samples");
        return false;
    }
    int st = parse_double(parts[0], step_s);
    if (st != PARSE_OK || *step_s < 0) {
        snprintf(msg, cap, "step duration '%.32s' %s", parts[0],
                 st == PARSE_OK         ? "is negative"
                 : st == PARSE_RANGE    ? "is out of range"
                 : st == PARSE_EMPTY    ? "is empty"
                                        : "is not a decimal number of seconds");
        return false;
    }
    *has_samples = parts[1] != NULL;
    if (parts[1] && (st = parse_u64(parts[1], samples)) != PARSE_OK) {
        snprintf(msg, cap, "samples '%.32s' %s", parts[1],
                 st == PARSE_EMPTY ? "is empty" : "is not a whole number");
        return false;
    }
    return true;
}

int run_eta(struct cli *c, const struct options *o)
{
    int rc = check_runlevel_flags(c, o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (given(o, "now-step") && !given(o, "now"))
        return usage_error(c, "--now-step needs --now");
    if (o->every == 0)
        return usage_error(c, "--every: 0 steps; give 1 or more");
    if (o->json && o->progress)
        return usage_error(c, "give --json or --progress, not both");
    const bool model = step_model_given(o);
    enum step_model sm = MODEL_GIVEN;
    trainest_estimate_request rq;
    trainest_step_fit fit;
    if (model && ((rc = check_estimate_flags(c, o, &sm)) != CLI_EXIT_OK ||
                  (rc = step_request(c, o, sm, &rq, &fit)) != CLI_EXIT_OK))
        return rc;
    if (!model && given(o, "interval-rule") && !given(o, "checkpoint-interval-s"))
        return usage_error(c, "--interval-rule needs a step-time model (to size the run) or "
                              "--checkpoint-interval-s; without them the interval is Daly's");

    trainest_plan p;
    p.struct_size = sizeof p;
    int st = trainest_plan_compute(&p, &o->plan);
    if (st != TRAINEST_OK)
        return plan_error(c, st, p.invalid_field, &o->plan, given(o, "seq-len"));
    trainest_estimate e;
    memset(&e, 0, sizeof e);
    if (model) {
        e.struct_size = sizeof e;
        if ((st = trainest_estimate_run(&e, &o->plan, &rq)) != TRAINEST_OK)
            return estimate_error(c, st, e.invalid_field, o, sm, &rq);
    }
    trainest_eta_config cfg = o->eta;
    cfg.total_steps = p.total_optimizer_steps;
    uint64_t total_samples = p.total_samples;
    const bool ramp = given(o, "rampup");
    if (ramp) {
        trainest_rampup r;
        r.struct_size = sizeof r;
        if ((st = trainest_rampup_compute(&r, &o->plan, &o->rampup, model ? &rq : NULL)) !=
            TRAINEST_OK)
            return rampup_error(c, st, r.invalid_field, &p);
        cfg.total_steps = r.total_steps;
        total_samples = r.total_samples;
        e.total_s = model ? r.total_s : 0;
    }
    if (model)
        cfg.prior_step_s = e.step_s;
    const double per_epoch = o->estimate.eval_s_per_epoch +
                             o->estimate.checkpoint_s * (double)o->estimate.checkpoints_per_epoch;
    if (per_epoch > 0) {
        cfg.steps_per_epoch = p.optimizer_steps_per_epoch;
        cfg.overhead_s_per_epoch = per_epoch;
    }
    if (failure_model_given(o)) {
        trainest_failure f;
        /* the job's MTBF does not depend on the work; the interval does */
        if ((rc = failure_model(c, o, &p, model ? e.total_s : 1.0, &f)) != CLI_EXIT_OK)
            return rc;
        cfg.job_mtbf_s = f.job_mtbf_s;
        cfg.restart_s = o->failure.restart_s;
        cfg.checkpoint_write_s = o->failure.checkpoint_write_s;
        cfg.checkpoint_interval_s = given(o, "checkpoint-interval-s")
                                        ? o->failure.checkpoint_interval_s
                                    : model ? f.checkpoint_interval_s
                                            : 0;
    }

    struct eta_run r;
    memset(&r, 0, sizeof r);
    r.c = c;
    r.total_steps = cfg.total_steps;
    r.now0 = given(o, "now") ? o->now : NAN;
    r.now_step = o->now_step;
    r.mode = o->json                                     ? MODE_JSON
             : o->progress || isatty(fileno(c->out)) > 0 ? MODE_PROGRESS
                                                         : MODE_LINES;
    if ((st = trainest_eta_init(&r.state, sizeof r.state, &cfg)) != TRAINEST_OK) {
        struct error_detail d;
        error_detail_init(&d);
        if (r.state.invalid_field == TRAINEST_FIELD_TOTAL_STEPS ||
            r.state.invalid_field == TRAINEST_FIELD_NONE)
            snprintf(d.hint, sizeof d.hint,
                     "the run has %" PRIu64 " steps; --steps-done is %" PRIu64, cfg.total_steps,
                     cfg.steps_done);
        return library_error(c, st, r.state.invalid_field, &d);
    }
    /* The remaining time follows the samples still to come (a ramp-up, a
     * partial last step) when every line's samples are known: with
     * --rampup each line must give them. A resumed run's samples done are
     * not known here, so --steps-done keeps the per-step mean. */
    if (!cfg.steps_done && total_samples &&
        (st = trainest_eta_set_samples(&r.state, total_samples, 0)) != TRAINEST_OK) {
        struct error_detail d;
        error_detail_init(&d);
        return library_error(c, st, TRAINEST_FIELD_ETA_TOTAL_SAMPLES, &d);
    }

    const uint64_t default_samples = ramp ? 0 : p.global_batch;
    char *line = NULL;
    size_t cap = 0;
    trainest_eta_report rep;
    rc = CLI_EXIT_OK;
    ssize_t got;
    while ((got = getline(&line, &cap, c->in)) != -1) {
        r.lines++;
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        double step_s = 0;
        uint64_t samples = 0;
        bool has_samples = false;
        char msg[160];
        const bool nul = memchr(line, '\0', len) != NULL;
        const char *t = line + strspn(line, " \t\r");
        if (!nul && (*t == '\0' || *t == '#'))
            continue;
        if (nul) {
            snprintf(msg, sizeof msg, "a NUL byte in the line");
        } else if (parse_line(line, &step_s, &samples, &has_samples, msg, sizeof msg)) {
            if (!has_samples)
                samples = default_samples;
            if ((st = trainest_eta_update(&r.state, step_s, samples)) != TRAINEST_OK) {
                end_line(&r);
                struct error_detail d;
                error_detail_init(&d);
                snprintf(d.hint, sizeof d.hint, "at line %" PRIu64 " of the input", r.lines);
                rc = library_error(c, st, TRAINEST_FIELD_STEP_S, &d);
                break;
            }
            r.steps++;
            if (r.steps % o->every == 0) {
                if ((rc = eta_report(&r, &rep)) != CLI_EXIT_OK)
                    break;
                show(&r, &rep);
            }
            continue;
        }
        end_line(&r);
        rc = input_error(c, "<stdin>", r.lines, msg);
        break;
    }
    if (rc == CLI_EXIT_OK && ferror(c->in)) {
        end_line(&r);
        rc = input_error(c, "<stdin>", 0, "cannot read");
    }
    free(line);
    if (rc == CLI_EXIT_OK && (rc = eta_report(&r, &rep)) == CLI_EXIT_OK)
        summary(&r, &rep);
    return rc;
}
