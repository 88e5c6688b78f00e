// Declarations for index.js.

/** Absolute path of the bundled extension, svd.so (Linux x86_64). */
export declare function getLoadablePath(): string;

/**
 * Loads sqlite-svd into a connection: calls db.loadExtension(getLoadablePath()).
 * better-sqlite3 12's Database fits, as does any object with that method.
 */
export declare function load(db: { loadExtension(path: string): unknown }): void;
