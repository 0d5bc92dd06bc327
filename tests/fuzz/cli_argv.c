/* SPDX-License-Identifier: MIT */
/* Fuzz target: the CLI's command line, through parse_command_line() of
 * examples/cli/cli.c, the function trainest_cli_run() calls to turn argv
 * into the options of a command before it runs it (help, --version, the
 * command, --json, every flag in both forms, ranges, triples, enum names,
 * bytes to bits, repeated, unknown, excluded and missing flags). The tool's
 * sources are included directly (one translation unit, so the target
 * still builds on its own with the one-line command of README.md); the
 * JSON checker of tests/json_check.c validates --json errors. See
 * tests/fuzz/README.md.
 *
 * Input: a mode byte, then
 *   mode bit 0 clear: raw arguments, the rest of the input split at NUL
 *     bytes: argv[1] (the command), argv[2], ... (argv[0] is "trainest");
 *   mode bit 0 set: structured: bits 1-4 choose argv[1] (the 8 commands,
 *     help, --help, --version, -h, none, an unknown command), then tokens
 *     until the input ends: a byte below 0xE0 is a flag of the table (byte
 *     mod the flag count) followed by a form byte (bits 0-1: "--flag VALUE",
 *     "--flag=VALUE", "--flag" alone, a truncated name with "=VALUE"; bits
 *     2-4: where VALUE comes from: a value of the flag's kind, raw bytes,
 *     edge strings, a u64, a double's bits, parts joined by ':' or ',', an
 *     enum name of any table, a value of the flag's kind with junk after
 *     it) and the value's bytes; 0xE0-0xEF a special argument ("--json",
 *     "-h", "--", ...); 0xF0-0xFF a raw argument of up to 63 bytes.
 *
 * Properties (ids argv:*), for every command line:
 *   - outcome: a run, help or version (exit 0) or a usage error (exit 2),
 *     exactly as an independent oracle of the documented grammar predicts
 *     (values as args.h and the flag table say, each flag once, required
 *     flags, a command's flag or the one it takes instead (exactly one),
 *     per-command refusals, "-h"/"--help" anywhere but as a flag's
 *     value: "--flag -h" is the value "-h", as "--flag=-h" is);
 *   - output: a run prints nothing; help prints only to out; a usage error
 *     prints "trainest: error: MESSAGE" and the help hint to err, nothing to
 *     out, or with --json (where the command takes it, or for an unknown
 *     command) exactly one valid JSON object {"error": "usage", "message":
 *     MESSAGE}, whatever bytes argv holds (not UTF-8: U+FFFD);
 *   - values: on a run every given flag holds its value as the oracle
 *     reads it, every other flag its default;
 *   - deterministic: parsing again gives the same options and output;
 *   - forms: swapping "--flag VALUE" and "--flag=VALUE" changes nothing;
 *   - round trip: the options printed back as "--flag=VALUE" (u64 decimal,
 *     %.17g, names, MIN:MAX:STEP, A,B,C, bits / 8) parse to the same
 *     options;
 *   - argv strings are exact-size heap copies: reading past one is an
 *     ASan error. */
#define _POSIX_C_SOURCE 200809L
#define FZ_TARGET "cli_argv"
#define FZ_MAX_LEN 2048
#include "fuzz_util.h"

#include <errno.h>
#include <inttypes.h>

#include "cli/args.c"
#include "cli/cli.c"
#include "cli/cmd_eta.c"
#include "cli/cmd_memory.c"
#include "cli/cmd_sweep.c"
#include "cli/csv.c"
#include "cli/json.c"
#include "cli/svg.c"

#include "../json_check.c"

#define MAX_ARGS 64 /* built from fuzz bytes (up to one more); swapping forms may double them */
#define MAX_ARG_LEN 4096

/* ---- Command lines ------------------------------------------------------------- */

/* argv: argv[0] "trainest", exact-size heap strings, argv[argc] NULL. */
struct cmdline {
    int argc;
    char *argv[3 * MAX_ARGS + 1];
};

static void cl_init(struct cmdline *cl)
{
    cl->argc = 0;
    cl->argv[0] = NULL;
}

static void cl_add_n(struct cmdline *cl, const char *s, size_t n)
{
    if (cl->argc == 3 * MAX_ARGS)
        abort();
    const char *nul = memchr(s, '\0', n);
    if (nul)
        n = (size_t)(nul - s);
    char *a = malloc(n + 1);
    if (!a)
        abort();
    if (n)
        memcpy(a, s, n);
    a[n] = '\0';
    cl->argv[cl->argc++] = a;
    cl->argv[cl->argc] = NULL;
}

static void cl_add(struct cmdline *cl, const char *s)
{
    cl_add_n(cl, s, strlen(s));
}

static void cl_free(struct cmdline *cl)
{
    for (int i = 0; i < cl->argc; i++)
        free(cl->argv[i]);
    cl->argc = 0;
}

/* ---- One parse ------------------------------------------------------------------ */

struct outcome {
    int rc;
    bool run;
    bool json;
    const struct command *cmd;
    struct options o;
    char *out, *err;
    size_t out_n, err_n;
};

static void parse(const struct cmdline *cl, struct outcome *r)
{
    FILE *out = open_memstream(&r->out, &r->out_n);
    FILE *err = open_memstream(&r->err, &r->err_n);
    if (!out || !err)
        abort();
    /* the pointer array is exact-size too: argv[argc] is its last element */
    char **av = malloc(((size_t)cl->argc + 1) * sizeof *av);
    if (!av)
        abort();
    memcpy(av, cl->argv, ((size_t)cl->argc + 1) * sizeof *av);
    struct cli c = {NULL, out, err, false, false, NULL};
    memset(&r->o, 0x5A, sizeof r->o);
    r->rc = parse_command_line(&c, cl->argc, av, &r->o, &r->run);
    free(av);
    if (fclose(out) != 0 || fclose(err) != 0)
        abort();
    r->json = c.json;
    r->cmd = c.cmd;
}

