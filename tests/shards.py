"""Checks examples/shards.py: spectra merged across shard files with Dask.

    /usr/bin/python3 tests/shards.py dist/svd

The bundled sample is split into shard files, examples/shards.py runs on
them (a local Dask cluster of two worker processes) and each category's
printed spectrum is compared with two references over the same rows: the
single-database svd_spectrum(vec [, OPTIONS]) GROUP BY category, and numpy
(np.linalg.svd of the centered float64 rows). Bounds as README "Methods":
exact, every sigma within 1e-12 * sigma_1; gram, every sigma^2 within
1e-12 * sigma_1^2.

1. round-robin: four shards, row id i in shard i % 4, default options; the
   --out table holds the same spectra and each category's row count.
2. gram: the same shards with --options method=gram.
3. uneven: an empty shard, a shard of one category only, a shard holding
   a single row of that category, the rest in one; --fan-in 3.
4. a missing shard: an error on stderr, nothing on stdout, no file made.
Run 1 starts its own local cluster (the default); runs 2 to 4 pass
--scheduler to one started here with `dask scheduler` and `dask worker`, as
README's "Beyond one machine" starts them on real hosts. Every run prints
nothing but its "category<TAB>spectrum" lines on stdout, nothing on stderr.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "examples", "shards.py")
passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL shards {name}: {detail}")


def write_shard(path, rows):
    """A shard file with the sample's schema holding ROWS (id, word,
    category, freq_rank, vec)."""
    with open(os.path.join(ROOT, "sql", "schema.sql"), encoding="utf-8") as f:
        schema = f.read()
    db = sqlite3.connect(path)
    db.executescript(schema)
    with db:
        db.executemany("INSERT INTO words VALUES(?, ?, ?, ?)",
                       [r[:4] for r in rows])
        db.executemany("INSERT INTO emb VALUES(?, ?)", [(r[0], r[4]) for r in rows])
    db.close()


def run_shards(ext, paths, *extra):
    proc = subprocess.run([sys.executable, SCRIPT, "--ext", ext, *extra, *paths],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=300)
    return proc.returncode, proc.stdout, proc.stderr


def parse(name, out):
    """{category: spectrum} from the printed lines, or None if any line is
    not 'category<TAB>JSON array' or they are not sorted."""
    got = {}
    cats = []
    for line in out.splitlines():
        cat, tab, text = line.partition("\t")
        try:
            spec = json.loads(text) if tab else None
        except ValueError:
            spec = None
        if not isinstance(spec, list):
            check(False, f"{name} output", f"stray line {line[:80]!r}")
            return None
        got[cat] = np.array(spec)
        cats.append(cat)
    check(cats == sorted(cats), f"{name} sorted", str(cats))
    return got


def compare(name, got, refs, bound):
    """Every category of every reference, within the method's bound."""
    for ref_name, ref in refs.items():
        check(sorted(got) == sorted(ref), f"{name} categories vs {ref_name}",
              f"{sorted(got)} vs {sorted(ref)}")
        for cat in sorted(set(got) & set(ref)):
            g, r = got[cat], ref[cat]
            if len(g) != len(r):
                check(False, f"{name} {cat} vs {ref_name}", f"{len(g)} values, expected {len(r)}")
            elif bound == "exact":
                err = np.max(np.abs(g - r)) / r[0]
                check(err <= 1e-12, f"{name} {cat} vs {ref_name}",
                      f"worst sigma error {err:.3g} of sigma_1")
            else:
                err = np.max(np.abs(g ** 2 - r ** 2)) / r[0] ** 2
                check(err <= 1e-12, f"{name} {cat} vs {ref_name}",
                      f"worst sigma^2 error {err:.3g} of sigma_1^2")


