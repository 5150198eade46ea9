import { homeConfig, leaseConfig, Xoshiro128 } from '@dreammesh/protocols'
import { wifiProfile, type SimNetworkOptions } from '../network/options.js'
import { noPlacementFaults, schedulePlacementFaults, type PlacementFaultCounts, type PlacementFaultShape } from './placement-faults.js'
import { slotsNotExactlyOnce, type PlacementViolation } from './placement-invariant.js'
import { capacityOf, soakSpecs } from './placement-specs.js'
import { longLease, variantLeaseConfig, type PlacementVariant } from './placement-variants.js'
import { PlacementWorld, type PlacementCounters } from './placement-world.js'

/**
 * One seed of the placement soak (issue 5, section 7): at least 5 servers (the lease voters) and 2 or 3
 * clients, each running the real membership (the `home` preset), lease (the real default `leaseConfig()`)
 * and workload-agent machines; a cold start; a safety phase of faults with the invariant checked at every
 * event; then a liveness phase in which every leased slot must run on exactly one node within 5 s.
 *
 * Everything is drawn from the seed: the workloads, the network (a quiet LAN or a lossy WiFi, with duplicated
 * and reordered packets for the leases' sake), the clocks (uniform within ±1,000 ppm, or every clock at
 * +1,000 or −1,000 exactly), and the faults.
 */

export interface PlacementRunOptions {
  seed: number
  variant?: PlacementVariant
  /** The safety phase, in virtual seconds. @default 60 */
  safetySeconds?: number
  /** The liveness phase, in virtual seconds. @default 15 */
  livenessSeconds?: number
  /** The faults' shape. @default 'default' (the no-drift-margin variant uses 'isolate-holder', see there) */
  shape?: PlacementFaultShape
  /**
   * Run the minute-long lease of `longLease` (with the drift allowance): the no-drift-margin variant's control.
   * The no-drift-margin variant always runs it (without the allowance).
   */
  longLease?: boolean
  /** Keep a timeline of the run. */
  trace?: boolean
}

export interface PlacementRunResult {
  seed: number
  variant: PlacementVariant | undefined
  /** The command that replays this seed. */
  replay: string
  servers: number
  clients: number
  network: 'lan' | 'wifi'
  clocks: 'uniform' | 'extremes' | 'voters-fast'
  virtualSeconds: number
  wallMs: number
  faults: PlacementFaultCounts
  counters: PlacementCounters
  slots: { service: number, replicated: number }
  /** Virtual ms from the cold start until every slot ran on exactly one node, or null. */
  coldStartMs: number | null
  liveness: {
    /**
     * Every service slot, and every replicated slot, ran on exactly one node within the target after the faults
     * stopped: 5 s, or a lease more with the minute-long lease.
     */
    ok: boolean
    /** Virtual ms after the faults stopped until every service slot ran on exactly one node, or null. */
    serviceMs: number | null
    /** The same for the replicated slots. */
    replicatedMs: number | null
    /**
     * Slots not on exactly one node at the end of the phase, with on how many nodes they ran: reported, not a
     * failure, since loss stays on in the liveness phase and a holder whose renewals keep failing stops (and
     * its slot starts again) as designed.
     */
    missing: Array<{ slot: string, nodes: number }>
  }
  violationCount: number
  violations: PlacementViolation[]
  trace?: string[]
}

export const PLACEMENT_RUN_DEFAULTS = { safetySeconds: 60, livenessSeconds: 15 }
/** With the minute-long lease the safety phase is this long by default: room for four isolations. */
const LONG_LEASE_SAFETY_SECONDS = 250
const LONG_LEASE_MS = 60_000

/** After the faults stop, every slot must run on exactly one node within this long (issue 5). */
export const LIVENESS_TARGET_MS = 5_000
/** Machines start within this long of each other. */
const COLD_START_SPREAD_MS = 1_000
/** The faults begin this long after the cold start, once the cluster has placed everything. */
const SETTLE_MS = 8_000
/** How often the liveness phase looks at the process table, in virtual ms. */
const POLL_MS = 50
const DRIFT_PPM = 1_000

/** The liveness target of a run: 5 s, or a minute more with the minute-long lease (it fails over in a minute). */
export function livenessTargetOf (o: Pick<PlacementRunOptions, 'longLease' | 'variant'>): number {
  return LIVENESS_TARGET_MS + (o.longLease === true || o.variant === 'no-drift-margin' ? LONG_LEASE_MS : 0)
}

/** The command that replays one seed of the soak run with options `o`. */
export function placementReplay (o: PlacementRunOptions): string {
  const flags = [`--seeds 1 --seed-base ${o.seed}`]
  if (o.variant !== undefined) flags.push(`--variant ${o.variant}`)
  if (o.shape !== undefined) flags.push(`--shape ${o.shape}`)
  if (o.longLease === true) flags.push('--long-lease')
  if (o.safetySeconds !== undefined) flags.push(`--safety ${o.safetySeconds}s`)
  if (o.livenessSeconds !== undefined) flags.push(`--liveness ${o.livenessSeconds}s`)
  return `npm run soak:placement -- ${flags.join(' ')}`
}

