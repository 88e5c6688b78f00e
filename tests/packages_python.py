"""The Python package as a user builds and installs it: README, "Install",
"Python".

    /usr/bin/python3 tests/packages_python.py

1. A fresh copy of the checkout in a temporary directory: the files of
   `git ls-files --cached --others --exclude-standard` as they are in the
   working tree. So uncommitted edits are tested (a clean tree, as in CI,
   gives exactly a clone of HEAD), and nothing ignored comes along: no
   dist/svd.so, no build/, no python/build/. The copy has no .git either,
   so the build cannot lean on git.
2. The subsection's first sh block (make wheel, a new venv, pip install)
   runs in bash in the copy, with HOME a new empty directory. The copy must
   then hold its own dist/svd.so, compiled by that build, and one wheel:
   its name, WHEEL file (Root-Is-Purelib: false, Tag py3-none-linux_<the
   library's ELF machine>), METADATA version (ext/version.h's) and files
   (the library byte for byte) are checked.
3. In new processes whose directory is an empty one away from the copy:
   the subsection's python blocks run with the venv's python and must print
   their text blocks (tests/readme.py skips them: they need the package);
   its later sh blocks (sqlite-utils) run in bash likewise. A probe in the
   venv's python checks where sqlite_svd comes from, that __version__ is
   svd_version() and ext/version.h's, that load() disables extension
   loading again (also when loading fails), and a spectrum of random
   float32 rows against numpy's singular values of the centered matrix
   (within 1e-12 of the largest). sqlite-utils --load-extension with
   loadable_path() must report the same svd_version().
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

from readme import same
from reference import Checker, version_h

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}   # e_machine -> wheel platform suffix

# run by the venv's python: the package's view, as JSON on stdout
PROBE = r"""
import array, json, sqlite3, sys
import sqlite_svd

def refused(f):
    try:
        f()
    except sqlite3.OperationalError as e:
        return str(e)
    return None

out = {"file": sqlite_svd.__file__, "path": sqlite_svd.loadable_path(),
       "version": sqlite_svd.__version__}
db = sqlite3.connect(":memory:")
sqlite_svd.load(db)
out["svd_version"] = db.execute("SELECT svd_version()").fetchone()[0]
out["after_load"] = refused(lambda: db.load_extension(sqlite_svd.loadable_path()))
out["after_load_sql"] = refused(
    lambda: db.execute("SELECT load_extension(?)", (sqlite_svd.loadable_path(),)))

db2 = sqlite3.connect(":memory:")
real = sqlite_svd.loadable_path
sqlite_svd.loadable_path = lambda: real() + "-missing"
out["failed_load"] = refused(lambda: sqlite_svd.load(db2))
sqlite_svd.loadable_path = real
out["after_failed_load"] = refused(lambda: db2.load_extension(real()))

class NoLoading:   # a connection of a sqlite3 built without extension loading
    pass
try:
    sqlite_svd.load(NoLoading())
    out["no_loading"] = None
except RuntimeError as e:
    out["no_loading"] = str(e)

rows = json.load(sys.stdin)
db.execute("CREATE TABLE t(v BLOB)")
db.executemany("INSERT INTO t VALUES (?)", [(array.array("f", r).tobytes(),) for r in rows])
out["spectrum"] = json.loads(db.execute("SELECT svd_spectrum(v) FROM t").fetchone()[0])
print(json.dumps(out))
"""


def subsection(text):
    """README's "### Python" under "## Install", up to the next heading."""
    m = re.search(r"^## Install\n(.*?)^## ", text, re.S | re.M)
    if not m:
        return ""
    m = re.search(r"^### Python\n(.*?)(?=^##)", m.group(1) + "##", re.S | re.M)
    return m.group(1) if m else ""


