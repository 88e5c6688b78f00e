/*
** test_fmt.c: ext/fmt.c against the printer it replaced, and a driver for
** tests/fmt.py.
**
**   test_fmt           self test; ends "fmt: N passed, M failed"
**   test_fmt double    raw doubles on stdin, fmtDouble's text a line out
**   test_fmt float     the same for float32 and fmtFloat
**   test_fmt bench     ns per number, old printer and fmt.c (by hand)
**
** The old printer (oldDouble/oldFloat below, as ext/vector.c had it) tried
** "%.15g", "%.16g", "%.17g" through snprintf until strtod read the text back
** (every width from 1 for subnormals). It is the oracle of the layout: the
** new text must be byte for byte the old one, except where the old text was
** not the shortest. That happens only at powers of two, whose gap below is
** half the gap above, so a correctly rounded 16 digits can fall outside
** while 15 or 16 other digits read back: there the new text must read back,
** be shorter, and sit in the same layout. tests/fmt.py checks the digits
** themselves against Python's repr and numpy.
*/
#define _POSIX_C_SOURCE 200809L
#include "fmt.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int nPass = 0, nFail = 0;
static uint64_t rngState = 0x9e3779b97f4a7c15ull;

static uint64_t rnd64(void){
  rngState ^= rngState<<13;
  rngState ^= rngState>>7;
  rngState ^= rngState<<17;
  return rngState;
}

/* Uniform in [0, 1). */
static double rnd01(void){
  return (double)(rnd64()>>11)/(double)(1ull<<53);
}

static void oldFloatify(char *z, int *pn){
  if( strpbrk(z, ".eEni")==0 ){
    memcpy(z+*pn, ".0", 3);
    *pn += 2;
  }
}

static int oldDouble(double v, char *z){
  int p, n = 0;
  if( fabs(v)<DBL_MIN ){
    for(p=1; p<=17; p++){
      n = snprintf(z, FMT_MAX, "%.*g", p, v);
      if( strtod(z, 0)==v ) break;
    }
  }else{
    n = snprintf(z, FMT_MAX, "%.16g", v);
    if( strtod(z, 0)!=v ){
      n = snprintf(z, FMT_MAX, "%.17g", v);
    }else{
      char z15[FMT_MAX];
      int n15 = snprintf(z15, FMT_MAX, "%.15g", v);
      if( strtod(z15, 0)==v ){
        memcpy(z, z15, (size_t)n15+1);
        n = n15;
      }
    }
  }
  oldFloatify(z, &n);
  return n;
}

static int oldFloat(float v, char *z){
  int p, n = 0;
  for(p=fabsf(v)<FLT_MIN ? 1 : 6; p<=9; p++){
    n = snprintf(z, FMT_MAX, "%.*g", p, (double)v);
    if( strtof(z, 0)==v ) break;
  }
  oldFloatify(z, &n);
  return n;
}

/* Significant digits of a printed number, and where its layout switches:
** 'e' for exponent form, 'f' for fixed. */
static int nDigits(const char *z){
  int n = 0, bLead = 1, nZeros = 0;
  for(; *z && *z!='e'; z++){
    if( *z<'0' || *z>'9' ) continue;
    if( *z=='0' && bLead ) continue;
    bLead = 0;
    if( *z=='0' ){ nZeros++; }else{ n += nZeros + 1; nZeros = 0; }
  }
  return n;
}

/* One value: the new text against the old one (see the header). */
typedef struct Tally Tally;
struct Tally {
  long nSame;          /* byte for byte the old text */
  long nShorter;       /* old text not the shortest; new one shorter */
  long nBad;           /* anything else */
  char zFirst[160];    /* the first bad case */
};

