import assert from 'node:assert/strict'
import {
  applyHealthDelta,
  expectedConfirmations,
  remainingSuspicionTimeMs,
  retransmitLimit,
  scaleByHealth,
  suspicionTimeoutMs
} from '../src/membership/math.js'
import { LocalHealth } from '../src/membership/local-health.js'

describe('membership math', () => {
  describe('suspicionTimeoutMs', () => {
    // memberlist's TestSuspicionTimeout (util_test.go) divides suspicionTimeout(3, n, 1s) by 3; with mult 1
    // the same numbers come out directly.
    const memberlistTable: Array<[n: number, expectedMs: number]> = [
      [5, 1000],
      [10, 1000],
      [50, 1698],
      [100, 2000],
      [500, 2698],
      [1000, 3000]
    ]
    for (const [n, expectedMs] of memberlistTable) {
      it(`mult 1, interval 1 s, n=${n} -> ${expectedMs} ms`, () => {
        assert.equal(suspicionTimeoutMs(1, n, 1000), expectedMs)
      })
    }

    const lanTable: Array<[mult: number, n: number, intervalMs: number, expectedMs: number]> = [
      [3, 0, 200, 600], // no members known yet: the scale floors at 1
      [3, 1, 200, 600],
      [3, 2, 200, 600],
      [3, 10, 200, 600],
      [3, 11, 200, 624], // 3 × log10(11) × 200 = 624.8
      [3, 100, 200, 1200],
      [3, 1000, 200, 1800],
      [3, 10000, 200, 2400],
      [6, 5, 1000, 6000]
    ]
    for (const [mult, n, intervalMs, expectedMs] of lanTable) {
      it(`mult ${mult}, interval ${intervalMs} ms, n=${n} -> ${expectedMs} ms`, () => {
        assert.equal(suspicionTimeoutMs(mult, n, intervalMs), expectedMs)
      })
    }

    it('never decreases as the cluster grows', () => {
      let last = 0
      for (let n = 0; n <= 5000; n++) {
        const t = suspicionTimeoutMs(3, n, 200)
        assert.ok(t >= last, `n=${n}: ${t} < ${last}`)
        last = t
      }
    })
  })

  describe('remainingSuspicionTimeMs', () => {
    // memberlist's TestSuspicion_remainingSuspicionTime (suspicion_test.go), in milliseconds:
    // n confirmations of k expected, elapsed, min, max -> time left.
    const table: Array<[n: number, k: number, elapsedMs: number, minMs: number, maxMs: number, expectedMs: number]> = [
      [0, 3, 0, 2000, 30000, 30000],
      [1, 3, 2000, 2000, 30000, 14000],
      [2, 3, 3000, 2000, 30000, 4810],
      [3, 3, 4000, 2000, 30000, -2000],
      [4, 3, 5000, 2000, 30000, -3000],
      [5, 3, 10000, 2000, 30000, -8000]
    ]
    for (const [n, k, elapsedMs, minMs, maxMs, expectedMs] of table) {
      it(`n=${n} k=${k} elapsed=${elapsedMs} min=${minMs} max=${maxMs} -> ${expectedMs}`, () => {
        assert.equal(remainingSuspicionTimeMs(n, k, elapsedMs, minMs, maxMs), expectedMs)
      })
    }

    it('uses the minimum when no confirmations are expected (k = 0)', () => {
      assert.equal(remainingSuspicionTimeMs(0, 0, 0, 600, 3600), 600)
      assert.equal(remainingSuspicionTimeMs(0, 0, 100, 600, 3600), 500)
    })

    it('falls from max to min as confirmations arrive, never below min', () => {
      for (const k of [1, 2, 3, 5, 8]) {
        let last = Infinity
        for (let n = 0; n <= k + 3; n++) {
          const t = remainingSuspicionTimeMs(n, k, 0, 600, 3600)
          assert.ok(t <= last, `k=${k} n=${n}: ${t} > ${last}`)
          assert.ok(t >= 600, `k=${k} n=${n}: ${t} below the minimum`)
          last = t
        }
        assert.equal(remainingSuspicionTimeMs(0, k, 0, 600, 3600), 3600)
        assert.equal(remainingSuspicionTimeMs(k, k, 0, 600, 3600), 600)
      }
    })
  })

  describe('expectedConfirmations', () => {
    // memberlist: k = SuspicionMult - 2, and 0 when fewer than k other members could confirm.
    const table: Array<[mult: number, n: number, expected: number]> = [
      [4, 10, 2],
      [4, 4, 2],
      [4, 3, 0],
      [3, 3, 1],
      [3, 2, 0],
      [3, 1, 0],
      [6, 6, 4],
      [6, 5, 0],
      [2, 100, 0],
      [1, 100, 0]
    ]
    for (const [mult, n, expected] of table) {
      it(`mult ${mult}, n=${n} -> ${expected}`, () => {
        assert.equal(expectedConfirmations(mult, n), expected)
      })
    }
  })

  describe('retransmitLimit', () => {
    // λ·⌈log10(N+1)⌉
    const table: Array<[mult: number, n: number, expected: number]> = [
      [4, 1, 4],
      [4, 9, 4],
      [4, 10, 8],
      [4, 99, 8],
      [4, 100, 12],
      [4, 1000, 16],
      [3, 0, 0], // memberlist's TestRetransmitLimit
      [3, 1, 3],
      [3, 99, 6]
    ]
    for (const [mult, n, expected] of table) {
      it(`λ=${mult}, N=${n} -> ${expected}`, () => {
        assert.equal(retransmitLimit(mult, n), expected)
      })
    }
  })

  describe('local health', () => {
    it('applyHealthDelta keeps the score within [0, max - 1]', () => {
      const table: Array<[score: number, delta: number, max: number, expected: number]> = [
        [0, 0, 8, 0],
        [0, -1, 8, 0],
        [0, 1, 8, 1],
        [3, -10, 8, 0],
        [6, 1, 8, 7],
        [7, 1, 8, 7],
        [6, 5, 8, 7],
        [0, 3, 1, 0],
        [2, 2, 4, 3]
      ]
      for (const [score, delta, max, expected] of table) {
        assert.equal(applyHealthDelta(score, delta, max), expected, `score ${score} + ${delta} (max ${max})`)
      }
    })

    it('scaleByHealth stretches a timeout by score + 1', () => {
      assert.equal(scaleByHealth(200, 0), 200)
      assert.equal(scaleByHealth(200, 1), 400)
      assert.equal(scaleByHealth(100, 7), 800)
    })

    it('follows memberlist\'s TestAwareness sequence', () => {
      // delta applied, score after, a 1 s timeout scaled.
      const steps: Array<[delta: number, score: number, timeoutMs: number]> = [
        [0, 0, 1000], [-1, 0, 1000], [-10, 0, 1000], [1, 1, 2000], [-1, 0, 1000], [10, 7, 8000],
        [-1, 6, 7000], [-1, 5, 6000], [-1, 4, 5000], [-1, 3, 4000], [-1, 2, 3000], [-1, 1, 2000],
        [-1, 0, 1000], [-1, 0, 1000]
      ]
      const health = new LocalHealth(8)
      for (const [i, [delta, score, timeoutMs]] of steps.entries()) {
        health.apply(delta)
        assert.equal(health.value, score, `step ${i}`)
        assert.equal(health.scale(1000), timeoutMs, `step ${i}`)
      }
    })
  })
})
