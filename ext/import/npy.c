/*
** npy.c: emb_read_npy(PATH), the rows of a 2-D NumPy .npy file.
**
**   INSERT INTO emb(id, vec) SELECT i, vec FROM emb_read_npy('emb.npy');
**
** Columns: i (0-based row), vec (float32 BLOB); PATH is hidden.
**
** Rules:
**   1. Format 1.0, 2.0 or 3.0: the magic "\x93NUMPY", a version, a header
**      length (2 bytes in 1.0, 4 after), and a header that is a Python dict
**      literal with exactly 'descr', 'fortran_order' and 'shape'.
**   2. descr is '<f2', '<f4', '<f8' or the same with '>' (or '=', native,
**      little-endian here); shape is 2-D (n, d) with d >= 1.
**   3. The data are n*d elements right after the header, in C order (row by
**      row, read straight through) or Fortran order (column by column, read
**      in chunks of rows, one stretch per column). The file must hold
**      exactly that many bytes: fewer is "ends early", more an error too.
**   4. float16 widens exactly, float64 rounds to nearest float32; NaN, Inf
**      and values beyond float32's range are errors naming row and column.
*/
#include "import.h"

#include <string.h>
SQLITE_EXTENSION_INIT3

#define NPY_SCHEMA "CREATE TABLE x(i INTEGER, vec BLOB, path HIDDEN)"
#define NPY_I    0
#define NPY_VEC  1

#define NPY_CHUNK_BYTES (4<<20)   /* Fortran order: rows read per chunk */
#define NPY_HEADER_MAX  (1<<20)   /* numpy writes a few hundred bytes */

typedef struct NpyState NpyState;
struct NpyState {
  int eType;              /* IMP_F16, IMP_F32 or IMP_F64 */
  int bBig;               /* big-endian data */
  int bFortran;           /* column-major data */
  sqlite3_int64 nRow;     /* n */
  sqlite3_int64 nDim;     /* d */
  sqlite3_int64 iData;    /* offset of the first element */
  unsigned char *aRaw;    /* one row (C) or nChunk rows (Fortran), raw */
  unsigned char *aGather; /* Fortran: the current row's bytes, gathered */
  float *aRow;            /* the current row, converted */
  sqlite3_int64 iChunk;   /* Fortran: first row held in aRaw */
  sqlite3_int64 nChunk;   /* Fortran: rows per chunk */
};

/* A small cursor over the header text, for the dict literal. */
typedef struct NpyParse NpyParse;
struct NpyParse {
  const char *z;          /* header text */
  int n, i;               /* its length, the position */
  sqlite3_int64 iBase;    /* file offset of z[0], for messages */
};

static void npySkip(NpyParse *q){
  while( q->i<q->n && (q->z[q->i]==' ' || q->z[q->i]=='\t'
                       || q->z[q->i]=='\n' || q->z[q->i]=='\r') ) q->i++;
}

static char *npyErr(ImpFile *pF, NpyParse *q, const char *zExpected){
  const char *zFound = q->i<q->n ? q->z + q->i : "";
  int nFound = 0;
  while( nFound<12 && q->i + nFound<q->n && zFound[nFound]!='\n' ) nFound++;
  while( nFound>0 && zFound[nFound-1]==' ' ) nFound--;
  return impErrAt(pF, q->iBase + q->i, "header: expected %s, found '%.*s'",
                  zExpected, nFound, zFound);
}

/* A quoted string (' or "), without escapes, into *pz, *pn. */
static int npyString(NpyParse *q, const char **pz, int *pn){
  char c;
  int iStart;
  if( q->i>=q->n || (q->z[q->i]!='\'' && q->z[q->i]!='"') ) return 0;
  c = q->z[q->i++];
  iStart = q->i;
  while( q->i<q->n && q->z[q->i]!=c && q->z[q->i]!='\\' ) q->i++;
  if( q->i>=q->n || q->z[q->i]!=c ) return 0;
  *pz = q->z + iStart;
  *pn = q->i - iStart;
  q->i++;
  return 1;
}

static int npyWord(NpyParse *q, const char *zWord){
  int n = (int)strlen(zWord);
  if( q->n - q->i>=n && memcmp(q->z + q->i, zWord, n)==0 ){
    q->i += n;
    return 1;
  }
  return 0;
}

/* A non-negative integer, at most 2^62. */
static int npyInt(NpyParse *q, sqlite3_int64 *pv){
  sqlite3_int64 v = 0;
  int iStart = q->i;
  while( q->i<q->n && q->z[q->i]>='0' && q->z[q->i]<='9' ){
    if( v>((sqlite3_int64)1<<62)/10 ) return 0;
    v = v*10 + (q->z[q->i++] - '0');
  }
  *pv = v;
  return q->i>iStart;
}

