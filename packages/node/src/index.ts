/**
 * @packageDocumentation
 *
 * `@dreammesh/node` will be the dreammesh node: the libp2p host (tcp, noise, yamux, mdns, identify, ping,
 * gossipsub, pnet), the drivers that carry protocol messages over libp2p streams, the CLI (`dreammesh up`)
 * and the public `createDreamNode()`.
 *
 * **None of that exists yet.** This package is a skeleton. The real libp2p node, `createDreamNode()`
 * included, arrives with the real-node issue; until then nothing here runs, and nothing pretends to.
 *
 * Today the package only re-exports, as types, the protocol surface it will build on, so that code written
 * against it now keeps compiling when the node arrives:
 *
 * - `Transport` and its handler, limits and stats: the seam the libp2p host will implement and prove
 *   with the compliance suite in `@dreammesh/sim/compliance` (ARCHITECTURE.md rule 3);
 * - `Scheduler`: local time and one-shot timers, which the node will back with `performance.now()` and
 *   `setTimeout`;
 * - `StateMachine` and its inputs and outputs, which the node will drive with the same `MachineDriver`
 *   (from `@dreammesh/protocols`) that the simulator uses (docs/adr/0001);
 * - the membership types: config, commands, events, member views and metadata.
 *
 * To run membership today, use the simulator: `npx dreammesh-sim membership --nodes 100` (see the README).
 *
 * @example
 * ```ts
 * import type { MembershipEvent } from '@dreammesh/node'
 *
 * // Types only, for now: a handler written today for the events the node will emit.
 * export function summarize (event: MembershipEvent): string {
 *   return event.type === 'dead' ? `${event.member.meta.name} is dead` : event.type
 * }
 * ```
 */
export type {
  Channel,
  Input,
  MemberMeta,
  MemberRole,
  MemberState,
  MemberView,
  MembershipCommand,
  MembershipConfig,
  MembershipEvent,
  NodeId,
  Output,
  Rng,
  Scheduler,
  Send,
  StateMachine,
  Transport,
  TransportHandler,
  TransportLimits,
  TransportStats
} from '@dreammesh/protocols'
