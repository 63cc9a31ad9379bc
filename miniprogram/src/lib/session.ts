// Who is signed in: Zhiku's JWT, kept in the app's storage. On the phone the token comes from
// Taro.login's one-time code → POST /auth/miniprogram (the server calls jscode2session); in H5 from the
// development sign-in (/auth/dev/*, as web/ does). A token close to expiry is renewed the same way
// before a request; an expired or revoked one (the API says UNAUTHENTICATED / INVALID_TOKEN) sends the
// user back to sign-in — drafts are stored apart (lib/drafts.ts) and survive.
import Taro from "@tarojs/taro";
import { request } from "./net";

export type Session = {
  token: string;
  employee: string;
  name: string;
  roles: string[];
  expiresAt: number;
  via: "wechat" | "dev";
};

const KEY = "zhiku.session";
const EXPIRED = "zhiku.session.expired";

/** Whether the last sign-in ran out (or was revoked) and the user has not signed in since. */
export function sessionExpired(): boolean {
  return !!Taro.getStorageSync(EXPIRED);
}
/** Renew this long before the token expires. */
export const RENEW_MARGIN_MS = 5 * 60 * 1000;
export const AUTH_CODES = new Set(["UNAUTHENTICATED", "INVALID_TOKEN"]);

export class AuthExpired extends Error {
  constructor() {
    super("auth expired");
    this.name = "AuthExpired";
  }
}

let current: Session | null = null;

export function loadSession(now = Date.now()): Session | null {
  if (current && current.expiresAt > now) return current;
  try {
    const raw = Taro.getStorageSync(KEY) as string;
    const s = raw ? (JSON.parse(raw) as Session) : null;
    current = s && s.token && s.expiresAt > now ? s : null;
  } catch {
    current = null;
  }
  return current;
}

export function saveSession(s: Session | null): void {
  current = s;
  if (s) Taro.setStorageSync(KEY, JSON.stringify(s));
  else Taro.removeStorageSync(KEY);
}

type TokenBody = {
  token?: string;
  employee: string;
  name?: string;
  roles?: string[];
  expiresIn: number;
  error?: { code?: string; message?: string };
};

function fromBody(body: TokenBody, via: Session["via"]): Session {
  if (!body.token) throw new Error(body.error?.message ?? "no token");
  const s: Session = {
    token: body.token,
    employee: body.employee,
    name: body.name ?? body.employee,
    roles: body.roles ?? [],
    expiresAt: Date.now() + body.expiresIn * 1000,
    via,
  };
  saveSession(s);
  Taro.removeStorageSync(EXPIRED);
  return s;
}

/** weapp: Taro.login → /auth/miniprogram. */
export async function signInWeChat(): Promise<Session> {
  const { code } = await Taro.login();
  return fromBody(await request<TokenBody>({ path: "/auth/miniprogram", data: { code } }), "wechat");
}

export type Persona = { id: string; name: string; department: string; level: number; roles: string[] };

export async function fetchPersonas(): Promise<Persona[]> {
  const body = await request<{ personas: Persona[] }>({ path: "/auth/dev/personas", method: "GET" });
  return body.personas ?? [];
}

/** H5 (development): sign in as one of the demo employees. */
export async function signInDev(employee: string): Promise<Session> {
  return fromBody(await request<TokenBody>({ path: "/auth/dev/login", data: { employee } }), "dev");
}

/** A session good for at least RENEW_MARGIN_MS more, renewing it the way it was obtained. */
export async function freshSession(now = Date.now()): Promise<Session> {
  const s = loadSession(now);
  if (!s) throw new AuthExpired();
  if (s.expiresAt - now > RENEW_MARGIN_MS) return s;
  try {
    return s.via === "wechat" ? await signInWeChat() : await signInDev(s.employee);
  } catch {
    if (s.expiresAt > now) return s; // renewal failed but the token still works: use it, try later
    throw new AuthExpired();
  }
}

/** Back to sign-in — saying the old sign-in expired when there was one (drafts are kept). */
export function expire(): void {
  const had = current !== null || !!Taro.getStorageSync(KEY);
  saveSession(null);
  // Several requests may fail at once: the first says "expired", and the sign-in page keeps saying it.
  if (had) Taro.setStorageSync(EXPIRED, "1");
  const pages = Taro.getCurrentPages();
  const here = pages.length ? pages[pages.length - 1].route : "";
  if (here && here.includes("pages/login")) return;
  void Taro.reLaunch({ url: had ? "/pages/login/index?expired=1" : "/pages/login/index" });
}
