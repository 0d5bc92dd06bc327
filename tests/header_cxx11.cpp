// SPDX-License-Identifier: MIT
// The public header compiles alone as C++11 with -pedantic-errors, and its
// structs can be used from C++ as the C ABI defines them.
#include "trainest.h"

#include <cstdio>
#include <cstring>

static_assert(sizeof(trainest_plan_request) % 8 == 0, "plan_request is padded to 8 bytes");

int main()
{
    if (trainest_version() != TRAINEST_VERSION_NUMBER ||
        std::strcmp(trainest_version_string(), TRAINEST_VERSION_STRING) != 0) {
        std::fprintf(stderr, "header %s, library %s\n", TRAINEST_VERSION_STRING,
                     trainest_version_string());
        return 1;
    }
    trainest_plan_request rq;
    if (trainest_plan_request_init(&rq, sizeof rq) != TRAINEST_OK)
        return 1;
    rq.samples = 1000;
    rq.global_batch = 10;
    trainest_plan plan;
    plan.struct_size = sizeof plan;
    if (trainest_plan_compute(&plan, &rq) != TRAINEST_OK || plan.optimizer_steps_per_epoch != 100)
        return 1;
    return 0;
}
