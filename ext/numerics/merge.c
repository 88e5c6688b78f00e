/*
** merge.c: the numerics of svd_state(X), svd_merge(STATE) and the
** functions that read a state (merge.h has the state itself).
**
** Building (mergeFromRows): steps 1 to 3 of spectrum.c (scale, center,
** the reflector that drops the mean's rounding), then LQ of the remaining
** d x m block X' (dgelqf): X' = L*Q, so the rows' co-moment matrix is
** L*L' and S = L' is their R factor, min(m, d) rows of d.
**
** Merging two exact states (mergeStates): the union's centered rows have
** the co-moment matrix S_a'S_a + S_b'S_b + (n_a*n_b/n)*delta*delta', with
** delta = mean_b - mean_a (Chan, Golub & LeVeque; the mean-correction row
** of incremental PCA). So the LQ of the d x (k_a + k_b + 1) matrix
** [S_a' S_b' sqrt(n_a*n_b/n)*delta] gives the union's S: orthogonal steps
** only, backward stable as the QR of all the rows at once would be. The
** differences of means are taken from their two-part form, so that a mean
** a million times the spread leaves delta exact.
**
** Any gram state in a merge makes a gram state: an exact one becomes
** C = S'S (dsyrk), and co-moment matrices merge by the same update.
*/
#include "merge.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* The largest scale a merged state may take: past it the values are far
** beyond a double's range, from a crafted BLOB (state.c reads up to 4400). */
#define MERGE_MAX_EXP 4000

int mergeAlloc(SpecState *p, int64_t nRow, int nDim, int bCenter,
               int eMethod, int nK){
  memset(p, 0, sizeof(*p));
  p->nRow = nRow;
  p->nDim = nDim;
  p->bCenter = bCenter;
  p->eMethod = eMethod;
  p->nK = nK;
  p->aMean = specZalloc(sizeof(double)*(size_t)nDim*2);
  p->aMat = specZalloc(sizeof(double)*(size_t)nDim*(size_t)(nK ? nK : 1));
  if( p->aMean==0 || p->aMat==0 ){
    mergeFree(p);
    return SPEC_NOMEM;
  }
  return SPEC_OK;
}

void mergeFree(SpecState *p){
  specFree(p->aMean);
  specFree(p->aMat);
  memset(p, 0, sizeof(*p));
}

static int mergeFail(SpecStatus *pStatus, const char *zRoutine, int info){
  if( pStatus ){
    pStatus->zRoutine = zRoutine;
    pStatus->info = info;
  }
  return SPEC_LAPACK;
}

/*
** LQ of the d x m column-major matrix b (destroyed) into S = L', the
** k x d row-major upper trapezoid (k = min(d, m)) in s.
*/
static int mergeLq(double *b, int d, int m, double *s, SpecStatus *pStatus){
  int k = d<m ? d : m, info, i;
  double q = 0.0, *aTau, *aWork = 0;
  aTau = specMalloc(sizeof(double)*(size_t)k);
  if( aTau==0 ) return SPEC_NOMEM;
  info = LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, d, m, b, d, aTau, &q, -1);
  if( info==0 ){
    aWork = specMalloc(sizeof(double)*((size_t)q + 1));
    if( aWork==0 ){
      specFree(aTau);
      return SPEC_NOMEM;
    }
    info = LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, d, m, b, d, aTau, aWork,
                               (int)q);
  }
  specFree(aTau);
  specFree(aWork);
  if( info!=0 ) return mergeFail(pStatus, "dgelqf", info);
  /* S row i is L's column i from the diagonal down: b[i..d-1 + i*d] */
  for(i=0; i<k; i++){
    double *r = s + (size_t)i*d;
    memset(r, 0, sizeof(double)*(size_t)i);
    memcpy(r + i, b + (size_t)i*d + i, sizeof(double)*(size_t)(d - i));
  }
  return SPEC_OK;
}

