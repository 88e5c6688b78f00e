"""svd_version() and svd_info() against what the process itself reports.

    /usr/bin/python3 tests/about.py dist/svd

The references are independent of the extension: OpenBLAS's own
openblas_get_corename/openblas_get_config/openblas_get_num_threads called
through ctypes in a process that loads the same library, Python's
sqlite3.sqlite_version, the CPU flags in /proc/cpuinfo, and the version
line of ext/version.h. Each case runs in a fresh process, since
OPENBLAS_CORETYPE and OPENBLAS_NUM_THREADS are read when OpenBLAS loads.
"""
import json
import os
import re
import subprocess
import sys

from reference import Checker, version_h

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# run in a child: the extension's view and OpenBLAS's own, same process
CHILD = r"""
import ctypes, json, sqlite3, sys
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
version, info = db.execute("SELECT svd_version(), svd_info()").fetchone()
blas = ctypes.CDLL("libopenblas.so.0")
blas.openblas_get_corename.restype = ctypes.c_char_p
blas.openblas_get_config.restype = ctypes.c_char_p
print(json.dumps({
  "version": version, "info": json.loads(info),
  "valid": db.execute("SELECT json_valid(svd_info())").fetchone()[0],
  "core": blas.openblas_get_corename().decode(),
  "config": blas.openblas_get_config().decode(),
  "threads": blas.openblas_get_num_threads(),
  "sqlite": sqlite3.sqlite_version}))
"""


# a group of 50 x 400 starts the connection's helper thread (README,
# "Threads"); svd_info counts it, and closing the connection stops it
HELPER_CHILD = r"""
import json, sqlite3, sys
import numpy as np
def info(db):
    return json.loads(db.execute("SELECT svd_info()").fetchone()[0])
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
before = info(db)
x = np.random.default_rng(1).normal(size=(50, 400)).astype("<f4")
db.execute("CREATE TABLE t(v)")
db.executemany("INSERT INTO t VALUES (?)", [(r.tobytes(),) for r in x])
db.execute("SELECT svd_spectrum(v) FROM t").fetchone()
during = info(db)
db.close()
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
print(json.dumps({"before": before, "during": during, "after": info(db)}))
"""


# two connections, one helper to share (on 2 cores): the second is refused
# while the first holds it, and gets it with its next group once the first
# connection has closed
REASK_CHILD = r"""
import json, sqlite3, sys
import numpy as np
def info(db):
    return json.loads(db.execute("SELECT svd_info()").fetchone()[0])["helper_threads"]
def connect():
    db = sqlite3.connect(":memory:")
    db.enable_load_extension(True)
    db.load_extension(sys.argv[1])
    x = np.random.default_rng(2).normal(size=(50, 400)).astype("<f4")
    db.execute("CREATE TABLE t(v)")
    db.executemany("INSERT INTO t VALUES (?)", [(r.tobytes(),) for r in x])
    return db
a, b = connect(), connect()
a.execute("SELECT svd_spectrum(v) FROM t").fetchone()
b.execute("SELECT svd_spectrum(v) FROM t").fetchone()
both = info(b)
a.close()
closed = info(b)
b.execute("SELECT svd_spectrum(v) FROM t").fetchone()
again = info(b)
b.close()
print(json.dumps({"both": both, "closed": closed, "again": again}))
"""


