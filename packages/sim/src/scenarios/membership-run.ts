import { homeConfig, lanConfig, localTestConfig, wanConfig, type MembershipConfig } from '@dreammesh/protocols'
import type { SimNetworkOptions, TransportModel } from '../network/options.js'
import { InvariantChecker, type Violation } from './invariants.js'
import { MembershipCluster } from './membership-cluster.js'
import { variantConfig, type BrokenVariant } from './variants.js'
import { percentiles, round, type Percentiles } from './stats.js'

export type Preset = 'lan' | 'home' | 'local' | 'wan'
export type PartitionKind = 'none' | 'split' | 'isolate' | 'asymmetric'

/** Everything that defines a membership run; with the code, it determines the result. */
export interface MembershipRunOptions {
  nodes: number
  seed: number
  preset: Preset
  /** Packet loss, a fraction in [0, 1]. */
  loss: number
  /** Mean one-way delay, in ms. */
  delayMs: number
  /** A delay tail: this share of transmissions gets up to `tailMs` more (0 for none). */
  tailShare: number
  tailMs: number
  transport: TransportModel
  /** Members crashed (kill -9) at random times in the safety phase. */
  crash: number
  /**
   * The crashes are lost machines, not killed processes: no connection closes, so no peer gets the
   * connection-closed hint and only SWIM's probes find them (a killed process's kernel still sends RST).
   */
  machineLoss?: boolean
  /** Members that pause, each once every `pauseEverySeconds`, for `pauseMs`; the share of members that do. */
  pauseEverySeconds: number
  pauseMs: number
  pauseShare: number
  partition: PartitionKind
  /** Total virtual time, in seconds: cold start, then the safety phase, then the liveness phase. */
  durationSeconds: number
  /**
   * The liveness phase, in seconds: crashes, pauses and partitions off (loss and delay stay, on purpose),
   * convergence required within 10 s.
   */
  livenessSeconds: number
  /** Members that join the converged cluster one by one during the safety phase (measures joins). */
  joins: number
  driftPpm: number
  /** A deliberately broken variant, to show the checks fire (see `BROKEN_VARIANTS`). */
  variant?: BrokenVariant
  /** Called with the fraction done, for a progress bar. */
  onProgress?: (fraction: number, virtualMs: number) => void
}

export interface FaultCounts { crashes: number, pauses: number, partitions: number, joins: number }

export interface MembershipRunResult {
  nodes: number
  seed: number
  options: Omit<MembershipRunOptions, 'onProgress'>
  virtualSeconds: number
  wallSeconds: number
  phases: { coldStartMs: number, safetyMs: number, livenessMs: number }
  coldStartConvergedMs: number | null
  detection: { firstMs: Percentiles, allMs: Percentiles, missed: number }
  joinAllMs: Percentiles
  /** Joins not known to every running member by the end of the run (they add no sample to joinAllMs). */
  joinMissed: number
  falsePositives: number
  msgsPerNodePerSec: number
  bytesPerNodePerSec: number
  converged: boolean
  convergedAfterMs: number | null
  faults: FaultCounts
  /** The protocol's own counters (probes, syncs, drops by reason), summed over the running members. */
  protocolCounters: Record<string, number>
  completenessBoundMs: number
  violations: Violation[]
  replay: string
  /** The raw samples behind the percentiles, so results of several seeds can be pooled. */
  samples: { detectionFirstMs: number[], detectionAllMs: number[], joinAllMs: number[] }
}

export const RUN_DEFAULTS: Omit<MembershipRunOptions, 'nodes' | 'seed'> = {
  preset: 'lan',
  loss: 0,
  delayMs: 0.2,
  tailShare: 0,
  tailMs: 0,
  transport: 'packets',
  crash: 0,
  pauseEverySeconds: 0,
  pauseMs: 0,
  pauseShare: 0.01,
  partition: 'none',
  durationSeconds: 120,
  livenessSeconds: 30,
  joins: 0,
  driftPpm: 100
}

/** The limit on the cold start: a cluster not converged by then is reported as such. */
const COLD_START_LIMIT_MS = 60_000
/** The wait after the cold start before traffic is counted, in virtual ms. */
const SETTLE_MS = 30_000
/** How often convergence is polled, in virtual ms. */
const POLL_MS = 100
/** The convergence target once faults stop. */
const CONVERGE_WITHIN_MS = 10_000

export function presetConfig (preset: Preset): MembershipConfig {
  return preset === 'lan' ? lanConfig() : preset === 'home' ? homeConfig() : preset === 'wan' ? wanConfig() : localTestConfig()
}

