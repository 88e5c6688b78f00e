/*
** gram.c: the numerics of method=gram, streaming rows into the d x d
** co-moment matrix M2 = sum (x - mean)(x - mean)', whose eigenvalues are
** the squared singular values of the centered rows.
**
** A one-pass sum x*x' - n*mean*mean' cancels catastrophically when the rows
** share a large mean. Here, instead:
**
**   1. Every row is shifted by the group's first row, y = x - x_1: rows
**      near a large shared mean differ from x_1 by little, so y is exact
**      (Sterbenz) and of the size of the spread, not of the mean.
**   2. Rows wait in a block of B rows. A full block is centered on its own
**      mean (CBLAS dgemv, dger) and its co-moments added with dsyrk.
**   3. Blocks merge with the exact pairwise update (Chan, Golub & LeVeque
**      1979; Pebay 2008): with n rows merged so far of mean m, a block of b
**      rows of mean m_b adds (n*b/(n+b))*(m_b - m)(m_b - m)' to M2, and m
**      moves by (b/(n+b))*(m_b - m).
**   4. The eigenvalues (LAPACKE dsyevd; dsyevr for the top K with vectors)
**      give sigma_i = sqrt(max(lambda_i, 0)).
**
** Values are kept scaled by a power of two when |y| is beyond 2^+-400, so
** that squares and their sums stay finite.
**
** A large group's blocks alternate between two accumulators, combined at
** the end by the same pairwise update; a helper thread may merge the
** second one's on a spare core (see gram.h).
**
** Accuracy: each sigma_i^2 within about 1e-12 * sigma_1^2 (the rounding of
** M2's entries, relative to its largest eigenvalue). Small singular values
** lose relative accuracy: sigma_i below about 1e-6 * sigma_1 is noise.
** The exact method has no such floor.
*/
#include "gram.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GRAM_BIG_EXP 400
#define GRAM_BLOCK_BYTES (2<<20)  /* a block of rows takes about 2 MiB */

/* Block buffers in flight while a helper runs: the one being filled, up to
** two being merged, and one waiting. */
#define GRAM_NBUF 4

/* A full block waiting to be merged into accumulator iAcc (0: acc, 1: acc2). */
typedef struct GramPending GramPending;
struct GramPending {
  double *a;              /* nRow x d rows y, column-major d x nRow */
  int nRow;
  int iAcc;
  double rMax;            /* largest |y| */
};

/*
** Two threads share the merging: whichever is free takes the oldest waiting
** block whose accumulator no one is merging into, so each accumulator takes
** its blocks one at a time, in order, whoever merges them: the result is
** the same as with no helper at all.
*/
struct GramHelper {
  pthread_t tid;
  pthread_mutex_t mu;
  pthread_cond_t cv;      /* a block waits, a merge ended, or bQuit */
  int bQuit;              /* stop now; waiting blocks are dropped */
  int nDim, bCenter;
  const double *aOne;
  GramAcc *apAcc[2];      /* SpecGram.acc and .acc2 */
  int abBusy[2];          /* a thread is merging into apAcc[i] */
  GramPending aWait[GRAM_NBUF];  /* waiting blocks, oldest first */
  int nWait;
  double *apFree[GRAM_NBUF];     /* buffers free for the caller to fill */
  int nFree;
};

/* Helper threads running in the process, and how many may run. */
static atomic_int nHelperRunning;

static int gramFail(SpecStatus *pStatus, const char *zRoutine, int info){
  if( pStatus ){
    pStatus->zRoutine = zRoutine;
    pStatus->info = info;
  }
  return SPEC_LAPACK;
}

static int gramAccInit(GramAcc *a, int d){
  memset(a, 0, sizeof(*a));
  a->aMean = specZalloc(sizeof(double)*(size_t)d*3);
  a->aM2 = specZalloc(sizeof(double)*(size_t)d*d);
  if( a->aMean==0 || a->aM2==0 ) return SPEC_NOMEM;
  a->aScratch = a->aMean + d;
  return SPEC_OK;
}

