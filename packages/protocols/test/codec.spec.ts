import assert from 'node:assert/strict'
import { Xoshiro128, type Rng } from '../src/core/rng.js'
import { Meta } from '../src/wire/membership.js'
import { lanConfig } from '../src/membership/config.js'
import {
  decodeNewsMeta,
  decodePacket,
  decodeSync,
  MEMBERSHIP_WIRE_VERSION,
  Packet,
  PacketKind,
  Role,
  Sync,
  SyncKind,
  Update,
  UpdateKind,
  type Decoded,
  type DropReason,
  type MetaLimits,
  type PacketMessage,
  type SyncMessage,
  type WireUpdate
} from '../src/wire/codec.js'
import { encodeScalars, fieldCost, spliceRepeated, varintLength } from '../src/wire/frame.js'

const config = lanConfig()
const limits: MetaLimits = { maxNameBytes: config.maxNameBytes, maxStateBytes: config.maxStateBytes, maxMetaBytes: config.maxMetaBytes }
const MAX_PACKET = config.maxPacketBytes
const MAX_FRAME = config.maxFrameBytes
const BUCKETS = config.digestBuckets
const REASONS = new Set<DropReason>(['oversized', 'malformed', 'version', 'unknown-kind', 'invalid-field'])

function meta (over: Partial<Meta> = {}): Meta {
  return { name: 'node-a', role: Role.SERVER, addrs: ['/ip4/10.0.0.1/tcp/4001'], tags: ['gpu'], state: Uint8Array.of(1, 2, 3), ...over }
}

const alive = (node: string, over: Partial<Meta> = {}): Update =>
  ({ kind: UpdateKind.ALIVE, node, incarnation: 3, from: '', metaVersion: 2, meta: meta(over) })
const suspect = (node: string, from = 'accuser'): Update => ({ kind: UpdateKind.SUSPECT, node, incarnation: 4, from, metaVersion: 0 })
const dead = (node: string, from = 'accuser'): Update => ({ kind: UpdateKind.DEAD, node, incarnation: 5, from, metaVersion: 0 })
const left = (node: string): Update => ({ kind: UpdateKind.LEFT, node, incarnation: 6, from: '', metaVersion: 0 })

function packet (over: Partial<Packet> = {}): Packet {
  return { version: MEMBERSHIP_WIRE_VERSION, kind: PacketKind.PING, seq: 300, target: 'node-b', targetHash: 0, updates: [], ...over }
}

function sync (over: Partial<Sync> = {}): Sync {
  return { version: MEMBERSHIP_WIRE_VERSION, kind: SyncKind.STATE, session: 9, reply: true, buckets: [], members: [], last: true, summary: [], want: [], ...over }
}

const decodeP = (bytes: Uint8Array, max = MAX_PACKET): Decoded<PacketMessage> => decodePacket(bytes, max)
const decodeS = (bytes: Uint8Array, max = MAX_FRAME): Decoded<SyncMessage> => decodeSync(bytes, max, BUCKETS)

/**
 * The decoder keeps each update's metadata encoded until it is used (`decodeNewsMeta`). This turns news read
 * off the wire back into the schema's `Update`, checking the metadata's bounds on the way, and checks that
 * `raw` is the update's own bytes (news is passed on as read, without re-encoding).
 */
function toUpdate (w: WireUpdate): Update {
  assert.deepEqual(Update.decode(w.raw), asProtons(w), 'raw holds the update itself')
  const { raw: _raw, metaBytes, ...scalars } = w
  if (metaBytes === undefined) return scalars
  const m = decodeNewsMeta(w, limits)
  if (!m.ok) assert.fail(`meta of ${w.node}: ${m.reason}: ${m.detail}`)
  return { ...scalars, meta: m.value }
}

/** What protons' own decoder makes of the same update (meta decoded without bounds). */
function asProtons (w: WireUpdate): Update {
  const { raw: _raw, metaBytes, ...scalars } = w
  return metaBytes === undefined ? scalars : { ...scalars, meta: Meta.decode(metaBytes) }
}

