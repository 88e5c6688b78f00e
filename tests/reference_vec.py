"""sqlite-vec's vectors: the extension beside the real vec0.so, against numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy);
sqlite-vec comes from npm on the first run (tests/sqlitevec.py).

sqlite-vec tags its values with a subtype: 223 float32, 224 bit, 225 int8,
also when they are read from a vec0 column. Checked here, each on the same
numbers in numpy (int8 and float32 values are exact as doubles, so the
references are the usual double SVDs, within 1e-12 * sigma_1):
  - vec0 tables of float32 and int8 columns with a partition key: the
    aggregates (svd_spectrum, svd_basis, svd_state), per partition key and
    over window frames, and the scalar readers (svd_coord, svd_project,
    svd_residual, svd_cka, emb_*), also on a KNN query's rows;
  - vec_f32(), vec_int8() and vec_bit() results passed directly;
  - a bit vector's error, and vec_to_json() as the way around it;
  - what README says happens where the subtype is gone: a plain table,
    GROUP BY and OVER on a bare column (SQLite 3.40 sorts the rows first),
    and that vec_int8() or emb_f32(X, 'i8') inside the call recovers;
  - vec_to_json(svd_direction(...)): our float32 BLOB read by sqlite-vec.
"""
import json
import sqlite3
import sys

import numpy as np

from reference import Checker, connect, expect_error, reference
from reference_cka import cka_ref
from sqlitevec import VERSION, vec0_path

TOL = 1e-12   # sigma within TOL * sigma_1; a CKA value relative
D = 6         # dimensions of the vec0 columns; 6 bytes is no float32 BLOB
PARTS = (("a", 9), ("b", 4), ("c", 1))   # n > d, n < d, one row
BIT = ("row 1 is a bit vector (sqlite-vec subtype 224), which has no spectrum; "
       "expected a float32 or int8 vector, or the bits as numbers: pass "
       "sqlite-vec's vec_to_json(X), a JSON array of 0 and 1")


def setup(db, rng):
    """vec0 tables v8 (int8) and vf (float32) of the same rowids and
    partitions, and vb (bit); the rows as numpy arrays by rowid."""
    db.execute(f"CREATE VIRTUAL TABLE v8 USING vec0(part TEXT PARTITION KEY, embedding int8[{D}])")
    db.execute(f"CREATE VIRTUAL TABLE vf USING vec0(part TEXT PARTITION KEY, embedding float[{D}])")
    db.execute("CREATE VIRTUAL TABLE vb USING vec0(embedding bit[16])")
    part, x8, xf = {}, {}, {}
    rowid = 0
    for p, n in PARTS:
        mean = rng.normal(size=D) * 3
        for _ in range(n):
            rowid += 1
            part[rowid] = p
            x8[rowid] = rng.integers(-128, 128, size=D).astype(np.int8)
            xf[rowid] = (mean + rng.normal(size=D) * np.geomspace(4, 0.5, D)).astype("<f4")
    x8[1][:2] = (-128, 127)     # both ends of int8
    for r in part:
        db.execute("INSERT INTO v8(rowid, part, embedding) VALUES (?, ?, vec_int8(?))",
                   (r, part[r], x8[r].tobytes()))
        db.execute("INSERT INTO vf(rowid, part, embedding) VALUES (?, ?, ?)",
                   (r, part[r], xf[r].tobytes()))
    bits = rng.integers(0, 256, size=(5, 2)).astype(np.uint8)
    for i, b in enumerate(bits):
        db.execute("INSERT INTO vb(rowid, embedding) VALUES (?, vec_bit(?))", (i + 1, b.tobytes()))
    return part, x8, xf, bits


def rows(x, ids):
    return np.array([x[r] for r in ids], dtype=np.float64)


def sign_fix(vt):
    return np.array([-v if v[np.argmax(np.abs(v))] < 0 else v for v in vt])