static void outcome_free(struct outcome *r)
{
    free(r->out);
    free(r->err);
}

/* ---- The flag table, read independently of cli.c's parser ----------------------- */

static size_t slot_size(const struct flag *fl)
{
    switch (fl->kind) {
    case FLAG_BOOL:
        return sizeof(bool);
    case FLAG_U64:
    case FLAG_DOUBLE:
        return 8;
    case FLAG_ENUM:
    case FLAG_BITS:
        return 4;
    case FLAG_STRING:
        return sizeof(const char *);
    case FLAG_RANGE:
    case FLAG_TRIPLE:
        return 24;
    }
    return 0;
}

static const struct flag *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < FLAG_COUNT; i++)
        if (strlen(flags[i].name) == len && memcmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static bool is_excluded(const struct command *cmd, const struct flag *fl)
{
    for (const struct exclusion *e = cmd->excluded; e && e->flag; e++)
        if (strcmp(e->flag, fl->name) == 0)
            return true;
    return false;
}

static bool takes(const struct command *cmd, const struct flag *fl)
{
    return (cmd->groups & fl->group) && !is_excluded(cmd, fl);
}

static bool starts_dashdash(const char *s)
{
    return s[0] == '-' && s[1] == '-';
}

/* ---- Values, as args.h and the flag table describe them ------------------------- */

/* Decimal digits only, any number of them, at most UINT64_MAX. */
static bool u64_ok(const char *s, size_t n, uint64_t *out)
{
    if (!n)
        return false;
    uint64_t v = 0;
    bool over = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        over |= __builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v);
    }
    *out = v;
    return !over;
}