def start_cluster(tmp):
    """A scheduler on a free port of 127.0.0.1 and two single-threaded
    worker processes: (address or None, the processes to stop in order)."""
    info = os.path.join(tmp, "scheduler.json")
    log = open(os.path.join(tmp, "dask.log"), "w")
    dask = [sys.executable, "-m", "dask"]
    sched = subprocess.Popen(dask + [
        "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
        "--scheduler-file", info, "--idle-timeout", "300s"],
        cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    address = None
    deadline = time.monotonic() + 60
    while address is None and time.monotonic() < deadline and sched.poll() is None:
        try:
            with open(info, encoding="utf-8") as f:
                address = json.load(f)["address"]
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    if address is None:
        log.close()
        return None, [sched]
    workers = subprocess.Popen(dask + [
        "worker", address, "--nworkers", "2", "--nthreads", "1",
        "--host", "127.0.0.1", "--no-dashboard", "--death-timeout", "60s"],
        cwd=tmp, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    return address, [workers, sched]


def stop_cluster(procs):
    for p in procs:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def clean_run(name, ext, paths, *extra):
    rc, out, err = run_shards(ext, paths, *extra)
    check(rc == 0 and err == "", f"{name} runs cleanly",
          f"exit {rc}, stderr {err[-2000:]!r}")
    return parse(name, out) or {}


def references(ext):
    """The sample's rows, each category's row count, and its spectrum from
    svd_spectrum (exact and gram) and from numpy."""
    with open(os.path.join(ROOT, "examples", "sample.sql"), encoding="utf-8") as f:
        script = f.read()
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(ext)
    db.executescript(script)
    rows = db.execute("SELECT w.id, w.word, w.category, w.freq_rank, e.vec "
                      "FROM words w JOIN emb e USING(id) ORDER BY w.id").fetchall()
    query = ("SELECT w.category, svd_spectrum(e.vec{}) FROM emb e "
             "JOIN words w USING(id) GROUP BY w.category")
    ref = {}
    for name, opts in (("svd_spectrum", ""), ("svd_spectrum gram", ", 'method=gram'")):
        ref[name] = {c: np.array(json.loads(s)) for c, s in db.execute(query.format(opts))}
    db.close()
    mats = {}
    for r in rows:
        mats.setdefault(r[2], []).append(np.frombuffer(r[4], dtype="<f4"))
    ref["numpy"] = {}
    for cat, m in mats.items():
        x = np.array(m, dtype=np.float64)
        ref["numpy"][cat] = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    return rows, {c: len(m) for c, m in mats.items()}, ref


def cluster_runs(ext, address, tmp, rr, uneven, exact_refs, gram_refs):
    """Runs 2 to 4, on the scheduler at ADDRESS."""
    sched = ("--scheduler", address)
    got = clean_run("gram", ext, rr, "--options", "method=gram", *sched)
    compare("gram", got, gram_refs, "gram")
    got = clean_run("uneven", ext, uneven, "--fan-in", "3", *sched)
    compare("uneven", got, exact_refs, "exact")
    missing = os.path.join(tmp, "missing.db")
    rc, out, err = run_shards(ext, [rr[0], missing], *sched)
    check(rc != 0 and out == "" and "unable to open database file" in err
          and not os.path.exists(missing), "a missing shard is an error",
          f"exit {rc}, stdout {out[:200]!r}, stderr {err[-500:]!r}")


def main():
    ext = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    rows, counts, ref = references(ext)
    exact_refs = {k: ref[k] for k in ("svd_spectrum", "numpy")}
    gram_refs = {k: ref[k] for k in ("svd_spectrum gram", "numpy")}

    with tempfile.TemporaryDirectory(prefix="svd-shards-") as tmp:
        rr = [os.path.join(tmp, f"rr-{i}.db") for i in range(4)]
        for i, path in enumerate(rr):
            write_shard(path, [r for r in rows if r[0] % 4 == i])
        vehicle = [r for r in rows if r[2] == "vehicle"]
        others = [r for r in rows if r[2] != "vehicle"]
        uneven = [os.path.join(tmp, f"uneven-{i}.db") for i in range(4)]
        for path, part in zip(uneven, [[], vehicle[1:], vehicle[:1], others]):
            write_shard(path, part)

        out_db = os.path.join(tmp, "out.db")
        got = clean_run("round-robin", ext, rr, "--out", out_db)
        compare("round-robin", got, exact_refs, "exact")
        table = sqlite3.connect(out_db)
        try:
            kept = table.execute("SELECT category, n, spectrum FROM shard_spectra").fetchall()
        except sqlite3.Error:
            kept = []
        table.close()
        check(sorted(c for c, _, _ in kept) == sorted(got) and
              all(np.array_equal(np.array(json.loads(s)), got[c]) for c, _, s in kept),
              "--out spectra are the printed ones", str(kept)[:300])
        n = {c: k for c, k, _ in kept}
        check(n == counts, "--out n is each category's row count", f"{n} vs {counts}")

        address, procs = start_cluster(tmp)
        check(address is not None, "dask scheduler started", "no scheduler file")
        try:
            if address is not None:
                cluster_runs(ext, address, tmp, rr, uneven, exact_refs, gram_refs)
        finally:
            stop_cluster(procs)

    print(f"shards: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
