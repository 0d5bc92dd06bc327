/* SPDX-License-Identifier: MIT */
/* Nearest divisors of a 64-bit integer.
 *
 * Small numbers (n < 2^32) are searched directly in at most 2 * sqrt(n)
 * trial divisions. Larger ones are factored (trial division by small primes,
 * deterministic Miller-Rabin, Pollard-Brent rho) and their divisors
 * enumerated, so that no input, however hostile, takes more than a few
 * milliseconds. Everything lives on the stack. */
#include "intmath.h"

__extension__ typedef unsigned __int128 tr_u128;

static uint64_t isqrt_u64(uint64_t n)
{
    uint64_t r = 0;
    for (int shift = 32; shift >= 0; shift--) {
        uint64_t c = r | ((uint64_t)1 << shift);
        if (c <= UINT32_MAX && c * c <= n)
            r = c;
    }
    return r;
}

/* Largest divisor <= bound by scanning, for n < 2^32 and 1 <= bound < n. */
static uint64_t scan_at_most(uint64_t n, uint64_t bound)
{
    uint64_t root = isqrt_u64(n);
    if (bound > root) {
        /* d = n / q is <= bound iff q >= ceil(n / bound); the smallest such
         * cofactor q <= root gives the largest d. */
        for (uint64_t q = tr_div_ceil(n, bound); q <= root; q++)
            if (n % q == 0)
                return n / q;
        bound = root;
    }
    for (uint64_t d = bound; d > 1; d--)
        if (n % d == 0)
            return d;
    return 1;
}

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
    return (uint64_t)((tr_u128)a * b % m);
}

static uint64_t powmod(uint64_t b, uint64_t e, uint64_t m)
{
    uint64_t r = 1;
    b %= m;
    while (e) {
        if (e & 1)
            r = mulmod(r, b, m);
        b = mulmod(b, b, m);
        e >>= 1;
    }
    return r;
}

/* Deterministic for all n < 2^64 with these bases. n odd, n > 37. */
static bool is_prime_large(uint64_t n)
{
    static const uint64_t bases[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    uint64_t d = n - 1;
    int s = 0;
    while ((d & 1) == 0) {
        d >>= 1;
        s++;
    }
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        uint64_t x = powmod(bases[i], d, n);
        if (x == 1 || x == n - 1)
            continue;
        bool composite = true;
        for (int r = 1; r < s; r++) {
            x = mulmod(x, x, n);
            if (x == n - 1) {
                composite = false;
                break;
            }
        }
        if (composite)
            return false;
    }
    return true;
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* A non-trivial factor of the odd composite n (Brent's variant). */
static uint64_t rho_factor(uint64_t n)
{
    for (uint64_t c = 1;; c++) {
        uint64_t y = 2, x = 2, g = 1, q = 1, ys = 2;
        uint64_t r = 1;
        const uint64_t m = 128;
        do {
            x = y;
            for (uint64_t i = 0; i < r; i++)
                y = (mulmod(y, y, n) + c) % n;
            uint64_t k = 0;
            do {
                ys = y;
                for (uint64_t i = 0; i < m && i < r - k; i++) {
                    y = (mulmod(y, y, n) + c) % n;
                    q = mulmod(q, x > y ? x - y : y - x, n);
                }
                g = gcd_u64(q, n);
                k += m;
            } while (k < r && g == 1);
            r *= 2;
        } while (g == 1);
        if (g == n) {
            do {
                ys = (mulmod(ys, ys, n) + c) % n;
                g = gcd_u64(x > ys ? x - ys : ys - x, n);
            } while (g == 1);
        }
        if (g != n)
            return g;
    }
}

struct factors {
    uint64_t prime[16];
    unsigned power[16];
    unsigned count;
};

static void add_factor(struct factors *f, uint64_t p)
{
    for (unsigned i = 0; i < f->count; i++)
        if (f->prime[i] == p) {
            f->power[i]++;
            return;
        }
    f->prime[f->count] = p;
    f->power[f->count] = 1;
    f->count++;
}

/* n has no prime factor below 64 here. */
static void factor_rest(struct factors *f, uint64_t n)
{
    if (n == 1)
        return;
    if (n < 64 * 64 || is_prime_large(n)) {
        add_factor(f, n);
        return;
    }
    uint64_t d = rho_factor(n);
    factor_rest(f, d);
    factor_rest(f, n / d);
}

static void factorize(struct factors *f, uint64_t n)
{
    f->count = 0;
    for (uint64_t p = 2; p < 64; p++) {
        if (n % p)
            continue;
        while (n % p == 0) {
            add_factor(f, p);
            n /= p;
        }
    }
    factor_rest(f, n);
}

/* Visit every divisor; keep the largest <= bound. */
static void best_divisor(const struct factors *f, unsigned i, uint64_t d, uint64_t bound,
                         uint64_t *best)
{
    if (i == f->count) {
        if (d > *best)
            *best = d;
        return;
    }
    for (unsigned e = 0;; e++) {
        best_divisor(f, i + 1, d, bound, best);
        if (e == f->power[i])
            break;
        uint64_t next;
        if (tr_mul_overflow(d, f->prime[i], &next) || next > bound)
            break;
        d = next;
    }
}

uint64_t trainest_priv_divisor_at_most(uint64_t n, uint64_t bound)
{
    if (bound >= n)
        return n;
    if (bound <= 1)
        return 1;
    if (n <= UINT32_MAX)
        return scan_at_most(n, bound);
    struct factors f;
    factorize(&f, n);
    uint64_t best = 1;
    best_divisor(&f, 0, 1, bound, &best);
    return best;
}

uint64_t trainest_priv_divisor_at_least(uint64_t n, uint64_t bound)
{
    if (bound > n)
        return 0;
    if (bound <= 1)
        return 1;
    /* d >= bound  <=>  n / d <= floor(n / bound): take the largest cofactor. */
    return n / trainest_priv_divisor_at_most(n, n / bound);
}
