/*
** angles.c: comparing the directions of two bases, and taking a basis's
** directions out of vectors.
**
**   svd_angles(BASIS_A, BASIS_B)  JSON array of the principal angles, in
**                                 radians, ascending, between the spans of
**                                 A's K_a and B's K_b directions:
**                                 min(K_a, K_b) values
**   svd_residual(BASIS, X)        float32 BLOB: x - mean minus its
**                                 components along the K directions
**                                 ("all-but-the-top", Mu & Viswanath 2018)
**
**   SELECT svd_angles(a.b, b.b) FROM bases a, bases b
**   WHERE a.category = 'vehicle' AND b.category = 'animal';
**   UPDATE emb SET vec = svd_residual((SELECT b FROM top), vec);
**
** Rules:
**   1. NULL in either argument gives NULL.
**   2. A BASIS is checked as svd_project() checks it; the messages name the
**      argument (BASIS_A, BASIS_B).
**   3. svd_angles: the two bases must have the same d. Only the directions
**      count: n, the mean, sigma and the center flag are not read. Each
**      basis's directions are made orthonormal again by a QR (they are
**      to about 1e-13); directions farther than ANG_ORTH_TOL from
**      orthonormal are a corrupted BASIS, an error.
**   4. The angles are Knyazev & Argentati's (SIAM J. Sci. Comput. 23(6),
**      2002), as scipy.linalg.subspace_angles computes them: the cosines
**      are the singular values of Qa'Qb, the sines those of Qs - Ql(Ql'Qs)
**      (Ql the basis of more directions, Qs the other); each angle below
**      pi/4 comes from its sine, which keeps a 1e-9 angle that its cosine
**      (1 - 5e-19) would round to 0, each above from its cosine. (scipy
**      1.10 indexes that choice in reverse and can lose such an angle.)
**   5. svd_residual: X has the basis's d; x - mean is computed as
**      (x - hi) - lo from the mean's two parts, exact. The components are
**      removed twice (classical Gram-Schmidt with reorthogonalization), so
**      that the residual is orthogonal to the directions relative to its
**      own size even when x lies almost in their span. The result is
**      rounded to float32; an element beyond float32's range is an error.
*/
#include "basis.h"
#include "glue.h"
#include "spectrum.h"
#include "vector.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

/* Largest | |R_ij| - delta_ij | of a basis's directions' QR factor R that
** is taken as orthonormal: svd_basis's are orthonormal to about 1e-13. */
#define ANG_ORTH_TOL 1e-6

/*
** Replace the d x k column-major matrix a (d >= k) by the Q of its QR if
** its columns are orthonormal within ANG_ORTH_TOL: every entry at most
** 1 + ANG_ORTH_TOL in magnitude (checked first, so that LAPACK sees no
** column whose norm could overflow) and every | |R_ij| - delta_ij |,
** i <= j, at most ANG_ORTH_TOL. *pbOrtho says whether they were.
** SPEC_OK, SPEC_NOMEM or SPEC_LAPACK.
*/
static int angOrth(double *a, int d, int k, int *pbOrtho, SpecStatus *pSt){
  double *aTau, *aWork = 0, q1 = 0.0, q2 = 0.0;
  int info, i, j, bOrtho = 1, rc = SPEC_OK;
  size_t n;
  *pbOrtho = 0;
  for(n=0; n<(size_t)d*k; n++){
    if( !(fabs(a[n])<=1.0+ANG_ORTH_TOL) ) return SPEC_OK;
  }
  aTau = specMalloc(sizeof(double)*(size_t)k);
  if( aTau==0 ) return SPEC_NOMEM;
  info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, d, k, a, d, aTau, &q1, -1);
  pSt->zRoutine = "dgeqrf";
  if( info==0 ){
    info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, d, k, k, a, d, aTau, &q2,
                               -1);
    pSt->zRoutine = "dorgqr";
  }
  if( info!=0 ){
    pSt->info = info;
    rc = SPEC_LAPACK;
    goto orth_out;
  }
  if( q2>q1 ) q1 = q2;
  aWork = specMalloc(sizeof(double)*((size_t)q1 + 1));
  if( aWork==0 ){
    rc = SPEC_NOMEM;
    goto orth_out;
  }
  info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, d, k, a, d, aTau, aWork,
                             (int)q1);
  pSt->zRoutine = "dgeqrf";
  if( info==0 ){
    for(j=0; j<k; j++){
      for(i=0; i<=j; i++){
        double r = fabs(fabs(a[i+(size_t)j*d]) - (i==j ? 1.0 : 0.0));
        if( !(r<=ANG_ORTH_TOL) ) bOrtho = 0;
      }
    }
    if( bOrtho ){
      info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, d, k, k, a, d, aTau,
                                 aWork, (int)q1);
      pSt->zRoutine = "dorgqr";
    }
  }
  if( info!=0 ){
    pSt->info = info;
    rc = SPEC_LAPACK;
  }
  *pbOrtho = bOrtho;
