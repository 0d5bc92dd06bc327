/* SPDX-License-Identifier: MIT */
/* Fuzz target: the CLI's value parsers and CSV readers (examples/cli/args.c,
 * examples/cli/csv.c, included directly), and the fits the CLI feeds with
 * what they read. See tests/fuzz/README.md.
 *
 * Input: a mode byte, then
 *   mode 0-127: a command-line value (the rest of the input, as a C string)
 *     through parse_u64(), parse_u64_n() (on its first half), parse_double()
 *     and parse_enum(), each checked against the grammar in args.h;
 *   mode 128-255: CSV text (the rest of the input, not NUL-terminated),
 *     after 3 bytes: cap, errcap, flags; read as memory points (mode bit 0
 *     set), loader-only epochs (bit 0 clear, bit 1 set) or step observations
 *     (both clear), then fitted like `trainest fit-memory`, `trainest
 *     calibrate --loader` and `trainest calibrate` do. */
#define FZ_TARGET "cli_args"
#define FZ_MAX_LEN 4096
#include "fuzz_util.h"

#include <errno.h>

#include "cli/args.c"
#include "cli/csv.c"

/* ---- Command-line values ----------------------------------------------------- */

static void *alloc_exact(size_t n);

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The grammar of args.h: [+-]digits[.digits][(e|E)[+-]digits], at least one
 * mantissa digit. */
static int double_grammar(const char *s)
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
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static int good_status_text(int st)
{
    const char *t = parse_status_text(st);
    return t && *t;
}

static void check_values(const char *s)
{
    const uint64_t sentinel = UINT64_C(0x5A5A5A5A5A5A5A5A);
    /* parse_u64: decimal digits only, no more than UINT64_MAX */
    uint64_t u = sentinel;
    const int su = parse_u64(s, &u);
    if (!*s) {
        FZ_SCHECK("parse_u64", "empty", su == PARSE_EMPTY, "\"\" gives %d", su);
    } else if (!all_digits(s)) {
        FZ_SCHECK("parse_u64", "syntax", su == PARSE_SYNTAX, "\"%.80s\": %d for a non-number", s, su);
    } else {
        uint64_t want = 0;
        int over = 0;
        for (const char *p = s; *p; p++)
            over |= __builtin_mul_overflow(want, 10, &want) || __builtin_add_overflow(want, (uint64_t)(*p - '0'), &want);
        FZ_SCHECK("parse_u64", "value", over ? su == PARSE_RANGE : su == PARSE_OK && u == want,
                  "\"%.80s\": status %d, value %llu", s, su, (unsigned long long)u);
    }
    if (su != PARSE_OK)
        FZ_SCHECK("parse_u64", "untouched", u == sentinel, "\"%.80s\": *out written on failure", s);
    FZ_SCHECK("parse_status_text", "text", good_status_text(su), "no text for %d", su);

    /* parse_u64_n: parse_u64 of a prefix, read from exactly its bytes */
    const size_t k = strlen(s) / 2;
    char *prefix = alloc_exact(k + 1), *bytes = alloc_exact(k);
    memcpy(prefix, s, k);
    prefix[k] = '\0';
    memcpy(bytes, s, k);
    uint64_t up = sentinel, un = sentinel;
    const int sp = parse_u64(prefix, &up), sn = parse_u64_n(bytes, k, &un);
    FZ_SCHECK("parse_u64_n", "prefix", sp == sn && up == un, "\"%.80s\" (%zu bytes): %d %llu, parse_u64: %d %llu",
              prefix, k, sn, (unsigned long long)un, sp, (unsigned long long)up);

    /* parse_double: the grammar, finite values, strtod's value */
    double d = fz_bits_double(sentinel);
    const int sd = parse_double(s, &d);
    if (!*s) {
        FZ_SCHECK("parse_double", "empty", sd == PARSE_EMPTY, "\"\" gives %d", sd);
    } else if (!double_grammar(s)) {
        FZ_SCHECK("parse_double", "syntax", sd == PARSE_SYNTAX, "\"%.80s\": %d outside the grammar", s, sd);
    } else {
        errno = 0;
        const double want = strtod(s, NULL);
        const int range = !isfinite(want) || (errno == ERANGE && fabs(want) >= 1.0);
        FZ_SCHECK("parse_double", "value",
                  range ? sd == PARSE_RANGE
                        : sd == PARSE_OK && isfinite(d) && fz_double_bits(d) == fz_double_bits(want),
                  "\"%.80s\": status %d, value %.17g (strtod: %.17g)", s, sd, d, want);
    }
    if (sd != PARSE_OK)
        FZ_SCHECK("parse_double", "untouched", fz_double_bits(d) == sentinel, "\"%.80s\": *out written on failure", s);

    /* parse_enum: exact, case-sensitive names */
    static const struct enum_name names[] = {{"plain", 0}, {"deepspeed", 1}, {"megatron", 2}, {"hf", 3},
                                             {"hf-legacy", 4}, {"lightning", 5}, {NULL, 0}};
    uint32_t e = 0xA5A5A5A5u;
    const int se = parse_enum(s, names, &e);
    int match = -1;
    for (int i = 0; names[i].name; i++)
        if (strcmp(s, names[i].name) == 0)
            match = i;
    FZ_SCHECK("parse_enum", "lookup",
              !*s ? se == PARSE_EMPTY && e == 0xA5A5A5A5u
              : match >= 0 ? se == PARSE_OK && e == names[match].value
                           : se == PARSE_SYNTAX && e == 0xA5A5A5A5u,
              "\"%.80s\": status %d, value %u", s, se, (unsigned)e);
    if (se == PARSE_OK)
        FZ_SCHECK("enum_name_of", "round-trip", strcmp(enum_name_of(names, e), s) == 0, "\"%.80s\"", s);
}

