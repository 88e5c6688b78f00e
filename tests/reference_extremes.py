"""Reference checks at the edges of the double range and of cancellation.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

1. Subnormal data (below 2^-1022, down to 5e-324): both methods and
   svd_basis against numpy on the same matrix scaled by a power of two into
   the normal range (exact for subnormals), the result scaled back.
2. A shared mean 1e12 and 1e14 times the spread over 100,000 and 300,000
   rows, with a repeated column so that the true last singular value is 0.
   The reference subtracts the known offset first (exact: Sterbenz), so
   numpy never sees the large mean.
3. method=gram on groups of n <= d rows: the rank lost to centering gives a
   last singular value of exactly 0 (API.md: at most 1e-12 * sigma_1).
4. svd_basis's sigma equal svd_spectrum's to the last digit on every road.
"""
import json
import sys

import numpy as np

from reference import Checker, centered_svd, connect

TOL = 1e-12


def load(db, rows):
    db.execute("DROP TABLE IF EXISTS m")
    db.execute("CREATE TABLE m(v)")
    db.executemany("INSERT INTO m VALUES (?)",
                   [(json.dumps([float(a) for a in r]),) for r in rows])


def query(c, db, name, sql, args=()):
    """The one value of sql, or None after recording the error as a failure."""
    try:
        return db.execute(sql, args).fetchone()[0]
    except Exception as e:  # an SQL error is a failed check, not a crash
        c.check(False, name, f"error: {e}")
        return None


def close(got, want, scale, floor=0.0):
    """Largest |got - want| beyond floor, relative to scale."""
    got, want = np.asarray(got), np.asarray(want)
    return float(np.max(np.maximum(np.abs(got - want) - floor, 0.0)) / scale)


def subnormal(c, db, rng):
    """Data scaled into the subnormal range; numpy on the matrix scaled by
    2^e back into the normal range (exact both ways for these values)."""
    cases = [
        ("issue pair", np.array([[1e-310, 0.0], [0.0, 2e-310]])),
        ("smallest", np.array([[5e-324, 0.0], [0.0, 1e-323], [1e-323, 1e-323]])),
        ("random 7x5", np.ldexp(np.round(rng.normal(size=(7, 5)) * 2**20), -1074 + 10)),
        ("random 4x9", np.ldexp(np.round(rng.normal(size=(4, 9)) * 2**30), -1074)),
        # rows near 2^-1000 differing by multiples of 2^-1052: the gram
        # method's shift by the first row leaves subnormal differences
        ("near 2^-1000", np.ldexp(1.0, -1000) + np.ldexp(
            rng.integers(-50, 50, size=(6, 4)).astype(np.float64), -1052)),
    ]
    for name, x in cases:
        n, d = x.shape
        tiny = np.max(np.abs(x)) < 2.0**-1022 or name == "near 2^-1000"
        c.check(tiny, f"subnormal {name} is subnormal", "test data not subnormal")
        # exact scaling: subtract the common part first where there is one
        base = np.ldexp(1.0, -1000) if name == "near 2^-1000" else 0.0
        e = 1052 if base else 1074
        y = np.ldexp(x - base, e)
        for center in (True, False):
            if base and not center:
                continue
            _, s, vt = centered_svd(y, center)
            ref = np.ldexp(s, -e)
            scale = ref[0] if ref[0] > 0 else 1.0
            opts = "" if center else ",center=false"
            for method in ("exact", "gram"):
                load(db, x)
                label = f"subnormal {name} {method} center={center}"
                text = query(c, db, label, "SELECT svd_spectrum(v, ?) FROM m",
                             ("method=" + method + opts,))
                if text is None:
                    continue
                got = json.loads(text)
                err = close(got, ref[:len(got)], scale, 5e-324)
                c.check(len(got) == min(n, d) and err <= TOL, label,
                        f"got {got}, numpy {ref.tolist()}, error {err:.3g}")
                # svd_basis: sigma and the first direction
                k = 1
                js = query(c, db, label + " basis",
                           "SELECT svd_basis_json(svd_basis(v, ?, ?)) FROM m",
                           (k, "method=" + method + opts))
                if js is None:
                    continue
                b = json.loads(js)
                err = close(b["sigma"], ref[:k], scale, 5e-324)
                c.check(err <= TOL, f"subnormal {name} basis {method} center={center} sigma",
                        f"got {b['sigma']}, numpy {ref[:k].tolist()}")
                if len(ref) < 2 or ref[0] - ref[1] > 1e-3 * ref[0]:
                    v = np.array(b["directions"][0])
                    cos = abs(float(v @ vt[0])) / np.linalg.norm(v)
                    c.check(abs(cos - 1) <= 1e-6, f"subnormal {name} basis {method} direction",
                            f"|cos| with numpy's {cos!r}")
                if center:
                    mean = np.array(b["mean"])
                    want = x.mean(axis=0) if not base else base + np.ldexp(y.mean(axis=0), -e)
                    err = np.max(np.abs(mean - want))
                    c.check(err <= 5e-324 * 2, f"subnormal {name} basis {method} mean",
                            f"mean {mean.tolist()} vs {want.tolist()}")


