// A WebSocket-shaped wrapper around Taro.connectSocket (wx.connectSocket on the phone, the browser's
// WebSocket in H5), so the same protocol clients run on both targets: graphql-ws's client for
// `graphql-transport-ws` (approval status) and the web console's ChatSocket for /ws/chat.
import Taro from "@tarojs/taro";
import { apiBase } from "./net";

type Handler<E> = ((e: E) => void) | null;

export class TaroWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readyState = 0;
  protocol = "";
  onopen: Handler<Event> = null;
  onmessage: Handler<MessageEvent> = null;
  onclose: Handler<CloseEvent> = null;
  onerror: Handler<Event> = null;
  private task: Taro.SocketTask | null = null;
  private closeAsked: { code: number; reason: string } | null = null;

  constructor(
    readonly url: string,
    protocols?: string | string[],
  ) {
    const list = protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols];
    void Taro.connectSocket({ url, protocols: list.length ? list : undefined })
      .then((task) => {
        this.task = task;
        task.onOpen(() => {
          this.readyState = 1;
          this.protocol = list[0] ?? "";
          if (this.closeAsked) return this.close(this.closeAsked.code, this.closeAsked.reason);
          this.onopen?.({ type: "open" } as Event);
        });
        task.onMessage((m) => this.onmessage?.({ data: m.data } as MessageEvent));
        task.onError((e) => this.onerror?.({ type: "error", message: e.errMsg } as unknown as Event));
        task.onClose((e) => {
          this.readyState = 3;
          this.onclose?.({ code: e.code ?? 1006, reason: e.reason ?? "", wasClean: e.code === 1000 } as CloseEvent);
        });
      })
      .catch((e: { errMsg?: string }) => {
        this.readyState = 3;
        this.onerror?.({ type: "error", message: e.errMsg } as unknown as Event);
        this.onclose?.({ code: 1006, reason: e.errMsg ?? "connect failed", wasClean: false } as CloseEvent);
      });
  }

  send(data: string): void {
    void this.task?.send({ data });
  }

  close(code = 1000, reason = ""): void {
    if (!this.task || this.readyState === 0) {
      this.closeAsked = { code, reason };
      return;
    }
    this.readyState = 2;
    void this.task.close({ code, reason });
  }
}

/** ws(s)://host/path for the API: the page's own host in H5, API_BASE's on the phone. */
export function wsUrl(path: string): string {
  const base = apiBase();
  if (base) return base.replace(/^http/, "ws") + path;
  const loc = (globalThis as { location?: Location }).location;
  return `${loc?.protocol === "https:" ? "wss" : "ws"}://${loc?.host ?? "127.0.0.1"}${path}`;
}
