import assert from 'node:assert/strict'
import { EventQueue, NodeClock } from '../src/index.js'
import { Xoshiro128 } from '@dreammesh/protocols'
import { PLACEMENT_FAULT_KINDS } from '../src/scenarios/placement-faults.js'
import { SafetyChecker } from '../src/scenarios/placement-invariant.js'
import { ProcessTable, type SimProcess } from '../src/scenarios/placement-processes.js'
import { runPlacementSeed } from '../src/scenarios/placement-run.js'
import { formatSoakSummary, runPlacementSoak, type SoakSummary } from '../src/soak/placement-soak.js'

/**
 * The placement soak in CI (issue 5, section 7): a few hundred seeds of the real config (leaseConfig(),
 * homeConfig()) under partitions, crashes, drift and pauses must show no overlap and reach liveness, and must
 * have exercised the machinery; each deliberately broken variant must produce violations. A failure prints
 * the summary with each failing seed's replay command (`npm run soak:placement -- --seeds 1 --seed-base S`).
 */

const CI_SEEDS = 300
const WORKERS = 2

function explain (s: SoakSummary): string {
  return `\n${formatSoakSummary(s)}\n`
}

describe('placement soak (virtual time, seeded)', function () {
  this.timeout(600_000)

  it('the checker fires: two nodes running one slot, a lease begun over another\'s valid lease, a shared epoch', () => {
    const queue = new EventQueue()
    const clock = new NodeClock(queue)
    const listener = { started: (_p: SimProcess): void => {}, exited: (): void => {} }
    const processes = new ProcessTable(queue, new Xoshiro128(1), { started: (p) => { listener.started(p) }, exited: () => {} })
    const checker = new SafetyChecker(queue, processes, (i) => `n${i}`)
    listener.started = (p) => { checker.processStarted(p) }
    checker.leaseAcquired(0, 'w/a/0', 1 << 20, 2_497, clock)
    processes.start(0, 'w/a/0', 1 << 20)
    queue.runUntil(1_000)
    checker.leaseAcquired(1, 'w/a/0', 1 << 20, 3_497, clock)
    processes.start(1, 'w/a/0', 1 << 20)
    assert.deepEqual(checker.violations.map((v) => v.kind).sort(), ['lease-overlap', 'process-overlap', 'shared-epoch'])
    // Once the first lease ran out and its process was killed, a second holder is fine.
    processes.kill(0, 'w/a/0')
    processes.kill(1, 'w/a/0')
    queue.runUntil(5_000)
    const before = checker.violationCount
    checker.leaseAcquired(2, 'w/a/0', 2 << 20, 7_497, clock)
    processes.start(2, 'w/a/0', 2 << 20)
    assert.equal(checker.violationCount, before)
  })

  it('one seed replays exactly', () => {
    const strip = (r: ReturnType<typeof runPlacementSeed>): object => ({ ...r, wallMs: 0 })
    assert.deepEqual(strip(runPlacementSeed({ seed: 7 })), strip(runPlacementSeed({ seed: 7 })))
  })

  it(`${CI_SEEDS} seeds of the real config: no overlap, every slot back on exactly one node within 5 s, and the machinery exercised`, async () => {
    const s = await runPlacementSoak({ seeds: CI_SEEDS, seedBase: 1, workers: WORKERS })
    console.log(`      ${Math.round(s.wallSeconds)} s wall; ${s.counters.acquisitions} acquisitions, ${s.counters.failovers} failovers and moves, ` +
      `liveness p99 ${s.liveness.serviceMs.p99} ms`)
    assert.equal(s.violationCount, 0, explain(s))
    assert.equal(s.liveness.failedSeeds, 0, explain(s))
    // A soak is worth something only if leases and instances change hands a lot, under every kind of fault.
    for (const k of PLACEMENT_FAULT_KINDS) assert.ok(s.faults[k] > CI_SEEDS / 20, `${k}: ${s.faults[k]} faults`)
    assert.equal(s.seedsShortOfFaults, 0, 'every seed had a partition, a crash and a pause')
    assert.ok(s.counters.acquisitions > CI_SEEDS * 20, `${s.counters.acquisitions} acquisitions`)
    assert.ok(s.counters.failovers > CI_SEEDS * 5, `${s.counters.failovers} failovers and moves`)
    assert.ok(s.counters.kills > CI_SEEDS / 10, `${s.counters.kills} kills`)
    assert.ok(s.counters.stops > CI_SEEDS, `${s.counters.stops} graceful stops`)
    assert.ok(s.counters.prepares > CI_SEEDS, `${s.counters.prepares} prepares`)
    assert.equal(s.counters.rogueStarts, 0)
  })

  it('a broken variant that starts a copy on a dead verdict DOES overlap (the check can fail)', async () => {
    const s = await runPlacementSoak({ seeds: 5, seedBase: 1, workers: WORKERS, variant: 'start-on-dead' })
    assert.ok(s.counters.rogueStarts > 0, 'copies were started without a lease')
    assert.ok(s.violationCount > 0, 'expected overlaps')
    assert.ok(s.failures.some((f) => f.violations.some((v) => v.kind === 'process-overlap')), 'two nodes ran one slot at once')
  })

  it('with a minute-long lease, the holder isolated again and again and clocks at the bound: no overlap (the control)', async () => {
    const s = await runPlacementSoak({ seeds: 8, seedBase: 1, workers: WORKERS, shape: 'isolate-holder', longLease: true })
    assert.equal(s.violationCount, 0, explain(s))
    assert.equal(s.liveness.failedSeeds, 0, explain(s))
    assert.ok(s.counters.failovers > 8 * 20, `${s.counters.failovers} failovers`)
  })

  it('the same without the drift allowance DOES overlap (the check can fail)', async () => {
    const s = await runPlacementSoak({ seeds: 8, seedBase: 1, workers: WORKERS, variant: 'no-drift-margin' })
    assert.ok(s.failures.some((f) => f.violations.some((v) => v.kind === 'lease-overlap')), `expected a lease to begin before the one it followed had ended; ${explain(s)}`)
  })
})
