import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { multiaddr } from '@multiformats/multiaddr'
import { Registry } from 'prom-client'
import { createHost, generateClusterCode, parseClusterCode, type DreamHost } from '../../src/index.js'

/**
 * `n` real libp2p hosts of one private network over @libp2p/memory (in this process), each connected to
 * every other one, for tests of the node's own protocols. `run` keeps the memory addresses of concurrent
 * test files apart.
 */
export async function createMemoryHosts (n: number, run: string): Promise<DreamHost[]> {
  const code = parseClusterCode(generateClusterCode().text)
  const hosts: DreamHost[] = []
  for (let i = 0; i < n; i++) {
    hosts.push(await createHost({
      privateKey: await generateKeyPair('Ed25519'),
      listen: [`/memory/${run}-${i}`],
      transports: [memory()],
      admission: { mode: 'private', code },
      mdns: false,
      registry: new Registry()
    }))
  }
  for (const [i, a] of hosts.entries()) {
    for (const b of hosts.slice(i + 1)) await a.dial(multiaddr(b.getMultiaddrs()[0].toString()))
  }
  return hosts
}
