/* SPDX-License-Identifier: MIT */
/* Small dense least-squares helpers for the calibration fits. Everything is
 * on the caller's stack; sizes are tiny (at most TR_FIT_MAX_COLS columns). */
#ifndef TRAINEST_FIT_H
#define TRAINEST_FIT_H

#include <stdbool.h>

#define TR_FIT_MAX_COLS 6

/* Normal equations of a weighted least-squares problem, accumulated one row
 * at a time so that no design matrix is ever stored. */
struct tr_normal_eq {
    unsigned cols;
    double gram[TR_FIT_MAX_COLS][TR_FIT_MAX_COLS];
    double rhs[TR_FIT_MAX_COLS];
};

void trainest_priv_normal_init(struct tr_normal_eq *ne, unsigned cols);

/* Add the row x (cols entries) with target y and weight w. */
void trainest_priv_normal_add(struct tr_normal_eq *ne, const double *x, double y, double w);

/* Solve for beta. Returns false if the system is singular or ill-posed to
 * the point that a column is a combination of the others (relative pivot
 * below 1e-10 after scaling the columns to unit diagonal). */
bool trainest_priv_normal_solve(const struct tr_normal_eq *ne, double *beta);

#endif
