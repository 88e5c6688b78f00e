/*
** options.c: parsing OPTIONS, the optional last argument of svd_spectrum(),
** svd_basis() and svd_scree_svg().
**
**   svd_spectrum(vec, 'center=false')
**   svd_spectrum(vec, 'method=gram, center=true')
**   svd_scree_svg(label, spec, 'log=true')
**
** Rules:
**   1. TEXT of comma-separated key=value pairs; spaces around keys and values
**      are ignored; '' or NULL means every default.
**   2. Keys and values are lowercase and exact; each function accepts its
**      own keys (aOptKey below, selected by a mask).
**   3. An unknown key, a bad value, a pair without '=' or a key given twice is
**      an error naming the function and listing what is accepted.
**   4. Hints for likely slips: a pair holding ';' or a second '=' (pairs
**      separated by ';', '&' or spaces) says that commas separate pairs; a
**      key or value right but for its case says they are lowercase.
*/
#include "options.h"

#include <stddef.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

/* The keys, their values in the order errors list them, and what each
** value stores in the key's int field of SvdOptions. */
static const struct OptKey {
  const char *zKey;
  unsigned mBit;              /* OPT_* */
  size_t iOffset;             /* offset of its int field in SvdOptions */
  int iDefault;               /* the field's value when the key is absent */
  const char *azValue[4];     /* accepted values, 0-terminated */
  int aiValue[4];             /* what each stores */
} aOptKey[] = {
  { "center", OPT_CENTER, offsetof(SvdOptions, bCenter), 1,
    { "true", "false", 0 }, { 1, 0 } },
  { "method", OPT_METHOD, offsetof(SvdOptions, eMethod), OPT_METHOD_AUTO,
    { "auto", "exact", "gram", 0 },
    { OPT_METHOD_AUTO, OPT_METHOD_EXACT, OPT_METHOD_GRAM } },
  { "log",    OPT_LOG,    offsetof(SvdOptions, bLog),    0,
    { "true", "false", 0 }, { 1, 0 } },
};
#define OPT_NKEY (int)(sizeof(aOptKey)/sizeof(aOptKey[0]))

