import { type PropsWithChildren } from "react";
import { useLaunch } from "@tarojs/taro";
import Taro from "@tarojs/taro";
import { initLang } from "./lib/i18n";
import { loadSession } from "./lib/session";
import "./app.css";

function App({ children }: PropsWithChildren) {
  useLaunch(() => {
    initLang();
    if (!loadSession()) void Taro.reLaunch({ url: "/pages/login/index" });
  });
  return children;
}

export default App;
