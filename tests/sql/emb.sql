-- emb_f32(X, TYPE): BLOBs of other element types, converted to float32.
-- Expected values are IEEE-754 bit patterns written out by hand (little-
-- endian): float64 1.0 is 3ff0000000000000, float16 1.0 is 3c00, bfloat16
-- 1.0 is 3f80, float32 1.0 is 3f800000. tests/reference_emb.py compares
-- every float16, bfloat16 and int8 value and random float64s with numpy.

-- float64: rounded to the nearest float32, ties to even
SELECT 'f64 one', emb_f32(x'000000000000f03f', 'f64') = x'0000803f';
SELECT 'f64 two values', emb_f32(x'000000000000f03f00000000000000c0', 'f64') = x'0000803f000000c0';
SELECT 'f64 rounds 0.1', emb_f32(x'9a9999999999b93f', 'f64') = x'cdcccc3d';
SELECT 'f64 tie to even down', emb_f32(x'000000100000f03f', 'f64') = x'0000803f';
SELECT 'f64 tie to even up', emb_f32(x'000000300000f03f', 'f64') = x'0200803f';
SELECT 'f64 float32 max', emb_f32(x'000000e0ffffef47', 'f64') = x'ffff7f7f';
SELECT 'f64 just under the rounding to inf', emb_f32(x'ffffffefffffef47', 'f64') = x'ffff7f7f';
SELECT 'f64 smallest subnormal', emb_f32(x'000000000000a036', 'f64') = x'01000000';
SELECT 'f64 underflows to zero', emb_f32(x'61552c24ce446236', 'f64') = x'00000000';
SELECT 'f64 negative zero', emb_f32(x'0000000000000080', 'f64') = x'00000080';
-- the trap it answers: float64 bytes read as float32 have twice the values
SELECT 'f64 bytes as f32 double d', emb_dims(x'000000000000f03f0000000000000040') = 4;
SELECT 'f64 bytes converted', emb_dims(emb_f32(x'000000000000f03f0000000000000040', 'f64')) = 2;

-- float16: exact
SELECT 'f16 one, minus two', emb_f32(x'003c00c0', 'f16') = x'0000803f000000c0';
SELECT 'f16 max 65504', emb_f32(x'ff7b', 'f16') = x'00e07f47';
SELECT 'f16 smallest subnormal 2^-24', emb_f32(x'0100', 'f16') = x'00008033';
SELECT 'f16 largest subnormal', emb_f32(x'ff03', 'f16') = x'00c07f38';
SELECT 'f16 negative zero', emb_f32(x'0080', 'f16') = x'00000080';

-- bfloat16: the top half of a float32
SELECT 'bf16 one', emb_f32(x'803f', 'bf16') = x'0000803f';
SELECT 'bf16 3.140625', emb_f32(x'4940', 'bf16') = x'00004940';
SELECT 'bf16 max', emb_f32(x'7f7f', 'bf16') = x'00007f7f';
SELECT 'bf16 subnormal', emb_f32(x'0180', 'bf16') = x'00000180';

-- int8: the same integers
SELECT 'i8 values', emb_f32(x'7f80ff00', 'i8') = x'0000fe42000000c3000080bf00000000';

-- float32: checked and returned as it is
SELECT 'f32 identity', emb_f32(x'cdcccc3d0000c0bf', 'f32') = x'cdcccc3d0000c0bf';
SELECT 'f32 identity of json', emb_f32('[1, 2]', 'f32') = x'0000803f00000040';

-- TYPE in any case; a JSON X keeps its values whatever TYPE says
SELECT 'type case', emb_f32(x'000000000000f03f', 'F64') = x'0000803f';
SELECT 'type case bf16', emb_f32(x'803f', 'BF16') = x'0000803f';
SELECT 'json ignores type', emb_f32('[1, 2]', 'i8') = x'0000803f00000040';
SELECT 'json ignores type f64', emb_f32('[0.1]', 'f64') = x'cdcccc3d';

-- NULL in either argument
SELECT 'null x', emb_f32(NULL, 'f64') IS NULL;
SELECT 'null type', emb_f32(x'00', NULL) IS NULL;

-- TYPE
-- error: emb_f32(): TYPE 'float64' is not an element type; expected 'f32', 'f64', 'f16', 'bf16' or 'i8'
SELECT emb_f32(x'000000000000f03f', 'float64');
-- error: emb_f32(): TYPE '' is not an element type; expected 'f32', 'f64', 'f16', 'bf16' or 'i8'
SELECT emb_f32('[1]', '');
-- error: emb_f32(): TYPE is 4 bytes of TEXT, not an element type; expected 'f32', 'f64', 'f16', 'bf16' or 'i8'
SELECT emb_f32(x'0000803f', 'f64' || char(10));
-- error: emb_f32(): TYPE is 33 bytes of TEXT, not an element type; expected 'f32', 'f64', 'f16', 'bf16' or 'i8'
SELECT emb_f32(x'0000803f', 'f64' || printf('%30s', ''));
-- error: emb_f32(): TYPE is 4 bytes of TEXT, not an element type; expected 'f32', 'f64', 'f16', 'bf16' or 'i8'
SELECT emb_f32(x'0000803f', 'f64' || char(0));
-- error: emb_f32(): TYPE is an INTEGER; expected 'f32', 'f64', 'f16', 'bf16' or 'i8' as TEXT
SELECT emb_f32(x'0000803f', 8);
-- error: emb_f32(): TYPE is a BLOB; expected 'f32', 'f64', 'f16', 'bf16' or 'i8' as TEXT
SELECT emb_f32(x'0000803f', x'663634');

