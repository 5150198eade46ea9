import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import { HANDOFF_SPAN } from '../src/lease/bounds.js'
import { localTestLeaseConfig } from '../src/lease/config.js'
import { LeaseMessage } from '../src/lease/lease-messages.js'
import { LeaseMachine } from '../src/lease/machine.js'
import type { LeaseEvent } from '../src/lease/types.js'
import { decodeLeaseMessage, encodeLeaseMessage, LEASE_WIRE_VERSION, LeaseKind, leaseMessage, MAX_RESOURCE_KEY_BYTES } from '../src/lease/wire.js'

const config = localTestLeaseConfig()
const MAX = config.maxMessageBytes

function machine (): LeaseMachine {
  return new LeaseMachine({ id: 'v', rng: new Xoshiro128(5), config, voters: { version: 1, voters: ['v', 'w', 'x'] }, nowMs: 0 })
}

const drops = (events: LeaseEvent[]): string[] => events.flatMap((e) => e.type === 'dropped' ? [e.reason] : [])

describe('lease wire', () => {
  it('round-trips every kind within its bounds', () => {
    const m = leaseMessage(LeaseKind.RENEW, { resource: 'input/focus', epoch: 3 * HANDOFF_SPAN + 1, round: 42, holder: 'h', votersVersion: 2 })
    const bytes = encodeLeaseMessage(m)
    assert.ok(bytes.length < 64)
    const d = decodeLeaseMessage(bytes, MAX)
    assert.ok(d.ok)
    assert.deepEqual(d.value, m)
    const full = leaseMessage(LeaseKind.VOTERS_COMMIT, { votersVersion: 9, voters: Array.from({ length: 15 }, (_, i) => 'p'.repeat(100) + String(i).padStart(2, '0')) })
    assert.ok(encodeLeaseMessage(full).length < 2_000)
  })

  const bad: Array<[string, Uint8Array, string]> = [
    ['oversized', new Uint8Array(MAX + 1), 'oversized'],
    ['not protobuf', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'malformed'],
    ['truncated', encodeLeaseMessage(leaseMessage(LeaseKind.REQUEST, { resource: 'w/web/0', epoch: HANDOFF_SPAN })).subarray(0, 6), 'malformed'],
    ['another version', LeaseMessage.encode({ ...leaseMessage(LeaseKind.REQUEST, { resource: 'r', epoch: HANDOFF_SPAN }), version: LEASE_WIRE_VERSION + 1 }), 'version'],
    ['no kind', encodeLeaseMessage(leaseMessage(LeaseKind.LEASE_UNSPECIFIED, { resource: 'r' })), 'unknown-kind'],
    ['an unknown kind number', Uint8Array.from([0x08, 0x01, 0x10, 0x63]), 'unknown-kind'],
    ['an empty resource', encodeLeaseMessage(leaseMessage(LeaseKind.REQUEST, { epoch: HANDOFF_SPAN })), 'invalid-field'],
    ['a resource key too long', encodeLeaseMessage(leaseMessage(LeaseKind.REQUEST, { resource: 'r'.repeat(MAX_RESOURCE_KEY_BYTES + 1), epoch: HANDOFF_SPAN })), 'invalid-field'],
    ['a REQUEST for a handed-off epoch', encodeLeaseMessage(leaseMessage(LeaseKind.REQUEST, { resource: 'r', epoch: HANDOFF_SPAN + 1 })), 'invalid-field'],
    ['a REQUEST for epoch 0', encodeLeaseMessage(leaseMessage(LeaseKind.REQUEST, { resource: 'r', epoch: 0 })), 'invalid-field'],
    ['a HANDOFF of a fresh epoch', encodeLeaseMessage(leaseMessage(LeaseKind.HANDOFF, { resource: 'r', epoch: HANDOFF_SPAN })), 'invalid-field'],
    // version 1, kind GRANT, resource "r", epoch 2^60 (written by hand: protons will not encode it).
    ['an epoch past 2^53', Uint8Array.from([0x08, 0x01, 0x10, 0x03, 0x1a, 0x01, 0x72, 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]), 'malformed'],
    ['a holder id too long', encodeLeaseMessage(leaseMessage(LeaseKind.DENY, { resource: 'r', holder: 'h'.repeat(200) })), 'invalid-field'],
    ['16 voters', LeaseMessage.encode(leaseMessage(LeaseKind.VOTERS_COMMIT, { votersVersion: 2, voters: Array.from({ length: 16 }, (_, i) => `n${i}`) })), 'malformed'],
    ['repeated voters', encodeLeaseMessage(leaseMessage(LeaseKind.VOTERS_COMMIT, { votersVersion: 2, voters: ['a', 'a'] })), 'invalid-field'],
    ['a voter-set commit without a version', encodeLeaseMessage(leaseMessage(LeaseKind.VOTERS_COMMIT, { voters: ['a'] })), 'invalid-field']
  ]
  for (const [what, bytes, reason] of bad) {
    it(`drops ${what} as ${reason}, counts it, and never throws`, () => {
      const d = decodeLeaseMessage(bytes, MAX)
      assert.ok(!d.ok)
      assert.equal(d.reason, reason, d.detail)
      const m = machine()
      const out = m.step(1, { kind: 'message', from: 'w', channel: 'packet', bytes })
      assert.deepEqual(drops(out.events), [reason])
      assert.equal(out.sends.length, 0)
      assert.equal(m.counters()[`dropped.${reason}`], 1)
    })
  }

  it('survives 20,000 random and mutated messages without throwing, and counts every drop', () => {
    const rng = new Xoshiro128(99)
    const m = machine()
    const seeds = [
      encodeLeaseMessage(leaseMessage(LeaseKind.REQUEST, { resource: 'w/web/0', epoch: HANDOFF_SPAN, round: 1, votersVersion: 1 })),
      encodeLeaseMessage(leaseMessage(LeaseKind.VOTERS_ACCEPT, { votersVersion: 2, ballot: 3, voters: ['v', 'w', 'x', 'y'] })),
      encodeLeaseMessage(leaseMessage(LeaseKind.HANDOFF, { resource: 'input/focus', epoch: HANDOFF_SPAN + 1, budgetMs: 100 }))
    ]
    let dropped = 0
    for (let i = 0; i < 20_000; i++) {
      let bytes: Uint8Array
      if (i % 2 === 0) {
        bytes = Uint8Array.from({ length: rng.int(64) }, () => rng.int(256))
      } else {
        bytes = Uint8Array.from(seeds[rng.int(seeds.length)])
        for (let k = rng.int(4); k >= 0; k--) bytes[rng.int(bytes.length)] = rng.int(256)
      }
      const out = m.step(i, { kind: 'message', from: `p${rng.int(5)}`, channel: 'packet', bytes })
      dropped += drops(out.events).length
      if (out.persist !== undefined) m.step(i, { kind: 'command', command: { type: 'persisted', id: out.persist.id } })
    }
    const counted = Object.entries(m.counters()).filter(([k]) => k.startsWith('dropped.')).reduce((s, [, v]) => s + v, 0)
    assert.equal(counted, dropped)
    assert.ok(dropped > 10_000, `${dropped} dropped`)
  })

  it('rejects bad commands with a reason instead of throwing', () => {
    const m = machine()
    const rejected = (out: { events: LeaseEvent[] }): boolean => out.events.some((e) => e.type === 'rejected')
    assert.ok(rejected(m.step(0, { kind: 'command', command: { type: 'acquire', resource: '' } })))
    assert.ok(rejected(m.step(0, { kind: 'command', command: { type: 'acquire', resource: 'x'.repeat(500) } })))
    assert.ok(rejected(m.step(0, { kind: 'command', command: { type: 'set-voters', voters: [] } })))
    assert.ok(rejected(m.step(0, { kind: 'command', command: { type: 'handoff', resource: 'r', to: 'w' } })))
    assert.ok(rejected(m.step(0, { kind: 'command', command: { type: 'nonsense' } as never })))
  })
})
