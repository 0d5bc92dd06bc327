/* SPDX-License-Identifier: MIT */
/* A small strict JSON (RFC 8259) checker for tests: validate a document and
 * look values up in it without building a tree. Values are pointers into
 * the text, at the value's first character. */
#ifndef TRAINEST_JSON_CHECK_H
#define TRAINEST_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether text (NUL-terminated) is exactly one JSON value, optionally
 * surrounded by whitespace: strict grammar, valid escapes and UTF-8, no
 * control characters in strings, nesting at most 64 deep. */
bool jc_valid(const char *text);

/* The value of member key in the object at obj (leading whitespace is
 * skipped), or NULL if obj is not an object or has no such member. */
const char *jc_member(const char *obj, const char *key);

/* The number of elements of the array at value, or -1 if it is not one. */
long jc_array_len(const char *value);

/* Element i of the array at value, or NULL. */
const char *jc_array_at(const char *value, size_t i);

/* A non-negative integer without fraction or exponent that fits 64 bits. */
bool jc_u64(const char *value, uint64_t *out);

/* Any JSON number. */
bool jc_number(const char *value, double *out);

/* A string, unescaped to UTF-8 into buf (NUL-terminated); false if value
 * is not a string or does not fit. */
bool jc_string(const char *value, char *buf, size_t cap);

/* Whether value is the literal null. */
bool jc_is_null(const char *value);

/* The literal true or false. */
bool jc_bool(const char *value, bool *out);

/* Shorthands: member key of the object at obj as a u64, a string, any
 * number or a bool. */
bool jc_get_u64(const char *obj, const char *key, uint64_t *out);
bool jc_get_string(const char *obj, const char *key, char *buf, size_t cap);
bool jc_get_number(const char *obj, const char *key, double *out);
bool jc_get_bool(const char *obj, const char *key, bool *out);

#endif
