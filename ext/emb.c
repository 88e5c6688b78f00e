/*
** emb.c: the vector helpers.
**
**   emb_f32(X [, TYPE])  X as a float32 BLOB.
**                1. JSON values are rounded to the nearest float32; a value
**                   beyond float32's range is an error.
**                2. TYPE says what a BLOB X holds, little-endian, in any
**                   case: 'f32' (the default: X is checked and returned),
**                   'f64' (rounded to the nearest float32, as JSON values
**                   are), 'f16', 'bf16' or 'i8' (each exact in float32;
**                   int8 values stay the same integers, no scale).
**                3. A JSON X has no element type: TYPE is checked but does
**                   not change it, so a column mixing JSON and BLOB rows
**                   converts in one statement.
**                4. A BLOB tagged by sqlite-vec as int8 (subtype 225) is
**                   read as int8 without a TYPE; a TYPE other than 'i8'
**                   contradicts the tag and is an error (likewise any but
**                   'f32' for float32's 223).
**                NaN or Inf anywhere, a BLOB that is not a whole number of
**                elements and an unknown TYPE are errors.
**   emb_json(X)  X as a JSON array; each element the shortest text that
**                reads back to the same float32 (BLOB) or double (JSON).
**   emb_dims(X)  d, the number of values in X.
**
** NULL in any argument gives NULL. Example: emb_json(emb_f32('[0.1, 2]')) is
** '[0.1,2.0]'; numpy's default np.array([1.0]).tobytes() is float64, and
** emb_f32(x'000000000000f03f', 'f64') is x'0000803f', [1.0] as float32.
*/
#include "glue.h"
#include "import/import.h"
#include "vector.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

/* The element types emb_f32(X, TYPE) reads. The conversions are the
** importers' (import.c), so a float16 .npy and emb_f32(X, 'f16') agree. */
static const struct {
  const char *zType;      /* TYPE */
  const char *zVector;    /* such a vector, for messages */
  const char *zBlob;      /* such a BLOB, for messages */
  int nSize;              /* bytes per element */
  int eImp;               /* IMP_F16 ... IMP_F64, or 0 for int8 */
} aEmbType[] = {
  { "f32",  "a float32 vector",  "a float32 BLOB",  4, IMP_F32 },
  { "f64",  "a float64 vector",  "a float64 BLOB",  8, IMP_F64 },
  { "f16",  "a float16 vector",  "a float16 BLOB",  2, IMP_F16 },
  { "bf16", "a bfloat16 vector", "a bfloat16 BLOB", 2, IMP_BF16 },
  { "i8",   "an int8 vector",    "an int8 BLOB",    1, 0 },
};
#define EMB_NTYPE ((int)(sizeof(aEmbType)/sizeof(aEmbType[0])))
#define EMB_TYPES "'f32', 'f64', 'f16', 'bf16' or 'i8'"

#define EMB_I8 4            /* aEmbType[EMB_I8] is int8 */

/* Report an error message from sqlite3_mprintf (0: out of memory). */
static void embError(sqlite3_context *ctx, char *zErr){
  svdResultError(ctx, zErr ? SQLITE_ERROR : SQLITE_NOMEM, zErr);
}

/* Read argument 1 of zFunc into *pBuf; on failure report it and return 0. */
static int embRead(sqlite3_context *ctx, sqlite3_value *pVal,
                   const char *zFunc, VecBuf *pBuf){
  char *zErr = 0;
  int rc = vecRead(pVal, zFunc, "argument 1", pBuf, &zErr);
  if( rc!=SQLITE_OK ){
    svdResultError(ctx, rc, zErr);
    vecBufFree(pBuf);
    return 0;
  }
  return 1;
}

/* A finite double v at element i (0-based) that float32 cannot hold. */
static void embRangeError(sqlite3_context *ctx, double v, sqlite3_int64 i){
  char z[FMT_MAX];
  fmtDouble(v, z);
  embError(ctx, sqlite3_mprintf(
      "emb_f32(): argument 1 has %s at element %lld, beyond the range of "
      "float32 (largest 3.4028235e+38)", z, i+1));
}

