/*
** test_spectrum.c: C unit tests of ext/numerics/spectrum.c on matrices whose singular
** values are known exactly: X = U*diag(s)*V' with U, V orthonormal, built
** here from random matrices by QR (U orthogonal to the ones vector for the
** centered cases), and the same plus a large shared mean.
**
** Prints one line per failure and ends with "spectrum: N passed, M failed".
*/
#include "gram.h"
#include "merge.h"
#include "spectrum.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nPass = 0, nFail = 0;
static uint64_t rngState = 0x9e3779b97f4a7c15ull;

/* Uniform in (-1, 1), deterministic. */
static double rnd(void){
  rngState ^= rngState<<13;
  rngState ^= rngState>>7;
  rngState ^= rngState<<17;
  return (double)(rngState>>11)/(double)(1ull<<52) - 1.0;
}

static void check(int bOk, const char *zName, const char *zDetail){
  if( bOk ){
    nPass++;
  }else{
    nFail++;
    printf("FAIL %s: %s\n", zName, zDetail);
  }
}

/*
** q (m x r column-major): r orthonormal columns. With bPerpOnes, every
** column is also orthogonal to the all-ones vector.
*/
static void orthonormal(double *q, int m, int r, int bPerpOnes){
  double *tau = malloc(sizeof(double)*r);
  int i, j;
  for(i=0; i<m*r; i++) q[i] = rnd();
  if( bPerpOnes ){
    for(j=0; j<r; j++){
      double mean = 0;
      for(i=0; i<m; i++) mean += q[i+j*m];
      mean /= m;
      for(i=0; i<m; i++) q[i+j*m] -= mean;
    }
  }
  LAPACKE_dgeqrf(LAPACK_COL_MAJOR, m, r, q, m, tau);
  LAPACKE_dorgqr(LAPACK_COL_MAJOR, m, r, r, q, m, tau);
  free(tau);
}

/*
** Row-major n x d matrix with singular values s[0..r-1] (r <= min(n,d),
** r <= n-1 when centered) plus the row mean[] added to every row.
*/
static double *buildV(int n, int d, const double *s, int r, int bCenter,
                      const double *mean, double *v){
  double *u = malloc(sizeof(double)*n*r);
  double *x = calloc((size_t)n*d, sizeof(double));
  int i, j, k;
  orthonormal(u, n, r, bCenter);
  orthonormal(v, d, r, 0);
  for(i=0; i<n; i++){
    for(j=0; j<d; j++){
      double acc = 0;
      for(k=0; k<r; k++) acc += u[i+k*n]*s[k]*v[j+k*d];
      x[i*d+j] = acc + (mean ? mean[j] : 0.0);
    }
  }
  free(u);
  return x;
}

static double *build(int n, int d, const double *s, int r, int bCenter,
                     const double *mean){
  double *v = malloc(sizeof(double)*d*r);
  double *x = buildV(n, d, s, r, bCenter, mean, v);
  free(v);
  return x;
}

/*
** Reference singular values of x - 1*mean' by a different route: subtract
** the mean (exact: x and mean are within a factor 2, Sterbenz), center what
** is left, which is small, in plain double, and call dgesdd on all of it.
** Rounding x = fl(U*S*V' + mean) moved it off U*S*V' by up to half an ulp
** of the mean per entry, so the reference is of the data as stored.
*/
static void reference(const double *x, int n, int d, const double *mean,
                      double *ref){
  double *c = malloc(sizeof(double)*n*d);
  int i, j;
  for(j=0; j<d; j++){
    double acc = 0;
    for(i=0; i<n; i++) acc += x[i*d+j] - mean[j];
    acc /= n;
    for(i=0; i<n; i++) c[i*d+j] = (x[i*d+j] - mean[j]) - acc;
  }
  /* row-major n x d is column-major d x n: the same singular values */
  LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', d, n, c, d, ref, 0, 1, 0, 1);
  free(c);
}

