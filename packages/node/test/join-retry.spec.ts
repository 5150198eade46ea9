import assert from 'node:assert/strict'
import { JoinRetry, MAX_JOIN_RETRY_MS } from '../src/node/join-retry.js'

/** Peers found by mDNS are joined through again, at doubling intervals, until they are members. */
describe('JoinRetry', () => {
  let now = 0
  let joins: string[] = []
  let members = new Set<string>()
  let retry: JoinRetry
  beforeEach(() => {
    now = 0
    joins = []
    members = new Set()
    retry = new JoinRetry(id => { joins.push(`${now}:${id}`) }, () => now)
  })
  const tickAt = (ms: number): void => { now = ms; retry.tick(id => members.has(id)) }

  it('joins again at 2, 4, 8 ... s after the discovery, capped, until the peer is a member', () => {
    retry.discovered('p')
    for (let t = 0; t <= 120_000; t += 1_000) tickAt(t)
    const times = joins.map(j => Number(j.split(':')[0]))
    assert.deepEqual(times.slice(0, 4), [2_000, 6_000, 14_000, 30_000])
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] <= MAX_JOIN_RETRY_MS)
    members.add('p')
    const before = joins.length
    tickAt(200_000)
    tickAt(300_000)
    assert.equal(joins.length, before, 'a member is not joined through again')
    assert.equal(retry.size, 0)
  })

  it('a peer discovered again starts its backoff over', () => {
    retry.discovered('p')
    tickAt(2_000)
    tickAt(6_000)
    retry.discovered('p')
    tickAt(7_000)
    tickAt(8_000)
    assert.deepEqual(joins, ['2000:p', '6000:p', '8000:p'])
  })
})
