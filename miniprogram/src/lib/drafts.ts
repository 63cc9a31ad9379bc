// Drafts survive a failed send, an expired sign-in and a restart: one storage key per employee and form.
import Taro from "@tarojs/taro";

const key = (employee: string, name: string) => `zhiku.draft.${employee || "anon"}.${name}`;

export function loadDraft<T>(employee: string, name: string): T | null {
  try {
    const raw = Taro.getStorageSync(key(employee, name)) as string;
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function saveDraft(employee: string, name: string, value: unknown): void {
  Taro.setStorageSync(key(employee, name), JSON.stringify(value));
}

export function clearDraft(employee: string, name: string): void {
  Taro.removeStorageSync(key(employee, name));
}
