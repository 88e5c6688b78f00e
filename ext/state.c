/*
** state.c: the BLOB of svd_state(X [, OPTIONS]) and the functions that
** merge and read it (the numerics are in merge.c).
**
**   svd_merge(STATE)              aggregate: the state of the union of the
**                                 rows the states summarize
**   svd_state_spectrum(STATE)     the JSON spectrum of those rows
**   svd_state_basis(STATE, K)     a basis BLOB, as svd_basis(X, K) gives
**   svd_state_json(STATE)         {"n":..,"d":..,"center":..,"method":..,
**                                 "mean":[..]}
**
**   UPDATE cat_state SET st = (SELECT svd_merge(s) FROM (SELECT st AS s
**       UNION ALL SELECT svd_state(vec) FROM new_emb WHERE ...));
**
** The BLOB, version 1; integers and doubles little-endian:
**
**   offset  size  field
**        0     4  magic, the bytes 'S' 'V' 'D' 'S'
**        4     4  uint32 layout version, 1
**        8     4  uint32 flags: bit 0 set when centered
**       12     4  uint32 method: 1 exact, 2 gram
**       16     4  uint32 d, dimensions
**       20     4  uint32 k: exact, the rows of S (0 <= k <= min(n-1, d)
**                 centered, min(n, d) raw); gram, d
**       24     8  int64 n, the rows summarized
**       32     4  int32 e, the power-of-two scale of the mean and matrix
**       36     4  uint32 reserved, 0
**       40   8*d  float64 mean times 2^-e (zeros when not centered)
**            8*d  float64 the mean's low part (mean = 2^e * (hi + lo))
**                 then, exact: S, k x d upper trapezoidal, row i from its
**                 diagonal on (d - i values each), times 2^e;
**                 gram: the co-moment matrix's upper triangle by columns
**                 (column j has j + 1 values), times 2^(2e)
**
** Rules:
**   1. NULL gives NULL; svd_merge skips NULL and gives NULL for none.
**   2. A STATE that is not such a BLOB (wrong type, too short, wrong magic
**      or version, inconsistent header, a length other than the header
**      implies, non-finite values) is an error saying which.
**   3. svd_merge: every state has the first's d and center, else an error
**      naming both values; an exact and a gram state merge into gram; a
**      total n beyond 2^63-1 is an error.
**   4. K is an INTEGER from 1 to min(n, d).
*/
#include "aggregate.h"
#include "basis.h"
#include "glue.h"
#include "gram.h"
#include "merge.h"
#include "vector.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define STATE_MAGIC   "SVDS"
#define STATE_VERSION 1
#define STATE_HEADER  40
#define STATE_CENTER  0x1u
#define STATE_MAX_E   4400    /* beyond any scale a double range needs */

static void statePut32(unsigned char *z, uint32_t v){
  int i;
  for(i=0; i<4; i++) z[i] = (unsigned char)(v>>(8*i));
}

static void statePut64(unsigned char *z, uint64_t v){
  int i;
  for(i=0; i<8; i++) z[i] = (unsigned char)(v>>(8*i));
}

static uint32_t stateGet32(const unsigned char *z){
  return (uint32_t)z[0] | (uint32_t)z[1]<<8 | (uint32_t)z[2]<<16
       | (uint32_t)z[3]<<24;
}

static uint64_t stateGet64(const unsigned char *z){
  return (uint64_t)stateGet32(z) | (uint64_t)stateGet32(z+4)<<32;
}

static void statePutDouble(unsigned char *z, double v){
  uint64_t u;
  memcpy(&u, &v, 8);
  statePut64(z, u);
}

static double stateGetDouble(const unsigned char *z){
  uint64_t u = stateGet64(z);
  double v;
  memcpy(&v, &u, 8);
  return v;
}

/* Stored matrix values of a state of d dimensions, k rows (exact). */
static sqlite3_uint64 stateMatValues(int bGram, sqlite3_uint64 d,
                                     sqlite3_uint64 k){
  return bGram ? d*(d+1)/2 : k*d - k*(k-1)/2;
}

