-- Streamed groups (README, "Threads"): 4 groups of 20 rows x 512 float32
-- dimensions, row i of each = (1000, 1001, ..., 1511) + (-1)^i * e1, so the
-- centered rows are +-e1 and the spectrum is (sqrt 20, 0, ..., 0), exactly
-- 0 after the first (the shifted rows are exact multiples of e1). The first
-- group starts the connection's helper thread (10,240 values); the other
-- three have their QR done on it while SQLite reads their rows. They run
-- under valgrind too.

CREATE TABLE sg(id INTEGER PRIMARY KEY, grp, vec);
WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM r WHERE i<79),
  d(j) AS (SELECT 0 UNION ALL SELECT j+1 FROM d WHERE j<511)
INSERT INTO sg SELECT i, i/20, emb_f32((SELECT '[' || group_concat(1000 + j
  + CASE WHEN j = 0 THEN 1 - 2*(i % 2) ELSE 0 END, ',') || ']' FROM d)) FROM r;
CREATE INDEX sg_grp ON sg(grp);
CREATE TABLE before AS SELECT json_extract(svd_info(), '$.streamed_groups') AS n;
CREATE TABLE got AS SELECT grp, svd_spectrum(vec) AS s FROM sg GROUP BY grp;

SELECT 'sigma_1 is sqrt 20', (SELECT max(abs(json_extract(s, '$[0]') - sqrt(20))) < 1e-13 FROM got);
SELECT 'the other 19 are exactly 0', (SELECT count(*) FROM got, json_each(got.s) WHERE json_each.key > 0 AND json_each.value <> 0) = 0;
SELECT 'twenty values a group', (SELECT min(json_array_length(s)) = 20 AND max(json_array_length(s)) = 20 FROM got);
SELECT 'three groups streamed, when a helper runs',
  json_extract(svd_info(), '$.helper_threads') = 0
  OR json_extract(svd_info(), '$.streamed_groups') - (SELECT n FROM before) = 3;
SELECT 'the digits of a window frame (which does not stream)',
  (SELECT group_concat(s, ';') FROM got) = (SELECT group_concat(s, ';') FROM
    (SELECT DISTINCT grp, svd_spectrum(vec) OVER (PARTITION BY grp) AS s FROM sg ORDER BY grp));
