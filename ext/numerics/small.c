/*
** small.c: hand-written kernels for the small matrices of many small groups
** (a GROUP BY of 20 rows x 768 dims, say), where LAPACK and OpenBLAS spend
** their time on per-call overhead and level-2 memory traffic rather than on
** flops (TRAP 9: dgeqrf of a 768 x 19 block took 54-77 us for 0.55 MFlop).
**
**   smallQr(a, d, m, lda, aTau, aWork)
**     The QR factorization of the d x m column-major matrix a (d >= m),
**     written exactly as LAPACK's dgeqrf writes it: R in the upper
**     triangle, the Householder vectors below the diagonal (unit first
**     entry implied), their factors in aTau. LAPACK's dormqr/dorgqr can
**     therefore apply Q, and the reflectors are dlarfg's (beta =
**     -sign(alpha)*norm), so R equals dgeqrf's up to rounding.
**
** The one place where the project hand-writes what LAPACK also offers
** (issue 14 allows it for small matrices): tests/test_small.c checks every
** kernel against LAPACK's result on the same input, including rank-deficient
** blocks, scales of 1e+-300 and a shared mean 1e6 times the spread.
**
** How: blocks of SMALL_NB reflectors in compact WY form (I - V*T*V'), so
** that each trailing column is read twice per block instead of twice per
** reflector; inside a block each column is brought up to date left-looking
** through T, with the next norm and T's new column taken in the same
** passes. Columns are contiguous, the reflectors are read where they are
** stored, and the sums run in four-wide vectors (GCC's vector extension),
** in an order fixed by the code. Each kernel is compiled for AVX2+FMA and
** portably, and the CPU's answer picks one; no -march=native.
**
** A reflector whose squared norm is outside [2^-900, 2^900] is handed to
** LAPACK's dlarfg, which rescales; the rest of the work multiplies by
** unit-size reflectors and cannot overflow. Values are finite (the callers
** validate them, and scale them when far from 1).
*/
#include "spectrum.h"

#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define SMALL_NB 4            /* reflectors per block */
#define SMALL_TINY 0x1p-900   /* squared norms outside [TINY, HUGE]: */
#define SMALL_HUGE 0x1p+900   /* LAPACK's dlarfg, which rescales */
_Static_assert(SMALL_QR_WORK>=2*SMALL_NB*SMALL_NB, "SMALL_QR_WORK holds two T");

/* An AVX2+FMA build of each kernel beside the portable one, chosen by
** what the CPU reports (GCC's target_clones with arch=haswell would test
** for Intel's Haswell family by model, and miss AMD's Zen). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(SVD_NO_AVX2)
# define SMALL_AVX2 1
#endif
#if defined(__GNUC__) && !defined(__clang__)
/* -std=c11 turns contraction off; the kernels want a*b+c fused on FMA. */
# pragma GCC optimize ("fp-contract=fast")
#endif
#define SMALL_INLINE static inline __attribute__((always_inline))
/* The loops over a block's SMALL_NB reflectors, unrolled so that their
** accumulators stay in registers. */
#if defined(__GNUC__) && !defined(__clang__)
# define SMALL_UNROLL _Pragma("GCC unroll 4")
#elif defined(__clang__)
# define SMALL_UNROLL _Pragma("unroll")
#else
# define SMALL_UNROLL
#endif

#ifdef SMALL_AVX2
/* Whether the CPU runs AVX2 and FMA (asked once; the answer is the same for
** every thread, so a race only repeats the question). */
static int smallHasAvx2(void){
  static _Atomic int eHas = -1;
  int e = eHas;
  if( e<0 ){
    __builtin_cpu_init();
    e = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    eHas = e;
  }
  return e;
}
#endif

/*
** RET NAME PARAMS: NAMEBody compiled twice, for AVX2+FMA and portably, and
** the one the CPU runs chosen on each call (a cached answer).
*/
#ifdef SMALL_AVX2
# define SMALL_DISPATCH(RET, NAME, PARAMS, ARGS)                          \
  __attribute__((target("avx2,fma"))) static RET NAME##Avx2 PARAMS {     \
    return NAME##Body ARGS;                                               \
  }                                                                       \
  static RET NAME##Portable PARAMS { return NAME##Body ARGS; }            \
  RET NAME PARAMS {                                                       \
    return smallHasAvx2() ? NAME##Avx2 ARGS : NAME##Portable ARGS;        \
  }
