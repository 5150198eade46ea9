import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Scheduler } from '@dreammesh/protocols'
import { RealScheduler } from '../clock/real-scheduler.js'
import { probeCgroups, reapLeftovers, removeEmptySubtree, type CgroupCapabilities, type ReapedInstance } from './cgroups.js'
import { CGROUP_EMPTY_BUDGET_MS, KILL_MARGIN_MS, LOG_MAX_BYTES, STOP_GRACE_MS } from './constants.js'
import { FINAL_STATES, type InstanceStatus, type WorkloadEvent } from './events.js'
import { Instance, type KillByOutcome } from './instance.js'
import type { LogStream, RotatingLog } from './logs.js'
import { probeBubblewrap, type Bubblewrap } from './sandbox.js'
import { InstanceSpecError, checkInstanceSpec, checkName, resolveHealthCheck, resolveRestartPolicy, type InstanceSpec } from './spec.js'

export interface SupervisorInit {
  /**
   * This agent's stable identity (its peer id or node name): names its cgroup subtree, so that the same agent
   * after a restart finds and kills what its earlier life left. One path component.
   */
  agentId: string
  /** The node's data dir: state dirs go to `<dataDir>/state/<workload>`, logs to `<dataDir>/logs`. */
  dataDir: string
  /** Monotonic time and timers; `killBy` deadlines are on this clock. @default a RealScheduler */
  scheduler?: Scheduler
  /** What the host offers. @default probed with `probeCgroups()` */
  cgroups?: CgroupCapabilities
  /** bubblewrap, or why not. @default probed with `probeBubblewrap()` */
  bubblewrap?: Bubblewrap
  /** Each log file's rotation size, in bytes. @default LOG_MAX_BYTES */
  logMaxBytes?: number
  /** SIGTERM to SIGKILL, in ms, unless a spec says otherwise. @default STOP_GRACE_MS */
  stopGraceMs?: number
  /** SIGKILL this long before a `killBy` deadline, in ms. @default KILL_MARGIN_MS */
  killMarginMs?: number
  /** Receives every event, from the reaping of leftovers on. */
  onEvent?: (event: WorkloadEvent) => void
  /** Environment every instance gets from the agent (the SDK's way back to its node), below the DREAMMESH_ names. */
  instanceEnv?: Record<string, string>
}

/** What this host can do for workloads: for the log, the status page and placement. */
export interface SupervisorCapabilities {
  cgroups: CgroupCapabilities
  bubblewrap: Bubblewrap
}

/**
 * Probes the host, kills whatever an earlier life of this agent left in its cgroup subtree, and returns the
 * supervisor. Call it before taking any lease: until it resolves, an orphan of ours may still be serving.
 */
export async function createWorkloadSupervisor (init: SupervisorInit): Promise<WorkloadSupervisor> {
  checkName('agentId', init.agentId)
  const cgroups = init.cgroups ?? await probeCgroups()
  const bubblewrap = init.bubblewrap ?? await probeBubblewrap()
  const supervisor = new WorkloadSupervisor(init, { cgroups, bubblewrap })
  await supervisor.reapLeftovers()
  return supervisor
}

/**
 * Runs many instances on this node, each under its own cgroup and watchdog (see Instance), keyed by
 * workload and index.
 */
export class WorkloadSupervisor {
  readonly capabilities: SupervisorCapabilities
  private readonly instances = new Map<string, Instance>()
  private readonly listeners = new Set<(event: WorkloadEvent) => void>()
  private readonly scheduler: Scheduler

  constructor (private readonly init: SupervisorInit, capabilities: SupervisorCapabilities) {
    checkName('agentId', init.agentId)
    this.capabilities = capabilities
    this.scheduler = init.scheduler ?? new RealScheduler()
    if (init.onEvent !== undefined) this.listeners.add(init.onEvent)
  }

  /** Kills and removes every cgroup under this agent's subtree (see `reapLeftovers` in cgroups.ts). */
  async reapLeftovers (): Promise<ReapedInstance[]> {
    const reaped = await reapLeftovers(this.capabilities.cgroups, this.init.agentId, CGROUP_EMPTY_BUDGET_MS)
    for (const leftover of reaped) this.emit({ type: 'leftover-reaped', leftover })
    return reaped
  }