def close_sigma(c, name, text, x, center=True, gram=False):
    """A JSON spectrum against numpy's singular values of x."""
    got = np.array(json.loads(text)) if text is not None else np.array([])
    ref = reference(x, center)
    if len(got) != len(ref):
        c.check(False, name, f"{len(got)} values, expected {len(ref)}")
        return
    s1 = ref[0] if ref[0] > 0 else 1.0
    err = (np.max(np.abs(got ** 2 - ref ** 2)) / s1 ** 2 if gram
           else np.max(np.abs(got - ref)) / s1)
    c.check(err <= TOL, name, f"worst error {err:.3g} of sigma_1{'^2' if gram else ''}")


def aggregates(c, db, part, x8, xf):
    """Whole tables, WHERE on the partition key, GROUP BY it, options."""
    ids = sorted(part)
    for t, x in (("v8", x8), ("vf", xf)):
        for opt in ("center=true", "center=false", "method=gram"):
            (s,) = db.execute(f"SELECT svd_spectrum(embedding, ?) FROM {t}", (opt,)).fetchone()
            close_sigma(c, f"{t} svd_spectrum {opt}", s, rows(x, ids),
                        center=opt != "center=false", gram=opt == "method=gram")
        (s,) = db.execute(f"SELECT svd_spectrum(embedding) FROM {t} WHERE part = 'a'").fetchone()
        close_sigma(c, f"{t} WHERE part = 'a'", s, rows(x, [r for r in ids if part[r] == "a"]))
        (st,) = db.execute(f"SELECT svd_state_spectrum(svd_state(embedding)) FROM {t}").fetchone()
        close_sigma(c, f"{t} svd_state", st, rows(x, ids))
        # GROUP BY sorts the rows first: the int8 column is re-tagged inside the call
        arg = "vec_int8(embedding)" if t == "v8" else "embedding"
        got = dict(db.execute(f"SELECT part, svd_spectrum({arg}) FROM {t} GROUP BY part"))
        c.check(sorted(got) == ["a", "b", "c"], f"{t} GROUP BY part groups", str(sorted(got)))
        for p in got:
            close_sigma(c, f"{t} GROUP BY part {p}", got[p], rows(x, [r for r in ids if part[r] == p]))
        (m,) = db.execute(f"SELECT svd_state_spectrum(svd_merge(s)) FROM (SELECT svd_state({arg})"
                          f" AS s FROM {t} GROUP BY part)").fetchone()
        close_sigma(c, f"{t} svd_state per part, merged", m, rows(x, ids))
    (v,) = db.execute("SELECT svd_cka(a.embedding, b.embedding) FROM v8 a JOIN vf b"
                      " ON b.rowid = a.rowid").fetchone()
    want = cka_ref(rows(x8, ids), rows(xf, ids))
    c.check(abs(v - want) <= TOL * want, "svd_cka(int8, float32)", f"{v!r} vs {want!r}")


def windows(c, db, part, x8, xf):
    """Each row's frame, as SQLite lists it, against numpy."""
    for t, x in (("v8", x8), ("vf", xf)):
        arg = "vec_int8(embedding)" if t == "v8" else "embedding"
        for frame in ("PARTITION BY part", "PARTITION BY part ORDER BY rowid ROWS 2 PRECEDING"):
            q = (f"SELECT rowid, svd_spectrum({arg}) OVER w, json_group_array(rowid) OVER w"
                 f" FROM {t} WINDOW w AS ({frame})")
            got = db.execute(q).fetchall()
            c.check(len(got) == len(part), f"{t} OVER ({frame}) rows", str(len(got)))
            for r, s, members in got:
                close_sigma(c, f"{t} OVER ({frame}) row {r}", s, rows(x, json.loads(members)))


def check_basis(c, db, name, blob, x, k):
    """svd_basis_json(blob) against numpy's mean, sigma and directions;
    returns numpy's sign-fixed directions and the mean."""
    b = json.loads(db.execute("SELECT svd_basis_json(?)", (blob,)).fetchone()[0])
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    vt = sign_fix(vt[:k])
    err_m = np.max(np.abs(np.array(b["mean"]) - mean)) / np.max(np.abs(x))
    err_s = np.max(np.abs(np.array(b["sigma"]) - s[:k])) / s[0]
    err_v = np.max(np.abs(np.array(b["directions"]) - vt))
    c.check((b["n"], b["d"], b["k"]) == (len(x), D, k), f"{name} header", str(b)[:80])
    c.check(err_m <= 1e-15 and err_s <= TOL, f"{name} mean and sigma", f"{err_m:.3g} {err_s:.3g}")
    # numpy's sigmas of these rows are apart by far more than 1e-3 * sigma_1
    c.check(err_v <= 1e-9, f"{name} directions", f"off by {err_v:.3g}")
    return vt, mean


