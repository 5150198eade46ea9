import assert from 'node:assert/strict'
import { encodeLengthPrefixed, LengthPrefixedDecoder, PREFIX_BYTES } from '../src/transport/length-prefix.js'

function wireOf (...payloads: Uint8Array[]): Uint8Array {
  const parts = payloads.map(encodeLengthPrefixed)
  const wire = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0))
  let offset = 0
  for (const p of parts) { wire.set(p, offset); offset += p.byteLength }
  return wire
}

/** Feeds `wire` to a decoder in chunks of `chunkBytes` and collects everything it yields. */
function decodeInChunks (wire: Uint8Array, chunkBytes: number, maxPayloadBytes: number): { payloads: Uint8Array[], oversizedLength?: number } {
  const decoder = new LengthPrefixedDecoder(maxPayloadBytes)
  const payloads: Uint8Array[] = []
  for (let offset = 0; offset < wire.byteLength; offset += chunkBytes) {
    const result = decoder.push(wire.subarray(offset, offset + chunkBytes))
    payloads.push(...result.payloads)
    if (result.oversizedLength !== undefined) return { payloads, oversizedLength: result.oversizedLength }
  }
  return { payloads }
}

describe('length-prefixed framing', () => {
  const messages = [new Uint8Array(0), Uint8Array.from([1, 2, 3]), new Uint8Array(1_000).fill(7), Uint8Array.from([9])]

  for (const chunkBytes of [1, 3, PREFIX_BYTES, 5, 999, 100_000]) {
    it(`reassembles messages split into ${chunkBytes}-byte chunks`, () => {
      const { payloads, oversizedLength } = decodeInChunks(wireOf(...messages), chunkBytes, 1_000)
      assert.equal(oversizedLength, undefined)
      assert.deepEqual(payloads, messages)
    })
  }

  it('stops at a prefix over the bound, before buffering its payload', () => {
    const { payloads, oversizedLength } = decodeInChunks(wireOf(Uint8Array.from([1]), new Uint8Array(1_001), Uint8Array.from([2])), 7, 1_000)
    assert.deepEqual(payloads, [Uint8Array.from([1])])
    assert.equal(oversizedLength, 1_001)
  })

  it('ignores everything after an oversized prefix', () => {
    const decoder = new LengthPrefixedDecoder(10)
    assert.equal(decoder.push(encodeLengthPrefixed(new Uint8Array(11))).oversizedLength, 11)
    assert.deepEqual(decoder.push(encodeLengthPrefixed(Uint8Array.from([1]))), { payloads: [] })
  })

  it('reports a message cut short as pending bytes', () => {
    const decoder = new LengthPrefixedDecoder(100)
    decoder.push(encodeLengthPrefixed(new Uint8Array(50)).subarray(0, 20))
    assert.equal(decoder.pendingBytes, 20)
  })

  it('copies: changing the sent buffer or the received chunk afterwards changes nothing', () => {
    const payload = Uint8Array.from([1, 2, 3])
    const wire = encodeLengthPrefixed(payload)
    payload[0] = 99
    const decoded = new LengthPrefixedDecoder(10).push(wire).payloads[0]
    wire.fill(0)
    assert.deepEqual(decoded, Uint8Array.from([1, 2, 3]))
  })
})
