"""Checks on the bundled GloVe sample (examples/sample.sql) and the demo.

    /usr/bin/python3 tests/sample.py dist/svd

1. The sample loads: 14 groups, unique words, every vector 100 finite float32.
2. Every group's spectrum matches numpy's to 1e-12 * sigma_1, and for every
   group with n <= d the last value is at most 1e-12 * sigma_1.
3. Section 5's measures and section 6's placement along the vehicles' first
   direction agree with numpy (the same words at both ends, coordinates to
   1e-9 relative).
4. sql/demo.sql runs to the end in the sqlite3 shell and prints every
   section, and README's excerpt of its output is in that output.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
passed = failed = 0


def check(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL sample {name}: {detail}")


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "dist/svd"
    with open(os.path.join(ROOT, "examples", "sample.sql"), encoding="utf-8") as f:
        script = f.read()
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(ext)
    db.executescript(script)

    groups = dict(db.execute("SELECT category, count(*) FROM words GROUP BY category"))
    check(len(groups) == 14 and groups.get("random") == 300, "groups", str(groups))
    check(all(20 <= n <= 60 for g, n in groups.items() if g != "random"),
          "group sizes 20..60", str(groups))
    (dup,) = db.execute("SELECT count(*) - count(DISTINCT word) FROM words").fetchone()
    check(dup == 0, "unique words", f"{dup} duplicates")
    rows = db.execute("SELECT w.category, e.vec FROM emb e JOIN words w USING(id) ORDER BY w.id").fetchall()
    check(len(rows) == sum(groups.values()), "every word has a vector", str(len(rows)))
    mats = {}
    for cat, vec in rows:
        mats.setdefault(cat, []).append(np.frombuffer(vec, dtype="<f4"))
    check(all(v.shape == (100,) and np.all(np.isfinite(v)) for m in mats.values() for v in m),
          "vectors are 100 finite float32", "")

    for cat, text in db.execute(
            "SELECT w.category, svd_spectrum(e.vec) FROM emb e JOIN words w USING(id) GROUP BY w.category"):
        x = np.array(mats[cat], dtype=np.float64)
        ref = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
        got = np.array(json.loads(text))
        n, d = x.shape
        err = np.max(np.abs(got - ref)) / ref[0] if len(got) == len(ref) else np.inf
        check(err <= 1e-12, f"{cat} spectrum vs numpy", f"{n}x{d} worst error {err:.3g} of sigma_1")
        if n <= d:
            check(got[-1] <= 1e-12 * got[0], f"{cat} last sigma is 0", f"{got[-1]:.3g}")

    for cat, text in db.execute(
            "SELECT w.category, svd_spectrum(e.vec) FROM emb e JOIN words w USING(id) GROUP BY w.category"):
        x = np.array(mats[cat], dtype=np.float64)
        s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
        p = s / s.sum()
        p = p[p > 0]
        erank = float(np.exp(-(p * np.log(p)).sum()))
        pr = float((s ** 2).sum() ** 2 / (s ** 4).sum())
        got = db.execute("SELECT svd_effective_rank(?), svd_participation_ratio(?)", (text, text)).fetchone()
        check(abs(got[0] - erank) <= 1e-12 * erank and abs(got[1] - pr) <= 1e-12 * pr,
              f"{cat} erank and pr vs numpy", f"{got} vs {(erank, pr)}")

    words = db.execute("SELECT w.word, e.vec FROM emb e JOIN words w USING(id) "
                       "WHERE w.category = 'vehicle' ORDER BY w.id").fetchall()
    x = np.array([np.frombuffer(v, dtype="<f4") for _, v in words], dtype=np.float64)
    xc = x - x.mean(axis=0)
    v1 = np.linalg.svd(xc, full_matrices=False)[2][0]
    v1 = v1 if v1[np.argmax(np.abs(v1))] > 0 else -v1
    ref = xc @ v1
    got = np.array([r[0] for r in db.execute(
        "WITH b AS (SELECT svd_basis(e.vec, 2) AS basis FROM emb e JOIN words w USING(id) "
        "WHERE w.category = 'vehicle') SELECT svd_coord(b.basis, e.vec, 1) FROM emb e "
        "JOIN words w USING(id), b WHERE w.category = 'vehicle' ORDER BY w.id")])
    err = np.max(np.abs(got - ref) / np.abs(ref))
    check(err <= 1e-9, "vehicle coordinates on direction 1 vs numpy", f"relative error {err:.3g}")
    order = [words[i][0] for i in np.argsort(-ref)]
    check(order == [words[i][0] for i in np.argsort(-got)], "vehicle ends as numpy's", str(order[:6]))
    db.close()

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "demo.db")
        subprocess.run(["sqlite3", path], input=script, text=True, check=True)
        with open(os.path.join(ROOT, "sql", "demo.sql"), encoding="utf-8") as f:
            demo = f.read()
        proc = subprocess.run(["sqlite3", "-bail", "-cmd", f".load {ext}", path], input=demo,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
        check(proc.returncode == 0 and proc.stderr == "", "demo runs",
              f"exit {proc.returncode}: {proc.stderr.strip()}")
        for section in ("== 1.", "== 2.", "== 3.", "== 4.", "== 5.", "== 6.", "== 7.",
                        "== 8.", "== 9.", "== 10."):
            check(section in proc.stdout, f"demo prints section {section}", proc.stdout[-300:])
        # the last section's table has its two rows
        tail = proc.stdout.split("== 6.")[-1].split("== 7.")[0]
        ends = [l.split("│")[2].strip() for l in tail.splitlines() if l.startswith("│ high") or l.startswith("│ low")]
        check(ends == order[:6] + order[-6:], "demo prints the last table", str(ends))
        # section 7: the running window's effective rank against numpy on
        # the first n random words by frequency
        seven = proc.stdout.split("== 7.")[-1].split("== 8.")[0]
        got7 = {int(c[1]): float(c[4]) for c in (l.split("│") for l in seven.splitlines())
                if len(c) == 6 and c[1].strip().isdigit()}
        rnd = [np.frombuffer(v, dtype="<f4") for (v,) in sqlite3.connect(path).execute(
            "SELECT e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'random' "
            "ORDER BY w.freq_rank")]
        bad7 = []
        for n7, er in got7.items():
            x = np.array(rnd[:n7], dtype=np.float64)
            s7 = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
            p7 = s7 / s7.sum()
            p7 = p7[p7 > 0]
            if abs(round(float(np.exp(-(p7 * np.log(p7)).sum())), 2) - er) > 1e-9:
                bad7.append(n7)
        check(sorted(got7) == [10, 25, 50, 100, 200, 300] and not bad7,
              "demo section 7: running erank vs numpy", f"{sorted(got7)} {bad7}")
        check_structure(check, path, proc.stdout)
        # README's excerpt of the demo output is real output
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for part in readme.split("<!-- demo excerpt")[1:]:
            excerpt = part.split("```text\n")[1].split("```")[0]
            missing = [l for l in excerpt.splitlines() if l not in proc.stdout.splitlines()]
            check(excerpt.strip() and not missing, "README demo excerpt is real output", str(missing[:2]))

    print(f"sample: {passed} passed, {failed} failed")
    return 1 if failed else 0


def box_rows(text):
    """The cells of a box table's body rows."""
    return [[x.strip() for x in l.split("│")[1:-1]] for l in text.splitlines()
            if l.startswith("│") and not l.startswith("│  ")]


