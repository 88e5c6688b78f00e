/*
** vocab.c: emb_read_vocab(PATH), a tokenizer's vocabulary: id, token.
**
**   INSERT INTO words(id, word) SELECT id, token FROM emb_read_vocab('tokenizer.json');
**
** Rules:
**   1. PATH is a Hugging Face tokenizer.json, a JSON object whose "model"
**      has a "vocab": either an object {token: id} (BPE, WordPiece,
**      WordLevel) or an array of [token, score] pairs (Unigram, where the
**      id is the position); its "added_tokens" ({"id", "content"}) whose ids
**      the vocab does not already have follow. Or PATH is a vocab.json, an
**      object {token: id}.
**   2. Ids are integers from 0 to 2^31 - 1. Rows come in the file's order;
**      ORDER BY id sorts them.
**   3. The file is parsed whole with jansson (a vocabulary is small beside
**      its embeddings: GPT-2's vocab.json is 1 MB); at most 1 GiB. A syntax
**      error names the line and column; the whole file is checked before
**      the first row, and a structural error names the JSON path.
**   4. Tokens may hold any Unicode; "\u0000" only in a Unigram array
**      (jansson refuses it in object keys, with a message saying so).
*/
#include "import.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define VOC_SCHEMA "CREATE TABLE x(id INTEGER, token TEXT, path HIDDEN)"
#define VOC_FILE_MAX ((sqlite3_int64)1<<30)
#define VOC_ID_MAX   0x7fffffff

typedef struct VocState VocState;
struct VocState {
  json_t *pRoot;
  json_t *pVocab;         /* object or (Unigram) array */
  json_t *pAdded;         /* added_tokens, or 0 */
  int ePhase;             /* 0 vocab, 1 added_tokens, 2 done */
  void *pIter;            /* object vocab: the next entry */
  size_t iNext;           /* array vocab / added_tokens: the next index */
  unsigned char *aSeen;   /* bitmap of the vocab's ids */
  sqlite3_int64 nSeen;    /* bits in aSeen */
  sqlite3_int64 iId;      /* the current row */
  const char *zToken;
  size_t nToken;
};

static char *vocErr(ImpFile *pF, const char *zWhat){
  return sqlite3_mprintf("%s(): %s: %s", pF->zFunc, pF->zPath, zWhat);
}

/* An id: an integer in [0, VOC_ID_MAX]; else -1. */
static sqlite3_int64 vocId(json_t *p){
  json_int_t v;
  if( !json_is_integer(p) ) return -1;
  v = json_integer_value(p);
  return (v<0 || v>VOC_ID_MAX) ? -1 : (sqlite3_int64)v;
}

