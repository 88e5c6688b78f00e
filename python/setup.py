"""Builds the sqlite_svd wheel: the extension, built by the top-level
Makefile, inside a loader package.

Only what pyproject.toml cannot say lives here:
- the version, read from ../ext/version.h (the one place it is written;
    svd_version() returns the same string) and written into the package as
    sqlite_svd/_version.py;
- dist/svd.so, built by `make dist/svd.so` in the checkout (make reuses an
    up-to-date one) and copied into the package as sqlite_svd/svd.so;
- the wheel's tag: the library is a Linux binary for this machine's CPU,
    so the wheel is not pure (Root-Is-Purelib: false) and is tagged
    py3-none-<platform>, e.g. py3-none-linux_x86_64. The library does not
    use Python's C API, so any Python 3 can load it: no cp311 ABI tag. It
    links Debian's OpenBLAS, LAPACKE and Jansson, which is why the tag is
    linux_x86_64 and not a manylinux one.

pip (21.3 and later) builds a local directory in place, so ../ is the
checkout. A copy of python/ alone, or an sdist, has no ../ext: the build
stops with a message saying so.
"""
import os
import re
import shutil
import subprocess

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py
from wheel.bdist_wheel import bdist_wheel

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VERSION_H = os.path.join(ROOT, "ext", "version.h")


def read_version():
    """SVD_VERSION from ext/version.h."""
    if not os.path.exists(VERSION_H) or not os.path.exists(os.path.join(ROOT, "Makefile")):
        raise SystemExit("sqlite-svd: python/ builds only inside the repository checkout: "
                         f"{VERSION_H} or {ROOT}/Makefile not found")
    with open(VERSION_H, encoding="utf-8") as f:
        m = re.search(r'^#define SVD_VERSION "([^"]+)"$', f.read(), re.M)
    if not m:
        raise SystemExit(f'sqlite-svd: no #define SVD_VERSION "..." line in {VERSION_H}')
    return m.group(1)


class BuildPy(build_py):
    """The pure files, then the library and the version file beside them."""

    def run(self):
        super().run()
        subprocess.run(["make", "-C", ROOT, "dist/svd.so"], check=True)
        pkg = os.path.join(self.build_lib, "sqlite_svd")
        os.makedirs(pkg, exist_ok=True)
        shutil.copyfile(os.path.join(ROOT, "dist", "svd.so"), os.path.join(pkg, "svd.so"))
        with open(os.path.join(pkg, "_version.py"), "w", encoding="utf-8") as f:
            f.write(f'# written by setup.py from ext/version.h\n__version__ = "{VERSION}"\n')


class BinaryDistribution(Distribution):
    """Holds a binary: the files go to the platform's site-packages, and
    bdist_wheel makes the wheel not pure (Root-Is-Purelib: false)."""

    def has_ext_modules(self):
        return True


class BdistWheel(bdist_wheel):
    """Tagged py3-none-<platform>, not cp3XX-cp3XX-<platform>: svd.so does
    not use Python's C API."""

    def get_tag(self):
        return "py3", "none", super().get_tag()[2]


VERSION = read_version()
setup(version=VERSION, distclass=BinaryDistribution,
      cmdclass={"build_py": BuildPy, "bdist_wheel": BdistWheel})
