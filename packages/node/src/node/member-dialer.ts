import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import type { MemberView, NodeId } from '@dreammesh/protocols'
import { MAX_CONCURRENT_MEMBER_DIALS } from './constants.js'

/**
 * Keeps the node connected to every member it knows. libp2p 3 dials no peer it hears of, and a membership
 * probe never dials (a packet with no connection is lost, so SWIM's timeouts decide), so the node dials:
 * each member it learns of, each peer mDNS finds, and, on a slow timer, every live member it has lost its
 * connection to (after a partition heals, nothing else would).
 *
 * Of two members that meet, only the one with the smaller id dials (`meet`); the other waits for it, and dials
 * itself only if the slow timer finds them still apart. When a cluster starts at once, every member hears
 * of every other at the same moment, and both ends of each pair dialed: twice the handshakes (pnet, noise,
 * identify, gossipsub and membership streams, tens of ms of CPU each), and the two crossing dials often
 * failed each other (EncryptionFailed). A join through a peer mDNS found is not held back: it needs a
 * connection from whichever side joins, and its frames dial anyway (ADR 0018).
 */
export class MemberDialer {
  private readonly dialing = new Set<NodeId>()
  /** Members waiting for a dial slot, at most one entry each. */
  private readonly queue = new Set<NodeId>()
  private stopped = false
  /** The addresses last put in the peer store per member, so an unchanged list costs nothing. */
  private readonly known = new Map<NodeId, string>()

  constructor (private readonly node: Libp2p, private readonly selfId: NodeId, private readonly dialTimeoutMs: number) {}

  /** Records `member`'s advertised addresses and meets it (see `meet`), unless it is us. */
  learn (member: MemberView): void {
    if (member.id === this.selfId || member.meta.addrs.length === 0 || this.stopped) return
    // A member's metadata changes with every resource record; its addresses almost never. Re-merging them
    // into the peer store each time was a measurable share of an idle node's CPU.
    const key = member.meta.addrs.join(' ')
    if (this.known.get(member.id) === key) {
      this.meet(member.id)
      return
    }
    this.known.set(member.id, key)
    let peer: PeerId
    let addrs: Multiaddr[]
    try {
      peer = peerIdFromString(member.id)
      addrs = member.meta.addrs.map(a => multiaddr(a))
    } catch {
      return // membership bounds addrs but does not parse multiaddrs; a bad one is the sender's problem
    }
    this.node.peerStore.merge(peer, { multiaddrs: addrs }).then(() => { this.meet(member.id) }, () => {})
  }

  /** A peer was heard of: dials it if this side is the one that dials (the smaller id), else leaves it to it. */
  meet (id: NodeId): void {
    if (dialsFirst(this.selfId, id)) this.dial(id)
  }

  /** Dials `id` unless connected or already dialing; past MAX_CONCURRENT_MEMBER_DIALS it waits its turn. */
  dial (id: NodeId): void {
    if (this.stopped || id === this.selfId || this.dialing.has(id)) return
    if (this.dialing.size >= MAX_CONCURRENT_MEMBER_DIALS) {
      this.queue.add(id)
      return
    }
    let peer: PeerId
    try {
      peer = peerIdFromString(id)
    } catch {
      return
    }
    if (this.isConnected(id)) return
    this.dialing.add(id)
    this.node.dial(peer, { signal: AbortSignal.timeout(this.dialTimeoutMs) })
      .catch(() => { /* unreachable now; SWIM judges, and the next pass dials again */ })
      .finally(() => {
        this.dialing.delete(id)
        const next = this.queue.values().next()
        if (next.done !== true) {
          this.queue.delete(next.value)
          this.dial(next.value)
        }
      })
  }

  /** One reconnect pass: dials each given member that has no open connection. */
  reconnect (members: MemberView[]): void {
    for (const m of members) {
      if ((m.state === 'alive' || m.state === 'suspect') && !this.isConnected(m.id)) this.dial(m.id)
    }
  }

  /** Forgets a member membership reaped. */
  forget (id: NodeId): void {
    this.known.delete(id)
  }

  isConnected (id: NodeId): boolean {
    try {
      return this.node.getConnections(peerIdFromString(id)).some(c => c.status === 'open')
    } catch {
      return false
    }
  }

  stop (): void {
    this.stopped = true
    this.queue.clear()
  }
}

/** Of two peers, whether `self` is the one that dials when they meet: the smaller id, compared as strings. */
export function dialsFirst (self: NodeId, other: NodeId): boolean {
  return self < other
}
