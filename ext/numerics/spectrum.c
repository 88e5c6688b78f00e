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
** A centered group of n <= d+1 rows (the many small groups of a GROUP BY)
** takes a shorter road to the same place: steps 2 and 3 on the small
** triangle instead of on the rows (specSmallTriangle), one pass fewer over
** them. The basis takes the same road, so its sigma stay the spectrum's.
**
** Memory layout: the n x d row-major array is, to LAPACK's column-major
** eyes, the d x n matrix X'. Everything is done on X' in place, no transpose.
*/
#include "spectrum.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
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


/*
** Steps 2 and 3 on X' (d x n column-major). Afterwards columns 1..n-1 of X'
** hold the centered rows, rotated; aMean[0..d-1] holds the column mean and
** aMean[d..2d-1] the mean of what subtracting it left, so that the two sum
** to the mean with twice a double's precision.
** Returns SPEC_OK, SPEC_NOMEM or SPEC_LAPACK.
*/
static int specCenter(double *a, int nRow, int nDim, double *aMean,
                      SpecStatus *pStatus){
  double *aOne = specMalloc(sizeof(double)*(size_t)nRow); /* ones, then v */
  double *aWork = specMalloc(sizeof(double)*(size_t)nDim);
  double alpha = 1.0, tau = 0.0;
  int i, info, rc = SPEC_OK;

  if( aOne==0 || aWork==0 ){
    rc = SPEC_NOMEM;
    goto center_out;
  }
  for(i=0; i<nRow; i++) aOne[i] = 1.0;
  /* mean = X'*1/n, then X' -= mean*1' */
  cblas_dgemv(CblasColMajor, CblasNoTrans, nDim, nRow, 1.0/nRow, a, nDim,
              aOne, 1, 0.0, aMean, 1);
  cblas_dger(CblasColMajor, nDim, nRow, -1.0, aMean, 1, aOne, 1, a, nDim);
  cblas_dgemv(CblasColMajor, CblasNoTrans, nDim, nRow, 1.0/nRow, a, nDim,
              aOne, 1, 0.0, aMean+nDim, 1);
  /* The first mean's rounding leaves a shared offset in every row. H below
  ** moves it into row 1 only up to H's own rounding, which grows with the
  ** offset (1.8e-12 of sigma_1 at mean 1e12 times the spread, n = 1e5):
  ** take the second mean out first, so that H sees centered rows. */
  cblas_dger(CblasColMajor, nDim, nRow, -1.0, aMean+nDim, 1, aOne, 1, a, nDim);

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
  specFree(aOne);
  specFree(aWork);
  return rc;
}

/*
** Step 4: reduce the d x m column-major matrix b (leading dimension ld) to
** the k x k triangle t (k = min(d, m), column-major, zeros elsewhere). In
** the tall case (d >= m) the reflectors stay in b, their factors in
** aTau[0..k-1], so that a caller can apply Q to vectors of the triangle;
** in the wide case b and aTau are left unspecified.
*/
int specTriangle(double *b, int nDim, int nCol, int ld, double *t,
                        double *aTau, SpecStatus *pStatus){
  int k = nDim<nCol ? nDim : nCol;
  double *aWork = 0, q = 0.0;
  int info, i, j, rc = SPEC_OK;
  int bQr = nDim>=nCol; /* tall: R is k x k upper; wide: L is k x k lower */
  const char *zRoutine = bQr ? "dgeqrf" : "dgelqf";

  if( bQr && nCol<=SPEC_SMALL_K ){
    aWork = specMalloc(sizeof(double)*SMALL_QR_WORK);
    if( aWork==0 ) return SPEC_NOMEM;
    if( smallQr(b, nDim, nCol, ld, aTau, aWork) ){
      rc = specFail(pStatus, "dlarfg", 1);
      goto tri_out;
    }
  }else if( !bQr && nDim<=SPEC_SMALL_K && nCol<=SPEC_SMALL_ROWS ){
    /* Wide: dgelqf would walk b's strided rows. The QR of the transpose,
    ** c = b' (nCol x nDim, contiguous columns), gives L = R' (the same
    ** factorization: dgelqf is dgeqrf of the transpose). Its reflectors
    ** belong to c, and no caller of the wide case applies them. */
    double *c = specMalloc(sizeof(double)*((size_t)nCol*nDim + SMALL_QR_WORK));
    if( c==0 ) return SPEC_NOMEM;
    for(j=0; j<nCol; j++){
      for(i=0; i<nDim; i++) c[j + (size_t)i*nCol] = b[i + (size_t)j*ld];
    }
    if( smallQr(c, nCol, nDim, nCol, aTau, c + (size_t)nCol*nDim) ){
      specFree(c);
      return specFail(pStatus, "dlarfg", 1);
    }
    for(j=0; j<k; j++){
      for(i=0; i<k; i++) t[i+(size_t)j*k] = i>=j ? c[j + (size_t)i*nCol] : 0.0;
    }
    specFree(c);
    return SPEC_OK;
  }else{
    info = bQr ? LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, nDim, nCol, b, ld, aTau,
                                     &q, -1)
               : LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, nDim, nCol, b, ld, aTau,
                                     &q, -1);
    if( info!=0 ){
      rc = specFail(pStatus, zRoutine, info);
      goto tri_out;
    }
    aWork = specMalloc(sizeof(double)*((size_t)q + 1));
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
  }
  for(j=0; j<k; j++){
    for(i=0; i<k; i++){
      int bKeep = bQr ? i<=j : i>=j;
      t[i+(size_t)j*k] = bKeep ? b[i+(size_t)j*ld] : 0.0;
    }
  }