/* The shape tuple "(n, d)"; *pnDim gets the count of entries. */
static int npyShape(NpyParse *q, sqlite3_int64 *aShape, int *pnDim,
                    ImpFile *pF, char **pzErr){
  int nDim = 0;
  if( q->i>=q->n || q->z[q->i]!='(' ){
    *pzErr = npyErr(pF, q, "a tuple such as (n, d) for 'shape'");
    return SQLITE_ERROR;
  }
  q->i++;
  for(;;){
    sqlite3_int64 v;
    npySkip(q);
    if( q->i<q->n && q->z[q->i]==')' ){
      q->i++;
      break;
    }
    if( !npyInt(q, &v) ){
      *pzErr = npyErr(pF, q, "a non-negative integer in 'shape'");
      return SQLITE_ERROR;
    }
    if( nDim<3 ) aShape[nDim] = v;
    nDim++;
    npySkip(q);
    if( q->i<q->n && q->z[q->i]==',' ){
      q->i++;
    }else if( q->i>=q->n || q->z[q->i]!=')' ){
      *pzErr = npyErr(pF, q, "',' or ')' in 'shape'");
      return SQLITE_ERROR;
    }
  }
  *pnDim = nDim;
  return SQLITE_OK;
}

/* Parse the dict literal (rule 1) into pS. */
static int npyHeader(NpyState *pS, ImpFile *pF, NpyParse *q, char **pzErr){
  const char *zDescr = 0;
  int nDescr = 0, bDescr = 0, bFortran = 0, bShape = 0, nShape = 0;
  sqlite3_int64 aShape[3] = {0, 0, 0};

  npySkip(q);
  if( q->i>=q->n || q->z[q->i]!='{' ){
    *pzErr = npyErr(pF, q, "'{' opening the header dict");
    return SQLITE_ERROR;
  }
  q->i++;
  for(;;){
    const char *zKey;
    int nKey, iKey;
    npySkip(q);
    if( q->i<q->n && q->z[q->i]=='}' ) break;
    iKey = q->i;
    if( !npyString(q, &zKey, &nKey) ){
      *pzErr = npyErr(pF, q, "a quoted key or '}'");
      return SQLITE_ERROR;
    }
    npySkip(q);
    if( q->i>=q->n || q->z[q->i]!=':' ){
      *pzErr = npyErr(pF, q, "':'");
      return SQLITE_ERROR;
    }
    q->i++;
    npySkip(q);
    if( nKey==5 && memcmp(zKey, "descr", 5)==0 && !bDescr ){
      if( !npyString(q, &zDescr, &nDescr) ){
        *pzErr = npyErr(pF, q, "a quoted type such as '<f4' for 'descr'");
        return SQLITE_ERROR;
      }
      bDescr = 1;
    }else if( nKey==13 && memcmp(zKey, "fortran_order", 13)==0 && !bFortran ){
      if( npyWord(q, "True") ){
        pS->bFortran = 1;
      }else if( !npyWord(q, "False") ){
        *pzErr = npyErr(pF, q, "True or False for 'fortran_order'");
        return SQLITE_ERROR;
      }
      bFortran = 1;
    }else if( nKey==5 && memcmp(zKey, "shape", 5)==0 && !bShape ){
      int rc = npyShape(q, aShape, &nShape, pF, pzErr);
      if( rc ) return rc;
      bShape = 1;
    }else{
      *pzErr = impErrAt(pF, q->iBase + iKey, "header: key '%.*s' is unknown "
                        "or repeated; expected 'descr', 'fortran_order' and "
                        "'shape' once each", nKey, zKey);
      return SQLITE_ERROR;
    }
    npySkip(q);
    if( q->i<q->n && q->z[q->i]==',' ){
      q->i++;
    }else if( q->i>=q->n || q->z[q->i]!='}' ){
      *pzErr = npyErr(pF, q, "',' or '}'");
      return SQLITE_ERROR;
    }
  }
  if( !bDescr || !bFortran || !bShape ){
    *pzErr = impErrAt(pF, q->iBase + q->i, "header: no '%s' key",
                      !bDescr ? "descr" : !bFortran ? "fortran_order" : "shape");
    return SQLITE_ERROR;
  }
  if( nDescr!=3 || (zDescr[0]!='<' && zDescr[0]!='>' && zDescr[0]!='=')
   || zDescr[1]!='f' || (zDescr[2]!='2' && zDescr[2]!='4' && zDescr[2]!='8') ){
    *pzErr = impErrAt(pF, q->iBase, "descr '%.*s' is not a float type that "
                      "can be read; expected '<f2', '<f4' or '<f8' (or '>' "
                      "for big-endian)", nDescr, zDescr);
    return SQLITE_ERROR;
  }
  pS->bBig = zDescr[0]=='>';
  pS->eType = zDescr[2]=='2' ? IMP_F16 : zDescr[2]=='4' ? IMP_F32 : IMP_F64;
  if( nShape!=2 || aShape[1]<1 ){
    *pzErr = impErrAt(pF, q->iBase, "shape has %d dimensions%s; expected a "
                      "2-D array (n, d) with d >= 1", nShape,
                      nShape==2 ? " and d = 0" : "");
    return SQLITE_ERROR;
  }
  pS->nRow = aShape[0];
  pS->nDim = aShape[1];
  return SQLITE_OK;
}