function packetOf (m: PacketMessage): Packet {
  return { ...m, updates: m.updates.map(toUpdate) }
}

function syncOf (m: SyncMessage): Sync {
  return { ...m, members: m.members.map(toUpdate) }
}

/** Decodes an ALIVE update's metadata as a member would when applying it. */
function metaOf (bytes: Uint8Array): Decoded<Meta> {
  const p = assertOk(decodeP(bytes), 'the packet itself')
  assert.equal(p.updates.length, 1)
  return decodeNewsMeta(p.updates[0], limits)
}

function assertOk<T> (d: Decoded<T>, what = ''): T {
  if (!d.ok) assert.fail(`${what} expected ok, got ${d.reason}: ${d.detail}`)
  return d.value
}

function assertDropped<T> (d: Decoded<T>, reason: DropReason, what = ''): void {
  assert.equal(d.ok, false, `${what} expected a drop for ${reason}, but it decoded`)
  if (!d.ok) {
    assert.equal(d.reason, reason, `${what} (detail: ${d.detail})`)
    assert.equal(typeof d.detail, 'string')
    assert.ok(d.detail.length > 0, `${what} a drop says why`)
  }
}

/** Decoding must never throw: every input gives a `Decoded`, and a drop carries a known reason. */
function assertShape<T> (run: () => Decoded<T>, what: string): Decoded<T> {
  let d: Decoded<T>
  try {
    d = run()
  } catch (err) {
    assert.fail(`${what}: threw ${(err as Error).stack ?? String(err)}`)
  }
  assert.equal(typeof d.ok, 'boolean', what)
  if (!d.ok) {
    assert.ok(REASONS.has(d.reason), `${what}: unknown reason ${String(d.reason)}`)
    assert.equal(typeof d.detail, 'string', what)
  }
  return d
}

/** A decoded packet must satisfy every bound the decoder promises. */
function assertValidPacket (p: PacketMessage, what: string): void {
  assert.equal(p.version, MEMBERSHIP_WIRE_VERSION, what)
  assert.ok([PacketKind.PING, PacketKind.ACK, PacketKind.NACK, PacketKind.PING_REQ, PacketKind.GOSSIP].includes(p.kind), what)
  if (p.kind === PacketKind.PING_REQ) assert.ok(p.target.length > 0 && p.target.length <= 128, what)
  assert.ok(p.updates.length <= 64, what)
  for (const u of p.updates) assertValidUpdate(u, what)
}

function assertValidUpdate (u: WireUpdate, what: string): void {
  assert.ok([UpdateKind.ALIVE, UpdateKind.SUSPECT, UpdateKind.DEAD, UpdateKind.LEFT].includes(u.kind), what)
  assert.ok(u.node.length > 0 && new TextEncoder().encode(u.node).length <= 128, what)
  if (u.kind === UpdateKind.ALIVE) {
    assert.ok(u.metaBytes !== undefined, what)
    // The metadata is checked when used: it either passes its bounds or is dropped with a reason.
    const m = assertShape(() => decodeNewsMeta(u, limits), `${what}: meta`)
    if (m.ok) {
      assert.ok(m.value.state.length <= limits.maxStateBytes, what)
      assert.ok(new TextEncoder().encode(m.value.name).length <= limits.maxNameBytes, what)
      assert.ok(m.value.role === Role.SERVER || m.value.role === Role.CLIENT, what)
    }
  }
}

function randomBytes (rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = rng.int(256)
  return b
}

/** One to four random edits: flip, overwrite, insert, delete, duplicate a slice, or cut. */
function mutate (rng: Rng, bytes: Uint8Array): Uint8Array {
  let b = Array.from(bytes)
  for (let edits = 1 + rng.int(4); edits > 0; edits--) {
    const at = rng.int(b.length + 1)
    switch (rng.int(6)) {
      case 0: if (b.length > 0) b[at % b.length] ^= 1 << rng.int(8); break
      case 1: if (b.length > 0) b[at % b.length] = rng.int(256); break
      case 2: b.splice(at, 0, rng.int(256)); break
      case 3: b.splice(at, 1); break
      case 4: b.splice(at, 0, ...b.slice(at, at + 1 + rng.int(8))); break
      default: b = b.slice(0, at)
    }
  }
  return Uint8Array.from(b)
}

