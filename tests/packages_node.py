"""The npm package (node/, `make npm`) installed as a user installs it.

    /usr/bin/python3 tests/packages_node.py

Builds dist/sqlite-svd-VERSION.tgz with `make npm` from this tree, copies
it into a new project in a temporary directory away from the checkout and
runs README's command there, `npm install ./sqlite-svd-VERSION.tgz
better-sqlite3@12`. Then, each in a new node process in that project:

- require('sqlite-svd').load(db) on a better-sqlite3 Database; the spectra
  of random float32 rows (BLOBs from Float32Array, two groups) against
  numpy's singular values of the same rows, centered;
- getLoadablePath() is absolute, inside node_modules/sqlite-svd, and the
  file is there; the package's version is ext/version.h's and
  svd_version()'s; the same through an ES module import;
- README's js blocks that require('sqlite-svd') (tests/readme.py leaves
  them here) print the text block after them;
- index.d.ts type-checks with tsc --strict, and a TypeScript file using
  it with @types/better-sqlite3 compiles, but not with a db that has no
  loadExtension (the declarations of @types/node and @types/better-sqlite3
  themselves go unchecked: --skipLibCheck saves 20 s);
- better-sqlite3 is an optional peer: npm installs the package alone
  without it (a dry run in a second new project).

The tarball holds exactly package.json, README.md, index.js, index.d.ts and
svd.so (this tree's dist/svd.so, byte for byte).

better-sqlite3 has no prebuilt binary here (they are on GitHub, not
reachable), so npm compiles it, about a minute. tests/readme.py keeps one
build in build/node; this test packs its binary as a local prebuild
(build/node-prebuilds), named in the new project's .prebuild-installrc for
better-sqlite3's install script, so the project installs in seconds. Another 12.x version than that build is
compiled instead. typescript@5 and @types/better-sqlite3@7 are fetched
once into build/typescript.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

import numpy as np

from readme import NODE_DIR, PACKAGED_JS, blocks, node_ready, same
from reference import TOL, Checker, version_h

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PREBUILDS = os.path.join(ROOT, "build", "node-prebuilds")
TS_DIR = os.path.join(ROOT, "build", "typescript")
TS_PACKAGES = ["typescript@5", "@types/better-sqlite3@7"]
NPM_QUIET = ["--prefer-offline", "--no-audit", "--no-fund"]
SHIPPED = {"package.json", "README.md", "index.js", "index.d.ts", "svd.so"}

# spectra of the rows in the file argv[1], in groups i % 2, through the package
CHECK_JS = r"""
const fs = require("fs");
const Database = require("better-sqlite3");
const sqliteSvd = require("sqlite-svd");
const rows = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const db = new Database(":memory:");
sqliteSvd.load(db);
db.exec("CREATE TABLE emb(grp INTEGER, v BLOB)");
const insert = db.prepare("INSERT INTO emb VALUES (?, ?)");
rows.forEach((r, i) => insert.run(i % 2, Buffer.from(new Float32Array(r).buffer)));
const path = sqliteSvd.getLoadablePath();
console.log(JSON.stringify({
  path: path,
  exists: fs.existsSync(path),
  version: db.prepare("SELECT svd_version() AS v").get().v,
  packageVersion: require("sqlite-svd/package.json").version,
  spectra: db.prepare("SELECT svd_spectrum(v) AS s FROM emb GROUP BY grp ORDER BY grp")
             .all().map((r) => JSON.parse(r.s)),
}));
"""

CHECK_MJS = r"""
import Database from "better-sqlite3";
import { load, getLoadablePath } from "sqlite-svd";
const db = new Database(":memory:");
load(db);
console.log(JSON.stringify({ path: getLoadablePath(),
                             version: db.prepare("SELECT svd_version() AS v").get().v }));
