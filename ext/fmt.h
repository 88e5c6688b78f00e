/*
** fmt.h: doubles and float32 as the shortest text that reads back to the
** same value, the way every number the extension prints is written.
**
** No SQLite types and no locale: the decimal point is always '.'.
*/
#ifndef SVD_FMT_H
#define SVD_FMT_H

/*
** The fewest significant digits that read back to v (to the same double,
** or for fmtFloat to the same float32), the nearest to v when several of
** that length do, laid out as C's "%.Pg" lays them out with P = max(15, n)
** for a double of n digits (max(6, n) for a float32): exponent form when
** the decimal exponent X is below -4 or at least P, "1e+20", "2.5e-07",
** fixed form otherwise. Fixed integral values carry ".0" so that the text
** stays a float to a JSON or Python reader: "3.0", "-0.0". Non-finite
** values print as "inf", "-inf", "nan", "-nan". z must hold FMT_MAX
** bytes; returns the length written (the text is 0-terminated).
*/
#define FMT_MAX 32
int fmtDouble(double v, char *z);
int fmtFloat(float v, char *z);

#endif /* SVD_FMT_H */
