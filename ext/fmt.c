/*
** fmt.c: the shortest decimal that reads back to a double or float32, and
** its text. Every number the extension prints comes from here: the JSON
** arrays of svd_spectrum and svd_basis, emb_json, the columns of
** svd_spectrum_each and the values quoted in error messages.
**
** The digits come from Schubfach (Raffaello Giulietti, "The Schubfach way
** to render doubles", 2020, with its proof of correctness): with
** v = c·2^q, c the integer significand, the rounding interval R of v (the
** reals that read back to v) is scaled by 10^-k, chosen so that R holds
** at most one multiple of 10 and at least one integer. Then the shortest
** decimal in R is that multiple of 10 if it is there; otherwise s or s+1,
** s = floor(v·10^-k), whichever lies in R, the nearer to v if both do
** (the even one on a tie). Three 64 × 126-bit products, each rounded to
** odd, decide all of it exactly; no loop, no division but by 10.
**
** The paper's variant in Java's Double.toString asks for at least two
** digits, which changes the tiniest subnormals; this one is the plain
** shortest, as Python's repr() and numpy's float32 repr print it. A
** float32 goes through the same steps with its own c, q and interval.
**
** The text then follows C's "%.Pg" for P = max(15, digits), as the
** snprintf/strtod loop that came before this file printed it (see fmt.h).
** Where that loop's text was longer than the shortest (54 powers of two,
** such as 2^-24 = 5.9604644775390625e-08, now 5.960464477539063e-08) the
** shortest is printed.
*/
#include "fmt.h"

#include <stdint.h>
#include <string.h>

#ifndef __SIZEOF_INT128__
# error "fmt.c needs a compiler with unsigned __int128 (GCC or Clang, 64-bit)"
#endif
__extension__ typedef unsigned __int128 fmtU128;

/* The powers of ten g_k for k in [FMT_K_MIN, FMT_K_MAX]: fmtG[k-FMT_K_MIN] */
#include "fmt_table.h"

#define FMT_MASK63 0x7fffffffffffffffull

/*
** floor(log10(2^e)), floor(log10(3/4·2^e)) and floor(log2(10^e)) as
** fixed-point products (tests/fmt.py checks each for every e used). The
** shifts are of negative numbers too: arithmetic on GCC and Clang, which
** this file requires anyway.
*/
static int fmtFloorLog10Pow2(int e){
  return (int)(((int64_t)e*661971961083ll) >> 41);
}
static int fmtFloorLog10ThreeQuartersPow2(int e){
  return (int)(((int64_t)e*661971961083ll - 274743187321ll) >> 41);
}
static int fmtFloorLog2Pow10(int e){
  return (int)(((int64_t)e*913124641741ll) >> 38);
}

/*
** x·g / 2^127 for g = g1·2^63 + g0, rounded to odd: the integer part with
** its lowest bit set when anything was cut off. This is the paper's r_o',
** which leaves out the product's lowest 64 bits and the last bit of g1·x;
** the proof covers exactly that.
*/
static uint64_t fmtRoundOdd(uint64_t g1, uint64_t g0, uint64_t x){
  fmtU128 lo = (fmtU128)g0*x;
  fmtU128 hi = (fmtU128)g1*x;
  uint64_t z = ((uint64_t)hi >> 1) + (uint64_t)(lo >> 64);
  uint64_t vb = (uint64_t)(hi >> 64) + (z >> 63);
  return vb | (((z & FMT_MASK63) + FMT_MASK63) >> 63);
}

/*
** The shortest decimal *pF·10^*pE in the rounding interval of c·2^q,
** c >= 1. bIrregular: c is the smallest significand of a binade above the
** first, so the gap below v is half the gap above. *pF may end in zeros.
*/
static void fmtDecimal(uint64_t c, int q, int bIrregular,
                       uint64_t *pF, int *pE){
  int bOut = (int)(c & 1);    /* odd c: the interval's ends round away */
  uint64_t cb = c<<2;         /* 4c, and the interval's ends 4c-2 (or  */
  uint64_t cbr = cb + 2;      /* 4c-1) and 4c+2, all times 2^(q-2)     */
  uint64_t cbl, g1, g0, vb, vbl, vbr, s, t, sp10, tp10;
  int k, h, bUin, bWin;
  if( bIrregular ){
    cbl = cb - 1;
    k = fmtFloorLog10ThreeQuartersPow2(q);
  }else{
    cbl = cb - 2;
    k = fmtFloorLog10Pow2(q);
  }
  h = q + fmtFloorLog2Pow10(-k) + 2;
  g1 = fmtG[k-FMT_K_MIN][0];
  g0 = fmtG[k-FMT_K_MIN][1];
  vb = fmtRoundOdd(g1, g0, cb<<h);    /* 4·v·10^-k, to odd */
  vbl = fmtRoundOdd(g1, g0, cbl<<h);  /* the same for the interval's ends */
  vbr = fmtRoundOdd(g1, g0, cbr<<h);
  s = vb>>2;
  *pE = k;

  /* one digit fewer: the multiple of 10 below or above v */
  sp10 = s/10*10;
  tp10 = sp10 + 10;
  bUin = vbl + (uint64_t)bOut <= sp10<<2;
  bWin = (tp10<<2) + (uint64_t)bOut <= vbr;
  if( bUin!=bWin ){
    *pF = bUin ? sp10 : tp10;
    return;
  }

  /* otherwise s or s+1; both in R: the nearer, the even one on a tie */
  t = s + 1;
  bUin = vbl + (uint64_t)bOut <= s<<2;
  bWin = (t<<2) + (uint64_t)bOut <= vbr;
  if( bUin!=bWin ){
    *pF = bUin ? s : t;
  }else{
    int64_t cmp = (int64_t)(vb - ((s + t)<<1));
    *pF = (cmp<0 || (cmp==0 && (s & 1)==0)) ? s : t;
  }
}

