// Opens an application's attachment for a signed-in person. WeCom cards and chat answers link here
// (/attachment/:id) rather than to the file itself (/api/attachments/:id), which needs the bearer token a
// plain tap does not carry; a signed-out visitor is sent to sign in first and comes back (the shell's
// /login?next=…). Who may read it is the server's rule (the application's people); this page only asks.
import { useEffect, useState } from "react";
import { useParams } from "react-router";
import { Button, Result, Spin } from "antd";
import { useAuth } from "../lib/auth";
import { useT } from "../lib/i18n";

type State =
  | { kind: "loading" }
  | { kind: "ready"; url: string; name: string }
  | { kind: "error"; message: string };

/** The file name from ``Content-Disposition: attachment; filename*=UTF-8''…`` (RFC 6266). */
export function filenameOf(disposition: string | null, fallback: string): string {
  const m = disposition?.match(/filename\*=UTF-8''([^;]+)/i);
  if (!m) return fallback;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return fallback;
  }
}

export default function AttachmentPage() {
  const { id = "" } = useParams();
  const { session, signOut } = useAuth();
  const { t, lang } = useT();
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    let url: string | null = null;
    let live = true;
    const failed = (message: string) => live && setState({ kind: "error", message });
    fetch(`/api/attachments/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${session!.token}` } })
      .then(async (r) => {
        if (r.status === 401) return signOut("expired");
        if (!r.ok) {
          const body = (await r.json().catch(() => null)) as { error?: { message?: string; message_en?: string } } | null;
          return failed((lang === "zh" ? body?.error?.message : body?.error?.message_en) || t("attachment.failed"));
        }
        const blob = await r.blob();
        url = URL.createObjectURL(blob);
        if (live) setState({ kind: "ready", url, name: filenameOf(r.headers.get("content-disposition"), id) });
      })
      .catch(() => failed(t("attachment.failed")));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [id, session, signOut, t, lang]);

  if (state.kind === "loading") return <Spin description={t("attachment.loading")}><div style={{ minHeight: 120 }} /></Spin>;
  if (state.kind === "error") return <Result status="warning" title={t("attachment.unavailable")} subTitle={state.message} />;
  return (
    <Result
      status="success"
      title={state.name}
      subTitle={t("attachment.ready")}
      extra={<Button type="primary" href={state.url} download={state.name} data-testid="attachment-download">{t("attachment.download")}</Button>}
    />
  );
}
