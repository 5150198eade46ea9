import assert from 'node:assert/strict'
import { leaseConfigProblems, localTestLeaseConfig, type LeaseConfig } from '../src/lease/config.js'
import { defaultNetOptions, LeaseNet } from './support/lease-net.js'
import { soakMany } from './support/lease-soak.js'

/**
 * The safety soak: many seeds of a small cluster under loss, duplication, reordering, partitions, clock
 * drift within ±1,000 ppm, pauses up to maxPauseMs, crashes and restarts, handoffs and releases. LeaseNet checks
 * after every step, against the true clock, that no two nodes believe they hold a valid lease on the same
 * resource and that no two holders share an epoch. Every failure names its seed; replay one with
 * `soak(seed, config, durationMs)`.
 */

/**
 * A ten-minute lease with clocks at ±1,000 ppm exactly: its drift error (2ρ × leaseMs = 1.2 s) is far wider
 * than the kill margin and the retry jitter, so a build without the drift allowance overlaps often enough
 * to see in a few seeds. The same world with the allowance must stay safe.
 */
const longLease = (c: LeaseConfig): LeaseConfig => ({ ...c, leaseMs: 600_000, renewEveryMs: 10_000, requestTimeoutMs: 500, retryJitterMs: 50 })
const LONG_RUN_MS = 6_000_000

/**
 * The plainest threat to a lease: holder `h` is cut off from every voter just after a renewal, while `x`
 * keeps asking on the majority side. Clocks sit at ±1,000 ppm exactly, drawn per seed.
 */
function isolatedHolder (seeds: number, config: LeaseConfig): { violations: string[], lateKills: string[], handovers: number } {
  const out = { violations: [] as string[], lateKills: [] as string[], handovers: 0 }
  for (let seed = 1; seed <= seeds; seed++) {
    const net = new LeaseNet(defaultNetOptions(config, { seed, ids: ['v1', 'v2', 'v3', 'h', 'x'], voters: ['v1', 'v2', 'v3'], driftPpm: 1_000, driftExtremes: true, minDelayMs: 0.1, maxDelayMs: 1 }))
    net.command('h', { type: 'acquire', resource: 'r' })
    net.runFor(config.renewEveryMs * 1.5)
    const cutAt = net.trueMs + net.rng.float() * config.renewEveryMs
    net.blocked = (a, b) => net.trueMs >= cutAt && (a === 'h' || b === 'h')
    net.command('x', { type: 'acquire', resource: 'r' })
    net.runFor(3 * config.leaseMs)
    out.violations.push(...net.violations)
    out.lateKills.push(...net.lateKills)
    if (net.eventsOf('x', 'acquired').length > 0) out.handovers++
  }
  return out
}

describe('lease safety soak (virtual time, seeded)', function () {
  this.timeout(300_000)

  it('300 seeds of faults: never two holders of one resource at once, never two holders of one epoch', () => {
    const r = soakMany(300, localTestLeaseConfig(), 4_000)
    assert.deepEqual(r.violations.slice(0, 5), [], `replay with soak(seed, localTestLeaseConfig(), 4_000)`)
    assert.deepEqual(r.lateKills.slice(0, 5), [])
    // The soak is worth something only if leases change hands a lot, by quorum and by handoff.
    assert.ok(r.acquisitions > 2_000, `${r.acquisitions} acquisitions`)
    assert.ok(r.handoffs > 300, `${r.handoffs} handoffs`)
    assert.ok(r.voterChanges > 100, `${r.voterChanges} voter-set versions`)
  })

  it('with a ten-minute lease and every clock at the drift bound', () => {
    const r = soakMany(10, longLease(localTestLeaseConfig()), LONG_RUN_MS, 1_000, undefined, true)
    assert.deepEqual(r.violations.slice(0, 5), [])
    assert.deepEqual(r.lateKills.slice(0, 5), [])
    assert.ok(r.acquisitions > 100, `${r.acquisitions} acquisitions`)
  })

  it('an isolated holder against a majority contender, 100 seeds of clocks at the drift bound: never overlaps', () => {
    const r = isolatedHolder(100, longLease(localTestLeaseConfig()))
    assert.deepEqual(r.violations.slice(0, 5), [])
    assert.deepEqual(r.lateKills.slice(0, 5), [])
    assert.equal(r.handovers, 100, 'the contender got the lease in every seed')
  })

  it('a deliberately broken variant without the drift allowance DOES overlap (the check can fail)', () => {
    const broken = { ...longLease(localTestLeaseConfig()), maxClockDriftPpm: 0 }
    assert.deepEqual(leaseConfigProblems(broken), [], 'the config itself looks fine')
    const r = isolatedHolder(100, broken)
    assert.ok(r.violations.some((v) => v.includes('all run')), `expected overlapping holders, got ${r.violations.length} violations`)
  })

  it('a deliberately broken variant whose kill margin does not cover a pause DOES kill after the lease ended', () => {
    const world = localTestLeaseConfig()
    assert.ok(leaseConfigProblems({ ...world, marginMs: 1 }).some((p) => p.startsWith('marginMs')), 'leaseConfigProblems refuses it')
    // A build that believes stalls are short (maxPauseMs 0, so the check passes) in a world where they last 50 ms.
    const broken = { ...world, marginMs: 1, maxPauseMs: 0 }
    assert.deepEqual(leaseConfigProblems(broken), [])
    const r = soakMany(100, broken, 4_000, 1, world.maxPauseMs)
    assert.ok(r.lateKills.length > 0, 'some kill came after its lease ended')
  })
})