export function networkOptions (o: MembershipRunOptions): SimNetworkOptions {
  return {
    model: o.transport,
    delayMinMs: Math.min(o.delayMs, Math.max(0.05, o.delayMs / 2)),
    delayMeanMs: o.delayMs,
    lossProbability: o.loss,
    delayTailProbability: o.tailShare,
    delayTailMs: o.tailMs
  }
}

/** The one command that replays a run. */
export function replayCommand (o: Omit<MembershipRunOptions, 'onProgress'>): string {
  const flags = [
    `--nodes ${o.nodes}`, `--seed ${o.seed}`, `--preset ${o.preset}`, `--loss ${o.loss}`, `--delay-ms ${o.delayMs}`,
    `--transport ${o.transport}`, `--crash ${o.crash}`, `--duration ${o.durationSeconds}s`, `--liveness ${o.livenessSeconds}s`
  ]
  if (o.machineLoss === true) flags.push('--machine-loss')
  if (o.tailShare > 0) flags.push(`--tail-share ${o.tailShare}`, `--tail-ms ${o.tailMs}`)
  if (o.pauseEverySeconds > 0) flags.push(`--pause-every-s ${o.pauseEverySeconds}`, `--pause-ms ${o.pauseMs}`, `--pause-share ${o.pauseShare}`)
  if (o.partition !== 'none') flags.push(`--partition ${o.partition}`)
  if (o.joins > 0) flags.push(`--joins ${o.joins}`)
  if (o.driftPpm !== RUN_DEFAULTS.driftPpm) flags.push(`--drift-ppm ${o.driftPpm}`)
  if (o.variant !== undefined) flags.push(`--variant ${o.variant}`)
  return `npx dreammesh-sim membership ${flags.join(' ')}`
}

/**
 * One membership run: a cold start of N members (all at once, joining through three seeds), a safety
 * phase with the requested faults and the invariants checked on every event, then a liveness phase in
 * which every view must converge to the truth within 10 s.
 *
 * The liveness phase turns off crashes, pauses and partitions; packet loss and delay stay, as on a real
 * LAN. That is deliberate and stricter than a fault-free phase: accuracy (no reachable live member declared
 * dead) and convergence must hold under the run's loss and delay, not only on a perfect network.
 *
 * The invariants are those of the unbroken preset: a broken `variant` changes the members (or their
 * config), never the bounds the checker holds them to.
 */