orth_out:
  specFree(aWork);
  specFree(aTau);
  return rc;
}

/* Singular values of the m x n column-major a (m >= n; destroyed), in
** descending order, into s[0..n-1]. dgesvd: the robust one (TRAPS 4). */
static int angSvdVals(double *a, int m, int n, double *s, SpecStatus *pSt){
  double q = 0.0, *aWork = 0;
  int info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', m, n, a, m, s,
                                 0, 1, 0, 1, &q, -1);
  if( info==0 ){
    aWork = specMalloc(sizeof(double)*((size_t)q + 1));
    if( aWork==0 ) return SPEC_NOMEM;
    info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, 'N', 'N', m, n, a, m, s,
                               0, 1, 0, 1, aWork, (int)q);
    specFree(aWork);
  }
  if( info!=0 ){
    pSt->zRoutine = "dgesvd";
    pSt->info = info;
    return SPEC_LAPACK;
  }
  return SPEC_OK;
}

/*
** Principal angles between the spans of the orthonormal columns of qa
** (d x ka) and qb (d x kb), column-major, into theta[0..min(ka,kb)-1],
** ascending. The one of fewer columns (qb on a tie: scipy's choice) is
** overwritten. SPEC_OK, SPEC_NOMEM or SPEC_LAPACK.
*/
static int angPrincipal(double *qa, int ka, double *qb, int kb, int d,
                        double *theta, SpecStatus *pSt){
  const double *qL = ka>=kb ? qa : qb;   /* more columns */
  double *qS = ka>=kb ? qb : qa;
  int kL = ka>=kb ? ka : kb, kS = ka>=kb ? kb : ka;
  double *aM = specMalloc(sizeof(double)*((size_t)kL*kS + 2*(size_t)kS));
  double *aCos, *aSin;
  int i, j, bSine = 0, rc;
  if( aM==0 ) return SPEC_NOMEM;
  aCos = aM + (size_t)kL*kS;
  aSin = aCos + kS;
  /* M = qL' qS, then qS := qS - qL M, its part outside qL's span */
  cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, kL, kS, d, 1.0, qL, d,
              qS, d, 0.0, aM, kL);
  cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, d, kS, kL, -1.0, qL,
              d, aM, kL, 1.0, qS, d);
  rc = angSvdVals(aM, kL, kS, aCos, pSt);
  for(i=0; rc==SPEC_OK && i<kS; i++) bSine |= aCos[i]*aCos[i]>=0.5;
  if( rc==SPEC_OK && bSine ) rc = angSvdVals(qS, d, kS, aSin, pSt);
  if( rc==SPEC_OK ){
    /* aCos descends: angle i ascending; its sine is aSin[kS-1-i] */
    for(i=0; i<kS; i++){
      theta[i] = aCos[i]*aCos[i]>=0.5 ? asin(fmin(aSin[kS-1-i], 1.0))
                                      : acos(fmin(aCos[i], 1.0));
    }
    /* where the two methods meet, near pi/4, one ulp may be out of order */
    for(i=1; i<kS; i++){
      double t = theta[i];
      for(j=i; j>0 && theta[j-1]>t; j--) theta[j] = theta[j-1];
      theta[j] = t;
    }
  }
  specFree(aM);
  return rc;
}

/* A failure of the numerics (rc not SPEC_OK) as zFunc's error. */
static void angNumericsError(sqlite3_context *ctx, int rc,
                             const SpecStatus *pSt, const char *zFunc, int d){
  if( rc==SPEC_NOMEM ){
    sqlite3_result_error_nomem(ctx);
  }else if( pSt->info<0 ){
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "%s(): internal error: LAPACK %s rejected argument %d (a bug in "
        "sqlite-svd; please report it)", zFunc, pSt->zRoutine, -pSt->info));
  }else{
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "%s(): LAPACK %s did not converge (info %d) on bases of %d "
        "dimensions", zFunc, pSt->zRoutine, pSt->info, d));
  }
}

