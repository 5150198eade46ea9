/**
 * The shared compliance suite for the core `Transport` seam (ARCHITECTURE.md rule 3). The simulated network
 * and the libp2p host both run it, so what the simulator proves about protocols holds over the real thing.
 *
 * It uses only the `Transport` interface and the `TransportHarness`; time passes only through
 * `harness.advance`, so the same tests run in virtual time and in real time.
 *
 * @example
 * ```ts
 * import { runTransportCompliance } from '@dreammesh/sim/compliance'
 * runTransportCompliance(myHarness)
 * ```
 */
import assert from 'node:assert/strict'
import type { NodeId, Transport, TransportHandler } from '@dreammesh/protocols'

/** What the suite needs from an implementation under test. */
export interface TransportHarness {
  /** Names the implementation in the test titles. */
  readonly name: string
  /** Creates `count` transports whose peers can reach each other. */
  create (count: number): Promise<Transport[]>
  /** Lets `ms` milliseconds pass: virtual time in a simulator, a sleep over real I/O. */
  advance (ms: number): Promise<void>
  /** Kills the node behind `transport` abruptly, with no goodbye (as `kill -9`). */
  crash (transport: Transport): Promise<void>
  /** An id that no node answers for. */
  unreachableId (): NodeId
  /** Whether the network under test may duplicate and reorder packets. If false, the suite checks it does not. */
  readonly duplicatesAndReorders: boolean
  /** Releases everything `create` made. Runs after every test. */
  teardown (): Promise<void>
}

/** Time allowed beyond `dialTimeoutMs` for an `onClosed` to arrive, at least, in milliseconds. */
const CLOSE_SLACK_MIN_MS = 1_000
/** How long the suite waits for a batch of messages before it gives up, in milliseconds. */
const DELIVERY_BUDGET_MS = 30_000
/** How long the suite lets packets trickle in (they may be lost, so it cannot wait for all), in ms. */
const PACKET_WAIT_MS = 2_000
/** Granularity of waiting, in milliseconds. */
const POLL_STEP_MS = 25
/** Frames each sender sends in the ordering test. */
const FRAME_COUNT = 200
/** Packets sent in the packet integrity test. */
const PACKET_COUNT = 100
/** Every test payload starts with a 4-byte sequence number and a 1-byte sender tag. */
const HEADER_BYTES = 5
/** Frame sizes cycle through these, capped at `maxFrameBytes`, to cross buffer and chunk boundaries. */
const FRAME_SIZES_BYTES = [5, 1_000, 64, 9_000, 6, 65_536, 300, 1_400, 200_000, 17]
/** Packet sizes cycle through these, capped at `maxPacketBytes`. */
const PACKET_SIZES_BYTES = [5, 100, 512, 1_200, Number.MAX_SAFE_INTEGER]

/** One thing a handler was told. */
interface Received {
  kind: 'packet' | 'frame' | 'closed'
  from: NodeId
  bytes?: Uint8Array
}

/** Records everything delivered to one transport. */
class Inbox implements TransportHandler {
  readonly events: Received[] = []
  onPacket (from: NodeId, bytes: Uint8Array): void { this.events.push({ kind: 'packet', from, bytes }) }
  onFrame (from: NodeId, bytes: Uint8Array): void { this.events.push({ kind: 'frame', from, bytes }) }
  onClosed (peer: NodeId): void { this.events.push({ kind: 'closed', from: peer }) }
  of (kind: Received['kind'], from?: NodeId): Received[] {
    return this.events.filter(e => e.kind === kind && (from === undefined || e.from === from))
  }
}

function listen (transport: Transport): Inbox {
  const inbox = new Inbox()
  transport.listen(inbox)
  return inbox
}

/** A payload whose every byte depends on (tag, seq), so truncation, splicing and corruption all show. */
function payload (tag: number, seq: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  new DataView(bytes.buffer).setUint32(0, seq)
  bytes[4] = tag
  for (let i = HEADER_BYTES; i < size; i++) bytes[i] = (seq * 31 + i * 7 + tag) & 0xff
  return bytes
}

/** Decodes a payload made by `payload`, or returns undefined if it is not exactly one whole such payload. */
function readPayload (bytes: Uint8Array | undefined, sizeOf: (seq: number) => number): { tag: number, seq: number } | undefined {
  if (bytes === undefined || bytes.byteLength < HEADER_BYTES) return undefined
  const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0)
  const tag = bytes[4]
  if (bytes.byteLength !== sizeOf(seq)) return undefined
  for (let i = HEADER_BYTES; i < bytes.byteLength; i++) if (bytes[i] !== ((seq * 31 + i * 7 + tag) & 0xff)) return undefined
  return { tag, seq }
}

