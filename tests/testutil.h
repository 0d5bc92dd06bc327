/* SPDX-License-Identifier: MIT */
/* Shared helpers for the CMocka tests. */
#ifndef TRAINEST_TESTUTIL_H
#define TRAINEST_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "trainest.h"

/* cmocka 1.1.5 has no double assertion: compare with a relative tolerance,
 * printing both values when they differ. */
void tu_assert_close(double actual, double expected, double rel_tol, const char *expr,
                     const char *file, int line);
#define assert_close(actual, expected, rel_tol)                                               \
    tu_assert_close((actual), (expected), (rel_tol), #actual, __FILE__, __LINE__)

/* A request with defaults and the given batch fields. */
trainest_plan_request tu_request(uint64_t samples, uint64_t global_batch, uint64_t micro_batch,
                                 uint64_t grad_accum_steps, uint64_t data_parallel);

/* Compute a plan; returns the status. */
int tu_plan(trainest_plan *out, const trainest_plan_request *rq);

#endif
