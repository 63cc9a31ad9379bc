// Knowledge engineers: an entity's neighbourhood as a force-directed graph (ECharts' graph series).
// Clicking a node loads its own neighbourhood into the picture; a relation-type filter hides the rest.
// What appears is what the server returned for the caller — documents they may not read never arrive.
import { useEffect, useMemo, useState } from "react";
import { Alert, Button, Checkbox, Select, Space, Typography } from "antd";
import { GraphChart } from "echarts/charts";
import * as echarts from "echarts/core";
import { useSearchParams } from "react-router";
import { useClient } from "urql";
import { EChart, type ChartClick, type ChartOption } from "../components/EChart";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";
import { EntityPicker } from "./Review";

echarts.use([GraphChart]);

export const NeighborhoodQuery = graphql(`
  query Neighborhood($id: ID!) {
    neighborhood(id: $id, depth: 1) {
      center
      nodes {
        id
        name
        type
      }
      edges {
        source
        type
        target
      }
    }
  }
`);

export type GNode = { id: string; name: string; type: string };
export type GEdge = { source: string; type: string; target: string };
export type Picture = { nodes: Record<string, GNode>; edges: GEdge[]; expanded: string[] };

export const EMPTY: Picture = { nodes: {}, edges: [], expanded: [] };

/** `picture` with one more neighbourhood merged in (nodes and edges kept once). */
export function merge(picture: Picture, center: string, nodes: readonly GNode[], edges: readonly GEdge[]): Picture {
  const all = { ...picture.nodes };
  for (const n of nodes) all[n.id] = n;
  const seen = new Set(picture.edges.map((e) => `${e.source}|${e.type}|${e.target}`));
  const more = edges.filter((e) => !seen.has(`${e.source}|${e.type}|${e.target}`));
  return { nodes: all, edges: [...picture.edges, ...more], expanded: [...new Set([...picture.expanded, center])] };
}

/** The edges of the chosen relation types (all when none is chosen) whose ends are not of a hidden
 * class, and the nodes they touch, plus the expanded centres so a centre never disappears. */
export function filtered(picture: Picture, types: readonly string[], hidden: readonly string[] = []): { nodes: GNode[]; edges: GEdge[] } {
  const shown = (id: string) => !hidden.includes(picture.nodes[id]?.type ?? "") || picture.expanded.includes(id);
  const edges = (types.length ? picture.edges.filter((e) => types.includes(e.type)) : picture.edges).filter((e) => shown(e.source) && shown(e.target));
  const keep = new Set([...picture.expanded, ...edges.flatMap((e) => [e.source, e.target])]);
  return { nodes: Object.values(picture.nodes).filter((n) => keep.has(n.id)), edges };
}

const PALETTE = ["#0958d9", "#389e0d", "#d46b08", "#c41d7f", "#531dab", "#08979c", "#d4b106", "#cf1322", "#7cb305", "#1d39c4"];