function cycleSize (sizes: number[], maxBytes: number): (seq: number) => number {
  return seq => Math.max(HEADER_BYTES, Math.min(sizes[seq % sizes.length], maxBytes))
}

/** Advances time in small steps until `done()` or `budgetMs` ran out; returns the time spent, in ms. */
async function advanceUntil (harness: TransportHarness, done: () => boolean, budgetMs: number): Promise<number> {
  let elapsedMs = 0
  while (!done() && elapsedMs < budgetMs) {
    await harness.advance(POLL_STEP_MS)
    elapsedMs += POLL_STEP_MS
  }
  return elapsedMs
}

function closeBudgetMs (transport: Transport): number {
  const dialTimeoutMs = transport.limits.dialTimeoutMs
  return dialTimeoutMs + Math.max(CLOSE_SLACK_MIN_MS, dialTimeoutMs / 10)
}

/** Defines the compliance tests for one `Transport` implementation as mocha `describe`/`it` blocks. */
export function runTransportCompliance (harness: TransportHarness): void {
  describe(`Transport compliance: ${harness.name}`, function () {
    this.timeout(120_000)

    afterEach(async () => {
      await harness.teardown()
    })

    describe('packets', () => {
      it('arrive whole or not at all, from their sender', async () => {
        const [a, b] = await harness.create(2)
        const inbox = listen(b)
        const sizeOf = cycleSize(PACKET_SIZES_BYTES, a.limits.maxPacketBytes)
        for (let seq = 0; seq < PACKET_COUNT; seq++) a.sendPacket(b.localId, payload(1, seq, sizeOf(seq)))
        await advanceUntil(harness, () => inbox.of('packet').length >= PACKET_COUNT, PACKET_WAIT_MS)
        await harness.advance(PACKET_WAIT_MS / 4) // stragglers and duplicates

        const packets = inbox.of('packet')
        const seqs: number[] = []
        for (const p of packets) {
          assert.equal(p.from, a.localId, 'a packet names its real sender')
          const decoded = readPayload(p.bytes, sizeOf)
          assert.ok(decoded !== undefined, 'a packet arrives whole and unaltered')
          assert.equal(decoded.tag, 1)
          seqs.push(decoded.seq)
        }
        assert.ok(packets.length >= PACKET_COUNT / 2, `most packets arrive on a working network (${packets.length}/${PACKET_COUNT})`)
        if (!harness.duplicatesAndReorders) {
          assert.equal(new Set(seqs).size, seqs.length, 'no packet arrives twice')
          assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'packets arrive in the order sent')
        }
      })

      it('to an unknown id are never an error', async () => {
        const [a] = await harness.create(1)
        const inbox = listen(a)
        a.sendPacket(harness.unreachableId(), payload(1, 0, HEADER_BYTES))
        await harness.advance(POLL_STEP_MS * 4)
        assert.equal(inbox.of('packet').length + inbox.of('frame').length, 0)
      })
    })

    describe('frames', () => {
      it(`arrive exactly once, whole and in order per sender (${FRAME_COUNT} of varying sizes, from two senders)`, async () => {
        const [a, b, c] = await harness.create(3)
        const inboxA = listen(a)
        const inboxC = listen(c)
        listen(b)
        const sizeOf = cycleSize(FRAME_SIZES_BYTES, c.limits.maxFrameBytes)
        // Interleaved, so per-pair order cannot come from a global order; plus traffic the other way.
        for (let seq = 0; seq < FRAME_COUNT; seq++) {
          a.sendFrame(c.localId, payload(1, seq, sizeOf(seq)))
          b.sendFrame(c.localId, payload(2, seq, sizeOf(seq)))
          c.sendFrame(a.localId, payload(3, seq, sizeOf(seq)))
        }
        await advanceUntil(harness, () => inboxC.of('frame').length >= 2 * FRAME_COUNT && inboxA.of('frame').length >= FRAME_COUNT, DELIVERY_BUDGET_MS)
        await harness.advance(POLL_STEP_MS * 8) // a duplicate would show up now

        const expected = Array.from({ length: FRAME_COUNT }, (_, seq) => seq)
        for (const [inbox, sender, tag] of [[inboxC, a, 1], [inboxC, b, 2], [inboxA, c, 3]] as const) {
          const seqs = inbox.of('frame', sender.localId).map(f => {
            const decoded = readPayload(f.bytes, sizeOf)
            assert.ok(decoded !== undefined, 'a frame arrives whole and unaltered')
            assert.equal(decoded.tag, tag, 'a frame names its real sender')
            return decoded.seq
          })
          assert.deepEqual(seqs, expected, `frames from sender ${tag} arrive once each, in order`)
        }
        assert.equal(inboxA.of('closed').length + inboxC.of('closed').length, 0, 'no connection closed')
      })

      it('to an unreachable id are dropped, counted, and reported through onClosed within dialTimeoutMs', async () => {
        const [a, b] = await harness.create(2)
        const inboxA = listen(a)
        const inboxB = listen(b)
        const nobody = harness.unreachableId()
        a.sendFrame(nobody, payload(1, 0, 100))
        const budgetMs = closeBudgetMs(a)
        const elapsedMs = await advanceUntil(harness, () => inboxA.of('closed', nobody).length > 0, budgetMs)

        assert.equal(inboxA.of('closed', nobody).length, 1, `onClosed(${nobody}) within ${budgetMs} ms (waited ${elapsedMs} ms)`)
        assert.equal(a.stats.unreachableDropped, 1, 'the dropped frame is counted')
        assert.equal(inboxB.events.length, 0, 'nobody else received it')
      })

      it('from a crashed peer stop, and the survivor is told through onClosed', async () => {
        const [a, b] = await harness.create(2)
        const inboxA = listen(a)
        const inboxB = listen(b)
        const sizeOf = cycleSize([64], a.limits.maxFrameBytes)
        for (let seq = 0; seq < 10; seq++) {
          a.sendFrame(b.localId, payload(1, seq, sizeOf(seq)))
          b.sendFrame(a.localId, payload(2, seq, sizeOf(seq)))
        }
        await advanceUntil(harness, () => inboxA.of('frame').length >= 10 && inboxB.of('frame').length >= 10, DELIVERY_BUDGET_MS)
        assert.equal(inboxA.of('frame').length, 10, 'the connection worked before the crash')

        await harness.crash(b)
        const heardByA = inboxA.of('frame').length
        const heardByB = inboxB.events.length
        for (let seq = 10; seq < 20; seq++) {
          a.sendFrame(b.localId, payload(1, seq, sizeOf(seq)))
          b.sendFrame(a.localId, payload(2, seq, sizeOf(seq))) // a dead node's transport must not throw either
        }
        const budgetMs = closeBudgetMs(a)
        const elapsedMs = await advanceUntil(harness, () => inboxA.of('closed', b.localId).length > 0, budgetMs)
        await harness.advance(POLL_STEP_MS * 8)

        assert.ok(inboxA.of('closed', b.localId).length > 0, `onClosed(${b.localId}) within ${budgetMs} ms (waited ${elapsedMs} ms)`)
        assert.equal(inboxA.of('frame').length, heardByA, 'nothing is sent on behalf of a crashed node')
        assert.equal(inboxB.events.length, heardByB, 'nothing is delivered to a crashed node')
      })
    })

    describe('limits', () => {
      it('oversized packets and frames are not sent, are counted, and never throw', async () => {
        const [a, b] = await harness.create(2)
        const inboxB = listen(b)
        const { maxPacketBytes, maxFrameBytes } = a.limits
        a.sendPacket(b.localId, new Uint8Array(maxPacketBytes + 1))
        a.sendFrame(b.localId, new Uint8Array(maxFrameBytes + 1))
        a.sendFrame(harness.unreachableId(), new Uint8Array(maxFrameBytes + 1))
        assert.equal(a.stats.oversizedDropped, 3)
        assert.equal(a.stats.packetsSent + a.stats.framesSent + a.stats.bytesSent, 0, 'nothing oversized counts as sent')

        // Exactly at the limit is allowed.
        const frame = payload(1, 0, maxFrameBytes)
        a.sendPacket(b.localId, payload(1, 0, maxPacketBytes))
        a.sendFrame(b.localId, frame)
        assert.equal(a.stats.oversizedDropped, 3)
        assert.equal(a.stats.packetsSent, 1)
        assert.equal(a.stats.framesSent, 1)
        await advanceUntil(harness, () => inboxB.of('frame').length > 0, DELIVERY_BUDGET_MS)
        await harness.advance(POLL_STEP_MS * 4)
        const frames = inboxB.of('frame')
        assert.equal(frames.length, 1, 'only the frame within the limit arrives')
        assert.ok(readPayload(frames[0].bytes, () => maxFrameBytes) !== undefined, 'a frame of maxFrameBytes arrives whole')
        assert.ok(inboxB.of('packet').every(p => p.bytes?.byteLength === maxPacketBytes), 'no oversized packet arrives')
        assert.equal(inboxB.of('closed').length, 0)
      })
    })

    describe('lifecycle', () => {
      it('close() is idempotent, and nothing is delivered or sent after it', async () => {
        const [a, b] = await harness.create(2)
        const inboxA = listen(a)
        let closing = false
        let deliveredAfterClose = 0
        b.listen({
          onPacket: () => { if (closing) deliveredAfterClose++ },
          onFrame: () => { if (closing) deliveredAfterClose++ },
          onClosed: () => {}
        })
        for (let seq = 0; seq < 20; seq++) {
          a.sendFrame(b.localId, payload(1, seq, 64))
          a.sendPacket(b.localId, payload(1, seq, 64))
        }
        closing = true
        await Promise.all([b.close(), b.close()])
        await b.close()
        for (let seq = 20; seq < 30; seq++) {
          a.sendFrame(b.localId, payload(1, seq, 64))
          a.sendPacket(b.localId, payload(1, seq, 64))
          b.sendFrame(a.localId, payload(2, seq, 64))
          b.sendPacket(a.localId, payload(2, seq, 64))
        }
        await harness.advance(PACKET_WAIT_MS / 4)

        assert.equal(deliveredAfterClose, 0, 'nothing is delivered after close()')
        assert.equal(inboxA.of('frame').length + inboxA.of('packet').length, 0, 'a closed transport sends nothing')
        assert.equal(b.stats.packetsSent + b.stats.framesSent, 0, 'a closed transport counts nothing as sent')
      })

      it('listen() replaces the previous handler', async () => {
        const [a, b] = await harness.create(2)
        const first = listen(b)
        const second = listen(b)
        a.sendFrame(b.localId, payload(1, 0, 64))
        await advanceUntil(harness, () => second.of('frame').length > 0, DELIVERY_BUDGET_MS)
        assert.equal(second.of('frame').length, 1)
        assert.equal(first.events.length, 0)
      })
    })

    describe('stats', () => {
      it('count what was sent and received, in payload bytes', async () => {
        const [a, b] = await harness.create(2)
        const inboxA = listen(a)
        const inboxB = listen(b)
        const sizeOf = cycleSize(PACKET_SIZES_BYTES, a.limits.maxPacketBytes)
        let bytesSentByA = 0
        let bytesSentByB = 0
        for (let seq = 0; seq < 20; seq++) {
          const packet = payload(1, seq, sizeOf(seq))
          const frame = payload(1, seq, 100 + seq)
          a.sendPacket(b.localId, packet)
          a.sendFrame(b.localId, frame)
          bytesSentByA += packet.byteLength + frame.byteLength
        }
        for (let seq = 0; seq < 5; seq++) {
          const frame = payload(2, seq, 50)
          b.sendFrame(a.localId, frame)
          bytesSentByB += frame.byteLength
        }
        await advanceUntil(harness, () => inboxB.of('frame').length >= 20 && inboxA.of('frame').length >= 5, DELIVERY_BUDGET_MS)
        await harness.advance(PACKET_WAIT_MS / 4)

        assert.deepEqual(
          [a.stats.packetsSent, a.stats.framesSent, a.stats.bytesSent],
          [20, 20, bytesSentByA], 'the sender counts every packet, frame and payload byte it sent')
        assert.deepEqual([b.stats.packetsSent, b.stats.framesSent, b.stats.bytesSent], [0, 5, bytesSentByB])
        for (const [transport, inbox] of [[a, inboxA], [b, inboxB]] as const) {
          const packets = inbox.of('packet')
          const frames = inbox.of('frame')
          const bytes = [...packets, ...frames].reduce((sum, e) => sum + (e.bytes?.byteLength ?? 0), 0)
          assert.deepEqual(
            [transport.stats.packetsReceived, transport.stats.framesReceived, transport.stats.bytesReceived],
            [packets.length, frames.length, bytes], 'the receiver counts exactly what reached its handler')
          assert.equal(transport.stats.oversizedDropped + transport.stats.unreachableDropped, 0)
        }
        assert.equal(b.stats.framesReceived, 20)
        assert.equal(a.stats.framesReceived, 5)
      })
    })
  })
}
