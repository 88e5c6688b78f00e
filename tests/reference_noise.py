"""Reference checks of svd_noise_threshold and svd_signal_rank against numpy/scipy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy, python3-scipy).

The reference is Gavish & Donoho's threshold written from the paper:
tau = omega(beta) * median(sigma), omega(beta) = lambda(beta) / sqrt(mu(beta)),
mu(beta) the median of the Marchenko-Pastur law, found by brentq on its
distribution function integrated by scipy.integrate.quad in the original
variable t (QUADPACK's algebraic weight (t - a)^(-1/2) takes the density's
edge behaviour, and its 1/sqrt(t) singularity at beta = 1). The extension
integrates in another variable by another rule, so the two are independent.

  1. omega(beta) on a grid of beta from 1e-9 to 1: to 1e-12 of scipy's, and
     within 0.02 of the paper's cubic fit.
  2. Low-rank signal plus Gaussian noise, 200x50, 50x200 and 500x500 with
     rank 3, 5 and 10, centered (rows with a shared mean) and raw: numpy's
     SVD and threshold recover the rank, the extension's count on its own
     svd_spectrum() is the same, and its threshold is numpy's on that
     spectrum to 1e-12. Raw rows with a shared mean have rank + 1.
  3. Random spectra of random shapes, both centerings, sorted or not: the
     threshold to 1e-12, the count exactly.
  4. The count is of values strictly above the threshold it returns.
"""
import json
import sys
import warnings

import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq

from reference import Checker, connect

REL = 1e-12
_omega_cache = {}


