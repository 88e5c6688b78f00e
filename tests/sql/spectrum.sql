-- svd_spectrum: analytic cases whose singular values are known exactly,
-- the aggregate rules (NULLs, empty groups, GROUP BY, options) and every
-- error message. numpy comparisons are in tests/reference.py.

CREATE TABLE t(grp TEXT, v);
-- centered: +-(3,4) around (0,0)... rows (0,0) and (6,8): sigma = sqrt(50), 0
INSERT INTO t VALUES ('pair', '[0, 0]'), ('pair', '[6, 8]');
-- centered cross: (+-3, 0), (0, +-1): sigma = 3*sqrt(2), sqrt(2)
INSERT INTO t VALUES ('cross', '[3, 0]'), ('cross', '[-3, 0]'), ('cross', '[0, 1]'), ('cross', '[0, -1]');
-- the same cross around a shared mean of 1e8 (one-pass formulas lose it all)
INSERT INTO t VALUES ('far', '[100000003, 100000000]'), ('far', '[99999997, 100000000]'),
                     ('far', '[100000000, 100000001]'), ('far', '[100000000, 99999999]');
-- identity rows, as float32 BLOBs: centered I - 11'/3 has sigma 1, 1, 0
INSERT INTO t VALUES ('eye', emb_f32('[1,0,0]')), ('eye', emb_f32('[0,1,0]')), ('eye', emb_f32('[0,0,1]'));
INSERT INTO t VALUES ('one', '[3, 4]');
INSERT INTO t VALUES ('nulls', NULL), ('nulls', NULL);
INSERT INTO t VALUES ('mixed', emb_f32('[6, 8]')), ('mixed', NULL), ('mixed', '[0, 0]');

CREATE VIEW s AS SELECT grp, svd_spectrum(v) AS spec, svd_spectrum(v, 'center=false') AS raw FROM t GROUP BY grp;
CREATE VIEW f AS SELECT grp, json_extract(spec, '$[0]') AS s1, json_extract(spec, '$[1]') AS s2,
                        json_extract(spec, '$[2]') AS s3, json_array_length(spec) AS n FROM s;

SELECT 'pair s1', (SELECT abs(s1 - sqrt(50)) <= 1e-12*sqrt(50) FROM f WHERE grp = 'pair');
SELECT 'pair s2 exact zero', (SELECT s2 = 0.0 AND n = 2 FROM f WHERE grp = 'pair');
SELECT 'cross s1', (SELECT abs(s1 - 3*sqrt(2)) <= 1e-12*3*sqrt(2) FROM f WHERE grp = 'cross');
SELECT 'cross s2', (SELECT abs(s2 - sqrt(2)) <= 1e-12*3*sqrt(2) FROM f WHERE grp = 'cross');
SELECT 'far s1', (SELECT abs(s1 - 3*sqrt(2)) <= 1e-12*3*sqrt(2) FROM f WHERE grp = 'far');
SELECT 'far s2', (SELECT abs(s2 - sqrt(2)) <= 1e-12*3*sqrt(2) FROM f WHERE grp = 'far');
SELECT 'eye', (SELECT abs(s1 - 1) <= 1e-12 AND abs(s2 - 1) <= 1e-12 AND s3 = 0.0 AND n = 3 FROM f WHERE grp = 'eye');
SELECT 'one row gives [0.0]', (SELECT spec FROM s WHERE grp = 'one') = '[0.0]';
SELECT 'one row raw', (SELECT abs(json_extract(raw, '$[0]') - 5) <= 1e-12*5 FROM s WHERE grp = 'one');
SELECT 'all null group', (SELECT spec IS NULL AND raw IS NULL FROM s WHERE grp = 'nulls');
SELECT 'nulls skipped', (SELECT spec FROM s WHERE grp = 'mixed') = (SELECT spec FROM s WHERE grp = 'pair');
SELECT 'empty table', (SELECT svd_spectrum(v) FROM t WHERE 0) IS NULL;
SELECT 'raw pair', (SELECT abs(json_extract(raw, '$[0]') - 10) <= 1e-11
                       AND abs(json_extract(raw, '$[1]')) <= 1e-11 FROM s WHERE grp = 'pair');