/* TYPE as an index into aEmbType, or -1 after reporting why it is none. */
static int embType(sqlite3_context *ctx, sqlite3_value *pVal){
  const char *z;
  int n, i;
  if( sqlite3_value_type(pVal)!=SQLITE_TEXT ){
    embError(ctx, sqlite3_mprintf(
        "emb_f32(): TYPE is %s; expected " EMB_TYPES " as TEXT",
        vecTypeName(sqlite3_value_type(pVal))));
    return -1;
  }
  z = (const char*)sqlite3_value_text(pVal);
  if( z==0 ){
    sqlite3_result_error_nomem(ctx);
    return -1;
  }
  n = sqlite3_value_bytes(pVal);
  for(i=0; i<EMB_NTYPE; i++){
    if( n==(int)strlen(aEmbType[i].zType)
     && sqlite3_strnicmp(z, aEmbType[i].zType, n)==0 ){
      return i;
    }
  }
  /* echoed only when short and printable ASCII, like the rest of the text
  ** this extension quotes back */
  for(i=0; i<n && z[i]>=0x20 && z[i]<0x7f; i++){}
  if( i==n && n<=32 ){
    embError(ctx, sqlite3_mprintf(
        "emb_f32(): TYPE '%s' is not an element type; expected " EMB_TYPES,
        z));
  }else{
    embError(ctx, sqlite3_mprintf(
        "emb_f32(): TYPE is %d bytes of TEXT, not an element type; expected "
        EMB_TYPES, n));
  }
  return -1;
}

/* Element i (0-based) at p of aEmbType[iType] is NaN, Inf or (float64)
** beyond float32's range: say which. */
static void embBadElement(sqlite3_context *ctx, const unsigned char *p,
                          int iType, sqlite3_int64 i){
  const char *zWhat;
  if( aEmbType[iType].eImp==IMP_F64 ){
    uint64_t u = 0;
    double v;
    int k;
    for(k=0; k<8; k++) u |= (uint64_t)p[k]<<(8*k);
    memcpy(&v, &u, 8);
    if( isfinite(v) ){
      embRangeError(ctx, v, i);
      return;
    }
    zWhat = isnan(v) ? "NaN" : v>0 ? "+Inf" : "-Inf";
  }else{
    /* float16 and bfloat16: all-ones exponent; a zero fraction is Inf */
    unsigned h = (unsigned)p[0] | (unsigned)p[1]<<8;
    unsigned mFrac = aEmbType[iType].eImp==IMP_F16 ? 0x3ffu : 0x7fu;
    zWhat = (h & mFrac) ? "NaN" : (h & 0x8000u) ? "-Inf" : "+Inf";
  }
  embError(ctx, sqlite3_mprintf(
      "emb_f32(): argument 1 has %s at element %lld; expected finite numbers",
      zWhat, i+1));
}

/*
** A BLOB X that sqlite-vec tagged as float32 or int8 holds that type: 1 if
** TYPE aEmbType[iType] agrees (or X has no such tag), else 0 after saying
** so.
*/
static int embTypeMatches(sqlite3_context *ctx, sqlite3_value *pVal,
                          int iType){
  unsigned int eSub = sqlite3_value_subtype(pVal);
  int iSub = eSub==VEC_SUBTYPE_F32 ? 0 : eSub==VEC_SUBTYPE_INT8 ? EMB_I8 : -1;
  if( iSub<0 || iSub==iType ) return 1;
  embError(ctx, sqlite3_mprintf(
      "emb_f32(): argument 1 is %s (sqlite-vec subtype %u), not '%s' as TYPE "
      "says; expected TYPE '%s' or none", aEmbType[iSub].zVector, eSub,
      aEmbType[iType].zType, aEmbType[iSub].zType));
  return 0;
}