int mergeFromRows(double *a, int64_t n, int d, int bCenter, SpecState *p,
                  SpecStatus *pStatus){
  double *b, *aMean = 0;
  int e = 0, m = 0, k, j, rc;

  memset(p, 0, sizeof(*p));
  if( n<1 || n>INT_MAX || d<1 ) return SPEC_TOOBIG;
  aMean = specMalloc(sizeof(double)*(size_t)d*2);
  if( aMean==0 ) return SPEC_NOMEM;
  rc = specPrepare(a, n, d, bCenter, aMean, &e, &b, &m, pStatus);
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  k = m<d ? m : d;
  if( rc==SPEC_OK ) rc = mergeAlloc(p, n, d, bCenter, MERGE_EXACT, k);
  if( rc==SPEC_OK ){
    for(j=0; j<2*d; j++) p->aMean[j] = aMean[j];  /* on the scale 2^e */
    p->eScale = e;
    if( k>0 ) rc = mergeLq(b, d, m, p->aMat, pStatus);
  }
  specFree(aMean);
  if( rc ) mergeFree(p);
  return rc;
}

int mergeFromGram(SpecGram *g, int64_t n, SpecState *p){
  int rc = mergeAlloc(p, n, g->nDim, g->bCenter, MERGE_GRAM, g->nDim);
  if( rc==SPEC_OK ) rc = specGramExport(g, p->aMean, p->aMat, &p->eScale);
  if( rc ) mergeFree(p);
  return rc;
}

/* The binary order of the largest |a[i]| of n values, on top of e; INT_MIN
** when all are 0. */
static int mergeOrder(const double *a, int64_t n, int e){
  double mx = 0.0;
  int64_t i;
  for(i=0; i<n; i++) if( fabs(a[i])>mx ) mx = fabs(a[i]);
  return mx==0.0 ? INT_MIN : e + ilogb(mx);
}

/*
** A state's matrix as a co-moment matrix C (d x d, upper): a copy for
** gram, S'S for exact, S first scaled near 1 so that its squares cannot
** overflow. The true C is 2^(2 * *pE) times it; *pO is the binary order of
** C's largest entry on that scale, halved (INT_MIN for a zero C).
*/
static double *mergeComoments(const SpecState *p, int *pE, int *pO){
  int d = p->nDim, o;
  double *c = specZalloc(sizeof(double)*(size_t)d*d);
  if( c==0 ) return 0;
  *pE = p->eScale;
  if( p->eMethod==MERGE_GRAM ){
    memcpy(c, p->aMat, sizeof(double)*(size_t)d*d);
  }else if( (o = mergeOrder(p->aMat, (int64_t)p->nK*d, 0))!=INT_MIN ){
    double *t = specMalloc(sizeof(double)*(size_t)p->nK*d);
    if( t==0 ){
      specFree(c);
      return 0;
    }
    memcpy(t, p->aMat, sizeof(double)*(size_t)p->nK*d);
    specScalePow2(t, (int64_t)p->nK*d, -o);
    /* S row-major k x d is the column-major d x k matrix S' */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, p->nK, 1.0,
                t, d, 0.0, c, d);
    specFree(t);
    *pE += o;
  }
  o = mergeOrder(c, (int64_t)d*d, 0);
  *pO = o==INT_MIN ? INT_MIN : o/2;
  return c;
}

/* A part of a mean (on the scale 2^e), on the scale 2^E. */
static double mergeRescaled(double v, int e, int E){
  return ldexp(v, e - E);
}

