"""make bench: sqlite-svd against numpy on the same data, in the same run.

    /usr/bin/python3 tests/bench.py --ext dist/svd [--only ROWS] [--runs N]
        [--sides ours,numpy,numpy1,floor] [--coretype NAME] [--big-numpy] [--quick]

Data sets are built once and cached under build/bench/ (about 5.6 GB):

  glove      341,479 x 100: examples/glove.db when `make glove` has made it,
             else synthesized with the same shape
  gpt2       50,257 x 768, synthetic: shared mean 1e3 times the spread's
             scale and a decaying spectrum, like a model's token embeddings
  groups     10,000 groups x 20 rows x 768 in emb(id, grp, cat, vec): grp,
             indexed (as one would create for a GROUP BY), puts 20
             consecutive rows in a group; cat, not indexed, puts 20 rows
             scattered over the table in a group
  groups50   2,000 groups x 50 x 768, the same table shape
  groups200  1,000 groups x 200 x 100 (GloVe-like), the same table shape
  big        2,000,000 x 256, one group, for our memory (once; numpy only
             with --big-numpy: 4 GB and about 2.5 minutes more)

Rows (--only takes their names, comma-separated, or groupby for the five
GROUP BY rows): glove, gpt2, groups (GROUP BY grp), groups-gram (the same
with method=gram), groups-unindexed (GROUP BY cat: SQLite sorts the table
first, for our query, numpy's read and the floor alike), groups50,
groups200, big, and

  import  500,000 x 256 float32 .npy (512 MB) into a new table: ours
          INSERT ... SELECT FROM emb_read_npy(), numpy's np.load plus
          executemany of the rows' BLOBs; the table shows rows per second
  shards  the big data set split into 8 shard files, its spectrum by
          examples/shards.py (svd_state per shard, svd_merge in a tree) on
          a local Dask cluster of 2 worker processes, started by the run
          and counted in its time (twice with --runs 5 or more, else
          once), against the single-file query; the table shows both
          times and how far the two spectra differ

Each workload runs --runs times (default 3; big once), each time in fresh
child processes, one after the other: ours; numpy with OpenBLAS's default
threads; numpy with OPENBLAS_NUM_THREADS=1 (the faster is "best numpy":
OpenBLAS's threads slow numpy down on small matrices); the SQLite read
floor, the same query shape (same GROUP BY, plan checked equal) with
count(*), sum(length(vec)) in place of the spectrum. The table shows the
median wall time of each, best numpy / ours, ours / floor, the target and
our child's peak RSS (ru_maxrss); groups-gram reuses the numpy and floor
times of groups. End to end means from the query's start to the spectrum
in hand; for numpy, Python's sqlite3 read, np.frombuffer, centering in
float64 and np.linalg.svd(..., compute_uv=False), per group for GROUP BY
(numpy reads the rows in stored order and groups them in a dict; for
groups-unindexed it reads them ORDER BY cat). The thread variables
(THREAD_VARS) are removed from every child's environment.

The GROUP BY rows also check accuracy, untimed, on about 200 groups: our
spectrum against numpy's (default method: every sigma within 1e-12
sigma_1; method=gram: every sigma^2 within 1e-12 sigma_1^2; both: the last
sigma exactly 0 when n <= d). A failed check, or a floor whose query plan
differs from ours, makes the exit status 1 (after the table).

--sides skips sides (e.g. ours,numpy1 while tuning a kernel); --quick uses
data sets a tenth the size (build/bench/quick/) and one run, to check the
bench itself, not to quote.
"""
import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "build", "bench")
PY = "/usr/bin/python3"
SCALE = 1      # --quick: 10, every data set a tenth the size

# rows, dimensions, rows per group (None: one group), the mean's scale
SETS = {
    "glove": (341479, 100, None, 1.0),
    "gpt2": (50257, 768, None, 1e3),
    "groups": (200000, 768, 20, 1.0),
    "groups50": (100000, 768, 50, 1.0),
    "groups200": (200000, 100, 200, 1.0),
    "big": (2000000, 256, None, 1.0),
}
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
SIDES = ("ours", "numpy", "numpy1", "floor")

# our query, or the floor's: the same script, only the query differs
OURS = r"""
import resource, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.enable_load_extension(True)
db.load_extension(sys.argv[2])
t = time.perf_counter()
rows = db.execute(sys.argv[3]).fetchall()
dt = time.perf_counter() - t
assert rows and all(r[-1] for r in rows), "no result"
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, len(rows))
"""

