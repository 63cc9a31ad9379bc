// 各类节点的标签语言覆盖（调用者可见的）：每种语言有 skos:prefLabel/altLabel 的节点数 /
// Per label, how many of the caller's visible nodes have a label (skos:prefLabel or altLabel as loaded)
// in each of the ten languages: zh is `name`/`aliases`, en `nameEn`/`aliasesEn`, the others the
// language tags of `labelsI18n`/`aliasesI18n` ("ja=休暇"; a regional tag counts for its language).
// @mode read
// @param hide_labels list 不计入的标签（非管理员：工单、审批记录等）/ labels left out
// @param hidden_documents list 调用者不可见的文档（及其文本块）/ documents the caller may not read
MATCH (n)
WHERE none(l IN labels(n) WHERE l IN $hide_labels)
  AND NOT ((n:Document AND n.id IN $hidden_documents) OR (n:Chunk AND n.documentId IN $hidden_documents))
WITH n, [t IN coalesce(n.labelsI18n, []) + coalesce(n.aliasesI18n, []) | toLower(split(split(t, '=')[0], '-')[0])]
     + CASE WHEN n.name IS NOT NULL OR size(coalesce(n.aliases, [])) > 0 THEN ['zh'] ELSE [] END
     + CASE WHEN n.nameEn IS NOT NULL OR size(coalesce(n.aliasesEn, [])) > 0 THEN ['en'] ELSE [] END AS tags
UNWIND labels(n) AS label
RETURN label, count(*) AS count,
       sum(CASE WHEN 'zh' IN tags THEN 1 ELSE 0 END) AS zh,
       sum(CASE WHEN 'en' IN tags THEN 1 ELSE 0 END) AS en,
       sum(CASE WHEN 'ja' IN tags THEN 1 ELSE 0 END) AS ja,
       sum(CASE WHEN 'ko' IN tags THEN 1 ELSE 0 END) AS ko,
       sum(CASE WHEN 'de' IN tags THEN 1 ELSE 0 END) AS de,
       sum(CASE WHEN 'fr' IN tags THEN 1 ELSE 0 END) AS fr,
       sum(CASE WHEN 'it' IN tags THEN 1 ELSE 0 END) AS it,
       sum(CASE WHEN 'nl' IN tags THEN 1 ELSE 0 END) AS nl,
       sum(CASE WHEN 'pt' IN tags THEN 1 ELSE 0 END) AS pt,
       sum(CASE WHEN 'ru' IN tags THEN 1 ELSE 0 END) AS ru
ORDER BY label
