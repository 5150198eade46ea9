/** Polling, the one way the benchmark waits for anything, so every figure has the same resolution. */

/** How often agents are asked, per the issue: every 100 ms. */
export const POLL_INTERVAL_MS = 100

export const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * Calls `check` every POLL_INTERVAL_MS (measured from the start of each call, so a slow check does not
 * stretch the interval) until it returns true; resolves to the time it did, or undefined after `limitMs`.
 */
export async function pollUntil (check: () => Promise<boolean>, limitMs: number): Promise<number | undefined> {
  const until = performance.now() + limitMs
  for (;;) {
    const started = performance.now()
    let done = false
    try { done = await check() } catch { done = false }
    if (done) return performance.now()
    if (performance.now() > until) return undefined
    await sleep(Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)))
  }
}