static void gramAccFree(GramAcc *a){
  specFree(a->aMean);
  specFree(a->aM2);
  memset(a, 0, sizeof(*a));
}

/* Put a on the scale 2^eNew: mean times f, M2 times f*f (f a power of 2). */
static void gramRescale(GramAcc *a, int d, int eNew){
  double f = ldexp(1.0, a->eScale - eNew);
  int j;
  cblas_dscal(d, f, a->aMean, 1);
  for(j=0; j<d; j++) cblas_dscal(j+1, f*f, a->aM2 + (size_t)j*d, 1);
  a->rMax *= f;
  a->eScale = eNew;
}

/* mb = the mean of the nb rows y (d x nb column-major), subtracted from
** each; aOne holds at least nb ones. */
static void gramCenterBlock(double *y, int nb, int d, const double *aOne,
                            double *mb){
  cblas_dgemv(CblasColMajor, CblasNoTrans, d, nb, 1.0/nb, y, d, aOne, 1, 0.0,
              mb, 1);
  cblas_dger(CblasColMajor, d, nb, -1.0, mb, 1, aOne, 1, y, d);
}

/* Merge the nb rows y (d x nb column-major; destroyed), whose largest |y|
** is amax, into a. */
static void gramAccMerge(GramAcc *a, double *y, int nb, int d, int bCenter,
                         const double *aOne, double amax){
  double *mb = a->aScratch, *delta = a->aScratch + d;

  if( amax>0.0 ){
    int e = ilogb(amax);
    if( a->rMax==0.0 ){
      /* nothing but zeros merged so far: pick the scale freely */
      a->eScale = (e>GRAM_BIG_EXP || e< -GRAM_BIG_EXP) ? e : 0;
    }else if( e - a->eScale>GRAM_BIG_EXP ){
      gramRescale(a, d, e);
    }
    /* a block tiny beside what is merged stays on the current scale: its
    ** squares may underflow, but they are below 2^-800 of the rest */
  }
  if( a->eScale ) specScalePow2(y, (int64_t)nb*d, -a->eScale);
  if( ldexp(amax, -a->eScale)>a->rMax ) a->rMax = ldexp(amax, -a->eScale);

  if( !bCenter ){
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, nb, 1.0, y, d,
                1.0, a->aM2, d);
  }else{
    gramCenterBlock(y, nb, d, aOne, mb);
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, d, nb, 1.0, y, d,
                1.0, a->aM2, d);
    if( a->nRow==0 ){
      memcpy(a->aMean, mb, sizeof(double)*(size_t)d);
    }else{
      double nTot = (double)a->nRow + nb;
      int j;
      for(j=0; j<d; j++) delta[j] = mb[j] - a->aMean[j];
      cblas_dsyr(CblasColMajor, CblasUpper, d, (double)a->nRow*nb/nTot,
                 delta, 1, a->aM2, d);
      cblas_daxpy(d, nb/nTot, delta, 1, a->aMean, 1);
    }
  }
  a->nRow += nb;
}

/* a += b (b is left in an unspecified state), by the pairwise update. */
static void gramAccCombine(GramAcc *a, GramAcc *b, int d, int bCenter){
  double nTot, *delta = a->aScratch;
  int j;
  if( b->nRow==0 ) return;
  if( a->nRow==0 || a->rMax==0.0 ){
    if( a->nRow>0 ){
      /* a holds only zeros: combine on b's scale */
      a->eScale = b->eScale;
    }else{
      GramAcc t = *a;
      *a = *b;
      *b = t;
      return;
    }
  }else if( b->rMax>0.0 ){
    if( b->eScale>a->eScale ) gramRescale(a, d, b->eScale);
    if( a->eScale>b->eScale ) gramRescale(b, d, a->eScale);
  }else{
    b->eScale = a->eScale;
  }
  nTot = (double)a->nRow + b->nRow;
  cblas_daxpy(d*d, 1.0, b->aM2, 1, a->aM2, 1);
  if( bCenter ){
    for(j=0; j<d; j++) delta[j] = b->aMean[j] - a->aMean[j];
    cblas_dsyr(CblasColMajor, CblasUpper, d, (double)a->nRow*b->nRow/nTot,
               delta, 1, a->aM2, d);
    cblas_daxpy(d, b->nRow/nTot, delta, 1, a->aMean, 1);
  }
  if( b->rMax>a->rMax ) a->rMax = b->rMax;
  a->nRow += b->nRow;
}