/*
** Expect sigma == s then zeros (no mean), or the reference() of the stored
** data (with a mean), each within tol*sigma_1. Centered with n <= d, the
** last value must be exactly 0.
*/
static void expect(const char *zName, int n, int d, const double *s, int r,
                   int bCenter, const double *mean, double tol){
  double *x = build(n, d, s, r, bCenter, mean);
  int m = n<d ? n : d, i, rc;
  double *sigma = malloc(sizeof(double)*m), worst = 0;
  double *want = calloc((size_t)(m>0 ? m : 1), sizeof(double));
  char zDetail[200];
  SpecStatus st;
  if( mean ){
    reference(x, n, d, mean, want);
  }else{
    memcpy(want, s, sizeof(double)*r);
  }
  rc = specSingularValues(x, n, d, bCenter, sigma, &st);
  if( rc!=SPEC_OK ){
    snprintf(zDetail, sizeof(zDetail), "rc=%d", rc);
    check(0, zName, zDetail);
  }else{
    for(i=0; i<m; i++){
      double err = fabs(sigma[i]-want[i])/want[0];
      if( err>worst ) worst = err;
    }
    snprintf(zDetail, sizeof(zDetail), "%dx%d worst error %.3g of sigma_1",
             n, d, worst);
    check(worst<=tol, zName, zDetail);
    if( bCenter && n<=d ){
      snprintf(zDetail, sizeof(zDetail), "%dx%d last value %.3g, not 0",
               n, d, sigma[m-1]);
      check(sigma[m-1]==0.0, zName, zDetail);
    }
  }
  free(x);
  free(sigma);
  free(want);
}

/*
** specBasis on X = U*S*V' (+ mean): sigma[0..K-1] == s, direction i equal
** to +-v_i (|<dir_i, v_i>| = 1 within tol), largest entry positive, and the
** mean's two parts summing to the mean.
*/
static void expectBasis(const char *zName, int n, int d, const double *s,
                        int r, int nK, const double *mean, double tol){
  double *v = malloc(sizeof(double)*d*r);
  double *x = buildV(n, d, s, r, mean!=0, mean, v);
  double *aMean = malloc(sizeof(double)*2*d);
  double *sigma = malloc(sizeof(double)*nK);
  double *dir = malloc(sizeof(double)*nK*d);
  double worst = 0, worstMean = 0;
  char zDetail[200];
  int i, j, bSign = 1;
  int rc = specBasis(x, n, d, mean!=0, nK, aMean, sigma, dir, 0);
  if( rc!=SPEC_OK ){
    snprintf(zDetail, sizeof(zDetail), "rc=%d", rc);
    check(0, zName, zDetail);
  }else{
    for(i=0; i<nK; i++){
      double dot = 0, big = 0;
      for(j=0; j<d; j++){
        dot += dir[i*d+j]*v[j+i*d];
        if( fabs(dir[i*d+j])>fabs(big) ) big = dir[i*d+j];
      }
      if( fabs(1-fabs(dot))>worst ) worst = fabs(1-fabs(dot));
      if( fabs(sigma[i]-s[i])/s[0]>worst ) worst = fabs(sigma[i]-s[i])/s[0];
      if( big<=0 ) bSign = 0;
    }
    for(j=0; mean && j<d; j++){
      double e = fabs(aMean[j] + aMean[d+j] - mean[j])/fabs(mean[j]);
      if( e>worstMean ) worstMean = e;
    }
    snprintf(zDetail, sizeof(zDetail), "%dx%d K=%d worst %.3g, mean %.3g, "
             "signs %d", n, d, nK, worst, worstMean, bSign);
    check(worst<=tol && worstMean<=1e-15 && bSign, zName, zDetail);
  }
  free(v);
  free(x);
  free(aMean);
  free(sigma);
  free(dir);
}

/* Singular values descending from 10 down by a factor 1.3, r of them. */
static void decaying(double *s, int r, double top){
  int i;
  for(i=0; i<r; i++) s[i] = top*pow(1.3, -i);
}

