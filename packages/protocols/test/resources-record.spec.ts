import assert from 'node:assert/strict'
import { lanConfig } from '../src/membership/config.js'
import { Xoshiro128 } from '../src/core/rng.js'
import {
  decodeResourceRecord,
  encodeResourceRecord,
  MAX_CAPABILITY_NAME_BYTES,
  MAX_DISPLAY_NAMES,
  MAX_GPU_NAMES,
  MAX_RESOURCE_RECORD_BYTES,
  RESOURCE_RECORD_VERSION,
  truncateCapabilityName,
  type ResourceDropReason,
  type ResourceRecord
} from '../src/index.js'
import { PowerSource, ResourceRecord as WireRecord } from '../src/wire/resources.js'

const GIB = 1024 ** 3

function record (over: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    seq: 42,
    cpuPercent: 12.3,
    cpuCount: 8,
    load1: 0.52,
    load5: 0.4,
    load15: 0.31,
    memUsedBytes: 3 * GIB,
    memTotalBytes: 16 * GIB,
    diskFreeBytes: 120 * GIB,
    netRxBytesPerSec: 12_345,
    netTxBytesPerSec: 678,
    uptimeSec: 86_400,
    power: { source: 'battery', batteryPercent: 77 },
    capabilities: { displays: [':0'], inputDevices: 2, gpus: ['intel:3e92 i915'] },
    ...over
  }
}

function decodeOk (bytes: Uint8Array): ResourceRecord {
  const d = decodeResourceRecord(bytes)
  if (!d.ok) assert.fail(`expected a record, got ${d.reason}: ${d.detail}`)
  return d.record
}

function wire (over: Partial<WireRecord> = {}): Uint8Array {
  return WireRecord.encode({ version: RESOURCE_RECORD_VERSION, seq: 1, cpuCount: 1, uptimeSec: 1, power: PowerSource.AC, ...over })
}

