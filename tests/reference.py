"""Reference checks: the extension against numpy on random and adversarial data.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

The reference is np.linalg.svd(X - X.mean(0), compute_uv=False) in double.
For data with a large shared mean the reference centers twice: numpy's mean
of values near 1e4 is itself rounded by up to half an ulp (about 1e-12), and
that offset, shared by every row, would put a spurious singular value of
about sqrt(n*d)*1e-12 where the centered matrix has an exact zero. The second
pass removes it; it changes nothing else.
"""
import json
import math
import os
import re
import sqlite3
from fractions import Fraction

import numpy as np

TOL = 1e-12  # every sigma_i within TOL * sigma_1 of the reference


def connect(ext):
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(ext)
    db.enable_load_extension(False)
    return db


def reference(x, center=True, twice=False):
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = x - x.mean(axis=0)
        if twice:
            x = x - x.mean(axis=0)
    return np.linalg.svd(x, compute_uv=False)


def centered_svd(x, center=True):
    """np.linalg.svd(..., full_matrices=False) of x centered twice (as
    above), or of x itself."""
    x = np.asarray(x, dtype=np.float64)
    if center:
        x = x - x.mean(axis=0)
        x = x - x.mean(axis=0)
    return np.linalg.svd(x, full_matrices=False)


def spectrum(db, rows, as_json, options=None):
    db.execute("DROP TABLE IF EXISTS m")
    db.execute("CREATE TABLE m(v)")
    if as_json:
        vals = [json.dumps([float(a) for a in r]) for r in rows]
    else:
        vals = [np.asarray(r, dtype="<f4").tobytes() for r in rows]
    db.executemany("INSERT INTO m VALUES (?)", [(v,) for v in vals])
    if options is None:
        (text,) = db.execute("SELECT svd_spectrum(v) FROM m").fetchone()
    else:
        (text,) = db.execute("SELECT svd_spectrum(v, ?) FROM m", (options,)).fetchone()
    return text


class Checker:
    """Counts checks; a failed one prints "FAIL <part> <name>: <detail>"."""

    def __init__(self, part="reference"):
        self.part = part
        self.passed = 0
        self.failed = 0

    def check(self, ok, name, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.part} {name}: {detail}")
        return ok


def version_h(root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))):
    """SVD_VERSION as root's ext/version.h writes it, the one place it is."""
    with open(os.path.join(root, "ext", "version.h"), encoding="utf-8") as f:
        return re.search(r'^#define SVD_VERSION "([^"]+)"$', f.read(), re.M).group(1)


def expect_error(c, db, name, sql, args, want):
    """The statement fails with exactly the message want."""
    try:
        db.execute(sql, args).fetchall()
        c.check(False, name, f"no error; expected: {want}")
    except sqlite3.Error as e:
        c.check(str(e) == want, name, f"\n  got:  {e}\n  want: {want}")


def compare(c, name, text, ref, n, d, center=True):
    vals = json.loads(text)
    if len(vals) != min(n, d):
        c.check(False, name, f"{len(vals)} values, expected {min(n, d)}")
        return
    got = np.array(vals, dtype=np.float64)
    scale = ref[0] if ref[0] > 0 else 1.0
    err = np.max(np.abs(got - ref)) / scale
    c.check(err <= TOL, name, f"{n}x{d} worst error {err:.3g} of sigma_1")
    if center and n <= d:
        c.check(got[-1] <= TOL * scale, name + " last is 0",
                f"{n}x{d} last value {got[-1]:.3g}, sigma_1 {scale:.3g}")


def random_shapes(c, db, rng):
    """Random shapes, n from 1 to 3d, d from 1 to 300, BLOB and JSON."""
    for case in range(70):
        d = int(np.exp(rng.uniform(0, np.log(300)))) if case else 300
        n = int(rng.integers(1, 3 * d + 1))
        as_json = case % 2 == 1
        x = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d) + rng.normal(size=d)
        if not as_json:
            x = x.astype(np.float32).astype(np.float64)
        kind = "json" if as_json else "blob"
        compare(c, f"random {kind} {n}x{d}", spectrum(db, x, as_json), reference(x), n, d)
        if case % 5 == 0:
            compare(c, f"random raw {kind} {n}x{d}",
                    spectrum(db, x, as_json, "center=false"),
                    reference(x, center=False), n, d, center=False)
    # the bounds themselves
    for n, d in [(1, 1), (1, 300), (3, 1), (900, 300), (300, 300), (299, 300), (301, 300)]:
        x = rng.normal(size=(n, d)).astype(np.float32).astype(np.float64)
        compare(c, f"edge blob {n}x{d}", spectrum(db, x, False), reference(x), n, d)