export function runMembership (options: MembershipRunOptions): MembershipRunResult {
  const wallStart = performance.now()
  const { onProgress, ...o } = options
  const preset = presetConfig(o.preset)
  const config = variantConfig(preset, o.variant)
  const durationMs = o.durationSeconds * 1000
  const livenessMs = Math.min(o.livenessSeconds * 1000, durationMs)
  const cluster = new MembershipCluster({
    nodes: o.nodes,
    seed: o.seed,
    config,
    network: networkOptions(o),
    driftPpm: o.driftPpm,
    variant: o.variant === 'no-refutation' ? 'no-refutation' : undefined
  })
  const checker = new InvariantChecker(cluster, preset)
  const rng = cluster.rng.fork('faults')
  const faults: FaultCounts = { crashes: 0, pauses: 0, partitions: 0, joins: 0 }
  const progress = (): void => onProgress?.(Math.min(1, cluster.nowMs / durationMs), cluster.nowMs)

  // Cold start: everyone within the first second, as when a building's power comes back.
  for (let i = 0; i < o.nodes; i++) {
    cluster.queue.at(rng.float() * 1000, () => { cluster.start(i) })
  }
  let coldStartConvergedMs: number | null = null
  const coldLimit = Math.min(COLD_START_LIMIT_MS, durationMs - livenessMs)
  cluster.runUntil(1000)
  while (cluster.nowMs < coldLimit) {
    cluster.runFor(POLL_MS * 5)
    progress()
    if (cluster.viewsMatchTruth()) { coldStartConvergedMs = cluster.nowMs; break }
  }
  const safetyStart = cluster.nowMs
  const livenessStart = Math.max(safetyStart, durationMs - livenessMs)
  const safetyMs = livenessStart - safetyStart

  // Traffic is counted from a settling time after the cold start (the cold start's gossip takes a few
  // seconds to drain), so msgsPerNodePerSec and bytesPerNodePerSec are the steady state plus the run's faults.
  const settleMs = Math.min(SETTLE_MS, (durationMs - cluster.nowMs) / 2)
  let trafficStart = cluster.network.totals()
  let trafficStartMs = cluster.nowMs
  cluster.queue.at(cluster.nowMs + settleMs, () => {
    trafficStart = cluster.network.totals()
    trafficStartMs = cluster.nowMs
  })

  scheduleFaults(cluster, checker, o, rng, safetyStart, livenessStart, faults)
  const joins = scheduleJoins(cluster, o, rng, safetyStart, livenessStart, faults)

  const step = Math.max(1000, Math.round(durationMs / 200))
  while (cluster.nowMs < livenessStart) {
    cluster.runUntil(Math.min(livenessStart, cluster.nowMs + step))
    progress()
  }
  checker.checkCompleteness()
  cluster.healAll()
  checker.startLiveness()

  let convergedAfterMs: number | null = null
  while (cluster.nowMs < durationMs) {
    cluster.runFor(POLL_MS)
    if (convergedAfterMs === null && cluster.viewsMatchTruth()) convergedAfterMs = cluster.nowMs - livenessStart
    if (convergedAfterMs === null && cluster.nowMs - livenessStart > CONVERGE_WITHIN_MS) {
      checker.convergenceViolation(cluster.nowMs, `views still differ from the truth ${CONVERGE_WITHIN_MS} ms after faults stopped`)
      convergedAfterMs = -1
    }
    if (Math.round(cluster.nowMs) % step < POLL_MS) progress()
  }
  checker.checkCompleteness()
  const converged = cluster.viewsMatchTruth() && convergedAfterMs !== null && convergedAfterMs >= 0
  if (!converged && convergedAfterMs === null) checker.convergenceViolation(cluster.nowMs, 'views never matched the truth in the liveness phase')

  const traffic = cluster.network.totals()
  const steadySeconds = Math.max(1e-9, (cluster.nowMs - trafficStartMs) / 1000)
  const memberSeconds = o.nodes * steadySeconds
  const msgs = traffic.packetsSent + traffic.framesSent - trafficStart.packetsSent - trafficStart.framesSent
  const bytes = traffic.bytesSent - trafficStart.bytesSent

  const joinAll = joins.finish()
  const first: number[] = []
  const all: number[] = []
  let missed = 0
  for (const c of checker.crashes) {
    if (c.firstMs !== undefined) first.push(c.firstMs - c.atMs)
    const observers = c.observers.filter((i) => cluster.isRunning(i))
    const times = observers.map((i) => c.deaths.get(i))
    if (times.every((t) => t !== undefined) && observers.length > 0) all.push(Math.max(...(times as number[])) - c.atMs)
    else missed++
  }

  return {
    nodes: o.nodes,
    seed: o.seed,
    options: o,
    virtualSeconds: round(cluster.nowMs / 1000, 3),
    wallSeconds: round((performance.now() - wallStart) / 1000, 2),
    phases: { coldStartMs: round(safetyStart), safetyMs: round(safetyMs), livenessMs: round(durationMs - livenessStart) },
    coldStartConvergedMs: coldStartConvergedMs === null ? null : round(coldStartConvergedMs),
    detection: { firstMs: percentiles(first), allMs: percentiles(all), missed },
    joinAllMs: percentiles(joinAll),
    joinMissed: joins.missed(),
    falsePositives: checker.falsePositives,
    msgsPerNodePerSec: round(msgs / memberSeconds, 2),
    bytesPerNodePerSec: round(bytes / memberSeconds, 0),
    converged,
    convergedAfterMs: convergedAfterMs === null || convergedAfterMs < 0 ? null : round(convergedAfterMs),
    faults,
    protocolCounters: sumCounters(cluster),
    completenessBoundMs: checker.completenessBound,
    violations: checker.violations,
    replay: replayCommand(o),
    samples: { detectionFirstMs: first.map((x) => round(x)), detectionAllMs: all.map((x) => round(x)), joinAllMs: joinAll.map((x) => round(x)) }
  }
}

function sumCounters (cluster: MembershipCluster): Record<string, number> {
  const sum: Record<string, number> = {}
  for (const i of cluster.running()) {
    for (const [k, v] of Object.entries(cluster.members[i].machine?.counters() ?? {})) sum[k] = (sum[k] ?? 0) + v
  }
  return Object.fromEntries(Object.entries(sum).sort(([a], [b]) => a.localeCompare(b)))
}