/* With h->mu held: take the oldest waiting block whose accumulator is
** free, marking it busy. 0 if none. */
static int gramTake(GramHelper *h, GramPending *pOut){
  int i;
  for(i=0; i<h->nWait; i++){
    if( !h->abBusy[h->aWait[i].iAcc] ){
      *pOut = h->aWait[i];
      h->nWait--;
      memmove(&h->aWait[i], &h->aWait[i+1],
              sizeof(GramPending)*(size_t)(h->nWait-i));
      h->abBusy[pOut->iAcc] = 1;
      return 1;
    }
  }
  return 0;
}

/* With h->mu held: merge b (releasing the lock meanwhile), then free its
** accumulator and buffer and wake the other thread. */
static void gramMergeTaken(GramHelper *h, GramPending *b){
  pthread_mutex_unlock(&h->mu);
  gramAccMerge(h->apAcc[b->iAcc], b->a, b->nRow, h->nDim, h->bCenter,
               h->aOne, b->rMax);
  pthread_mutex_lock(&h->mu);
  h->abBusy[b->iAcc] = 0;
  h->apFree[h->nFree++] = b->a;
  pthread_cond_broadcast(&h->cv);
}

static void *gramHelperMain(void *pArg){
  GramHelper *h = pArg;
  GramPending b;
  pthread_mutex_lock(&h->mu);
  while( !h->bQuit ){
    if( gramTake(h, &b) ){
      gramMergeTaken(h, &b);
    }else{
      pthread_cond_wait(&h->cv, &h->mu);
    }
  }
  pthread_mutex_unlock(&h->mu);
  return 0;
}

/* Start a helper for p if a spare core is free; on any failure, none. */
static void gramHelperStart(SpecGram *p){
  long nCore = sysconf(_SC_NPROCESSORS_ONLN);
  int nNow = atomic_load(&nHelperRunning);
  GramHelper *h;
  int i;
  do{
    if( nNow>=nCore-1 ) return;
  }while( !atomic_compare_exchange_weak(&nHelperRunning, &nNow, nNow+1) );
  h = specZalloc(sizeof(*h));
  if( h ){
    for(i=0; i<GRAM_NBUF-1; i++){
      double *a = specMalloc(sizeof(double)*(size_t)p->nDim*p->nBlockMax);
      if( a==0 ) break;
      h->apFree[h->nFree++] = a;
    }
  }
  if( h && h->nFree==GRAM_NBUF-1 && pthread_mutex_init(&h->mu, 0)==0 ){
    if( pthread_cond_init(&h->cv, 0)==0 ){
      h->nDim = p->nDim;
      h->bCenter = p->bCenter;
      h->aOne = p->aOne;
      h->apAcc[0] = &p->acc;
      h->apAcc[1] = &p->acc2;
      if( specThreadCreate(&h->tid, gramHelperMain, h)==0 ){
        p->pHelper = h;
        return;
      }
      pthread_cond_destroy(&h->cv);
    }
    pthread_mutex_destroy(&h->mu);
  }
  if( h ){
    for(i=0; i<h->nFree; i++) specFree(h->apFree[i]);
    specFree(h);
  }
  atomic_fetch_sub(&nHelperRunning, 1);
}

/* Stop the helper (blocks still waiting are dropped) and free it. */
static void gramHelperStop(GramHelper *h){
  int i;
  pthread_mutex_lock(&h->mu);
  h->bQuit = 1;
  pthread_cond_broadcast(&h->cv);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->tid, 0);
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
  atomic_fetch_sub(&nHelperRunning, 1);
  for(i=0; i<h->nWait; i++) specFree(h->aWait[i].a);
  for(i=0; i<h->nFree; i++) specFree(h->apFree[i]);
  specFree(h);
}

