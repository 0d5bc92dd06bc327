/* SPDX-License-Identifier: MIT */
/* Strict parsers for command-line values (see args.h). */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char *parse_status_text(int status)
{
    switch (status) {
    case PARSE_OK:
        return "ok";
    case PARSE_EMPTY:
        return "is empty";
    case PARSE_SYNTAX:
        return "is not valid";
    case PARSE_RANGE:
        return "is out of range";
    }
    return "is not valid";
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int parse_u64(const char *s, uint64_t *out)
{
    return parse_u64_n(s, s ? strlen(s) : 0, out);
}

int parse_u64_n(const char *s, size_t n, uint64_t *out)
{
    if (!s || !n)
        return PARSE_EMPTY;
    uint64_t v = 0;
    bool too_large = false; /* decided only once the whole text is known to be a number */
    for (const char *p = s; p < s + n; p++) {
        if (!is_digit(*p))
            return PARSE_SYNTAX;
        const uint64_t d = (uint64_t)(*p - '0');
        if (too_large || v > (UINT64_MAX - d) / 10)
            too_large = true;
        else
            v = v * 10 + d;
    }
    if (too_large)
        return PARSE_RANGE;
    *out = v;
    return PARSE_OK;
}

/* Skip a run of digits; return how many there were. */
static size_t digits(const char **p)
{
    size_t n = 0;
    while (is_digit(**p)) {
        (*p)++;
        n++;
    }
    return n;
}

int parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return PARSE_EMPTY;
    /* Check the grammar first: strtod alone would accept blanks, hex,
     * "inf", "nan" and, with some locales, other decimal points. */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t mantissa = digits(&p);
    if (*p == '.') {
        p++;
        mantissa += digits(&p);
    }
    if (mantissa == 0)
        return PARSE_SYNTAX;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (digits(&p) == 0)
            return PARSE_SYNTAX;
    }
    if (*p)
        return PARSE_SYNTAX;

    errno = 0;
    char *end;
    const double v = strtod(s, &end);
    if (end != p)
        return PARSE_SYNTAX; /* a locale whose decimal point is not '.' */
    if (!isfinite(v) || (errno == ERANGE && (v >= 1.0 || v <= -1.0)))
        return PARSE_RANGE;
    *out = v;
    return PARSE_OK;
}

int parse_enum(const char *s, const struct enum_name *names, uint32_t *out)
{
    if (!s || !*s)
        return PARSE_EMPTY;
    for (const struct enum_name *n = names; n->name; n++) {
        if (strcmp(s, n->name) == 0) {
            *out = n->value;
            return PARSE_OK;
        }
    }
    return PARSE_SYNTAX;
}

const char *enum_name_of(const struct enum_name *names, uint32_t value)
{
    for (const struct enum_name *n = names; n->name; n++)
        if (n->value == value)
            return n->name;
    return NULL;
}