#else
# define SMALL_DISPATCH(RET, NAME, PARAMS, ARGS)                          \
  RET NAME PARAMS { return NAME##Body ARGS; }
#endif

/* Four doubles, in AVX2's registers or in two SSE2 ones. Never passed by
** value to a function: their calling convention differs with and without
** AVX (and GCC says so). */
typedef double SmallV4 __attribute__((vector_size(32)));

/* Loads and stores of four doubles at any 8-byte aligned address, through
** a type that may alias double. */
typedef double SmallV4u __attribute__((vector_size(32), aligned(8), may_alias));
#define smallLoad(p) (*(const SmallV4u*)(p))
#define smallStore(p, v) (*(SmallV4u*)(p) = (v))

SMALL_INLINE double smallSum(const SmallV4 *v){
  return ((*v)[0] + (*v)[2]) + ((*v)[1] + (*v)[3]);
}

/* x'y over n values */
SMALL_INLINE double smallDot(const double *x, const double *y, int n){
  SmallV4 s0 = {0,0,0,0}, s1 = {0,0,0,0};
  double s;
  int i = 0;
  for(; i+8<=n; i+=8){
    s0 += smallLoad(x+i)*smallLoad(y+i);
    s1 += smallLoad(x+i+4)*smallLoad(y+i+4);
  }
  for(; i+4<=n; i+=4) s0 += smallLoad(x+i)*smallLoad(y+i);
  s0 += s1;
  s = smallSum(&s0);
  for(; i<n; i++) s += x[i]*y[i];
  return s;
}

/* y -= c*x over n values */
SMALL_INLINE void smallAxpy(double *y, const double *x, double c, int n){
  SmallV4 cv = {c, c, c, c};
  int i = 0;
  for(; i+4<=n; i+=4) smallStore(y+i, smallLoad(y+i) - cv*smallLoad(x+i));
  for(; i<n; i++) y[i] -= c*x[i];
}

/*
** The reflector of x[0..n-1] as dlarfg makes it: afterwards x[0] = beta,
** x[1..] = v[1..] (v[0] = 1), *pTau = tau. Returns non-zero if LAPACK's
** dlarfg failed (it cannot, for finite input; checked all the same).
*/
SMALL_INLINE int smallReflector(double *x, int n, double *pTau){
  double alpha = x[0], ssq, beta;
  *pTau = 0.0;
  if( n<=1 ) return 0;
  ssq = smallDot(x+1, x+1, n-1);
  /* below TINY, including 0: x[1..] may still hold values whose squares
  ** underflowed, and dlarfg's scaled norm sees them */
  if( !(ssq>=SMALL_TINY && ssq+alpha*alpha<=SMALL_HUGE) ){
    return LAPACKE_dlarfg_work(n, x, x+1, 1, pTau)!=0;
  }
  beta = -copysign(sqrt(ssq + alpha*alpha), alpha);
  *pTau = (beta - alpha)/beta;
  {
    double r = 1.0/(alpha - beta);
    SmallV4 rv = {r, r, r, r};
    int i = 1;
    for(; i+4<=n; i+=4) smallStore(x+i, smallLoad(x+i)*rv);
    for(; i<n; i++) x[i] *= r;
  }
  x[0] = beta;
  return 0;
}

/* Apply H = I - tau*v*v' (v[0] = 1, v[1..n-1] = x[1..]) to y[0..n-1]. */
SMALL_INLINE void smallApply1(const double *v, double tau, double *y, int n){
  double w = y[0] + smallDot(v+1, y+1, n-1);
  double c = tau*w;
  y[0] -= c;
  smallAxpy(y+1, v+1, c, n-1);
}

/*
** The QR works on blocks of nb <= SMALL_NB columns at p (row 0 is the
** block's first diagonal entry, n rows). Column l of the block holds R above
** its diagonal and below it its reflector v_l, whose entry l is an implied 1
** (zeros above): v_l is read in place, never copied. Rows r >= J, for J
** reflectors, are the "body" where every v_l (l < J) is stored in full and
** the loops run four rows at a time; rows r < J are the short "head".
**
** smallDotsV: s[l] = v_l'y for l < J.
*/
SMALL_INLINE void smallDotsV(const double *p, int lda, int J, int n,
                             const double *y, double *s){
  SmallV4 acc[SMALL_NB], acc2[SMALL_NB];
  int l, r, i;
  SMALL_UNROLL
  for(l=0; l<SMALL_NB; l++){
    acc[l] = (SmallV4){0,0,0,0};
    acc2[l] = (SmallV4){0,0,0,0};
  }
  /* two accumulators a sum, eight rows a step: with one, each step waits
  ** for the last step's add (the chain, not the loads, set the pace) */
  for(i=J; i+8<=n; i+=8){
    SmallV4 yv = smallLoad(y+i), yw = smallLoad(y+i+4);
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      if( l<J ){
        acc[l] += smallLoad(p + (size_t)l*lda + i)*yv;
        acc2[l] += smallLoad(p + (size_t)l*lda + i + 4)*yw;
      }
    }
  }
  for(; i+4<=n; i+=4){
    SmallV4 yv = smallLoad(y+i);
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      if( l<J ) acc[l] += smallLoad(p + (size_t)l*lda + i)*yv;
    }
  }
  SMALL_UNROLL
  for(l=0; l<SMALL_NB; l++) acc[l] += acc2[l];
  for(l=0; l<J; l++){
    const double *v = p + (size_t)l*lda;
    double t = y[l];
    for(r=l+1; r<J; r++) t += v[r]*y[r];
    s[l] = t + smallSum(&acc[l]);
    for(r=i; r<n; r++) s[l] += v[r]*y[r];
  }
}

/*
** y -= V*u over the J reflectors (u[J..SMALL_NB-1] are 0); with pSsq, also
** the sum of the squares of
** the updated y[J+1..n-1] (the next reflector's norm, in the same pass).
*/
SMALL_INLINE void smallUpdateV(const double *p, int lda, int J, int n,
                               double *y, const double *u, double *pSsq){
  SmallV4 sq = {0,0,0,0}, sq2 = {0,0,0,0};
  double ssq = 0.0;
  int l, r, i, i0;
  for(r=0; r<J && r<n; r++){
    double t = u[r];
    for(l=0; l<r; l++) t += p[(size_t)l*lda + r]*u[l];
    y[r] -= t;
  }
  /* row J alone when the squares start below it */
  i0 = J;
  if( pSsq && J<n ){
    double t = 0.0;
    for(l=0; l<J; l++) t += p[(size_t)l*lda + J]*u[l];
    y[J] -= t;
    i0 = J+1;
  }
  for(i=i0; i+8<=n; i+=8){   /* two sums of squares, as in smallDotsV */
    SmallV4 yv = smallLoad(y+i), yw = smallLoad(y+i+4);
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      if( l<J ){
        SmallV4 c = {u[l], u[l], u[l], u[l]};
        yv -= smallLoad(p + (size_t)l*lda + i)*c;
        yw -= smallLoad(p + (size_t)l*lda + i + 4)*c;
      }
    }
    smallStore(y+i, yv);
    smallStore(y+i+4, yw);
    sq += yv*yv;
    sq2 += yw*yw;
  }
  for(; i+4<=n; i+=4){
    SmallV4 yv = smallLoad(y+i);
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      if( l<J ){
        yv -= smallLoad(p + (size_t)l*lda + i)*(SmallV4){u[l], u[l], u[l], u[l]};
      }
    }
    smallStore(y+i, yv);
    sq += yv*yv;
  }
  sq += sq2;
  for(; i<n; i++){
    double t = 0.0;
    for(l=0; l<J; l++) t += p[(size_t)l*lda + i]*u[l];
    y[i] -= t;
    ssq += y[i]*y[i];
  }
  if( pSsq ) *pSsq = smallSum(&sq) + ssq;
}

