/*
** import.c: what the importers share.
**
**   1. ImpFile: a regular file read forwards through a 1 MiB buffer (or at
**      given offsets), so memory stays flat whatever the file's size, and
**      the byte offset or line of every read is known for error messages:
**      "emb_read_npy(): x.npy: byte 128: the file ends inside row 7 ...".
**      Bytes handed out from the buffer are checked to be still in the
**      file, which another process may cut short meanwhile (impCheck).
**   2. Exact conversions to float32: float16 and bfloat16 widen exactly,
**      float64 rounds to nearest; NaN, ±Inf and float64 values beyond
**      float32's range are refused, since every function downstream would
**      refuse them too.
**   3. impModule, one eponymous virtual-table module for every importer:
**      the format (an ImpFormat, the module's client data) names its
**      columns and hidden arguments and reads rows; the module plans,
**      passes the arguments and reports errors. It is SQLITE_DIRECTONLY:
**      a view or trigger cannot make it read files.
*/
#define _XOPEN_SOURCE 700   /* pread, O_CLOEXEC */
#include "import.h"
#include "vector.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
SQLITE_EXTENSION_INIT3

#define IMP_BUF_BYTES (1<<20)
#define IMP_LINE_MAX  (64<<20)   /* longest text line: 64 MiB */

/* ---- ImpFile ---- */

