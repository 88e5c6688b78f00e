/*
** measures.c: scalar measures that read a spectrum.
**
**   svd_effective_rank(SPECTRUM)       exp(-sum p_i ln p_i), p_i = s_i / sum s
**                                      (Roy & Vetterli 2007)
**   svd_participation_ratio(SPECTRUM)  (sum s^2)^2 / sum s^4
**   svd_components_for(SPECTRUM, F)    smallest k whose cumulative ratio
**                                      sum_{i<=k} s_i^2 / sum s^2 >= F,
**                                      0 < F <= 1, in exact arithmetic
**
**   SELECT svd_effective_rank('[1,1,1,0]');   -- 3.0
**
** SPECTRUM is a JSON array of non-negative numbers, as svd_spectrum()
** returns. NULL gives NULL; so does a spectrum of zeros, for which none of
** the three is defined. The values are first multiplied by the power of two
** that brings the largest into [0.5, 1): exact, it changes none of the
** measures and keeps s^4 from overflowing.
*/
#include "glue.h"
#include "vector.h"

#include <math.h>
SQLITE_EXTENSION_INIT3

/*
** Read SPECTRUM into *pBuf, scaled so that its largest value is in
** [0.5, 1). Returns 0 after reporting an error, or when the result is NULL
** (argument NULL or all zeros), else 1. *pnLast (if not 0): the position
** of the last non-zero value, counted before the scaling, which turns a
** value 2^1075 times smaller than the largest into 0.
*/
static int measRead(sqlite3_context *ctx, sqlite3_value *pVal,
                    const char *zFunc, VecBuf *pBuf, sqlite3_int64 *pnLast){
  char *zErr = 0;
  double rMax = 0.0;
  sqlite3_int64 i;
  int rc, iExp;
  if( sqlite3_value_type(pVal)==SQLITE_NULL ) return 0;
  rc = vecReadSpectrum(pVal, zFunc, pBuf, &zErr);
  if( rc ){
    svdResultError(ctx, rc, zErr);
    return 0;
  }
  for(i=0; i<pBuf->n; i++) if( pBuf->a[i]>rMax ) rMax = pBuf->a[i];
  if( rMax==0.0 ) return 0;
  if( pnLast ){
    for(i=pBuf->n; pBuf->a[i-1]==0.0; i--){}
    *pnLast = i;
  }
  frexp(rMax, &iExp);
  for(i=0; i<pBuf->n; i++) pBuf->a[i] = ldexp(pBuf->a[i], -iExp);
  return 1;
}

