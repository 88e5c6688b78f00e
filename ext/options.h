/*
** options.h: the OPTIONS text of svd_spectrum(X, OPTIONS) and its kin,
** comma-separated key=value pairs such as 'center=false' or 'log=true'.
*/
#ifndef SVD_OPTIONS_H
#define SVD_OPTIONS_H

#include "sqlite3ext.h"

/* Which keys a function accepts: a mask for optParse(). */
#define OPT_CENTER 0x1        /* center=true|false, default true */
#define OPT_LOG    0x2        /* log=true|false, default false */
#define OPT_METHOD 0x4        /* method=auto|exact|gram, default auto */

/* Values of SvdOptions.eMethod */
#define OPT_METHOD_AUTO  0
#define OPT_METHOD_EXACT 1
#define OPT_METHOD_GRAM  2

typedef struct SvdOptions SvdOptions;
struct SvdOptions {
  int bCenter;            /* center=true (default) or false */
  int bLog;               /* log=true, or false (default) */
  int eMethod;            /* OPT_METHOD_AUTO (default), _EXACT or _GRAM */
};

/*
** The text of OPTIONS pVal in *pz, "" when pVal is 0 (not given) or NULL.
** Any other type than TEXT is an error ("zFunc(): OPTIONS is an INTEGER;
** ..."), whichever row of an aggregate it comes on: SQLITE_ERROR with
** *pzErr from sqlite3_mprintf, or SQLITE_NOMEM.
*/
int optText(sqlite3_value *pVal, const char *zFunc, unsigned mKeys,
            const char **pz, char **pzErr);

/*
** Parse pVal (TEXT or NULL; NULL and '' mean the defaults) into *pOpt,
** accepting the keys in mKeys (OPT_* bits). On error returns SQLITE_ERROR
** with *pzErr = "zFunc(): ..." from sqlite3_mprintf, or SQLITE_NOMEM.
*/
int optParse(sqlite3_value *pVal, const char *zFunc, unsigned mKeys,
             SvdOptions *pOpt, char **pzErr);

/*
** OPTIONS of one row of an aggregate's group: on the first row (*pzText
** 0) parse pVal into *pOpt and keep its text in *pzText (sqlite3_mprintf;
** the caller frees it); on later rows require the same text ("zFunc():
** OPTIONS changed within a group, from 'a' to 'b'", NULL shown as NULL).
** NULL means the defaults, as '' does. SQLITE_OK, SQLITE_ERROR with
** *pzErr, or SQLITE_NOMEM.
*/
int optGroup(sqlite3_value *pVal, const char *zFunc, unsigned mKeys,
             char **pzText, SvdOptions *pOpt, char **pzErr);

#endif /* SVD_OPTIONS_H */
