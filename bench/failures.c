/* SPDX-License-Identifier: MIT */
/* The failure model on published cases: Daly's optimum intervals, Llama 3
 * 405B's interruptions and effective time, OPT-175B's compute-to-wall
 * ratio. Prints; asserts nothing. */
#include <stdio.h>

#include "trainest.h"

static trainest_failure run(double work_s, uint64_t devices, uint64_t per_node, double mtbf_device_h,
                            double mtbf_node_h, double write_s, double restart_s)
{
    trainest_failure_request rq;
    trainest_failure_request_init(&rq, sizeof rq);
    rq.work_s = work_s;
    rq.devices = devices;
    rq.devices_per_node = per_node;
    rq.mtbf_hours_per_device = mtbf_device_h;
    rq.mtbf_hours_per_node = mtbf_node_h;
    rq.checkpoint_write_s = write_s;
    rq.restart_s = restart_s;
    trainest_failure f;
    f.struct_size = sizeof f;
    int st = trainest_failure_compute(&f, &rq);
    if (st)
        printf("failed: %s\n", trainest_status_name(st));
    return f;
}

int main(void)
{
    printf("trainest %s failure model\n\n", trainest_version_string());
    printf("Daly (2006) Figs. 3-5: Ts = 500 h, R = 10 min, delta = 5 min\n");
    const double mtbf[] = {24, 6, 0.25}, paper[] = {117, 57, 9.1};
    for (int i = 0; i < 3; i++) {
        trainest_failure f = run(500 * 3600.0, 1, 1, mtbf[i], 0, 300, 600);
        printf("  M = %5.2f h: tau_opt %6.1f min (paper: %5.1f min); expected %6.1f h, "
               "%5.1f interruptions\n",
               mtbf[i], f.checkpoint_interval_s / 60, paper[i], f.expected_total_s / 3600,
               f.expected_interruptions);
    }

    printf("\nLlama 3 405B: 16384 GPUs, one interruption per 3.1 h (419 unexpected in 54 days),\n"
           "> 90 %% effective time reported. Work chosen so the wall time is about 54 days.\n");
    printf("  %9s %9s %10s %12s %10s %10s %10s %9s\n", "write s", "restart", "interval",
           "interruptions", "E[wall] d", "P50 d", "P90 d", "effective");
    const double writes[] = {10, 20, 60}, restarts[] = {300, 600, 1200};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            trainest_failure f = run(49.5 * 86400, 16384, 8, 3.1 * 16384, 0, writes[i], restarts[j]);
            printf("  %9.0f %7.0f s %6.1f min %12.1f %10.2f %10.2f %10.2f %8.1f %%\n", writes[i],
                   restarts[j], f.checkpoint_interval_s / 60, f.expected_interruptions,
                   f.expected_total_s / 86400, f.p50_total_s / 86400, f.p90_total_s / 86400,
                   100 * f.effective_time_ratio);
        }

    printf("\nOPT-175B: 992 A100s in 124 nodes, about 2 nodes down a day (node MTBF 62 days),\n"
           "33 days of compute took about 2 months (compute/wall about 0.55). Checkpoint write 30 min.\n");
    printf("  %12s %12s %10s %10s %10s\n", "restart", "interruptions", "E[wall] d", "P90 d",
           "compute/wall");
    for (double r = 0.5; r <= 8; r *= 2) {
        trainest_failure f = run(33 * 86400.0, 992, 8, 0, 62 * 24, 1800, r * 3600);
        printf("  %10.1f h %12.1f %10.1f %10.1f %10.3f\n", r, f.expected_interruptions,
               f.expected_total_s / 86400, f.p90_total_s / 86400, f.effective_time_ratio);
    }
    return 0;
}
