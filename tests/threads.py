"""Concurrency: several threads, each with its own connection, run spectra
and bases on large and small groups at once; every result must equal the
single-threaded one, digit for digit, and the run must end (a hang fails).

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).
Python's sqlite3 releases the GIL while a statement runs, so the threads
really are inside the extension together, and the large gram groups
compete for the process-wide helper budget: which of them get a helper
varies from run to run, and the results must not.
"""
import os
import sqlite3
import sys
import tempfile
import threading

import numpy as np

QUERIES = [
    "SELECT svd_spectrum(vec, 'method=gram') FROM big",
    "SELECT svd_spectrum(vec) FROM big",
    "SELECT svd_spectrum(vec, 'method=exact') FROM mid",
    "SELECT group_concat(s, ';') FROM (SELECT grp, svd_spectrum(vec) AS s FROM small GROUP BY grp)",
    "SELECT hex(svd_basis(vec, 4, 'method=gram')) FROM big",
    "SELECT hex(svd_basis(vec, 3)) FROM mid",
]


def connect(path, ext):
    db = sqlite3.connect(path)
    db.enable_load_extension(True)
    db.load_extension(ext)
    return db


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "dist/svd"
    rng = np.random.default_rng(11)
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.db")
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE big(vec)")
        db.execute("CREATE TABLE mid(vec)")
        db.execute("CREATE TABLE small(grp, vec)")
        big = (rng.normal(size=64) + rng.normal(size=(20000, 64))).astype("<f4")
        db.executemany("INSERT INTO big VALUES (?)", [(r.tobytes(),) for r in big])
        mid = rng.normal(size=(2000, 100)).astype("<f4")
        db.executemany("INSERT INTO mid VALUES (?)", [(r.tobytes(),) for r in mid])
        small = rng.normal(size=(500 * 20, 64)).astype("<f4")
        db.executemany("INSERT INTO small VALUES (?, ?)",
                       [(i // 20, r.tobytes()) for i, r in enumerate(small)])
        db.commit()
        db.close()

        db = connect(path, ext)
        want = [db.execute(q).fetchone()[0] for q in QUERIES]
        db.close()

        results, errors = [], []

        def worker(seed):
            try:
                conn = connect(path, ext)
                order = np.random.default_rng(seed).permutation(len(QUERIES) * 2) % len(QUERIES)
                for i in order:
                    results.append((int(i), conn.execute(QUERIES[i]).fetchone()[0]))
                conn.close()
            except Exception as e:  # reported as a failure below
                errors.append(repr(e))

        threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        hung = sum(t.is_alive() for t in threads)
        for ok, name, detail in [
                (hung == 0, "threads finish", f"{hung} of 6 still running after 300 s"),
                (not errors, "threads raise nothing", "; ".join(errors[:3])),
                (len(results) == 6 * 2 * len(QUERIES), "every query ran", str(len(results)))]:
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL threads {name}: {detail}")
        for i, q in enumerate(QUERIES):
            got = [r for j, r in results if j == i]
            bad = [r for r in got if r != want[i]]
            if got and not bad:
                passed += 1
            else:
                failed += 1
                print(f"FAIL threads {q[:60]}: {len(bad)} of {len(got)} results differ")
    print(f"threads: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