tri_out:
  specFree(aWork);
  return rc;
}

/* Tests only (specTestFail): LAPACK's reports of no convergence, forced,
** and the fallbacks run since the last call. */
static _Atomic int specTestFailMask = 0;
static _Atomic int specTestFallbacks = 0;

int specTestFail(int mask){
  atomic_store(&specTestFailMask, mask);
  return atomic_exchange(&specTestFallbacks, 0);
}

/*
** The singular values of the k x k matrix t (destroyed) into sigma, and
** with u (k x k, column-major) its left singular vectors, by dgesdd; if
** dgesdd reports no convergence (info > 0, seen on finite input: scipy
** issue 15024), by the slower, independent dgesvd on t2, a copy of t.
*/
static int specSvdLapack(double *t, double *t2, int k, double *sigma,
                         double *u, SpecStatus *pStatus){
  char job = u ? 'S' : 'N';
  int ld = u ? k : 1;
  double q = 0.0, *aWork = 0, *vt = 0;
  int *aIwork = specMalloc(sizeof(int)*(size_t)8*k);
  int info, rc = SPEC_OK;

  if( u ) vt = specMalloc(sizeof(double)*(size_t)k*k);
  if( aIwork==0 || (u && vt==0) ){
    rc = SPEC_NOMEM;
    goto lapack_out;
  }
  info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, job, k, k, t, k, sigma, u, ld,
                             vt, ld, &q, -1, aIwork);
  if( info==0 ){
    aWork = specMalloc(sizeof(double)*((size_t)q + 1));
    if( aWork==0 ){
      rc = SPEC_NOMEM;
      goto lapack_out;
    }
    info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, job, k, k, t, k, sigma, u,
                               ld, vt, ld, aWork, (int)q, aIwork);
    if( info==0 && (atomic_load_explicit(&specTestFailMask,
                                         memory_order_relaxed)
                    & SPEC_TEST_DGESDD) ){
      info = 1;
    }
  }
  if( info<0 ){
    rc = specFail(pStatus, "dgesdd", info);
    goto lapack_out;
  }
  if( info>0 ){
    /* dgesdd did not converge: the slower, independent dgesvd. */
    atomic_fetch_add_explicit(&specTestFallbacks, 1, memory_order_relaxed);
    specFree(aWork);
    aWork = 0;
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, 'N', k, k, t2, k, sigma,
                               u, ld, 0, 1, &q, -1);
    if( info==0 ){
      aWork = specMalloc(sizeof(double)*((size_t)q + 1));
      if( aWork==0 ){
        rc = SPEC_NOMEM;
        goto lapack_out;
      }
      info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, job, 'N', k, k, t2, k,
                                 sigma, u, ld, 0, 1, aWork, (int)q);
    }
    if( info!=0 ) rc = specFail(pStatus, "dgesvd", info);
  }

lapack_out:
  specFree(aIwork);
  specFree(aWork);
  specFree(vt);
  return rc;
}

