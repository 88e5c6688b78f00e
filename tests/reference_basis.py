"""Reference checks of svd_basis and its readers against numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

numpy's directions are the rows of Vt from np.linalg.svd(X - mean), with the
same sign rule applied (largest-magnitude entry positive). Single directions
are compared only where their singular value is well separated; in general
the K-dimensional span is compared through principal angles, which equal
singular values leave unambiguous.
"""
import json
import sys

import numpy as np

from reference import Checker, connect, expect_error

ANGLE_TOL = 1e-9   # sine of the largest principal angle between the spans
COORD_TOL = 1e-9   # coordinates, relative


def load(db, rows, as_json):
    db.execute("DROP TABLE IF EXISTS m")
    db.execute("CREATE TABLE m(id INTEGER PRIMARY KEY, v)")
    if as_json:
        vals = [json.dumps([float(a) for a in r]) for r in rows]
    else:
        vals = [np.asarray(r, dtype="<f4").tobytes() for r in rows]
    db.executemany("INSERT INTO m(v) VALUES (?)", [(v,) for v in vals])


def sign_fix(vt):
    vt = vt.copy()
    for i in range(vt.shape[0]):
        if vt[i, np.argmax(np.abs(vt[i]))] < 0:
            vt[i] = -vt[i]
    return vt


def sin_largest_angle(a, b):
    """Sine of the largest principal angle between the row spans of a and b
    (orthonormal rows, as many): the norm of a's part outside b's span.
    (Computing it as sqrt(1 - cos^2) would lose half the digits.)"""
    return float(np.linalg.norm(a - (a @ b.T) @ b, 2))


def check_basis(c, db, name, x, k, center=True, as_json=False, twice=False, method=None):
    """method=gram: sigma agree with the spectrum's within the gram accuracy
    (1e-12 * sigma_1^2 on sigma^2) rather than to the last digit."""
    n, d = x.shape
    load(db, x, as_json)
    opt = "center=true" if center else "center=false"
    if method:
        opt += ", method=" + method
    (blob,) = db.execute("SELECT svd_basis(v, ?, ?) FROM m", (k, opt)).fetchone()
    (text,) = db.execute("SELECT svd_basis_json(?)", (blob,)).fetchone()
    (spec,) = db.execute("SELECT svd_spectrum(v, ?) FROM m", (opt,)).fetchone()
    b = json.loads(text)
    ok = (b["n"], b["d"], b["k"], b["center"]) == (n, d, k, center)
    c.check(ok, f"{name} header", str((b["n"], b["d"], b["k"], b["center"])))
    c.check(len(blob) == 32 + 8 * (2 * d + k + k * d), f"{name} blob size", str(len(blob)))
    if method == "gram":
        sg, sp = np.array(b["sigma"]), np.array(json.loads(spec)[:k])
        err = np.max(np.abs(sg ** 2 - sp ** 2)) / max(sp[0] ** 2, 1e-300)
        c.check(err <= 1e-12, f"{name} sigma near the spectrum's", f"{err:.3g} of sigma_1^2")
    else:
        c.check(b["sigma"] == json.loads(spec)[:k], f"{name} sigma is the spectrum's",
                f"{b['sigma'][:3]} vs {json.loads(spec)[:3]}")

    mean = x.mean(axis=0) if center else np.zeros(d)
    xc = x - mean
    if center and twice:
        xc = xc - xc.mean(axis=0)
    got_mean = np.array(b["mean"])
    scale = max(np.max(np.abs(x)), 1e-300)
    c.check(np.max(np.abs(got_mean - mean)) <= 1e-14 * scale, f"{name} mean",
            f"off by {np.max(np.abs(got_mean - mean)):.3g}")

    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    vt = sign_fix(vt)
    v = np.array(b["directions"])
    orth = np.max(np.abs(v @ v.T - np.eye(k)))
    c.check(orth <= 1e-13, f"{name} orthonormal", f"|VV'-I| = {orth:.3g}")
    signs = all(row[np.argmax(np.abs(row))] > 0 for row in v)
    c.check(signs, f"{name} sign rule", "a direction's largest entry is negative")

    # span of the directions whose sigma is clearly nonzero and clearly apart
    # from the next one
    rank_k = int(np.sum(s[:k] > 1e-8 * s[0])) if s[0] > 0 else 0
    if rank_k and (rank_k == len(s) or s[rank_k - 1] - (s[rank_k] if rank_k < len(s) else 0) > 1e-6 * s[0]):
        ang = sin_largest_angle(v[:rank_k], vt[:rank_k])
        c.check(ang <= ANGLE_TOL, f"{name} span of {rank_k}", f"sin angle {ang:.3g}")

    # coordinates, for directions whose sigma is separated from both neighbours
    sep = [i for i in range(min(k, rank_k))
           if (i == 0 or s[i - 1] - s[i] > 1e-3 * s[0])
           and (i + 1 >= len(s) or s[i] - s[i + 1] > 1e-3 * s[0])]
    if sep:
        ref = xc @ vt[sep].T
        got = np.array([[db.execute("SELECT svd_coord(?, v, ?) FROM m WHERE id = ?",
                                    (blob, i + 1, r + 1)).fetchone()[0] for i in sep]
                        for r in range(n)])
        err = np.abs(got - ref)
        big = np.abs(ref) >= 1e-3 * np.linalg.norm(xc, axis=1, keepdims=True)
        rel = np.max(err[big] / np.abs(ref[big])) if big.any() else 0.0
        absn = np.max(err / np.maximum(np.linalg.norm(xc, axis=1, keepdims=True), 1e-300))
        c.check(rel <= COORD_TOL and absn <= COORD_TOL, f"{name} coordinates {sep[:4]}",
                f"relative {rel:.3g}, of the row norm {absn:.3g}")
        # svd_project is the same numbers rounded to float32
        proj = [np.frombuffer(p, dtype="<f4") for (p,) in
                db.execute("SELECT svd_project(?, v) FROM m ORDER BY id", (blob,))]
        want = np.array([[np.float32(g) for g in row] for row in got])
        ok = all(np.array_equal(p[sep], w) for p, w in zip(proj, want))
        c.check(ok, f"{name} project is float32 of coord", "")
    # svd_direction is the float32 of the JSON direction
    dirs = [np.frombuffer(db.execute("SELECT svd_direction(?, ?)", (blob, i + 1)).fetchone()[0],
                          dtype="<f4") for i in range(k)]
    c.check(all(np.array_equal(dirs[i], v[i].astype(np.float32)) for i in range(k)),
            f"{name} svd_direction", "")


