"""Reference checks of method=gram and method=auto against numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

The gram method's promise (README, "Numerics"): every sigma_i^2 within
1e-12 * sigma_1^2 of numpy's, so sigma_i within 1e-9 relative whenever
sigma_i >= 1e-3 * sigma_1, including rows whose shared mean is 1e6 times
their spread. The shapes are chosen to cross the accumulator's block
boundaries, to reach the second accumulator (and so the helper thread),
and to make method=auto switch from keeping rows to streaming them.
"""
import json
import sys

import numpy as np

from reference import Checker, connect, expect_error
from reference_basis import check_basis, decaying, load


def ref_values(x, center=True):
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = x - x.mean(axis=0)
        x = x - x.mean(axis=0)
    return np.linalg.svd(x, compute_uv=False)


def check_gram(c, name, text, ref):
    got = np.array(json.loads(text))
    if len(got) != len(ref):
        c.check(False, name, f"{len(got)} values, expected {len(ref)}")
        return
    s1 = ref[0] if ref[0] > 0 else 1.0
    err2 = np.max(np.abs((got / s1) ** 2 - (ref / s1) ** 2))
    big = ref >= 1e-3 * s1
    rel = np.max(np.abs(got[big] - ref[big]) / ref[big]) if big.any() else 0.0
    c.check(err2 <= 1e-12 and rel <= 1e-9, name,
            f"sigma^2 off by {err2:.3g} of sigma_1^2, large sigma off by {rel:.3g} relative")


def spectrum(db, options):
    return db.execute("SELECT svd_spectrum(v, ?) FROM m", (options,)).fetchone()[0]


