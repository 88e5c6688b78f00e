/*
** scree.c: svd_scree_svg(LABEL, SPECTRUM [, OPTIONS]), an aggregate that
** draws one scree plot as a standalone SVG document.
**
**   SELECT svd_scree_svg(category, spec)
**   FROM (SELECT category, svd_spectrum(vec) AS spec FROM emb GROUP BY 1);
**
** Rules:
**   1. Each non-NULL SPECTRUM row is one series: a line with a marker at
**      each (k, sigma_k / sigma_1), in the row's colour, named in the legend
**      by LABEL (any value, shown as text; NULL shows as "NULL"; longer than
**      40 characters is cut with "...").
**   2. OPTIONS 'log=true' puts the y axis on a log scale, one tick per decade;
**      points whose ratio is 0 are then left out and the line breaks there.
**      Otherwise y runs linearly from 0 to 1. OPTIONS is the same on every row.
**   3. A spectrum of zeros has ratio 0 everywhere. NULL rows are skipped; a
**      group without a spectrum gives NULL.
**   4. Colours are matplotlib's ten "tab10" colours; past ten series they
**      repeat with a dash pattern, so every series stays distinct.
**   5. The text is well-formed XML whatever the labels hold: markup is
**      escaped, control characters and invalid UTF-8 become U+FFFD.
*/
#include "glue.h"
#include "options.h"
#include "vector.h"

#include <math.h>
#include <string.h>
SQLITE_EXTENSION_INIT3

#define SCREE_WIDTH   720     /* whole picture, px */
#define SCREE_MIN_H   420
#define SCREE_LEFT    70      /* plot area margins */
#define SCREE_TOP     40
#define SCREE_BOTTOM  56
#define SCREE_LEGEND_ROW 18   /* px per legend entry */
#define SCREE_LABEL_MAX  40   /* characters of a label shown */

