/*
** test_small.c: ext/numerics/small.c's kernels against LAPACK's routines on the same
** input.
**
**   build/test_small            the kernels the CPU runs (AVX2+FMA here)
**   build/test_small_portable   the same tests, built with SVD_NO_AVX2
**
** smallQr against dgeqrf: R within 1e-13 of ||A|| when A has full rank
** (R'R within 1e-13 of ||A||^2 always), the reflectors' tau within 1e-13
** when A is well conditioned, and Q*R = A through LAPACK's
** dormqr reading our reflectors (so the layout is dgeqrf's). smallBidiag
** against dgebrd: d and e within 1e-13 of ||T|| up to k = 64. specSvdSmall (small.c's
** bidiagonalization + dbdsqr for k <= 160, dgesdd beyond) against dgesdd:
** every sigma within 1e-13 of sigma_1. Inputs: random, rank-deficient
** (repeated, zero and rank-one columns), scaled by 1e+-300 and 1e-310, and
** a shared mean 1e6 times the spread. The vectorized passes (smallSub,
** smallAbsMax, smallFromF32) against plain loops, exactly, at every length
** and misalignment up to 40 and with a non-finite value at each position.
** Ends with "N passed, M failed".
*/
#define _GNU_SOURCE   /* sched_yield */
#include "spectrum.h"
#include <sched.h>

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nPass = 0, nFail = 0;

static void check(int ok, const char *zWhat, const char *zCase, double got,
                  double lim){
  if( ok ){
    nPass++;
  }else{
    nFail++;
    printf("FAIL small %s [%s]: %.3g (limit %.3g)\n", zWhat, zCase, got, lim);
  }
}

/* A reproducible normal deviate (xorshift + Box-Muller). */
static unsigned long long testSeed = 88172645463325252ull;
static double testUniform(void){
  testSeed ^= testSeed<<13;
  testSeed ^= testSeed>>7;
  testSeed ^= testSeed<<17;
  return ((testSeed>>11) + 0.5)*0x1p-53;
}
static double testNormal(void){
  double u = testUniform(), v = testUniform();
  return sqrt(-2.0*log(u))*cos(6.283185307179586*v);
}

enum { K_RANDOM, K_REPEAT, K_ZERO, K_RANK1, K_MEAN, K_NKIND };
static const char *azKind[] = { "random", "repeated", "zero", "rank-1",
                                "mean 1e6" };

/* d x m column-major test matrix of kind eKind, times scale */
static void testMatrix(double *a, int d, int m, int eKind, double scale){
  int i, j;
  double *u = malloc(sizeof(double)*(size_t)d);
  for(i=0; i<d; i++) u[i] = testNormal();
  for(j=0; j<m; j++){
    double c = testNormal();
    for(i=0; i<d; i++){
      double x = testNormal();
      switch( eKind ){
        case K_REPEAT: if( j%3==2 ) x = a[i + (size_t)(j-1)*d]/scale; break;
        case K_ZERO:   if( j%4==1 ) x = 0.0; break;
        case K_RANK1:  x = c*u[i]; break;
        case K_MEAN:   x = 1e6*u[i] + x; break;
      }
      a[i + (size_t)j*d] = x*scale;
    }
  }
  free(u);
}

static double testNorm(const double *a, size_t n){
  double s = 0.0, mx = 0.0;
  size_t i;
  for(i=0; i<n; i++) if( fabs(a[i])>mx ) mx = fabs(a[i]);
  if( mx==0.0 ) return 0.0;
  for(i=0; i<n; i++) s += (a[i]/mx)*(a[i]/mx);
  return mx*sqrt(s);
}

