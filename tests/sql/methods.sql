-- method=auto|exact|gram on cases whose singular values are known exactly;
-- the gram method's limits and errors. numpy comparisons of the gram path
-- on large groups are in tests/reference_gram.py.

CREATE TABLE t(grp TEXT, v);
-- centered cross: (+-3, 0), (0, +-1): sigma = 3*sqrt(2), sqrt(2)
INSERT INTO t VALUES ('cross', '[3, 0]'), ('cross', '[-3, 0]'), ('cross', '[0, 1]'), ('cross', '[0, -1]');
-- the same cross around a shared mean of 1e8: a one-pass sum of squares
-- loses everything here (TRAP 5); the shifted, blocked gram keeps it exact
INSERT INTO t VALUES ('far', '[100000003, 100000000]'), ('far', '[99999997, 100000000]'),
                     ('far', '[100000000, 100000001]'), ('far', '[100000000, 99999999]');
INSERT INTO t VALUES ('one', '[3, 4]'), ('nulls', NULL);

CREATE VIEW g AS SELECT grp, svd_spectrum(v, 'method=gram') AS spec,
                        svd_spectrum(v, 'method=gram, center=false') AS raw FROM t GROUP BY grp;

SELECT 'gram cross', (SELECT abs(json_extract(spec, '$[0]') - 3*sqrt(2)) <= 1e-12*3*sqrt(2)
                         AND abs(json_extract(spec, '$[1]') - sqrt(2)) <= 1e-12*3*sqrt(2) FROM g WHERE grp = 'cross');
SELECT 'gram far', (SELECT abs(json_extract(spec, '$[0]') - 3*sqrt(2)) <= 1e-12*3*sqrt(2)
                       AND abs(json_extract(spec, '$[1]') - sqrt(2)) <= 1e-12*3*sqrt(2) FROM g WHERE grp = 'far');
-- raw (center=false) cross: X'X = diag(18, 2)
SELECT 'gram raw cross', (SELECT abs(json_extract(raw, '$[0]') - 3*sqrt(2)) <= 1e-12*3*sqrt(2)
                             AND abs(json_extract(raw, '$[1]') - sqrt(2)) <= 1e-12*3*sqrt(2) FROM g WHERE grp = 'cross');
SELECT 'gram one row', (SELECT spec FROM g WHERE grp = 'one') = '[0.0]';
SELECT 'gram null group', (SELECT spec FROM g WHERE grp = 'nulls') IS NULL;
SELECT 'gram count of values', (SELECT json_array_length(spec) FROM g WHERE grp = 'far') = 2;
SELECT 'gram values for n < d', (SELECT json_array_length(svd_spectrum(v, 'method=gram'))
                                 FROM (SELECT '[1, 2, 3]' AS v UNION ALL SELECT '[3, 1, 2]')) = 2;
SELECT 'auto small is exact', (SELECT svd_spectrum(v) = svd_spectrum(v, 'method=exact') FROM t WHERE grp = 'far');
SELECT 'exact option', (SELECT svd_spectrum(v, 'method=exact') FROM t WHERE grp = 'cross')
                        = (SELECT svd_spectrum(v) FROM t WHERE grp = 'cross');
-- basis through gram: directions e1, e2 for the cross
SELECT 'gram basis', (SELECT abs(json_extract(j, '$.directions[0][0]') - 1) < 1e-15
                         AND abs(json_extract(j, '$.directions[1][1]') - 1) < 1e-15
                         AND abs(json_extract(j, '$.sigma[0]') - 3*sqrt(2)) <= 1e-12*3*sqrt(2)
                         AND json_extract(j, '$.mean') = '[100000000.0,100000000.0]'
                      FROM (SELECT svd_basis_json(svd_basis(v, 2, 'method=gram')) AS j FROM t WHERE grp = 'far'));
SELECT 'gram basis coord', (SELECT abs(svd_coord(svd_basis(v, 2, 'method=gram'), '[100000003, 100000000]', 1) - 3) < 1e-9
                            FROM t WHERE grp = 'far');

-- error: svd_spectrum(): option method=fast; expected method=auto, method=exact or method=gram
SELECT svd_spectrum('[1]', 'method=fast');
-- error: svd_spectrum(): option method is given twice
SELECT svd_spectrum('[1]', 'method=gram,method=exact');
-- error: svd_basis(): option method=Gram; expected method=auto, method=exact or method=gram (values are lowercase)
SELECT svd_basis('[1]', 1, 'method=Gram');
-- error: svd_spectrum(): method=gram keeps a d x d matrix; d = 8193 is above its limit of 8192; method=exact keeps the rows instead
SELECT svd_spectrum(zeroblob(4*8193), 'method=gram');
-- error: svd_spectrum(): a row differs from the first by more than the range of a double; scale the vectors down, or use method=exact
SELECT svd_spectrum(v, 'method=gram') FROM (SELECT '[1.7e308, 0]' AS v UNION ALL SELECT '[-1.7e308, 0]');
-- the same once the group has more than d rows and streams
-- error: svd_spectrum(): a row differs from the first by more than the range of a double; scale the vectors down, or use method=exact
SELECT svd_spectrum(v, 'method=gram') FROM (SELECT '[1.7e308, 0]' AS v UNION ALL SELECT '[0, 0]' UNION ALL SELECT '[-1.7e308, 0]');
-- error: svd_basis(): K is 3 but the group has 2 rows of 3 dimensions; K may be at most min(n, d) = 2
SELECT svd_basis(v, 3, 'method=gram') FROM (SELECT '[1, 2, 3]' AS v UNION ALL SELECT '[3, 1, 2]');
