import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import { createHost, generateClusterCode, parseClusterCode, type DreamHost } from '../src/index.js'
import { waitUntil } from './wait.js'

/**
 * ADR 0008: yamux window updates go out once half the receive window is used, not after every frame. Two
 * real hosts over @libp2p/memory (pnet, noise, yamux). Small frames that stay under half the window cost
 * the receiver no writes at all; a transfer eight times the window still completes, so credit still flows.
 */

const PROTOCOL = '/dreammesh-test/sink/1.0.0'
const CODE = parseClusterCode(generateClusterCode().text)
/** yamux's initial stream window. */
const WINDOW = 256 * 1024

async function host (registry: Registry): Promise<DreamHost> {
  return await createHost({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    transports: [tcp()],
    admission: { mode: 'private', code: CODE },
    mdns: false,
    registry
  })
}

/** yamux's frame type of a window update (frame.ts). */
const WINDOW_UPDATE = 1
type SendFrame = (header: { type: number }, data?: unknown) => unknown

/**
 * Counts the window updates a receiving stream sends. A yamux stream sends every frame through its own
 * `sendFrame` property (bound to its muxer), so wrapping that one property sees exactly this stream's frames.
 */
function countWindowUpdates (stream: Stream, counter: { updates: number }): void {
  const s = stream as unknown as { sendFrame: SendFrame }
  const original = s.sendFrame
  s.sendFrame = (header, data) => {
    if (header.type === WINDOW_UPDATE) counter.updates++
    return original(header, data)
  }
}

async function send (stream: Stream, chunk: Uint8Array): Promise<void> {
  if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
}

describe('yamux window updates (lazy, as go-yamux sends them)', function () {
  this.timeout(30_000)
  let sender: DreamHost
  let receiver: DreamHost
  const counter = { updates: 0 }
  let received = 0

  before(async function () {
    sender = await host(new Registry())
    receiver = await host(new Registry())
    await receiver.handle(PROTOCOL, (stream) => {
      countWindowUpdates(stream, counter)
      stream.addEventListener('message', (event) => { received += event.data.byteLength })
    })
    await sender.dial(multiaddr(receiver.getMultiaddrs()[0].toString()))
  })

  after(async function () {
    await sender?.stop()
    await receiver?.stop()
  })

  it('small frames under half the window make the receiver write nothing', async function () {
    const stream = await sender.dialProtocol(receiver.peerId, PROTOCOL)
    // Let identify and the stream's own SYN/ACK settle before counting.
    await send(stream, new Uint8Array(1))
    await waitUntil('the first byte arrives', () => received === 1)
    counter.updates = 0
    const frames = 500
    const chunk = new Uint8Array(100)
    for (let i = 0; i < frames; i++) await send(stream, chunk)
    await waitUntil('all small frames arrive', () => received >= 1 + frames * chunk.byteLength)
    // js-yamux's own rule would have sent one update per data frame: 500.
    assert.equal(counter.updates, 0, `the receiver sent ${counter.updates} window updates for ${frames} small frames`)
    await stream.close()
  })

  it('a transfer of eight windows completes: credit is still returned once half is used', async function () {
    received = 0
    counter.updates = 0
    const stream = await sender.dialProtocol(receiver.peerId, PROTOCOL)
    const chunk = new Uint8Array(16 * 1024).fill(7)
    const total = 8 * WINDOW
    for (let sent = 0; sent < total; sent += chunk.byteLength) await send(stream, chunk)
    await waitUntil('eight windows arrive', () => received >= total, 20_000)
    assert.equal(received, total)
    // Credit came back (the sender would have stalled at one window without it), once per half window used
    // at most; yamux also grows a busy stream's window, so there are fewer. Eager updates: one per frame, 128.
    const frames = total / chunk.byteLength
    assert.ok(counter.updates >= 1, 'no window update for eight windows')
    assert.ok(counter.updates <= frames / 8, `${counter.updates} window updates for ${frames} frames of 16 KiB`)
    await stream.close()
  })
})
