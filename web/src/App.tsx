// The shell: header with the pages this employee may use, the language switch and sign-out; each
// route guarded by its roles ("无权访问" otherwise); pages loaded on demand so the first page stays small.
import { lazy, Suspense, useCallback, useMemo, type ReactNode } from "react";
import { ConfigProvider, Layout, Menu, Button, Result, Spin, Tag } from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router";
import { Provider as UrqlProvider } from "urql";
import { useAuth } from "./lib/auth";
import { makeClient } from "./lib/client";
import { useT } from "./lib/i18n";
import { mayOpen, pageOf, pagesFor, type Role } from "./lib/roles";
import { LoginPage } from "./pages/Login";

const ChatPage = lazy(() => import("./pages/Chat"));
const DocumentPage = lazy(() => import("./pages/DocumentView"));
const AttachmentPage = lazy(() => import("./pages/Attachment"));
const HitTestPage = lazy(() => import("./pages/HitTest"));
const DocumentsPage = lazy(() => import("./pages/Documents"));
const DashboardPage = lazy(() => import("./pages/Dashboard"));
const QueriesPage = lazy(() => import("./pages/NamedQueries"));
const ReviewPage = lazy(() => import("./pages/Review"));
const UploadPage = lazy(() => import("./pages/Upload"));
const GraphPage = lazy(() => import("./pages/GraphView"));
const GapsPage = lazy(() => import("./pages/Gaps"));
const WidgetSignInPage = lazy(() => import("./pages/WidgetSignIn"));
const DeskPage = lazy(() => import("./pages/Desk"));
const AdminPage = lazy(() => import("./pages/Admin"));
const SourcesPage = lazy(() => import("./pages/Sources"));
const OntologyPage = lazy(() => import("./pages/Ontology"));

/** Ant Design's defaults with WCAG AA contrast (axe checks it): a darker blue for the primary
 * colour and links (#1677ff on white is 4.1:1), darker secondary and placeholder text. */
const THEME = {
  token: {
    colorPrimary: "#0958d9",
    colorLink: "#0958d9",
    colorTextSecondary: "rgba(0, 0, 0, 0.65)",
    colorTextDescription: "rgba(0, 0, 0, 0.65)",
    colorTextTertiary: "rgba(0, 0, 0, 0.6)",
    colorTextPlaceholder: "rgba(0, 0, 0, 0.55)",
  },
};

function nonce(): string | undefined {
  return document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content || undefined;
}

export function Forbidden({ roles }: { roles: readonly Role[] }) {
  const { t } = useT();
  const navigate = useNavigate();
  return (
    <Result
      status="403"
      title={t("forbidden.title")}
      subTitle={t("forbidden.text", { roles: roles.map((r) => t(`role.${r}` as const)).join("、") })}
      extra={<Button type="primary" onClick={() => navigate("/chat")}>{t("forbidden.back")}</Button>}
    />
  );
}

export function Guard({ path, roles, children }: { path: string; roles: readonly string[]; children: ReactNode }) {
  const page = pageOf(path);
  if (page && !mayOpen(roles, page.roles)) return <Forbidden roles={page.roles ?? []} />;
  return <>{children}</>;
}

export function App() {
  const { t, lang, setLang } = useT();
  const { session, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const expire = useCallback(() => signOut("expired"), [signOut]);
  const client = useMemo(() => (session ? makeClient(session.token, expire) : null), [session, expire]);
  const theme = useMemo(() => THEME, []);
  const csp = useMemo(() => ({ nonce: nonce() }), []);

  let body: ReactNode;
  if (!session || !client) {
    body = (
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search + location.hash)}`} replace />} />
      </Routes>
    );
  } else {
    const pages = pagesFor(session.roles);
    const selected = pages.filter((p) => location.pathname.startsWith(p.path)).sort((a, b) => b.path.length - a.path.length)[0];
    body = (
      <UrqlProvider value={client}>
        <Layout style={{ minHeight: "100vh" }}>
          <Layout.Header className="zk-header">
            <span className="zk-brand">{t("app.title")}</span>
            <Menu
              theme="dark"
              mode="horizontal"
              selectedKeys={selected ? [selected.path] : []}
              items={pages.map((p) => ({ key: p.path, label: t(p.label) }))}
              onClick={(e) => navigate(e.key)}
            />
            <span className="zk-user">
              <span data-testid="me">{session.name}</span>
              {session.roles.filter((r) => r !== "employee").map((r) => (
                <Tag key={r} color="blue">{t(`role.${r as Role}` as const)}</Tag>
              ))}
              <Button size="small" ghost onClick={() => setLang(lang === "zh" ? "en" : "zh")}>{t("app.lang")}</Button>
              <Button size="small" ghost onClick={() => signOut()}>{t("auth.signOut")}</Button>
            </span>
          </Layout.Header>
          <Layout.Content className="zk-content">
            <Suspense fallback={<Spin />}>
              <Routes>
                <Route path="/" element={<Navigate to="/chat" replace />} />
                <Route path="/login" element={<Navigate to={new URLSearchParams(location.search).get("next") || "/chat"} replace />} />
                <Route path="/chat" element={<ChatPage />} />
                <Route path="/doc/:id" element={<DocumentPage />} />
                <Route path="/attachment/:id" element={<AttachmentPage />} />
                <Route path="/kb/hit-test" element={<Guard path="/kb/hit-test" roles={session.roles}><HitTestPage /></Guard>} />
                <Route path="/kb/documents" element={<Guard path="/kb/documents" roles={session.roles}><DocumentsPage /></Guard>} />
                <Route path="/analytics" element={<Guard path="/analytics" roles={session.roles}><DashboardPage /></Guard>} />
                <Route path="/analytics/queries" element={<Guard path="/analytics/queries" roles={session.roles}><QueriesPage /></Guard>} />
                <Route path="/kb/review" element={<Guard path="/kb/review" roles={session.roles}><ReviewPage /></Guard>} />
                <Route path="/kb/upload" element={<Guard path="/kb/upload" roles={session.roles}><UploadPage /></Guard>} />
                <Route path="/kb/graph" element={<Guard path="/kb/graph" roles={session.roles}><GraphPage /></Guard>} />
                <Route path="/kb/sources" element={<Guard path="/kb/sources" roles={session.roles}><SourcesPage /></Guard>} />
                <Route path="/kb/ontology" element={<Guard path="/kb/ontology" roles={session.roles}><OntologyPage /></Guard>} />
                <Route path="/widget/signin" element={<WidgetSignInPage />} />
                <Route path="/kb/gaps" element={<Guard path="/kb/gaps" roles={session.roles}><GapsPage /></Guard>} />
                <Route path="/desk" element={<Guard path="/desk" roles={session.roles}><DeskPage /></Guard>} />
                <Route path="/admin" element={<Guard path="/admin" roles={session.roles}><AdminPage /></Guard>} />
                <Route path="*" element={<Result status="404" title={t("notFound.title")} />} />
              </Routes>
            </Suspense>
          </Layout.Content>
        </Layout>
      </UrqlProvider>
    );
  }
  return (
    <ConfigProvider locale={lang === "zh" ? zhCN : enUS} theme={theme} csp={csp}>
      {body}
    </ConfigProvider>
  );
}
