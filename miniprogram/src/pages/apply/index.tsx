// Apply: pick a process; its form is generated from the definition in the graph (lib/forms.ts); the
// concrete approval chain for me and these values (whoApproves) is shown before submitting, 会签/或签
// said plainly. The draft is kept per process; just before submitting the definition is read again
// and, if it changed, the form reloads and says why instead of submitting.
import { useEffect, useMemo, useState } from "react";
import { Input, Text, Textarea, View } from "@tarojs/components";
import Taro from "@tarojs/taro";
import { graphql } from "../../gql";
import type { MpProcessesQuery, MpWhoApprovesQuery } from "../../gql/graphql";
import { clearDraft, loadDraft, saveDraft } from "../../lib/drafts";
import { fingerprint, formFields, num, validate, type ProcessDef, type Values } from "../../lib/forms";
import { gql } from "../../lib/gql";
import { modeText, t } from "../../lib/i18n";
import { NetworkError } from "../../lib/net";
import { loadSession } from "../../lib/session";
import { useRetryNotice } from "../../lib/useRetryNotice";

const Processes = graphql(`
  query MpProcesses {
    approvalProcesses {
      id
      name
      ... on ApprovalProcess {
        description
        steps {
          id
          name
          order
          mode
          condition
          approverRoles
        }
      }
    }
  }
`);

const WhoApproves = graphql(`
  query MpWhoApproves($process: String!, $amount: Float, $days: Float) {
    whoApproves(process: $process, amount: $amount, days: $days) {
      processId
      steps {
        name
        order
        mode
        condition
        approvers {
          id
          name
        }
        unresolvedRoles
      }
      skipped {
        name
        condition
      }
    }
  }
`);

const Submit = graphql(`
  mutation MpSubmit($process: String!, $amount: Float, $days: Float, $reason: String!, $key: String) {
    submitApproval(process: $process, amount: $amount, days: $days, reason: $reason, idempotencyKey: $key) {
      applied
      message
      instance {
        id
        title
        status
      }
    }
  }
`);

