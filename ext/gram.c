/*
** gram.c: the numerics of method=gram, streaming rows into the d x d
** co-moment matrix M2 = sum (x - mean)(x - mean)', whose eigenvalues are
** the squared singular values of the centered rows.
**
** A one-pass sum x*x' - n*mean*mean' cancels catastrophically when the rows
** share a large mean. Here, instead:
**
**   1. Every row is shifted by the group's first row, y = x - x_1: rows
**      near a large shared mean differ from x_1 by little, so y is exact
**      (Sterbenz) and of the size of the spread, not of the mean.
**   2. Rows wait in a block of B rows. A full block is centered on its own
**      mean (CBLAS dgemv, dger) and its co-moments added with dsyrk.
**   3. Blocks merge with the exact pairwise update (Chan, Golub & LeVeque
**      1979; Pebay 2008): with n rows merged so far of mean m, a block of b
**      rows of mean m_b adds (n*b/(n+b))*(m_b - m)(m_b - m)' to M2, and m
**      moves by (b/(n+b))*(m_b - m).
**   4. The eigenvalues (LAPACKE dsyevd; dsyevr for the top K with vectors)
**      give sigma_i = sqrt(max(lambda_i, 0)).
**
** Values are kept scaled by a power of two when |y| is beyond 2^+-400, so
** that squares and their sums stay finite.
**
** Accuracy: each sigma_i^2 within about 1e-12 * sigma_1^2 (the rounding of
** M2's entries, relative to its largest eigenvalue). Small singular values
** lose relative accuracy: sigma_i below about 1e-6 * sigma_1 is noise.
** The exact method has no such floor.
*/
#include "gram.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRAM_BIG_EXP 400
#define GRAM_BLOCK_BYTES (1<<20)  /* a block of rows takes about 1 MiB */

static int gramFail(SpecStatus *pStatus, const char *zRoutine, int info){
  if( pStatus ){
    pStatus->zRoutine = zRoutine;
    pStatus->info = info;
  }
  return SPEC_LAPACK;
}

int specGramInit(SpecGram *p, int nDim, int bCenter){
  int i;
  memset(p, 0, sizeof(*p));
  if( nDim<1 || nDim>GRAM_MAX_D ) return SPEC_TOOBIG;
  p->nDim = nDim;
  p->bCenter = bCenter;
  p->nBlockMax = GRAM_BLOCK_BYTES/(8*nDim);
  if( p->nBlockMax<16 ) p->nBlockMax = 16;
  if( p->nBlockMax>1024 ) p->nBlockMax = 1024;
  p->aShift = malloc(sizeof(double)*(size_t)nDim*4);
  p->aM2 = calloc((size_t)nDim*nDim, sizeof(double));
  p->aBlock = malloc(sizeof(double)*(size_t)nDim*p->nBlockMax);
  p->aOne = malloc(sizeof(double)*(size_t)p->nBlockMax);
  if( p->aShift==0 || p->aM2==0 || p->aBlock==0 || p->aOne==0 ){
    specGramFree(p);
    return SPEC_NOMEM;
  }
  p->aMean = p->aShift + nDim;
  p->aScratch = p->aMean + nDim;
  memset(p->aMean, 0, sizeof(double)*(size_t)nDim);
  for(i=0; i<p->nBlockMax; i++) p->aOne[i] = 1.0;
  return SPEC_OK;
}

void specGramFree(SpecGram *p){
  free(p->aShift);
  free(p->aM2);
  free(p->aBlock);
  free(p->aOne);
  memset(p, 0, sizeof(*p));
}

/* Multiply mean by f and M2 by f*f (f a power of two), for a new scale. */
static void gramRescale(SpecGram *p, int eNew){
  double f = ldexp(1.0, p->eScale - eNew);
  int d = p->nDim, j;
  cblas_dscal(d, f, p->aMean, 1);
  for(j=0; j<d; j++) cblas_dscal(j+1, f*f, p->aM2 + (size_t)j*d, 1);
  p->rMax *= f;
  p->eScale = eNew;
}

/* Merge the pending block into mean and M2 (steps 2 and 3). */
static int gramFlush(SpecGram *p){
  int nb = p->nBlock, d = p->nDim;
  double *y = p->aBlock, *mb = p->aScratch, *delta = p->aScratch + d;
  double amax;

  if( nb==0 ) return SPEC_OK;
  amax = fabs(y[cblas_idamax(nb*d, y, 1)]);
  if( amax>0.0 ){
    int e = ilogb(amax);
    if( p->rMax==0.0 ){
      /* nothing but zeros merged so far: pick the scale freely */
      p->eScale = (e>GRAM_BIG_EXP || e< -GRAM_BIG_EXP) ? e : 0;
    }else if( e - p->eScale>GRAM_BIG_EXP ){
      gramRescale(p, e);
    }
    /* a block tiny beside what is merged stays on the current scale: its
    ** squares may underflow, but they are below 2^-800 of the rest */
  }
  if( p->eScale ) cblas_dscal(nb*d, ldexp(1.0, -p->eScale), y, 1);
  if( ldexp(amax, -p->eScale)>p->rMax ) p->rMax = ldexp(amax, -p->eScale);

  if( !p->bCenter ){
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, nb, 1.0, y, d,
                1.0, p->aM2, d);
  }else{
    /* rows are the columns of the d x nb column-major y */
    cblas_dgemv(CblasColMajor, CblasNoTrans, d, nb, 1.0/nb, y, d, p->aOne, 1,
                0.0, mb, 1);
    cblas_dger(CblasColMajor, d, nb, -1.0, mb, 1, p->aOne, 1, y, d);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, nb, 1.0, y, d,
                1.0, p->aM2, d);
    if( p->nRow==0 ){
      memcpy(p->aMean, mb, sizeof(double)*(size_t)d);
    }else{
      double nTot = (double)p->nRow + nb;
      int j;
      for(j=0; j<d; j++) delta[j] = mb[j] - p->aMean[j];
      cblas_dsyr(CblasColMajor, CblasUpper, d, (double)p->nRow*nb/nTot,
                 delta, 1, p->aM2, d);
      cblas_daxpy(d, nb/nTot, delta, 1, p->aMean, 1);
    }
  }
  p->nRow += nb;
  p->nBlock = 0;
  return SPEC_OK;
}

