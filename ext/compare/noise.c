/*
** noise.c: how many singular values stand above the noise.
**
**   svd_noise_threshold(SPECTRUM, N, D [, OPTIONS])   tau, a REAL
**   svd_signal_rank(SPECTRUM, N, D [, OPTIONS])       how many sigma > tau
**
**   SELECT category, svd_signal_rank(spec, n, 50)
**   FROM (SELECT category, svd_spectrum(vec) AS spec, count(vec) AS n
**         FROM emb GROUP BY category);
**
** tau is the optimal hard threshold of Gavish & Donoho (2014), "The optimal
** hard threshold for singular values is 4/sqrt(3)", for noise of unknown
** level: tau = omega(beta) * median(sigma) for an m x n matrix with
** beta = min(m, n) / max(m, n), where
**
**   omega(beta)  = lambda(beta) / sqrt(mu(beta))
**   lambda(beta) = sqrt(2(beta+1) + 8 beta / (beta+1 + sqrt(beta^2+14 beta+1)))
**   mu(beta)     = the median of the Marchenko-Pastur law of ratio beta
**
** Rules:
**   1. SPECTRUM is svd_spectrum()'s over N rows of D dimensions, so it holds
**      min(N, D) values; any other length is an error.
**   2. Centered (the default, OPTIONS 'center=false' as for svd_spectrum),
**      the rows minus their mean are an (N-1) x D matrix in another basis:
**      m x n = (N-1) x D, whose min(N-1, D) singular values are SPECTRUM but
**      for the smallest value when N <= D (the rank lost to centering, 0 up
**      to rounding), which is left out. Raw rows: m x n = N x D, all values.
**   3. median is numpy's: the middle value, or the mean of the two middle
**      ones. SPECTRUM need not be sorted.
**   4. svd_signal_rank counts the values kept by rule 2 that are > tau, the
**      same double svd_noise_threshold returns.
**   5. NULL SPECTRUM, N or D gives NULL, and so does a centered single row
**      (no singular value is left to estimate the noise from).
**
** mu(beta) is not approximated (the paper's cubic fit of omega is off by up
** to 0.02): it is found by bisection on the law's distribution function,
** integrated by adaptive Gauss-Kronrod quadrature (noiseMpMedian()).
*/
#include "glue.h"
#include "options.h"
#include "vector.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define NOISE_PI 3.14159265358979323846

/*
** The 15-point Kronrod rule on [-1, 1] and the 7-point Gauss rule inside
** it (QUADPACK's qk15): nodes +-aNoiseXk[i], the Gauss nodes are the odd i.
*/
static const double aNoiseXk[8] = {
  0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
  0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
  0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
  0.207784955007898467600689403773245, 0.0
};
static const double aNoiseWk[8] = {
  0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
  0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
  0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
  0.204432940075298892414161999234649, 0.209482141084727828012999174891714
};
static const double aNoiseWg[4] = {
  0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
  0.381830050505118944950369775488975, 0.417959183673469387755102040816327
};

/*
** The Marchenko-Pastur law of ratio beta (0 < beta <= 1) has density
** sqrt((b-t)(t-a)) / (2 pi beta t) on [a, b] = [(1-r)^2, (1+r)^2], r =
** sqrt(beta). In t the density is singular at t = 0 when beta = 1 and
** steep near both edges, and the closed-form distribution function
** cancels terms of size 1/beta. The angle phi in [0, pi] with
**
**   t = (1-r)^2 + 4 r sin^2(phi/2)         (t = a at phi = 0, b at pi)
**
** takes both away: the density in phi is (2/pi) sin^2(phi) / t, analytic,
** non-negative and at most 2/pi for every beta (t - sin^2(phi) is
** (cos(phi) - r)^2), and t is a sum of non-negative terms, free of
** cancellation.
*/
typedef struct NoiseMp NoiseMp;
struct NoiseMp {
  double rDelta;          /* (1 - sqrt(beta))^2, the lower edge a */
  double rRoot;           /* sqrt(beta) */
};

/* The density in phi, written with s = sin(phi/2), c = cos(phi/2):
** sin^2(phi) = 4 s^2 c^2. The quadrature never evaluates it at phi = 0,
** where it is 0/0 for beta = 1 (its limit is 2/pi). */
static double noiseDensity(const NoiseMp *p, double rPhi){
  double s = sin(0.5*rPhi), c = cos(0.5*rPhi), q = 4.0*s*s;
  return (2.0/NOISE_PI)*c*c*q/(p->rDelta + p->rRoot*q);
}

