/* SPDX-License-Identifier: MIT */
/* The trainest command-line tool: exit codes, tables and JSON for good and
 * bad input, run in-process through trainest_cli_main() with memory
 * streams (calibration files go to temporary files), plus one run of the
 * real binary. Also the CLI's value parsers, its CSV reader, its JSON
 * writer and the JSON checker the other tests rely on. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "args.h"
#include "cli.h"
#include "csv.h"
#include "json.h"
#include "json_check.h"
#include "svg.h"

extern char **environ;

/* ---- Helpers -------------------------------------------------------------- */

struct run {
    int rc;
    char *out, *err;
};

static struct run run_argv(int argc, char **argv)
{
    struct run r;
    size_t on, en;
    FILE *out = open_memstream(&r.out, &on);
    FILE *err = open_memstream(&r.err, &en);
    assert_non_null(out);
    assert_non_null(err);
    r.rc = trainest_cli_main(argc, argv, out, err);
    fclose(out);
    fclose(err);
    return r;
}

/* RUN("plan", "--samples", "10"): run `trainest plan --samples 10`. */
#define ARGV(...) ((char *[]){"trainest", __VA_ARGS__, NULL})
#define RUN(...) run_argv((int)(sizeof ARGV(__VA_ARGS__) / sizeof(char *)) - 1, ARGV(__VA_ARGS__))

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

static void contains_(const char *hay, const char *needle, bool want, const char *file,
                      int line)
{
    if ((hay && strstr(hay, needle)) == want)
        return;
    print_error("expected %s\"%s\" in:\n%s\n", want ? "" : "no ", needle, hay ? hay : "(null)");
    _fail(file, line);
}
#define assert_contains(hay, needle) contains_((hay), (needle), true, __FILE__, __LINE__)
#define assert_not_contains(hay, needle) contains_((hay), (needle), false, __FILE__, __LINE__)

/* Whether text has a table line "  <label>   <value>". */
static bool has_row(const char *text, const char *label, const char *value)
{
    const size_t ll = strlen(label), vl = strlen(value);
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        const char *end = eol ? eol : line + strlen(line);
        const char *p = line + strspn(line, " ");
        if ((size_t)(end - p) > ll && strncmp(p, label, ll) == 0 && p[ll] == ' ') {
            p += ll + strspn(p + ll, " ");
            if ((size_t)(end - p) == vl && strncmp(p, value, vl) == 0)
                return true;
        }
        line = eol ? eol + 1 : NULL;
    }
    return false;
}

static void row_(const char *text, const char *label, const char *value, const char *file,
                 int line)
{
    if (has_row(text, label, value))
        return;
    print_error("expected a row \"%s  %s\" in:\n%s\n", label, value, text);
    _fail(file, line);
}
#define assert_row(text, label, value) row_((text), (label), (value), __FILE__, __LINE__)

static uint64_t get_u64(const char *obj, const char *key)
{
    uint64_t v = 0;
    if (!jc_get_u64(obj, key, &v)) {
        print_error("no u64 member \"%s\" in:\n%s\n", key, obj);
        fail();
    }
    return v;
}

static void assert_key_string(const char *obj, const char *key, const char *want)
{
    char buf[512];
    if (!jc_get_string(obj, key, buf, sizeof buf)) {
        print_error("no string member \"%s\" in:\n%s\n", key, obj);
        fail();
    }
    assert_string_equal(buf, want);
}

/* The keys every plan object has. */
static const char *const plan_keys[] = {
    "global_batch",          "micro_batch",
    "grad_accum_steps",      "data_parallel",
    "optimizer_steps_per_epoch", "micro_steps_per_epoch",
    "samples_per_epoch",     "samples_dropped_per_epoch",
    "samples_padded_per_epoch", "last_step_samples",
    "total_optimizer_steps", "epochs",
    "tensor_parallel",       "pipeline_parallel",
    "virtual_stages",        "total_devices",
    "micro_batches_per_step",
};

static void assert_plan_object(const char *obj)
{
    for (size_t i = 0; i < sizeof plan_keys / sizeof plan_keys[0]; i++)
        (void)get_u64(obj, plan_keys[i]);
    assert_int_equal(get_u64(obj, "global_batch"), get_u64(obj, "micro_batch") *
                                                       get_u64(obj, "grad_accum_steps") *
                                                       get_u64(obj, "data_parallel"));
    assert_int_equal(get_u64(obj, "total_devices"), get_u64(obj, "data_parallel") *
                                                        get_u64(obj, "tensor_parallel") *
                                                        get_u64(obj, "pipeline_parallel"));
    assert_int_equal(get_u64(obj, "micro_batches_per_step"), get_u64(obj, "grad_accum_steps"));
}

/* ---- plan: good input ------------------------------------------------------ */

static void test_plan_seed_example_json(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_string_equal(r.err, "");
    assert_plan_object(r.out);
    assert_int_equal(get_u64(r.out, "global_batch"), 10);
    assert_int_equal(get_u64(r.out, "micro_batch"), 10);
    assert_int_equal(get_u64(r.out, "grad_accum_steps"), 1);
    assert_int_equal(get_u64(r.out, "data_parallel"), 1);
    assert_int_equal(get_u64(r.out, "optimizer_steps_per_epoch"), 100);
    assert_int_equal(get_u64(r.out, "micro_steps_per_epoch"), 100);
    assert_int_equal(get_u64(r.out, "samples_per_epoch"), 1000);
    assert_int_equal(get_u64(r.out, "samples_dropped_per_epoch"), 0);
    assert_int_equal(get_u64(r.out, "samples_padded_per_epoch"), 0);
    assert_int_equal(get_u64(r.out, "last_step_samples"), 10);
    assert_int_equal(get_u64(r.out, "total_optimizer_steps"), 100);
    assert_int_equal(get_u64(r.out, "epochs"), 1);
    assert_null(jc_member(r.out, "tokens_per_step"));
    run_free(&r);
}

static void test_plan_seed_example_accum_json(void **state)
{
    (void)state;
    struct run r =
        RUN("plan", "--samples", "1000", "--global-batch", "10", "--grad-accum", "2", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_int_equal(get_u64(r.out, "micro_batch"), 5);
    assert_int_equal(get_u64(r.out, "grad_accum_steps"), 2);
    assert_int_equal(get_u64(r.out, "optimizer_steps_per_epoch"), 100);
    assert_int_equal(get_u64(r.out, "micro_steps_per_epoch"), 200);
    assert_int_equal(get_u64(r.out, "total_micro_steps"), 200);
    run_free(&r);
}

static void test_plan_every_flag_parses(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "32", "--micro-batch", "4",
                       "--grad-accum", "2", "--devices", "4", "--max-micro-batch", "8",
                       "--epochs", "3", "--seq-len", "128", "--preset", "plain", "--sampler",
                       "drop", "--last-micro-batch", "drop", "--accum-tail", "drop",
                       "--divisibility", "up", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_plan_object(r.out);
    assert_int_equal(get_u64(r.out, "samples"), 1000);
    assert_int_equal(get_u64(r.out, "global_batch"), 32);
    assert_int_equal(get_u64(r.out, "micro_batch"), 4);
    assert_int_equal(get_u64(r.out, "grad_accum_steps"), 2);
    assert_int_equal(get_u64(r.out, "data_parallel"), 4);
    assert_int_equal(get_u64(r.out, "epochs"), 3);
    assert_int_equal(get_u64(r.out, "seq_len_tokens"), 128);
    assert_int_equal(get_u64(r.out, "tokens_per_step"), 32 * 128);
    assert_int_equal(get_u64(r.out, "total_tokens"), get_u64(r.out, "total_samples") * 128);
    assert_key_string(r.out, "preset", "plain");
    assert_key_string(r.out, "sampler", "drop");
    assert_key_string(r.out, "last_micro_batch", "drop");
    assert_key_string(r.out, "accum_tail", "drop");
    assert_key_string(r.out, "divisibility", "up");
    /* 1000 / 4 devices = 250 each, 62 micro-batches of 4, 31 windows of 2 */
    assert_int_equal(get_u64(r.out, "optimizer_steps_per_epoch"), 31);
    assert_int_equal(get_u64(r.out, "total_optimizer_steps"), 93);
    run_free(&r);
}

static void test_plan_equals_form_matches(void **state)
{
    (void)state;
    struct run a = RUN("plan", "--samples", "777", "--global-batch", "24", "--devices", "2",
                       "--max-micro-batch", "5", "--epochs", "2", "--seq-len", "64", "--preset",
                       "lightning", "--json");
    struct run b = RUN("plan", "--samples=777", "--global-batch=24", "--devices=2",
                       "--max-micro-batch=5", "--epochs=2", "--seq-len=64", "--preset=lightning",
                       "--json");
    assert_int_equal(a.rc, CLI_EXIT_OK);
    assert_int_equal(b.rc, CLI_EXIT_OK);
    assert_string_equal(a.out, b.out);
    assert_int_equal(get_u64(b.out, "micro_batch"), 4); /* largest divisor of 12 <= 5 */
    assert_int_equal(get_u64(b.out, "grad_accum_steps"), 3);
    run_free(&a);
    run_free(&b);
}

static void test_plan_enum_names_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *flag, *key, *names[7];
    } cases[] = {
        {"--preset", "preset", {"plain", "deepspeed", "megatron", "hf", "hf-legacy", "lightning"}},
        {"--sampler", "sampler", {"pad", "drop", "batch-shard"}},
        {"--last-micro-batch", "last_micro_batch", {"keep", "drop"}},
        {"--accum-tail", "accum_tail", {"step", "drop", "carry"}},
        {"--divisibility", "divisibility", {"error", "down", "up"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t k = 0; cases[i].names[k]; k++) {
            char *name = (char *)cases[i].names[k], *flag = (char *)cases[i].flag;
            struct run r = RUN("plan", "--samples", "1000", "--global-batch", "10",
                               "--micro-batch", "5", flag, name, "--json");
            if (r.rc != CLI_EXIT_OK)
                print_error("%s %s: %s", flag, name, r.err);
            assert_int_equal(r.rc, CLI_EXIT_OK);
            assert_key_string(r.out, cases[i].key, name);
            run_free(&r);
        }
    }
}

static void test_plan_table_rows(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--grad-accum", "2");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_row(r.out, "samples", "1000");
    assert_row(r.out, "global batch", "10");
    assert_row(r.out, "micro batch", "5");
    assert_row(r.out, "grad accum steps", "2");
    assert_row(r.out, "devices", "1");
    assert_row(r.out, "preset", "plain");
    assert_row(r.out, "sampler", "pad");
    assert_row(r.out, "last micro-batch", "keep");
    assert_row(r.out, "accum tail", "step");
    assert_row(r.out, "optimizer steps per epoch", "100");
    assert_row(r.out, "micro-steps per device", "200");
    assert_row(r.out, "samples dropped", "0");
    assert_row(r.out, "last step samples", "10");
    assert_row(r.out, "total optimizer steps", "100");
    assert_not_contains(r.out, "tokens");
    run_free(&r);

    r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--seq-len", "512");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_row(r.out, "tokens per step", "5120");
    assert_row(r.out, "total tokens", "512000");
    run_free(&r);

    /* Rounding shows the requested value next to the resolved one. */
    r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--micro-batch", "3",
            "--divisibility", "down");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_row(r.out, "requested global batch", "10");
    assert_row(r.out, "global batch", "9");
    run_free(&r);
}

static void test_plan_table_is_aligned(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "123456", "--global-batch", "64", "--devices", "8");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    /* Every indented row ends in the same column. */
    size_t width = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != ' ')
            continue;
        if (!width)
            width = strlen(line);
        assert_int_equal(strlen(line), width);
    }
    assert_true(width > 0);
    run_free(&r);
}

/* ---- plan: usage errors ------------------------------------------------------ */

static void test_plan_unknown_flag_exits_2(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--bogus", "1");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "--bogus");
    run_free(&r);

    r = RUN("plan", "--samples", "1000", "-g", "10");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    run_free(&r);
}

static void test_plan_bad_numbers_exit_2(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "-3", "1e3", "12x", "", "99999999999999999999", "18446744073709551616", " 5", "5 ",
        "+5", "0x10", "1.0", "ten",
    };
    static const char *const flag_names[] = {"samples", "global-batch", "devices", "seq-len"};
    for (size_t f = 0; f < sizeof flag_names / sizeof flag_names[0]; f++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char flag[64], joined[128];
            snprintf(flag, sizeof flag, "--%s", flag_names[f]);
            snprintf(joined, sizeof joined, "--%s=%s", flag_names[f], bad[i]);
            char *value = (char *)bad[i];
            struct run r = f == 0 ? RUN("plan", flag, value)
                                  : RUN("plan", "--samples", "1000", flag, value);
            assert_int_equal(r.rc, CLI_EXIT_USAGE);
            assert_contains(r.err, flag);
            assert_string_equal(r.out, "");
            run_free(&r);

            r = f == 0 ? RUN("plan", joined, "--json")
                       : RUN("plan", "--samples=1000", joined, "--json");
            assert_int_equal(r.rc, CLI_EXIT_USAGE);
            assert_contains(r.err, flag);
            assert_true(jc_valid(r.out));
            assert_key_string(r.out, "error", "usage");
            run_free(&r);
        }
    }
}

static void test_plan_usage_error_json(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--json", "--samples", "12x");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_true(jc_valid(r.out));
    assert_key_string(r.out, "error", "usage");
    char msg[512];
    assert_true(jc_get_string(r.out, "message", msg, sizeof msg));
    assert_contains(msg, "--samples");
    assert_contains(msg, "12x");
    assert_contains(r.err, "--samples");
    /* the keys of every error object */
    assert_int_equal(jc_array_len(jc_member(r.out, "suggestions")), 0);
    run_free(&r);
}

static void test_plan_bad_values_exit_2(void **state)
{
    (void)state;
    static const struct {
        char *args[4];
        const char *needle;
    } cases[] = {
        {{"--samples", NULL}, "--samples"},                 /* missing value */
        {{"--samples", "--json", NULL}, "--samples"},       /* a flag is no value */
        {{"--samples", "10", "--preset", "pytorch"}, "hf-legacy"},
        {{"--samples", "10", "--sampler", "PAD"}, "--sampler"},
        {{"--samples", "10", "--accum-tail", ""}, "--accum-tail"},
        {{"--samples", "10", "--samples", "10"}, "more than once"},
        {{"--samples", "10", "extra", NULL}, "extra"},
        {{"--samples", "10", "--json=yes", NULL}, "--json"},
        {{"--epochs", "1", NULL}, "--samples"},             /* required */
        {{"--samples", "10", "--", NULL}, "--"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[8] = {"trainest", "plan"};
        int argc = 2;
        for (int k = 0; k < 4 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        struct run r = run_argv(argc, argv);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_contains(r.err, cases[i].needle);
        assert_contains(r.err, "trainest plan --help");
        run_free(&r);
    }
}

/* ---- plan: library errors ----------------------------------------------------- */

static void test_plan_not_divisible_exits_1(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--micro-batch", "3");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "TRAINEST_E_NOT_DIVISIBLE");
    assert_contains(r.err, trainest_strerror(TRAINEST_E_NOT_DIVISIBLE));
    assert_contains(r.err, "check --global-batch");
    assert_contains(r.err, "nearest valid plans:");
    assert_contains(r.err, "global batch  micro batch  grad accum  devices  changed");
    /* the nearest plan: G 9 = 3 x 3 x 1 */
    char *line = strstr(r.err, "changed\n");
    assert_non_null(line);
    uint64_t g, m, a, d;
    assert_int_equal(sscanf(line + 8, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &g, &m,
                            &a, &d),
                     4);
    assert_int_equal(g, 9);
    assert_int_equal(m, 3);
    assert_int_equal(a, 3);
    assert_int_equal(d, 1);
    run_free(&r);
}

static void test_plan_not_divisible_json(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--micro-batch", "3",
                       "--seq-len", "100", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_true(jc_valid(r.out));
    assert_key_string(r.out, "error", "TRAINEST_E_NOT_DIVISIBLE");
    assert_key_string(r.out, "field", "global-batch");
    char msg[512];
    assert_true(jc_get_string(r.out, "message", msg, sizeof msg));
    assert_contains(msg, "--global-batch");
    const char *sugg = jc_member(r.out, "suggestions");
    const long n = jc_array_len(sugg);
    assert_true(n >= 1 && n <= 5);
    for (long i = 0; i < n; i++) {
        const char *p = jc_array_at(sugg, (size_t)i);
        assert_plan_object(p);
        assert_int_equal(get_u64(p, "samples"), 1000);
        assert_int_equal(get_u64(p, "tokens_per_step"), get_u64(p, "global_batch") * 100);
        assert_key_string(p, "divisibility", "error");
    }
    assert_int_equal(get_u64(jc_array_at(sugg, 0), "global_batch"), 9);
    assert_int_equal(get_u64(jc_array_at(sugg, 0), "micro_batch"), 3);
    /* the message also reaches stderr */
    assert_contains(r.err, "check --global-batch");
    run_free(&r);
}

static void test_plan_error_names_the_flag(void **state)
{
    (void)state;
    static const struct {
        char *args[8];
        int status;
        const char *flag;
    } cases[] = {
        {{"--samples", "0", "--global-batch", "10"}, TRAINEST_E_ZERO, "samples"},
        {{"--samples", "100", "--global-batch", "10", "--devices", "0"}, TRAINEST_E_ZERO,
         "devices"},
        {{"--samples", "100", "--global-batch", "10", "--epochs", "0"}, TRAINEST_E_ZERO, "epochs"},
        {{"--samples", "100", "--global-batch", "10", "--seq-len", "18446744073709551615"},
         TRAINEST_E_OVERFLOW, "seq-len"},
        {{"--samples", "100"}, TRAINEST_E_UNDERSPECIFIED, "global-batch"},
        {{"--samples", "100", "--global-batch", "10", "--micro-batch", "5", "--grad-accum", "3"},
         TRAINEST_E_INCONSISTENT, "global-batch"},
        {{"--samples", "100", "--micro-batch", "5", "--max-micro-batch", "4"},
         TRAINEST_E_EXCEEDS_CAP, "micro-batch"},
        {{"--samples", "100", "--global-batch", "10", "--preset", "deepspeed", "--sampler", "drop"},
         TRAINEST_E_PRESET_CONFLICT, "sampler"},
        {{"--samples", "100", "--global-batch", "10", "--preset", "megatron", "--accum-tail",
          "step"},
         TRAINEST_E_PRESET_CONFLICT, "accum-tail"},
        {{"--samples", "100", "--micro-batch", "5", "--preset", "megatron", "--divisibility",
          "up"},
         TRAINEST_E_PRESET_CONFLICT, "divisibility"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[12] = {"trainest", "plan", "--json"};
        int argc = 3;
        for (int k = 0; k < 8 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        struct run r = run_argv(argc, argv);
        char want[64];
        snprintf(want, sizeof want, "check --%s", cases[i].flag);
        if (r.rc != CLI_EXIT_FAILURE || !strstr(r.err, want))
            print_error("case %zu: %s", i, r.err);
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_contains(r.err, want);
        assert_contains(r.err, trainest_status_name(cases[i].status));
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", trainest_status_name(cases[i].status));
        assert_key_string(r.out, "field", cases[i].flag);
        assert_true(jc_array_len(jc_member(r.out, "suggestions")) >= 0);
        run_free(&r);
    }
}

/* ---- Other commands ------------------------------------------------------------- */

static void test_main_no_args_exits_2(void **state)
{
    (void)state;
    struct run r = run_argv(1, (char *[]){"trainest", NULL});
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "Usage: trainest");
    run_free(&r);
}

static void test_main_unknown_command_exits_2(void **state)
{
    (void)state;
    struct run r = RUN("frobnicate");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "frobnicate");
    run_free(&r);

    r = RUN("--samples", "10");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    run_free(&r);

    r = RUN("--version", "extra");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    run_free(&r);

    r = RUN("help", "frobnicate");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    run_free(&r);
}

static void test_main_help_exits_0(void **state)
{
    (void)state;
    char *forms[][2] = {{"--help", NULL}, {"-h", NULL}, {"help", NULL}};
    for (size_t i = 0; i < 3; i++) {
        struct run r = run_argv(2, (char *[]){"trainest", forms[i][0], NULL});
        assert_int_equal(r.rc, CLI_EXIT_OK);
        assert_contains(r.out, "Usage: trainest <command>");
        assert_contains(r.out, "plan");
        assert_contains(r.out, "demo");
        assert_string_equal(r.err, "");
        run_free(&r);
    }
}

static void test_plan_help_lists_every_flag(void **state)
{
    (void)state;
    static const char *const names[] = {
        "--samples",  "--global-batch",    "--micro-batch", "--grad-accum",
        "--devices",  "--max-micro-batch", "--epochs",      "--seq-len",
        "--preset",   "--sampler",         "--last-micro-batch", "--accum-tail",
        "--divisibility", "--json",        "hf-legacy",     "batch-shard",
    };
    struct run r = RUN("plan", "--help");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_contains(r.out, names[i]);
    struct run h = RUN("help", "plan");
    assert_int_equal(h.rc, CLI_EXIT_OK);
    assert_string_equal(h.out, r.out);
    run_free(&h);
    h = RUN("plan", "--samples", "oops", "-h"); /* help wins over bad flags */
    assert_int_equal(h.rc, CLI_EXIT_OK);
    assert_string_equal(h.out, r.out);
    run_free(&h);
    run_free(&r);
}

static void test_main_version_exits_0(void **state)
{
    (void)state;
    struct run r = RUN("--version");
    char want[128];
    snprintf(want, sizeof want, "trainest %s (library %s)\n", TRAINEST_VERSION_STRING,
             trainest_version_string());
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.out, want);
    run_free(&r);
}

static void test_demo_prints_worked_example(void **state)
{
    (void)state;
    struct run r = RUN("demo");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_contains(r.out, "100");
    assert_contains(r.out, "200");
    assert_contains(r.out, "1000 samples with a global batch of 10 take 100 optimizer steps");
    assert_contains(r.out, "micro-batch is 5: 100 optimizer steps per epoch, 200 micro-steps");
    assert_row(r.out, "optimizer steps per epoch", "100");
    assert_row(r.out, "micro batch", "5");
    assert_row(r.out, "micro-steps per device", "200");
    run_free(&r);

    r = RUN("demo", "--json");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    run_free(&r);
}

static void test_main_write_failure_exits_1(void **state)
{
    (void)state;
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    size_t en;
    char *err;
    FILE *e = open_memstream(&err, &en);
    int rc = trainest_cli_main(2, (char *[]){"trainest", "demo", NULL}, full, e);
    fclose(full);
    fclose(e);
    assert_int_equal(rc, CLI_EXIT_FAILURE);
    assert_contains(err, "cannot write");
    free(err);
}

/* The installed program's exit status, as a shell sees it. */
static int spawn_cli(const char *path, char **argv)
{
    posix_spawn_file_actions_t fa;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, path, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void test_binary_exit_codes(void **state)
{
    (void)state;
    const char *path = getenv("TRAINEST_CLI");
    if (!path || !*path)
        skip();
    char *p = (char *)path;
    assert_int_equal(spawn_cli(path, (char *[]){p, "plan", "--samples", "1000", "--global-batch",
                                                "10", "--json", NULL}),
                     0);
    assert_int_equal(spawn_cli(path, (char *[]){p, "plan", "--samples", "1000", "--global-batch",
                                                "10", "--micro-batch", "3", NULL}),
                     1);
    assert_int_equal(spawn_cli(path, (char *[]){p, NULL}), 2);
    assert_int_equal(spawn_cli(path, (char *[]){p, "--version", NULL}), 0);
    assert_int_equal(spawn_cli(path, (char *[]){p, "estimate", "--samples", "1000",
                                                "--global-batch", "10", "--per-sample-s",
                                                "0.01", NULL}),
                     0);
    assert_int_equal(spawn_cli(path, (char *[]){p, "estimate", "--samples", "1000",
                                                "--global-batch", "10", "--per-sample-s",
                                                "0.01", "--comm-overlap-ratio", "1.5", NULL}),
                     1);
    assert_int_equal(spawn_cli(path, (char *[]){p, "calibrate", "--calibration",
                                                "/nonexistent/steps.csv", NULL}),
                     2);
    assert_int_equal(spawn_cli(path, (char *[]){p, "calibrate", "--loader",
                                                "/nonexistent/loader.csv", NULL}),
                     2);
}

/* ---- Helpers for calibration files and estimates ------------------------------ */

/* A temporary file holding len bytes of text; its path goes to path. */
static void temp_file(char path[512], const char *text, size_t len)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, 512, "%s/trainest-cli-XXXXXX", dir && *dir ? dir : "/tmp");
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void temp_text(char path[512], const char *text)
{
    temp_file(path, text, strlen(text));
}

static double get_double(const char *obj, const char *key)
{
    double v = 0;
    if (!jc_get_number(obj, key, &v)) {
        print_error("no number member \"%s\" in:\n%s\n", key, obj);
        fail();
    }
    return v;
}

static bool get_bool(const char *obj, const char *key)
{
    bool v = false;
    if (!jc_get_bool(obj, key, &v)) {
        print_error("no bool member \"%s\" in:\n%s\n", key, obj);
        fail();
    }
    return v;
}

/* The step-time model the synthetic measurements follow. */
struct truth {
    double floor_s, fixed_s, per_sample_s, launch_lag_s, optimizer_s;
};

static double model_step(const struct truth *t, double m, double a)
{
    const double host = a * t->floor_s;
    const double dev = t->launch_lag_s + a * (t->fixed_s + t->per_sample_s * m);
    return (host > dev ? host : dev) + t->optimizer_s;
}

static const uint64_t sweep_m[] = {1, 2, 4, 8, 16, 32, 64, 128};
static const uint64_t sweep_a[] = {1, 2, 4, 8};

/* Measurements of t over the sweep (only accumulation a_only if it is not 0)
 * as CSV, with the columns out of order, an ignored column, comments, blank
 * lines, blanks around fields and one CRLF line. Returns the row count. */
static size_t write_sweep(char path[512], const struct truth *t, uint64_t a_only)
{
    char *text;
    size_t len, rows = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs("# synthetic measurements\n\nrun, step_s ,grad_accum,micro_batch,host\n", f);
    for (size_t i = 0; i < sizeof sweep_m / sizeof sweep_m[0]; i++) {
        for (size_t k = 0; k < sizeof sweep_a / sizeof sweep_a[0]; k++) {
            const uint64_t m = sweep_m[i], a = a_only ? a_only : sweep_a[k];
            if (a_only && k > 0)
                break;
            fprintf(f, "r%zu, %.17g ,%" PRIu64 ",%" PRIu64 ",node-1%s\n", rows,
                    model_step(t, (double)m, (double)a), a, m, rows == 3 ? "\r" : "");
            if (rows++ == 5)
                fputs("   # a comment between rows\n\n", f);
        }
    }
    fclose(f);
    temp_file(path, text, len);
    free(text);
    return rows;
}

static const struct truth known = {0.018, 0.005, 0.004, 0.003, 0.002};

/* ---- calibrate --------------------------------------------------------------------- */

static void test_calibrate_recovers_parameters(void **state)
{
    (void)state;
    char path[512];
    const size_t rows = write_sweep(path, &known, 0);
    struct run r = RUN("calibrate", "--calibration", path, "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_true(jc_valid(r.out));
    assert_close(get_double(r.out, "floor_s"), known.floor_s, 1e-9);
    assert_close(get_double(r.out, "fixed_s"), known.fixed_s, 1e-9);
    assert_close(get_double(r.out, "per_sample_s"), known.per_sample_s, 1e-9);
    assert_close(get_double(r.out, "launch_lag_s"), known.launch_lag_s, 1e-6);
    assert_close(get_double(r.out, "optimizer_s"), known.optimizer_s, 1e-6);
    assert_true(get_double(r.out, "max_residual_ratio") < 1e-9);
    assert_true(get_double(r.out, "mean_residual_ratio") <=
                get_double(r.out, "max_residual_ratio"));
    assert_int_equal(get_u64(r.out, "observations"), rows);
    assert_true(get_bool(r.out, "floor_fitted"));
    assert_true(get_bool(r.out, "launch_lag_fitted"));
    assert_true(get_bool(r.out, "optimizer_fitted"));
    run_free(&r);

    /* the table says the same and gives the flags for estimate */
    r = RUN("calibrate", "--calibration", path);
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_row(r.out, "floor_s: launch per micro-batch", "0.018 s");
    assert_row(r.out, "per_sample_s: device per sample", "0.004 s");
    assert_row(r.out, "observations", "32");
    assert_contains(r.out, "--floor-s 0.018 --fixed-s 0.005 --per-sample-s 0.004");
    run_free(&r);
    unlink(path);
}

/* `trainest calibrate FLAG path`, as text and with --json, is a bad input
 * at `line` of path (exit 2) whose message holds needle (case i). */
static void expect_input_error(char *flag, char *path, uint64_t line,
                               const char *needle, size_t i)
{
    char want[600];
    snprintf(want, sizeof want, "%s:%" PRIu64 ": ", path, line);
    for (int json = 0; json < 2; json++) {
        struct run r = json ? RUN("calibrate", flag, path, "--json") : RUN("calibrate", flag, path);
        if (r.rc != CLI_EXIT_USAGE || strncmp(r.err, want, strlen(want)) != 0)
            print_error("case %zu: rc %d, err: %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_true(strncmp(r.err, want, strlen(want)) == 0);
        assert_contains(r.err, needle);
        if (json) {
            assert_true(jc_valid(r.out));
            assert_key_string(r.out, "error", "input");
            assert_key_string(r.out, "file", path);
            assert_int_equal(get_u64(r.out, "line"), line);
        } else {
            assert_string_equal(r.out, "");
        }
        run_free(&r);
    }
}

static void test_calibrate_bad_rows_exit_2(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t line;
        const char *needle;
    } cases[] = {
        {"micro_batch,grad_accum,step_s\n1,1,0.5\n2,1,abc\n", 3, "step_s 'abc'"},
        {"micro_batch,grad_accum,step_s\n1,1,0.5\n2,1,nan\n", 3, "not a finite"},
        {"micro_batch,grad_accum,step_s\n1,1,inf\n", 2, "not a finite"},
        {"micro_batch,grad_accum,step_s\n1,1,1e999\n", 2, "out of range"},
        {"micro_batch,grad_accum,step_s\n1,1,0\n", 2, "not positive"},
        {"micro_batch,grad_accum,step_s\n# c\n\n1,1,-0.5\n", 4, "not positive"},
        {"micro_batch,grad_accum,step_s\n0,1,0.5\n", 2, "micro_batch is 0"},
        {"micro_batch,grad_accum,step_s\n1,0,0.5\n", 2, "grad_accum is 0"},
        {"micro_batch,grad_accum,step_s\n1.5,1,0.5\n", 2, "not a whole number"},
        {"micro_batch,grad_accum,step_s\n-1,1,0.5\n", 2, "not a whole number"},
        {"micro_batch,grad_accum,step_s\n1,1\n", 2, "2 fields, but the header has 3"},
        {"micro_batch,grad_accum,step_s\n1,1,0.5,9\n", 2, "4 fields"},
        {"micro_batch,grad_accum,step_s\n1,,0.5\n", 2, "grad_accum is empty"},
        {"micro_batch,step_s\n1,0.5\n", 1, "no column 'grad_accum'"},
        {"\n# nothing but comments\n", 1, "no header"},
        {"", 1, "no header"},
        {"micro_batch,grad_accum,step_s,micro_batch\n", 1, "appears twice"},
        {"micro_batch,grad_accum,step_s\n99999999999999999999,1,0.5\n", 2, "out of range"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], want[600];
        temp_text(path, cases[i].text);
        snprintf(want, sizeof want, "%s:%" PRIu64 ": ", path, cases[i].line);
        expect_input_error("--calibration", path, cases[i].line, cases[i].needle, i);
        /* estimate reads the file the same way */
        struct run r = RUN("estimate", "--samples", "100", "--global-batch", "4", "--calibration", path);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_true(strncmp(r.err, want, strlen(want)) == 0);
        run_free(&r);
        unlink(path);
    }
}

static void test_calibrate_missing_file_exit_2(void **state)
{
    (void)state;
    struct run r = RUN("calibrate", "--calibration", "/nonexistent/steps.csv");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "/nonexistent/steps.csv: cannot open");
    run_free(&r);

    r = RUN("calibrate", "--json");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "missing required flag --calibration");
    run_free(&r);

    r = RUN("calibrate", "--calibration", "x.csv", "--samples", "10");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "unknown flag '--samples'");
    run_free(&r);
}

