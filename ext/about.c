/*
** about.c: what the loaded extension is, and what OpenBLAS is doing.
**
**   svd_version()  -> TEXT '0.5.0' (ext/version.h)
**   svd_info()     -> JSON TEXT:
**     {"version":"0.5.0","sqlite_version":"3.40.1",
**      "openblas_config":"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64",
**      "openblas_core":"Zen","openblas_threads":1,
**      "helper_allowed":true,"helper_threads":0,"streamed_groups":0,
**      "cpu":{"avx2":true,"avx512f":false}}
**
** helper_allowed: SQLITE_SVD_HELPER does not turn the small groups' helper
** threads off; helper_threads: how many run in the process;
** streamed_groups: how many groups' QR a helper has done while SQLite read
** their rows, in the process (README, "Threads").
**
** A "hint" member is added when the CPU has AVX2 (or AVX-512) and OpenBLAS
** chose a core family without it: OpenBLAS 0.3.21 falls back to its SSE3
** "Prescott" kernels on CPUs it does not know (TRAP 10), which makes large
** products several times slower; OPENBLAS_CORETYPE, set before the process
** starts, chooses the family (README, "OpenBLAS kernels").
*/
#include "glue.h"
#include "spectrum.h"
#include "version.h"

#include <cblas.h>
#include <jansson.h>
#include <string.h>
#include <strings.h>
SQLITE_EXTENSION_INIT3

/* svd_version() */
void aboutVersionFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  (void)argc; (void)argv;
  sqlite3_result_text(ctx, SVD_VERSION, -1, SQLITE_STATIC);
}

/* Whether the CPU runs AVX2 / AVX-512F instructions (the kernel's view,
** through GCC's cpuid reading). */
static int aboutCpuHas(const char *zFeature){
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if( strcmp(zFeature, "avx2")==0 ) return __builtin_cpu_supports("avx2");
  if( strcmp(zFeature, "avx512f")==0 ) return __builtin_cpu_supports("avx512f");
#else
  (void)zFeature;
#endif
  return 0;
}

/* Whether OpenBLAS's core family zCore uses AVX2 (every family from
** Haswell on, in OpenBLAS 0.3.21's names) or AVX-512 (SkylakeX and later). */
static int aboutCoreUses(const char *zCore, int bAvx512){
  static const char *const azAvx2[] = {
    "Haswell", "Zen", "SkylakeX", "CooperLake", "SapphireRapids"
  };
  size_t i;
  for(i=bAvx512 ? 2 : 0; i<sizeof(azAvx2)/sizeof(azAvx2[0]); i++){
    if( strcasecmp(zCore, azAvx2[i])==0 ) return 1;
  }
  return 0;
}

/* svd_info() */
void aboutInfoFunc(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  const char *zCore = openblas_get_corename();
  const char *zConfig = openblas_get_config();
  int bAvx2 = aboutCpuHas("avx2");
  int bAvx512 = aboutCpuHas("avx512f");
  json_t *pInfo, *pCpu;
  char *zJson = 0;
  (void)argc; (void)argv;
  if( zCore==0 ) zCore = "";
  if( zConfig==0 ) zConfig = "";
  pInfo = json_object();
  pCpu = json_object();
  if( pInfo && pCpu
   && json_object_set_new(pInfo, "version", json_string(SVD_VERSION))==0
   && json_object_set_new(pInfo, "sqlite_version",
                          json_string(sqlite3_libversion()))==0
   && json_object_set_new(pInfo, "openblas_config", json_string(zConfig))==0
   && json_object_set_new(pInfo, "openblas_core", json_string(zCore))==0
   && json_object_set_new(pInfo, "openblas_threads",
                          json_integer(openblas_get_num_threads()))==0
   && json_object_set_new(pInfo, "helper_allowed",
                          json_boolean(specHelperAllowed()))==0
   && json_object_set_new(pInfo, "helper_threads",
                          json_integer(specHelperCount()))==0
   && json_object_set_new(pInfo, "streamed_groups",
                          json_integer(specStreamCount()))==0
   && json_object_set_new(pCpu, "avx2", json_boolean(bAvx2))==0
   && json_object_set_new(pCpu, "avx512f", json_boolean(bAvx512))==0
   && json_object_set(pInfo, "cpu", pCpu)==0 ){
    int bHint = 0;
    if( bAvx512 && !aboutCoreUses(zCore, 1) && !aboutCoreUses(zCore, 0) ){
      bHint = json_object_set_new(pInfo, "hint", json_string(
        "OpenBLAS runs its generic kernels on a CPU with AVX-512: set "
        "OPENBLAS_CORETYPE=SkylakeX in the environment before starting the "
        "process (README, \"OpenBLAS kernels\")"))==0 ? 1 : -1;
    }else if( bAvx2 && !aboutCoreUses(zCore, 0) ){
      bHint = json_object_set_new(pInfo, "hint", json_string(
        "OpenBLAS runs its generic kernels on a CPU with AVX2: set "
        "OPENBLAS_CORETYPE=Haswell in the environment before starting the "
        "process (README, \"OpenBLAS kernels\")"))==0 ? 1 : -1;
    }
    if( bHint>=0 ) zJson = json_dumps(pInfo, JSON_COMPACT|JSON_PRESERVE_ORDER);
  }
  json_decref(pCpu);
  json_decref(pInfo);
  if( zJson==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, zJson, -1, SQLITE_TRANSIENT);
  sqlite3_result_subtype(ctx, 'J');
  free(zJson);
}