/** Crashes, pauses and a partition, at random times in the safety phase. */
function scheduleFaults (
  cluster: MembershipCluster,
  checker: InvariantChecker,
  o: Omit<MembershipRunOptions, 'onProgress'>,
  rng: import('@dreammesh/protocols').Rng,
  fromMs: number,
  toMs: number,
  faults: FaultCounts
): void {
  const span = toMs - fromMs
  if (span <= 0) return
  // Crashes land in the first 80% of the phase, so each has time to be detected before faults stop.
  const victims = new Set<number>()
  while (victims.size < Math.min(o.crash, o.nodes - 1)) victims.add(rng.int(o.nodes))
  for (const v of victims) {
    cluster.queue.at(fromMs + rng.float() * span * 0.8, () => {
      if (!cluster.isRunning(v)) return
      cluster.crash(v, o.machineLoss === true)
      checker.recordCrash(v)
      faults.crashes++
    })
  }
  if (o.pauseEverySeconds > 0 && o.pauseMs > 0) {
    const pausers = Math.max(1, Math.round(o.nodes * o.pauseShare))
    for (let k = 0; k < pausers; k++) {
      const who = rng.int(o.nodes)
      const period = o.pauseEverySeconds * 1000
      for (let t = fromMs + rng.float() * period; t < toMs - o.pauseMs; t += period) {
        cluster.queue.at(t, () => {
          if (!cluster.isRunning(who)) return
          cluster.pause(who, o.pauseMs)
          checker.paused(who, o.pauseMs)
          faults.pauses++
        })
      }
    }
  }
  if (o.partition !== 'none') {
    // The cut lasts from 30% of the safety phase to its end, so the liveness phase measures the heal.
    const start = fromMs + span * 0.3
    cluster.queue.at(start, () => {
      const n = cluster.size
      const all = Array.from({ length: n }, (_, i) => i)
      let sideA: number[]
      if (o.partition === 'isolate') sideA = [rng.int(n)]
      else sideA = all.filter(() => rng.float() < 0.5)
      const sideB = all.filter((i) => !sideA.includes(i))
      cluster.partition(o.partition === 'isolate' ? 'isolate' : o.partition === 'split' ? 'split' : 'asymmetric', sideA, sideB)
      faults.partitions++
      // Everyone is cut off, or may hear verdicts from those who were, until the heal and its shadow.
      for (const i of all) checker.shade(i, toMs)
    })
  }
}

/** The joins of a run: samples filled in as the run goes, settled at its end. */
interface JoinTracker {
  /** Settles the joins still pending (see `scheduleJoins`) and returns every join-known-to-all sample. */
  finish: () => number[]
  /** Joins started but never known to all running members (call after `finish`). */
  missed: () => number
}

/**
 * Members that join the converged cluster one at a time. A join counts once every running member has
 * announced it; a join still short of that at the end is settled then (known by every member still running,
 * e.g. after the last holdout crashed, it counts, at the latest of their times), or else counted as missed.
 */
function scheduleJoins (
  cluster: MembershipCluster,
  o: Omit<MembershipRunOptions, 'onProgress'>,
  rng: import('@dreammesh/protocols').Rng,
  fromMs: number,
  toMs: number,
  faults: FaultCounts
): JoinTracker {
  const samples: number[] = []
  const pending = new Map<string, { atMs: number, seen: Map<number, number> }>()
  let missed = 0
  const tracker: JoinTracker = {
    finish: () => {
      const running = cluster.running()
      for (const [id, p] of pending) {
        const times = running.filter((i) => cluster.members[i].id !== id).map((i) => p.seen.get(i))
        if (times.length > 0 && times.every((t) => t !== undefined)) samples.push(Math.max(...(times as number[])) - p.atMs)
        else missed++
      }
      pending.clear()
      return samples
    },
    missed: () => missed
  }
  if (o.joins <= 0) return tracker
  const gap = (toMs - fromMs) / (o.joins + 1)
  cluster.onEvent((observer, event, atMs) => {
    if (event.type !== 'joined') return
    const p = pending.get(event.member.id)
    if (p === undefined) return
    if (!p.seen.has(observer)) p.seen.set(observer, atMs)
    const running = cluster.running()
    if (running.every((i) => cluster.members[i].id === event.member.id || p.seen.has(i))) {
      samples.push(atMs - p.atMs)
      pending.delete(event.member.id)
    }
  })
  for (let k = 0; k < o.joins; k++) {
    const index = cluster.addMember()
    // Seeds: three random members of the converged cluster.
    const seeds = [0, 1, 2].map(() => cluster.members[rng.int(o.nodes)].id)
    cluster.queue.at(fromMs + gap * (k + 1), () => {
      pending.set(cluster.members[index].id, { atMs: cluster.nowMs, seen: new Map() })
      cluster.start(index, seeds)
      faults.joins++
    })
  }
  return tracker
}
