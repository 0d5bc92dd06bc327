/* SPDX-License-Identifier: MIT */
#include "json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void json_init(struct json *j, FILE *f, bool pretty)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
}

static void newline_indent(struct json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->f);
    for (unsigned i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Separate this value (or key) from the previous one at this level. */
static void before_value(struct json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth == 0)
        return;
    if (j->has_items[j->depth])
        fputc(',', j->f);
    j->has_items[j->depth] = true;
    newline_indent(j);
}

static void open_container(struct json *j, char c)
{
    before_value(j);
    fputc(c, j->f);
    if (j->depth == JSON_MAX_DEPTH) {
        j->overflow = true; /* a caller bug: the output is no longer well-formed */
        return;
    }
    j->depth++;
    j->has_items[j->depth] = false;
}

static void close_container(struct json *j, char c)
{
    if (j->depth > 0) {
        const bool items = j->has_items[j->depth];
        j->depth--;
        if (items)
            newline_indent(j);
    }
    fputc(c, j->f);
}

void json_object_begin(struct json *j)
{
    open_container(j, '{');
}

void json_object_end(struct json *j)
{
    close_container(j, '}');
}

void json_array_begin(struct json *j)
{
    open_container(j, '[');
}

void json_array_end(struct json *j)
{
    close_container(j, ']');
}

/* The length of the well-formed UTF-8 sequence at p (a lead byte >= 0x80),
 * or 0: no overlongs, surrogates or code points above U+10FFFF. Stops at
 * the first byte that does not fit, so never reads past a terminator. */
static int utf8_sequence(const unsigned char *p)
{
    const int n = p[0] >= 0xF0 && p[0] <= 0xF4   ? 4
                  : p[0] >= 0xE0 && p[0] <= 0xEF ? 3
                  : p[0] >= 0xC2 && p[0] <= 0xDF ? 2
                                                 : 0;
    const unsigned char lo = p[0] == 0xE0 ? 0xA0 : p[0] == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = p[0] == 0xED ? 0x9F : p[0] == 0xF4 ? 0x8F : 0xBF;
    if (n == 0 || p[1] < lo || p[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static void write_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\b':
            fputs("\\b", f);
            break;
        case '\f':
            fputs("\\f", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\r':
            fputs("\\r", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20) {
                fprintf(f, "\\u%04x", (unsigned)*p);
            } else if (*p < 0x80) {
                fputc(*p, f);
            } else {
                /* JSON is UTF-8: a byte that starts no well-formed sequence
                 * (a command-line value cut by "%.64s" in a message, or not
                 * UTF-8 at all) is written as U+FFFD */
                const int n = utf8_sequence(p);
                if (n) {
                    fwrite(p, 1, (size_t)n, f);
                    p += n - 1;
                } else {
                    fputs("\\ufffd", f);
                }
            }
        }
    }
    fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
    before_value(j);
    write_string(j->f, key);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
    before_value(j);
    if (s)
        write_string(j->f, s);
    else
        fputs("null", j->f);
}

void json_u64(struct json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->f, "%" PRIu64, v);
}

void json_double(struct json *j, double v)
{
    before_value(j);
    if (isfinite(v))
        fprintf(j->f, "%.17g", v);
    else
        fputs("null", j->f);
}

void json_bool(struct json *j, bool v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
    before_value(j);
    fputs("null", j->f);
}

void json_key_string(struct json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void json_key_u64(struct json *j, const char *key, uint64_t v)
{
    json_key(j, key);
    json_u64(j, v);
}

void json_key_double(struct json *j, const char *key, double v)
{
    json_key(j, key);
    json_double(j, v);
}

void json_key_bool(struct json *j, const char *key, bool v)
{
    json_key(j, key);
    json_bool(j, v);
}

void json_finish(struct json *j)
{
    fputc('\n', j->f);
}