static void test_calibrate_too_few_points_exit_1(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "micro_batch,grad_accum,step_s\n",
        "micro_batch,grad_accum,step_s\n4,1,0.5\n",
        "micro_batch,grad_accum,step_s\n4,1,0.5\n4,1,0.51\n4,1,0.49\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char path[512];
        temp_text(path, texts[i]);
        struct run r = RUN("calibrate", "--calibration", path);
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_string_equal(r.out, "");
        assert_contains(r.err, "TRAINEST_E_TOO_FEW_POINTS");
        assert_contains(r.err, "check --calibration");
        run_free(&r);
        r = RUN("calibrate", "--calibration", path, "--json");
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", "TRAINEST_E_TOO_FEW_POINTS");
        assert_key_string(r.out, "field", "calibration");
        assert_null(jc_member(r.out, "index"));
        run_free(&r);
        unlink(path);
    }
}

static void test_calibrate_same_accum_needs_optimizer(void **state)
{
    (void)state;
    char path[512];
    write_sweep(path, &known, 1);
    struct run r = RUN("calibrate", "--calibration", path);
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_contains(r.err, "TRAINEST_E_UNIDENTIFIABLE");
    assert_contains(r.err, "every row has grad_accum 1");
    assert_contains(r.err, "--optimizer-s");
    run_free(&r);
    r = RUN("calibrate", "--calibration", path, "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_true(jc_valid(r.out));
    assert_key_string(r.out, "error", "TRAINEST_E_UNIDENTIFIABLE");
    run_free(&r);

    /* with the optimizer time known, the rest is identified; the lag folds
     * into fixed_s for a = 1 rows */
    r = RUN("calibrate", "--calibration", path, "--optimizer-s", "0.002", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(get_double(r.out, "optimizer_s") == 0.002);
    assert_false(get_bool(r.out, "optimizer_fitted"));
    assert_close(get_double(r.out, "per_sample_s"), known.per_sample_s, 1e-9);
    assert_close(get_double(r.out, "floor_s"), known.floor_s, 1e-9);
    assert_true(get_double(r.out, "max_residual_ratio") < 1e-9);
    run_free(&r);

    /* estimate passes --optimizer-s to the calibration */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--calibration", path,
            "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "error", "TRAINEST_E_UNIDENTIFIABLE");
    run_free(&r);
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--calibration", path,
            "--optimizer-s", "0.002", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "step_s"), model_step(&known, 8, 1), 1e-9);
    run_free(&r);
    unlink(path);
}

static void test_calibrate_65536_rows(void **state)
{
    (void)state;
    for (int extra = 0; extra < 2; extra++) {
        char *text;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        fputs("micro_batch,grad_accum,step_s\n", f);
        for (uint32_t i = 0; i < 65536u + (uint32_t)extra; i++) {
            const uint64_t m = i % 2 ? 16 : 32, a = (i / 2) % 2 ? 1 : 2;
            fprintf(f, "%" PRIu64 ",%" PRIu64 ",%.17g\n", m, a,
                    model_step(&known, (double)m, (double)a));
        }
        fclose(f);
        char path[512];
        temp_file(path, text, len);
        free(text);
        struct run r = RUN("calibrate", "--calibration", path, "--json");
        if (!extra) {
            assert_int_equal(r.rc, CLI_EXIT_OK);
            assert_int_equal(get_u64(r.out, "observations"), 65536);
            assert_close(get_double(r.out, "per_sample_s"), known.per_sample_s, 1e-6);
        } else {
            assert_int_equal(r.rc, CLI_EXIT_USAGE);
            assert_contains(r.err, ":65538: more than 65536 observations");
        }
        run_free(&r);
        unlink(path);
    }
}

/* The reader on its own: a pure function over a buffer. */
static void test_csv_reader(void **state)
{
    (void)state;
    trainest_step_observation obs[4];
    uint64_t lines[4];
    uint32_t n = 99;
    char err[256];
    static const char text[] = "\xEF\xBB\xBF step_s,x,grad_accum , micro_batch\r\n"
                               "# comment\r\n"
                               "\r\n"
                               "  0.25 , anything , 2 ,\t8\r\n"
                               "1e-3,,1,1";
    assert_int_equal(csv_read_observations(text, sizeof text - 1, obs, 4, &n, lines, err,
                                           sizeof err),
                     0);
    assert_string_equal(err, "");
    assert_int_equal(n, 2);
    assert_int_equal(obs[0].struct_size, sizeof obs[0]);
    assert_int_equal(obs[0].micro_batch, 8);
    assert_int_equal(obs[0].grad_accum_steps, 2);
    assert_true(obs[0].step_s == 0.25);
    assert_int_equal(lines[0], 4);
    assert_int_equal(obs[1].micro_batch, 1);
    assert_true(obs[1].step_s == 1e-3);
    assert_int_equal(lines[1], 5);

    /* capacity: the first row beyond it is the problem */
    static const char three[] = "micro_batch,grad_accum,step_s\n1,1,1\n2,1,1\n3,1,1\n";
    assert_int_equal(csv_read_observations(three, sizeof three - 1, obs, 2, &n, NULL, err,
                                           sizeof err),
                     4);
    assert_contains(err, "more than 2 observations");

    /* a NUL byte inside a value does not end it early */
    static const char nul[] = "micro_batch,grad_accum,step_s\n12\0x,1,1\n";
    assert_int_equal(csv_read_observations(nul, sizeof nul - 1, obs, 4, &n, NULL, err,
                                           sizeof err),
                     2);
    assert_contains(err, "micro_batch '12?x'");

    /* the length bounds the text: nothing past it is read */
    static const char cut[] = "micro_batch,grad_accum,step_s\n1,1,1\n2,1,bad";
    assert_int_equal(csv_read_observations(cut, sizeof cut - 8, obs, 4, &n, NULL, err,
                                           sizeof err),
                     0);
    assert_int_equal(n, 1);

    /* a message that does not fit is cut */
    char tiny[8];
    assert_int_equal(csv_read_observations("", 0, obs, 4, &n, NULL, tiny, sizeof tiny), 1);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
}

/* ---- calibrate --loader ------------------------------------------------------------ */

/* ResNet-50 (224 px) on an H200 host: one epoch of 4096 samples in batches
 * of 128 read from the DataLoader alone with 4 and with 12 workers
 * (tests/data/h200-train-steps.jsonl, the "loader" lines). */
static const double resnet_loader_s[2] = {1.847286309999987, 1.97837707299999};

static void test_calibrate_loader_resnet50(void **state)
{
    (void)state;
    char path[512];
    char text[512];
    /* columns out of order, an ignored one, comments, blanks, CRLF */
    snprintf(text, sizeof text,
             "# resnet50-224, loader only\n"
             "model, seconds ,samples,batch_size,workers\r\n"
             "resnet50, %.17g ,4096,128,4\r\n"
             "\n"
             "# the same epoch with 12 workers\n"
             "resnet50,%.17g,4096,128,12\n",
             resnet_loader_s[0], resnet_loader_s[1]);
    temp_text(path, text);
    /* 32 batches. 4 workers: the last worker starts at 4 s and builds 8
     * batches; 12 workers: the last starts at 12 s and builds 2. So
     * 4 s + 1024 u and 12 s + 256 u, u seconds per sample. */
    const double s_want = (4 * resnet_loader_s[1] - resnet_loader_s[0]) / 44;
    const double u_want = (resnet_loader_s[0] - 4 * s_want) / 1024;
    struct run r = RUN("calibrate", "--loader", path, "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_true(jc_valid(r.out));
    const double s = get_double(r.out, "worker_startup_s");
    const double rate = get_double(r.out, "samples_per_s_per_worker");
    assert_close(s, s_want, 1e-9);
    assert_close(rate, 1 / u_want, 1e-9);
    assert_true(get_double(r.out, "max_residual_ratio") < 1e-9);
    assert_true(get_double(r.out, "mean_residual_ratio") <=
                get_double(r.out, "max_residual_ratio"));
    assert_int_equal(get_u64(r.out, "observations"), 2);
    assert_null(jc_member(r.out, "floor_s"));
    run_free(&r);

    /* the table, and the flags for estimate */
    r = RUN("calibrate", "--loader", path);
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_contains(r.out, "loader workers (started one after another)");
    assert_row(r.out, "worker_startup_s: start-up per worker", "0.137869 s");
    assert_row(r.out, "samples_per_s_per_worker: per worker", "790.238");
    assert_row(r.out, "max", "0 %");
    assert_row(r.out, "observations", "2");
    assert_contains(r.out, "For trainest estimate: --data-overlap workers --data-workers N "
                           "--data-worker-startup-s 0.137868681 "
                           "--data-samples-per-s-per-worker 790.238344\n");
    run_free(&r);

    /* the fit in the estimate: with next to no compute, an epoch takes
     * what the loader alone took */
    char startup[32], per_worker[32];
    snprintf(startup, sizeof startup, "%.17g", s);
    snprintf(per_worker, sizeof per_worker, "%.17g", rate);
    static char *const workers[2] = {"4", "12"};
    for (int w = 0; w < 2; w++) {
        r = RUN("estimate", "--samples", "4096", "--global-batch", "128", "--fixed-s", "1e-9",
                "--data-overlap", "workers", "--data-workers", workers[w],
                "--data-worker-startup-s", startup, "--data-samples-per-s-per-worker",
                per_worker, "--json");
        assert_int_equal(r.rc, CLI_EXIT_OK);
        assert_close(get_double(r.out, "total_s"), resnet_loader_s[w], 1e-7);
        run_free(&r);
    }
    unlink(path);
}

static void test_calibrate_loader_usage_errors(void **state)
{
    (void)state;
    static const struct {
        char *args[6];
        const char *needle;
    } cases[] = {
        {{"--loader", "a.csv", "--calibration", "b.csv"},
         "give --calibration or --loader, not both"},
        {{NULL}, "missing required flag --calibration or --loader"},
        {{"--loader", "a.csv", "--optimizer-s", "0.1"}, "--optimizer-s is for --calibration"},
        {{"--loader"}, "flag --loader needs a value"},
        {{"--loader="}, "--loader: the value is empty"},
        {{"--loader", "a.csv", "--loader", "b.csv"}, "flag --loader is given more than once"},
        {{"--loader", "a.csv", "--data-workers", "4"}, "unknown flag '--data-workers'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int json = 0; json < 2; json++) {
            char *argv[12] = {"trainest", "calibrate"};
            int argc = 2;
            for (int k = 0; k < 6 && cases[i].args[k]; k++)
                argv[argc++] = cases[i].args[k];
            if (json)
                argv[argc++] = "--json";
            struct run r = run_argv(argc, argv);
            if (r.rc != CLI_EXIT_USAGE || !strstr(r.err, cases[i].needle))
                print_error("case %zu: %d %s", i, r.rc, r.err);
            assert_int_equal(r.rc, CLI_EXIT_USAGE);
            assert_contains(r.err, cases[i].needle);
            assert_contains(r.err, "trainest calibrate --help");
            if (json) {
                assert_true(jc_valid(r.out));
                assert_key_string(r.out, "error", "usage");
            } else {
                assert_string_equal(r.out, "");
            }
            run_free(&r);
        }
    }
    /* only calibrate takes it */
    struct run r = RUN("estimate", "--samples", "100", "--global-batch", "4", "--per-sample-s",
                       "0.1", "--loader", "a.csv");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "unknown flag '--loader'");
    run_free(&r);
    r = RUN("calibrate", "--loader", "/nonexistent/loader.csv");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "/nonexistent/loader.csv: cannot open");
    run_free(&r);
}

static void test_calibrate_loader_bad_rows_exit_2(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t line;
        const char *needle;
    } cases[] = {
        {"workers,batch_size,samples,seconds\n4,128,4096,1.8\n12,128,4096,0\n", 3,
         "seconds '0' is not positive: an epoch takes time"},
        {"workers,batch_size,samples,seconds\n# c\n\n0,128,4096,1.8\n", 4, "workers is 0"},
        {"workers,batch_size,samples,seconds\n4,128,4096,1.8\n4,0,4096,1.8\n", 3,
         "batch_size is 0"},
        {"workers,batch_size,samples,seconds\n4,128,-1,1.8\n", 2, "samples '-1' is not a whole"},
        {"workers,batch_size,samples,seconds\n4,128,4096,nan\n", 2, "not a finite"},
        {"workers,batch_size,samples,seconds\n4,128,4096\n", 2, "3 fields, but the header has 4"},
        {"workers,batch_size,samples\n4,128,4096\n", 1, "no column 'seconds'"},
        {"\n# only comments\n", 1, "no header line: expected the columns workers, batch_size, "
                                  "samples and seconds"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        temp_text(path, cases[i].text);
        expect_input_error("--loader", path, cases[i].line, cases[i].needle, i);
        unlink(path);
    }

    /* 64 rows at most, the library's limit: the 65th is the problem */
    for (int extra = 0; extra < 2; extra++) {
        char *text;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        fputs("workers,batch_size,samples,seconds\n", f);
        for (int i = 0; i < 64 + extra; i++)
            fprintf(f, "%d,128,4096,%.17g\n", i % 2 ? 12 : 4, resnet_loader_s[i % 2]);
        fclose(f);
        char path[512];
        temp_file(path, text, len);
        free(text);
        struct run r = RUN("calibrate", "--loader", path, "--json");
        if (!extra) {
            assert_int_equal(r.rc, CLI_EXIT_OK);
            assert_int_equal(get_u64(r.out, "observations"), 64);
        } else {
            assert_int_equal(r.rc, CLI_EXIT_USAGE);
            assert_contains(r.err, ":66: more than 64 observations");
        }
        run_free(&r);
        unlink(path);
    }
}

static void test_calibrate_loader_library_errors_exit_1(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int status;
        const char *hint;
    } cases[] = {
        /* one distinct row, twice */
        {"workers,batch_size,samples,seconds\n4,128,4096,1.8\n4,128,4096,1.9\n",
         TRAINEST_E_TOO_FEW_POINTS, "at least two different (workers, batch_size, samples)"},
        /* s + 128 u and 2 s + 256 u: one line through the origin */
        {"workers,batch_size,samples,seconds\n1,128,128,1.0\n2,128,512,2.0\n",
         TRAINEST_E_UNIDENTIFIABLE, "cannot separate the workers' start-up from their "
                                    "throughput"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        temp_text(path, cases[i].text);
        struct run r = RUN("calibrate", "--loader", path);
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_string_equal(r.out, "");
        assert_contains(r.err, trainest_status_name(cases[i].status));
        assert_contains(r.err, "check --loader");
        assert_contains(r.err, cases[i].hint);
        run_free(&r);
        r = RUN("calibrate", "--loader", path, "--json");
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", trainest_status_name(cases[i].status));
        assert_key_string(r.out, "field", "loader");
        assert_null(jc_member(r.out, "index"));
        assert_contains(jc_member(r.out, "hint"), cases[i].hint);
        run_free(&r);
        unlink(path);
    }
}

/* The loader reader on its own. */
static void test_csv_loader_reader(void **state)
{
    (void)state;
    trainest_loader_observation obs[3];
    uint64_t lines[3];
    uint32_t n = 99;
    char err[256];
    static const char text[] = "\xEF\xBB\xBF seconds ,samples,x,batch_size,workers\r\n"
                               "1.5,4096,a,128,4\r\n"
                               "# comment\n"
                               " 2e0 , 1000 ,, 100 , 12";
    assert_int_equal(csv_read_loader_observations(text, sizeof text - 1, obs, 3, &n, lines, err,
                                                  sizeof err),
                     0);
    assert_string_equal(err, "");
    assert_int_equal(n, 2);
    assert_int_equal(obs[0].struct_size, sizeof obs[0]);
    assert_int_equal(obs[0].reserved0, 0);
    assert_int_equal(obs[0].workers, 4);
    assert_int_equal(obs[0].batch_size, 128);
    assert_int_equal(obs[0].samples, 4096);
    assert_true(obs[0].seconds == 1.5);
    assert_int_equal(lines[0], 2);
    assert_int_equal(obs[1].workers, 12);
    assert_int_equal(obs[1].batch_size, 100);
    assert_int_equal(obs[1].samples, 1000);
    assert_true(obs[1].seconds == 2.0);
    assert_int_equal(lines[1], 4);

    static const char twice[] = "workers,batch_size,samples,seconds,workers\n";
    assert_int_equal(csv_read_loader_observations(twice, sizeof twice - 1, obs, 3, &n, NULL, err,
                                                  sizeof err),
                     1);
    assert_contains(err, "column 'workers' appears twice");
}

