/*
** helper.c: a second thread for the QR of a small group (issue 14).
**
** A connection's aggregates own one helper (aggregate.c starts it with the
** connection's first small group and stops it when the connection closes);
** the numerics reach it through the calling thread's specSetHelper().
** smallQr() splits each block's trailing update in two: it posts one half
** as a job, works the other, then takes the job back if the helper has not
** started it, or waits for the helper to finish it. So a helper that is
** asleep, busy elsewhere or descheduled never makes the caller wait for it
** to start, and the result is the same bit for bit whoever runs the job:
** each column's update is the same sequence of operations either way.
**
** The helper spins for a job for SPEC_HELPER_SPIN_NS after its last one
** (the next block, or the next group of a GROUP BY, comes within it),
** yielding the core between looks, then sleeps on a condition variable
** until the next post wakes it. At most one helper per core but one exists
** in the process (TRAP 1: a host running queries on many threads must not
** have more spinning threads than cores); a connection that finds none
** free runs alone.
*/
#define _GNU_SOURCE   /* clock_gettime, sched_yield, sched_getaffinity */
#include "spectrum.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <strings.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* How long an idle helper keeps looking for work before it sleeps. */
#define SPEC_HELPER_SPIN_NS 2000000

enum { JOB_NONE, JOB_POSTED, JOB_CLAIMED, JOB_DONE };

struct SpecHelper {
  pthread_t tid;
  pthread_mutex_t mu;
  pthread_cond_t cv;        /* a job was posted, or bQuit */
  _Atomic int eJob;         /* JOB_*: the job slot's state */
  _Atomic int bAsleep;      /* the helper waits on cv */
  _Atomic int bQuit;
  void (*xJob)(void*);      /* the job, set before eJob becomes POSTED */
  void *pJobArg;
  _Atomic long nRun;        /* jobs the helper has run */
};

/* Helpers in the process, and how many may exist (cores - 1). */
static _Atomic int specNHelper = 0;

int64_t specNow(void){
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec*1000000000 + t.tv_nsec;
}

int specSpin(unsigned *pnLook, int64_t tIdle){
  if( (++*pnLook & 63)!=0 ){
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return 0;
  }
  if( specNow()-tIdle<SPEC_HELPER_SPIN_NS ){
    sched_yield();
    return 0;
  }
  return 1;
}

static void *specHelperMain(void *pArg){
  SpecHelper *h = pArg;
  int64_t tIdle = specNow();
  unsigned nLook = 0;
  while( !atomic_load_explicit(&h->bQuit, memory_order_acquire) ){
    int e = JOB_POSTED;
    /* look before the exchange, which would take the line from the poster */
    if( atomic_load_explicit(&h->eJob, memory_order_relaxed)==JOB_POSTED
     && atomic_compare_exchange_strong_explicit(&h->eJob, &e, JOB_CLAIMED,
            memory_order_acq_rel, memory_order_acquire) ){
      h->xJob(h->pJobArg);
      atomic_fetch_add_explicit(&h->nRun, 1, memory_order_relaxed);
      atomic_store_explicit(&h->eJob, JOB_DONE, memory_order_release);
      tIdle = specNow();
      nLook = 0;
      continue;
    }
    if( !specSpin(&nLook, tIdle) ) continue;
    /* idle too long: sleep until a post (or bQuit) wakes us */
    pthread_mutex_lock(&h->mu);
    atomic_store(&h->bAsleep, 1);
    while( atomic_load(&h->eJob)!=JOB_POSTED && !atomic_load(&h->bQuit) ){
      pthread_cond_wait(&h->cv, &h->mu);
    }
    atomic_store(&h->bAsleep, 0);
    pthread_mutex_unlock(&h->mu);
    tIdle = specNow();
    nLook = 0;
  }
  return 0;
}

int specThreadCreate(pthread_t *pTid, void *(*xMain)(void*), void *pArg){
  /* the thread takes no signals: the host's handlers (Ctrl-C in the
  ** sqlite3 shell) run on its own threads, as without ours */
  sigset_t all, old;
  int rc;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  rc = pthread_create(pTid, 0, xMain, pArg);
  pthread_sigmask(SIG_SETMASK, &old, 0);
  return rc;
}