static void testQr(int d, int m, int eKind, double scale){
  size_t n = (size_t)d*m;
  double *a = malloc(sizeof(double)*n), *b = malloc(sizeof(double)*n);
  double *c = malloc(sizeof(double)*n), *r = calloc(n, sizeof(double));
  double *tauA = malloc(sizeof(double)*m), *tauB = malloc(sizeof(double)*m);
  double *work = malloc(sizeof(double)*SMALL_QR_WORK);
  double nrm, err = 0.0, errTau = 0.0, errQ = 0.0;
  /* subnormal data round at 2^-1074 absolutely, not relatively: d*m such
  ** roundings of each result, dgeqrf's as much as ours */
  double rFloor = (double)d*m*0x1p-1074;
  char zCase[96];
  int i, j, info;

  snprintf(zCase, sizeof(zCase), "%d x %d %s scale %g", d, m, azKind[eKind],
           scale);
  testMatrix(a, d, m, eKind, scale);
  memcpy(b, a, sizeof(double)*n);
  memcpy(c, a, sizeof(double)*n);
  nrm = testNorm(a, n);
  info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, d, m, b, d, tauB);
  check(info==0, "dgeqrf info", zCase, info, 0);
  check(smallQr(a, d, m, d, tauA, work)==0, "smallQr rc", zCase, 0, 0);
  for(j=0; j<m; j++){
    for(i=0; i<=j && i<d; i++){
      double e = fabs(a[i + (size_t)j*d] - b[i + (size_t)j*d]);
      if( e>err ) err = e;
    }
    if( fabs(tauA[j]-tauB[j])>errTau ) errTau = fabs(tauA[j]-tauB[j]);
  }
  if( eKind==K_RANDOM || eKind==K_MEAN ){
    /* full column rank: R is determined (the trailing rows of a
    ** rank-deficient one follow reflectors made of rounding noise) */
    check(err<=1e-13*nrm + rFloor, "R vs dgeqrf", zCase,
          err/(nrm>0 ? nrm : 1), 1e-13);
  }
  if( eKind==K_RANDOM && scale>=1e-300 ){
    /* well conditioned: the reflectors are determined, tau too (not on
    ** subnormal data: their 40-odd bits make every product differ in the
    ** 1e-13th place, dgeqrf's as much as ours; the pipeline scales such
    ** data up first, and R'R and Q*R = A below still hold) */
    check(errTau<=1e-13, "tau vs dgeqrf", zCase, errTau, 1e-13);
  }
  /* R'R = A'A whatever the rank: compare it with dgeqrf's */
  err = 0.0;
  for(j=0; j<m; j++){
    for(i=0; i<=j; i++){
      double sa = 0.0, sb = 0.0;
      int l;
      for(l=0; l<=i && l<d; l++){
        sa += (a[l + (size_t)i*d]/nrm)*(a[l + (size_t)j*d]/nrm);
        sb += (b[l + (size_t)i*d]/nrm)*(b[l + (size_t)j*d]/nrm);
      }
      if( fabs(sa-sb)>err ) err = fabs(sa-sb);
    }
  }
  check(err<=1e-13, "R'R vs dgeqrf's", zCase, err, 1e-13);
  /* Q*R through dormqr with our reflectors gives back A */
  for(j=0; j<m; j++){
    for(i=0; i<=j && i<d; i++) r[i + (size_t)j*d] = a[i + (size_t)j*d];
  }
  info = LAPACKE_dormqr(LAPACK_COL_MAJOR, 'L', 'N', d, m, m, a, d, tauA, r, d);
  check(info==0, "dormqr info", zCase, info, 0);
  for(i=0; i<(int)n; i++){
    if( fabs(r[i]-c[i])>errQ ) errQ = fabs(r[i]-c[i]);
  }
  check(errQ<=1e-13*nrm + rFloor, "Q*R = A", zCase, errQ/(nrm>0 ? nrm : 1),
        1e-13);
  free(a); free(b); free(c); free(r); free(tauA); free(tauB); free(work);
}