static const char *const azScreeColour[] = {
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
static const char *const azScreeDash[] = { "", "7 3", "2 2", "9 3 2 3" };

typedef struct ScreeSeries ScreeSeries;
struct ScreeSeries {
  char *zLabel;           /* escaped, cut label (sqlite3_malloc) */
  double *aRatio;         /* nVal values sigma_k / sigma_1 */
  int nVal;
};

typedef struct ScreeAgg ScreeAgg;
struct ScreeAgg {
  ScreeSeries *aSeries;
  int nSeries, nAlloc;
  char *zOpt;             /* OPTIONS text of the first row */
  SvdOptions opt;
  VecBuf buf;             /* the current spectrum, parsed */
};

static void screeFree(ScreeAgg *p){
  int i;
  for(i=0; i<p->nSeries; i++){
    sqlite3_free(p->aSeries[i].zLabel);
    sqlite3_free(p->aSeries[i].aRatio);
  }
  sqlite3_free(p->aSeries);
  sqlite3_free(p->zOpt);
  vecBufFree(&p->buf);
  memset(p, 0, sizeof(*p));
}

/* LABEL as XML text: escaped, invalid bytes replaced, cut to
** SCREE_LABEL_MAX characters. NULL on OOM. */
static char *screeLabel(sqlite3_value *pVal){
  const unsigned char *z;
  sqlite3_str *pStr = sqlite3_str_new(0);
  int n, i = 0, nChar = 0;
  if( sqlite3_value_type(pVal)==SQLITE_NULL ){
    sqlite3_str_appendall(pStr, "NULL");
    return sqlite3_str_finish(pStr);
  }
  z = sqlite3_value_text(pVal);
  n = sqlite3_value_bytes(pVal);
  if( z==0 ){
    sqlite3_free(sqlite3_str_finish(pStr));
    return 0;
  }
  while( i<n ){
    int len;
    if( nChar==SCREE_LABEL_MAX ){
      sqlite3_str_appendall(pStr, "\xe2\x80\xa6");   /* ... */
      break;
    }
    len = vecUtf8Len(z+i, n-i);
    switch( len ? z[i] : 0 ){
      case '&': sqlite3_str_appendall(pStr, "&amp;"); break;
      case '<': sqlite3_str_appendall(pStr, "&lt;"); break;
      case '>': sqlite3_str_appendall(pStr, "&gt;"); break;
      case '"': sqlite3_str_appendall(pStr, "&quot;"); break;
      case '\'': sqlite3_str_appendall(pStr, "&apos;"); break;
      case 0:
        sqlite3_str_appendall(pStr, "\xef\xbf\xbd");  /* U+FFFD */
        len = 1;
        break;
      default: sqlite3_str_append(pStr, (const char*)z+i, len); break;
    }
    i += len;
    nChar++;
  }
  return sqlite3_str_finish(pStr);
}

/* svd_scree_svg(LABEL, SPECTRUM [, OPTIONS]): step */
void screeStep(sqlite3_context *ctx, int argc, sqlite3_value **argv){
  ScreeAgg *p = sqlite3_aggregate_context(ctx, sizeof(ScreeAgg));
  ScreeSeries *pS;
  const char *zOpt;
  char *zErr = 0;
  double rMax = 0.0;
  int rc, i;

  if( p==0 ){
    sqlite3_result_error_nomem(ctx);
    return;
  }
  /* the type is checked on every row, the text compared with the first's */
  rc = optText(argc>2 ? argv[2] : 0, "svd_scree_svg", OPT_LOG, &zOpt, &zErr);
  if( rc==SQLITE_OK && p->zOpt==0 ){
    rc = optParse(argc>2 ? argv[2] : 0, "svd_scree_svg", OPT_LOG, &p->opt,
                  &zErr);
    if( rc==SQLITE_OK ){
      p->zOpt = sqlite3_mprintf("%s", zOpt);
      if( p->zOpt==0 ) rc = SQLITE_NOMEM;
    }
  }else if( rc==SQLITE_OK && strcmp(p->zOpt, zOpt)!=0 ){
    zErr = sqlite3_mprintf("svd_scree_svg(): OPTIONS changed within a group, "
        "from '%s' to '%s'; it must be the same for every row", p->zOpt, zOpt);
    rc = SQLITE_ERROR;
  }
  if( rc==SQLITE_OK && sqlite3_value_type(argv[1])==SQLITE_NULL ) return;
  if( rc==SQLITE_OK ) rc = vecReadSpectrum(argv[1], "svd_scree_svg", &p->buf,
                                           &zErr);
  if( rc==SQLITE_OK && p->buf.n>1000000 ){
    zErr = sqlite3_mprintf("svd_scree_svg(): a spectrum of %lld values; "
        "the plot takes at most 1000000", p->buf.n);
    rc = SQLITE_ERROR;
  }
  if( rc==SQLITE_OK && p->nSeries==p->nAlloc ){
    int nNew = p->nAlloc ? p->nAlloc*2 : 8;
    ScreeSeries *aNew = sqlite3_realloc64(p->aSeries,
                                          sizeof(ScreeSeries)*(size_t)nNew);
    if( aNew==0 ){
      rc = SQLITE_NOMEM;
    }else{
      p->aSeries = aNew;
      p->nAlloc = nNew;
    }
  }
  if( rc ){
    screeFree(p);
    svdResultError(ctx, rc, zErr);
    return;
  }
  pS = &p->aSeries[p->nSeries];
  pS->nVal = (int)p->buf.n;
  pS->zLabel = screeLabel(argv[0]);
  pS->aRatio = sqlite3_malloc64(sizeof(double)*(size_t)pS->nVal);
  p->nSeries++;
  if( pS->zLabel==0 || pS->aRatio==0 ){
    screeFree(p);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  for(i=0; i<pS->nVal; i++) if( p->buf.a[i]>rMax ) rMax = p->buf.a[i];
  for(i=0; i<pS->nVal; i++){
    pS->aRatio[i] = rMax>0.0 ? p->buf.a[i]/rMax : 0.0;
  }
}

/* A "nice" tick step, 1, 2 or 5 times a power of ten, near x. */
static double screeNiceStep(double x){
  double p = pow(10.0, floor(log10(x)));
  double f = x/p;
  return (f<1.5 ? 1.0 : f<3.5 ? 2.0 : f<7.5 ? 5.0 : 10.0)*p;
}

/* The plot's frame: where k and a ratio land. */
typedef struct ScreeFrame ScreeFrame;
struct ScreeFrame {
  double x0, y0, w, h;    /* plot area, px */
  int kMax;               /* x runs over 1..kMax */
  int bLog;
  int nLoDecade;          /* log: y runs over 10^nLoDecade .. 1 */
};

static double screeX(const ScreeFrame *f, int k){
  if( f->kMax==1 ) return f->x0 + f->w/2;
  return f->x0 + f->w*(k-1)/(double)(f->kMax-1);
}

/* y of ratio r, or NAN when it cannot be drawn (0 on a log axis). */
static double screeY(const ScreeFrame *f, double r){
  if( !f->bLog ) return f->y0 + f->h*(1.0-r);
  if( r<=0.0 || log10(r)<f->nLoDecade ) return NAN;
  return f->y0 + f->h*(log10(r)/f->nLoDecade);
}

/* Axes, grid, ticks and titles. */
static void screeAxes(sqlite3_str *pStr, const ScreeFrame *f){
  double step = f->kMax>1 ? screeNiceStep((f->kMax-1)/8.0) : 1.0;
  double yb = f->y0 + f->h;
  int i, k;

  if( step<1.0 ) step = 1.0;
  sqlite3_str_appendf(pStr, "<g class=\"axes\" stroke=\"#222\" "
      "stroke-width=\"1\">\n<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
      "y2=\"%.2f\"/>\n<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\"/>\n",
      f->x0, yb, f->x0+f->w, yb, f->x0, f->y0, f->x0, yb);
  sqlite3_str_appendall(pStr, "</g>\n<g class=\"ticks\" font-size=\"11\" "
                        "fill=\"#222\">\n");
  /* x: k = 1, then multiples of the step */
  for(k=1; k<=f->kMax; k = (k==1 && step>1.0) ? (int)step : k+(int)step){
    double x = screeX(f, k);
    sqlite3_str_appendf(pStr, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
        "y2=\"%.2f\" stroke=\"#222\"/><text x=\"%.2f\" y=\"%.2f\" "
        "text-anchor=\"middle\">%d</text>\n", x, yb, x, yb+5, x, yb+18, k);
  }
  /* y: 0, 0.2, ... 1, or one tick per decade (fewer when there are many) */
  if( !f->bLog ){
    for(i=0; i<=5; i++){
      double y = screeY(f, i/5.0);
      sqlite3_str_appendf(pStr, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
          "y2=\"%.2f\" stroke=\"#ddd\"/><text x=\"%.2f\" y=\"%.2f\" "
          "text-anchor=\"end\">%s</text>\n", f->x0, y, f->x0+f->w, y,
          f->x0-6, y+4, (const char*[]){"0","0.2","0.4","0.6","0.8","1"}[i]);
    }
  }else{
    int nEvery = (-f->nLoDecade+9)/10;
    for(i=0; i>=f->nLoDecade; i -= nEvery){
      double y = f->y0 + f->h*((double)i/f->nLoDecade);
      char zTick[16];
      if( i>=-2 ){
        sqlite3_snprintf(sizeof(zTick), zTick, "%s",
                         i==0 ? "1" : i==-1 ? "0.1" : "0.01");
      }else{
        sqlite3_snprintf(sizeof(zTick), zTick, "1e%d", i);
      }
      sqlite3_str_appendf(pStr, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
          "y2=\"%.2f\" stroke=\"#ddd\"/><text x=\"%.2f\" y=\"%.2f\" "
          "text-anchor=\"end\">%s</text>\n", f->x0, y, f->x0+f->w, y,
          f->x0-6, y+4, zTick);
    }
  }
  sqlite3_str_appendf(pStr, "</g>\n<text x=\"%.2f\" y=\"%.2f\" "
      "text-anchor=\"middle\" font-size=\"13\">component k</text>\n"
      "<text transform=\"translate(18 %.2f) rotate(-90)\" "
      "text-anchor=\"middle\" font-size=\"13\">\xcf\x83\xe2\x82\x96 / "
      "\xcf\x83\xe2\x82\x81%s</text>\n",
      f->x0+f->w/2, yb+42, f->y0+f->h/2, f->bLog ? " (log scale)" : "");
}

/* One series: its line (one path, broken where a point is missing), its
** markers and its legend entry. */
static void screeSeries(sqlite3_str *pStr, const ScreeFrame *f,
                        const ScreeSeries *pS, int iSeries, double xLegend){
  const char *zColour = azScreeColour[iSeries%10];
  const char *zDash = azScreeDash[(iSeries/10)%4];
  double r = f->kMax<=50 ? 3.0 : f->kMax<=200 ? 2.0 : 1.2;
  double yLegend = f->y0 + 6 + SCREE_LEGEND_ROW*iSeries;
  int k, bPen = 0;

  sqlite3_str_appendf(pStr, "<g class=\"group\" stroke=\"%s\" fill=\"%s\">\n"
      "<path class=\"series\" fill=\"none\" stroke-width=\"1.6\"%s%s%s d=\"",
      zColour, zColour, zDash[0] ? " stroke-dasharray=\"" : "", zDash,
      zDash[0] ? "\"" : "");
  for(k=1; k<=pS->nVal; k++){
    double y = screeY(f, pS->aRatio[k-1]);
    if( isnan(y) ){
      bPen = 0;
      continue;
    }
    sqlite3_str_appendf(pStr, "%s%.2f %.2f", bPen ? " L" : (k>1 ? " M" : "M"),
                        screeX(f, k), y);
    bPen = 1;
  }
  sqlite3_str_appendall(pStr, "\"/>\n");
  for(k=1; k<=pS->nVal; k++){
    double y = screeY(f, pS->aRatio[k-1]);
    if( isnan(y) ) continue;
    sqlite3_str_appendf(pStr, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.1f\" "
                        "stroke=\"none\"/>", screeX(f, k), y, r);
  }
  sqlite3_str_appendf(pStr, "\n<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" "
      "y2=\"%.2f\" stroke-width=\"1.6\"%s%s%s/><circle cx=\"%.2f\" "
      "cy=\"%.2f\" r=\"3\" stroke=\"none\"/>\n<text x=\"%.2f\" y=\"%.2f\" "
      "stroke=\"none\" fill=\"#222\" font-size=\"12\">%s</text>\n</g>\n",
      xLegend, yLegend, xLegend+24, yLegend,
      zDash[0] ? " stroke-dasharray=\"" : "", zDash, zDash[0] ? "\"" : "",
      xLegend+12, yLegend, xLegend+30, yLegend+4, pS->zLabel);
}

/* svd_scree_svg(LABEL, SPECTRUM [, OPTIONS]): final */
void screeFinal(sqlite3_context *ctx){
  ScreeAgg *p = sqlite3_aggregate_context(ctx, 0);
  sqlite3_str *pStr;
  ScreeFrame f;
  double rMin = 1.0, wLegend;
  int i, k, nLabel = 4, height;
  char *zSvg;

  if( p==0 ) return;
  if( p->nSeries==0 ){
    screeFree(p);
    return;
  }
  memset(&f, 0, sizeof(f));
  f.bLog = p->opt.bLog;
  f.kMax = 1;
  for(i=0; i<p->nSeries; i++){
    const ScreeSeries *pS = &p->aSeries[i];
    int nChar = 0;
    const char *z;
    if( pS->nVal>f.kMax ) f.kMax = pS->nVal;
    for(k=0; k<pS->nVal; k++){
      if( pS->aRatio[k]>0.0 && pS->aRatio[k]<rMin ) rMin = pS->aRatio[k];
    }
    for(z=pS->zLabel; *z; z++){
      if( *z=='&' ) while( *z!=';' ) z++;       /* an entity is one */
      if( (*z & 0xc0)!=0x80 ) nChar++;
    }
    if( nChar>nLabel ) nLabel = nChar;
  }
  /* Ratios below 1e-20 of sigma_1 are rounding noise: not worth decades. */
  f.nLoDecade = (int)floor(log10(rMin));
  if( f.nLoDecade>-1 ) f.nLoDecade = -1;
  if( f.nLoDecade<-20 ) f.nLoDecade = -20;
  wLegend = 50 + 7.0*nLabel;
  f.x0 = SCREE_LEFT;
  f.y0 = SCREE_TOP;
  f.w = SCREE_WIDTH - SCREE_LEFT - wLegend - 20;
  if( f.w<200 ) f.w = 200;
  height = SCREE_TOP + SCREE_LEGEND_ROW*p->nSeries + 20;
  if( height<SCREE_MIN_H ) height = SCREE_MIN_H;
  f.h = height - SCREE_TOP - SCREE_BOTTOM;

  pStr = sqlite3_str_new(0);
  sqlite3_str_appendf(pStr, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      "<text x=\"%.2f\" y=\"24\" font-size=\"14\">Scree plot: "
      "\xcf\x83\xe2\x82\x96 / \xcf\x83\xe2\x82\x81 by component</text>\n",
      (int)(f.x0 + f.w + wLegend + 20), height,
      (int)(f.x0 + f.w + wLegend + 20), height, f.x0);
  screeAxes(pStr, &f);
  for(i=0; i<p->nSeries; i++){
    screeSeries(pStr, &f, &p->aSeries[i], i, f.x0 + f.w + 20);
  }
  sqlite3_str_appendall(pStr, "</svg>\n");
  if( sqlite3_str_errcode(pStr) ){
    sqlite3_free(sqlite3_str_finish(pStr));
    sqlite3_result_error_nomem(ctx);
  }else{
    int n = sqlite3_str_length(pStr);
    zSvg = sqlite3_str_finish(pStr);
    sqlite3_result_text(ctx, zSvg, n, sqlite3_free);
  }
  screeFree(p);
}
