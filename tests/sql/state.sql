-- svd_state, svd_merge and the functions that read a state, on groups whose
-- spectra are known exactly: rows (8,2,7), (2,2,7) centered are ±3·e1, so
-- sigma = (sqrt 18, 0); with (5,3,7), (5,1,7) (±1·e2 about the same mean
-- (5,2,7)) the four rows have sigma = (sqrt 18, sqrt 2, 0). Partition tests
-- against numpy are in tests/reference_state.py.

CREATE TABLE g(grp, v);
INSERT INTO g VALUES ('a', '[8, 2, 7]'), ('a', '[2, 2, 7]'), ('b', '[5, 3, 7]'), ('b', '[5, 1, 7]'),
                     ('b', NULL);
CREATE TABLE s AS SELECT grp, svd_state(v) AS st, svd_state(v, 'center=false') AS raw,
                         svd_state(v, 'method=gram') AS gr FROM g GROUP BY grp;

SELECT 'state type and size', (SELECT typeof(st) = 'blob' AND length(st) = 40 + 8*(2*3 + 3)
                                  AND length(gr) = 40 + 8*(2*3 + 6) FROM s WHERE grp = 'a');
SELECT 'state header', (SELECT hex(substr(st, 1, 24)) = '5356445301000000010000000100000003000000' || '01000000'
                           FROM s WHERE grp = 'a');
SELECT 'state of a', (SELECT svd_state_spectrum(st) = '[4.242640687119285,0.0]' FROM s WHERE grp = 'a');
SELECT 'merged', (SELECT abs(json_extract(svd_state_spectrum(svd_merge(st)), '$[0]') - sqrt(18)) < 1e-14
                     AND abs(json_extract(svd_state_spectrum(svd_merge(st)), '$[1]') - sqrt(2)) < 1e-14
                     AND json_extract(svd_state_spectrum(svd_merge(st)), '$[2]') < 1e-15 FROM s);
SELECT 'merged gram', (SELECT abs(json_extract(svd_state_spectrum(svd_merge(gr)), '$[0]') - sqrt(18)) < 1e-12
                          AND abs(json_extract(svd_state_spectrum(svd_merge(gr)), '$[1]') - sqrt(2)) < 1e-12 FROM s);
SELECT 'exact + gram is gram', (SELECT json_extract(svd_state_json(svd_merge(x)), '$.method') = 'gram'
                                   FROM (SELECT st AS x FROM s WHERE grp = 'a' UNION ALL SELECT gr FROM s WHERE grp = 'b'));
SELECT 'json', (SELECT svd_state_json(svd_merge(st)) = '{"n":4,"d":3,"center":true,"method":"exact","mean":[5.0,2.0,7.0]}' FROM s);
SELECT 'json raw', (SELECT svd_state_json(svd_merge(raw)) = '{"n":4,"d":3,"center":false,"method":"exact","mean":[0.0,0.0,0.0]}' FROM s);
SELECT 'state basis sigma', (SELECT abs(json_extract(svd_basis_json(svd_state_basis(svd_merge(st), 2)), '$.sigma[1]') - sqrt(2)) < 1e-14 FROM s);
SELECT 'state basis direction 1 is e1', (SELECT abs(json_extract(svd_basis_json(svd_state_basis(svd_merge(st), 2)), '$.directions[0][0]') - 1) < 1e-14 FROM s);
SELECT 'coord from a state basis', (SELECT abs(svd_coord(svd_state_basis(svd_merge(st), 1), '[11, 2, 7]', 1) - 6) < 1e-13 FROM s);
SELECT 'one row', (SELECT svd_state_spectrum(svd_state('[1, 2, 3]')) = '[0.0]');
SELECT 'one row json', (SELECT svd_state_json(svd_state('[1, 2, 3]')) = '{"n":1,"d":3,"center":true,"method":"exact","mean":[1.0,2.0,3.0]}');
SELECT 'empty group', (SELECT svd_state(v) FROM g WHERE 0) IS NULL;
SELECT 'merge of none', (SELECT svd_merge(st) FROM s WHERE 0) IS NULL;
SELECT 'merge skips NULL', (SELECT svd_state_json(svd_merge(x)) FROM (SELECT st AS x FROM s UNION ALL SELECT NULL))
                           = (SELECT svd_state_json(svd_merge(st)) FROM s);
SELECT 'NULL in', svd_state_spectrum(NULL) IS NULL AND svd_state_json(NULL) IS NULL
                  AND svd_state_basis(NULL, 1) IS NULL;

