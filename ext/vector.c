/*
** vector.c: a vector argument X as doubles, and doubles back as JSON text.
**
** X is one of
**   1. a BLOB of little-endian IEEE-754 float32, 4*d bytes, d >= 1;
**   2. TEXT holding one JSON array of numbers, '[0.25, -1, 3e-2]', read at
**      full double precision. Strict JSON: no NaN, no Infinity, no leading
**      '+' or zeros, no trailing comma, nothing after the closing bracket
**      but whitespace.
** Every value must be finite. Anything else (INTEGER, REAL, an empty or
** ragged BLOB, '[]', '[1,2') is an error such as
**   svd_spectrum(): row 3 is a 10-byte BLOB; a float32 vector needs a
**   multiple of 4 bytes
**
** A BLOB's subtype says which of sqlite-vec's vector types it is: 225 is
** int8, one signed byte an element, each exact as a double; 224 is bit,
** an error (bits have no spectrum; sqlite-vec's vec_to_json() gives them
** as numbers); 223 (float32) or none is rule 1. Functions that read a
** vector are registered with SQLITE_SUBTYPE, without which a window
** function's arguments arrive with the subtype gone.
**
** Numbers are read in the "C" locale whatever locale the host process has
** set, so a host in a ','-decimal locale reads '[0.5]' as 0.5; they are
** written by fmt.c, which has no locale at all.
*/
#define _GNU_SOURCE 1
#include "spectrum.h"  /* smallFromF32 */
#include "vector.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

/* The "C" locale, made once; 0 if it could not be made. */
static locale_t vecCLocale = (locale_t)0;
static pthread_once_t vecLocaleOnce = PTHREAD_ONCE_INIT;

