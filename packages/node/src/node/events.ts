import type { MemberView, NodeId } from '@dreammesh/protocols'

/** What every member event carries. */
export interface MemberEventDetail {
  /** The member as this node sees it right after the change. */
  member: MemberView
  /** Who reported it: set on `member:suspect` and `member:dead` (the accuser). */
  from?: NodeId
}

/**
 * The events of a `DreamNode`, in the order membership decided them (SWIM with Lifeguard).
 *
 * ```ts
 * node.addEventListener('member:dead', (event) => { console.log(event.detail.member.meta.name, 'is dead') })
 * ```
 */
export interface DreamNodeEvents {
  /** A member became known, or came back from dead or left with a higher incarnation (a restart). */
  'member:joined': CustomEvent<MemberEventDetail>
  /** A member missed its probes; it has until its suspicion times out to refute. */
  'member:suspect': CustomEvent<MemberEventDetail>
  /** A suspect member refuted the suspicion. */
  'member:alive': CustomEvent<MemberEventDetail>
  /** A member's suspicion timed out, or a peer declared it dead. */
  'member:dead': CustomEvent<MemberEventDetail>
  /** A member left gracefully. */
  'member:left': CustomEvent<MemberEventDetail>
  /** A member's metadata (name, role, addresses, tags, state record) changed. */
  'member:updated': CustomEvent<MemberEventDetail>
  /** A member's resource record changed (this node's own too: `detail.member` is then `self()`). */
  'resources:changed': CustomEvent<{ member: MemberView }>
  /** A live member already had this node's name when it joined: the node stopped itself. */
  'node:name-taken': CustomEvent<{ error: Error }>
  /** The node stopped (by `stop()`, `leave()`, or a refused name). */
  'node:stopped': CustomEvent<Record<string, never>>
  /** This node, as the scaler of an autoscaled workload, changed its instance count (ADR 0017). */
  'workload:autoscaled': CustomEvent<{ workload: string, from: number, to: number, reason: string }>
  /** Something went wrong that the node survives (an instance that failed to start, a grant not persisted). */
  'node:warning': CustomEvent<{ message: string }>
}

/** The membership event types that become `DreamNodeEvents`, and their names there. */
export const MEMBER_EVENT_NAMES = {
  joined: 'member:joined',
  suspect: 'member:suspect',
  alive: 'member:alive',
  dead: 'member:dead',
  left: 'member:left',
  updated: 'member:updated'
} as const satisfies Record<string, keyof DreamNodeEvents>
