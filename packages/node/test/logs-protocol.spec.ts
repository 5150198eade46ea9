import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RotatingLog, type DreamHost } from '../src/index.js'
import { LogService, LOGS_PROTOCOL, logPathOf, MAX_FOLLOWERS_PER_PEER, type LogItem } from '../src/logs/index.js'
import { encodeLengthPrefixed } from '../src/transport/length-prefix.js'
import { createMemoryHosts } from './support/memory-hosts.js'
import { writeRawStream } from './support/raw-stream.js'
import { waitUntil } from './wait.js'

/**
 * The logs protocol over real libp2p (two hosts over @libp2p/memory): the tail of a log file another node
 * keeps, then new lines as a live log grows; bad requests refused and counted while the server keeps
 * serving; followers bounded per peer.
 */

const RUN = `dreammesh-logs-${process.pid}-${Date.now().toString(36)}`

describe('logs over libp2p (LogService)', function () {
  this.timeout(30_000)
  let root: string
  const hosts: DreamHost[] = []
  const services: LogService[] = []
  const drops: string[] = []
  let live: RotatingLog

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dreammesh-logs-'))
    hosts.push(...await createMemoryHosts(2, RUN))
    await mkdir(join(root, 'logs'))
    await writeFile(logPathOf(root, 'old', 0, 'stdout'), 'one\ntwo\nthree\n')
    live = new RotatingLog({ path: logPathOf(root, 'web', 0, 'stdout') })
    for (let i = 0; i < 2; i++) {
      const s = new LogService({
        node: hosts[i],
        dataDir: i === 0 ? root : join(root, 'other'),
        liveLog: (w, _i, stream) => i === 0 && w === 'web' && stream === 'stdout' ? live : undefined,
        onDrop: reason => { if (i === 0) drops.push(reason) }
      })
      await s.start()
      services.push(s)
    }
  })

  after(async () => {
    live?.close()
    for (const s of services) await s.stop()
    for (const h of hosts) await h.stop()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  const peer0 = (): string => hosts[0].peerId.toString()
  async function collect (items: AsyncIterable<LogItem>, until?: (got: LogItem[]) => boolean): Promise<LogItem[]> {
    const got: LogItem[] = []
    for await (const item of items) {
      got.push(item)
      if (until?.(got) === true) break
    }
    return got
  }

  it('reads the tail of an ended instance\'s log kept on another node', async () => {
    const got = await collect(services[1].read(peer0(), { workload: 'old', index: 0, streams: ['stdout'], tail: 2, follow: false }, new AbortController().signal))
    assert.deepEqual(got, [{ stream: 'stdout', line: 'two' }, { stream: 'stdout', line: 'three' }])
  })

  it('follows a live log: lines written after the request arrive, in order', async () => {
    const stop = new AbortController()
    const writer = setInterval(() => { live.write(Buffer.from(`tick ${Date.now()}\n`)) }, 20)
    try {
      const got = await collect(services[1].read(peer0(), { workload: 'web', index: 0, streams: ['stdout'], tail: 0, follow: true }, stop.signal), g => g.length >= 5)
      assert.equal(got.length, 5)
      assert.ok(got.every(i => 'line' in i && i.line.startsWith('tick ')))
    } finally {
      clearInterval(writer)
      stop.abort()
    }
  })

  it('garbage, an oversized request and a bad field are refused and counted; the server keeps serving', async () => {
    const before = drops.length
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [new Uint8Array([0, 0, 0, 3, 1, 2, 3])])
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [new Uint8Array([0xff, 0xff, 0xff, 0xff])])
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify({ v: 1, workload: '../etc', index: 0 })))])
    await waitUntil('three drops counted', () => drops.length >= before + 3, 5_000)
    assert.deepEqual(drops.slice(before).sort(), ['logs-bad-request', 'logs-malformed', 'logs-oversized'])
    const still = await collect(services[1].read(peer0(), { workload: 'old', index: 0, streams: ['stdout'], tail: 1, follow: false }, new AbortController().signal))
    assert.deepEqual(still, [{ stream: 'stdout', line: 'three' }])
  })

  it(`a peer gets at most ${MAX_FOLLOWERS_PER_PEER} followers at once`, async () => {
    const stop = new AbortController()
    const first = Array.from({ length: MAX_FOLLOWERS_PER_PEER }, () => services[1].read(peer0(), { workload: 'web', index: 0, streams: ['stdout'], tail: 0, follow: true }, stop.signal))
    const pumps = first.map(async it => await collect(it).catch(() => []))
    try {
      await waitUntil('the first followers are served', () => services[0].followerCount === MAX_FOLLOWERS_PER_PEER, 10_000)
      await assert.rejects(collect(services[1].read(peer0(), { workload: 'web', index: 0, streams: ['stdout'], tail: 0, follow: true }, stop.signal)), /too-many-followers/)
      assert.ok(drops.includes('logs-too-many-followers'))
    } finally {
      stop.abort()
      await Promise.all(pumps)
    }
  })
})
