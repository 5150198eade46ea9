import assert from 'node:assert/strict'
import { lanConfig } from '@dreammesh/protocols'
import { InvariantChecker, type Violation } from '../src/scenarios/invariants.js'
import { MembershipCluster } from '../src/scenarios/membership-cluster.js'
import { networkOptions, RUN_DEFAULTS, runMembership, type MembershipRunOptions, type MembershipRunResult } from '../src/scenarios/membership-run.js'
import { BROKEN_VARIANTS, variantConfig, type BrokenVariant } from '../src/scenarios/variants.js'

/** Small runs: 20 members for 30 to 40 virtual seconds take well under a second each. */
function run (overrides: Partial<MembershipRunOptions>): MembershipRunResult {
  return runMembership({ ...RUN_DEFAULTS, nodes: 20, seed: 1, durationSeconds: 30, livenessSeconds: 10, ...overrides })
}

/** The result without the one field that depends on the machine it ran on. */
function replayable (r: MembershipRunResult): Omit<MembershipRunResult, 'wallSeconds'> {
  const { wallSeconds: _, ...rest } = r
  return JSON.parse(JSON.stringify(rest))
}

/**
 * Loss and pauses: a fifth of the members freeze for 500 ms every 10 s, long enough to be suspected and short
 * enough (within the pause tolerance at N=20: one probe period plus LAN's least suspicion timeout of 780 ms,
 * less the refutation's gossip) that the real protocol refutes every time. The broken variants turn those
 * suspicions into deaths. Pauses beyond the tolerance still count as false positives, though the checker
 * excuses the missed refutation.
 */
const HARSH: Partial<MembershipRunOptions> = { loss: 0.05, pauseEverySeconds: 10, pauseMs: 500, pauseShare: 0.2, durationSeconds: 40 }

/** The kinds of violation in a result, counted. */
function kinds (r: MembershipRunResult): Partial<Record<Violation['kind'], number>> {
  const out: Partial<Record<Violation['kind'], number>> = {}
  for (const v of r.violations) out[v.kind] = (out[v.kind] ?? 0) + 1
  return out
}

/**
 * Every check must be shown to fire: for each kind, a broken variant under conditions where the unbroken
 * protocol has no violation at all.
 * - completeness: three crashes, with suspicions 50 times as long as the preset's (`slow-suspicion`).
 * - accuracy: 10% loss, which stays on in the liveness phase; with suspicions ending at once
 *   (`suspicion-zero`) a lost probe round is a death, also after the other faults stop.
 * - refutation and convergence: the harsh conditions, with members that never refute (`no-refutation`).
 * - completeness in a partition run: a crash well before a split must still be detected in time (seed 3 has
 *   one about 15 s before the cut); the cut excuses only crashes whose bound overlaps it.
 */
const FIRES: Array<{ kind: Violation['kind'], variant: BrokenVariant, conditions: Partial<MembershipRunOptions> }> = [
  { kind: 'completeness', variant: 'slow-suspicion', conditions: { seed: 3, crash: 3, durationSeconds: 40 } },
  { kind: 'accuracy', variant: 'suspicion-zero', conditions: { loss: 0.1, durationSeconds: 40, livenessSeconds: 20 } },
  { kind: 'refutation', variant: 'no-refutation', conditions: HARSH },
  { kind: 'convergence', variant: 'no-refutation', conditions: HARSH },
  { kind: 'completeness', variant: 'slow-suspicion', conditions: { seed: 3, partition: 'split', crash: 4, durationSeconds: 80, livenessSeconds: 15 } }
]

