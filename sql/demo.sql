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

.print
.print == 8. Which groups are more structured than chance? ==
.print Each group next to 100 groups of the same size drawn from the whole sample
.print (deterministic pseudo-random draws): top1 and effective rank, their chance means, and how
.print many chance standard deviations away the group is (z). signal = singular
.print values above the Gavish-Donoho noise threshold (svd_signal_rank).
WITH RECURSIVE draw(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM draw WHERE k < 100),
cat AS (
  SELECT w.category, count(*) AS n, svd_spectrum(e.vec) AS spec
  FROM emb e JOIN words w USING(id) WHERE w.category <> 'random' GROUP BY w.category
),
shuffled AS (
  SELECT d.k, e.vec,
         row_number() OVER (PARTITION BY d.k ORDER BY ((e.id * 2654435761 + d.k * 40503) % 1000003)
                                              * ((e.id * 2654435761 + d.k * 40503) % 1000003) % 1000003, e.id) AS r
  FROM draw d, emb e
),
chance AS (
  SELECT c.category, s.k, svd_spectrum(s.vec) AS spec
  FROM cat c JOIN shuffled s ON s.r <= c.n GROUP BY c.category, s.k
),
m AS (
  SELECT category,
         (SELECT value*value FROM json_each(spec) WHERE key = 0) / (SELECT sum(value*value) FROM json_each(spec)) AS top1,
         svd_effective_rank(spec) AS erank,
         svd_signal_rank(spec, (SELECT n FROM cat WHERE cat.category = chance.category), 100) AS signal
  FROM chance
),
stats AS (
  SELECT category, avg(top1) AS t_mean, sqrt(avg(top1*top1) - avg(top1)*avg(top1)) AS t_sd,
         avg(erank) AS e_mean, sqrt(avg(erank*erank) - avg(erank)*avg(erank)) AS e_sd,
         avg(signal) AS s_mean
  FROM m GROUP BY category
)
SELECT c.category, c.n,
       round((SELECT value*value FROM json_each(c.spec) WHERE key = 0) / (SELECT sum(value*value) FROM json_each(c.spec)), 3) AS top1,
       round(s.t_mean, 3) AS chance_top1,
       round(((SELECT value*value FROM json_each(c.spec) WHERE key = 0) / (SELECT sum(value*value) FROM json_each(c.spec)) - s.t_mean) / s.t_sd, 1) AS z_top1,
       round(svd_effective_rank(c.spec), 1) AS erank, round(s.e_mean, 1) AS chance_erank,
       round((svd_effective_rank(c.spec) - s.e_mean) / s.e_sd, 1) AS z_erank,
       svd_signal_rank(c.spec, c.n, 100) AS signal, round(s.s_mean, 1) AS chance_signal
FROM cat c JOIN stats s USING(category) ORDER BY z_erank;

.print
.print == 9. Which groups share directions? ==
.print The principal angles between two groups' top-3 subspaces (svd_angles), the
.print six closest pairs; then, for scale, the first angle between the top-3
.print subspaces of two groups of 40 words drawn at random (mean of 20 pairs).
.print Random groups meet at a smaller angle than any two categories: they share
.print the whole vocabulary's dominant directions (section 10), which a category's
.print own structure displaces. No pair of categories shares a direction beyond that.
WITH b AS (
  SELECT w.category, svd_basis(e.vec, 3) AS basis
  FROM emb e JOIN words w USING(id) WHERE w.category <> 'random' GROUP BY w.category
), pairs AS (
  SELECT x.category AS a, y.category AS b, svd_angles(x.basis, y.basis) AS ang
  FROM b x JOIN b y ON x.category < y.category
)
SELECT a, b, round(json_extract(ang, '$[0]') * 57.29577951308232, 1) AS angle1_deg,
       round(json_extract(ang, '$[1]') * 57.29577951308232, 1) AS angle2_deg,
       round(json_extract(ang, '$[2]') * 57.29577951308232, 1) AS angle3_deg
FROM pairs ORDER BY angle1_deg LIMIT 6;

WITH RECURSIVE draw(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM draw WHERE k < 40),
shuffled AS (
  SELECT d.k, e.vec,
         row_number() OVER (PARTITION BY d.k ORDER BY ((e.id * 2654435761 + d.k * 40503) % 1000003)
                                              * ((e.id * 2654435761 + d.k * 40503) % 1000003) % 1000003, e.id) AS r
  FROM draw d, emb e
), g AS (SELECT k, svd_basis(vec, 3) AS basis FROM shuffled WHERE r <= 40 GROUP BY k)
SELECT 'two random groups of 40' AS pair,
       round(avg(json_extract(svd_angles(x.basis, y.basis), '$[0]')) * 57.29577951308232, 1) AS mean_angle1_deg
FROM g x JOIN g y ON y.k = x.k + 1 WHERE x.k % 2 = 1;

.print
.print == 10. All-but-the-top: the vocabulary made more isotropic ==
.print Mu & Viswanath (2018): remove the vocabulary's mean and its top 3 directions
.print from every vector (svd_residual). The first direction's share of the energy
.print falls (top1_raw: uncentered, as cosine similarity sees the vectors), and
.print CKA says how much of the vectors' geometry the change leaves. The effective
.print rank falls a little too: 3 of the 100 directions are now empty.
WITH b AS (SELECT svd_basis(vec, 3) AS basis FROM emb),
abtt AS (SELECT e.vec AS before, svd_residual(b.basis, e.vec) AS after FROM emb e, b),
s AS (SELECT 'before' AS vectors, svd_spectrum(before, 'center=false') AS raw,
             svd_spectrum(before) AS centered, NULL AS cka FROM abtt
      UNION ALL
      SELECT 'all-but-the-top 3', svd_spectrum(after, 'center=false'), svd_spectrum(after),
             svd_cka(before, after) FROM abtt)
SELECT vectors,
       round((SELECT value*value FROM json_each(raw) WHERE key = 0) / (SELECT sum(value*value) FROM json_each(raw)), 3) AS top1_raw,
       round((SELECT value*value FROM json_each(centered) WHERE key = 0) / (SELECT sum(value*value) FROM json_each(centered)), 3) AS top1,
       round(svd_effective_rank(raw), 1) AS erank_raw, round(svd_effective_rank(centered), 1) AS erank,
       round(cka, 3) AS cka_with_before
FROM s;