def large_mean(c, db, rng):
    """Shared mean 1e4, spread 1e-2, as JSON doubles."""
    for n, d in [(10, 50), (50, 50), (100, 100), (300, 40), (40, 300), (200, 200)]:
        x = 1e4 + rng.normal(size=d) + 1e-2 * rng.normal(size=(n, d))
        ref = reference(x, twice=True)
        compare(c, f"mean 1e4 {n}x{d}", spectrum(db, x, True), ref, n, d)
        # the plain one-pass reference agrees except near the zero it smears
        plain = reference(x)
        k = min(n - 1, d)
        err = np.max(np.abs(plain[:k] - ref[:k])) / ref[0]
        c.check(err <= 1e-9, f"mean 1e4 {n}x{d} plain numpy near",
                f"one-pass numpy off by {err:.3g}")
    # mean 1e6 times the spread, float32 BLOBs
    for n, d in [(64, 32), (32, 64)]:
        x = (1e3 + 1e-3 * rng.normal(size=(n, d))).astype(np.float32).astype(np.float64)
        compare(c, f"mean 1e6 x spread blob {n}x{d}", spectrum(db, x, False),
                reference(x, twice=True), n, d)


def small_road(c, db, rng):
    """The shapes that small.c's kernels take (QR of m <= 160 columns, the
    wide case transposed for up to 4096 rows, SVD of a k <= 160 triangle)
    and their neighbours past the limits, through
    method=exact and method=auto (the default): every sigma within TOL of
    numpy's, and for a centered group of n <= d rows the last exactly 0."""
    cases = [(20, 768), (50, 768), (161, 768), (162, 768), (161, 160), (162, 161),
             (200, 100), (4097, 30), (4098, 30), (300, 161), (3, 5), (2, 2)]
    for n, d in cases:
        base = rng.normal(size=d)
        kinds = [
            ("random", rng.normal(size=(n, d)) * 0.97 ** np.arange(d) + base),
            # mean 1e6 times the spread, as float32 rows hold it
            ("mean 1e6", 1e3 + 1e-3 * rng.normal(size=(n, d))),
            # three distinct rows repeated: rank 2 once centered
            ("rank 2", rng.normal(size=(3, d))[np.arange(n) % 3]),
        ]
        for kind, x in kinds:
            x = x.astype(np.float32).astype(np.float64)
            ref = reference(x, twice=True)
            for method in ("exact", "auto"):
                text = spectrum(db, x, False, f"method={method}")
                name = f"small road {kind} {method} {n}x{d}"
                compare(c, name, text, ref, n, d)
                if n <= d:
                    last = json.loads(text)[-1]
                    c.check(last == 0.0, name + " last is exactly 0",
                            f"last value {last!r}")
            if kind == "random":
                compare(c, f"small road raw {n}x{d}",
                        spectrum(db, x, False, "center=false"),
                        reference(x, center=False), n, d, center=False)
        # 1e+-300 as JSON doubles: scaled by a power of two first
        for e in (300, -300):
            x = rng.normal(size=(n, d)) * 10.0 ** e
            compare(c, f"small road 1e{e} {n}x{d}", spectrum(db, x, True),
                    reference(x), n, d)


def spare_buffer(c, db, rng):
    """Consecutive groups of one GROUP BY share the connection's spare row
    buffer (aggregate.c): a group takes the last one's, as large as it
    grew, whatever its d. Groups of shifting shapes, the spare too large,
    too small and (above 4 MiB) not kept, two aggregates taking turns in
    the same query, and NULL rows: each group against numpy."""
    shapes = [(50, 768), (3, 5), (700, 768), (20, 768), (40, 4096), (1, 768), (200, 100),
              (2, 4096), (60, 768), (5, 3)]
    db.execute("DROP TABLE IF EXISTS sp")
    db.execute("CREATE TABLE sp(g, v)")
    groups = {}
    for g, (n, d) in enumerate(shapes):
        x = (rng.normal(size=(n, d)) + rng.normal(size=d)).astype(np.float32)
        groups[g] = x.astype(np.float64)
        db.executemany("INSERT INTO sp VALUES (?, ?)",
                       [(g, r.astype("<f4").tobytes()) for r in x] + [(g, None)])
    got = db.execute("SELECT g, svd_spectrum(v), svd_spectrum(v, 'center=false'), "
                     "svd_state(v) FROM sp GROUP BY g ORDER BY g").fetchall()
    c.check(len(got) == len(shapes), "spare buffer groups", f"{len(got)} groups")
    for g, text, raw, state in got:
        x = groups[g]
        n, d = x.shape
        compare(c, f"spare buffer group {g} {n}x{d}", text, reference(x), n, d)
        compare(c, f"spare buffer group {g} {n}x{d} raw", raw,
                reference(x, center=False), n, d, center=False)
        (again,) = db.execute("SELECT svd_state_spectrum(?)", (state,)).fetchone()
        compare(c, f"spare buffer group {g} {n}x{d} state", again, reference(x), n, d)


