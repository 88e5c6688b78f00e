"""Reference checks of emb_f32(X, TYPE) against numpy's own conversions.

Run by tests/run.py with Debian's /usr/bin/python3 (python3-numpy).

Every float16, bfloat16 and int8 value, and float64 values of every kind
(random bit patterns, every scale, exact ties between two float32s,
subnormals), converted by the extension and by numpy: float16 by
np.float16 -> float32, bfloat16 by hand (its bits are the top half of a
float32's), int8 and float64 by numpy's astype('<f4') (round to nearest,
ties to even). The BLOBs must be equal byte for byte; NaN, Inf and float64
values beyond float32's range must give the error naming the element.
"""
import sys
import warnings

import numpy as np

from reference import Checker, connect, expect_error

FINITE = "expected finite numbers"
RANGE = "beyond the range of float32 (largest 3.4028235e+38)"


def convert(db, blob, typ):
    return db.execute("SELECT emb_f32(?, ?)", (blob, typ)).fetchone()[0]


def check_same(c, db, name, blob, typ, want):
    got = convert(db, blob, typ)
    if got == want:
        c.check(True, name)
        return
    n = min(len(got or b""), len(want)) // 4
    g = np.frombuffer((got or b"")[:4 * n], "<u4")
    w = np.frombuffer(want[:4 * n], "<u4")
    bad = np.nonzero(g != w)[0]
    c.check(False, name, f"{len(got or b'')} bytes, expected {len(want)}; "
            f"first differing element {bad[:1]}")


def non_finite_word(v):
    return "NaN" if np.isnan(v) else ("+Inf" if v > 0 else "-Inf")


def check_16bit(c, db, typ, as_f32):
    """typ 'f16' or 'bf16'; as_f32 maps uint16 bit patterns to float32."""
    bits = np.arange(1 << 16, dtype=np.uint16)
    ref = as_f32(bits)
    fin = np.isfinite(ref)
    check_same(c, db, f"{typ} all {fin.sum()} finite values",
               bits[fin].astype("<u2").tobytes(), typ, ref[fin].astype("<f4").tobytes())
    # each non-finite pattern, as element 3 after two finite ones
    head = bits[fin][:2]
    ok = True
    for b, v in zip(bits[~fin], ref[~fin]):
        blob = np.concatenate([head, [b]]).astype("<u2").tobytes()
        want = f"emb_f32(): argument 1 has {non_finite_word(v)} at element 3; {FINITE}"
        try:
            convert(db, blob, typ)
            ok = False
        except Exception as e:  # sqlite3.Error
            ok = ok and str(e) == want
    c.check(ok, f"{typ} all {(~fin).sum()} NaN and Inf patterns refused")


def f16_ref(bits):
    return bits.astype("<u2").view("<f2").astype("<f4")


def bf16_ref(bits):
    return (bits.astype(np.uint32) << 16).view("<f4")


def f64_cases(rng):
    """float64 values of every kind, finite."""
    parts = []
    for e in range(-50, 39, 4):
        parts.append(rng.standard_normal(200) * 10.0 ** e)
    # random bit patterns: every exponent, most beyond float32's range
    u = rng.integers(0, 1 << 63, size=4000, dtype=np.uint64) | \
        (rng.integers(0, 2, size=4000, dtype=np.uint64) << np.uint64(63))
    r = u.view(np.float64)
    parts.append(r[np.isfinite(r)])
    # exact ties between neighbouring float32s, odd and even, normal and subnormal
    a = rng.standard_normal(500).astype(np.float32)
    a = np.concatenate([a, np.float32(1e-40) * rng.standard_normal(100).astype(np.float32),
                        np.array([np.float32(1.0), np.nextafter(np.float32(1.0), np.float32(2))],
                                 np.float32)])
    b = np.nextafter(a, np.float32(np.inf))
    parts.append((a.astype(np.float64) + b.astype(np.float64)) / 2)
    # float32's edges
    mx = float(np.finfo(np.float32).max)
    half_ulp = 2.0 ** 103
    parts.append(np.array([mx, -mx, mx + half_ulp / 2, mx + half_ulp,
                           np.nextafter(mx + half_ulp, 0), 2.0 ** -149, 2.0 ** -150,
                           3 * 2.0 ** -151, -0.0, 0.0, 5e-324]))
    return np.concatenate(parts)


def run(ext):
    c = Checker()
    db = connect(ext)
    rng = np.random.default_rng(17)

    check_16bit(c, db, "f16", f16_ref)
    check_16bit(c, db, "bf16", bf16_ref)

    i8 = np.arange(-128, 128, dtype=np.int8)
    check_same(c, db, "i8 all 256 values", i8.tobytes(), "i8", i8.astype("<f4").tobytes())

    x = f64_cases(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # overflow to inf is the point
        ref = x.astype("<f4")
    fits = np.isfinite(ref)
    check_same(c, db, f"f64 {fits.sum()} values rounded as numpy rounds",
               x[fits].astype("<f8").tobytes(), "f64", ref[fits].tobytes())
    too_big = x[~fits]
    c.check(len(too_big) > 100, "f64 cases include values beyond float32",
            f"only {len(too_big)}")
    ok = True
    for v in too_big:
        blob = np.array([1.0, v], "<f8").tobytes()
        want = f"emb_f32(): argument 1 has {v!r} at element 2, {RANGE}"
        try:
            convert(db, blob, "f64")
            ok = False
        except Exception as e:
            ok = ok and str(e) == want
    c.check(ok, f"f64 all {len(too_big)} values beyond float32 refused, each named")
    for v in [np.nan, np.inf, -np.inf]:
        expect_error(c, db, f"f64 {v}", "SELECT emb_f32(?, 'f64')",
                     (np.array([0.5, 2.0, v], "<f8").tobytes(),),
                     f"emb_f32(): argument 1 has {non_finite_word(v)} at element 3; {FINITE}")

    # the trap: numpy's default tobytes() is float64, read as float32 it has
    # twice the values; emb_f32(X, 'f64') gives the spectrum of astype('<f4')
    (d,) = db.execute("SELECT emb_dims(?)", (np.array([1.0, 2.0, 3.0, 4.0]).tobytes(),)).fetchone()
    c.check(d == 8, "float64 bytes of a 4-vector read as float32 have 8 values", f"got {d}")
    m = rng.standard_normal((30, 12)) * np.linspace(4, 1, 12)
    db.execute("CREATE TABLE t(a, b)")
    db.executemany("INSERT INTO t VALUES (?, ?)",
                   [(r.tobytes(), r.astype("<f4").tobytes()) for r in m])
    got, want = db.execute("SELECT svd_spectrum(emb_f32(a, 'f64')), svd_spectrum(b) FROM t").fetchone()
    c.check(got == want, "spectrum of emb_f32(X, 'f64') is that of astype('<f4')",
            f"\n  got:  {got}\n  want: {want}")
    db.close()
    return c.passed, c.failed


if __name__ == "__main__":
    p, f = run(sys.argv[1] if len(sys.argv) > 1 else "dist/svd")
    print(f"reference_emb: {p} passed, {f} failed")
    sys.exit(1 if f else 0)