def run(ext, seed=20261129):
    c = Checker()
    rng = np.random.default_rng(seed)
    db = connect(ext)
    # blocks hold 2 MiB of rows, at most 1024: d=64 -> 1024 rows a block, so
    # 6000 rows make 6 blocks (the second accumulator takes blocks 4, 6, ...)
    cases = [(6000, 64, False, 1.0), (3000, 8, True, 1.0), (300, 10, False, 1.0),
             (40, 100, True, 1.0), (2500, 300, False, 1.0), (7000, 20, False, 100.0)]
    for n, d, as_json, mean in cases:
        x = mean * rng.normal(size=d) + rng.normal(size=(n, d)) * np.geomspace(5, 0.05, d)
        if not as_json:
            x = x.astype(np.float32).astype(np.float64)
        load(db, x, as_json)
        kind = "json" if as_json else "blob"
        check_gram(c, f"gram {kind} {n}x{d}", spectrum(db, "method=gram"), ref_values(x))
        check_gram(c, f"gram raw {kind} {n}x{d}", spectrum(db, "method=gram,center=false"),
                   ref_values(x, center=False))
    # mean 1e6 times the spread, as doubles and as float32
    x = 1e6 * rng.normal(size=16) + rng.normal(size=(5000, 16)) * np.geomspace(1, 0.01, 16)
    load(db, x, True)
    check_gram(c, "gram mean 1e6 x spread json 5000x16", spectrum(db, "method=gram"), ref_values(x))
    x = (1e3 + 1e-3 * rng.normal(size=(6000, 24))).astype(np.float32).astype(np.float64)
    load(db, x, False)
    check_gram(c, "gram mean 1e6 x spread blob 6000x24", spectrum(db, "method=gram"), ref_values(x))
    # extreme magnitudes: the power-of-two scale, and a rescale when a
    # block far larger than the first ones arrives
    for scale in (1e300, 1e-300):
        x = scale * rng.normal(size=(3000, 12))
        load(db, x, True)
        check_gram(c, f"gram magnitude {scale:g}", spectrum(db, "method=gram"), ref_values(x))
    x = np.vstack([1e-200 * rng.normal(size=(3000, 6)), 1e200 * rng.normal(size=(3000, 6))])
    load(db, x, True)
    check_gram(c, "gram tiny blocks then huge ones", spectrum(db, "method=gram"), ref_values(x))
    x = np.vstack([np.zeros((2500, 6)), rng.normal(size=(2500, 6))])
    load(db, x, True)
    check_gram(c, "gram zero blocks first", spectrum(db, "method=gram"), ref_values(x))

    # gram on groups of n <= d rows takes their n x n Gram matrix (no d x d
    # work); n = d + 1 streams. Many groups in one GROUP BY, each vs numpy.
    groups = []
    for n, d, mean in [(1, 5, 1.0), (2, 5, 1.0), (20, 768, 1.0), (64, 64, 1.0),
                       (65, 64, 1.0), (3, 300, 1.0), (20, 768, 1e6), (5, 40, 1e300),
                       (7, 40, 1e-300)]:
        scale = mean if mean < 1 else 1.0
        x = mean * rng.normal(size=d) + scale * rng.normal(size=(n, d)) * np.geomspace(5, 0.05, d)
        groups.append((f"{n}x{d} mean {mean:g}", x))
    for center in (True, False):
        db.execute("DROP TABLE IF EXISTS g")
        db.execute("CREATE TABLE g(grp INTEGER, v)")
        for i, (_, x) in enumerate(groups):
            db.executemany("INSERT INTO g VALUES (?, ?)",
                           [(i, json.dumps([float(a) for a in r])) for r in x])
        opt = "method=gram" + ("" if center else ",center=false")
        got = db.execute("SELECT grp, svd_spectrum(v, ?) FROM g GROUP BY grp ORDER BY grp",
                         (opt,)).fetchall()
        c.check([g for g, _ in got] == list(range(len(groups))), "gram small groups: one row each", "")
        for (i, text), (label, x) in zip(got, groups):
            check_gram(c, f"gram small group {label}{'' if center else ' raw'}", text,
                       ref_values(x, center))
    # the n x n path centers exactly too: a cross around 1e8, sigma known
    x = 1e8 + np.array([[3.0, 0, 0], [-3, 0, 0], [0, 1, 0], [0, -1, 0]])
    load(db, np.hstack([x, np.zeros((4, 2))]), True)
    check_gram(c, "gram small cross around 1e8", spectrum(db, "method=gram"),
               np.array([3 * np.sqrt(2), np.sqrt(2), 0.0, 0.0]))

    # auto: a small group is exact, digit for digit; a group of more than 2d
    # rows and 16 MiB streams, digit for digit as method=gram does
    x = rng.normal(size=(500, 30)).astype(np.float32).astype(np.float64)
    load(db, x, False)
    c.check(spectrum(db, "method=auto") == spectrum(db, "method=exact"), "auto small is exact", "")
    x = (rng.normal(size=256) + rng.normal(size=(9000, 256)) * np.geomspace(2, 0.1, 256)).astype(np.float32)
    load(db, x.astype(np.float64), False)
    auto, gram = spectrum(db, "method=auto"), spectrum(db, "method=gram")
    c.check(auto == gram, "auto 9000x256 streams as gram", f"{auto[:60]} vs {gram[:60]}")
    check_gram(c, "auto 9000x256 vs numpy", auto, ref_values(x.astype(np.float64)))
    # 8000 x 256 rows are 15.6 MiB: still kept, still exact
    load(db, x[:8000].astype(np.float64), False)
    c.check(spectrum(db, "method=auto") == spectrum(db, "method=exact"), "auto 8000x256 is exact", "")

    # principal directions through gram
    for n, d, k in [(6000, 40, 5), (500, 12, 12)]:
        x = decaying(rng, n, d, mean_scale=10.0)
        check_basis(c, db, f"gram basis {n}x{d} k{k}", x, k, as_json=True, method="gram")
    x = decaying(rng, 3000, 10, mean_scale=1e3, spread=1e-3)
    check_basis(c, db, "gram basis mean 1e6 x spread 3000x10", x, 4, as_json=True,
                twice=True, method="gram")
    # the exact method's limit of 8192 singular values, reported as the
    # 8193rd row of 8193 dimensions arrives (the rows kept are 537 MB)
    q = ("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<9000)"
         " SELECT svd_spectrum(zeroblob(4*8193), 'method=exact') FROM c")
    expect_error(c, db, "exact limit of 8192 values", q, (),
                 "svd_spectrum(): a group of more than 8192 rows of 8193 dimensions has "
                 "more than 8192 singular values, the limit of the exact method")
    # a bad row at that point is reported as itself, before the limit
    q = ("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c WHERE i<8193)"
         " SELECT svd_spectrum(CASE WHEN i<8193 THEN zeroblob(4*8193) ELSE 42 END,"
         " 'method=exact') FROM c")
    expect_error(c, db, "a bad row at the exact limit", q, (),
                 "svd_spectrum(): row 8193 is an INTEGER; expected a float32 BLOB or a "
                 "JSON array of numbers as TEXT")
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_gram: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