/* How many helpers the process may have: one per core it may run on (its
** affinity: taskset, cpusets; else the machine's) but one. */
static long specHelperCap(void){
  static _Atomic long nMax = -1;
  long nCap = atomic_load(&nMax);
  if( nCap<0 ){
    cpu_set_t set;
    long nCore = sched_getaffinity(0, sizeof(set), &set)==0
               ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
    nCap = nCore - 1;
    if( nCap<0 ) nCap = 0;
    atomic_store(&nMax, nCap);
  }
  return nCap;
}

int specHelperSpare(void){
  return atomic_load(&specNHelper)<specHelperCap();
}

SpecHelper *specHelperStart(int bAnyCores){
  long nCap = specHelperCap();
  SpecHelper *h;
  int n;
  n = atomic_fetch_add(&specNHelper, 1);
  if( n>=nCap && !bAnyCores ){
    atomic_fetch_sub(&specNHelper, 1);
    return 0;
  }
  h = specZalloc(sizeof(*h));
  if( h ){
    atomic_init(&h->eJob, JOB_NONE);
    atomic_init(&h->bAsleep, 0);
    atomic_init(&h->bQuit, 0);
    atomic_init(&h->nRun, 0);
    if( pthread_mutex_init(&h->mu, 0)==0 ){
      if( pthread_cond_init(&h->cv, 0)==0 ){
        if( specThreadCreate(&h->tid, specHelperMain, h)==0 ) return h;
        pthread_cond_destroy(&h->cv);
      }
      pthread_mutex_destroy(&h->mu);
    }
    specFree(h);
  }
  atomic_fetch_sub(&specNHelper, 1);
  return 0;
}

void specHelperStop(SpecHelper *h){
  if( h==0 ) return;
  pthread_mutex_lock(&h->mu);
  atomic_store(&h->bQuit, 1);
  pthread_cond_signal(&h->cv);
  pthread_mutex_unlock(&h->mu);
  pthread_join(h->tid, 0);
  pthread_cond_destroy(&h->cv);
  pthread_mutex_destroy(&h->mu);
  specFree(h);
  atomic_fetch_sub(&specNHelper, 1);
}

/* The calling thread's helper (specSetHelper). */
static _Thread_local SpecHelper *specCurHelper;

void specSetHelper(SpecHelper *h){
  specCurHelper = h;
}

SpecHelper *specGetHelper(void){
  return specCurHelper;
}

void specHelperPost(SpecHelper *h, void (*xJob)(void*), void *pArg){
  h->xJob = xJob;
  h->pJobArg = pArg;
  /* sequentially consistent, as the helper's bAsleep-then-eJob: either it
  ** sees the job or this sees it asleep (and wakes it under the mutex it
  ** holds until it waits) */
  atomic_store(&h->eJob, JOB_POSTED);
  if( atomic_load(&h->bAsleep) ){
    pthread_mutex_lock(&h->mu);
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
  }
}

int specHelperReclaim(SpecHelper *h){
  int e = JOB_POSTED;
  unsigned nLook = 0;
  if( atomic_compare_exchange_strong_explicit(&h->eJob, &e, JOB_NONE,
          memory_order_acq_rel, memory_order_acquire) ){
    return 1;   /* never started: the caller runs it */
  }
  /* the helper runs it: wait (yielding now and then, in case the helper
  ** shares this core) */
  while( atomic_load_explicit(&h->eJob, memory_order_acquire)!=JOB_DONE ){
    if( (++nLook & 63)==0 ){
      sched_yield();
    }else{
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  }
  atomic_store_explicit(&h->eJob, JOB_NONE, memory_order_relaxed);
  return 0;
}

long specHelperJobs(SpecHelper *h){
  return h ? atomic_load(&h->nRun) : 0;
}

int specHelperCount(void){
  return atomic_load(&specNHelper);
}

int specHelperAllowed(void){
  static const char *const azOff[] = { "0", "off", "false", "no" };
  const char *z = getenv("SQLITE_SVD_HELPER");
  size_t i;
  if( z==0 ) return 1;
  for(i=0; i<sizeof(azOff)/sizeof(azOff[0]); i++){
    if( strcasecmp(z, azOff[i])==0 ) return 0;
  }
  return 1;
}
