-- svd_cka: analytic cases whose CKA is known exactly, the aggregate rules
-- (NULL pairs, empty and constant groups, GROUP BY, options) and every
-- error message. numpy comparisons are in tests/reference_cka.py.

CREATE TABLE p(grp TEXT, x, y);
-- d = 1: CKA is the squared correlation. x = (1,2,3), y = (1,3,2): centered
-- (-1,0,1) and (-1,1,0), y'x = 1, |x|^2 = |y|^2 = 2: 1/4
INSERT INTO p VALUES ('corr', '[1]', '[1]'), ('corr', '[2]', '[3]'), ('corr', '[3]', '[2]');
-- Y = 3 * X rotated by 90 degrees, moved by (100, -7): 1
INSERT INTO p VALUES ('rot', '[1, 0]', '[100, -4]'), ('rot', '[0, 2]', '[94, -7]'),
                     ('rot', '[-1, -1]', '[103, -10]'), ('rot', '[4, 1]', '[97, 5]');
-- columns orthogonal after centering: x = (1,-1,1,-1), y = (1,1,-1,-1): 0
INSERT INTO p VALUES ('orth', '[1]', '[1]'), ('orth', '[-1]', '[1]'), ('orth', '[1]', '[-1]'), ('orth', '[-1]', '[-1]');
-- two pairs: both centered kernels have rank 1, CKA 1 (X and Y of other d)
INSERT INTO p VALUES ('two', '[1, 2, 3]', '[5]'), ('two', '[0, 0, 7]', '[-2]');
-- the 'rot' pairs as float32 BLOBs (exact there), NULL sides skipped
INSERT INTO p VALUES ('blob', emb_f32('[1, 0]'), emb_f32('[100, -4]')), ('blob', NULL, '[1, 1]'),
                     ('blob', emb_f32('[0, 2]'), '[94, -7]'), ('blob', '[-1, -1]', emb_f32('[103, -10]')),
                     ('blob', '[9, 9]', NULL), ('blob', emb_f32('[4, 1]'), emb_f32('[97, 5]'));
-- X without spread: 0/0
INSERT INTO p VALUES ('flat', '[2, 2]', '[1]'), ('flat', '[2, 2]', '[2]'), ('flat', '[2, 2]', '[4]');
INSERT INTO p VALUES ('nulls', NULL, '[1]'), ('nulls', '[1]', NULL), ('nulls', NULL, NULL);
-- the 'corr' pairs around a shared mean of 1e8 (one-pass formulas lose it)
INSERT INTO p VALUES ('far', '[100000001]', '[-100000001]'), ('far', '[100000002]', '[-99999999]'),
                     ('far', '[100000003]', '[-100000000]');

CREATE VIEW c AS SELECT grp, svd_cka(x, y) AS v, svd_cka(x, y, 'center=false') AS raw FROM p GROUP BY grp;

SELECT 'corr', (SELECT abs(v - 0.25) <= 1e-15 FROM c WHERE grp = 'corr');
SELECT 'rotation, scale, translation', (SELECT abs(v - 1) <= 1e-15 FROM c WHERE grp = 'rot');
SELECT 'orthogonal', (SELECT abs(v) <= 1e-15 FROM c WHERE grp = 'orth');
SELECT 'two pairs', (SELECT abs(v - 1) <= 1e-15 FROM c WHERE grp = 'two');
SELECT 'blob and nulls', (SELECT abs(v - 1) <= 1e-15 FROM c WHERE grp = 'blob');
SELECT 'constant x is null', (SELECT v IS NULL FROM c WHERE grp = 'flat');
-- a constant whose mean rounds: centering leaves rounding noise, not zeros,
-- whose "CKA" would be 0.12 here; equal rows are recognized as such
SELECT 'constant x with rounding mean is null', (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i<24)
       SELECT svd_cka('[1.7, -2.9, 1e-3, 4e5, 0.33]', json_array(i, i*i % 7)) FROM k) IS NULL;
SELECT 'constant y with rounding mean is null', (WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM k WHERE i<51)
       SELECT svd_cka(json_array(i, i*i % 7), '[0.1234567891, 33000000.7, -0.71, 12.5]') FROM k) IS NULL;
