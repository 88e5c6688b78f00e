-- svd_basis and the functions that read it, on a group whose directions are
-- known exactly: rows (5±3, 2, 7) and (5, 2±1, 7) have mean (5, 2, 7), and
-- centered they are ±3·e1 and ±1·e2, so sigma = (sqrt 18, sqrt 2, 0) with
-- directions e1, e2 (and e3 for the zero). numpy comparisons are in
-- tests/reference_basis.py.

CREATE TABLE g(grp, v);
INSERT INTO g VALUES ('a', '[8, 2, 7]'), ('a', '[2, 2, 7]'), ('a', '[5, 3, 7]'), ('a', '[5, 1, 7]'),
                     ('a', NULL);
CREATE TABLE b AS SELECT svd_basis(v, 2) AS b2, svd_basis(v, 3) AS b3,
                         svd_basis(v, 2, 'center=false') AS braw FROM g;
CREATE TABLE j AS SELECT svd_basis_json(b2) AS j2, svd_basis_json(b3) AS j3,
                         svd_basis_json(braw) AS jraw FROM b;

SELECT 'blob type and size', (SELECT typeof(b2) = 'blob' AND length(b2) = 32 + 8*(2*3 + 2 + 6) FROM b);
SELECT 'magic', (SELECT hex(substr(b2, 1, 8)) = '5356444201000000' FROM b);
SELECT 'header', (SELECT json_extract(j2, '$.n') = 4 AND json_extract(j2, '$.d') = 3
                     AND json_extract(j2, '$.k') = 2 AND json_extract(j2, '$.center') = 1 FROM j);
SELECT 'mean', (SELECT json_extract(j2, '$.mean') = '[5.0,2.0,7.0]' FROM j);
SELECT 'sigma', (SELECT abs(json_extract(j2, '$.sigma[0]') - sqrt(18)) < 1e-14
                    AND abs(json_extract(j2, '$.sigma[1]') - sqrt(2)) < 1e-14 FROM j);
SELECT 'sigma 3 is 0', (SELECT json_extract(j3, '$.sigma[2]') < 1e-15 FROM j);
SELECT 'sigma equals spectrum', (SELECT json_extract(j3, '$.sigma') = (SELECT svd_spectrum(v) FROM g) FROM j);
SELECT 'direction 1 is e1', (SELECT abs(json_extract(j2, '$.directions[0][0]') - 1) < 1e-15
                                AND abs(json_extract(j2, '$.directions[0][1]')) < 1e-15
                                AND abs(json_extract(j2, '$.directions[0][2]')) < 1e-15 FROM j);
SELECT 'direction 2 is e2', (SELECT abs(json_extract(j2, '$.directions[1][1]') - 1) < 1e-15 FROM j);
SELECT 'direction 3 is +e3', (SELECT abs(json_extract(j3, '$.directions[2][2]') - 1) < 1e-15 FROM j);
SELECT 'json subtype', (SELECT json_array(svd_basis_json(b2)) LIKE '[{%' FROM b);
SELECT 'svd_direction', (SELECT abs(json_extract(emb_json(svd_direction(b2, 2)), '$[1]') - 1) < 1e-7
                            AND emb_dims(svd_direction(b2, 2)) = 3 AND typeof(svd_direction(b2, 1)) = 'blob' FROM b);
SELECT 'coord 1', (SELECT abs(svd_coord(b2, '[8, 2, 7]', 1) - 3) < 1e-14 FROM b);
SELECT 'coord 1 negative', (SELECT abs(svd_coord(b2, '[2, 2, 7]', 1) + 3) < 1e-14 FROM b);
SELECT 'coord 2', (SELECT abs(svd_coord(b2, '[5, 3, 7]', 2) - 1) < 1e-14 FROM b);
SELECT 'coord of a new point', (SELECT abs(svd_coord(b2, '[6.5, -2, 100]', 2) + 4) < 1e-13 FROM b);
SELECT 'coord of a blob', (SELECT abs(svd_coord(b2, emb_f32('[8, 2, 7]'), 1) - 3) < 1e-14 FROM b);
SELECT 'project', (SELECT emb_dims(svd_project(b2, '[8, 3, 7]')) = 2
                      AND abs(json_extract(emb_json(svd_project(b2, '[8, 3, 7]')), '$[0]') - 3) < 1e-6
                      AND abs(json_extract(emb_json(svd_project(b2, '[8, 3, 7]')), '$[1]') - 1) < 1e-6 FROM b);
