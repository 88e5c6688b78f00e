/*
** aggregate.c: the aggregates over a group's rows,
**
**   svd_spectrum(X [, OPTIONS])  its singular values, JSON text
**   svd_basis(X, K [, OPTIONS])  its mean and top K principal directions, a
**                                BLOB (layout in basis.c)
**
**   SELECT category, svd_spectrum(vec) FROM emb GROUP BY category;
**   -> '[2.75,1.5,0.0]'
**
** Rules:
**   1. The singular values of the group's n x d matrix, column mean
**      subtracted unless OPTIONS says center=false, as JSON text in
**      descending order: min(n, d) values, each the shortest text that reads
**      back to the same double.
**   2. NULL rows are skipped; rows are counted among the non-NULL ones. A
**      group with no non-NULL row gives NULL. n = 1 gives [0.0].
**   3. Every row has the d of the group's first row, else
**      "svd_spectrum(): row 17 has 384 dimensions, expected 768".
**   4. OPTIONS is the same text on every row of the group.
**   5. OPTIONS method= picks how (README, "Numerics"):
**      exact  keeps the rows as doubles, at most AGG_MAX_BYTES of them
**             (below SQLite's 2 GiB allocation limit), min(n, d) <=
**             SPEC_MAX_K, and runs the backward-stable SVD (spectrum.c);
**      gram   streams them into a d x d co-moment matrix, d <= GRAM_MAX_D
**             (gram.c), O(d^2) memory whatever n is; it keeps the rows
**             as auto does, so that a group of n <= d rows takes its n x n
**             Gram matrix instead (svd_spectrum; svd_basis streams them),
**             and a window frame can drop rows;
**      auto   keeps the rows as exact does until the group has more than
**             2d rows and more than AGG_AUTO_BYTES of them, then moves
**             them into the gram accumulator and streams the rest.
**      A window frame (xValue called) keeps its rows from then on.
**   6. svd_basis: K is an INTEGER, the same on every row, from 1 to
**      min(n, d) (checked when the group is complete).
*/
#include "aggregate.h"
#include "glue.h"

#include <stdio.h>
#include <string.h>
SQLITE_EXTENSION_INIT3


/* The first allocation for a group's rows: 256 KiB, at least 16 rows, so
** that the small groups of a GROUP BY are kept without a reallocation. */
#define AGG_FIRST_BYTES ((sqlite3_int64)256<<10)

AggSpare *aggSpareNew(void){
  AggSpare *p = sqlite3_malloc(sizeof(*p));
  if( p ) memset(p, 0, sizeof(*p));
  if( p ) p->nRef = 1;
  return p;
}

void aggSpareRef(AggSpare *p){
  p->nRef++;
}

void aggSpareUnref(void *pArg){
  AggSpare *p = pArg;
  if( p && --p->nRef==0 ){
    /* the connection closes, before SQLite unloads the extension: its
    ** helper thread must not outlive the code it runs */
    specStreamFree(p->pStream);
    specHelperStop(p->pHelper);
    sqlite3_free(p->aRow);
    sqlite3_free(p);
  }
}

SpecHelper *aggHelper(AggSpectrum *p){
  AggSpare *pSpare = p->pSpare;
  if( pSpare==0 || (pSpare->pStreamer && pSpare->pStreamer!=p) ) return 0;
  if( pSpare->pHelper==0
   && (!pSpare->bHelperTried || (pSpare->bHelperWait && specHelperSpare()))
   && aggRows(p)*p->nDim>=AGG_HELPER_VALUES
   && (aggRows(p)<=AGG_HELPER_K+1 || p->nDim<=AGG_HELPER_K) ){
    pSpare->bHelperTried = 1;
    pSpare->bHelperWait = 0;
    if( specHelperAllowed() ){
      pSpare->pHelper = specHelperStart(0);
      /* refused because every spare core has one: ask again once one is
      ** free (another connection closed); not after any other failure */
      pSpare->bHelperWait = pSpare->pHelper==0 && !specHelperSpare();
    }
  }
  return pSpare->pHelper;
}