/* ---- estimate ---------------------------------------------------------------------- */

/* The keys every estimate object has, besides the plan's. */
static const char *const estimate_keys[] = {
    "step_s",         "epoch_s",          "total_s",        "compute_s",       "optimizer_s",
    "transfer_s",     "data_stall_s",     "comm_s",         "overhead_s",      "samples_per_s",
    "micro_batch_s",  "step_compute_s",   "step_transfer_s", "step_comm_s",    "step_data_stall_s",
    "per_sample_s",   "bubble_s",         "tp_comm_s",      "p2p_s",           "bubble_ratio",
    "stage_s",
};

static void assert_breakdown_sums(const char *obj)
{
    const double parts = get_double(obj, "compute_s") + get_double(obj, "optimizer_s") +
                         get_double(obj, "transfer_s") + get_double(obj, "data_stall_s") +
                         get_double(obj, "comm_s") + get_double(obj, "overhead_s") +
                         get_double(obj, "bubble_s") + get_double(obj, "tp_comm_s") +
                         get_double(obj, "p2p_s");
    assert_close(parts, get_double(obj, "total_s"), 1e-9);
}

static void test_estimate_json_keys(void **state)
{
    (void)state;
    struct run r = RUN("estimate", "--samples", "100000", "--global-batch", "64",
                       "--micro-batch", "8", "--devices", "4", "--epochs", "2", "--seq-len", "1024",
                       "--floor-s", "0.018", "--fixed-s", "0.005", "--per-sample-s", "0.004",
                       "--launch-lag-s", "0.003", "--optimizer-s", "0.002", "--params",
                       "124000000", "--peak-flops-per-s", "989e12", "--data-samples-per-s", "500",
                       "--h2d-bytes-per-sample", "8192", "--h2d-bytes-per-s", "17.4e9",
                       "--grad-bytes", "248000000", "--bus-bytes-per-s", "200e9", "--latency-s",
                       "5e-6", "--comm-overlap-ratio", "0.5", "--eval-s-per-epoch", "30",
                       "--checkpoint-s", "12", "--checkpoints-per-epoch", "2", "--startup-s",
                       "90", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_true(jc_valid(r.out));
    assert_plan_object(r.out);
    for (size_t i = 0; i < sizeof estimate_keys / sizeof estimate_keys[0]; i++)
        (void)get_double(r.out, estimate_keys[i]);
    (void)get_double(r.out, "tokens_per_s");
    (void)get_double(r.out, "mfu");
    (void)get_double(r.out, "achieved_flops_per_s");
    assert_null(jc_member(r.out, "efficiency_ratio")); /* not analytic */
    assert_breakdown_sums(r.out);
    assert_true(get_double(r.out, "comm_s") > 0);
    assert_true(get_double(r.out, "transfer_s") > 0);
    assert_close(get_double(r.out, "overhead_s"), 2 * (30 + 12 * 2) + 90, 1e-12);
    assert_close(get_double(r.out, "epoch_s"), (get_double(r.out, "total_s") - 90) / 2, 1e-12);
    assert_close(get_double(r.out, "flops_per_sample"), 6.0 * 124e6 * 1024, 1e-12);
    assert_close(get_double(r.out, "tokens_per_s"), get_double(r.out, "samples_per_s") * 1024,
                 1e-12);
    assert_close(get_double(r.out, "mfu"),
                 get_double(r.out, "achieved_flops_per_s") / (989e12 * 4), 1e-12);
    assert_int_equal(get_u64(r.out, "tokens_per_step"), 64 * 1024);
    const char *sm = jc_member(r.out, "step_model");
    assert_key_string(sm, "source", "given");
    assert_true(get_double(sm, "floor_s") == 0.018);
    run_free(&r);

    /* no --seq-len: no tokens; no FLOPs: no MFU */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--per-sample-s", "0.01",
            "--peak-flops-per-s", "989e12", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_plan_object(r.out);
    for (size_t i = 0; i < sizeof estimate_keys / sizeof estimate_keys[0]; i++)
        (void)get_double(r.out, estimate_keys[i]);
    assert_null(jc_member(r.out, "tokens_per_s"));
    assert_null(jc_member(r.out, "tokens_per_step"));
    assert_null(jc_member(r.out, "mfu"));
    assert_null(jc_member(r.out, "flops_per_sample"));
    assert_breakdown_sums(r.out);
    /* 125 steps of 8 samples x 0.01 s */
    assert_close(get_double(r.out, "total_s"), 10.0, 1e-12);
    run_free(&r);

    /* --tokens-per-sample alone gives tokens/s but no plan token counts;
     * FLOPs without a peak give no MFU */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--per-sample-s", "0.01",
            "--tokens-per-sample", "100", "--params", "1000", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "tokens_per_s"), 100 * get_double(r.out, "samples_per_s"),
                 1e-12);
    assert_null(jc_member(r.out, "tokens_per_step"));
    assert_null(jc_member(r.out, "mfu"));
    assert_close(get_double(r.out, "flops_per_sample"), 6.0 * 1000 * 100, 1e-12);
    run_free(&r);
}

static void test_estimate_breakdown_sums_to_total(void **state)
{
    (void)state;
    /* partial last steps, several presets and policies */
    static char *const policies[][4] = {
        {"--preset", "plain", "--accum-tail", "step"},
        {"--preset", "plain", "--accum-tail", "carry"},
        {"--preset", "megatron", "--epochs", "2"},
        {"--preset", "hf", "--epochs", "3"},
        {"--preset", "plain", "--sampler", "drop"},
        {"--preset", "lightning", "--data-overlap", "serial"},
    };
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        char *p0 = policies[i][0], *p1 = policies[i][1], *p2 = policies[i][2],
             *p3 = policies[i][3];
        struct run r = RUN("estimate", "--samples", "1003", "--global-batch", "24",
                           "--micro-batch", "4", "--devices", "2", p0, p1, p2, p3,
                           "--floor-s", "0.02", "--fixed-s", "0.004", "--per-sample-s", "0.003",
                           "--launch-lag-s", "0.001", "--optimizer-s", "0.002",
                           "--data-samples-per-s", "900", "--h2d-bytes-per-sample", "1000",
                           "--h2d-bytes-per-s", "1e9", "--grad-bytes", "1000000",
                           "--bus-bytes-per-s", "1e10", "--startup-s", "5", "--json");
        if (r.rc != CLI_EXIT_OK)
            print_error("case %zu: %s", i, r.err);
        assert_int_equal(r.rc, CLI_EXIT_OK);
        assert_breakdown_sums(r.out);
        run_free(&r);
    }
}

static void test_estimate_data_modes(void **state)
{
    (void)state;
    double total[2], stall[2];
    for (int serial = 0; serial < 2; serial++) {
        char *mode = serial ? "serial" : "overlap";
        struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "10",
                           "--per-sample-s", "0.01", "--data-samples-per-s", "50",
                           "--data-overlap", mode, "--json");
        assert_int_equal(r.rc, CLI_EXIT_OK);
        total[serial] = get_double(r.out, "total_s");
        stall[serial] = get_double(r.out, "data_stall_s");
        assert_breakdown_sums(r.out);
        run_free(&r);
    }
    /* 100 steps: compute 0.1 s; data 0.2 s. Overlap waits 0.1 s per step,
     * serial the whole 0.2 s. */
    assert_close(total[0], 100 * 0.2, 1e-12);
    assert_close(total[1], 100 * 0.3, 1e-12);
    assert_true(total[1] > total[0]);
    assert_close(stall[0], 100 * 0.1, 1e-12);
    assert_close(stall[1], 100 * 0.2, 1e-12);

    /* per worker x workers is the same throughput as the total */
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "10",
                       "--per-sample-s", "0.01", "--data-samples-per-s-per-worker", "12.5",
                       "--data-workers", "4", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "total_s"), total[0], 1e-12);
    run_free(&r);
}

/* Loader workers by brute force: micro-batch k of an epoch is ready at
 * (k mod W + 1) x startup + (k / W + 1) x m / rate; the device takes them in
 * order, consume_s each. The epoch's wall time less its busy time. */
static double workers_epoch_stall(uint64_t batches, uint64_t m, uint64_t W, double startup_s,
                                  double rate, double consume_s)
{
    double t = 0;
    for (uint64_t k = 0; k < batches; k++) {
        const double ready =
            (double)(k % W + 1) * startup_s + (double)(k / W + 1) * (double)m / rate;
        t = (ready > t ? ready : t) + consume_s;
    }
    return t - (double)batches * consume_s;
}

static void test_estimate_loader_workers(void **state)
{
    (void)state;
    /* ResNet-50's loader fitted to the loader-only epochs of tests/data:
     * 32 micro-batches of 128, 0.3 ms of compute per sample */
    static const char *const workers[] = {"1", "4", "12", "31"};
    for (size_t w = 0; w < sizeof workers / sizeof workers[0]; w++) {
        const uint64_t W = strtoull(workers[w], NULL, 10);
        const double consume = 0.0003 * 128;
        const double one = workers_epoch_stall(32, 128, W, 0.1379, 790, consume);
        for (int persistent = 0; persistent < 2; persistent++) {
            char *argv[32] = {"trainest", "estimate", "--samples", "4096", "--global-batch", "128",
                              "--epochs", "3", "--per-sample-s", "0.0003", "--data-overlap",
                              "workers", "--data-workers", (char *)workers[w],
                              "--data-samples-per-s-per-worker", "790",
                              "--data-worker-startup-s", "0.1379", "--json"};
            int argc = 19;
            if (persistent)
                argv[argc++] = "--data-persistent-workers";
            struct run r = run_argv(argc, argv);
            assert_int_equal(r.rc, CLI_EXIT_OK);
            assert_string_equal(r.err, "");
            assert_breakdown_sums(r.out);
            /* every epoch starts its workers again, or only the first */
            const double later =
                persistent ? workers_epoch_stall(32, 128, W, 0, 790, consume) : one;
            assert_close(get_double(r.out, "data_stall_s"), one + 2 * later, 1e-9);
            assert_close(get_double(r.out, "total_s"), 3 * 32 * consume + one + 2 * later, 1e-9);
            run_free(&r);
        }
    }

    /* the workers share a total rate: 4 x 500 = 2000 samples/s */
    double total[2];
    for (int shared = 0; shared < 2; shared++) {
        struct run r = shared ? RUN("estimate", "--samples", "4096", "--global-batch", "128",
                                    "--per-sample-s", "0.0003", "--data-overlap", "workers",
                                    "--data-workers", "4", "--data-samples-per-s", "2000", "--json")
                              : RUN("estimate", "--samples", "4096", "--global-batch", "128",
                                    "--per-sample-s", "0.0003", "--data-overlap", "workers",
                                    "--data-workers", "4", "--data-samples-per-s-per-worker", "500",
                                    "--json");
        assert_int_equal(r.rc, CLI_EXIT_OK);
        total[shared] = get_double(r.out, "total_s");
        run_free(&r);
    }
    assert_close(total[1], total[0], 1e-12);
    assert_close(total[0], 32 * 0.0384 + workers_epoch_stall(32, 128, 4, 0, 500, 0.0384), 1e-9);

    /* the table, and the other commands that take the data flags */
    struct run r = RUN("estimate", "--samples", "4096", "--global-batch", "128", "--per-sample-s",
                       "0.0003", "--data-overlap", "workers", "--data-workers", "12",
                       "--data-samples-per-s-per-worker", "790", "--data-worker-startup-s",
                       "0.1379");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "data stall");
    run_free(&r);
    r = RUN("search", "--samples", "4096", "--global-batch", "128", "--max-devices", "2",
            "--per-sample-s", "0.0003", "--data-overlap", "workers", "--data-workers", "4",
            "--data-worker-startup-s", "0.1", "--data-persistent-workers", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    run_free(&r);
    r = RUN("estimate", "--samples", "4096", "--global-batch", "128", "--per-sample-s", "0.0003",
            "--data-overlap", "workers", "--data-workers", "4", "--data-persistent-workers=1");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "flag --data-persistent-workers takes no value");
    run_free(&r);

    /* the library's refusals name the flag and say what is missing */
    r = RUN("estimate", "--samples", "4096", "--global-batch", "128", "--per-sample-s", "0.0003",
            "--data-worker-startup-s", "0.1", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "error", "TRAINEST_E_INCONSISTENT");
    assert_key_string(r.out, "field", "data-worker-startup-s");
    assert_contains(r.err, "hint: --data-worker-startup-s and --data-persistent-workers describe "
                           "loader workers: give --data-overlap workers");
    run_free(&r);
    r = RUN("eta", "--samples", "4096", "--global-batch", "128", "--per-sample-s", "0.0003",
            "--data-overlap", "workers", "--now", "0");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_contains(r.err, "(TRAINEST_E_ZERO): check --data-workers");
    assert_contains(r.err, "hint: --data-overlap workers needs --data-workers N");
    run_free(&r);
}

static void test_estimate_one_device_no_comm(void **state)
{
    (void)state;
    /* no bandwidth needed, and exactly zero */
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--devices", "1",
                       "--per-sample-s", "0.01", "--grad-bytes", "1000000000", "--latency-s",
                       "0.001", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(get_double(r.out, "comm_s") == 0.0);
    assert_true(get_double(r.out, "step_comm_s") == 0.0);
    run_free(&r);

    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--devices", "2",
            "--per-sample-s", "0.01", "--grad-bytes", "1000000000", "--bus-bytes-per-s", "1e11",
            "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    /* 2 (R - 1) / R x bytes / bandwidth = 0.01 s per step */
    assert_close(get_double(r.out, "step_comm_s"), 0.01, 1e-12);
    assert_true(get_double(r.out, "comm_s") > 0);
    run_free(&r);
}

static void test_estimate_analytic(void **state)
{
    (void)state;
    /* 6 x 1e6 params x 100 tokens = 6e8 FLOPs; / (1e12 x 0.5) = 1.2 ms */
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "10", "--params",
                       "1000000", "--seq-len", "100", "--peak-flops-per-s", "1e12",
                       "--efficiency", "0.5", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "per_sample_s"), 6e8 / (1e12 * 0.5), 1e-12);
    assert_close(get_double(r.out, "flops_per_sample"), 6e8, 1e-12);
    assert_close(get_double(r.out, "efficiency_ratio"), 0.5, 0);
    /* nothing but compute: the MFU is the efficiency */
    assert_close(get_double(r.out, "mfu"), 0.5, 1e-12);
    assert_key_string(jc_member(r.out, "step_model"), "source", "analytic");
    run_free(&r);

    r = RUN("estimate", "--samples", "1000", "--global-batch", "10", "--flops-per-sample",
            "3e9", "--peak-flops-per-s", "1e12", "--efficiency", "0.25", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "per_sample_s"), 3e9 / (1e12 * 0.25), 1e-12);
    run_free(&r);

    r = RUN("estimate", "--samples", "1000", "--global-batch", "10", "--params", "1000000",
            "--seq-len", "100", "--recompute", "full", "--peak-flops-per-s", "1e12",
            "--efficiency", "0.5", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "flops_per_sample"), 8e8, 1e-12);
    run_free(&r);

    /* efficiency fitted from one observed step: 10 x 1.2 ms + 2 ms */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "10", "--params", "1000000",
            "--seq-len", "100", "--peak-flops-per-s", "1e12", "--optimizer-s", "0.002",
            "--observed-step-s", "0.014", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "efficiency_ratio"), 0.5, 1e-9);
    assert_close(get_double(r.out, "step_s"), 0.014, 1e-9);
    run_free(&r);

    /* a step faster than the peak allows */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "10", "--params", "1000000",
            "--seq-len", "100", "--peak-flops-per-s", "1e12", "--observed-step-s", "0.001",
            "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "field", "observed-step-s");
    run_free(&r);

    /* in the given mode FLOPs and peak still give the MFU */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "10", "--params", "1000000",
            "--seq-len", "100", "--peak-flops-per-s", "1e12", "--per-sample-s", "0.0012",
            "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "mfu"), 0.5, 1e-12);
    assert_null(jc_member(r.out, "efficiency_ratio"));
    assert_key_string(jc_member(r.out, "step_model"), "source", "given");
    run_free(&r);
}

static void test_estimate_calibrated_matches_given(void **state)
{
    (void)state;
    char path[512];
    write_sweep(path, &known, 0);
    struct run a = RUN("estimate", "--samples", "10007", "--global-batch", "48",
                       "--max-micro-batch", "16", "--calibration", path, "--json");
    struct run b = RUN("estimate", "--samples", "10007", "--global-batch", "48",
                       "--max-micro-batch", "16", "--floor-s", "0.018", "--fixed-s", "0.005",
                       "--per-sample-s", "0.004", "--launch-lag-s", "0.003", "--optimizer-s",
                       "0.002", "--json");
    assert_int_equal(a.rc, CLI_EXIT_OK);
    assert_int_equal(b.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(a.out, "micro_batch"), 16); /* from the cap */
    assert_int_equal(get_u64(a.out, "grad_accum_steps"), 3);
    assert_close(get_double(a.out, "total_s"), get_double(b.out, "total_s"), 1e-9);
    assert_close(get_double(a.out, "step_s"), model_step(&known, 16, 3), 1e-9);
    const char *sm = jc_member(a.out, "step_model");
    assert_key_string(sm, "source", "calibrated");
    assert_int_equal(get_u64(sm, "observations"), 32);
    (void)get_double(sm, "max_residual_ratio");
    run_free(&a);
    run_free(&b);

    a = RUN("estimate", "--samples", "10007", "--global-batch", "48", "--max-micro-batch", "16",
            "--calibration", path);
    assert_int_equal(a.rc, CLI_EXIT_OK);
    assert_contains(a.out, "step-time model (calibrated)");
    assert_row(a.out, "calibration rows", "32");
    run_free(&a);
    unlink(path);
}

static void test_estimate_table(void **state)
{
    (void)state;
    /* 7380 steps of 1 s: 2 h 03 min */
    struct run r = RUN("estimate", "--samples", "7380", "--global-batch", "1",
                       "--per-sample-s", "1", "--seq-len", "10");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_row(r.out, "optimizer steps per epoch", "7380");
    assert_row(r.out, "total", "7380 s (2 h 03 min)");
    assert_row(r.out, "compute", "7380 s (2 h 03 min)");
    assert_row(r.out, "step", "1 s");
    assert_row(r.out, "samples per second", "1");
    assert_row(r.out, "tokens per second", "10");
    assert_contains(r.out, "step-time model (given)");
    assert_contains(r.out, "breakdown: compute 100.0 %, optimizer 0.0 %");
    assert_not_contains(r.out, "MFU");
    run_free(&r);

    r = RUN("estimate", "--samples", "100", "--global-batch", "1", "--per-sample-s", "0.5",
            "--startup-s", "1000000");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_row(r.out, "overheads", "1000000 s (11 d 14 h)");
    assert_row(r.out, "epoch", "50 s");
    run_free(&r);
}

static void test_estimate_bad_floats_exit_2(void **state)
{
    (void)state;
    static const char *const bad[] = {"nan", "-1", "1e999", "abc", "inf", "", "0x1p3", "-0.5"};
    static const char *const names[] = {
        "per-sample-s",     "floor-s",          "optimizer-s",      "peak-flops-per-s",
        "efficiency",       "data-samples-per-s", "h2d-bytes-per-s", "bus-bytes-per-s",
        "latency-s",        "comm-overlap-ratio", "startup-s",       "flops-per-sample",
        "data-worker-startup-s",
    };
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            char flag[64];
            snprintf(flag, sizeof flag, "--%s", names[f]);
            struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "8",
                               "--fixed-s", "1", flag, (char *)bad[i], "--json");
            if (r.rc != CLI_EXIT_USAGE)
                print_error("%s '%s': %d %s", flag, bad[i], r.rc, r.err);
            assert_int_equal(r.rc, CLI_EXIT_USAGE);
            assert_contains(r.err, flag);
            assert_key_string(r.out, "error", "usage");
            run_free(&r);
        }
    }
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--fixed-s", "1",
                       "--data-overlap", "async");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "overlap, serial, workers");
    run_free(&r);
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--fixed-s", "1",
            "--grad-bytes", "1.5");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    run_free(&r);
}

