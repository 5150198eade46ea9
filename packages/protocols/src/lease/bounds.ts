import type { LeaseConfig } from './config.js'

/**
 * The lease arithmetic, pure (docs/adr/0009-leases-by-quorum-ballots.md, "The bound").
 *
 * Every node's clock runs at a rate within 1 ± ρ of true time (ρ = maxClockDriftPpm / 10⁶) and counts suspend.
 * A holder sends its request at true time Ts; every granting voter grants at Tg ≥ Ts. The holder trusts
 * `holderValidMs` of its own clock from Ts, which is at most holderValidMs / (1 − ρ) ≤ L of true time; a voter
 * keeps its grant `voterHoldMs` of its clock from Tg, at least voterHoldMs / (1 + ρ) ≥ L of true time. So
 *
 *     holder's end ≤ Ts + L ≤ Tg + L ≤ voter's end        for every voter of the granting quorum.
 *
 * On top, the holder's host may stall for up to P = maxPauseMs before it acts on kill-by, so kill-by comes
 * `marginMs ≥ P·(1 + ρ)` of its clock before the end.
 */

/** ρ as a fraction. */
export function driftOf (c: Pick<LeaseConfig, 'maxClockDriftPpm'>): number {
  return c.maxClockDriftPpm / 1_000_000
}

/** How long a holder may act, of its own clock, from when it SENT the request that a quorum granted. */
export function holderValidMs (c: Pick<LeaseConfig, 'leaseMs' | 'maxClockDriftPpm'>): number {
  return Math.floor(c.leaseMs * (1 - driftOf(c)))
}

/** How long a voter keeps a grant, of its own clock, from when it granted. Also its quiet time after a restart. */
export function voterHoldMs (c: Pick<LeaseConfig, 'leaseMs' | 'maxClockDriftPpm'>): number {
  return Math.ceil(c.leaseMs * (1 + driftOf(c)))
}

/** The least `marginMs` for which a host stalled for maxPauseMs still kills before the lease ends. */
export function killMarginMs (c: Pick<LeaseConfig, 'maxPauseMs' | 'maxClockDriftPpm'>): number {
  return Math.ceil(c.maxPauseMs * (1 + driftOf(c)))
}

/** When the holder begins stopping, for a lease valid until `validUntilMs` (local). */
export function stopByMs (c: Pick<LeaseConfig, 'stopGraceMs' | 'marginMs'>, validUntilMs: number): number {
  return validUntilMs - c.stopGraceMs - c.marginMs
}

/** When the holder SIGKILLs, for a lease valid until `validUntilMs` (local). */
export function killByMs (c: Pick<LeaseConfig, 'marginMs'>, validUntilMs: number): number {
  return validUntilMs - c.marginMs
}

/**
 * What a holder may hand its successor: the holder's remaining lease counted from when the successor's ask
 * ARRIVED (local `askArrivedAtMs`), shortened by (1 − ρ)/(1 + ρ). The successor counts it from when it SENT
 * the ask, which came before the arrival in true time, so its lease ends before the holder's would have:
 *
 *     successor's end ≤ Tsent + budget/(1 − ρ) ≤ Tarrived + (validUntil − askArrivedAt)/(1 + ρ) ≤ holder's end.
 *
 * Zero when there is nothing left to give.
 */
export function handoffBudgetMs (c: Pick<LeaseConfig, 'maxClockDriftPpm'>, validUntilMs: number, askArrivedAtMs: number): number {
  const rho = driftOf(c)
  return Math.max(0, Math.floor((validUntilMs - askArrivedAtMs) * (1 - rho) / (1 + rho)))
}

/** A majority of `n` voters: any two majorities of the same set, or of two sets one member apart, intersect. */
export function quorumOf (n: number): number {
  return Math.floor(n / 2) + 1
}

/**
 * Epochs carry a handoff part: epoch = ballot × HANDOFF_SPAN + handoffs. A quorum grants only epochs whose
 * handoff part is zero; a holder hands its successor its own epoch plus one. So a handed-off epoch can never
 * equal one a quorum grants to someone else, and no two holders ever share an epoch.
 */
export const HANDOFF_SPAN = 1 << 20

/** The handoff part of an epoch. */
export function handoffsOf (epoch: number): number {
  return epoch % HANDOFF_SPAN
}

/** The smallest fresh (quorum-granted) epoch above `epoch`. */
export function nextBallotEpoch (epoch: number): number {
  return (Math.floor(epoch / HANDOFF_SPAN) + 1) * HANDOFF_SPAN
}