/* ---- CSV ---------------------------------------------------------------------- */

/* Rows a reader must return for a text it accepts: lines that are not blank
 * or comments, after the header (csv.h). */
static uint64_t data_rows(const char *text, size_t len)
{
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    uint64_t rows = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos, a = 0;
        const char *l = text + pos;
        pos += n + (nl ? 1 : 0);
        while (a < n && (l[a] == ' ' || l[a] == '\t'))
            a++;
        while (n > a && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
            n--;
        if (n > a && l[a] != '#')
            rows++;
    }
    return rows ? rows - 1 : 0;
}

static uint64_t text_lines(const char *text, size_t len)
{
    uint64_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    return n;
}

static void check_reader(const char *what, uint64_t bad, uint32_t n, uint32_t cap, const uint64_t *lines,
                         const char *err, size_t errcap, const char *text, size_t len)
{
    FZ_SCHECK(what, "err-terminated", memchr(err, '\0', errcap) != NULL, "err is not NUL-terminated within errcap %zu",
              errcap);
    FZ_SCHECK(what, "err-one-line", !memchr(err, '\n', strlen(err)), "err holds a newline: %.200s", err);
    FZ_SCHECK(what, "count", n <= cap, "%u records, cap %u", (unsigned)n, (unsigned)cap);
    if (bad)
        FZ_SCHECK(what, "problem-line", bad <= text_lines(text, len) && (errcap == 1 || *err),
                  "problem at line %llu of %llu, message \"%s\"", (unsigned long long)bad,
                  (unsigned long long)text_lines(text, len), err);
    else
        FZ_SCHECK(what, "all-rows", n == data_rows(text, len) && !*err,
                  "accepted with %u records, the text has %llu data rows (err \"%s\")", (unsigned)n,
                  (unsigned long long)data_rows(text, len), err);
    for (uint32_t i = 0; lines && i < n; i++)
        FZ_SCHECK(what, "lines", lines[i] >= 2 && (i == 0 || lines[i] > lines[i - 1]) && (!bad || lines[i] < bad),
                  "record %u at line %llu", (unsigned)i, (unsigned long long)lines[i]);
}

/* An exact-size heap block of 0xA5 bytes (at least 1), freed by fz_begin(). */
static void *alloc_exact(size_t n)
{
    unsigned char *tmp = malloc(n ? n : 1);
    if (!tmp)
        abort();
    memset(tmp, 0xA5, n ? n : 1);
    void *p = fz_exact(tmp, n ? n : 1);
    free(tmp);
    return p;
}

