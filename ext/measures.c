/*
** measures.c: scalar measures that read a spectrum.
**
**   svd_effective_rank(SPECTRUM)       exp(-sum p_i ln p_i), p_i = s_i / sum s
**                                      (Roy & Vetterli 2007)
**   svd_participation_ratio(SPECTRUM)  (sum s^2)^2 / sum s^4
**   svd_components_for(SPECTRUM, F)    smallest k whose cumulative ratio
**                                      sum_{i<=k} s_i^2 / sum s^2 >= F,
**                                      0 < F <= 1
**
**   SELECT svd_effective_rank('[1,1,1,0]');   -- 3.0
**
** SPECTRUM is a JSON array of non-negative numbers, as svd_spectrum()
** returns. NULL gives NULL; so does a spectrum of zeros, for which none of
** the three is defined. The values are scaled by the largest one first,
** which changes none of the measures and keeps s^4 from overflowing.
*/
#include "glue.h"
#include "vector.h"

#include <math.h>
SQLITE_EXTENSION_INIT3

/*
** Read SPECTRUM into *pBuf, divided by its largest value. Returns 0 after
** reporting an error, or when the result is NULL (argument NULL or all
** zeros), else 1.
*/
static int measRead(sqlite3_context *ctx, sqlite3_value *pVal,
                    const char *zFunc, VecBuf *pBuf){
  char *zErr = 0;
  double rMax = 0.0;
  sqlite3_int64 i;
  int rc;
  if( sqlite3_value_type(pVal)==SQLITE_NULL ) return 0;
  rc = vecReadSpectrum(pVal, zFunc, pBuf, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return 0;
  }
  for(i=0; i<pBuf->n; i++) if( pBuf->a[i]>rMax ) rMax = pBuf->a[i];
  if( rMax==0.0 ) return 0;
  for(i=0; i<pBuf->n; i++) pBuf->a[i] /= rMax;
  return 1;
}

/* svd_effective_rank(SPECTRUM) */
void measEffectiveRankFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  double rSum = 0.0, rH = 0.0;
  sqlite3_int64 i;
  (void)argc;
  if( measRead(ctx, argv[0], "svd_effective_rank", &buf) ){
    for(i=0; i<buf.n; i++) rSum += buf.a[i];
    for(i=0; i<buf.n; i++){
      double p = buf.a[i]/rSum;
      if( p>0.0 ) rH -= p*log(p);
    }
    sqlite3_result_double(ctx, exp(rH));
  }
  vecBufFree(&buf);
}

/* svd_participation_ratio(SPECTRUM) */
void measParticipationFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  double rSum2 = 0.0, rSum4 = 0.0;
  sqlite3_int64 i;
  (void)argc;
  if( measRead(ctx, argv[0], "svd_participation_ratio", &buf) ){
    for(i=0; i<buf.n; i++){
      double e = buf.a[i]*buf.a[i];
      rSum2 += e;
      rSum4 += e*e;
    }
    sqlite3_result_double(ctx, rSum2*rSum2/rSum4);
  }
  vecBufFree(&buf);
}

/*
** svd_components_for(SPECTRUM, FRACTION)
**
** Compares running sums of s^2 against FRACTION times their total, summed
** in the same order, so FRACTION = 1 gives the position of the last
** non-zero value exactly, with no rounding of a quotient in the way.
*/
void measComponentsForFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  double rFrac, rTotal = 0.0, rCum = 0.0;
  sqlite3_int64 i;
  int eType = sqlite3_value_type(argv[1]);
  (void)argc;
  if( eType==SQLITE_NULL ) return;
  rFrac = sqlite3_value_double(argv[1]);
  if( (eType!=SQLITE_INTEGER && eType!=SQLITE_FLOAT)
   || !(rFrac>0.0 && rFrac<=1.0) ){
    char zNum[VEC_FMT_MAX];
    if( eType==SQLITE_INTEGER || eType==SQLITE_FLOAT ){
      vecFmtDouble(rFrac, zNum);
    }else{
      sqlite3_snprintf(sizeof(zNum), zNum, "%s",
                       eType==SQLITE_TEXT ? "TEXT" : "a BLOB");
    }
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "svd_components_for(): FRACTION is %s; expected a number with "
        "0 < FRACTION <= 1", zNum));
    return;
  }
  if( measRead(ctx, argv[0], "svd_components_for", &buf) ){
    for(i=0; i<buf.n; i++) rTotal += buf.a[i]*buf.a[i];
    for(i=0; i<buf.n; i++){
      rCum += buf.a[i]*buf.a[i];
      if( rCum>=rFrac*rTotal ) break;
    }
    sqlite3_result_int64(ctx, i<buf.n ? i+1 : buf.n);
  }
  vecBufFree(&buf);
}