NUMPY_ONE = r"""
import resource, sqlite3, sys, time
import numpy as np
db = sqlite3.connect(sys.argv[1])
t = time.perf_counter()
blobs = [r[0] for r in db.execute("SELECT vec FROM emb")]
x = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1).astype(np.float64)
del blobs
x -= x.mean(axis=0)
s = np.linalg.svd(x, compute_uv=False)
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 1)
"""

# argv[2] reads (group, vec) rows: in stored order, or sorted by SQLite
NUMPY_GROUPS = r"""
import resource, sqlite3, sys, time
import numpy as np
db = sqlite3.connect(sys.argv[1])
t = time.perf_counter()
groups = {}
for g, v in db.execute(sys.argv[2]):
    groups.setdefault(g, []).append(v)
out = {}
for g, blobs in groups.items():
    x = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1).astype(np.float64)
    x -= x.mean(axis=0)
    out[g] = np.linalg.svd(x, compute_uv=False)
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, len(out))
"""

# our spectra of a sample of groups against numpy's; prints the number of
# groups, the largest |sigma - numpy's| / sigma_1, the largest
# |sigma^2 - numpy's| / sigma_1^2, and how many n <= d groups did not end
# in an exact 0
ACCURACY = r"""
import json, sqlite3, sys
import numpy as np
path, ext, col, opt, every = sys.argv[1:6]
db = sqlite3.connect(path)
db.enable_load_extension(True)
db.load_extension(ext)
where = "WHERE %s %% %d = 0" % (col, int(every))
ours = dict(db.execute("SELECT %s, svd_spectrum(vec%s) FROM emb %s GROUP BY %s"
                       % (col, opt, where, col)))
groups = {}
for g, v in db.execute("SELECT %s, vec FROM emb %s" % (col, where)):
    groups.setdefault(g, []).append(v)
err = err2 = 0.0
nonzero = 0
for g, blobs in groups.items():
    x = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1).astype(np.float64)
    x -= x.mean(axis=0)
    want = np.linalg.svd(x, compute_uv=False)
    got = np.array(json.loads(ours[g]))
    assert got.shape == want.shape, (g, got.shape, want.shape)
    err = max(err, float(np.max(np.abs(got - want))) / want[0])
    err2 = max(err2, float(np.max(np.abs(got ** 2 - want ** 2))) / want[0] ** 2)
    nonzero += x.shape[0] <= x.shape[1] and got[-1] != 0.0
print(len(groups), err, err2, nonzero)
"""

BUILD = r"""
import sqlite3, sys
import numpy as np
path, n, d, size, spread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
rng = np.random.default_rng(2026)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=OFF")
db.execute("PRAGMA synchronous=OFF")
if size:
    db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, grp INTEGER, cat INTEGER, vec BLOB)")
    # cat: groups of the same size whose rows are scattered over the table
    cat = np.random.default_rng(7).permutation(n) // size
else:
    db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, vec BLOB)")
# a decaying spectrum around a shared mean `spread` times the smallest scale
scale = 0.97 ** np.arange(d)
mean = rng.normal(size=d) * spread
chunk = 50000
for start in range(0, n, chunk):
    m = min(chunk, n - start)
    x = (mean + rng.normal(size=(m, d)) * scale).astype("<f4")
    if size:
        rows = [(start + i, (start + i) // size, int(cat[start + i]), x[i].tobytes())
                for i in range(m)]
        db.executemany("INSERT INTO emb VALUES (?, ?, ?, ?)", rows)
    else:
        db.executemany("INSERT INTO emb VALUES (?, ?)",
                       [(start + i, x[i].tobytes()) for i in range(m)])
if size:
    # GROUP BY grp then walks the index in order; GROUP BY cat sorts the
    # whole table through a temporary file first
    db.execute("CREATE INDEX emb_grp ON emb(grp)")
db.commit()
db.close()
"""


# which kernels OpenBLAS picked (numpy and the extension load the same one)
CORE = r"""
import ctypes, ctypes.util
lib = ctypes.CDLL("libopenblas.so.0")
lib.openblas_get_corename.restype = ctypes.c_char_p
print(lib.openblas_get_corename().decode())
"""