def fenced(text):
    """(lang, code, expected or None) for each sh and python block."""
    found = [(m.group(1), m.group(2), m.start(), m.end())
             for m in re.finditer(r"^```(\w*)\n(.*?)^```\n", text, re.S | re.M)]
    out = []
    for i, (lang, code, _, end) in enumerate(found):
        if lang not in ("sh", "python"):
            continue
        expected = None
        if i + 1 < len(found) and found[i + 1][0] == "text" and \
                text[end:found[i + 1][2]].strip() == "":
            expected = found[i + 1][1]
        out.append((lang, code, expected))
    return out


def copy_checkout(dest):
    """The working tree's files, ignored ones left out, into dest."""
    ls = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                        cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout.decode()
    for rel in filter(None, ls.split("\0")):
        src = os.path.join(ROOT, rel)
        if not os.path.lexists(src):
            continue                      # deleted in the working tree
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel), follow_symlinks=False)


def elf_machine(data):
    """The wheel platform suffix of an ELF shared object's e_machine."""
    if data[:4] != b"\x7fELF" or data[16:18] != b"\x03\x00":    # ET_DYN, little-endian
        return None
    return ELF_MACHINES.get(int.from_bytes(data[18:20], "little"))


def check_wheel(c, copy, version):
    wheels = sorted(f for f in os.listdir(os.path.join(copy, "dist")) if f.endswith(".whl"))
    if not c.check(len(wheels) == 1, "one wheel in dist/", str(wheels)):
        return
    with open(os.path.join(copy, "dist", "svd.so"), "rb") as f:
        lib = f.read()
    arch = elf_machine(lib)
    c.check(arch is not None, "dist/svd.so is an ELF shared object of a known machine", lib[:20])
    tag = f"py3-none-linux_{arch}"
    c.check(wheels[0] == f"sqlite_svd-{version}-{tag}.whl", "wheel file name",
            f"{wheels[0]}, expected sqlite_svd-{version}-{tag}.whl")
    info = f"sqlite_svd-{version}.dist-info/"
    with zipfile.ZipFile(os.path.join(copy, "dist", wheels[0])) as z:
        names = set(z.namelist())
        want = {"sqlite_svd/__init__.py", "sqlite_svd/_version.py", "sqlite_svd/svd.so",
                info + "METADATA", info + "WHEEL", info + "RECORD", info + "top_level.txt"}
        c.check(names == want, "wheel files", f"{sorted(names)}\n  expected {sorted(want)}")
        if not want <= names:
            return
        wheel = z.read(info + "WHEEL").decode().splitlines()
        meta = z.read(info + "METADATA").decode().splitlines()
        packed = z.read("sqlite_svd/svd.so")
    c.check("Root-Is-Purelib: false" in wheel, "WHEEL says Root-Is-Purelib: false", wheel)
    c.check([ln for ln in wheel if ln.startswith("Tag:")] == [f"Tag: {tag}"],
            f"WHEEL's one tag is {tag}", wheel)
    c.check("Name: sqlite-svd" in meta and f"Version: {version}" in meta,
            "METADATA name and version", meta[:4])
    c.check(packed == lib, "the wheel's svd.so is the build's dist/svd.so",
            f"{len(packed)} vs {len(lib)} bytes")


