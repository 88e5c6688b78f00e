"""Reference checks of svd_angles and svd_residual against scipy and numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy,
python3-scipy).

svd_angles: against scipy.linalg.subspace_angles (descending; reversed
here) on random subspaces, and against angles known by construction: the
same span, orthogonal spans, and tiny angles such as 1e-9, which a cosine
loses (cos 1e-9 is 1 - 5e-19, the double 1). scipy 1.10 itself loses such
an angle when the other angles include one above pi/4 (its choice between
sine and cosine is indexed in the opposite order of the angles), so the
tiny angles are checked against their construction, not against scipy.

svd_residual: against numpy's x - mean - V'V(x - mean), rounded to float32,
with the mean's two parts and the directions read from the BLOB (layout in
README), for centered and center=false bases; orthogonality to every
direction; the UPDATE pattern of README.
"""
import json
import math
import struct
import sys

import numpy as np

from reference import Checker, connect

try:
    from scipy.linalg import subspace_angles
except ImportError:
    subspace_angles = None


def make_basis(dirs, mean=None, n=None):
    """A BASIS BLOB (README's layout, version 1) with the rows of dirs as its
    directions; mean None: center=false."""
    dirs = np.asarray(dirs, dtype=np.float64)
    k, d = dirs.shape
    hi = np.zeros(d) if mean is None else np.asarray(mean, dtype=np.float64)
    head = b"SVDB" + struct.pack("<IIIII", 1, 0 if mean is None else 1, d, k, 0)
    head += struct.pack("<q", n if n is not None else max(k, 2))
    sigma = np.arange(k, 0, -1, dtype=np.float64)
    return head + b"".join(a.astype("<f8").tobytes() for a in (hi, np.zeros(d), sigma, dirs.ravel()))


def read_basis(blob):
    """(center, hi, lo, directions) of a BASIS BLOB, as stored."""
    _, _, flags, d, k, _ = struct.unpack("<4sIIIII", blob[:24])
    vals = np.frombuffer(blob[32:], dtype="<f8")
    return bool(flags & 1), vals[:d], vals[d:2 * d], vals[2 * d + k:].reshape(k, d)


def angles(db, a, b):
    (text,) = db.execute("SELECT svd_angles(?, ?)", (a, b)).fetchone()
    return np.array(json.loads(text))


def orthonormal(rng, d, k):
    q, _ = np.linalg.qr(rng.standard_normal((d, k)))
    return q.T


def check_scipy(c, db, name, va, vb, tol=1e-12):
    """va, vb: directions as rows."""
    got = angles(db, make_basis(va), make_basis(vb))
    want = subspace_angles(va.T, vb.T)[::-1]
    ok = len(got) == len(want) and np.max(np.abs(got - want)) <= tol
    ok = ok and np.all(np.diff(got) >= 0)
    c.check(ok, f"angles {name}", f"got {got[:4]}, scipy {want[:4]}")


def check_known(c, db, name, rng, d, thetas, extra_a=0, skew=0.0, tol=2e-15):
    """Spans at principal angles thetas, built as span(e_i) and
    span(cos t e_i + sin t e_(k+i)), then turned by a random rotation of
    R^d; A may have extra_a more directions e_(2k+j), orthogonal to both.
    skew: each basis's directions mixed within their span by I + skew*G,
    no longer quite orthonormal (as stored float64 directions may be)."""
    k = len(thetas)
    e = np.eye(d)
    va = np.vstack([e[:k], e[2 * k:2 * k + extra_a]])
    vb = np.array([math.cos(t) * e[i] + math.sin(t) * e[k + i] for i, t in enumerate(thetas)])
    rot, _ = np.linalg.qr(rng.standard_normal((d, d)))
    va, vb = va @ rot.T, vb @ rot.T
    va = (np.eye(len(va)) + skew * rng.standard_normal((len(va), len(va)))) @ va
    vb = (np.eye(k) + skew * rng.standard_normal((k, k))) @ vb
    want = np.sort(thetas)
    for a, b, order in ((va, vb, "A, B"), (vb, va, "B, A")):
        got = angles(db, make_basis(a), make_basis(b))
        err = np.max(np.abs(got - want))
        c.check(len(got) == k and err <= tol and np.all(np.diff(got) >= 0), f"angles {name} ({order})",
                f"got {got}, want {want}, off by {err:.3g}")


