/**
 * @packageDocumentation
 *
 * `@dreammesh/protocols`: dreammesh's protocols as pure, sans-IO state machines, with their wire codecs. No
 * clock, no platform randomness, no timers, no sockets, no host globals (ARCHITECTURE.md rule 1, enforced by a lint
 * rule): a machine is fed `(nowMs, input)` and returns what to send, the events that happened and the one
 * time it wants to be woken (docs/adr/0001). The real node and the simulator drive the very same code.
 *
 * Public interfaces:
 *
 * - The core: `StateMachine` (`step(nowMs, input)` returning `Output`: `sends`, `events`, `wakeAtMs`),
 *   `Input`, `Send`, `Channel` (`packet` or `stream`); `Transport`, the seam between protocols and the
 *   network (best-effort packets and reliable frames); `Scheduler` and `MachineDriver`, the one piece of
 *   glue that binds a machine to a transport and a clock; `Rng` and `Xoshiro128`, the injected randomness;
 *   `NodeId`; `Deadlines`, the named-deadline heap behind `wakeAtMs`.
 * - Membership, SWIM with the Lifeguard extensions (docs/protocol/membership.md): `Membership` and its
 *   `MembershipInit`, `MembershipCommand` (`join`, `leave`, `connection-closed`, `update-meta`),
 *   `MembershipEvent`, `MemberView` and `MemberMeta`; `MembershipConfig` with the presets `homeConfig()` (the real node's default), `lanConfig()`,
 *   `wanConfig()` and `localTestConfig()` (the numbers are derived in docs/membership-arithmetic.md); and
 *   the pure arithmetic (`suspicionTimeoutMs`, `remainingSuspicionTimeMs`, `retransmitLimit`, ...).
 * - Leases, the one ownership primitive (docs/protocol/lease.md, ADR 0009): `LeaseMachine` (one per node,
 *   voter and holder for every resource), `LeaseCommand` (`acquire`, `release`, `ask-handoff`, `handoff`,
 *   `set-voters`, `persisted`, `clock-jumped`), `LeaseEvent` (`acquired`, `renewed`, `stop-by`, `kill-by`,
 *   `lost`, ...), the host's fsync contract (`LeaseOutput.persist`, then `persisted`), `leaseConfig()` and
 *   the drift arithmetic (`holderValidMs`, `voterHoldMs`, ...).
 * - Placement (docs/protocol/workload-spec.md, ADR 0010): `validateWorkloadSpec` (a bounded, complete
 *   `WorkloadSpec`, or every problem with its path), `place` (a pure function from specs, live nodes and what
 *   runs now to the node of every slot, the same on every node), `placementChanges`.
 * - `wire`: the versioned, length-bounded codecs. Malformed, unknown or oversized input is counted and
 *   dropped with a reason; it never throws out of a machine.
 *
 * @example
 * Three members on a hand-driven 1 ms network: the host's whole job is to carry out the sends and to step
 * each machine again at its `wakeAtMs`. (`MachineDriver` does exactly this over a real `Transport`.)
 * ```ts
 * import { Membership, Xoshiro128, localTestConfig, type MemberMeta, type MembershipEvent, type NodeId, type Output, type Send } from '@dreammesh/protocols'
 *
 * const meta = (name: string): MemberMeta => ({ name, role: 'server', addrs: [], tags: [], state: new Uint8Array(0) })
 * const machines = new Map<NodeId, Membership>()
 * for (const id of ['a', 'b', 'c']) {
 *   machines.set(id, new Membership({ id, meta: meta(id), rng: new Xoshiro128(7).fork(id), config: localTestConfig(), nowMs: 0 }))
 * }
 *
 * const wakeAtMs = new Map<NodeId, number>()
 * let inFlight: Array<Send & { from: NodeId }> = []
 * const carryOut = (id: NodeId, out: Output<MembershipEvent>): void => {
 *   for (const send of out.sends) inFlight.push({ ...send, from: id })
 *   if (out.wakeAtMs === undefined) wakeAtMs.delete(id)
 *   else wakeAtMs.set(id, out.wakeAtMs)
 * }
 * for (const [id, m] of machines) carryOut(id, m.step(0, { kind: 'command', command: { type: 'join', seeds: ['a'] } }))
 * for (let nowMs = 0; nowMs <= 2_000; nowMs++) {
 *   const arriving = inFlight // what was sent last millisecond arrives now
 *   inFlight = []
 *   for (const s of arriving) carryOut(s.to, machines.get(s.to)!.step(nowMs, { kind: 'message', from: s.from, channel: s.channel, bytes: s.bytes }))
 *   for (const [id, m] of machines) if ((wakeAtMs.get(id) ?? Infinity) <= nowMs) carryOut(id, m.step(nowMs, { kind: 'timer' }))
 * }
 * console.log(machines.get('c')!.liveIds()) // [ 'a', 'b' ]: c found b through a
 * ```
 */
export * from './core/index.js'
export * from './membership/index.js'
export * as wire from './wire/codec.js'
export * from './resources/index.js'
export * from './lease/index.js'
export * from './placement/index.js'
