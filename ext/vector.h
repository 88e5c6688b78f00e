/*
** vector.h: turning a vector argument X into doubles, and doubles back into
** JSON text.
**
** A vector argument is a BLOB of little-endian float32 (4*d bytes), a BLOB
** of int8 (d bytes) tagged with sqlite-vec's int8 subtype, or TEXT holding
** one JSON array of finite numbers. See vector.c for the rules.
*/
#ifndef SVD_VECTOR_H
#define SVD_VECTOR_H

#include "fmt.h"
#include "sqlite3ext.h"

/* Which form a vector arrived in. */
#define VEC_BLOB 1 /* float32 BLOB */
#define VEC_JSON 2 /* JSON array TEXT, full double precision */
#define VEC_INT8 3 /* int8 BLOB with sqlite-vec's subtype VEC_SUBTYPE_INT8 */

/* The subtypes sqlite-vec (github.com/asg017/sqlite-vec) gives its vectors,
** also those read from a vec0 column. A value stored in a plain table loses
** its subtype. */
#define VEC_SUBTYPE_F32  223 /* float32 elements, as an untagged BLOB */
#define VEC_SUBTYPE_BIT  224 /* 8 bits a byte: refused */
#define VEC_SUBTYPE_INT8 225 /* int8 elements, one byte each */

/* The most values a vector may have: 16,777,216 (128 MiB as doubles). A
** longer BLOB is refused before anything is copied. */
#define VEC_MAX_DIMS (1<<24)

/* A growable array of doubles, reused from row to row. */
typedef struct VecBuf VecBuf;
struct VecBuf {
  double *a;              /* the values */
  sqlite3_int64 n;        /* number of values held */
  sqlite3_int64 nAlloc;   /* capacity of a[] */
  int eType;              /* VEC_BLOB, VEC_JSON or VEC_INT8: last form read */
};

/*
** Read pVal (not NULL) into pBuf. On SQLITE_ERROR *pzErr receives a message
** from sqlite3_mprintf that starts "zFunc(): zWhat ..." (zWhat is "row 3" or
** "argument 1"). Returns SQLITE_OK, SQLITE_ERROR or SQLITE_NOMEM.
*/
int vecRead(sqlite3_value *pVal, const char *zFunc, const char *zWhat,
            VecBuf *pBuf, char **pzErr);

/*
** The fast road for the rows of a group after its first: when pVal is a
** float32 BLOB (no subtype, or 223) of exactly nDim finite values, convert
** it into a[0..nDim-1] and return 1. Anything else returns 0, a[] possibly
** written, and the caller reads the row with vecReadRow, whose messages
** say what is wrong.
*/
int vecReadF32Into(sqlite3_value *pVal, double *a, sqlite3_int64 nDim);

/* vecRead for row iRow (1-based) of an aggregate: errors say "row iRow". */
int vecReadRow(sqlite3_value *pVal, const char *zFunc, sqlite3_int64 iRow,
               VecBuf *pBuf, char **pzErr);

/*
** Parse z[0..n-1] as a strict JSON array of numbers into pBuf. On error
** *pzErr gets "zFunc(): zWhat ...". Used for vectors and for spectra.
*/
int vecParseJson(const char *z, sqlite3_int64 n, const char *zFunc,
                 const char *zWhat, VecBuf *pBuf, char **pzErr);

/*
** Read a SPECTRUM argument (not NULL): TEXT holding a JSON array of finite
** non-negative numbers, as svd_spectrum() returns. Errors as for vecRead.
*/
int vecReadSpectrum(sqlite3_value *pVal, const char *zFunc, VecBuf *pBuf,
                    char **pzErr);

void vecBufFree(VecBuf *pBuf);

/*
** Check that a BLOB of nByte bytes holds 1 to VEC_MAX_DIMS elements of
** nSize bytes each; zVector names such a vector in messages ("a float32
** vector"). SQLITE_OK, or as for vecRead. Needs only the size, so a
** zeroblob is checked without being materialized.
*/
int vecCheckBlobSize(sqlite3_int64 nByte, int nSize, const char *zVector,
                     const char *zFunc, const char *zWhat, char **pzErr);

/* "an INTEGER", "a REAL", "NULL", "a BLOB" or "TEXT": a value's type for
** messages. eType is a SQLITE_ fundamental type. */
const char *vecTypeName(int eType);

/*
** "[a,b,...]" from n doubles, formatted by fmtDouble (bFloat==0) or
** fmtFloat (bFloat!=0). Returns sqlite3_malloc'd text or NULL on OOM.
*/
char *vecToJson(const double *a, sqlite3_int64 n, int bFloat,
                sqlite3_int64 *pnOut);

/*
** The n bytes at z as one number (strtod in the "C" locale; z[n] is
** briefly set to 0, so z must be writable). 1 if all n bytes form a
** finite number, else 0.
*/
int vecParseNumber(char *z, int n, double *pv);

/*
** Length of the UTF-8 character at z[0..n-1] (n >= 1) if it is valid and
** printable (no C0/C1 control, surrogate or noncharacter U+FFFE/F), else 0.
*/
int vecUtf8Len(const unsigned char *z, sqlite3_int64 n);

#endif /* SVD_VECTOR_H */
