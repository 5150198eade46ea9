import { holderValidMs, killMarginMs, voterHoldMs } from './bounds.js'

/**
 * Lease configuration, with presets in the manner of memberlist's DefaultLANConfig. The arithmetic that ties
 * the numbers together (why a holder's lease always ends before every granting voter's) is in bounds.ts and
 * docs/adr/0009-leases-by-quorum-ballots.md; `leaseConfigProblems` refuses a config that breaks it.
 *
 * All times are milliseconds of the node's own clock, which must count suspend (CLOCK_BOOTTIME): a laptop
 * that slept must not find its old lease still running.
 */
export interface LeaseConfig {
  /**
   * The nominal lease, in true time. A holder trusts it for `leaseMs·(1−ρ)` of its clock from when it sent the
   * request; a voter keeps its grant `leaseMs·(1+ρ)` of its clock from when it granted (ρ = maxClockDriftPpm).
   */
  leaseMs: number
  /** How long after a successful round's request the holder renews. Must leave room for a retry before stop-by. */
  renewEveryMs: number
  /** A request or renewal round not answered by a quorum this long after it was sent has failed. */
  requestTimeoutMs: number
  /** The largest rate error of any node's clock, in parts per million (±). 1,000 is a cheap crystal with margin. */
  maxClockDriftPpm: number
  /**
   * The longest a node's process may stall (GC, swap, a stopped VM) between a deadline and acting on it. The
   * holder's kill-by comes this much (and drift) before its lease ends, so a stalled host still kills in time.
   */
  maxPauseMs: number
  /** How long the holder's instance gets to stop gracefully (SIGTERM to SIGKILL). */
  stopGraceMs: number
  /** Kill-by comes this long before the lease ends; must cover maxPauseMs stretched by drift. */
  marginMs: number
  /** After a failed acquisition round, wait a random time up to this before the next (contenders de-synchronise). */
  retryJitterMs: number
  /** The most resources one node votes on or holds; past it, new ones are refused and counted. */
  maxResources: number
  /** The most voters in a set (the wire limit is 15). */
  maxVoters: number
  /** The most grants waiting for the host's `persisted` at once; past it, requests are denied `busy`. */
  maxPendingPersists: number
  /** The most handoff asks remembered per resource (the latest from each asker). */
  maxHandoffAsks: number
  /** The largest lease message, in bytes. */
  maxMessageBytes: number
}

/**
 * Home and office: a 2.5 s lease renewed every 500 ms. A dead holder's singleton restarts elsewhere about
 * 2.5 s after its last renewal (plus the voter's drift allowance): issue 5 wants it answering again within
 * 3 s at the median (bench:failover). The holder begins to stop 1.1 s before its end if renewals keep
 * failing (stop grace 0.5 s, margin 0.6 s covering a 500 ms stall), which tolerates two lost renewals in a
 * row; the first 4 s preset tolerated three, at 4 s failovers.
 */
export function leaseConfig (): LeaseConfig {
  return {
    leaseMs: 2_500,
    renewEveryMs: 500,
    requestTimeoutMs: 250,
    maxClockDriftPpm: 1_000,
    maxPauseMs: 500,
    stopGraceMs: 500,
    marginMs: 600,
    retryJitterMs: 200,
    maxResources: 4_096,
    maxVoters: 15,
    maxPendingPersists: 1_024,
    maxHandoffAsks: 8,
    maxMessageBytes: 1_024
  }
}

/** Fast numbers for tests on one machine: a 400 ms lease, 50 ms stalls. */
export function localTestLeaseConfig (): LeaseConfig {
  return {
    ...leaseConfig(),
    leaseMs: 400,
    renewEveryMs: 100,
    requestTimeoutMs: 50,
    maxPauseMs: 50,
    stopGraceMs: 100,
    marginMs: 60,
    retryJitterMs: 40
  }
}

/**
 * Every problem with a config, or an empty list. Checked once when a machine is made, so a margin that makes
 * the safety bound impossible fails at start, not in a partition.
 */
export function leaseConfigProblems (c: LeaseConfig): string[] {
  const problems: string[] = []
  for (const key of Object.keys(leaseConfig()) as Array<keyof LeaseConfig>) {
    const v = c[key]
    const mayBeZero = key === 'maxPauseMs' || key === 'retryJitterMs' || key === 'maxClockDriftPpm'
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (v === 0 && !mayBeZero)) {
      problems.push(`${key} must be a ${mayBeZero ? 'non-negative' : 'positive'} number, got ${String(v)}`)
    }
  }
  if (problems.length > 0) return problems
  if (c.maxClockDriftPpm >= 100_000) problems.push('maxClockDriftPpm must be below 100,000 (10%): a clock that bad cannot time a lease')
  if (c.marginMs < killMarginMs(c)) {
    problems.push(`marginMs must cover maxPauseMs stretched by drift (at least ${killMarginMs(c)} ms), or a stalled holder kills after its lease ended`)
  }
  const stopAfterMs = holderValidMs(c) - c.stopGraceMs - c.marginMs
  if (stopAfterMs <= 0) problems.push('stopGraceMs + marginMs must be shorter than the holder\'s lease (leaseMs shortened by drift)')
  // One renewal round and one retry must fit before stop-by, or a single lost packet stops the workload.
  if (c.renewEveryMs + 2 * c.requestTimeoutMs > stopAfterMs) {
    problems.push(`renewEveryMs + 2 × requestTimeoutMs must end before stop-by (${stopAfterMs} ms into the lease): renew well before expiry`)
  }
  if (c.requestTimeoutMs >= c.renewEveryMs) problems.push('requestTimeoutMs must be below renewEveryMs')
  if (voterHoldMs(c) > 0xffff_ffff) problems.push('leaseMs is too long for the wire (budgetMs is a uint32)')
  if (c.maxVoters > 15) problems.push('maxVoters must be at most 15 (the wire limit)')
  if (c.maxMessageBytes < 512) problems.push('maxMessageBytes must be at least 512 (a message with 15 voter ids)')
  return problems
}
