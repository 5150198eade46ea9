import assert from 'node:assert/strict'
import { backoffDelayMs, decideRestart, isFailure, type RunEnd } from '../src/workloads/restart-policy.js'
import { InstanceSpecError, resolveRestartPolicy, type RestartPolicy } from '../src/workloads/spec.js'

const policy = (over: Partial<RestartPolicy>): RestartPolicy =>
  resolveRestartPolicy({ initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, maxRestarts: 3, stableAfterMs: 10_000, ...over })

const ok: RunEnd = { kind: 'exited', code: 0, signal: null }
const crash: RunEnd = { kind: 'exited', code: 3, signal: null }
const killed: RunEnd = { kind: 'exited', code: null, signal: 'SIGSEGV' }
const unhealthy: RunEnd = { kind: 'unhealthy' }

describe('workloads: restart policy arithmetic', () => {
  it('backs off exponentially from initialDelayMs and is capped at maxDelayMs', () => {
    const p = policy({})
    const table: Array<[number, number]> = [[0, 100], [1, 200], [2, 400], [3, 800], [4, 1_000], [60, 1_000], [5_000, 1_000]]
    for (const [attempt, delayMs] of table) assert.equal(backoffDelayMs(p, attempt), delayMs, `attempt ${attempt}`)
    assert.equal(backoffDelayMs(policy({ multiplier: 1 }), 7), 100, 'multiplier 1 is a fixed delay')
  })

  it('a non-zero code, a signal and unhealthiness are failures; exit 0 is not', () => {
    assert.deepEqual([ok, crash, killed, unhealthy].map(isFailure), [false, true, true, true])
  })

  it('decides per mode: never, on-failure, always', () => {
    const table: Array<[RestartPolicy['mode'], RunEnd, boolean, string?]> = [
      ['never', crash, false, 'policy-never'],
      ['never', ok, false, 'policy-never'],
      ['on-failure', crash, true],
      ['on-failure', killed, true],
      ['on-failure', unhealthy, true],
      ['on-failure', ok, false, 'succeeded'],
      ['always', ok, true],
      ['always', crash, true]
    ]
    for (const [mode, end, restart, reason] of table) {
      const d = decideRestart(policy({ mode }), 0, end, 5)
      assert.equal(d.restart, restart, `${mode} after ${JSON.stringify(end)}`)
      if (!d.restart) assert.equal(d.reason, reason)
    }
  })

  it('counts restarts in a crash loop, gives up after maxRestarts, and a stable run starts the loop over', () => {
    const p = policy({ mode: 'always' })
    let loop = 0
    const delays: number[] = []
    for (;;) {
      const d = decideRestart(p, loop, crash, 5)
      loop = d.restartsInLoop
      if (!d.restart) { assert.equal(d.reason, 'max-restarts'); break }
      delays.push(d.delayMs)
    }
    assert.deepEqual(delays, [100, 200, 400])
    // The same crash after a run of stableAfterMs is the first of a new loop.
    const fresh = decideRestart(p, loop, crash, 10_000)
    assert.deepEqual(fresh, { restart: true, delayMs: 100, restartsInLoop: 1 })
    const justShort = decideRestart(p, loop, crash, 9_999)
    assert.equal(justShort.restart, false)
  })

  it('refuses nonsense policies with the field named', () => {
    assert.throws(() => resolveRestartPolicy({ multiplier: 0.5 }), (e: unknown) => e instanceof InstanceSpecError && /multiplier/.test(e.message))
    assert.throws(() => resolveRestartPolicy({ initialDelayMs: -1 }), /initialDelayMs/)
    assert.throws(() => resolveRestartPolicy({ mode: 'sometimes' as never }), /restart\.mode/)
  })
})
