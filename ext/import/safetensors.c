/*
** safetensors.c: the tensors of a .safetensors file (a model's weights).
**
**   emb_tensors(PATH)                  name, dtype, shape, bytes: one row per
**                                      tensor, in the header's order
**   emb_read_safetensors(PATH, TENSOR) i, vec: the rows of one 2-D tensor
**                                      of F16, BF16, F32 or F64
**
**   SELECT name, shape FROM emb_tensors('model.safetensors');
**   INSERT INTO emb(id, vec)
**     SELECT i, vec FROM emb_read_safetensors('model.safetensors', 'wte.weight');
**
** The format: an 8-byte little-endian header size N, N bytes of JSON
** (parsed with jansson) mapping each tensor name to {"dtype", "shape",
** "data_offsets": [begin, end]} (plus an optional "__metadata__"), then the
** data; offsets count from the end of the header, values are
** little-endian, tensors row-major.
**
** Rules:
**   1. N is at most 100,000,000 (the format's own limit) and within the
**      file; the header is a JSON object; every tensor's entry has a dtype
**      string, a shape of non-negative integers and data_offsets with
**      0 <= begin <= end <= the data's size; for a dtype of known size,
**      end - begin is the shape's product times that size.
**   2. shape is TEXT, the JSON array as in the header ("[50257,768]").
**   3. F16 and BF16 widen exactly, F64 rounds to nearest float32; NaN, Inf
**      and out-of-range values are errors naming row and column.
*/
#include "import.h"

#include <jansson.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define ST_HEADER_MAX 100000000
#define ST_TENSORS_SCHEMA \
  "CREATE TABLE x(name TEXT, dtype TEXT, shape TEXT, bytes INTEGER, path HIDDEN)"
#define ST_READ_SCHEMA \
  "CREATE TABLE x(i INTEGER, vec BLOB, path HIDDEN, tensor HIDDEN)"

/* One tensor's entry, checked. */
typedef struct StTensor StTensor;
struct StTensor {
  const char *zName;
  const char *zType;      /* dtype as written */
  json_t *pShape;         /* the shape array (borrowed) */
  sqlite3_int64 iBegin;   /* data_offsets */
  sqlite3_int64 iEnd;
};

typedef struct StState StState;
struct StState {
  json_t *pRoot;          /* the header */
  sqlite3_int64 iData;    /* file offset of the data, 8 + N */
  void *pIter;            /* emb_tensors: the next entry */
  StTensor cur;           /* emb_tensors: the current entry */
  int eType;              /* emb_read_safetensors: IMP_* */
  sqlite3_int64 nRow, nDim;
  unsigned char *aRaw;    /* one row, raw */
  float *aRow;            /* one row, converted */
};

/* Bytes per element of the dtypes safetensors defines; 0 if unknown. */
static int stTypeSize(const char *z){
  static const struct { const char *zName; int nSize; } aType[] = {
    {"BOOL", 1}, {"U8", 1}, {"I8", 1}, {"F8_E5M2", 1}, {"F8_E4M3", 1},
    {"I16", 2}, {"U16", 2}, {"F16", 2}, {"BF16", 2},
    {"I32", 4}, {"U32", 4}, {"F32", 4},
    {"I64", 8}, {"U64", 8}, {"F64", 8},
  };
  size_t i;
  for(i=0; i<sizeof(aType)/sizeof(aType[0]); i++){
    if( strcmp(z, aType[i].zName)==0 ) return aType[i].nSize;
  }
  return 0;
}