-- center=false: the raw rows; the mean (5,2,7) dominates sigma_1
SELECT 'raw center flag', (SELECT json_extract(jraw, '$.center') = 0 AND json_extract(jraw, '$.mean') = '[0.0,0.0,0.0]' FROM j);
SELECT 'raw sigma equals spectrum', (SELECT json_extract(jraw, '$.sigma[0]') = json_extract((SELECT svd_spectrum(v, 'center=false') FROM g), '$[0]') FROM j);
SELECT 'raw coord is x.v', (SELECT abs(svd_coord(braw, '[5, 2, 7]', 1)
                                        - (5*json_extract(jraw, '$.directions[0][0]') + 2*json_extract(jraw, '$.directions[0][1]')
                                           + 7*json_extract(jraw, '$.directions[0][2]'))) < 1e-13 FROM j, b);
-- sign rule: the line through (3,-4) has direction (-0.6, 0.8), largest entry positive
SELECT 'sign rule', (SELECT abs(json_extract(svd_basis_json(svd_basis(v, 1)), '$.directions[0][0]') + 0.6) < 1e-15
                        AND abs(json_extract(svd_basis_json(svd_basis(v, 1)), '$.directions[0][1]') - 0.8) < 1e-15
                     FROM (SELECT '[3, -4]' AS v UNION ALL SELECT '[-3, 4]' UNION ALL SELECT '[0, 0]'));
SELECT 'one row', (SELECT svd_basis_json(svd_basis(v, 1)) FROM (SELECT '[1.5, 2]' AS v))
                  = '{"n":1,"d":2,"k":1,"center":true,"mean":[1.5,2.0],"sigma":[0.0],"directions":[[1.0,0.0]]}';
-- n <= d: K = n is allowed; the n-th direction completes an orthonormal set
SELECT 'k = n completes', (SELECT abs(json_extract(j, '$.directions[0][0]')*json_extract(j, '$.directions[1][0]')
                                      + json_extract(j, '$.directions[0][1]')*json_extract(j, '$.directions[1][1]')
                                      + json_extract(j, '$.directions[0][2]')*json_extract(j, '$.directions[1][2]')) < 1e-15
                              AND json_extract(j, '$.sigma[1]') = 0.0
                           FROM (SELECT svd_basis_json(svd_basis(v, 2)) AS j
                                 FROM (SELECT '[1, 2, 3]' AS v UNION ALL SELECT '[2, 0, 3]')));
SELECT 'group by', (SELECT group_concat(json_extract(svd_basis_json(bb), '$.n'))
                    FROM (SELECT grp, svd_basis(v, 1) AS bb FROM
                          (SELECT 'x' AS grp, '[1, 2]' AS v UNION ALL SELECT 'x', '[3, 1]' UNION ALL SELECT 'y', '[0, 1]')
                          GROUP BY grp ORDER BY grp)) = '2,1';
SELECT 'nulls', (SELECT svd_basis(v, 2) IS NULL FROM g WHERE v IS NULL)
                AND svd_basis_json(NULL) IS NULL AND svd_direction(NULL, 1) IS NULL
                AND (SELECT svd_project(b2, NULL) IS NULL AND svd_project(NULL, '[1]') IS NULL
                        AND svd_coord(b2, '[1, 2, 3]', NULL) IS NULL AND svd_direction(b2, NULL) IS NULL FROM b);

