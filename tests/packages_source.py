"""README's Install -> From source: `make install PREFIX=...`, then the
installed library loaded by path from another directory, then `make
uninstall`.

    /usr/bin/python3 tests/packages_source.py

The commands are read from README's block (PREFIX replaced by a temporary
directory), and svd_version() is compared with ext/version.h.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from reference import Checker, version_h

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main():
    c = Checker("packages_source")
    check = c.check
    version = version_h()
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    m = re.search(r"### From source\n\n```sh\n(.*?)```\n```text\n(.*?)```", readme, re.S)
    check(m is not None, "README has the From source block")
    if m is None:
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    lines = [l.split("#")[0].strip() for l in m.group(1).splitlines()]
    install = next(l for l in lines if l.startswith("make install"))
    load = next(l for l in lines if l.startswith("cd /tmp"))
    check(m.group(2).strip() == version, "README's output is the version",
          f"{m.group(2).strip()!r} vs {version!r}")
    tmp = tempfile.mkdtemp(prefix="svd-src-")
    try:
        prefix = os.path.join(tmp, "prefix")
        cmd = install.replace("PREFIX=/usr/local", f"PREFIX={prefix}")
        r = subprocess.run(cmd, shell=True, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        lib = os.path.join(prefix, "lib", "sqlite-svd", "svd.so")
        check(r.returncode == 0 and os.path.isfile(lib), "make install",
              r.stdout[-500:])
        away = os.path.join(tmp, "away")
        os.makedirs(away)
        cmd = load.replace("cd /tmp", f"cd {away}").replace(
            "/usr/local/lib/sqlite-svd/svd", os.path.join(prefix, "lib", "sqlite-svd", "svd"))
        r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        check(r.stdout.strip() == version, "loaded by path from another directory",
              f"printed {r.stdout!r}")
        r = subprocess.run(["make", "-s", "uninstall", f"PREFIX={prefix}"], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        check(r.returncode == 0 and not os.path.exists(lib)
              and not os.path.exists(os.path.dirname(lib)),
              "make uninstall removes it", r.stdout[-500:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
