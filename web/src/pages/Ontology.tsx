// Knowledge engineers: the ontology — classes (core and extensions) as a tree labelled in the UI's
// language, with each class's properties, its SHACL rules in plain words and how many instances the
// graph holds; and a proposed extension file (dropped here) compared with the loaded ontology, with
// what each breaking change would orphan. Read-only: the comparison reports, it never applies.
// Each class also shows its label coverage: the share of its instances labelled in each of the ten
// languages (skos:prefLabel/altLabel as loaded).
import { useMemo, useState } from "react";
import { Alert, Card, Col, Descriptions, Empty, Input, List, Row, Table, Tag, Tree, Typography, Upload } from "antd";
import { useClient, useQuery } from "urql";
import { graphql } from "../gql";
import type { OntologyClassesQuery, OntologyDiffQuery } from "../gql/graphql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";

const ClassesQuery = graphql(`
  query OntologyClasses {
    ontologyClasses {
      name
      labelZh
      labelEn
      definition
      parents
      core
      instances
      properties {
        name
        kind
        labelZh
        labelEn
        range
        functional
      }
      rules {
        path
        zh
        en
        message
      }
      labelCoverage {
        language
        labelled
        share
      }
    }
  }
`);

const DiffQuery = graphql(`
  query OntologyDiff($content: String!, $filename: String!) {
    ontologyDiff(content: $content, filename: $filename) {
      affected
      changes {
        kind
        name
        change
        old
        new
        breaking
        affected
        text
      }
    }
  }
`);

type Klass = OntologyClassesQuery["ontologyClasses"][number];
export type TreeNode = { key: string; title: string; children: TreeNode[] };