int impOpen(ImpFile *p, const char *zFunc, sqlite3_value *pPath,
            char **pzErr){
  struct stat st;
  const char *zPath;
  memset(p, 0, sizeof(*p));
  p->fd = -1;
  p->zFunc = zFunc;
  if( sqlite3_value_type(pPath)!=SQLITE_TEXT ){
    *pzErr = sqlite3_mprintf("%s(): PATH is not TEXT; expected a file name",
                             zFunc);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  zPath = (const char*)sqlite3_value_text(pPath);
  p->zPath = sqlite3_mprintf("%s", zPath ? zPath : "");
  p->aBuf = sqlite3_malloc(IMP_BUF_BYTES);
  if( zPath==0 || p->zPath==0 || p->aBuf==0 ) return SQLITE_NOMEM;
  p->fd = open(p->zPath, O_RDONLY|O_CLOEXEC);
  if( p->fd<0 ){
    *pzErr = sqlite3_mprintf("%s(): cannot open '%s': %s", zFunc, p->zPath,
                             strerror(errno));
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( fstat(p->fd, &st)!=0 || !S_ISREG(st.st_mode) ){
    *pzErr = sqlite3_mprintf("%s(): '%s' is not a regular file", zFunc,
                             p->zPath);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  p->nSize = st.st_size;
  return SQLITE_OK;
}

void impClose(ImpFile *p){
  if( p->fd>=0 ) close(p->fd);
  sqlite3_free(p->zPath);
  sqlite3_free(p->aBuf);
  sqlite3_free(p->zLine);
  memset(p, 0, sizeof(*p));
  p->fd = -1;
}

/* Bytes from the file quoted in a message may be anything: keep the
** message valid UTF-8, with '?' for each byte that is not printable. */
static void impClean(char *z){
  sqlite3_int64 n = (sqlite3_int64)strlen(z), i = 0;
  while( i<n ){
    int len = vecUtf8Len((const unsigned char*)z+i, n-i);
    if( len==0 ){
      z[i++] = '?';
    }else{
      i += len;
    }
  }
}

static char *impVErr(ImpFile *p, const char *zWhere, sqlite3_int64 iAt,
                     const char *zFmt, va_list ap){
  char *zMsg = sqlite3_vmprintf(zFmt, ap);
  if( zMsg ) impClean(zMsg);
  char *zErr = zMsg ? sqlite3_mprintf("%s(): %s: %s %lld: %s", p->zFunc,
                                      p->zPath, zWhere, iAt, zMsg) : 0;
  sqlite3_free(zMsg);
  return zErr;
}

char *impErrAt(ImpFile *p, sqlite3_int64 iOff, const char *zFmt, ...){
  va_list ap;
  char *z;
  va_start(ap, zFmt);
  z = impVErr(p, "byte", iOff, zFmt, ap);
  va_end(ap);
  return z;
}

char *impErrLine(ImpFile *p, sqlite3_int64 iLine, const char *zFmt, ...){
  va_list ap;
  char *z;
  va_start(ap, zFmt);
  z = impVErr(p, "line", iLine, zFmt, ap);
  va_end(ap);
  return z;
}

/* pread all n bytes at iOff; returns the count read (short at EOF), -1 on
** an I/O error. */
static sqlite3_int64 impPread(ImpFile *p, sqlite3_int64 iOff, void *pOut,
                              sqlite3_int64 n){
  sqlite3_int64 nDone = 0;
  while( nDone<n ){
    ssize_t k = pread(p->fd, (char*)pOut + nDone, (size_t)(n - nDone),
                      (off_t)(iOff + nDone));
    if( k<0 && errno==EINTR ) continue;
    if( k<0 ) return -1;
    if( k==0 ) break;
    nDone += k;
  }
  return nDone;
}

static int impShort(ImpFile *p, sqlite3_int64 iOff, sqlite3_int64 nGot,
                    sqlite3_int64 n, const char *zWhat, char **pzErr){
  if( nGot<0 ){
    *pzErr = impErrAt(p, iOff, "read error: %s", strerror(errno));
  }else{
    *pzErr = impErrAt(p, iOff + nGot, "the file ends inside %s "
                      "(%lld more bytes expected)", zWhat, n - nGot);
  }
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

/* Make the buffer hold the byte at p->iOff, if the file has it. */
static int impFill(ImpFile *p){
  sqlite3_int64 k;
  if( p->iOff>=p->iBufOff && p->iOff<p->iBufOff + p->nBuf ) return 1;
  k = impPread(p, p->iOff, p->aBuf, IMP_BUF_BYTES);
  if( k<0 ) return -1;
  p->iBufOff = p->iOff;
  p->nBuf = (int)k;
  return k>0;
}

/*
** Another process may cut the file short while it is read. The buffer
** then still holds bytes the file no longer has, so before a row made of
** them is handed out, the file must still reach its end, iEnd: else the
** error names the byte where the file ends now. iStart, where the bytes
** began, says whether that is inside or before them. zWhat may be 0.
** (lseek to the end learns the size at about half an fstat's cost here.
** The position it sets is unused: every read here is a pread, and
** vocab.c's json_loadfd, which reads from the position, never meets a
** check.)
*/
int impCheck(ImpFile *p, sqlite3_int64 iStart, sqlite3_int64 iEnd,
             const char *zWhat, char **pzErr){
  off_t nNow = lseek(p->fd, 0, SEEK_END);
  if( nNow<0 ){
    *pzErr = impErrAt(p, iStart, "read error: %s", strerror(errno));
  }else if( nNow<iEnd ){
    const char *zWhere = zWhat==0 ? "" : nNow>iStart ? ", inside " :
                         ", before ";
    *pzErr = impErrAt(p, nNow, "the file ends here%s%s; it had %lld bytes "
                      "when opened and got shorter while being read", zWhere,
                      zWhat ? zWhat : "", p->nSize);
  }else{
    return SQLITE_OK;
  }
  return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
}

int impRead(ImpFile *p, void *pOut, sqlite3_int64 n, const char *zWhat,
            char **pzErr){
  sqlite3_int64 nDone = 0, iStart = p->iOff;
  while( nDone<n ){
    sqlite3_int64 nAvail, nTake;
    int rc = impFill(p);
    if( rc<=0 ){
      p->iOff = iStart;
      if( rc==0 ){
        rc = impCheck(p, iStart, p->nSize, zWhat, pzErr);
        if( rc ) return rc;
      }
      return impShort(p, iStart, rc<0 ? -1 : nDone, n, zWhat, pzErr);
    }
    nAvail = p->iBufOff + p->nBuf - p->iOff;
    nTake = n - nDone < nAvail ? n - nDone : nAvail;
    memcpy((char*)pOut + nDone, p->aBuf + (p->iOff - p->iBufOff),
           (size_t)nTake);
    nDone += nTake;
    p->iOff += nTake;
  }
  return impCheck(p, iStart, p->iOff, zWhat, pzErr);
}

int impReadAt(ImpFile *p, sqlite3_int64 iOff, void *pOut, sqlite3_int64 n,
              const char *zWhat, char **pzErr){
  sqlite3_int64 k = impPread(p, iOff, pOut, n);
  if( k>=0 && k<n ){
    int rc = impCheck(p, iOff, p->nSize, zWhat, pzErr);
    if( rc ) return rc;
  }
  if( k!=n ) return impShort(p, iOff, k, n, zWhat, pzErr);
  return SQLITE_OK;
}

int impByte(ImpFile *p, char **pzErr){
  int rc = impFill(p);
  if( rc<0 ){
    *pzErr = impErrAt(p, p->iOff, "read error: %s", strerror(errno));
    return -2;
  }
  if( rc==0 ){
    return impCheck(p, p->iOff, p->nSize, 0, pzErr) ? -2 : -1;
  }
  return p->aBuf[p->iOff++ - p->iBufOff];
}

int impLine(ImpFile *p, char **pz, int *pn, char **pzErr){
  sqlite3_int64 iStart = p->iOff;
  char zWhat[32];
  int n = 0, rc;
  *pz = 0;
  *pn = 0;
  sqlite3_snprintf(sizeof(zWhat), zWhat, "line %lld", p->iLine+1);
  for(;;){
    const unsigned char *a, *pEol;
    sqlite3_int64 nAvail, nTake;
    rc = impFill(p);
    if( rc<0 ){
      *pzErr = impErrAt(p, p->iOff, "read error: %s", strerror(errno));
      return SQLITE_ERROR;
    }
    if( rc==0 ){
      rc = impCheck(p, iStart, p->nSize, zWhat, pzErr);
      if( rc ) return rc;
      if( n==0 ) return SQLITE_OK;      /* end of file, no partial line */
      break;
    }
    a = p->aBuf + (p->iOff - p->iBufOff);
    nAvail = p->iBufOff + p->nBuf - p->iOff;
    pEol = memchr(a, '\n', (size_t)nAvail);
    nTake = pEol ? (pEol - a) : nAvail;
    if( n + nTake + 1>IMP_LINE_MAX ){
      *pzErr = impErrLine(p, p->iLine+1, "line longer than %d bytes",
                          IMP_LINE_MAX);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if( n + nTake + 1>p->nLineAlloc ){
      int nNew = (int)(n + nTake + 1)*2;
      char *zNew;
      if( nNew>IMP_LINE_MAX+1 ) nNew = IMP_LINE_MAX+1;
      zNew = sqlite3_realloc(p->zLine, nNew);
      if( zNew==0 ) return SQLITE_NOMEM;
      p->zLine = zNew;
      p->nLineAlloc = nNew;
    }
    memcpy(p->zLine + n, a, (size_t)nTake);
    n += (int)nTake;
    p->iOff += nTake;
    if( pEol ){
      p->iOff++;                        /* the '\n' */
      break;
    }
  }
  rc = impCheck(p, iStart, p->iOff, zWhat, pzErr);
  if( rc ) return rc;
  if( n>0 && p->zLine[n-1]=='\r' ) n--;
  p->zLine[n] = 0;
  p->iLine++;
  *pz = p->zLine;
  *pn = n;
  return SQLITE_OK;
}

/* ---- conversions ---- */

int impTypeSize(int eType){
  switch( eType ){
    case IMP_F16:
    case IMP_BF16: return 2;
    case IMP_F32:  return 4;
    default:       return 8;
  }
}

/* Bytes of one element, as a little-endian unsigned integer. */
static uint64_t impBits(const unsigned char *z, int nByte, int bBig){
  uint64_t v = 0;
  int i;
  for(i=0; i<nByte; i++){
    v |= (uint64_t)z[bBig ? nByte-1-i : i] << (8*i);
  }
  return v;
}

/* IEEE half to single: exact. Sets *pBad for NaN and Inf. */
static uint32_t impHalfBits(uint32_t h, int *pBad){
  uint32_t s = (h & 0x8000u)<<16, e = (h>>10) & 0x1f, m = h & 0x3ff;
  if( e==0x1f ){
    *pBad = 1;
    return 0;
  }
  if( e==0 ){
    if( m==0 ) return s;
    /* subnormal: m * 2^-24, renormalized */
    e = 127 - 15 + 1;
    while( (m & 0x400)==0 ){
      m <<= 1;
      e--;
    }
    return s | e<<23 | (m & 0x3ff)<<13;
  }
  return s | (e + 127 - 15)<<23 | m<<13;
}

sqlite3_int64 impToF32(const unsigned char *pIn, int eType, int bBig,
                       sqlite3_int64 n, float *aOut){
  int nByte = impTypeSize(eType);
  sqlite3_int64 i;
  for(i=0; i<n; i++){
    uint64_t v = impBits(pIn + i*nByte, nByte, bBig);
    uint32_t u = 0;
    int bBad = 0;
    switch( eType ){
      case IMP_F16:
        u = impHalfBits((uint32_t)v, &bBad);
        break;
      case IMP_BF16:
        u = (uint32_t)v<<16;
        bBad = (u & 0x7f800000u)==0x7f800000u;
        break;
      case IMP_F32:
        u = (uint32_t)v;
        bBad = (u & 0x7f800000u)==0x7f800000u;
        break;
      default: {
        double d;
        float f;
        memcpy(&d, &v, 8);
        f = (float)d;
        bBad = !isfinite(d) || isinf(f);
        memcpy(&u, &f, 4);
        break;
      }
    }
    if( bBad ) return i;
    memcpy(&aOut[i], &u, 4);
  }
  return -1;
}

void impResultF32(sqlite3_context *ctx, const float *a, sqlite3_int64 n){
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__==__ORDER_LITTLE_ENDIAN__
  sqlite3_result_blob64(ctx, a, (sqlite3_uint64)n*4, SQLITE_TRANSIENT);
#else
  unsigned char *z = sqlite3_malloc64((sqlite3_uint64)n*4);
  sqlite3_int64 i;
  if( z==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for(i=0; i<n; i++){
    uint32_t u;
    memcpy(&u, &a[i], 4);
    z[4*i] = (unsigned char)u;
    z[4*i+1] = (unsigned char)(u>>8);
    z[4*i+2] = (unsigned char)(u>>16);
    z[4*i+3] = (unsigned char)(u>>24);
  }
  sqlite3_result_blob64(ctx, z, (sqlite3_uint64)n*4, sqlite3_free);
#endif
}

/* ---- the module ---- */

typedef struct ImpVtab ImpVtab;
struct ImpVtab {
  sqlite3_vtab base;          /* base class, first */
  const ImpFormat *pFmt;
};

static int impConnect(sqlite3 *db, void *pAux, int argc,
                      const char *const *argv, sqlite3_vtab **ppVtab,
                      char **pzErr){
  const ImpFormat *pFmt = pAux;
  ImpVtab *pNew;
  int rc;
  (void)argc; (void)argv; (void)pzErr;
  rc = sqlite3_declare_vtab(db, pFmt->zSchema);
  if( rc!=SQLITE_OK ) return rc;
  pNew = sqlite3_malloc(sizeof(*pNew));
  if( pNew==0 ) return SQLITE_NOMEM;
  memset(pNew, 0, sizeof(*pNew));
  pNew->pFmt = pFmt;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  *ppVtab = &pNew->base;
  return SQLITE_OK;
}

static int impDisconnect(sqlite3_vtab *pVtab){
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/*
** Every hidden argument needs an equality constraint, passed in order.
** Without one the plan costs a fortune and xFilter reports the missing
** argument; one that is there but not usable yet asks for another order.
*/
static int impBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *pInfo){
  const ImpFormat *pFmt = ((ImpVtab*)pVtab)->pFmt;
  int aiCons[2] = {-1, -1}, abUnusable[2] = {0, 0}, i, nFound = 0;
  for(i=0; i<pInfo->nConstraint; i++){
    const struct sqlite3_index_constraint *pC = &pInfo->aConstraint[i];
    int iArg = pC->iColumn - pFmt->nCol;
    if( iArg<0 || iArg>=pFmt->nArg || pC->op!=SQLITE_INDEX_CONSTRAINT_EQ ){
      continue;
    }
    if( !pC->usable ){
      abUnusable[iArg] = 1;
    }else if( aiCons[iArg]<0 ){
      aiCons[iArg] = i;
    }
  }
  for(i=0; i<pFmt->nArg; i++){
    if( aiCons[i]>=0 ){
      nFound++;
    }else if( abUnusable[i] ){
      return SQLITE_CONSTRAINT;
    }
  }
  if( nFound<pFmt->nArg ){
    pInfo->idxNum = 0;
    pInfo->estimatedCost = 1e300;
    return SQLITE_OK;
  }
  for(i=0; i<pFmt->nArg; i++){
    pInfo->aConstraintUsage[aiCons[i]].argvIndex = i+1;
    pInfo->aConstraintUsage[aiCons[i]].omit = 1;
  }
  pInfo->idxNum = 1;
  pInfo->estimatedCost = 1e6;
  pInfo->estimatedRows = 100000;
  return SQLITE_OK;
}

static int impOpenCursor(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCur){
  ImpCursor *pCur = sqlite3_malloc(sizeof(*pCur));
  if( pCur==0 ) return SQLITE_NOMEM;
  memset(pCur, 0, sizeof(*pCur));
  pCur->pFmt = ((ImpVtab*)pVtab)->pFmt;
  pCur->file.fd = -1;
  pCur->bEof = 1;
  *ppCur = &pCur->base;
  return SQLITE_OK;
}

static void impReset(ImpCursor *pCur){
  int i;
  if( pCur->pFmt->xStop ) pCur->pFmt->xStop(pCur);
  pCur->pState = 0;
  impClose(&pCur->file);
  for(i=0; i<2; i++){
    sqlite3_value_free(pCur->apArg[i]);
    pCur->apArg[i] = 0;
  }
  pCur->iRow = 0;
  pCur->bEof = 1;
}

static int impCloseCursor(sqlite3_vtab_cursor *cur){
  ImpCursor *pCur = (ImpCursor*)cur;
  impReset(pCur);
  sqlite3_free(pCur);
  return SQLITE_OK;
}

static int impFail(ImpCursor *pCur, int rc, char *zErr){
  sqlite3_vtab *pVtab = pCur->base.pVtab;
  sqlite3_free(pVtab->zErrMsg);
  pVtab->zErrMsg = zErr;
  pCur->bEof = 1;
  return (rc==SQLITE_NOMEM || zErr==0) ? SQLITE_NOMEM : SQLITE_ERROR;
}

static int impFilter(sqlite3_vtab_cursor *cur, int idxNum,
                     const char *idxStr, int argc, sqlite3_value **argv){
  ImpCursor *pCur = (ImpCursor*)cur;
  const ImpFormat *pFmt = pCur->pFmt;
  char *zErr = 0;
  int i, rc;
  (void)idxStr;
  impReset(pCur);
  if( idxNum==0 || argc<pFmt->nArg ){
    return impFail(pCur, SQLITE_ERROR, sqlite3_mprintf(
        "%s(): missing argument; expected %s", pFmt->zFunc, pFmt->zUsage));
  }
  for(i=0; i<pFmt->nArg; i++){
    pCur->apArg[i] = sqlite3_value_dup(argv[i]);
    if( pCur->apArg[i]==0 ) return impFail(pCur, SQLITE_NOMEM, 0);
    if( sqlite3_value_type(argv[i])==SQLITE_NULL ) return SQLITE_OK;
  }
  pCur->bEof = 0;
  rc = pFmt->xStart(pCur, argv, &zErr);
  if( rc==SQLITE_OK ) rc = pFmt->xNext(pCur, &zErr);
  if( rc ) return impFail(pCur, rc, zErr);
  return SQLITE_OK;
}

static int impNext(sqlite3_vtab_cursor *cur){
  ImpCursor *pCur = (ImpCursor*)cur;
  char *zErr = 0;
  int rc;
  pCur->iRow++;
  rc = pCur->pFmt->xNext(pCur, &zErr);
  if( rc ) return impFail(pCur, rc, zErr);
  return SQLITE_OK;
}

static int impEof(sqlite3_vtab_cursor *cur){
  return ((ImpCursor*)cur)->bEof;
}

static int impColumn(sqlite3_vtab_cursor *cur, sqlite3_context *ctx,
                     int iCol){
  ImpCursor *pCur = (ImpCursor*)cur;
  if( iCol<pCur->pFmt->nCol ){
    pCur->pFmt->xColumn(pCur, ctx, iCol);
  }else if( pCur->apArg[iCol - pCur->pFmt->nCol] ){
    sqlite3_result_value(ctx, pCur->apArg[iCol - pCur->pFmt->nCol]);
  }
  return SQLITE_OK;
}

static int impRowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *pRowid){
  *pRowid = ((ImpCursor*)cur)->iRow;
  return SQLITE_OK;
}

sqlite3_module impModule = {
  .iVersion = 0,
  .xCreate = 0,               /* eponymous only */
  .xConnect = impConnect,
  .xBestIndex = impBestIndex,
  .xDisconnect = impDisconnect,
  .xOpen = impOpenCursor,
  .xClose = impCloseCursor,
  .xFilter = impFilter,
  .xNext = impNext,
  .xEof = impEof,
  .xColumn = impColumn,
  .xRowid = impRowid,
};
