/*
** oom.c: allocation failure. For each representative query, run it with
** the n-th allocation failing, for n = 1, 2, ... until it runs through
** without a failure. Every run must end cleanly: an error (SQLITE_NOMEM or
** a message), or success with the same result as a run without failures;
** never a crash, and (built with ASan, as make test-asan does) no leak and
** no bad access.
**
** The failing allocator is installed with SQLITE_CONFIG_MALLOC; the
** extension's numerics allocate through SQLite (specSetAllocator), so they
** fail too. OpenBLAS's and jansson's own allocations are not reached.
**
**   build/oom DIR      (DIR: a writable folder for the importers' files)
** Prints one line per failure, then "oom: N passed, M failed".
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sqlite3_svd_init(sqlite3*, char**, const void*);

static sqlite3_mem_methods oomOrig;   /* the real allocator */
static int oomCountdown = -1;         /* fail when it reaches 0; -1: never */
static int oomFailed = 0;             /* an allocation failed this run */

static int oomTick(void){
  if( oomCountdown<0 ) return 0;
  if( oomCountdown--==0 ){
    oomFailed = 1;
    return 1;
  }
  return 0;
}

static void *oomMalloc(int n){
  return oomTick() ? 0 : oomOrig.xMalloc(n);
}

static void *oomRealloc(void *p, int n){
  return oomTick() ? 0 : oomOrig.xRealloc(p, n);
}

/* oom_tag(X, N): X with subtype N, as sqlite-vec's vec_int8() (225) and
** vec_bit() (224) return it, so that vector.c's int8 and bit roads fail
** too without sqlite-vec in this process. */
static void oomTagFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  sqlite3_result_value(ctx, argv[0]);
  sqlite3_result_subtype(ctx, (unsigned int)sqlite3_value_int(argv[1]));
}

static int oomTagInit(sqlite3 *db, char **pzErr, const void *pApi){
  (void)pzErr;
  (void)pApi;
  return sqlite3_create_function(db, "oom_tag", 2, SQLITE_UTF8, 0,
                                 oomTagFunc, 0, 0);
}

static const char *azSetup[] = {
  "CREATE TABLE i8(grp, v)",
  "INSERT INTO i8 VALUES (0, x'0102ff8005'), (0, x'7f00fe0310'),"
  " (1, x'80817f7e00'), (1, x'0a0b0c0d0e'), (0, x'f0e0d0c0b0'),"
  " (1, x'0000000001')",
  "CREATE TABLE t(grp, v)",
  "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM c WHERE i<59)"
  " INSERT INTO t SELECT i%3, json_array(sin(i), cos(i*1.5), i*0.01,"
  " sin(i*0.7)*2, 1e3 + (i%5)) FROM c",
  "CREATE TABLE b AS SELECT svd_basis(v, 3) AS b FROM t",
  /* 6,000 rows of 40: gram's second accumulator (and its helper thread) */
  "CREATE TABLE w AS WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i+1"
  " FROM c WHERE i<5999), d(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM d"
  " WHERE j<39) SELECT emb_f32((SELECT '[' || group_concat(sin(i*40+j), ',')"
  " || ']' FROM d)) AS v FROM c",
};