def structured(c, db, rng):
    """Rank-deficient, duplicated rows, float32 extremes."""
    for n, d, r in [(50, 20, 3), (20, 50, 3), (100, 100, 1), (30, 30, 29)]:
        x = rng.normal(size=(n, r)) @ rng.normal(size=(r, d)) + rng.normal(size=d)
        compare(c, f"rank {r} {n}x{d}", spectrum(db, x, True), reference(x), n, d)
    base = rng.normal(size=(5, 16))
    x = np.repeat(base, 7, axis=0)
    compare(c, "duplicated rows 35x16", spectrum(db, x, True), reference(x), 35, 16)
    x = np.repeat(base[:1], 6, axis=0)
    text = spectrum(db, x, True)
    # sigma_1 is 0 here, so the bound is relative to the data: the mean of
    # six equal values can round, leaving a residue of order eps*|x|*eps.
    bound = 1e-15 * np.max(np.abs(x))
    c.check(max(json.loads(text)) <= bound, "identical rows give zeros",
            f"{text} above {bound:.3g} (numpy: {reference(x)[0]:.3g})")
    for scale, label in [(1e38, "1e38"), (1e-36, "1e-36"), (1e-41, "subnormal")]:
        x = (scale * rng.uniform(-3.4, 3.4, size=(40, 24))).astype(np.float32)
        assert np.all(np.isfinite(x))
        x = x.astype(np.float64)
        compare(c, f"float32 near {label}", spectrum(db, x, False), reference(x), 40, 24)
        compare(c, f"float32 near {label} raw", spectrum(db, x, False, "center=false"),
                reference(x, center=False), 40, 24, center=False)


def shortest_text(c, db, rng):
    """emb_json prints the fewest digits that read back to the same float32."""
    vals = np.concatenate([
        rng.normal(size=200) * 10.0 ** rng.integers(-40, 39, size=200),
        np.array([np.finfo(np.float32).max, np.finfo(np.float32).tiny, 1e-45, 0.1, 1 / 3]),
    ]).astype(np.float32)
    vals = vals[np.isfinite(vals)]
    (text,) = db.execute("SELECT emb_json(?)", (vals.astype("<f4").tobytes(),)).fetchone()
    back = np.array(json.loads(text), dtype=np.float64).astype(np.float32)
    c.check(np.array_equal(back, vals), "emb_json float32 round trip", text[:80])
    def digits(s):
        m = s.lower().split("e")[0].replace("-", "").replace(".", "").lstrip("0")
        return len(m.rstrip("0")) or 1
    ours = [digits(s) for s in text[1:-1].split(",")]
    numpys = [digits(np.format_float_scientific(v, unique=True)) for v in vals]
    bad = [(float(v), a, b) for v, a, b in zip(vals, ours, numpys) if a != b]
    c.check(not bad, "emb_json float32 fewest digits", str(bad[:3]))
    d = rng.normal(size=100) * 10.0 ** rng.integers(-300, 300, size=100)
    (text,) = db.execute("SELECT emb_json(?)", (json.dumps(list(map(float, d))),)).fetchone()
    c.check(json.loads(text) == list(map(float, d)), "emb_json double round trip", text[:80])
    ours = [digits(s) for s in text[1:-1].split(",")]
    pys = [digits(repr(float(v))) for v in d]
    c.check(ours == pys, "emb_json double fewest digits",
            str([(float(v), a, b) for v, a, b in zip(d, ours, pys) if a != b][:3]))


def measures(c, db, rng):
    """Effective rank, participation ratio, components_for against numpy."""
    for n, d in [(30, 10), (10, 30), (200, 50), (64, 64)]:
        x = rng.normal(size=(n, d)) * np.linspace(5, 0.1, d)
        text = spectrum(db, x, False)
        s = reference(x.astype(np.float32).astype(np.float64))
        p = s / s.sum()
        p = p[p > 0]
        erank = float(np.exp(-(p * np.log(p)).sum()))
        pr = float((s ** 2).sum() ** 2 / (s ** 4).sum())
        cum = np.cumsum(s ** 2) / (s ** 2).sum()
        got = db.execute("SELECT svd_effective_rank(?), svd_participation_ratio(?)",
                         (text, text)).fetchone()
        c.check(abs(got[0] - erank) <= 1e-12 * erank, f"effective rank {n}x{d}", f"{got[0]} vs {erank}")
        c.check(abs(got[1] - pr) <= 1e-12 * pr, f"participation ratio {n}x{d}", f"{got[1]} vs {pr}")
        for frac in (0.5, 0.8, 0.9, 0.99):
            want = int(np.argmax(cum >= frac)) + 1
            (k,) = db.execute("SELECT svd_components_for(?, ?)", (text, frac)).fetchone()
            c.check(k == want, f"components_for {frac} {n}x{d}", f"{k} vs {want}")