def mp_cdf(x, beta):
    a, b = (1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2
    if x <= a:
        return 0.0
    # density sqrt((b-t)(t-a)) / (2 pi beta t) = (t-a)^(-1/2) * f(t)
    f = lambda t: np.sqrt(b - t) * ((t - a) / t if a > 0 else 1.0) / (2 * np.pi * beta)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return quad(f, a, x, weight="alg", wvar=(-0.5, 0.0),
                    epsabs=1e-16, epsrel=1e-15, limit=500)[0]


def mp_median(beta):
    a, b = (1 - np.sqrt(beta)) ** 2, (1 + np.sqrt(beta)) ** 2
    return brentq(lambda x: mp_cdf(x, beta) - 0.5, a, b,
                  xtol=1e-300, rtol=8.9e-16, maxiter=200)


def omega(beta):
    if beta not in _omega_cache:
        lam = np.sqrt(2 * (beta + 1) + 8 * beta / ((beta + 1) + np.sqrt(beta * beta + 14 * beta + 1)))
        _omega_cache[beta] = lam / np.sqrt(mp_median(beta))
    return _omega_cache[beta]


def np_threshold(sigma, n, d, center=True):
    """numpy's tau and the values it judges, for a spectrum of min(n, d) values."""
    m = n - 1 if center else n
    if m == 0:
        return None, None
    k = min(m, d)
    kept = np.sort(np.asarray(sigma, dtype=np.float64))[::-1][:k]
    return omega(min(m, d) / max(m, d)) * np.median(kept), kept


def opts(center):
    return "center=true" if center else "center=false"


def sql_pair(db, spec, n, d, center):
    return db.execute("SELECT svd_noise_threshold(?, ?, ?, ?), svd_signal_rank(?, ?, ?, ?)",
                      (spec, n, d, opts(center)) * 2).fetchone()


def check_omega(c, db):
    shapes = [(1, 10 ** 9), (1, 10 ** 6), (1, 1000), (1, 100), (1, 20), (1, 10), (1, 5),
              (1, 4), (3, 10), (1, 3), (1, 2), (3, 5), (2, 3), (3, 4), (4, 5), (9, 10),
              (99, 100), (999, 1000), (99999, 100000), (1, 1), (7, 7)]
    worst_ref = worst_fit = 0.0
    for m, n in shapes:
        # a spectrum of ones has median 1: the threshold is omega itself
        beta = m / n
        spec = json.dumps([1.0] * m)
        got = db.execute("SELECT svd_noise_threshold(?, ?, ?, 'center=false')", (spec, m, n)).fetchone()[0]
        want = omega(m / n)
        worst_ref = max(worst_ref, abs(got - want) / want)
        fit = 0.56 * beta ** 3 - 0.95 * beta ** 2 + 1.82 * beta + 1.43
        worst_fit = max(worst_fit, abs(got - fit))
        # the transpose, and centered rows (one more row), give the same
        got_t = db.execute("SELECT svd_noise_threshold(?, ?, ?, 'center=false')", (spec, n, m)).fetchone()[0]
        got_c = db.execute("SELECT svd_noise_threshold(?, ?, ?)",
                           (json.dumps([1.0] * min(m + 1, n)), m + 1, n)).fetchone()[0]
        c.check(got_t == got and got_c == got, f"omega({beta:.6g}) of {m}x{n}, transposed, centered",
                f"{got!r} {got_t!r} {got_c!r}")
    c.check(worst_ref <= REL, "omega against scipy quad + brentq", f"worst relative error {worst_ref:.3g}")
    c.check(worst_fit <= 0.02, "omega within 0.02 of the paper's cubic fit", f"worst {worst_fit:.3g}")
    c.check(abs(omega(1.0) - 2.858) < 5e-4, "scipy's omega(1) is the paper's 2.858", f"{omega(1.0)!r}")


def low_rank(rng, n, d, r, center):
    """Signal of rank r, singular values 3 to 6 times the noise edge, plus N(0,1)."""
    edge = np.sqrt(n) + np.sqrt(d)
    u = rng.standard_normal((n, r))
    u -= u.mean(axis=0)             # centering leaves the signal as it is
    u, _ = np.linalg.qr(u)
    v, _ = np.linalg.qr(rng.standard_normal((d, r)))
    s = edge * np.linspace(6, 3, r)
    x = (u * s) @ v.T + rng.standard_normal((n, d))
    if center:
        x += 5 * rng.standard_normal(d)   # a shared mean, which centering removes
    return x.astype("<f4")


def check_low_rank(c, db, rng):
    for n, d in [(200, 50), (50, 200), (500, 500)]:
        for r in [3, 5, 10]:
            for center in [True, False]:
                name = f"{n}x{d} rank {r} {'centered' if center else 'raw'}"
                x = low_rank(rng, n, d, r, center)
                xd = x.astype(np.float64)
                if center:
                    xd = xd - xd.mean(axis=0)
                tau_np, kept = np_threshold(np.linalg.svd(xd, compute_uv=False), n, d, center)
                c.check(int(np.sum(kept > tau_np)) == r, name + " numpy recovers the rank",
                        f"numpy counts {int(np.sum(kept > tau_np))}")
                db.execute("DROP TABLE IF EXISTS t")
                db.execute("CREATE TABLE t(vec)")
                db.executemany("INSERT INTO t VALUES (?)", [(row.tobytes(),) for row in x])
                spec, rank = db.execute(
                    "SELECT s, svd_signal_rank(s, n, ?, ?) FROM "
                    "(SELECT svd_spectrum(vec, ?) AS s, count(vec) AS n FROM t)",
                    (d, opts(center), opts(center))).fetchone()
                c.check(rank == r, name + " rank", f"got {rank}")
                tau, rank2 = sql_pair(db, spec, n, d, center)
                want, kept = np_threshold(json.loads(spec), n, d, center)
                c.check(abs(tau - want) <= REL * want, name + " threshold",
                        f"got {tau!r}, numpy {want!r}")
                c.check(rank2 == int(np.sum(kept > want)), name + " rank of the same spectrum",
                        f"got {rank2}")
    # raw rows with a shared mean: the mean is one more direction above the noise
    x = low_rank(rng, 200, 50, 5, True)
    db.execute("DROP TABLE IF EXISTS t")
    db.execute("CREATE TABLE t(vec)")
    db.executemany("INSERT INTO t VALUES (?)", [(row.tobytes(),) for row in x])
    got = db.execute("SELECT svd_signal_rank(svd_spectrum(vec, 'center=false'), count(*), 50, "
                     "'center=false'), svd_signal_rank(svd_spectrum(vec), count(*), 50) FROM t").fetchone()
    c.check(got == (6, 5), "raw rows with a mean count it as a direction", f"got {got}")


def check_random(c, db, rng):
    worst = 0.0
    bad = []
    for case in range(300):
        n = int(rng.integers(1, 60))
        d = int(rng.integers(1, 60))
        center = bool(case % 2)
        k = min(n, d)
        sigma = np.sort(np.abs(rng.standard_normal(k)) * 10.0 ** rng.uniform(-3, 3))[::-1]
        if center and n <= d:
            sigma[-1] = abs(rng.standard_normal()) * 1e-14 * sigma[0]
        if case % 5 == 0:
            sigma = rng.permutation(sigma)
        spec = json.dumps([float(v) for v in sigma])
        tau, rank = sql_pair(db, spec, n, d, center)
        want, kept = np_threshold(sigma, n, d, center)
        if want is None:
            if tau is not None or rank is not None:
                bad.append((n, d, center, "expected NULL"))
            continue
        worst = max(worst, abs(tau - want) / want)
        if rank != int(np.sum(kept > want)) or rank != int(np.sum(kept > tau)):
            bad.append((n, d, center, rank))
    c.check(worst <= REL, "random spectra threshold", f"worst relative error {worst:.3g}")
    c.check(not bad, "random spectra rank", f"{bad[:5]}")


def check_boundary(c, db):
    """A value equal to the threshold is not above it; the next double is."""
    (tau,) = db.execute("SELECT svd_noise_threshold('[9, 1, 1]', 3, 3, 'center=false')").fetchone()
    at = db.execute("SELECT svd_signal_rank(?, 3, 3, 'center=false')",
                    (json.dumps([tau, 1.0, 1.0]),)).fetchone()[0]
    above = db.execute("SELECT svd_signal_rank(?, 3, 3, 'center=false')",
                       (json.dumps([float(np.nextafter(tau, np.inf)), 1.0, 1.0]),)).fetchone()[0]
    c.check(at == 0 and above == 1, "count is of values strictly above", f"at {at}, above {above}")


def run(ext):
    c = Checker()
    db = connect(ext)
    rng = np.random.default_rng(16)
    check_omega(c, db)
    check_low_rank(c, db, rng)
    check_random(c, db, rng)
    check_boundary(c, db)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_noise: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
