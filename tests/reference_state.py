"""Reference checks of spectrum states (svd_state, svd_merge) against numpy.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

Each group is split into random parts (parts of one row, empty parts,
parts of very different sizes), each part's state is computed by SQL, and
the states are merged in a random binary tree (and all at once, in a
shuffled order). The merged state's spectrum and basis are compared with
numpy on all the rows at once: exact states keep every sigma within
1e-12 * sigma_1 (the last one 0 for n <= d), gram states every sigma^2
within 1e-12 * sigma_1^2.
"""
import json
import sys

import numpy as np

from reference import Checker, centered_svd, connect

TOL = 1e-12


def part_states(db, x, parts, options):
    """The state of each non-empty part, in SQL, as BLOBs."""
    db.execute("DROP TABLE IF EXISTS m")
    db.execute("CREATE TABLE m(part, v)")
    db.executemany("INSERT INTO m VALUES (?, ?)",
                   [(int(p), json.dumps([float(a) for a in r])) for p, r in zip(parts, x)])
    rows = db.execute("SELECT part, svd_state(v, ?) FROM m GROUP BY part", (options,)).fetchall()
    return [s for _, s in rows]


def merge_pair(db, a, b):
    return db.execute("SELECT svd_merge(s) FROM (SELECT ? AS s UNION ALL SELECT ?)",
                      (a, b)).fetchone()[0]


def merge_tree(db, rng, states):
    states = list(states)
    while len(states) > 1:
        i, j = sorted(rng.choice(len(states), size=2, replace=False))
        b = states.pop(j)
        a = states.pop(i)
        states.append(merge_pair(db, a, b) if rng.random() < 0.5 else merge_pair(db, b, a))
    return states[0]


def merge_all(db, rng, states):
    db.execute("DROP TABLE IF EXISTS st")
    db.execute("CREATE TABLE st(s)")
    order = rng.permutation(len(states))
    db.executemany("INSERT INTO st VALUES (?)", [(states[i],) for i in order] + [(None,)])
    return db.execute("SELECT svd_merge(s) FROM st").fetchone()[0]


def check_spectrum(c, name, got, ref, method, n, d, center):
    got = np.asarray(got)
    if len(got) != min(n, d):
        c.check(False, name, f"{len(got)} values, expected {min(n, d)}")
        return
    s1 = ref[0] if ref[0] > 0 else 1.0
    if method == "exact":
        err = np.max(np.abs(got - ref)) / s1
        c.check(err <= TOL, name, f"worst error {err:.3g} of sigma_1")
        if center and n <= d:
            c.check(got[-1] <= TOL * s1, name + " last is 0", f"last {got[-1]:.3g}")
    else:
        err2 = np.max(np.abs((got / s1) ** 2 - (ref / s1) ** 2))
        c.check(err2 <= 1e-12, name, f"sigma^2 off by {err2:.3g} of sigma_1^2")


def check_basis(c, db, name, state, x, k, center, method):
    js = db.execute("SELECT svd_basis_json(svd_state_basis(?, ?))", (state, k)).fetchone()[0]
    b = json.loads(js)
    _, s, vt = centered_svd(x, center)
    s1 = s[0] if s[0] > 0 else 1.0
    got = np.array(b["sigma"])
    if method == "exact":
        err = np.max(np.abs(got - s[:k])) / s1
    else:  # gram's bound is on sigma^2
        err = np.max(np.abs((got / s1) ** 2 - (s[:k] / s1) ** 2))
    c.check(b["k"] == k and err <= TOL, name + " basis sigma", f"error {err:.3g}")
    mean = np.array(b["mean"])
    want = x.mean(axis=0) if center else np.zeros(x.shape[1])
    merr = np.max(np.abs(mean - want)) / max(1.0, np.max(np.abs(want)))
    c.check(merr <= 1e-14, name + " basis mean", f"mean off by {merr:.3g}")
    for i in range(k):
        gap = min([s[i] - s[i + 1]] if i + 1 < len(s) else [s[i]])
        if i > 0:
            gap = min(gap, s[i - 1] - s[i])
        if gap < 1e-3 * s1 or s[i] < 1e-6 * s1:
            continue  # a direction of a near-repeated sigma is not unique
        v = np.array(b["directions"][i])
        cos = abs(float(v @ vt[i]))
        c.check(abs(cos - 1) <= 1e-8, name + f" basis direction {i + 1}", f"|cos| {cos!r}")


def split(rng, n, nparts):
    """Part labels for n rows: random sizes, some parts of one row, and
    labels that no row gets (empty parts)."""
    cuts = np.sort(rng.choice(np.arange(1, n), size=min(nparts - 1, n - 1), replace=False)) if n > 1 else []
    labels = np.zeros(n, dtype=int)
    for j, cpos in enumerate(cuts):
        labels[cpos:] = 2 * (j + 1)  # odd labels stay empty
    return rng.permutation(labels)


