"""Streamed groups (README, "Threads"): with a helper thread, svd_spectrum's
small groups have their QR done on the helper while SQLite reads their rows,
and give the digits of a connection without one (SQLITE_SVD_HELPER=0), bit
for bit, on every road out of a stream: finished, stopped because the group
outgrew it, because a row was JSON text, because the buffer had to grow,
because the group is a window frame, or left to another statement's group;
svd_info's streamed_groups counts the finished ones; the spectra agree with
numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).
"""
import glob
import json
import os
import sqlite3
import sys
import tempfile
import time

import numpy as np

# (name, query, groups that finish a stream on a fresh connection, with a
# helper); the first group of a connection has no helper yet
CASES = [
    ("50 x 400 groups stream",
     "SELECT grp, svd_spectrum(vec) FROM g50 GROUP BY grp", 39),
    ("20 x 768 groups stream",
     "SELECT grp, svd_spectrum(vec) FROM g20 GROUP BY grp", 39),
    ("a group past 161 rows stops its stream (and the next does not try)",
     "SELECT grp, svd_spectrum(vec) FROM mixed GROUP BY grp", None),
    ("one-row groups between them do not keep the next from streaming",
     "SELECT grp, svd_spectrum(vec) FROM alt GROUP BY grp", 9),
    ("a JSON row stops the stream",
     "SELECT grp, svd_spectrum(CASE WHEN id % 50 = 30 THEN emb_json(vec)"
     " ELSE vec END) FROM g50 GROUP BY grp", 0),
    ("a JSON row beyond float32's range stops the stream (the rows are scaled)",
     "SELECT grp, svd_spectrum(vec) FROM huge GROUP BY grp", 0),
    ("window frames do not stream",
     "SELECT grp, svd_spectrum(vec) OVER (PARTITION BY grp ORDER BY id ROWS"
     " BETWEEN 20 PRECEDING AND CURRENT ROW) FROM g50 WHERE grp < 4", 0),
    ("a group whose buffer grows stops its stream; the next streams",
     "SELECT grp, svd_spectrum(vec) FROM grow GROUP BY grp", 1),
    ("a group inside another group's row does not take the helper",
     "SELECT a.grp, svd_spectrum(CASE WHEN (SELECT svd_spectrum(b.vec) FROM g50 b"
     " WHERE b.grp = a.grp AND b.id <= a.id) IS NULL THEN NULL ELSE a.vec END)"
     " FROM g50 a WHERE a.grp < 6 GROUP BY a.grp", None),
]


def connect(path, ext):
    db = sqlite3.connect(path)
    db.enable_load_extension(True)
    db.load_extension(ext)
    return db


def streamed(db):
    return json.loads(db.execute("SELECT svd_info()").fetchone()[0])["streamed_groups"]


def interleaved(db):
    """Two statements on one connection, stepped in turn."""
    a = db.execute("SELECT grp, svd_spectrum(vec) FROM g50 GROUP BY grp")
    b = db.cursor().execute("SELECT grp, svd_spectrum(vec) FROM g20 GROUP BY grp")
    out = []
    while True:
        ra, rb = a.fetchone(), b.fetchone()
        if ra is None and rb is None:
            return out
        out.append((ra, rb))


