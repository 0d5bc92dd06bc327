/* SPDX-License-Identifier: MIT */
/* The trainest command-line tool, as a function that tests can call. */
#ifndef TRAINEST_CLI_H
#define TRAINEST_CLI_H

#include <stdio.h>

/* Exit statuses. */
enum cli_exit {
    CLI_EXIT_OK = 0,      /* success, including --help and --version */
    CLI_EXIT_FAILURE = 1, /* the library rejected the request, or output failed */
    CLI_EXIT_USAGE = 2    /* bad command line, bad input file or input line */
};

/* Run the tool: argv[0] is the program name, argv[1] the command.
 * Normal output goes to out, diagnostics to err; with --json, errors are
 * also written to out as one JSON object. Commands that read standard
 * input (trainest eta) read stdin. Returns a cli_exit status. */
int trainest_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* The same with the input stream given: in replaces stdin (tests feed it
 * from memory). */
int trainest_cli_run(int argc, char **argv, FILE *in, FILE *out, FILE *err);

#endif