/* [+-]digits[.digits][(e|E)[+-]digits], a mantissa digit at least. */
static bool double_grammar(const char *s)
{
    size_t mantissa = 0;
    if (*s == '+' || *s == '-')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        mantissa++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            mantissa++;
    if (!mantissa)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* A FLAG_DOUBLE value: finite, >= 0 (-0 reads as 0). */
static bool nonneg_ok(const char *s, double *out)
{
    if (!double_grammar(s))
        return false;
    const double d = strtod(s, NULL);
    if (!isfinite(d) || d < 0)
        return false;
    *out = d == 0 ? 0.0 : d;
    return true;
}

/* Parts of a range or triple: sep-separated u64s. Returns the count (up to
 * 4: more than 3), or -1 if a part is not a u64. */
static int parts_of(const char *s, char sep, uint64_t v[3])
{
    int n = 0;
    for (const char *p = s;; n++) {
        const char *end = strchr(p, sep);
        const size_t len = end ? (size_t)(end - p) : strlen(p);
        uint64_t x;
        if (n == 3)
            return 4;
        if (!u64_ok(p, len, &x))
            return -1;
        v[n] = x;
        if (!end)
            return n + 1;
        p = end + 1;
    }
}

/* Whether value is valid for fl; if so, the bytes its slot must hold. */
static bool value_ok(const struct flag *fl, const char *value, unsigned char slot[24])
{
    memset(slot, 0, 24);
    switch (fl->kind) {
    case FLAG_BOOL:
        return false;
    case FLAG_U64: {
        uint64_t v;
        if (!u64_ok(value, strlen(value), &v))
            return false;
        memcpy(slot, &v, 8);
        return true;
    }
    case FLAG_DOUBLE: {
        double d;
        if (!nonneg_ok(value, &d))
            return false;
        memcpy(slot, &d, 8);
        return true;
    }
    case FLAG_BITS: {
        double d;
        if (!nonneg_ok(value, &d) || !(d * 8 <= 4294967295.0) || d * 8 != floor(d * 8))
            return false;
        const uint32_t bits = (uint32_t)(d * 8);
        memcpy(slot, &bits, 4);
        return true;
    }
    case FLAG_ENUM:
        for (const struct enum_name *e = fl->names; e->name; e++)
            if (strcmp(e->name, value) == 0) {
                memcpy(slot, &e->value, 4);
                return true;
            }
        return false;
    case FLAG_STRING:
        memcpy(slot, &value, sizeof value);
        return *value != '\0';
    case FLAG_RANGE: {
        uint64_t v[3] = {0, 0, 1};
        const int n = parts_of(value, ':', v);
        if (n < 2 || n > 3 || !v[0] || !v[1] || !v[2] || v[1] < v[0])
            return false;
        memcpy(slot, v, 24);
        return true;
    }
    case FLAG_TRIPLE: {
        uint64_t v[3];
        if (parts_of(value, ',', v) != 3)
            return false;
        memcpy(slot, v, 24);
        return true;
    }
    }
    return false;
}

/* ---- The oracle ------------------------------------------------------------------ */

enum expect { EXPECT_USAGE, EXPECT_HELP, EXPECT_RUN };

struct oracle {
    enum expect expect;
    const struct command *cmd; /* the command, when argv[1] names one */
    bool json;                 /* --json is given and the command takes it */
    const char *why;           /* the reason for EXPECT_USAGE (for messages) */
    bool seen[FLAG_COUNT];
    unsigned char slot[FLAG_COUNT][24]; /* EXPECT_RUN: what each given flag holds */
};

static bool is_help_arg(const char *s)
{
    return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

/* The documented command line: trainest COMMAND [--flag VALUE | --flag=VALUE]... */
static void predict(const struct cmdline *cl, struct oracle *p)
{
    memset(p, 0, sizeof *p);
    p->expect = EXPECT_USAGE;
    if (cl->argc < 2) {
        p->why = "no command";
        return;
    }
    const char *first = cl->argv[1];
    char *const *args = cl->argv + 2;
    const int n = cl->argc - 2;
    if (is_help_arg(first) || strcmp(first, "--version") == 0) {
        p->expect = n ? EXPECT_USAGE : EXPECT_HELP;
        p->why = "arguments after --help or --version";
        return;
    }
    if (strcmp(first, "help") == 0) {
        p->expect = n == 0 || (n == 1 && find_command(args[0])) ? EXPECT_HELP : EXPECT_USAGE;
        p->why = "help for no command";
        return;
    }
    /* --json anywhere: the command's usage errors are JSON too, and those
     * of an unknown command */
    p->cmd = find_command(first);
    for (int i = 0; i < n; i++)
        p->json |= strcmp(args[i], "--json") == 0 && (!p->cmd || takes(p->cmd, find_flag("json", 4)));
    if (!p->cmd) {
        p->why = "unknown command";
        return;
    }
    /* help: "-h" or "--help" anywhere but as the value of a flag in the
     * form --flag VALUE */
    for (int i = 0; i < n; i++) {
        if (is_help_arg(args[i])) {
            p->expect = EXPECT_HELP;
            return;
        }
        if (starts_dashdash(args[i]) && !strchr(args[i], '=') && i + 1 < n && !starts_dashdash(args[i + 1])) {
            const struct flag *fl = find_flag(args[i] + 2, strlen(args[i] + 2));
            if (fl && fl->kind != FLAG_BOOL)
                i++;
        }
    }
    for (int i = 0; i < n; i++) {
        const char *a = args[i];
        if (!starts_dashdash(a) || !a[2]) {
            p->why = "an argument that is not a flag";
            return;
        }
        const char *eq = strchr(a + 2, '=');
        const struct flag *fl = find_flag(a + 2, eq ? (size_t)(eq - (a + 2)) : strlen(a + 2));
        if (!fl || !takes(p->cmd, fl)) {
            p->why = "a flag the command does not take";
            return;
        }
        const size_t k = (size_t)(fl - flags);
        if (p->seen[k]) {
            p->why = "a flag given twice";
            return;
        }
        p->seen[k] = true;
        if (fl->kind == FLAG_BOOL) {
            if (eq) {
                p->why = "a value for a flag that takes none";
                return;
            }
            p->slot[k][0] = 1;
            continue;
        }
        const char *value = eq ? eq + 1 : i + 1 < n && !starts_dashdash(args[i + 1]) ? args[++i] : NULL;
        if (!value) {
            p->why = "a flag without its value";
            return;
        }
        if (!value_ok(fl, value, p->slot[k])) {
            p->why = "a bad value";
            return;
        }
    }
    for (size_t k = 0; k < FLAG_COUNT; k++)
        if (flags[k].required && takes(p->cmd, &flags[k]) && !p->seen[k]) {
            p->why = "a required flag is missing";
            return;
        }
    /* the command's flag, or the one it takes instead: exactly one of them */
    if (p->cmd->needs) {
        const bool need = p->seen[find_flag(p->cmd->needs, strlen(p->cmd->needs)) - flags];
        const bool instead =
            p->cmd->instead && p->seen[find_flag(p->cmd->instead, strlen(p->cmd->instead)) - flags];
        if (need == instead) {
            p->why = need ? "both the command's flag and the one instead" : "the command's flag is missing";
            return;
        }
    }
    p->expect = EXPECT_RUN;
}

/* ---- Checks ---------------------------------------------------------------------- */

/* A printable rendering of argv for messages. */
static const char *show_argv(const struct cmdline *cl)
{
    static char buf[4096];
    size_t k = 0;
    for (int i = 1; i < cl->argc && k + 8 < sizeof buf; i++) {
        buf[k++] = ' ';
        buf[k++] = '\'';
        for (const unsigned char *s = (const unsigned char *)cl->argv[i]; *s && k + 8 < sizeof buf; s++)
            if (*s >= 0x20 && *s < 0x7F && *s != '\\')
                buf[k++] = (char)*s;
            else
                k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02x", *s);
        buf[k++] = '\'';
    }
    buf[k] = '\0';
    return buf;
}

/* s with every byte that begins no well-formed UTF-8 sequence replaced by
 * U+FFFD, as the JSON writer writes it (json.h). */
static const char *as_utf8(const char *s, char *buf, size_t cap)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && k + 5 < cap;) {
        const int n = *p < 0x80 ? 1 : utf8_len(p); /* tests/json_check.c */
        if (n) {
            memcpy(buf + k, p, (size_t)n);
            k += (size_t)n;
            p += n;
        } else {
            memcpy(buf + k, "\xef\xbf\xbd", 3);
            k += 3;
            p++;
        }
    }
    buf[k] = '\0';
    return buf;
}

/* Where two option structs differ: NULL if they are the same (strings by
 * their text). */
