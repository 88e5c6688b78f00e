/*
** numerics.c: what the numerics files (spectrum.c, gram.c, merge.c and the
** comparison functions) share, with no SQLite types:
**
**   specMalloc/specZalloc/specFree  64-byte aligned workspace, through
**                                   SQLite's allocator once the extension
**                                   is loaded (specSetAllocator)
**   specSetCancel/specCancelled     the calling thread's interrupt probe
**   specScalePow2                   exact power-of-two scaling
**   specBlasInit                    OpenBLAS single-threaded, once
**
** The declarations, with their rules, are in spectrum.h.
*/
#include "spectrum.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The allocator: malloc unless the extension routes it through SQLite's
** (specSetAllocator), so that a failing allocator reaches the numerics too. */
typedef void *(*SpecMallocFn)(size_t);
typedef void (*SpecFreeFn)(void*);
static _Atomic(SpecMallocFn) specXMalloc = malloc;
static _Atomic(SpecFreeFn) specXFree = free;

void specSetAllocator(void *(*xMalloc)(size_t), void (*xFree)(void*)){
  atomic_store(&specXMalloc, xMalloc);
  atomic_store(&specXFree, xFree);
}

/*
** Blocks are 64-byte aligned: OpenBLAS's kernels treat an unaligned head
** separately, which changes the order of their sums with the address, and
** so the last digit of a result with the heap's state (svd_basis's sigma
** then differed from svd_spectrum's on the same rows). The pointer that
** the allocator returned is kept in the 8 bytes before the block.
*/
#define SPEC_ALIGN 64

void *specMalloc(size_t n){
  char *p;
  uintptr_t u;
  if( n>SIZE_MAX - SPEC_ALIGN - sizeof(void*) ) return 0;
  p = atomic_load_explicit(&specXMalloc, memory_order_relaxed)(
          n + SPEC_ALIGN + sizeof(void*));
  if( p==0 ) return 0;
  u = ((uintptr_t)p + sizeof(void*) + SPEC_ALIGN - 1) & ~(uintptr_t)(SPEC_ALIGN-1);
  memcpy((char*)u - sizeof(void*), &p, sizeof(void*));
  return (void*)u;
}

void *specZalloc(size_t n){
  void *p = specMalloc(n);
  if( p ) memset(p, 0, n);
  return p;
}

void specFree(void *p){
  if( p ){
    void *pBase;
    memcpy(&pBase, (char*)p - sizeof(void*), sizeof(void*));
    atomic_load_explicit(&specXFree, memory_order_relaxed)(pBase);
  }
}

/* The calling thread's cancel probe (specSetCancel). */
static _Thread_local int (*specXCancel)(void*);
static _Thread_local void *specCancelArg;

void specSetCancel(int (*xCancel)(void*), void *pArg){
  specXCancel = xCancel;
  specCancelArg = pArg;
}

int specCancelled(void){
  return specXCancel!=0 && specXCancel(specCancelArg)!=0;
}

/* a[] *= s, n values, through cblas_dscal in int-sized chunks. */
static void specScale(double *a, int64_t n, double s){
  while( n>0 ){
    int nChunk = n>INT_MAX ? INT_MAX : (int)n;
    cblas_dscal(nChunk, s, a, 1);
    a += nChunk;
    n -= nChunk;
  }
}

void specScalePow2(double *a, int64_t n, int e){
  /* 2^e itself is Inf for e > 1023 and 0 for e < -1074, as the exponent
  ** of a subnormal largest value asks: so scale in steps of 2^+-960, each
  ** a finite factor. Going up (the subnormal case) every step is exact. */
  while( e>960 || e< -960 ){
    int s = e>0 ? 960 : -960;
    specScale(a, n, ldexp(1.0, s));
    e -= s;
  }
  if( e ) specScale(a, n, ldexp(1.0, e));
}


/*
** OpenBLAS's own threads: one, unless the user chose a number. Its pthread
** build shares one pool among all calling threads; with a host running
** queries on several threads it then slows to a crawl (TRAP 1: eight
** callers did not finish in 600 s, against 7 s single-threaded), and our
** blocks are too small for its threads to pay off anyway (GloVe: 0.71 s with
** two threads, 0.41 s with one). The setting is process-wide.
*/
static void specBlasOnce(void){
  if( getenv("OPENBLAS_NUM_THREADS")==0 && getenv("GOTO_NUM_THREADS")==0
   && getenv("OMP_NUM_THREADS")==0 ){
    openblas_set_num_threads(1);
  }
}

void specBlasInit(void){
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, specBlasOnce);
}