/** Classes as a forest: each under its first parent that is a class; roots sorted by label. */
export function classTree(classes: readonly Pick<Klass, "name" | "parents" | "labelZh" | "labelEn" | "core" | "instances">[], lang: "zh" | "en"): TreeNode[] {
  const names = new Set(classes.map((c) => c.name));
  const nodes = new Map<string, TreeNode>();
  for (const c of classes) {
    const label = (lang === "zh" ? c.labelZh : c.labelEn) || c.name;
    nodes.set(c.name, { key: c.name, title: `${label}${c.core ? "" : " ⊕"} · ${c.instances}`, children: [] });
  }
  const roots: TreeNode[] = [];
  for (const c of classes) {
    const parent = c.parents.find((p) => names.has(p) && p !== c.name);
    (parent ? nodes.get(parent)!.children : roots).push(nodes.get(c.name)!);
  }
  const sort = (list: TreeNode[]) => {
    list.sort((a, b) => a.title.localeCompare(b.title, "zh"));
    list.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

function ClassDetail({ klass }: { klass: Klass }) {
  const { t, lang } = useT();
  const label = (zh: string, en: string, name: string) => (lang === "zh" ? zh : en) || name;
  return (
    <Card title={`${label(klass.labelZh, klass.labelEn, klass.name)}（${klass.name}）`} data-testid="ontology-class" extra={<Tag color={klass.core ? "blue" : "purple"}>{klass.core ? t("onto.core") : t("onto.extension")}</Tag>}>
      <Descriptions size="small" column={2} items={[
        { key: "i", label: t("onto.instances"), children: klass.instances },
        { key: "p", label: t("onto.parents"), children: klass.parents.join("、") || "—" },
        { key: "d", label: t("onto.definition"), children: klass.definition || "—", span: 2 },
      ]} />
      <Typography.Title level={4} style={{ fontSize: 15, marginTop: 16 }}>{t("onto.properties")}</Typography.Title>
      <Table
        rowKey="name"
        size="small"
        pagination={false}
        dataSource={klass.properties}
        locale={{ emptyText: "—" }}
        columns={[
          { title: t("onto.property"), key: "name", render: (_, p) => <span>{label(p.labelZh, p.labelEn, p.name)} <Typography.Text type="secondary" code>{p.name}</Typography.Text></span> },
          { title: t("onto.kind"), key: "kind", width: 90, render: (_, p) => t(p.kind === "object" ? "onto.relation" : "onto.datatype") },
          { title: t("onto.range"), key: "range", width: 140, render: (_, p) => (p.range ?? "—") + (p.functional ? ` (${t("onto.functional")})` : "") },
        ]}
      />
      <Typography.Title level={4} style={{ fontSize: 15, marginTop: 16 }}>{t("onto.coverage")}</Typography.Title>
      <Table
        rowKey="key"
        size="small"
        pagination={false}
        data-testid="label-coverage"
        scroll={{ x: true }}
        dataSource={[{ key: "coverage" }]}
        columns={(klass.labelCoverage ?? []).map((c) => ({
          title: c.language,
          key: c.language,
          render: () => (
            <span title={`${c.labelled} / ${klass.instances}`}>{klass.instances ? `${Math.round(c.share * 100)}%` : "—"}</span>
          ),
        }))}
      />
      <Typography.Title level={4} style={{ fontSize: 15, marginTop: 16 }}>{t("onto.rules")}</Typography.Title>
      {klass.rules.length ? (
        <List size="small" data-testid="ontology-rules" dataSource={klass.rules} renderItem={(r) => <List.Item>{lang === "zh" ? r.zh : r.en}</List.Item>} />
      ) : (
        <Typography.Text type="secondary">{t("onto.noRules")}</Typography.Text>
      )}
    </Card>
  );
}

/** A file's text (FileReader: what every browser, and jsdom, has). */
export function readText(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
}

function DiffPanel() {
  const { t } = useT();
  const client = useClient();
  const [result, setResult] = useState<{ file: string; diff?: OntologyDiffQuery["ontologyDiff"]; error?: string } | null>(null);
  async function compare(file: File) {
    const content = await readText(file);
    const r = await client.query(DiffQuery, { content, filename: file.name }, { requestPolicy: "network-only" }).toPromise();
    setResult({ file: file.name, diff: r.data?.ontologyDiff, error: r.error ? errorText(r.error) : undefined });
  }
  return (
    <Card title={t("onto.diffTitle")} style={{ marginTop: 16 }}>
      <Typography.Paragraph type="secondary">{t("onto.diffHelp")}</Typography.Paragraph>
      <Upload.Dragger accept=".ttl,.owl,.rdf" showUploadList={false} beforeUpload={(f) => { void compare(f); return false; }}>
        <p>{t("onto.drop")}</p>
      </Upload.Dragger>
      {result?.error && <Alert style={{ marginTop: 12 }} type="error" showIcon title={result.error} />}
      {result?.diff && (
        <div data-testid="ontology-diff" style={{ marginTop: 12 }}>
          {result.diff.changes.length === 0 ? (
            <Alert type="success" showIcon title={t("onto.same", { file: result.file })} />
          ) : (
            <>
              <Alert
                type={result.diff.changes.some((c) => c.breaking) ? "warning" : "info"}
                showIcon
                title={t("onto.summary", { file: result.file, n: result.diff.changes.length, broken: result.diff.changes.filter((c) => c.breaking).length, affected: result.diff.affected })}
              />
              <Table
                style={{ marginTop: 8 }}
                rowKey={(c) => `${c.kind}:${c.name}:${c.change}`}
                size="small"
                pagination={false}
                dataSource={result.diff.changes}
                columns={[
                  { title: t("onto.change"), dataIndex: "text" },
                  { title: t("onto.affected"), key: "a", width: 140, render: (_, c) => (c.breaking ? <Tag color="red">⚠ {c.affected ?? 0}</Tag> : "—") },
                ]}
              />
            </>
          )}
        </div>
      )}
    </Card>
  );
}

export default function OntologyPage() {
  const { t, lang } = useT();
  const [{ data, error, fetching }] = useQuery({ query: ClassesQuery });
  const [selected, setSelected] = useState<string>("Employee");
  const [filter, setFilter] = useState("");
  const classes = data?.ontologyClasses ?? [];
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? classes.filter((c) => [c.name, c.labelZh, c.labelEn].some((s) => s.toLowerCase().includes(f))) : classes;
  }, [classes, filter]);
  const tree = useMemo(() => classTree(shown, lang), [shown, lang]);
  const klass = classes.find((c) => c.name === selected);
  const coverage = classes.length ? Math.round((100 * classes.filter((c) => c.labelZh && c.labelEn).length) / classes.length) : 0;
  return (
    <section aria-label={t("onto.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("onto.title")}</Typography.Title>
      {error && <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />}
      {data && <Typography.Paragraph type="secondary">{t("onto.stats", { n: classes.length, ext: classes.filter((c) => !c.core).length, coverage })}</Typography.Paragraph>}
      <Row gutter={16}>
        <Col xs={24} md={8}>
          <Card size="small">
            <Input.Search allowClear aria-label={t("onto.filter")} placeholder={t("onto.filter")} onChange={(e) => setFilter(e.target.value)} style={{ marginBottom: 8 }} />
            {fetching && !data ? null : (
              <Tree
                data-testid="ontology-tree"
                treeData={tree}
                defaultExpandAll
                selectedKeys={[selected]}
                onSelect={(keys) => keys[0] && setSelected(String(keys[0]))}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} md={16}>{klass ? <ClassDetail klass={klass} /> : <Empty />}</Col>
      </Row>
      <DiffPanel />
    </section>
  );
}
