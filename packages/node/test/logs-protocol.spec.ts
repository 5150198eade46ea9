import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWorkloadSupervisor, FINAL_STATES, RotatingLog, type DreamHost, type WorkloadSupervisor } from '../src/index.js'
import {
  LogService, LOGS_PROTOCOL, logPathOf, LogsRefusedError, MAX_FOLLOWERS_PER_PEER, MAX_LOGS_REQUEST_BYTES, openInstanceLogs,
  type LogItem, type LogLine, type LogsRequest
} from '../src/logs/index.js'
import type { LogStream } from '../src/workloads/index.js'
import { encodeLengthPrefixed } from '../src/transport/length-prefix.js'
import { createMemoryHosts } from './support/memory-hosts.js'
import { writeRawStream } from './support/raw-stream.js'
import { waitUntil } from './wait.js'

/**
 * The logs protocol over real libp2p (two hosts over @libp2p/memory, with pnet, noise and yamux), served from
 * a real supervisor's processes: the tail of an instance that runs on the other node, new lines as it prints
 * them, the logs of an instance that ended, an unknown instance refused; bad requests refused and counted
 * while the server keeps serving; followers bounded and freed when a reader stops; and a reader that does not
 * read makes the server skip lines rather than either side buffer them.
 */

const RUN = `dreammesh-logs-${process.pid}-${Date.now().toString(36)}`
/** Prints a numbered line on stdout and on stderr every 20 ms, forever. */
const TALKER = ['/bin/sh', '-c', 'i=0; while :; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.02; done']
const RUNNING = new Set(['starting', 'running', 'unhealthy', 'stopping'])
/** How long the server gives a peer to send its request, here; short, as one test waits it out. */
const REQUEST_TIMEOUT_MS = 300

