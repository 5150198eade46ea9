/**
 * A LAN of network namespaces on one machine: a bridge in the root namespace with no address (so nothing in
 * the root namespace routes into it, and nothing in it routes out), and N namespaces, each with loopback up
 * and one veth into the bridge carrying `<subnet>.<i+1>/24`. Multicast crosses the bridge, so mDNS works
 * between the namespaces and nowhere else.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { block, unblock } from './firewall.ts'
import { ip, pidsIn, tryRun } from './ip.ts'
import { newLanNames, sweepStale, type LanNames } from './names.ts'
import { execIn, killAllIn, spawnIn, type ExecOptions, type ExecResult, type SpawnOptions } from './process.ts'

/** How long a new veth may take to report carrier, and destroyed links to disappear (both asynchronous). */
const LINK_SETTLE_MS = 5_000
const LINK_POLL_MS = 20
/** Enough for the benchmarks' N=20 with room; more would not fit the `v<i>` interface-name budget anyway. */
const MAX_NODES = 99

export interface LanOptions {
  nodes: number
  /** The first three octets, e.g. `10.231.7`; members get `.1` to `.N`. Default: 10.231.<this LAN's number>. */
  subnet?: string
}

export interface LanNode {
  index: number
  ns: string
  addr: string
  /** The root-side end of the veth pair (inside the namespace it is `eth0`). */
  veth: string
}

/** A member by index or namespace name. */
export type NodeRef = number | string

export interface Lan {
  readonly prefix: string
  readonly bridge: string
  readonly nodes: readonly LanNode[]
  node: (ref: NodeRef) => LanNode
  exec: (ref: NodeRef, cmd: string, args?: readonly string[], options?: ExecOptions) => Promise<ExecResult>
  spawn: (ref: NodeRef, cmd: string, args?: readonly string[], options?: SpawnOptions) => ChildProcess
  /** Drops all traffic between the two groups, both ways, until `heal()`. */
  partition: (groupA: readonly NodeRef[], groupB: readonly NodeRef[]) => void
  heal: () => void
  /** A lost machine: its link goes down first (so no FIN or RST escapes), then every process in it is SIGKILLed. */
  linkDown: (ref: NodeRef) => Promise<void>
  /** Brings a downed link back (the namespace's processes stay dead). */
  linkUp: (ref: NodeRef) => void
  killAll: (ref: NodeRef) => Promise<void>
  /** Bytes the member has sent and received on its LAN link, from the root-side veth's counters. */
  bytes: (ref: NodeRef) => { tx: number, rx: number }
  destroy: () => Promise<void>
}

/** LANs not yet destroyed, torn down on exit so an uncaught error does not leave them behind. */
const live = new Set<() => void>()
let exitHookInstalled = false
let subnetCount = 0