/*
** Step 5: singular values of the k x k matrix t (destroyed; t2 a copy).
** Small triangles (k <= SPEC_SMALL_K) are bidiagonalized by small.c and
** their values taken by dbdsqr, which without vectors runs the dqds
** algorithm (dlasq1): dgesdd's road to the same place costs twice as much
** at k = 19. Larger ones, and any that dbdsqr does not converge on, go to
** specSvdLapack (dgesdd, then dgesvd if need be).
*/
int specSvdSmall(double *t, double *t2, int k, double *sigma,
                        SpecStatus *pStatus){
  double *aWork;
  int info;

  if( k<=SPEC_SMALL_K ){
    aWork = specMalloc(sizeof(double)*((size_t)k*5 + 4)); /* e, then 4k */
    if( aWork==0 ) return SPEC_NOMEM;
    if( smallBidiag(t, k, sigma, aWork, aWork + k) ){
      specFree(aWork);
      return specFail(pStatus, "dlarfg", 1);
    }
    info = LAPACKE_dbdsqr_work(LAPACK_COL_MAJOR, 'U', k, 0, 0, 0, sigma, aWork,
                               0, 1, 0, 1, 0, 1, aWork + k);
    specFree(aWork);
    if( info<0 ) return specFail(pStatus, "dbdsqr", info);
    if( info==0 && !(atomic_load_explicit(&specTestFailMask,
                                          memory_order_relaxed)
                     & SPEC_TEST_DBDSQR) ){
      return SPEC_OK;
    }
    memcpy(t, t2, sizeof(double)*(size_t)k*k);   /* no convergence */
    atomic_fetch_add_explicit(&specTestFallbacks, 1, memory_order_relaxed);
  }
  return specSvdLapack(t, t2, k, sigma, 0, pStatus);
}

/* Step 1: scale the nv values by 2^-e (*pE = e, or 0). 0 if all are 0. */
static int specToScale(double *a, int64_t nv, int *pE){
  double amax = smallAbsMax(a, nv);
  *pE = 0;
  if( amax==0.0 ) return 0;
  if( amax>ldexp(1.0, SPEC_BIG_EXP) || amax<ldexp(1.0, -SPEC_BIG_EXP) ){
    *pE = ilogb(amax);
    specScalePow2(a, nv, -*pE);
  }
  return 1;
}

/*
** Steps 1 to 3, shared by both entry points (but for the small road):
** scale a[] by 2^-e (*pE = e, or 0), center it when asked (aMean[0..2d-1] =
** column mean as in specCenter, scaled; zeros when not centering), and
** point *pB at the m rows that remain (*pM = m). An all-zero matrix or a
** single centered row leaves *pM = 0: nothing to decompose.
*/
int specPrepare(double *a, int64_t n, int64_t d, int bCenter,
                       double *aMean, int *pE, double **pB, int *pM,
                       SpecStatus *pStatus){
  int rc;

  *pB = a;
  *pM = 0;
  memset(aMean, 0, sizeof(double)*(size_t)d*2);
  if( !specToScale(a, n*d, pE) ) return SPEC_OK;
  if( !bCenter ){
    *pM = (int)n;
    return SPEC_OK;
  }
  if( n==1 ){
    memcpy(aMean, a, sizeof(double)*(size_t)d);
    return SPEC_OK;
  }
  rc = specCenter(a, (int)n, (int)d, aMean, pStatus);
  *pB = a + d;
  *pM = (int)n - 1;
  return rc;
}

static void specStatusClear(SpecStatus *pStatus){
  if( pStatus ){
    pStatus->zRoutine = 0;
    pStatus->info = 0;
  }
}

/* Multiply sigma[0..k-1] back by 2^e. */
int specUnscale(double *sigma, int k, int e){
  int i;
  for(i=0; i<k && e; i++){
    sigma[i] = ldexp(sigma[i], e);
    if( isinf(sigma[i]) ) return SPEC_OVERFLOW;
  }
  return SPEC_OK;
}

/* Does a group take specSmallTriangle's road? Both entry points ask here,
** so that the basis's sigma stay the spectrum's. */
static int specSmallRoad(int64_t n, int64_t d, int bCenter){
  return bCenter && n>=2 && n<=d+1;
}