/* The cancel probe: counts its calls and says stop at call nCancelAt. */
static int nCancelCall, nCancelAt;

static int cancelAt(void *pArg){
  (void)pArg;
  return ++nCancelCall==nCancelAt;
}

/*
** xRun with the probe saying stop at its k-th call, for every k: each such
** run returns SPEC_INTERRUPT, the run that the probe lets through returns
** SPEC_OK, and the probe is asked at least nPhase times.
*/
static void expectProbes(const char *zName, int (*xRun)(void), int nPhase){
  char zDetail[128];
  int k, nProbe, rc, bOk = 1;
  specSetCancel(cancelAt, 0);
  nCancelCall = 0;
  nCancelAt = -1;
  rc = xRun();
  nProbe = nCancelCall;
  for(k=1; k<=nProbe && bOk; k++){
    nCancelCall = 0;
    nCancelAt = k;
    if( xRun()!=SPEC_INTERRUPT ) bOk = 0;
  }
  specSetCancel(0, 0);
  snprintf(zDetail, sizeof(zDetail), "rc %d, %d probes (at least %d), "
           "interrupt at each %s", rc, nProbe, nPhase, bOk ? "ok" : "missed");
  check(rc==SPEC_OK && nProbe>=nPhase && bOk, zName, zDetail);
}

/* Test matrices for expectProbes: 60 x 8 rows (the general road) and
** 5 x 8 (the small road), filled anew for each run. */
static double aProbeX[60*8], aProbeS[8], aProbeMean[16], aProbeDir[3*8];

static void probeFill(void){
  int i;
  rngState = 12345;
  for(i=0; i<60*8; i++) aProbeX[i] = rnd();
}

static int probeSpectrum(void){
  probeFill();
  return specSingularValues(aProbeX, 60, 8, 1, aProbeS, 0);
}

static int probeSpectrumSmall(void){
  probeFill();
  return specSingularValues(aProbeX, 5, 8, 1, aProbeS, 0);
}

static int probeBasis(void){
  probeFill();
  return specBasis(aProbeX, 60, 8, 1, 3, aProbeMean, aProbeS, aProbeDir, 0);
}

static int probeGram(void){
  SpecGram g;
  int i, rc = SPEC_OK;
  probeFill();
  if( specGramInit(&g, 8, 1) ) return SPEC_NOMEM;
  for(i=0; i<60 && rc==SPEC_OK; i++) rc = specGramAdd(&g, aProbeX + i*8);
  if( rc==SPEC_OK ) rc = specGramValues(&g, aProbeS, 0);
  specGramFree(&g);
  return rc;
}

static int probeGramBasis(void){
  SpecGram g;
  int i, rc = SPEC_OK;
  probeFill();
  if( specGramInit(&g, 8, 1) ) return SPEC_NOMEM;
  for(i=0; i<60 && rc==SPEC_OK; i++) rc = specGramAdd(&g, aProbeX + i*8);
  if( rc==SPEC_OK ) rc = specGramBasis(&g, 3, aProbeMean, aProbeS, aProbeDir, 0);
  specGramFree(&g);
  return rc;
}

/* Two exact states of 30 rows each, merged, then read. */
static int probeMerge(int bBasis){
  SpecState a, b;
  int rc;
  probeFill();
  rc = mergeFromRows(aProbeX, 30, 8, 1, &a, 0);
  if( rc ) return rc;
  rc = mergeFromRows(aProbeX + 30*8, 30, 8, 1, &b, 0);
  if( rc==SPEC_OK ) rc = mergeStates(&a, &b, 0);
  if( rc==SPEC_OK ){
    rc = bBasis ? mergeBasis(&a, 3, aProbeMean, aProbeS, aProbeDir, 0)
                : mergeSpectrum(&a, aProbeS, 0);
  }
  mergeFree(&a);
  mergeFree(&b);
  return rc;
}

static int probeMergeSpectrum(void){
  return probeMerge(0);
}

