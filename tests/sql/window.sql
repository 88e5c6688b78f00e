-- svd_spectrum, svd_basis and svd_state OVER (...), on rows whose spectra
-- are known exactly (as in basis.sql: (8,2,7), (2,2,7) centered are ±3·e1,
-- so sigma = (sqrt 18, 0); with (5,3,7), (5,1,7) the four rows have sigma
-- (sqrt 18, sqrt 2, 0)). Frame-by-frame checks against numpy are in
-- tests/reference_window.py; these run under valgrind too.

CREATE TABLE w(pos INTEGER PRIMARY KEY, grp, v);
INSERT INTO w VALUES (1, 'a', '[8, 2, 7]'), (2, 'a', '[2, 2, 7]'), (3, 'a', '[5, 3, 7]'),
                     (4, 'a', '[5, 1, 7]'), (5, 'a', NULL), (6, 'b', '[1, 1, 1]');

SELECT 'whole partition', (SELECT group_concat(s, ';') FROM (SELECT svd_spectrum(v) OVER (PARTITION BY grp) AS s FROM w WHERE grp = 'a'))
  = (SELECT group_concat(s, ';') FROM (SELECT (SELECT svd_spectrum(v) FROM w WHERE grp = 'a') AS s FROM w WHERE grp = 'a'));
SELECT 'one-row partition', (SELECT svd_spectrum(v) OVER (PARTITION BY grp) FROM w WHERE pos = 6) = '[0.0]';
SELECT 'sliding pair', (SELECT group_concat(s, ';') FROM (SELECT svd_spectrum(v) OVER (ORDER BY pos ROWS 1 PRECEDING) AS s FROM w WHERE pos <= 2))
  = '[0.0];' || (SELECT svd_spectrum(v) FROM w WHERE pos <= 2);
SELECT 'sliding pair is sqrt 18', (SELECT abs(json_extract(s, '$[0]') - sqrt(18)) < 1e-14
  FROM (SELECT pos, svd_spectrum(v) OVER (ORDER BY pos ROWS 1 PRECEDING) AS s FROM w) WHERE pos = 2);
SELECT 'sliding drops the first rows', (SELECT abs(json_extract(s, '$[0]') - sqrt(2)) < 1e-15 AND json_extract(s, '$[1]') = 0.0
  FROM (SELECT pos, svd_spectrum(v) OVER (ORDER BY pos ROWS 1 PRECEDING) AS s FROM w) WHERE pos = 4);
SELECT 'a NULL row in the frame', (SELECT s FROM (SELECT pos, svd_spectrum(v) OVER (ORDER BY pos ROWS 1 PRECEDING) AS s FROM w) WHERE pos = 5)
  = (SELECT svd_spectrum(v) FROM w WHERE pos = 4);
SELECT 'running', (SELECT abs(json_extract(s, '$[1]') - sqrt(2)) < 1e-14 FROM (SELECT pos, svd_spectrum(v) OVER (ORDER BY pos) AS s FROM w) WHERE pos = 4);
SELECT 'empty frame is NULL', (SELECT s IS NULL FROM (SELECT pos, svd_spectrum(v) OVER (ORDER BY pos ROWS BETWEEN 1 FOLLOWING AND 1 FOLLOWING) AS s FROM w) WHERE pos = 4);
SELECT 'basis over the partition', (SELECT group_concat(round(c, 12)) FROM (SELECT svd_coord(svd_basis(v, 1) OVER (PARTITION BY grp), v, 1) AS c FROM w WHERE grp = 'a' AND v IS NOT NULL))
  = '3.0,-3.0,0.0,0.0';
SELECT 'state over a running frame', (SELECT group_concat(json_extract(svd_state_json(st), '$.n')) FROM (SELECT svd_state(v) OVER (ORDER BY pos) AS st FROM w))
  = '1,2,3,4,4,5';
SELECT 'state frame gram', (SELECT json_extract(svd_state_json(st), '$.method') FROM (SELECT pos, svd_state(v, 'method=gram') OVER (ORDER BY pos ROWS 2 PRECEDING) AS st FROM w) WHERE pos = 4) = 'gram';

-- error: svd_spectrum(): row 2 has 3 dimensions, expected 2
SELECT svd_spectrum(v) OVER (ORDER BY i) FROM (SELECT 1 AS i, '[1,2]' AS v UNION ALL SELECT 2, '[1,2,3]');
-- error: svd_spectrum(): OPTIONS changed within a group, from 'method=exact' to 'method=gram'; it must be the same for every row
SELECT svd_spectrum(v, o) OVER (ORDER BY i ROWS 1 PRECEDING) FROM (SELECT 1 AS i, '[1,2]' AS v, 'method=exact' AS o UNION ALL SELECT 2, '[1,3]', 'method=gram');
-- error: svd_basis(): K is 2 but the group has 1 rows of 2 dimensions; K may be at most min(n, d) = 1
SELECT svd_basis(v, 2) OVER (ORDER BY i) FROM (SELECT 1 AS i, '[1,2]' AS v UNION ALL SELECT 2, '[1,3]');

-- found in review: a frame that empties, then takes a row of another d (its
-- buffer was kept at the old size: a heap overflow under ASan)
CREATE TABLE wd(pos INTEGER PRIMARY KEY, v);
INSERT INTO wd VALUES (1, '[1, 2]');
INSERT INTO wd SELECT 2, CAST(x'0000803f' || zeroblob(159996) AS BLOB);
SELECT 'frame of one row, then d = 40000', (SELECT group_concat(substr(s, 1, 30), ';') FROM
  (SELECT svd_spectrum(v) OVER (ORDER BY pos ROWS CURRENT ROW) AS s FROM wd)) = '[0.0];[0.0]';
-- OPTIONS are the partition's: the same on every row of it, whatever the frame
-- error: svd_spectrum(): OPTIONS changed within a group, from '' to 'center=false'; it must be the same for every row
SELECT svd_spectrum(v, o) OVER (ORDER BY i ROWS CURRENT ROW) FROM (SELECT 1 AS i, '[1,2]' AS v, '' AS o UNION ALL SELECT 2, '[3,4]', 'center=false');