def test_angles(c, db, rng):
    if subspace_angles is None:
        c.check(False, "angles: scipy", "python3-scipy is not installed (make deps)")
        return
    # random subspaces of several d and K (K_a + K_b <= d: no forced zeros)
    for d, ka, kb in ((3, 1, 1), (5, 2, 3), (10, 4, 4), (50, 10, 3), (64, 3, 20),
                      (200, 30, 30), (768, 5, 12)):
        check_scipy(c, db, f"random d={d} Ka={ka} Kb={kb}", orthonormal(rng, d, ka), orthonormal(rng, d, kb))
    # subspaces sharing some directions: scipy's small angles are those it
    # gets from sines here (all angles below pi/4)
    q = orthonormal(rng, 30, 8)
    va = q[:6]
    vb = np.vstack([q[:4], math.cos(0.2) * q[4] + math.sin(0.2) * q[6],
                    math.cos(0.5) * q[5] + math.sin(0.5) * q[7]])
    check_scipy(c, db, "shared directions", va, vb, tol=1e-15)
    # bases built by svd_basis (centered and not) from random data
    db.execute("CREATE TABLE r(grp, v)")
    x = rng.standard_normal((120, 16)) * np.linspace(4, 0.5, 16)
    db.executemany("INSERT INTO r VALUES (?, ?)",
                   [(i % 2, np.asarray(row, dtype="<f4").tobytes()) for i, row in enumerate(x)])
    for opt in ("center=true", "center=false"):
        ba, bb = [blob for (blob,) in db.execute("SELECT svd_basis(v, ?, ?) FROM r GROUP BY grp ORDER BY grp",
                                                 (5 if opt == "center=true" else 7, opt))]
        check_scipy(c, db, f"svd_basis groups {opt}", read_basis(ba)[3], read_basis(bb)[3])

    # the same span: the same basis, and the same span turned within itself.
    # Below 1e-15 for small K; the rounding of Qb - Qa(Qa'Qb) grows about as
    # eps*sqrt(K): scipy gives 1.9e-15 at d=300, K=40 and 2.2e-15 at d=768,
    # K=100, where 2.5e-15 is asked of us
    for d, k, tol in ((4, 2, 1e-15), (50, 10, 1e-15), (300, 40, 2.5e-15), (768, 100, 2.5e-15)):
        v = orthonormal(rng, d, k)
        got = angles(db, make_basis(v), make_basis(v))
        c.check(len(got) == k and np.max(got) < tol, f"angles same basis d={d} K={k}", f"{got.max():.3g}")
        turn = orthonormal(rng, k, k)
        got = angles(db, make_basis(v), make_basis(turn @ v))
        c.check(len(got) == k and np.max(got) < tol, f"angles same span turned d={d} K={k}", f"{got.max():.3g}")
    # orthogonal spans: all pi/2
    for d, ka, kb in ((2, 1, 1), (40, 7, 11), (500, 60, 60)):
        q = orthonormal(rng, d, ka + kb)
        got = angles(db, make_basis(q[:ka]), make_basis(q[ka:]))
        c.check(len(got) == min(ka, kb) and np.max(np.abs(got - math.pi / 2)) <= 1e-15,
                f"angles orthogonal d={d}", f"{got}")
    # known angles, tiny ones among them (a cosine gives 0 for those)
    check_known(c, db, "tiny", rng, 10, [1e-9, 2e-9, 3e-12])
    check_known(c, db, "tiny and large", rng, 12, [1e-9, 0.3, 1.5, 1e-13])
    check_known(c, db, "tiny, unequal K", rng, 40, [1e-9, 0.7, 1.2, 1e-6, 0.01], extra_a=6)
    check_known(c, db, "tiny, directions skewed 1e-9", rng, 12, [1e-9, 0.4, 1.1, 0.0], extra_a=2, skew=1e-9)
    check_known(c, db, "near pi/4", rng, 8, [math.pi / 4 - 1e-12, math.pi / 4, math.pi / 4 + 1e-12])
    # ties at pi/4, where sines meet cosines: still ascending
    for seed in range(6):
        check_known(c, db, f"ties at pi/4 ({seed})", rng, 40, [math.pi / 4] * 12 + [0.1, 1.4])
    check_known(c, db, "many", rng, 100, list(rng.uniform(0, math.pi / 2, 20)) + [1e-10, 5e-11], extra_a=3)
    # where scipy agrees (all angles below pi/4), 1e-9 stays 1e-9 there too
    check_scipy(c, db, "tiny vs scipy", np.eye(6)[:2],
                np.array([[math.cos(1e-9), 0, math.sin(1e-9), 0, 0, 0],
                          [0, math.cos(2e-9), 0, math.sin(2e-9), 0, 0]]), tol=1e-20)


