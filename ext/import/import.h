/*
** import.h: what the importers share (import.c): a file read in order with
** its byte offset known, error messages that point into it, the exact
** conversions to float32, and one virtual-table module that each format
** (npy.c, safetensors.c, textvec.c, vocab.c) drives through an ImpFormat.
*/
#ifndef SVD_IMPORT_H
#define SVD_IMPORT_H

#include "sqlite3ext.h"

#include <stdint.h>

/* A regular file, read forwards through a buffer or at given offsets. */
typedef struct ImpFile ImpFile;
struct ImpFile {
  int fd;                 /* -1 when closed */
  const char *zFunc;      /* "emb_read_npy", for messages */
  char *zPath;            /* the path as given */
  sqlite3_int64 nSize;    /* bytes in the file */
  sqlite3_int64 iOff;     /* offset of the next byte impRead returns */
  unsigned char *aBuf;    /* read-ahead buffer, IMP_BUF_BYTES */
  sqlite3_int64 iBufOff;  /* file offset of aBuf[0] */
  int nBuf;               /* bytes valid in aBuf */
  char *zLine;            /* impLine's line buffer */
  int nLineAlloc;
  sqlite3_int64 iLine;    /* 1-based number of the line last returned */
};

/*
** Open PATH (TEXT, not NULL) for zFunc. Errors: not TEXT, cannot open,
** not a regular file. SQLITE_OK, SQLITE_ERROR (*pzErr set) or NOMEM.
*/
int impOpen(ImpFile *p, const char *zFunc, sqlite3_value *pPath,
            char **pzErr);
void impClose(ImpFile *p);

/* The next n bytes; a file that ends first is an error naming zWhat. */
int impRead(ImpFile *p, void *pOut, sqlite3_int64 n, const char *zWhat,
            char **pzErr);

/* n bytes at iOff (outside the read-ahead), same errors. */
int impReadAt(ImpFile *p, sqlite3_int64 iOff, void *pOut, sqlite3_int64 n,
              const char *zWhat, char **pzErr);

/*
** SQLITE_OK while the file still reaches iEnd; else (another process cut
** it short) an error at the byte where it ends now, "inside" or "before"
** zWhat (which began at iStart; zWhat may be 0). impRead and impLine
** check their bytes this way; a format that keeps rows of its own does it
** before handing one out.
*/
int impCheck(ImpFile *p, sqlite3_int64 iStart, sqlite3_int64 iEnd,
             const char *zWhat, char **pzErr);

/* The next byte, or -1 at the end of the file (-2 after an error). */
int impByte(ImpFile *p, char **pzErr);

/*
** The next line without its "\n" (and "\r"), NUL-terminated, into *pz and *pn;
** *pz = 0 at the end of the file. A line over IMP_LINE_MAX is an error.
*/
int impLine(ImpFile *p, char **pz, int *pn, char **pzErr);

/* "zFunc(): PATH: byte N: ..." and "zFunc(): PATH: line N: ...". */
char *impErrAt(ImpFile *p, sqlite3_int64 iOff, const char *zFmt, ...);
char *impErrLine(ImpFile *p, sqlite3_int64 iLine, const char *zFmt, ...);

/* Element types of the files, and their sizes. */
#define IMP_F16  1
#define IMP_BF16 2
#define IMP_F32  3
#define IMP_F64  4
int impTypeSize(int eType);

/*
** n values of type eType at pIn (big-endian when bBig) into aOut as
** float32: float16 and bfloat16 widened exactly, float64 rounded to
** nearest. Returns -1, or the index of the first value that is NaN, ±Inf
** or (float64) beyond float32's range.
*/
sqlite3_int64 impToF32(const unsigned char *pIn, int eType, int bBig,
                       sqlite3_int64 n, float *aOut);

/* aOut[0..n-1] as the little-endian float32 BLOB result of ctx. */
void impResultF32(sqlite3_context *ctx, const float *a, sqlite3_int64 n);

/* ---- the table-valued function module ---- */

typedef struct ImpCursor ImpCursor;

/* One importer: its columns, then nArg hidden argument columns. */
typedef struct ImpFormat ImpFormat;
struct ImpFormat {
  const char *zFunc;      /* its SQL name */
  const char *zSchema;    /* CREATE TABLE x(..., path HIDDEN, ...) */
  int nCol;               /* visible columns */
  int nArg;               /* hidden arguments, all required */
  const char *zUsage;     /* "emb_read_npy(PATH)", for a missing argument */
  /* Open and read up to the first row; apArg holds nArg values. */
  int (*xStart)(ImpCursor*, sqlite3_value **apArg, char **pzErr);
  /* Read the next row into the cursor, or set bEof. */
  int (*xNext)(ImpCursor*, char **pzErr);
  /* Column iCol (< nCol) of the current row. */
  void (*xColumn)(ImpCursor*, sqlite3_context*, int iCol);
  /* Free pState. */
  void (*xStop)(ImpCursor*);
};

struct ImpCursor {
  sqlite3_vtab_cursor base;   /* base class, first */
  const ImpFormat *pFmt;
  ImpFile file;
  void *pState;               /* the format's own */
  sqlite3_int64 iRow;         /* 0-based row, the rowid */
  int bEof;
  sqlite3_value *apArg[2];    /* the hidden arguments, for their columns */
};

/* The module; pass the ImpFormat as the client data of create_module. */
extern sqlite3_module impModule;

/* Formats, each in its file. */
extern const ImpFormat impNpyFormat;          /* npy.c */
extern const ImpFormat impSafetensorsFormat;  /* safetensors.c */
extern const ImpFormat impTensorsFormat;      /* safetensors.c */
extern const ImpFormat impTextFormat;         /* textvec.c */
extern const ImpFormat impWord2vecFormat;     /* textvec.c */
extern const ImpFormat impVocabFormat;        /* vocab.c */

#endif /* SVD_IMPORT_H */
