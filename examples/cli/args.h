/* SPDX-License-Identifier: MIT */
/* Strict parsers for command-line values. Pure functions: no globals, no
 * I/O, no allocation, so a fuzz target can #include "args.c" directly. */
#ifndef TRAINEST_CLI_ARGS_H
#define TRAINEST_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>

/* What a parser made of its input. */
enum parse_status {
    PARSE_OK = 0,
    PARSE_EMPTY = 1,  /* the value is the empty string */
    PARSE_SYNTAX = 2, /* not a number (or not one of the names) */
    PARSE_RANGE = 3   /* a number, but too large */
};

/* A name for an enum value, as the command line spells it. Tables end with
 * an entry whose name is NULL. */
struct enum_name {
    const char *name;
    uint32_t value;
};

/* A short English description of a parse_status, for error messages. */
const char *parse_status_text(int status);

/* Decimal digits only: no sign, no blanks, no prefix, no trailing junk;
 * leading zeros are allowed. *out is written only on PARSE_OK. */
int parse_u64(const char *s, uint64_t *out);

/* The same for the n bytes at s (a part of a longer text; a NUL among
 * them is not a digit). */
int parse_u64_n(const char *s, size_t n, uint64_t *out);

/* A finite decimal number: [+-]digits[.digits][(e|E)[+-]digits], with at
 * least one digit before or after the point. No blanks, hex, inf or nan.
 * PARSE_RANGE if the magnitude overflows a double; values that underflow
 * round to the nearest representable one. *out is written only on PARSE_OK. */
int parse_double(const char *s, double *out);

/* Look s up in names (exact, case-sensitive). *out is written only on PARSE_OK. */
int parse_enum(const char *s, const struct enum_name *names, uint32_t *out);

/* The name of value in names, or NULL if it has none. */
const char *enum_name_of(const struct enum_name *names, uint32_t value);

#endif
