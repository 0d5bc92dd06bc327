/* SPDX-License-Identifier: MIT */
#include <stdio.h>

#include "cli.h"

int main(int argc, char **argv)
{
    return trainest_cli_main(argc, argv, stdout, stderr);
}
