"""sqlite3_interrupt while a large group aggregates: the statement fails with
SQLITE_INTERRUPT, the connection stays usable and gives the same results
after, and (under make test-asan) nothing touches freed memory. SQLite runs
xFinal even on an interrupted statement; the extension's xFinal sees the
pending interrupt and skips the decomposition. How promptly is measured
outside the tests (README, "Bad input"), since timings do not go in tests.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy). The
interrupt is raised from a progress handler, after a fixed number of
virtual-machine steps, so the run is the same every time.
"""
import json
import sqlite3
import sys

import numpy as np

from reference import Checker, connect

QUERIES = [
    "SELECT svd_spectrum(vec, 'method=exact') FROM big",
    "SELECT svd_spectrum(vec, 'method=gram') FROM big",
    "SELECT length(svd_basis(vec, 3)) FROM big",
    "SELECT grp, svd_spectrum(vec) FROM big GROUP BY grp",
    # window frames: a whole partition, and a sliding frame
    "SELECT count(s) FROM (SELECT svd_spectrum(vec) OVER (PARTITION BY grp) AS s FROM big)",
    "SELECT count(s) FROM (SELECT svd_spectrum(vec) OVER (ORDER BY rowid ROWS 99 PRECEDING)"
    " AS s FROM big WHERE rowid <= 3000)",
    "SELECT svd_cka(a.vec, b.vec) FROM big AS a JOIN big AS b ON b.rowid = a.rowid + 1 WHERE a.rowid <= 9000",
]

# A large state's readers ask whether an interrupt is pending before and
# between their phases, as xFinal does. SQLite 3.40 answers through a
# nested SELECT 1, which a trace callback sees: so the test sees the asking
# (tests/test_spectrum.c checks that each phase's probe stops the numerics).
STATE_QUERIES = [
    "SELECT svd_state_spectrum(s) FROM st",
    "SELECT length(svd_state_basis(s, 2)) FROM st",
    "SELECT length(svd_merge(s)) FROM (SELECT s FROM st UNION ALL SELECT s FROM st)",
]
# svd_cka's final step on 9,000 pairs of 64 + 64 (2^20 values or more)
# asks four times: before it starts, after centering X, after centering Y
# and after the products
CKA_QUERY = QUERIES[-1]


def run(ext):
    c = Checker()
    db = connect(ext)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20000, 64)).astype("<f4")
    db.execute("CREATE TABLE big(grp, vec)")
    db.executemany("INSERT INTO big VALUES (?, ?)", [(i % 3, r.tobytes()) for i, r in enumerate(x)])
    w = rng.normal(size=(1030, 1030)).astype("<f4")
    db.execute("CREATE TABLE wide(vec)")
    db.executemany("INSERT INTO wide VALUES (?)", [(r.tobytes(),) for r in w])
    db.execute("CREATE TABLE st AS SELECT svd_state(vec, 'method=exact') AS s FROM wide")
    want = [db.execute(q).fetchall() for q in QUERIES]
    for q, w in zip(QUERIES, want):
        # count the progress callbacks of a whole run, then interrupt half
        # way through the scan and at the callback before the last, when the
        # rows have been read and xFinal is next
        count = [0]

        def counter():
            count[0] += 1
            return 0
        db.set_progress_handler(counter, 10)
        db.execute(q).fetchall()
        for at in (count[0] // 2, count[0] - 1):
            steps = [0]

            def progress():
                steps[0] += 1
                if steps[0] == at:
                    db.interrupt()
                return 0
            db.set_progress_handler(progress, 10)
            try:
                db.execute(q).fetchall()
                c.check(False, f"{q[:40]} interrupted at {at} of {count[0]}", "no error")
            except sqlite3.OperationalError as e:
                c.check(str(e) == "interrupted", f"{q[:40]} interrupted at {at} of {count[0]}", str(e))
            db.set_progress_handler(None, 0)
            got = db.execute(q).fetchall()
            c.check(got == w, f"{q[:40]} after the interrupt", "different result")
    if sqlite3.sqlite_version_info < (3, 41, 0):
        for q in STATE_QUERIES:
            seen = []
            db.set_trace_callback(seen.append)
            got = db.execute(q).fetchone()
            db.set_trace_callback(None)
            c.check(any(t.endswith("SELECT 1") for t in seen) and got[0] is not None, f"{q[:45]}: asks for an interrupt",
                    f"traced {seen}")
        seen = []
        db.set_trace_callback(seen.append)
        got = db.execute(CKA_QUERY).fetchone()
        db.set_trace_callback(None)
        asked = sum(t.endswith("SELECT 1") for t in seen)
        c.check(asked == 4 and got[0] is not None, "svd_cka asks for an interrupt between its phases",
                f"asked {asked} times")
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"interrupt: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
