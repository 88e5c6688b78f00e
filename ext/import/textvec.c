/*
** textvec.c: word vector files, text and binary.
**
**   emb_read_text(PATH)      i, word, vec: GloVe .txt (no header), word2vec
**                            text and fastText .vec (first line "n d")
**   emb_read_word2vec(PATH)  i, word, vec: word2vec binary ("n d\n", then
**                            per row the word, a space, d float32)
**
**   INSERT INTO words(id, word) SELECT i, word FROM emb_read_text('glove.txt');
**
** Rules for text:
**   1. A first line of exactly two non-negative integers is the header
**      "n d"; otherwise there is none, the first line is a row, and d is its
**      number of fields less one (GloVe's words have no spaces).
**   2. Each line is a word and d numbers, separated by spaces or tabs; the
**      last d fields are the numbers and everything before them is the
**      word, so a word may contain spaces. "\r\n" line ends are fine.
**   3. Numbers are read in the "C" locale, rounded to float32; a field that
**      is not a finite number in float32's range is an error naming the
**      line and the field. A line with fewer than d + 1 fields (an empty
**      one has 0) is an error.
**   4. With a header, the file holds exactly n rows: fewer is "ends early",
**      more an error.
** Rules for binary: the header line "n d", then n rows, each optional
** whitespace, the word up to a space (at most 1 MiB), and d little-endian
** float32; only whitespace may follow the last row. A text file handed to
** it fails at row 0, whose vector then reads as text (tvLooksText), with
** an error pointing to emb_read_text.
*/
#include "import.h"
#include "vector.h"

#include <math.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define TV_SCHEMA \
  "CREATE TABLE x(i INTEGER, word TEXT, vec BLOB, path HIDDEN)"
#define TV_WORD_MAX (1<<20)

typedef struct TvState TvState;
struct TvState {
  sqlite3_int64 nRow;     /* n from the header, or -1 */
  sqlite3_int64 nDim;     /* d */
  int bReuse;             /* the first line (no header) is row 0 */
  int nFirst;             /* its length (it may hold NUL bytes) */
  char *zWord;            /* the current row's word */
  int nWord, nWordAlloc;
  float *aRow;            /* the current row */
  unsigned char *aRaw;    /* binary: one row, raw */
};

static int tvIsSpace(char c){
  return c==' ' || c=='\t';
}

/* "n d" with both non-negative integers (d >= 1)? */
static int tvHeader(const char *z, int n, sqlite3_int64 *pnRow,
                    sqlite3_int64 *pnDim){
  sqlite3_int64 a[2] = {0, 0};
  int i = 0, k;
  for(k=0; k<2; k++){
    int iStart;
    while( i<n && tvIsSpace(z[i]) ) i++;
    iStart = i;
    while( i<n && z[i]>='0' && z[i]<='9' ){
      if( a[k]>((sqlite3_int64)1<<50) ) return 0;
      a[k] = a[k]*10 + (z[i++] - '0');
    }
    if( i==iStart ) return 0;
  }
  while( i<n && tvIsSpace(z[i]) ) i++;
  if( i<n || a[1]<1 ) return 0;
  *pnRow = a[0];
  *pnDim = a[1];
  return 1;
}

static int tvWord(TvState *pS, const char *z, int n){
  if( n+1>pS->nWordAlloc ){
    char *zNew = sqlite3_realloc(pS->zWord, n+1);
    if( zNew==0 ) return SQLITE_NOMEM;
    pS->zWord = zNew;
    pS->nWordAlloc = n+1;
  }
  memcpy(pS->zWord, z, n);
  pS->zWord[n] = 0;
  pS->nWord = n;
  return SQLITE_OK;
}

/* Store a number read from the file as float32, or say why not. */
static int tvFloat(double v, float *pf){
  float f = (float)v;
  if( isinf(f) ) return 0;
  *pf = f;
  return 1;
}

static void tvStop(ImpCursor *pCur){
  TvState *pS = pCur->pState;
  if( pS ){
    sqlite3_free(pS->zWord);
    sqlite3_free(pS->aRow);
    sqlite3_free(pS->aRaw);
    sqlite3_free(pS);
  }
}

static int tvNewState(ImpCursor *pCur){
  TvState *pS = pCur->pState = sqlite3_malloc(sizeof(TvState));
  if( pS==0 ) return SQLITE_NOMEM;
  memset(pS, 0, sizeof(*pS));
  pS->nRow = -1;
  return SQLITE_OK;
}

static int tvAllocRow(TvState *pS, int bRaw){
  pS->aRow = sqlite3_malloc64(sizeof(float)*pS->nDim);
  if( bRaw ) pS->aRaw = sqlite3_malloc64(4*pS->nDim);
  return (pS->aRow==0 || (bRaw && pS->aRaw==0)) ? SQLITE_NOMEM : SQLITE_OK;
}

