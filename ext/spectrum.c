/*
** spectrum.c: the numerics behind svd_spectrum(X [, 'center=...']).
**
** specSingularValues() takes the group's rows as an n x d row-major array of
** doubles and returns its singular values, after subtracting the column mean
** when asked. The steps, each through CBLAS or LAPACKE:
**
**   1. Scale by a power of two (exact) when the largest |x| is far from 1, so
**      that sums and differences below cannot overflow or underflow.
**   2. Centering: subtract the column mean. Rows that share a large mean
**      differ from it by little, so x - mean is exact (Sterbenz); what
**      remains is the rounding of the mean itself, a constant offset c
**      shared by every row.
**   3. Apply the Householder reflector H with H*1 = beta*e1 from the left.
**      Since H is orthogonal, the centered matrix has the singular values of
**      H*(X - 1*mean'). Its first row collects everything along the all-ones
**      direction, which is exactly the leftover offset n^(1/2)*c, and rows 2..n
**      hold the rest. Dropping row 1 removes the rounding of the mean
**      entirely and makes the rank loss of centering exact: for n <= d the
**      last singular value is 0, not 1e-10 of the first.
**   4. Reduce the remaining m x d block to a k x k triangle, k = min(m, d),
**      by QR (m >= d) or LQ (m < d): same singular values, and a small matrix
**      that can be kept to retry with.
**   5. dgesdd, values only; if it reports no convergence (info > 0, seen on
**      finite input: scipy issue 15024), dgesvd on the kept copy.
**
** Memory layout: the n x d row-major array is, to LAPACK's column-major
** eyes, the d x n matrix X'. Everything is done on X' in place, no transpose.
*/
#include "spectrum.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Largest |x| we compute with unscaled: sums of 2^31 of them stay finite. */
#define SPEC_BIG_EXP 400

/* A failed LAPACK call: record which and why. */
static int specFail(SpecStatus *pStatus, const char *zRoutine, int info){
  if( pStatus ){
    pStatus->zRoutine = zRoutine;
    pStatus->info = info;
  }
  return SPEC_LAPACK;
}

/* Largest |a[i]| over n values, through cblas_idamax in int-sized chunks. */
static double specAbsMax(const double *a, int64_t n){
  double mx = 0.0;
  while( n>0 ){
    int nChunk = n>INT_MAX ? INT_MAX : (int)n;
    double v = fabs(a[cblas_idamax(nChunk, a, 1)]);
    if( v>mx ) mx = v;
    a += nChunk;
    n -= nChunk;
  }
  return mx;
}

static void specScale(double *a, int64_t n, double s){
  while( n>0 ){
    int nChunk = n>INT_MAX ? INT_MAX : (int)n;
    cblas_dscal(nChunk, s, a, 1);
    a += nChunk;
    n -= nChunk;
  }
}

/*
** Steps 2 and 3 on X' (d x n column-major). Afterwards columns 1..n-1 of X'
** hold the centered rows, rotated. Returns SPEC_OK or SPEC_NOMEM.
*/
static int specCenter(double *a, int nRow, int nDim, SpecStatus *pStatus){
  double *aOne = malloc(sizeof(double)*(size_t)nRow); /* ones, then v */
  double *aMean = malloc(sizeof(double)*(size_t)nDim);
  double *aWork = malloc(sizeof(double)*(size_t)nDim);
  double alpha = 1.0, tau = 0.0;
  int i, info, rc = SPEC_OK;

  if( aOne==0 || aMean==0 || aWork==0 ){
    rc = SPEC_NOMEM;
    goto center_out;
  }
  for(i=0; i<nRow; i++) aOne[i] = 1.0;
  /* mean = X'*1/n, then X' -= mean*1' */
  cblas_dgemv(CblasColMajor, CblasNoTrans, nDim, nRow, 1.0/nRow, a, nDim,
              aOne, 1, 0.0, aMean, 1);
  cblas_dger(CblasColMajor, nDim, nRow, -1.0, aMean, 1, aOne, 1, a, nDim);

  /* H = I - tau*v*v' with v = (1, aOne[1..]) maps the all-ones vector to
  ** beta*e1. X'*H is (H*X)' since H is symmetric. */
  info = LAPACKE_dlarfg_work(nRow, &alpha, aOne+1, 1, &tau);
  if( info!=0 ){
    rc = specFail(pStatus, "dlarfg", info);
    goto center_out;
  }
  aOne[0] = 1.0;
  info = LAPACKE_dlarfx_work(LAPACK_COL_MAJOR, 'R', nDim, nRow, aOne, tau,
                             a, nDim, aWork);
  if( info!=0 ) rc = specFail(pStatus, "dlarfx", info);

center_out:
  free(aOne);
  free(aMean);
  free(aWork);
  return rc;
}