describe('membership wire codec', () => {
  describe('round trips', () => {
    for (const kind of [PacketKind.PING, PacketKind.ACK, PacketKind.NACK, PacketKind.PING_REQ, PacketKind.GOSSIP]) {
      it(`Packet ${kind} with every kind of update`, () => {
        const p = packet({ kind, seq: 0xffffffff, updates: [alive('a'), suspect('b'), dead('c'), left('d')] })
        assert.deepEqual(packetOf(assertOk(decodeP(Packet.encode(p)))), p)
      })
    }

    it('a Packet with no updates and default fields', () => {
      const p = packet({ kind: PacketKind.GOSSIP, seq: 0, target: '' })
      assert.deepEqual(packetOf(assertOk(decodeP(Packet.encode(p)))), p)
    })

    it('an ALIVE update whose meta is at every bound', () => {
      // name at 64 bytes, state at 512, and the whole meta near 1,024 by metaSize's count.
      const m: Partial<Meta> = { name: 'n'.repeat(64), state: new Uint8Array(512).fill(7), addrs: ['/ip4/1.2.3.4/tcp/1'.padEnd(200, 'x')], tags: ['t'.repeat(200)] }
      const p = packet({ kind: PacketKind.GOSSIP, target: '', updates: [alive('x'.repeat(128), m)] })
      assert.deepEqual(packetOf(assertOk(decodeP(Packet.encode(p)))), p)
    })

    it('non-ASCII ids and names', () => {
      const p = packet({ target: 'nœud-β', updates: [alive('nœud-α', { name: 'ÉCRAN-1 🖥' })] })
      assert.deepEqual(packetOf(assertOk(decodeP(Packet.encode(p)))), p)
    })

    it('Sync DIGEST with one full-range hash per bucket', () => {
      const buckets = Array.from({ length: BUCKETS }, (_, i) => (i * 0x9e3779b9) >>> 0)
      buckets[0] = 0xffffffff
      const s = sync({ kind: SyncKind.DIGEST, reply: false, session: 0xffffffff, buckets })
      assert.deepEqual(syncOf(assertOk(decodeS(Sync.encode(s)))), s)
    })

    it('Sync buckets in packed form (proto3\'s default for repeated scalars) decode the same', () => {
      // version 1, kind DIGEST, session 1, buckets packed: length 3, values 1, 300 (2 bytes); last
      const unpacked = Uint8Array.of(0x08, 1, 0x10, 1, 0x18, 1, 0x28, 1, 0x28, 0xac, 0x02, 0x38, 1)
      const packed = Uint8Array.of(0x08, 1, 0x10, 1, 0x18, 1, 0x2a, 3, 1, 0xac, 0x02, 0x38, 1)
      const a = assertOk(decodeSync(unpacked, MAX_FRAME, 2))
      const b = assertOk(decodeSync(packed, MAX_FRAME, 2))
      assert.deepEqual(a.buckets, [1, 300])
      assert.deepEqual(b, a)
    })

    it('Sync STATE with bucket indexes and member records', () => {
      const s = sync({ buckets: [0, 5, BUCKETS - 1], members: [alive('a'), dead('b', ''), left('c'), suspect('d')], last: false })
      assert.deepEqual(syncOf(assertOk(decodeS(Sync.encode(s)))), s)
    })
  })

  describe('the splice trick (wire/frame.ts)', () => {
    it('varintLength and fieldCost count protobuf\'s bytes', () => {
      const table: Array<[number, number]> = [[0, 1], [1, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2 ** 21 - 1, 3], [2 ** 21, 4], [2 ** 28, 5], [2 ** 32 - 1, 5]]
      for (const [n, len] of table) assert.equal(varintLength(n), len, `varintLength(${n})`)
      assert.equal(fieldCost(0), 2)
      assert.equal(fieldCost(127), 129)
      assert.equal(fieldCost(128), 131)
    })

    it('a Packet header plus spliced updates is byte-for-byte the normal encoding', () => {
      const updates = [alive('a'), suspect('b'), dead('c'), left('d'), alive('e', { state: new Uint8Array(300) })]
      const p = packet({ updates })
      const header = Packet.encode({ ...p, updates: [] })
      const parts = updates.map((u) => Update.encode(u))
      const spliced = spliceRepeated(header, 5, parts)
      assert.deepEqual(spliced, Packet.encode(p))
      assert.equal(spliced.length, header.length + parts.reduce((n, b) => n + fieldCost(b.length), 0))
      assert.deepEqual(packetOf(assertOk(decodeP(spliced))).updates, updates)
    })

    it('handles parts whose length needs a three-byte varint', () => {
      const big = Update.encode(alive('big', { state: new Uint8Array(20_000).fill(1) }))
      assert.ok(big.length >= 16384)
      const header = Packet.encode(packet({ kind: PacketKind.GOSSIP, target: '' }))
      const spliced = spliceRepeated(header, 5, [big, Update.encode(left('z'))])
      assert.deepEqual(Packet.decode(spliced).updates, [alive('big', { state: new Uint8Array(20_000).fill(1) }), left('z')])
    })

    it('a Sync header plus spliced members decodes to the same message as the normal encoding', () => {
      const members = [alive('a'), dead('b'), left('c')]
      const s = sync({ buckets: [1, 2], members, last: true })
      const header = Sync.encode({ ...s, members: [] })
      const spliced = spliceRepeated(header, 6, members.map((u) => Update.encode(u)))
      assert.deepEqual(syncOf(assertOk(decodeS(spliced))), syncOf(assertOk(decodeS(Sync.encode(s)))))
      assert.deepEqual(syncOf(assertOk(decodeS(spliced))), s)
    })

    it('encodeScalars writes a Packet header exactly as protons does', () => {
      const kinds: Array<[PacketKind, number]> = [[PacketKind.PING, 1], [PacketKind.ACK, 2], [PacketKind.NACK, 3], [PacketKind.PING_REQ, 4], [PacketKind.GOSSIP, 5]]
      for (const [kind, number] of kinds) {
        for (const seq of [0, 1, 127, 128, 300, 2 ** 31, 2 ** 32 - 1]) {
          for (const target of ['', 'b', 'nœud-β🖥', 'x'.repeat(128)]) {
            const mine = encodeScalars([[1, MEMBERSHIP_WIRE_VERSION], [2, number], [3, seq], [4, target]])
            assert.deepEqual(mine, Packet.encode({ version: MEMBERSHIP_WIRE_VERSION, kind, seq, target, updates: [] }), `${kind} ${seq} ${target}`)
          }
        }
      }
    })
  })

  describe('bad input: dropped with a reason, never thrown', () => {
    it('oversized: a packet or frame over the bound, whatever its content', () => {
      const valid = Packet.encode(packet({ updates: [alive('a')] }))
      assertOk(decodeP(valid, valid.length))
      assertDropped(decodeP(valid, valid.length - 1), 'oversized')
      assertDropped(decodeP(new Uint8Array(MAX_PACKET + 1)), 'oversized')
      const frame = Sync.encode(sync({ members: [alive('a')] }))
      assertOk(decodeS(frame, frame.length))
      assertDropped(decodeS(frame, frame.length - 1), 'oversized')
      assertDropped(decodeS(new Uint8Array(MAX_FRAME + 1)), 'oversized')
    })

    it('version: anything but the version this code speaks', () => {
      for (const version of [0, 2, 255, 0xffffffff]) {
        assertDropped(decodeP(Packet.encode(packet({ version }))), 'version', `packet v${version}`)
        assertDropped(decodeS(Sync.encode(sync({ version }))), 'version', `sync v${version}`)
      }
      assertDropped(decodeP(new Uint8Array(0)), 'version', 'an empty packet')
      assertDropped(decodeS(new Uint8Array(0)), 'version', 'an empty frame')
    })

    it('unknown-kind: a packet or frame with no kind', () => {
      assertDropped(decodeP(Packet.encode(packet({ kind: PacketKind.PACKET_UNSPECIFIED }))), 'unknown-kind')
      assertDropped(decodeS(Sync.encode(sync({ kind: SyncKind.SYNC_UNSPECIFIED }))), 'unknown-kind')
    })

    it('unknown-kind: a kind number this version does not know (a newer peer\'s)', () => {
      // version 1, kind 6, seq 1, target "b"
      assertDropped(decodeP(Uint8Array.of(0x08, 1, 0x10, 6, 0x18, 1, 0x22, 1, 0x62)), 'unknown-kind', 'PacketKind 6')
      // version 1, kind 4, session 1, last
      assertDropped(decodeS(Uint8Array.of(0x08, 1, 0x10, 4, 0x18, 1, 0x38, 1)), 'unknown-kind', 'SyncKind 4')
    })

    it('invalid-field: an ALIVE whose meta has no role (the grammar says SERVER or CLIENT)', () => {
      assertDropped(metaOf(Packet.encode(packet({ updates: [alive('a', { role: Role.ROLE_UNSPECIFIED })] }))), 'invalid-field')
    })

    // Regression: docs/protocol/membership.md ("Dropped input") lists a wrong wire type under `malformed`; once
    // decodePacket and decodeSync (wire/codec.ts, the `default: r.skip(tag & 7)` arms at lines 145, 181 and 218)
    // switch on the whole tag, so a known field sent with another wire type is skipped as if it were an
    // unknown field: a PING whose seq is length-delimited decodes with seq 0, and a STATE whose buckets are
    // fixed32 decodes with no buckets (so the initiator pushes nothing back).
    it('malformed: a known field with the wrong wire type ', () => {
      // PING, seq (field 3) as length-delimited [0x05], target "b"
      assertDropped(decodeP(Uint8Array.of(0x08, 1, 0x10, 1, 0x1a, 1, 0x05, 0x22, 1, 0x62)), 'malformed', 'seq with wire type 2')
      // GOSSIP, target (field 4) as a varint
      assertDropped(decodeP(Uint8Array.of(0x08, 1, 0x10, 5, 0x20, 7)), 'malformed', 'target with wire type 0')
      // STATE, buckets (field 5) as fixed32
      assertDropped(decodeS(Uint8Array.of(0x08, 0x01, 0x10, 0x02, 0x2d, 1, 0, 0, 0)), 'malformed', 'buckets with wire type 5')
    })

    it('malformed: a truncated field, a wire type that does not exist', () => {
      // a target that claims five bytes and has one
      assertDropped(decodeP(Uint8Array.of(0x08, 1, 0x10, 1, 0x22, 5, 0x61)), 'malformed', 'a target longer than the packet')
      // field 1 with wire type 7 (there is none)
      assertDropped(decodeP(Uint8Array.of(0x0f, 1)), 'malformed', 'wire type 7')
      assertDropped(decodeS(Uint8Array.of(0x08, 1, 0x10, 1, 0x2a, 9, 1)), 'malformed', 'packed buckets cut short')
    })

    it('malformed: invalid UTF-8, an over-long varint, a value over 32 bits', () => {
      assertDropped(decodeP(Uint8Array.of(0x08, 1, 0x10, 1, 0x22, 2, 0xc3, 0x28)), 'malformed', 'invalid UTF-8 in target')
      assertDropped(decodeP(Uint8Array.of(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), 'malformed', 'a ten-byte varint')
      assertDropped(decodeP(Uint8Array.of(0x08, 0x80, 0x80, 0x80, 0x80, 0x10)), 'malformed', 'version = 2^32')
    })

    it('invalid-field: empty node ids', () => {
      assertDropped(decodeP(Packet.encode(packet({ kind: PacketKind.PING_REQ, target: '' }))), 'invalid-field', 'PING_REQ with no target')
      // PING, ACK and NACK name their target by its 32-bit hash; GOSSIP has none.
      for (const kind of [PacketKind.PING, PacketKind.ACK, PacketKind.NACK, PacketKind.GOSSIP]) {
        assertOk(decodeP(Packet.encode(packet({ kind, target: '', targetHash: 0xdeadbeef }))), `${kind} needs no target id`)
      }
      for (const u of [alive(''), suspect(''), dead(''), left('')]) {
        assertDropped(decodeP(Packet.encode(packet({ updates: [u] }))), 'invalid-field', `${u.kind} about no one`)
        assertDropped(decodeS(Sync.encode(sync({ members: [u] }))), 'invalid-field', `${u.kind} about no one, in a frame`)
      }
      assertDropped(decodeP(Packet.encode(packet({ updates: [{ ...alive('a'), kind: UpdateKind.UPDATE_UNSPECIFIED }] }))), 'invalid-field', 'an update with no kind')
    })

    it('invalid-field: ids over 128 UTF-8 bytes, counted in bytes not characters', () => {
      const ok128 = 'x'.repeat(128)
      const long129 = 'x'.repeat(129)
      const euro126 = '€'.repeat(42) // 3 bytes each
      const euro129 = '€'.repeat(43)
      const req = PacketKind.PING_REQ
      assertOk(decodeP(Packet.encode(packet({ kind: req, target: ok128, updates: [suspect(ok128, ok128)] }))))
      assertOk(decodeP(Packet.encode(packet({ kind: req, target: euro126 }))))
      assertDropped(decodeP(Packet.encode(packet({ kind: req, target: long129 }))), 'invalid-field', 'target')
      assertDropped(decodeP(Packet.encode(packet({ kind: req, target: euro129 }))), 'invalid-field', 'multi-byte target')
      assertDropped(decodeP(Packet.encode(packet({ updates: [left(long129)] }))), 'invalid-field', 'update.node')
      assertDropped(decodeP(Packet.encode(packet({ updates: [suspect('a', long129)] }))), 'invalid-field', 'SUSPECT from')
      assertDropped(decodeP(Packet.encode(packet({ updates: [dead('a', euro129)] }))), 'invalid-field', 'DEAD from')
      assertDropped(decodeS(Sync.encode(sync({ members: [alive(euro129)] }))), 'invalid-field', 'a record in a frame')
    })

    it('invalid-field: meta over its bounds (checked when the news is used)', () => {
      const over: Array<[string, Partial<Meta>]> = [
        ['a 65-byte name', { name: 'n'.repeat(65) }],
        ['a 66-byte name of 22 characters', { name: '€'.repeat(22) }],
        ['a 513-byte state', { state: new Uint8Array(513) }],
        ['a meta over 1,024 bytes in all', { name: 'n'.repeat(64), state: new Uint8Array(512), addrs: Array.from({ length: 16 }, (_, i) => `/ip4/10.0.0.${i}/tcp/4001/p2p/x`) }]
      ]
      for (const [what, m] of over) {
        assertDropped(metaOf(Packet.encode(packet({ kind: PacketKind.GOSSIP, target: '', updates: [alive('a', m)] }))), 'invalid-field', what)
        const frame = assertOk(decodeS(Sync.encode(sync({ members: [alive('a', m)] }))), `${what}, in a frame`)
        assertDropped(decodeNewsMeta(frame.members[0], limits), 'invalid-field', `${what}, in a frame`)
      }
      assertOk(metaOf(Packet.encode(packet({ updates: [alive('a', { name: 'n'.repeat(64), state: new Uint8Array(512) })] }))), 'at the bounds')
      const noMeta = alive('a')
      delete noMeta.meta
      assertDropped(decodeP(Packet.encode(packet({ updates: [noMeta] }))), 'invalid-field', 'an ALIVE with no meta')
    })

    it('malformed: meta with more addrs or tags than the schema allows', () => {
      assertDropped(metaOf(Packet.encode(packet({ updates: [alive('a', { addrs: new Array<string>(17).fill('/a') })] }))), 'malformed', '17 addrs')
      assertDropped(metaOf(Packet.encode(packet({ updates: [alive('a', { tags: new Array<string>(33).fill('t') })] }))), 'malformed', '33 tags')
      assertOk(metaOf(Packet.encode(packet({ updates: [alive('a', { addrs: new Array<string>(16).fill('/a'), tags: new Array<string>(32).fill('t') })] }))), '16 addrs, 32 tags')
    })

    it('malformed: more repeated entries than the schema allows', () => {
      const many = (n: number): Update[] => Array.from({ length: n }, (_, i) => left(`n${i}`))
      assertOk(decodeP(Packet.encode(packet({ updates: many(64) }))), '64 updates')
      assertDropped(decodeP(Packet.encode(packet({ updates: many(65) }))), 'malformed', '65 updates')
      assertOk(decodeS(Sync.encode(sync({ members: many(1024) }))), '1,024 members')
      assertDropped(decodeS(Sync.encode(sync({ members: many(1025) }))), 'malformed', '1,025 members')
    })

    it('invalid-field: bucket indexes out of range, and digests of the wrong size', () => {
      assertOk(decodeS(Sync.encode(sync({ buckets: [0, BUCKETS - 1] }))))
      assertDropped(decodeS(Sync.encode(sync({ buckets: [BUCKETS] }))), 'invalid-field', `bucket ${BUCKETS}`)
      assertDropped(decodeS(Sync.encode(sync({ buckets: [3, 0xffffffff] }))), 'invalid-field', 'bucket 2^32-1')
      for (const n of [0, BUCKETS - 1, BUCKETS + 1]) {
        assertDropped(decodeS(Sync.encode(sync({ kind: SyncKind.DIGEST, buckets: new Array<number>(n).fill(1) }))), 'invalid-field', `a digest of ${n} buckets`)
      }
      assertDropped(decodeS(Sync.encode(sync({ kind: SyncKind.DIGEST, buckets: new Array<number>(257).fill(1) }))), 'malformed', 'a digest of 257 buckets')
    })

    it('truncations of a valid packet at every length', () => {
      const updates = [alive('a', { state: new Uint8Array(200) }), suspect('b'), dead('c'), left('d')]
      const p = packet({ kind: PacketKind.PING, seq: 300, target: 'node-b', updates })
      const full = Packet.encode(p)
      // Field boundaries: cuts there leave a shorter but well-formed message.
      const version = Packet.encode({ version: 1, kind: PacketKind.PACKET_UNSPECIFIED, seq: 0, target: '', updates: [] }).length
      const kind = Packet.encode({ ...p, seq: 0, target: '', updates: [] }).length
      const seq = Packet.encode({ ...p, target: '', updates: [] }).length
      const header = Packet.encode({ ...p, updates: [] }).length
      const ends = updates.map((_, i) => Packet.encode({ ...p, updates: updates.slice(0, i + 1) }).length)
      assert.equal(ends[ends.length - 1], full.length)
      for (let cut = 0; cut < full.length; cut++) {
        const d = assertShape(() => decodeP(full.subarray(0, cut)), `cut at ${cut}`)
        if (cut === 0) assertDropped(d, 'version', 'cut at 0')
        else if (cut < version) assertDropped(d, 'malformed', `cut at ${cut}`)
        else if (cut === version) assertDropped(d, 'unknown-kind', `cut at ${cut}`)
        else if (cut < kind) assertDropped(d, 'malformed', `cut at ${cut}`)
        // A PING names its target by hash, so a PING with no target field still decodes (and is misrouted).
        else if (cut === kind || cut === seq) assertOk(d, `cut at ${cut} (no target)`)
        else if (cut < header) assertDropped(d, 'malformed', `cut at ${cut}`)
        else if (cut === header) assert.deepEqual(assertOk(d).updates, [], `cut at ${cut}`)
        else {
          const whole = ends.indexOf(cut)
          if (whole >= 0) assert.deepEqual(packetOf(assertOk(d, `cut at ${cut}`)).updates, updates.slice(0, whole + 1))
          else assertDropped(d, 'malformed', `cut at ${cut}, inside an update`)
        }
      }
    })

    it('truncations of a valid frame at every length', () => {
      const members = [alive('a'), dead('b'), left('c')]
      const full = Sync.encode(sync({ members, last: true }))
      for (let cut = 0; cut < full.length; cut++) {
        const d = assertShape(() => decodeS(full.subarray(0, cut)), `cut at ${cut}`)
        if (d.ok) assert.ok(d.value.members.length < members.length || !d.value.last, `cut at ${cut} decoded as the whole frame`)
      }
    })

    it('fuzz: random bytes and mutated valid messages (seeded, 6,000 cases)', function () {
      this.timeout(30_000)
      const rng = new Xoshiro128(0xdecade)
      const seedsP = [
        Packet.encode(packet({ updates: [alive('a'), suspect('b'), dead('c'), left('d')] })),
        Packet.encode(packet({ kind: PacketKind.GOSSIP, target: '', updates: [alive('nœud', { state: new Uint8Array(150) })] })),
        Packet.encode(packet({ kind: PacketKind.ACK }))
      ]
      const seedsS = [
        Sync.encode(sync({ kind: SyncKind.DIGEST, reply: false, buckets: Array.from({ length: BUCKETS }, (_, i) => i * 77777) })),
        Sync.encode(sync({ buckets: [1, 2, 3], members: [alive('a'), dead('b'), left('c')] }))
      ]
      const outcomes = new Map<string, number>()
      const tally = (d: Decoded<unknown>): void => {
        const k = d.ok ? 'ok' : d.reason
        outcomes.set(k, (outcomes.get(k) ?? 0) + 1)
      }
      for (let i = 0; i < 2000; i++) {
        const bytes = randomBytes(rng, rng.int(i % 10 === 0 ? 2000 : 120))
        const p = assertShape(() => decodeP(bytes), `random packet ${i}`)
        if (p.ok) assertValidPacket(p.value, `random packet ${i}`)
        const s = assertShape(() => decodeS(bytes), `random frame ${i}`)
        if (s.ok) for (const u of s.value.members) assertValidUpdate(u, `random frame ${i}`)
        tally(p)
        tally(s)
      }
      for (let i = 0; i < 2000; i++) {
        const bytes = mutate(rng, seedsP[i % seedsP.length])
        const p = assertShape(() => decodeP(bytes), `mutated packet ${i}`)
        if (p.ok) assertValidPacket(p.value, `mutated packet ${i}`)
        tally(p)
      }
      for (let i = 0; i < 2000; i++) {
        const bytes = mutate(rng, seedsS[i % seedsS.length])
        const s = assertShape(() => decodeS(bytes), `mutated frame ${i}`)
        if (s.ok) {
          for (const u of s.value.members) assertValidUpdate(u, `mutated frame ${i}`)
          for (const b of s.value.buckets) if (s.value.kind === SyncKind.STATE) assert.ok(b < BUCKETS)
        }
        tally(s)
      }
      // The loop must reach past the first check: both accepted and several kinds of dropped inputs occur.
      assert.ok((outcomes.get('ok') ?? 0) > 0, JSON.stringify([...outcomes]))
      for (const reason of ['malformed', 'version', 'invalid-field', 'oversized']) {
        assert.ok((outcomes.get(reason) ?? 0) > 0, `no ${reason} in ${JSON.stringify([...outcomes])}`)
      }
    })
  })
})
