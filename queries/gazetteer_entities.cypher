// 实体词典：所有有名称的实体及其同义词 / Every named entity with its synonyms, for the extraction gazetteer.
// @internal
// An approver role that stands for a fixed position (财务总监审批 → 财务总监) names that position.
// @mode read
MATCH (n:Resource)
WHERE n.name IS NOT NULL AND NOT n:Chunk AND NOT n:Document
OPTIONAL MATCH (n)-[:RESOLVES_TO]->(p:Position)
RETURN n.id AS id, labels(n) AS labels, n.name AS name, n.nameEn AS nameEn,
       n.aliases AS aliases, n.aliasesEn AS aliasesEn, n.labelsI18n AS labelsI18n,
       n.aliasesI18n AS aliasesI18n, n.code AS code, n.status AS status,
       p.id AS resolvesTo
ORDER BY id
