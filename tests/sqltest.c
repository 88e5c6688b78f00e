/*
** sqltest.c: runs the SQL test files in tests/sql/ against the extension.
**
**   build/sqltest dist/svd tests/sql/vector.sql tests/sql/each.sql
**
** Each file runs in a fresh in-memory database with the extension loaded.
** Rules:
**   1. A statement that returns rows must return rows of two columns,
**      ('id', 1): the id names the check, 1 means it held. Anything else in
**      the second column fails. Ids are unique within a file.
**   2. A statement preceded by a line "-- error: TEXT" must fail with exactly
**      the message TEXT; it counts as one check.
**   3. Any other failing statement fails.
** Ends with "sqltest: N passed, M failed"; exit status 1 on any failure.
*/
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int nPass = 0, nFail = 0;

/* Ids seen in the current file. */
static char **azId = 0;
static int nId = 0;

static void resetIds(void){
  int i;
  for(i=0; i<nId; i++) free(azId[i]);
  free(azId);
  azId = 0;
  nId = 0;
}

static int seenId(const char *z){
  int i;
  for(i=0; i<nId; i++) if( strcmp(azId[i], z)==0 ) return 1;
  azId = realloc(azId, sizeof(char*)*(nId+1));
  azId[nId++] = strdup(z);
  return 0;
}

static void runStatement(sqlite3 *db, const char *zFile, int iLine,
                         const char *zSql, const char *zExpectErr){
  sqlite3_stmt *pStmt = 0;
  const char *zTail = zSql;
  int rc = SQLITE_OK;
  while( rc==SQLITE_OK && zTail && zTail[0] ){
    rc = sqlite3_prepare_v2(db, zTail, -1, &pStmt, &zTail);
    if( rc!=SQLITE_OK || pStmt==0 ) break;
    while( (rc = sqlite3_step(pStmt))==SQLITE_ROW ){
      const char *zId = (const char*)sqlite3_column_text(pStmt, 0);
      if( zExpectErr ){
        continue;
      }
      if( sqlite3_column_count(pStmt)!=2 || zId==0 ){
        printf("FAIL %s:%d: a result row must be ('id', 1)\n", zFile, iLine);
        nFail++;
      }else if( seenId(zId) ){
        printf("FAIL %s:%d: duplicate id '%s'\n", zFile, iLine, zId);
        nFail++;
      }else if( sqlite3_column_type(pStmt, 1)==SQLITE_INTEGER
             && sqlite3_column_int64(pStmt, 1)==1 ){
        nPass++;
      }else{
        printf("FAIL %s:%d: %s -> %s\n", zFile, iLine, zId,
               sqlite3_column_type(pStmt, 1)==SQLITE_NULL ? "NULL" :
               (const char*)sqlite3_column_text(pStmt, 1));
        nFail++;
      }
    }
    if( rc==SQLITE_DONE ) rc = SQLITE_OK;
    sqlite3_finalize(pStmt);
    pStmt = 0;
  }
  if( zExpectErr ){
    if( rc==SQLITE_OK ){
      printf("FAIL %s:%d: expected error \"%s\", statement succeeded\n",
             zFile, iLine, zExpectErr);
      nFail++;
    }else if( strcmp(sqlite3_errmsg(db), zExpectErr)!=0 ){
      printf("FAIL %s:%d: expected error \"%s\"\n%*sgot \"%s\"\n", zFile, iLine,
             zExpectErr, (int)strlen(zFile)+10, "", sqlite3_errmsg(db));
      nFail++;
    }else{
      nPass++;
    }
  }else if( rc!=SQLITE_OK ){
    printf("FAIL %s:%d: %s\n", zFile, iLine, sqlite3_errmsg(db));
    nFail++;
  }
}

static void runFile(const char *zExt, const char *zFile){
  FILE *in = fopen(zFile, "r");
  sqlite3 *db = 0;
  char *zErr = 0, zLine[65536];
  char *zSql = 0, *zExpect = 0;
  size_t nSql = 0;
  int iLine = 0, iStart = 0;

  if( in==0 ){
    printf("FAIL %s: cannot open\n", zFile);
    nFail++;
    return;
  }
  sqlite3_open(":memory:", &db);
  sqlite3_enable_load_extension(db, 1);
  if( sqlite3_load_extension(db, zExt, 0, &zErr)!=SQLITE_OK ){
    printf("FAIL %s: cannot load %s: %s\n", zFile, zExt, zErr);
    sqlite3_free(zErr);
    nFail++;
    sqlite3_close(db);
    fclose(in);
    return;
  }
  while( fgets(zLine, sizeof(zLine), in) ){
    size_t n = strlen(zLine);
    iLine++;
    if( nSql==0 ){
      if( strncmp(zLine, "-- error: ", 10)==0 ){
        free(zExpect);
        zExpect = strdup(zLine+10);
        zExpect[strcspn(zExpect, "\n")] = 0;
        continue;
      }
      if( strspn(zLine, " \t\r\n")==n || strncmp(zLine, "--", 2)==0 ) continue;
      iStart = iLine;
    }
    zSql = realloc(zSql, nSql+n+1);
    memcpy(zSql+nSql, zLine, n+1);
    nSql += n;
    if( sqlite3_complete(zSql) ){
      runStatement(db, zFile, iStart, zSql, zExpect);
      free(zExpect);
      zExpect = 0;
      nSql = 0;
    }
  }
  if( nSql ){
    printf("FAIL %s:%d: unterminated statement\n", zFile, iStart);
    nFail++;
  }
  free(zSql);
  free(zExpect);
  resetIds();
  sqlite3_close(db);
  fclose(in);
}

int main(int argc, char **argv){
  int i;
  if( argc<3 ){
    fprintf(stderr, "usage: %s EXTENSION FILE.sql...\n", argv[0]);
    return 2;
  }
  for(i=2; i<argc; i++) runFile(argv[1], argv[i]);
  printf("sqltest: %d passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}