describe('logs over libp2p (LogService) with a real supervisor', function () {
  this.timeout(60_000)
  let root: string
  let supervisor: WorkloadSupervisor
  let flood: RotatingLog
  const hosts: DreamHost[] = []
  const services: LogService[] = []
  const drops: string[] = []

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dreammesh-logs-'))
    hosts.push(...await createMemoryHosts(2, RUN))
    supervisor = await createWorkloadSupervisor({ agentId: `logs-test-${process.pid}`, dataDir: join(root, 'zero'), bubblewrap: { missing: 'not used here' } })
    await mkdir(join(root, 'zero', 'logs'), { recursive: true })
    // A log this test writes itself, as fast as it likes: for the slow-reader test.
    flood = new RotatingLog({ path: logPathOf(join(root, 'zero'), 'flood', 0, 'stdout') })
    const liveLog = (workload: string, index: number, stream: LogStream): RotatingLog | undefined => {
      if (workload === 'flood') return stream === 'stdout' ? flood : undefined
      return RUNNING.has(supervisor.status(workload, index)?.state ?? 'none') ? supervisor.log(workload, index, stream) : undefined
    }
    for (const [i, host] of hosts.entries()) {
      const s = new LogService({
        node: host,
        dataDir: join(root, i === 0 ? 'zero' : 'one'),
        liveLog: i === 0 ? liveLog : () => undefined,
        onDrop: reason => { if (i === 0) drops.push(reason) },
        requestTimeoutMs: REQUEST_TIMEOUT_MS
      })
      await s.start()
      services.push(s)
    }
    await supervisor.start({ workload: 'talker', index: 0, epoch: 1, command: TALKER[0], args: TALKER.slice(1) })
    await supervisor.start({ workload: 'once', index: 0, epoch: 1, command: '/bin/sh', args: ['-c', 'echo one; echo two; echo three; echo oops >&2'], restart: { mode: 'never' } })
    await waitUntil('once has exited', () => FINAL_STATES.has(supervisor.status('once', 0)?.state ?? 'starting'))
    await waitUntil('talker has printed 10 lines', () => (supervisor.log('talker', 0, 'stdout')?.tail(10).length ?? 0) >= 10)
  })

  after(async () => {
    flood?.close()
    await supervisor?.close()
    for (const s of services) await s.stop()
    for (const h of hosts) await h.stop()
    if (root !== undefined) await rm(root, { recursive: true, force: true })
  })

  const peer0 = (): string => hosts[0].peerId.toString()
  const ask = (over: Partial<LogsRequest> & { workload: string }): LogsRequest => ({ index: 0, streams: ['stdout'], tail: 0, follow: false, ...over })
  const lines = (items: LogItem[]): LogLine[] => items.filter((i): i is LogLine => 'line' in i)
  const numbers = (items: LogItem[]): number[] => lines(items).map(i => Number(i.line.split(' ')[1]))
  async function collect (items: AsyncIterable<LogItem>, until?: (got: LogItem[]) => boolean): Promise<LogItem[]> {
    const got: LogItem[] = []
    for await (const item of items) {
      got.push(item)
      if (until?.(got) === true) break
    }
    return got
  }
  const consecutive = (ns: number[]): boolean => ns.every((n, i) => i === 0 || n === ns[i - 1] + 1)

  it('reads the tail of a running instance from the other node, each line tagged with its stream', async () => {
    const reading = await services[1].open(peer0(), ask({ workload: 'talker', streams: ['stdout', 'stderr'], tail: 3 }), new AbortController().signal)
    assert.equal(reading.running, true)
    const got = lines(await collect(reading.items))
    assert.equal(got.length, 6)
    assert.deepEqual(got.map(l => l.stream), ['stdout', 'stdout', 'stdout', 'stderr', 'stderr', 'stderr'])
    assert.ok(got.slice(0, 3).every(l => /^out \d+$/.test(l.line)) && got.slice(3).every(l => /^err \d+$/.test(l.line)), JSON.stringify(got))
    assert.ok(consecutive(numbers(got.slice(0, 3))), JSON.stringify(got))
  })

  it('follows: lines the process prints after the request arrive, in order, none lost', async () => {
    const stop = new AbortController()
    const reading = await services[1].open(peer0(), ask({ workload: 'talker', tail: 0, follow: true }), stop.signal)
    const got = await collect(reading.items, g => g.length >= 10)
    stop.abort()
    assert.equal(got.length, 10)
    assert.ok(consecutive(numbers(got)), `consecutive: ${numbers(got).join(',')}`)
  })

  it('the same read on the node itself (no dial) gives the same lines', async () => {
    const reading = await services[0].open(peer0(), ask({ workload: 'once', streams: ['stdout', 'stderr'], tail: 2 }), new AbortController().signal)
    assert.equal(reading.running, false)
    assert.deepEqual(await collect(reading.items), [{ stream: 'stdout', line: 'two' }, { stream: 'stdout', line: 'three' }, { stream: 'stderr', line: 'oops' }])
  })

  it('an ended instance\'s logs are read from disk, also once the supervisor forgot it; a follow of it just ends', async () => {
    supervisor.prune()
    assert.equal(supervisor.status('once', 0), undefined)
    const reading = await services[1].open(peer0(), ask({ workload: 'once', tail: 10, follow: true }), new AbortController().signal)
    assert.equal(reading.running, false)
    assert.deepEqual(lines(await collect(reading.items)).map(l => l.line), ['one', 'two', 'three'])
  })

  it('an unknown instance gets a clear error, remotely and locally', async () => {
    for (const peer of [peer0(), hosts[1].peerId.toString()]) {
      await assert.rejects(services[1].open(peer, ask({ workload: 'talker', index: 7 }), new AbortController().signal),
        (err: Error) => err instanceof LogsRefusedError && err.code === 'unknown-instance' && /keeps no logs of talker#7/.test(err.message))
    }
  })

  it('finds the node that keeps the logs when the board does not know it, and says whom it asked when none does', async () => {
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const locator = {
      service: services[1],
      instances: [],
      selfId: hosts[1].peerId.toString(),
      members: [
        { id: hosts[1].peerId.toString(), state: 'alive', meta: { name: 'one' } },
        { id: peer0(), state: 'alive', meta: { name: 'zero' } },
        { id: stranger, state: 'alive', meta: { name: 'stranger' } },
        { id: 'gone', state: 'dead', meta: { name: 'gone' } }
      ]
    }
    const found = await openInstanceLogs(locator, ask({ workload: 'once', tail: 1 }), undefined, new AbortController().signal)
    assert.equal(found.nodeName, 'zero')
    assert.deepEqual(await collect(found.lines), [{ stream: 'stdout', line: 'three' }])
    await assert.rejects(openInstanceLogs(locator, ask({ workload: 'nothing' }), undefined, new AbortController().signal),
      /no node keeps logs of nothing#0 \(asked one, zero\); no answer from stranger/)
    await assert.rejects(openInstanceLogs(locator, ask({ workload: 'once' }), hosts[1].peerId.toString(), new AbortController().signal),
      /one keeps no logs of once#0/)
  })

  it('garbage, oversized, bad, truncated and silent requests are refused and counted; the server keeps serving', async () => {
    const before = drops.length
    const json = (value: unknown): Uint8Array => encodeLengthPrefixed(new TextEncoder().encode(JSON.stringify(value)))
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [new Uint8Array([0, 0, 0, 3, 1, 2, 3])])
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [new Uint8Array([0xff, 0xff, 0xff, 0xff])])
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [json({ v: 1, workload: 'x'.repeat(MAX_LOGS_REQUEST_BYTES), index: 0 })])
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [json({ v: 1, workload: '../etc', index: 0 })])
    await writeRawStream(hosts[1], hosts[0].peerId, LOGS_PROTOCOL, [new Uint8Array([0, 0, 0, 50, 123, 34])])
    // A stream that sends nothing and stays open: reset after the request timeout.
    const silent = await hosts[1].dialProtocol(hosts[0].peerId, LOGS_PROTOCOL)
    const reset = new Promise<boolean>(resolve => { silent.addEventListener('close', e => { resolve((e as Event & { error?: Error }).error !== undefined) }, { once: true }) })
    const budget = new Promise<'no reset'>(resolve => { setTimeout(() => { resolve('no reset') }, REQUEST_TIMEOUT_MS + 10_000).unref() })
    assert.equal(await Promise.race([reset, budget]), true, 'the silent stream was reset')
    await waitUntil('six drops counted', () => drops.length >= before + 6)
    assert.deepEqual(drops.slice(before).sort(), ['logs-bad-request', 'logs-malformed', 'logs-oversized', 'logs-oversized', 'logs-timeout', 'logs-truncated'])
    const still = await collect(services[1].read(peer0(), ask({ workload: 'once', tail: 1 }), new AbortController().signal))
    assert.deepEqual(still, [{ stream: 'stdout', line: 'three' }])
  })

  it('stopping a follow frees its slot on the serving node: by abort, and by leaving the loop', async () => {
    assert.equal(services[0].followerCount, 0)
    const stop = new AbortController()
    const reading = await services[1].open(peer0(), ask({ workload: 'talker', follow: true }), stop.signal)
    const pump = collect(reading.items)
    await waitUntil('one follower served', () => services[0].followerCount === 1)
    stop.abort()
    await pump
    await waitUntil('the follower is freed after an abort', () => services[0].followerCount === 0)
    await collect(services[1].read(peer0(), ask({ workload: 'talker', follow: true }), new AbortController().signal), g => g.length >= 2)
    await waitUntil('the follower is freed after a break', () => services[0].followerCount === 0)
  })

  it(`a peer gets at most ${MAX_FOLLOWERS_PER_PEER} followers at once; refused ones are counted`, async () => {
    const stop = new AbortController()
    const first = await Promise.all(Array.from({ length: MAX_FOLLOWERS_PER_PEER }, async () => await services[1].open(peer0(), ask({ workload: 'talker', follow: true }), stop.signal)))
    const pumps = first.map(async r => await collect(r.items).catch(() => []))
    try {
      assert.equal(services[0].followerCount, MAX_FOLLOWERS_PER_PEER)
      await assert.rejects(services[1].open(peer0(), ask({ workload: 'talker', follow: true }), stop.signal),
        (err: Error) => err instanceof LogsRefusedError && err.code === 'too-many-followers')
      assert.ok(drops.includes('logs-too-many-followers'))
      // The node's own readers are another peer: not refused.
      const local = await services[0].open(peer0(), ask({ workload: 'talker', follow: true }), stop.signal)
      pumps.push(collect(local.items))
    } finally {
      stop.abort()
      await Promise.all(pumps)
    }
    await waitUntil('all followers freed', () => services[0].followerCount === 0)
  })

  it('a reader that does not read: the stream is paused, the server skips lines and says how many; nobody buffers it all', async () => {
    const before = drops.filter(d => d === 'logs-reader-behind').length
    const stop = new AbortController()
    const reading = await services[1].open(peer0(), ask({ workload: 'flood', follow: true }), stop.signal)
    const total = 4_000
    const body = 'x'.repeat(1_000)
    // 4 MB, yielding to I/O between batches so the server sends all the window and the reader's buffer allow.
    for (let n = 0; n < total;) {
      for (let i = 0; i < 50; i++, n++) flood.write(Buffer.from(`${n} ${body}\n`))
      await new Promise(resolve => setTimeout(resolve, 0))
    }
    // Every line written is accounted for, delivered or skipped: the last ones may be among the skipped.
    let accounted = 0
    const got = await collect(reading.items, g => { const i = g[g.length - 1]; accounted += 'skipped' in i ? i.skipped : 1; return accounted >= total })
    stop.abort()
    const received = lines(got).map(l => Number(l.line.split(' ')[0]))
    const skipped = got.reduce((sum, i) => sum + ('skipped' in i ? i.skipped : 0), 0)
    assert.equal(received.length + skipped, total, 'every line is either delivered or counted as skipped')
    assert.ok(skipped > 0, 'the server skipped lines')
    // At most the yamux window (256 KiB), the reader's high water (512 KiB) and the server's queue (1 MiB) got through.
    assert.ok(received.length < 2_500, `${received.length} lines were delivered: something buffered past its bound`)
    assert.ok(received.every((n, i) => i === 0 || n > received[i - 1]), 'in order')
    assert.ok(drops.filter(d => d === 'logs-reader-behind').length > before, 'counted')
  })
})