"""

CHECK_TS = r"""
import Database = require("better-sqlite3");
import sqliteSvd = require("sqlite-svd");
const db = new Database(":memory:");
sqliteSvd.load(db);
const where: string = sqliteSvd.getLoadablePath();
console.log(where);
// @ts-expect-error: load() needs an object with loadExtension(path)
sqliteSvd.load({});
// @ts-expect-error: getLoadablePath() is a string
const n: number = sqliteSvd.getLoadablePath();
console.log(n);
"""


def run(cmd, cwd, env):
    p = subprocess.run(cmd, cwd=cwd, env=env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode, p.stdout


def local_prebuild(env):
    """better-sqlite3's binary from build/node as a prebuild-install tarball."""
    mod = os.path.join(NODE_DIR, "node_modules", "better-sqlite3")
    with open(os.path.join(mod, "package.json"), encoding="utf-8") as f:
        version = json.load(f)["version"]
    abi = run(["node", "-p", "process.versions.modules"], ROOT, env)[1].strip()
    os.makedirs(PREBUILDS, exist_ok=True)
    name = f"better-sqlite3-v{version}-node-v{abi}-linux-x64.tar.gz"
    with tarfile.open(os.path.join(PREBUILDS, name), "w:gz") as t:
        t.add(os.path.join(mod, "build", "Release", "better_sqlite3.node"),
              "build/Release/better_sqlite3.node")


def tsc_ready(env):
    tsc = os.path.join(TS_DIR, "node_modules", "typescript", "bin", "tsc")
    if not os.path.exists(tsc):
        os.makedirs(TS_DIR, exist_ok=True)
        run(["npm", "install", "--silent", *NPM_QUIET, "--prefix", TS_DIR, *TS_PACKAGES],
            ROOT, env)
    return tsc if os.path.exists(tsc) else None


def check_tarball(c, tgz):
    with tarfile.open(tgz) as t:
        names = {m.name for m in t.getmembers() if m.isfile()}
        c.check(names == {"package/" + n for n in SHIPPED}, "tarball contents",
                f"{sorted(names)}, expected package/ + {sorted(SHIPPED)}")
        for name, source in (("svd.so", "dist/svd.so"), ("README.md", "README.md")):
            with open(os.path.join(ROOT, source), "rb") as f:
                c.check("package/" + name in names and
                        t.extractfile("package/" + name).read() == f.read(),
                        f"tarball {name}", f"missing or differs from {source}")


def check_manifest(c, proj, version):
    with open(os.path.join(proj, "node_modules", "sqlite-svd", "package.json"),
              encoding="utf-8") as f:
        pkg = json.load(f)
    want = {"name": "sqlite-svd", "version": version, "main": "index.js",
            "types": "index.d.ts", "os": ["linux"], "cpu": ["x64"],
            "peerDependencies": {"better-sqlite3": "^12"}}
    got = {k: pkg.get(k) for k in want}
    c.check(got == want, "installed package.json", f"{got}, expected {want}")


