// My tickets: what I handed to a person (转人工) or asked for, with the conversation and outcome.
import { useState } from "react";
import { Text, View } from "@tarojs/components";
import { useDidShow } from "@tarojs/taro";
import { graphql } from "../../gql";
import type { MpMyTicketsQuery } from "../../gql/graphql";
import { gql } from "../../lib/gql";
import { statusText, t } from "../../lib/i18n";
import { NetworkError } from "../../lib/net";

const MyTickets = graphql(`
  query MpMyTickets {
    myTickets(first: 30) {
      id
      title
      status
      updatedAt
      assigneeName
      resolution
      conversation {
        speaker
        text
      }
    }
  }
`);

export default function TicketsPage() {
  const [items, setItems] = useState<MpMyTicketsQuery["myTickets"]>([]);
  const [open, setOpen] = useState("");
  const [error, setError] = useState("");
  useDidShow(() => {
    gql(MyTickets).then(
      (d) => setItems(d.myTickets),
      (e: Error) => setError(e instanceof NetworkError ? t("net.failed") : e.message),
    );
  });
  return (
    <View className="page">
      {error ? <View className="error">{error}</View> : null}
      {!items.length && !error ? <View className="muted">{t("tickets.empty")}</View> : null}
      {items.map((tk) => (
        <View key={tk.id} className="card ticket" onClick={() => setOpen(open === tk.id ? "" : tk.id)}>
          <View className="row">
            <Text>{tk.title}</Text>
            <Text className="tag">{statusText(tk.status)}</Text>
          </View>
          <View className="muted">
            {tk.id} · {tk.updatedAt.slice(0, 16).replace("T", " ")}
            {tk.assigneeName ? ` · ${tk.assigneeName}` : ""}
          </View>
          {tk.resolution ? <View>{tk.resolution}</View> : null}
          {open === tk.id
            ? tk.conversation.map((m, i) => (
                <View key={i} className="muted">
                  {m.speaker}：{m.text}
                </View>
              ))
            : null}
        </View>
      ))}
    </View>
  );
}
