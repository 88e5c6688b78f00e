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
    # groups of 50 x 400 share their QR with the connection's helper thread
    "SELECT group_concat(s, ';') FROM (SELECT grp, svd_spectrum(vec) AS s FROM g50 GROUP BY grp)",
]


def task_count():
    return len(os.listdir("/proc/self/task"))


def tasks():
    return set(os.listdir("/proc/self/task"))


def blocks_sigint(tid):
    """Does thread tid block SIGINT (signal 2: bit 1 of SigBlk)?"""
    with open(f"/proc/self/task/{tid}/status") as f:
        for line in f:
            if line.startswith("SigBlk:"):
                return bool(int(line.split()[1], 16) & (1 << 1))
    return False


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
        db.execute("CREATE TABLE g50(grp, vec)")
        g50 = (rng.normal(size=400) + rng.normal(size=(40 * 50, 400))).astype("<f4")
        db.executemany("INSERT INTO g50 VALUES (?, ?)",
                       [(i // 50, r.tobytes()) for i, r in enumerate(g50)])
        db.commit()
        db.close()

        # the reference: no helper thread (SQLITE_SVD_HELPER=0)
        os.environ["SQLITE_SVD_HELPER"] = "0"
        n0 = task_count()
        db = connect(path, ext)
        want = [db.execute(q).fetchone()[0] for q in QUERIES]
        n1 = task_count()
        db.close()
        del os.environ["SQLITE_SVD_HELPER"]

        # with one: it starts with the first group large enough, gives the
        # same digits, and stops when the connection closes
        t0 = tasks()
        db = connect(path, ext)
        got = db.execute(QUERIES[-1]).fetchone()[0]
        n2 = task_count()
        new = tasks() - t0
        new_block = [blocks_sigint(t) for t in new]
        db.close()
        n3 = task_count()
        cores = len(os.sched_getaffinity(0))
        for ok, name, detail in [
                (n1 == n0, "SQLITE_SVD_HELPER=0 starts no thread", f"{n0} threads, then {n1}"),
                (n2 == n0 + (1 if cores > 1 else 0), "a helper thread starts on a multi-core machine",
                 f"{n0} threads, then {n2} on {cores} cores"),
                (n3 == n0, "the helper stops when its connection closes", f"{n0} threads, then {n3}"),
                (all(new_block), "the helper blocks SIGINT (the host's handlers stay on its threads)",
                 f"threads {sorted(new)} block SIGINT: {new_block}"),
                (not blocks_sigint(threading.get_native_id()), "the query's thread still takes SIGINT", ""),
                (got == want[-1], "the helper gives the digits of the connection without",
                 f"{got[:60]} against {want[-1][:60]}")]:
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAIL threads {name}: {detail}")

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
