// The signed-in employee: a Zhiku JWT (development login or WeCom SSO) kept in this browser's
// localStorage with who it names. An expired or rejected token signs out and returns to /login
// with the page to come back to; drafts live elsewhere (chat keeps its own) and survive.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";

export type Session = { token: string; employee: string; name: string; roles: string[]; expiresAt: number };

const KEY = "zhiku.session";

export function loadSession(now = Date.now()): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (!s.token || s.expiresAt <= now) return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

type Ctx = {
  session: Session | null;
  signIn: (s: Session) => void;
  signOut: (reason?: "expired") => void;
  expired: boolean;
};
const AuthContext = createContext<Ctx | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [expired, setExpired] = useState(false);
  const signIn = useCallback((s: Session) => {
    saveSession(s);
    setExpired(false);
    setSession(s);
  }, []);
  const signOut = useCallback((reason?: "expired") => {
    saveSession(null);
    setExpired(reason === "expired");
    setSession(null);
  }, []);
  const value = useMemo(() => ({ session, signIn, signOut, expired }), [session, signIn, signOut, expired]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Ctx {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error("useAuth outside AuthProvider");
  return ctx;
}

/** Error codes that mean "sign in again". */
export const AUTH_CODES = new Set(["UNAUTHENTICATED", "INVALID_TOKEN"]);

export type Persona = { id: string; name: string; department: string; level: number; roles: string[] };

export async function fetchPersonas(): Promise<Persona[] | null> {
  const r = await fetch("/auth/dev/personas");
  if (!r.ok) return null;
  return ((await r.json()) as { personas: Persona[] }).personas;
}

export async function devLogin(employee: string): Promise<Session> {
  const r = await fetch("/auth/dev/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ employee }),
  });
  const body = await r.json();
  if (!r.ok) throw new Error(body?.error?.message ?? r.statusText);
  return {
    token: body.token,
    employee: body.employee,
    name: body.name,
    roles: body.roles,
    expiresAt: Date.now() + body.expiresIn * 1000,
  };
}