def run_blocks(c, blocks, env, away, venv_py):
    """The later blocks, each in a new process in the directory away."""
    for i, (lang, code, expected) in enumerate(blocks):
        cmd = [venv_py, "-c", code] if lang == "python" else ["bash", "-e", "-c", code]
        proc = subprocess.run(cmd, cwd=away, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        want = expected if expected is not None else ""
        c.check(proc.returncode == 0 and same(proc.stdout, want),
                f"README block {i + 2} ({lang})",
                f"exit {proc.returncode}, printed:\n{proc.stdout}--- expected:\n{want}---")


def check_probe(c, env, away, venv_py, venv, version):
    rng = np.random.default_rng(15)
    x = (rng.standard_normal((40, 12)) * np.linspace(5, 0.5, 12) + 3).astype(np.float32)
    proc = subprocess.run([venv_py, "-c", PROBE], input=json.dumps(x.tolist()), cwd=away,
                          env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if not c.check(proc.returncode == 0, "probe runs", proc.stdout):
        return None
    got = json.loads(proc.stdout)
    pkg = os.path.realpath(os.path.dirname(got["file"]))
    c.check(pkg.startswith(os.path.realpath(venv) + os.sep), "sqlite_svd is the venv's",
            got["file"])
    c.check(got["path"] == os.path.join(os.path.dirname(got["file"]), "svd")
            and os.path.isfile(got["path"] + ".so"),
            "loadable_path() is the installed svd.so without .so", got["path"])
    c.check(got["version"] == got["svd_version"] == version,
            "__version__ == svd_version() == ext/version.h's",
            f"{got['version']}, {got['svd_version']}, {version}")
    c.check(got["after_load"] == "not authorized", "load_extension() refused after load()",
            got["after_load"])
    c.check(got["after_load_sql"] == "not authorized",
            "SQL load_extension() refused after load()", got["after_load_sql"])
    c.check(got["failed_load"] is not None and "-missing" in got["failed_load"],
            "a failing load() raises SQLite's error", got["failed_load"])
    c.check(got["after_failed_load"] == "not authorized",
            "load_extension() refused after a failed load()", got["after_failed_load"])
    c.check(got["no_loading"] is not None and "/usr/bin/python3" in got["no_loading"],
            "load() on a sqlite3 without extension loading names the way out",
            got["no_loading"])
    xd = x.astype(np.float64)
    ref = np.linalg.svd(xd - xd.mean(axis=0), compute_uv=False)
    s = np.array(got["spectrum"])
    c.check(s.shape == ref.shape and np.all(np.abs(s - ref) <= 1e-12 * ref[0]),
            "spectrum of 40 float32 rows of 12 vs numpy", f"{s} vs {ref}")
    return got["path"]


def check_sqlite_utils(c, env, away, path, version):
    proc = subprocess.run(["sqlite-utils", "query", ":memory:", "SELECT svd_version() AS v",
                           f"--load-extension={path}"], cwd=away, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        rows = json.loads(proc.stdout)
    except ValueError:
        rows = None
    c.check(proc.returncode == 0 and rows == [{"v": version}],
            "sqlite-utils --load-extension=loadable_path()", proc.stdout)


def main():
    c = Checker("packages_python")
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        blocks = fenced(subsection(f.read()))
    if not c.check(blocks and blocks[0][0] == "sh" and any(b[0] == "python" for b in blocks),
                   "README's Install/Python has an sh block first and a python block",
                   str(blocks)):
        print(f"packages_python: {c.passed} passed, {c.failed} failed")
        return 1
    with tempfile.TemporaryDirectory(prefix="svd-pypkg-") as tmp:
        copy, home, away = (os.path.join(tmp, d) for d in ("checkout", "home", "away"))
        for d in (home, away):
            os.mkdir(d)
        copy_checkout(copy)
        c.check(not os.path.exists(os.path.join(copy, "dist")), "the copy has no dist/")
        env = dict(os.environ, HOME=home)
        for var in ("LD_PRELOAD", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"):   # as from a shell
            env.pop(var, None)
        version = version_h(copy)
        proc = subprocess.run(["bash", "-e", "-c", blocks[0][1]], cwd=copy, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if c.check(proc.returncode == 0, "README's build and install commands",
                   f"exit {proc.returncode}:\n{proc.stdout[-3000:]}"):
            c.check(os.path.exists(os.path.join(copy, "dist", "svd.so")),
                    "the build compiled the copy's dist/svd.so")
            check_wheel(c, copy, version)
            venv = os.path.expanduser(re.search(r"-m venv (\S+)", blocks[0][1]).group(1))
            venv = venv.replace(os.path.expanduser("~"), home, 1)
            venv_py = os.path.join(venv, "bin", "python")
            run_blocks(c, blocks[1:], env, away, venv_py)
            path = check_probe(c, env, away, venv_py, venv, version)
            if path:
                check_sqlite_utils(c, env, away, path, version)
    print(f"packages_python: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
