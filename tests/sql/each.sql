-- svd_spectrum_each: every column on a spectrum whose ratios are known
-- exactly (3,2,1,0: energies 9,4,1,0 of 14), and every error message.

CREATE TABLE e AS SELECT * FROM svd_spectrum_each('[3, 2, 1, 0]');
SELECT 'rows', (SELECT count(*) FROM e) = 4;
SELECT 'k', (SELECT group_concat(k) FROM e) = '1,2,3,4';
SELECT 'sigma', (SELECT group_concat(sigma) FROM e) = '3.0,2.0,1.0,0.0';
SELECT 'energy', (SELECT group_concat(energy) FROM e) = '9.0,4.0,1.0,0.0';
SELECT 'ratio 1', abs((SELECT ratio FROM e WHERE k = 1) - 9.0/14) < 1e-15;
SELECT 'ratio 2', abs((SELECT ratio FROM e WHERE k = 2) - 4.0/14) < 1e-15;
SELECT 'ratio 4', (SELECT ratio FROM e WHERE k = 4) = 0.0;
SELECT 'cumulative 2', abs((SELECT cumulative FROM e WHERE k = 2) - 13.0/14) < 1e-15;
SELECT 'cumulative last', abs((SELECT cumulative FROM e WHERE k = 4) - 1) < 1e-15;
SELECT 'types', (SELECT group_concat(typeof(k) || typeof(sigma) || typeof(bar)) FROM e WHERE k = 1) = 'integerrealtext';
-- 40 cells for sigma_1; 40*2/3 = 26 5/8 cells; 40/3 = 13 3/8 cells; none for 0
SELECT 'bar 1', (SELECT bar FROM e WHERE k = 1) = replace(hex(zeroblob(40)), '00', '█');
SELECT 'bar 2', (SELECT bar FROM e WHERE k = 2) = replace(hex(zeroblob(26)), '00', '█') || '▋';
SELECT 'bar 3', (SELECT bar FROM e WHERE k = 3) = replace(hex(zeroblob(13)), '00', '█') || '▍';
SELECT 'bar 4', (SELECT bar FROM e WHERE k = 4) = '';
SELECT 'bar length', (SELECT length(bar) FROM e WHERE k = 2) = 27;
SELECT 'hidden column', (SELECT spectrum FROM svd_spectrum_each('[1,2]') LIMIT 1) = '[1,2]';
SELECT 'star hides spectrum', (SELECT count(*) FROM pragma_table_xinfo('svd_spectrum_each') WHERE hidden) = 1;
SELECT 'all zero: ratio null', (SELECT count(*) FROM svd_spectrum_each('[0, 0]') WHERE ratio IS NULL AND cumulative IS NULL AND bar = '') = 2;
SELECT 'null gives no rows', (SELECT count(*) FROM svd_spectrum_each(NULL)) = 0;
SELECT 'where with or', (SELECT group_concat(k) FROM svd_spectrum_each('[4,3,2,1]') WHERE k <= 1 OR k >= 4) = '1,4';
SELECT 'where filters', (SELECT group_concat(k) FROM svd_spectrum_each('[4,3,2,1]') WHERE k <= 2) = '1,2';
SELECT 'from svd_spectrum', (SELECT group_concat(sigma) FROM svd_spectrum_each(
         (SELECT svd_spectrum(v, 'center=false') FROM (SELECT '[3,4]' AS v)))) = '5.0';

