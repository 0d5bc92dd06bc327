/* SPDX-License-Identifier: MIT */
/* Shared helpers of the trainest fuzz targets (tests/fuzz/README.md).
 *
 * Every target is one file, tests/fuzz/<name>.c, that defines
 * LLVMFuzzerTestOneInput() and includes this header. Everything here is
 * static inline, so a target builds on its own:
 *
 *   clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -Iinclude -Ilib -Iexamples <every lib/ .c file> tests/fuzz/<name>.c -lm
 *
 * With -DTRAINEST_FUZZ_REPLAY the header also defines main(): a replay
 * driver that runs every file of a corpus directory through the target
 * (any C compiler, no libFuzzer), writes the seed corpus (--write-seeds)
 * and runs deterministic pseudo-random inputs (--random N).
 *
 * Input format. Fuzz bytes are read front to back; whatever is missing
 * reads as zero. A struct is read by fz_struct(): one mode byte (low 4
 * bits: how to choose struct_size, high 4 bits: how many overlays), the
 * overlays (2 bytes each: an 8-byte slot of the struct and a code for a
 * special value: NaN, infinities, subnormals, UINT64_MAX, 2^63, ...), then
 * the struct's bytes after struct_size, raw. Mode 0 with no overlays is
 * "this struct exactly as given", which is what the seeds use.
 *
 * Properties. FZ_CHECK(id, cond, ...) aborts with a message naming the
 * property. A bug that is known and still open is listed, with its id, in
 * tests/fuzz/known-bugs.txt; when its id is given (TRAINEST_FUZZ_KNOWN for
 * libFuzzer, --known FILE for the replay driver) its failures are counted
 * instead of aborting, and the rest of that input is not checked, so that
 * a campaign keeps looking for new bugs. */
#ifndef TRAINEST_FUZZ_UTIL_H
#define TRAINEST_FUZZ_UTIL_H

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainest.h"

#ifndef FZ_TARGET
#error "define FZ_TARGET (the target's name) before including fuzz_util.h"
#endif
#ifndef FZ_MAX_LEN
#define FZ_MAX_LEN 1024
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every target defines this: it builds its seeds with fz_seed_begin(),
 * fz_emit*() and fz_seed_end() (used by the replay driver only). */
#if defined(__GNUC__)
__attribute__((unused))
#endif
static void fz_seeds(void);

/* The largest struct_size the library accepts (lib/abi.h). */
#define FZ_MAX_STRUCT 65536u
/* Bytes written around outputs and arrays; they must survive every call. */
#define FZ_CANARY 0xA5u
#define FZ_GUARD 64u

/* ---- Known bugs and property checks ---------------------------------------- */

#define FZ_MAX_KNOWN 64

struct fz_state {
    int inited;
    int tainted; /* a known bug fired in this input: check nothing more */
    unsigned known_n;
    char known[FZ_MAX_KNOWN][96];
    unsigned long hits[FZ_MAX_KNOWN];
    void *allocs[16]; /* exact-size copies of this input's structs and arrays */
    unsigned n_allocs;
};

static inline struct fz_state *fz_st(void)
{
    static struct fz_state s;
    return &s;
}

/* Add known-bug ids from a list separated by commas, blanks or newlines. */
static inline void fz_add_known(const char *list)
{
    struct fz_state *s = fz_st();
    while (*list) {
        size_t n = strcspn(list, ", \t\r\n");
        if (n && n < sizeof s->known[0] && s->known_n < FZ_MAX_KNOWN) {
            memcpy(s->known[s->known_n], list, n);
            s->known[s->known_n][n] = '\0';
            s->known_n++;
        }
        list += n;
        list += strspn(list, ", \t\r\n");
    }
}

static inline int fz_known_index(const char *id)
{
    struct fz_state *s = fz_st();
    for (unsigned i = 0; i < s->known_n; i++)
        if (strcmp(s->known[i], id) == 0)
            return (int)i;
    return -1;
}

#ifndef TRAINEST_FUZZ_REPLAY
/* At the end of a libFuzzer run: how often each known bug fired. */
static inline void fz_report_known(void)
{
    struct fz_state *s = fz_st();
    unsigned long total = 0;
    for (unsigned i = 0; i < s->known_n; i++)
        total += s->hits[i];
    fprintf(stderr, "trainest-fuzz: known bugs fired %lu times\n", total);
    for (unsigned i = 0; i < s->known_n; i++)
        if (s->hits[i])
            fprintf(stderr, "trainest-fuzz:   %lu x %s\n", s->hits[i], s->known[i]);
}
#endif

/* Call first in every LLVMFuzzerTestOneInput. */
static inline void fz_begin(void)
{
    struct fz_state *s = fz_st();
    for (unsigned i = 0; i < s->n_allocs; i++)
        free(s->allocs[i]);
    s->n_allocs = 0;
    if (!s->inited) {
        s->inited = 1;
        const char *env = getenv("TRAINEST_FUZZ_KNOWN");
        if (env)
            fz_add_known(env);
#ifndef TRAINEST_FUZZ_REPLAY
        if (s->known_n)
            atexit(fz_report_known);
#endif
    }
    s->tainted = 0;
}

