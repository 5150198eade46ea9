import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import {
  HANDOFF_SPAN,
  handoffBudgetMs,
  handoffsOf,
  holderValidMs,
  killByMs,
  killMarginMs,
  nextBallotEpoch,
  quorumOf,
  stopByMs,
  voterHoldMs
} from '../src/lease/bounds.js'
import { leaseConfig, leaseConfigProblems, localTestLeaseConfig, type LeaseConfig } from '../src/lease/config.js'

/** True duration of `localMs` on a clock running at `rate`. */
const trueOf = (localMs: number, rate: number): number => localMs / rate

describe('lease bounds (the arithmetic)', () => {
  it('presets are valid, and numbers match the ADR', () => {
    assert.deepEqual(leaseConfigProblems(leaseConfig()), [])
    assert.deepEqual(leaseConfigProblems(localTestLeaseConfig()), [])
    const c = leaseConfig()
    assert.equal(holderValidMs(c), 2_497)
    assert.equal(voterHoldMs(c), 2_503)
    assert.equal(killMarginMs(c), 501)
    assert.equal(stopByMs(c, 2_497), 1_397)
    assert.equal(killByMs(c, 2_497), 1_897)
  })

  const bad: Array<[string, Partial<LeaseConfig>, string]> = [
    ['a margin shorter than a stall', { marginMs: 100 }, 'marginMs'],
    ['renewals too late to retry before stop-by', { renewEveryMs: 2_000 }, 'renewEveryMs + 2'],
    ['grace and margin longer than the lease', { stopGraceMs: 4_000 }, 'stopGraceMs + marginMs'],
    ['a request timeout as long as the renewal period', { requestTimeoutMs: 1_000 }, 'requestTimeoutMs must be below'],
    ['a negative lease', { leaseMs: -1 }, 'leaseMs'],
    ['a drift of 10%', { maxClockDriftPpm: 100_000 }, 'maxClockDriftPpm'],
    ['more voters than the wire carries', { maxVoters: 16 }, 'maxVoters'],
    ['not a number', { stopGraceMs: Number.NaN }, 'stopGraceMs']
  ]
  for (const [what, over, starts] of bad) {
    it(`leaseConfigProblems refuses ${what}`, () => {
      const problems = leaseConfigProblems({ ...leaseConfig(), ...over })
      assert.ok(problems.some((p) => p.startsWith(starts)), problems.join('; '))
    })
  }

  it('quorums: a majority, and majorities of sets one member apart intersect', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(quorumOf), [1, 2, 2, 3, 3, 4, 4])
    for (let n = 1; n <= 14; n++) assert.ok(quorumOf(n) + quorumOf(n + 1) > n + 1, `sets of ${n} and ${n + 1}`)
  })

  it('epochs: a fresh ballot has no handoff part and is above any epoch handed off from the last', () => {
    assert.equal(nextBallotEpoch(0), HANDOFF_SPAN)
    assert.equal(nextBallotEpoch(HANDOFF_SPAN + 7), 2 * HANDOFF_SPAN)
    assert.equal(handoffsOf(nextBallotEpoch(HANDOFF_SPAN * 5 + 3)), 0)
    assert.equal(handoffsOf(HANDOFF_SPAN * 5 + 3), 3)
  })

  /**
   * The safety inequality, over random clocks at up to ±ρ, random send-to-grant delays and pauses:
   * holder's true end ≤ voter's true end, and a stalled kill still lands before the holder's end.
   */
  function worstHolderExcessMs (c: LeaseConfig, trials: number, seed: number): number {
    const rng = new Xoshiro128(seed)
    const rho = 1_000 / 1e6
    let worst = Number.NEGATIVE_INFINITY
    for (let i = 0; i < trials; i++) {
      const holderRate = 1 + (rng.float() < 0.3 ? -rho : (rng.float() * 2 - 1) * rho)
      const voterRate = 1 + (rng.float() < 0.3 ? rho : (rng.float() * 2 - 1) * rho)
      const sentTrue = rng.float() * 1_000
      const grantTrue = sentTrue + rng.float() * 5
      const holderEnd = sentTrue + trueOf(holderValidMs(c), holderRate)
      const voterEnd = grantTrue + trueOf(voterHoldMs(c), voterRate)
      worst = Math.max(worst, holderEnd - voterEnd)
      // A kill-by acted on after a stall of up to maxPauseMs still comes before the lease ends.
      const killTrue = sentTrue + trueOf(killByMs(c, holderValidMs(c)), holderRate) + rng.float() * c.maxPauseMs
      assert.ok(killTrue <= holderEnd + 1e-9, `kill at ${killTrue}, lease ends ${holderEnd}`)
    }
    return worst
  }

  it('holder_end ≤ voter_end for every voter of the quorum, over 100,000 random clocks and delays at ±1,000 ppm', () => {
    for (const c of [leaseConfig(), localTestLeaseConfig(), { ...leaseConfig(), leaseMs: 600_000, renewEveryMs: 10_000 }]) {
      const worst = worstHolderExcessMs({ ...c, maxClockDriftPpm: 1_000 }, 100_000, 7)
      assert.ok(worst <= 0, `a holder outlived a voter by ${worst} ms (leaseMs ${c.leaseMs})`)
    }
  })

  it('...and without the drift allowance it does not hold (the check can fail)', () => {
    // A 4 s lease, so that the excess (2ρL) stands well clear of rounding.
    const worst = worstHolderExcessMs({ ...leaseConfig(), leaseMs: 4_000, maxClockDriftPpm: 0 }, 100_000, 7)
    assert.ok(worst > 5, `expected a holder to outlive a voter by about 2ρL = 8 ms, got ${worst}`)
  })

  /** The handoff inequality: the successor's lease, counted from when it SENT its ask, ends before the holder's. */
  function worstSuccessorExcessMs (budget: typeof handoffBudgetMs, trials: number): number {
    const rng = new Xoshiro128(11)
    const c = leaseConfig()
    const rho = c.maxClockDriftPpm / 1e6
    let worst = Number.NEGATIVE_INFINITY
    for (let i = 0; i < trials; i++) {
      const hRate = 1 + (rng.float() < 0.3 ? rho : (rng.float() * 2 - 1) * rho)
      const sRate = 1 + (rng.float() < 0.3 ? -rho : (rng.float() * 2 - 1) * rho)
      const hOffset = rng.float() * 1e6
      const sOffset = rng.float() * 1e6
      const askSentTrue = rng.float() * 1_000
      const askArrivedTrue = askSentTrue + rng.float() * 20
      const holderEndTrue = askArrivedTrue + rng.float() * holderValidMs(c)
      const validUntilLocal = hOffset + holderEndTrue * hRate
      const b = budget(c, validUntilLocal, hOffset + askArrivedTrue * hRate)
      const successorEndTrue = ((sOffset + askSentTrue * sRate) + b - sOffset) / sRate
      worst = Math.max(worst, successorEndTrue - holderEndTrue)
    }
    return worst
  }

  it('a handed-off lease ends before the holder\'s, over 100,000 random clocks, offsets and delays', () => {
    assert.ok(worstSuccessorExcessMs(handoffBudgetMs, 100_000) <= 0)
  })

  it('...and a budget without the drift factor does not (the check can fail)', () => {
    const naive: typeof handoffBudgetMs = (_c, validUntilMs, arrivedAtMs) => Math.max(0, validUntilMs - arrivedAtMs)
    assert.ok(worstSuccessorExcessMs(naive, 100_000) > 0)
  })
})