unsigned char *stateEncode(const SpecState *p, sqlite3_uint64 *pnByte){
  int d = p->nDim, bGram = p->eMethod==MERGE_GRAM, i, j;
  sqlite3_uint64 nByte = STATE_HEADER + 8*((sqlite3_uint64)d*2
                       + stateMatValues(bGram, d, p->nK));
  unsigned char *z = sqlite3_malloc64(nByte), *w;
  if( z==0 ) return 0;
  memcpy(z, STATE_MAGIC, 4);
  statePut32(z+4, STATE_VERSION);
  statePut32(z+8, p->bCenter ? STATE_CENTER : 0);
  statePut32(z+12, (uint32_t)p->eMethod);
  statePut32(z+16, (uint32_t)d);
  statePut32(z+20, (uint32_t)p->nK);
  statePut64(z+24, (uint64_t)p->nRow);
  statePut32(z+32, (uint32_t)p->eScale);
  statePut32(z+36, 0);
  w = z + STATE_HEADER;
  for(i=0; i<2*d; i++, w+=8) statePutDouble(w, p->aMean[i]);
  if( bGram ){
    for(j=0; j<d; j++){
      for(i=0; i<=j; i++, w+=8) statePutDouble(w, p->aMat[i + (size_t)j*d]);
    }
  }else{
    for(i=0; i<p->nK; i++){
      for(j=i; j<d; j++, w+=8) statePutDouble(w, p->aMat[(size_t)i*d + j]);
    }
  }
  *pnByte = nByte;
  return z;
}

/* Encode *p as the result of ctx. */
static void stateResult(sqlite3_context *ctx, const SpecState *p){
  sqlite3_uint64 nByte = 0;
  unsigned char *z = stateEncode(p, &nByte);
  if( z==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    sqlite3_result_blob64(ctx, z, nByte, sqlite3_free);
  }
}

static const char *stateTypeName(int eType){
  switch( eType ){
    case SQLITE_INTEGER: return "an INTEGER";
    case SQLITE_FLOAT:   return "a REAL";
    case SQLITE_TEXT:    return "TEXT";
    default:             return "NULL";
  }
}