/*
** Steps 2 to 4 for 2 <= n <= d+1 centered rows (already scaled) with one
** pass over the rows besides the QR, for the many small groups of a GROUP
** BY. Shift every row by the first, y_i = x_i - x_1: exact for rows near a
** shared mean, as in step 2, and at most (1 + sqrt(n-1)) times the centered
** matrix in norm. QR of rows 2..n (the d x m block b = X' + d, m = n-1;
** the reflectors stay there, their factors in aTau) gives the m x m
** triangle R, so that X - 1*x_1' = Z*Q' with Z = [0; R'] (n x m), and the
** centered matrix (I - 11'/n)*Z*Q' has the singular values of
** (I - 11'/n)*Z. Step 3 then works on the small Z: rows 2..n of H*Z form
** the m x m matrix W, and t = W' (so that, as in the general case, the
** directions are Q times t's left singular vectors). Its singular values,
** and a 0, are the spectrum.
**
** aMean (2*d, or 0): the column mean as x_1 + mean(y), a double-double sum.
*/
/* The end of specSmallTriangle: from the m x m triangle r (m = n-1) of
** the shifted rows to t = W'. */
static int specSmallFromR(const double *r, int n, double *t,
                          SpecStatus *pStatus){
  int m = n - 1, i, j, info, rc = SPEC_OK;
  double *z, *aV, *aWork, alpha = 1.0, tau = 0.0;
  /* z: n x m; aV: n; aWork: m */
  z = specMalloc(sizeof(double)*((size_t)n*m + n + m));
  if( z==0 ) return SPEC_NOMEM;
  aV = z + (size_t)n*m;
  aWork = aV + n;
  for(i=0; i<n; i++) aV[i] = 1.0;
  for(j=0; j<m; j++){
    z[(size_t)j*n] = 0.0;
    for(i=0; i<m; i++) z[i+1+(size_t)j*n] = r[j+(size_t)i*m];  /* R' */
  }
  info = LAPACKE_dlarfg_work(n, &alpha, aV+1, 1, &tau);
  if( info!=0 ){
    rc = specFail(pStatus, "dlarfg", info);
    goto from_out;
  }
  aV[0] = 1.0;
  info = LAPACKE_dlarfx_work(LAPACK_COL_MAJOR, 'L', n, m, aV, tau, z, n,
                             aWork);
  if( info!=0 ){
    rc = specFail(pStatus, "dlarfx", info);
    goto from_out;
  }
  for(j=0; j<m; j++){
    for(i=0; i<m; i++) t[i+(size_t)j*m] = z[1+j+(size_t)i*n];  /* W' */
  }

from_out:
  specFree(z);
  return rc;
}

static int specSmallTriangle(double *a, int n, int d, double *aMean,
                             double *t, double *aTau, SpecStatus *pStatus){
  int m = n - 1, i, j, rc;
  double *r, *aWork;

  for(i=1; i<n; i++) smallSub(a + (size_t)i*d, a, d);
  /* r: m x m; aWork: d */
  r = specMalloc(sizeof(double)*((size_t)m*m + d + n));
  if( r==0 ) return SPEC_NOMEM;
  aWork = r + (size_t)m*m;
  if( aMean ){
    /* mean(y) = (sum of rows 2..n)/n; then x_1 + mean(y) as hi + lo */
    double *aOne = aWork + d;
    for(i=0; i<n; i++) aOne[i] = 1.0;
    cblas_dgemv(CblasColMajor, CblasNoTrans, d, m, 1.0/n, a + d, d, aOne, 1,
                0.0, aWork, 1);
    for(j=0; j<d; j++){
      double x = a[j], y = aWork[j], hi = x + y, yy = hi - x;
      aMean[j] = hi;
      aMean[d+j] = (x - (hi - yy)) + (y - yy);
    }
  }
  rc = specTriangle(a + d, d, m, d, r, aTau, pStatus);
  if( rc==SPEC_OK ) rc = specSmallFromR(r, n, t, pStatus);
  specFree(r);
  return rc;
}