-- error: svd_merge(): a state of 3 dimensions, center=false, cannot merge with one of 3 dimensions, centered; states must agree on d and center
SELECT svd_merge(x) FROM (SELECT st AS x FROM s UNION ALL SELECT raw FROM s);
-- error: svd_merge(): a state of 2 dimensions, centered, cannot merge with one of 3 dimensions, centered; states must agree on d and center
SELECT svd_merge(x) FROM (SELECT st AS x FROM s UNION ALL SELECT svd_state('[1,2]'));
-- error: svd_state_spectrum(): STATE is TEXT; expected a BLOB from svd_state() or svd_merge()
SELECT svd_state_spectrum('[1,2]');
-- error: svd_merge(): STATE is an INTEGER; expected a BLOB from svd_state() or svd_merge()
SELECT svd_merge(7);
-- error: svd_state_spectrum(): STATE is a 1-byte BLOB, too short for a state from svd_state() (its header alone is 40 bytes)
SELECT svd_state_spectrum(x'00');
-- error: svd_state_spectrum(): STATE is not a state from svd_state(): it does not begin with the bytes 'SVDS' (it is a basis from svd_basis())
SELECT svd_state_spectrum(svd_basis('[1,2]', 1));
-- error: svd_state_json(): STATE is not a state from svd_state(): it does not begin with the bytes 'SVDS'
SELECT svd_state_json(emb_f32('[1,2,3,4,5,6,7,8,9,10,11,12]'));
-- error: svd_state_spectrum(): STATE has 104 bytes but a state of d=3, k=1 has 112; it is truncated
SELECT svd_state_spectrum(substr(st, 1, length(st)-8)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE has 113 bytes but a state of d=3, k=1 has 112; it is corrupted
SELECT svd_state_spectrum(CAST(st || x'00' AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE has layout version 2; this build of sqlite-svd reads version 1
SELECT svd_state_spectrum(CAST(substr(st, 1, 4) || x'02000000' || substr(st, 9) AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE header is inconsistent: n=2, d=0, k=1, method exact (expected k <= min(n, d, 8192), n-1 centered)
SELECT svd_state_spectrum(CAST(substr(st, 1, 16) || x'00000000' || substr(st, 21) AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE header is inconsistent: n=18446744073709551615, d=3, k=1, method exact (expected k <= min(n, d, 8192), n-1 centered)
SELECT svd_state_spectrum(CAST(substr(st, 1, 24) || x'ffffffffffffffff' || substr(st, 33) AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE header is inconsistent: n=2, d=3, k=2, method exact (expected k <= min(n, d, 8192), n-1 centered)
SELECT svd_state_spectrum(CAST(substr(st, 1, 20) || x'02000000' || substr(st, 25) AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE header has unknown flags 0x1, method 7, scale 0 or a non-zero reserved field; it is corrupted
SELECT svd_state_spectrum(CAST(substr(st, 1, 12) || x'07000000' || substr(st, 17) AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_spectrum(): STATE holds a non-finite value at byte 40; it is corrupted
SELECT svd_state_spectrum(CAST(substr(st, 1, 40) || x'000000000000f07f' || substr(st, 49) AS BLOB)) FROM s WHERE grp = 'a';
-- error: svd_state_basis(): K is 0; expected an INTEGER from 1 to min(n, d) = 2
SELECT svd_state_basis(st, 0) FROM s WHERE grp = 'a';
-- error: svd_state_basis(): K is 3; expected an INTEGER from 1 to min(n, d) = 2
SELECT svd_state_basis(st, 3) FROM s WHERE grp = 'a';
-- error: svd_state_basis(): K is TEXT '1'; expected an INTEGER from 1 to min(n, d) = 2
SELECT svd_state_basis(st, '1') FROM s WHERE grp = 'a';
-- error: svd_state_basis(): K is a REAL, 1.0; expected an INTEGER from 1 to min(n, d) = 2
SELECT svd_state_basis(st, 1.0) FROM s WHERE grp = 'a';
-- error: svd_state(): row 2 has 3 dimensions, expected 2
SELECT svd_state(v) FROM (SELECT '[1,2]' AS v UNION ALL SELECT '[1,2,3]');

-- found in review: a crafted exact state of S = 1e300 merged with gram
-- states (its squares overflow unless S is scaled first); means that
-- differ by more than a double holds; subnormal data merged from one-row
-- states (the mean is kept on the state's scale)
SELECT 'crafted 1e300 merges', (SELECT abs(json_extract(svd_state_spectrum(svd_merge(s)), '$[0]') / 1e300 - 1) < 1e-15
  FROM (SELECT x'5356445301000000010000000200000001000000010000000200000000000000000000000000000000000000000000000000000000000000000000000000f03f' AS s
        UNION ALL SELECT x'53564453010000000100000001000000010000000100000002000000000000000000000000000000000000000000000000000000000000009c7500883ce4377e'
        UNION ALL SELECT x'5356445301000000010000000200000001000000010000000200000000000000000000000000000000000000000000000000000000000000000000000000f03f'));
SELECT 'means 1.8e308 apart', (SELECT abs(json_extract(svd_state_spectrum(svd_merge(s)), '$[0]') / (9e307 * sqrt(2)) - 1) < 1e-15
  FROM (SELECT svd_state('[9e307]') s UNION ALL SELECT svd_state('[-9e307]')));
SELECT 'subnormal one-row states', (SELECT svd_state_spectrum(svd_merge(s)) FROM (SELECT svd_state('[0]') s
  UNION ALL SELECT svd_state('[5e-324]') UNION ALL SELECT svd_state('[1.5e-323]')))
  = (SELECT svd_spectrum(v) FROM (SELECT '[0]' v UNION ALL SELECT '[5e-324]' UNION ALL SELECT '[1.5e-323]'));
SELECT 'subnormal merged mean', (SELECT svd_state_json(svd_merge(s)) FROM (SELECT svd_state('[0]') s
  UNION ALL SELECT svd_state('[1e-323]'))) = '{"n":2,"d":1,"center":true,"method":"exact","mean":[5e-324]}';
-- error: svd_state_basis(): the exact method's workspace for an exact state of 1000000 rows of 8193 dimensions is over SQLite's 2 GiB allocation limit (at most 7298); merge it with a gram state (method=gram takes d up to 8192)
SELECT svd_state_basis(CAST(x'53564453010000000100000001000000012000000000000040420F00000000000000000000000000' || zeroblob(131088) AS BLOB), 8193);
-- error: svd_state_json(): STATE's mean is beyond the range of a double in dimension 1; it is corrupted
SELECT svd_state_json(CAST(x'53564453010000000100000001000000010000000000000001000000000000000000000000000000' || x'ffffffffffffef7fffffffffffffef7f' AS BLOB));
