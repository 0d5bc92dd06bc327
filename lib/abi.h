/* SPDX-License-Identifier: MIT */
/* Reading and writing size-prefixed ABI structs (docs/ABI.md). */
#ifndef TRAINEST_ABI_H
#define TRAINEST_ABI_H

#include <stddef.h>
#include <stdint.h>

/* No struct is this large; a bigger struct_size is garbage, not a newer caller. */
#define TR_MAX_STRUCT_SIZE 65536u

/* Copy a caller's input struct into a full local one.
 * min_size: the struct's first released size. Shorter callers are
 * zero-extended; a longer caller's unknown tail must be all zero. */
int trainest_priv_read_input(void *local, size_t local_size, const void *caller,
                             size_t min_size);

/* The _init() of an input struct whose defaults are all zero: checks out
 * and struct_size (min_size: the first released size), zeroes the
 * caller's struct_size bytes and stores struct_size. */
int trainest_priv_init_zeroed(void *out, uint32_t struct_size, size_t min_size);

/* Check an output struct's struct_size before computing into it. */
int trainest_priv_check_output(const void *caller, size_t min_size);

/* A caller's array of output elements: capacity elements, each of element
 * 0's struct_size (the stride). The array may be NULL when capacity is 0. */
int trainest_priv_check_array(const void *array, uint32_t capacity, size_t min_size);

/* Write element i of such an array: trainest_priv_write_output() at
 * i * stride, with the stride as the element's struct_size. memcpy: a
 * stride that is not a multiple of 8 leaves elements unaligned. */
void trainest_priv_write_element(void *array, uint32_t stride, uint32_t i, const void *local,
                                 size_t local_size);

/* Read element i of a caller's input array, whose stride is element 0's
 * struct_size: the element's own struct_size must be the stride (checked
 * before reading, so that a larger one cannot read past the element), then
 * as trainest_priv_read_input(). */
int trainest_priv_read_element(void *local, size_t local_size, const void *array, uint32_t stride,
                               uint32_t i, size_t min_size);

/* Copy a computed local struct out: at most the caller's struct_size bytes,
 * zeroing any caller bytes beyond what this library knows, and keeping the
 * caller's struct_size. */
void trainest_priv_write_output(void *caller, const void *local, size_t local_size);

#endif