static void test_estimate_library_errors_name_the_flag(void **state)
{
    (void)state;
    static const struct {
        char *args[10];
        int status;
        const char *flag;
    } cases[] = {
        {{"--per-sample-s", "0.01", "--comm-overlap-ratio", "1.5"}, TRAINEST_E_OUT_OF_RANGE,
         "comm-overlap-ratio"},
        {{"--params", "1000", "--seq-len", "10", "--peak-flops-per-s", "1e12", "--efficiency",
          "1.5"},
         TRAINEST_E_OUT_OF_RANGE, "efficiency"},
        {{"--params", "1000", "--seq-len", "10", "--peak-flops-per-s", "1e12"},
         TRAINEST_E_UNDERSPECIFIED, "efficiency"},
        {{"--params", "1000", "--peak-flops-per-s", "1e12", "--efficiency", "0.5"},
         TRAINEST_E_UNDERSPECIFIED, "tokens-per-sample"},
        {{"--params", "1000", "--flops-per-sample", "1e9", "--peak-flops-per-s", "1e12",
          "--efficiency", "0.5"},
         TRAINEST_E_INCONSISTENT, "flops-per-sample"},
        {{"--per-sample-s", "0.01", "--devices", "2", "--grad-bytes", "100"},
         TRAINEST_E_UNDERSPECIFIED, "bus-bytes-per-s"},
        {{"--per-sample-s", "0.01", "--devices", "4", "--grad-bytes", "100", "--bus-bytes-per-s",
          "1e9", "--devices-per-node", "2"},
         TRAINEST_E_UNDERSPECIFIED, "inter-node-bytes-per-s"},
        {{"--per-sample-s", "0.01", "--h2d-bytes-per-sample", "100"}, TRAINEST_E_UNDERSPECIFIED,
         "h2d-bytes-per-s"},
        {{"--per-sample-s", "0.01", "--data-samples-per-s", "10",
          "--data-samples-per-s-per-worker", "5"},
         TRAINEST_E_INCONSISTENT, "data-samples-per-s"},
        {{"--per-sample-s", "0"}, TRAINEST_E_UNDERSPECIFIED, "per-sample-s"},
        {{"--per-sample-s", "0.01", "--micro-batch", "3"}, TRAINEST_E_NOT_DIVISIBLE,
         "global-batch"},
        /* loader workers (0.7) */
        {{"--per-sample-s", "0.01", "--data-worker-startup-s", "0.1"}, TRAINEST_E_INCONSISTENT,
         "data-worker-startup-s"},
        {{"--per-sample-s", "0.01", "--data-overlap", "serial", "--data-persistent-workers"},
         TRAINEST_E_INCONSISTENT, "data-persistent-workers"},
        {{"--per-sample-s", "0.01", "--data-overlap", "workers"}, TRAINEST_E_ZERO, "data-workers"},
        {{"--per-sample-s", "0.01", "--data-overlap", "workers", "--data-workers", "4",
          "--data-samples-per-s-per-worker", "1e-320"},
         TRAINEST_E_OUT_OF_RANGE, "data-samples-per-s-per-worker"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[20] = {"trainest", "estimate", "--samples", "1000", "--global-batch", "8"};
        int argc = 6;
        for (int k = 0; k < 10 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        for (int json = 0; json < 2; json++) {
            if (json)
                argv[argc++] = "--json";
            struct run r = run_argv(argc, argv);
            char want[64];
            snprintf(want, sizeof want, "check --%s", cases[i].flag);
            if (r.rc != CLI_EXIT_FAILURE || !strstr(r.err, want))
                print_error("case %zu: %d %s", i, r.rc, r.err);
            assert_int_equal(r.rc, CLI_EXIT_FAILURE);
            assert_contains(r.err, want);
            assert_contains(r.err, trainest_status_name(cases[i].status));
            if (json) {
                assert_true(jc_valid(r.out));
                assert_key_string(r.out, "error", trainest_status_name(cases[i].status));
                assert_key_string(r.out, "field", cases[i].flag);
                argc--;
            } else {
                assert_string_equal(r.out, "");
            }
            run_free(&r);
        }
    }
}

static void test_estimate_usage_errors(void **state)
{
    (void)state;
    static const struct {
        char *args[10];
        const char *needle;
    } cases[] = {
        {{"--calibration", "x.csv", "--per-sample-s", "0.1"}, "--calibration fits --per-sample-s"},
        {{"--calibration", "x.csv", "--floor-s", "0.1"}, "--calibration fits --floor-s"},
        {{"--optimizer-s", "0.1"}, "no step-time model"},
        {{"--peak-flops-per-s", "1e12"}, "no step-time model"},
        {{"--per-sample-s", "0.1", "--efficiency", "0.5"}, "--efficiency is for the step time"},
        {{"--per-sample-s", "0.1", "--observed-step-s", "0.5"}, "--observed-step-s is for"},
        {{"--params", "10", "--seq-len", "4", "--peak-flops-per-s", "1e12", "--efficiency", "0.5",
          "--observed-step-s", "1"},
         "not both"},
        {{"--per-sample-s", "0.1", "--data-workers", "4"},
         "--data-workers needs --data-samples-per-s-per-worker"},
        {{"--per-sample-s", "0.1", "--recompute", "full"}, "--recompute needs --params"},
        {{"--per-sample-s", "0.1", "--micro-batch", "4", "--tradeoff"}, "--tradeoff tries"},
        {{"--per-sample-s", "0.1", "--tradeoff=yes"}, "takes no value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[20] = {"trainest", "estimate", "--samples", "1000", "--global-batch", "8"};
        int argc = 6;
        for (int k = 0; k < 10 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        struct run r = run_argv(argc, argv);
        if (r.rc != CLI_EXIT_USAGE || !strstr(r.err, cases[i].needle))
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_contains(r.err, cases[i].needle);
        assert_contains(r.err, "trainest estimate --help");
        run_free(&r);
    }
    /* plan does not take estimate flags */
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "8", "--per-sample-s", "1");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "unknown flag '--per-sample-s'");
    run_free(&r);
}

/* ---- estimate --tradeoff ----------------------------------------------------------- */

static void test_tradeoff_json(void **state)
{
    (void)state;
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "24",
                       "--max-micro-batch", "5", "--floor-s", "0.02", "--fixed-s", "0.004",
                       "--per-sample-s", "0.002", "--optimizer-s", "0.01", "--tradeoff", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_true(jc_valid(r.out));
    static const uint64_t divisors[] = {1, 2, 3, 4, 6, 8, 12, 24};
    const size_t nd = sizeof divisors / sizeof divisors[0];
    assert_int_equal(get_u64(r.out, "candidates"), nd);
    assert_int_equal(get_u64(r.out, "global_batch"), 24);
    assert_int_equal(get_u64(r.out, "recommended_micro_batch"), 4);
    assert_int_equal(get_u64(r.out, "recommended_grad_accum_steps"), 6);
    const char *pts = jc_member(r.out, "points");
    assert_int_equal(jc_array_len(pts), nd);
    double best = 0, rec = 0;
    uint64_t fastest = 0;
    for (size_t i = 0; i < nd; i++) {
        const char *p = jc_array_at(pts, i);
        const uint64_t m = get_u64(p, "micro_batch");
        assert_int_equal(m, divisors[i]);
        assert_int_equal(get_u64(p, "grad_accum_steps"), 24 / m);
        assert_int_equal(get_bool(p, "fits"), m <= 5);
        const double total = get_double(p, "total_s");
        assert_close(get_double(p, "step_s"),
                     model_step(&(struct truth){0.02, 0.004, 0.002, 0, 0.01}, (double)m,
                                (double)(24 / m)),
                     1e-12);
        if (m == 4)
            rec = total;
        if (m <= 5 && (!fastest || total <= best)) {
            best = total;
            fastest = m;
        }
    }
    assert_close(get_double(r.out, "recommended_total_s"), rec, 0);
    assert_int_equal(get_u64(r.out, "fastest_micro_batch"), fastest);
    assert_close(get_double(r.out, "fastest_total_s"), best, 0);
    run_free(&r);

    /* over devices: the divisors of G / R = 12; no cap: the largest */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "24", "--devices", "2",
            "--per-sample-s", "0.002", "--fixed-s", "0.01", "--tradeoff", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "candidates"), 6);
    assert_int_equal(get_u64(r.out, "data_parallel"), 2);
    assert_int_equal(get_u64(r.out, "recommended_micro_batch"), 12);
    assert_int_equal(get_u64(r.out, "recommended_grad_accum_steps"), 1);
    assert_int_equal(get_u64(jc_array_at(jc_member(r.out, "points"), 5), "micro_batch"), 12);
    run_free(&r);

    /* errors name the flag */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "24", "--per-sample-s", "0.002",
            "--comm-overlap-ratio", "2", "--tradeoff", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "field", "comm-overlap-ratio");
    run_free(&r);
    r = RUN("estimate", "--samples", "1000", "--per-sample-s", "0.002", "--tradeoff");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_contains(r.err, "check --global-batch");
    run_free(&r);
}

static void test_tradeoff_table(void **state)
{
    (void)state;
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "24",
                       "--max-micro-batch", "5", "--floor-s", "0.02", "--per-sample-s", "0.002",
                       "--tradeoff");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "global batch 24 on 1 data-parallel replica: 8 candidates, micro-batch cap 5");
    assert_contains(r.out, "micro batch  grad accum");
    assert_contains(r.out, "<- recommended");
    assert_contains(r.out, "recommended: micro-batch 4 x 6 accumulation steps");
    run_free(&r);
}

static void test_estimate_help_lists_every_flag(void **state)
{
    (void)state;
    static const char *const names[] = {
        "--samples", "--max-micro-batch", "--calibration", "--optimizer-s", "--floor-s",
        "--fixed-s", "--per-sample-s", "--launch-lag-s", "--params", "--tokens-per-sample",
        "--flops-per-sample", "--peak-flops-per-s", "--efficiency", "--observed-step-s",
        "--recompute", "--data-samples-per-s", "--data-samples-per-s-per-worker",
        "--data-workers", "--h2d-bytes-per-sample", "--h2d-bytes-per-s", "--data-overlap",
        "--data-worker-startup-s", "--data-persistent-workers",
        "--grad-bytes", "--bus-bytes-per-s", "--latency-s", "--devices-per-node",
        "--inter-node-bytes-per-s", "--comm-overlap-ratio", "--eval-s-per-epoch",
        "--checkpoint-s", "--checkpoints-per-epoch", "--startup-s", "--tradeoff", "--json",
    };
    struct run r = RUN("estimate", "--help");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_contains(r.out, names[i]);
    /* the help fits 80 columns, apart from the lists of names */
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "one of:"))
            assert_true(strlen(line) < 80);
    run_free(&r);

    r = RUN("help", "calibrate");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "--calibration FILE.csv");
    assert_contains(r.out, "--optimizer-s");
    assert_contains(r.out, "micro_batch, grad_accum and");
    assert_contains(r.out, "--loader FILE.csv");
    assert_contains(r.out, "samples_per_s_per_worker");
    assert_not_contains(r.out, "--samples");
    run_free(&r);

    r = RUN("--help");
    assert_contains(r.out, "estimate");
    assert_contains(r.out, "calibrate");
    run_free(&r);
}

/* ---- Model parallelism (issue 8) ---------------------------------------------------- */

static void test_plan_layout_keys(void **state)
{
    (void)state;
    /* without model parallelism the keys are there, all ones */
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "10", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "tensor_parallel"), 1);
    assert_int_equal(get_u64(r.out, "pipeline_parallel"), 1);
    assert_int_equal(get_u64(r.out, "virtual_stages"), 1);
    assert_int_equal(get_u64(r.out, "total_devices"), 1);
    assert_int_equal(get_u64(r.out, "micro_batches_per_step"), 1);
    run_free(&r);

    /* --devices is the data-parallel size: the devices are derived */
    r = RUN("plan", "--samples", "100000", "--global-batch", "512", "--micro-batch", "2",
            "--devices", "4", "--tensor-parallel", "8", "--pipeline-parallel", "2", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_plan_object(r.out);
    assert_int_equal(get_u64(r.out, "data_parallel"), 4);
    assert_int_equal(get_u64(r.out, "tensor_parallel"), 8);
    assert_int_equal(get_u64(r.out, "pipeline_parallel"), 2);
    assert_int_equal(get_u64(r.out, "total_devices"), 64);
    assert_int_equal(get_u64(r.out, "micro_batches_per_step"), 64); /* 512 / (2 x 4) */
    run_free(&r);

    /* --total-devices: the data-parallel size is derived, and the plan is the same */
    struct run t = RUN("plan", "--samples", "100000", "--global-batch", "512", "--micro-batch", "2",
                       "--total-devices", "64", "--tensor-parallel", "8", "--pipeline-parallel",
                       "2", "--json");
    r = RUN("plan", "--samples", "100000", "--global-batch", "512", "--micro-batch", "2",
            "--devices", "4", "--tensor-parallel", "8", "--pipeline-parallel", "2", "--json");
    assert_int_equal(t.rc, CLI_EXIT_OK);
    assert_string_equal(t.out, r.out);
    run_free(&t);
    run_free(&r);

    /* the same through the library */
    trainest_plan_request rq;
    trainest_plan_request_init(&rq, sizeof rq);
    rq.samples = 100000;
    rq.global_batch = 48;
    rq.micro_batch = 1;
    rq.devices = 8;
    rq.pipeline_parallel = 4;
    rq.virtual_stages = 2;
    rq.layers = 24;
    trainest_plan p;
    p.struct_size = sizeof p;
    assert_int_equal(trainest_plan_compute(&p, &rq), TRAINEST_OK);
    r = RUN("plan", "--samples", "100000", "--global-batch", "48", "--micro-batch", "1",
            "--total-devices", "8", "--pipeline-parallel", "4", "--virtual-stages", "2", "--layers",
            "24", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "virtual_stages"), 2);
    assert_int_equal(get_u64(r.out, "data_parallel"), p.data_parallel);
    assert_int_equal(get_u64(r.out, "micro_batches_per_step"), p.micro_batches_per_step);
    assert_int_equal(get_u64(r.out, "total_optimizer_steps"), p.total_optimizer_steps);
    run_free(&r);

    /* the table shows the layout, and calls the replicas what they are */
    r = RUN("plan", "--samples", "100000", "--global-batch", "512", "--micro-batch", "2",
            "--total-devices", "64", "--tensor-parallel", "8", "--pipeline-parallel", "2");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_row(r.out, "data-parallel replicas", "4");
    assert_row(r.out, "tensor parallel", "8");
    assert_row(r.out, "pipeline parallel", "2");
    assert_row(r.out, "total devices", "64");
    assert_row(r.out, "micro-batches per step", "64");
    run_free(&r);
}

/* A layout the model shape rejects gets a repair on the same devices, and
 * an estimate or memory model missing part of the shape says what is
 * missing, with no plan "repair" that changes nothing. */
static void test_model_shape_errors(void **state)
{
    (void)state;
    struct run r = RUN("plan", "--samples", "1000", "--global-batch", "64", "--micro-batch", "8",
                       "--total-devices", "8", "--pipeline-parallel", "4", "--layers", "10");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_contains(r.err, "check --layers");
    assert_contains(r.err, "nearest valid layouts:");
    assert_contains(r.err, "pipeline parallel");
    assert_null(strstr(r.err, "no valid layout found nearby"));
    run_free(&r);

    r = RUN("estimate", "--samples", "1000", "--global-batch", "64", "--micro-batch", "8",
            "--total-devices", "4", "--pipeline-parallel", "2", "--per-sample-s", "0.1",
            "--seq-len", "1024");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_contains(r.err, "TRAINEST_E_UNDERSPECIFIED");
    assert_contains(r.err, "a value it needs is missing");
    assert_contains(r.err, "check --hidden");
    assert_contains(r.err, "hint: tensor- and pipeline-parallel time needs the model shape");
    assert_null(strstr(r.err, "nearest valid plans"));
    assert_null(strstr(r.err, "for a plan, two of"));
    run_free(&r);

    r = RUN("estimate", "--samples", "1000", "--global-batch", "64", "--micro-batch", "8",
            "--total-devices", "4", "--pipeline-parallel", "2", "--per-sample-s", "0.1",
            "--seq-len", "1024", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_true(jc_valid(r.out));
    assert_key_string(r.out, "error", "TRAINEST_E_UNDERSPECIFIED");
    assert_key_string(r.out, "field", "hidden");
    assert_null(jc_member(r.out, "suggestions"));
    run_free(&r);

    r = RUN("estimate", "--samples", "1000", "--global-batch", "64", "--micro-batch", "8",
            "--total-devices", "4", "--tensor-parallel", "2", "--hidden", "768", "--layers", "12",
            "--seq-len", "1024", "--per-sample-s", "0.1", "--tp-bytes-per-s", "1e11",
            "--device-memory-bytes", "80000000000", "--params", "100000000");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_contains(r.err, "check --attention-heads");
    assert_contains(r.err, "hint: activations per sample come from");
    assert_null(strstr(r.err, "nearest valid plans"));
    run_free(&r);
}

static void test_plan_bad_layout_lists_layouts(void **state)
{
    (void)state;
    trainest_plan_request rq;
    trainest_plan_request_init(&rq, sizeof rq);
    rq.samples = 100000;
    rq.global_batch = 512;
    rq.micro_batch = 2;
    rq.devices = 100;
    rq.tensor_parallel = 8;
    rq.pipeline_parallel = 4;
    trainest_layout_suggestion s[5];
    s[0].struct_size = sizeof s[0];
    uint32_t n = 0;
    assert_int_equal(trainest_layout_suggest(s, 5, &n, &rq), TRAINEST_OK);
    assert_true(n >= 1);

    struct run r = RUN("plan", "--samples", "100000", "--global-batch", "512", "--micro-batch",
                       "2", "--total-devices", "100", "--tensor-parallel", "8",
                       "--pipeline-parallel", "4");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_string_equal(r.out, "");
    assert_contains(r.err, "TRAINEST_E_BAD_LAYOUT");
    assert_contains(r.err, "check --total-devices");
    assert_contains(r.err, "nearest valid layouts:");
    assert_contains(r.err, "devices  data parallel  tensor parallel  pipeline parallel  changed");
    char *line = strstr(r.err, "changed\n");
    assert_non_null(line);
    uint64_t v[4];
    assert_int_equal(sscanf(line + 8, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &v[0],
                            &v[1], &v[2], &v[3]),
                     4);
    assert_int_equal(v[0], s[0].devices);
    assert_int_equal(v[1], s[0].data_parallel);
    assert_int_equal(v[2], s[0].tensor_parallel);
    assert_int_equal(v[3], s[0].pipeline_parallel);
    run_free(&r);

    r = RUN("plan", "--samples", "100000", "--global-batch", "512", "--micro-batch", "2",
            "--total-devices", "100", "--tensor-parallel", "8", "--pipeline-parallel", "4",
            "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_true(jc_valid(r.out));
    assert_key_string(r.out, "error", "TRAINEST_E_BAD_LAYOUT");
    assert_key_string(r.out, "field", "total-devices");
    const char *sugg = jc_member(r.out, "suggestions");
    assert_int_equal(jc_array_len(sugg), n);
    for (uint32_t i = 0; i < n; i++) {
        const char *o = jc_array_at(sugg, i);
        assert_int_equal(get_u64(o, "devices"), s[i].devices);
        assert_int_equal(get_u64(o, "data_parallel"), s[i].data_parallel);
        assert_int_equal(get_u64(o, "tensor_parallel"), s[i].tensor_parallel);
        assert_int_equal(get_u64(o, "pipeline_parallel"), s[i].pipeline_parallel);
        const char *changed = jc_member(o, "changed");
        assert_true(jc_array_len(changed) >= 1);
        static const struct {
            uint32_t bit;
            const char *key;
        } bits[] = {{TRAINEST_CHANGED_DEVICES, "devices"},
                    {TRAINEST_CHANGED_TENSOR_PARALLEL, "tensor_parallel"},
                    {TRAINEST_CHANGED_PIPELINE_PARALLEL, "pipeline_parallel"}};
        long k = 0;
        for (size_t b = 0; b < 3; b++) {
            if (!(s[i].changed & bits[b].bit))
                continue;
            char name[64];
            assert_true(jc_string(jc_array_at(changed, (size_t)k++), name, sizeof name));
            assert_string_equal(name, bits[b].key);
        }
        assert_int_equal(jc_array_len(changed), k);
    }
    run_free(&r);

    /* the model shape must split too; each error names its flag */
    static const struct {
        char *args[6];
        int status;
        const char *flag;
    } cases[] = {
        {{"--pipeline-parallel", "4", "--layers", "30"}, TRAINEST_E_BAD_LAYOUT, "layers"},
        {{"--tensor-parallel", "8", "--hidden", "4100"}, TRAINEST_E_BAD_LAYOUT, "hidden"},
        {{"--tensor-parallel", "8", "--attention-heads", "12"}, TRAINEST_E_BAD_LAYOUT,
         "attention-heads"},
        {{"--virtual-stages", "2"}, TRAINEST_E_BAD_LAYOUT, "virtual-stages"},
        /* interleaving: 2 micro-batches per step, not a multiple of PP 4 */
        {{"--pipeline-parallel", "4", "--virtual-stages", "2"}, TRAINEST_E_NOT_DIVISIBLE,
         "virtual-stages"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[20] = {"trainest", "plan", "--samples", "1000", "--global-batch", "64",
                          "--micro-batch", "16", "--total-devices", "8"};
        int argc = 10;
        for (int k = 0; k < 6 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        argv[argc++] = "--json";
        r = run_argv(argc, argv);
        if (r.rc != CLI_EXIT_FAILURE)
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", trainest_status_name(cases[i].status));
        assert_key_string(r.out, "field", cases[i].flag);
        char want[64];
        snprintf(want, sizeof want, "check --%s", cases[i].flag);
        assert_contains(r.err, want);
        run_free(&r);
    }
}

/* The estimate of a model-parallel plan, through the library. */
static void mp_requests(trainest_plan_request *prq, trainest_estimate_request *erq)
{
    trainest_plan_request_init(prq, sizeof *prq);
    prq->samples = 100000;
    prq->global_batch = 512;
    prq->micro_batch = 2;
    prq->devices = 64;
    prq->tensor_parallel = 8;
    prq->pipeline_parallel = 2;
    prq->layers = 32;
    prq->hidden = 4096;
    prq->seq_len_tokens = 2048;
    trainest_estimate_request_init(erq, sizeof *erq);
    erq->per_sample_s = 0.05;
    erq->fixed_s = 0.001;
    erq->bus_bytes_per_s = 2e11;
    erq->p2p_bytes_per_s = 5e10;
    erq->grad_bytes = 14000000000u;
    erq->latency_s = 1e-6;
}

#define MP_ARGS                                                                                   \
    "--samples", "100000", "--global-batch", "512", "--micro-batch", "2", "--total-devices", "64", \
        "--tensor-parallel", "8", "--pipeline-parallel", "2", "--layers", "32", "--hidden",        \
        "4096", "--seq-len", "2048", "--per-sample-s", "0.05", "--fixed-s", "0.001",               \
        "--bus-bytes-per-s", "2e11", "--p2p-bytes-per-s", "5e10", "--grad-bytes", "14000000000",   \
        "--latency-s", "1e-6"

static void test_estimate_model_parallel_keys(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    mp_requests(&prq, &erq);
    trainest_estimate e;
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(&e, &prq, &erq), TRAINEST_OK);
    assert_true(e.bubble_s > 0 && e.tp_comm_s > 0 && e.p2p_s > 0);

    struct run r = RUN("estimate", MP_ARGS, "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_plan_object(r.out);
    for (size_t i = 0; i < sizeof estimate_keys / sizeof estimate_keys[0]; i++)
        (void)get_double(r.out, estimate_keys[i]);
    assert_breakdown_sums(r.out);
    assert_int_equal(get_u64(r.out, "tensor_parallel"), 8);
    assert_int_equal(get_u64(r.out, "pipeline_parallel"), 2);
    assert_int_equal(get_u64(r.out, "total_devices"), 64);
    assert_int_equal(get_u64(r.out, "micro_batches_per_step"), 64);
    assert_close(get_double(r.out, "total_s"), e.total_s, 1e-12);
    assert_close(get_double(r.out, "bubble_ratio"), e.bubble_ratio, 1e-12);
    assert_close(get_double(r.out, "bubble_ratio"), 1.0 / 64, 1e-12);
    assert_close(get_double(r.out, "stage_s"), e.stage_s, 1e-12);
    assert_close(get_double(r.out, "bubble_s"), e.bubble_s, 1e-12);
    assert_close(get_double(r.out, "tp_comm_s"), e.tp_comm_s, 1e-12);
    assert_close(get_double(r.out, "p2p_s"), e.p2p_s, 1e-12);
    run_free(&r);

    /* every new flag reaches the library */
    erq.activation_bytes_per_element = 4;
    erq.tp_bytes_per_s = 1e11;
    erq.recompute = TRAINEST_RECOMPUTE_FULL;
    prq.virtual_stages = 2;
    assert_int_equal(trainest_estimate_run(&e, &prq, &erq), TRAINEST_OK);
    r = RUN("estimate", MP_ARGS, "--activation-bytes-per-element", "4", "--tp-bytes-per-s", "1e11",
            "--recompute", "full", "--virtual-stages", "2", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_breakdown_sums(r.out);
    assert_close(get_double(r.out, "total_s"), e.total_s, 1e-12);
    assert_close(get_double(r.out, "tp_comm_s"), e.tp_comm_s, 1e-12);
    assert_close(get_double(r.out, "bubble_ratio"), 1.0 / 128, 1e-12);
    run_free(&r);

    /* the activation bytes given instead of the shape's (0.6) */
    trainest_plan_request bare = prq;
    bare.hidden = 0;
    trainest_estimate_request given_bytes = erq;
    given_bytes.comm_activation_bytes_per_sample = prq.seq_len_tokens * prq.hidden * 4;
    given_bytes.activation_bytes_per_element = 0;
    trainest_estimate e2;
    e2.struct_size = sizeof e2;
    assert_int_equal(trainest_estimate_run(&e2, &bare, &given_bytes), TRAINEST_OK);
    assert_close(e2.total_s, e.total_s, 1e-9 * e.total_s);
    char bytes[32];
    snprintf(bytes, sizeof bytes, "%" PRIu64, given_bytes.comm_activation_bytes_per_sample);
    r = RUN("estimate", MP_ARGS, "--comm-activation-bytes-per-sample", bytes, "--tp-bytes-per-s",
            "1e11", "--recompute", "full", "--virtual-stages", "2", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "total_s"), e2.total_s, 1e-12);
    assert_close(get_double(r.out, "tp_comm_s"), e2.tp_comm_s, 1e-12);
    run_free(&r);

    /* Megatron FLOPs from the shape and selective recompute */
    erq.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    erq.per_sample_s = 0;
    erq.step_source = TRAINEST_STEP_SOURCE_ANALYTIC;
    erq.peak_flops_per_s = 989e12;
    erq.efficiency_ratio = 0.5;
    prq.vocab = 51200;
    assert_int_equal(trainest_estimate_run(&e, &prq, &erq), TRAINEST_OK);
    r = RUN("estimate", "--samples", "100000", "--global-batch", "512", "--micro-batch", "2",
            "--total-devices", "64", "--tensor-parallel", "8", "--pipeline-parallel", "2",
            "--layers", "32", "--hidden", "4096", "--seq-len", "2048", "--vocab", "51200",
            "--fixed-s", "0.001", "--bus-bytes-per-s", "2e11", "--p2p-bytes-per-s", "5e10",
            "--grad-bytes", "14000000000", "--latency-s", "1e-6", "--activation-bytes-per-element",
            "4", "--tp-bytes-per-s", "1e11", "--recompute", "selective", "--virtual-stages", "2",
            "--peak-flops-per-s", "989e12", "--efficiency", "0.5", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close(get_double(r.out, "flops_per_sample"), e.flops_per_sample, 1e-12);
    assert_close(get_double(r.out, "total_s"), e.total_s, 1e-12);
    run_free(&r);

    /* the table shows the pipeline */
    r = RUN("estimate", MP_ARGS);
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "pipeline bubble");
    assert_contains(r.out, "tensor-parallel all-reduce");
    assert_contains(r.out, "pipeline transfers");
    assert_contains(r.out, "bubble ");
    run_free(&r);
    /* and without a pipeline it does not */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--per-sample-s", "0.01");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_not_contains(r.out, "pipeline");
    run_free(&r);
}

static void test_estimate_model_parallel_errors(void **state)
{
    (void)state;
    static const struct {
        char *args[12];
        int status;
        const char *flag;
    } cases[] = {
        /* tensor parallelism needs the hidden size, the layers and a bandwidth */
        {{"--tensor-parallel", "2", "--seq-len", "16", "--layers", "2", "--bus-bytes-per-s", "1e9"},
         TRAINEST_E_UNDERSPECIFIED,
         "hidden"},
        {{"--tensor-parallel", "2", "--seq-len", "16", "--hidden", "64", "--bus-bytes-per-s",
          "1e9"},
         TRAINEST_E_UNDERSPECIFIED,
         "layers"},
        {{"--tensor-parallel", "2", "--seq-len", "16", "--hidden", "64", "--layers", "2"},
         TRAINEST_E_UNDERSPECIFIED,
         "tp-bytes-per-s"},
        {{"--pipeline-parallel", "2", "--seq-len", "16", "--hidden", "64", "--layers", "2"},
         TRAINEST_E_UNDERSPECIFIED,
         "p2p-bytes-per-s"},
        {{"--pipeline-parallel", "2", "--hidden", "64", "--layers", "2", "--p2p-bytes-per-s",
          "1e9"},
         TRAINEST_E_UNDERSPECIFIED,
         "seq-len"},
        {{"--tensor-parallel", "3", "--total-devices", "8"}, TRAINEST_E_BAD_LAYOUT,
         "total-devices"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[24] = {"trainest", "estimate", "--samples", "1000", "--global-batch", "8",
                          "--per-sample-s", "0.01", "--json"};
        int argc = 9;
        for (int k = 0; k < 12 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        struct run r = run_argv(argc, argv);
        if (r.rc != CLI_EXIT_FAILURE || !strstr(r.out, cases[i].flag))
            print_error("case %zu: %d %s %s", i, r.rc, r.out, r.err);
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", trainest_status_name(cases[i].status));
        assert_key_string(r.out, "field", cases[i].flag);
        run_free(&r);
    }
    /* selective is a recompute mode; a bad name lists the three */
    struct run r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--per-sample-s",
                       "0.01", "--params", "1000", "--recompute", "some");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "not one of none, selective, full");
    run_free(&r);
    /* --recompute with the model shape alone is fine */
    r = RUN("estimate", "--samples", "1000", "--global-batch", "8", "--per-sample-s", "0.01",
            "--layers", "2", "--recompute", "selective");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    run_free(&r);
}

/* ---- fit-memory (issue 4) ------------------------------------------------------------ */

/* A file of peaks on the line static + per_sample x m, for the given m. */
static void write_peaks(char path[512], uint64_t static_bytes, uint64_t per_sample,
                        const uint64_t *m, size_t n)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fputs("# measured peaks\nmicro_batch,peak_bytes\n", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%" PRIu64 ",%" PRIu64 "\n", m[i], static_bytes + per_sample * m[i]);
    fclose(f);
    temp_file(path, text, len);
    free(text);
}

static const uint64_t peak_m[] = {1, 2, 4, 8, 16, 32, 64, 128};

static void test_fit_memory_recovers_parameters(void **state)
{
    (void)state;
    const uint64_t S = 2336000000u, P = 962600000u;
    char path[512];
    write_peaks(path, S, P, peak_m, 8);
    struct run r = RUN("fit-memory", "--points", path, "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_int_equal(get_u64(r.out, "static_bytes"), S);
    assert_int_equal(get_u64(r.out, "per_sample_bytes"), P);
    assert_true(get_double(r.out, "max_residual_ratio") < 1e-12);
    assert_int_equal(get_u64(r.out, "points"), 8);
    assert_null(jc_member(r.out, "max_micro_batch")); /* no device memory given */
    run_free(&r);

    /* the boundary: a micro-batch exactly at the limit fits, one more does not */
    for (uint64_t k = 150; k <= 156; k += 3) {
        char d[32];
        for (int minus = 0; minus < 2; minus++) {
            snprintf(d, sizeof d, "%" PRIu64, S + P * k - (uint64_t)minus);
            r = RUN("fit-memory", "--points", path, "--device-memory-bytes", d, "--json");
            assert_int_equal(r.rc, CLI_EXIT_OK);
            assert_int_equal(get_u64(r.out, "max_micro_batch"), k - (uint64_t)minus);
            assert_int_equal(get_u64(r.out, "budget_bytes"), S + P * k - (uint64_t)minus);
            run_free(&r);
        }
    }
    /* with headroom, as the library computes it */
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.static_bytes = S;
    mrq.activation_bytes_per_sample = P;
    mrq.device_memory_bytes = 150109880320u;
    mrq.headroom_ratio = 0.1;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_compute(&m, &mrq, 0, 1), TRAINEST_OK);
    r = RUN("fit-memory", "--points", path, "--device-memory-bytes", "150109880320",
            "--headroom-ratio", "0.1", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "max_micro_batch"), m.max_micro_batch);
    assert_int_equal(get_u64(r.out, "max_micro_batch"), 137); /* docs/memory.md */
    assert_int_equal(get_u64(r.out, "budget_bytes"), m.budget_bytes);
    run_free(&r);

    /* the table, and the flags to use it */
    r = RUN("fit-memory", "--points", path, "--device-memory-bytes", "150109880320");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_row(r.out, "static", "2336000000 B (2.336 GB)");
    assert_row(r.out, "largest micro-batch that fits", "153");
    assert_contains(r.out, "--static-bytes 2336000000 --activation-bytes-per-sample 962600000");
    run_free(&r);

    /* one wild point does not move the robust fit */
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs("48,99999999999\n", f);
    fclose(f);
    r = RUN("fit-memory", "--points", path, "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_close((double)get_u64(r.out, "per_sample_bytes"), (double)P, 1e-6);
    run_free(&r);
    unlink(path);
}

static void test_fit_memory_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t line;
        const char *needle;
    } cases[] = {
        {"micro_batch,peak_bytes\n1,100\n2,abc\n", 3, "peak_bytes 'abc'"},
        {"micro_batch,peak_bytes\n1,100\n2,1.5e9\n", 3, "not a whole number"},
        {"micro_batch,peak_bytes\n0,100\n", 2, "micro_batch is 0"},
        {"micro_batch,peak_bytes\n1,0\n", 2, "peak_bytes is 0"},
        {"micro_batch,peak_bytes\n1\n", 2, "1 field, but the header has 2"},
        {"micro_batch,step_s\n1,2\n", 1, "no column 'peak_bytes' (it needs micro_batch and "
                                         "peak_bytes)"},
        {"", 1, "no header line: expected the columns micro_batch and peak_bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512], want[600];
        temp_text(path, cases[i].text);
        snprintf(want, sizeof want, "%s:%" PRIu64 ": ", path, cases[i].line);
        struct run r = RUN("fit-memory", "--points", path, "--json");
        if (r.rc != CLI_EXIT_USAGE || strncmp(r.err, want, strlen(want)) != 0)
            print_error("case %zu: rc %d, err: %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_true(strncmp(r.err, want, strlen(want)) == 0);
        assert_contains(r.err, cases[i].needle);
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", "input");
        assert_int_equal(get_u64(r.out, "line"), cases[i].line);
        run_free(&r);
        /* search reads --memory-points the same way */
        r = RUN("search", "--samples", "100", "--global-batch", "4", "--per-sample-s", "0.1",
                "--memory-points", path);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_true(strncmp(r.err, want, strlen(want)) == 0);
        run_free(&r);
        unlink(path);
    }

    /* the library's objections: exit 1, naming the flag */
    static const struct {
        const char *text;
        int status;
        const char *needle;
    } lib[] = {
        {"micro_batch,peak_bytes\n4,100\n4,120\n", TRAINEST_E_TOO_FEW_POINTS,
         "two different micro_batch"},
        {"micro_batch,peak_bytes\n1,1000\n2,900\n4,700\n", TRAINEST_E_UNIDENTIFIABLE,
         "shrinks with the micro-batch"},
    };
    for (size_t i = 0; i < sizeof lib / sizeof lib[0]; i++) {
        char path[512];
        temp_text(path, lib[i].text);
        struct run r = RUN("fit-memory", "--points", path);
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_contains(r.err, trainest_status_name(lib[i].status));
        assert_contains(r.err, "check --points");
        assert_contains(r.err, lib[i].needle);
        run_free(&r);
        r = RUN("fit-memory", "--points", path, "--json");
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_true(jc_valid(r.out));
        assert_key_string(r.out, "error", trainest_status_name(lib[i].status));
        assert_key_string(r.out, "field", "points");
        run_free(&r);
        r = RUN("search", "--samples", "100", "--global-batch", "4", "--per-sample-s", "0.1",
                "--memory-points", path, "--json");
        assert_int_equal(r.rc, CLI_EXIT_FAILURE);
        assert_key_string(r.out, "field", "memory-points");
        run_free(&r);
        unlink(path);
    }

    struct run r = RUN("fit-memory", "--points", "/nonexistent/peaks.csv");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "/nonexistent/peaks.csv: cannot open");
    run_free(&r);
    r = RUN("fit-memory", "--device-memory-bytes", "100");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "missing required flag --points");
    run_free(&r);
    r = RUN("fit-memory", "--points", "x.csv", "--headroom-ratio", "0.1");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "--headroom-ratio needs --device-memory-bytes");
    run_free(&r);
    r = RUN("fit-memory", "--points", "x.csv", "--samples", "10");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "unknown flag '--samples'");
    run_free(&r);
}