/*
** Decode STATE pVal (not NULL) into *p (allocated; mergeFree() it).
** SQLITE_OK, SQLITE_NOMEM, or SQLITE_ERROR with *pzErr.
*/
static int stateOpen(sqlite3_value *pVal, const char *zFunc, SpecState *p,
                     char **pzErr){
  const unsigned char *z, *w;
  sqlite3_int64 nByte;
  uint32_t iVersion, flags, eMethod, d, k, nMaxK;
  uint64_t n;
  int32_t e;
  sqlite3_uint64 nNeed;
  int i, j;

  memset(p, 0, sizeof(*p));
  if( sqlite3_value_type(pVal)!=SQLITE_BLOB ){
    *pzErr = sqlite3_mprintf("%s(): STATE is %s; expected a BLOB from "
        "svd_state() or svd_merge()", zFunc,
        stateTypeName(sqlite3_value_type(pVal)));
    return SQLITE_ERROR;
  }
  z = sqlite3_value_blob(pVal);
  nByte = sqlite3_value_bytes(pVal);
  if( nByte<STATE_HEADER ){
    *pzErr = sqlite3_mprintf("%s(): STATE is a %lld-byte BLOB, too short for "
        "a state from svd_state() (its header alone is %d bytes)",
        zFunc, nByte, STATE_HEADER);
    return SQLITE_ERROR;
  }
  if( memcmp(z, STATE_MAGIC, 4)!=0 ){
    *pzErr = sqlite3_mprintf("%s(): STATE is not a state from svd_state(): "
        "it does not begin with the bytes '" STATE_MAGIC "'%s", zFunc,
        memcmp(z, "SVDB", 4)==0 ? " (it is a basis from svd_basis())" : "");
    return SQLITE_ERROR;
  }
  iVersion = stateGet32(z+4);
  if( iVersion!=STATE_VERSION ){
    *pzErr = sqlite3_mprintf("%s(): STATE has layout version %u; this build "
        "of sqlite-svd reads version %d", zFunc, iVersion, STATE_VERSION);
    return SQLITE_ERROR;
  }
  flags = stateGet32(z+8);
  eMethod = stateGet32(z+12);
  d = stateGet32(z+16);
  k = stateGet32(z+20);
  n = stateGet64(z+24);
  e = (int32_t)stateGet32(z+32);
  if( (flags & ~STATE_CENTER)!=0 || stateGet32(z+36)!=0
   || (eMethod!=MERGE_EXACT && eMethod!=MERGE_GRAM)
   || e>STATE_MAX_E || e< -STATE_MAX_E ){
    *pzErr = sqlite3_mprintf("%s(): STATE header has unknown flags 0x%x, "
        "method %u, scale %d or a non-zero reserved field; it is corrupted",
        zFunc, flags, eMethod, (int)e);
    return SQLITE_ERROR;
  }
  nMaxK = (flags & STATE_CENTER) ? (n>d ? d : (uint32_t)(n-1))
                                 : (n>d ? d : (uint32_t)n);
  if( d<1 || n<1 || n>(uint64_t)INT64_MAX || d>(uint64_t)nByte/16
   || (eMethod==MERGE_GRAM ? k!=d || d>GRAM_MAX_D : k>nMaxK || k>SPEC_MAX_K) ){
    *pzErr = sqlite3_mprintf("%s(): STATE header is inconsistent: n=%llu, "
        "d=%u, k=%u, method %s", zFunc, n, d, k,
        eMethod==MERGE_GRAM ? "gram (expected k = d <= 8192)"
          : "exact (expected k <= min(n, d, 8192), n-1 centered)");
    return SQLITE_ERROR;
  }
  nNeed = STATE_HEADER + 8*((sqlite3_uint64)d*2
        + stateMatValues(eMethod==MERGE_GRAM, d, k));
  if( nNeed!=(sqlite3_uint64)nByte ){
    *pzErr = sqlite3_mprintf("%s(): STATE has %lld bytes but a state of d=%u, "
        "k=%u has %llu; it is %s", zFunc, nByte, d, k, nNeed,
        nNeed>(sqlite3_uint64)nByte ? "truncated" : "corrupted");
    return SQLITE_ERROR;
  }
  if( mergeAlloc(p, (int64_t)n, (int)d, (flags & STATE_CENTER)!=0,
                 (int)eMethod, (int)k) ){
    return SQLITE_NOMEM;
  }
  p->eScale = e;
  w = z + STATE_HEADER;
  for(i=0; i<2*(int)d; i++, w+=8) p->aMean[i] = stateGetDouble(w);
  if( eMethod==MERGE_GRAM ){
    for(j=0; j<(int)d; j++){
      for(i=0; i<=j; i++, w+=8) p->aMat[i + (size_t)j*d] = stateGetDouble(w);
    }
  }else{
    for(i=0; i<(int)k; i++){
      for(j=i; j<(int)d; j++, w+=8) p->aMat[(size_t)i*d + j] = stateGetDouble(w);
    }
  }
  for(w=z+STATE_HEADER; w<z+nByte; w+=8){
    if( !isfinite(stateGetDouble(w)) ){
      *pzErr = sqlite3_mprintf("%s(): STATE holds a non-finite value at byte "
          "%lld; it is corrupted", zFunc, (sqlite3_int64)(w - z));
      mergeFree(p);
      return SQLITE_ERROR;
    }
  }
  for(j=0; j<(int)d; j++){
    if( !isfinite(ldexp(p->aMean[j] + p->aMean[d+j], e)) ){
      *pzErr = sqlite3_mprintf("%s(): STATE's mean is beyond the range of a "
          "double in dimension %d; it is corrupted", zFunc, j+1);
      mergeFree(p);
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/*
** Before a long computation on the state p (of AGG_PROBE_VALUES values or
** more): 1 after reporting a pending interrupt in ctx; else 0, with the
** numerics' probe set (stateUnprobe() clears it), as the aggregates do.
*/
static int stateInterrupted(sqlite3_context *ctx, const SpecState *p){
  if( (sqlite3_int64)p->nDim*(p->nK>0 ? p->nK : 1)<AGG_PROBE_VALUES ){
    return 0;
  }
  if( aggProbe(ctx) ){
    svdResultInterrupted(ctx);
    return 1;
  }
  specSetCancel(aggProbe, ctx);
  return 0;
}

static void stateUnprobe(void){
  specSetCancel(0, 0);
}

/* A failed numerics call on a state as an SQL error. */
static void stateSpecError(sqlite3_context *ctx, const char *zFunc, int rc,
                           const SpecStatus *pSt, const SpecState *p){
  char *zErr = 0;
  switch( rc ){
    case SPEC_NOMEM:
      sqlite3_result_error_nomem(ctx);
      return;
    case SPEC_INTERRUPT:
      svdResultInterrupted(ctx);
      return;
    case SPEC_TOOBIG:
      if( strcmp(zFunc, "svd_merge")==0 ){
        zErr = sqlite3_mprintf("%s(): the merged states would hold more "
            "than 2^63-1 rows", zFunc);
      }else{
        zErr = sqlite3_mprintf("%s(): a state of %lld rows of %d dimensions "
            "has more than %d singular values, the limit of the exact "
            "method", zFunc, (sqlite3_int64)p->nRow, p->nDim, SPEC_MAX_K);
      }
      break;
    case SPEC_RANGE:
      zErr = sqlite3_mprintf("%s(): the merged state's values are far "
          "beyond the range of a double (a corrupted state?)", zFunc);
      break;
    case SPEC_OVERFLOW:
      zErr = sqlite3_mprintf("%s(): a singular value exceeds the range of a "
          "double; scale the vectors down", zFunc);
      break;
    default:
      zErr = sqlite3_mprintf("%s(): LAPACK %s %s (info %d) on a state of "
          "%lld rows of %d dimensions", zFunc,
          pSt->zRoutine ? pSt->zRoutine : "?",
          pSt->info<0 ? "rejected an argument" : "did not converge",
          pSt->info, (sqlite3_int64)p->nRow, p->nDim);
      break;
  }
  svdResultError(ctx, SQLITE_ERROR, zErr);
}

/* The accumulator of svd_merge. */
typedef struct StateAgg StateAgg;
struct StateAgg {
  SpecState st;           /* the union so far; st.nRow 0 before the first */
};

/* svd_merge(STATE): step */
void stateMergeStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  StateAgg *pAgg = sqlite3_aggregate_context(ctx, sizeof(StateAgg));
  SpecState in;
  SpecStatus st = {0, 0};
  char *zErr = 0;
  int rc;
  (void)argc;
  if( pAgg==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  rc = stateOpen(argv[0], "svd_merge", &in, &zErr);
  if( rc ){
    mergeFree(&pAgg->st);
    svdResultError(ctx, rc, zErr);
    return;
  }
  if( pAgg->st.nRow==0 ){
    pAgg->st = in;
    return;
  }
  if( in.nDim!=pAgg->st.nDim || in.bCenter!=pAgg->st.bCenter ){
    zErr = sqlite3_mprintf("svd_merge(): a state of %d dimensions, %s, "
        "cannot merge with one of %d dimensions, %s; states must agree on "
        "d and center", in.nDim, in.bCenter ? "centered" : "center=false",
        pAgg->st.nDim, pAgg->st.bCenter ? "centered" : "center=false");
    mergeFree(&in);
    mergeFree(&pAgg->st);
    svdResultError(ctx, SQLITE_ERROR, zErr);
    return;
  }
  if( stateInterrupted(ctx, &pAgg->st) ){
    mergeFree(&in);
    mergeFree(&pAgg->st);
    return;
  }
  rc = mergeStates(&pAgg->st, &in, &st);
  stateUnprobe();
  mergeFree(&in);
  if( rc ){
    stateSpecError(ctx, "svd_merge", rc, &st, &pAgg->st);
    mergeFree(&pAgg->st);
  }
}

/* svd_merge(STATE): final */
void stateMergeFinal(sqlite3_context *ctx){
  StateAgg *pAgg = sqlite3_aggregate_context(ctx, 0);
  if( pAgg==0 || pAgg->st.nRow==0 ) return;
  stateResult(ctx, &pAgg->st);
  mergeFree(&pAgg->st);
}

/* svd_state_spectrum(STATE) */
void stateSpectrumFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SpecState s;
  SpecStatus st = {0, 0};
  char *zErr = 0, *zJson;
  double *aSigma;
  sqlite3_int64 nVal, nOut = 0;
  int rc;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  rc = stateOpen(argv[0], "svd_state_spectrum", &s, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return;
  }
  if( stateInterrupted(ctx, &s) ){
    mergeFree(&s);
    return;
  }
  nVal = s.nRow<s.nDim ? s.nRow : s.nDim;
  aSigma = sqlite3_malloc64((sqlite3_uint64)nVal*sizeof(double));
  rc = aSigma ? mergeSpectrum(&s, aSigma, &st) : SPEC_NOMEM;
  stateUnprobe();
  if( rc ){
    stateSpecError(ctx, "svd_state_spectrum", rc, &st, &s);
  }else if( (zJson = vecToJson(aSigma, nVal, 0, &nOut))==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    sqlite3_result_text64(ctx, zJson, (sqlite3_uint64)nOut, sqlite3_free,
                          SQLITE_UTF8);
    sqlite3_result_subtype(ctx, SVD_JSON_SUBTYPE);
  }
  sqlite3_free(aSigma);
  mergeFree(&s);
}

/* svd_state_basis(STATE, K) */
void stateBasisFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SpecState s;
  SpecStatus st = {0, 0};
  BasisData bd;
  char *zErr = 0;
  sqlite3_int64 nK, nMax;
  int rc;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  rc = stateOpen(argv[0], "svd_state_basis", &s, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return;
  }
  nMax = s.nRow<s.nDim ? s.nRow : s.nDim;
  nK = sqlite3_value_int64(argv[1]);
  if( sqlite3_value_type(argv[1])!=SQLITE_INTEGER || nK<1 || nK>nMax ){
    int eType = sqlite3_value_type(argv[1]);
    char z[FMT_MAX+8];
    const unsigned char *zK = sqlite3_value_text(argv[1]);
    snprintf(z, sizeof(z), "%.*s", FMT_MAX, zK ? (const char*)zK : "");
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "svd_state_basis(): K is %s%s%s%s; expected an INTEGER from 1 to "
        "min(n, d) = %lld",
        eType==SQLITE_INTEGER ? "" : eType==SQLITE_FLOAT ? "a REAL, "
          : eType==SQLITE_TEXT ? "TEXT '" : "a BLOB",
        eType==SQLITE_BLOB ? "" : z, eType==SQLITE_TEXT ? "'" : "", "",
        nMax));
    mergeFree(&s);
    return;
  }
  if( s.eMethod==MERGE_EXACT ){
    /* mergeBasis runs specBasis on max(k, K) rows: five m x m matrices,
    ** m = min(max(k, K), d), in one SQLite allocation, as svd_basis says */
    sqlite3_int64 m = s.nK>nK ? s.nK : nK;
    if( m>s.nDim ) m = s.nDim;
    if( 5*m*m*(sqlite3_int64)sizeof(double)>AGG_MAX_BYTES ){
      svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
          "svd_state_basis(): the exact method's workspace for an exact "
          "state of %lld rows of %d dimensions is over SQLite's 2 GiB "
          "allocation limit (at most 7298); merge it with a gram state "
          "(method=gram takes d up to %d)", (sqlite3_int64)s.nRow, s.nDim,
          GRAM_MAX_D));
      mergeFree(&s);
      return;
    }
  }
  rc = basisAlloc(&bd, s.nRow, s.nDim, (int)nK, s.bCenter);
  if( rc ){
    mergeFree(&s);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( stateInterrupted(ctx, &s) ){
    basisFree(&bd);
    mergeFree(&s);
    return;
  }
  rc = mergeBasis(&s, (int)nK, bd.aMean, bd.aSigma, bd.aDir, &st);
  stateUnprobe();
  if( rc ){
    stateSpecError(ctx, "svd_state_basis", rc, &st, &s);
  }else{
    basisResult(ctx, &bd);
  }
  basisFree(&bd);
  mergeFree(&s);
}