/* Check every entry (rule 1) and mark the vocab's ids in aSeen. */
static int vocCheck(VocState *pS, ImpFile *pF, int bTokenizer, char **pzErr){
  sqlite3_int64 nMax = -1;
  size_t i;
  const char *zKey;
  json_t *pVal;
  char *zMsg = 0;

  if( json_is_array(pS->pVocab) ){
    json_array_foreach(pS->pVocab, i, pVal){
      if( !json_is_array(pVal) || json_array_size(pVal)<1
       || !json_is_string(json_array_get(pVal, 0)) ){
        zMsg = sqlite3_mprintf("model.vocab[%lld] is not a [token, score] "
                               "pair", (sqlite3_int64)i);
        goto check_out;
      }
    }
    nMax = (sqlite3_int64)json_array_size(pS->pVocab) - 1;
  }else{
    json_object_foreach(pS->pVocab, zKey, pVal){
      sqlite3_int64 id = vocId(pVal);
      if( id<0 ){
        zMsg = sqlite3_mprintf("%s['%s'] is not an integer id from 0 to %d; "
                               "expected tokenizer.json (with model.vocab) or "
                               "vocab.json (an object of token: id)",
                               bTokenizer ? "model.vocab" : "the object",
                               zKey, VOC_ID_MAX);
        goto check_out;
      }
      if( id>nMax ) nMax = id;
    }
  }
  pS->nSeen = nMax + 1;
  pS->aSeen = sqlite3_malloc64(pS->nSeen/8 + 1);
  if( pS->aSeen==0 ) return SQLITE_NOMEM;
  memset(pS->aSeen, 0, (size_t)(pS->nSeen/8 + 1));
  if( json_is_object(pS->pVocab) ){
    json_object_foreach(pS->pVocab, zKey, pVal){
      sqlite3_int64 id = vocId(pVal);
      pS->aSeen[id/8] |= (unsigned char)(1<<(id%8));
    }
  }else{
    memset(pS->aSeen, 0xff, (size_t)(pS->nSeen/8 + 1));
  }
  if( pS->pAdded ){
    json_array_foreach(pS->pAdded, i, pVal){
      if( vocId(json_object_get(pVal, "id"))<0
       || !json_is_string(json_object_get(pVal, "content")) ){
        zMsg = sqlite3_mprintf("added_tokens[%lld] has no integer \"id\" "
                               "from 0 to %d and string \"content\"",
                               (sqlite3_int64)i, VOC_ID_MAX);
        goto check_out;
      }
    }
  }
check_out:
  if( zMsg ){
    *pzErr = vocErr(pF, zMsg);
    sqlite3_free(zMsg);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

static int vocStart(ImpCursor *pCur, sqlite3_value **apArg, char **pzErr){
  ImpFile *pF = &pCur->file;
  VocState *pS;
  json_error_t err;
  json_t *pModel;
  int rc = impOpen(pF, "emb_read_vocab", apArg[0], pzErr);
  if( rc ) return rc;
  pS = pCur->pState = sqlite3_malloc(sizeof(VocState));
  if( pS==0 ) return SQLITE_NOMEM;
  memset(pS, 0, sizeof(*pS));
  if( pF->nSize>VOC_FILE_MAX ){
    *pzErr = impErrAt(pF, 0, "a vocabulary file of %lld bytes; at most %lld",
                      pF->nSize, VOC_FILE_MAX);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  pS->pRoot = json_loadfd(pF->fd, JSON_REJECT_DUPLICATES|JSON_ALLOW_NUL, &err);
  if( pS->pRoot==0 ){
    *pzErr = impErrLine(pF, err.line, "column %d (byte %d): not valid JSON: "
                        "%s", err.column, err.position, err.text);
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  if( !json_is_object(pS->pRoot) ){
    *pzErr = vocErr(pF, "the top level is not a JSON object; expected "
                    "tokenizer.json (with model.vocab) or vocab.json (an "
                    "object of token: id)");
    return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
  }
  pModel = json_object_get(pS->pRoot, "model");
  if( json_is_object(pModel) && json_object_get(pModel, "vocab") ){
    pS->pVocab = json_object_get(pModel, "vocab");
    if( !json_is_object(pS->pVocab) && !json_is_array(pS->pVocab) ){
      *pzErr = vocErr(pF, "model.vocab is neither an object of token: id nor "
                      "an array of [token, score] pairs");
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    pS->pAdded = json_object_get(pS->pRoot, "added_tokens");
    if( pS->pAdded && !json_is_array(pS->pAdded) ){
      *pzErr = vocErr(pF, "added_tokens is not an array");
      return *pzErr ? SQLITE_ERROR : SQLITE_NOMEM;
    }
    rc = vocCheck(pS, pF, 1, pzErr);
  }else{
    pS->pVocab = pS->pRoot;
    rc = vocCheck(pS, pF, 0, pzErr);
  }
  if( rc ) return rc;
  if( json_is_object(pS->pVocab) ) pS->pIter = json_object_iter(pS->pVocab);
  return SQLITE_OK;
}

static int vocNext(ImpCursor *pCur, char **pzErr){
  VocState *pS = pCur->pState;
  (void)pzErr;
  if( pS->ePhase==0 ){
    if( json_is_object(pS->pVocab) ){
      if( pS->pIter ){
        pS->zToken = json_object_iter_key(pS->pIter);
        pS->nToken = json_object_iter_key_len(pS->pIter);
        pS->iId = vocId(json_object_iter_value(pS->pIter));
        pS->pIter = json_object_iter_next(pS->pVocab, pS->pIter);
        return SQLITE_OK;
      }
    }else if( pS->iNext<json_array_size(pS->pVocab) ){
      json_t *pTok = json_array_get(json_array_get(pS->pVocab, pS->iNext), 0);
      pS->zToken = json_string_value(pTok);
      pS->nToken = json_string_length(pTok);
      pS->iId = (sqlite3_int64)pS->iNext++;
      return SQLITE_OK;
    }
    pS->ePhase = 1;
    pS->iNext = 0;
  }
  while( pS->ePhase==1 && pS->pAdded
      && pS->iNext<json_array_size(pS->pAdded) ){
    json_t *pTok = json_array_get(pS->pAdded, pS->iNext++);
    json_t *pContent = json_object_get(pTok, "content");
    sqlite3_int64 id = vocId(json_object_get(pTok, "id"));
    if( id<pS->nSeen && (pS->aSeen[id/8] & (1<<(id%8))) ) continue;
    pS->iId = id;
    pS->zToken = json_string_value(pContent);
    pS->nToken = json_string_length(pContent);
    return SQLITE_OK;
  }
  pS->ePhase = 2;
  pCur->bEof = 1;
  return SQLITE_OK;
}

static void vocColumn(ImpCursor *pCur, sqlite3_context *ctx, int iCol){
  VocState *pS = pCur->pState;
  if( iCol==0 ){
    sqlite3_result_int64(ctx, pS->iId);
  }else{
    sqlite3_result_text64(ctx, pS->zToken, pS->nToken, SQLITE_TRANSIENT,
                          SQLITE_UTF8);
  }
}

static void vocStop(ImpCursor *pCur){
  VocState *pS = pCur->pState;
  if( pS ){
    if( pS->pRoot ) json_decref(pS->pRoot);
    sqlite3_free(pS->aSeen);
    sqlite3_free(pS);
  }
}

const ImpFormat impVocabFormat = {
  "emb_read_vocab", VOC_SCHEMA, 2, 1, "emb_read_vocab(PATH)",
  vocStart, vocNext, vocColumn, vocStop
};