static void test_csv_memory_reader(void **state)
{
    (void)state;
    trainest_memory_point pts[3];
    uint64_t lines[3];
    uint32_t n = 99;
    char err[256];
    static const char text[] = "\xEF\xBB\xBFpeak_bytes , note, micro_batch\r\n"
                               "\r\n"
                               "# c\n"
                               " 1000 , x , 2\n"
                               "3000,,8";
    assert_int_equal(csv_read_memory_points(text, sizeof text - 1, pts, 3, &n, lines, err,
                                            sizeof err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(pts[0].struct_size, sizeof pts[0]);
    assert_int_equal(pts[0].micro_batch, 2);
    assert_int_equal(pts[0].peak_bytes, 1000);
    assert_int_equal(lines[0], 4);
    assert_int_equal(pts[1].micro_batch, 8);
    assert_int_equal(pts[1].peak_bytes, 3000);
    assert_int_equal(lines[1], 5);
    static const char four[] = "micro_batch,peak_bytes\n1,1\n2,2\n3,3\n4,4\n";
    assert_int_equal(csv_read_memory_points(four, sizeof four - 1, pts, 3, &n, NULL, err,
                                            sizeof err),
                     5);
    assert_contains(err, "more than 3 points");
}

/* ---- search (issue 4) ------------------------------------------------------------------ */

#define SEARCH_TIME                                                                             \
    "--samples", "10000", "--floor-s", "0.018", "--fixed-s", "0.004", "--per-sample-s", "0.004", \
        "--launch-lag-s", "0.006", "--optimizer-s", "0.002", "--grad-bytes", "248000000",        \
        "--bus-bytes-per-s", "2e11"

static void search_time(trainest_plan_request *prq, trainest_estimate_request *erq)
{
    trainest_plan_request_init(prq, sizeof *prq);
    prq->samples = 10000;
    trainest_estimate_request_init(erq, sizeof *erq);
    erq->floor_s = 0.018;
    erq->fixed_s = 0.004;
    erq->per_sample_s = 0.004;
    erq->launch_lag_s = 0.006;
    erq->optimizer_s = 0.002;
    erq->grad_bytes = 248000000;
    erq->bus_bytes_per_s = 2e11;
}

/* The search's JSON against the library's results. */
static void assert_search_matches(const char *out, const trainest_search *s,
                                  const trainest_search_result *r, uint32_t n)
{
    assert_true(jc_valid(out));
    const char *plans = jc_member(out, "plans");
    assert_int_equal(jc_array_len(plans), n);
    for (uint32_t i = 0; i < n; i++) {
        const char *p = jc_array_at(plans, i);
        assert_plan_object(p);
        assert_int_equal(get_u64(p, "global_batch"), r[i].global_batch);
        assert_int_equal(get_u64(p, "micro_batch"), r[i].micro_batch);
        assert_int_equal(get_u64(p, "grad_accum_steps"), r[i].grad_accum_steps);
        assert_int_equal(get_u64(p, "data_parallel"), r[i].data_parallel);
        assert_int_equal(get_u64(p, "tensor_parallel"), r[i].tensor_parallel);
        assert_int_equal(get_u64(p, "pipeline_parallel"), r[i].pipeline_parallel);
        assert_int_equal(get_u64(p, "total_optimizer_steps"), r[i].total_optimizer_steps);
        assert_int_equal(get_u64(p, "memory_bytes"), r[i].memory_bytes);
        assert_true(get_double(p, "total_s") == r[i].total_s);
        assert_true(get_double(p, "step_s") == r[i].step_s);
        assert_true(get_double(p, "headroom_ratio") == r[i].headroom_ratio);
    }
    const char *rej = jc_member(out, "rejected");
    assert_int_equal(get_u64(rej, "does_not_fit"), s->rejected_does_not_fit);
    assert_int_equal(get_u64(rej, "not_divisible"), s->rejected_not_divisible);
    assert_int_equal(get_u64(rej, "overflow"), s->rejected_overflow);
    assert_int_equal(get_u64(rej, "no_steps"), s->rejected_no_steps);
    assert_int_equal(get_u64(rej, "duplicates"), s->duplicates);
    assert_int_equal(get_u64(out, "candidates_evaluated"), s->candidates_evaluated);
    assert_int_equal(get_u64(out, "feasible"), s->feasible);
}

static void test_search_matches_library(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    search_time(&prq, &erq);
    prq.divisibility = TRAINEST_DIVISIBILITY_ROUND_DOWN;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 124000000;
    mrq.zero_stage = 1;
    mrq.weight_bits_per_param = 32;
    mrq.grad_bits_per_param = 4; /* 0.5 bytes */
    mrq.optimizer_bits_per_param = 64;
    mrq.overhead_bytes = 345000000;
    mrq.activation_bytes_per_sample = 962600000;
    mrq.device_memory_bytes = 80000000000u;
    mrq.headroom_ratio = 0.05;
    trainest_search_request sr;
    trainest_search_request_init(&sr, sizeof sr);
    sr.global_batch_min = 64;
    sr.global_batch_max = 256;
    sr.global_batch_step = 32;
    sr.max_devices = 4;
    trainest_search_result r[7];
    r[0].struct_size = sizeof r[0];
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t n = 0;
    assert_int_equal(trainest_search_run(&s, r, 7, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(n, 7);
    assert_true(s.rejected_does_not_fit > 0 && s.duplicates > 0);

    struct run o = RUN("search", SEARCH_TIME, "--divisibility", "down", "--params", "124000000",
                       "--zero-stage", "1", "--bytes-per-param-weights", "4",
                       "--bytes-per-param-grads", "0.5", "--bytes-per-param-optimizer", "8",
                       "--overhead-bytes", "345000000", "--activation-bytes-per-sample",
                       "962600000", "--device-memory-bytes", "80000000000", "--headroom-ratio",
                       "0.05", "--global-batch-range", "64:256:32", "--max-devices", "4", "--top",
                       "7", "--json");
    assert_int_equal(o.rc, CLI_EXIT_OK);
    assert_search_matches(o.out, &s, r, n);
    /* --params is the time model's too: FLOPs per sample without a peak change nothing */
    assert_key_string(jc_array_at(jc_member(o.out, "plans"), 0), "divisibility", "error");
    run_free(&o);

    /* the table: the plans and the rejections */
    o = RUN("search", SEARCH_TIME, "--divisibility", "down", "--params", "124000000",
            "--zero-stage", "1", "--bytes-per-param-weights", "4", "--bytes-per-param-grads",
            "0.5", "--bytes-per-param-optimizer", "8", "--overhead-bytes", "345000000",
            "--activation-bytes-per-sample", "962600000", "--device-memory-bytes",
            "80000000000", "--headroom-ratio", "0.05", "--global-batch-range", "64:256:32",
            "--max-devices", "4", "--top", "7");
    assert_int_equal(o.rc, CLI_EXIT_OK);
    assert_contains(o.out, "#  global  micro  accum  DP  TP  PP");
    assert_contains(o.out, "headroom");
    char want[256];
    snprintf(want, sizeof want,
             "rejected: does not fit %" PRIu64 ", not divisible %" PRIu64 ", overflow %" PRIu64
             ", no steps %" PRIu64 ", duplicates %" PRIu64,
             s.rejected_does_not_fit, s.rejected_not_divisible, s.rejected_overflow,
             s.rejected_no_steps, s.duplicates);
    assert_contains(o.out, want);
    /* every row has the header's columns, right-aligned to the same end */
    const char *head = o.out, *row1 = strchr(head, '\n') + 1;
    assert_int_equal(strchr(row1, '\n') - row1, strchr(head, '\n') - head);
    run_free(&o);

    /* the default K is 10; one global batch; fitted peaks as the memory model */
    const uint64_t S = 2336000000u, P = 962600000u;
    char path[512];
    write_peaks(path, S, P, peak_m, 8);
    mrq.params = 0;
    mrq.zero_stage = 0;
    mrq.weight_bits_per_param = 16;
    mrq.grad_bits_per_param = 16;
    mrq.optimizer_bits_per_param = 96;
    mrq.overhead_bytes = 0;
    mrq.static_bytes = S;
    mrq.activation_bytes_per_sample = P;
    mrq.headroom_ratio = 0;
    sr.global_batch_min = sr.global_batch_max = sr.global_batch_step = 0;
    prq.global_batch = 256;
    prq.divisibility = TRAINEST_DIVISIBILITY_ERROR;
    trainest_search_result r10[10];
    r10[0].struct_size = sizeof r10[0];
    assert_int_equal(trainest_search_run(&s, r10, 10, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    o = RUN("search", SEARCH_TIME, "--global-batch", "256", "--memory-points", path,
            "--device-memory-bytes", "80000000000", "--max-devices", "4", "--json");
    assert_int_equal(o.rc, CLI_EXIT_OK);
    assert_search_matches(o.out, &s, r10, n);
    run_free(&o);
    /* the same with the measured numbers given */
    o = RUN("search", SEARCH_TIME, "--global-batch", "256", "--static-bytes", "2336000000",
            "--activation-bytes-per-sample", "962600000", "--device-memory-bytes", "80000000000",
            "--max-devices", "4", "--json");
    assert_int_equal(o.rc, CLI_EXIT_OK);
    assert_search_matches(o.out, &s, r10, n);
    run_free(&o);
    unlink(path);

    /* nothing fits */
    o = RUN("search", SEARCH_TIME, "--global-batch", "256", "--static-bytes", "2336000000",
            "--activation-bytes-per-sample", "962600000", "--device-memory-bytes", "1000");
    assert_int_equal(o.rc, CLI_EXIT_OK);
    assert_contains(o.out, "no feasible plan");
    run_free(&o);
}

static void test_search_model_parallel(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    search_time(&prq, &erq);
    prq.global_batch = 64;
    prq.layers = 8;
    prq.hidden = 1024;
    prq.attention_heads = 16;
    prq.seq_len_tokens = 1024;
    erq.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    erq.params = 350000000;
    erq.devices_per_node = 4; /* one flag: the time model's nodes and the search's */
    erq.inter_node_bytes_per_s = 2.5e10;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 350000000;
    mrq.recompute = TRAINEST_RECOMPUTE_SELECTIVE;
    mrq.device_memory_bytes = 16000000000u;
    trainest_search_request sr;
    trainest_search_request_init(&sr, sizeof sr);
    sr.max_devices = 8;
    sr.max_tensor_parallel = 4;
    sr.max_pipeline_parallel = 4;
    sr.devices_per_node = 4;
    trainest_search_result r[20];
    r[0].struct_size = sizeof r[0];
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t n = 0;
    assert_int_equal(trainest_search_run(&s, r, 20, &n, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    bool model_parallel = false;
    for (uint32_t i = 0; i < n; i++)
        model_parallel = model_parallel || r[i].tensor_parallel > 1 || r[i].pipeline_parallel > 1;
    assert_true(n == 20 && model_parallel);

    struct run o = RUN("search", SEARCH_TIME, "--global-batch", "64", "--layers", "8", "--hidden",
                       "1024", "--attention-heads", "16", "--seq-len", "1024", "--recompute",
                       "selective", "--params", "350000000", "--device-memory-bytes",
                       "16000000000", "--max-devices", "8", "--max-tensor-parallel", "4",
                       "--max-pipeline-parallel", "4", "--devices-per-node", "4",
                       "--inter-node-bytes-per-s", "2.5e10", "--top", "20", "--json");
    assert_int_equal(o.rc, CLI_EXIT_OK);
    assert_search_matches(o.out, &s, r, n);
    run_free(&o);
}

static void test_search_usage_errors(void **state)
{
    (void)state;
    static const struct {
        char *args[6];
        const char *needle;
    } cases[] = {
        {{"--devices", "2"}, "takes no --devices: the search tries every data-parallel size"},
        {{"--micro-batch", "2"}, "takes no --micro-batch"},
        {{"--tensor-parallel", "2"}, "--max-tensor-parallel"},
        {{"--total-devices", "8"}, "takes no --total-devices"},
        {{"--tradeoff"}, "unknown flag '--tradeoff'"},
        {{"--top", "0"}, "--top: 0 is not in 1..100000"},
        {{"--top", "100001"}, "is not in 1..100000"},
        {{"--global-batch-range", "8:4"}, "MAX is below MIN"},
        {{"--global-batch-range", "8"}, "is not MIN:MAX[:STEP]"},
        {{"--global-batch-range", "1:2:3:4"}, "is not MIN:MAX[:STEP]"},
        {{"--global-batch-range", "0:8"}, "part 1 is out of range"},
        {{"--global-batch-range", "4:x"}, "part 2 is not valid"},
        {{"--global-batch-range", "4:8:"}, "part 3 is not valid"},
        {{"--global-batch-range", "4:8", "--global-batch", "4"}, "not both"},
        {{"--bytes-per-param-weights", "0.1", "--params", "10"}, "not a whole number of bits"},
        {{"--bytes-per-param-grads", "-2", "--params", "10"}, "is negative"},
        {{"--bytes-per-param-optimizer", "1e10", "--params", "10"}, "out of range"},
        {{"--zero-stage", "4", "--params", "10"}, "not one of 0, 1, 2, 3"},
        {{"--zero-stage", "1"}, "--zero-stage needs --params"},
        {{"--static-bytes", "10", "--zero-stage", "1"}, "--zero-stage describes the model"},
        {{"--memory-points", "x.csv", "--static-bytes", "10"}, "not both"},
        {{"--memory-points", "x.csv", "--activation-bytes-per-sample", "10"}, "not both"},
        {{"--headroom-ratio", "0.1"}, "--headroom-ratio needs --device-memory-bytes"},
        {{"--max-devices", "0"}, "0 devices cannot train"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[24] = {"trainest", "search", "--samples", "1000", "--per-sample-s", "0.01"};
        int argc = 6;
        bool batch = false;
        for (int k = 0; k < 6 && cases[i].args[k]; k++) {
            batch = batch || strstr(cases[i].args[k], "global-batch");
            argv[argc++] = cases[i].args[k];
        }
        if (!batch) {
            argv[argc++] = "--global-batch";
            argv[argc++] = "8";
        }
        struct run r = run_argv(argc, argv);
        if (r.rc != CLI_EXIT_USAGE || !strstr(r.err, cases[i].needle))
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_contains(r.err, cases[i].needle);
        assert_contains(r.err, "trainest search --help");
        run_free(&r);
    }
    struct run r = RUN("search", "--samples", "1000", "--per-sample-s", "0.01");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "give --global-batch G or --global-batch-range");
    run_free(&r);
    /* the library's objections name the flag */
    r = RUN("search", "--samples", "1000", "--per-sample-s", "0.01", "--global-batch", "8",
            "--device-memory-bytes", "100", "--headroom-ratio", "1", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "error", "TRAINEST_E_OUT_OF_RANGE");
    assert_key_string(r.out, "field", "headroom-ratio");
    run_free(&r);
    r = RUN("search", "--samples", "1000", "--per-sample-s", "0.01", "--global-batch", "8",
            "--max-devices", "2", "--grad-bytes", "100", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "error", "TRAINEST_E_UNDERSPECIFIED");
    assert_key_string(r.out, "field", "bus-bytes-per-s");
    run_free(&r);
}

/* ---- estimate with a memory model --------------------------------------------------- */

static void test_estimate_memory(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    search_time(&prq, &erq);
    prq.global_batch = 256;
    prq.micro_batch = 64;
    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.params = 124000000;
    mrq.activation_bytes_per_sample = 962600000;
    mrq.device_memory_bytes = 80000000000u;
    trainest_memory m;
    m.struct_size = sizeof m;
    assert_int_equal(trainest_memory_for_plan(&m, &mrq, &prq), TRAINEST_OK);
    struct run r = RUN("estimate", SEARCH_TIME, "--global-batch", "256", "--micro-batch", "64",
                       "--params", "124000000", "--activation-bytes-per-sample", "962600000",
                       "--device-memory-bytes", "80000000000", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "memory_bytes"), m.total_bytes);
    assert_int_equal(get_u64(r.out, "memory_static_bytes"), m.static_bytes);
    assert_int_equal(get_u64(r.out, "memory_budget_bytes"), m.budget_bytes);
    assert_int_equal(get_u64(r.out, "memory_max_micro_batch"), m.max_micro_batch);
    assert_true(get_bool(r.out, "memory_fits"));
    assert_true(get_double(r.out, "headroom_ratio") == m.headroom_ratio);
    run_free(&r);
    /* no memory flags, no memory keys */
    r = RUN("estimate", SEARCH_TIME, "--global-batch", "256", "--micro-batch", "64", "--json");
    assert_null(jc_member(r.out, "memory_bytes"));
    run_free(&r);

    /* the trade-off recommends the largest micro-batch that fits memory */
    trainest_tradeoff t;
    t.struct_size = sizeof t;
    trainest_tradeoff_point pts[16];
    pts[0].struct_size = sizeof pts[0];
    uint32_t n = 0;
    prq.micro_batch = 0;
    prq.max_micro_batch = m.max_micro_batch;
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 16, &n, &prq, &erq), TRAINEST_OK);
    r = RUN("estimate", SEARCH_TIME, "--global-batch", "256", "--params", "124000000",
            "--activation-bytes-per-sample", "962600000", "--device-memory-bytes", "80000000000",
            "--tradeoff", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "recommended_micro_batch"), t.recommended_micro_batch);
    assert_int_equal(get_u64(r.out, "recommended_micro_batch"), 64);
    assert_int_equal(get_u64(r.out, "memory_max_micro_batch"), 64);
    const char *points = jc_member(r.out, "points");
    assert_int_equal(jc_array_len(points), n);
    for (uint32_t i = 0; i < n; i++) {
        const char *p = jc_array_at(points, i);
        trainest_plan_request one = prq;
        one.micro_batch = pts[i].micro_batch;
        one.max_micro_batch = 0;
        assert_int_equal(trainest_memory_for_plan(&m, &mrq, &one), TRAINEST_OK);
        assert_int_equal(get_u64(p, "memory_bytes"), m.total_bytes);
        assert_true(get_bool(p, "fits") == (m.fits != 0));
    }
    run_free(&r);
    r = RUN("estimate", SEARCH_TIME, "--global-batch", "256", "--params", "124000000",
            "--activation-bytes-per-sample", "962600000", "--device-memory-bytes", "80000000000",
            "--tradeoff");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "memory  fits");
    run_free(&r);
    /* nothing fits: exit 1 */
    r = RUN("estimate", SEARCH_TIME, "--global-batch", "256", "--params", "124000000",
            "--activation-bytes-per-sample", "962600000", "--device-memory-bytes", "1000",
            "--tradeoff", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "field", "device-memory-bytes");
    assert_contains(r.err, "no micro-batch fits");
    run_free(&r);
}

/* ---- Run-level realism on estimate (issue 5) --------------------------------------- */

#define RUN_ARGS                                                                               \
    "--samples", "100000000", "--global-batch", "1024", "--micro-batch", "1", "--total-devices", \
        "128", "--preset", "megatron", "--per-sample-s", "0.02", "--fixed-s", "0.001",          \
        "--optimizer-s", "0.01", "--devices-per-node", "8"

static void run_requests(trainest_plan_request *prq, trainest_estimate_request *erq)
{
    trainest_plan_request_init(prq, sizeof *prq);
    prq->samples = 100000000;
    prq->global_batch = 1024;
    prq->micro_batch = 1;
    prq->devices = 128;
    prq->preset = TRAINEST_PRESET_MEGATRON;
    trainest_estimate_request_init(erq, sizeof *erq);
    erq->per_sample_s = 0.02;
    erq->fixed_s = 0.001;
    erq->optimizer_s = 0.01;
    erq->devices_per_node = 8;
}

static void test_estimate_failures(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    run_requests(&prq, &erq);
    trainest_estimate e;
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(&e, &prq, &erq), TRAINEST_OK);
    trainest_failure_request fr;
    trainest_failure_request_init(&fr, sizeof fr);
    fr.work_s = e.total_s;
    fr.devices = 128;
    fr.devices_per_node = 8;
    fr.mtbf_hours_per_device = 200;
    fr.mtbf_hours_per_node = 20000;
    fr.checkpoint_write_s = 30;
    fr.restart_s = 600;
    trainest_failure f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_failure_compute(&f, &fr), TRAINEST_OK);
    assert_true(f.expected_interruptions > 1);

    struct run r = RUN("estimate", RUN_ARGS, "--mtbf-hours-per-device", "200",
                       "--mtbf-hours-per-node", "20000", "--checkpoint-write-s", "30",
                       "--restart-s", "600", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(jc_valid(r.out));
    assert_true(get_double(r.out, "total_s") == e.total_s);
    assert_true(get_double(r.out, "expected_total_s") == f.expected_total_s);
    assert_true(get_double(r.out, "p50_total_s") == f.p50_total_s);
    assert_true(get_double(r.out, "p90_total_s") == f.p90_total_s);
    assert_true(get_double(r.out, "expected_interruptions") == f.expected_interruptions);
    assert_true(get_double(r.out, "checkpoint_interval_s") == f.checkpoint_interval_s);
    assert_true(get_double(r.out, "effective_time_ratio") == f.effective_time_ratio);
    assert_true(get_double(r.out, "job_mtbf_s") == f.job_mtbf_s);
    assert_null(jc_member(r.out, "rampup_steps"));
    assert_null(jc_member(r.out, "time_to_target_s"));
    run_free(&r);

    /* a given interval and Young's rule reach the library */
    fr.mtbf_hours_per_node = 0;
    fr.checkpoint_interval_s = 3600;
    assert_int_equal(trainest_failure_compute(&f, &fr), TRAINEST_OK);
    r = RUN("estimate", RUN_ARGS, "--mtbf-hours-per-device", "200", "--checkpoint-write-s", "30",
            "--restart-s", "600", "--checkpoint-interval-s", "3600", "--json");
    assert_true(get_double(r.out, "checkpoint_interval_s") == 3600);
    assert_true(get_double(r.out, "expected_total_s") == f.expected_total_s);
    run_free(&r);
    fr.checkpoint_interval_s = 0;
    fr.interval_rule = TRAINEST_INTERVAL_YOUNG;
    assert_int_equal(trainest_failure_compute(&f, &fr), TRAINEST_OK);
    r = RUN("estimate", RUN_ARGS, "--mtbf-hours-per-device", "200", "--checkpoint-write-s", "30",
            "--restart-s", "600", "--interval-rule", "young", "--json");
    assert_true(get_double(r.out, "checkpoint_interval_s") == f.checkpoint_interval_s);
    run_free(&r);

    /* the table */
    r = RUN("estimate", RUN_ARGS, "--mtbf-hours-per-device", "200", "--checkpoint-write-s", "30");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "failures and checkpoints");
    assert_contains(r.out, "P90 wall time");
    assert_contains(r.out, "effective time");
    run_free(&r);

    /* an optimal interval needs a checkpoint cost: the library says which flag */
    r = RUN("estimate", RUN_ARGS, "--mtbf-hours-per-device", "200", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "error", "TRAINEST_E_UNDERSPECIFIED");
    assert_key_string(r.out, "field", "checkpoint-write-s");
    run_free(&r);
}

static void test_estimate_rampup_and_critical(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_estimate_request erq;
    run_requests(&prq, &erq);
    trainest_rampup_request rr;
    trainest_rampup_request_init(&rr, sizeof rr);
    rr.start_global_batch = 256;
    rr.increment = 128;
    rr.ramp_samples = 5000000;
    trainest_rampup ramp;
    ramp.struct_size = sizeof ramp;
    assert_int_equal(trainest_rampup_compute(&ramp, &prq, &rr, &erq), TRAINEST_OK);
    trainest_failure_request fr;
    trainest_failure_request_init(&fr, sizeof fr);
    fr.work_s = ramp.total_s; /* the failure model protects the ramped run */
    fr.devices = 128;
    fr.devices_per_node = 8;
    fr.mtbf_hours_per_device = 5000;
    fr.checkpoint_write_s = 30;
    trainest_failure f;
    f.struct_size = sizeof f;
    assert_int_equal(trainest_failure_compute(&f, &fr), TRAINEST_OK);

    struct run r = RUN("estimate", RUN_ARGS, "--rampup", "256,128,5000000",
                       "--mtbf-hours-per-device", "5000", "--checkpoint-write-s", "30", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "rampup_steps"), ramp.rampup_steps);
    assert_true(get_double(r.out, "rampup_s") == ramp.rampup_s);
    assert_int_equal(get_u64(r.out, "rampup_total_steps"), ramp.total_steps);
    assert_true(get_double(r.out, "rampup_total_s") == ramp.total_s);
    assert_true(get_double(r.out, "expected_total_s") == f.expected_total_s);
    run_free(&r);

    /* the critical batch, without and with the memory model */
    trainest_critical_request cr;
    trainest_critical_request_init(&cr, sizeof cr);
    cr.noise_scale = 2000;
    cr.min_steps = 20000;
    trainest_critical k;
    k.struct_size = sizeof k;
    assert_int_equal(trainest_critical_compute(&k, &prq, &erq, NULL, &cr), TRAINEST_OK);
    r = RUN("estimate", RUN_ARGS, "--noise-scale", "2000", "--min-steps", "20000", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(get_double(r.out, "time_to_target_s") == k.time_to_target_s);
    assert_int_equal(get_u64(r.out, "best_global_batch"), k.best_global_batch);
    assert_true(get_double(r.out, "best_time_to_target_s") == k.best_time_to_target_s);
    assert_null(jc_member(r.out, "expected_total_s"));
    assert_null(jc_member(r.out, "rampup_s"));
    run_free(&r);

    trainest_memory_request mrq;
    trainest_memory_request_init(&mrq, sizeof mrq);
    mrq.static_bytes = 60000000000u;
    mrq.activation_bytes_per_sample = 5000000000u;
    mrq.device_memory_bytes = 80000000000u;
    cr.min_steps = 0;
    cr.min_samples = 4e7;
    cr.max_global_batch = 65536;
    assert_int_equal(trainest_critical_compute(&k, &prq, &erq, &mrq, &cr), TRAINEST_OK);
    assert_true(k.best_micro_batch <= 4);
    r = RUN("estimate", RUN_ARGS, "--noise-scale", "2000", "--min-samples", "4e7",
            "--max-global-batch", "65536", "--static-bytes", "60000000000",
            "--activation-bytes-per-sample", "5000000000", "--device-memory-bytes",
            "80000000000", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "best_global_batch"), k.best_global_batch);
    assert_int_equal(get_u64(r.out, "best_micro_batch"), k.best_micro_batch);
    assert_true(get_double(r.out, "time_to_target_s") == k.time_to_target_s);
    run_free(&r);

    r = RUN("estimate", RUN_ARGS, "--rampup", "256,128,5000000", "--noise-scale", "2000",
            "--min-steps", "20000");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "batch-size ramp-up");
    assert_contains(r.out, "critical batch");
    assert_contains(r.out, "best global batch");
    run_free(&r);

    /* a ramp whose batches do not divide: exit 1, naming --rampup */
    r = RUN("estimate", RUN_ARGS, "--rampup", "256,100,5000000", "--json");
    assert_int_equal(r.rc, CLI_EXIT_FAILURE);
    assert_key_string(r.out, "error", "TRAINEST_E_NOT_DIVISIBLE");
    assert_key_string(r.out, "field", "rampup");
    assert_contains(r.err, "hint: INCR must divide");
    run_free(&r);
}

