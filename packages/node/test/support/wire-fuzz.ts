import { wire } from '@dreammesh/protocols'
import { encodeLengthPrefixed, LengthPrefixedDecoder } from '../../src/transport/length-prefix.js'
import type { SeededBytes } from './seeded-bytes.js'

/**
 * Bad input for the membership streams (docs/protocol/transport-framing.md, docs/protocol/membership.md),
 * built from a seeded PRNG. Near-valid messages come from the real codec and are then broken in one known
 * way, so the test knows the drop reason each one must be counted under.
 */

/** Why membership must drop a near-valid message; `unknown` for bytes whose fate the test does not predict. */
export type ExpectedReason = 'version' | 'unknown-kind' | 'invalid-field' | 'malformed' | 'unknown-session' | 'unknown'

export interface FuzzMessage {
  payload: Uint8Array
  expect: ExpectedReason
}

/** What a stream of bytes does to a receiver's length-prefixed decoder, predicted with the same decoder. */
export interface StreamPrediction {
  payloads: number
  oversized: boolean
  truncated: boolean
}

export type StreamMode = 'noise' | 'random-payloads' | 'near-valid' | 'truncated' | 'oversized'
export const STREAM_MODES: readonly StreamMode[] = ['noise', 'random-payloads', 'near-valid', 'truncated', 'oversized']

export interface FuzzStream {
  mode: StreamMode
  /** The bytes to write, already cut into chunks at random places (the receiver must reassemble). */
  chunks: Uint8Array[]
  /** Payloads with a predicted drop reason, in the order written. */
  messages: FuzzMessage[]
  prediction: StreamPrediction
}

export type StreamKind = 'packet' | 'frame'

/** protobuf tag byte for a field number and wire type (fields < 16). */
const tag = (field: number, wireType: number): number => (field << 3) | wireType

function varint (n: number): number[] {
  const out: number[] = []
  let v = n >>> 0
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v >>>= 7
  }
  out.push(v)
  return out
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

function ping (rng: SeededBytes, version: number): Uint8Array {
  return wire.Packet.encode({ version, kind: wire.PacketKind.PING, seq: rng.int(0xffff), target: '', updates: [], targetHash: rng.int(0x7fff_ffff) })
}

/** A near-valid membership packet, broken in one known way (or bit-flipped, with an unknown fate). */
export function nearValidPacket (rng: SeededBytes): FuzzMessage {
  switch (rng.int(7)) {
    case 0: return { payload: ping(rng, rng.between(2, 1_000)), expect: 'version' }
    // Version 1, then a kind number no one defined (or 0, unspecified).
    case 1: return { payload: Uint8Array.from([tag(1, 0), 1, tag(2, 0), ...varint(rng.pick([0, 6, 7, 99, 0xffff]))]), expect: 'unknown-kind' }
    // PING_REQ names the member to probe; an empty target is a bad field.
    case 2: return { payload: wire.Packet.encode({ version: 1, kind: wire.PacketKind.PING_REQ, seq: 1, target: '', updates: [], targetHash: 0 }), expect: 'invalid-field' }
    // A SUSPECT update about no one.
    case 3: return {
      payload: wire.Packet.encode({ version: 1, kind: wire.PacketKind.GOSSIP, seq: 0, target: '', targetHash: 0, updates: [{ kind: wire.UpdateKind.SUSPECT, node: '', incarnation: 1, from: '', metaVersion: 0 }] }),
      expect: 'invalid-field'
    }
    // The version field with the wrong wire type.
    case 4: return { payload: Uint8Array.from([tag(1, 2), 1, 0]), expect: 'malformed' }
    // A varint cut off mid-way, after a valid start.
    case 5: return { payload: Uint8Array.from([tag(1, 0), 1, tag(3, 0), 0xff, 0xff]), expect: 'malformed' }
    default: return { payload: rng.flipBits(ping(rng, 1), rng.between(1, 4)), expect: 'unknown' }
  }
}