int mergeStates(SpecState *pAcc, const SpecState *pIn, SpecStatus *pStatus){
  int d = pAcc->nDim, j, rc = SPEC_OK;
  int64_t nA = pAcc->nRow, nB = pIn->nRow;
  double nTot, w, f, *delta, *cA = 0, *cB = 0, *aNew = 0;
  int eA, eB, eD, E, E0, oA = INT_MIN, oB = INT_MIN, eCa = 0, eCb = 0;
  int bExact = pAcc->eMethod==MERGE_EXACT && pIn->eMethod==MERGE_EXACT;

  if( nB>INT64_MAX - nA ) return SPEC_TOOBIG;
  nTot = (double)nA + (double)nB;
  w = sqrt((double)nA/nTot*(double)nB);   /* sqrt(n_a*n_b/n) */
  f = (double)nB/nTot;
  delta = specZalloc(sizeof(double)*(size_t)d);
  if( delta==0 ) return SPEC_NOMEM;

  /* the matrices' orders: S's, or C's halved, on the true scale */
  if( bExact ){
    eA = mergeOrder(pAcc->aMat, (int64_t)pAcc->nK*d, pAcc->eScale);
    eB = mergeOrder(pIn->aMat, (int64_t)pIn->nK*d, pIn->eScale);
  }else{
    cA = mergeComoments(pAcc, &eCa, &oA);
    cB = mergeComoments(pIn, &eCb, &oB);
    if( cA==0 || cB==0 ){
      rc = SPEC_NOMEM;
      goto merge_out;
    }
    eA = oA==INT_MIN ? INT_MIN : eCa + oA;
    eB = oB==INT_MIN ? INT_MIN : eCb + oB;
  }

  /* delta = mean_b - mean_a, as halves on the scale 2^E0 (the order of the
  ** larger mean), so that it stays finite whatever the means; then its
  ** correction row's order eD = order(w * delta) on the true scale */
  eD = INT_MIN;
  E0 = 0;
  if( pAcc->bCenter ){
    int mA = mergeOrder(pAcc->aMean, (int64_t)d*2, pAcc->eScale);
    int mB = mergeOrder(pIn->aMean, (int64_t)d*2, pIn->eScale);
    E0 = mA>mB ? mA : mB;
    if( E0==INT_MIN ) E0 = 0;
  }
  if( pAcc->bCenter ){
    for(j=0; j<d; j++){
      delta[j] = (mergeRescaled(pIn->aMean[j], pIn->eScale, E0+1)
                  - mergeRescaled(pAcc->aMean[j], pAcc->eScale, E0+1))
               + (mergeRescaled(pIn->aMean[d+j], pIn->eScale, E0+1)
                  - mergeRescaled(pAcc->aMean[d+j], pAcc->eScale, E0+1));
    }
    eD = mergeOrder(delta, d, E0+1);
    if( eD!=INT_MIN ) eD += ilogb(w) + 1;
  }
  if( specCancelled() ){
    rc = SPEC_INTERRUPT;
    goto merge_out;
  }
  E = eA>eB ? eA : eB;
  if( eD>E ) E = eD;
  if( E==INT_MIN ) E = E0;
  if( E>MERGE_MAX_EXP || E< -MERGE_MAX_EXP ){
    rc = SPEC_RANGE;
    goto merge_out;
  }
  /* delta on the scale 2^E */
  specScalePow2(delta, d, E0+1-E);

  if( bExact ){
    /* [S_a' S_b' w*delta], d x (k_a + k_b + 1), on the scale 2^E */
    int kA = pAcc->nK, kB = pIn->nK, m = kA + kB + (eD!=INT_MIN), k;
    double *b;
    k = m<d ? m : d;
    b = specMalloc(sizeof(double)*(size_t)d*(size_t)(m ? m : 1));
    if( b==0 ){
      rc = SPEC_NOMEM;
      goto merge_out;
    }
    memcpy(b, pAcc->aMat, sizeof(double)*(size_t)kA*d);
    specScalePow2(b, (int64_t)kA*d, pAcc->eScale - E);
    memcpy(b + (size_t)kA*d, pIn->aMat, sizeof(double)*(size_t)kB*d);
    specScalePow2(b + (size_t)kA*d, (int64_t)kB*d, pIn->eScale - E);
    if( eD!=INT_MIN ){
      double *c = b + (size_t)(kA + kB)*d;
      for(j=0; j<d; j++) c[j] = w*delta[j];
    }
    if( k>0 ){
      aNew = specZalloc(sizeof(double)*(size_t)k*d);
      rc = aNew ? mergeLq(b, d, m, aNew, pStatus) : SPEC_NOMEM;
    }
    specFree(b);
    if( rc ) goto merge_out;
    specFree(pAcc->aMat);
    pAcc->aMat = aNew ? aNew : specZalloc(sizeof(double)*(size_t)d);
    aNew = 0;
    pAcc->nK = k;
    if( pAcc->aMat==0 ) rc = SPEC_NOMEM;
  }else{
    /* C_a + C_b + (n_a*n_b/n)*delta*delta', on the scale 2^(2E) */
    specScalePow2(cA, (int64_t)d*d, 2*(eCa - E));
    specScalePow2(cB, (int64_t)d*d, 2*(eCb - E));
    cblas_daxpy(d*d, 1.0, cB, 1, cA, 1);
    if( eD!=INT_MIN ){
      cblas_dsyr(CblasColMajor, CblasUpper, d, w*w, delta, 1, cA, d);
    }
    specFree(pAcc->aMat);
    pAcc->aMat = cA;
    cA = 0;
    pAcc->nK = d;
    pAcc->eMethod = MERGE_GRAM;
  }
  if( rc==SPEC_OK ){
    /* the union's mean, mean_a + f*delta, as two parts on the scale 2^E */
    for(j=0; j<d && pAcc->bCenter; j++){
      double hi = mergeRescaled(pAcc->aMean[j], pAcc->eScale, E);
      double t = f*delta[j], s2 = hi + t, bb = s2 - hi;
      double lo = mergeRescaled(pAcc->aMean[d+j], pAcc->eScale, E)
                + ((hi - (s2 - bb)) + (t - bb));
      pAcc->aMean[j] = s2 + lo;
      pAcc->aMean[d+j] = lo - (pAcc->aMean[j] - s2);
    }
    pAcc->eScale = E;
    pAcc->nRow = nA + nB;
  }

merge_out:
  specFree(cA);
  specFree(cB);
  specFree(aNew);
  specFree(delta);
  return rc;
}

