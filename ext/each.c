/*
** each.c: svd_spectrum_each(SPECTRUM), a table-valued function.
**
**   SELECT k, round(ratio, 3), bar
**   FROM svd_spectrum_each((SELECT svd_spectrum(vec) FROM emb));
**
** One row per singular value of SPECTRUM, a JSON array of finite
** non-negative numbers such as svd_spectrum() returns:
**   k           1-based position
**   sigma       the value
**   energy      sigma^2 as a double: Inf above 1.34e154, 0.0 below 1.57e-162
**   ratio       sigma^2 / sum of sigma^2 (NULL when every value is 0)
**   cumulative  sum of sigma_i^2 for i <= k / sum of sigma^2 (NULL likewise)
**   bar         40*sigma/max(sigma) cells of full blocks, the remainder in
**               eighth blocks; max(sigma) is sigma_1 for svd_spectrum()'s
**               descending output
** NULL gives no rows; anything else is an error naming the function.
**
** ratio and cumulative are computed on the values times a power of two that
** brings the largest into [0.5, 1): exact scaling, so sigma^2 can neither
** overflow nor underflow into a wrong ratio at any scale, and ordinary
** spectra give the same bits as unscaled arithmetic. The last cumulative is
** 1 exactly (the same sum in the same order).
*/
#include "glue.h"
#include "vector.h"

#include <math.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define EACH_SCHEMA \
  "CREATE TABLE x(k INTEGER, sigma REAL, energy REAL, ratio REAL," \
  " cumulative REAL, bar TEXT, spectrum HIDDEN)"
#define EACH_K          0
#define EACH_SIGMA      1
#define EACH_ENERGY     2
#define EACH_RATIO      3
#define EACH_CUMULATIVE 4
#define EACH_BAR        5
#define EACH_SPECTRUM   6

#define EACH_BAR_CELLS 40

typedef struct EachCursor EachCursor;
struct EachCursor {
  sqlite3_vtab_cursor base;   /* base class, first */
  VecBuf buf;                 /* the spectrum's values */
  double *aCum;               /* cumulative, buf.n entries */
  double rTotal;              /* sum of (sigma*2^iScale)^2 */
  int iScale;                 /* the exponent that scales rMax into [0.5,1) */
  double rMax;                /* largest sigma */
  sqlite3_int64 iRow;         /* 0-based current row */
  sqlite3_value *pSpectrum;   /* the argument, for the hidden column */
};

static int eachConnect(sqlite3 *db, void *pAux, int argc,
                       const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr){
  sqlite3_vtab *pNew;
  int rc;
  (void)pAux; (void)argc; (void)argv; (void)pzErr;
  rc = sqlite3_declare_vtab(db, EACH_SCHEMA);
  if( rc!=SQLITE_OK ) return rc;
  pNew = sqlite3_malloc(sizeof(*pNew));
  if( pNew==0 ) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = pNew;
  return SQLITE_OK;
}

static int eachDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

static int eachOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  EachCursor *pCur = sqlite3_malloc(sizeof(*pCur));
  (void)pVtab;
  if( pCur==0 ) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  *ppCur = &pCur->base;
  return SQLITE_OK;
}

static void eachReset(EachCursor *pCur){
  vecBufFree(&pCur->buf);
  sqlite3_free(pCur->aCum);
  pCur->aCum = 0;
  pCur->iRow = 0;
  sqlite3_value_free(pCur->pSpectrum);
  pCur->pSpectrum = 0;
}