IMPORT_OURS = r"""
import os, resource, sqlite3, sys, time
if os.path.exists(sys.argv[2]): os.remove(sys.argv[2])
db = sqlite3.connect(sys.argv[2])
db.enable_load_extension(True)
db.load_extension(sys.argv[3])
t = time.perf_counter()
db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, vec BLOB)")
db.execute("INSERT INTO emb SELECT i, vec FROM emb_read_npy(?)", (sys.argv[1],))
db.commit()
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 1)
"""

IMPORT_NUMPY = r"""
import os, resource, sqlite3, sys, time
import numpy as np
if os.path.exists(sys.argv[2]): os.remove(sys.argv[2])
db = sqlite3.connect(sys.argv[2])
t = time.perf_counter()
x = np.load(sys.argv[1])
db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, vec BLOB)")
db.executemany("INSERT INTO emb VALUES (?, ?)", ((i, r.tobytes()) for i, r in enumerate(x)))
db.commit()
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, 1)
"""

IMPORT_ROWS = 500000


def shape(kind):
    """(rows, dimensions, rows per group or None, mean scale), --quick scaled."""
    n, d, size, spread = SETS[kind]
    return n // SCALE, d, size, spread


def import_file():
    path = os.path.join(CACHE, "import.npy")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        print(f"bench: building {path} (once) ...", flush=True)
        subprocess.run([PY, "-c", "import numpy as np, sys; np.save(sys.argv[1], "
                        "np.random.default_rng(1).normal(size=(%d, 256)).astype('<f4'))"
                        % (IMPORT_ROWS // SCALE), path + ".tmp.npy"], check=True)
        os.replace(path + ".tmp.npy", path)
    return path


def stale(path, n, size):
    """Whether a cached data set has another size, or lacks the cat column
    (a groups.db of an earlier bench)."""
    db = sqlite3.connect(path)
    try:
        cols = [r[1] for r in db.execute("PRAGMA table_info(emb)")]
        return db.execute("SELECT max(id) + 1 FROM emb").fetchone()[0] != n or \
            (size and "cat" not in cols)
    finally:
        db.close()


def dataset(kind):
    if kind == "glove" and SCALE == 1:
        real = os.path.join(ROOT, "examples", "glove.db")
        if os.path.exists(real):
            return real, "GloVe, make glove"
    path = os.path.join(CACHE, kind + ".db")
    n, d, size, spread = shape(kind)
    if not os.path.exists(path) or stale(path, n, size):
        os.makedirs(CACHE, exist_ok=True)
        print(f"bench: building {path} (once) ...", flush=True)
        if os.path.exists(path + ".tmp"):
            os.remove(path + ".tmp")
        subprocess.run([PY, "-c", BUILD, path + ".tmp", str(n), str(d), str(size or 0),
                        str(spread)], check=True)
        os.replace(path + ".tmp", path)
    return path, "synthetic"

SHARDS = 8


def shard_files(big):
    """The big data set split into SHARDS files, rows by id modulo SHARDS."""
    folder = os.path.join(CACHE, "shards")
    paths = [os.path.join(folder, f"shard-{i}.db") for i in range(SHARDS)]
    if not all(os.path.exists(p) for p in paths):
        os.makedirs(folder, exist_ok=True)
        print(f"bench: splitting {big} into {SHARDS} shards (once) ...", flush=True)
        for i, path in enumerate(paths):
            if os.path.exists(path + ".tmp"):
                os.remove(path + ".tmp")
            db = sqlite3.connect(path + ".tmp")
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("ATTACH ? AS big", (big,))
            db.execute("CREATE TABLE emb AS SELECT * FROM big.emb WHERE id % ? = ?", (SHARDS, i))
            db.commit()
            db.close()
            os.replace(path + ".tmp", path)
    return paths


def bench_shards(ext, env, runs):
    """(single-file seconds, sharded seconds, sigma^2 difference / sigma_1^2,
    largest relative difference of the sigma >= 1e-3 sigma_1)."""
    big, _ = dataset("big")
    paths = shard_files(big)
    single, sharded = [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([PY, "-c", OURS_SPECTRUM, big, ext], check=True,
                             stdout=subprocess.PIPE, text=True, env=env).stdout
        single.append(time.perf_counter() - t)
        want = json.loads(out)
        t = time.perf_counter()
        out = subprocess.run([PY, os.path.join(ROOT, "examples", "shards.py"), "--ext", ext,
                              "--query", "SELECT 'all', vec FROM emb"] + paths, check=True,
                             stdout=subprocess.PIPE, text=True, env=env).stdout
        sharded.append(time.perf_counter() - t)
        got = json.loads(out.split("\t", 1)[1])
    s1 = want[0]
    err2 = max(abs((g / s1) ** 2 - (w / s1) ** 2) for g, w in zip(got, want))
    rel = max(abs(g - w) / w for g, w in zip(got, want) if w >= 1e-3 * s1)
    return statistics.median(single), statistics.median(sharded), err2, rel


OURS_SPECTRUM = r"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.enable_load_extension(True)
db.load_extension(sys.argv[2])
print(db.execute("SELECT svd_spectrum(vec) FROM emb").fetchone()[0])
"""


def better_kernels(core):
    """(feature, OPENBLAS_CORETYPE) when OpenBLAS chose Prescott on a CPU
    that has AVX-512 or AVX2, as OpenBLAS 0.3.21 does on CPUs newer than it."""
    if core != "Prescott":
        return None
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    except OSError:
        return None
    if "avx512f" in flags and "avx512vl" in flags:
        return ("AVX-512", "SkylakeX")
    if "avx2" in flags and "fma" in flags:
        return ("AVX2", "Haswell")
    return None


def child(script, args, env=None):
    out = subprocess.run([PY, "-c", script] + args, check=True, stdout=subprocess.PIPE,
                         text=True, env=env).stdout.split()
    return float(out[0]), int(out[1])


def workloads():
    """(name, data set, label, our query, floor query, numpy script and its
    arguments, target, accuracy check) for each row but import and shards.
    A target is (best numpy / ours at least, stretch, ours / floor at most);
    an accuracy check is (group column, OPTIONS argument, bound)."""
    one = "SELECT svd_spectrum(vec) FROM emb"
    one_floor = "SELECT count(*), sum(length(vec)) FROM emb"

    def by(col, opt=""):
        return f"SELECT {col}, svd_spectrum(vec{opt}) FROM emb GROUP BY {col}"

    def by_floor(col):
        return f"SELECT {col}, count(*), sum(length(vec)) FROM emb GROUP BY {col}"

    def dims(kind):
        n, d, size, _ = shape(kind)
        return f"{n // size:,} groups × {size} × {d}" if size else f"{n:,} × {d}"

    stored, sorted_cat = [NUMPY_GROUPS, "SELECT grp, vec FROM emb"], \
        [NUMPY_GROUPS, "SELECT cat, vec FROM emb ORDER BY cat"]
    return [
        ("glove", "glove", "GloVe " + dims("glove"), one, one_floor, [NUMPY_ONE], (6, None, None), None),
        ("gpt2", "gpt2", dims("gpt2") + ", mean 1e3", one, one_floor, [NUMPY_ONE], (3, None, None), None),
        ("groups", "groups", dims("groups") + ", GROUP BY an indexed column", by("grp"),
         by_floor("grp"), stored, (4, 8, 3), ("grp", "", "exact")),
        ("groups-gram", "groups", "the same with method=gram", by("grp", ", 'method=gram'"),
         by_floor("grp"), stored, None, ("grp", ", 'method=gram'", "gram")),
        ("groups-unindexed", "groups", dims("groups") + ", GROUP BY a column without index",
         by("cat"), by_floor("cat"), sorted_cat, (None, None, 3), ("cat", "", "exact")),
        ("groups50", "groups50", dims("groups50") + ", GROUP BY an indexed column", by("grp"),
         by_floor("grp"), stored, (4, 8, None), ("grp", "", "exact")),
        ("groups200", "groups200", dims("groups200") + ", GROUP BY an indexed column", by("grp"),
         by_floor("grp"), stored, (4, 8, None), ("grp", "", "exact")),
        ("big", "big", dims("big"), one, one_floor, [NUMPY_ONE], None, None),
    ]


def plan(path, ext, query):
    db = sqlite3.connect(path)
    db.enable_load_extension(True)
    db.load_extension(ext)
    try:
        return [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + query)]
    finally:
        db.close()


def accuracy(path, ext, kind, check):
    """(text, passed) comparing a sample of about 200 groups with numpy."""
    col, opt, bound = check
    n, d, size, _ = shape(kind)
    every = max(1, n // size // 200)
    out = subprocess.run([PY, "-c", ACCURACY, path, ext, col, opt, str(every)], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.split()
    groups, err, err2, nonzero = int(out[0]), float(out[1]), float(out[2]), int(out[3])
    ok = (err <= 1e-12 if bound == "exact" else err2 <= 1e-12) and nonzero == 0
    text = (f"{groups} groups against numpy: sigma within {err:.2g} sigma_1, sigma^2 within "
            f"{err2:.2g} sigma_1^2 (bound 1e-12 on {'sigma' if bound == 'exact' else 'sigma^2'})"
            + (f", {nonzero} groups of n <= d not ending in an exact 0" if size <= d else "")
            + ("" if ok else ": FAILED"))
    return text, ok


def cell(t):
    return f"{t:.3f} s" if t is not None else "—"


def ratio(a, b):
    return f"{a / b:.1f}×" if a is not None and b is not None else "—"


def target_text(target):
    if target is None:
        return ""
    low, stretch, floor = target
    parts = [f"≥ {low}× numpy" + (f" (stretch {stretch}×)" if stretch else "")] if low else []
    return ", ".join(parts + ([f"≤ {floor}× floor"] if floor else []))


def missed(name, target, best, ours, floor):
    if target is None or ours is None:
        return []
    low, _, most = target
    out = []
    if low and best is not None and best / ours < low:
        out.append(f"{name}: missed: best numpy / ours {best / ours:.1f}× < {low}×")
    if most and floor is not None and ours / floor > most:
        out.append(f"{name}: missed: ours / floor {ours / floor:.1f}× > {most}×")
    return out


def main():
    global CACHE, SCALE
    ap = argparse.ArgumentParser()
    ap.add_argument("--ext", default="dist/svd")
    ap.add_argument("--runs", type=int, default=None, help="default 3, --quick 1")
    ap.add_argument("--only", default="", help="rows, comma-separated; groupby: every GROUP BY row")
    ap.add_argument("--sides", default=",".join(SIDES), help="of " + ",".join(SIDES))
    ap.add_argument("--quick", action="store_true", help="data sets a tenth the size")
    ap.add_argument("--big-numpy", action="store_true", help="numpy on big too")
    ap.add_argument("--coretype", default="",
                    help="OPENBLAS_CORETYPE for both sides, e.g. Haswell, where "
                         "OpenBLAS does not recognize the CPU and falls back to Prescott")
    args = ap.parse_args()
    start = time.perf_counter()
    if args.quick:
        SCALE, CACHE = 10, os.path.join(CACHE, "quick")
    runs_default = args.runs or (1 if args.quick else 3)
    sides = set(args.sides.split(","))
    if not sides <= set(SIDES):
        ap.error(f"--sides takes {','.join(SIDES)}")
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARS}
    if args.coretype:
        env["OPENBLAS_CORETYPE"] = args.coretype
    env1 = dict(env, OPENBLAS_NUM_THREADS="1")
    ext = os.path.abspath(args.ext)
    work = workloads()
    only = set()
    for name in filter(None, args.only.split(",")):
        only |= {w[0] for w in work if w[1].startswith("groups")} if name == "groupby" else {name}
    known = {w[0] for w in work} | {"import", "shards"}
    if only - known:
        ap.error(f"--only: unknown {','.join(sorted(only - known))}; rows: {','.join(sorted(known))}, groupby")

    measured = {}   # (side, script, arguments) -> seconds of each run
    rows, notes, failed = [], [], False
    for name, kind, label, query, floor, numpy, target, check in work:
        if only and name not in only:
            continue
        path, origin = dataset(kind)
        if plan(path, ext, query) != plan(path, ext, floor):
            notes.append(f"{name}: the floor's query plan differs from ours: FAILED")
            failed = True
        runs = 1 if name == "big" else runs_default
        skip = {"numpy", "numpy1"} if name == "big" and not args.big_numpy else set()
        jobs = {"ours": (OURS, [path, ext, query], env),
                "numpy": (numpy[0], [path] + numpy[1:], env),
                "numpy1": (numpy[0], [path] + numpy[1:], env1),
                "floor": (OURS, [path, ext, floor], env)}
        key = {side: (side, job[0], tuple(job[1])) for side, job in jobs.items()}
        todo = [side for side in SIDES if side in sides - skip and key[side] not in measured]
        rss = []
        for _ in range(runs):
            for side in todo:
                t, r = child(*jobs[side])
                measured.setdefault(key[side], []).append(t)
                if side == "ours":
                    rss.append(r)
        mo, nd, n1, fl = (statistics.median(measured[key[side]]) if key[side] in measured
                          else None for side in SIDES)
        best = min((t for t in (nd, n1) if t is not None), default=None)
        rows.append((name, f"{label} ({origin})", mo, nd, n1, best, fl, target, max(rss, default=None)))
        print(f"bench: {name}: ours {cell(mo)}, numpy {cell(nd)}, numpy 1 thread {cell(n1)}, "
              f"floor {cell(fl)}", flush=True)
        notes += missed(name, target, best, mo, fl)
        if check and "ours" in sides:
            text, ok = accuracy(path, ext, kind, check)
            notes.append(f"{name}: {text}")
            print(f"bench: {name}: {text}", flush=True)
            failed |= not ok

    print()
    core = subprocess.run([PY, "-c", CORE], stdout=subprocess.PIPE, text=True,
                          env=env).stdout.strip()
    print(f"sqlite-svd bench, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}, OpenBLAS kernels: {core}"
          + (", --quick (a tenth the data)" if args.quick else ""))
    hint = better_kernels(core)
    if hint:
        print(f"(OpenBLAS fell back to its generic kernels on a CPU with {hint[0]}: "
              f"BENCH_ARGS='--coretype {hint[1]}' measures both sides with them)")
    print()
    print("| workload | ours | numpy, default threads | numpy, 1 thread | best numpy / ours "
          "| SQLite read floor | ours / floor | target | our peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    bound = 64 * 2**20 + 3 * 256 * 256 * 8
    for name, label, mo, nd, n1, best, fl, target, rss in rows:
        tgt = f"RSS ≤ {bound / 2**20:.1f} MiB" if name == "big" else target_text(target)
        print(f"| {label} | {cell(mo)} | {cell(nd)} | {cell(n1)} | {ratio(best, mo)} | {cell(fl)} "
              f"| {ratio(mo, fl)} | {tgt} | {f'{rss / 2**20:.0f} MiB' if rss else '—'} |")
    if not only or "import" in only:
        npy = import_file()
        out = os.path.join(CACHE, "import_out.db")
        times, rss = {}, []
        for _ in range(runs_default):
            for side, script, argv, e in (("ours", IMPORT_OURS, [npy, out, ext], env),
                                          ("numpy", IMPORT_NUMPY, [npy, out], env),
                                          ("numpy1", IMPORT_NUMPY, [npy, out], env1)):
                if side in sides:
                    t, r = child(script, argv, e)
                    times.setdefault(side, []).append(t)
                    if side == "ours":
                        rss.append(r)
        if os.path.exists(out):
            os.remove(out)
        med = {s: statistics.median(t) for s, t in times.items()}
        rows_n = IMPORT_ROWS // SCALE

        def rate(side):
            return f"{rows_n / med[side]:,.0f} rows/s ({med[side]:.3f} s)" if side in med else "—"
        best = min((med[s] for s in ("numpy", "numpy1") if s in med), default=None)
        print(f"| import .npy, {rows_n:,} × 256, into a table | {rate('ours')} | {rate('numpy')} "
              f"| {rate('numpy1')} | {ratio(best, med.get('ours'))} | — | — | | "
              f"{f'{max(rss) / 2**20:.0f} MiB' if rss else '—'} |")
    if not only or "shards" in only:
        single, sharded, err2, rel = bench_shards(ext, env, 1 if runs_default < 5 else 2)
        print(f"| {shape('big')[0]:,} × 256 in {SHARDS} shard files, Dask (2 workers, start-up "
              f"included) | {sharded:.3f} s | our single file: {single:.3f} s | — "
              f"| {single / sharded:.2f}× | — | — | | |")
        notes.append(f"shards: the merged spectrum against the single file's: sigma^2 within "
                     f"{err2:.2g} of sigma_1^2 (gram bound 1e-12), sigma >= 1e-3 sigma_1 within "
                     f"{rel:.2g} relative")
    big = [r for r in rows if r[0] == "big" and r[8]]
    if big:
        notes.append(f"RSS bound for {shape('big')[0]:,} × 256: 64 MiB + 3*d^2*8 = "
                     f"{bound / 2**20:.1f} MiB; ours {big[0][8] / 2**20:.1f} MiB "
                     f"({'within' if big[0][8] <= bound else 'ABOVE'})")
    print()
    for note in notes:
        print(note)
    print(f"bench: {time.perf_counter() - start:.0f} s in all")
    if failed:
        print("bench: FAILED (see above)")
        sys.exit(1)


if __name__ == "__main__":
    main()
