// sqlite-svd for Node: where the bundled SQLite extension is, and a loader.
//
//   const Database = require("better-sqlite3");   // version 12
//   const db = new Database(":memory:");
//   require("sqlite-svd").load(db);
//
// The package holds no logic: svd.so is the library `make` builds, copied
// in by `make npm`. It links Debian's libopenblas0, liblapacke and
// libjansson4, which must be installed.
"use strict";

const path = require("path");

// The file keeps the name svd.so: SQLite derives the entry point,
// sqlite3_svd_init, from it, so no loader needs to be told.
function getLoadablePath() {
  return path.join(__dirname, "svd.so");
}

// Typed structurally (index.d.ts): any connection object with
// loadExtension(path), as better-sqlite3 12's Database has.
function load(db) {
  db.loadExtension(getLoadablePath());
}

module.exports = { getLoadablePath, load };
