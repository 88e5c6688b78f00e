/*
** final.c: the results of the row aggregates, computed from the rows that
** aggregate.c keeps or streams,
**
**   svd_spectrum(X [, OPTIONS])  JSON text of the singular values
**   svd_basis(X, K [, OPTIONS])  a basis BLOB (basis.c)
**   svd_state(X [, OPTIONS])     a state BLOB (state.c)
**
** as aggregates (xFinal) and as window functions (xValue):
**
**   SELECT word, svd_coord(svd_basis(vec, 2) OVER (PARTITION BY category),
**                          vec, 1) FROM emb JOIN words USING(id);
**
** Rules:
**   1. A window frame's result is the aggregate's over the frame's rows, in
**      their order: the same numerics on a copy of the frame's rows, so the
**      same digits.
**   2. xValue runs for every row; the result is cached and computed again
**      only when rows came or went, so a frame that is the whole partition
**      is computed once.
**   3. A frame with no non-NULL row gives NULL.
*/
#include "aggregate.h"
#include "basis.h"
#include "glue.h"
#include "merge.h"

#include <string.h>
SQLITE_EXTENSION_INIT3

#define FIN_SPECTRUM 0
#define FIN_BASIS    1
#define FIN_STATE    2

/* A result: JSON text or a BLOB, from sqlite3_malloc64. */
typedef struct FinOut FinOut;
struct FinOut {
  unsigned char *z;
  sqlite3_int64 n;
};

/* The spectrum of the group: from pG (streamed; bKeep: leave it usable),
** else from the n rows a (destroyed). */
static int finSpectrum(AggSpectrum *p, SpecGram *pG, int bKeep, double *a,
                       sqlite3_int64 n, FinOut *pOut, SpecStatus *pSt){
  sqlite3_int64 d = p->nDim, nVal = n<d ? n : d;
  double *aSigma = sqlite3_malloc64((sqlite3_uint64)nVal*sizeof(double));
  int rc;
  if( aSigma==0 ) return SPEC_NOMEM;
  if( pG && bKeep ){
    SpecState s;
    rc = mergeFromGram(pG, n, &s);
    if( rc==SPEC_OK ){
      rc = mergeSpectrum(&s, aSigma, pSt);
      mergeFree(&s);
    }
  }else if( pG ){
    rc = specGramValues(pG, aSigma, pSt);
  }else if( p->opt.eMethod==OPT_METHOD_GRAM ){
    /* n <= d rows: their n x n Gram matrix */
    rc = specGramSmall(a, (int)n, (int)d, p->opt.bCenter, aSigma, pSt);
  }else{
    rc = SPEC_STREAM_MISS;
    if( p->pSpare && p->pSpare->pStreamer==p ){
      /* the QR the helper did while SQLite read the rows (aggregate.c) */
      p->pSpare->pStreamer = 0;
      rc = specStreamValues(p->pSpare->pStream, n, d, aSigma, pSt);
    }
    if( rc==SPEC_STREAM_MISS ){
      rc = p->bJson ? specSingularValues(a, n, d, p->opt.bCenter, aSigma, pSt)
                    : specSingularValuesF32(a, n, d, p->opt.bCenter, aSigma,
                                            pSt);
    }
  }
  if( rc==SPEC_OK ){
    pOut->z = (unsigned char*)vecToJson(aSigma, nVal, 0, &pOut->n);
    if( pOut->z==0 ) rc = SPEC_NOMEM;
  }
  sqlite3_free(aSigma);
  return rc;
}

