"""Reference checks of svd_cka(X, Y [, OPTIONS]) against numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

The reference is linear CKA in its cross-covariance form (Kornblith et al.
2019, eq. 5), ||Yc'Xc||_F^2 / (||Xc'Xc||_F ||Yc'Yc||_F), in double. Its
centering is made exact for data with a large shared mean: every row is
first shifted by the first row (a difference of nearby doubles is exact),
then the mean of what is left is subtracted twice, as tests/reference.py
does for spectra. For the invariances the reference is the analytic 1.
"""
import json
import sys

import numpy as np

from reference import Checker, connect

TOL = 1e-12  # relative to the reference value


def centered(x):
    x = x - x[0]
    x = x - x.mean(axis=0)
    return x - x.mean(axis=0)


def cka_ref(x, y, center=True):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if center:
        x, y = centered(x), centered(y)
    # scaled so that the squares below stay in range (CKA is scale-free)
    x = x / np.max(np.abs(x))
    y = y / np.max(np.abs(y))
    num = np.linalg.norm(y.T @ x) ** 2
    return num / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def cka_kernel_ref(x, y):
    """The HSIC form, tr(K H L H) / sqrt(tr(K H K H) tr(L H L H)), with the
    centering matrix H: a second, independent formula for the reference."""
    n = x.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    k, l = h @ (x @ x.T) @ h, h @ (y @ y.T) @ h
    return np.sum(k * l) / (np.linalg.norm(k) * np.linalg.norm(l))


def enc(row, kind):
    if kind == "json":
        return json.dumps([float(a) for a in row])
    return np.asarray(row, dtype="<f4").tobytes()


def load(db, x, y, kx="json", ky="json", grp=None):
    db.execute("DROP TABLE IF EXISTS p")
    db.execute("CREATE TABLE p(id INTEGER PRIMARY KEY, grp, x, y)")
    g = grp if grp is not None else [0] * len(x)
    db.executemany("INSERT INTO p(grp, x, y) VALUES (?, ?, ?)",
                   [(int(gi), None if a is None else enc(a, kx),
                     None if b is None else enc(b, ky)) for gi, a, b in zip(g, x, y)])


def cka(db, options=None):
    if options is None:
        return db.execute("SELECT svd_cka(x, y) FROM p").fetchone()[0]
    return db.execute("SELECT svd_cka(x, y, ?) FROM p", (options,)).fetchone()[0]


def close(c, name, got, want, tol=TOL):
    ok = got is not None and abs(got - want) <= tol * abs(want) and 0.0 <= got <= 1.0
    c.check(ok, name, f"got {got!r}, want {want!r}"
            + (f" (relative error {abs(got - want) / abs(want):.3g})" if got is not None else ""))


def orthogonal(rng, d1, d2):
    """A d1 x d2 matrix with orthonormal rows (d1 <= d2)."""
    q, _ = np.linalg.qr(rng.normal(size=(d2, d1)))
    return q.T


def invariances(c, db, rng):
    """Y = s * X Q + t, Q with orthonormal rows: CKA is exactly 1."""
    for n, d, d2 in [(8, 40, 40), (8, 40, 55), (300, 12, 12), (300, 12, 20), (60, 30, 30)]:
        x = rng.normal(size=(n, d)) * np.linspace(2, 0.2, d) + rng.normal(size=d)
        q = orthogonal(rng, d, d2)
        for s, t, what in [(1.0, 0.0, "rotation"), (3.7e-3, 0.0, "rotation, scale"),
                           (0.25, 1e3 * rng.normal(size=d2), "rotation, scale, translation"),
                           (2.0, 1e6 * (1 + rng.random(size=d2)), "translation 1e6 x spread")]:
            load(db, x, s * (x @ q) + t)
            close(c, f"{what} {n}x{d} to {d2}", cka(db), 1.0)
        # a translation of X alone, by 1e6 times its spread
        load(db, x + 1e6 * (1 + rng.random(size=d)), x @ q)
        close(c, f"X translated 1e6 x spread {n}x{d}", cka(db), 1.0)
    # uncentered alignment is invariant under rotation and scale, not translation
    x = rng.normal(size=(20, 6))
    load(db, x, 5.0 * (x @ orthogonal(rng, 6, 6)))
    close(c, "uncentered rotation, scale", cka(db, "center=false"), 1.0)
    y = x @ orthogonal(rng, 6, 6) + 3.0
    load(db, x, y)
    close(c, "uncentered translation is not invariant", cka(db, "center=false"),
          cka_ref(x, y, center=False))
    c.check(cka(db, "center=false") < 0.9, "uncentered translation lowers it",
            str(cka(db, "center=false")))