/* Each query's rows, as text, are its result. %s is the files' folder. */
static const char *azQuery[] = {
  "SELECT svd_spectrum(v) FROM t",
  "SELECT svd_spectrum(v, 'method=gram') FROM t",
  "SELECT svd_spectrum(v, 'center=false, method=exact') FROM t",
  "SELECT svd_spectrum(v, 'method=gram') FROM w",
  "SELECT grp, svd_spectrum(v) FROM t GROUP BY grp",
  /* groups of 4 rows of 5: the small roads of exact, gram and the basis */
  "SELECT grp, svd_spectrum(v), svd_spectrum(v, 'method=gram'),"
  " hex(svd_basis(v, 2)), hex(svd_basis(v, 2, 'method=gram'))"
  " FROM t WHERE rowid<=12 GROUP BY grp",
  "SELECT svd_basis_json(svd_basis(v, 2)) FROM t",
  /* window frames: sliding (rows dropped), running and whole partitions */
  "SELECT svd_spectrum(v) OVER (ORDER BY rowid ROWS 6 PRECEDING),"
  " hex(svd_basis(v, 2, 'method=gram') OVER (PARTITION BY grp)),"
  " hex(svd_state(v) OVER (ORDER BY rowid)) FROM t WHERE rowid<=20",
  /* states: built per group (exact and gram), merged, read */
  "SELECT svd_state_spectrum(svd_merge(s)), svd_state_json(svd_merge(s)),"
  " hex(svd_state_basis(svd_merge(s), 2)) FROM (SELECT svd_state(v) AS s"
  " FROM t GROUP BY grp UNION ALL SELECT svd_state(v, 'method=gram') FROM t"
  " WHERE rowid<=12 GROUP BY grp)",
  "SELECT hex(svd_basis(v, 2, 'method=gram')) FROM t",
  "SELECT svd_coord(b, '[1,2,3,4,5]', 2), hex(svd_project(b, v)),"
  " hex(svd_direction(b, 1)) FROM b, t LIMIT 3",
  /* angles.c: two bases of unequal K, and residuals */
  "SELECT svd_angles(b, (SELECT svd_basis(v, 2) FROM t)), hex(svd_residual(b, v))"
  " FROM b, t LIMIT 3",
  "SELECT k, sigma, ratio, bar FROM svd_spectrum_each((SELECT svd_spectrum(v) FROM t))",
  "SELECT svd_effective_rank(s), svd_participation_ratio(s),"
  " svd_components_for(s, 0.9) FROM (SELECT svd_spectrum(v) AS s FROM t)",
  "SELECT svd_scree_svg(grp, s, 'log=true') FROM"
  " (SELECT grp, svd_spectrum(v) AS s FROM t GROUP BY grp)",
  "SELECT svd_signal_rank(s, 60, 5), svd_noise_threshold(s, 60, 5, 'center=false')"
  " FROM (SELECT svd_spectrum(v) AS s FROM t)",
  "SELECT svd_signal_rank('[1,1]', 3, 5, 'center=true')",
  "SELECT emb_json(emb_f32(v)), emb_dims(v) FROM t LIMIT 5",
  /* svd_cka: groups of 20 pairs (cross-products) and of 4 (kernels); the
  ** query is a format, so its modulo is %% */
  "SELECT a.grp, svd_cka(a.v, b.v), svd_cka(a.v, emb_f32(b.v), 'center=false')"
  " FROM t a JOIN t b ON b.rowid = a.rowid %% 60 + 1 GROUP BY a.grp"
  " UNION ALL SELECT grp, svd_cka(v, json_array(rowid, rowid*rowid)), NULL FROM t"
  " WHERE rowid<=12 GROUP BY grp",
  "SELECT svd_spectrum(v, 'centre=true') FROM t",
  "SELECT i, hex(vec) FROM emb_read_npy('%s/a.npy')",
  "SELECT * FROM emb_tensors('%s/m.safetensors')",
  "SELECT i, hex(vec) FROM emb_read_safetensors('%s/m.safetensors', 'w')",
  "SELECT i, word, hex(vec) FROM emb_read_text('%s/v.txt')",
  "SELECT i, word, hex(vec) FROM emb_read_word2vec('%s/v.bin')",
  "SELECT id, token FROM emb_read_vocab('%s/tok.json')",
  /* sqlite-vec's int8 and bit vectors (oom_tag stands in for it) */
  "SELECT grp, svd_spectrum(oom_tag(v, 225)), hex(svd_basis(oom_tag(v, 225), 2)),"
  " hex(svd_state(oom_tag(v, 225))) FROM i8 GROUP BY grp",
  "SELECT emb_json(oom_tag(v, 225)), hex(emb_f32(oom_tag(v, 225))),"
  " svd_spectrum(oom_tag(v, 225)) OVER (ORDER BY rowid ROWS 2 PRECEDING) FROM i8",
  "SELECT svd_spectrum(oom_tag(v, 224)) FROM i8",
  "SELECT emb_f32(oom_tag(v, 225), 'f32') FROM i8",
};

