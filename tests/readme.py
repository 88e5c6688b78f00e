"""Runs every example in README.md and compares its output with the README.

    /usr/bin/python3 tests/readme.py dist/svd

A fenced block tagged sql, python or js is an example; the text block right
after it, if any, is its expected output (an example with none must print
nothing). The sql blocks run in order in one sqlite3 shell session on one
database, started as `sqlite3 -cmd '.load dist/svd'`, as a reader following
along would. A block tagged console is a shell transcript: its `$ ` lines
run in one bash, started in the checkout with HOME a new empty directory,
and must print its other lines (the loading instructions, from elsewhere
and under another name). A python block that imports the package
sqlite_svd is left to tests/packages_python.py, which installs it; a js block
that requires the npm package sqlite-svd is left to tests/packages_node.py,
which installs the package in a new project and runs the block there. The
npm command README gives must be the one this test installs better-sqlite3
with. An sql block's `.load ./vec0` loads sqlite-vec's vec0.so, fetched from
npm as tests/sqlitevec.py does.

Text, and numbers shown with at most 9 significant digits (rounded values,
float32 values), must match exactly. Numbers shown with 10 or more are
doubles printed in full, whose last digits depend on the CPU and the
OpenBLAS build: those are compared to 1e-9 relative. README says so where
it makes the claim. README's other counts are checked against their
sources: the number of queries of tests/oom.c, and every commit it names
(where it says when something was measured) must exist in this history.
"""
import os
import re
import subprocess
import sys
import tempfile

from sqlitevec import vec0_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUM = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
NODE_DIR = os.path.join(ROOT, "build", "node")
NODE_PACKAGE = "better-sqlite3@12"   # 13 needs Node 22
# python blocks that import the installed package: tests/packages_python.py
# runs them, with the venv the wheel is installed into
PYTHON_PACKAGE = "import sqlite_svd"
PACKAGED_JS = re.compile(r"""require\(\s*["']sqlite-svd["']\s*\)""")


def blocks(text):
    """(lang, code, expected or None, line) for each example."""
    out = []
    fence = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
    found = [(m.group(1), m.group(2), m.start(), m.end()) for m in fence.finditer(text)]
    for i, (lang, code, start, end) in enumerate(found):
        if lang == "console":
            cmds = [ln[2:] for ln in code.splitlines() if ln.startswith("$ ")]
            outs = [ln + "\n" for ln in code.splitlines() if not ln.startswith("$ ")]
            out.append((lang, "\n".join(cmds) + "\n", "".join(outs),
                        text.count("\n", 0, start) + 1))
            continue
        if lang not in ("sql", "python", "js"):
            continue
        expected = None
        if i + 1 < len(found) and found[i + 1][0] == "text" and \
                text[end:found[i + 1][2]].strip() == "":
            expected = found[i + 1][1]
        out.append((lang, code, expected, text.count("\n", 0, start) + 1))
    return out


def digits(num):
    """Significant digits of a number as written: '0.0250' has 3."""
    mant = re.split(r"[eE]", num)[0].lstrip("-").replace(".", "")
    return len(mant.lstrip("0"))


def same(got, want):
    gt, wt = NUM.split(got), NUM.split(want)
    gn, wn = NUM.findall(got), NUM.findall(want)
    if [t.split() for t in gt] != [t.split() for t in wt] or len(gn) != len(wn):
        return False
    for a, b in zip(gn, wn):
        if a == b:
            continue
        if digits(b) <= 9:
            return False          # rounded or float32: reproducible, exact
        a, b = float(a), float(b)
        if abs(a - b) > 1e-9 * max(abs(a), abs(b)) and abs(a - b) > 1e-300:
            return False
    return True


def oom_queries():
    """How many queries tests/oom.c runs: the entries of azQuery[]."""
    with open(os.path.join(ROOT, "tests", "oom.c"), encoding="utf-8") as f:
        src = f.read()
    body = re.search(r"azQuery\[\] = \{(.*?)\n\};", src, re.S).group(1)
    body = re.sub(r'"(?:\\.|[^"\\])*"', "S", body)     # string literals
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)   # comments
    return sum(1 for entry in body.split(",") if "S" in entry)