int specGramInit(SpecGram *p, int nDim, int bCenter){
  int i;
  memset(p, 0, sizeof(*p));
  if( nDim<1 || nDim>GRAM_MAX_D ) return SPEC_TOOBIG;
  p->nDim = nDim;
  p->bCenter = bCenter;
  p->nBlockMax = GRAM_BLOCK_BYTES/(8*nDim);
  if( p->nBlockMax<16 ) p->nBlockMax = 16;
  if( p->nBlockMax>1024 ) p->nBlockMax = 1024;
  p->aShift = specZalloc(sizeof(double)*(size_t)nDim);
  p->aBlock = specMalloc(sizeof(double)*(size_t)nDim*p->nBlockMax);
  p->aOne = specMalloc(sizeof(double)*(size_t)p->nBlockMax);
  if( gramAccInit(&p->acc, nDim) || p->aShift==0 || p->aBlock==0
   || p->aOne==0 ){
    specGramFree(p);
    return SPEC_NOMEM;
  }
  for(i=0; i<p->nBlockMax; i++) p->aOne[i] = 1.0;
  return SPEC_OK;
}

void specGramFree(SpecGram *p){
  if( p->pHelper ) gramHelperStop(p->pHelper);
  gramAccFree(&p->acc);
  gramAccFree(&p->acc2);
  specFree(p->aShift);
  specFree(p->aBlock);
  specFree(p->aOne);
  memset(p, 0, sizeof(*p));
}

/*
** The pending block, complete or not, to its accumulator: block k to acc
** when k is even, to acc2 when odd. With a helper, the block waits for
** whichever thread is free; the caller then fills a free buffer, or, when
** two blocks wait already, merges one itself. SPEC_OK or SPEC_NOMEM.
*/
static int gramFlush(SpecGram *p){
  int64_t k = p->nFlushed;
  int iAcc = (int)(k%2);
  GramHelper *h;
  GramPending b;
  if( p->nBlock==0 ) return SPEC_OK;
  p->nFlushed++;
  if( iAcc==1 && p->acc2.aM2==0 ){
    if( gramAccInit(&p->acc2, p->nDim) ) return SPEC_NOMEM;
    if( p->nDim>=GRAM_HELPER_MIN_D ) gramHelperStart(p);
  }
  h = p->pHelper;
  if( h==0 ){
    gramAccMerge(iAcc ? &p->acc2 : &p->acc, p->aBlock, p->nBlock, p->nDim,
                 p->bCenter, p->aOne, p->rBlockMax);
  }else{
    pthread_mutex_lock(&h->mu);
    h->aWait[h->nWait].a = p->aBlock;
    h->aWait[h->nWait].nRow = p->nBlock;
    h->aWait[h->nWait].iAcc = iAcc;
    h->aWait[h->nWait].rMax = p->rBlockMax;
    h->nWait++;
    pthread_cond_broadcast(&h->cv);
    for(;;){
      if( (h->nWait>=2 || h->nFree==0) && gramTake(h, &b) ){
        gramMergeTaken(h, &b);
      }else if( h->nFree>0 ){
        p->aBlock = h->apFree[--h->nFree];
        break;
      }else{
        pthread_cond_wait(&h->cv, &h->mu);
      }
    }
    pthread_mutex_unlock(&h->mu);
  }
  p->nBlock = 0;
  p->rBlockMax = 0.0;
  return SPEC_OK;
}