export async function createLan (options: LanOptions): Promise<Lan> {
  const n = options.nodes
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new Error(`nodes must be 1..${MAX_NODES}, got ${n}`)
  const subnet = options.subnet ?? `10.231.${subnetCount++ % 256}`
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(subnet)) throw new Error(`subnet must be three octets like 10.231.7, got ${subnet}`)
  sweepStale()
  installExitHook()

  const names = newLanNames()
  const nodes: LanNode[] = Array.from({ length: n }, (_, i) => ({ index: i, ns: names.ns(i), addr: `${subnet}.${i + 1}`, veth: names.veth(i) }))
  const teardown = (): void => { destroySync(names, nodes) }
  live.add(teardown)
  try {
    // No STP delay, and no snooping: with snooping and no querier, the bridge could stop flooding multicast.
    ip('link', 'add', names.bridge, 'type', 'bridge', 'forward_delay', '0', 'mcast_snooping', '0')
    disableIpv6(names.bridge)
    ip('link', 'set', names.bridge, 'up')
    for (const node of nodes) {
      ip('netns', 'add', node.ns)
      ip('link', 'add', node.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns)
      disableIpv6(node.veth)
      ip('link', 'set', node.veth, 'master', names.bridge, 'up')
      ip('-n', node.ns, 'link', 'set', 'lo', 'up')
      ip('-n', node.ns, 'addr', 'add', `${node.addr}/24`, 'dev', 'eth0')
      ip('-n', node.ns, 'link', 'set', 'eth0', 'multicast', 'on', 'up')
      // With no default route, a send to 224.0.0.251 fails with ENETUNREACH unless the socket picks an
      // interface; mDNS libraries rely on the route, as they would on a real LAN.
      ip('-n', node.ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')
    }
    await waitFor(() => nodes.every((x) => operstate(x.veth) === 'up'), `links of ${names.prefix} did not come up`)
  } catch (err) {
    teardown()
    live.delete(teardown)
    throw err
  }

  const node = (ref: NodeRef): LanNode => {
    const found = typeof ref === 'number' ? nodes[ref] : nodes.find((x) => x.ns === ref)
    if (found === undefined) throw new Error(`no member ${ref} in ${names.prefix}`)
    return found
  }
  const partitioned = new Set<string>()

  return {
    prefix: names.prefix,
    bridge: names.bridge,
    nodes,
    node,
    exec: async (ref, cmd, args = [], opts) => await execIn(node(ref).ns, cmd, args, opts),
    spawn: (ref, cmd, args = [], opts) => spawnIn(node(ref).ns, cmd, args, opts),
    partition (groupA, groupB) {
      const a = groupA.map(node)
      const b = groupB.map(node)
      for (const [side, other] of [[a, b], [b, a]] as const) {
        for (const x of side) {
          block(x.ns, other.map((y) => y.addr))
          partitioned.add(x.ns)
        }
      }
    },
    heal () {
      for (const ns of partitioned) unblock(ns)
      partitioned.clear()
    },
    async linkDown (ref) {
      const x = node(ref)
      ip('link', 'set', x.veth, 'down')
      ip('-n', x.ns, 'link', 'set', 'eth0', 'down')
      await killAllIn(x.ns)
    },
    linkUp (ref) {
      const x = node(ref)
      ip('-n', x.ns, 'link', 'set', 'eth0', 'up')
      ip('link', 'set', x.veth, 'up')
      tryRun('ip', ['-n', x.ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0'])
    },
    killAll: async (ref) => { await killAllIn(node(ref).ns) },
    bytes (ref) {
      // The root-side end sees the namespace's traffic mirrored: what it receives, the member sent.
      const stats = `/sys/class/net/${node(ref).veth}/statistics`
      return { tx: readCounter(`${stats}/rx_bytes`), rx: readCounter(`${stats}/tx_bytes`) }
    },
    async destroy () {
      for (const x of nodes) await killAllIn(x.ns).catch(() => undefined)
      teardown()
      live.delete(teardown)
      await waitFor(() => !readdirSync('/sys/class/net').some((l) => l.startsWith(names.prefix)), `links of ${names.prefix} were not removed`)
    }
  }
}

/** Synchronous, best-effort teardown: usable from an exit hook, and safe to call twice. */
function destroySync (names: LanNames, nodes: readonly LanNode[]): void {
  for (const x of nodes) {
    for (const pid of pidsIn(x.ns)) {
      try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
  }
  // Deleting the root end deletes the pair now; deleting the namespace alone frees its veth only later.
  for (const x of nodes) tryRun('ip', ['link', 'del', x.veth])
  for (const x of nodes) tryRun('ip', ['netns', 'del', x.ns])
  tryRun('ip', ['link', 'del', names.bridge])
}

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => { for (const teardown of live) teardown() })
}

/** The root-side ends carry no IPv6 link-local address, so the root namespace has no address on this LAN. */
function disableIpv6 (ifname: string): void {
  const path = `/proc/sys/net/ipv6/conf/${ifname}/disable_ipv6`
  if (existsSync(path)) writeFileSync(path, '1')
}

function operstate (ifname: string): string {
  try { return readFileSync(`/sys/class/net/${ifname}/operstate`, 'utf8').trim() } catch { return 'missing' }
}

function readCounter (path: string): number {
  return Number(readFileSync(path, 'utf8').trim())
}

async function waitFor (done: () => boolean, message: string): Promise<void> {
  const until = performance.now() + LINK_SETTLE_MS
  while (!done()) {
    if (performance.now() > until) throw new Error(message)
    await new Promise((resolve) => setTimeout(resolve, LINK_POLL_MS))
  }
}