void aggStreamStop(AggSpectrum *p){
  AggSpare *pSpare = p->pSpare;
  if( pSpare && pSpare->pStreamer==p ){
    specStreamStop(pSpare->pStream);
    pSpare->pStreamer = 0;
  }
}

/* After row p->nRow came: start a stream with the group's first row, feed
** it the next, stop it when the group no longer suits it. */
static void aggStream(AggSpectrum *p){
  AggSpare *pSpare = p->pSpare;
  sqlite3_int64 mMax = p->nDim<SPEC_SMALL_K ? p->nDim : SPEC_SMALL_K;
  if( pSpare==0 ) return;
  if( mMax>p->nRowAlloc-1 ) mMax = p->nRowAlloc-1;
  if( pSpare->pStreamer==p ){
    if( p->nRow-1>mMax || p->bJson || p->bGram ){
      aggStreamStop(p);
    }else{
      specStreamPublish(pSpare->pStream, p->nRow);
    }
    return;
  }
  if( p->nRow!=1 || pSpare->pStreamer || pSpare->pHelper==0
   || pSpare->bNoStream || p->bJson || p->bGram || p->bWindow
   || !p->opt.bCenter || p->opt.eMethod==OPT_METHOD_GRAM
   || p->nDim<AGG_STREAM_MIN_D || mMax<1
   || p->nDim*mMax>AGG_SPARE_MAX_BYTES/(sqlite3_int64)sizeof(double)
   || strcmp(p->zFunc, "svd_spectrum")!=0 ){
    return;
  }
  if( pSpare->pStream==0 ) pSpare->pStream = specStreamNew();
  if( pSpare->pStream
   && specStreamBegin(pSpare->pStream, pSpare->pHelper, p->aRow,
                      (int)p->nDim, (int)mMax)==0 ){
    pSpare->pStreamer = p;
  }
}

/* The group's row buffer goes: back to the connection's spare when that is
** empty and the buffer small enough to keep, else freed. */
static void aggRowsRelease(AggSpectrum *p){
  AggSpare *pSpare = p->pSpare;
  aggStreamStop(p);
  if( pSpare && pSpare->aRow==0 && p->aRow
   && sqlite3_msize(p->aRow)<=(sqlite3_uint64)AGG_SPARE_MAX_BYTES ){
    pSpare->aRow = p->aRow;
  }else{
    sqlite3_free(p->aRow);
  }
  p->aRow = 0;
  p->nRowAlloc = 0;
}

void aggFree(AggSpectrum *p){
  const char *zFunc = p->zFunc;
  AggSpare *pSpare = p->pSpare;
  aggRowsRelease(p);
  sqlite3_free(p->pCache);
  sqlite3_free(p->zOpt);
  vecBufFree(&p->buf);
  if( p->bGram ) specGramFree(&p->gram);
  specSetCancel(0, 0);  /* the final step's probe, if it set one */
  memset(p, 0, sizeof(*p));
  p->zFunc = zFunc;
  p->pSpare = pSpare;
}

/* First row: parse OPTIONS and keep its text; later rows: the same text
** (checked for its type on every row, so that the row order cannot matter). */
static int aggOptions(AggSpectrum *p, sqlite3_value *pOpt, char **pzErr){
  return optGroup(pOpt, p->zFunc, OPT_CENTER|OPT_METHOD, &p->zOpt, &p->opt,
                  pzErr);
}

/* Room for one more row of nDim values. */
/* A window frame's rows moved to the start of the buffer. */
static void aggCompact(AggSpectrum *p){
  sqlite3_int64 d = p->nDim;
  if( p->iFirst==0 ) return;
  aggStreamStop(p);
  memmove(p->aRow, p->aRow + p->iFirst*d,
          sizeof(double)*(size_t)((p->nRow - p->iFirst)*d));
  p->nRow -= p->iFirst;
  p->iFirst = 0;
}