static void test_estimate_runlevel_usage_errors(void **state)
{
    (void)state;
    static const struct {
        char *args[6];
        const char *needle;
    } cases[] = {
        {{"--checkpoint-write-s", "30"}, "--checkpoint-write-s is for the failure model"},
        {{"--restart-s", "30"}, "--restart-s is for the failure model"},
        {{"--interval-rule", "young"}, "--interval-rule is for the failure model"},
        {{"--mtbf-hours-per-node", "100"}, "needs --devices-per-node"},
        {{"--rampup", "4,4,100"}, "give --preset megatron"},
        {{"--min-steps", "100"}, "--min-steps is for the critical batch"},
        {{"--noise-scale", "100"}, "needs one of --min-steps or --min-samples"},
        {{"--noise-scale", "100", "--min-steps", "1", "--min-samples", "1"},
         "needs one of --min-steps or --min-samples"},
        {{"--rampup", "4,4"}, "is not START,INCR,SAMPLES"},
        {{"--rampup", "4,4,x"}, "part 3 is not valid"},
        {{"--tradeoff", "--noise-scale", "100", "--min-steps", "1"}, "--tradeoff prints"},
        {{"--mtbf-hours-per-device", "-1"}, "is negative"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[20] = {"trainest", "estimate", "--samples", "1000", "--global-batch", "8",
                          "--per-sample-s", "0.01"};
        int argc = 8;
        for (int k = 0; k < 6 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        struct run r = run_argv(argc, argv);
        if (r.rc != CLI_EXIT_USAGE || !strstr(r.err, cases[i].needle))
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_contains(r.err, cases[i].needle);
        run_free(&r);
    }
}

/* ---- eta (issue 5) --------------------------------------------------------------------- */

/* Run the tool with text on its standard input. */
static struct run run_input(const char *input, int argc, char **argv)
{
    struct run r;
    size_t on, en;
    FILE *in = fmemopen((void *)input, strlen(input), "r");
    FILE *out = open_memstream(&r.out, &on);
    FILE *err = open_memstream(&r.err, &en);
    assert_non_null(in);
    assert_non_null(out);
    assert_non_null(err);
    r.rc = trainest_cli_run(argc, argv, in, out, err);
    fclose(in);
    fclose(out);
    fclose(err);
    return r;
}
#define RUN_IN(input, ...)                                                                       \
    run_input((input), (int)(sizeof ARGV(__VA_ARGS__) / sizeof(char *)) - 1, ARGV(__VA_ARGS__))

/* A trace: 1 s steps, a slower patch and two outliers. */
static char *eta_trace(size_t n, double *steps)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    for (size_t i = 0; i < n; i++) {
        steps[i] = i == 12 || i == 30 ? 40.0 : i < 3 ? 5.0 : 1.0 + 0.01 * (double)(i % 7);
        fprintf(f, "%.17g\n", steps[i]);
    }
    fclose(f);
    return text;
}

static void use_utc(void)
{
    setenv("TZ", "UTC0", 1);
    tzset();
}

static void test_eta_json_lines_match_tracker(void **state)
{
    (void)state;
    use_utc();
    double steps[40];
    char *text = eta_trace(40, steps);
    /* the plan: 100000 samples, G 1000: 100 steps; the prior from the estimate */
    trainest_plan_request prq;
    trainest_plan_request_init(&prq, sizeof prq);
    prq.samples = 100000;
    prq.global_batch = 1000;
    trainest_estimate_request erq;
    trainest_estimate_request_init(&erq, sizeof erq);
    erq.per_sample_s = 0.001;
    trainest_estimate e;
    e.struct_size = sizeof e;
    assert_int_equal(trainest_estimate_run(&e, &prq, &erq), TRAINEST_OK);
    trainest_eta_config cfg;
    trainest_eta_config_init(&cfg, sizeof cfg);
    cfg.total_steps = 100;
    cfg.prior_step_s = e.step_s;
    cfg.warmup_steps = 3;
    trainest_eta eta;
    assert_int_equal(trainest_eta_init(&eta, sizeof eta, &cfg), TRAINEST_OK);
    /* the tool tells the tracker the run's samples */
    assert_int_equal(trainest_eta_set_samples(&eta, 100000, 0), TRAINEST_OK);

    struct run r = RUN_IN(text, "eta", "--samples", "100000", "--global-batch", "1000",
                          "--per-sample-s", "0.001", "--warmup-steps", "3", "--now",
                          "1700000000", "--now-step", "2", "--every", "3", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    char *line = r.out;
    size_t reports = 0;
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(trainest_eta_update(&eta, steps[i], 1000), TRAINEST_OK);
        const bool final = i == 39;
        if ((i + 1) % 3 && !final)
            continue;
        /* a final report follows the last regular one */
        for (int pass = 0; pass < (final && (i + 1) % 3 == 0 ? 2 : 1); pass++) {
            char *eol = strchr(line, '\n');
            assert_non_null(eol);
            *eol = '\0';
            assert_true(jc_valid(line));
            trainest_eta_report rep;
            rep.struct_size = sizeof rep;
            assert_int_equal(trainest_eta_report_compute(&rep, &eta,
                                                         1700000000 + 2.0 * (double)(i + 1)),
                             TRAINEST_OK);
            assert_int_equal(get_u64(line, "steps_done"), rep.steps_done);
            assert_int_equal(get_u64(line, "steps_remaining"), rep.steps_remaining);
            assert_int_equal(get_u64(line, "outliers"), rep.outliers);
            static const char *const keys[] = {
                "progress_ratio",  "elapsed_s",         "step_s",            "remaining_s",
                "remaining_p10_s", "remaining_p50_s",   "remaining_p90_s",   "finish_p10_unix_s",
                "finish_p50_unix_s", "finish_p90_unix_s", "samples_per_s"};
            const double want[] = {rep.progress_ratio,    rep.elapsed_s,
                                   rep.step_s,            rep.remaining_s,
                                   rep.remaining_p10_s,   rep.remaining_p50_s,
                                   rep.remaining_p90_s,   rep.finish_p10_unix_s,
                                   rep.finish_p50_unix_s, rep.finish_p90_unix_s,
                                   rep.samples_per_s};
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                assert_true(get_double(line, keys[k]) == want[k]);
            assert_true(get_bool(line, "final") == (final && (pass == 1 || (i + 1) % 3)));
            line = eol + 1;
            reports++;
        }
    }
    assert_int_equal(reports, 40 / 3 + 1);
    assert_string_equal(line, "");
    run_free(&r);
    free(text);
}

static void test_eta_lines_and_progress(void **state)
{
    (void)state;
    use_utc();
    const char *input = "# a comment, then steps\n1.0\n1.0, 500\n\n1.0\n1.0\n";
    /* one line per step; the clock stands still at --now */
    struct run r = RUN_IN(input, "eta", "--samples", "10000", "--global-batch", "1000", "--now",
                          "1700000000", "--warmup-steps", "0");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "step 1/10   10.0 %  1 steps/s  1000 samples/s  elapsed 1.0 s  "
                           "remaining 9.0 s  finish 2023-11-14 22:13:29");
    assert_contains(r.out, "step 4/10   40.0 %");
    assert_contains(r.out, "samples/s"); /* the second line has 500 samples */
    assert_contains(r.out, "at step 4 of 10 (40.0 %): 4 observed in 4.0 s (0 outliers)");
    assert_contains(r.out, "remaining 6.0 s");
    assert_not_contains(r.out, "\r");
    /* four reports and a three-line summary */
    size_t lines = 0;
    for (const char *p = r.out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 7);
    run_free(&r);

    /* the self-updating line: carriage returns, one newline before the summary */
    r = RUN_IN(input, "eta", "--samples", "10000", "--global-batch", "1000", "--now",
               "1700000000", "--progress");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_true(r.out[0] == '\r');
    const char *nl = strchr(r.out, '\n');
    assert_non_null(nl);
    size_t crs = 0;
    for (const char *p = r.out; p < nl; p++)
        crs += *p == '\r';
    assert_int_equal(crs, 4);
    assert_contains(nl, "at step 4 of 10");
    run_free(&r);

    /* a finished run */
    r = RUN_IN("1\n1\n1\n", "eta", "--samples", "3000", "--global-batch", "1000", "--now", "0");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_contains(r.out, "done: 3 of 3 steps, 3 observed");
    run_free(&r);

    /* resuming: --steps-done counts; nothing read: the estimate's prior */
    r = RUN_IN("", "eta", "--samples", "10000", "--global-batch", "1000", "--per-sample-s",
               "0.002", "--steps-done", "5", "--now", "0", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_int_equal(get_u64(r.out, "steps_done"), 5);
    assert_close(get_double(r.out, "remaining_s"), 5 * 2.0, 1e-12);
    assert_true(get_bool(r.out, "final"));
    run_free(&r);

    /* the ramp-up's steps are the total */
    trainest_plan_request prq;
    trainest_plan_request_init(&prq, sizeof prq);
    prq.samples = 100000;
    prq.global_batch = 64;
    prq.micro_batch = 1;
    prq.preset = TRAINEST_PRESET_MEGATRON;
    trainest_rampup_request rr;
    trainest_rampup_request_init(&rr, sizeof rr);
    rr.start_global_batch = 16;
    rr.increment = 16;
    rr.ramp_samples = 10000;
    trainest_rampup ramp;
    ramp.struct_size = sizeof ramp;
    assert_int_equal(trainest_rampup_compute(&ramp, &prq, &rr, NULL), TRAINEST_OK);
    r = RUN_IN("1\n", "eta", "--samples", "100000", "--global-batch", "64", "--micro-batch", "1",
               "--preset", "megatron", "--rampup", "16,16,10000", "--now", "0", "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    const char *last = strstr(r.out, "\n{");
    assert_non_null(last);
    assert_int_equal(get_u64(last + 1, "steps_remaining"), ramp.total_steps - 1);
    run_free(&r);
}

static void test_eta_failures_widen_the_band(void **state)
{
    (void)state;
    const char *input = "1\n1\n1\n1\n1\n1\n1\n1\n1\n1\n";
    struct run b = RUN_IN(input, "eta", "--samples", "10000000", "--global-batch", "1000",
                          "--total-devices", "1000", "--now", "0", "--mtbf-hours-per-device",
                          "5000", "--checkpoint-write-s", "30", "--restart-s", "600", "--json");
    assert_int_equal(b.rc, CLI_EXIT_OK);
    const char *last = strrchr(b.out, '{');
    assert_true(get_double(last, "remaining_p90_s") > get_double(last, "remaining_p50_s"));
    /* the tracker's failure model: job MTBF of 1000 devices */
    trainest_eta_config cfg;
    trainest_eta_config_init(&cfg, sizeof cfg);
    cfg.total_steps = 10000;
    cfg.job_mtbf_s = 5000.0 * 3600 / 1000;
    cfg.checkpoint_write_s = 30;
    cfg.restart_s = 600;
    trainest_eta eta;
    assert_int_equal(trainest_eta_init(&eta, sizeof eta, &cfg), TRAINEST_OK);
    for (int i = 0; i < 10; i++)
        trainest_eta_update(&eta, 1, 1000);
    trainest_eta_report rep;
    rep.struct_size = sizeof rep;
    assert_int_equal(trainest_eta_report_compute(&rep, &eta, 0), TRAINEST_OK);
    assert_close(get_double(last, "remaining_s"), rep.remaining_s, 1e-12);
    assert_close(get_double(last, "remaining_p90_s"), rep.remaining_p90_s, 1e-12);
    run_free(&b);
}

/* With --rampup and each step's samples on its line, the remaining time
 * follows the growing batch: the same as a library tracker told the
 * ramped run's samples, and more than the per-step mean says. */
static void test_eta_rampup_follows_the_samples(void **state)
{
    (void)state;
    trainest_plan_request prq;
    trainest_plan_request_init(&prq, sizeof prq);
    prq.samples = 200000;
    prq.global_batch = 512;
    prq.micro_batch = 64;
    prq.preset = TRAINEST_PRESET_MEGATRON;
    trainest_rampup_request rr;
    trainest_rampup_request_init(&rr, sizeof rr);
    rr.start_global_batch = 64;
    rr.increment = 64;
    rr.ramp_samples = 20000;
    trainest_rampup ramp;
    ramp.struct_size = sizeof ramp;
    assert_int_equal(trainest_rampup_compute(&ramp, &prq, &rr, NULL), TRAINEST_OK);
    trainest_eta_config cfg;
    trainest_eta_config_init(&cfg, sizeof cfg);
    cfg.total_steps = ramp.total_steps;
    trainest_eta with, without;
    assert_int_equal(trainest_eta_init(&with, sizeof with, &cfg), TRAINEST_OK);
    assert_int_equal(trainest_eta_init(&without, sizeof without, &cfg), TRAINEST_OK);
    assert_int_equal(trainest_eta_set_samples(&with, ramp.total_samples, 0), TRAINEST_OK);
    /* the first 60 steps of the ramp: 64, 128, ... by 2500 samples each */
    char text[4096];
    size_t len = 0;
    uint64_t done = 0;
    for (int i = 0; i < 60; i++) {
        const uint64_t g = 64 + 64 * (done / 2500) < 512 ? 64 + 64 * (done / 2500) : 512;
        const double t = 0.01 + 0.0005 * (double)g;
        len += (size_t)snprintf(text + len, sizeof text - len, "%.17g,%" PRIu64 "\n", t, g);
        assert_int_equal(trainest_eta_update(&with, t, g), TRAINEST_OK);
        assert_int_equal(trainest_eta_update(&without, t, g), TRAINEST_OK);
        done += g;
    }
    trainest_eta_report rw, r0;
    rw.struct_size = r0.struct_size = sizeof rw;
    assert_int_equal(trainest_eta_report_compute(&rw, &with, 0), TRAINEST_OK);
    assert_int_equal(trainest_eta_report_compute(&r0, &without, 0), TRAINEST_OK);
    assert_true(rw.remaining_s > 1.5 * r0.remaining_s);

    struct run r = RUN_IN(text, "eta", "--samples", "200000", "--global-batch", "512",
                          "--micro-batch", "64", "--preset", "megatron", "--rampup",
                          "64,64,20000", "--now", "0", "--now-step", "0", "--every", "1000",
                          "--json");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_true(jc_valid(r.out));
    assert_true(get_double(r.out, "remaining_s") == rw.remaining_s);
    run_free(&r);
}

static void test_eta_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *input;
        uint64_t line;
        const char *needle;
    } cases[] = {
        {"1\n2\nabc\n", 3, "step duration 'abc' is not a decimal number"},
        {"1\n-1\n", 2, "is negative"},
        {"1\nnan\n", 2, "is not a decimal number"},
        {"1e999\n", 1, "out of range"},
        {"1,x\n", 1, "samples 'x' is not a whole number"},
        {"1,\n", 1, "samples '' is empty"},
        {"1,2,3\n", 1, "more than two fields"},
        {"# ok\n\n ,5\n", 3, "is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "<stdin>:%" PRIu64 ": ", cases[i].line);
        struct run r = RUN_IN(cases[i].input, "eta", "--samples", "1000", "--global-batch", "10",
                              "--now", "0", "--json");
        if (r.rc != CLI_EXIT_USAGE || !strstr(r.err, cases[i].needle))
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, CLI_EXIT_USAGE);
        assert_true(strncmp(r.err, want, strlen(want)) == 0);
        assert_contains(r.err, cases[i].needle);
        /* JSON lines: the error is one line too */
        const char *last = strrchr(r.out, '{');
        assert_non_null(last);
        assert_true(jc_valid(last));
        assert_key_string(last, "error", "input");
        assert_int_equal(get_u64(last, "line"), cases[i].line);
        assert_null(strchr(last, '\n') == last + strlen(last) - 1 ? NULL : "more lines");
        run_free(&r);
    }
    /* the progress line ends before the error */
    struct run r = RUN_IN("1\nx\n", "eta", "--samples", "1000", "--global-batch", "10", "--now",
                          "0", "--progress");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_true(r.out[strlen(r.out) - 1] == '\n');
    run_free(&r);

    static const struct {
        char *args[4];
        int rc;
        const char *needle;
    } flags[] = {
        {{"--now-step", "1"}, CLI_EXIT_USAGE, "--now-step needs --now"},
        {{"--every", "0"}, CLI_EXIT_USAGE, "--every: 0 steps"},
        {{"--json", "--progress"}, CLI_EXIT_USAGE, "not both"},
        {{"--steps-done", "200"}, CLI_EXIT_FAILURE, "TRAINEST_E_INCONSISTENT"},
        {{"--outlier-ratio", "0.5"}, CLI_EXIT_FAILURE, "check --outlier-ratio"},
        {{"--mtbf-hours-per-device", "10"}, CLI_EXIT_FAILURE, "check --checkpoint-write-s"},
        {{"--tradeoff"}, CLI_EXIT_USAGE, "unknown flag '--tradeoff'"},
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        char *argv[16] = {"trainest", "eta", "--samples", "1000", "--global-batch", "10"};
        int argc = 6;
        for (int k = 0; k < 4 && flags[i].args[k]; k++)
            argv[argc++] = flags[i].args[k];
        r = run_input("1\n", argc, argv);
        if (r.rc != flags[i].rc || !strstr(r.err, flags[i].needle))
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, flags[i].rc);
        assert_contains(r.err, flags[i].needle);
        run_free(&r);
    }
}