/* u = T'*s for the J x J upper triangular T (column-major, SMALL_NB rows);
** u[J..SMALL_NB-1] = 0 */
SMALL_INLINE void smallTrans(const double *aT, int J, const double *s,
                             double *u){
  int l, q;
  for(l=0; l<SMALL_NB; l++){
    double t = 0.0;
    for(q=0; q<=l && l<J; q++) t += aT[q + l*SMALL_NB]*s[q];
    u[l] = t;
  }
}

/*
** Column j of the block: apply the j reflectors before it (left-looking,
** through T), form its own reflector from what remains, scale it into
** place and extend T (dlarft, forward, columnwise) with its products
** with the earlier reflectors, taken in the scaling pass.
*/
SMALL_INLINE int smallPanelColumn(double *p, int lda, int j, int n,
                                  double *aTau, double *aT){
  double *y = p + (size_t)j*lda;
  double s[SMALL_NB], u[SMALL_NB], z[SMALL_NB], ssq, alpha, beta, tau;
  int l, q, i;
  if( j>0 ){
    smallDotsV(p, lda, j, n, y, s);
    smallTrans(aT, j, s, u);
    smallUpdateV(p, lda, j, n, y, u, &ssq);
  }else{
    ssq = smallDot(y+1, y+1, n-1);
  }
  alpha = y[j];
  if( !(ssq>=SMALL_TINY && ssq+alpha*alpha<=SMALL_HUGE) ){
    /* dlarfg rescales (and makes tau 0 for an exact zero) */
    if( LAPACKE_dlarfg_work(n-j, y+j, y+j+1, 1, &tau)!=0 ) return 1;
    for(l=0; l<j; l++){
      const double *v = p + (size_t)l*lda;
      double t = v[j];
      for(i=j+1; i<n; i++) t += v[i]*y[i];
      z[l] = t;
    }
  }else{
    SmallV4 acc[SMALL_NB], acc2[SMALL_NB], rv;
    double r;
    beta = -copysign(sqrt(ssq + alpha*alpha), alpha);
    tau = (beta - alpha)/beta;
    r = 1.0/(alpha - beta);
    rv = (SmallV4){r, r, r, r};
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      acc[l] = (SmallV4){0,0,0,0};
      acc2[l] = (SmallV4){0,0,0,0};
    }
    for(i=j+1; i+8<=n; i+=8){   /* two accumulators, as in smallDotsV */
      SmallV4 yv = smallLoad(y+i)*rv, yw = smallLoad(y+i+4)*rv;
      smallStore(y+i, yv);
      smallStore(y+i+4, yw);
      SMALL_UNROLL
      for(l=0; l<SMALL_NB; l++){
        if( l<j ){
          acc[l] += smallLoad(p + (size_t)l*lda + i)*yv;
          acc2[l] += smallLoad(p + (size_t)l*lda + i + 4)*yw;
        }
      }
    }
    for(; i+4<=n; i+=4){
      SmallV4 yv = smallLoad(y+i)*rv;
      smallStore(y+i, yv);
      SMALL_UNROLL
      for(l=0; l<SMALL_NB; l++){
        if( l<j ) acc[l] += smallLoad(p + (size_t)l*lda + i)*yv;
      }
    }
    for(l=0; l<j; l++){
      acc[l] += acc2[l];
      z[l] = smallSum(&acc[l]);
    }
    for(; i<n; i++){
      y[i] *= r;
      for(l=0; l<j; l++) z[l] += p[(size_t)l*lda + i]*y[i];
    }
    for(l=0; l<j; l++) z[l] += p[(size_t)l*lda + j];   /* v_j[j] = 1 */
    y[j] = beta;
  }
  aTau[j] = tau;
  /* T(0:j-1, j) = -tau * T(0:j-1, 0:j-1) * z */
  for(q=0; q<j; q++){
    double t = 0.0;
    for(l=q; l<j; l++) t += aT[q + l*SMALL_NB]*z[l];
    aT[q + j*SMALL_NB] = -tau*t;
  }
  aT[j + j*SMALL_NB] = tau;
  return 0;
}

/* s[j*SMALL_NB + l] += v_l'y_j over rows i0 <= i < i1 (a multiple of 4)
** for the nc <= 3 columns at a. The one-column loop here and in
** smallBodyUpdate does each column's arithmetic in the order of the
** three-column loop, on purpose: a column takes one or the other
** depending on where a sweep starts (the helper's split, a streamed
** block), and must come out the same bit for bit; smallDotsV, with its
** two accumulators, would not. */
SMALL_INLINE void smallBodyDots(const double *p, int lda, const double *a,
                                 int nc, int i0, int i1, double *s){
  int j = 0, l, i;
  for(; j+3<=nc; j+=3){
    const double *y0 = a + (size_t)j*lda, *y1 = y0 + lda, *y2 = y1 + lda;
    SmallV4 acc0[SMALL_NB], acc1[SMALL_NB], acc2[SMALL_NB];
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      acc0[l] = (SmallV4){0,0,0,0};
      acc1[l] = (SmallV4){0,0,0,0};
      acc2[l] = (SmallV4){0,0,0,0};
    }
    for(i=i0; i<i1; i+=4){
      SmallV4 a0 = smallLoad(y0+i), a1 = smallLoad(y1+i), a2 = smallLoad(y2+i);
      SMALL_UNROLL
      for(l=0; l<SMALL_NB; l++){
        SmallV4 v = smallLoad(p + (size_t)l*lda + i);
        acc0[l] += v*a0;
        acc1[l] += v*a1;
        acc2[l] += v*a2;
      }
    }
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++){
      s[j*SMALL_NB + l] += smallSum(&acc0[l]);
      s[(j+1)*SMALL_NB + l] += smallSum(&acc1[l]);
      s[(j+2)*SMALL_NB + l] += smallSum(&acc2[l]);
    }
  }
  for(; j<nc; j++){
    const double *y = a + (size_t)j*lda;
    SmallV4 acc[SMALL_NB];
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++) acc[l] = (SmallV4){0,0,0,0};
    for(i=i0; i<i1; i+=4){
      SmallV4 yv = smallLoad(y+i);
      SMALL_UNROLL
      for(l=0; l<SMALL_NB; l++) acc[l] += smallLoad(p + (size_t)l*lda + i)*yv;
    }
    SMALL_UNROLL
    for(l=0; l<SMALL_NB; l++) s[j*SMALL_NB + l] += smallSum(&acc[l]);
  }
}

