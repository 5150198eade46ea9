import { noPlacementFaults, PLACEMENT_FAULT_KINDS, type PlacementFaultCounts } from '../scenarios/placement-faults.js'
import type { PlacementViolation } from '../scenarios/placement-invariant.js'
import { livenessTargetOf, runPlacementSeed, type PlacementRunOptions, type PlacementRunResult } from '../scenarios/placement-run.js'
import type { PlacementVariant } from '../scenarios/placement-variants.js'
import type { PlacementCounters } from '../scenarios/placement-world.js'
import { percentiles, type Percentiles } from '../scenarios/stats.js'
import { runOnWorkers } from './placement-pool.js'

/**
 * The placement soak (`npm run soak:placement`): many seeds of placement-run.ts, on worker threads, summed
 * into one summary: the faults injected by kind, what the machinery did (acquisitions, starts, failovers),
 * the liveness figures, and the violations, each with the command that replays its seed.
 */

export interface SoakOptions {
  seeds: number
  seedBase: number
  variant?: PlacementVariant
  workers: number
  /** Virtual seconds per seed. */
  safetySeconds?: number
  livenessSeconds?: number
  shape?: PlacementRunOptions['shape']
  longLease?: boolean
}

/** A seed that failed, with what went wrong and how to replay it. */
export interface SoakFailure {
  seed: number
  replay: string
  violationCount: number
  violations: PlacementViolation[]
  liveness?: PlacementRunResult['liveness']
}

export interface SoakSummary {
  seeds: number
  seedBase: number
  variant: PlacementVariant | undefined
  shape: PlacementRunOptions['shape']
  longLease: boolean
  workers: number
  wallSeconds: number
  virtualSeconds: number
  machines: { servers: number, clients: number }
  networks: { lan: number, wifi: number }
  clocks: Record<PlacementRunResult['clocks'], number>
  faults: PlacementFaultCounts
  /** Seeds that missed a kind of fault the soak promises each seed (a partition, a crash, a pause). */
  seedsShortOfFaults: number
  counters: PlacementCounters
  slots: { service: number, replicated: number }
  coldStartMs: Percentiles
  coldStartMissed: number
  /** `endMissed`: seeds where some slot was not on exactly one node at the very end (reported, not a failure). */
  liveness: { serviceMs: Percentiles, replicatedMs: Percentiles, failedSeeds: number, endMissed: number }
  violationCount: number
  /** Violations by kind, over those kept (up to 20 per seed). */
  violationKinds: Record<PlacementViolation['kind'], number>
  /** Seeds with a violation or a liveness failure, by seed. */
  failures: SoakFailure[]
}

/** Failures listed in the summary; the count covers the rest. */
const MAX_FAILURES_LISTED = 50

