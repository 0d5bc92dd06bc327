/* SPDX-License-Identifier: MIT */
/* The ETA tracker over a long run: update cost per step, and the elapsed
 * sum's exactness after many updates. Prints; asserts nothing.
 * usage: bench_eta [updates]   (default 1e9) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "trainest.h"

int main(int argc, char **argv)
{
    const unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000000ull;
    trainest_eta_config c;
    trainest_eta_config_init(&c, sizeof c);
    c.total_steps = 2 * n;
    trainest_eta e;
    trainest_eta_init(&e, sizeof e, &c);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double naive = 0;
    for (unsigned long long i = 0; i < n; i++) {
        /* a step of 0.1 s with a little structure, and a spike every 10^5 */
        double s = 0.1 + 1e-4 * (double)(i % 7) + (i % 100000 == 99999 ? 30 : 0);
        trainest_eta_update(&e, s, 32);
        naive += s;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    /* the exact sum of the same doubles, by period */
    long double exact = 0;
    for (unsigned long long k = 0; k < 7; k++) {
        unsigned long long count = n / 7 + (k < n % 7);
        exact += (long double)count * (long double)(0.1 + 1e-4 * (double)k);
    }
    exact += (long double)(n / 100000) * 30.0L;
    trainest_eta_report r;
    r.struct_size = sizeof r;
    trainest_eta_report_compute(&r, &e, 0);
    printf("trainest %s ETA tracker: %llu updates in %.2f s (%.1f ns each)\n",
           trainest_version_string(), n, secs, 1e9 * secs / (double)n);
    printf("  elapsed %.6f s; exact %.6Lf s; error %.3g (compensated) vs %.3g (naive sum)\n",
           r.elapsed_s, exact, fabs((double)((long double)r.elapsed_s - exact)),
           fabs((double)((long double)naive - exact)));
    printf("  step estimate %.6f s (inlier mean over the last ~1000 steps), %llu outliers\n",
           r.step_s, (unsigned long long)r.outliers);
    printf("  remaining %.1f s for %llu steps (p10 %.1f, p90 %.1f)\n", r.remaining_s,
           (unsigned long long)r.steps_remaining, r.remaining_p10_s, r.remaining_p90_s);
    return 0;
}
