/*
** cka.c: linear centered kernel alignment of two representations of the
** same rows (Kornblith, Norouzi, Lee & Hinton 2019, "Similarity of Neural
** Network Representations Revisited", ICML),
**
**   svd_cka(X, Y [, OPTIONS])  aggregate over pairs of rows, a REAL
**
**   SELECT svd_cka(a.vec, b.vec) FROM emb_a AS a JOIN emb_b AS b USING(id);
**   -> 0.83...
**
** With Xc, Yc the n x dX and n x dY matrices of the pairs, column-centered,
**
**   CKA = ||Yc'Xc||_F^2 / (||Xc'Xc||_F * ||Yc'Yc||_F)
**       = <K, L>_F / (||K||_F * ||L||_F),  K = Xc Xc', L = Yc Yc'.
**
** Rules:
**   1. A pair is skipped when X or Y is NULL (neither is then read); rows
**      are counted among the pairs kept, 1-based. No pair: NULL.
**   2. Every X has the first X's d, every Y the first Y's d, else
**      "svd_cka(): Y of row 3 has 4 dimensions, expected 5". dX and dY may
**      differ.
**   3. OPTIONS: center=true|false (default true), the same text on every
**      row. false gives the alignment of the raw rows' linear kernels.
**   4. Centered, a group of exactly one pair is an error (CKA needs two
**      rows to have any spread); uncentered it is defined.
**   5. X or Y without spread (every row equal when centering, every value 0
**      when not): NULL, as CKA is 0/0 there.
**   6. The result is in [0, 1]: rounding that crosses either end is
**      clamped.
**
** Numerics (ckaValue below): the pairs are kept as doubles; each side is
** centered as svd_spectrum centers (specPrepare: the mean's rounding is
** removed by a Householder reflector, so a shared mean 1e6 times the spread
** costs nothing), scaled by a power of two so that its largest value is in
** [0.5, 1) (CKA does not change under a scale of X or of Y; no square or
** fourth power can then overflow or underflow), and then the cheaper of
** the two Gram-free forms runs: the m x m kernels K, L when the m rows that
** centering leaves are fewer than dX + dY, else the dX x dX, dY x dY and
** dY x dX cross-products. Both reflectors are the same (H depends on n
** alone), so the cross-product of the reflected sides is the centered one.
*/
#include "aggregate.h"
#include "glue.h"

#include <cblas.h>
#include <math.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

/* ------------------------------------------------------------------------
** Numerics: no SQLite types.
*/

/* Is every row of the n x d row-major a[] equal to the first? */
static int ckaConstant(const double *a, sqlite3_int64 n, int d){
  sqlite3_int64 i;
  int j;
  for(i=1; i<n; i++){
    const double *r = a + i*d;
    for(j=0; j<d; j++){
      if( r[j]!=a[j] ) return 0;
    }
  }
  return 1;
}

/*
** One side: center (bCenter) the n x d rows a[] (overwritten) and scale
** them so that the largest |value| is in [0.5, 1). *pB then points at the
** m rows that remain, as the columns of a d x m column-major matrix whose
** cross-products are the centered ones; *pM = 0 when the side has no
** spread (rule 5).
*/
static int ckaSide(double *a, sqlite3_int64 n, int d, int bCenter,
                   double **pB, int *pM, SpecStatus *pSt){
  double *aMean, amax;
  int e, rc;
  *pB = a;
  *pM = 0;
  if( bCenter && ckaConstant(a, n, d) ) return SPEC_OK;
  aMean = specMalloc(sizeof(double)*(size_t)d*2);
  if( aMean==0 ) return SPEC_NOMEM;
  rc = specPrepare(a, n, d, bCenter, aMean, &e, pB, pM, pSt);
  specFree(aMean);
  if( rc || *pM==0 ) return rc;
  /* m*d < 2^31: the caller keeps n*(dX+dY) below AGG_MAX_BYTES/8 */
  amax = fabs((*pB)[cblas_idamax(*pM*d, *pB, 1)]);
  if( amax==0.0 ){
    *pM = 0;
  }else{
    specScalePow2(*pB, (sqlite3_int64)*pM*d, -(ilogb(amax)+1));
  }
  return SPEC_OK;
}

/* Copy the upper triangle of the k x k column-major c into its lower one,
** so that the whole matrix can go to one dot product. */
static void ckaSymmetrize(double *c, int k){
  int i, j;
  for(j=0; j<k; j++){
    for(i=j+1; i<k; i++) c[i + (size_t)j*k] = c[j + (size_t)i*k];
  }
}