/* Everything merged into p->acc; the helper, if any, stopped. */
static int gramSettle(SpecGram *p){
  int rc = gramFlush(p);
  GramHelper *h = p->pHelper;
  if( h ){
    /* merge alongside the helper until nothing waits or is being merged */
    GramPending b;
    pthread_mutex_lock(&h->mu);
    while( h->nWait>0 || h->abBusy[0] || h->abBusy[1] ){
      if( gramTake(h, &b) ){
        gramMergeTaken(h, &b);
      }else{
        pthread_cond_wait(&h->cv, &h->mu);
      }
    }
    pthread_mutex_unlock(&h->mu);
    gramHelperStop(h);
    p->pHelper = 0;
  }
  if( rc==SPEC_OK && p->acc2.aM2 ){
    GramAcc *b = &p->acc2;
    int d = p->nDim;
    gramAccCombine(&p->acc, b, d, p->bCenter);
    /* empty again, so that rows may still be added after a settle (a
    ** window frame's value is read while its rows keep coming) */
    memset(b->aMean, 0, sizeof(double)*(size_t)d*3);
    memset(b->aM2, 0, sizeof(double)*(size_t)d*d);
    b->nRow = 0;
    b->eScale = 0;
    b->rMax = 0.0;
  }
  return rc;
}

/*
** y = x - s for n values; returns the largest |y| (Inf if one overflowed).
** Eight at a time with eight running maxima, so that gcc -O2 vectorizes it.
*/
static double gramShiftMax(double *restrict y, const double *restrict x,
                           const double *restrict s, int n){
  double m[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r = 0.0;
  int i = 0, k;
  for(; i+8<=n; i+=8){
    for(k=0; k<8; k++){
      double v = x[i+k] - s[i+k], a = fabs(v);
      y[i+k] = v;
      m[k] = a>m[k] ? a : m[k];
    }
  }
  for(; i<n; i++){
    double v = x[i] - s[i], a = fabs(v);
    y[i] = v;
    r = a>r ? a : r;
  }
  for(k=0; k<8; k++) r = m[k]>r ? m[k] : r;
  return r;
}

int specGramAdd(SpecGram *p, const double *aRow){
  double *y = p->aBlock + (size_t)p->nBlock*p->nDim, r;
  if( p->bCenter && !p->bStarted ){
    memcpy(p->aShift, aRow, sizeof(double)*(size_t)p->nDim);
    p->bStarted = 1;
  }
  r = gramShiftMax(y, aRow, p->aShift, p->nDim);
  if( isinf(r) ) return SPEC_RANGE;
  if( r>p->rBlockMax ) p->rBlockMax = r;
  if( ++p->nBlock==p->nBlockMax ) return gramFlush(p);
  return SPEC_OK;
}

/* Copy the upper triangle of the m x m matrix g into its lower one. */
static void gramMirror(double *g, int m){
  int i, j;
  for(j=0; j<m; j++){
    for(i=0; i<j; i++) g[j + (size_t)i*m] = g[i + (size_t)j*m];
  }
}

/*
** sigma[0..s-1] = 2^e * sqrt(max(lambda_i, 0)) for the s largest
** eigenvalues of the symmetric m x m matrix g (lower triangle, as
** gramMirror leaves it; destroyed), through dsyevd. The lower triangle, so
** that specGramBasis can keep a copy there while dsyevr takes the upper
** one, and its sigma are the spectrum's to the last digit.
** SPEC_OK, SPEC_NOMEM, SPEC_LAPACK or SPEC_OVERFLOW.
*/
static int gramEigenSigma(double *g, int m, int s, int e, double *sigma,
                          SpecStatus *pStatus){
  int iw = 0, *aIwork = 0, info, i, rc = SPEC_OK;
  double q = 0.0, *aWork = 0, *w = specMalloc(sizeof(double)*(size_t)m);

  if( w==0 ) return SPEC_NOMEM;
  info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', m, g, m, w, &q, -1,
                             &iw, -1);
  if( info==0 ){
    aWork = specMalloc(sizeof(double)*((size_t)q + 1));
    aIwork = specMalloc(sizeof(int)*((size_t)iw + 1));
    if( aWork==0 || aIwork==0 ){
      rc = SPEC_NOMEM;
      goto eigen_out;
    }
    info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'L', m, g, m, w, aWork,
                               (int)q, aIwork, iw);
  }
  if( info!=0 ){
    rc = gramFail(pStatus, "dsyevd", info);
    goto eigen_out;
  }
  for(i=0; i<s; i++){
    double l = w[m-1-i];
    sigma[i] = l>0.0 ? ldexp(sqrt(l), e) : 0.0;
    if( isinf(sigma[i]) ) rc = SPEC_OVERFLOW;
  }