/* k x k: smallBidiag vs dgebrd, and specSvdSmall vs dgesdd */
static void testSvd(int k, int eKind, double scale){
  size_t n = (size_t)k*k;
  double *t = malloc(sizeof(double)*n), *t0 = malloc(sizeof(double)*n);
  double *t2 = malloc(sizeof(double)*n);
  double *dA = malloc(sizeof(double)*k), *eA = malloc(sizeof(double)*k);
  double *dB = malloc(sizeof(double)*k), *eB = malloc(sizeof(double)*k);
  double *tq = malloc(sizeof(double)*k), *tp = malloc(sizeof(double)*k);
  double *sA = malloc(sizeof(double)*k), *sB = malloc(sizeof(double)*k);
  double *work = malloc(sizeof(double)*2*(size_t)k);
  double nrm, err = 0.0;
  double rFloor = (double)k*k*0x1p-1074;   /* as in testQr */
  char zCase[96];
  int i, info;

  snprintf(zCase, sizeof(zCase), "%d x %d %s scale %g", k, k, azKind[eKind],
           scale);
  testMatrix(t0, k, k, eKind, scale);
  nrm = testNorm(t0, n);
  if( k<=160 ){
    memcpy(t, t0, sizeof(double)*n);
    check(smallBidiag(t, k, dA, eA, work)==0, "smallBidiag rc", zCase, 0, 0);
    memcpy(t, t0, sizeof(double)*n);
    info = LAPACKE_dgebrd(LAPACK_COL_MAJOR, k, k, t, k, dB, eB, tq, tp);
    check(info==0, "dgebrd info", zCase, info, 0);
    for(i=0; i<k; i++){
      if( fabs(dA[i]-dB[i])>err ) err = fabs(dA[i]-dB[i]);
      if( i+1<k && fabs(eA[i]-eB[i])>err ) err = fabs(eA[i]-eB[i]);
    }
    /* The bidiagonal's entries are only as determined as the reflectors
    ** that make them (like tau in testQr): on a well-conditioned square
    ** block up to 64, to 1e-13. Larger random blocks are conditioned in
    ** the hundreds and thousands, and the entries then differ between two
    ** stable algorithms by up to 1.2e-13 (OpenBLAS's Prescott kernels, as
    ** a reviewer measured); their singular values are compared below. */
    if( (eKind==K_RANDOM || eKind==K_MEAN) && k<=64 ){
      check(err<=1e-13*nrm + rFloor, "bidiagonal vs dgebrd", zCase,
            err/(nrm>0 ? nrm : 1), 1e-13);
    }
  }
  memcpy(t, t0, sizeof(double)*n);
  memcpy(t2, t0, sizeof(double)*n);
  check(specSvdSmall(t, t2, k, sA, 0)==SPEC_OK, "specSvdSmall rc", zCase,
        0, 0);
  memcpy(t, t0, sizeof(double)*n);
  info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', k, k, t, k, sB, 0, 1, 0, 1);
  check(info==0, "dgesdd info", zCase, info, 0);
  err = 0.0;
  for(i=0; i<k; i++) if( fabs(sA[i]-sB[i])>err ) err = fabs(sA[i]-sB[i]);
  check(err<=1e-13*sB[0] + rFloor, "sigma vs dgesdd",
        zCase, sB[0]>0 ? err/sB[0] : err, 1e-13);
  for(i=1; i<k; i++){
    if( sA[i]>sA[i-1] || sA[i]<0.0 ) break;
  }
  check(i==k, "sigma descending and >= 0", zCase, i, k);
  free(t); free(t0); free(t2); free(dA); free(eA); free(dB); free(eB);
  free(tq); free(tp); free(sA); free(sB); free(work);
}

/* the vectorized passes against plain loops, at every length and offset */
static void testPasses(void){
  double x[48], y[48], z[48];
  unsigned char raw[4*48];
  int n, off, i, bad = 0, badAll = 0;
  for(off=0; off<4; off++){
    for(n=0; n<=40; n++){
      double mx = 0.0, got;
      for(i=0; i<48; i++){
        x[i] = testNormal()*ldexp(1.0, (int)(testUniform()*40) - 20);
        y[i] = testNormal();
      }
      if( n>3 ) x[off + n/2] = -ldexp(1.0, 30);   /* largest, negative */
      if( n>5 ) x[off + 1] = -0.0;
      memcpy(z, y, sizeof(y));
      smallSub(z + off, x + off, n);
      for(i=0; i<48; i++){
        double want = (i>=off && i<off+n) ? y[i] - x[i] : y[i];
        if( z[i]!=want ) bad++;
      }
      for(i=off; i<off+n; i++) if( fabs(x[i])>mx ) mx = fabs(x[i]);
      got = smallAbsMax(x + off, n);
      if( got!=mx ) bad++;
      /* float32: a finite round trip, then each position non-finite */
      for(i=0; i<48; i++){
        float f = (float)x[i];
        if( i%7==3 ) f = 1e-45f;             /* subnormal */
        memcpy(raw + 4*i, &f, 4);
      }
      if( smallFromF32(raw + 4*off, z, n)!=0 ) bad++;
      for(i=0; i<n; i++){
        float f;
        memcpy(&f, raw + 4*(off+i), 4);
        if( z[i]!=(double)f ) bad++;
      }
      for(i=0; i<n; i++){
        unsigned char keep[4];
        const float aBad[3] = { INFINITY, -INFINITY, NAN };
        int b;
        memcpy(keep, raw + 4*(off+i), 4);
        for(b=0; b<3; b++){
          memcpy(raw + 4*(off+i), &aBad[b], 4);
          if( smallFromF32(raw + 4*off, z, n)==0 ) badAll++;
        }
        memcpy(raw + 4*(off+i), keep, 4);
      }
    }
  }
  check(bad==0, "smallSub/smallAbsMax/smallFromF32 vs plain loops", "0..40",
        bad, 0);
  check(badAll==0, "smallFromF32 flags Inf/NaN at every position", "0..40",
        badAll, 0);
}

