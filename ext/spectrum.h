/*
** spectrum.h: singular values of an n x d matrix of embeddings, optionally
** mean-centered. Plain C over LAPACKE; no SQLite types, so C tests call it
** directly.
*/
#ifndef SVD_SPECTRUM_H
#define SVD_SPECTRUM_H

#include <stdint.h>

/* Return codes of specSingularValues. */
#define SPEC_OK       0
#define SPEC_NOMEM    1 /* a workspace allocation failed */
#define SPEC_LAPACK   2 /* LAPACK reported an error; see SpecStatus */
#define SPEC_TOOBIG   3 /* n or d beyond 2^31-1, or min(n,d) beyond SPEC_MAX_K */
#define SPEC_OVERFLOW 4 /* a singular value exceeds the range of a double */

/* Largest min(n, d): the k x k triangle and its copy then take 1 GiB. */
#define SPEC_MAX_K 8192

/* What went wrong inside LAPACK, for the error message. */
typedef struct SpecStatus SpecStatus;
struct SpecStatus {
  const char *zRoutine;   /* the LAPACK routine that failed, or 0 */
  int info;               /* its info: <0 bad argument -info, >0 no convergence */
};

/*
** Singular values of the n x d row-major matrix a[] (finite values; it is
** overwritten), in descending order, into sigma[0 .. min(n,d)-1].
**
** bCenter != 0 subtracts the column mean first. The centered matrix has
** rank at most n-1, and that rank loss is exact here: for n <= d the last
** value is exactly 0, whatever the size of the shared mean.
*/
int specSingularValues(double *a, int64_t n, int64_t d, int bCenter,
                       double *sigma, SpecStatus *pStatus);

#endif /* SVD_SPECTRUM_H */