def bases(c, db, part, x8, xf):
    """svd_basis on vec0 columns, and the readers that take a vector."""
    ids = sorted(part)
    k = 3
    for t, x in (("v8", x8), ("vf", xf)):
        (blob,) = db.execute(f"SELECT svd_basis(embedding, {k}) FROM {t}").fetchone()
        vt, mean = check_basis(c, db, f"{t} svd_basis", blob, rows(x, ids), k)
        got = db.execute(f"SELECT rowid, svd_coord(?1, embedding, 1), svd_coord(?1, embedding, 3),"
                         f" svd_project(?1, embedding), svd_residual(?1, embedding) FROM {t}"
                         " ORDER BY rowid", (blob,)).fetchall()
        bad = []
        for r, c1, c3, proj, res in got:
            xc = x[r].astype(np.float64) - mean
            norm = np.linalg.norm(xc)
            want = vt @ xc
            if max(abs(c1 - want[0]), abs(c3 - want[2])) > 1e-9 * norm:
                bad.append((r, "coord", c1, want[0]))
            p = np.frombuffer(proj, dtype="<f4")
            if np.max(np.abs(p - want)) > 2.0 ** -22 * norm:
                bad.append((r, "project", p, want))
            rr = np.frombuffer(res, dtype="<f4")
            if np.max(np.abs(rr - (xc - vt.T @ want))) > 2.0 ** -22 * norm:
                bad.append((r, "residual", rr))
        c.check(len(got) == len(ids) and not bad, f"{t} svd_coord, svd_project, svd_residual",
                str(bad[:2]))
        # our float32 BLOB is a vector sqlite-vec reads: vec_to_json(svd_direction())
        for i in range(k):
            (js,) = db.execute("SELECT vec_to_json(svd_direction(?, ?))", (blob, i + 1)).fetchone()
            v = np.array(json.loads(js))
            err = np.max(np.abs(v - vt[i]))
            # vec_to_json prints 6 decimals ('%f'): half of the last one,
            # plus a float32 ulp at 1 for our rounding to float32
            c.check(len(v) == D and err <= 5e-7 + 2.0 ** -24,
                    f"{t} vec_to_json(svd_direction(b, {i + 1}))", f"off by {err:.3g}")
    got = db.execute("SELECT part, svd_basis(vec_int8(embedding), 2) FROM v8 WHERE part <> 'c'"
                     " GROUP BY part").fetchall()
    for p, blob in got:
        check_basis(c, db, f"v8 svd_basis GROUP BY part {p}", blob,
                    rows(x8, [r for r in ids if part[r] == p]), 2)
    c.check(len(got) == 2, "v8 svd_basis GROUP BY part groups", str(len(got)))


