/**
 * What the benchmark needs from a membership agent, whatever it is: start one in a namespace, know when it
 * answers, and read its member list. serf and dreammesh each implement this; every measurement is written
 * against it, so both are timed by the same code.
 */
import type { ChildProcess } from 'node:child_process'
import type { Lan, LanNode } from '../../test/netns/index.ts'

/** A member's state as the benchmark sees it. serf's `failed` is `dead`; `leaving` is `left`. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'

export interface MemberView { name: string, state: MemberState }

export interface AgentHandle {
  index: number
  name: string
  node: LanNode
  /** The agent's own process (its CPU and RSS are sampled from /proc, with its descendants). */
  pid: number
  child: ChildProcess
  /** The driver's private per-agent state (data dir, RPC address). */
  dataDir: string
}

export interface AgentDriver {
  readonly name: string
  /** Why this driver cannot run here (a missing binary, an unbuilt CLI), or undefined. */
  unavailable: () => string | undefined
  /** Starts agent `index` in its namespace; `peers` are addresses it may join through (empty: it is first). */
  start: (lan: Lan, index: number, peers: readonly LanNode[], scratchDir: string) => Promise<AgentHandle>
  /** Whether the agent answers queries yet. Polled. */
  ready: (handle: AgentHandle) => Promise<boolean>
  /** The agent's current member list, itself included. Polled; throws if the agent does not answer. */
  members: (handle: AgentHandle) => Promise<MemberView[]>
  /** Stops one agent for good (SIGKILL: the benchmark never needs a graceful leave). */
  stop: (handle: AgentHandle) => void
}