SELECT 'all null group', (SELECT v IS NULL AND raw IS NULL FROM c WHERE grp = 'nulls');
SELECT 'empty table', (SELECT svd_cka(x, y) FROM p WHERE 0) IS NULL;
SELECT 'far', (SELECT abs(v - 0.25) <= 1e-15 FROM c WHERE grp = 'far');
SELECT 'group count', (SELECT count(*) FROM c) = 8;
SELECT 'real', (SELECT typeof(v) FROM c WHERE grp = 'corr') = 'real';
-- uncentered: x = (1,2,3), y = (1,3,2): (x.y)^2 / (|x|^2 |y|^2) = 13^2/14^2
SELECT 'raw corr', (SELECT abs(raw - 169.0/196) <= 1e-15 FROM c WHERE grp = 'corr');
-- uncentered 'flat': K = 8*11' (3 x 3), L = yy': <K,L> = 8*49, |K| = 24, |L| = 21
SELECT 'raw constant x', (SELECT abs(raw - 8.0*49/(24*21)) <= 1e-15 FROM c WHERE grp = 'flat');
-- uncentered, a single pair aligns perfectly
SELECT 'raw one pair', (SELECT svd_cka('[1, 2]', '[-3]', 'center=false')) = 1.0;
-- uncentered, all zero: NULL
SELECT 'raw zeros', (SELECT svd_cka(x, y, 'center=false') FROM (SELECT '[0, 0]' AS x, '[1]' AS y UNION ALL SELECT '[0, 0]', '[2]')) IS NULL;
SELECT 'symmetric', (SELECT svd_cka(y, x) FROM p WHERE grp = 'corr') = (SELECT v FROM c WHERE grp = 'corr');
SELECT 'options spaces', (SELECT svd_cka(x, y, ' center = false ') FROM p WHERE grp = 'corr') = (SELECT raw FROM c WHERE grp = 'corr');
SELECT 'options empty', (SELECT svd_cka(x, y, '') FROM p WHERE grp = 'corr') = (SELECT v FROM c WHERE grp = 'corr');
SELECT 'options null', (SELECT svd_cka(x, y, NULL) FROM p WHERE grp = 'corr') = (SELECT v FROM c WHERE grp = 'corr');
SELECT 'having', (SELECT group_concat(grp) FROM (SELECT grp FROM p GROUP BY grp
                  HAVING svd_cka(x, y) < 0.5 ORDER BY grp)) = 'corr,far,orth';

-- error: svd_cka(): the group has 1 pair of rows; centered CKA needs at least 2 pairs (center=false aligns a single pair)
SELECT svd_cka(x, y) FROM (SELECT '[1, 2]' AS x, '[3]' AS y UNION ALL SELECT NULL, '[4]');
-- error: svd_cka(): X of row 2 has 3 dimensions, expected 2
SELECT svd_cka(x, y) FROM (SELECT '[1, 2]' AS x, '[3]' AS y UNION ALL SELECT '[1, 2]', NULL UNION ALL SELECT '[1, 2, 3]', '[1]');
-- error: svd_cka(): Y of row 3 has 2 dimensions, expected 1
SELECT svd_cka(x, y) FROM (SELECT '[1, 2]' AS x, '[3]' AS y UNION ALL SELECT '[1, 3]', '[1]' UNION ALL SELECT '[1, 4]', '[1, 0]');
-- error: svd_cka(): X of row 2 has 1 dimension, expected 2
SELECT svd_cka(x, y) FROM (SELECT '[1, 2]' AS x, '[3]' AS y UNION ALL SELECT '[1]', '[1]');
-- error: svd_cka(): X of row 1 is an INTEGER; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT svd_cka(3, '[1]');
-- error: svd_cka(): Y of row 1 is a REAL; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT svd_cka('[1]', 2.5);
-- error: svd_cka(): Y of row 2 is a 10-byte BLOB; a float32 vector needs a multiple of 4 bytes
SELECT svd_cka(x, y) FROM (SELECT '[1]' AS x, '[3]' AS y UNION ALL SELECT '[2]', zeroblob(10));
-- error: svd_cka(): X of row 1 has NaN at element 2; expected finite numbers
SELECT svd_cka(x'0000803f0000c07f', '[1]');
-- error: svd_cka(): X of row 1 is not a JSON array of numbers: at character 3 expected ',' or ']', found the end of the text
SELECT svd_cka('[1', '[1]');
-- error: svd_cka(): unknown option 'method'; expected center=true|false
SELECT svd_cka('[1]', '[1]', 'method=exact');
-- error: svd_cka(): option center=yes; expected center=true or center=false
SELECT svd_cka('[1]', '[1]', 'center=yes');
-- error: svd_cka(): OPTIONS is an INTEGER; expected TEXT such as 'center=false'
SELECT svd_cka('[1]', '[1]', 1);
-- error: svd_cka(): OPTIONS changed within a group, from 'center=true' to 'center=false'; it must be the same for every row
SELECT svd_cka(x, y, o) FROM (SELECT '[1]' AS x, '[3]' AS y, 'center=true' AS o UNION ALL SELECT '[2]', '[1]', 'center=false');
-- error: svd_cka(): OPTIONS changed within a group, from '' to 'center=false'; it must be the same for every row
SELECT svd_cka(x, y, o) FROM (SELECT NULL AS x, '[3]' AS y, NULL AS o UNION ALL SELECT '[2]', '[1]', 'center=false');
-- error: wrong number of arguments to function svd_cka()
SELECT svd_cka('[1]');
-- error: svd_cka(): OPTIONS changed within a group, from 'center=true' to NULL; it must be the same for every row
SELECT svd_cka(v, v, o) FROM (SELECT '[1,2]' AS v, 'center=true' AS o UNION ALL SELECT '[1,3]', NULL);
