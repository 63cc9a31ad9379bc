// Sign-in. Development: pick a demo employee (POST /auth/dev/login). Production: WeCom SSO
// (/auth/wecom/login), which comes back here with the token in the URL fragment.
import { useEffect, useMemo, useState } from "react";
import { Alert, Button, Card, Select, Space, Typography } from "antd";
import { useLocation, useNavigate } from "react-router";
import { devLogin, fetchPersonas, useAuth, type Persona } from "../lib/auth";
import { useT } from "../lib/i18n";
import type { Role } from "../lib/roles";

const SHOWCASE: Role[] = ["employee", "knowledge_engineer", "analyst", "agent", "hr", "manager", "admin"];

async function sessionFromToken(token: string) {
  const r = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: "{ me { id name roles } }" }),
  });
  const body = await r.json();
  const me = body?.data?.me;
  if (!me) throw new Error(body?.errors?.[0]?.message ?? "sign-in failed");
  return { token, employee: me.id as string, name: me.name as string, roles: me.roles as string[], expiresAt: Date.now() + 8 * 3600_000 };
}

export function LoginPage() {
  const { t, lang, setLang } = useT();
  const { signIn, expired } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [personas, setPersonas] = useState<Persona[] | null | undefined>(undefined);
  const [chosen, setChosen] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const next = new URLSearchParams(location.search).get("next") || "/chat";

  useEffect(() => {
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    if (token) {
      history.replaceState(null, "", location.pathname + location.search); // the token leaves the address bar
      sessionFromToken(token).then(signIn, (e: Error) => setError(e.message));
    }
    fetchPersonas().then(setPersonas, () => setPersonas(null));
  }, [location.hash, location.pathname, location.search, signIn]);

  const suggested = useMemo(() => {
    if (!personas) return [];
    const out: { role: Role; p: Persona }[] = [];
    for (const role of SHOWCASE) {
      const p =
        role === "employee"
          ? personas.find((x) => x.roles.length === 1 && x.roles[0] === "employee" && x.level >= 5)
          : personas.find((x) => x.roles.includes(role) && !out.some((o) => o.p.id === x.id));
      if (p) out.push({ role, p });
    }
    return out;
  }, [personas]);

  const login = async (id: string) => {
    setBusy(true);
    setError(undefined);
    try {
      signIn(await devLogin(id));
      navigate(next, { replace: true });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="zk-login">
      <Card
        title={<h1 style={{ fontSize: 20, margin: 0 }}>{t("auth.title")}</h1>}
        extra={<Button size="small" onClick={() => setLang(lang === "zh" ? "en" : "zh")}>{t("app.lang")}</Button>}
      >
        {expired && <Alert type="warning" showIcon title={t("auth.expired")} style={{ marginBottom: 16 }} />}
        {error && <Alert type="error" showIcon title={error} style={{ marginBottom: 16 }} />}
        {personas === null && <Alert type="info" showIcon title={t("auth.devUnavailable")} style={{ marginBottom: 16 }} />}
        {personas && (
          <>
            <Typography.Paragraph type="secondary">{t("auth.devHint")}</Typography.Paragraph>
            <Typography.Text strong>{t("auth.suggested")}</Typography.Text>
            <div className="zk-persona-grid">
              {suggested.map(({ role, p }) => (
                <Button key={p.id} onClick={() => login(p.id)} disabled={busy} data-persona={p.id}>
                  {t(`role.${role}` as const)} · {p.name}
                </Button>
              ))}
            </div>
            <Space.Compact style={{ width: "100%" }}>
              <Select
                showSearch
                aria-label={t("auth.pick")}
                placeholder={t("auth.pick")}
                style={{ flex: 1 }}
                value={chosen}
                onChange={setChosen}
                optionFilterProp="label"
                options={personas.map((p) => ({
                  value: p.id,
                  label: `${p.name} ${p.id} · ${p.department} · ${p.roles.map((r) => t(`role.${r as Role}` as const)).join("/")}`,
                }))}
              />
              <Button type="primary" disabled={!chosen || busy} onClick={() => chosen && login(chosen)}>
                {t("auth.signIn")}
              </Button>
            </Space.Compact>
          </>
        )}
        <div style={{ marginTop: 16 }}>
          <a href={`/auth/wecom/login?redirect=${encodeURIComponent("/login?next=" + next)}`}>{t("auth.wecom")}</a>
        </div>
      </Card>
    </main>
  );
}
