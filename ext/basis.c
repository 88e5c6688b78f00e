/*
** basis.c: the BLOB of svd_basis(X, K [, OPTIONS]) and the functions that
** use it to place vectors along a group's principal directions.
**
**   svd_project(BASIS, X)    float32 BLOB of the K coordinates (x - mean).v_i
**   svd_coord(BASIS, X, I)   REAL, coordinate I (1-based) in double precision
**   svd_direction(BASIS, I)  float32 BLOB, the unit vector v_I
**   svd_basis_json(BASIS)    TEXT, {"n":..,"d":..,"k":..,"center":..,
**                            "mean":[..],"sigma":[..],"directions":[[..],..]}
**
**   WITH b AS (SELECT svd_basis(vec, 3) AS basis FROM emb)
**   SELECT id, svd_coord(b.basis, vec, 1) FROM emb, b ORDER BY 2 DESC;
**
** The BLOB, version 1; integers and doubles little-endian:
**
**   offset  size  field
**        0     4  magic, the bytes 'S' 'V' 'D' 'B'
**        4     4  uint32 layout version, 1
**        8     4  uint32 flags: bit 0 set when the mean was subtracted
**       12     4  uint32 d, dimensions
**       16     4  uint32 K, directions, 1 <= K <= min(n, d)
**       20     4  uint32 reserved, 0
**       24     8  int64 n, the group's rows
**       32   8*d  float64 mean (zeros when not centered)
**            8*d  float64 the mean's low part: mean = hi + lo to twice a
**                 double's precision, so that x - mean stays exact when
**                 the mean is a million times the spread
**            8*K  float64 singular values sigma_1 >= ... >= sigma_K
**          8*K*d  float64 directions, v_1 first, each d values
**
** Rules:
**   1. NULL in any argument gives NULL.
**   2. A BASIS that is not such a BLOB (wrong type, too short, wrong magic or
**      version, inconsistent sizes, a length other than the sizes imply,
**      non-finite values) is an error saying which.
**   3. X must have the basis's d. With center=false the mean is not
**      subtracted (it is zero).
**   4. I is an INTEGER from 1 to K; a REAL or TEXT such as '2' is an error
**      that names its type.
*/
#include "basis.h"
#include "glue.h"
#include "vector.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define BASIS_MAGIC   "SVDB"
#define BASIS_VERSION 1
#define BASIS_HEADER  32
#define BASIS_CENTER  0x1u

int basisAlloc(BasisData *p, sqlite3_int64 nRow, int nDim, int nK,
               int bCenter){
  sqlite3_uint64 nVal = (sqlite3_uint64)nDim*2 + nK + (sqlite3_uint64)nK*nDim;
  memset(p, 0, sizeof(*p));
  p->aMean = sqlite3_malloc64(nVal*sizeof(double));
  if( p->aMean==0 ) return SQLITE_NOMEM;
  p->aSigma = p->aMean + 2*nDim;
  p->aDir = p->aSigma + nK;
  p->nRow = nRow;
  p->nDim = nDim;
  p->nK = nK;
  p->bCenter = bCenter;
  return SQLITE_OK;
}

void basisFree(BasisData *p){
  sqlite3_free(p->aMean);
  memset(p, 0, sizeof(*p));
}

static void basisPut32(unsigned char *z, uint32_t v){
  int i;
  for(i=0; i<4; i++) z[i] = (unsigned char)(v>>(8*i));
}

static void basisPut64(unsigned char *z, uint64_t v){
  int i;
  for(i=0; i<8; i++) z[i] = (unsigned char)(v>>(8*i));
}

static uint32_t basisGet32(const unsigned char *z){
  return (uint32_t)z[0] | (uint32_t)z[1]<<8 | (uint32_t)z[2]<<16
       | (uint32_t)z[3]<<24;
}

static uint64_t basisGet64(const unsigned char *z){
  uint64_t v = 0;
  int i;
  for(i=7; i>=0; i--) v = v<<8 | z[i];
  return v;
}