static void vecMakeLocale(void){
  vecCLocale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Switch this thread to the "C" locale; returns what to restore. */
static locale_t vecEnterC(void){
  pthread_once(&vecLocaleOnce, vecMakeLocale);
  if( vecCLocale==(locale_t)0 ) return (locale_t)0;
  return uselocale(vecCLocale);
}

static void vecLeaveC(locale_t old){
  if( old!=(locale_t)0 ) uselocale(old);
}

void vecBufFree(VecBuf *pBuf){
  sqlite3_free(pBuf->a);
  memset(pBuf, 0, sizeof(*pBuf));
}

/* Make room for n values. */
static int vecReserve(VecBuf *pBuf, sqlite3_int64 n){
  if( n>pBuf->nAlloc ){
    sqlite3_int64 nNew = pBuf->nAlloc ? pBuf->nAlloc*2 : 16;
    double *aNew;
    if( nNew<n ) nNew = n;
    aNew = sqlite3_realloc64(pBuf->a, (sqlite3_uint64)nNew*sizeof(double));
    if( aNew==0 ) return SQLITE_NOMEM;
    pBuf->a = aNew;
    pBuf->nAlloc = nNew;
  }
  return SQLITE_OK;
}

/* What the parser found at z[i], for messages: 'x', byte 0xNN, or the end. */
static char *vecDescribe(const char *z, sqlite3_int64 i, sqlite3_int64 n){
  unsigned char c;
  if( i>=n ) return sqlite3_mprintf("the end of the text");
  c = (unsigned char)z[i];
  if( c>=0x20 && c<0x7f ) return sqlite3_mprintf("'%c'", c);
  return sqlite3_mprintf("byte 0x%02x", c);
}

static int vecIsSpace(char c){
  return c==' ' || c=='\t' || c=='\n' || c=='\r';
}

/*
** End of the JSON number starting at z[i], or -1 with *piFail set to where
** the grammar broke (i itself when no number starts there).
*/
static sqlite3_int64 vecNumberEnd(const char *z, sqlite3_int64 i,
                                  sqlite3_int64 n, sqlite3_int64 *piFail){
  if( i<n && z[i]=='-' ) i++;
  if( i<n && z[i]=='0' ){
    i++;
  }else if( i<n && z[i]>='1' && z[i]<='9' ){
    while( i<n && z[i]>='0' && z[i]<='9' ) i++;
  }else{
    *piFail = i;
    return -1;
  }
  if( i<n && z[i]=='.' ){
    i++;
    if( i>=n || z[i]<'0' || z[i]>'9' ){
      *piFail = i;
      return -1;
    }
    while( i<n && z[i]>='0' && z[i]<='9' ) i++;
  }
  if( i<n && (z[i]=='e' || z[i]=='E') ){
    i++;
    if( i<n && (z[i]=='+' || z[i]=='-') ) i++;
    if( i>=n || z[i]<'0' || z[i]>'9' ){
      *piFail = i;
      return -1;
    }
    while( i<n && z[i]>='0' && z[i]<='9' ) i++;
  }
  return i;
}

static int vecJsonError(char **pzErr, const char *zFunc, const char *zWhat,
                        const char *zExpected, const char *z, sqlite3_int64 i,
                        sqlite3_int64 n){
  char *zFound = vecDescribe(z, i, n);
  /* bare numbers where the array should open: numbers separated by spaces
  ** or commas, as a text file or a Python list printed without brackets */
  int bBare = i<n && strcmp(zExpected, "'['")==0
           && strchr("0123456789-+.", z[i])!=0 && z[i]!=0;
  if( zFound==0 ) return SQLITE_NOMEM;
  *pzErr = sqlite3_mprintf(
      "%s(): %s is not a JSON array of numbers: at character %lld expected "
      "%s, found %s%s",
      zFunc, zWhat, i+1, zExpected, zFound,
      bBare ? "; write the numbers as a JSON array, such as '[0.1, 0.2]'" : "");
  sqlite3_free(zFound);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** z must be followed by a NUL byte at z[n] (sqlite3_value_text guarantees
** it), so strtod cannot run past the number the grammar check delimited.
*/
int vecParseJson(const char *z, sqlite3_int64 n, const char *zFunc,
                 const char *zWhat, VecBuf *pBuf, char **pzErr){
  sqlite3_int64 i = 0;
  int rc = SQLITE_OK;
  locale_t old;

  pBuf->n = 0;
  pBuf->eType = VEC_JSON;
  while( i<n && vecIsSpace(z[i]) ) i++;
  if( i>=n || z[i]!='[' ){
    return vecJsonError(pzErr, zFunc, zWhat, "'['", z, i, n);
  }
  i++;
  while( i<n && vecIsSpace(z[i]) ) i++;
  if( i<n && z[i]==']' ){
    *pzErr = sqlite3_mprintf(
        "%s(): %s is an empty JSON array; expected at least one number",
        zFunc, zWhat);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  old = vecEnterC();
  while( 1 ){
    sqlite3_int64 iFail = i;
    sqlite3_int64 iEnd = vecNumberEnd(z, i, n, &iFail);
    char *zEnd = 0;
    double v;
    if( iEnd<0 ){
      rc = vecJsonError(pzErr, zFunc, zWhat,
                        iFail==i ? "a number" : "a digit", z, iFail, n);
      break;
    }
    if( iEnd<n && !vecIsSpace(z[iEnd]) && z[iEnd]!=',' && z[iEnd]!=']' ){
      rc = vecJsonError(pzErr, zFunc, zWhat, "',' or ']'", z, iEnd, n);
      break;
    }
    v = strtod(z+i, &zEnd);
    if( zEnd!=z+iEnd ){
      rc = vecJsonError(pzErr, zFunc, zWhat, "a number", z, i, n);
      break;
    }
    if( !isfinite(v) ){
      *pzErr = sqlite3_mprintf(
          "%s(): %s has %.*s at element %lld, beyond the range of a double; "
          "expected finite numbers",
          zFunc, zWhat, (int)(iEnd-i), z+i, pBuf->n+1);
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      break;
    }
    if( pBuf->n>=VEC_MAX_DIMS ){
      *pzErr = sqlite3_mprintf(
          "%s(): %s has more than %d values; at most %d dimensions are "
          "supported", zFunc, zWhat, VEC_MAX_DIMS, VEC_MAX_DIMS);
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
      break;
    }
    if( vecReserve(pBuf, pBuf->n+1) ){
      rc = SQLITE_NOMEM;
      break;
    }
    pBuf->a[pBuf->n++] = v;
    i = iEnd;
    while( i<n && vecIsSpace(z[i]) ) i++;
    if( i<n && z[i]==',' ){
      i++;
      while( i<n && vecIsSpace(z[i]) ) i++;
      continue;
    }
    if( i<n && z[i]==']' ){
      i++;
      while( i<n && vecIsSpace(z[i]) ) i++;
      if( i<n ){
        rc = vecJsonError(pzErr, zFunc, zWhat, "nothing after ']'", z, i, n);
      }
      break;
    }
    rc = vecJsonError(pzErr, zFunc, zWhat, "',' or ']'", z, i, n);
    break;
  }
  vecLeaveC(old);
  return rc;
}

const char *vecTypeName(int eType){
  switch( eType ){
    case SQLITE_INTEGER: return "an INTEGER";
    case SQLITE_FLOAT:   return "a REAL";
    case SQLITE_NULL:    return "NULL";
    case SQLITE_BLOB:    return "a BLOB";
    default:             return "TEXT";
  }
}


int vecCheckBlobSize(sqlite3_int64 nByte, int nSize, const char *zVector,
                     const char *zFunc, const char *zWhat, char **pzErr){
  if( nByte==0 ){
    *pzErr = sqlite3_mprintf(
        "%s(): %s is an empty BLOB; %s needs at least %d byte%s",
        zFunc, zWhat, zVector, nSize, nSize==1 ? "" : "s");
  }else if( nByte%nSize ){
    *pzErr = sqlite3_mprintf(
        "%s(): %s is a %lld-byte BLOB; %s needs a multiple of %d bytes",
        zFunc, zWhat, nByte, zVector, nSize);
  }else if( nByte/nSize>VEC_MAX_DIMS ){
    *pzErr = sqlite3_mprintf(
        "%s(): %s is a %lld-byte BLOB of %lld values; at most %d dimensions "
        "are supported", zFunc, zWhat, nByte, nByte/nSize, VEC_MAX_DIMS);
  }else{
    return SQLITE_OK;
  }
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/*
** The BLOB at p[0..nByte-1] into pBuf->a: little-endian float32, or int8
** when bInt8. p may be 0 when the size alone is an error.
*/
static int vecReadBlob(const unsigned char *p, sqlite3_int64 nByte, int bInt8,
                       const char *zFunc, const char *zWhat, VecBuf *pBuf,
                       char **pzErr){
  int nSize = bInt8 ? 1 : 4;
  sqlite3_int64 nDim = nByte/nSize, i;
  int rc = vecCheckBlobSize(nByte, nSize,
                            bInt8 ? "an int8 vector" : "a float32 vector",
                            zFunc, zWhat, pzErr);
  if( rc ) return rc;
  if( vecReserve(pBuf, nDim) ) return SQLITE_NOMEM;
  pBuf->n = nDim;
  if( bInt8 ){
    pBuf->eType = VEC_INT8;
    for(i=0; i<nDim; i++) pBuf->a[i] = (signed char)p[i];
    return SQLITE_OK;
  }
  pBuf->eType = VEC_BLOB;
  /* one pass; which value is bad is looked for only when one is */
  if( !smallFromF32(p, pBuf->a, nDim) ) return SQLITE_OK;
  for(i=0; isfinite(pBuf->a[i]); i++){}
  *pzErr = sqlite3_mprintf(
      "%s(): %s has %s at element %lld; expected finite numbers",
      zFunc, zWhat, isnan(pBuf->a[i]) ? "NaN" : (pBuf->a[i]>0 ? "+Inf" : "-Inf"),
      i+1);
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int vecRead(sqlite3_value *pVal, const char *zFunc, const char *zWhat,
            VecBuf *pBuf, char **pzErr){
  int eType = sqlite3_value_type(pVal);
  if( eType==SQLITE_BLOB ){
    unsigned int eSub = sqlite3_value_subtype(pVal);
    int bInt8 = eSub==VEC_SUBTYPE_INT8;
    /* the size first: sqlite3_value_blob() would materialize a zeroblob */
    sqlite3_int64 nByte = sqlite3_value_bytes(pVal);
    const unsigned char *p;
    if( eSub==VEC_SUBTYPE_BIT ){
      *pzErr = sqlite3_mprintf(
          "%s(): %s is a bit vector (sqlite-vec subtype 224), which has no "
          "spectrum; expected a float32 or int8 vector, or the bits as "
          "numbers: pass sqlite-vec's vec_to_json(X), a JSON array of 0 and 1",
          zFunc, zWhat);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if( nByte/(bInt8 ? 1 : 4)>VEC_MAX_DIMS ){
      return vecReadBlob(0, nByte, bInt8, zFunc, zWhat, pBuf, pzErr);
    }
    p = sqlite3_value_blob(pVal);
    if( p==0 && nByte>0 ) return SQLITE_NOMEM;
    return vecReadBlob(p, nByte, bInt8, zFunc, zWhat, pBuf, pzErr);
  }
  if( eType==SQLITE_TEXT ){
    const char *z = (const char*)sqlite3_value_text(pVal);
    if( z==0 ) return SQLITE_NOMEM;
    return vecParseJson(z, sqlite3_value_bytes(pVal), zFunc, zWhat, pBuf,
                        pzErr);
  }
  *pzErr = sqlite3_mprintf(
      "%s(): %s is %s; expected a float32 BLOB or a JSON array of numbers "
      "as TEXT",
      zFunc, zWhat, vecTypeName(eType));
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int vecReadF32Into(sqlite3_value *pVal, double *a, sqlite3_int64 nDim){
  const unsigned char *p;
  unsigned int eSub;
  if( sqlite3_value_type(pVal)!=SQLITE_BLOB ) return 0;
  eSub = sqlite3_value_subtype(pVal);
  if( eSub==VEC_SUBTYPE_INT8 || eSub==VEC_SUBTYPE_BIT ) return 0;
  if( sqlite3_value_bytes(pVal)!=nDim*4 ) return 0;
  p = sqlite3_value_blob(pVal);
  if( p==0 ) return 0;
  return smallFromF32(p, a, nDim)==0;
}

int vecReadRow(sqlite3_value *pVal, const char *zFunc, sqlite3_int64 iRow,
               VecBuf *pBuf, char **pzErr){
  int rc = vecRead(pVal, zFunc, "row", pBuf, pzErr);
  if( rc==SQLITE_ERROR ){
    /* the common path formats nothing; the message is rebuilt here */
    char zWhat[40];
    sqlite3_free(*pzErr);
    *pzErr = 0;
    sqlite3_snprintf(sizeof(zWhat), zWhat, "row %lld", iRow);
    rc = vecRead(pVal, zFunc, zWhat, pBuf, pzErr);
  }
  return rc;
}

int vecReadSpectrum(sqlite3_value *pVal, const char *zFunc, VecBuf *pBuf,
                    char **pzErr){
  int eType = sqlite3_value_type(pVal), rc;
  const char *z;
  sqlite3_int64 i;
  if( eType!=SQLITE_TEXT ){
    *pzErr = sqlite3_mprintf(
        "%s(): SPECTRUM is %s; expected a JSON array of non-negative numbers "
        "as TEXT", zFunc, vecTypeName(eType));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  z = (const char*)sqlite3_value_text(pVal);
  if( z==0 ) return SQLITE_NOMEM;
  rc = vecParseJson(z, sqlite3_value_bytes(pVal), zFunc, "SPECTRUM", pBuf,
                    pzErr);
  if( rc ) return rc;
  for(i=0; i<pBuf->n; i++){
    if( pBuf->a[i]<0.0 ){
      char zNum[FMT_MAX];
      fmtDouble(pBuf->a[i], zNum);
      *pzErr = sqlite3_mprintf(
          "%s(): SPECTRUM has %s at element %lld; expected non-negative "
          "numbers", zFunc, zNum, i+1);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  }
  return SQLITE_OK;
}

char *vecToJson(const double *a, sqlite3_int64 n, int bFloat,
                sqlite3_int64 *pnOut){
  sqlite3_int64 nAlloc = 2 + n*(FMT_MAX+1), nOut = 0, i;
  char *z = sqlite3_malloc64((sqlite3_uint64)nAlloc);
  if( z==0 ) return 0;
  z[nOut++] = '[';
  for(i=0; i<n; i++){
    if( i ) z[nOut++] = ',';
    nOut += bFloat ? fmtFloat((float)a[i], z+nOut)
                   : fmtDouble(a[i], z+nOut);
  }
  z[nOut++] = ']';
  z[nOut] = 0;
  if( pnOut ) *pnOut = nOut;
  return z;
}

int vecParseNumber(char *z, int n, double *pv){
  char c = z[n], *zEnd;
  locale_t old = vecEnterC();
  double v;
  z[n] = 0;
  v = strtod(z, &zEnd);
  z[n] = c;
  vecLeaveC(old);
  *pv = v;
  return n>0 && zEnd==z+n && isfinite(v);
}

int vecUtf8Len(const unsigned char *z, sqlite3_int64 n){
  int len, i;
  unsigned c = z[0];
  if( c<0x80 ) return c>=0x20 && c!=0x7f ? 1 : 0;
  if( c>=0xc2 && c<=0xdf ){ len = 2; c &= 0x1f; }
  else if( c>=0xe0 && c<=0xef ){ len = 3; c &= 0x0f; }
  else if( c>=0xf0 && c<=0xf4 ){ len = 4; c &= 0x07; }
  else return 0;
  if( len>n ) return 0;
  for(i=1; i<len; i++){
    if( (z[i]&0xc0)!=0x80 ) return 0;
    c = (c<<6) | (z[i]&0x3f);
  }
  if( (len==3 && c<0x800) || (len==4 && (c<0x10000 || c>0x10ffff)) ) return 0;
  if( c>=0xd800 && c<=0xdfff ) return 0;     /* surrogates */
  if( c==0xfffe || c==0xffff ) return 0;     /* not XML characters */
  if( c>=0x80 && c<=0x9f ) return 0;         /* C1 controls */
  return len;
}