export async function runPlacementSoak (o: SoakOptions, onProgress?: (done: number, s: SoakSummary) => void): Promise<SoakSummary> {
  const started = performance.now()
  const s = emptySummary(o)
  const cold: number[] = []
  const service: number[] = []
  const replicated: number[] = []
  let done = 0
  const add = (r: PlacementRunResult): void => {
    done++
    s.virtualSeconds += r.virtualSeconds
    s.machines.servers += r.servers
    s.machines.clients += r.clients
    s.networks[r.network]++
    s.clocks[r.clocks]++
    for (const k of PLACEMENT_FAULT_KINDS) s.faults[k] += r.faults[k]
    const f = r.faults
    if (f['partition-isolate'] + f['partition-split'] + f['partition-one-way'] === 0 || f['crash-process'] + f['crash-machine'] === 0 || f.pause === 0) s.seedsShortOfFaults++
    for (const k of Object.keys(s.counters) as Array<keyof PlacementCounters>) s.counters[k] += r.counters[k]
    s.slots.service += r.slots.service
    s.slots.replicated += r.slots.replicated
    if (r.coldStartMs === null) s.coldStartMissed++
    else cold.push(r.coldStartMs)
    if (r.liveness.serviceMs !== null) service.push(r.liveness.serviceMs)
    if (r.liveness.replicatedMs !== null) replicated.push(r.liveness.replicatedMs)
    if (!r.liveness.ok) s.liveness.failedSeeds++
    if (r.liveness.missing.length > 0) s.liveness.endMissed++
    s.violationCount += r.violationCount
    for (const v of r.violations) s.violationKinds[v.kind]++
    if (r.violationCount > 0 || !r.liveness.ok) {
      s.failures.push({
        seed: r.seed,
        replay: r.replay,
        violationCount: r.violationCount,
        violations: r.violations.slice(0, 3),
        ...(r.liveness.ok ? {} : { liveness: r.liveness })
      })
    }
    s.wallSeconds = (performance.now() - started) / 1000
    onProgress?.(done, s)
  }
  const runs: PlacementRunOptions[] = Array.from({ length: o.seeds }, (_, i) => ({
    seed: o.seedBase + i,
    ...(o.variant === undefined ? {} : { variant: o.variant }),
    ...(o.safetySeconds === undefined ? {} : { safetySeconds: o.safetySeconds }),
    ...(o.livenessSeconds === undefined ? {} : { livenessSeconds: o.livenessSeconds }),
    ...(o.shape === undefined ? {} : { shape: o.shape }),
    ...(o.longLease === true ? { longLease: true } : {})
  }))
  if (o.workers <= 0) for (const run of runs) add(runPlacementSeed(run))
  else await runOnWorkers(runs, o.workers, add)
  s.failures.sort((a, b) => a.seed - b.seed)
  s.coldStartMs = percentiles(cold)
  s.liveness.serviceMs = percentiles(service)
  s.liveness.replicatedMs = percentiles(replicated)
  s.wallSeconds = (performance.now() - started) / 1000
  return s
}

