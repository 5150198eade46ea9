#!/usr/bin/env node
/**
 * `npm run bench:membership`: the membership benchmarks of the mesh foundation issue, in virtual time with
 * the LAN preset. Prints one table (measured, target, verdict) and exits 1 if a simulated target is missed.
 *
 *   node packages/sim/dist/src/bench/membership.js [--quick] [--only NAME[,NAME]] [--json FILE]
 *
 * --quick   smaller event counts and no N=1,000 partition, for a check in a few minutes (targets that need
 *           200 events are then reported but not enforced)
 * --only    run only the named groups: detection, join, false-positives, pauses, load, speed, wifi,
 *           streams, heal, serf (the real peer: serf agents on loopback, crash known to all, side by side
 *           with dreammesh's simulated figure at the same N)
 * --json    also write every run's full result to FILE
 *
 * Runs go to child processes, one per core. Every row names its seeds, so any figure can be replayed with
 * `npx dreammesh-sim membership ... --seed S`.
 */
import { writeFileSync } from 'node:fs'
import { RUN_DEFAULTS, type MembershipRunOptions, type MembershipRunResult } from '../scenarios/membership-run.js'
import { percentiles, round } from '../scenarios/stats.js'
import { RunPool } from './pool.js'
import { serfAvailable, serfCrashTrial } from './serf-crash.js'
import { SERF_REFERENCE, TARGETS } from './targets.js'

interface Row {
  group: string
  metric: string
  measured: string
  target: string
  pass: boolean | undefined
  note: string
}

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const onlyAt = args.indexOf('--only')
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(',')) : undefined
const jsonAt = args.indexOf('--json')
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined
const pool = new RunPool()
const rows: Row[] = []
const allResults: Record<string, MembershipRunResult[]> = {}
const started = performance.now()

function opts (o: Partial<MembershipRunOptions> & Pick<MembershipRunOptions, 'nodes' | 'seed'>): MembershipRunOptions {
  return { ...RUN_DEFAULTS, ...o }
}

async function runAll (group: string, list: MembershipRunOptions[]): Promise<MembershipRunResult[]> {
  const results = await Promise.all(list.map(async (o) => await pool.run(o)))
  allResults[group] = [...(allResults[group] ?? []), ...results]
  for (const r of results) {
    if (r.violations.length > 0) {
      rows.push({ group, metric: 'invariant violations', measured: String(r.violations.length), target: '0', pass: false, note: r.replay })
    }
  }
  return results
}

function seedsOf (results: MembershipRunResult[]): string {
  const seeds = results.map((r) => r.seed)
  return seeds.length <= 3 ? `seeds ${seeds.join(',')}` : `seeds ${seeds[0]}..${seeds[seeds.length - 1]}`
}

const ms = (x: number): string => `${(x / 1000).toFixed(2)} s`

/** A p99 row: enforced only over enough events. */
function p99Row (group: string, metric: string, samples: number[], targetMs: number, results: MembershipRunResult[]): void {
  const p = percentiles(samples)
  const enough = p.count >= TARGETS.minEvents
  rows.push({
    group,
    metric,
    measured: `p50 ${ms(p.p50)}, p99 ${ms(p.p99)}, max ${ms(p.max)}`,
    target: `p99 ≤ ${ms(targetMs)}`,
    pass: enough ? p.p99 <= targetMs : undefined,
    note: `${p.count} events${enough ? '' : ` (under ${TARGETS.minEvents}: not enforced)`}, ${seedsOf(results)}`
  })
}

function detectionSamples (results: MembershipRunResult[]): { all: number[], first: number[], missed: number } {
  // Percentiles do not combine across runs, so the runs' raw samples are pooled.
  const all: number[] = []
  const first: number[] = []
  let missed = 0
  for (const r of results) {
    all.push(...r.samples.detectionAllMs)
    first.push(...r.samples.detectionFirstMs)
    missed += r.detection.missed
  }
  return { all, first, missed }
}