def knn(c, db, part, x8, xf):
    """The spectrum of a query's nearest neighbours, as vec0 finds them
    (k where numpy's L2 distances leave no tie at the k-th)."""
    for t, x, q, tag in (("vf", xf, (xf[3] + 0.25).astype("<f4"), "?"),
                         ("v8", x8, x8[3] // 2, "vec_int8(?)")):
        for where, ids in (("", sorted(part)),
                           (" AND part = 'a'", [r for r in part if part[r] == "a"])):
            dist = {r: float(np.sum((x[r].astype(np.float64) - q) ** 2)) for r in ids}
            near = sorted(ids, key=lambda r: dist[r])
            k = next(k for k in range(5, 1, -1) if dist[near[k - 1]] < dist[near[k]])
            (s,) = db.execute(f"SELECT svd_spectrum(embedding) FROM {t} WHERE embedding MATCH {tag}"
                              f" AND k = {k}{where}", (q.tobytes(),)).fetchone()
            close_sigma(c, f"{t} KNN k = {k}{where}", s, rows(x, near[:k]))


def direct(c, db, rng):
    """vec_int8(), vec_f32() and vec_bit() results as arguments."""
    x8 = rng.integers(-128, 128, size=D).astype(np.int8)
    x8[:2] = (-128, 127)
    xf = rng.normal(size=D).astype("<f4")
    b8, bf = x8.tobytes(), xf.tobytes()
    (js, dims, f32, f32i8) = db.execute(
        "SELECT emb_json(vec_int8(?1)), emb_dims(vec_int8(?1)), emb_f32(vec_int8(?1)),"
        " emb_f32(vec_int8(?1), 'i8')", (b8,)).fetchone()
    c.check(json.loads(js) == [float(a) for a in x8], "emb_json(vec_int8())", js)
    c.check(dims == D, "emb_dims(vec_int8())", str(dims))
    want = x8.astype("<f4").tobytes()
    c.check(f32 == want and f32i8 == want, "emb_f32(vec_int8()) is float32 of int8", "")
    (js,) = db.execute("SELECT emb_json(vec_f32(?))", (bf,)).fetchone()
    c.check(np.array_equal(np.array(json.loads(js), dtype="<f4"), xf), "emb_json(vec_f32())", js)
    # a scalar reader and an aggregate on vec_int8() results, no table
    (blob,) = db.execute("SELECT svd_basis(v, 1) FROM (SELECT '[1, 2, 3, 4, 5, 6]' AS v"
                         " UNION ALL SELECT '[2, 0, 3, 1, 5, -6]')").fetchone()
    b = json.loads(db.execute("SELECT svd_basis_json(?)", (blob,)).fetchone()[0])
    (coord,) = db.execute("SELECT svd_coord(?, vec_int8(?), 1)", (blob, b8)).fetchone()
    want = float(np.dot(x8 - np.array(b["mean"]), b["directions"][0]))
    c.check(abs(coord - want) <= 1e-12 * np.linalg.norm(x8), "svd_coord(B, vec_int8())",
            f"{coord!r} vs {want!r}")
    vals = [rng.integers(-128, 128, size=4).astype(np.int8) for _ in range(5)]
    (s,) = db.execute("SELECT svd_spectrum(vec_int8(v)) FROM (" +
                      " UNION ALL ".join(["SELECT ? AS v"] * 5) + ")",
                      [v.tobytes() for v in vals]).fetchone()
    close_sigma(c, "svd_spectrum(vec_int8()) over a subquery", s, np.array(vals, dtype=float))
    # a TYPE that contradicts sqlite-vec's tag
    expect_error(c, db, "emb_f32(vec_int8(), 'f32')", "SELECT emb_f32(vec_int8(?), 'f32')", (b8,),
                 "emb_f32(): argument 1 is an int8 vector (sqlite-vec subtype 225), not 'f32' "
                 "as TYPE says; expected TYPE 'i8' or none")
    expect_error(c, db, "emb_f32(vec_f32(), 'f64')", "SELECT emb_f32(vec_f32(?), 'f64')", (bf,),
                 "emb_f32(): argument 1 is a float32 vector (sqlite-vec subtype 223), not 'f64' "
                 "as TYPE says; expected TYPE 'f32' or none")
    (same,) = db.execute("SELECT emb_f32(vec_f32(?), 'f32') = ?", (bf, bf)).fetchone()
    c.check(same == 1, "emb_f32(vec_f32(), 'f32') is X", "")


def bits(c, db, bitrows):
    """A bit vector is an error naming the way around, which works."""
    expect_error(c, db, "bit vec_bit()", "SELECT svd_spectrum(vec_bit(x'ff'))", (),
                 "svd_spectrum(): " + BIT)
    expect_error(c, db, "bit vec0 column", "SELECT svd_spectrum(embedding) FROM vb", (),
                 "svd_spectrum(): " + BIT)
    expect_error(c, db, "bit svd_state", "SELECT svd_state(embedding) FROM vb", (),
                 "svd_state(): " + BIT)
    for f, what in (("emb_dims(vec_bit(x'ff'))", "emb_dims(): argument 1"),
                    ("emb_json(vec_bit(x'ff'))", "emb_json(): argument 1"),
                    ("emb_f32(vec_bit(x'ff'), 'i8')", "emb_f32(): argument 1"),
                    ("svd_coord(svd_basis('[1, 2]', 1), vec_bit(x'ff'), 1)", "svd_coord(): X"),
                    ("svd_cka(vec_bit(x'ff'), '[1]')", "svd_cka(): X of row 1")):
        msg = what + BIT[len("row 1"):]
        expect_error(c, db, f"bit {f}", f"SELECT {f}", (), msg)
    # vec_to_json() gives the bits, lowest first, as numbers
    (s,) = db.execute("SELECT svd_spectrum(vec_to_json(embedding)) FROM vb").fetchone()
    x = np.unpackbits(bitrows, axis=1, bitorder="little").astype(np.float64)
    close_sigma(c, "svd_spectrum(vec_to_json(bit column))", s, x)


def subtype_gone(c, db, part, x8, rng):
    """Where the subtype is gone, a BLOB is float32 bytes (README's
    "Vectors"), and vec_int8() or emb_f32(X, 'i8') in the call recovers."""
    ids = sorted(part)
    six = ("svd_spectrum(): row 1 is a 6-byte BLOB; a float32 vector needs a multiple "
           "of 4 bytes")
    db.execute("CREATE TABLE p8 AS SELECT rowid AS id, part, embedding FROM v8")
    expect_error(c, db, "plain table int8[6]", "SELECT svd_spectrum(embedding) FROM p8", (), six)
    expect_error(c, db, "GROUP BY bare int8 column", "SELECT part, svd_spectrum(embedding)"
                 " FROM v8 GROUP BY part", (), six)
    expect_error(c, db, "OVER bare int8 column", "SELECT svd_spectrum(embedding)"
                 " OVER (PARTITION BY part) FROM v8", (), six)
    expect_error(c, db, "GROUP BY over a subquery's column", "SELECT part, svd_spectrum(e)"
                 " FROM (SELECT part, vec_int8(embedding) AS e FROM v8) GROUP BY part", (), six)
    for f in ("vec_int8(embedding)", "emb_f32(embedding, 'i8')"):
        (s,) = db.execute(f"SELECT svd_spectrum({f}) FROM p8").fetchone()
        close_sigma(c, f"plain table svd_spectrum({f})", s, rows(x8, ids))
    # 8 int8 values are 8 bytes: two float32 values, silently
    y = rng.integers(1, 101, size=(6, 8)).astype(np.int8)
    db.execute("CREATE TABLE q8(v)")
    db.executemany("INSERT INTO q8 SELECT vec_int8(?)", [(r.tobytes(),) for r in y])
    (s, s8) = db.execute("SELECT svd_spectrum(v), svd_spectrum(vec_int8(v)) FROM q8").fetchone()
    close_sigma(c, "plain table int8[8] read as float32",
                s, np.frombuffer(y.tobytes(), dtype="<f4").reshape(6, 2).astype(np.float64))
    close_sigma(c, "plain table int8[8] with vec_int8()", s8, y.astype(np.float64))


def run(ext):
    c = Checker()
    vec0 = vec0_path()
    if vec0 is None:
        print("FAIL reference_vec: could not install sqlite-vec-linux-x64 with npm")
        return 0, 1
    rng = np.random.default_rng(20261130)
    db = connect(ext)
    db.enable_load_extension(True)
    db.load_extension(vec0)
    db.enable_load_extension(False)
    (v,) = db.execute("SELECT vec_version()").fetchone()
    c.check(v == "v" + VERSION, "sqlite-vec version", v)
    part, x8, xf, bitrows = setup(db, rng)
    for name, f, args in (("aggregates", aggregates, (part, x8, xf)),
                          ("windows", windows, (part, x8, xf)),
                          ("bases", bases, (part, x8, xf)),
                          ("knn", knn, (part, x8, xf)),
                          ("direct", direct, (rng,)),
                          ("bits", bits, (bitrows,)),
                          ("subtype_gone", subtype_gone, (part, x8, rng))):
        try:
            f(c, db, *args)
        except sqlite3.Error as e:    # the rest of that part is not run
            c.check(False, name, f"unexpected error: {e}")
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_vec: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