/* y_j -= V*u_j over rows i0 <= i < i1 (a multiple of 4) for the nc <= 3
** columns at a; u[j*SMALL_NB + l] */
SMALL_INLINE void smallBodyUpdate(const double *p, int lda, double *a,
                                   int nc, int i0, int i1, const double *u){
  int j = 0, l, i;
  for(; j+3<=nc; j+=3){
    double *y0 = a + (size_t)j*lda, *y1 = y0 + lda, *y2 = y1 + lda;
    const double *u0 = u + j*SMALL_NB, *u1 = u0 + SMALL_NB, *u2 = u1 + SMALL_NB;
    for(i=i0; i<i1; i+=4){
      SmallV4 a0 = smallLoad(y0+i), a1 = smallLoad(y1+i), a2 = smallLoad(y2+i);
      SMALL_UNROLL
      for(l=0; l<SMALL_NB; l++){
        SmallV4 v = smallLoad(p + (size_t)l*lda + i);
        a0 -= v*(SmallV4){u0[l], u0[l], u0[l], u0[l]};
        a1 -= v*(SmallV4){u1[l], u1[l], u1[l], u1[l]};
        a2 -= v*(SmallV4){u2[l], u2[l], u2[l], u2[l]};
      }
      smallStore(y0+i, a0);
      smallStore(y1+i, a1);
      smallStore(y2+i, a2);
    }
  }
  for(; j<nc; j++){
    double *y = a + (size_t)j*lda;
    const double *uj = u + j*SMALL_NB;
    for(i=i0; i<i1; i+=4){
      SmallV4 yv = smallLoad(y+i);
      SMALL_UNROLL
      for(l=0; l<SMALL_NB; l++){
        yv -= smallLoad(p + (size_t)l*lda + i)*(SmallV4){uj[l], uj[l], uj[l], uj[l]};
      }
      smallStore(y+i, yv);
    }
  }
}

/*
** Apply the block's Q' = (I - V*T*V')' to nCol trailing columns at a,
** three columns at a time: their sums s = V'y, then u = T's, then
** y -= V*u. In the body rows both passes take the three columns in one
** sweep, so that each load of a reflector serves three columns: on the
** 2-core Zen 3 machine of issue 14 these loops are bound by their loads,
** and two columns a sweep (6 loads for 8 multiply-adds, against 7 for 12)
** ran the block at 20 GFlop/s instead of 30.
*/
SMALL_INLINE void smallBlockApply(const double *p, int lda, const double *aT,
                                  int n, double *a, int nCol){
  const int J = SMALL_NB;
  double s[3*SMALL_NB] = {0}, u[3*SMALL_NB] = {0};
  int nBody = n>J ? (n-J) & ~3 : 0;   /* body rows in whole steps of 4 */
  int iEnd = J + nBody;               /* rows iEnd..n-1: the tail, < 4 */
  int j0, j, l, r, i;
  for(j0=0; j0<nCol; j0+=3){
    int nc = nCol-j0<3 ? nCol-j0 : 3;
    double *aj = a + (size_t)j0*lda;
    /* s = V'y: the head (rows < J, where v_l is 0 above row l and 1 at
    ** it), the body, the tail */
    for(j=0; j<nc; j++){
      const double *y = aj + (size_t)j*lda;
      for(l=0; l<J; l++){
        const double *v = p + (size_t)l*lda;
        double t = y[l];
        for(r=l+1; r<J && r<n; r++) t += v[r]*y[r];
        for(i=iEnd; i<n; i++) t += v[i]*y[i];
        s[j*SMALL_NB + l] = t;
      }
    }
    smallBodyDots(p, lda, aj, nc, J, iEnd, s);
    for(j=0; j<nc; j++) smallTrans(aT, J, s + j*SMALL_NB, u + j*SMALL_NB);
    /* y -= V*u: the head, the body, the tail */
    for(j=0; j<nc; j++){
      double *y = aj + (size_t)j*lda;
      const double *uj = u + j*SMALL_NB;
      for(r=0; r<J && r<n; r++){
        double t = uj[r];
        for(l=0; l<r; l++) t += p[(size_t)l*lda + r]*uj[l];
        y[r] -= t;
      }
      for(i=iEnd; i<n; i++){
        double t = 0.0;
        for(l=0; l<J; l++) t += p[(size_t)l*lda + i]*uj[l];
        y[i] -= t;
      }
    }
    smallBodyUpdate(p, lda, aj, nc, J, iEnd, u);
  }
}

/* One trailing update, as a job for the helper thread (helper.c). */
typedef struct SmallApply SmallApply;
struct SmallApply {
  const double *p;   /* the block's reflectors */
  int lda;
  const double *aT;  /* its T */
  int n;             /* its rows */
  double *a;         /* the columns to update */
  int nCol;
};

SMALL_INLINE int smallApplyRunBody(const SmallApply *pJob){
  smallBlockApply(pJob->p, pJob->lda, pJob->aT, pJob->n, pJob->a, pJob->nCol);
  return 0;
}

SMALL_DISPATCH(int, smallApplyRun, (const SmallApply *pJob), (pJob))

static void smallApplyJob(void *pArg){
  smallApplyRun((const SmallApply*)pArg);
}

/* Trailing updates of at least this many values (rows x columns) are
** shared with the calling thread's helper, if it has one: about 8 us of
** work, against the 0.1-0.3 us a hand-over costs. */
#define SMALL_SHARE_MIN (768*12)