static const char *options_differ(const struct options *a, const struct options *b)
{
    static unsigned char x[sizeof(struct options)], y[sizeof(struct options)];
    memcpy(x, a, sizeof x);
    memcpy(y, b, sizeof y);
    for (size_t i = 0; i < FLAG_COUNT; i++) {
        if (flags[i].kind != FLAG_STRING)
            continue;
        const char *sa, *sb, *null = NULL;
        memcpy(&sa, x + flags[i].offset, sizeof sa);
        memcpy(&sb, y + flags[i].offset, sizeof sb);
        if (!sa != !sb || (sa && strcmp(sa, sb) != 0))
            return flags[i].name;
        memcpy(x + flags[i].offset, &null, sizeof null);
        memcpy(y + flags[i].offset, &null, sizeof null);
    }
    if (memcmp(x, y, sizeof x) == 0)
        return NULL;
    for (size_t i = 0; i < FLAG_COUNT; i++)
        if (memcmp(x + flags[i].offset, y + flags[i].offset, slot_size(&flags[i])) != 0)
            return flags[i].name;
    return memcmp(x + offsetof(struct options, seen), y + offsetof(struct options, seen), sizeof a->seen) != 0
               ? "seen[]"
               : "a member no flag sets";
}

static bool same_text(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* Two parses that must agree: a of cl, b of other (NULL: cl again). */
static void check_same(const char *id, const struct cmdline *cl, const struct cmdline *other,
                       const struct outcome *a, const struct outcome *b)
{
    static char shown[4096];
    snprintf(shown, sizeof shown, "%s", show_argv(cl));
    const char *then = other ? show_argv(other) : " (again)";
    FZ_CHECK(id, a->rc == b->rc && a->run == b->run, "%s: exit %d run %d, but\n    %s: exit %d run %d\n%s%s",
             shown, a->rc, a->run, then, b->rc, b->run, a->err, b->err);
    if (a->run && b->run) {
        const char *d = options_differ(&a->o, &b->o);
        FZ_CHECK(id, !d, "%s: the options differ at %s from\n    %s", shown, d, then);
    }
    FZ_CHECK(id, same_text(a->out, a->out_n, b->out, b->out_n) && same_text(a->err, a->err_n, b->err, b->err_n),
             "%s: the output differs from\n    %s:\n%s%s---\n%s%s", shown, then, a->out, a->err, b->out, b->err);
}

/* The outcome against the oracle and the output contract. */
static void check_outcome(const struct cmdline *cl, const struct outcome *r, const struct oracle *p)
{
    const char *cmdline = show_argv(cl);
    FZ_CHECK("argv:exit-status", r->rc == CLI_EXIT_OK || r->rc == CLI_EXIT_USAGE, "%s: exit %d", cmdline, r->rc);
    FZ_CHECK("argv:run-status", !r->run || (r->rc == CLI_EXIT_OK && r->cmd), "%s: run with exit %d", cmdline,
             r->rc);
    const enum expect got = r->run ? EXPECT_RUN : r->rc == CLI_EXIT_OK ? EXPECT_HELP : EXPECT_USAGE;
    static const char *const names[] = {"a usage error", "help", "a run"};
    FZ_CHECK("argv:outcome", got == p->expect, "%s: %s, the grammar says %s%s%s\n     err: %s", cmdline, names[got],
             names[p->expect], p->why && p->expect == EXPECT_USAGE ? ": " : "",
             p->why && p->expect == EXPECT_USAGE ? p->why : "", r->err);
    FZ_CHECK("argv:command", r->cmd == p->cmd, "%s: command %s, expected %s", cmdline,
             r->cmd ? r->cmd->name : "none", p->cmd ? p->cmd->name : "none");
    FZ_CHECK("argv:json-mode", r->json == p->json, "%s: json %d, expected %d", cmdline, r->json, p->json);

    switch (got) {
    case EXPECT_RUN:
        FZ_CHECK("argv:silent-run", r->out_n == 0 && r->err_n == 0, "%s: parsing printed:\n%s%s", cmdline, r->out,
                 r->err);
        break;
    case EXPECT_HELP:
        FZ_CHECK("argv:help-output", r->err_n == 0 && r->out_n > 0 && r->out[r->out_n - 1] == '\n',
                 "%s: help printed %zu bytes, %zu to err", cmdline, r->out_n, r->err_n);
        break;
    case EXPECT_USAGE:
        if (cl->argc < 2) {
            FZ_CHECK("argv:usage-output", r->out_n == 0 && strncmp(r->err, "Usage: trainest", 15) == 0,
                     "no command: out \"%s\", err \"%s\"", r->out, r->err);
            break;
        }
        {
            static const char prefix[] = "trainest: error: ";
            char hint[96];
            if (r->cmd)
                snprintf(hint, sizeof hint, "\nRun 'trainest %s --help' for usage.\n", r->cmd->name);
            else
                snprintf(hint, sizeof hint, "\nRun 'trainest --help' for usage.\n");
            const size_t pl = strlen(prefix), hl = strlen(hint);
            const bool shaped = r->err_n > pl + hl && memcmp(r->err, prefix, pl) == 0 &&
                                memcmp(r->err + r->err_n - hl, hint, hl) == 0 && strlen(r->err) == r->err_n;
            FZ_CHECK("argv:usage-message", shaped, "%s: err is not \"%sMESSAGE%s\": %s", cmdline, prefix, hint,
                     r->err);
            if (!shaped)
                break;
            static char msg[MAX_ARG_LEN];
            const size_t ml = r->err_n - pl - hl;
            if (ml >= sizeof msg)
                abort();
            memcpy(msg, r->err + pl, ml);
            msg[ml] = '\0';
            if (!r->json) {
                FZ_CHECK("argv:usage-stdout", r->out_n == 0, "%s: a usage error printed to out: %s", cmdline, r->out);
                break;
            }
            /* --json: one JSON object with the same message */
            FZ_CHECK("argv:usage-json-text", strlen(r->out) == r->out_n && r->out_n && r->out[r->out_n - 1] == '\n',
                     "%s: --json error output \"%s\"", cmdline, r->out);
            FZ_CHECK("argv:usage-json-valid", jc_valid(r->out), "%s: --json error is not valid JSON: %s", cmdline,
                     r->out);
            if (!jc_valid(r->out))
                break;
            static char got_msg[4 * MAX_ARG_LEN], want_msg[4 * MAX_ARG_LEN];
            char kind[16];
            FZ_CHECK("argv:usage-json-members",
                     jc_get_string(r->out, "error", kind, sizeof kind) && strcmp(kind, "usage") == 0 &&
                         jc_get_string(r->out, "message", got_msg, sizeof got_msg) &&
                         strcmp(got_msg, as_utf8(msg, want_msg, sizeof want_msg)) == 0,
                     "%s: --json error %s, message on err \"%s\"", cmdline, r->out, msg);
        }
        break;
    }

    if (got != EXPECT_RUN || p->expect != EXPECT_RUN)
        return;
    /* every flag: the oracle's value, or the default */
    struct options def;
    options_init(&def);
    for (size_t k = 0; k < FLAG_COUNT; k++) {
        const unsigned char *s = (const unsigned char *)&r->o + flags[k].offset;
        const size_t n = slot_size(&flags[k]);
        FZ_CHECK("argv:seen", r->o.seen[k] == p->seen[k], "%s: --%s seen %d", cmdline, flags[k].name, r->o.seen[k]);
        if (p->seen[k])
            FZ_CHECK("argv:value", memcmp(s, p->slot[k], n) == 0, "%s: --%s does not hold its value", cmdline,
                     flags[k].name);
        else
            FZ_CHECK("argv:default", memcmp(s, (const unsigned char *)&def + flags[k].offset, n) == 0,
                     "%s: --%s is not given but not its default", cmdline, flags[k].name);
    }
}

/* The same command line with "--flag VALUE" and "--flag=VALUE" swapped
 * after a command (where the value does not start with "--", which the
 * first form cannot take); false if there is nothing to swap. */
static bool swap_forms(const struct cmdline *cl, struct cmdline *alt)
{
    cl_init(alt);
    bool swapped = false;
    for (int i = 0; i < cl->argc; i++) {
        const char *a = cl->argv[i];
        const struct flag *fl = NULL;
        const char *eq = NULL;
        if (i >= 2 && starts_dashdash(a) && find_command(cl->argv[1])) {
            eq = strchr(a + 2, '=');
            fl = find_flag(a + 2, eq ? (size_t)(eq - (a + 2)) : strlen(a + 2));
        }
        if (fl && fl->kind != FLAG_BOOL && eq && !starts_dashdash(eq + 1)) {
            cl_add_n(alt, a, (size_t)(eq - a));
            cl_add(alt, eq + 1);
            swapped = true;
        } else if (fl && fl->kind != FLAG_BOOL && !eq && i + 1 < cl->argc && !starts_dashdash(cl->argv[i + 1])) {
            const size_t an = strlen(a), vn = strlen(cl->argv[i + 1]);
            char *j = malloc(an + vn + 2);
            if (!j)
                abort();
            memcpy(j, a, an);
            j[an] = '=';
            memcpy(j + an + 1, cl->argv[i + 1], vn + 1);
            cl_add(alt, j);
            free(j);
            i++;
            swapped = true;
        } else {
            cl_add(alt, a);
        }
    }
    return swapped;
}

/* The options of a run printed back as "--flag=VALUE" arguments. */
static void print_back(const struct command *cmd, const struct options *o, struct cmdline *cl)
{
    cl_init(cl);
    cl_add(cl, "trainest");
    cl_add(cl, cmd->name);
    for (size_t k = 0; k < FLAG_COUNT; k++) {
        if (!o->seen[k])
            continue;
        const struct flag *fl = &flags[k];
        const void *slot = (const char *)o + fl->offset;
        static char buf[2 * MAX_ARG_LEN];
        int n = snprintf(buf, sizeof buf, "--%s", fl->name);
        char *v = buf + n;
        const size_t cap = sizeof buf - (size_t)n;
        uint64_t u[3];
        double d;
        uint32_t w;
        const char *s;
        switch (fl->kind) {
        case FLAG_BOOL:
            break;
        case FLAG_U64:
            memcpy(u, slot, 8);
            snprintf(v, cap, "=%" PRIu64, u[0]);
            break;
        case FLAG_DOUBLE:
            memcpy(&d, slot, 8);
            snprintf(v, cap, "=%.17g", d);
            break;
        case FLAG_BITS:
            memcpy(&w, slot, 4);
            snprintf(v, cap, "=%.17g", w / 8.0);
            break;
        case FLAG_ENUM:
            memcpy(&w, slot, 4);
            s = enum_name_of(fl->names, w);
            snprintf(v, cap, "=%s", s ? s : "?");
            break;
        case FLAG_STRING:
            memcpy(&s, slot, sizeof s);
            snprintf(v, cap, "=%s", s);
            break;
        case FLAG_RANGE:
            memcpy(u, slot, 24);
            snprintf(v, cap, "=%" PRIu64 ":%" PRIu64 ":%" PRIu64, u[0], u[1], u[2]);
            break;
        case FLAG_TRIPLE:
            memcpy(u, slot, 24);
            snprintf(v, cap, "=%" PRIu64 ",%" PRIu64 ",%" PRIu64, u[0], u[1], u[2]);
            break;
        }
        cl_add(cl, buf);
    }
}

static void check(const struct cmdline *cl)
{
    struct oracle p;
    predict(cl, &p);
    struct outcome a, b;
    parse(cl, &a);
    check_outcome(cl, &a, &p);

    parse(cl, &b);
    check_same("argv:deterministic", cl, NULL, &a, &b);
    outcome_free(&b);

    struct cmdline alt;
    if (swap_forms(cl, &alt)) {
        parse(&alt, &b);
        check_same("argv:forms-equal", cl, &alt, &a, &b);
        outcome_free(&b);
    }
    cl_free(&alt);

    if (a.run) {
        struct cmdline back;
        print_back(a.cmd, &a.o, &back);
        parse(&back, &b);
        FZ_CHECK("argv:round-trip", b.run, "%s: printed back as%s: exit %d: %s", show_argv(cl), show_argv(&back), b.rc, b.err);
        if (b.run) {
            const char *d = options_differ(&a.o, &b.o);
            FZ_CHECK("argv:round-trip", !d, "%s: printed back as%s: --%s differs", show_argv(cl), show_argv(&back), d);
        }
        outcome_free(&b);
        cl_free(&back);
    }
    outcome_free(&a);
}

/* ---- Building command lines from fuzz bytes --------------------------------------- */

static const char *const edge_values[] = {
    "", "-", "--", "-h", "--help", "--json", "=", "0", "-0", "+1", "1", "00", "007", "18446744073709551615",
    "18446744073709551616", "99999999999999999999x", "0000000000000000000000000000000000000001", "1e309",
    "-1e309", "1e-400", "-1e-400", "4.9406564584124654e-324", "0.125", "0.1", "536870911.875", "536870912",
    "1.0000000000000002", "1:1", "1:2:3", "1:2:3:4", "0:5", "5:1", "1:", ":", "1::", "1,2,3", "0,0,0", "1,2",
    "1,2,3,4", ",,", "nan", "inf", " 1", "1 ", "0x10", "1.5", "-5", "plain", "hf-legacy", "x", "\xc3\xa9",
    "\xff", "\xe2\x82", "a\nb",
};
#define EDGE_COUNT (sizeof edge_values / sizeof edge_values[0])

static const char *const special_args[16] = {
    "--json", "-h", "--help", "--", "-", "", "--=", "--=x", "help", "--version", "plan", "-json", "--JSON",
    "--samples", "--json=1", "x",
};

static const struct enum_name *const enum_tables[] = {
    preset_names,       sampler_names,   last_micro_batch_names, accum_tail_names,    divisibility_names,
    data_mode_names,    recompute_names, zero_stage_names,       interval_rule_names,
};

static size_t table_len(const struct enum_name *t)
{
    size_t n = 0;
    while (t[n].name)
        n++;
    return n;
}

/* Append to buf (cap bytes, NUL-terminated). */
static void put(char *buf, size_t cap, const char *fmt, ...)
{
    const size_t n = strlen(buf);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

static void gen_u64(fz_in *in, char *buf, size_t cap)
{
    const uint8_t how = fz_u8(in);
    const uint64_t v = how & 1 ? fz_u64(in) : fz_special(fz_u8(in));
    for (unsigned z = 0; z < (unsigned)(how >> 5); z++)
        put(buf, cap, "0");
    put(buf, cap, "%" PRIu64, v);
}

static void gen_double(fz_in *in, char *buf, size_t cap)
{
    const uint8_t how = fz_u8(in);
    const double d = fz_bits_double(how & 1 ? fz_u64(in) : fz_special(fz_u8(in)));
    static const char *const fmts[] = {"%.17g", "%g", "%.3f", "%e", "%.0f", "%.1E", "%.20g", "%a"};
    put(buf, cap, fmts[(how >> 1) & 7], d);
}

static void gen_parts(fz_in *in, char *buf, size_t cap, char sep)
{
    const uint8_t how = fz_u8(in);
    const unsigned n = 1 + (how & 3);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            put(buf, cap, "%c", sep);
        if (how & 4)
            gen_u64(in, buf, cap);
        else
            put(buf, cap, "%u", (unsigned)fz_u8(in));
    }
}

static void gen_raw(fz_in *in, char *buf, size_t cap, size_t max)
{
    size_t len = fz_u8(in) % max;
    if (len > in->n)
        len = in->n;
    const size_t n = strlen(buf);
    if (n + len >= cap)
        len = cap - n - 1;
    fz_bytes(in, buf + n, len);
    buf[n + len] = '\0';
}

/* A value of the flag's own kind. */
static void gen_natural(fz_in *in, const struct flag *fl, char *buf, size_t cap)
{
    switch (fl->kind) {
    case FLAG_BOOL:
    case FLAG_U64:
        gen_u64(in, buf, cap);
        break;
    case FLAG_DOUBLE:
        gen_double(in, buf, cap);
        break;
    case FLAG_BITS: {
        const uint8_t how = fz_u8(in);
        if (how & 1)
            put(buf, cap, "%.17g", fz_u32(in) / 8.0);
        else
            put(buf, cap, "%.17g", (how >> 1) / 8.0);
        break;
    }
    case FLAG_ENUM:
        put(buf, cap, "%s", fl->names[fz_u8(in) % table_len(fl->names)].name);
        break;
    case FLAG_STRING:
        gen_raw(in, buf, cap, 24);
        break;
    case FLAG_RANGE:
        gen_parts(in, buf, cap, ':');
        break;
    case FLAG_TRIPLE:
        gen_parts(in, buf, cap, ',');
        break;
    }
}

static void gen_value(fz_in *in, const struct flag *fl, unsigned src, char *buf, size_t cap)
{
    buf[0] = '\0';
    switch (src) {
    case 0:
        gen_natural(in, fl, buf, cap);
        break;
    case 1:
        gen_raw(in, buf, cap, 64);
        break;
    case 2:
        put(buf, cap, "%s", edge_values[fz_u8(in) % EDGE_COUNT]);
        break;
    case 3:
        gen_u64(in, buf, cap);
        break;
    case 4:
        gen_double(in, buf, cap);
        break;
    case 5: {
        const uint8_t b = fz_u8(in);
        gen_parts(in, buf, cap, b & 1 ? ',' : ':');
        break;
    }
    case 6: {
        const struct enum_name *t = enum_tables[fz_u8(in) % (sizeof enum_tables / sizeof enum_tables[0])];
        put(buf, cap, "%s", t[fz_u8(in) % table_len(t)].name);
        break;
    }
    default: {
        gen_natural(in, fl, buf, cap);
        const char c = (char)fz_u8(in);
        put(buf, cap, "%c", c ? c : 'x');
        break;
    }
    }
}

static void build_structured(fz_in *in, uint8_t mode, struct cmdline *cl)
{
    const unsigned which = (mode >> 1) & 15;
    static const char *const firsts[] = {"help", "--help", "--version", "-h", NULL, "nonsense", "plan", "estimate"};
    if (which < COMMAND_COUNT)
        cl_add(cl, commands[which].name);
    else if (firsts[which - COMMAND_COUNT])
        cl_add(cl, firsts[which - COMMAND_COUNT]);
    else
        return; /* argc 1 */
    static char buf[2 * MAX_ARG_LEN];
    while (in->n && cl->argc < MAX_ARGS) {
        const uint8_t op = fz_u8(in);
        if (op >= 0xF0) {
            buf[0] = '\0';
            gen_raw(in, buf, sizeof buf, 64);
            cl_add(cl, buf);
            continue;
        }
        if (op >= 0xE0) {
            cl_add(cl, special_args[op - 0xE0]);
            continue;
        }
        const struct flag *fl = &flags[op % FLAG_COUNT];
        const uint8_t form = fz_u8(in);
        static char value[MAX_ARG_LEN];
        gen_value(in, fl, (form >> 2) & 7, value, sizeof value);
        switch (form & 3) {
        case 0: /* --flag VALUE */
            snprintf(buf, sizeof buf, "--%s", fl->name);
            cl_add(cl, buf);
            if (fl->kind != FLAG_BOOL || (form & 0x20))
                cl_add(cl, value);
            break;
        case 1: /* --flag=VALUE */
            if (fl->kind == FLAG_BOOL && !(form & 0x20))
                snprintf(buf, sizeof buf, "--%s", fl->name);
            else
                snprintf(buf, sizeof buf, "--%s=%s", fl->name, value);
            cl_add(cl, buf);
            break;
        case 2: /* --flag */
            snprintf(buf, sizeof buf, "--%s", fl->name);
            cl_add(cl, buf);
            break;
        default: /* an abbreviation */
            snprintf(buf, sizeof buf, "--%.*s=%s", (int)strlen(fl->name) - 1, fl->name, value);
            cl_add(cl, buf);
            break;
        }
    }
}

static void build_raw(fz_in *in, struct cmdline *cl)
{
    const char *p = (const char *)in->p;
    size_t n = in->n;
    if (!n)
        return;
    while (cl->argc < MAX_ARGS) {
        const char *nul = memchr(p, '\0', n);
        const size_t len = nul ? (size_t)(nul - p) : n;
        cl_add_n(cl, p, len < MAX_ARG_LEN ? len : MAX_ARG_LEN - 1);
        if (!nul)
            break;
        p = nul + 1;
        n -= len + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t mode = fz_u8(&in);
    struct cmdline cl;
    cl_init(&cl);
    cl_add(&cl, "trainest");
    if (mode & 1)
        build_structured(&in, mode, &cl);
    else
        build_raw(&in, &cl);
    check(&cl);
    cl_free(&cl);
    return 0;
}

/* ---- Seeds ------------------------------------------------------------------------ */

/* A raw command line: the arguments after "trainest", NULL-terminated. */
static void raw(const char *name, const char *const *args)
{
    fz_seed_begin();
    fz_emit_u8(0);
    for (size_t i = 0; args[i]; i++) {
        if (i)
            fz_emit_u8(0);
        fz_emit(args[i], strlen(args[i]));
    }
    fz_seed_end(name);
}
#define RAW(name, ...) raw((name), (const char *const[]){__VA_ARGS__, NULL})

static size_t flag_index(const char *name)
{
    const struct flag *fl = find_flag(name, strlen(name));
    if (!fl)
        abort();
    return (size_t)(fl - flags);
}

static void fz_seeds(void)
{
    /* runs, every kind of flag, both forms */
    RAW("seed-plan", "plan", "--samples", "1000", "--global-batch=10", "--micro-batch", "5", "--devices=1",
        "--preset", "hf-legacy", "--divisibility=down", "--json");
    RAW("seed-estimate-every-kind", "estimate", "--samples=1000000", "--global-batch", "512", "--micro-batch=8",
        "--per-sample-s", "0.0125", "--optimizer-s=1e-3", "--zero-stage", "3", "--bytes-per-param-weights", "0.5",
        "--bytes-per-param-optimizer=12", "--params", "7000000000", "--preset=megatron", "--rampup",
        "32,32,1000000", "--mtbf-hours-per-device=50000", "--interval-rule", "young", "--tradeoff");
    RAW("seed-search-range", "search", "--samples", "100000", "--global-batch-range", "64:1024:64",
        "--per-sample-s=0.01", "--max-devices", "8", "--top=3", "--memory-points", "points.csv");
    RAW("seed-sweep", "sweep", "--samples=5000", "--global-batch-range=1:4096", "--peak-flops-per-s", "9.89e14",
        "--params", "124000000", "--seq-len", "1024", "--efficiency=0.4", "--svg", "out.svg", "--csv=-");
    RAW("seed-eta", "eta", "--samples", "1000", "--global-batch", "10", "--now=1700000000", "--now-step", "0.5",
        "--every", "10", "--progress", "--json");
    RAW("seed-calibrate", "calibrate", "--calibration=steps.csv", "--optimizer-s", "0");
    RAW("seed-calibrate-loader", "calibrate", "--loader", "loader.csv", "--json");
    RAW("seed-calibrate-both", "calibrate", "--loader=loader.csv", "--calibration", "steps.csv");
    RAW("seed-calibrate-neither", "calibrate", "--optimizer-s", "0.1", "--json");
    RAW("seed-estimate-loader-workers", "estimate", "--samples", "4096", "--global-batch=128",
        "--per-sample-s", "0.0003", "--data-overlap=workers", "--data-workers", "12",
        "--data-samples-per-s-per-worker=790", "--data-worker-startup-s", "0.1379",
        "--data-persistent-workers", "--json");
    RAW("seed-fit-memory", "fit-memory", "--points", "peaks.csv", "--device-memory-bytes=80000000000",
        "--headroom-ratio", "0.1");
    RAW("seed-u64-max", "plan", "--samples", "18446744073709551615", "--global-batch=000000000000000000001");
    /* usage errors */
    RAW("seed-u64-over", "plan", "--samples", "18446744073709551616");
    RAW("seed-repeated", "plan", "--samples", "1", "--samples=2");
    RAW("seed-unknown-json", "plan", "--samples", "1", "--bogus", "--json");
    RAW("seed-missing-value", "estimate", "--samples", "--json");
    RAW("seed-excluded", "search", "--samples", "10", "--devices", "2");
    RAW("seed-bool-value", "estimate", "--tradeoff=yes");
    RAW("seed-bool-value-persistent", "estimate", "--samples", "1", "--data-persistent-workers=1");
    RAW("seed-positional", "plan", "samples", "10");
    RAW("seed-range-bad", "search", "--global-batch-range", "8:4", "--json");
    RAW("seed-triple-four", "estimate", "--rampup=1,2,3,4");
    RAW("seed-bits-fraction", "search", "--bytes-per-param-grads", "0.1");
    RAW("seed-enum-case", "plan", "--samples", "1", "--preset=Megatron");
    RAW("seed-utf8-json", "plan", "--json", "--samples", "\xc3\xa9\xc3\xa9\xc3\xa9");
    RAW("seed-no-command", "");
    RAW("seed-help", "help", "search");
    RAW("seed-help-anywhere", "sweep", "--bogus", "x", "-h");
    RAW("seed-version-args", "--version", "x");
    RAW("seed-unknown-command", "-x", "--json");

    /* "-h" as a flag's value printed the help ("--samples=-h" is a bad number) */
    RAW("regress-help-as-flag-value", "plan", "--samples", "-h");
    /* a range part of 32 characters or more was "out of range", here a valid 8 */
    RAW("regress-range-part-32-chars", "search", "--samples", "100", "--global-batch-range",
        "0000000000000000000000000000000000000008:16");
    /* --json: the message quotes 64 bytes of the value, which cut the 32nd
     * e-acute in two: the JSON was not UTF-8 */
    RAW("regress-json-error-cut-utf8", "plan", "--json", "--samples",
        "x\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");

    /* structured: plan --samples 1000 --global-batch=0010 --preset=megatron --json */
    fz_seed_begin();
    fz_emit_u8(1 | 0 << 1); /* structured, command 0 (plan) */
    fz_emit_u8((uint8_t)flag_index("samples"));
    fz_emit_u8(0 | 0 << 2); /* --flag VALUE, natural */
    fz_emit_u8(1);          /* gen_u64: 8 bytes follow */
    fz_emit_u64(1000);
    fz_emit_u8((uint8_t)flag_index("global-batch"));
    fz_emit_u8(1 | 3 << 2); /* --flag=VALUE, a u64 */
    fz_emit_u8(1 | 2 << 5); /* two leading zeros */
    fz_emit_u64(10);
    fz_emit_u8((uint8_t)flag_index("preset"));
    fz_emit_u8(1); /* --flag=VALUE, natural: a name of its table */
    fz_emit_u8(2);
    fz_emit_u8(0xE0); /* --json */
    fz_seed_end("seed-structured-plan");

    /* structured: search --samples 007 --global-batch-range=16:64:16 --per-sample-s 0.5 */
    fz_seed_begin();
    fz_emit_u8(1 | 4 << 1); /* search */
    fz_emit_u8((uint8_t)flag_index("samples"));
    fz_emit_u8(2 << 2); /* --flag VALUE, an edge value */
    fz_emit_u8(12);     /* "007" */
    fz_emit_u8((uint8_t)flag_index("global-batch-range"));
    fz_emit_u8(1 | 5 << 2); /* --flag=VALUE, parts */
    fz_emit_u8(0);          /* ':' */
    fz_emit_u8(2);          /* three small parts */
    fz_emit_u8(16);
    fz_emit_u8(64);
    fz_emit_u8(16);
    fz_emit_u8((uint8_t)flag_index("per-sample-s"));
    fz_emit_u8(4 << 2); /* --flag VALUE, a double */
    fz_emit_u8(0);      /* %.17g of a special value */
    fz_emit_u8(14);     /* 0.5 */
    fz_seed_end("seed-structured-search");
}
