// A document's sections in order, opened at the cited chunk (?chunk=…), with the link to the original.
import { useEffect } from "react";
import { Alert, Button, Spin, Typography } from "antd";
import { useNavigate, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { errorText } from "../lib/client";
import { useT } from "../lib/i18n";

const DocumentQuery = graphql(`
  query DocumentView($id: ID!) {
    entity(id: $id) {
      id
      name
      ... on Document {
        uri
        format
        modifiedAt
      }
    }
    documentChunks(id: $id) {
      id
      ordinal
      headingPath
      section
      anchor
      link
      kind
      text
    }
  }
`);

export default function DocumentPage() {
  const { t } = useT();
  const { id = "" } = useParams();
  const [params] = useSearchParams();
  const cited = params.get("chunk");
  const navigate = useNavigate();
  const [{ data, fetching, error }] = useQuery({ query: DocumentQuery, variables: { id } });

  useEffect(() => {
    if (cited && data) document.getElementById(`chunk-${cited}`)?.scrollIntoView({ block: "center" });
  }, [cited, data]);

  if (fetching && !data) return <Spin />;
  if (error) return <Alert type="error" showIcon title={t("common.error", { text: errorText(error) })} />;
  const doc = data?.entity;
  if (!doc) return <Alert type="warning" showIcon title={t("doc.notFound")} />;
  const uri = "uri" in doc ? doc.uri : null;
  return (
    <article>
      <Button onClick={() => navigate(-1)} style={{ marginBottom: 12 }}>{t("doc.back")}</Button>
      <Typography.Title level={2} style={{ fontSize: 22 }}>{doc.name}</Typography.Title>
      {uri && (
        <Typography.Paragraph type="secondary" copyable={{ text: uri }}>
          {t("doc.source")}: {uri}
        </Typography.Paragraph>
      )}
      {data!.documentChunks.map((c) => (
        <section key={c.id} id={`chunk-${c.id}`} className={`zk-chunk${c.id === cited ? " cited" : ""}`} data-testid={c.id === cited ? "cited-chunk" : undefined} aria-current={c.id === cited ? "true" : undefined}>
          {c.section && <div className="zk-chunk-heading">{c.section}</div>}
          {c.text}
        </section>
      ))}
    </article>
  );
}