SELECT 'raw cross', (SELECT abs(json_extract(raw, '$[0]') - 3*sqrt(2)) <= 1e-12*3*sqrt(2) FROM s WHERE grp = 'cross');
-- uncentered, the shared mean (1e8, 1e8) of 'far' is sigma_1 = 2e8 * sqrt(2)
SELECT 'raw far', (SELECT abs(json_extract(raw, '$[0]') - 2e8*sqrt(2)) <= 1e-12*2e8*sqrt(2) FROM s WHERE grp = 'far');
SELECT 'descending', (SELECT count(*) FROM s, json_each(s.spec) AS a, json_each(s.spec) AS b
                      WHERE b.key = a.key + 1 AND b.value > a.value) = 0;
SELECT 'group count', (SELECT count(*) FROM s) = 7;
SELECT 'having', (SELECT group_concat(grp) FROM (SELECT grp FROM t GROUP BY grp
                  HAVING json_array_length(svd_spectrum(v)) = 3)) = 'eye';
SELECT 'where', (SELECT svd_spectrum(v) FROM t WHERE grp = 'pair') = (SELECT spec FROM s WHERE grp = 'pair');
SELECT 'join', (SELECT svd_spectrum(t.v) FROM t JOIN (SELECT 'cross' AS g) AS k ON t.grp = k.g)
             = (SELECT spec FROM s WHERE grp = 'cross');
SELECT 'json subtype', (SELECT json_array(svd_spectrum(v)) FROM t WHERE grp = 'one') = '[[0.0]]';
SELECT 'options center=true', (SELECT svd_spectrum(v, 'center=true') FROM t WHERE grp = 'pair') = (SELECT spec FROM s WHERE grp = 'pair');
SELECT 'options spaces', (SELECT svd_spectrum(v, ' center = false ') FROM t WHERE grp = 'pair') = (SELECT raw FROM s WHERE grp = 'pair');
SELECT 'options empty', (SELECT svd_spectrum(v, '') FROM t WHERE grp = 'pair') = (SELECT spec FROM s WHERE grp = 'pair');
SELECT 'options null', (SELECT svd_spectrum(v, NULL) FROM t WHERE grp = 'pair') = (SELECT spec FROM s WHERE grp = 'pair');
SELECT 'options null then empty', (SELECT svd_spectrum(v, CASE WHEN v LIKE '[1%' THEN NULL ELSE '' END) FROM t WHERE grp = 'pair') = (SELECT spec FROM s WHERE grp = 'pair');
SELECT 'd = 1', (SELECT svd_spectrum(v) FROM (SELECT '[1]' AS v UNION ALL SELECT '[3]')) = '[1.4142135623730951]'
             OR abs((SELECT json_extract(svd_spectrum(v), '$[0]') FROM (SELECT '[1]' AS v UNION ALL SELECT '[3]')) - sqrt(2)) <= 1e-15;
SELECT 'zero rows', (SELECT svd_spectrum(v) FROM (SELECT '[0,0,0]' AS v UNION ALL SELECT '[0,0,0]')) = '[0.0,0.0]';
SELECT 'equal rows', (SELECT svd_spectrum(v) FROM (SELECT '[5,5,5]' AS v UNION ALL SELECT '[5,5,5]' UNION ALL SELECT '[5,5,5]')) = '[0.0,0.0,0.0]';

