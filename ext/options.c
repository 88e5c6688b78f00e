/*
** options.c: parsing OPTIONS, the optional last argument of svd_spectrum().
**
**   svd_spectrum(vec, 'center=false')
**
** Rules:
**   1. TEXT of comma-separated key=value pairs; spaces around keys and values
**      are ignored; '' or NULL means every default.
**   2. Keys and values are lowercase and exact: center=true|false.
**   3. An unknown key, a bad value, a pair without '=' or a key given twice is
**      an error naming the function and listing what is accepted.
*/
#include "options.h"

#include <string.h>
SQLITE_EXTENSION_INIT3

#define OPT_ACCEPTED "center=true|false"

static int optError(char **pzErr, char *zMsg){
  *pzErr = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Trim spaces from both ends of z[*pi .. *pj). */
static void optTrim(const char *z, int *pi, int *pj){
  while( *pi<*pj && z[*pi]==' ' ) (*pi)++;
  while( *pj>*pi && z[*pj-1]==' ' ) (*pj)--;
}

int optParse(sqlite3_value *pVal, const char *zFunc, SvdOptions *pOpt,
             char **pzErr){
  const char *z;
  int n, i = 0, bSeenCenter = 0;

  pOpt->bCenter = 1;
  if( pVal==0 || sqlite3_value_type(pVal)==SQLITE_NULL ) return SQLITE_OK;
  if( sqlite3_value_type(pVal)!=SQLITE_TEXT ){
    return optError(pzErr, sqlite3_mprintf(
        "%s(): OPTIONS is not TEXT; expected text such as 'center=false'",
        zFunc));
  }
  z = (const char*)sqlite3_value_text(pVal);
  if( z==0 ) return SQLITE_NOMEM;
  n = sqlite3_value_bytes(pVal);
  while( n>0 && z[n-1]==' ' ) n--;
  while( i<n ){
    int iKey = i, iEnd, iEq, iVal, iKeyEnd;
    const char *pComma = memchr(z+i, ',', (size_t)(n-i));
    iEnd = pComma ? (int)(pComma - z) : n;
    iEq = iKey;
    while( iEq<iEnd && z[iEq]!='=' ) iEq++;
    iKeyEnd = iEq;
    optTrim(z, &iKey, &iKeyEnd);
    if( iEq==iEnd ){
      return optError(pzErr, sqlite3_mprintf(
          "%s(): option '%.*s' has no '='; expected %s",
          zFunc, iEnd-i, z+i, OPT_ACCEPTED));
    }
    iVal = iEq+1;
    optTrim(z, &iVal, &iEnd);
    if( iKeyEnd-iKey==6 && memcmp(z+iKey, "center", 6)==0 ){
      if( bSeenCenter ){
        return optError(pzErr, sqlite3_mprintf(
            "%s(): option center is given twice", zFunc));
      }
      bSeenCenter = 1;
      if( iEnd-iVal==4 && memcmp(z+iVal, "true", 4)==0 ){
        pOpt->bCenter = 1;
      }else if( iEnd-iVal==5 && memcmp(z+iVal, "false", 5)==0 ){
        pOpt->bCenter = 0;
      }else{
        return optError(pzErr, sqlite3_mprintf(
            "%s(): option center=%.*s; expected center=true or center=false",
            zFunc, iEnd-iVal, z+iVal));
      }
    }else{
      return optError(pzErr, sqlite3_mprintf(
          "%s(): unknown option '%.*s'; expected %s",
          zFunc, iKeyEnd-iKey, z+iKey, OPT_ACCEPTED));
    }
    i = pComma ? (int)(pComma - z) + 1 : n;
  }
  return SQLITE_OK;
}