/* Factor the block of nb <= SMALL_NB columns at p (n rows): its
** reflectors in place, their factors in aTau, its T in aT. */
SMALL_INLINE int smallPanel(double *p, int lda, int nb, int n, double *aTau,
                            double *aT){
  int j;
  for(j=0; j<nb; j++){
    switch( j ){   /* a constant j, so that the loops over it unroll */
      case 0: if( smallPanelColumn(p, lda, 0, n, aTau, aT) ) return 1;
              break;
      case 1: if( smallPanelColumn(p, lda, 1, n, aTau, aT) ) return 1;
              break;
      case 2: if( smallPanelColumn(p, lda, 2, n, aTau, aT) ) return 1;
              break;
      default:
              if( smallPanelColumn(p, lda, 3, n, aTau, aT) ) return 1;
              break;
    }
  }
  return 0;
}

/*
** The update of block p's nCol trailing columns at a (n rows), then the
** factorization of the next block, its first nbNext columns, into aTau and
** aTNext. Every column goes through smallApplyRun() whichever thread runs
** it, so that the result is the same bit for bit with a helper or
** without. With one, the caller updates the first columns, the next
** block's among them, and factors the next block while the helper updates
** the rest; it then waits for the helper, or updates the rest itself if
** the helper has not started on them.
*/
SMALL_INLINE int smallTrailing(const double *p, int lda, const double *aT,
                               int n, double *a, int nCol, int nbNext,
                               double *aTau, double *aTNext){
  SpecHelper *h = specGetHelper();
  SmallApply mine = { p, lda, aT, n, a, nCol };
  int rc;
  if( h && nCol>=2*nbNext+SMALL_NB && (int64_t)n*nCol>=SMALL_SHARE_MIN ){
    /* the caller's share: the next block, and half of the rest less about
    ** the next block's factorization, which costs as much as updating
    ** SMALL_NB columns */
    int nMine = nbNext + (nCol - nbNext - SMALL_NB)/2;
    SmallApply theirs = { p, lda, aT, n, a + (size_t)nMine*lda, nCol - nMine };
    mine.nCol = nMine;
    specHelperPost(h, smallApplyJob, &theirs);
    smallApplyRun(&mine);
    rc = smallPanel(a + SMALL_NB, lda, nbNext, n - SMALL_NB, aTau, aTNext);
    if( specHelperReclaim(h) ) smallApplyRun(&theirs);
    return rc;
  }
  smallApplyRun(&mine);
  return smallPanel(a + SMALL_NB, lda, nbNext, n - SMALL_NB, aTau, aTNext);
}

/*
** dgeqrf of the d x m column-major a (d >= m >= 1). aWork holds
** SMALL_QR_WORK doubles (two T's, the current block's and the next's).
** Returns 0, or non-zero when a reflector could not be formed (LAPACK's
** dlarfg reported an error).
*/
SMALL_INLINE int smallQrBody(double *a, int d, int m, int lda, double *aTau,
                             double *aWork){
  double *aT = aWork, *aTNext = aWork + SMALL_NB*SMALL_NB, *x;
  int k0;
  if( smallPanel(a, lda, m<SMALL_NB ? m : SMALL_NB, d, aTau, aT) ) return 1;
  for(k0=0; k0+SMALL_NB<m; k0+=SMALL_NB){
    /* block k0 is factored; update the rest and factor the next block */
    int nCol = m-k0-SMALL_NB;
    double *p = a + (size_t)k0*lda + k0;
    if( smallTrailing(p, lda, aT, d-k0, p + (size_t)SMALL_NB*lda, nCol,
                      nCol<SMALL_NB ? nCol : SMALL_NB, aTau + k0+SMALL_NB,
                      aTNext) ){
      return 1;
    }
    x = aT;
    aT = aTNext;
    aTNext = x;
  }
  return 0;
}

SMALL_DISPATCH(int, smallQr, (double *a, int d, int m, int lda, double *aTau,
                         double *aWork), (a, d, m, lda, aTau, aWork))

