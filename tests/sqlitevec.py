"""sqlite-vec's loadable extension for the tests that use it.

sqlite-vec (github.com/asg017/sqlite-vec) is a peer extension, not a
dependency: its npm package sqlite-vec-linux-x64 ships the built vec0.so,
which the first run installs into build/sqlite-vec with npm, as
tests/readme.py installs better-sqlite3. The version is pinned, so its
subtypes and messages do not move under the tests.
"""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "sqlite-vec-linux-x64"
VERSION = "0.1.9"
DIR = os.path.join(ROOT, "build", "sqlite-vec")


def vec0_path():
    """Path of vec0 (without .so, as .load and load_extension take it),
    installing it first if needed; None when npm could not."""
    mod = os.path.join(DIR, "node_modules", PACKAGE)
    lib = os.path.join(mod, "vec0")
    if not os.path.exists(lib + ".so"):
        os.makedirs(DIR, exist_ok=True)
        # npm is not built for a preloaded ASan runtime (make test-asan)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                        "--prefix", DIR, f"{PACKAGE}@{VERSION}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, LD_PRELOAD=""))
    return lib if os.path.exists(lib + ".so") else None
