/*
** glue.h: the SQL-facing callbacks that svd.c registers, and the one way
** they report errors.
*/
#ifndef SVD_GLUE_H
#define SVD_GLUE_H

#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT3

/* JSON results carry SQLite's JSON subtype, so json_array(svd_spectrum(v))
** nests the array instead of quoting it. */
#define SVD_JSON_SUBTYPE 74

/* Report rc (SQLITE_NOMEM, or SQLITE_ERROR with zErr from sqlite3_mprintf,
** which is freed here). */
static inline void svdResultError(sqlite3_context *ctx, int rc, char *zErr){
  if( rc==SQLITE_NOMEM || zErr==0 ){
    sqlite3_result_error_nomem(ctx);
  }else{
    sqlite3_result_error(ctx, zErr, -1);
  }
  sqlite3_free(zErr);
}

/* Report a pending interrupt as the result of ctx, as SQLite itself does. */
static inline void svdResultInterrupted(sqlite3_context *ctx){
  sqlite3_result_error(ctx, "interrupted", -1);
  sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
}

/* about.c */
void aboutVersionFunc(sqlite3_context*, int, sqlite3_value**);
void aboutInfoFunc(sqlite3_context*, int, sqlite3_value**);

/* emb.c */
void embF32Func(sqlite3_context*, int, sqlite3_value**);
void embJsonFunc(sqlite3_context*, int, sqlite3_value**);
void embDimsFunc(sqlite3_context*, int, sqlite3_value**);

/* aggregate.c */
void aggSpectrumStep(sqlite3_context*, int, sqlite3_value**);
void aggBasisStep(sqlite3_context*, int, sqlite3_value**);

void aggStateStep(sqlite3_context*, int, sqlite3_value**);
void aggRowsInverse(sqlite3_context*, int, sqlite3_value**);
typedef struct AggSpare AggSpare;   /* aggregate.h */
AggSpare *aggSpareNew(void);
void aggSpareRef(AggSpare*);
void aggSpareUnref(void*);

/* final.c */
void aggSpectrumFinal(sqlite3_context*);
void aggSpectrumValue(sqlite3_context*);
void aggBasisFinal(sqlite3_context*);
void aggBasisValue(sqlite3_context*);
void aggStateFinal(sqlite3_context*);
void aggStateValue(sqlite3_context*);

/* state.c */
struct SpecState;
unsigned char *stateEncode(const struct SpecState*, sqlite3_uint64 *pnByte);
void stateMergeStep(sqlite3_context*, int, sqlite3_value**);
void stateMergeFinal(sqlite3_context*);
void stateSpectrumFunc(sqlite3_context*, int, sqlite3_value**);
void stateBasisFunc(sqlite3_context*, int, sqlite3_value**);
void stateJsonFunc(sqlite3_context*, int, sqlite3_value**);

/* basis.c */
void basisProjectFunc(sqlite3_context*, int, sqlite3_value**);
void basisCoordFunc(sqlite3_context*, int, sqlite3_value**);
void basisDirectionFunc(sqlite3_context*, int, sqlite3_value**);
void basisJsonFunc(sqlite3_context*, int, sqlite3_value**);

/* measures.c */
void measEffectiveRankFunc(sqlite3_context*, int, sqlite3_value**);
void measParticipationFunc(sqlite3_context*, int, sqlite3_value**);
void measComponentsForFunc(sqlite3_context*, int, sqlite3_value**);

/* noise.c */
void noiseThresholdFunc(sqlite3_context*, int, sqlite3_value**);
void noiseSignalRankFunc(sqlite3_context*, int, sqlite3_value**);

/* angles.c */
void angAnglesFunc(sqlite3_context*, int, sqlite3_value**);
void angResidualFunc(sqlite3_context*, int, sqlite3_value**);

/* scree.c */
void screeStep(sqlite3_context*, int, sqlite3_value**);
void screeFinal(sqlite3_context*);

/* cka.c */
void ckaStep(sqlite3_context*, int, sqlite3_value**);
void ckaFinal(sqlite3_context*);

/* each.c */
extern sqlite3_module eachModule;

#endif /* SVD_GLUE_H */