int specGramAdd(SpecGram *p, const double *aRow){
  double *y = p->aBlock + (size_t)p->nBlock*p->nDim;
  int j, d = p->nDim;
  if( p->bCenter ){
    if( p->nRow==0 && p->nBlock==0 ){
      memcpy(p->aShift, aRow, sizeof(double)*(size_t)d);
    }
    int bBad = 0;
    for(j=0; j<d; j++){
      y[j] = aRow[j] - p->aShift[j];
      bBad |= !(fabs(y[j])<=DBL_MAX);
    }
    if( bBad ) return SPEC_OVERFLOW;
  }else{
    memcpy(y, aRow, sizeof(double)*(size_t)d);
  }
  if( ++p->nBlock==p->nBlockMax ) return gramFlush(p);
  return SPEC_OK;
}

int specGramValues(SpecGram *p, double *sigma, SpecStatus *pStatus){
  int d = p->nDim, info, i, s;
  int iw = 0, *aIwork = 0;
  double q = 0.0, *aWork = 0, *w = 0;
  int rc = gramFlush(p);

  if( rc ) return rc;
  s = p->nRow<d ? (int)p->nRow : d;
  w = malloc(sizeof(double)*(size_t)d);
  if( w==0 ) return SPEC_NOMEM;
  info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', d, p->aM2, d, w,
                             &q, -1, &iw, -1);
  if( info==0 ){
    aWork = malloc(sizeof(double)*((size_t)q + 1));
    aIwork = malloc(sizeof(int)*((size_t)iw + 1));
    if( aWork==0 || aIwork==0 ){
      rc = SPEC_NOMEM;
      goto values_out;
    }
    info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', d, p->aM2, d, w,
                               aWork, (int)q, aIwork, iw);
  }
  if( info!=0 ){
    rc = gramFail(pStatus, "dsyevd", info);
    goto values_out;
  }
  for(i=0; i<s; i++){
    double l = w[d-1-i];
    sigma[i] = l>0.0 ? ldexp(sqrt(l), p->eScale) : 0.0;
    if( isinf(sigma[i]) ) rc = SPEC_OVERFLOW;
  }

values_out:
  free(w);
  free(aWork);
  free(aIwork);
  return rc;
}

int specGramBasis(SpecGram *p, int nK, double *aMean, double *sigma,
                  double *dir, SpecStatus *pStatus){
  int d = p->nDim, info, i, j, nFound = 0;
  int iw = 0, *aIwork = 0, *aSupp = 0;
  double q = 0.0, *aWork = 0, *w = 0, *z = 0;
  int rc = gramFlush(p);

  if( rc ) return rc;
  if( nK<1 || nK>d || nK>p->nRow ) return SPEC_TOOBIG;
  w = malloc(sizeof(double)*(size_t)d);
  z = malloc(sizeof(double)*(size_t)d*nK);
  aSupp = malloc(sizeof(int)*(size_t)2*d);
  if( w==0 || z==0 || aSupp==0 ){
    rc = SPEC_NOMEM;
    goto basis_out;
  }
  info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'U', d, p->aM2, d,
                             0.0, 0.0, d-nK+1, d, 0.0, &nFound, w, z, d,
                             aSupp, &q, -1, &iw, -1);
  if( info==0 ){
    aWork = malloc(sizeof(double)*((size_t)q + 1));
    aIwork = malloc(sizeof(int)*((size_t)iw + 1));
    if( aWork==0 || aIwork==0 ){
      rc = SPEC_NOMEM;
      goto basis_out;
    }
    info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'U', d, p->aM2, d,
                               0.0, 0.0, d-nK+1, d, 0.0, &nFound, w, z, d,
                               aSupp, aWork, (int)q, aIwork, iw);
  }
  if( info!=0 || nFound!=nK ){
    rc = gramFail(pStatus, "dsyevr", info);
    goto basis_out;
  }
  /* dsyevr lists ascending: direction i is column nK-1-i */
  for(i=0; i<nK; i++){
    double l = w[nK-1-i];
    sigma[i] = l>0.0 ? ldexp(sqrt(l), p->eScale) : 0.0;
    if( isinf(sigma[i]) ) rc = SPEC_OVERFLOW;
    memcpy(dir + (size_t)i*d, z + (size_t)(nK-1-i)*d, sizeof(double)*(size_t)d);
  }
  specFixSigns(dir, nK, d);
  /* mean = shift + mean of y, as hi + lo (TwoSum) */
  for(j=0; j<d; j++){
    double a = p->bCenter ? p->aShift[j] : 0.0;
    double b = p->bCenter ? ldexp(p->aMean[j], p->eScale) : 0.0;
    double s = a + b, bb = s - a;
    aMean[j] = s;
    aMean[d+j] = (a - (s - bb)) + (b - bb);
  }

basis_out:
  free(w);
  free(z);
  free(aSupp);
  free(aWork);
  free(aIwork);
  return rc;
}