/* Write the importers' small files into zDir. */
static void oomFiles(const char *zDir){
  static const float a[6] = {1, 2, 3, 4, 5, 6};
  static const char zNpyHead[] =
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  static const char zSt[] =
    "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
  char zPath[512];
  unsigned char h[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
  unsigned long long n = sizeof(zSt) - 1;
  int i;
  FILE *f;
  h[8] = (unsigned char)(sizeof(zNpyHead) - 1 + 1);
  snprintf(zPath, sizeof(zPath), "%s/a.npy", zDir);
  f = fopen(zPath, "wb");
  fwrite(h, 1, 10, f);
  fwrite(zNpyHead, 1, sizeof(zNpyHead) - 1, f);
  fputc('\n', f);
  fwrite(a, 4, 6, f);
  fclose(f);
  snprintf(zPath, sizeof(zPath), "%s/m.safetensors", zDir);
  f = fopen(zPath, "wb");
  for(i=0; i<8; i++) fputc((int)((n>>(8*i)) & 0xff), f);
  fwrite(zSt, 1, n, f);
  fwrite(a, 4, 6, f);
  fclose(f);
  snprintf(zPath, sizeof(zPath), "%s/v.txt", zDir);
  f = fopen(zPath, "w");
  fputs("the 1 2 3\nnew york 4 5 6\n", f);
  fclose(f);
  snprintf(zPath, sizeof(zPath), "%s/v.bin", zDir);
  f = fopen(zPath, "wb");
  fputs("2 3\nthe ", f);
  fwrite(a, 4, 3, f);
  fputs("\nyork ", f);
  fwrite(a+3, 4, 3, f);
  fclose(f);
  snprintf(zPath, sizeof(zPath), "%s/tok.json", zDir);
  f = fopen(zPath, "w");
  fputs("{\"model\":{\"vocab\":{\"a\":0,\"b\":1}},"
        "\"added_tokens\":[{\"id\":2,\"content\":\"<s>\"}]}", f);
  fclose(f);
}

static char zDb[600];   /* the database the setup wrote, read by each run */

/* Write the tables once, into a file every run opens. */
static void oomSetup(const char *zDir){
  sqlite3 *db = 0;
  size_t i;
  snprintf(zDb, sizeof(zDb), "%s/oom.db", zDir);
  remove(zDb);
  if( sqlite3_open(zDb, &db)!=SQLITE_OK ){
    fprintf(stderr, "oom: cannot create %s\n", zDb);
    exit(1);
  }
  for(i=0; i<sizeof(azSetup)/sizeof(azSetup[0]); i++){
    if( sqlite3_exec(db, azSetup[i], 0, 0, 0)!=SQLITE_OK ){
      fprintf(stderr, "oom: setup failed: %s\n", sqlite3_errmsg(db));
      exit(1);
    }
  }
  sqlite3_close(db);
}

/* Run zSql on a new connection; its rows as text into *pzOut. */
static int oomRun(const char *zSql, char **pzOut){
  sqlite3 *db = 0;
  sqlite3_stmt *pStmt = 0;
  sqlite3_str *pOut;
  int rc, nSave = oomCountdown;

  oomCountdown = -1;
  *pzOut = 0;
  if( sqlite3_open_v2(zDb, &db, SQLITE_OPEN_READONLY, 0)!=SQLITE_OK ){
    fprintf(stderr, "oom: cannot open %s\n", zDb);
    exit(1);
  }
  pOut = sqlite3_str_new(0);
  oomCountdown = nSave;
  oomFailed = 0;
  rc = sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0);
  while( rc==SQLITE_OK && (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
    int j;
    for(j=0; j<sqlite3_column_count(pStmt); j++){
      int eType = sqlite3_column_type(pStmt, j);
      const unsigned char *z = sqlite3_column_text(pStmt, j);
      if( z==0 && eType!=SQLITE_NULL ) rc = SQLITE_NOMEM;  /* the harness's */
      sqlite3_str_appendf(pOut, "%s|", z ? (const char*)z : "NULL");
    }
    sqlite3_str_appendchar(pOut, 1, '\n');
    if( rc==SQLITE_ROW ) rc = SQLITE_OK;
  }
  if( rc==SQLITE_DONE ) rc = SQLITE_OK;
  sqlite3_finalize(pStmt);
  oomCountdown = -1;
  sqlite3_close(db);
  if( sqlite3_str_errcode(pOut) && rc==SQLITE_OK ) rc = SQLITE_NOMEM;
  *pzOut = sqlite3_str_finish(pOut);
  return rc;
}

int main(int argc, char **argv){
  sqlite3_mem_methods m;
  size_t iq;
  int nPass = 0, nFail = 0, nRunsAll = 0;
  const char *zDir = argc>1 ? argv[1] : "/tmp";

  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &oomOrig);
  m = oomOrig;
  m.xMalloc = oomMalloc;
  m.xRealloc = oomRealloc;
  sqlite3_config(SQLITE_CONFIG_MALLOC, &m);
  /* no lookaside, so that every allocation reaches the failing allocator */
  sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0);
  sqlite3_auto_extension((void(*)(void))sqlite3_svd_init);
  sqlite3_auto_extension((void(*)(void))oomTagInit);
  oomFiles(zDir);
  oomSetup(zDir);

  for(iq=0; iq<sizeof(azQuery)/sizeof(azQuery[0]); iq++){
    char zSql[1024], *zWant = 0, *zGot = 0;
    int rcWant, n, nRuns = 0, bBad = 0;
    snprintf(zSql, sizeof(zSql), azQuery[iq], zDir);
    oomCountdown = -1;
    rcWant = oomRun(zSql, &zWant);
    for(n=0; n<100000; n++){
      int rc;
      oomCountdown = n;
      rc = oomRun(zSql, &zGot);
      nRuns++;
      if( !oomFailed ){
        /* ran through without a failure: done with this query */
        if( rc!=rcWant || strcmp(zGot ? zGot : "", zWant ? zWant : "")!=0 ){
          printf("FAIL oom %s: the run without failures differs\n", zSql);
          bBad = 1;
        }
        sqlite3_free(zGot);
        break;
      }
      if( rc==SQLITE_OK && strcmp(zGot ? zGot : "", zWant ? zWant : "")!=0 ){
        printf("FAIL oom %s: allocation %d failed, the query succeeded with "
               "a different result\n", zSql, n+1);
        bBad = 1;
      }
      sqlite3_free(zGot);
      zGot = 0;
    }
    sqlite3_free(zWant);
    if( bBad ) nFail++; else nPass++;
    nRunsAll += nRuns;
  }
  printf("oom: %d queries, %d runs with one allocation failing\n",
         (int)(sizeof(azQuery)/sizeof(azQuery[0])), nRunsAll);
  printf("oom: %d passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}
