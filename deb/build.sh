#!/bin/sh
# deb/build.sh: the Debian package of sqlite-svd, built with dpkg-deb from a
# staging tree (no source package, no debhelper).
#
#   sh deb/build.sh build/deb/mod_svd.so dist     (what `make deb` runs)
#
# takes the library `make deb` compiled (with a SONAME and Debian's hardening
# flags) and writes dist/sqlite-svd_<version>_<arch>.deb, where version is ext/version.h's
# SVD_VERSION and arch is `dpkg --print-architecture`. The package holds:
#
#   /usr/lib/<multiarch>/mod_svd.so     found by `.load mod_svd`: a bare name
#                                       goes to dlopen(), which searches the
#                                       dynamic linker's default directories,
#                                       as for mod_spatialite; SQLite derives
#                                       the entry point sqlite3_modsvd_init
#                                       from the file name (ext/svd.c has it);
#                                       a trigger runs ldconfig, as for any
#                                       library with a SONAME there
#   /usr/share/doc/sqlite-svd/          copyright (deb/copyright), README.md.gz
#                                       and changelog.gz (a native package's
#                                       name for it)
#
# Depends: what dpkg-shlibdeps finds the library linked against (libc6,
# libjansson4, liblapacke, libopenblas0), plus libsqlite3-0. The library does
# not link libsqlite3: it calls SQLite through the host's API table, laid out
# as in the sqlite3.h it was compiled with, and the loader does not check the
# table's length; so the package asks for at least that SQLite.
set -eu

so=$1
out=$2
name=sqlite-svd
version=$(sed -n 's/^#define SVD_VERSION "\(.*\)"$/\1/p' ext/version.h)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
sqlite=$(pkg-config --modversion sqlite3)
maintainer=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || true)}
[ -n "$version" ] || { echo "deb/build.sh: no SVD_VERSION in ext/version.h" >&2; exit 1; }
[ -n "$maintainer" ] || { echo "deb/build.sh: set DEB_MAINTAINER='Name <address>'" >&2; exit 1; }

# dpkg-shlibdeps wants a debian/control above the package's tree
stage=build/deb/pkg
root=$stage/debian/$name
doc=$root/usr/share/doc/$name
lib=$root/usr/lib/$multiarch
umask 022
rm -rf "$stage"
install -d -m 0755 "$root/DEBIAN" "$lib" "$doc"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" > "$stage/debian/control"

install -m 0644 "$so" "$lib/mod_svd.so"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$lib/mod_svd.so"

install -m 0644 deb/copyright "$doc/copyright"
gzip -9n < README.md > "$doc/README.md.gz"
# the date of the commit built, so that the same commit gives the same file
date=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the repository by make deb; see README.md.gz.\n\n -- %s  %s\n' \
  "$name" "$version" "$maintainer" "$date" | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/README.md.gz" "$doc/changelog.gz"

shlibs=$(cd "$stage" && dpkg-shlibdeps -O "debian/$name/usr/lib/$multiarch/mod_svd.so" |
         sed -n 's/^shlibs:Depends=//p')
(cd "$root" && find usr -type f -exec md5sum {} +) > "$root/DEBIAN/md5sums"
echo 'activate-noawait ldconfig' > "$root/DEBIAN/triggers"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/triggers"
size=$(du -sk "$root/usr" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
    -e "s|@DEPENDS@|$shlibs, libsqlite3-0 (>= $sqlite)|" -e "s|@SIZE@|$size|" \
    deb/control.in > "$root/DEBIAN/control"

mkdir -p "$out"
dpkg-deb --build --root-owner-group "$root" "$out/${name}_${version}_${arch}.deb"