static void tvColumn(ImpCursor *pCur, sqlite3_context *ctx, int iCol){
  TvState *pS = pCur->pState;
  switch( iCol ){
    case 0:
      sqlite3_result_int64(ctx, pCur->iRow);
      break;
    case 1:
      sqlite3_result_text(ctx, pS->zWord, pS->nWord, SQLITE_TRANSIENT);
      break;
    default:
      impResultF32(ctx, pS->aRow, pS->nDim);
      break;
  }
}

/* ---- emb_read_text(PATH) ---- */

static int tvTextStart(ImpCursor *pCur, sqlite3_value **apArg, char **pzErr){
  ImpFile *pF = &pCur->file;
  TvState *pS;
  char *z;
  int n, i, nField = 0;
  int rc = impOpen(pF, "emb_read_text", apArg[0], pzErr);
  if( rc==SQLITE_OK ) rc = tvNewState(pCur);
  if( rc==SQLITE_OK ) rc = impLine(pF, &z, &n, pzErr);
  if( rc ) return rc;
  pS = pCur->pState;
  if( z==0 ){
    *pzErr = impErrLine(pF, 1, "the file is empty; expected GloVe, word2vec "
                        "or fastText text vectors");
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( !tvHeader(z, n, &pS->nRow, &pS->nDim) ){
    for(i=0; i<n; ){
      while( i<n && tvIsSpace(z[i]) ) i++;
      if( i<n ) nField++;
      while( i<n && !tvIsSpace(z[i]) ) i++;
    }
    if( nField<2 ){
      *pzErr = impErrLine(pF, 1, "%d field%s; expected a word and its "
                          "numbers, or a header \"n d\"", nField,
                          nField==1 ? "" : "s");
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    pS->nDim = nField - 1;
    pS->bReuse = 1;
    pS->nFirst = n;
  }
  return tvAllocRow(pS, 0);
}

static int tvTextNext(ImpCursor *pCur, char **pzErr){
  ImpFile *pF = &pCur->file;
  TvState *pS = pCur->pState;
  char *z;
  int n, rc, iEnd, k;

  if( pS->bReuse ){
    z = pF->zLine;
    n = pS->nFirst;
    pS->bReuse = 0;
  }else{
    rc = impLine(pF, &z, &n, pzErr);
    if( rc ) return rc;
  }
  if( z==0 ){
    if( pS->nRow>=0 && pCur->iRow<pS->nRow ){
      *pzErr = impErrLine(pF, pF->iLine + 1, "the file ends early, after "
                          "%lld rows; the header says %lld", pCur->iRow,
                          pS->nRow);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    pCur->bEof = 1;
    return SQLITE_OK;
  }
  if( pS->nRow>=0 && pCur->iRow>=pS->nRow ){
    *pzErr = impErrLine(pF, pF->iLine, "more rows than the header's %lld",
                        pS->nRow);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for(k=0, iEnd=0; iEnd<n; ){
    while( iEnd<n && tvIsSpace(z[iEnd]) ) iEnd++;
    if( iEnd<n ) k++;
    while( iEnd<n && !tvIsSpace(z[iEnd]) ) iEnd++;
  }
  if( k<pS->nDim+1 ){
    *pzErr = impErrLine(pF, pF->iLine, "%d field%s; expected a word and %lld "
                        "numbers", k, k==1 ? "" : "s", pS->nDim);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  /* the last d fields, right to left */
  iEnd = n;
  for(k=(int)pS->nDim-1; k>=0; k--){
    int iStart;
    double v;
    while( iEnd>0 && tvIsSpace(z[iEnd-1]) ) iEnd--;
    iStart = iEnd;
    while( iStart>0 && !tvIsSpace(z[iStart-1]) ) iStart--;
    if( !vecParseNumber(z+iStart, iEnd-iStart, &v)
     || !tvFloat(v, &pS->aRow[k]) ){
      *pzErr = impErrLine(pF, pF->iLine, "number %d, '%.*s', is not a finite "
                          "number in float32's range", k+1,
                          iEnd-iStart>40 ? 40 : iEnd-iStart, z+iStart);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    iEnd = iStart;
  }
  while( iEnd>0 && tvIsSpace(z[iEnd-1]) ) iEnd--;
  return tvWord(pS, z, iEnd);
}

const ImpFormat impTextFormat = {
  "emb_read_text", TV_SCHEMA, 3, 1, "emb_read_text(PATH)",
  tvTextStart, tvTextNext, tvColumn, tvStop
};

/* ---- emb_read_word2vec(PATH) ---- */

static int tvBinStart(ImpCursor *pCur, sqlite3_value **apArg, char **pzErr){
  ImpFile *pF = &pCur->file;
  TvState *pS;
  char *z;
  int n;
  int rc = impOpen(pF, "emb_read_word2vec", apArg[0], pzErr);
  if( rc==SQLITE_OK ) rc = tvNewState(pCur);
  if( rc==SQLITE_OK ) rc = impLine(pF, &z, &n, pzErr);
  if( rc ) return rc;
  pS = pCur->pState;
  if( z==0 || !tvHeader(z, n, &pS->nRow, &pS->nDim) ){
    *pzErr = impErrAt(pF, 0, "the first line is not a header \"n d\" of two "
                      "integers (d >= 1)");
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( pS->nDim>(1<<28) ){
    *pzErr = impErrAt(pF, 0, "rows of %lld values are over SQLite's 1 GiB "
                      "BLOB size", pS->nDim);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return tvAllocRow(pS, 1);
}

/*
** Does row 0's "vector" read as text, a line of word2vec's text format
** handed to the binary reader? All its 4*d bytes are number characters
** (the line goes on), or those up to the line's end, at least the first
** value's 4 bytes, hold d numbers. Real float32 data essentially never
** look so: the first value's four bytes at least would all have to be
** such characters, and a high byte is one only for positive magnitudes
** below 2^-11 or in [2^75, 2^77).
*/
static int tvLooksText(const unsigned char *a, sqlite3_int64 n,
                       sqlite3_int64 nDim){
  sqlite3_int64 i, nField = 0;
  int bDigit = 0, bSpace = 1;
  for(i=0; i<n && a[i]!='\n'; i++){
    unsigned char c = a[i];
    if( c==' ' || c=='\t' || c=='\r' ){
      bSpace = 1;
      continue;
    }
    if( c>='0' && c<='9' ){
      bDigit = 1;
    }else if( c!='.' && c!='-' && c!='+' && c!='e' ){
      return 0;
    }
    if( bSpace ) nField++;
    bSpace = 0;
  }
  return bDigit && (i==n || (i>=3 && nField==nDim));
}

static int tvBinNext(ImpCursor *pCur, char **pzErr){
  ImpFile *pF = &pCur->file;
  TvState *pS = pCur->pState;
  sqlite3_int64 iStart, iBad;
  int c, n = 0, rc;

  /* whitespace before the word (writers put "\n" after each vector) */
  do{
    c = impByte(pF, pzErr);
  }while( c==' ' || c=='\n' || c=='\r' || c=='\t' );
  if( c==-2 ) return SQLITE_ERROR;
  if( pCur->iRow>=pS->nRow ){
    if( c>=0 ){
      *pzErr = impErrAt(pF, pF->iOff - 1, "the file goes on after the "
                        "header's %lld rows", pS->nRow);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    pCur->bEof = 1;
    return SQLITE_OK;
  }
  iStart = pF->iOff - 1;
  while( c>=0 && c!=' ' ){
    if( n>=TV_WORD_MAX ){
      *pzErr = impErrAt(pF, iStart, "row %lld's word is longer than %d bytes",
                        pCur->iRow, TV_WORD_MAX);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    if( n+1>pS->nWordAlloc ){
      int nNew = pS->nWordAlloc ? 2*pS->nWordAlloc : 64;
      char *zNew = sqlite3_realloc(pS->zWord, nNew);
      if( zNew==0 ) return SQLITE_NOMEM;
      pS->zWord = zNew;
      pS->nWordAlloc = nNew;
    }
    pS->zWord[n++] = (char)c;
    c = impByte(pF, pzErr);
  }
  if( c==-2 ) return SQLITE_ERROR;
  if( c<0 ){
    *pzErr = impErrAt(pF, pF->iOff, "the file ends early, inside row %lld "
                      "of %lld (its word)", pCur->iRow, pS->nRow);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  pS->nWord = n;
  iStart = pF->iOff;
  rc = impRead(pF, pS->aRaw, 4*pS->nDim, "a row's vector", pzErr);
  if( rc ) return rc;
  if( pCur->iRow==0 && tvLooksText(pS->aRaw, 4*pS->nDim, pS->nDim) ){
    int nShow = 0;
    while( nShow<30 && nShow<4*pS->nDim && pS->aRaw[nShow]!='\n'
        && pS->aRaw[nShow]!='\r' ) nShow++;
    *pzErr = impErrAt(pF, iStart, "row 0's vector reads as text, '%.*s', not "
                      "binary float32; the file looks like word2vec text "
                      "format: use emb_read_text()", nShow, pS->aRaw);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  iBad = impToF32(pS->aRaw, IMP_F32, 0, pS->nDim, pS->aRow);
  if( iBad>=0 ){
    *pzErr = impErrAt(pF, iStart + 4*iBad, "row %lld, column %lld is NaN or "
                      "infinite; expected finite values", pCur->iRow, iBad);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

const ImpFormat impWord2vecFormat = {
  "emb_read_word2vec", TV_SCHEMA, 3, 1, "emb_read_word2vec(PATH)",
  tvBinStart, tvBinNext, tvColumn, tvStop
};
