/*
** version.h: the one place that says which version this is.
**
** svd_version() returns it; python/ (the wheel), node/ (package.json) and
** `make deb` read it from this line, so the packages cannot drift from it.
*/
#ifndef SVD_VERSION_H
#define SVD_VERSION_H

#define SVD_VERSION "0.5.0"

#endif
