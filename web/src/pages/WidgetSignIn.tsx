// The embeddable widget's sign-in pop-up (/widget/signin?origin=…): reached through the console's own
// sign-in (WeCom SSO or the development login), it hands the session's token to the page that opened
// it — by postMessage to that page's origin only, and only when the server lists the origin in
// ZHIKU_WIDGET_ORIGINS (GET /auth/widget/origins) — then closes.
import { useEffect, useState } from "react";
import { Result } from "antd";
import { useSearchParams } from "react-router";
import { useAuth } from "../lib/auth";
import { useT } from "../lib/i18n";
import { TOKEN_MESSAGE } from "../widgetProtocol";

export default function WidgetSignInPage() {
  const { t } = useT();
  const { session } = useAuth();
  const [params] = useSearchParams();
  const origin = params.get("origin") ?? "";
  const [state, setState] = useState<"checking" | "done" | "refused">("checking");

  useEffect(() => {
    let cancelled = false;
    fetch("/auth/widget/origins")
      .then((r) => (r.ok ? r.json() : { origins: [] }))
      .then((body: { origins: string[] }) => {
        if (cancelled) return;
        const opener = window.opener as Window | null;
        if (!session || !opener || !body.origins.includes(origin)) return setState("refused");
        opener.postMessage({ type: TOKEN_MESSAGE, token: session.token, name: session.name, expiresAt: session.expiresAt }, origin);
        setState("done");
        window.close();
      })
      .catch(() => !cancelled && setState("refused"));
    return () => {
      cancelled = true;
    };
  }, [origin, session]);

  if (state === "refused") return <Result status="403" title={t("forbidden.title")} subTitle={t("widget.refused", { origin })} />;
  return <Result status={state === "done" ? "success" : "info"} title={t(state === "done" ? "widget.done" : "widget.checking")} />;
}
