/*
** spectrum.h: singular values of an n x d matrix of embeddings, optionally
** mean-centered. Plain C over LAPACKE; no SQLite types, so C tests call it
** directly.
*/
#ifndef SVD_SPECTRUM_H
#define SVD_SPECTRUM_H

#include <stddef.h>
#include <stdint.h>

/* Return codes of specSingularValues. */
#define SPEC_OK       0
#define SPEC_NOMEM    1 /* a workspace allocation failed */
#define SPEC_LAPACK   2 /* LAPACK reported an error; see SpecStatus */
#define SPEC_TOOBIG   3 /* n or d beyond 2^31-1, or min(n,d) beyond SPEC_MAX_K */
#define SPEC_OVERFLOW 4 /* a singular value exceeds the range of a double */
#define SPEC_RANGE    5 /* gram: a row minus the first overflows a double */
#define SPEC_INTERRUPT 6 /* the cancel probe (specSetCancel) said stop */

/* Largest min(n, d): the k x k triangle and its copy then take 1 GiB. */
#define SPEC_MAX_K 8192

/* What went wrong inside LAPACK, for the error message. */
typedef struct SpecStatus SpecStatus;
struct SpecStatus {
  const char *zRoutine;   /* the LAPACK routine that failed, or 0 */
  int info;               /* its info: <0 bad argument -info, >0 no convergence */
};

/*
** Singular values of the n x d row-major matrix a[] (finite values; it is
** overwritten), in descending order, into sigma[0 .. min(n,d)-1].
**
** bCenter != 0 subtracts the column mean first. The centered matrix has
** rank at most n-1, and that rank loss is exact here: for n <= d the last
** value is exactly 0, whatever the size of the shared mean.
*/
int specSingularValues(double *a, int64_t n, int64_t d, int bCenter,
                       double *sigma, SpecStatus *pStatus);

/* The same for values known to lie within float32's range (0 or
** 2^-149 <= |x| < 2^128: float32 BLOBs, int8 vectors), which need no
** scaling: the pass that looks for the largest |x| is skipped. */
int specSingularValuesF32(double *a, int64_t n, int64_t d, int bCenter,
                          double *sigma, SpecStatus *pStatus);

/*
** The principal directions of the same matrix: for the n x d row-major a[]
** (finite values; overwritten) fill
**   aMean[0..2d-1]     the column mean (zeros when bCenter == 0) as two
**                      parts, mean = aMean[j] + aMean[d+j]: the second is
**                      what the first's rounding left, so that x - mean is
**                      exact to the last bit however large the mean,
**   sigma[0..nK-1]     the nK largest singular values,
**   dir[nK x d]        row i the unit right singular vector of sigma[i],
**                      its largest-magnitude entry positive.
** 1 <= nK <= min(n, d). Directions past the matrix's rank (sigma 0) complete
** an orthonormal set, as numpy's do; which ones they are is arbitrary.
*/
int specBasis(double *a, int64_t n, int64_t d, int bCenter, int nK,
              double *aMean, double *sigma, double *dir, SpecStatus *pStatus);

/* Flip each of the nK directions (rows of dir, d values each) so that its
** largest-magnitude entry (the first such) is positive. */
void specFixSigns(double *dir, int nK, int d);

/*
** A probe that the numerics of the calling thread ask between their phases
** (centering, QR, SVD, vectors): when xCancel(pArg) returns non-zero they
** stop and return SPEC_INTERRUPT. xCancel 0 clears it. Per thread, so that
** connections on other threads keep their own.
*/
void specSetCancel(int (*xCancel)(void*), void *pArg);

/* Has the calling thread's probe said stop? (0 when none is set.) */
int specCancelled(void);

/*
** Workspace allocation of spectrum.c and gram.c: malloc and free unless
** specSetAllocator() says otherwise (the extension passes SQLite's when it
** loads, before any of its queries can run; every load passes the same). specZalloc zeroes. specMalloc(0) returns a 1-byte block.
*/
void specSetAllocator(void *(*xMalloc)(size_t), void (*xFree)(void*));
void *specMalloc(size_t n);
void *specZalloc(size_t n);
void specFree(void *p);

/*
** Once per process: run OpenBLAS single-threaded unless the user set
** OPENBLAS_NUM_THREADS, GOTO_NUM_THREADS or OMP_NUM_THREADS.
*/
void specBlasInit(void);

/*
** The steps of specSingularValues, for the states (state.c) that continue
** from them. specPrepare: scale a[] by 2^-e (*pE = e), center it when asked
** (aMean[0..2d-1] = the column mean as two parts, scaled; zeros when not
** centering), and point *pB at the m rows that remain (*pM = m), as columns
** of a d x m column-major matrix. specTriangle: reduce the d x m matrix b
** (leading dimension ld; destroyed) to the k x k triangle t, k = min(d, m),
** reflector factors in aTau. specSvdSmall: the singular values of the
** k x k matrix t (destroyed; t2 a copy for the dgesvd retry).
** specUnscale: sigma[0..k-1] times 2^e (SPEC_OVERFLOW past DBL_MAX).
*/
int specPrepare(double *a, int64_t n, int64_t d, int bCenter, double *aMean,
                int *pE, double **pB, int *pM, SpecStatus *pStatus);
int specTriangle(double *b, int nDim, int nCol, int ld, double *t,
                 double *aTau, SpecStatus *pStatus);
int specSvdSmall(double *t, double *t2, int k, double *sigma,
                 SpecStatus *pStatus);
int specUnscale(double *sigma, int k, int e);

