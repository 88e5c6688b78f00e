-- demo.sql: what svd_spectrum shows on real word embeddings.
-- Run by `make demo` in the sqlite3 shell on the bundled sample
-- (examples/sample.sql: 100-d GloVe vectors of 13 word groups plus 300
-- words drawn at random), with the extension loaded.
.mode box
.headers on

.print
.print == 1. Every group's spectrum in one line ==
.print n = words in the group; top1 / top3 = share of the variance along the
.print first direction / first three; k90 = directions needed for 90%.
.print A structured group puts more in its first directions than random words do.
WITH spec AS (
  SELECT w.category, count(*) AS n, svd_spectrum(e.vec) AS s
  FROM emb e JOIN words w USING(id) GROUP BY w.category
)
SELECT spec.category, spec.n,
       round((SELECT ratio FROM svd_spectrum_each(spec.s) WHERE k = 1), 3) AS top1,
       round((SELECT cumulative FROM svd_spectrum_each(spec.s) WHERE k = 3), 3) AS top3,
       (SELECT min(k) FROM svd_spectrum_each(spec.s) WHERE cumulative >= 0.9) AS k90
FROM spec ORDER BY top1 DESC;

.print
.print == 2. The vehicle group, direction by direction ==
.print A scree plot on its side: sigma_k, its share of the variance, and a bar
.print scaled to sigma_1. With n <= d rows the last value is 0: centering
.print takes away one dimension.
SELECT k, round(sigma, 4) AS sigma, round(ratio, 4) AS ratio,
       round(cumulative, 3) AS cumulative, bar
FROM svd_spectrum_each((SELECT svd_spectrum(e.vec) FROM emb e JOIN words w USING(id)
                        WHERE w.category = 'vehicle'));

.print
.print == 3. Vehicles next to as many random words ==
.print The first 10 directions of each, bars scaled to each group's own sigma_1.
.print Vehicles drop faster than the random words, whose spectrum slopes gently.
WITH vehicle AS (
  SELECT svd_spectrum(e.vec) AS s FROM emb e JOIN words w USING(id) WHERE w.category = 'vehicle'
), random AS (
  SELECT svd_spectrum(vec) AS s FROM (
    SELECT e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'random' ORDER BY w.id
    LIMIT (SELECT count(*) FROM words WHERE category = 'vehicle'))
)
SELECT v.k, round(v.ratio, 3) AS vehicle_ratio, v.bar AS vehicle,
       round(r.ratio, 3) AS random_ratio, r.bar AS random
FROM vehicle, random, svd_spectrum_each(vehicle.s) AS v
JOIN svd_spectrum_each(random.s) AS r ON r.k = v.k
WHERE v.k <= 10;

.print
.print == 4. The same two groups without centering (center=false) ==
.print Uncentered, sigma_1 is mostly the group's shared mean: the direction all
.print the words share (a common offset in GloVe space). 'mean share' is the
.print part of all the energy that centering removes, n*|mean|^2 / sum |x|^2.
WITH g AS (
  SELECT 'vehicle' AS grp, e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'vehicle'
  UNION ALL
  SELECT 'random', vec FROM (
    SELECT e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'random' ORDER BY w.id
    LIMIT (SELECT count(*) FROM words WHERE category = 'vehicle'))
), spec AS (
  SELECT grp, svd_spectrum(vec) AS centered, svd_spectrum(vec, 'center=false') AS raw
  FROM g GROUP BY grp
)
SELECT grp,
       round(json_extract(raw, '$[0]'), 3) AS raw_sigma1,
       round(json_extract(raw, '$[1]'), 3) AS raw_sigma2,
       round(json_extract(centered, '$[0]'), 3) AS centered_sigma1,
       round(1 - (SELECT sum(energy) FROM svd_spectrum_each(centered))
               / (SELECT sum(energy) FROM svd_spectrum_each(raw)), 3) AS mean_share
FROM spec ORDER BY grp DESC;

.print
.print == 5. Reading each spectrum: effective rank and participation ratio ==
.print erank = exp(entropy of sigma_i / sum sigma): how many directions the group
.print really uses; pr = (sum sigma^2)^2 / sum sigma^4, the same idea weighted
.print by variance. Both are out of 'dims' = min(n - 1, 100) possible directions.
WITH spec AS (
  SELECT w.category, count(*) AS n, svd_spectrum(e.vec) AS s
  FROM emb e JOIN words w USING(id) GROUP BY w.category
)
SELECT category, n, min(n - 1, 100) AS dims,
       round(svd_effective_rank(s), 1) AS erank,
       round(svd_participation_ratio(s), 1) AS pr,
       round(json_extract(s, '$[0]') * json_extract(s, '$[0]')
             / (SELECT sum(energy) FROM svd_spectrum_each(s)), 3) AS top1
FROM spec ORDER BY top1 DESC;

.print
.print == 6. What the vehicle group's first direction means ==
.print svd_basis keeps the group's mean and top directions; svd_coord places each
.print word along direction 1. The words at the two ends show what it separates.
WITH b AS (
  SELECT svd_basis(e.vec, 2) AS basis FROM emb e JOIN words w USING(id) WHERE w.category = 'vehicle'
), placed AS (
  SELECT w.word, round(svd_coord(b.basis, e.vec, 1), 3) AS pc1,
         row_number() OVER (ORDER BY svd_coord(b.basis, e.vec, 1) DESC) AS top,
         row_number() OVER (ORDER BY svd_coord(b.basis, e.vec, 1)) AS bottom
  FROM emb e JOIN words w USING(id), b WHERE w.category = 'vehicle'
)
SELECT CASE WHEN top <= 6 THEN 'high end' ELSE 'low end' END AS side, word, pc1
FROM placed WHERE top <= 6 OR bottom <= 6 ORDER BY pc1 DESC;

.print
.print == 7. The random words' spectrum as rarer words join ==
.print A running window, OVER (ORDER BY freq_rank), gives each word the spectrum of
.print itself and every more frequent random word. Its effective rank climbs
.print toward the 100 dimensions: random words fill new directions as they come.
SELECT n, freq_rank, word, round(erank, 2) AS erank FROM (
  SELECT row_number() OVER (ORDER BY w.freq_rank) AS n, w.freq_rank, w.word,
         svd_effective_rank(svd_spectrum(e.vec) OVER (ORDER BY w.freq_rank)) AS erank
  FROM emb e JOIN words w USING(id) WHERE w.category = 'random'
) WHERE n IN (10, 25, 50, 100, 200, 300);
