-- The schema of the bundled example data (examples/sample.sql) and of
-- examples/glove.db: one row per word, its vector in a table of its own,
-- joined by id.
CREATE TABLE words(
  id INTEGER PRIMARY KEY,   -- joins emb.id
  word TEXT NOT NULL,       -- the word, lowercase
  category TEXT,            -- its curated group ('random' for the contrast group); NULL in glove.db
  freq_rank INTEGER         -- 1 = the most frequent word of GloVe's vocabulary
);
CREATE TABLE emb(
  id INTEGER PRIMARY KEY,   -- words.id
  vec BLOB NOT NULL         -- 100 little-endian float32 (400 bytes)
);