static void tally(Tally *p, int bFloat, double v, int bPow2){
  char zNew[FMT_MAX], zOld[FMT_MAX];
  int nNew, bBack;
  if( bFloat ){
    nNew = fmtFloat((float)v, zNew);
    oldFloat((float)v, zOld);
    bBack = isnan(v) || (strtof(zNew, 0)==(float)v
                         && !signbit(strtof(zNew, 0))==!signbit(v));
  }else{
    nNew = fmtDouble(v, zNew);
    oldDouble(v, zOld);
    bBack = isnan(v) || (strtod(zNew, 0)==v
                         && !signbit(strtod(zNew, 0))==!signbit(v));
  }
  if( nNew!=(int)strlen(zNew) ) bBack = 0;
  if( bBack && strcmp(zNew, zOld)==0 ){
    p->nSame++;
  }else if( bBack && bPow2 && nDigits(zNew)<nDigits(zOld)
         && (strchr(zNew, 'e')==0)==(strchr(zOld, 'e')==0) ){
    p->nShorter++;
  }else{
    if( p->nBad++==0 ){
      snprintf(p->zFirst, sizeof(p->zFirst), "%.17g (%a): new %s, old %s",
               v, v, zNew, zOld);
    }
  }
}

static void report(const char *zName, Tally *p, long nShorter){
  char zDetail[300];
  snprintf(zDetail, sizeof(zDetail), "%ld same, %ld shorter (expected %ld),"
           " %ld wrong; first: %s", p->nSame, p->nShorter, nShorter, p->nBad,
           p->zFirst);
  if( p->nBad==0 && p->nShorter==nShorter ){
    nPass++;
  }else{
    nFail++;
    printf("FAIL fmt %s: %s\n", zName, zDetail);
  }
}

static double bitsToDouble(uint64_t b){
  double v;
  memcpy(&v, &b, sizeof(v));
  return v;
}

static float bitsToFloat(uint32_t b){
  float v;
  memcpy(&v, &b, sizeof(v));
  return v;
}

/* A random value with decimal exponent x and nDig random digits. */
static double rndDigits(int nDig, int x){
  char z[64];
  int i, n = 0;
  z[n++] = (char)('1' + rnd64()%9);
  z[n++] = '.';
  for(i=1; i<nDig; i++) z[n++] = (char)('0' + rnd64()%10);
  snprintf(z+n, sizeof(z)-(size_t)n, "e%d", x);
  return strtod(z, 0);
}

static void selfTest(void){
  static const double aHard[] = {
    5e-324, 1e-323, 2.2250738585072014e-308, 2.225073858507201e-308,
    1.7976931348623157e308, 0.1, 1e23, 9007199254740993.0, 1e15, 1e16,
    1e17, 123456789012345.0, 1234567890123456.0, 12345678901234567.0,
    0.0001, 0.00001, 5e-5, 1.0, 100.0, 0.0, -0.0, -1.5, 1.0/3.0
  };
  Tally t;
  long i;
  int k, nDig, x;

  memset(&t, 0, sizeof(t));
  for(i=0; i<(long)(sizeof(aHard)/sizeof(aHard[0])); i++){
    tally(&t, 0, aHard[i], 0);
  }
  tally(&t, 0, INFINITY, 0);
  tally(&t, 0, -INFINITY, 0);
  tally(&t, 0, NAN, 0);
  tally(&t, 0, -NAN, 0);
  report("double hard cases", &t, 0);

  memset(&t, 0, sizeof(t));
  for(i=0; i<300000; i++){
    double v = bitsToDouble(rnd64());
    if( isfinite(v) ) tally(&t, 0, v, 0);
  }
  report("double random bit patterns", &t, 0);

  memset(&t, 0, sizeof(t));
  for(i=0; i<300000; i++) tally(&t, 0, pow(10.0, -3.0 + 7.0*rnd01()), 0);
  report("double spectrum range 1e-3..1e4", &t, 0);

  /* where fixed form turns into exponent form: 14 to 18 digits before the
  ** point, 3 to 6 zeros after it, with 1 to 17 significant digits */
  memset(&t, 0, sizeof(t));
  for(i=0; i<150000; i++){
    nDig = 1 + (int)(rnd64()%17);
    x = (int)(rnd64()%2) ? 13 + (int)(rnd64()%6) : -6 + (int)(rnd64()%4);
    tally(&t, 0, (rnd64()&1 ? -1 : 1)*rndDigits(nDig, x), 0);
  }
  for(i=0; i<50000; i++) tally(&t, 0, (double)(rnd64()>>(rnd64()%64)), 0);
  report("double layout switch", &t, 0);

  memset(&t, 0, sizeof(t));
  for(k=-1074; k<=1023; k++) tally(&t, 0, ldexp(1.0, k), 1);
  report("double powers of two", &t, 54);

  memset(&t, 0, sizeof(t));
  for(i=1; i<=20000; i++) tally(&t, 0, bitsToDouble((uint64_t)i), 0);
  for(i=0; i<50000; i++) tally(&t, 0, bitsToDouble(rnd64()%(1ull<<52)), 0);
  report("double subnormals", &t, 0);

  memset(&t, 0, sizeof(t));
  tally(&t, 1, INFINITY, 0);
  tally(&t, 1, -INFINITY, 0);
  tally(&t, 1, NAN, 0);
  tally(&t, 1, FLT_MAX, 0);
  tally(&t, 1, FLT_MIN, 0);
  tally(&t, 1, 0.0, 0);
  tally(&t, 1, -0.0, 0);
  for(i=0; i<300000; i++){
    float f = bitsToFloat((uint32_t)rnd64());
    if( isfinite(f) ) tally(&t, 1, f, 0);
  }
  for(i=0; i<150000; i++) tally(&t, 1, (float)pow(10.0, -3.0 + 7.0*rnd01()), 0);
  for(i=0; i<100000; i++){
    nDig = 1 + (int)(rnd64()%9);
    x = (int)(rnd64()%2) ? 4 + (int)(rnd64()%6) : -6 + (int)(rnd64()%4);
    tally(&t, 1, (float)rndDigits(nDig, x), 0);
  }
  for(i=1; i<=20000; i++) tally(&t, 1, bitsToFloat((uint32_t)i), 0);
  report("float", &t, 0);

  memset(&t, 0, sizeof(t));
  for(k=-149; k<=127; k++) tally(&t, 1, ldexpf(1.0f, k), 1);
  report("float powers of two", &t, 3);
}