def repeated_column(rng, n, mean):
    """n x 4 rows mean + spread 1, the 4th column a copy of the 1st, so
    the centered matrix has rank 3 exactly. Returns (x, x - offset)."""
    offset = mean * np.array([1.0, -1.0, 0.5, 1.0])
    z = rng.normal(size=(n, 3)) * np.array([1.0, 0.5, 0.25])
    x = offset[:3] + z
    x = np.column_stack([x, x[:, 0]])
    return x, x - offset  # exact: x and offset agree to within a factor 2


def large_mean(c, db, rng):
    for n, mean in [(100000, 1e12), (300000, 1e14)]:
        x, y = repeated_column(rng, n, mean)
        load(db, x)
        text = query(c, db, f"mean {mean:g}", "SELECT svd_spectrum(v, 'method=exact') FROM m")
        if text is None:
            continue
        got = np.array(json.loads(text))
        ref = centered_svd(y)[1]
        ref[3] = 0.0  # the exact answer; numpy's is rounding
        err = close(got, ref, ref[0])
        c.check(err <= TOL, f"mean {mean:g} x spread, {n} rows",
                f"worst error {err:.3g} of sigma_1 (last {got[3]:.3g})")


def gram_small(c, db, rng):
    for n, d, mean in [(2, 5, 0.0), (5, 5, 0.0), (20, 768, 0.0), (20, 768, 1e3),
                       (64, 64, 1e6), (3, 1000, 1e2)]:
        x = mean + rng.normal(size=(n, d)) * np.geomspace(3, 0.3, d)
        x = x.astype(np.float32).astype(np.float64)
        db.execute("DROP TABLE IF EXISTS m")
        db.execute("CREATE TABLE m(v)")
        db.executemany("INSERT INTO m VALUES (?)",
                       [(r.astype("<f4").tobytes(),) for r in x])
        text = query(c, db, f"gram {n}x{d}", "SELECT svd_spectrum(v, 'method=gram') FROM m")
        if text is None:
            continue
        got = np.array(json.loads(text))
        c.check(len(got) == n and got[-1] <= TOL * got[0],
                f"gram {n}x{d} mean {mean:g}: last value is 0",
                f"last {got[-1]:.3g}, sigma_1 {got[0]:.3g}")


def basis_agrees(c, db, rng):
    """svd_basis's sigma are svd_spectrum's to the last digit, on the roads
    that stream (gram, and auto on a large group) as on the exact one."""
    for n, d, opt in [(3000, 64, "method=gram"), (100000, 24, "method=auto"),
                      (2000, 40, "method=exact"), (30, 40, "method=exact")]:
        x = (rng.normal(size=(n, d)) * np.geomspace(3, 0.3, d) + 5).astype("<f4")
        db.execute("DROP TABLE IF EXISTS m")
        db.execute("CREATE TABLE m(v)")
        db.executemany("INSERT INTO m VALUES (?)", [(r.tobytes(),) for r in x])
        s = query(c, db, f"agree {n}x{d}", "SELECT svd_spectrum(v, ?) FROM m", (opt,))
        b = query(c, db, f"agree {n}x{d}",
                  "SELECT svd_basis_json(svd_basis(v, 5, ?)) FROM m", (opt,))
        if s is None or b is None:
            continue
        s, b = json.loads(s)[:5], json.loads(b)["sigma"]
        c.check(s == b, f"basis sigma are the spectrum's, {n}x{d} {opt}",
                f"spectrum {s}, basis {b}")
        ref = centered_svd(x.astype(np.float64))[1][:5]
        c.check(close(b, ref, ref[0]) <= 1e-9, f"basis sigma {n}x{d} {opt} vs numpy",
                f"basis {b}, numpy {ref.tolist()}")


def run(ext, seed=20261129):
    c = Checker()
    rng = np.random.default_rng(seed)
    db = connect(ext)
    subnormal(c, db, rng)
    large_mean(c, db, rng)
    gram_small(c, db, rng)
    basis_agrees(c, db, rng)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_extremes: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
