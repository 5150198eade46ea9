import assert from 'node:assert/strict'
import { voterHoldMs } from '../src/lease/bounds.js'
import { localTestLeaseConfig } from '../src/lease/config.js'
import { Xoshiro128 } from '../src/core/rng.js'
import { LeaseMachine } from '../src/lease/machine.js'
import { nextVoters, votersDistance } from '../src/lease/voter-set.js'
import { decodeLeaseMessage, encodeLeaseMessage, LeaseKind, leaseMessage } from '../src/lease/wire.js'
import { defaultNetOptions, LeaseNet } from './support/lease-net.js'

const config = localTestLeaseConfig()

/** Every (version -> list) any node moved to; fails if two nodes disagree on one version's list. */
function versionsSeen (net: LeaseNet): Map<number, string> {
  const seen = new Map<number, string>()
  for (const e of net.eventsOf(undefined, 'voters-changed')) {
    if (e.event.type !== 'voters-changed') continue
    const list = e.event.voters.join(',')
    const prior = seen.get(e.event.version)
    assert.ok(prior === undefined || prior === list, `version ${e.event.version} is [${prior}] on one node and [${list}] on ${e.node}`)
    seen.set(e.event.version, list)
  }
  return seen
}

describe('lease voter sets (one member at a time, through a quorum of the old list)', function () {
  this.timeout(60_000)

  it('nextVoters adds first, then removes, one member per step, and never empties the list', () => {
    assert.deepEqual(nextVoters(['a', 'b', 'c'], ['a', 'b', 'd']), ['a', 'b', 'c', 'd'])
    assert.deepEqual(nextVoters(['a', 'b', 'c', 'd'], ['a', 'b', 'd']), ['a', 'b', 'd'])
    assert.equal(nextVoters(['a', 'b', 'd'], ['d', 'b', 'a']), undefined)
    assert.deepEqual(nextVoters(['a'], []), undefined)
    let cur = ['a', 'b', 'c']
    const target = ['c', 'd', 'e', 'f', 'g']
    for (let i = 0; i < 10; i++) {
      const next = nextVoters(cur, target)
      if (next === undefined) break
      assert.equal(votersDistance(cur, next), 1)
      cur = next
    }
    assert.deepEqual(cur, target)
  })

  it('walks {a,b,c} to {a,b,d,e} in three committed steps, each a voter hold apart, while a lease stays held', () => {
    const net = new LeaseNet(defaultNetOptions(config, { ids: ['a', 'b', 'c', 'd', 'e', 'h'], voters: ['a', 'b', 'c'], seed: 3 }))
    net.command('h', { type: 'acquire', resource: 'w/web/0' })
    net.runFor(2 * voterHoldMs(config))
    net.command('a', { type: 'set-voters', voters: ['a', 'b', 'd', 'e'] })
    net.runFor(10 * voterHoldMs(config))
    const seen = versionsSeen(net)
    assert.deepEqual([...seen.entries()], [[2, 'a,b,c,d'], [3, 'a,b,c,d,e'], [4, 'a,b,d,e']])
    const steps = net.eventsOf('a', 'voters-changed')
    for (let i = 1; i < steps.length; i++) {
      assert.ok(steps[i].localMs - steps[i - 1].localMs >= voterHoldMs(config), 'a version settles for one voter hold before the next is decided')
    }
    for (const id of ['a', 'b', 'c', 'd', 'e']) assert.equal(net.get(id).voters().version, 4, `${id} is at version 4`)
    net.runFor(1_000)
    assert.equal(net.get('h').voters().version, 4, 'the holder learnt the new set from a voter')
    assert.ok(net.believes('h', 'w/web/0'), 'the lease survived the changes')
    assert.deepEqual(net.eventsOf('h', 'lost'), [])
    // Only the new voters grant now.
    assert.equal(net.get('d').grant('w/web/0')?.holder, 'h')
    assert.deepEqual(net.violations, [])
  })

  it('a voter takes part in deciding the next version only one voter hold after it moved to its own', () => {
    const m = new LeaseMachine({ id: 'a', rng: new Xoshiro128(1), config, voters: { version: 1, voters: ['a', 'b', 'c'] }, nowMs: 0 })
    const prepare = encodeLeaseMessage(leaseMessage(LeaseKind.VOTERS_PREPARE, { votersVersion: 2, ballot: 5 }))
    const early = m.step(voterHoldMs(config) - 1, { kind: 'message', from: 'b', channel: 'packet', bytes: prepare })
    const nack = decodeLeaseMessage(early.sends[0].bytes, config.maxMessageBytes)
    assert.ok(nack.ok && nack.value.kind === LeaseKind.VOTERS_NACK && nack.value.reason === 'settling')
    const later = m.step(voterHoldMs(config), { kind: 'message', from: 'b', channel: 'packet', bytes: prepare })
    assert.equal(later.sends.length, 0, 'the promise waits for the fsync')
    assert.ok(later.persist?.records.some((r) => r.type === 'voters' && r.record.promisedBallot === 5))
    const promised = m.step(voterHoldMs(config), { kind: 'command', command: { type: 'persisted', id: later.persist!.id } })
    const promise = decodeLeaseMessage(promised.sends[0].bytes, config.maxMessageBytes)
    assert.ok(promise.ok && promise.value.kind === LeaseKind.VOTERS_PROMISE)
    // A list two members away is refused outright.
    const far = encodeLeaseMessage(leaseMessage(LeaseKind.VOTERS_ACCEPT, { votersVersion: 2, ballot: 5, voters: ['a', 'd', 'e'] }))
    const refused = m.step(voterHoldMs(config) + 1, { kind: 'message', from: 'b', channel: 'packet', bytes: far })
    assert.ok(refused.events.some((e) => e.type === 'dropped' && e.reason === 'invalid-field'))
    assert.equal(refused.persist, undefined)
  })

  it('a minority of the old list cannot change it', () => {
    const net = new LeaseNet(defaultNetOptions(config, { ids: ['a', 'b', 'c', 'd'], voters: ['a', 'b', 'c'], seed: 4 }))
    net.runFor(voterHoldMs(config))
    net.crash('b'); net.crash('c')
    net.command('a', { type: 'set-voters', voters: ['a', 'd'] })
    net.runFor(5 * voterHoldMs(config))
    assert.equal(net.get('a').voters().version, 1)
    assert.equal(versionsSeen(net).size, 0)
  })

  it('two proposers with different lists: every version is one list everywhere (Paxos), over 40 seeds', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const net = new LeaseNet(defaultNetOptions(config, { ids: ['a', 'b', 'c', 'd', 'e'], voters: ['a', 'b', 'c'], seed, minDelayMs: 0.05, maxDelayMs: 3, lossRate: 0.1, dupRate: 0.1 }))
      net.runFor(voterHoldMs(config))
      net.command('a', { type: 'set-voters', voters: ['a', 'b', 'c', 'd'] })
      net.command('b', { type: 'set-voters', voters: ['a', 'b', 'c', 'e'] })
      net.runFor(3 * voterHoldMs(config))
      const seen = versionsSeen(net)
      assert.ok(seen.has(2), `seed ${seed}: a version 2 was decided`)
      let prev = ['a', 'b', 'c']
      for (const v of [...seen.keys()].sort((x, y) => x - y)) {
        const list = seen.get(v)!.split(',')
        assert.equal(votersDistance(prev, list), 1, `seed ${seed}: version ${v} is one member from the last`)
        prev = list
      }
    }
  })
})