/*
** smallQr with a helper thread taking half of each trailing update gives
** the result it gives alone, bit for bit, whichever thread ran each half;
** and the helper did run some of them.
*/
static void testHelper(void){
  static const int aShape[][2] = {
    {768, 49}, {768, 19}, {199, 100}, {300, 160}, {770, 23}, {1000, 100},
  };
  SpecHelper *h = specHelperStart(1);
  long nBefore = specHelperJobs(h);
  size_t q;
  int r;
  check(h!=0, "specHelperStart(1)", "helper", 0, 0);
  if( h==0 ) return;
  for(q=0; q<sizeof(aShape)/sizeof(aShape[0]); q++){
    int d = aShape[q][0], m = aShape[q][1], nDiff = 0;
    size_t n = (size_t)d*m;
    double *a = malloc(sizeof(double)*n), *b = malloc(sizeof(double)*n);
    double *c = malloc(sizeof(double)*n);
    double tauB[160], tauC[160], work[SMALL_QR_WORK];
    char zCase[64];
    snprintf(zCase, sizeof(zCase), "%d x %d", d, m);
    testMatrix(a, d, m, K_MEAN, 1.0);
    memcpy(b, a, sizeof(double)*n);
    specSetHelper(0);
    smallQr(b, d, m, d, tauB, work);
    for(r=0; r<50; r++){
      memcpy(c, a, sizeof(double)*n);
      specSetHelper(h);
      smallQr(c, d, m, d, tauC, work);
      specSetHelper(0);
      if( memcmp(b, c, sizeof(double)*n)!=0
       || memcmp(tauB, tauC, sizeof(double)*m)!=0 ) nDiff++;
    }
    check(nDiff==0, "smallQr with a helper equals smallQr alone, bit for bit",
          zCase, nDiff, 0);
    free(a);
    free(b);
    free(c);
  }
  check(specHelperJobs(h)>nBefore, "the helper ran trailing updates",
        "helper", (double)(specHelperJobs(h)-nBefore), 1);
  specHelperStop(h);
  check(specHelperCount()==0, "specHelperStop leaves no helper", "helper",
        specHelperCount(), 0);
}