/* A known bug fired: count it, stop checking this input. Returns 1. */
static inline int fz_known_hit(int k)
{
    fz_st()->hits[k]++;
    fz_st()->tainted = 1;
    return 1;
}

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static inline void fz_fail(const char *scope, const char *id, const char *file, int line,
                           const char *fmt, ...)
{
    char full[128];
    snprintf(full, sizeof full, "%s%s%s", scope ? scope : "", scope ? ":" : "", id);
    const int k = fz_known_index(full);
    if (k >= 0) {
        fz_known_hit(k);
        return;
    }
    fflush(stdout);
    fprintf(stderr, "\n==== trainest fuzz [%s] property violated: %s (%s:%d)\n     ", FZ_TARGET,
            full, file, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

/* Check a property named id (the name known-bugs.txt uses); the rest is a
 * printf message. FZ_SCHECK names it scope:id (scope: the function). */
#define FZ_CHECK(id, cond, ...)                                                                \
    do {                                                                                       \
        if (!fz_st()->tainted && !(cond))                                                      \
            fz_fail(NULL, (id), __FILE__, __LINE__, __VA_ARGS__);                              \
    } while (0)
#define FZ_SCHECK(scope, id, cond, ...)                                                        \
    do {                                                                                       \
        if (!fz_st()->tainted && !(cond))                                                      \
            fz_fail((scope), (id), __FILE__, __LINE__, __VA_ARGS__);                           \
    } while (0)

/* For a known bug that crashes (so no property can see it): true, and the
 * bug is counted, if cond holds and id is listed as known. Use as
 * `if (FZ_KNOWN_CRASH("id", cond)) return 0;` before the call. */
#define FZ_KNOWN_CRASH(id, cond) ((cond) && fz_known_index(id) >= 0 && fz_known_hit(fz_known_index(id)))

/* Nothing after a known bug is checked; targets may also stop calling. */
#define FZ_TAINTED() (fz_st()->tainted)

/* ---- Reading fuzz bytes ------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t n;
} fz_in;

static inline void fz_bytes(fz_in *in, void *dst, size_t n)
{
    size_t k = n < in->n ? n : in->n;
    if (k)
        memcpy(dst, in->p, k);
    if (n > k)
        memset((unsigned char *)dst + k, 0, n - k);
    in->p += k;
    in->n -= k;
}

static inline uint8_t fz_u8(fz_in *in)
{
    uint8_t v;
    fz_bytes(in, &v, 1);
    return v;
}

static inline uint16_t fz_u16(fz_in *in)
{
    unsigned char b[2];
    fz_bytes(in, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t fz_u32(fz_in *in)
{
    unsigned char b[4];
    fz_bytes(in, b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t fz_u64(fz_in *in)
{
    uint64_t lo = fz_u32(in);
    return lo | (uint64_t)fz_u32(in) << 32;
}

static inline double fz_bits_double(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

static inline uint64_t fz_double_bits(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* A special 8-byte value, as its bit pattern: doubles and integers at the
 * edges. Codes beyond the table are the small integers code - 64. */
static inline uint64_t fz_special(uint8_t code)
{
    static const double doubles[] = {
        NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, DBL_MIN, 4.9406564584124654e-324,
        -4.9406564584124654e-324, 2.2250738585072009e-308 /* largest subnormal */, DBL_MAX,
        -DBL_MAX, 1.0, -1.0, 0.5, 1e-300, 1e300, 9007199254740992.0 /* 2^53 */,
        18446744073709551616.0 /* 2^64 */, 9223372036854775808.0 /* 2^63 */, 1e-9, 3600.0,
        0.999999999, 1.0000000000000002, 1e15, 1e16, 1.8e19, 40.0, 1e7, 2.0, 3.0, 0.1};
    static const uint64_t ints[] = {
        0, 1, 2, 3, UINT64_MAX, UINT64_MAX - 1, UINT64_C(1) << 63, (UINT64_C(1) << 63) - 1,
        UINT64_C(1) << 53, (UINT64_C(1) << 53) + 1, UINT64_C(1) << 32, UINT32_MAX,
        (UINT64_C(1) << 32) + 1, UINT64_C(0xFFFFFFFF00000000), 10000000, 10000001, 65536,
        65537, 4096, 4097, 4294967291u /* prime below 2^32 */,
        UINT64_C(18446744073709551557) /* largest 64-bit prime */,
        UINT64_C(4294967291) * 4294967279u /* product of two 32-bit primes */, 6, 8, 1024,
        UINT64_C(1) << 40, 1000003, 720720, 5040, 0x100000000000000u, 7};
    const unsigned nd = sizeof doubles / sizeof doubles[0], ni = sizeof ints / sizeof ints[0];
    if (code < nd)
        return fz_double_bits(doubles[code]);
    if (code < nd + ni)
        return ints[code - nd];
    return (uint64_t)(code - (nd + ni));
}

/* struct_size for a struct whose current size is cur and first released
 * size is min, chosen by the low 4 bits of mode: mostly valid sizes, also
 * an older caller's, a newer caller's, odd, too small, too large. *tail is
 * set when the bytes beyond cur should be random (a newer caller who set
 * fields this library does not know). */
static inline uint32_t fz_pick_size(fz_in *in, uint8_t mode, size_t cur, size_t min, int *tail)
{
    *tail = 0;
    switch (mode & 15) {
    case 6:
        return (uint32_t)min;
    case 7:
        return (uint32_t)(cur + 8 * (1 + (fz_u8(in) & 7)));
    case 8:
        *tail = 1;
        return (uint32_t)(cur + 1 + (fz_u8(in) & 15));
    case 9:
        return (uint32_t)(min + fz_u8(in) % (cur - min + 1));
    case 10:
        return (uint32_t)(min - 1 - fz_u8(in) % min);
    case 11:
        return FZ_MAX_STRUCT;
    case 12:
        return FZ_MAX_STRUCT + 1 + fz_u16(in);
    case 13:
        return fz_u32(in);
    case 14:
        return 0;
    default:
        return (uint32_t)cur;
    }
}

static inline int fz_size_ok(uint32_t size, size_t min)
{
    return size >= min && size <= FZ_MAX_STRUCT;
}

/* Read the bytes of a struct of current size cur after its struct_size,
 * then apply nover overlays of special values on its 8-byte slots. */
static inline void fz_fill(fz_in *in, unsigned char *s, size_t cur, unsigned nover)
{
    struct {
        uint8_t slot, code;
    } ov[15];
    for (unsigned i = 0; i < nover && i < 15; i++) {
        ov[i].slot = fz_u8(in);
        ov[i].code = fz_u8(in);
    }
    fz_bytes(in, s + 4, cur - 4);
    for (unsigned i = 0; i < nover && i < 15; i++) {
        const size_t slots = cur / 8, k = ov[i].slot % slots;
        const uint64_t v = fz_special(ov[i].code);
        if (k == 0)
            memcpy(s + 4, &v, 4); /* the 32-bit field after struct_size */
        else
            memcpy(s + 8 * k, &v, 8);
    }
}

/* An input struct in buf (at least FZ_MAX_STRUCT + FZ_GUARD bytes): every
 * byte the library may read (up to min(struct_size, FZ_MAX_STRUCT)) is
 * defined. Returns struct_size. */
static inline uint32_t fz_struct(fz_in *in, void *buf, size_t cur, size_t min)
{
    unsigned char *s = (unsigned char *)buf;
    const uint8_t mode = fz_u8(in);
    int tail;
    const uint32_t size = fz_pick_size(in, mode, cur, min, &tail);
    fz_fill(in, s, cur, mode >> 4);
    const size_t used = size < FZ_MAX_STRUCT ? size : FZ_MAX_STRUCT;
    if (used > cur) {
        if (tail)
            fz_bytes(in, s + cur, used - cur);
        else
            memset(s + cur, 0, used - cur);
    }
    memcpy(s, &size, 4);
    return size;
}

/* A full-size copy of an input struct as the library reads it: struct_size
 * bytes, zero-extended, with struct_size = cur so that it can be passed on.
 * Returns 0 if the library rejects the struct (bad size, or non-zero bytes
 * beyond what it knows). */
static inline int fz_view(void *dst, const void *src, size_t cur, size_t min)
{
    uint32_t size;
    memcpy(&size, src, 4);
    memset(dst, 0, cur);
    if (size < min || size > FZ_MAX_STRUCT)
        return 0;
    memcpy(dst, src, size < cur ? size : cur);
    const uint32_t full = (uint32_t)cur;
    memcpy(dst, &full, 4);
    for (size_t i = cur; i < size; i++)
        if (((const unsigned char *)src)[i])
            return 0;
    return 1;
}

/* An exact-size heap copy of the first n bytes of p, freed by the next
 * fz_begin(): the library reading past what the caller gave it is then a
 * heap-buffer-overflow that ASan reports. */
static inline void *fz_exact(const void *p, size_t n)
{
    struct fz_state *s = fz_st();
    void *q = malloc(n ? n : 1);
    if (!q || s->n_allocs == sizeof s->allocs / sizeof s->allocs[0])
        abort();
    if (n)
        memcpy(q, p, n);
    s->allocs[s->n_allocs++] = q;
    return q;
}

/* An input struct (fz_struct into the staging buffer buf) as an exact-size
 * copy: the bytes the library may read, min(struct_size, 64 KiB), or just
 * struct_size itself when the size is invalid. */
static inline void *fz_input(fz_in *in, unsigned char *buf, size_t cur, size_t min, size_t *n)
{
    const uint32_t size = fz_struct(in, buf, cur, min);
    *n = fz_size_ok(size, min) ? size : 4;
    return fz_exact(buf, *n);
}

/* An input array: a stride mode, a count byte, then per element a flag
 * byte (low 4 bits: overlays; high 4 bits 0xF: the element gets its own,
 * different struct_size; 0xE: random bytes beyond the struct) and its
 * bytes. Laid out in staging, returned as an exact-size heap copy. The
 * count is 0..64, or 65537 / UINT32_MAX (over the documented limit: the
 * library must refuse before reading). */
static inline void *fz_input_array(fz_in *in, unsigned char *staging, size_t stagecap, size_t cur,
                                   size_t min, uint32_t *count_out, uint32_t *stride_out,
                                   size_t *bytes_out)
{
    int tail;
    const uint32_t stride = fz_pick_size(in, fz_u8(in), cur, min, &tail);
    const uint8_t cb = fz_u8(in);
    uint32_t count = cb == 0xFF ? 65537u : cb == 0xFE ? UINT32_MAX : cb % 65u;
    const size_t elem = fz_size_ok(stride, min) ? stride : cur;
    uint32_t n = count > 64 ? 1 : count;
    while (n && (size_t)n * elem > stagecap)
        n--;
    if (count <= 64)
        count = n;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char *el = staging + (size_t)i * elem;
        const uint8_t flag = fz_u8(in);
        fz_fill(in, el, cur, flag & 15);
        uint32_t own = stride;
        if ((flag >> 4) == 0xF && i)
            own = fz_u32(in);
        if (elem > cur) {
            if ((flag >> 4) == 0xE)
                fz_bytes(in, el + cur, elem - cur);
            else
                memset(el + cur, 0, elem - cur);
        }
        memcpy(el, &own, 4);
    }
    if (!n)
        memcpy(staging, &stride, 4);
    *count_out = count;
    *stride_out = stride;
    *bytes_out = n ? (size_t)n * elem : 4;
    return fz_exact(staging, *bytes_out);
}

/* Whether an element after the first of an input array (laid out by
 * fz_input_array) carries a struct_size above the stride. */
static inline int fz_array_oversized(const unsigned char *a, uint32_t count, uint32_t stride, size_t bytes)
{
    for (uint32_t i = 1; i < count && (size_t)(i + 1) * stride <= bytes; i++) {
        uint32_t own;
        memcpy(&own, a + (size_t)i * stride, 4);
        if (own > stride)
            return 1;
    }
    return 0;
}

/* A 64-bit argument: a selector byte, then 8 raw bytes; a selector with
 * the top bit set takes a special value instead (fz_special). */
static inline uint64_t fz_arg_u64(fz_in *in)
{
    const uint8_t sel = fz_u8(in);
    const uint64_t raw = fz_u64(in);
    return sel & 0x80 ? fz_special(sel & 0x7F) : raw;
}

static inline double fz_arg_double(fz_in *in)
{
    return fz_bits_double(fz_arg_u64(in));
}

/* ---- Outputs in canary buffers ------------------------------------------------- */

/* An output struct of struct_size size (chosen with fz_pick_size) at the
 * start of mem, canaries after it. */
typedef struct {
    unsigned char *mem;
    uint32_t size;
    size_t cur, min, span;
} fz_out;

#define FZ_OUT_BYTES (FZ_MAX_STRUCT + 2 * FZ_GUARD)

static inline void fz_out_prepare(fz_out *o, unsigned char *mem, uint32_t size, size_t cur, size_t min)
{
    o->mem = mem;
    o->size = size;
    o->cur = cur;
    o->min = min;
    size_t extent = size <= FZ_MAX_STRUCT && size > cur ? size : cur;
    o->span = extent + FZ_GUARD;
    memset(mem, FZ_CANARY, o->span);
    memcpy(mem, &size, 4);
}

static inline int fz_all(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static inline int fz_valid_status(int st)
{
    return st <= 0 && st >= TRAINEST_E_BAD_LAYOUT;
}

static inline int fz_valid_field(uint32_t f)
{
    return strcmp(trainest_field_name(f), "unknown") != 0;
}

/* The ABI rules for one output after a call that returned st:
 * - struct_size is the caller's, nothing beyond it (or at all, if it is
 *   invalid) is written, bytes the library does not know are zeroed;
 * - on success invalid_field is NONE; on failure the output is zero except
 *   struct_size, invalid_field (a known field) and [keep_lo, keep_hi).
 * Returns 1 if the output was written (so its contents can be checked). */
static inline int fz_out_check(const fz_out *o, int st, const char *what, size_t keep_lo, size_t keep_hi)
{
    uint32_t size;
    memcpy(&size, o->mem, 4);
    FZ_SCHECK(what, "status-valid", fz_valid_status(st), "%s: status %d is not a documented value", what, st);
    FZ_SCHECK(what, "abi-struct-size-kept", size == o->size, "%s: struct_size changed from %u to %u", what,
             (unsigned)o->size, (unsigned)size);
    if (!fz_size_ok(o->size, o->min)) {
        FZ_SCHECK(what, "abi-bad-output-size", st != TRAINEST_OK, "%s: struct_size %u accepted", what,
                 (unsigned)o->size);
        FZ_SCHECK(what, "abi-no-write-past-size", fz_all(o->mem + 4, o->span - 4, FZ_CANARY),
                 "%s: wrote into an output whose struct_size %u is invalid", what,
                 (unsigned)o->size);
        return 0;
    }
    FZ_SCHECK(what, "abi-no-write-past-size", fz_all(o->mem + o->size, o->span - o->size, FZ_CANARY),
             "%s: wrote beyond struct_size %u", what, (unsigned)o->size);
    const size_t known = o->size < o->cur ? o->size : o->cur;
    if (st != TRAINEST_OK && st != TRAINEST_E_STRUCT_SIZE && fz_all(o->mem + 4, known - 4, FZ_CANARY)) {
        /* failed before touching the output: only argument errors may */
        FZ_SCHECK(what, "abi-error-output", st == TRAINEST_E_NULL || st == TRAINEST_E_STRUCT_SIZE,
                 "%s: status %d left the output unwritten", what, st);
        return 0;
    }
    if (st == TRAINEST_E_STRUCT_SIZE && fz_all(o->mem + 4, known - 4, FZ_CANARY))
        return 0;
    if (o->size > o->cur)
        FZ_SCHECK(what, "abi-zero-unknown-tail", fz_all(o->mem + o->cur, o->size - o->cur, 0),
                 "%s: bytes %zu..%u (beyond this library's struct) are not zeroed", what, o->cur,
                 (unsigned)o->size);
    uint32_t field;
    memcpy(&field, o->mem + 4, 4);
    if (st == TRAINEST_OK) {
        FZ_SCHECK(what, "abi-ok-field-none", field == TRAINEST_FIELD_NONE,
                 "%s: success with invalid_field %u", what, (unsigned)field);
    } else {
        FZ_SCHECK(what, "abi-error-field-known", fz_valid_field(field),
                 "%s: status %d names unknown invalid_field %u", what, st, (unsigned)field);
        for (size_t i = 8; i < known; i++) {
            if (i >= keep_lo && i < keep_hi)
                continue;
            FZ_SCHECK(what, "abi-error-output-zero", o->mem[i] == 0,
                     "%s: status %s, but output byte %zu is 0x%02x (must be zero)", what,
                     trainest_status_name(st), i, o->mem[i]);
        }
    }
    return 1;
}

/* A fuzzed-size output against the same call with a full-size output:
 * same status, and the fuzzed one holds a prefix of the full one. */
static inline void fz_out_same(const fz_out *fuzzed, int st_fuzzed, const fz_out *full, int st_full,
                               const char *what)
{
    if (!fz_size_ok(fuzzed->size, fuzzed->min))
        return;
    FZ_SCHECK(what, "abi-size-independent", st_fuzzed == st_full,
             "%s: status %d with struct_size %u but %d with %zu", what, st_fuzzed,
             (unsigned)fuzzed->size, st_full, full->cur);
    const size_t known = fuzzed->size < fuzzed->cur ? fuzzed->size : fuzzed->cur;
    if (st_fuzzed == st_full)
        FZ_SCHECK(what, "abi-size-independent", memcmp(fuzzed->mem + 4, full->mem + 4, known - 4) == 0,
                 "%s: output with struct_size %u is not a prefix of the full-size output", what,
                 (unsigned)fuzzed->size);
}

/* An output size: usually the current size, sometimes any other (see fz_pick_size). */
static inline uint32_t fz_out_size(fz_in *in, size_t cur, size_t min)
{
    int tail;
    return fz_pick_size(in, fz_u8(in), cur, min, &tail);
}

/* ---- Output arrays ---------------------------------------------------------- */

/* An output array: capacity elements of stride bytes (element 0's
 * struct_size, the array's stride), canaries after it. */
typedef struct {
    unsigned char *mem;
    uint32_t stride, capacity;
    size_t cur, min, span;
} fz_arr;

/* Lay out the array in mem (memcap bytes, aligned); capacity is reduced
 * until it fits. */
static inline void fz_arr_prepare(fz_arr *a, unsigned char *mem, size_t memcap, uint32_t stride,
                                  uint32_t capacity, size_t cur, size_t min)
{
    const size_t elem = fz_size_ok(stride, min) ? stride : cur;
    while (capacity && (size_t)capacity * elem + FZ_GUARD > memcap)
        capacity /= 2;
    a->mem = mem;
    a->stride = stride;
    a->capacity = capacity;
    a->cur = cur;
    a->min = min;
    a->span = (capacity ? (size_t)capacity * elem : cur) + FZ_GUARD;
    memset(mem, FZ_CANARY, a->span);
    memcpy(mem, &stride, 4);
}

/* The ABI rules for an output array after a call that returned st and
 * reported count elements: nothing beyond the count elements is written
 * (element 0's struct_size aside), every element written carries the
 * stride as struct_size and zeroes the bytes this library does not know.
 * Returns 1 if the elements can be read. */
static inline int fz_arr_check(const fz_arr *a, int st, uint32_t count, const char *what)
{
    FZ_SCHECK(what, "status-valid", fz_valid_status(st), "status %d is not a documented value", st);
    FZ_SCHECK(what, "array-count", count <= a->capacity, "count %u beyond capacity %u",
              (unsigned)count, (unsigned)a->capacity);
    uint32_t s0;
    memcpy(&s0, a->mem, 4);
    if (a->capacity && !fz_size_ok(a->stride, a->min)) {
        FZ_SCHECK(what, "array-bad-stride", st != TRAINEST_OK && count == 0,
                  "stride %u accepted (status %d, count %u)", (unsigned)a->stride, st,
                  (unsigned)count);
        FZ_SCHECK(what, "array-no-write", s0 == a->stride && fz_all(a->mem + 4, a->span - 4, FZ_CANARY),
                  "wrote into an array whose stride %u is invalid", (unsigned)a->stride);
        return 0;
    }
    if (st != TRAINEST_OK) {
        FZ_SCHECK(what, "array-error-count", count == 0, "status %d with count %u", st,
                  (unsigned)count);
        return 0;
    }
    if (!a->capacity) {
        FZ_SCHECK(what, "array-no-write", s0 == a->stride && fz_all(a->mem + 4, a->span - 4, FZ_CANARY),
                  "wrote into an array of capacity 0");
        return 0;
    }
    const size_t end = (size_t)count * a->stride;
    if (count == 0)
        FZ_SCHECK(what, "array-no-write", s0 == a->stride && fz_all(a->mem + 4, a->span - 4, FZ_CANARY),
                  "count 0, but the array was written");
    else
        FZ_SCHECK(what, "array-no-write-past-count", fz_all(a->mem + end, a->span - end, FZ_CANARY),
                  "wrote beyond the %u elements it reports (stride %u): first changed byte at "
                  "offset %zu",
                  (unsigned)count, (unsigned)a->stride,
                  end + strspn((const char *)a->mem + end, "\xA5"));
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *e = a->mem + (size_t)i * a->stride;
        uint32_t size;
        memcpy(&size, e, 4);
        FZ_SCHECK(what, "array-element-size", size == a->stride,
                  "element %u has struct_size %u, the stride is %u", (unsigned)i, (unsigned)size,
                  (unsigned)a->stride);
        if (a->stride > a->cur)
            FZ_SCHECK(what, "array-zero-unknown-tail", fz_all(e + a->cur, a->stride - a->cur, 0),
                      "element %u: bytes beyond this library's struct are not zeroed", (unsigned)i);
    }
    return 1;
}

/* Element i as a full-size struct (zero-extended). */
static inline void fz_arr_get(const fz_arr *a, uint32_t i, void *dst)
{
    memset(dst, 0, a->cur);
    memcpy(dst, a->mem + (size_t)i * a->stride, a->stride < a->cur ? a->stride : a->cur);
}

/* A fuzzed array against the same call with a full-size one of capacity
 * full_cap: same status, min(capacity, full count) elements, each a prefix. */
static inline void fz_arr_same(const fz_arr *f, int st_f, uint32_t n_f, const fz_arr *full, int st_full,
                               uint32_t n_full, const char *what)
{
    if (f->capacity && !fz_size_ok(f->stride, f->min))
        return;
    FZ_SCHECK(what, "array-size-independent", st_f == st_full,
              "status %d with stride %u, %d with the full stride", st_f, (unsigned)f->stride,
              st_full);
    if (st_f != st_full || st_f != TRAINEST_OK)
        return;
    const uint32_t want = n_full < f->capacity ? n_full : f->capacity;
    FZ_SCHECK(what, "array-size-independent", n_f == want || n_full == full->capacity,
              "%u elements with capacity %u, but %u with capacity %u", (unsigned)n_f,
              (unsigned)f->capacity, (unsigned)n_full, (unsigned)full->capacity);
    const size_t known = f->stride < f->cur ? f->stride : f->cur;
    for (uint32_t i = 0; i < n_f && i < n_full; i++)
        FZ_SCHECK(what, "array-size-independent",
                  memcmp(f->mem + (size_t)i * f->stride + 4, full->mem + (size_t)i * full->stride + 4,
                         known - 4) == 0,
                  "element %u with stride %u differs from the full-stride result", (unsigned)i,
                  (unsigned)f->stride);
}

/* ---- Request initialisers ---------------------------------------------------- */

static inline void fz_init_check(const char *what, int st, const unsigned char *mem, uint32_t size,
                                 size_t cur, size_t min, const void *defaults, size_t span)
{
    FZ_SCHECK(what, "status-valid", fz_valid_status(st), "status %d", st);
    if (!fz_size_ok(size, min)) {
        FZ_SCHECK(what, "init-bad-size", st == TRAINEST_E_STRUCT_SIZE,
                  "struct_size %u: status %d, not TRAINEST_E_STRUCT_SIZE", (unsigned)size, st);
        FZ_SCHECK(what, "init-no-write", fz_all(mem, span, FZ_CANARY),
                  "struct_size %u is invalid, but the struct was written", (unsigned)size);
        return;
    }
    uint32_t s0;
    memcpy(&s0, mem, 4);
    const size_t known = size < cur ? size : cur;
    FZ_SCHECK(what, "init-ok", st == TRAINEST_OK, "struct_size %u: status %d", (unsigned)size, st);
    FZ_SCHECK(what, "init-struct-size", s0 == size, "stored struct_size %u, not %u", (unsigned)s0,
              (unsigned)size);
    FZ_SCHECK(what, "init-defaults", memcmp(mem + 4, (const unsigned char *)defaults + 4, known - 4) == 0,
              "struct_size %u: the defaults differ from the documented ones", (unsigned)size);
    if (size > cur)
        FZ_SCHECK(what, "init-zero-tail", fz_all(mem + cur, size - cur, 0),
                  "struct_size %u: bytes beyond this library's struct are not zeroed",
                  (unsigned)size);
    FZ_SCHECK(what, "init-no-write-past-size", fz_all(mem + size, span - size, FZ_CANARY),
              "wrote beyond struct_size %u", (unsigned)size);
}

/* Call fn(mem, size) for an _init function of a struct of type type whose
 * first released size is min; defaults: the documented defaults, full size. */
#define FZ_INIT_CHECK(fn, type, min, defaults, size, mem)                                      \
    do {                                                                                       \
        const uint32_t fz_size_ = (size);                                                      \
        const size_t fz_span_ =                                                                \
            (fz_size_ok(fz_size_, (min)) && fz_size_ > sizeof(type) ? fz_size_ : sizeof(type)) + \
            FZ_GUARD;                                                                          \
        memset((mem), FZ_CANARY, fz_span_);                                                    \
        const int fz_st_ = fn((type *)(void *)(mem), fz_size_);                                \
        fz_init_check(#fn, fz_st_, (mem), fz_size_, sizeof(type), (min), (defaults), fz_span_); \
        FZ_SCHECK(#fn, "init-null", fn(NULL, fz_size_) == TRAINEST_E_NULL, "NULL accepted");   \
    } while (0)

/* ---- Values ------------------------------------------------------------------ */

#define FZ_FINITE(what, x)                                                                     \
    FZ_SCHECK((what), "finite", isfinite(x), "%s = %g is not finite", #x, (double)(x))
#define FZ_NONNEG(what, x)                                                                     \
    FZ_SCHECK((what), "finite-nonneg", isfinite(x) && (x) >= 0, "%s = %g is not finite and >= 0", \
              #x, (double)(x))

/* a * b * c without overflow, or 0 when it overflows. */
static inline int fz_mul3(uint64_t a, uint64_t b, uint64_t c, uint64_t *out)
{
    uint64_t t;
    if (__builtin_mul_overflow(a, b, &t) || __builtin_mul_overflow(t, c, &t))
        return 0;
    *out = t;
    return 1;
}

static inline int fz_close(double a, double b, double rel)
{
    if (a == b)
        return 1;
    const double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= rel * m;
}

/* ---- Seeds: inputs in the format above ----------------------------------------- */

struct fz_seed_buf {
    unsigned char b[1 << 16];
    size_t n;
    const char *dir;
    unsigned written;
};

static inline struct fz_seed_buf *fz_seed(void)
{
    static struct fz_seed_buf s;
    return &s;
}

static inline void fz_emit(const void *p, size_t n)
{
    struct fz_seed_buf *s = fz_seed();
    if (s->n + n > sizeof s->b) {
        fprintf(stderr, "seed too long\n");
        abort();
    }
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static inline void fz_emit_u8(uint8_t v)
{
    fz_emit(&v, 1);
}

static inline void fz_emit_u32(uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fz_emit(b, 4);
}

static inline void fz_emit_u64(uint64_t v)
{
    fz_emit_u32((uint32_t)v);
    fz_emit_u32((uint32_t)(v >> 32));
}

static inline void fz_emit_double(double d)
{
    fz_emit_u64(fz_double_bits(d));
}

/* An argument as fz_arg_u64() / fz_arg_double() read it. */
static inline void fz_emit_arg_u64(uint64_t v)
{
    fz_emit_u8(0);
    fz_emit_u64(v);
}

static inline void fz_emit_arg_double(double d)
{
    fz_emit_arg_u64(fz_double_bits(d));
}

/* A struct as fz_struct() reads it with mode 0: struct_size = cur. */
static inline void fz_emit_struct(const void *s, size_t cur)
{
    fz_emit_u8(0);
    fz_emit((const unsigned char *)s + 4, cur - 4);
}

/* A struct with an explicit size mode (see fz_pick_size) and its argument byte. */
static inline void fz_emit_struct_mode(const void *s, size_t cur, uint8_t mode, int arg)
{
    fz_emit_u8(mode);
    if (arg >= 0)
        fz_emit_u8((uint8_t)arg);
    fz_emit((const unsigned char *)s + 4, cur - 4);
}

static inline void fz_seed_begin(void)
{
    fz_seed()->n = 0;
}

static inline void fz_replay_bytes(const char *name, const unsigned char *data, size_t n);

/* Finish a seed: write it to the seed directory as name (--write-seeds),
 * or replay it (a replay driver given no corpus). */
static inline void fz_seed_end(const char *name)
{
    struct fz_seed_buf *s = fz_seed();
    if (!s->dir) {
        fz_replay_bytes(name, s->b, s->n);
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(s->b, 1, s->n, f) != s->n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    s->written++;
}

/* ---- The replay driver ---------------------------------------------------------- */

#ifdef TRAINEST_FUZZ_REPLAY
#include <dirent.h>
#include <sys/stat.h>

struct fz_known_input {
    char id[96], target[32], file[128];
};

struct fz_replay {
    struct fz_known_input inputs[FZ_MAX_KNOWN];
    unsigned n_inputs;
    unsigned long replayed, xfail, failed;
};

static inline struct fz_replay *fz_rp(void)
{
    static struct fz_replay r;
    return &r;
}

/* known-bugs.txt: "id target regress-file description", # comments. */
static inline void fz_load_known(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        struct fz_known_input k;
        if (line[0] == '#' || sscanf(line, "%95s %31s %127s", k.id, k.target, k.file) != 3)
            continue;
        fz_add_known(k.id);
        if (fz_rp()->n_inputs < FZ_MAX_KNOWN)
            fz_rp()->inputs[fz_rp()->n_inputs++] = k;
    }
    fclose(f);
}

static inline unsigned long fz_total_hits(void)
{
    unsigned long n = 0;
    for (unsigned i = 0; i < fz_st()->known_n; i++)
        n += fz_st()->hits[i];
    return n;
}

static inline void fz_replay_bytes(const char *name, const unsigned char *data, size_t n)
{
    struct fz_replay *r = fz_rp();
    const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
    const char *expect = NULL;
    for (unsigned i = 0; i < r->n_inputs; i++)
        if (strcmp(r->inputs[i].target, FZ_TARGET) == 0 && strcmp(r->inputs[i].file, base) == 0)
            expect = r->inputs[i].id;
    unsigned long before = expect ? fz_st()->hits[fz_known_index(expect)] : 0;
    /* an exact-size copy: reads past the input are caught by ASan */
    unsigned char *copy = malloc(n ? n : 1);
    if (!copy)
        abort();
    if (n)
        memcpy(copy, data, n);
    LLVMFuzzerTestOneInput(copy, n);
    free(copy);
    r->replayed++;
    if (expect) {
        if (fz_st()->hits[fz_known_index(expect)] > before) {
            printf("XFAIL %s: known bug %s (tests/fuzz/known-bugs.txt)\n", base, expect);
            r->xfail++;
        } else {
            printf("XPASS %s: known bug %s no longer fires; fixed? remove its line from "
                   "tests/fuzz/known-bugs.txt\n",
                   base, expect);
            r->failed++;
        }
    }
}

static inline int fz_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void fz_replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fz_replay_bytes(path, buf, n);
}

static inline void fz_replay_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "no such file or directory: %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(sb.st_mode)) {
        fz_replay_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                abort();
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            abort();
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, fz_cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &sb) == 0 && S_ISREG(sb.st_mode))
            fz_replay_file(names[i]);
        free(names[i]);
    }
    free(names);
}

/* Deterministic pseudo-random inputs (xorshift64*), for machines without
 * libFuzzer: biased towards the small bytes the format uses. */
static inline void fz_replay_random(unsigned long count, uint64_t seed)
{
    static unsigned char buf[FZ_MAX_LEN];
    uint64_t x = seed ? seed : 0x9E3779B97F4A7C15u;
    for (unsigned long i = 0; i < count; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        size_t n = (size_t)((x * 0x2545F4914F6CDD1Du) >> 33) % (FZ_MAX_LEN + 1);
        for (size_t j = 0; j < n; j++) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            uint64_t r = x * 0x2545F4914F6CDD1Du;
            buf[j] = (r >> 62) == 0 ? (uint8_t)(r >> 8) & 3 : (uint8_t)(r >> 24);
        }
        fz_st()->tainted = 0;
        char name[32];
        snprintf(name, sizeof name, "random-%lu", i);
        fz_replay_bytes(name, buf, n);
    }
}

