// One approval: the chain (会签/或签 said plainly, each approver's decision), the history with
// comments, and — when it waits for me — one-tap approve / reject with a comment (a rejection needs
// one). The status updates live from the approvalStatus subscription.
import { useEffect, useState } from "react";
import { Text, Textarea, View } from "@tarojs/components";
import Taro, { useRouter } from "@tarojs/taro";
import { graphql } from "../../gql";
import type { ApprovalAction, MpApprovalQuery } from "../../gql/graphql";
import { clearDraft, loadDraft, saveDraft } from "../../lib/drafts";
import { gql } from "../../lib/gql";
import { auditText, modeText, statusText, t } from "../../lib/i18n";
import { watchApprovals } from "../../lib/live";
import { NetworkError } from "../../lib/net";
import { loadSession } from "../../lib/session";

const Approval = graphql(`
  query MpApproval($id: ID!) {
    approvalInstance(id: $id) {
      id
      title
      processName
      applicantId
      applicantName
      amount
      days
      reason
      status
      statusText
      summary
      pendingWith
      version
      steps {
        index
        name
        mode
        status
        approvers {
          id
          name
          decision
        }
      }
      audit {
        kind
        actorName
        step
        comment
        at
      }
    }
  }
`);

const Act = graphql(`
  mutation MpAct($id: ID!, $action: ApprovalAction!, $comment: String!, $key: String) {
    actOnApproval(id: $id, action: $action, comment: $comment, idempotencyKey: $key) {
      applied
      message
      instance {
        id
        status
      }
    }
  }
`);

export function canReject(comment: string): boolean {
  return comment.trim().length > 0;
}

export default function ApprovalPage() {
  const { params } = useRouter();
  const id = decodeURIComponent(params.id ?? "");
  const me = loadSession()?.employee ?? "";
  const [inst, setInst] = useState<MpApprovalQuery["approvalInstance"]>(null);
  const [comment, setComment] = useState<string>(() => loadDraft<string>(me, `comment.${id}`) ?? "");
  const [error, setError] = useState("");
  const [live, setLive] = useState("");

  const load = () =>
    gql(Approval, { id }).then(
      (d) => setInst(d.approvalInstance),
      (e: Error) => setError(e instanceof NetworkError ? t("net.failed") : e.message),
    );
  useEffect(() => void load(), [id]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(
    () =>
      watchApprovals((e) => {
        setLive(t("approvals.live", { status: statusText(e.status) }));
        void load();
      }, id),
    [id], // eslint-disable-line react-hooks/exhaustive-deps
  );

  const act = async (action: ApprovalAction) => {
    if (action === "REJECT" && !canReject(comment)) {
      setError(t("approvals.rejectNeedsComment"));
      return;
    }
    setError("");
    try {
      const r = await gql(Act, { id, action, comment: comment.trim(), key: `mp-${id}-${inst?.version ?? 0}-${action}` });
      clearDraft(me, `comment.${id}`);
      setComment("");
      void Taro.showToast({ title: t("approvals.done", { status: statusText(r.actOnApproval.instance.status) }), icon: "none" });
      await load();
    } catch (e) {
      setError(e instanceof NetworkError ? t("net.failed") : (e as Error).message);
    }
  };

  if (!inst) return <View className="page">{error ? <View className="error">{error}</View> : <View className="muted">…</View>}</View>;
  const mine = inst.pendingWith.includes(me) && inst.status === "pending";
  return (
    <View className="page approval-detail">
      {live ? <View className="ok live">{live}</View> : null}
      {error ? <View className="error">{error}</View> : null}
      <View className="card">
        <View className="row">
          <Text className="title">{inst.title}</Text>
          <Text className={`tag status status-${inst.status}`}>{statusText(inst.status)}</Text>
        </View>
        <View className="muted">
          {inst.applicantName} · {inst.processName}
        </View>
        {inst.amount != null ? <View>{t("apply.amount")}：{inst.amount}</View> : null}
        {inst.days != null ? <View>{t("apply.days")}：{inst.days}</View> : null}
        {inst.reason ? <View>{t("apply.reason")}：{inst.reason}</View> : null}
      </View>
      <View className="card">
        <View className="title">{t("approvals.steps")}</View>
        {inst.steps.map((s) => (
          <View key={s.index} className={s.status === "waiting" ? "step-off" : "step"}>
            <View>
              {s.index + 1}. {s.name}
              <Text className="tag">{modeText(s.mode)}</Text>
              <Text className="tag">{statusText(s.status)}</Text>
            </View>
            <View className="muted">{s.approvers.map((a) => `${a.name}${a.decision ? `（${statusText(a.decision)}）` : ""}`).join("、")}</View>
          </View>
        ))}
      </View>
      <View className="card">
        <View className="title">{t("approvals.history")}</View>
        {inst.audit.map((a, i) => (
          <View key={i} className="muted">
            {a.at.slice(0, 16).replace("T", " ")} {a.actorName} {auditText(a.kind)} {a.step} {a.comment ? `「${a.comment}」` : ""}
          </View>
        ))}
      </View>
      {mine ? (
        <View className="card">
          <Textarea
            className="textarea comment"
            name="comment"
            placeholder={t("approvals.comment")}
            value={comment}
            onInput={(e) => {
              setComment(e.detail.value);
              saveDraft(me, `comment.${id}`, e.detail.value);
            }}
          />
          <View className="row">
            <View className="btn approve" style={{ flex: 1, marginRight: "12px" }} onClick={() => void act("APPROVE")}>
              {t("approvals.approve")}
            </View>
            <View className="btn-danger reject" style={{ flex: 1 }} onClick={() => void act("REJECT")}>
              {t("approvals.reject")}
            </View>
          </View>
        </View>
      ) : null}
    </View>
  );
}
