/* SPDX-License-Identifier: MIT */
/* Measurements from CSV text: step times for the time model, peak memory for
 * the memory model, loader-only epochs for the loader-worker model. Pure
 * functions over a buffer: no globals, no I/O, no allocation, so a fuzz
 * target can #include "csv.c" (with "args.c", whose number parsers it
 * uses). */
#ifndef TRAINEST_CLI_CSV_H
#define TRAINEST_CLI_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "trainest.h"

/* The longest value of a column the reader uses, in bytes. */
#define CSV_MAX_VALUE 64

/* The format every reader shares: lines end in "\n" or "\r\n"; blank lines
 * and lines whose first non-blank character is '#' are skipped everywhere.
 * The first other line is the header: comma-separated column names (a UTF-8
 * byte order mark before it is skipped). The columns a reader needs are
 * found by name, in any order; other columns are ignored. Every further line
 * is a row with as many comma-separated fields as the header. Fields are
 * trimmed of spaces and tabs; there is no quoting.
 *
 * Each reader writes up to cap records to out (struct_size set, in file
 * order), the 1-based line number of each to lines unless it is NULL, and
 * how many to *count. It returns 0, or the 1-based line of the first problem
 * (the header's line for a missing column, line 1 for a text with no
 * header), with one line of English describing it in err (errcap > 0;
 * truncated to fit). More than cap rows is a problem on the first row
 * beyond cap. */

/* (micro_batch, grad_accum, step_s) observations: micro_batch and
 * grad_accum are positive whole numbers (decimal digits only), step_s a
 * finite decimal number > 0 (no inf, nan or hex). */
uint64_t csv_read_observations(const char *text, size_t len, trainest_step_observation *out,
                               uint32_t cap, uint32_t *count, uint64_t *lines, char *err,
                               size_t errcap);

/* (micro_batch, peak_bytes) points of measured peak device memory: both
 * positive whole numbers (decimal digits only). */
uint64_t csv_read_memory_points(const char *text, size_t len, trainest_memory_point *out,
                                uint32_t cap, uint32_t *count, uint64_t *lines, char *err,
                                size_t errcap);

/* (workers, batch_size, samples, seconds) loader-only epochs: workers,
 * batch_size and samples positive whole numbers (decimal digits only),
 * seconds a finite decimal number > 0. */
uint64_t csv_read_loader_observations(const char *text, size_t len,
                                      trainest_loader_observation *out, uint32_t cap,
                                      uint32_t *count, uint64_t *lines, char *err, size_t errcap);

#endif
