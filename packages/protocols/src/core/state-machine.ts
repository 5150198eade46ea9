import type { NodeId } from './ids.js'

/**
 * The sans-IO surface every dreammesh protocol implements (after etcd-io/raft's RawNode).
 *
 * The host feeds `(nowMs, input)` and carries out the returned `Output`: it sends the messages, arms one
 * timer for `wakeAtMs`, and hands the events to its users. The machine itself never reads a clock, draws
 * platform randomness, sets a timer or touches a socket (ARCHITECTURE.md rule 1), so the real node and the
 * simulator drive the very same code.
 */

/**
 * How a message travels. `packet` is best effort (may be lost, duplicated or reordered, bounded by
 * `maxPacketBytes`); `stream` is reliable and ordered per peer (bounded per frame by `maxFrameBytes`).
 */
export type Channel = 'packet' | 'stream'

/** A message the host must send on the machine's behalf. */
export interface Send {
  to: NodeId
  channel: Channel
  bytes: Uint8Array
}

/** Something that happened to the machine. */
export type Input<Command> =
  | { kind: 'message', from: NodeId, channel: Channel, bytes: Uint8Array }
  /** The time the machine asked for (`wakeAtMs`) has come; it fires whatever is due. */
  | { kind: 'timer' }
  /** A local request from the host or its user. */
  | { kind: 'command', command: Command }

/** What the host must do after a step. */
export interface Output<Event> {
  sends: Send[]
  /** Events for the host and its users, in the order they happened. */
  events: Event[]
  /**
   * The one timer the machine wants: call `step(t, { kind: 'timer' })` at local time `wakeAtMs`. It
   * replaces any earlier request; `undefined` means no timer. Machines keep their named deadlines
   * internally (see `Deadlines`) and report only the earliest, so a host arms one timer per machine.
   */
  wakeAtMs: number | undefined
}

export interface StateMachine<Command, Event> {
  step (nowMs: number, input: Input<Command>): Output<Event>
}