/* Largest k that small.c's kernels take (QR of a d x k block, SVD of a
** k x k triangle): measured against dgeqrf and dgesdd here, they are
** faster up to k = 200 (768 x 128: 1.1 ms against 2.0 ms; k = 150 SVD:
** 1.2 ms against 2.2 ms) and slower at 300. The wide case copies its
** block transposed, at most SPEC_SMALL_ROWS x k doubles (5 MiB). */
#define SPEC_SMALL_K 160
#define SPEC_SMALL_ROWS 4096

/* Tests only: make LAPACK's dbdsqr (SPEC_TEST_DBDSQR) and dgesdd
** (SPEC_TEST_DGESDD) report no convergence after running, so that the
** fallbacks behind them run (tests/test_spectrum.c); 0 for none. Returns
** how many fallbacks ran since the last call (in any thread). */
#define SPEC_TEST_DBDSQR 1
#define SPEC_TEST_DGESDD 2
int specTestFail(int mask);

/*
** Hand-written kernels for small matrices (small.c), each the equal of a
** LAPACK routine on the same input up to rounding; 0 on success.
** smallQr: dgeqrf of the d x m column-major a (d >= m), same layout, aWork
** SMALL_QR_WORK doubles. smallBidiag: dgebrd of the k x k column-major
** t (destroyed) into its upper bidiagonal aD[k], aE[k-1]; aWork 2k doubles.
*/
#define SMALL_QR_WORK 32
int smallQr(double *a, int d, int m, int lda, double *aTau, double *aWork);
int smallBidiag(double *t, int k, double *aD, double *aE, double *aWork);

/* Passes over a whole group, vectorized: y -= x; max |a[i]|; the n
** little-endian float32 at p into a[], non-zero if one is Inf or NaN. */
int smallSub(double *restrict y, const double *restrict x, int64_t n);
double smallAbsMax(const double *a, int64_t n);
int smallFromF32(const unsigned char *restrict p, double *restrict a,
                 int64_t n);

/*
** A second thread for small groups (helper.c). specHelperStart: a new
** helper, or 0 when every core but one already has one in the process
** (bAnyCores: start one all the same; for tests) or a thread cannot be
** made. specHelperStop: stop and free it (0: nothing). specSetHelper: the
** calling thread's helper, which smallQr() then shares its work with (0:
** none). specHelperPost: give h the job xJob(pArg); specHelperReclaim:
** 1 if h had not started it (the caller runs it now), else 0 once h has
** finished it. specHelperJobs: the jobs h has run; specHelperCount: the
** helpers in the process; specHelperSpare: 1 if specHelperStart(0) would
** find a core for one. specHelperAllowed: 0 when the environment says
** SQLITE_SVD_HELPER=0 (or off, false, no, in any case), else 1.
*/
typedef struct SpecHelper SpecHelper;
SpecHelper *specHelperStart(int bAnyCores);
/* How a thread that polls for work waits (helper.c): specNow, the
** monotonic clock in ns; specSpin, one look's wait (a pause, a yield every
** 64 looks), 1 once 2 ms have passed since tIdle: time to sleep. */
int64_t specNow(void);
int specSpin(unsigned *pnLook, int64_t tIdle);
int specHelperSpare(void);
void specHelperStop(SpecHelper *h);
void specSetHelper(SpecHelper *h);
SpecHelper *specGetHelper(void);
void specHelperPost(SpecHelper *h, void (*xJob)(void*), void *pArg);
int specHelperReclaim(SpecHelper *h);
long specHelperJobs(SpecHelper *h);
int specHelperCount(void);
int specHelperAllowed(void);

/*
** A small group's QR as its rows arrive (small.c), so that it runs on the
** helper while SQLite reads the rest of the group: the rows 1.. of the
** row-major aRow (d values each), less row 0, factored as smallQr() would
** factor them, bit for bit. specStreamBegin: start, with row 0 in place
** and room for mMax <= d rows after it (0; 1: no stream: out of memory, or
** one is running). specStreamPublish: rows 0..nRow-1 are in place (aRow
** must not move while the stream runs). specStreamFinish: the group has
** n rows (2 <= n <= mMax+1, all published): wait for the rest of the work,
** or do it, and write the (n-1) x (n-1) triangle R into r (0; 1: a
** reflector could not be formed: use smallQr's road, which reports it).
** specStreamStop: give up (nothing then reads aRow). specStreamActive:
** begun and neither finished nor stopped. specStreamCount: the streams
** the process has finished.
*/
typedef struct SpecStream SpecStream;
SpecStream *specStreamNew(void);
void specStreamFree(SpecStream *s);
int specStreamBegin(SpecStream *s, SpecHelper *h, const double *aRow, int d,
                    int mMax);
void specStreamPublish(SpecStream *s, int64_t nRow);
int specStreamFinish(SpecStream *s, int n, double *r);
void specStreamStop(SpecStream *s);
int specStreamActive(const SpecStream *s);
long specStreamCount(void);

/*
** The spectrum of a streamed group (finished here), as
** specSingularValuesF32 gives it for the same n rows of d float32 values,
** centered, bit for bit; SPEC_STREAM_MISS when the stream cannot give it
** (the group's shape, or a failed reflector): the rows are intact, and
** specSingularValuesF32 then computes it.
*/
#define SPEC_STREAM_MISS (-1)
int specStreamValues(SpecStream *pStream, int64_t n, int64_t d,
                     double *sigma, SpecStatus *pStatus);

/* pthread_create() with every signal blocked in the new thread (helper.c;
** gram.c's helpers too): the host's handlers stay on the host's threads. */
#include <pthread.h>
int specThreadCreate(pthread_t *pTid, void *(*xMain)(void*), void *pArg);

/* a[] *= 2^e, n values, for any e (in finite steps: 2^e alone may not be
** a double). */
void specScalePow2(double *a, int64_t n, int e);

#endif /* SVD_SPECTRUM_H */