int mergeSpectrum(const SpecState *p, double *sigma, SpecStatus *pStatus){
  int d = p->nDim, k = p->nK, rc;
  int s = p->nRow<d ? (int)p->nRow : d;
  double *b, *t;

  memset(sigma, 0, sizeof(double)*(size_t)s);
  if( p->eMethod==MERGE_GRAM ){
    b = specMalloc(sizeof(double)*(size_t)d*d);
    if( b==0 ) return SPEC_NOMEM;
    memcpy(b, p->aMat, sizeof(double)*(size_t)d*d);
    rc = specGramMatValues(b, d, s, p->eScale, sigma, pStatus);
    specFree(b);
    return rc;
  }
  if( k==0 ) return SPEC_OK;
  /* b: S as the d x k column-major S'; t: the k x k triangle, its copy,
  ** and the reflector factors */
  b = specMalloc(sizeof(double)*((size_t)d*k + (size_t)k*k*2 + k));
  if( b==0 ) return SPEC_NOMEM;
  t = b + (size_t)d*k;
  memcpy(b, p->aMat, sizeof(double)*(size_t)d*k);
  rc = specTriangle(b, d, k, d, t, t + (size_t)k*k*2, pStatus);
  if( rc==SPEC_OK && specCancelled() ) rc = SPEC_INTERRUPT;
  if( rc==SPEC_OK ){
    memcpy(t + (size_t)k*k, t, sizeof(double)*(size_t)k*k);
    rc = specSvdSmall(t, t + (size_t)k*k, k, sigma, pStatus);
  }
  specFree(b);
  return rc ? rc : specUnscale(sigma, k, p->eScale);
}

int mergeBasis(const SpecState *p, int nK, double *aMean, double *sigma,
               double *dir, SpecStatus *pStatus){
  int d = p->nDim, rc, i;
  double *b, *aTmp;

  if( nK<1 || nK>d || nK>p->nRow ) return SPEC_TOOBIG;
  if( p->eMethod==MERGE_GRAM ){
    b = specMalloc(sizeof(double)*(size_t)d*d);
    if( b==0 ) return SPEC_NOMEM;
    memcpy(b, p->aMat, sizeof(double)*(size_t)d*d);
    rc = specGramMatBasis(b, d, nK, p->eScale, sigma, dir, pStatus);
    specFree(b);
  }else{
    /* the directions of S are the rows' (S'S = C); zero rows pad S to
    ** the K it is asked for (a centered group of n <= d rows has n-1) */
    int nRow = p->nK>nK ? p->nK : nK;
    b = specZalloc(sizeof(double)*((size_t)nRow*d + (size_t)d*2));
    if( b==0 ) return SPEC_NOMEM;
    aTmp = b + (size_t)nRow*d;
    memcpy(b, p->aMat, sizeof(double)*(size_t)p->nK*d);
    rc = specBasis(b, nRow, d, 0, nK, aTmp, sigma, dir, pStatus);
    specFree(b);
    if( rc==SPEC_OK ) rc = specUnscale(sigma, nK, p->eScale);
  }
  for(i=0; i<2*d; i++) aMean[i] = ldexp(p->aMean[i], p->eScale);
  return rc;
}