def random_values(c, db, rng):
    """Random data of every shape, against the reference; both of the
    extension's forms (kernel when n - 1 < dX + dY, else cross-products)."""
    shapes = [(2, 3, 3), (3, 1, 1), (5, 10, 7), (12, 300, 200), (40, 256, 64),
              (200, 10, 7), (2000, 24, 40), (500, 1, 3), (60, 30, 30),
              # either side of the switch between the forms: m = n - 1 vs dX + dY
              (15, 9, 5), (16, 9, 5), (17, 9, 5)]
    for n, d1, d2 in shapes:
        x = rng.normal(size=(n, d1)) * rng.uniform(0.1, 10, size=d1) + rng.normal(size=d1)
        mix = rng.normal(size=(d1, d2)) * 0.3
        y = x @ mix + rng.normal(size=(n, d2)) + rng.normal(size=d2)
        load(db, x, y)
        want = cka_ref(x, y)
        close(c, f"random {n}x{d1} vs {n}x{d2}", cka(db), want)
        if n <= 300:
            # the reference against the HSIC form (a check of the reference)
            close(c, f"reference forms agree {n}x{d1} vs {n}x{d2}",
                  cka_kernel_ref(x, y), want, 1e-10)
        close(c, f"random uncentered {n}x{d1} vs {n}x{d2}", cka(db, "center=false"),
              cka_ref(x, y, center=False))
        # symmetric in X and Y
        load(db, y, x)
        close(c, f"random swapped {n}x{d2} vs {n}x{d1}", cka(db), want)
    # independent data: far from 1 (and the value still right)
    x, y = rng.normal(size=(400, 5)), rng.normal(size=(400, 8))
    load(db, x, y)
    want = cka_ref(x, y)
    c.check(want < 0.1, "independent data reference is small", str(want))
    close(c, "independent 400x5 vs 400x8", cka(db), want)
    # Y's centered columns orthogonal to X's: CKA is 0, and the kernel
    # form's sum of signed products must not round below it
    for n, d1, d2 in [(20, 18, 2), (12, 10, 2), (40, 10, 3)]:
        for t in range(4):
            x = rng.normal(size=(n, d1)) * 10.0 ** rng.uniform(-3, 3, size=d1)
            basis = np.linalg.qr(np.c_[np.ones(n), x])[0]
            u = rng.normal(size=(n, d2))
            y = u - basis @ (basis.T @ u)
            load(db, x, y)
            got = cka(db)
            c.check(got is not None and 0.0 <= got <= 1e-14,
                    f"orthogonal {n}x{d1} vs {n}x{d2} #{t}", repr(got))
    # n = 2: every centered kernel has rank 1, so CKA is 1
    load(db, rng.normal(size=(2, 7)), rng.normal(size=(2, 3)))
    close(c, "two pairs give 1", cka(db), 1.0)


def large_mean(c, db, rng):
    """A shared mean 1e6 (and 1e12) times the spread, as JSON doubles. At
    1e12 even a two-pass x - mean(x) is off: the mean's rounding, shared by
    every row, adds n*c*c' of 1e-8 relative to the cross-products."""
    for n, d1, d2, big in [(10, 50, 30, 1e6), (400, 20, 10, 1e6), (30, 8, 8, 1e6),
                           (10, 50, 30, 1e12), (400, 20, 10, 1e12)]:
        x = big * (1 + rng.random(size=d1)) + rng.normal(size=(n, d1))
        y = big * (1 + rng.random(size=d2)) + (x[:, :d2] - x[:, :d2].mean(0)) \
            + 0.5 * rng.normal(size=(n, d2))
        load(db, x, y)
        want = cka_ref(x, y)
        close(c, f"mean {big:g} x spread {n}x{d1} vs {n}x{d2}", cka(db), want)
        # the data do defeat one-pass sums of squares: X'X - n mean mean'
        def one_pass(a):
            return a.T @ a - len(a) * np.outer(a.mean(0), a.mean(0))
        cx, cy = one_pass(x), one_pass(y)
        cxy = y.T @ x - n * np.outer(y.mean(0), x.mean(0))
        naive = np.linalg.norm(cxy) ** 2 / (np.linalg.norm(cx) * np.linalg.norm(cy))
        c.check(abs(naive - want) > 1e3 * TOL * want,
                f"mean {big:g} {n}x{d1}: the one-pass formula is off", f"{naive} vs {want}")