/* The streamed QR (specStream*) against smallQr on the same shifted rows,
** bit for bit, with the rows published a few at a time while the helper
** works; the rows themselves left alone; a stop halfway, then reuse; and
** the streamed spectrum against specSingularValuesF32's. */
static void testStream(void){
  static const int aShape[][2] = {   /* d, n rows */
    {768, 50}, {768, 20}, {768, 2}, {100, 65}, {64, 65}, {7, 4}, {5, 6},
    {9, 2}, {33, 18}, {300, 161}, {199, 101}, {13, 9}, {770, 24}, {6, 5},
  };
  SpecHelper *h = specHelperStart(1);
  SpecStream *st = specStreamNew();
  long nBefore = specHelperJobs(h);
  size_t q;
  int e;
  check(h!=0 && st!=0, "specHelperStart(1), specStreamNew", "stream", 0, 0);
  if( h==0 || st==0 ) return;
  check(specStreamBegin(st, 0, 0, 8, 4)!=0, "no stream without a helper",
        "stream", 0, 0);
  for(q=0; q<sizeof(aShape)/sizeof(aShape[0]); q++){
    for(e=0; e<K_NKIND; e++){
      int d = aShape[q][0], n = aShape[q][1], m = n-1, i, j, nDiff = 0;
      int mMax = d<SPEC_SMALL_K ? d : SPEC_SMALL_K, r;
      size_t nv = (size_t)d*n;
      double *a = malloc(sizeof(double)*nv), *b = malloc(sizeof(double)*nv);
      double *a0 = malloc(sizeof(double)*nv);
      double *rr = malloc(sizeof(double)*(size_t)m*m);
      double *s1 = malloc(sizeof(double)*(size_t)n), *s2 = malloc(sizeof(double)*(size_t)n);
      double tau[SPEC_SMALL_K], work[SMALL_QR_WORK];
      char zCase[64];
      snprintf(zCase, sizeof(zCase), "%d x %d %s", d, n, azKind[e]);
      testMatrix(a, d, n, e, 1.0);
      for(i=0; i<(int)nv; i++) a[i] = (float)a[i];   /* float32 rows */
      memcpy(a0, a, sizeof(double)*nv);
      memcpy(b, a, sizeof(double)*nv);
      for(i=1; i<n; i++) smallSub(b + (size_t)i*d, b, d);
      specSetHelper(0);
      smallQr(b + d, d, m, d, tau, work);
      for(r=0; r<6; r++){
        int nPub = 1, rc;
        if( r==3 ){
          /* a stop halfway; the next begin reuses the stream */
          specStreamBegin(st, h, a, d, mMax);
          specStreamPublish(st, n/2 + 1);
          specStreamStop(st);
          check(!specStreamActive(st), "stopped", zCase, 0, 0);
        }
        rc = specStreamBegin(st, h, a, d, mMax);
        check(rc==0 && specStreamActive(st), "specStreamBegin", zCase, rc, 0);
        while( r>0 && nPub<n ){
          nPub += 1 + (int)(testUniform()*(r<2 ? 3 : 9));
          if( nPub>n ) nPub = n;
          specStreamPublish(st, nPub);
          if( r==1 ) sched_yield();
        }
        /* the last runs finish with the helper sharing the catch-up */
        specSetHelper(r>=4 ? h : 0);
        rc = specStreamFinish(st, n, rr);
        specSetHelper(0);
        if( rc!=0 ){
          nDiff++;
          continue;
        }
        for(j=0; j<m; j++){
          for(i=0; i<m; i++){
            double want = i<=j ? b[d + i + (size_t)j*d] : 0.0;
            if( memcmp(&want, &rr[i + (size_t)j*m], sizeof(double))!=0 ) nDiff++;
          }
        }
      }
      check(nDiff==0, "streamed R equals smallQr's, bit for bit", zCase,
            nDiff, 0);
      check(memcmp(a, a0, sizeof(double)*nv)==0, "the stream leaves the rows",
            zCase, 0, 0);
      /* the whole road: spectrum from the stream, and from the rows */
      if( n-1<=SPEC_SMALL_K && n<=d+1 ){
        SpecStatus stt;
        int rc1, rc2, kk = n<d ? n : d;
        specStreamBegin(st, h, a, d, mMax);
        specStreamPublish(st, n);
        rc1 = specStreamValues(st, n, d, s1, &stt);
        memcpy(b, a, sizeof(double)*nv);
        rc2 = specSingularValuesF32(b, n, d, 1, s2, &stt);
        check(rc1==0 && rc2==0 && memcmp(s1, s2, sizeof(double)*kk)==0,
              "streamed spectrum equals specSingularValuesF32's, bit for bit",
              zCase, rc1*10+rc2, 0);
      }
      free(a);
      free(a0);
      free(b);
      free(rr);
      free(s1);
      free(s2);
    }
  }
  check(specHelperJobs(h)>nBefore, "the helper ran streams", "stream",
        (double)(specHelperJobs(h)-nBefore), 1);
  check(specStreamFinish(st, 3, 0)!=0, "finish with no stream running",
        "stream", 0, 0);
  specStreamFree(st);
  specHelperStop(h);
}

int main(void){
  static const int aQr[][2] = {
    {768, 19}, {768, 49}, {100, 64}, {64, 64}, {200, 33}, {7, 3}, {5, 5},
    {9, 1}, {1, 1}, {33, 17}, {13, 8}, {6, 4}, {1000, 100}, {300, 160},
    {31, 11}, {30, 13}, {770, 23}, {199, 100},
  };
  static const int aK[] = { 1, 2, 3, 4, 5, 8, 19, 31, 49, 64, 100, 160, 161 };
  static const double aScale[] = { 1.0, 1e300, 1e-300, 1e-310 };
  size_t q, s;
  int e;
  for(q=0; q<sizeof(aQr)/sizeof(aQr[0]); q++){
    for(e=0; e<K_NKIND; e++){
      for(s=0; s<sizeof(aScale)/sizeof(aScale[0]); s++){
        if( e==K_MEAN && s>0 ) continue;   /* 1e6*1e300 is not a double */
        testQr(aQr[q][0], aQr[q][1], e, aScale[s]);
      }
    }
  }
  for(q=0; q<sizeof(aK)/sizeof(aK[0]); q++){
    for(e=0; e<K_NKIND; e++){
      for(s=0; s<sizeof(aScale)/sizeof(aScale[0]); s++){
        if( e==K_MEAN && s>0 ) continue;
        testSvd(aK[q], e, aScale[s]);
      }
    }
  }
  testPasses();
  testHelper();
  testStream();
  printf("%d passed, %d failed\n", nPass, nFail);
  return nFail!=0;
}
