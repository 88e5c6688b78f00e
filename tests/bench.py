"""make bench: sqlite-svd against numpy on the same data, in the same run.

    /usr/bin/python3 tests/bench.py --ext dist/svd [--quick]

Data sets are built once and cached under build/bench/ (about 3.5 GB):

  glove   341,479 x 100: examples/glove.db when `make glove` has made it,
          else synthesized with the same shape
  gpt2    50,257 x 768, synthetic: shared mean 1e3 times the spread's scale
          and a decaying spectrum, like a model's token embeddings
  groups  10,000 groups x 20 rows x 768, for GROUP BY, with an index on
          the group column (as one would create for a GROUP BY); run with
          the default (exact) method and, as groups-gram, with method=gram
  big     2,000,000 x 256, one group (ours only for memory; numpy once)
  shards  the big data set split into 8 shard files, its spectrum by
          examples/shards.py (svd_state per shard, svd_merge in a tree) on
          a local Dask cluster of 2 worker processes, started by the run
          and counted in its time, against the single-file query; the
          table shows both times and how far the two spectra differ
  import  500,000 x 256 float32 .npy (512 MB) into a new table: ours
          INSERT ... SELECT FROM emb_read_npy(), numpy's np.load plus
          executemany of the rows' BLOBs; the table shows rows per second

Each workload runs in fresh child processes, ours and numpy's alternately,
and the table shows the median wall time of each, their ratio, and our
child's peak RSS (ru_maxrss). End to end means from the query's start to
the spectrum in hand; for numpy, Python's sqlite3 read, np.frombuffer,
centering in float64 and np.linalg.svd(..., compute_uv=False).
"""
import argparse
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

NUMPY_GROUPS = r"""
import resource, sqlite3, sys, time
import numpy as np
db = sqlite3.connect(sys.argv[1])
t = time.perf_counter()
groups = {}
for g, v in db.execute("SELECT grp, vec FROM emb"):
    groups.setdefault(g, []).append(v)
out = {}
for g, blobs in groups.items():
    x = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1).astype(np.float64)
    x -= x.mean(axis=0)
    out[g] = np.linalg.svd(x, compute_uv=False)
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, len(out))
"""