/*
** The integral of the density over [rA, rB] by adaptive Gauss-Kronrod:
** an interval is accepted when its Kronrod and Gauss sums differ by at
** most 1e-12 of its width. The density is analytic, so the Kronrod sum
** is then far more accurate than that difference (the Gauss error near
** 1e-12 means a Kronrod error below 1e-19); rounding alone makes the
** difference about 1e-16 of the width, so the test can be met. nDepth
** bounds the halvings all the same.
*/
static double noiseIntegrate(const NoiseMp *p, double rA, double rB,
                             int nDepth){
  double rMid = 0.5*(rA + rB), rHalf = 0.5*(rB - rA);
  double fMid = noiseDensity(p, rMid);
  double rK = aNoiseWk[7]*fMid, rG = aNoiseWg[3]*fMid;
  int i;
  for(i=0; i<7; i++){
    double f = noiseDensity(p, rMid - rHalf*aNoiseXk[i])
             + noiseDensity(p, rMid + rHalf*aNoiseXk[i]);
    rK += aNoiseWk[i]*f;
    if( i&1 ) rG += aNoiseWg[i/2]*f;
  }
  rK *= rHalf;
  rG *= rHalf;
  if( nDepth==0 || fabs(rK - rG)<=1e-12*(rB - rA) ) return rK;
  return noiseIntegrate(p, rA, rMid, nDepth-1)
       + noiseIntegrate(p, rMid, rB, nDepth-1);
}

/*
** mu(beta), the median of the Marchenko-Pastur law of ratio beta: the phi
** where the distribution function reaches 1/2, by bisection on [0, pi]
** until the interval holds no double between its ends. The function at
** the lower end is carried along, so each step integrates only from there
** to the midpoint.
*/
static double noiseMpMedian(double rBeta){
  NoiseMp mp;
  double rLo = 0.0, rHi = NOISE_PI, rFLo = 0.0, s;
  mp.rRoot = sqrt(rBeta);
  mp.rDelta = (1.0 - mp.rRoot)*(1.0 - mp.rRoot);
  for(;;){
    double rMid = 0.5*(rLo + rHi), rF;
    if( rMid<=rLo || rMid>=rHi ) break;
    rF = rFLo + noiseIntegrate(&mp, rLo, rMid, 40);
    if( rF<0.5 ){
      rLo = rMid;
      rFLo = rF;
    }else{
      rHi = rMid;
    }
  }
  s = sin(0.5*(0.5*(rLo + rHi)));
  return mp.rDelta + 4.0*mp.rRoot*s*s;
}

/* omega(beta) = lambda(beta) / sqrt(mu(beta)), 0 < beta <= 1 */
static double noiseOmega(double rBeta){
  double rLambda = sqrt(2.0*(rBeta + 1.0) + 8.0*rBeta
      / ((rBeta + 1.0) + sqrt(rBeta*rBeta + 14.0*rBeta + 1.0)));
  return rLambda/sqrt(noiseMpMedian(rBeta));
}

static int noiseCmp(const void *pA, const void *pB){
  double a = *(const double*)pA, b = *(const double*)pB;
  return (a>b) - (a<b);
}

/*
** An argument as a message names it: the INTEGER, "a REAL, 2.5", "TEXT
** '3'" when the text reads as a number (a bare "N is 3" would contradict
** "expected an INTEGER"), else its type. z holds NOISE_ARG_MAX bytes.
*/
#define NOISE_ARG_MAX (FMT_MAX+16)
static void noiseArgName(sqlite3_value *pVal, char *z){
  int eType = sqlite3_value_type(pVal);
  const char *zText = eType==SQLITE_TEXT
                    ? (const char*)sqlite3_value_text(pVal) : 0;
  if( eType==SQLITE_INTEGER ){
    snprintf(z, NOISE_ARG_MAX, "%lld", sqlite3_value_int64(pVal));
  }else if( eType==SQLITE_FLOAT ){
    memcpy(z, "a REAL, ", 8);
    fmtDouble(sqlite3_value_double(pVal), z+8);
  }else if( zText && strlen(zText)<=24
         && strspn(zText, "0123456789+-.eE ")==strlen(zText) ){
    snprintf(z, NOISE_ARG_MAX, "TEXT '%s'", zText);
  }else{
    snprintf(z, NOISE_ARG_MAX, "%s", vecTypeName(eType));
  }
}

