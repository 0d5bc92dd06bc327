/* SPDX-License-Identifier: MIT */
#include "abi.h"

#include <string.h>

#include "trainest.h"

static uint32_t struct_size_of(const void *p)
{
    uint32_t size;
    memcpy(&size, p, sizeof size);
    return size;
}

int trainest_priv_read_input(void *local, size_t local_size, const void *caller,
                             size_t min_size)
{
    if (!caller)
        return TRAINEST_E_NULL;
    uint32_t size = struct_size_of(caller);
    if (size < min_size || size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    memset(local, 0, local_size);
    memcpy(local, caller, size < local_size ? size : local_size);
    const unsigned char *tail = (const unsigned char *)caller;
    for (size_t i = local_size; i < size; i++)
        if (tail[i])
            return TRAINEST_E_UNSUPPORTED;
    return TRAINEST_OK;
}

int trainest_priv_init_zeroed(void *out, uint32_t struct_size, size_t min_size)
{
    if (!out)
        return TRAINEST_E_NULL;
    if (struct_size < min_size || struct_size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    memset(out, 0, struct_size);
    memcpy(out, &struct_size, sizeof struct_size);
    return TRAINEST_OK;
}

int trainest_priv_check_output(const void *caller, size_t min_size)
{
    if (!caller)
        return TRAINEST_E_NULL;
    uint32_t size = struct_size_of(caller);
    if (size < min_size || size > TR_MAX_STRUCT_SIZE)
        return TRAINEST_E_STRUCT_SIZE;
    return TRAINEST_OK;
}

int trainest_priv_check_array(const void *array, uint32_t capacity, size_t min_size)
{
    if (!capacity)
        return TRAINEST_OK;
    return trainest_priv_check_output(array, min_size);
}

void trainest_priv_write_element(void *array, uint32_t stride, uint32_t i, const void *local,
                                 size_t local_size)
{
    unsigned char *dst = (unsigned char *)array + (size_t)i * stride;
    memcpy(dst, &stride, sizeof stride);
    trainest_priv_write_output(dst, local, local_size);
}

int trainest_priv_read_element(void *local, size_t local_size, const void *array, uint32_t stride,
                               uint32_t i, size_t min_size)
{
    const unsigned char *el = (const unsigned char *)array + (size_t)i * stride;
    if (struct_size_of(el) != stride)
        return TRAINEST_E_STRUCT_SIZE;
    return trainest_priv_read_input(local, local_size, el, min_size);
}

void trainest_priv_write_output(void *caller, const void *local, size_t local_size)
{
    uint32_t size = struct_size_of(caller);
    size_t n = size < local_size ? size : local_size;
    memcpy((unsigned char *)caller + sizeof size, (const unsigned char *)local + sizeof size,
           n - sizeof size);
    if (size > local_size)
        memset((unsigned char *)caller + local_size, 0, size - local_size);
}
