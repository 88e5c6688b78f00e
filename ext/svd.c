/*
** svd.c: the entry point of the sqlite-svd extension.
**
**   sqlite> .load ./dist/svd
**   sqlite> SELECT svd_spectrum(vec) FROM emb WHERE category = 'vehicle';
**
** sqlite3_svd_init registers every function from the tables below; each
** function lives in the file named beside it. sqlite3_modsvd_init, at the
** end, is the same under the Debian package's file name, mod_svd.so.
*/
#include "glue.h"
#include "import/import.h"
#include "spectrum.h"

#include <pthread.h>
#include <string.h>
SQLITE_EXTENSION_INIT1

/* SQLite 3.45 asks functions that set a subtype to say so; older versions
** mask the flag off, so it is passed whatever the headers are. */
#ifndef SQLITE_RESULT_SUBTYPE
# define SQLITE_RESULT_SUBTYPE 0x001000000
#endif

/* Functions that read a vector argument look at its subtype (sqlite-vec's
** int8 and bit, vector.c). Without this flag a window function's
** arguments reach it with the subtype gone (SQLite 3.40's documentation),
** and later versions ask every function that reads subtypes to set it. */
#ifndef SQLITE_SUBTYPE
# define SQLITE_SUBTYPE 0x000100000
#endif

#define SVD_SCALAR (SQLITE_UTF8|SQLITE_INNOCUOUS|SQLITE_DETERMINISTIC)
#define SVD_VECTOR (SVD_SCALAR|SQLITE_SUBTYPE)   /* reads a vector argument */

static const struct {
  const char *zName;
  int nArg;
  int eFlags;
  void (*xFunc)(sqlite3_context*, int, sqlite3_value**);
  void (*xStep)(sqlite3_context*, int, sqlite3_value**);
  void (*xFinal)(sqlite3_context*);
} aSvdFunc[] = {
  /* about.c */
  { "svd_version",  0, SVD_SCALAR,                       aboutVersionFunc, 0, 0 },
  { "svd_info",     0, SQLITE_UTF8|SQLITE_INNOCUOUS|SQLITE_RESULT_SUBTYPE,
    aboutInfoFunc, 0, 0 },
  /* emb.c */
  { "emb_f32",      1, SVD_VECTOR,                       embF32Func, 0, 0 },
  { "emb_f32",      2, SVD_VECTOR,                       embF32Func, 0, 0 },
  { "emb_json",     1, SVD_VECTOR|SQLITE_RESULT_SUBTYPE, embJsonFunc, 0, 0 },
  { "emb_dims",     1, SVD_VECTOR,                       embDimsFunc, 0, 0 },
  /* state.c */
  { "svd_merge",    1, SVD_SCALAR, 0, stateMergeStep, stateMergeFinal },
  { "svd_state_spectrum", 1, SVD_SCALAR|SQLITE_RESULT_SUBTYPE,
    stateSpectrumFunc, 0, 0 },
  { "svd_state_basis", 2, SVD_SCALAR, stateBasisFunc, 0, 0 },
  { "svd_state_json", 1, SVD_SCALAR|SQLITE_RESULT_SUBTYPE, stateJsonFunc, 0, 0 },
  /* basis.c */
  { "svd_project",    2, SVD_VECTOR, basisProjectFunc, 0, 0 },
  { "svd_coord",      3, SVD_VECTOR, basisCoordFunc, 0, 0 },
  { "svd_direction",  2, SVD_SCALAR, basisDirectionFunc, 0, 0 },
  { "svd_basis_json", 1, SVD_SCALAR|SQLITE_RESULT_SUBTYPE, basisJsonFunc, 0, 0 },
  /* scree.c */
  { "svd_scree_svg", 2, SVD_SCALAR, 0, screeStep, screeFinal },
  { "svd_scree_svg", 3, SVD_SCALAR, 0, screeStep, screeFinal },
  /* measures.c */
  { "svd_effective_rank",      1, SVD_SCALAR, measEffectiveRankFunc, 0, 0 },
  { "svd_participation_ratio", 1, SVD_SCALAR, measParticipationFunc, 0, 0 },
  { "svd_components_for",      2, SVD_SCALAR, measComponentsForFunc, 0, 0 },
  /* noise.c */
  { "svd_noise_threshold", 3, SVD_SCALAR, noiseThresholdFunc, 0, 0 },
  { "svd_noise_threshold", 4, SVD_SCALAR, noiseThresholdFunc, 0, 0 },
  { "svd_signal_rank",     3, SVD_SCALAR, noiseSignalRankFunc, 0, 0 },
  { "svd_signal_rank",     4, SVD_SCALAR, noiseSignalRankFunc, 0, 0 },
  /* angles.c */
  { "svd_angles",   2, SVD_SCALAR|SQLITE_RESULT_SUBTYPE, angAnglesFunc, 0, 0 },
  { "svd_residual", 2, SVD_VECTOR, angResidualFunc, 0, 0 },
  /* cka.c */
  { "svd_cka", 2, SVD_VECTOR, 0, ckaStep, ckaFinal },
  { "svd_cka", 3, SVD_VECTOR, 0, ckaStep, ckaFinal },
};

