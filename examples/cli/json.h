/* SPDX-License-Identifier: MIT */
/* A tiny streaming JSON writer: objects, arrays, escaped strings, unsigned
 * integers and doubles. The caller nests begin/end calls correctly; the
 * writer adds commas, colons and (when pretty) newlines and indentation. */
#ifndef TRAINEST_CLI_JSON_H
#define TRAINEST_CLI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
    FILE *f;
    bool pretty;               /* newline and two-space indent per level */
    bool after_key;            /* a key was written; its value comes next */
    bool overflow;             /* nesting went past JSON_MAX_DEPTH: a caller bug */
    unsigned depth;            /* open objects and arrays */
    bool has_items[JSON_MAX_DEPTH + 1]; /* per level: something was written, so a comma is due */
};

/* Start a document on f. pretty = false writes it on one line (JSON lines). */
void json_init(struct json *j, FILE *f, bool pretty);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* An object member's key; the next call writes its value. */
void json_key(struct json *j, const char *key);

/* Values. Strings are escaped as RFC 8259 requires and otherwise copied
 * byte for byte (UTF-8 in, UTF-8 out), but a byte that begins no
 * well-formed UTF-8 sequence is written as \ufffd; NULL writes null.
 * Doubles are written with %.17g, which round-trips; NaN and infinities,
 * which JSON cannot represent, are written as null. */
void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Shorthands for a key and its value. */
void json_key_string(struct json *j, const char *key, const char *s);
void json_key_u64(struct json *j, const char *key, uint64_t v);
void json_key_double(struct json *j, const char *key, double v);
void json_key_bool(struct json *j, const char *key, bool v);

/* End the document: a final newline. */
void json_finish(struct json *j);

#endif