/** A near-valid anti-entropy frame (localTestConfig: 32 digest buckets), broken in one known way. */
export function nearValidFrame (rng: SeededBytes, digestBuckets: number): FuzzMessage {
  const base = (over: Partial<wire.Sync>): Uint8Array => wire.Sync.encode({
    version: 1, kind: wire.SyncKind.STATE, session: rng.int(0x7fff_ffff), reply: false, buckets: [], members: [], last: true, summary: [], want: [], ...over
  })
  switch (rng.int(7)) {
    case 0: return { payload: base({ version: rng.between(2, 1_000) }), expect: 'version' }
    case 1: return { payload: Uint8Array.from([tag(1, 0), 1, tag(2, 0), ...varint(rng.pick([0, 4, 9, 0xffff]))]), expect: 'unknown-kind' }
    case 2: return { payload: base({ kind: wire.SyncKind.DIGEST, buckets: Array.from({ length: digestBuckets + 1 + rng.int(5) }, () => rng.int(1_000)) }), expect: 'invalid-field' }
    case 3: return { payload: base({ kind: wire.SyncKind.SUMMARY, summary: [rng.int(1_000)] }), expect: 'invalid-field' }
    case 4: return { payload: Uint8Array.from([tag(2, 2), 1, 0]), expect: 'malformed' }
    // A STATE (reply or not) for a session this node never opened.
    case 5: return { payload: base({ reply: rng.int(2) === 1 }), expect: 'unknown-session' }
    default: return { payload: rng.flipBits(base({}), rng.between(1, 4)), expect: 'unknown' }
  }
}

/** Cuts `bytes` into 1 to 8 chunks at random places. */
function chunked (rng: SeededBytes, bytes: Uint8Array): Uint8Array[] {
  const cuts = new Set<number>()
  const n = rng.between(0, 7)
  for (let i = 0; i < n && bytes.byteLength > 1; i++) cuts.add(rng.between(1, bytes.byteLength - 1))
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), bytes.byteLength]
  const out: Uint8Array[] = []
  for (let i = 0; i + 1 < sorted.length; i++) if (sorted[i + 1] > sorted[i]) out.push(bytes.subarray(sorted[i], sorted[i + 1]))
  return out
}

/** What the receiver's decoder (the very same class, with the same bound) makes of these bytes. */
export function predict (bytes: Uint8Array, bound: number): StreamPrediction {
  const decoder = new LengthPrefixedDecoder(bound)
  const { payloads, oversizedLength } = decoder.push(bytes)
  const oversized = oversizedLength !== undefined
  return { payloads: payloads.length, oversized, truncated: !oversized && decoder.pendingBytes > 0 }
}

/**
 * One stream's worth of bad input for `kind`, whose per-message bound is `bound` bytes.
 * - noise: random bytes with no framing at all (mostly a huge first "length");
 * - random-payloads: valid prefixes around random payloads within the bound;
 * - near-valid: valid prefixes around codec-built messages broken in a known way;
 * - truncated: some whole messages, then a prefix announcing more bytes than follow before the close;
 * - oversized: some whole messages, then a prefix over the bound (and some bytes after it).
 */
export function fuzzStream (rng: SeededBytes, kind: StreamKind, bound: number, digestBuckets: number): FuzzStream {
  const mode = rng.pick(STREAM_MODES)
  const messages: FuzzMessage[] = []
  const nearValid = (): FuzzMessage => kind === 'packet' ? nearValidPacket(rng) : nearValidFrame(rng, digestBuckets)
  const framed = (count: number, make: () => FuzzMessage): Uint8Array[] => Array.from({ length: count }, () => {
    const m = make()
    messages.push(m)
    return encodeLengthPrefixed(m.payload)
  })
  let parts: Uint8Array[]
  switch (mode) {
    case 'noise':
      parts = [rng.bytes(rng.between(1, 3 * bound))]
      break
    case 'random-payloads':
      parts = framed(rng.between(5, 40), () => ({ payload: rng.bytes(rng.int(bound + 1)), expect: 'unknown' }))
      break
    case 'near-valid':
      parts = framed(rng.between(5, 40), nearValid)
      break
    case 'truncated': {
      const announced = rng.between(2, bound)
      const prefix = new Uint8Array(4)
      new DataView(prefix.buffer).setUint32(0, announced)
      parts = [...framed(rng.between(0, 5), nearValid), prefix, rng.bytes(rng.int(announced))]
      break
    }
    case 'oversized': {
      const announced = rng.pick([bound + 1, bound + 1 + rng.int(1_000_000), 0xffff_ffff])
      const prefix = new Uint8Array(4)
      new DataView(prefix.buffer).setUint32(0, announced)
      parts = [...framed(rng.between(0, 5), nearValid), prefix, rng.bytes(rng.int(2 * bound))]
      break
    }
  }
  const bytes = concat(parts)
  return { mode, chunks: chunked(rng, bytes), messages, prediction: predict(bytes, bound) }
}
