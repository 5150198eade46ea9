import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import { remainingSuspicionTimeMs } from '../src/membership/math.js'
import { Suspicion } from '../src/membership/suspicion.js'

const MIN_MS = 2000
const MAX_MS = 30000
const START_MS = 1000

describe('Suspicion (Lifeguard 3.3)', () => {
  it('starts at the maximum timeout', () => {
    const s = new Suspicion(4, 'accuser', 3, START_MS, MIN_MS, MAX_MS)
    assert.equal(s.confirmations, 0)
    assert.equal(s.deadlineMs(), START_MS + MAX_MS)
    assert.equal(s.incarnation, 4)
    assert.equal(s.startMs, START_MS)
  })

  it('follows memberlist\'s decay as distinct members confirm', () => {
    const s = new Suspicion(0, 'a', 3, START_MS, MIN_MS, MAX_MS)
    assert.equal(s.confirm('b'), true)
    assert.equal(s.deadlineMs(), START_MS + 16000)
    assert.equal(s.confirm('c'), true)
    assert.equal(s.deadlineMs(), START_MS + 7810)
    assert.equal(s.confirm('d'), true)
    assert.equal(s.deadlineMs(), START_MS + MIN_MS)
  })

  it('does not count the accuser', () => {
    const s = new Suspicion(0, 'a', 3, START_MS, MIN_MS, MAX_MS)
    assert.equal(s.confirm('a'), false)
    assert.equal(s.confirmations, 0)
    assert.equal(s.deadlineMs(), START_MS + MAX_MS)
  })

  it('counts each confirmer once', () => {
    const s = new Suspicion(0, 'a', 3, START_MS, MIN_MS, MAX_MS)
    assert.equal(s.confirm('b'), true)
    const after = s.deadlineMs()
    assert.equal(s.confirm('b'), false)
    assert.equal(s.confirm('b'), false)
    assert.equal(s.confirmations, 1)
    assert.equal(s.deadlineMs(), after)
  })

  it('counts at most k confirmations', () => {
    const s = new Suspicion(0, 'a', 2, START_MS, MIN_MS, MAX_MS)
    assert.equal(s.confirm('b'), true)
    assert.equal(s.confirm('c'), true)
    assert.equal(s.confirm('d'), false)
    assert.equal(s.confirmations, 2)
    assert.equal(s.deadlineMs(), START_MS + MIN_MS)
  })

  it('with k = 0 counts nothing and sits at the minimum', () => {
    const s = new Suspicion(0, 'a', 0, START_MS, MIN_MS, MAX_MS)
    assert.equal(s.confirm('b'), false)
    assert.equal(s.confirmations, 0)
    assert.equal(s.deadlineMs(), START_MS + MIN_MS)
  })

  it('property: the deadline shrinks monotonically toward the minimum, counting distinct non-accusers up to k', () => {
    const rng = new Xoshiro128(20240611)
    const pool = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    for (let trial = 0; trial < 500; trial++) {
      const k = rng.int(6)
      const minMs = 100 + rng.int(1000)
      const maxMs = minMs * (1 + rng.int(8))
      const accuser = pool[rng.int(pool.length)]
      const s = new Suspicion(trial, accuser, k, START_MS, minMs, maxMs)
      const distinct = new Set<string>()
      let last = s.deadlineMs()
      assert.equal(last, START_MS + (k === 0 ? minMs : maxMs), `trial ${trial}`)
      for (let i = 0; i < 20; i++) {
        const from = pool[rng.int(pool.length)]
        const isNew = from !== accuser && !distinct.has(from) && distinct.size < k
        assert.equal(s.confirm(from), isNew, `trial ${trial} step ${i}: confirm(${from})`)
        if (isNew) distinct.add(from)
        assert.equal(s.confirmations, distinct.size)
        const d = s.deadlineMs()
        assert.ok(d <= last, `trial ${trial}: deadline grew from ${last} to ${d}`)
        assert.ok(d >= START_MS + minMs, `trial ${trial}: deadline ${d} below start + min`)
        assert.equal(d, START_MS + remainingSuspicionTimeMs(distinct.size, k, 0, minMs, maxMs))
        if (isNew && maxMs > minMs) assert.ok(d < last || d === START_MS + minMs, `trial ${trial}: a new confirmation did not shorten the deadline`)
        last = d
      }
      if (distinct.size === k) assert.equal(last, START_MS + minMs, `trial ${trial}: k confirmations must reach the minimum`)
    }
  })
})