int specStreamValues(SpecStream *pStream, int64_t n, int64_t d,
                     double *sigma, SpecStatus *pStatus){
  int k = (int)n - 1, rc;
  double *t, *r;
  specStatusClear(pStatus);
  /* t and its copy: k x k each; r: k x k */
  t = n>=2 && n<=d+1 && n-1<=SPEC_SMALL_K
    ? specMalloc(sizeof(double)*(size_t)k*k*3) : 0;
  if( t==0 ){
    specStreamStop(pStream);
    return SPEC_STREAM_MISS;
  }
  r = t + (size_t)k*k*2;
  if( specStreamFinish(pStream, (int)n, r) ){
    specFree(t);
    return SPEC_STREAM_MISS;
  }
  memset(sigma, 0, sizeof(double)*(size_t)(n<d ? n : d));
  rc = specSmallFromR(r, (int)n, t, pStatus);
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  if( rc==SPEC_OK ){
    memcpy(t+(size_t)k*k, t, sizeof(double)*(size_t)k*k);
    rc = specSvdSmall(t, t+(size_t)k*k, k, sigma, pStatus);
  }
  specFree(t);
  return rc;
}

/* specSingularValues, and with bBounded the float32 road: values within
** float32's range need no scaling, and its pass over the rows is skipped. */
static int specValues(double *a, int64_t n, int64_t d, int bCenter,
                      int bBounded, double *sigma, SpecStatus *pStatus){
  int64_t s = n<d ? n : d;   /* values returned */
  double *b;                 /* rows left to decompose, as columns of X' */
  double *aMean, *t = 0;
  int k, e, m, rc;

  specStatusClear(pStatus);
  if( n<1 || d<1 || n>INT_MAX || d>INT_MAX || s>SPEC_MAX_K ) return SPEC_TOOBIG;
  memset(sigma, 0, sizeof(double)*(size_t)s);
  if( specSmallRoad(n, d, bCenter) ){
    k = (int)n - 1;
    e = 0;
    if( !bBounded && !specToScale(a, n*d, &e) ) return SPEC_OK;
    t = specMalloc(sizeof(double)*((size_t)k*k*2 + (size_t)k));
    if( t==0 ) return SPEC_NOMEM;
    rc = specSmallTriangle(a, (int)n, (int)d, 0, t, t+(size_t)k*k*2, pStatus);
    if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
    if( rc==SPEC_OK ){
      memcpy(t+(size_t)k*k, t, sizeof(double)*(size_t)k*k);
      rc = specSvdSmall(t, t+(size_t)k*k, k, sigma, pStatus);
    }
    specFree(t);
    return rc ? rc : specUnscale(sigma, k, e);
  }
  aMean = specMalloc(sizeof(double)*(size_t)d*2);
  if( aMean==0 ) return SPEC_NOMEM;
  rc = specPrepare(a, n, d, bCenter, aMean, &e, &b, &m, pStatus);
  specFree(aMean);
  if( rc || m==0 ) return rc;
  if( specCancelled() ) return SPEC_INTERRUPT;

  k = (int)(m<d ? m : d);
  t = specMalloc(sizeof(double)*((size_t)k*k*2 + (size_t)k));
  if( t==0 ) return SPEC_NOMEM;
  rc = specTriangle(b, (int)d, m, (int)d, t, t+(size_t)k*k*2, pStatus);
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  if( rc==SPEC_OK ){
    memcpy(t+(size_t)k*k, t, sizeof(double)*(size_t)k*k);
    rc = specSvdSmall(t, t+(size_t)k*k, k, sigma, pStatus);
  }
  specFree(t);
  return rc ? rc : specUnscale(sigma, k, e);
}

int specSingularValues(double *a, int64_t n, int64_t d, int bCenter,
                       double *sigma, SpecStatus *pStatus){
  return specValues(a, n, d, bCenter, 0, sigma, pStatus);
}

int specSingularValuesF32(double *a, int64_t n, int64_t d, int bCenter,
                          double *sigma, SpecStatus *pStatus){
  return specValues(a, n, d, bCenter, 1, sigma, pStatus);
}

void specFixSigns(double *dir, int nK, int d){
  int i;
  for(i=0; i<nK; i++){
    double *v = dir + (size_t)i*d;
    if( v[cblas_idamax(d, v, 1)]<0.0 ) cblas_dscal(d, -1.0, v, 1);
  }
}

