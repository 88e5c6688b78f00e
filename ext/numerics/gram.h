/*
** gram.h: the streaming (method=gram) path. Rows arrive one at a time; the
** d x d co-moment matrix of the centered rows is accumulated in blocks, so
** memory is O(d^2) whatever n is. Plain C over CBLAS/LAPACKE, no SQLite.
*/
#ifndef SVD_GRAM_H
#define SVD_GRAM_H

#include "spectrum.h"

#include <stdint.h>

/* Largest d the gram method takes: its d x d matrix is then 512 MiB. */
#define GRAM_MAX_D 8192

/*
** A group's blocks alternate between two accumulators (block k goes to the
** first when k is even), combined at the end. When the second is first
** needed, d >= GRAM_HELPER_MIN_D and a spare core is free, a helper thread
** starts: full blocks then wait for whichever of the two threads is free,
** each accumulator taking its blocks one at a time and in order, while the
** calling thread goes on reading rows. Either way the same blocks meet the
** same accumulator in the same order, so the result does not depend on
** whether a helper ran. Helpers are counted process-wide, at most one per
** spare core (cores - 1), so a host running queries on many threads does
** not oversubscribe.
*/
#define GRAM_HELPER_MIN_D  32

/* Mean and co-moments of the rows merged so far, on a power-of-two scale. */
typedef struct GramAcc GramAcc;
struct GramAcc {
  int64_t nRow;           /* rows merged */
  int eScale;             /* aMean and aM2 hold values scaled by 2^-eScale */
  double rMax;            /* largest scaled |y| merged */
  double *aMean;          /* d: mean of the merged y */
  double *aM2;            /* d x d, upper triangle: sum (y-mean)(y-mean)' */
  double *aScratch;       /* 2*d: a block's mean, a difference of means */
};

typedef struct GramHelper GramHelper;  /* a second thread, in gram.c */

typedef struct SpecGram SpecGram;
struct SpecGram {
  int nDim;               /* d */
  int bCenter;            /* subtract the mean (co-moments) or not (X'X) */
  GramAcc acc;            /* blocks 0, 2, 4, ... */
  GramAcc acc2;           /* blocks 1, 3, 5, ... */
  double *aShift;         /* d: y = x - aShift; the first row (centered),
                          ** or zeros */
  double *aBlock;         /* nBlockMax x d pending rows y, unscaled */
  double *aOne;           /* nBlockMax ones (read-only, shared) */
  int nBlock;             /* rows pending in aBlock */
  double rBlockMax;       /* largest |y| among them */
  int nBlockMax;
  int bStarted;           /* the first row has been seen */
  int64_t nFlushed;       /* blocks complete so far */
  GramHelper *pHelper;    /* merges acc2's blocks on a spare core, or 0 */
};

/* Set up for d-dimensional rows. SPEC_OK, SPEC_NOMEM or SPEC_TOOBIG. */
int specGramInit(SpecGram *p, int nDim, int bCenter);

/* Add one row of d finite doubles. SPEC_OK, SPEC_NOMEM or SPEC_RANGE. */
int specGramAdd(SpecGram *p, const double *aRow);

/*
** The min(n, d) singular values sigma_i = sqrt(max(lambda_i, 0)) of the
** rows added so far, descending, from the eigenvalues lambda of the
** co-moment matrix. SPEC_OK, SPEC_NOMEM, SPEC_LAPACK or SPEC_OVERFLOW.
*/
int specGramValues(SpecGram *p, double *sigma, SpecStatus *pStatus);

/*
** As specBasis(): the mean as two parts (2*d), the nK largest singular
** values and their directions (eigenvectors, largest entry positive).
*/
int specGramBasis(SpecGram *p, int nK, double *aMean, double *sigma,
                  double *dir, SpecStatus *pStatus);

/*
** The min(n, d) singular values of n <= d rows (a, n x d row-major; it is
** destroyed) through their n x n Gram matrix, with gram's accuracy:
** shifted by the first row and centered as a block is; when centered, the
** reflector H with H*1 = beta*e1 applied and its first column dropped, so
** that sigma_n is exactly 0; then the eigenvalues of Y'Y. O(n^2 d) work and no d x d matrix, so that many small
** groups stay cheap. SPEC_OK, SPEC_NOMEM, SPEC_LAPACK, SPEC_OVERFLOW or
** SPEC_RANGE.
*/
int specGramSmall(double *a, int n, int d, int bCenter, double *sigma,
                  SpecStatus *pStatus);

/*
** For the states (state.c): all rows added to p settled into one
** accumulator, copied out as the mean (2*d, hi + lo; the true one is 2^e
** times it), the d x d co-moment matrix aM2 (upper triangle; the true one
** is 2^(2e) times it) and *pE = e.
** SPEC_OK or SPEC_NOMEM.
*/
int specGramExport(SpecGram *p, double *aMean, double *aM2, int *pE);

/* The s largest sigma of a co-moment matrix aM2 (d x d, upper triangle,
** scale 2^(2e); destroyed), as specGramValues gives them. */
int specGramMatValues(double *aM2, int d, int s, int e, double *sigma,
                      SpecStatus *pStatus);

/* The nK largest sigma and their directions of the same (destroyed), as
** specGramBasis gives them. */
int specGramMatBasis(double *aM2, int d, int nK, int e, double *sigma,
                     double *dir, SpecStatus *pStatus);

/* Free everything, stopping a helper thread first. */
void specGramFree(SpecGram *p);

#endif /* SVD_GRAM_H */
