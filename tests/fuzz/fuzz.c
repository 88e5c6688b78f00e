/*
** fuzz.c: libFuzzer targets for every parser of untrusted bytes in the
** extension, driven through SQL as a user would reach them. One source,
** four targets, chosen with -DFUZZ_TARGET:
**
**   1 vector   the input as a BLOB and as TEXT: float32 BLOBs (and the other
**              element types of emb_f32(X, TYPE), and TYPE), JSON vectors
**              and JSON spectra (emb_*, svd_spectrum, svd_spectrum_each,
**              the measures, svd_scree_svg), and the BLOB tagged with
**              sqlite-vec's int8 and bit subtypes (fuzz_tag stands in for
**              vec_int8() and vec_bit())
**   2 options  the input as OPTIONS text of each function that takes one
**   3 basis    the input as a BASIS BLOB for each function that reads one
**              (svd_angles and svd_residual too), and as a STATE BLOB
**              (svd_state_*, svd_merge)
**   4 files    byte 0 picks an importer, the rest is the file it reads
**
** Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
** A crash, a leak or a sanitizer report fails; errors returned by SQL are
** the expected outcome for most inputs.
*/
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sqlite3_svd_init(sqlite3*, char**, const void*);

static sqlite3 *db = 0;

/* fuzz_tag(X, N): X with subtype N, as sqlite-vec's vec_int8() (225) and
** vec_bit() (224) return it. */
static void fuzzTagFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc;
  sqlite3_result_value(ctx, argv[0]);
  sqlite3_result_subtype(ctx, (unsigned int)sqlite3_value_int(argv[1]));
}

