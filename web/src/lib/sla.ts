// The desk's first-response timers. The server computes each ticket's clock (Ticket.sla: how long the
// employee has waited, the target, the state, as of the server's time); the page only advances a
// running clock by the time elapsed since it was fetched (a monotonic clock, not the client's wall
// clock), and refetches the queue so the server's figures replace the advanced ones regularly.
import { useEffect, useState } from "react";

export type SlaState = "waiting" | "near" | "breached" | "met" | "missed";
export type Sla = { state: string; waitedSeconds: number; targetSeconds: number; nearSeconds: number };

const RUNNING = new Set(["waiting", "near", "breached"]);

/** The clock `elapsed` seconds after the server computed `sla`: a running clock goes on. */
export function advance(sla: Sla, elapsed: number): { state: SlaState; waited: number } {
  if (!RUNNING.has(sla.state)) return { state: sla.state as SlaState, waited: sla.waitedSeconds };
  const waited = sla.waitedSeconds + Math.max(0, Math.floor(elapsed));
  const state: SlaState = waited >= sla.targetSeconds ? "breached" : waited >= sla.nearSeconds ? "near" : "waiting";
  return { state, waited };
}

/** 42 → "0:42", 3725 → "1:02:05". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The antd Tag colour of a state: amber when nearing the target, red when over it. */
export const SLA_COLOR: Record<SlaState, string> = {
  waiting: "processing",
  near: "warning",
  breached: "error",
  met: "success",
  missed: "error",
};

/** Seconds (monotonic) since `since` changed, updated every `intervalMs`. */
export function useElapsed(since: unknown, intervalMs = 1000): number {
  const [start, setStart] = useState(() => performance.now());
  const [now, setNow] = useState(start);
  useEffect(() => {
    const t = performance.now();
    setStart(t);
    setNow(t);
  }, [since]);
  useEffect(() => {
    const id = setInterval(() => setNow(performance.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return (now - start) / 1000;
}
