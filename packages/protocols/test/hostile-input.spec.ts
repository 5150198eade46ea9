import assert from 'node:assert/strict'
import { Xoshiro128 } from '../src/core/rng.js'
import { localTestConfig, type MembershipConfig } from '../src/membership/config.js'
import { Membership } from '../src/membership/membership.js'
import { Packet, PacketKind, Role, UpdateKind, type Meta, type Update } from '../src/wire/codec.js'
import { Loop } from './support/loop.js'

/**
 * A member never throws on what a peer sends (ARCHITECTURE.md rule 4). Real traffic of a small cluster is
 * captured, then mutated (bit flips, truncation, splices of two messages, random bytes) and fed to a live
 * member on both channels. Every message must either be accepted or be counted as dropped with a reason,
 * and the member must go on working afterwards.
 */
describe('hostile input', () => {
  it('thousands of mutated packets and frames never throw, are counted when dropped, and leave the member working', () => {
    const loop = new Loop()
    const ids = ['a', 'b', 'c', 'd']
    ids.forEach((id, i) => loop.add(id, i + 1))
    for (const id of ids.slice(1)) loop.command(id, { type: 'join', seeds: ['a'] })
    loop.runFor(3_000)
    const captured = loop.sent.map((s) => ({ channel: s.channel, bytes: s.bytes }))
    assert.ok(captured.some((c) => c.channel === 'packet') && captured.some((c) => c.channel === 'stream'), 'both channels captured')

    const victim = loop.get('b')
    const rng = new Xoshiro128(2024)
    let fed = 0
    let t = loop.nowMs
    for (let i = 0; i < 5_000; i++) {
      const base = captured[rng.int(captured.length)]
      const bytes = mutate(rng, base.bytes, captured[rng.int(captured.length)].bytes)
      const channel = rng.float() < 0.5 ? base.channel : (base.channel === 'packet' ? 'stream' : 'packet')
      t += 0.01
      const out = victim.step(t, { kind: 'message', from: ids[rng.int(ids.length)], channel, bytes })
      fed++
      for (const e of out.events) {
        if (e.type === 'dropped') assert.ok(e.reason.length > 0 && e.detail.length > 0, 'a drop says why')
      }
    }
    const counters = victim.counters()
    const dropped = Object.entries(counters).filter(([k]) => k.startsWith('dropped.')).reduce((n, [, v]) => n + v, 0)
    assert.ok(dropped > fed / 4, `most garbage is dropped and counted (${dropped} of ${fed})`)
    for (const reason of ['malformed', 'oversized', 'invalid-field', 'version', 'unknown-kind']) {
      assert.ok((counters[`dropped.${reason}`] ?? 0) > 0, `some input was dropped as ${reason}: ${JSON.stringify(counters)}`)
    }

    // The member still works: the cluster converges again once the noise stops.
    loop.nowMs = Math.max(loop.nowMs, t)
    loop.runFor(5_000)
    for (const id of ids) assert.deepEqual([...loop.get(id).liveIds()].sort(), ids.filter((x) => x !== id).sort(), `${id}'s view`)
  })
})

function mutate (rng: Xoshiro128, bytes: Uint8Array, other: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes)
  switch (rng.int(6)) {
    case 0: // flip a few bits
      for (let k = 0; k < 1 + rng.int(4); k++) if (out.length > 0) out[rng.int(out.length)] ^= 1 << rng.int(8)
      return out
    case 1: // truncate
      return out.subarray(0, rng.int(out.length + 1))
    case 2: // splice two messages
      return Uint8Array.from([...out.subarray(0, rng.int(out.length + 1)), ...other.subarray(rng.int(other.length + 1))])
    case 3: // random bytes
      return Uint8Array.from({ length: rng.int(300) }, () => rng.int(256))
    case 4: // an oversized message
      return new Uint8Array(70_000 + rng.int(1000)).fill(rng.int(256))
    default: // a wrong version or kind byte: rewrite the first varint field's value
      if (out.length > 1) out[1] = rng.int(8)
      return out
  }
}

describe('forged or runaway news from an admitted peer', () => {
  const cfg = localTestConfig()
  const metaOf = (name: string): Meta => ({ name, role: Role.SERVER, addrs: [], tags: [], state: new Uint8Array(0) })
  const gossipOf = (updates: Update[]): Uint8Array => Packet.encode({ version: 1, kind: PacketKind.GOSSIP, seq: 0, target: '', targetHash: 0, updates })
  const alive = (node: string, incarnation = 0): Update => ({ kind: UpdateKind.ALIVE, node, incarnation, from: '', metaVersion: 0, meta: metaOf(node) })
  const machine = (id: string, config: MembershipConfig = cfg): Membership =>
    new Membership({ id, meta: { name: id, role: 'server', addrs: [], tags: [], state: new Uint8Array(0) }, rng: new Xoshiro128(7), config, nowMs: 0 })

  it('a DEAD at an incarnation never announced is checked with a probe, not adopted', () => {
    const a = machine('a')
    a.step(1, { kind: 'message', from: 'b', channel: 'packet', bytes: gossipOf([alive('b'), alive('victim')]) })
    const forged: Update = { kind: UpdateKind.DEAD, node: 'victim', incarnation: 0xffffffff, from: 'b', metaVersion: 0 }
    const out = a.step(2, { kind: 'message', from: 'b', channel: 'packet', bytes: gossipOf([forged]) })
    assert.equal(a.member('victim')?.state, 'alive', 'not evicted')
    assert.equal(a.member('victim')?.incarnation, 0)
    const ping = out.sends.find((s) => s.to === 'victim' && s.channel === 'packet')
    assert.ok(ping !== undefined, 'the claim is verified by probing the victim')
    assert.equal(Packet.decode(ping.bytes).kind, PacketKind.PING)
  })

  it('a forged accusation far above our incarnation is refuted from our own count', () => {
    const v = machine('victim')
    const forged: Update = { kind: UpdateKind.SUSPECT, node: 'victim', incarnation: 0xfffffff0, from: 'b', metaVersion: 0 }
    const out = v.step(1, { kind: 'message', from: 'b', channel: 'packet', bytes: gossipOf([forged]) })
    assert.deepEqual(out.events.filter((e) => e.type === 'refuted').map((e) => e.type === 'refuted' && e.incarnation), [1])
    assert.equal(v.incarnation, 1, 'one step up, so the victim can keep refuting')
  })

  it('news of more members than maxMembers is dropped and counted', () => {
    const a = machine('a', { ...cfg, maxMembers: 10 })
    const flood = Array.from({ length: 40 }, (_, i) => alive(`ghost-${i}`))
    for (let i = 0; i < flood.length; i += 20) a.step(1 + i, { kind: 'message', from: 'b', channel: 'packet', bytes: gossipOf(flood.slice(i, i + 20)) })
    assert.equal(a.members().length, 9, 'the table holds maxMembers, self included')
    assert.equal(a.counters()['dropped.member-limit'], 31)
  })
})
