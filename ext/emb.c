/*
** emb.c: the vector helpers.
**
**   emb_f32(X)   X as a float32 BLOB; JSON values rounded to nearest float32,
**                a value beyond float32's range is an error.
**   emb_json(X)  X as a JSON array; each element the shortest text that
**                reads back to the same float32 (BLOB) or double (JSON).
**   emb_dims(X)  d, the number of values in X.
**
** NULL gives NULL. Example: emb_json(emb_f32('[0.1, 2]')) is
** '[0.1,2.0]'.
*/
#include "glue.h"
#include "vector.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

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

/* emb_f32(X) */
void embF32Func(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  unsigned char *p;
  sqlite3_int64 i;
  (void)argc;
  if( sqlite3_value_type(argv[0])==SQLITE_NULL ) return;
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
      char z[VEC_FMT_MAX];
      vecFmtDouble(buf.a[i], z);
      svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
          "emb_f32(): argument 1 has %s at element %lld, beyond the range of "
          "float32 (largest 3.4028235e+38)", z, i+1));
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
  z = vecToJson(buf.a, buf.n, buf.eType==VEC_BLOB, &nOut);
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
