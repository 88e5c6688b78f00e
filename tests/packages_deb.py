"""The Debian package: built by `make deb`, checked by lintian and by its
fields and files, then, as root, installed from the built file and used
from new processes in a directory away from the checkout.

    /usr/bin/python3 tests/packages_deb.py

The commands are README's (its "### Debian" block), run as written except
that apt-get gets -y (CI has no terminal to answer it). The references are
not the package's own word: the libraries the packaged .so needs
(objdump) mapped to their Debian packages (ldconfig, dpkg -S) for Depends,
ext/version.h for the version, SQLite's rule for the entry point it derives
from the file name, and numpy for a spectrum. A package installed before the
test is removed first; the test removes its own in any case. Not as root,
the install steps count as one failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from reference import TOL, Checker, version_h

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NAME = "sqlite-svd"
APT_ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
APT_OPTS = ["-o", "DPkg::Lock::Timeout=300"]   # other apt users wait, not fail


def run(cmd, cwd=ROOT, **kw):
    return subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True,
                          stdin=subprocess.DEVNULL, **kw)


def out(cmd):
    return run(cmd).stdout.strip()


def readme_block():
    """The commands of README's Debian block (comments dropped) and the text
    block after it."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    m = re.search(r"^### Debian\n.*?^```sh\n(.*?)^```\n```text\n(.*?)^```\n",
                  text, re.S | re.M)
    if not m:
        return [], ""
    cmds = [ln.split("  #")[0].strip() for ln in m.group(1).splitlines()]
    return [c for c in cmds if c], m.group(2)


def entry_point(filename):
    """SQLite's guess (sqlite3LoadExtension): after the last '/', skip a
    leading 'lib', keep the letters before the first '.', lowercased."""
    base = filename.rsplit("/", 1)[-1]
    if base[:3].lower() == "lib":
        base = base[3:]
    letters = "".join(ch for ch in base.split(".", 1)[0] if ch.isalpha())
    return "sqlite3_" + letters.lower() + "_init"


def owner(soname):
    """The Debian package that holds the library the loader gives soname."""
    for line in out(["ldconfig", "-p"]).splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and m.group(1) == soname and "x86-64" in m.group(2):
            path = m.group(3)
            for p in (path, os.path.realpath(path), re.sub(r"^/usr/lib/", "/lib/", path)):
                r = run(["dpkg", "-S", p])
                if r.returncode == 0:
                    return r.stdout.split(":")[0]
    return None


def depends_names(field):
    """Package names of a Depends field, alternatives included."""
    return {re.split(r"[\s(:]", alt.strip())[0]
            for item in field.split(",") for alt in item.split("|") if alt.strip()}


def package_depends(pkg):
    """The Depends of a package, installed or else known to apt."""
    r = run(["dpkg-query", "-W", "-f=${Depends}", pkg])
    if r.returncode != 0:
        r = run(["apt-cache", "show", "--no-all-versions", pkg])
        m = re.search(r"^Depends: (.*)$", r.stdout, re.M)
        return m.group(1) if m else ""
    return r.stdout


def installed():
    r = run(["dpkg-query", "-W", "-f=${Status}", NAME])
    return r.returncode == 0 and "install ok installed" in r.stdout