int main(int argc, char **argv)
{
    const char *seeds = NULL;
    unsigned long random_n = 0;
    int paths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--known") == 0 && i + 1 < argc)
            fz_load_known(argv[++i]);
        else if (strcmp(argv[i], "--write-seeds") == 0 && i + 1 < argc)
            seeds = argv[++i];
        else if (strcmp(argv[i], "--random") == 0 && i + 1 < argc)
            random_n = strtoul(argv[++i], NULL, 10);
        else if (argv[i][0] == '-') {
            fprintf(stderr,
                    "usage: %s [--known known-bugs.txt] [--write-seeds DIR] [--random N] "
                    "[CORPUS_DIR_OR_FILE...]\n",
                    argv[0]);
            return 2;
        }
    }
    fz_st()->inited = 1; /* the environment is for libFuzzer runs */
    if (seeds) {
        fz_seed()->dir = seeds;
        fz_seeds();
        printf("%u seeds written to %s\n", fz_seed()->written, seeds);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--known") == 0 || strcmp(argv[i], "--write-seeds") == 0 ||
            strcmp(argv[i], "--random") == 0) {
            i++;
            continue;
        }
        fz_replay_path(argv[i]);
        paths++;
    }
    if (!paths)
        fz_seeds(); /* no corpus given: at least the built-in seeds */
    if (random_n)
        fz_replay_random(random_n, 0x5EED0000u + (uint64_t)strlen(FZ_TARGET));
    struct fz_replay *r = fz_rp();
    if (fz_total_hits() > r->xfail)
        printf("note: known bugs fired %lu times (tests/fuzz/known-bugs.txt)\n", fz_total_hits());
    printf("%s: %lu inputs replayed (%lu expected failures of known bugs, %lu unexpected passes)\n",
           FZ_TARGET, r->replayed, r->xfail, r->failed);
    return r->failed ? 1 : 0;
}
#else
/* Without the replay driver nothing writes seeds or replays. */
static inline void fz_replay_bytes(const char *name, const unsigned char *data, size_t n)
{
    (void)name;
    LLVMFuzzerTestOneInput(data, n);
}
#endif /* TRAINEST_FUZZ_REPLAY */

#endif /* TRAINEST_FUZZ_UTIL_H */