/*
** The same factorization, left-looking, as a small group's rows arrive
** (spectrum.h, SpecStream): while SQLite reads the group on the query's
** thread, the helper thread shifts each new row by the first into b and
** factors b a block of SMALL_NB columns at a time, bringing the block up
** to date with every earlier block's smallApplyRun() first, in order, then
** smallPanel(). Each column thus goes through the very operations
** smallQr() applies to it (a trailing update's columns are independent of
** each other, whichever sweep takes them), so that b ends up as smallQr()
** leaves the shifted rows, bit for bit.
*/
struct SpecStream {
  SpecHelper *h;        /* the thread that runs smallStreamJob */
  const double *aRow;   /* the group's rows, row-major, row 0 the first */
  int d;                /* their dimensions */
  int mMax;             /* columns b has room for */
  double *b;            /* d x mMax: rows 1.. less row 0, factored */
  double *aTau;         /* mMax reflector factors */
  double *aT;           /* each block's T, SMALL_NB^2 doubles apiece */
  size_t nAlloc;        /* doubles at b (b, aTau and aT in one piece) */
  int mDone;            /* columns factored (the job's; the caller reads
                        ** it after the job ends) */
  int bFailed;          /* a reflector could not be formed */
  int bPosted;          /* the caller's: the job is posted, not yet ended */
  _Atomic int nAvail;   /* rows published (row 0 included) */
  _Atomic int bStop;    /* the caller asks the job to return */
  _Atomic int bAsleep;  /* the job waits on cv for a row or bStop */
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

/* Columns j0..j1-1 of s->b: rows j0+1..j1 less row 0. */
SMALL_INLINE void smallStreamShift(SpecStream *s, int j0, int j1){
  int d = s->d, j, i;
  const double *x1 = s->aRow;
  for(j=j0; j<j1; j++){
    const double *x = s->aRow + (size_t)(j+1)*d;
    double *y = s->b + (size_t)j*d;
    for(i=0; i+4<=d; i+=4) smallStore(y+i, smallLoad(x+i) - smallLoad(x1+i));
    for(; i<d; i++) y[i] = x[i] - x1[i];
  }
}

/* Columns j0..j1-1 of s->b brought up to date with its first k0 columns'
** blocks, in order. */
SMALL_INLINE void smallStreamCatchUp(SpecStream *s, int k0, int j0, int j1){
  int d = s->d, l;
  for(l=0; l<k0; l+=SMALL_NB){
    SmallApply job = { s->b + (size_t)l*d + l, d, s->aT + l*SMALL_NB, d - l,
                       s->b + (size_t)j0*d + l, j1 - j0 };
    smallApplyRun(&job);
  }
}

/* Factor the nb next columns of s: shift, bring up to date, panel. */
SMALL_INLINE int smallStreamBlockBody(SpecStream *s, int nb){
  int d = s->d, k0 = s->mDone;
  smallStreamShift(s, k0, k0+nb);
  smallStreamCatchUp(s, k0, k0, k0+nb);
  return smallPanel(s->b + (size_t)k0*d + k0, d, nb, d - k0, s->aTau + k0,
                    s->aT + k0*SMALL_NB);
}

SMALL_DISPATCH(int, smallStreamBlock, (SpecStream *s, int nb), (s, nb))

/* The job: factor whole blocks as their rows come, until told to stop.
** Waits as the idle helper does (specSpin: spinning, yielding the core
** between looks, for 2 ms after its last block; the next rows of a GROUP
** BY come within microseconds), then sleeps on cv until a row or the stop
** comes: rows may come slowly (a slow function, a virtual table), and a
** waiting helper must not keep a core busy. */
/* Whether the job has work: a whole block of rows in, or the stop. */
static int smallStreamReady(SpecStream *s){
  int m = atomic_load(&s->nAvail) - 1;
  if( m>s->mMax ) m = s->mMax;
  return atomic_load(&s->bStop) || s->mDone+SMALL_NB<=m;
}

static void smallStreamJob(void *pArg){
  SpecStream *s = pArg;
  unsigned nLook = 0;
  int64_t tIdle = specNow();
  for(;;){
    int m;
    if( atomic_load_explicit(&s->bStop, memory_order_acquire) ) return;
    m = atomic_load_explicit(&s->nAvail, memory_order_acquire) - 1;
    if( m>s->mMax ) m = s->mMax;
    if( s->mDone+SMALL_NB<=m ){
      if( smallStreamBlock(s, SMALL_NB) ){
        s->bFailed = 1;
        return;
      }
      s->mDone += SMALL_NB;
      nLook = 0;
      tIdle = specNow();
      continue;
    }
    if( !specSpin(&nLook, tIdle) ) continue;
    /* sequentially consistent, as specStreamPublish's nAvail-then-bAsleep:
    ** either this sees the row (or the stop) or the caller sees it asleep
    ** and signals under the mutex this holds until it waits */
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->bAsleep, 1);
    while( !smallStreamReady(s) ) pthread_cond_wait(&s->cv, &s->mu);
    atomic_store(&s->bAsleep, 0);
    pthread_mutex_unlock(&s->mu);
    tIdle = specNow();
    nLook = 0;
  }
}

/* Wake the job if it sleeps (after a store it must see). */
static void smallStreamWake(SpecStream *s){
  if( atomic_load(&s->bAsleep) ){
    pthread_mutex_lock(&s->mu);
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
  }
}

/* Half of the catch-up at the end, as a job for the helper. */
typedef struct SmallCatchUp SmallCatchUp;
struct SmallCatchUp {
  SpecStream *s;
  int k0, j0, j1;
};

SMALL_INLINE int smallCatchUpRunBody(const SmallCatchUp *p){
  smallStreamCatchUp(p->s, p->k0, p->j0, p->j1);
  return 0;
}

SMALL_DISPATCH(int, smallCatchUpRun, (const SmallCatchUp *p), (p))

static void smallCatchUpJob(void *pArg){
  smallCatchUpRun((const SmallCatchUp*)pArg);
}

/*
** The rest of the QR once every row is in: the columns from s->mDone on
** (a whole number of blocks in) are shifted, brought up to date with the
** blocks before them, the two halves by this thread and its helper if it
** has one, and factored by smallQr(), which goes on right-looking (the QR
** of the trailing matrix is the rest of the QR of the whole).
*/
static int smallStreamRest(SpecStream *s, int m){
  int d = s->d, k0 = s->mDone;
  double aWork[SMALL_QR_WORK];
  SpecHelper *h = specGetHelper();
  SmallCatchUp mine = { s, k0, k0, m };
  smallStreamShift(s, k0, m);
  if( h && k0>0 && m-k0>=2 && (int64_t)d*(m-k0)*k0>=SMALL_SHARE_MIN*SMALL_NB ){
    SmallCatchUp theirs = { s, k0, k0 + (m-k0)/2, m };
    mine.j1 = theirs.j0;
    specHelperPost(h, smallCatchUpJob, &theirs);
    smallCatchUpRun(&mine);
    if( specHelperReclaim(h) ) smallCatchUpRun(&theirs);
  }else{
    smallCatchUpRun(&mine);
  }
  return smallQr(s->b + (size_t)k0*d + k0, d - k0, m - k0, d, s->aTau + k0,
                 aWork);
}

/* Streams finished in the process (svd_info's streamed_groups). */
static _Atomic long smallNStreamed = 0;

long specStreamCount(void){
  return atomic_load(&smallNStreamed);
}

SpecStream *specStreamNew(void){
  SpecStream *s = specZalloc(sizeof(SpecStream));
  if( s==0 ) return 0;
  atomic_init(&s->nAvail, 0);
  atomic_init(&s->bStop, 0);
  atomic_init(&s->bAsleep, 0);
  if( pthread_mutex_init(&s->mu, 0)==0 ){
    if( pthread_cond_init(&s->cv, 0)==0 ) return s;
    pthread_mutex_destroy(&s->mu);
  }
  specFree(s);
  return 0;
}

void specStreamFree(SpecStream *s){
  if( s==0 ) return;
  specStreamStop(s);
  pthread_cond_destroy(&s->cv);
  pthread_mutex_destroy(&s->mu);
  specFree(s->b);
  specFree(s);
}

