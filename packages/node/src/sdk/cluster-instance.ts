import { ApiClient } from '../api/client.js'
import type { MemberJson, WorkloadDetailJson, WorkloadJson } from '../api/types.js'

/**
 * The SDK for cluster-aware applications: what one instance of a workload can ask of the cluster, through
 * the local API of the node that runs it (the agent gives every instance `DREAMMESH_API_SOCKET`).
 */

/** Another instance of the same workload, as an instance sees it. */
export interface InstancePeer {
  index: number
  /** Its node's peer id and name. */
  node: string
  nodeName: string
  /** Its node's IP addresses, from the node's advertised multiaddrs (loopback last). */
  addresses: string[]
  state: string
  epoch: number
}

/** Raised when the process was not started by a dreammesh agent (the variables are missing). */
export class NotAnInstanceError extends Error {
  constructor (missing: string) {
    super(`not running as a dreammesh instance: ${missing} is not set (the agent sets it for every instance)`)
    this.name = 'NotAnInstanceError'
  }
}

export interface ClusterInstanceInit {
  workload: string
  index: number
  epoch: number
  /** This node's peer id. */
  node: string
  stateDir: string
  client: ApiClient
}

/**
 * One instance of a workload, talking to its node.
 *
 * ```ts
 * const me = ClusterInstance.fromEnv()
 * const stop = me.watchPeers((peers) => { console.log('peers now', peers.map(p => p.addresses[0])) })
 * me.onStopNotice(async () => { await flush(); stop() })   // SIGTERM: the agent is about to stop this instance
 * await me.requestInstances(4)                              // clamped into the workload's min..max
 * await me.leave()                                          // re-place this instance on another node
 * ```
 */
export class ClusterInstance {
  readonly workload: string
  readonly index: number
  readonly epoch: number
  readonly node: string
  readonly stateDir: string
  private readonly client: ApiClient
  private stopHandlers: Array<() => void | Promise<void>> = []
  private stopping = false

  constructor (init: ClusterInstanceInit) {
    this.workload = init.workload
    this.index = init.index
    this.epoch = init.epoch
    this.node = init.node
    this.stateDir = init.stateDir
    this.client = init.client
  }

  /** The instance this process is, from the variables its agent set. Throws `NotAnInstanceError` outside one. */
  static fromEnv (env: NodeJS.ProcessEnv = process.env): ClusterInstance {
    const need = (name: string): string => {
      const value = env[name]
      if (value === undefined || value === '') throw new NotAnInstanceError(name)
      return value
    }
    return new ClusterInstance({
      workload: need('DREAMMESH_WORKLOAD'),
      index: Number(need('DREAMMESH_INSTANCE')),
      epoch: Number(need('DREAMMESH_EPOCH')),
      node: need('DREAMMESH_NODE'),
      stateDir: need('DREAMMESH_STATE_DIR'),
      client: new ApiClient({ socketPath: need('DREAMMESH_API_SOCKET') })
    })
  }

  /** The other instances of this workload that run now (starting, running or unhealthy), with their addresses. */
  async peers (): Promise<InstancePeer[]> {
    const [workloads, self, members] = await Promise.all([
      this.client.get<WorkloadJson[]>('/v1/workloads'),
      this.client.get<MemberJson>('/v1/self'),
      this.client.get<MemberJson[]>('/v1/members')
    ])
    const addrs = new Map([self, ...members].map(m => [m.id, ipsOf(m.addrs)]))
    const mine = workloads.find(w => w.name === this.workload)
    return (mine?.instances ?? [])
      .filter(i => i.index !== this.index && ['starting', 'running', 'unhealthy'].includes(i.state))
      .map(i => ({ index: i.index, node: i.node, nodeName: i.nodeName, addresses: addrs.get(i.node) ?? [], state: i.state, epoch: i.epoch }))
      .sort((a, b) => a.index - b.index)
  }

  /**
   * Calls `onChange` with the peers now and whenever they change (asked every `intervalMs`). Returns the
   * function that stops watching. Errors (the node restarting) are retried quietly; `onError` hears them.
   */
  watchPeers (onChange: (peers: InstancePeer[]) => void, options: { intervalMs?: number, onError?: (err: Error) => void } = {}): () => void {
    let last = ''
    let stopped = false
    let timer: NodeJS.Timeout | undefined
    const tick = async (): Promise<void> => {
      try {
        const peers = await this.peers()
        const key = JSON.stringify(peers.map(p => [p.index, p.node, p.state, p.epoch, p.addresses]))
        if (key !== last && !stopped) {
          last = key
          onChange(peers)
        }
      } catch (err) {
        options.onError?.(err as Error)
      }
      if (!stopped) timer = setTimeout(() => { void tick() }, options.intervalMs ?? 1_000)
    }
    void tick()
    return () => { stopped = true; if (timer !== undefined) clearTimeout(timer) }
  }

  /** Asks for `n` instances of this workload (placement clamps it into min..max). */
  async requestInstances (n: number): Promise<void> {
    await this.client.post(`/v1/workloads/${encodeURIComponent(this.workload)}/scale`, { instances: n })
  }

  /** How many instances this workload may have, and wants now. */
  async limits (): Promise<{ min: number, max: number, wanted: number | null }> {
    const d = await this.client.get<WorkloadDetailJson>(`/v1/workloads/${encodeURIComponent(this.workload)}`)
    const spec = d.spec as { minInstances?: number, maxInstances?: number }
    return { min: spec.minInstances ?? 1, max: spec.maxInstances ?? 1, wanted: d.scale }
  }

  /**
   * Leaves this node on purpose: the slot is re-placed on another node that fits (this instance gets its
   * stop notice, and its state follows it). Resolves the new node's peer id; rejects when no other node can
   * take it (it then stays).
   */
  async leave (): Promise<string> {
    const answer = await this.client.post<{ to: string }>(`/v1/workloads/${encodeURIComponent(this.workload)}/leave`, { index: this.index, node: this.node })
    return answer.to
  }

  /**
   * Runs `handler` when the agent is about to stop this instance (SIGTERM; SIGKILL follows after the
   * workload's stop grace), then exits with code 0. Handlers run in order; one that throws does not stop
   * the others.
   */
  onStopNotice (handler: () => void | Promise<void>): void {
    if (this.stopHandlers.length === 0) {
      process.once('SIGTERM', () => { void this.runStopHandlers() })
    }
    this.stopHandlers.push(handler)
  }

  private async runStopHandlers (): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    for (const handler of this.stopHandlers) {
      try {
        await handler()
      } catch (err) {
        process.stderr.write(`dreammesh sdk: a stop handler failed: ${(err as Error).message}\n`)
      }
    }
    process.exit(0)
  }
}

/** The IP addresses in multiaddrs like `/ip4/10.0.0.2/tcp/4001`, non-loopback first, without repeats. */
export function ipsOf (multiaddrs: string[]): string[] {
  const ips = new Set<string>()
  for (const a of multiaddrs) {
    const m = /^\/ip[46]\/([^/]+)/.exec(a)
    if (m !== null) ips.add(m[1])
  }
  const loopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1'
  return [...ips].sort((a, b) => Number(loopback(a)) - Number(loopback(b)))
}