/* ---- sweep (issue 6 §4) ---------------------------------------------------------------- */

/* A strict enough XML 1.0 well-formedness check for the SVG: an optional
 * XML declaration, then exactly one root element named root; every tag
 * closed in order; attribute names unique per element and every value
 * quoted; '&' only in the five predefined entities or a character
 * reference; no '<' in text or values; comments allowed. On failure the
 * reason and the byte offset go to why. */
static bool xml_name_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
           (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

static bool xml_entity(const char **p)
{
    static const char *const named[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < 5; i++)
        if (strncmp(*p, named[i], strlen(named[i])) == 0) {
            *p += strlen(named[i]);
            return true;
        }
    const char *q = *p + 1;
    if (*q != '#')
        return false;
    q++;
    const bool hex = *q == 'x';
    q += hex;
    const char *digits = q;
    while ((*q >= '0' && *q <= '9') || (hex && ((*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))))
        q++;
    if (q == digits || *q != ';')
        return false;
    *p = q + 1;
    return true;
}

static bool xml_well_formed(const char *doc, const char *root, char *why, size_t cap)
{
    const char *p = doc;
    const char *stack[64];
    size_t len[64], depth = 0;
    bool seen_root = false;
#define XML_FAIL(msg)                                                                          \
    do {                                                                                       \
        snprintf(why, cap, "%s at byte %td", (msg), p - doc);                                  \
        return false;                                                                          \
    } while (0)
    if (strncmp(p, "<?xml", 5) == 0) {
        const char *end = strstr(p, "?>");
        if (!end)
            XML_FAIL("unterminated XML declaration");
        p = end + 2;
    }
    while (*p) {
        if (*p != '<') {
            if (depth == 0 && !strchr(" \t\r\n", *p))
                XML_FAIL("text outside the root element");
            if (*p != '&')
                p++;
            else if (!xml_entity(&p))
                XML_FAIL("a bare '&'");
            continue;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            const char *end = strstr(p + 4, "-->");
            if (!end)
                XML_FAIL("unterminated comment");
            p = end + 3;
            continue;
        }
        const bool closing = p[1] == '/';
        p += closing ? 2 : 1;
        const char *name = p;
        if (!xml_name_char(*p, true))
            XML_FAIL("a tag without a name");
        while (xml_name_char(*p, false))
            p++;
        const size_t nlen = (size_t)(p - name);
        if (closing) {
            while (*p == ' ' || *p == '\n')
                p++;
            if (*p != '>')
                XML_FAIL("junk in a closing tag");
            p++;
            if (depth == 0 || len[depth - 1] != nlen || strncmp(stack[depth - 1], name, nlen))
                XML_FAIL("a closing tag that does not match");
            depth--;
            continue;
        }
        if (depth == 0) {
            if (seen_root)
                XML_FAIL("a second root element");
            if (strlen(root) != nlen || strncmp(name, root, nlen))
                XML_FAIL("the root element is not the expected one");
            seen_root = true;
        }
        /* attributes */
        const char *names[64];
        size_t nlens[64], nattr = 0;
        for (;;) {
            const char *before = p;
            while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
                p++;
            if (*p == '>' || (p[0] == '/' && p[1] == '>'))
                break;
            if (p == before)
                XML_FAIL("attributes not separated by blanks");
            const char *an = p;
            if (!xml_name_char(*p, true))
                XML_FAIL("a bad attribute name");
            while (xml_name_char(*p, false))
                p++;
            const size_t alen = (size_t)(p - an);
            for (size_t i = 0; i < nattr; i++)
                if (nlens[i] == alen && strncmp(names[i], an, alen) == 0)
                    XML_FAIL("an attribute given twice");
            if (nattr < 64) {
                names[nattr] = an;
                nlens[nattr++] = alen;
            }
            if (*p != '=')
                XML_FAIL("an attribute without a value");
            p++;
            const char quote = *p;
            if (quote != '"' && quote != '\'')
                XML_FAIL("an unquoted attribute value");
            p++;
            while (*p != quote) {
                if (!*p || *p == '<')
                    XML_FAIL("'<' or the end inside an attribute value");
                if (*p == '&') {
                    if (!xml_entity(&p))
                        XML_FAIL("a bare '&' in an attribute value");
                } else {
                    p++;
                }
            }
            p++;
        }
        if (*p == '/') {
            p += 2; /* empty element */
            if (depth == 0)
                depth = 0; /* a root that is empty: nothing more may follow */
            continue;
        }
        p++;
        if (depth == 64)
            XML_FAIL("nesting too deep");
        stack[depth] = name;
        len[depth++] = nlen;
    }
    if (depth)
        XML_FAIL("unclosed elements at the end");
    if (!seen_root)
        XML_FAIL("no root element");
#undef XML_FAIL
    return true;
}

static void test_xml_checker(void **state)
{
    (void)state;
    char why[128];
    static const char *const good[] = {
        "<svg/>",
        "<?xml version=\"1.0\"?>\n<svg a=\"1\" b='2'><g><text>x &amp; &lt;y&gt; &#233;</text></g></svg>\n",
        "<svg><!-- a <comment> --><line x1=\"&quot;\"/></svg>",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!xml_well_formed(good[i], "svg", why, sizeof why))
            print_error("good %zu: %s\n", i, why);
        assert_true(xml_well_formed(good[i], "svg", why, sizeof why));
    }
    static const char *const bad[] = {
        "<svg><g></svg>",           "<svg></svg><svg></svg>", "<svg a=1></svg>",
        "<svg a=\"1\" a=\"2\"/>",   "<svg>a & b</svg>",        "<svg a=\"<\"/>",
        "<svg><g></h></svg>",       "<html/>",                 "text<svg/>",
        "<svg a=\"1\"b=\"2\"/>",    "<svg>&bogus;</svg>",      "<svg><g>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (xml_well_formed(bad[i], "svg", why, sizeof why))
            print_error("bad %zu accepted\n", i);
        assert_false(xml_well_formed(bad[i], "svg", why, sizeof why));
    }
}

/* The whole of a file. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text;
    size_t len;
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    fclose(m);
    return text;
}

struct plotted {
    char panel[8], series[32];
    double x, y;
};

/* The rows of the sweep's CSV. */
static size_t parse_plot_csv(const char *text, struct plotted *rows, size_t cap)
{
    const char *line = strchr(text, '\n');
    assert_non_null(line);
    assert_true(strncmp(text, "panel,series,x,y,unit_x,unit_y\n", 31) == 0);
    size_t n = 0;
    for (line++; *line; line = strchr(line, '\n') + 1) {
        assert_true(n < cap);
        char ux[16], uy[16];
        assert_int_equal(sscanf(line, "%7[^,],%31[^,],%lf,%lf,%15[^,],%15[^\n]", rows[n].panel,
                                rows[n].series, &rows[n].x, &rows[n].y, ux, uy),
                         6);
        assert_string_equal(ux, "samples");
        assert_string_equal(uy, strcmp(rows[n].panel, "c") ? "s" : "B");
        n++;
    }
    return n;
}

/* The data-* attributes of the SVG's points. */
static size_t parse_plot_svg(const char *svg, struct plotted *rows, size_t cap)
{
    size_t n = 0;
    for (const char *p = strstr(svg, "data-panel=\""); p; p = strstr(p + 1, "data-panel=\"")) {
        assert_true(n < cap);
        assert_int_equal(sscanf(p, "data-panel=\"%7[^\"]\" data-series=\"%31[^\"]\" data-x=\"%lf\" "
                                   "data-y=\"%lf\"",
                                rows[n].panel, rows[n].series, &rows[n].x, &rows[n].y),
                         4);
        n++;
    }
    return n;
}

#define SWEEP_ARGS                                                                               \
    "--samples", "1000000", "--global-batch", "256", "--floor-s", "0.01822", "--fixed-s",         \
        "0.00426", "--per-sample-s", "0.004047", "--launch-lag-s", "0.00631", "--optimizer-s",    \
        "0.00188", "--device-memory-bytes", "150109880320", "--headroom-ratio", "0.1",            \
        "--static-bytes", "2336000000", "--activation-bytes-per-sample", "962600000"

static void sweep_requests(trainest_plan_request *prq, trainest_estimate_request *erq,
                           trainest_memory_request *mrq)
{
    trainest_plan_request_init(prq, sizeof *prq);
    prq->samples = 1000000;
    prq->global_batch = 256;
    trainest_estimate_request_init(erq, sizeof *erq);
    erq->floor_s = 0.01822;
    erq->fixed_s = 0.00426;
    erq->per_sample_s = 0.004047;
    erq->launch_lag_s = 0.00631;
    erq->optimizer_s = 0.00188;
    trainest_memory_request_init(mrq, sizeof *mrq);
    mrq->device_memory_bytes = 150109880320u;
    mrq->headroom_ratio = 0.1;
    mrq->static_bytes = 2336000000u;
    mrq->activation_bytes_per_sample = 962600000u;
}

static void test_sweep_plots_the_model(void **state)
{
    (void)state;
    char svg_path[512], csv_path[512];
    temp_text(svg_path, "");
    temp_text(csv_path, "");
    struct run r = RUN("sweep", SWEEP_ARGS, "--global-batch-range", "32:512:32", "--max-devices",
                       "2", "--noise-scale", "1000", "--min-steps", "2000", "--svg", svg_path,
                       "--csv", csv_path);
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_string_equal(r.err, "");
    assert_contains(r.out, "wrote ");
    assert_contains(r.out, "fastest: global batch");
    run_free(&r);
    char *svg = slurp(svg_path), *csv = slurp(csv_path);
    char why[128];
    if (!xml_well_formed(svg, "svg", why, sizeof why))
        print_error("%s\n", why);
    assert_true(xml_well_formed(svg, "svg", why, sizeof why));
    /* self-contained and readable: a viewBox, no scripts, images or links */
    assert_contains(svg, "viewBox=\"0 0 1000 1250\"");
    assert_not_contains(svg, "<script");
    assert_not_contains(svg, "<image");
    assert_not_contains(svg, "href");
    assert_not_contains(svg, "@import");
    assert_contains(svg, "(log scale)");
    assert_contains(svg, "micro-batch m (samples per device per pass)");
    assert_contains(svg, "global batch G (samples per optimizer step)");
    assert_contains(svg, "memory per device (GB)");
    assert_contains(svg, "predicted run time (hours)");
    assert_contains(svg, "memory limit: m &lt;= 137");
    assert_contains(svg, "time to target loss");
    assert_contains(svg, "budget after headroom");

    static struct plotted rows[4096], points[4096];
    const size_t n = parse_plot_csv(csv, rows, 4096);
    const size_t np = parse_plot_svg(svg, points, 4096);
    /* the SVG's points are the CSV's rows */
    assert_int_equal(np, n);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < np && !found; k++)
            found = !strcmp(points[k].panel, rows[i].panel) &&
                    !strcmp(points[k].series, rows[i].series) && points[k].x == rows[i].x &&
                    points[k].y == rows[i].y;
        assert_true(found);
    }

    /* (a) and (c): the trade-off of G 256 on the fastest layout for 256 */
    trainest_plan_request prq;
    trainest_estimate_request erq;
    trainest_memory_request mrq;
    sweep_requests(&prq, &erq, &mrq);
    trainest_search_request sr;
    trainest_search_request_init(&sr, sizeof sr);
    sr.max_devices = 2;
    trainest_search_result best;
    best.struct_size = sizeof best;
    trainest_search s;
    s.struct_size = sizeof s;
    uint32_t nb = 0;
    assert_int_equal(trainest_search_run(&s, &best, 1, &nb, &prq, &erq, &mrq, &sr), TRAINEST_OK);
    assert_int_equal(nb, 1);
    prq.data_parallel = best.data_parallel;
    trainest_tradeoff t;
    t.struct_size = sizeof t;
    trainest_tradeoff_point pts[64];
    pts[0].struct_size = sizeof pts[0];
    uint32_t nt = 0;
    assert_int_equal(trainest_tradeoff_compute(&t, pts, 64, &nt, &prq, &erq), TRAINEST_OK);
    size_t seen_a = 0, seen_b = 0, seen_ttt = 0, seen_c = 0, grey = 0;
    for (size_t i = 0; i < n; i++) {
        const struct plotted *p = &rows[i];
        if (!strcmp(p->panel, "a") || !strcmp(p->panel, "c")) {
            uint32_t k = 0;
            while (k < nt && (double)pts[k].micro_batch != p->x)
                k++;
            assert_true(k < nt);
            trainest_plan_request one = prq;
            one.micro_batch = pts[k].micro_batch;
            trainest_memory m;
            m.struct_size = sizeof m;
            assert_int_equal(trainest_memory_for_plan(&m, &mrq, &one), TRAINEST_OK);
            const bool fits = strstr(p->series, "not_fitting") == NULL;
            assert_true(fits == (m.fits != 0));
            grey += !fits;
            if (!strcmp(p->panel, "a")) {
                assert_close(p->y, pts[k].total_s, 1e-9);
                seen_a++;
            } else {
                assert_close(p->y, (double)m.total_bytes, 1e-9);
                seen_c++;
            }
        } else {
            assert_string_equal(p->panel, "b");
            const uint64_t G = (uint64_t)p->x;
            assert_true(G >= 32 && G <= 512 && G % 32 == 0);
            trainest_search_request one = sr;
            one.global_batch_min = one.global_batch_max = G;
            assert_int_equal(trainest_search_run(&s, &best, 1, &nb, &prq, &erq, &mrq, &one),
                             TRAINEST_OK);
            assert_int_equal(nb, 1);
            if (!strcmp(p->series, "total_s")) {
                assert_close(p->y, best.total_s, 1e-9);
                seen_b++;
            } else {
                assert_string_equal(p->series, "time_to_target_s");
                trainest_plan_request kq = prq;
                kq.global_batch = G;
                kq.micro_batch = best.micro_batch;
                kq.grad_accum_steps = best.grad_accum_steps;
                kq.data_parallel = best.data_parallel;
                trainest_critical_request cr;
                trainest_critical_request_init(&cr, sizeof cr);
                cr.noise_scale = 1000;
                cr.min_steps = 2000;
                trainest_critical k;
                k.struct_size = sizeof k;
                assert_int_equal(trainest_critical_compute(&k, &kq, &erq, &mrq, &cr), TRAINEST_OK);
                assert_close(p->y, k.time_to_target_s, 1e-9);
                seen_ttt++;
            }
        }
    }
    assert_int_equal(seen_a, nt);
    assert_int_equal(seen_c, nt);
    assert_int_equal(seen_b, 16);
    assert_int_equal(seen_ttt, 16);
    size_t too_big = 0; /* the candidates beyond the memory limit, in (a) and in (c) */
    for (uint32_t k = 0; k < nt; k++)
        too_big += pts[k].micro_batch > 137 ? 2 : 0;
    assert_int_equal(grey, too_big);
    free(svg);
    free(csv);

    /* --csv - writes to the standard output; without a range, G / 16 ... 16 G */
    r = RUN("sweep", SWEEP_ARGS, "--csv", "-");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    const size_t n2 = parse_plot_csv(r.out, rows, 4096);
    size_t gbs = 0;
    for (size_t i = 0; i < n2; i++)
        if (!strcmp(rows[i].panel, "b")) {
            assert_true(rows[i].x == 16 || rows[i].x == 32 || rows[i].x == 64 ||
                        rows[i].x == 128 || rows[i].x == 256 || rows[i].x == 512 ||
                        rows[i].x == 1024 || rows[i].x == 2048 || rows[i].x == 4096);
            gbs++;
        }
    assert_int_equal(gbs, 9);
    /* on one device m = 256 is beyond the limit of 137, m = 128 within */
    assert_contains(r.out, "\na,total_s_not_fitting,256,");
    assert_contains(r.out, "\nc,memory_bytes_not_fitting,256,");
    assert_contains(r.out, "\na,total_s,128,");
    assert_contains(r.out, "\nc,memory_bytes,128,");
    run_free(&r);
    unlink(svg_path);
    unlink(csv_path);
}

