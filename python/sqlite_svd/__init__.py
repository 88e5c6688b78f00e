"""sqlite-svd, the SQLite extension, packaged for Python's sqlite3 module.

    import sqlite3
    import sqlite_svd
    db = sqlite3.connect(":memory:")
    sqlite_svd.load(db)
    db.execute("SELECT svd_version()").fetchone()[0] == sqlite_svd.__version__

The package holds the built library, svd.so, and no logic of its own; the
SQL functions are documented in the project's README. Python's sqlite3
module must be built with extension loading (Debian's is; see README,
"Loading it").
"""
import os

from ._version import __version__

__all__ = ["__version__", "load", "loadable_path"]


def loadable_path():
    """The library's absolute path without its ".so" suffix, which SQLite
    adds itself: for Connection.load_extension, the SQL function
    load_extension(), the sqlite3 shell's .load and sqlite-utils'
    --load-extension. The file is svd.so, so SQLite derives the entry
    point, sqlite3_svd_init, from the name."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "svd")


def load(conn):
    """Load the extension into the sqlite3 connection conn. Extension
    loading is enabled only for this call: it is disabled again afterwards,
    also when loading fails, so SQL run later on conn cannot load a library
    with load_extension(). A Python whose sqlite3 module was built without
    extension loading (pyenv's and python.org's builds, often) raises a
    RuntimeError that says so."""
    if not hasattr(conn, "enable_load_extension"):
        raise RuntimeError(
            "sqlite_svd.load(): this Python's sqlite3 module was built without "
            "extension loading (Connection has no enable_load_extension); use "
            "a Python whose sqlite3 can load extensions, such as Debian's "
            "/usr/bin/python3 (README, \"Loading it\")")
    conn.enable_load_extension(True)
    try:
        conn.load_extension(loadable_path())
    finally:
        conn.enable_load_extension(False)