def scales(c, db, rng):
    """Values near 1e200 (fourth powers overflow) and 1e-200 (they
    underflow), and subnormal ones: CKA does not see the scale."""
    for n, d1, d2 in [(10, 40, 20), (300, 10, 6)]:
        x = rng.normal(size=(n, d1)) + rng.normal(size=d1)
        y = x[:, :d2] + rng.normal(size=(n, d2))
        want = cka_ref(x, y)
        # 1e100 and 1e-100 are not scaled before centering (below 2^±400)
        for sx, sy in [(1e200, 1e-200), (1e300, 1e300), (1e-300, 3e-310), (1e-200, 1.0),
                       (1e100, 1e-100), (3e120, 1.0)]:
            load(db, x * sx, y * sy)
            wx = cka_ref(x * sx, y * sy)
            # subnormal values lose digits to their spacing: the reference
            # then is the data as stored
            close(c, f"scale {sx:g}/{sy:g} {n}x{d1} vs {n}x{d2}", cka(db), wx)
            if sx >= 1e-200 and sy >= 1e-200:
                close(c, f"scale {sx:g}/{sy:g} {n}x{d1} is unscaled value", cka(db), want)
            close(c, f"scale {sx:g}/{sy:g} uncentered {n}x{d1}",
                  cka(db, "center=false"), cka_ref(x * sx, y * sy, center=False))


def groups_and_nulls(c, db, rng):
    """GROUP BY gives each group its own CKA; a pair with a NULL side is
    skipped."""
    sizes = [7, 40, 3, 120, 2]
    xs, ys, gs = [], [], []
    for g, n in enumerate(sizes):
        x = rng.normal(size=(n, 6)) + g
        y = x @ rng.normal(size=(6, 4)) + rng.normal(size=(n, 4))
        xs += list(x)
        ys += list(y)
        gs += [g] * n
    # NULL sides, which must not count: X in group 1, Y in group 3, both in 0
    extra = [(1, None, rng.normal(size=4)), (3, rng.normal(size=6), None), (0, None, None)]
    for g, a, b in extra:
        gs.append(g)
        xs.append(a)
        ys.append(b)
    load(db, xs, ys, grp=gs)
    got = dict(db.execute("SELECT grp, svd_cka(x, y) FROM p GROUP BY grp").fetchall())
    c.check(sorted(got) == list(range(len(sizes))), "group by: one row per group", str(got))
    for g in range(len(sizes)):
        x = np.array([a for gi, a, b in zip(gs, xs, ys) if gi == g and a is not None and b is not None])
        y = np.array([b for gi, a, b in zip(gs, xs, ys) if gi == g and a is not None and b is not None])
        close(c, f"group by: group {g} ({len(x)} pairs)", got.get(g), cka_ref(x, y))
    # a subquery and HAVING, as any aggregate
    have = [r[0] for r in db.execute(
        "SELECT grp FROM p GROUP BY grp HAVING svd_cka(x, y) > 0.99 ORDER BY grp")]
    c.check(have == [g for g in range(len(sizes)) if got[g] > 0.99], "having", str(have))


def float32_blobs(c, db, rng):
    """float32 BLOB input: the reference takes the float32 values."""
    for n, d1, d2 in [(9, 64, 32), (500, 16, 8)]:
        x = (rng.normal(size=(n, d1)) + 2).astype(np.float32).astype(np.float64)
        y = (x[:, :d2] * 0.5 + rng.normal(size=(n, d2))).astype(np.float32).astype(np.float64)
        load(db, x, y, "blob", "blob")
        close(c, f"float32 blobs {n}x{d1} vs {n}x{d2}", cka(db), cka_ref(x, y))
        load(db, x, y, "blob", "json")
        close(c, f"float32 X, JSON Y {n}x{d1} vs {n}x{d2}", cka(db), cka_ref(x, y))
        load(db, x, y, "blob", "blob")
        close(c, f"float32 blobs uncentered {n}x{d1}", cka(db, "center=false"),
              cka_ref(x, y, center=False))


def run(ext):
    c = Checker()
    db = connect(ext)
    rng = np.random.default_rng(20261216)
    invariances(c, db, rng)
    random_values(c, db, rng)
    large_mean(c, db, rng)
    scales(c, db, rng)
    groups_and_nulls(c, db, rng)
    float32_blobs(c, db, rng)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_cka: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
