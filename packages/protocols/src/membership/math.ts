/**
 * The pure arithmetic of SWIM and Lifeguard, pulled out so it can be tested with tables (as memberlist does
 * with remainingSuspicionTime and retransmitLimit).
 */

/**
 * The minimum suspicion timeout: `mult × max(1, log10(n)) × probeIntervalMs` (memberlist's
 * suspicionTimeout). It grows with log N because news takes O(log N) rounds to reach everyone.
 */
export function suspicionTimeoutMs (mult: number, n: number, probeIntervalMs: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, n)))
  return Math.floor(mult * scale * probeIntervalMs)
}

/**
 * Lifeguard section 3.3: the suspicion timeout after `confirmations` independent suspicions out of `k`
 * expected, decaying logarithmically from `maxMs` to `minMs`. Returns the time left after `elapsedMs`
 * (possibly negative).
 */
export function remainingSuspicionTimeMs (confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  const frac = k > 0 ? Math.log(confirmations + 1) / Math.log(k + 1) : 1
  const raw = maxMs - frac * (maxMs - minMs)
  const timeout = Math.max(minMs, Math.floor(raw))
  return timeout - elapsedMs
}

/** How many independent confirmations a suspicion expects (memberlist: `SuspicionMult - 2`, none in tiny clusters). */
export function expectedConfirmations (suspicionMult: number, n: number): number {
  const k = suspicionMult - 2
  return n - 2 < k ? 0 : Math.max(0, k)
}

/** SWIM's infection bound: each update is sent `λ·⌈log10(N+1)⌉` times. */
export function retransmitLimit (mult: number, n: number): number {
  return mult * Math.ceil(Math.log10(n + 1))
}

/** Lifeguard's local health: a score in [0, max - 1] that multiplies the member's own timeouts. */
export function applyHealthDelta (score: number, delta: number, maxMultiplier: number): number {
  return Math.min(maxMultiplier - 1, Math.max(0, score + delta))
}

/** A timeout stretched by local health: `timeoutMs × (score + 1)`. */
export function scaleByHealth (timeoutMs: number, score: number): number {
  return timeoutMs * (score + 1)
}