function joinSamples (results: MembershipRunResult[]): number[] {
  return results.flatMap((r) => r.samples.joinAllMs)
}

/** A join p99 row that also fails when any join never became known to all (a missed join adds no sample). */
function joinRow (metric: string, results: MembershipRunResult[], targetMs: number): void {
  p99Row('join', metric, joinSamples(results), targetMs, results)
  const missed = results.reduce((a, r) => a + r.joinMissed, 0)
  const row = rows[rows.length - 1]
  row.note = `missed ${missed}, ${row.note}`
  if (missed > 0) row.pass = false
}

const seeds = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i)
const want = (name: string): boolean => only === undefined || only.has(name)

const groups: Array<Promise<void>> = []

if (want('detection')) {
  groups.push((async () => {
    const n10 = await runAll('detection', seeds(100, quick ? 10 : 70).map((seed) => opts({ nodes: 10, seed, loss: 0.01, crash: 3, durationSeconds: 60, livenessSeconds: 15 })))
    const d10 = detectionSamples(n10)
    p99Row('detection', 'crash known to all, N=10, 1% loss', d10.all, TARGETS.detectionAllP99MsN10, n10)
    const n1000 = await runAll('detection', seeds(200, quick ? 1 : 2).map((seed) => opts({ nodes: 1000, seed, loss: 0.01, crash: quick ? 20 : 100, joins: quick ? 20 : 100, durationSeconds: 100, livenessSeconds: 20 })))
    const d1000 = detectionSamples(n1000)
    p99Row('detection', 'crash known to all, N=1,000, 1% loss', d1000.all, TARGETS.detectionAllP99MsN1000, n1000)
    rows.push({ group: 'detection', metric: 'crash known to first, N=1,000', measured: `p99 ${ms(percentiles(d1000.first).p99)}`, target: '', pass: undefined, note: `missed ${d1000.missed}` })
    joinRow('join known to all, N=1,000, ≤3 seeds', n1000, TARGETS.joinAllP99MsN1000)
    const cold = n1000.map((r) => r.coldStartConvergedMs ?? Infinity)
    rows.push({ group: 'join', metric: 'cold start of all N=1,000 (all start within 1 s)', measured: cold.map((c) => ms(c)).join(', '), target: 'report', pass: undefined, note: seedsOf(n1000) })
    for (const line of SERF_REFERENCE) rows.push({ group: 'detection', metric: line.what, measured: ms(line.ms), target: 'reference', pass: undefined, note: 'memberlist LAN defaults, measured on this machine kind' })
  })())
}

if (want('join')) {
  groups.push((async () => {
    const n100 = await runAll('join', seeds(300, quick ? 2 : 8).map((seed) => opts({ nodes: 100, seed, joins: 25, durationSeconds: 90, livenessSeconds: 10 })))
    joinRow('join known to all, N=100, ≤3 seeds', n100, TARGETS.joinAllP99MsN100)
    const cold = n100.map((r) => r.coldStartConvergedMs ?? Infinity)
    rows.push({ group: 'join', metric: 'cold start of all N=100', measured: `max ${ms(Math.max(...cold))}`, target: 'report', pass: undefined, note: seedsOf(n100) })
  })())
}

if (want('false-positives')) {
  groups.push((async () => {
    const r = await runAll('false-positives', [opts({ nodes: 20, seed: 400, loss: 0.05, durationSeconds: quick ? 600 : 1830, livenessSeconds: 30 })])
    const fp = r.reduce((a, x) => a + x.falsePositives, 0)
    rows.push({ group: 'false positives', metric: `20 nodes × ${quick ? 10 : 30} min at 5% loss`, measured: String(fp), target: '0', pass: fp <= TARGETS.falsePositives5pctLoss, note: seedsOf(r) })
  })())
}