/* Read and parse the header (rule 1, the parts about N and JSON). */
static int stHeader(ImpFile *pF, StState *pS, char **pzErr){
  unsigned char a[8];
  uint64_t v = 0;
  sqlite3_int64 n;
  char *zJson;
  json_error_t err;
  int i, rc = impRead(pF, a, 8, "the 8-byte header size", pzErr);
  if( rc ) return rc;
  for(i=7; i>=0; i--) v = v<<8 | a[i];
  if( v>ST_HEADER_MAX || (sqlite3_int64)v>pF->nSize - 8 ){
    *pzErr = impErrAt(pF, 0, "header size %llu %s (the file has %lld bytes)",
                      (unsigned long long)v, v>ST_HEADER_MAX
                      ? "is over the format's limit of 100000000 bytes"
                      : "runs past the end of the file", pF->nSize);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  n = (sqlite3_int64)v;
  zJson = sqlite3_malloc64(n ? n : 1);
  if( zJson==0 ) return SQLITE_NOMEM;
  rc = impRead(pF, zJson, n, "the header", pzErr);
  if( rc==SQLITE_OK ){
    pS->pRoot = json_loadb(zJson, (size_t)n, JSON_REJECT_DUPLICATES, &err);
    if( pS->pRoot==0 ){
      *pzErr = impErrAt(pF, 8 + err.position, "header is not valid JSON: %s",
                        err.text);
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }else if( !json_is_object(pS->pRoot) ){
      *pzErr = impErrAt(pF, 8, "header is not a JSON object");
      rc = *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
  }
  sqlite3_free(zJson);
  pS->iData = 8 + n;
  return rc;
}

/* Check the entry zName -> pVal (rule 1) into *pT. */
static int stTensor(ImpFile *pF, StState *pS, const char *zName,
                    json_t *pVal, StTensor *pT, char **pzErr){
  json_t *pType = json_object_get(pVal, "dtype");
  json_t *pShape = json_object_get(pVal, "shape");
  json_t *pOff = json_object_get(pVal, "data_offsets");
  sqlite3_int64 nData = pF->nSize - pS->iData, nElem = 1;
  size_t i;
  int nSize;
  memset(pT, 0, sizeof(*pT));
  if( !json_is_object(pVal) || !json_is_string(pType) || !json_is_array(pShape)
   || !json_is_array(pOff) || json_array_size(pOff)!=2
   || !json_is_integer(json_array_get(pOff, 0))
   || !json_is_integer(json_array_get(pOff, 1)) ){
    *pzErr = impErrAt(pF, 8, "header: tensor '%s' is not an object with a "
                      "\"dtype\" string, a \"shape\" array and "
                      "\"data_offsets\" [begin, end]", zName);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  for(i=0; i<json_array_size(pShape); i++){
    json_t *pDim = json_array_get(pShape, i);
    json_int_t v = json_is_integer(pDim) ? json_integer_value(pDim) : -1;
    if( v<0 || (v>0 && nElem>((sqlite3_int64)1<<62)/v) ){
      *pzErr = impErrAt(pF, 8, "header: tensor '%s' has a shape entry that "
                        "is not a non-negative integer (or the product "
                        "overflows)", zName);
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    nElem *= v;
  }
  pT->zName = zName;
  pT->zType = json_string_value(pType);
  pT->pShape = pShape;
  pT->iBegin = json_integer_value(json_array_get(pOff, 0));
  pT->iEnd = json_integer_value(json_array_get(pOff, 1));
  if( pT->iBegin<0 || pT->iBegin>pT->iEnd || pT->iEnd>nData ){
    *pzErr = impErrAt(pF, 8, "header: tensor '%s' has data_offsets [%lld, "
                      "%lld]; the data after the header are %lld bytes",
                      zName, pT->iBegin, pT->iEnd, nData);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  nSize = stTypeSize(pT->zType);
  if( nSize && (nElem>((sqlite3_int64)1<<62)/nSize
                || pT->iEnd - pT->iBegin!=nElem*nSize) ){
    *pzErr = impErrAt(pF, 8, "header: tensor '%s' has data_offsets [%lld, "
                      "%lld], %lld bytes, but its shape of %s holds %lld "
                      "values of %d bytes", zName, pT->iBegin, pT->iEnd,
                      pT->iEnd - pT->iBegin, pT->zType, nElem, nSize);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static void stStop(ImpCursor *pCur){
  StState *pS = pCur->pState;
  if( pS ){
    if( pS->pRoot ) json_decref(pS->pRoot);
    sqlite3_free(pS->aRaw);
    sqlite3_free(pS->aRow);
    sqlite3_free(pS);
  }
}

/* Open the file, read the header: both functions start so. */
static int stOpen(ImpCursor *pCur, const char *zFunc, sqlite3_value *pPath,
                  char **pzErr){
  StState *pS;
  int rc = impOpen(&pCur->file, zFunc, pPath, pzErr);
  if( rc ) return rc;
  pS = pCur->pState = sqlite3_malloc(sizeof(StState));
  if( pS==0 ) return SQLITE_NOMEM;
  memset(pS, 0, sizeof(*pS));
  return stHeader(&pCur->file, pS, pzErr);
}

/* ---- emb_tensors(PATH) ---- */

static int stListStart(ImpCursor *pCur, sqlite3_value **apArg, char **pzErr){
  int rc = stOpen(pCur, "emb_tensors", apArg[0], pzErr);
  StState *pS = pCur->pState;
  if( rc ) return rc;
  pS->pIter = json_object_iter(pS->pRoot);
  return SQLITE_OK;
}

static int stListNext(ImpCursor *pCur, char **pzErr){
  StState *pS = pCur->pState;
  for(;;){
    const char *zKey;
    json_t *pVal;
    if( pS->pIter==0 ){
      pCur->bEof = 1;
      return SQLITE_OK;
    }
    zKey = json_object_iter_key(pS->pIter);
    pVal = json_object_iter_value(pS->pIter);
    pS->pIter = json_object_iter_next(pS->pRoot, pS->pIter);
    if( strcmp(zKey, "__metadata__")==0 ) continue;
    return stTensor(&pCur->file, pS, zKey, pVal, &pS->cur, pzErr);
  }
}

static void stListColumn(ImpCursor *pCur, sqlite3_context *ctx, int iCol){
  StTensor *pT = &((StState*)pCur->pState)->cur;
  char *z;
  switch( iCol ){
    case 0:
      sqlite3_result_text(ctx, pT->zName, -1, SQLITE_TRANSIENT);
      break;
    case 1:
      sqlite3_result_text(ctx, pT->zType, -1, SQLITE_TRANSIENT);
      break;
    case 2:
      z = json_dumps(pT->pShape, JSON_COMPACT);
      if( z==0 ){
        sqlite3_result_error_nomem(ctx);
      }else{
        sqlite3_result_text(ctx, z, -1, SQLITE_TRANSIENT);
        free(z);
      }
      break;
    default:
      sqlite3_result_int64(ctx, pT->iEnd - pT->iBegin);
      break;
  }
}

const ImpFormat impTensorsFormat = {
  "emb_tensors", ST_TENSORS_SCHEMA, 4, 1, "emb_tensors(PATH)",
  stListStart, stListNext, stListColumn, stStop
};

/* ---- emb_read_safetensors(PATH, TENSOR) ---- */

static int stReadStart(ImpCursor *pCur, sqlite3_value **apArg, char **pzErr){
  ImpFile *pF = &pCur->file;
  const char *zWant;
  StState *pS;
  StTensor t;
  json_t *pVal;
  int rc = stOpen(pCur, "emb_read_safetensors", apArg[0], pzErr);
  if( rc ) return rc;
  pS = pCur->pState;
  if( sqlite3_value_type(apArg[1])!=SQLITE_TEXT ){
    *pzErr = sqlite3_mprintf("emb_read_safetensors(): TENSOR is not TEXT; "
                             "expected a tensor's name");
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  zWant = (const char*)sqlite3_value_text(apArg[1]);
  if( zWant==0 ) return SQLITE_NOMEM;
  pVal = strcmp(zWant, "__metadata__")==0 ? 0 : json_object_get(pS->pRoot, zWant);
  if( pVal==0 ){
    size_t n = json_object_size(pS->pRoot)
             - (json_object_get(pS->pRoot, "__metadata__")!=0);
    *pzErr = impErrAt(pF, 8, "no tensor '%s' in the header; emb_tensors() "
                      "lists the %lld it has", zWant, (sqlite3_int64)n);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  rc = stTensor(pF, pS, zWant, pVal, &t, pzErr);
  if( rc ) return rc;
  pS->eType = strcmp(t.zType, "F16")==0 ? IMP_F16
            : strcmp(t.zType, "BF16")==0 ? IMP_BF16
            : strcmp(t.zType, "F32")==0 ? IMP_F32
            : strcmp(t.zType, "F64")==0 ? IMP_F64 : 0;
  if( pS->eType==0 ){
    *pzErr = impErrAt(pF, 8, "tensor '%s' is %s; expected F16, BF16, F32 or "
                      "F64", zWant, t.zType);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( json_array_size(t.pShape)!=2
   || json_integer_value(json_array_get(t.pShape, 1))<1 ){
    char *zShape = json_dumps(t.pShape, JSON_COMPACT);
    *pzErr = impErrAt(pF, 8, "tensor '%s' has shape %s; expected a 2-D "
                      "tensor [rows, dims] with dims >= 1", zWant,
                      zShape ? zShape : "?");
    free(zShape);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  pS->nRow = json_integer_value(json_array_get(t.pShape, 0));
  pS->nDim = json_integer_value(json_array_get(t.pShape, 1));
  if( pS->nDim>(1<<30)/impTypeSize(pS->eType) ){
    *pzErr = impErrAt(pF, 8, "tensor '%s' has rows of %lld values, over "
                      "SQLite's 1 GiB BLOB size", zWant, pS->nDim);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  pS->aRaw = sqlite3_malloc64(pS->nDim*impTypeSize(pS->eType));
  pS->aRow = sqlite3_malloc64(pS->nDim*sizeof(float));
  if( pS->aRaw==0 || pS->aRow==0 ) return SQLITE_NOMEM;
  pF->iOff = pS->iData + t.iBegin;
  return SQLITE_OK;
}

static int stReadNext(ImpCursor *pCur, char **pzErr){
  StState *pS = pCur->pState;
  ImpFile *pF = &pCur->file;
  sqlite3_int64 iStart = pF->iOff, iBad;
  int nSize = impTypeSize(pS->eType);
  int rc;
  if( pCur->iRow>=pS->nRow ){
    pCur->bEof = 1;
    return SQLITE_OK;
  }
  rc = impRead(pF, pS->aRaw, pS->nDim*nSize, "a row", pzErr);
  if( rc ) return rc;
  iBad = impToF32(pS->aRaw, pS->eType, 0, pS->nDim, pS->aRow);
  if( iBad>=0 ){
    *pzErr = impErrAt(pF, iStart + iBad*nSize, "row %lld, column %lld is "
                      "NaN, infinite or beyond float32's range; expected "
                      "finite values", pCur->iRow, iBad);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static void stReadColumn(ImpCursor *pCur, sqlite3_context *ctx, int iCol){
  StState *pS = pCur->pState;
  if( iCol==0 ){
    sqlite3_result_int64(ctx, pCur->iRow);
  }else{
    impResultF32(ctx, pS->aRow, pS->nDim);
  }
}

const ImpFormat impSafetensorsFormat = {
  "emb_read_safetensors", ST_READ_SCHEMA, 2, 2,
  "emb_read_safetensors(PATH, TENSOR)",
  stReadStart, stReadNext, stReadColumn, stStop
};