describe('runMembership', () => {
  it('gives the same result for the same options (everything but wallSeconds)', () => {
    const options: Partial<MembershipRunOptions> = { loss: 0.02, crash: 2, pauseEverySeconds: 10, pauseMs: 300, durationSeconds: 40 }
    const a = run(options)
    const b = run(options)
    assert.deepEqual(replayable(a), replayable(b))
    assert.ok(a.protocolCounters !== undefined && Object.keys(a.protocolCounters).length > 0)
  })

  it('gives a different result for a different seed', () => {
    const options: Partial<MembershipRunOptions> = { loss: 0.02, crash: 2, durationSeconds: 40 }
    const a = replayable(run({ ...options, seed: 1 }))
    const b = replayable(run({ ...options, seed: 2 }))
    assert.equal(a.seed, 1)
    assert.equal(b.seed, 2)
    const { seed: _a, options: _oa, ...restA } = a
    const { seed: _b, options: _ob, ...restB } = b
    assert.notDeepEqual(restA, restB)
  })

  it('reports detection figures and no violations for a run with crashes', () => {
    const r = run({ seed: 3, crash: 3, durationSeconds: 40 })
    assert.deepEqual(r.violations, [])
    assert.equal(r.faults.crashes, 3)
    assert.equal(r.detection.firstMs.count, 3)
    assert.equal(r.detection.allMs.count, 3)
    assert.equal(r.detection.missed, 0)
    assert.ok(r.detection.firstMs.p50 > 0)
    assert.ok(r.detection.firstMs.p50 <= r.detection.allMs.p50)
    // Every crash is dead everywhere within the bound the checker holds it to.
    assert.ok(r.detection.allMs.max <= r.completenessBoundMs, `${r.detection.allMs.max} > ${r.completenessBoundMs}`)
    assert.equal(r.falsePositives, 0)
    assert.equal(r.converged, true)
  })

  it('a lost machine closes no connection, so it is found by probes alone: later than a killed process', () => {
    const median = (machineLoss: boolean): number => {
      const all: number[] = []
      for (let seed = 1; seed <= 8; seed++) {
        const r = run({ nodes: 6, seed, preset: 'home', transport: 'streams', crash: 1, machineLoss })
        assert.deepEqual(r.violations, [])
        all.push(...r.samples.detectionAllMs)
      }
      all.sort((a, b) => a - b)
      return all[Math.floor(all.length / 2)]
    }
    const killed = median(false)
    const lost = median(true)
    // A killed process: every peer gets the RST and probes it at once. A lost machine waits for its turn.
    assert.ok(lost > killed + 100, `machine loss ${lost} ms, process crash ${killed} ms`)
    assert.match(run({ nodes: 6, crash: 1, machineLoss: true }).replay, /--machine-loss/)
  })

  it('passes the harsh conditions with the unbroken protocol (the control for the broken variants)', () => {
    const r = run(HARSH)
    assert.ok(r.faults.pauses > 0)
    assert.deepEqual(r.violations, [])
    assert.equal(r.falsePositives, 0)
    assert.equal(r.converged, true)
  })

  for (const variant of ['suspicion-zero', 'no-refutation'] as const) {
    it(`reports violations and a replay command for the broken variant ${variant}`, () => {
      const r = run({ ...HARSH, variant })
      assert.ok(r.violations.length > 0, 'a broken protocol must trip the checks')
      assert.ok(r.violations.some((v) => v.kind === 'refutation'), JSON.stringify(r.violations.slice(0, 3)))
      assert.ok(r.falsePositives > 0)
      assert.match(r.replay, /--seed 1\b/)
      assert.match(r.replay, new RegExp(`--variant ${variant}`))
      // A member deaf to accusations stays dead to its peers, so the views never converge.
      if (variant === 'no-refutation') assert.equal(r.converged, false)
    })
  }

  for (const { kind, variant, conditions } of FIRES) {
    const label = Object.entries(conditions).map(([k, v]) => `${k}=${String(v)}`).join(' ')
    it(`fires ${kind} for the broken variant ${variant}, and nothing for the unbroken protocol (${label})`, () => {
      const broken = run({ ...conditions, variant })
      assert.ok((kinds(broken)[kind] ?? 0) > 0, `no ${kind} violation: ${JSON.stringify(kinds(broken))}`)
      const control = run(conditions)
      assert.deepEqual(control.violations, [])
      assert.equal(control.falsePositives, 0)
      assert.equal(control.converged, true)
    })
  }

  it('accepts every broken variant named in BROKEN_VARIANTS', () => {
    for (const variant of BROKEN_VARIANTS) {
      const r = run({ nodes: 8, durationSeconds: 10, livenessSeconds: 3, variant })
      assert.match(r.replay, new RegExp(`--variant ${variant}\\b`))
    }
  })

  it('counts joins, and reports joinMissed next to joinAllMs', () => {
    const r = run({ joins: 5, durationSeconds: 40 })
    assert.equal(r.faults.joins, 5)
    assert.equal(r.joinAllMs.count, 5)
    assert.equal(r.joinMissed, 0)
    const none = run({})
    assert.equal(none.joinMissed, 0)
    assert.equal(none.joinAllMs.count, 0)
  })

  it('counts a join that never becomes known to all as missed', () => {
    // A 40% loss and a joiner right before the liveness phase: some joins cannot reach everyone in time. (At
    // 30% every join now arrives: the member a joiner syncs with passes the join on.)
    const r = run({ joins: 20, loss: 0.4, durationSeconds: 15, livenessSeconds: 0.5 })
    assert.equal(r.faults.joins, 20)
    assert.ok(r.joinMissed > 0, JSON.stringify({ count: r.joinAllMs.count, missed: r.joinMissed }))
    assert.equal(r.joinAllMs.count + r.joinMissed, r.faults.joins)
  })

  it('converges after a split partition heals', () => {
    const r = run({ partition: 'split', durationSeconds: 40, livenessSeconds: 15 })
    assert.equal(r.faults.partitions, 1)
    assert.equal(r.converged, true)
    assert.ok(r.convergedAfterMs !== null && r.convergedAfterMs <= 10_000)
    assert.deepEqual(r.violations, [])
  })
})

describe('InvariantChecker shading', () => {
  /**
   * Five members with 50 times the LAN suspicion (so nobody declares the crash dead), checked against the
   * LAN preset's bound. Each checker sees the same crash; they differ only in when everyone is cut off.
   */
  function crashThenShade (shadeFromAfterCrashMs: number): Violation[] {
    const preset = lanConfig()
    const o: MembershipRunOptions = { ...RUN_DEFAULTS, nodes: 5, seed: 1 }
    const cluster = new MembershipCluster({ nodes: 5, seed: 1, config: variantConfig(preset, 'slow-suspicion'), network: networkOptions(o) })
    const checker = new InvariantChecker(cluster, preset)
    for (let i = 0; i < 5; i++) cluster.start(i)
    cluster.runUntil(10_000)
    cluster.crash(4)
    checker.recordCrash(4)
    const crashMs = cluster.nowMs
    cluster.runUntil(crashMs + shadeFromAfterCrashMs)
    for (let i = 0; i < 5; i++) checker.shade(i, cluster.nowMs + 5_000)
    cluster.runUntil(crashMs + Math.max(shadeFromAfterCrashMs, checker.completenessBound) + 1_000)
    checker.checkCompleteness()
    return checker.violations
  }

  it('holds observers to completeness for a crash whose bound ended before they were cut off', () => {
    const violations = crashThenShade(30_000)
    assert.equal(violations.length, 4, JSON.stringify(violations))
    assert.ok(violations.every((v) => v.kind === 'completeness'))
  })

  it('excuses observers cut off within the crash\'s bound', () => {
    assert.deepEqual(crashThenShade(1_000), [])
  })
})