def sqlite3_cli(args, cwd, stdin=None):
    return subprocess.run(["sqlite3", ":memory:"] + args, cwd=cwd, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def check_static(c, deb, version, arch, multiarch, sqlite_ver):
    """lintian, the control fields and the files, without installing."""
    r = run(["lintian", deb])
    errors = [ln for ln in r.stdout.splitlines() if ln.startswith("E:")]
    c.check(not errors and "E:" not in r.stdout, "lintian reports no errors",
            "\n  ".join(errors) or r.stdout)
    for ln in r.stdout.splitlines():
        if ln.startswith("W:"):
            print(f"lintian warning: {ln}")

    field = {f: out(["dpkg-deb", "--field", deb, f])
             for f in ("Package", "Version", "Architecture", "Depends",
                       "Maintainer", "Description", "Section", "Priority")}
    c.check(field["Package"] == NAME, "Package", field["Package"])
    c.check(field["Version"] == version, "Version is ext/version.h's",
            f"{field['Version']} vs {version}")
    c.check(field["Architecture"] == arch, "Architecture", field["Architecture"])
    for f in ("Maintainer", "Description", "Section", "Priority"):
        c.check(field[f] != "", f"{f} present")

    tmp = tempfile.mkdtemp(prefix="svd-deb-x-")
    try:
        run(["dpkg-deb", "-x", deb, tmp])
        so = os.path.join(tmp, "usr", "lib", multiarch, "mod_svd.so")
        c.check(os.path.isfile(so), f"library at /usr/lib/{multiarch}/mod_svd.so")
        if os.path.isfile(so):
            dyn = out(["objdump", "-p", so])
            needed = re.findall(r"NEEDED\s+(\S+)", dyn)
            deps = depends_names(field["Depends"])
            for lib in needed:
                pkg = owner(lib)
                # a Depends on a metapackage (libopenblas0) names the package
                # through that metapackage's own Depends
                via = {d for d in deps
                       if pkg in depends_names(package_depends(d))}
                c.check(pkg is not None and (pkg in deps or via),
                        f"Depends covers {lib}", f"{lib} is in {pkg}; Depends: {field['Depends']}")
            c.check(not any(n.startswith("libsqlite3") for n in needed),
                    "the library does not link libsqlite3 (README says so)", needed)
            c.check(f"libsqlite3-0 (>= {sqlite_ver})" in field["Depends"],
                    "Depends on libsqlite3-0 of the compiled headers' version",
                    f"{field['Depends']} vs {sqlite_ver}")
            syms = out(["nm", "-D", "--defined-only", so]).split()
            want = entry_point("mod_svd.so")
            c.check(want == "sqlite3_modsvd_init" and want in syms,
                    "the entry point SQLite derives from the file name is exported", want)
            c.check("SONAME" in dyn and "mod_svd.so" in re.findall(r"SONAME\s+(\S+)", dyn),
                    "SONAME mod_svd.so")
            c.check(".symtab" not in out(["objdump", "-h", so]) and
                    ".debug_info" not in out(["objdump", "-h", so]), "library stripped")
        with open(os.path.join(tmp, "usr", "share", "doc", NAME, "copyright")) as f:
            c.check(f.readline() == "Format: https://www.debian.org/doc/"
                    "packaging-manuals/copyright-format/1.0/\n", "copyright in DEP-5 format")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    listing = out(["dpkg-deb", "--contents", deb]).splitlines()
    paths = [ln.split()[-1] for ln in listing]
    outside = [p for p in paths if p not in ("./", "./usr/") and not p.startswith("./usr/")]
    c.check(paths and not outside, "no files outside /usr", outside)
    c.check(all(" root/root " in ln for ln in listing), "owned by root")
    doc = f"./usr/share/doc/{NAME}/"
    for f in ("copyright", "changelog.gz", "README.md.gz"):
        c.check(doc + f in paths, f"{doc}{f} in the package")
    for ln in listing:
        if ln.split()[-1].endswith("/mod_svd.so"):
            c.check(ln.startswith("-rw-r--r--"), "library mode 0644", ln)


def spectrum_case(c, cwd):
    """A GROUP BY over float32 BLOBs through the installed library, against
    numpy's singular values of each centered group."""
    rng = np.random.default_rng(15)
    groups = {"a": rng.normal(size=(40, 6)), "b": rng.normal(size=(9, 6)) * 3 + 5}
    rows = []
    for g, x in groups.items():
        for r in x.astype("<f4"):
            rows.append(f"('{g}', X'{r.tobytes().hex()}')")
    sql = ("CREATE TABLE e(g, v);\nINSERT INTO e VALUES " + ",\n".join(rows) + ";\n"
           "SELECT g, svd_spectrum(v) FROM e GROUP BY g ORDER BY g;\n")
    r = sqlite3_cli(["-cmd", ".load mod_svd", "-separator", "|"], cwd, sql)
    got = dict(ln.split("|", 1) for ln in r.stdout.splitlines() if "|" in ln)
    for g, x in groups.items():
        x = x.astype("<f4").astype(np.float64)
        ref = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
        try:
            vals = np.array(json.loads(got[g]))
            err = np.max(np.abs(vals - ref)) / ref[0]
            c.check(vals.shape == ref.shape and err <= TOL,
                    f"installed spectrum of group {g} vs numpy", f"error {err:.3g}")
        except (KeyError, ValueError) as e:
            c.check(False, f"installed spectrum of group {g} vs numpy", f"{e}: {r.stdout}")


def check_install(c, cmds, deb, version, multiarch, expected):
    """README's install, use and remove commands, as root."""
    if os.geteuid() != 0:
        c.check(False, "install: needs root (CI runs as root)")
        return
    lib = f"/usr/lib/{multiarch}/mod_svd.so"
    cwd = tempfile.mkdtemp(prefix="svd-deb-use-")
    try:
        if installed():
            print(f"packages_deb: removing the {NAME} installed before the test")
            run(["dpkg", "-r", NAME])
        c.check(not installed() and not os.path.exists(lib),
                "not installed before the test", out(["dpkg", "-s", NAME]))
        before = sqlite3_cli([".load mod_svd"], cwd)
        c.check(before.returncode != 0, "no mod_svd loads before the install", before.stdout)

        r = run(cmds[1].split()[:2] + ["-y"] + APT_OPTS + cmds[1].split()[2:], env=APT_ENV)
        c.check(r.returncode == 0 and installed(), "README's apt-get install", r.stdout[-2000:])
        c.check(out(["dpkg-query", "-W", "-f=${Version}", NAME]) == version,
                "installed version", version)
        c.check(os.path.isfile(lib) and os.path.realpath(lib) == lib, f"{lib} installed")

        # README's line as written: it cds away from the checkout
        r = run(["bash", "-c", cmds[2]])
        c.check(r.returncode == 0 and r.stdout == expected == version + "\n",
                "README's sqlite3 .load mod_svd: svd_version() is ext/version.h's",
                f"got {r.stdout!r}, README says {expected!r}, version.h {version!r}")
        spectrum_case(c, cwd)
        py = subprocess.run(
            ["/usr/bin/python3", "-c",
             "import sqlite3; db = sqlite3.connect(':memory:'); "
             "db.enable_load_extension(True); db.load_extension('mod_svd'); "
             "print(db.execute(\"SELECT emb_dims('[1, 2, 3]')\").fetchone()[0])"],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        c.check(py.stdout == "3\n", "Python's sqlite3 loads 'mod_svd' by name", py.stdout)

        r = run(cmds[3].split()[:2] + ["-y"] + APT_OPTS + cmds[3].split()[2:], env=APT_ENV)
        c.check(r.returncode == 0 and not installed(), "README's apt-get remove",
                r.stdout[-2000:])
        c.check(not os.path.exists(lib), f"{lib} gone after the remove")
        after = sqlite3_cli([".load mod_svd"], cwd)
        c.check(after.returncode != 0, "mod_svd no longer loads", after.stdout)
    finally:
        if installed():
            run(["dpkg", "-r", NAME])
        shutil.rmtree(cwd, ignore_errors=True)


def main():
    c = Checker()
    version = version_h()
    arch = out(["dpkg", "--print-architecture"])
    multiarch = out(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"])
    sqlite_ver = out(["pkg-config", "--modversion", "sqlite3"])
    deb = f"dist/{NAME}_{version}_{arch}.deb"

    cmds, expected = readme_block()
    want = ["make deb", f"apt-get install ./{deb}",
            "cd /tmp && sqlite3 :memory: '.load mod_svd' 'SELECT svd_version()'",
            f"apt-get remove {NAME}"]
    c.check(cmds == want, "README's Debian commands", f"\n  got:  {cmds}\n  want: {want}")
    if len(cmds) != 4:
        print(f"{c.passed} passed, {c.failed + 1} failed")
        return 1

    if os.path.exists(os.path.join(ROOT, deb)):
        os.remove(os.path.join(ROOT, deb))
    r = run(["bash", "-c", cmds[0]])
    ok = r.returncode == 0 and os.path.isfile(os.path.join(ROOT, deb))
    c.check(ok, f"README's make deb writes {deb}", r.stdout[-3000:])
    if ok:
        check_static(c, deb, version, arch, multiarch, sqlite_ver)
        check_install(c, cmds, deb, version, multiarch, expected)

    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