def components_exact(c, db, rng):
    """svd_components_for against the rule in exact rational arithmetic:
    the smallest k with sum_{i<=k} s_i^2 >= FRACTION * sum s^2, FRACTION
    taken as the double it is. FRACTIONs sit on and one ulp either side of
    each exact cumulative ratio, and 1 with tails down to 1e-300."""
    cases = [[3.0, 2.0, 1e-9, 0.0], [1.0, 1e-200], [1.0, 0.0, 1e-300, 0.0], [1.0, 1.0],
             [4.0, 3.0], [3.0, 4.0], [0.1, 0.1, 0.1], [1e-170, 1e-171, 0.0], [1e160, 1e159],
             # leading zeros: FRACTION = 5e-324 must skip them
             [0.0, 0.0, 2.0, 2.0, 3.0, 1.0], [0.0, 1e-200, 1.0],
             # a last value 2^1075 times below the largest is still non-zero
             [1.0, 5e-324], [1e300, 1e-30], [1e300, 1e-30, 0.0]]
    for e in (-200, 0, 200):
        cases.append(sorted((rng.uniform(0, 1, size=9) * 10.0 ** e).tolist(), reverse=True))
        cases.append((rng.integers(0, 4, size=7) * 10.0 ** e).tolist())
    bad = []
    for vals in cases:
        if not any(vals):
            continue
        sq = [Fraction(v) ** 2 for v in vals]
        total = sum(sq)
        heads = [sum(sq[:k + 1]) for k in range(len(sq))]
        fracs = {1.0}
        for h in heads:
            f = float(h / total)
            fracs.update(x for x in (np.nextafter(f, 0), f, np.nextafter(f, 2)) if 0 < x <= 1)
        for f in sorted(fracs):
            want = next(k + 1 for k, h in enumerate(heads) if h >= Fraction(f) * total)
            (k,) = db.execute("SELECT svd_components_for(?, ?)", (json.dumps(vals), float(f))).fetchone()
            if k != want:
                bad.append((vals[:4], float(f), k, want))
    c.check(not bad, "components_for exact rule", f"{len(bad)} wrong, e.g. {bad[:3]}")


def exact_float(q):
    """The double nearest the rational q, inf beyond the range."""
    try:
        return float(q)
    except OverflowError:
        return math.inf


def spectrum_each(c, db, rng):
    """svd_spectrum_each at extreme scales against exact rational arithmetic:
    energy is sigma^2 rounded once (0 or subnormal when it underflows, inf
    when it overflows), ratio and cumulative within 1e-15 relative."""
    cases = [[1e-170, 1e-171], [1e160, 1e159], [1e200], [3e200, 2e200, 1e200, 0.0],
             [1.7976931348623157e308, 1e308, 5e-324], [1e-300, 3e-310, 5e-324]]
    for e in (-300, -160, 0, 155, 300):
        cases.append(sorted((rng.uniform(0, 1, size=12) * 10.0 ** e).tolist(), reverse=True))
    x = 1e200 * rng.normal(size=(8, 5))
    cases.append(json.loads(spectrum(db, x, True)))
    for vals in cases:
        text = json.dumps(vals)
        try:
            rows = db.execute("SELECT sigma, energy, ratio, cumulative FROM svd_spectrum_each(?)",
                              (text,)).fetchall()
        except sqlite3.Error as e:
            c.check(False, f"spectrum_each {text[:40]}", str(e))
            continue
        sq = [Fraction(v) ** 2 for v in vals]
        total = sum(sq)
        bad = []
        run = Fraction(0)
        for i, (sigma, energy, ratio, cum) in enumerate(rows):
            run += sq[i]
            want = (vals[i], exact_float(sq[i]), float(sq[i] / total), float(run / total))
            if sigma != want[0] or energy != want[1]:
                bad.append((i + 1, "sigma/energy", sigma, energy, want[:2]))
            for name, got, w in (("ratio", ratio, want[2]), ("cumulative", cum, want[3])):
                if got is None or abs(got - w) > 1e-15 * w:
                    bad.append((i + 1, name, got, w))
        c.check(len(rows) == len(vals) and not bad, f"spectrum_each {text[:40]}", str(bad[:3]))


def run(ext, seed=20261127):
    c = Checker()
    rng = np.random.default_rng(seed)
    db = connect(ext)
    random_shapes(c, db, rng)
    large_mean(c, db, rng)
    small_road(c, db, rng)
    spare_buffer(c, db, rng)
    structured(c, db, rng)
    shortest_text(c, db, rng)
    measures(c, db, rng)
    spectrum_each(c, db, rng)
    components_exact(c, db, rng)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    import sys
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
