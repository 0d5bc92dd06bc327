/* SPDX-License-Identifier: MIT */
#include "fit.h"

#include <math.h>
#include <string.h>

void trainest_priv_normal_init(struct tr_normal_eq *ne, unsigned cols)
{
    memset(ne, 0, sizeof *ne);
    ne->cols = cols;
}

void trainest_priv_normal_add(struct tr_normal_eq *ne, const double *x, double y, double w)
{
    for (unsigned i = 0; i < ne->cols; i++) {
        ne->rhs[i] += w * x[i] * y;
        for (unsigned j = 0; j <= i; j++)
            ne->gram[i][j] += w * x[i] * x[j];
    }
}

bool trainest_priv_normal_solve(const struct tr_normal_eq *ne, double *beta)
{
    const unsigned n = ne->cols;
    double a[TR_FIT_MAX_COLS][TR_FIT_MAX_COLS], b[TR_FIT_MAX_COLS], scale[TR_FIT_MAX_COLS];
    /* Scale columns to a unit diagonal: columns here differ by orders of
     * magnitude (a vs. a * m), and the pivot test must be scale-free. */
    for (unsigned i = 0; i < n; i++) {
        if (!(ne->gram[i][i] > 0) || !isfinite(ne->gram[i][i]))
            return false;
        scale[i] = 1.0 / sqrt(ne->gram[i][i]);
    }
    for (unsigned i = 0; i < n; i++) {
        b[i] = ne->rhs[i] * scale[i];
        for (unsigned j = 0; j <= i; j++)
            a[i][j] = a[j][i] = ne->gram[i][j] * scale[i] * scale[j];
    }
    /* Cholesky, in place in the lower triangle. */
    for (unsigned j = 0; j < n; j++) {
        double d = a[j][j];
        for (unsigned k = 0; k < j; k++)
            d -= a[j][k] * a[j][k];
        if (!(d > 1e-10))
            return false;
        a[j][j] = sqrt(d);
        for (unsigned i = j + 1; i < n; i++) {
            double s = a[i][j];
            for (unsigned k = 0; k < j; k++)
                s -= a[i][k] * a[j][k];
            a[i][j] = s / a[j][j];
        }
    }
    double z[TR_FIT_MAX_COLS];
    for (unsigned i = 0; i < n; i++) {
        double s = b[i];
        for (unsigned k = 0; k < i; k++)
            s -= a[i][k] * z[k];
        z[i] = s / a[i][i];
    }
    for (unsigned i = n; i-- > 0;) {
        double s = z[i];
        for (unsigned k = i + 1; k < n; k++)
            s -= a[k][i] * beta[k];
        beta[i] = s / a[i][i];
    }
    for (unsigned i = 0; i < n; i++) {
        beta[i] *= scale[i];
        if (!isfinite(beta[i]))
            return false;
    }
    return true;
}