static void test_sweep_edges_and_errors(void **state)
{
    (void)state;
    /* no memory model: panel (c) says so, and the SVG is still well-formed */
    char path[512];
    temp_text(path, "");
    struct run r = RUN("sweep", "--samples", "1000", "--global-batch", "24", "--per-sample-s",
                       "0.01", "--svg", path);
    assert_int_equal(r.rc, CLI_EXIT_OK);
    char *svg = slurp(path), why[128];
    assert_true(xml_well_formed(svg, "svg", why, sizeof why));
    assert_contains(svg, "no memory model");
    free(svg);
    run_free(&r);
    /* nothing fits: every point grey, still a plot */
    r = RUN("sweep", "--samples", "1000", "--global-batch", "24", "--per-sample-s", "0.01",
            "--static-bytes", "1000", "--activation-bytes-per-sample", "10",
            "--device-memory-bytes", "500", "--svg", path, "--csv", "-");
    assert_int_equal(r.rc, CLI_EXIT_OK);
    assert_not_contains(r.out, "a,total_s,");
    assert_contains(r.out, "a,total_s_not_fitting,1,");
    svg = slurp(path);
    assert_true(xml_well_formed(svg, "svg", why, sizeof why));
    assert_contains(svg, "no feasible plan in the range");
    free(svg);
    run_free(&r);
    unlink(path);

    static const struct {
        char *args[6];
        int rc;
        const char *needle;
    } cases[] = {
        {{"--per-sample-s", "0.01"}, CLI_EXIT_USAGE, "give --svg FILE.svg, --csv FILE.csv"},
        {{"--per-sample-s", "0.01", "--svg", "-", "--csv", "-"}, CLI_EXIT_USAGE, "only one"},
        {{"--per-sample-s", "0.01", "--svg", "x.svg", "--top", "3"}, CLI_EXIT_USAGE,
         "takes no --top"},
        {{"--per-sample-s", "0.01", "--csv", "-", "--global-batch-range", "1:100000"},
         CLI_EXIT_USAGE, "at most 2000"},
        {{"--svg", "x.svg"}, CLI_EXIT_USAGE, "no step-time model"},
        {{"--per-sample-s", "0.01", "--csv", "-", "--json"}, CLI_EXIT_USAGE,
         "unknown flag '--json'"},
        {{"--per-sample-s", "0.01", "--svg", "/nonexistent/dir/x.svg"}, CLI_EXIT_FAILURE,
         "/nonexistent/dir/x.svg: cannot write"},
        {{"--per-sample-s", "0.01", "--csv", "-", "--noise-scale", "10"}, CLI_EXIT_USAGE,
         "--min-steps or --min-samples"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[20] = {"trainest", "sweep", "--samples", "1000", "--global-batch", "24"};
        int argc = 6;
        for (int k = 0; k < 6 && cases[i].args[k]; k++)
            argv[argc++] = cases[i].args[k];
        r = run_argv(argc, argv);
        if (r.rc != cases[i].rc || !strstr(r.err, cases[i].needle))
            print_error("case %zu: %d %s", i, r.rc, r.err);
        assert_int_equal(r.rc, cases[i].rc);
        assert_contains(r.err, cases[i].needle);
        run_free(&r);
    }
}

/* The axes' arithmetic: 1-2-5 ends and ticks, log beyond 30x. */
static void test_svg_axes(void **state)
{
    (void)state;
    assert_true(nice_floor(153) == 100);
    assert_true(nice_ceil(153) == 200);
    assert_true(nice_ceil(256) == 500);
    assert_true(nice_floor(0.03) == 0.02);
    assert_true(nice_ceil(1) == 1 && nice_floor(1) == 1);
    struct axis a;
    axis_fit(&a, 1, 256, 1, true, 0, 100);
    assert_true(a.log);
    assert_true(a.lo == 1 && a.hi == 500);
    static const double want[] = {1, 2, 5, 10, 20, 50, 100, 200, 500};
    assert_int_equal(a.nticks, 9);
    for (size_t i = 0; i < 9; i++)
        assert_close(a.ticks[i], want[i], 1e-12);
    assert_close(axis_map(&a, 1), 0, 1e-12);
    assert_close(axis_map(&a, 500), 100, 1e-12);
    /* not 30x: linear, from 0 when the smallest is below a third */
    axis_fit(&a, 1, 24, 1, true, 0, 100);
    assert_false(a.log);
    assert_true(a.lo == 0 && a.hi == 25);
    /* in display units: 4100 ... 18200 s shown in hours */
    axis_fit(&a, 4100, 18200, 3600, true, 300, 50);
    assert_false(a.log);
    assert_true(a.lo == 0 && a.hi == 6);
    assert_int_equal(a.nticks, 7);
    assert_close(axis_map(&a, 3 * 3600), 175, 1e-12);
    char buf[32];
    assert_string_equal(axis_label(0.5, buf, sizeof buf), "0.5");
    assert_string_equal(axis_label(1e-17, buf, sizeof buf), "0");
    /* a single value still gets a range */
    axis_fit(&a, 5, 5, 1, true, 0, 1);
    assert_true(a.hi > a.lo);
    /* escaping */
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    svg_escape(f, "a<b>&\"'\x01");
    fclose(f);
    assert_string_equal(text, "a&lt;b&gt;&amp;&quot;&apos;?");
    free(text);
}

/* ---- Help for every command ----------------------------------------------------------- */

static void test_every_command_help(void **state)
{
    (void)state;
    static const struct {
        char *cmd;
        const char *has[14];
        const char *lacks[4];
    } cases[] = {
        {"plan",
         {"--tensor-parallel", "--pipeline-parallel", "--virtual-stages", "--total-devices",
          "--layers", "--hidden", "--attention-heads", "--vocab", "the data-parallel size is",
          "nearest valid layouts", NULL},
         {"--per-sample-s", "--mtbf-hours-per-device", NULL}},
        {"estimate",
         {"--activation-bytes-per-element", "--comm-activation-bytes-per-sample",
          "--tp-bytes-per-s", "--p2p-bytes-per-s", "--mtbf-hours-per-node", "--checkpoint-interval-s", "--rampup START,INCR,SAMPLES",
          "--noise-scale", "--min-steps", "--min-samples", "--device-memory-bytes",
          "selective", NULL},
         {"--max-devices", "--svg", NULL}},
        {"fit-memory",
         {"--points FILE.csv", "--device-memory-bytes", "--headroom-ratio", "--json",
          "static_bytes, per_sample_bytes", NULL},
         {"--samples", NULL}},
        {"search",
         {"--params", "--zero-stage", "--bytes-per-param-weights", "--bytes-per-param-grads",
          "--bytes-per-param-optimizer", "--activation-bytes-per-sample", "--memory-points",
          "--max-devices", "--global-batch-range", "--top K", "--max-tensor-parallel",
          NULL},
         {"  --devices R", "  --micro-batch M", "--tradeoff", NULL}},
        {"sweep",
         {"--svg FILE.svg", "--csv FILE.csv", "--global-batch-range", "--noise-scale",
          "panel,series,x,y,unit_x,unit_y", "--max-pipeline-parallel", "--devices-per-node",
          NULL},
         {"--top", "--json", "  --devices R", NULL}},
        {"eta",
         {"--steps-done", "--warmup-steps", "--outlier-ratio", "--every", "--now UNIX_S",
          "--now-step", "--progress", "--rampup", "--mtbf-hours-per-device", "<stdin>:LINE",
          "finish_p90_unix_s", NULL},
         {"--noise-scale", "--tradeoff", NULL}},
        {"calibrate",
         {"--calibration FILE.csv", "--optimizer-s", "--loader FILE.csv",
          "loader-only epochs: columns workers, batch_size", "worker_startup_s", NULL},
         {"--samples", "--data-workers", NULL}},
        {"demo", {"worked example", NULL}, {"--json", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r = RUN(cases[i].cmd, "--help");
        assert_int_equal(r.rc, CLI_EXIT_OK);
        assert_string_equal(r.err, "");
        for (size_t k = 0; k < 12 && cases[i].has[k]; k++)
            assert_contains(r.out, cases[i].has[k]);
        for (size_t k = 0; k < 4 && cases[i].lacks[k]; k++)
            assert_not_contains(r.out, cases[i].lacks[k]);
        /* the help fits 80 columns */
        for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
            if (strlen(line) >= 80)
                print_error("%s: %s\n", cases[i].cmd, line);
        run_free(&r);
        r = RUN(cases[i].cmd, "--help");
        for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
            assert_true(strlen(line) < 80);
        run_free(&r);
    }
    struct run r = RUN("--help");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "\n  %-12s", cases[i].cmd);
        assert_contains(r.out, want);
    }
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"))
        assert_true(strlen(line) < 80);
    run_free(&r);
}

/* ---- Value parsers ----------------------------------------------------------------- */

static void test_parse_u64_strict(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int status;
        uint64_t v;
    } cases[] = {
        {"0", PARSE_OK, 0},
        {"007", PARSE_OK, 7},
        {"1000", PARSE_OK, 1000},
        {"18446744073709551615", PARSE_OK, UINT64_MAX},
        {"18446744073709551616", PARSE_RANGE, 0},
        {"99999999999999999999", PARSE_RANGE, 0},
        {"", PARSE_EMPTY, 0},
        {"-3", PARSE_SYNTAX, 0},
        {"+3", PARSE_SYNTAX, 0},
        {"1e3", PARSE_SYNTAX, 0},
        {"12x", PARSE_SYNTAX, 0},
        {" 1", PARSE_SYNTAX, 0},
        {"1 ", PARSE_SYNTAX, 0},
        {"0x1", PARSE_SYNTAX, 0},
        {"1.0", PARSE_SYNTAX, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 12345;
        assert_int_equal(parse_u64(cases[i].s, &v), cases[i].status);
        assert_int_equal(v, cases[i].status == PARSE_OK ? cases[i].v : 12345);
    }
    assert_int_equal(parse_u64(NULL, &(uint64_t){0}), PARSE_EMPTY);
}

static void test_parse_double_strict(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int status;
        double v;
    } cases[] = {
        {"0", PARSE_OK, 0.0},      {"1.5", PARSE_OK, 1.5},     {"-2", PARSE_OK, -2.0},
        {"+2", PARSE_OK, 2.0},     {".5", PARSE_OK, 0.5},      {"5.", PARSE_OK, 5.0},
        {"1e3", PARSE_OK, 1000.0}, {"2.5E-3", PARSE_OK, 0.0025}, {"1e-400", PARSE_OK, 0.0},
        {"1e400", PARSE_RANGE, 0}, {"-1e400", PARSE_RANGE, 0}, {"", PARSE_EMPTY, 0},
        {"inf", PARSE_SYNTAX, 0},  {"nan", PARSE_SYNTAX, 0},   {"infinity", PARSE_SYNTAX, 0},
        {"0x1p3", PARSE_SYNTAX, 0}, {" 1", PARSE_SYNTAX, 0},   {"1 ", PARSE_SYNTAX, 0},
        {"1e", PARSE_SYNTAX, 0},   {"-", PARSE_SYNTAX, 0},     {".", PARSE_SYNTAX, 0},
        {"1.2.3", PARSE_SYNTAX, 0}, {"--1", PARSE_SYNTAX, 0},  {"1,5", PARSE_SYNTAX, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 42.0;
        const int st = parse_double(cases[i].s, &v);
        if (st != cases[i].status)
            print_error("parse_double(\"%s\") = %d\n", cases[i].s, st);
        assert_int_equal(st, cases[i].status);
        if (st == PARSE_OK)
            assert_close(v, cases[i].v, 1e-15);
        else
            assert_true(v == 42.0);
    }
}

static void test_parse_enum_exact(void **state)
{
    (void)state;
    static const struct enum_name names[] = {{"up", 2}, {"down", 1}, {NULL, 0}};
    uint32_t v = 9;
    assert_int_equal(parse_enum("down", names, &v), PARSE_OK);
    assert_int_equal(v, 1);
    assert_int_equal(parse_enum("Down", names, &v), PARSE_SYNTAX);
    assert_int_equal(parse_enum("dow", names, &v), PARSE_SYNTAX);
    assert_int_equal(parse_enum("", names, &v), PARSE_EMPTY);
    assert_int_equal(v, 1);
    assert_string_equal(enum_name_of(names, 2), "up");
    assert_null(enum_name_of(names, 7));
}

/* Regression (fixed in 722f899, found by tests/fuzz/cli_args.c,
 * corpus/cli_args/regress-u64-overflow-then-junk): parse_u64 said "out of
 * range" for junk after overflowing digits; it is not a number at all. */
static void test_parse_u64_overflow_then_junk(void **state)
{
    (void)state;
    static const char *const junk[] = {"99999999999999999999x", "18446744073709551616x",
                                       "99999999999999999999 ", "999999999999999999999999-1"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        uint64_t v = 12345;
        assert_int_equal(parse_u64(junk[i], &v), PARSE_SYNTAX);
        assert_int_equal(v, 12345);
    }
    uint64_t v = 12345;
    assert_int_equal(parse_u64("99999999999999999999", &v), PARSE_RANGE); /* digits only: range */
    assert_int_equal(v, 12345);
    struct run r = RUN("plan", "--samples", "99999999999999999999x");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_contains(r.err, "'99999999999999999999x' is not a whole number");
    assert_not_contains(r.err, "out of range");
    run_free(&r);
}

/* Regression (found by tests/fuzz/cli_argv.c, corpus/cli_argv/regress-help-
 * as-flag-value): "-h" after a flag that takes a value is that value, as in
 * --flag=-h; it printed the command's help instead. */
static void test_cli_help_as_flag_value(void **state)
{
    (void)state;
    struct run a = RUN("plan", "--samples", "-h");
    struct run b = RUN("plan", "--samples=-h");
    assert_int_equal(a.rc, CLI_EXIT_USAGE);
    assert_string_equal(a.out, "");
    assert_contains(a.err, "--samples: '-h' is not a whole number");
    assert_int_equal(b.rc, a.rc);
    assert_string_equal(b.out, a.out);
    assert_string_equal(b.err, a.err);
    run_free(&a);
    run_free(&b);
    a = RUN("calibrate", "--calibration", "-h"); /* a file named -h */
    assert_int_equal(a.rc, CLI_EXIT_USAGE);
    assert_contains(a.err, "-h: cannot open");
    run_free(&a);
    /* elsewhere -h still asks for help: after a value, a flag without one,
     * a bare word, an unknown flag */
    static const struct {
        char *args[4];
    } help[] = {
        {{"--samples", "10", "-h"}}, {{"--json", "-h"}}, {{"extra", "-h"}}, {{"--bogus", "-h"}},
        {{"--samples=10", "-h"}},    {{"--samples", "--help"}},
    };
    for (size_t i = 0; i < sizeof help / sizeof help[0]; i++) {
        char *argv[8] = {"trainest", "plan"};
        int argc = 2;
        for (int k = 0; k < 4 && help[i].args[k]; k++)
            argv[argc++] = help[i].args[k];
        a = run_argv(argc, argv);
        assert_int_equal(a.rc, CLI_EXIT_OK);
        assert_contains(a.out, "Usage: trainest plan");
        assert_string_equal(a.err, "");
        run_free(&a);
    }
}

/* Regression (found by tests/fuzz/cli_argv.c, corpus/cli_argv/regress-range-
 * part-32-chars): a part of MIN:MAX[:STEP] or A,B,C of 32 characters or
 * more was "out of range" even when it was a valid number (leading zeros,
 * as every whole-number flag takes) or not a number at all. */
static void test_cli_range_long_parts(void **state)
{
    (void)state;
    static const char zeros8[] = "0000000000000000000000000000000000000008"; /* 40 chars */
    char range[96];
    snprintf(range, sizeof range, "%s:16", zeros8);
    struct run a = RUN("search", "--samples", "100", "--per-sample-s", "0.01", "--json",
                       "--global-batch-range", range);
    struct run b = RUN("search", "--samples", "100", "--per-sample-s", "0.01", "--json",
                       "--global-batch-range", "8:16");
    assert_int_equal(a.rc, CLI_EXIT_OK);
    assert_string_equal(a.err, "");
    assert_string_equal(a.out, b.out);
    run_free(&a);
    run_free(&b);
    a = RUN("search", "--samples", "100", "--per-sample-s", "0.01", "--global-batch-range",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx:16");
    assert_int_equal(a.rc, CLI_EXIT_USAGE);
    assert_contains(a.err, "part 1 is not valid");
    run_free(&a);
    a = RUN("search", "--samples", "100", "--per-sample-s", "0.01", "--global-batch-range",
            "8:000000000000000000000000000000000018446744073709551616");
    assert_int_equal(a.rc, CLI_EXIT_USAGE);
    assert_contains(a.err, "part 2 is out of range");
    run_free(&a);
    /* parse_u64_n: the n bytes, no terminator needed */
    uint64_t v = 0;
    assert_int_equal(parse_u64_n("12:34", 2, &v), PARSE_OK);
    assert_int_equal(v, 12);
    assert_int_equal(parse_u64_n(zeros8, strlen(zeros8), &v), PARSE_OK);
    assert_int_equal(v, 8);
    assert_int_equal(parse_u64_n("12", 0, &v), PARSE_EMPTY);
    assert_int_equal(parse_u64_n("1x", 2, &v), PARSE_SYNTAX);
    assert_int_equal(v, 8);
}

/* Regression (found by tests/fuzz/cli_argv.c, corpus/cli_argv/regress-json-
 * error-cut-utf8): a usage error quotes at most 64 bytes of a value, which
 * can cut a UTF-8 character; with --json the message was then not valid
 * JSON (nor was any value that is not UTF-8). Such bytes are U+FFFD now. */
static void test_cli_json_error_cut_utf8(void **state)
{
    (void)state;
    char value[96] = "x";
    for (int i = 0; i < 40; i++)
        strcat(value, "\xc3\xa9"); /* e acute: the 64th byte is a lead byte */
    struct run r = RUN("plan", "--json", "--samples", value);
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_true(jc_valid(r.out));
    assert_key_string(r.out, "error", "usage");
    char msg[512];
    assert_true(jc_get_string(r.out, "message", msg, sizeof msg));
    assert_contains(msg, "\xc3\xa9\xef\xbf\xbd' is not a whole number"); /* ... e, U+FFFD */
    run_free(&r);
    r = RUN("plan", "--json", "--samples", "\xff\xc3(\xed\xa0\x80");
    assert_int_equal(r.rc, CLI_EXIT_USAGE);
    assert_true(jc_valid(r.out));
    assert_true(jc_get_string(r.out, "message", msg, sizeof msg));
    assert_contains(msg, "'\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'");
    run_free(&r);
}

/* ---- JSON writer and checker ---------------------------------------------------------- */

/* Write with fn into a string. */
static char *write_json(void (*fn)(struct json *), bool pretty)
{
    char *buf;
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct json j;
    json_init(&j, f, pretty);
    fn(&j);
    json_finish(&j);
    fclose(f);
    return buf;
}

static const char *const tricky = "q\"b\\s/ \b\f\n\r\t \x01\x1f \xc3\xa9 \xe2\x82\xac end";

static void write_nested(struct json *j)
{
    json_object_begin(j);
    json_key_string(j, "s", tricky);
    json_key_u64(j, "max", UINT64_MAX);
    json_key_double(j, "tenth", 0.1);
    json_key_double(j, "big", 1e300);
    json_key_double(j, "nan", NAN);
    json_key_double(j, "inf", -INFINITY);
    json_key_bool(j, "yes", true);
    json_key(j, "none");
    json_null(j);
    json_key(j, "empty_obj");
    json_object_begin(j);
    json_object_end(j);
    json_key(j, "list");
    json_array_begin(j);
    json_u64(j, 1);
    json_array_begin(j);
    json_array_end(j);
    json_object_begin(j);
    json_key_u64(j, "k", 2);
    json_object_end(j);
    json_string(j, NULL);
    json_array_end(j);
    json_object_end(j);
}

static void test_json_writer_round_trips(void **state)
{
    (void)state;
    for (int pretty = 0; pretty < 2; pretty++) {
        char *s = write_json(write_nested, pretty);
        assert_true(jc_valid(s));
        char buf[128];
        assert_true(jc_get_string(s, "s", buf, sizeof buf));
        assert_string_equal(buf, tricky);
        assert_int_equal(get_u64(s, "max"), UINT64_MAX);
        double d = 0;
        assert_true(jc_number(jc_member(s, "tenth"), &d));
        assert_true(d == 0.1); /* %.17g round-trips exactly */
        assert_true(jc_number(jc_member(s, "big"), &d));
        assert_true(d == 1e300);
        assert_true(jc_is_null(jc_member(s, "nan")));
        assert_true(jc_is_null(jc_member(s, "inf")));
        assert_non_null(strstr(s, "true"));
        const char *list = jc_member(s, "list");
        assert_int_equal(jc_array_len(list), 4);
        assert_int_equal(jc_array_len(jc_array_at(list, 1)), 0);
        assert_int_equal(get_u64(jc_array_at(list, 2), "k"), 2);
        assert_true(jc_is_null(jc_array_at(list, 3)));
        assert_null(jc_array_at(list, 4));
        /* compact output is one line */
        assert_int_equal(strchr(s, '\n') == s + strlen(s) - 1, !pretty);
        free(s);
    }
}

static void test_json_check_strict(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{}", " [ ] ", "0", "-0.5e+3", "\"\\u00e9\\ud83d\\ude00\"", "[1,{\"a\":[null,true]}]",
        "{\"a\":1,\"b\":\"x\"}\n", "\"\xc3\xa9\"",
    };
    static const char *const bad[] = {
        "",       "{} {}",      "[1,]",      "{\"a\":1,}", "01",     "1.",      ".5",
        "+1",     "NaN",        "Infinity",  "\"\\x\"",    "\"a\tb\"", "{a:1}",  "[1 2]",
        "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "tru", "nul", "{\"a\"}", "[",
        "\"abc",  "\"\\u12G4\"", "'a'",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!jc_valid(good[i]))
            print_error("rejected: %s\n", good[i]);
        assert_true(jc_valid(good[i]));
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (jc_valid(bad[i]))
            print_error("accepted: %s\n", bad[i]);
        assert_false(jc_valid(bad[i]));
    }
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[199] = '\0';
    assert_false(jc_valid(deep)); /* unbalanced */
    char buf[16];
    assert_true(jc_string("\"\\ud83d\\ude00\"", buf, sizeof buf));
    assert_string_equal(buf, "\xf0\x9f\x98\x80");
    assert_false(jc_string("\"too long for the buffer\"", buf, sizeof buf));
    uint64_t v;
    assert_false(jc_u64("1.5", &v));
    assert_false(jc_u64("-1", &v));
    assert_false(jc_u64("18446744073709551616", &v));
    assert_null(jc_member("[1]", "a"));
    assert_int_equal(jc_array_len("{}"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_seed_example_json),
        cmocka_unit_test(test_plan_seed_example_accum_json),
        cmocka_unit_test(test_plan_every_flag_parses),
        cmocka_unit_test(test_plan_equals_form_matches),
        cmocka_unit_test(test_plan_enum_names_round_trip),
        cmocka_unit_test(test_plan_table_rows),
        cmocka_unit_test(test_plan_table_is_aligned),
        cmocka_unit_test(test_plan_unknown_flag_exits_2),
        cmocka_unit_test(test_plan_bad_numbers_exit_2),
        cmocka_unit_test(test_plan_usage_error_json),
        cmocka_unit_test(test_plan_bad_values_exit_2),
        cmocka_unit_test(test_plan_not_divisible_exits_1),
        cmocka_unit_test(test_plan_not_divisible_json),
        cmocka_unit_test(test_plan_error_names_the_flag),
        cmocka_unit_test(test_main_no_args_exits_2),
        cmocka_unit_test(test_main_unknown_command_exits_2),
        cmocka_unit_test(test_main_help_exits_0),
        cmocka_unit_test(test_plan_help_lists_every_flag),
        cmocka_unit_test(test_main_version_exits_0),
        cmocka_unit_test(test_demo_prints_worked_example),
        cmocka_unit_test(test_main_write_failure_exits_1),
        cmocka_unit_test(test_binary_exit_codes),
        cmocka_unit_test(test_calibrate_recovers_parameters),
        cmocka_unit_test(test_calibrate_bad_rows_exit_2),
        cmocka_unit_test(test_calibrate_missing_file_exit_2),
        cmocka_unit_test(test_calibrate_too_few_points_exit_1),
        cmocka_unit_test(test_calibrate_same_accum_needs_optimizer),
        cmocka_unit_test(test_calibrate_65536_rows),
        cmocka_unit_test(test_calibrate_loader_resnet50),
        cmocka_unit_test(test_calibrate_loader_usage_errors),
        cmocka_unit_test(test_calibrate_loader_bad_rows_exit_2),
        cmocka_unit_test(test_calibrate_loader_library_errors_exit_1),
        cmocka_unit_test(test_csv_loader_reader),
        cmocka_unit_test(test_csv_reader),
        cmocka_unit_test(test_estimate_json_keys),
        cmocka_unit_test(test_estimate_breakdown_sums_to_total),
        cmocka_unit_test(test_estimate_data_modes),
        cmocka_unit_test(test_estimate_loader_workers),
        cmocka_unit_test(test_estimate_one_device_no_comm),
        cmocka_unit_test(test_estimate_analytic),
        cmocka_unit_test(test_estimate_calibrated_matches_given),
        cmocka_unit_test(test_estimate_table),
        cmocka_unit_test(test_estimate_bad_floats_exit_2),
        cmocka_unit_test(test_estimate_library_errors_name_the_flag),
        cmocka_unit_test(test_estimate_usage_errors),
        cmocka_unit_test(test_tradeoff_json),
        cmocka_unit_test(test_tradeoff_table),
        cmocka_unit_test(test_estimate_help_lists_every_flag),
        cmocka_unit_test(test_plan_layout_keys),
        cmocka_unit_test(test_plan_bad_layout_lists_layouts),
        cmocka_unit_test(test_model_shape_errors),
        cmocka_unit_test(test_estimate_model_parallel_keys),
        cmocka_unit_test(test_estimate_model_parallel_errors),
        cmocka_unit_test(test_fit_memory_recovers_parameters),
        cmocka_unit_test(test_fit_memory_bad_input),
        cmocka_unit_test(test_csv_memory_reader),
        cmocka_unit_test(test_search_matches_library),
        cmocka_unit_test(test_search_model_parallel),
        cmocka_unit_test(test_search_usage_errors),
        cmocka_unit_test(test_estimate_memory),
        cmocka_unit_test(test_estimate_failures),
        cmocka_unit_test(test_estimate_rampup_and_critical),
        cmocka_unit_test(test_estimate_runlevel_usage_errors),
        cmocka_unit_test(test_eta_json_lines_match_tracker),
        cmocka_unit_test(test_eta_lines_and_progress),
        cmocka_unit_test(test_eta_failures_widen_the_band),
        cmocka_unit_test(test_eta_rampup_follows_the_samples),
        cmocka_unit_test(test_eta_bad_input),
        cmocka_unit_test(test_xml_checker),
        cmocka_unit_test(test_sweep_plots_the_model),
        cmocka_unit_test(test_sweep_edges_and_errors),
        cmocka_unit_test(test_svg_axes),
        cmocka_unit_test(test_every_command_help),
        cmocka_unit_test(test_parse_u64_strict),
        cmocka_unit_test(test_parse_double_strict),
        cmocka_unit_test(test_parse_enum_exact),
        cmocka_unit_test(test_parse_u64_overflow_then_junk),
        cmocka_unit_test(test_cli_help_as_flag_value),
        cmocka_unit_test(test_cli_range_long_parts),
        cmocka_unit_test(test_cli_json_error_cut_utf8),
        cmocka_unit_test(test_json_writer_round_trips),
        cmocka_unit_test(test_json_check_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