/* The basis of the group, as finSpectrum() takes it. The limits on K and
** the exact method's workspace are checked first (*pzErr). */
static int finBasis(AggSpectrum *p, SpecGram *pG, int bKeep, double *a,
                    sqlite3_int64 n, FinOut *pOut, SpecStatus *pSt,
                    char **pzErr){
  sqlite3_int64 d = p->nDim, nMax = n<d ? n : d;
  sqlite3_uint64 nByte = 0;
  BasisData bd;
  int rc;
  if( p->nK>nMax ){
    *pzErr = sqlite3_mprintf(
        "svd_basis(): K is %lld but the group has %lld rows of %lld "
        "dimensions; K may be at most min(n, d) = %lld", p->nK, n, d, nMax);
    return SPEC_LAPACK;
  }
  if( nMax>SPEC_MAX_K && !pG ) return SPEC_TOOBIG;
  if( !pG && 5*nMax*nMax*(sqlite3_int64)sizeof(double)>AGG_MAX_BYTES ){
    /* specBasis keeps five k x k matrices, in one SQLite allocation */
    *pzErr = sqlite3_mprintf(
        "svd_basis(): the exact method's workspace for min(n, d) = %lld is "
        "over SQLite's 2 GiB allocation limit (at most 7298); method=gram "
        "takes d up to %d", nMax, GRAM_MAX_D);
    return SPEC_LAPACK;
  }
  if( basisAlloc(&bd, n, (int)d, (int)p->nK, p->opt.bCenter) ){
    return SPEC_NOMEM;
  }
  if( pG && bKeep ){
    SpecState s;
    rc = mergeFromGram(pG, n, &s);
    if( rc==SPEC_OK ){
      rc = mergeBasis(&s, (int)p->nK, bd.aMean, bd.aSigma, bd.aDir, pSt);
      mergeFree(&s);
    }
  }else if( pG ){
    rc = specGramBasis(pG, (int)p->nK, bd.aMean, bd.aSigma, bd.aDir, pSt);
  }else{
    rc = specBasis(a, n, d, p->opt.bCenter, (int)p->nK, bd.aMean, bd.aSigma,
                   bd.aDir, pSt);
  }
  if( rc==SPEC_OK ){
    pOut->z = basisEncode(&bd, &nByte);
    pOut->n = (sqlite3_int64)nByte;
    if( pOut->z==0 ) rc = SPEC_NOMEM;
  }
  basisFree(&bd);
  return rc;
}

/* The state of the group, as finSpectrum() takes it. */
static int finState(AggSpectrum *p, SpecGram *pG, double *a, sqlite3_int64 n,
                    FinOut *pOut, SpecStatus *pSt){
  sqlite3_uint64 nByte = 0;
  SpecState s;
  int rc = pG ? mergeFromGram(pG, n, &s)
              : mergeFromRows(a, n, (int)p->nDim, p->opt.bCenter, &s, pSt);
  if( rc==SPEC_OK ){
    pOut->z = stateEncode(&s, &nByte);
    pOut->n = (sqlite3_int64)nByte;
    if( pOut->z==0 ) rc = SPEC_NOMEM;
    mergeFree(&s);
  }
  return rc;
}

/*
** Compute the result of kind eKind for the group p into *pOut. bKeep: p
** stays as it is (xValue: a copy of the rows is decomposed); else its rows
** may be destroyed (xFinal). A method=gram group whose rows are kept goes
** through a streaming accumulator of its own, fed the rows in order as the
** aggregate would have fed them, unless svd_spectrum takes the n x n road
** (n <= d). Returns 1, or 0 after reporting an error in ctx.
*/
static int finCompute(sqlite3_context *ctx, AggSpectrum *p, int eKind,
                      int bKeep, FinOut *pOut){
  sqlite3_int64 n = aggRows(p), d = p->nDim, i;
  double *a = 0, *aCopy = 0;
  SpecGram g, *pG = 0;
  SpecStatus st = {0, 0};
  char *zErr = 0;
  int rc = SPEC_OK;

  memset(pOut, 0, sizeof(*pOut));
  memset(&g, 0, sizeof(g));
  if( p->bGram ){
    pG = &p->gram;
  }else if( (p->opt.eMethod==OPT_METHOD_GRAM
              && (eKind!=FIN_SPECTRUM || n>d))
          || (p->opt.eMethod==OPT_METHOD_AUTO && n>2*d && d<=GRAM_MAX_D
              && n*d*(sqlite3_int64)sizeof(double)>AGG_AUTO_BYTES) ){
    /* what the aggregate streams: a window frame keeps its rows, so they
    ** are streamed here, in order, as the aggregate would have */
    int r = aggStartGram(p, &g, &zErr);
    for(i=p->iFirst; r==SQLITE_OK && i<p->nRow; i++){
      r = aggGramAdd(p, &g, p->aRow + i*d, &zErr);
    }
    if( r ){
      specGramFree(&g);
      svdResultError(ctx, r, zErr);
      return 0;
    }
    pG = &g;
  }else if( bKeep ){
    aCopy = sqlite3_malloc64((sqlite3_uint64)(n*d)*sizeof(double));
    if( aCopy==0 ){
      sqlite3_result_error_nomem(ctx);
      return 0;
    }
    memcpy(aCopy, p->aRow + p->iFirst*d, sizeof(double)*(size_t)(n*d));
    a = aCopy;
  }else{
    a = p->aRow + p->iFirst*d;
  }
  if( eKind!=FIN_SPECTRUM || pG || bKeep || p->bJson || p->iFirst
   || p->opt.eMethod==OPT_METHOD_GRAM ){
    aggStreamStop(p);   /* not the road it streamed for */
  }
  if( eKind==FIN_SPECTRUM && !bKeep && p->pSpare ){
    /* should the connection's next group stream (aggregate.c)? Not after
    ** one too large for it; one row says nothing */
    if( n>=2 ) p->pSpare->bNoStream = n-1>d || n-1>SPEC_SMALL_K;
  }
  /* the QR of the kept rows may share its work with the connection's
  ** helper thread (same result, bit for bit) */
  specSetHelper(pG ? 0 : aggHelper(p));
  switch( eKind ){
    case FIN_SPECTRUM:
      rc = finSpectrum(p, pG, bKeep && pG==&p->gram, a, n, pOut, &st);
      break;
    case FIN_BASIS:
      rc = finBasis(p, pG, bKeep && pG==&p->gram, a, n, pOut, &st, &zErr);
      break;
    default:
      rc = finState(p, pG, a, n, pOut, &st);
      break;
  }
  specSetHelper(0);
  if( pG==&g ) specGramFree(&g);
  sqlite3_free(aCopy);
  if( rc==SPEC_OK ) return 1;
  sqlite3_free(pOut->z);
  pOut->z = 0;
  if( zErr ){
    svdResultError(ctx, SQLITE_ERROR, zErr);
  }else{
    aggSpecError(ctx, rc, &st, p);
  }
  return 0;
}

