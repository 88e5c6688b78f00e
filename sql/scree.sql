-- scree.sql: a scree plot comparing a structured group (calendar words), a
-- semantic group (vehicles) and as many random words, on the bundled sample.
-- `make scree` writes its output to examples/scree.svg:
--   sqlite3 -cmd '.load ./dist/svd' build/demo.db < sql/scree.sql > examples/scree.svg
WITH groups AS (
  SELECT 1 AS pos, 'calendar (22 words)' AS label, e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'calendar'
  UNION ALL
  SELECT 2, 'vehicle (43 words)', e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'vehicle'
  UNION ALL
  SELECT 3, 'random (43 words)', vec FROM (
    SELECT e.vec FROM emb e JOIN words w USING(id) WHERE w.category = 'random' ORDER BY w.id LIMIT 43)
), spectra AS (
  SELECT pos, label, svd_spectrum(vec) AS spec FROM groups GROUP BY pos ORDER BY pos
)
SELECT svd_scree_svg(label, spec) FROM spectra;
