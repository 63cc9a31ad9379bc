// A cited document, opened at the cited section (the chunk is highlighted and scrolled to).
import { useEffect, useState } from "react";
import { Text, View } from "@tarojs/components";
import Taro, { useRouter } from "@tarojs/taro";
import { graphql } from "../../gql";
import type { MpDocumentQuery } from "../../gql/graphql";
import { gql } from "../../lib/gql";
import { t } from "../../lib/i18n";

const DocumentQuery = graphql(`
  query MpDocument($id: ID!) {
    entity(id: $id) {
      id
      name
    }
    documentChunks(id: $id) {
      id
      ordinal
      headingPath
      section
      text
    }
  }
`);

export default function DocPage() {
  const { params } = useRouter();
  const id = decodeURIComponent(params.id ?? "");
  const cited = params.chunk ? decodeURIComponent(params.chunk) : "";
  const [data, setData] = useState<MpDocumentQuery | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    gql(DocumentQuery, { id }).then(setData, (e: Error) => setError(e.message));
  }, [id]);

  useEffect(() => {
    if (data && cited) setTimeout(() => void Taro.pageScrollTo({ selector: "#cited", duration: 0 }), 50);
  }, [data, cited]);

  if (error) return <View className="page"><View className="error">{error}</View></View>;
  if (!data) return <View className="page muted">{t("doc.loading")}</View>;
  if (!data.entity) return <View className="page"><View className="error">{t("doc.missing")}</View></View>;
  return (
    <View className="page">
      <View className="title">{data.entity.name}</View>
      {data.documentChunks.map((c) => (
        <View key={c.id} id={c.id === cited ? "cited" : undefined} className={c.id === cited ? "card section-cited" : "card"}>
          {c.id === cited ? <View className="tag">{t("doc.cited")}</View> : null}
          {c.section || c.headingPath.length ? <View className="muted">{c.section || c.headingPath.join(" › ")}</View> : null}
          <Text userSelect>{c.text}</Text>
        </View>
      ))}
    </View>
  );
}
