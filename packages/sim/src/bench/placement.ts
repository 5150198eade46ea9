#!/usr/bin/env node
/**
 * `npm run bench:placement`: issue 5's placement benchmark, in virtual time. 100 simulated nodes, 5 of them
 * servers (the lease voters), each running the real membership (home preset), lease (leaseConfig()) and
 * workload-agent machines; once membership has converged, 1,000 workloads (the shape of
 * packages/protocols/test/placement-perf.spec.ts, about 2,100 slots) appear in the desired state. It measures
 * the virtual time until every slot runs on exactly one node and nothing changes for 30 virtual seconds
 * (target: within 5 s), and the CPU each placement decision costs: `process.cpuUsage` around every reconcile
 * (placement plus the agent's bookkeeping) and, afterwards, around `place()` alone on a sample of the inputs
 * the agents saw. Prints a table and exits 1 on a missed target or any safety violation.
 *
 *   node packages/sim/dist/src/bench/placement.js [--seed N] [--json FILE]
 */
import { writeFileSync } from 'node:fs'
import { homeConfig, leaseConfig, place, type PlacementNode } from '@dreammesh/protocols'
import { slotsNotExactlyOnce } from '../scenarios/placement-invariant.js'
import { BENCH_NODES, BENCH_SERVERS, benchCapacityOf, benchSpecs, benchTagsOf } from '../scenarios/placement-specs.js'
import { PlacementWorld } from '../scenarios/placement-world.js'
import { round } from '../scenarios/stats.js'

/** Placed and stable within this long after the workloads appear (issue 5). */
const TARGET_MS = 5_000
/** "Stable": nothing started or stopped for this long. */
const QUIET_MS = 30_000
/** Give up this long after the workloads appear. */
const LIMIT_MS = 180_000
/** Membership must converge within this long of the cold start. */
const CONVERGE_LIMIT_MS = 60_000
/** The desired-state edit reaches every node within this long (a Yjs update on a LAN). */
const SYNC_MS = 20
const POLL_MS = 50

