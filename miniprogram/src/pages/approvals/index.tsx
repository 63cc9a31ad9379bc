// My approvals: pending for me / submitted by me; live — a status event re-reads the list.
import { useEffect, useRef, useState } from "react";
import { Text, View } from "@tarojs/components";
import Taro, { useDidShow } from "@tarojs/taro";
import { graphql } from "../../gql";
import type { ApprovalRole, MpMyApprovalsQuery } from "../../gql/graphql";
import { gql } from "../../lib/gql";
import { statusText, t } from "../../lib/i18n";
import { watchApprovals } from "../../lib/live";
import { NetworkError } from "../../lib/net";

const MyApprovals = graphql(`
  query MpMyApprovals($role: ApprovalRole!) {
    myApprovals(role: $role, first: 50) {
      id
      title
      processName
      applicantName
      status
      summary
      updatedAt
    }
  }
`);

export default function ApprovalsPage() {
  const [role, setRole] = useState<ApprovalRole>("TODO");
  const [items, setItems] = useState<MpMyApprovalsQuery["myApprovals"]>([]);
  const [error, setError] = useState("");

  // The list shown is the chosen tab's: an answer for the other tab that arrives late is dropped.
  const shown = useRef(role);
  shown.current = role;

  const load = (which: ApprovalRole = shown.current) =>
    gql(MyApprovals, { role: which }).then(
      (d) => {
        if (which !== shown.current) return;
        setItems(d.myApprovals);
        setError("");
      },
      (e: Error) => setError(e instanceof NetworkError ? t("net.failed") : e.message),
    );

  useDidShow(() => void load());
  useEffect(() => void load(role), [role]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => watchApprovals(() => void load()), [role]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <View className="page">
      <View className="tabs">
        <View className={role === "TODO" ? "tab-on" : "tab"} onClick={() => setRole("TODO")}>
          {t("approvals.todo")}
        </View>
        <View className={role === "APPLIED" ? "tab-on" : "tab"} onClick={() => setRole("APPLIED")}>
          {t("approvals.mine")}
        </View>
      </View>
      {error ? <View className="error">{error}</View> : null}
      {!items.length && !error ? <View className="muted">{t("approvals.empty")}</View> : null}
      {items.map((a) => (
        <View key={a.id} className="card approval-item" data-id={a.id} onClick={() => void Taro.navigateTo({ url: `/pages/approval/detail?id=${encodeURIComponent(a.id)}` })}>
          <View className="row">
            <Text>{a.title}</Text>
            <Text className={`tag status-${a.status}`}>{statusText(a.status)}</Text>
          </View>
          <View className="muted">
            {a.applicantName} · {a.summary}
          </View>
        </View>
      ))}
    </View>
  );
}