def residual_ref(blob, x):
    """numpy's x - mean - V'V(x - mean) in double, mean = hi + lo."""
    center, hi, lo, v = read_basis(blob)
    y = (np.asarray(x, dtype=np.float64) - hi) - lo if center else np.asarray(x, dtype=np.float64)
    return y - v.T @ (v @ y), y, v


def residuals(db, blob, xs, as_json):
    vals = [json.dumps([float(a) for a in x]) if as_json else np.asarray(x, dtype="<f4").tobytes() for x in xs]
    return [np.frombuffer(db.execute("SELECT svd_residual(?, ?)", (blob, v)).fetchone()[0], dtype="<f4")
            for v in vals]


def float32_of(g, ref, y):
    """g is ref rounded to float32, ref being known to 1e-14 |y| (two doubles
    summed in another order may round to neighbouring float32s)."""
    half_ulp = np.spacing(np.abs(ref).astype(np.float32)).astype(np.float64) / 2
    return bool(np.all(np.abs(g.astype(np.float64) - ref) <= half_ulp + 1e-14 * np.linalg.norm(y)))


def check_residual(c, db, name, blob, xs, as_json):
    """Equal to numpy's, rounded to float32; orthogonal to every direction."""
    if not as_json:
        xs = [np.asarray(x, dtype=np.float32).astype(np.float64) for x in xs]
    got = residuals(db, blob, xs, as_json)
    same = orth = 0.0
    ok_eq = True
    for g, x in zip(got, xs):
        ref, y, v = residual_ref(blob, x)
        ok_eq = ok_eq and float32_of(g, ref, y)
        same = max(same, np.max(np.abs(g - ref)) / max(np.linalg.norm(ref), 1e-300))
        g64 = g.astype(np.float64)
        orth = max(orth, np.max(np.abs(v @ g64)) / max(np.linalg.norm(g64), 1e-300))
    c.check(ok_eq, f"residual {name} equals numpy's as float32", f"off by {same:.3g} of |r|")
    c.check(orth <= 1e-6, f"residual {name} orthogonal", f"|v.r| = {orth:.3g} |r|")


