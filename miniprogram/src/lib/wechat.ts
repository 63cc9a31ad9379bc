// WeChat's own APIs the app asks for subscribe-message consent with: wx.requestSubscribeMessage (the
// user's answer per template) and wx.login (a fresh code, so the server learns the openid). On the
// phone they are Taro's; in a browser only a host page that bridges to WeChat has them, by setting
// `window.zhikuWeChat` before the app starts (the H5 browser tests play the user's answers that way).
// Without either the switch is not shown: notices stay visible in the app all the same.
import Taro from "@tarojs/taro";

export type Answers = Record<string, string>; // template id → accept | reject | ban | filter

export type WeChatBridge = {
  requestSubscribeMessage(tmplIds: string[]): Promise<Answers>;
  login(): Promise<{ code: string }>;
};

const onPhone: WeChatBridge = {
  requestSubscribeMessage: async (tmplIds) =>
    (await Taro.requestSubscribeMessage({ tmplIds, entityIds: [] } as never)) as unknown as Answers,
  login: () => Taro.login(),
};

export function wechat(): WeChatBridge | null {
  if (process.env.TARO_ENV === "weapp") return onPhone;
  return (globalThis as { zhikuWeChat?: WeChatBridge }).zhikuWeChat ?? null;
}
