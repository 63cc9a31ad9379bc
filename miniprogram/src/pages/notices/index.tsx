// Notices: the approval events that concern me (newest first, live), and — on the phone — the switch
// for WeChat subscribe messages (订阅消息): Taro.requestSubscribeMessage asks the user per template,
// and the answer is recorded on the server (recordSubscribeConsent) with a fresh login code so it can
// reach this user's openid (lib/wechat.ts). Refusing is fine: it is recorded (nothing is sent with a
// refused template) and everything stays visible here.
import { useEffect, useState } from "react";
import { Text, View } from "@tarojs/components";
import Taro, { useDidShow } from "@tarojs/taro";
import { graphql } from "../../gql";
import type { MpNoticesQuery } from "../../gql/graphql";
import { gql } from "../../lib/gql";
import { currentLang, setLang, statusText, t } from "../../lib/i18n";
import { watchApprovals } from "../../lib/live";
import { NetworkError } from "../../lib/net";
import { saveSession } from "../../lib/session";
import { wechat } from "../../lib/wechat";

const Notices = graphql(`
  query MpNotices {
    myNotifications(first: 30) {
      eventId
      kind
      instanceId
      status
      summary
      at
    }
    subscribeTemplates {
      templateId
      purpose
    }
  }
`);

const Consent = graphql(`
  mutation MpConsent($choices: [SubscribeChoice!]!, $code: String) {
    recordSubscribeConsent(choices: $choices, code: $code) {
      templateId
      accepted
      remaining
    }
  }
`);

export default function NoticesPage() {
  const [data, setData] = useState<MpNoticesQuery | null>(null);
  const [error, setError] = useState("");
  const [consent, setConsent] = useState("");

  const load = () =>
    gql(Notices).then(
      (d) => setData(d),
      (e: Error) => setError(e instanceof NetworkError ? t("net.failed") : e.message),
    );
  useDidShow(() => void load());
  useEffect(() => watchApprovals(() => void load()), []);

  const wx = wechat();

  const subscribe = async () => {
    const ids = (data?.subscribeTemplates ?? []).map((x) => x.templateId);
    if (!ids.length || !wx) return;
    let answer: Record<string, string> = {};
    try {
      answer = await wx.requestSubscribeMessage(ids);
    } catch {
      answer = Object.fromEntries(ids.map((id) => [id, "reject"]));
    }
    const choices = ids.map((id) => ({ templateId: id, decision: String(answer[id] ?? "reject") }));
    try {
      const { code } = await wx.login();
      const r = await gql(Consent, { choices, code });
      setConsent(r.recordSubscribeConsent.some((c) => c.accepted) ? t("notices.subscribed") : t("notices.refused"));
    } catch (e) {
      setConsent((e as Error).message);
    }
  };

  return (
    <View className="page">
      {error ? <View className="error">{error}</View> : null}
      {wx && data?.subscribeTemplates.length ? (
        <View className="btn subscribe" onClick={() => void subscribe()}>
          {t("notices.subscribe")}
        </View>
      ) : null}
      {consent ? <View className="banner consent">{consent}</View> : null}
      {data && !data.myNotifications.length ? <View className="muted">{t("notices.empty")}</View> : null}
      {data?.myNotifications.map((n) => (
        <View
          key={n.eventId}
          className="card notice"
          onClick={() => void Taro.navigateTo({ url: `/pages/approval/detail?id=${encodeURIComponent(n.instanceId)}` })}
        >
          <View className="row">
            <Text>{n.summary}</Text>
            <Text className="tag">{statusText(n.status)}</Text>
          </View>
          <View className="muted">{n.at.slice(0, 16).replace("T", " ")}</View>
        </View>
      ))}
      <View className="row" style={{ marginTop: "40px" }}>
        <View className="btn-ghost" onClick={() => setLang(currentLang() === "zh" ? "en" : "zh")}>
          {t("lang.switch")}
        </View>
        <View
          className="btn-ghost"
          onClick={() => {
            saveSession(null);
            void Taro.reLaunch({ url: "/pages/login/index" });
          }}
        >
          {t("login.signOut")}
        </View>
      </View>
    </View>
  );
}
