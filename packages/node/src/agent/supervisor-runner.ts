import type { WorkloadSpec } from '@dreammesh/protocols'
import type { WorkloadSupervisor } from '../workloads/index.js'
import type { InstanceSpec } from '../workloads/spec.js'
import { INSTANCE_STATES, type InstanceState, type InstanceStatus } from './instance-report.js'
import type { InstanceRunner } from './workload-agent.js'

/** `w/<workload>/<index>` back into its parts. */
export function parseSlotKey (key: string): { workload: string, index: number } {
  const m = /^w\/(.+)\/(\d+)$/.exec(key)
  if (m === null) throw new Error(`not a workload slot key: ${key}`)
  return { workload: m[1], index: Number(m[2]) }
}

/** What the supervisor runs for one slot of a validated spec, under lease `epoch`. */
export function instanceSpecOf (spec: WorkloadSpec, index: number, epoch: number): InstanceSpec {
  if (spec.command === undefined) throw new Error(`${spec.name}: a ${spec.kind} workload has no command (vm guests are not run by the supervisor yet)`)
  return {
    workload: spec.name,
    index,
    epoch,
    command: spec.command,
    args: spec.args,
    env: spec.env,
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    cpuMillis: spec.resources.cpuMillis,
    memoryBytes: spec.resources.memoryBytes,
    restart: spec.restart,
    ...(spec.health === undefined ? {} : { health: healthOf(spec.health) }),
    isolated: spec.isolated,
    ...(spec.mountStateAt === undefined ? {} : { mountStateAt: spec.mountStateAt })
  }
}

/** The spec's health check in the supervisor's terms (the same check, named as the supervisor names it). */
function healthOf (h: NonNullable<WorkloadSpec['health']>): NonNullable<InstanceSpec['health']> {
  const timing = { intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, failures: h.failures }
  if (h.check === 'tcp') return { kind: 'tcp', port: h.port, ...timing }
  if (h.check === 'http') return { kind: 'http', url: h.url, ...timing }
  return { kind: 'command', command: h.args[0], args: h.args.slice(1), ...timing }
}

/**
 * The workload agent's runner over the real supervisor: processes in their own cgroups, which die with the
 * agent (ADR 0012). Wall-clock `since` for the instance board is derived from the supervisor's monotonic
 * `sinceMs`, since reports are read on other machines.
 */
export class SupervisorRunner implements InstanceRunner {
  constructor (private readonly supervisor: WorkloadSupervisor, private readonly onError: (key: string, err: Error) => void) {}

  start (key: string, spec: WorkloadSpec, index: number, epoch: number): void {
    let instance: InstanceSpec
    try {
      instance = instanceSpecOf(spec, index, epoch)
    } catch (err) {
      this.onError(key, err as Error)
      return
    }
    this.supervisor.start(instance).catch((err: Error) => { this.onError(key, err) })
  }

  async stop (key: string): Promise<void> {
    const { workload, index } = parseSlotKey(key)
    await this.supervisor.stop(workload, index)
  }

  async kill (key: string): Promise<void> {
    const { workload, index } = parseSlotKey(key)
    await this.supervisor.killBy(workload, index, performance.now())
  }

  statuses (): InstanceStatus[] {
    const wallOffset = Date.now() - performance.now()
    return this.supervisor.snapshot()
      .filter(s => (INSTANCE_STATES as readonly string[]).includes(s.state))
      .map(s => ({
        workload: s.workload,
        index: s.index,
        state: s.state as InstanceState,
        epoch: s.epoch,
        since: Math.round(s.sinceMs + wallOffset),
        ...(s.pid === undefined ? {} : { pid: s.pid })
      }))
  }
}
