"""Checks of svd_scree_svg's drawings: well-formed XML (xmllint), one path
per series, every point where sigma_k / sigma_1 puts it (numpy), and a PNG
render (rsvg-convert) that shows each series' colour. Also checks that
examples/scree.svg is what sql/scree.sql draws from the bundled sample.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

import numpy as np

from reference import Checker, connect

SVG = "{http://www.w3.org/2000/svg}"
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def draw(db, rows, options=None):
    db.execute("DROP TABLE IF EXISTS p")
    db.execute("CREATE TABLE p(i INTEGER PRIMARY KEY, label, spec)")
    db.executemany("INSERT INTO p(label, spec) VALUES (?, ?)", rows)
    if options is None:
        return db.execute("SELECT svd_scree_svg(label, spec) FROM p ORDER BY i").fetchone()[0]
    return db.execute("SELECT svd_scree_svg(label, spec, ?) FROM p ORDER BY i",
                      (options,)).fetchone()[0]


def xmllint_ok(text):
    proc = subprocess.run(["xmllint", "--noout", "-"], input=text.encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[:200]


def path_points(d):
    """[(x, y), ...] segments of an 'M x y L x y ... M ...' path."""
    segs = []
    for part in re.findall(r"([ML])\s*([-\d.]+) ([-\d.]+)", d):
        if part[0] == "M":
            segs.append([])
        segs[-1].append((float(part[1]), float(part[2])))
    return segs


def png_pixels(data):
    """Decode an 8-bit RGBA or RGB, non-interlaced PNG: (w, h, array)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            depth, ctype, interlace = body[8], body[9], body[12]
            assert depth == 8 and ctype in (2, 6) and interlace == 0
            bpp = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    out = np.zeros((h, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        cur = np.zeros(stride, dtype=np.int64)
        for x in range(stride):
            a = cur[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 0:
                p = 0
            elif f == 1:
                p = a
            elif f == 2:
                p = b
            elif f == 3:
                p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 0xFF
        out[y] = cur
        prev = cur
    return w, h, out.reshape(h, w, bpp)[:, :, :3]


def check_geometry(c, name, text, spectra, log):
    """Every marker and path vertex where its ratio puts it: y is one affine
    function of the ratio (of log10 ratio on a log axis) for all series, x
    one affine function of k."""
    root = ET.fromstring(text.encode("utf-8"))
    paths = root.findall(f".//{SVG}path")
    c.check(len(paths) == len(spectra), f"{name} one path per series",
            f"{len(paths)} paths for {len(spectra)} series")
    xs, ks, ys, vs = [], [], [], []
    for path, spec in zip(paths, spectra):
        s = np.array(spec, dtype=np.float64)
        r = s / s.max() if s.max() > 0 else np.zeros_like(s)
        keep = [k for k in range(len(r)) if not log or r[k] > 0]
        pts = [p for seg in path_points(path.get("d")) for p in seg]
        if len(pts) != len(keep):
            c.check(False, f"{name} points", f"{len(pts)} points for {len(keep)} values")
            return
        for k, (x, y) in zip(keep, pts):
            xs.append(x), ks.append(k + 1), ys.append(y)
            vs.append(np.log10(r[k]) if log else r[k])
    for u, v, what in [(ks, xs, "x"), (vs, ys, "y")]:
        u, v = np.array(u, float), np.array(v, float)
        if len(u) == 0:
            continue
        if np.ptp(u) == 0:
            c.check(np.ptp(v) == 0, f"{name} {what} constant", "")
            continue
        a, b = np.polyfit(u, v, 1)
        resid = np.max(np.abs(a * u + b - v))
        # coordinates are printed to 0.01 px, so each is off by up to 0.005
        # and the line fitted through them by as much again
        c.check(resid <= 0.01, f"{name} {what} placement", f"off by {resid:.3g} px")
        c.check((a < 0) if what == "y" else (a > 0), f"{name} {what} direction", f"slope {a:.3g}")


def render(c, name, text, colours):
    with tempfile.TemporaryDirectory() as tmp:
        svg, png = os.path.join(tmp, "s.svg"), os.path.join(tmp, "s.png")
        with open(svg, "w", encoding="utf-8") as f:
            f.write(text)
        proc = subprocess.run(["rsvg-convert", svg, "-o", png],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        c.check(proc.returncode == 0 and not proc.stderr, f"{name} renders",
                proc.stderr.decode("utf-8", "replace")[:200])
        if proc.returncode:
            return
        with open(png, "rb") as f:
            w, h, px = png_pixels(f.read())
    root = ET.fromstring(text.encode("utf-8"))
    c.check((w, h) == (int(root.get("width")), int(root.get("height"))),
            f"{name} png size", f"{w}x{h}")
    white = np.mean(np.all(px == 255, axis=2))
    c.check(0.5 < white < 0.99, f"{name} white background", f"{white:.3f} white")
    for col in colours:
        rgb = np.array([int(col[i:i + 2], 16) for i in (1, 3, 5)])
        n = int(np.sum(np.all(np.abs(px - rgb) <= 8, axis=2)))
        c.check(n >= 30, f"{name} colour {col} drawn", f"{n} pixels")


def run(ext):
    c = Checker()
    rng = np.random.default_rng(7)
    db = connect(ext)
    tab10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]

    specs = [sorted(np.abs(rng.normal(size=n)) * 10 ** rng.uniform(-2, 2), reverse=True)
             for n in (10, 37, 100)]
    specs.append([5.0, 1.0, 0.0])
    rows = [(f"group {i}", json.dumps(s)) for i, s in enumerate(specs)]
    for log in (False, True):
        name = "log" if log else "linear"
        text = draw(db, rows, "log=true" if log else None)
        ok, err = xmllint_ok(text)
        c.check(ok, f"{name} xmllint", err)
        check_geometry(c, name, text, specs, log)
        render(c, name, text, tab10)
        labels = [t.text for t in ET.fromstring(text.encode()).findall(f".//{SVG}g[@class='group']/{SVG}text")]
        c.check(labels == [r[0] for r in rows], f"{name} legend labels", str(labels))

    # hostile labels: markup, quotes, control characters, invalid UTF-8 bytes
    hostile = ["<b>&amp;</b>", "\"quoted\" 'x'", "tab\there\x01\x1f", "é€😀",
               "]]>", b"\xff\xfe bad \xc3".decode("latin-1")]
    db.execute("DROP TABLE IF EXISTS h")
    db.execute("CREATE TABLE h(i INTEGER PRIMARY KEY, label, spec)")
    db.executemany("INSERT INTO h(label, spec) VALUES (?, '[2, 1]')", [(x,) for x in hostile])
    db.execute("INSERT INTO h(label, spec) VALUES (CAST(x'ff3cc0' AS TEXT), '[1]')")
    db.execute("INSERT INTO h(label, spec) VALUES (x'41eda080', '[1]')")
    text = db.execute("SELECT svd_scree_svg(label, spec) FROM h").fetchone()[0]
    ok, err = xmllint_ok(text)
    c.check(ok, "hostile labels xmllint", err)
    got = [t.text for t in ET.fromstring(text.encode()).findall(f".//{SVG}g[@class='group']/{SVG}text")]
    want = ["<b>&amp;</b>", "\"quoted\" 'x'", "tab\ufffdhere\ufffd\ufffd", "é€😀", "]]>",
            "\u00ff\u00fe bad \u00c3", "\ufffd<\ufffd", "A\ufffd\ufffd\ufffd"]
    c.check(got == want, "hostile labels text", str(got))

    # many series: colours repeat with a dash pattern, each pair distinct
    rows = [(f"g{i}", "[3, 2, 1]") for i in range(25)]
    text = draw(db, rows)
    ok, err = xmllint_ok(text)
    c.check(ok, "25 series xmllint", err)
    styles = [(g.get("stroke"), g.find(f"{SVG}path").get("stroke-dasharray"))
              for g in ET.fromstring(text.encode()).findall(f".//{SVG}g[@class='group']")]
    c.check(len(set(styles)) == 25, "25 series distinct styles", str(styles[:12]))
    root = ET.fromstring(text.encode())
    c.check(int(root.get("height")) >= 25 * 18, "25 series legend fits", root.get("height"))

    # degenerate: one value, all zeros (log: nothing to draw, still a path)
    for spec, log in [("[4]", False), ("[0, 0]", False), ("[0, 0]", True), ("[1, 0, 0]", True)]:
        text = draw(db, [("x", spec)], "log=true" if log else None)
        ok, err = xmllint_ok(text)
        c.check(ok, f"degenerate {spec} log={log} xmllint", err)
        check_geometry(c, f"degenerate {spec} log={log}", text, [json.loads(spec)], log)
        render(c, f"degenerate {spec} log={log}", text, [])

    # the committed example is what sql/scree.sql draws from the sample
    sample = sqlite3.connect(":memory:")
    with open(os.path.join(ROOT, "examples", "sample.sql"), encoding="utf-8") as f:
        sample.executescript(f.read())
    sample.enable_load_extension(True)
    sample.load_extension(ext)
    with open(os.path.join(ROOT, "sql", "scree.sql"), encoding="utf-8") as f:
        query = "\n".join(l for l in f.read().splitlines() if not l.startswith("--"))
    (text,) = sample.execute(query).fetchone()
    with open(os.path.join(ROOT, "examples", "scree.svg"), encoding="utf-8") as f:
        committed = f.read()
    # the sqlite3 shell that writes the file ends the value with a newline
    c.check(text + "\n" == committed, "examples/scree.svg is sql/scree.sql's output",
            "run: make scree")
    ok, err = xmllint_ok(committed)
    c.check(ok, "examples/scree.svg xmllint", err)
    render(c, "examples/scree.svg", committed, tab10[:3])
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"scree: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
