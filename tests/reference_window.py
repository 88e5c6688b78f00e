"""Window functions: svd_spectrum, svd_basis and svd_state OVER (...),
frame by frame, against numpy and against the plain aggregate.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

For every row, SQLite itself says which rows its frame holds (the
built-in json_group_array(pos) over the same window); the extension's
result for that row must then be
  - the plain aggregate's over those rows, in the same order, to the last
    digit (the same numerics run on the same rows), and
  - numpy's SVD of those rows, centered: within 1e-12 * sigma_1 (exact),
    sigma^2 within 1e-12 * sigma_1^2 (gram).
Frames: the whole partition, running, ROWS sliding of widths 1, 2, d,
d + 1 and 3d, RANGE with peers, GROUPS, EXCLUDE CURRENT ROW / GROUP / TIES,
FOLLOWING frames; partitions with NULL rows and with one row.
"""
import json
import sys

import numpy as np

from reference import Checker, centered_svd, connect

D = 5
FRAMES = [
    "PARTITION BY p",
    "PARTITION BY p ORDER BY pos",
    "PARTITION BY p ORDER BY pos ROWS BETWEEN CURRENT ROW AND CURRENT ROW",
    "PARTITION BY p ORDER BY pos ROWS 1 PRECEDING",
    f"PARTITION BY p ORDER BY pos ROWS {D - 1} PRECEDING",
    f"PARTITION BY p ORDER BY pos ROWS {D} PRECEDING",
    f"PARTITION BY p ORDER BY pos ROWS {3 * D - 1} PRECEDING",
    "PARTITION BY p ORDER BY pos ROWS BETWEEN 2 PRECEDING AND 3 FOLLOWING",
    f"PARTITION BY p ORDER BY pos ROWS BETWEEN CURRENT ROW AND {3 * D} FOLLOWING",
    "PARTITION BY p ORDER BY grp RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING",
    "PARTITION BY p ORDER BY grp GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW",
    "PARTITION BY p ORDER BY pos ROWS 4 PRECEDING EXCLUDE CURRENT ROW",
    "PARTITION BY p ORDER BY grp GROUPS 1 PRECEDING EXCLUDE GROUP",
    "PARTITION BY p ORDER BY grp RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES",
]