export default function GraphViewPage() {
  const { t } = useT();
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const [picture, setPicture] = useState<Picture>(EMPTY);
  const [types, setTypes] = useState<string[]>([]);
  const [chunks, setChunks] = useState(false); // a document's text chunks crowd the picture: off at first
  const [selected, setSelected] = useState<GNode | null>(null);
  const [error, setError] = useState("");

  async function expand(id: string, fresh = false) {
    setError("");
    const r = await client.query(NeighborhoodQuery, { id }, { requestPolicy: "network-only" }).toPromise();
    if (r.error) return setError(errorText(r.error));
    const n = r.data?.neighborhood;
    if (!n) return setError(t("doc.notFound"));
    const nodes = n.nodes.map((x) => ({ id: x.id, name: x.name ?? x.id, type: x.type }));
    setPicture((p) => merge(fresh ? EMPTY : p, id, nodes, n.edges));
    setSelected(nodes.find((x) => x.id === id) ?? null);
  }

  const started = params.get("id");
  useEffect(() => {
    if (started) void expand(started, true);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- a new centre starts a new picture
  }, [started]);

  const view = useMemo(() => filtered(picture, types, chunks ? [] : ["Chunk"]), [picture, types, chunks]);
  const allTypes = useMemo(() => [...new Set(picture.edges.map((e) => e.type))].sort(), [picture]);
  const classes = useMemo(() => [...new Set(Object.values(picture.nodes).map((n) => n.type))].sort(), [picture]);
  const option = useMemo<ChartOption>(
    () => ({
      color: PALETTE,
      tooltip: { formatter: (p: { dataType: string; data: { name?: string; value?: string; source?: string; target?: string } }) => (p.dataType === "edge" ? p.data.value : `${p.data.name}<br/>${p.data.value}`) },
      legend: [{ data: classes, top: 0 }],
      series: [
        {
          type: "graph",
          layout: "force",
          roam: true,
          draggable: true,
          force: { repulsion: 260, edgeLength: 110 },
          categories: classes.map((c) => ({ name: c })),
          label: { show: true, position: "right", fontSize: 12 },
          edgeSymbol: ["none", "arrow"],
          edgeLabel: { show: view.edges.length <= 40, formatter: (p: { data: { value: string } }) => p.data.value, fontSize: 10 },
          lineStyle: { color: "#8c8c8c", curveness: 0.1 },
          data: view.nodes.map((n) => ({
            id: n.id,
            name: n.name,
            value: `${n.type} · ${n.id}`,
            category: classes.indexOf(n.type),
            symbolSize: picture.expanded.includes(n.id) ? 34 : 20,
          })),
          links: view.edges.map((e) => ({ source: e.source, target: e.target, value: e.type })),
        },
      ],
    }),
    [view, classes, picture.expanded],
  );

  function choose(id: string) {
    setSelected(picture.nodes[id] ?? null);
    if (!picture.expanded.includes(id)) void expand(id);
  }

  function onClick(p: ChartClick) {
    if (p.dataType === "node") choose((p.data as { id: string }).id);
  }

  return (
    <section aria-label={t("graph.title")}>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{t("graph.title")}</Typography.Title>
      <Space wrap style={{ marginBottom: 12 }}>
        <div style={{ width: 360 }}>
          <EntityPicker value={started ?? undefined} onChange={(id) => setParams({ id })} />
        </div>
        <Select
          mode="multiple"
          allowClear
          style={{ minWidth: 280 }}
          placeholder={t("graph.allTypes")}
          aria-label={t("graph.relTypes")}
          value={types}
          onChange={setTypes}
          options={allTypes.map((x) => ({ value: x, label: x }))}
        />
        <Checkbox checked={chunks} onChange={(e) => setChunks(e.target.checked)}>{t("graph.chunks")}</Checkbox>
      </Space>
      <div>
        <Typography.Text type="secondary">{t("graph.hint")} </Typography.Text>
        <Typography.Text data-testid="graph-counts">{t("graph.counts", { nodes: view.nodes.length, edges: view.edges.length })}</Typography.Text>
        {selected && <Typography.Text strong data-testid="graph-selected"> · {t("graph.selected", { name: selected.name, type: selected.type })}</Typography.Text>}
      </div>
      {error && <Alert type="error" showIcon title={t("common.error", { text: error })} />}
      <EChart className="zk-graph" option={option} label={t("graph.chart")} onClick={onClick} />
      {/* the same nodes as buttons: reachable by keyboard and screen readers, which a canvas is not */}
      <Space wrap size={4} style={{ marginTop: 8 }} aria-label={t("graph.chart")} data-testid="graph-nodes">
        {view.nodes.map((n) => (
          <Button key={n.id} size="small" type={picture.expanded.includes(n.id) ? "primary" : "default"} onClick={() => choose(n.id)}>
            {n.name}
          </Button>
        ))}
      </Space>
    </section>
  );
}
