/*
** options.h: the OPTIONS text of svd_spectrum(X, OPTIONS) and its kin,
** 'center=true|false', comma-separated key=value pairs.
*/
#ifndef SVD_OPTIONS_H
#define SVD_OPTIONS_H

#include "sqlite3ext.h"

typedef struct SvdOptions SvdOptions;
struct SvdOptions {
  int bCenter;            /* center=true (default) or false */
};

/*
** Parse pVal (TEXT or NULL; NULL and '' mean the defaults) into *pOpt. On
** error returns SQLITE_ERROR with *pzErr = "zFunc(): ..." from
** sqlite3_mprintf, or SQLITE_NOMEM.
*/
int optParse(sqlite3_value *pVal, const char *zFunc, SvdOptions *pOpt,
             char **pzErr);

#endif /* SVD_OPTIONS_H */