/* Set the result of ctx to z (n bytes) of kind eKind; xDel frees z. */
static void finResult(sqlite3_context *ctx, int eKind, unsigned char *z,
                      sqlite3_int64 n, void (*xDel)(void*)){
  if( eKind==FIN_SPECTRUM ){
    sqlite3_result_text64(ctx, (const char*)z, (sqlite3_uint64)n, xDel,
                          SQLITE_UTF8);
    sqlite3_result_subtype(ctx, SVD_JSON_SUBTYPE);
  }else{
    sqlite3_result_blob64(ctx, z, (sqlite3_uint64)n, xDel);
  }
}

/* xFinal of the three aggregates. A window frame's last result, when
** nothing changed since, is the cached one. */
static void finFinal(sqlite3_context *ctx, int eKind){
  AggSpectrum *p = sqlite3_aggregate_context(ctx, 0);
  FinOut out;
  if( p==0 ) return;
  if( aggRows(p)==0 ){
    aggFree(p);
    return;
  }
  if( p->bWindow && !p->bDirty && p->pCache ){
    finResult(ctx, eKind, p->pCache, p->nCache, SQLITE_TRANSIENT);
  }else if( !aggInterrupted(ctx, p) && finCompute(ctx, p, eKind, 0, &out) ){
    finResult(ctx, eKind, out.z, out.n, sqlite3_free);
  }
  aggFree(p);
}

/* xValue of the three aggregates: the frame's result, cached. */
static void finValue(sqlite3_context *ctx, int eKind){
  AggSpectrum *p = sqlite3_aggregate_context(ctx, 0);
  FinOut out;
  if( p==0 || p->zFunc==0 ) return;
  p->bWindow = 1;
  aggStreamStop(p);
  if( aggRows(p)==0 ) return;
  if( !p->bDirty && p->pCache ){
    finResult(ctx, eKind, p->pCache, p->nCache, SQLITE_TRANSIENT);
    return;
  }
  if( aggInterrupted(ctx, p) ) return;
  if( finCompute(ctx, p, eKind, 1, &out) ){
    sqlite3_free(p->pCache);
    p->pCache = out.z;
    p->nCache = out.n;
    p->bDirty = 0;
    finResult(ctx, eKind, p->pCache, p->nCache, SQLITE_TRANSIENT);
  }
  specSetCancel(0, 0);
}

/* svd_spectrum(X [, OPTIONS]): final and value */
void aggSpectrumFinal(sqlite3_context *ctx){
  finFinal(ctx, FIN_SPECTRUM);
}

void aggSpectrumValue(sqlite3_context *ctx){
  finValue(ctx, FIN_SPECTRUM);
}

/* svd_basis(X, K [, OPTIONS]): final and value */
void aggBasisFinal(sqlite3_context *ctx){
  finFinal(ctx, FIN_BASIS);
}

void aggBasisValue(sqlite3_context *ctx){
  finValue(ctx, FIN_BASIS);
}

/* svd_state(X [, OPTIONS]): final and value. The state is exact when the
** rows are kept, gram when they stream (method=gram always). */
void aggStateFinal(sqlite3_context *ctx){
  finFinal(ctx, FIN_STATE);
}

void aggStateValue(sqlite3_context *ctx){
  finValue(ctx, FIN_STATE);
}