static int npyStart(ImpCursor *pCur, sqlite3_value **apArg, char **pzErr){
  ImpFile *pF = &pCur->file;
  NpyState *pS;
  unsigned char aHead[12];
  char *zHeader = 0;
  sqlite3_int64 nHeader, nRowBytes, nData;
  NpyParse q;
  int rc, nSize;

  rc = impOpen(pF, "emb_read_npy", apArg[0], pzErr);
  if( rc ) return rc;
  pS = pCur->pState = sqlite3_malloc(sizeof(NpyState));
  if( pS==0 ) return SQLITE_NOMEM;
  memset(pS, 0, sizeof(*pS));

  rc = impRead(pF, aHead, 8, "the magic and version", pzErr);
  if( rc ) return rc;
  if( memcmp(aHead, "\x93NUMPY", 6)!=0 ){
    *pzErr = impErrAt(pF, 0, "not a .npy file: it does not begin with "
                      "\"\\x93NUMPY\"");
    return SQLITE_ERROR;
  }
  if( (aHead[6]<1 || aHead[6]>3) || aHead[7]!=0 ){
    *pzErr = impErrAt(pF, 6, ".npy format version %d.%d; expected 1.0, 2.0 "
                      "or 3.0", aHead[6], aHead[7]);
    return SQLITE_ERROR;
  }
  if( aHead[6]==1 ){
    rc = impRead(pF, aHead+8, 2, "the header length", pzErr);
    nHeader = aHead[8] | aHead[9]<<8;
  }else{
    rc = impRead(pF, aHead+8, 4, "the header length", pzErr);
    nHeader = (sqlite3_int64)aHead[8] | (sqlite3_int64)aHead[9]<<8
            | (sqlite3_int64)aHead[10]<<16 | (sqlite3_int64)aHead[11]<<24;
  }
  if( rc ) return rc;
  if( nHeader>NPY_HEADER_MAX ){
    *pzErr = impErrAt(pF, 8, "header length %lld is over %d bytes",
                      nHeader, NPY_HEADER_MAX);
    return SQLITE_ERROR;
  }
  zHeader = sqlite3_malloc64(nHeader + 1);
  if( zHeader==0 ) return SQLITE_NOMEM;
  q.iBase = pF->iOff;
  rc = impRead(pF, zHeader, nHeader, "the header", pzErr);
  if( rc==SQLITE_OK ){
    zHeader[nHeader] = 0;
    q.z = zHeader;
    q.n = (int)nHeader;
    q.i = 0;
    rc = npyHeader(pS, pF, &q, pzErr);
  }
  sqlite3_free(zHeader);
  if( rc ) return rc;

  pS->iData = pF->iOff;
  nSize = impTypeSize(pS->eType);
  if( pS->nDim>(1<<30)/nSize ){
    *pzErr = impErrAt(pF, q.iBase, "rows of %lld values are over SQLite's "
                      "1 GiB BLOB size", pS->nDim);
    return SQLITE_ERROR;
  }
  nRowBytes = pS->nDim*nSize;
  nData = pF->nSize - pS->iData;
  if( pS->nRow>nData/nRowBytes ){
    *pzErr = impErrAt(pF, pF->nSize, "the file ends early: shape (%lld, "
                      "%lld) of %d-byte values needs %lld*%lld*%d bytes of "
                      "data from byte %lld, and it has %lld", pS->nRow,
                      pS->nDim, nSize, pS->nRow, pS->nDim, nSize, pS->iData,
                      nData);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( pS->nRow*nRowBytes!=nData ){
    *pzErr = impErrAt(pF, pS->iData + pS->nRow*nRowBytes, "the file goes on "
                      "after the data: shape (%lld, %lld) of %d-byte values "
                      "needs %lld bytes from byte %lld, and it has %lld",
                      pS->nRow, pS->nDim, nSize, pS->nRow*nRowBytes,
                      pS->iData, nData);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }

  pS->nChunk = 1;
  if( pS->bFortran ){
    pS->nChunk = NPY_CHUNK_BYTES/nRowBytes;
    if( pS->nChunk<1 ) pS->nChunk = 1;
    if( pS->nChunk>pS->nRow ) pS->nChunk = pS->nRow>0 ? pS->nRow : 1;
    pS->iChunk = -1;
    pS->aGather = sqlite3_malloc64(nRowBytes);
    if( pS->aGather==0 ) return SQLITE_NOMEM;
  }
  pS->aRaw = sqlite3_malloc64(nRowBytes*pS->nChunk);
  pS->aRow = sqlite3_malloc64(sizeof(float)*pS->nDim);
  if( pS->aRaw==0 || pS->aRow==0 ) return SQLITE_NOMEM;
  return SQLITE_OK;
}

/* Fortran order: the chunk of rows holding row r, one read per column. */
static int npyChunk(NpyState *pS, ImpFile *pF, sqlite3_int64 r,
                    char **pzErr){
  int nSize = impTypeSize(pS->eType);
  sqlite3_int64 r0 = r - r%pS->nChunk, nTake, j;
  nTake = pS->nRow - r0<pS->nChunk ? pS->nRow - r0 : pS->nChunk;
  for(j=0; j<pS->nDim; j++){
    int rc = impReadAt(pF, pS->iData + (j*pS->nRow + r0)*nSize,
                       pS->aRaw + j*pS->nChunk*nSize, nTake*nSize,
                       "the data", pzErr);
    if( rc ) return rc;
  }
  pS->iChunk = r0;
  return SQLITE_OK;
}

static int npyNext(ImpCursor *pCur, char **pzErr){
  NpyState *pS = pCur->pState;
  ImpFile *pF = &pCur->file;
  int nSize = impTypeSize(pS->eType), rc;
  sqlite3_int64 r, iBad;
  const unsigned char *pRow;

  r = pCur->iRow;
  if( r>=pS->nRow ){
    pCur->bEof = 1;
    return SQLITE_OK;
  }
  if( !pS->bFortran ){
    rc = impRead(pF, pS->aRaw, pS->nDim*nSize, "a row", pzErr);
    if( rc ) return rc;
    pRow = pS->aRaw;
  }else{
    sqlite3_int64 j;
    if( pS->iChunk<0 || r>=pS->iChunk + pS->nChunk ){
      rc = npyChunk(pS, pF, r, pzErr);
      if( rc ) return rc;
    }
    for(j=0; j<pS->nDim; j++){
      memcpy(pS->aGather + j*nSize,
             pS->aRaw + (j*pS->nChunk + (r - pS->iChunk))*nSize, nSize);
    }
    pRow = pS->aGather;
    /* the chunk may outlive the file: the row's last value, the last
    ** column's, must still be there */
    rc = impCheck(pF, pS->iData + r*nSize,
                  pS->iData + ((pS->nDim-1)*pS->nRow + r + 1)*nSize, "a row",
                  pzErr);
    if( rc ) return rc;
  }
  iBad = impToF32(pRow, pS->eType, pS->bBig, pS->nDim, pS->aRow);
  if( iBad>=0 ){
    sqlite3_int64 iElem = pS->bFortran ? iBad*pS->nRow + r : r*pS->nDim + iBad;
    *pzErr = impErrAt(pF, pS->iData + iElem*nSize, "row %lld, column %lld "
                      "is NaN, infinite or beyond float32's range; expected "
                      "finite values", r, iBad);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static void npyColumn(ImpCursor *pCur, sqlite3_context *ctx, int iCol){
  NpyState *pS = pCur->pState;
  if( iCol==NPY_I ){
    sqlite3_result_int64(ctx, pCur->iRow);
  }else{
    impResultF32(ctx, pS->aRow, pS->nDim);
  }
}

static void npyStop(ImpCursor *pCur){
  NpyState *pS = pCur->pState;
  if( pS ){
    sqlite3_free(pS->aRaw);
    sqlite3_free(pS->aGather);
    sqlite3_free(pS->aRow);
    sqlite3_free(pS);
  }
}

const ImpFormat impNpyFormat = {
  "emb_read_npy", NPY_SCHEMA, 2, 1, "emb_read_npy(PATH)",
  npyStart, npyNext, npyColumn, npyStop
};