export function runPlacementSeed (o: PlacementRunOptions): PlacementRunResult {
  const wallStart = performance.now()
  const long = o.longLease === true || o.variant === 'no-drift-margin'
  const safetyMs = (o.safetySeconds ?? (long ? LONG_LEASE_SAFETY_SECONDS : PLACEMENT_RUN_DEFAULTS.safetySeconds)) * 1000
  const livenessTargetMs = livenessTargetOf(o)
  const livenessMs = (o.livenessSeconds ?? PLACEMENT_RUN_DEFAULTS.livenessSeconds + (long ? LONG_LEASE_MS / 1000 : 0)) * 1000
  const shape: PlacementFaultShape = o.shape ?? (o.variant === 'no-drift-margin' ? 'isolate-holder' : 'default')
  const lease = variantLeaseConfig(long ? longLease(leaseConfig()) : leaseConfig(), o.variant)
  const draw = new Xoshiro128(o.seed).fork('scenario')
  const servers = 5 + draw.int(2)
  const clients = 2 + draw.int(2)
  const wifi = draw.float() < 0.3
  const shaped = shape === 'isolate-holder'
  // The shape that lets a drift error show, every clock at the bound: the voters' (servers') fast, so their
  // grants run out early; the clients', which hold the singletons, alternately slow (a holder that trusts its
  // lease longest) and fast (a contender whose retry, timed by a voter's budget, comes soonest).
  const clocks: PlacementRunResult['clocks'] = shaped ? 'voters-fast' : draw.float() < 0.5 ? 'extremes' : 'uniform'
  const specs = soakSpecs(draw.fork('specs'), { servicesOnClients: shaped })
  const network: SimNetworkOptions = wifi
    ? wifiProfile({ duplicateProbability: 0.01, reorderProbability: 0.01 })
    : { delayMinMs: 0.1, delayMeanMs: 0.25, lossProbability: draw.float() * 0.01, duplicateProbability: 0.005, reorderProbability: 0.005 }
  const world = new PlacementWorld({
    seed: o.seed,
    servers,
    clients,
    specs,
    capacityOf: (_i, role) => capacityOf(role),
    network,
    clockRate: (i, rng) => {
      const sign = rng.float() < 0.5 ? -1 : 1
      const spread = clocks === 'voters-fast' ? (i < servers || i % 2 === 1 ? 1 : -1) : clocks === 'extremes' ? sign : 2 * rng.float() - 1
      return 1 + spread * DRIFT_PPM / 1e6
    },
    leaseConfig: lease,
    membershipConfig: homeConfig(),
    startOnDead: o.variant === 'start-on-dead',
    trace: o.trace
  })
  const keys = { service: world.slotKeys(['service']), replicated: world.slotKeys(['replicated']) }
  const all = [...keys.service, ...keys.replicated]

  for (const m of world.machines) world.queue.at(draw.float() * COLD_START_SPREAD_MS, () => { world.boot(m.index) })
  let coldStartMs: number | null = null
  while (world.nowMs < SETTLE_MS) {
    world.queue.runUntil(world.nowMs + POLL_MS)
    if (coldStartMs === null && slotsNotExactlyOnce(all, world.processes).length === 0) coldStartMs = world.nowMs
  }

  const faults = noPlacementFaults()
  const endAt = SETTLE_MS + safetyMs
  const stopFaults = schedulePlacementFaults(world, draw.fork('faults'), { fromMs: SETTLE_MS, toMs: endAt, maxPauseMs: lease.maxPauseMs, leaseMs: lease.leaseMs, shape }, faults)
  world.queue.runUntil(endAt)
  stopFaults()
  world.note('faults stop: liveness phase')

  let serviceMs: number | null = null
  let replicatedMs: number | null = null
  while (world.nowMs < endAt + livenessMs) {
    world.queue.runUntil(world.nowMs + POLL_MS)
    if (serviceMs === null && slotsNotExactlyOnce(keys.service, world.processes).length === 0) serviceMs = world.nowMs - endAt
    if (replicatedMs === null && slotsNotExactlyOnce(keys.replicated, world.processes).length === 0) replicatedMs = world.nowMs - endAt
  }
  const missing = slotsNotExactlyOnce(all, world.processes)
  const within = (x: number | null): boolean => x !== null && x <= livenessTargetMs
  return {
    seed: o.seed,
    variant: o.variant,
    replay: placementReplay({ ...o, trace: undefined }),
    servers,
    clients,
    network: wifi ? 'wifi' : 'lan',
    clocks,
    virtualSeconds: world.nowMs / 1000,
    wallMs: performance.now() - wallStart,
    faults,
    counters: world.counters,
    slots: { service: keys.service.length, replicated: keys.replicated.length },
    coldStartMs,
    liveness: { ok: within(serviceMs) && within(replicatedMs), serviceMs, replicatedMs, missing },
    violationCount: world.checker.violationCount,
    violations: world.checker.violations,
    ...(world.trace === undefined ? {} : { trace: world.trace })
  }
}