int specStreamBegin(SpecStream *s, SpecHelper *h, const double *aRow, int d,
                    int mMax){
  size_t nNeed = (size_t)d*mMax + mMax
               + (size_t)((mMax+SMALL_NB-1)/SMALL_NB)*SMALL_NB*SMALL_NB;
  if( s->bPosted || h==0 || d<mMax || mMax<1 ) return 1;
  if( s->nAlloc<nNeed ){
    specFree(s->b);
    s->b = specMalloc(sizeof(double)*nNeed);
    s->nAlloc = s->b ? nNeed : 0;
    if( s->b==0 ) return 1;
  }
  s->aTau = s->b + (size_t)d*mMax;
  s->aT = s->aTau + mMax;
  s->h = h;
  s->aRow = aRow;
  s->d = d;
  s->mMax = mMax;
  s->mDone = 0;
  s->bFailed = 0;
  atomic_store(&s->nAvail, 1);
  atomic_store(&s->bStop, 0);
  specHelperPost(h, smallStreamJob, s);
  s->bPosted = 1;
  return 0;
}

void specStreamPublish(SpecStream *s, int64_t nRow){
  if( s->bPosted ){
    atomic_store(&s->nAvail, nRow>INT_MAX ? INT_MAX : (int)nRow);
    smallStreamWake(s);
  }
}

int specStreamActive(const SpecStream *s){
  return s && s->bPosted;
}

/* Ask the job to return (it does between blocks) and wait until it has,
** unless it never started. */
static void smallStreamEnd(SpecStream *s){
  atomic_store(&s->bStop, 1);
  smallStreamWake(s);
  specHelperReclaim(s->h);
  s->bPosted = 0;
}

void specStreamStop(SpecStream *s){
  if( s && s->bPosted ) smallStreamEnd(s);
}

int specStreamFinish(SpecStream *s, int n, double *r){
  int m = n - 1, i, j;
  if( !s->bPosted ) return 1;
  smallStreamEnd(s);
  if( s->bFailed || m<1 || m>s->mMax ) return 1;
  if( s->mDone<m && smallStreamRest(s, m) ) return 1;
  atomic_fetch_add(&smallNStreamed, 1);
  for(j=0; j<m; j++){
    for(i=0; i<m; i++) r[i+(size_t)j*m] = i<=j ? s->b[i+(size_t)j*s->d] : 0.0;
  }
  return 0;
}

/*
** dgebrd of the k x k column-major matrix t (k >= 1; destroyed), upper
** bidiagonal: the diagonal into aD[0..k-1] and the superdiagonal into
** aE[0..k-2], as dgebrd returns them (the same dlarfg convention, so the
** signs agree too). aWork holds 2k doubles. Returns 0, or non-zero if a reflector could not be formed.
**
** For the k x k triangle of a small group (k = 19 for 20 rows), dgebrd's
** unblocked road makes about 150 BLAS-2 calls whose overhead dominates.
*/
SMALL_INLINE int smallBidiagBody(double *t, int k, double *aD, double *aE,
                                double *aWork){
  int j, l;
  for(j=0; j<k; j++){
    double *x = t + (size_t)j*k + j, tau, beta;
    /* left: zero column j below the diagonal */
    if( smallReflector(x, k-j, &tau) ) return 1;
    beta = x[0];
    if( tau!=0.0 ){
      /* two columns a pass, so that each load of the reflector serves
      ** both */
      int nr = k-j;
      x[0] = 1.0;
      for(l=j+1; l+2<=k; l+=2){
        double *y0 = t + (size_t)l*k + j, *y1 = y0 + k;
        SmallV4 s0 = {0,0,0,0}, s1 = {0,0,0,0}, c0, c1;
        double d0, d1;
        int i;
        for(i=0; i+4<=nr; i+=4){
          SmallV4 v = smallLoad(x+i);
          s0 += v*smallLoad(y0+i);
          s1 += v*smallLoad(y1+i);
        }
        d0 = smallSum(&s0);
        d1 = smallSum(&s1);
        for(; i<nr; i++){
          d0 += x[i]*y0[i];
          d1 += x[i]*y1[i];
        }
        d0 *= tau;
        d1 *= tau;
        c0 = (SmallV4){d0, d0, d0, d0};
        c1 = (SmallV4){d1, d1, d1, d1};
        for(i=0; i+4<=nr; i+=4){
          SmallV4 v = smallLoad(x+i);
          smallStore(y0+i, smallLoad(y0+i) - c0*v);
          smallStore(y1+i, smallLoad(y1+i) - c1*v);
        }
        for(; i<nr; i++){
          y0[i] -= d0*x[i];
          y1[i] -= d1*x[i];
        }
      }
      if( l<k ) smallApply1(x, tau, t + (size_t)l*k + j, nr);
      x[0] = beta;
    }
    aD[j] = beta;
    if( j+1>=k ) break;
    /* right: zero row j right of the superdiagonal; the row is strided, so
    ** work on a contiguous copy in aWork */
    for(l=j+1; l<k; l++) aWork[l-j-1] = t[j + (size_t)l*k];
    if( smallReflector(aWork, k-j-1, &tau) ) return 1;
    beta = aWork[0];
    if( tau!=0.0 ){
      /* rows j+1.. of columns j+1..: w = T*v, then T -= tau*w*v', a
      ** column at a time, so that every access is contiguous */
      double *w = aWork + k;
      int nr = k-j-1;
      aWork[0] = 1.0;
      memset(w, 0, sizeof(double)*(size_t)nr);
      const double *u = aWork;
      double *c = t + (size_t)(j+1)*k + j+1;   /* T(j+1, j+1) */
      int i;
      /* four columns a pass into w, two a pass out of it */
      for(l=0; l+4<=nr; l+=4){
        const double *y0 = c + (size_t)l*k, *y1 = y0 + k, *y2 = y1 + k;
        const double *y3 = y2 + k;
        SmallV4 c0 = {u[l], u[l], u[l], u[l]};
        SmallV4 c1 = {u[l+1], u[l+1], u[l+1], u[l+1]};
        SmallV4 c2 = {u[l+2], u[l+2], u[l+2], u[l+2]};
        SmallV4 c3 = {u[l+3], u[l+3], u[l+3], u[l+3]};
        for(i=0; i+4<=nr; i+=4){
          smallStore(w+i, smallLoad(w+i) + c0*smallLoad(y0+i)
                          + c1*smallLoad(y1+i) + c2*smallLoad(y2+i)
                          + c3*smallLoad(y3+i));
        }
        for(; i<nr; i++){
          w[i] += u[l]*y0[i] + u[l+1]*y1[i] + u[l+2]*y2[i] + u[l+3]*y3[i];
        }
      }
      for(; l<nr; l++) smallAxpy(w, c + (size_t)l*k, -u[l], nr);
      for(l=0; l+2<=nr; l+=2){
        double *y0 = c + (size_t)l*k, *y1 = y0 + k;
        double d0 = tau*u[l], d1 = tau*u[l+1];
        SmallV4 c0 = {d0, d0, d0, d0}, c1 = {d1, d1, d1, d1};
        for(i=0; i+4<=nr; i+=4){
          SmallV4 wv = smallLoad(w+i);
          smallStore(y0+i, smallLoad(y0+i) - c0*wv);
          smallStore(y1+i, smallLoad(y1+i) - c1*wv);
        }
        for(; i<nr; i++){
          y0[i] -= d0*w[i];
          y1[i] -= d1*w[i];
        }
      }
      if( l<nr ) smallAxpy(c + (size_t)l*k, w, tau*u[l], nr);
    }
    aE[j] = beta;
  }
  return 0;
}