/* svd_angles(BASIS_A, BASIS_B) */
void angAnglesFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  BasisData a, b;
  SpecStatus st = {0, 0};
  double *aTheta = 0;
  char *zErr = 0, *zOut;
  sqlite3_int64 nOut = 0;
  int rc, kS, bOrthoA = 0, bOrthoB = 0;
  (void)argc;
  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  rc = basisRead(argv[0], "svd_angles", "BASIS_A", &a, &zErr);
  if( rc==SQLITE_OK ){
    rc = basisRead(argv[1], "svd_angles", "BASIS_B", &b, &zErr);
  }
  if( rc==SQLITE_OK && a.nDim!=b.nDim ){
    zErr = sqlite3_mprintf("svd_angles(): BASIS_A has %d dimensions and "
        "BASIS_B has %d; expected two bases of the same d", a.nDim, b.nDim);
    rc = SQLITE_ERROR;
  }
  if( rc ){
    svdResultError(ctx, rc, zErr);
    goto angles_out;
  }
  kS = a.nK<b.nK ? a.nK : b.nK;
  aTheta = sqlite3_malloc64(sizeof(double)*(sqlite3_uint64)kS);
  if( aTheta==0 ){
    sqlite3_result_error_nomem(ctx);
    goto angles_out;
  }
  rc = angOrth(a.aDir, a.nDim, a.nK, &bOrthoA, &st);
  if( rc==SPEC_OK && bOrthoA ){
    rc = angOrth(b.aDir, b.nDim, b.nK, &bOrthoB, &st);
  }
  if( rc==SPEC_OK && !(bOrthoA && bOrthoB) ){
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "svd_angles(): %s's directions are not orthonormal; it is corrupted",
        bOrthoA ? "BASIS_B" : "BASIS_A"));
    goto angles_out;
  }
  if( rc==SPEC_OK ){
    rc = angPrincipal(a.aDir, a.nK, b.aDir, b.nK, a.nDim, aTheta, &st);
  }
  if( rc!=SPEC_OK ){
    angNumericsError(ctx, rc, &st, "svd_angles", a.nDim);
  }else if( (zOut = vecToJson(aTheta, kS, 0, &nOut))==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    sqlite3_result_text64(ctx, zOut, (sqlite3_uint64)nOut, sqlite3_free,
                          SQLITE_UTF8);
    sqlite3_result_subtype(ctx, SVD_JSON_SUBTYPE);
  }
angles_out:
  sqlite3_free(aTheta);
  basisFree(&a);
  basisFree(&b);
}

/* svd_residual(BASIS, X) */
void angResidualFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  BasisData bd;
  VecBuf buf = {0, 0, 0, 0};
  double *aCoord = 0, *y;
  float *aOut = 0;
  char *zErr = 0;
  int rc, d, j, iPass;
  (void)argc;
  memset(&bd, 0, sizeof(bd));
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  rc = basisRead(argv[0], "svd_residual", "BASIS", &bd, &zErr);
  if( rc==SQLITE_OK ) rc = vecRead(argv[1], "svd_residual", "X", &buf, &zErr);
  if( rc==SQLITE_OK && buf.n!=bd.nDim ){
    zErr = sqlite3_mprintf("svd_residual(): X has %lld dimensions; the basis "
                           "has %d", buf.n, bd.nDim);
    rc = SQLITE_ERROR;
  }
  d = bd.nDim;
  y = buf.a;
  for(j=0; rc==SQLITE_OK && bd.bCenter && j<d; j++){
    y[j] = (y[j] - bd.aMean[j]) - bd.aMean[d+j];
    if( !isfinite(y[j]) ){
      zErr = sqlite3_mprintf("svd_residual(): x - mean overflows a double at "
          "element %d; X is too far from the mean", j+1);
      rc = SQLITE_ERROR;
    }
  }
  if( rc==SQLITE_OK ){
    aCoord = sqlite3_malloc64(sizeof(double)*(sqlite3_uint64)bd.nK);
    aOut = sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)d);
    if( aCoord==0 || aOut==0 ) rc = SQLITE_NOMEM;
  }
  /* y -= V'(V y), twice: the second pass takes out what the first one's
  ** rounding (about 1e-16 of |x - mean|) left along the directions */
  for(iPass=0; rc==SQLITE_OK && iPass<2; iPass++){
    cblas_dgemv(CblasRowMajor, CblasNoTrans, bd.nK, d, 1.0, bd.aDir, d, y, 1,
                0.0, aCoord, 1);
    cblas_dgemv(CblasRowMajor, CblasTrans, bd.nK, d, -1.0, bd.aDir, d, aCoord,
                1, 1.0, y, 1);
  }
  for(j=0; rc==SQLITE_OK && j<d; j++){
    aOut[j] = (float)y[j];
    if( !isfinite(aOut[j]) ){
      zErr = sqlite3_mprintf("svd_residual(): element %d of the residual is "
          "beyond the range of float32; X is too far from %s", j+1,
          bd.bCenter ? "the mean" : "the directions' span");
      rc = SQLITE_ERROR;
    }
  }
  if( rc ){
    svdResultError(ctx, rc, zErr);
    sqlite3_free(aOut);
  }else{
    sqlite3_result_blob64(ctx, aOut, sizeof(float)*(sqlite3_uint64)d,
                          sqlite3_free);
  }
  sqlite3_free(aCoord);
  vecBufFree(&buf);
  basisFree(&bd);
}
