/**
 * @packageDocumentation
 *
 * Network-namespace LANs for multi-process tests and benchmarks: real sockets, real mDNS, real packet
 * loss by nftables, on one machine, as root.
 *
 * ```ts
 * import { createLan, skipWithoutNetns } from './netns/index.ts'
 *
 * before(function () { skipWithoutNetns(this) })
 * it('two members talk', async () => {
 *   const lan = await createLan({ nodes: 2 })
 *   try {
 *     const agent = lan.spawn(0, 'serf', ['agent', `-bind=${lan.nodes[0].addr}`])
 *     lan.partition([0], [1]); lan.heal()
 *     await lan.linkDown(0)
 *   } finally { await lan.destroy() }
 * })
 * ```
 */
export { createLan, type Lan, type LanNode, type LanOptions, type NodeRef } from './lan.ts'
export { requireNetns, skipWithoutNetns } from './preflight.ts'
export { sweepStale } from './names.ts'
export { execIn, spawnIn, killAllIn, type ExecResult, type ExecOptions, type SpawnOptions } from './process.ts'
export { tablesIn, PARTITION_TABLE } from './firewall.ts'