int specBasis(double *a, int64_t n, int64_t d, int bCenter, int nK,
              double *aMean, double *sigma, double *dir, SpecStatus *pStatus){
  int64_t s = n<d ? n : d;
  double *b, *t = 0, *u, *aTau, *aAll;
  size_t kk;
  int k, e, m, rc, i, j, nKeep, bSmall;

  specStatusClear(pStatus);
  if( n<1 || d<1 || n>INT_MAX || d>INT_MAX || s>SPEC_MAX_K ) return SPEC_TOOBIG;
  if( nK<1 || nK>s ) return SPEC_TOOBIG;
  memset(sigma, 0, sizeof(double)*(size_t)nK);
  memset(dir, 0, sizeof(double)*(size_t)nK*d);
  bSmall = specSmallRoad(n, d, bCenter);
  if( bSmall ){
    /* as specSingularValues() does, so that sigma are the spectrum's */
    memset(aMean, 0, sizeof(double)*(size_t)d*2);
    m = specToScale(a, n*d, &e) ? (int)n - 1 : 0;
    b = a + d;
  }else{
    rc = specPrepare(a, n, d, bCenter, aMean, &e, &b, &m, pStatus);
    if( rc ) return rc;
    if( specCancelled() ) return SPEC_INTERRUPT;
    if( e ) for(j=0; j<2*d; j++) aMean[j] = ldexp(aMean[j], e);
  }
  if( m==0 ){
    /* Nothing varies: every direction is as good as another; use e_i. */
    for(i=0; i<nK; i++) dir[(size_t)i*d + i] = 1.0;
    return SPEC_OK;
  }

  /* t: four k x k copies of the triangle, then U, then the tau factors. */
  k = (int)(m<d ? m : d);
  kk = (size_t)k*k;
  t = specMalloc(sizeof(double)*(kk*5 + (size_t)k + (size_t)k));
  if( t==0 ) return SPEC_NOMEM;
  u = t + kk*4;
  aTau = u + kk;
  aAll = aTau + k;
  if( bSmall ){
    rc = specSmallTriangle(a, (int)n, (int)d, aMean, t, aTau, pStatus);
    if( e ) for(j=0; j<2*d; j++) aMean[j] = ldexp(aMean[j], e);
  }else{
    rc = specTriangle(b, (int)d, m, (int)d, t, aTau, pStatus);
  }
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  if( rc ) goto basis_out;
  for(i=1; i<4; i++) memcpy(t + kk*i, t, sizeof(double)*kk);
  rc = specSvdLapack(t, t + kk, k, aAll, u, pStatus);
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  /* The values alone, as svd_spectrum computes them, so that the basis's
  ** sigma are the spectrum's to the last digit. */
  if( rc==SPEC_OK ) rc = specSvdSmall(t + kk*2, t + kk*3, k, aAll, pStatus);
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  if( rc ) goto basis_out;
  memcpy(sigma, aAll, sizeof(double)*(size_t)(nK<k ? nK : k));

  /* Directions in the triangle's coordinates: the first K columns of U, and
  ** for K > k (only when a centered group has n <= d) the next unit vectors,
  ** which the tall case's Q maps outside the rows' span. */
  nKeep = nK<k ? nK : k;
  for(i=0; i<nKeep; i++){
    memcpy(dir + (size_t)i*d, u + (size_t)i*k, sizeof(double)*(size_t)k);
  }
  for(i=nKeep; i<nK; i++) dir[(size_t)i*d + i] = 1.0;
  if( d>=m ){
    /* Tall X' = Q*R: the directions are Q times R's left vectors. */
    double q = 0.0, *aWork = 0;
    int info = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'N', (int)d, nK, k,
                                   b, (int)d, aTau, dir, (int)d, &q, -1);
    if( info==0 ){
      aWork = specMalloc(sizeof(double)*((size_t)q + 1));
      if( aWork==0 ){
        rc = SPEC_NOMEM;
        goto basis_out;
      }
      info = LAPACKE_dormqr_work(LAPACK_COL_MAJOR, 'L', 'N', (int)d, nK, k,
                                 b, (int)d, aTau, dir, (int)d, aWork, (int)q);
      specFree(aWork);
    }
    if( info!=0 ){
      rc = specFail(pStatus, "dormqr", info);
      goto basis_out;
    }
  }
  /* Wide X' = L*Q: L's left vectors are the directions themselves. */
  specFixSigns(dir, nK, (int)d);
  rc = specUnscale(sigma, nKeep, e);

basis_out:
  specFree(t);
  return rc;
}
