-- svd_angles and svd_residual on bases whose directions are known exactly
-- (as in basis.sql: group g has mean (5, 2, 7) and directions e1, e2, e3),
-- and every error message. The comparisons with scipy and numpy are in
-- tests/reference_angles.py.

CREATE TABLE g(v);
INSERT INTO g VALUES ('[8, 2, 7]'), ('[2, 2, 7]'), ('[5, 3, 7]'), ('[5, 1, 7]');
-- line: direction (0.6, 0.8, 0); plane: e1, e3 (sigma 4 and 1, apart)
CREATE TABLE b AS SELECT (SELECT svd_basis(v, 1) FROM g) AS b1, (SELECT svd_basis(v, 2) FROM g) AS b2,
                         (SELECT svd_basis(v, 3) FROM g) AS b3,
                         (SELECT svd_basis(v, 1) FROM (SELECT '[3, 4, 0]' AS v UNION ALL SELECT '[-3, -4, 0]')) AS line,
                         (SELECT svd_basis(v, 2) FROM (SELECT '[4, 0, 0]' AS v UNION ALL SELECT '[-4, 0, 0]'
                                                       UNION ALL SELECT '[0, 0, 1]' UNION ALL SELECT '[0, 0, -1]')) AS plane;

SELECT 'angles count is min(Ka, Kb)', (SELECT json_array_length(svd_angles(b1, b3)) = 1 AND json_array_length(svd_angles(b3, b2)) = 2 FROM b);
SELECT 'same basis', (SELECT json_extract(svd_angles(b2, b2), '$[0]') < 1e-15 AND json_extract(svd_angles(b2, b2), '$[1]') < 1e-15 FROM b);
SELECT 'subspace inside', (SELECT json_extract(svd_angles(b1, b2), '$[0]') < 1e-15 FROM b);
-- e3 against span(e1, e2): orthogonal
SELECT 'orthogonal', (SELECT abs(json_extract(svd_angles(b2, svd_basis(v, 1)), '$[0]') - pi()/2) < 1e-15
                      FROM b, (SELECT '[0, 0, 1]' AS v UNION ALL SELECT '[0, 0, -1]') GROUP BY b2);
-- (0.6, 0.8, 0) against e1: acos(0.6); against span(e1, e2): 0; against span(e1, e3): acos(0.6)
SELECT 'line and e1', (SELECT abs(json_extract(svd_angles(line, b1), '$[0]') - acos(0.6)) < 1e-15 FROM b);
SELECT 'line in plane e1 e2', (SELECT json_extract(svd_angles(b2, line), '$[0]') < 1e-15 FROM b);
SELECT 'line and plane e1 e3', (SELECT abs(json_extract(svd_angles(plane, line), '$[0]') - acos(0.6)) < 1e-15 FROM b);
-- span(e1, e2) against span(e1, e3): angles 0 and pi/2, ascending
SELECT 'two planes', (SELECT json_extract(svd_angles(b2, plane), '$[0]') < 1e-15
                             AND abs(json_extract(svd_angles(b2, plane), '$[1]') - pi()/2) < 1e-15 FROM b);
SELECT 'symmetric', (SELECT svd_angles(line, b2) = svd_angles(b2, line) FROM b);
SELECT 'json subtype', (SELECT json_array(svd_angles(b1, b2)) LIKE '[[%]]' FROM b);
SELECT 'center ignored', (SELECT svd_angles(b1, svd_basis(v, 1, 'center=false')) IS NOT NULL FROM b, g GROUP BY b1);
SELECT 'angles nulls', svd_angles(NULL, NULL) IS NULL AND (SELECT svd_angles(b1, NULL) IS NULL AND svd_angles(NULL, b1) IS NULL FROM b);

-- x - mean = (3, 1, 3); without its e1 and e2 parts: (0, 0, 3)
SELECT 'residual', (SELECT emb_dims(r) = 3 AND typeof(r) = 'blob' AND abs(json_extract(emb_json(r), '$[0]')) < 1e-6
                           AND abs(json_extract(emb_json(r), '$[1]')) < 1e-6 AND abs(json_extract(emb_json(r), '$[2]') - 3) < 1e-6
                    FROM (SELECT svd_residual(b2, '[8, 3, 10]') AS r FROM b));
SELECT 'residual of a blob', (SELECT svd_residual(b2, emb_f32('[8, 3, 10]')) = svd_residual(b2, '[8, 3, 10]') FROM b);
-- with all d directions nothing is left
SELECT 'residual K = d', (SELECT abs(json_extract(emb_json(r), '$[0]')) + abs(json_extract(emb_json(r), '$[1]'))
                                 + abs(json_extract(emb_json(r), '$[2]')) < 1e-6 FROM (SELECT svd_residual(b3, '[1, -2, 30]') AS r FROM b));
-- uncentered: the raw x less its part along (0.6, 0.8, 0): (4, -3, 2) is orthogonal to it
SELECT 'residual uncentered', (SELECT emb_json(svd_residual(svd_basis(v, 1, 'center=false'), '[4, -3, 2]')) = '[4.0,-3.0,2.0]'
                               FROM (SELECT '[3, 4, 0]' AS v UNION ALL SELECT '[-3, -4, 0]'));