-- X of another type
-- error: emb_f32(): argument 1 is an INTEGER; expected a float64 BLOB or a JSON array of numbers as TEXT
SELECT emb_f32(1, 'f64');
-- error: emb_f32(): argument 1 is a REAL; expected an int8 BLOB or a JSON array of numbers as TEXT
SELECT emb_f32(1.5, 'i8');
-- error: emb_f32(): argument 1 is a REAL; expected a float32 BLOB or a JSON array of numbers as TEXT
SELECT emb_f32(1.5, 'f32');

-- sizes
-- error: emb_f32(): argument 1 is an empty BLOB; a float64 vector needs at least 8 bytes
SELECT emb_f32(x'', 'f64');
-- error: emb_f32(): argument 1 is an empty BLOB; a float16 vector needs at least 2 bytes
SELECT emb_f32(x'', 'f16');
-- error: emb_f32(): argument 1 is an empty BLOB; a bfloat16 vector needs at least 2 bytes
SELECT emb_f32(x'', 'bf16');
-- error: emb_f32(): argument 1 is an empty BLOB; an int8 vector needs at least 1 byte
SELECT emb_f32(x'', 'i8');
-- error: emb_f32(): argument 1 is an empty BLOB; a float32 vector needs at least 4 bytes
SELECT emb_f32(x'', 'f32');
-- error: emb_f32(): argument 1 is a 12-byte BLOB; a float64 vector needs a multiple of 8 bytes
SELECT emb_f32(x'000000000000f03f0000803f', 'f64');
-- error: emb_f32(): argument 1 is a 3-byte BLOB; a float16 vector needs a multiple of 2 bytes
SELECT emb_f32(x'003c00', 'f16');
-- error: emb_f32(): argument 1 is a 5-byte BLOB; a bfloat16 vector needs a multiple of 2 bytes
SELECT emb_f32(x'803f803f80', 'bf16');
-- error: emb_f32(): argument 1 is a 6-byte BLOB; a float32 vector needs a multiple of 4 bytes
SELECT emb_f32(x'0000803f0000', 'f32');
-- error: emb_f32(): argument 1 is a 200000000-byte BLOB of 25000000 values; at most 16777216 dimensions are supported
SELECT emb_f32(zeroblob(200000000), 'f64');
-- error: emb_f32(): argument 1 is a 16777217-byte BLOB of 16777217 values; at most 16777216 dimensions are supported
SELECT emb_f32(zeroblob(16777217), 'i8');

-- NaN and Inf
-- error: emb_f32(): argument 1 has NaN at element 2; expected finite numbers
SELECT emb_f32(x'000000000000f03f000000000000f87f', 'f64');
-- error: emb_f32(): argument 1 has +Inf at element 1; expected finite numbers
SELECT emb_f32(x'000000000000f07f', 'f64');
-- error: emb_f32(): argument 1 has -Inf at element 1; expected finite numbers
SELECT emb_f32(x'000000000000f0ff', 'f64');
-- error: emb_f32(): argument 1 has NaN at element 3; expected finite numbers
SELECT emb_f32(x'003c003c007e', 'f16');
-- error: emb_f32(): argument 1 has +Inf at element 1; expected finite numbers
SELECT emb_f32(x'007c', 'f16');
-- error: emb_f32(): argument 1 has -Inf at element 2; expected finite numbers
SELECT emb_f32(x'003c00fc', 'f16');
-- error: emb_f32(): argument 1 has NaN at element 1; expected finite numbers
SELECT emb_f32(x'c07f', 'bf16');
-- error: emb_f32(): argument 1 has NaN at element 1; expected finite numbers
SELECT emb_f32(x'817f', 'bf16');
-- error: emb_f32(): argument 1 has -Inf at element 2; expected finite numbers
SELECT emb_f32(x'803f80ff', 'bf16');
-- error: emb_f32(): argument 1 has +Inf at element 1; expected finite numbers
SELECT emb_f32(x'0000807f', 'f32');

-- float64 beyond float32's range (after rounding)
-- error: emb_f32(): argument 1 has 1e+39 at element 1, beyond the range of float32 (largest 3.4028235e+38)
SELECT emb_f32(x'1d4a9cf487820748', 'f64');
-- error: emb_f32(): argument 1 has -1e+39 at element 2, beyond the range of float32 (largest 3.4028235e+38)
SELECT emb_f32(x'000000000000f03f1d4a9cf4878207c8', 'f64');
-- error: emb_f32(): argument 1 has 3.4028235677973366e+38 at element 1, beyond the range of float32 (largest 3.4028235e+38)
SELECT emb_f32(x'000000f0ffffef47', 'f64');
