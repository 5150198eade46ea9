import type { NodeId } from '../core/ids.js'

/** Where a member stands, as this node sees it (SWIM with Lifeguard). */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'

export type MemberRole = 'server' | 'client'

/** What a member says about itself; only the member changes it. */
export interface MemberMeta {
  name: string
  role: MemberRole
  /** Where to reach it (multiaddrs in the real node). */
  addrs: string[]
  /** Capability tags ("gpu", "display:0", user tags). */
  tags: string[]
  /** A small owner-versioned record, opaque to membership: resources and health in the real node. */
  state: Uint8Array
}

/** A read-only snapshot of one member, as handed to the host. */
export interface MemberView {
  id: NodeId
  state: MemberState
  incarnation: number
  metaVersion: number
  meta: MemberMeta
  /** Local time of the last change of `state`. */
  sinceMs: number
}

export type MembershipCommand =
  /** Contact up to `maxJoinSeeds` of these members and sync with them; retried while no peer is known. */
  | { type: 'join', seeds: NodeId[] }
  /** Announce a graceful leave. The host keeps the node running for a few gossip rounds, then stops it. */
  | { type: 'leave' }
  /** The host saw a connection to `peer` close: probe it now. A hint only; the verdict stays with SWIM. */
  | { type: 'connection-closed', peer: NodeId }
  /** Replace parts of this member's metadata; bumps `metaVersion` and gossips it. */
  | { type: 'update-meta', meta: Partial<MemberMeta> }

export type MembershipEvent =
  /** A member became known, or came back from dead or left with a higher incarnation. */
  | { type: 'joined', member: MemberView }
  | { type: 'suspect', member: MemberView, from: NodeId }
  /** A suspect refuted the suspicion. */
  | { type: 'alive', member: MemberView }
  | { type: 'dead', member: MemberView, from: NodeId }
  | { type: 'left', member: MemberView }
  /** A member's metadata changed. */
  | { type: 'updated', member: MemberView }
  /** A dead or left member was forgotten after `deadRetentionMs`. */
  | { type: 'reaped', id: NodeId }
  /**
   * A direct probe of `id` was answered: the round trip in ms of local time, a PING and its ACK through the
   * transport. Hosts show it as the member's RTT instead of sending pings of their own.
   */
  | { type: 'rtt', id: NodeId, ms: number }
  /** This node refuted a suspicion (or a death) about itself. */
  | { type: 'refuted', incarnation: number, accuser: NodeId }
  /** A message from a peer was dropped; counted in `counters`. */
  | { type: 'dropped', from: NodeId, reason: string, detail: string }
  /** A command was refused (for example metadata over its bounds). */
  | { type: 'rejected', command: MembershipCommand['type'], problems: string[] }
