// A page hook: the "weak network, retrying (n)" line while lib/net.ts retries.
import { useEffect, useState } from "react";
import { onRetry } from "./net";

export function useRetryNotice(): number {
  const [attempt, setAttempt] = useState(0);
  useEffect(() => onRetry(setAttempt), []);
  return attempt;
}