unsigned char *basisEncode(const BasisData *p, sqlite3_uint64 *pnByte){
  sqlite3_uint64 nVal = (sqlite3_uint64)p->nDim*2 + p->nK
                      + (sqlite3_uint64)p->nK*p->nDim;
  sqlite3_uint64 nByte = BASIS_HEADER + 8*nVal, i;
  unsigned char *z = sqlite3_malloc64(nByte);
  if( z==0 ) return 0;
  memcpy(z, BASIS_MAGIC, 4);
  basisPut32(z+4, BASIS_VERSION);
  basisPut32(z+8, p->bCenter ? BASIS_CENTER : 0);
  basisPut32(z+12, (uint32_t)p->nDim);
  basisPut32(z+16, (uint32_t)p->nK);
  basisPut32(z+20, 0);
  basisPut64(z+24, (uint64_t)p->nRow);
  /* aMean, aSigma and aDir are consecutive in one allocation. */
  for(i=0; i<nVal; i++){
    uint64_t u;
    memcpy(&u, &p->aMean[i], 8);
    basisPut64(z + BASIS_HEADER + 8*i, u);
  }
  *pnByte = nByte;
  return z;
}

void basisResult(sqlite3_context *ctx, const BasisData *p){
  sqlite3_uint64 nByte = 0;
  unsigned char *z = basisEncode(p, &nByte);
  if( z==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    sqlite3_result_blob64(ctx, z, nByte, sqlite3_free);
  }
}

/* A BASIS argument, checked, read in place. */
typedef struct BasisView BasisView;
struct BasisView {
  const unsigned char *z; /* the BLOB */
  sqlite3_int64 nRow;     /* n */
  int nDim;               /* d */
  int nK;                 /* K */
  int bCenter;            /* flag bit 0 */
  const char *zArg;       /* the argument's name in messages: "BASIS" */
};

static const char *basisTypeName(int eType){
  switch( eType ){
    case SQLITE_INTEGER: return "an INTEGER";
    case SQLITE_FLOAT:   return "a REAL";
    case SQLITE_TEXT:    return "TEXT";
    default:             return "a BLOB";
  }
}

/*
** Check BASIS (not NULL) and describe it in *pV; zArg names the argument in
** messages ("BASIS", "BASIS_A"). On a bad BASIS returns SQLITE_ERROR with
** *pzErr from sqlite3_mprintf.
*/
static int basisOpen(sqlite3_value *pVal, const char *zFunc, const char *zArg,
                     BasisView *pV, char **pzErr){
  const unsigned char *z;
  sqlite3_int64 nByte;
  uint32_t iVersion, flags, d, k;
  uint64_t n;
  sqlite3_uint64 nNeed;

  if( sqlite3_value_type(pVal)!=SQLITE_BLOB ){
    *pzErr = sqlite3_mprintf("%s(): %s is %s; expected a BLOB from "
        "svd_basis()", zFunc, zArg, basisTypeName(sqlite3_value_type(pVal)));
    return SQLITE_ERROR;
  }
  z = sqlite3_value_blob(pVal);
  nByte = sqlite3_value_bytes(pVal);
  if( nByte<BASIS_HEADER ){
    *pzErr = sqlite3_mprintf("%s(): %s is a %lld-byte BLOB, too short for "
        "a basis from svd_basis() (its header alone is %d bytes)",
        zFunc, zArg, nByte, BASIS_HEADER);
    return SQLITE_ERROR;
  }
  if( memcmp(z, BASIS_MAGIC, 4)!=0 ){
    *pzErr = sqlite3_mprintf("%s(): %s is not a basis from svd_basis(): "
        "it does not begin with the bytes '" BASIS_MAGIC "'", zFunc, zArg);
    return SQLITE_ERROR;
  }
  iVersion = basisGet32(z+4);
  if( iVersion!=BASIS_VERSION ){
    *pzErr = sqlite3_mprintf("%s(): %s has layout version %u; this build "
        "of sqlite-svd reads version %d", zFunc, zArg, iVersion, BASIS_VERSION);
    return SQLITE_ERROR;
  }
  flags = basisGet32(z+8);
  d = basisGet32(z+12);
  k = basisGet32(z+16);
  n = basisGet64(z+24);
  if( (flags & ~BASIS_CENTER)!=0 || basisGet32(z+20)!=0 ){
    *pzErr = sqlite3_mprintf("%s(): %s header has unknown flags 0x%x or a "
        "non-zero reserved field; it is corrupted", zFunc, zArg, flags);
    return SQLITE_ERROR;
  }
  if( d<1 || k<1 || k>d || n<1 || n>(uint64_t)INT64_MAX || k>n
   || d>(uint64_t)nByte/8 ){
    *pzErr = sqlite3_mprintf("%s(): %s header is inconsistent: n=%llu, "
        "d=%u, K=%u; expected 1 <= K <= min(n, d)", zFunc, zArg, n, d, k);
    return SQLITE_ERROR;
  }
  nNeed = BASIS_HEADER + 8*((sqlite3_uint64)d*2 + k + (sqlite3_uint64)k*d);
  if( nNeed!=(sqlite3_uint64)nByte ){
    *pzErr = sqlite3_mprintf("%s(): %s has %lld bytes but a basis of d=%u, "
        "K=%u has %llu; it is %s", zFunc, zArg, nByte, d, k, nNeed,
        nNeed>(sqlite3_uint64)nByte ? "truncated" : "corrupted");
    return SQLITE_ERROR;
  }
  pV->z = z;
  pV->nRow = (sqlite3_int64)n;
  pV->nDim = (int)d;
  pV->nK = (int)k;
  pV->bCenter = (flags & BASIS_CENTER)!=0;
  pV->zArg = zArg;
  return SQLITE_OK;
}