/* Aggregates that are also window functions: steps and inverse in
** aggregate.c, final and value in final.c. */
static const struct {
  const char *zName;
  int nArg;
  int eFlags;
  void (*xStep)(sqlite3_context*, int, sqlite3_value**);
  void (*xFinal)(sqlite3_context*);
  void (*xValue)(sqlite3_context*);
} aSvdWindow[] = {
  { "svd_spectrum", 1, SVD_VECTOR|SQLITE_RESULT_SUBTYPE,
    aggSpectrumStep, aggSpectrumFinal, aggSpectrumValue },
  { "svd_spectrum", 2, SVD_VECTOR|SQLITE_RESULT_SUBTYPE,
    aggSpectrumStep, aggSpectrumFinal, aggSpectrumValue },
  { "svd_basis",    2, SVD_VECTOR, aggBasisStep, aggBasisFinal, aggBasisValue },
  { "svd_basis",    3, SVD_VECTOR, aggBasisStep, aggBasisFinal, aggBasisValue },
  { "svd_state",    1, SVD_VECTOR, aggStateStep, aggStateFinal, aggStateValue },
  { "svd_state",    2, SVD_VECTOR, aggStateStep, aggStateFinal, aggStateValue },
};

static const struct {
  const char *zName;
  sqlite3_module *pModule;
  const void *pAux;             /* the module's client data */
} aSvdModule[] = {
  { "svd_spectrum_each", &eachModule, 0 },                  /* each.c */
  /* importers: one module (import.c), a format each; DIRECTONLY */
  { "emb_read_npy", &impModule, &impNpyFormat },            /* npy.c */
  { "emb_tensors", &impModule, &impTensorsFormat },         /* safetensors.c */
  { "emb_read_safetensors", &impModule, &impSafetensorsFormat },
  { "emb_read_text", &impModule, &impTextFormat },          /* textvec.c */
  { "emb_read_word2vec", &impModule, &impWord2vecFormat },
  { "emb_read_vocab", &impModule, &impVocabFormat },        /* vocab.c */
};

static pthread_mutex_t svdInitMutex = PTHREAD_MUTEX_INITIALIZER;

/* The numerics allocate through SQLite, so that its limits and a failing
** allocator (SQLITE_CONFIG_MALLOC, as tests/oom.c installs) reach them. */
static void *svdMalloc(size_t n){
  return sqlite3_malloc64(n);
}

static void svdFree(void *p){
  sqlite3_free(p);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_svd_init(sqlite3 *db, char **pzErrMsg,
                     const sqlite3_api_routines *pApi){
  size_t i;
  int rc = SQLITE_OK;
  AggSpare *pSpare;
  /* The first load sets the API pointer and the numerics' allocator. Later
  ** loads (one per connection) would store the same pointer while other
  ** connections' queries read it: a race ThreadSanitizer reports
  ** (tests/tsan.c), harmless or not. */
  pthread_mutex_lock(&svdInitMutex);
  if( sqlite3_api==0 ){
    SQLITE_EXTENSION_INIT2(pApi);
    specSetAllocator(svdMalloc, svdFree);
  }
  pthread_mutex_unlock(&svdInitMutex);
  specBlasInit();   /* OpenBLAS single-threaded: see spectrum.c */
  for(i=0; rc==SQLITE_OK && i<sizeof(aSvdFunc)/sizeof(aSvdFunc[0]); i++){
    rc = sqlite3_create_function(db, aSvdFunc[i].zName, aSvdFunc[i].nArg,
                                 aSvdFunc[i].eFlags, 0, aSvdFunc[i].xFunc,
                                 aSvdFunc[i].xStep, aSvdFunc[i].xFinal);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("svd: cannot register %s(): %s",
                                  aSvdFunc[i].zName, sqlite3_errmsg(db));
    }
  }
  /* The aggregates share the connection's spare row buffer (aggregate.h):
  ** a reference for each registration, which SQLite drops through the
  ** destructor when the function goes (or fails to register). */
  pSpare = rc==SQLITE_OK ? aggSpareNew() : 0;
  if( rc==SQLITE_OK && pSpare==0 ) rc = SQLITE_NOMEM;
  for(i=0; rc==SQLITE_OK && i<sizeof(aSvdWindow)/sizeof(aSvdWindow[0]); i++){
    aggSpareRef(pSpare);
    rc = sqlite3_create_window_function(db, aSvdWindow[i].zName,
        aSvdWindow[i].nArg, aSvdWindow[i].eFlags, pSpare, aSvdWindow[i].xStep,
        aSvdWindow[i].xFinal, aSvdWindow[i].xValue, aggRowsInverse,
        aggSpareUnref);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("svd: cannot register %s(): %s",
                                  aSvdWindow[i].zName, sqlite3_errmsg(db));
    }
  }
  aggSpareUnref(pSpare);  /* ours; the registrations hold theirs */
  for(i=0; rc==SQLITE_OK && i<sizeof(aSvdModule)/sizeof(aSvdModule[0]); i++){
    rc = sqlite3_create_module(db, aSvdModule[i].zName, aSvdModule[i].pModule,
                               (void*)aSvdModule[i].pAux);
    if( rc!=SQLITE_OK && pzErrMsg ){
      *pzErrMsg = sqlite3_mprintf("svd: cannot register %s: %s",
                                  aSvdModule[i].zName, sqlite3_errmsg(db));
    }
  }
  return rc;
}

/* The Debian package installs the library as mod_svd.so (deb/build.sh), in
** a directory the dynamic linker searches, so that `.load mod_svd` finds it
** by name; SQLite then derives the entry point from that file name. */
#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_modsvd_init(sqlite3 *db, char **pzErrMsg,
                        const sqlite3_api_routines *pApi){
  return sqlite3_svd_init(db, pzErrMsg, pApi);
}
