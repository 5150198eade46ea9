import assert from 'node:assert/strict'
import { Autoscaler } from '../src/placement/autoscale.js'
import * as L from '../src/placement/limits.js'
import { validateWorkloadSpec } from '../src/placement/validate.js'

/** Booked 200 m at a 50 % target: 100 m per instance is the target. Up after 15 s, down after 60 s. */
const policy = { cpuPercent: 50, upAfterMs: 15_000, downAfterMs: 60_000 }
const scaler = (): Autoscaler => new Autoscaler(policy, 200, 1, 5)

/** Feeds one observation every 5 virtual seconds from `fromMs` to `toMs`; returns the counts it decided. */
function run (a: Autoscaler, state: { current: number }, fromMs: number, toMs: number, perInstance: (n: number) => number[]): Array<{ atMs: number, count: number }> {
  const out: Array<{ atMs: number, count: number }> = []
  for (let t = fromMs; t <= toMs; t += 5_000) {
    const cpu = perInstance(state.current)
    const d = a.observe({ nowMs: t, current: state.current, running: cpu.length, cpuMillis: cpu })
    if (d !== undefined) { out.push({ atMs: t, count: d.count }); state.current = d.count; a.applied(t, d.count) }
  }
  return out
}

describe('placement: the autoscaler (virtual time)', () => {
  it('scales up to what the load needs at once, within max', () => {
    const a = scaler()
    const d = a.observe({ nowMs: 0, current: 1, running: 1, cpuMillis: [350] })
    assert.equal(d?.count, 4, 'ceil(350 / 100)')
    assert.match(d?.reason ?? '', /average CPU 350 m of a 100 m target/)
    assert.equal(scaler().observe({ nowMs: 0, current: 1, running: 1, cpuMillis: [2_000] })?.count, 5, 'max is 5')
  })

  it('a load within ±10 % of the target changes nothing, ever', () => {
    const state = { current: 3 }
    assert.deepEqual(run(scaler(), state, 0, 600_000, () => [105, 95, 108]), [])
  })

  it('waits upAfterMs after a change before going up again, so the new instances show their load', () => {
    const state = { current: 1 }
    // A load that grows with the count (each instance stays saturated): 1 -> 3 at once, then 3 -> 5 after 15 s.
    const ups = run(scaler(), state, 0, 30_000, (n) => Array.from({ length: n }, () => 300))
    assert.deepEqual(ups, [{ atMs: 0, count: 3 }, { atMs: 15_000, count: 5 }])
  })

  it('goes down only after the load has been low for the whole window, to the highest count recommended in it', () => {
    const a = scaler()
    const state = { current: 4 }
    // Idle, except one burst at 40 s that needs 3.
    const downs = run(a, state, 0, 200_000, (n) => Array.from({ length: n }, () => 0))
    assert.deepEqual(downs, [{ atMs: 60_000, count: 1 }])
    const b = scaler()
    const s2 = { current: 4 }
    let t = 0
    const seen: number[] = []
    for (; t <= 200_000; t += 5_000) {
      const busy = t === 40_000
      const d = b.observe({ nowMs: t, current: s2.current, running: s2.current, cpuMillis: Array.from({ length: s2.current }, () => (busy ? 75 : 0)) })
      if (d !== undefined) { seen.push(d.count); s2.current = d.count; b.applied(t, d.count) }
    }
    // The burst (300 m in all: 3 instances) holds the count at 3 until it leaves the window, then 1.
    assert.deepEqual(seen, [3, 1])
  })

  it('running instances without a figure yet block a scale-down (their load is unknown) but count as idle going up', () => {
    const a = scaler()
    assert.equal(a.observe({ nowMs: 100_000, current: 3, running: 3, cpuMillis: [0] }), undefined)
    assert.equal(a.observe({ nowMs: 200_000, current: 3, running: 3, cpuMillis: [0] }), undefined, 'two of three have no figure')
    assert.equal(a.observe({ nowMs: 300_000, current: 3, running: 3, cpuMillis: [500] })?.count, 5, 'up: 500 m needs 5')
  })

  it('slots that do not run (no room for them) do not hold the count up once the load is gone', () => {
    const a = new Autoscaler(policy, 200, 1, 10)
    a.observe({ nowMs: 0, current: 10, running: 3, cpuMillis: [0, 0, 0] })
    assert.equal(a.observe({ nowMs: 60_000, current: 10, running: 3, cpuMillis: [0, 0, 0] })?.count, 1)
  })

  it('a count not written (the write failed) is decided again, with no window started', () => {
    const a = scaler()
    assert.equal(a.observe({ nowMs: 0, current: 1, running: 1, cpuMillis: [300] })?.count, 3)
    assert.equal(a.observe({ nowMs: 5_000, current: 1, running: 1, cpuMillis: [300] })?.count, 3, 'not applied: asked again at once')
  })

  it('no figures at all: no decision; a count changed by someone else restarts the windows', () => {
    const a = scaler()
    assert.equal(a.observe({ nowMs: 0, current: 2, running: 2, cpuMillis: [] }), undefined)
    assert.equal(a.observe({ nowMs: 100_000, current: 2, running: 2, cpuMillis: [0, 0] })?.count, 1, 'watched for the window: down')
    const b = scaler()
    b.observe({ nowMs: 0, current: 2, running: 2, cpuMillis: [0, 0] })
    // `dreammesh scale` set 4, seen at 65 s: the scaler does not undo it before a whole window of low load.
    assert.equal(b.observe({ nowMs: 65_000, current: 4, running: 4, cpuMillis: [0, 0, 0, 0] }), undefined)
    assert.equal(b.observe({ nowMs: 120_000, current: 4, running: 4, cpuMillis: [0, 0, 0, 0] }), undefined)
    assert.equal(b.observe({ nowMs: 125_000, current: 4, running: 4, cpuMillis: [0, 0, 0, 0] })?.count, 1)
  })

  it('the spec: autoscale is for cluster-aware only, bounded, with defaults, and needs booked CPU', () => {
    const ok = validateWorkloadSpec({ name: 'r', kind: 'cluster-aware', command: 'x', minInstances: 1, maxInstances: 3, autoscale: { cpuPercent: 70 } })
    assert.ok(ok.ok)
    assert.deepEqual(ok.spec.autoscale, { cpuPercent: 70, downAfterMs: L.DEFAULT_AUTOSCALE_DOWN_AFTER_MS, upAfterMs: L.DEFAULT_AUTOSCALE_UP_AFTER_MS })
    const problems = (input: unknown): string[] => { const v = validateWorkloadSpec(input); return v.ok ? [] : v.problems }
    assert.ok(problems({ name: 's', kind: 'service', command: 'x', autoscale: { cpuPercent: 70 } }).some((p) => p.startsWith('autoscale: only for kind cluster-aware')))
    const bad = problems({ name: 'r', kind: 'cluster-aware', command: 'x', minInstances: 1, maxInstances: 3, autoscale: { cpuPercent: 0, downAfterMs: -1, upAfterMs: 'soon', extra: 1 } })
    for (const path of ['autoscale.cpuPercent', 'autoscale.downAfterMs', 'autoscale.upAfterMs', 'autoscale']) assert.ok(bad.some((p) => p.startsWith(`${path}: `)), `${path} in ${bad.join('; ')}`)
    assert.ok(problems({ name: 'r', kind: 'cluster-aware', command: 'x', minInstances: 1, maxInstances: 3, autoscale: {} }).some((p) => p === 'autoscale.cpuPercent: required'))
    assert.ok(problems({ name: 'r', kind: 'cluster-aware', command: 'x', minInstances: 1, maxInstances: 3, resources: { cpuMillis: 0 }, autoscale: { cpuPercent: 50 } }).some((p) => p.startsWith('autoscale: needs resources.cpuMillis')))
    assert.ok(problems({ name: 'r', kind: 'cluster-aware', command: 'x', minInstances: 0, maxInstances: 3, autoscale: { cpuPercent: 50 } }).some((p) => p.startsWith('autoscale: needs minInstances of at least 1')))
  })
})
