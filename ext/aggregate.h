/*
** aggregate.h: a group's rows as svd_spectrum, svd_basis and svd_state
** take them in (aggregate.c: xStep, and xInverse for window frames), and
** the results computed from them (final.c: xFinal, and xValue for window
** frames).
*/
#ifndef SVD_AGGREGATE_H
#define SVD_AGGREGATE_H

#include "gram.h"
#include "options.h"
#include "spectrum.h"
#include "vector.h"

#include "sqlite3ext.h"

/* The most row data one group may keep: 2 GiB less 16 MiB of headroom. */
#define AGG_MAX_BYTES ((sqlite3_int64)0x7f000000)

/* method=auto streams a group once its rows exceed 2d and this many bytes:
** below it, the exact method costs little and is more accurate. */
#define AGG_AUTO_BYTES ((sqlite3_int64)16<<20)

/* Groups of at least this many values check for an interrupt. */
#define AGG_PROBE_VALUES ((sqlite3_int64)1<<20)

/*
** One spare row buffer a connection keeps between groups (aggregate.c):
** the many small groups of a GROUP BY then neither allocate nor grow
** theirs. Shared by the connection's svd_spectrum, svd_basis and svd_state
** registrations (their user data), freed when the last is deleted.
*/
typedef struct AggSpare AggSpare;
typedef struct AggSpectrum AggSpectrum;
struct AggSpare {
  int nRef;               /* registrations that hold it */
  double *aRow;           /* the buffer, or 0 while a group has it */
  SpecHelper *pHelper;    /* the connection's helper thread, or 0 */
  int bHelperTried;       /* specHelperStart() was called */
  int bHelperWait;        /* it found no spare core: ask again when one is */
  SpecStream *pStream;    /* the QR of a group's rows as they come, or 0 */
  AggSpectrum *pStreamer; /* the group whose rows it takes, or 0 */
  int bNoStream;          /* its last svd_spectrum group did not suit one */
};

/* Groups of at least this many values (n x d), and at most AGG_HELPER_K
** dimensions or AGG_HELPER_K + 1 rows (so that small.c's QR takes them),
** share their QR with the connection's helper thread (helper.c), started
** for the first of them; a connection refused one because every spare core
** has one asks again with its next such group once a core is spare. */
#define AGG_HELPER_VALUES ((sqlite3_int64)8192)
#define AGG_HELPER_K 160

/* The helper thread for the group p (0 for none, or while another group
** of the connection streams), started if need be, unless
** SQLITE_SVD_HELPER=0 (off, false, no) in the environment. */
SpecHelper *aggHelper(AggSpectrum *p);

/*
** svd_spectrum's groups of BLOB rows (float32, or sqlite-vec's int8) with
** at least AGG_STREAM_MIN_D dimensions, on a connection that has its
** helper, stream: the helper
** factors the rows as they come (small.c, SpecStream), while SQLite reads
** the rest, and the final step finishes the QR rather than doing all of
** it. Until the group is larger than that QR takes (min(d, SPEC_SMALL_K)
** + 1 rows) or its buffer must grow, or a row is JSON text, or it is a
** window frame; then the stream stops and the final step computes from
** the rows as without it, the same result bit for bit. One group of the
** connection streams at a time; after a group of more rows than a stream
** takes, the next does not try.
*/
#define AGG_STREAM_MIN_D 64

/* Stop the stream the group p feeds, if any (before its rows move). */
void aggStreamStop(AggSpectrum *p);

/* The largest buffer a connection keeps: 4 MiB. */
#define AGG_SPARE_MAX_BYTES ((sqlite3_int64)4<<20)

/* aggSpareNew(): a new AggSpare holding one reference, or 0 (no memory);
** aggSpareRef() adds one; aggSpareUnref() (sqlite3_create_window_function's
** xDestroy) drops one, freeing it and its buffer with the last. Declared
** in glue.h. */

/*
** A group, or a window frame. Rows iFirst .. nRow-1 of aRow are the
** group's (iFirst > 0 only once a window frame has dropped rows), unless
** they stream into gram (bGram), which then holds all nRow of them.
*/
struct AggSpectrum {
  double *aRow;           /* nRow x nDim values, row-major */
  sqlite3_int64 nRow;     /* non-NULL rows kept (or streamed) */
  sqlite3_int64 iFirst;   /* window frames: rows before it were dropped */
  sqlite3_int64 nRowAlloc;/* rows aRow has room for */
  sqlite3_int64 nDim;     /* d, set by the first non-NULL row */
  VecBuf buf;             /* the current row, parsed */
  char *zOpt;             /* OPTIONS text of the first row ('' if none) */
  SvdOptions opt;         /* zOpt, parsed */
  const char *zFunc;      /* "svd_spectrum", ..., for errors */
  int bGram;              /* rows go to gram, not aRow */
  int bJson;              /* a row was JSON: values beyond float32's range */
  SpecGram gram;          /* the streaming accumulator, when bGram */
  sqlite3_int64 nK;       /* svd_basis: K of the first row; 0 before it */
  int bWindow;            /* xValue has been called: a window frame */
  int bDirty;             /* rows came or went since pCache was computed */
  unsigned char *pCache;  /* the last xValue result, nCache bytes */
  sqlite3_int64 nCache;
  AggSpare *pSpare;       /* the connection's spare buffer, or 0 */
};

/* Free everything p holds (it stays usable, empty). */
void aggFree(AggSpectrum *p);

/* The number of rows in the group (or frame). */
sqlite3_int64 aggRows(const AggSpectrum *p);

/* Start p's streaming accumulator (empty). SQLITE_OK, SQLITE_NOMEM or
** SQLITE_ERROR with *pzErr (d above gram's limit). */
int aggStartGram(AggSpectrum *p, SpecGram *pGram, char **pzErr);

/* One row into pGram. SQLITE_OK, SQLITE_NOMEM or SQLITE_ERROR (*pzErr). */
int aggGramAdd(AggSpectrum *p, SpecGram *pGram, const double *aRow,
               char **pzErr);

/* Move the kept rows into p->gram, which streams the rest (SQLITE_OK,
** SQLITE_NOMEM or SQLITE_ERROR with *pzErr). */
int aggMoveToGram(AggSpectrum *p, char **pzErr);

/* A failed numerics call (SPEC_* rc) as the SQL error of ctx. */
void aggSpecError(sqlite3_context *ctx, int rc, const SpecStatus *pSt,
                  const AggSpectrum *p);

/* Is an interrupt pending on the connection of the sqlite3_context pCtx?
** (A probe for specSetCancel.) */
int aggProbe(void *pCtx);

/* Before a large group's computation: 1 after reporting a pending
** interrupt (the group freed); else 0, with the numerics' probe set. */
int aggInterrupted(sqlite3_context *ctx, AggSpectrum *p);

#endif /* SVD_AGGREGATE_H */