def setup(db, rng):
    db.execute("CREATE TABLE t(pos INTEGER PRIMARY KEY, p, grp, v)")
    rows, vecs = [], {}
    pos = 0
    for part, n in (("a", 40), ("b", 1), ("c", 25)):
        mean = rng.normal(size=D) * (1e3 if part == "c" else 1.0)
        for i in range(n):
            pos += 1
            if part == "a" and i % 7 == 3:
                rows.append((pos, part, i // 3, None))  # a NULL row in the frame
                continue
            x = mean + rng.normal(size=D) * np.geomspace(3, 0.3, D)
            vecs[pos] = x
            rows.append((pos, part, i // 3, json.dumps([float(a) for a in x])))
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    return vecs


def frame_rows(db, frame):
    """pos -> the frame's positions (non-NULL rows), in order."""
    out = {}
    for pos, js in db.execute(f"SELECT pos, json_group_array(pos) FILTER (WHERE v IS NOT NULL) "
                              f"OVER ({frame}) FROM t ORDER BY pos"):
        out[pos] = json.loads(js)
    return out


def aggregate(db, expr, members):
    if not members:
        return None
    q = f"SELECT {expr} FROM (SELECT v FROM t WHERE pos IN ({','.join(map(str, members))}) ORDER BY pos)"
    return db.execute(q).fetchone()[0]


def ref_sigma(vecs, members, center=True):
    return centered_svd([vecs[m] for m in members], center)


def close(c, name, got, ref, method):
    got = np.array(got)
    s1 = ref[0] if ref[0] > 0 else 1.0
    if len(got) != len(ref):
        c.check(False, name, f"{len(got)} values, numpy {len(ref)}")
    elif method == "gram":
        err = np.max(np.abs((got / s1) ** 2 - (ref / s1) ** 2))
        c.check(err <= 1e-12, name, f"sigma^2 off by {err:.3g}")
    else:
        err = np.max(np.abs(got - ref)) / s1
        c.check(err <= 1e-12, name, f"off by {err:.3g} of sigma_1")


def spectra(c, db, vecs):
    for frame in FRAMES:
        members = frame_rows(db, frame)
        for opts in ("", "method=exact", "method=gram", "center=false"):
            expr = f"svd_spectrum(v, '{opts}')"
            got = dict(db.execute(f"SELECT pos, {expr} OVER ({frame}) FROM t").fetchall())
            bad_same = bad_num = 0
            for pos, m in members.items():
                want = aggregate(db, expr, m)
                if got[pos] != want:
                    bad_same += 1
                if m:
                    sv = ref_sigma(vecs, m, "center=false" not in opts)[1]
                    g = np.array(json.loads(got[pos]))
                    s1 = sv[0] if sv[0] > 0 else 1.0
                    if "gram" in opts:
                        bad = len(g) != len(sv) or np.max(np.abs((g / s1) ** 2 - (sv / s1) ** 2)) > 1e-12
                    else:
                        bad = len(g) != len(sv) or np.max(np.abs(g - sv)) / s1 > 1e-12
                    bad_num += bad
            c.check(bad_same == 0, f"window {frame} {opts!r}: the aggregate's digits",
                    f"{bad_same} rows differ")
            c.check(bad_num == 0, f"window {frame} {opts!r}: numpy", f"{bad_num} rows off")


def bases(c, db, vecs):
    for frame in FRAMES[:2] + FRAMES[5:7] + FRAMES[11:12]:
        members = frame_rows(db, frame)
        for opts in ("", "method=gram"):
            got = dict(db.execute(
                f"SELECT pos, svd_basis_json(svd_basis(v, 1, '{opts}') OVER ({frame})) FROM t").fetchall())
            bad = 0
            for pos, m in members.items():
                if got[pos] != (aggregate(db, f"svd_basis_json(svd_basis(v, 1, '{opts}'))", m)):
                    bad += 1
                if len(m) >= 2:
                    _, s, vt = ref_sigma(vecs, m)
                    b = json.loads(got[pos])
                    if abs(b["sigma"][0] - s[0]) > 1e-9 * s[0]:
                        bad += 1
                    elif s[0] - s[1] > 1e-3 * s[0] and abs(abs(np.dot(b["directions"][0], vt[0])) - 1) > 1e-8:
                        bad += 1
            c.check(bad == 0, f"window basis {frame} {opts!r}", f"{bad} rows off")
        # each row's coordinate along its own group's direction, in one query
        rows = db.execute("SELECT pos, svd_coord(svd_basis(v, 1) OVER (PARTITION BY p), v, 1) "
                          "FROM t WHERE v IS NOT NULL").fetchall()
        for pos, coord in rows[:3]:
            part = [q for q, m in frame_rows(db, "PARTITION BY p").items() if pos in m][0]
            m = frame_rows(db, "PARTITION BY p")[part]
            x = np.array([vecs[q] for q in m])
            _, _, vt = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)
            v = vt[0] * np.sign(vt[0][np.argmax(np.abs(vt[0]))])
            want = float((vecs[pos] - x.mean(axis=0)) @ v) if len(m) > 1 else 0.0
            c.check(abs(coord - want) <= 1e-9 * max(1.0, abs(want)) or len(m) < 2,
                    f"window coord row {pos}", f"{coord} vs numpy {want}")


def states(c, db, vecs):
    for frame in (FRAMES[1], FRAMES[6], FRAMES[8]):
        members = frame_rows(db, frame)
        for opts in ("", "method=gram"):
            got = dict(db.execute(
                f"SELECT pos, svd_state_spectrum(svd_state(v, '{opts}') OVER ({frame})) FROM t").fetchall())
            bad = 0
            for pos, m in members.items():
                if not m:
                    bad += got[pos] is not None
                    continue
                sv = ref_sigma(vecs, m)[1]
                g = np.array(json.loads(got[pos]))
                s1 = sv[0] if sv[0] > 0 else 1.0
                if len(g) != len(sv):
                    bad += 1
                    continue
                tol = np.max(np.abs((g / s1) ** 2 - (sv / s1) ** 2)) if opts else np.max(np.abs(g - sv)) / s1
                bad += tol > 1e-12
            c.check(bad == 0, f"window state {frame} {opts!r}", f"{bad} rows off")


def whole_partition_once(c, db):
    """A whole-partition frame computes once per partition: the same BLOB
    object is returned (cached), and each equals the GROUP BY result."""
    got = db.execute("SELECT p, svd_spectrum(v) OVER (PARTITION BY p) FROM t").fetchall()
    want = dict(db.execute("SELECT p, svd_spectrum(v) FROM t GROUP BY p").fetchall())
    c.check(all(s == want[p] for p, s in got), "PARTITION BY equals GROUP BY", "differs")


def errors(c, db):
    def expect(sql, want):
        try:
            db.execute(sql).fetchall()
            c.check(False, sql[:60], "no error")
        except Exception as e:
            c.check(str(e) == want, sql[:60], f"\n  got:  {e}\n  want: {want}")
    expect("SELECT svd_spectrum(v) OVER (ORDER BY i) FROM (SELECT 1 AS i, '[1,2]' AS v "
           "UNION ALL SELECT 2, '[1,2,3]')",
           "svd_spectrum(): row 2 has 3 dimensions, expected 2")
    expect("SELECT svd_spectrum(v, o) OVER (ORDER BY i ROWS 1 PRECEDING) FROM (SELECT 1 AS i, "
           "'[1,2]' AS v, 'method=exact' AS o UNION ALL SELECT 2, '[1,3]', 'method=gram')",
           "svd_spectrum(): OPTIONS changed within a group, from 'method=exact' to "
           "'method=gram'; it must be the same for every row")


def large(c, db, rng):
    """Found in review. method=auto on a frame past its streaming size gives
    the aggregate's digits (the frame's rows are streamed as the aggregate
    streams them); a 2-row sliding frame of huge rows stays within the
    memory of its rows (dropped rows used to count against the limit)."""
    x = rng.normal(size=(40000, 64)).astype("<f4")
    db.execute("CREATE TABLE big(pos INTEGER PRIMARY KEY, grp, v)")
    db.executemany("INSERT INTO big VALUES (?, ?, ?)",
                   [(i + 1, i // 20000, r.tobytes()) for i, r in enumerate(x)])
    for win, outer in (("svd_spectrum(v)", "s"), ("svd_basis(v, 2)", "s"),
                       ("svd_state(v)", "svd_state_json(s)")):
        got = db.execute(f"SELECT {outer} FROM (SELECT pos, {win} OVER (ORDER BY grp) AS s "
                         f"FROM big) WHERE pos = 40000").fetchone()[0]
        want = db.execute(f"SELECT {outer.replace('s)', win + ')') if outer != 's' else win} "
                          f"FROM big").fetchone()[0]
        c.check(got == want, f"auto past 16 MiB, running frame: {win} is the aggregate's",
                "differs")
    d = 2000000
    db.execute("CREATE TABLE huge(pos INTEGER PRIMARY KEY, v)")
    db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 150) "
               f"INSERT INTO huge SELECT i, CAST(zeroblob({4 * d - 4}) || x'0000803f' AS BLOB) FROM c")
    try:
        n = db.execute("SELECT count(s) FROM (SELECT svd_spectrum(v) OVER (ORDER BY pos ROWS 1 "
                       "PRECEDING) AS s FROM huge)").fetchone()[0]
        c.check(n == 150, "2-row frames of 2,000,000 dimensions", f"{n} results")
    except Exception as e:
        c.check(False, "2-row frames of 2,000,000 dimensions", str(e))


def run(ext, seed=20261131):
    c = Checker()
    rng = np.random.default_rng(seed)
    db = connect(ext)
    vecs = setup(db, rng)
    spectra(c, db, vecs)
    bases(c, db, vecs)
    states(c, db, vecs)
    whole_partition_once(c, db)
    errors(c, db)
    large(c, db, rng)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_window: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