def partitions(c, db, rng):
    shapes = [(1, 4), (2, 5), (6, 5), (9, 30), (40, 12), (300, 8), (120, 60),
              (50, 50), (51, 50), (700, 20)]
    for n, d in shapes:
        for method in ("exact", "gram"):
            for center in (True, False):
                mean = rng.choice([0.0, 1.0, 1e6])
                x = mean * rng.normal(size=d) + rng.normal(size=(n, d)) * np.geomspace(4, 0.1, d)
                if mean >= 1e6:  # keep x - mean exact: spread a multiple of ulp
                    x = np.round(x * 2**20) / 2**20
                opts = f"method={method}" + ("" if center else ",center=false")
                nparts = int(rng.integers(1, min(n, 8) + 1))
                labels = split(rng, n, nparts)
                states = part_states(db, x, labels, opts)
                name = f"state {n}x{d} {opts} mean {mean:g} in {len(states)} parts"
                ref = centered_svd(x, center)[1]
                tree = merge_tree(db, rng, states)
                flat = merge_all(db, rng, states)
                for how, st in (("tree", tree), ("flat", flat)):
                    got = json.loads(db.execute("SELECT svd_state_spectrum(?)", (st,)).fetchone()[0])
                    check_spectrum(c, f"{name} {how}", got, ref, method, n, d, center)
                info = json.loads(db.execute("SELECT svd_state_json(?)", (tree,)).fetchone()[0])
                c.check(info["n"] == n and info["d"] == d and info["center"] == center
                        and info["method"] == method, name + " json", str(info)[:200])
                k = min(3, n, d)
                check_basis(c, db, name, tree, x, k, center, method)


def one_row_parts(c, db, rng):
    """Every row its own state: n - 1 merges of states with no S rows."""
    for n, d in [(30, 6), (5, 40)]:
        x = 1e3 + rng.normal(size=(n, d))
        states = part_states(db, x, np.arange(n), "method=exact")
        st = merge_tree(db, rng, states)
        got = json.loads(db.execute("SELECT svd_state_spectrum(?)", (st,)).fetchone()[0])
        check_spectrum(c, f"one-row states {n}x{d}", got, centered_svd(x)[1], "exact", n, d, True)


def mixed(c, db, rng):
    """An exact state merged with a gram state gives a gram state."""
    n, d = 80, 10
    x = rng.normal(size=(n, d)) * np.geomspace(3, 0.3, d) + 5
    a = part_states(db, x[:30], np.zeros(30), "method=exact")[0]
    b = part_states(db, x[30:], np.zeros(50), "method=gram")[0]
    st = merge_pair(db, a, b)
    info = json.loads(db.execute("SELECT svd_state_json(?)", (st,)).fetchone()[0])
    c.check(info["method"] == "gram", "exact + gram is gram", info["method"])
    got = json.loads(db.execute("SELECT svd_state_spectrum(?)", (st,)).fetchone()[0])
    check_spectrum(c, "exact + gram", got, centered_svd(x)[1], "gram", n, d, True)


def same_as_whole(c, db, rng):
    """svd_state_spectrum of one state is svd_spectrum of the same rows."""
    for n, d, opts in [(200, 16, "method=exact"), (200, 16, "method=gram"), (10, 16, "")]:
        x = rng.normal(size=(n, d)) + 3
        part_states(db, x, np.zeros(n), opts)
        s, w = db.execute("SELECT svd_state_spectrum(svd_state(v, ?)), svd_spectrum(v, ?) FROM m",
                          (opts, opts)).fetchone()
        s, w = np.array(json.loads(s)), np.array(json.loads(w))
        err = np.max(np.abs(s - w)) / w[0]
        c.check(err <= TOL, f"state of {n}x{d} {opts} vs svd_spectrum", f"off by {err:.3g}")


def extremes(c, db, rng):
    """Subnormal rows and rows near 1e307, merged from one-row states:
    numpy on the rows scaled by a power of two (exact), scaled back."""
    for name, x, e in [
            ("subnormal", np.ldexp(rng.integers(-8, 9, size=(12, 4)).astype(np.float64), -1060), 1060),
            ("near 1e307", 1e307 * rng.uniform(-1, 1, size=(9, 3)), -1000)]:
        y = np.ldexp(x, e)
        ref = np.ldexp(np.linalg.svd(y - y.mean(axis=0), compute_uv=False), -e)
        for opts in ("method=exact", "method=gram"):
            st = merge_tree(db, rng, part_states(db, x, np.arange(len(x)), opts))
            got = np.array(json.loads(db.execute("SELECT svd_state_spectrum(?)", (st,)).fetchone()[0]))
            s1 = ref[0]
            if "exact" in opts:
                err = np.max(np.maximum(np.abs(got - ref) - 5e-324, 0)) / s1
            else:
                err = np.max(np.abs((got / s1) ** 2 - (ref / s1) ** 2))
            c.check(err <= TOL, f"one-row states {name} {opts}", f"off by {err:.3g}")


def run(ext, seed=20261130):
    c = Checker()
    rng = np.random.default_rng(seed)
    db = connect(ext)
    partitions(c, db, rng)
    one_row_parts(c, db, rng)
    mixed(c, db, rng)
    same_as_whole(c, db, rng)
    extremes(c, db, rng)
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_state: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
