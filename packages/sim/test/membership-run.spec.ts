import assert from 'node:assert/strict'
import { RUN_DEFAULTS, runMembership, type MembershipRunOptions, type MembershipRunResult } from '../src/scenarios/membership-run.js'

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

  it('converges after a split partition heals', () => {
    const r = run({ partition: 'split', durationSeconds: 40, livenessSeconds: 15 })
    assert.equal(r.faults.partitions, 1)
    assert.equal(r.converged, true)
    assert.ok(r.convergedAfterMs !== null && r.convergedAfterMs <= 10_000)
    assert.deepEqual(r.violations, [])
  })
})
