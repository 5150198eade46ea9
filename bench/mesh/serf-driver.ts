/**
 * serf (hashicorp memberlist with its LAN defaults, Debian's package) as a benchmark agent. Each agent binds
 * the gossip port on its namespace's address and its RPC port on the namespace's own loopback, so every
 * agent uses the same ports and `serf members` has to run inside the namespace to reach it.
 */
import { spawnSync } from 'node:child_process'
import { execIn } from '../../test/netns/index.ts'
import type { AgentDriver, AgentHandle, MemberState, MemberView } from './driver.ts'

/** serf's default gossip port. */
const SERF_PORT = 7946
/** serf's default RPC address; each namespace has its own loopback, so no two agents clash. */
const RPC_ADDR = '127.0.0.1:7373'
/** A `serf members` call slower than this is treated as no answer. */
const QUERY_TIMEOUT_MS = 2_000

const STATES: Record<string, MemberState> = { alive: 'alive', failed: 'dead', left: 'left', leaving: 'left' }

export function serfDriver (): AgentDriver {
  return {
    name: 'serf',
    unavailable () {
      const r = spawnSync('serf', ['version'], { stdio: 'ignore' })
      return r.error !== undefined || r.status !== 0 ? '`serf` is not installed (Debian package serf)' : undefined
    },
    async start (lan, index, peers) {
      const node = lan.nodes[index]
      const name = `serf-${index}`
      const args = ['agent', `-node=${name}`, `-bind=${node.addr}:${SERF_PORT}`, `-rpc-addr=${RPC_ADDR}`, '-profile=lan', '-log-level=warn']
      for (const peer of peers) args.push(`-join=${peer.addr}:${SERF_PORT}`)
      const child = lan.spawn(index, 'serf', args, { stdio: ['ignore', 'ignore', 'inherit'] })
      if (child.pid === undefined) throw new Error(`serf agent ${name} did not start`)
      return { index, name, node, pid: child.pid, child, dataDir: '' }
    },
    async ready (handle) {
      return (await query(handle)) !== undefined
    },
    async members (handle) {
      const list = await query(handle)
      if (list === undefined) throw new Error(`${handle.name} did not answer`)
      return list
    },
    stop (handle) {
      if (handle.child.exitCode === null && handle.child.signalCode === null) handle.child.kill('SIGKILL')
    }
  }
}

/** `serf members -format json` inside the agent's namespace; undefined when it does not answer. */
async function query (handle: AgentHandle): Promise<MemberView[] | undefined> {
  const r = await execIn(handle.node.ns, 'serf', ['members', `-rpc-addr=${RPC_ADDR}`, '-format=json'], { timeoutMs: QUERY_TIMEOUT_MS })
  if (r.code !== 0) return undefined
  const parsed = JSON.parse(r.stdout) as { members?: Array<{ name: string, status: string }> }
  return (parsed.members ?? []).map((m) => ({ name: m.name, state: STATES[m.status] ?? 'suspect' }))
}
