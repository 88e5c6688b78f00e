-- Malformed and extreme input, each kind with what the user gets (README,
-- "Bad input"). The importers' malformed files are in tests/importers.py,
-- interrupted queries in tests/interrupt.py.

-- d in the tens of thousands: the exact method takes it (3 rows of 40,000)
-- rows 0, 0, e_40000: centered, one value sqrt(6)/3, then zeros
CREATE TABLE wide AS SELECT svd_spectrum(v) AS s FROM (SELECT zeroblob(160000) AS v UNION ALL SELECT zeroblob(160000)
                         UNION ALL SELECT emb_f32('[' || replace(hex(zeroblob(39999)), '00', '0,') || '1]'));
SELECT 'd 40000 exact', (SELECT abs(json_extract(s, '$[0]') - sqrt(6)/3) < 1e-15 AND json_extract(s, '$[1]') < 1e-15
                                AND json_extract(s, '$[2]') = 0.0 AND json_array_length(s) = 3 FROM wide);
-- error: svd_spectrum(): method=gram keeps a d x d matrix; d = 40000 is above its limit of 8192; method=exact keeps the rows instead
SELECT svd_spectrum(zeroblob(160000), 'method=gram');
-- a billion-byte BLOB (SQLite's largest by default) is refused from its size
-- error: emb_dims(): argument 1 is a 1000000000-byte BLOB of 250000000 values; at most 16777216 dimensions are supported
SELECT emb_dims(zeroblob(1000000000));
-- error: svd_spectrum(): row 1 is a 1000000000-byte BLOB of 250000000 values; at most 16777216 dimensions are supported
SELECT svd_spectrum(zeroblob(1000000000));
SELECT 'largest d', emb_dims(zeroblob(4*16777216)) = 16777216;
-- very long JSON: one value past the limit
-- error: emb_dims(): argument 1 has more than 16777216 values; at most 16777216 dimensions are supported
SELECT emb_dims('[' || replace(hex(zeroblob(16777216)), '00', '1,') || '1]');
-- deeply nested JSON is not a vector, at the first nesting
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 2 expected a number, found '['
SELECT emb_dims(replace(hex(zeroblob(100000)), '00', '['));
-- error: svd_spectrum_each(): SPECTRUM is not a JSON array of numbers: at character 2 expected a number, found '['
SELECT * FROM svd_spectrum_each('[[1]]');
-- text that is not UTF-8
-- error: emb_json(): argument 1 is not a JSON array of numbers: at character 3 expected ',' or ']', found byte 0xff
SELECT emb_json(CAST(x'5b31ff5d' AS TEXT));
-- error: svd_basis_json(): BASIS is TEXT; expected a BLOB from svd_basis()
SELECT svd_basis_json(CAST(x'53564442ff' AS TEXT));
SELECT 'non-UTF-8 label drawn', (SELECT svd_scree_svg(CAST(x'41ff42' AS TEXT), '[1]')) LIKE '%>A' || char(65533) || 'B</text>%';
-- huge values: float32 extremes work; doubles whose squares overflow are scaled
SELECT 'float32 max', (SELECT json_array_length(svd_spectrum(v)) FROM (SELECT emb_f32('[3.4e38, -3.4e38]') AS v UNION ALL SELECT emb_f32('[-3.4e38, 3.4e38]'))) = 2;
SELECT 'double 1e300', (SELECT abs(json_extract(svd_spectrum(v), '$[0]') / (sqrt(2)*1e300) - 1) < 1e-15
                        FROM (SELECT '[1e300, 0]' AS v UNION ALL SELECT '[-1e300, 0]'));
-- error: emb_f32(): argument 1 has 1e+39 at element 1, beyond the range of float32 (largest 3.4028235e+38)
SELECT emb_f32('[1e39]');