def check_counts(text):
    """README's counts and commits against their sources; the failures."""
    fails = []
    m = re.search(r"Each\s+of\s+the\s+(\d+)\s+queries\s+in\s+`tests/oom\.c`", text)
    n = oom_queries()
    if not m:
        fails.append(f"README does not say 'Each of the {n} queries in `tests/oom.c`'")
    elif int(m.group(1)) != n:
        fails.append(f"README says {m.group(1)} queries in tests/oom.c; it has {n}")
    for h in sorted(set(re.findall(r"\bcommit\s+([0-9a-f]{7,40})\b", text))):
        rc = subprocess.run(["git", "merge-base", "--is-ancestor", h, "HEAD"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        # 128 also when there is no git history at all (an unpacked tarball)
        if rc == 1 or rc == 128 and os.path.exists(os.path.join(ROOT, ".git")):
            fails.append(f"README names commit {h}, which is not in this history")
    return fails


def node_ready():
    mod = os.path.join(NODE_DIR, "node_modules", "better-sqlite3")
    if not os.path.isdir(mod):
        os.makedirs(NODE_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund",
                        "--prefix", NODE_DIR, NODE_PACKAGE],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, LD_PRELOAD=""))
    return os.path.isdir(mod)


def run_console(code, tmp):
    """The transcript's commands in bash, in the checkout, HOME fresh."""
    home = tempfile.mkdtemp(dir=tmp)
    env = dict(os.environ, HOME=home)
    proc = subprocess.run(["bash", "-c", code], cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.stdout


def run_block(lang, code, ext, db):
    if lang != "js":
        # node is not built for a preloaded ASan runtime: it keeps dist/svd
        code = code.replace("./dist/svd", ext).replace("dist/svd", ext)
    if lang == "sql":
        if ".load ./vec0" in code:
            vec0 = vec0_path()
            if vec0 is None:
                return "could not install sqlite-vec-linux-x64 with npm"
            code = code.replace(".load ./vec0", f".load {vec0}")
        cmd = ["sqlite3", "-cmd", f".load {ext}", db]
        env = None
    elif lang == "python":
        cmd = [sys.executable, "-c", code]
        code = None
        env = None
    else:
        if not node_ready():
            return "could not install better-sqlite3@12 with npm"
        cmd = ["node", "-e", code]
        code = None
        env = dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))
        env.pop("LD_PRELOAD", None)
    proc = subprocess.run(cmd, input=code, cwd=ROOT, env=env, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.stdout


def main():
    ext = sys.argv[1] if len(sys.argv) > 1 else "dist/svd"
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "readme.db")
        # a console transcript names dist/svd as a path relative to the checkout
        rel = os.path.relpath(os.path.abspath(os.path.join(ROOT, ext)), ROOT)
        for lang, code, expected, line in blocks(text):
            if (lang == "python" and PYTHON_PACKAGE in code) or \
               (lang == "js" and PACKAGED_JS.search(code)):
                continue
            want = expected if expected is not None else ""
            if lang == "console":
                want = want.replace("dist/svd", rel)
                got = run_console(code.replace("dist/svd", rel), tmp)
            else:
                got = run_block(lang, code, ext, db)
            if same(got, want):
                passed += 1
            else:
                failed += 1
                print(f"FAIL README.md:{line} ({lang}) printed:\n{got}--- expected:\n{want}---")
        if passed + failed == 0:
            print("FAIL README.md: no examples found")
            failed = 1
        fails = check_counts(text)
        for msg in fails:
            print(f"FAIL README.md: {msg}")
        failed += len(fails)
        passed += 0 if fails else 1
        if f"npm install {NODE_PACKAGE}" in text:
            passed += 1
        else:
            failed += 1
            print(f"FAIL README.md does not say `npm install {NODE_PACKAGE}`, "
                  "the package this test installs")
    print(f"readme: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