/*
** Read n doubles from value index iVal of the BLOB's data (0 = the mean's
** first) into a[]. Returns SQLITE_OK, or SQLITE_ERROR with *pzErr when one
** is not finite.
*/
static int basisValues(const BasisView *pV, sqlite3_int64 iVal, int n,
                       double *a, const char *zFunc, char **pzErr){
  const unsigned char *z = pV->z + BASIS_HEADER + 8*iVal;
  int i;
  for(i=0; i<n; i++){
    uint64_t u = basisGet64(z + 8*(sqlite3_int64)i);
    memcpy(&a[i], &u, 8);
    if( !isfinite(a[i]) ){
      *pzErr = sqlite3_mprintf("%s(): %s holds a non-finite value at "
          "byte %lld; it is corrupted", zFunc, pV->zArg,
          (sqlite3_int64)BASIS_HEADER + 8*(iVal+i));
      return SQLITE_ERROR;
    }
  }
  return SQLITE_OK;
}

/* Index of direction i (0-based) among the BLOB's doubles. */
static sqlite3_int64 basisDirIndex(const BasisView *pV, int i){
  return (sqlite3_int64)pV->nDim*2 + pV->nK + (sqlite3_int64)i*pV->nDim;
}

/*
** Argument I (not NULL) as its error names it, into z[BASIS_ARG_MAX]: "3",
** "a REAL, 1.5", "TEXT '2'" (the text when it is short and reads as a
** number, the case where a bare "I is 2" would contradict itself), "TEXT",
** "a BLOB".
*/
#define BASIS_ARG_MAX (FMT_MAX+16)
static void basisArgName(sqlite3_value *pVal, char *z){
  int eType = sqlite3_value_type(pVal);
  const char *zText = eType==SQLITE_TEXT
                    ? (const char*)sqlite3_value_text(pVal) : 0;
  if( eType==SQLITE_INTEGER ){
    snprintf(z, BASIS_ARG_MAX, "%lld", sqlite3_value_int64(pVal));
  }else if( eType==SQLITE_FLOAT ){
    memcpy(z, "a REAL, ", 8);
    fmtDouble(sqlite3_value_double(pVal), z+8);
  }else if( zText && strlen(zText)<=24
         && strspn(zText, "0123456789+-.eE ")==strlen(zText) ){
    snprintf(z, BASIS_ARG_MAX, "TEXT '%s'", zText);
  }else{
    snprintf(z, BASIS_ARG_MAX, "%s", basisTypeName(eType));
  }
}

/* Read argument I (1-based direction) of zFunc; 0 after an error. */
static int basisIndex(sqlite3_context *ctx, sqlite3_value *pVal,
                      const BasisView *pV, const char *zFunc, int *piDir){
  sqlite3_int64 i;
  if( sqlite3_value_type(pVal)!=SQLITE_INTEGER
   || (i = sqlite3_value_int64(pVal))<1 || i>pV->nK ){
    char z[BASIS_ARG_MAX];
    basisArgName(pVal, z);
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "%s(): I is %s; expected an INTEGER from 1 to K = %d",
        zFunc, z, pV->nK));
    return 0;
  }
  *piDir = (int)i - 1;
  return 1;
}