describe('resource record codec', () => {
  it('round-trips a typical record, in friendly units', () => {
    const r = record()
    assert.deepEqual(decodeOk(encodeResourceRecord(r)), r)
  })

  it('keeps unknown measurements unknown (absent), not zero', () => {
    const r = record({ cpuPercent: undefined, diskFreeBytes: undefined, netRxBytesPerSec: undefined, netTxBytesPerSec: undefined, power: { source: 'unknown' } })
    const back = decodeOk(encodeResourceRecord(r))
    assert.equal('cpuPercent' in back, false)
    assert.equal('diskFreeBytes' in back, false)
    assert.equal(back.power.batteryPercent, undefined)
    // a full disk is a value, not unknown
    assert.equal(decodeOk(encodeResourceRecord(record({ diskFreeBytes: 0 }))).diskFreeBytes, 0)
  })

  it('rounds to the wire resolution: cpu to 0.1 %, load to 0.01', () => {
    const back = decodeOk(encodeResourceRecord(record({ cpuPercent: 33.333, load1: 1.23456 })))
    assert.equal(back.cpuPercent, 33.3)
    assert.equal(back.load1, 1.23)
  })

  it('clamps out-of-range values instead of refusing them', () => {
    const back = decodeOk(encodeResourceRecord(record({
      cpuPercent: 250,
      load1: -1,
      memUsedBytes: 2 ** 60,
      uptimeSec: 2 ** 40,
      seq: 2 ** 32 + 5,
      power: { source: 'ac', batteryPercent: 130 },
      cpuCount: Number.NaN,
      netRxBytesPerSec: Number.NaN,
      netTxBytesPerSec: Infinity
    })))
    assert.equal(back.cpuPercent, 100)
    assert.equal(back.load1, 0)
    assert.equal(back.memUsedBytes, Number.MAX_SAFE_INTEGER)
    assert.equal(back.uptimeSec, 0xffff_ffff)
    assert.equal(back.seq, 5)
    assert.equal(back.power.batteryPercent, 100)
    assert.equal(back.cpuCount, 0)
    assert.equal(back.netRxBytesPerSec, undefined)
    assert.equal(back.netTxBytesPerSec, Number.MAX_SAFE_INTEGER)
  })

  it('cuts lists and names to their bounds, names on a character boundary', () => {
    const long = 'é'.repeat(40) // 80 bytes of 2-byte characters
    const back = decodeOk(encodeResourceRecord(record({
      capabilities: { displays: Array.from({ length: 10 }, (_, i) => `:${i}`), inputDevices: 5, gpus: Array(9).fill(long) }
    })))
    assert.equal(back.capabilities.displays.length, MAX_DISPLAY_NAMES)
    assert.equal(back.capabilities.gpus.length, MAX_GPU_NAMES)
    assert.equal(back.capabilities.gpus[0], 'é'.repeat(MAX_CAPABILITY_NAME_BYTES / 2))
    assert.equal(truncateCapabilityName('a' + '€'.repeat(20)), 'a' + '€'.repeat(10)) // 31 bytes, not a broken 32nd
  })

  it('a maximal record stays under MAX_RESOURCE_RECORD_BYTES, and that under maxStateBytes', () => {
    const name = 'x'.repeat(MAX_CAPABILITY_NAME_BYTES * 3)
    const max = record({
      seq: 0xffff_ffff,
      cpuPercent: 100,
      cpuCount: 1e9,
      load1: 1e12,
      load5: 1e12,
      load15: 1e12,
      memUsedBytes: 2 ** 62,
      memTotalBytes: 2 ** 62,
      diskFreeBytes: 2 ** 62,
      netRxBytesPerSec: 2 ** 62,
      netTxBytesPerSec: 2 ** 62,
      uptimeSec: 2 ** 62,
      power: { source: 'battery', batteryPercent: 100 },
      capabilities: { displays: Array(100).fill(name), inputDevices: 1e9, gpus: Array(100).fill(name) }
    })
    const bytes = encodeResourceRecord(max)
    assert.ok(bytes.length <= MAX_RESOURCE_RECORD_BYTES, `${bytes.length} bytes`)
    assert.ok(MAX_RESOURCE_RECORD_BYTES <= lanConfig().maxStateBytes)
    decodeOk(bytes)
  })

  describe('decoding a peer\'s bytes', () => {
    const refused = (bytes: Uint8Array, reason: ResourceDropReason): void => {
      const d = decodeResourceRecord(bytes)
      assert.equal(d.ok, false)
      if (!d.ok) {
        assert.equal(d.reason, reason, d.detail)
        assert.ok(d.detail.length > 0)
      }
    }

    it('empty bytes: no record yet', () => {
      const d = decodeResourceRecord(new Uint8Array(0))
      assert.deepEqual(d, { ok: false, reason: 'empty', detail: 'no record yet' })
    })

    it('refuses another version, oversized, malformed and out-of-range records with a reason', () => {
      refused(wire({ version: 2 }), 'version')
      refused(wire({ version: 0 }), 'version')
      refused(new Uint8Array(MAX_RESOURCE_RECORD_BYTES + 1), 'oversized')
      refused(Uint8Array.of(0x08), 'malformed') // a tag with no value
      refused(Uint8Array.of(0x0a, 0x05, 0x01), 'malformed') // a length past the end
      refused(wire({ cpuPermille: 1001 }), 'invalid-field')
      refused(wire({ batteryPercent: 101 }), 'invalid-field')
      refused(wire({ capabilities: { displays: [], inputDevices: 0, gpus: ['y'.repeat(MAX_CAPABILITY_NAME_BYTES + 1)] } }), 'invalid-field')
      refused(wire({ capabilities: { displays: Array(MAX_DISPLAY_NAMES + 1).fill(':0'), inputDevices: 0, gpus: [] } }), 'malformed')
      // memTotalBytes (field 9) = 2^60: past Number.MAX_SAFE_INTEGER, which no encoder of ours writes
      const unsafe = Uint8Array.from([...wire(), 9 << 3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10])
      refused(unsafe, 'malformed')
    })

    it('an unknown power value is malformed, not a crash', () => {
      const bytes = wire()
      const patched = Uint8Array.from([...bytes, 14 << 3, 9]) // field 14 (power) = 9: no such source
      refused(patched, 'malformed')
    })

    it('fuzz: random bytes and mutated records never throw (seeded, 20,000 cases)', () => {
      const seed = 0x5eed
      const rng = new Xoshiro128(seed)
      const valid = encodeResourceRecord(record({ capabilities: { displays: [':0', ':1'], inputDevices: 3, gpus: ['amd:73bf amdgpu', 'nvidia:2206'] } }))
      const reasons = new Map<string, number>()
      for (let i = 0; i < 20_000; i++) {
        let bytes: Uint8Array
        if (i % 2 === 0) {
          bytes = new Uint8Array(rng.int(MAX_RESOURCE_RECORD_BYTES + 40))
          for (let j = 0; j < bytes.length; j++) bytes[j] = rng.int(256)
        } else {
          bytes = valid.slice(0, rng.int(valid.length + 1))
          const flips = 1 + rng.int(4)
          for (let f = 0; f < flips && bytes.length > 0; f++) bytes[rng.int(bytes.length)] ^= 1 << rng.int(8)
        }
        let d: ReturnType<typeof decodeResourceRecord>
        try {
          d = decodeResourceRecord(bytes)
        } catch (err) {
          assert.fail(`decodeResourceRecord threw on case ${i} (reproduce with seed ${seed}): ${String(err)}`)
        }
        const key = d.ok ? 'ok' : d.reason
        reasons.set(key, (reasons.get(key) ?? 0) + 1)
        if (d.ok) {
          // whatever decodes is within bounds and encodes back within bounds
          assert.ok(d.record.capabilities.displays.length <= MAX_DISPLAY_NAMES)
          assert.ok(d.record.capabilities.gpus.length <= MAX_GPU_NAMES)
          assert.ok(d.record.cpuPercent === undefined || (d.record.cpuPercent >= 0 && d.record.cpuPercent <= 100))
          assert.ok(encodeResourceRecord(d.record).length <= MAX_RESOURCE_RECORD_BYTES)
        }
      }
      assert.ok((reasons.get('malformed') ?? 0) > 0)
      assert.ok((reasons.get('ok') ?? 0) > 0, JSON.stringify([...reasons]))
    })
  })
})