type Draft = Values & { key: string; print: string };
const empty = (): Draft => ({ amount: "", days: "", reason: "", key: `mp-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, print: "" });

function asDefs(data: MpProcessesQuery): ProcessDef[] {
  return data.approvalProcesses.map((p) => ({
    id: p.id,
    name: p.name,
    description: "description" in p ? p.description : "",
    steps: "steps" in p ? p.steps : [],
  }));
}

export default function ApplyPage() {
  const employee = loadSession()?.employee ?? "";
  const retrying = useRetryNotice();
  const [processes, setProcesses] = useState<ProcessDef[]>([]);
  const [chosen, setChosen] = useState<string>(() => loadDraft<string>(employee, "apply.process") ?? "");
  const [draft, setDraft] = useState<Draft>(empty);
  const [chain, setChain] = useState<MpWhoApprovesQuery["whoApproves"] | null>(null);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [done, setDone] = useState<{ text: string; id: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const load = () =>
    gql(Processes).then(
      (d) => setProcesses(asDefs(d)),
      (e: Error) => setError(e instanceof NetworkError ? t("net.failed") : e.message),
    );
  useEffect(() => void load(), []);

  const process = processes.find((p) => p.id === chosen) ?? null;
  const fields = useMemo(() => (process ? formFields(process) : []), [process]);

  // The draft of the chosen process (kept across restarts and sign-ins).
  useEffect(() => {
    if (!process) return;
    saveDraft(employee, "apply.process", process.id);
    const saved = loadDraft<Draft>(employee, `apply.${process.id}`);
    const print = fingerprint(process);
    if (saved && saved.print && saved.print !== print) setNotice(t("apply.changed"));
    setDraft({ ...(saved ?? empty()), print });
  }, [process?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const update = (patch: Partial<Values>) => {
    setError("");
    setDraft((d) => {
      const next = { ...d, ...patch };
      if (process) saveDraft(employee, `apply.${process.id}`, next);
      return next;
    });
  };

  // The chain for these values, re-read as they change.
  useEffect(() => {
    if (!process) return;
    const timer = setTimeout(() => {
      gql(WhoApproves, { process: process.id, amount: num(draft.amount), days: num(draft.days) }).then(
        (d) => setChain(d.whoApproves),
        () => setChain(null),
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [process?.id, draft.print, draft.amount, draft.days]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = async () => {
    if (!process) return;
    const problem = validate(fields, draft);
    setError(problem);
    setDone(null);
    if (problem) return;
    setBusy(true);
    try {
      // The definition may have changed while the form was being filled in: read it again first.
      const fresh = asDefs(await gql(Processes));
      const now = fresh.find((p) => p.id === process.id);
      if (!now || fingerprint(now) !== draft.print) {
        setProcesses(fresh);
        setNotice(t("apply.changed"));
        if (now) setDraft((d) => ({ ...d, print: fingerprint(now) })); // values kept, fields re-derived
        return;
      }
      const r = await gql(Submit, {
        process: process.id,
        amount: fields.some((f) => f.name === "amount") ? num(draft.amount) : null,
        days: fields.some((f) => f.name === "days") ? num(draft.days) : null,
        reason: draft.reason.trim(),
        key: draft.key,
      });
      clearDraft(employee, `apply.${process.id}`);
      setDraft({ ...empty(), print: draft.print });
      setNotice("");
      setDone({ text: t("apply.submitted", { title: r.submitApproval.instance.title }), id: r.submitApproval.instance.id });
      void Taro.showToast({ title: t("apply.submitted", { title: "" }), icon: "success" });
    } catch (e) {
      setError(e instanceof NetworkError ? t("net.failed") : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <View className="page">
      {retrying ? <View className="banner">{t("net.retrying", { n: retrying })}</View> : null}
      {notice ? <View className="banner form-changed">{notice}</View> : null}
      {error ? <View className="error">{error}</View> : null}
      {done ? (
        <View className="ok submitted" data-id={done.id} onClick={() => void Taro.navigateTo({ url: `/pages/approval/detail?id=${encodeURIComponent(done.id)}` })}>
          {done.text}
        </View>
      ) : null}
      <View className="title">{t("apply.choose")}</View>
      <View className="chips">
        {processes.map((p) => (
          <View key={p.id} className={p.id === chosen ? "chip process chip-on" : "chip process"} data-id={p.id} onClick={() => setChosen(p.id)}>
            {p.name}
          </View>
        ))}
      </View>
      {process ? (
        <View className="card" style={{ marginTop: "20px" }}>
          <View className="title">{process.name}</View>
          {process.description ? <View className="muted">{process.description}</View> : null}
          {fields.map((f) => (
            <View key={f.name} style={{ marginTop: "16px" }}>
              <Text>{f.label}</Text>
              {f.kind === "number" ? (
                <Input className={`input field-${f.name}`} type="digit" name={f.name} value={draft[f.name]} onInput={(e) => update({ [f.name]: e.detail.value })} />
              ) : (
                <Textarea className={`textarea field-${f.name}`} name={f.name} value={draft[f.name]} maxlength={500} onInput={(e) => update({ [f.name]: e.detail.value })} />
              )}
            </View>
          ))}
          {chain ? (
            <View style={{ marginTop: "20px" }} className="chain">
              <View className="title">{t("apply.chain")}</View>
              {chain.steps.map((s) => (
                <View key={s.order} className="step">
                  <View>
                    {s.order}. {s.name}
                    <Text className="tag">{modeText(s.mode)}</Text>
                  </View>
                  <View className="muted">{s.approvers.map((a) => a.name).join("、")}</View>
                  {s.unresolvedRoles.length ? <View className="error">{t("apply.unresolved", { roles: s.unresolvedRoles.join("、") })}</View> : null}
                </View>
              ))}
              {chain.skipped.length ? <View className="muted">{t("apply.skipped")}</View> : null}
              {chain.skipped.map((s) => (
                <View key={s.name} className="step-off">
                  {s.name}（{s.condition}）
                </View>
              ))}
            </View>
          ) : null}
          <View className={busy ? "btn submit busy" : "btn submit"} onClick={() => void (busy ? null : submit())}>
            {t("apply.submit")}
          </View>
        </View>
      ) : null}
    </View>
  );
}