/*
** <K,L>, ||K||^2 and ||L||^2 into r[0..2], from the centered, scaled sides
** bX (dX x m) and bY (dY x m), by the cheaper form (see the header).
*/
static int ckaProducts(const double *bX, const double *bY, int m, int dX,
                       int dY, double *r){
  double *c1, *c2, *c3 = 0;
  int bKernel = (sqlite3_int64)m < (sqlite3_int64)dX + dY;
  int n1 = bKernel ? m : dX, n2 = bKernel ? m : dY;
  int rc = SPEC_NOMEM;

  c1 = specMalloc(sizeof(double)*(size_t)n1*n1);
  c2 = specMalloc(sizeof(double)*(size_t)n2*n2);
  if( !bKernel ) c3 = specMalloc(sizeof(double)*(size_t)dX*dY);
  if( c1==0 || c2==0 || (!bKernel && c3==0) ) goto products_out;
  if( bKernel ){
    /* K = Xc Xc', L = Yc Yc' (m x m): the rows are the columns of bX, bY */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, m, dX, 1.0, bX, dX,
                0.0, c1, m);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, m, dY, 1.0, bY, dY,
                0.0, c2, m);
  }else{
    /* Xc'Xc (dX x dX), Yc'Yc (dY x dY), Yc'Xc (dY x dX) */
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, dX, m, 1.0, bX, dX,
                0.0, c1, dX);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, dY, m, 1.0, bY, dY,
                0.0, c2, dY);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, dY, dX, m, 1.0,
                bY, dY, bX, dX, 0.0, c3, dY);
  }
  if( specCancelled() ){
    rc = SPEC_INTERRUPT;
    goto products_out;
  }
  ckaSymmetrize(c1, n1);
  ckaSymmetrize(c2, n2);
  /* ||Yc'Xc||^2 = <K,L>: a sum of squares in the second form */
  r[0] = bKernel ? cblas_ddot(m*m, c1, 1, c2, 1)
                 : cblas_ddot(dX*dY, c3, 1, c3, 1);
  r[1] = cblas_ddot(n1*n1, c1, 1, c1, 1);
  r[2] = cblas_ddot(n2*n2, c2, 1, c2, 1);
  rc = SPEC_OK;

products_out:
  specFree(c1);
  specFree(c2);
  specFree(c3);
  return rc;
}

/*
** CKA of the n pairs, X rows aX (n x dX) and Y rows aY (n x dY), row-major
** (both overwritten), into *pCka; *pbNull = 1 instead when it is undefined
** (rule 5). n*(dX+dY) must stay below 2^31. SPEC_OK, SPEC_NOMEM,
** SPEC_LAPACK or SPEC_INTERRUPT.
*/
static int ckaValue(double *aX, double *aY, sqlite3_int64 n, int dX, int dY,
                    int bCenter, double *pCka, int *pbNull, SpecStatus *pSt){
  double *bX, *bY, r[3], v;
  int mX, mY, rc;

  *pbNull = 1;
  rc = ckaSide(aX, n, dX, bCenter, &bX, &mX, pSt);
  if( rc || mX==0 ) return rc;
  if( specCancelled() ) return SPEC_INTERRUPT;
  rc = ckaSide(aY, n, dY, bCenter, &bY, &mY, pSt);
  if( rc || mY==0 ) return rc;
  if( specCancelled() ) return SPEC_INTERRUPT;
  rc = ckaProducts(bX, bY, mX, dX, dY, r);
  if( rc ) return rc;
  if( r[1]==0.0 || r[2]==0.0 ) return SPEC_OK;
  v = r[0] / (sqrt(r[1]) * sqrt(r[2]));
  *pCka = v<0.0 ? 0.0 : (v>1.0 ? 1.0 : v);
  *pbNull = 0;
  return SPEC_OK;
}

/* ------------------------------------------------------------------------
** SQL glue.
*/

/* A group of pairs. */
typedef struct CkaAgg CkaAgg;
struct CkaAgg {
  double *aX;             /* nRow x nDimX values of X, row-major */
  double *aY;             /* nRow x nDimY values of Y, row-major */
  sqlite3_int64 nRow;     /* pairs kept (neither side NULL) */
  sqlite3_int64 nRowAlloc;/* pairs aX and aY have room for */
  sqlite3_int64 nDimX;    /* dX, set by the first pair */
  sqlite3_int64 nDimY;    /* dY, set by the first pair */
  VecBuf bufX, bufY;      /* the current pair, parsed */
  char *zOpt;             /* OPTIONS text of the first row ('' if none) */
  SvdOptions opt;         /* zOpt, parsed */
};

static void ckaFree(CkaAgg *p){
  sqlite3_free(p->aX);
  sqlite3_free(p->aY);
  sqlite3_free(p->zOpt);
  vecBufFree(&p->bufX);
  vecBufFree(&p->bufY);
  specSetCancel(0, 0);  /* the final step's probe, if it set one */
  memset(p, 0, sizeof(*p));
}

/* First row: parse OPTIONS and keep its text; later rows: the same text. */
static int ckaOptions(CkaAgg *p, sqlite3_value *pOpt, char **pzErr){
  return optGroup(pOpt, "svd_cka", OPT_CENTER, &p->zOpt, &p->opt, pzErr);
}

