"""Spectra of embeddings spread over SQLite files, merged with Dask.

    /usr/bin/python3 examples/shards.py [--scheduler tcp://HOST:8786]
        [--ext PATH] [--query SQL] [--options OPTIONS] [--fan-in K]
        [--out DB] SHARD.db [SHARD.db ...]

Prints one line per group, sorted: the group, a tab, and the spectrum that
svd_spectrum(vec) over the rows of all the shards together gives (within
the method's bound, README "Methods: exact, gram, auto").

1. Map. One Dask task per shard, on a worker, opens the shard read-only with
   sqlite3, loads the extension and runs
       WITH q(grp, vec) AS (QUERY) SELECT grp, svd_state(vec [, OPTIONS])
       FROM q GROUP BY grp
   QUERY yields (group, vector) rows; by default the bundled sample's
   schema (sql/schema.sql): the words' category and their emb.vec.
2. Reduce. Tasks that each merge K results (--fan-in, default 2) with
   svd_merge in an in-memory database, GROUP BY group, then K of those, and
   so on to one: a tree, so no worker receives every shard's states.
3. One last task turns each merged state into its spectrum
   (svd_state_spectrum) and its row count (svd_state_json).

Rows never leave their shard; states travel between the workers and to
this program, one per group, at most about d(d+1)/2 doubles however many
rows it summarizes (README "Beyond one machine"). This program never
loads the extension itself; --out DB writes the table
shard_spectra(category, n, spectrum, state) with plain sqlite3, the merged
state kept so that later rows can be merged into it.

Dask schedules everything. Without --scheduler a LocalCluster of two
single-threaded worker processes on 127.0.0.1 runs the tasks. With it, the
workers of that scheduler do, and the shard paths and the extension's path
(absolute; default dist/svd of this repository) must be valid on them.
Dask logs only its errors, to stderr.
"""
import argparse
import logging
import os
import pathlib
import sqlite3
import sys
from contextlib import closing

from distributed import Client, LocalCluster

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_QUERY = "SELECT w.category, e.vec FROM emb e JOIN words w USING(id)"


def connect(ext, path=None):
    """A connection with the extension loaded: to the shard at PATH,
    read-only (a missing file is an error, not a new empty shard), or to a
    fresh in-memory database."""
    if path is None:
        db = sqlite3.connect(":memory:")
    else:
        db = sqlite3.connect(pathlib.Path(path).as_uri() + "?mode=ro", uri=True)
    db.enable_load_extension(True)
    db.load_extension(ext)
    db.enable_load_extension(False)
    return db


def shard_states(ext, path, query, options):
    """Task: {group: state BLOB} for the rows of one shard."""
    arg = ", ?" if options else ""
    sql = (f"WITH q(grp, vec) AS ({query}) "
           f"SELECT grp, svd_state(vec{arg}) FROM q GROUP BY grp")
    try:
        with closing(connect(ext, path)) as db:
            return dict(db.execute(sql, (options,) if options else ()))
    except sqlite3.Error as e:
        # say which shard: the message alone names no file
        raise sqlite3.OperationalError(f"{path}: {e}") from None


def load_states(db, parts):
    """The (group, state) pairs of several {group: state} into temp.s."""
    db.execute("CREATE TEMP TABLE s(grp, state)")
    for part in parts:
        db.executemany("INSERT INTO s VALUES(?, ?)", part.items())


def merge_states(ext, *parts):
    """Task: {group: the svd_merge of its states} over several
    shard_states or merge_states results."""
    with closing(connect(ext)) as db:
        load_states(db, parts)
        try:
            return dict(db.execute(
                "SELECT grp, svd_merge(state) FROM s GROUP BY grp"))
        except sqlite3.Error as e:
            # which group: shards that disagree on d or center meet here
            bad = db.execute("SELECT grp FROM s GROUP BY grp HAVING "
                             "count(DISTINCT json_extract(svd_state_json(state), "
                             "'$.d') || json_extract(svd_state_json(state), "
                             "'$.center')) > 1").fetchall()
            where = f"group {bad[0][0]!r}: " if bad else ""
            raise sqlite3.OperationalError(f"{where}{e}") from None


def spectra(ext, states):
    """Task: [(group, n, spectrum JSON, state)] sorted by group."""
    with closing(connect(ext)) as db:
        load_states(db, [states])
        return db.execute(
            "SELECT grp, json_extract(svd_state_json(state), '$.n'), "
            "svd_state_spectrum(state), state FROM s ORDER BY grp").fetchall()


def run(client, args):
    ext, query, options = args.ext, args.query, args.options
    level = [client.submit(shard_states, ext, os.path.abspath(p), query,
                           options) for p in args.shards]
    while len(level) > 1:
        level = [client.submit(merge_states, ext, *level[i:i + args.fan_in])
                 for i in range(0, len(level), args.fan_in)]
    return client.submit(spectra, ext, level[0]).result()


def write_out(path, rows):
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("DROP TABLE IF EXISTS shard_spectra")
        db.execute("CREATE TABLE shard_spectra("
                   "category, n INTEGER, spectrum TEXT, state BLOB)")
        db.executemany("INSERT INTO shard_spectra VALUES(?, ?, ?, ?)", rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("shards", nargs="+", metavar="SHARD.db")
    ap.add_argument("--scheduler", help="a running scheduler's address, "
                    "tcp://host:8786 (default: a local cluster)")
    ap.add_argument("--ext", default=os.path.join(REPO, "dist", "svd"),
                    help="the extension, as the workers see it")
    ap.add_argument("--query", default=DEFAULT_QUERY,
                    help="SQL yielding (group, vector) rows in each shard")
    ap.add_argument("--options", default="",
                    help="svd_state's OPTIONS, e.g. method=gram")
    ap.add_argument("--fan-in", type=int, default=2,
                    help="states merged per reduce task (at least 2)")
    ap.add_argument("--out", metavar="DB",
                    help="also write the table shard_spectra into DB")
    args = ap.parse_args()
    if args.fan_in < 2:
        ap.error("--fan-in must be at least 2")
    args.ext = os.path.abspath(args.ext)

    try:
        if args.scheduler:
            with Client(args.scheduler) as client:
                rows = run(client, args)
        else:
            with LocalCluster(n_workers=2, processes=True,
                              threads_per_worker=1, host="127.0.0.1",
                              dashboard_address=None,
                              silence_logs=logging.ERROR) as cluster, \
                    Client(cluster) as client:
                rows = run(client, args)
    except sqlite3.Error as e:
        sys.exit(f"shards.py: {e}")
    for grp, _n, spectrum, _state in rows:
        print(f"{grp}\t{spectrum}")
    if args.out:
        write_out(args.out, rows)


if __name__ == "__main__":
    main()