/* svd_effective_rank(SPECTRUM) */
void measEffectiveRankFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  double rSum = 0.0, rH = 0.0;
  sqlite3_int64 i;
  (void)argc;
  if( measRead(ctx, argv[0], "svd_effective_rank", &buf, 0) ){
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
  if( measRead(ctx, argv[0], "svd_participation_ratio", &buf, 0) ){
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
** A double-double, hi + lo with |lo| <= ulp(hi)/2: about 32 digits, enough
** to carry a square exactly and to sum squares without losing a small one.
** Only non-negative values are added, so no cancellation arises.
*/
typedef struct MeasDD MeasDD;
struct MeasDD {
  double hi, lo;
};

/* hi + lo, renormalized; |lo| <= |hi| or hi == 0 */
static MeasDD measQuick(double hi, double lo){
  MeasDD r;
  r.hi = hi + lo;
  r.lo = lo - (r.hi - hi);
  return r;
}

static MeasDD measAdd(MeasDD a, MeasDD b){
  double s = a.hi + b.hi;
  double v = s - a.hi;
  double e = (a.hi - (s - v)) + (b.hi - v);   /* a.hi + b.hi - s, exactly */
  return measQuick(s, e + a.lo + b.lo);
}

/*
** a*b - p exactly, for p = a*b rounded (Dekker's product: each factor split
** into two 26-bit halves by Veltkamp's constant 2^27 + 1). Not fma(): where
** the CPU has no fused multiply-add, or valgrind emulates it unfused, that
** returns 0 and the low part is lost. The values here are scaled to at
** most 2^437, so the split cannot overflow.
*/
static double measMulErr(double a, double b, double p){
  const double c = 134217729.0;
  double ta = c*a, a1 = ta - (ta - a), a2 = a - a1;
  double tb = c*b, b1 = tb - (tb - b), b2 = b - b1;
  return ((a1*b1 - p) + a1*b2 + a2*b1) + a2*b2;
}

static MeasDD measMul(MeasDD a, MeasDD b){
  double p = a.hi*b.hi;
  return measQuick(p, measMulErr(a.hi, b.hi, p) + (a.hi*b.lo + a.lo*b.hi));
}

static MeasDD measSquare(double x){
  MeasDD r;
  r.hi = x*x;
  r.lo = measMulErr(x, x, r.hi);
  return r;
}

/*
** svd_components_for(SPECTRUM, FRACTION)
**
** The rule is cumulative ratio >= FRACTION in exact arithmetic; a double
** running sum breaks it (for '[3,2,1e-9,0]' the cumulative ratio at k=2,
** 1 - 1e-18/13, rounds to 1, so FRACTION = 1 stopped at 2). Instead the
** tail sum_{i>k} s_i^2 is compared with (1 - FRACTION) * sum s^2, both in
** double-double: the tail is summed from the small end and never rounds
** into the head, and 1 - FRACTION is exact. FRACTION = 1 asks for a tail of
** zeros: the position of the last non-zero value, decided on the values
** themselves, since a square below 2^-1074 would underflow to zero.
** FRACTION <= 1/2 compares the head sum_{i<=k} s_i^2 with FRACTION * sum
** s^2 instead: (1 - FRACTION) * sum would round away a FRACTION below
** 2^-106 (FRACTION = 5e-324 then stopped at k = 1 on '[0,0,2,2]'). The
** head's squares and FRACTION are scaled by the same power of two, so that
** a tiny FRACTION times the sum cannot underflow.
*/
void measComponentsForFunc(sqlite3_context *ctx, int argc,
                           sqlite3_value **argv){
  VecBuf buf = {0, 0, 0, 0};
  double rFrac;
  sqlite3_int64 i, k, nLast = 0;
  int eType = sqlite3_value_type(argv[1]);
  (void)argc;
  if( eType==SQLITE_NULL ) return;
  rFrac = sqlite3_value_double(argv[1]);
  if( (eType!=SQLITE_INTEGER && eType!=SQLITE_FLOAT)
   || !(rFrac>0.0 && rFrac<=1.0) ){
    char zNum[FMT_MAX];
    if( eType==SQLITE_INTEGER || eType==SQLITE_FLOAT ){
      fmtDouble(rFrac, zNum);
    }else{
      sqlite3_snprintf(sizeof(zNum), zNum, "%s",
                       eType==SQLITE_TEXT ? "TEXT" : "a BLOB");
    }
    svdResultError(ctx, SQLITE_ERROR, sqlite3_mprintf(
        "svd_components_for(): FRACTION is %s; expected a number with "
        "0 < FRACTION <= 1", zNum));
    return;
  }
  if( measRead(ctx, argv[0], "svd_components_for", &buf, &nLast) ){
    k = buf.n;
    if( rFrac==1.0 ){
      k = nLast;
    }else if( rFrac<=0.5 ){
      /* head*2^2h >= (FRACTION*2^2h)*total: the left side's scaled values
      ** stay below 2^437, the right side's factor is a normal number */
      MeasDD total = {0.0, 0.0}, head = {0.0, 0.0}, target;
      int e = ilogb(rFrac), h = e< -200 ? (-e - 200)/2 : 0;
      for(i=buf.n-1; i>=0; i--) total = measAdd(total, measSquare(buf.a[i]));
      target = measMul(measQuick(ldexp(rFrac, 2*h), 0.0), total);
      for(i=0; i<buf.n; i++){
        head = measAdd(head, measSquare(ldexp(buf.a[i], h)));
        if( head.hi>target.hi || (head.hi==target.hi && head.lo>=target.lo) ){
          break;
        }
      }
      k = i<buf.n ? i+1 : buf.n;
    }else{
      MeasDD total = {0.0, 0.0}, tail = {0.0, 0.0}, rest;
      for(i=buf.n-1; i>=0; i--) total = measAdd(total, measSquare(buf.a[i]));
      rest = measMul(measQuick(1.0, -rFrac), total);
      /* tail grows as k falls; stop before it passes the allowed rest */
      for(i=buf.n-1; i>0; i--){
        tail = measAdd(tail, measSquare(buf.a[i]));
        if( tail.hi>rest.hi || (tail.hi==rest.hi && tail.lo>rest.lo) ) break;
        k = i;
      }
    }
    sqlite3_result_int64(ctx, k);
  }
  vecBufFree(&buf);
}
