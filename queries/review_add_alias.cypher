// Internal write: add a surface form to an entity's synonyms (skos:altLabel: aliases, or aliasesEn for Latin script) unless it already names it.
// @internal
// @mode write
// @param target string 实体 ID
// @param surface string 别名
// @param latin boolean 是否为拉丁字母（英文别名）
MATCH (e:Resource {id: $target})
WITH e, $surface IN ([e.name, e.nameEn] + coalesce(e.aliases, []) + coalesce(e.aliasesEn, [])) AS known
SET e.aliases = CASE WHEN known OR $latin THEN e.aliases ELSE coalesce(e.aliases, []) + [$surface] END,
    e.aliasesEn = CASE WHEN known OR NOT $latin THEN e.aliasesEn ELSE coalesce(e.aliasesEn, []) + [$surface] END
RETURN count(e) AS n
