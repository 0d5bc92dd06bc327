/* SPDX-License-Identifier: MIT */
/* Measurements from CSV text (see csv.h). */
#include "csv.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "args.h"

/* How a column's values are read. */
enum column_kind {
    KIND_COUNT,  /* a positive whole number */
    KIND_SECONDS /* a finite decimal number > 0 */
};

#define MAX_COLUMNS 4

/* What one reader reads. */
struct table_spec {
    int ncols;
    const char *names[MAX_COLUMNS];
    enum column_kind kinds[MAX_COLUMNS];
    const char *needs; /* "micro_batch, grad_accum and step_s", for messages */
    const char *rows;  /* "observations", for messages */
    const char *timed; /* "a step": what a row's seconds measure, for messages */
};

/* One row's values, by column. */
union value {
    uint64_t count;
    double seconds;
};

/* A piece of the text: [p, p + n). */
struct span {
    const char *p;
    size_t n;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static struct span trim(struct span s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && (is_blank(s.p[s.n - 1]) || s.p[s.n - 1] == '\r'))
        s.n--;
    return s;
}

static bool span_is(struct span s, const char *word)
{
    return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

/* The next field of a line at *rest (which must not be exhausted), and
 * advance *rest past its comma; rest->p becomes NULL after the last field. */
static struct span next_field(struct span *rest)
{
    const char *comma = rest->n ? memchr(rest->p, ',', rest->n) : NULL;
    struct span f = {rest->p, comma ? (size_t)(comma - rest->p) : rest->n};
    if (comma) {
        rest->n -= f.n + 1;
        rest->p = comma + 1;
    } else {
        rest->p = NULL;
        rest->n = 0;
    }
    return trim(f);
}

static size_t count_fields(struct span line)
{
    size_t n = 1;
    for (size_t i = 0; i < line.n; i++)
        n += line.p[i] == ',';
    return n;
}

/* Copy a value for the parsers, which take C strings. Fails on values too
 * long to be numbers and on NUL bytes, which would end the string early. */
static bool value_string(struct span v, char buf[CSV_MAX_VALUE + 1])
{
    if (v.n > CSV_MAX_VALUE || memchr(v.p, '\0', v.n))
        return false;
    memcpy(buf, v.p, v.n);
    buf[v.n] = '\0';
    return true;
}

/* A value for a message: at most 32 bytes of it, NUL and control bytes as '?'. */
static const char *shown(struct span v, char buf[40])
{
    size_t n = v.n < 32 ? v.n : 32, k = 0;
    for (size_t i = 0; i < n; i++)
        buf[k++] = (unsigned char)v.p[i] < 0x20 ? '?' : v.p[i];
    if (v.n > n) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* Parse the value of column c of spec; on failure describe why in err. */
static bool parse_column(const struct table_spec *spec, int c, struct span v, union value *out,
                         char *err, size_t errcap)
{
    const char *name = spec->names[c];
    const enum column_kind kind = spec->kinds[c];
    char buf[CSV_MAX_VALUE + 1], show[40];
    if (v.n == 0) {
        snprintf(err, errcap, "%s is empty", name);
        return false;
    }
    if (!value_string(v, buf)) {
        snprintf(err, errcap, "%s '%s' is not a number", name, shown(v, show));
        return false;
    }
    if (kind == KIND_SECONDS) {
        double t = 0;
        const int st = parse_double(buf, &t);
        if (st == PARSE_RANGE)
            snprintf(err, errcap, "%s '%s' is out of range", name, shown(v, show));
        else if (st != PARSE_OK)
            snprintf(err, errcap, "%s '%s' is not a finite decimal number", name, shown(v, show));
        else if (!(t > 0))
            snprintf(err, errcap, "%s '%s' is not positive: %s takes time", name,
                     shown(v, show), spec->timed);
        else {
            out->seconds = t;
            return true;
        }
        return false;
    }
    uint64_t n = 0;
    const int st = parse_u64(buf, &n);
    if (st == PARSE_RANGE)
        snprintf(err, errcap, "%s '%s' is out of range", name, shown(v, show));
    else if (st != PARSE_OK)
        snprintf(err, errcap, "%s '%s' is not a whole number (decimal digits only)", name,
                 shown(v, show));
    else if (n == 0)
        snprintf(err, errcap, "%s is 0; it must be positive", name);
    else {
        out->count = n;
        return true;
    }
    return false;
}

/* Locate the columns in the header; on failure describe why in err. */
static bool read_header(const struct table_spec *spec, struct span line, size_t index[MAX_COLUMNS],
                        char *err, size_t errcap)
{
    bool found[MAX_COLUMNS] = {false, false, false, false};
    struct span rest = line;
    for (size_t i = 0; rest.p; i++) {
        const struct span name = next_field(&rest);
        for (int c = 0; c < spec->ncols; c++) {
            if (!span_is(name, spec->names[c]))
                continue;
            if (found[c]) {
                snprintf(err, errcap, "column '%s' appears twice in the header",
                         spec->names[c]);
                return false;
            }
            found[c] = true;
            index[c] = i;
        }
    }
    for (int c = 0; c < spec->ncols; c++) {
        if (!found[c]) {
            snprintf(err, errcap, "the header has no column '%s' (it needs %s)", spec->names[c],
                     spec->needs);
            return false;
        }
    }
    return true;
}

/* Read the rows of spec; each row's values go to store(ctx, i, values). */
static uint64_t read_table(const struct table_spec *spec, const char *text, size_t len,
                           uint32_t cap, uint32_t *count, uint64_t *lines, char *err,
                           size_t errcap, void *ctx,
                           void (*store)(void *ctx, uint32_t i, const union value *values))
{
    *count = 0;
    err[0] = '\0';
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    size_t index[MAX_COLUMNS] = {0, 0, 0, 0}, fields = 0;
    bool header = false;
    uint64_t lineno = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        struct span line = {text + pos, nl ? (size_t)(nl - (text + pos)) : len - pos};
        pos += line.n + (nl ? 1 : 0);
        lineno++;
        const struct span t = trim(line);
        if (t.n == 0 || t.p[0] == '#')
            continue;
        if (!header) {
            if (!read_header(spec, line, index, err, errcap))
                return lineno;
            fields = count_fields(line);
            header = true;
            continue;
        }
        const size_t n = count_fields(line);
        if (n != fields) {
            snprintf(err, errcap, "%zu field%s, but the header has %zu", n, n == 1 ? "" : "s",
                     fields);
            return lineno;
        }
        if (*count == cap) {
            snprintf(err, errcap, "more than %" PRIu32 " %s", cap, spec->rows);
            return lineno;
        }
        union value values[MAX_COLUMNS];
        memset(values, 0, sizeof values);
        struct span rest = line;
        for (size_t i = 0; rest.p; i++) {
            const struct span v = next_field(&rest);
            for (int c = 0; c < spec->ncols; c++)
                if (index[c] == i && !parse_column(spec, c, v, &values[c], err, errcap))
                    return lineno;
        }
        if (lines)
            lines[*count] = lineno;
        store(ctx, (*count)++, values);
    }
    if (!header) {
        snprintf(err, errcap, "no header line: expected the columns %s", spec->needs);
        return 1;
    }
    return 0;
}

/* ---- Step-time observations ------------------------------------------------ */

static const struct table_spec observation_spec = {
    3,
    {"micro_batch", "grad_accum", "step_s"},
    {KIND_COUNT, KIND_COUNT, KIND_SECONDS},
    "micro_batch, grad_accum and step_s",
    "observations",
    "a step",
};

static void store_observation(void *ctx, uint32_t i, const union value *v)
{
    trainest_step_observation ob;
    trainest_step_observation_init(&ob, sizeof ob);
    ob.micro_batch = v[0].count;
    ob.grad_accum_steps = v[1].count;
    ob.step_s = v[2].seconds;
    ((trainest_step_observation *)ctx)[i] = ob;
}

uint64_t csv_read_observations(const char *text, size_t len, trainest_step_observation *out,
                               uint32_t cap, uint32_t *count, uint64_t *lines, char *err,
                               size_t errcap)
{
    return read_table(&observation_spec, text, len, cap, count, lines, err, errcap, out,
                      store_observation);
}

/* ---- Peak memory points ------------------------------------------------------ */

static const struct table_spec memory_point_spec = {
    2,
    {"micro_batch", "peak_bytes"},
    {KIND_COUNT, KIND_COUNT},
    "micro_batch and peak_bytes",
    "points",
    "a measurement",
};

static void store_memory_point(void *ctx, uint32_t i, const union value *v)
{
    trainest_memory_point p;
    trainest_memory_point_init(&p, sizeof p);
    p.micro_batch = v[0].count;
    p.peak_bytes = v[1].count;
    ((trainest_memory_point *)ctx)[i] = p;
}

uint64_t csv_read_memory_points(const char *text, size_t len, trainest_memory_point *out,
                                uint32_t cap, uint32_t *count, uint64_t *lines, char *err,
                                size_t errcap)
{
    return read_table(&memory_point_spec, text, len, cap, count, lines, err, errcap, out,
                      store_memory_point);
}

/* ---- Loader-only epochs ------------------------------------------------------- */

static const struct table_spec loader_observation_spec = {
    4,
    {"workers", "batch_size", "samples", "seconds"},
    {KIND_COUNT, KIND_COUNT, KIND_COUNT, KIND_SECONDS},
    "workers, batch_size, samples and seconds",
    "observations",
    "an epoch",
};

static void store_loader_observation(void *ctx, uint32_t i, const union value *v)
{
    trainest_loader_observation ob;
    trainest_loader_observation_init(&ob, sizeof ob);
    ob.workers = v[0].count;
    ob.batch_size = v[1].count;
    ob.samples = v[2].count;
    ob.seconds = v[3].seconds;
    ((trainest_loader_observation *)ctx)[i] = ob;
}

uint64_t csv_read_loader_observations(const char *text, size_t len,
                                      trainest_loader_observation *out, uint32_t cap,
                                      uint32_t *count, uint64_t *lines, char *err, size_t errcap)
{
    return read_table(&loader_observation_spec, text, len, cap, count, lines, err, errcap, out,
                      store_loader_observation);
}
