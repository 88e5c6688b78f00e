/*
** basis.h: the BLOB that svd_basis() returns and the functions that read it.
** The layout is in basis.c.
*/
#ifndef SVD_BASIS_H
#define SVD_BASIS_H

#include "sqlite3ext.h"

/* A basis held as doubles, filled by specBasis() and encoded as a BLOB. */
typedef struct BasisData BasisData;
struct BasisData {
  sqlite3_int64 nRow;     /* n, the group's non-NULL rows */
  int nDim;               /* d */
  int nK;                 /* K, directions kept */
  int bCenter;            /* 1 when the mean was subtracted */
  double *aMean;          /* 2*d values, the mean as hi[d] then lo[d]
                          ** (see specBasis); zeros when not centered */
  double *aSigma;         /* K singular values, descending */
  double *aDir;           /* K x d, row i the direction v_(i+1) */
};

/* Allocate the three arrays of *p in one sqlite3_malloc64. SQLITE_NOMEM. */
int basisAlloc(BasisData *p, sqlite3_int64 nRow, int nDim, int nK,
               int bCenter);
void basisFree(BasisData *p);

/* *p as the BLOB (from sqlite3_malloc64; *pnByte its size), or 0 (OOM). */
unsigned char *basisEncode(const BasisData *p, sqlite3_uint64 *pnByte);

/* Encode *p as the result of ctx: the BLOB, or an out-of-memory error. */
void basisResult(sqlite3_context *ctx, const BasisData *p);

/*
** Read the BASIS argument pVal (not NULL) whole into *p, as doubles; the
** caller basisFree()s it. zFunc and zArg ("BASIS", "BASIS_A") name the
** function and the argument in messages. SQLITE_OK, SQLITE_NOMEM, or
** SQLITE_ERROR with *pzErr from sqlite3_mprintf when pVal is not a basis
** from svd_basis() (the checks of svd_project's BASIS).
*/
int basisRead(sqlite3_value *pVal, const char *zFunc, const char *zArg,
              BasisData *p, char **pzErr);

#endif /* SVD_BASIS_H */
