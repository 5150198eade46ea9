/**
 * @packageDocumentation
 *
 * `@dreammesh/sim`: a deterministic discrete-event simulator for dreammesh. It runs the unmodified protocol
 * state machines of `@dreammesh/protocols`, behind the same `MachineDriver` the real node uses, on a
 * virtual clock and a simulated network, so thousands of nodes run faster than real time and one seed
 * replays a run exactly (ARCHITECTURE.md rule 2).
 *
 * Public interfaces:
 *
 * - Time: `EventQueue` (the one global clock and its agenda), `NodeClock` (a node's drifting local clock),
 *   `SimScheduler` (the core `Scheduler` on a node's clock), `NodeRuntime` (a node's process state: paused
 *   work is held and released in order, a crash ends its timers).
 * - Network: `SimNetwork` with its fault model `SimNetworkOptions` (delay, loss, duplication, reordering,
 *   partitions, clogs; `packets` or `streams` model; profiles `lanProfile()` and `wifiProfile()`) and
 *   `SimTransport`, its `Transport` (docs/adr/0005).
 * - Faults: `NodeFaults` (crash, restart, pause, slow).
 * - Scenarios: `MembershipCluster` (N membership machines on one network), `InvariantChecker`
 *   (completeness, accuracy, convergence, refutation), `runMembership` (a whole run with its phases, as the
 *   CLI does it, returning the result and its replay command) and `runScript` (scenario scripts with
 *   expected transcripts, after raft's testdata). `getCli()` is the CLI factory.
 * - `@dreammesh/sim/compliance`: the `Transport` compliance suite, which every transport must pass.
 * - The `dreammesh-sim` CLI: `npx dreammesh-sim membership --nodes 1000 --seed 7 --loss 0.01 --crash 10
 *   --duration 600s` runs a whole membership scenario with its invariants and prints a replay command.
 *
 * @example
 * Four members on a lossy simulated network; one machine vanishes at 5 s and the others declare it dead.
 * ```ts
 * import { MachineDriver, Membership, Xoshiro128, type MembershipCommand, type MembershipEvent } from '@dreammesh/protocols'
 * import { EventQueue, NodeClock, NodeFaults, SimNetwork, SimScheduler } from '@dreammesh/sim'
 *
 * const seed = new Xoshiro128(7) // one seed reproduces the whole run
 * const queue = new EventQueue()
 * const network = new SimNetwork(queue, seed.fork('network'), { lossProbability: 0.01 })
 * const faults = new NodeFaults(network)
 * for (const id of ['a', 'b', 'c', 'd']) {
 *   const index = network.addNode(id)
 *   const clock = new NodeClock(queue, { rate: 1 + (index - 1.5) * 1e-4 }) // ±150 ppm drift
 *   const scheduler = new SimScheduler(queue, clock, network.runtime(index))
 *   const machine = new Membership({
 *     id,
 *     meta: { name: id, role: 'server', addrs: [], tags: [], state: new Uint8Array(0) },
 *     rng: seed.fork(id),
 *     nowMs: scheduler.nowMs()
 *   })
 *   const driver = new MachineDriver<MembershipCommand, MembershipEvent>(machine, network.openTransport(index), scheduler, {
 *     onEvent: (e) => { if (e.type === 'dead') console.log(`${queue.nowMs.toFixed(0)} ms: ${id} declares ${e.member.id} dead`) },
 *     closedCommand: (peer) => ({ type: 'connection-closed', peer })
 *   })
 *   driver.start()
 *   driver.command({ type: 'join', seeds: ['a'] })
 * }
 * queue.runUntil(5_000)
 * faults.crash(3, { machineLoss: true }) // d's machine vanishes: no FIN, no RST; SWIM has to notice
 * queue.runUntil(15_000) // 6030 ms: a declares d dead, then b and c
 * ```
 */
export * from './clock/event-queue.js'
export * from './clock/node-clock.js'
export * from './clock/node-runtime.js'
export * from './clock/sim-scheduler.js'
export * from './network/constants.js'
export * from './network/options.js'
export * from './network/counters.js'
export * from './network/delay.js'
export * from './network/partitions.js'
export * from './network/sim-network.js'
export * from './network/sim-transport.js'
export * from './faults/node-faults.js'
export * from './scenarios/membership-cluster.js'
export * from './scenarios/membership-run.js'
export * from './scenarios/invariants.js'
export * from './scenarios/script.js'
export * from './scenarios/stats.js'
export * from './scenarios/placement-processes.js'
export * from './scenarios/placement-invariant.js'
export * from './scenarios/placement-mux.js'
export * from './scenarios/placement-cuts.js'
export * from './scenarios/placement-board.js'
export * from './scenarios/placement-host.js'
export * from './scenarios/placement-world.js'
export * from './scenarios/placement-specs.js'
export * from './scenarios/placement-faults.js'
export * from './scenarios/placement-variants.js'
export * from './scenarios/placement-run.js'
export * from './soak/placement-soak.js'
export { getCli } from './cli/index.js'