/* emb_f32(X, TYPE) for a BLOB X of aEmbType[iType], not float32. */
static void embConvertBlob(sqlite3_context *ctx, sqlite3_value *pVal,
                           int iType){
  int nSize = aEmbType[iType].nSize;
  sqlite3_int64 nByte = sqlite3_value_bytes(pVal), n = nByte/nSize, i;
  sqlite3_int64 iBad = -1;
  const unsigned char *p;
  char *zErr = 0;
  float *a;
  /* the size first: sqlite3_value_blob() would materialize a zeroblob */
  int rc = vecCheckBlobSize(nByte, nSize, aEmbType[iType].zVector, "emb_f32",
                            "argument 1", &zErr);
  if( rc!=SQLITE_OK ){
    svdResultError(ctx, rc, zErr);
    return;
  }
  p = sqlite3_value_blob(pVal);
  a = p ? sqlite3_malloc64((sqlite3_uint64)n*4) : 0;
  if( a==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if( aEmbType[iType].eImp==0 ){
    for(i=0; i<n; i++) a[i] = (float)(p[i]<0x80 ? p[i] : p[i]-256);
  }else{
    iBad = impToF32(p, aEmbType[iType].eImp, 0, n, a);
  }
  if( iBad>=0 ){
    embBadElement(ctx, p + iBad*nSize, iType, iBad);
  }else{
    impResultF32(ctx, a, n);
  }
  sqlite3_free(a);
}

/* emb_f32(X [, TYPE]) */
void embF32Func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  unsigned char *p;
  sqlite3_int64 i;
  int iType = 0, eX = sqlite3_value_type(argv[0]);
  if( eX==SQLITE_NULL ) return;
  if( argc>1 ){
    if( sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
    iType = embType(ctx, argv[1]);
    if( iType<0 ) return;
    if( eX==SQLITE_BLOB && sqlite3_value_subtype(argv[0])!=VEC_SUBTYPE_BIT ){
      if( !embTypeMatches(ctx, argv[0], iType) ) return;
      if( iType>0 ){
        embConvertBlob(ctx, argv[0], iType);
        return;
      }
    }else if( iType>0 && eX!=SQLITE_TEXT && eX!=SQLITE_BLOB ){
      embError(ctx, sqlite3_mprintf(
          "emb_f32(): argument 1 is %s; expected %s or a JSON array of "
          "numbers as TEXT", vecTypeName(eX), aEmbType[iType].zBlob));
      return;
    }
  }
  if( !embRead(ctx, argv[0], "emb_f32", &buf) ) return;
  if( buf.eType==VEC_BLOB ){
    sqlite3_result_value(ctx, argv[0]);
    vecBufFree(&buf);
    return;
  }
  p = sqlite3_malloc64((sqlite3_uint64)buf.n*4);
  if( p==0 ){
    sqlite3_result_error_nomem(ctx);
    vecBufFree(&buf);
    return;
  }
  for(i=0; i<buf.n; i++){
    float f = (float)buf.a[i];
    uint32_t u;
    if( isinf(f) ){
      embRangeError(ctx, buf.a[i], i);
      sqlite3_free(p);
      vecBufFree(&buf);
      return;
    }
    memcpy(&u, &f, 4);
    p[4*i] = (unsigned char)u;
    p[4*i+1] = (unsigned char)(u>>8);
    p[4*i+2] = (unsigned char)(u>>16);
    p[4*i+3] = (unsigned char)(u>>24);
  }
  sqlite3_result_blob64(ctx, p, (sqlite3_uint64)buf.n*4, sqlite3_free);
  vecBufFree(&buf);
}
/* emb_json(X) */
void embJsonFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  sqlite3_int64 nOut = 0;
  char *z;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  if( !embRead(ctx, argv[0], "emb_json", &buf) ) return;
  z = vecToJson(buf.a, buf.n, buf.eType!=VEC_JSON, &nOut);
  vecBufFree(&buf);
  if( z==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text64(ctx, z, (sqlite3_uint64)nOut, sqlite3_free,
                        SQLITE_UTF8);
  sqlite3_result_subtype(ctx, SVD_JSON_SUBTYPE);
}

/* emb_dims(X) */
void embDimsFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
  if( !embRead(ctx, argv[0], "emb_dims", &buf) ) return;
  sqlite3_result_int64(ctx, buf.n);
  vecBufFree(&buf);
}