static void check_csv(fz_in *in, uint8_t mode)
{
    const uint32_t cap = fz_u8(in) % 70;
    const size_t errcap = 1 + fz_u8(in);
    const uint8_t flags = fz_u8(in);
    const size_t len = in->n;
    const char *text = fz_exact(in->p, len); /* exactly the text: no terminator */
    char *err = alloc_exact(errcap);
    uint64_t *lines = flags & 1 ? NULL : alloc_exact(cap * sizeof *lines);
    uint32_t n = 12345;
    if (mode & 1) {
        const char *what = "csv_read_memory_points";
        trainest_memory_point *pts = alloc_exact(cap * sizeof *pts);
        const uint64_t bad = csv_read_memory_points(text, len, pts, cap, &n, lines, err, errcap);
        check_reader(what, bad, n, cap, lines, err, errcap, text, len);
        for (uint32_t i = 0; !bad && i < n; i++)
            FZ_SCHECK(what, "record", pts[i].struct_size == sizeof pts[i] && !pts[i].reserved0 && pts[i].micro_batch &&
                                          pts[i].peak_bytes,
                      "record %u: struct_size %u, micro_batch %llu, peak_bytes %llu", (unsigned)i,
                      (unsigned)pts[i].struct_size, (unsigned long long)pts[i].micro_batch,
                      (unsigned long long)pts[i].peak_bytes);
        if (!bad && !FZ_TAINTED()) { /* what `trainest fit-memory` does next */
            trainest_memory_fit f;
            memset(&f, 0, sizeof f);
            f.struct_size = sizeof f;
            const int st = trainest_memory_calibrate(&f, pts, n);
            FZ_SCHECK("trainest_memory_calibrate", "status-valid", fz_valid_status(st), "status %d", st);
            if (st == TRAINEST_OK)
                FZ_NONNEG("trainest_memory_calibrate", f.max_residual_ratio);
        }
    } else if (mode & 2) {
        const char *what = "csv_read_loader_observations";
        trainest_loader_observation *obs = alloc_exact(cap * sizeof *obs);
        const uint64_t bad = csv_read_loader_observations(text, len, obs, cap, &n, lines, err, errcap);
        check_reader(what, bad, n, cap, lines, err, errcap, text, len);
        for (uint32_t i = 0; !bad && i < n; i++)
            FZ_SCHECK(what, "record", obs[i].struct_size == sizeof obs[i] && !obs[i].reserved0 && obs[i].workers &&
                                          obs[i].batch_size && obs[i].samples && isfinite(obs[i].seconds) &&
                                          obs[i].seconds > 0,
                      "record %u: struct_size %u, workers %llu, batch_size %llu, samples %llu, seconds %g", (unsigned)i,
                      (unsigned)obs[i].struct_size, (unsigned long long)obs[i].workers,
                      (unsigned long long)obs[i].batch_size, (unsigned long long)obs[i].samples, obs[i].seconds);
        if (!bad && n >= 2 && !FZ_TAINTED()) { /* what `trainest calibrate --loader` does next */
            trainest_loader_fit f;
            memset(&f, 0, sizeof f);
            f.struct_size = sizeof f;
            const int st = trainest_loader_calibrate(&f, obs, n);
            const char *fit = "trainest_loader_calibrate";
            FZ_SCHECK(fit, "status-valid", fz_valid_status(st), "status %d", st);
            /* every record is valid: only the set of them can be refused */
            FZ_SCHECK(fit, "no-bad-record", st == TRAINEST_OK || f.invalid_index == UINT32_MAX,
                      "status %d blames record %u", st, (unsigned)f.invalid_index);
            if (st == TRAINEST_OK) {
                FZ_NONNEG(fit, f.worker_startup_s);
                FZ_NONNEG(fit, f.samples_per_s_per_worker);
                FZ_NONNEG(fit, f.max_residual_ratio);
                FZ_NONNEG(fit, f.mean_residual_ratio);
                FZ_SCHECK(fit, "observations", f.observations == n, "%llu observations of %u",
                          (unsigned long long)f.observations, (unsigned)n);
            }
        }
    } else {
        const char *what = "csv_read_observations";
        trainest_step_observation *obs = alloc_exact(cap * sizeof *obs);
        const uint64_t bad = csv_read_observations(text, len, obs, cap, &n, lines, err, errcap);
        check_reader(what, bad, n, cap, lines, err, errcap, text, len);
        for (uint32_t i = 0; !bad && i < n; i++)
            FZ_SCHECK(what, "record", obs[i].struct_size == sizeof obs[i] && !obs[i].reserved0 && obs[i].micro_batch &&
                                          obs[i].grad_accum_steps && isfinite(obs[i].step_s) && obs[i].step_s > 0,
                      "record %u: struct_size %u, micro_batch %llu, grad_accum %llu, step_s %g", (unsigned)i,
                      (unsigned)obs[i].struct_size, (unsigned long long)obs[i].micro_batch,
                      (unsigned long long)obs[i].grad_accum_steps, obs[i].step_s);
        if (!bad && n >= 2 && !FZ_TAINTED()) { /* what `trainest calibrate` does next */
            trainest_step_fit f;
            memset(&f, 0, sizeof f);
            f.struct_size = sizeof f;
            const int st = trainest_step_calibrate(&f, obs, n, NULL);
            const char *fit = "trainest_step_calibrate";
            FZ_SCHECK(fit, "status-valid", fz_valid_status(st), "status %d", st);
            if (st == TRAINEST_OK) {
                FZ_NONNEG(fit, f.floor_s);
                FZ_NONNEG(fit, f.fixed_s);
                FZ_NONNEG(fit, f.per_sample_s);
                FZ_NONNEG(fit, f.launch_lag_s);
                FZ_NONNEG(fit, f.optimizer_s);
                FZ_NONNEG(fit, f.max_residual_ratio);
                FZ_NONNEG(fit, f.mean_residual_ratio);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_begin();
    fz_in in = {data, size};
    const uint8_t mode = fz_u8(&in);
    if (mode < 128) {
        char *s = alloc_exact(in.n + 1); /* exactly the string and its terminator */
        if (in.n)
            memcpy(s, in.p, in.n);
        s[in.n] = '\0';
        check_values(s);
        FZ_CHECK("parse_status_text:any", good_status_text((int)fz_u32(&in)) || !in.n, "no text");
    } else {
        check_csv(&in, mode);
    }
    return 0;
}

/* ---- Seeds ---------------------------------------------------------------- */

static void value(const char *name, const char *s)
{
    fz_seed_begin();
    fz_emit_u8(0);
    fz_emit(s, strlen(s));
    fz_seed_end(name);
}

static void csv(const char *name, uint8_t mode, uint8_t cap, uint8_t errcap, uint8_t flags, const char *text)
{
    fz_seed_begin();
    fz_emit_u8(mode);
    fz_emit_u8(cap);
    fz_emit_u8(errcap);
    fz_emit_u8(flags);
    fz_emit(text, strlen(text));
    fz_seed_end(name);
}

static void fz_seeds(void)
{
    value("seed-u64-max", "18446744073709551615");
    value("seed-u64-over", "18446744073709551616");
    value("seed-double-exp", "-1.5e-320");
    value("seed-double-huge", "1e309");
    value("seed-double-junk", "0x1p3");
    value("seed-enum", "hf-legacy");
    /* PARSE_RANGE for junk after overflowing digits (fixed in 722f899) */
    value("regress-u64-overflow-then-junk", "18446744073709551616x");
    csv("seed-observations", 128, 64, 255, 0,
        "\xEF\xBB\xBF# measured on 8 x H200\n"
        "micro_batch, grad_accum ,step_s,note\r\n"
        "1,1,0.031,warm\n"
        "  8 ,\t2, 0.094 ,\n"
        "\n"
        "# a comment\n"
        "32,4,1.25e0,x\n"
        "64,1,0.33,y");
    csv("seed-observations-error", 128, 2, 20, 1,
        "step_s,micro_batch,grad_accum\n0.5,4,1\n0.6,8,1\n0.7,16,1\n");
    csv("seed-observations-bad-value", 128, 8, 255, 0,
        "micro_batch,grad_accum,step_s\n4,1,nan\n");
    csv("seed-memory-points", 129, 16, 255, 0,
        "micro_batch,peak_bytes\n1,20000000000\n2,22000000000\n4,26000000000\n8,34000000000\n");
    csv("seed-memory-duplicate-column", 129, 16, 40, 0, "micro_batch,peak_bytes,micro_batch\n1,2,3\n");
    /* ResNet-50's loader-only epochs (tests/data/h200-train-steps.jsonl) */
    csv("seed-loader-resnet50", 130, 64, 255, 0,
        "# resnet50-224, loader only\n"
        "seconds, workers,batch_size ,samples,model\r\n"
        "1.847286309999987,4,128,4096,resnet50\n"
        "1.97837707299999,12,128,4096,resnet50\n");
    csv("seed-loader-one-worker-count", 130, 8, 255, 1,
        "workers,batch_size,samples,seconds\n4,128,4096,1.8\n4,64,4096,2.1\n4,128,2048,1.0\n");
    csv("seed-loader-bad-seconds", 130, 8, 60, 0, "workers,batch_size,samples,seconds\n4,128,4096,0\n");
}