/*
** Open BASIS and read X into pBuf (x - mean when centered), into aScratch
** room for 2*d doubles. Returns 1 when ready, 0 after reporting an error.
*/
static int basisCentered(sqlite3_context *ctx, sqlite3_value *pBasis,
                         sqlite3_value *pX, const char *zFunc, BasisView *pV,
                         VecBuf *pBuf, double **paScratch){
  char *zErr = 0;
  int rc = basisOpen(pBasis, zFunc, "BASIS", pV, &zErr);
  int j;
  if( rc==SQLITE_OK ) rc = vecRead(pX, zFunc, "X", pBuf, &zErr);
  if( rc==SQLITE_OK && pBuf->n!=pV->nDim ){
    zErr = sqlite3_mprintf("%s(): X has %lld dimensions; the basis has %d",
                           zFunc, pBuf->n, pV->nDim);
    rc = SQLITE_ERROR;
  }
  if( rc==SQLITE_OK ){
    *paScratch = sqlite3_malloc64(sizeof(double)*2*(sqlite3_uint64)pV->nDim);
    if( *paScratch==0 ) rc = SQLITE_NOMEM;
  }
  if( rc==SQLITE_OK && pV->bCenter ){
    const double *aHi = *paScratch, *aLo = aHi + pV->nDim;
    rc = basisValues(pV, 0, 2*pV->nDim, *paScratch, zFunc, &zErr);
    for(j=0; rc==SQLITE_OK && j<pV->nDim; j++){
      pBuf->a[j] = (pBuf->a[j] - aHi[j]) - aLo[j];
    }
  }
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return 0;
  }
  return 1;
}

/* Coordinate i (0-based) of the centered x in pBuf; aDir is scratch. */
static int basisDot(const BasisView *pV, const VecBuf *pBuf, int i,
                    double *aDir, const char *zFunc, double *pr, char **pzErr){
  int j, rc = basisValues(pV, basisDirIndex(pV, i), pV->nDim, aDir, zFunc,
                          pzErr);
  double r = 0.0;
  if( rc ) return rc;
  for(j=0; j<pV->nDim; j++) r += pBuf->a[j]*aDir[j];
  if( !isfinite(r) ){
    *pzErr = sqlite3_mprintf("%s(): coordinate %d is beyond the range of a "
        "double; X is too far from the mean", zFunc, i+1);
    return SQLITE_ERROR;
  }
  *pr = r;
  return SQLITE_OK;
}

/* svd_project(BASIS, X) */
void basisProjectFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  BasisView v;
  double *aScratch = 0;
  unsigned char *zOut = 0;
  char *zErr = 0;
  int i, rc = SQLITE_OK;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  if( !basisCentered(ctx, argv[0], argv[1], "svd_project", &v, &buf,
                     &aScratch) ){
    goto project_out;
  }
  zOut = sqlite3_malloc64((sqlite3_uint64)v.nK*4);
  if( zOut==0 ) rc = SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<v.nK; i++){
    double r;
    float f;
    rc = basisDot(&v, &buf, i, aScratch, "svd_project", &r, &zErr);
    if( rc ) break;
    f = (float)r;
    if( isinf(f) ){
      char z[FMT_MAX];
      fmtDouble(r, z);
      zErr = sqlite3_mprintf("svd_project(): coordinate %d is %s, beyond the "
          "range of float32; svd_coord() gives it as a REAL", i+1, z);
      rc = SQLITE_ERROR;
      break;
    }
    memcpy(zOut + 4*(sqlite3_int64)i, &f, 4);
  }
  if( rc ){
    svdResultError(ctx, rc, zErr);
    sqlite3_free(zOut);
  }else{
    sqlite3_result_blob64(ctx, zOut, (sqlite3_uint64)v.nK*4, sqlite3_free);
  }
project_out:
  sqlite3_free(aScratch);
  vecBufFree(&buf);
}

/* svd_coord(BASIS, X, I) */
void basisCoordFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  BasisView v;
  double *aScratch = 0, r = 0.0;
  char *zErr = 0;
  int iDir, rc;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL
   || sqlite3_value_type(argv[2])==SQLITE_NULL ) return;
  if( basisCentered(ctx, argv[0], argv[1], "svd_coord", &v, &buf, &aScratch)
   && basisIndex(ctx, argv[2], &v, "svd_coord", &iDir) ){
    rc = basisDot(&v, &buf, iDir, aScratch, "svd_coord", &r, &zErr);
    if( rc ){
      svdResultError(ctx, rc, zErr);
    }else{
      sqlite3_result_double(ctx, r);
    }
  }
  sqlite3_free(aScratch);
  vecBufFree(&buf);
}

/* svd_direction(BASIS, I) */
void basisDirectionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  BasisView v;
  double *a = 0;
  float *aOut = 0;
  char *zErr = 0;
  int iDir, j, rc;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL
   || sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  rc = basisOpen(argv[0], "svd_direction", "BASIS", &v, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return;
  }
  if( !basisIndex(ctx, argv[1], &v, "svd_direction", &iDir) ) return;
  a = sqlite3_malloc64(sizeof(double)*(sqlite3_uint64)v.nDim);
  aOut = sqlite3_malloc64(sizeof(float)*(sqlite3_uint64)v.nDim);
  if( a==0 || aOut==0 ){
    rc = SQLITE_NOMEM;
  }else{
    rc = basisValues(&v, basisDirIndex(&v, iDir), v.nDim, a, "svd_direction",
                     &zErr);
  }
  if( rc ){
    svdResultError(ctx, rc, zErr);
    sqlite3_free(aOut);
  }else{
    for(j=0; j<v.nDim; j++) aOut[j] = (float)a[j];
    sqlite3_result_blob64(ctx, aOut, sizeof(float)*(sqlite3_uint64)v.nDim,
                          sqlite3_free);
  }
  sqlite3_free(a);
}

