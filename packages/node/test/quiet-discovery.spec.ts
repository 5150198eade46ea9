import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { TypedEventEmitter, type PeerDiscoveryEvents, type PeerInfo } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { QuietDiscovery, REPEAT_DISCOVERY_AFTER_MS } from '../src/host/quiet-discovery.js'

/** A discovery that reports whatever the test tells it to, as mDNS reports each answer it hears. */
class Announcer extends TypedEventEmitter<PeerDiscoveryEvents> {
  started = 0
  async start (): Promise<void> { this.started++ }
  async stop (): Promise<void> {}
  hear (info: PeerInfo): void { this.safeDispatchEvent('peer', { detail: info }) }
}

async function peerInfo (...addrs: string[]): Promise<PeerInfo> {
  return { id: peerIdFromPrivateKey(await generateKeyPair('Ed25519')), multiaddrs: addrs.map(a => multiaddr(a)) }
}

describe('QuietDiscovery (mDNS answers that say nothing new are not passed on)', () => {
  let now = 0
  let inner: Announcer
  let quiet: QuietDiscovery
  let passed: PeerInfo[]

  beforeEach(async () => {
    now = 0
    inner = new Announcer()
    quiet = new QuietDiscovery(inner, () => now)
    passed = []
    quiet.addEventListener('peer', (e) => { passed.push(e.detail) })
    await quiet.start()
  })

  it('starts the discovery it wraps', () => {
    assert.equal(inner.started, 1)
    assert.equal(quiet.isStarted(), true)
  })

  it('passes a new peer once, however often it is heard, whatever the order of its addresses', async () => {
    const a = await peerInfo('/ip4/10.0.0.1/tcp/4711', '/ip4/10.0.0.1/udp/4711/quic-v1')
    for (let i = 0; i < 20; i++) { now += 1_000; inner.hear(a) }
    inner.hear({ id: a.id, multiaddrs: [...a.multiaddrs].reverse() })
    assert.deepEqual(passed.map(p => p.id.toString()), [a.id.toString()])
  })

  it('passes a peer again when its addresses change, and after REPEAT_DISCOVERY_AFTER_MS', async () => {
    const a = await peerInfo('/ip4/10.0.0.1/tcp/4711')
    inner.hear(a)
    inner.hear({ id: a.id, multiaddrs: [multiaddr('/ip4/10.0.0.2/tcp/4711')] })
    assert.equal(passed.length, 2)
    now += REPEAT_DISCOVERY_AFTER_MS
    inner.hear({ id: a.id, multiaddrs: [multiaddr('/ip4/10.0.0.2/tcp/4711')] })
    assert.equal(passed.length, 3)
  })

  it('keeps peers apart', async () => {
    const a = await peerInfo('/ip4/10.0.0.1/tcp/4711')
    const b = await peerInfo('/ip4/10.0.0.1/tcp/4711')
    inner.hear(a)
    inner.hear(b)
    inner.hear(a)
    assert.deepEqual(passed.map(p => p.id.toString()), [a.id.toString(), b.id.toString()])
  })

  it('asks again soon after the start while nobody has answered, and stops once a peer did', async function () {
    this.timeout(10_000)
    let queries = 0
    const eager = new QuietDiscovery(new Announcer(), () => now, () => { queries++ })
    const heard = new Announcer()
    const eager2 = new QuietDiscovery(heard, () => now, () => { queries += 100 })
    await eager.start()
    await eager2.start()
    heard.hear(await peerInfo('/ip4/10.0.0.9/tcp/4001'))
    // Waits for the 1 s and 2 s queries of the first, however late a loaded machine runs them.
    for (let i = 0; i < 80 && queries < 2; i++) await new Promise(resolve => setTimeout(resolve, 100))
    await eager.stop()
    await eager2.stop()
    assert.ok(queries >= 2 && queries < 100, `the one that heard nobody asked again (${queries % 100} times); the one that heard a peer never (${Math.floor(queries / 100)})`)
  })

  it('asks regularly, less often in a bigger cluster, so the LAN hears about one query per interval', async function () {
    this.timeout(10_000)
    let lone = 0
    let big = 0
    let size = 1
    // A random() of 0.5 puts every delay at exactly intervalMs × the cluster size.
    const loneNode = new QuietDiscovery(new Announcer(), () => now, () => { lone++ }, { intervalMs: 40, clusterSize: () => 1 }, () => 0.5)
    const memberLan = new Announcer()
    const member = new QuietDiscovery(memberLan, () => now, () => { big++ }, { intervalMs: 40, clusterSize: () => size }, () => 0.5)
    const peer = await peerInfo('/ip4/10.0.0.7/tcp/4711')
    await loneNode.start()
    await member.start()
    // The member has heard a peer, so it makes no startup query: every query it makes is a regular one.
    memberLan.hear(peer)
    size = 1_000 // the member's first regular query was timed at size 1; from then on it waits 40 s
    for (let i = 0; i < 100 && lone < 5; i++) await new Promise(resolve => setTimeout(resolve, 50))
    await loneNode.stop()
    await member.stop()
    assert.ok(lone >= 5, `the lone node kept asking (${lone})`)
    assert.equal(big, 1, 'the member of a big cluster asked once, then waited N times longer')
  })
})