BUILD = r"""
import sqlite3, sys
import numpy as np
path, kind = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(2026)
db = sqlite3.connect(path)
db.execute("PRAGMA journal_mode=OFF")
db.execute("PRAGMA synchronous=OFF")
if kind == "groups":
    db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, grp INTEGER, vec BLOB)")
else:
    db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, vec BLOB)")
n, d = {"glove": (341479, 100), "gpt2": (50257, 768), "groups": (200000, 768),
        "big": (2000000, 256)}[kind]
# a decaying spectrum around a shared mean 1e3 times the smallest scale
scale = 0.97 ** np.arange(d)
mean = rng.normal(size=d) * (1e3 if kind == "gpt2" else 1.0)
chunk = 50000
for start in range(0, n, chunk):
    m = min(chunk, n - start)
    x = (mean + rng.normal(size=(m, d)) * scale).astype("<f4")
    if kind == "groups":
        rows = [(start + i, (start + i) // 20, x[i].tobytes()) for i in range(m)]
        db.executemany("INSERT INTO emb VALUES (?, ?, ?)", rows)
    else:
        db.executemany("INSERT INTO emb VALUES (?, ?)",
                       [(start + i, x[i].tobytes()) for i in range(m)])
if kind == "groups":
    # GROUP BY then walks the index in order; without it SQLite sorts the
    # whole 614 MB table through a temporary file first
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


def import_file():
    path = os.path.join(CACHE, "import.npy")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        print(f"bench: building {path} (once) ...", flush=True)
        subprocess.run([PY, "-c", "import numpy as np, sys; np.save(sys.argv[1], "
                        "np.random.default_rng(1).normal(size=(%d, 256)).astype('<f4'))" % IMPORT_ROWS,
                        path + ".tmp.npy"], check=True)
        os.replace(path + ".tmp.npy", path)
    return path


def dataset(kind):
    if kind == "glove":
        real = os.path.join(ROOT, "examples", "glove.db")
        if os.path.exists(real):
            return real, "GloVe, make glove"
    path = os.path.join(CACHE, kind + ".db")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        print(f"bench: building {path} (once) ...", flush=True)
        subprocess.run([PY, "-c", BUILD, path + ".tmp", kind], check=True)
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
    import json
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ext", default="dist/svd")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="")
    ap.add_argument("--coretype", default="",
                    help="OPENBLAS_CORETYPE for both sides, e.g. Haswell, where "
                         "OpenBLAS does not recognize the CPU and falls back to Prescott")
    args = ap.parse_args()
    env = dict(os.environ)
    if args.coretype:
        env["OPENBLAS_CORETYPE"] = args.coretype
    ext = os.path.abspath(args.ext)

    work = [
        ("glove", "GloVe 341,479 x 100", "SELECT svd_spectrum(vec) FROM emb", NUMPY_ONE, 6),
        ("gpt2", "50,257 x 768, mean 1e3", "SELECT svd_spectrum(vec) FROM emb", NUMPY_ONE, 3),
        ("groups", "10,000 groups x 20 x 768", "SELECT grp, svd_spectrum(vec) FROM emb GROUP BY grp",
         NUMPY_GROUPS, 8),
        ("groups-gram", "the same, method=gram (n x n Gram)",
         "SELECT grp, svd_spectrum(vec, 'method=gram') FROM emb GROUP BY grp", NUMPY_GROUPS, None),
        ("big", "2,000,000 x 256", "SELECT svd_spectrum(vec) FROM emb", NUMPY_ONE, None),
    ]
    rows = []
    for kind, label, query, numpy_script, target in work:
        if args.only and kind not in args.only.split(","):
            continue
        path, origin = dataset(kind.split("-")[0])
        runs = 1 if kind == "big" else args.runs
        ours, theirs, rss = [], [], []
        for _ in range(runs):
            t, r = child(OURS, [path, ext, query], env)
            ours.append(t)
            rss.append(r)
            t, _ = child(numpy_script, [path], env)
            theirs.append(t)
        mo, mn = statistics.median(ours), statistics.median(theirs)
        rows.append((label + f" ({origin})", mo, mn, mn / mo, max(rss), target))
        print(f"bench: {label}: ours {mo:.3f} s, numpy {mn:.3f} s", flush=True)

    print()
    core = subprocess.run([PY, "-c", CORE], stdout=subprocess.PIPE, text=True,
                          env=env).stdout.strip()
    print(f"sqlite-svd bench, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}, OpenBLAS kernels: {core}")
    hint = better_kernels(core)
    if hint:
        print(f"(OpenBLAS fell back to its generic kernels on a CPU with {hint[0]}: "
              f"BENCH_ARGS='--coretype {hint[1]}' measures both sides with them)")
    print()
    print("| workload | ours (median) | numpy (median) | numpy / ours | target | our peak RSS |")
    print("|---|---|---|---|---|---|")
    for label, mo, mn, ratio, rss, target in rows:
        tgt = f">= {target}x" if target else ("RSS bound" if label.startswith("2,000,000") else "")
        print(f"| {label} | {mo:.3f} s | {mn:.3f} s | {ratio:.1f}x | {tgt} | {rss / 2**20:.0f} MiB |")
    if not args.only or "import" in args.only.split(","):
        npy = import_file()
        out = os.path.join(CACHE, "import_out.db")
        ours, theirs, rss = [], [], []
        for _ in range(args.runs):
            t, r = child(IMPORT_OURS, [npy, out, ext], env)
            ours.append(t)
            rss.append(r)
            t, _ = child(IMPORT_NUMPY, [npy, out], env)
            theirs.append(t)
        os.remove(out)
        mo, mn = statistics.median(ours), statistics.median(theirs)
        print(f"| import .npy, {IMPORT_ROWS:,} x 256, into a table | {IMPORT_ROWS / mo:,.0f} rows/s "
              f"({mo:.3f} s) | {IMPORT_ROWS / mn:,.0f} rows/s ({mn:.3f} s) | {mn / mo:.1f}x | | "
              f"{max(rss) / 2**20:.0f} MiB |")
    if not args.only or "shards" in args.only.split(","):
        single, sharded, err2, rel = bench_shards(ext, env, 1 if args.runs < 3 else 2)
        print(f"| 2,000,000 x 256 in {SHARDS} shard files, Dask (2 workers, start-up included) "
              f"| {sharded:.3f} s | single file (ours): {single:.3f} s | {single / sharded:.2f}x | | |")
        print(f"\nshards: the merged spectrum against the single file's: sigma^2 within "
              f"{err2:.2g} of sigma_1^2 (gram bound 1e-12), sigma >= 1e-3 sigma_1 within "
              f"{rel:.2g} relative")
    big = [r for r in rows if r[0].startswith("2,000,000")]
    if big:
        bound = 64 * 2**20 + 3 * 256 * 256 * 8
        print(f"\nRSS bound for 2,000,000 x 256: 64 MiB + 3*d^2*8 = {bound / 2**20:.1f} MiB; "
              f"ours {big[0][4] / 2**20:.1f} MiB ({'within' if big[0][4] <= bound else 'ABOVE'})")


if __name__ == "__main__":
    main()
