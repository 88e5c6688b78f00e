"""Runs every test of sqlite-svd and ends with one line "N passed, M failed".

    /usr/bin/python3 tests/run.py --ext dist/svd --bin build [--asan]

Parts: C unit tests of the numerics (BIN/test_spectrum), small.c's kernels
against LAPACK (BIN/test_small, and BIN/test_small_portable without AVX2), the
number printer against the one it replaced (BIN/test_fmt) and against
Python's repr and numpy's float32 digits (tests/fmt.py), allocation
failure (BIN/oom: every query with its n-th allocation failing), the SQL tests
(BIN/sqltest over tests/sql/*.sql), the numpy reference checks
(tests/reference*.py; reference_vec.py beside sqlite-vec's vec0.so, which
the first run fetches from npm), concurrent connections (tests/threads.py),
streamed groups against groups without a helper (tests/stream.py),
svd_version/svd_info (tests/about.py), the
SVG checks (tests/scree.py), the bundled sample and demo (tests/sample.py),
states merged across shard files on Dask (tests/shards.py), the
README examples (tests/readme.py), `make install` (tests/packages_source.py),
the Debian package (tests/packages_deb.py:
`make deb`, lintian, and as root an install, use and removal), the Python
package built from a copy of the checkout, installed in a new venv and used
(tests/packages_python.py) and the npm package built by `make npm`,
installed in a new project (tests/packages_node.py). With --asan the
extension and binaries are the sanitizer builds, and the Python parts run
with the ASan runtime preloaded; the Debian and Python package parts, which
build and load their own plain library, run only without --asan.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COUNT = re.compile(r"(\d+) passed, (\d+) failed\s*$")


def run_part(name, cmd, env):
    """Run one part; its last line must be 'N passed, M failed'."""
    proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.rstrip("\n")
    lines = out.splitlines()
    m = COUNT.search(lines[-1]) if lines else None
    if lines:
        print("\n".join(lines[:-1]) + ("\n" if len(lines) > 1 else ""), end="")
    if not m:
        print(f"FAIL {name}: exit {proc.returncode}, no count line")
        return 0, 1
    passed, failed = int(m.group(1)), int(m.group(2))
    if proc.returncode != 0 and failed == 0:
        print(f"FAIL {name}: exit {proc.returncode}")
        failed = 1
    print(f"{name}: {passed} passed, {failed} failed")
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ext", default="dist/svd")
    ap.add_argument("--bin", default="build")
    ap.add_argument("--asan", action="store_true")
    args = ap.parse_args()

    env = dict(os.environ)
    pyenv = dict(env)
    if args.asan:
        env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        cc = os.environ.get("CC", "cc")
        libasan = subprocess.run([cc, "-print-file-name=libasan.so"],
                                 stdout=subprocess.PIPE, text=True).stdout.strip()
        pyenv = dict(env)
        pyenv["LD_PRELOAD"] = libasan
        # the interpreters themselves are not leak-free; the C parts check leaks
        pyenv["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=1"

    py = sys.executable
    tmp = tempfile.mkdtemp(prefix="svd-oom-")
    parts = [
        ("unit", [os.path.join(args.bin, "test_spectrum")], env),
        ("small", [os.path.join(args.bin, "test_small")], env),
        ("small_portable", [os.path.join(args.bin, "test_small_portable")], env),
        ("fmt", [os.path.join(args.bin, "test_fmt")], env),
        ("fmt_repr", [py, "tests/fmt.py", os.path.join(args.bin, "test_fmt")], pyenv),
        ("oom", [os.path.join(args.bin, "oom"), tmp], env),
        # ThreadSanitizer cannot share a process with ASan: plain runs only
        ("tsan", ["build/tsan/threads", tmp], dict(env, TSAN_OPTIONS="halt_on_error=1")),
        ("sql", [os.path.join(args.bin, "sqltest"), args.ext]
                + sorted(glob.glob(os.path.join("tests", "sql", "*.sql"))), env),
        ("reference", [py, "tests/reference.py", args.ext], pyenv),
        ("reference_basis", [py, "tests/reference_basis.py", args.ext], pyenv),
        ("reference_gram", [py, "tests/reference_gram.py", args.ext], pyenv),
        ("reference_extremes", [py, "tests/reference_extremes.py", args.ext], pyenv),
        ("reference_state", [py, "tests/reference_state.py", args.ext], pyenv),
        ("reference_window", [py, "tests/reference_window.py", args.ext], pyenv),
        ("reference_emb", [py, "tests/reference_emb.py", args.ext], pyenv),
        ("reference_noise", [py, "tests/reference_noise.py", args.ext], pyenv),
        ("reference_angles", [py, "tests/reference_angles.py", args.ext], pyenv),
        ("reference_cka", [py, "tests/reference_cka.py", args.ext], pyenv),
        ("reference_vec", [py, "tests/reference_vec.py", args.ext], pyenv),
        ("threads", [py, "tests/threads.py", args.ext], pyenv),
        ("stream", [py, "tests/stream.py", args.ext], pyenv),
        ("about", [py, "tests/about.py", args.ext], pyenv),
        ("importers", [py, "tests/importers.py", args.ext], pyenv),
        ("interrupt", [py, "tests/interrupt.py", args.ext], pyenv),
        ("scree", [py, "tests/scree.py", args.ext], pyenv),
        ("sample", [py, "tests/sample.py", args.ext], pyenv),
        ("shards", [py, "tests/shards.py", args.ext], pyenv),
        ("readme", [py, "tests/readme.py", args.ext], pyenv),
        ("packages_source", [py, "tests/packages_source.py"], env),
        ("packages_deb", [py, "tests/packages_deb.py"], env),
        ("packages_python", [py, "tests/packages_python.py"], env),
        # the package ships dist/svd.so, whatever --ext is
        ("packages_node", [py, "tests/packages_node.py"], pyenv),
    ]
    if args.asan:
        # the packages ship their own builds, not the sanitizer one
        parts = [p for p in parts if p[0] not in ("tsan", "packages_deb",
                                                  "packages_python")]
    total_p = total_f = 0
    for name, cmd, e in parts:
        p, f = run_part(name, cmd, e)
        total_p += p
        total_f += f
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
