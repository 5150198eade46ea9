import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import { createHost, generateClusterCode, parseClusterCode, type DreamHost } from '../src/index.js'
import type { DenyPoint } from '../src/host/deny-gate.js'

/**
 * Issue 5: "`dreammesh revoke NODE` adds a lost or stolen machine to [the deny list], and a libp2p connection
 * gater on every node refuses it from then on, secret or not." Three real hosts over @libp2p/memory that all
 * hold the cluster code; `keeper` revokes `thief`.
 */

const RUN = `dreammesh-deny-${process.pid}-${Date.now().toString(36)}`
const CODE = parseClusterCode(generateClusterCode().text)

describe('the deny gate: a revoked peer is refused with the right secret', function () {
  this.timeout(20_000)
  const revoked = new Set<string>()
  const refusals: DenyPoint[] = []
  let keeper: DreamHost
  let friend: DreamHost
  let thief: DreamHost

  async function host (name: string, withGate: boolean): Promise<DreamHost> {
    return await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/memory/${RUN}-${name}`],
      transports: [memory()],
      admission: { mode: 'private', code: CODE },
      mdns: false,
      registry: new Registry(),
      ...(withGate ? { deny: { has: (id: string) => revoked.has(id), refused: (at: DenyPoint) => { refusals.push(at) } } } : {})
    })
  }

  before(async () => {
    keeper = await host('keeper', true)
    friend = await host('friend', false)
    thief = await host('thief', false)
  })

  after(async () => {
    await Promise.allSettled([keeper, friend, thief].map(async h => { await h?.stop() }))
  })

  it('admits the peer before it is revoked', async () => {
    const c = await thief.dial(multiaddr(keeper.getMultiaddrs()[0].toString()))
    assert.equal(c.status, 'open')
    await c.close()
  })

  it('once revoked, its dials in are refused and counted, and a friend still gets in', async () => {
    revoked.add(thief.peerId.toString())
    await assert.rejects(thief.dial(multiaddr(keeper.getMultiaddrs()[0].toString()), { signal: AbortSignal.timeout(5_000) }))
    assert.ok(refusals.includes('inbound'), `refusals: ${refusals.join(', ')}`)
    const c = await friend.dial(multiaddr(keeper.getMultiaddrs()[0].toString()))
    assert.equal(c.status, 'open')
  })

  it('and the keeper never dials it', async () => {
    await thief.peerStore.merge(keeper.peerId, { multiaddrs: keeper.getMultiaddrs() })
    await keeper.peerStore.merge(thief.peerId, { multiaddrs: thief.getMultiaddrs() })
    await assert.rejects(keeper.dial(thief.peerId, { signal: AbortSignal.timeout(5_000) }))
    assert.ok(refusals.includes('dial'), `refusals: ${refusals.join(', ')}`)
    assert.equal(keeper.getConnections(thief.peerId).length, 0)
  })
})
