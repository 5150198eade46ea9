import assert from 'node:assert/strict'
import { publishReason, resourcePolicy, shouldPublish, silenceMs, type PublishReason, type ResourceRecord } from '../src/index.js'

const GIB = 1024 ** 3
const policy = resourcePolicy()

function record (over: Partial<ResourceRecord> = {}): ResourceRecord {
  return {
    seq: 1,
    cpuPercent: 20,
    cpuCount: 4,
    load1: 1,
    load5: 1,
    load15: 1,
    memUsedBytes: 4 * GIB,
    memTotalBytes: 16 * GIB,
    diskFreeBytes: 50 * GIB,
    netRxBytesPerSec: 1_000,
    netTxBytesPerSec: 1_000,
    uptimeSec: 100,
    power: { source: 'ac' },
    capabilities: { displays: [':0'], inputDevices: 2, gpus: ['intel:3e92 i915'] },
    ...over
  }
}

describe('resource dissemination policy', () => {
  const last = record()
  const sentMs = 1_000
  // Past the minimum interval, well before the silence limit.
  const nowMs = sentMs + policy.minIntervalMs

  const table: Array<[string, Partial<ResourceRecord>, PublishReason | undefined]> = [
    ['nothing moved', {}, undefined],
    ['small cpu drift', { cpuPercent: 20 + policy.cpuDeltaPercent - 0.1 }, undefined],
    ['cpu moved up', { cpuPercent: 20 + policy.cpuDeltaPercent }, 'cpu'],
    ['cpu moved down', { cpuPercent: 20 - policy.cpuDeltaPercent }, 'cpu'],
    ['cpu became unknown', { cpuPercent: undefined }, 'cpu'],
    ['memory moved 5 % of total', { memUsedBytes: 4 * GIB + 0.05 * 16 * GIB }, 'memory'],
    ['memory moved 4 % of total', { memUsedBytes: 4 * GIB + 0.04 * 16 * GIB }, undefined],
    ['load5 moved two cores of four', { load5: 3 }, 'load'],
    ['load5 moved one core of four', { load5: 2 }, undefined],
    ['load1 alone swung two cores of four', { load1: 3 }, undefined],
    ['disk drifted within a level', { diskFreeBytes: 30 * GIB }, undefined],
    ['disk crossed below 20 GiB', { diskFreeBytes: 19 * GIB }, 'disk'],
    ['disk became unreadable', { diskFreeBytes: undefined }, 'disk'],
    ['a transfer started', { netRxBytesPerSec: 20_000_000 }, 'network'],
    ['an upload started', { netTxBytesPerSec: 20_000_000 }, 'network'],
    ['battery percentage only', { power: { source: 'ac', batteryPercent: 50 } }, undefined],
    ['unplugged', { power: { source: 'battery', batteryPercent: 99 } }, 'power'],
    ['a display appeared', { capabilities: { displays: [':0', ':1'], inputDevices: 2, gpus: ['intel:3e92 i915'] } }, 'capabilities'],
    ['a mouse was plugged in', { capabilities: { displays: [':0'], inputDevices: 3, gpus: ['intel:3e92 i915'] } }, 'capabilities'],
    ['uptime and seq alone', { uptimeSec: 200, seq: 9 }, undefined]
  ]
  for (const [name, change, expected] of table) {
    it(`${name}: ${expected ?? 'stay quiet'}`, () => {
      assert.equal(publishReason(last, sentMs, record(change), nowMs, policy), expected)
      assert.equal(shouldPublish(last, sentMs, record(change), nowMs, policy), expected !== undefined)
    })
  }

  it('publishes the first record at once', () => {
    assert.equal(publishReason(undefined, 0, record(), 0, policy), 'first')
  })

  it('publishes at least every maxSilenceMs, even when nothing moved', () => {
    assert.equal(publishReason(last, sentMs, record(), sentMs + policy.maxSilenceMs - 1, policy), undefined)
    assert.equal(publishReason(last, sentMs, record(), sentMs + policy.maxSilenceMs, policy), 'silence')
  })

  it('stretches the silence limit with the cluster: 60 s up to 10 members, 6 s a member beyond', () => {
    assert.equal(silenceMs(policy, 1), 60_000)
    assert.equal(silenceMs(policy, 10), 60_000)
    assert.equal(silenceMs(policy, 20), 120_000)
    assert.equal(publishReason(last, sentMs, record(), sentMs + 60_000, policy, 20), undefined)
    assert.equal(publishReason(last, sentMs, record(), sentMs + 120_000, policy, 20), 'silence')
    // News is news whatever the size.
    assert.equal(publishReason(last, sentMs, record({ cpuPercent: 90 }), nowMs, policy, 20), 'cpu')
  })

  it('holds back even big news for minIntervalMs, so a flapping value cannot flood the cluster', () => {
    const busy = record({ cpuPercent: 95, power: { source: 'battery', batteryPercent: 10 } })
    assert.equal(publishReason(last, sentMs, busy, sentMs + policy.minIntervalMs - 1, policy), undefined)
    assert.equal(publishReason(last, sentMs, busy, sentMs + policy.minIntervalMs, policy), 'power')
  })

  it('scales the load threshold with the core count', () => {
    const big = record({ cpuCount: 64, load5: 10 })
    assert.equal(publishReason(big, sentMs, record({ cpuCount: 64, load5: 41 }), nowMs, policy), undefined)
    assert.equal(publishReason(big, sentMs, record({ cpuCount: 64, load5: 42 }), nowMs, policy), 'load')
  })

  it('the preset names its fields', () => {
    assert.deepEqual(Object.keys(policy).sort(), [
      'cpuDeltaPercent', 'cpuSmoothingMs', 'diskFreeLevelsBytes', 'loadDeltaPerCore', 'maxSilenceMs', 'memDeltaPercent', 'minIntervalMs', 'netDeltaBytesPerSec',
      'silencePerMemberMs'
    ])
    assert.equal(policy.maxSilenceMs, 60_000)
  })
})