if (want('pauses')) {
  groups.push((async () => {
    const count = quick ? 1 : 2
    const r = await runAll('pauses', seeds(500, count).map((seed) => opts({ nodes: 100, seed, pauseEverySeconds: 60, pauseMs: 1000, pauseShare: 0.01, durationSeconds: 3630, livenessSeconds: 30 })))
    const fp = r.reduce((a, x) => a + x.falsePositives, 0)
    const nodeHours = r.reduce((a, x) => a + x.nodes * x.virtualSeconds / 3600, 0)
    const per100 = fp / nodeHours * 100
    const pauses = r.reduce((a, x) => a + x.faults.pauses, 0)
    rows.push({ group: 'false positives', metric: 'N=100, 1% pausing 1 s once a minute', measured: `${fp} in ${round(nodeHours, 0)} node-hours (${round(per100, 2)} per 100)`, target: `≤ ${TARGETS.pauseFalsePositivesPer100NodeHours} per 100 node-hours`, pass: per100 <= TARGETS.pauseFalsePositivesPer100NodeHours, note: `${pauses} pauses, ${seedsOf(r)}` })
  })())
}

if (want('load') || want('speed')) {
  groups.push((async () => {
    const [small] = await runAll('load', [opts({ nodes: 100, seed: 600, durationSeconds: 120, livenessSeconds: 30 })])
    const [big] = await runAll('load', [opts({ nodes: 1000, seed: 601, durationSeconds: 600, livenessSeconds: 30 })])
    const msgGrowth = big.msgsPerNodePerSec / small.msgsPerNodePerSec - 1
    const byteGrowth = big.bytesPerNodePerSec / small.bytesPerNodePerSec - 1
    rows.push({ group: 'load', metric: 'packets+frames per node per s, N=100 → 1,000', measured: `${small.msgsPerNodePerSec} → ${big.msgsPerNodePerSec} (${round(msgGrowth * 100)}%)`, target: '≤ +25%', pass: msgGrowth <= TARGETS.loadGrowthMax, note: 'steady state after the cold start' })
    rows.push({ group: 'load', metric: 'bytes per node per s, N=100 → 1,000', measured: `${small.bytesPerNodePerSec} → ${big.bytesPerNodePerSec} (${round(byteGrowth * 100)}%)`, target: '≤ +25%', pass: byteGrowth <= TARGETS.loadGrowthMax, note: '52-byte ids, 96-byte state records' })
    rows.push({ group: 'speed', metric: '1,000 nodes × 600 virtual s', measured: `${big.wallSeconds} s wall`, target: `≤ ${TARGETS.simSpeedWallSeconds} s`, pass: big.wallSeconds <= TARGETS.simSpeedWallSeconds, note: `cold start included; ${big.virtualSeconds} virtual s` })
  })())
}

if (want('wifi')) {
  groups.push((async () => {
    const r = await runAll('wifi', seeds(700, quick ? 2 : 6).map((seed) => opts({ nodes: 50, seed, delayMs: 5, tailShare: 0.03, tailMs: 200, loss: 0.02, crash: 5, durationSeconds: 300, livenessSeconds: 30 })))
    const d = detectionSamples(r)
    const p = percentiles(d.all)
    const fp = r.reduce((a, x) => a + x.falsePositives, 0)
    rows.push({ group: 'wifi', metric: 'N=50, 5 ms mean delay, 200 ms tail, 2% loss: crash known to all', measured: `p50 ${ms(p.p50)}, p99 ${ms(p.p99)}`, target: 'report', pass: undefined, note: `${p.count} events, ${seedsOf(r)}` })
    rows.push({ group: 'wifi', metric: 'N=50 WiFi-like: false positives', measured: `${fp} in ${round(r.reduce((a, x) => a + x.nodes * x.virtualSeconds / 3600, 0), 1)} node-hours`, target: 'report', pass: undefined, note: seedsOf(r) })
  })())
}