def cpu_other_threads():
    """CPU seconds used by the process's threads but the calling one."""
    me, total = os.getpid(), 0
    for stat in glob.glob(f"/proc/{me}/task/*/stat"):
        if int(stat.split("/")[4]) == me:
            continue
        with open(stat) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def slow_rows(path, ext):
    """A streamed group whose fourth row comes 1.5 s late (a slow function):
    the CPU the helper uses meanwhile (it sleeps after 2 ms of waiting)."""
    db = connect(path, ext)
    marks = {}

    def slow(v, i):
        if i == 3:
            marks["t0"] = cpu_other_threads()
            time.sleep(1.5)
            marks["t1"] = cpu_other_threads()
        return v

    db.create_function("slow", 2, slow)
    db.execute("SELECT svd_spectrum(vec) FROM g50 WHERE grp = 0").fetchone()
    before = streamed(db)
    got = db.execute("SELECT svd_spectrum(slow(vec, id % 50)) FROM g50 WHERE grp = 1").fetchone()[0]
    n = streamed(db) - before
    want = db.execute("SELECT svd_spectrum(vec) FROM g50 WHERE grp = 1").fetchone()[0]
    db.close()
    return marks["t1"] - marks["t0"], n, got == want


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "dist/svd"
    rng = np.random.default_rng(5)
    passed = failed = 0

    def check(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL stream {name}: {detail}")

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "s.db")
        db = sqlite3.connect(path)
        tables = {}
        # shared mean 1e3 times the spread, as embeddings have
        for name, d, sizes in [("g50", 400, [50] * 40), ("g20", 768, [20] * 40),
                               ("mixed", 400, [50, 50, 170, 50, 50]),
                               ("grow", 400, [50, 120, 120]),
                               ("alt", 300, [1, 30] * 10)]:
            mean = 1e3 * rng.normal(size=d)
            rows, grp = [], []
            for g, n in enumerate(sizes):
                rows.append((mean + rng.normal(size=(n, d))).astype("<f4"))
                grp += [g] * n
            x = np.concatenate(rows)
            tables[name] = (x, np.array(grp))
            db.execute(f"CREATE TABLE {name}(id INTEGER PRIMARY KEY, grp, vec)")
            db.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)",
                           [(i, int(g), r.tobytes()) for i, (g, r) in enumerate(zip(grp, x))])
            db.execute(f"CREATE INDEX {name}_grp ON {name}(grp)")
        # row 30 of each group: JSON text, 1e200 times larger
        db.execute("CREATE TABLE huge AS SELECT id, grp, CASE WHEN id % 50 = 30"
                   " THEN NULL ELSE vec END AS vec FROM g50 WHERE grp < 5")
        big = 1e200 * rng.normal(size=(5, 400))
        db.executemany("UPDATE huge SET vec = ? WHERE id = ?",
                       [(json.dumps(list(big[g])), g * 50 + 30) for g in range(5)])
        db.commit()
        db.close()

        # the reference: no helper thread, so no stream
        os.environ["SQLITE_SVD_HELPER"] = "0"
        ref = connect(path, ext)
        want = [ref.execute(q).fetchall() for _, q, _ in CASES]
        want_inter = interleaved(ref)
        check(streamed(ref) == 0, "no helper, no stream", str(streamed(ref)))
        ref.close()
        del os.environ["SQLITE_SVD_HELPER"]

        helper = len(os.sched_getaffinity(0)) > 1
        for (name, q, count), w in zip(CASES, want):
            db = connect(path, ext)
            before = streamed(db)
            got = db.execute(q).fetchall()
            n = streamed(db) - before
            db.close()
            check(got == w, name + ": the digits without a helper",
                  f"{len(got)} rows; first difference: "
                  + next((f"{a} against {b}" for a, b in zip(got, w) if a != b), "none"))
            if count is not None:
                want_n = count if helper else 0
                check(n == want_n, name + ": streamed_groups", f"{n}, expected {want_n}")
            elif name.startswith("a group past"):
                # 50, 50 stream but the first; 170 stops; 50 after it does
                # not try; the last does
                want_n = 2 if helper else 0
                check(n == want_n, name + ": streamed_groups", f"{n}, expected {want_n}")

        db = connect(path, ext)
        db.execute("SELECT svd_spectrum(vec) FROM g50 WHERE grp = 0").fetchone()
        got_inter = interleaved(db)
        db.close()
        check(got_inter == want_inter, "two statements stepped in turn: the digits without a helper")

        if helper:
            cpu, n, same = slow_rows(path, ext)
            check(n == 1 and same, "a group whose rows come slowly streams, same digits",
                  f"{n} streamed, same digits: {same}")
            check(cpu < 0.3, "the helper sleeps while a streamed group waits 1.5 s for a row",
                  f"{cpu:.2f} s of CPU (it spun at about 0.45 s)")

        # against numpy: two-pass centering in float64
        for name in ("g50", "g20", "mixed", "grow", "alt"):
            x, grp = tables[name]
            db = connect(path, ext)
            got = dict(db.execute(f"SELECT grp, svd_spectrum(vec) FROM {name} GROUP BY grp"))
            db.close()
            worst = 0.0
            zero = True
            for g in np.unique(grp):
                xs = x[grp == g].astype(np.float64)
                xc = xs - xs.mean(axis=0)
                xc -= xc.mean(axis=0)
                s = np.linalg.svd(xc, compute_uv=False)
                ours = np.array(json.loads(got[int(g)]))
                if s[0] == 0.0:   # one row: [0.0]
                    worst = max(worst, 0.0 if np.all(ours == 0.0) else np.inf)
                    continue
                worst = max(worst, np.max(np.abs(ours - s)) / s[0])
                if len(xs) <= x.shape[1]:
                    zero = zero and ours[-1] == 0.0
            check(worst <= 1e-12, f"{name}: every sigma within 1e-12 sigma_1 of numpy", f"{worst:.3g}")
            check(zero, f"{name}: groups of n <= d end in an exact 0")

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