interface Row { metric: string, measured: string, target: string, pass: boolean | undefined }

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined }
const seed = Number(flag('--seed') ?? 1)
const jsonFile = flag('--json')
if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number, got ${flag('--seed')}`)
const wallStart = performance.now()
const specs = benchSpecs()

const world = new PlacementWorld({
  seed,
  servers: BENCH_SERVERS,
  clients: BENCH_NODES - BENCH_SERVERS,
  specs: [],
  capacityOf: (_i, role) => benchCapacityOf(role),
  tagsOf: benchTagsOf,
  network: { delayMinMs: 0.1, delayMeanMs: 0.25 },
  clockRate: (_i, rng) => 1 + (2 * rng.float() - 1) * 1e-3,
  leaseConfig: leaseConfig(),
  membershipConfig: homeConfig(),
  measureCpu: true
})
const rng = world.rng.fork('bench')
for (const m of world.machines) world.queue.at(rng.float() * 1_000, () => { world.boot(m.index) })
world.queue.runUntil(1_000)
while (!world.membershipConverged() && world.nowMs < CONVERGE_LIMIT_MS) world.queue.runUntil(world.nowMs + 100)
const convergedMs = world.nowMs
if (!world.membershipConverged()) throw new Error(`membership of ${BENCH_NODES} nodes did not converge within ${CONVERGE_LIMIT_MS} ms (seed ${seed})`)
world.queue.runUntil(world.nowMs + 2_000)

// What every slot should be, with every node live: the keys to find running, each on exactly one node.
const allNodes: PlacementNode[] = world.machines.map((m) => ({ id: m.id, name: m.name, role: m.role, tags: m.tags, capacity: m.capacity }))
const expected = place({ specs, nodes: allNodes }).slots
const keys = expected.filter((s) => s.status === 'placed').map((s) => `w/${s.workload}/${s.index}`)
const keySet = new Set(keys)
const cpu = world.cpu as NonNullable<typeof world.cpu>
cpu.reconciles = 0
cpu.reconcileMicros = 0
cpu.inputs.length = 0
const reconcilesBefore = world.counters.reconciles

const submittedMs = world.nowMs
world.setSpecs(specs, SYNC_MS)
let placedMs: number | null = null
let quiet = { sinceMs: world.lastProcessChangeMs, reconciles: world.counters.reconciles, leaseMessages: leaseMessagesAtVoters() }
while (world.nowMs < submittedMs + LIMIT_MS) {
  world.queue.runUntil(world.nowMs + POLL_MS)
  if (world.lastProcessChangeMs !== quiet.sinceMs) quiet = { sinceMs: world.lastProcessChangeMs, reconciles: world.counters.reconciles, leaseMessages: leaseMessagesAtVoters() }
  const placed = slotsNotExactlyOnce(keys, world.processes).length === 0 && world.truth().every((a) => keySet.has(`w/${a.workload}/${a.index}`))
  // Placed since the last start or stop: what runs has not changed since, and every slot is on one node.
  if (placed && placedMs === null) placedMs = Math.max(0, world.lastProcessChangeMs - submittedMs)
  if (!placed) placedMs = null
  if (placed && world.nowMs - world.lastProcessChangeMs >= QUIET_MS) break
}
const stable = placedMs !== null && world.nowMs - world.lastProcessChangeMs >= QUIET_MS
const stableMs = stable ? Math.max(0, world.lastProcessChangeMs - submittedMs) : null
const quietSeconds = (world.nowMs - quiet.sinceMs) / 1000

// place() alone, on inputs the agents saw.
let placeMicros = 0
let placeCalls = 0
let placeSlots = 0
for (const input of cpu.inputs) {
  const before = process.cpuUsage()
  const p = place(input)
  const used = process.cpuUsage(before)
  placeMicros += used.user + used.system
  placeCalls++
  placeSlots += p.slots.length
}

function leaseMessagesAtVoters (): number {
  let sum = 0
  for (const m of world.machines) if (m.role === 'server') sum += m.agent?.leaseTransport.stats.packetsReceived ?? 0
  return sum
}

const ms = (x: number | null): string => x === null ? 'never' : `${(x / 1000).toFixed(2)} s`
const rows: Row[] = [
  { metric: `${specs.length} workloads (${keys.length} slots) on ${BENCH_NODES} nodes, ${BENCH_SERVERS} servers: placed and stable (no change for ${QUIET_MS / 1000} s)`, measured: ms(stableMs), target: `≤ ${ms(TARGET_MS)} virtual`, pass: stableMs !== null && stableMs <= TARGET_MS },
  { metric: 'every slot running on exactly one node (from the last start, held from then)', measured: ms(placedMs), target: 'report', pass: undefined },
  { metric: 'safety: overlapping processes or leases', measured: String(world.checker.violationCount), target: '0', pass: world.checker.violationCount === 0 },
  { metric: 'CPU per reconcile (place() + the agent), mean', measured: `${round(cpu.reconcileMicros / Math.max(1, cpu.reconciles) / 1000, 2)} ms`, target: 'report', pass: undefined },
  { metric: 'CPU per place() call, mean over sampled agent inputs', measured: `${round(placeMicros / Math.max(1, placeCalls) / 1000, 2)} ms (${round(placeMicros / Math.max(1, placeSlots), 2)} µs per slot)`, target: 'report', pass: undefined },
  { metric: 'reconciles until stable, all nodes', measured: `${(world.counters.reconciles - reconcilesBefore).toLocaleString('en-US')} (${placeCalls} inputs timed alone)`, target: 'report', pass: undefined },
  { metric: 'reconciles per node per second once stable', measured: String(round((world.counters.reconciles - quiet.reconciles) / BENCH_NODES / Math.max(1e-9, quietSeconds), 2)), target: 'report', pass: undefined },
  { metric: 'lease messages received per voter per second once stable', measured: String(Math.round((leaseMessagesAtVoters() - quiet.leaseMessages) / BENCH_SERVERS / Math.max(1e-9, quietSeconds))), target: 'report', pass: undefined },
  { metric: 'membership converged after the cold start', measured: ms(convergedMs), target: 'report', pass: undefined },
  { metric: 'lease acquisitions, starts', measured: `${world.counters.acquisitions}, ${world.counters.starts}`, target: 'report', pass: undefined }
]
const header = ['metric', 'measured', 'target', 'verdict']
const table = rows.map((r) => [r.metric, r.measured, r.target, r.pass === undefined ? '' : r.pass ? 'ok' : 'MISSED'])
const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)))
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join(' | ')
console.log(line(header))
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
for (const t of table) console.log(line(t))
console.log(`\nbench:placement (seed ${seed}) took ${round((performance.now() - wallStart) / 1000, 0)} s wall for ${round(world.nowMs / 1000, 1)} virtual s`)
if (jsonFile !== undefined) writeFileSync(jsonFile, JSON.stringify({ seed, rows, counters: world.counters, violations: world.checker.violations }, null, 1))
const missed = rows.filter((r) => r.pass === false)
if (missed.length > 0) {
  console.log(`${missed.length} target(s) missed. Replay: node packages/sim/dist/src/bench/placement.js --seed ${seed}`)
  for (const v of world.checker.violations.slice(0, 5)) console.log(`  ${v.kind} of ${v.slot}: ${v.detail}`)
  process.exitCode = 1
}