static int eachClose(sqlite3_vtab_cursor *cur){
  EachCursor *pCur = (EachCursor*)cur;
  eachReset(pCur);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int eachError(sqlite3_vtab *pVtab, int rc, char *zErr){
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zErr;
  return (rc==SQLITE_NOMEM || zErr==0) ? SQLITE_NOMEM : SQLITE_ERROR;
}

/* Parse and check SPECTRUM; precompute the totals. */
static int eachFilter(sqlite3_vtab_cursor *cur, int idxNum,
                      const char *idxStr, int argc, sqlite3_value **argv){
  EachCursor *pCur = (EachCursor*)cur;
  sqlite3_vtab *pVtab = cur->pVtab;
  sqlite3_value *pVal = argc>0 ? argv[0] : 0;
  char *zErr = 0;
  double rCum = 0.0;
  sqlite3_int64 i;
  int rc, eType = pVal ? sqlite3_value_type(pVal) : SQLITE_NULL;
  (void)idxStr;

  eachReset(pCur);
  if( idxNum==0 ){
    return eachError(pVtab, SQLITE_ERROR, sqlite3_mprintf(
        "svd_spectrum_each(): missing argument; expected "
        "svd_spectrum_each(SPECTRUM), a JSON array such as svd_spectrum() "
        "returns"));
  }
  if( eType==SQLITE_NULL ) return SQLITE_OK;
  rc = vecReadSpectrum(pVal, "svd_spectrum_each", &pCur->buf, &zErr);
  if( rc ){
    pCur->buf.n = 0;
    return eachError(pVtab, rc, zErr);
  }
  pCur->rTotal = 0.0;
  pCur->rMax = 0.0;
  for(i=0; i<pCur->buf.n; i++){
    if( pCur->buf.a[i]>pCur->rMax ) pCur->rMax = pCur->buf.a[i];
  }
  frexp(pCur->rMax, &pCur->iScale);
  pCur->iScale = -pCur->iScale;
  for(i=0; i<pCur->buf.n; i++){
    double x = ldexp(pCur->buf.a[i], pCur->iScale);
    pCur->rTotal += x*x;
  }
  pCur->aCum = sqlite3_malloc64((sqlite3_uint64)pCur->buf.n*sizeof(double));
  if( pCur->aCum==0 ){
    pCur->buf.n = 0;
    return SQLITE_NOMEM;
  }
  pCur->pSpectrum = sqlite3_value_dup(pVal);
  if( pCur->pSpectrum==0 ){
    pCur->buf.n = 0;
    return SQLITE_NOMEM;
  }
  for(i=0; i<pCur->buf.n; i++){
    double x = ldexp(pCur->buf.a[i], pCur->iScale);
    rCum += x*x;
    pCur->aCum[i] = pCur->rTotal>0.0 ? rCum/pCur->rTotal : 0.0;
  }
  return SQLITE_OK;
}

static int eachNext(sqlite3_vtab_cursor *cur){
  ((EachCursor*)cur)->iRow++;
  return SQLITE_OK;
}

static int eachEof(sqlite3_vtab_cursor *cur){
  EachCursor *pCur = (EachCursor*)cur;
  return pCur->iRow>=pCur->buf.n;
}

static int eachRowid(sqlite3_vtab_cursor *cur, sqlite_int64 *pRowid){
  *pRowid = ((EachCursor*)cur)->iRow + 1;
  return SQLITE_OK;
}

/* The scree bar of value v: full blocks, then one eighth block. */
static void eachBar(sqlite3_context *ctx, double v, double rMax){
  static const char *azEighth[] = {
    "", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"
  };
  char z[EACH_BAR_CELLS*3 + 4];
  int nEighths = 0, i, n = 0;
  if( rMax>0.0 ){
    nEighths = (int)floor(v/rMax*EACH_BAR_CELLS*8 + 0.5);
  }
  for(i=0; i<nEighths/8; i++){
    memcpy(z+n, "\u2588", 3);
    n += 3;
  }
  memcpy(z+n, azEighth[nEighths%8], strlen(azEighth[nEighths%8]));
  n += (int)strlen(azEighth[nEighths%8]);
  sqlite3_result_text(ctx, z, n, SQLITE_TRANSIENT);
}

static int eachColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx,
                      int iCol){
  EachCursor *pCur = (EachCursor*)cur;
  double v = pCur->buf.a[pCur->iRow];
  double x = ldexp(v, pCur->iScale);
  switch( iCol ){
    case EACH_K:
      sqlite3_result_int64(ctx, pCur->iRow+1);
      break;
    case EACH_SIGMA:
      sqlite3_result_double(ctx, v);
      break;
    case EACH_ENERGY:
      sqlite3_result_double(ctx, v*v);
      break;
    case EACH_RATIO:
      if( pCur->rTotal>0.0 ) sqlite3_result_double(ctx, x*x/pCur->rTotal);
      break;
    case EACH_CUMULATIVE:
      if( pCur->rTotal>0.0 ) sqlite3_result_double(ctx, pCur->aCum[pCur->iRow]);
      break;
    case EACH_BAR:
      eachBar(ctx, v, pCur->rMax);
      break;
    default:
      sqlite3_result_value(ctx, pCur->pSpectrum);
      break;
  }
  return SQLITE_OK;
}

/*
** The SPECTRUM argument is an equality constraint on the hidden column.
** Offered but unusable (a join not yet positioned): SQLITE_CONSTRAINT, so
** the planner finds another order. Not offered: the planner may be probing
** (an OR in WHERE asks per term), so answer with a plan too costly to pick
** when another exists; if it is still picked, the argument really is
** missing and eachFilter says so (idxNum 0).
*/
static int eachBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pIdx){
  int i, bSeen = 0;
  (void)pVtab;
  for(i=0; i<pIdx->nConstraint; i++){
    const struct sqlite3_index_constraint *pC = &pIdx->aConstraint[i];
    if( pC->iColumn!=EACH_SPECTRUM || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ){
      continue;
    }
    bSeen = 1;
    if( pC->usable ){
      pIdx->aConstraintUsage[i].argvIndex = 1;
      pIdx->aConstraintUsage[i].omit = 1;
      pIdx->idxNum = 1;
      pIdx->estimatedCost = 10.0;
      pIdx->estimatedRows = 100;
      return SQLITE_OK;
    }
  }
  if( bSeen ) return SQLITE_CONSTRAINT;
  pIdx->idxNum = 0;
  pIdx->estimatedCost = 1e300;
  pIdx->estimatedRows = 1000000000;
  return SQLITE_OK;
}

sqlite3_module eachModule = {
  .iVersion = 0,
  .xCreate = 0,               /* eponymous only */
  .xConnect = eachConnect,
  .xBestIndex = eachBestIndex,
  .xDisconnect = eachDisconnect,
  .xOpen = eachOpen,
  .xClose = eachClose,
  .xFilter = eachFilter,
  .xNext = eachNext,
  .xEof = eachEof,
  .xColumn = eachColumn,
  .xRowid = eachRowid,
};