/* Run zSql with ?1 bound to the input (as a BLOB or TEXT), to completion. */
static void fuzzRun(const char *zSql, const uint8_t *a, size_t n, int bText){
  sqlite3_stmt *pStmt = 0;
  if( sqlite3_prepare_v2(db, zSql, -1, &pStmt, 0)!=SQLITE_OK ){
    fprintf(stderr, "fuzz: cannot prepare %s: %s\n", zSql, sqlite3_errmsg(db));
    abort();
  }
  if( sqlite3_bind_parameter_count(pStmt)>=1 ){
    if( bText ){
      sqlite3_bind_text(pStmt, 1, (const char*)a, (int)n, SQLITE_TRANSIENT);
    }else{
      sqlite3_bind_blob(pStmt, 1, a, (int)n, SQLITE_TRANSIENT);
    }
  }
  while( sqlite3_step(pStmt)==SQLITE_ROW ){}
  sqlite3_finalize(pStmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *a, size_t n){
  if( db==0 ){
    sqlite3_auto_extension((void(*)(void))sqlite3_svd_init);
    if( sqlite3_open(":memory:", &db)!=SQLITE_OK ) abort();
    if( sqlite3_create_function(db, "fuzz_tag", 2, SQLITE_UTF8, 0,
                                fuzzTagFunc, 0, 0)!=SQLITE_OK ) abort();
  }
  if( n>1<<20 ) return 0;
#if FUZZ_TARGET==1
  {
    static const char *azSql[] = {
      "SELECT emb_json(?1), emb_dims(?1), hex(emb_f32(?1))",
      /* each element type of emb_f32(X, TYPE), and ?1 as TYPE */
      "SELECT hex(emb_f32(?1, 'f64'))",
      "SELECT hex(emb_f32(?1, 'f16'))",
      "SELECT hex(emb_f32(?1, 'bf16'))",
      "SELECT hex(emb_f32(?1, 'i8'))",
      "SELECT hex(emb_f32(x'0000803f', ?1))",
      /* sqlite-vec's int8 and bit */
      ("SELECT emb_json(fuzz_tag(?1, 225)), emb_dims(fuzz_tag(?1, 224)),"
       " hex(emb_f32(fuzz_tag(?1, 225))), hex(emb_f32(fuzz_tag(?1, 225), 'i8'))"),
      ("SELECT svd_spectrum(fuzz_tag(v, 225)), hex(svd_basis(fuzz_tag(v, 225), 1))"
       " FROM (SELECT ?1 AS v UNION ALL SELECT ?1 UNION ALL SELECT NULL)"),
      ("SELECT svd_spectrum(v), svd_spectrum(v, 'center=false'),"
       " svd_spectrum(v, 'method=gram') FROM (SELECT ?1 AS v UNION ALL"
       " SELECT ?1 UNION ALL SELECT NULL)"),
      "SELECT svd_basis_json(svd_basis(v, 1)) FROM (SELECT ?1 AS v UNION ALL SELECT ?1)",
      /* three different rows of a BLOB (the second rotated by one float):
      ** the small-group roads of exact, gram and the basis */
      ("SELECT svd_spectrum(v), svd_spectrum(v, 'method=gram'),"
       " hex(svd_basis(v, 2)) FROM (SELECT ?1 AS v UNION ALL"
       " SELECT CAST(substr(?1, 5) || substr(?1, 1, 4) AS BLOB) UNION ALL"
       " SELECT CAST(substr(?1, 9) || substr(?1, 1, 8) AS BLOB))"),
      "SELECT * FROM svd_spectrum_each(?1)",
      ("SELECT svd_effective_rank(?1), svd_participation_ratio(?1),"
       " svd_components_for(?1, 0.9)"),
      "SELECT svd_scree_svg('a', ?1), svd_scree_svg(?1, '[1, 0.5]', 'log=true')",
    };
    size_t i;
    for(i=0; i<sizeof(azSql)/sizeof(azSql[0]); i++){
      fuzzRun(azSql[i], a, n, 0);
      fuzzRun(azSql[i], a, n, 1);
    }
  }
#elif FUZZ_TARGET==2
  fuzzRun("SELECT svd_spectrum('[1, 2]', ?1), svd_basis('[1, 2]', 1, ?1),"
          " svd_scree_svg('a', '[1]', ?1)", a, n, 1);
#elif FUZZ_TARGET==3
  fuzzRun("SELECT svd_basis_json(?1), svd_coord(?1, '[1, 2, 3]', 1),"
          " hex(svd_project(?1, emb_f32('[1, 2, 3]'))),"
          " hex(svd_direction(?1, 2))", a, n, 0);
  /* angles.c: the BLOB as either basis beside a real one of d = 3, as
  ** both, and as the residual's */
  fuzzRun("SELECT svd_angles(?1, b), svd_angles(b, ?1) FROM (SELECT"
          " svd_basis(v, 2) AS b FROM (SELECT '[1, 2, 3]' AS v UNION ALL"
          " SELECT '[0, 1, 5]' UNION ALL SELECT '[2, 2, 2]'))", a, n, 0);
  fuzzRun("SELECT svd_angles(?1, ?1)", a, n, 0);
  fuzzRun("SELECT hex(svd_residual(?1, emb_f32('[1, 2, 3]')))", a, n, 0);
  /* states (state.c): the same BLOB as a state, read and merged */
  fuzzRun("SELECT svd_state_json(?1), svd_state_spectrum(?1),"
          " hex(svd_state_basis(?1, 2))", a, n, 0);
  fuzzRun("SELECT svd_state_spectrum(svd_merge(s)) FROM (SELECT ?1 AS s"
          " UNION ALL SELECT svd_state(v) FROM (SELECT '[1, 2, 3]' AS v"
          " UNION ALL SELECT '[0, 1, 5]'))", a, n, 0);
#else
  {
    static const char *azSql[] = {
      "SELECT count(*), sum(length(vec)) FROM emb_read_npy(?1)",
      "SELECT count(*), sum(bytes), group_concat(shape) FROM emb_tensors(?1)",
      "SELECT count(*), sum(length(vec)) FROM emb_read_safetensors(?1, 'w')",
      "SELECT count(*), sum(length(word)), sum(length(vec)) FROM emb_read_text(?1)",
      "SELECT count(*), sum(length(word)), sum(length(vec)) FROM emb_read_word2vec(?1)",
      "SELECT count(*), sum(id), sum(length(token)) FROM emb_read_vocab(?1)",
    };
    char zPath[64];
    FILE *f;
    if( n<1 ) return 0;
    snprintf(zPath, sizeof(zPath), "/tmp/svd-fuzz-%d", (int)getpid());
    f = fopen(zPath, "wb");
    if( f==0 ) abort();
    fwrite(a+1, 1, n-1, f);
    fclose(f);
    fuzzRun(azSql[a[0]%6], (const uint8_t*)zPath, strlen(zPath), 1);
    unlink(zPath);
  }
#endif
  return 0;
}