-- error: svd_spectrum(): row 2 has 3 dimensions, expected 2
SELECT svd_spectrum(v) FROM (SELECT '[1,2]' AS v UNION ALL SELECT NULL UNION ALL SELECT '[1,2,3]');
-- error: svd_spectrum(): row 2 has 1 dimension, expected 2
SELECT svd_spectrum(v) FROM (SELECT '[1,2]' AS v UNION ALL SELECT x'0000803F');
-- error: svd_spectrum(): row 3 is a 10-byte BLOB; a float32 vector needs a multiple of 4 bytes
SELECT svd_spectrum(v) FROM (SELECT x'0000000000000000' AS v UNION ALL SELECT x'0000000000000000' UNION ALL SELECT x'00000000000000000000');
-- error: svd_spectrum(): row 1 is not a JSON array of numbers: at character 5 expected ',' or ']', found the end of the text
SELECT svd_spectrum(v) FROM (SELECT '[1,2' AS v);
-- error: svd_spectrum(): row 2 has NaN at element 2; expected finite numbers
SELECT svd_spectrum(v) FROM (SELECT x'0000000000000000' AS v UNION ALL SELECT x'000000000000c07f');
-- error: svd_spectrum(): row 1 is an INTEGER; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT svd_spectrum(1);
-- error: svd_spectrum(): row 1 is a REAL; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT svd_spectrum(1.0);
-- error: svd_spectrum(): row 1 is an empty JSON array; expected at least one number
SELECT svd_spectrum('[]');
-- error: svd_spectrum(): unknown option 'centre'; expected center=true|false, method=auto|exact|gram
SELECT svd_spectrum('[1]', 'centre=true');
-- error: svd_spectrum(): option center=yes; expected center=true or center=false
SELECT svd_spectrum('[1]', 'center=yes');
-- error: svd_spectrum(): option 'center' has no '='; expected center=true|false, method=auto|exact|gram
SELECT svd_spectrum('[1]', 'center');
-- pairs separated by something else than commas, and keys or values in
-- another case, get a hint (spaces around keys and values are allowed)
-- error: svd_spectrum(): option 'center=false;method=gram' is not one key=value pair; expected pairs separated by commas
SELECT svd_spectrum('[1]', 'center=false;method=gram');
-- error: svd_spectrum(): option 'center=false method=exact' is not one key=value pair; expected pairs separated by commas
SELECT svd_spectrum('[1]', 'center=false method=exact');
-- error: svd_spectrum(): option 'center=false;' is not one key=value pair; expected pairs separated by commas
SELECT svd_spectrum('[1]', 'center=false;');
-- error: svd_spectrum(): option 'method=gram&center=false' is not one key=value pair; expected pairs separated by commas
SELECT svd_spectrum('[1]', 'method=gram&center=false');
-- error: svd_spectrum(): option center=False; expected center=true or center=false (values are lowercase)
SELECT svd_spectrum('[1]', 'center=False');
-- error: svd_spectrum(): option method=GRAM; expected method=auto, method=exact or method=gram (values are lowercase)
SELECT svd_spectrum('[1]', 'center = false, method = GRAM');
-- error: svd_spectrum(): unknown option 'Center' (keys are lowercase); expected center=true|false, method=auto|exact|gram
SELECT svd_spectrum('[1]', 'Center=false');
-- error: svd_spectrum(): option center is given twice
SELECT svd_spectrum('[1]', 'center=true,center=false');
-- error: svd_spectrum(): option '' has no '='; expected center=true|false, method=auto|exact|gram
SELECT svd_spectrum('[1]', 'center=true,,');
-- OPTIONS of another type than TEXT is an error on whichever row it comes
-- error: svd_spectrum(): OPTIONS is an INTEGER; expected TEXT such as 'center=false'
SELECT svd_spectrum('[1]', 1);
-- error: svd_spectrum(): OPTIONS is a REAL; expected TEXT such as 'center=false'
SELECT svd_spectrum('[1]', 2.5);
-- error: svd_spectrum(): OPTIONS is a BLOB; expected TEXT such as 'center=false'
SELECT svd_spectrum('[1]', x'00');
-- error: svd_spectrum(): OPTIONS is an INTEGER; expected TEXT such as 'center=false'
SELECT svd_spectrum(v, o) FROM (SELECT '[1]' AS v, '' AS o UNION ALL SELECT '[2]', 7);
-- error: svd_spectrum(): OPTIONS is a REAL; expected TEXT such as 'center=false'
SELECT svd_spectrum(v, o) FROM (SELECT '[1]' AS v, NULL AS o UNION ALL SELECT '[2]', 2.5);
-- error: svd_spectrum(): OPTIONS is a BLOB; expected TEXT such as 'center=false'
SELECT svd_spectrum(v, o) FROM (SELECT '[1]' AS v, '' AS o UNION ALL SELECT NULL, x'00' UNION ALL SELECT '[2]', '');
-- error: svd_spectrum(): OPTIONS changed within a group, from 'center=true' to 'center=false'; it must be the same for every row
SELECT svd_spectrum(v, o) FROM (SELECT '[1]' AS v, 'center=true' AS o UNION ALL SELECT '[2]', 'center=false');
-- error: svd_spectrum(): a singular value exceeds the range of a double; scale the vectors down
SELECT svd_spectrum(v, 'center=false') FROM (SELECT '[1e308, 1e308]' AS v UNION ALL SELECT '[1e308, 1e308]');
-- a NULL OPTIONS after another is shown as NULL
-- error: svd_spectrum(): OPTIONS changed within a group, from 'center=true' to NULL; it must be the same for every row
SELECT svd_spectrum(v, o) FROM (SELECT '[1,2]' AS v, 'center=true' AS o UNION ALL SELECT '[1,3]', NULL);