/* Raw values on stdin, one text per line on stdout. */
static int convert(int bFloat){
  char z[FMT_MAX];
  if( bFloat ){
    float v;
    while( fread(&v, sizeof(v), 1, stdin)==1 ){
      fmtFloat(v, z);
      puts(z);
    }
  }else{
    double v;
    while( fread(&v, sizeof(v), 1, stdin)==1 ){
      fmtDouble(v, z);
      puts(z);
    }
  }
  return ferror(stdin) ? 1 : 0;
}

static double seconds(void){
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9*(double)ts.tv_nsec;
}

/* ns per number on spectrum-like values, double and float32. */
static int bench(void){
  enum { N = 400000 };
  static double a[N];
  char z[FMT_MAX];
  long i, nSum = 0;
  int r;
  for(i=0; i<N; i++) a[i] = pow(10.0, -3.0 + 7.0*rnd01());
  for(r=0; r<2; r++){
    double t0 = seconds(), t1, t2, t3, t4;
    for(i=0; i<N; i++) nSum += oldDouble(a[i], z);
    t1 = seconds();
    for(i=0; i<N; i++) nSum += fmtDouble(a[i], z);
    t2 = seconds();
    for(i=0; i<N; i++) nSum += oldFloat((float)a[i], z);
    t3 = seconds();
    for(i=0; i<N; i++) nSum += fmtFloat((float)a[i], z);
    t4 = seconds();
    printf("double: old %.0f ns, new %.1f ns; float32: old %.0f ns, new %.1f ns"
           " (per number)\n", 1e9*(t1-t0)/N, 1e9*(t2-t1)/N, 1e9*(t3-t2)/N,
           1e9*(t4-t3)/N);
  }
  return nSum==0;
}

int main(int argc, char **argv){
  if( argc==2 && strcmp(argv[1], "double")==0 ) return convert(0);
  if( argc==2 && strcmp(argv[1], "float")==0 ) return convert(1);
  if( argc==2 && strcmp(argv[1], "bench")==0 ) return bench();
  selfTest();
  printf("fmt: %d passed, %d failed\n", nPass, nFail);
  return nFail ? 1 : 0;
}
