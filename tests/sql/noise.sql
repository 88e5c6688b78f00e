-- svd_noise_threshold and svd_signal_rank on spectra whose answers are known
-- exactly or from the paper, and every error message. The comparison with
-- numpy/scipy on low-rank-plus-noise matrices is tests/reference_noise.py.
--
-- A spectrum of ones has median 1, so its threshold is omega(beta) itself.

-- beta = 1 in closed form: the Marchenko-Pastur law of ratio 1 has, in the
-- angle phi with t = 4 sin^2(phi/2), the distribution function
-- (phi + sin phi)/pi, so its median is 4 sin^2(phi/2) where phi + sin phi =
-- pi/2 (solved here by Newton's method), and lambda(1) = 4/sqrt(3)
CREATE TEMP TABLE beta1 AS
  WITH RECURSIVE newton(i, phi) AS (
    SELECT 0, 0.8
    UNION ALL
    SELECT i+1, phi - (phi + sin(phi) - pi()/2)/(1 + cos(phi)) FROM newton WHERE i < 8)
  SELECT (4/sqrt(3))/(2*sin(phi/2)) AS omega FROM newton WHERE i = 8;
SELECT 'omega(1) closed form', abs(svd_noise_threshold('[1,1,1]', 3, 3, 'center=false')/(SELECT omega FROM beta1) - 1) < 1e-14;
SELECT 'omega(1) is the paper''s 2.858', abs(svd_noise_threshold('[1]', 1, 1, 'center=false') - 2.858) < 5e-4;
-- centered: 4 rows of 4 are a 3 x 4 matrix, beta = 3/4; 5 rows of 4 are 4 x 4
SELECT 'omega(1) centered', abs(svd_noise_threshold('[1,1,1,1]', 5, 4)/(SELECT omega FROM beta1) - 1) < 1e-14;
-- the paper's fit 0.56 b^3 - 0.95 b^2 + 1.82 b + 1.43, good to about 0.02
SELECT 'omega(0.1) near the fit', abs(svd_noise_threshold('[1,1]', 2, 20, 'center=false') - 1.60306) < 0.02;
SELECT 'omega(0.25) near the fit', abs(svd_noise_threshold('[1,1,1,1,1]', 20, 5, 'center=false') - 1.834375) < 0.02;
SELECT 'omega(0.5) near the fit', abs(svd_noise_threshold('[1,1,1,1,1,1]', 6, 10) - 2.1725) < 0.02;
SELECT 'omega(0.75) near the fit', abs(svd_noise_threshold('[1,1,1,1]', 4, 4) - 2.496875) < 0.02;
-- beta -> 0: lambda -> sqrt(2), the median -> 1
SELECT 'omega(1e-9) near sqrt(2)', abs(svd_noise_threshold('[1]', 1, 1000000000, 'center=false') - sqrt(2)) < 1e-8;

-- rule 2: centered with N <= D, the smallest value is left out of the median
-- (4 rows of 10: a 3 x 10 matrix, median of [3,2,1] = 2)
SELECT 'centered drops the structural zero',
  abs(svd_noise_threshold('[3,2,1,0]', 4, 10) - 2*svd_noise_threshold('[1,1,1]', 3, 10, 'center=false')) < 1e-15;
SELECT 'centered N > D keeps every value',
  abs(svd_noise_threshold('[3,2,1]', 11, 3) - 2*svd_noise_threshold('[1,1,1]', 10, 3, 'center=false')) < 1e-15;
SELECT 'raw keeps every value',
  abs(svd_noise_threshold('[3,2,1,0]', 4, 10, 'center=false') - 1.5*svd_noise_threshold('[1,1,1,1]', 4, 10, 'center=false')) < 1e-15;
SELECT 'center=true is the default',
  svd_noise_threshold('[3,2,1,0]', 4, 10, 'center=true') = svd_noise_threshold('[3,2,1,0]', 4, 10)
  AND svd_noise_threshold('[3,2,1,0]', 4, 10, NULL) = svd_noise_threshold('[3,2,1,0]', 4, 10)
  AND svd_noise_threshold('[3,2,1,0]', 4, 10, '') = svd_noise_threshold('[3,2,1,0]', 4, 10);
-- rule 3: the median of an even count is the mean of the middle two, and
-- the order of SPECTRUM does not matter
SELECT 'even median', abs(svd_noise_threshold('[8,3,2,1]', 4, 4, 'center=false') - 2.5*svd_noise_threshold('[1,1,1,1]', 4, 4, 'center=false')) < 1e-15;
SELECT 'unsorted', svd_noise_threshold('[1,8,2,3]', 4, 4, 'center=false') = svd_noise_threshold('[8,3,2,1]', 4, 4, 'center=false');
-- 2 x 20: omega(0.1) = 1.6 < 2, so the threshold is a double although the
-- sum of the two middle values is not
SELECT 'even median without overflow', abs(svd_noise_threshold('[1e308,1e308]', 2, 20, 'center=false') / 1e308
  - svd_noise_threshold('[1,1]', 2, 20, 'center=false')) < 1e-15;

-- rule 4: the count of kept values above the threshold
-- (omega(1) * median 1 = 2.86: only 10 and 3 of [10,3,1,1,1] are above)
SELECT 'rank raw', svd_signal_rank('[10,3,1,1,1]', 5, 5, 'center=false') = 2;
SELECT 'rank unsorted', svd_signal_rank('[1,1,10,1,3]', 5, 5, 'center=false') = 2;
SELECT 'rank centered', svd_signal_rank('[10,9,1,1,1,0]', 6, 6) = 2;
SELECT 'rank of one value is 0', svd_signal_rank('[5]', 1, 7, 'center=false') = 0
                                 AND svd_signal_rank('[5, 0]', 2, 7) = 0;
SELECT 'zeros', svd_signal_rank('[0,0,0]', 3, 4) = 0 AND svd_noise_threshold('[0,0,0]', 3, 4) = 0.0;
SELECT 'zero median', svd_signal_rank('[4,2,0,0,0]', 5, 5, 'center=false') = 2;
-- a threshold beyond double's range still counts (no value is above it)
SELECT 'rank of huge values', svd_signal_rank('[1e308,1e308,1e308]', 3, 3, 'center=false') = 0;
SELECT 'types', typeof(svd_signal_rank('[1,1]', 2, 2, 'center=false')) = 'integer'
                AND typeof(svd_noise_threshold('[1,1]', 2, 2, 'center=false')) = 'real';

-- rule 5: NULL
SELECT 'null gives null',
  svd_signal_rank(NULL, 3, 3) IS NULL AND svd_signal_rank('[1,1,1]', NULL, 3) IS NULL
  AND svd_signal_rank('[1,1,1]', 3, NULL) IS NULL AND svd_noise_threshold(NULL, 3, 3, 'center=false') IS NULL
  AND svd_noise_threshold('[1,1,1]', NULL, 3) IS NULL AND svd_noise_threshold('[1,1,1]', 3, NULL) IS NULL;
SELECT 'one centered row gives null', svd_signal_rank('[0.0]', 1, 5) IS NULL AND svd_noise_threshold('[0.0]', 1, 5) IS NULL;
SELECT 'of svd_spectrum', (SELECT svd_signal_rank(svd_spectrum(v), count(v), 3) FROM
  (SELECT '[1,0,0]' AS v UNION ALL SELECT '[0,1,0]' UNION ALL SELECT '[0,0,1]')) = 0;

-- error: svd_signal_rank(): N is -3; expected a positive INTEGER, the number of rows
SELECT svd_signal_rank('[1,1]', -3, 2);
-- error: svd_signal_rank(): N is 0; expected a positive INTEGER, the number of rows
SELECT svd_signal_rank('[1,1]', 0, 2);
-- error: svd_noise_threshold(): N is a REAL, 2.5; expected a positive INTEGER, the number of rows
SELECT svd_noise_threshold('[1,1]', 2.5, 2);
-- error: svd_noise_threshold(): N is a REAL, 2.0; expected a positive INTEGER, the number of rows
SELECT svd_noise_threshold('[1,1]', 2.0, 2);
-- error: svd_signal_rank(): N is TEXT '3'; expected a positive INTEGER, the number of rows
SELECT svd_signal_rank('[1,1]', '3', 2);
-- error: svd_signal_rank(): D is -1; expected a positive INTEGER, the number of dimensions
SELECT svd_signal_rank('[1,1]', 2, -1);
-- error: svd_noise_threshold(): D is a BLOB; expected a positive INTEGER, the number of dimensions
SELECT svd_noise_threshold('[1,1]', 2, x'02');
-- error: svd_noise_threshold(): D is TEXT; expected a positive INTEGER, the number of dimensions
SELECT svd_noise_threshold('[1,1]', 2, 'two');
-- error: svd_signal_rank(): SPECTRUM has 2 values; expected min(N, D) = 3 for N = 3 rows of D = 5 dimensions, as svd_spectrum() returns
SELECT svd_signal_rank('[1,1]', 3, 5);
-- error: svd_noise_threshold(): SPECTRUM has 4 values; expected min(N, D) = 3 for N = 10 rows of D = 3 dimensions, as svd_spectrum() returns
SELECT svd_noise_threshold('[4,3,2,1]', 10, 3, 'center=false');
-- error: svd_signal_rank(): unknown option 'method'; expected center=true|false
SELECT svd_signal_rank('[1,1]', 2, 2, 'method=exact');
-- error: svd_noise_threshold(): option center=no; expected center=true or center=false
SELECT svd_noise_threshold('[1,1]', 2, 2, 'center=no');
-- error: svd_signal_rank(): OPTIONS is an INTEGER; expected TEXT such as 'center=false'
SELECT svd_signal_rank('[1,1]', 2, 2, 0);
-- error: svd_signal_rank(): SPECTRUM has -1.0 at element 2; expected non-negative numbers
SELECT svd_signal_rank('[1,-1]', 2, 2);
-- error: svd_noise_threshold(): SPECTRUM is an INTEGER; expected a JSON array of non-negative numbers as TEXT
SELECT svd_noise_threshold(1, 1, 1);
-- error: svd_noise_threshold(): SPECTRUM is an empty JSON array; expected at least one number
SELECT svd_noise_threshold('[]', 1, 1);
-- error: svd_noise_threshold(): the threshold, omega(beta) = 2.858 times the median 1e+308, is beyond the range of a double; expected a median below 6.29e+307
SELECT svd_noise_threshold('[1e308,1e308,1e308]', 3, 3, 'center=false');
