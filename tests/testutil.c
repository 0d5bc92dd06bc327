/* SPDX-License-Identifier: MIT */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void tu_assert_close(double actual, double expected, double rel_tol, const char *expr,
                     const char *file, int line)
{
    double scale = fabs(expected) > 1e-300 ? fabs(expected) : 1.0;
    if (isfinite(actual) && fabs(actual - expected) <= rel_tol * scale)
        return;
    char msg[256];
    snprintf(msg, sizeof msg, "%s = %.17g, expected %.17g (rel tol %g)", expr, actual, expected,
             rel_tol);
    print_error("%s\n", msg);
    _fail(file, line);
}

trainest_plan_request tu_request(uint64_t samples, uint64_t global_batch, uint64_t micro_batch,
                                 uint64_t grad_accum_steps, uint64_t data_parallel)
{
    trainest_plan_request rq;
    assert_int_equal(trainest_plan_request_init(&rq, sizeof rq), TRAINEST_OK);
    rq.samples = samples;
    rq.global_batch = global_batch;
    rq.micro_batch = micro_batch;
    rq.grad_accum_steps = grad_accum_steps;
    rq.data_parallel = data_parallel;
    return rq;
}

int tu_plan(trainest_plan *out, const trainest_plan_request *rq)
{
    memset(out, 0xA5, sizeof *out);
    out->struct_size = sizeof *out;
    return trainest_plan_compute(out, rq);
}