function emptySummary (o: SoakOptions): SoakSummary {
  const none = percentiles([])
  return {
    seeds: o.seeds,
    seedBase: o.seedBase,
    variant: o.variant,
    shape: o.shape,
    longLease: o.longLease === true,
    workers: o.workers,
    wallSeconds: 0,
    virtualSeconds: 0,
    machines: { servers: 0, clients: 0 },
    networks: { lan: 0, wifi: 0 },
    clocks: { uniform: 0, extremes: 0, 'voters-fast': 0 },
    faults: noPlacementFaults(),
    seedsShortOfFaults: 0,
    counters: {
      acquisitions: 0, starts: 0, failovers: 0, stops: 0, kills: 0, reconciles: 0, acquiresBeforeLeases: 0, rogueStarts: 0,
      prepares: 0, preparesFailed: 0, boardReports: 0, boardDrops: 0, boardStale: 0
    },
    slots: { service: 0, replicated: 0 },
    coldStartMs: none,
    coldStartMissed: 0,
    liveness: { serviceMs: none, replicatedMs: none, failedSeeds: 0, endMissed: 0 },
    violationCount: 0,
    violationKinds: { 'process-overlap': 0, 'lease-overlap': 0, 'shared-epoch': 0 },
    failures: []
  }
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US')
const msOf = (p: Percentiles): string => p.count === 0 ? 'none' : `p50 ${n(p.p50)} ms, p99 ${n(p.p99)} ms, max ${n(p.max)} ms (${n(p.count)} seeds)`

function configOf (s: SoakSummary): string {
  const shape = s.shape === 'isolate-holder' || s.variant === 'no-drift-margin' ? ', isolate-holder faults' : ''
  if (s.variant !== undefined) return `(BROKEN VARIANT ${s.variant}${shape})`
  return s.longLease ? `(leaseConfig() with a minute-long lease, homeConfig()${shape})` : `(real config: leaseConfig(), homeConfig()${shape})`
}

/** The summary as the soak prints it. */
export function formatSoakSummary (s: SoakSummary): string {
  const c = s.counters
  const rows: Array<[string, string]> = [
    ['seeds', `${n(s.seeds)} from ${s.seedBase} ${configOf(s)}, ${s.workers <= 0 ? 'in process' : `${s.workers} worker threads`}`],
    ['time', `${n(s.wallSeconds)} s wall for ${n(s.virtualSeconds)} virtual s`],
    ['machines', `${n(s.machines.servers)} servers (the lease voters) and ${n(s.machines.clients)} clients; networks ${n(s.networks.lan)} LAN, ${n(s.networks.wifi)} WiFi; ` +
      `clocks ${n(s.clocks.uniform)} uniform in ±1,000 ppm, ${n(s.clocks.extremes)} at ±1,000 ppm${s.clocks['voters-fast'] > 0 ? `, ${n(s.clocks['voters-fast'])} voters fast and clients slow` : ''}`],
    ['workloads', `${n(s.slots.service)} service slots, ${n(s.slots.replicated)} replicated slots`],
    ['faults', PLACEMENT_FAULT_KINDS.map((k) => `${k} ${n(s.faults[k])}`).join(', ') +
      (s.seedsShortOfFaults === 0 ? '; every seed had a partition, a crash and a pause' : `; ${n(s.seedsShortOfFaults)} seeds lacked a partition, a crash or a pause`)],
    ['leases', `${n(c.acquisitions)} acquisitions; ${n(c.acquiresBeforeLeases)} acquires asked before the lease host started (they waited for it)`],
    ['instances', `${n(c.starts)} starts, ${n(c.failovers)} failovers and moves, ${n(c.stops)} graceful stops, ${n(c.kills)} kills, ` +
      `${n(c.prepares)} prepares (${n(c.preparesFailed)} waited for their state)${c.rogueStarts > 0 ? `, ${n(c.rogueStarts)} copies started WITHOUT a lease` : ''}`],
    ['agents', `${n(c.reconciles)} reconciles, ${n(c.boardReports)} instance reports (${n(c.boardStale)} dropped as stale, ${n(c.boardDrops - c.boardStale)} from non-members)`],
    ['cold start', `every slot on exactly one node: ${msOf(s.coldStartMs)}${s.coldStartMissed > 0 ? `; not within 8 s in ${n(s.coldStartMissed)} seeds` : ''}`],
    ['liveness', `after the faults stop, every service slot on exactly one node: ${msOf(s.liveness.serviceMs)}; replicated slots: ${msOf(s.liveness.replicatedMs)}; ` +
      `target ${n(livenessTargetOf(s))} ms, missed in ${n(s.liveness.failedSeeds)} seeds; ` +
      `${n(s.liveness.endMissed)} seeds had a slot restarting at the phase's very end (loss stays on: a holder whose renewals fail stops)`],
    ['violations', s.violationCount === 0
      ? '0 violations'
      : `${n(s.violationCount)} VIOLATIONS in ${n(s.failures.filter((f) => f.violationCount > 0).length)} seeds (` +
        `${Object.entries(s.violationKinds).map(([k, c]) => `${k} ${n(c)}`).join(', ')})`]
  ]
  const width = Math.max(...rows.map((r) => r[0].length)) + 2
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}${v}`)
  for (const f of s.failures.slice(0, MAX_FAILURES_LISTED)) {
    lines.push('')
    const what = [f.violationCount > 0 ? `${f.violationCount} violation(s)` : '', f.liveness === undefined ? '' : 'liveness missed'].filter((x) => x !== '').join(', ')
    lines.push(`seed ${f.seed}: ${what}; replay: ${f.replay}`)
    for (const v of f.violations) lines.push(`  ${v.kind} of ${v.slot}: ${v.detail}`)
    if (f.liveness !== undefined) {
      const l = f.liveness
      lines.push(`  liveness: service slots ${l.serviceMs === null ? 'never all on exactly one node' : `after ${n(l.serviceMs)} ms`}, replicated ${l.replicatedMs === null ? 'never' : `after ${n(l.replicatedMs)} ms`}; ` +
        `at the end: ${l.missing.length === 0 ? 'all on exactly one node' : l.missing.map((m) => `${m.slot} on ${m.nodes} nodes`).join(', ')}`)
    }
  }
  if (s.failures.length > MAX_FAILURES_LISTED) lines.push('', `... and ${s.failures.length - MAX_FAILURES_LISTED} more failing seeds`)
  return lines.join('\n')
}