static int aggReserve(AggSpectrum *p, char **pzErr){
  sqlite3_int64 nMaxRow = AGG_MAX_BYTES/(p->nDim*(sqlite3_int64)sizeof(double));
  if( p->nRow>=p->nRowAlloc && p->iFirst>0 ) aggCompact(p);
  if( aggRows(p)>=SPEC_MAX_K && p->nDim>SPEC_MAX_K ){
    /* the k x k triangle would exceed the exact method's limit: say so now
    ** rather than after the whole group is read */
    *pzErr = sqlite3_mprintf(
        "%s(): a group of more than %d rows of %lld dimensions has more "
        "than %d singular values, the limit of the exact method",
        p->zFunc, SPEC_MAX_K, p->nDim, SPEC_MAX_K);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( p->aRow==0 && p->pSpare && p->pSpare->aRow ){
    /* the buffer of the connection's last group, as large as it grew */
    p->aRow = p->pSpare->aRow;
    p->pSpare->aRow = 0;
    p->nRowAlloc = (sqlite3_int64)(sqlite3_msize(p->aRow)/sizeof(double))
                   / p->nDim;
  }
  if( p->nRow>=p->nRowAlloc ){
    sqlite3_int64 nNew = p->nRowAlloc ? p->nRowAlloc*2
                                      : AGG_FIRST_BYTES/(p->nDim*8);
    double *aNew;
    if( p->nRow>=nMaxRow ){
      *pzErr = sqlite3_mprintf(
          "%s(): the group exceeds %lld rows of %lld dimensions, "
          "the 2 GiB of doubles the exact method may keep%s",
          p->zFunc, nMaxRow, p->nDim, p->nDim<=GRAM_MAX_D
          ? "; method=gram streams any number of rows in O(d^2) memory" : "");
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if( nNew<16 ) nNew = 16;
    if( nNew>nMaxRow ) nNew = nMaxRow;
    aggStreamStop(p);   /* the buffer moves */
    aNew = sqlite3_realloc64(p->aRow,
                             (sqlite3_uint64)(nNew*p->nDim)*sizeof(double));
    if( aNew==0 ) return SQLITE_NOMEM;
    p->aRow = aNew;
    p->nRowAlloc = nNew;
  }
  return SQLITE_OK;
}

int aggStartGram(AggSpectrum *p, SpecGram *pGram, char **pzErr){
  int rc;
  if( p->nDim>GRAM_MAX_D ){
    *pzErr = sqlite3_mprintf(
        "%s(): method=gram keeps a d x d matrix; d = %lld is above its limit "
        "of %d; method=exact keeps the rows instead", p->zFunc, p->nDim,
        GRAM_MAX_D);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  rc = specGramInit(pGram, (int)p->nDim, p->opt.bCenter);
  if( rc ) return SQLITE_NOMEM;
  if( pGram==&p->gram ) p->bGram = 1;
  return SQLITE_OK;
}

/* The message for SPEC_RANGE. */
static char *aggRangeError(const char *zFunc){
  return sqlite3_mprintf(
      "%s(): a row differs from the first by more than the range of a "
      "double; scale the vectors down, or use method=exact", zFunc);
}

int aggGramAdd(AggSpectrum *p, SpecGram *pGram, const double *aRow,
               char **pzErr){
  int rc = specGramAdd(pGram, aRow);
  if( rc==SPEC_RANGE ){
    *pzErr = aggRangeError(p->zFunc);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return rc ? SQLITE_NOMEM : SQLITE_OK;
}

/* Move the kept rows into the accumulator, which streams the rest. */
int aggMoveToGram(AggSpectrum *p, char **pzErr){
  sqlite3_int64 i;
  int rc = aggStartGram(p, &p->gram, pzErr);
  for(i=p->iFirst; rc==SQLITE_OK && i<p->nRow; i++){
    rc = aggGramAdd(p, &p->gram, p->aRow + i*p->nDim, pzErr);
  }
  if( rc ) return rc;
  aggRowsRelease(p);
  p->nRow -= p->iFirst;
  p->iFirst = 0;
  return SQLITE_OK;
}

/*
** Add row pX (any value; NULL is skipped) to the group p. Returns 1, or 0
** after reporting an error (and freeing the group).
*/
static int aggAddRow(sqlite3_context *ctx, AggSpectrum *p, sqlite3_value *pX,
                     sqlite3_value *pOpt){
  char *zErr = 0;
  int rc;

  rc = aggOptions(p, pOpt, &zErr);
  if( rc ) goto add_error;
  if( sqlite3_value_type(pX)==SQLITE_NULL ) return 1;

  /* A float32 row like the ones before it goes straight into its place:
  ** one pass over it instead of two (the many small groups of a GROUP BY).
  ** Only where aggReserve() has nothing to do or say, so that a bad row is
  ** still reported as itself before any limit of the group's. */
  if( p->nRow>0 && !p->bGram && p->nRow<p->nRowAlloc
   && !(aggRows(p)>=SPEC_MAX_K && p->nDim>SPEC_MAX_K) ){
    if( vecReadF32Into(pX, p->aRow + p->nRow*p->nDim, p->nDim) ){
      p->bDirty = 1;
      p->nRow++;
      goto add_auto;
    }
  }

  rc = vecReadRow(pX, p->zFunc, p->nRow+1, &p->buf, &zErr);
  if( rc ) goto add_error;
  if( p->nRow==0 ){
    p->nDim = p->buf.n;
  }else if( p->buf.n!=p->nDim ){
    zErr = sqlite3_mprintf(
        "%s(): row %lld has %lld dimension%s, expected %lld",
        p->zFunc, p->nRow+1, p->buf.n, p->buf.n==1 ? "" : "s", p->nDim);
    rc = SQLITE_ERROR;
    goto add_error;
  }
  if( p->nRow==0 && p->opt.eMethod==OPT_METHOD_GRAM && p->nDim>GRAM_MAX_D ){
    rc = aggStartGram(p, &p->gram, &zErr);  /* reports the limit */
    goto add_error;
  }
  p->bDirty = 1;
  if( p->bGram ){
    rc = aggGramAdd(p, &p->gram, p->buf.a, &zErr);
    if( rc ) goto add_error;
    p->nRow++;
    return 1;
  }
  if( p->buf.eType==VEC_JSON ) p->bJson = 1;
  rc = aggReserve(p, &zErr);
  if( rc ) goto add_error;
  memcpy(p->aRow + p->nRow*p->nDim, p->buf.a,
         (size_t)p->nDim*sizeof(double));
  p->nRow++;
add_auto:
  aggStream(p);
  if( p->opt.eMethod!=OPT_METHOD_EXACT && !p->bWindow
   && p->nRow>2*p->nDim
   && p->nRow*p->nDim*(sqlite3_int64)sizeof(double)>AGG_AUTO_BYTES
   && p->nDim<=GRAM_MAX_D ){
    rc = aggMoveToGram(p, &zErr);
    if( rc ) goto add_error;
  }
  return 1;

add_error:
  aggFree(p);
  svdResultError(ctx, rc, zErr);
  return 0;
}

/* The group's state, created on the first call; NULL after reporting OOM. */
static AggSpectrum *aggContext(sqlite3_context *ctx, const char *zFunc){
  AggSpectrum *p = sqlite3_aggregate_context(ctx, sizeof(AggSpectrum));
  if( p==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    p->zFunc = zFunc;
    p->pSpare = sqlite3_user_data(ctx);
  }
  return p;
}

/* svd_spectrum(X [, OPTIONS]): step */
void aggSpectrumStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  AggSpectrum *p = aggContext(ctx, "svd_spectrum");
  if( p ) aggAddRow(ctx, p, argv[0], argc>1 ? argv[1] : 0);
}

void aggSpecError(sqlite3_context *ctx, int rc, const SpecStatus *pSt,
                         const AggSpectrum *p){
  const char *zFunc = p->zFunc;
  sqlite3_int64 nRow = p->nRow, nDim = p->nDim;
  char *zErr = 0;
  switch( rc ){
    case SPEC_NOMEM:
      sqlite3_result_error_nomem(ctx);
      return;
    case SPEC_INTERRUPT:
      svdResultInterrupted(ctx);
      return;
    case SPEC_TOOBIG:
      zErr = sqlite3_mprintf(
          "%s(): a group of %lld rows of %lld dimensions has more "
          "than %d singular values, the limit of the exact method",
          zFunc, nRow, nDim, SPEC_MAX_K);
      break;
    case SPEC_RANGE:
      zErr = aggRangeError(zFunc);
      break;
    case SPEC_OVERFLOW:
      zErr = sqlite3_mprintf(
          "%s(): a singular value exceeds the range of a double; "
          "scale the vectors down", zFunc);
      break;
    default:
      if( pSt->info<0 ){
        zErr = sqlite3_mprintf(
            "%s(): internal error: LAPACK %s rejected argument %d "
            "(a bug in sqlite-svd; please report it)",
            zFunc, pSt->zRoutine, -pSt->info);
      }else{
        zErr = sqlite3_mprintf(
            "%s(): LAPACK %s did not converge (info %d) on a group "
            "of %lld rows of %lld dimensions",
            zFunc, pSt->zRoutine, pSt->info, nRow, nDim);
      }
      break;
  }
  svdResultError(ctx, SQLITE_ERROR, zErr);
}

#if SQLITE_VERSION_NUMBER<3041000
/* sqlite3_is_interrupted() came in 3.41 as the API table's next entry after
** value_encoding (the last one these headers know): reach it there. */
typedef struct AggApi341 AggApi341;
struct AggApi341 {
  sqlite3_api_routines base;       /* the 3.40 table */
  int (*xIsInterrupted)(sqlite3*); /* 3.41 and later */
};
#endif

/*
** Is an interrupt pending on the connection of ctx? SQLite runs xFinal even
** on an interrupted statement (TRAP 3), so a long final step asks, before
** and between its phases (specSetCancel). 3.41 and later answer through
** sqlite3_is_interrupted(), called only once the running library says it
** has one. 3.40 has none: step a trivial statement on the same connection,
** which fails with SQLITE_INTERRUPT while the interrupt is pending (a trace
** callback or an authorizer sees it as a statement). A few microseconds,
** so only groups of AGG_PROBE_VALUES values or more ask.
*/
int aggProbe(void *pCtx){
  sqlite3 *db = sqlite3_context_db_handle((sqlite3_context*)pCtx);
  sqlite3_stmt *pStmt = 0;
  int rc;
  if( sqlite3_libversion_number()>=3041000 ){
#if SQLITE_VERSION_NUMBER>=3041000
    return sqlite3_is_interrupted(db);
#else
    return ((const AggApi341*)sqlite3_api)->xIsInterrupted(db);
#endif
  }
  rc = sqlite3_prepare_v2(db, "SELECT 1", -1, &pStmt, 0);
  if( rc==SQLITE_OK ) rc = sqlite3_step(pStmt);
  sqlite3_finalize(pStmt);
  return rc==SQLITE_INTERRUPT;
}

/* Report the interrupt as the result of ctx, and free the group. */
static void aggReportInterrupt(sqlite3_context *ctx, AggSpectrum *p){
  svdResultInterrupted(ctx);
  aggFree(p);
}

/*
** Before a large group's final step: 1 after reporting a pending interrupt;
** otherwise 0, with the probe set for the numerics' phases (aggFree()
** clears it). Small groups neither probe nor set it.
*/
int aggInterrupted(sqlite3_context *ctx, AggSpectrum *p){
  if( p->nRow*p->nDim<AGG_PROBE_VALUES ) return 0;
  if( aggProbe(ctx) ){
    aggReportInterrupt(ctx, p);
    return 1;
  }
  specSetCancel(aggProbe, ctx);
  return 0;
}

/* svd_basis(X, K [, OPTIONS]): step */
void aggBasisStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  AggSpectrum *p = aggContext(ctx, "svd_basis");
  sqlite3_int64 nK;
  int eType = sqlite3_value_type(argv[1]);
  if( p==0 ) return;
  if( eType!=SQLITE_INTEGER || (nK = sqlite3_value_int64(argv[1]))<1 ){
    /* K as the message names it: the number, "a REAL, 2.5", "TEXT '2'"
    ** when the text reads as a number (a bare "K is 2" would contradict
    ** "expected an INTEGER"), else the type */
    char z[FMT_MAX+16];
    const char *zK = eType==SQLITE_TEXT
                   ? (const char*)sqlite3_value_text(argv[1]) : 0;
    if( eType==SQLITE_INTEGER ){
      snprintf(z, sizeof(z), "%lld", sqlite3_value_int64(argv[1]));
    }else if( eType==SQLITE_FLOAT ){
      memcpy(z, "a REAL, ", 8);
      fmtDouble(sqlite3_value_double(argv[1]), z+8);
    }else if( zK && strlen(zK)<=24
           && strspn(zK, "0123456789+-.eE ")==strlen(zK) ){
      snprintf(z, sizeof(z), "TEXT '%s'", zK);
    }else{
      snprintf(z, sizeof(z), "%s", eType==SQLITE_TEXT ? "TEXT" :
               eType==SQLITE_BLOB ? "a BLOB" : "NULL");
    }
    aggFree(p);
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "svd_basis(): K is %s; expected an INTEGER from 1 to min(n, d), "
        "the number of directions to keep", z));
    return;
  }
  if( p->nK==0 ){
    p->nK = nK;
  }else if( p->nK!=nK ){
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "svd_basis(): K changed within a group, from %lld to %lld; "
        "it must be the same for every row", p->nK, nK));
    aggFree(p);
    return;
  }
  aggAddRow(ctx, p, argv[0], argc>2 ? argv[2] : 0);
}