/* svd_state_json(STATE) */
void stateJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  SpecState s;
  sqlite3_str *pStr;
  char *zErr = 0, *zMean;
  double *aMean;
  sqlite3_int64 nOut = 0;
  int rc, j, d;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  rc = stateOpen(argv[0], "svd_state_json", &s, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return;
  }
  d = s.nDim;
  aMean = sqlite3_malloc64(sizeof(double)*(sqlite3_uint64)d);
  if( aMean==0 ){
    mergeFree(&s);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for(j=0; j<d; j++) aMean[j] = ldexp(s.aMean[j] + s.aMean[d+j], s.eScale);
  zMean = vecToJson(aMean, d, 0, &nOut);
  sqlite3_free(aMean);
  pStr = sqlite3_str_new(sqlite3_context_db_handle(ctx));
  sqlite3_str_appendf(pStr, "{\"n\":%lld,\"d\":%d,\"center\":%s,"
      "\"method\":\"%s\",\"mean\":%s}", (sqlite3_int64)s.nRow, d,
      s.bCenter ? "true" : "false", s.eMethod==MERGE_GRAM ? "gram" : "exact",
      zMean ? zMean : "[]");
  if( zMean==0 || sqlite3_str_errcode(pStr) ){
    sqlite3_free(sqlite3_str_finish(pStr));
    sqlite3_result_error_nomem(ctx);
  }else{
    int n = sqlite3_str_length(pStr);
    sqlite3_result_text(ctx, sqlite3_str_finish(pStr), n, sqlite3_free);
    sqlite3_result_subtype(ctx, SVD_JSON_SUBTYPE);
  }
  sqlite3_free(zMean);
  mergeFree(&s);
}