SELECT 'residual nulls', svd_residual(NULL, NULL) IS NULL AND (SELECT svd_residual(b1, NULL) IS NULL AND svd_residual(NULL, '[1]') IS NULL FROM b);

-- error: svd_angles(): BASIS_A has 3 dimensions and BASIS_B has 2; expected two bases of the same d
SELECT svd_angles(b2, svd_basis(v, 1)) FROM b, (SELECT '[1, 2]' AS v UNION ALL SELECT '[2, 1]') GROUP BY b2;
-- error: svd_angles(): BASIS_A is TEXT; expected a BLOB from svd_basis()
SELECT svd_angles('[1, 0]', b1) FROM b;
-- error: svd_angles(): BASIS_B is an INTEGER; expected a BLOB from svd_basis()
SELECT svd_angles(b1, 7) FROM b;
-- error: svd_angles(): BASIS_B is a 1-byte BLOB, too short for a basis from svd_basis() (its header alone is 32 bytes)
SELECT svd_angles(b1, x'00') FROM b;
-- error: svd_angles(): BASIS_A is not a basis from svd_basis(): it does not begin with the bytes 'SVDB'
SELECT svd_angles(zeroblob(120), b1) FROM b;
-- error: svd_angles(): BASIS_B has 143 bytes but a basis of d=3, K=2 has 144; it is truncated
SELECT svd_angles(b1, substr(b2, 1, 143)) FROM b;
-- error: svd_angles(): BASIS_B holds a non-finite value at byte 136; it is corrupted
SELECT svd_angles(b1, CAST(substr(b2, 1, 136) || x'000000000000f07f' AS BLOB)) FROM b;
-- directions 2 and 1 both e1: R of their QR is [-1 -1; 0 0]
-- error: svd_angles(): BASIS_B's directions are not orthonormal; it is corrupted
SELECT svd_angles(b1, CAST(substr(b2, 1, 96) || x'000000000000f03f00000000000000000000000000000000'
                                             || x'000000000000f03f00000000000000000000000000000000' AS BLOB)) FROM b;
-- directions (1, 0, 0) and (0, 1e-3, 0): not unit
-- error: svd_angles(): BASIS_A's directions are not orthonormal; it is corrupted
SELECT svd_angles(CAST(substr(b2, 1, 96) || x'000000000000f03f00000000000000000000000000000000'
                                         || x'0000000000000000fca9f1d24d62503f0000000000000000' AS BLOB), b1) FROM b;
-- direction 2 (0, 1.5e308, 1.5e308), whose norm overflows: refused before LAPACK sees it
-- error: svd_angles(): BASIS_B's directions are not orthonormal; it is corrupted
SELECT svd_angles(b1, CAST(substr(b2, 1, 96) || x'000000000000f03f00000000000000000000000000000000'
                                             || x'0000000000000000f0ace1486db3ea7ff0ace1486db3ea7f' AS BLOB)) FROM b;
-- a direction just over 1 in one entry: (1 + 2e-6, 0, 0)
-- error: svd_angles(): BASIS_A's directions are not orthonormal; it is corrupted
SELECT svd_angles(CAST(substr(b1, 1, 88) || x'17f4de180200f03f00000000000000000000000000000000' AS BLOB), b1) FROM b;
-- error: svd_residual(): BASIS is TEXT; expected a BLOB from svd_basis()
SELECT svd_residual('[1, 2, 3]', '[1, 2, 3]');
-- error: svd_residual(): BASIS has 145 bytes but a basis of d=3, K=2 has 144; it is corrupted
SELECT svd_residual(CAST(b2 || x'00' AS BLOB), '[1, 2, 3]') FROM b;
-- error: svd_residual(): X has 2 dimensions; the basis has 3
SELECT svd_residual(b2, '[1, 2]') FROM b;
-- error: svd_residual(): X has 4 dimensions; the basis has 3
SELECT svd_residual(b2, emb_f32('[1, 2, 3, 4]')) FROM b;
-- error: svd_residual(): X is an INTEGER; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT svd_residual(b2, 3) FROM b;
-- error: svd_residual(): X is not a JSON array of numbers: at character 3 expected ',' or ']', found the end of the text
SELECT svd_residual(b2, '[1') FROM b;
-- error: svd_residual(): x - mean overflows a double at element 1; X is too far from the mean
SELECT svd_residual(svd_basis(v, 1), '[1e308, 0]') FROM (SELECT '[-1e308, 0]' AS v UNION ALL SELECT '[-1e308, 1]');
-- error: svd_residual(): element 3 of the residual is beyond the range of float32; X is too far from the mean
SELECT svd_residual(b2, '[1, 2, 1e300]') FROM b;
-- the components overflow a double: the residual is not finite
-- error: svd_residual(): element 1 of the residual is beyond the range of float32; X is too far from the directions' span
SELECT svd_residual(svd_basis(v, 1, 'center=false'), '[1.5e308, 1.5e308]') FROM (SELECT '[3, 4]' AS v UNION ALL SELECT '[-3, -4]');