/*
** Step 4: reduce the d x m column-major matrix b (leading dimension ld) to
** the k x k triangle t (k = min(d, m), column-major, zeros elsewhere).
*/
static int specTriangle(double *b, int nDim, int nCol, int ld, double *t,
                        SpecStatus *pStatus){
  int k = nDim<nCol ? nDim : nCol;
  double *aTau = malloc(sizeof(double)*(size_t)k);
  double *aWork = 0, q = 0.0;
  int info, i, j, rc = SPEC_OK;
  int bQr = nDim>=nCol; /* tall: R is k x k upper; wide: L is k x k lower */
  const char *zRoutine = bQr ? "dgeqrf" : "dgelqf";

  if( aTau==0 ){
    rc = SPEC_NOMEM;
    goto tri_out;
  }
  info = bQr ? LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, nDim, nCol, b, ld, aTau,
                                   &q, -1)
             : LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, nDim, nCol, b, ld, aTau,
                                   &q, -1);
  if( info!=0 ){
    rc = specFail(pStatus, zRoutine, info);
    goto tri_out;
  }
  aWork = malloc(sizeof(double)*((size_t)q + 1));
  if( aWork==0 ){
    rc = SPEC_NOMEM;
    goto tri_out;
  }
  info = bQr ? LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, nDim, nCol, b, ld, aTau,
                                   aWork, (int)q)
             : LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, nDim, nCol, b, ld, aTau,
                                   aWork, (int)q);
  if( info!=0 ){
    rc = specFail(pStatus, zRoutine, info);
    goto tri_out;
  }
  for(j=0; j<k; j++){
    for(i=0; i<k; i++){
      int bKeep = bQr ? i<=j : i>=j;
      t[i+(size_t)j*k] = bKeep ? b[i+(size_t)j*ld] : 0.0;
    }
  }

tri_out:
  free(aTau);
  free(aWork);
  return rc;
}

/* Step 5: singular values of the k x k matrix t (destroyed; t2 a copy). */
static int specSvdSmall(double *t, double *t2, int k, double *sigma,
                        SpecStatus *pStatus){
  double q = 0.0, *aWork = 0;
  int *aIwork = malloc(sizeof(int)*(size_t)8*k);
  int info, rc = SPEC_OK;

  if( aIwork==0 ) return SPEC_NOMEM;
  info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', k, k, t, k, sigma, 0, 1,
                             0, 1, &q, -1, aIwork);
  if( info==0 ){
    aWork = malloc(sizeof(double)*((size_t)q + 1));
    if( aWork==0 ){
      rc = SPEC_NOMEM;
      goto svd_out;
    }
    info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', k, k, t, k, sigma, 0, 1,
                               0, 1, aWork, (int)q, aIwork);
  }
  if( info<0 ){
    rc = specFail(pStatus, "dgesdd", info);
    goto svd_out;
  }
  if( info>0 ){
    /* dgesdd did not converge: the slower, independent dgesvd. */
    free(aWork);
    aWork = 0;
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', k, k, t2, k, sigma,
                               0, 1, 0, 1, &q, -1);
    if( info==0 ){
      aWork = malloc(sizeof(double)*((size_t)q + 1));
      if( aWork==0 ){
        rc = SPEC_NOMEM;
        goto svd_out;
      }
      info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', k, k, t2, k,
                                 sigma, 0, 1, 0, 1, aWork, (int)q);
    }
    if( info!=0 ) rc = specFail(pStatus, "dgesvd", info);
  }

svd_out:
  free(aIwork);
  free(aWork);
  return rc;
}

int specSingularValues(double *a, int64_t n, int64_t d, int bCenter,
                       double *sigma, SpecStatus *pStatus){
  int64_t s = n<d ? n : d;   /* values returned */
  int64_t m;                 /* rows left after centering */
  double *b;                 /* those rows, as columns of X' */
  double *t = 0, amax;
  int k, e = 0, rc = SPEC_OK, i;

  if( pStatus ){
    pStatus->zRoutine = 0;
    pStatus->info = 0;
  }
  if( n<1 || d<1 || n>INT_MAX || d>INT_MAX || s>SPEC_MAX_K ) return SPEC_TOOBIG;
  memset(sigma, 0, sizeof(double)*(size_t)s);

  amax = specAbsMax(a, n*d);
  if( amax==0.0 ) return SPEC_OK;
  if( amax>ldexp(1.0, SPEC_BIG_EXP) || amax<ldexp(1.0, -SPEC_BIG_EXP) ){
    e = ilogb(amax);
    specScale(a, n*d, ldexp(1.0, -e));
  }

  b = a;
  m = n;
  if( bCenter ){
    if( n==1 ) return SPEC_OK;
    rc = specCenter(a, (int)n, (int)d, pStatus);
    if( rc ) return rc;
    b = a + d;
    m = n - 1;
  }

  k = (int)(m<d ? m : d);
  t = malloc(sizeof(double)*(size_t)k*k*2);
  if( t==0 ) return SPEC_NOMEM;
  rc = specTriangle(b, (int)d, (int)m, (int)d, t, pStatus);
  if( rc==SPEC_OK ){
    memcpy(t+(size_t)k*k, t, sizeof(double)*(size_t)k*k);
    rc = specSvdSmall(t, t+(size_t)k*k, k, sigma, pStatus);
  }
  free(t);
  if( rc ) return rc;

  if( e ){
    for(i=0; i<k; i++){
      sigma[i] = ldexp(sigma[i], e);
      if( isinf(sigma[i]) ) return SPEC_OVERFLOW;
    }
  }
  return SPEC_OK;
}
