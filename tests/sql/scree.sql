-- svd_scree_svg: the aggregate's rules and every error message. The drawing
-- itself (well-formed XML, one path per series, where the points land, a
-- PNG render) is checked in tests/scree.py.

SELECT 'text', typeof((SELECT svd_scree_svg('a', '[3, 2, 1]'))) = 'text';
SELECT 'starts as xml', (SELECT svd_scree_svg('a', '[3, 2, 1]')) LIKE '<?xml version="1.0" encoding="UTF-8"?>%<svg xmlns="http://www.w3.org/2000/svg"%</svg>' || char(10);
SELECT 'one series per row', (SELECT (length(s) - length(replace(s, '<path class="series"', ''))) / 20
                              FROM (SELECT svd_scree_svg(l, v) AS s FROM (SELECT 'a' AS l, '[1]' AS v
                                    UNION ALL SELECT 'b', '[2, 1]' UNION ALL SELECT 'c', NULL))) = 2;
SELECT 'empty group is null', (SELECT svd_scree_svg(l, v) FROM (SELECT 'a' AS l, '[1]' AS v) WHERE 0) IS NULL;
SELECT 'null rows only is null', (SELECT svd_scree_svg('a', NULL)) IS NULL;
SELECT 'label escaped', (SELECT svd_scree_svg('<b>&"''', '[1]')) LIKE '%>&lt;b&gt;&amp;&quot;&apos;</text>%';
SELECT 'null label', (SELECT svd_scree_svg(NULL, '[1]')) LIKE '%>NULL</text>%';
SELECT 'long label cut', (SELECT svd_scree_svg(printf('%.50c', 'x'), '[1]')) LIKE '%>' || printf('%.40c', 'x') || '…</text>%';
SELECT 'log axis title', (SELECT svd_scree_svg('a', '[1, 0.001]', 'log=true')) LIKE '%(log scale)</text>%';
SELECT 'log false', (SELECT svd_scree_svg('a', '[1, 0.001]', 'log=false')) NOT LIKE '%(log scale)%';
SELECT 'group by', (SELECT count(*) FROM (SELECT g, svd_scree_svg(g, '[1]') FROM (SELECT 1 AS g UNION ALL SELECT 2) GROUP BY g)) = 2;

-- error: svd_scree_svg(): SPECTRUM is a BLOB; expected a JSON array of non-negative numbers as TEXT
SELECT svd_scree_svg('a', x'00');
-- error: svd_scree_svg(): SPECTRUM has -1.0 at element 2; expected non-negative numbers
SELECT svd_scree_svg('a', '[1, -1]');
-- error: svd_scree_svg(): unknown option 'center'; expected log=true|false
SELECT svd_scree_svg('a', '[1]', 'center=true');
-- error: svd_scree_svg(): option 'log=true;' is not one key=value pair; expected pairs separated by commas
SELECT svd_scree_svg('a', '[1]', 'log=true;');
-- error: svd_scree_svg(): option log=TRUE; expected log=true or log=false (values are lowercase)
SELECT svd_scree_svg('a', '[1]', 'log=TRUE');
-- error: svd_scree_svg(): option log=yes; expected log=true or log=false
SELECT svd_scree_svg('a', '[1]', 'log=yes');
-- error: svd_scree_svg(): OPTIONS is an INTEGER; expected TEXT such as 'log=true'
SELECT svd_scree_svg('a', '[1]', 1);
-- error: svd_scree_svg(): OPTIONS is a REAL; expected TEXT such as 'log=true'
SELECT svd_scree_svg('a', '[1]', 0.5);
-- error: svd_scree_svg(): OPTIONS is a BLOB; expected TEXT such as 'log=true'
SELECT svd_scree_svg('a', '[1]', x'01');
-- error: svd_scree_svg(): OPTIONS is an INTEGER; expected TEXT such as 'log=true'
SELECT svd_scree_svg(l, v, o) FROM (SELECT 'a' AS l, '[1]' AS v, '' AS o UNION ALL SELECT 'b', '[1]', 7);
-- error: svd_scree_svg(): OPTIONS is a REAL; expected TEXT such as 'log=true'
SELECT svd_scree_svg(l, v, o) FROM (SELECT 'a' AS l, '[1]' AS v, NULL AS o UNION ALL SELECT 'b', '[1]', 0.5);
-- error: svd_scree_svg(): OPTIONS is a BLOB; expected TEXT such as 'log=true'
SELECT svd_scree_svg(l, v, o) FROM (SELECT 'a' AS l, '[1]' AS v, '' AS o UNION ALL SELECT 'b', NULL, x'01');
-- error: svd_scree_svg(): OPTIONS changed within a group, from 'log=true' to ''; it must be the same for every row
SELECT svd_scree_svg(l, v, o) FROM (SELECT 'a' AS l, '[1]' AS v, 'log=true' AS o UNION ALL SELECT 'b', '[1]', '');