/* Read side zSide ("X" or "Y") of pair iRow into pBuf and check its d
** against *pnDim (set from the first pair). */
static int ckaRead(sqlite3_value *pVal, const char *zSide, sqlite3_int64 iRow,
                   sqlite3_int64 *pnDim, VecBuf *pBuf, char **pzErr){
  char zWhat[48];
  int rc;
  sqlite3_snprintf(sizeof(zWhat), zWhat, "%s of row %lld", zSide, iRow);
  rc = vecRead(pVal, "svd_cka", zWhat, pBuf, pzErr);
  if( rc ) return rc;
  if( iRow==1 ){
    *pnDim = pBuf->n;
  }else if( pBuf->n!=*pnDim ){
    *pzErr = sqlite3_mprintf("svd_cka(): %s has %lld dimension%s, expected %lld",
                             zWhat, pBuf->n, pBuf->n==1 ? "" : "s", *pnDim);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

/* Room for one more pair: both sides' rows together at most AGG_MAX_BYTES,
** as svd_spectrum's exact method keeps (each is one SQLite allocation). */
static int ckaReserve(CkaAgg *p, char **pzErr){
  sqlite3_int64 nPer = p->nDimX + p->nDimY;
  sqlite3_int64 nMax = AGG_MAX_BYTES/(nPer*(sqlite3_int64)sizeof(double));
  if( p->nRow>=p->nRowAlloc ){
    sqlite3_int64 nNew = p->nRowAlloc ? p->nRowAlloc*2 : 16;
    double *a;
    if( p->nRow>=nMax ){
      *pzErr = sqlite3_mprintf(
          "svd_cka(): the group exceeds %lld pairs of %lld and %lld "
          "dimensions, the 2 GiB of doubles svd_cka may keep", nMax,
          p->nDimX, p->nDimY);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if( nNew>nMax ) nNew = nMax;
    a = sqlite3_realloc64(p->aX,
                          (sqlite3_uint64)(nNew*p->nDimX)*sizeof(double));
    if( a==0 ) return SQLITE_NOMEM;
    p->aX = a;
    a = sqlite3_realloc64(p->aY,
                          (sqlite3_uint64)(nNew*p->nDimY)*sizeof(double));
    if( a==0 ) return SQLITE_NOMEM;
    p->aY = a;
    p->nRowAlloc = nNew;
  }
  return SQLITE_OK;
}

/* svd_cka(X, Y [, OPTIONS]): step */
void ckaStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  CkaAgg *p = sqlite3_aggregate_context(ctx, sizeof(CkaAgg));
  char *zErr = 0;
  int rc;
  if( p==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  rc = ckaOptions(p, argc>2 ? argv[2] : 0, &zErr);
  if( rc ) goto step_error;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  rc = ckaRead(argv[0], "X", p->nRow+1, &p->nDimX, &p->bufX, &zErr);
  if( rc==SQLITE_OK ){
    rc = ckaRead(argv[1], "Y", p->nRow+1, &p->nDimY, &p->bufY, &zErr);
  }
  if( rc==SQLITE_OK ) rc = ckaReserve(p, &zErr);
  if( rc ) goto step_error;
  memcpy(p->aX + p->nRow*p->nDimX, p->bufX.a,
         sizeof(double)*(size_t)p->nDimX);
  memcpy(p->aY + p->nRow*p->nDimY, p->bufY.a,
         sizeof(double)*(size_t)p->nDimY);
  p->nRow++;
  return;

step_error:
  ckaFree(p);
  svdResultError(ctx, rc, zErr);
}

/* svd_cka(X, Y [, OPTIONS]): final */
void ckaFinal(sqlite3_context *ctx){
  CkaAgg *p = sqlite3_aggregate_context(ctx, 0);
  SpecStatus st = {0, 0};
  double v = 0.0;
  int bNull = 1, rc;
  if( p==0 || p->nRow==0 ){
    if( p ) ckaFree(p);
    sqlite3_result_null(ctx);
    return;
  }
  if( p->nRow==1 && p->opt.bCenter ){
    ckaFree(p);
    sqlite3_result_error(ctx, "svd_cka(): the group has 1 pair of rows; "
        "centered CKA needs at least 2 pairs (center=false aligns a single "
        "pair)",
        -1);
    return;
  }
  /* SQLite runs xFinal on an interrupted statement too (TRAP 3) */
  if( p->nRow*(p->nDimX + p->nDimY)>=AGG_PROBE_VALUES ){
    if( aggProbe(ctx) ){
      rc = SPEC_INTERRUPT;
      goto final_out;
    }
    specSetCancel(aggProbe, ctx);
  }
  rc = ckaValue(p->aX, p->aY, p->nRow, (int)p->nDimX, (int)p->nDimY,
                p->opt.bCenter, &v, &bNull, &st);

final_out:
  if( rc ){
    AggSpectrum a;  /* aggSpecError's messages, for this group */
    memset(&a, 0, sizeof(a));
    a.zFunc = "svd_cka";
    a.nRow = p->nRow;
    a.nDim = p->nDimX + p->nDimY;
    aggSpecError(ctx, rc, &st, &a);
  }else if( bNull ){
    sqlite3_result_null(ctx);
  }else{
    sqlite3_result_double(ctx, v);
  }
  ckaFree(p);
}