def centered_sigma(x):
    x = np.asarray(x, dtype=np.float64)
    return np.linalg.svd(x - x.mean(axis=0), compute_uv=False)


def near(printed, value, digits):
    """printed is value rounded to digits decimals (a rounding boundary may
    fall either way)."""
    return abs(float(printed) - value) <= 0.5 * 10.0 ** -digits + 1e-9


def check_structure(check, path, out):
    """Sections 8 and 9 against numpy and scipy: each group's measures and
    those of 100 groups of the same size drawn as the demo draws them, the
    signal rank by the Gavish-Donoho threshold (tests/reference_noise.py),
    and the principal angles by scipy.linalg.subspace_angles."""
    import scipy.linalg
    from reference_noise import np_threshold
    db = sqlite3.connect(path)
    vec = {i: np.frombuffer(v, dtype="<f4").astype(np.float64)
           for i, v in db.execute("SELECT id, vec FROM emb")}
    cats = {}
    for i, cat in db.execute("SELECT id, category FROM words WHERE category <> 'random' ORDER BY id"):
        cats.setdefault(cat, []).append(i)
    db.close()

    def measures(sig, n):
        s2 = sig ** 2
        p = sig / sig.sum()
        p = p[p > 0]
        tau, kept = np_threshold(sig, n, 100)
        return s2[0] / s2.sum(), float(np.exp(-(p * np.log(p)).sum())), int((kept > tau).sum())

    ids = sorted(vec)
    draws = [sorted(ids, key=lambda i: ((i * 2654435761 + k * 40503) % 1000003) ** 2 % 1000003 * 10**6 + i)
             for k in range(1, 101)]
    rows = box_rows(out.split("== 8.")[-1].split("== 9.")[0])
    bad = []
    for r in rows:
        cat, n = r[0], int(r[1])
        t1, er, sg = measures(centered_sigma([vec[i] for i in cats[cat]]), n)
        ch = np.array([measures(centered_sigma([vec[i] for i in d[:n]]), n) for d in draws])
        tm, em, sm = ch.mean(axis=0)
        ts, es = np.sqrt((ch[:, 0] ** 2).mean() - tm ** 2), np.sqrt((ch[:, 1] ** 2).mean() - em ** 2)
        ok = (n == len(cats[cat]) and near(r[2], t1, 3) and near(r[3], tm, 3)
              and near(r[4], (t1 - tm) / ts, 1) and near(r[5], er, 1) and near(r[6], em, 1)
              and near(r[7], (er - em) / es, 1) and int(r[8]) == sg and near(r[9], sm, 1))
        if not ok:
            bad.append((cat, r))
    check(len(rows) == 13 and not bad, "demo section 8: structure against chance vs numpy", str(bad[:2]))

    top3 = {}
    for cat, members in cats.items():
        x = np.array([vec[i] for i in members])
        top3[cat] = np.linalg.svd(x - x.mean(axis=0), full_matrices=False)[2][:3].T
    firsts = sorted(np.degrees(scipy.linalg.subspace_angles(top3[a], top3[b]))[::-1][0]
                    for a in top3 for b in top3 if a < b)
    rows9 = box_rows(out.split("== 9.")[-1].split("== 10.")[0])
    rows = [r for r in rows9 if len(r) == 5]
    bad = []
    for r in rows:
        ang = np.degrees(scipy.linalg.subspace_angles(top3[r[0]], top3[r[1]]))[::-1]
        if not all(near(r[2 + j], ang[j], 1) for j in range(3)):
            bad.append(r)
    ok = len(rows) == 6 and all(near(r[2], f, 1) for r, f in zip(rows, firsts))
    check(ok and not bad, "demo section 9: angles vs scipy, the six smallest", str(bad[:2]))
    # and the first angle between two chance groups of 40, 20 pairs
    firsts = []
    for k in range(1, 40, 2):
        sub = []
        for d in (draws[k - 1], draws[k]):
            x = np.array([vec[i] for i in d[:40]])
            sub.append(np.linalg.svd(x - x.mean(axis=0), full_matrices=False)[2][:3].T)
        firsts.append(np.degrees(scipy.linalg.subspace_angles(sub[0], sub[1]))[::-1][0])
    chance = [r for r in rows9 if len(r) == 2]
    check(len(chance) == 1 and near(chance[0][1], float(np.mean(firsts)), 1),
          "demo section 9: chance angle vs scipy", f"{chance} vs {np.mean(firsts)}")

    # section 10: all-but-the-top 3 of the whole vocabulary, in numpy
    x = np.array([vec[i] for i in ids])
    mean = x.mean(axis=0)
    v = np.linalg.svd(x - mean, full_matrices=False)[2][:3]
    y = ((x - mean) - ((x - mean) @ v.T) @ v).astype(np.float32).astype(np.float64)

    def top1_erank(m, center):
        sig = centered_sigma(m) if center else np.linalg.svd(m, compute_uv=False)
        p = sig / sig.sum()
        p = p[p > 0]
        return (sig[0] ** 2) / (sig ** 2).sum(), float(np.exp(-(p * np.log(p)).sum()))

    def cka(a, b):
        a, b = a - a.mean(axis=0), b - b.mean(axis=0)
        return np.linalg.norm(b.T @ a) ** 2 / (np.linalg.norm(a.T @ a) * np.linalg.norm(b.T @ b))

    rows = box_rows(out.split("== 10.")[-1])
    want = []
    for m in (x, y):
        tr, er = top1_erank(m, False)
        tc, ec = top1_erank(m, True)
        want.append((tr, tc, er, ec))
    ok = len(rows) == 2 and all(near(r[1 + j], w[j], 3 if j < 2 else 1) for r, w in zip(rows, want)
                                for j in range(4))
    ok = ok and rows[0][5] == "" and near(rows[1][5], cka(x, y), 3)
    check(ok, "demo section 10: all-but-the-top vs numpy", str(rows))


if __name__ == "__main__":
    sys.exit(main())