static int probeMergeBasis(void){
  return probeMerge(1);
}

int main(void){
  static const int aShape[][2] = {
    {2, 2}, {3, 7}, {7, 3}, {20, 50}, {50, 20}, {40, 40}, {200, 30},
    {30, 200}, {1, 5}, {5, 1}, {300, 300}
  };
  double s[300], mean[300];
  size_t iShape;
  int i;

  for(iShape=0; iShape<sizeof(aShape)/sizeof(aShape[0]); iShape++){
    int n = aShape[iShape][0], d = aShape[iShape][1];
    int m = n<d ? n : d;
    char zName[64];
    decaying(s, m, 10.0);
    snprintf(zName, sizeof(zName), "raw %dx%d", n, d);
    expect(zName, n, d, s, m, 0, 0, 1e-13);
    if( n>1 ){
      int r = n-1<d ? n-1 : d;
      snprintf(zName, sizeof(zName), "centered %dx%d", n, d);
      expect(zName, n, d, s, r, 1, 0, 1e-12);
      for(i=0; i<d; i++) mean[i] = 1e4*(1+rnd());
      snprintf(zName, sizeof(zName), "centered %dx%d mean 1e4", n, d);
      expect(zName, n, d, s, r, 1, mean, 1e-12);
      /* rank-deficient: only 2 non-zero values */
      if( r>2 ){
        snprintf(zName, sizeof(zName), "centered rank 2 %dx%d", n, d);
        expect(zName, n, d, s, 2, 1, mean, 1e-12);
      }
    }
  }

  /* equal singular values: any basis of the subspace is right */
  for(i=0; i<5; i++) s[i] = 2.5;
  expect("five equal values 12x8", 12, 8, s, 5, 0, 0, 1e-13);

  /* huge and tiny magnitudes: the power-of-two scaling keeps them exact */
  decaying(s, 6, 1e300);
  expect("raw 6x9 sigma 1e300", 6, 9, s, 6, 0, 0, 1e-13);
  decaying(s, 6, 1e-300);
  expect("raw 9x6 sigma 1e-300", 9, 6, s, 6, 0, 0, 1e-13);
  for(i=0; i<6; i++) mean[i] = 1e306*(1+rnd()*0.5);
  decaying(s, 5, 1e300);
  expect("centered 6x6 mean 1e306", 6, 6, s, 5, 1, mean, 1e-12);

  /* principal directions, tall, wide, square, raw, centered, huge */
  decaying(s, 30, 10.0);
  expectBasis("basis raw 50x20", 50, 20, s, 20, 5, 0, 1e-12);
  expectBasis("basis raw 20x50", 20, 50, s, 20, 20, 0, 1e-12);
  for(i=0; i<50; i++) mean[i] = 1e4*(1+rnd());
  expectBasis("basis centered 50x20 mean 1e4", 50, 20, s, 20, 8, mean, 1e-12);
  expectBasis("basis centered 21x50 mean 1e4", 21, 50, s, 20, 20, mean, 1e-12);
  expectBasis("basis centered 30x30 mean 1e4", 30, 30, s, 29, 29, mean, 1e-12);
  /* storing x = U*S*V' + mean rounds each entry by up to ulp(mean)/2, which
  ** must stay far below sigma_5 for V to be the directions of the data as
  ** stored: sigma from 1e304 keeps that perturbation near 1e-13 of it */
  decaying(s, 5, 1e304);
  for(i=0; i<8; i++) mean[i] = 1e306*(1+rnd()*0.5);
  expectBasis("basis centered 6x8 mean 1e306", 6, 8, s, 5, 5, mean, 1e-12);
  decaying(s, 5, 1e-300);
  expectBasis("basis raw 9x6 sigma 1e-300", 9, 6, s, 5, 5, 0, 1e-12);
  /* when LAPACK reports no convergence (forced): dbdsqr's fallback is
  ** dgesdd, dgesdd's is dgesvd; the same values and directions */
  {
    static const int aMask[] = {
      SPEC_TEST_DBDSQR, SPEC_TEST_DGESDD, SPEC_TEST_DBDSQR|SPEC_TEST_DGESDD
    };
    static const char *azMask[] = { "dbdsqr", "dgesdd", "dbdsqr and dgesdd" };
    char zName[96], zDetail[64];
    size_t q;
    for(q=0; q<sizeof(aMask)/sizeof(aMask[0]); q++){
      int nFall;
      specTestFail(aMask[q]);
      decaying(s, 30, 10.0);
      snprintf(zName, sizeof(zName), "no convergence (%s): centered 50x20",
               azMask[q]);
      expect(zName, 50, 20, s, 20, 1, 0, 1e-12);
      for(i=0; i<50; i++) mean[i] = 1e4*(1+rnd());
      snprintf(zName, sizeof(zName), "no convergence (%s): basis 50x20",
               azMask[q]);
      expectBasis(zName, 50, 20, s, 20, 8, mean, 1e-12);
      decaying(s, 170, 10.0);
      snprintf(zName, sizeof(zName), "no convergence (%s): raw 170x170",
               azMask[q]);
      expect(zName, 170, 170, s, 170, 0, 0, 1e-13);
      nFall = specTestFail(0);
      /* dbdsqr: the values of 50x20 and the basis's values (1 + 1);
      ** dgesdd: the basis's vectors and 170x170 (1 + 1); both: 2 for the
      ** values of 50x20, 1 + 2 for the basis, 1 for 170x170 */
      snprintf(zName, sizeof(zName), "no convergence (%s): fallbacks ran",
               azMask[q]);
      snprintf(zDetail, sizeof(zDetail), "%d", nFall);
      check(nFall==(q<2 ? 2 : 6), zName, zDetail);
    }
  }
  {
    double x[4] = {1, 2, 3, 4}, am[4], sg[2], dr[4];
    int rc = specBasis(x, 2, 2, 1, 3, am, sg, dr, 0);
    check(rc==SPEC_TOOBIG, "basis K > min(n, d)", "not SPEC_TOOBIG");
  }

  /* n = 1, centered: exactly 0 */
  {
    double x[3] = {1e9, -2, 3}, sigma[1] = {-1};
    int rc = specSingularValues(x, 1, 3, 1, sigma, 0);
    check(rc==SPEC_OK && sigma[0]==0.0, "one row centered", "not [0]");
  }
  /* all zero */
  {
    double x[6] = {0}, sigma[2] = {-1, -1};
    int rc = specSingularValues(x, 3, 2, 0, sigma, 0);
    check(rc==SPEC_OK && sigma[0]==0.0 && sigma[1]==0.0, "zero matrix",
          "not [0,0]");
  }
  /* a singular value beyond DBL_MAX */
  {
    double x[4] = {1.5e308, 1.5e308, 1.5e308, 1.5e308}, sigma[2];
    int rc = specSingularValues(x, 2, 2, 0, sigma, 0);
    check(rc==SPEC_OVERFLOW, "overflow", "not SPEC_OVERFLOW");
  }
  /* beyond the size limit */
  {
    double x[1] = {0}, sigma[1];
    int rc = specSingularValues(x, SPEC_MAX_K+1, SPEC_MAX_K+1, 0, sigma, 0);
    check(rc==SPEC_TOOBIG, "too big", "not SPEC_TOOBIG");
  }

  /* the cancel probe between phases: center, triangle, SVD (and vectors) */
  expectProbes("probes spectrum", probeSpectrum, 2);
  expectProbes("probes spectrum small road", probeSpectrumSmall, 1);
  expectProbes("probes basis", probeBasis, 4);
  expectProbes("probes gram", probeGram, 1);
  expectProbes("probes gram basis", probeGramBasis, 1);
  expectProbes("probes states built, merged, spectrum", probeMergeSpectrum, 4);
  expectProbes("probes states built, merged, basis", probeMergeBasis, 6);

  printf("spectrum: %d passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}