SMALL_DISPATCH(int, smallBidiag, (double *t, int k, double *aD, double *aE,
                             double *aWork), (t, k, aD, aE, aWork))

/*
** The passes over a whole group that surround the factorization, at the
** same vector width: y -= x; the largest |a[i]| (specToScale);
** little-endian float32 to double with a flag for a non-finite value
** (vector.c's BLOB reader).
*/
SMALL_INLINE int smallSubBody(double *restrict y, const double *restrict x,
                              int64_t n){
  int64_t i = 0;
  for(; i+8<=n; i+=8){
    smallStore(y+i, smallLoad(y+i) - smallLoad(x+i));
    smallStore(y+i+4, smallLoad(y+i+4) - smallLoad(x+i+4));
  }
  for(; i<n; i++) y[i] -= x[i];
  return 0;
}
SMALL_DISPATCH(int, smallSub, (double *restrict y, const double *restrict x,
                               int64_t n), (y, x, n))

typedef int64_t SmallL4 __attribute__((vector_size(32)));

/* max(|x|, m) lane by lane, through the bits (C has no ?: on vectors);
** finite input, so the comparisons see no NaN. */
SMALL_INLINE void smallMaxAbs(SmallV4 *m, const double *p){
  const SmallL4 noSign = {INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX};
  SmallL4 xi, mi, gt;
  SmallV4 x;
  memcpy(&xi, p, sizeof(xi));
  memcpy(&mi, m, sizeof(mi));
  xi &= noSign;
  memcpy(&x, &xi, sizeof(x));
  gt = x>*m;
  mi = (xi & gt) | (mi & ~gt);
  memcpy(m, &mi, sizeof(mi));
}

SMALL_INLINE double smallAbsMaxBody(const double *a, int64_t n){
  SmallV4 m0 = {0,0,0,0}, m1 = {0,0,0,0};
  double mx;
  int64_t i = 0;
  for(; i+8<=n; i+=8){
    smallMaxAbs(&m0, a+i);
    smallMaxAbs(&m1, a+i+4);
  }
  smallMaxAbs(&m0, (const double*)&m1);
  mx = m0[0];
  if( m0[1]>mx ) mx = m0[1];
  if( m0[2]>mx ) mx = m0[2];
  if( m0[3]>mx ) mx = m0[3];
  for(; i<n; i++) if( fabs(a[i])>mx ) mx = fabs(a[i]);
  return mx;
}
SMALL_DISPATCH(double, smallAbsMax, (const double *a, int64_t n), (a, n))

typedef float SmallF4 __attribute__((vector_size(16)));
typedef uint32_t SmallU4 __attribute__((vector_size(16)));
typedef int32_t SmallI4 __attribute__((vector_size(16)));

SMALL_INLINE int smallFromF32Body(const unsigned char *restrict p,
                                  double *restrict a, int64_t n){
  SmallI4 bad = {0,0,0,0};
  const SmallU4 exp = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u};
  int64_t i = 0;
  int b;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__==__ORDER_LITTLE_ENDIAN__
  for(; i+8<=n; i+=8){
    SmallU4 u0, u1;
    SmallF4 f0, f1;
    memcpy(&u0, p+4*i, sizeof(u0));
    memcpy(&u1, p+4*i+16, sizeof(u1));
    memcpy(&f0, &u0, sizeof(f0));
    memcpy(&f1, &u1, sizeof(f1));
    bad |= ((u0 & exp)==exp) | ((u1 & exp)==exp);
    smallStore(a+i, __builtin_convertvector(f0, SmallV4));
    smallStore(a+i+4, __builtin_convertvector(f1, SmallV4));
  }
  for(; i+4<=n; i+=4){
    SmallU4 u;
    SmallF4 f;
    memcpy(&u, p+4*i, sizeof(u));
    memcpy(&f, &u, sizeof(f));
    bad |= (u & exp)==exp;
    smallStore(a+i, __builtin_convertvector(f, SmallV4));
  }
#endif
  b = (bad[0] | bad[1] | bad[2] | bad[3])!=0;
  for(; i<n; i++){
    uint32_t u = (uint32_t)p[4*i] | (uint32_t)p[4*i+1]<<8
               | (uint32_t)p[4*i+2]<<16 | (uint32_t)p[4*i+3]<<24;
    float f;
    memcpy(&f, &u, 4);
    b |= (u & 0x7f800000u)==0x7f800000u;
    a[i] = f;
  }
  return b;
}
SMALL_DISPATCH(int, smallFromF32, (const unsigned char *restrict p,
                                   double *restrict a, int64_t n), (p, a, n))