  /** Subscribes to events. Returns the function that unsubscribes. */
  on (listener: (event: WorkloadEvent) => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * Starts an instance. Rejects with InstanceSpecError for a bad spec or an instance already running under
   * that workload and index, and with InstanceStartError when it cannot start at all (then its status is failed).
   */
  async start (spec: InstanceSpec): Promise<InstanceStatus> {
    checkInstanceSpec(spec)
    resolveRestartPolicy(spec.restart)
    if (spec.health !== undefined) resolveHealthCheck(spec.health)
    const key = keyOf(spec.workload, spec.index)
    const existing = this.instances.get(key)
    if (existing !== undefined && !FINAL_STATES.has(existing.status().state)) throw new InstanceSpecError('index', `${key} is already running`)
    await mkdir(join(this.init.dataDir, 'logs'), { recursive: true, mode: 0o700 })
    await mkdir(join(this.init.dataDir, 'state'), { recursive: true, mode: 0o700 })
    const instance = new Instance(spec, {
      agentId: this.init.agentId,
      dataDir: this.init.dataDir,
      cgroups: this.capabilities.cgroups,
      bubblewrap: this.capabilities.bubblewrap,
      scheduler: this.scheduler,
      logMaxBytes: this.init.logMaxBytes ?? LOG_MAX_BYTES,
      stopGraceMs: this.init.stopGraceMs ?? STOP_GRACE_MS,
      killMarginMs: this.init.killMarginMs ?? KILL_MARGIN_MS,
      instanceEnv: this.init.instanceEnv ?? {},
      onEvent: (event) => this.emit(event)
    })
    this.instances.set(key, instance)
    await instance.start()
    return instance.status()
  }

  /** Stops an instance (SIGTERM, then SIGKILL after its grace); resolves once its cgroup is empty and gone. */
  async stop (workload: string, index: number): Promise<void> {
    await this.instances.get(keyOf(workload, index))?.stop()
  }

  /** Makes sure the instance is dead by `deadlineMs` on the scheduler's clock (see Instance.killBy). */
  async killBy (workload: string, index: number, deadlineMs: number): Promise<KillByOutcome> {
    const instance = this.instances.get(keyOf(workload, index))
    if (instance === undefined) return { deadlineMs, metDeadline: true, deadAtMs: this.scheduler.nowMs() }
    return await instance.killBy(deadlineMs)
  }

  /** Disarms a pending `killBy` (the lease was renewed). False if the stop has already begun. */
  clearKillBy (workload: string, index: number): boolean {
    return this.instances.get(keyOf(workload, index))?.clearKillBy() ?? true
  }

  status (workload: string, index: number): InstanceStatus | undefined {
    return this.instances.get(keyOf(workload, index))?.status()
  }

  /** Every instance's status: what this node gossips as observed state. */
  snapshot (): InstanceStatus[] {
    return [...this.instances.values()].map(i => i.status())
  }

  /** CPU time an instance used so far, in µs; undefined for an unknown instance or where it cannot be read. */
  async cpuUsageUsec (workload: string, index: number): Promise<number | undefined> {
    return await this.instances.get(keyOf(workload, index))?.cpuUsageUsec()
  }

  /** Every pid in an instance's cgroups now. */
  async pids (workload: string, index: number): Promise<number[]> {
    return await this.instances.get(keyOf(workload, index))?.pids() ?? []
  }

  /** The instance's log of one stream: `tail(n)` and `follow(onLine)`. */
  log (workload: string, index: number, stream: LogStream): RotatingLog | undefined {
    return this.instances.get(keyOf(workload, index))?.logs[stream]
  }

  /** Forgets instances in a final state (their logs stay on disk). */
  prune (): void {
    for (const [key, instance] of this.instances) if (FINAL_STATES.has(instance.status().state)) this.instances.delete(key)
  }

  /** Stops every instance, in parallel; resolves when all are gone and our empty cgroups are removed. */
  async close (): Promise<void> {
    await Promise.all([...this.instances.values()].map(async i => { await i.stop() }))
    await removeEmptySubtree(this.capabilities.cgroups, this.init.agentId)
  }

  private emit (event: WorkloadEvent): void {
    for (const listener of this.listeners) {
      try { listener(event) } catch { /* a listener's bug must not break supervision */ }
    }
  }
}

function keyOf (workload: string, index: number): string {
  return `${workload}-${index}`
}
