/* SPDX-License-Identifier: MIT */
/* The public header compiles alone as C99 with -pedantic-errors, and its
 * version macros agree with the library it runs against. */
#include "trainest.h"

#include <stdio.h>
#include <string.h>

int main(void)
{
    if (trainest_version() != TRAINEST_VERSION_NUMBER) {
        fprintf(stderr, "header %d, library %u\n", TRAINEST_VERSION_NUMBER,
                (unsigned)trainest_version());
        return 1;
    }
    if (strcmp(trainest_version_string(), TRAINEST_VERSION_STRING) != 0) {
        fprintf(stderr, "header %s, library %s\n", TRAINEST_VERSION_STRING,
                trainest_version_string());
        return 1;
    }
    return 0;
}