/* nDig (the count of f's digits) digits of f at z. */
static void fmtDigits(uint64_t f, int nDig, char *z){
  static const char aPair[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "74757677787980818283848586878889909192939495969798990";
  char *p = z + nDig;
  while( f>=100 ){
    uint64_t q = f/100;
    p -= 2;
    memcpy(p, aPair + 2*(f - q*100), 2);
    f = q;
  }
  if( f>=10 ){
    memcpy(p-2, aPair + 2*f, 2);
  }else{
    p[-1] = (char)('0' + f);
  }
}

/* How many digits f > 0 has. */
static int fmtCountDigits(uint64_t f){
  static const uint64_t aPow10[] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
    100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull
  };
  /* log10(2) ~ 1233/4096 guesses from the bit length; one compare fixes */
  int n = ((64 - __builtin_clzll(f))*1233) >> 12;
  return n + (f>=aPow10[n]);
}

/*
** The text of (-1)^bNeg · f·10^e (f from fmtDecimal, 0 for a zero) as
** "%.Pg" with P = max(nPrec, digits) writes it, plus ".0" when fixed and
** integral.
*/
static int fmtLayout(int bNeg, uint64_t f, int e, int nPrec, char *z){
  int nDig, n = 0, x, i;
  if( f==0 ){
    e = 0;
    nDig = 1;
  }else{
    while( f%10==0 ){ f /= 10; e++; }
    nDig = fmtCountDigits(f);
  }
  x = e + nDig - 1;         /* the decimal exponent of the first digit */
  if( nPrec<nDig ) nPrec = nDig;
  if( bNeg ) z[n++] = '-';
  if( x<-4 || x>=nPrec ){
    /* d.ddde+XX: the digits one place right, the first moved back */
    int xa = x<0 ? -x : x;
    fmtDigits(f, nDig, z+n+1);
    z[n] = z[n+1];
    if( nDig>1 ){
      z[n+1] = '.';
      n += nDig + 1;
    }else{
      n++;
    }
    z[n++] = 'e';
    z[n++] = x<0 ? '-' : '+';
    if( xa>=100 ) z[n++] = (char)('0' + xa/100);
    z[n++] = (char)('0' + xa/10%10);
    z[n++] = (char)('0' + xa%10);
  }else if( x<0 ){
    z[n++] = '0';
    z[n++] = '.';
    for(i=-1; i>x; i--) z[n++] = '0';
    fmtDigits(f, nDig, z+n);
    n += nDig;
  }else if( nDig<=x+1 ){
    fmtDigits(f, nDig, z+n);
    n += nDig;
    for(i=nDig; i<=x; i++) z[n++] = '0';
    z[n++] = '.';
    z[n++] = '0';
  }else{
    /* the digits, then the fraction moved one place right for the point */
    fmtDigits(f, nDig, z+n);
    memmove(z+n+x+2, z+n+x+1, (size_t)(nDig-x-1));
    z[n+x+1] = '.';
    n += nDig + 1;
  }
  z[n] = 0;
  return n;
}

/* "inf", "-inf", "nan" or "-nan", as glibc's printf writes them. */
static int fmtNonFinite(int bNeg, int bNan, char *z){
  const char *zTxt = bNan ? "nan" : "inf";
  int n = 0;
  if( bNeg ) z[n++] = '-';
  memcpy(z+n, zTxt, 4);
  return n+3;
}

int fmtDouble(double v, char *z){
  uint64_t bits, t, f = 0;
  int bq, bNeg, e = 0;
  memcpy(&bits, &v, sizeof(bits));
  bNeg = (int)(bits>>63);
  bq = (int)((bits>>52) & 0x7ff);
  t = bits & ((1ull<<52) - 1);
  if( bq==0x7ff ) return fmtNonFinite(bNeg, t!=0, z);
  if( bq>0 ){
    /* normal: c in [2^52, 2^53), q = bq - 1075 */
    fmtDecimal((1ull<<52) | t, bq - 1075, t==0 && bq>1, &f, &e);
  }else if( t ){
    /* subnormal: c = t, q as for the smallest normals */
    fmtDecimal(t, -1074, 0, &f, &e);
  }
  return fmtLayout(bNeg, f, e, 15, z);
}

int fmtFloat(float v, char *z){
  uint32_t bits, t;
  uint64_t f = 0;
  int bq, bNeg, e = 0;
  memcpy(&bits, &v, sizeof(bits));
  bNeg = (int)(bits>>31);
  bq = (int)((bits>>23) & 0xff);
  t = bits & ((1u<<23) - 1);
  if( bq==0xff ) return fmtNonFinite(bNeg, t!=0, z);
  if( bq>0 ){
    fmtDecimal((1ull<<23) | t, bq - 150, t==0 && bq>1, &f, &e);
  }else if( t ){
    fmtDecimal(t, -149, 0, &f, &e);
  }
  return fmtLayout(bNeg, f, e, 6, z);
}
