/* SPDX-License-Identifier: MIT */
/* The trainest command-line tool: exit codes, tables and JSON for good and
 * bad input, run in-process through trainest_cli_main() with memory
 * streams, plus one run of the real binary. Also the CLI's value parsers,
 * its JSON writer and the JSON checker the other tests rely on. */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#include "args.h"
#include "cli.h"
#include "json.h"
#include "json_check.h"

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
};

static void assert_plan_object(const char *obj)
{
    for (size_t i = 0; i < sizeof plan_keys / sizeof plan_keys[0]; i++)
        (void)get_u64(obj, plan_keys[i]);
    assert_int_equal(get_u64(obj, "global_batch"), get_u64(obj, "micro_batch") *
                                                       get_u64(obj, "grad_accum_steps") *
                                                       get_u64(obj, "data_parallel"));
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
        cmocka_unit_test(test_parse_u64_strict),
        cmocka_unit_test(test_parse_double_strict),
        cmocka_unit_test(test_parse_enum_exact),
        cmocka_unit_test(test_json_writer_round_trips),
        cmocka_unit_test(test_json_check_strict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
