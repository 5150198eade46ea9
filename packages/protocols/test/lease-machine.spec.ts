import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import { holderValidMs, killByMs, stopByMs, voterHoldMs } from '../src/lease/bounds.js'
import { localTestLeaseConfig } from '../src/lease/config.js'
import { LeaseMachine } from '../src/lease/machine.js'
import type { LeaseEvent } from '../src/lease/types.js'
import { decodeLeaseMessage, encodeLeaseMessage, LeaseKind, leaseMessage } from '../src/lease/wire.js'
import { defaultNetOptions, LeaseNet } from './support/lease-net.js'

const config = localTestLeaseConfig()
const R = 'w/web/0'

function net (ids: string[], voters = ids, seed = 1): LeaseNet {
  return new LeaseNet(defaultNetOptions(config, { ids, voters, seed }))
}

const acquiredBy = (n: LeaseNet, resource = R): string[] =>
  n.eventsOf(undefined, 'acquired').filter((e) => e.event.type === 'acquired' && e.event.resource === resource).map((e) => e.node)

describe('LeaseMachine (virtual time)', function () {
  this.timeout(30_000)

  for (const size of [3, 5]) {
    it(`a quorum of ${size} voters grants a lease, and renewals keep it`, () => {
      const ids = ['a', 'b', 'c', 'd', 'e'].slice(0, size)
      const n = net(ids)
      n.command('a', { type: 'acquire', resource: R })
      n.runFor(10)
      const got = n.eventsOf('a', 'acquired')
      assert.equal(got.length, 1)
      const e = got[0].event
      assert.ok(e.type === 'acquired')
      assert.equal(e.via, 'quorum')
      // Counted from when the request was sent (local time 0 + the boot offset), shortened for drift.
      assert.equal(e.validUntilMs, n.localMs('a', 0) + holderValidMs(config))
      assert.equal(e.stopByMs, stopByMs(config, e.validUntilMs))
      assert.equal(e.killByMs, killByMs(config, e.validUntilMs))
      for (const v of ids) assert.equal(n.get(v).grant(R)?.holder, 'a', `${v} granted to a`)
      n.runFor(2_000)
      assert.ok(n.believes('a', R))
      assert.ok(n.eventsOf('a', 'renewed').length >= 15, 'renews every renewEveryMs')
      assert.deepEqual(n.eventsOf('a', 'lost'), [])
      assert.deepEqual(n.violations, [])
    })
  }

  it('counts a quorum, not everyone: with two of five voters down the lease is still granted, with three it is not', () => {
    const ids = ['a', 'b', 'c', 'd', 'e']
    const two = net(ids)
    two.crash('d'); two.crash('e')
    two.command('a', { type: 'acquire', resource: R })
    two.runFor(20)
    assert.equal(two.eventsOf('a', 'acquired').length, 1)
    const three = net(ids)
    three.crash('c'); three.crash('d'); three.crash('e')
    three.command('a', { type: 'acquire', resource: R })
    three.runFor(2_000)
    assert.equal(three.eventsOf('a', 'acquired').length, 0)
  })

  it('two contenders at once: at most one gets an epoch; the other gets one only after a release', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const n = new LeaseNet(defaultNetOptions(config, { ids: ['a', 'b', 'c', 'x', 'y'], voters: ['a', 'b', 'c'], seed, minDelayMs: 0.05, maxDelayMs: 2 }))
      n.command('x', { type: 'acquire', resource: R })
      n.command('y', { type: 'acquire', resource: R })
      n.runFor(1_000)
      const got = acquiredBy(n)
      assert.equal(got.length, 1, `seed ${seed}: one acquisition, got ${got.join(',')}`)
      const winner = got[0]
      const loser = winner === 'x' ? 'y' : 'x'
      assert.ok(n.believes(winner, R) && !n.believes(loser, R))
      assert.deepEqual(n.violations, [])
      n.command(winner, { type: 'release', resource: R })
      n.runFor(1_000)
      assert.deepEqual(acquiredBy(n), [winner, loser], `seed ${seed}: the other one after the release`)
      assert.deepEqual(n.violations, [])
    }
  })

  it('a partitioned minority holder emits stop-by and kill-by before any majority-side holder is granted', () => {
    const n = new LeaseNet(defaultNetOptions(config, { ids: ['a', 'b', 'c', 'd', 'e'], voters: ['a', 'b', 'c', 'd', 'e'], driftPpm: 1_000, seed: 4 }))
    n.command('a', { type: 'acquire', resource: R })
    n.runFor(300)
    assert.ok(n.believes('a', R))
    const minority = new Set(['a', 'b'])
    n.blocked = (x, y) => minority.has(x) !== minority.has(y)
    const cutAt = n.trueMs
    n.command('e', { type: 'acquire', resource: R })
    n.runFor(3_000)
    const stop = n.eventsOf('a', 'stop-by')[0]
    const kill = n.eventsOf('a', 'kill-by')[0]
    const lost = n.eventsOf('a', 'lost')[0]
    const won = n.eventsOf('e', 'acquired')[0]
    assert.ok(stop !== undefined && kill !== undefined && lost !== undefined && won !== undefined, 'all happened')
    assert.ok(lost.event.type === 'lost' && lost.event.reason === 'renewal-failed')
    assert.ok(stop.atMs < kill.atMs && kill.atMs <= lost.atMs, 'stop, then kill, then lost')
    assert.ok(kill.atMs < won.atMs, `a killed at ${kill.atMs}, e acquired at ${won.atMs}`)
    assert.ok(won.atMs - cutAt >= config.leaseMs - config.renewEveryMs, 'not before the old lease ran out at the voters')
    assert.deepEqual(n.violations, [])
  })

  it('a lost lease is forgotten once it has run out at every voter: it does not take up a resource for good', () => {
    const n = new LeaseNet(defaultNetOptions(config, { ids: ['a', 'b', 'c', 'd', 'e'], voters: ['a', 'b', 'c', 'd', 'e'], seed: 5 }))
    // The holder's claims are private; maxResources counts them, so a claim never forgotten is a slot lost.
    const claims = (): string[] => [...(n.get('a') as unknown as { holder: { claims: Map<string, unknown> } }).holder.claims.keys()]
    n.command('a', { type: 'acquire', resource: R })
    n.runFor(300)
    n.blocked = (x, y) => (x === 'a') !== (y === 'a')
    n.runFor(3_000)
    assert.equal(n.eventsOf('a', 'lost').length, 1)
    n.command('a', { type: 'release', resource: R })
    n.blocked = () => false
    n.runFor(3 * config.leaseMs)
    assert.deepEqual(claims(), [], 'the lost claim is gone')
  })

  it('a dead verdict starts nothing by itself: a crashed holder\'s voters grant again only after their own hold', () => {
    const n = net(['a', 'b', 'c', 'h', 'x'], ['a', 'b', 'c'])
    n.command('h', { type: 'acquire', resource: R })
    n.runFor(50)
    n.crash('h')
    const crashAt = n.trueMs
    n.command('x', { type: 'acquire', resource: R })
    n.runFor(2_000)
    const won = n.eventsOf('x', 'acquired')[0]
    assert.ok(won !== undefined)
    const lastGrantTrue = n.log.filter((e) => e.node === 'h' && (e.event.type === 'acquired' || e.event.type === 'renewed')).at(-1)!.atMs
    assert.ok(won.atMs >= lastGrantTrue + holderValidMs(config) - 1, `x at ${won.atMs}, h's lease ran to about ${lastGrantTrue + holderValidMs(config)}`)
    assert.ok(won.atMs > crashAt)
  })

  it('a restarted voter grants nothing for one voter hold, and never an epoch below one it granted', () => {
    const n = net(['a', 'b', 'c'])
    n.command('a', { type: 'acquire', resource: R })
    n.runFor(50)
    const epoch = n.get('a').lease(R)!.epoch
    n.crash('c')
    n.restart('c')
    const restartedLocal = n.localMs('c')
    assert.equal(n.get('c').grant(R)?.epoch, epoch, 'the epoch survived the restart')
    // Ask c alone, directly, for a higher epoch of another resource: refused while quiet.
    const probe = new LeaseMachine({ id: 'p', rng: new Xoshiro128(1), config, voters: { version: 1, voters: ['c'] }, nowMs: 0 })
    const req = requestOf(probe, 'other')
    const denied = n.get('c').step(restartedLocal + voterHoldMs(config) - 1, { kind: 'message', from: 'p', channel: 'packet', bytes: req.bytes })
    const reply = decodeLeaseMessage(denied.sends[0].bytes, 1024)
    assert.ok(reply.ok && reply.value.kind === LeaseKind.DENY && reply.value.reason === 'restarting')
    const granted = n.get('c').step(restartedLocal + voterHoldMs(config), { kind: 'message', from: 'p', channel: 'packet', bytes: req.bytes })
    assert.equal(granted.sends.length, 0, 'the grant waits for the fsync')
    assert.ok(granted.persist !== undefined && granted.persist.records[0].type === 'grant')
    const after = n.get('c').step(restartedLocal + voterHoldMs(config), { kind: 'command', command: { type: 'persisted', id: granted.persist.id } })
    const g = decodeLeaseMessage(after.sends[0].bytes, 1024)
    assert.ok(g.ok && g.value.kind === LeaseKind.GRANT)
  })

  it('a holder that learns of a higher epoch stops at once', () => {
    const n = net(['a', 'b', 'c', 'x'], ['a', 'b', 'c'])
    n.command('x', { type: 'acquire', resource: R })
    n.runFor(20)
    const held = n.get('x').lease(R)!
    // A voter answers x's next renewal with a record of a higher epoch.
    const renewal = n.get('x').step(n.localMs('x') + config.renewEveryMs, { kind: 'timer' })
    const req = decodeLeaseMessage(renewal.sends[0].bytes, 1024)
    assert.ok(req.ok && req.value.kind === LeaseKind.RENEW)
    const deny = encodeDeny(R, req.value.epoch, req.value.round, held.epoch + 1)
    const out = n.get('x').step(n.localMs('x') + config.renewEveryMs + 1, { kind: 'message', from: 'a', channel: 'packet', bytes: deny })
    assert.deepEqual(out.events.map((e: LeaseEvent) => e.type === 'lost' ? e.reason : e.type), ['higher-epoch'])
    assert.equal(n.get('x').lease(R), undefined)
  })

  it('a handoff gives the successor epoch+1 with no quorum round trip; the old holder stops; voters then confirm it', () => {
    const n = net(['a', 'b', 'c', 'h', 's'], ['a', 'b', 'c'])
    n.command('h', { type: 'acquire', resource: R })
    n.runFor(20)
    const old = n.get('h').lease(R)!
    n.command('s', { type: 'ask-handoff', resource: R, holder: 'h' })
    n.runFor(1)
    const sentBefore = n.log.length
    n.command('h', { type: 'handoff', resource: R, to: 's' })
    assert.equal(n.get('h').lease(R), undefined, 'h stopped in the same step')
    assert.ok(n.eventsOf('h', 'lost').some((e) => e.event.type === 'lost' && e.event.reason === 'handed-off'))
    n.runFor(0.5) // one hop: h -> s, no voter involved yet
    const got = n.log.slice(sentBefore).find((e) => e.node === 's' && e.event.type === 'acquired')
    assert.ok(got !== undefined && got.event.type === 'acquired')
    assert.equal(got.event.via, 'handoff')
    assert.equal(got.event.epoch, old.epoch + 1)
    // Its lease ends no later than h's would have, in true time.
    const sEndTrue = (got.event.validUntilMs - n.localMs('s', 0)) / ((n.localMs('s', 1) - n.localMs('s', 0)))
    const hEndTrue = (old.validUntilMs - n.localMs('h', 0)) / ((n.localMs('h', 1) - n.localMs('h', 0)))
    assert.ok(sEndTrue <= hEndTrue, `${sEndTrue} <= ${hEndTrue}`)
    n.runFor(20)
    assert.equal(n.get('s').lease(R)?.confirmed, true, 'a quorum confirmed epoch+1')
    for (const v of ['a', 'b', 'c']) assert.deepEqual([n.get(v).grant(R)?.epoch, n.get(v).grant(R)?.holder], [old.epoch + 1, 's'])
    n.runFor(1_000)
    assert.ok(n.believes('s', R))
    assert.deepEqual(n.violations, [])
  })

  it('refuses a handoff to a node that did not ask, and an unasked HANDOFF is dropped', () => {
    const n = net(['a', 'b', 'c'])
    n.command('a', { type: 'acquire', resource: R })
    n.runFor(20)
    const out = n.command('a', { type: 'handoff', resource: R, to: 'b' })
    assert.ok(out.events.some((e) => e.type === 'rejected'))
    assert.ok(n.believes('a', R))
  })

  it('a clock jump drops every lease at once and quiets the voter', () => {
    const n = net(['a', 'b', 'c'])
    n.command('a', { type: 'acquire', resource: R })
    n.runFor(20)
    const out = n.command('a', { type: 'clock-jumped' })
    assert.ok(out.events.some((e) => e.type === 'lost' && e.reason === 'clock-jumped'))
    assert.equal(n.get('a').lease(R), undefined)
  })

  it('a grant is sent only after the host confirmed it durable', () => {
    const v = new LeaseMachine({ id: 'v', rng: new Xoshiro128(2), config, voters: { version: 1, voters: ['v'] }, nowMs: 0 })
    const h = new LeaseMachine({ id: 'h', rng: new Xoshiro128(3), config, voters: { version: 1, voters: ['v'] }, nowMs: 0 })
    const req = requestOf(h, R)
    const out = v.step(1, { kind: 'message', from: 'h', channel: 'packet', bytes: req.bytes })
    assert.equal(out.sends.length, 0)
    assert.ok(out.persist !== undefined)
    assert.deepEqual(out.persist.records.map((r) => r.type === 'grant' ? [r.record.holder, r.record.resource] : []), [['h', R]])
    const unknown = v.step(2, { kind: 'command', command: { type: 'persisted', id: out.persist.id + 99 } })
    assert.equal(unknown.sends.length, 0)
    const released = v.step(2, { kind: 'command', command: { type: 'persisted', id: out.persist.id } })
    assert.equal(released.sends.length, 1)
    const got = h.step(3, { kind: 'message', from: 'v', channel: 'packet', bytes: released.sends[0].bytes })
    assert.ok(got.events.some((e) => e.type === 'acquired'))
  })
})

/** A holder's REQUEST for `resource`: it leaves once the ballot is durable (the host's `persisted`). */
function requestOf (m: LeaseMachine, resource: string): { bytes: Uint8Array } {
  const asked = m.step(0, { kind: 'command', command: { type: 'acquire', resource } })
  assert.equal(asked.sends.length, 0, 'the REQUEST waits for its ballot to be durable')
  assert.ok(asked.persist !== undefined && asked.persist.records.some((r) => r.type === 'ballot'))
  return m.step(0, { kind: 'command', command: { type: 'persisted', id: asked.persist.id } }).sends[0]
}

function encodeDeny (resource: string, epoch: number, round: number, recordEpoch: number): Uint8Array {
  return encodeLeaseMessage(leaseMessage(LeaseKind.DENY, { resource, epoch, round, recordEpoch, holder: 'y', reason: 'stale-epoch', votersVersion: 1, budgetMs: 100 }))
}