def test_residual(c, db, rng):
    db.execute("CREATE TABLE m(grp, v)")
    for n, d, k in ((40, 6, 2), (300, 50, 10), (100, 768, 3)):
        x = rng.standard_normal((n, d)) * np.geomspace(5, 0.1, d) + rng.standard_normal(d) * 3
        db.execute("DELETE FROM m")
        db.executemany("INSERT INTO m VALUES (0, ?)", [(np.asarray(r, dtype="<f4").tobytes(),) for r in x])
        for opt in ("center=true", "center=false"):
            (blob,) = db.execute("SELECT svd_basis(v, ?, ?) FROM m", (k, opt)).fetchone()
            new = rng.standard_normal((5, d)) * 2
            check_residual(c, db, f"n={n} d={d} K={k} {opt} rows", blob, list(x[:8]), False)
            check_residual(c, db, f"n={n} d={d} K={k} {opt} new blob", blob, list(new), False)
            check_residual(c, db, f"n={n} d={d} K={k} {opt} new json", blob, list(new), True)
    # a mean 1e12 times the spread (JSON, in double): (x - hi) - lo is exact;
    # with hi alone the residual would be off by up to ulp(1e12)/2 = 6e-5
    x = 1e12 + rng.standard_normal((30, 5)) * np.array([3, 2, 1, 0.5, 0.25])
    db.execute("DELETE FROM m")
    db.executemany("INSERT INTO m VALUES (0, ?)", [(json.dumps(list(r)),) for r in x])
    (blob,) = db.execute("SELECT svd_basis(v, 2) FROM m").fetchone()
    center, hi, lo, _ = read_basis(blob)
    c.check(center and np.any(lo != 0), "residual large mean has a low part", str(lo))
    check_residual(c, db, "large mean", blob, list(x[:10]), True)
    # x in the span but for a part 1e-11 of |x - mean|: one pass would leave
    # about 1e-16 |x - mean| along the directions, 1e-5 of |r|
    v = orthonormal(rng, 80, 8)
    mean = rng.standard_normal(80)
    blob = make_basis(v, mean)
    u = rng.standard_normal(80)
    u -= v.T @ (v @ u)
    u -= v.T @ (v @ u)
    for scale in (1e-11, 1e-13):
        xs = [mean + v.T @ rng.standard_normal(8) * 10 + scale * 10 * u / np.linalg.norm(u) for _ in range(4)]
        got = residuals(db, blob, xs, True)
        orth = max(np.max(np.abs(v @ g.astype(np.float64))) / np.linalg.norm(g.astype(np.float64)) for g in got)
        c.check(orth <= 1e-6, f"residual near the span {scale:g} orthogonal", f"|v.r| = {orth:.3g} |r|")
        err = max(np.linalg.norm(g - residual_ref(blob, x)[0]) / np.linalg.norm(residual_ref(blob, x)[1])
                  for g, x in zip(got, xs))
        c.check(err <= 1e-14, f"residual near the span {scale:g} accurate", f"off by {err:.3g} of |x - mean|")

    # README's pattern: UPDATE with the basis from a subquery; afterwards the
    # table's spectrum is the old one without its top K values
    x = rng.standard_normal((200, 20)) * np.geomspace(10, 0.5, 20) + 4
    db.execute("CREATE TABLE emb(id INTEGER PRIMARY KEY, vec BLOB)")
    db.executemany("INSERT INTO emb(vec) VALUES (?)", [(np.asarray(r, dtype="<f4").tobytes(),) for r in x])
    db.execute("CREATE TABLE top AS SELECT svd_basis(vec, 3) AS b FROM emb")
    (blob,) = db.execute("SELECT b FROM top").fetchone()
    (before,) = db.execute("SELECT svd_spectrum(vec) FROM emb").fetchone()
    db.execute("UPDATE emb SET vec = svd_residual((SELECT b FROM top), vec)")
    after = [np.frombuffer(v, dtype="<f4") for (v,) in db.execute("SELECT vec FROM emb ORDER BY id")]
    x32 = x.astype(np.float32).astype(np.float64)
    ok = all(float32_of(a, *residual_ref(blob, r)[:2]) for a, r in zip(after, x32))
    c.check(ok, "residual UPDATE rows equal numpy's", "")
    (spec,) = db.execute("SELECT svd_spectrum(vec) FROM emb").fetchone()
    s_before, s_after = np.array(json.loads(before)), np.array(json.loads(spec))
    err = np.max(np.abs(s_after[:17] - s_before[3:])) / s_before[0]
    c.check(err <= 1e-6 and np.max(s_after[17:]) <= 1e-6 * s_before[0], "residual UPDATE removes the top 3",
            f"{s_after[:4]} vs {s_before[3:7]}, off by {err:.3g}")


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "dist/svd"
    db = connect(ext)
    c = Checker()
    rng = np.random.default_rng(20261201)
    test_angles(c, db, rng)
    test_residual(c, db, rng)
    print(f"reference_angles: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