static int optError(char **pzErr, char *zMsg){
  *pzErr = zMsg;
  return zMsg ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Trim spaces from both ends of z[*pi .. *pj). */
static void optTrim(const char *z, int *pi, int *pj){
  while( *pi<*pj && z[*pi]==' ' ) (*pi)++;
  while( *pj>*pi && z[*pj-1]==' ' ) (*pj)--;
}

/* "center=true|false, log=true|false": the keys of mKeys. */
static void optAccepted(sqlite3_str *pStr, unsigned mKeys){
  int i, j, nOut = 0;
  for(i=0; i<OPT_NKEY; i++){
    if( (aOptKey[i].mBit & mKeys)==0 ) continue;
    sqlite3_str_appendf(pStr, "%s%s=", nOut++ ? ", " : "", aOptKey[i].zKey);
    for(j=0; aOptKey[i].azValue[j]; j++){
      sqlite3_str_appendf(pStr, "%s%s", j ? "|" : "", aOptKey[i].azValue[j]);
    }
  }
}

/* "zFunc(): <zMsg>; expected <the accepted keys>" */
static int optErrorAccepted(char **pzErr, const char *zFunc, unsigned mKeys,
                            char *zMsg){
  sqlite3_str *pStr;
  if( zMsg==0 ) return SQLITE_NOMEM;
  pStr = sqlite3_str_new(0);
  sqlite3_str_appendf(pStr, "%s(): %s; expected ", zFunc, zMsg);
  sqlite3_free(zMsg);
  optAccepted(pStr, mKeys);
  return optError(pzErr, sqlite3_str_finish(pStr));
}

/* "zFunc(): option k=v; expected k=a or k=b", and "(values are lowercase)"
** when v is one of them in another case */
static int optErrorValue(char **pzErr, const char *zFunc,
                         const struct OptKey *pKey, const char *zVal, int nVal){
  sqlite3_str *pStr = sqlite3_str_new(0);
  int j, bCase = 0;
  sqlite3_str_appendf(pStr, "%s(): option %s=%.*s; expected ", zFunc,
                      pKey->zKey, nVal, zVal);
  for(j=0; pKey->azValue[j]; j++){
    const char *zSep = j==0 ? "" : pKey->azValue[j+1] ? ", " : " or ";
    sqlite3_str_appendf(pStr, "%s%s=%s", zSep, pKey->zKey, pKey->azValue[j]);
    if( (int)strlen(pKey->azValue[j])==nVal
     && sqlite3_strnicmp(zVal, pKey->azValue[j], nVal)==0 ){
      bCase = 1;
    }
  }
  if( bCase ) sqlite3_str_appendall(pStr, " (values are lowercase)");
  return optError(pzErr, sqlite3_str_finish(pStr));
}

int optText(sqlite3_value *pVal, const char *zFunc, unsigned mKeys,
            const char **pz, char **pzErr){
  int eType = pVal ? sqlite3_value_type(pVal) : SQLITE_NULL;
  int i, k;
  *pz = "";
  if( eType==SQLITE_NULL ) return SQLITE_OK;
  if( eType!=SQLITE_TEXT ){
    /* the example is the first accepted key with a value not its default */
    for(k=0; (aOptKey[k].mBit & mKeys)==0; k++){}
    for(i=0; aOptKey[k].aiValue[i]==aOptKey[k].iDefault; i++){}
    return optError(pzErr, sqlite3_mprintf(
        "%s(): OPTIONS is %s; expected TEXT such as '%s=%s'", zFunc,
        eType==SQLITE_INTEGER ? "an INTEGER" :
        eType==SQLITE_FLOAT ? "a REAL" : "a BLOB",
        aOptKey[k].zKey, aOptKey[k].azValue[i]));
  }
  *pz = (const char*)sqlite3_value_text(pVal);
  return *pz ? SQLITE_OK : SQLITE_NOMEM;
}

int optParse(sqlite3_value *pVal, const char *zFunc, unsigned mKeys,
             SvdOptions *pOpt, char **pzErr){
  const char *z;
  unsigned mSeen = 0;
  int n, i = 0, k, rc;

  for(k=0; k<OPT_NKEY; k++){
    *(int*)((char*)pOpt + aOptKey[k].iOffset) = aOptKey[k].iDefault;
  }
  rc = optText(pVal, zFunc, mKeys, &z, pzErr);
  if( rc ) return rc;
  n = pVal ? sqlite3_value_bytes(pVal) : 0;
  while( n>0 && z[n-1]==' ' ) n--;
  while( i<n ){
    int iKey = i, iEnd, iEq, iVal, iKeyEnd, j;
    const char *pComma = memchr(z+i, ',', (size_t)(n-i));
    const struct OptKey *pKey = 0;
    int bCase = 0, nEq = 0, bSemi = 0;
    iEnd = pComma ? (int)(pComma - z) : n;
    for(j=i; j<iEnd; j++){
      nEq += z[j]=='=';
      bSemi |= z[j]==';';
    }
    iEq = iKey;
    while( iEq<iEnd && z[iEq]!='=' ) iEq++;
    if( bSemi || nEq>1 ){
      int iPair = i, iPairEnd = iEnd;
      optTrim(z, &iPair, &iPairEnd);
      return optError(pzErr, sqlite3_mprintf(
          "%s(): option '%.*s' is not one key=value pair; expected pairs "
          "separated by commas", zFunc, iPairEnd-iPair, z+iPair));
    }
    iKeyEnd = iEq;
    optTrim(z, &iKey, &iKeyEnd);
    if( iEq==iEnd ){
      return optErrorAccepted(pzErr, zFunc, mKeys, sqlite3_mprintf(
          "option '%.*s' has no '='", iEnd-i, z+i));
    }
    iVal = iEq+1;
    optTrim(z, &iVal, &iEnd);
    for(k=0; k<OPT_NKEY; k++){
      if( (aOptKey[k].mBit & mKeys)!=0
       && (int)strlen(aOptKey[k].zKey)==iKeyEnd-iKey ){
        if( memcmp(z+iKey, aOptKey[k].zKey, (size_t)(iKeyEnd-iKey))==0 ){
          pKey = &aOptKey[k];
        }else if( sqlite3_strnicmp(z+iKey, aOptKey[k].zKey,
                                   iKeyEnd-iKey)==0 ){
          bCase = 1;
        }
      }
    }
    if( pKey==0 ){
      return optErrorAccepted(pzErr, zFunc, mKeys, sqlite3_mprintf(
          "unknown option '%.*s'%s", iKeyEnd-iKey, z+iKey,
          bCase ? " (keys are lowercase)" : ""));
    }
    if( mSeen & pKey->mBit ){
      return optError(pzErr, sqlite3_mprintf(
          "%s(): option %s is given twice", zFunc, pKey->zKey));
    }
    mSeen |= pKey->mBit;
    for(j=0; pKey->azValue[j]; j++){
      if( (int)strlen(pKey->azValue[j])==iEnd-iVal
       && memcmp(z+iVal, pKey->azValue[j], (size_t)(iEnd-iVal))==0 ) break;
    }
    if( pKey->azValue[j]==0 ){
      return optErrorValue(pzErr, zFunc, pKey, z+iVal, iEnd-iVal);
    }
    *(int*)((char*)pOpt + pKey->iOffset) = pKey->aiValue[j];
    i = pComma ? (int)(pComma - z) + 1 : n;
  }
  return SQLITE_OK;
}

int optGroup(sqlite3_value *pVal, const char *zFunc, unsigned mKeys,
             char **pzText, SvdOptions *pOpt, char **pzErr){
  const char *z;
  int rc = optText(pVal, zFunc, mKeys, &z, pzErr);
  if( rc ) return rc;
  if( *pzText==0 ){
    rc = optParse(pVal, zFunc, mKeys, pOpt, pzErr);
    if( rc ) return rc;
    *pzText = sqlite3_mprintf("%s", z);
    return *pzText ? SQLITE_OK : SQLITE_NOMEM;
  }
  if( strcmp(*pzText, z)!=0 ){
    int bNull = pVal==0 || sqlite3_value_type(pVal)==SQLITE_NULL;
    return optError(pzErr, sqlite3_mprintf(
        "%s(): OPTIONS changed within a group, from '%s' to %s%s%s; "
        "it must be the same for every row", zFunc, *pzText,
        bNull ? "" : "'", bNull ? "NULL" : z, bNull ? "" : "'"));
  }
  return SQLITE_OK;
}
