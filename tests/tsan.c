/*
** tsan.c: concurrency under ThreadSanitizer. Six threads, each with its own
** connection to one database, run spectra and bases on large and small
** groups at once, twice each in a different order; every result must equal
** the single-threaded one, and ThreadSanitizer (this program is built with
** -fsanitize=thread, the extension compiled in) must report no race. The
** large gram groups compete for the process-wide helper-thread budget, and
** the small groups' QR streams on a helper while SQLite reads their rows.
**
**   build/tsan/threads DIR     (DIR: a writable folder)
** Prints one line per failure, then "tsan: N passed, M failed".
*/
#define _GNU_SOURCE   /* strdup, sched_getaffinity */
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sqlite3_svd_init(sqlite3*, char**, const void*);
long specStreamCount(void);   /* ext/numerics/small.c */

#define N_THREAD 6

static const char *azSetup[] = {
  "CREATE TABLE big(vec)",
  "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<11999),"
  " d(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM d WHERE j<47)"
  " INSERT INTO big SELECT emb_f32((SELECT '[' || group_concat(sin(i*48+j*j)"
  " + 3*cos(j), ',') || ']' FROM d)) FROM c",
  "CREATE TABLE small(grp, vec)",
  "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<999)"
  " INSERT INTO small SELECT i/10, json_array(sin(i), cos(i), sin(2*i),"
  " cos(3*i), i%7) FROM c",
  /* 20 groups of 50 x 400: their QR is shared with a helper thread */
  "CREATE TABLE mid(grp, vec)",
  "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<999),"
  " d(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM d WHERE j<399)"
  " INSERT INTO mid SELECT i/50, emb_f32((SELECT '[' || group_concat("
  "sin(i*400+j*j) + cos(j), ',') || ']' FROM d)) FROM c",
};

static const char *azQuery[] = {
  "SELECT svd_spectrum(vec, 'method=gram') FROM big",
  "SELECT svd_spectrum(vec) FROM big",
  "SELECT svd_spectrum(vec, 'method=exact') FROM big",
  "SELECT group_concat(s, ';') FROM (SELECT grp, svd_spectrum(vec) AS s"
  " FROM small GROUP BY grp)",
  "SELECT hex(svd_basis(vec, 4, 'method=gram')) FROM big",
  /* window frames: sliding, and whole partitions */
  "SELECT group_concat(s, ';') FROM (SELECT svd_spectrum(vec) OVER"
  " (ORDER BY rowid ROWS 12 PRECEDING) AS s FROM small)",
  "SELECT group_concat(hex(b), ';') FROM (SELECT svd_basis(vec, 2) OVER"
  " (PARTITION BY grp) AS b FROM small)",
  "SELECT hex(svd_basis(vec, 3)) FROM small",
  "SELECT group_concat(s, ';') FROM (SELECT grp, svd_spectrum(vec) AS s"
  " FROM mid GROUP BY grp)",
  "SELECT group_concat(hex(b), ';') FROM (SELECT grp, svd_basis(vec, 5) AS b"
  " FROM mid GROUP BY grp)",
  /* streams stopped by a JSON row, and by a window frame */
  "SELECT group_concat(s, ';') FROM (SELECT grp, svd_spectrum(CASE WHEN"
  " rowid % 50 = 30 THEN emb_json(vec) ELSE vec END) AS s FROM mid GROUP BY"
  " grp)",
  "SELECT group_concat(s, ';') FROM (SELECT svd_spectrum(vec) OVER (PARTITION"
  " BY grp ORDER BY rowid ROWS 20 PRECEDING) AS s FROM mid WHERE grp < 2)",
};
#define N_QUERY (int)(sizeof(azQuery)/sizeof(azQuery[0]))

static char zDb[600];
static char *azWant[N_QUERY];
static int nBad = 0, nRun = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* The first column of the first row, as text (malloc'd), or 0. */
static char *tsRun(sqlite3 *db, const char *zSql){
  sqlite3_stmt *pStmt = 0;
  char *z = 0;
  if( sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)==SQLITE_OK
   && sqlite3_step(pStmt)==SQLITE_ROW ){
    const char *zCol = (const char*)sqlite3_column_text(pStmt, 0);
    if( zCol ) z = strdup(zCol);
  }
  if( z==0 ) fprintf(stderr, "tsan: %s: %s\n", zSql, sqlite3_errmsg(db));
  sqlite3_finalize(pStmt);
  return z;
}

static void *tsThread(void *pArg){
  int iSeed = (int)(size_t)pArg, k;
  sqlite3 *db = 0;
  if( sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READONLY, 0)!=SQLITE_OK ) return 0;
  for(k=0; k<2*N_QUERY; k++){
    int iq = (k*(2*iSeed+1) + iSeed) % N_QUERY;
    char *z = tsRun(db, azQuery[iq]);
    pthread_mutex_lock(&mu);
    nRun++;
    if( z==0 || strcmp(z, azWant[iq])!=0 ){
      nBad++;
      printf("FAIL tsan thread %d: %s differs from the single-threaded "
             "result\n", iSeed, azQuery[iq]);
    }
    pthread_mutex_unlock(&mu);
    free(z);
  }
  sqlite3_close(db);
  return 0;
}

int main(int argc, char **argv){
  pthread_t aTid[N_THREAD];
  sqlite3 *db = 0;
  size_t i;
  int nFail = 0;
  snprintf(zDb, sizeof(zDb), "%s/tsan.db", argc>1 ? argv[1] : "/tmp");
  remove(zDb);
  sqlite3_auto_extension((void(*)(void))sqlite3_svd_init);
  if( sqlite3_open(zDb, &db)!=SQLITE_OK ) return 1;
  for(i=0; i<sizeof(azSetup)/sizeof(azSetup[0]); i++){
    if( sqlite3_exec(db, azSetup[i], 0, 0, 0)!=SQLITE_OK ){
      fprintf(stderr, "tsan: setup: %s\n", sqlite3_errmsg(db));
      return 1;
    }
  }
  for(i=0; i<(size_t)N_QUERY; i++){
    azWant[i] = tsRun(db, azQuery[i]);
    if( azWant[i]==0 ) return 1;
  }
  sqlite3_close(db);
  for(i=0; i<N_THREAD; i++){
    pthread_create(&aTid[i], 0, tsThread, (void*)i);
  }
  for(i=0; i<N_THREAD; i++) pthread_join(aTid[i], 0);
  if( nRun!=N_THREAD*2*N_QUERY ){
    printf("FAIL tsan: %d of %d queries ran\n", nRun, N_THREAD*2*N_QUERY);
    nFail++;
  }
  {
    /* the mid groups' QR streamed on a helper (README, "Threads") */
    cpu_set_t set;
    int nCore = sched_getaffinity(0, sizeof(set), &set)==0 ? CPU_COUNT(&set) : 1;
    if( nCore>1 && specStreamCount()==0 ){
      printf("FAIL tsan: no group streamed on %d cores\n", nCore);
      nFail++;
    }
  }
  for(i=0; i<(size_t)N_QUERY; i++) free(azWant[i]);
  remove(zDb);
  printf("tsan: %d passed, %d failed\n", nRun - nBad, nBad + nFail);
  return (nBad + nFail) ? 1 : 0;
}