/*
** Append n values from index iVal as a JSON array; bMean: the 2*n values of
** the mean, printed as hi + lo rounded to one double.
*/
static int basisJsonArray(sqlite3_str *pStr, const BasisView *pV,
                          sqlite3_int64 iVal, int n, int bMean,
                          double *aScratch, char **pzErr){
  char *zArr;
  sqlite3_int64 nArr = 0;
  int i, rc = basisValues(pV, iVal, bMean ? 2*n : n, aScratch,
                          "svd_basis_json", pzErr);
  if( rc ) return rc;
  for(i=0; bMean && i<n; i++) aScratch[i] += aScratch[n+i];
  zArr = vecToJson(aScratch, n, 0, &nArr);
  if( zArr==0 ) return SQLITE_NOMEM;
  sqlite3_str_append(pStr, zArr, (int)nArr);
  sqlite3_free(zArr);
  return SQLITE_OK;
}

/* svd_basis_json(BASIS) */
void basisJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  BasisView v;
  sqlite3_str *pStr;
  double *a;
  char *zErr = 0, *zOut;
  int i, rc;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  rc = basisOpen(argv[0], "svd_basis_json", "BASIS", &v, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return;
  }
  a = sqlite3_malloc64(sizeof(double)*2*(sqlite3_uint64)v.nDim);
  if( a==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  pStr = sqlite3_str_new(0);
  sqlite3_str_appendf(pStr, "{\"n\":%lld,\"d\":%d,\"k\":%d,\"center\":%s,"
                      "\"mean\":", v.nRow, v.nDim, v.nK,
                      v.bCenter ? "true" : "false");
  rc = basisJsonArray(pStr, &v, 0, v.nDim, 1, a, &zErr);
  if( rc==SQLITE_OK ){
    sqlite3_str_appendall(pStr, ",\"sigma\":");
    rc = basisJsonArray(pStr, &v, 2*v.nDim, v.nK, 0, a, &zErr);
  }
  if( rc==SQLITE_OK ) sqlite3_str_appendall(pStr, ",\"directions\":[");
  for(i=0; rc==SQLITE_OK && i<v.nK; i++){
    if( i>0 ) sqlite3_str_appendchar(pStr, 1, ',');
    rc = basisJsonArray(pStr, &v, basisDirIndex(&v, i), v.nDim, 0, a, &zErr);
  }
  if( rc==SQLITE_OK ) sqlite3_str_appendall(pStr, "]}");
  if( rc==SQLITE_OK && sqlite3_str_errcode(pStr) ) rc = SQLITE_NOMEM;
  zOut = sqlite3_str_finish(pStr);
  if( rc ){
    sqlite3_free(zOut);
    svdResultError(ctx, rc, zErr);
  }else{
    sqlite3_result_text(ctx, zOut, -1, sqlite3_free);
    sqlite3_result_subtype(ctx, SVD_JSON_SUBTYPE);
  }
  sqlite3_free(a);
}

int basisRead(sqlite3_value *pVal, const char *zFunc, const char *zArg,
              BasisData *p, char **pzErr){
  BasisView v;
  int i, rc = basisOpen(pVal, zFunc, zArg, &v, pzErr);
  if( rc ) return rc;
  rc = basisAlloc(p, v.nRow, v.nDim, v.nK, v.bCenter);
  if( rc ) return rc;
  rc = basisValues(&v, 0, 2*v.nDim, p->aMean, zFunc, pzErr);
  if( rc==SQLITE_OK ){
    rc = basisValues(&v, 2*(sqlite3_int64)v.nDim, v.nK, p->aSigma, zFunc,
                     pzErr);
  }
  /* direction by direction: K*d may pass an int */
  for(i=0; rc==SQLITE_OK && i<v.nK; i++){
    rc = basisValues(&v, basisDirIndex(&v, i), v.nDim,
                     p->aDir + (sqlite3_int64)i*v.nDim, zFunc, pzErr);
  }
  if( rc ) basisFree(p);
  return rc;
}