def decaying(rng, n, d, mean_scale=1.0, spread=1.0):
    r = min(n, d)
    u, _ = np.linalg.qr(rng.normal(size=(n, r)))
    w, _ = np.linalg.qr(rng.normal(size=(d, r)))
    s = spread * np.sqrt(n) * 2.0 ** -np.arange(r) * 10
    return u @ np.diag(s) @ w.T + mean_scale * rng.normal(size=d)


def run(ext, seed=20261128):
    c = Checker()
    rng = np.random.default_rng(seed)
    db = connect(ext)
    # well separated values: every direction and coordinate comparable
    for n, d, k, as_json in [(40, 8, 8, False), (40, 8, 3, True), (8, 40, 5, True),
                             (60, 60, 10, False), (300, 50, 6, False), (5, 300, 4, True)]:
        x = decaying(rng, n, d)
        if not as_json:
            x = x.astype(np.float32).astype(np.float64)
        kind = "json" if as_json else "blob"
        check_basis(c, db, f"basis {kind} {n}x{d} k{k}", x, k, as_json=as_json)
        check_basis(c, db, f"basis raw {kind} {n}x{d} k{k}", x, k, center=False, as_json=as_json)
    # random data, ordinary spread of singular values
    for n, d, k in [(200, 30, 5), (30, 200, 10), (100, 100, 20)]:
        x = rng.normal(size=(n, d)) * np.linspace(3, 0.5, d) + rng.normal(size=d)
        check_basis(c, db, f"basis gaussian {n}x{d} k{k}", x, k, as_json=True)
    # equal singular values: only the span is defined
    w, _ = np.linalg.qr(rng.normal(size=(12, 3)))
    pts = np.vstack([np.eye(3) * 4, -np.eye(3) * 4, np.eye(3) * 4, -np.eye(3) * 4]) @ w.T
    x = np.vstack([pts, np.zeros((2, 12))]) + rng.normal(size=12)
    check_basis(c, db, "basis equal sigmas 14x12 k3", x, 3, as_json=True)
    # K = n for a centered group with n <= d: the n-th direction completes
    x = decaying(rng, 6, 20)
    check_basis(c, db, "basis k=n 6x20", x, 6, as_json=True)
    # shared mean 1e6 times the spread
    x = decaying(rng, 50, 10, mean_scale=1e3, spread=1e-4)
    check_basis(c, db, "basis mean 1e6 x spread 50x10", x, 4, as_json=True, twice=True)
    x = decaying(rng, 10, 50, mean_scale=1e3, spread=1e-4)
    check_basis(c, db, "basis mean 1e6 x spread 10x50", x, 4, as_json=True, twice=True)
    # the exact method's workspace limit, reported before any of it is taken
    expect_error(c, db, "basis workspace limit",
                 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<7300)"
                 " SELECT svd_basis(zeroblob(4*7299), 1) FROM c", (),
                 "svd_basis(): the exact method's workspace for min(n, d) = 7299 is over "
                 "SQLite's 2 GiB allocation limit (at most 7298); method=gram takes d up to 8192")
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_basis: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
