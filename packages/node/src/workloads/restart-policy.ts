import type { RestartPolicy } from './spec.js'

/** How one run of an instance ended. */
export type RunEnd =
  | { kind: 'exited', code: number | null, signal: NodeJS.Signals | null }
  /** The supervisor killed it because its health check failed. */
  | { kind: 'unhealthy' }

export type RestartDecision =
  | { restart: true, delayMs: number, restartsInLoop: number }
  | { restart: false, reason: 'policy-never' | 'succeeded' | 'max-restarts', restartsInLoop: number }

/** A clean exit is code 0; a non-zero code, a signal or unhealthiness is a failure. */
export function isFailure (end: RunEnd): boolean {
  return end.kind === 'unhealthy' || end.code !== 0
}

/**
 * The wait before restart number `attempt` (0-based) of a crash loop, in ms: initialDelayMs × multiplier^attempt,
 * capped at maxDelayMs. Exponential so a crash loop costs the node little; capped so a fixed fault is retried.
 */
export function backoffDelayMs (policy: RestartPolicy, attempt: number): number {
  const delay = policy.initialDelayMs * Math.pow(policy.multiplier, attempt)
  return Math.min(policy.maxDelayMs, Number.isFinite(delay) ? delay : policy.maxDelayMs)
}

/**
 * Whether and when to start an instance again after a run ended.
 *
 * `restartsInLoop` counts restarts since the last stable run. A run of at least `stableAfterMs` ends the crash
 * loop first: a process that served for an hour and then crashed is restarted after `initialDelayMs`, not after
 * the backoff its crashes of last week had reached, and it gets its `maxRestarts` again.
 */
export function decideRestart (policy: RestartPolicy, restartsInLoop: number, end: RunEnd, ranForMs: number): RestartDecision {
  const loop = ranForMs >= policy.stableAfterMs ? 0 : restartsInLoop
  if (policy.mode === 'never') return { restart: false, reason: 'policy-never', restartsInLoop: loop }
  if (policy.mode === 'on-failure' && !isFailure(end)) return { restart: false, reason: 'succeeded', restartsInLoop: loop }
  if (loop >= policy.maxRestarts) return { restart: false, reason: 'max-restarts', restartsInLoop: loop }
  return { restart: true, delayMs: backoffDelayMs(policy, loop), restartsInLoop: loop + 1 }
}