-- error: svd_basis(): K is 0; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, 0) FROM g;
-- K or I of another type than INTEGER: the message names the type, and
-- shows the value when it is a REAL or TEXT that reads as a number
-- error: svd_basis(): K is a REAL, 2.5; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, 2.5) FROM g;
-- error: svd_basis(): K is a REAL, 2.0; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, 2.0) FROM g;
-- error: svd_basis(): K is TEXT '2'; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, '2') FROM g;
-- error: svd_basis(): K is TEXT; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, 'two') FROM g;
-- error: svd_basis(): K is a BLOB; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, x'02') FROM g;
-- error: svd_basis(): K is NULL; expected an INTEGER from 1 to min(n, d), the number of directions to keep
SELECT svd_basis(v, NULL) FROM g;
-- error: svd_basis(): K is 4 but the group has 4 rows of 3 dimensions; K may be at most min(n, d) = 3
SELECT svd_basis(v, 4) FROM g;
-- error: svd_basis(): K is 3 but the group has 2 rows of 3 dimensions; K may be at most min(n, d) = 2
SELECT svd_basis(v, 3) FROM g WHERE v LIKE '[5%';
-- error: svd_basis(): K changed within a group, from 1 to 2; it must be the same for every row
SELECT svd_basis(v, k) FROM (SELECT '[1]' AS v, 1 AS k UNION ALL SELECT '[2]', 2);
-- error: svd_basis(): row 2 has 2 dimensions, expected 3
SELECT svd_basis(v, 1) FROM (SELECT '[1, 2, 3]' AS v UNION ALL SELECT '[1, 2]');
-- error: svd_basis(): unknown option 'centre'; expected center=true|false, method=auto|exact|gram
SELECT svd_basis(v, 1, 'centre=true') FROM g;
-- error: svd_basis(): row 1 is an INTEGER; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT svd_basis(1, 1);
-- error: svd_basis(): OPTIONS is an INTEGER; expected TEXT such as 'center=false'
SELECT svd_basis(v, 1, 1) FROM g;
-- error: svd_basis(): OPTIONS is a REAL; expected TEXT such as 'center=false'
SELECT svd_basis(v, 1, 1.5) FROM g;
-- error: svd_basis(): OPTIONS is a BLOB; expected TEXT such as 'center=false'
SELECT svd_basis(v, 1, x'00') FROM g;
-- error: svd_basis(): OPTIONS is an INTEGER; expected TEXT such as 'center=false'
SELECT svd_basis(v, 1, o) FROM (SELECT '[1]' AS v, '' AS o UNION ALL SELECT '[2]', 7);
-- error: svd_basis(): OPTIONS is a REAL; expected TEXT such as 'center=false'
SELECT svd_basis(v, 1, o) FROM (SELECT '[1]' AS v, NULL AS o UNION ALL SELECT '[2]', 1.5);
-- error: svd_basis(): OPTIONS is a BLOB; expected TEXT such as 'center=false'
SELECT svd_basis(v, 1, o) FROM (SELECT '[1]' AS v, '' AS o UNION ALL SELECT '[2]', x'00');
-- error: svd_project(): BASIS is TEXT; expected a BLOB from svd_basis()
SELECT svd_project('[1, 2]', '[1, 2]');
-- error: svd_coord(): BASIS is a 1-byte BLOB, too short for a basis from svd_basis() (its header alone is 32 bytes)
SELECT svd_coord(x'00', '[1]', 1);
-- error: svd_direction(): BASIS is not a basis from svd_basis(): it does not begin with the bytes 'SVDB'
SELECT svd_direction(zeroblob(120), 1);
-- error: svd_basis_json(): BASIS has layout version 2; this build of sqlite-svd reads version 1
SELECT svd_basis_json(CAST(substr(b2, 1, 4) || x'02000000' || substr(b2, 9) AS BLOB)) FROM b;
-- error: svd_basis_json(): BASIS header has unknown flags 0x3 or a non-zero reserved field; it is corrupted
SELECT svd_basis_json(CAST(substr(b2, 1, 8) || x'03000000' || substr(b2, 13) AS BLOB)) FROM b;
-- error: svd_basis_json(): BASIS header has unknown flags 0x1 or a non-zero reserved field; it is corrupted
SELECT svd_basis_json(CAST(substr(b2, 1, 20) || x'01000000' || substr(b2, 25) AS BLOB)) FROM b;
-- error: svd_basis_json(): BASIS header is inconsistent: n=4, d=3, K=4; expected 1 <= K <= min(n, d)
SELECT svd_basis_json(CAST(substr(b2, 1, 16) || x'04000000' || substr(b2, 21) AS BLOB)) FROM b;
-- error: svd_basis_json(): BASIS header is inconsistent: n=1, d=3, K=2; expected 1 <= K <= min(n, d)
SELECT svd_basis_json(CAST(substr(b2, 1, 24) || x'0100000000000000' || substr(b2, 33) AS BLOB)) FROM b;
-- error: svd_basis_json(): BASIS header is inconsistent: n=4, d=4294967295, K=2; expected 1 <= K <= min(n, d)
SELECT svd_basis_json(CAST(substr(b2, 1, 12) || x'ffffffff' || substr(b2, 17) AS BLOB)) FROM b;
-- error: svd_basis_json(): BASIS has 143 bytes but a basis of d=3, K=2 has 144; it is truncated
SELECT svd_basis_json(substr(b2, 1, 143)) FROM b;
-- error: svd_project(): BASIS has 145 bytes but a basis of d=3, K=2 has 144; it is corrupted
SELECT svd_project(CAST(b2 || x'00' AS BLOB), '[1, 2, 3]') FROM b;
-- error: svd_coord(): BASIS holds a non-finite value at byte 32; it is corrupted
SELECT svd_coord(CAST(substr(b2, 1, 32) || x'000000000000f87f' || substr(b2, 41) AS BLOB), '[1, 2, 3]', 1) FROM b;
-- error: svd_direction(): BASIS holds a non-finite value at byte 136; it is corrupted
SELECT svd_direction(CAST(substr(b2, 1, 136) || x'000000000000f07f' AS BLOB), 2) FROM b;
-- error: svd_coord(): BASIS holds a non-finite value at byte 56; it is corrupted
SELECT svd_coord(CAST(substr(b2, 1, 56) || x'000000000000f0ff' || substr(b2, 65) AS BLOB), '[1, 2, 3]', 1) FROM b;
-- error: svd_project(): X has 2 dimensions; the basis has 3
SELECT svd_project(b2, '[1, 2]') FROM b;
-- error: svd_coord(): X is not a JSON array of numbers: at character 3 expected ',' or ']', found the end of the text
SELECT svd_coord(b2, '[1', 1) FROM b;
-- error: svd_coord(): I is 3; expected an INTEGER from 1 to K = 2
SELECT svd_coord(b2, '[1, 2, 3]', 3) FROM b;
-- error: svd_direction(): I is 0; expected an INTEGER from 1 to K = 2
SELECT svd_direction(b2, 0) FROM b;
-- error: svd_direction(): I is a REAL, 1.0; expected an INTEGER from 1 to K = 2
SELECT svd_direction(b2, 1.0) FROM b;
-- error: svd_direction(): I is TEXT '1'; expected an INTEGER from 1 to K = 2
SELECT svd_direction(b2, '1') FROM b;
-- error: svd_direction(): I is a BLOB; expected an INTEGER from 1 to K = 2
SELECT svd_direction(b2, x'01') FROM b;
-- error: svd_coord(): I is TEXT ' 2'; expected an INTEGER from 1 to K = 2
SELECT svd_coord(b2, '[1, 2, 3]', ' 2') FROM b;
-- error: svd_coord(): I is TEXT; expected an INTEGER from 1 to K = 2
SELECT svd_coord(b2, '[1, 2, 3]', 'first') FROM b;
-- error: svd_coord(): I is a REAL, 1.5; expected an INTEGER from 1 to K = 2
SELECT svd_coord(b2, '[1, 2, 3]', 1.5) FROM b;
-- error: svd_coord(): coordinate 1 is beyond the range of a double; X is too far from the mean
SELECT svd_coord(svd_basis(v, 1), '[-1.7e308, 1.7e308]', 1) FROM (SELECT '[3, -4]' AS v UNION ALL SELECT '[-3, 4]');
-- error: svd_project(): coordinate 1 is 1e+300, beyond the range of float32; svd_coord() gives it as a REAL
SELECT svd_project(b2, '[1e300, 2, 7]') FROM b;
