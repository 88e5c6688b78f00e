/*
** merge.h: the numerics of spectrum states (svd_state, svd_merge): a
** group summarized so that two summaries merge into the summary of the
** union, and a spectrum or basis read from it is the whole group's. Plain
** C over LAPACKE/CBLAS, no SQLite types; the BLOB layout is in state.c.
*/
#ifndef SVD_MERGE_H
#define SVD_MERGE_H

#include "gram.h"
#include "spectrum.h"

#include <stdint.h>

#define MERGE_EXACT 1     /* SpecState.eMethod: the triangular factor */
#define MERGE_GRAM  2     /* the co-moment matrix */

/*
** A state. With C the d x d co-moment matrix of the group's rows (centered
** on their mean when bCenter, raw X'X otherwise):
**   exact  aMat is S, nK x d row-major, upper trapezoidal (zeros below the
**          diagonal), with S'S = C; nK = min(rows left, d), where rows left
**          is n-1 centered (the rank centering keeps) or n raw. S's rows
**          are the R of a QR of the (centered) rows.
**   gram   aMat is C itself, d x d column-major, upper triangle.
** Values of aMat are on the scale 2^eScale (exact) or 2^(2*eScale) (gram).
** aMean is the mean as two parts on the scale 2^eScale, mean = 2^eScale *
** (aMean[j] + aMean[d+j]) (zeros when not centered), so that a large shared
** mean keeps twice a double's digits, and a subnormal one all of its own.
*/
typedef struct SpecState SpecState;
struct SpecState {
  int64_t nRow;           /* n, rows summarized */
  int nDim;               /* d */
  int bCenter;            /* 1: mean-centered co-moments; 0: raw */
  int eMethod;            /* MERGE_EXACT or MERGE_GRAM */
  int nK;                 /* exact: rows of S; gram: d */
  int eScale;             /* aMat's power-of-two scale */
  double *aMean;          /* 2*d */
  double *aMat;           /* exact: nK x d; gram: d x d */
};

/* Allocate aMean and aMat (nK rows of d) of an empty *p. SPEC_NOMEM. */
int mergeAlloc(SpecState *p, int64_t nRow, int nDim, int bCenter,
               int eMethod, int nK);
void mergeFree(SpecState *p);

/* The exact state of n rows (a, n x d row-major; destroyed). */
int mergeFromRows(double *a, int64_t n, int d, int bCenter, SpecState *p,
                  SpecStatus *pStatus);

/* The gram state of the rows streamed into g. */
int mergeFromGram(SpecGram *g, int64_t n, SpecState *p);

/*
** *pAcc becomes the state of the union of its rows and pIn's. Both have
** the same d and bCenter (the caller checks). Exact with exact stays exact
** (QR of [S_a; S_b; sqrt(n_a*n_b/n)*(mean_a - mean_b)]); any gram makes
** gram (C_a + C_b + (n_a*n_b/n)*delta*delta'). SPEC_OK, SPEC_NOMEM,
** SPEC_LAPACK, SPEC_RANGE (the means differ beyond a double's range) or
** SPEC_TOOBIG (n beyond int64).
*/
int mergeStates(SpecState *pAcc, const SpecState *pIn, SpecStatus *pStatus);

/* The min(n, d) singular values of the state's rows, descending. */
int mergeSpectrum(const SpecState *p, double *sigma, SpecStatus *pStatus);

/* As specBasis(): mean (2*d), the nK largest sigma and their directions;
** 1 <= nK <= min(n, d). */
int mergeBasis(const SpecState *p, int nK, double *aMean, double *sigma,
               double *dir, SpecStatus *pStatus);

#endif /* SVD_MERGE_H */