-- extreme scales: ratio and cumulative come from the values scaled by a
-- power of two, so they are those of '[10, 1]' (100/101 and 1/101) whether
-- sigma^2 underflows or overflows; energy is sigma^2 as a double: 0.0 below
-- 1.57e-162 (here 1e-340), Inf above 1.34e154 (9e999 is SQLite's Inf)
CREATE TABLE tiny AS SELECT * FROM svd_spectrum_each('[1e-170, 1e-171]');
SELECT 'tiny ratio', abs((SELECT ratio FROM tiny WHERE k = 1) - 100.0/101) < 1e-15
                     AND abs((SELECT ratio FROM tiny WHERE k = 2) - 1.0/101) < 1e-17;
SELECT 'tiny cumulative', abs((SELECT cumulative FROM tiny WHERE k = 1) - 100.0/101) < 1e-15
                          AND (SELECT cumulative FROM tiny WHERE k = 2) = 1.0;
SELECT 'tiny energy', (SELECT group_concat(energy) FROM tiny) = '0.0,0.0';
CREATE TABLE huge AS SELECT * FROM svd_spectrum_each('[1e160, 1e159]');
SELECT 'huge ratio', abs((SELECT ratio FROM huge WHERE k = 1) - 100.0/101) < 1e-15
                     AND abs((SELECT ratio FROM huge WHERE k = 2) - 1.0/101) < 1e-17;
SELECT 'huge cumulative', abs((SELECT cumulative FROM huge WHERE k = 1) - 100.0/101) < 1e-15
                          AND (SELECT cumulative FROM huge WHERE k = 2) = 1.0;
SELECT 'huge energy is Inf', (SELECT count(*) FROM huge WHERE energy = 1e308 * 10 AND typeof(energy) = 'real') = 2;
SELECT 'single 1e200', (SELECT ratio = 1.0 AND cumulative = 1.0 AND energy = 1e308 * 10 AND abs(sigma / 1e200 - 1) < 1e-15
                        FROM svd_spectrum_each('[1e200]'));
SELECT 'largest double', (SELECT group_concat(ratio) FROM svd_spectrum_each('[1.7976931348623157e308, 0]')) = '1.0,0.0';
-- what svd_spectrum returns for rows near 1e200: ratios as computed on the
-- values divided by sigma_1 in SQL
CREATE TABLE big AS SELECT svd_spectrum(v) AS spec FROM (SELECT '[1e200, 3e200]' AS v
       UNION ALL SELECT '[-2e200, 1e200]' UNION ALL SELECT '[5e199, -1e200]');
CREATE TABLE bige AS SELECT x.* FROM big, svd_spectrum_each(big.spec) AS x;
SELECT 'from 1e200 rows', (SELECT count(*) FROM bige) = 2
       AND (SELECT abs(a.ratio - 1/(1 + (b.sigma/a.sigma)*(b.sigma/a.sigma))) < 1e-15
                   AND abs(b.ratio - (b.sigma/a.sigma)*(b.sigma/a.sigma)/(1 + (b.sigma/a.sigma)*(b.sigma/a.sigma))) < 1e-15
                   AND b.cumulative = 1.0
            FROM bige AS a, bige AS b WHERE a.k = 1 AND b.k = 2);

-- one spectrum per group, joined laterally
CREATE TABLE g(cat TEXT, v TEXT);
INSERT INTO g VALUES ('a', '[3,0]'), ('a', '[-3,0]'), ('a', '[0,1]'), ('a', '[0,-1]'),
                     ('b', '[1,1]'), ('b', '[-1,-1]');
SELECT 'lateral rows', (SELECT count(*) FROM (SELECT cat, svd_spectrum(v) AS spec FROM g GROUP BY cat) AS s,
                        svd_spectrum_each(s.spec) AS x) = 4;
SELECT 'lateral ratio', (SELECT round(x.ratio, 12) FROM (SELECT cat, svd_spectrum(v) AS spec FROM g GROUP BY cat) AS s,
                        svd_spectrum_each(s.spec) AS x WHERE s.cat = 'a' AND x.k = 1) = 0.9;

-- error: svd_spectrum_each(): missing argument; expected svd_spectrum_each(SPECTRUM), a JSON array such as svd_spectrum() returns
SELECT * FROM svd_spectrum_each;
-- error: svd_spectrum_each(): SPECTRUM is an INTEGER; expected a JSON array of non-negative numbers as TEXT
SELECT * FROM svd_spectrum_each(3);
-- error: svd_spectrum_each(): SPECTRUM is a BLOB; expected a JSON array of non-negative numbers as TEXT
SELECT * FROM svd_spectrum_each(x'0000803f');
-- error: svd_spectrum_each(): SPECTRUM is not a JSON array of numbers: at character 5 expected ',' or ']', found the end of the text
SELECT * FROM svd_spectrum_each('[1,2');
-- error: svd_spectrum_each(): SPECTRUM is an empty JSON array; expected at least one number
SELECT * FROM svd_spectrum_each('[]');
-- error: svd_spectrum_each(): SPECTRUM has -1.0 at element 2; expected non-negative numbers
SELECT * FROM svd_spectrum_each('[3, -1]');
-- error: svd_spectrum_each(): SPECTRUM has 1e400 at element 1, beyond the range of a double; expected finite numbers
SELECT * FROM svd_spectrum_each('[1e400]');