eigen_out:
  specFree(w);
  specFree(aWork);
  specFree(aIwork);
  return rc;
}

int specGramValues(SpecGram *p, double *sigma, SpecStatus *pStatus){
  int d = p->nDim;
  int rc = gramSettle(p);
  if( rc ) return rc;
  if( specCancelled() ) return SPEC_INTERRUPT;
  gramMirror(p->acc.aM2, d);
  return gramEigenSigma(p->acc.aM2, d, p->acc.nRow<d ? (int)p->acc.nRow : d,
                        p->acc.eScale, sigma, pStatus);
}

int specGramSmall(double *a, int n, int d, int bCenter, double *sigma,
                  SpecStatus *pStatus){
  int64_t nd = (int64_t)n*d;
  int e = 0, i, m, info, rc;
  double *k, *aV, *aWork, amax, alpha = 1.0, tau = 0.0;

  if( n<1 || d<1 || n>d || nd>INT_MAX ) return SPEC_TOOBIG;
  if( bCenter ){
    /* y = x - x_1, as specGramAdd does (finite x: at worst an overflow) */
    int r;
    for(r=1; r<n; r++) smallSub(a + (size_t)r*d, a, d);
    memset(a, 0, sizeof(double)*(size_t)d);
  }
  amax = fabs(a[cblas_idamax((int)nd, a, 1)]);
  if( isinf(amax) ) return SPEC_RANGE;
  memset(sigma, 0, sizeof(double)*(size_t)n);
  if( amax==0.0 ) return SPEC_OK;
  e = ilogb(amax);
  if( e<=GRAM_BIG_EXP && e>= -GRAM_BIG_EXP ) e = 0;
  if( e ) specScalePow2(a, nd, -e);
  /* k: the m x m Gram matrix; aV: n; aWork: d */
  k = specMalloc(sizeof(double)*((size_t)n*n + (size_t)n + d));
  if( k==0 ) return SPEC_NOMEM;
  aV = k + (size_t)n*n;
  aWork = aV + n;
  m = n;
  if( bCenter ){
    for(i=0; i<n; i++) aV[i] = 1.0;
    gramCenterBlock(a, n, d, aV, aWork);  /* as a block is */
    /* As the exact method does (spectrum.c, step 3): Y*H with H*1 = beta*e1
    ** puts all that lies along the ones vector, the centering's rounding,
    ** into column 1, which is dropped. The rank loss of centering is then
    ** exact: sigma_n is 0, not 1e-8 of sigma_1. */
    info = LAPACKE_dlarfg_work(n, &alpha, aV+1, 1, &tau);
    if( info==0 ){
      aV[0] = 1.0;
      info = LAPACKE_dlarfx_work(LAPACK_COL_MAJOR, 'R', d, n, aV, tau, a, d,
                                 aWork);
    }
    if( info!=0 ){
      specFree(k);
      return gramFail(pStatus, "dlarfx", info);
    }
    a += d;
    m = n - 1;
  }
  rc = SPEC_OK;
  if( m>0 ){
    cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, m, d, 1.0, a, d, 0.0,
                k, m);
    gramMirror(k, m);
    rc = gramEigenSigma(k, m, m, e, sigma, pStatus);
  }
  specFree(k);
  return rc;
}

