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

typedef struct SpecGram SpecGram;
struct SpecGram {
  int nDim;               /* d */
  int bCenter;            /* subtract the mean (co-moments) or not (X'X) */
  int64_t nRow;           /* rows merged into aM2 so far */
  int eScale;             /* everything below is scaled by 2^-eScale */
  double rMax;            /* largest scaled |y| merged so far */
  double *aShift;         /* d: the first row; y = x - shift (centered) */
  double *aMean;          /* d: mean of the merged y, scaled */
  double *aM2;            /* d x d, upper triangle: sum (y-mean)(y-mean)' */
  double *aBlock;         /* nBlockMax x d pending rows y, unscaled */
  double *aScratch;       /* 2*d: block mean, difference of means */
  double *aOne;           /* nBlockMax ones */
  int nBlock;             /* rows pending in aBlock */
  int nBlockMax;
};

/* Set up for d-dimensional rows. SPEC_OK, SPEC_NOMEM or SPEC_TOOBIG. */
int specGramInit(SpecGram *p, int nDim, int bCenter);

/* Add one row of d finite doubles. SPEC_OK or SPEC_NOMEM. */
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

void specGramFree(SpecGram *p);

#endif /* SVD_GRAM_H */