def child(ext, code=CHILD, **env):
    e = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
              "OMP_NUM_THREADS"):
        e.pop(k, None)
    e.update(env)
    out = subprocess.run([sys.executable, "-c", code, ext], env=e, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def main():
    ext = sys.argv[1]
    c = Checker()
    want = version_h()
    flags = cpu_flags()
    avx_cores = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"}

    r = child(ext)
    info = r["info"]
    c.check(r["version"] == want, "svd_version", f"{r['version']} vs {want}")
    c.check(re.fullmatch(r"\d+\.\d+\.\d+", r["version"]) is not None,
            "svd_version is MAJOR.MINOR.PATCH", r["version"])
    c.check(r["valid"] == 1, "svd_info is valid JSON")
    c.check(info.get("version") == want, "info version", info.get("version"))
    c.check(info.get("sqlite_version") == r["sqlite"], "info sqlite_version",
            f"{info.get('sqlite_version')} vs {r['sqlite']}")
    c.check(info.get("openblas_core") == r["core"], "info openblas_core",
            f"{info.get('openblas_core')} vs {r['core']}")
    c.check(info.get("openblas_config") == r["config"], "info openblas_config",
            f"{info.get('openblas_config')} vs {r['config']}")
    # the extension sets one thread when the user chose none
    c.check(info.get("openblas_threads") == r["threads"] == 1,
            "info openblas_threads", f"{info.get('openblas_threads')} vs {r['threads']}")
    c.check(info.get("cpu") == {"avx2": "avx2" in flags,
                                "avx512f": "avx512f" in flags},
            "info cpu flags", f"{info.get('cpu')} vs /proc/cpuinfo")
    generic = r["core"].lower() not in avx_cores
    c.check(("hint" in info) == (generic and bool(flags & {"avx2", "avx512f"})),
            "hint only when OpenBLAS runs generic kernels on an AVX2 CPU",
            f"core {r['core']}, hint {info.get('hint')}")

    # the user's thread count stands and is reported
    r = child(ext, OPENBLAS_NUM_THREADS="2")
    c.check(r["info"].get("openblas_threads") == r["threads"] == 2,
            "info threads with OPENBLAS_NUM_THREADS=2",
            f"{r['info'].get('openblas_threads')} vs {r['threads']}")

    # generic kernels forced: the hint names OPENBLAS_CORETYPE when the CPU
    # could do better
    r = child(ext, OPENBLAS_CORETYPE="Prescott")
    info = r["info"]
    c.check(info.get("openblas_core") == r["core"] == "Prescott",
            "info core with OPENBLAS_CORETYPE=Prescott",
            f"{info.get('openblas_core')} vs {r['core']}")
    if "avx512f" in flags:
        want_hint = "OPENBLAS_CORETYPE=SkylakeX"
    elif "avx2" in flags:
        want_hint = "OPENBLAS_CORETYPE=Haswell"
    else:
        want_hint = None
    got = info.get("hint")
    c.check((got is None) if want_hint is None else
            (got is not None and want_hint in got),
            "hint under Prescott kernels", f"{got!r}, expected {want_hint!r}")

    # the small groups' helper thread: allowed unless SQLITE_SVD_HELPER
    # says 0, off, false or no; one runs while a connection has one (on a
    # machine with a core to spare), none once it closes
    helpers = 1 if len(os.sched_getaffinity(0)) > 1 else 0
    r = child(ext, HELPER_CHILD)
    c.check(r["before"].get("helper_allowed") is True
            and r["before"].get("helper_threads") == 0,
            "info helper before any group", str(r["before"]))
    c.check(r["during"].get("helper_threads") == helpers,
            "info helper_threads with a 50 x 400 group done",
            f"{r['during'].get('helper_threads')}, expected {helpers}")
    c.check(r["after"].get("helper_threads") == 0,
            "info helper_threads after the connection closed",
            str(r["after"].get("helper_threads")))
    for value in ("0", "off", "FALSE", "No"):
        r = child(ext, HELPER_CHILD, SQLITE_SVD_HELPER=value)
        c.check(r["before"].get("helper_allowed") is False
                and r["during"].get("helper_threads") == 0,
                f"SQLITE_SVD_HELPER={value} starts none",
                f"{r['before'].get('helper_allowed')}, "
                f"{r['during'].get('helper_threads')} running")
    r = child(ext, REASK_CHILD)
    if len(os.sched_getaffinity(0)) == 2:
        c.check(r["both"] == 1 and r["closed"] == 0 and r["again"] == 1,
                "a connection refused the one helper gets it once the other closes",
                f"helpers: {r['both']} with both open, {r['closed']} after the "
                f"first closed, {r['again']} after the second's next group")
    r = child(ext, HELPER_CHILD, SQLITE_SVD_HELPER="1")
    c.check(r["before"].get("helper_allowed") is True
            and r["during"].get("helper_threads") == helpers,
            "SQLITE_SVD_HELPER=1 leaves it on", str(r["during"]))

    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