/* svd_state(X [, OPTIONS]): step */
void aggStateStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  AggSpectrum *p = aggContext(ctx, "svd_state");
  if( p ) aggAddRow(ctx, p, argv[0], argc>1 ? argv[1] : 0);
}

sqlite3_int64 aggRows(const AggSpectrum *p){
  return p->nRow - p->iFirst;
}

/*
** A window frame drops the row pX (NULL: nothing, as xStep skipped it).
** Rows leave a frame in the order they came, so it is the oldest; a row
** equal to it is looked for further in when it is not (any equal row
** will do: the group is the same). A frame whose rows stream (they went to
** gram before the first result) cannot drop one: an error.
*/
static void aggInverse(sqlite3_context *ctx, sqlite3_value *pX){
  AggSpectrum *p = sqlite3_aggregate_context(ctx, 0);
  sqlite3_int64 i, d;
  char *zErr = 0;
  int rc;
  if( p==0 || sqlite3_value_type(pX)==SQLITE_NULL || p->zFunc==0 ) return;
  if( p->bGram ){
    aggFree(p);
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "%s(): this window frame streamed its rows (more than 16 MiB of them "
        "came before its first result), so it cannot drop one; use "
        "method=exact, which keeps them (each frame is then decomposed "
        "anew)", p->zFunc));
    return;
  }
  aggStreamStop(p);
  d = p->nDim;
  rc = vecReadRow(pX, p->zFunc, p->iFirst+1, &p->buf, &zErr);
  if( rc ){
    aggFree(p);
    svdResultError(ctx, rc, zErr);
    return;
  }
  for(i=p->iFirst; i<p->nRow; i++){
    if( p->buf.n==d
     && memcmp(p->aRow + i*d, p->buf.a, sizeof(double)*(size_t)d)==0 ) break;
  }
  if( i==p->nRow ) return;  /* not a row of the frame: nothing to drop */
  if( i>p->iFirst ){
    memmove(p->aRow + (p->iFirst+1)*d, p->aRow + p->iFirst*d,
            sizeof(double)*(size_t)((i - p->iFirst)*d));
  }
  p->iFirst++;
  p->bDirty = 1;
  if( p->iFirst==p->nRow ){
    /* empty: the next row may have another d, so the buffer goes too */
    aggRowsRelease(p);
    p->iFirst = p->nRow = 0;
  }else if( p->iFirst>=16 && p->iFirst*2>=p->nRow ){
    /* the dropped rows are half the buffer: move the frame down (O(d) a
    ** dropped row, amortized), so memory stays within twice the frame */
    aggCompact(p);
  }
}

/* svd_spectrum(X [, OPTIONS]), svd_basis(X, K [, OPTIONS]) and
** svd_state(X [, OPTIONS]) OVER (...): inverse */
void aggRowsInverse(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  aggInverse(ctx, argv[0]);
}