if (want('streams')) {
  groups.push((async () => {
    const n10 = await runAll('streams', seeds(800, quick ? 10 : 70).map((seed) => opts({ nodes: 10, seed, loss: 0.01, crash: 3, transport: 'streams', durationSeconds: 60, livenessSeconds: 15 })))
    p99Row('streams', 'streams model: crash known to all, N=10, 1% loss', detectionSamples(n10).all, TARGETS.detectionAllP99MsN10, n10)
    const n100 = await runAll('streams', seeds(900, quick ? 1 : 4).map((seed) => opts({ nodes: 100, seed, loss: 0.01, crash: 50, transport: 'streams', durationSeconds: 120, livenessSeconds: 20 })))
    const d = detectionSamples(n100)
    const p = percentiles(d.all)
    rows.push({ group: 'streams', metric: 'streams model: crash known to all, N=100, 1% loss', measured: `p50 ${ms(p.p50)}, p99 ${ms(p.p99)}`, target: 'report', pass: undefined, note: `${p.count} events, ${seedsOf(n100)}` })
  })())
}

if (want('serf')) {
  groups.push((async () => {
    const n = 6
    const sim = await runAll('serf', seeds(1100, quick ? 10 : 40).map((seed) => opts({ nodes: n, seed, crash: 1, durationSeconds: 40, livenessSeconds: 10 })))
    const simAll = percentiles(detectionSamples(sim).all)
    rows.push({ group: 'vs serf', metric: `dreammesh (simulated, LAN preset), N=${n}: crash known to all`, measured: `p50 ${ms(simAll.p50)}, max ${ms(simAll.max)}`, target: 'report', pass: undefined, note: `${simAll.count} crashes, ${seedsOf(sim)}` })
    if (!serfAvailable()) {
      rows.push({ group: 'vs serf', metric: `serf agents on loopback, N=${n}`, measured: 'not run', target: 'report', pass: undefined, note: 'serf is not installed: apt-get install -y serf' })
      return
    }
    const trials = []
    for (let t = 0; t < (quick ? 2 : 5); t++) trials.push(await serfCrashTrial(n, 27000 + t * 50))
    const p = percentiles(trials.map((t) => t.knownToAllMs))
    rows.push({ group: 'vs serf', metric: `serf 0.8 (memberlist LAN defaults), N=${n} real agents on loopback: crash known to all`, measured: `p50 ${ms(p.p50)}, max ${ms(p.max)}`, target: 'report', pass: undefined, note: `${trials.length} trials, kill -9, wall clock` })
  })())
}

if (want('heal') && !quick) {
  groups.push((async () => {
    const r = await runAll('heal', [opts({ nodes: 1000, seed: 1000, partition: 'split', durationSeconds: 60, livenessSeconds: 20 })])
    const heal = r[0].convergedAfterMs
    rows.push({ group: 'heal', metric: 'split N=1,000 in halves, heal: one view again', measured: heal === null ? 'never' : ms(heal), target: `≤ ${ms(TARGETS.healMsN1000)}`, pass: heal !== null && heal <= TARGETS.healMsN1000, note: seedsOf(r) })
  })())
}

await Promise.all(groups)

const order = ['detection', 'vs serf', 'join', 'false positives', 'load', 'speed', 'wifi', 'streams', 'heal']
rows.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group))
const header = ['group', 'metric', 'measured', 'target', 'verdict', 'note']
const table = rows.map((r) => [r.group, r.metric, r.measured, r.target, r.pass === undefined ? '' : r.pass ? 'ok' : 'MISSED', r.note])
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)))
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join(' | ')
console.log(line(header))
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
for (const t of table) console.log(line(t))
console.log(`\nbench:membership took ${round((performance.now() - started) / 1000, 0)} s wall${quick ? ' (--quick)' : ''}`)
if (jsonFile !== undefined) writeFileSync(jsonFile, JSON.stringify(allResults, null, 1))
const missed = rows.filter((r) => r.pass === false)
if (missed.length > 0) {
  console.log(`${missed.length} target(s) missed.`)
  process.exitCode = 1
}
