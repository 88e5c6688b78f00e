-- emb_f32, emb_json, emb_dims: conversions with values known exactly
-- (IEEE-754 bit patterns written out by hand) and every error message.

SELECT 'dims blob', emb_dims(x'0000803f00000040') = 2;
SELECT 'dims json', emb_dims('[1, 2, 3]') = 3;
SELECT 'dims json whitespace', emb_dims(char(9) || '[ 1 ,' || char(10) || '2 ]' || char(13)) = 2;
SELECT 'f32 from json', emb_f32('[1, 2]') = x'0000803f00000040';
SELECT 'f32 rounds 0.1', emb_f32('[0.1]') = x'cdcccc3d';
SELECT 'f32 negative zero', emb_f32('[-0.0]') = x'00000080';
SELECT 'f32 blob passthrough', emb_f32(x'cdcccc3d0000c0bf') = x'cdcccc3d0000c0bf';
SELECT 'f32 max float', emb_f32('[3.4028234663852886e38]') = x'ffff7f7f';
SELECT 'f32 rounds to max', emb_f32('[3.4028235e38]') = x'ffff7f7f';
SELECT 'f32 smallest subnormal', emb_f32('[1.401298464324817e-45]') = x'01000000';
SELECT 'f32 underflow to zero', emb_f32('[1e-50]') = x'00000000';
SELECT 'json of blob 0.1', emb_json(x'cdcccc3d') = '[0.1]';
SELECT 'json of json 0.1', emb_json('[0.1]') = '[0.1]';
SELECT 'json keeps doubles', emb_json('[0.30000000000000004]') = '[0.30000000000000004]';
SELECT 'json integral gets .0', emb_json('[ 1 , -2 ]') = '[1.0,-2.0]';
SELECT 'json exponent', emb_json('[1e20, 2.5E-7]') = '[1e+20,2.5e-07]';
SELECT 'json f32 2^24+1', emb_json(emb_f32('[16777217]')) = '[16777216.0]';
SELECT 'json f32 max', emb_json(x'ffff7f7f') = '[3.4028235e+38]';
SELECT 'json f32 subnormal', emb_json(x'01000000') = '[1e-45]';
SELECT 'json negative zero', emb_json(x'00000080') = '[-0.0]';
SELECT 'json double min', emb_json('[5e-324]') = '[5e-324]';
-- powers of two, whose gap below is half the gap above: the digits are
-- Python's repr() and numpy's float32 str(), the shortest that read back
SELECT 'json shortest 2^-24', emb_json('[5.9604644775390625e-08]') = '[5.960464477539063e-08]';
SELECT 'json shortest 2^149', emb_json('[7.1362384635297994e+44]') = '[7.1362384635298e+44]';
SELECT 'json f32 shortest 2^87', emb_json(x'0000006b') = '[1.5474251e+26]';
SELECT 'json round trip', emb_f32(emb_json(x'cdcccc3d0000c0bf1f85eb51')) = x'cdcccc3d0000c0bf1f85eb51';
SELECT 'json subtype nests', json_array(emb_json('[1]')) = '[[1.0]]';
SELECT 'f32 null', emb_f32(NULL) IS NULL;
SELECT 'json null', emb_json(NULL) IS NULL;
SELECT 'dims null', emb_dims(NULL) IS NULL;

-- error: emb_dims(): argument 1 is an INTEGER; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT emb_dims(1);
-- error: emb_json(): argument 1 is a REAL; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT emb_json(1.5);
-- error: emb_f32(): argument 1 is an empty BLOB; a float32 vector needs at least 4 bytes
SELECT emb_f32(x'');
-- error: emb_dims(): argument 1 is a 10-byte BLOB; a float32 vector needs a multiple of 4 bytes
SELECT emb_dims(x'00000000000000000000');
-- error: emb_dims(): argument 1 is an empty JSON array; expected at least one number
SELECT emb_dims('[ ]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 5 expected ',' or ']', found the end of the text
SELECT emb_dims('[1,2');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 4 expected a number, found ']'
SELECT emb_dims('[1,]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 1 expected '[', found '1'; write the numbers as a JSON array, such as '[0.1, 0.2]'
SELECT emb_dims('1,2');
-- error: svd_spectrum(): row 1 is not a JSON array of numbers: at character 1 expected '[', found '0'; write the numbers as a JSON array, such as '[0.1, 0.2]'
SELECT svd_spectrum('0.1 0.2');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 1 expected '[', found 'x'
SELECT emb_dims('x');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 1 expected '[', found the end of the text
SELECT emb_dims('');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 2 expected a number, found 'N'
SELECT emb_dims('[NaN]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 3 expected a digit, found 'I'
SELECT emb_dims('[-Infinity]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 3 expected ',' or ']', found '1'
SELECT emb_dims('[01]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 2 expected a number, found '.'
SELECT emb_dims('[.5]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 4 expected a digit, found ']'
SELECT emb_dims('[1.]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 4 expected a digit, found ']'
SELECT emb_dims('[1e]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 2 expected a number, found '+'
SELECT emb_dims('[+1]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 2 expected a number, found '['
SELECT emb_dims('[[1]]');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 5 expected nothing after ']', found 'x'
SELECT emb_dims('[1] x');
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 4 expected nothing after ']', found byte 0x00
SELECT emb_dims('[1]' || char(0));
-- error: emb_dims(): argument 1 is not a JSON array of numbers: at character 2 expected a number, found '"'
SELECT emb_dims('["1"]');
-- error: emb_dims(): argument 1 has 1e999 at element 2, beyond the range of a double; expected finite numbers
SELECT emb_dims('[0, 1e999]');
-- error: emb_dims(): argument 1 has NaN at element 1; expected finite numbers
SELECT emb_dims(x'0000c07f');
-- error: emb_json(): argument 1 has +Inf at element 2; expected finite numbers
SELECT emb_json(x'000000000000807f');
-- error: emb_f32(): argument 1 has -Inf at element 1; expected finite numbers
SELECT emb_f32(x'000080ff');
-- error: emb_f32(): argument 1 has 3.5e+38 at element 2, beyond the range of float32 (largest 3.4028235e+38)
SELECT emb_f32('[1, 3.5e38]');
