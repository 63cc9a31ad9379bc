// Sign-in: WeChat (Taro.login → /auth/miniprogram) on the phone, the development sign-in in H5.
// Arriving with ?expired=1 says the old sign-in ran out; drafts were kept (lib/drafts.ts).
import { useEffect, useState } from "react";
import { Button, Text, View } from "@tarojs/components";
import Taro, { useRouter } from "@tarojs/taro";
import { t } from "../../lib/i18n";
import { fetchPersonas, sessionExpired, signInDev, signInWeChat, type Persona } from "../../lib/session";

const isWeapp = process.env.TARO_ENV === "weapp";

export default function LoginPage() {
  const router = useRouter();
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!isWeapp) fetchPersonas().then(setPersonas, (e: Error) => setError(t("login.failed", { reason: e.message })));
  }, []);

  const done = () => void Taro.switchTab({ url: "/pages/ask/index" });
  const run = async (how: () => Promise<unknown>) => {
    setBusy(true);
    setError("");
    try {
      await how();
      done();
    } catch (e) {
      setError(t("login.failed", { reason: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <View className="page">
      <View className="title">{t("login.title")}</View>
      {router.params.expired || sessionExpired() ? <View className="banner">{t("login.expired")}</View> : null}
      {error ? <View className="error">{error}</View> : null}
      {isWeapp ? (
        <Button className="btn" disabled={busy} onClick={() => void run(signInWeChat)}>
          {t("login.wechat")}
        </Button>
      ) : (
        <View>
          <View className="muted">{t("login.dev")}</View>
          {personas.map((p) => (
            <View key={p.id} className="card persona" data-id={p.id} onClick={() => void run(() => signInDev(p.id))}>
              <View className="row">
                <Text>{p.name}</Text>
                <Text className="muted">{p.id}</Text>
              </View>
              <View className="muted">
                {p.department} · {p.roles.join(" / ")}
              </View>
            </View>
          ))}
        </View>
      )}
    </View>
  );
}
