/* SPDX-License-Identifier: MIT */
/* Exact unsigned arithmetic helpers: every product and sum of counts goes
 * through these so that overflow is reported, never wrapped. */
#ifndef TRAINEST_INTMATH_H
#define TRAINEST_INTMATH_H

#include <stdbool.h>
#include <stdint.h>

/* Returns true on overflow; *out is then unspecified. */
static inline bool tr_mul_overflow(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_mul_overflow(a, b, out);
}

static inline bool tr_add_overflow(uint64_t a, uint64_t b, uint64_t *out)
{
    return __builtin_add_overflow(a, b, out);
}

/* ceil(a / b) for b > 0, without the a + b - 1 overflow. */
static inline uint64_t tr_div_ceil(uint64_t a, uint64_t b)
{
    return a / b + (a % b != 0);
}

/* Greatest common divisor; gcd(a, 0) = a, so 0 stands for "no constraint". */
static inline uint64_t tr_gcd(uint64_t a, uint64_t b)
{
    while (b) {
        const uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/* Largest divisor d of n (n >= 1) with d <= bound (bound >= 1). */
uint64_t trainest_priv_divisor_at_most(uint64_t n, uint64_t bound);

/* Smallest divisor d of n (n >= 1) with d >= bound, or 0 if bound > n. */
uint64_t trainest_priv_divisor_at_least(uint64_t n, uint64_t bound);

#endif
