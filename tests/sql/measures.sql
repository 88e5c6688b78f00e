-- svd_effective_rank, svd_participation_ratio, svd_components_for on
-- spectra whose measures are known exactly: k equal non-zero values give
-- k for both ratios, a single non-zero value gives 1. numpy comparisons
-- are in tests/reference.py.

SELECT 'erank 3 equal', abs(svd_effective_rank('[1, 1, 1, 0]') - 3) < 1e-14;
SELECT 'erank 5 equal scaled', abs(svd_effective_rank('[7e200, 7e200, 7e200, 7e200, 7e200]') - 5) < 1e-13;
SELECT 'erank single', svd_effective_rank('[4.5, 0, 0]') = 1.0;
SELECT 'erank two unequal', abs(svd_effective_rank('[3, 1]') - exp(-(0.75*ln(0.75) + 0.25*ln(0.25)))) < 1e-14;
SELECT 'pr 3 equal', abs(svd_participation_ratio('[2, 2, 2, 0, 0]') - 3) < 1e-14;
SELECT 'pr single', svd_participation_ratio('[1e-300]') = 1.0;
SELECT 'pr huge values', abs(svd_participation_ratio('[1e300, 1e300]') - 2) < 1e-14;
-- (9+1)^2 / (81+1)
SELECT 'pr two unequal', abs(svd_participation_ratio('[3, 1]') - 100.0/82) < 1e-14;
SELECT 'components 0.9', svd_components_for('[3, 2, 1, 0]', 0.9) = 2;
SELECT 'components 0.5', svd_components_for('[3, 2, 1, 0]', 0.5) = 1;
SELECT 'components 1 stops at last non-zero', svd_components_for('[3, 2, 1, 0, 0]', 1) = 3;
SELECT 'components exact boundary', svd_components_for('[1, 1, 1, 1]', 0.5) = 2;
SELECT 'components tiny fraction', svd_components_for('[1, 1]', 1e-300) = 1;
SELECT 'components integer 1', svd_components_for('[2, 1]', 1) = 2;
-- the rule holds exactly (exact rational arithmetic, tests/reference.py
-- checks it on near ties): FRACTION = 1 stops at the last non-zero value
-- however small the tail, ties count as reached, and a FRACTION that rounds
-- above or below a ratio is judged as the double it is
SELECT 'components 1 tiny tail', svd_components_for('[3, 2, 1e-9, 0]', 1) = 3;
SELECT 'components 1 underflowing tail', svd_components_for('[1, 1e-200]', 1) = 2;
SELECT 'components 1 after zeros', svd_components_for('[1, 0, 1e-300, 0]', 1) = 3;
SELECT 'components 1 huge', svd_components_for('[1e300, 1e150, 0]', 1) = 2;
SELECT 'components tie 0.5', svd_components_for('[1, 1]', 0.5) = 1;
SELECT 'components tie 0.25', svd_components_for('[1e-200, 1e-200, 1e-200, 1e-200]', 0.25) = 1;
SELECT 'components 0.64 is above 16/25', svd_components_for('[4, 3]', 0.64) = 2;
SELECT 'components 0.36 is below 9/25', svd_components_for('[3, 4]', 0.36) = 1;
-- 1 - 2^-53 against tails of 2^-54 and 2^-52 of the total (computed, not a
-- decimal literal: SQLite parses literals in long double, which valgrind
-- emulates in double, off by an ulp)
SELECT 'components 1-2^-53 reached', svd_components_for('[1, 7.450580596923828e-09]', 1.0 - 1.0/9007199254740992) = 1;
SELECT 'components 1-2^-53 not reached', svd_components_for('[1, 1.4901161193847656e-08]', 1.0 - 1.0/9007199254740992) = 2;
SELECT 'zeros give null', svd_effective_rank('[0, 0]') IS NULL AND svd_participation_ratio('[0]') IS NULL
                          AND svd_components_for('[0, 0]', 0.5) IS NULL;
SELECT 'null gives null', svd_effective_rank(NULL) IS NULL AND svd_participation_ratio(NULL) IS NULL
                          AND svd_components_for(NULL, 0.5) IS NULL AND svd_components_for('[1]', NULL) IS NULL;
SELECT 'of svd_spectrum', (SELECT svd_effective_rank(svd_spectrum(v)) FROM
                           (SELECT '[1,0,0]' AS v UNION ALL SELECT '[0,1,0]' UNION ALL SELECT '[0,0,1]')) BETWEEN 2 - 1e-14 AND 2 + 1e-14;

-- error: svd_effective_rank(): SPECTRUM is an INTEGER; expected a JSON array of non-negative numbers as TEXT
SELECT svd_effective_rank(3);
-- error: svd_participation_ratio(): SPECTRUM is not a JSON array of numbers: at character 3 expected ',' or ']', found the end of the text
SELECT svd_participation_ratio('[1');
-- error: svd_participation_ratio(): SPECTRUM has -2.0 at element 1; expected non-negative numbers
SELECT svd_participation_ratio('[-2]');
-- error: svd_components_for(): SPECTRUM is a BLOB; expected a JSON array of non-negative numbers as TEXT
SELECT svd_components_for(x'00', 0.5);
-- error: svd_components_for(): SPECTRUM is an empty JSON array; expected at least one number
SELECT svd_components_for('[]', 0.5);
-- error: svd_components_for(): FRACTION is 0.0; expected a number with 0 < FRACTION <= 1
SELECT svd_components_for('[1]', 0);
-- error: svd_components_for(): FRACTION is 1.5; expected a number with 0 < FRACTION <= 1
SELECT svd_components_for('[1]', 1.5);
-- error: svd_components_for(): FRACTION is -0.5; expected a number with 0 < FRACTION <= 1
SELECT svd_components_for('[1]', -0.5);
-- error: svd_components_for(): FRACTION is TEXT; expected a number with 0 < FRACTION <= 1
SELECT svd_components_for('[1]', '0.5');
