import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { noise } from '@libp2p/noise'
import { ping } from '@libp2p/ping'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p, type Libp2pOptions } from 'libp2p'
import type { Registry } from 'prom-client'
import { RESOURCES_TOPIC } from '../node/resource-channel.js'
import { gossipsubMetricsRegister } from './gossipsub-metrics.js'
import { connectionProtectorOf, mdnsServiceTag, type Admission } from '../secret/admission.js'
import { denyGate, type DenyList } from './deny-gate.js'
import { installLazyWindowUpdates } from './lazy-window-updates.js'
import { quietDiscovery } from './quiet-discovery.js'

/** The services every dreammesh host runs. */
export type HostServices = {
  identify: ReturnType<ReturnType<typeof identify>>
  ping: ReturnType<ReturnType<typeof ping>>
  pubsub: GossipSub
  [name: string]: unknown
}

export type DreamHost = Libp2p<HostServices>

export interface HostInit {
  privateKey: PrivateKey
  listen: string[]
  transports: Libp2pOptions['transports']
  admission: Admission
  /** Announce and discover on the LAN with mDNS. */
  mdns: boolean
  /** Where libp2p registers its own metrics (one registry per node, so several nodes fit in one process). */
  registry: Registry
  /** Revoked peers, refused at every connection whatever secret they hold (see deny-gate.ts). */
  deny?: DenyList
  /** Members of the cluster, this one included: mDNS asks the LAN less often in a bigger cluster. @default 1 */
  clusterSize?: () => number
}

/**
 * How often a lone node's mDNS asks the LAN who is there, in ms; a member of a cluster of N asks every N times
 * this (QuietDiscovery times it), so the LAN hears about one query this often whatever N is. A node asks once
 * as it starts (and again soon while nobody answers) and every member answers, so the repeat only covers lost
 * packets; membership spreads everyone else once one member is found.
 */
export const MDNS_QUERY_INTERVAL_MS = 30_000
/**
 * The interval @libp2p/mdns itself is given: it queries at its start, then on this fixed interval, which
 * cannot follow the cluster's size, so it is a day and QuietDiscovery asks on its own schedule instead.
 */
const MDNS_OWN_INTERVAL_MS = 24 * 3600_000
/** Connections a node keeps at most; a home cluster is tens of nodes, a test mesh a few hundred. */
export const MAX_CONNECTIONS = 512
/**
 * Inbound connections accepted per second per remote host. libp2p's default (5) is meant for the open
 * internet; in a private cluster every peer passed pnet, and a rejoining mesh dials in bursts.
 */
export const INBOUND_CONNECTIONS_PER_HOST_PER_S = 100
/** gossipsub's heartbeat and its peer-score upkeep, in ms (libp2p's default is 1 s for both). */
export const GOSSIPSUB_HEARTBEAT_MS = 2_000
/** Largest gossipsub RPC a node reads, in bytes: gossip carries small records, not bulk. */
export const MAX_GOSSIP_RPC_BYTES = 256 * 1024

/**
 * The libp2p 3 host: tcp (or the given transports), pnet when the cluster is private, noise, yamux,
 * identify, ping, gossipsub in StrictSign mode (every message signed by its origin and checked by every
 * receiver), and mDNS under the cluster's own service name. libp2p 3 dials nothing it discovers; the node
 * does that (see DreamNode).
 */
export async function createHost (init: HostInit): Promise<DreamHost> {
  installLazyWindowUpdates()
  const protector = connectionProtectorOf(init.admission)
  return await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: init.transports,
    ...(protector === undefined ? {} : { connectionProtector: protector }),
    connectionEncrypters: [noise()],
    ...(init.deny === undefined ? {} : { connectionGater: denyGate(init.deny) }),
    // No keep-alive pings: js-yamux pings every connection every 30 s and does nothing when one fails (it only
    // measures RTT). At N=20 that was 1.3 frames a second each way per node, each a wake-up and an encrypted
    // write, to learn what membership's probes already know.
    streamMuxers: [yamux({ enableKeepAlive: false })],
    connectionManager: {
      maxConnections: MAX_CONNECTIONS,
      inboundConnectionThreshold: INBOUND_CONNECTIONS_PER_HOST_PER_S
    },
    // Off: it pings every connection on a new stream at the same moment, a burst that at N=20 on two cores
    // timed out membership probes. Membership's probes measure RTT instead, and judge liveness (ADR 0008).
    connectionMonitor: { enabled: false },
    peerDiscovery: init.mdns
      ? [quietDiscovery(
          mdns({ serviceTag: mdnsServiceTag(init.admission), interval: MDNS_OWN_INTERVAL_MS }),
          mdnsServiceTag(init.admission),
          { intervalMs: MDNS_QUERY_INTERVAL_MS, clusterSize: init.clusterSize ?? (() => 1) }
        )]
      : [],
    metrics: prometheusMetrics({ registry: init.registry, collectDefaultMetrics: false, preserveExistingMetrics: true }),
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        // A home cluster is a few to a few dozen nodes. gossipsub's defaults (a mesh of 6 to 12, gossip to 6
        // more each heartbeat) are sized for the open internet; with a mesh of 3 to 6 every record still
        // reaches everyone in two or three hops and each node receives fewer duplicates of it.
        D: 4,
        Dlo: 3,
        Dhi: 6,
        Dout: 2,
        // Gossip (IHAVE) only repairs what the mesh lost, and each IHAVE is one more message through the
        // stack. By default it went to a quarter of all non-mesh peers, about gossip of the last 3 s: at
        // N=20 two IHAVEs out and two in every second of an idle cluster (ADR 0018). Two peers, about the last
        // heartbeat's messages, still repair a loss within a heartbeat or two.
        Dlazy: 2,
        gossipFactor: 0,
        mcacheGossip: 1,
        // Every 2 s, not 1 s: the heartbeat (mesh upkeep, gossip) and the score upkeep are two timers that
        // walk every peer, and in an idle home cluster the mesh has nothing to repair. Messages themselves are
        // sent and forwarded at once, not on the heartbeat.
        heartbeatInterval: GOSSIPSUB_HEARTBEAT_MS,
        scoreParams: { decayInterval: GOSSIPSUB_HEARTBEAT_MS },
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        maxInboundDataLength: MAX_GOSSIP_RPC_BYTES,
        metricsRegister: gossipsubMetricsRegister(init.registry),
        // Topics are few and named by us; label them by their own names.
        metricsTopicStrToLabel: new Map([[RESOURCES_TOPIC, 'resources']])
      })
    }
  })
}
