// SPDX-License-Identifier: MIT
// The C API from C++, failures turned into exceptions.
#include <cstdio>
#include <stdexcept>
#include <string>
#include <trainest.h>

static trainest_plan plan(const trainest_plan_request &rq)
{
    trainest_plan p{};
    p.struct_size = sizeof p;
    if (int st = trainest_plan_compute(&p, &rq))
        throw std::runtime_error(std::string(trainest_status_name(st)) + " (field " +
                                 trainest_field_name(p.invalid_field) + ")");
    return p;
}

int main()
{
    trainest_plan_request rq;
    trainest_plan_request_init(&rq, sizeof rq);
    rq.samples = 1'281'167; // ImageNet-1k
    rq.global_batch = 1024;
    rq.devices = 8;
    rq.max_micro_batch = 96; // the largest that fits in memory
    const trainest_plan p = plan(rq);
    std::printf("%llu per device x %llu accumulation x %llu devices, %llu steps per epoch\n",
                static_cast<unsigned long long>(p.micro_batch),
                static_cast<unsigned long long>(p.grad_accum_steps),
                static_cast<unsigned long long>(p.data_parallel),
                static_cast<unsigned long long>(p.optimizer_steps_per_epoch));
    try {
        rq.devices = 7;
        plan(rq);
    } catch (const std::exception &e) {
        std::printf("7 devices: %s\n", e.what());
    }
}