int specGramMatBasis(double *aM2, int d, int nK, int e, double *sigma,
                     double *dir, SpecStatus *pStatus){
  int info, i, j, nFound = 0;
  int iw = 0, *aIwork = 0, *aSupp = 0, rc = SPEC_OK;
  double q = 0.0, *aWork = 0, *w = 0, *z = 0;

  if( nK<1 || nK>d ) return SPEC_TOOBIG;
  w = specMalloc(sizeof(double)*(size_t)d*2);  /* eigenvalues, diagonal */
  z = specMalloc(sizeof(double)*(size_t)d*nK);
  aSupp = specMalloc(sizeof(int)*(size_t)2*d);
  if( w==0 || z==0 || aSupp==0 ){
    rc = SPEC_NOMEM;
    goto basis_out;
  }
  /* dsyevr destroys the upper triangle and the diagonal: keep a copy of
  ** both, in the lower triangle and w + d, for the values below */
  gramMirror(aM2, d);
  for(j=0; j<d; j++) w[d+j] = aM2[j + (size_t)j*d];
  info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'U', d, aM2, d,
                             0.0, 0.0, d-nK+1, d, 0.0, &nFound, w, z, d,
                             aSupp, &q, -1, &iw, -1);
  if( info==0 ){
    aWork = specMalloc(sizeof(double)*((size_t)q + 1));
    aIwork = specMalloc(sizeof(int)*((size_t)iw + 1));
    if( aWork==0 || aIwork==0 ){
      rc = SPEC_NOMEM;
      goto basis_out;
    }
    info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'U', d, aM2, d,
                               0.0, 0.0, d-nK+1, d, 0.0, &nFound, w, z, d,
                               aSupp, aWork, (int)q, aIwork, iw);
  }
  if( info!=0 || nFound!=nK ){
    rc = gramFail(pStatus, "dsyevr", info);
    goto basis_out;
  }
  /* dsyevr lists ascending: direction i is column nK-1-i */
  for(i=0; i<nK; i++){
    memcpy(dir + (size_t)i*d, z + (size_t)(nK-1-i)*d, sizeof(double)*(size_t)d);
  }
  specFixSigns(dir, nK, d);
  /* sigma as svd_spectrum computes them (dsyevd on the same matrix), so
  ** that the basis's are the spectrum's to the last digit */
  for(j=0; j<d; j++) aM2[j + (size_t)j*d] = w[d+j];
  rc = gramEigenSigma(aM2, d, nK, e, sigma, pStatus);

basis_out:
  specFree(w);
  specFree(z);
  specFree(aSupp);
  specFree(aWork);
  specFree(aIwork);
  return rc;
}

int specGramMatValues(double *aM2, int d, int s, int e, double *sigma,
                      SpecStatus *pStatus){
  gramMirror(aM2, d);
  return gramEigenSigma(aM2, d, s, e, sigma, pStatus);
}

/* The mean of the rows added to p, times 2^-e, as hi + lo (TwoSum of the
** shift and the mean of y), into aMean[0..2d-1]; zeros when p does not
** center. */
static void gramMeanParts(const SpecGram *p, int e, double *aMean){
  int d = p->nDim, j;
  for(j=0; j<d; j++){
    double a = p->bCenter ? ldexp(p->aShift[j], -e) : 0.0;
    double b = p->bCenter ? ldexp(p->acc.aMean[j], p->acc.eScale - e) : 0.0;
    double s = a + b, bb = s - a;
    aMean[j] = s;
    aMean[d+j] = (a - (s - bb)) + (b - bb);
  }
}

int specGramBasis(SpecGram *p, int nK, double *aMean, double *sigma,
                  double *dir, SpecStatus *pStatus){
  int rc = gramSettle(p);
  if( rc ) return rc;
  if( specCancelled() ) return SPEC_INTERRUPT;
  if( nK<1 || nK>p->nDim || nK>p->acc.nRow ) return SPEC_TOOBIG;
  rc = specGramMatBasis(p->acc.aM2, p->nDim, nK, p->acc.eScale, sigma, dir,
                        pStatus);
  gramMeanParts(p, 0, aMean);
  return rc;
}

int specGramExport(SpecGram *p, double *aMean, double *aM2, int *pE){
  int rc = gramSettle(p);
  if( rc ) return rc;
  gramMeanParts(p, p->acc.eScale, aMean);
  memcpy(aM2, p->acc.aM2, sizeof(double)*(size_t)p->nDim*p->nDim);
  *pE = p->acc.eScale;
  return SPEC_OK;
}