def main():
    c = Checker()
    env = dict(os.environ)
    # node is not built for a preloaded ASan runtime; modules come from the project only
    env.pop("LD_PRELOAD", None)
    env.pop("NODE_PATH", None)
    version = version_h()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()

    rc, out = run(["make", "-s", "npm"], ROOT, env)
    tgz = os.path.join(ROOT, "dist", f"sqlite-svd-{version}.tgz")
    if rc != 0 or not os.path.exists(tgz):
        c.check(False, "make npm", f"exit {rc}, no {tgz}:\n{out}")
        print(f"{c.passed} passed, {c.failed} failed")
        return 1
    check_tarball(c, tgz)

    # README's install command, with this version, is the one run below
    m = re.search(r"^npm install (\./sqlite-svd-(\S+)\.tgz better-sqlite3@12)$", readme, re.M)
    c.check(m is not None and m.group(2) == version, "README's npm install command",
            f"{m and m.group(0)!r}, expected one for sqlite-svd-{version}.tgz")
    install = m.group(1).split() if m else [f"./sqlite-svd-{version}.tgz", "better-sqlite3@12"]

    prebuilt = node_ready()
    if prebuilt:
        local_prebuild(env)
    rng = np.random.default_rng(15)
    rows = rng.standard_normal((30, 7)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="svd-npm-") as proj:
        shutil.copy(tgz, proj)
        with open(os.path.join(proj, "package.json"), "w", encoding="utf-8") as f:
            json.dump({"name": "svd-npm-check", "private": True}, f)
        if prebuilt:
            with open(os.path.join(proj, ".prebuild-installrc"), "w", encoding="utf-8") as f:
                f.write(f"local-prebuilds={PREBUILDS}\n")
        rc, out = run(["npm", "install", *NPM_QUIET, *install], proj, env)
        if rc != 0:
            c.check(False, "npm install", f"exit {rc}:\n{out}")
            print(f"{c.passed} passed, {c.failed} failed")
            return 1
        check_manifest(c, proj, version)

        with open(os.path.join(proj, "rows.json"), "w", encoding="utf-8") as f:
            json.dump([[float(a) for a in r] for r in rows], f)
        rc, out = run(["node", "-e", CHECK_JS, "rows.json"], proj, env)
        try:
            got = json.loads(out)
        except ValueError:
            c.check(False, "require('sqlite-svd').load(db)", f"exit {rc}:\n{out}")
            got = None
        if got:
            pkg_dir = os.path.join(os.path.realpath(proj), "node_modules", "sqlite-svd")
            c.check(got["path"] == os.path.join(pkg_dir, "svd.so") and got["exists"],
                    "getLoadablePath()", f"{got['path']} (exists: {got['exists']})")
            c.check(got["version"] == got["packageVersion"] == version,
                    "versions", f"svd_version() {got['version']}, package.json "
                    f"{got['packageVersion']}, ext/version.h {version}")
            for g in (0, 1):
                x = rows[g::2].astype(np.float64)
                ref = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
                s = np.array(got["spectra"][g])
                c.check(s.shape == ref.shape and np.all(np.abs(s - ref) <= TOL * ref[0]),
                        f"spectrum of group {g}", f"{s} vs numpy {ref}")

        rc, out = run(["node", "--input-type=module", "-e", CHECK_MJS], proj, env)
        want = {"path": os.path.join(os.path.realpath(proj), "node_modules", "sqlite-svd",
                                     "svd.so"), "version": version}
        c.check(rc == 0 and out.strip() == json.dumps(want, separators=(",", ":")),
                "ES module import", f"exit {rc}: {out}")

        examples = [(code, expected, line) for lang, code, expected, line in blocks(readme)
                    if lang == "js" and PACKAGED_JS.search(code)]
        c.check(examples != [], "README's examples with require('sqlite-svd')", "none found")
        for code, expected, line in examples:
            rc, out = run(["node", "-e", code], proj, env)
            want = expected if expected is not None else ""
            c.check(same(out, want), f"README.md:{line}",
                    f"printed:\n{out}--- expected:\n{want}---")

        tsc = tsc_ready(env)
        if tsc is None:
            c.check(False, "typescript", f"could not install {' '.join(TS_PACKAGES)} with npm")
        else:
            # before @types is there: only the package's own declarations
            rc, out = run(["node", tsc, "--noEmit", "--strict", "--skipDefaultLibCheck",
                           "--target", "es2022", "node_modules/sqlite-svd/index.d.ts"],
                          proj, env)
            c.check(rc == 0 and out == "", "index.d.ts under tsc --strict", out)
            os.symlink(os.path.join(TS_DIR, "node_modules", "@types"),
                       os.path.join(proj, "node_modules", "@types"))
            with open(os.path.join(proj, "check.ts"), "w", encoding="utf-8") as f:
                f.write(CHECK_TS)
            rc, out = run(["node", tsc, "--noEmit", "--strict", "--skipLibCheck",
                           "--module", "commonjs", "--target", "es2022", "check.ts"],
                          proj, env)
            c.check(rc == 0 and out == "", "TypeScript using index.d.ts", out)

        bare = os.path.join(proj, "bare")
        os.mkdir(bare)
        shutil.copy(tgz, bare)
        with open(os.path.join(bare, "package.json"), "w", encoding="utf-8") as f:
            json.dump({"name": "svd-npm-bare", "private": True}, f)
        rc, out = run(["npm", "install", "--dry-run", *NPM_QUIET, install[0]], bare, env)
        added = [ln for ln in out.splitlines() if ln.startswith("add ")]
        c.check(rc == 0 and added == [f"add sqlite-svd {version}"],
                "installed without better-sqlite3", f"exit {rc}:\n{out}")

    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
