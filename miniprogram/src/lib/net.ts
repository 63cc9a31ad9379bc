// HTTP for both targets through Taro.request (wx.request on the phone, fetch/XHR in H5), with retries:
// a dropped connection, a timeout, 429 or a 5xx is tried again with exponential back-off, and the
// listeners hear "retrying n" so the page can say so. Anything else comes back at once.
import Taro from "@tarojs/taro";

declare const API_BASE: string;

/** The API's origin: "" in H5 (same origin as the page), the configured https origin on the phone. */
export const apiBase = (): string => (typeof API_BASE === "string" ? API_BASE : "");

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NetworkError";
  }
}

type Listener = (attempt: number) => void;
const listeners = new Set<Listener>();
/** Hear about retries (attempt n ≥ 1) and their end (0). Returns the unsubscribe function. */
export function onRetry(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export const retryPolicy = { attempts: 4, baseMs: 400, maxMs: 4000 };

export function backoffMs(attempt: number): number {
  return Math.min(retryPolicy.maxMs, retryPolicy.baseMs * 2 ** (attempt - 1));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type Req = { path: string; method?: "GET" | "POST"; data?: unknown; token?: string };

export async function request<T>({ path, method = "POST", data, token }: Req): Promise<T> {
  const header: Record<string, string> = { "Content-Type": "application/json" };
  if (token) header.Authorization = `Bearer ${token}`;
  for (let attempt = 0; ; attempt++) {
    let transient: string;
    try {
      const resp = await Taro.request<T>({ url: apiBase() + path, method, data: data as never, header, timeout: 15000 });
      if (resp.statusCode < 500 && resp.statusCode !== 429) {
        if (attempt) listeners.forEach((l) => l(0));
        // 4xx bodies carry the API's error (GraphQL errors, {"error": {...}}): the caller reads them.
        return resp.data;
      }
      transient = `HTTP ${resp.statusCode}`;
    } catch (e) {
      transient = (e as { errMsg?: string; message?: string }).errMsg ?? (e as Error).message ?? "network";
    }
    if (attempt + 1 >= retryPolicy.attempts) {
      listeners.forEach((l) => l(0));
      throw new NetworkError(transient);
    }
    listeners.forEach((l) => l(attempt + 1));
    await sleep(backoffMs(attempt + 1));
  }
}