/* N or D (zArg), a positive INTEGER: SQLITE_OK or an error in *pzErr. */
static int noiseCount(sqlite3_value *pVal, const char *zFunc,
                      const char *zArg, const char *zWhat,
                      sqlite3_int64 *pn, char **pzErr){
  char z[NOISE_ARG_MAX];
  if( sqlite3_value_type(pVal)==SQLITE_INTEGER
   && (*pn = sqlite3_value_int64(pVal))>=1 ){
    return SQLITE_OK;
  }
  noiseArgName(pVal, z);
  *pzErr = sqlite3_mprintf("%s(): %s is %s; expected a positive INTEGER, "
                           "the number of %s", zFunc, zArg, z, zWhat);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** The threshold for the arguments of zFunc, as omega(beta) and the median:
** on success *pBuf holds the spectrum sorted ascending and *piFirst is
** the first value kept by rule 2; returns 1. Returns 0 when the result is
** NULL or an error has been reported.
*/
static int noiseThreshold(sqlite3_context *ctx, int argc,
                          sqlite3_value **argv, const char *zFunc,
                          VecBuf *pBuf, sqlite3_int64 *piFirst,
                          double *pOmega, double *pMedian){
  SvdOptions opt;
  sqlite3_int64 nRow, nDim, m, nKeep, iMid;
  char *zErr = 0;
  int rc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL
   || sqlite3_value_type(argv[2])==SQLITE_NULL ) return 0;
  rc = noiseCount(argv[1], zFunc, "N", "rows", &nRow, &zErr);
  if( rc==SQLITE_OK ){
    rc = noiseCount(argv[2], zFunc, "D", "dimensions", &nDim, &zErr);
  }
  if( rc==SQLITE_OK ){
    rc = optParse(argc>3 ? argv[3] : 0, zFunc, OPT_CENTER, &opt, &zErr);
  }
  if( rc==SQLITE_OK ) rc = vecReadSpectrum(argv[0], zFunc, pBuf, &zErr);
  if( rc==SQLITE_OK && pBuf->n!=(nRow<nDim ? nRow : nDim) ){
    zErr = sqlite3_mprintf("%s(): SPECTRUM has %lld values; expected "
        "min(N, D) = %lld for N = %lld rows of D = %lld dimensions, as "
        "svd_spectrum() returns", zFunc, pBuf->n, nRow<nDim ? nRow : nDim,
        nRow, nDim);
    rc = zErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return 0;
  }
  m = opt.bCenter ? nRow-1 : nRow;     /* the matrix is m x nDim */
  if( m==0 ) return 0;
  nKeep = m<nDim ? m : nDim;
  *piFirst = pBuf->n - nKeep;
  qsort(pBuf->a, (size_t)pBuf->n, sizeof(double), noiseCmp);
  iMid = *piFirst + nKeep/2;
  *pMedian = pBuf->a[iMid];
  if( nKeep%2==0 ){
    /* the mean of the two, without overflow */
    *pMedian = pBuf->a[iMid-1] + 0.5*(pBuf->a[iMid] - pBuf->a[iMid-1]);
  }
  *pOmega = noiseOmega(m<nDim ? (double)m/(double)nDim
                              : (double)nDim/(double)m);
  return 1;
}

/* svd_noise_threshold(SPECTRUM, N, D [, OPTIONS]) */
void noiseThresholdFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  sqlite3_int64 iFirst;
  double rOmega, rMedian;
  if( noiseThreshold(ctx, argc, argv, "svd_noise_threshold", &buf, &iFirst,
                     &rOmega, &rMedian) ){
    double rTau = rOmega*rMedian;
    if( isinf(rTau) ){
      char zMedian[FMT_MAX];
      fmtDouble(rMedian, zMedian);
      svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
          "svd_noise_threshold(): the threshold, omega(beta) = %.4g times "
          "the median %s, is beyond the range of a double; expected a "
          "median below %.3g", rOmega, zMedian, DBL_MAX/rOmega));
    }else{
      sqlite3_result_double(ctx, rTau);
    }
  }
  vecBufFree(&buf);
}

/* svd_signal_rank(SPECTRUM, N, D [, OPTIONS]): tau overflowing to Inf
** still counts right, as no double exceeds it. */
void noiseSignalRankFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  sqlite3_int64 iFirst, i;
  double rOmega, rMedian, rTau;
  if( noiseThreshold(ctx, argc, argv, "svd_signal_rank", &buf, &iFirst,
                     &rOmega, &rMedian) ){
    rTau = rOmega*rMedian;
    for(i=buf.n; i>iFirst && buf.a[i-1]>rTau; i--){}
    sqlite3_result_int64(ctx, buf.n - i);
  }
  vecBufFree(&buf);
}
