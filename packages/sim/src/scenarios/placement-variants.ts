import type { LeaseConfig } from '@dreammesh/protocols'

/**
 * Deliberately broken variants of the placement soak: each must produce violations, or the invariant could
 * not fail (issue 5: "a check that cannot fail is a defect"). Nothing in the protocols knows them: one
 * changes the config every node's LeaseMachine is given, the other the host glue.
 *
 * - `no-drift-margin`: every lease machine runs with `maxClockDriftPpm: 0` while the clocks drift at
 *   ±1,000 ppm, so a holder trusts its lease longer (by its slow clock) than a voter keeps it (by its fast one).
 *   It runs a minute-long lease and the isolate-holder faults (see `longLease`).
 * - `start-on-dead`: the host starts a copy as soon as membership declares the old node dead, without
 *   waiting for the lease (what ADR 0009 forbids: "a dead verdict from membership never starts a new copy").
 */
export const PLACEMENT_VARIANTS = ['no-drift-margin', 'start-on-dead'] as const
export type PlacementVariant = typeof PLACEMENT_VARIANTS[number]

/**
 * The real lease's drift error is 2ρL = 5 ms (ρ = 1,000 ppm, L = 2.5 s), much less than the 200 ms of retry
 * jitter that decides when a contender asks again, so a build without the drift allowance overlaps in about
 * one seed of forty even under the isolate-holder faults. As lease-soak.spec.ts does with a ten-minute lease,
 * the no-drift-margin variant runs a minute-long lease: its drift error is 120 ms and shows within a few seeds.
 * The same long lease WITH the allowance is the control, and must stay safe (`longLease` of a run).
 */
export function longLease (c: LeaseConfig): LeaseConfig {
  return { ...c, leaseMs: 60_000, renewEveryMs: 2_000 }
}

/** The lease config every node runs under `variant`. */
export function variantLeaseConfig (config: LeaseConfig, variant: PlacementVariant | undefined): LeaseConfig {
  return variant === 'no-drift-margin' ? { ...longLease(config), maxClockDriftPpm: 0 } : config
}
